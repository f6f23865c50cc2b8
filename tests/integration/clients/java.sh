#!/usr/bin/env bash
# java.sh — Java's SunPKCS11 provider (Debian package openjdk-17-jdk-headless) with the Sigil
# module: a seal with an RSA-2048 and an EC P-256 key, each with a certificate issued by a
# throwaway CA (made with openssl; the requests are signed by the seal keys through the OpenSSL
# pkcs11 engine) and stored on the token next to the CA certificate.
#
#   keytool -list -storetype PKCS11         both keys as PrivateKeyEntry, aliases = CKA_LABEL,
#                                           chains of length 2 (SunPKCS11 finds the CA on the token)
#   jarsigner -keystore NONE -storetype PKCS11
#                                           signs a jar (built with 'jar') with each key, and one
#                                           jar with both
#   jarsigner -verify -strict               with a truststore holding only the CA: exit 0, no
#                                           errors; without it -strict fails (the chain is not
#                                           trusted: the check is real); a changed jar fails
#   openssl cms -verify                     the jar's signature block (PKCS#7 over the .SF file)
#                                           verified independently against the CA
#   jarsigner -sigalg RSASSA-PSS            a PSS signature (CKM_RSA_PKCS_PSS), verified -strict
#   keytool -genkeypair / -certreq          key pairs generated on the token by SunPKCS11 (its own
#                                           templates; it then relabels the key and stores the
#                                           self-signed certificate), a request signed through Java
#                                           and verified by openssl
. "$(dirname "$0")/clients_lib.sh"
need_tool java openjdk-17-jdk-headless
need_tool keytool openjdk-17-jdk-headless
need_tool jarsigner openjdk-17-jdk-headless
need_tool jar openjdk-17-jdk-headless
need_tool pkcs11-tool opensc
need_path "$PKCS11_ENGINE" libengine-pkcs11-openssl

# jvm CMD...: a JDK tool that loads the module. The JVM handles SIGSEGV itself (implicit null
# checks): under AddressSanitizer the preloaded runtime must leave those signals to it.
# JOPTS: for the many short JVM runs, a quicker start (C1 only, serial GC).
JOPTS=(-J-XX:TieredStopAtLevel=1 -J-XX:+UseSerialGC)
jvm() {
  local tool=$1; shift
  if [ -n "${SIGIL_TEST_PRELOAD:-}" ]; then
    ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}handle_segv=0:allow_user_segv_handler=1:use_sigaltstack=0 \
      client "$tool" "${JOPTS[@]}" "$@"
  else
    client "$tool" "${JOPTS[@]}" "$@"
  fi
}

emu_start
provision_appliance
new_seal SLOT java-seal
gen_keypair "$SLOT" rsa:2048 rsa-seal 0a
gen_keypair "$SLOT" EC:prime256v1 ec-seal 0b

# ---- certificates: a throwaway CA issues one for each seal key ---------------------------------

make_ca "$T/ca"
cat >"$T/codesign.ext" <<'EOF'
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = codeSigning
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
ca_issue "$T/ca" java-seal rsa-seal "/CN=Sigil Java RSA seal/O=Sigil tests" "$T/codesign.ext" "$T/rsa.pem"
ca_issue "$T/ca" java-seal ec-seal "/CN=Sigil Java EC seal/O=Sigil tests" "$T/codesign.ext" "$T/ec.pem"
cert_to_token "$SLOT" 0a rsa-seal "$T/rsa.pem"
cert_to_token "$SLOT" 0b ec-seal "$T/ec.pem"
cert_to_token "$SLOT" ca01 sigil-test-ca "$T/ca/ca.pem"

# ---- SunPKCS11 ------------------------------------------------------------------------------------

CFG=$T/sunpkcs11.cfg
cat >"$CFG" <<EOF
name = Sigil
library = $MODULE
slot = $SLOT
EOF
P11ARGS=(-storetype PKCS11 -providerClass sun.security.pkcs11.SunPKCS11 -providerArg "$CFG" -storepass "$USER_PIN")

run "keytool -list -storetype PKCS11" jvm keytool -list "${P11ARGS[@]}"
grep_out 'Keystore provider: SunPKCS11-Sigil' "keytool uses the SunPKCS11-Sigil provider"
grep_out 'Your keystore contains 2 entries' "keytool finds two entries"
grep_out '^rsa-seal, PrivateKeyEntry' "the RSA key and its certificate are a PrivateKeyEntry"
grep_out '^ec-seal, PrivateKeyEntry' "the EC key and its certificate are a PrivateKeyEntry"

for alias in rsa-seal ec-seal; do
  run "keytool -list -v -alias $alias" jvm keytool -list -v -alias "$alias" "${P11ARGS[@]}"
  grep_out 'Certificate chain length: 2' "$alias: SunPKCS11 builds the chain with the CA on the token"
  grep_out 'Issuer: O=Sigil tests, CN=Sigil test CA' "$alias: the certificate is issued by the test CA"
done
run_fails "keytool with a wrong PIN" jvm keytool -list -v -storetype PKCS11 -providerClass sun.security.pkcs11.SunPKCS11 \
  -providerArg "$CFG" -storepass wrong-pin-0000
grep_out 'PKCS11Exception: CKR_PIN_INCORRECT' "keytool reports the wrong PIN as CKR_PIN_INCORRECT"

# ---- jarsigner ------------------------------------------------------------------------------------

mkdir -p "$T/src/org/sigil/demo"
printf 'Sealed by a Sigil appliance through SunPKCS11.\n' >"$T/src/org/sigil/demo/readme.txt"
head -c 4096 /dev/urandom >"$T/src/org/sigil/demo/data.bin"
run "jar cf app.jar" jar "${JOPTS[@]}" cf "$T/app.jar" -C "$T/src" org
for j in rsa ec both pss; do cp "$T/app.jar" "$T/app-$j.jar"; done

# sign_jar JAR ALIAS [jarsigner options]
sign_jar() {
  local jar=$1 alias=$2; shift 2
  run "jarsigner signs $(basename "$jar") with $alias $*" jvm jarsigner -keystore NONE "${P11ARGS[@]}" "$@" "$jar" "$alias"
  grep_out '^jar signed\.' "jarsigner reports $(basename "$jar") signed with $alias"
}
sign_jar "$T/app-rsa.jar" rsa-seal
sign_jar "$T/app-ec.jar" ec-seal
sign_jar "$T/app-both.jar" rsa-seal
sign_jar "$T/app-both.jar" ec-seal
sign_jar "$T/app-pss.jar" rsa-seal -sigalg RSASSA-PSS

keytool "${JOPTS[@]}" -importcert -noprompt -alias sigil-test-ca -file "$T/ca/ca.pem" -keystore "$T/trust.p12" \
  -storetype PKCS12 -storepass changeit >"$T/last.out" 2>&1 || { show_last; fail "cannot make the truststore"; }
pass "truststore with only the test CA"

# verify_jar JAR: jarsigner -verify -strict against the truststore; no module, no appliance.
verify_jar() {
  env -u SIGIL_APPLIANCE jarsigner "${JOPTS[@]}" -verify -strict -verbose -certs -keystore "$T/trust.p12" -storetype PKCS12 \
    -storepass changeit "$1"
}
check_verified() {
  local jar=$1
  run "jarsigner -verify -strict $(basename "$jar")" verify_jar "$jar"
  grep_out '^jar verified\.' "$(basename "$jar") verified"
  if grep -Eq '^Error:|signer errors|unsigned entries|not signed by|invalid' "$T/last.out"; then
    show_last; fail "jarsigner -verify -strict reports an error or invalid entry for $(basename "$jar")"
  fi
  pass "$(basename "$jar"): no errors under -strict"
  grep_out 's[ m]k?[ i]* +[0-9]+ .* org/sigil/demo/readme\.txt' "$(basename "$jar"): readme.txt is signed"
}
check_verified "$T/app-rsa.jar"
grep_out 'Signed by "O=Sigil tests, CN=Sigil Java RSA seal"' "app-rsa.jar is signed by the RSA seal"
grep_out 'Signature algorithm: SHA256withRSA, 2048-bit key' "app-rsa.jar: SHA256withRSA, 2048-bit key"
check_verified "$T/app-ec.jar"
grep_out 'Signed by "O=Sigil tests, CN=Sigil Java EC seal"' "app-ec.jar is signed by the EC seal"
grep_out 'Signature algorithm: SHA256withECDSA, 256-bit key' "app-ec.jar: SHA256withECDSA, 256-bit key"
check_verified "$T/app-both.jar"
grep_out 'Signed by "O=Sigil tests, CN=Sigil Java RSA seal"' "app-both.jar carries the RSA seal's signature"
grep_out 'Signed by "O=Sigil tests, CN=Sigil Java EC seal"' "app-both.jar carries the EC seal's signature"

check_verified "$T/app-pss.jar"
grep_out 'Signature algorithm: RSASSA-PSS, 2048-bit key' "app-pss.jar: RSASSA-PSS, 2048-bit key"

# Without the CA, -strict must fail: the chain cannot be validated (exit code 4).
rc=0
env -u SIGIL_APPLIANCE jarsigner "${JOPTS[@]}" -verify -strict "$T/app-rsa.jar" >"$T/last.out" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || { show_last; fail "jarsigner -verify -strict accepts a chain to an untrusted CA"; }
pass "without the truststore -strict fails (exit $rc)"

# A changed entry: the digest in the manifest no longer matches.
python3 - "$T/app-rsa.jar" "$T/app-changed.jar" <<'PY' || fail "cannot build a changed jar"
import sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(src) as zi, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zo:
    for item in zi.infolist():
        data = zi.read(item.filename)
        if item.filename.endswith("readme.txt"):
            data = data.replace(b"Sealed", b"Forged")
        zo.writestr(item, data)
PY
rc=0
verify_jar "$T/app-changed.jar" >"$T/last.out" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || { show_last; fail "jarsigner -verify accepts a changed jar"; }
grep_out 'digest error|SecurityException|invalid' "jarsigner reports the changed entry"

# The signature block itself, checked by openssl against the CA.
for kind in rsa ec; do
  python3 - "$T/app-$kind.jar" "$T/$kind.sf" "$T/$kind.p7" <<'PY' || fail "cannot extract the $kind signature block"
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
names = z.namelist()
sf = [n for n in names if n.startswith("META-INF/") and n.endswith(".SF")]
blk = [n for n in names if n.startswith("META-INF/") and n.rsplit(".", 1)[-1] in ("RSA", "EC", "DSA")]
assert len(sf) == 1 and len(blk) == 1, names
open(sys.argv[2], "wb").write(z.read(sf[0]))
open(sys.argv[3], "wb").write(z.read(blk[0]))
PY
  run "openssl verifies the $kind jar signature block against the CA" openssl cms -verify -binary -inform DER \
    -in "$T/$kind.p7" -content "$T/$kind.sf" -CAfile "$T/ca/ca.pem" -purpose any -out /dev/null
done

# ---- keytool -genkeypair: key pairs generated on the token by SunPKCS11 ---------------------------

# EC: keytool picks SunPKCS11's generator for the PKCS11 keystore. RSA: without -providerName keytool
# generates the pair in software (SunRsaSign comes first) and tries to import the private key, which
# the appliance refuses by design (C_CreateObject of a CKO_PRIVATE_KEY: CKR_TEMPLATE_INCONSISTENT,
# keys are only generated inside it); -providerName SunPKCS11-Sigil generates it on the token.
run "keytool -genkeypair EC on the token" jvm keytool -genkeypair "${P11ARGS[@]}" -alias java-gen-ec -keyalg EC \
  -groupname secp256r1 -dname "CN=Sigil keytool EC" -validity 365
run "keytool -genkeypair RSA on the token (-providerName SunPKCS11-Sigil)" jvm keytool -genkeypair "${P11ARGS[@]}" \
  -providerName SunPKCS11-Sigil -alias java-gen-rsa -keyalg RSA -keysize 2048 -dname "CN=Sigil keytool RSA" -validity 365
run "the generated private keys are token objects" p11 --slot "$SLOT" --login --pin "$USER_PIN" -O --type privkey
# SunPKCS11 names a key entry by the certificate's CKA_LABEL and sets the private key's CKA_ID to
# the alias (C_SetAttributeValue); the key keeps no label.
hexof() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
grep_out "ID: +$(hexof java-gen-ec)\$" "SunPKCS11 set the EC private key's CKA_ID to its alias"
grep_out "ID: +$(hexof java-gen-rsa)\$" "SunPKCS11 set the RSA private key's CKA_ID to its alias"
run "keytool -list after -genkeypair" jvm keytool -list "${P11ARGS[@]}"
grep_out 'Your keystore contains 4 entries' "keytool finds four entries"
for alias in java-gen-ec java-gen-rsa; do
  run "keytool -certreq -alias $alias (signed on the token)" jvm keytool -certreq "${P11ARGS[@]}" -alias "$alias" \
    -file "$T/$alias.csr"
  run "openssl verifies the request's signature ($alias)" openssl req -in "$T/$alias.csr" -verify -noout
done

appliance_healthy "keytool and jarsigner"
finish_clients
