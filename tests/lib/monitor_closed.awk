# SPDX-License-Identifier: GPL-2.0
# `ip mptcp monitor` output -> "token sport dport error reset_reason reset_flags" per SF_CLOSED
# line ("-" for an attribute the line does not have; reset_flags in decimal), for comparing
# with mptcp-evlat's JSON. Host (tests/host/failure_modes.sh) and guests (busybox awk, mawk:
# no strtonum) alike.
function hex(s,  n, i) { # "0x1f" -> 31
	n = 0
	for (i = 3; i <= length(s); i++)
		n = n * 16 + index("0123456789abcdef", tolower(substr(s, i, 1))) - 1
	return n
}
/^\[ *SF_CLOSED\]/ {
	t = "-"; sp = "-"; dp = "-"; e = "-"; rr = "-"; rf = "-"
	for (i = 2; i <= NF; i++) {
		split($i, kv, "=")
		if (kv[1] == "token") t = sprintf("0x%8s", kv[2])
		else if (kv[1] == "sport") sp = kv[2]
		else if (kv[1] == "dport") dp = kv[2]
		else if (kv[1] == "error") e = kv[2]
		else if (kv[1] == "reset_reason") rr = kv[2]
		else if (kv[1] == "reset_flags") rf = hex(kv[2])
	}
	gsub(/ /, "0", t)
	print t, sp, dp, e, rr, rf
}
