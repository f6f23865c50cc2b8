#!/usr/bin/env bash
# nss_pdf.sh — NSS (Debian packages libnss3-tools, NSS 3.87) and poppler's pdfsig (poppler-utils
# 22.12) with the Sigil module, for an RSA-2048 seal and an EC P-256 seal:
#
#   modutil -add sigil -libfile MODULE    the module in an NSS database; -list shows the seals
#   certutil -A -h TOKEN                  NSS stores the RSA seal's certificate on the token itself
#                                         (NSS computes the CKA_ID from the public key: it must be
#                                         the id the module gave the key pair, SHA-1 of the modulus)
#   pkcs11-tool --write-object            the EC seal's certificate, with the key's CKA_ID
#   certutil -L -h all                    both certificates listed as user certificates (u,u,u:
#                                         NSS paired each with its private key)
#   certutil -K -h TOKEN                  after login, the private keys with their certificates
#   pdfsig -add-signature                 a PDF sealed with the RSA seal (adbe.pkcs7.detached),
#                                         then sealed a second time (incremental update)
#   pdfsig (separate NSS database)        both signatures valid and the certificate trusted in a
#                                         database holding only the seal certificate as a trusted
#                                         CA (no module); a changed PDF is a digest mismatch; a
#                                         database without the CA does not trust it
#   cmsutil -S / cmsutil -D               detached CMS signatures with both seals made by NSS on the
#                                         token, verified in the separate database (and by openssl)
#
# NSS shuts the module down (C_Finalize) at exit: every NSS tool must exit 0 without a crash, and
# the appliance must still be healthy afterwards.
#
# Client quirks handled here (not Sigil bugs):
#  - pdfsig 22.12's NSS password callback answers only its first call and treats any second one
#    as "wrong password" (utils/pdfsig.cc, getAvailableSigningCertificates). While it collects the
#    signing certificates NSS logs in to every seal (initialised token with CKF_LOGIN_REQUIRED),
#    so with two seals visible pdfsig gives up. pdfsig therefore gets its own NSS database in
#    which only the RSA seal's slot is enabled (modutil -disable: the NSS way to hide slots).
#    With a single seal on the appliance pdfsig works without this.
#  - pdfsig 22.12 prints "NSS_Shutdown failed: NSS could not shutdown. Objects are still in use."
#    after signing: poppler keeps NSS references until exit. It does so with NSS's own software
#    keys too; its exit code is 0 and the module is then unloaded without C_Finalize.
#  - pdfsig 22.12 cannot seal with an EC key reliably: it reserves the signature's space from a
#    first signature and fails ("signDocument: unable update signature", exit 3) whenever the
#    final DER-encoded ECDSA signature is longer, which happens most of the time with NSS's own
#    software EC keys too (19 of 20 runs here). The EC seal is therefore exercised through NSS
#    with cmsutil (the same NSS CMS code pdfsig uses), not pdfsig.
. "$(dirname "$0")/clients_lib.sh"
need_tool modutil libnss3-tools
need_tool certutil libnss3-tools
need_tool cmsutil libnss3-tools
need_tool pdfsig poppler-utils
need_tool pkcs11-tool opensc

emu_start
provision_appliance

new_seal SLOT_RSA nss-rsa
new_seal SLOT_EC nss-ec
# The RSA key without an id: the module gives it the SHA-1 of the modulus (as OpenSC and NSS do).
gen_keypair "$SLOT_RSA" rsa:2048 rsa-seal
gen_keypair "$SLOT_EC" EC:prime256v1 ec-seal 02
RSA_ID=$(key_id "$SLOT_RSA" rsa-seal)
pass "the RSA key's CKA_ID is $RSA_ID"

printf '%s\n' "$USER_PIN" >"$T/pin.txt"
SIGNDB=$T/nss-sign
PDFDB=$T/nss-pdf
VERDB=$T/nss-verify

# nss TOOL ARGS...: an NSS tool that loads the module; it must exit 0 and NSS must shut down
# cleanly (NSS_Shutdown calls C_Finalize).
nss() {
  local what=$1; shift
  run "$what" client "$@"
  if grep -q 'NSS_Shutdown failed\|could not shutdown' "$T/last.out"; then
    show_last; fail "$what: NSS could not shut down"
  fi
}

# ---- the module in an NSS database --------------------------------------------------------

new_db() {
  mkdir -p "$1"
  run "new NSS database $(basename "$1")" certutil -N -d "sql:$1" --empty-password
}
new_db "$SIGNDB"
# -mechanisms FRIENDLY: the seals' certificates are public objects, NSS may read them without a
# login (without it NSS logs in to find a certificate by TOKEN:NICKNAME).
nss "modutil -add sigil" modutil -dbdir "sql:$SIGNDB" -add sigil -libfile "$MODULE" -mechanisms FRIENDLY -force
grep_out 'Module "sigil" added to database' "modutil added the module"
nss "modutil -list sigil" modutil -dbdir "sql:$SIGNDB" -list sigil
grep_out 'Token Name: nss-rsa' "NSS sees the RSA seal"
grep_out 'Token Name: nss-ec' "NSS sees the EC seal"
grep_out 'Token Manufacturer: Sigil' "NSS sees the manufacturer Sigil"
grep_out 'Login Type: Login required' "NSS sees that the seals need a login"

# ---- certificates on the tokens ------------------------------------------------------------

selfsigned_cert nss-rsa rsa-seal "/CN=Sigil NSS RSA seal/O=Sigil tests" "$T/rsa.pem" \
  -addext basicConstraints=critical,CA:true -addext keyUsage=critical,digitalSignature,nonRepudiation,keyCertSign
selfsigned_cert nss-ec ec-seal "/CN=Sigil NSS EC seal/O=Sigil tests" "$T/ec.pem" \
  -addext basicConstraints=critical,CA:true -addext keyUsage=critical,digitalSignature,nonRepudiation,keyCertSign

nss "certutil -A -h nss-rsa (NSS stores the certificate on the token)" \
  certutil -A -d "sql:$SIGNDB" -h nss-rsa -f "$T/pin.txt" -n rsa-seal -t ",," -i "$T/rsa.pem"
run "the token's objects after NSS stored the certificate" p11 --slot "$SLOT_RSA" --type cert -O
grep_out 'Certificate Object; type = X.509 cert' "the certificate is a token object"
grep_out "ID: +$RSA_ID" "NSS gave the certificate the key's CKA_ID"
cert_to_token "$SLOT_EC" 02 ec-seal "$T/ec.pem"

nss "certutil -L -h all" certutil -L -d "sql:$SIGNDB" -h all
grep_out '^nss-rsa:rsa-seal +u,u,u' "certutil lists the RSA seal's certificate as a user certificate"
grep_out '^nss-ec:ec-seal +u,u,u' "certutil lists the EC seal's certificate as a user certificate"
nss "certutil -L -n nss-rsa:rsa-seal (no login)" certutil -L -d "sql:$SIGNDB" -n nss-rsa:rsa-seal
grep_out 'Subject: "O=Sigil tests,CN=Sigil NSS RSA seal"' "NSS reads the RSA certificate from the token"

nss "certutil -K -h nss-rsa (login, list keys, shut down)" certutil -K -d "sql:$SIGNDB" -h nss-rsa -f "$T/pin.txt"
grep_out "< ?0> rsa +$RSA_ID +(NSS Certificate DB:|nss-rsa:)?rsa-seal" "NSS lists the RSA private key with its certificate"
nss "certutil -K -h nss-ec" certutil -K -d "sql:$SIGNDB" -h nss-ec -f "$T/pin.txt"
grep_out '< ?0> ec +02 ' "NSS lists the EC private key"
appliance_healthy "NSS logged in, listed keys and shut down"

# ---- a PDF sealed with pdfsig -----------------------------------------------------------------

# A one-page PDF written by hand (correct xref offsets), no PDF library needed.
python3 - "$T/in.pdf" <<'PY' || fail "cannot write the test PDF"
import sys
text = b"BT /F1 18 Tf 72 760 Td (Sigil sealed document) Tj ET"
objs = [
    b"<< /Type /Catalog /Pages 2 0 R >>",
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
    b" /Resources << /Font << /F1 5 0 R >> >> >>",
    b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream",
    b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
]
out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
offsets = []
for i, o in enumerate(objs, 1):
    offsets.append(len(out))
    out += b"%d 0 obj\n" % i + o + b"\nendobj\n"
xref = len(out)
out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objs) + 1)
for o in offsets:
    out += b"%010d 00000 n \n" % o
out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objs) + 1, xref)
open(sys.argv[1], "wb").write(out)
PY
expect_exit 2 "pdfsig reads the unsigned PDF" pdfsig "$T/in.pdf"
grep_out 'does not contain any signatures' "the test PDF has no signature yet"

# pdfsig's database: the module with only the RSA seal's slot enabled (see the header).
new_db "$PDFDB"
nss "modutil -add sigil (pdfsig database)" modutil -dbdir "sql:$PDFDB" -add sigil -libfile "$MODULE" -force
nslots=$(awk '/^Slot [0-9]+ \(0x/ { n++ } END { print n + 0 }' < <(p11 -L 2>/dev/null))
[ "$nslots" -ge 2 ] || fail "pkcs11-tool -L lists $nslots slots"
for ((i = 0; i < nslots; i++)); do
  [ "$i" -eq "$SLOT_RSA" ] && continue
  client modutil -dbdir "sql:$PDFDB" -disable sigil -slot "Sigil seal slot $i" -force >"$T/last.out" 2>&1 ||
    { show_last; fail "modutil -disable sigil -slot 'Sigil seal slot $i' failed"; }
done
pass "modutil disabled the $((nslots - 1)) other Sigil slots in pdfsig's database"
nss "modutil -list sigil (pdfsig database)" modutil -dbdir "sql:$PDFDB" -list sigil
n=$(grep -c 'Status: Enabled' "$T/last.out" || true)
[ "$n" -eq 1 ] || { show_last; fail "expected one enabled Sigil slot in pdfsig's database, found $n"; }
pass "only the RSA seal's slot is enabled for pdfsig"
run "pdfsig -list-nicks" client pdfsig -nssdir "sql:$PDFDB" -nss-pwd "$USER_PIN" -list-nicks
grep_out '^nss-rsa:rsa-seal' "pdfsig offers the RSA seal's certificate"

run "pdfsig -add-signature with the RSA seal" client pdfsig -add-signature -nssdir "sql:$PDFDB" \
  -nick nss-rsa:rsa-seal -nss-pwd "$USER_PIN" -reason "Sigil integration test" "$T/in.pdf" "$T/sealed.pdf"
[ -s "$T/sealed.pdf" ] || fail "pdfsig wrote no sealed PDF"
run "pdfsig -add-signature again (second seal, incremental update)" client pdfsig -add-signature \
  -nssdir "sql:$PDFDB" -nick nss-rsa:rsa-seal -nss-pwd "$USER_PIN" -reason "second seal" "$T/sealed.pdf" "$T/sealed2.pdf"
appliance_healthy "pdfsig sealed and exited"

# The verifier's database: only the seal certificate, trusted as a CA; no module, no appliance.
new_db "$VERDB"
run "import the RSA seal certificate as a trusted CA" certutil -A -d "sql:$VERDB" -n sigil-rsa-seal -t "CT,C,C" -i "$T/rsa.pem"
run "import the EC seal certificate as a trusted CA" certutil -A -d "sql:$VERDB" -n sigil-ec-seal -t "CT,C,C" -i "$T/ec.pem"
run "the verifier's database has no module" modutil -dbdir "sql:$VERDB" -list
if grep -q sigil "$T/last.out"; then show_last; fail "the verifier's database lists the Sigil module"; fi
pass "the verifier's database does not know the module"

verify_pdf() { env -u SIGIL_APPLIANCE pdfsig -nssdir "sql:$1" "$2"; }
run "pdfsig verifies the sealed PDF" verify_pdf "$VERDB" "$T/sealed.pdf"
grep_out 'Signer Certificate Common Name: Sigil NSS RSA seal' "the signer is the RSA seal"
grep_out 'Signature Type: adbe.pkcs7.detached' "the signature is adbe.pkcs7.detached"
grep_out 'Signing Hash Algorithm: SHA-256' "the signature uses SHA-256"
grep_out 'Total document signed' "the whole document is signed"
grep_out 'Signature Validation: Signature is Valid\.' "the signature is valid"
grep_out 'Certificate Validation: Certificate is Trusted\.' "the certificate is trusted"

run "pdfsig verifies the twice-sealed PDF" verify_pdf "$VERDB" "$T/sealed2.pdf"
n=$(grep -c 'Signature Validation: Signature is Valid\.' "$T/last.out" || true)
[ "$n" -eq 2 ] || { show_last; fail "expected 2 valid signatures in the twice-sealed PDF, found $n"; }
pass "both signatures of the twice-sealed PDF are valid"
n=$(grep -c 'Certificate Validation: Certificate is Trusted\.' "$T/last.out" || true)
[ "$n" -eq 2 ] || { show_last; fail "expected 2 trusted certificates in the twice-sealed PDF, found $n"; }
pass "both signatures' certificates are trusted"

# A changed byte inside the signed range: the digest no longer matches.
python3 - "$T/sealed.pdf" "$T/tampered.pdf" <<'PY' || fail "cannot build the tampered PDF"
import sys
d = bytearray(open(sys.argv[1], "rb").read())
i = d.find(b"(Sigil sealed document)")
assert i > 0
d[i + 1] = ord("Z")
open(sys.argv[2], "wb").write(d)
PY
run "pdfsig reads the tampered PDF" verify_pdf "$VERDB" "$T/tampered.pdf"
if grep -q 'Signature is Valid' "$T/last.out"; then show_last; fail "pdfsig accepts a changed PDF"; fi
grep_out 'Signature Validation: (Digest Mismatch|Signature is Invalid)' "a changed PDF does not verify"

new_db "$T/nss-empty"
run "pdfsig with a database that does not trust the seal" verify_pdf "$T/nss-empty" "$T/sealed.pdf"
grep_out 'Signature Validation: Signature is Valid\.' "the signature itself is still valid"
if grep -q 'Certificate is Trusted' "$T/last.out"; then show_last; fail "the certificate is trusted without the CA"; fi
pass "without the CA the certificate is not trusted"

# ---- CMS signatures made by NSS on the token (cmsutil) --------------------------------------

printf 'A document sealed through NSS with cmsutil.\n' >"$T/msg.txt"
printf 'A document sealed through NSS with cmsutil!\n' >"$T/msg.txt.changed"
for kind in rsa ec; do
  # cmsutil validates the signer's certificate before it signs: the seal trusts its own certificate.
  nss "certutil -M: trust the $kind seal certificate for signing" \
    certutil -M -d "sql:$SIGNDB" -n "nss-$kind:$kind-seal" -t "CT,C,C" -f "$T/pin.txt"
  nss "cmsutil -S (detached) with the $kind seal" cmsutil -S -T -G -Y NONE -N "nss-$kind:$kind-seal" \
    -d "sql:$SIGNDB" -f "$T/pin.txt" -i "$T/msg.txt" -o "$T/msg.$kind.p7s"
  [ -s "$T/msg.$kind.p7s" ] || fail "cmsutil wrote no signature with the $kind seal"
  run "cmsutil -D verifies the $kind signature in the verifier's database" \
    env -u SIGIL_APPLIANCE cmsutil -D -d "sql:$VERDB" -c "$T/msg.txt" -n -i "$T/msg.$kind.p7s" -h 2
  grep_out 'signer0.status=GoodSignature' "NSS reports a good $kind signature"
  run "openssl verifies the $kind CMS signature" openssl cms -verify -binary -inform DER -in "$T/msg.$kind.p7s" \
    -content "$T/msg.txt" -CAfile "$T/$kind.pem" -out /dev/null
  run_fails "openssl refuses the $kind CMS signature on other data" openssl cms -verify -binary -inform DER \
    -in "$T/msg.$kind.p7s" -content "$T/msg.txt.changed" -CAfile "$T/$kind.pem" -out /dev/null
done

appliance_healthy "every NSS tool shut the module down"
run "the seals still sign after NSS (pkcs11-tool)" p11 --slot "$SLOT_EC" --login --pin "$USER_PIN" --sign \
  -m ECDSA-SHA256 -i "$T/msg.txt" -o "$T/after.sig"
finish_clients
