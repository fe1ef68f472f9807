/* low.h - low-level graphs: the program as the backends receive it.
 *
 *   rtyped graphs + transform decisions ──lower──▶ LowProgram ──▶ backend_c
 *                                                            └──▶ backend_llvm
 *
 * A LowFunc is a control-flow graph of blocks over registers.  Everything
 * a backend needs is explicit, so that a backend emits each instruction on
 * its own, knowing nothing of Kiln C types, annotations or flow graphs:
 *   - the machine type of every register (int64, double or pointer);
 *   - every load and store, with its memory type and byte offset;
 *   - every call, with its callee (a symbol or a register), its result type
 *     and its arguments;
 *   - every inline check as a branch to a block that raises;
 *   - every exception test after a call, every traceback entry, every
 *     spill to and reload from the shadow stack;
 *   - the runtime's inline primitives (LowPrim): allocation in the nursery,
 *     write barriers, shadow stack slots, the exception in flight.  Each is
 *     one inline function of rt.h or gc.h; the C backend calls it, the LLVM
 *     backend builds its IR.
 *
 * Registers are variables, not SSA values: a register may be assigned in
 * several blocks (the links of a flow graph become copies).  The C backend
 * declares one C local per register; the LLVM backend one alloca, which
 * mem2reg turns into SSA.
 *
 * Invariants (low_verify checks them):
 *   - block 0 is the entry; every block ends with exactly one terminator;
 *   - a register holds one LowType (LOW_I64, LOW_F64 or LOW_PTR), fixed at
 *     its creation; an instruction's operands have the types it expects;
 *   - parameters are registers 0 .. param_count-1; the GcThread pointer is
 *     the implicit first parameter of every generated function, the value
 *     LOW_VALUE_THREAD.
 *
 * Memory: everything lives in LowProgram.arena (the vectors in malloc'd
 * memory freed with it), freed by low_program_free.
 */
#ifndef KILN_LOW_H
#define KILN_LOW_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../common/arena.h"
#include "../common/diag.h"
#include "../common/map.h"
#include "../common/vec.h"

/* Machine types.  Registers hold I64, F64 or PTR.  Memory operations also
 * take U8 (a byte, zero-extended) and U32; call signatures also take VOID,
 * BOOL (C bool, widened to 0/1) and I32 (C int, sign-extended). */
typedef enum LowType {
    LOW_VOID,
    LOW_I64,
    LOW_F64,
    LOW_PTR,
    LOW_U8,
    LOW_U32,
    LOW_I32,
    LOW_BOOL,
    LOW_TYPE__COUNT
} LowType;

extern const char *const low_type_names[LOW_TYPE__COUNT];

typedef enum LowValueKind {
    LOW_VALUE_NONE,    /* no operand */
    LOW_VALUE_REG,     /* register `index` */
    LOW_VALUE_INT,     /* LOW_I64 constant `bits` */
    LOW_VALUE_FLOAT,   /* LOW_F64 constant `number` */
    LOW_VALUE_NULL,    /* the null pointer */
    LOW_VALUE_SYMBOL,  /* the address of symbol `index` (LowProgram.symbols) */
    LOW_VALUE_STR,     /* a prebuilt str object: LowProgram.strings[index] */
    LOW_VALUE_CSTRING, /* a NUL-terminated C string: LowProgram.cstrings[index] */
    LOW_VALUE_THREAD   /* the GcThread * parameter */
} LowValueKind;

typedef struct LowValue {
    LowValueKind kind;
    LowType type; /* I64, F64 or PTR */
    int index;
    int64_t bits;
    double number;
} LowValue;

/* Binary operations.  Integer arithmetic wraps (two's complement); SDIV and
 * SREM are C's / and % and must never see a zero divisor or INT64_MIN / -1
 * (the lowering checks both); shifts take counts in [0, 63].  Comparisons
 * give an I64 0 or 1.  PTR_EQ and PTR_NE compare pointers. */
#define LOW_BINARY_OPS(X)                                                                          \
    X(ADD, "+")                                                                                    \
    X(SUB, "-")                                                                                    \
    X(MUL, "*")                                                                                    \
    X(SDIV, "/")                                                                                   \
    X(SREM, "%") X(AND, "&") X(OR, "|") X(XOR, "^") X(SHL, "<<") X(ASHR, ">>") X(EQ, "==")         \
        X(NE, "!=") X(LT, "<") X(LE, "<=") X(GT, ">") X(GE, ">=") X(ULT, "<") X(UGE, ">=")         \
            X(FADD, "+") X(FSUB, "-") X(FMUL, "*") X(FDIV, "/") X(FEQ, "==") X(FNE, "!=")          \
                X(FLT, "<") X(FLE, "<=") X(FGT, ">") X(FGE, ">=") X(PTR_EQ, "==") X(PTR_NE, "!=")

typedef enum LowBinop {
#define LOW_BINOP_ENUM(name, text) LOW_BIN_##name,
    LOW_BINARY_OPS(LOW_BINOP_ENUM)
#undef LOW_BINOP_ENUM
        LOW_BIN__COUNT
} LowBinop;

/* Unary operations and conversions.  NOT is C's ! (on I64 or PTR: 1 when
 * zero or null); BITS_OF_FLOAT and FLOAT_OF_BITS reinterpret the 64 bits;
 * INT_TO_FLOAT is C's (double) of an int64; PTR_TO_INT and INT_TO_PTR
 * reinterpret. */
#define LOW_UNARY_OPS(X)                                                                           \
    X(NEG)                                                                                         \
    X(INVERT)                                                                                      \
    X(NOT) X(FNEG) X(INT_TO_FLOAT) X(BITS_OF_FLOAT) X(FLOAT_OF_BITS) X(PTR_TO_INT) X(INT_TO_PTR)

typedef enum LowUnop {
#define LOW_UNOP_ENUM(name) LOW_UN_##name,
    LOW_UNARY_OPS(LOW_UNOP_ENUM)
#undef LOW_UNOP_ENUM
        LOW_UN__COUNT
} LowUnop;

/* The runtime's inline primitives, each the inline function or macro of
 * rt.h / gc.h named in its comment.  Operands are args[0..]. */
#define LOW_PRIMS(X)                                                                               \
    X(ALLOC)             /* PTR gc_alloc(th, type_id = bits of args[0], size = args[1]) */         \
    X(WRITE_BARRIER)     /* gc_write_barrier(th, args[0]) */                                       \
    X(ARRAY_BARRIER)     /* gc_write_barrier_array(th, array args[0], index args[1]) */            \
    X(TYPE_ID)           /* I64 rt_type_of(args[0]): the header's type id */                       \
    X(SPILL_CHECK)       /* RT_SPILL_CHECK(th, count = args[0]) */                                 \
    X(ROOT_STORE)        /* th->root_top[args[0]] = args[1] (a constant slot) */                   \
    X(ROOT_LOAD)         /* PTR th->root_top[args[0]] */                                           \
    X(ROOT_ADJUST)       /* th->root_top += args[0] (a constant, may be negative) */               \
    X(EXCEPTION_PENDING) /* I64 RT_RAISED(): an exception is in flight */                          \
    X(CATCH)             /* PTR rt_catch(): takes the exception in flight */                       \
    X(FRAME_ADDRESS)     /* PTR the frame marker (below)  */                                       \
    X(STACK_CHECK)       /* I64 rt_stack_exhausted(): the C stack is nearly full */

/* FRAME_ADDRESS names one activation of a Kiln C function for tracebacks
 * (rtlib keeps one entry per frame and compares these addresses): the
 * address of a one-byte stack slot of the function, the frame marker
 * args[0] (a constant; none is marker 0).  An inlined function keeps a
 * marker of its own, so that it stays a frame of the traceback; a stack
 * slot (not the frame address, which inlining shares) is what makes the
 * markers of inlined functions differ. */
typedef enum LowPrim {
#define LOW_PRIM_ENUM(name) LOW_PRIM_##name,
    LOW_PRIMS(LOW_PRIM_ENUM)
#undef LOW_PRIM_ENUM
        LOW_PRIM__COUNT
} LowPrim;

extern const char *const low_prim_names[LOW_PRIM__COUNT];

typedef enum LowOpcode {
    LOW_COPY,   /* result = args[0] */
    LOW_BINARY, /* result = args[0] binop args[1] */
    LOW_UNARY,  /* result = unop args[0] */
    LOW_SELECT, /* result = args[0] ? args[1] : args[2] (args[0] an I64) */
    LOW_LOAD,   /* result = *(mem *)(args[0] + offset [+ args[1] * scale]) */
    LOW_STORE,  /* *(mem *)(args[0] + offset [+ args[1] * scale]) = args[2] */
    LOW_CALL,   /* result = callee(args) */
    LOW_PRIM    /* result = prim(args) */
} LowOpcode;

typedef struct LowInst {
    LowOpcode opcode;
    int result;  /* a register, or -1 */
    int sub;     /* LowBinop, LowUnop or LowPrim */
    LowType mem; /* LOAD / STORE: the memory type (I64, F64, PTR, U8, U32) */
    int32_t offset;
    int32_t scale;       /* LOAD / STORE with an index (args[1]); else 0 */
    LowValue callee;     /* CALL: a SYMBOL (direct) or a REG (indirect) */
    LowType call_result; /* CALL: the callee's C result type (VOID, BOOL, I32...) */
    LowType *arg_types;  /* CALL: the callee's C parameter types, per argument
                          * (BOOL and I32 are passed narrowed) */
    int fixed_args;      /* CALL of a variadic symbol: the arguments before `...` */
    LowValue *args;
    int arg_count;
    SrcPos pos;
} LowInst;

typedef enum LowTermKind {
    LOW_TERM_NONE,   /* a block under construction */
    LOW_TERM_GOTO,   /* to targets[0] */
    LOW_TERM_BRANCH, /* value (I64 or PTR) != 0 ? targets[0] : targets[1] */
    LOW_TERM_SWITCH, /* value == cases[i] ? targets[i] : targets[case_count] */
    LOW_TERM_RETURN, /* value, or none in a void function */
    LOW_TERM_UNREACHABLE
} LowTermKind;

typedef enum LowHint { LOW_HINT_NONE, LOW_HINT_LIKELY, LOW_HINT_UNLIKELY } LowHint;

typedef struct LowTerm {
    LowTermKind kind;
    LowValue value;
    int *targets;
    int64_t *cases;
    int case_count;
    LowHint hint; /* BRANCH: how likely targets[0] is */
    /* RETURN: no exception is in flight when it runs (the end of a
     * function's normal path).  A return without it may leave one in
     * flight: the raise paths return 0 with the exception set. */
    bool normal;
    SrcPos pos;
} LowTerm;

typedef struct LowBlock {
    Vec(LowInst) insts;
    LowTerm term;
    const char *comment; /* for dumps and the C backend: "b3", "raise", ... */
} LowBlock;

typedef struct LowFunc {
    const char *name;      /* the symbol: its C name */
    const char *kiln_name; /* the Kiln C function, for comments and tracebacks */
    SrcPos pos;
    bool is_static; /* internal to the LLVM module; the C backend gives every
                     * function external linkage and a prototype */
    LowType result; /* VOID, I64, F64 or PTR */
    int param_count;
    Vec(LowType) regs;
    Vec(LowBlock) blocks;
    int symbol; /* its entry in LowProgram.symbols */
} LowFunc;

typedef enum LowSymbolKind {
    LOW_SYMBOL_FUNC,    /* a LowFunc of the program: `func` */
    LOW_SYMBOL_RUNTIME, /* a function of rtlib, stm_gc or libm (low_runtime.def) */
    LOW_SYMBOL_EXTERN,  /* a Kiln C extern fn: a C function of the user's */
    LOW_SYMBOL_DATA     /* data the backend emits: kfn_N, kvt_N, kval_N, gN, gsetN... */
} LowSymbolKind;

typedef struct LowSymbol {
    const char *name;
    LowSymbolKind kind;
    int func;        /* FUNC */
    LowType result;  /* functions: the C result type */
    LowType *params; /* functions: the C parameter types */
    int param_count;
    bool variadic;
    LowType data_type;  /* DATA: the type of a scalar (globals); VOID: an aggregate */
    const char *c_name; /* EXTERN: the C symbol the asm label binds */
} LowSymbol;

typedef struct LowString {
    const char *bytes;
    int length;
} LowString;

typedef struct LowProgram {
    Arena arena;
    Vec(LowFunc) funcs;
    Vec(LowSymbol) symbols;
    Vec(LowString) strings;     /* str objects, deduplicated */
    Vec(const char *) cstrings; /* C strings, deduplicated */
    /* name or bytes -> index + 1, for the deduplication */
    Map symbol_index, string_index, cstring_index;
} LowProgram;

LowProgram *low_program_new(void);
void low_program_free(LowProgram *program);

/* The symbol of that name, or -1. */
int low_symbol_find(const LowProgram *program, const char *name);
/* Symbols, found or added by name. */
int low_symbol_data(LowProgram *program, const char *name, LowType data_type);
/* Adds `symbol`, or replaces the one of the same name. */
int low_symbol_declare(LowProgram *program, LowSymbol symbol);
/* A function of low_runtime.def by its C name; aborts on an unknown name
 * (a kiln bug: the table must list every runtime function it calls). */
int low_symbol_runtime(LowProgram *program, const char *name);
int low_string(LowProgram *program, const char *bytes, int length);
int low_cstring(LowProgram *program, const char *text);

/* The `count` LowValue arguments of a variadic builder function, into
 * `values` (which holds `capacity`; more is a kiln bug and aborts). */
void low_values_of(va_list list, int count, LowValue *values, int capacity);

/* Values. */
LowValue low_none(void);
LowValue low_int(int64_t bits);
LowValue low_float(double number);
LowValue low_null(void);
LowValue low_thread(void);
LowValue low_symbol_value(int symbol);
LowValue low_str_value(LowProgram *program, const char *bytes, int length);
LowValue low_cstring_value(LowProgram *program, const char *text);
LowValue low_reg_value(const LowFunc *func, int reg);

/* Building a function.  A LowBuilder appends to one block at a time; the
 * instructions it adds take `pos`. */
typedef struct LowBuilder {
    LowProgram *program;
    LowFunc *func;
    int block;
    SrcPos pos;
    /* registers below this one hold named values (a lowering's variables):
     * low_result_into never renames them */
    int first_temporary;
} LowBuilder;

/* Adds a function (and its symbol); its parameters are registers
 * 0 .. param_count-1 of the given types; block 0 is created and current. */
LowFunc *low_func_new(LowBuilder *builder, LowProgram *program, const char *name,
                      const char *kiln_name, LowType result, const LowType *params,
                      int param_count);
int low_new_reg(LowFunc *func, LowType type);
int low_new_block(LowFunc *func, const char *comment);
void low_set_block(LowBuilder *builder, int block);
/* True when the current block has its terminator. */
bool low_block_closed(const LowBuilder *builder);

void low_emit_copy(LowBuilder *builder, int reg, LowValue value);
LowValue low_emit_binary(LowBuilder *builder, LowBinop op, LowValue left, LowValue right);
LowValue low_emit_unary(LowBuilder *builder, LowUnop op, LowValue operand);
LowValue low_emit_select(LowBuilder *builder, LowValue condition, LowValue yes, LowValue no);
LowValue low_emit_load(LowBuilder *builder, LowType mem, LowValue base, int32_t offset);
LowValue low_emit_load_indexed(LowBuilder *builder, LowType mem, LowValue base, LowValue index,
                               int32_t scale, int32_t offset);
void low_emit_store(LowBuilder *builder, LowType mem, LowValue base, int32_t offset,
                    LowValue value);
void low_emit_store_indexed(LowBuilder *builder, LowType mem, LowValue base, LowValue index,
                            int32_t scale, int32_t offset, LowValue value);
/* A call of a symbol with its declared signature (arguments are coerced to
 * the parameters' register types); the result (a new register of the
 * widened result type) or low_none() for VOID. */
LowValue low_emit_call(LowBuilder *builder, int symbol, const LowValue *args, int arg_count);
/* low_emit_call of a runtime function by name, with `count` LowValue
 * arguments after it. */
LowValue low_emit_runtime(LowBuilder *builder, const char *name, int count, ...);
/* A call through a function pointer with the given C signature (the
 * arguments coerced to it). */
LowValue low_emit_call_indirect(LowBuilder *builder, LowValue callee, LowType result,
                                const LowType *params, const LowValue *args, int arg_count);
LowValue low_emit_prim(LowBuilder *builder, LowPrim prim, LowType result, int count, ...);

void low_term_goto(LowBuilder *builder, int target);
void low_term_branch(LowBuilder *builder, LowValue condition, int yes, int no, LowHint hint);
/* targets has case_count + 1 entries, the last the default. */
void low_term_switch(LowBuilder *builder, LowValue value, const int64_t *cases, const int *targets,
                     int case_count);
void low_term_return(LowBuilder *builder, LowValue value);
/* A RETURN with `normal` set (see LowTerm). */
void low_term_return_normal(LowBuilder *builder, LowValue value);
void low_term_unreachable(LowBuilder *builder);

/* `value` converted to the register type `type`: a constant 0 or null
 * becomes the other; I64 and PTR convert by reinterpretation (INT_TO_PTR,
 * PTR_TO_INT), I64 and F64 by their bits.  Other values are returned as
 * they are. */
LowValue low_coerce(LowBuilder *builder, LowValue value, LowType type);
/* Makes register `reg` receive `value`: the last instruction's result is
 * renamed when it produced `value` into a temporary, else a COPY is
 * added. */
void low_result_into(LowBuilder *builder, LowValue value, int reg);

/* The register type a C type widens to (BOOL, I32, U8, U32 -> I64). */
LowType low_widen(LowType type);

/* Checks the invariants above; prints each violation to `out` and
 * returns their number. */
int low_verify(const LowProgram *program, FILE *out);

/* `kiln build --stage=lower --dump`: every function, block by block. */
void low_dump(FILE *out, const LowProgram *program, const DiagContext *diag);

#endif
