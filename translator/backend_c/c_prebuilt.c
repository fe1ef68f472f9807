/* c_prebuilt.c - the values of globals, computed at translation time by
 * the graph interpreter, as static data of the VM.
 *
 * Every object reachable from a global becomes a static array of words,
 * kobj_N, that starts with GC_PREBUILT_HEADER (old from birth, never moved,
 * with the write-barrier flag set: its first store of a reference makes it
 * a root of later collections).  Strings, lists with their item arrays,
 * instances, tuples, bound methods and the dicts whose keys are ints,
 * bools, chars or strs are all static (the annotator refuses builders in
 * globals): a dict is laid out
 * with the hashes and probe order rtlib would give it (rt_hash_bytes,
 * rt_hash_mix).  Dicts with other keys (instances hash by their address,
 * known only at run time) are built by kiln_init at start-up instead, in
 * a GC frame `fr`; a static word that refers to one is 0 in the data and
 * stored by kiln_init through the write barrier.
 *
 * Invariant: a static object's initializer refers only to static objects
 * (declared before all definitions, so cycles are fine) and to kfn_N. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "../../rtlib/rt.h"
#include "c_internal.h"

typedef struct CPrebuiltSlot {
    uintptr_t identity;
    bool dynamic; /* built by kiln_init in fr[index], not static */
} CPrebuiltSlot;

typedef struct CPrebuilt {
    FILE *decls; /* forward declarations of every static object */
    FILE *defs;  /* their definitions */
    FILE *init;  /* the body of kiln_init */
    RtypeProgram *rtype;
    Vec(CPrebuiltSlot) slots;
} CPrebuilt;

/* A value as a word: a constant expression in `expr` for static data, and
 * the slot of a dynamic object (whose word kiln_init must store) or -1. */
typedef struct CWord {
    char expr[96];
    char pointer[96]; /* the same as a pointer constant (references) */
    int dynamic_slot;
    bool unset; /* an unassigned field or global: no value */
} CWord;

static CWord c_prebuilt_word(CPrebuilt *state, InterpValue value, const Ann *ann);

static RtypeRepr c_global_repr_of(const RtypeProgram *rtype, int global) {
    return rtype_repr_of(ann_global(rtype->annotator, global));
}

static int c_prebuilt_find(CPrebuilt *state, InterpValue value) {
    uintptr_t identity = interp_value_identity(value);
    for (int i = 0; i < state->slots.count; i++)
        if (state->slots.items[i].identity == identity) return i;
    return -1;
}

/* Writes the initializer words of a static object, then its definition. */
typedef struct CStatic {
    char *text;
    size_t size;
    FILE *out;
    int words;
} CStatic;

static void c_static_begin(CStatic *object, uint32_t type_id) {
    object->text = NULL;
    object->out = open_memstream(&object->text, &object->size);
    fprintf(object->out, "GC_PREBUILT_HEADER(%u)", type_id);
    object->words = 1;
}

static void c_static_word(CStatic *object, const char *expr) {
    fprintf(object->out, ", %s", expr);
    object->words++;
}

/* A word that refers to a value; a dynamic object's is patched at start-up
 * by kiln_init: through rt_list_store at index `list_patch` for a list's
 * items, else through the write barrier at the word it fills. */
static void c_static_value(CPrebuilt *state, CStatic *object, int slot, CWord word,
                           const char *list_patch) {
    if (word.dynamic_slot < 0) {
        c_static_word(object, word.expr);
        return;
    }
    if (list_patch)
        fprintf(state->init, "    rt_list_store(th, (RtList *)kobj_%d, %s, %s);\n", slot,
                list_patch, word.expr);
    else
        fprintf(state->init, "    gc_write_barrier(th, kobj_%d); kobj_%d[%d] = %s;\n", slot, slot,
                object->words, word.expr);
    c_static_word(object, "0");
}

static void c_static_end(CPrebuilt *state, CStatic *object, const char *name, int minimum) {
    while (object->words < minimum)
        c_static_word(object, "0");
    fclose(object->out);
    fprintf(state->decls, "static int64_t %s[%d];\n", name, object->words);
    fprintf(state->defs, "static _Alignas(8) int64_t %s[%d] = {%s};\n", name, object->words,
            object->text);
    free(object->text);
}

/* A str: header, hash (0: computed when needed), length, then the bytes
 * and a NUL packed into words in the host's byte order. */
static void c_static_str(CPrebuilt *state, const char *bytes, size_t length, const char *name) {
    CStatic object;
    c_static_begin(&object, RT_TYPE_STR);
    c_static_word(&object, "0");
    char expr[64];
    snprintf(expr, sizeof expr, "%zu", length);
    c_static_word(&object, expr);
    for (size_t at = 0; at <= length; at += 8) {
        unsigned char chunk[8] = {0};
        size_t take = length - at < 8 ? length - at : 8;
        memcpy(chunk, bytes + at, take);
        uint64_t packed;
        memcpy(&packed, chunk, sizeof packed);
        snprintf(expr, sizeof expr, "(int64_t)UINT64_C(0x%" PRIx64 ")", packed);
        c_static_word(&object, expr);
    }
    c_static_end(state, &object, name, 2);
}

static const Ann *c_list_item(const Ann *ann) {
    return ann && ann->kind == ANN_LIST ? ann_listdef_root(ann->listdef)->item.ann : NULL;
}

static void c_static_list(CPrebuilt *state, InterpValue value, const Ann *ann, int slot) {
    size_t length = interp_value_length(value);
    const Ann *item = c_list_item(ann);
    bool refs = item && rtype_repr_of(item) == RTYPE_REF;
    char name[64], expr[96];
    CStatic items;
    c_static_begin(&items, refs ? RT_TYPE_ARRAY_REF : RT_TYPE_ARRAY_RAW);
    snprintf(expr, sizeof expr, "%zu", length < 4 ? 4 : length);
    c_static_word(&items, expr);
    for (size_t i = 0; i < length; i++) {
        CWord word = c_prebuilt_word(state, interp_value_item(value, i), item);
        snprintf(expr, sizeof expr, "%zu", i);
        c_static_value(state, &items, slot, word, expr);
    }
    while (items.words < 2 + 4)
        c_static_word(&items, "0");
    snprintf(name, sizeof name, "kobj_%d_items", slot);
    c_static_end(state, &items, name, 2);
    CStatic list;
    c_static_begin(&list, RT_TYPE_LIST);
    snprintf(expr, sizeof expr, "%zu", length);
    c_static_word(&list, expr);
    snprintf(expr, sizeof expr, "(int64_t)(intptr_t)kobj_%d_items", slot);
    c_static_word(&list, expr);
    snprintf(name, sizeof name, "kobj_%d", slot);
    c_static_end(state, &list, name, 2);
}

/* An instance (fields at their words, "assigned" bits set for the scalar
 * fields that hold a value) or a tuple. */
static void c_static_record(CPrebuilt *state, InterpValue value, const Ann *ann, int slot) {
    RtypeProgram *rtype = state->rtype;
    size_t length = interp_value_length(value);
    bool instance = interp_value_kind(value) == INTERP_VALUE_INSTANCE;
    int cls = instance ? interp_value_class(value) : -1;
    int words = instance ? rtype->classes[cls].words : 1 + (int)length;
    uint32_t type_id =
        instance ? (uint32_t)rtype->classes[cls].type_id : (uint32_t)rtype_tuple_type(rtype, ann);
    CWord *values = calloc(words + 1, sizeof(CWord));
    uint64_t *assigned = calloc(words + 1, sizeof(uint64_t));
    for (int w = 0; w < words; w++)
        snprintf(values[w].expr, sizeof values[w].expr, "0"), values[w].dynamic_slot = -1;
    for (size_t i = 0; i < length; i++) {
        const Ann *field_ann = instance ? ann_field(rtype->annotator, cls, (int)i)
                                        : (ann && ann->kind == ANN_TUPLE ? ann->items[i] : NULL);
        CWord word = c_prebuilt_word(state, interp_value_item(value, i), field_ann);
        int at = instance ? rtype->classes[cls].fields[i].word : 1 + (int)i;
        values[at] = word;
        if (instance && rtype->classes[cls].fields[i].assigned_word >= 0 && !word.unset)
            assigned[rtype->classes[cls].fields[i].assigned_word] |=
                UINT64_C(1) << rtype->classes[cls].fields[i].assigned_bit;
    }
    CStatic object;
    c_static_begin(&object, type_id);
    for (int w = 1; w < words; w++) {
        if (assigned[w])
            snprintf(values[w].expr, sizeof values[w].expr, "%" PRId64, (int64_t)assigned[w]);
        c_static_value(state, &object, slot, values[w], NULL);
    }
    char name[64];
    snprintf(name, sizeof name, "kobj_%d", slot);
    c_static_end(state, &object, name, 2);
    free(values);
    free(assigned);
}

/* Whether a dict's keys hash the same at translation time as at run time:
 * ints, bools and chars by their value, strs by their bytes.  Other keys
 * (instances hash by their address) make the dict one kiln_init builds. */
static bool c_static_dict_keys(const Ann *ann) {
    if (!ann || ann->kind != ANN_DICT) return false;
    AnnKind kind = ann_dictdef_root(ann->dictdef)->key.ann->kind;
    return kind == ANN_INT || kind == ANN_BOOL || kind == ANN_CHAR || kind == ANN_STR;
}

/* The hash rtlib gives a key of a static dict (rt_val_hash | live bit). */
static uint64_t c_static_key_hash(InterpValue key) {
    if (interp_value_kind(key) == INTERP_VALUE_STR) {
        size_t length;
        const char *bytes = interp_value_str(key, &length);
        return rt_hash_bytes(bytes, (int64_t)length) | RT_HASH_LIVE;
    }
    return (uint64_t)interp_value_int(key) | RT_HASH_LIVE;
}

/* A dict laid out as rt_dict_rebuild would make it for its entries: the
 * index a power of two at most 2/3 full, each key at its probe slot, the
 * entries in insertion order.  A value that kiln_init builds is stored
 * into the entries by kiln_init, through the write barrier. */
static void c_static_dict(CPrebuilt *state, InterpValue value, const Ann *ann, int slot) {
    AnnDictDef *def = ann_dictdef_root(ann->dictdef);
    bool key_refs = rtype_repr_of(def->key.ann) == RTYPE_REF;
    bool value_refs = rtype_repr_of(def->value.ann) == RTYPE_REF;
    int64_t count = (int64_t)interp_value_length(value);
    int64_t capacity = 8;
    while (capacity * 2 < count * 3)
        capacity *= 2;
    int64_t entry_capacity = capacity * 2 / 3 + 1;
    int64_t *index = calloc((size_t)capacity, sizeof *index);
    char name[64], expr[96];
    CStatic entries;
    c_static_begin(&entries,
                   key_refs ? (value_refs ? RT_TYPE_ENTRIES_REF_REF : RT_TYPE_ENTRIES_REF_RAW)
                            : (value_refs ? RT_TYPE_ENTRIES_RAW_REF : RT_TYPE_ENTRIES_RAW_RAW));
    snprintf(expr, sizeof expr, "%" PRId64, entry_capacity);
    c_static_word(&entries, expr);
    for (int64_t i = 0; i < count; i++) {
        InterpValue key, item;
        interp_value_dict_entry(value, (size_t)i, &key, &item);
        uint64_t hash = c_static_key_hash(key);
        uint64_t at = rt_hash_mix(hash) & (uint64_t)(capacity - 1);
        while (index[at])
            at = (at + 1) & (uint64_t)(capacity - 1);
        index[at] = i + 1;
        snprintf(expr, sizeof expr, "(int64_t)UINT64_C(0x%" PRIx64 ")", hash);
        c_static_word(&entries, expr);
        c_static_word(&entries, c_prebuilt_word(state, key, def->key.ann).expr);
        CWord word = c_prebuilt_word(state, item, def->value.ann);
        if (word.dynamic_slot >= 0)
            fprintf(state->init,
                    "    gc_write_barrier(th, kobj_%d_entries); kobj_%d_entries[%d] = %s;\n", slot,
                    slot, entries.words, word.expr);
        c_static_word(&entries, word.dynamic_slot >= 0 ? "0" : word.expr);
    }
    snprintf(name, sizeof name, "kobj_%d_entries", slot);
    c_static_end(state, &entries, name, 2 + 3 * (int)entry_capacity);
    CStatic table;
    c_static_begin(&table, RT_TYPE_ARRAY_RAW);
    snprintf(expr, sizeof expr, "%" PRId64, capacity);
    c_static_word(&table, expr);
    for (int64_t i = 0; i < capacity; i++) {
        snprintf(expr, sizeof expr, "%" PRId64, index[i]);
        c_static_word(&table, expr);
    }
    snprintf(name, sizeof name, "kobj_%d_index", slot);
    c_static_end(state, &table, name, 2);
    free(index);
    CStatic dict;
    c_static_begin(&dict, RT_TYPE_DICT);
    snprintf(expr, sizeof expr, "%" PRId64, count);
    c_static_word(&dict, expr);
    snprintf(expr, sizeof expr, "(int64_t)(intptr_t)kobj_%d_entries", slot);
    c_static_word(&dict, expr);
    snprintf(expr, sizeof expr, "(int64_t)(intptr_t)kobj_%d_index", slot);
    c_static_word(&dict, expr);
    snprintf(expr, sizeof expr, "%" PRId64, count);
    c_static_word(&dict, expr);
    snprintf(name, sizeof name, "kobj_%d", slot);
    c_static_end(state, &dict, name, 2);
}

/* The objects kiln_init builds: dicts whose keys hash by address. */
static void c_dynamic_object(CPrebuilt *state, InterpValue value, const Ann *ann, int slot) {
    RtypeProgram *rtype = state->rtype;
    FILE *out = state->init;
    AnnDictDef *def = ann_dictdef_root(ann->dictdef);
    int key_type = rtype_valtype(rtype, def->key.ann);
    fprintf(out, "    fr[%d] = rt_dict_new(th, %d, %d);\n", slot,
            rtype_repr_of(def->key.ann) == RTYPE_REF, rtype_repr_of(def->value.ann) == RTYPE_REF);
    size_t length = interp_value_length(value);
    for (size_t i = 0; i < length; i++) {
        InterpValue key, item;
        interp_value_dict_entry(value, i, &key, &item);
        CWord key_word = c_prebuilt_word(state, key, def->key.ann);
        CWord item_word = c_prebuilt_word(state, item, def->value.ann);
        fprintf(out, "    rt_dict_set(th, fr[%d], %s, %s, &kval_%d);\n", slot, key_word.expr,
                item_word.expr, key_type);
    }
}

static void c_prebuilt_object(CPrebuilt *state, InterpValue value, const Ann *ann, int slot) {
    InterpValueKind kind = interp_value_kind(value);
    char name[64];
    snprintf(name, sizeof name, "kobj_%d", slot);
    switch (kind) {
    case INTERP_VALUE_STR: {
        size_t length;
        const char *bytes = interp_value_str(value, &length);
        c_static_str(state, bytes, length, name);
        return;
    }
    case INTERP_VALUE_LIST: c_static_list(state, value, ann, slot); return;
    case INTERP_VALUE_DICT: c_static_dict(state, value, ann, slot); return;
    case INTERP_VALUE_INSTANCE: c_static_record(state, value, ann, slot); return;
    case INTERP_VALUE_BOUND_METHOD: {
        CWord receiver = c_prebuilt_word(state, interp_value_receiver(value), NULL);
        int func = ann_func_of_graph(state->rtype->annotator, (int)interp_value_int(value));
        CStatic object;
        c_static_begin(&object, RT_TYPE_FUNC);
        c_static_value(state, &object, slot, receiver, NULL);
        char code[128];
        snprintf(code, sizeof code, "(int64_t)(intptr_t)%s",
                 func >= 0 ? state->rtype->funcs[func].c_name : "0");
        c_static_word(&object, code);
        c_static_word(&object, "1");
        c_static_end(state, &object, name, 2);
        return;
    }
    default: c_static_record(state, value, ann, slot); return; /* a tuple */
    }
}

static CWord c_prebuilt_word(CPrebuilt *state, InterpValue value, const Ann *ann) {
    CWord word = {{0}, {0}, -1, false};
    snprintf(word.pointer, sizeof word.pointer, "0");
    InterpValueKind kind = interp_value_kind(value);
    switch (kind) {
    case INTERP_VALUE_INT:
    case INTERP_VALUE_BOOL:
    case INTERP_VALUE_CHAR:
        if (interp_value_int(value) == INT64_MIN)
            snprintf(word.expr, sizeof word.expr, "INT64_MIN");
        else
            snprintf(word.expr, sizeof word.expr, "INT64_C(%" PRId64 ")", interp_value_int(value));
        return word;
    case INTERP_VALUE_FLOAT: {
        double number = interp_value_float(value);
        uint64_t bits;
        memcpy(&bits, &number, sizeof bits);
        snprintf(word.expr, sizeof word.expr, "(int64_t)UINT64_C(0x%" PRIx64 ")", bits);
        return word;
    }
    case INTERP_VALUE_FUNCTION: {
        int func = ann_func_of_graph(state->rtype->annotator, (int)interp_value_int(value));
        snprintf(word.expr, sizeof word.expr, func >= 0 ? "(int64_t)(intptr_t)&kfn_%d" : "0", func);
        snprintf(word.pointer, sizeof word.pointer, func >= 0 ? "&kfn_%d" : "0", func);
        return word;
    }
    case INTERP_VALUE_NULL:
    case INTERP_VALUE_VOID: snprintf(word.expr, sizeof word.expr, "0"); return word;
    case INTERP_VALUE_UNSET:
        snprintf(word.expr, sizeof word.expr, "0");
        word.unset = true;
        return word;
    default: break;
    }
    bool dynamic =
        kind == INTERP_VALUE_DICT && ann && ann->kind == ANN_DICT && !c_static_dict_keys(ann);
    bool prebuilt = (kind == INTERP_VALUE_DICT && c_static_dict_keys(ann)) ||
                    kind == INTERP_VALUE_STR || kind == INTERP_VALUE_LIST ||
                    kind == INTERP_VALUE_INSTANCE || kind == INTERP_VALUE_BOUND_METHOD ||
                    (kind == INTERP_VALUE_TUPLE && ann && ann->kind == ANN_TUPLE);
    if (!dynamic && !prebuilt) {
        /* a value no global may hold (the annotator refuses iterators,
         * views and threads in globals): nothing to build */
        snprintf(word.expr, sizeof word.expr, "0");
        return word;
    }
    int slot = c_prebuilt_find(state, value);
    if (slot < 0) {
        CPrebuiltSlot entry = {interp_value_identity(value), dynamic};
        vec_push(&state->slots, entry);
        slot = state->slots.count - 1;
        if (dynamic)
            c_dynamic_object(state, value, ann, slot);
        else
            c_prebuilt_object(state, value, ann, slot);
    }
    if (state->slots.items[slot].dynamic) {
        snprintf(word.expr, sizeof word.expr, "rt_word_of_ref(fr[%d])", slot);
        word.dynamic_slot = slot;
    } else {
        snprintf(word.expr, sizeof word.expr, "(int64_t)(intptr_t)kobj_%d", slot);
        snprintf(word.pointer, sizeof word.pointer, "(void *)kobj_%d", slot);
    }
    return word;
}

void c_emit_globals(FILE *out, RtypeProgram *rtype, Interp *interp) {
    const FlowProgram *flow = rtype->flow;
    char *decls = NULL, *defs = NULL, *init = NULL, *globals = NULL;
    size_t decls_size = 0, defs_size = 0, init_size = 0, globals_size = 0;
    CPrebuilt state = {open_memstream(&decls, &decls_size),
                       open_memstream(&defs, &defs_size),
                       open_memstream(&init, &init_size),
                       rtype,
                       {0}};
    FILE *global_out = open_memstream(&globals, &globals_size);
    for (int i = 0; i < flow->global_count; i++) {
        RtypeRepr repr = c_global_repr_of(rtype, i);
        CWord word = c_prebuilt_word(&state, interp_global_value(interp, i),
                                     ann_global(rtype->annotator, i));
        if (word.dynamic_slot >= 0) {
            fprintf(global_out, "%s g%d;\n", c_repr_types[repr], i);
            fprintf(state.init, "    g%d = fr[%d];\n", i, word.dynamic_slot);
        } else if (repr == RTYPE_FLOAT) {
            /* a double made from its bits is no constant expression */
            fprintf(global_out, "%s g%d;\n", c_repr_types[repr], i);
            fprintf(state.init, "    g%d = rt_float_of_word(%s);\n", i, word.expr);
        } else {
            fprintf(global_out, "%s g%d = %s;\n", c_repr_types[repr], i,
                    repr == RTYPE_REF ? word.pointer : word.expr);
        }
        fprintf(global_out, "int64_t gset%d = %d;\n", i, !word.unset);
    }
    fclose(state.decls);
    fclose(state.defs);
    fclose(state.init);
    fclose(global_out);
    fwrite(decls, 1, decls_size, out);
    fwrite(defs, 1, defs_size, out);
    fwrite(globals, 1, globals_size, out);
    fputs("static void kiln_init(GcThread *th) {\n", out);
    fprintf(out, "    void **fr = gc_enter_frame(th, %d);\n    (void)fr;\n", state.slots.count + 1);
    fwrite(init, 1, init_size, out);
    fputs("    gc_leave_frame(th, fr);\n}\n", out);
    free(decls);
    free(defs);
    free(init);
    free(globals);
    vec_free(&state.slots);
    fputs("static void **const kiln_roots[] = {", out);
    for (int i = 0; i < flow->global_count; i++)
        if (c_global_repr_of(rtype, i) == RTYPE_REF) fprintf(out, "(void **)&g%d, ", i);
    fputs("NULL};\n", out);
}
