# SPDX-License-Identifier: GPL-2.0-only
# Everything a script that boots the emulated guest needs, in dependency
# order: conventions, results, kernel series, chroots, guest kernels, the
# initramfs and the boot runner.
#
#   . "$(dirname "$0")/harness.sh"

# shellcheck source-path=SCRIPTDIR # the first source is named relative to this file
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
. "$TOP/tests/host/results.sh"
. "$TOP/tests/host/pool.sh"
. "$TOP/tests/host/kseries.sh"
. "$TOP/tests/host/chroot.sh"
. "$TOP/tests/host/kernel.sh"
. "$TOP/tests/host/initramfs.sh"
. "$TOP/tests/host/boot.sh"
