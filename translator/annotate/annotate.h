/* annotate.h - whole-program type inference (the annotator).
 *
 *   flow graphs ──annotate──▶ typed graphs (an Ann per variable, field,
 *                              global, list/dict element and result)
 *
 * Contract.  Expects: a FlowProgram built without errors (flow.h) and,
 * optionally, a graph interpreter that has run the global initializers
 * (interp_run_globals): globals are typed from the values it computed, as
 * prebuilt constants.  Produces: an annotation for every variable of every
 * graph reachable from `main` (one copy of a graph per argument-type
 * combination for @specialize functions), for every field, global and
 * container element; diagnostics for type errors (language.md section 4)
 * and warnings for functions `main` never reaches.  Breaks: nothing; the
 * FlowProgram is only read.
 *
 * The lattice (ann_lattice.c), from bottom up:
 *   bottom (not known yet / no value) < constants < int float bool char str
 *   null < nullable instance / list / dict / fn;  void (no value)
 *   list<T>, dict<K,V>: through shared definitions (AnnListDef, AnnDictDef)
 *   that are merged (union-find) when two lists flow together, so `[]` gets
 *   its element type from later use;  tuples item by item;  instances of a
 *   class (union: the nearest common base);  function sets (graph indices,
 *   plain or bound to a receiver);  StrBuilder, iterators, dict views and
 *   thread handles.  int ⊔ float, str ⊔ int, two unrelated classes, null ⊔
 *   int and so on have no union: a type error.
 *
 * The fixpoint (ann_fixpoint.c) starts at main: a block is flowed when one
 * of its inputs generalizes; a call merges the argument annotations into
 * the callee's parameters and reads the callee's result; whoever read a
 * field, global, list/dict element or result that later generalizes is
 * flowed again.  Annotations only grow, so the fixpoint terminates.
 *
 * Memory: everything lives in the annotator's arena, freed by
 * ann_destroy; the worklist and reader sets are Vecs owned by it.
 */
#ifndef KILN_ANNOTATE_H
#define KILN_ANNOTATE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../common/arena.h"
#include "../common/diag.h"
#include "../common/map.h"
#include "../common/vec.h"
#include "../flow/flow.h"

struct Interp;

typedef enum AnnKind {
    ANN_BOTTOM, /* no value known (yet): the lattice's bottom */
    ANN_VOID,   /* the result of a function that returns nothing */
    ANN_NULL,   /* only null */
    ANN_INT,
    ANN_FLOAT,
    ANN_BOOL,
    ANN_CHAR,
    ANN_STR,
    ANN_LIST,      /* listdef */
    ANN_DICT,      /* dictdef */
    ANN_TUPLE,     /* items */
    ANN_INSTANCE,  /* class_index */
    ANN_FUNCTION,  /* callables */
    ANN_BUILDER,   /* StrBuilder */
    ANN_ITERATOR,  /* source: view (+ listdef or dictdef) */
    ANN_DICT_VIEW, /* dictdef, view */
    ANN_THREAD,    /* a thread handle */
    ANN__COUNT
} AnnKind;

/* What an iterator walks, or which view of a dict a view is. */
typedef enum AnnView {
    ANN_VIEW_LIST, /* iterator over listdef's items */
    ANN_VIEW_STR,  /* iterator over the chars of a str */
    ANN_VIEW_KEYS,
    ANN_VIEW_VALUES,
    ANN_VIEW_ITEMS, /* (key, value) tuples */
} AnnView;

typedef struct Ann Ann;

/* A place that holds an annotation and only generalizes: a variable of a
 * graph copy, a field, a global, a list item, a dict key or value.  origin
 * is where the current annotation was first given (for diagnostics);
 * declared, when not NULL, is the source annotation that the slot must
 * stay within; in_error stops reports about the slot after its first. */
typedef struct AnnSlot {
    const Ann *ann;
    SrcPos origin;
    const Ann *declared;
    SrcPos declared_pos;
    bool in_error;
} AnnSlot;

/* Blocks to flow again when a slot generalizes: (func << 32) | block. */
typedef Vec(int64_t) AnnReaders;

/* A list definition.  All lists that flow together share one root (the
 * union-find parent chain); only the root's fields are meaningful. */
typedef struct AnnListDef {
    struct AnnListDef *parent; /* NULL for a root */
    int id;
    AnnSlot item;
    AnnReaders readers;
} AnnListDef;

typedef struct AnnDictDef {
    struct AnnDictDef *parent;
    int id;
    AnnSlot key;
    AnnSlot value;
    AnnReaders readers;
} AnnDictDef;

/* One possible target of a function value: a graph, called plainly or as a
 * method bound to a receiver (whose `this` the call then supplies). */
typedef struct AnnCallable {
    int graph;
    bool bound;
} AnnCallable;

/* An annotation.  Immutable once built (the mutable parts are the list and
 * dict definitions it points to). */
struct Ann {
    AnnKind kind;
    bool nullable; /* INSTANCE, LIST, DICT, FUNCTION: may also be null */
    bool is_const; /* INT, BOOL, CHAR (const_int), STR (const_str) */
    int64_t const_int;
    const char *const_str;
    int const_length;
    int class_index;     /* INSTANCE */
    AnnListDef *listdef; /* LIST; ITERATOR with ANN_VIEW_LIST */
    AnnDictDef *dictdef; /* DICT, DICT_VIEW; ITERATOR over a view */
    AnnView view;        /* ITERATOR, DICT_VIEW */
    const Ann **items;   /* TUPLE */
    int item_count;
    const AnnCallable *callables; /* FUNCTION: sorted by graph, then bound */
    int callable_count;
};

typedef struct Annotator Annotator;

/* ---- the lattice (ann_lattice.c) ---------------------------------------- */

const Ann *ann_simple(Annotator *annotator, AnnKind kind); /* BOTTOM VOID NULL INT ... THREAD */
const Ann *ann_const_int(Annotator *annotator, AnnKind kind, int64_t value); /* INT BOOL CHAR */
const Ann *ann_const_str(Annotator *annotator, const char *text, int length);
const Ann *ann_instance(Annotator *annotator, int class_index, bool nullable);
const Ann *ann_new_list(Annotator *annotator, const Ann *item, SrcPos origin);
const Ann *ann_new_dict(Annotator *annotator, const Ann *key, const Ann *value, SrcPos origin);
const Ann *ann_tuple(Annotator *annotator, const Ann **items, int count);
const Ann *ann_function(Annotator *annotator, const AnnCallable *callables, int count);
const Ann *ann_iterator(Annotator *annotator, AnnView view, AnnListDef *list, AnnDictDef *dict);
const Ann *ann_dict_view(Annotator *annotator, AnnView view, AnnDictDef *dict);
/* The same annotation without a constant value / with nullability set. */
const Ann *ann_drop_const(Annotator *annotator, const Ann *ann);
const Ann *ann_with_nullable(Annotator *annotator, const Ann *ann, bool nullable);

AnnListDef *ann_listdef_root(AnnListDef *def);
AnnDictDef *ann_dictdef_root(AnnDictDef *def);

/* The least upper bound of a and b, or NULL when they have none (a type
 * error).  Merges list and dict definitions as a side effect (their
 * readers are scheduled when an element generalizes).  On failure,
 * *left_fault and *right_fault (when not NULL) name the two parts that
 * did not unify (e.g. the items of two lists). */
const Ann *ann_union(Annotator *annotator, const Ann *a, const Ann *b, const Ann **left_fault,
                     const Ann **right_fault);
bool ann_equal(const Ann *a, const Ann *b);
/* Whether a class type may hold null (class, list, dict and fn types). */
bool ann_is_nullable_kind(AnnKind kind);
/* The type as Kiln C writes it: `int`, `list<str>`, `Node`, `Node?` for a
 * nullable instance, `fn{f, Adder.apply}`, `null`, `?` for bottom.
 * Written into the annotator's arena. */
const char *ann_to_string(Annotator *annotator, const Ann *ann);
/* Appends the text form to out (a FILE); constants show their value. */
void ann_print(FILE *out, Annotator *annotator, const Ann *ann, bool with_const);

/* ---- the annotator ------------------------------------------------------ */

Annotator *ann_create(const FlowProgram *program, DiagContext *diag);
void ann_destroy(Annotator *annotator);
/* Annotates the program from main.  interp, when not NULL, has run the
 * global initializers; without it globals are typed from their annotations
 * and writes only.  Reports errors and warnings through diag; returns the
 * number of type errors. */
int ann_run(Annotator *annotator, struct Interp *interp);

/* Results, for the dump, the tests and later stages. */
int ann_func_count(const Annotator *annotator);
const FlowGraph *ann_func_graph(const Annotator *annotator, int func);
/* NULL for an unspecialized copy; else the argument types that keyed it. */
const char *ann_func_key(const Annotator *annotator, int func);
/* The annotation of variable `var` of copy `func`; bottom when unknown. */
const Ann *ann_var(const Annotator *annotator, int func, int var);
const Ann *ann_func_result(const Annotator *annotator, int func);
/* The first copy of a graph, or -1 when the graph was never reached. */
int ann_func_of_graph(const Annotator *annotator, int graph);
bool ann_block_reached(const Annotator *annotator, int func, int block);
/* How many leading operations of a reached block complete: the operation at
 * that index (when below op_count) never completes (an argument is a local
 * never assigned, or a value no path computes), and later ones never run. */
int ann_block_completed_ops(const Annotator *annotator, int func, int block);
const Ann *ann_field(const Annotator *annotator, int class_index, int field);
const Ann *ann_global(const Annotator *annotator, int global);

/* `kiln annotate --dump`: every reached function's signature and every
 * variable's type, then the fields and globals (ann_dump.c). */
void ann_dump(FILE *out, Annotator *annotator);
/* `kiln flow --dot --types`: the flow graphs with types on the variables. */
void ann_dot(FILE *out, Annotator *annotator);
/* The verifier for debug builds: no variable that a reached block defines
 * before the point where flowing stopped is bottom.  Returns the number of
 * violations, each reported on out. */
int ann_verify(Annotator *annotator, FILE *out);

#endif
