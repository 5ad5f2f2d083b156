# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# A work directory and what to undo at exit, for tests/host/*.sh (bash).
#
#   . "$ROOT/tests/lib/work.sh"
#   work_start TAG        WORK=/tmp/evlat-TAG.XXXXXX; work_cleanup runs at exit
#   work_cleanup          work_on_exit (when the script defines it), kill and
#                         reap every pid in PIDS, stop_monitors and
#                         evlat_netns_down (when tests/lib/monitor.sh and
#                         netns.sh are sourced), then remove WORK unless KEEP
#                         is set (and not 0)
#   wait_line FILE PATTERN  until a line of FILE matches, at most 10 s

PIDS=
WORK=

work_start()
{
	WORK=$(mktemp -d "/tmp/evlat-$1.XXXXXX") || exit 2
	trap work_cleanup EXIT
}

work_cleanup()
{
	local p

	if declare -F work_on_exit >/dev/null; then work_on_exit; fi
	for p in $PIDS; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	PIDS=
	if declare -F stop_monitors >/dev/null; then stop_monitors; fi
	if declare -F evlat_netns_down >/dev/null; then evlat_netns_down >/dev/null 2>&1; fi
	[ -n "$WORK" ] || return 0
	if [ "${KEEP:-0}" != 0 ]; then
		echo "# work directory kept: $WORK"
	else
		rm -rf "$WORK"
	fi
}

wait_line()
{
	local _

	for _ in $(seq 100); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}
