# gdb on a VM (tests/unit/backend_llvm_gdb.sh): `gdb -batch` stops at a
# breakpoint on a Kiln C line of backend_llvm_gdb.kc and its backtrace must
# name the Kiln C file and lines of the stopped call and its callers, at -O0
# and -O1.  unit/backend_llvm_gdb checks a VM of the LLVM backend (its
# DWARF, llvm_debug.c), registered when kiln was built with LLVM;
# unit/backend_c_gdb the same with a VM of the C backend (its #line
# directives).  Both only where gdb is installed.
find_program(GDB gdb)
if(GDB)
  if(LLVM_FOUND)
    add_test(NAME unit/backend_llvm_gdb
             COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/backend_llvm_gdb.sh $<TARGET_FILE:kiln> ${GDB}
                     llvm ${CMAKE_CURRENT_LIST_DIR}/backend_llvm_gdb.kc)
    set_tests_properties(unit/backend_llvm_gdb PROPERTIES LABELS "unit;llvm" TIMEOUT 300)
  endif()
  add_test(NAME unit/backend_c_gdb
           COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/backend_llvm_gdb.sh $<TARGET_FILE:kiln> ${GDB} c
                   ${CMAKE_CURRENT_LIST_DIR}/backend_llvm_gdb.kc)
  set_tests_properties(unit/backend_c_gdb PROPERTIES LABELS unit TIMEOUT 300)
endif()
