/* build.c - `kiln build FILE.kc -o VM` and `kiln rtype --dump`: the stages
 * after annotation, then the C compiler.
 *
 *   typed graphs ──rtype──▶ ──transform──▶ ──backend_c──▶ DIR/kiln_*.c ──cc -j N──▶ VM
 *                                                           + kilnrt + stm_gc
 *
 * Each stage prints its time with --verbose (or --time), then a summary.
 */
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../annotate/annotate.h"
#include "../backend_c/backend_c.h"
#include "../interp/interp.h"
#include "../rtype/rtype.h"
#include "../transform/transform.h"
#include "driver.h"
#include "kiln_paths.h"

extern char **environ;

#if defined(__SANITIZE_ADDRESS__)
#define BUILD_RUNTIME_SANITIZED true
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define BUILD_RUNTIME_SANITIZED true
#endif
#endif
#ifndef BUILD_RUNTIME_SANITIZED
#define BUILD_RUNTIME_SANITIZED false
#endif

static double build_now(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

static void build_time(const DriverOptions *options, const char *stage, double *started) {
    double now = build_now();
    if (options->timings) fprintf(stderr, "[time] %-9s %8.1f ms\n", stage, (now - *started) * 1e3);
    *started = now;
}

/* Runs the commands (sh -c) at most `jobs` at a time; 0 when all succeed. */
static int build_run_commands(char **commands, int count, int jobs, bool verbose) {
    int running = 0, next = 0, failures = 0;
    while (next < count || running > 0) {
        while (next < count && running < (jobs < 1 ? 1 : jobs)) {
            if (verbose) fprintf(stderr, "%s\n", commands[next]);
            char *argv[] = {"sh", "-c", commands[next], NULL};
            pid_t pid;
            if (posix_spawnp(&pid, "sh", NULL, NULL, argv, environ) != 0) return 1;
            running++;
            next++;
        }
        int status;
        if (wait(&status) < 0) break;
        running--;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) failures++;
    }
    return failures;
}

/* A formatted command line in malloc'ed memory (paths have no length limit). */
static char *build_format(const char *format, ...) __attribute__((format(printf, 1, 2)));
static char *build_format(const char *format, ...) {
    va_list args;
    va_start(args, format);
    char *text = NULL;
    int length = vasprintf(&text, format, args);
    va_end(args);
    if (length < 0) kiln_fatal("out of memory formatting a command");
    return text;
}

static int build_compile(const DriverOptions *options, const char *dir, int file_count,
                         const char *output) {
    const char *cc = options->cc ? options->cc : "cc";
    char *probe = build_format("command -v '%s' >/dev/null 2>&1", cc);
    int found = system(probe);
    free(probe);
    if (found != 0) {
        fprintf(stderr, "kiln: error: the C compiler '%s' was not found (use --cc=PATH)\n", cc);
        return 1;
    }
    /* a kiln built with the sanitizers (KILN_SANITIZE) links against a
     * kilnrt and stm_gc built with them: the VM needs them too */
    const char *sanitize =
        options->sanitize || BUILD_RUNTIME_SANITIZED ? "-fsanitize=address,undefined" : "";
    char *flags =
        build_format("-O%d -g -w -fwrapv -fno-strict-aliasing %s -I'%s' -I'%s' -I'%s'",
                     options->opt_level, sanitize, dir, KILN_RTLIB_INCLUDE, KILN_GC_INCLUDE);
    char **commands = calloc((size_t)file_count + 1, sizeof(char *));
    if (!commands) kiln_fatal("out of memory");
    for (int i = 0; i < file_count; i++) {
        char source[64];
        if (i == 0)
            snprintf(source, sizeof source, "kiln_data");
        else
            snprintf(source, sizeof source, "kiln_funcs_%d", i - 1);
        commands[i] =
            build_format("'%s' %s -c '%s/%s.c' -o '%s/%s.o'", cc, flags, dir, source, dir, source);
    }
    free(flags);
    int failures = build_run_commands(commands, file_count, options->jobs, options->verbose);
    for (int i = 0; i < file_count; i++)
        free(commands[i]);
    free(commands);
    if (failures) {
        fprintf(stderr,
                "kiln: error: the C compiler failed on the generated code in %s (the "
                "#line directives name the Kiln C lines; rerun with --keep-c DIR)\n",
                dir);
        return 1;
    }
    char *link = build_format("'%s' %s '%s'/*.o '%s' '%s' -lm -lpthread -o '%s'", cc, sanitize, dir,
                              KILN_RTLIB_LIBRARY, KILN_GC_LIBRARY, output);
    char *link_command[] = {link};
    int link_failed = build_run_commands(link_command, 1, 1, options->verbose);
    free(link);
    if (link_failed) {
        fprintf(stderr, "kiln: error: linking %s failed\n", output);
        return 1;
    }
    return 0;
}

static int build_translate(DriverSession *session, const DriverOptions *options, Interp *interp,
                           Annotator *annotator, DriverStage last, const char *output) {
    double started = build_now();
    RtypeProgram *rtype = rtype_program(session->flow, annotator, &session->diag);
    build_time(options, "rtype", &started);
    if (!rtype || rtype->errors) {
        rtype_free(rtype);
        return 1;
    }
    if (last == STAGE_RTYPE) {
        rtype_dump(stdout, rtype);
        rtype_free(rtype);
        return 0;
    }
    TransformProgram *transform = transform_program(rtype);
    build_time(options, "transform", &started);
    if (last == STAGE_TRANSFORM) {
        transform_dump(stdout, transform);
        transform_free(transform);
        rtype_free(rtype);
        return 0;
    }
    char dir[4096];
    if (options->keep_c) {
        snprintf(dir, sizeof dir, "%s", options->keep_c);
        mkdir(dir, 0777);
    } else {
        snprintf(dir, sizeof dir, "%s/kiln-build-XXXXXX",
                 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        if (!mkdtemp(dir)) {
            diag_plain_error(&session->diag, "cannot make a temporary directory");
            return 1;
        }
    }
    BackendCOptions backend = {dir, options->jobs > 1 ? options->jobs * 2 : 2, true};
    int files = backend_c_emit(transform, interp, &backend);
    build_time(options, "emit", &started);
    int status = files < 0 ? 1 : 0;
    if (status == 0 && last != STAGE_EMIT) {
        status = build_compile(options, dir, files, output);
        build_time(options, "cc", &started);
    }
    if (options->timings || options->verbose)
        fprintf(stderr,
                "[summary] %d functions, %d GC types, %d spills, %d write barriers (%d "
                "removed) -> %s\n",
                rtype->func_count, rtype->type_count, transform->spilled_refs, transform->barriers,
                transform->barriers_removed, status == 0 && last != STAGE_EMIT ? output : dir);
    if (!options->keep_c) {
        char *clean = build_format("rm -rf '%s'", dir);
        if (system(clean) != 0) fprintf(stderr, "kiln: warning: could not remove %s\n", dir);
        free(clean);
    }
    transform_free(transform);
    rtype_free(rtype);
    return status;
}

int driver_build(DriverSession *session, const DriverOptions *options, DriverStage last,
                 const char *output) {
    if (session->flow->main_graph < 0) {
        diag_plain_error(&session->diag, "the program has no 'main' function");
        return 1;
    }
    double started = build_now();
    Interp *interp = interp_create(session->flow, &session->diag, NULL);
    int status = interp_run_globals(interp);
    build_time(options, "globals", &started);
    Annotator *annotator = NULL;
    if (status == 0) {
        annotator = ann_create(session->flow, &session->diag);
        status = ann_run(annotator, interp) > 0 ? 1 : 0;
        build_time(options, "annotate", &started);
    }
    if (status == 0) status = build_translate(session, options, interp, annotator, last, output);
    if (annotator) ann_destroy(annotator);
    interp_destroy(interp);
    return status;
}
