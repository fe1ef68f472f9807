/* driver.h - the `kiln` command: option parsing, the pipeline, and the
 * golden-file test runner. */
#ifndef KILN_DRIVER_H
#define KILN_DRIVER_H

#include <stdbool.h>

#include "../common/arena.h"
#include "../common/diag.h"
#include "../common/intern.h"
#include "../flow/flow.h"
#include "../parse/ast.h"

/* Stages after STAGE_RUN belong to `kiln build` (build.c). */
typedef enum DriverStage {
    STAGE_PARSE,
    STAGE_FLOW,
    STAGE_ANNOTATE,
    STAGE_RUN,
    STAGE_RTYPE,
    STAGE_TRANSFORM,
    STAGE_LOWER,
    STAGE_OPTIMIZE,
    STAGE_EMIT,
    STAGE_BUILD
} DriverStage;

typedef struct DriverOptions {
    const char **search_paths; /* -I DIR, in order */
    int search_path_count;
    bool dump;      /* --dump: print the stage's result */
    bool dot;       /* --dot: Graphviz output of the flow graphs */
    bool verify;    /* --verify: run the flow verifier (always on in debug builds) */
    bool timings;   /* --time: print each stage's time on stderr */
    bool gc_stress; /* --gc-stress: collect the interpreter heap at every safe point */
    bool types;     /* --types: `flow --dot` shows the annotator's types */
    /* kiln build */
    const char *output; /* -o FILE */
    const char *cc;     /* --cc=CC (default cc) */
    const char *keep_c; /* --keep-c DIR: write the C there and keep it */
    int opt_level;      /* -O0 .. -O3 for the C compiler (default 2) */
    int jobs;           /* -j N: parallel C compilations */
    bool verbose;       /* --verbose: stage times, the commands run */
    bool sanitize;      /* --sanitize: build the VM with ASan and UBSan */
    DriverStage stage;  /* --stage=NAME: stop after that stage (0: build the VM) */
    bool llvm;          /* --backend=llvm (else the C backend) */
    bool emit_llvm;     /* --emit-llvm: write the LLVM module as text (.ll) to -o */
    bool emit_bc;       /* --emit-bc: write it as bitcode (.bc) to -o */
} DriverOptions;

/* Everything one run of the front end owns; freed by driver_session_free. */
typedef struct DriverSession {
    Arena source_arena; /* file texts, AST, interned names: until the session ends */
    InternTable interns;
    DiagContext diag;
    AstProgram *ast;
    FlowProgram *flow;
} DriverSession;

void driver_session_init(DriverSession *session);
void driver_session_free(DriverSession *session);
/* Runs the stages up to `last` (see the diagram in pipeline.c); returns the
 * process exit status. */
int driver_pipeline(DriverSession *session, const DriverOptions *options, const char *path,
                    DriverStage last, int argc, const char **argv);

/* The annotate stage (check.c): annotates session->flow with the globals
 * computed by interp (which has run them); when `last` is STAGE_ANNOTATE,
 * dumps per options; returns the exit status (1 after type errors). */
struct Interp;
int driver_annotate(DriverSession *session, const DriverOptions *options, DriverStage last,
                    struct Interp *interp);

/* `kiln build` and `kiln rtype --dump` (build.c): the stages after
 * annotation up to `last`, then the C compiler. */
int driver_build(DriverSession *session, const DriverOptions *options, DriverStage last,
                 const char *output);

/* `kiln test PATH...`: see test_runner.c. */
int driver_test(int argc, const char **argv, const char *self);

#endif
