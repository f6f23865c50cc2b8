#!/usr/bin/python3
"""pykcs11.py - Python's PyKCS11 (Debian package python3-pykcs11) with the Sigil module.

Run by pykcs11.sh (which starts the emulator and creates the seals):

    pykcs11.py MODULE PIN EC_TOKEN EC_KEY RSA_TOKEN RSA_KEY [THREADS [COUNT]]

THREADS threads (default 4); each opens its own session on the EC seal and its own session on the
RSA seal and signs COUNT times (default 300), alternating CKM_ECDSA_SHA256 on the EC seal and
CKM_SHA256_RSA_PKCS on the RSA seal, every message different (thread, counter, random bytes). Every signature is verified with
python3-cryptography against the public key read from the token (CKA_EC_PARAMS/CKA_EC_POINT,
CKA_MODULUS/CKA_PUBLIC_EXPONENT); one in ten is verified again by the module (C_Verify through
PyKCS11), and a signature with one bit changed must be refused by both.

Note: PyKCS11 1.5.12 (its SWIG wrapper) holds the GIL during each PKCS#11 call, so the threads'
calls interleave (sessions used from different threads, one after another) but never overlap
inside the module; tests/integration/concurrent_sign.c covers truly parallel calls.

Exit code 0 when every signature verified, 1 otherwise (each failure is printed).
"""
import os
import sys
import threading
import time

try:
    import PyKCS11
    from PyKCS11 import LowLevel
except ImportError as e:  # never skip: a missing client is a failure
    sys.exit("FAIL: cannot import PyKCS11 (%s): install the Debian package python3-pykcs11" % e)
try:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
except ImportError as e:
    sys.exit("FAIL: cannot import cryptography (%s): install the Debian package python3-cryptography" % e)

C = PyKCS11  # the CK* constants

errors = []
errors_lock = threading.Lock()


def error(msg):
    with errors_lock:
        errors.append(msg)
    print("FAIL: " + msg, file=sys.stderr, flush=True)


def der_unwrap_octet_string(b):
    """CKA_EC_POINT is a DER OCTET STRING around 04||X||Y (PKCS#11 2.40)."""
    if len(b) > 2 and b[0] == 0x04:
        n, off = b[1], 2
        if n & 0x80:
            k = n & 0x7F
            n, off = int.from_bytes(b[2:2 + k], "big"), 2 + k
        if off + n == len(b):
            return b[off:]
    return b


P256_OID_DER = bytes.fromhex("06082a8648ce3d030107")


def find_slot(lib, label):
    for slot in lib.getSlotList(tokenPresent=True):
        if lib.getTokenInfo(slot).label.strip() == label:
            return slot
    sys.exit("FAIL: no token labelled %r" % label)


class Seal:
    """A seal: its slot, the login session (kept open: the login is per application and slot,
    and closing the last session of a slot logs out), its key handles and public key."""

    def __init__(self, lib, token, key_label, pin, kind):
        self.kind, self.token = kind, token
        self.slot = find_slot(lib, token)
        self.login_session = lib.openSession(self.slot)
        self.login_session.login(pin)
        s = self.login_session
        priv = s.findObjects([(C.CKA_CLASS, C.CKO_PRIVATE_KEY), (C.CKA_LABEL, key_label)])
        pub = s.findObjects([(C.CKA_CLASS, C.CKO_PUBLIC_KEY), (C.CKA_LABEL, key_label)])
        if len(priv) != 1 or len(pub) != 1:
            sys.exit("FAIL: %s: expected one private and one public key labelled %r, found %d and %d"
                     % (token, key_label, len(priv), len(pub)))
        self.priv, self.pub = priv[0], pub[0]
        if kind == "ec":
            params, point = s.getAttributeValue(self.pub, [C.CKA_EC_PARAMS, C.CKA_EC_POINT])
            if bytes(params) != P256_OID_DER:
                sys.exit("FAIL: %s: CKA_EC_PARAMS is %s, expected the P-256 OID" % (token, bytes(params).hex()))
            self.key = ec.EllipticCurvePublicKey.from_encoded_point(
                ec.SECP256R1(), der_unwrap_octet_string(bytes(point)))
            self.mech = C.Mechanism(C.CKM_ECDSA_SHA256, None)
            self.siglen = 64
        else:
            mod, exp = s.getAttributeValue(self.pub, [C.CKA_MODULUS, C.CKA_PUBLIC_EXPONENT])
            self.key = rsa.RSAPublicNumbers(int.from_bytes(bytes(exp), "big"),
                                            int.from_bytes(bytes(mod), "big")).public_key()
            if self.key.key_size != 2048:
                sys.exit("FAIL: %s: RSA key of %d bits, expected 2048" % (token, self.key.key_size))
            self.mech = C.Mechanism(C.CKM_SHA256_RSA_PKCS, None)
            self.siglen = 256

    def verify_local(self, msg, sig):
        """python3-cryptography; True when the signature verifies."""
        try:
            if self.kind == "ec":
                half = len(sig) // 2
                der = encode_dss_signature(int.from_bytes(sig[:half], "big"), int.from_bytes(sig[half:], "big"))
                self.key.verify(der, msg, ec.ECDSA(hashes.SHA256()))
            else:
                self.key.verify(sig, msg, padding.PKCS1v15(), hashes.SHA256())
            return True
        except InvalidSignature:
            return False


def worker(lib, tid, seals, count, stats):
    sessions = {}
    try:
        for seal in seals:
            sessions[seal.kind] = lib.openSession(seal.slot)
            state = sessions[seal.kind].getSessionInfo().state
            if state != C.CKS_RO_USER_FUNCTIONS:
                error("thread %d: new session on %s is in state %s, expected CKS_RO_USER_FUNCTIONS"
                      " (the login holds for all sessions of the slot)" % (tid, seal.token, state))
        for i in range(count):
            seal = seals[(i + tid) % len(seals)]
            s = sessions[seal.kind]
            msg = b"thread %d signature %d on %s: " % (tid, i, seal.token.encode()) + os.urandom(16 + i % 64)
            try:
                sig = bytes(s.sign(seal.priv, msg, seal.mech))
            except PyKCS11.PyKCS11Error as e:
                error("thread %d: C_Sign #%d with %s failed: %s" % (tid, i, seal.token, e))
                continue
            stats[seal.kind] += 1
            if len(sig) != seal.siglen:
                error("thread %d: %s signature #%d has %d bytes, expected %d"
                      % (tid, seal.kind, i, len(sig), seal.siglen))
                continue
            if not seal.verify_local(msg, sig):
                error("thread %d: %s signature #%d does not verify (python3-cryptography)" % (tid, seal.kind, i))
                continue
            stats["verified"] += 1
            if i % 10 == 0:
                if not s.verify(seal.pub, msg, sig, seal.mech):
                    error("thread %d: C_Verify refuses %s signature #%d" % (tid, seal.kind, i))
                stats["c_verify"] += 1
                bad = bytearray(sig)
                bad[i % len(bad)] ^= 0x01
                if seal.verify_local(msg, bytes(bad)):
                    error("thread %d: a changed %s signature verifies (python3-cryptography)" % (tid, seal.kind))
                if s.verify(seal.pub, msg, bytes(bad), seal.mech):
                    error("thread %d: C_Verify accepts a changed %s signature" % (tid, seal.kind))
                stats["refused"] += 1
    except Exception as e:  # any exception in a thread is a failure of the test
        error("thread %d: %s: %s" % (tid, type(e).__name__, e))
    finally:
        for s in sessions.values():
            try:
                s.closeSession()
            except Exception as e:
                error("thread %d: C_CloseSession: %s" % (tid, e))


def main():
    if len(sys.argv) < 7:
        sys.exit(__doc__)
    module, pin, ec_tok, ec_key, rsa_tok, rsa_key = sys.argv[1:7]
    nthreads = int(sys.argv[7]) if len(sys.argv) > 7 else 4
    count = int(sys.argv[8]) if len(sys.argv) > 8 else 300

    lib = PyKCS11.PyKCS11Lib()
    lib.load(module)
    info = lib.getInfo()
    print("module: %s %s, cryptoki %s" % (info.manufacturerID.strip(), info.libraryDescription.strip(),
                                          "%d.%d" % info.cryptokiVersion))
    seals = [Seal(lib, ec_tok, ec_key, pin, "ec"), Seal(lib, rsa_tok, rsa_key, pin, "rsa")]

    stats = [{"ec": 0, "rsa": 0, "verified": 0, "c_verify": 0, "refused": 0} for _ in range(nthreads)]
    threads = [threading.Thread(target=worker, args=(lib, t, seals, count, stats[t]), name="signer-%d" % t)
               for t in range(nthreads)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    dt = time.monotonic() - t0

    total = {k: sum(s[k] for s in stats) for k in stats[0]}
    want = nthreads * count
    print("%d threads x %d signatures in %.1f s: %d ECDSA-SHA256, %d SHA256-RSA-PKCS, "
          "%d verified by python3-cryptography, %d also by C_Verify, %d changed signatures refused"
          % (nthreads, count, dt, total["ec"], total["rsa"], total["verified"], total["c_verify"], total["refused"]))
    if total["ec"] + total["rsa"] != want or min(total["ec"], total["rsa"]) < want // 2 - nthreads:
        error("expected %d signatures, about half with each seal" % want)
    if total["verified"] != want:
        error("%d of %d signatures verified" % (total["verified"], want))

    # The sessions of the threads are closed, the login sessions still open: the module must still
    # report the user logged in, and end cleanly.
    for seal in seals:
        if seal.login_session.getSessionInfo().state != C.CKS_RO_USER_FUNCTIONS:
            error("%s: the login session lost its user state" % seal.token)
        seal.login_session.logout()
        seal.login_session.closeSession()
    if not lib.lib.Unload():  # C_Finalize, dlclose
        error("unloading the module (C_Finalize) failed")
    if errors:
        print("%d failures" % len(errors), file=sys.stderr)
        return 1
    print("all %d signatures verified" % total["verified"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
