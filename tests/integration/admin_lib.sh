# shellcheck shell=bash
# admin_lib.sh — helpers of the sigil-admin integration tests (sourced after lib.sh, not run).
#
#   aj CODE DESC [VAR=VALUE | -u VAR]... [--no-tty] ARGS...
#                            sigil-admin --json ARGS on this test's appliance (with those variables
#                            set or unset; --no-tty: in a new session, without a terminal): must exit
#                            with CODE and print exactly one JSON object ($T/j.json) whose "ok" fits
#                            CODE; no PIN may appear in what it prints
#   jc EXPR DESC             a Python expression on $T/j.json (bound to j) must be true
#   jv EXPR                  prints the value of a Python expression on $T/j.json
#   make_ca DIR              a throwaway OpenSSL CA in DIR (ca.pem, ca.key)
#   ca_issue DIR CSR OUT     the CA issues a seal certificate for CSR
#   cms_sign URI PIN CERT IN OUT   OpenSSL (pkcs11 engine) signs IN through the module (CMS, DER)
#   cms_verify CA IN SIG     OpenSSL verifies the CMS signature against the CA
#   emu2_start NAME / emu2_stop NAME   further emulators ($T/NAME/sock), stopped on exit

need_cmd python3 openssl

ADMIN_PIN=admin-pin-1234
SO_PIN=so-pin-1234
USER_PIN=user-pin-1234
AUDITOR_PIN=auditor-pin-1234
NEW_PIN=new-pin-98765
export SIGIL_ADMIN_PIN=$ADMIN_PIN SIGIL_SO_PIN=$SO_PIN SIGIL_USER_PIN=$USER_PIN SIGIL_AUDITOR_PIN=$AUDITOR_PIN
unset SIGIL_NEW_PIN SIGIL_BACKUP_SECRET

# The appliance sigil-admin talks to (tests switch it to a second emulator).
AJ_SOCK=$SOCK

no_pins() {
  if grep -qF -e "$ADMIN_PIN" -e "$SO_PIN" -e "$USER_PIN" -e "$AUDITOR_PIN" -e "$NEW_PIN" "$T/last.out"; then
    show_last
    fail "$1: a PIN appears in sigil-admin's output"
  fi
}

aj() {
  local want=$1 what=$2 got=0; shift 2
  local envs=()
  while [ $# -gt 0 ]; do
    if [ "$1" = -u ]; then envs+=(-u "$2"); shift 2
    elif [[ $1 =~ ^[A-Z_]+= ]]; then envs+=("$1"); shift
    else break; fi
  done
  local wrap=()
  if [ "${1:-}" = --no-tty ]; then wrap=(setsid -w); shift; fi
  env "${envs[@]}" "${wrap[@]}" "$ADMIN" --appliance "unix:$AJ_SOCK" --json "$@" >"$T/j.json" 2>"$T/j.err" </dev/null || got=$?
  cat "$T/j.json" "$T/j.err" >"$T/last.out"
  if [ "$got" -ne "$want" ]; then
    show_last
    fail "$what: exit code $got, expected $want: sigil-admin --json $*"
  fi
  no_pins "$what"
  local why
  if ! why=$(python3 - "$T/j.json" "$want" <<'PY' 2>&1
import json, sys
text = open(sys.argv[1], encoding="utf-8").read()
lines = [l for l in text.splitlines() if l.strip()]
if len(lines) != 1:
    sys.exit("expected one JSON line on stdout, got %d" % len(lines))
j = json.loads(lines[0])
want = int(sys.argv[2])
if j.get("ok") is not (want == 0):
    sys.exit("ok is %r for exit code %d" % (j.get("ok"), want))
if want != 0 and j["error"]["exit_code"] != want:
    sys.exit("error.exit_code %r, exit code %d" % (j["error"]["exit_code"], want))
if want != 0 and not j["error"]["message"]:
    sys.exit("no error message")
PY
  ); then
    show_last
    fail "$what: $why"
  fi
  pass "$what (exit $want)"
}

jc() { json_check "$T/j.json" "$1" "$2"; }
jv() { json_get "$T/j.json" "$1"; }

# ---- a throwaway CA ------------------------------------------------------------------------

make_ca() {
  local d=$1
  mkdir -p "$d"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$d/ca.key" -out "$d/ca.pem" \
    -days 30 -subj "/C=PL/O=Sigil Test CA/CN=Sigil Test CA $(basename "$d")" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    >"$T/last.out" 2>&1 || { show_last; fail "openssl could not make a CA"; }
  printf 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,nonRepudiation\nextendedKeyUsage=emailProtection\n' \
    >"$d/seal.ext"
}

ca_issue() {
  local d=$1 csr=$2 out=$3
  openssl x509 -req -in "$csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 20 \
    -extfile "$d/seal.ext" -out "$out" >"$T/last.out" 2>&1 || { show_last; fail "the CA could not issue from $csr"; }
}

# ---- OpenSSL through the module (libp11's pkcs11 engine) -------------------------------------------

ENGINE_SO="$(openssl version -e | sed -n 's/^ENGINESDIR: "\(.*\)"$/\1/p')/pkcs11.so"
[ -f "$ENGINE_SO" ] || fail "the OpenSSL pkcs11 engine ($ENGINE_SO) is not installed (libengine-pkcs11-openssl)"
cat >"$T/engine.cnf" <<EOF
openssl_conf = openssl_init
[openssl_init]
engines = engine_section
[engine_section]
pkcs11 = pkcs11_section
[pkcs11_section]
engine_id = pkcs11
dynamic_path = $ENGINE_SO
MODULE_PATH = $MODULE
init = 0
EOF

ossl_engine() {
  if [ -n "${SIGIL_TEST_PRELOAD:-}" ]; then
    LD_PRELOAD=$SIGIL_TEST_PRELOAD ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
      OPENSSL_CONF="$T/engine.cnf" SIGIL_APPLIANCE="unix:$AJ_SOCK" openssl "$@"
  else
    OPENSSL_CONF="$T/engine.cnf" SIGIL_APPLIANCE="unix:$AJ_SOCK" openssl "$@"
  fi
}

# cms_sign URI PIN CERT IN OUT: a CMS signature (DER) made by the seal's key through the module.
cms_sign() {
  ossl_engine cms -sign -binary -md sha256 -engine pkcs11 -keyform engine -inkey "$1;pin-value=$2" \
    -signer "$3" -in "$4" -outform DER -out "$5" -nosmimecap
}

cms_verify() {
  openssl cms -verify -binary -inform DER -in "$3" -content "$2" -CAfile "$1" -purpose any -out /dev/null
}

# ---- further emulators -------------------------------------------------------------------------------

declare -A EMU2_PIDS=()
ADMIN_BG_PIDS=() # other background helpers of a test, ended on exit

emu2_start() {
  local name=$1 d=$T/$1
  mkdir -p "$d/state"
  rm -f "$d/sock"
  "$EMU" --state-dir "$d/state" --listen "unix:$d/sock" >>"$d/emu.log" 2>&1 &
  EMU2_PIDS[$name]=$!
  for _ in $(seq 200); do
    kill -0 "${EMU2_PIDS[$name]}" 2>/dev/null || { tail -n 20 "$d/emu.log" >&2; fail "sigil-emu $name exited at start"; }
    if [ -S "$d/sock" ]; then
      note "sigil-emu $name running (pid ${EMU2_PIDS[$name]}) on $d/sock"
      return 0
    fi
    sleep 0.1
  done
  fail "sigil-emu $name did not open its socket within 20 s"
}

emu2_stop() {
  local name=$1 pid=${EMU2_PIDS[$1]:-} rc=0
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || rc=$?
  unset "EMU2_PIDS[$name]"
  [ "$rc" -eq 0 ] || fail "sigil-emu $name exited with code $rc on SIGTERM (expected 0)"
}

admin_cleanup() {
  local rc=$? name
  set +e # (exit "$rc") below hands rc to cleanup; under errexit it would end the trap
  for name in "${ADMIN_BG_PIDS[@]}"; do
    kill "$name" 2>/dev/null
    wait "$name" 2>/dev/null
  done
  for name in "${!EMU2_PIDS[@]}"; do
    kill -TERM "${EMU2_PIDS[$name]}" 2>/dev/null || true
    wait "${EMU2_PIDS[$name]}" 2>/dev/null || true
    if [ "$rc" -ne 0 ] && [ -s "$T/$name/emu.log" ]; then
      echo "--- sigil-emu $name log (last 20 lines) ---" >&2
      tail -n 20 "$T/$name/emu.log" >&2
    fi
  done
  (exit "$rc")
  cleanup
}
trap admin_cleanup EXIT

# The current audit trail tampered with: tamper SRC DST MODE (edit, edit-rechain, delete, swap,
# duplicate, cut-record, cut-bytes).
tamper() {
  python3 - "$1" "$2" "$3" <<'PY'
import hashlib, struct, sys
src, dst, mode = sys.argv[1:4]
b = open(src, "rb").read()
recs, off = [], 0
while off < len(b):
    n = struct.unpack(">I", b[off:off + 4])[0]
    recs.append(b[off:off + 4 + n + 32])
    off += 4 + n + 32
def rechain(rs):
    prev, out = b"\0" * 32, []
    for r in rs:
        body = r[:-32]
        h = hashlib.sha256(prev + body).digest()
        out.append(body + h)
        prev = h
    return out
k = len(recs) // 2
if mode == "edit":            # a record's time, its hash kept
    r = bytearray(recs[k]); r[4 + 8 + 7] ^= 1; recs[k] = bytes(r)
elif mode == "edit-rechain":  # the same, every hash after it recomputed
    r = bytearray(recs[k]); r[4 + 8 + 7] ^= 1; recs[k] = bytes(r); recs = rechain(recs)
elif mode == "delete":
    del recs[k]
elif mode == "swap":
    recs[k], recs[k + 1] = recs[k + 1], recs[k]
elif mode == "duplicate":
    recs.insert(k, recs[k])
elif mode == "cut-record":    # the final checkpoint removed
    recs = recs[:-1]
elif mode == "cut-bytes":
    open(dst, "wb").write(b[:-7]); sys.exit(0)
else:
    sys.exit("unknown mode " + mode)
open(dst, "wb").write(b"".join(recs))
PY
}

# pty_admin SCRIPT ARGS...: sigil-admin ARGS on a terminal (a pty), answering the prompts of SCRIPT
# (lines "prompt<TAB>answer", in order); returns its exit code; what the terminal showed is in
# $T/last.out (typed answers are not echoed by the terminal when sigil-admin turns echo off).
pty_admin() {
  local script=$1; shift
  python3 - "$ADMIN" "$AJ_SOCK" "$script" "$T/last.out" "$@" <<'PY'
import os, pty, sys, time
admin, sock, script, out_path = sys.argv[1:5]
args = sys.argv[5:]
pairs = [l.rstrip("\n").split("\t") for l in open(script) if l.strip()]
pid, fd = pty.fork()
if pid == 0:
    os.execv(admin, [admin, "--appliance", "unix:" + sock] + args)
out = b""
def read_until(s, t=20):
    global out
    end = time.time() + t
    while s not in out and time.time() < end:
        try:
            out += os.read(fd, 1024)
        except OSError:
            break
for prompt, answer in pairs:
    read_until(prompt.encode())
    if prompt.encode() not in out:
        break
    os.write(fd, answer.encode() + b"\n")
read_until(b"\0", 10)
_, st = os.waitpid(pid, 0)
open(out_path, "wb").write(out)
sys.exit(os.waitstatus_to_exitcode(st))
PY
}

# pty_expect CODE DESC SCRIPT ARGS...
pty_expect() {
  local want=$1 what=$2 got=0; shift 2
  pty_admin "$@" || got=$?
  if [ "$got" -ne "$want" ]; then
    show_last
    fail "$what: exit code $got, expected $want"
  fi
  no_pins "$what"
  pass "$what (exit $want, on a terminal)"
}
