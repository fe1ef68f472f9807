# Unit and stress tests of the STM engine: every tests/unit/test_stm_*.c is
# one Check suite linked with the STM build of stm_gc (stm_gc_stm).  Each is
# registered as is (label unit;stm), with KILN_STM_STRESS=1, which aborts
# at random barriers (label stress;stm), and with KILN_GC_STRESS=1 (a minor
# collection at every allocation).  Longer runs exist only in the `long`
# configuration: `ctest -C long -L long`.  The ASan build is the `asan`
# preset (-DKILN_SANITIZE=ON); the TSan build is -DKILN_TSAN=ON in its own
# build folder.  Sizes come from KILN_STM_TEST_* variables so that the
# default run stays short on a 2-core machine.
file(GLOB KILN_STM_TESTS CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/test_stm_*.c)
if(KILN_SANITIZE OR KILN_TSAN)
  # Sanitizers slow the engine 5-20x: smaller default runs.
  set(KILN_STM_TEST_SIZES "KILN_STM_TEST_SEEDS=300;KILN_STM_TEST_TRANSFERS=100000")
else()
  set(KILN_STM_TEST_SIZES "KILN_STM_TEST_SEEDS=2000;KILN_STM_TEST_TRANSFERS=1000000")
endif()
foreach(source ${KILN_STM_TESTS})
  get_filename_component(suite ${source} NAME_WE)
  add_executable(${suite} ${source})
  target_link_libraries(${suite} PRIVATE stm_gc_stm PkgConfig::CHECK)
  add_test(NAME unit/${suite} COMMAND ${suite})
  set_tests_properties(unit/${suite} PROPERTIES LABELS "unit;stm" TIMEOUT 300
    ENVIRONMENT "${KILN_STM_TEST_SIZES}")
  add_test(NAME stress/${suite}_stm COMMAND ${suite})
  set_tests_properties(stress/${suite}_stm PROPERTIES LABELS "stress;stm" TIMEOUT 600
    ENVIRONMENT "KILN_STM_STRESS=1;KILN_STM_TEST_SEEDS=500;KILN_STM_TEST_TRANSFERS=100000")
  add_test(NAME stress/${suite}_gc COMMAND ${suite})
  set_tests_properties(stress/${suite}_gc PROPERTIES LABELS "stress;stm" TIMEOUT 600
    ENVIRONMENT "KILN_GC_STRESS=1;KILN_STM_TEST_SEEDS=200;KILN_STM_TEST_TRANSFERS=20000")
  add_test(NAME long/${suite} COMMAND ${suite} CONFIGURATIONS long)
  set_tests_properties(long/${suite} PROPERTIES LABELS "long;stm" TIMEOUT 3600
    ENVIRONMENT "KILN_STM_TEST_SEEDS=50000;KILN_STM_TEST_TRANSFERS=10000000")
endforeach()
