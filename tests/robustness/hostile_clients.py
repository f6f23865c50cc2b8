#!/usr/bin/env python3
"""hostile_clients.py — overload and hostile clients against sigil-emu (issue 8 item 4), while a
well-behaved client measures its latency.

    hostile_clients.py run --sock PATH --emu-pid PID --slot N --user-pin PIN [--phase-seconds S]
    hostile_clients.py attack NAME --sock PATH --seconds S      (one attacker, run as a process)

Each attack runs in a process of its own (so that Python's GIL does not bend the figures) while
this process runs the good client:
  * "session": one connection, logged in, SIGN every 10 ms — the latency of a signing
    application that is already connected;
  * "new app": a new connection every 100 ms (connect, HELLO with a fresh token, INFO) — an
    application arriving during the attack.
The attacks:
  stall       64 connections that send 7 bytes of a header, 64 that send a whole header
              announcing 1000 bytes and 100 of them, then stall; held, then watched for
              STALL_BOUND seconds: the appliance must close them (a read timeout).
  garbage     8 connections at a time flood random bytes (and headers with the right version and
              a random rest); each must get a clear status (an error frame) and, for broken
              framing, be disconnected.
  refused     after HELLO, a flood of requests the appliance refuses (SIGN without a login) as
              fast as they are answered; each refusal is audited: the trail's growth is reported
              (wrong administrator PINs are not used: they would lock the administrator out).
  conns       300 connections of ONE application (same token, HELLO done): the appliance must
              cap an application's connections (at most 64 held; it answers BUSY past its limit),
              and another application must still get in.
  conns_raw   300 connections that never say HELLO: another application must still get in (the
              appliance evicts handshake-less connections at its limit), and none may be open
              12 s after it connected (the 10 s handshake deadline, specs/protocol.md "Limits").
  oversized   headers announcing 1 MiB + 1 and 4 GiB - 1 bytes (FRAME_TOO_LARGE, then closed,
              the body not read), a bad version (BAD_VERSION, closed), a response kind
              (BAD_FRAME, closed), and exactly-1-MiB frames (answered, connection kept), in a loop.
  noread      after HELLO, 4096 pipelined RANDOM(65536) requests, never reading a response: the
              client must be cut off within NOREAD_BOUND s and cost at most NOREAD_RSS_MIB of memory.
Every phase checks that the good client stayed within the bound (p99 < 1 s, no failure) and
that the appliance is alive and serving after the attack. Prints a table; exit 1 with the list
of violations.
"""
import argparse
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sigil_wire as w  # noqa: E402

ST = w.ST
P99_BOUND = 1.0          # seconds: the good client's bound under any attack
REQ_TIMEOUT = 3.0        # a good request not answered in this time counts as failed
STALL_BOUND = 15.0       # seconds: a stalled half frame must be closed within this
NOREAD_BOUND = 15.0      # seconds: a client that reads none of its responses must be cut off within this
NOREAD_RSS_MIB = 64      # the appliance's memory growth for one such client: at most this
ATTACKS = ["stall", "garbage", "refused", "conns", "conns_raw", "oversized", "noread"]

stop = False


def on_term(*_):
    global stop
    stop = True


def connect(path, timeout=5.0):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    return s


def read_frame(s, timeout):
    """(status, opcode, body) of the next frame, 'EOF' if closed first, None on timeout."""
    s.settimeout(timeout)
    try:
        h = w.recv_exact(s, 16)
        body_len, ver, kind, opcode, rid, status = w.HDR.unpack(h)
        if body_len:
            w.recv_exact(s, body_len)
        return status, opcode
    except w.ConnLost:
        return "EOF"
    except socket.timeout:
        return None
    except OSError:
        return "EOF"


def closed_within(s, timeout):
    """True if the peer closes s within timeout (reads and drops anything before)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        r, _, _ = select.select([s], [], [], max(0.0, end - time.monotonic()))
        if not r:
            return False
        try:
            if not s.recv(65536):
                return True
        except OSError:
            return True
    return False


def hello_frame(token, rid=1):
    return w.frame(w.OP["HELLO"], w.u16(1) + w.bstr(token), rid)


# ---- attacks (each in its own process) ---------------------------------------------------------

def attack_stall(a, out):
    conns = []
    for i in range(128):
        s = connect(a.sock)
        if i < 64:
            s.sendall(w.frame(w.OP["INFO"], b"")[:7])  # 7 of 16 header bytes
        else:
            s.sendall(w.frame(w.OP["RANDOM"], b"", body_len=1000) + b"x" * 100)  # 100 of 1000 body bytes
        conns.append(s)
    t0 = time.monotonic()
    print("ready", flush=True)
    closed_at = {}
    while len(closed_at) < len(conns) and time.monotonic() - t0 < a.seconds + STALL_BOUND:
        live = [s for s in conns if s not in closed_at]
        r, _, _ = select.select(live, [], [], 0.5)
        for s in r:
            try:
                data = s.recv(65536)
            except OSError:
                data = b""
            if not data:
                closed_at[s] = time.monotonic() - t0
    times = sorted(closed_at.values())
    out.update(stalled=len(conns), closed=len(closed_at), waited=round(time.monotonic() - t0, 1),
               first_close=round(times[0], 2) if times else None, last_close=round(times[-1], 2) if times else None)


def attack_garbage(a, out):
    import random
    rng = random.Random(1)
    statuses, closed, silent, n = {}, 0, 0, 0
    print("ready", flush=True)
    t0 = time.monotonic()
    while not stop and time.monotonic() - t0 < a.seconds:
        socks = []
        for j in range(8):
            try:
                s = connect(a.sock)
            except OSError:
                continue
            if j % 2 == 0:
                data = os.urandom(4096)
            else:  # a plausible header: version 1, request, random opcode, a body that fits
                data = w.frame(rng.randrange(0x10000), os.urandom(rng.randrange(0, 600)), rng.randrange(1 << 32))
            try:
                s.sendall(data)
            except OSError:
                pass
            socks.append((s, j % 2 == 0))
        for s, broken in socks:
            n += 1
            r = read_frame(s, 3.0)
            if r is None:
                silent += 1
            elif r != "EOF":
                name = w.st_name(r[0])
                statuses[name] = statuses.get(name, 0) + 1
                if broken and closed_within(s, 3.0):
                    closed += 1
            else:
                statuses["EOF"] = statuses.get("EOF", 0) + 1
            s.close()
    out.update(connections=n, statuses=statuses, closed_after_status=closed, no_answer=silent)


def attack_refused(a, out):
    s = connect(a.sock)
    s.sendall(hello_frame(os.urandom(16)))
    read_frame(s, 5)
    body = w.u32(0) + w.u32(1) + w.u8(1) + w.u8(0) + w.u32(0) + w.bstr(b"\0" * 32)  # SIGN, not logged in
    print("ready", flush=True)
    t0 = time.monotonic()
    n, statuses, rid = 0, {}, 1
    while not stop and time.monotonic() - t0 < a.seconds:
        batch = b"".join(w.frame(w.OP["SIGN"], body, rid + i) for i in range(32))
        rid += 32
        s.sendall(batch)
        for _ in range(32):
            r = read_frame(s, 5)
            if r is None or r == "EOF":
                out.update(error="no answer")
                return
            statuses[w.st_name(r[0])] = statuses.get(w.st_name(r[0]), 0) + 1
            n += 1
    out.update(requests=n, per_second=round(n / (time.monotonic() - t0)), statuses=statuses)


def attack_conns(a, out, hello=True):
    token = os.urandom(16)
    conns, busy, refused, other = [], 0, 0, {}
    for i in range(300):
        try:
            s = connect(a.sock)
        except OSError:
            refused += 1
            continue
        if hello:
            try:
                s.sendall(hello_frame(token))
            except OSError:
                pass
            r = read_frame(s, 5)
            if r is None or r == "EOF" or r[0] != 0:
                key = "EOF" if r == "EOF" else "timeout" if r is None else w.st_name(r[0])
                if key == "BUSY":
                    busy += 1
                else:
                    other[key] = other.get(key, 0) + 1
                s.close()
                continue
        else:
            # Without HELLO nothing is said; a refused connection gets BUSY and is closed.
            r = read_frame(s, 0.05)
            if r not in (None,):
                key = "EOF" if r == "EOF" else w.st_name(r[0])
                if key == "BUSY":
                    busy += 1
                else:
                    other[key] = other.get(key, 0) + 1
                s.close()
                continue
        conns.append(s)
    print("ready", flush=True)
    t0 = time.monotonic()
    while not stop and time.monotonic() - t0 < a.seconds:
        time.sleep(0.1)
    if not hello:
        # Connections that never say HELLO are the appliance's to close: by eviction when it
        # is full, and all of them by the handshake deadline (10 s, specs/protocol.md).
        deadline = t0 + 12.0
        still_open = sum(1 for s in conns if not closed_within(s, max(0.0, deadline - time.monotonic())))
        out.update(open_after_deadline=still_open)
    out.update(attempted=300, held=len(conns), busy=busy, connect_refused=refused, other=other)


def attack_oversized(a, out):
    cases = {
        "body_len 1 MiB + 1": (w.frame(w.OP["INFO"], b"", body_len=1024 * 1024 + 1), "FRAME_TOO_LARGE", True),
        "body_len 4 GiB - 1": (w.frame(w.OP["INFO"], b"", body_len=0xFFFFFFFF), "FRAME_TOO_LARGE", True),
        "version 2": (w.frame(w.OP["INFO"], b"", version=2), "BAD_VERSION", True),
        "kind response": (w.frame(w.OP["INFO"], b"", kind=2), "BAD_FRAME", True),
        "exactly 1 MiB body": (w.frame(w.OP["INFO"], b"\0" * (1024 * 1024)), "NO_CONTEXT", False),
    }
    results = {k: {} for k in cases}
    print("ready", flush=True)
    t0 = time.monotonic()
    while not stop and time.monotonic() - t0 < a.seconds:
        for name, (data, want, closes) in cases.items():
            s = connect(a.sock)
            t1 = time.monotonic()
            try:
                s.sendall(data)
            except OSError:
                pass
            r = read_frame(s, 5)
            dt = time.monotonic() - t1
            got = "timeout" if r is None else "EOF" if r == "EOF" else w.st_name(r[0])
            if got == want:
                got += (", closed" if closed_within(s, 2) else ", kept open") if closes else \
                    (", kept open" if not closed_within(s, 0.05) else ", closed")
            res = results[name]
            res[got] = res.get(got, 0) + 1
            res["max_ms"] = max(res.get("max_ms", 0), round(dt * 1000))
            s.close()
    out.update(cases={k: {"expected": cases[k][1] + (", closed" if cases[k][2] else ", kept open"), **v}
                      for k, v in results.items()})


def attack_noread(a, out):
    s = connect(a.sock)
    s.sendall(hello_frame(os.urandom(16)))
    read_frame(s, 5)
    s.settimeout(2)
    sent = 0
    frames = [w.frame(w.OP["RANDOM"], w.u32(65536), i + 2) for i in range(4096)]
    print("ready", flush=True)
    t0 = time.monotonic()
    try:
        for f in frames:
            s.sendall(f)
            sent += 1
    except (socket.timeout, OSError):
        pass  # the appliance stopped reading from us: back-pressure
    # Did the appliance give up on us? POLLRDHUP says the peer shut its side down even while
    # unread responses wait in our buffer (reading them would relieve the pressure).
    p = select.poll()
    p.register(s, select.POLLRDHUP | select.POLLHUP)
    closed_at = None
    while time.monotonic() - t0 < a.seconds + NOREAD_BOUND:
        if p.poll(100):
            closed_at = round(time.monotonic() - t0, 1)
            break
    out.update(requests_sent=sent, of=4096, closed_after_s=closed_at)


def run_attack(a):
    signal.signal(signal.SIGTERM, on_term)
    out = {"attack": a.name}
    fn = {"stall": attack_stall, "garbage": attack_garbage, "refused": attack_refused, "conns": attack_conns,
          "conns_raw": lambda a_, o: attack_conns(a_, o, hello=False), "oversized": attack_oversized,
          "noread": attack_noread}[a.name]
    try:
        fn(a, out)
    except Exception as e:  # noqa: BLE001
        out["error"] = repr(e)
        print("ready", flush=True)
    print("RESULT " + json.dumps(out), flush=True)


# ---- the good client -------------------------------------------------------------------------

class Good:
    def __init__(self, a):
        self.a = a
        self.c = w.Conn(a.sock, timeout=REQ_TIMEOUT)
        st = self.c.login(a.slot, a.user_pin)
        if st != 0:
            raise SystemExit("good client: login failed: %s" % w.st_name(st))
        objs = self.c.objects(a.slot)
        self.key = [o["handle"] for o in objs if o["class"] == 2][0]

    def reconnect(self):
        try:
            self.c.close()
            self.c = w.Conn(self.a.sock, timeout=REQ_TIMEOUT)
            self.c.login(self.a.slot, self.a.user_pin)
        except (OSError, w.ConnLost, w.WireError):
            pass

    def measure(self, seconds):
        lat, fails, fresh_lat, fresh = [], [], [], {}
        end = time.monotonic() + seconds

        def session():
            while time.monotonic() < end:
                t = time.monotonic()
                try:
                    st, sig = self.c.sign(self.a.slot, self.key, os.urandom(32))
                    dt = time.monotonic() - t
                    lat.append(dt)
                    if st != 0:
                        fails.append(w.st_name(st))
                except (OSError, w.ConnLost, ValueError) as e:
                    lat.append(time.monotonic() - t)
                    fails.append("timeout" if isinstance(e, socket.timeout) else type(e).__name__)
                    self.reconnect()
                time.sleep(0.01)

        def newapp():
            while time.monotonic() < end:
                t = time.monotonic()
                outcome = "ok"
                try:
                    s = connect(self.a.sock, REQ_TIMEOUT)
                    # HELLO, its answer, then INFO (pipelined requests may run in any order).
                    for f in (hello_frame(os.urandom(16)), w.frame(w.OP["INFO"], b"", 2)):
                        try:
                            s.sendall(f)
                        except OSError:
                            pass  # refused at once: the answer (BUSY) is read below
                        r = read_frame(s, REQ_TIMEOUT)
                        if r is None:
                            outcome = "timeout"
                        elif r == "EOF":
                            outcome = "closed"
                        elif r[0] != 0:
                            outcome = w.st_name(r[0])
                        if outcome != "ok":
                            break
                    s.close()
                except OSError as e:
                    outcome = type(e).__name__
                fresh[outcome] = fresh.get(outcome, 0) + 1
                if outcome == "ok":
                    fresh_lat.append(time.monotonic() - t)
                time.sleep(0.1)
        ths = [threading.Thread(target=session), threading.Thread(target=newapp)]
        for t in ths:
            t.start()
        for t in ths:
            t.join()
        return lat, fails, fresh_lat, fresh


def pct(xs, p):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))]


def emu_rss_kib(pid):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None


def audit_size(state):
    try:
        return os.path.getsize(os.path.join(state, "audit.log"))
    except OSError:
        return 0


def run(a):
    good = Good(a)
    violations = []
    rows = []
    details = {}

    def phase(name):
        proc = None
        rss0, au0 = emu_rss_kib(a.emu_pid), audit_size(a.state)
        if name != "baseline":
            proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), "attack", name, "--sock", a.sock,
                                     "--seconds", str(a.phase_seconds + 1)], stdout=subprocess.PIPE, text=True)
            line = proc.stdout.readline()
            if not line.startswith("ready"):
                violations.append("%s: the attacker did not start (%r)" % (name, line))
        rss_peak = [rss0 or 0]

        def sample():
            while proc is not None and proc.poll() is None:
                r = emu_rss_kib(a.emu_pid)
                if r:
                    rss_peak[0] = max(rss_peak[0], r)
                time.sleep(0.2)
        sampler = threading.Thread(target=sample)
        sampler.start()
        lat, fails, fresh_lat, fresh = good.measure(a.phase_seconds)
        result = {}
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            out, _ = proc.communicate(timeout=STALL_BOUND + a.phase_seconds + 30)
            for line in out.splitlines():
                if line.startswith("RESULT "):
                    result = json.loads(line[7:])
        sampler.join()
        alive = os.path.exists("/proc/%d" % a.emu_pid)
        # The appliance serves again once the attacker has gone.
        after = None
        if alive:
            try:
                good.reconnect()
                t = time.monotonic()
                st, _ = good.c.sign(a.slot, good.key, os.urandom(32))
                after = "OK in %.0f ms" % ((time.monotonic() - t) * 1000) if st == 0 else w.st_name(st)
            except (OSError, w.ConnLost, ValueError) as e:
                after = "failed: %r" % e
        row = {
            "phase": name, "n": len(lat), "p50": pct(lat, 50), "p99": pct(lat, 99), "max": max(lat) if lat else float("nan"),
            "fails": len(fails), "fail_kinds": sorted(set(fails)), "fresh_ok": fresh.get("ok", 0),
            "fresh_bad": {k: v for k, v in fresh.items() if k != "ok"}, "fresh_p99": pct(fresh_lat, 99),
            "rss_growth_kib": (rss_peak[0] - rss0) if rss0 else None,
            "audit_growth_kib": (audit_size(a.state) - au0) // 1024, "alive": alive, "after": after,
        }
        rows.append(row)
        details[name] = result
        if not alive:
            violations.append("%s: sigil-emu died" % name)
        if after is None or not after.startswith("OK"):
            violations.append("%s: the appliance does not serve after the attack: %s" % (name, after))
        if row["fails"] or not (row["p99"] < P99_BOUND):
            violations.append("%s: the connected client was slowed beyond the bound: p99 %.0f ms, max %.0f ms, "
                              "%d of %d requests failed (%s)" % (name, row["p99"] * 1000, row["max"] * 1000,
                                                                 row["fails"], row["n"], ", ".join(row["fail_kinds"])))
        if row["fresh_bad"] or not (row["fresh_p99"] < P99_BOUND):
            violations.append("%s: a new application could not get in: %d connected, refused/failed %s" %
                              (name, row["fresh_ok"], row["fresh_bad"]))
        return result

    phase("baseline")
    for name in ATTACKS:
        if a.only and name not in a.only.split(","):
            continue
        r = phase(name)
        if "error" in r:
            violations.append("%s: the attacker failed: %s" % (name, r["error"]))
        # What each attacker itself must have been told.
        if name == "stall":
            if r.get("closed") != r.get("stalled"):
                violations.append("stall: %s of %s connections stalled inside a frame were still open after %s s "
                                  "(no read timeout)" % (r.get("stalled", 0) - r.get("closed", 0), r.get("stalled"),
                                                         r.get("waited")))
        elif name == "garbage":
            if r.get("no_answer"):
                violations.append("garbage: %d connections got no answer within 3 s" % r["no_answer"])
        elif name == "conns":
            if r.get("held", 0) > 64:
                violations.append("conns: one application holds %d connections (no per-application limit; "
                                  "beyond 256 in all: BUSY %d)" % (r["held"], r.get("busy", 0)))
        elif name == "conns_raw":
            if r.get("open_after_deadline", 0) > 0:
                violations.append("conns_raw: %d of %d connections without HELLO still open 12 s after they "
                                  "opened (no handshake deadline)" % (r["open_after_deadline"], r["held"]))
        elif name == "oversized":
            for k, v in r.get("cases", {}).items():
                bad = {x: y for x, y in v.items() if x not in ("expected", "max_ms", v["expected"])}
                if bad or v["max_ms"] > 1000:
                    violations.append("oversized: %s: expected %s, got %s (slowest %d ms)" % (k, v["expected"], bad, v["max_ms"]))
        elif name == "noread":
            if r.get("closed_after_s") is None:
                violations.append("noread: a client that read none of its responses was not cut off within %d s" %
                                  (a.phase_seconds + 1 + NOREAD_BOUND))
            if rows[-1]["rss_growth_kib"] and rows[-1]["rss_growth_kib"] > NOREAD_RSS_MIB * 1024:
                violations.append("noread: the appliance's memory grew by %d MiB for one client that reads nothing "
                                  "(responses queued without bound)" % (rows[-1]["rss_growth_kib"] // 1024))

    print("\nphase      | session SIGN every 10 ms: n  p50 ms  p99 ms  max ms fails | new app each 100 ms: ok  refused/failed      p99 ms | emu RSS +KiB | audit +KiB | after")
    for r in rows:
        print("%-10s | %29d %7.1f %7.1f %7.0f %5d | %22d  %-17s %7.1f | %12s | %10d | %s" % (
            r["phase"], r["n"], r["p50"] * 1000, r["p99"] * 1000, r["max"] * 1000, r["fails"], r["fresh_ok"],
            json.dumps(r["fresh_bad"])[:17], r["fresh_p99"] * 1000, r["rss_growth_kib"], r["audit_growth_kib"],
            r["after"]))
    print("\nwhat the attackers were told:")
    for name, r in details.items():
        print("  %-10s %s" % (name, json.dumps({k: v for k, v in r.items() if k != "attack"})))
    if violations:
        print("\nVIOLATIONS (%d):" % len(violations))
        for v in violations:
            print("  - " + v)
        return 1
    print("\nhostile_clients: every attack answered or cut off, the good client within the bound")
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run")
    r.add_argument("--sock", required=True)
    r.add_argument("--state", required=True)
    r.add_argument("--emu-pid", type=int, required=True)
    r.add_argument("--slot", type=int, required=True)
    r.add_argument("--user-pin", required=True)
    r.add_argument("--phase-seconds", type=float, default=4)
    r.add_argument("--only", default="")
    at = sub.add_parser("attack")
    at.add_argument("name", choices=ATTACKS)
    at.add_argument("--sock", required=True)
    at.add_argument("--seconds", type=float, default=5)
    a = ap.parse_args()
    if a.cmd == "attack":
        run_attack(a)
        return 0
    return run(a)


if __name__ == "__main__":
    sys.exit(main())
