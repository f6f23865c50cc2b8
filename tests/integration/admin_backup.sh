#!/usr/bin/env bash
# admin_backup.sh — backup and restore with sigil-admin across emulators of one backup domain:
# domain create (secret shown once, to a file) | join (file, environment); backup create of every
# seal; restore refused without the domain, in another domain, from a corrupt, truncated or forged
# file, with a wrong PIN — each leaving the appliance as it was; restore into a second emulator,
# where the seal signs with its keys (OpenSSL through the module) and the signature verifies with
# the certificate issued on the first; a second restore changes nothing; a revoked seal is neither
# backed up nor revived by a restore; an interrupted restore (the connection cut in the middle)
# leaves no half-restored seal and is completed by running it again.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/admin_lib.sh"

emu_start
A_SOCK=$SOCK

# ---- appliance A: two seals, one with a certificate --------------------------------------------------

aj 0 "A: init" init
aj 0 "A: seal create alpha" seal create --label alpha
aj 0 "A: keygen alpha" seal keygen --seal alpha --type ec-p256
ALPHA_URI=$(jv 'j["uri"]')
aj 0 "A: seal create beta" seal create --label beta
aj 0 "A: keygen beta" seal keygen --seal beta --type rsa2048
aj 0 "A: seal csr alpha" seal csr --seal alpha --country PL --org Acme --org-id VATPL-1234567890 --cn "Acme seal" --out "$T/alpha.csr"
make_ca "$T/ca"
ca_issue "$T/ca" "$T/alpha.csr" "$T/alpha.pem"
aj 0 "A: cert import alpha" seal cert import --seal alpha --cert "$T/alpha.pem" --chain "$T/ca/ca.pem"
aj 0 "A: policy of alpha" seal policy set --seal alpha --max-signatures 1000 --mechanisms ecdsa
aj 0 "A: seal list" seal list
ALPHA_SERIAL=$(jv '[s for s in j["slots"] if s["label"] == "alpha"][0]["serial"]')
BETA_SERIAL=$(jv '[s for s in j["slots"] if s["label"] == "beta"][0]["serial"]')

printf 'sealed on A\n' >"$T/doc.txt"
run "A: alpha signs" cms_sign "$ALPHA_URI" "$USER_PIN" "$T/alpha.pem" "$T/doc.txt" "$T/a.p7s"

aj 3 "A: backup create without a domain" backup create --out "$T/none.bak"
jc 'j["error"]["status"] == "NO_BACKUP_DOMAIN" and "domain create" in j["error"]["hint"]' "NO_BACKUP_DOMAIN, and what to do"
[ ! -e "$T/none.bak" ] || fail "a failed backup left a file"
pass "no file written"
aj 0 "A: backup domain create --secret-out" backup domain create --secret-out "$T/domain.secret"
DOMAIN=$(jv 'j["domain_id"]')
jc '"secret" not in j and j["secret_file"] == "'"$T/domain.secret"'"' "the secret is in the file, not in the output"
[ "$(stat -c %a "$T/domain.secret")" = 600 ] || fail "the secret file is not mode 0600"
grep -Eqx '[0-9a-f]{64}' "$T/domain.secret" || fail "the secret file does not hold 64 hex digits"
pass "the secret file: mode 0600, 64 hex digits"
aj 2 "A: a second domain needs --force" backup domain create
aj 2 "A: --secret-out never overwrites" backup domain create --force --secret-out "$T/domain.secret"
aj 0 "A: status shows the domain" status
jc 'j["backup_domain"] == "'"$DOMAIN"'"' "the domain id"
aj 0 "A: backup create" backup create --out "$T/seals.bak"
jc 'sorted(s["label"] for s in j["seals"]) == ["alpha", "beta"] and j["domain_id"] == "'"$DOMAIN"'"' "both seals"
[ "$(stat -c %a "$T/seals.bak")" = 600 ] || fail "the backup file is not mode 0600"
pass "the backup file is mode 0600"
aj 0 "A: backup create --seal alpha" backup create --seal alpha --out "$T/alpha.bak"
jc '[s["label"] for s in j["seals"]] == ["alpha"]' "alpha alone"
expect_exit 0 "A: backup create (text, progress)" "$ADMIN" --appliance "unix:$A_SOCK" --progress backup create --out "$T/seals2.bak"
grep -q "backing up seals" "$T/last.stderr" || { show_last; fail "no progress for a backup of several seals"; }
pass "progress on stderr"
# The file alone reveals no key: no private key material in clear (the RSA key's modulus is public;
# check that no DER private key structure and no PEM appear).
if grep -qa -e "PRIVATE KEY" "$T/seals.bak"; then fail "the backup file holds a private key in clear"; fi
pass "no private key in clear in the file"

# ---- appliance B: restore ---------------------------------------------------------------------------

emu2_start b
AJ_SOCK=$T/b/sock
aj 0 "B: init" init
aj 3 "B: restore without a domain" backup restore --in "$T/seals.bak"
jc 'j["error"]["status"] == "NO_BACKUP_DOMAIN"' "NO_BACKUP_DOMAIN"
aj 0 "B: a domain of its own" backup domain create
aj 3 "B: restore in another domain" backup restore --in "$T/seals.bak"
jc 'j["error"]["status"] == "BACKUP_WRONG_DOMAIN" and "domain join" in j["error"]["hint"]' "BACKUP_WRONG_DOMAIN, and what to do"
aj 2 "B: joining A's domain needs --force" SIGIL_BACKUP_SECRET="$(cat "$T/domain.secret")" backup domain join
aj 2 "B: a secret that is not 64 hex digits" SIGIL_BACKUP_SECRET=1234 backup domain join --force
aj 0 "B: backup domain join --force (secret from SIGIL_BACKUP_SECRET)" SIGIL_BACKUP_SECRET="$(cat "$T/domain.secret")" \
  backup domain join --force
jc 'j["domain_id"] == "'"$DOMAIN"'" and j["changed"] is True' "B is in A's domain"
aj 0 "B: join again from the file: nothing changes" backup domain join --secret-file "$T/domain.secret"
jc 'j["changed"] is False' "unchanged"
if grep -qF "$(cat "$T/domain.secret")" "$T/last.out"; then fail "the domain secret appears in the output of join"; fi

# Bad files: refused before anything changes.
cp "$T/seals.bak" "$T/corrupt.bak"
python3 - "$T/corrupt.bak" <<'PY'
import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[len(b) // 2] ^= 0x10; open(p, "wb").write(bytes(b))
PY
aj 7 "B: a corrupt backup file" backup restore --in "$T/corrupt.bak"
jc 'j["error"]["kind"] == "bad_file" and "corrupt" in j["error"]["message"]' "bad_file: corrupt"
head -c 1000 "$T/seals.bak" >"$T/short.bak"
aj 7 "B: a truncated backup file" backup restore --in "$T/short.bak"
aj 7 "B: not a backup file" backup restore --in "$T/alpha.pem"
aj 7 "B: no such file" backup restore --in "$T/nothing.bak"
# Forged: a byte of the first seal's encrypted blob changed and the file's checksum recomputed:
# the appliance finds it (AES-GCM) and refuses.
python3 - "$T/seals.bak" "$T/forged.bak" <<'PY'
import hashlib, sys
b = bytearray(open(sys.argv[1], "rb").read())
body = b[:-32]
body[200] ^= 0x01  # inside alpha's blob, the first of the file
open(sys.argv[2], "wb").write(bytes(body) + hashlib.sha256(bytes(body)).digest())
PY
aj 7 "B: a forged backup (checksum recomputed)" backup restore --in "$T/forged.bak"
jc 'j["error"]["status"] == "INTEGRITY_FAILURE"' "INTEGRITY_FAILURE from the appliance"
aj 3 "B: restore with a wrong administrator PIN" SIGIL_ADMIN_PIN=wrong-admin-pin backup restore --in "$T/seals.bak"
jc 'j["error"]["status"] == "PIN_INCORRECT"' "PIN_INCORRECT"
aj 0 "B: still no seal" status
jc 'j["slots_used"] == 0' "nothing was restored by the failures"

aj 0 "B: backup restore" backup restore --in "$T/seals.bak"
jc 'sorted((s["label"], s["result"]) for s in j["seals"]) == [("alpha", "restored"), ("beta", "restored")] and j["restored"] == 2' "both restored"
aj 0 "B: seal list" seal list
jc '[s for s in j["slots"] if s["label"] == "alpha"][0]["serial"] == "'"$ALPHA_SERIAL"'"' "alpha keeps its serial"
jc '[s for s in j["slots"] if s["label"] == "beta"][0]["serial"] == "'"$BETA_SERIAL"'"' "beta keeps its serial"
aj 0 "B: seal show alpha" seal show --seal alpha
jc 'j["keys"][0]["uri"] == "'"$ALPHA_URI"'"' "the same PKCS#11 URI on B"
jc 'j["policy"]["max_signatures_per_login"] == 1000 and j["policy"]["mechanisms"] == "ecdsa" and j["policy"]["signatures"] >= 1' "policy and counter restored"
aj 0 "B: seal cert show alpha" seal cert show --seal alpha
jc 'len(j["certificates"]) == 2 and any(c["matches_key"] for c in j["certificates"])' "certificates restored"
run "B: alpha signs (its PINs and key came along)" cms_sign "$ALPHA_URI" "$USER_PIN" "$T/alpha.pem" "$T/doc.txt" "$T/b.p7s"
run "the signature made on B verifies with the certificate issued on A" cms_verify "$T/ca/ca.pem" "$T/doc.txt" "$T/b.p7s"
aj 0 "B: restoring again changes nothing" backup restore --in "$T/seals.bak"
jc 'all(s["result"] == "already_present" for s in j["seals"]) and j["restored"] == 0' "already present"
aj 0 "B: status" status
jc 'j["slots_used"] == 2' "still two seals"

# A revoked seal is never revived by a restore.
aj 0 "B: revoke alpha" seal revoke --seal alpha --confirm alpha
aj 0 "B: restore the backup again" backup restore --in "$T/seals.bak"
jc 'all(s["result"] == "already_present" for s in j["seals"])' "nothing restored over it"
aj 0 "B: alpha stays revoked" seal policy show --seal alpha
jc 'j["state"] == "revoked"' "revoked"
run_fails "B: the revoked alpha does not sign" cms_sign "$ALPHA_URI" "$USER_PIN" "$T/alpha.pem" "$T/doc.txt" "$T/bad.p7s"
aj 0 "B: a backup skips the revoked seal" backup create --out "$T/b.bak"
jc '[s["label"] for s in j["seals"]] == ["beta"] and [s["label"] for s in j["skipped"]] == ["alpha"]' "alpha skipped: revoked"
aj 3 "B: backup create --seal of a revoked seal" backup create --seal alpha --out "$T/b2.bak"
jc 'j["error"]["status"] == "SEAL_REVOKED"' "SEAL_REVOKED"
emu2_stop b

# ---- appliance C: an interrupted restore --------------------------------------------------------------

emu2_start c
AJ_SOCK=$T/c/sock
aj 0 "C: init" init
aj 0 "C: join" backup domain join --secret-file "$T/domain.secret"
# A relay between sigil-admin and C that cuts the connection when the second BACKUP_RESTORE
# request comes (before C sees it).
python3 - "$T/c/sock" "$T/cut.sock" >"$T/relay.log" 2>&1 <<'PY' &
import os, socket, struct, sys, threading
target, path = sys.argv[1:3]
restores = 0
lock = threading.Lock()
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(8)
def pump_back(up, down):
    try:
        while True:
            d = up.recv(65536)
            if not d:
                break
            down.sendall(d)
    except OSError:
        pass
    for s in (up, down):
        try: s.shutdown(socket.SHUT_RDWR)
        except OSError: pass
def recv_exact(s, n):
    b = b""
    while len(b) < n:
        d = s.recv(n - len(b))
        if not d:
            raise EOFError
        b += d
    return b
def serve(down):
    global restores
    up = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    up.connect(target)
    threading.Thread(target=pump_back, args=(up, down), daemon=True).start()
    try:
        while True:
            hdr = recv_exact(down, 16)
            body_len, op = struct.unpack(">I", hdr[:4])[0], struct.unpack(">H", hdr[6:8])[0]
            body = recv_exact(down, body_len)
            if op == 0x0083:
                with lock:
                    restores += 1
                    n = restores
                if n == 2:
                    print("cutting at restore", n, flush=True)
                    raise EOFError
            up.sendall(hdr + body)
    except (EOFError, OSError):
        pass
    for s in (up, down):
        try: s.shutdown(socket.SHUT_RDWR)
        except OSError: pass
        s.close()
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
RELAY=$!
ADMIN_BG_PIDS+=("$RELAY")
for _ in $(seq 100); do [ -S "$T/cut.sock" ] && break; sleep 0.1; done
AJ_SOCK=$T/cut.sock
aj 8 "C: a restore interrupted after the first seal" backup restore --in "$T/seals.bak"
jc 'j["error"]["kind"] == "interrupted" and "again" in j["error"]["hint"]' "interrupted, and run it again"
jc 'sorted(s["result"] for s in j["seals"]) == ["not_restored", "restored"]' "one restored, one not"
kill "$RELAY" 2>/dev/null || true
wait "$RELAY" 2>/dev/null || true
grep -q "cutting at restore 2" "$T/relay.log" || fail "the relay did not cut the connection"
AJ_SOCK=$T/c/sock
aj 0 "C: seal list after the interruption" seal list
jc 'len([s for s in j["slots"] if s["initialised"]]) == 1' "one seal, nothing half-restored"
aj 0 "C: the same restore again completes it" backup restore --in "$T/seals.bak"
jc 'sorted(s["result"] for s in j["seals"]) == ["already_present", "restored"] and j["restored"] == 1' "the other seal restored"
aj 0 "C: status" status
jc 'j["slots_used"] == 2' "both seals on C"
AJ_SOCK=$A_SOCK
aj 0 "A: unchanged by all this" seal list
jc 'sorted(s["label"] for s in j["slots"] if s["initialised"]) == ["alpha", "beta"] and all(s["state"] == "active" for s in j["slots"] if s["initialised"])' "A's seals active"

finish
