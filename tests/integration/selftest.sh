#!/usr/bin/env bash
# selftest.sh — the error state end to end (test builds only: SIGIL_TEST_HOOKS): an appliance
# whose known-answer test fails still answers INFO, `sigil-admin status` says why, and every
# cryptographic command is refused — seal creation by sigil-admin, signing through the module.
# Restarted without the fault, the same state serves again.
. "$(dirname "$0")/lib.sh"
need_cmd pkcs11-tool

emu_start
provision_appliance
slot=$(create_seal healthy)
run "key pair on the seal" p11 --slot "$slot" --login --pin "$USER_PIN" \
  --keypairgen --key-type EC:prime256v1 --id 01 --label k
printf 'data to seal' >"$T/data"
run "sign while healthy" p11 --slot "$slot" --login --pin "$USER_PIN" \
  --sign -m ECDSA-SHA256 --id 01 -i "$T/data" -o "$T/sig"
emu_stop

# Known-answer test 5 corrupted: the device starts in its error state.
export SIGIL_EMU_TEST_CORRUPT_KAT=5
emu_start
unset SIGIL_EMU_TEST_CORRUPT_KAT
grep -q 'corrupting known-answer test 5' "$EMU_LOG" ||
  fail "sigil-emu did not take the test switch: is this a test build (-DSIGIL_TEST_HOOKS=ON)?"
pass "the emulator corrupts known-answer test 5"

expect_exit 0 "status answers in the error state" admin --json status
json_check "$T/last.stdout" 'j["self_test_ok"] is False' "status reports the failed self-test"
json_check "$T/last.stdout" '"self-test failed" in j["health"]' "status says why"
expect_exit 0 "status (text)" admin status
grep_out 'FAILED' "the text status says FAILED"

expect_exit 3 "seal create is refused" env SIGIL_ADMIN_PIN="$ADMIN_PIN" SIGIL_SO_PIN="$SO_PIN" \
  SIGIL_USER_PIN="$USER_PIN" "$ADMIN" --appliance "unix:$SOCK" seal create --label other
grep_out 'SELF_TEST_FAILED' "the refusal names SELF_TEST_FAILED"
run_fails "signing is refused" p11 --slot "$slot" --login --pin "$USER_PIN" \
  --sign -m ECDSA-SHA256 --id 01 -i "$T/data" -o "$T/sig2"
emu_stop

# Without the fault: the same keys sign again.
emu_start
run "sign after a healthy restart" p11 --slot "$slot" --login --pin "$USER_PIN" \
  --sign -m ECDSA-SHA256 --id 01 -i "$T/data" -o "$T/sig3"
emu_stop
finish
