# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# shellcheck shell=sh
# Bad input the host cannot provoke: no kernel BTF (an empty file bind-mounted over it), MPTCP
# disabled in the traced namespace. One stderr line and the documented exit code each.

# one_line CODE PATTERN CMD...: exit code CODE and one stderr line matching PATTERN
one_line() {
	code=$1 pat=$2
	shift 2
	"$@" >"$W/bad.out" 2>"$W/bad.err"
	rc=$?
	cat "$W/bad.err"
	[ $rc -eq "$code" ] && [ "$(wc -l <"$W/bad.err")" -eq 1 ] && grep -q "$pat" "$W/bad.err"
}

phase_run() {
	mount --bind /dev/null /sys/kernel/btf/vmlinux
	one_line 4 'no kernel BTF' "$BIN/mptcp-evlat" -d 1
	check_rc badinput_no_btf $?
	"$BIN/mptcp-evlat" --check >"$W/bad.check" 2>&1
	[ $? -eq 4 ] && grep -q '^btf  *NO' "$W/bad.check"
	check_rc badinput_no_btf_check $?
	umount /sys/kernel/btf/vmlinux
	evlat_netns_sysctl evc net/mptcp/enabled 0
	one_line 5 'net.mptcp.enabled = 0' "$BIN/mptcp-evlat" -N evc -d 1
	check_rc badinput_mptcp_disabled $?
	evlat_netns_sysctl evc net/mptcp/enabled 1
}
