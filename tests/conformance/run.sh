#!/usr/bin/env bash
# run.sh MODE [p11_conformance options] — prepares a token and runs the conformance suite on it.
#
#   sigil    sigil-emu in a temporary directory, `sigil-admin init`, `seal create --label conf`;
#            the suite loads libsigil-pkcs11.so (SIGIL_APPLIANCE points at the emulator)
#   softhsm  a SoftHSMv2 token in a temporary directory (a generated softhsm2.conf in
#            SOFTHSM2_CONF), `softhsm2-util --init-token --free --label conf`
#
# Both tokens get the same SO and user PINs (tests/integration/lib.sh). The environment comes from
# tests/conformance/conformance.cmake: SIGIL_TEST_EMU, SIGIL_TEST_MODULE, SIGIL_TEST_ADMIN (for
# lib.sh), SIGIL_TEST_CONFORMANCE (the program), SIGIL_TEST_SOFTHSM_MODULE (libsofthsm2.so).
# The test fails unless every case passes; it never skips.
MODE=${1:-}
[ $# -gt 0 ] && shift
. "$(dirname "$0")/../integration/lib.sh"
TEST_NAME=conformance_$MODE
need_file SIGIL_TEST_CONFORMANCE
LABEL=conf

case $MODE in
sigil)
  emu_start
  provision_appliance
  slot=$(create_seal "$LABEL")
  pass "seal '$LABEL' created in slot $slot"
  LIB=$MODULE
  ;;
softhsm)
  need_file SIGIL_TEST_SOFTHSM_MODULE
  need_cmd softhsm2-util
  mkdir -p "$T/softhsm-tokens"
  cat >"$T/softhsm2.conf" <<CONF
directories.tokendir = $T/softhsm-tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
CONF
  export SOFTHSM2_CONF=$T/softhsm2.conf
  run "softhsm2-util --init-token --label $LABEL" \
    softhsm2-util --init-token --free --label "$LABEL" --so-pin "$SO_PIN" --pin "$USER_PIN"
  LIB=$SIGIL_TEST_SOFTHSM_MODULE
  ;;
*)
  fail "usage: run.sh sigil|softhsm [p11_conformance options]"
  ;;
esac

rc=0
CONF_USER_PIN=$USER_PIN CONF_SO_PIN=$SO_PIN "$SIGIL_TEST_CONFORMANCE" "$MODE" "$LIB" "$LABEL" "$@" \
  2>"$T/module.stderr" | tee "$T/report.txt" || rc=$?
if [ -s "$T/module.stderr" ]; then
  echo "--- stderr of the module under test (last 20 lines) ---"
  tail -n 20 "$T/module.stderr"
fi
summary=$(tail -n 1 "$T/report.txt")
[[ $summary =~ ^[0-9]+\ passed,\ [0-9]+\ failed$ ]] || fail "p11_conformance ended without its summary line (exit $rc)"
[ "$rc" -eq 0 ] ||
  fail "conformance against $MODE: $summary (exit $rc); each 'FINDING' line above is a difference or a failure"
[[ $summary =~ ^[0-9]+\ passed,\ 0\ failed$ ]] || fail "conformance against $MODE: $summary"
pass "conformance against $MODE: $summary"

[ "$MODE" = sigil ] && emu_stop
finish
