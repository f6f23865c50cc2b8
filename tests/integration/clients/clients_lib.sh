# shellcheck shell=bash
# clients_lib.sh — shared by the real-client tests in tests/integration/clients/ (sourced, not run).
#
# Sources ../lib.sh (the emulator in a temporary directory $T, run/pass/fail, provisioning) and adds
# what the clients need: a way to run a client that loads the (possibly sanitized) module, tool
# checks that name the Debian package, seals with a key pair, certificates made through the
# OpenSSL pkcs11 engine, and a health check of the appliance after a client has finished.
#
# A client that is not installed is a failure, never a skip: scripts/install-deps.sh installs them.

# shellcheck source=../lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

# shellcheck disable=SC2034  # used by the tests that source this file
CLIENTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PKCS11_ENGINE=${SIGIL_TEST_PKCS11_ENGINE:-/usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so}
# Debian's interpreter: python3-pykcs11 and python3-cryptography install into its dist-packages
# (a python3 earlier in PATH, e.g. pyenv's, does not see them).
# shellcheck disable=SC2034
DEBIAN_PYTHON=${SIGIL_TEST_PYTHON:-/usr/bin/python3}

# need_tool COMMAND PACKAGE: COMMAND must be installed (it comes with Debian package PACKAGE).
need_tool() {
  command -v "$1" >/dev/null 2>&1 ||
    fail "'$1' is not installed: install the Debian package $2 (scripts/install-deps.sh does)"
}

# need_path PATH PACKAGE: a file that Debian package PACKAGE installs must exist.
need_path() {
  [ -e "$1" ] || fail "$1 does not exist: install the Debian package $2 (scripts/install-deps.sh does)"
}

# client CMD...: runs a client program that loads the module (client_env PROG prints the
# environment it needs, one NAME=VALUE a line). In an AddressSanitizer build the
# module needs the ASan runtime loaded first (clients.cmake passes it in SIGIL_TEST_PRELOAD, with
# libstdc++: a C program that later loads C++ code, e.g. Python with PyKCS11 or the JVM, otherwise
# aborts in ASan's __cxa_throw interceptor, "real___cxa_throw != 0"). Leak checking is left to the
# programs built with the sanitizer, not to the clients (NSS, the JVM, Python keep memory until
# exit by design).
#
# Programs linked with libp11-kit (GnuTLS's certtool and p11tool, p11-kit itself) cannot run with
# the ASan runtime preloaded: libp11-kit's constructor calls newlocale(), whose malloc() under
# glibc's __libc_setlocale_lock is the first one, so ASan initialises there and its dlerror() ->
# gettext takes the same lock: a deadlock ('certtool -i' on a file hangs too, without Sigil). They
# get the runtime when they load the sanitized module (its DT_NEEDED libasan, accepted with
# verify_asan_link_order=0): the module's stack, global and UB checks work; malloc stays libc's in
# a process the runtime joins late, so the module's heap blocks are not checked there (the other
# clients, pkcs11-tool and the C test programs cover them).
client_env() {
  [ -n "${SIGIL_TEST_PRELOAD:-}" ] || return 0
  local prog libs=
  prog=$(command -v "$1" 2>/dev/null || true)
  # (ldd's output in a variable: 'ldd | grep -q' under pipefail fails when grep quits early.)
  [ -n "$prog" ] && libs=$(ldd "$prog" 2>/dev/null || true)
  if [[ $libs == *libp11-kit.so* ]]; then
    echo "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0:verify_asan_link_order=0"
  else
    echo "LD_PRELOAD=$SIGIL_TEST_PRELOAD${LD_PRELOAD:+:$LD_PRELOAD}"
    echo "ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
  fi
}
client() {
  local envs=()
  mapfile -t envs < <(client_env "$1")
  if [ "${#envs[@]}" -eq 0 ]; then "$@"; else env "${envs[@]}" "$@"; fi
}

# finish_clients: the summary line with the run time.
finish_clients() {
  printf '%s: %d checks passed in %d s\n' "$TEST_NAME" "$CHECKS" "$SECONDS"
}

# ---- seals and keys ---------------------------------------------------------------------

# new_seal VAR LABEL: creates a seal (user PIN $USER_PIN) and stores its slot id in VAR.
new_seal() {
  local slot
  slot=$(create_seal "$2") || exit 1
  [ -n "$slot" ] || fail "sigil-admin seal create --label $2 printed no slot"
  printf -v "$1" '%s' "$slot"
  pass "seal $2 created in slot $slot"
}

# gen_keypair SLOT KEY-TYPE LABEL [ID]: a key pair generated inside the appliance through
# pkcs11-tool. Without ID the module gives both halves the SHA-1 of the public value (as OpenSC
# and NSS name keys).
gen_keypair() {
  local slot=$1 kt=$2 label=$3 id=${4:-}
  local idargs=()
  if [ -n "$id" ]; then idargs=(--id "$id"); fi
  run "generate $kt key pair '$label' in slot $slot" p11 --slot "$slot" --login --pin "$USER_PIN" \
    --keypairgen --key-type "$kt" --label "$label" "${idargs[@]}" --usage-sign
}

# key_id SLOT LABEL: prints the CKA_ID (hex) of the private key labelled LABEL.
key_id() {
  p11 --slot "$1" --login --pin "$USER_PIN" -O --type privkey --label "$2" >"$T/last.out" 2>&1 ||
    { show_last; fail "cannot list private key $2 in slot $1"; }
  local id
  id=$(awk '/^ *ID: */ { print $2; exit }' "$T/last.out")
  [ -n "$id" ] || { show_last; fail "private key $2 in slot $1 has no CKA_ID"; }
  echo "$id"
}

# cert_to_token SLOT ID LABEL PEM: stores the certificate as a token object (CKO_CERTIFICATE,
# CKA_ID = the key's id so that applications pair key and certificate).
cert_to_token() {
  local slot=$1 id=$2 label=$3 pem=$4 der
  der=$T/$(basename "$4" .pem).der
  openssl x509 -in "$pem" -outform DER -out "$der" || fail "cannot convert $pem to DER"
  run "store certificate '$label' (id $id) on the token in slot $slot" p11 --slot "$slot" --login \
    --pin "$USER_PIN" --write-object "$der" --type cert --id "$id" --label "$label"
}

# ---- OpenSSL through the pkcs11 engine (libp11) -----------------------------------------

# engine_conf FILE: an OpenSSL configuration that loads the pkcs11 engine with the module.
engine_conf() {
  cat >"$1" <<EOF
openssl_conf = openssl_init
[openssl_init]
engines = engine_section
[engine_section]
pkcs11 = pkcs11_section
[pkcs11_section]
engine_id = pkcs11
dynamic_path = $PKCS11_ENGINE
MODULE_PATH = $MODULE
init = 0
[req]
distinguished_name = req_dn
[req_dn]
EOF
}

# ossl_engine ARGS...: openssl with the engine configuration $T/openssl-pkcs11.cnf.
ossl_engine() {
  [ -f "$T/openssl-pkcs11.cnf" ] || engine_conf "$T/openssl-pkcs11.cnf"
  OPENSSL_CONF=$T/openssl-pkcs11.cnf client openssl "$@"
}

# key_url TOKEN OBJECT: the RFC 7512 URL of a private key, with the user PIN.
key_url() { printf 'pkcs11:token=%s;object=%s;type=private;pin-value=%s' "$1" "$2" "$USER_PIN"; }

# selfsigned_cert TOKEN OBJECT SUBJECT OUT.pem [openssl req -addext ARGS...]: a self-signed v3
# certificate made with the token's key through the engine.
selfsigned_cert() {
  local tok=$1 obj=$2 subj=$3 out=$4; shift 4
  run "self-signed certificate for $tok/$obj (openssl req -x509 through the engine)" \
    ossl_engine req -new -x509 -engine pkcs11 -keyform engine -key "$(key_url "$tok" "$obj")" \
    -subj "$subj" -days 730 -sha256 "$@" -out "$out"
}

# make_ca DIR: a throwaway software CA (EC P-256) in DIR: DIR/ca.key, DIR/ca.pem.
make_ca() {
  mkdir -p "$1"
  run "throwaway CA" openssl req -new -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$1/ca.key" -subj "/CN=Sigil test CA/O=Sigil tests" -days 3650 \
    -addext basicConstraints=critical,CA:true -addext keyUsage=critical,keyCertSign,cRLSign -out "$1/ca.pem"
}

# ca_issue CADIR TOKEN OBJECT SUBJECT EXTFILE OUT.pem: a certificate request signed by the
# token's key (through the engine), issued by the CA with the extensions in EXTFILE.
ca_issue() {
  local ca=$1 tok=$2 obj=$3 subj=$4 ext=$5 out=$6
  run "certificate request for $tok/$obj (through the engine)" \
    ossl_engine req -new -engine pkcs11 -keyform engine -key "$(key_url "$tok" "$obj")" -subj "$subj" \
    -sha256 -out "$out.csr"
  run "the request's self-signature verifies" openssl req -in "$out.csr" -verify -noout
  run "CA issues the certificate for $tok/$obj" openssl x509 -req -in "$out.csr" -CA "$ca/ca.pem" \
    -CAkey "$ca/ca.key" -CAcreateserial -days 730 -sha256 -extfile "$ext" -out "$out"
}

# ---- the appliance after a client -------------------------------------------------------

# appliance_healthy WHAT: the emulator is still running and answers 'sigil-admin status' with
# health ok (after WHAT).
appliance_healthy() {
  [ -n "$EMU_PID" ] && kill -0 "$EMU_PID" 2>/dev/null || fail "sigil-emu is no longer running after $1"
  if ! admin --json status >"$T/status.json" 2>"$T/last.out"; then
    cat "$T/status.json" >>"$T/last.out"
    show_last
    fail "sigil-admin status failed after $1"
  fi
  json_check "$T/status.json" 'j["ok"] and j["health"] == "ok" and j["self_test_ok"]' \
    "the appliance is healthy after $1"
}
