/* interp_heap.c - allocation of interpreter values and the mark-sweep
 * collector.
 *
 * Every object is one system allocation linked into InterpHeap.objects
 * (plus an external buffer for lists, dicts and builders).  A collection
 * marks from the roots with an explicit stack (deep structures cannot
 * overflow the C stack) and frees what is unmarked.  Roots: the registers
 * and pending values of every frame, the globals, the constants of compiled
 * code, the exception in flight and the one its traceback belongs to, the
 * transaction queue, the shared strings and the per-class field zeros.
 * Collections run only at safe points (interp_gc_safe_point), never inside
 * a helper, so a C local never holds the only reference to an object.
 */
#include <stdlib.h>

#include "interp_internal.h"

void interp_heap_init(Interp *interp) {
    memset(&interp->heap, 0, sizeof interp->heap);
    interp->heap.threshold = interp->options.gc_stress ? 0 : INTERP_GC_MIN_THRESHOLD;
    interp->heap.next_id = 1;
}

bool interp_check_size(Interp *interp, int64_t count, size_t item_size) {
    if (count < 0 || (uint64_t)count > INTERP_MAX_OBJECT_BYTES / (item_size ? item_size : 1))
        return interp_raise(interp, INTERP_ERROR_MEMORY, "cannot allocate %lld items",
                            (long long)count);
    return true;
}

void interp_heap_account(Interp *interp, size_t bytes) {
    interp->heap.allocated_bytes += bytes;
}

static void *interp_allocate(Interp *interp, InterpValueKind kind, size_t size) {
    InterpObject *object = kiln_xcalloc(1, size);
    object->kind = kind;
    object->next = interp->heap.objects;
    interp->heap.objects = object;
    interp->heap.allocated_bytes += size;
    return object;
}

InterpStr *interp_str_alloc(Interp *interp, int64_t length) {
    if (!interp_check_size(interp, length, 1)) return NULL;
    InterpStr *str =
        interp_allocate(interp, INTERP_VALUE_STR, sizeof(InterpStr) + (size_t)length + 1);
    str->length = length;
    return str;
}

InterpStr *interp_str_new(Interp *interp, const char *bytes, int64_t length) {
    InterpStr *str = interp_str_alloc(interp, length);
    if (str && length > 0) memcpy(str->bytes, bytes, (size_t)length);
    return str;
}

InterpStr *interp_str_cstr(Interp *interp, const char *text) {
    return interp_str_new(interp, text, (int64_t)strlen(text));
}

InterpList *interp_list_new(Interp *interp, int64_t capacity) {
    if (!interp_check_size(interp, capacity, sizeof(InterpValue))) return NULL;
    InterpList *list = interp_allocate(interp, INTERP_VALUE_LIST, sizeof(InterpList));
    if (capacity > 0 && !interp_list_reserve(interp, list, capacity)) return NULL;
    return list;
}

bool interp_list_reserve(Interp *interp, InterpList *list, int64_t capacity) {
    if (capacity <= list->capacity) return true;
    int64_t grown = list->capacity < 4 ? 4 : list->capacity + list->capacity / 2;
    if (grown < capacity) grown = capacity;
    if (!interp_check_size(interp, capacity, sizeof(InterpValue))) return false;
    int64_t most = (int64_t)(INTERP_MAX_OBJECT_BYTES / sizeof(InterpValue));
    if (grown > most) grown = most;
    list->items = kiln_xrealloc(list->items, (size_t)grown * sizeof(InterpValue));
    interp_heap_account(interp, (size_t)(grown - list->capacity) * sizeof(InterpValue));
    list->capacity = grown;
    return true;
}

bool interp_list_push(Interp *interp, InterpList *list, InterpValue item) {
    if (list->count == list->capacity && !interp_list_reserve(interp, list, list->count + 1))
        return false;
    list->items[list->count++] = item;
    return true;
}

InterpTuple *interp_tuple_new(Interp *interp, int64_t count) {
    if (!interp_check_size(interp, count, sizeof(InterpValue))) return NULL;
    InterpTuple *tuple = interp_allocate(interp, INTERP_VALUE_TUPLE,
                                         sizeof(InterpTuple) + (size_t)count * sizeof(InterpValue));
    tuple->count = count;
    return tuple;
}

InterpDict *interp_dict_new(Interp *interp) {
    return interp_allocate(interp, INTERP_VALUE_DICT, sizeof(InterpDict));
}

InterpInstance *interp_instance_new(Interp *interp, int class_index) {
    const InterpClassInfo *info = &interp->classes[class_index];
    int field_count = info->flow->field_count;
    InterpInstance *instance =
        interp_allocate(interp, INTERP_VALUE_INSTANCE,
                        sizeof(InterpInstance) + (size_t)field_count * sizeof(InterpValue));
    instance->class_index = class_index;
    instance->field_count = field_count;
    instance->id = interp->heap.next_id++;
    if (field_count > 0)
        memcpy(instance->fields, info->field_zeros, (size_t)field_count * sizeof(InterpValue));
    return instance;
}

InterpBoundMethod *interp_bound_method_new(Interp *interp, InterpValue receiver, int graph) {
    InterpBoundMethod *method =
        interp_allocate(interp, INTERP_VALUE_BOUND_METHOD, sizeof(InterpBoundMethod));
    method->receiver = receiver;
    method->graph = graph;
    return method;
}

InterpBuilder *interp_builder_new(Interp *interp) {
    return interp_allocate(interp, INTERP_VALUE_BUILDER, sizeof(InterpBuilder));
}

bool interp_builder_append(Interp *interp, InterpBuilder *builder, const char *bytes,
                           int64_t length) {
    if (length <= 0) return true;
    int64_t needed = builder->length + length;
    if (!interp_check_size(interp, needed + 1, 1)) return false;
    if (needed + 1 > builder->capacity) {
        int64_t grown = builder->capacity < 16 ? 16 : builder->capacity * 2;
        while (grown < needed + 1)
            grown *= 2;
        if ((uint64_t)grown > INTERP_MAX_OBJECT_BYTES) grown = needed + 1;
        builder->bytes = kiln_xrealloc(builder->bytes, (size_t)grown);
        interp_heap_account(interp, (size_t)(grown - builder->capacity));
        builder->capacity = grown;
    }
    memcpy(builder->bytes + builder->length, bytes, (size_t)length);
    builder->length = needed;
    builder->bytes[needed] = '\0';
    return true;
}

InterpIterator *interp_iterator_new(Interp *interp, InterpValue source, InterpViewKind view) {
    InterpIterator *iterator =
        interp_allocate(interp, INTERP_VALUE_ITERATOR, sizeof(InterpIterator));
    iterator->source = source;
    iterator->view = view;
    return iterator;
}

InterpDictView *interp_dict_view_new(Interp *interp, InterpDict *dict, InterpViewKind view) {
    InterpDictView *dict_view =
        interp_allocate(interp, INTERP_VALUE_DICT_VIEW, sizeof(InterpDictView));
    dict_view->dict = dict;
    dict_view->view = view;
    return dict_view;
}

InterpThread *interp_thread_new(Interp *interp) {
    InterpThread *thread = interp_allocate(interp, INTERP_VALUE_THREAD, sizeof(InterpThread));
    thread->id = interp->heap.next_id++;
    return thread;
}

/* ---- collection -------------------------------------------------------- */

static void interp_mark_object(Interp *interp, InterpObject *object) {
    if (!object || object->marked) return;
    object->marked = 1;
    vec_push(&interp->heap.mark_stack, object);
}

static inline void interp_mark_value(Interp *interp, InterpValue value) {
    if (INTERP_IS_HEAP(value)) interp_mark_object(interp, value.as.object);
}

static void interp_mark_values(Interp *interp, const InterpValue *values, int64_t count) {
    for (int64_t i = 0; i < count; i++)
        interp_mark_value(interp, values[i]);
}

/* Marks the children of one object. */
static void interp_trace_object(Interp *interp, InterpObject *object) {
    switch ((InterpValueKind)object->kind) {
    case INTERP_VALUE_LIST: {
        InterpList *list = (InterpList *)object;
        interp_mark_values(interp, list->items, list->count);
        break;
    }
    case INTERP_VALUE_TUPLE: {
        InterpTuple *tuple = (InterpTuple *)object;
        interp_mark_values(interp, tuple->items, tuple->count);
        break;
    }
    case INTERP_VALUE_DICT: {
        InterpDict *dict = (InterpDict *)object;
        for (int64_t i = 0; i < dict->entry_count; i++) {
            interp_mark_value(interp, dict->entries[i].key);
            interp_mark_value(interp, dict->entries[i].value);
        }
        break;
    }
    case INTERP_VALUE_INSTANCE: {
        InterpInstance *instance = (InterpInstance *)object;
        interp_mark_values(interp, instance->fields, instance->field_count);
        break;
    }
    case INTERP_VALUE_BOUND_METHOD:
        interp_mark_value(interp, ((InterpBoundMethod *)object)->receiver);
        break;
    case INTERP_VALUE_ITERATOR:
        interp_mark_value(interp, ((InterpIterator *)object)->source);
        break;
    case INTERP_VALUE_DICT_VIEW:
        interp_mark_object(interp, &((InterpDictView *)object)->dict->header);
        break;
    default: break; /* strings, builders and threads hold no references */
    }
}

static void interp_mark_roots(Interp *interp) {
    for (int i = 0; i < interp->frames.count; i++) {
        const InterpFrame *frame = &interp->frames.items[i];
        interp_mark_values(interp, frame->regs, frame->code->reg_count);
        interp_mark_value(interp, frame->pending);
    }
    interp_mark_values(interp, interp->globals, interp->program->global_count);
    for (int i = 0; i < interp->program->graph_count; i++)
        if (interp->codes[i])
            interp_mark_values(interp, interp->codes[i]->consts, interp->codes[i]->const_count);
    for (int i = 0; i < interp->program->class_count; i++)
        interp_mark_values(interp, interp->classes[i].field_zeros,
                           interp->classes[i].flow->field_count);
    interp_mark_value(interp, interp->exception);
    interp_mark_value(interp, interp->traceback_exception);
    for (int64_t i = interp->task_head; i < interp->tasks.count; i++)
        interp_mark_value(interp, interp->tasks.items[i]);
    if (interp->empty_str) interp_mark_object(interp, &interp->empty_str->header);
    for (int i = 0; i < 256; i++)
        if (interp->char_strs[i]) interp_mark_object(interp, &interp->char_strs[i]->header);
}

static size_t interp_object_size(const InterpObject *object) {
    switch ((InterpValueKind)object->kind) {
    case INTERP_VALUE_STR: return sizeof(InterpStr) + (size_t)((InterpStr *)object)->length + 1;
    case INTERP_VALUE_LIST:
        return sizeof(InterpList) + (size_t)((InterpList *)object)->capacity * sizeof(InterpValue);
    case INTERP_VALUE_TUPLE:
        return sizeof(InterpTuple) + (size_t)((InterpTuple *)object)->count * sizeof(InterpValue);
    case INTERP_VALUE_DICT: {
        const InterpDict *dict = (const InterpDict *)object;
        return sizeof(InterpDict) + (size_t)dict->entry_capacity * sizeof(InterpDictEntry) +
               (size_t)dict->index_capacity * sizeof(int32_t);
    }
    case INTERP_VALUE_INSTANCE:
        return sizeof(InterpInstance) +
               (size_t)((InterpInstance *)object)->field_count * sizeof(InterpValue);
    case INTERP_VALUE_BUILDER:
        return sizeof(InterpBuilder) + (size_t)((InterpBuilder *)object)->capacity;
    default: return sizeof(InterpIterator);
    }
}

static void interp_free_object(InterpObject *object) {
    switch ((InterpValueKind)object->kind) {
    case INTERP_VALUE_LIST: free(((InterpList *)object)->items); break;
    case INTERP_VALUE_DICT:
        free(((InterpDict *)object)->entries);
        free(((InterpDict *)object)->index);
        break;
    case INTERP_VALUE_BUILDER: free(((InterpBuilder *)object)->bytes); break;
    default: break;
    }
    free(object);
}

void interp_gc_collect(Interp *interp) {
    InterpHeap *heap = &interp->heap;
    interp_mark_roots(interp);
    while (heap->mark_stack.count > 0)
        interp_trace_object(interp, vec_pop(&heap->mark_stack));
    size_t live = 0;
    InterpObject **link = &heap->objects;
    while (*link) {
        InterpObject *object = *link;
        if (object->marked) {
            object->marked = 0;
            live += interp_object_size(object);
            link = &object->next;
        } else {
            *link = object->next;
            interp_free_object(object);
        }
    }
    heap->live_bytes = live;
    heap->allocated_bytes = 0;
    if (!interp->options.gc_stress)
        heap->threshold = live > INTERP_GC_MIN_THRESHOLD ? live : INTERP_GC_MIN_THRESHOLD;
}

void interp_heap_free(Interp *interp) {
    InterpObject *object = interp->heap.objects;
    while (object) {
        InterpObject *next = object->next;
        interp_free_object(object);
        object = next;
    }
    interp->heap.objects = NULL;
    vec_free(&interp->heap.mark_stack);
}
