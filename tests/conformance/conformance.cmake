# PKCS#11 conformance suite: one program (p11_conformance), the same cases run against
# libsigil-pkcs11.so (with sigil-emu, provisioned by sigil-admin) and against SoftHSMv2.
# Included by tests/CMakeLists.txt. tests/conformance/run.sh MODE prepares the token and runs the
# program; every difference not in the table of intended differences fails the test.

set(SIGIL_CONF_DIR ${CMAKE_CURRENT_LIST_DIR})
set(SIGIL_CONF_SOFTHSM_MODULE /usr/lib/softhsm/libsofthsm2.so CACHE FILEPATH
    "SoftHSMv2's PKCS#11 module, the reference of the conformance suite")

add_executable(p11_conformance
  ${SIGIL_CONF_DIR}/harness.c
  ${SIGIL_CONF_DIR}/differences.c
  ${SIGIL_CONF_DIR}/util.c
  ${SIGIL_CONF_DIR}/verify.c
  ${SIGIL_CONF_DIR}/cases_init.c
  ${SIGIL_CONF_DIR}/cases_session.c
  ${SIGIL_CONF_DIR}/cases_keys.c
  ${SIGIL_CONF_DIR}/cases_sign.c
  ${SIGIL_CONF_DIR}/cases_objects.c)
target_include_directories(p11_conformance PRIVATE ${SIGIL_CONF_DIR} ${PKCS11_INCLUDE_DIR})
target_link_libraries(p11_conformance PRIVATE OpenSSL::Crypto ${CMAKE_DL_LIBS} Threads::Threads)

set(SIGIL_CONF_MISSING "")
foreach(t sigil-emu sigil-pkcs11 sigil-admin)
  if(NOT TARGET ${t})
    list(APPEND SIGIL_CONF_MISSING ${t})
  endif()
endforeach()

foreach(mode softhsm sigil)
  if(SIGIL_CONF_MISSING)
    # run.sh sources tests/integration/lib.sh, which needs all three: fail, never skip.
    add_test(NAME conformance_${mode}
             COMMAND sh -c "echo 'FAIL: targets not defined in this build: ${SIGIL_CONF_MISSING}' >&2; exit 1")
    message(WARNING "conformance_${mode}: targets ${SIGIL_CONF_MISSING} are not defined; the test will fail")
  else()
    add_test(NAME conformance_${mode}
             COMMAND bash ${SIGIL_CONF_DIR}/run.sh ${mode}
             WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
    set_tests_properties(conformance_${mode} PROPERTIES
      ENVIRONMENT "SIGIL_TEST_EMU=$<TARGET_FILE:sigil-emu>;SIGIL_TEST_MODULE=$<TARGET_FILE:sigil-pkcs11>;SIGIL_TEST_ADMIN=$<TARGET_FILE:sigil-admin>;SIGIL_TEST_CONFORMANCE=$<TARGET_FILE:p11_conformance>;SIGIL_TEST_SOFTHSM_MODULE=${SIGIL_CONF_SOFTHSM_MODULE}")
  endif()
  set_tests_properties(conformance_${mode} PROPERTIES LABELS "conformance" TIMEOUT 1800)
endforeach()
