# Unit tests of rtype (translator/rtype), the transforms and the lowering
# to low-level graphs (translator/transform) on small programs built from
# Kiln C text; the suites share test_pipeline_support.c, which runs the
# stages as `kiln build` does.
foreach(suite test_rtype test_transform test_lower)
  add_executable(${suite} ${CMAKE_CURRENT_LIST_DIR}/${suite}.c
                 ${CMAKE_CURRENT_LIST_DIR}/test_pipeline_support.c)
  target_link_libraries(${suite} PRIVATE kilnfront PkgConfig::CHECK)
  add_test(NAME unit/${suite} COMMAND ${suite})
  set_tests_properties(unit/${suite} PROPERTIES LABELS unit TIMEOUT 120)
endforeach()
