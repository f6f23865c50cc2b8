#!/usr/bin/env bash
# test.sh — installs what is missing, builds with warnings as errors and runs every test:
#   1. build-test/       RelWithDebInfo, -Werror: all unit and integration tests (ctest)
#   2. build-test-asan/  Debug with AddressSanitizer + UndefinedBehaviorSanitizer: every test again,
#                        with the emulator, the module, sigil-admin and the test programs sanitized
#   3. build-test-tsan/  ThreadSanitizer: the concurrency tests only (robustness, issue 8; below)
# valgrind memcheck of the pkcs11-tool flows through the module runs in 1 (robustness_valgrind_*).
# This is what .ci/run runs. Exit 0 only when every run passes.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
JOBS=$(nproc)
LOGS=$ROOT/build-test-logs
mkdir -p "$LOGS"

section() { printf '\n======== %s ========\n' "$*"; }

section "dependencies"
bash scripts/install-deps.sh

section "build: build-test (warnings are errors)"
cmake -S . -B build-test -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSIGIL_WERROR=ON -DSIGIL_TEST_HOOKS=ON -DSIGIL_SANITIZE= >"$LOGS/configure.log" 2>&1 ||
  { cat "$LOGS/configure.log"; exit 1; }
cmake --build build-test -j "$JOBS" >"$LOGS/build.log" 2>&1 ||
  { tail -n 60 "$LOGS/build.log"; echo "test.sh: build failed (log: $LOGS/build.log)"; exit 1; }
echo "built (log: $LOGS/build.log)"

section "build: build-test-asan (address;undefined sanitizers)"
cmake -S . -B build-test-asan -DCMAKE_BUILD_TYPE=Debug -DSIGIL_WERROR=ON -DSIGIL_TEST_HOOKS=ON -DSIGIL_SANITIZE="address;undefined" \
  >"$LOGS/configure-asan.log" 2>&1 || { cat "$LOGS/configure-asan.log"; exit 1; }
cmake --build build-test-asan -j "$JOBS" >"$LOGS/build-asan.log" 2>&1 ||
  { tail -n 60 "$LOGS/build-asan.log"; echo "test.sh: sanitizer build failed (log: $LOGS/build-asan.log)"; exit 1; }
echo "built (log: $LOGS/build-asan.log)"

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

rc_all=0
section "ctest: all tests again under address;undefined sanitizers (build-test-asan)"
rc_asan=0
ctest --test-dir build-test-asan --output-on-failure -j "$JOBS" 2>&1 | tee "$LOGS/ctest-asan.log" || rc_asan=$?
grep -Eq 'tests passed, 0 tests failed out of [1-9]' "$LOGS/ctest-asan.log" || rc_asan=1

section "ctest: all unit and integration tests (build-test)"
rc_main=0
ctest --test-dir build-test --output-on-failure -j "$JOBS" 2>&1 | tee "$LOGS/ctest.log" || rc_main=$?
grep -Eq 'tests passed, 0 tests failed out of [1-9]' "$LOGS/ctest.log" || rc_main=1

# ---- robustness (issue 8): the concurrency tests under ThreadSanitizer, in a build of their own ----
TSAN_TESTS='^(unit_firmware_threads|unit_emu_release|robustness_overload|unit_module_sign|unit_module_badinput|unit_client|integration_concurrent_sign|robustness_fork_threads|robustness_restart_under_load)$'
section "build + ctest: build-test-tsan (thread sanitizer: concurrency tests)"
rc_tsan=0
if cmake -S . -B build-test-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSIGIL_WERROR=ON -DSIGIL_TEST_HOOKS=ON \
     -DSIGIL_SANITIZE=thread >"$LOGS/configure-tsan.log" 2>&1 &&
   cmake --build build-test-tsan -j "$JOBS" --target sigil-emu sigil-pkcs11 sigil-admin test_firmware_threads \
     test_module_sign test_module_badinput test_client concurrent_sign rob_fork_threads rob_restart_under_load \
     test_emu_release sigil-bench \
     >"$LOGS/build-tsan.log" 2>&1; then
  echo "built (log: $LOGS/build-tsan.log)"
  TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1} \
    ctest --test-dir build-test-tsan -R "$TSAN_TESTS" --output-on-failure -j "$JOBS" 2>&1 |
    tee "$LOGS/ctest-tsan.log" || rc_tsan=$?
  grep -Eq 'tests passed, 0 tests failed out of [1-9]' "$LOGS/ctest-tsan.log" || rc_tsan=1
else
  tail -n 60 "$LOGS/configure-tsan.log" "$LOGS/build-tsan.log"
  echo "test.sh: thread sanitizer build failed (logs: $LOGS/configure-tsan.log, $LOGS/build-tsan.log)"
  echo "0 tests passed, 1 tests failed out of 1" >"$LOGS/ctest-tsan.log"
  rc_tsan=1
fi
# ---- end of the ThreadSanitizer part ----

count() { sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\).*/\1 \2/p' "$1" | tail -n 1; }
read -r f1 n1 <<<"$(count "$LOGS/ctest.log") "
read -r f2 n2 <<<"$(count "$LOGS/ctest-asan.log") "
read -r f3 n3 <<<"$(count "$LOGS/ctest-tsan.log") "
f1=${f1:-0} n1=${n1:-0} f2=${f2:-0} n2=${n2:-0} f3=${f3:-0} n3=${n3:-0}
section "summary"
echo "build-test:      $((n1 - f1)) of $n1 tests passed (unit + integration)"
echo "build-test-asan: $((n2 - f2)) of $n2 tests passed under address;undefined (unit + integration)"
echo "build-test-tsan: $((n3 - f3)) of $n3 concurrency tests passed under thread"
[ "$rc_main" -eq 0 ] && [ "$rc_asan" -eq 0 ] && [ "$rc_tsan" -eq 0 ] || rc_all=1
echo "$((n1 - f1 + n2 - f2 + n3 - f3)) passed, $((f1 + f2 + f3)) failed"
exit "$rc_all"
