/* fuzz_front.h - one input through the whole front end, for fuzzing.
 *
 * Contract.  Expects: any bytes, taken as the text of one Kiln C source file.
 * Produces: the furthest stage the input reached (FuzzFrontOutcome); all
 * diagnostics and program output are discarded.  Breaks: nothing; the
 * function frees everything it allocates, so a leak checker sees the front
 * end's own leaks.  It aborts (a crash for the fuzzer) when the flow
 * verifier finds a broken invariant in the graphs of a program that had no
 * errors, or when the annotator leaves a variable without a type in a
 * program with no type errors: those are bugs of the stages, not of the
 * input.
 *
 * The pipeline is the driver's: the input is parsed as the main module
 * (imports are not followed, so that no input can make the harness read the
 * file system), the prelude is parsed as a second module, the AST is dumped,
 * the flow graphs are built, verified, dumped and written as Graphviz, the
 * annotator types them as `kiln check` does (without prebuilt globals), and
 * the graph interpreter runs the global initializers, the annotator again
 * with the globals' values (and, when it finds no type error, the
 * translation stages of `kiln build`: rtype, transform, lowering and
 * optimizations, each verified, and the C backend's files, without a C
 * compiler), and `main` with a small call-depth limit.  Programs that could touch
 * the outside world (extern functions, reading stdin or files, writing files) stop before the
 * interpreter; programs whose run is not short by construction (loops,
 * recursion, function references; see fuzz_front.c) are interpreted in a
 * child process with a time limit.
 */
#ifndef KILN_FUZZ_FRONT_H
#define KILN_FUZZ_FRONT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum FuzzFrontOutcome {
    FUZZ_FRONT_PARSE_ERRORS, /* the parser reported errors */
    FUZZ_FRONT_FLOW_ERRORS,  /* the flow builder reported errors */
    FUZZ_FRONT_NOT_RUN,      /* built and verified; not interpreted (it could do I/O) */
    FUZZ_FRONT_RAN,          /* the interpreter ran the globals and main (short by construction) */
    FUZZ_FRONT_RAN_IN_CHILD, /* the same in a child process, within the time limit */
    FUZZ_FRONT_CHILD_TIMED_OUT, /* the child process was stopped at the time limit */
    FUZZ_FRONT__COUNT
} FuzzFrontOutcome;

extern const char *const fuzz_front_outcome_name[FUZZ_FRONT__COUNT];

FuzzFrontOutcome fuzz_front_run(const uint8_t *data, size_t size);
/* The same; *translated (when not NULL) says whether the translation
 * stages ran in this process (not in a child). */
FuzzFrontOutcome fuzz_front_run_stages(const uint8_t *data, size_t size, bool *translated);

#endif
