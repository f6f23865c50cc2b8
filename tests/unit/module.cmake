# Unit tests of the PKCS#11 module (module/): argument and state checks over a fake appliance
# transport (tests/fakes/fake_appliance.c), linked against the static sigil_pkcs11_core.
if(TARGET sigil_pkcs11_core)
  if(NOT TARGET sigil_fake_appliance)
    add_library(sigil_fake_appliance STATIC ${CMAKE_CURRENT_LIST_DIR}/../fakes/fake_appliance.c)
    target_include_directories(sigil_fake_appliance PUBLIC ${CMAKE_CURRENT_LIST_DIR}/../fakes)
    target_link_libraries(sigil_fake_appliance PUBLIC sigil_client sigil_proto Threads::Threads)
  endif()
  foreach(t general session object sign create setattr verify badinput)
    add_executable(test_module_${t} ${CMAKE_CURRENT_LIST_DIR}/test_module_${t}.c)
    target_link_libraries(test_module_${t} PRIVATE sigil_pkcs11_core sigil_fake_appliance ${CMOCKA_LIB})
    add_test(NAME unit_module_${t} COMMAND test_module_${t})
  endforeach()
endif()
