/* interp_exec.c - the dispatch loop: frames, calls, returns, links and
 * exception unwinding.
 *
 * One C activation runs any depth of Kiln C calls: a call pushes an
 * InterpFrame (registers on the chunked register stack) and the loop goes
 * on in the callee; a return pops it and stores the result into the
 * caller's instruction result.  Deep recursion is bounded by
 * max_call_depth (MemoryError), never by the C stack.
 *
 * Invariants:
 *   - frame->pc is the executing instruction of every frame but the top
 *     one, whose instruction pointer lives in a local and is written back
 *     (as an index) before anything that can raise or push a frame;
 *   - every register of every frame holds a valid value (new frames start
 *     with void variables), so the collector can scan them all;
 *   - collections happen only when a link is followed (block entry).
 */
#include <stdlib.h>

#include "interp_internal.h"

enum { INTERP_STACK_CHUNK_VALUES = 64 * 1024 };

InterpCode *interp_code(Interp *interp, int graph) {
    KILN_ASSERT(graph >= 0 && graph < interp->program->graph_count, "graph index in range");
    InterpCode *code = interp->codes[graph];
    return code ? code : interp_compile(interp, graph);
}

/* ---- the register stack ------------------------------------------------ */

static InterpValue *interp_stack_alloc(Interp *interp, size_t count) {
    InterpStackChunk *chunk = interp->stack;
    if (!chunk || chunk->capacity - chunk->used < count) {
        InterpStackChunk *fresh = interp->spare_chunk;
        if (fresh && fresh->capacity >= count) {
            interp->spare_chunk = NULL;
        } else {
            size_t capacity = count > INTERP_STACK_CHUNK_VALUES ? count : INTERP_STACK_CHUNK_VALUES;
            fresh = kiln_xmalloc(sizeof(InterpStackChunk) + capacity * sizeof(InterpValue));
            fresh->capacity = capacity;
        }
        fresh->used = 0;
        fresh->previous = chunk;
        interp->stack = chunk = fresh;
    }
    InterpValue *values = chunk->values + chunk->used;
    chunk->used += count;
    return values;
}

static void interp_stack_release(Interp *interp, size_t count) {
    InterpStackChunk *chunk = interp->stack;
    KILN_ASSERT(chunk && chunk->used >= count, "frames release registers in stack order");
    chunk->used -= count;
    if (chunk->used == 0 && chunk->previous) {
        interp->stack = chunk->previous;
        free(interp->spare_chunk);
        interp->spare_chunk = chunk;
    }
}

void interp_stack_free(Interp *interp) {
    while (interp->stack) {
        InterpStackChunk *previous = interp->stack->previous;
        free(interp->stack);
        interp->stack = previous;
    }
    free(interp->spare_chunk);
    interp->spare_chunk = NULL;
}

/* ---- frames ------------------------------------------------------------ */

/* Pushes a frame for `code` and returns its registers, parameters still to
 * be stored by the caller; NULL after raising MemoryError. */
static InterpValue *interp_enter(Interp *interp, InterpCode *code, InterpReturnKind return_kind,
                                 InterpValue pending) {
    size_t depth_limit = interp->options.max_call_depth;
    if ((size_t)interp->frames.count >= depth_limit) {
        interp_raise(interp, INTERP_ERROR_MEMORY, "recursion too deep");
        return NULL;
    }
    InterpValue *regs = interp_stack_alloc(interp, (size_t)code->reg_count);
    memset(regs, 0, (size_t)code->var_count * sizeof(InterpValue));
    memcpy(regs + code->var_count, code->consts, (size_t)code->const_count * sizeof(InterpValue));
    regs[code->reg_count - 1] = interp_make_simple(INTERP_VALUE_VOID);
    InterpFrame frame = {code, regs, 0, return_kind, pending, interp->next_frame_serial++};
    vec_push(&interp->frames, frame);
    return regs;
}

static void interp_pop_frame(Interp *interp) {
    InterpFrame *frame = &vec_last(&interp->frames);
    interp_stack_release(interp, (size_t)frame->code->reg_count);
    interp->frames.count--;
}

static bool interp_arity_error(Interp *interp, const InterpCode *code, int given) {
    int offset = code->graph->kind == FLOW_GRAPH_METHOD ? 1 : 0;
    return interp_raise(interp, INTERP_ERROR_TYPE, "%s() takes %d argument%s (%d given)",
                        code->graph->name, code->param_count - offset,
                        code->param_count - offset == 1 ? "" : "s", given - offset);
}

InterpStatus interp_push_call(Interp *interp, int graph, InterpValue receiver, bool has_receiver,
                              const InterpValue *args, int count, InterpReturnKind return_kind,
                              InterpValue pending, InterpValue *result) {
    InterpCode *code = interp_code(interp, graph);
    int total = count + (has_receiver ? 1 : 0);
    if (code->graph->kind == FLOW_GRAPH_EXTERN && !has_receiver) {
        if (!interp_extern_call(interp, code, args, count, result)) return INTERP_STATUS_RAISED;
        if (return_kind == INTERP_RETURN_NEW || return_kind == INTERP_RETURN_THREAD)
            *result = pending;
        return INTERP_STATUS_OK;
    }
    if (total != code->param_count || code->graph->kind == FLOW_GRAPH_EXTERN) {
        interp_arity_error(interp, code, total);
        return INTERP_STATUS_RAISED;
    }
    InterpValue *regs = interp_enter(interp, code, return_kind, pending);
    if (!regs) return INTERP_STATUS_RAISED;
    int next = 0;
    if (has_receiver) regs[code->param_regs[next++]] = receiver;
    for (int i = 0; i < count; i++)
        regs[code->param_regs[next++]] = args[i];
    return INTERP_STATUS_CALLED;
}

InterpStatus interp_invoke(Interp *interp, InterpValue callable, const InterpValue *args, int count,
                           InterpReturnKind return_kind, InterpValue pending, InterpValue *result) {
    switch ((InterpValueKind)callable.kind) {
    case INTERP_VALUE_FUNCTION:
        return interp_push_call(interp, (int)callable.as.integer, callable, false, args, count,
                                return_kind, pending, result);
    case INTERP_VALUE_BOUND_METHOD: {
        InterpBoundMethod *method = INTERP_AS(InterpBoundMethod, callable);
        return interp_push_call(interp, method->graph, method->receiver, true, args, count,
                                return_kind, pending, result);
    }
    case INTERP_VALUE_NULL: interp_raise(interp, INTERP_ERROR_NULL, "cannot call null"); break;
    default:
        interp_raise(interp, INTERP_ERROR_TYPE, "%s is not callable",
                     interp_type_name(interp, callable));
        break;
    }
    return INTERP_STATUS_RAISED;
}

/* Copies the link's values into the target block's inputs.  Only
 * exception links (followed by interp_unwind) have the caught exception
 * (-1) as a source. */
static inline void interp_follow(Interp *interp, InterpValue *regs, const InterpLink *link) {
    if (!link->via_temp) {
        for (int i = 0; i < link->move_count; i++)
            interp_copy_value(&regs[link->targets[i]], &regs[link->sources[i]]);
        return;
    }
    vec_reserve(&interp->move_buffer, link->move_count);
    InterpValue *buffer = interp->move_buffer.items;
    for (int i = 0; i < link->move_count; i++)
        buffer[i] = regs[link->sources[i]];
    for (int i = 0; i < link->move_count; i++)
        regs[link->targets[i]] = buffer[i];
}

static void interp_follow_caught(Interp *interp, InterpValue *regs, const InterpLink *link) {
    vec_reserve(&interp->move_buffer, link->move_count);
    InterpValue *buffer = interp->move_buffer.items;
    for (int i = 0; i < link->move_count; i++)
        buffer[i] = link->sources[i] >= 0 ? regs[link->sources[i]] : interp->exception;
    for (int i = 0; i < link->move_count; i++)
        regs[link->targets[i]] = buffer[i];
}

/* Gathers the operands of a variable-argument instruction, from `first`. */
static InterpValue *interp_gather(Interp *interp, const InterpValue *regs, const InterpInstr *instr,
                                  int first) {
    vec_reserve(&interp->scratch, instr->arg_count + 1);
    for (int i = first; i < instr->arg_count; i++)
        interp->scratch.items[i - first] = regs[instr->args[i]];
    return interp->scratch.items;
}

/* Raises NullError when an operand holds no value (a local read before
 * assignment); `from` skips operands allowed to (MOVE of a constant). */
static bool interp_check_operands(Interp *interp, const InterpCode *code, const InterpValue *regs,
                                  const InterpInstr *instr) {
    for (int i = 0; i < instr->arg_count; i++) {
        int32_t reg = instr->args[i];
        if (regs[reg].kind != INTERP_VALUE_UNSET) continue;
        if (instr->opcode == INTERP_OP_MOVE && reg >= code->var_count) continue;
        const char *name = interp_register_name(code, reg);
        if (name)
            return interp_raise(interp, INTERP_ERROR_NULL, "local '%s' used before assignment",
                                name);
        return interp_raise(interp, INTERP_ERROR_NULL, "value used before assignment");
    }
    return true;
}

/* ---- slow paths -------------------------------------------------------- */

static InterpStatus interp_status(bool ok) {
    return ok ? INTERP_STATUS_OK : INTERP_STATUS_RAISED;
}

static InterpStatus interp_exec_new(Interp *interp, InterpFrame *frame, InterpInstr *instr) {
    InterpValue *out = &frame->regs[instr->result];
    KILN_ASSERT(instr->aux >= 0 && instr->aux < interp->program->class_count,
                "class index in range");
    InterpValue instance = interp_make_object(interp_instance_new(interp, instr->aux));
    int init = interp->classes[instr->aux].init_graph;
    if (init < 0) {
        if (instr->arg_count > 0) {
            interp_raise(interp, INTERP_ERROR_TYPE, "%s() takes no arguments (%d given)",
                         interp->program->classes[instr->aux].name, instr->arg_count);
            return INTERP_STATUS_RAISED;
        }
        *out = instance;
        return INTERP_STATUS_OK;
    }
    InterpValue *args = interp_gather(interp, frame->regs, instr, 0);
    return interp_push_call(interp, init, instance, true, args, instr->arg_count, INTERP_RETURN_NEW,
                            instance, out);
}

static InterpStatus interp_exec_call_method(Interp *interp, InterpFrame *frame,
                                            InterpInstr *instr) {
    InterpValue receiver = frame->regs[instr->a];
    InterpValue *out = &frame->regs[instr->result];
    InterpValue *args;
    if (receiver.kind != INTERP_VALUE_INSTANCE) {
        args = interp_gather(interp, frame->regs, instr, 0);
        return interp_status(interp_call_method_builtin(interp, (InterpMethod)instr->aux2,
                                                        instr->name ? instr->name : "?", args,
                                                        instr->arg_count, out));
    }
    int class_index = INTERP_AS(InterpInstance, receiver)->class_index;
    int graph = instr->cache_key == class_index
                    ? instr->cache_value
                    : interp_find_method(interp, class_index, instr->name);
    if (graph >= 0) {
        instr->cache_key = class_index;
        instr->cache_value = graph;
        args = interp_gather(interp, frame->regs, instr, 1);
        return interp_push_call(interp, graph, receiver, true, args, instr->arg_count - 1,
                                INTERP_RETURN_VALUE, interp_make_simple(INTERP_VALUE_VOID), out);
    }
    int slot = interp_find_field(interp, class_index, instr->name);
    if (slot < 0) {
        interp_raise(interp, INTERP_ERROR_TYPE, "%s has no method '%s'",
                     interp_type_name(interp, receiver), instr->name);
        return INTERP_STATUS_RAISED;
    }
    InterpValue callable;
    if (!interp_read_field(interp, INTERP_AS(InterpInstance, receiver), slot, &callable))
        return INTERP_STATUS_RAISED;
    args = interp_gather(interp, frame->regs, instr, 1);
    return interp_invoke(interp, callable, args, instr->arg_count - 1, INTERP_RETURN_VALUE,
                         interp_make_simple(INTERP_VALUE_VOID), out);
}

static InterpStatus interp_exec_aggregate(Interp *interp, InterpFrame *frame, InterpInstr *instr) {
    InterpValue *regs = frame->regs, *out = &regs[instr->result];
    int count = instr->arg_count;
    switch ((InterpOpcode)instr->opcode) {
    case INTERP_OP_NEWLIST: {
        InterpList *list = interp_list_new(interp, count);
        if (!list) return INTERP_STATUS_RAISED;
        for (int i = 0; i < count; i++)
            list->items[i] = regs[instr->args[i]];
        list->count = count;
        *out = interp_make_object(list);
        return INTERP_STATUS_OK;
    }
    case INTERP_OP_NEWTUPLE: {
        InterpTuple *tuple = interp_tuple_new(interp, count);
        if (!tuple) return INTERP_STATUS_RAISED;
        for (int i = 0; i < count; i++)
            tuple->items[i] = regs[instr->args[i]];
        *out = interp_make_object(tuple);
        return INTERP_STATUS_OK;
    }
    case INTERP_OP_NEWDICT: {
        InterpDict *dict = interp_dict_new(interp);
        *out = interp_make_object(dict);
        for (int i = 0; i + 1 < count; i += 2)
            if (!interp_dict_set(interp, dict, regs[instr->args[i]], regs[instr->args[i + 1]]))
                return INTERP_STATUS_RAISED;
        return INTERP_STATUS_OK;
    }
    case INTERP_OP_NEWBUILDER:
        *out = interp_make_object(interp_builder_new(interp));
        return INTERP_STATUS_OK;
    case INTERP_OP_CALL: {
        InterpValue *args = interp_gather(interp, regs, instr, 0);
        return interp_push_call(interp, instr->aux, interp_make_simple(INTERP_VALUE_VOID), false,
                                args, count, INTERP_RETURN_VALUE,
                                interp_make_simple(INTERP_VALUE_VOID), out);
    }
    case INTERP_OP_CALL_INDIRECT: {
        InterpValue *args = interp_gather(interp, regs, instr, 1);
        return interp_invoke(interp, regs[instr->a], args, count - 1, INTERP_RETURN_VALUE,
                             interp_make_simple(INTERP_VALUE_VOID), out);
    }
    case INTERP_OP_CALL_METHOD: return interp_exec_call_method(interp, frame, instr);
    case INTERP_OP_CALL_BUILTIN: {
        InterpValue *args = interp_gather(interp, regs, instr, 0);
        return interp_call_builtin(interp, (FlowBuiltin)instr->aux, args, count, out);
    }
    default: return interp_exec_new(interp, frame, instr);
    }
}

static bool interp_exec_class_op(Interp *interp, InterpInstr *instr, InterpValue value,
                                 InterpValue *out) {
    const FlowProgram *program = interp->program;
    KILN_ASSERT(instr->aux >= 0 && instr->aux < program->class_count, "class index in range");
    bool is_instance =
        value.kind == INTERP_VALUE_INSTANCE &&
        interp_is_subclass(interp, INTERP_AS(InterpInstance, value)->class_index, instr->aux);
    if (instr->opcode == INTERP_OP_IS_INSTANCE) {
        *out = interp_make_bool(is_instance);
        return true;
    }
    if (!is_instance && value.kind != INTERP_VALUE_NULL)
        return interp_raise(interp, INTERP_ERROR_TYPE, "cannot cast %s to %s",
                            interp_type_name(interp, value), program->classes[instr->aux].name);
    *out = value;
    return true;
}

static bool interp_exec_unpack(Interp *interp, InterpInstr *instr, InterpValue value) {
    if (value.kind != INTERP_VALUE_TUPLE)
        return interp_raise(interp,
                            value.kind == INTERP_VALUE_NULL ? INTERP_ERROR_NULL : INTERP_ERROR_TYPE,
                            "cannot unpack %s", interp_type_name(interp, value));
    int64_t count = INTERP_AS(InterpTuple, value)->count;
    if (count != instr->aux)
        return interp_raise(interp, INTERP_ERROR_VALUE,
                            "cannot unpack a tuple of %lld items into %d variables",
                            (long long)count, instr->aux);
    return true;
}

static bool interp_exec_global(Interp *interp, InterpInstr *instr, InterpValue *regs) {
    const FlowProgram *program = interp->program;
    KILN_ASSERT(instr->aux >= 0 && instr->aux < program->global_count, "global index in range");
    if (instr->opcode == INTERP_OP_SETGLOBAL) {
        interp->globals[instr->aux] = regs[instr->a];
        return true;
    }
    InterpValue value = interp->globals[instr->aux];
    if (value.kind == INTERP_VALUE_UNSET)
        return interp_raise(interp, INTERP_ERROR_NULL, "global '%s' read before assignment",
                            program->globals[instr->aux].name);
    regs[instr->result] = value;
    return true;
}

/* Every non-terminator instruction, in its general form. */
static InterpStatus interp_exec_slow(Interp *interp, InterpFrame *frame, InterpInstr *instr) {
    InterpValue *regs = frame->regs, *out = &regs[instr->result];
    if (!interp_check_operands(interp, frame->code, regs, instr)) return INTERP_STATUS_RAISED;
    InterpOpcode opcode = (InterpOpcode)instr->opcode;
    switch (opcode) {
    case INTERP_OP_ADD:
    case INTERP_OP_SUB:
    case INTERP_OP_MUL:
    case INTERP_OP_DIV:
    case INTERP_OP_MOD:
    case INTERP_OP_LSHIFT:
    case INTERP_OP_RSHIFT:
    case INTERP_OP_BIT_AND:
    case INTERP_OP_BIT_OR:
    case INTERP_OP_BIT_XOR:
    case INTERP_OP_EQ:
    case INTERP_OP_NE:
    case INTERP_OP_LT:
    case INTERP_OP_LE:
    case INTERP_OP_GT:
    case INTERP_OP_GE:
        return interp_status(interp_binary(interp, opcode, regs[instr->a], regs[instr->b], out));
    case INTERP_OP_NEG:
    case INTERP_OP_INVERT:
    case INTERP_OP_NOT:
    case INTERP_OP_TRUTH: return interp_status(interp_unary(interp, opcode, regs[instr->a], out));
    case INTERP_OP_MOVE: *out = regs[instr->a]; return INTERP_STATUS_OK;
    case INTERP_OP_LOAD_FALSE: *out = interp_make_bool(false); return INTERP_STATUS_OK;
    case INTERP_OP_NOP: return INTERP_STATUS_OK;
    case INTERP_OP_NOTE_THROW:
        interp_trace_throw(interp, frame, regs[instr->a]);
        return INTERP_STATUS_OK;
    case INTERP_OP_IS_INSTANCE:
    case INTERP_OP_CAST:
        return interp_status(interp_exec_class_op(interp, instr, regs[instr->a], out));
    case INTERP_OP_GETATTR:
        return interp_status(interp_getattr(interp, instr, regs[instr->a], out));
    case INTERP_OP_SETATTR:
        return interp_status(interp_setattr(interp, instr, regs[instr->a], regs[instr->b]));
    case INTERP_OP_GETITEM:
        return interp_status(interp_getitem(interp, regs[instr->a], regs[instr->b], out));
    case INTERP_OP_SETITEM:
        return interp_status(
            interp_setitem(interp, regs[instr->a], regs[instr->b], regs[instr->args[2]]));
    case INTERP_OP_UNPACK_CHECK:
        return interp_status(interp_exec_unpack(interp, instr, regs[instr->a]));
    case INTERP_OP_GETGLOBAL:
    case INTERP_OP_SETGLOBAL: return interp_status(interp_exec_global(interp, instr, regs));
    case INTERP_OP_ITER: return interp_status(interp_iter(interp, regs[instr->a], out));
    case INTERP_OP_ITER_HAS:
        if (regs[instr->a].kind != INTERP_VALUE_ITERATOR) {
            interp_raise(interp, INTERP_ERROR_TYPE, "%s is not an iterator",
                         interp_type_name(interp, regs[instr->a]));
            return INTERP_STATUS_RAISED;
        }
        *out = interp_make_bool(interp_iter_has(regs[instr->a]));
        return INTERP_STATUS_OK;
    case INTERP_OP_ITER_NEXT: return interp_status(interp_iter_next(interp, regs[instr->a], out));
    default: return interp_exec_aggregate(interp, frame, instr);
    }
}

/* ---- terminators ------------------------------------------------------- */

/* The NullError of a terminator operand that holds no value. */
static bool interp_unset_operand(Interp *interp, const InterpCode *code, int32_t reg) {
    const char *name = interp_register_name(code, reg);
    if (name)
        return interp_raise(interp, INTERP_ERROR_NULL, "local '%s' used before assignment", name);
    return interp_raise(interp, INTERP_ERROR_NULL, "value used before assignment");
}

static bool interp_switch_matches(InterpValue value, InterpValue label) {
    if (value.kind != label.kind) return false;
    if (value.kind == INTERP_VALUE_STR)
        return interp_str_equal(INTERP_AS(InterpStr, value), INTERP_AS(InterpStr, label));
    if (value.kind == INTERP_VALUE_FLOAT) return value.as.real == label.as.real;
    if (INTERP_IS_HEAP(value)) return value.as.object == label.as.object;
    return value.as.integer == label.as.integer;
}

/* The link a SWITCH takes, or -1 after raising. */
static int32_t interp_switch_link(Interp *interp, const InterpCode *code, const InterpValue *regs,
                                  const InterpInstr *instr) {
    InterpValue value = regs[instr->a];
    const InterpSwitch *table = &code->switches[instr->aux];
    if (value.kind == table->dense_kind) {
        uint64_t offset = (uint64_t)value.as.integer - (uint64_t)table->first;
        return offset < (uint64_t)table->dense_count ? table->dense_links[offset]
                                                     : table->default_link;
    }
    if (value.kind == INTERP_VALUE_UNSET) return interp_unset_operand(interp, code, instr->a), -1;
    for (int i = 0; i < table->case_count; i++)
        if (interp_switch_matches(value, regs[table->case_regs[i]])) return table->case_links[i];
    return table->default_link;
}

static bool interp_branch_truth(Interp *interp, const InterpCode *code, const InterpValue *regs,
                                const InterpInstr *instr, bool *truth) {
    InterpValue condition = regs[instr->a];
    if (condition.kind == INTERP_VALUE_UNSET) return interp_unset_operand(interp, code, instr->a);
    return interp_truth(interp, condition, truth);
}

typedef enum InterpReturnOutcome {
    INTERP_RETURN_FINISHED, /* the TOP frame returned */
    INTERP_RETURN_CONTINUE, /* go on with the (new) top frame */
    INTERP_RETURN_RAISED,
} InterpReturnOutcome;

static InterpReturnOutcome interp_return(Interp *interp, InterpValue value, InterpValue *result) {
    InterpFrame *frame = &vec_last(&interp->frames);
    InterpReturnKind kind = (InterpReturnKind)frame->return_kind;
    InterpValue pending = frame->pending;
    interp_pop_frame(interp);
    if (kind == INTERP_RETURN_TOP) {
        *result = value;
        return INTERP_RETURN_FINISHED;
    }
    InterpFrame *caller = &vec_last(&interp->frames);
    InterpValue *out = &caller->regs[caller->code->instrs[caller->pc].result];
    if (kind == INTERP_RETURN_TASK) {
        InterpStatus status = interp_run_tasks(interp, out);
        if (status == INTERP_STATUS_RAISED) return INTERP_RETURN_RAISED;
        if (status == INTERP_STATUS_CALLED) return INTERP_RETURN_CONTINUE;
    } else {
        *out = kind == INTERP_RETURN_VALUE ? value : pending;
    }
    caller->pc++;
    return INTERP_RETURN_CONTINUE;
}

/* Unwinds the exception in flight to the nearest handler (true: the top
 * frame continues there) or through the TOP frame (false).  exit() unwinds
 * every frame without running handlers. */
static bool interp_unwind(Interp *interp) {
    for (;;) {
        InterpFrame *frame = &vec_last(&interp->frames);
        bool top = frame->return_kind == INTERP_RETURN_TOP;
        if (interp->exit_requested) {
            interp_pop_frame(interp);
            if (top) return false;
            continue;
        }
        const InterpInstr *instr = &frame->code->instrs[frame->pc];
        if (instr->handler >= 0) {
            interp_trace_frame(interp, frame);
            const InterpLink *link = &frame->code->links[instr->handler];
            interp_follow_caught(interp, frame->regs, link);
            interp->exception = interp_make_simple(INTERP_VALUE_VOID);
            frame->pc = link->target_pc;
            interp_gc_safe_point(interp);
            return true;
        }
        interp_trace_frame(interp, frame);
        interp_pop_frame(interp);
        if (top) return false;
    }
}

/* ---- the loop ---------------------------------------------------------- */

static inline bool interp_int_pair(const InterpValue *regs, const InterpInstr *instr, int64_t *left,
                                   int64_t *right) {
    if (regs[instr->a].kind != INTERP_VALUE_INT || regs[instr->b].kind != INTERP_VALUE_INT)
        return false;
    *left = regs[instr->a].as.integer;
    *right = regs[instr->b].as.integer;
    return true;
}

/* Ints, chars or bools of the same kind: what comparisons handle inline. */
static inline bool interp_scalar_pair(const InterpValue *regs, const InterpInstr *instr,
                                      int64_t *left, int64_t *right) {
    uint32_t kind = regs[instr->a].kind;
    if (kind != regs[instr->b].kind ||
        (kind != INTERP_VALUE_INT && kind != INTERP_VALUE_CHAR && kind != INTERP_VALUE_BOOL))
        return false;
    *left = regs[instr->a].as.integer;
    *right = regs[instr->b].as.integer;
    return true;
}

/* Pushes the frame of a CALL or cached CALL_METHOD whose callee is
 * compiled and whose arguments are all set; false to take the slow path. */
static inline bool interp_fast_call(Interp *interp, InterpCode *callee, const InterpValue *regs,
                                    const InterpInstr *instr) {
    if (!callee || !callee->instrs || callee->param_count != instr->arg_count ||
        (size_t)interp->frames.count >= interp->options.max_call_depth)
        return false;
    for (int i = 0; i < instr->arg_count; i++)
        if (regs[instr->args[i]].kind == INTERP_VALUE_UNSET) return false;
    InterpValue *callee_regs =
        interp_enter(interp, callee, INTERP_RETURN_VALUE, interp_make_simple(INTERP_VALUE_VOID));
    for (int i = 0; i < instr->arg_count; i++)
        interp_copy_value(&callee_regs[callee->param_regs[i]], &regs[instr->args[i]]);
    return true;
}

/* Follows a link of the current frame; returns the instruction it leads to. */
static inline InterpInstr *interp_take_link(Interp *interp, const InterpCode *code,
                                            InterpValue *regs, int32_t link_index) {
    const InterpLink *link = &code->links[link_index];
    interp_follow(interp, regs, link);
    interp_gc_safe_point(interp);
    return code->instrs + link->target_pc;
}

/* Runs frames until the TOP frame returns (true, its result in *result) or
 * an exception or exit() unwinds through it (false).  This is one function
 * on purpose: the compiler keeps instr, regs and code in machine registers.
 * Fast paths handle the common operand kinds inline and `break` out of the
 * switch to the general form otherwise. */
static bool interp_run_frames(Interp *interp, InterpValue *result) {
    InterpFrame *frame = &vec_last(&interp->frames);
    InterpCode *code = frame->code;
    InterpValue *regs = frame->regs;
    InterpInstr *instr = code->instrs + frame->pc;
    int64_t left, right;
    for (;;) {
        switch ((InterpOpcode)instr->opcode) {
        case INTERP_OP_ADD:
            if (!interp_int_pair(regs, instr, &left, &right)) break;
            regs[instr->result] = interp_make_int(interp_wrap_add(left, right));
            instr++;
            continue;
        case INTERP_OP_SUB:
            if (!interp_int_pair(regs, instr, &left, &right)) break;
            regs[instr->result] = interp_make_int(interp_wrap_sub(left, right));
            instr++;
            continue;
        case INTERP_OP_MUL:
            if (!interp_int_pair(regs, instr, &left, &right)) break;
            regs[instr->result] = interp_make_int(interp_wrap_mul(left, right));
            instr++;
            continue;
        case INTERP_OP_BIT_AND:
            if (!interp_int_pair(regs, instr, &left, &right)) break;
            regs[instr->result] = interp_make_int(left & right);
            instr++;
            continue;
        case INTERP_OP_EQ:
        case INTERP_OP_NE:
        case INTERP_OP_LT:
        case INTERP_OP_LE:
        case INTERP_OP_GT:
        case INTERP_OP_GE: {
            if (!interp_scalar_pair(regs, instr, &left, &right)) break;
            bool answer;
            switch ((InterpOpcode)instr->opcode) {
            case INTERP_OP_EQ: answer = left == right; break;
            case INTERP_OP_NE: answer = left != right; break;
            case INTERP_OP_LT: answer = left < right; break;
            case INTERP_OP_LE: answer = left <= right; break;
            case INTERP_OP_GT: answer = left > right; break;
            default: answer = left >= right; break;
            }
            regs[instr->result] = interp_make_bool(answer);
            instr++;
            continue;
        }
        case INTERP_OP_MOVE:
            if (regs[instr->a].kind == INTERP_VALUE_UNSET) break;
            interp_copy_value(&regs[instr->result], &regs[instr->a]);
            instr++;
            continue;
        case INTERP_OP_TRUTH:
            if (regs[instr->a].kind != INTERP_VALUE_BOOL) break;
            regs[instr->result] = regs[instr->a];
            instr++;
            continue;
        case INTERP_OP_GETATTR: {
            InterpValue object = regs[instr->a];
            if (object.kind != INTERP_VALUE_INSTANCE || instr->cache_value < 0) break;
            InterpInstance *instance = INTERP_AS(InterpInstance, object);
            if (instance->class_index != instr->cache_key) break;
            const InterpValue *value = &instance->fields[instr->cache_value];
            if (value->kind == INTERP_VALUE_UNSET) break;
            interp_copy_value(&regs[instr->result], value);
            instr++;
            continue;
        }
        case INTERP_OP_SETATTR: {
            InterpValue object = regs[instr->a];
            if (object.kind != INTERP_VALUE_INSTANCE || instr->cache_value < 0 ||
                regs[instr->b].kind == INTERP_VALUE_UNSET)
                break;
            InterpInstance *instance = INTERP_AS(InterpInstance, object);
            if (instance->class_index != instr->cache_key) break;
            interp_copy_value(&instance->fields[instr->cache_value], &regs[instr->b]);
            instr++;
            continue;
        }
        case INTERP_OP_GETITEM: {
            InterpValue container = regs[instr->a], index = regs[instr->b];
            if (index.kind != INTERP_VALUE_INT) break;
            if (container.kind == INTERP_VALUE_LIST) {
                InterpList *list = INTERP_AS(InterpList, container);
                if ((uint64_t)index.as.integer >= (uint64_t)list->count) break;
                interp_copy_value(&regs[instr->result], &list->items[index.as.integer]);
            } else if (container.kind == INTERP_VALUE_STR) {
                InterpStr *str = INTERP_AS(InterpStr, container);
                if ((uint64_t)index.as.integer >= (uint64_t)str->length) break;
                regs[instr->result] = interp_make_char((unsigned char)str->bytes[index.as.integer]);
            } else {
                break;
            }
            instr++;
            continue;
        }
        case INTERP_OP_SETITEM: {
            InterpValue container = regs[instr->a], index = regs[instr->b];
            const InterpValue *value = &regs[instr->args[2]];
            if (container.kind != INTERP_VALUE_LIST || index.kind != INTERP_VALUE_INT ||
                value->kind == INTERP_VALUE_UNSET)
                break;
            InterpList *list = INTERP_AS(InterpList, container);
            if ((uint64_t)index.as.integer >= (uint64_t)list->count) break;
            interp_copy_value(&list->items[index.as.integer], value);
            instr++;
            continue;
        }
        case INTERP_OP_GETGLOBAL: {
            const InterpValue *value = &interp->globals[instr->aux];
            if (value->kind == INTERP_VALUE_UNSET) break;
            interp_copy_value(&regs[instr->result], value);
            instr++;
            continue;
        }
        case INTERP_OP_ITER_HAS:
            if (regs[instr->a].kind != INTERP_VALUE_ITERATOR) break;
            regs[instr->result] = interp_make_bool(interp_iter_has(regs[instr->a]));
            instr++;
            continue;
        case INTERP_OP_CALL_BUILTIN: {
            /* len() of a str or list is the commonest loop condition. */
            if (instr->aux != FLOW_BUILTIN_LEN || instr->arg_count != 1) break;
            InterpValue value = regs[instr->a];
            if (value.kind == INTERP_VALUE_STR)
                regs[instr->result] = interp_make_int(INTERP_AS(InterpStr, value)->length);
            else if (value.kind == INTERP_VALUE_LIST)
                regs[instr->result] = interp_make_int(INTERP_AS(InterpList, value)->count);
            else
                break;
            instr++;
            continue;
        }
        case INTERP_OP_CALL:
            frame->pc = (int32_t)(instr - code->instrs);
            if (!interp_fast_call(interp, interp->codes[instr->aux], regs, instr)) break;
            goto reload;
        case INTERP_OP_CALL_METHOD: {
            InterpValue receiver = regs[instr->a];
            if (receiver.kind != INTERP_VALUE_INSTANCE ||
                INTERP_AS(InterpInstance, receiver)->class_index != instr->cache_key)
                break;
            frame->pc = (int32_t)(instr - code->instrs);
            if (!interp_fast_call(interp, interp->codes[instr->cache_value], regs, instr)) break;
            goto reload;
        }
        case INTERP_OP_JUMP: instr = interp_take_link(interp, code, regs, instr->aux); continue;
        case INTERP_OP_BRANCH: {
            InterpValue condition = regs[instr->a];
            bool truth = condition.as.integer != 0;
            if (condition.kind != INTERP_VALUE_BOOL && condition.kind != INTERP_VALUE_INT) {
                frame->pc = (int32_t)(instr - code->instrs);
                if (!interp_branch_truth(interp, code, regs, instr, &truth)) goto raised;
            }
            instr = interp_take_link(interp, code, regs, truth ? instr->aux2 : instr->aux);
            continue;
        }
        case INTERP_OP_SWITCH: {
            frame->pc = (int32_t)(instr - code->instrs);
            int32_t link = interp_switch_link(interp, code, regs, instr);
            if (link < 0) goto raised;
            instr = interp_take_link(interp, code, regs, link);
            continue;
        }
        case INTERP_OP_RETURN: {
            frame->pc = (int32_t)(instr - code->instrs);
            InterpValue value = regs[instr->a];
            if (value.kind == INTERP_VALUE_UNSET) {
                interp_unset_operand(interp, code, instr->a);
                goto raised;
            }
            InterpReturnOutcome outcome = interp_return(interp, value, result);
            if (outcome == INTERP_RETURN_FINISHED) return true;
            if (outcome == INTERP_RETURN_RAISED) goto raised;
            goto reload;
        }
        case INTERP_OP_THROW:
            frame->pc = (int32_t)(instr - code->instrs);
            if (regs[instr->a].kind == INTERP_VALUE_UNSET)
                interp_unset_operand(interp, code, instr->a);
            else
                interp_raise_value(interp, regs[instr->a]);
            goto raised;
        default: break;
        }
        /* The general form of the instruction. */
        frame->pc = (int32_t)(instr - code->instrs);
        InterpStatus status = interp_exec_slow(interp, frame, instr);
        if (status == INTERP_STATUS_OK) {
            instr++;
            continue;
        }
        if (status == INTERP_STATUS_CALLED) goto reload;
    raised:
        if (!interp_unwind(interp)) return false;
    reload:
        frame = &vec_last(&interp->frames);
        code = frame->code;
        regs = frame->regs;
        instr = code->instrs + frame->pc;
    }
}

bool interp_call_top(Interp *interp, int graph, const InterpValue *args, int count,
                     InterpValue *result) {
    InterpCode *code = interp_code(interp, graph);
    if (code->graph->kind == FLOW_GRAPH_EXTERN)
        return interp_extern_call(interp, code, args, count, result);
    if (count != code->param_count) return interp_arity_error(interp, code, count);
    InterpValue *regs =
        interp_enter(interp, code, INTERP_RETURN_TOP, interp_make_simple(INTERP_VALUE_VOID));
    if (!regs) return false;
    for (int i = 0; i < count; i++)
        regs[code->param_regs[i]] = args[i];
    return interp_run_frames(interp, result);
}
