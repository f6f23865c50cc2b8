# Real-client integration tests (issue 6, item 3): each standard signing client driven against
# sigil-emu + libsigil-pkcs11.so. Included by tests/CMakeLists.txt; ctest names
# integration_client_<name>, label "integration". Each test starts its own emulator in its own
# temporary directory (tests/integration/lib.sh, sourced by clients_lib.sh), so they run in
# parallel. The clients are Debian packages installed by scripts/install-deps.sh; a missing one
# makes its test fail with the package to install, it is never skipped.

set(SIGIL_CLIENTS_DIR ${CMAKE_CURRENT_LIST_DIR})

set(SIGIL_CLIENT_TESTS
  openssl_engine  # OpenSSL 3 + libp11 engine: req -x509, dgst -sign, cms -sign -cades / -verify (RSA, EC)
  gnutls          # p11tool --list-all [--login], --test-sign, certtool --generate-self-signed, --write
  nss_pdf         # modutil, certutil -L -h all / -K, pdfsig sign + verify in another database, cmsutil
  java            # SunPKCS11: keytool -list, jarsigner sign, jarsigner -verify -strict with a CA
  pykcs11         # PyKCS11: 4 threads x 300 signatures, every one verified
  p11kit          # p11-kit module file: p11-kit list-modules, p11tool --list-tokens, p11-kit-proxy
)

# In an AddressSanitizer build the clients (not built with the sanitizer) load the module only with
# the ASan runtime preloaded: clients_lib.sh's 'client' does it with SIGIL_TEST_PRELOAD.
set(SIGIL_CLIENT_ENV "")
if("address" IN_LIST SIGIL_SANITIZE)
  execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=libasan.so
                  OUTPUT_VARIABLE SIGIL_CLIENT_LIBASAN OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT EXISTS "${SIGIL_CLIENT_LIBASAN}")
    message(FATAL_ERROR "SIGIL_SANITIZE has address but the compiler names no libasan.so (${SIGIL_CLIENT_LIBASAN})")
  endif()
  # libstdc++ too: clients that load C++ code after start-up (Python's PyKCS11, the JVM) otherwise
  # abort in ASan's __cxa_throw interceptor.
  execute_process(COMMAND ${CMAKE_C_COMPILER} -print-file-name=libstdc++.so.6
                  OUTPUT_VARIABLE SIGIL_CLIENT_LIBSTDCXX OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT EXISTS "${SIGIL_CLIENT_LIBSTDCXX}")
    message(FATAL_ERROR "SIGIL_SANITIZE has address but the compiler names no libstdc++.so.6 (${SIGIL_CLIENT_LIBSTDCXX})")
  endif()
  set(SIGIL_CLIENT_ENV ";SIGIL_TEST_PRELOAD=${SIGIL_CLIENT_LIBASAN}:${SIGIL_CLIENT_LIBSTDCXX}")
endif()

set(SIGIL_CLIENT_MISSING "")
foreach(t sigil-emu sigil-pkcs11 sigil-admin)
  if(NOT TARGET ${t})
    list(APPEND SIGIL_CLIENT_MISSING ${t})
  endif()
endforeach()

foreach(name IN LISTS SIGIL_CLIENT_TESTS)
  set(test integration_client_${name})
  if(SIGIL_CLIENT_MISSING)
    # Not built: the test fails and says why (never passes by skipping).
    add_test(NAME ${test}
             COMMAND sh -c "echo 'FAIL: targets not defined in this build: ${SIGIL_CLIENT_MISSING}' >&2; exit 1")
    set_tests_properties(${test} PROPERTIES LABELS integration)
    message(WARNING "${test}: targets ${SIGIL_CLIENT_MISSING} are not defined; the test will fail")
    continue()
  endif()
  add_test(NAME ${test}
           COMMAND bash ${SIGIL_CLIENTS_DIR}/${name}.sh
           WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  set_tests_properties(${test} PROPERTIES
    LABELS integration
    # Each must finish within 90 s (each prints its run time on its last line; the slowest, java,
    # takes about 15 s, 30 s in the AddressSanitizer build).
    TIMEOUT 90
    ENVIRONMENT "SIGIL_TEST_EMU=$<TARGET_FILE:sigil-emu>;SIGIL_TEST_MODULE=$<TARGET_FILE:sigil-pkcs11>;SIGIL_TEST_ADMIN=$<TARGET_FILE:sigil-admin>${SIGIL_CLIENT_ENV}")
endforeach()

# PyKCS11 signs 1200 times and the JVMs are CPU-hungry: keep them off the other heavy tests
# (integration.cmake's pkcs11_tool and concurrent_sign take the same lock).
if(NOT SIGIL_CLIENT_MISSING)
  set_tests_properties(integration_client_pykcs11 integration_client_java PROPERTIES RESOURCE_LOCK sigil_it_cpu)
endif()
