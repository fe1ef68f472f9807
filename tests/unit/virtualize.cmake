# Unit tests of the removal of allocations that do not escape
# (translator/transform/optimize.h, transform_virtualize.c): programs
# lowered from Kiln C text (through test_pipeline_support.c) and functions
# built by hand, run on a small machine for low-level graphs before and
# after the rewriting.
add_executable(test_virtualize ${CMAKE_CURRENT_LIST_DIR}/test_virtualize.c
               ${CMAKE_CURRENT_LIST_DIR}/test_pipeline_support.c)
target_link_libraries(test_virtualize PRIVATE kilnfront PkgConfig::CHECK)
add_test(NAME unit/test_virtualize COMMAND test_virtualize)
set_tests_properties(unit/test_virtualize PROPERTIES LABELS unit TIMEOUT 120)
