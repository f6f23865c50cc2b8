#!/usr/bin/env bash
# hostile_clients.sh — overload and hostile clients (hostile_clients.py): a stalled half frame,
# a garbage flood, a flood of refused requests, many connections of one application and
# without HELLO, oversized and malformed frames, requests in flight whose responses are never
# read. Each attacker must get a clear status or be disconnected, and a well-behaved client
# must stay within the bound (p99 < 1 s, no failure) while it runs; the figures are printed.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/rob_lib.sh"

emu_start
provision_appliance
slot=$(create_seal good)
python3 - <<PY || fail "key generation for the good client"
import sys; sys.path.insert(0, "$ROB_DIR")
import sigil_wire as w
c = w.Conn("$SOCK")
assert c.login($slot, "$USER_PIN") == 0
st, pub, priv = c.generate_ec($slot, b"good", "good")
assert st == 0, w.st_name(st)
PY

rc=0
rob_py hostile_clients.py run --sock "$SOCK" --state "$STATE" --emu-pid "$EMU_PID" --slot "$slot" \
  --user-pin "$USER_PIN" --phase-seconds "${HOSTILE_PHASE_SECONDS:-$([ "$ROB_SANITIZED" = 1 ] && echo 2 || echo 4)}" ${HOSTILE_ONLY:+--only "$HOSTILE_ONLY"} || rc=$?
kill -0 "$EMU_PID" 2>/dev/null || fail "sigil-emu is gone after the attacks"
[ "$rc" -eq 0 ] || fail "hostile clients: violations above (the emulator needs the limits listed in specs/testplan.md)"
pass "every hostile client answered or disconnected; the good client stayed within the bound"
finish
