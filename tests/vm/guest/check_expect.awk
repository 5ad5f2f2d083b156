# Match the traffic generator's expectations against the tracer's records.
# Usage: awk -f check_expect.awk expect.txt records.txt
# expect.txt: "expect netns=N event=NAME token=0xT" lines (tests/trafgen)
# records.txt: mptcp-evlat record lines ("ktime=... netns=N kind=K event=NAME token=0xT ...")
# Prints one line per missing expectation and a summary; exits 1 on any miss.
function kv(line, key,    n, i, f, parts) {
	n = split(line, f, " ")
	for (i = 1; i <= n; i++) {
		split(f[i], parts, "=")
		if (parts[1] == key)
			return substr(f[i], length(key) + 2)
	}
	return ""
}
FNR == NR {
	if ($1 != "expect")
		next
	k = kv($0, "netns") " " kv($0, "event") " " kv($0, "token")
	want[k]++
	order[++nwant] = k
	next
}
/^ktime=/ {
	kind = kv($0, "kind")
	if (kind == "close_ssk")
		next
	ev = kv($0, "event")
	tok = kv($0, "token")
	if (kind == "listener")
		tok = "0x00000000"
	got[kv($0, "netns") " " ev " " tok]++
	types[ev]++
}
END {
	miss = 0
	for (i = 1; i <= nwant; i++) {
		k = order[i]
		if (seen[k]++)
			continue
		if (got[k] < want[k]) {
			printf "MISSING: netns event token = %s: expected %d, got %d\n", k, want[k], got[k] + 0
			miss++
		}
	}
	for (t in types)
		printf "records: %s=%d\n", t, types[t]
	printf "expectations: %d, missing: %d\n", nwant, miss
	exit miss ? 1 : 0
}
