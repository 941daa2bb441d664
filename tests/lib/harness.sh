# SPDX-License-Identifier: GPL-2.0-only
# Everything a script that boots the emulated guest needs, in dependency
# order: conventions, kernel series, chroots, guest kernels, the initramfs
# and the boot runner.
#
#   . "$(dirname "$0")/lib/harness.sh"

. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
. "$TOP/tests/lib/kseries.sh"
. "$TOP/tests/lib/chroot.sh"
. "$TOP/tests/lib/kernel.sh"
. "$TOP/tests/guest/initramfs.sh"
. "$TOP/tests/guest/boot.sh"
