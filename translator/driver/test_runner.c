/* test_runner.c - `kiln test`: golden-file tests for Kiln C programs.
 *
 * For each NAME.kc under the given paths (folders are searched
 * recursively; folders named lib hold imported modules and are skipped):
 *   - expected stdout: NAME.out, else the `// expect: TEXT` header lines;
 *   - expected stderr: NAME.err, else `// expect-stderr: TEXT` lines, else
 *     not compared;
 *   - expected exit status: `// expect-exit: N`, default 0;
 *   - arguments: `// args: A B C`;
 *   - `// build-args: ARGS` (ARGS may be empty) makes it a test of `kiln
 *     build` instead: in every mode it runs once, as `kiln build NAME.kc -o
 *     TMP/vm ARGS` (TMP a temporary folder; a later `-o` in ARGS wins), and
 *     the build's stdout, stderr and exit status are compared; the VM, if
 *     one is built, is not run.  tests/errors/build holds such tests.
 * Header lines are the comment lines at the top of the file.
 *
 * Modes (--mode=):
 *   interp    `kiln run NAME.kc ARGS` (the graph interpreter);
 *   c         `kiln build NAME.kc -O1 -o VM` into a temporary folder, then
 *             the VM with argv[0] = NAME.kc, so that args[0] is what the
 *             interpreter shows; a build that fails counts as the run (its
 *             diagnostics and status are compared), so programs whose
 *             expectation is a front-end error pass in every mode;
 *   c-stress  the same VM under KILN_GC_STRESS=1 (a minor collection at
 *             every allocation, which moves every young object);
 *   llvm, llvm-stress  the same with `--backend=llvm`;
 *   all       interp, c, c-stress, llvm and llvm-stress in turn (one build
 *             per backend); without LLVM in this kiln, the llvm modes are
 *             left out with a note.
 * --sanitize builds the VMs with ASan and UBSan.  Every child runs in the
 * file's own folder, so messages show bare file names; a run past the time
 * limit is killed and fails.  A failure names the mode that disagreed.
 *
 * Translated modes skip the programs named in TRANSLATION_PENDING beside
 * them (lines `NAME: reason`; `#` starts a comment), printing "SKIP NAME:
 * reason".  The last line is "N passed, N failed, N skipped".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../backend_llvm/backend_llvm.h"
#include "../common/vec.h"
#include "driver.h"

enum { TEST_TIME_LIMIT_SECONDS = 120 };

typedef Vec(char) Buffer;
typedef Vec(char *) PathVec;
typedef Vec(char *) WordVec; /* arguments, each malloc'ed */

typedef struct TestCase {
    char *path; /* as found */
    Buffer expected_out;
    Buffer expected_err;
    bool has_expected_out;
    bool has_expected_err;
    bool has_err_file; /* NAME.err exists: it wins over expect-stderr lines */
    int expected_exit;
    WordVec args;
    bool is_build;      /* a `// build-args:` line: the test is the build */
    WordVec build_args; /* after `kiln build NAME.kc -o TMP/vm` */
} TestCase;

typedef enum TestMode {
    TEST_MODE_INTERP,
    TEST_MODE_C,
    TEST_MODE_C_STRESS,
    TEST_MODE_LLVM,
    TEST_MODE_LLVM_STRESS,
    TEST_MODE_ALL
} TestMode;

static const char *const test_mode_names[] = {"interp", "c",           "c-stress",
                                              "llvm",   "llvm-stress", "all"};

typedef struct TestRun {
    const char *self; /* the kiln executable */
    TestMode mode;
    bool sanitize;       /* translated modes: ASan/UBSan VMs */
    bool llvm_available; /* this kiln has the LLVM backend */
    char *build_dir;     /* translated modes: where the VMs go */
    int passed;
    int failed;
    int skipped;
    Vec(char *) failures;
} TestRun;

/* What one child process did. */
typedef struct TestOutcome {
    Buffer out, err;
    int status;
    bool finished;
} TestOutcome;

static void buffer_append(Buffer *buffer, const char *text, size_t length) {
    vec_reserve(buffer, buffer->count + (int)length + 1);
    memcpy(buffer->items + buffer->count, text, length);
    buffer->count += (int)length;
    buffer->items[buffer->count] = '\0';
}

static bool read_whole_file(const char *path, Buffer *buffer) {
    FILE *file = fopen(path, "rb");
    if (!file) return false;
    char chunk[65536];
    size_t got;
    buffer_append(buffer, "", 0);
    while ((got = fread(chunk, 1, sizeof chunk, file)) > 0)
        buffer_append(buffer, chunk, got);
    fclose(file);
    return true;
}

static char *sidecar_path(const char *path, const char *extension) {
    size_t length = strlen(path);
    char *result = kiln_xmalloc(length + strlen(extension) + 1);
    memcpy(result, path, length - 3); /* drop ".kc" */
    strcpy(result + length - 3, extension);
    return result;
}

/* Appends the blank-separated words of text[0..length) to `words`. */
static void test_split_words(const char *text, size_t length, WordVec *words) {
    char *copy = strndup(text, length);
    for (char *word = strtok(copy, " \t"); word; word = strtok(NULL, " \t"))
        vec_push(words, strdup(word));
    free(copy);
}

/* Reads the header comment lines: expect, expect-stderr, expect-exit, args,
 * build-args. */
static void test_read_headers(TestCase *test, const Buffer *source) {
    const char *line = source->items;
    const char *end = source->items + source->count;
    while (line < end) {
        const char *newline = memchr(line, '\n', (size_t)(end - line));
        const char *stop = newline ? newline : end;
        if (stop - line < 2 || line[0] != '/' || line[1] != '/') break;
        const char *text = line + 2;
        while (text < stop && *text == ' ')
            text++;
        size_t length = (size_t)(stop - text);
        if (length > 0 && text[length - 1] == '\r') length--;
        if (strncmp(text, "expect:", 7) == 0 && !test->has_expected_out) {
            const char *value = text + 7 + (length > 7 && text[7] == ' ');
            buffer_append(&test->expected_out, value, length - (size_t)(value - text));
            buffer_append(&test->expected_out, "\n", 1);
        } else if (strncmp(text, "expect-stderr:", 14) == 0 && !test->has_err_file) {
            const char *value = text + 14 + (length > 14 && text[14] == ' ');
            buffer_append(&test->expected_err, value, length - (size_t)(value - text));
            buffer_append(&test->expected_err, "\n", 1);
            test->has_expected_err = true;
        } else if (strncmp(text, "expect-exit:", 12) == 0) {
            test->expected_exit = atoi(text + 12);
        } else if (strncmp(text, "args:", 5) == 0) {
            test_split_words(text + 5, length - 5, &test->args);
        } else if (strncmp(text, "build-args:", 11) == 0) {
            test->is_build = true;
            test_split_words(text + 11, length - 11, &test->build_args);
        }
        line = stop + 1;
    }
}

static bool test_load(TestCase *test, const char *path) {
    memset(test, 0, sizeof *test);
    test->path = strdup(path);
    Buffer source = {0};
    if (!read_whole_file(path, &source)) return false;
    char *out_path = sidecar_path(path, ".out");
    char *err_path = sidecar_path(path, ".err");
    test->has_expected_out = read_whole_file(out_path, &test->expected_out);
    bool has_err_file = read_whole_file(err_path, &test->expected_err);
    test->has_expected_err = test->has_err_file = has_err_file;
    test_read_headers(test, &source);
    if (!test->has_expected_out) buffer_append(&test->expected_out, "", 0);
    free(out_path);
    free(err_path);
    vec_free(&source);
    return true;
}

static void test_free(TestCase *test) {
    free(test->path);
    vec_free(&test->expected_out);
    vec_free(&test->expected_err);
    for (int i = 0; i < test->args.count; i++)
        free(test->args.items[i]);
    vec_free(&test->args);
    for (int i = 0; i < test->build_args.count; i++)
        free(test->build_args.items[i]);
    vec_free(&test->build_args);
}

/* Drains both pipes while the child runs, so neither can fill and block. */
static bool test_collect(pid_t child, int out_fd, int err_fd, Buffer *out, Buffer *err,
                         int *status) {
    struct pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    Buffer *buffers[2] = {out, err};
    int open_count = 2;
    time_t deadline = time(NULL) + TEST_TIME_LIMIT_SECONDS;
    bool timed_out = false;
    while (open_count > 0) {
        int remaining = (int)(deadline - time(NULL));
        if (remaining <= 0) {
            kill(child, SIGKILL);
            timed_out = true;
            break;
        }
        if (poll(fds, 2, remaining * 1000) < 0 && errno != EINTR) break;
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char chunk[65536];
            ssize_t got = read(fds[i].fd, chunk, sizeof chunk);
            if (got > 0)
                buffer_append(buffers[i], chunk, (size_t)got);
            else {
                close(fds[i].fd);
                fds[i].fd = -1;
                open_count--;
            }
        }
    }
    for (int i = 0; i < 2; i++)
        if (fds[i].fd >= 0) close(fds[i].fd);
    waitpid(child, status, 0);
    return !timed_out;
}

/* In the child: stdin from /dev/null, the pipes as stdout and stderr, the
 * file's folder as working folder; returns the file's bare name. */
static const char *test_child_setup(const char *path, int out_pipe[2], int err_pipe[2]) {
    int no_input = open("/dev/null", O_RDONLY); /* a test never waits on a terminal */
    if (no_input >= 0) dup2(no_input, 0);
    dup2(out_pipe[1], 1);
    dup2(err_pipe[1], 2);
    close(out_pipe[0]);
    close(err_pipe[0]);
    close(out_pipe[1]);
    close(err_pipe[1]);
    char *folder = strdup(path);
    char *slash = strrchr(folder, '/');
    if (!slash) return path;
    *slash = '\0';
    if (chdir(folder[0] ? folder : "/") != 0) _exit(126);
    return slash + 1;
}

/* Runs `program argv...` as the test's child (argv[0] included) and
 * collects what it wrote. */
static void test_spawn(const char *path, const char *program, const char **argv, bool stress,
                       TestOutcome *outcome) {
    int out_pipe[2], err_pipe[2];
    if (pipe(out_pipe) != 0 || pipe(err_pipe) != 0)
        kiln_fatal("cannot create pipes: %s", strerror(errno));
    fflush(stdout);
    pid_t child = fork();
    if (child < 0) kiln_fatal("cannot fork: %s", strerror(errno));
    if (child == 0) {
        test_child_setup(path, out_pipe, err_pipe);
        if (stress) setenv("KILN_GC_STRESS", "1", 1);
        execv(program, (char *const *)argv);
        _exit(127);
    }
    close(out_pipe[1]);
    close(err_pipe[1]);
    memset(outcome, 0, sizeof *outcome);
    buffer_append(&outcome->out, "", 0);
    buffer_append(&outcome->err, "", 0);
    outcome->finished = test_collect(child, out_pipe[0], err_pipe[0], &outcome->out, &outcome->err,
                                     &outcome->status);
}

static const char *test_base_name(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

static void test_run_interp(const TestRun *run, const TestCase *test, TestOutcome *outcome) {
    const char **argv = calloc((size_t)test->args.count + 5, sizeof(char *));
    int count = 0;
    argv[count++] = run->self;
    argv[count++] = "run";
    argv[count++] = "--verify"; /* the corpus also checks the graphs it builds */
    argv[count++] = test_base_name(test->path);
    for (int i = 0; i < test->args.count; i++)
        argv[count++] = test->args.items[i];
    test_spawn(test->path, run->self, argv, false, outcome);
    free(argv);
}

/* Builds the test's VM; false (with the build's output as the outcome)
 * when the build fails. */
static bool test_build_vm(const TestRun *run, const TestCase *test, const char *vm, bool llvm,
                          TestOutcome *outcome) {
    const char *argv[] = {run->self,
                          "build",
                          "-O1",
                          llvm ? "--backend=llvm" : "--backend=c",
                          test_base_name(test->path),
                          "-o",
                          vm,
                          run->sanitize ? "--sanitize" : NULL,
                          NULL};
    test_spawn(test->path, run->self, argv, false, outcome);
    return outcome->finished && WIFEXITED(outcome->status) && WEXITSTATUS(outcome->status) == 0;
}

static void test_run_vm(const TestCase *test, const char *vm, bool stress, TestOutcome *outcome) {
    const char **argv = calloc((size_t)test->args.count + 2, sizeof(char *));
    int count = 0;
    argv[count++] = test_base_name(test->path); /* args[0]: what `kiln run` shows */
    for (int i = 0; i < test->args.count; i++)
        argv[count++] = test->args.items[i];
    test_spawn(test->path, vm, argv, stress, outcome);
    free(argv);
}

static void test_outcome_free(TestOutcome *outcome) {
    vec_free(&outcome->out);
    vec_free(&outcome->err);
}

/* The first line where two texts differ, for the failure message. */
static void test_first_difference(const char *expected, const char *got, char *message,
                                  size_t size) {
    int line = 1;
    const char *a = expected, *b = got;
    while (*a && *a == *b) {
        if (*a == '\n') line++;
        a++;
        b++;
    }
    const char *a_start = a, *b_start = b;
    while (a_start > expected && a_start[-1] != '\n')
        a_start--;
    while (b_start > got && b_start[-1] != '\n')
        b_start--;
    int a_length = (int)strcspn(a_start, "\n"), b_length = (int)strcspn(b_start, "\n");
    snprintf(message, size, "line %d: expected \"%.*s\"%s, got \"%.*s\"%s", line,
             a_length > 200 ? 200 : a_length, a_start, *a ? "" : " (end)",
             b_length > 200 ? 200 : b_length, b_start, *b ? "" : " (end)");
}

/* Compares one outcome with the expectations and reports it. */
static void test_judge(TestRun *run, const TestCase *test, const char *mode,
                       const TestOutcome *outcome) {
    char reason[1024] = "";
    int status = outcome->status;
    int exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    if (!outcome->finished)
        snprintf(reason, sizeof reason, "killed after %d s", TEST_TIME_LIMIT_SECONDS);
    else if (WIFSIGNALED(status))
        snprintf(reason, sizeof reason, "crashed with signal %d", WTERMSIG(status));
    else if (strcmp(outcome->out.items, test->expected_out.items) != 0) {
        char difference[900];
        test_first_difference(test->expected_out.items, outcome->out.items, difference,
                              sizeof difference);
        snprintf(reason, sizeof reason, "stdout differs at %s", difference);
    } else if (test->has_expected_err &&
               strcmp(outcome->err.items, test->expected_err.items) != 0) {
        char difference[900];
        test_first_difference(test->expected_err.items, outcome->err.items, difference,
                              sizeof difference);
        snprintf(reason, sizeof reason, "stderr differs at %s", difference);
    } else if (exit_status != test->expected_exit)
        snprintf(reason, sizeof reason, "exit status %d, expected %d", exit_status,
                 test->expected_exit);
    if (reason[0]) {
        printf("FAIL %s [%s]: %s\n", test->path, mode, reason);
        if (outcome->err.count > 0 && !test->has_expected_err)
            printf("  stderr: %.2000s\n", outcome->err.items);
        run->failed++;
        char *entry = kiln_xmalloc(strlen(test->path) + strlen(mode) + 4);
        sprintf(entry, "%s [%s]", test->path, mode);
        vec_push(&run->failures, entry);
    } else {
        printf("PASS %s [%s]\n", test->path, mode);
        run->passed++;
    }
}

/* The reason TRANSLATION_PENDING beside the test gives for it, or NULL. */
static char *test_pending_reason(const char *path) {
    const char *name = test_base_name(path);
    size_t folder_length = (size_t)(name - path);
    char *list_path = kiln_xmalloc(folder_length + sizeof "TRANSLATION_PENDING");
    memcpy(list_path, path, folder_length);
    strcpy(list_path + folder_length, "TRANSLATION_PENDING");
    Buffer list = {0};
    bool found = read_whole_file(list_path, &list);
    free(list_path);
    if (!found) return NULL;
    size_t name_length = strlen(name) - 3; /* without ".kc" */
    char *reason = NULL;
    for (char *line = strtok(list.items, "\n"); line && !reason; line = strtok(NULL, "\n")) {
        if (line[0] == '#') continue;
        if (strncmp(line, name, name_length) == 0 && line[name_length] == ':') {
            const char *text = line + name_length + 1;
            while (*text == ' ')
                text++;
            reason = strdup(text);
        }
    }
    vec_free(&list);
    return reason;
}

/* The temporary folder the VMs go to, made on first use. */
static const char *test_build_dir(TestRun *run) {
    if (!run->build_dir) {
        const char *tmp = getenv("TMPDIR");
        run->build_dir = kiln_xmalloc(strlen(tmp ? tmp : "/tmp") + sizeof "/kiln-test-XXXXXX");
        sprintf(run->build_dir, "%s/kiln-test-XXXXXX", tmp ? tmp : "/tmp");
        if (!mkdtemp(run->build_dir))
            kiln_fatal("cannot make a temporary folder: %s", strerror(errno));
    }
    return run->build_dir;
}

/* A `// build-args:` test: `kiln build NAME.kc -o TMP/vm ARGS` is the run. */
static void test_run_build(TestRun *run, const TestCase *test) {
    char vm[PATH_MAX];
    snprintf(vm, sizeof vm, "%s/vm", test_build_dir(run));
    const char **argv = calloc((size_t)test->build_args.count + 6, sizeof(char *));
    int count = 0;
    argv[count++] = run->self;
    argv[count++] = "build";
    argv[count++] = test_base_name(test->path);
    argv[count++] = "-o";
    argv[count++] = vm;
    for (int i = 0; i < test->build_args.count; i++)
        argv[count++] = test->build_args.items[i];
    TestOutcome outcome;
    test_spawn(test->path, run->self, argv, false, &outcome);
    test_judge(run, test, "build", &outcome);
    test_outcome_free(&outcome);
    free(argv);
    unlink(vm);
}

static void test_run_translated(TestRun *run, const TestCase *test, bool llvm, bool plain,
                                bool stress) {
    char *reason = test_pending_reason(test->path);
    if (reason) {
        printf("SKIP %s: %s\n", test->path, reason);
        run->skipped++;
        free(reason);
        return;
    }
    char vm[PATH_MAX];
    snprintf(vm, sizeof vm, "%s/vm", test_build_dir(run));
    TestOutcome outcome;
    bool built = test_build_vm(run, test, vm, llvm, &outcome);
    if (!built) {
        /* the build's diagnostics stand for the run in every translated mode */
        test_judge(run, test, llvm ? "llvm build" : "c build", &outcome);
        test_outcome_free(&outcome);
        return;
    }
    test_outcome_free(&outcome);
    if (plain) {
        test_run_vm(test, vm, false, &outcome);
        test_judge(run, test, llvm ? "llvm" : "c", &outcome);
        test_outcome_free(&outcome);
    }
    if (stress) {
        test_run_vm(test, vm, true, &outcome);
        test_judge(run, test, llvm ? "llvm-stress" : "c-stress", &outcome);
        test_outcome_free(&outcome);
    }
    unlink(vm);
}

static void test_run_one(TestRun *run, const char *path) {
    TestCase test;
    if (!test_load(&test, path)) {
        fprintf(stdout, "FAIL %s: cannot read it\n", path);
        run->failed++;
        vec_push(&run->failures, strdup(path));
        test_free(&test);
        return;
    }
    if (test.is_build) {
        test_run_build(run, &test); /* the same build in every mode */
        test_free(&test);
        return;
    }
    if (run->mode == TEST_MODE_INTERP || run->mode == TEST_MODE_ALL) {
        TestOutcome outcome;
        test_run_interp(run, &test, &outcome);
        test_judge(run, &test, "interp", &outcome);
        test_outcome_free(&outcome);
    }
    TestMode mode = run->mode;
    if (mode == TEST_MODE_C || mode == TEST_MODE_C_STRESS || mode == TEST_MODE_ALL)
        test_run_translated(run, &test, false, mode != TEST_MODE_C_STRESS, mode != TEST_MODE_C);
    bool llvm = mode == TEST_MODE_LLVM || mode == TEST_MODE_LLVM_STRESS ||
                (mode == TEST_MODE_ALL && run->llvm_available);
    if (llvm)
        test_run_translated(run, &test, true, mode != TEST_MODE_LLVM_STRESS,
                            mode != TEST_MODE_LLVM);
    test_free(&test);
}

static int compare_names(const void *left, const void *right) {
    return strcmp(*(char *const *)left, *(char *const *)right);
}

static void test_collect_paths(const char *path, PathVec *paths) {
    struct stat info;
    if (stat(path, &info) != 0) {
        fprintf(stderr, "kiln: error: cannot read '%s': %s\n", path, strerror(errno));
        vec_push(paths, NULL); /* counted as a failure */
        return;
    }
    if (!S_ISDIR(info.st_mode)) {
        vec_push(paths, strdup(path));
        return;
    }
    DIR *folder = opendir(path);
    if (!folder) return;
    Vec(char *) names = {0};
    for (struct dirent *entry = readdir(folder); entry; entry = readdir(folder)) {
        if (entry->d_name[0] == '.') continue;
        vec_push(&names, strdup(entry->d_name));
    }
    closedir(folder);
    qsort(names.items, (size_t)names.count, sizeof(char *), compare_names);
    for (int i = 0; i < names.count; i++) {
        char child[PATH_MAX];
        snprintf(child, sizeof child, "%s/%s", path, names.items[i]);
        size_t length = strlen(names.items[i]);
        bool is_dir = stat(child, &info) == 0 && S_ISDIR(info.st_mode);
        if (is_dir && strcmp(names.items[i], "lib") != 0)
            test_collect_paths(child, paths);
        else if (!is_dir && length > 3 && strcmp(names.items[i] + length - 3, ".kc") == 0)
            vec_push(paths, strdup(child));
        free(names.items[i]);
    }
    vec_free(&names);
}

static bool test_parse_mode(const char *name, TestMode *mode) {
    for (int i = 0; i <= TEST_MODE_ALL; i++)
        if (strcmp(name, test_mode_names[i]) == 0) {
            *mode = (TestMode)i;
            return true;
        }
    return false;
}

int driver_test(int argc, const char **argv, const char *self) {
    TestRun run = {0};
    run.mode = TEST_MODE_INTERP;
    char self_path[PATH_MAX];
    ssize_t length = readlink("/proc/self/exe", self_path, sizeof self_path - 1);
    if (length > 0) {
        self_path[length] = '\0';
        self = self_path;
    }
    run.self = self;
    PathVec paths = {0};
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "--mode=", 7) == 0) {
            if (!test_parse_mode(argv[i] + 7, &run.mode)) {
                fprintf(stderr,
                        "kiln: error: unknown test mode '%s'; available: interp, c, c-stress, "
                        "llvm, llvm-stress, all\n",
                        argv[i] + 7);
                return 2;
            }
            continue;
        }
        if (strcmp(argv[i], "--sanitize") == 0) {
            run.sanitize = true;
            continue;
        }
        test_collect_paths(argv[i], &paths);
    }
    if (argc == 0 || paths.count == 0) {
        fprintf(stderr, "kiln: error: 'kiln test' needs a .kc file or a folder that holds some\n");
        return 2;
    }
    run.llvm_available = backend_llvm_available();
    bool wants_llvm = run.mode == TEST_MODE_LLVM || run.mode == TEST_MODE_LLVM_STRESS;
    if (wants_llvm && !run.llvm_available) {
        fprintf(stderr, "kiln: error: kiln was built without LLVM: --mode=%s is off\n",
                test_mode_names[run.mode]);
        return 2;
    }
    if (run.mode == TEST_MODE_ALL && !run.llvm_available)
        printf("note: kiln was built without LLVM: the llvm modes are left out\n");
    for (int i = 0; i < paths.count; i++) {
        if (paths.items[i])
            test_run_one(&run, paths.items[i]);
        else
            run.failed++;
        free(paths.items[i]);
    }
    vec_free(&paths);
    if (run.build_dir) {
        rmdir(run.build_dir);
        free(run.build_dir);
    }
    if (run.failed > 0) {
        printf("failed:\n");
        for (int i = 0; i < run.failures.count; i++)
            printf("  %s\n", run.failures.items[i]);
    }
    for (int i = 0; i < run.failures.count; i++)
        free(run.failures.items[i]);
    vec_free(&run.failures);
    printf("%d passed, %d failed, %d skipped\n", run.passed, run.failed, run.skipped);
    return run.failed > 0 ? 1 : 0;
}
