# Unit tests of sigil-admin's pure parts (tools/admin, library sigil_admin_core): the JSON writer,
# the command-line grammar and value parsers, PKCS#11 URIs, the offline audit verifier on
# synthetic trails, the backup file, and certificate records read back by the module's codec.
if(TARGET sigil_admin_core)
  foreach(t json args uri audit backup)
    add_executable(test_admin_${t} ${CMAKE_CURRENT_LIST_DIR}/test_admin_${t}.c)
    target_link_libraries(test_admin_${t} PRIVATE sigil_admin_core ${CMOCKA_LIB})
    add_test(NAME unit_admin_${t} COMMAND test_admin_${t})
  endforeach()
  # A certificate record as sigil-admin writes it, read by the PKCS#11 module's own code.
  if(TARGET sigil_pkcs11_core)
    add_executable(test_admin_certrec ${CMAKE_CURRENT_LIST_DIR}/test_admin_certrec.c)
    target_link_libraries(test_admin_certrec PRIVATE sigil_admin_core sigil_pkcs11_core ${CMOCKA_LIB})
    add_test(NAME unit_admin_certrec COMMAND test_admin_certrec)
  endif()
endif()
