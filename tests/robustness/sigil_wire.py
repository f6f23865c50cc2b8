"""sigil_wire.py — a small client of the Sigil wire protocol (specs/protocol.md) and an
offline verifier of the audit trail (specs/audit.md), for the robustness tests.

Test code only. Python 3 standard library; ECDSA verification uses python3-cryptography
(installed by scripts/install-deps.sh).
"""
import hashlib
import os
import socket
import struct

HDR = struct.Struct(">IBBHII")  # body_len, version, kind, opcode, request_id, status
HDR_LEN = 16
MAX_BODY = 1024 * 1024

OP = {
    "HELLO": 0x0001, "INFO": 0x0002, "APPLIANCE_INIT": 0x0003, "ADMIN_LOGIN": 0x0004,
    "ADMIN_LOGOUT": 0x0005, "CRED_SET": 0x0006, "AUDITOR_LOGIN": 0x0007, "SLOT_LIST": 0x0010,
    "TOKEN_INFO": 0x0011, "INIT_TOKEN": 0x0012, "SEAL_CREATE": 0x0013, "LOGIN": 0x0014,
    "LOGOUT": 0x0015, "INIT_PIN": 0x0016, "SET_PIN": 0x0017, "OBJECT_LIST": 0x0020,
    "GENERATE_KEYPAIR": 0x0021, "DESTROY_OBJECT": 0x0022, "CREATE_OBJECT": 0x0023,
    "SET_OBJECT": 0x0024, "POLICY_SET": 0x0025, "POLICY_GET": 0x0026, "SEAL_STATE": 0x0027,
    "SIGN": 0x0030, "RANDOM": 0x0040, "DEVICE_KEYS": 0x0050, "AUDIT_READ": 0x0060,
    "AUDIT_CHECKPOINT": 0x0061, "ATTEST": 0x0062, "ZEROIZE": 0x0070,
}
OPNAME = {v: k for k, v in OP.items()}

ST_NAMES = [
    "OK", "GENERAL_ERROR", "BAD_FRAME", "BAD_VERSION", "UNKNOWN_OPCODE", "FRAME_TOO_LARGE",
    "BAD_ARGUMENT", "NO_CONTEXT", "NOT_AUTHORIZED", "NOT_LOGGED_IN", "ALREADY_LOGGED_IN",
    "ANOTHER_USER_LOGGED_IN", "PIN_INCORRECT", "PIN_LOCKED", "PIN_LEN_RANGE",
    "USER_PIN_NOT_INITIALIZED", "USER_TYPE_INVALID", "SLOT_INVALID", "TOKEN_NOT_INITIALIZED",
    "NO_FREE_SLOT", "APPLIANCE_NOT_INITIALIZED", "APPLIANCE_ALREADY_INITIALIZED", "OBJECT_INVALID",
    "KEY_TYPE_INCONSISTENT", "MECHANISM_INVALID", "MECHANISM_PARAM_INVALID", "DATA_LEN_RANGE",
    "KEY_SIZE_RANGE", "TEMPLATE_INCONSISTENT", "STORAGE_FAILURE", "INTEGRITY_FAILURE",
    "CRYPTO_FAILURE", "SELF_TEST_FAILED", "NO_MEMORY", "BUSY", "OBJECT_LIMIT",
    "KEY_FUNCTION_NOT_PERMITTED", "AUDIT_FAILURE", "SLOT_IN_USE", "SEAL_SUSPENDED", "SEAL_REVOKED",
    "OUTSIDE_VALIDITY", "MECHANISM_NOT_ALLOWED", "ZEROIZED", "SEAL_EXISTS", "NO_BACKUP_DOMAIN",
    "BACKUP_WRONG_DOMAIN",
]
ST = {n: i for i, n in enumerate(ST_NAMES)}


def st_name(st):
    return ST_NAMES[st] if 0 <= st < len(ST_NAMES) else "STATUS_%d" % st


# ---- body encoding -------------------------------------------------------------------------

def u8(v): return struct.pack(">B", v)
def u16(v): return struct.pack(">H", v)
def u32(v): return struct.pack(">I", v)
def u64(v): return struct.pack(">Q", v)


def bstr(b):
    if isinstance(b, str):
        b = b.encode()
    return u32(len(b)) + b


def frame(opcode, body=b"", request_id=1, version=1, kind=1, status=0, body_len=None):
    return HDR.pack(len(body) if body_len is None else body_len, version, kind, opcode,
                    request_id, status) + body


class Rd:
    def __init__(self, b):
        self.b, self.o = b, 0

    def take(self, n):
        if self.o + n > len(self.b):
            raise ValueError("short body")
        v = self.b[self.o:self.o + n]
        self.o += n
        return v

    def u8(self): return self.take(1)[0]
    def u16(self): return struct.unpack(">H", self.take(2))[0]
    def u32(self): return struct.unpack(">I", self.take(4))[0]
    def u64(self): return struct.unpack(">Q", self.take(8))[0]
    def bytes(self): return self.take(self.u32())
    def str(self): return self.bytes().decode()
    def done(self): return self.o == len(self.b)


def read_object(r):
    return {
        "handle": r.u32(), "class": r.u8(), "key_type": r.u8(), "bits": r.u32(), "flags": r.u32(),
        "id": r.bytes(), "label": r.str(), "pub_a": r.bytes(), "pub_b": r.bytes(),
        "attrs": r.bytes(),
    }


# ---- connection ----------------------------------------------------------------------------

class ConnLost(Exception):
    """The appliance closed the connection (or died) before the response came."""


class WireError(Exception):
    def __init__(self, opcode, status):
        super().__init__("%s: %s" % (OPNAME.get(opcode, hex(opcode)), st_name(status)))
        self.opcode, self.status = opcode, status


def recv_exact(s, n):
    buf = bytearray()
    while len(buf) < n:
        try:
            chunk = s.recv(n - len(buf))
        except (ConnectionResetError, BrokenPipeError) as e:
            raise ConnLost(str(e))
        if not chunk:
            raise ConnLost("EOF after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return bytes(buf)


class Conn:
    """One connection, one request at a time (lock-step)."""

    def __init__(self, path, token=None, timeout=30.0, hello=True):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.token = token if token is not None else os.urandom(16)
        self.rid = 0
        self.slot_count = None
        if hello:
            r = Rd(self.ok("HELLO", u16(1) + bstr(self.token)))
            r.u16()
            self.slot_count = r.u32()

    def close(self):
        try:
            self.s.close()
        except OSError:
            pass

    def send_raw(self, data):
        try:
            self.s.sendall(data)
        except (BrokenPipeError, ConnectionResetError) as e:
            raise ConnLost(str(e))

    def read_response(self):
        h = recv_exact(self.s, HDR_LEN)
        body_len, ver, kind, opcode, rid, status = HDR.unpack(h)
        body = recv_exact(self.s, body_len) if body_len else b""
        return {"opcode": opcode, "id": rid, "status": status, "body": body, "version": ver,
                "kind": kind}

    def call(self, op, body=b""):
        """(status, body) of one request; ConnLost if the appliance went away."""
        opcode = OP[op] if isinstance(op, str) else op
        self.rid += 1
        self.send_raw(frame(opcode, body, self.rid))
        r = self.read_response()
        if r["id"] != self.rid or r["opcode"] != opcode:
            raise ValueError("response %r does not match request %d/%s" % (r, self.rid, op))
        return r["status"], r["body"]

    def ok(self, op, body=b""):
        st, b = self.call(op, body)
        if st != 0:
            raise WireError(OP[op] if isinstance(op, str) else op, st)
        return b

    # -- commands ----------------------------------------------------------------------
    def info(self):
        r = Rd(self.ok("INFO"))
        d = {"fw": r.str(), "backend": r.str(), "initialised": r.u8(), "self_test_ok": r.u8(),
             "slot_count": r.u32(), "slots_used": r.u32(), "role": r.u8(), "health": r.str(),
             "serial": r.str(), "audit_records": r.u64(), "refused_blobs": r.u32(),
             "backup_domain": r.bytes()}
        return d

    def slot_list(self):
        r = Rd(self.ok("SLOT_LIST"))
        return [(r.u32(), r.u32(), r.str()) for _ in range(r.u32())]

    def token_info(self, slot):
        r = Rd(self.ok("TOKEN_INFO", u32(slot)))
        return {"flags": r.u32(), "label": r.str(), "serial": r.str(), "objects": r.u32(),
                "login": r.u32(), "user_tries": r.u32(), "so_tries": r.u32()}

    def admin_login(self, pin):
        return self.call("ADMIN_LOGIN", bstr(pin))[0]

    def login(self, slot, pin, user_type=1):
        return self.call("LOGIN", u32(slot) + u32(user_type) + bstr(pin))[0]

    def logout(self, slot):
        return self.call("LOGOUT", u32(slot))[0]

    def seal_create(self, label, so_pin, user_pin):
        st, b = self.call("SEAL_CREATE", bstr(label) + bstr(so_pin) + bstr(user_pin))
        return st, (Rd(b).u32() if st == 0 else None)

    def set_pin(self, slot, old, new):
        return self.call("SET_PIN", u32(slot) + bstr(old) + bstr(new))[0]

    def policy_set(self, slot, mode=0, max_sigs=0, max_secs=0, mechs=0, not_before=0, not_after=0):
        return self.call("POLICY_SET", u32(slot) + u8(mode) + u32(max_sigs) + u32(max_secs) +
                         u32(mechs) + u64(not_before) + u64(not_after))[0]

    def policy_get(self, slot):
        r = Rd(self.ok("POLICY_GET", u32(slot)))
        return {"mode": r.u8(), "state": r.u8(), "max_sigs": r.u32(), "max_secs": r.u32(),
                "mechs": r.u32(), "not_before": r.u64(), "not_after": r.u64(),
                "signatures": r.u64()}

    def seal_state(self, slot, state):
        return self.call("SEAL_STATE", u32(slot) + u8(state))[0]

    def generate_ec(self, slot, ident=b"", label="", bits=256):
        st, b = self.call("GENERATE_KEYPAIR", u32(slot) + u8(1) + u32(bits) + bstr(ident) + bstr(label))
        if st != 0:
            return st, None, None
        r = Rd(b)
        return st, read_object(r), read_object(r)

    def destroy(self, slot, handle):
        return self.call("DESTROY_OBJECT", u32(slot) + u32(handle))[0]

    def objects(self, slot):
        r = Rd(self.ok("OBJECT_LIST", u32(slot)))
        return [read_object(r) for _ in range(r.u32())]

    def sign(self, slot, handle, digest, mech=1):
        st, b = self.call("SIGN", u32(slot) + u32(handle) + u8(mech) + u8(0) + u32(0) + bstr(digest))
        return st, (Rd(b).bytes() if st == 0 else None)

    def device_keys(self):
        r = Rd(self.ok("DEVICE_KEYS"))
        return {"serial": r.str(), "audit_key": r.bytes(), "attest_key": r.bytes()}


# ---- ECDSA verification ----------------------------------------------------------------------

def ecdsa_p256_verify(point, digest, sig_rs):
    """True if sig_rs (r||s) is an ECDSA P-256 signature of digest (a SHA-256) by point (04||X||Y)."""
    from cryptography.hazmat.primitives.asymmetric import ec, utils
    from cryptography.hazmat.primitives import hashes
    from cryptography.exceptions import InvalidSignature
    pub = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), bytes(point))
    n = len(sig_rs) // 2
    der = utils.encode_dss_signature(int.from_bytes(sig_rs[:n], "big"), int.from_bytes(sig_rs[n:], "big"))
    try:
        pub.verify(der, digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
        return True
    except InvalidSignature:
        return False


# ---- audit trail (specs/audit.md) -----------------------------------------------------------

AUDIT_BODY_MAX = 8 + 8 + 2 + 2 + 4 * 5 + 4 + 96
EV = {"DEVICE_START": 0x8001, "TORN_TAIL": 0x8002, "REFUSED_BLOB": 0x8003,
      "SELF_TEST_FAILED": 0x8004, "CHECKPOINT": 0x8005, "TAMPER": 0x8006, "INTENT": 0x8007}
EVNAME = {v: k for k, v in EV.items()}
CHECKPOINT_LABEL = b"SIGIL-AUDIT-CHECKPOINT-V1"


class AuditError(Exception):
    pass


def audit_encode(seq, time_, event, role, slot, status, ctx, handle, mech, data):
    body = (u64(seq) + u64(time_) + u16(event) + u16(role) + u32(slot) + u32(status) + u32(ctx) +
            u32(handle) + u32(mech) + bstr(data))
    return u32(len(body)) + body


def audit_decode(buf, off):
    """(record dict, length without hash) or None when buf[off:] holds no whole body."""
    if len(buf) - off < 4:
        return None
    body_len = struct.unpack_from(">I", buf, off)[0]
    if body_len > AUDIT_BODY_MAX or body_len > len(buf) - off - 4:
        return None
    r = Rd(buf[off + 4:off + 4 + body_len])
    try:
        rec = {"seq": r.u64(), "time": r.u64(), "event": r.u16(), "role": r.u16(), "slot": r.u32(),
               "status": r.u32(), "ctx": r.u32(), "handle": r.u32(), "mech": r.u32(), "data": r.bytes()}
    except ValueError:
        return None
    if not r.done() or len(rec["data"]) > 96:
        return None
    return rec, 4 + body_len


class AuditVerifier:
    """Verifies audit.log incrementally: the chain (SHA-256(prev ‖ body_len ‖ body), 32 zero
    bytes before the first), sequence numbers without gaps, and where the durable part ends.
    Bytes after the last whole record are a torn tail: reported, never dropped silently."""

    def __init__(self, audit_pub=None):
        self.off = 0                 # bytes verified
        self.head = bytes(32)        # hash of the last verified record
        self.next_seq = 0
        self.records = []            # every record verified, in order, with its offset
        self.audit_pub = audit_pub   # 04||X||Y of the device audit key, to check checkpoints
        self.checkpoints = 0

    def feed(self, data):
        """Verifies data (the whole file) from self.off on. Returns the torn tail bytes (b"" if
        none). Raises AuditError on a record that does not chain or a prefix that changed."""
        if len(data) < self.off:
            raise AuditError("audit.log shrank below its verified size: %d < %d" % (len(data), self.off))
        off = self.off
        while off < len(data):
            d = audit_decode(data, off)
            if d is None or off + d[1] + 32 > len(data):
                break  # not a whole record: the tail
            rec, n = d
            h = hashlib.sha256(self.head + data[off:off + n]).digest()
            if h != data[off + n:off + n + 32]:
                raise AuditError("record at offset %d (seq %d) does not chain" % (off, rec["seq"]))
            if rec["seq"] != self.next_seq:
                raise AuditError("record at offset %d has seq %d, expected %d" % (off, rec["seq"], self.next_seq))
            if rec["event"] == EV["CHECKPOINT"] and self.audit_pub is not None:
                msg = CHECKPOINT_LABEL + u64(rec["seq"]) + self.head
                if not ecdsa_p256_verify(self.audit_pub, hashlib.sha256(msg).digest(), rec["data"]):
                    raise AuditError("checkpoint seq %d: signature does not verify" % rec["seq"])
                self.checkpoints += 1
            rec["offset"] = off
            self.records.append(rec)
            self.head = h
            self.next_seq += 1
            off += n + 32
        self.off = off
        return data[off:]

    def check_prefix(self, data, upto, expect_head):
        """The first upto bytes of data still end with the hash expect_head (nothing durable changed)."""
        if len(data) < upto:
            raise AuditError("audit.log has %d bytes, fewer than the %d verified before" % (len(data), upto))
        if upto and data[upto - 32:upto] != expect_head:
            raise AuditError("the record ending at offset %d changed" % upto)


def verify_audit_file(path, audit_pub=None):
    """Verifies a whole audit.log: (verifier, torn tail bytes)."""
    with open(path, "rb") as f:
        data = f.read()
    v = AuditVerifier(audit_pub)
    torn = v.feed(data)
    return v, torn
