# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
# Compare two `mptcp-evlat --records` outputs taken side by side, A with fentry programs
# (direct reads) and B with --kprobes (bpf_probe_read_kernel()): the same calls must give the
# same records, as a multiset, in every field that cannot change between the two probes of
# one call. Both probes run at the entry of the same call, one after the other, and read the
# kernel's memory at two moments: a field another CPU may write in between differs now and
# then for a reason that is not ours (a peer's FIN processed on the other CPU moved a subflow
# from ESTABLISHED to CLOSE_WAIT between the two reads of mptcp_close_ssk(): sid 7.2.13 and
# experimental 7.3-rc7, 2026-12-02). Kernel facts below from Linux 6.1.192 (net/mptcp/,
# net/ipv4/); 6.12 and 7.2 write these fields in the same places.
#
# Compared (written before the first event of their socket, or only under a lock that every
# caller of the probed function holds, or an argument of the call):
#   kind, event, gfp   which probe fired and the call's own arguments
#   netns              sock_net() is set when the socket is allocated and never changes
#   token              msk->token is written once, when the connection is created
#                      (mptcp_token_new_connect(), mptcp_sk_clone() at accept)
#   family, saddr, daddr, dport
#                      set by connect/accept; reset only by tcp_disconnect(), which runs with
#                      the subflow owned (lock_sock) by a thread that also holds the MPTCP
#                      socket's lock: not while a softirq of that subflow sends an event, nor
#                      while a caller of mptcp_close_ssk() holds the MPTCP socket
#   rem_id             announced/removed: the call's argument; a subflow's remote_id is set
#                      when the subflow is created (clone, or the MP_JOIN SYN-ACK), before any
#                      event of it
#   loc_id             subflow->local_id is set once (clone, or when its SYN is built:
#                      subflow_chk_local_id()), before the subflow's first event, and back to
#                      -1 only by a disconnect, under the MPTCP socket's lock
#   close_event_done   written only by mptcp_close_ssk() itself, after the probes, and every
#                      caller holds the MPTCP socket's lock (pm_netlink, pm_userspace, worker)
# Not compared (another CPU may write them at any time):
#   sk_state, ssk_state  the TCP state machines of the connection and of its subflows move
#                      on packets processed in softirq on any CPU
#   sport              tcp_done() on a peer's RST (softirq, any CPU) moves the subflow to
#                      TCP_CLOSE, and tcp_set_state() then releases its port: inet_num = 0
#                      (inet_put_port(), net/ipv4/inet_hashtables.c)
#   backup             printed as backup || request_bkup: an MP_PRIO received in softirq
#                      writes subflow->backup (mptcp_pm_mp_prio_received()), the path manager
#                      writes request_bkup under the subflow's lock only
# Their reads are still checked, for what does not depend on timing: on both sides every state
# must be one the kernel has (a wrong offset or size prints a number instead of a name; send
# records, which have no socket, print sk_state=0).
#
# The two tracers stop one after the other, after every MPTCP socket is gone (suite: settle),
# so normally both saw the same calls; a record only one side has is still accepted when it is
# later than the other side's last record (the other had stopped), and counted.
#
# A record one side lacks is also accepted, up to the number of probe calls the kernel
# skipped for that side (its "probe misses": bpf_prog_info.recursion_misses, printed by
# mptcp-evlat at exit). The kernel does not re-enter a program on a CPU where it is already
# running, and an fentry program runs preemptible: on sid's PREEMPT_LAZY 7.2.13 a task
# preempted inside fe_event made another task's mptcp_event() on that CPU go unrecorded
# (doc/kernel-notes.md "Probe misses"). Such records are counted as "missed_a/missed_b";
# more differences than misses fail.
#
#   awk -v misses_a=N -v misses_b=N -f cmp_records.awk A.txt B.txt
# Prints "compared=N late_a=N late_b=N missed_a=N missed_b=N bad_state=N", then one
# "only_a|only_b KEY" or "bad_state a|b LINE" per unexplained mismatch; exits 0 when there is
# none and N > 0.

# the record without its time, CPU and the fields another CPU may change; without the
# broadcast ids and hook times, which each tracer numbers and links on its own (the
# --kprobes one has no consumer probes, whose task context gives them)
function key(line) {
	sub(/^ktime=[0-9]+ cpu=[0-9]+ /, "", line)
	gsub(/ (sk_state|ssk_state|sport|backup|bcast|hook_ktime)=[^ ]*/, "", line)
	return line
}
$1 !~ /^ktime=/ { next }
# the consumer records: fentry/fexit only, the --kprobes tracer has none
/ kind=(queued|overrun|read|nolistener|gone) / { next }
{
	side = FILENAME == ARGV[1] ? "a" : "b"
	# a TCP state the kernel does not have: the read itself is wrong (send records have no
	# socket: sk_state=0 there)
	if ($0 ~ / s?sk_state=[0-9]/ && !($0 ~ / kind=send / && $0 ~ / sk_state=0/)) {
		bad_state++
		out[++nout] = "bad_state " side " " $0
	}
	t = substr($1, 7) + 0
	k = key($0)
	n[side, k]++
	tm[side, k, n[side, k]] = t
	if (t > last[side]) last[side] = t
	keys[k] = 1
}
# the later of a key's times are the ones left over
function extra(side, other, k,    i, j, c, tt, cnt, x) {
	c = n[side, k] - n[other, k]
	if (c <= 0) return 0
	cnt = n[side, k]
	for (i = 1; i <= cnt; i++) tt[i] = tm[side, k, i]
	for (i = 1; i <= cnt; i++) for (j = i + 1; j <= cnt; j++)
		if (tt[j] < tt[i]) { x = tt[i]; tt[i] = tt[j]; tt[j] = x }
	for (i = cnt - c + 1; i <= cnt; i++) {
		if (tt[i] > last[other]) late[side]++
		else if (missed[other] < allowed[other]) missed[other]++
		else { bad++; out[++nout] = "only_" side " " k }
	}
	return c
}
END {
	allowed["a"] = misses_a + 0
	allowed["b"] = misses_b + 0
	for (k in keys) {
		m = n["a", k] < n["b", k] ? n["a", k] : n["b", k]
		compared += m
		extra("a", "b", k)
		extra("b", "a", k)
	}
	printf "compared=%d late_a=%d late_b=%d missed_a=%d missed_b=%d bad_state=%d\n", compared,
		late["a"] + 0, late["b"] + 0, missed["a"] + 0, missed["b"] + 0, bad_state + 0
	for (i = 1; i <= nout; i++) print out[i]
	exit (bad || bad_state || !compared) ? 1 : 0
}
