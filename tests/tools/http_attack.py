#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Hostile and honest HTTP clients for tests/host/http_attack.sh (stdlib only).

  http_attack.py attack --port P [--tls CAFILE] [--slow N] [--trickle S]
                 [--oversize] [--badpass CONC] [--user U] --duration S
      Holds N slow connections (a partial request line, one more byte every
      S seconds; reconnected when the server drops them), sends oversized
      requests back to back (a 200 kB URL, then 200 headers of 1 kB) and
      reads their status, and with --badpass floods wrong passwords for U
      from CONC keep-alive connections. Prints "holding N" once the slow
      connections are open, then at the end one line:
        attack slow=N connects=C dropped=D oversize=O s414=A s431=B other=X
               badpass=P s401=Q s503=R s200=S
  http_attack.py scrape --port P [--tls CAFILE] [--user U:PASS]
                 --interval S --duration S
      GET /metrics every S seconds, each on a new connection with a 1 s
      timeout; a scrape succeeds with 200 and a body that has
      mptcp_evlat_build_info. Prints one line:
        scrape n=N ok=K max_ms=M p99_ms=Q p50_ms=H
      and exits 0 only when every scrape succeeded.

  http_attack.py analyse --json FILE... --genl FILE --phases FILE --netns INO
      For each line "NAME START_NS END_NS EXPECT_FILE..." of --phases: the
      events trafgen listed for namespace INO in the EXPECT_FILEs against
      the JSON event lines of mptcp-evlat received between START and END,
      and each against the same event as the reference listener (--genl:
      genl_listen's output) stamped it; prints one line a phase:
        phase NAME expected=E received=R missing=M unexpected=U
              delta_us_p50=A delta_us_p99=B delta_us_max=C
      delta: mptcp-evlat's receive time minus the reference's, both
      CLOCK_MONOTONIC: how long our loop took to get to the event.

Every loop is bounded by --duration; every address is 127.0.0.1.
"""
import argparse
import base64
import collections
import json
import select
import socket
import ssl
import sys
import threading
import time

HOST = "127.0.0.1"
BIG_URL = b"GET /" + b"a" * 200000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
BIG_HDRS = (b"GET /metrics HTTP/1.1\r\nHost: x\r\n" +
            b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 1000) for i in range(200)) + b"\r\n")
SLOW_LINE = b"GET /metrics?" + b"a" * 4000  # never ends: one byte at a time


def tls_context(cafile):
    if not cafile:
        return None
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.check_hostname = False  # the test certificate names 127.0.0.1; no DNS here
    return ctx


def connect(ctx, timeout=2.0):
    s = socket.create_connection((HOST, ARGS.port), timeout=timeout)
    # as Go's net package (Prometheus) and curl: else Nagle holds the request
    # behind the unacknowledged TLS Finished for a delayed ACK (40 ms)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if ctx:
        s = ctx.wrap_socket(s)
    return s


class Counts:
    def __init__(self):
        self.lock = threading.Lock()
        self.c = {}

    def add(self, key, n=1):
        with self.lock:
            self.c[key] = self.c.get(key, 0) + n

    def get(self, key):
        return self.c.get(key, 0)


def status_of(data):
    parts = data.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


def slow_open(ctx, counts):
    try:
        s = connect(ctx)
        s.sendall(SLOW_LINE[:4])
        s.setblocking(False)
        counts.add("connects")
        return [s, 4]
    except OSError:
        counts.add("connect_errors")
        return None


def alive(entry):
    """False once the server closed or reset the connection."""
    s = entry[0]
    try:
        r, _, _ = select.select([s], [], [], 0)
        if r and not s.recv(4096):
            return False
        return True
    except (ssl.SSLWantReadError, BlockingIOError):
        return True
    except OSError:
        return False


def slow_clients(ctx, n, trickle, end, counts, ready):
    conns = [slow_open(ctx, counts) for _ in range(n)]
    ready.set()
    while time.monotonic() < end:
        for i, e in enumerate(conns):
            if e is None or not alive(e):
                if e is not None:
                    counts.add("dropped")
                    e[0].close()
                conns[i] = slow_open(ctx, counts)
                continue
            try:
                e[0].send(SLOW_LINE[e[1]:e[1] + 1])
                e[1] = min(e[1] + 1, len(SLOW_LINE) - 1)
            except (ssl.SSLWantWriteError, BlockingIOError):
                pass
            except OSError:
                counts.add("dropped")
                e[0].close()
                conns[i] = None
        time.sleep(trickle)
    for e in conns:
        if e:
            e[0].close()


def oversize_once(ctx, data, counts):
    """Send while reading: the server answers before it has read everything."""
    try:
        s = connect(ctx)
    except OSError:
        counts.add("other")
        return
    s.setblocking(False)
    sent, resp, deadline = 0, b"", time.monotonic() + 3
    while time.monotonic() < deadline and b"\r\n" not in resp:
        w = [s] if sent < len(data) else []
        r, w, _ = select.select([s], w, [], 0.2)
        try:
            if w:
                sent += s.send(data[sent:sent + 16384])
            if r:
                d = s.recv(4096)
                if not d:
                    break
                resp += d
        except (ssl.SSLWantReadError, ssl.SSLWantWriteError, BlockingIOError):
            pass
        except OSError:
            sent = len(data)  # reset while sending: read what came
            if not r:
                break
    s.close()
    code = status_of(resp)
    counts.add("s%d" % code if code in (414, 431) else "other")


def oversize(ctx, end, counts):
    while time.monotonic() < end:
        for data in (BIG_URL, BIG_HDRS):
            oversize_once(ctx, data, counts)
            counts.add("oversize")
        time.sleep(0.05)


def badpass(ctx, user, end, counts, k):
    """One connection per wrong password: a handshake each, as a guesser would."""
    n = 0
    while time.monotonic() < end:
        n += 1
        cred = base64.b64encode(b"%s:wrong-%d-%d" % (user.encode(), k, n))
        req = (b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
               b"Authorization: Basic %s\r\n\r\n" % cred)
        try:
            s = connect(ctx)
            s.sendall(req)
            code = status_of(s.recv(4096))
            s.close()
        except OSError:
            code = 0
        counts.add("badpass")
        counts.add("s%d" % code if code in (200, 401, 503) else "other")


def attack():
    ctx = tls_context(ARGS.tls)
    end = time.monotonic() + ARGS.duration
    counts, ready, threads = Counts(), threading.Event(), []
    if ARGS.slow:
        threads.append(threading.Thread(target=slow_clients,
                                        args=(ctx, ARGS.slow, ARGS.trickle, end, counts, ready)))
    else:
        ready.set()
    if ARGS.oversize:
        threads.append(threading.Thread(target=oversize, args=(ctx, end, counts)))
    for k in range(ARGS.badpass):
        threads.append(threading.Thread(target=badpass, args=(ctx, ARGS.user, end, counts, k)))
    for t in threads:
        t.start()
    ready.wait()
    print("holding %d" % ARGS.slow, flush=True)
    for t in threads:
        t.join()
    print("attack slow=%d connects=%d dropped=%d oversize=%d s414=%d s431=%d other=%d "
          "badpass=%d s401=%d s503=%d s200=%d" %
          (ARGS.slow, counts.get("connects"), counts.get("dropped"), counts.get("oversize"),
           counts.get("s414"), counts.get("s431"), counts.get("other"), counts.get("badpass"),
           counts.get("s401"), counts.get("s503"), counts.get("s200")))
    return 0


def scrape_once(ctx, auth):
    req = b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
    if auth:
        req += b"Authorization: Basic %s\r\n" % base64.b64encode(auth.encode())
    req += b"\r\n"
    t0 = time.monotonic()
    try:
        s = connect(ctx, timeout=1.0)
        s.settimeout(max(0.01, 1.0 - (time.monotonic() - t0)))
        s.sendall(req)
        resp = b""
        while True:
            d = s.recv(65536)
            if not d:
                break
            resp += d
            s.settimeout(max(0.01, 1.0 - (time.monotonic() - t0)))
        s.close()
    except OSError as e:
        return False, time.monotonic() - t0, str(e)
    ms = time.monotonic() - t0
    ok = status_of(resp) == 200 and b"mptcp_evlat_build_info" in resp and ms <= 1.0
    return ok, ms, resp.split(b"\r\n", 1)[0].decode(errors="replace")


def scrape():
    ctx = tls_context(ARGS.tls)
    end = time.monotonic() + ARGS.duration
    times, ok = [], 0
    while time.monotonic() < end:
        t0 = time.monotonic()
        good, secs, what = scrape_once(ctx, ARGS.user)
        times.append(secs * 1000)
        ok += good
        if not good:
            print("scrape failed after %.0f ms: %s" % (secs * 1000, what), flush=True)
        time.sleep(max(0, ARGS.interval - (time.monotonic() - t0)))
    times.sort()
    p = lambda q: times[min(len(times) - 1, int(q * len(times)))] if times else 0
    print("scrape n=%d ok=%d max_ms=%.1f p99_ms=%.1f p50_ms=%.1f" %
          (len(times), ok, times[-1] if times else 0, p(0.99), p(0.5)))
    return 0 if times and ok == len(times) else 1


def pct(xs, q):
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else 0


def analyse():
    ours = []  # (time_ns, event, token)
    for path in ARGS.json:
        with open(path) as f:
            for line in f:
                o = json.loads(line)
                if o.get("type") == "event":
                    ours.append((o["time_ns"], o["event"], o.get("token", "0x00000000")))
    ref = collections.defaultdict(list)  # (event, token) -> [recv_ns], in order
    with open(ARGS.genl) as f:
        for line in f:
            kv = dict(w.split("=", 1) for w in line.split()[1:] if "=" in w)
            if line.startswith("event ") and kv.get("netns") == str(ARGS.netns):
                ref[(kv["event"], kv.get("token", "0x00000000"))].append(int(kv["recv_ns"]))
    seen = collections.Counter()
    deltas = {}
    for t, ev, tok in sorted(ours):
        k = (ev, tok)
        i = seen[k]
        seen[k] += 1
        if i < len(ref[k]):
            deltas[(t, ev, tok)] = (t - ref[k][i]) / 1000.0
    with open(ARGS.phases) as f:
        for line in f:
            name, start, end, *files = line.split()
            want = collections.Counter()
            for path in files:
                with open(path) as e:
                    for l in e:
                        kv = dict(w.split("=", 1) for w in l.split()[1:])
                        if kv["netns"] == str(ARGS.netns):
                            want[(kv["event"], kv["token"])] += 1
            got = collections.Counter((ev, tok) for t, ev, tok in ours
                                      if int(start) <= t <= int(end))
            d = sorted(deltas[x] for x in ours if int(start) <= x[0] <= int(end) and x in deltas)
            print("phase %s expected=%d received=%d missing=%d unexpected=%d matched=%d "
                  "delta_us_p50=%.0f delta_us_p99=%.0f delta_us_max=%.0f" %
                  (name, sum(want.values()), sum(got.values()), sum((want - got).values()),
                   sum((got - want).values()), len(d), pct(d, 0.5), pct(d, 0.99),
                   d[-1] if d else 0))
    return 0


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=("attack", "scrape", "analyse"))
    ap.add_argument("--port", type=int)
    ap.add_argument("--json", nargs="+")
    ap.add_argument("--genl")
    ap.add_argument("--phases")
    ap.add_argument("--netns", type=int)
    ap.add_argument("--tls", metavar="CAFILE")
    ap.add_argument("--user")
    ap.add_argument("--slow", type=int, default=0)
    ap.add_argument("--trickle", type=float, default=0.5)
    ap.add_argument("--oversize", action="store_true")
    ap.add_argument("--badpass", type=int, default=0)
    ap.add_argument("--interval", type=float, default=0.1)
    ap.add_argument("--duration", type=float, default=0)
    ARGS = ap.parse_args()
    if ARGS.mode == "analyse":
        return analyse()
    if not ARGS.port or not 0 < ARGS.duration <= 120:
        ap.error("--port and --duration (at most 120 s) are needed")
    return attack() if ARGS.mode == "attack" else scrape()


if __name__ == "__main__":
    sys.exit(main())
