# Unit tests of the LLVM backend (translator/backend_llvm): LowPrograms built
# with the builder of translator/rtype/low.h, emitted as object files at -O0
# to -O3, linked by `cc` with a small C driver against rtlib's headers (hence
# the source folder) and run; plus the verifier's diagnostics and the .ll
# and DWARF output, and AddressSanitizer reports from sanitized code.
# Registered only when kiln was built with LLVM.
if(LLVM_FOUND)
  add_executable(test_backend_llvm ${CMAKE_CURRENT_LIST_DIR}/test_backend_llvm.c)
  target_link_libraries(test_backend_llvm PRIVATE kilnllvm PkgConfig::CHECK)
  target_compile_definitions(test_backend_llvm PRIVATE KILN_TEST_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
  add_test(NAME unit/test_backend_llvm COMMAND test_backend_llvm)
  set_tests_properties(unit/test_backend_llvm PROPERTIES LABELS unit TIMEOUT 300)
endif()

# The translated corpus with VMs of the LLVM backend built with --sanitize
# (its functions instrumented by AddressSanitizer), under GC stress, as
# sanitize/translated-corpus does for the C backend.
if(LLVM_FOUND)
  add_test(NAME sanitize/translated-corpus-llvm
           COMMAND kiln test --mode=llvm-stress --sanitize ${CMAKE_SOURCE_DIR}/tests/programs)
  set_tests_properties(sanitize/translated-corpus-llvm PROPERTIES
                       LABELS "sanitize;translated;llvm" ENVIRONMENT "ASAN_OPTIONS=detect_leaks=0"
                       TIMEOUT 1800)
endif()
