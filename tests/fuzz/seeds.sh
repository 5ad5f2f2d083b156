#!/bin/bash
# Seed corpora for the fuzz harnesses, written under build/ (never committed):
#   OUT/nl_decode/  one file per datagram of tests/data/*.nlbin (4-byte LE length
#                   + datagram, tests/data/README.md), plus one datagram of two messages
#   OUT/correlate/  hand-made operation scripts (format: fuzz_correlate.c)
#   OUT/record/     hand-made 72-byte ring-buffer records (include/evlat_record.h)
# Usage: tests/fuzz/seeds.sh [OUT]   (default build/fuzz/corpus; run from the repo root)
# Files already in OUT (what earlier fuzzing found) are kept.
set -euo pipefail

out=${1:-build/fuzz/corpus}
data=${EVLAT_TEST_DATA:-tests/data}
family_id=28 # FUZZ_FAMILY_ID in fuzz_nl_decode.c

mkdir -p "$out/nl_decode" "$out/correlate" "$out/record"

# hex digits (white space ignored) -> bytes
unhex() {
	local h esc='' i
	h=$(tr -d '[:space:]' <<<"$1")
	if [[ ! $h =~ ^([0-9a-fA-F]{2})*$ ]]; then
		echo "seeds: bad hex: $1" >&2
		exit 1
	fi
	for ((i = 0; i < ${#h}; i += 2)); do
		esc+="\\x${h:i:2}"
	done
	printf '%b' "$esc"
}

# u32 little-endian at byte offset $2 of file $1
u32le() {
	local b
	read -r -a b < <(od -An -tu1 -j "$2" -N4 "$1")
	((${#b[@]} == 4)) || return 1
	echo $((b[0] | b[1] << 8 | b[2] << 16 | b[3] << 24))
}

# ---- nl_decode: the recorded datagrams ---------------------------------------
total=0
for bin in "$data"/*.nlbin; do
	name=$(basename "$bin" .nlbin)
	meta="$data/$name.meta"
	if ! grep -qx "family_id=$family_id" "$meta"; then
		echo "seeds: $meta: family_id is not $family_id (fuzz_nl_decode.c decodes with it)" >&2
		exit 1
	fi
	size=$(stat -c %s "$bin")
	off=0 n=0
	while ((off < size)); do
		len=$(u32le "$bin" "$off") || {
			echo "seeds: $bin: truncated length at byte $off" >&2
			exit 1
		}
		if ((off + 4 + len > size)); then
			echo "seeds: $bin: datagram at byte $off runs past the end" >&2
			exit 1
		fi
		tail -c +$((off + 5)) "$bin" | head -c "$len" >"$(printf '%s/%s-%03d' "$out/nl_decode" "$name" "$n")"
		off=$((off + 4 + len)) n=$((n + 1))
	done
	total=$((total + n))
done
# genl_listener_feed() walks every message of a datagram: give it two (each is 4-byte aligned)
cat "$out/nl_decode/v4.client-000" "$out/nl_decode/v4.client-001" >"$out/nl_decode/two-messages"

# ---- correlate: byte 0 capacity-1, byte 1 timeout/8-1, then op what key dt ----
# op: 0 hook, 1 netlink (bits 3-6 leave out token/addresses/ports/ids), 2 send,
# 3 expire, 6 ignored record, 7 flush; what: event index | subflow << 4 | 0x40 mapped;
# key: token | netns << 2 | hook-age (4 ns units) << 3; dt: clock step - 1 (ns)
nseeds=0
seed() {
	unhex "$2" >"$out/correlate/$1"
	nseeds=$((nseeds + 1))
}
# hook, send, netlink: delivered at once with all three timestamps
seed in-order '07 0f  00 05 11 01  02 05 01 01  01 05 01 01'
# netlink first, the hook later (older time), no send: delivered at the expiry
seed nl-first '07 0f  01 02 02 01  00 02 12 01  03 00 00 01'
# two hooks with no event, one event with no hook: not_delivered x2, unmatched
seed expiry '07 0f  00 00 01 00  00 01 02 00  03 00 00 ff  01 07 03 00  03 00 00 ff'
# a table of 2 and four hooks: the two oldest are evicted
seed evict '01 0f  00 00 01 01  00 00 02 01  00 00 03 01  00 05 01 01  07 00 00 00'
# listener created, hook IPv4-mapped, event IPv4 without token or ids; then a send
seed listener-mapped '07 0f  00 48 0c 01  49 08 04 01  02 08 04 01  07 00 00 00'
# announced and removed of address 1; a close_ssk record that must be ignored
seed announce-remove '03 3f  01 13 02 01  00 13 0a 01  01 04 02 01  00 14 0a 01  06 06 00 01  03 00 00 ff'
# same key twice (two subflows of one token): each event to its own hook
seed two-subflows '07 0f  00 05 01 01  00 15 01 01  01 15 01 01  01 05 01 01  03 00 00 01'

# ---- record: kind event family loc rem backup sk ssk | cpu netns token gfp |
#      sport dport flags pad[3] | ktime | saddr[16] | daddr[16]
nrecs=0
rec() {
	unhex "$2" >"$out/record/$1"
	nrecs=$((nrecs + 1))
}
v4_addrs='0a000101 000000000000000000000000  0a000102 000000000000000000000000'
rec created-v4 "01 01 02 00 00 00 02 01  01000000 fdcd00f0 4d3c2b1a 20080000
	7427 409c 01 000000  00e40b5402000000  $v4_addrs"
rec send '06 0b 00 00 00 00 00 00  00000000 fdcd00f0 4d3c2b1a 00000000
	0000 0000 00 000000  10e40b5402000000
	00000000000000000000000000000000 00000000000000000000000000000000'
rec listener-v6 '05 0f 0a 00 00 00 0a 00  02000000 fdcd00f0 00000000 c00c0000
	7427 0000 01 000000  20e40b5402000000
	fd000001000000000000000000000001 00000000000000000000000000000000'
rec close-ssk-mapped "04 00 0a 01 01 01 01 01  03000000 fdcd00f0 4d3c2b1a 00000000
	7427 419c 0f 000000  30e40b5402000000
	00000000000000000000ffff0a000101 00000000000000000000ffff0a000102"

echo "seeds: $total recorded datagrams, $nseeds correlator scripts, $nrecs records in $out"
