#!/usr/bin/env bash
# restart_under_load.sh — an application keeps signing from 2 threads (rob_restart_under_load)
# while the appliance is restarted under it: once with SIGTERM (a clean stop), once with SIGKILL
# (a crash), each time started again on the same state directory and socket. The program
# asserts the documented behaviour (specs/pkcs11-profile.md, deviation 6; see the program's
# header): CKR_DEVICE_ERROR while the appliance is away, CKR_USER_NOT_LOGGED_IN on the old
# sessions once it is back, signing resumed after a new C_Login in the same process, and no
# signature before that login (the module keeps no PIN).
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/rob_lib.sh"
need_file SIGIL_TEST_RESTART_CLIENT

emu_start
provision_appliance
create_seal restart >/dev/null
GEN=$T/generation
echo 0 >"$GEN"

RUN_SECONDS=12
OUT=$T/client.out
SIGIL_TEST_USER_PIN=$USER_PIN "$SIGIL_TEST_RESTART_CLIENT" "$MODULE" restart "$GEN" "$RUN_SECONDS" 2 >"$OUT" 2>&1 &
CLIENT=$!
for _ in $(seq 100); do grep -q '^signing' "$OUT" && break; sleep 0.1; done
grep -q '^signing' "$OUT" || { cat "$OUT" >&2; fail "the signing application did not start"; }
pass "application signing from 2 threads"

# Generation 1: SIGTERM. The file changes after the old process exited and before the new
# one starts (see the program's header).
sleep 3
emu_stop
echo 1 >"$GEN.new" && mv "$GEN.new" "$GEN"
sleep 0.5   # half a second without an appliance
emu_start
pass "appliance restarted with SIGTERM under the application"

# Generation 2: SIGKILL, as a crash.
sleep 3
kill -KILL "$EMU_PID"
wait "$EMU_PID" 2>/dev/null || true
EMU_PID=
echo 2 >"$GEN.new" && mv "$GEN.new" "$GEN"
sleep 0.5
emu_start
pass "appliance killed (SIGKILL) and started again under the application"

rc=0
wait "$CLIENT" || rc=$?
cat "$OUT"
[ "$rc" -eq 0 ] || fail "the application's checks failed (exit $rc)"
grep_out_file() { grep -Eq -- "$1" "$OUT" || fail "$2"; pass "$2"; }
grep_out_file 'every check held' "signing resumed after each restart, with the documented errors only"
finish
