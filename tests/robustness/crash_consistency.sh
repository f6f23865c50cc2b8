#!/usr/bin/env bash
# crash_consistency.sh — SIGKILL sigil-emu at random points during seal creation, key
# generation, PIN changes, policy changes and signing, CRASH_CYCLES times (default 200), and
# check after every restart what crash_consistency.py says (acknowledged operations there and
# usable, nothing half-written, the audit trail verified offline with torn tails reported,
# no retry counter up, no usage counter back). Before the random kills, the crash-point
# injector (crashpoint.c, LD_PRELOAD) kills it deterministically before and after every
# storage step (rename of a record, audit append torn in half) of every operation kind.
# CRASH_SEED=N repeats a run's random kill points; CRASH_KNOWN_BUGS=half-keypair counts that
# reported bug instead of failing on it (to see what else a run finds).
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/rob_lib.sh"
need_py_module cryptography

CYCLES=${CRASH_CYCLES:-200}
BUDGET=${CRASH_BUDGET_SECONDS:-420}  # a hang guard: a run takes about 3.5 min on 2 idle cores
if [ "$ROB_SANITIZED" = 1 ]; then
  CYCLES=${CRASH_CYCLES:-40}
  BUDGET=${CRASH_BUDGET_SECONDS:-600}
fi

emu_start
provision_appliance
emu_stop

seed_args=()
[ -n "${CRASH_SEED:-}" ] && seed_args=(--seed "$CRASH_SEED")
# The deterministic crash points need the LD_PRELOAD injector, which cannot come before a
# sanitizer's runtime: sanitizer builds run the random kills only.
if [ "$ROB_SANITIZED" != 1 ]; then
  need_file SIGIL_TEST_CRASHPOINT
  seed_args+=(--crashpoint-lib "$SIGIL_TEST_CRASHPOINT" --crashpoint-file "$T/crashpoint")
  note "a SIGKILL at every storage step of every operation, then $CYCLES random SIGKILL cycles (budget ${BUDGET} s)"
else
  note "$CYCLES random SIGKILL cycles (sanitizer build: no crash-point injector; budget ${BUDGET} s)"
fi
if ! rob_py crash_consistency.py --emu "$EMU" --state "$STATE" --sock "$SOCK" --log "$EMU_LOG" \
    --cycles "$CYCLES" --budget "$BUDGET" "${seed_args[@]}" --strict-audit-order \
    --known-bugs "${CRASH_KNOWN_BUGS:-}"; then
  fail "crash consistency violated (see above; the emulator log follows)"
fi
pass "$CYCLES kill/restart cycles: every check held"

# The appliance still starts as lib.sh starts it, reports itself healthy and stops cleanly.
emu_start
emu_status_json "$T/status.json"
json_check "$T/status.json" 'j["health"] == "ok" and j["refused_blobs"] == 0' "healthy after the crash cycles"
emu_stop
finish
