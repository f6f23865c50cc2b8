# Fuzz targets (tests/fuzz/README.md). Included from tests/CMakeLists.txt.
#
# SIGIL_FUZZ=ON (clang only): fuzz_frame, fuzz_firmware and fuzz_module link libFuzzer, with
#   AddressSanitizer and UndefinedBehaviorSanitizer (no recovery); the libraries
#   they reach are compiled with coverage instrumentation (fuzzer-no-link) and the
#   same sanitizers. Build only these targets in such a build directory.
# Otherwise (default, any compiler): the same sources are linked with
#   replay_main.c and ctest replays the seed corpus:
#   fuzz_replay_frame, fuzz_replay_firmware, fuzz_replay_module.
include_guard(GLOBAL)

option(SIGIL_FUZZ "Build the fuzz targets with libFuzzer (needs clang)" OFF)

set(SIGIL_FUZZ_DIR ${CMAKE_CURRENT_LIST_DIR})
include(${SIGIL_FUZZ_DIR}/../fakes/fakes.cmake)

add_library(sigil_fuzz_layout STATIC ${SIGIL_FUZZ_DIR}/fuzz_layout.c)
target_include_directories(sigil_fuzz_layout PUBLIC ${SIGIL_FUZZ_DIR})
target_link_libraries(sigil_fuzz_layout PUBLIC sigil_proto)

set(_sigil_fuzz_targets fuzz_frame)
add_executable(fuzz_frame ${SIGIL_FUZZ_DIR}/fuzz_frame.c)
target_link_libraries(fuzz_frame PRIVATE sigil_fuzz_layout sigil_proto)
if(TARGET sigil_fw_core)
  list(APPEND _sigil_fuzz_targets fuzz_firmware)
  add_executable(fuzz_firmware ${SIGIL_FUZZ_DIR}/fuzz_firmware.c)
  target_link_libraries(fuzz_firmware PRIVATE sigil_fuzz_layout sigil_fw_core sigil_fake_platform)
  # The power-up self-tests run once, not at every reset (fuzz_firmware.c).
  target_link_options(fuzz_firmware PRIVATE -Wl,--wrap=sigil_crypto_self_test)
endif()
# The module's parsing of appliance responses: the static module over a hostile transport
# (the fake appliance of the module unit tests, its answers damaged by the input).
if(TARGET sigil_pkcs11_core AND TARGET sigil_fake_appliance)
  list(APPEND _sigil_fuzz_targets fuzz_module)
  add_executable(fuzz_module ${SIGIL_FUZZ_DIR}/fuzz_module.c)
  target_include_directories(fuzz_module PRIVATE ${SIGIL_FUZZ_DIR})
  target_link_libraries(fuzz_module PRIVATE sigil_fuzz_layout sigil_pkcs11_core sigil_fake_appliance)
endif()

if(SIGIL_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "SIGIL_FUZZ=ON needs clang (-DCMAKE_C_COMPILER=clang), not ${CMAKE_C_COMPILER_ID}")
  endif()
  set(_sigil_fuzz_san -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  # Coverage and sanitizers for everything a target reaches; -U_FORTIFY_SOURCE so
  # that ASan, not the fortified libc, sees the overflows.
  foreach(lib sigil_proto sigil_common sigil_fw_core sigil_fw_crypto sigil_fake_platform sigil_fuzz_layout
              sigil_pkcs11_obj sigil_client sigil_fake_appliance)
    if(TARGET ${lib})
      target_compile_options(${lib} PRIVATE -fsanitize=fuzzer-no-link ${_sigil_fuzz_san} -U_FORTIFY_SOURCE)
      target_link_options(${lib} INTERFACE -fsanitize=address,undefined)
    endif()
  endforeach()
  foreach(t IN LISTS _sigil_fuzz_targets)
    target_compile_options(${t} PRIVATE -fsanitize=fuzzer ${_sigil_fuzz_san} -U_FORTIFY_SOURCE)
    target_link_options(${t} PRIVATE -fsanitize=fuzzer,address,undefined)
  endforeach()
  set(_sigil_fuzz_replay_args -runs=0)
else()
  add_library(sigil_fuzz_replay STATIC ${SIGIL_FUZZ_DIR}/replay_main.c)
  target_include_directories(sigil_fuzz_replay PUBLIC ${SIGIL_FUZZ_DIR})
  foreach(t IN LISTS _sigil_fuzz_targets)
    target_link_libraries(${t} PRIVATE sigil_fuzz_replay)
  endforeach()
  set(_sigil_fuzz_replay_args "")
endif()

# The seed corpus replayed by ctest (with libFuzzer: -runs=0 runs each input once).
foreach(t IN LISTS _sigil_fuzz_targets)
  string(REPLACE "fuzz_" "" _corpus ${t})
  add_test(NAME fuzz_replay_${_corpus}
           COMMAND ${t} ${_sigil_fuzz_replay_args} ${SIGIL_FUZZ_DIR}/corpus/${_corpus})
endforeach()

# The hand-made seeds on disk are what make_seeds.py writes.
find_package(Python3 COMPONENTS Interpreter QUIET)
if(Python3_Interpreter_FOUND)
  add_test(NAME fuzz_seeds_current COMMAND Python3::Interpreter ${SIGIL_FUZZ_DIR}/make_seeds.py --check)
endif()
