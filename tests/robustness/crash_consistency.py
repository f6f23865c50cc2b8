#!/usr/bin/env python3
"""crash_consistency.py — kills sigil-emu with SIGKILL at random points while it creates seals,
generates key pairs (and destroys old ones), changes PINs, changes policies and seal states,
and signs (every signature with its audit record), then restarts it on the same state and
checks after every restart (specs/testplan.md, issue 8 item 3):

  * every ACKNOWLEDGED operation is there and usable: a created seal is listed and both its
    PINs log in; a generated key pair is listed whole and its private key signs (verified);
    a changed PIN logs in; a policy or seal state is returned by POLICY_GET and enforced by
    SIGN; a destroyed key is gone; the audit record of every acknowledged audited operation
    (every signature: slot, key, SHA-256 of the input) is in the trail;
  * an operation that was IN FLIGHT at the kill either took effect completely or not at all
    (a key pair appears as both halves or not at all, a seal with both PINs or not at all,
    a PIN is the old or the new one, a policy the old or the new one);
  * nothing half-written is visible: no temporary file survives the restart, no stored object
    is refused (INFO refused_blobs 0), health is "ok", no object that nobody asked for;
  * the audit trail verifies offline (hash chain, sequence numbers, signed checkpoints with the
    device's audit key), nothing verified before the kill changed or went, and a torn tail —
    natural, or injected here as the prefix of a real next record — is reported by a
    TORN_TAIL record whose data is its length, with the bytes kept in audit-torn-<offset>;
  * no retry counter went up (TOKEN_INFO before any login: at most the last value seen minus
    the acknowledged wrong tries, unless a correct PIN was in flight) and the seal's usage
    counter never went back (POLICY_GET: at least the last value plus the acknowledged
    signatures, and at least the number of SIGN records with status OK in the trail).

Two kinds of kill. With --crashpoint-lib (crashpoint.c, LD_PRELOAD), first a deterministic pass:
for every operation kind, a SIGKILL just before and just after each of its storage steps (the
rename that makes a record durable) and in the middle of its audit append; the outcome of each
crash point is printed as a table. Then --cycles random kills: each cycle restarts the emulator,
verifies, and runs one kind of operation in a loop (a signer runs in every cycle) until a SIGKILL
at a random moment; every 7th cycle a torn tail is injected after the kill.

It drives the wire protocol directly (sigil_wire.py). The appliance must be initialised
(crash_consistency.sh does that). Exit 0 when every check held; 1 with the first violation.
--known-bugs half-keypair counts that reported defect instead of stopping at it;
--strict-audit-order (the default of crash_consistency.sh) fails on an effect found without
its audit record or at least its INTENT record (written before the effect).
"""
import argparse
import hashlib
import os
import random
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

NO_SLOT = 0xFFFFFFFF  # SIGIL_AUDIT_NO_SLOT

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sigil_wire as w  # noqa: E402

ST = w.ST
MECH_ECDSA = 1
KINDS = ["seal_create", "keygen", "pin", "policy", "sign"]
MAX_KEYS = 10           # key pairs kept on the key-generation seal (older ones are destroyed)
ADMIN_PIN = "admin-pin-1234"


class Violation(Exception):
    pass


def require(cond, msg):
    if not cond:
        raise Violation(msg)


def rand_pin():
    return "pin-" + os.urandom(6).hex()


class Emu:
    def __init__(self, a):
        self.a = a
        self.proc = None
        self.starts = 0
        self.start_time = 0.0

    def start(self):
        try:
            os.unlink(self.a.sock)
        except FileNotFoundError:
            pass
        log = open(self.a.log, "ab")
        t0 = time.monotonic()
        env = dict(os.environ)
        if self.a.crashpoint_lib:
            env["LD_PRELOAD"] = self.a.crashpoint_lib
            env["SIGIL_CRASHPOINT_FILE"] = self.a.crashpoint_file
            self.arm("")
        self.proc = subprocess.Popen([self.a.emu, "--state-dir", self.a.state, "--listen", "unix:" + self.a.sock,
                                      "--slots", str(self.a.slots)],
                                     stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=env)
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise Violation("sigil-emu exited with code %d at start %d (see %s)" %
                                (self.proc.returncode, self.starts + 1, self.a.log))
            if os.path.exists(self.a.sock):
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                try:
                    s.connect(self.a.sock)
                    s.close()
                    self.starts += 1
                    self.start_time += time.monotonic() - t0
                    return
                except OSError:
                    pass
                finally:
                    s.close()
            time.sleep(0.003)
        raise Violation("sigil-emu did not open its socket within 30 s (start %d)" % (self.starts + 1))

    def arm(self, spec):
        """Arms the crash-point injector (crashpoint.c): "rename PREFIX N before|after" or
        "append PREFIX N torn"; "" disarms."""
        with open(self.a.crashpoint_file + ".new", "w") as f:
            f.write(("%s %s" % (os.urandom(4).hex(), spec)) if spec else "")
        os.replace(self.a.crashpoint_file + ".new", self.a.crashpoint_file)

    def wait_dead(self, timeout=10):
        """True if the emulator died by SIGKILL (an injected crash point) within timeout."""
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return False
        self.proc = None
        return rc == -signal.SIGKILL

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait()
        self.proc = None

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=20)
        self.proc = None
        require(rc == 0, "sigil-emu exited with code %d on SIGTERM" % rc)


class Seal:
    def __init__(self, slot, label, so_pin, user_pin):
        self.slot, self.label, self.so_pin, self.user_pin = slot, label, so_pin, user_pin
        self.keys = {}              # private handle -> (public handle, point, id)
        self.policy = None          # None: default; else the POLICY_SET fields
        self.state = 1
        self.sigs_min = 0           # usage counter: never below this
        self.tries_seen = None      # user tries_left last seen (TOKEN_INFO)
        self.wrong_acked = 0        # acknowledged wrong tries since tries_seen
        self.correct_sent = False   # a correct PIN was sent since tries_seen (may restore)
        self.verified_pins = False


class Driver:
    def __init__(self, a):
        self.a = a
        self.rng = random.Random(a.seed)
        self.emu = Emu(a)
        self.seals = {}
        self.audit = w.AuditVerifier()
        self.audit_pub = None
        self.sign_ok_records = {}    # slot -> SIGN records with status OK seen in the trail
        self.stats = {"cycles": 0, "acked": {}, "inflight": {}, "inflight_applied": {}, "torn_injected": 0,
                      "torn_natural": 0, "sigs_acked": 0, "sigs_verified": 0, "keys_checked": 0,
                      "unaudited_effects": [], "known_bugs": {}}
        self.cycle = 0
        self.lock = threading.Lock()
        self.acked = []      # (kind, details) acknowledged in the current cycle
        self.inflight = []   # (kind, details) sent, no answer before the kill

    # ---- helpers ---------------------------------------------------------------------------
    def conn(self, token=None):
        return w.Conn(self.a.sock, token=token, timeout=60)

    def note_ack(self, kind, d):
        with self.lock:
            self.acked.append((kind, d))
            self.stats["acked"][kind] = self.stats["acked"].get(kind, 0) + 1

    def note_inflight(self, kind, d):
        with self.lock:
            self.inflight.append((kind, d))
            self.stats["inflight"][kind] = self.stats["inflight"].get(kind, 0) + 1

    def applied(self, kind):
        self.stats["inflight_applied"][kind] = self.stats["inflight_applied"].get(kind, 0) + 1

    def login_all(self, conns, tasks):
        """Runs (slot, pin, user_type) logins spread over conns in parallel; {task: status}."""
        out = {}
        parts = [tasks[i::len(conns)] for i in range(len(conns))]

        def run(c, part):
            for t in part:
                out[t] = c.login(t[0], t[1], t[2])
        ths = [threading.Thread(target=run, args=(c, p)) for c, p in zip(conns, parts) if p]
        for t in ths:
            t.start()
        for t in ths:
            t.join()
        return out

    # ---- set-up --------------------------------------------------------------------------------
    def setup(self):
        self.emu.start()
        c = self.conn()
        require(c.admin_login(ADMIN_PIN) == 0, "administrator login failed")
        dk = c.device_keys()
        self.audit_pub = dk["audit_key"]
        self.audit.audit_pub = self.audit_pub
        roles = {}
        for role in ("sign", "keygen", "pin", "counter", "policy"):
            so, user = rand_pin(), rand_pin()
            st, slot = c.seal_create("crash-" + role, so, user)
            require(st == 0, "SEAL_CREATE crash-%s: %s" % (role, w.st_name(st)))
            s = Seal(slot, "crash-" + role, so, user)
            self.seals[slot] = s
            roles[role] = s
        self.role = roles
        for role in ("sign", "policy"):
            s = roles[role]
            require(c.login(s.slot, s.user_pin) == 0, "login " + role)
            for i in range(3 if role == "sign" else 1):
                st, pub, priv = c.generate_ec(s.slot, ("%s-%d" % (role, i)).encode(), "%s-%d" % (role, i))
                require(st == 0, "GENERATE_KEYPAIR: " + w.st_name(st))
                s.keys[priv["handle"]] = (pub["handle"], pub["pub_b"], pub["id"])
        c.close()
        self.emu.kill()
        self.check_audit_after_kill()

    # ---- after the kill, before the restart: the trail as the crash left it ----------------------
    def check_audit_after_kill(self):
        path = os.path.join(self.a.state, "audit.log")
        with open(path, "rb") as f:
            data = f.read()
        self.pre_off, self.pre_head = self.audit.off, self.audit.head
        self.audit.check_prefix(data, self.pre_off, self.pre_head)
        first_new = len(self.audit.records)
        torn = self.audit.feed(data)
        self.cycle_records_from = first_new
        self.torn = torn
        if torn:
            self.stats["torn_natural"] += 1
        elif self.cycle % 7 == 3 and self.kind in KINDS and not self.in_crash_points:
            # Inject a torn tail: the first bytes of what would be the next record.
            rec = w.audit_encode(self.audit.next_seq, int(time.time()), w.OP["SIGN"], 4, 0, 0, 1, 2, 1,
                                 hashlib.sha256(b"torn").digest())
            full = rec + hashlib.sha256(self.audit.head + rec).digest()
            cut = self.rng.choice([1, 3, 4, 5, 20, len(rec) - 1, len(rec), len(rec) + 5, len(full) - 1])
            self.torn = full[:cut]
            with open(path, "ab") as f:
                f.write(self.torn)
            self.stats["torn_injected"] += 1
        self.torn_offset = self.audit.off

    # ---- after the restart ---------------------------------------------------------------------
    def check_audit_after_restart(self):
        path = os.path.join(self.a.state, "audit.log")
        with open(path, "rb") as f:
            data = f.read()
        self.audit.check_prefix(data, self.torn_offset, self.audit.head)
        n0 = len(self.audit.records)
        tail = self.audit.feed(data)
        require(tail == b"", "a torn tail right after a start: %d bytes" % len(tail))
        new = self.audit.records[n0:]
        require(new, "no audit record written at start-up")
        i = 0
        if self.torn:
            r = new[0]
            require(r["event"] == w.EV["TORN_TAIL"] and r["offset"] == self.torn_offset,
                    "a torn tail of %d bytes at offset %d was not reported by a TORN_TAIL record (next: %s)" %
                    (len(self.torn), self.torn_offset, w.EVNAME.get(r["event"], r["event"])))
            require(r["data"] == w.u64(len(self.torn)),
                    "TORN_TAIL says %r, %d bytes were torn" % (r["data"], len(self.torn)))
            kept = os.path.join(self.a.state, "audit-torn-%d" % self.torn_offset)
            require(os.path.exists(kept), "the torn bytes were not kept in %s" % kept)
            with open(kept, "rb") as f:
                require(f.read() == self.torn, "%s does not hold the torn bytes" % kept)
            i = 1
        require(len(new) > i and new[i]["event"] == w.EV["DEVICE_START"],
                "the first record of a start is not DEVICE_START")
        require(new[i]["status"] == 0, "DEVICE_START with status %s" % w.st_name(new[i]["status"]))

    def audit_index(self):
        idx = set()
        for r in self.audit.records[self.cycle_records_from:]:
            idx.add((r["event"], r["status"], r["slot"], r["handle"], r["data"]))
            idx.add((r["event"], r["status"], r["slot"], None, None))
            if r["event"] == w.EV["INTENT"] and len(r["data"]) == 2:
                # Written (durably) before the command's stored effect: ("intent", opcode, slot).
                idx.add(("intent", struct.unpack(">H", r["data"])[0], r["slot"]))
            if r["event"] == w.OP["SIGN"] and r["status"] == 0:
                self.sign_ok_records[r["slot"]] = self.sign_ok_records.get(r["slot"], 0) + 1
        return idx

    def verify(self):
        """Everything checked after a restart; updates the model with in-flight outcomes."""
        st_files = os.listdir(self.a.state)
        tmps = [f for f in st_files if f.startswith(".") and f.endswith(".tmp")]
        require(not tmps, "temporary files survived the start: %s" % tmps)
        self.check_audit_after_restart()
        idx = self.audit_index()
        acked, inflight = self.acked, self.inflight
        self.acked, self.inflight = [], []
        prev_kind = self.prev_kind
        self.counter_notes = []

        c = self.conn()
        c2 = self.conn(token=c.token)
        info = c.info()
        require(info["health"] == "ok", "health after restart: %r" % info["health"])
        require(info["refused_blobs"] == 0, "%d stored objects refused after restart (half-written?)" %
                info["refused_blobs"])

        # -- audit records of acknowledged operations ----------------------------------------------
        for kind, d in acked:
            key = {
                "sign": lambda: (w.OP["SIGN"], 0, d["slot"], d["handle"], hashlib.sha256(d["digest"]).digest()),
                "keygen": lambda: (w.OP["GENERATE_KEYPAIR"], 0, d["slot"], d["priv"], b""),
                "destroy": lambda: (w.OP["DESTROY_OBJECT"], 0, d["slot"], d["handle"], b""),
                "seal_create": lambda: (w.OP["SEAL_CREATE"], 0, d["slot"], None, None),
                "set_pin": lambda: (w.OP["SET_PIN"], 0, d["slot"], None, None),
                "wrong_pin": lambda: (w.OP["LOGIN"], ST["PIN_INCORRECT"], d["slot"], None, None),
                "policy": lambda: (w.OP["POLICY_SET"], 0, d["slot"], None, None),
                "state": lambda: (w.OP["SEAL_STATE"], 0, d["slot"], None, None),
            }[kind]()
            if kind == "wrong_pin" and d.get("locked"):
                key = (w.OP["LOGIN"], ST["PIN_LOCKED"], d["slot"], None, None)
            require(key in idx, "acknowledged %s %r has no audit record" % (kind, {k: v for k, v in d.items()
                                                                                   if k != "digest"}))

        # -- seals: every acknowledged one listed; an in-flight one whole or absent -----------------
        listed = {slot: (flags, label) for slot, flags, label in c.slot_list()}
        for kind, d in acked:
            if kind == "seal_create":
                self.seals[d["slot"]] = Seal(d["slot"], d["label"], d["so"], d["user"])
        pending_creates = [d for k, d in inflight if k == "seal_create"]
        for slot, (flags, label) in listed.items():
            if flags & 1 and slot not in self.seals:
                match = [d for d in pending_creates if d["label"] == label]
                require(match, "slot %d holds seal %r that nobody created" % (slot, label))
                d = match[0]
                self.seals[slot] = Seal(slot, label, d["so"], d["user"])
                self.applied("seal_create")
                self.audited(idx, (w.OP["SEAL_CREATE"], 0, slot, None, None),
                             "SEAL_CREATE of slot %d took effect without an audit record" % slot)
        for slot, s in self.seals.items():
            require(slot in listed and listed[slot][0] & 1, "seal %r (slot %d) is gone" % (s.label, slot))
            require(listed[slot][1] == s.label, "slot %d label %r, expected %r" % (slot, listed[slot][1], s.label))
            require(listed[slot][0] & 2, "seal %r has lost its user PIN" % s.label)

        # -- retry counters and usage counters, before any login ---------------------------------
        for slot, s in self.seals.items():
            if s.tries_seen is None:
                continue
            ti = c.token_info(slot)
            if s.correct_sent:
                bound = ti["user_tries"]  # a correct PIN in flight may have restored the counter
            else:
                bound = s.tries_seen - s.wrong_acked
            require(ti["user_tries"] <= bound,
                    "seal %r: user tries_left went up: %d after restart, %d seen, %d wrong tries acknowledged" %
                    (s.label, ti["user_tries"], s.tries_seen, s.wrong_acked))
            if ti["user_tries"] != s.tries_seen:
                self.counter_notes.append("%s tries_left %d->%d" % (s.label, s.tries_seen, ti["user_tries"]))
        for slot in (self.role["sign"].slot, self.role["policy"].slot):
            s = self.seals[slot]
            pg = c.policy_get(slot)
            acked_sigs = sum(1 for k, d in acked if k == "sign" and d["slot"] == slot)
            require(pg["signatures"] >= s.sigs_min + acked_sigs,
                    "seal %r: usage counter went back: %d, at least %d expected" %
                    (s.label, pg["signatures"], s.sigs_min + acked_sigs))
            require(pg["signatures"] >= self.sign_ok_records.get(slot, 0),
                    "seal %r: usage counter %d below the %d signatures in the audit trail" %
                    (s.label, pg["signatures"], self.sign_ok_records.get(slot, 0)))
            if pg["signatures"] != s.sigs_min + acked_sigs:
                self.counter_notes.append("%s usage counter +%d" % (s.label, pg["signatures"] - s.sigs_min - acked_sigs))
            s.sigs_min = pg["signatures"]

        # -- logins: which seals this cycle needs ------------------------------------------------------
        new_seals = [s for s in self.seals.values() if not s.verified_pins]
        pin_seal, counter_seal = self.role["pin"], self.role["counter"]
        # The PIN seal: the acknowledged PIN, or, after an in-flight change, the old or the new one.
        for kind, d in acked:
            if kind == "set_pin":
                pin_seal.user_pin = d["new"]
        pin_candidates = [pin_seal.user_pin] + [d["new"] for k, d in inflight if k == "set_pin"]
        tasks = [(self.role["sign"].slot, self.role["sign"].user_pin, 1)]
        if prev_kind in ("keygen",) or self.kind == "keygen":
            tasks.append((self.role["keygen"].slot, self.role["keygen"].user_pin, 1))
        if prev_kind == "policy":
            tasks.append((self.role["policy"].slot, self.role["policy"].user_pin, 1))
        if prev_kind == "pin":
            tasks.append((counter_seal.slot, counter_seal.user_pin, 1))
        for s in new_seals:
            if s is not pin_seal:
                tasks.append((s.slot, s.user_pin, 1))
        tasks = list(dict((t[0], t) for t in tasks).values())  # one login per slot
        res = self.login_all([c, c2], tasks)
        for t, st in res.items():
            require(st == 0, "login to slot %d with its acknowledged PIN: %s" % (t[0], w.st_name(st)))
        if prev_kind == "pin" or not pin_seal.verified_pins:
            ok = None
            # Newest first: an in-flight change most likely took effect. A wrong guess costs a try,
            # which the right one restores.
            for pin in reversed(pin_candidates):
                st = c.login(pin_seal.slot, pin)
                if st == 0:
                    ok = pin
                    break
                require(st == ST["PIN_INCORRECT"], "login to the PIN seal: %s" % w.st_name(st))
            require(ok is not None, "no PIN of the PIN seal works (acknowledged %r, in flight %r)" %
                    (pin_seal.user_pin, pin_candidates[1:]))
            if ok != pin_seal.user_pin:
                self.applied("set_pin")
                self.audited(idx, (w.OP["SET_PIN"], 0, pin_seal.slot, None, None),
                             "SET_PIN took effect without an audit record")
            pin_seal.user_pin = ok
        # SO PINs of new seals: from a context of their own (the SO and the user exclude each other).
        if new_seals:
            c3 = self.conn()
            res = self.login_all([c3], [(s.slot, s.so_pin, 0) for s in new_seals])
            for t, st in res.items():
                require(st == 0, "SO login to new seal slot %d: %s" % (t[0], w.st_name(st)))
            c3.close()
            for s in new_seals:
                s.verified_pins = True
        for s in self.seals.values():
            s.tries_seen, s.wrong_acked, s.correct_sent = None, 0, False

        # -- key pairs -------------------------------------------------------------------------------
        kg = self.role["keygen"]
        for kind, d in acked:
            if kind == "keygen":
                kg.keys[d["priv"]] = (d["pub"], d["point"], d["id"])
        if prev_kind == "keygen" or self.kind == "keygen":
            self.check_keys(c, kg, c.objects(kg.slot), acked, inflight, idx)
        sg = self.role["sign"]
        objs = c.objects(sg.slot)
        self.check_keys(c, sg, objs, [], [], idx)

        # -- policy and state of the policy seal -----------------------------------------------------
        pol = self.role["policy"]
        for kind, d in acked:
            if kind == "policy":
                pol.policy = d["policy"]
            elif kind == "state":
                pol.state = d["state"]
        pg = c.policy_get(pol.slot)
        got = {k: pg[k] for k in ("mode", "max_sigs", "max_secs", "mechs", "not_before", "not_after")}
        want = pol.policy or {"mode": 0, "max_sigs": 0, "max_secs": 0, "mechs": 0, "not_before": 0, "not_after": 0}
        if got != want:
            cands = [d["policy"] for k, d in inflight if k == "policy"]
            require(got in cands, "policy of seal %r is %r; acknowledged %r, in flight %r" % (pol.label, got, want, cands))
            pol.policy = got
            self.applied("policy")
            self.audited(idx, (w.OP["POLICY_SET"], 0, pol.slot, None, None),
                         "POLICY_SET took effect without an audit record")
        if pg["state"] != pol.state:
            cands = [d["state"] for k, d in inflight if k == "state"]
            require(pg["state"] in cands, "seal state %d; acknowledged %d, in flight %r" % (pg["state"], pol.state, cands))
            pol.state = pg["state"]
            self.applied("state")
            self.audited(idx, (w.OP["SEAL_STATE"], 0, pol.slot, None, None),
                         "SEAL_STATE took effect without an audit record")
        if prev_kind == "policy":
            self.check_policy_in_force(c, pol)
        c2.close()
        return c

    def known_bug(self, name, msg):
        """A violation already reported: tolerated (and counted) only when named in --known-bugs."""
        require(name in self.a.known_bugs, msg)
        self.stats["known_bugs"].setdefault(name, []).append("cycle %d: %s" % (self.cycle, msg))

    def audited(self, idx, key, msg):
        """An in-flight operation took effect: its audit record should be in the trail too, or
        at least its INTENT record (written before the effect; the crash came before the
        outcome record). The intent names the slot, or no slot when the command chooses it."""
        if key in idx:
            return
        if ("intent", key[0], key[2]) in idx or ("intent", key[0], NO_SLOT) in idx:
            self.stats["intent_only"] = self.stats.get("intent_only", 0) + 1
            return
        self.stats["unaudited_effects"].append("cycle %d: %s" % (self.cycle, msg))
        require(not self.a.strict_audit_order, msg)

    def check_keys(self, c, s, objs, acked, inflight, idx):
        by_handle = {o["handle"]: o for o in objs}
        pending = {d["id"]: d for k, d in inflight if k == "keygen"}
        destroyed = {d["handle"] for k, d in acked if k == "destroy"}
        destroying = {d["handle"] for k, d in inflight if k == "destroy"}
        known = set()
        for priv, (pub, point, ident) in list(s.keys.items()):
            for h in (priv, pub):
                require(h not in destroyed or h not in by_handle,
                        "seal %r: object %d is back after its DESTROY_OBJECT was acknowledged" % (s.label, h))
            if {priv, pub} & (destroyed | destroying):
                # The driver destroys a pair with two requests (private, then public); the kill
                # came during or between them. Each half is there or gone; the driver finishes.
                for h in (priv, pub):
                    if h in by_handle:
                        if h in destroying:
                            self.applied("destroy_not_applied")
                        require(c.destroy(s.slot, h) == 0, "finishing an interrupted destroy")
                    elif h in destroying:
                        self.applied("destroy")
                known.update((priv, pub))
                del s.keys[priv]
                continue
            require(priv in by_handle, "seal %r: acknowledged private key %d is gone" % (s.label, priv))
            require(pub in by_handle, "seal %r: public key %d of private key %d is gone" % (s.label, pub, priv))
            require(by_handle[priv]["class"] == 2 and by_handle[pub]["class"] == 1, "key classes changed")
            require(by_handle[priv]["pub_b"] == point and by_handle[pub]["pub_b"] == point,
                    "seal %r: key pair %d/%d has another public point" % (s.label, pub, priv))
            known.update((priv, pub))
        strays = [o for o in objs if o["handle"] not in known]
        by_id = {}
        for o in strays:
            by_id.setdefault(bytes(o["id"]), []).append(o)
        for ident, os_ in by_id.items():
            require(ident in pending, "seal %r: objects %r that nobody created" %
                    (s.label, [(o["handle"], o["class"], ident) for o in os_]))
            classes = sorted(o["class"] for o in os_)
            if classes != [1, 2]:
                msg = ("seal %r: HALF-WRITTEN key pair visible after the restart: id %r, only the %s half (handles %s)" %
                       (s.label, ident, "/".join("public" if x == 1 else "private" for x in classes),
                        [o["handle"] for o in os_]))
                self.known_bug("half-keypair", msg)
                for o in os_:  # tolerated: recorded, and the stray half destroyed to go on
                    require(c.destroy(s.slot, o["handle"]) == 0, "destroying a stray half")
                continue
            pub = [o for o in os_ if o["class"] == 1][0]
            priv = [o for o in os_ if o["class"] == 2][0]
            require(pub["pub_b"] == priv["pub_b"] and priv["handle"] == pub["handle"] + 1, "pair halves disagree")
            s.keys[priv["handle"]] = (pub["handle"], pub["pub_b"], ident)
            self.applied("keygen")
            self.audited(idx, (w.OP["GENERATE_KEYPAIR"], 0, s.slot, priv["handle"], b""),
                         "GENERATE_KEYPAIR of key %d took effect without an audit record" % priv["handle"])
        # Every key pair that is new since the last check signs, and the signature verifies.
        for priv, (pub, point, ident) in s.keys.items():
            if (s.slot, priv) in self.signed_keys:
                continue
            d = os.urandom(32)
            st, sig = c.sign(s.slot, priv, d)
            require(st == 0, "seal %r: key %d does not sign after the restart: %s" % (s.label, priv, w.st_name(st)))
            require(w.ecdsa_p256_verify(point, d, sig), "seal %r: key %d: signature does not verify" % (s.label, priv))
            self.signed_keys.add((s.slot, priv))
            self.stats["keys_checked"] += 1
            if s is self.role["sign"] or s is self.role["policy"]:
                s.sigs_min += 1

    def check_policy_in_force(self, c, pol):
        priv = next(iter(pol.keys))
        point = pol.keys[priv][1]
        p = pol.policy or {"mode": 0, "max_sigs": 0, "mechs": 0, "not_after": 0}

        def sign():
            d = os.urandom(32)
            st, sig = c.sign(pol.slot, priv, d)
            if st == 0:
                require(w.ecdsa_p256_verify(point, d, sig), "policy seal signature does not verify")
                pol.sigs_min += 1
            return st
        flags = [o["flags"] for o in c.objects(pol.slot) if o["handle"] == priv][0]
        require(bool(flags & 0x20) == (p["mode"] == 1),
                "policy mode %d but the key's always-authenticate flag is %s" % (p["mode"], bool(flags & 0x20)))
        if pol.state == 2:
            st = sign()
            require(st == ST["SEAL_SUSPENDED"], "suspended seal signs: %s" % w.st_name(st))
            return
        if p["not_after"] and p["not_after"] < time.time():
            st = sign()
            require(st == ST["OUTSIDE_VALIDITY"], "expired policy: SIGN %s" % w.st_name(st))
            return
        if p["mechs"] and not p["mechs"] & (1 << MECH_ECDSA):
            st = sign()
            require(st == ST["MECHANISM_NOT_ALLOWED"], "ECDSA forbidden by policy: SIGN %s" % w.st_name(st))
            return
        if p["mode"] == 1:
            st = sign()
            require(st == ST["NOT_LOGGED_IN"], "per-signature policy: SIGN without context login: %s" % w.st_name(st))
            require(c.login(pol.slot, pol.user_pin, 2) == 0, "context-specific login")
            st = sign()
            require(st == 0, "per-signature policy: SIGN after context login: %s" % w.st_name(st))
            return
        if p["max_sigs"]:
            for i in range(p["max_sigs"]):
                st = sign()
                require(st == 0, "budget %d: signature %d: %s" % (p["max_sigs"], i + 1, w.st_name(st)))
            st = sign()
            require(st == ST["NOT_LOGGED_IN"], "budget %d spent: SIGN %s" % (p["max_sigs"], w.st_name(st)))
            return
        st = sign()
        require(st == 0, "default policy: SIGN %s" % w.st_name(st))

    # ---- the workload, killed at a random point --------------------------------------------------
    def signer(self, token, stop):
        s = self.role["sign"]
        try:
            c = self.conn(token)
        except (w.ConnLost, OSError):
            return  # killed before this signer connected: nothing sent
        keys = list(s.keys.items())
        try:
            while not stop.is_set():
                priv, (pub, point, ident) = self.rng.choice(keys)
                d = os.urandom(32)
                det = {"slot": s.slot, "handle": priv, "digest": d}
                try:
                    st, sig = c.sign(s.slot, priv, d)
                except (w.ConnLost, OSError):
                    self.note_inflight("sign", det)
                    return
                require(st == 0, "SIGN during the workload: %s" % w.st_name(st))
                require(w.ecdsa_p256_verify(point, d, sig), "an acknowledged signature does not verify")
                self.stats["sigs_verified"] += 1
                self.note_ack("sign", det)
        finally:
            c.close()

    def op(self, kind, det, fn):
        """Runs fn() -> status; records the op as acknowledged or in flight. None if in flight."""
        try:
            st = fn()
        except (w.ConnLost, OSError):
            self.note_inflight(kind, det)
            return None
        return st

    def work_seal_create(self, c, stop):
        n = 0
        while not stop.is_set():
            n += 1
            d = {"label": "c%d-%d" % (self.cycle, n), "so": rand_pin(), "user": rand_pin()}
            res = {}

            def fn():
                st, slot = c.seal_create(d["label"], d["so"], d["user"])
                res["slot"] = slot
                return st
            st = self.op("seal_create", d, fn)
            if st is None:
                return
            if st == ST["NO_FREE_SLOT"]:
                self.full = True
                return
            require(st == 0, "SEAL_CREATE: %s" % w.st_name(st))
            d["slot"] = res["slot"]
            self.note_ack("seal_create", d)

    def work_keygen(self, c, stop):
        kg = self.role["keygen"]
        live = dict(kg.keys)
        n = 0
        while not stop.is_set():
            if len(live) >= MAX_KEYS:
                priv = min(live)
                pub = live[priv][0]
                for h in (priv, pub):
                    d = {"slot": kg.slot, "handle": h, "priv": priv}
                    st = self.op("destroy", d, lambda: c.destroy(kg.slot, h))
                    if st is None:
                        return
                    require(st == 0, "DESTROY_OBJECT %d: %s" % (h, w.st_name(st)))
                    self.note_ack("destroy", d)
                del live[priv]
                continue
            n += 1
            ident = ("k%d-%d" % (self.cycle, n)).encode()
            d = {"slot": kg.slot, "id": ident}
            res = {}

            def fn():
                st, pub, priv = c.generate_ec(kg.slot, ident, ident.decode())
                res["pub"], res["priv"] = pub, priv
                return st
            st = self.op("keygen", d, fn)
            if st is None:
                return
            require(st == 0, "GENERATE_KEYPAIR: %s" % w.st_name(st))
            pub, priv = res["pub"], res["priv"]
            require(priv["flags"] & 0x18 == 0x18 and priv["handle"] == pub["handle"] + 1, "key pair record")
            d.update(pub=pub["handle"], priv=priv["handle"], point=pub["pub_b"])
            live[priv["handle"]] = (pub["handle"], pub["pub_b"], ident)
            self.note_ack("keygen", d)

    def work_pin(self, c, stop):
        s = self.role["pin"]
        while not stop.is_set():
            new = rand_pin()
            d = {"slot": s.slot, "old": s.user_pin, "new": new}
            s.correct_sent = True
            st = self.op("set_pin", d, lambda: c.set_pin(s.slot, s.user_pin, new))
            if st is None:
                return
            require(st == 0, "SET_PIN: %s" % w.st_name(st))
            s.user_pin = new
            self.note_ack("set_pin", d)

    def work_wrong_pin(self, c, stop):
        s = self.role["counter"]
        for _ in range(2):  # at most 2 wrong tries a cycle: the 5-try PIN never locks
            if stop.is_set():
                return
            d = {"slot": s.slot}
            st = self.op("wrong_pin", d, lambda: c.login(s.slot, "wrong-" + os.urandom(4).hex()))
            if st is None:
                return
            require(st in (ST["PIN_INCORRECT"], ST["PIN_LOCKED"]), "wrong PIN: %s" % w.st_name(st))
            d["locked"] = st == ST["PIN_LOCKED"]
            s.wrong_acked += 1
            self.note_ack("wrong_pin", d)

    def random_policy(self):
        now = int(time.time())
        return self.rng.choice([
            {"mode": 0, "max_sigs": 0, "max_secs": 0, "mechs": 0, "not_before": 0, "not_after": 0},
            {"mode": 0, "max_sigs": 0, "max_secs": 0, "mechs": (1 << 2) | (1 << 3), "not_before": 0, "not_after": 0},
            {"mode": 0, "max_sigs": 0, "max_secs": 0, "mechs": 0, "not_before": 1, "not_after": now - 3600},
            {"mode": 0, "max_sigs": self.rng.randint(1, 3), "max_secs": 0, "mechs": 0, "not_before": 0, "not_after": 0},
            {"mode": 1, "max_sigs": 0, "max_secs": 0, "mechs": 0, "not_before": 0, "not_after": now + 86400},
            {"mode": 0, "max_sigs": 0, "max_secs": 3600, "mechs": 1 << 1, "not_before": now - 60, "not_after": 0},
        ])

    def work_policy(self, c, stop):
        s = self.role["policy"]
        while not stop.is_set():
            if self.rng.random() < 0.25:
                want = 2 if s.state == 1 else 1
                d = {"slot": s.slot, "state": want}
                st = self.op("state", d, lambda: c.seal_state(s.slot, want))
                if st is None:
                    return
                require(st == 0, "SEAL_STATE: %s" % w.st_name(st))
                s.state = want
                self.note_ack("state", d)
                continue
            p = self.random_policy()
            d = {"slot": s.slot, "policy": p}
            st = self.op("policy", d, lambda: c.policy_set(s.slot, **p))
            if st is None:
                return
            require(st == 0, "POLICY_SET: %s" % w.st_name(st))
            s.policy = p
            self.note_ack("policy", d)

    def workload(self, c):
        """Runs this cycle's kind (and a signer, always) until the emulator is killed."""
        stop = threading.Event()
        errors = []
        token = c.token

        def guard(fn, *args):
            try:
                fn(*args)
            except Violation as e:
                errors.append(e)
            except Exception as e:  # noqa: BLE001
                errors.append(Violation("%s: %r" % (fn.__name__, e)))
        threads = [threading.Thread(target=guard, args=(self.signer, token, stop))]
        if self.kind == "sign":
            threads.append(threading.Thread(target=guard, args=(self.signer, token, stop)))
        elif self.kind == "seal_create":
            if not self.full:
                threads.append(threading.Thread(target=guard, args=(self.work_seal_create, c, stop)))
        elif self.kind == "keygen":
            threads.append(threading.Thread(target=guard, args=(self.work_keygen, c, stop)))
        elif self.kind == "pin":
            threads.append(threading.Thread(target=guard, args=(self.work_pin, c, stop)))
            c4 = self.conn()  # a context of its own: never logged in to the counter seal
            threads.append(threading.Thread(target=guard, args=(self.work_wrong_pin, c4, stop)))
        elif self.kind == "policy":
            threads.append(threading.Thread(target=guard, args=(self.work_policy, c, stop)))
        # Counters seen before the workload starts: the bounds after the kill.
        for s in (self.role["counter"], self.role["pin"]):
            s.tries_seen = c.token_info(s.slot)["user_tries"]
            s.wrong_acked, s.correct_sent = 0, False
        for t in threads:
            t.start()
        # The kill window scales with what one operation costs: a PIN change runs the PIN KDF
        # twice (~350 ms), a seal creation twice plus a write; the others take milliseconds.
        scale = {"pin": 3.0, "seal_create": 2.5}.get(self.kind, 1.0)
        delay = self.rng.uniform(0.005, self.a.max_delay * scale)
        time.sleep(delay)
        self.emu.kill()  # SIGKILL, at a random point of whatever is running
        stop.set()
        for t in threads:
            t.join(30)
            require(not t.is_alive(), "a workload thread hung after the kill")
        if errors:
            raise errors[0]

    # ---- deterministic crash points ----------------------------------------------------------------
    CP_KINDS = ["keygen", "seal_create", "set_pin", "wrong_pin", "policy", "state", "sign"]

    def crash_point_op(self, kind, c):
        """One operation of kind. Returns (status or None if the emulator died, details, result)."""
        res = {}
        if kind == "keygen":
            kg = self.role["keygen"]
            ident = ("cp%d" % self.cycle).encode()
            d = {"slot": kg.slot, "id": ident}

            def fn():
                st, res["pub"], res["priv"] = c.generate_ec(kg.slot, ident, ident.decode())
                return st
            return self.op("keygen", d, fn), d, res
        if kind == "seal_create":
            d = {"label": "cp%d" % self.cycle, "so": rand_pin(), "user": rand_pin()}

            def fn():
                st, res["slot"] = c.seal_create(d["label"], d["so"], d["user"])
                return st
            return self.op("seal_create", d, fn), d, res
        if kind == "set_pin":
            s = self.role["pin"]
            new = rand_pin()
            d = {"slot": s.slot, "old": s.user_pin, "new": new}
            s.correct_sent = True
            return self.op("set_pin", d, lambda: c.set_pin(s.slot, s.user_pin, new)), d, res
        if kind == "wrong_pin":
            s = self.role["counter"]
            d = {"slot": s.slot}
            return self.op("wrong_pin", d, lambda: c.login(s.slot, "wrong-pin-x")), d, res
        if kind == "policy":
            s = self.role["policy"]
            p = self.random_policy()
            while p == s.policy:
                p = self.random_policy()
            d = {"slot": s.slot, "policy": p}
            return self.op("policy", d, lambda: c.policy_set(s.slot, **p)), d, res
        if kind == "state":
            s = self.role["policy"]
            want = 2 if s.state == 1 else 1
            d = {"slot": s.slot, "state": want}
            return self.op("state", d, lambda: c.seal_state(s.slot, want)), d, res
        if kind == "sign":
            s = self.role["sign"]
            priv = next(iter(s.keys))
            d = {"slot": s.slot, "handle": priv, "digest": os.urandom(32)}

            def fn():
                st, res["sig"] = c.sign(s.slot, priv, d["digest"])
                return st
            return self.op("sign", d, fn), d, res
        raise AssertionError(kind)

    def crash_point_acked(self, kind, st, d, res):
        """The operation completed before the crash point: book it as acknowledged."""
        if kind == "wrong_pin":
            require(st in (ST["PIN_INCORRECT"], ST["PIN_LOCKED"]), "wrong PIN: %s" % w.st_name(st))
            d["locked"] = st == ST["PIN_LOCKED"]
            self.role["counter"].wrong_acked += 1
        elif kind == "seal_create" and st == ST["NO_FREE_SLOT"]:
            self.full = True
            return
        else:
            require(st == 0, "%s: %s" % (kind, w.st_name(st)))
        if kind == "keygen":
            d.update(pub=res["pub"]["handle"], priv=res["priv"]["handle"], point=res["pub"]["pub_b"])
        elif kind == "seal_create":
            d["slot"] = res["slot"]
        elif kind == "set_pin":
            self.role["pin"].user_pin = d["new"]
        elif kind == "policy":
            self.role["policy"].policy = d["policy"]
        elif kind == "state":
            self.role["policy"].state = d["state"]
        elif kind == "sign":
            point = self.role["sign"].keys[d["handle"]][1]
            require(w.ecdsa_p256_verify(point, d["digest"], res["sig"]), "signature does not verify")
        self.note_ack(kind, d)

    def run_crash_points(self):
        """Every storage step of every operation kind: a SIGKILL just before and just after the
        1st, 2nd, ... rename (a record made durable) and unlink (a record removed) of the
        operation, until the operation completes without reaching the point; and its audit
        append torn in half. One cycle each; its outcome is what the next start shows (the delta
        of the counters between the crash and the end of the next verification)."""
        verify_kind = {"set_pin": "pin", "wrong_pin": "pin", "state": "policy"}
        pending = None
        self.in_crash_points = True
        hit_file = self.a.crashpoint_file + ".hit"
        for kind in self.CP_KINDS:
            if kind == "seal_create" and self.full:
                continue
            for op, when in (("rename", "before"), ("rename", "after"), ("unlink", "before"),
                             ("unlink", "after"), ("append", "torn")):
                n = 1
                while True:
                    spec = "%s %s %d %s" % (op, "audit.log" if op == "append" else "*", n, when)
                    self.cycle += 1
                    self.kind = verify_kind.get(kind, kind)
                    self.emu.start()
                    c = self.verify()
                    if pending is not None:
                        self.cp_results.append(pending[:3] + (self.describe_outcome(pending[0], pending[3],
                                                                                   self.outcome_snapshot()),))
                        pending = None
                    if kind in ("seal_create", "policy", "state"):
                        require(c.admin_login(ADMIN_PIN) == 0, "administrator login")
                    if kind in ("wrong_pin", "set_pin"):
                        for s in (self.role["counter"], self.role["pin"]):
                            s.tries_seen = c.token_info(s.slot)["user_tries"]
                            s.wrong_acked, s.correct_sent = 0, False
                    c_op = self.conn() if kind == "wrong_pin" else c
                    if os.path.exists(hit_file):
                        os.unlink(hit_file)
                    self.emu.arm(spec)
                    st, d, res = self.crash_point_op(kind, c_op)
                    done = st is not None
                    if done:
                        # Fewer steps than n: the operation completed. Booked, then a kill at rest.
                        self.emu.arm("")
                        self.crash_point_acked(kind, st, d, res)
                        self.emu.kill()
                        require(op != "append", "crash point '%s': %s wrote no audit record" % (spec, kind))
                    else:
                        require(self.emu.wait_dead(), "crash point '%s': the emulator did not die by SIGKILL" % spec)
                        with open(hit_file) as f:
                            hit = f.read()
                    c.close()
                    if c_op is not c:
                        c_op.close()
                    if not done:
                        what = "%s #%d %s" % (op, n, when) if op != "append" else "audit append torn"
                        pending = (kind, what, hit, self.outcome_snapshot())
                    self.check_audit_after_kill()
                    self.prev_kind = self.kind
                    if done or op == "append":
                        break
                    n += 1
                    require(n <= 10, "%s: more than 9 %s steps?" % (kind, op))
        self.in_crash_points = False
        return pending

    def outcome_snapshot(self):
        st = self.stats
        return (sum(st["inflight_applied"].values()) - st["inflight_applied"].get("destroy_not_applied", 0),
                sum(len(v) for v in st["known_bugs"].values()), len(st["unaudited_effects"]),
                st["torn_natural"])

    def describe_outcome(self, kind, before, after):
        applied, bug, unaudited, torn = (a - b for a, b in zip(after, before))
        parts = []
        parts.append("took effect" if applied or bug else "no effect")
        if bug:
            parts.append("HALF-WRITTEN (known bug)")
        if unaudited:
            parts.append("NO AUDIT RECORD (finding)")
        if torn:
            parts.append("torn tail reported")
        # Only the counters the operation itself moves (the verification's own signatures move
        # the policy seal's usage counter too).
        role, counter = {"set_pin": ("pin", "tries_left"), "wrong_pin": ("counter", "tries_left"),
                         "sign": ("sign", "usage counter")}.get(kind, (None, None))
        if role is not None:
            parts += [n for n in self.counter_notes if n.startswith(self.role[role].label + " " + counter)]
        return ", ".join(parts)

    # ---- the loop -----------------------------------------------------------------------------------
    def run(self):
        t0 = time.monotonic()
        self.signed_keys = set()
        self.in_crash_points = False
        self.cp_pending = None
        self.counter_notes = []
        self.full = False
        self.prev_kind = None
        self.kind = None
        self.setup()
        kinds_done = {k: 0 for k in KINDS}
        self.cp_results = []
        if self.a.crashpoint_lib:
            # Deterministic first: every storage step of every operation, then the random kills.
            pending = self.run_crash_points()
            self.cp_pending = pending
        n_cp = self.cycle
        for self.cycle in range(n_cp + 1, n_cp + self.a.cycles + 1):
            self.kind = KINDS[(self.cycle - n_cp - 1) % len(KINDS)]
            self.emu.start()
            c = self.verify()
            if self.kind in ("seal_create", "policy"):
                require(c.admin_login(ADMIN_PIN) == 0, "administrator login")
            self.workload(c)
            c.close()
            kinds_done[self.kind] += 1
            self.stats["cycles"] = self.cycle - n_cp
            self.check_audit_after_kill()
            self.prev_kind = self.kind
            if time.monotonic() - t0 > self.a.budget:
                raise Violation("over the time budget of %d s after %d cycles" % (self.a.budget, self.cycle))
            if self.cp_pending is not None:  # the last crash point's outcome, seen by this cycle's verify
                self.cp_results.append(self.cp_pending[:3] + (self.describe_outcome(self.cp_pending[0], self.cp_pending[3], self.outcome_snapshot()),))
                self.cp_pending = None
            if (self.cycle - n_cp) % 25 == 0:
                print("  %d random cycles, %.0f s" % (self.cycle - n_cp, time.monotonic() - t0), flush=True)
        # A last start: everything checked once more, then a clean stop.
        self.kind = None
        self.emu.start()
        c = self.verify()
        c.close()
        self.emu.stop()
        # The whole trail once more from its first byte, with every checkpoint's signature; it
        # must agree with what was verified cycle by cycle.
        path = os.path.join(self.a.state, "audit.log")
        v, torn = w.verify_audit_file(path, self.audit_pub)
        require(torn == b"", "torn tail after a clean stop")
        with open(path, "rb") as f:
            self.audit.check_prefix(f.read(), self.audit.off, self.audit.head)
        require(len(v.records) >= len(self.audit.records) and
                v.records[len(self.audit.records) - 1]["offset"] == self.audit.records[-1]["offset"],
                "full re-verification disagrees with the incremental one")
        elapsed = time.monotonic() - t0
        st = self.stats
        print("crash_consistency: %d crash points and %d random SIGKILL cycles in %.1f s (emulator start %.0f ms "
              "on average)" % (len(self.cp_results), st["cycles"], elapsed,
                               1000 * self.emu.start_time / max(1, self.emu.starts)))
        print("  kills by workload: %s" % ", ".join("%s %d" % kv for kv in kinds_done.items()))
        print("  acknowledged: %s" % ", ".join("%s %d" % kv for kv in sorted(st["acked"].items())))
        print("  in flight at the kill: %s" % ", ".join("%s %d" % kv for kv in sorted(st["inflight"].items())))
        print("  of those, found applied after the restart: %s" %
              (", ".join("%s %d" % kv for kv in sorted(st["inflight_applied"].items())) or "none"))
        print("  signatures acknowledged and verified: %d; key pairs signed after a restart: %d" %
              (st["sigs_verified"], st["keys_checked"]))
        print("  audit: %d records verified (%d signed checkpoints); torn tails: %d injected, %d natural, all reported" %
              (len(v.records), v.checkpoints, st["torn_injected"], st["torn_natural"]))
        print("  seals: %d" % len(self.seals))
        if self.a.crashpoint_lib:
            print("  deterministic crash points (SIGKILL at an exact storage step, then restart):")
            for kind, spec, what, outcome in self.cp_results:
                print("    %-11s %-20s %-26s -> %s" % (kind, spec, what, outcome))
        else:
            print("  deterministic crash points: not run (no --crashpoint-lib: sanitizer build)")
        ua = st["unaudited_effects"]
        print("  in-flight operations that took effect with only their INTENT record (killed before the "
              "outcome record): %d" % st.get("intent_only", 0))
        print("  in-flight operations that took effect WITHOUT any audit record: %d" % len(ua))
        for m in ua[:10]:
            print("    FINDING: " + m)
        for name, ms in st["known_bugs"].items():
            print("  KNOWN BUG %s (tolerated by --known-bugs): %d times" % (name, len(ms)))
            for m in ms[:5]:
                print("    " + m)
        return 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--emu", required=True)
    ap.add_argument("--state", required=True)
    ap.add_argument("--sock", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--cycles", type=int, default=200)
    ap.add_argument("--slots", type=int, default=64)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--max-delay", type=float, default=0.35, help="latest kill, seconds into the workload")
    ap.add_argument("--budget", type=float, default=240)
    ap.add_argument("--strict-audit-order", action="store_true",
                    help="fail when an in-flight operation took effect without its audit record")
    ap.add_argument("--crashpoint-lib", default="", help="crashpoint.so: also run the deterministic crash points")
    ap.add_argument("--crashpoint-file", default="", help="the injector's control file")
    ap.add_argument("--known-bugs", default="",
                    help="comma-separated violations to count instead of failing on: half-keypair")
    a = ap.parse_args()
    a.known_bugs = set(x for x in a.known_bugs.split(",") if x)
    if a.seed is None:
        a.seed = int.from_bytes(os.urandom(4), "big")
    print("crash_consistency: seed %d (CRASH_SEED=%d reproduces the kill points)" % (a.seed, a.seed), flush=True)
    d = Driver(a)
    try:
        return d.run()
    except (Violation, w.AuditError) as e:
        print("FAIL [crash_consistency] cycle %d (%s): %s" % (d.cycle, d.kind, e), file=sys.stderr)
        d.emu.kill()
        return 1


if __name__ == "__main__":
    sys.exit(main())
