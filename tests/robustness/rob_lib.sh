# rob_lib.sh — shared by the robustness tests (sourced after tests/integration/lib.sh).
#
# Sanitizer builds run the same tests shorter: robustness.cmake sets SIGIL_ROB_SANITIZED=1
# there, and each test says which of its figures it scales.

ROB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROB_SANITIZED=${SIGIL_ROB_SANITIZED:-0}

# rob_py SCRIPT ARGS...: a python3 helper of this directory.
rob_py() { python3 "$ROB_DIR/$1" "${@:2}"; }

# need_py_module NAME: python3 must be able to import NAME.
need_py_module() {
  python3 -c "import $1" 2>/dev/null || fail "python3 module '$1' is missing (run scripts/install-deps.sh)"
}

# emu_status_json FILE: 'sigil-admin --json status' into FILE.
emu_status_json() {
  admin --json status >"$1" 2>"$T/last.out" || { show_last; fail "sigil-admin status failed"; }
}

# emu_rss_kib PID, emu_fds PID, emu_threads PID: the emulator's resident memory, open
# descriptors and threads, from /proc.
emu_rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }
emu_fds() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
emu_threads() { awk '/^Threads:/ {print $2}' "/proc/$1/status"; }
