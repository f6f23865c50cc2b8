#!/usr/bin/env bash
# admin_provision.sh — a scripted provisioning run of every sigil-admin command against sigil-emu,
# each with --json parsed by Python (and the main ones in text too):
#   init, auditor pin set, status, device keys, seal create | list | show, seal keygen (every key
#   type, PKCS#11 URI), seal csr (openssl req -verify; organizationIdentifier), a throwaway OpenSSL
#   CA issues the certificate, seal cert import | show, OpenSSL signs through the module with the
#   URI (pkcs11 engine, CMS) and the signature verifies against the CA; seal policy set | show
#   (per-signature mode: the CSR still signs), seal suspend | resume (signing refused, then not),
#   seal pin change | unblock, admin pin change, attest (openssl dgst -verify), audit tail |
#   export | verify (edited, deleted, reordered, duplicated, re-chained, truncated copies and a
#   wrong key detected, with distinct exit codes), seal revoke | destroy, zeroize.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/admin_lib.sh"
need_cmd pkcs11-tool

emu_start

# ---- the appliance --------------------------------------------------------------------------------

aj 0 "init" init
jc 'j["initialised"] is True and len(j["device_serial"]) == 16' "init answers with the device serial"
SERIAL=$(jv 'j["device_serial"]')
aj 3 "a second init is refused" init
jc 'j["error"]["status"] == "APPLIANCE_ALREADY_INITIALIZED"' "APPLIANCE_ALREADY_INITIALIZED"
aj 0 "auditor pin set" auditor pin set
jc 'j["role"] == "auditor" and j["pin_set"] is True' "the auditor PIN is set"
aj 0 "status" status
jc 'j["initialised"] and j["self_test_ok"] and j["health"] == "ok" and j["slots_used"] == 0' "a healthy, empty appliance"
jc 'j["device_serial"] == "'"$SERIAL"'" and j["backup_domain"] == "" and j["audit_records"] > 0' "serial, no domain, audit records"
aj 0 "config show" config show
jc 'j["token_init"] == "open"' "a fresh appliance lets C_InitToken make seals"
aj 0 "config set --token-init closed" config set --token-init closed
jc 'j["token_init"] == "closed"' "closed"
run_fails "C_InitToken on a free slot is refused while closed" p11 --slot 5 --init-token --label rogue --so-pin rogue-so-1234
aj 0 "config set --token-init open" config set --token-init open
jc 'j["token_init"] == "open"' "open again"
expect_exit 0 "config show (text)" "$ADMIN" config show
grep_out "token init +open" "the text shows the setting"
aj 0 "device keys" device keys --audit-key-out "$T/audit.pem" --attest-key-out "$T/attest.pem"
jc 'j["device_serial"] == "'"$SERIAL"'" and "BEGIN PUBLIC KEY" in j["audit_key"]["pem"]' "device keys: serial and PEM"
run "the audit key file is a P-256 public key" openssl pkey -pubin -in "$T/audit.pem" -noout -text
grep_out 'NIST CURVE: P-256|prime256v1' "P-256"

# ---- a seal, its key, its CSR --------------------------------------------------------------------------

aj 0 "seal create" seal create --label demo-seal
jc 'j["label"] == "demo-seal" and j["user_pin_set"] is True and len(j["serial"]) == 16' "seal created"
SLOT=$(jv 'j["slot"]')
TOKSERIAL=$(jv 'j["serial"]')
jc 'j["token_uri"] == "pkcs11:token=demo-seal;manufacturer=Sigil;serial='"$TOKSERIAL"'"' "the token's URI"
aj 5 "seal csr before there is a key" seal csr --seal demo-seal --cn x
aj 0 "seal keygen ec-p256" seal keygen --seal demo-seal --type ec-p256 --pubkey-out "$T/pub.pem"
jc 'j["type"] == "ec-p256" and j["bits"] == 256 and len(j["id"]) == 16 and j["label"] == "demo-seal"' "an EC P-256 key pair"
KEYID=$(jv 'j["id"]')
URI=$(jv 'j["uri"]')
python3 - "$URI" "$KEYID" "$TOKSERIAL" <<'PY' || fail "the key's PKCS#11 URI is not what RFC 7512 and the token make it"
import sys, urllib.parse
uri, keyid, serial = sys.argv[1:4]
assert uri.startswith("pkcs11:"), uri
attrs = dict(a.split("=", 1) for a in uri[7:].split(";"))
assert urllib.parse.unquote(attrs["token"]) == "demo-seal", attrs
assert attrs["manufacturer"] == "Sigil" and attrs["serial"] == serial, attrs
assert urllib.parse.unquote_to_bytes(attrs["id"]).hex() == keyid, attrs
assert attrs["id"] == "".join("%%%02X" % b for b in bytes.fromhex(keyid)), attrs
assert urllib.parse.unquote(attrs["object"]) == "demo-seal" and attrs["type"] == "private", attrs
PY
pass "the URI names token, manufacturer, serial, object, id (percent-encoded) and type=private"
run "the public key file parses" openssl pkey -pubin -in "$T/pub.pem" -noout
aj 0 "seal show" seal show --seal demo-seal
jc 'len(j["keys"]) == 1 and j["keys"][0]["uri"] == "'"$URI"'" and j["keys"][0]["generated_on_device"]' "seal show prints the same URI"
jc 'j["policy"]["state"] == "active" and j["policy"]["mode"] == "session" and j["certificates"] == []' "active, session mode, no certificate"
expect_exit 0 "seal show (text)" "$ADMIN" seal show --slot "$SLOT"
grep_out "URI +pkcs11:token=demo-seal;" "the text shows the URI"
aj 0 "seal list" seal list
jc '[s for s in j["slots"] if s["initialised"]] == [s for s in j["slots"] if s["label"] == "demo-seal"] and [s for s in j["slots"] if s["initialised"]][0]["state"] == "active"' "one active seal listed"

aj 0 "seal csr" seal csr --seal demo-seal --country PL --org "Acme Sp. z o.o." --org-id VATPL-1234567890 \
  --cn "Acme e-seal" --out "$T/seal.csr"
jc 'j["key_id"] == "'"$KEYID"'" and j["signature_algorithm"] == "ecdsa-with-SHA256" and "BEGIN CERTIFICATE REQUEST" in j["csr_pem"]' "the request"
run "openssl req -verify accepts the CSR signed in the appliance" openssl req -in "$T/seal.csr" -noout -verify
grep_out "verify OK" "the CSR's signature verifies"
run "the CSR's subject" openssl req -in "$T/seal.csr" -noout -subject -nameopt multiline
grep_out "countryName += PL" "countryName PL"
grep_out "organizationIdentifier += VATPL-1234567890" "organizationIdentifier VATPL-1234567890"
grep_out "commonName += Acme e-seal" "commonName"
run "the CSR's subject by OID" openssl req -in "$T/seal.csr" -noout -subject -nameopt multiline,oid
grep_out "2\.5\.4\.97 += VATPL-1234567890" "organizationIdentifier is 2.5.4.97"
openssl req -in "$T/seal.csr" -noout -pubkey >"$T/csr-pub.pem"
cmp -s <(openssl pkey -pubin -in "$T/csr-pub.pem" -outform DER) <(openssl pkey -pubin -in "$T/pub.pem" -outform DER) ||
  fail "the CSR does not carry the seal's public key"
pass "the CSR carries the seal's public key"
expect_exit 0 "seal csr --subject (text, PEM on stdout)" "$ADMIN" seal csr --slot "$SLOT" \
  --subject "/C=PL/O=Acme/2.5.4.97=VATPL-1234567890/CN=Acme seal 2"
openssl req -noout -verify <"$T/last.stdout" >"$T/last.out" 2>&1 || { show_last; fail "the CSR on stdout does not verify"; }
pass "the CSR written to stdout verifies"

# ---- the certificate --------------------------------------------------------------------------

make_ca "$T/ca"
ca_issue "$T/ca" "$T/seal.csr" "$T/seal.pem"
aj 0 "seal cert import (with its chain)" seal cert import --seal demo-seal --cert "$T/seal.pem" --chain "$T/ca/ca.pem"
jc '[c["result"] for c in j["certificates"]] == ["stored", "stored"] and j["key_id"] == "'"$KEYID"'"' "certificate and CA certificate stored"
jc 'j["uri"] == "'"$URI"'"' "import prints the key's URI"
aj 0 "seal cert import again: nothing to do" seal cert import --seal demo-seal --cert "$T/seal.pem" --chain "$T/ca/ca.pem"
jc '[c["result"] for c in j["certificates"]] == ["already_present", "already_present"]' "already present"
aj 0 "seal cert show" seal cert show --seal demo-seal --pem
jc 'len(j["certificates"]) == 2' "two certificates"
jc '[c for c in j["certificates"] if c["category"] == "seal"][0]["id"] == "'"$KEYID"'"' "the seal certificate has the key's CKA_ID"
jc '[c for c in j["certificates"] if c["category"] == "seal"][0]["matches_key"] is True' "and matches the key"
jc '[c for c in j["certificates"] if c["category"] == "seal"][0]["label"] == "demo-seal"' "and the key's label"
jc '19 <= [c for c in j["certificates"] if c["category"] == "seal"][0]["days_left"] <= 20' "20 days to expiry"
jc '"organizationIdentifier = VATPL-1234567890" in [c for c in j["certificates"] if c["category"] == "seal"][0]["subject"]' "subject"
jc '"Sigil Test CA" in [c for c in j["certificates"] if c["category"] == "authority"][0]["subject"]' "the CA certificate"
expect_exit 0 "seal cert show (text)" "$ADMIN" seal cert show --seal demo-seal
grep_out "expires in +(19|20) days" "the text gives the days to expiry"
# The module shows the certificate beside the key, same CKA_ID and label (how Java, NSS and OpenSSL pair them).
run "pkcs11-tool lists the objects" p11 --token-label demo-seal --login --pin "$USER_PIN" -O
python3 - "$T/last.out" "$KEYID" <<'PY' || { show_last; fail "pkcs11-tool does not show the certificate paired with the key"; }
import re, sys
text, keyid = open(sys.argv[1]).read(), sys.argv[2]
objs = re.split(r"\n(?=\S)", text)
def kind(o): return o.split(";")[0].split(" Object")[0]
ids = {}
for o in objs:
    m = re.search(r"ID:\s+([0-9a-f]+)", o); l = re.search(r"label:\s+(.*)", o)
    if m: ids.setdefault(m.group(1), []).append((kind(o), l.group(1).strip() if l else ""))
pair = ids.get(keyid, [])
kinds = sorted(k for k, _ in pair)
assert kinds == ["Certificate", "Private Key", "Public Key"], pair
assert all(l == "demo-seal" for _, l in pair), pair
PY
pass "through the module: private key, public key and certificate share CKA_ID and label"

# ---- a signing product: OpenSSL through the module ------------------------------------------------

printf 'an invoice to seal\n' >"$T/doc.txt"
run "OpenSSL signs with the seal's URI through the module (CMS)" cms_sign "$URI" "$USER_PIN" "$T/seal.pem" "$T/doc.txt" "$T/doc.p7s"
run "the CMS signature verifies against the test CA" cms_verify "$T/ca/ca.pem" "$T/doc.txt" "$T/doc.p7s"

# ---- policy ---------------------------------------------------------------------------------------------

aj 0 "seal policy show" seal policy show --seal demo-seal
jc 'j["mode"] == "session" and j["mechanisms"] == "all" and j["not_after"] is None and j["signatures"] >= 2' "default policy, counted signatures"
aj 0 "seal policy set" seal policy set --seal demo-seal --max-signatures 50 --max-seconds 3600 --mechanisms ecdsa \
  --not-before 2020-01-01 --not-after 2099-12-31T23:59:59Z
jc 'j["max_signatures_per_login"] == 50 and j["max_seconds_per_login"] == 3600 and j["mechanisms"] == "ecdsa"' "budgets and mechanisms"
jc 'j["not_before"] == "2020-01-01T00:00:00Z" and j["not_after"] == "2099-12-31T23:59:59Z"' "validity window"
aj 0 "seal policy show after set" seal policy show --seal demo-seal
jc 'j["max_signatures_per_login"] == 50 and j["mode"] == "session"' "kept"
run "signing within the policy" cms_sign "$URI" "$USER_PIN" "$T/seal.pem" "$T/doc.txt" "$T/doc2.p7s"
aj 0 "seal policy set --mode per-signature" seal policy set --seal demo-seal --mode per-signature
jc 'j["mode"] == "per-signature" and j["max_signatures_per_login"] == 50' "per-signature, other fields kept"
aj 0 "seal csr under a per-signature policy (context-specific login)" seal csr --seal demo-seal --cn "per sig" --out "$T/ps.csr"
run "that CSR verifies" openssl req -in "$T/ps.csr" -noout -verify
aj 0 "back to session mode, no bounds" seal policy set --seal demo-seal --mode session --max-signatures 0 --max-seconds 0 \
  --mechanisms all --not-before none --not-after none
jc 'j["mode"] == "session" and j["not_before"] is None and j["mechanisms"] == "all"' "reset"
expect_exit 0 "seal policy show (text)" "$ADMIN" seal policy show --seal demo-seal
grep_out "mode +session" "the text shows the mode"

# ---- state ------------------------------------------------------------------------------------------------

aj 0 "seal suspend" seal suspend --seal demo-seal
jc 'j["state"] == "suspended" and j["previous_state"] == "active" and j["changed"]' "suspended"
run_fails "a suspended seal does not sign" cms_sign "$URI" "$USER_PIN" "$T/seal.pem" "$T/doc.txt" "$T/bad.p7s"
aj 3 "a suspended seal does not sign a CSR either" seal csr --seal demo-seal --cn x
jc 'j["error"]["status"] == "SEAL_SUSPENDED" and "seal resume" in j["error"]["hint"]' "SEAL_SUSPENDED, and how to resume"
aj 0 "status counts the suspended seal" status
jc 'j["seals_suspended"] == 1' "one suspended"
aj 0 "seal suspend again: nothing changes" seal suspend --seal demo-seal
jc 'j["changed"] is False' "unchanged"
aj 0 "seal resume" seal resume --seal demo-seal
jc 'j["state"] == "active"' "active"
run "a resumed seal signs" cms_sign "$URI" "$USER_PIN" "$T/seal.pem" "$T/doc.txt" "$T/doc3.p7s"

# ---- PINs -------------------------------------------------------------------------------------------------

aj 0 "seal pin change (user)" SIGIL_NEW_PIN="$NEW_PIN" seal pin change --seal demo-seal
jc 'j["role"] == "user" and j["pin_changed"]' "user PIN changed"
run "the module logs in with the new user PIN" p11 --token-label demo-seal --login --pin "$NEW_PIN" -O
run_fails "not with the old one" p11 --token-label demo-seal --login --pin "$USER_PIN" -O
aj 0 "seal pin change back" SIGIL_USER_PIN="$NEW_PIN" SIGIL_NEW_PIN="$USER_PIN" seal pin change --seal demo-seal
aj 0 "seal pin change --role so" SIGIL_NEW_PIN="$NEW_PIN" seal pin change --seal demo-seal --role so
run "the SO logs in with the new SO PIN" p11 --token-label demo-seal --session-rw --login --login-type so --so-pin "$NEW_PIN" -O
aj 0 "seal pin change --role so back" SIGIL_SO_PIN="$NEW_PIN" SIGIL_NEW_PIN="$SO_PIN" seal pin change --seal demo-seal --role so
# Lock the user PIN, then unblock it as the seal's SO.
for _ in 1 2 3 4 5 6; do p11 --token-label demo-seal --login --pin wrong-pin-000 -O >/dev/null 2>&1 || true; done
aj 0 "seal show: the user PIN is locked" seal show --seal demo-seal
jc 'j["user_pin_locked"] is True' "locked"
run_fails "a locked user PIN does not sign" cms_sign "$URI" "$USER_PIN" "$T/seal.pem" "$T/doc.txt" "$T/bad.p7s"
aj 3 "seal keygen with a locked user PIN" seal keygen --seal demo-seal --type ec-p256 --label other
jc 'j["error"]["status"] == "PIN_LOCKED" and "unblock" in j["error"]["hint"]' "PIN_LOCKED, and how to unblock"
aj 0 "seal pin unblock" SIGIL_NEW_PIN="$USER_PIN" seal pin unblock --seal demo-seal
aj 0 "seal show after unblock" seal show --seal demo-seal
jc 'j["user_pin_locked"] is False and j["user_retries_left"] > 0' "unlocked"
run "signing after the unblock" cms_sign "$URI" "$USER_PIN" "$T/seal.pem" "$T/doc.txt" "$T/doc4.p7s"
aj 0 "admin pin change" SIGIL_NEW_PIN="$NEW_PIN" admin pin change
jc 'j["role"] == "administrator" and j["pin_changed"]' "administrator PIN changed"
aj 3 "the old administrator PIN is refused" seal suspend --seal demo-seal
jc 'j["error"]["status"] == "PIN_INCORRECT" and "SIGIL_ADMIN_PIN" in j["error"]["hint"]' "PIN_INCORRECT naming SIGIL_ADMIN_PIN"
aj 0 "admin pin change back" SIGIL_ADMIN_PIN="$NEW_PIN" SIGIL_NEW_PIN="$ADMIN_PIN" admin pin change
# PIN files instead of variables.
umask 077
printf '%s\n' "$ADMIN_PIN" >"$T/admin.pin"
umask 022
aj 0 "a PIN from --pin-file" -u SIGIL_ADMIN_PIN seal suspend --seal demo-seal --pin-file "$T/admin.pin"
aj 0 "a PIN from --admin-pin-file" -u SIGIL_ADMIN_PIN --admin-pin-file "$T/admin.pin" seal resume --seal demo-seal

# ---- every key type ----------------------------------------------------------------------------------------

aj 0 "seal create rsa-seal" seal create --label rsa-seal
for t in rsa2048 rsa3072 rsa4096 ec-p384; do
  expect_exit 0 "seal keygen $t (progress on stderr)" "$ADMIN" --progress seal keygen --seal rsa-seal --type "$t" --label "key-$t"
  grep -q "generating the $t key pair" "$T/last.stderr" || { show_last; fail "no progress indicator for $t"; }
  grep_out "PKCS#11 URI: pkcs11:token=rsa-seal;" "keygen $t prints the URI"
done
aj 0 "seal show rsa-seal" seal show --seal rsa-seal
jc 'sorted(k["type"] for k in j["keys"]) == ["ec-p384", "rsa2048", "rsa3072", "rsa4096"]' "four key pairs"
jc 'len({k["uri"] for k in j["keys"]}) == 4' "four URIs"
aj 2 "seal csr must choose among several keys" seal csr --seal rsa-seal --cn x
for k in key-rsa4096 key-ec-p384; do
  aj 0 "seal csr --key $k" seal csr --seal rsa-seal --key "$k" --country PL --org Acme --cn "$k" --out "$T/$k.csr"
  run "openssl req -verify ($k)" openssl req -in "$T/$k.csr" -noout -verify
done
run "the RSA request is sha256WithRSAEncryption" openssl req -in "$T/key-rsa4096.csr" -noout -text
grep_out "sha256WithRSAEncryption" "RSA PKCS#1 v1.5 with SHA-256"
run "the P-384 request is ecdsa-with-SHA384" openssl req -in "$T/key-ec-p384.csr" -noout -text
grep_out "ecdsa-with-SHA384" "ECDSA with SHA-384"
ca_issue "$T/ca" "$T/key-rsa4096.csr" "$T/rsa.pem"
aj 0 "seal cert import picks the key the certificate certifies" seal cert import --seal rsa-seal --cert "$T/rsa.pem"
jc '[c["result"] for c in j["certificates"]] == ["stored"] and j["key_label"] == "key-rsa4096"' "paired with key-rsa4096"
RSAURI=$(jv 'j["uri"]')
run "OpenSSL signs with the RSA-4096 seal key" cms_sign "$RSAURI" "$USER_PIN" "$T/rsa.pem" "$T/doc.txt" "$T/rsa.p7s"
run "and the signature verifies" cms_verify "$T/ca/ca.pem" "$T/doc.txt" "$T/rsa.p7s"

# ---- attestation ---------------------------------------------------------------------------------------------

mkdir -p "$T/att"
aj 0 "attest" attest --seal demo-seal --out-dir "$T/att"
jc 'j["key_id"] == "'"$KEYID"'" and j["device_serial"] == "'"$SERIAL"'"' "the key and the device"
jc 'j["verify_command"].startswith("openssl dgst -sha256 -verify ")' "the command to check it"
run "openssl verifies the attestation" openssl dgst -sha256 -verify "$T/att/attest.pem" -signature "$T/att/statement.sig" "$T/att/statement.txt"
grep_out "Verified OK" "Verified OK"
eval "$(jv 'j["verify_command"]')" >"$T/last.out" 2>&1 || { show_last; fail "the printed command does not verify"; }
pass "the printed command verifies"
cmp -s "$T/att/attest.pem" "$T/attest.pem" || fail "the attestation key differs from 'device keys'"
pass "the attestation key is the device's"
for f in "generated-on-device: yes" "extractable: no" "sensitive: yes" "device-serial: $SERIAL" "seal-label: demo-seal" "key-type: ec"; do
  grep -qxF "$f" "$T/att/statement.txt" || fail "the statement lacks '$f'"
done
pass "the statement says generated on the device, not extractable, which device and seal"
PT=$(openssl pkey -pubin -in "$T/pub.pem" -noout -text | sed -n '/^pub:/,/^ASN1/p' | grep -v '^pub:\|^ASN1' | tr -d ' :\n')
grep -qxF "ec-point: $PT" "$T/att/statement.txt" || fail "the statement is not about the seal's public key"
pass "the statement names the seal's public key"
printf 'x' >>"$T/att/statement.txt"
run_fails "an edited statement does not verify" openssl dgst -sha256 -verify "$T/att/attest.pem" -signature "$T/att/statement.sig" "$T/att/statement.txt"

# ---- audit ---------------------------------------------------------------------------------------------------

aj 0 "audit tail" audit tail --count 5
jc 'len(j["records"]) == 5 and j["total_records"] >= 5' "five records"
jc 'all(r["seq"] + 1 == s["seq"] for r, s in zip(j["records"], j["records"][1:]))' "in order"
aj 0 "audit tail --count 500" audit tail --count 500
jc 'any(r["event"] == "SIGN" and r["role"] == "seal user" and len(r["data"]) == 64 for r in j["records"])' "signatures are in the trail"
jc 'any(r["event"] == "SEAL_STATE" for r in j["records"]) and any(r["event"] == "POLICY_SET" for r in j["records"])' "state and policy changes too"
expect_exit 0 "audit tail (text)" "$ADMIN" audit tail --count 3
grep_out "AUDITOR_LOGIN by auditor" "the text describes records"
aj 0 "audit export" audit export --out "$T/trail.bin"
CP=$(jv 'j["checkpoint_seq"]')
jc 'j["records"] == j["checkpoint_seq"] + 1 and j["bytes"] > 0' "every record up to the checkpoint"
aj 0 "audit verify" audit verify --in "$T/trail.bin" --key "$T/audit.pem" --expect-seq "$CP"
jc 'j["verdict"] == "verified" and j["last_checkpoint_seq"] == '"$CP"' and j["covered_records"] == j["records"]' "verified"
expect_exit 0 "audit verify (text)" "$ADMIN" audit verify --in "$T/trail.bin" --key "$T/audit.pem"
grep_out "is intact" "the text says intact"

# Altered copies: each detected, with its exit code and the kind of alteration.
check_tamper() { # MODE EXIT KIND
  tamper "$T/trail.bin" "$T/t-$1.bin" "$1"
  aj "$2" "audit verify detects: $1" audit verify --in "$T/t-$1.bin" --key "$T/audit.pem"
  jc 'j["error"]["kind"] == "'"$( [ "$2" -eq 9 ] && echo tampered || echo incomplete )"'" and any(p["kind"] == "'"$3"'" for p in j["problems"])' "$1 reported as $3"
}
check_tamper edit 9 edited
check_tamper edit-rechain 9 bad_signature
check_tamper delete 9 deleted
check_tamper swap 9 reordered
check_tamper duplicate 9 duplicated
check_tamper cut-record 10 no_checkpoint
check_tamper cut-bytes 10 truncated
aj 10 "a checkpoint older than the export's is found with --expect-seq" audit verify --in "$T/trail.bin" --key "$T/audit.pem" \
  --expect-seq $((CP + 1))
jc 'any(p["kind"] == "short" for p in j["problems"])' "short"
aj 0 "audit export --no-checkpoint" audit export --out "$T/nocp.bin" --no-checkpoint
aj 10 "an export without checkpoint is reported incomplete" audit verify --in "$T/nocp.bin" --key "$T/audit.pem"
jc '"truncated or exported without checkpoint" in " ".join(p["message"] for p in j["problems"])' "truncated or exported without checkpoint"
aj 9 "another key than the device's" audit verify --in "$T/trail.bin" --key "$T/attest.pem"
jc 'any(p["kind"] == "bad_signature" for p in j["problems"])' "bad signature"
expect_exit 9 "audit verify of an edited trail (text)" "$ADMIN" audit verify --in "$T/t-edit.bin" --key "$T/audit.pem"
grep_out "edited: record [0-9]+" "stderr names the edited record"

# ---- revoke, destroy ---------------------------------------------------------------------------------------------

aj 0 "seal revoke --confirm" seal revoke --seal rsa-seal --confirm rsa-seal
jc 'j["state"] == "revoked" and j["changed"]' "revoked"
run_fails "a revoked seal does not sign" cms_sign "$RSAURI" "$USER_PIN" "$T/rsa.pem" "$T/doc.txt" "$T/bad.p7s"
aj 3 "a revoked seal gets no key" seal keygen --seal rsa-seal --type ec-p256 --label again
jc 'j["error"]["status"] == "SEAL_REVOKED"' "SEAL_REVOKED"
aj 3 "a revoked seal is not resumed" seal resume --seal rsa-seal
aj 0 "seal show of a revoked seal" seal show --seal rsa-seal
jc 'j["policy"]["state"] == "revoked"' "revoked"
aj 0 "seal create doomed" seal create --label doomed
aj 0 "seal destroy --confirm" seal destroy --seal doomed --confirm doomed
jc 'j["state"] == "revoked" and j["key_destroyed"] is True and j["slot_freed"] is True' "destroyed: revoked, then the slot freed"
aj 0 "status after destroying" status
jc 'j["seals_revoked"] == 1 and j["slots_used"] == 2' "one revoked seal left, the destroyed seal's slot free"

# ---- zeroize ------------------------------------------------------------------------------------------------------

aj 0 "zeroize --confirm SERIAL" zeroize --confirm "$SERIAL"
jc 'j["zeroised"] is True and j["device_serial"] == "'"$SERIAL"'"' "zeroised"
aj 0 "status after zeroize" status
jc 'j["health"].startswith("zeroised")' "status says zeroised"
aj 3 "a zeroised device serves nothing" seal list
jc 'j["error"]["status"] == "ZEROIZED" and "restart" in j["error"]["hint"]' "ZEROIZED, and what to do"
run_fails "a zeroised device does not sign" cms_sign "$URI" "$USER_PIN" "$T/seal.pem" "$T/doc.txt" "$T/bad.p7s"
emu_restart
aj 0 "status after the restart: factory-fresh, a new identity" status
jc 'j["initialised"] is False and j["device_serial"] != "'"$SERIAL"'" and j["slots_used"] == 0' "fresh, another serial"
# The trail exported before still verifies with the old key; the new device has a new audit key.
aj 0 "the old export still verifies with the old key" audit verify --in "$T/trail.bin" --key "$T/audit.pem"

finish
