/* transform_fold.c - constant folding and propagation on low-level graphs,
 * and the removal of the branches and blocks it makes dead (the contract
 * is in optimize.h).
 *
 * Registers are variables, not SSA values, so a constant is propagated
 * only out of a register with a single assignment, and only into the uses
 * that this assignment dominates: any other use could read the register
 * before it is assigned.  Each round of a function:
 *   1. the blocks reachable from block 0 (in reverse post-order); the
 *      others are emptied;
 *   2. the dominator tree of the reachable blocks (Cooper, Harvey and
 *      Kennedy's iteration over the reverse post-order);
 *   3. per register, its assignments and, when single, where it is;
 *   4. the blocks in reverse post-order, so that an assignment folded into
 *      a constant is seen by the uses it dominates in the same round:
 *      operands replaced, instructions folded, terminators folded.
 * Rounds repeat until one changes nothing: every change replaces an
 * operand by a constant, an instruction by a COPY, a terminator by a GOTO
 * or empties a block, so there are finitely many.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "optimize.h"

typedef struct Fold {
    LowProgram *program;
    LowFunc *func;
    int *order;       /* the reachable blocks in reverse post-order */
    int order_count;  /* how many blocks are reachable */
    int *order_index; /* per block: its place in `order`, -1 when unreachable */
    int *idom;        /* per reachable block: its immediate dominator (block 0: 0) */
    int *assignments; /* per register: its assignments (a parameter has one more) */
    int *def_block;   /* per register with one assignment: its block and instruction */
    int *def_index;
    int folds;
    bool changed;
} Fold;

/* ---- the control-flow graph -------------------------------------------------- */

/* The successors of a block: how many, and where they are. */
static int fold_successors(const LowBlock *block, const int **targets) {
    *targets = block->term.targets;
    switch (block->term.kind) {
    case LOW_TERM_GOTO: return 1;
    case LOW_TERM_BRANCH: return 2;
    case LOW_TERM_SWITCH: return block->term.case_count + 1;
    default: return 0;
    }
}

/* order, order_index: a depth-first post-order from block 0, reversed
 * (an explicit stack of (block, next successor) pairs). */
static void fold_reverse_postorder(Fold *fold) {
    const LowFunc *func = fold->func;
    int count = func->blocks.count;
    int *stack = kiln_xcalloc((size_t)count * 2 + 2, sizeof *stack);
    bool *seen = kiln_xcalloc((size_t)count + 1, sizeof *seen);
    int *post = kiln_xcalloc((size_t)count + 1, sizeof *post);
    int post_count = 0, depth = 0;
    seen[0] = true;
    stack[0] = 0;
    stack[1] = 0;
    depth = 1;
    while (depth > 0) {
        int block = stack[depth * 2 - 2];
        const int *targets = NULL;
        int successors = fold_successors(&func->blocks.items[block], &targets);
        int next = stack[depth * 2 - 1]++;
        if (next < successors) {
            int target = targets[next];
            if (!seen[target]) {
                seen[target] = true;
                stack[depth * 2] = target;
                stack[depth * 2 + 1] = 0;
                depth++;
            }
            continue;
        }
        post[post_count++] = block;
        depth--;
    }
    for (int b = 0; b < count; b++)
        fold->order_index[b] = -1;
    for (int i = 0; i < post_count; i++) {
        fold->order[i] = post[post_count - 1 - i];
        fold->order_index[fold->order[i]] = i;
    }
    fold->order_count = post_count;
    free(post);
    free(seen);
    free(stack);
}

/* Empties the unreachable blocks that still hold something. */
static void fold_clear_unreachable(Fold *fold) {
    LowFunc *func = fold->func;
    for (int b = 0; b < func->blocks.count; b++) {
        LowBlock *block = &func->blocks.items[b];
        if (fold->order_index[b] >= 0) continue;
        if (block->insts.count == 0 && block->term.kind == LOW_TERM_UNREACHABLE) continue;
        block->insts.count = 0;
        SrcPos pos = block->term.pos;
        memset(&block->term, 0, sizeof block->term);
        block->term.kind = LOW_TERM_UNREACHABLE;
        block->term.pos = pos;
        fold->changed = true;
    }
}

static int fold_intersect(const Fold *fold, int left, int right) {
    while (left != right) {
        while (fold->order_index[left] > fold->order_index[right])
            left = fold->idom[left];
        while (fold->order_index[right] > fold->order_index[left])
            right = fold->idom[right];
    }
    return left;
}

/* idom of every reachable block, iterated to a fixpoint over the reverse
 * post-order with the predecessors found from the successor lists. */
static void fold_dominators(Fold *fold) {
    const LowFunc *func = fold->func;
    int count = func->blocks.count;
    /* predecessors, flattened: those of block b at preds[first[b] .. first[b + 1]) */
    int *first = kiln_xcalloc((size_t)count + 2, sizeof *first);
    int edges = 0;
    for (int i = 0; i < fold->order_count; i++) {
        const int *targets = NULL;
        int successors = fold_successors(&func->blocks.items[fold->order[i]], &targets);
        for (int s = 0; s < successors; s++)
            first[targets[s] + 1]++;
        edges += successors;
    }
    for (int b = 0; b < count; b++)
        first[b + 1] += first[b];
    int *preds = kiln_xcalloc((size_t)edges + 1, sizeof *preds);
    int *filled = kiln_xcalloc((size_t)count + 1, sizeof *filled);
    for (int i = 0; i < fold->order_count; i++) {
        int block = fold->order[i];
        const int *targets = NULL;
        int successors = fold_successors(&func->blocks.items[block], &targets);
        for (int s = 0; s < successors; s++)
            preds[first[targets[s]] + filled[targets[s]]++] = block;
    }
    for (int b = 0; b < count; b++)
        fold->idom[b] = -1;
    fold->idom[0] = 0;
    for (bool again = true; again;) {
        again = false;
        for (int i = 1; i < fold->order_count; i++) {
            int block = fold->order[i];
            int dominator = -1;
            for (int p = first[block]; p < first[block + 1]; p++) {
                int pred = preds[p];
                if (fold->idom[pred] < 0) continue;
                dominator = dominator < 0 ? pred : fold_intersect(fold, pred, dominator);
            }
            if (dominator >= 0 && fold->idom[block] != dominator) {
                fold->idom[block] = dominator;
                again = true;
            }
        }
    }
    free(filled);
    free(preds);
    free(first);
}

/* Whether block `dominator` dominates block `block` (both reachable). */
static bool fold_dominates(const Fold *fold, int dominator, int block) {
    while (block != dominator) {
        if (block == 0 || fold->idom[block] < 0) return false;
        block = fold->idom[block];
    }
    return true;
}

/* ---- assignments and constants ------------------------------------------------- */

static void fold_count_assignments(Fold *fold) {
    const LowFunc *func = fold->func;
    for (int reg = 0; reg < func->regs.count; reg++) {
        fold->assignments[reg] = reg < func->param_count ? 1 : 0;
        fold->def_block[reg] = -1;
    }
    for (int i = 0; i < fold->order_count; i++) {
        int b = fold->order[i];
        const LowBlock *block = &func->blocks.items[b];
        for (int index = 0; index < block->insts.count; index++) {
            int reg = block->insts.items[index].result;
            if (reg < 0 || reg >= func->regs.count) continue;
            fold->assignments[reg]++;
            fold->def_block[reg] = b;
            fold->def_index[reg] = index;
        }
    }
}

static bool fold_is_constant(LowValue value) {
    return value.kind == LOW_VALUE_INT || value.kind == LOW_VALUE_FLOAT ||
           value.kind == LOW_VALUE_NULL;
}

/* The constant `value` holds at instruction `index` of `block` (index =
 * the block's instruction count for its terminator), or `value` itself. */
static LowValue fold_operand(const Fold *fold, LowValue value, int block, int index) {
    if (value.kind != LOW_VALUE_REG) return value;
    int reg = value.index;
    if (fold->assignments[reg] != 1 || fold->def_block[reg] < 0) return value;
    const LowInst *def =
        &fold->func->blocks.items[fold->def_block[reg]].insts.items[fold->def_index[reg]];
    if (def->opcode != LOW_COPY || def->arg_count < 1 || !fold_is_constant(def->args[0]) ||
        def->args[0].type != value.type)
        return value;
    bool dominated = fold->def_block[reg] == block
                         ? fold->def_index[reg] < index
                         : fold_dominates(fold, fold->def_block[reg], block);
    return dominated ? def->args[0] : value;
}

/* Whether operand `arg` of `inst` may be a constant for the backends: not
 * an address, not a primitive's operand (they name slots and markers). */
static bool fold_replaceable(const LowInst *inst, int arg) {
    switch (inst->opcode) {
    case LOW_COPY:
    case LOW_BINARY:
    case LOW_UNARY:
    case LOW_SELECT:
    case LOW_CALL: return true;
    case LOW_LOAD:
    case LOW_STORE: return arg > 0;
    default: return false;
    }
}

static void fold_propagate(Fold *fold, LowInst *inst, int block, int index) {
    for (int a = 0; a < inst->arg_count; a++) {
        if (!fold_replaceable(inst, a)) continue;
        LowValue value = fold_operand(fold, inst->args[a], block, index);
        if (value.kind == inst->args[a].kind) continue;
        inst->args[a] = value;
        fold->changed = true;
    }
}

/* ---- evaluation, as the backends compute --------------------------------------- */

static bool fold_float_result(double number, LowValue *out) {
    if (isnan(number)) return false; /* the backends spell every NaN alike */
    *out = low_float(number);
    return true;
}

static bool fold_int_binary(LowBinop op, int64_t left, int64_t right, LowValue *out) {
    uint64_t uleft = (uint64_t)left, uright = (uint64_t)right;
    int64_t result;
    switch (op) {
    case LOW_BIN_ADD: result = (int64_t)(uleft + uright); break;
    case LOW_BIN_SUB: result = (int64_t)(uleft - uright); break;
    case LOW_BIN_MUL: result = (int64_t)(uleft * uright); break;
    case LOW_BIN_SDIV:
    case LOW_BIN_SREM:
        if (right == 0 || (left == INT64_MIN && right == -1)) return false;
        result = op == LOW_BIN_SDIV ? left / right : left % right;
        break;
    case LOW_BIN_AND: result = left & right; break;
    case LOW_BIN_OR: result = left | right; break;
    case LOW_BIN_XOR: result = left ^ right; break;
    case LOW_BIN_SHL:
    case LOW_BIN_ASHR:
        if (right < 0 || right > 63) return false;
        /* >> of a negative int64_t is arithmetic in gcc and clang, as the
         * C backend prints it and as LLVM's ashr computes */
        result = op == LOW_BIN_SHL ? (int64_t)(uleft << right) : left >> right;
        break;
    case LOW_BIN_EQ: result = left == right; break;
    case LOW_BIN_NE: result = left != right; break;
    case LOW_BIN_LT: result = left < right; break;
    case LOW_BIN_LE: result = left <= right; break;
    case LOW_BIN_GT: result = left > right; break;
    case LOW_BIN_GE: result = left >= right; break;
    case LOW_BIN_ULT: result = uleft < uright; break;
    case LOW_BIN_UGE: result = uleft >= uright; break;
    default: return false;
    }
    *out = low_int(result);
    return true;
}

static bool fold_float_binary(LowBinop op, double left, double right, LowValue *out) {
    switch (op) {
    case LOW_BIN_FADD: return fold_float_result(left + right, out);
    case LOW_BIN_FSUB: return fold_float_result(left - right, out);
    case LOW_BIN_FMUL: return fold_float_result(left * right, out);
    case LOW_BIN_FDIV: return fold_float_result(left / right, out);
    /* C's comparisons: false on a NaN, except != (LLVM's une) */
    case LOW_BIN_FEQ: *out = low_int(left == right); return true;
    case LOW_BIN_FNE: *out = low_int(left != right); return true;
    case LOW_BIN_FLT: *out = low_int(left < right); return true;
    case LOW_BIN_FLE: *out = low_int(left <= right); return true;
    case LOW_BIN_FGT: *out = low_int(left > right); return true;
    case LOW_BIN_FGE: *out = low_int(left >= right); return true;
    default: return false;
    }
}

static bool fold_binary(LowBinop op, LowValue left, LowValue right, LowValue *out) {
    if (op == LOW_BIN_PTR_EQ || op == LOW_BIN_PTR_NE) {
        if (left.kind != LOW_VALUE_NULL || right.kind != LOW_VALUE_NULL) return false;
        *out = low_int(op == LOW_BIN_PTR_EQ);
        return true;
    }
    if (left.kind == LOW_VALUE_INT && right.kind == LOW_VALUE_INT)
        return fold_int_binary(op, left.bits, right.bits, out);
    if (left.kind == LOW_VALUE_FLOAT && right.kind == LOW_VALUE_FLOAT)
        return fold_float_binary(op, left.number, right.number, out);
    return false;
}

static bool fold_unary(LowUnop op, LowValue operand, LowValue *out) {
    bool is_int = operand.kind == LOW_VALUE_INT, is_float = operand.kind == LOW_VALUE_FLOAT;
    int64_t bits = operand.bits;
    double number = operand.number;
    switch (op) {
    case LOW_UN_NEG:
        if (!is_int) return false;
        *out = low_int((int64_t)(0 - (uint64_t)bits));
        return true;
    case LOW_UN_INVERT:
        if (!is_int) return false;
        *out = low_int(~bits);
        return true;
    case LOW_UN_NOT:
        if (operand.kind == LOW_VALUE_NULL) {
            *out = low_int(1);
            return true;
        }
        if (!is_int) return false;
        *out = low_int(bits == 0);
        return true;
    case LOW_UN_FNEG: return is_float && fold_float_result(-number, out);
    case LOW_UN_INT_TO_FLOAT: return is_int && fold_float_result((double)bits, out);
    case LOW_UN_BITS_OF_FLOAT:
        if (!is_float || isnan(number)) return false;
        memcpy(&bits, &number, sizeof bits);
        *out = low_int(bits);
        return true;
    case LOW_UN_FLOAT_OF_BITS:
        if (!is_int) return false;
        memcpy(&number, &bits, sizeof number);
        return fold_float_result(number, out);
    case LOW_UN_PTR_TO_INT:
        if (operand.kind != LOW_VALUE_NULL) return false;
        *out = low_int(0);
        return true;
    case LOW_UN_INT_TO_PTR:
        if (!is_int || bits != 0) return false; /* no constant for another address */
        *out = low_null();
        return true;
    default: return false;
    }
}

/* `value` at the register type `type`, when a COPY can give it: its own
 * type, or a zero of another (0 and null convert, as low_coerce does). */
static bool fold_at_type(LowValue value, LowType type, LowValue *out) {
    if (value.kind == LOW_VALUE_NONE) return false;
    if (value.type == type) {
        *out = value;
        return true;
    }
    bool zero = (value.kind == LOW_VALUE_INT && value.bits == 0) || value.kind == LOW_VALUE_NULL;
    if (!zero || type == LOW_F64) return false;
    *out = type == LOW_PTR ? low_null() : low_int(0);
    return true;
}

/* ---- rewriting ---------------------------------------------------------------------- */

static void fold_into_copy(Fold *fold, LowInst *inst, LowValue value) {
    inst->opcode = LOW_COPY;
    inst->sub = 0;
    inst->args = arena_memdup(&fold->program->arena, &value, sizeof value);
    inst->arg_count = 1;
    fold->folds++;
    fold->changed = true;
}

static void fold_inst(Fold *fold, LowInst *inst) {
    if (inst->result < 0) return;
    LowType type = fold->func->regs.items[inst->result];
    LowValue value = low_none();
    bool folded = false;
    switch (inst->opcode) {
    case LOW_BINARY:
        folded = fold_binary((LowBinop)inst->sub, inst->args[0], inst->args[1], &value);
        break;
    case LOW_UNARY: folded = fold_unary((LowUnop)inst->sub, inst->args[0], &value); break;
    case LOW_SELECT: {
        LowValue condition = inst->args[0];
        /* the chosen operand, constant or not */
        if (condition.kind == LOW_VALUE_INT)
            folded = fold_at_type(inst->args[condition.bits != 0 ? 1 : 2], type, &value);
        else if (condition.kind == LOW_VALUE_NULL)
            folded = fold_at_type(inst->args[2], type, &value);
        break;
    }
    default: return;
    }
    if (folded && value.type == type) fold_into_copy(fold, inst, value);
}

static void fold_term(Fold *fold, LowTerm *term, int block, int index) {
    if (term->kind != LOW_TERM_BRANCH && term->kind != LOW_TERM_SWITCH &&
        term->kind != LOW_TERM_RETURN)
        return;
    LowValue value = fold_operand(fold, term->value, block, index);
    if (value.kind != term->value.kind) {
        term->value = value;
        fold->changed = true;
    }
    int target = -1;
    if (term->kind == LOW_TERM_BRANCH && value.kind == LOW_VALUE_INT)
        target = term->targets[value.bits != 0 ? 0 : 1];
    else if (term->kind == LOW_TERM_BRANCH && value.kind == LOW_VALUE_NULL)
        target = term->targets[1];
    else if (term->kind == LOW_TERM_SWITCH && value.kind == LOW_VALUE_INT) {
        target = term->targets[term->case_count];
        for (int i = 0; i < term->case_count; i++)
            if (term->cases[i] == value.bits) {
                target = term->targets[i];
                break;
            }
    }
    if (target < 0) return;
    SrcPos pos = term->pos;
    memset(term, 0, sizeof *term);
    term->kind = LOW_TERM_GOTO;
    term->targets = arena_memdup(&fold->program->arena, &target, sizeof target);
    term->pos = pos;
    fold->folds++;
    fold->changed = true;
}

static void fold_round(Fold *fold) {
    fold_reverse_postorder(fold);
    fold_clear_unreachable(fold);
    fold_dominators(fold);
    fold_count_assignments(fold);
    for (int i = 0; i < fold->order_count; i++) {
        int b = fold->order[i];
        LowBlock *block = &fold->func->blocks.items[b];
        for (int index = 0; index < block->insts.count; index++) {
            LowInst *inst = &block->insts.items[index];
            fold_propagate(fold, inst, b, index);
            fold_inst(fold, inst);
        }
        fold_term(fold, &block->term, b, block->insts.count);
    }
}

static int fold_function(LowProgram *program, LowFunc *func) {
    if (func->blocks.count == 0) return 0;
    Fold fold = {0};
    fold.program = program;
    fold.func = func;
    size_t blocks = (size_t)func->blocks.count + 1, regs = (size_t)func->regs.count + 1;
    fold.order = kiln_xcalloc(blocks, sizeof *fold.order);
    fold.order_index = kiln_xcalloc(blocks, sizeof *fold.order_index);
    fold.idom = kiln_xcalloc(blocks, sizeof *fold.idom);
    fold.assignments = kiln_xcalloc(regs, sizeof *fold.assignments);
    fold.def_block = kiln_xcalloc(regs, sizeof *fold.def_block);
    fold.def_index = kiln_xcalloc(regs, sizeof *fold.def_index);
    do {
        fold.changed = false;
        fold_round(&fold);
    } while (fold.changed);
    free(fold.order);
    free(fold.order_index);
    free(fold.idom);
    free(fold.assignments);
    free(fold.def_block);
    free(fold.def_index);
    return fold.folds;
}

int transform_fold(LowProgram *program) {
    int folds = 0;
    for (int f = 0; f < program->funcs.count; f++)
        folds += fold_function(program, &program->funcs.items[f]);
    return folds;
}
