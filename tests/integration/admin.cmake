# sigil-admin end to end (issue 5), against sigil-emu with the module and real clients (OpenSSL's
# pkcs11 engine): a scripted provisioning run of every command with --json parsed, backup and
# restore into a second emulator, and bad input. Included by tests/CMakeLists.txt after
# integration.cmake (whose SIGIL_IT_ENV, the ASan preload, it reuses). The scripts source lib.sh
# and admin_lib.sh.
set(SIGIL_ADMIN_IT_TESTS
  admin_provision  # every command, CSR verified by openssl, a CA's certificate used by OpenSSL
  admin_backup     # backup domain, backup create | restore into a second emulator, signing there
  admin_badinput   # wrong address, credentials, seal, certificate, files; help; exit codes
)

set(SIGIL_ADMIN_IT_MISSING "")
foreach(t sigil-emu sigil-pkcs11 sigil-admin)
  if(NOT TARGET ${t})
    list(APPEND SIGIL_ADMIN_IT_MISSING ${t})
  endif()
endforeach()

foreach(name IN LISTS SIGIL_ADMIN_IT_TESTS)
  if(SIGIL_ADMIN_IT_MISSING)
    add_test(NAME integration_${name}
             COMMAND sh -c "echo 'FAIL: targets not defined in this build: ${SIGIL_ADMIN_IT_MISSING}' >&2; exit 1")
    set_tests_properties(integration_${name} PROPERTIES LABELS integration)
    continue()
  endif()
  add_test(NAME integration_${name}
           COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/${name}.sh
           WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  set_tests_properties(integration_${name} PROPERTIES
    LABELS integration
    TIMEOUT 900
    ENVIRONMENT "SIGIL_TEST_EMU=$<TARGET_FILE:sigil-emu>;SIGIL_TEST_MODULE=$<TARGET_FILE:sigil-pkcs11>;SIGIL_TEST_ADMIN=$<TARGET_FILE:sigil-admin>${SIGIL_IT_ENV}")
endforeach()
