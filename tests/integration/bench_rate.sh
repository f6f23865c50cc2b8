#!/usr/bin/env bash
# bench_rate.sh — sigil-bench --rate against the real emulator and module: bad values get a
# clear error; an offered rate is kept (never more signatures than were scheduled, and not
# far fewer on an idle device), every sampled signature verifies, and the JSON says what
# was offered.
. "$(dirname "$0")/lib.sh"
need_file SIGIL_TEST_BENCH
BENCH=$SIGIL_TEST_BENCH

for bad in 0 -5 abc 1e9 ""; do
  expect_exit 2 "--rate '$bad' refused" "$BENCH" --module "$MODULE" --rate "$bad"
  grep_out "--rate takes signatures per second" "--rate '$bad': the error says what it takes"
done

emu_start
provision_appliance
create_seal bench-rate >/dev/null
export SIGIL_APPLIANCE=unix:$SOCK
# Make the key untimed first (sigil-bench creates it on first use).
run "key made" "$BENCH" --module "$MODULE" --token bench-rate --pin "$USER_PIN" --ops 4 --warmup 0

RATE=200 DUR=2 THREADS=4
expect_exit 0 "--rate $RATE for $DUR s on $THREADS threads" \
  "$BENCH" --module "$MODULE" --token bench-rate --pin "$USER_PIN" --threads "$THREADS" \
  --rate "$RATE" --duration "$DUR" --verify-every 10 --json
python3 - "$T/last.stdout" "$RATE" "$DUR" "$THREADS" <<'PY' >"$T/last.out" 2>&1 || { show_last; fail "rate kept"; }
import json, sys
j = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
rate, dur, threads = float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
r = [x for x in j["results"] if x["target"] == "sigil"][0]
ops = r["ops"]
assert j["rate_offered"] == rate, j["rate_offered"]
# Due times lie in [0, duration): at most rate * duration of them, plus one per thread at the edge.
assert ops <= rate * dur + threads, "%d signatures, more than the %d scheduled" % (ops, rate * dur + threads)
# An idle device keeps up with 200/s easily; half is a generous floor for a loaded machine.
assert ops >= rate * dur / 2, "%d signatures, far fewer than the %d offered" % (ops, rate * dur)
assert r["verify_failures"] == 0 and r["errors"] == 0 and r["verified"] > 0, r
print("ops %d for %d offered; %d verified" % (ops, rate * dur, r["verified"]))
PY
cat "$T/last.out"
pass "offered rate kept: no more signatures than scheduled, all sampled ones verified"

finish
