# mptcpd's netlink traffic, decoded from strace's record of it (strace -f -xx -e trace=socket,
# sendto,sendmsg,recvmsg): mptcpd 0.12 logs no line per event it reads or command it sends.
# Usage: awk -v fam=FAMILY_ID -f strace_nl.awk mptcpd.strace
# FAMILY_ID: the mptcp_pm generic netlink family id (mptcp-evlat --check prints it).
# Prints, in the order strace saw them:
#   cmd seq=S cmd=N token=0xT      a request of the mptcp_pm family (token 0x00000000: none)
#   event cmd=N token=0xT          an event read off the socket (type FAMILY_ID, seq 0)
#   ack seq=S error=E              the kernel's answer to request S (0 or a negative errno)
#   dump_done seq=S                the end of a dump the generic netlink socket asked for
#   addr_dump_done                 the route socket's address dump is over: mptcpd knows the
#                                  namespace's addresses
# strace prints the bytes a call moved as "\xHH" escapes (-xx), so every message is decoded
# here from its bytes: nlmsghdr (len u32, type u16, flags u16, seq u32, pid u32), genlmsghdr
# (cmd u8, version u8, reserved u16), attributes (len u16, type u16, value).
BEGIN {
	for (i = 0; i < 16; i++)
		hexval[substr("0123456789abcdef", i + 1, 1)] = i
}

# bytes STR: fills b[0..n-1] with the bytes of the first "..." string of STR; returns n
function bytes(str,    q, e, s, n, parts, i) {
	q = index(str, "\"")
	if (!q)
		return 0
	s = substr(str, q + 1)
	e = index(s, "\"")
	s = substr(s, 1, e - 1)
	n = split(s, parts, "\\\\x")
	delete b
	for (i = 2; i <= n; i++)
		b[i - 2] = hexval[substr(parts[i], 1, 1)] * 16 + hexval[substr(parts[i], 2, 1)]
	return n - 1
}

function u16(o) { return b[o] + 256 * b[o + 1] }
function u32(o) { return u16(o) + 65536 * u16(o + 2) }
function s32(o,    v) { v = u32(o); return v >= 2147483648 ? v - 4294967296 : v }

# token(off, end, want): attribute WANT (MPTCP_PM_ATTR_TOKEN 4, MPTCP_ATTR_TOKEN 1), in hex
# (two halves: busybox awk prints no %x above 2^31)
function token(off, end, want,    len, type) {
	while (off + 4 <= end) {
		len = u16(off)
		type = u16(off + 2) % 16384
		if (len < 4)
			break
		if (type == want && len >= 8)
			return sprintf("0x%04x%04x", u16(off + 6), u16(off + 4))
		off += int((len + 3) / 4) * 4
	}
	return "0x00000000"
}

# the fd a call is on: "recvmsg(4, ..." after strace's pid column
function fd_of(line,    s) {
	s = substr(line, index(line, "(") + 1)
	return substr(s, 1, index(s, ",") - 1) + 0
}

/ socket\(AF_NETLINK, .*NETLINK_GENERIC\) = [0-9]+$/ { genl[$NF] = 1; next }
/ socket\(AF_NETLINK, .*NETLINK_ROUTE\) = [0-9]+$/ { rtnl[$NF] = 1; next }

/ sendto\(/ {
	fd = fd_of($0)
	if (rtnl[fd] && $0 ~ /nlmsg_type=(RTM_GETADDR|0x16)[ ,]/ && match($0, /nlmsg_seq=[0-9]+/))
		addr_dump[fd] = substr($0, RSTART + 10, RLENGTH - 10)
	if (!genl[fd] || $0 !~ ("nlmsg_type=(mptcp_pm|" sprintf("0x%x", fam) ")[ ,]"))
		next
	match($0, /nlmsg_seq=[0-9]+/)
	seq = substr($0, RSTART + 10, RLENGTH - 10)
	# the payload string starts at the genetlink header
	n = bytes(substr($0, index($0, "}, \"") + 3))
	printf "cmd seq=%s cmd=%d token=%s\n", seq, b[0], token(4, n, 4)
	next
}

/ recvmsg\(/ && /iov_base="/ {
	fd = fd_of($0)
	n = bytes(substr($0, index($0, "iov_base=")))
	for (off = 0; off + 16 <= n; off += int((len + 3) / 4) * 4) {
		len = u32(off)
		type = u16(off + 4)
		seq = u32(off + 8)
		if (len < 16)
			break
		if (rtnl[fd] && type == 3 && (fd in addr_dump) && seq == addr_dump[fd])
			print "addr_dump_done"
		if (!genl[fd])
			continue
		if (type == fam && seq == 0)
			printf "event cmd=%d token=%s\n", b[off + 16], token(off + 20, off + len, 1)
		else if (type == 2)
			printf "ack seq=%d error=%d\n", seq, s32(off + 16)
		else if (type == 3)
			printf "dump_done seq=%d\n", seq
	}
}
