#!/usr/bin/env bash
# corrupt_state.sh — sigil-emu started on damaged state: key blobs flipped, truncated, emptied,
# swapped and renamed; seal and appliance records and the root secret damaged; the audit trail
# edited, cut, reordered, torn and deleted (corrupt_state.py lists each case, what it must do,
# and what it did). A hang or a crash at start-up fails, and so does any other outcome than
# the required one.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/rob_lib.sh"
need_py_module cryptography

emu_start
provision_appliance
a=$(create_seal corrupt-a)
b=$(create_seal corrupt-b)
python3 - <<PY || fail "key pairs and signatures for the golden state"
import sys; sys.path.insert(0, "$ROB_DIR")
import os, sigil_wire as w
c = w.Conn("$SOCK")
for slot, n in (($a, 2), ($b, 1)):
    assert c.login(slot, "$USER_PIN") == 0
    for i in range(n):
        st, pub, priv = c.generate_ec(slot, b"k%d" % i, "k%d" % i)
        assert st == 0, w.st_name(st)
        for _ in range(5):
            assert c.sign(slot, priv["handle"], os.urandom(32))[0] == 0
# A signed checkpoint (the auditor asks for it), then more records after it.
assert c.admin_login("$ADMIN_PIN") == 0
assert c.call("CRED_SET", w.u8(2) + w.bstr("auditor-pin-1234"))[0] == 0
a = w.Conn("$SOCK")
assert a.call("AUDITOR_LOGIN", w.bstr("auditor-pin-1234"))[0] == 0
st, _ = a.call("AUDIT_CHECKPOINT")
assert st == 0, w.st_name(st)
objs = [o for o in c.objects($a) if o["class"] == 2]
for _ in range(5):
    assert c.sign($a, objs[0]["handle"], os.urandom(32))[0] == 0
PY
pass "golden state: seals in slots $a and $b, three key pairs, signatures, a checkpoint, more signatures"
emu_stop
cp -a "$STATE" "$T/golden"

rob_py corrupt_state.py --emu "$EMU" --golden "$T/golden" --work "$T/cases" --admin-pin "$ADMIN_PIN" \
  --user-pin "$USER_PIN" --slots "$a,$b" || fail "a damaged state was not handled as required (above)"
pass "every damaged state handled as required"
finish
