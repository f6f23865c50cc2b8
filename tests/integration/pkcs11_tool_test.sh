#!/usr/bin/env bash
# pkcs11_tool_test.sh — OpenSC's own self-test of a token, 'pkcs11-tool --test --login',
# on a seal made by sigil-admin with an EC and an RSA key pair on it.
. "$(dirname "$0")/lib.sh"
need_cmd pkcs11-tool

emu_start
provision_appliance
create_seal tool-test >/dev/null
pass "seal tool-test created"

run "generate an EC P-256 key pair" p11 --token-label tool-test --login --pin "$USER_PIN" \
  --keypairgen --key-type EC:prime256v1 --id 01 --label ec-key --usage-sign
run "generate an RSA-2048 key pair" p11 --token-label tool-test --login --pin "$USER_PIN" \
  --keypairgen --key-type rsa:2048 --id 02 --label rsa-key --usage-sign

run "pkcs11-tool --test --login" p11 --token-label tool-test --test --login --pin "$USER_PIN"
cat "$T/last.out"
# pkcs11-tool exits 0 with "No errors" when every test it ran passed.
grep_out '^No errors' "pkcs11-tool reports no errors"
if grep -Eq '[1-9][0-9]* errors?$' "$T/last.out"; then fail "pkcs11-tool --test reports errors"; fi

finish
