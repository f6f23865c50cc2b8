#!/usr/bin/env bash
# demo.sh — Sigil end to end on a fresh Debian 12 machine, as root:
#   installs what is missing, builds (Release, into build/), starts the appliance emulator
#   (state in .sigil/state, socket .sigil/sigil.sock), provisions a demo seal with sigil-admin,
#   generates an EC P-256 seal key through the PKCS#11 module with pkcs11-tool, makes a
#   self-signed certificate for it and seals a sample document with OpenSSL through the
#   pkcs11 engine, then verifies the seal with plain OpenSSL.
# Safe to run again: it reuses what is already there. The emulator keeps running.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$ROOT/build
SIGIL_DIR=$ROOT/.sigil
STATE=$SIGIL_DIR/state
SOCK=$SIGIL_DIR/sigil.sock
EMU_LOG=$SIGIL_DIR/emu.log
EMU_PIDFILE=$SIGIL_DIR/emu.pid
OUT=$ROOT/demo

EMU=$BUILD/firmware/emu/sigil-emu
ADMIN=$BUILD/tools/sigil-admin
MODULE=$BUILD/module/libsigil-pkcs11.so

# Demo credentials. A real deployment chooses its own and lets sigil-admin ask for them.
export SIGIL_ADMIN_PIN=demo-admin-1234
export SIGIL_SO_PIN=demo-so-1234
export SIGIL_USER_PIN=demo-user-1234
export SIGIL_APPLIANCE=unix:$SOCK
SEAL=demo-seal
KEY=demo-key

step() { printf '\n==> %s\n' "$*"; }
die() { printf 'demo: %s\n' "$*" >&2; exit 1; }
# quietly LOG CMD...: runs CMD with its output in LOG; shows the end of LOG if it fails.
quietly() {
  local log=$1; shift
  if ! "$@" >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    die "failed: $* (full output in $log)"
  fi
}

mkdir -p "$SIGIL_DIR" "$OUT"
[ "${#SOCK}" -lt 100 ] || die "the socket path $SOCK is too long for a unix socket; use a shorter checkout path"

step "1/7 Installing the Debian packages Sigil needs (only what is missing)"
bash "$ROOT/scripts/install-deps.sh"

step "2/7 Building Sigil (Release) into build/"
quietly "$SIGIL_DIR/cmake-configure.log" cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF
quietly "$SIGIL_DIR/cmake-build.log" cmake --build "$BUILD" -j "$(nproc)"
for f in "$EMU" "$ADMIN" "$MODULE"; do [ -f "$f" ] || die "the build did not produce $f"; done
echo "built sigil-emu, sigil-admin and libsigil-pkcs11.so"

step "3/7 Starting the appliance emulator"
emu_answers() { "$ADMIN" --appliance "unix:$SOCK" status >/dev/null 2>&1; }
if [ -f "$EMU_PIDFILE" ] && kill -0 "$(cat "$EMU_PIDFILE")" 2>/dev/null &&
   readlink "/proc/$(cat "$EMU_PIDFILE")/exe" | grep -q ' (deleted)$'; then
  echo "the running emulator is from an older build: restarting it"
  kill -TERM "$(cat "$EMU_PIDFILE")"
  for _ in $(seq 100); do kill -0 "$(cat "$EMU_PIDFILE")" 2>/dev/null || break; sleep 0.1; done
fi
if emu_answers; then
  echo "sigil-emu is already running on $SOCK"
else
  mkdir -p "$STATE"
  rm -f "$SOCK"
  setsid "$EMU" --state-dir "$STATE" --listen "unix:$SOCK" </dev/null >>"$EMU_LOG" 2>&1 &
  echo $! >"$EMU_PIDFILE"
  for _ in $(seq 100); do emu_answers && break; sleep 0.1; done
  emu_answers || { tail -n 20 "$EMU_LOG" >&2; die "sigil-emu did not start (log: $EMU_LOG)"; }
  echo "sigil-emu started (pid $(cat "$EMU_PIDFILE")), state in $STATE, socket $SOCK"
fi

step "4/7 Provisioning the appliance and the seal '$SEAL' with sigil-admin"
json() { python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"; }
if [ "$("$ADMIN" --json status | json 'j["initialised"]')" = True ]; then
  echo "the appliance is initialised already"
else
  "$ADMIN" init
fi
slot=$("$ADMIN" --json seal list | json "next((s['slot'] for s in j['slots'] if s['initialised'] and s['label'] == '$SEAL'), '')")
if [ -n "$slot" ]; then
  echo "the seal '$SEAL' exists already, in slot $slot"
else
  "$ADMIN" seal create --label "$SEAL"
fi
"$ADMIN" seal list | awk 'NR == 1 || $3 == "yes"'

p11() { pkcs11-tool --module "$MODULE" --token-label "$SEAL" "$@"; }
step "5/7 Generating the seal key '$KEY' (EC P-256) inside the appliance with pkcs11-tool"
if p11 --login --pin "$SIGIL_USER_PIN" -O --type privkey 2>/dev/null | grep -Eq "label: +$KEY\$"; then
  echo "the key '$KEY' exists already"
else
  quietly "$SIGIL_DIR/keygen.log" p11 --login --pin "$SIGIL_USER_PIN" \
    --keypairgen --key-type EC:prime256v1 --id 01 --label "$KEY" --usage-sign
  echo "generated; the private key never leaves the appliance"
fi

step "6/7 Certificate and seal with OpenSSL through the pkcs11 engine"
ENGINE=$(openssl version -e | sed -n 's/^ENGINESDIR: "\(.*\)"$/\1/p')/pkcs11.so
[ -f "$ENGINE" ] || die "the OpenSSL pkcs11 engine is not at $ENGINE (package libengine-pkcs11-openssl)"
cat >"$OUT/openssl-pkcs11.cnf" <<EOF
# OpenSSL configuration that loads the pkcs11 engine (libp11) with the Sigil module.
openssl_conf = openssl_init

[openssl_init]
engines = engine_section

[engine_section]
pkcs11 = pkcs11_section

[pkcs11_section]
engine_id = pkcs11
dynamic_path = $ENGINE
MODULE_PATH = $MODULE
init = 0

[req]
distinguished_name = req_dn

[req_dn]
EOF
KEY_URI="pkcs11:token=$SEAL;object=$KEY;type=private;pin-value=$SIGIL_USER_PIN"
with_engine() { OPENSSL_CONF="$OUT/openssl-pkcs11.cnf" "$@"; }

quietly "$SIGIL_DIR/req.log" with_engine openssl req -new -x509 -engine pkcs11 -keyform engine -key "$KEY_URI" \
  -sha256 -days 365 -subj "/O=Sigil demo/CN=Sigil demo seal" \
  -addext "keyUsage=critical,digitalSignature,nonRepudiation" -out "$OUT/cert.pem"
echo "self-signed certificate: $OUT/cert.pem"

cat >"$OUT/document.txt" <<EOF
Sample document sealed by the Sigil demo.
Created $(date -u '+%Y-%m-%d %H:%M:%S UTC') on $(hostname).
EOF
quietly "$SIGIL_DIR/cms-sign.log" with_engine openssl cms -sign -binary -md sha256 \
  -in "$OUT/document.txt" -signer "$OUT/cert.pem" -engine pkcs11 -keyform engine -inkey "$KEY_URI" \
  -outform DER -out "$OUT/document.txt.p7s"
echo "sealed: $OUT/document.txt.p7s (detached CMS signature)"

step "7/7 Verifying the seal with plain OpenSSL (no module, no engine)"
verify() {
  env -u OPENSSL_CONF openssl cms -verify -binary -inform DER -in "$OUT/document.txt.p7s" -content "$1" \
    -CAfile "$OUT/cert.pem" -out /dev/null
}
if ! verify "$OUT/document.txt" 2>"$SIGIL_DIR/cms-verify.log"; then
  cat "$SIGIL_DIR/cms-verify.log" >&2
  die "the seal does not verify"
fi
cat "$SIGIL_DIR/cms-verify.log"
cp "$OUT/document.txt" "$OUT/document-tampered.txt"
echo "one changed line" >>"$OUT/document-tampered.txt"
if verify "$OUT/document-tampered.txt" >/dev/null 2>&1; then
  die "a changed copy of the document verified: the seal check is not working"
fi
rm -f "$OUT/document-tampered.txt"
echo "and a changed copy of the document is rejected"

cat <<EOF

Done. What happened:
  - sigil-emu, the Sigil appliance firmware built for Linux, runs in the background
    (pid $(cat "$EMU_PIDFILE" 2>/dev/null || echo '?'), state in .sigil/state, socket .sigil/sigil.sock, log .sigil/emu.log).
  - sigil-admin initialised the appliance and created the seal '$SEAL' (a PKCS#11 token)
    with demo PINs: admin $SIGIL_ADMIN_PIN, SO $SIGIL_SO_PIN, user $SIGIL_USER_PIN.
  - pkcs11-tool generated the EC P-256 key '$KEY' inside the appliance, through
    build/module/libsigil-pkcs11.so; its private key cannot leave the appliance.
  - OpenSSL, through its pkcs11 engine and the module, made a self-signed certificate for that
    key and sealed a sample document: the appliance made both signatures.
  - Plain OpenSSL verified the seal against the certificate, and rejected a changed copy.

Files (in demo/):
  document.txt        the sample document
  document.txt.p7s    its seal: a detached CMS (PKCS#7) signature, DER
  cert.pem            the seal's self-signed certificate
  openssl-pkcs11.cnf  the OpenSSL configuration that loads the engine with the module

Try it yourself:
  export SIGIL_APPLIANCE=unix:$SOCK
  build/tools/sigil-admin status
  pkcs11-tool --module build/module/libsigil-pkcs11.so -L
  openssl cms -verify -binary -inform DER -in demo/document.txt.p7s -content demo/document.txt -CAfile demo/cert.pem -out /dev/null

Stop the emulator:  kill \$(cat .sigil/emu.pid)
Start from scratch: stop it, then rm -rf .sigil demo
EOF
