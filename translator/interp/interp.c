/* interp.c - the graph interpreter's public API: creating an interpreter
 * for a program, running its global initializers and main, and reading the
 * resulting values (see interp.h for the contract).
 */
#include <stdlib.h>

#include "interp_internal.h"

static int interp_find_class_named(const FlowProgram *program, const char *name) {
    for (int i = 0; i < program->class_count; i++)
        if (program->classes[i].name && strcmp(program->classes[i].name, name) == 0) return i;
    return -1;
}

/* Built-in exception classes by name; a missing one falls back to
 * Exception (and with no Exception at all, errors become strs). */
static void interp_find_error_classes(Interp *interp) {
    static const char *const names[INTERP_ERROR__COUNT] = {
#define X(id, name) name,
        INTERP_ERRORS(X)
#undef X
    };
    const FlowProgram *program = interp->program;
    int base = program->exception_class >= 0 && program->exception_class < program->class_count
                   ? program->exception_class
                   : interp_find_class_named(program, "Exception");
    for (int kind = 0; kind < INTERP_ERROR__COUNT; kind++) {
        int found = interp_find_class_named(program, names[kind]);
        interp->error_classes[kind] = found >= 0 ? found : base;
    }
    interp->message_slot = base >= 0 ? interp_find_field(interp, base, "message") : -1;
}

Interp *interp_create(const FlowProgram *program, DiagContext *diag, const InterpOptions *options) {
    Interp *interp = kiln_xcalloc(1, sizeof *interp);
    interp->program = program;
    interp->diag = diag ? diag : program->diag;
    if (options) interp->options = *options;
    const char *stress = getenv("KILN_GC_STRESS");
    if (stress && strcmp(stress, "1") == 0) interp->options.gc_stress = true;
    if (interp->options.max_call_depth == 0)
        interp->options.max_call_depth = INTERP_DEFAULT_CALL_DEPTH;
    interp->out = interp->options.stdout_stream ? interp->options.stdout_stream : stdout;
    interp->err = interp->options.stderr_stream ? interp->options.stderr_stream : stderr;
    arena_init(&interp->arena);
    interp_heap_init(interp);
    interp->exception = interp_make_simple(INTERP_VALUE_VOID);
    interp->traceback_exception = interp_make_simple(INTERP_VALUE_VOID);
    interp->empty_str = interp_str_new(interp, "", 0);
    interp->codes = kiln_xcalloc((size_t)program->graph_count + 1, sizeof(InterpCode *));
    interp->globals = kiln_xcalloc((size_t)program->global_count + 1, sizeof(InterpValue));
    for (int i = 0; i < program->global_count; i++)
        interp->globals[i] = interp_zero_of(interp, program->globals[i].type);
    interp_classes_init(interp);
    interp_find_error_classes(interp);
    return interp;
}

void interp_destroy(Interp *interp) {
    if (!interp) return;
    interp_flush(interp);
    interp_heap_free(interp);
    interp_stack_free(interp);
    interp_classes_free(interp);
    arena_free(&interp->arena);
    vec_free(&interp->frames);
    vec_free(&interp->traceback);
    vec_free(&interp->tasks);
    vec_free(&interp->scratch);
    vec_free(&interp->move_buffer);
    free(interp->codes);
    free(interp->globals);
    free(interp);
}

/* After a run that did not return normally: the exit status. */
static int interp_finish_failed_run(Interp *interp) {
    if (interp->exit_requested) {
        interp_flush(interp);
        return interp->exit_status;
    }
    interp_print_traceback(interp);
    return 1;
}

int interp_run_globals(Interp *interp) {
    if (interp->exit_requested) return interp->exit_status;
    int graph = interp->program->global_init_graph;
    if (graph < 0 || graph >= interp->program->graph_count) return 0;
    InterpValue result;
    bool ok = interp_call_top(interp, graph, NULL, 0, &result);
    interp_flush(interp);
    return ok ? 0 : interp_finish_failed_run(interp);
}

int interp_run_main(Interp *interp, int argc, const char **argv) {
    if (interp->exit_requested) return interp->exit_status;
    const FlowProgram *program = interp->program;
    if (program->main_graph < 0 || program->main_graph >= program->graph_count) {
        interp_flush(interp);
        fprintf(interp->err, "kiln: error: the program has no main function\n");
        return 1;
    }
    InterpCode *code = interp_code(interp, program->main_graph);
    InterpValue args[1];
    int count = 0;
    if (code->param_count > 0) {
        InterpList *list = interp_list_new(interp, argc);
        for (int i = 0; i < argc; i++)
            interp_list_push(interp, list, interp_make_object(interp_str_cstr(interp, argv[i])));
        args[count++] = interp_make_object(list);
    }
    InterpValue result;
    bool ok = interp_call_top(interp, program->main_graph, args, count, &result);
    interp_flush(interp);
    if (!ok) return interp_finish_failed_run(interp);
    return result.kind == INTERP_VALUE_INT ? (int)result.as.integer : 0;
}

/* ---- reading values ---------------------------------------------------- */

const char *interp_value_kind_name(InterpValueKind kind) {
    static const char *const names[INTERP_VALUE__COUNT] = {
        "void",     "unset",        "null",       "int",      "float",     "bool",
        "char",     "function",     "str",        "list",     "dict",      "tuple",
        "instance", "bound method", "StrBuilder", "iterator", "dict view", "thread",
    };
    return (unsigned)kind < INTERP_VALUE__COUNT ? names[kind] : "?";
}

int interp_global_count(const Interp *interp) {
    return interp->program->global_count;
}

InterpValue interp_global_value(const Interp *interp, int index) {
    KILN_ASSERT(index >= 0 && index < interp->program->global_count, "global index in range");
    return interp->globals[index];
}

InterpValueKind interp_value_kind(InterpValue value) {
    return (InterpValueKind)value.kind;
}

int64_t interp_value_int(InterpValue value) {
    if (value.kind == INTERP_VALUE_BOUND_METHOD) return INTERP_AS(InterpBoundMethod, value)->graph;
    return INTERP_IS_HEAP(value) || value.kind == INTERP_VALUE_FLOAT ? 0 : value.as.integer;
}

double interp_value_float(InterpValue value) {
    return value.kind == INTERP_VALUE_FLOAT ? value.as.real : 0.0;
}

const char *interp_value_str(InterpValue value, size_t *length) {
    if (value.kind == INTERP_VALUE_STR) {
        *length = (size_t)INTERP_AS(InterpStr, value)->length;
        return INTERP_AS(InterpStr, value)->bytes;
    }
    if (value.kind == INTERP_VALUE_BUILDER) {
        InterpBuilder *builder = INTERP_AS(InterpBuilder, value);
        *length = (size_t)builder->length;
        return builder->bytes ? builder->bytes : "";
    }
    *length = 0;
    return NULL;
}

size_t interp_value_length(InterpValue value) {
    switch ((InterpValueKind)value.kind) {
    case INTERP_VALUE_STR: return (size_t)INTERP_AS(InterpStr, value)->length;
    case INTERP_VALUE_LIST: return (size_t)INTERP_AS(InterpList, value)->count;
    case INTERP_VALUE_TUPLE: return (size_t)INTERP_AS(InterpTuple, value)->count;
    case INTERP_VALUE_DICT: return (size_t)INTERP_AS(InterpDict, value)->live_count;
    case INTERP_VALUE_INSTANCE: return (size_t)INTERP_AS(InterpInstance, value)->field_count;
    default: return 0;
    }
}

InterpValue interp_value_item(InterpValue value, size_t index) {
    KILN_ASSERT(index < interp_value_length(value), "item index below interp_value_length");
    switch ((InterpValueKind)value.kind) {
    case INTERP_VALUE_LIST: return INTERP_AS(InterpList, value)->items[index];
    case INTERP_VALUE_TUPLE: return INTERP_AS(InterpTuple, value)->items[index];
    case INTERP_VALUE_INSTANCE: return INTERP_AS(InterpInstance, value)->fields[index];
    default: return interp_make_char((unsigned char)INTERP_AS(InterpStr, value)->bytes[index]);
    }
}

void interp_value_dict_entry(InterpValue dict, size_t index, InterpValue *key, InterpValue *value) {
    KILN_ASSERT(dict.kind == INTERP_VALUE_DICT && index < interp_value_length(dict),
                "dict entry index below interp_value_length");
    InterpDict *map = INTERP_AS(InterpDict, dict);
    interp_dict_compact(map);
    *key = map->entries[index].key;
    *value = map->entries[index].value;
}

int interp_value_class(InterpValue value) {
    return value.kind == INTERP_VALUE_INSTANCE ? INTERP_AS(InterpInstance, value)->class_index : -1;
}

InterpValue interp_value_receiver(InterpValue value) {
    if (value.kind == INTERP_VALUE_BOUND_METHOD)
        return INTERP_AS(InterpBoundMethod, value)->receiver;
    if (value.kind == INTERP_VALUE_DICT_VIEW)
        return interp_make_object(INTERP_AS(InterpDictView, value)->dict);
    return interp_make_simple(INTERP_VALUE_VOID);
}

uintptr_t interp_value_identity(InterpValue value) {
    return INTERP_IS_HEAP(value) ? (uintptr_t)value.as.object : 0;
}
