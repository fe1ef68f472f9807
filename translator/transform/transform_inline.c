/* transform_inline.c - inlining of small functions into their callers
 * (the contract is in optimize.h).
 *
 *   caller b3:  ...before; r9 = call @callee(th, r4, 7); ...after; term
 *   becomes
 *   b3:   ...before; r20 = r4; r21 = 7; goto b40     (r20, r21: the callee's
 *   b40.. the callee's blocks, registers +20,          parameters, fresh)
 *         each `return v` now `r9 = v; goto b47`
 *   b47:  ...after; term                             (the continuation)
 *
 * The order is a post-order of the direct call graph (callees first), so
 * that the size compared with the limit is a callee's size after its own
 * inlining, and so that a callee copied into a caller is final.
 */
#include <stdlib.h>
#include <string.h>

#include "optimize.h"

typedef struct InlineState {
    LowProgram *program;
    int size_limit;
    int *sizes;         /* per function: its instruction count, final once done */
    bool *done;         /* per function: its own call sites were processed */
    bool *checks_stack; /* per function: it has a STACK_CHECK (on a call cycle) */
    int inlined;
} InlineState;

/* How the callee's numbers become the caller's at one site. */
typedef struct InlineMap {
    int reg_base;     /* callee register r is caller register reg_base + r */
    int block_base;   /* callee block b is caller block block_base + b */
    int marker_base;  /* callee frame marker m is caller marker marker_base + m */
    int continuation; /* the block that takes what followed the call */
    /* where a normal return (LowTerm.normal) goes: past the exception test
     * that followed the call, or the continuation when there was none */
    int normal_continuation;
    int result; /* the call's result register, or -1 */
} InlineMap;

/* The LowFunc a call names directly, or -1. */
static int inline_direct_callee(const LowProgram *program, const LowInst *inst) {
    if (inst->opcode != LOW_CALL || inst->callee.kind != LOW_VALUE_SYMBOL) return -1;
    int symbol = inst->callee.index;
    if (symbol < 0 || symbol >= program->symbols.count) return -1;
    const LowSymbol *entry = &program->symbols.items[symbol];
    if (entry->kind != LOW_SYMBOL_FUNC || entry->func < 0 || entry->func >= program->funcs.count)
        return -1;
    return entry->func;
}

static int inline_size(const LowFunc *func) {
    int size = 0;
    for (int b = 0; b < func->blocks.count; b++)
        size += func->blocks.items[b].insts.count;
    return size;
}

static int inline_frame_marker(const LowInst *inst) {
    return inst->arg_count > 0 && inst->args[0].kind == LOW_VALUE_INT ? (int)inst->args[0].bits : 0;
}

/* The highest frame marker a function uses; 0 when it uses none (the
 * function's own marker is 0 even where no instruction names it yet). */
static int inline_highest_marker(const LowFunc *func) {
    int highest = 0;
    for (int b = 0; b < func->blocks.count; b++) {
        const LowBlock *block = &func->blocks.items[b];
        for (int i = 0; i < block->insts.count; i++) {
            const LowInst *inst = &block->insts.items[i];
            if (inst->opcode == LOW_PRIM && inst->sub == LOW_PRIM_FRAME_ADDRESS &&
                inline_frame_marker(inst) > highest)
                highest = inline_frame_marker(inst);
        }
    }
    return highest;
}

static bool inline_has_stack_check(const LowFunc *func) {
    for (int b = 0; b < func->blocks.count; b++) {
        const LowBlock *block = &func->blocks.items[b];
        for (int i = 0; i < block->insts.count; i++)
            if (block->insts.items[i].opcode == LOW_PRIM &&
                block->insts.items[i].sub == LOW_PRIM_STACK_CHECK)
                return true;
    }
    return false;
}

/* ---- the order: callees first --------------------------------------------- */

typedef struct InlineCursor {
    int func;
    int block;
    int inst;
} InlineCursor;

/* The next direct callee not yet visited from the cursor's function, or
 * -1 when its body has no more. */
static int inline_next_callee(const LowProgram *program, InlineCursor *cursor,
                              const unsigned char *visited) {
    const LowFunc *func = &program->funcs.items[cursor->func];
    while (cursor->block < func->blocks.count) {
        const LowBlock *block = &func->blocks.items[cursor->block];
        if (cursor->inst >= block->insts.count) {
            cursor->block++;
            cursor->inst = 0;
            continue;
        }
        int callee = inline_direct_callee(program, &block->insts.items[cursor->inst++]);
        if (callee >= 0 && !visited[callee]) return callee;
    }
    return -1;
}

/* Every function, each after the functions it calls directly (a depth-first
 * post-order; on a cycle, the function first reached comes last).  An
 * explicit stack: call chains may be deeper than the C stack allows. */
static int *inline_order(const LowProgram *program) {
    int count = program->funcs.count;
    int *order = kiln_xcalloc((size_t)count + 1, sizeof *order);
    unsigned char *visited = kiln_xcalloc((size_t)count + 1, 1);
    InlineCursor *stack = kiln_xcalloc((size_t)count + 1, sizeof *stack);
    int ordered = 0;
    for (int root = 0; root < count; root++) {
        if (visited[root]) continue;
        visited[root] = 1;
        int depth = 0;
        stack[depth++] = (InlineCursor){root, 0, 0};
        while (depth > 0) {
            InlineCursor *top = &stack[depth - 1];
            int callee = inline_next_callee(program, top, visited);
            if (callee >= 0) {
                visited[callee] = 1;
                stack[depth++] = (InlineCursor){callee, 0, 0};
                continue;
            }
            order[ordered++] = top->func;
            depth--;
        }
    }
    free(stack);
    free(visited);
    return order;
}

/* ---- one call site ---------------------------------------------------------- */

/* The LowFunc the call at `inst` of `caller` may be replaced with, or -1. */
static int inline_candidate(const InlineState *state, int caller, const LowInst *inst) {
    const LowProgram *program = state->program;
    int callee = inline_direct_callee(program, inst);
    if (callee < 0 || callee == caller || !state->done[callee] || state->checks_stack[callee] ||
        state->sizes[callee] > state->size_limit)
        return -1;
    const LowFunc *body = &program->funcs.items[callee];
    const LowFunc *func = &program->funcs.items[caller];
    if (body->blocks.count == 0 || inst->arg_count != body->param_count + 1 ||
        inst->args[0].kind != LOW_VALUE_THREAD)
        return -1;
    for (int i = 0; i < body->param_count; i++)
        if (inst->args[i + 1].type != body->regs.items[i]) return -1;
    if (inst->result >= 0 && func->regs.items[inst->result] != body->result) return -1;
    return callee;
}

static LowValue inline_value(const InlineMap *map, LowValue value) {
    if (value.kind == LOW_VALUE_REG) value.index += map->reg_base;
    return value;
}

static LowInst inline_copy_inst(LowProgram *program, const InlineMap *map, const LowInst *source) {
    LowInst inst = *source;
    if (inst.result >= 0) inst.result += map->reg_base;
    if (inst.opcode == LOW_CALL) inst.callee = inline_value(map, inst.callee);
    if (inst.opcode == LOW_PRIM && inst.sub == LOW_PRIM_FRAME_ADDRESS) {
        LowValue marker = low_int(map->marker_base + inline_frame_marker(source));
        inst.args = arena_memdup(&program->arena, &marker, sizeof marker);
        inst.arg_count = 1;
        return inst;
    }
    if (inst.arg_count > 0) {
        inst.args =
            arena_memdup(&program->arena, source->args, sizeof(LowValue) * (size_t)inst.arg_count);
        for (int a = 0; a < inst.arg_count; a++)
            inst.args[a] = inline_value(map, inst.args[a]);
    }
    return inst;
}

static LowTerm inline_goto(LowProgram *program, int target, SrcPos pos) {
    LowTerm term = {0};
    term.kind = LOW_TERM_GOTO;
    term.targets = arena_memdup(&program->arena, &target, sizeof target);
    term.pos = pos;
    return term;
}

/* The callee's terminator in the copied block: jumps renumbered, a
 * return as the result's copy and a goto to the continuation. */
static void inline_copy_term(LowProgram *program, const InlineMap *map, const LowTerm *source,
                             LowBlock *copy) {
    LowTerm term = *source;
    int target_count = 0;
    switch (source->kind) {
    case LOW_TERM_RETURN:
        if (map->result >= 0 && source->value.kind != LOW_VALUE_NONE) {
            LowInst result = {0};
            LowValue value = inline_value(map, source->value);
            result.opcode = LOW_COPY;
            result.result = map->result;
            result.args = arena_memdup(&program->arena, &value, sizeof value);
            result.arg_count = 1;
            result.pos = source->pos;
            vec_push(&copy->insts, result);
        }
        copy->term = inline_goto(
            program, source->normal ? map->normal_continuation : map->continuation, source->pos);
        return;
    case LOW_TERM_GOTO: target_count = 1; break;
    case LOW_TERM_BRANCH: target_count = 2; break;
    case LOW_TERM_SWITCH:
        target_count = source->case_count + 1;
        if (source->case_count > 0)
            term.cases = arena_memdup(&program->arena, source->cases,
                                      sizeof(int64_t) * (size_t)source->case_count);
        break;
    default: break;
    }
    term.value = inline_value(map, source->value);
    if (target_count > 0) {
        term.targets =
            arena_memdup(&program->arena, source->targets, sizeof(int) * (size_t)target_count);
        for (int i = 0; i < target_count; i++)
            term.targets[i] += map->block_base;
    }
    copy->term = term;
}

/* Whether `continuation` is the lowering's pattern after a call that can
 * raise: shadow-stack reloads, then EXCEPTION_PENDING, then a branch on it
 * to the raise exit.  Returns the index of the EXCEPTION_PENDING, or -1. */
static int inline_exception_test(const LowBlock *continuation) {
    int count = continuation->insts.count;
    if (count == 0 || continuation->term.kind != LOW_TERM_BRANCH) return -1;
    const LowInst *test = &continuation->insts.items[count - 1];
    if (test->opcode != LOW_PRIM || test->sub != LOW_PRIM_EXCEPTION_PENDING) return -1;
    const LowTerm *branch = &continuation->term;
    if (branch->value.kind != LOW_VALUE_REG || branch->value.index != test->result) return -1;
    for (int i = 0; i < count - 1; i++) {
        const LowInst *reload = &continuation->insts.items[i];
        if (reload->opcode != LOW_PRIM ||
            (reload->sub != LOW_PRIM_ROOT_ADJUST && reload->sub != LOW_PRIM_ROOT_LOAD))
            return -1;
    }
    return count - 1;
}

/* The block a normal return of the inlined body goes to: the reloads of
 * the continuation, then straight to where no exception leads (the
 * lowering never leaves one in flight on a normal return, low.h). */
static void inline_normal_continuation(LowProgram *program, LowFunc *func, InlineMap *map) {
    const LowBlock *continuation = &func->blocks.items[map->continuation];
    int test = inline_exception_test(continuation);
    if (test < 0) {
        map->normal_continuation = map->continuation;
        return;
    }
    LowBlock normal = {0};
    normal.comment = "normal return";
    for (int i = 0; i < test; i++) {
        LowInst reload = continuation->insts.items[i];
        /* its own operands: later passes rewrite instructions in place */
        reload.args =
            arena_memdup(&program->arena, reload.args, sizeof(LowValue) * (size_t)reload.arg_count);
        vec_push(&normal.insts, reload);
    }
    normal.term = inline_goto(program, continuation->term.targets[1], continuation->term.pos);
    vec_push(&func->blocks, normal);
    map->normal_continuation = func->blocks.count - 1;
}

/* "Callee: comment", so that a dump shows where each copied block came from. */
static const char *inline_comment(LowProgram *program, const LowFunc *body, const char *comment) {
    if (comment) return arena_printf(&program->arena, "%s: %s", body->kiln_name, comment);
    return arena_printf(&program->arena, "%s", body->kiln_name);
}

/* Replaces the call at instruction `index` of `block` with the body of
 * `callee`; returns the continuation block. */
static int inline_site(InlineState *state, int caller, int block, int index, int callee,
                       int *highest_marker) {
    LowProgram *program = state->program;
    LowFunc *func = &program->funcs.items[caller];
    const LowFunc *body = &program->funcs.items[callee];
    const LowInst call = func->blocks.items[block].insts.items[index];
    InlineMap map;
    map.reg_base = func->regs.count;
    map.block_base = func->blocks.count;
    map.marker_base = *highest_marker + 1;
    map.continuation = map.block_base + body->blocks.count;
    map.result = call.result;
    for (int reg = 0; reg < body->regs.count; reg++)
        vec_push(&func->regs, body->regs.items[reg]);
    /* the blocks of the body are numbered first; what followed the call,
     * and the block's terminator, go to the continuation after them */
    for (int b = 0; b < body->blocks.count; b++) {
        LowBlock placeholder = {0};
        vec_push(&func->blocks, placeholder);
    }
    LowBlock continuation = {0};
    LowBlock *split = &func->blocks.items[block];
    for (int i = index + 1; i < split->insts.count; i++)
        vec_push(&continuation.insts, split->insts.items[i]);
    continuation.term = split->term;
    vec_push(&func->blocks, continuation);
    inline_normal_continuation(program, func, &map);
    for (int b = 0; b < body->blocks.count; b++) {
        const LowBlock *source = &body->blocks.items[b];
        LowBlock copy = {0};
        copy.comment = inline_comment(program, body, source->comment);
        vec_reserve(&copy.insts, source->insts.count + 1);
        for (int i = 0; i < source->insts.count; i++)
            vec_push(&copy.insts, inline_copy_inst(program, &map, &source->insts.items[i]));
        inline_copy_term(program, &map, &source->term, &copy);
        func->blocks.items[map.block_base + b] = copy;
    }
    /* the arguments into the parameters, then the copied entry */
    split = &func->blocks.items[block];
    split->insts.count = index;
    for (int i = 0; i < body->param_count; i++) {
        LowInst copy = {0};
        copy.opcode = LOW_COPY;
        copy.result = map.reg_base + i;
        copy.args = arena_memdup(&program->arena, &call.args[i + 1], sizeof(LowValue));
        copy.arg_count = 1;
        copy.pos = call.pos;
        vec_push(&split->insts, copy);
    }
    split->term = inline_goto(program, map.block_base, call.pos);
    *highest_marker = map.marker_base + inline_highest_marker(body);
    state->inlined++;
    return map.continuation;
}

/* Inlines the eligible call sites of `caller`: those of its own blocks and
 * of the continuations made here, never those of copied bodies (their
 * calls were considered in the callee already). */
static void inline_into(InlineState *state, int caller) {
    /* the functions' vector never grows here: `func` stays valid; its
     * blocks' vector does, so blocks are reached by index */
    const LowFunc *func = &state->program->funcs.items[caller];
    Vec(int) pending = {0};
    for (int b = 0; b < func->blocks.count; b++)
        vec_push(&pending, b);
    int highest_marker = inline_highest_marker(func);
    for (int next = 0; next < pending.count; next++) {
        int block = pending.items[next];
        for (int i = 0; i < func->blocks.items[block].insts.count; i++) {
            const LowInst *inst = &func->blocks.items[block].insts.items[i];
            int callee = inline_candidate(state, caller, inst);
            if (callee < 0) continue;
            vec_push(&pending, inline_site(state, caller, block, i, callee, &highest_marker));
            break; /* the rest of the block moved to the continuation */
        }
    }
    vec_free(&pending);
    state->sizes[caller] = inline_size(func);
    state->done[caller] = true;
}

int transform_inline(LowProgram *program, int size_limit) {
    int count = program->funcs.count;
    InlineState state = {0};
    state.program = program;
    state.size_limit = size_limit;
    state.sizes = kiln_xcalloc((size_t)count + 1, sizeof *state.sizes);
    state.done = kiln_xcalloc((size_t)count + 1, sizeof *state.done);
    state.checks_stack = kiln_xcalloc((size_t)count + 1, sizeof *state.checks_stack);
    for (int f = 0; f < count; f++) {
        state.sizes[f] = inline_size(&program->funcs.items[f]);
        state.checks_stack[f] = inline_has_stack_check(&program->funcs.items[f]);
    }
    int *order = inline_order(program);
    for (int i = 0; i < count; i++)
        inline_into(&state, order[i]);
    free(order);
    free(state.sizes);
    free(state.done);
    free(state.checks_stack);
    return state.inlined;
}
