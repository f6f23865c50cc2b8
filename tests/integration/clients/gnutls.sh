#!/usr/bin/env bash
# gnutls.sh — GnuTLS's tools (Debian package gnutls-bin, GnuTLS 3.7) with the Sigil module given
# by --provider, for an RSA-2048 seal and an EC P-256 seal:
#
#   p11tool --list-tokens                the seals, manufacturer Sigil
#   p11tool --list-all                   the public key without login; with --login (PIN in
#                                        GNUTLS_PIN) the private key too, sensitive and never
#                                        extractable
#   p11tool --test-sign                  GnuTLS signs on the token and verifies the signature
#   certtool --generate-self-signed      a certificate signed by the seal key, keys given by
#                                        pkcs11: URLs; verified by certtool --verify and by
#                                        openssl; it holds the token's public key
#   p11tool --write --load-certificate   the certificate stored on the token (C_CreateObject),
#                                        listed by --list-all-certs and exported unchanged
. "$(dirname "$0")/clients_lib.sh"
need_tool p11tool gnutls-bin
need_tool certtool gnutls-bin
need_tool pkcs11-tool opensc

emu_start
provision_appliance

new_seal SLOT_RSA gnutls-rsa
new_seal SLOT_EC gnutls-ec
gen_keypair "$SLOT_RSA" rsa:2048 rsa-seal 01
gen_keypair "$SLOT_EC" EC:prime256v1 ec-seal 02

# gt ARGS...: p11tool with the module as its only provider (no p11-kit configuration involved).
gt() { client p11tool --provider "$MODULE" "$@"; }
# gt_login ARGS...: the same with the user PIN (GnuTLS reads GNUTLS_PIN).
gt_login() { GNUTLS_PIN=$USER_PIN client p11tool --provider "$MODULE" --login "$@"; }
# ct PIN ARGS...: certtool with the module as provider and PIN in GNUTLS_PIN.
ct() { local pin=$1; shift; GNUTLS_PIN=$pin client certtool --provider "$MODULE" "$@"; }

run "p11tool --list-tokens" gt --list-tokens
grep_out 'Label: gnutls-rsa$' "p11tool lists the RSA seal"
grep_out 'Label: gnutls-ec$' "p11tool lists the EC seal"
grep_out 'Manufacturer: Sigil' "p11tool shows the manufacturer Sigil"
grep_out 'URL: pkcs11:model=sigil-emu;manufacturer=Sigil;serial=[0-9a-f]+;token=gnutls-rsa' \
  "p11tool gives the RSA seal a token URL with model, manufacturer and serial"

cat >"$T/template" <<'EOF'
cn = "Sigil GnuTLS seal"
organization = "Sigil tests"
serial = 4242
expiration_days = 730
ca
signing_key
cert_signing_key
EOF

check_seal() {
  local kind=$1 tok=$2 obj=$3 id=$4 bits=$5
  local url="pkcs11:token=$tok;object=$obj" cert=$T/$kind.pem
  note "$kind seal: token $tok, key $obj"

  run "$kind: p11tool --list-all without login" gt --list-all "pkcs11:token=$tok"
  grep_out "type=public" "$kind: the public key is listed without login"
  grep_out "Type: Public key \($bits\)" "$kind: the public key is $bits"
  if grep -q 'type=private' "$T/last.out"; then show_last; fail "$kind: a private key is listed without login"; fi
  pass "$kind: no private key is listed without login"

  run "$kind: p11tool --list-all --login" gt_login --list-all "pkcs11:token=$tok"
  grep_out "token=$tok;id=%$id;object=$obj;type=private" "$kind: the private key is listed after login"
  grep_out "Type: Private key \($bits\)" "$kind: the private key is $bits"
  grep_out 'Flags: .*CKA_NEVER_EXTRACTABLE; CKA_SENSITIVE' "$kind: the private key is sensitive and never extractable"

  run "$kind: p11tool --test-sign" gt_login --test-sign "$url;type=private"
  grep_out 'Verifying against public key in the token\.\.\. ok' "$kind: GnuTLS verifies its test signature"

  run "$kind: p11tool --export-pubkey" gt_login --export-pubkey "$url;type=private" --outfile "$T/$kind.token.pub"
  openssl pkey -pubin -in "$T/$kind.token.pub" -outform DER -out "$T/$kind.token.pub.der" ||
    fail "$kind: the exported public key does not parse"

  run "$kind: certtool --generate-self-signed with pkcs11: URLs" \
    ct "$USER_PIN" --generate-self-signed \
    --load-privkey "$url;type=private" --load-pubkey "$url;type=public" \
    --template "$T/template" --outfile "$cert"
  [ -s "$cert" ] || fail "$kind: certtool wrote no certificate"
  run "$kind: certtool -i" certtool -i --infile "$cert"
  grep_out 'Subject: .*CN=Sigil GnuTLS seal' "$kind: the certificate has the template's subject"
  case $kind in
    rsa) grep_out 'Signature Algorithm: RSA-SHA256' "rsa: the certificate is signed with RSA-SHA256" ;;
    ec)  grep_out 'Signature Algorithm: ECDSA-SHA256' "ec: the certificate is signed with ECDSA-SHA256" ;;
  esac
  run "$kind: certtool --verify (the certificate as its own CA)" \
    certtool --verify --load-ca-certificate "$cert" --infile "$cert"
  grep_out 'Chain verification output: Verified\.' "$kind: certtool reports the chain verified"
  run "$kind: openssl verifies the self-signature" openssl verify -check_ss_sig -CAfile "$cert" "$cert"
  openssl x509 -in "$cert" -pubkey -noout | openssl pkey -pubin -outform DER -out "$T/$kind.cert.pub.der" ||
    fail "$kind: cannot extract the certificate's public key"
  cmp -s "$T/$kind.cert.pub.der" "$T/$kind.token.pub.der" || fail "$kind: the certificate does not hold the token's public key"
  pass "$kind: the certificate holds the token's public key"
  # A changed certificate body must not verify (the signature is real, not a pass-through).
  python3 - "$cert" "$T/$kind.bad.pem" <<'PY' || fail "$kind: cannot build a tampered certificate"
import base64, sys
pem = open(sys.argv[1]).read().split("-----")[2]
der = bytearray(base64.b64decode("".join(pem.split())))
i = der.find(b"Sigil GnuTLS seal")
der[i] ^= 0x01  # 'S' -> 'R' in the (signed) issuer name
out = base64.encodebytes(bytes(der)).decode()
open(sys.argv[2], "w").write("-----BEGIN CERTIFICATE-----\n" + out + "-----END CERTIFICATE-----\n")
PY
  run_fails "$kind: a changed certificate does not verify" openssl verify -check_ss_sig -CAfile "$T/$kind.bad.pem" "$T/$kind.bad.pem"

  run "$kind: p11tool --write --load-certificate (store it on the token)" \
    gt_login --write --load-certificate "$cert" --label "$obj-cert" --id "$id" "pkcs11:token=$tok"
  run "$kind: p11tool --list-all-certs" gt --list-all-certs "pkcs11:token=$tok"
  grep_out "token=$tok;id=%$id;object=$obj-cert;type=cert" "$kind: the stored certificate is listed with its id and label"
  run "$kind: p11tool --export of the stored certificate" gt --export "pkcs11:token=$tok;object=$obj-cert;type=cert" \
    --outfile "$T/$kind.exported.pem"
  openssl x509 -in "$T/$kind.exported.pem" -outform DER -out "$T/$kind.exported.der" &&
    openssl x509 -in "$cert" -outform DER -out "$T/$kind.der" && cmp -s "$T/$kind.exported.der" "$T/$kind.der" ||
    fail "$kind: the certificate read back from the token differs from the one stored"
  pass "$kind: the certificate reads back unchanged"
}

check_seal rsa gnutls-rsa rsa-seal 01 RSA-2048
check_seal ec gnutls-ec ec-seal 02 EC/ECDSA-SECP256R1

# A wrong PIN: GnuTLS reports the failed login and nothing is signed.
run_fails "certtool with a wrong PIN fails" ct wrong-pin-0000 \
  --generate-self-signed --load-privkey "pkcs11:token=gnutls-ec;object=ec-seal;type=private" \
  --load-pubkey "pkcs11:token=gnutls-ec;object=ec-seal;type=public" --template "$T/template" --outfile "$T/wrong.pem"
[ ! -s "$T/wrong.pem" ] || fail "certtool wrote a certificate with a wrong PIN"
pass "no certificate with a wrong PIN"

appliance_healthy "the GnuTLS tools"
finish_clients
