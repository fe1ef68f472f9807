/* pipeline.c - the stages of kiln, in order.
 *
 *   FILE.kc ──parse──▶ AST ──flow──▶ flow graphs ──globals──▶ ──annotate──▶ ──run main──▶
 *   (parse/)             (flow/)        │            (interp/)   (annotate/)   (interp/)
 *                                       └─verify (debug builds, --verify)
 *
 * The global initializers run in the graph interpreter before annotation
 * (their values are prebuilt constants); `kiln check` stops after
 * annotate, `kiln run` goes on to run main when annotation found no error.
 *
 * `kiln build` goes on after annotate with rtype, transform, emit and the
 * C compiler (build.c has their diagram).  Each stage either passes the
 * program on or reports diagnostics that point at Kiln C source, and the
 * pipeline stops at the first stage with errors.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "../interp/interp.h"
#include "../parse/parse.h"
#include "driver.h"

void driver_session_init(DriverSession *session) {
    memset(session, 0, sizeof *session);
    arena_init(&session->source_arena);
    intern_init(&session->interns, &session->source_arena);
    diag_init(&session->diag);
}

void driver_session_free(DriverSession *session) {
    flow_program_free(session->flow);
    intern_free(&session->interns);
    diag_free(&session->diag);
    arena_free(&session->source_arena);
}

static double driver_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

static void driver_report_time(const DriverOptions *options, const char *stage, double started) {
    if (options->timings)
        fprintf(stderr, "[time] %-8s %8.3f ms\n", stage, (driver_now() - started) * 1e3);
}

static int driver_run(DriverSession *session, const DriverOptions *options, DriverStage last,
                      int argc, const char **argv) {
    if (session->flow->main_graph < 0) {
        diag_plain_error(&session->diag, "the program has no 'main' function");
        return 1;
    }
    InterpOptions interp_options = {0};
    interp_options.gc_stress = options->gc_stress;
    Interp *interp = interp_create(session->flow, &session->diag, &interp_options);
    int status = interp_run_globals(interp);
    if (status == 0) status = driver_annotate(session, options, last, interp);
    if (status == 0 && last == STAGE_RUN) status = interp_run_main(interp, argc, argv);
    interp_destroy(interp);
    return status;
}

int driver_pipeline(DriverSession *session, const DriverOptions *options, const char *path,
                    DriverStage last, int argc, const char **argv) {
    ParseContext parse_context = {&session->source_arena, &session->interns, &session->diag,
                                  options->search_paths, options->search_path_count};
    double started = driver_now();
    session->ast = flow_parse_program(&parse_context, path, NULL, 0);
    driver_report_time(options, "parse", started);
    if (!session->ast || session->diag.errors) return 1;
    if (last == STAGE_PARSE) {
        if (options->dump) ast_dump_program(stdout, &session->diag, session->ast);
        return 0;
    }

    started = driver_now();
    session->flow = flow_build_program(session->ast, &session->interns, &session->diag);
    driver_report_time(options, "flow", started);
    if (session->diag.errors) return 1;
#ifdef KILN_DEBUG
    bool verify = true;
#else
    bool verify = options->verify;
#endif
    if (verify && flow_verify_program(session->flow, stderr) > 0) {
        diag_plain_error(&session->diag, "the flow graphs are malformed (an internal error)");
        return 70;
    }
    if (last == STAGE_FLOW && options->dot && options->types) last = STAGE_ANNOTATE;
    if (last == STAGE_FLOW) {
        if (options->dot)
            flow_dot_program(stdout, session->flow);
        else if (options->dump)
            flow_dump_program(stdout, session->flow);
        return 0;
    }

    started = driver_now();
    if (last >= STAGE_RTYPE) return driver_build(session, options, last, options->output);
    int status = driver_run(session, options, last, argc, argv);
    driver_report_time(options, last == STAGE_ANNOTATE ? "annotate" : "run", started);
    return status;
}
