#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
#
# Build (once) a TCG-only qemu-system-x86_64 from Debian bookworm's qemu 7.2
# source package with vmport-pclk.patch applied, and print its absolute path
# as the only line on stdout:
#
#	QEMU=$(tests/emulator/build-qemu.sh) || exit 1
#	"$QEMU" -L /usr/share/seabios -L /usr/share/qemu ...
#
# The result lives in $CACHE/qemu-<debian version>-<hash>/ (hash of the patch
# and the configure flags) and is reused while its stamp is valid and its
# binary runs; anything else there is deleted and rebuilt. A cold build takes
# 3-10 minutes on 2 cores. Progress goes to stderr, logs to $OUT/qemu-build/.
#
# Host changes: installs the build dependencies and the firmware packages
# (seabios, qemu-system-data) with apt. Debian's source package comes through
# a private apt configuration under $CACHE/apt-src; /etc/apt is left alone.

# shellcheck source-path=SCRIPTDIR # the first source is named relative to this file
. "$(dirname "${BASH_SOURCE[0]}")/../host/common.sh"

# Only the path of the binary goes to stdout.
exec 3>&1 1>&2

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PATCH=$HERE/vmport-pclk.patch
SUITE=bookworm
LOGS=$OUT/qemu-build
BIN_NAME=qemu-system-x86_64

CONFIGURE_FLAGS=(
	--target-list=x86_64-softmmu
	--without-default-features
	--enable-tcg
	--enable-slirp
	--enable-fdt=system
	--disable-docs
	--disable-werror
)
BUILD_DEPS=(
	dpkg-dev patch xz-utils gcc pkg-config python3 meson ninja-build
	zlib1g-dev libglib2.0-dev libpixman-1-dev libslirp-dev libfdt-dev
)
# Firmware the self-built binary needs; callers pass the -L options.
FIRMWARE=(seabios qemu-system-data)

[ -f "$PATCH" ] || die "missing $PATCH"
# The Debian version the patch was made against (its header says so).
PATCH_BASE=$(sed -n 's/^Against Debian.s qemu \([^ ]*\).*/\1/p' "$PATCH" | head -n 1)
HASH=$(sha_of "$PATCH" <(printf '%s\n' "${CONFIGURE_FLAGS[@]}"))

# tree_ok DIR: DIR holds a finished build for this patch whose binary runs.
# If not, WHY says what is wrong.
tree_ok() {
	local stamp=$1/stamp bin=$1/bin/$BIN_NAME sum

	WHY="no stamp (unfinished build)"
	[ -f "$stamp" ] || return 1
	WHY="no binary"
	[ -x "$bin" ] || return 1
	WHY="stamp of another patch"
	grep -qx "hash=$HASH" "$stamp" || return 1
	WHY="binary differs from the one the stamp records"
	sum=$(sha256sum <"$bin" | cut -d' ' -f1)
	grep -qx "binary-sha256=$sum" "$stamp" || return 1
	WHY="binary does not run --version"
	"$bin" --version 2>/dev/null | grep -q '^QEMU emulator version 7\.2' || return 1
	WHY=
}

# find_built: print the newest valid cache dir for this hash, if any.
find_built() {
	local dir dirs

	mapfile -t dirs < <(printf '%s\n' "$CACHE"/qemu-*-"$HASH" | sort -rV)
	for dir in "${dirs[@]}"; do
		[ -d "$dir" ] || continue	# the bare pattern: nothing matched
		if tree_ok "$dir"; then
			touch "$dir/stamp"
			echo "$dir"
			return 0
		fi
		say "not using $dir: $WHY; it will be rebuilt"
	done
	return 1
}

finish() {
	need_pkgs "${FIRMWARE[@]}"
	echo "$1/bin/$BIN_NAME" >&3
	exit 0
}

# Fast path: no lock, no network.
if dir=$(find_built); then
	finish "$dir"
fi

# One build at a time per cache.
exec 9>"$CACHE/qemu-build.lock"
if ! flock -n 9; then
	say "the device model is being built by another build-qemu.sh (make check's, in the background, or another checkout's); waiting for it (its progress: $LOGS/build.log, $OUT/qemu-build-background.log)"
	flock 9 || die "cannot lock $CACHE/qemu-build.lock"
	if dir=$(find_built); then
		finish "$dir"
	fi
fi

need_pkgs "${BUILD_DEPS[@]}" "${FIRMWARE[@]}"

# The host's Debian mirror for $SUITE main: deb822 .sources first, then
# one-line .list files; deb.debian.org if neither names one.
mirror_uri() {
	local f

	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk -v suite="$SUITE" '
			function flush() {
				if (enabled && types ~ /(^| )deb( |$)/ &&
				    (" " suites " ") ~ (" " suite " ") &&
				    (" " comps " ") ~ / main / && uri != "" && !done) {
					print uri
					done = 1
				}
				types = suites = comps = uri = ""
				enabled = 1
			}
			BEGIN { enabled = 1 }
			/^[ \t]*#/ { next }
			/^[ \t]*$/ { flush(); next }
			{
				key = tolower($1)
				sub(/:$/, "", key)
				val = $0
				sub(/^[^:]*:[ \t]*/, "", val)
				if (key == "types") types = val
				else if (key == "suites") suites = val
				else if (key == "components") comps = val
				else if (key == "uris") { split(val, u, /[ \t]+/); uri = u[1] }
				else if (key == "enabled") enabled = (tolower(val) != "no")
			}
			END { flush() }
		' "$f" | head -n 1
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" |
			awk -v suite="$SUITE" '
				$1 == "deb" && $3 == suite {
					for (i = 4; i <= NF; i++)
						if ($i == "main") { print $2; exit }
				}'
	done
	echo http://deb.debian.org/debian
}

# Private apt configuration: deb-src for $SUITE main, own lists and cache.
APT_DIR=$CACHE/apt-src
mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/cache/archives/partial" \
	"$APT_DIR/sources.list.d" || die "cannot create $APT_DIR"
MIRROR=$(mirror_uri | head -n 1)
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
if [ -f "$KEYRING" ]; then
	echo "deb-src [signed-by=$KEYRING] $MIRROR $SUITE main"
else
	echo "deb-src $MIRROR $SUITE main"
fi >"$APT_DIR/sources.list"
APT_OPTS=(
	-o "Dir::Etc::SourceList=$APT_DIR/sources.list"
	-o "Dir::Etc::SourceParts=$APT_DIR/sources.list.d"
	-o "Dir::State::Lists=$APT_DIR/lists"
	-o "Dir::Cache=$APT_DIR/cache"
	-o "APT::Sandbox::User=root"
)

step "apt-get update (deb-src $MIRROR $SUITE main, private lists)" \
	"$LOGS/apt-src-update.log" apt-get "${APT_OPTS[@]}" update

VERSION=$(apt-cache "${APT_OPTS[@]}" showsrc qemu 2>/dev/null |
	sed -n 's/^Version: //p' | sort -V | tail -n 1)
[ -n "$VERSION" ] || die "no qemu source package in $SUITE main at $MIRROR (see $LOGS/apt-src-update.log)"
UPVER=${VERSION#*:}	# no epoch in file and directory names
case "$UPVER" in
7.2*) ;;
*) die "qemu $VERSION in $SUITE: the patch is for 7.2" ;;
esac

# Download the source package once; dpkg-source checks its checksums.
SRC_DIR=$CACHE/qemu-src
DSC=$SRC_DIR/qemu_$UPVER.dsc
mkdir -p "$SRC_DIR"
if [ ! -f "$DSC" ]; then
	(cd "$SRC_DIR" && step "downloading qemu $VERSION source" \
		"$LOGS/download.log" \
		apt-get "${APT_OPTS[@]}" source --download-only "qemu=$VERSION") ||
		exit 1
fi

DIR=$CACHE/qemu-$UPVER-$HASH
START=$(date +%s)
rm -rf "$DIR" || die "cannot remove $DIR"
mkdir -p "$DIR/bin"
if ! (step "unpacking qemu $VERSION" "$LOGS/unpack.log" \
	dpkg-source -x "$DSC" "$DIR/src"); then
	rm -f "$SRC_DIR"/qemu_"$UPVER"*	# corrupt download: fetch again next time
	exit 1
fi
# Debian's bookworm point releases move qemu 7.2 on (7.2+dfsg-7+deb12uN);
# the patch touches vmport and the memory core's port dispatch, which no
# Debian update has changed so far. If one does, say so plainly.
if ! (step "applying $(basename "$PATCH") to qemu $VERSION" "$LOGS/patch.log" \
	patch -d "$DIR/src" -p1 --forward --batch -i "$PATCH"); then
	die "$(basename "$PATCH") does not apply to Debian's qemu $VERSION (it was made against ${PATCH_BASE:-the version its header names}); Debian changed the files it touches. Rebase the patch on $VERSION (log: $LOGS/patch.log)"
fi

# A pyenv shim as python3 breaks configure: the system one goes first.
mkdir -p "$DIR/src/build"
(cd "$DIR/src/build" && step "configuring qemu (TCG only, x86_64-softmmu)" \
	"$LOGS/configure.log" \
	env PATH="/usr/bin:/bin:$PATH" ../configure "${CONFIGURE_FLAGS[@]}") ||
	exit 1
step "building $BIN_NAME (3-10 minutes on 2 cores)" "$LOGS/build.log" \
	env PATH="/usr/bin:/bin:$PATH" ninja -C "$DIR/src/build" "$BIN_NAME"

cp "$DIR/src/build/$BIN_NAME" "$DIR/bin/$BIN_NAME" || die "cannot copy $BIN_NAME"
"$DIR/bin/$BIN_NAME" --version >"$LOGS/version.log" 2>&1 ||
	die "the new $BIN_NAME does not run (see $LOGS/version.log)"

# The stamp is written last: a tree without it is unfinished.
if ! {
	echo "debian-version=$VERSION"
	echo "hash=$HASH"
	echo "binary-sha256=$(sha256sum <"$DIR/bin/$BIN_NAME" | cut -d' ' -f1)"
	echo "built=$(date -u +%Y-%m-%dT%H:%M:%SZ) in $(($(date +%s) - START)) s"
} >"$DIR/stamp.tmp" || ! mv "$DIR/stamp.tmp" "$DIR/stamp"; then
	die "cannot write $DIR/stamp"
fi
tree_ok "$DIR" || die "$DIR failed its own check: $WHY"
say "qemu built in $(($(date +%s) - START)) s: $DIR"

# Trees of other patches or versions: several checkouts (a branch that
# changes the patch, main beside it) share this cache, so the ones used most
# recently stay (find_built touches a tree's stamp at each use); older ones go.
KEEP_BUILDS=${PTP_VMW_QEMU_KEEP:-3}
n=0
mapfile -t stamps < <(find "$CACHE" -mindepth 2 -maxdepth 2 -path "$CACHE/qemu-[0-9]*-*/stamp" \
	-printf '%T@ %p\n' | sort -rn | cut -d' ' -f2-)
for old in "${stamps[@]}"; do	# most recently used first
	old=${old%/stamp}
	n=$((n + 1))
	if [ "$n" -le "$KEEP_BUILDS" ] || [ "$old" = "$DIR" ]; then
		continue
	fi
	say "removing QEMU build $old (not among the $KEEP_BUILDS used last)"
	rm -rf "$old"
done

finish "$DIR"
