# Test doubles shared by the unit tests of every area. Include from any tests/unit/*.cmake.
include_guard(GLOBAL)

add_library(sigil_fake_platform STATIC ${CMAKE_CURRENT_LIST_DIR}/fake_platform.c)
target_include_directories(sigil_fake_platform PUBLIC
  ${CMAKE_CURRENT_LIST_DIR}
  ${PROJECT_SOURCE_DIR}/firmware/include)
target_link_libraries(sigil_fake_platform PUBLIC Threads::Threads)
