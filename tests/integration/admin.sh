#!/usr/bin/env bash
# admin.sh — sigil-admin against the emulator: init, status, seal create, seal list, with and
# without --json; exit codes 2 (usage), 3 (refused by the appliance), 4 (unreachable); PINs
# never printed; seals usable through the module; slot ids stable across a restart.
. "$(dirname "$0")/lib.sh"
need_cmd pkcs11-tool setsid

emu_start

with_pins() { env SIGIL_ADMIN_PIN="$ADMIN_PIN" SIGIL_SO_PIN="$SO_PIN" SIGIL_USER_PIN="$USER_PIN" "$@"; }

# No secret may ever appear in what sigil-admin prints.
no_secrets() {
  if grep -qF -e "$ADMIN_PIN" -e "$SO_PIN" -e "$USER_PIN" -e wrong-admin-pin "$T/last.out"; then
    show_last
    fail "$1: a PIN appears in sigil-admin's output"
  fi
}

# ---- usage errors: exit 2 -------------------------------------------------------------

expect_exit 2 "no command" "$ADMIN"
expect_exit 2 "unknown command" "$ADMIN" --appliance "unix:$SOCK" frobnicate
expect_exit 2 "unknown global option" "$ADMIN" --frobnicate status
expect_exit 2 "'seal' without a subcommand" "$ADMIN" --appliance "unix:$SOCK" seal
grep_out 'create' "the message lists the seal subcommands"
expect_exit 2 "seal create without --label" with_pins "$ADMIN" --appliance "unix:$SOCK" seal create
expect_exit 2 "a PIN on the command line is not an option" with_pins "$ADMIN" --appliance "unix:$SOCK" seal create --label x --pin="$USER_PIN"
no_secrets "a PIN on the command line is not echoed"
expect_exit 2 "a stray argument" "$ADMIN" --appliance "unix:$SOCK" seal create --label x "$USER_PIN"
no_secrets "a stray argument is not echoed"
expect_exit 2 "seal create with a label over 32 bytes" \
  with_pins "$ADMIN" --appliance "unix:$SOCK" seal create --label "$(printf 'x%.0s' $(seq 33))"
expect_exit 2 "status with an extra argument" "$ADMIN" --appliance "unix:$SOCK" status now
expect_exit 2 "--json usage error" "$ADMIN" --appliance "unix:$SOCK" --json seal create
json_check "$T/last.stdout" 'j["ok"] is False and j["error"]["exit_code"] == 2 and j["error"]["kind"] == "usage"' \
  "--json usage error is one JSON error object"
expect_exit 0 "help" "$ADMIN" help
grep_out 'seal create' "help lists seal create"
expect_exit 0 "help seal create" "$ADMIN" help seal create
grep_out 'SIGIL_SO_PIN' "help seal create names the PIN variables"

# ---- unreachable: exit 4 --------------------------------------------------------------------

expect_exit 4 "no appliance at the address" "$ADMIN" --appliance "unix:$T/nobody.sock" status
grep_out 'nobody.sock' "the message names the address"
expect_exit 4 "--json: no appliance at the address" "$ADMIN" --appliance "unix:$T/nobody.sock" --json status
json_check "$T/last.stdout" 'j["ok"] is False and j["error"]["exit_code"] == 4' "--json unreachable is one JSON error object"
expect_exit 4 "no appliance configured" env -u SIGIL_APPLIANCE SIGIL_PKCS11_CONF="$T/missing.conf" "$ADMIN" status
grep_out 'SIGIL_APPLIANCE' "the message says how to configure the appliance"
# The module's lookup: SIGIL_APPLIANCE, then the file named by SIGIL_PKCS11_CONF.
expect_exit 0 "status through SIGIL_APPLIANCE" env SIGIL_APPLIANCE="unix:$SOCK" "$ADMIN" status
printf 'appliance = unix:%s\n' "$SOCK" >"$T/pkcs11.conf"
expect_exit 0 "status through SIGIL_PKCS11_CONF" env -u SIGIL_APPLIANCE SIGIL_PKCS11_CONF="$T/pkcs11.conf" "$ADMIN" status

# ---- a fresh appliance ------------------------------------------------------------------------

expect_exit 0 "status --json before init" admin --json status
json_check "$T/last.stdout" 'j["ok"] is True and j["initialised"] is False' "a fresh appliance is not initialised"
json_check "$T/last.stdout" 'j["self_test_ok"] is True' "self-tests passed"
json_check "$T/last.stdout" 'j["slot_count"] >= 16 and j["slots_used"] == 0 and j["slots_free"] == j["slot_count"]' \
  "at least 16 seal slots, all free"
json_check "$T/last.stdout" 'isinstance(j["firmware_version"], str) and j["firmware_version"] != "" and j["crypto_backend"] != ""' \
  "firmware version and crypto backend are reported"
expect_exit 3 "seal create before init is refused" with_pins "$ADMIN" --appliance "unix:$SOCK" --json seal create --label early
json_check "$T/last.stdout" 'j["ok"] is False and j["error"]["exit_code"] == 3 and j["error"]["status"] == "APPLIANCE_NOT_INITIALIZED"' \
  "refused with APPLIANCE_NOT_INITIALIZED"

# Secrets: never from the command line; without the variable and without a terminal, exit 2.
expect_exit 2 "init without SIGIL_ADMIN_PIN and without a terminal" setsid -w "$ADMIN" --appliance "unix:$SOCK" init </dev/null
grep_out 'SIGIL_ADMIN_PIN' "the message names SIGIL_ADMIN_PIN"
expect_exit 2 "init with a PIN shorter than 4 bytes" env SIGIL_ADMIN_PIN=123 "$ADMIN" --appliance "unix:$SOCK" init

expect_exit 0 "init" with_pins "$ADMIN" --appliance "unix:$SOCK" --json init
no_secrets "init"
json_check "$T/last.stdout" 'j["ok"] is True and j["command"] == "init"' "init answers ok"
expect_exit 3 "a second init is refused" with_pins "$ADMIN" --appliance "unix:$SOCK" --json init
json_check "$T/last.stdout" 'j["error"]["status"] == "APPLIANCE_ALREADY_INITIALIZED"' "refused with APPLIANCE_ALREADY_INITIALIZED"
expect_exit 3 "a second init is refused (text)" with_pins "$ADMIN" --appliance "unix:$SOCK" init
grep_out 'already initialised' "the text says the appliance is initialised already"

# ---- seals ------------------------------------------------------------------------------------------

expect_exit 0 "seal create --label alpha" with_pins "$ADMIN" --appliance "unix:$SOCK" --json seal create --label alpha
no_secrets "seal create"
json_check "$T/last.stdout" 'j["ok"] is True and isinstance(j["slot"], int) and j["label"] == "alpha"' "seal alpha created"
slot_alpha=$(json_get "$T/last.stdout" 'j["slot"]')
expect_exit 0 "seal create --label beta (text)" with_pins "$ADMIN" --appliance "unix:$SOCK" seal create --label beta
grep_out "slot [0-9]+" "the text names the slot"
no_secrets "seal create (text)"
expect_exit 0 "seal create --label gamma --no-user-pin" \
  env SIGIL_ADMIN_PIN="$ADMIN_PIN" SIGIL_SO_PIN="$SO_PIN" "$ADMIN" --appliance "unix:$SOCK" --json seal create --label gamma --no-user-pin
json_check "$T/last.stdout" 'j["user_pin_set"] is False' "gamma has no user PIN"

# On a terminal: asked without echo, new PINs twice; entries that differ are refused (exit 2).
pty_create() { # LABEL USER_PIN_REPEAT -> exit code of sigil-admin; the terminal's text in $T/last.out
  python3 - "$ADMIN" "$SOCK" "$1" "$ADMIN_PIN" "$SO_PIN" "$USER_PIN" "$2" "$T/last.out" <<'PY'
import os, pty, sys, time
admin, sock, label, apin, so, user, user2, out_path = sys.argv[1:9]
pid, fd = pty.fork()
if pid == 0:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_PIN")}
    os.execve(admin, [admin, "--appliance", "unix:" + sock, "seal", "create", "--label", label], env)
out = b""
def read_until(s, t=10):
    global out
    end = time.time() + t
    while s not in out and time.time() < end:
        try:
            out += os.read(fd, 1024)
        except OSError:
            break
for prompt, answer in [("Appliance administrator PIN: ", apin), ("New seal administrator (SO) PIN: ", so),
                       ("Repeat the new seal administrator (SO) PIN: ", so), ("New seal user PIN: ", user),
                       ("Repeat the new seal user PIN: ", user2)]:
    read_until(prompt.encode())
    if prompt.encode() not in out:
        break
    os.write(fd, answer.encode() + b"\n")
read_until(b"\0", 5)
_, st = os.waitpid(pid, 0)
open(out_path, "wb").write(out)
sys.exit(os.waitstatus_to_exitcode(st))
PY
}
rc=0; pty_create typed "$USER_PIN" || rc=$?
[ "$rc" -eq 0 ] || { show_last; fail "seal create with PINs typed on a terminal: exit $rc"; }
grep_out 'Repeat the new seal user PIN' "new PINs are asked twice on the terminal"
no_secrets "PINs typed on a terminal are not echoed"
pass "PINs typed on a terminal: no echo, seal created"
rc=0; pty_create typo "$USER_PIN-typo" || rc=$?
[ "$rc" -eq 2 ] || { show_last; fail "two different entries of a new PIN: exit $rc, expected 2"; }
grep_out 'differ' "two different entries of a new PIN are refused (exit 2)"

expect_exit 3 "a wrong admin PIN is refused" env SIGIL_ADMIN_PIN=wrong-admin-pin SIGIL_SO_PIN="$SO_PIN" SIGIL_USER_PIN="$USER_PIN" \
  "$ADMIN" --appliance "unix:$SOCK" --json seal create --label delta
json_check "$T/last.stdout" 'j["error"]["status"] == "PIN_INCORRECT" and j["error"]["exit_code"] == 3' "refused with PIN_INCORRECT"
no_secrets "wrong admin PIN"
expect_exit 3 "a wrong admin PIN is refused (text)" env SIGIL_ADMIN_PIN=wrong-admin-pin SIGIL_SO_PIN="$SO_PIN" SIGIL_USER_PIN="$USER_PIN" \
  "$ADMIN" --appliance "unix:$SOCK" seal create --label delta
grep_out 'PIN incorrect' "the text gives the appliance's message"
grep_out 'next:' "the text says what to do next"
expect_exit 2 "a new SO PIN shorter than 4 bytes" env SIGIL_ADMIN_PIN="$ADMIN_PIN" SIGIL_SO_PIN=12 SIGIL_USER_PIN="$USER_PIN" \
  "$ADMIN" --appliance "unix:$SOCK" seal create --label delta

expect_exit 0 "seal list --json" admin --json seal list
json_check "$T/last.stdout" 'len(j["slots"]) >= 16 and len(j["slots"]) == j["slot_count"]' "seal list shows every slot"
json_check "$T/last.stdout" 'sorted(s["label"] for s in j["slots"] if s["initialised"]) == ["alpha", "beta", "gamma", "typed"]' \
  "exactly alpha, beta, gamma and typed are initialised"
json_check "$T/last.stdout" "[s for s in j['slots'] if s['label'] == 'alpha'][0]['slot'] == $slot_alpha" "alpha is in the slot create reported"
json_check "$T/last.stdout" 'all(s["user_pin_set"] == (s["label"] != "gamma") for s in j["slots"] if s["initialised"])' \
  "every seal but gamma has a user PIN"
json_check "$T/last.stdout" 'not any(s["user_pin_locked"] or s["so_pin_locked"] for s in j["slots"])' "nothing is locked"
json_check "$T/last.stdout" 'len({s["slot"] for s in j["slots"]}) == len(j["slots"])' "slot ids are unique"
cp "$T/last.stdout" "$T/list-before.json"
expect_exit 0 "seal list (text)" admin seal list
grep_out '^SLOT +LABEL' "the text has a header"
grep_out "^$slot_alpha +alpha +yes +yes +no" "the text shows alpha"

expect_exit 0 "status --json after creating seals" admin --json status
json_check "$T/last.stdout" 'j["initialised"] is True and j["slots_used"] == 4 and j["slots_free"] == j["slot_count"] - 4' \
  "status counts 4 used slots"
expect_exit 0 "status (text)" admin status
grep_out 'seal slots .*4 used' "the text counts 4 used slots"

# ---- the seals are PKCS#11 tokens ----------------------------------------------------------------

run "pkcs11-tool logs in to seal alpha with its user PIN" p11 --token-label alpha --login --pin "$USER_PIN" -O
run_fails "pkcs11-tool cannot log in to alpha with a wrong PIN" p11 --token-label alpha --login --pin wrong-pin-0000 -O
run "pkcs11-tool logs in to alpha as SO with its SO PIN" p11 --token-label alpha --session-rw --login --login-type so --so-pin "$SO_PIN" -O

# ---- restart: same seals in the same slots --------------------------------------------------------

emu_restart
expect_exit 0 "seal list --json after a restart" admin --json seal list
python3 - "$T/list-before.json" "$T/last.stdout" <<'PY' || fail "the seal list changed across the restart"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
strip = lambda j: [(s["slot"], s["label"], s["initialised"], s["user_pin_set"]) for s in j["slots"]]
sys.exit(0 if strip(a) == strip(b) else "before %s\nafter  %s" % (strip(a), strip(b)))
PY
pass "seals keep their slots, labels and PIN state across the restart"

finish
