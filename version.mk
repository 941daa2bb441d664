# SPDX-License-Identifier: GPL-2.0-only
# The version: dkms.conf's PACKAGE_VERSION, the project's one version string,
# read here only. Included by the Makefile and by Kbuild, so that a plain
# "make -C KDIR M=$PWD" stamps the module with the same version as the
# wrapper, DKMS and the packages. A PTP_VMW_VERSION given to make wins.

ifeq ($(origin PTP_VMW_VERSION),undefined)
PTP_VMW_VERSION := $(shell sed -n 's/^PACKAGE_VERSION="*\([^"]*\)"*$$/\1/p' \
	$(dir $(lastword $(MAKEFILE_LIST)))dkms.conf)
endif
