/* transform_virtualize.c - removal of the allocations that do not escape
 * their function: the fields of such an object become registers (the
 * contract is in optimize.h).
 *
 *   before                                  after
 *   r2 = alloc 24, 32                       r40 = 0; r41 = 0; r42 = 0
 *   root_store 0, r2; root_adjust 1         root_store 0, null; root_adjust 1
 *   r18 = r2                                (gone)
 *   store.i64 [r18 + 8], r19                r40 = r19
 *   root_adjust -1; r2 = root_load 0        root_adjust -1
 *   r3 = load.i64 [r2 + 8]                  r3 = r40
 *
 * Each ALLOC of a function is a candidate, one at a time (a rewriting
 * changes the function, so the next candidate is analysed afresh):
 *   1. the shadow stack: the depth of root_top on entry to every block
 *      (the spill protocol makes it the same on every path) and, forward,
 *      per absolute slot, whether it holds the candidate object;
 *   2. the aliases: the ALLOC's register and every register a COPY of an
 *      alias or a reload of a slot that may hold the object assigns, to a
 *      fixpoint;
 *   3. every assignment of an alias must be the ALLOC, a COPY of an alias
 *      or a reload of a slot that holds the object on every path; every
 *      use must be one that the rewriting replaces (optimize.h); the words
 *      of the object the loads and stores name, and their types;
 *   4. which words may hold a reference (a fixpoint over the registers);
 *   5. liveness, backward, of the aliases and of the words: no alias is
 *      live where the ALLOC runs or on entry to the function (so an alias
 *      always holds the object of the ALLOC's latest run, whose words the
 *      registers hold), and no word that may hold a reference is live
 *      after an instruction that can collect;
 *   6. the rewriting.
 */
#include <stdlib.h>
#include <string.h>

#include "optimize.h"

/* What an absolute shadow stack slot holds, as far as the candidate goes. */
typedef enum VirtualSlot {
    VIRTUAL_SLOT_OTHER,  /* not the candidate object (of any run of its ALLOC) */
    VIRTUAL_SLOT_OBJECT, /* the object of the ALLOC's latest run, on every path */
    VIRTUAL_SLOT_MIXED   /* possibly an object of the ALLOC, possibly not */
} VirtualSlot;

typedef struct Virtualize {
    LowProgram *program;
    LowFunc *func;
    /* the function, as it is while one candidate is analysed */
    int *depth;      /* per block: root_top on entry, in slots; -1: not reached */
    int slot_count;  /* the absolute slots the function names, from 0 */
    int *first_inst; /* per block: the flat number of its first instruction */
    int inst_count;
    /* the candidate */
    int alloc_flat; /* the ALLOC's flat instruction number */
    int64_t type_id;
    int word_count;           /* the object's words, the header (word 0) included */
    bool *alias;              /* per register */
    int *alias_item;          /* per register: its liveness item, -1 for a non-alias */
    int alias_count;          /* aliases are items 0 .. alias_count-1, words follow */
    unsigned char *load_slot; /* per flat instruction: what a ROOT_LOAD reads (VirtualSlot) */
    LowType *word_type;       /* per word: VOID when no load or store names it */
    bool *word_ref;           /* per word: it may hold a reference */
    bool *reg_ref;            /* per register: it may hold a reference */
} Virtualize;

/* ---- the function ------------------------------------------------------------- */

static int virtual_successors(const LowBlock *block, const int **targets) {
    *targets = block->term.targets;
    switch (block->term.kind) {
    case LOW_TERM_GOTO: return 1;
    case LOW_TERM_BRANCH: return 2;
    case LOW_TERM_SWITCH: return block->term.case_count + 1;
    default: return 0;
    }
}

static bool virtual_is_prim(const LowInst *inst, LowPrim prim) {
    return inst->opcode == LOW_PRIM && (LowPrim)inst->sub == prim;
}

/* A shadow stack operation's constant operand, or false. */
static bool virtual_slot_operand(const LowInst *inst, int64_t *operand) {
    if (inst->arg_count < 1 || inst->args[0].kind != LOW_VALUE_INT) return false;
    *operand = inst->args[0].bits;
    return *operand > -(1 << 20) && *operand < (1 << 20);
}

/* root_top per block entry and the slot count; false when the function
 * does not keep the spill protocol's shape (a depth that depends on the
 * path, an operand that is not a constant): nothing of it is touched. */
static bool virtual_depths(Virtualize *v) {
    LowFunc *func = v->func;
    int count = func->blocks.count;
    int *stack = kiln_xcalloc((size_t)count + 1, sizeof *stack);
    int top = 0;
    bool kept = true;
    for (int b = 0; b < count; b++)
        v->depth[b] = -1;
    v->depth[0] = 0;
    v->slot_count = 1;
    stack[top++] = 0;
    while (top > 0 && kept) {
        int b = stack[--top];
        const LowBlock *block = &func->blocks.items[b];
        int64_t depth = v->depth[b], operand = 0;
        for (int i = 0; i < block->insts.count && kept; i++) {
            const LowInst *inst = &block->insts.items[i];
            if (inst->opcode != LOW_PRIM) continue;
            bool adjust = virtual_is_prim(inst, LOW_PRIM_ROOT_ADJUST);
            if (!adjust && !virtual_is_prim(inst, LOW_PRIM_ROOT_STORE) &&
                !virtual_is_prim(inst, LOW_PRIM_ROOT_LOAD))
                continue;
            kept = virtual_slot_operand(inst, &operand);
            if (adjust) depth += operand;
            int64_t slot = adjust ? depth : depth + operand;
            kept = kept && depth >= 0 && slot >= 0 && depth < (1 << 20);
            if (kept && slot + 1 > v->slot_count) v->slot_count = (int)slot + 1;
        }
        const int *targets = NULL;
        int successors = virtual_successors(block, &targets);
        for (int s = 0; s < successors && kept; s++) {
            int target = targets[s];
            if (v->depth[target] < 0) {
                v->depth[target] = (int)depth;
                stack[top++] = target;
            } else if (v->depth[target] != depth) {
                kept = false;
            }
        }
    }
    free(stack);
    return kept;
}

/* ---- the shadow stack slots ------------------------------------------------------ */

static bool virtual_is_alias(const Virtualize *v, LowValue value) {
    return value.kind == LOW_VALUE_REG && v->alias[value.index];
}

/* One instruction's effect on the slots (`tags`) and on root_top. */
static void virtual_slot_step(const Virtualize *v, const LowInst *inst, int flat, int *depth,
                              unsigned char *tags) {
    if (flat == v->alloc_flat) {
        /* a new object: what a slot held is an object of an earlier run */
        for (int s = 0; s < v->slot_count; s++)
            if (tags[s] == VIRTUAL_SLOT_OBJECT) tags[s] = VIRTUAL_SLOT_MIXED;
        return;
    }
    if (inst->opcode == LOW_CALL) {
        /* a callee's frame writes the slots from root_top up */
        for (int s = *depth; s < v->slot_count; s++)
            if (tags[s] == VIRTUAL_SLOT_OBJECT) tags[s] = VIRTUAL_SLOT_MIXED;
        return;
    }
    if (virtual_is_prim(inst, LOW_PRIM_ROOT_ADJUST)) *depth += (int)inst->args[0].bits;
    if (virtual_is_prim(inst, LOW_PRIM_ROOT_STORE))
        tags[*depth + inst->args[0].bits] =
            virtual_is_alias(v, inst->args[1]) ? VIRTUAL_SLOT_OBJECT : VIRTUAL_SLOT_OTHER;
}

/* Merges `tags` into a successor's entry state; true when it changed. */
static bool virtual_slot_merge(const Virtualize *v, unsigned char *entry, bool *seen,
                               const unsigned char *tags) {
    if (!*seen) {
        memcpy(entry, tags, (size_t)v->slot_count);
        *seen = true;
        return true;
    }
    bool changed = false;
    for (int s = 0; s < v->slot_count; s++)
        if (entry[s] != tags[s] && entry[s] != VIRTUAL_SLOT_MIXED) {
            entry[s] = VIRTUAL_SLOT_MIXED;
            changed = true;
        }
    return changed;
}

/* load_slot of every ROOT_LOAD of a reached block: a forward analysis of
 * the slots from function entry (where no slot holds the object), to a
 * fixpoint, then one more walk of each block. */
static void virtual_slots(Virtualize *v) {
    const LowFunc *func = v->func;
    int count = func->blocks.count;
    size_t width = (size_t)v->slot_count;
    unsigned char *entry = kiln_xcalloc((size_t)count * width + 1, 1);
    unsigned char *tags = kiln_xcalloc(width + 1, 1);
    bool *seen = kiln_xcalloc((size_t)count + 1, sizeof *seen);
    seen[0] = true;
    for (bool changed = true; changed;) {
        changed = false;
        for (int b = 0; b < count; b++) {
            if (!seen[b] || v->depth[b] < 0) continue;
            const LowBlock *block = &func->blocks.items[b];
            int depth = v->depth[b];
            memcpy(tags, entry + (size_t)b * width, width);
            for (int i = 0; i < block->insts.count; i++)
                virtual_slot_step(v, &block->insts.items[i], v->first_inst[b] + i, &depth, tags);
            const int *targets = NULL;
            int successors = virtual_successors(block, &targets);
            for (int s = 0; s < successors; s++)
                changed |= virtual_slot_merge(v, entry + (size_t)targets[s] * width,
                                              &seen[targets[s]], tags);
        }
    }
    memset(v->load_slot, VIRTUAL_SLOT_OTHER, (size_t)v->inst_count + 1);
    for (int b = 0; b < count; b++) {
        if (!seen[b] || v->depth[b] < 0) continue;
        const LowBlock *block = &func->blocks.items[b];
        int depth = v->depth[b];
        memcpy(tags, entry + (size_t)b * width, width);
        for (int i = 0; i < block->insts.count; i++) {
            const LowInst *inst = &block->insts.items[i];
            if (virtual_is_prim(inst, LOW_PRIM_ROOT_LOAD))
                v->load_slot[v->first_inst[b] + i] = tags[depth + inst->args[0].bits];
            virtual_slot_step(v, inst, v->first_inst[b] + i, &depth, tags);
        }
    }
    free(seen);
    free(tags);
    free(entry);
}

/* ---- aliases and their assignments ----------------------------------------------- */

/* The aliases, to a fixpoint: what a COPY of an alias assigns, and what a
 * reload of a slot that may hold the object assigns. */
static void virtual_aliases(Virtualize *v) {
    const LowFunc *func = v->func;
    for (bool grew = true; grew;) {
        grew = false;
        virtual_slots(v);
        for (int b = 0; b < func->blocks.count; b++) {
            const LowBlock *block = &func->blocks.items[b];
            for (int i = 0; i < block->insts.count; i++) {
                const LowInst *inst = &block->insts.items[i];
                if (inst->result < 0 || v->alias[inst->result]) continue;
                bool copy = inst->opcode == LOW_COPY && virtual_is_alias(v, inst->args[0]);
                bool reload = virtual_is_prim(inst, LOW_PRIM_ROOT_LOAD) &&
                              v->load_slot[v->first_inst[b] + i] != VIRTUAL_SLOT_OTHER;
                if (copy || reload) v->alias[inst->result] = grew = true;
            }
        }
    }
}

/* Every assignment of an alias gives it the object of the ALLOC's latest
 * run: the ALLOC, a COPY of an alias, a reload of a slot that holds it.
 * A parameter is assigned on entry, by the caller. */
static bool virtual_assignments_ok(const Virtualize *v) {
    const LowFunc *func = v->func;
    for (int reg = 0; reg < func->param_count; reg++)
        if (v->alias[reg]) return false;
    for (int b = 0; b < func->blocks.count; b++) {
        const LowBlock *block = &func->blocks.items[b];
        for (int i = 0; i < block->insts.count; i++) {
            const LowInst *inst = &block->insts.items[i];
            int flat = v->first_inst[b] + i;
            if (inst->result < 0 || !v->alias[inst->result] || flat == v->alloc_flat) continue;
            if (inst->opcode == LOW_COPY && virtual_is_alias(v, inst->args[0])) continue;
            if (!virtual_is_prim(inst, LOW_PRIM_ROOT_LOAD)) return false;
            if (v->depth[b] >= 0 && v->load_slot[flat] != VIRTUAL_SLOT_OBJECT) return false;
        }
    }
    return true;
}

/* ---- uses ------------------------------------------------------------------------- */

/* Records that a load or store names `offset` as `type`; false when the
 * offset is not a whole word of the object past its header. */
static bool virtual_word_access(Virtualize *v, int32_t offset, LowType type) {
    if (offset < 8 || offset % 8 != 0 || offset / 8 >= v->word_count) return false;
    if (type != LOW_I64 && type != LOW_F64 && type != LOW_PTR) return false;
    LowType *word = &v->word_type[offset / 8];
    /* a word named at several types is an I64 register, converted */
    *word = *word == LOW_VOID || *word == type ? type : LOW_I64;
    return true;
}

static bool virtual_is_null_test(const Virtualize *v, const LowInst *inst) {
    if (inst->opcode == LOW_UNARY) return inst->sub == LOW_UN_NOT;
    if (inst->opcode != LOW_BINARY || (inst->sub != LOW_BIN_PTR_EQ && inst->sub != LOW_BIN_PTR_NE))
        return false;
    LowValue other = virtual_is_alias(v, inst->args[0]) ? inst->args[1] : inst->args[0];
    return other.kind == LOW_VALUE_NULL;
}

/* Whether operand `arg` of `inst`, an alias, is a use the rewriting
 * replaces; records the words of loads and stores. */
static bool virtual_use_ok(Virtualize *v, const LowInst *inst, int arg) {
    switch (inst->opcode) {
    case LOW_COPY: return true; /* into another alias */
    case LOW_LOAD:
        return arg == 0 && inst->scale == 0 &&
               (inst->arg_count == 1 || inst->args[1].kind == LOW_VALUE_NONE) &&
               inst->result >= 0 && v->func->regs.items[inst->result] == low_widen(inst->mem) &&
               virtual_word_access(v, inst->offset, inst->mem);
    case LOW_STORE:
        return arg == 0 && inst->scale == 0 && inst->arg_count == 3 &&
               inst->args[1].kind == LOW_VALUE_NONE && inst->args[2].kind != LOW_VALUE_NONE &&
               !virtual_is_alias(v, inst->args[2]) &&
               virtual_word_access(v, inst->offset, inst->mem) &&
               virtual_word_access(v, inst->offset, inst->args[2].type);
    case LOW_UNARY:
    case LOW_BINARY: return virtual_is_null_test(v, inst);
    case LOW_PRIM:
        switch ((LowPrim)inst->sub) {
        case LOW_PRIM_ROOT_STORE: return arg == 1;
        case LOW_PRIM_WRITE_BARRIER:
        case LOW_PRIM_TYPE_ID: return arg == 0;
        case LOW_PRIM_ARRAY_BARRIER: return arg == 0 && !virtual_is_alias(v, inst->args[1]);
        default: return false;
        }
    default: return false; /* a call argument, a selected value: the object escapes */
    }
}

static bool virtual_uses_ok(Virtualize *v) {
    const LowFunc *func = v->func;
    for (int b = 0; b < func->blocks.count; b++) {
        const LowBlock *block = &func->blocks.items[b];
        for (int i = 0; i < block->insts.count; i++) {
            const LowInst *inst = &block->insts.items[i];
            if (inst->opcode == LOW_CALL && virtual_is_alias(v, inst->callee)) return false;
            for (int a = 0; a < inst->arg_count; a++)
                if (virtual_is_alias(v, inst->args[a]) && !virtual_use_ok(v, inst, a)) return false;
        }
        if (virtual_is_alias(v, block->term.value) && block->term.kind != LOW_TERM_BRANCH)
            return false; /* returned, or a switch on an address */
    }
    return true;
}

/* ---- words that may hold references ------------------------------------------------- */

/* Whether a value may be a reference that a collection moves.  Constants
 * never move: null, prebuilt str objects, symbols. */
static bool virtual_value_ref(const Virtualize *v, LowValue value) {
    if (value.kind != LOW_VALUE_REG) return false;
    return value.type == LOW_PTR || v->reg_ref[value.index];
}

static bool virtual_is_comparison(LowBinop op) {
    switch (op) {
    case LOW_BIN_EQ:
    case LOW_BIN_NE:
    case LOW_BIN_LT:
    case LOW_BIN_LE:
    case LOW_BIN_GT:
    case LOW_BIN_GE:
    case LOW_BIN_ULT:
    case LOW_BIN_UGE:
    case LOW_BIN_FEQ:
    case LOW_BIN_FNE:
    case LOW_BIN_FLT:
    case LOW_BIN_FLE:
    case LOW_BIN_FGT:
    case LOW_BIN_FGE:
    case LOW_BIN_PTR_EQ:
    case LOW_BIN_PTR_NE: return true; /* 0 or 1 */
    default: return false;
    }
}

/* Whether a load may read a reference: a word of the candidate when that
 * word may hold one; else any memory word but a global scalar of an int
 * or float type (its DATA symbol says so) and the narrow and float loads. */
static bool virtual_load_ref(const Virtualize *v, const LowInst *inst) {
    LowValue base = inst->args[0];
    if (virtual_is_alias(v, base)) return v->word_ref[inst->offset / 8];
    if (inst->mem == LOW_U8 || inst->mem == LOW_U32 || inst->mem == LOW_F64) return false;
    if (base.kind == LOW_VALUE_SYMBOL && inst->arg_count == 1 && inst->mem == LOW_I64) {
        const LowSymbol *symbol = &v->program->symbols.items[base.index];
        if (symbol->kind == LOW_SYMBOL_DATA &&
            (symbol->data_type == LOW_I64 || symbol->data_type == LOW_F64))
            return false;
    }
    return true;
}

/* Whether the register an instruction assigns may then hold a reference:
 * any PTR register; an I64 or F64 one when its value derives from a
 * reference (reinterpretations, arithmetic, copies, selects) or comes from
 * memory or a runtime call that may give one.  A function of the program
 * returns an I64 only for an int (lower.h: references are PTR results);
 * likewise its I64 and F64 parameters are never references, so reg_ref
 * starts false for them. */
static bool virtual_result_ref(const Virtualize *v, const LowInst *inst) {
    if (v->func->regs.items[inst->result] == LOW_PTR) return true;
    const LowValue *args = inst->args;
    switch (inst->opcode) {
    case LOW_COPY: return virtual_value_ref(v, args[0]);
    case LOW_UNARY:
        if (inst->sub == LOW_UN_NOT || inst->sub == LOW_UN_INT_TO_FLOAT) return false;
        return virtual_value_ref(v, args[0]);
    case LOW_BINARY:
        if (virtual_is_comparison((LowBinop)inst->sub)) return false;
        return virtual_value_ref(v, args[0]) || virtual_value_ref(v, args[1]);
    case LOW_SELECT: return virtual_value_ref(v, args[1]) || virtual_value_ref(v, args[2]);
    case LOW_LOAD: return virtual_load_ref(v, inst);
    case LOW_CALL:
        /* BOOL and I32 results are narrow: never an address */
        if (inst->call_result != LOW_I64) return false;
        if (inst->callee.kind != LOW_VALUE_SYMBOL) return true;
        return v->program->symbols.items[inst->callee.index].kind != LOW_SYMBOL_FUNC;
    default: return false; /* TYPE_ID, EXCEPTION_PENDING, STACK_CHECK */
    }
}

/* reg_ref and word_ref, to a fixpoint: both only grow. */
static void virtual_references(Virtualize *v) {
    const LowFunc *func = v->func;
    for (bool changed = true; changed;) {
        changed = false;
        for (int b = 0; b < func->blocks.count; b++) {
            const LowBlock *block = &func->blocks.items[b];
            for (int i = 0; i < block->insts.count; i++) {
                const LowInst *inst = &block->insts.items[i];
                if (inst->opcode == LOW_STORE && virtual_is_alias(v, inst->args[0])) {
                    bool *word = &v->word_ref[inst->offset / 8];
                    if (!*word && virtual_value_ref(v, inst->args[2])) *word = changed = true;
                    continue;
                }
                if (inst->result < 0 || v->reg_ref[inst->result] || v->alias[inst->result])
                    continue;
                if (virtual_result_ref(v, inst)) v->reg_ref[inst->result] = changed = true;
            }
        }
    }
}

/* ---- liveness ------------------------------------------------------------------------ */

typedef struct VirtualLive {
    int items;      /* aliases, then words */
    int width;      /* uint64_t per set */
    uint64_t *in;   /* per block: the items live on entry */
    uint64_t *live; /* the walk's current set */
} VirtualLive;

static void virtual_live_set(uint64_t *set, int item, bool on) {
    uint64_t bit = (uint64_t)1 << (item % 64);
    set[item / 64] = on ? set[item / 64] | bit : set[item / 64] & ~bit;
}

static bool virtual_live_has(const uint64_t *set, int item) {
    return (set[item / 64] >> (item % 64)) & 1;
}

/* One instruction, backward: its assignments end what was live, its uses
 * start it.  The ALLOC assigns every word (the zeros); a store, its word. */
static void virtual_live_step(const Virtualize *v, VirtualLive *live, const LowInst *inst,
                              int flat) {
    if (inst->result >= 0 && v->alias[inst->result])
        virtual_live_set(live->live, v->alias_item[inst->result], false);
    if (flat == v->alloc_flat)
        for (int w = 0; w < v->word_count; w++)
            virtual_live_set(live->live, v->alias_count + w, false);
    bool based = inst->arg_count > 0 && virtual_is_alias(v, inst->args[0]);
    if (inst->opcode == LOW_STORE && based)
        virtual_live_set(live->live, v->alias_count + inst->offset / 8, false);
    for (int a = 0; a < inst->arg_count; a++)
        if (virtual_is_alias(v, inst->args[a]))
            virtual_live_set(live->live, v->alias_item[inst->args[a].index], true);
    if (inst->opcode == LOW_LOAD && based)
        virtual_live_set(live->live, v->alias_count + inst->offset / 8, true);
}

/* The walk of block `b` from its exit to its entry; with `check`, false
 * when an alias is live where the ALLOC runs or a word that may hold a
 * reference is live after an instruction that can collect. */
static bool virtual_live_block(const Virtualize *v, VirtualLive *live, int b, bool check) {
    const LowBlock *block = &v->func->blocks.items[b];
    memset(live->live, 0, sizeof(uint64_t) * (size_t)live->width);
    const int *targets = NULL;
    int successors = virtual_successors(block, &targets);
    for (int s = 0; s < successors; s++)
        for (int w = 0; w < live->width; w++)
            live->live[w] |= live->in[(size_t)targets[s] * (size_t)live->width + (size_t)w];
    if (virtual_is_alias(v, block->term.value))
        virtual_live_set(live->live, v->alias_item[block->term.value.index], true);
    for (int i = block->insts.count - 1; i >= 0; i--) {
        const LowInst *inst = &block->insts.items[i];
        int flat = v->first_inst[b] + i;
        bool collects = inst->opcode == LOW_CALL ||
                        (virtual_is_prim(inst, LOW_PRIM_ALLOC) && flat != v->alloc_flat);
        if (check && collects)
            for (int w = 1; w < v->word_count; w++)
                if (v->word_ref[w] && virtual_live_has(live->live, v->alias_count + w))
                    return false;
        virtual_live_step(v, live, inst, flat);
        if (check && flat == v->alloc_flat)
            for (int item = 0; item < v->alias_count; item++)
                if (virtual_live_has(live->live, item)) return false;
    }
    return true;
}

static bool virtual_liveness_ok(Virtualize *v) {
    int count = v->func->blocks.count;
    VirtualLive live = {0};
    live.items = v->alias_count + v->word_count;
    live.width = (live.items + 63) / 64;
    live.in = kiln_xcalloc((size_t)count * (size_t)live.width + 1, sizeof *live.in);
    live.live = kiln_xcalloc((size_t)live.width + 1, sizeof *live.live);
    size_t bytes = sizeof(uint64_t) * (size_t)live.width;
    for (bool changed = true; changed;) {
        changed = false;
        for (int b = count - 1; b >= 0; b--) {
            virtual_live_block(v, &live, b, false);
            uint64_t *in = live.in + (size_t)b * (size_t)live.width;
            if (memcmp(in, live.live, bytes) == 0) continue;
            memcpy(in, live.live, bytes);
            changed = true;
        }
    }
    bool ok = true;
    for (int b = 0; b < count && ok; b++)
        ok = virtual_live_block(v, &live, b, true);
    /* nothing is read on entry that the function did not assign */
    for (int item = 0; item < live.items && ok; item++)
        ok = !virtual_live_has(live.in, item);
    free(live.live);
    free(live.in);
    return ok;
}

/* ---- rewriting ------------------------------------------------------------------------ */

typedef Vec(LowInst) VirtualInsts;

static LowValue virtual_zero(LowType type) {
    return type == LOW_F64 ? low_float(0) : type == LOW_PTR ? low_null() : low_int(0);
}

/* `result` = `value`, or its reinterpretation when the types differ (one
 * of them is then I64, the type of a word named at several types). */
static void virtual_emit_move(Virtualize *v, VirtualInsts *out, const LowInst *at, int result,
                              LowValue value) {
    LowType type = v->func->regs.items[result];
    LowInst inst = {0};
    inst.result = result;
    inst.pos = at->pos;
    inst.opcode = LOW_COPY;
    if (value.type != type && type == LOW_I64) {
        inst.opcode = LOW_UNARY;
        inst.sub = value.type == LOW_PTR ? LOW_UN_PTR_TO_INT : LOW_UN_BITS_OF_FLOAT;
    } else if (value.type != type) {
        inst.opcode = LOW_UNARY;
        inst.sub = type == LOW_PTR ? LOW_UN_INT_TO_PTR : LOW_UN_FLOAT_OF_BITS;
    }
    inst.args = arena_memdup(&v->program->arena, &value, sizeof value);
    inst.arg_count = 1;
    vec_push(out, inst);
}

/* The instruction at `flat`, rewritten into `out` (nothing for what goes). */
static void virtual_rewrite_inst(Virtualize *v, VirtualInsts *out, const LowInst *inst, int flat,
                                 const int *word_regs) {
    LowFunc *func = v->func;
    if (flat == v->alloc_flat) {
        for (int w = 1; w < v->word_count; w++)
            if (word_regs[w] >= 0)
                virtual_emit_move(v, out, inst, word_regs[w],
                                  virtual_zero(func->regs.items[word_regs[w]]));
        return;
    }
    if (inst->result >= 0 && v->alias[inst->result]) return; /* a COPY or a reload */
    bool based = inst->arg_count > 0 && virtual_is_alias(v, inst->args[0]);
    bool uses = based || (inst->arg_count > 1 && virtual_is_alias(v, inst->args[1]));
    if (!uses || inst->opcode == LOW_CALL) {
        vec_push(out, *inst);
        return;
    }
    if (inst->opcode == LOW_LOAD) {
        virtual_emit_move(v, out, inst, inst->result,
                          low_reg_value(func, word_regs[inst->offset / 8]));
    } else if (inst->opcode == LOW_STORE) {
        virtual_emit_move(v, out, inst, word_regs[inst->offset / 8], inst->args[2]);
    } else if (virtual_is_prim(inst, LOW_PRIM_ROOT_STORE)) {
        LowInst kept = *inst; /* the slot stays, so that the spill counts hold */
        LowValue args[2] = {inst->args[0], low_null()};
        kept.args = arena_memdup(&v->program->arena, args, sizeof args);
        vec_push(out, kept);
    } else if (virtual_is_prim(inst, LOW_PRIM_TYPE_ID)) {
        virtual_emit_move(v, out, inst, inst->result, low_int(v->type_id));
    } else if (inst->opcode == LOW_UNARY || inst->opcode == LOW_BINARY) {
        /* a null test of an object that is never null */
        bool not_null = inst->opcode == LOW_BINARY && inst->sub == LOW_BIN_PTR_NE;
        virtual_emit_move(v, out, inst, inst->result, low_int(not_null));
    }
    /* write barriers go: there is no object to remember */
}

static void virtual_rewrite(Virtualize *v) {
    LowFunc *func = v->func;
    int *word_regs = kiln_xcalloc((size_t)v->word_count + 1, sizeof *word_regs);
    for (int w = 0; w < v->word_count; w++)
        word_regs[w] = v->word_type[w] == LOW_VOID ? -1 : low_new_reg(func, v->word_type[w]);
    for (int b = 0; b < func->blocks.count; b++) {
        LowBlock *block = &func->blocks.items[b];
        VirtualInsts out = {0};
        for (int i = 0; i < block->insts.count; i++)
            virtual_rewrite_inst(v, &out, &block->insts.items[i], v->first_inst[b] + i, word_regs);
        vec_free(&block->insts);
        block->insts.items = out.items;
        block->insts.count = out.count;
        block->insts.capacity = out.capacity;
        if (virtual_is_alias(v, block->term.value)) {
            int target = block->term.targets[0]; /* a branch on the object: never null */
            SrcPos pos = block->term.pos;
            memset(&block->term, 0, sizeof block->term);
            block->term.kind = LOW_TERM_GOTO;
            block->term.targets = arena_memdup(&v->program->arena, &target, sizeof target);
            block->term.pos = pos;
        }
    }
    free(word_regs);
}

/* ---- candidates ------------------------------------------------------------------------- */

static void virtual_number_insts(Virtualize *v) {
    v->inst_count = 0;
    for (int b = 0; b < v->func->blocks.count; b++) {
        v->first_inst[b] = v->inst_count;
        v->inst_count += v->func->blocks.items[b].insts.count;
    }
}

/* The analysis of the candidate set in `v` (steps 2 to 5). */
static bool virtual_analyse(Virtualize *v) {
    virtual_aliases(v);
    for (int reg = 0; reg < v->func->regs.count; reg++)
        v->alias_item[reg] = v->alias[reg] ? v->alias_count++ : -1;
    if (!virtual_assignments_ok(v) || !virtual_uses_ok(v)) return false;
    virtual_references(v);
    return virtual_liveness_ok(v);
}

/* Removes the ALLOC at instruction `index` of block `b` when its object
 * qualifies; true when it did. */
static bool virtual_candidate(Virtualize *v, int b, int index) {
    LowFunc *func = v->func;
    const LowInst *alloc = &func->blocks.items[b].insts.items[index];
    if (alloc->result < 0 || alloc->arg_count < 2 || alloc->args[0].kind != LOW_VALUE_INT ||
        alloc->args[1].kind != LOW_VALUE_INT || alloc->args[1].bits < 8 ||
        alloc->args[1].bits > 8 * 4096 || v->depth[b] < 0)
        return false;
    v->alloc_flat = v->first_inst[b] + index;
    v->type_id = alloc->args[0].bits;
    v->word_count = (int)(alloc->args[1].bits / 8);
    size_t regs = (size_t)func->regs.count + 1, words = (size_t)v->word_count + 1;
    v->alias = kiln_xcalloc(regs, sizeof *v->alias);
    v->alias_item = kiln_xcalloc(regs, sizeof *v->alias_item);
    v->reg_ref = kiln_xcalloc(regs, sizeof *v->reg_ref);
    v->load_slot = kiln_xcalloc((size_t)v->inst_count + 1, 1);
    v->word_type = kiln_xcalloc(words, sizeof *v->word_type);
    v->word_ref = kiln_xcalloc(words, sizeof *v->word_ref);
    v->alias_count = 0;
    v->alias[alloc->result] = true;
    bool removed = virtual_analyse(v);
    if (removed) virtual_rewrite(v);
    free(v->alias);
    free(v->alias_item);
    free(v->reg_ref);
    free(v->load_slot);
    free(v->word_type);
    free(v->word_ref);
    return removed;
}

/* The `ordinal`-th ALLOC of the function in block order: its block and
 * index, or false when there are fewer. */
static bool virtual_find_alloc(const LowFunc *func, int ordinal, int *block, int *index) {
    for (int b = 0; b < func->blocks.count; b++) {
        const LowBlock *entry = &func->blocks.items[b];
        for (int i = 0; i < entry->insts.count; i++) {
            if (!virtual_is_prim(&entry->insts.items[i], LOW_PRIM_ALLOC)) continue;
            if (ordinal-- > 0) continue;
            *block = b;
            *index = i;
            return true;
        }
    }
    return false;
}

static int virtual_function(LowProgram *program, LowFunc *func) {
    if (func->blocks.count == 0) return 0;
    Virtualize v = {0};
    v.program = program;
    v.func = func;
    v.depth = kiln_xcalloc((size_t)func->blocks.count + 1, sizeof *v.depth);
    v.first_inst = kiln_xcalloc((size_t)func->blocks.count + 1, sizeof *v.first_inst);
    int removed = 0, block = 0, index = 0;
    /* a removed ALLOC leaves the others in their order: the next one takes
     * its ordinal */
    for (int ordinal = 0; virtual_find_alloc(func, ordinal, &block, &index);) {
        virtual_number_insts(&v);
        if (!virtual_depths(&v)) break;
        if (virtual_candidate(&v, block, index))
            removed++;
        else
            ordinal++;
    }
    free(v.depth);
    free(v.first_inst);
    return removed;
}

int transform_virtualize(LowProgram *program) {
    int removed = 0;
    for (int f = 0; f < program->funcs.count; f++)
        removed += virtual_function(program, &program->funcs.items[f]);
    return removed;
}
