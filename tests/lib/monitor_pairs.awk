# `ip mptcp monitor` output -> "EVENT 0xTOKEN" lines (the names mptcp-evlat uses).
# Lines look like "[SF_ESTABLISHED] token=1a2b3c4d remid=1 locid=1 ..." with the
# name right-aligned; iproute2 6.1 predates the listener events (kernel 6.2)
# and prints them as "[UNKNOWN 15]" / "[UNKNOWN 16]", without a token.
BEGIN {
	split("CREATED created ESTABLISHED established CLOSED closed " \
	      "ANNOUNCED announced REMOVED removed SF_ESTABLISHED sub_established " \
	      "SF_CLOSED sub_closed SF_PRIO sub_priority " \
	      "LISTENER_CREATED listener_created LISTENER_CLOSED listener_closed", w, " ")
	for (i = 1; i in w; i += 2)
		name[w[i]] = w[i + 1]
	name["UNKNOWN 15"] = "listener_created"
	name["UNKNOWN 16"] = "listener_closed"
}
/^\[/ {
	ev = $0
	sub(/^\[ */, "", ev)
	sub(/\].*$/, "", ev)
	ev = (ev in name) ? name[ev] : "unknown:" ev
	tok = "00000000"
	if (match($0, /token=[0-9a-fA-F]+/)) {
		tok = tolower(substr($0, RSTART + 6, RLENGTH - 6))
		while (length(tok) < 8)
			tok = "0" tok
	}
	print ev, "0x" tok
}
