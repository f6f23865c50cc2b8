# The PKCS#11 module proper (included from module/CMakeLists.txt).
set(SIGIL_PKCS11_SOURCES
  api/function_list.c api/interface.c api/v3.c api/general.c api/slot.c api/session.c api/object.c
  api/sign.c api/verify.c api/digest.c api/keygen.c api/random.c api/unsupported.c
  core/module.c core/lock.c core/rv.c core/wire.c core/slot.c core/mech.c core/hash.c
  core/session.c core/opslot.c core/auth.c
  core/obj.c core/attrdef.c core/attrs_codec.c core/objcache.c core/sessobj.c core/attr.c core/cert.c
  core/pubkey.c core/objbuild.c core/object.c core/create.c core/setattr.c core/find.c
  core/op_input.c core/sign.c core/verify.c core/digest.c core/keygen.c core/random.c)

add_library(sigil_pkcs11_obj OBJECT ${SIGIL_PKCS11_SOURCES})
target_include_directories(sigil_pkcs11_obj PUBLIC
  ${CMAKE_CURRENT_SOURCE_DIR}/core ${CMAKE_CURRENT_SOURCE_DIR}/api ${PKCS11_INCLUDE_DIR})
target_compile_options(sigil_pkcs11_obj PRIVATE -fvisibility=hidden)
target_link_libraries(sigil_pkcs11_obj PUBLIC sigil_client sigil_proto sigil_common OpenSSL::Crypto
                      Threads::Threads)

# Static: for unit tests (with the test hooks of core/test_hooks.h and a fake transport).
add_library(sigil_pkcs11_core STATIC $<TARGET_OBJECTS:sigil_pkcs11_obj>)
target_link_libraries(sigil_pkcs11_core PUBLIC sigil_pkcs11_obj)

# Shared: libsigil-pkcs11.so.
add_library(sigil-pkcs11 SHARED $<TARGET_OBJECTS:sigil_pkcs11_obj>)
set_target_properties(sigil-pkcs11 PROPERTIES OUTPUT_NAME sigil-pkcs11 C_VISIBILITY_PRESET hidden
  LINK_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/sigil-pkcs11.map)
target_link_libraries(sigil-pkcs11 PRIVATE sigil_client sigil_proto sigil_common OpenSSL::Crypto
                      Threads::Threads)
target_link_options(sigil-pkcs11 PRIVATE
  -Wl,--version-script=${CMAKE_CURRENT_SOURCE_DIR}/sigil-pkcs11.map -Wl,--no-undefined)
