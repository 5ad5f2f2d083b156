#!/bin/sh
# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# The end-to-end suite inside each QEMU guest (busybox sh + static binaries): the phases of
# tests/vm/guest/phases/, in the order of their file names, each in fresh network namespaces.
#
#   EVLAT_PHASES=records,fault   only these phases (names as in NN-NAME.sh), in file order;
#                                empty: all. tests/vm/run passes it in and rejects unknown ones.
#
# For each phase: evlat_netns_up (checked: netns_up_NAME), then, in a subshell, the phase file
# is sourced and its phase_run called with W (its own work directory) set; jobs it left
# running are killed (and reported), the namespaces deleted, and its time reported
# (phase_NAME_ms). The phase contract is in tests/vm/README.md. Results: key=value lines in
# $EVLAT_RESULT (tests/lib/lib.sh: check_NAME=pass|fail|skip); exits 1 when a check failed.
set -u
EVLAT_BIN=${EVLAT_BIN:-/opt/evlat/bin}
EVLAT_GUEST=${EVLAT_GUEST:-/opt/evlat/guest}
EVLAT_LIB=${EVLAT_LIB:-/opt/evlat/lib}
EVLAT_RESULT=${EVLAT_RESULT:-/tmp/result.kv}
IP=${IP:-/usr/sbin/ip}
export EVLAT_RESULT IP
# shellcheck source-path=SCRIPTDIR source=../../lib/lib.sh
. "$EVLAT_LIB/lib.sh"
# shellcheck source-path=SCRIPTDIR source=common.sh
. "$EVLAT_GUEST/common.sh"

PHASE_DIR=$EVLAT_GUEST/phases
WORK_ROOT=/tmp/evlat-e2e

phase_name() { # FILE: .../20-records.sh -> records
	_n=${1##*/}
	_n=${_n#[0-9][0-9]-}
	echo "${_n%.sh}"
}

selected() { # NAME: in EVLAT_PHASES, or EVLAT_PHASES empty
	[ -z "${EVLAT_PHASES:-}" ] && return 0
	case ",$EVLAT_PHASES," in *",$1,"*) return 0 ;; esac
	return 1
}

# every name of EVLAT_PHASES has a phase file (the host checked it already; a guest run by
# hand gets the same answer)
known_phases() {
	_bad=
	for _p in $(echo "${EVLAT_PHASES:-}" | tr ',' ' '); do
		_found=0
		for _f in "$PHASE_DIR"/[0-9][0-9]-*.sh; do
			[ "$(phase_name "$_f")" = "$_p" ] && _found=1
		done
		[ $_found = 1 ] || _bad="$_bad $_p"
	done
	[ -z "$_bad" ] || echo "suite: unknown phase(s):$_bad"
	[ -z "$_bad" ]
}

# What every phase needs of the kernel, one line each that is missing. tests/vm/run checks the
# same before booting when it can read the kernel's BTF (a kernel given with --kernel).
requirements() {
	_miss=
	"$EVLAT_BIN/mptcp-evlat" --check >"$WORK_ROOT/requirements.check" 2>&1
	grep -Eq '^btf +yes' "$WORK_ROOT/requirements.check" ||
		_miss="no BTF (CONFIG_DEBUG_INFO_BTF=y): $(grep -E '^btf ' "$WORK_ROOT/requirements.check" | tr -s ' ')"
	[ -e /proc/sys/net/mptcp/enabled ] || _miss="${_miss:+$_miss; }no MPTCP (CONFIG_MPTCP=y)"
	if "$IP" link add evlat-req0 type veth peer name evlat-req1 2>/dev/null; then
		"$IP" link del evlat-req0
	else
		_miss="${_miss:+$_miss; }no veth (CONFIG_VETH, or veth.ko in --modules)"
	fi
	[ -z "$_miss" ] && return 0
	echo "suite: this kernel lacks: $_miss"
	report requirements_missing "$_miss"
	return 1
}

# run_phase FILE NAME
run_phase() {
	W=$WORK_ROOT/$2
	mkdir -p "$W"
	echo "=== phase $2 (${1##*/})"
	_t0=$(now_ms)
	evlat_netns_up >"$W/netns.log" 2>&1
	_rc=$?
	[ $_rc -eq 0 ] || cat "$W/netns.log"
	check_rc "netns_up_$2" $_rc
	if [ $_rc -eq 0 ]; then
		(
			# shellcheck disable=SC1090 # the phase file
			. "$1"
			phase_run
			jobs -p >"$W/.jobs"
			_left=0
			while read -r _j; do
				alive "$_j" || continue
				echo "suite: phase $2 left pid $_j running: killed"
				kill -KILL "$_j" 2>/dev/null
				_left=$((_left + 1))
			done <"$W/.jobs"
			wait 2>/dev/null
			[ $_left -eq 0 ] || report "phase_$2_leftover_jobs" $_left
		)
	fi
	evlat_netns_down
	report "phase_$2_ms" $(($(now_ms) - _t0))
}

mkdir -p "$WORK_ROOT"
known_phases
check_rc phases_known $?
requirements
if ! check_rc kernel_requirements $?; then
	report phases ""
	results_done
	exit 1
fi
ran=
for f in "$PHASE_DIR"/[0-9][0-9]-*.sh; do
	name=$(phase_name "$f")
	selected "$name" || continue
	run_phase "$f" "$name"
	ran="$ran${ran:+,}$name"
done
report phases "$ran"
results_done
rc=$?
report failures "$(grep -c '^check_[A-Za-z0-9_]*=fail$' "$EVLAT_RESULT")"
exit $rc
