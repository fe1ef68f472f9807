# Unit tests of the annotator (translator/annotate): the lattice and the fixpoint.
foreach(suite test_annotate)
  add_executable(${suite} ${CMAKE_CURRENT_LIST_DIR}/${suite}.c)
  target_link_libraries(${suite} PRIVATE kilnfront PkgConfig::CHECK)
  add_test(NAME unit/${suite} COMMAND ${suite})
  set_tests_properties(unit/${suite} PROPERTIES LABELS unit)
endforeach()
