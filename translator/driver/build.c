/* build.c - `kiln build FILE.kc -o VM` and `kiln rtype --dump`: the stages
 * after annotation, then the C compiler.
 *
 *   typed graphs ──rtype──▶ ──transform──▶ ──lower──▶ ──optimize (-O1..)──▶ low-level graphs
 *     ──backend_c──▶ DIR/kiln_funcs_N.c ─┐
 *     or backend_llvm ▶ DIR/kiln_llvm.o ─┼─ DIR/kiln_data.c (backend_c) ──cc -j N──▶ VM
 *                                         └────────────── + kilnrt + stm_gc
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
#include "../backend_llvm/backend_llvm.h"
#include "../interp/interp.h"
#include "../rtype/rtype.h"
#include "../transform/lower.h"
#include "../transform/optimize.h"
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

/* The C compiler and its diagnostics.
 *
 * Each compile writes its stderr to DIR/NAME.cc.log and, when it fails, its
 * exit status to DIR/NAME.cc.status (the shell's `||` branch), so the files
 * that failed are known after the parallel run.  The generated C names Kiln
 * C positions through `#line` directives, one before each statement, so the
 * compiler's own message points at the .kc file; to name the generated line
 * as well, the failing file is compiled once more as a copy with its
 * directives commented out (same lines, same numbers), and the nearest
 * directive above the reported line gives the Kiln C line. */

/* Why `path` cannot be run as the C compiler, or NULL when it can. */
static const char *build_executable_problem(const char *path) {
    struct stat info;
    if (stat(path, &info) != 0) return "was not found";
    if (S_ISDIR(info.st_mode)) return "is a folder";
    if (access(path, X_OK) != 0) return "is not executable";
    return NULL;
}

/* Whether `cc` names an executable file, as a path or through PATH (as the
 * shell will look it up); reports why not. */
static bool build_check_compiler(const char *cc) {
    const char *problem = NULL;
    if (strchr(cc, '/')) {
        problem = build_executable_problem(cc);
    } else {
        problem = "was not found in PATH";
        const char *path = getenv("PATH");
        char *search = strdup(path ? path : "/usr/bin:/bin");
        char *rest = search;
        for (char *folder = strsep(&rest, ":"); folder && problem; folder = strsep(&rest, ":")) {
            char *candidate = build_format("%s/%s", folder[0] ? folder : ".", cc);
            if (!build_executable_problem(candidate)) problem = NULL;
            free(candidate);
        }
        free(search);
    }
    if (problem)
        fprintf(stderr, "kiln: error: the C compiler '%s' %s (name one with --cc=PATH)\n", cc,
                problem);
    return !problem;
}

/* Whether the VM can be written at `output`: not a folder, in a folder that
 * exists and is writable; reports why not before anything is compiled. */
static bool build_check_output(const char *output) {
    const char *slash = strrchr(output, '/');
    char *folder = slash == output ? strdup("/")
                   : slash         ? strndup(output, (size_t)(slash - output))
                                   : strdup(".");
    struct stat info;
    char *problem = NULL;
    if (stat(output, &info) == 0 && S_ISDIR(info.st_mode))
        problem = build_format("it is a folder");
    else if (stat(folder, &info) != 0)
        problem = build_format("the folder '%s' does not exist", folder);
    else if (!S_ISDIR(info.st_mode))
        problem = build_format("'%s' is not a folder", folder);
    else if (access(folder, W_OK) != 0)
        problem = build_format("the folder '%s' is not writable", folder);
    if (problem) fprintf(stderr, "kiln: error: cannot write the VM to '%s': %s\n", output, problem);
    free(problem);
    free(folder);
    return !problem;
}

/* Where line `number` (from 1) of `text` starts; NULL past the end. */
static const char *build_line_start(const char *text, long number) {
    const char *line = text;
    for (long i = 1; i < number && line; i++) {
        line = strchr(line, '\n');
        if (line) line++;
    }
    return number >= 1 && line && *line ? line : NULL;
}

/* Prints line `number` of the file at `path` on its own, indented 4 spaces
 * like the source lines of diagnostics (its own indentation dropped). */
static void build_print_line(const char *path, long number) {
    char *text = kiln_read_text(path);
    const char *line = text ? build_line_start(text, number) : NULL;
    if (line) {
        line += strspn(line, " \t");
        int length = (int)strcspn(line, "\r\n");
        while (length > 0 && (line[length - 1] == ' ' || line[length - 1] == '\t'))
            length--;
        fprintf(stderr, "    %.*s\n", length, line);
    }
    free(text);
}

/* The first error message in a compiler's log: the first line that reports
 * an error (compilers print "error:", linkers "undefined reference" and the
 * like, before the driver's own "error:" summary), else its first line that
 * is not blank; malloc'ed, NULL when the log is empty or missing.  Context
 * lines such as "In function 'k3_report_error':" do not count. */
static char *build_first_error(const char *log_path) {
    static const char *const markers[] = {"error:", "undefined reference", "multiple definition",
                                          "cannot find"};
    char *log = kiln_read_text(log_path);
    if (!log) return NULL;
    const char *first = NULL, *found = NULL;
    for (const char *line = log; *line && !found;) {
        size_t length = strcspn(line, "\n");
        if (!first && strspn(line, " \t\r") < length) first = line;
        for (size_t i = 0; i < sizeof markers / sizeof markers[0] && !found; i++)
            if (memmem(line, length, markers[i], strlen(markers[i]))) found = line;
        line += length + (line[length] == '\n');
    }
    const char *chosen = found ? found : first;
    char *message = chosen ? strndup(chosen, strcspn(chosen, "\r\n")) : NULL;
    free(log);
    return message;
}

/* Prints "  LABEL: MESSAGE".  When the build folder is a temporary one (gone
 * when kiln exits), each "DIR/" in the message is dropped, so that it names
 * the generated files by their bare names. */
static void build_print_message(const char *label, const char *message, const char *dir,
                                bool kept) {
    fprintf(stderr, "  %s: ", label);
    size_t dir_length = strlen(dir);
    for (const char *cursor = message; *cursor;) {
        if (!kept && strncmp(cursor, dir, dir_length) == 0 && cursor[dir_length] == '/') {
            cursor += dir_length + 1;
            continue;
        }
        fputc(*cursor++, stderr);
    }
    fputc('\n', stderr);
}

/* The file and line a compiler message starts with ("PATH:LINE:..."), the
 * path malloc'ed; false when it names none. */
static bool build_message_position(const char *message, char **path, long *line) {
    for (const char *colon = strchr(message, ':'); colon; colon = strchr(colon + 1, ':')) {
        size_t digits = strspn(colon + 1, "0123456789");
        if (digits > 0 && colon[1 + digits] == ':') {
            *path = strndup(message, (size_t)(colon - message));
            *line = strtol(colon + 1, NULL, 10);
            return true;
        }
    }
    return false;
}

/* The Kiln C position of line `number` of generated `text`, as the C
 * compiler counts it: the nearest `#line N ["FILE"]` above it gives line N
 * to the line after it (the file stays the last one named); the path
 * malloc'ed, false when no directive precedes the line. */
static bool build_kiln_position(const char *text, long number, char **kc_path, long *kc_line) {
    *kc_path = NULL;
    *kc_line = 0;
    const char *line = text;
    for (long index = 1; index < number && line; index++) {
        char *after = NULL;
        long value = strncmp(line, "#line ", 6) == 0 ? strtol(line + 6, &after, 10) : 0;
        if (after && after[0] == ' ' && after[1] == '"') {
            free(*kc_path);
            *kc_path = strndup(after + 2, strcspn(after + 2, "\"\r\n"));
        }
        if (after && *kc_path) *kc_line = value + (number - index - 1);
        line = strchr(line, '\n');
        if (line) line++;
    }
    return *kc_path != NULL;
}

/* Compiles a copy of DIR/NAME.c with its `#line` directives commented out
 * (the same lines, so the same numbers), so that the compiler names
 * generated lines; returns its first error message (malloc'ed) or NULL. */
static char *build_unlined_error(const DriverOptions *options, const char *cc, const char *flags,
                                 const char *dir, const char *name, const char *text) {
    char *copy_path = build_format("%s/%s.unlined.c", dir, name);
    char *log_path = build_format("%s/%s.unlined.log", dir, name);
    char *message = NULL;
    FILE *copy = fopen(copy_path, "w");
    if (copy) {
        for (const char *line = text; *line;) {
            size_t length = strcspn(line, "\n");
            if (strncmp(line, "#line ", 6) == 0) fputs("//", copy);
            length += line[length] == '\n';
            fwrite(line, 1, length, copy);
            line += length;
        }
        fclose(copy);
        /* the object goes nowhere: the link takes every object in DIR */
        char *command =
            build_format("'%s' %s -c '%s' -o /dev/null 2>'%s'", cc, flags, copy_path, log_path);
        build_run_commands(&command, 1, 1, options->verbose);
        free(command);
        message = build_first_error(log_path);
        unlink(log_path);
    }
    unlink(copy_path);
    free(copy_path);
    free(log_path);
    return message;
}

/* Shows the generated line the compile of DIR/NAME.c failed on and the
 * Kiln C line it comes from. */
static void build_explain_compile(const DriverOptions *options, const char *cc, const char *flags,
                                  const char *dir, const char *name) {
    char *source_path = build_format("%s/%s.c", dir, name);
    char *text = kiln_read_text(source_path);
    char *message = text ? build_unlined_error(options, cc, flags, dir, name, text) : NULL;
    char *position_path = NULL;
    long generated_line = 0;
    if (message && build_message_position(message, &position_path, &generated_line)) {
        char *copy_name = build_format("%s.unlined.c", name);
        size_t path_length = strlen(position_path), copy_length = strlen(copy_name);
        bool in_copy = path_length >= copy_length &&
                       strcmp(position_path + path_length - copy_length, copy_name) == 0;
        free(copy_name);
        /* an error in a header names that header, with no #line of its own */
        const char *shown_path = in_copy ? source_path : position_path;
        char *shown_text = in_copy ? NULL : kiln_read_text(position_path);
        char *where = build_format("%s:%ld", shown_path, generated_line);
        build_print_message("in the generated C", where, dir, options->keep_c);
        build_print_line(shown_path, generated_line);
        char *kc_path;
        long kc_line;
        const char *generated = in_copy ? text : shown_text;
        if (generated && build_kiln_position(generated, generated_line, &kc_path, &kc_line)) {
            fprintf(stderr, "  from the Kiln C: %s:%ld\n", kc_path, kc_line);
            build_print_line(kc_path, kc_line);
            free(kc_path);
        }
        free(where);
        free(shown_text);
    }
    free(position_path);
    free(message);
    free(text);
    free(source_path);
}

/* The name of generated file `index`, without ".c": kiln_data, then
 * kiln_funcs_0, kiln_funcs_1, ... (backend_c's names). */
static void build_source_name(int index, char *name, size_t size) {
    if (index == 0)
        snprintf(name, size, "kiln_data");
    else
        snprintf(name, size, "kiln_funcs_%d", index - 1);
}

static void build_print_keep_hint(const DriverOptions *options, const char *dir) {
    if (options->keep_c)
        fprintf(stderr, "  the generated C is in %s\n", dir);
    else
        fprintf(stderr, "  rerun with --keep-c DIR to keep the generated C\n");
}

/* Reports failed compiles: for the first generated file that failed (its
 * status file exists), the compiler's first error, then the generated and
 * the Kiln C line. */
static void build_report_compile_failure(const DriverOptions *options, const char *cc,
                                         const char *flags, const char *dir, int file_count,
                                         int failures) {
    fprintf(stderr, "kiln: error: the C compiler failed on generated code\n");
    for (int i = 0; i < file_count; i++) {
        char name[64];
        build_source_name(i, name, sizeof name);
        char *status_path = build_format("%s/%s.cc.status", dir, name);
        char *status = kiln_read_text(status_path);
        free(status_path);
        if (!status) continue;
        char *log_path = build_format("%s/%s.cc.log", dir, name);
        char *message = build_first_error(log_path);
        if (message)
            build_print_message("the C compiler said", message, dir, options->keep_c);
        else
            fprintf(stderr, "  the C compiler printed nothing and exited with status %d\n",
                    atoi(status));
        build_explain_compile(options, cc, flags, dir, name);
        free(message);
        free(log_path);
        free(status);
        break;
    }
    if (failures > 1)
        fprintf(stderr, "  (%d generated files failed; the first is shown)\n", failures);
    build_print_keep_hint(options, dir);
}

static int build_compile(const DriverOptions *options, const char *dir, int file_count,
                         const char *output) {
    const char *cc = options->cc ? options->cc : "cc";
    if (!build_check_compiler(cc) || !build_check_output(output)) return 1;
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
        build_source_name(i, source, sizeof source);
        char *status = build_format("%s/%s.cc.status", dir, source);
        unlink(status); /* a kept folder may hold one from an earlier build */
        free(status);
        commands[i] = build_format("'%s' %s -c '%s/%s.c' -o '%s/%s.o' 2>'%s/%s.cc.log' || "
                                   "{ echo $? >'%s/%s.cc.status'; exit 1; }",
                                   cc, flags, dir, source, dir, source, dir, source, dir, source);
    }
    int failures = build_run_commands(commands, file_count, options->jobs, options->verbose);
    for (int i = 0; i < file_count; i++)
        free(commands[i]);
    free(commands);
    if (failures) {
        build_report_compile_failure(options, cc, flags, dir, file_count, failures);
        free(flags);
        return 1;
    }
    free(flags);
    char *link =
        build_format("'%s' %s '%s'/*.o '%s' '%s' -lm -lpthread -o '%s' 2>'%s/kiln_link.log'", cc,
                     sanitize, dir, KILN_RTLIB_LIBRARY, KILN_GC_LIBRARY, output, dir);
    char *link_command[] = {link};
    int link_failed = build_run_commands(link_command, 1, 1, options->verbose);
    free(link);
    if (link_failed) {
        fprintf(stderr, "kiln: error: linking the VM failed\n");
        char *log_path = build_format("%s/kiln_link.log", dir);
        char *message = build_first_error(log_path);
        if (message) build_print_message("the linker said", message, dir, options->keep_c);
        free(message);
        free(log_path);
        build_print_keep_hint(options, dir);
        return 1;
    }
    return 0;
}

/* The stages that every backend shares: rtype, transform, lower,
 * optimize.  Returns the low-level program, or NULL with *status set
 * (0 when a --stage dump ended the build). */
static LowProgram *build_lower(DriverSession *session, const DriverOptions *options,
                               RtypeProgram *rtype, TransformProgram **transform_out,
                               DriverStage last, int *status) {
    double started = build_now();
    *status = 0;
    TransformProgram *transform = transform_program(rtype);
    *transform_out = transform;
    build_time(options, "transform", &started);
    if (last == STAGE_TRANSFORM) {
        transform_dump(stdout, transform);
        return NULL;
    }
    LowProgram *low = lower_program(transform);
    build_time(options, "lower", &started);
#ifdef KILN_DEBUG
    bool verify = true;
#else
    bool verify = options->verify;
#endif
    if (verify && low_verify(low, stderr) > 0) {
        diag_plain_error(&session->diag, "the low-level graphs are malformed (an internal error)");
        low_program_free(low);
        *status = 70;
        return NULL;
    }
    if (last == STAGE_LOWER) {
        low_dump(stdout, low, &session->diag);
        low_program_free(low);
        return NULL;
    }
    if (options->opt_level >= 1) {
        int inlined = transform_inline(low, TRANSFORM_INLINE_SIZE_LIMIT);
        int removed = transform_virtualize(low);
        int folded = transform_fold(low);
        build_time(options, "optimize", &started);
        if (options->verbose)
            fprintf(stderr,
                    "[optimize] %d calls inlined, %d allocations removed, %d constants folded\n",
                    inlined, removed, folded);
        if (verify && low_verify(low, stderr) > 0) {
            diag_plain_error(&session->diag,
                             "the optimized low-level graphs are malformed (an internal error)");
            low_program_free(low);
            *status = 70;
            return NULL;
        }
    }
    if (last == STAGE_OPTIMIZE) {
        low_dump(stdout, low, &session->diag);
        low_program_free(low);
        return NULL;
    }
    return low;
}

/* A folder for the generated files: --keep-c's, or a temporary one. */
static bool build_make_dir(DriverSession *session, const DriverOptions *options, char *dir,
                           size_t size) {
    if (options->keep_c) {
        snprintf(dir, size, "%s", options->keep_c);
        mkdir(dir, 0777);
        return true;
    }
    snprintf(dir, size, "%s/kiln-build-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (mkdtemp(dir)) return true;
    diag_plain_error(&session->diag, "cannot make a temporary directory");
    return false;
}

/* The LLVM module of the functions: an object in `dir`, or with
 * --emit-llvm / --emit-bc the module itself at `output`. */
static int build_llvm(DriverSession *session, const DriverOptions *options, const LowProgram *low,
                      const char *dir, const char *output) {
    if (!backend_llvm_available()) {
        diag_plain_error(&session->diag, "kiln was built without LLVM: --backend=llvm, "
                                         "--emit-llvm and --emit-bc are off (install llvm-19-dev "
                                         "and rebuild kiln)");
        return 1;
    }
    char object[4200];
    snprintf(object, sizeof object, "%s/kiln_llvm.o", dir ? dir : ".");
    BackendLlvmOptions llvm = {options->opt_level,
                               true,
                               true,
                               dir ? object : NULL,
                               options->emit_llvm ? output : NULL,
                               options->emit_bc ? output : NULL,
                               options->sanitize || BUILD_RUNTIME_SANITIZED};
    return backend_llvm_emit(low, &session->diag, &llvm) == 0 ? 0 : 1;
}

/* Emission and the C compiler: the functions by the chosen backend, the
 * data (descriptors, vtables, prebuilt globals, main) as C. */
static int build_emit(DriverSession *session, const DriverOptions *options, Interp *interp,
                      TransformProgram *transform, const LowProgram *low, DriverStage last,
                      const char *output) {
    double started = build_now();
    if (options->emit_llvm || options->emit_bc) {
        int status = build_llvm(session, options, low, NULL, output);
        build_time(options, "llvm", &started);
        return status;
    }
    char dir[4096];
    if (!build_make_dir(session, options, dir, sizeof dir)) return 1;
    BackendCOptions backend = {dir, options->jobs > 1 ? options->jobs * 2 : 2, true,
                               options->gc_stress, options->llvm};
    int files = backend_c_emit(transform, low, interp, &backend);
    build_time(options, "emit", &started);
    int status = files < 0 ? 1 : 0;
    if (status == 0 && options->llvm) {
        status = build_llvm(session, options, low, dir, output);
        build_time(options, "llvm", &started);
    }
    if (status == 0 && last != STAGE_EMIT) {
        status = build_compile(options, dir, files, output);
        build_time(options, "cc", &started);
    }
    const RtypeProgram *rtype = transform->rtype;
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
    return status;
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
    TransformProgram *transform = NULL;
    int status = 0;
    LowProgram *low = build_lower(session, options, rtype, &transform, last, &status);
    if (low) status = build_emit(session, options, interp, transform, low, last, output);
    low_program_free(low);
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
