# SPDX-License-Identifier: GPL-2.0-only
# The libraries, in layers, each sourcing nothing and using only what the
# lines above it define: conventions (common), results (and the phase
# table) with the assertion helpers the guest shares (tests/lib/checks.sh), side-by-side boots (pool), kernel series (kseries), chroots and
# layers over them (chroot), guest kernels (kernel), the guest's initramfs
# (initramfs), what an installation left in a layer (installed), the real
# Debian system images (image), the boot runner (boot). Scripts that boot
# a guest source this; tests/host/check.sh then sources the test files.
#
#   . "$(dirname "$0")/harness.sh"

# shellcheck source-path=SCRIPTDIR # the first source is named relative to this file
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
. "$TOP/tests/host/results.sh"
. "$TOP/tests/lib/checks.sh"
. "$TOP/tests/host/pool.sh"
. "$TOP/tests/host/kseries.sh"
. "$TOP/tests/host/chroot.sh"
. "$TOP/tests/host/kernel.sh"
. "$TOP/tests/host/initramfs.sh"
. "$TOP/tests/host/installed.sh"
. "$TOP/tests/host/image.sh"
. "$TOP/tests/host/boot.sh"
