/* ann_lattice.c - annotations and their union (the lattice of annotate.h).
 *
 * Annotations are immutable values in the annotator's arena; the simple
 * ones are shared.  Lists and dicts point to definitions that merge
 * (union-find) when two of them meet in a union: afterwards both lists
 * have one element slot, generalized to the union of the two.  A merge
 * that generalizes an element schedules the blocks that read it.
 */
#include <stdlib.h>
#include <string.h>

#include "ann_internal.h"

static Ann *ann_alloc(Annotator *annotator, AnnKind kind) {
    Ann *ann = ARENA_NEW(&annotator->arena, Ann);
    ann->kind = kind;
    ann->class_index = -1;
    return ann;
}

const Ann *ann_simple(Annotator *annotator, AnnKind kind) {
    if (!annotator->simple[kind]) annotator->simple[kind] = ann_alloc(annotator, kind);
    return annotator->simple[kind];
}

const Ann *ann_const_int(Annotator *annotator, AnnKind kind, int64_t value) {
    Ann *ann = ann_alloc(annotator, kind);
    ann->is_const = true;
    ann->const_int = value;
    return ann;
}

const Ann *ann_const_str(Annotator *annotator, const char *text, int length) {
    Ann *ann = ann_alloc(annotator, ANN_STR);
    ann->is_const = true;
    ann->const_str = text;
    ann->const_length = length;
    return ann;
}

const Ann *ann_instance(Annotator *annotator, int class_index, bool nullable) {
    Ann *ann = ann_alloc(annotator, ANN_INSTANCE);
    ann->class_index = class_index;
    ann->nullable = nullable;
    return ann;
}

const Ann *ann_new_list(Annotator *annotator, const Ann *item, SrcPos origin) {
    AnnListDef *def = ARENA_NEW(&annotator->arena, AnnListDef);
    def->id = ++annotator->next_def_id;
    vec_push(&annotator->def_readers, &def->readers);
    def->item.ann = item ? item : ann_simple(annotator, ANN_BOTTOM);
    def->item.origin = origin;
    Ann *ann = ann_alloc(annotator, ANN_LIST);
    ann->listdef = def;
    return ann;
}

const Ann *ann_new_dict(Annotator *annotator, const Ann *key, const Ann *value, SrcPos origin) {
    AnnDictDef *def = ARENA_NEW(&annotator->arena, AnnDictDef);
    def->id = ++annotator->next_def_id;
    vec_push(&annotator->def_readers, &def->readers);
    def->key.ann = key ? key : ann_simple(annotator, ANN_BOTTOM);
    def->value.ann = value ? value : ann_simple(annotator, ANN_BOTTOM);
    def->key.origin = def->value.origin = origin;
    Ann *ann = ann_alloc(annotator, ANN_DICT);
    ann->dictdef = def;
    return ann;
}

const Ann *ann_tuple(Annotator *annotator, const Ann **items, int count) {
    Ann *ann = ann_alloc(annotator, ANN_TUPLE);
    ann->items = arena_memdup(&annotator->arena, items, sizeof(*items) * (size_t)count);
    ann->item_count = count;
    return ann;
}

static int ann_callable_compare(const void *left, const void *right) {
    const AnnCallable *a = left, *b = right;
    if (a->graph != b->graph) return a->graph < b->graph ? -1 : 1;
    return (int)a->bound - (int)b->bound;
}

const Ann *ann_function(Annotator *annotator, const AnnCallable *callables, int count) {
    Ann *ann = ann_alloc(annotator, ANN_FUNCTION);
    AnnCallable *copy = ARENA_NEW_ARRAY(&annotator->arena, AnnCallable, count > 0 ? count : 1);
    if (count > 0) {
        memcpy(copy, callables, sizeof(*copy) * (size_t)count);
        qsort(copy, (size_t)count, sizeof(*copy), ann_callable_compare);
    }
    int unique = 0;
    for (int i = 0; i < count; i++)
        if (unique == 0 || ann_callable_compare(&copy[unique - 1], &copy[i]) != 0)
            copy[unique++] = copy[i];
    ann->callables = copy;
    ann->callable_count = unique;
    return ann;
}

const Ann *ann_iterator(Annotator *annotator, AnnView view, AnnListDef *list, AnnDictDef *dict) {
    Ann *ann = ann_alloc(annotator, ANN_ITERATOR);
    ann->view = view;
    ann->listdef = list;
    ann->dictdef = dict;
    return ann;
}

const Ann *ann_dict_view(Annotator *annotator, AnnView view, AnnDictDef *dict) {
    Ann *ann = ann_alloc(annotator, ANN_DICT_VIEW);
    ann->view = view;
    ann->dictdef = dict;
    return ann;
}

const Ann *ann_drop_const(Annotator *annotator, const Ann *ann) {
    if (!ann->is_const) return ann;
    return ann_simple(annotator, ann->kind);
}

const Ann *ann_with_nullable(Annotator *annotator, const Ann *ann, bool nullable) {
    if (ann->nullable == nullable) return ann;
    Ann *copy = ann_alloc(annotator, ann->kind);
    *copy = *ann;
    copy->nullable = nullable;
    return copy;
}

AnnListDef *ann_listdef_root(AnnListDef *def) {
    while (def->parent) {
        if (def->parent->parent) def->parent = def->parent->parent; /* path halving */
        def = def->parent;
    }
    return def;
}

AnnDictDef *ann_dictdef_root(AnnDictDef *def) {
    while (def->parent) {
        if (def->parent->parent) def->parent = def->parent->parent;
        def = def->parent;
    }
    return def;
}

bool ann_is_nullable_kind(AnnKind kind) {
    return kind == ANN_INSTANCE || kind == ANN_LIST || kind == ANN_DICT || kind == ANN_FUNCTION;
}

bool ann_equal(const Ann *a, const Ann *b) {
    if (a == b) return true;
    if (a->kind != b->kind || a->nullable != b->nullable || a->is_const != b->is_const)
        return false;
    if (a->is_const) {
        if (a->kind == ANN_STR)
            return a->const_length == b->const_length &&
                   memcmp(a->const_str, b->const_str, (size_t)a->const_length) == 0;
        return a->const_int == b->const_int;
    }
    switch (a->kind) {
    case ANN_INSTANCE: return a->class_index == b->class_index;
    case ANN_LIST: return ann_listdef_root(a->listdef) == ann_listdef_root(b->listdef);
    case ANN_DICT: return ann_dictdef_root(a->dictdef) == ann_dictdef_root(b->dictdef);
    case ANN_TUPLE:
        if (a->item_count != b->item_count) return false;
        for (int i = 0; i < a->item_count; i++)
            if (!ann_equal(a->items[i], b->items[i])) return false;
        return true;
    case ANN_FUNCTION:
        if (a->callable_count != b->callable_count) return false;
        for (int i = 0; i < a->callable_count; i++)
            if (ann_callable_compare(&a->callables[i], &b->callables[i]) != 0) return false;
        return true;
    case ANN_ITERATOR:
    case ANN_DICT_VIEW:
        if (a->view != b->view) return false;
        if (a->view == ANN_VIEW_LIST)
            return ann_listdef_root(a->listdef) == ann_listdef_root(b->listdef);
        if (a->view == ANN_VIEW_STR) return true;
        return ann_dictdef_root(a->dictdef) == ann_dictdef_root(b->dictdef);
    default: return true;
    }
}

/* Generalizes element slot `into` by `from` (both of merged definitions). */
static bool ann_merge_element(Annotator *annotator, AnnSlot *into, const AnnSlot *from,
                              const Ann **left_fault, const Ann **right_fault) {
    const Ann *merged = ann_union(annotator, into->ann, from->ann, left_fault, right_fault);
    if (!merged) return false;
    if (into->ann->kind == ANN_BOTTOM) into->origin = from->origin;
    into->ann = merged;
    into->in_error = into->in_error || from->in_error;
    return true;
}

static void ann_readers_join(AnnReaders *into, AnnReaders *from) {
    for (int i = 0; i < from->count; i++)
        vec_push(into, from->items[i]);
    vec_free(from);
}

static bool ann_merge_lists(Annotator *annotator, AnnListDef *a, AnnListDef *b, const Ann **left,
                            const Ann **right) {
    a = ann_listdef_root(a);
    b = ann_listdef_root(b);
    if (a == b) return true;
    const Ann *old_a = a->item.ann, *old_b = b->item.ann;
    if (!ann_merge_element(annotator, &a->item, &b->item, left, right)) return false;
    b->parent = a;
    /* Whoever read either side reads the merged element now. */
    bool changed_a = !ann_equal(old_a, a->item.ann), changed_b = !ann_equal(old_b, a->item.ann);
    if (changed_b) ann_readers_schedule(annotator, &b->readers);
    if (changed_a) ann_readers_schedule(annotator, &a->readers);
    ann_readers_join(&a->readers, &b->readers);
    return true;
}

static bool ann_merge_dicts(Annotator *annotator, AnnDictDef *a, AnnDictDef *b, const Ann **left,
                            const Ann **right) {
    a = ann_dictdef_root(a);
    b = ann_dictdef_root(b);
    if (a == b) return true;
    const Ann *old_ak = a->key.ann, *old_av = a->value.ann;
    const Ann *old_bk = b->key.ann, *old_bv = b->value.ann;
    if (!ann_merge_element(annotator, &a->key, &b->key, left, right)) return false;
    if (!ann_merge_element(annotator, &a->value, &b->value, left, right)) return false;
    b->parent = a;
    if (!ann_equal(old_bk, a->key.ann) || !ann_equal(old_bv, a->value.ann))
        ann_readers_schedule(annotator, &b->readers);
    if (!ann_equal(old_ak, a->key.ann) || !ann_equal(old_av, a->value.ann))
        ann_readers_schedule(annotator, &a->readers);
    ann_readers_join(&a->readers, &b->readers);
    return true;
}

/* The nearest common base of two classes, or -1. */
static int ann_common_base(const FlowProgram *program, int a, int b) {
    while (a >= 0 && b >= 0 && a != b) {
        if (program->classes[a].depth > program->classes[b].depth)
            a = program->classes[a].base;
        else if (program->classes[b].depth > program->classes[a].depth)
            b = program->classes[b].base;
        else {
            a = program->classes[a].base;
            b = program->classes[b].base;
        }
    }
    return a == b ? a : -1;
}

static const Ann *ann_union_same(Annotator *annotator, const Ann *a, const Ann *b, const Ann **left,
                                 const Ann **right) {
    bool nullable = a->nullable || b->nullable;
    switch (a->kind) {
    case ANN_INSTANCE: {
        int base = ann_common_base(annotator->program, a->class_index, b->class_index);
        if (base < 0) return NULL;
        if (base == a->class_index && nullable == a->nullable) return a;
        return ann_instance(annotator, base, nullable);
    }
    case ANN_LIST:
        if (!ann_merge_lists(annotator, a->listdef, b->listdef, left, right)) return NULL;
        return ann_with_nullable(annotator, a, nullable);
    case ANN_DICT:
        if (!ann_merge_dicts(annotator, a->dictdef, b->dictdef, left, right)) return NULL;
        return ann_with_nullable(annotator, a, nullable);
    case ANN_TUPLE: {
        if (a->item_count != b->item_count) return NULL;
        const Ann **items = ARENA_NEW_ARRAY(&annotator->arena, const Ann *, a->item_count);
        bool same = true;
        for (int i = 0; i < a->item_count; i++) {
            items[i] = ann_union(annotator, a->items[i], b->items[i], left, right);
            if (!items[i]) return NULL;
            same = same && items[i] == a->items[i];
        }
        return same ? a : ann_tuple(annotator, items, a->item_count);
    }
    case ANN_FUNCTION: {
        int count = a->callable_count + b->callable_count;
        AnnCallable *all = ARENA_NEW_ARRAY(&annotator->arena, AnnCallable, count);
        memcpy(all, a->callables, sizeof(*all) * (size_t)a->callable_count);
        memcpy(all + a->callable_count, b->callables, sizeof(*all) * (size_t)b->callable_count);
        const Ann *merged = ann_function(annotator, all, count);
        if (nullable) merged = ann_with_nullable(annotator, merged, true);
        return ann_equal(merged, a) ? a : merged;
    }
    case ANN_ITERATOR:
    case ANN_DICT_VIEW:
        if (a->view != b->view) return NULL;
        if (a->view == ANN_VIEW_LIST &&
            !ann_merge_lists(annotator, a->listdef, b->listdef, left, right))
            return NULL;
        if (a->view >= ANN_VIEW_KEYS &&
            !ann_merge_dicts(annotator, a->dictdef, b->dictdef, left, right))
            return NULL;
        return a;
    default:
        /* Scalars: equal constants stay, different ones give the type. */
        if (a->is_const && ann_equal(a, b)) return a;
        return ann_simple(annotator, a->kind);
    }
}

const Ann *ann_union(Annotator *annotator, const Ann *a, const Ann *b, const Ann **left_fault,
                     const Ann **right_fault) {
    const Ann *left = NULL, *right = NULL;
    const Ann *result;
    if (a->kind == ANN_BOTTOM)
        result = b;
    else if (b->kind == ANN_BOTTOM)
        result = a;
    else if (a->kind == ANN_NULL && b->kind == ANN_NULL)
        result = a;
    else if (a->kind == ANN_NULL || b->kind == ANN_NULL) {
        const Ann *other = a->kind == ANN_NULL ? b : a;
        result =
            ann_is_nullable_kind(other->kind) ? ann_with_nullable(annotator, other, true) : NULL;
    } else if (a->kind != b->kind)
        result = NULL;
    else
        result = ann_union_same(annotator, a, b, &left, &right);
    if (!result) {
        /* Name the innermost parts that failed, or the two sides. */
        if (left_fault) *left_fault = left ? left : a;
        if (right_fault) *right_fault = right ? right : b;
    }
    return result;
}

/* ---- text --------------------------------------------------------------- */

static void ann_print_callables(FILE *out, Annotator *annotator, const Ann *ann) {
    fputs("fn{", out);
    for (int i = 0; i < ann->callable_count; i++)
        fprintf(out, "%s%s", i ? ", " : "",
                annotator->program->graphs[ann->callables[i].graph]->name);
    fputc('}', out);
}

static void ann_print_const(FILE *out, const Ann *ann) {
    if (ann->kind == ANN_INT) fprintf(out, "(%lld)", (long long)ann->const_int);
    if (ann->kind == ANN_BOOL) fprintf(out, "(%s)", ann->const_int ? "true" : "false");
    if (ann->kind == ANN_CHAR) {
        if (ann->const_int >= 32 && ann->const_int < 127 && ann->const_int != '\'' &&
            ann->const_int != '\\')
            fprintf(out, "('%c')", (char)ann->const_int);
        else
            fprintf(out, "('\\x%02x')", (unsigned)ann->const_int);
    }
    if (ann->kind == ANN_STR) {
        fputs("(\"", out);
        for (int i = 0; i < ann->const_length && i < 24; i++) {
            unsigned char byte = (unsigned char)ann->const_str[i];
            if (byte >= 32 && byte < 127 && byte != '"' && byte != '\\')
                fputc(byte, out);
            else
                fprintf(out, "\\x%02x", byte);
        }
        fputs(ann->const_length > 24 ? "\"...)" : "\")", out);
    }
}

void ann_print(FILE *out, Annotator *annotator, const Ann *ann, bool with_const) {
    static const char *const names[ANN__COUNT] = {
        "?",    "void",  "null", "int", "float",      "bool",     "char",      "str",   "list",
        "dict", "tuple", "",     "fn",  "StrBuilder", "iterator", "dict_view", "thread"};
    switch (ann->kind) {
    case ANN_LIST:
        fputs("list<", out);
        ann_print(out, annotator, ann_listdef_root(ann->listdef)->item.ann, false);
        fputc('>', out);
        break;
    case ANN_DICT: {
        AnnDictDef *def = ann_dictdef_root(ann->dictdef);
        fputs("dict<", out);
        ann_print(out, annotator, def->key.ann, false);
        fputs(", ", out);
        ann_print(out, annotator, def->value.ann, false);
        fputc('>', out);
        break;
    }
    case ANN_TUPLE:
        fputc('(', out);
        for (int i = 0; i < ann->item_count; i++) {
            if (i) fputs(", ", out);
            ann_print(out, annotator, ann->items[i], false);
        }
        fputc(')', out);
        break;
    case ANN_INSTANCE: fputs(annotator->program->classes[ann->class_index].name, out); break;
    case ANN_FUNCTION: ann_print_callables(out, annotator, ann); break;
    case ANN_ITERATOR:
    case ANN_DICT_VIEW: {
        static const char *const views[] = {"list", "str", "keys", "values", "items"};
        fprintf(out, "%s<%s", names[ann->kind], views[ann->view]);
        if (ann->view == ANN_VIEW_LIST) {
            fputs(" of ", out);
            ann_print(out, annotator, ann_listdef_root(ann->listdef)->item.ann, false);
        } else if (ann->view != ANN_VIEW_STR) {
            AnnDictDef *def = ann_dictdef_root(ann->dictdef);
            fputs(" of ", out);
            ann_print(out, annotator, def->key.ann, false);
            fputs(", ", out);
            ann_print(out, annotator, def->value.ann, false);
        }
        fputc('>', out);
        break;
    }
    default: fputs(names[ann->kind], out);
    }
    if (ann->nullable && ann->kind != ANN_NULL) fputc('?', out);
    if (with_const && ann->is_const) ann_print_const(out, ann);
}

const char *ann_to_string(Annotator *annotator, const Ann *ann) {
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    if (!out) kiln_fatal("out of memory");
    ann_print(out, annotator, ann, false);
    fclose(out);
    char *copy = arena_strndup(&annotator->arena, text, size);
    free(text);
    return copy;
}
