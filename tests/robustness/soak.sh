#!/usr/bin/env bash
# soak.sh — resource hygiene of sigil-emu over a bounded signing run (issue 8 item 7).
#
# Load (rob_soak_client, every signature verified): one application that stays and opens and
# closes sessions; one that connects, logs in, signs and disconnects again and again
# (C_Initialize ... C_Finalize); and every second one more that is killed (SIGKILL) half a
# second after it started, so that connections also end abruptly.
#
# Warm-up (SOAK_WARMUP seconds, default 5), then the load stops and the emulator's resident
# memory (/proc/PID/status VmRSS), open descriptors (/proc/PID/fd) and threads are taken at
# rest: the start figures. Then SOAK_SECONDS (default 60) of load, sampled every 2 s, and the
# same figures at rest again. Bounds: RSS +SOAK_RSS_MIB (default 10) MiB, descriptors +0,
# threads +0. In a sanitizer build (SIGIL_ROB_SANITIZED=1) the run is shorter and RSS is
# printed but not bounded (the sanitizer keeps freed memory in quarantine).
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/rob_lib.sh"
need_file SIGIL_TEST_SOAK_CLIENT

SOAK=${SOAK_SECONDS:-60}
WARMUP=${SOAK_WARMUP:-5}
RSS_BOUND_MIB=${SOAK_RSS_MIB:-10}
if [ "$ROB_SANITIZED" = 1 ]; then SOAK=${SOAK_SECONDS:-20}; fi

emu_start
provision_appliance
create_seal soak >/dev/null
export SIGIL_TEST_USER_PIN=$USER_PIN
CLIENT=$SIGIL_TEST_SOAK_CLIENT
run "the seal's key pair" "$CLIENT" "$MODULE" soak 0 steady  # made once, before the clients race for it

# load SECONDS: runs the three kinds of application for SECONDS; fails if one of them failed.
load() {
  local secs=$1 pids=() rc=0 p
  "$CLIENT" "$MODULE" soak "$secs" steady >>"$T/steady.out" 2>&1 &
  pids+=($!)
  "$CLIENT" "$MODULE" soak "$secs" cycle >>"$T/cycle.out" 2>&1 &
  pids+=($!)
  local end=$((SECONDS + secs))
  while [ "$SECONDS" -lt "$end" ]; do
    # An application killed mid-way: its connections end without C_Finalize.
    (timeout -s KILL 0.5 "$CLIENT" "$MODULE" soak 5 cycle >/dev/null 2>&1 || true) 2>/dev/null
    sleep 0.5
    sample >>"$T/samples"
  done
  for p in "${pids[@]}"; do wait "$p" || rc=1; done
  [ "$rc" -eq 0 ] || { tail -n 5 "$T"/*.out >&2; fail "a signing application failed during the soak"; }
}

sample() { printf '%s %s %s %s\n' "$SECONDS" "$(emu_rss_kib "$EMU_PID")" "$(emu_fds "$EMU_PID")" "$(emu_threads "$EMU_PID")"; }

# at_rest VAR: waits until the emulator has let go of every client connection, then samples.
at_rest() {
  local i s
  for i in $(seq 50); do
    s=$(sample)
    sleep 0.2
    [ "$(sample | cut -d' ' -f3-)" = "$(echo "$s" | cut -d' ' -f3-)" ] && break
  done
  sleep 1
  printf -v "$1" '%s' "$(sample)"
}

note "warm-up: ${WARMUP} s of load"
load "$WARMUP"
at_rest START
read -r _ rss0 fd0 th0 <<<"$START"
note "at rest after the warm-up: RSS ${rss0} KiB, ${fd0} descriptors, ${th0} threads"

: >"$T/samples"
note "soak: ${SOAK} s of load"
load "$SOAK"
at_rest END
read -r _ rss1 fd1 th1 <<<"$END"
sigs=$(cat "$T/steady.out" "$T/cycle.out" | awk '/signatures verified/ {s += $(NF-2)} END {print s+0}')
rounds=$(awk '/cycle:/ {print $3}' "$T/cycle.out" | tail -n 1)
read -r rss_min rss_max fd_max th_max < <(awk 'NR==1 {a=$2; b=$2; c=$3; d=$4} {if ($2<a) a=$2; if ($2>b) b=$2; if ($3>c) c=$3; if ($4>d) d=$4} END {print a, b, c, d}' "$T/samples")

drss=$((rss1 - rss0))
echo "soak: ${SOAK} s, ${sigs} signatures verified in the soak and warm-up, ${rounds:-?} connect/sign/disconnect rounds of the last cycling application, $(wc -l <"$T/samples") samples"
echo "soak: emulator at rest  start: RSS ${rss0} KiB, ${fd0} fds, ${th0} threads   end: RSS ${rss1} KiB, ${fd1} fds, ${th1} threads   growth: RSS ${drss} KiB, fds $((fd1 - fd0)), threads $((th1 - th0))"
echo "soak: under load        RSS ${rss_min}..${rss_max} KiB, at most ${fd_max} fds, ${th_max} threads"
echo "soak: audit trail $(($(stat -c %s "$STATE/audit.log") / 1024)) KiB"

[ "$fd1" -eq "$fd0" ] || { ls -l "/proc/$EMU_PID/fd" >&2; fail "descriptors grew: $fd0 -> $fd1"; }
pass "no descriptor leaked ($fd0 -> $fd1)"
[ "$th1" -eq "$th0" ] || fail "threads grew: $th0 -> $th1"
pass "no thread leaked ($th0 -> $th1)"
if [ "$ROB_SANITIZED" = 1 ]; then
  note "sanitizer build: RSS growth ${drss} KiB not bounded (quarantine)"
else
  [ "$drss" -le $((RSS_BOUND_MIB * 1024)) ] || fail "RSS grew by ${drss} KiB (bound ${RSS_BOUND_MIB} MiB)"
  pass "RSS growth ${drss} KiB within ${RSS_BOUND_MIB} MiB"
fi
emu_stop
finish
