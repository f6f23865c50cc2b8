#!/usr/bin/env bash
# pykcs11.sh — Python's PyKCS11 (Debian package python3-pykcs11) with the Sigil module: an EC P-256
# and an RSA-2048 seal; pykcs11.py runs 4 threads, each with its own sessions, signing 300 times
# (ECDSA-SHA256 and SHA256-RSA-PKCS alternately), every signature verified with
# python3-cryptography and a sample again by the module's C_Verify.
. "$(dirname "$0")/clients_lib.sh"
need_tool pkcs11-tool opensc
[ -x "$DEBIAN_PYTHON" ] || fail "$DEBIAN_PYTHON does not exist: install the Debian package python3"
"$DEBIAN_PYTHON" -c 'import PyKCS11' 2>/dev/null ||
  fail "$DEBIAN_PYTHON cannot import PyKCS11: install the Debian package python3-pykcs11 (scripts/install-deps.sh does)"
"$DEBIAN_PYTHON" -c 'import cryptography.hazmat.primitives.asymmetric.ec' 2>/dev/null ||
  fail "$DEBIAN_PYTHON cannot import cryptography: install the Debian package python3-cryptography (scripts/install-deps.sh does)"

THREADS=${SIGIL_TEST_PY_THREADS:-4}
COUNT=${SIGIL_TEST_PY_COUNT:-300}

emu_start
provision_appliance
new_seal SLOT_EC py-ec
new_seal SLOT_RSA py-rsa
gen_keypair "$SLOT_EC" EC:prime256v1 ec-seal 01
gen_keypair "$SLOT_RSA" rsa:2048 rsa-seal 02

note "PyKCS11: $THREADS threads x $COUNT signatures"
t0=$SECONDS
if ! client "$DEBIAN_PYTHON" "$CLIENTS_DIR/pykcs11.py" "$MODULE" "$USER_PIN" py-ec ec-seal py-rsa rsa-seal \
    "$THREADS" "$COUNT" >"$T/last.out" 2>&1; then
  show_last
  fail "pykcs11.py failed"
fi
sed 's/^/    /' "$T/last.out"
grep_out "^all $((THREADS * COUNT)) signatures verified$" "PyKCS11: $((THREADS * COUNT)) signatures from $THREADS threads, all verified ($((SECONDS - t0)) s)"
grep_out "[1-9][0-9]* also by C_Verify, [1-9][0-9]* changed signatures refused" "PyKCS11: C_Verify agrees, changed signatures are refused"

appliance_healthy "PyKCS11's threads"
finish_clients
