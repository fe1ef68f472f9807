# Unit tests of the C backend's printing of low-level graphs
# (translator/backend_c/c_low.c): LowPrograms built with the builder of
# translator/rtype/low.h, printed and checked, and compiled with the C
# compiler against rtlib's headers (hence the source folder).
add_executable(test_backend_c_low ${CMAKE_CURRENT_LIST_DIR}/test_backend_c_low.c)
target_link_libraries(test_backend_c_low PRIVATE kilnfront PkgConfig::CHECK)
target_compile_definitions(test_backend_c_low PRIVATE KILN_TEST_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
add_test(NAME unit/test_backend_c_low COMMAND test_backend_c_low)
set_tests_properties(unit/test_backend_c_low PROPERTIES LABELS unit TIMEOUT 120)
