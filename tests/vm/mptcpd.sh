#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The real path manager of the guests: Debian's mptcpd (with its plugins and libraries, from the
# host's own release, never installed) and the host's strace, which records mptcpd's netlink
# traffic there (mptcpd logs no line per event it reads or command it sends).
#
#   tests/vm/mptcpd.sh fetch         prints the unpacked tree (cached; the .debs are fetched
#                                    with apt-get download through tests/vm/kernels.sh's private
#                                    apt configuration of the host's release)
# Sourceable (tests/vm/run): mptcpd_fetch, add_pm_tools STAGE.
#
# Cache: ${EVLAT_KERNEL_CACHE:-~/.cache/mptcp-evlat/kernels}/../mptcpd/<codename>-amd64/
#   debs/ (the .debs), root/ (unpacked), packages (the name=version list root/ holds).
# Exit codes: 0 ok, 3 missing tool, 5 registry unreachable and nothing cached, 6 a package is
#             missing, 7 download or extraction failed.

MPTCPD_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=kernels.sh
source "$MPTCPD_DIR/kernels.sh"

# mptcpd, its plugins (sspi, addr_adv) and the two libraries it needs beyond libc
MPTCPD_PKGS=(mptcpd mptcpd-plugins libmptcpd3 libell0)
MPTCPD_ARCH_DIR=usr/lib/x86_64-linux-gnu

mptcpd_log() { printf 'mptcpd: %s\n' "$*" >&2; }

# mptcpd_codename: the host's release; its libc is the one the guest gets
mptcpd_codename() {
	local c=
	[[ -r /etc/os-release ]] && c=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release | tr -d '"')
	printf '%s\n' "${c:-bookworm}"
}

mptcpd_cache() {
	readlink -m "$KERNELS_CACHE/../mptcpd/$(mptcpd_codename)-amd64"
}

# mptcpd_unpack BASE SPEC...: the .debs of SPECs (in BASE/debs) into BASE/root, listed in
# BASE/packages
mptcpd_unpack() {
	local base=$1 spec tmp=$1/root.tmp.$$
	shift
	rm -rf "$tmp"
	mkdir -p "$tmp"
	for spec in "$@"; do
		dpkg-deb -x "$(kernels_deb_path "$base/debs" "$spec")" "$tmp" || {
			rm -rf "$tmp"
			return 1
		}
	done
	rm -rf "$base/root"
	mv "$tmp" "$base/root"
	printf '%s\n' "$@" >"$base/packages"
}

# mptcpd_fetch: prints the unpacked tree; the cached one when the registry cannot be reached.
# In a subshell of its own: kernels.sh's functions exit on errors.
mptcpd_fetch() (
	set -euo pipefail
	local codename base specs=() p
	kernels_need_tools apt-get apt-cache dpkg-deb flock
	codename=$(mptcpd_codename)
	base=$(mptcpd_cache)
	mkdir -p "$base/debs" "$(kernels_suite_dir "$codename")"
	# the kernel fetch of that suite uses the same apt directory
	exec {lockfd}>"$(kernels_suite_dir "$codename")/.lock"
	flock "$lockfd"
	# amd64 named (a newer kernels.sh takes the directory and architecture; an older ignores them)
	kernels_apt_setup "$codename" "$(kernels_suite_dir "$codename")/apt" amd64
	if ! kernels_apt_update "$codename"; then
		[[ -x $base/root/usr/libexec/mptcpd ]] ||
			kernels_die "$KERNELS_E_OFFLINE" "the registry cannot be reached and no mptcpd is cached"
		mptcpd_log "notice: registry unreachable: using the cached mptcpd ($(paste -sd' ' "$base/packages"))"
		printf '%s\n' "$base/root"
		return 0
	fi
	kernels_load_records "${MPTCPD_PKGS[@]}"
	for p in "${MPTCPD_PKGS[@]}"; do
		kernels_has "$p" || kernels_die "$KERNELS_E_RESOLVE" "$codename: no package $p"
		specs+=("$p=$(kernels_field "$p" Version)")
	done
	if [[ -x $base/root/usr/libexec/mptcpd ]] && printf '%s\n' "${specs[@]}" | cmp -s - "$base/packages"; then
		printf '%s\n' "$base/root"
		return 0
	fi
	mptcpd_log "$codename: ${specs[*]}"
	kernels_download "$base/debs" "${specs[@]}" || kernels_die "$KERNELS_E_FETCH" "download of ${specs[*]} failed"
	mptcpd_unpack "$base" "${specs[@]}" || kernels_die "$KERNELS_E_FETCH" "cannot unpack ${specs[*]}"
	printf '%s\n' "$base/root"
)

# mptcpd_skip_reason STAGE WHY: the guest has no mptcpd, and its phases say why (one skip each)
mptcpd_skip_reason() {
	mkdir -p "$1/etc/evlat"
	printf '%s\n' "$2" >"$1/etc/evlat/mptcpd.skip"
	log "notice: no mptcpd in the guest: $2"
}

# add_pm_tools STAGE: mptcpd (binary, plugins, its libraries) and strace, when a selected phase of
# the guest suite says "# needs: mptcpd". Guest paths are Debian's: /usr/libexec/mptcpd,
# /usr/lib/x86_64-linux-gnu/{libmptcpd.so.3,libell.so.0,mptcpd/*.so}, /usr/bin/strace.
add_pm_tools() {
	local stage=$1 root lib rc=0
	[[ $SUITE_SCRIPT == "$VM_DIR/guest/suite.sh" ]] && phases_need mptcpd || return 0
	if [[ ${GUEST_ARCH:-x86} == arm64 ]]; then
		add_pm_tools_arm64 "$stage"
		return 0
	fi
	command -v strace >/dev/null 2>&1 || die "$E_TOOL" "'strace' not found (make deps: strace)"
	root=$(mptcpd_fetch) || rc=$?
	if ((rc)); then
		mptcpd_skip_reason "$stage" "tests/vm/mptcpd.sh fetch failed (exit $rc)"
		return 0
	fi
	add_binary "$stage" "$(command -v strace)" /usr/bin/strace
	add_file "$stage" "$root/usr/libexec/mptcpd" /usr/libexec/mptcpd 0755
	# the libraries with their soname links, the plugins with the packages' modes (mptcpd
	# refuses a plugin directory or file others may write to)
	mkdir -p "$stage/$MPTCPD_ARCH_DIR"
	cp -a "$root/$MPTCPD_ARCH_DIR/." "$stage/$MPTCPD_ARCH_DIR/"
	# libc and whatever else the daemon and its libraries need, from the host, as ldd finds them
	while read -r lib; do
		[[ -e $stage$lib || $lib == "$root"/* ]] || add_file "$stage" "$lib" "$lib" 0755
	done < <(LD_LIBRARY_PATH=$root/$MPTCPD_ARCH_DIR ldd "$root/usr/libexec/mptcpd" \
		"$root/$MPTCPD_ARCH_DIR"/mptcpd/*.so |
		awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }' | sort -u)
}

# add_pm_tools_arm64 STAGE: the same from Debian's arm64 packages, in the arm64 sysroot
# (tests/vm/sysroot.sh unpacks mptcpd, mptcpd-plugins, strace and their libraries there)
add_pm_tools_arm64() {
	local stage=$1 dir=usr/lib/aarch64-linux-gnu/mptcpd want file
	[[ -x $SYSROOT_ARM64/usr/libexec/mptcpd && -d $SYSROOT_ARM64/$dir ]] || {
		mptcpd_skip_reason "$stage" "no mptcpd in the arm64 sysroot ($SYSROOT_ARM64)"
		return 0
	}
	add_cross_binary "$stage" "$SYSROOT_ARM64/usr/libexec/mptcpd" /usr/libexec/mptcpd
	add_cross_binary "$stage" "$SYSROOT_ARM64/usr/bin/strace" /usr/bin/strace
	# the plugins with the packages' modes (mptcpd refuses a directory others may write to)
	mkdir -p "$stage/$dir"
	cp -a "$SYSROOT_ARM64/$dir/." "$stage/$dir/"
	# and what they need beyond the daemon's libraries
	while IFS=$'\t' read -r want file; do
		[[ -e $stage$want ]] || add_file "$stage" "$SYSROOT_ARM64$file" "$want" 0755
	done < <("$VM_DIR/sysroot.sh" arm64 --libs "$SYSROOT_ARM64/$dir"/*.so) ||
		die "$E_SETUP" "libraries of the arm64 mptcpd plugins"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	set -euo pipefail
	case ${1:-} in
	fetch) mptcpd_fetch ;;
	*) printf 'usage: %s fetch\n' "${0##*/}" >&2; exit 2 ;;
	esac
fi
