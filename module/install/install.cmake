# Installation of the PKCS#11 module (included from module/CMakeLists.txt).
#
# With -DCMAKE_INSTALL_PREFIX=/usr on Debian (GNUInstallDirs picks the multiarch libdir):
#   /usr/lib/x86_64-linux-gnu/pkcs11/libsigil-pkcs11.so   the module
#   /usr/share/p11-kit/modules/sigil.module                 p11-kit finds it (p11-kit list-modules)
#   /etc/sigil/pkcs11.conf                                  sample, commented; never overwritten
# Other prefixes put the same files under the prefix (p11-kit reads module files only from its
# own directories, and the module reads /etc/sigil/pkcs11.conf; override the cache variables).
include(GNUInstallDirs)

set(SIGIL_PKCS11_DIR "${CMAKE_INSTALL_LIBDIR}/pkcs11" CACHE STRING
    "Directory of libsigil-pkcs11.so (relative to the prefix, or absolute)")
set(SIGIL_P11KIT_MODULE_DIR "${CMAKE_INSTALL_DATADIR}/p11-kit/modules" CACHE STRING
    "Directory of the p11-kit module file sigil.module (relative to the prefix, or absolute)")
set(SIGIL_PKCS11_CONF_DIR "${CMAKE_INSTALL_FULL_SYSCONFDIR}/sigil" CACHE PATH
    "Directory of the sample pkcs11.conf (absolute)")

install(TARGETS sigil-pkcs11 LIBRARY DESTINATION ${SIGIL_PKCS11_DIR})

# sigil.module names the module by its full installed path, computed when installing (so that
# `cmake --install --prefix` is honoured).
install(CODE "
  set(SIGIL_MODULE_PATH \"${SIGIL_PKCS11_DIR}/libsigil-pkcs11.so\")
  if(NOT IS_ABSOLUTE \"\${SIGIL_MODULE_PATH}\")
    set(SIGIL_MODULE_PATH \"\${CMAKE_INSTALL_PREFIX}/\${SIGIL_MODULE_PATH}\")
  endif()
  configure_file(\"${CMAKE_CURRENT_LIST_DIR}/sigil.module.in\" \"${CMAKE_CURRENT_BINARY_DIR}/sigil.module\" @ONLY)
")
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/sigil.module DESTINATION ${SIGIL_P11KIT_MODULE_DIR})

# The sample configuration: installed only where none exists, so an administrator's file stays.
install(CODE "
  if(EXISTS \"\$ENV{DESTDIR}${SIGIL_PKCS11_CONF_DIR}/pkcs11.conf\")
    message(STATUS \"Kept: \$ENV{DESTDIR}${SIGIL_PKCS11_CONF_DIR}/pkcs11.conf\")
  else()
    file(INSTALL DESTINATION \"${SIGIL_PKCS11_CONF_DIR}\" TYPE FILE PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
         FILES \"${CMAKE_CURRENT_LIST_DIR}/pkcs11.conf\")
  endif()
")
