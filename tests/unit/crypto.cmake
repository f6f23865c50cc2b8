# Unit tests of the firmware crypto backend (firmware/crypto). Signatures are
# verified with OpenSSL libcrypto from the backend's exported public values.
add_library(sigil_test_crypto_util STATIC ${CMAKE_CURRENT_LIST_DIR}/test_crypto_util.c)
target_link_libraries(sigil_test_crypto_util PUBLIC sigil_fw_crypto OpenSSL::Crypto)

add_executable(test_crypto ${CMAKE_CURRENT_LIST_DIR}/test_crypto.c)
# test_crypto drives the self-test's failure injection (mbedtls_testhooks.h).
target_include_directories(test_crypto PRIVATE ${CMAKE_CURRENT_LIST_DIR}/../../firmware/crypto)
target_link_libraries(test_crypto PRIVATE sigil_test_crypto_util sigil_fw_crypto ${CMOCKA_LIB}
                      OpenSSL::Crypto)
add_test(NAME unit_crypto COMMAND test_crypto)

add_executable(test_crypto_pk ${CMAKE_CURRENT_LIST_DIR}/test_crypto_pk.c)
target_link_libraries(test_crypto_pk PRIVATE sigil_test_crypto_util sigil_fw_crypto ${CMOCKA_LIB}
                      OpenSSL::Crypto Threads::Threads)
add_test(NAME unit_crypto_pk COMMAND test_crypto_pk)
# RSA-4096 generation under mbedTLS takes seconds (tens under sanitizers).
set_tests_properties(unit_crypto_pk PROPERTIES TIMEOUT 600)
