# Unit tests of the firmware crypto backends (firmware/crypto), run against every
# backend: each test program is built once per backend, linked with that
# backend's library (sigil_fw_crypto_<backend>), and registered as
# unit_crypto_<backend>*. Signatures are verified with OpenSSL libcrypto (its
# default library context) from the backend's exported public values.
#
#   unit_crypto_<b>                  life cycle, DRBG, self-test (and its hook), symmetric
#   unit_crypto_<b>_pk               keys, blob format, signatures, errors, threads
#   unit_crypto_<b>_xload_write      fixture: backend b writes blobs and signatures
#   unit_crypto_<b>_xload_from_<a>   backend b loads a's blobs, exports the same public
#                                    keys, signs PKCS#1 v1.5 byte-identically, and its
#                                    ECDSA/PSS signatures verify (the differential test)
set(_sigil_crypto_test_backends mbedtls openssl)
set(_sigil_crypto_xload_dir ${CMAKE_CURRENT_BINARY_DIR}/crypto_xload)
file(MAKE_DIRECTORY ${_sigil_crypto_xload_dir})

foreach(backend IN LISTS _sigil_crypto_test_backends)
  if(NOT TARGET sigil_fw_crypto_${backend})
    continue()
  endif()
  string(TOUPPER ${backend} _upper)
  set(_util sigil_test_crypto_util_${backend})
  add_library(${_util} STATIC ${CMAKE_CURRENT_LIST_DIR}/test_crypto_util.c)
  target_compile_definitions(${_util} PUBLIC SIGIL_TEST_BACKEND_${_upper})
  # The tests drive the backends' test hooks (crypto_testhooks.h, openssl_testhooks.h).
  target_include_directories(${_util} PUBLIC ${CMAKE_CURRENT_LIST_DIR}
                                             ${CMAKE_CURRENT_LIST_DIR}/../../firmware/crypto)
  target_link_libraries(${_util} PUBLIC sigil_fw_crypto_${backend} OpenSSL::Crypto)

  add_executable(test_crypto_${backend} ${CMAKE_CURRENT_LIST_DIR}/test_crypto.c)
  target_link_libraries(test_crypto_${backend} PRIVATE ${_util} ${CMOCKA_LIB})
  add_test(NAME unit_crypto_${backend} COMMAND test_crypto_${backend})

  add_executable(test_crypto_pk_${backend} ${CMAKE_CURRENT_LIST_DIR}/test_crypto_pk.c)
  target_link_libraries(test_crypto_pk_${backend} PRIVATE ${_util} ${CMOCKA_LIB} Threads::Threads)
  add_test(NAME unit_crypto_${backend}_pk COMMAND test_crypto_pk_${backend})

  add_executable(test_crypto_xload_${backend} ${CMAKE_CURRENT_LIST_DIR}/test_crypto_xload.c)
  target_link_libraries(test_crypto_xload_${backend} PRIVATE ${_util} ${CMOCKA_LIB})
  add_test(NAME unit_crypto_${backend}_xload_write
           COMMAND test_crypto_xload_${backend} write ${_sigil_crypto_xload_dir}/${backend})
  set_tests_properties(unit_crypto_${backend}_xload_write PROPERTIES
                       FIXTURES_SETUP crypto_xload_${backend})
  # RSA-4096 generation takes seconds (tens under sanitizers).
  set_tests_properties(unit_crypto_${backend}_pk unit_crypto_${backend}_xload_write
                       PROPERTIES TIMEOUT 600)
endforeach()

foreach(reader IN LISTS _sigil_crypto_test_backends)
  foreach(writer IN LISTS _sigil_crypto_test_backends)
    if(reader STREQUAL writer OR NOT TARGET test_crypto_xload_${reader}
       OR NOT TARGET test_crypto_xload_${writer})
      continue()
    endif()
    add_test(NAME unit_crypto_${reader}_xload_from_${writer}
             COMMAND test_crypto_xload_${reader} check ${_sigil_crypto_xload_dir}/${writer})
    set_tests_properties(unit_crypto_${reader}_xload_from_${writer} PROPERTIES
                         FIXTURES_REQUIRED crypto_xload_${writer})
  endforeach()
endforeach()

# The backends' micro-benchmark lives beside the other benchmarks (not a test).
include(${CMAKE_CURRENT_LIST_DIR}/../bench/crypto_bench.cmake OPTIONAL)
