#!/usr/bin/env bash
# perf-table.sh — reproduces the table of docs/performance.md: Sigil (sigil-emu + the PKCS#11
# module) against SoftHSMv2 and raw in-process libcrypto, measured side by side by
# sigil-bench --compare, for each firmware crypto backend, mechanism, number of seals and
# number of threads; each figure the best of --repeat runs.
#
#   tools/bench/perf-table.sh [--backend openssl|mbedtls]... [--duration SEC] [--repeat N]
#                             [--threads "1 2 8 64 256"] [--mechanisms "ecdsa-p256 rsa2048-pkcs"]
#                             [--seals "1 4"] [--workers N (default 2 per CPU)] [--max-busy PCT] [--no-build]
#                             [--out DIR]
#
# It builds build-perf-<backend> (Release) unless --no-build, starts sigil-emu in a temporary
# directory (state and socket there, nothing else touched), provisions the appliance and the
# seals with sigil-admin, and before each measurement waits until the machine is quiet (CPU
# busy below --max-busy percent over 2 s, at most --quiet-wait seconds; the busy figure and
# the load average are recorded with each result). Results: DIR/results.jsonl (one
# sigil-bench JSON object per line, with the backend and the machine's state added) and
# DIR/table.md, which is also printed.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BACKENDS=()
DURATION=5
REPEAT=3
THREADS="1 2 8 64 256"
MECHS="ecdsa-p256 rsa2048-pkcs"
SEALS="1 4"
WORKERS=$((2 * $(nproc))) # the emulator's default: two per CPU
MAX_BUSY=25
QUIET_WAIT=600
BUILD=1
OUT=

die() { printf 'perf-table: %s\n' "$*" >&2; exit 2; }

while [ $# -gt 0 ]; do
  case $1 in
    --backend) BACKENDS+=("$2"); shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --repeat) REPEAT=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --mechanisms) MECHS=$2; shift 2 ;;
    --seals) SEALS=$2; shift 2 ;;
    --workers) WORKERS=$2; shift 2 ;;
    --max-busy) MAX_BUSY=$2; shift 2 ;;
    --quiet-wait) QUIET_WAIT=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --out) OUT=$2; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done
[ ${#BACKENDS[@]} -gt 0 ] || BACKENDS=(openssl mbedtls)
[ -n "$OUT" ] || OUT=$ROOT/build-perf-results/$(date +%Y%m%d-%H%M%S)
mkdir -p "$OUT"
RESULTS=$OUT/results.jsonl
: >"$RESULTS"
command -v python3 >/dev/null || die "python3 is needed for the table"
[ -f /usr/lib/softhsm/libsofthsm2.so ] || die "SoftHSMv2 is not installed (apt-get install softhsm2)"

# CPU busy percent over 2 s, from /proc/stat.
busy_pct() {
  local a b
  a=($(head -1 /proc/stat)); sleep 2; b=($(head -1 /proc/stat))
  local idle=$(( (b[4] + b[5]) - (a[4] + a[5]) )) total=0 i
  for i in 1 2 3 4 5 6 7 8; do total=$(( total + b[i] - a[i] )); done
  [ "$total" -gt 0 ] || { echo 0; return; }
  echo $(( 100 * (total - idle) / total ))
}

# Waits until the machine is quiet; prints the busy percent it settled at.
wait_quiet() {
  local waited=0 b
  while :; do
    b=$(busy_pct)
    if [ "$b" -le "$MAX_BUSY" ] || [ "$waited" -ge "$QUIET_WAIT" ]; then echo "$b"; return; fi
    printf 'perf-table: machine busy (%s%% CPU, %s), waiting\n' "$b" "$(cut -d' ' -f1-3 /proc/loadavg)" >&2
    sleep 10; waited=$((waited + 12))
  done
}

ADMIN_PIN=perf-admin-1234 SO_PIN=perf-so-1234 USER_PIN=perf-user-1234
MAX_SEALS=1
for s in $SEALS; do [ "$s" -gt "$MAX_SEALS" ] && MAX_SEALS=$s; done

EMU_PID= T=
stop_emu() {
  if [ -n "$EMU_PID" ]; then
    kill -TERM "$EMU_PID" 2>/dev/null || true
    local rc=0; wait "$EMU_PID" || rc=$?
    [ "$rc" -eq 0 ] || echo "perf-table: WARNING: sigil-emu exited with $rc on SIGTERM" >&2
    EMU_PID=
  fi
  [ -z "$T" ] || rm -rf "$T"
  T=
}
trap stop_emu EXIT

for backend in "${BACKENDS[@]}"; do
  B=$ROOT/build-perf-$backend
  if [ "$BUILD" = 1 ]; then
    echo "perf-table: building $B (Release, SIGIL_FW_CRYPTO=$backend)" >&2
    cmake -S "$ROOT" -B "$B" -DCMAKE_BUILD_TYPE=Release -DSIGIL_FW_CRYPTO="$backend" >"$OUT/cmake-$backend.log" 2>&1 ||
      die "cmake failed (see $OUT/cmake-$backend.log)"
    cmake --build "$B" -j "$(nproc)" --target sigil-emu sigil-pkcs11 sigil-admin sigil-bench \
      >"$OUT/build-$backend.log" 2>&1 || die "build failed (see $OUT/build-$backend.log)"
  fi
  EMU=$B/firmware/emu/sigil-emu ADMIN=$B/tools/sigil-admin MODULE=$B/module/libsigil-pkcs11.so
  BENCH=$B/tools/bench/sigil-bench
  for f in "$EMU" "$ADMIN" "$MODULE" "$BENCH"; do [ -f "$f" ] || die "$f is missing (build it, or drop --no-build)"; done

  T=$(mktemp -d "${TMPDIR:-/tmp}/sigil-perf.XXXXXX")
  mkdir -p "$T/state"
  SIGIL_EMU_STATS=1 "$EMU" --state-dir "$T/state" --listen "unix:$T/s.sock" --workers "$WORKERS" \
    >"$OUT/emu-$backend.log" 2>&1 &
  EMU_PID=$!
  for _ in $(seq 100); do [ -S "$T/s.sock" ] && break; sleep 0.1; done
  export SIGIL_APPLIANCE=unix:$T/s.sock
  SIGIL_ADMIN_PIN=$ADMIN_PIN "$ADMIN" init >/dev/null
  TOKENS=()
  for i in $(seq 0 $((MAX_SEALS - 1))); do
    SIGIL_ADMIN_PIN=$ADMIN_PIN SIGIL_SO_PIN=$SO_PIN SIGIL_USER_PIN=$USER_PIN \
      "$ADMIN" seal create --label "perf-seal-$i" >/dev/null
    TOKENS+=("perf-seal-$i")
  done
  for mech in $MECHS; do
    # make the keys once (untimed), on every seal
    args=(); for tk in "${TOKENS[@]}"; do args+=(--token "$tk"); done
    "$BENCH" --module "$MODULE" "${args[@]}" --pin "$USER_PIN" --mechanism "$mech" --ops 10 --warmup 0 \
      >/dev/null 2>"$OUT/keygen.log" || die "key generation for $mech failed (see $OUT/keygen.log)"
    for seals in $SEALS; do
      args=(); for i in $(seq 0 $((seals - 1))); do args+=(--token "perf-seal-$i"); done
      for threads in $THREADS; do
        busy=$(wait_quiet)
        load=$(cut -d' ' -f1-3 /proc/loadavg)
        echo "perf-table: $backend $mech seals=$seals threads=$threads (busy before: $busy%, load $load)" >&2
        if ! "$BENCH" --module "$MODULE" "${args[@]}" --pin "$USER_PIN" --mechanism "$mech" --threads "$threads" \
            --duration "$DURATION" --repeat "$REPEAT" --compare --json >"$OUT/last.json" 2>"$OUT/last.err"; then
          cat "$OUT/last.err" >&2
          echo "perf-table: WARNING: sigil-bench failed for $backend $mech seals=$seals threads=$threads" >&2
        fi
        [ -s "$OUT/last.json" ] || continue
        python3 - "$OUT/last.json" "$backend" "$busy" "$load" "$WORKERS" >>"$RESULTS" <<'PY'
import json, sys
j = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
j["backend"] = sys.argv[2]; j["busy_before_pct"] = int(sys.argv[3]); j["loadavg_before"] = sys.argv[4]
j["emu_workers"] = int(sys.argv[5])
print(json.dumps(j))
PY
      done
    done
  done
  stop_emu
  grep "sigil-emu: .* requests in" "$OUT/emu-$backend.log" >&2 || true
done

python3 - "$RESULTS" >"$OUT/table.md" <<'PY'
import json, sys, collections
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
if not rows:
    sys.exit("no results")
def res(j, name):
    for r in j["results"]:
        if r["target"] == name:
            return r
    return None
def k(v):
    return "{:,.0f}".format(v)
m = rows[0]["machine"]
print("Machine: %d CPUs (%s), %d MiB; sigil-emu --workers %d; %s s per run, best of %d runs.\n"
      % (m["nproc"], m["cpu"], m["mem_mib"], rows[0]["emu_workers"], rows[0].get("duration_s", "?"), rows[0]["repeat"]))
groups = collections.OrderedDict()
for j in rows:
    groups.setdefault((j["backend"], j["mechanism"], j["seals"]), []).append(j)
for (backend, mech, seals), js in groups.items():
    print("### %s, %d seal%s, firmware crypto: %s\n" % (mech, seals, "" if seals == 1 else "s", backend))
    print("| threads | Sigil sig/s | SoftHSMv2 sig/s | libcrypto sig/s | Sigil / libcrypto | Sigil / SoftHSMv2 "
          "| Sigil p50 / p99 ms | verified (failed) | CPU busy before |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    best = {"sigil": 0, "softhsm2": 0, "openssl": 0}
    for j in js:
        s, h, o = res(j, "sigil"), res(j, "softhsm2"), res(j, "openssl")
        for name, r in (("sigil", s), ("softhsm2", h), ("openssl", o)):
            if r:
                best[name] = max(best[name], r["signatures_per_s"])
        ver = sum(r["verified"] for r in j["results"])
        bad = sum(r["verify_failures"] + r["errors"] for r in j["results"])
        print("| %d | %s | %s | %s | %.2f | %.2f | %.2f / %.2f | %d (%d) | %d%% |" % (
            j["threads"], k(s["signatures_per_s"]), k(h["signatures_per_s"]), k(o["signatures_per_s"]),
            s["signatures_per_s"] / o["signatures_per_s"], s["signatures_per_s"] / h["signatures_per_s"],
            s["latency_ms"]["p50"], s["latency_ms"]["p99"], ver, bad, j["busy_before_pct"]))
    print("\nBest of each (any thread count): Sigil %s sig/s (%s per hour), SoftHSMv2 %s, libcrypto %s; "
          "Sigil / best libcrypto **%.2f**, Sigil / best SoftHSMv2 **%.2f**.\n" % (
              k(best["sigil"]), k(best["sigil"] * 3600), k(best["softhsm2"]), k(best["openssl"]),
              best["sigil"] / best["openssl"], best["sigil"] / best["softhsm2"]))
PY
cat "$OUT/table.md"
echo "perf-table: results in $OUT" >&2
