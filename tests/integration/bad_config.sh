#!/usr/bin/env bash
# bad_config.sh — the module finds the appliance in SIGIL_APPLIANCE, else in the file named by
# SIGIL_PKCS11_CONF, else in /etc/sigil/pkcs11.conf. With a missing configuration, pkcs11-tool
# fails and the message names SIGIL_APPLIANCE; with a good configuration file it works.
. "$(dirname "$0")/lib.sh"
need_cmd pkcs11-tool

# p11_conf FILE ARGS...: pkcs11-tool through the module with SIGIL_APPLIANCE unset and
# SIGIL_PKCS11_CONF=FILE.
p11_conf() { ( unset SIGIL_APPLIANCE; export SIGIL_PKCS11_CONF=$1; shift; p11 "$@" ); }

# 1. Nothing configured: SIGIL_APPLIANCE unset, SIGIL_PKCS11_CONF names a missing file.
rc=0
p11_conf "$T/missing.conf" -L >"$T/last.stdout" 2>"$T/last.stderr" || rc=$?
cat "$T/last.stdout" "$T/last.stderr" >"$T/last.out"
[ "$rc" -ne 0 ] || { show_last; fail "pkcs11-tool -L succeeded with no appliance configured"; }
pass "pkcs11-tool -L fails with no appliance configured (exit $rc)"
grep -q 'SIGIL_APPLIANCE' "$T/last.stderr" || { show_last; fail "stderr does not mention SIGIL_APPLIANCE"; }
pass "the error names SIGIL_APPLIANCE"
grep -q 'missing.conf' "$T/last.out" || { show_last; fail "the error does not name the missing file $T/missing.conf"; }
pass "the error names the missing configuration file"
sed 's/^/    | /' "$T/last.out"

# 2. SIGIL_APPLIANCE names a socket where nothing listens.
rc=0
SIGIL_APPLIANCE="unix:$T/nobody.sock" p11 -L >"$T/last.out" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || { show_last; fail "pkcs11-tool -L succeeded with no appliance listening"; }
pass "pkcs11-tool -L fails when the appliance does not answer (exit $rc)"

# 3. A configuration file with the appliance line: it works.
emu_start
printf '# Sigil PKCS#11 module\nappliance = unix:%s\n' "$SOCK" >"$T/pkcs11.conf"
run "pkcs11-tool -L through SIGIL_PKCS11_CONF" p11_conf "$T/pkcs11.conf" -L
grep_out '^Slot [0-9]+' "slots are listed through the configuration file"

finish
