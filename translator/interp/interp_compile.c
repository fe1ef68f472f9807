/* interp_compile.c - flow graph -> InterpCode, once per graph on its first
 * call.
 *
 * Expects a verified graph (flow_verify_graph): variables defined once,
 * links matching their targets' inputs, CAUGHT only in exception links.
 * Produces a flat instruction array: each block's operations (JIT hints and
 * atomic brackets dropped: they are no-ops here), then one terminator.
 * Registers are the graph's variables, then its constants (preloaded into
 * every frame), then one discard register for results nobody reads.
 * A link into the return or except block becomes a RETURN or THROW stub of
 * its own, so that a traceback names the line that threw; an exception
 * exit that just passes the caught exception to the except block becomes
 * "no handler", which propagates the exception with its traceback.
 */
#include <stdlib.h>

#include "interp_internal.h"

typedef struct InterpCompiler {
    Interp *interp;
    const FlowGraph *graph;
    InterpCode *code;
    Vec(InterpInstr) instrs;
    Vec(SrcPos) positions;
    Vec(InterpLink) links;
    Vec(int32_t) link_blocks; /* per link: its target block, -1 for a stub */
    Vec(InterpSwitch) switches;
    Vec(InterpInstr) stubs; /* RETURN and THROW stubs, placed after the blocks */
    Vec(SrcPos) stub_positions;
    int32_t *block_pcs;
    int32_t *handler_inputs; /* per block: the input that receives a caught exception, or -1 */
} InterpCompiler;

static int32_t interp_register_of(const InterpCompiler *compiler, FlowValue value) {
    const FlowGraph *graph = compiler->graph;
    switch (value.kind) {
    case FLOW_VALUE_VAR:
        KILN_ASSERT(value.index >= 0 && value.index < graph->var_count, "variable index in range");
        return value.index;
    case FLOW_VALUE_CONST:
        KILN_ASSERT(value.index >= 0 && value.index < graph->const_count,
                    "constant index in range");
        return graph->var_count + value.index;
    default: return -1; /* the caught exception: links only */
    }
}

static InterpValue interp_const_value(Interp *interp, const FlowConst *constant) {
    switch (constant->kind) {
    case FLOW_CONST_INT: return interp_make_int(constant->int_value);
    case FLOW_CONST_FLOAT: return interp_make_float(constant->float_value);
    case FLOW_CONST_BOOL: return interp_make_bool(constant->int_value != 0);
    case FLOW_CONST_CHAR: return interp_make_char((int)constant->int_value);
    case FLOW_CONST_STR:
        return interp_make_object(interp_str_new(interp,
                                                 constant->str_value ? constant->str_value : "",
                                                 constant->str_value ? constant->str_length : 0));
    case FLOW_CONST_NULL: return interp_make_simple(INTERP_VALUE_NULL);
    case FLOW_CONST_VOID: return interp_make_simple(INTERP_VALUE_VOID);
    case FLOW_CONST_UNDEF: return interp_make_simple(INTERP_VALUE_UNSET);
    case FLOW_CONST_FUNC: {
        InterpValue value = {INTERP_VALUE_FUNCTION, {.integer = constant->int_value}};
        return value;
    }
    }
    return interp_make_simple(INTERP_VALUE_VOID);
}

static int32_t interp_emit_instr(InterpCompiler *compiler, InterpInstr instr, SrcPos pos) {
    vec_push(&compiler->instrs, instr);
    vec_push(&compiler->positions, pos);
    return compiler->instrs.count - 1;
}

static InterpInstr interp_blank_instr(InterpOpcode opcode) {
    InterpInstr instr = {.opcode = (uint16_t)opcode,
                         .result = -1,
                         .a = -1,
                         .b = -1,
                         .aux = -1,
                         .aux2 = -1,
                         .handler = -1,
                         .cache_key = -1,
                         .cache_value = -1};
    return instr;
}

/* Where a terminator or stub is reported: the block's last operation, else
 * the block itself. */
static SrcPos interp_block_end_pos(const FlowBlock *block) {
    return block->op_count > 0 ? block->ops[block->op_count - 1].pos : block->pos;
}

static int32_t interp_add_link(InterpCompiler *compiler, InterpLink link, int32_t target_block) {
    vec_push(&compiler->links, link);
    vec_push(&compiler->link_blocks, target_block);
    return compiler->links.count - 1;
}

/* Compiles a link leaving `source`; returns its index. */
static int32_t interp_compile_link(InterpCompiler *compiler, const FlowLink *link,
                                   const FlowBlock *source) {
    const FlowGraph *graph = compiler->graph;
    Arena *arena = &compiler->interp->arena;
    InterpLink compiled = {0};
    int32_t first_source = link->arg_count > 0 ? interp_register_of(compiler, link->args[0]) : -1;
    bool to_return = link->target == graph->return_block;
    if ((to_return || link->target == graph->except_block) && first_source >= 0) {
        InterpInstr stub = interp_blank_instr(to_return ? INTERP_OP_RETURN : INTERP_OP_THROW);
        stub.a = first_source;
        vec_push(&compiler->stubs, stub);
        vec_push(&compiler->stub_positions, interp_block_end_pos(source));
        compiled.target_pc = compiler->stubs.count - 1; /* patched: stubs follow the blocks */
        return interp_add_link(compiler, compiled, -1);
    }
    KILN_ASSERT(link->target >= 0 && link->target < graph->block_count, "link target in range");
    const FlowBlock *target = &graph->blocks[link->target];
    KILN_ASSERT(link->arg_count == target->input_count, "link passes one value per input");
    compiled.sources = ARENA_NEW_ARRAY(arena, int32_t, link->arg_count + 1);
    compiled.targets = ARENA_NEW_ARRAY(arena, int32_t, link->arg_count + 1);
    for (int i = 0; i < link->arg_count; i++) {
        int32_t from = interp_register_of(compiler, link->args[i]), to = target->inputs[i];
        if (from == to) continue;
        compiled.sources[compiled.move_count] = from;
        compiled.targets[compiled.move_count] = to;
        compiled.move_count++;
    }
    for (int i = 0; i < compiled.move_count && !compiled.via_temp; i++)
        for (int j = i + 1; j < compiled.move_count; j++)
            if (compiled.sources[j] == compiled.targets[i]) compiled.via_temp = true;
    return interp_add_link(compiler, compiled, link->target);
}

/* The flow operation's counterpart; *skip for the no-ops (JIT hints and
 * atomic brackets). */
// clang-format off
static InterpOpcode interp_map_opcode(FlowOpcode opcode, bool *skip) {
    *skip = false;
    switch (opcode) {
#define X(id) case FLOW_OP_##id: return INTERP_OP_##id;
    X(ADD) X(SUB) X(MUL) X(DIV) X(MOD) X(LSHIFT) X(RSHIFT) X(BIT_AND) X(BIT_OR) X(BIT_XOR)
    X(NEG) X(INVERT) X(NOT) X(TRUTH) X(EQ) X(NE) X(LT) X(LE) X(GT) X(GE) X(NEW) X(IS_INSTANCE)
    X(CAST) X(GETATTR) X(SETATTR) X(GETITEM) X(SETITEM) X(UNPACK_CHECK) X(GETGLOBAL)
    X(SETGLOBAL) X(CALL) X(CALL_INDIRECT) X(CALL_METHOD) X(CALL_BUILTIN) X(NEWLIST)
    X(NEWDICT) X(NEWTUPLE) X(NEWBUILDER) X(ITER) X(ITER_HAS) X(ITER_NEXT)
#undef X
    case FLOW_OP_SAME_AS:
    case FLOW_OP_PROMOTE: return INTERP_OP_MOVE;
    case FLOW_OP_WE_ARE_JITTED: return INTERP_OP_LOAD_FALSE;
    default: *skip = true; return INTERP_OP_NOP;
    }
}
// clang-format on

static void interp_compile_op(InterpCompiler *compiler, const FlowOp *op, int32_t handler) {
    bool skip;
    InterpOpcode opcode = interp_map_opcode(op->opcode, &skip);
    if (skip) return;
    InterpInstr instr = interp_blank_instr(opcode);
    KILN_ASSERT(op->arg_count >= 0, "operation argument count");
    instr.arg_count = op->arg_count;
    instr.args = ARENA_NEW_ARRAY(&compiler->interp->arena, int32_t, op->arg_count + 1);
    for (int i = 0; i < op->arg_count; i++) {
        instr.args[i] = interp_register_of(compiler, op->args[i]);
        KILN_ASSERT(instr.args[i] >= 0, "operation operands are variables or constants");
    }
    if (op->arg_count > 0) instr.a = instr.args[0];
    if (op->arg_count > 1) instr.b = instr.args[1];
    KILN_ASSERT(op->result < compiler->graph->var_count, "result variable in range");
    instr.result = op->result >= 0 ? op->result : compiler->code->reg_count - 1;
    instr.aux = op->aux;
    instr.name = op->name;
    if (opcode == INTERP_OP_CALL_METHOD)
        instr.aux2 = interp_method_lookup(op->name ? op->name : "");
    instr.handler = handler;
    interp_emit_instr(compiler, instr, op->pos);
}

/* SWITCH: a dense table when every case is an int (or every case a char)
 * constant in a compact range, else a list compared in order. */
static int32_t interp_compile_switch(InterpCompiler *compiler, const FlowBlock *block) {
    Arena *arena = &compiler->interp->arena;
    InterpSwitch table = {.dense_kind = INTERP_VALUE__COUNT, .default_link = -1};
    table.case_regs = ARENA_NEW_ARRAY(arena, int32_t, block->exit_count + 1);
    table.case_links = ARENA_NEW_ARRAY(arena, int32_t, block->exit_count + 1);
    int64_t low = INT64_MAX, high = INT64_MIN;
    uint32_t kind = INTERP_VALUE__COUNT;
    for (int i = 0; i < block->exit_count; i++) {
        const FlowLink *link = &block->exits[i];
        int32_t compiled = interp_compile_link(compiler, link, block);
        if (link->is_default) {
            table.default_link = compiled;
            continue;
        }
        int32_t reg = interp_register_of(compiler, link->case_value);
        KILN_ASSERT(reg >= compiler->graph->var_count, "switch cases are constants");
        InterpValue value = compiler->code->consts[reg - compiler->graph->var_count];
        bool small = value.kind == INTERP_VALUE_INT || value.kind == INTERP_VALUE_CHAR;
        if (!small)
            kind = INTERP_VALUE_VOID;
        else if (kind == INTERP_VALUE__COUNT)
            kind = value.kind;
        else if (kind != value.kind)
            kind = INTERP_VALUE_VOID;
        if (small && value.as.integer < low) low = value.as.integer;
        if (small && value.as.integer > high) high = value.as.integer;
        table.case_regs[table.case_count] = reg;
        table.case_links[table.case_count++] = compiled;
    }
    KILN_ASSERT(table.default_link >= 0, "a switch has a default link");
    if ((kind == INTERP_VALUE_INT || kind == INTERP_VALUE_CHAR) && table.case_count > 0 &&
        (uint64_t)high - (uint64_t)low < (uint64_t)table.case_count * 4 + 16) {
        table.dense_kind = kind;
        table.first = low;
        table.dense_count = high - low + 1;
        table.dense_links = ARENA_NEW_ARRAY(arena, int32_t, table.dense_count);
        for (int64_t i = 0; i < table.dense_count; i++)
            table.dense_links[i] = -1;
        for (int i = table.case_count - 1; i >= 0; i--) { /* the first case wins */
            InterpValue value =
                compiler->code->consts[table.case_regs[i] - compiler->graph->var_count];
            table.dense_links[value.as.integer - low] = table.case_links[i];
        }
        for (int64_t i = 0; i < table.dense_count; i++)
            if (table.dense_links[i] < 0) table.dense_links[i] = table.default_link;
    }
    vec_push(&compiler->switches, table);
    return compiler->switches.count - 1;
}

/* Finds the handler blocks (exception-link targets) and the input where
 * each receives the exception. */
static void interp_find_handlers(InterpCompiler *compiler) {
    const FlowGraph *graph = compiler->graph;
    compiler->handler_inputs =
        ARENA_NEW_ARRAY(&compiler->interp->arena, int32_t, graph->block_count);
    for (int i = 0; i < graph->block_count; i++)
        compiler->handler_inputs[i] = -1;
    for (int i = 0; i < graph->block_count; i++) {
        const FlowBlock *block = &graph->blocks[i];
        if (block->exit_kind != FLOW_EXIT_RAISES || block->exit_count < 2) continue;
        const FlowLink *link = &block->exits[1];
        for (int arg = 0; arg < link->arg_count; arg++)
            if (link->args[arg].kind == FLOW_VALUE_CAUGHT && link->target >= 0 &&
                link->target < graph->block_count)
                compiler->handler_inputs[link->target] = arg;
    }
}

/* A goto into a handler block is a throw inside a try: note it, so the
 * traceback names the throwing line and not the handler's re-raise. */
static void interp_note_goto_throw(InterpCompiler *compiler, const FlowBlock *block) {
    const FlowLink *link = &block->exits[0];
    if (link->target < 0 || link->target >= compiler->graph->block_count) return;
    int32_t input = compiler->handler_inputs[link->target];
    if (input < 0 || input >= link->arg_count) return;
    int32_t reg = interp_register_of(compiler, link->args[input]);
    if (reg < 0) return;
    InterpInstr note = interp_blank_instr(INTERP_OP_NOTE_THROW);
    note.a = reg;
    interp_emit_instr(compiler, note, interp_block_end_pos(block));
}

static void interp_compile_terminator(InterpCompiler *compiler, const FlowBlock *block) {
    InterpInstr instr = interp_blank_instr(INTERP_OP_JUMP);
    switch (block->exit_kind) {
    case FLOW_EXIT_GOTO:
        KILN_ASSERT(block->exit_count >= 1, "a goto block has an exit");
        interp_note_goto_throw(compiler, block);
        instr.aux = interp_compile_link(compiler, &block->exits[0], block);
        break;
    case FLOW_EXIT_RAISES:
        KILN_ASSERT(block->exit_count >= 1, "a goto or raises block has a normal exit");
        instr.aux = interp_compile_link(compiler, &block->exits[0], block);
        break;
    case FLOW_EXIT_BRANCH:
        KILN_ASSERT(block->exit_count == 2, "a branch has two exits");
        instr.opcode = INTERP_OP_BRANCH;
        instr.a = interp_register_of(compiler, block->exitswitch);
        instr.aux = interp_compile_link(compiler, &block->exits[0], block);
        instr.aux2 = interp_compile_link(compiler, &block->exits[1], block);
        break;
    case FLOW_EXIT_SWITCH:
        instr.opcode = INTERP_OP_SWITCH;
        instr.a = interp_register_of(compiler, block->exitswitch);
        instr.aux = interp_compile_switch(compiler, block);
        break;
    case FLOW_EXIT_RETURN:
    case FLOW_EXIT_EXCEPT:
        instr.opcode = block->exit_kind == FLOW_EXIT_RETURN ? INTERP_OP_RETURN : INTERP_OP_THROW;
        instr.a = block->input_count > 0 ? block->inputs[0] : compiler->code->reg_count - 1;
        break;
    }
    KILN_ASSERT(instr.opcode == INTERP_OP_JUMP || instr.a >= 0, "terminator operand is a register");
    interp_emit_instr(compiler, instr, interp_block_end_pos(block));
}

static void interp_compile_block(InterpCompiler *compiler, int index) {
    const FlowGraph *graph = compiler->graph;
    const FlowBlock *block = &graph->blocks[index];
    compiler->block_pcs[index] = compiler->instrs.count;
    int32_t handler = -1;
    if (block->exit_kind == FLOW_EXIT_RAISES && block->exit_count >= 2) {
        const FlowLink *caught = &block->exits[1];
        bool passes_through = caught->target == graph->except_block && caught->arg_count == 1 &&
                              caught->args[0].kind == FLOW_VALUE_CAUGHT;
        if (!passes_through) handler = interp_compile_link(compiler, caught, block);
    }
    for (int i = 0; i < block->op_count; i++)
        interp_compile_op(compiler, &block->ops[i], i == block->op_count - 1 ? handler : -1);
    interp_compile_terminator(compiler, block);
}

/* Copies a vector into the arena and frees it. */
#define INTERP_FREEZE(arena, vec, out)                                                             \
    do {                                                                                           \
        (out) = vec_freeze((arena), (vec));                                                        \
        vec_free(vec);                                                                             \
    } while (0)

static void interp_compile_body(Interp *interp, InterpCode *code) {
    const FlowGraph *graph = code->graph;
    InterpCompiler compiler = {.interp = interp, .graph = graph, .code = code};
    KILN_ASSERT(graph->block_count > 0, "a graph has a start block");
    compiler.block_pcs = ARENA_NEW_ARRAY(&interp->arena, int32_t, graph->block_count);
    interp_find_handlers(&compiler);
    for (int i = 0; i < graph->block_count; i++)
        interp_compile_block(&compiler, i);
    int32_t stub_base = compiler.instrs.count;
    for (int i = 0; i < compiler.stubs.count; i++)
        interp_emit_instr(&compiler, compiler.stubs.items[i], compiler.stub_positions.items[i]);
    for (int i = 0; i < compiler.links.count; i++) {
        int32_t block = compiler.link_blocks.items[i];
        InterpLink *link = &compiler.links.items[i];
        link->target_pc = block >= 0 ? compiler.block_pcs[block] : stub_base + link->target_pc;
    }
    code->instr_count = compiler.instrs.count;
    code->link_count = compiler.links.count;
    code->switch_count = compiler.switches.count;
    INTERP_FREEZE(&interp->arena, &compiler.instrs, code->instrs);
    INTERP_FREEZE(&interp->arena, &compiler.positions, code->positions);
    INTERP_FREEZE(&interp->arena, &compiler.links, code->links);
    INTERP_FREEZE(&interp->arena, &compiler.switches, code->switches);
    vec_free(&compiler.link_blocks);
    vec_free(&compiler.stubs);
    vec_free(&compiler.stub_positions);
}

InterpCode *interp_compile(Interp *interp, int graph_index) {
    const FlowProgram *program = interp->program;
    KILN_ASSERT(graph_index >= 0 && graph_index < program->graph_count, "graph index in range");
    const FlowGraph *graph = program->graphs[graph_index];
    InterpCode *code = ARENA_NEW(&interp->arena, InterpCode);
    code->graph = graph;
    code->var_count = graph->var_count;
    code->const_count = graph->const_count;
    code->reg_count = graph->var_count + graph->const_count + 1;
    code->consts = ARENA_NEW_ARRAY(&interp->arena, InterpValue, graph->const_count + 1);
    for (int i = 0; i < graph->const_count; i++)
        code->consts[i] = interp_const_value(interp, &graph->consts[i]);
    interp->codes[graph_index] = code; /* from here its constants are roots */
    code->param_count = graph->param_count;
    if (graph->kind == FLOW_GRAPH_EXTERN) {
        interp_extern_prepare(interp, code);
        return code;
    }
    KILN_ASSERT(graph->block_count > 0 && graph->blocks[0].input_count == graph->param_count,
                "the start block's inputs are the parameters");
    code->param_regs = graph->blocks[0].inputs;
    interp_compile_body(interp, code);
    return code;
}
