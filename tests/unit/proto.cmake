# Unit tests of the wire codec (proto/), common/sigil_secmem and the fake platform.
include(${CMAKE_CURRENT_LIST_DIR}/../fakes/fakes.cmake)

add_executable(test_proto ${CMAKE_CURRENT_LIST_DIR}/test_proto.c)
target_link_libraries(test_proto PRIVATE sigil_proto sigil_common ${CMOCKA_LIB})
target_compile_definitions(test_proto PRIVATE SIGIL_SPEC_PATH="${PROJECT_SOURCE_DIR}/specs/protocol.md")
add_test(NAME unit_proto COMMAND test_proto)

add_executable(test_fake_platform ${CMAKE_CURRENT_LIST_DIR}/test_fake_platform.c)
target_link_libraries(test_fake_platform PRIVATE sigil_fake_platform sigil_proto sigil_common
                      ${CMOCKA_LIB})
add_test(NAME unit_proto_fake_platform COMMAND test_fake_platform)
