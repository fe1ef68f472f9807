# Unit tests of the optimizations of low-level graphs (translator/transform/
# optimize.h): inlining on programs lowered from Kiln C text (through
# test_pipeline_support.c, as `kiln build` runs the stages), constant
# folding on functions built instruction by instruction.
add_executable(test_optimize ${CMAKE_CURRENT_LIST_DIR}/test_optimize.c
               ${CMAKE_CURRENT_LIST_DIR}/test_pipeline_support.c)
target_link_libraries(test_optimize PRIVATE kilnfront PkgConfig::CHECK)
add_test(NAME unit/test_optimize COMMAND test_optimize)
set_tests_properties(unit/test_optimize PROPERTIES LABELS unit TIMEOUT 120)
