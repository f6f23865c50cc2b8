# lib.sh — shared by the integration tests (sourced, not run).
#
# The test runner (tests/integration/integration.cmake) passes the built programs in:
#   SIGIL_TEST_EMU     sigil-emu
#   SIGIL_TEST_MODULE  libsigil-pkcs11.so
#   SIGIL_TEST_ADMIN   sigil-admin
# Each test gets its own temporary directory ($T) with the emulator's state ($T/state)
# and socket ($T/sigil.sock), so tests run in parallel. The emulator is stopped and the
# directory removed on exit; on failure the emulator's log is printed and $T is kept.

set -euo pipefail

# ---- reporting ----------------------------------------------------------------------

TEST_NAME=$(basename "$0" .sh)
CHECKS=0

note() { printf '== %s\n' "$*"; }

# fail MESSAGE: the test fails, saying what was expected.
fail() {
  printf 'FAIL [%s]: %s\n' "$TEST_NAME" "$*" >&2
  exit 1
}

pass() { CHECKS=$((CHECKS + 1)); printf 'ok %d - %s\n' "$CHECKS" "$*"; }

# Prints the last output of a command (kept in $T/last.out) for a failure message.
show_last() {
  if [ -s "$T/last.out" ]; then
    sed 's/^/    | /' "$T/last.out" | tail -n 40 >&2
  fi
}

# run DESCRIPTION CMD...: CMD must succeed; its stdout+stderr go to $T/last.out.
run() {
  local what=$1; shift
  if ! "$@" >"$T/last.out" 2>&1; then
    show_last
    fail "$what: command failed: $*"
  fi
  pass "$what"
}

# run_fails DESCRIPTION CMD...: CMD must fail (nonzero exit).
run_fails() {
  local what=$1; shift
  if "$@" >"$T/last.out" 2>&1; then
    show_last
    fail "$what: command succeeded but must fail: $*"
  fi
  pass "$what"
}

# expect_exit CODE DESCRIPTION CMD...: CMD must exit with CODE; stdout in $T/last.stdout,
# stderr in $T/last.stderr.
expect_exit() {
  local want=$1 what=$2 got=0; shift 2
  "$@" >"$T/last.stdout" 2>"$T/last.stderr" || got=$?
  cat "$T/last.stdout" "$T/last.stderr" >"$T/last.out"
  if [ "$got" -ne "$want" ]; then
    show_last
    fail "$what: exit code $got, expected $want: $*"
  fi
  pass "$what (exit $want)"
}

# grep_out PATTERN DESCRIPTION: $T/last.out must match the extended regex PATTERN.
grep_out() {
  if ! grep -Eq -- "$1" "$T/last.out"; then
    show_last
    fail "$2: output does not match /$1/"
  fi
  pass "$2"
}

finish() { printf '%s: %d checks passed\n' "$TEST_NAME" "$CHECKS"; }

# ---- prerequisites --------------------------------------------------------------------

need_file() {
  local var=$1
  local path=${!var:-}
  [ -n "$path" ] || fail "$var is not set (run this test through ctest)"
  [ -f "$path" ] || fail "$var=$path does not exist (build it first)"
}

need_cmd() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || fail "'$c' is not installed (run scripts/install-deps.sh)"
  done
}

need_file SIGIL_TEST_EMU
need_file SIGIL_TEST_MODULE
need_file SIGIL_TEST_ADMIN
need_cmd openssl python3

EMU=$SIGIL_TEST_EMU
MODULE=$SIGIL_TEST_MODULE
ADMIN=$SIGIL_TEST_ADMIN

# ---- the temporary directory and the emulator -------------------------------------------

T=$(mktemp -d "${TMPDIR:-/tmp}/sigil-it-$TEST_NAME.XXXXXX")
STATE=$T/state
SOCK=$T/sigil.sock
EMU_PID=
EMU_LOG=$T/emu.log
export SIGIL_APPLIANCE=unix:$SOCK
unset SIGIL_PKCS11_CONF SIGIL_ADMIN_PIN SIGIL_SO_PIN SIGIL_USER_PIN

cleanup() {
  local rc=$?
  if [ -n "$EMU_PID" ] && kill -0 "$EMU_PID" 2>/dev/null; then
    kill -TERM "$EMU_PID" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$EMU_PID" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$EMU_PID" 2>/dev/null; then
      kill -KILL "$EMU_PID" 2>/dev/null || true
      if [ "$rc" -eq 0 ]; then echo "FAIL [$TEST_NAME]: sigil-emu did not stop within 10 s of SIGTERM" >&2; rc=1; fi
    fi
    local erc=0
    wait "$EMU_PID" 2>/dev/null || erc=$?
    # A clean stop is part of every test (and how a sanitizer build reports leaks).
    if [ "$rc" -eq 0 ] && [ "$erc" -ne 0 ]; then
      echo "FAIL [$TEST_NAME]: sigil-emu exited with code $erc on SIGTERM (expected 0)" >&2
      rc=1
    fi
  fi
  if [ "$rc" -ne 0 ]; then
    if [ -s "$EMU_LOG" ]; then
      echo "--- sigil-emu log (last 40 lines) ---" >&2
      tail -n 40 "$EMU_LOG" >&2
    fi
    echo "test files kept in $T" >&2
  else
    rm -rf "$T"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# emu_start: starts sigil-emu on $STATE and $SOCK and waits until it accepts connections.
emu_start() {
  mkdir -p "$STATE"
  rm -f "$SOCK"
  # shellcheck disable=SC2086 # EMU_EXTRA_ARGS: further options, split into words
  "$EMU" --state-dir "$STATE" --listen "unix:$SOCK" ${EMU_EXTRA_ARGS:-} >>"$EMU_LOG" 2>&1 &
  EMU_PID=$!
  local i
  for i in $(seq 200); do
    if ! kill -0 "$EMU_PID" 2>/dev/null; then
      local rc=0
      wait "$EMU_PID" || rc=$?
      EMU_PID=
      tail -n 20 "$EMU_LOG" >&2
      fail "sigil-emu exited (code $rc) before opening $SOCK"
    fi
    if [ -S "$SOCK" ] && python3 - "$SOCK" <<'PY' 2>/dev/null; then
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.settimeout(1)
s.connect(sys.argv[1])
s.close()
PY
      note "sigil-emu running (pid $EMU_PID) on $SOCK"
      return 0
    fi
    sleep 0.1
  done
  fail "sigil-emu did not open $SOCK within 20 s"
}

# emu_stop: SIGTERM; the emulator must exit cleanly (code 0) within 10 s.
emu_stop() {
  [ -n "$EMU_PID" ] || fail "emu_stop: the emulator is not running"
  kill -TERM "$EMU_PID"
  local i rc=0
  for i in $(seq 100); do
    kill -0 "$EMU_PID" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$EMU_PID" 2>/dev/null; then
    fail "sigil-emu did not stop within 10 s of SIGTERM"
  fi
  wait "$EMU_PID" || rc=$?
  EMU_PID=
  [ "$rc" -eq 0 ] || fail "sigil-emu exited with code $rc on SIGTERM (expected 0)"
  pass "sigil-emu stopped cleanly on SIGTERM"
}

emu_restart() {
  emu_stop
  emu_start
}

# ---- clients ----------------------------------------------------------------------------

# pkcs11_tool ARGS...: pkcs11-tool. In an AddressSanitizer build the module needs the ASan
# runtime loaded first: integration.cmake passes it in SIGIL_TEST_PRELOAD (leak checks are left
# to the programs built with the sanitizer, not to pkcs11-tool).
pkcs11_tool() {
  if [ -n "${SIGIL_TEST_PRELOAD:-}" ]; then
    LD_PRELOAD=$SIGIL_TEST_PRELOAD ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 pkcs11-tool "$@"
  else
    pkcs11-tool "$@"
  fi
}

# p11 ARGS...: pkcs11-tool through the Sigil module.
p11() { pkcs11_tool --module "$MODULE" "$@"; }

# admin ARGS...: sigil-admin on this test's appliance.
admin() { "$ADMIN" --appliance "unix:$SOCK" "$@"; }

# json_get FILE EXPR: evaluates the Python expression EXPR on the JSON object in FILE
# (bound to j) and prints the result; fails if FILE is not exactly one JSON object.
json_get() {
  python3 - "$1" "$2" <<'PY'
import json, sys
with open(sys.argv[1], encoding="utf-8") as f:
    text = f.read()
lines = [l for l in text.splitlines() if l.strip()]
if len(lines) != 1:
    sys.exit("expected one JSON line, got %d" % len(lines))
j = json.loads(lines[0])
if not isinstance(j, dict):
    sys.exit("expected a JSON object")
v = eval(sys.argv[2], {"j": j})
print(json.dumps(v) if isinstance(v, (dict, list, bool)) or v is None else v)
PY
}

# json_check FILE EXPR DESCRIPTION: EXPR must be true.
json_check() {
  local got
  if ! got=$(json_get "$1" "$2" 2>&1); then
    sed 's/^/    | /' "$1" >&2
    fail "$3: $got"
  fi
  if [ "$got" != "true" ]; then
    sed 's/^/    | /' "$1" >&2
    fail "$3: ($2) is $got"
  fi
  pass "$3"
}

# provision_appliance: 'sigil-admin init' with $ADMIN_PIN.
ADMIN_PIN=admin-pin-1234
SO_PIN=so-pin-1234
USER_PIN=user-pin-1234

provision_appliance() {
  run "sigil-admin init" env SIGIL_ADMIN_PIN="$ADMIN_PIN" "$ADMIN" --appliance "unix:$SOCK" init
}

# create_seal LABEL: creates a seal with $SO_PIN and $USER_PIN; prints its slot id.
create_seal() {
  local out=$T/seal-$1.json
  if ! env SIGIL_ADMIN_PIN="$ADMIN_PIN" SIGIL_SO_PIN="$SO_PIN" SIGIL_USER_PIN="$USER_PIN" \
      "$ADMIN" --appliance "unix:$SOCK" --json seal create --label "$1" >"$out" 2>"$T/last.out"; then
    cat "$out" >>"$T/last.out"
    show_last
    fail "sigil-admin seal create --label $1 failed"
  fi
  json_get "$out" 'j["slot"]'
}
