#!/usr/bin/env bash
# p11kit.sh — p11-kit (Debian packages p11-kit, p11-kit-modules) finds Sigil through a module file:
# module/install/sigil.module.in (what 'cmake --install' puts in /usr/share/p11-kit/modules) with the
# path of this build's module, in a user's p11-kit configuration (~/.config/pkcs11/modules with
# HOME a temporary directory, so the machine's configuration is not touched).
#
#   p11-kit list-modules                  lists 'sigil' with its library and the seal's token
#   p11tool --list-tokens / --list-all    GnuTLS, through p11-kit (no --provider), sees the seal
#   pkcs11-tool --module p11-kit-proxy.so every p11-kit-proxy user sees the seal; a signature made
#                                         through the proxy verifies with openssl
#   critical: no                          without an appliance address Sigil's C_Initialize fails and
#                                         p11-kit goes on with the other modules (exit 0)
#
# p11-kit ignores the user configuration in programs running as root ("skipping user config in
# program running as root"). As root (CI), the p11-kit clients therefore run as the unprivileged
# user nobody (setpriv) with the group of the emulator's socket, which is how a real user gets
# access to the appliance (specs: access is governed by the socket's file permissions).
. "$(dirname "$0")/clients_lib.sh"
need_tool p11-kit p11-kit
need_tool p11tool gnutls-bin
need_tool pkcs11-tool opensc
P11KIT_PROXY=/usr/lib/x86_64-linux-gnu/p11-kit-proxy.so
need_path "$P11KIT_PROXY" p11-kit-modules
MODULE_IN=$CLIENTS_DIR/../../../module/install/sigil.module.in
[ -f "$MODULE_IN" ] || fail "$MODULE_IN does not exist (the p11-kit module file the install step uses)"

emu_start
provision_appliance
new_seal SLOT p11kit-seal
gen_keypair "$SLOT" EC:prime256v1 ec-seal 01

# ---- who runs the p11-kit clients --------------------------------------------------------------

AS_USER=()
if [ "$(id -u)" -eq 0 ]; then
  need_tool setpriv util-linux
  sock_gid=$(stat -c %g "$SOCK")
  AS_USER=(setpriv --reuid=65534 --regid="$sock_gid" --clear-groups --)
  # The user needs to reach the socket inside $T (the group may traverse $T, nothing more).
  chmod g+x "$T"
  "${AS_USER[@]}" test -w "$SOCK" ||
    fail "cannot run a program as uid 65534 with gid $sock_gid (setpriv) that may use the socket $SOCK" \
      "(no CAP_SETUID, or a parent of $T closed to it?)"
  note "root: p11-kit clients run as uid 65534, gid $sock_gid (the socket's group)"
fi
# The user must be able to read the module; if the build tree is closed to it (e.g. under /root),
# it gets a copy of the same file.
P11KIT_MODULE=$MODULE
if ! "${AS_USER[@]}" test -r "$MODULE"; then
  mkdir -p "$T/lib"
  cp "$MODULE" "$T/lib/libsigil-pkcs11.so"
  chmod 0755 "$T/lib" "$T/lib/libsigil-pkcs11.so"
  P11KIT_MODULE=$T/lib/libsigil-pkcs11.so
  note "the build's module is not readable by the p11-kit user: using a copy, $P11KIT_MODULE"
fi

HOMEDIR=$T/home
OUT=$T/out  # where the p11-kit user writes
mkdir -p "$OUT" && chmod 0777 "$OUT"
mkdir -p "$HOMEDIR/.config/pkcs11/modules"
sed "s|@SIGIL_MODULE_PATH@|$P11KIT_MODULE|" "$MODULE_IN" >"$HOMEDIR/.config/pkcs11/modules/sigil.module"
grep -q '^module: /' "$HOMEDIR/.config/pkcs11/modules/sigil.module" || fail "sigil.module names no absolute module path"
grep -q '^critical: no' "$HOMEDIR/.config/pkcs11/modules/sigil.module" || fail "sigil.module is not 'critical: no'"
chmod -R a+rX "$HOMEDIR"
pass "p11-kit module file $HOMEDIR/.config/pkcs11/modules/sigil.module -> $P11KIT_MODULE"

# user PROG ARGS...: PROG as the p11-kit user with the temporary HOME, the ASan runtime if needed
# (clients_lib.sh) and the variables in USER_ENV (env arguments).
USER_ENV=()
user() {
  local envs=()
  mapfile -t envs < <(client_env "$1")
  env "${USER_ENV[@]}" "${envs[@]}" HOME="$HOMEDIR" XDG_CONFIG_HOME="$HOMEDIR/.config" "${AS_USER[@]}" "$@"
}

# ---- p11-kit list-modules ----------------------------------------------------------------------

run "p11-kit list-modules" user p11-kit list-modules
grep_out "^sigil: $P11KIT_MODULE\$" "p11-kit lists the module 'sigil' with its path"
grep_out 'library-manufacturer: Sigil' "p11-kit shows the library manufacturer Sigil"
grep_out 'library-description: Sigil seal appliance module' "p11-kit shows the library description"
grep_out '^    token: p11kit-seal$' "p11-kit lists the seal's token"
awk '/^sigil:/ { s = 1; next } /^[^ ]/ { s = 0 } s' "$T/last.out" >"$T/sigil-section"
grep -q 'manufacturer: Sigil' "$T/sigil-section" && grep -q 'model: sigil-emu' "$T/sigil-section" ||
  { show_last; fail "the sigil module's tokens have no manufacturer Sigil / model sigil-emu"; }
pass "the seal's token has manufacturer Sigil and model sigil-emu"

# ---- GnuTLS through p11-kit ------------------------------------------------------------------------

run "p11tool --list-tokens (through p11-kit)" user p11tool --list-tokens
grep_out 'Label: p11kit-seal$' "p11tool finds the seal through p11-kit"
grep_out 'URL: pkcs11:model=sigil-emu;manufacturer=Sigil;serial=[0-9a-f]+;token=p11kit-seal' "p11tool gives the seal's URL"
run "p11tool --list-all pkcs11:token=p11kit-seal (through p11-kit)" user p11tool --list-all "pkcs11:token=p11kit-seal"
grep_out 'token=p11kit-seal;id=%01;object=ec-seal;type=public' "p11tool lists the seal's public key through p11-kit"
USER_ENV=(GNUTLS_PIN="$USER_PIN")
run "p11tool --export-pubkey (through p11-kit)" user p11tool --login --export-pubkey \
  "pkcs11:token=p11kit-seal;object=ec-seal;type=private" --outfile "$OUT/ec.pub.pem"
USER_ENV=()

# ---- any p11-kit-proxy user ------------------------------------------------------------------------

run "pkcs11-tool --module p11-kit-proxy.so -L" user pkcs11-tool --module "$P11KIT_PROXY" -L
grep_out 'token label *: p11kit-seal' "the p11-kit proxy offers the seal"
grep_out 'token manufacturer *: Sigil' "the p11-kit proxy shows the manufacturer Sigil"
printf 'signed through the p11-kit proxy\n' >"$T/msg"
chmod a+r "$T/msg"
run "sign through the p11-kit proxy" user pkcs11-tool --module "$P11KIT_PROXY" --token-label p11kit-seal --login \
  --pin "$USER_PIN" --sign -m ECDSA-SHA256 --id 01 -i "$T/msg" -o "$OUT/msg.sig" --signature-format openssl
run "openssl verifies the signature made through the proxy" openssl dgst -sha256 -verify "$OUT/ec.pub.pem" \
  -signature "$OUT/msg.sig" "$T/msg"

# ---- critical: no ----------------------------------------------------------------------------------

# No appliance address (the variable unset, the configuration file empty): Sigil's C_Initialize
# fails, p11-kit must carry on with the other modules.
: >"$T/empty.conf"
chmod a+r "$T/empty.conf"
USER_ENV=(-u SIGIL_APPLIANCE SIGIL_PKCS11_CONF="$T/empty.conf")
run "p11-kit list-modules without an appliance address" user p11-kit list-modules
grep_out '^p11-kit-trust: ' "p11-kit still lists its other modules"
grep_out 'sigil-pkcs11: no appliance configured' "the module says why it cannot initialise"
if grep -q 'token: p11kit-seal' "$T/last.out"; then show_last; fail "the seal is listed without an appliance"; fi
pass "without an appliance address Sigil is skipped, not fatal (critical: no)"
run "p11tool --list-tokens without an appliance address" user p11tool --list-tokens
USER_ENV=()

appliance_healthy "the p11-kit clients"
finish_clients
