#!/usr/bin/env bash
# concurrent_sign.sh — two seals signing at the same time from 4 threads each (the C program
# concurrent_sign), every signature verified with OpenSSL.
. "$(dirname "$0")/lib.sh"
need_file SIGIL_TEST_CONCURRENT

emu_start
provision_appliance
slot_a=$(create_seal concurrent-a)
slot_b=$(create_seal concurrent-b)
[ "$slot_a" != "$slot_b" ] || fail "two seals were created in the same slot $slot_a"
pass "seals concurrent-a (slot $slot_a) and concurrent-b (slot $slot_b)"

N=${SIGIL_TEST_SIGNATURES:-200}
if ! SIGIL_TEST_USER_PIN=$USER_PIN "$SIGIL_TEST_CONCURRENT" "$MODULE" concurrent-a concurrent-b "$N" \
    >"$T/last.out" 2>&1; then
  cat "$T/last.out" >&2
  fail "concurrent_sign failed"
fi
cat "$T/last.out"
grep_out "seal A .*: $((4 * N)) signed, $((4 * N)) verified, 0 failed" "seal A: every signature verified"
grep_out "seal B .*: $((4 * N)) signed, $((4 * N)) verified, 0 failed" "seal B: every signature verified"

finish
