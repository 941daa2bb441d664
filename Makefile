# SPDX-License-Identifier: GPL-2.0-only
#
# ptp_vmw: PTP clock driver for the VMware precision clock.
#
#   make                      build for the running kernel
#   make KDIR=/path/to/build  build for another kernel tree
#   make install              install into /lib/modules/$(KVER)/updates
#   make dkms-install         register with DKMS (rebuilt on kernel upgrades)
#   make check                the test suite, in an emulated VMware guest
#   make check-matrix         the same on every Debian kernel series, 5.10 to 7.x
#                             (KSERIES=all); rewrites docs/kernels.md's table
#   make demo                 the driver at work in an emulated VMware guest
#   make bench                against NTP, and ours against the in-tree driver (bench/results/)
#   make shell                an interactive shell in that guest
#   make stress               the reliability and wrong-environment scenarios
#                             at ten times make check's counts
#   make lint                 checkpatch --strict, shellcheck, the test library's
#                             layers, W=1 and sparse
#                             builds (both series)
#   make -s print-version     the version (dkms.conf's PACKAGE_VERSION)
#   make -s print-sources     the driver's source files: what DKMS builds from and
#                             what the packages put in /usr/src/ptp_vmw-<version>
#
# Test targets are one line each into a script under tests/.

KVER	?= $(shell uname -r)
KDIR	?= /lib/modules/$(KVER)/build
# The version: dkms.conf's PACKAGE_VERSION, read by version.mk (Kbuild too).
include $(dir $(lastword $(MAKEFILE_LIST)))version.mk
VERSION	:= $(PTP_VMW_VERSION)

# The driver's sources, one list for every consumer: debian/rules,
# packaging/dkms-install.sh, the RPM spec and the tests read it with
# "make -s print-sources". Generated files (compat/probed.h) are not sources.
SOURCES	:= Makefile Kbuild version.mk dkms.conf LICENSE ptp_vmw.c ptp_vmw.h \
	compat/compat.h compat/probe.sh $(sort $(wildcard compat/probes/*.c))

# Options passed through to the test scripts.
export KSERIES TESTS TAGS

.PHONY: all modules install clean headers-present print-version print-sources \
	check demo shell bench stress check-matrix lint dkms-install dkms-remove

all: modules

headers-present:
	@test -f "$(KDIR)/Makefile" || { \
	  echo "ptp_vmw: no kernel build tree at $(KDIR)." >&2; \
	  echo "  Install the headers for kernel $(KVER): apt-get install linux-headers-$(KVER)" >&2; \
	  echo "  (RHEL-like: dnf install kernel-devel-$(KVER)), or pass KDIR=/path/to/build." >&2; \
	  exit 1; }

# kbuild does the rest, the version and compat/probed.h included (Kbuild).
modules: headers-present
	$(MAKE) -C "$(KDIR)" M="$(CURDIR)" modules

install: modules
	$(MAKE) -C "$(KDIR)" M="$(CURDIR)" INSTALL_MOD_DIR=updates modules_install
	depmod -a "$(KVER)"

clean:
	@if [ -f "$(KDIR)/Makefile" ]; then $(MAKE) -C "$(KDIR)" M="$(CURDIR)" clean; fi
	rm -f compat/probed.h compat/probed.h.log compat/probed.h.tmp

print-version:
	@echo $(VERSION)

print-sources:
	@echo $(SOURCES)

dkms-install:
	sh packaging/dkms-install.sh install "$(VERSION)"

dkms-remove:
	sh packaging/dkms-install.sh remove "$(VERSION)"

check:
	@bash tests/host/check.sh

demo:
	@bash tests/host/demo.sh

bench:
	@bash tests/bench/run.sh

stress:
	@STRESS_SCALE=$${STRESS_SCALE:-10} TAGS="$${TAGS:-stress wrong-environment}" bash tests/host/check.sh

check-matrix:
	@KSERIES=all bash tests/host/check.sh

lint:
	@TESTS=lint bash tests/host/check.sh

shell:
	@bash tests/host/shell.sh
