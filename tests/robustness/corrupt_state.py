#!/usr/bin/env python3
"""corrupt_state.py — sigil-emu started on damaged state (issue 8 "Bad input"; issue 4: a
tampered key blob or audit file).

    corrupt_state.py --emu EMU --golden DIR --work DIR --admin-pin P --user-pin P --slots A,B

--golden is an initialised appliance's state directory (corrupt_state.sh makes it: seals A and B,
two key pairs on A, one on B, a few signatures). For each case the golden state is copied, damaged,
and the emulator started on it with a time limit. The outcome is one of
  refused   the emulator exits at start-up with a message (the device does not serve on state it
            cannot vouch for);
  started   it serves: then health, refused_blobs, the audit trail's first new records (TORN_TAIL,
            REFUSED_BLOB) and which keys still sign are checked;
  HANG      it neither serves nor exits within the limit;
  CRASH     it dies by a signal.
Every case states what it must do; a HANG, a CRASH or another outcome than the required one fails.
Cases whose behaviour is a design gap rather than a bug are printed as FINDING and do not fail.
"""
import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sigil_wire as w  # noqa: E402

START_LIMIT = 10.0


def start(emu, state, sock):
    log = os.path.join(os.path.dirname(state), "emu.log")
    try:
        os.unlink(sock)
    except FileNotFoundError:
        pass
    with open(log, "wb") as lf:
        p = subprocess.Popen([emu, "--state-dir", state, "--listen", "unix:" + sock], stdout=lf, stderr=lf,
                             stdin=subprocess.DEVNULL)
    end = time.monotonic() + START_LIMIT
    while time.monotonic() < end:
        if p.poll() is not None:
            with open(log, errors="replace") as f:
                msg = f.read().strip().splitlines()
            return p, ("CRASH" if p.returncode < 0 else "refused"), (msg[-1] if msg else "")
        if os.path.exists(sock):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(sock)
                return p, "started", ""
            except OSError:
                pass
            finally:
                s.close()
        time.sleep(0.02)
    p.kill()
    p.wait()
    return None, "HANG", "no socket and no exit within %.0f s (100%% CPU?)" % START_LIMIT


def stop(p):
    p.send_signal(signal.SIGTERM)
    try:
        return p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        return "hung on SIGTERM"


class Ctx:
    def __init__(self, a):
        self.a = a
        self.slots = [int(x) for x in a.slots.split(",")]
        v, _ = w.verify_audit_file(os.path.join(a.golden, "audit.log"))
        self.golden_records = v.records
        self.objs = sorted(f for f in os.listdir(a.golden) if f.startswith("obj-"))

    def obj(self, slot, cls_priv=True, index=0):
        """Name of the index-th private (or public) key blob of slot (by size: private ones are larger)."""
        names = [f for f in self.objs if f.startswith("obj-%04d-" % slot)]
        sizes = {f: os.path.getsize(os.path.join(self.a.golden, f)) for f in names}
        big = max(sizes.values())
        sel = [f for f in names if (sizes[f] == big) == cls_priv]
        return sel[index]


def flip(path, off, mask=0x01):
    with open(path, "r+b") as f:
        f.seek(off)
        b = f.read(1)
        f.seek(off)
        f.write(bytes([b[0] ^ mask]))


def truncate(path, n):
    with open(path, "r+b") as f:
        f.truncate(n)


def probe(ctx, sock, admin_pin, user_pin):
    """What a started device shows: INFO, the first new audit records, which keys sign."""
    c = w.Conn(sock, timeout=20)
    info = c.info()
    res = {"health": info["health"], "refused_blobs": info["refused_blobs"], "signing": {}}
    for slot in ctx.slots:
        try:
            st = c.login(slot, user_pin)
        except w.ConnLost:
            st = -1
        if st != 0:
            res["signing"][slot] = "login %s" % w.st_name(st)
            continue
        n_ok = 0
        privs = [o for o in c.objects(slot) if o["class"] == 2]
        for o in privs:
            d = os.urandom(32)
            st, sig = c.sign(slot, o["handle"], d)
            if st == 0 and w.ecdsa_p256_verify(o["pub_b"], d, sig):
                n_ok += 1
        res["signing"][slot] = "%d of %d keys sign" % (n_ok, len(privs))
    c.close()
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--emu", required=True)
    ap.add_argument("--golden", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--admin-pin", required=True)
    ap.add_argument("--user-pin", required=True)
    ap.add_argument("--slots", required=True)
    a = ap.parse_args()
    ctx = Ctx(a)
    A, B = ctx.slots
    recs = ctx.golden_records
    mid = recs[len(recs) // 2]
    last = recs[-1]
    ck = max(i for i, r in enumerate(recs) if r["event"] == w.EV["CHECKPOINT"])
    assert len(recs) - ck > 4, "the golden state needs records after its checkpoint"

    def rec_len(r):
        i = recs.index(r)
        end = recs[i + 1]["offset"] if i + 1 < len(recs) else os.path.getsize(os.path.join(a.golden, "audit.log"))
        return end - r["offset"]

    def audit_edit(fn):
        def f(st):
            p = os.path.join(st, "audit.log")
            with open(p, "rb") as fh:
                data = bytearray(fh.read())
            data = fn(data)
            with open(p, "wb") as fh:
                fh.write(data)
        return f

    def swap_records(data):
        r1, r2 = recs[3], recs[4]
        b1 = data[r1["offset"]:r1["offset"] + rec_len(r1)]
        b2 = data[r2["offset"]:r2["offset"] + rec_len(r2)]
        return data[:r1["offset"]] + b2 + b1 + data[r2["offset"] + rec_len(r2):]

    def set_byte(off, val):
        def fn(data):
            data[off] = val
            return data
        return fn

    def rename(src, dst):
        return lambda st: os.rename(os.path.join(st, src), os.path.join(st, dst))

    def swap(x, y):
        def f(st):
            os.rename(os.path.join(st, x), os.path.join(st, ".swap"))
            os.rename(os.path.join(st, y), os.path.join(st, x))
            os.rename(os.path.join(st, ".swap"), os.path.join(st, y))
        return f

    privA0, privA1, privB = ctx.obj(A, True, 0), ctx.obj(A, True, 1), ctx.obj(B, True, 0)
    tok_a = "token-%04d" % A
    # (name, damage, required outcome, check on the probe or None, finding text or None)
    cases = [
        ("private key blob: one bit flipped", lambda st: flip(os.path.join(st, privA0), 40), "started",
         lambda r: r["refused_blobs"] == 1 and r["signing"][A] == "1 of 1 keys sign" and r["signing"][B] == "1 of 1 keys sign", None),
        ("private key blob: truncated", lambda st: truncate(os.path.join(st, privA0), 50), "started",
         lambda r: r["refused_blobs"] == 1 and r["signing"][A] == "1 of 1 keys sign", None),
        ("private key blob: empty", lambda st: truncate(os.path.join(st, privA0), 0), "started",
         lambda r: r["refused_blobs"] == 1 and r["signing"][A] == "1 of 1 keys sign", None),
        ("two private key blobs of one seal swapped", swap(privA0, privA1), "started",
         lambda r: r["refused_blobs"] == 2 and r["signing"][A] == "0 of 0 keys sign" and r["signing"][B] == "1 of 1 keys sign", None),
        ("private key blob moved to another seal's name", rename(privB, privA0.replace("obj-%04d" % A, "obj-%04d" % B)[:-1] + "f"),
         "started", lambda r: r["refused_blobs"] == 1 and r["signing"][B] == "0 of 0 keys sign", None),
        ("leftover temporary file", lambda st: shutil.copy(os.path.join(st, privA0), os.path.join(st, "." + privA0 + ".tmp")),
         "started", lambda r: r["refused_blobs"] == 0 and r["signing"][A] == "2 of 2 keys sign", None),
        ("seal record: one bit flipped", lambda st: flip(os.path.join(st, tok_a), 40), "started",
         lambda r: r["refused_blobs"] == 1 and r["signing"][A] == "login TOKEN_NOT_INITIALIZED"
         and r["signing"][B] == "1 of 1 keys sign", None),
        ("appliance record: one bit flipped", lambda st: flip(os.path.join(st, "appliance"), 40), "refused", None, None),
        ("root secret replaced", lambda st: open(os.path.join(st, "root-secret"), "wb").write(os.urandom(32)),
         "refused", None, None),
        ("root secret truncated", lambda st: truncate(os.path.join(st, "root-secret"), 16), "refused", None, None),
        ("audit trail: a record's data edited (middle)", audit_edit(set_byte(mid["offset"] + 20, 0x5a)), "refused",
         None, None),
        ("audit trail: a record deleted (middle)",
         audit_edit(lambda d: d[:mid["offset"]] + d[mid["offset"] + rec_len(mid):]), "refused", None, None),
        ("audit trail: two records swapped", audit_edit(swap_records), "refused", None, None),
        ("audit trail: a record's length field edited (middle)", audit_edit(set_byte(mid["offset"], 0xff)), "refused",
         None, None),
        ("audit trail: the last record's data edited", audit_edit(set_byte(last["offset"] + 20, 0x5a)), "refused",
         None, None),
        ("audit trail: torn last record (7 bytes cut)", audit_edit(lambda d: d[:-7]), "started",
         lambda r: r["first_new"][0] == "TORN_TAIL", None),
        ("audit trail: the last record's length field edited", audit_edit(set_byte(last["offset"], 0xff)), "started",
         lambda r: r["first_new"][0] == "TORN_TAIL",
         "an edited (whole) last record whose length field no longer parses is set aside as a torn tail "
         "(reported by TORN_TAIL, so not silent) instead of stopping the start-up as tampering"),
        ("audit trail: the last 3 whole records cut (after the last checkpoint)",
         audit_edit(lambda d: d[:recs[-3]["offset"]]), "started",
         lambda r: r["first_new"][0] == "DEVICE_START",
         "records after the last durable checkpoint, cut at a record boundary, are not noticed at start-up "
         "(the device remembers the trail's length at checkpoints only, sealed as audit-head); an offline "
         "verification against a later export tells"),
        ("audit trail: cut back to before the last checkpoint", audit_edit(lambda d: d[:recs[ck]["offset"]]),
         "refused", None, None),
        ("audit trail deleted", lambda st: os.unlink(os.path.join(st, "audit.log")), "refused", None, None),
        ("audit trail deleted, and every file but the appliance record, root secret and keys with it",
         lambda st: [os.unlink(os.path.join(st, f)) for f in os.listdir(st)
                     if f == "audit.log" or f.startswith("audit-")], "refused", None, None),
    ]

    failures, findings = [], []
    print("%-70s %-9s %s" % ("case", "outcome", "details"))
    for i, (name, damage, want, check, finding) in enumerate(cases):
        d = os.path.join(a.work, "case%02d" % i)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        st = os.path.join(d, "state")
        shutil.copytree(a.golden, st)
        damage(st)
        sock = os.path.join(d, "s.sock")
        p, outcome, msg = start(a.emu, st, sock)
        details = msg
        ok = outcome == want
        if outcome == "started":
            try:
                r = probe(ctx, sock, a.admin_pin, a.user_pin)
                v, torn = w.verify_audit_file(os.path.join(st, "audit.log"))
                names = [w.EVNAME.get(x["event"], w.OPNAME.get(x["event"], x["event"])) for x in v.records]
                # This start's own records: from its DEVICE_START (the probe starts none), with the
                # TORN_TAIL or REFUSED_BLOB written around it.
                i0 = max(i for i, n in enumerate(names) if n == "DEVICE_START")
                if i0 > 0 and names[i0 - 1] == "TORN_TAIL":
                    i0 -= 1
                new = names[i0:]
                first_new = new[:3]
                r["first_new"] = first_new
                details = "health %r, refused_blobs %d, signing %s, new audit records %s" % (
                    r["health"], r["refused_blobs"], r["signing"], first_new)
                if check is not None and not check(r):
                    ok = False
                    details += "  <- not what this case requires"
                if r["refused_blobs"] and "REFUSED_BLOB" not in new:
                    ok = False
                    details += "  <- refused blobs without a REFUSED_BLOB record"
            except Exception as e:  # noqa: BLE001
                ok = False
                details = "started but does not answer: %r" % e
            rc = stop(p)
            if rc != 0:
                ok = False
                details += "; exit %r on SIGTERM" % rc
        print("%-70s %-9s %s" % (name, outcome, details))
        if not ok:
            failures.append("%s: required %s, got %s (%s)" % (name, want, outcome, details))
        if finding:
            findings.append("%s: %s" % (name, finding))
    if findings:
        print("\nFINDINGS (design gaps, not failures of this test):")
        for f in findings:
            print("  - " + f)
    if failures:
        print("\nFAILURES:")
        for f in failures:
            print("  - " + f)
        return 1
    print("\ncorrupt_state: every case as required")
    return 0


if __name__ == "__main__":
    sys.exit(main())
