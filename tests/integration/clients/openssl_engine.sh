#!/usr/bin/env bash
# openssl_engine.sh — OpenSSL 3 through the pkcs11 engine (libp11 0.4.12, Debian package
# libengine-pkcs11-openssl) with the Sigil module, for an RSA-2048 seal and an EC P-256 seal:
#
#   openssl req -new -x509   self-signed certificate with the seal key (engine key by pkcs11: URL)
#   openssl pkey             the token's public key through the engine = the certificate's
#   openssl dgst -sign       SHA-256 signature (RSA also with PSS), verified by plain openssl
#                            with the certificate's public key; other data is refused
#   openssl cms -sign        detached CMS with CAdES-BES signed attributes (-cades: the
#                            signingCertificateV2 attribute), verified by plain openssl
#                            'cms -verify -cades -CAfile cert.pem -content doc'; a changed
#                            document is refused
#
# Every verification runs without the engine (no OPENSSL_CONF), so only the signatures the
# appliance made are trusted, not anything computed on the way.
. "$(dirname "$0")/clients_lib.sh"
need_tool openssl openssl
need_tool pkcs11-tool opensc
need_path "$PKCS11_ENGINE" libengine-pkcs11-openssl

emu_start
provision_appliance

new_seal SLOT_RSA ossl-rsa
new_seal SLOT_EC ossl-ec
gen_keypair "$SLOT_RSA" rsa:2048 rsa-seal 01
gen_keypair "$SLOT_EC" EC:prime256v1 ec-seal 02

head -c 20000 /dev/urandom >"$T/doc"
printf 'a different document\n' >"$T/other"
cp "$T/doc" "$T/doc.changed"
printf 'x' >>"$T/doc.changed"

# plain ARGS...: openssl without the engine configuration.
plain() { env -u OPENSSL_CONF openssl "$@"; }

check_seal() {
  local kind=$1 tok=$2 obj=$3 cert=$T/$1.pem key
  key=$(key_url "$tok" "$obj")
  note "$kind seal: token $tok, key $obj"

  # -- req -x509 ------------------------------------------------------------------------
  selfsigned_cert "$tok" "$obj" "/CN=Sigil $kind seal/O=Sigil tests" "$cert" \
    -addext basicConstraints=critical,CA:true -addext keyUsage=critical,digitalSignature,nonRepudiation,keyCertSign
  run "$kind certificate parses" plain x509 -in "$cert" -noout -text
  grep_out "Subject: CN ?= ?Sigil $kind seal" "$kind certificate has the requested subject"
  case $kind in
    rsa) grep_out 'Public-Key: \(2048 bit\)' "rsa certificate holds a 2048-bit key"
         grep_out 'Signature Algorithm: sha256WithRSAEncryption' "rsa certificate is signed with sha256WithRSAEncryption" ;;
    ec)  grep_out 'ASN1 OID: prime256v1' "ec certificate holds a P-256 key"
         grep_out 'Signature Algorithm: ecdsa-with-SHA256' "ec certificate is signed with ecdsa-with-SHA256" ;;
  esac
  run "$kind certificate's self-signature verifies (openssl verify -check_ss_sig)" \
    plain verify -check_ss_sig -CAfile "$cert" "$cert"
  plain x509 -in "$cert" -pubkey -noout >"$T/$kind.cert.pub" || fail "cannot extract the public key of $cert"

  # -- the token's public key through the engine is the certificate's --------------------
  run "$kind public key read through the engine" ossl_engine pkey -engine pkcs11 -pubin -inform engine \
    -in "pkcs11:token=$tok;object=$obj;type=public" -pubout -out "$T/$kind.token.pub"
  cmp -s "$T/$kind.token.pub" "$T/$kind.cert.pub" ||
    fail "$kind: the public key on the token differs from the certificate's"
  pass "$kind: the certificate holds the token's public key"

  # -- dgst -sign -----------------------------------------------------------------------
  run "$kind dgst -sha256 -sign through the engine" ossl_engine dgst -sha256 -engine pkcs11 -keyform engine \
    -sign "$key" -out "$T/$kind.dgst.sig" "$T/doc"
  run "$kind signature verifies with the certificate's key" \
    plain dgst -sha256 -verify "$T/$kind.cert.pub" -signature "$T/$kind.dgst.sig" "$T/doc"
  run_fails "$kind signature is refused on other data" \
    plain dgst -sha256 -verify "$T/$kind.cert.pub" -signature "$T/$kind.dgst.sig" "$T/other"
  if [ "$kind" = rsa ]; then
    local pss=(-sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:32 -sigopt rsa_mgf1_md:sha256)
    run "rsa dgst -sha256 -sign with RSA-PSS through the engine" ossl_engine dgst -sha256 -engine pkcs11 \
      -keyform engine -sign "$key" "${pss[@]}" -out "$T/rsa.pss.sig" "$T/doc"
    run "rsa PSS signature verifies with the certificate's key" \
      plain dgst -sha256 -verify "$T/rsa.cert.pub" "${pss[@]}" -signature "$T/rsa.pss.sig" "$T/doc"
    run_fails "rsa PSS signature is refused on other data" \
      plain dgst -sha256 -verify "$T/rsa.cert.pub" "${pss[@]}" -signature "$T/rsa.pss.sig" "$T/other"
  fi

  # -- cms -sign: detached, CAdES-BES ---------------------------------------------------
  run "$kind cms -sign (detached, -cades) through the engine" ossl_engine cms -sign -binary -md sha256 -cades \
    -in "$T/doc" -signer "$cert" -engine pkcs11 -keyform engine -inkey "$key" -outform DER -out "$T/$kind.p7s"
  run "$kind CMS structure" plain cms -cmsout -print -inform DER -in "$T/$kind.p7s"
  grep_out 'eContentType: pkcs7-data' "$kind CMS is signed data"
  if grep -Eq 'eContent: <ABSENT>' "$T/last.out"; then pass "$kind CMS is detached (no eContent)"; else
    show_last; fail "$kind CMS carries the content: expected a detached signature"; fi
  grep_out 'signingCertificateV2' "$kind CMS has the CAdES signingCertificateV2 signed attribute"
  grep_out 'messageDigest' "$kind CMS has the messageDigest signed attribute"
  grep_out 'signingTime' "$kind CMS has the signingTime signed attribute"
  run "$kind cms -verify -cades with the certificate as CA" plain cms -verify -binary -cades -inform DER \
    -in "$T/$kind.p7s" -content "$T/doc" -CAfile "$cert" -out /dev/null
  grep_out 'CAdES Verification successful' "$kind CAdES verification reported successful"
  run_fails "$kind cms -verify refuses a changed document" plain cms -verify -binary -inform DER \
    -in "$T/$kind.p7s" -content "$T/doc.changed" -CAfile "$cert" -out /dev/null
  if [ "$kind" = rsa ]; then
    run "rsa cms -sign with RSA-PSS (-keyopt rsa_padding_mode:pss) through the engine" ossl_engine cms -sign \
      -binary -md sha256 -cades -in "$T/doc" -signer "$cert" -engine pkcs11 -keyform engine -inkey "$key" \
      -keyopt rsa_padding_mode:pss -outform DER -out "$T/rsa.pss.p7s"
    run "rsa PSS CMS verifies" plain cms -verify -binary -cades -inform DER -in "$T/rsa.pss.p7s" \
      -content "$T/doc" -CAfile "$cert" -out /dev/null
    run "rsa PSS CMS structure" plain cms -cmsout -print -inform DER -in "$T/rsa.pss.p7s"
    grep_out 'rsassaPss' "rsa PSS CMS names rsassaPss"
  fi
}

check_seal rsa ossl-rsa rsa-seal
check_seal ec ossl-ec ec-seal

# A wrong PIN in the URL: the engine cannot log in, nothing is signed.
run_fails "a wrong PIN in the pkcs11: URL signs nothing" ossl_engine dgst -sha256 -engine pkcs11 -keyform engine \
  -sign "pkcs11:token=ossl-ec;object=ec-seal;type=private;pin-value=wrong-pin-0000" -out "$T/wrong.sig" "$T/doc"
[ ! -s "$T/wrong.sig" ] || fail "a signature was written with a wrong PIN"
pass "no signature file with a wrong PIN"

appliance_healthy "the OpenSSL engine runs"
finish_clients
