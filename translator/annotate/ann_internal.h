/* ann_internal.h - the annotator's private state, shared by its files.
 *
 *   ann_lattice.c   annotations and their union
 *   ann_fixpoint.c  graph copies, the worklist, flowing blocks and links
 *   ann_ops.c       the typing rule of every flow operation
 *   ann_calls.c     calls: direct, indirect, virtual, specialized
 *   ann_builtins.c  built-in functions and methods (ann_builtins.def)
 *   ann_prebuilt.c  globals typed from the values of their initializers
 *   ann_report.c    diagnostics: conflicts, call chains, warnings
 *   ann_dump.c      the text dump, the Graphviz output and the verifier
 */
#ifndef KILN_ANN_INTERNAL_H
#define KILN_ANN_INTERNAL_H

#include "annotate.h"

/* One annotated copy of a graph ("func"): a graph has one copy, except a
 * @specialize function, which has one per argument-type key.
 * Invariant: block_stop[b] is the index of the first operation of block b
 * that was not flowed the last time b was flowed (op_count when the whole
 * block was, -1 when b was never reached). */
typedef struct AnnFunc {
    int index;
    const FlowGraph *graph;
    const char *key; /* specialization key, or NULL */
    AnnSlot *vars;   /* one per FlowVar */
    int *block_stop;
    bool *block_queued;
    int *op_base;         /* per block: index of its first op in the flat op arrays */
    const Ann **op_cache; /* per op: the stable container an op creates */
    int op_total;
    AnnReaders result_readers; /* callers to flow again when the result generalizes */
    int caller;                /* the func that first called this one, -1 for main */
    SrcPos caller_pos;         /* where it called */
    bool started;
} AnnFunc;

/* A type error waiting to be printed: conflicts are final when found;
 * operation errors are kept per operation and replaced each time the
 * operation's block is flowed, so that only those still true at the
 * fixpoint are printed. */
typedef struct AnnError {
    SrcPos pos;
    const char *message;
    const char *notes[4];
    int note_count;
    int func; /* for the call chain; -1 for none */
    bool live;
} AnnError;

/* Identifies a slot in messages ("x", "Tape.pos", "the items of a list"). */
typedef enum AnnSlotKind {
    ANN_SLOT_VAR,    /* a: func, b: var */
    ANN_SLOT_FIELD,  /* a: field slot index */
    ANN_SLOT_GLOBAL, /* a: global */
    ANN_SLOT_ITEM,   /* list items */
    ANN_SLOT_KEY,    /* dict keys */
    ANN_SLOT_VALUE,  /* dict values */
} AnnSlotKind;

typedef struct AnnSlotName {
    AnnSlotKind kind;
    int a, b;
} AnnSlotName;

typedef struct AnnFieldSlot {
    int class_index; /* the class that declares the field */
    int field;       /* its index in that class */
    AnnSlot slot;
    AnnReaders readers;
} AnnFieldSlot;

struct Annotator {
    const FlowProgram *program;
    DiagContext *diag;
    Arena arena;
    Vec(AnnFunc *) funcs;
    int *func_of_graph; /* per graph: its first copy, or -1 */
    Map specialized;    /* "graph:key" -> func index + 1 */
    Vec(int64_t) worklist;
    /* Fields: field_slot_of[class][field] indexes fields (inherited fields
     * share their declaring class's slot). */
    int **field_slot_of;
    Vec(AnnFieldSlot) fields;
    int **subclasses; /* per class: every strict subclass, -1 terminated */
    AnnSlot *globals;
    AnnReaders *global_readers;
    bool *global_prebuilt; /* the initializer gave a value */
    Vec(AnnError) errors;
    int *op_error; /* per func: NULL, or per flat op an index into errors + 1 */
    Vec(int *) op_errors;
    const Ann ***const_cache; /* per graph: the annotation of each constant, built once */
    int next_def_id;
    Vec(AnnReaders *) def_readers; /* every list and dict definition's readers, freed at the end */
    const Ann *simple[ANN__COUNT];
    /* The func and block being flowed: the reader registered by reads. */
    int current_func;
    int current_block;
    int current_op;  /* flat index */
    bool finalizing; /* bottom container elements become null */
};

/* ann_fixpoint.c */
AnnFunc *ann_func_get(Annotator *annotator, int graph, const char *key);
void ann_schedule(Annotator *annotator, int func, int block);
void ann_readers_add(AnnReaders *readers, int func, int block);
void ann_readers_schedule(Annotator *annotator, AnnReaders *readers);
/* The current block as a reader of `readers`. */
void ann_read(Annotator *annotator, AnnReaders *readers);
/* Merges value into slot; reports a conflict (naming both positions) or a
 * value outside the declared type.  Returns true when the slot changed. */
bool ann_slot_merge(Annotator *annotator, AnnSlot *slot, AnnSlotName name, const Ann *value,
                    SrcPos pos);
const Ann *ann_from_type(Annotator *annotator, const TypeExpr *type);
void ann_fixpoint(Annotator *annotator);

/* ann_ops.c: the annotation of an operation's result (void for one
 * without a result); NULL after a type error and bottom while an input is
 * unknown: in both cases the block stops at the operation. */
const Ann *ann_op(Annotator *annotator, AnnFunc *func, const FlowOp *op, const Ann **args);
const Ann *ann_value(Annotator *annotator, AnnFunc *func, FlowValue value);
const Ann *ann_truth(Annotator *annotator, const FlowOp *op, const Ann *value);
/* Reads (registering the current block) and stores into list and dict
 * elements; a store drops constants and schedules the readers. */
const Ann *ann_list_item(Annotator *annotator, AnnListDef *def);
const Ann *ann_dict_key(Annotator *annotator, AnnDictDef *def);
const Ann *ann_dict_value(Annotator *annotator, AnnDictDef *def);
void ann_list_store(Annotator *annotator, AnnListDef *def, const Ann *value, SrcPos pos);
void ann_dict_store(Annotator *annotator, AnnDictDef *def, const Ann *key, const Ann *value,
                    SrcPos pos);
/* A fresh container created by the current operation, the same one each
 * time the operation is flowed. */
const Ann *ann_op_list(Annotator *annotator, SrcPos pos);
const Ann *ann_op_dict(Annotator *annotator, SrcPos pos);
int ann_field_slot(Annotator *annotator, int class_index, const char *name);

/* ann_calls.c */
const Ann *ann_call_graph(Annotator *annotator, int graph, const Ann **args, int count, SrcPos pos,
                          bool bound);
const Ann *ann_call_value(Annotator *annotator, const Ann *callee, const Ann **args, int count,
                          SrcPos pos);
const Ann *ann_call_method(Annotator *annotator, const FlowOp *op, const Ann **args, int count);
/* The graphs a virtual call of `name` on class_index may reach (appended to
 * out); returns how many. */
typedef Vec(int) AnnGraphList;
int ann_method_targets(Annotator *annotator, int class_index, const char *name, AnnGraphList *out);
const Ann *ann_getattr(Annotator *annotator, const FlowOp *op, const Ann *object);

/* ann_builtins.c */
const Ann *ann_builtin_call(Annotator *annotator, const FlowOp *op, const Ann **args, int count);
const Ann *ann_builtin_method(Annotator *annotator, const FlowOp *op, const Ann **args, int count);

/* ann_prebuilt.c */
void ann_prebuild_globals(Annotator *annotator, struct Interp *interp);

/* ann_report.c */
void ann_op_error(Annotator *annotator, SrcPos pos, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
void ann_conflict(Annotator *annotator, SrcPos pos, AnnSlotName name, const AnnSlot *slot,
                  const Ann *value, const Ann *left_fault, const Ann *right_fault);
void ann_declared_error(Annotator *annotator, SrcPos pos, AnnSlotName name, const AnnSlot *slot,
                        const Ann *value);
void ann_plain_error(Annotator *annotator, SrcPos pos, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
const char *ann_pos_text(Annotator *annotator, SrcPos pos);
void ann_report_all(Annotator *annotator);
void ann_warn_unreached(Annotator *annotator);

#endif
