#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# make test-own-kernel (root): the "your own kernel" path of make vmtest, both ways.
#   - make vmtest KERNEL=<a cached Debian vmlinuz, by path> MODULES=<its modules>, two phases:
#     the kernel passes the checks before booting, boots, passes, and the table names it;
#   - the checks before booting, each on a real kernel image made to lack one requirement:
#     its modules without veth.ko; an arm64 Image whose BTF header is overwritten (the kernel
#     then has no usable BTF); the same Image with the name mptcp_sock changed in its BTF
#     strings (the check reads MPTCP from there). Each: one line naming what is missing, exit 4,
#     nothing booted;
#   - the same no-BTF Image booted anyway (--no-kernel-check): the guest says what the kernel
#     lacks, and the run fails.
# Uses the kernels of the matrix (tests/vm/kernels.sh fetch trixie, EVLAT_KERNEL_FLAVOUR=cloud-arm64
# fetch sid), cached after make vmtest. KEEP=1 keeps the work directory.
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/lib.sh
. "$ROOT/tests/lib/lib.sh"

[ "$(id -u)" -eq 0 ] || bail "own_kernel.sh: needs root (QEMU guests, make vmtest)"
work_start own-kernel
X86=$("$HERE/kernels.sh" fetch trixie 2>"$WORK/fetch.err") || bail "no trixie kernel: $(tail -n 1 "$WORK/fetch.err")"
ARM=$(EVLAT_KERNEL_FLAVOUR=cloud-arm64 "$HERE/kernels.sh" fetch sid 2>>"$WORK/fetch.err") ||
	bail "no sid arm64 kernel: $(tail -n 1 "$WORK/fetch.err")"
# its guests' artifacts beside the matrix's, not over them (the trixie and arm64 releases are the
# matrix's own): build/vm-own-kernel/<release>/
export EVLAT_VM_OUT=$ROOT/build/vm-own-kernel
KVER=$(sed -n 's/^release=//p' "$X86/version")

# run NAME ARGS...: tests/vm/run ARGS, exit code in RC, stdout and stderr in $WORK/NAME.*
run() {
	local name=$1
	shift
	"$HERE/run" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
	RC=$?
}

# refused NAME WHAT PATTERN ARGS...: exit 4, one "vm: error:" line matching PATTERN, no boot
refused() {
	local name=$1 what=$2 pat=$3
	shift 3
	run "$name" "$@"
	if [ "$RC" -eq 4 ] && [ "$(grep -c '^vm: error:' "$WORK/$name.err")" -eq 1 ] &&
		grep -q "^vm: error: .*$pat" "$WORK/$name.err" && ! grep -q booting "$WORK/$name.err"; then
		ok "$what: exit 4, $(grep '^vm: error:' "$WORK/$name.err")"
	else
		not_ok "$what: want exit 4 and one line with '$pat' before booting, got exit $RC:"
		sed 's/^/    /' "$WORK/$name.err" | tail -n 15
	fi
}

# --- a kernel by path, through make ------------------------------------------------------------
make -C "$ROOT" --no-print-directory vmtest KERNEL="$X86/vmlinuz" MODULES="$X86/modules" \
	EVLAT_PHASES=selfcheck,records >"$WORK/make.out" 2>&1
rc=$?
sed 's/^/    /' "$WORK/make.out" | grep -E 'vm: |PASS|FAIL|error' | tail -n 8
check_rc "make vmtest KERNEL=<trixie vmlinuz> MODULES=...: exit 0" $rc
check "its checks passed before booting" grep -q ': BTF, MPTCP and veth .*present' "$WORK/make.out"
grep '^(--kernel) ' "$WORK/make.out" | grep -F " $KVER " | grep -q '| PASS$'
check_rc "the table names it: (--kernel), $KVER, PASS" $?

# --- what the checks refuse ----------------------------------------------------------------------
mkdir -p "$WORK/noveth"
cp -a "$X86/modules/." "$WORK/noveth/"
find "$WORK/noveth" -name 'veth.ko*' -delete
refused noveth "modules without veth.ko" "no veth (CONFIG_VETH)" \
	--kernel "$X86/vmlinuz" --modules "$WORK/noveth" --phases selfcheck

# the arm64 Image keeps its BTF uncompressed: its header (magic 0xeB9F, version 1, hdr_len 24)
off=$(LC_ALL=C grep -obUaP '\x9f\xeb\x01\x00\x18\x00\x00\x00' "$ARM/vmlinuz" | head -n 1 | cut -d: -f1)
if [ -z "$off" ]; then
	not_ok "no BTF header found in $ARM/vmlinuz"
else
	cp "$ARM/vmlinuz" "$WORK/nobtf.Image"
	printf '\0\0\0\0\0\0\0\0' | dd of="$WORK/nobtf.Image" bs=1 seek="$off" conv=notrunc status=none
	refused nobtf "an arm64 Image without BTF" "no BTF (CONFIG_DEBUG_INFO_BTF=y)" \
		--kernel "$WORK/nobtf.Image" --modules "$ARM/modules" --phases selfcheck
	perl -0777 -pe 's/\0mptcp_sock\0/\0mptcp_xock\0/' "$ARM/vmlinuz" >"$WORK/nomptcp.Image"
	if cmp -s "$ARM/vmlinuz" "$WORK/nomptcp.Image"; then
		not_ok "the name mptcp_sock was not found in the BTF strings"
	else
		refused nomptcp "an arm64 Image whose BTF has no struct mptcp_sock" \
			"no MPTCP (CONFIG_MPTCP=y)" \
			--kernel "$WORK/nomptcp.Image" --modules "$ARM/modules" --phases selfcheck
	fi
	# booted all the same, the guest finds it out
	run nobtf-boot --kernel "$WORK/nobtf.Image" --modules "$ARM/modules" --no-kernel-check \
		--phases selfcheck
	grep -E '^\(--kernel\)' "$WORK/nobtf-boot.out" | sed 's/^/    /'
	check_rc "booted anyway (--no-kernel-check): exit 1, got $RC" $((RC != 1))
	check "the guest says: the kernel lacks: no BTF" \
		grep -Eq '^\(--kernel\) .*FAIL: .*the kernel lacks: no BTF' "$WORK/nobtf-boot.out"
fi
results_done
