# Unit tests of the lexer and the parser (translator/parse).
foreach(suite test_lexer test_parser)
  add_executable(${suite} ${CMAKE_CURRENT_LIST_DIR}/${suite}.c)
  target_link_libraries(${suite} PRIVATE kilnfront PkgConfig::CHECK)
  add_test(NAME unit/${suite} COMMAND ${suite})
  set_tests_properties(unit/${suite} PROPERTIES LABELS unit TIMEOUT 120)
endforeach()
