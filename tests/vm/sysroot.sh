#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The userland of a guest of another architecture: Debian's own binaries for it, unpacked from
# its .debs into a directory (a sysroot), never installed. tests/vm/run takes busybox, ip, jq
# and every library the guest's binaries need from there.
#
#   tests/vm/sysroot.sh ARCH          prints the sysroot (…/sysroot/<codename>-<ARCH>/root)
#   tests/vm/sysroot.sh ARCH --libs BINARY...
#                                     prints "GUEST_PATH<tab>FILE" for the program interpreter
#                                     and every library the BINARYs need (recursively): where
#                                     the guest looks for it, and the file of the sysroot
#                                     (a path inside it) to put there; the sysroot must exist
#
# The packages come from the system's own release (VERSION_CODENAME of /etc/os-release, so the
# guest's ip and jq are the versions the host tests use), through the private apt configuration
# of tests/vm/kernels.sh with APT::Architecture=ARCH: busybox-static, iproute2, jq, and the
# runtime libraries of the cross-built loader (libmnl0, libmicrohttpd12, libgnutls30,
# libyaml-0-2, libcrypt1), the path manager of the mptcpd phases and its recorder (mptcpd,
# mptcpd-plugins, strace: tests/vm/mptcpd.sh), with the libraries
# (packages named lib*) they depend on, recursively. iproute2 and busybox-static cannot be
# co-installed for two architectures (not Multi-Arch: same), hence the sysroot.
#
# Cache: ${EVLAT_KERNEL_CACHE:-~/.cache/mptcp-evlat/kernels}/../sysroot/<codename>-<ARCH>/
#   apt/ (lists, archives), debs/, root/ (the unpacked tree), packages (what root/ holds).
# Exit codes: 0 ok, 2 usage, 3 missing tool, 5 registry unreachable and nothing cached,
#             6 resolution failed, 7 download or extraction failed, 8 a library not found.
set -euo pipefail

SYSROOT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=kernels.sh
source "$SYSROOT_DIR/kernels.sh"

SYSROOT_ROOTS=(busybox-static iproute2 jq libmnl0 libmicrohttpd12 libgnutls30 libyaml-0-2 libcrypt1
	mptcpd mptcpd-plugins strace)

sysroot_log() { printf 'sysroot: %s\n' "$*" >&2; }

sysroot_die() {
	local code=$1
	shift
	printf 'sysroot: error: %s\n' "$*" >&2
	exit "$code"
}

# sysroot_closure PKG...: the packages and, recursively, the lib* packages they depend on
# (lib* and zlib*, first alternative of each); prints "name=version" lines.
sysroot_closure() {
	local -A seen=()
	local queue=("$@") p dep next
	while ((${#queue[@]})); do
		next=()
		kernels_load_records "${queue[@]}"
		for p in "${queue[@]}"; do
			[[ -n ${seen[$p]:-} ]] && continue
			kernels_has "$p" || sysroot_die "$KERNELS_E_RESOLVE" "no package $p for $ARCH"
			seen[$p]=$(kernels_field "$p" Version)
			printf '%s=%s\n' "$p" "${seen[$p]}"
			for dep in $( (kernels_field "$p" Pre-Depends; echo ,; kernels_field "$p" Depends) |
				tr ',' '\n' | sed 's/|.*//; s/(.*//; s/:any//' | awk 'NF { print $1 }'); do
				[[ $dep == lib* || $dep == zlib* ]] || continue
				[[ -z ${seen[$dep]:-} ]] && next+=("$dep")
			done
		done
		queue=("${next[@]}")
	done
}

sysroot_build() {
	local base=$1 specs=() spec debs=() tmp
	kernels_apt_setup "$CODENAME" "$base/apt" "$ARCH"
	if ! kernels_apt_update "$CODENAME" "$base/apt"; then
		[[ -f $base/packages && -d $base/root ]] ||
			sysroot_die "$KERNELS_E_OFFLINE" "$ARCH: the registry cannot be reached and nothing is cached"
		sysroot_log "notice: registry unreachable: using the cached sysroot"
		return 0
	fi
	mapfile -t specs < <(sysroot_closure "${SYSROOT_ROOTS[@]}" | LC_ALL=C sort)
	if [[ -d $base/root ]] && printf '%s\n' "${specs[@]}" | cmp -s - "$base/packages"; then
		sysroot_log "$CODENAME $ARCH: ${#specs[@]} packages already unpacked"
		return 0
	fi
	sysroot_log "$CODENAME $ARCH: ${#specs[@]} packages"
	kernels_load_records "${specs[@]}" # the closure ran in a subshell
	kernels_download "$base/debs" "${specs[@]}" ||
		sysroot_die "$KERNELS_E_FETCH" "$ARCH: download failed"
	tmp=$base/root.tmp
	rm -rf "$tmp"
	mkdir -p "$tmp"
	for spec in "${specs[@]}"; do
		debs+=("$(kernels_deb_path "$base/debs" "$spec")")
	done
	for spec in "${debs[@]}"; do
		dpkg-deb -x "$spec" "$tmp" || sysroot_die "$KERNELS_E_FETCH" "cannot unpack $spec"
	done
	rm -rf "$base/root"
	mv "$tmp" "$base/root"
	printf '%s\n' "${specs[@]}" >"$base/packages"
	rm -f "${debs[@]}"
}

# sysroot_path ROOT PATH: PATH inside ROOT with its symbolic links resolved inside ROOT
sysroot_path() {
	local root=$1 path=$2 target n=0
	while [[ -L $root$path ]] && ((n++ < 16)); do
		target=$(readlink "$root$path")
		if [[ $target == /* ]]; then path=$target; else path=$(dirname "$path")/$target; fi
	done
	path=$(realpath -m -s "$path")
	[[ -e $root$path ]] && printf '%s\n' "$path"
}

# sysroot_libs ROOT BINARY...: the interpreter and libraries the binaries need, recursively
sysroot_libs() {
	local root=$1 f lib path want d dirs=(/lib/"$TRIPLET" /usr/lib/"$TRIPLET" /lib /usr/lib)
	local -A seen=()
	shift
	local queue=("$@")
	while ((${#queue[@]})); do
		f=${queue[0]}
		queue=("${queue[@]:1}")
		while read -r lib; do
			[[ -n $lib ]] || continue
			path="" want=$lib
			if [[ $lib == /* ]]; then
				path=$(sysroot_path "$root" "$lib") || true
			else
				for d in "${dirs[@]}"; do
					want=$d/$lib
					path=$(sysroot_path "$root" "$want") && break
				done
			fi
			[[ -n $path ]] || sysroot_die 8 "$f needs $lib, not in $root"
			[[ -n ${seen[$want]:-} ]] && continue
			seen[$want]=1
			printf '%s\t%s\n' "$want" "$path"
			queue+=("$root$path")
		done < <(readelf -lW "$f" 2>/dev/null |
			sed -n 's/.*Requesting program interpreter: \(.*\)]$/\1/p'
		readelf -dW "$f" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p')
	done
}

main() {
	local base
	(($# >= 1)) || sysroot_die "$KERNELS_E_USAGE" "usage: ${0##*/} ARCH [--libs BINARY...]"
	ARCH=$1
	shift
	case $ARCH in
	arm64) TRIPLET=aarch64-linux-gnu ;;
	amd64) TRIPLET=x86_64-linux-gnu ;;
	*) sysroot_die "$KERNELS_E_USAGE" "unknown architecture '$ARCH' (arm64, amd64)" ;;
	esac
	kernels_need_tools apt-get apt-cache dpkg-deb readelf realpath
	CODENAME=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release 2>/dev/null | tr -d '"')
	[[ -n $CODENAME ]] || sysroot_die "$KERNELS_E_USAGE" "no VERSION_CODENAME in /etc/os-release"
	base=$(dirname "$KERNELS_CACHE")/sysroot/$CODENAME-$ARCH
	mkdir -p "$base"
	exec {lockfd}>"$base/.lock"
	flock "$lockfd"
	if [[ ${1:-} == --libs ]]; then
		shift
		[[ -d $base/root ]] || sysroot_die "$KERNELS_E_OFFLINE" "no sysroot for $ARCH yet: ${0##*/} $ARCH"
		sysroot_libs "$base/root" "$@"
		return 0
	fi
	sysroot_build "$base"
	printf '%s\n' "$base/root"
}

main "$@"
