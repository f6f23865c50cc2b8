#!/usr/bin/env bash
# admin_badinput.sh — sigil-admin's bad input (issue 5): a wrong appliance address, wrong
# credentials, an unknown seal, a certificate that does not match, corrupt files, usage errors —
# each with a clear message saying what to do next, its own exit code and JSON error kind, no
# secret echoed, and the appliance left as it was. Also: `help COMMAND` for every command.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/admin_lib.sh"
need_cmd setsid

emu_start

# ---- help for every command ---------------------------------------------------------------------

expect_exit 0 "help" "$ADMIN" help
python3 - "$T/last.stdout" >"$T/commands.txt" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
block = text[text.index("commands:\n"):].split("\n\n")[0]
for l in block.splitlines()[1:]:
    m = re.match(r"^  (\S+(?: \S+)*?)  +\S", l)
    if m:
        print(m.group(1))
PY
[ "$(wc -l <"$T/commands.txt")" -ge 30 ] || { cat "$T/commands.txt"; fail "help lists fewer commands than expected"; }
pass "help lists $(wc -l <"$T/commands.txt") commands"
for c in "seal keygen" "seal csr" "seal cert import" "seal cert show" "seal policy set" "seal pin unblock" \
  "admin pin change" "auditor pin set" "audit export" "audit verify" "audit tail" attest zeroize \
  "backup domain create" "backup domain join" "backup create" "backup restore" "device keys" "seal destroy"; do
  grep -qxF "$c" "$T/commands.txt" || fail "help does not list '$c'"
done
pass "every command of issue 5 is listed"
while read -r c; do
  # shellcheck disable=SC2086
  expect_exit 0 "help $c" "$ADMIN" help $c
  grep_out "^usage: sigil-admin $c" "help $c has a usage line"
  if [ "$c" != help ]; then
    # shellcheck disable=SC2086
    expect_exit 0 "$c --help" "$ADMIN" $c --help
    grep_out "logs in as:" "$c --help says which role it logs in as"
  fi
done <"$T/commands.txt"
expect_exit 0 "help of a group" "$ADMIN" help seal cert
grep_out "import, show" "the group's commands"
expect_exit 2 "help of nothing" "$ADMIN" help frobnicate

# ---- usage errors: exit 2 -------------------------------------------------------------------------

aj 2 "unknown command" frobnicate
jc 'j["error"]["kind"] == "usage" and j["command"] == ""' "usage, no command"
aj 2 "a group without its subcommand" seal cert
jc '"import" in j["error"]["message"]' "the message lists the subcommands"
aj 2 "seal keygen without --type" seal keygen --seal x
aj 2 "seal keygen with a bad --type" seal keygen --seal x --type rsa1024
jc '"ec-p256" in j["error"]["message"]' "the message lists the types"
aj 2 "--seal and --slot together" seal show --seal a --slot 0
aj 2 "neither --seal nor --slot" seal show
aj 2 "--slot that is no number" seal show --slot first
aj 2 "seal policy set with nothing to set" seal policy set --slot 0
aj 2 "seal policy set with a bad date" seal policy set --slot 0 --not-after 2030-02-30
aj 2 "seal policy set with a bad mechanism" seal policy set --slot 0 --mechanisms md5
aj 2 "seal policy set with a bad mode" seal policy set --slot 0 --mode always
aj 2 "seal csr with a bad country" seal csr --slot 0 --country Poland --cn x
aj 2 "seal csr with a bad --subject" seal csr --slot 0 --subject "CN=x"
aj 2 "seal csr without a subject" seal csr --slot 0
aj 2 "audit verify without --key" audit verify --in "$T/x"
aj 2 "audit export without --out" audit export
aj 2 "an option given twice" seal show --seal a --seal b
aj 2 "a PIN as an option is refused and not echoed" seal create --label x --pin="$USER_PIN"
aj 2 "a stray word is refused and not echoed" seal create --label x "$USER_PIN"
aj 2 "a stray word after the command" seal create "$USER_PIN"
aj 2 "attest without --out-dir" attest --slot 0
aj 2 "config set without a setting" config set
aj 2 "config set with a bad value" config set --token-init maybe

# ---- wrong address: exit 4 ----------------------------------------------------------------------------

for c in "status" "seal list" "seal show --slot 0" "audit tail" "device keys"; do
  # shellcheck disable=SC2086
  expect_exit 4 "wrong address: $c" "$ADMIN" --appliance "unix:$T/nobody.sock" --json $c
  json_check "$T/last.stdout" 'j["error"]["kind"] == "unreachable" and "nobody.sock" in j["error"]["message"] and "SIGIL_APPLIANCE" in j["error"]["hint"]' \
    "$c: unreachable, naming the address and what to check"
done
expect_exit 4 "wrong address (text)" "$ADMIN" --appliance "unix:$T/nobody.sock" seal list
grep_out "next: check that the appliance" "the text says what to do next"
expect_exit 4 "a socket that is no appliance" "$ADMIN" --appliance "unix:/dev/null" status

# ---- the appliance -------------------------------------------------------------------------------------

aj 0 "init" init
aj 0 "seal create demo" seal create --label demo
aj 0 "keygen demo" seal keygen --seal demo --type ec-p256
aj 0 "seal create other" seal create --label other
aj 0 "keygen other" seal keygen --seal other --type ec-p256
aj 0 "seal list (before)" seal list
cp "$T/j.json" "$T/list-before.json"
aj 0 "policy (before)" seal policy show --seal demo
cp "$T/j.json" "$T/policy-before.json"
same_as_before() { # the appliance was left as it was
  aj 0 "seal list" seal list
  python3 - "$T/list-before.json" "$T/j.json" <<'PY' || fail "$1 changed the seal list"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
strip = lambda j: [(s["slot"], s["label"], s["initialised"], s["user_pin_set"], s["state"], s["serial"]) for s in j["slots"]]
sys.exit(0 if strip(a) == strip(b) else "before %s\nafter  %s" % (strip(a), strip(b)))
PY
  aj 0 "policy" seal policy show --seal demo
  python3 - "$T/policy-before.json" "$T/j.json" <<'PY' || fail "$1 changed the policy"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for j in (a, b):
    j.pop("signatures"), j.pop("changed")
sys.exit(0 if a == b else "before %s\nafter  %s" % (a, b))
PY
  pass "$1: the appliance is as it was"
}

# ---- wrong credentials: exit 3, PIN_INCORRECT -------------------------------------------------------------

aj 3 "a wrong administrator PIN (seal create)" SIGIL_ADMIN_PIN=wrong-admin-pin seal create --label nope
jc 'j["error"]["status"] == "PIN_INCORRECT" and j["error"]["kind"] == "refused" and "SIGIL_ADMIN_PIN" in j["error"]["hint"]' \
  "PIN_INCORRECT, naming SIGIL_ADMIN_PIN"
aj 3 "a wrong administrator PIN (policy set)" SIGIL_ADMIN_PIN=wrong-admin-pin seal policy set --seal demo --max-signatures 1
aj 3 "a wrong administrator PIN (revoke)" SIGIL_ADMIN_PIN=wrong-admin-pin seal revoke --seal demo --confirm demo
aj 3 "a wrong user PIN (keygen)" SIGIL_USER_PIN=wrong-user-pin seal keygen --seal demo --type ec-p256 --label k2
jc 'j["error"]["status"] == "PIN_INCORRECT" and "SIGIL_USER_PIN" in j["error"]["hint"]' "naming SIGIL_USER_PIN"
aj 3 "a wrong SO PIN (unblock)" SIGIL_SO_PIN=wrong-so-pin SIGIL_NEW_PIN="$NEW_PIN" seal pin unblock --seal demo
jc '"SIGIL_SO_PIN" in j["error"]["hint"]' "naming SIGIL_SO_PIN"
aj 3 "a wrong current PIN (pin change)" SIGIL_USER_PIN=wrong-user-pin SIGIL_NEW_PIN="$NEW_PIN" seal pin change --seal demo
aj 3 "the auditor before the administrator set its PIN" audit tail
jc 'j["error"]["status"] == "USER_PIN_NOT_INITIALIZED" and "auditor pin set" in j["error"]["hint"]' "and what to do"
aj 0 "auditor pin set" auditor pin set
aj 3 "a wrong auditor PIN" SIGIL_AUDITOR_PIN=wrong-auditor-pin audit export --out "$T/trail.bin"
[ ! -e "$T/trail.bin" ] || fail "a refused export left a file"
expect_exit 3 "a wrong administrator PIN (text)" env SIGIL_ADMIN_PIN=wrong-admin-pin "$ADMIN" --appliance "unix:$SOCK" seal suspend --seal demo
grep_out "PIN incorrect \(PIN_INCORRECT\)" "the text gives the appliance's message"
grep_out "next: check the PIN given by SIGIL_ADMIN_PIN" "and what to do next"
no_pins "wrong PIN (text)"
same_as_before "wrong credentials"

# Secrets: never from the command line; without a variable, a file or a terminal: exit 2.
aj 2 "no PIN and no terminal" -u SIGIL_ADMIN_PIN --no-tty seal suspend --seal demo
jc '"SIGIL_ADMIN_PIN" in j["error"]["message"] + j["error"]["hint"] and "--admin-pin-file" in j["error"]["hint"]' \
  "names the variable and the file option"
printf '%s\n' "$ADMIN_PIN" >"$T/open.pin"
chmod 644 "$T/open.pin"
aj 2 "a PIN file anyone may read is refused" -u SIGIL_ADMIN_PIN seal suspend --seal demo --admin-pin-file "$T/open.pin"
jc '"chmod" in j["error"]["hint"]' "and how to fix it"
aj 2 "a missing PIN file" -u SIGIL_ADMIN_PIN seal suspend --seal demo --admin-pin-file "$T/none.pin"
aj 2 "--pin-file for a command that logs in as nobody" seal list --pin-file "$T/open.pin"
aj 2 "a new PIN too short" SIGIL_NEW_PIN=123 seal pin unblock --seal demo
same_as_before "secrets that could not be had"

# ---- an unknown seal: exit 5 ------------------------------------------------------------------------------

for c in "seal show" "seal keygen --type ec-p256" "seal csr --cn x" "seal cert show" "seal policy show" \
  "seal policy set --max-signatures 1" "seal suspend" "seal revoke --confirm nosuch" "seal pin change" \
  "seal pin unblock" "attest --out-dir $T" "backup create --out $T/x.bak"; do
  # shellcheck disable=SC2086
  aj 5 "unknown seal: $c" $c --seal nosuch
  jc 'j["error"]["kind"] == "not_found" and "nosuch" in j["error"]["message"] and "seal list" in j["error"]["hint"]' \
    "$c: not_found, naming the seal, and where to look"
done
aj 5 "a free slot is no seal" seal show --slot 15
aj 5 "no such slot" seal show --slot 999
aj 5 "no such key" seal csr --seal demo --key 0011223344 --cn x
aj 0 "a seal without a key" seal create --label empty
aj 5 "attest of a seal without a key" attest --seal empty --out-dir "$T"
aj 0 "seal list (empty is there now)" seal list
cp "$T/j.json" "$T/list-before.json"

# ---- certificates that do not match: exit 6; bad files: exit 7 ------------------------------------------

make_ca "$T/ca"
make_ca "$T/ca2"
aj 0 "csr demo" seal csr --seal demo --cn demo --out "$T/demo.csr"
aj 0 "csr other" seal csr --seal other --cn other --out "$T/other.csr"
ca_issue "$T/ca" "$T/demo.csr" "$T/demo.pem"
ca_issue "$T/ca" "$T/other.csr" "$T/other.pem"
aj 6 "a certificate for another seal's key" seal cert import --seal demo --cert "$T/other.pem"
jc 'j["error"]["kind"] == "mismatch" and "nothing imported" in j["error"]["message"] and "seal csr" in j["error"]["hint"]' \
  "mismatch, nothing imported, and what to do"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/self.key" -out "$T/self.pem" -days 1 \
  -subj "/CN=not the seal" 2>/dev/null
aj 6 "a certificate of a key the appliance never made" seal cert import --seal demo --cert "$T/self.pem"
aj 6 "a chain that does not certify the certificate" seal cert import --seal demo --cert "$T/demo.pem" --chain "$T/ca2/ca.pem"
jc '"does not certify" in j["error"]["message"]' "says the chain does not certify it"
aj 0 "no certificate stored by any of it" seal cert show --seal demo
jc 'j["certificates"] == []' "none"
printf 'not a certificate\n' >"$T/junk.pem"
aj 7 "a file that is no certificate" seal cert import --seal demo --cert "$T/junk.pem"
jc 'j["error"]["kind"] == "bad_file"' "bad_file"
aj 7 "a certificate file that does not exist" seal cert import --seal demo --cert "$T/none.pem"
aj 7 "an audit key file that holds no key" audit verify --in "$T/junk.pem" --key "$T/junk.pem"
aj 0 "device keys" device keys --audit-key-out "$T/audit.pem"
aj 7 "an audit trail that does not exist" audit verify --in "$T/none.bin" --key "$T/audit.pem"
aj 9 "a file that is no audit trail" audit verify --in "$T/junk.pem" --key "$T/audit.pem"
aj 0 "cert import of the right certificate" seal cert import --seal demo --cert "$T/demo.pem" --chain "$T/ca/ca.pem"
ca_issue "$T/ca2" "$T/demo.csr" "$T/demo2.pem"
aj 2 "a second certificate for the key needs --replace" seal cert import --seal demo --cert "$T/demo2.pem"
aj 0 "--replace" seal cert import --seal demo --cert "$T/demo2.pem" --replace
jc 'len(j["replaced"]) == 1' "the old certificate replaced"
aj 0 "seal cert show after --replace" seal cert show --seal demo
jc 'len([c for c in j["certificates"] if c["category"] == "seal"]) == 1 and "ca2" in [c for c in j["certificates"] if c["category"] == "seal"][0]["issuer"]' \
  "one seal certificate, the new one"
printf 'garbage' >"$T/junk.bak"
aj 7 "a corrupt backup file" backup restore --in "$T/junk.bak"
jc '"nothing restored" in j["error"]["message"]' "nothing restored"

# ---- confirmations --------------------------------------------------------------------------------------

aj 2 "revoke without confirmation and without a terminal" --no-tty seal revoke --seal demo
aj 2 "revoke with a wrong confirmation" seal revoke --seal demo --confirm other
aj 2 "zeroize with a wrong confirmation" zeroize --confirm 0000000000000000
jc '"nothing done" in j["error"]["message"]' "nothing done"
aj 2 "zeroize without confirmation and without a terminal" --no-tty zeroize
aj 2 "backup domain create --secret-out an existing file" backup domain create --secret-out "$T/junk.pem"
aj 0 "status: no domain made by it" status
jc 'j["backup_domain"] == "" and j["health"] == "ok" and j["seals_revoked"] == 0' "no domain, not zeroised, nothing revoked"
same_as_before "confirmations refused"

# ---- on a terminal: confirmations, new PINs asked twice, the backup domain secret ------------------------

printf "Type the seal's label (demo) to confirm: \tother\n" >"$T/pty1"
pty_expect 2 "revoke: a wrong label typed" "$T/pty1" seal revoke --seal demo
grep_out "does not match" "says it does not match"
same_as_before "a wrong confirmation typed"
printf "New PIN: \t$NEW_PIN\nRepeat the new PIN: \t$NEW_PIN-typo\n" >"$T/pty2"
pty_expect 2 "seal pin unblock: two different new PINs typed" "$T/pty2" seal pin unblock --seal demo
grep_out "differ" "says the entries differ"
printf "New PIN: \t$NEW_PIN\nRepeat the new PIN: \t$NEW_PIN\n" >"$T/pty3"
pty_expect 0 "seal pin unblock: the new PIN typed twice" "$T/pty3" seal pin unblock --seal demo
run "the module logs in with the PIN typed" p11 --token-label demo --login --pin "$NEW_PIN" -O
aj 0 "backup domain create --secret-out" backup domain create --secret-out "$T/domain.secret"
printf "Backup domain secret (64 hex digits): \t%s\n" "$(cat "$T/domain.secret")" >"$T/pty4"
pty_expect 0 "backup domain join: the secret typed" "$T/pty4" backup domain join
grep_out "already: nothing changed" "the same domain: nothing changed"
if grep -qF "$(cat "$T/domain.secret")" "$T/last.out"; then fail "the typed secret was echoed"; fi
pass "the typed secret is not echoed"
aj 0 "device keys" device keys
SERIAL=$(jv 'j["device_serial"]')
printf "to confirm: \t0000000000000000\n" >"$T/pty5"
pty_expect 2 "zeroize: a wrong serial typed" "$T/pty5" zeroize
printf "to confirm: \tempty\n" >"$T/pty6"
pty_expect 0 "revoke: the label typed" "$T/pty6" seal revoke --seal empty
aj 0 "status" status
jc 'j["health"] == "ok" and j["seals_revoked"] == 1 and j["device_serial"] == "'"$SERIAL"'"' "only 'empty' revoked; not zeroised"

finish
