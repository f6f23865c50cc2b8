# Unit tests of the module's client (module/client): pipelining, coalesced writes, connection
# loss and reconnection, lock-step fallback and fork, against a fake appliance on socketpairs.
if(TARGET sigil_client)
  add_executable(test_client ${CMAKE_CURRENT_LIST_DIR}/test_client.c)
  target_link_libraries(test_client PRIVATE sigil_client sigil_proto sigil_common Threads::Threads ${CMOCKA_LIB})
  add_test(NAME unit_client COMMAND test_client)
  set_tests_properties(unit_client PROPERTIES TIMEOUT 120)
endif()
