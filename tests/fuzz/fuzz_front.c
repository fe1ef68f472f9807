/* fuzz_front.c - see fuzz_front.h. */
#include "fuzz_front.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/arena.h"
#include "common/diag.h"
#include "common/intern.h"
#include "annotate/annotate.h"
#include "backend_c/backend_c.h"
#include "flow/flow.h"
#include "interp/interp.h"
#include "parse/parse.h"
#include "rtype/low.h"
#include "rtype/rtype.h"
#include "transform/lower.h"
#include "transform/optimize.h"
#include "transform/transform.h"

const char *const fuzz_front_outcome_name[FUZZ_FRONT__COUNT] = {
    [FUZZ_FRONT_PARSE_ERRORS] = "parse errors",
    [FUZZ_FRONT_FLOW_ERRORS] = "flow errors",
    [FUZZ_FRONT_NOT_RUN] = "built, not run",
    [FUZZ_FRONT_RAN] = "ran",
    [FUZZ_FRONT_RAN_IN_CHILD] = "ran in a child",
    [FUZZ_FRONT_CHILD_TIMED_OUT] = "stopped at the time limit",
};

/* Everything one input allocates, freed together by fuzz_front_state_free. */
typedef struct FuzzFrontState {
    Arena arena; /* source arena: input text, AST, interned names */
    InternTable interns;
    DiagContext diag;
    FILE *sink; /* /dev/null: diagnostics and program output */
    FlowProgram *program;
    bool translated; /* the translation stages ran to the C files */
} FuzzFrontState;

static void fuzz_front_state_free(FuzzFrontState *state) {
    if (state->program) flow_program_free(state->program);
    intern_free(&state->interns);
    diag_free(&state->diag);
    arena_free(&state->arena);
    if (state->sink) fclose(state->sink);
}

/* Parses the input as the main module and the prelude as the second one,
 * as the driver does; import declarations stay unresolved. */
static AstProgram *fuzz_front_parse(FuzzFrontState *state, const uint8_t *data, size_t size) {
    char *text = arena_alloc(&state->arena, size + 1);
    if (size) memcpy(text, data, size);
    text[size] = '\0';
    ParseContext context = {
        .arena = &state->arena,
        .interns = &state->interns,
        .diag = &state->diag,
        .search_paths = NULL,
        .search_path_count = 0,
    };
    int user_file = diag_add_file(&state->diag, "fuzz.kc", text, (int)size);
    int prelude_file = diag_add_file(&state->diag, flow_prelude_path, flow_prelude_source,
                                     (int)strlen(flow_prelude_source));
    AstProgram *ast = ARENA_NEW(&state->arena, AstProgram);
    ast->modules = ARENA_NEW_ARRAY(&state->arena, AstModule *, 2);
    ast->modules[0] = parse_module(&context, user_file);
    ast->modules[1] = parse_module(&context, prelude_file);
    ast->module_count = 2;
    return ast;
}

/* Built-in functions that reach outside the process's memory: a fuzzed
 * program must not read stdin or files, or write files.  (write and
 * write_byte reach only the interpreter's two streams, and exit only ends
 * the interpreted program.) */
static bool fuzz_front_builtin_is_unsafe(int builtin) {
    switch (builtin) {
    case FLOW_BUILTIN_READ:
    case FLOW_BUILTIN_READ_FILE:
    case FLOW_BUILTIN_WRITE_FILE: return true;
    default: return false;
    }
}

/* True when no graph is an extern function (a call into arbitrary C) and no
 * operation calls an unsafe built-in. */
static bool fuzz_front_program_is_safe(const FlowProgram *program) {
    for (int g = 0; g < program->graph_count; g++) {
        const FlowGraph *graph = program->graphs[g];
        if (graph->kind == FLOW_GRAPH_EXTERN) return false;
        for (int b = 0; b < graph->block_count; b++) {
            const FlowBlock *block = &graph->blocks[b];
            for (int i = 0; i < block->op_count; i++)
                if (block->ops[i].opcode == FLOW_OP_CALL_BUILTIN &&
                    fuzz_front_builtin_is_unsafe(block->ops[i].aux))
                    return false;
        }
    }
    return true;
}

/* ---- the run-time bound ------------------------------------------------
 *
 * The interpreter has no step budget, so the harness runs in its own process
 * only programs whose every run is short by construction (others run in a
 * child process with a time limit, see fuzz_front_interpret_in_child): no
 * graph has a cycle of blocks
 * (no loop of any kind), the call graph has no cycle (no recursion), no
 * function reference exists (no indirect call, no thread or transaction
 * task), and the number of operations a run can execute, counting every
 * callee as fully executed at each call site, stays under
 * FUZZ_FRONT_MAX_OPS. */
enum {
    FUZZ_FRONT_MAX_OPS = 200000,
    FUZZ_FRONT_MAX_STRESSED_OPS = 5000,  /* runs this short also get gc_stress */
    FUZZ_FRONT_CHILD_MILLISECONDS = 250, /* the time limit of other runs */
};

/* Per-graph memo for the call-graph walk. */
typedef struct FuzzFrontBound {
    const FlowProgram *program;
    unsigned char *state; /* 0 unvisited, 1 on the walk's stack, 2 done */
    int64_t *cost;        /* state 2: operations one call can execute */
} FuzzFrontBound;

/* True when the blocks of `graph` form no cycle (Kahn's algorithm). */
static bool fuzz_front_graph_is_acyclic(const FlowGraph *graph) {
    int count = graph->block_count;
    if (count == 0) return true;
    int *incoming = calloc((size_t)count, sizeof(int));
    int *ready = malloc(sizeof(int) * (size_t)count);
    if (!incoming || !ready) abort();
    for (int b = 0; b < count; b++)
        for (int e = 0; e < graph->blocks[b].exit_count; e++)
            incoming[graph->blocks[b].exits[e].target]++;
    int ready_count = 0, removed = 0;
    for (int b = 0; b < count; b++)
        if (incoming[b] == 0) ready[ready_count++] = b;
    while (ready_count > 0) {
        const FlowBlock *block = &graph->blocks[ready[--ready_count]];
        removed++;
        for (int e = 0; e < block->exit_count; e++)
            if (--incoming[block->exits[e].target] == 0)
                ready[ready_count++] = block->exits[e].target;
    }
    free(incoming);
    free(ready);
    return removed == count;
}

static int64_t fuzz_front_call_cost(FuzzFrontBound *bound, int graph_index);

/* Cost of every method graph that a call of `name` on any receiver can
 * reach (a conservative sum over the classes defining it). */
static int64_t fuzz_front_method_cost(FuzzFrontBound *bound, const char *name) {
    int64_t total = 0;
    const FlowProgram *program = bound->program;
    for (int c = 0; c < program->class_count && total >= 0; c++) {
        const FlowClass *class_info = &program->classes[c];
        for (int m = 0; m < class_info->method_count; m++) {
            if (strcmp(class_info->methods[m].name, name) != 0) continue;
            int64_t cost = fuzz_front_call_cost(bound, class_info->methods[m].graph);
            if (cost < 0) return -1;
            total += cost;
        }
    }
    return total;
}

/* Operations one operation can execute, callees included; -1: unbounded. */
static int64_t fuzz_front_op_cost(FuzzFrontBound *bound, const FlowGraph *graph, const FlowOp *op) {
    switch (op->opcode) {
    case FLOW_OP_CALL: return fuzz_front_call_cost(bound, op->aux);
    case FLOW_OP_CALL_METHOD: return fuzz_front_method_cost(bound, op->name);
    case FLOW_OP_NEW: {
        int init = flow_class_find_method(bound->program, op->aux, "init");
        return init >= 0 ? fuzz_front_call_cost(bound, init) : 0;
    }
    case FLOW_OP_CALL_INDIRECT: return -1;
    default:
        for (int i = 0; i < op->arg_count; i++)
            if (op->args[i].kind == FLOW_VALUE_CONST &&
                graph->consts[op->args[i].index].kind == FLOW_CONST_FUNC)
                return -1;
        return 0;
    }
}

static int64_t fuzz_front_call_cost(FuzzFrontBound *bound, int graph_index) {
    if (graph_index < 0 || graph_index >= bound->program->graph_count) return -1;
    if (bound->state[graph_index] == 1) return -1; /* recursion */
    if (bound->state[graph_index] == 2) return bound->cost[graph_index];
    bound->state[graph_index] = 1;
    const FlowGraph *graph = bound->program->graphs[graph_index];
    int64_t total = fuzz_front_graph_is_acyclic(graph) ? 1 : -1;
    for (int b = 0; b < graph->block_count && total >= 0; b++) {
        const FlowBlock *block = &graph->blocks[b];
        for (int i = 0; i < block->op_count && total >= 0; i++) {
            int64_t cost = fuzz_front_op_cost(bound, graph, &block->ops[i]);
            total = cost < 0 ? -1 : total + 1 + cost;
            if (total > FUZZ_FRONT_MAX_OPS) total = -1;
        }
        for (int e = 0; e < block->exit_count && total >= 0; e++) {
            const FlowLink *link = &block->exits[e];
            for (int i = 0; i < link->arg_count; i++)
                if (link->args[i].kind == FLOW_VALUE_CONST &&
                    graph->consts[link->args[i].index].kind == FLOW_CONST_FUNC)
                    total = -1;
        }
    }
    bound->state[graph_index] = 2;
    bound->cost[graph_index] = total;
    return total;
}

/* Operations a run of the globals and main can execute, or -1 when that is
 * not bounded by FUZZ_FRONT_MAX_OPS (see above). */
static int64_t fuzz_front_program_cost(const FlowProgram *program) {
    FuzzFrontBound bound = {program, calloc((size_t)program->graph_count + 1, 1),
                            calloc((size_t)program->graph_count + 1, sizeof(int64_t))};
    if (!bound.state || !bound.cost) abort();
    int64_t globals = program->global_init_graph >= 0
                          ? fuzz_front_call_cost(&bound, program->global_init_graph)
                          : 0;
    int64_t main_cost =
        program->main_graph >= 0 ? fuzz_front_call_cost(&bound, program->main_graph) : 0;
    free(bound.state);
    free(bound.cost);
    if (globals < 0 || main_cost < 0 || globals + main_cost > FUZZ_FRONT_MAX_OPS) return -1;
    return globals + main_cost;
}

/* A broken invariant of the low-level graphs is a bug of the stages. */
static void fuzz_front_verify_low(const LowProgram *low, const char *after) {
    int broken = low_verify(low, stderr);
    if (broken > 0) {
        fprintf(stderr, "fuzz_front: %d broken invariants in the low-level graphs after %s\n",
                broken, after);
        abort();
    }
}

/* The C backend writes its files into a temporary folder, removed with
 * them afterwards. */
static void fuzz_front_remove_dir(const char *dir) {
    DIR *folder = opendir(dir);
    if (folder) {
        for (struct dirent *entry; (entry = readdir(folder));) {
            if (entry->d_name[0] == '.') continue;
            char path[512];
            snprintf(path, sizeof path, "%s/%s", dir, entry->d_name);
            unlink(path);
        }
        closedir(folder);
    }
    rmdir(dir);
}

/* The stages of `kiln build` after annotation, as the driver runs them at
 * -O1: rtype, transform, lowering, the optimizations and the C backend
 * (its files are written and deleted; no C compiler runs).  Rtype errors
 * (documented limitations) are the input's business; a crash, an internal
 * error or broken low-level graphs are failures. */
static void fuzz_front_translate(FuzzFrontState *state, Annotator *annotator, Interp *interp) {
    RtypeProgram *rtype = rtype_program(state->program, annotator, &state->diag);
    if (!rtype || rtype->errors) {
        rtype_free(rtype);
        return;
    }
    rtype_dump(state->sink, rtype); /* kiln build --stage=rtype --dump */
    TransformProgram *transform = transform_program(rtype);
    transform_dump(state->sink, transform);
    LowProgram *low = lower_program(transform);
    fuzz_front_verify_low(low, "the lowering");
    low_dump(state->sink, low, &state->diag);
    transform_inline(low, TRANSFORM_INLINE_SIZE_LIMIT);
    transform_virtualize(low);
    transform_fold(low);
    fuzz_front_verify_low(low, "the optimizations");
    low_dump(state->sink, low, &state->diag);
    char dir[] = "/tmp/kiln-fuzz-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("fuzz_front: mkdtemp");
        abort();
    }
    BackendCOptions options = {.dir = dir, .file_count = 2, .line_directives = true};
    int files = backend_c_emit(transform, low, interp, &options);
    fuzz_front_remove_dir(dir);
    if (files < 0) {
        fprintf(stderr, "fuzz_front: the C backend failed on translated graphs\n");
        abort();
    }
    state->translated = true;
    low_program_free(low);
    transform_free(transform);
    rtype_free(rtype);
}

/* The annotate stage, as kiln check runs it: type errors are the input's
 * business, but a crash, an internal error or a variable left without a
 * type in a program with no type errors is a failure.  With an interpreter
 * that ran the global initializers, globals are typed from their values
 * (kiln run); without one, from their uses only. */
static void fuzz_front_annotate(FuzzFrontState *state, Interp *interp) {
    Annotator *annotator = ann_create(state->program, &state->diag);
    int errors = ann_run(annotator, interp);
    if (errors == 0) {
        int untyped = ann_verify(annotator, stderr);
        if (untyped > 0) {
            fprintf(stderr, "fuzz_front: %d variables have no type after annotation\n", untyped);
            abort();
        }
        ann_dump(state->sink, annotator); /* kiln annotate --dump */
        ann_dot(state->sink, annotator);  /* kiln flow --dot --types */
        /* kiln build annotates after the global initializers ran. */
        if (interp) fuzz_front_translate(state, annotator, interp);
    }
    ann_destroy(annotator);
}

/* Runs the globals and main under the graph interpreter with small limits,
 * annotating the program between the two as `kiln run` does.  Exceptions
 * escaping the program are ordinary outcomes, not failures. */
static void fuzz_front_interpret(FuzzFrontState *state, bool gc_stress) {
    InterpOptions options = {
        .gc_stress = gc_stress,
        .max_call_depth = 64,
        .stdout_stream = state->sink,
        .stderr_stream = state->sink,
    };
    Interp *interp = interp_create(state->program, &state->diag, &options);
    const char *argv[] = {"fuzz.kc", "argument"};
    if (interp_run_globals(interp) == 0 && state->program->main_graph >= 0) {
        fuzz_front_annotate(state, interp);
        interp_run_main(interp, 2, argv);
    }
    interp_destroy(interp);
}

/* A program whose run is not short by construction (it loops or recurses)
 * runs in a child process, killed after FUZZ_FRONT_CHILD_MILLISECONDS.  The
 * fuzzer does not see the child's coverage, but a crash, a sanitizer report
 * or an internal-error exit in the child is a failure: the child inherits
 * libFuzzer's handlers (which save the input), and the parent aborts so that
 * the regression driver fails too.  Returns false when the child ran out of
 * time, which is an ordinary outcome (the program may loop forever). */
static bool fuzz_front_interpret_in_child(FuzzFrontState *state) {
    fflush(NULL); /* the child must not write the parent's buffered output again */
    pid_t child = fork();
    if (child < 0) {
        perror("fuzz_front: fork");
        abort();
    }
    if (child == 0) {
        fuzz_front_interpret(state, false);
        _exit(0); /* no leak check, no atexit handlers of the parent */
    }
    struct timespec started, now;
    clock_gettime(CLOCK_MONOTONIC, &started);
    long pause_ns = 20000;
    for (;;) {
        int status;
        pid_t done = waitpid(child, &status, WNOHANG);
        if (done == child) {
            if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return true;
            fprintf(stderr, "fuzz_front: the interpreter's child process failed (%s %d)\n",
                    WIFSIGNALED(status) ? "signal" : "exit status",
                    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
            abort();
        }
        if (done < 0 && errno != EINTR) {
            perror("fuzz_front: waitpid");
            abort();
        }
        clock_gettime(CLOCK_MONOTONIC, &now);
        long elapsed_ms =
            (long)(now.tv_sec - started.tv_sec) * 1000 + (now.tv_nsec - started.tv_nsec) / 1000000;
        if (elapsed_ms >= FUZZ_FRONT_CHILD_MILLISECONDS) {
            kill(child, SIGKILL);
            while (waitpid(child, &status, 0) < 0 && errno == EINTR)
                continue;
            return false;
        }
        struct timespec pause = {0, pause_ns};
        nanosleep(&pause, NULL);
        if (pause_ns < 1000000) pause_ns *= 2;
    }
}

FuzzFrontOutcome fuzz_front_run(const uint8_t *data, size_t size) {
    return fuzz_front_run_stages(data, size, NULL);
}

FuzzFrontOutcome fuzz_front_run_stages(const uint8_t *data, size_t size, bool *translated) {
    if (size > INT_MAX / 2) size = INT_MAX / 2;
    FuzzFrontState state = {0};
    arena_init(&state.arena);
    intern_init(&state.interns, &state.arena);
    diag_init(&state.diag);
    state.sink = fopen("/dev/null", "w");
    if (!state.sink) {
        perror("fuzz_front: /dev/null");
        abort();
    }
    state.diag.out = state.sink;

    FuzzFrontOutcome outcome = FUZZ_FRONT_PARSE_ERRORS;
    AstProgram *ast = fuzz_front_parse(&state, data, size);
    if (state.diag.errors == 0) {
        outcome = FUZZ_FRONT_FLOW_ERRORS;
        ast_dump_program(state.sink, &state.diag, ast); /* kiln parse --dump */
        state.program = flow_build_program(ast, &state.interns, &state.diag);
    }
    if (state.program && state.diag.errors == 0) {
        outcome = FUZZ_FRONT_NOT_RUN;
        int broken = flow_verify_program(state.program, stderr);
        if (broken > 0) {
            fprintf(stderr, "fuzz_front: the flow verifier found %d broken invariants\n", broken);
            abort();
        }
        flow_dump_program(state.sink, state.program); /* kiln flow --dump */
        flow_dot_program(state.sink, state.program);  /* kiln flow --dot */
        if (state.program->main_graph >= 0) fuzz_front_annotate(&state, NULL);
        bool safe = fuzz_front_program_is_safe(state.program);
        int64_t cost = safe ? fuzz_front_program_cost(state.program) : -1;
        if (cost >= 0) {
            /* Short runs also collect the heap at every safe point. */
            fuzz_front_interpret(&state, cost <= FUZZ_FRONT_MAX_STRESSED_OPS);
            outcome = FUZZ_FRONT_RAN;
        } else if (safe) {
            outcome = fuzz_front_interpret_in_child(&state) ? FUZZ_FRONT_RAN_IN_CHILD
                                                            : FUZZ_FRONT_CHILD_TIMED_OUT;
        }
    }
    if (translated) *translated = state.translated;
    fuzz_front_state_free(&state);
    return outcome;
}
