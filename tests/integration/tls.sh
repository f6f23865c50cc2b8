#!/usr/bin/env bash
# tls.sh — the trusted channel: sigil-emu on tcp: with mutually authenticated TLS. The module
# and sigil-admin reach it with a client certificate and sign; a client without a
# certificate, with one from another CA, or trusting another CA for the appliance, gets nothing.
. "$(dirname "$0")/lib.sh"
need_cmd pkcs11-tool

PKI=$T/pki
mkdir -p "$PKI"
ossl() { openssl "$@" >>"$T/openssl.log" 2>&1 || { tail -n 20 "$T/openssl.log" >&2; fail "openssl $1 failed"; }; }
# make_ca NAME; make_cert CA NAME EXT: EC P-256 keys, certificates signed by CA.
make_ca() {
  ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=$1" \
    -keyout "$PKI/$1.key" -out "$PKI/$1.pem"
}
make_cert() {
  ossl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$2" \
    -keyout "$PKI/$2.key" -out "$PKI/$2.csr"
  printf '%s\n' "$3" >"$PKI/$2.ext"
  ossl x509 -req -in "$PKI/$2.csr" -CA "$PKI/$1.pem" -CAkey "$PKI/$1.key" -CAcreateserial -days 2 \
    -extfile "$PKI/$2.ext" -out "$PKI/$2.pem"
}
make_ca appliance-ca
make_ca client-ca
make_ca rogue-ca
make_cert appliance-ca appliance "subjectAltName=IP:127.0.0.1
extendedKeyUsage=serverAuth"
make_cert client-ca client "extendedKeyUsage=clientAuth"
make_cert rogue-ca rogue "extendedKeyUsage=clientAuth"
pass "test PKI made"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$EMU" --state-dir "$STATE" --listen "tcp:127.0.0.1:$PORT" --tls-cert "$PKI/appliance.pem" \
  --tls-key "$PKI/appliance.key" --tls-client-ca "$PKI/client-ca.pem" >>"$EMU_LOG" 2>&1 &
EMU_PID=$!
for _ in $(seq 100); do
  grep -q 'listening on' "$EMU_LOG" && break
  kill -0 "$EMU_PID" 2>/dev/null || fail "sigil-emu exited: $(tail -n 3 "$EMU_LOG")"
  sleep 0.1
done
grep -q 'listening on' "$EMU_LOG" || fail "sigil-emu did not start listening"
pass "sigil-emu listening on tcp:127.0.0.1:$PORT with TLS"

export SIGIL_APPLIANCE=tls:127.0.0.1:$PORT
export SIGIL_TLS_CERT=$PKI/client.pem SIGIL_TLS_KEY=$PKI/client.key SIGIL_TLS_CA=$PKI/appliance-ca.pem
run "sigil-admin init over TLS" env SIGIL_ADMIN_PIN="$ADMIN_PIN" "$ADMIN" init
slot=$(env SIGIL_ADMIN_PIN="$ADMIN_PIN" SIGIL_SO_PIN="$SO_PIN" SIGIL_USER_PIN="$USER_PIN" \
  "$ADMIN" --json seal create --label tls-seal | python3 -c 'import json,sys; print(json.load(sys.stdin)["slot"])')
pass "seal created over TLS in slot $slot"
run "key pair over TLS" p11 --slot "$slot" --login --pin "$USER_PIN" \
  --keypairgen --key-type rsa:2048 --id 01 --label k
printf 'sealed over the network' >"$T/doc"
run "sign over TLS" p11 --slot "$slot" --login --pin "$USER_PIN" \
  --sign -m SHA256-RSA-PKCS --id 01 -i "$T/doc" -o "$T/doc.sig"
run "public key" p11 --slot "$slot" --read-object --type pubkey --id 01 -o "$T/pub.der"
run "the signature verifies" openssl dgst -sha256 -verify <(openssl pkey -pubin -inform DER -in "$T/pub.der") \
  -signature "$T/doc.sig" "$T/doc"

# Without a client certificate: no handshake, nothing served.
python3 - "$PORT" "$PKI/appliance-ca.pem" <<'PY' >"$T/last.out" 2>&1 && fail "a client without a certificate was served" || true
import socket, ssl, struct, sys
ctx = ssl.create_default_context(cafile=sys.argv[2])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5), server_hostname="127.0.0.1")
# A HELLO frame; a refused client reads no answer.
s.sendall(struct.pack(">IBBHII", 22, 1, 1, 1, 1, 0) + struct.pack(">H", 1) + struct.pack(">I", 16) + b"\0" * 16)
data = s.recv(16)
sys.exit(0 if len(data) == 16 else 1)
PY
pass "a client without a certificate gets nothing"

run_fails "a client certificate from another CA is refused" env SIGIL_TLS_CERT="$PKI/rogue.pem" \
  SIGIL_TLS_KEY="$PKI/rogue.key" "$ADMIN" status
run_fails "the module refuses an appliance it cannot trust" env SIGIL_TLS_CA="$PKI/rogue-ca.pem" "$ADMIN" status
grep -q 'not trusted' "$T/last.out" || { show_last; fail "the message says the appliance is not trusted"; }
pass "the message says why"
run_fails "no client certificate configured: a clear error" env -u SIGIL_TLS_CERT "$ADMIN" status
grep -q 'SIGIL_TLS_CERT' "$T/last.out" || { show_last; fail "the message names SIGIL_TLS_CERT"; }
pass "the message names SIGIL_TLS_CERT"
grep -q 'connection refused' "$EMU_LOG" || fail "the emulator logs refused handshakes"
pass "the emulator logs the refused handshakes"
emu_stop
finish
