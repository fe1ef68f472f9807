# Unit tests of the graph interpreter (translator/interp): the value runtime
# on its own, and programs run end to end from source text.  Each suite is
# registered twice: as is (label unit) and with KILN_GC_STRESS=1, which makes
# the interpreter collect its heap at every safe point (label stress).
foreach(suite test_interp_values test_interp_run)
  add_executable(${suite} ${CMAKE_CURRENT_LIST_DIR}/${suite}.c)
  target_link_libraries(${suite} PRIVATE kilnfront PkgConfig::CHECK)
  add_test(NAME unit/${suite} COMMAND ${suite})
  set_tests_properties(unit/${suite} PROPERTIES LABELS unit TIMEOUT 120)
  add_test(NAME stress/${suite} COMMAND ${suite})
  set_tests_properties(stress/${suite} PROPERTIES LABELS stress TIMEOUT 300
    ENVIRONMENT "KILN_GC_STRESS=1")
endforeach()
