# Unit tests of stm_gc: every tests/unit/test_gc_*.c is one Check suite,
# registered twice: as is (label unit) and with KILN_GC_STRESS=1, which runs
# a minor collection at every allocation (label stress).  The randomized
# graph test also has a `long` entry with many more seeds (below).  The `asan`
# preset (-DKILN_SANITIZE=ON) runs all of them under ASan and UBSan.
file(GLOB KILN_GC_TESTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/test_gc_*.c)
foreach(source ${KILN_GC_TESTS})
  get_filename_component(suite ${source} NAME_WE)
  add_executable(${suite} ${source})
  target_link_libraries(${suite} PRIVATE stm_gc PkgConfig::CHECK)
  add_test(NAME unit/${suite} COMMAND ${suite})
  set_tests_properties(unit/${suite} PROPERTIES LABELS "unit;gc" TIMEOUT 300)
  add_test(NAME stress/${suite} COMMAND ${suite})
  set_tests_properties(stress/${suite} PROPERTIES LABELS "stress;gc" TIMEOUT 600
    ENVIRONMENT "KILN_GC_STRESS=1")
endforeach()
# The long run only exists in the `long` test configuration, so that a plain
# `ctest` stays quick: run it with `ctest -C long -L long`.
if(TARGET test_gc_random)
  add_test(NAME long/test_gc_random COMMAND test_gc_random CONFIGURATIONS long)
  set_tests_properties(long/test_gc_random PROPERTIES LABELS "long;gc" TIMEOUT 3600
    ENVIRONMENT "KILN_GC_TEST_SEEDS=50000")
endif()
