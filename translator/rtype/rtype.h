/* rtype.h - representations: typed graphs -> low-level types and operations.
 *
 *   typed graphs (annotate.h) ──rtype──▶ every variable has a machine
 *   representation, every class and tuple shape a GC type, every operation
 *   a low-level opcode (rtype_ops.def)
 *
 * Contract.  Expects: an Annotator that ran without errors on the
 * FlowProgram.  Produces: an RtypeProgram that gives
 *   - per annotated function copy: its C name and, per variable, its
 *     representation (RTYPE_INT: int64_t for int, bool, char and thread
 *     handles; RTYPE_FLOAT: double; RTYPE_REF: a GC reference; RTYPE_VOID);
 *   - per class: its GC type id (preorder of the class tree, so that the
 *     subclasses of a class are the ids [type_id, last_type_id]), its size
 *     (one word per field after the header);
 *   - per tuple shape (item count, which items are references): a type id;
 *   - per operation: a low-level opcode saying which concrete operation it
 *     is (int add, list getitem with bounds check, dict lookup, virtual
 *     call...), which the transforms and the C backend read;
 *   - value descriptors (RtValType of rtlib) for the generic operations.
 * Breaks: nothing; graphs and annotations are only read.  Rtype errors
 * (an operation on a type the translated code does not support) are
 * reported through diag at the operation's position.
 *
 * Memory: everything lives in RtypeProgram.arena, freed by rtype_free.
 */
#ifndef KILN_RTYPE_H
#define KILN_RTYPE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../annotate/annotate.h"
#include "../common/arena.h"
#include "../common/diag.h"
#include "../common/vec.h"
#include "../flow/flow.h"

typedef enum RtypeRepr { RTYPE_VOID, RTYPE_INT, RTYPE_FLOAT, RTYPE_REF } RtypeRepr;

typedef enum RtypeOpcode {
#define RTYPE_OP(name, collects, doc) RTYPE_OP_##name,
#include "rtype_ops.def"
#undef RTYPE_OP
    RTYPE_OP__COUNT
} RtypeOpcode;

typedef struct RtypeOpInfo {
    const char *name;
    bool collects; /* may allocate (and so collect) on its normal path */
} RtypeOpInfo;
extern const RtypeOpInfo rtype_op_info[RTYPE_OP__COUNT];

/* The lowering of one flow operation. */
typedef struct RtypeOp {
    RtypeOpcode opcode;
    int callee;    /* CALL_DIRECT / NEW init: the annotated function, or -1;
                    * CALL_EXTERN: the extern's flow graph; TASK: the function
                    * whose signature the task's invoker calls */
    int type_id;   /* NEW, NEWTUPLE, ITER (items tuple), IS_INSTANCE, TASK: a GC type */
    int last_type; /* IS_INSTANCE / CAST: the end of the class's id range */
    int field;     /* GETFIELD / SETFIELD: the FlowClass field index (its
                    * word: RtypeClass.fields); TUPLE_GET: item;
                    * RAISE_UNSET: the argument naming the local */
    int valtype;   /* generic operations: RtValType index of the operand; -1 none */
    int valtype2;  /* a second descriptor (dict values, str() of args) */
    int vtable;    /* CALL_VIRTUAL: the method's vtable index */
    bool nullable; /* the receiver may be null: check it */
    bool raises;   /* the low-level operation can raise */
} RtypeOp;

typedef struct RtypeFunc {
    const FlowGraph *graph;
    const char *c_name;
    RtypeRepr *reprs; /* per variable */
    RtypeRepr result;
    RtypeOp **ops;     /* per block, per operation */
    bool can_raise;    /* set by the transform stage */
    bool can_collect;  /* set by the transform stage */
    bool checks_stack; /* on a cycle of calls: checks the C stack on entry
                        * (set by the transform stage) */
} RtypeFunc;

/* Where a field lives in its instances (the same in every subclass). */
typedef struct RtypeField {
    int word;          /* word index from the header (which is word 0) */
    int assigned_word; /* a field with no annotation and a scalar type: the
                        * word of its "assigned" bit; else -1 */
    int assigned_bit;
    /* every class that has the field assigns it in its init's first block
     * before `this` goes anywhere: no read can find it unassigned, so
     * reads need no "read before assignment" check and stores keep no
     * assigned bit (rtype_mark_set_by_init) */
    bool set_by_init;
} RtypeField;

typedef struct RtypeClass {
    int type_id;        /* every class has one, reached or not */
    int last_type_id;   /* last id of the subtree */
    int words;          /* header and fields: size / 8 before rounding up to 16 */
    int size;           /* bytes */
    RtypeField *fields; /* per field of the FlowClass, inherited ones first */
} RtypeClass;

typedef struct RtypeTuple {
    int count;
    uint64_t ref_mask; /* the references among the first 64 items (dumps) */
    bool *refs;        /* per item: a reference */
    int type_id;
} RtypeTuple;

/* A virtual method: one function per class id in the range. */
typedef struct RtypeVtable {
    const char *name;
    int first_type, last_type;
    int *funcs; /* per type id in range: annotated function or -1 */
} RtypeVtable;

/* RtValType entries; children come before their parents. */
typedef struct RtypeValType {
    const char *key; /* the annotation as text */
    int kind;        /* RtKind of rtlib */
    int item, key_type, value, view;
    int *items;
    int count;
} RtypeValType;

typedef struct RtypeProgram {
    Arena arena;
    const FlowProgram *flow;
    Annotator *annotator;
    DiagContext *diag;
    int errors;
    RtypeFunc *funcs; /* per annotated function */
    int func_count;
    RtypeClass *classes; /* per class */
    int *type_class;     /* per class type (id - first < class_count): its class */
    int first_type_id;   /* RT_TYPE__COUNT of rtlib */
    int type_count;      /* program types: classes, then tuples */
    Vec(RtypeTuple) tuples;
    Vec(RtypeVtable) vtables;
    Vec(RtypeValType) valtypes;
    int main_func;
} RtypeProgram;

/* Builds the representations; returns NULL only when out of memory.
 * Check ->errors. */
RtypeProgram *rtype_program(const FlowProgram *flow, Annotator *annotator, DiagContext *diag);
void rtype_free(RtypeProgram *program);

RtypeRepr rtype_repr_of(const Ann *ann);
/* An extern fn's parameter or result type as a representation (int and
 * float; void for a result), or -1 when the C backend cannot pass it. */
int rtype_extern_repr(const TypeExpr *type, bool is_result);
/* The RtValType index for an annotation (registering it). */
int rtype_valtype(RtypeProgram *program, const Ann *ann);
int rtype_tuple_type(RtypeProgram *program, const Ann *ann);

/* `kiln rtype --dump`: every function with its variables' representations
 * and its low-level operations, then the GC types. */
void rtype_dump(FILE *out, const RtypeProgram *program);

#endif
