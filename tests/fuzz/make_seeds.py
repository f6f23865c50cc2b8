#!/usr/bin/env python3
"""make_seeds.py — writes the hand-made seed corpus of the fuzz targets.

    python3 tests/fuzz/make_seeds.py            # (re)writes the seeds in place
    python3 tests/fuzz/make_seeds.py --check    # exit 1 if a seed on disk differs

Deterministic: no randomness, no clock. Seeds are named seed-*; files that
libFuzzer adds with -merge=1 (40 hex digits) and crash-* files are left alone.

corpus/frame/     one frame per file (header + body): a valid request and a valid
                  OK response of every command, and malformed frames.
corpus/firmware/  frame sequences in fuzz_firmware.c's input format: per frame a
                  2-byte big-endian prefix (bit 15 connection B, bit 14 fix up
                  body_len, bits 13..0 length) then the frame. The device starts
                  with the admin and the slot-0 user logged in on connection A's
                  context, an EC P-256 pair (handles 1, 2) and an RSA-2048 pair
                  (handles 3, 4) in slot 0.

The wire format is specs/protocol.md; keep the constants below in step with
proto/sigil_proto.h and fuzz_firmware.c.
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

OP = {
    "HELLO": 0x0001, "INFO": 0x0002, "APPLIANCE_INIT": 0x0003, "ADMIN_LOGIN": 0x0004,
    "ADMIN_LOGOUT": 0x0005, "CRED_SET": 0x0006, "AUDITOR_LOGIN": 0x0007, "SLOT_LIST": 0x0010, "TOKEN_INFO": 0x0011, "INIT_TOKEN": 0x0012,
    "SEAL_CREATE": 0x0013, "LOGIN": 0x0014, "LOGOUT": 0x0015, "INIT_PIN": 0x0016,
    "SET_PIN": 0x0017, "OBJECT_LIST": 0x0020, "GENERATE_KEYPAIR": 0x0021,
    "DESTROY_OBJECT": 0x0022, "CREATE_OBJECT": 0x0023, "SET_OBJECT": 0x0024,
    "POLICY_SET": 0x0025, "POLICY_GET": 0x0026, "SEAL_STATE": 0x0027,
    "SIGN": 0x0030, "RANDOM": 0x0040, "DEVICE_KEYS": 0x0050, "AUDIT_READ": 0x0060,
    "AUDIT_CHECKPOINT": 0x0061, "ATTEST": 0x0062, "ZEROIZE": 0x0070,
    "BACKUP_DOMAIN_CREATE": 0x0080, "BACKUP_DOMAIN_JOIN": 0x0081, "BACKUP_EXPORT": 0x0082,
    "BACKUP_RESTORE": 0x0083,
}
REQUEST, RESPONSE = 1, 2
USER_SO, USER_USER, USER_CONTEXT = 0, 1, 2
EC, RSA = 1, 2
CLASS_PUB, CLASS_PRIV, CLASS_CERT, CLASS_DATA = 1, 2, 3, 4
MECH_ECDSA, MECH_RSA_PKCS, MECH_RSA_PSS = 1, 2, 3
HASH_NONE, HASH_SHA256, HASH_SHA384, HASH_SHA512 = 0, 1, 2, 3
SET_LABEL, SET_ID, SET_ATTRS = 1, 2, 4

# fuzz_firmware.c's start-up state.
APP_TOKEN = b"Sigil-fuzz-token"
ADMIN_PIN, SO_PIN, USER_PIN = b"admin-pin-1", b"so-pin-1", b"user-pin-1"
EC_PUB, EC_PRIV, RSA_PUB, RSA_PRIV = 1, 2, 3, 4
AUDITOR_PIN = b"auditor-pin-1"
OTHER_TOKEN = b"another-app-tokn"
# The device serial the start-up device gets (FUZZ_FW_TRACE=1 prints it on DEVICE_KEYS).
# If it drifts, the ZEROIZE seed only reaches the wrong-serial refusal.
DEVICE_SERIAL = "7569571a33a330fb"

PREFIX_CONN_B, PREFIX_FIXUP = 0x8000, 0x4000

# A real backup (BACKUP_EXPORT) of a seal "bk" with SO and user PIN and no objects, made in the
# domain whose secret is bytes(range(32)): BACKUP_DOMAIN_JOIN with that secret, SEAL_CREATE, then
# BACKUP_EXPORT of slot 1, on the start-up device. Lets the fuzzer reach the restore path past
# the GCM check. If the backup format changes it only reaches INTEGRITY_FAILURE: make it again.
BACKUP_DOMAIN_SECRET = bytes(range(32))
BACKUP_EMPTY_SEAL = bytes.fromhex(
    "534742315e979e78379eeeb3a6c9f433db591bdd53938d08e4163cd2e150e64668a389d30ca5e587d181a6b403eae6f2"
    "0e499b566d4c022f6231e8754a14175d18041aa668382b1d0e753ab18b8659bd280c84e42f945b24384507a0ae6b9b67"
    "278b0c46eb9650255c55ad234d0cd32d22858f56636bfd107f6487ee67bf5b95ebf148988b5f17b1ccfd3f249d661f57"
    "b0ffefe6bf4a991b2dfcf9b0b61ce35c46534001b5c88a4820c507c186bfe218d471fb3325c54887d82b92c254bd8436"
    "1387242a22d4b1097f7f4e547eb906a7659c26f5a5757b5f2d1b1e831bc805c6b01f7755e40cb5aa170e1c485759a6a2"
    "bc9e3a9725d13f93af474f4a"
)


P256_OID = bytes.fromhex("06082a8648ce3d030107")
P256_POINT = bytes([4]) + bytes(range(1, 65))


# ---- encoding ------------------------------------------------------------------

def u8(v): return struct.pack(">B", v)
def u16(v): return struct.pack(">H", v)
def u32(v): return struct.pack(">I", v)
def u64(v): return struct.pack(">Q", v)
def bts(b): return u32(len(b)) + b
def st(s): return bts(s.encode() if isinstance(s, str) else s)


def frame(op, body=b"", rid=1, version=1, kind=REQUEST, status=0, body_len=None):
    if isinstance(op, str):
        op = OP[op]
    n = len(body) if body_len is None else body_len
    return struct.pack(">IBBHII", n, version, kind, op, rid, status) + body


def record(handle=0, cls=CLASS_CERT, key_type=0, bits=0, flags=0, id_=b"", label="",
           pub_a=b"", pub_b=b"", attrs=b""):
    return (u32(handle) + u8(cls) + u8(key_type) + u32(bits) + u32(flags) + bts(id_) + st(label)
            + bts(pub_a) + bts(pub_b) + bts(attrs))


def attr(t, v): return u32(t) + bts(v)


CERT_ATTRS = attr(0x11, b"\x30\x03\x02\x01\x01") + attr(0x101, b"\x30\x00") + attr(0x81, b"\x30\x00")
EC_PUB_REC = record(EC_PUB, CLASS_PUB, EC, 256, 0x12, b"ec", "ec", P256_OID, P256_POINT)
EC_PRIV_REC = record(EC_PRIV, CLASS_PRIV, EC, 256, 0x1d, b"ec", "ec", P256_OID, P256_POINT)


# ---- request bodies --------------------------------------------------------------

def hello(token=APP_TOKEN, version=1): return u16(version) + bts(token)
def pin(p): return bts(p)
def login(slot, utype, p): return u32(slot) + u32(utype) + pin(p)
def keygen(slot, kt, param, id_=b"k", label="key"): return u32(slot) + u8(kt) + u32(param) + bts(id_) + st(label)
def sign(slot, handle, mech, data, pss_hash=HASH_NONE, salt=0):
    return u32(slot) + u32(handle) + u8(mech) + u8(pss_hash) + u32(salt) + bts(data)
def set_object(slot, handle, what, label="", id_=b"", attrs=b""):
    return u32(slot) + u32(handle) + u8(what) + st(label) + bts(id_) + bts(attrs)
def policy_set(slot, mode=0, max_sigs=0, max_secs=0, mechs=0, nb=0, na=0):
    return u32(slot) + u8(mode) + u32(max_sigs) + u32(max_secs) + u32(mechs) + u64(nb) + u64(na)


VALID_REQUESTS = {
    "HELLO": hello(),
    "INFO": b"",
    "APPLIANCE_INIT": pin(ADMIN_PIN),
    "ADMIN_LOGIN": pin(ADMIN_PIN),
    "ADMIN_LOGOUT": b"",
    "SLOT_LIST": b"",
    "TOKEN_INFO": u32(0),
    "INIT_TOKEN": u32(1) + pin(SO_PIN) + st("seal-b"),
    "SEAL_CREATE": st("seal-b") + pin(SO_PIN) + pin(USER_PIN),
    "LOGIN": login(0, USER_USER, USER_PIN),
    "LOGOUT": u32(0),
    "INIT_PIN": u32(0) + pin(b"new-user-pin"),
    "SET_PIN": u32(0) + pin(USER_PIN) + pin(b"user-pin-2"),
    "OBJECT_LIST": u32(0),
    "GENERATE_KEYPAIR": keygen(0, EC, 256),
    "DESTROY_OBJECT": u32(0) + u32(EC_PUB),
    "CREATE_OBJECT": u32(0) + record(cls=CLASS_CERT, id_=b"ec", label="cert", attrs=CERT_ATTRS),
    "SET_OBJECT": set_object(0, EC_PRIV, SET_LABEL | SET_ID, "renamed", b"id2"),
    "POLICY_SET": policy_set(0, 0, 100, 3600, 0x7),
    "POLICY_GET": u32(0),
    "SEAL_STATE": u32(0) + u8(2),
    "SIGN": sign(0, EC_PRIV, MECH_ECDSA, bytes(range(32))),
    "RANDOM": u32(32),
    "CRED_SET": u8(2) + pin(AUDITOR_PIN),
    "AUDITOR_LOGIN": pin(AUDITOR_PIN),
    "DEVICE_KEYS": b"",
    "AUDIT_READ": u64(0) + u32(4096),
    "AUDIT_CHECKPOINT": b"",
    "ATTEST": u32(0) + u32(EC_PRIV),
    "ZEROIZE": st("0000000000000000"),
    "BACKUP_DOMAIN_CREATE": b"",
    "BACKUP_DOMAIN_JOIN": bts(bytes(range(32))),
    "BACKUP_EXPORT": u32(0),
    "BACKUP_RESTORE": bts(b"SGB1" + bytes(8 + 12 + 16) + bytes(64)),
}

# A plausible OK response body of every command.
VALID_RESPONSES = {
    "HELLO": u16(1) + u32(16) + st("sigil-fw 0.1.0"),
    "INFO": (st("sigil-fw 0.1.0") + st("mbedtls 2.28") + u8(1) + u8(1) + u32(16) + u32(1) + u8(1)
             + st("ok") + st("0123456789abcdef") + u64(12) + u32(0) + bts(bytes(8))),
    "APPLIANCE_INIT": b"", "ADMIN_LOGIN": b"", "ADMIN_LOGOUT": b"",
    "SLOT_LIST": u32(2) + u32(0) + u32(0x03) + st("seal-a") + u32(1) + u32(0) + st(""),
    "TOKEN_INFO": u32(0x13) + st("seal-a") + st("0123456789abcdef") + u32(4) + u32(1) + u32(5) + u32(5),
    "INIT_TOKEN": b"", "SEAL_CREATE": u32(1), "LOGIN": b"", "LOGOUT": b"", "INIT_PIN": b"",
    "SET_PIN": b"",
    "OBJECT_LIST": u32(3) + EC_PUB_REC + EC_PRIV_REC + record(5, CLASS_CERT, label="cert", attrs=CERT_ATTRS),
    "GENERATE_KEYPAIR": EC_PUB_REC + EC_PRIV_REC,
    "DESTROY_OBJECT": b"",
    "CREATE_OBJECT": record(5, CLASS_DATA, label="data", attrs=attr(0x10, b"app") + attr(0x11, b"value")),
    "SET_OBJECT": record(EC_PRIV, CLASS_PRIV, EC, 256, 0x1d, b"id2", "renamed", P256_OID, P256_POINT),
    "POLICY_SET": b"",
    "POLICY_GET": u8(0) + u8(0) + u32(100) + u32(3600) + u32(7) + u64(0) + u64(0) + u64(3),
    "SEAL_STATE": b"",
    "SIGN": bts(bytes(64)),
    "RANDOM": bts(bytes(range(32))),
    "CRED_SET": b"", "AUDITOR_LOGIN": b"",
    "DEVICE_KEYS": st("0123456789abcdef") + bts(P256_POINT) + bts(P256_POINT),
    "AUDIT_READ": u64(300) + bts(bytes(range(100))),
    "AUDIT_CHECKPOINT": u64(42),
    "ATTEST": bts(b"sigil-key-attestation-v1\ndevice-serial: 0123456789abcdef\nslot: 0\n") + bts(bytes(64)),
    "ZEROIZE": b"",
    "BACKUP_DOMAIN_CREATE": bts(bytes(range(32))) + bts(bytes(8)),
    "BACKUP_DOMAIN_JOIN": bts(bytes(8)),
    "BACKUP_EXPORT": bts(b"SGB1" + bytes(8 + 12 + 16) + bytes(64)),
    "BACKUP_RESTORE": u32(1),
}


RECORD_RESPONSES = ("OBJECT_LIST", "GENERATE_KEYPAIR", "CREATE_OBJECT", "SET_OBJECT", "INFO", "ATTEST")


def frame_seeds():
    seeds = {}
    for i, (name, body) in enumerate(VALID_REQUESTS.items()):
        seeds["req-" + name.lower()] = frame(name, body, rid=0x100 + i)
    # OK responses: those that carry object records (the fuzzer derives the simpler ones).
    for i, (name, body) in enumerate(VALID_RESPONSES.items()):
        if name in RECORD_RESPONSES:
            seeds["resp-" + name.lower()] = frame(name, body, rid=0x200 + i, kind=RESPONSE)
    seeds["resp-error-status"] = frame("SIGN", b"", kind=RESPONSE, status=22)
    # Malformed.
    good = frame("LOGIN", login(0, USER_USER, USER_PIN))
    seeds["bad-empty"] = b""
    seeds["bad-short-header"] = good[:10]
    seeds["bad-header-only"] = frame("INFO")
    seeds["bad-version-0"] = frame("INFO", version=0)
    seeds["bad-version-2"] = frame("LOGIN", login(0, USER_USER, USER_PIN), version=2)
    seeds["bad-kind-0"] = frame("INFO", kind=0)
    seeds["bad-kind-3"] = frame("INFO", kind=3)
    seeds["bad-too-large"] = frame("SIGN", b"", body_len=0x00100001)
    seeds["bad-len-max"] = frame("SIGN", b"", body_len=0xFFFFFFFF)
    seeds["bad-body-truncated"] = good[:-3]
    seeds["bad-body-trailing"] = good + b"\x00"
    seeds["bad-bytes-len-lies"] = frame("LOGIN", u32(0) + u32(1) + u32(0x7FFFFFFF) + USER_PIN)
    seeds["bad-pin-too-long"] = frame("LOGIN", u32(0) + u32(1) + bts(b"p" * 65))
    seeds["bad-str-nul"] = frame("SEAL_CREATE", st(b"se\x00al") + pin(SO_PIN) + pin(b""))
    seeds["bad-str-too-long"] = frame("SEAL_CREATE", st("s" * 33) + pin(SO_PIN) + pin(b""))
    seeds["bad-list-count-huge"] = frame("OBJECT_LIST", u32(0xFFFFFFFF) + EC_PUB_REC, kind=RESPONSE)
    seeds["bad-record-truncated"] = frame("GENERATE_KEYPAIR", EC_PUB_REC + EC_PRIV_REC[:40], kind=RESPONSE)
    seeds["bad-record-attrs-too-long"] = frame(
        "CREATE_OBJECT", u32(0) + EC_PUB_REC[:-4] + u32(8193) + bytes(16))
    seeds["bad-unknown-opcode"] = frame(0x7777, u32(0))
    seeds["bad-sign-input-too-long"] = frame("SIGN", sign(0, EC_PRIV, MECH_ECDSA, bytes(1025)))
    return seeds


# ---- firmware sequences ---------------------------------------------------------------

class Seq:
    """Builds one fuzz_firmware input."""

    def __init__(self):
        self.out = b""
        self.rid = 0

    def raw(self, f, conn_b=False, fixup=True):
        assert len(f) <= 0x3FFF
        self.out += u16((PREFIX_CONN_B if conn_b else 0) | (PREFIX_FIXUP if fixup else 0) | len(f)) + f
        return self

    def req(self, op, body=b"", conn_b=False, **kw):
        self.rid += 1
        return self.raw(frame(op, body, rid=self.rid, **kw), conn_b=conn_b)


def seq(*steps):
    s = Seq()
    for step in steps:
        if isinstance(step, bytes):
            s.raw(step)
        else:
            s.req(*step[:2], **(step[2] if len(step) > 2 else {}))
    return s.out


def B(op, body=b""):
    """A request on connection B."""
    return (op, body, {"conn_b": True})


def firmware_seeds():
    d = {}
    # One of every command, valid, on the logged-in connection.
    for name, body in VALID_REQUESTS.items():
        d["op-" + name.lower()] = seq((name, body))

    # Signing: every mechanism, hash and some edge cases.
    digest = bytes(range(32))
    d["sign-ecdsa-lengths"] = seq(("SIGN", sign(0, EC_PRIV, MECH_ECDSA, digest[:1])),
                                  ("SIGN", sign(0, EC_PRIV, MECH_ECDSA, bytes(64))),
                                  ("SIGN", sign(0, EC_PRIV, MECH_ECDSA, bytes(1024))),
                                  ("SIGN", sign(0, EC_PRIV, MECH_ECDSA, b"")))
    d["sign-rsa-pkcs"] = seq(("SIGN", sign(0, RSA_PRIV, MECH_RSA_PKCS, bytes(19) + digest)),
                             ("SIGN", sign(0, RSA_PRIV, MECH_RSA_PKCS, bytes(245))),
                             ("SIGN", sign(0, RSA_PRIV, MECH_RSA_PKCS, bytes(246))))
    d["sign-rsa-pss"] = seq(("SIGN", sign(0, RSA_PRIV, MECH_RSA_PSS, digest, HASH_SHA256, 32)),
                            ("SIGN", sign(0, RSA_PRIV, MECH_RSA_PSS, bytes(48), HASH_SHA384, 0)),
                            ("SIGN", sign(0, RSA_PRIV, MECH_RSA_PSS, bytes(64), HASH_SHA512, 190)),
                            ("SIGN", sign(0, RSA_PRIV, MECH_RSA_PSS, bytes(64), HASH_SHA512, 191)))
    d["sign-rsa-pss-bad"] = seq(("SIGN", sign(0, RSA_PRIV, MECH_RSA_PSS, digest, HASH_NONE, 32)),
                                ("SIGN", sign(0, RSA_PRIV, MECH_RSA_PSS, digest, 4, 32)),
                                ("SIGN", sign(0, RSA_PRIV, MECH_RSA_PSS, digest, HASH_SHA256, 0xFFFFFFFF)),
                                ("SIGN", sign(0, RSA_PRIV, MECH_RSA_PSS, digest, HASH_SHA256, 0x80000000)),
                                ("SIGN", sign(0, RSA_PRIV, MECH_RSA_PSS, bytes(20), HASH_SHA256, 0)))
    d["sign-wrong-keys"] = seq(("SIGN", sign(0, EC_PRIV, MECH_RSA_PKCS, digest)),
                               ("SIGN", sign(0, RSA_PRIV, MECH_ECDSA, digest)),
                               ("SIGN", sign(0, EC_PUB, MECH_ECDSA, digest)),
                               ("SIGN", sign(0, 0xFFFFFFFF, MECH_ECDSA, digest)),
                               ("SIGN", sign(0, EC_PRIV, 0, digest)),
                               ("SIGN", sign(1, EC_PRIV, MECH_ECDSA, digest)),
                               ("SIGN", sign(0xFFFFFFFF, EC_PRIV, MECH_ECDSA, digest)))

    # Key generation (RSA with a valid size is skipped by the harness).
    d["keygen-sizes"] = seq(("GENERATE_KEYPAIR", keygen(0, EC, 384, b"\x01" * 64, "l" * 128)),
                            ("GENERATE_KEYPAIR", keygen(0, EC, 521)),
                            ("GENERATE_KEYPAIR", keygen(0, RSA, 1024)),
                            ("GENERATE_KEYPAIR", keygen(0, RSA, 2048)),
                            ("GENERATE_KEYPAIR", keygen(0, 3, 256)),
                            ("OBJECT_LIST", u32(0)))
    d["keygen-then-sign"] = seq(("GENERATE_KEYPAIR", keygen(0, EC, 256)),
                                ("SIGN", sign(0, 6, MECH_ECDSA, digest)),
                                ("DESTROY_OBJECT", u32(0) + u32(6)),
                                ("SIGN", sign(0, 6, MECH_ECDSA, digest)))
    d["destroy-then-list"] = seq(("DESTROY_OBJECT", u32(0) + u32(EC_PRIV)),
                                 ("DESTROY_OBJECT", u32(0) + u32(EC_PRIV)),
                                 ("SIGN", sign(0, EC_PRIV, MECH_ECDSA, digest)),
                                 ("OBJECT_LIST", u32(0)))

    # Objects from outside.
    d["objects-create-set"] = seq(
        ("CREATE_OBJECT", u32(0) + record(cls=CLASS_CERT, id_=b"ec", label="cert", attrs=CERT_ATTRS)),
        ("CREATE_OBJECT", u32(0) + record(cls=CLASS_DATA, label="data", attrs=attr(0x10, b"app"))),
        ("CREATE_OBJECT", u32(0) + record(cls=CLASS_PUB, key_type=EC, bits=256, label="imp",
                                          pub_a=P256_OID, pub_b=P256_POINT)),
        ("SET_OBJECT", set_object(0, 5, SET_ATTRS | SET_LABEL, "cert2", b"", attr(0x11, b"x" * 300))),
        ("SET_OBJECT", set_object(0, EC_PUB, SET_ATTRS, "", b"", b"")),
        ("SET_OBJECT", set_object(0, EC_PUB, 0x80, "", b"", b"")),
        ("OBJECT_LIST", u32(0)))
    d["objects-create-refused"] = seq(
        ("CREATE_OBJECT", u32(0) + record(cls=CLASS_PRIV, key_type=EC, bits=256, pub_a=P256_OID,
                                          pub_b=P256_POINT)),
        ("CREATE_OBJECT", u32(0) + record(cls=CLASS_CERT, flags=0x01)),
        ("CREATE_OBJECT", u32(0) + record(cls=CLASS_CERT, key_type=EC)),
        ("CREATE_OBJECT", u32(0) + record(cls=9)),
        ("CREATE_OBJECT", u32(0) + record(cls=CLASS_PUB, key_type=EC)),
        ("CREATE_OBJECT", u32(7) + record(cls=CLASS_DATA)))
    d["objects-big-attrs"] = seq(
        ("CREATE_OBJECT", u32(0) + record(cls=CLASS_DATA, label="big", attrs=attr(0x11, bytes(8184)))),
        ("OBJECT_LIST", u32(0)))

    # PINs, roles and sessions.
    d["pin-so-flow"] = seq(("LOGOUT", u32(0)),
                           ("LOGIN", login(0, USER_SO, SO_PIN)),
                           ("INIT_PIN", u32(0) + pin(b"fresh-pin")),
                           ("SET_PIN", u32(0) + pin(SO_PIN) + pin(b"so-pin-2")),
                           ("LOGOUT", u32(0)),
                           ("LOGIN", login(0, USER_USER, b"fresh-pin")),
                           ("SIGN", sign(0, EC_PRIV, MECH_ECDSA, digest)))
    d["pin-lockout"] = seq(("LOGOUT", u32(0)),
                           *[("LOGIN", login(0, USER_USER, b"wrong-%d" % i)) for i in range(6)],
                           ("LOGIN", login(0, USER_USER, USER_PIN)),
                           ("TOKEN_INFO", u32(0)))
    d["pin-lengths"] = seq(("SET_PIN", u32(0) + pin(USER_PIN) + pin(b"abc")),
                           ("SET_PIN", u32(0) + pin(USER_PIN) + pin(b"p" * 64)),
                           ("LOGIN", login(0, USER_CONTEXT, USER_PIN)),
                           ("LOGIN", login(0, 3, USER_PIN)),
                           ("LOGIN", login(0, USER_SO, b"")))
    d["admin-flow"] = seq(("ADMIN_LOGOUT",),
                          ("SEAL_CREATE", VALID_REQUESTS["SEAL_CREATE"]),
                          ("ADMIN_LOGIN", pin(b"wrong-admin")),
                          ("ADMIN_LOGIN", pin(ADMIN_PIN)),
                          ("ADMIN_LOGIN", pin(ADMIN_PIN)),
                          ("INFO",))
    d["seal-second"] = seq(("SEAL_CREATE", st("seal-b") + pin(SO_PIN) + pin(b"")),
                           ("LOGIN", login(1, USER_USER, USER_PIN)),
                           ("LOGIN", login(1, USER_SO, SO_PIN)),
                           ("INIT_PIN", u32(1) + pin(USER_PIN)),
                           ("LOGOUT", u32(1)),
                           ("LOGIN", login(1, USER_USER, USER_PIN)),
                           ("GENERATE_KEYPAIR", keygen(1, EC, 256)),
                           ("OBJECT_LIST", u32(1)),
                           ("LOGOUT", u32(1)),
                           ("INIT_TOKEN", u32(1) + pin(SO_PIN) + st("seal-b2")),
                           ("SLOT_LIST",))
    d["seal-many"] = seq(*[("SEAL_CREATE", st("s%d" % i) + pin(SO_PIN) + pin(b"")) for i in range(17)],
                         ("INIT_TOKEN", u32(0) + pin(SO_PIN) + st("x")),
                         ("TOKEN_INFO", u32(15)), ("TOKEN_INFO", u32(16)))
    d["policy-flow"] = seq(("POLICY_SET", policy_set(0, 1)),
                           ("SIGN", sign(0, EC_PRIV, MECH_ECDSA, digest)),
                           ("LOGIN", login(0, USER_CONTEXT, USER_PIN)),
                           ("SIGN", sign(0, EC_PRIV, MECH_ECDSA, digest)),
                           ("SIGN", sign(0, EC_PRIV, MECH_ECDSA, digest)),
                           ("POLICY_SET", policy_set(0, 0, 1, 0, 1)),
                           ("SIGN", sign(0, EC_PRIV, MECH_ECDSA, digest)),
                           ("POLICY_SET", policy_set(0, 0, 1, 0, 1 << MECH_ECDSA)),
                           ("SIGN", sign(0, EC_PRIV, MECH_ECDSA, digest)),
                           ("SIGN", sign(0, EC_PRIV, MECH_ECDSA, digest)),
                           ("POLICY_SET", policy_set(0, 0, 0, 0, 0, 2000000000, 1000)),
                           ("POLICY_GET", u32(0)))
    d["seal-states"] = seq(("SEAL_STATE", u32(0) + u8(2)),
                           ("SIGN", sign(0, EC_PRIV, MECH_ECDSA, digest)),
                           ("SEAL_STATE", u32(0) + u8(1)),
                           ("SIGN", sign(0, EC_PRIV, MECH_ECDSA, digest)),
                           ("SEAL_STATE", u32(0) + u8(3)),
                           ("SIGN", sign(0, EC_PRIV, MECH_ECDSA, digest)),
                           ("SEAL_STATE", u32(0) + u8(1)),
                           ("OBJECT_LIST", u32(0)),
                           ("SEAL_STATE", u32(0) + u8(0)))

    # Connections and contexts.
    d["conn-b-no-context"] = seq(B("INFO"), B("SIGN", sign(0, EC_PRIV, MECH_ECDSA, digest)),
                                 B("HELLO", hello(b"\x00" * 16)), B("TOKEN_INFO", u32(0)),
                                 B("OBJECT_LIST", u32(0)), B("LOGIN", login(0, USER_USER, USER_PIN)),
                                 B("INIT_TOKEN", u32(0) + pin(SO_PIN) + st("x")))
    d["conn-b-same-token"] = seq(B("HELLO", hello()), B("SIGN", sign(0, EC_PRIV, MECH_ECDSA, digest)),
                                 B("HELLO", hello()), ("LOGOUT", u32(0)),
                                 B("SIGN", sign(0, EC_PRIV, MECH_ECDSA, digest)))
    d["hello-bad"] = seq(B("HELLO", hello(version=2)), B("HELLO", hello(b"short")),
                         B("HELLO", u16(1) + bts(APP_TOKEN) + b"x"), B("INFO"))
    d["auditor-flow"] = seq(("CRED_SET", u8(2) + pin(AUDITOR_PIN)),
                            B("HELLO", hello(OTHER_TOKEN)),
                            B("AUDIT_READ", u64(0) + u32(4096)),
                            B("AUDITOR_LOGIN", pin(b"wrong-auditor")),
                            B("AUDITOR_LOGIN", pin(AUDITOR_PIN)),
                            B("AUDITOR_LOGIN", pin(AUDITOR_PIN)),
                            B("INFO"),
                            B("AUDIT_READ", u64(0) + u32(524288)),
                            B("AUDIT_READ", u64(100) + u32(1)),
                            B("AUDIT_READ", u64(0xFFFFFFFFFFFFFFFF) + u32(16)),
                            B("AUDIT_READ", u64(0) + u32(0)),
                            B("AUDIT_READ", u64(0) + u32(524289)),
                            B("AUDIT_CHECKPOINT"),
                            B("AUDIT_READ", u64(0) + u32(524288)),
                            B("SIGN", sign(0, EC_PRIV, MECH_ECDSA, digest)),
                            B("ADMIN_LOGOUT"),
                            B("AUDIT_READ", u64(0) + u32(16)),
                            ("AUDITOR_LOGIN", pin(AUDITOR_PIN)))
    d["cred-set"] = seq(("CRED_SET", u8(1) + pin(b"admin-pin-2")),
                        ("ADMIN_LOGOUT",),
                        ("ADMIN_LOGIN", pin(ADMIN_PIN)),
                        ("ADMIN_LOGIN", pin(b"admin-pin-2")),
                        ("CRED_SET", u8(0) + pin(b"admin-pin-3")),
                        ("CRED_SET", u8(3) + pin(b"admin-pin-3")),
                        ("CRED_SET", u8(2) + pin(b"abc")),
                        ("CRED_SET", u8(2) + pin(b"")))
    d["attest"] = seq(("DEVICE_KEYS",),
                      ("ATTEST", u32(0) + u32(EC_PRIV)),
                      ("ATTEST", u32(0) + u32(RSA_PRIV)),
                      ("ATTEST", u32(0) + u32(EC_PUB)),
                      ("ATTEST", u32(0) + u32(0)),
                      ("ATTEST", u32(1) + u32(EC_PRIV)),
                      ("ATTEST", u32(0xFFFFFFFF) + u32(EC_PRIV)),
                      ("POLICY_SET", policy_set(0, 1, 5, 60, 2, 1, 0xFFFFFFFFFFFFFFFF)),
                      ("SET_OBJECT", set_object(0, EC_PRIV, SET_LABEL, "l" * 128)),
                      ("ATTEST", u32(0) + u32(EC_PRIV)),
                      B("ATTEST", u32(0) + u32(EC_PRIV)))
    d["backup-flow"] = seq(("BACKUP_EXPORT", u32(0)),
                           ("BACKUP_RESTORE", bts(b"SGB1" + bytes(100))),
                           ("BACKUP_DOMAIN_JOIN", bts(bytes(range(32)))),
                           ("BACKUP_DOMAIN_JOIN", bts(bytes(31))),
                           ("BACKUP_EXPORT", u32(0)),
                           ("BACKUP_EXPORT", u32(1)),
                           ("BACKUP_RESTORE", bts(b"SGB1" + bytes(8 + 12 + 16))),
                           ("BACKUP_RESTORE", bts(b"SGB1")),
                           ("BACKUP_RESTORE", bts(b"")),
                           ("BACKUP_DOMAIN_CREATE",),
                           ("BACKUP_EXPORT", u32(0)))
    flipped = bytearray(BACKUP_EMPTY_SEAL)
    flipped[-1] ^= 1
    d["backup-restore"] = seq(("BACKUP_DOMAIN_JOIN", bts(BACKUP_DOMAIN_SECRET)),
                              ("BACKUP_RESTORE", bts(BACKUP_EMPTY_SEAL)),
                              ("BACKUP_RESTORE", bts(BACKUP_EMPTY_SEAL)),
                              ("LOGIN", login(1, USER_USER, USER_PIN)),
                              ("GENERATE_KEYPAIR", keygen(1, EC, 256)),
                              ("TOKEN_INFO", u32(1)),
                              ("BACKUP_EXPORT", u32(1)),
                              ("BACKUP_RESTORE", bts(bytes(flipped))),
                              ("BACKUP_DOMAIN_CREATE",),
                              ("BACKUP_RESTORE", bts(BACKUP_EMPTY_SEAL)))
    # Regression (fixed in 31c6aa1): a seal label is printed into the attestation statement the
    # device signs; a newline in it added lines to the statement. Labels with control characters
    # are refused now.
    d["attest-label-newline"] = seq(
        ("SEAL_CREATE", st("x\npolicy-mode: per-signature") + pin(SO_PIN) + pin(USER_PIN)),
        ("LOGIN", login(1, USER_USER, USER_PIN)),
        ("GENERATE_KEYPAIR", keygen(1, EC, 256)),
        ("ATTEST", u32(1) + u32(6)),
        B("HELLO", hello(OTHER_TOKEN)),
        B("INIT_TOKEN", u32(2) + pin(SO_PIN) + st("y\rextractable: yes")),
        B("INIT_TOKEN", u32(2) + pin(SO_PIN) + st("y\x7f")),
        B("INIT_TOKEN", u32(2) + pin(SO_PIN) + st("seal \u00e9")))
    d["zeroize"] = seq(("ZEROIZE", st("0000000000000000")),
                       ("ZEROIZE", st("")),
                       ("DEVICE_KEYS",),
                       ("ZEROIZE", st(DEVICE_SERIAL)),
                       ("INFO",), ("SLOT_LIST",), ("SIGN", sign(0, EC_PRIV, MECH_ECDSA, digest)),
                       B("HELLO", hello()), B("INFO"), ("ZEROIZE", st(DEVICE_SERIAL)))
    d["random-lengths"] = seq(("RANDOM", u32(1)), ("RANDOM", u32(65536)), ("RANDOM", u32(0)),
                              ("RANDOM", u32(65537)), ("RANDOM", u32(0xFFFFFFFF)))

    # Framing errors: the connection is closed (and replaced by a fresh one).
    s = Seq()
    s.raw(frame("INFO", rid=7)[:9])
    s.req("INFO", conn_b=True)
    s.raw(frame("INFO", b"", rid=8, version=2))
    s.raw(frame("INFO", b"", rid=9, kind=2))
    s.raw(frame("LOGIN", login(0, USER_USER, USER_PIN), rid=10, body_len=5), fixup=False)
    s.raw(frame("SIGN", b"", rid=11, body_len=0x200000), fixup=False)
    s.raw(frame(0x9999, u32(0), rid=12))
    s.raw(b"")
    d["framing-errors"] = s.out
    d["empty"] = b""
    return d


# ---- output ----------------------------------------------------------------------

def write(dirname, seeds, check):
    path = os.path.join(HERE, "corpus", dirname)
    os.makedirs(path, exist_ok=True)
    bad = 0
    for name, data in sorted(seeds.items()):
        fn = os.path.join(path, "seed-" + name)
        if check:
            try:
                with open(fn, "rb") as f:
                    same = f.read() == data
            except OSError:
                same = False
            if not same:
                print("differs: " + fn)
                bad += 1
        else:
            with open(fn, "wb") as f:
                f.write(data)
    return bad


def main():
    check = "--check" in sys.argv[1:]
    bad = write("frame", frame_seeds(), check) + write("firmware", firmware_seeds(), check)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
