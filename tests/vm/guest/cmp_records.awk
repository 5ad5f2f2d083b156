# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Compare two `mptcp-evlat --records` outputs taken side by side (fentry and
# --kprobes): every record but its ktime= and cpu= fields must be in both, as
# a multiset. Two tracers detach one after the other, and an MPTCP subflow may
# close just then: a record only one side has is accepted when it is later
# than the other side's last record (the other had detached), and counted.
#
#   awk -f cmp_records.awk A.txt B.txt
# Prints "compared=N late_a=N late_b=N" and one "only_a|only_b LINE" per
# mismatch; exit 0 when there is none and N > 0.
function key(line) { sub(/^ktime=[0-9]+ cpu=[0-9]+ /, "", line); return line }
$1 !~ /^ktime=/ { next }
{
	t = substr($1, 7) + 0
	k = key($0)
	side = FILENAME == ARGV[1] ? "a" : "b"
	n[side, k]++
	tm[side, k, n[side, k]] = t
	if (t > last[side]) last[side] = t
	keys[k] = 1
}
# the later of a key's times are the ones left over
function extra(side, other, k,    i, j, c, tt, cnt) {
	c = n[side, k] - n[other, k]
	if (c <= 0) return 0
	cnt = n[side, k]
	for (i = 1; i <= cnt; i++) tt[i] = tm[side, k, i]
	for (i = 1; i <= cnt; i++) for (j = i + 1; j <= cnt; j++)
		if (tt[j] < tt[i]) { x = tt[i]; tt[i] = tt[j]; tt[j] = x }
	for (i = cnt - c + 1; i <= cnt; i++) {
		if (tt[i] > last[other]) late[side]++
		else { bad++; print "only_" side " " k }
	}
	return c
}
END {
	for (k in keys) {
		m = n["a", k] < n["b", k] ? n["a", k] : n["b", k]
		compared += m
		extra("a", "b", k)
		extra("b", "a", k)
	}
	printf "compared=%d late_a=%d late_b=%d\n", compared, late["a"] + 0, late["b"] + 0
	exit (bad || !compared) ? 1 : 0
}
