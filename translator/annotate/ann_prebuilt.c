/* ann_prebuilt.c - globals typed from the values their initializers built.
 *
 * Global initializers run at translation time (in the graph interpreter);
 * the objects they build become prebuilt data of the program, as RPython
 * does with prebuilt constants.  The annotator reads those values: a list
 * gives a list definition holding the union of its items, an instance
 * contributes each assigned field to its class's field annotations, and
 * one object reached twice (or through a cycle) gives one annotation, so
 * that two globals sharing a list share its element type.
 *
 * Some run-time state cannot be built into a program: a thread handle, a
 * for-each iterator, a dict view and a StrBuilder (a builder is an
 * accumulation in progress; build the str instead).  A global that holds
 * one, directly or inside another object, is an error at its declaration.
 */
#include <string.h>

#include "../interp/interp.h"
#include "ann_internal.h"

typedef struct AnnPrebuild {
    Annotator *annotator;
    Map memo; /* object identity -> const Ann * */
    int global;
    SrcPos pos;
    bool failed;
} AnnPrebuild;

static const Ann *ann_of_value(AnnPrebuild *prebuild, InterpValue value);

static const Ann *ann_prebuilt_unembeddable(AnnPrebuild *prebuild, const char *what,
                                            const char *hint) {
    if (!prebuild->failed)
        ann_plain_error(prebuild->annotator, prebuild->pos,
                        "global '%s' holds %s, which cannot be built into the program: %s",
                        prebuild->annotator->program->globals[prebuild->global].name, what, hint);
    prebuild->failed = true;
    return NULL;
}

static const Ann *ann_prebuilt_instance(AnnPrebuild *prebuild, InterpValue value) {
    Annotator *annotator = prebuild->annotator;
    int class_index = interp_value_class(value);
    const Ann *ann = ann_instance(annotator, class_index, false);
    map_put_int(&prebuild->memo, (int64_t)interp_value_identity(value), (void *)ann);
    size_t count = interp_value_length(value);
    for (size_t i = 0; i < count; i++) {
        InterpValue field_value = interp_value_item(value, i);
        if (interp_value_kind(field_value) == INTERP_VALUE_UNSET) continue;
        const Ann *field_ann = ann_of_value(prebuild, field_value);
        if (!field_ann) return NULL;
        int slot = annotator->field_slot_of[class_index][i];
        AnnSlotName name = {ANN_SLOT_FIELD, slot, 0};
        ann_slot_merge(annotator, &annotator->fields.items[slot].slot, name,
                       ann_drop_const(annotator, field_ann), prebuild->pos);
    }
    return ann;
}

static const Ann *ann_prebuilt_container(AnnPrebuild *prebuild, InterpValue value) {
    Annotator *annotator = prebuild->annotator;
    InterpValueKind kind = interp_value_kind(value);
    size_t count = interp_value_length(value);
    if (kind == INTERP_VALUE_TUPLE) {
        const Ann **items = ARENA_NEW_ARRAY(&annotator->arena, const Ann *, count + 1);
        for (size_t i = 0; i < count; i++) {
            items[i] = ann_of_value(prebuild, interp_value_item(value, i));
            if (!items[i]) return NULL;
            items[i] = ann_drop_const(annotator, items[i]);
        }
        return ann_tuple(annotator, items, (int)count);
    }
    if (kind == INTERP_VALUE_LIST) {
        const Ann *list = ann_new_list(annotator, NULL, prebuild->pos);
        map_put_int(&prebuild->memo, (int64_t)interp_value_identity(value), (void *)list);
        for (size_t i = 0; i < count; i++) {
            const Ann *item = ann_of_value(prebuild, interp_value_item(value, i));
            if (!item) return NULL;
            ann_list_store(annotator, list->listdef, item, prebuild->pos);
        }
        return list;
    }
    const Ann *dict = ann_new_dict(annotator, NULL, NULL, prebuild->pos);
    map_put_int(&prebuild->memo, (int64_t)interp_value_identity(value), (void *)dict);
    for (size_t i = 0; i < count; i++) {
        InterpValue key, item;
        interp_value_dict_entry(value, i, &key, &item);
        const Ann *key_ann = ann_of_value(prebuild, key);
        const Ann *item_ann = key_ann ? ann_of_value(prebuild, item) : NULL;
        if (!item_ann) return NULL;
        ann_dict_store(annotator, dict->dictdef, key_ann, item_ann, prebuild->pos);
    }
    return dict;
}

static const Ann *ann_of_value(AnnPrebuild *prebuild, InterpValue value) {
    Annotator *annotator = prebuild->annotator;
    InterpValueKind kind = interp_value_kind(value);
    uintptr_t identity = interp_value_identity(value);
    if (identity) {
        const Ann *seen = map_get_int(&prebuild->memo, (int64_t)identity);
        if (seen) return seen;
    }
    switch (kind) {
    case INTERP_VALUE_VOID: return ann_simple(annotator, ANN_VOID);
    case INTERP_VALUE_UNSET: return ann_simple(annotator, ANN_BOTTOM);
    case INTERP_VALUE_NULL: return ann_simple(annotator, ANN_NULL);
    case INTERP_VALUE_INT: return ann_const_int(annotator, ANN_INT, interp_value_int(value));
    case INTERP_VALUE_BOOL: return ann_const_int(annotator, ANN_BOOL, interp_value_int(value));
    case INTERP_VALUE_CHAR: return ann_const_int(annotator, ANN_CHAR, interp_value_int(value));
    case INTERP_VALUE_FLOAT: return ann_simple(annotator, ANN_FLOAT);
    case INTERP_VALUE_FUNCTION: {
        AnnCallable callable = {(int)interp_value_int(value), false};
        return ann_function(annotator, &callable, 1);
    }
    case INTERP_VALUE_STR: {
        size_t length = 0;
        const char *bytes = interp_value_str(value, &length);
        return ann_const_str(annotator, arena_memdup(&annotator->arena, bytes, length + 1),
                             (int)length);
    }
    case INTERP_VALUE_LIST:
    case INTERP_VALUE_DICT:
    case INTERP_VALUE_TUPLE: return ann_prebuilt_container(prebuild, value);
    case INTERP_VALUE_INSTANCE: return ann_prebuilt_instance(prebuild, value);
    case INTERP_VALUE_BOUND_METHOD: {
        if (!ann_of_value(prebuild, interp_value_receiver(value))) return NULL;
        AnnCallable callable = {(int)interp_value_int(value), true};
        return ann_function(annotator, &callable, 1);
    }
    case INTERP_VALUE_BUILDER:
        return ann_prebuilt_unembeddable(prebuild, "a StrBuilder",
                                         "store the str it builds (b.build()) instead");
    case INTERP_VALUE_ITERATOR:
        return ann_prebuilt_unembeddable(prebuild, "an iterator", "iterate inside a function");
    case INTERP_VALUE_DICT_VIEW:
        return ann_prebuilt_unembeddable(prebuild, "a dict view",
                                         "copy the view into a list instead");
    case INTERP_VALUE_THREAD:
        return ann_prebuilt_unembeddable(prebuild, "a thread handle",
                                         "start threads from main instead");
    case INTERP_VALUE__COUNT: break;
    }
    return ann_simple(annotator, ANN_BOTTOM);
}

void ann_prebuild_globals(Annotator *annotator, struct Interp *interp) {
    if (!interp) return;
    const FlowProgram *program = annotator->program;
    AnnPrebuild prebuild = {annotator, {0}, 0, {0}, false};
    map_init(&prebuild.memo);
    int count = interp_global_count(interp);
    for (int g = 0; g < count && g < program->global_count; g++) {
        InterpValue value = interp_global_value(interp, g);
        if (interp_value_kind(value) == INTERP_VALUE_UNSET) continue;
        prebuild.global = g;
        prebuild.pos = program->globals[g].pos;
        prebuild.failed = false;
        const Ann *ann = ann_of_value(&prebuild, value);
        if (!ann) continue;
        if (!program->globals[g].is_const) ann = ann_drop_const(annotator, ann);
        AnnSlotName name = {ANN_SLOT_GLOBAL, g, 0};
        ann_slot_merge(annotator, &annotator->globals[g], name, ann, prebuild.pos);
        annotator->global_prebuilt[g] = true;
    }
    map_free(&prebuild.memo);
}
