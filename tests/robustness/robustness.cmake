# Robustness tests (issue 8: crash consistency, hostile clients, restart under load, fork and
# threads, resource hygiene, corrupted state). Included by tests/CMakeLists.txt. Every test
# starts its own emulator in its own directory (tests/integration/lib.sh); ctest names
# robustness_*, label robustness. specs/testplan.md maps the requirements to these tests.

set(SIGIL_ROB_DIR ${CMAKE_CURRENT_LIST_DIR})

# The crash-point injector: an LD_PRELOAD library for sigil-emu (SIGKILL at an exact storage
# step). Not built with sanitizers: it must not come before their runtime.
add_library(sigil_crashpoint MODULE ${SIGIL_ROB_DIR}/crashpoint.c)
target_link_libraries(sigil_crashpoint PRIVATE ${CMAKE_DL_LIBS} Threads::Threads)
set_target_properties(sigil_crashpoint PROPERTIES PREFIX "" OUTPUT_NAME crashpoint)
if(SIGIL_SANITIZE)
  foreach(s IN LISTS SIGIL_SANITIZE)
    target_compile_options(sigil_crashpoint PRIVATE -fno-sanitize=${s})
    target_link_options(sigil_crashpoint PRIVATE -fno-sanitize=${s})
  endforeach()
endif()

# Programs that load the module with dlopen (tests/integration/p11_util.c).
foreach(prog fork_threads restart_under_load soak_client)
  add_executable(rob_${prog} ${SIGIL_ROB_DIR}/${prog}.c)
  target_link_libraries(rob_${prog} PRIVATE sigil_it_p11util Threads::Threads)
endforeach()

set(SIGIL_ROB_TESTS
  crash_consistency   # SIGKILL at random points and at every storage step: >= 200 cycles
  hostile_clients     # stalled, garbage, many connections, oversized, unread responses; latency
  restart_under_load  # the appliance restarts under a signing application
  fork_threads        # fork: child not initialised; 32 threads of mixed work, signatures verified
  soak                # RSS, descriptors and threads of the emulator over a signing run
  corrupt_state       # edited, truncated, swapped state files and audit trail
  overload            # 256 signing threads on 2 workers: nothing dropped, one audit record each
)

set(SIGIL_ROB_ENV "SIGIL_TEST_EMU=$<TARGET_FILE:sigil-emu>;SIGIL_TEST_MODULE=$<TARGET_FILE:sigil-pkcs11>;SIGIL_TEST_ADMIN=$<TARGET_FILE:sigil-admin>;SIGIL_TEST_CRASHPOINT=$<TARGET_FILE:sigil_crashpoint>;SIGIL_TEST_FORK_THREADS=$<TARGET_FILE:rob_fork_threads>;SIGIL_TEST_RESTART_CLIENT=$<TARGET_FILE:rob_restart_under_load>;SIGIL_TEST_SOAK_CLIENT=$<TARGET_FILE:rob_soak_client>;SIGIL_TEST_BENCH=$<TARGET_FILE:sigil-bench>")
if(SIGIL_SANITIZE)
  # Shorter runs, no LD_PRELOAD crash points, no RSS bound (the sanitizers' own memory).
  string(APPEND SIGIL_ROB_ENV ";SIGIL_ROB_SANITIZED=1")
endif()
if("thread" IN_LIST SIGIL_SANITIZE)
  # TSan cannot follow threads a forked child starts: fork_threads runs its threads part only.
  string(APPEND SIGIL_ROB_ENV ";SIGIL_ROB_NO_FORK=1")
endif()
if(DEFINED SIGIL_IT_ENV)
  string(APPEND SIGIL_ROB_ENV "${SIGIL_IT_ENV}") # SIGIL_TEST_PRELOAD in an ASan build
endif()

foreach(name IN LISTS SIGIL_ROB_TESTS)
  add_test(NAME robustness_${name}
           COMMAND bash ${SIGIL_ROB_DIR}/${name}.sh
           WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  set_tests_properties(robustness_${name} PROPERTIES
    LABELS robustness
    TIMEOUT 900
    ENVIRONMENT "${SIGIL_ROB_ENV}")
endforeach()

# valgrind memcheck of the pkcs11-tool flows through the module: only where the module is not
# built with a sanitizer (valgrind cannot run those); scripts/test.sh runs it from build-test.
if(NOT SIGIL_SANITIZE)
  add_test(NAME robustness_valgrind_pkcs11_tool
           COMMAND bash ${SIGIL_ROB_DIR}/valgrind_pkcs11_tool.sh
           WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  set_tests_properties(robustness_valgrind_pkcs11_tool PROPERTIES
    LABELS "robustness;valgrind" TIMEOUT 900 ENVIRONMENT "${SIGIL_ROB_ENV}")
endif()

# Timing and memory figures mean something only when the tests do not share the two cores.
set_tests_properties(robustness_crash_consistency robustness_hostile_clients robustness_soak
                     robustness_fork_threads robustness_restart_under_load robustness_overload PROPERTIES
  RESOURCE_LOCK sigil_rob_cpu)
