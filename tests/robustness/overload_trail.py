"""overload_trail.py AUDIT_LOG [SOCKET] — verifies an audit trail offline (chain, sequence and,
with the device's audit key, the signed checkpoints) and prints, as JSON, how many records it
holds, how many of them are SIGN records with status OK, the checkpoints verified and the torn
tail's length. The audit key is read with DEVICE_KEYS from SOCKET when given (the key is
remembered next to the trail, so that a later call without SOCKET still checks checkpoints)."""
import json
import os
import sys

import sigil_wire as w


def main():
    path = sys.argv[1]
    keyfile = path + ".audit-key"
    pub = None
    if len(sys.argv) > 2:
        c = w.Conn(sys.argv[2], timeout=20)
        pub = c.device_keys()["audit_key"]
        c.close()
        with open(keyfile, "wb") as f:
            f.write(pub)
    elif os.path.exists(keyfile):
        with open(keyfile, "rb") as f:
            pub = f.read()
    v, torn = w.verify_audit_file(path, pub)
    sign_ok = sum(1 for r in v.records if r["event"] == w.OP["SIGN"] and r["status"] == 0)
    print(json.dumps({"records": len(v.records), "sign_ok": sign_ok, "checkpoints": v.checkpoints,
                      "torn": len(torn)}))


if __name__ == "__main__":
    main()
