# The STM benchmarks (tests/bench/bench_stm.sh): one workload built against
# the GIL build (stm_gc) and the STM build (stm_gc_stm) of the library, and
# the shared-dictionary workload (STM build only).  Never part of ctest.
include_guard(GLOBAL)
set(KILN_BENCH_DIR ${PROJECT_SOURCE_DIR}/tests/bench)
foreach(flavour gil stm)
  set(target bench_stm_trees_${flavour})
  add_executable(${target} ${KILN_BENCH_DIR}/stm_trees.c)
  target_compile_options(${target} PRIVATE -O2)
  set_target_properties(${target} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests/bench)
endforeach()
target_link_libraries(bench_stm_trees_gil PRIVATE stm_gc)
target_link_libraries(bench_stm_trees_stm PRIVATE stm_gc_stm)
add_executable(bench_stm_dict ${KILN_BENCH_DIR}/stm_dict.c)
target_compile_options(bench_stm_dict PRIVATE -O2)
set_target_properties(bench_stm_dict PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/tests/bench)
target_link_libraries(bench_stm_dict PRIVATE stm_gc_stm)
