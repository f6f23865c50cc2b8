#!/usr/bin/env bash
# overload.sh — overload through the real module (issue 7, "Bad input"): far more signing
# threads than the appliance has workers (2) or the module has connections (4), on two seals.
# Requests must slow down, never be dropped: every C_Sign answers CKR_OK with a signature that
# verifies, and the audit trail holds exactly one SIGN record (status OK) per signature
# released, the chain and the signed checkpoints verifying offline.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/rob_lib.sh"
need_file SIGIL_TEST_BENCH

THREADS=${OVERLOAD_THREADS:-256}
OPS=${OVERLOAD_OPS:-20000}
[ "$ROB_SANITIZED" = 1 ] && OPS=${OVERLOAD_OPS:-4000}

EMU_EXTRA_ARGS="--workers 2" emu_start
provision_appliance
create_seal over-a >/dev/null
create_seal over-b >/dev/null
pass "two seals"

bench() {
  SIGIL_APPLIANCE=unix:$SOCK "$SIGIL_TEST_BENCH" --module "$MODULE" --token over-a --token over-b \
    --pin "$USER_PIN" --mechanism ecdsa-p256 --warmup 0 --json "$@"
}
# The keys are made (and a few signatures made) first; the trail is counted from there.
bench --ops 8 >"$T/keygen.json" 2>"$T/last.out" || { show_last; fail "sigil-bench could not make the keys"; }
rob_py overload_trail.py "$STATE/audit.log" "$SOCK" >"$T/before.json" 2>"$T/last.out" ||
  { show_last; fail "the audit trail does not verify before the run"; }
before=$(json_get "$T/before.json" 'j["sign_ok"]')

rc=0
bench --threads "$THREADS" --ops "$OPS" --verify-every 1 >"$T/bench.json" 2>"$T/last.out" || rc=$?
[ "$rc" -eq 0 ] || { show_last; fail "sigil-bench failed (exit $rc) with $THREADS threads"; }
summary=$(json_get "$T/bench.json" '"%d signatures, %d errors, %d verified, %d failed to verify, %.0f/s, p99 %.1f ms, max %.1f ms" % (j["results"][0]["ops"], j["results"][0]["errors"], j["results"][0]["verified"], j["results"][0]["verify_failures"], j["results"][0]["signatures_per_s"], j["results"][0]["latency_ms"]["p99"], j["results"][0]["latency_ms"]["max"])')
note "$THREADS threads on 2 workers: $summary"
[ "$(json_get "$T/bench.json" 'j["results"][0]["ops"]')" -eq "$OPS" ] || fail "not every signature was made: $summary"
[ "$(json_get "$T/bench.json" 'j["results"][0]["errors"]')" -eq 0 ] || fail "requests failed under overload: $summary"
[ "$(json_get "$T/bench.json" 'j["results"][0]["verified"]')" -eq "$OPS" ] || fail "not every signature was verified: $summary"
[ "$(json_get "$T/bench.json" 'j["results"][0]["verify_failures"]')" -eq 0 ] || fail "wrong signatures: $summary"
pass "$THREADS threads, $OPS signatures: none dropped, every one verified"

emu_stop
rob_py overload_trail.py "$STATE/audit.log" >"$T/after.json" 2>"$T/last.out" ||
  { show_last; fail "the audit trail does not verify after the run"; }
after=$(json_get "$T/after.json" 'j["sign_ok"]')
note "trail: $(json_get "$T/after.json" '"%d records, %d signed checkpoints verified, torn tail %d bytes" % (j["records"], j["checkpoints"], j["torn"])')"
[ "$(json_get "$T/after.json" 'j["torn"]')" -eq 0 ] || fail "the trail has a torn tail after a clean stop"
[ $((after - before)) -eq "$OPS" ] ||
  fail "the trail holds $((after - before)) SIGN records for $OPS signatures released"
pass "one audit record per signature ($OPS), the chain and checkpoints verified"
finish
