# Unit tests of the emulator's release stage (firmware/emu/release.c) against a mock trail
# and mock connections: answers only after their sync, refusals, shared syncs, pacing, stop.
if(TARGET sigil-emu)
  add_executable(test_emu_release ${CMAKE_CURRENT_LIST_DIR}/test_emu_release.c
                 ${PROJECT_SOURCE_DIR}/firmware/emu/release.c)
  target_include_directories(test_emu_release PRIVATE ${PROJECT_SOURCE_DIR}/firmware/emu
                             ${PROJECT_SOURCE_DIR}/firmware/include)
  target_link_libraries(test_emu_release PRIVATE sigil_proto sigil_common Threads::Threads ${CMOCKA_LIB})
  add_test(NAME unit_emu_release COMMAND test_emu_release)
  set_tests_properties(unit_emu_release PROPERTIES TIMEOUT 120)
endif()
