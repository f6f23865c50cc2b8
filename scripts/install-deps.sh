#!/usr/bin/env bash
# install-deps.sh — installs every Debian 12 package Sigil needs to build and test.
# Idempotent: installs only what is missing, runs 'apt-get update' only when needed.
# Run as root (or with sudo). Fails loudly when a package cannot be installed.
set -euo pipefail

packages=(
  build-essential cmake pkg-config          # toolchain
  libssl-dev libmbedtls-dev libcmocka-dev    # OpenSSL 3, mbedTLS 2.28, CMocka
  libp11-kit-dev p11-kit                     # the PKCS#11 header; p11-kit
  softhsm2 opensc                            # SoftHSMv2 (comparison token), pkcs11-tool
  libengine-pkcs11-openssl openssl           # OpenSSL and its pkcs11 engine (libp11)
  gnutls-bin libnss3-tools python3           # other clients for interoperability tests
  poppler-utils                              # pdfsig (NSS): tests/integration/clients/nss_pdf.sh
  openjdk-17-jdk-headless                    # keytool, jarsigner, jar (SunPKCS11): clients/java.sh
  python3-pykcs11 python3-cryptography       # PyKCS11 threads, verification: clients/pykcs11.py
  valgrind                                   # memcheck of the pkcs11-tool flows (tests/robustness)
)

missing=()
for p in "${packages[@]}"; do
  if [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" != "installed" ]; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages are installed"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "install-deps: missing packages: ${missing[*]}" >&2
    echo "install-deps: run this script as root to install them" >&2
    exit 1
  fi
else
  SUDO=()
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-deps: installing ${missing[*]}"
# Update the package lists only when they are absent or apt cannot find a missing package.
need_update=0
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -print -quit 2>/dev/null)" ]; then
  need_update=1
else
  for p in "${missing[@]}"; do
    if ! apt-cache show "$p" >/dev/null 2>&1; then need_update=1; break; fi
  done
fi
if [ "$need_update" -eq 1 ]; then
  "${SUDO[@]}" apt-get update -qq
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
install() { "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$log" 2>&1; }
if ! install; then
  # Stale package lists name versions the mirror no longer has: refresh once and retry.
  if [ "$need_update" -eq 0 ] && "${SUDO[@]}" apt-get update -qq && install; then
    :
  else
    cat "$log" >&2
    echo "install-deps: apt-get install failed for: ${missing[*]}" >&2
    exit 1
  fi
fi
echo "install-deps: done"
