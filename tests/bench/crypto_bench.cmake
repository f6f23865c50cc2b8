# Micro-benchmark of the firmware crypto backends (not a ctest test):
# crypto_bench_<backend> per backend; the target crypto_bench builds them all.
# Included from tests/unit/crypto.cmake, which defines the per-backend test
# helper libraries it links. Usage: docs/crypto-backends.md.
set(_sigil_crypto_bench_targets)
foreach(backend IN ITEMS mbedtls openssl)
  if(NOT TARGET sigil_test_crypto_util_${backend})
    continue()
  endif()
  add_executable(crypto_bench_${backend} ${CMAKE_CURRENT_LIST_DIR}/crypto_bench.c)
  target_link_libraries(crypto_bench_${backend} PRIVATE sigil_test_crypto_util_${backend}
                        OpenSSL::Crypto Threads::Threads)
  list(APPEND _sigil_crypto_bench_targets crypto_bench_${backend})
endforeach()
add_custom_target(crypto_bench DEPENDS ${_sigil_crypto_bench_targets})
