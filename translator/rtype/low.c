/* low.c - building low-level graphs: the program, its symbols and
 * constants, and the instruction builder (low.h). */
#include "low.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const char *const low_type_names[LOW_TYPE__COUNT] = {"void", "i64", "f64", "ptr",
                                                     "u8",   "u32", "i32", "bool"};

const char *const low_prim_names[LOW_PRIM__COUNT] = {
#define LOW_PRIM_NAME(name) #name,
    LOW_PRIMS(LOW_PRIM_NAME)
#undef LOW_PRIM_NAME
};

typedef struct LowRuntimeEntry {
    const char *name;
    LowType result;
    bool variadic;
    const char *params; /* "PTR I64 ...": LowType names without LOW_ */
} LowRuntimeEntry;

static const LowRuntimeEntry low_runtime_table[] = {
#define LOW_RUNTIME(name, result, variadic, params) {#name, LOW_##result, variadic, params},
#include "low_runtime.def"
#undef LOW_RUNTIME
};

/* The parameter types of a low_runtime.def entry; returns their count. */
static int low_runtime_params(const char *text, LowType *types, int capacity) {
    static const struct {
        const char *name;
        LowType type;
    } names[] = {
        {"PTR", LOW_PTR}, {"I64", LOW_I64}, {"I32", LOW_I32}, {"F64", LOW_F64}, {"BOOL", LOW_BOOL}};
    int count = 0;
    while (*text && count < capacity) {
        size_t length = strcspn(text, " ");
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            if (strlen(names[i].name) == length && strncmp(names[i].name, text, length) == 0)
                types[count] = names[i].type;
        count++;
        text += length;
        text += strspn(text, " ");
    }
    return count;
}

LowProgram *low_program_new(void) {
    LowProgram *program = kiln_xcalloc(1, sizeof *program);
    arena_init(&program->arena);
    map_init(&program->symbol_index);
    map_init(&program->string_index);
    map_init(&program->cstring_index);
    return program;
}

void low_program_free(LowProgram *program) {
    if (!program) return;
    for (int f = 0; f < program->funcs.count; f++) {
        LowFunc *func = &program->funcs.items[f];
        for (int b = 0; b < func->blocks.count; b++)
            vec_free(&func->blocks.items[b].insts);
        vec_free(&func->blocks);
        vec_free(&func->regs);
    }
    vec_free(&program->funcs);
    vec_free(&program->symbols);
    vec_free(&program->strings);
    vec_free(&program->cstrings);
    map_free(&program->symbol_index);
    map_free(&program->string_index);
    map_free(&program->cstring_index);
    arena_free(&program->arena);
    free(program);
}

/* ---- symbols and constants ---------------------------------------------- */

int low_symbol_find(const LowProgram *program, const char *name) {
    intptr_t found = (intptr_t)map_get(&program->symbol_index, name, strlen(name));
    return (int)found - 1;
}

static int low_add_symbol(LowProgram *program, LowSymbol symbol) {
    symbol.name = arena_strndup(&program->arena, symbol.name, strlen(symbol.name));
    vec_push(&program->symbols, symbol);
    int index = program->symbols.count - 1;
    map_put(&program->symbol_index, symbol.name, strlen(symbol.name),
            (void *)(intptr_t)(index + 1));
    return index;
}

int low_symbol_data(LowProgram *program, const char *name, LowType data_type) {
    int found = low_symbol_find(program, name);
    if (found >= 0) return found;
    LowSymbol symbol = {0};
    symbol.name = name;
    symbol.kind = LOW_SYMBOL_DATA;
    symbol.data_type = data_type;
    return low_add_symbol(program, symbol);
}

int low_symbol_declare(LowProgram *program, LowSymbol symbol) {
    int found = low_symbol_find(program, symbol.name);
    if (found < 0) return low_add_symbol(program, symbol);
    symbol.name = program->symbols.items[found].name;
    program->symbols.items[found] = symbol;
    return found;
}

int low_symbol_runtime(LowProgram *program, const char *name) {
    int found = low_symbol_find(program, name);
    if (found >= 0) return found;
    int count = (int)(sizeof low_runtime_table / sizeof low_runtime_table[0]);
    for (int i = 0; i < count; i++) {
        const LowRuntimeEntry *entry = &low_runtime_table[i];
        if (strcmp(entry->name, name) != 0) continue;
        LowSymbol symbol = {0};
        symbol.name = name;
        symbol.kind = LOW_SYMBOL_RUNTIME;
        symbol.result = entry->result;
        LowType params[16];
        symbol.param_count = low_runtime_params(entry->params, params, 16);
        symbol.params = arena_memdup(&program->arena, params,
                                     sizeof(LowType) * (size_t)(symbol.param_count + 1));
        symbol.variadic = entry->variadic;
        return low_add_symbol(program, symbol);
    }
    fprintf(stderr, "kiln: internal error: '%s' is not in low_runtime.def\n", name);
    abort();
}

int low_string(LowProgram *program, const char *bytes, int length) {
    intptr_t found = (intptr_t)map_get(&program->string_index, bytes, (size_t)length);
    if (found) return (int)found - 1;
    LowString entry = {arena_strndup(&program->arena, bytes, (size_t)length), length};
    vec_push(&program->strings, entry);
    map_put(&program->string_index, entry.bytes, (size_t)length,
            (void *)(intptr_t)program->strings.count);
    return program->strings.count - 1;
}

int low_cstring(LowProgram *program, const char *text) {
    size_t length = strlen(text);
    intptr_t found = (intptr_t)map_get(&program->cstring_index, text, length);
    if (found) return (int)found - 1;
    const char *copy = arena_strndup(&program->arena, text, length);
    vec_push(&program->cstrings, copy);
    map_put(&program->cstring_index, copy, length, (void *)(intptr_t)program->cstrings.count);
    return program->cstrings.count - 1;
}

/* ---- values -------------------------------------------------------------- */

void low_values_of(va_list list, int count, LowValue *values, int capacity) {
    if (count > capacity) {
        fprintf(stderr, "kiln: internal error: %d operands where %d fit\n", count, capacity);
        abort();
    }
    for (int i = 0; i < count; i++)
        values[i] = va_arg(list, LowValue);
}

LowValue low_none(void) {
    return (LowValue){LOW_VALUE_NONE, LOW_VOID, 0, 0, 0};
}

LowValue low_int(int64_t bits) {
    return (LowValue){LOW_VALUE_INT, LOW_I64, 0, bits, 0};
}

LowValue low_float(double number) {
    return (LowValue){LOW_VALUE_FLOAT, LOW_F64, 0, 0, number};
}

LowValue low_null(void) {
    return (LowValue){LOW_VALUE_NULL, LOW_PTR, 0, 0, 0};
}

LowValue low_thread(void) {
    return (LowValue){LOW_VALUE_THREAD, LOW_PTR, 0, 0, 0};
}

LowValue low_symbol_value(int symbol) {
    return (LowValue){LOW_VALUE_SYMBOL, LOW_PTR, symbol, 0, 0};
}

LowValue low_str_value(LowProgram *program, const char *bytes, int length) {
    return (LowValue){LOW_VALUE_STR, LOW_PTR, low_string(program, bytes, length), 0, 0};
}

LowValue low_cstring_value(LowProgram *program, const char *text) {
    return (LowValue){LOW_VALUE_CSTRING, LOW_PTR, low_cstring(program, text), 0, 0};
}

LowValue low_reg_value(const LowFunc *func, int reg) {
    return (LowValue){LOW_VALUE_REG, func->regs.items[reg], reg, 0, 0};
}

LowType low_widen(LowType type) {
    switch (type) {
    case LOW_U8:
    case LOW_U32:
    case LOW_I32:
    case LOW_BOOL: return LOW_I64;
    default: return type;
    }
}

LowValue low_coerce(LowBuilder *builder, LowValue value, LowType type) {
    type = low_widen(type);
    if (value.type == type || value.kind == LOW_VALUE_NONE || type == LOW_VOID) return value;
    bool zero = (value.kind == LOW_VALUE_INT && value.bits == 0) || value.kind == LOW_VALUE_NULL;
    if (zero && type == LOW_PTR) return low_null();
    if (zero && type == LOW_I64) return low_int(0);
    if (zero && type == LOW_F64) return low_float(0);
    if (value.type == LOW_I64 && type == LOW_PTR)
        return low_emit_unary(builder, LOW_UN_INT_TO_PTR, value);
    if (value.type == LOW_PTR && type == LOW_I64)
        return low_emit_unary(builder, LOW_UN_PTR_TO_INT, value);
    if (value.type == LOW_F64 && type == LOW_I64)
        return low_emit_unary(builder, LOW_UN_BITS_OF_FLOAT, value);
    if (value.type == LOW_I64 && type == LOW_F64)
        return low_emit_unary(builder, LOW_UN_FLOAT_OF_BITS, value);
    if (value.type == LOW_PTR && type == LOW_F64)
        return low_emit_unary(builder, LOW_UN_FLOAT_OF_BITS,
                              low_emit_unary(builder, LOW_UN_PTR_TO_INT, value));
    if (value.type == LOW_F64 && type == LOW_PTR)
        return low_emit_unary(builder, LOW_UN_INT_TO_PTR,
                              low_emit_unary(builder, LOW_UN_BITS_OF_FLOAT, value));
    return value;
}

/* ---- functions and blocks ------------------------------------------------ */

LowFunc *low_func_new(LowBuilder *builder, LowProgram *program, const char *name,
                      const char *kiln_name, LowType result, const LowType *params,
                      int param_count) {
    LowFunc func = {0};
    func.name = arena_strndup(&program->arena, name, strlen(name));
    func.kiln_name =
        kiln_name ? arena_strndup(&program->arena, kiln_name, strlen(kiln_name)) : func.name;
    func.result = result;
    func.param_count = param_count;
    vec_push(&program->funcs, func);
    int index = program->funcs.count - 1;
    LowSymbol symbol = {0};
    symbol.name = name;
    symbol.kind = LOW_SYMBOL_FUNC;
    symbol.func = index;
    symbol.result = result;
    symbol.param_count = param_count + 1;
    LowType *types = arena_alloc(&program->arena, sizeof(LowType) * (size_t)(param_count + 1));
    types[0] = LOW_PTR; /* the GcThread */
    for (int i = 0; i < param_count; i++)
        types[i + 1] = params[i];
    symbol.params = types;
    int found = low_symbol_find(program, name);
    if (found >= 0)
        program->symbols.items[found] = symbol; /* declared before it was defined */
    else
        found = low_add_symbol(program, symbol);
    LowFunc *made = &program->funcs.items[index];
    made->symbol = found;
    for (int i = 0; i < param_count; i++)
        low_new_reg(made, params[i]);
    builder->program = program;
    builder->func = made;
    builder->pos = (SrcPos){0};
    builder->first_temporary = 0;
    low_set_block(builder, low_new_block(made, "entry"));
    return made;
}

int low_new_reg(LowFunc *func, LowType type) {
    vec_push(&func->regs, low_widen(type));
    return func->regs.count - 1;
}

int low_new_block(LowFunc *func, const char *comment) {
    LowBlock block = {0};
    block.comment = comment;
    vec_push(&func->blocks, block);
    return func->blocks.count - 1;
}

void low_set_block(LowBuilder *builder, int block) {
    builder->block = block;
}

static LowBlock *low_current(const LowBuilder *builder) {
    return &builder->func->blocks.items[builder->block];
}

void low_result_into(LowBuilder *builder, LowValue value, int reg) {
    LowBlock *block = low_current(builder);
    LowFunc *func = builder->func;
    if (value.kind == LOW_VALUE_REG && value.index == reg) return;
    if (value.kind == LOW_VALUE_REG && value.index >= builder->first_temporary &&
        block->insts.count > 0 && vec_last(&block->insts).result == value.index &&
        func->regs.items[reg] == value.type) {
        vec_last(&block->insts).result = reg;
        /* the temporary is dropped when nothing else was numbered after it */
        if (value.index == func->regs.count - 1) func->regs.count--;
        return;
    }
    low_emit_copy(builder, reg, value);
}

bool low_block_closed(const LowBuilder *builder) {
    return low_current(builder)->term.kind != LOW_TERM_NONE;
}

/* ---- instructions ------------------------------------------------------- */

static LowValue *low_args(LowBuilder *builder, const LowValue *args, int count) {
    if (count == 0) return NULL;
    return arena_memdup(&builder->program->arena, args, sizeof(LowValue) * (size_t)count);
}

/* Appends `inst` with a new result register of `type` (none for VOID). */
static LowValue low_append(LowBuilder *builder, LowInst inst, LowType type) {
    LowValue result = low_none();
    inst.result = -1;
    if (type != LOW_VOID) {
        inst.result = low_new_reg(builder->func, type);
        result = low_reg_value(builder->func, inst.result);
    }
    inst.pos = builder->pos;
    vec_push(&low_current(builder)->insts, inst);
    return result;
}

void low_emit_copy(LowBuilder *builder, int reg, LowValue value) {
    LowInst inst = {0};
    inst.opcode = LOW_COPY;
    inst.args = low_args(builder, &value, 1);
    inst.arg_count = 1;
    inst.result = reg;
    inst.pos = builder->pos;
    vec_push(&low_current(builder)->insts, inst);
}

static LowType low_binary_type(LowBinop op, LowValue left) {
    switch (op) {
    case LOW_BIN_ADD:
    case LOW_BIN_SUB:
    case LOW_BIN_MUL:
    case LOW_BIN_SDIV:
    case LOW_BIN_SREM:
    case LOW_BIN_AND:
    case LOW_BIN_OR:
    case LOW_BIN_XOR:
    case LOW_BIN_SHL:
    case LOW_BIN_ASHR: return left.type == LOW_PTR ? LOW_PTR : LOW_I64;
    case LOW_BIN_FADD:
    case LOW_BIN_FSUB:
    case LOW_BIN_FMUL:
    case LOW_BIN_FDIV: return LOW_F64;
    default: return LOW_I64; /* comparisons */
    }
}

LowValue low_emit_binary(LowBuilder *builder, LowBinop op, LowValue left, LowValue right) {
    LowInst inst = {0};
    LowValue args[2] = {left, right};
    inst.opcode = LOW_BINARY;
    inst.sub = op;
    inst.args = low_args(builder, args, 2);
    inst.arg_count = 2;
    return low_append(builder, inst, low_binary_type(op, left));
}

LowValue low_emit_unary(LowBuilder *builder, LowUnop op, LowValue operand) {
    static const LowType types[LOW_UN__COUNT] = {
        [LOW_UN_NEG] = LOW_I64,           [LOW_UN_INVERT] = LOW_I64,
        [LOW_UN_NOT] = LOW_I64,           [LOW_UN_FNEG] = LOW_F64,
        [LOW_UN_INT_TO_FLOAT] = LOW_F64,  [LOW_UN_BITS_OF_FLOAT] = LOW_I64,
        [LOW_UN_FLOAT_OF_BITS] = LOW_F64, [LOW_UN_PTR_TO_INT] = LOW_I64,
        [LOW_UN_INT_TO_PTR] = LOW_PTR};
    LowInst inst = {0};
    inst.opcode = LOW_UNARY;
    inst.sub = op;
    inst.args = low_args(builder, &operand, 1);
    inst.arg_count = 1;
    return low_append(builder, inst, types[op]);
}

LowValue low_emit_select(LowBuilder *builder, LowValue condition, LowValue yes, LowValue no) {
    LowInst inst = {0};
    LowValue args[3] = {condition, yes, no};
    inst.opcode = LOW_SELECT;
    inst.args = low_args(builder, args, 3);
    inst.arg_count = 3;
    return low_append(builder, inst, yes.type == LOW_VOID ? no.type : yes.type);
}

LowValue low_emit_load_indexed(LowBuilder *builder, LowType mem, LowValue base, LowValue index,
                               int32_t scale, int32_t offset) {
    LowInst inst = {0};
    LowValue args[2] = {base, index};
    inst.opcode = LOW_LOAD;
    inst.mem = mem;
    inst.offset = offset;
    inst.scale = index.kind == LOW_VALUE_NONE ? 0 : scale;
    inst.arg_count = index.kind == LOW_VALUE_NONE ? 1 : 2;
    inst.args = low_args(builder, args, inst.arg_count);
    return low_append(builder, inst, low_widen(mem));
}

LowValue low_emit_load(LowBuilder *builder, LowType mem, LowValue base, int32_t offset) {
    return low_emit_load_indexed(builder, mem, base, low_none(), 0, offset);
}

void low_emit_store_indexed(LowBuilder *builder, LowType mem, LowValue base, LowValue index,
                            int32_t scale, int32_t offset, LowValue value) {
    LowInst inst = {0};
    LowValue args[3] = {base, index, value};
    inst.opcode = LOW_STORE;
    inst.mem = mem;
    inst.offset = offset;
    inst.scale = index.kind == LOW_VALUE_NONE ? 0 : scale;
    inst.args = low_args(builder, args, 3);
    inst.arg_count = 3;
    low_append(builder, inst, LOW_VOID);
}

void low_emit_store(LowBuilder *builder, LowType mem, LowValue base, int32_t offset,
                    LowValue value) {
    low_emit_store_indexed(builder, mem, base, low_none(), 0, offset, value);
}

LowValue low_emit_call(LowBuilder *builder, int symbol, const LowValue *args, int arg_count) {
    const LowSymbol *callee = &builder->program->symbols.items[symbol];
    LowInst inst = {0};
    inst.opcode = LOW_CALL;
    inst.callee = low_symbol_value(symbol);
    inst.call_result = callee->result;
    inst.args = low_args(builder, args, arg_count);
    inst.arg_count = arg_count;
    inst.fixed_args = callee->variadic ? callee->param_count : arg_count;
    LowType *types =
        arena_alloc(&builder->program->arena, sizeof(LowType) * (size_t)(arg_count + 1));
    for (int i = 0; i < arg_count; i++) {
        types[i] = i < callee->param_count ? callee->params[i] : args[i].type;
        inst.args[i] = low_coerce(builder, inst.args[i], types[i]);
    }
    inst.arg_types = types;
    return low_append(builder, inst, low_widen(callee->result));
}

LowValue low_emit_runtime(LowBuilder *builder, const char *name, int count, ...) {
    LowValue args[16];
    va_list list;
    va_start(list, count);
    low_values_of(list, count, args, 16);
    va_end(list);
    return low_emit_call(builder, low_symbol_runtime(builder->program, name), args, count);
}

LowValue low_emit_call_indirect(LowBuilder *builder, LowValue callee, LowType result,
                                const LowType *params, const LowValue *args, int arg_count) {
    LowInst inst = {0};
    inst.opcode = LOW_CALL;
    inst.callee = callee;
    inst.call_result = result;
    inst.args = low_args(builder, args, arg_count);
    inst.arg_count = arg_count;
    inst.fixed_args = arg_count;
    inst.arg_types =
        arena_alloc(&builder->program->arena, sizeof(LowType) * (size_t)(arg_count + 1));
    if (arg_count) memcpy(inst.arg_types, params, sizeof(LowType) * (size_t)arg_count);
    for (int i = 0; i < arg_count; i++)
        inst.args[i] = low_coerce(builder, inst.args[i], params[i]);
    return low_append(builder, inst, low_widen(result));
}

LowValue low_emit_prim(LowBuilder *builder, LowPrim prim, LowType result, int count, ...) {
    LowValue args[4];
    va_list list;
    va_start(list, count);
    low_values_of(list, count, args, 4);
    va_end(list);
    LowInst inst = {0};
    inst.opcode = LOW_PRIM;
    inst.sub = prim;
    inst.args = low_args(builder, args, count);
    inst.arg_count = count;
    return low_append(builder, inst, result);
}

/* ---- terminators ---------------------------------------------------------- */

static void low_terminate(LowBuilder *builder, LowTerm term) {
    term.pos = builder->pos;
    low_current(builder)->term = term;
}

void low_term_goto(LowBuilder *builder, int target) {
    LowTerm term = {0};
    term.kind = LOW_TERM_GOTO;
    term.targets = arena_memdup(&builder->program->arena, &target, sizeof target);
    low_terminate(builder, term);
}

void low_term_branch(LowBuilder *builder, LowValue condition, int yes, int no, LowHint hint) {
    LowTerm term = {0};
    int targets[2] = {yes, no};
    term.kind = LOW_TERM_BRANCH;
    term.value = condition;
    term.targets = arena_memdup(&builder->program->arena, targets, sizeof targets);
    term.hint = hint;
    low_terminate(builder, term);
}

void low_term_switch(LowBuilder *builder, LowValue value, const int64_t *cases, const int *targets,
                     int case_count) {
    LowTerm term = {0};
    term.kind = LOW_TERM_SWITCH;
    term.value = value;
    term.case_count = case_count;
    if (case_count)
        term.cases =
            arena_memdup(&builder->program->arena, cases, sizeof(int64_t) * (size_t)case_count);
    term.targets =
        arena_memdup(&builder->program->arena, targets, sizeof(int) * (size_t)(case_count + 1));
    low_terminate(builder, term);
}

void low_term_return(LowBuilder *builder, LowValue value) {
    LowTerm term = {0};
    term.kind = LOW_TERM_RETURN;
    term.value = value;
    low_terminate(builder, term);
}

void low_term_return_normal(LowBuilder *builder, LowValue value) {
    LowTerm term = {0};
    term.kind = LOW_TERM_RETURN;
    term.value = value;
    term.normal = true;
    low_terminate(builder, term);
}

void low_term_unreachable(LowBuilder *builder) {
    LowTerm term = {0};
    term.kind = LOW_TERM_UNREACHABLE;
    low_terminate(builder, term);
}
