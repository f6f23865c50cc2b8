#!/usr/bin/env bash
# pkcs11_tool.sh — the module through pkcs11-tool, every signature checked by OpenSSL.
#
# List slots; init a token on a free slot; init the user PIN; log in; generate EC P-256,
# EC P-384, RSA-2048 and RSA-3072 key pairs; sign with every mechanism valid for each key
# and verify every signature with openssl against the public key read through pkcs11-tool;
# a private key's value cannot be read; a wrong PIN is refused; restart the emulator and
# sign again with the same keys.
. "$(dirname "$0")/lib.sh"
need_cmd pkcs11-tool cmp
need_file SIGIL_TEST_SENSITIVE

TOKEN_LABEL=it-token
TSO_PIN=tok-so-5678
TUSER_PIN=tok-user-5678

emu_start
provision_appliance

# ---- slots, token, PIN ------------------------------------------------------------------

run "pkcs11-tool -L lists the slots" p11 -L
grep_out '^Slot [0-9]+ \(0x[0-9a-f]+\)' "the slot list names at least one slot"
nslots=$(grep -Ec '^Slot [0-9]+ \(0x' "$T/last.out")
[ "$nslots" -ge 16 ] || fail "expected at least 16 seal slots, pkcs11-tool lists $nslots"
pass "at least 16 slots ($nslots)"

# The first slot whose token is not initialised: its slot id (hex).
free_slot() {
  awk '/^Slot [0-9]+ \(0x[0-9a-fA-F]+\)/ { id = $3; gsub(/[():]/, "", id) }
       /token state: *uninitiali[sz]ed/ && id != "" { print id; exit }' "$T/last.out"
}
SLOT=$(free_slot)
[ -n "$SLOT" ] || { show_last; fail "no slot with an uninitialised token in pkcs11-tool -L"; }
pass "free slot $SLOT"

run "C_InitToken on the free slot" p11 --slot "$SLOT" --init-token --label "$TOKEN_LABEL" --so-pin "$TSO_PIN"

# The slot id (hex) of the token labelled $1 in the last pkcs11-tool -L.
slot_of_label() {
  awk -v want="$1" '/^Slot [0-9]+ \(0x[0-9a-fA-F]+\)/ { id = $3; gsub(/[():]/, "", id) }
       /token label *:/ { l = $0; sub(/^ *token label *: */, "", l); sub(/ *$/, "", l); if (l == want) { print id; exit } }' \
    "$T/last.out"
}
run "pkcs11-tool -L after C_InitToken" p11 -L
got=$(slot_of_label "$TOKEN_LABEL")
[ -n "$got" ] || { show_last; fail "no slot shows the token label $TOKEN_LABEL after C_InitToken"; }
[ "$got" = "$SLOT" ] || fail "the token moved from slot $SLOT to slot $got: slot ids must be stable"
pass "the token carries its label in the same slot ($SLOT)"
run "C_InitPIN as SO" p11 --slot "$SLOT" --login --login-type so --so-pin "$TSO_PIN" --init-pin --new-pin "$TUSER_PIN"
run "C_Login as user" p11 --slot "$SLOT" --login --pin "$TUSER_PIN" -O
run "token flags after C_InitPIN" p11 --slot "$SLOT" -T
grep_out "user PIN initialized|PIN initialized" "the token reports the user PIN initialised"

# ---- key pairs ----------------------------------------------------------------------------

# id label key-type
KEYS=(
  "e1 ec256 EC:prime256v1"
  "e2 ec384 EC:secp384r1"
  "a1 rsa2048 rsa:2048"
  "a2 rsa3072 rsa:3072"
)

for k in "${KEYS[@]}"; do
  set -- $k
  run "generate $3 key pair ($2)" p11 --slot "$SLOT" --login --pin "$TUSER_PIN" \
    --keypairgen --key-type "$3" --id "$1" --label "$2" --usage-sign
done

run "list objects" p11 --slot "$SLOT" --login --pin "$TUSER_PIN" -O
for k in "${KEYS[@]}"; do
  set -- $k
  n=$(grep -Ec "^ *label: *$2\$" "$T/last.out" || true)
  [ "$n" -eq 2 ] || { show_last; fail "expected a public and a private key labelled $2, found $n objects"; }
done
pass "each key pair is listed as a private and a public key"

# key_kind KEY-TYPE: ec or rsa.
key_kind() { case $1 in EC:*) echo ec ;; rsa:*) echo rsa ;; *) fail "unknown key type $1" ;; esac; }

# ec_spki_from_listing ID OUT: builds the SubjectPublicKeyInfo (DER) of EC public key ID from
# the CKA_EC_PARAMS and CKA_EC_POINT that 'pkcs11-tool -O' prints (in $T/last.out).
ec_spki_from_listing() {
  python3 - "$1" "$2" "$T/last.out" <<'PY'
import sys
want, out, listing = sys.argv[1], sys.argv[2], open(sys.argv[3]).read()
blocks, cur = [], None
for line in listing.splitlines():
    if not line.startswith(" "):
        cur = {"head": line}
        blocks.append(cur)
    elif cur is not None and ":" in line:
        k, v = line.strip().split(":", 1)
        cur[k.strip()] = v.strip()
hits = [b for b in blocks if b["head"].startswith("Public Key Object") and b.get("ID") == want]
if len(hits) != 1 or "EC_POINT" not in hits[0] or "EC_PARAMS" not in hits[0]:
    sys.exit("no single EC public key with ID %s and EC_POINT/EC_PARAMS in the listing" % want)
point, params = bytes.fromhex(hits[0]["EC_POINT"]), bytes.fromhex(hits[0]["EC_PARAMS"])
def der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b
def tlv(t, v):
    return bytes([t]) + der_len(len(v)) + v
# CKA_EC_POINT is a DER OCTET STRING holding 04||X||Y (PKCS#11 2.40); unwrap it.
if point[0] == 0x04 and len(point) > 2:
    n, off = point[1], 2
    if n & 0x80:
        k = n & 0x7F
        n, off = int.from_bytes(point[2:2 + k], "big"), 2 + k
    if off + n == len(point) and point[off] == 0x04:
        point = point[off:]
ec_public_key = bytes.fromhex("06072a8648ce3d0201")
spki = tlv(0x30, tlv(0x30, ec_public_key + params) + tlv(0x03, b"\x00" + point))
open(out, "wb").write(spki)
PY
}

# Exports the public key of ID to $T/ID$SUFFIX.pub.pem (and keeps the DER).
export_pub() {
  local id=$1 suffix=${2:-} kind=$3 der=$T/$1${2:-}.pub.der
  if [ "$kind" = ec ]; then
    # pkcs11-tool 0.23's --read-object of an EC public key frees the curve name before it calls
    # EVP_PKEY_fromdata (a use-after-free that AddressSanitizer reports; without it, P-384 keys
    # fail with "cannot create EVP_PKEY", with SoftHSMv2 too). So the SubjectPublicKeyInfo is
    # built from the CKA_EC_PARAMS and CKA_EC_POINT that pkcs11-tool lists.
    run "list public key $id$suffix" p11 --slot "$SLOT" -O --type pubkey --id "$id"
    ec_spki_from_listing "$id" "$der" || fail "cannot build the public key of $id$suffix from the object listing"
  else
    run "export public key $id$suffix" p11 --slot "$SLOT" --read-object --type pubkey --id "$id" -o "$der"
  fi
  run "public key $id$suffix parses as SubjectPublicKeyInfo" \
    openssl pkey -pubin -inform DER -in "$der" -out "$T/$id$suffix.pub.pem"
}

for k in "${KEYS[@]}"; do
  set -- $k
  export_pub "$1" "" "$(key_kind "$3")"
done
openssl pkey -pubin -in "$T/e1.pub.pem" -noout -text | grep -q 'prime256v1\|P-256' || fail "e1 is not a P-256 key"
openssl pkey -pubin -in "$T/e2.pub.pem" -noout -text | grep -q 'secp384r1\|P-384' || fail "e2 is not a P-384 key"
openssl pkey -pubin -in "$T/a1.pub.pem" -noout -text | grep -q 'Public-Key: (2048 bit)' || fail "a1 is not RSA-2048"
openssl pkey -pubin -in "$T/a2.pub.pem" -noout -text | grep -q 'Public-Key: (3072 bit)' || fail "a2 is not RSA-3072"
pass "exported keys have the requested type and size"

# ---- sign and verify ----------------------------------------------------------------------

head -c 3000 /dev/urandom >"$T/msg"
printf 'a different message\n' >"$T/other"
for h in sha256 sha384 sha512; do
  openssl dgst -"$h" -binary "$T/msg" >"$T/msg.$h"
done
# DigestInfo prefixes (RFC 8017 §9.2 note 1) for RSA-PKCS over a precomputed hash.
di_prefix() {
  case $1 in
    sha256) echo 3031300d060960864801650304020105000420 ;;
    sha384) echo 3041300d060960864801650304020205000430 ;;
    sha512) echo 3051300d060960864801650304020305000440 ;;
  esac
}
for h in sha256 sha384 sha512; do
  { printf '%b' "$(di_prefix "$h" | sed 's/../\\x&/g')"; cat "$T/msg.$h"; } >"$T/msg.di.$h"
done
hlen() { case $1 in sha256) echo 32 ;; sha384) echo 48 ;; sha512) echo 64 ;; esac; }
upper() { echo "$1" | tr a-z A-Z; }

# sign ID MECH INPUT OUT [extra pkcs11-tool args]
sign() {
  local id=$1 mech=$2 in=$3 out=$4; shift 4
  rm -f "$out"
  run "sign with $mech (key $id)" p11 --slot "$SLOT" --login --pin "$TUSER_PIN" --sign --id "$id" -m "$mech" \
    -i "$in" -o "$out" "$@"
  [ -s "$out" ] || fail "pkcs11-tool wrote no signature for $mech (key $id)"
}

# verified DESCRIPTION CMD...: an OpenSSL verification that must succeed.
verified() { local d=$1; shift; run "openssl verifies $d" "$@"; }
# refused DESCRIPTION CMD...: the same verification on other data must fail.
refused() { local d=$1; shift; run_fails "openssl rejects $d on other data" "$@"; }

sign_ec() {
  local id=$1 tag=$2 h sig
  for h in sha256 sha384 sha512; do
    # CKM_ECDSA over a precomputed hash (any length; the curve order truncates it).
    sig=$T/$id.ecdsa.$h$tag.sig
    sign "$id" ECDSA "$T/msg.$h" "$sig" --signature-format openssl
    verified "ECDSA/$h (key $id)" openssl pkeyutl -verify -pubin -inkey "$T/$id.pub.pem" -in "$T/msg.$h" -sigfile "$sig"
    # CKM_ECDSA_SHAx over the message.
    sig=$T/$id.ecdsa-$h$tag.sig
    sign "$id" "ECDSA-$(upper "$h")" "$T/msg" "$sig" --signature-format openssl
    verified "ECDSA-$(upper "$h") (key $id)" openssl dgst -"$h" -verify "$T/$id.pub.pem" -signature "$sig" "$T/msg"
    refused "ECDSA-$(upper "$h") (key $id)" openssl dgst -"$h" -verify "$T/$id.pub.pem" -signature "$sig" "$T/other"
  done
  # The raw r||s form: 2 * the curve's byte length.
  sig=$T/$id.rs$tag.sig
  sign "$id" ECDSA-SHA256 "$T/msg" "$sig"
  local want
  want=$([ "$id" = e1 ] && echo 64 || echo 96)
  [ "$(stat -c %s "$sig")" -eq "$want" ] || fail "raw ECDSA signature of key $id has $(stat -c %s "$sig") bytes, expected $want"
  pass "raw ECDSA signature of key $id is r||s ($want bytes)"
}

sign_rsa() {
  local id=$1 tag=$2 h H n sig pss
  for h in sha256 sha384 sha512; do
    H=$(upper "$h")
    n=$(hlen "$h")
    # CKM_RSA_PKCS over a DigestInfo: the recovered block is exactly the input.
    sig=$T/$id.rsa-pkcs.$h$tag.sig
    sign "$id" RSA-PKCS "$T/msg.di.$h" "$sig"
    verified "RSA-PKCS block recovery (key $id, $h DigestInfo)" \
      openssl pkeyutl -verifyrecover -pubin -inkey "$T/$id.pub.pem" -pkeyopt rsa_padding_mode:pkcs1 \
      -in "$sig" -out "$T/$id.recovered"
    cmp -s "$T/$id.recovered" "$T/msg.di.$h" || fail "RSA-PKCS (key $id): recovered block differs from the input"
    verified "RSA-PKCS as ${H}withRSA (key $id)" openssl dgst -"$h" -verify "$T/$id.pub.pem" -signature "$sig" "$T/msg"
    # CKM_SHAx_RSA_PKCS over the message.
    sig=$T/$id.$h-rsa-pkcs$tag.sig
    sign "$id" "$H-RSA-PKCS" "$T/msg" "$sig"
    verified "$H-RSA-PKCS (key $id)" openssl dgst -"$h" -verify "$T/$id.pub.pem" -signature "$sig" "$T/msg"
    refused "$H-RSA-PKCS (key $id)" openssl dgst -"$h" -verify "$T/$id.pub.pem" -signature "$sig" "$T/other"
    # CKM_RSA_PKCS_PSS over a precomputed hash, MGF1 with the same hash, salt = hash length.
    pss=(-pkeyopt rsa_padding_mode:pss -pkeyopt "digest:$h" -pkeyopt "rsa_mgf1_md:$h")
    sig=$T/$id.rsa-pss.$h$tag.sig
    sign "$id" RSA-PKCS-PSS "$T/msg.$h" "$sig" --hash-algorithm "$H" --mgf "MGF1-$H" --salt-len "$n"
    verified "RSA-PKCS-PSS/$h salt $n (key $id)" openssl pkeyutl -verify -pubin -inkey "$T/$id.pub.pem" \
      "${pss[@]}" -pkeyopt "rsa_pss_saltlen:$n" -in "$T/msg.$h" -sigfile "$sig"
    # CKM_SHAx_RSA_PKCS_PSS over the message.
    sig=$T/$id.$h-rsa-pss$tag.sig
    sign "$id" "$H-RSA-PKCS-PSS" "$T/msg" "$sig" --mgf "MGF1-$H" --salt-len "$n"
    verified "$H-RSA-PKCS-PSS (key $id)" openssl dgst -"$h" -sigopt rsa_padding_mode:pss \
      -sigopt "rsa_pss_saltlen:$n" -sigopt "rsa_mgf1_md:$h" -verify "$T/$id.pub.pem" -signature "$sig" "$T/msg"
    refused "$H-RSA-PKCS-PSS (key $id)" openssl dgst -"$h" -sigopt rsa_padding_mode:pss \
      -sigopt "rsa_pss_saltlen:$n" -sigopt "rsa_mgf1_md:$h" -verify "$T/$id.pub.pem" -signature "$sig" "$T/other"
  done
  # PSS with an empty salt: a deterministic signature.
  sig=$T/$id.rsa-pss0$tag.sig
  sign "$id" SHA256-RSA-PKCS-PSS "$T/msg" "$sig" --mgf MGF1-SHA256 --salt-len 0
  verified "SHA256-RSA-PKCS-PSS salt 0 (key $id)" openssl dgst -sha256 -sigopt rsa_padding_mode:pss \
    -sigopt rsa_pss_saltlen:0 -sigopt rsa_mgf1_md:sha256 -verify "$T/$id.pub.pem" -signature "$sig" "$T/msg"
}

sign_all() {
  local tag=$1
  sign_ec e1 "$tag"
  sign_ec e2 "$tag"
  sign_rsa a1 "$tag"
  sign_rsa a2 "$tag"
}

note "signing with every mechanism"
sign_all ""

# ---- what must be refused -----------------------------------------------------------------

for k in "${KEYS[@]}"; do
  set -- $k
  # pkcs11-tool 0.23 does not read private keys at all ("not (yet) supported"), so it can
  # only show that nothing is written; p11_sensitive asks the module for every secret value.
  rm -f "$T/$1.priv"
  p11 --slot "$SLOT" --login --pin "$TUSER_PIN" --read-object --type privkey --id "$1" -o "$T/$1.priv" \
    >"$T/last.out" 2>&1 || true
  if [ -s "$T/$1.priv" ]; then fail "pkcs11-tool wrote private key material of $2 to a file"; fi
  run "the private key value of $2 cannot be read (CKR_ATTRIBUTE_SENSITIVE)" \
    env SIGIL_TEST_USER_PIN="$TUSER_PIN" "$SIGIL_TEST_SENSITIVE" "$MODULE" "$TOKEN_LABEL" "$1"
done
run_fails "an EC key refuses an RSA mechanism" \
  p11 --slot "$SLOT" --login --pin "$TUSER_PIN" --sign --id e1 -m SHA256-RSA-PKCS -i "$T/msg" -o "$T/x.sig"
run_fails "a wrong user PIN is refused" p11 --slot "$SLOT" --login --pin wrong-pin-0000 -O
grep_out 'CKR_PIN_INCORRECT' "the wrong PIN is reported as CKR_PIN_INCORRECT"
run_fails "a wrong SO PIN is refused" p11 --slot "$SLOT" --session-rw --login --login-type so --so-pin wrong-pin-0000 -O
grep_out 'CKR_PIN_INCORRECT' "the wrong SO PIN is reported as CKR_PIN_INCORRECT"
run "the right user PIN still works after one failure" p11 --slot "$SLOT" --login --pin "$TUSER_PIN" -O
run_fails "signing without login is refused" p11 --slot "$SLOT" --sign --id e1 -m ECDSA-SHA256 -i "$T/msg" -o "$T/x.sig"

# ---- restart: the same keys sign again --------------------------------------------------

note "restarting the emulator on the same state directory"
emu_restart
run "pkcs11-tool -L after the restart" p11 -L
got=$(slot_of_label "$TOKEN_LABEL")
[ "$got" = "$SLOT" ] || { show_last; fail "after the restart the token $TOKEN_LABEL is in slot '${got}', expected $SLOT"; }
pass "the token keeps its label and slot id across the restart"
for k in "${KEYS[@]}"; do
  set -- $k
  export_pub "$1" .after "$(key_kind "$3")"
  cmp -s "$T/$1.pub.der" "$T/$1.after.pub.der" || fail "public key $1 changed across the restart"
done
pass "public keys are unchanged across the restart"
note "signing with every mechanism after the restart"
sign_all .after

finish
