# Firmware core unit tests: the core driven frame by frame over the fake platform.
include(${CMAKE_CURRENT_LIST_DIR}/../fakes/fakes.cmake)
if(TARGET sigil_fw_core)
  add_executable(test_firmware ${CMAKE_CURRENT_LIST_DIR}/test_firmware.c)
  target_link_libraries(test_firmware PRIVATE sigil_fw_core sigil_fake_platform ${CMOCKA_LIB} OpenSSL::Crypto)
  add_test(NAME unit_firmware COMMAND test_firmware)
endif()
