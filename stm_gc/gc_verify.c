/* gc_verify.c - the heap verifier.
 *
 * Checks, for the whole heap, the invariants the collector relies on:
 *   - every object has a registered type id, the flags its place allows
 *     (nursery, young large, old slot, old large, prebuilt), no STM bits,
 *     and a size that matches its slot or block;
 *   - every reference (in objects, shadow stacks, global roots, written
 *     prebuilt objects) is NULL or the start of a live object;
 *   - no old-to-young reference is missing from the remembered set, unless
 *     it is an item of an array with cards whose card is marked;
 *   - GC_FLAG_WRITE_BARRIER is clear exactly on remembered objects; card
 *     bytes are set only on objects with GC_FLAG_CARDS_SET, and those are
 *     exactly the objects in the card lists;
 *   - page accounting (live counts, free lists, old_bytes) is exact;
 *   - destructor entries match the objects with GC_FLAG_HAS_DESTRUCTOR;
 *   - the free part of each nursery is zeroed.
 * Debug builds run it after every collection (config.verify); tests and
 * tools call gc_verify between collections.  It reads only, and costs
 * O(heap log heap).
 */
#include "gc_internal.h"

#include <stdarg.h>

typedef enum {
    KIND_INVALID,
    KIND_NURSERY,
    KIND_YOUNG_LARGE,
    KIND_SMALL,
    KIND_OLD_LARGE,
    KIND_PREBUILT,
} ObjectKind;

typedef struct AddressSet {
    void **items;
    size_t count;
    size_t capacity;
} AddressSet;

typedef struct Verifier {
    GcHeap *heap;
    GcVerifyReport *report;
    AddressSet pages;
    AddressSet old_large;
    AddressSet young_large;
    AddressSet nursery_objects;
    AddressSet remembered;
    AddressSet card_objects;
    AddressSet prebuilt_roots;
    size_t destructor_flags; /* heap objects with GC_FLAG_HAS_DESTRUCTOR */
    size_t live_bytes;       /* recomputed old_bytes */
} Verifier;

static void fail(Verifier *verifier, const char *format, ...) __attribute__((format(printf, 2, 3)));

static void fail(Verifier *verifier, const char *format, ...) {
    GcVerifyReport *report = verifier->report;
    if (report->errors < sizeof(report->first) / sizeof(report->first[0])) {
        va_list args;
        va_start(args, format);
        vsnprintf(report->first[report->errors], sizeof(report->first[0]), format, args);
        va_end(args);
    }
    report->errors++;
}

static void set_add(AddressSet *set, void *address) {
    if (set->count == set->capacity) {
        set->capacity = set->capacity ? set->capacity * 2 : 64;
        set->items = gc_xrealloc(set->items, set->capacity * sizeof(void *));
    }
    set->items[set->count++] = address;
}

static int compare_address(const void *left, const void *right) {
    uintptr_t a = (uintptr_t) * (void *const *)left, b = (uintptr_t) * (void *const *)right;
    return (a > b) - (a < b);
}

/* Sorts the set; returns the first duplicate or NULL. */
static void *set_seal(AddressSet *set) {
    if (set->count) qsort(set->items, set->count, sizeof(void *), compare_address);
    for (size_t i = 1; i < set->count; i++)
        if (set->items[i] == set->items[i - 1]) return set->items[i];
    return NULL;
}

/* Index of the last item <= address, or -1. */
static ptrdiff_t set_floor(const AddressSet *set, const void *address) {
    ptrdiff_t low = 0, high = (ptrdiff_t)set->count - 1, found = -1;
    while (low <= high) {
        ptrdiff_t middle = low + (high - low) / 2;
        if ((uintptr_t)set->items[middle] <= (uintptr_t)address) {
            found = middle;
            low = middle + 1;
        } else {
            high = middle - 1;
        }
    }
    return found;
}

static bool set_contains(const AddressSet *set, const void *address) {
    ptrdiff_t index = set_floor(set, address);
    return index >= 0 && set->items[index] == address;
}

static bool type_ok(const GcHeap *heap, const void *object) {
    uint32_t type = gc_type_id_of(object);
    return type != 0 && type < heap->type_count;
}

static const char *type_name(const GcHeap *heap, const void *object) {
    return type_ok(heap, object) ? gc_layout_of(heap, object)->name : "<bad type>";
}

static bool in_nursery(const GcHeap *heap, const void *address) {
    for (const GcThreadState *state = heap->threads; state; state = state->next)
        if ((const char *)address >= state->nursery_start &&
            (const char *)address < state->nursery_end)
            return true;
    return false;
}

/* What lives at `address`; reads its header only when it is in no heap
 * space (a prebuilt object). */
static ObjectKind classify(const Verifier *verifier, const void *address) {
    if ((uintptr_t)address % 8) return KIND_INVALID;
    ptrdiff_t page_index = set_floor(&verifier->pages, address);
    if (page_index >= 0) {
        const GcPage *page = verifier->pages.items[page_index];
        const char *slot = address;
        if (slot < (const char *)page + GC_PAGE_BYTES) {
            if (slot < page->start || slot >= page->bump ||
                (size_t)(slot - page->start) % page->object_size || !gc_header_of(slot))
                return KIND_INVALID;
            return KIND_SMALL;
        }
    }
    if (set_contains(&verifier->old_large, address)) return KIND_OLD_LARGE;
    if (set_contains(&verifier->young_large, address)) return KIND_YOUNG_LARGE;
    if (set_contains(&verifier->nursery_objects, address)) return KIND_NURSERY;
    if (in_nursery(verifier->heap, address)) return KIND_INVALID;
    if ((gc_header_of(address) & GC_FLAG_PREBUILT) && type_ok(verifier->heap, address))
        return KIND_PREBUILT;
    return KIND_INVALID;
}

static bool is_young(ObjectKind kind) {
    return kind == KIND_NURSERY || kind == KIND_YOUNG_LARGE;
}

/* ---- References --------------------------------------------------------- */

/* `item` is the item index of the slot, or -1 for a fixed field or a
 * root. */
static void check_reference(Verifier *verifier, void *source, ObjectKind source_kind, void *target,
                            int64_t item) {
    if (!target) return;
    verifier->report->references++;
    ObjectKind kind = classify(verifier, target);
    const char *source_name = source ? type_name(verifier->heap, source) : "root";
    if (kind == KIND_INVALID) {
        fail(verifier, "reference from %p (%s) to %p, which is not the start of a live object",
             source, source_name, target);
        return;
    }
    if (!source || is_young(source_kind) || !is_young(kind)) return;
    if (set_contains(&verifier->remembered, source)) return;
    GcHeader header = gc_header_of(source);
    if (item >= 0 && (header & GC_FLAG_HAS_CARDS) && (header & GC_FLAG_CARDS_SET) &&
        *gc_card_of(source, item))
        return;
    fail(verifier, "old object %p (%s) references young %p (%s) but is not in the remembered set%s",
         source, source_name, target, type_name(verifier->heap, target),
         item >= 0 && (header & GC_FLAG_HAS_CARDS) ? " and its card is not marked" : "");
}

static void check_fields(Verifier *verifier, char *object, ObjectKind kind) {
    const GcLayout *layout = gc_layout_of(verifier->heap, object);
    for (uint32_t k = 0; k < layout->ref_count; k++)
        check_reference(verifier, object, kind, *(void **)(object + layout->ref_offsets[k]), -1);
    if (!(layout->flags & GC_LAYOUT_ITEM_REFS)) return;
    int64_t length = gc_length_of(layout, object);
    for (int64_t index = 0; index < length; index++) {
        char *item = object + layout->fixed_size + (size_t)index * layout->item_size;
        for (uint32_t k = 0; k < layout->item_ref_count; k++)
            check_reference(verifier, object, kind, *(void **)(item + layout->item_ref_offsets[k]),
                            index);
    }
}

/* ---- Objects ------------------------------------------------------------ */

#define GC_KNOWN_FLAGS (GC_FLAG_BIT(12) - GC_FLAG_BIT(0))

static void check_flags(Verifier *verifier, void *object, ObjectKind kind) {
    GcHeader header = gc_header_of(object);
    const char *name = type_name(verifier->heap, object);
#ifdef KILN_STM
    /* The STM build uses the owner field (stm_internal.h). */
    GcHeader forbidden = (GC_STM_RESERVED_MASK & ~GC_STM_OWNER_MASK) |
                         (GC_FLAGS_MASK & ~GC_KNOWN_FLAGS) | GC_FLAG_MARKED | GC_FLAG_FORWARDED;
#else
    GcHeader forbidden = GC_STM_RESERVED_MASK | (GC_FLAGS_MASK & ~GC_KNOWN_FLAGS) | GC_FLAG_MARKED |
                         GC_FLAG_FORWARDED;
#endif
    GcHeader required = 0;
    switch (kind) {
    case KIND_NURSERY:
        forbidden |= GC_FLAG_OLD | GC_FLAG_WRITE_BARRIER | GC_FLAG_LARGE | GC_FLAG_HASH_STORED |
                     GC_FLAG_HAS_CARDS | GC_FLAG_CARDS_SET | GC_FLAG_PREBUILT |
                     GC_FLAG_PREBUILT_ROOT;
        break;
    case KIND_YOUNG_LARGE:
        required = GC_FLAG_LARGE;
        forbidden |= GC_FLAG_OLD | GC_FLAG_WRITE_BARRIER | GC_FLAG_HASH_TAKEN |
                     GC_FLAG_HASH_STORED | GC_FLAG_HAS_CARDS | GC_FLAG_CARDS_SET |
                     GC_FLAG_PREBUILT | GC_FLAG_PREBUILT_ROOT;
        break;
    case KIND_SMALL:
        required = GC_FLAG_OLD;
        forbidden |= GC_FLAG_LARGE | GC_FLAG_HAS_CARDS | GC_FLAG_CARDS_SET | GC_FLAG_HASH_TAKEN |
                     GC_FLAG_PREBUILT | GC_FLAG_PREBUILT_ROOT;
        break;
    case KIND_OLD_LARGE:
        required = GC_FLAG_OLD | GC_FLAG_LARGE;
        forbidden |= GC_FLAG_HASH_TAKEN | GC_FLAG_PREBUILT | GC_FLAG_PREBUILT_ROOT;
        break;
    case KIND_PREBUILT:
        required = GC_FLAG_OLD | GC_FLAG_PREBUILT;
        forbidden |= GC_FLAG_LARGE | GC_FLAG_HAS_CARDS | GC_FLAG_CARDS_SET | GC_FLAG_HASH_TAKEN |
                     GC_FLAG_HASH_STORED;
        break;
    case KIND_INVALID: return;
    }
    if ((header & required) != required || (header & forbidden))
        fail(verifier, "object %p (%s) has header flags %#llx, not allowed for its place", object,
             name, (unsigned long long)((header & GC_FLAGS_MASK) >> 32));
    if (kind >= KIND_SMALL && !(header & GC_FLAG_WRITE_BARRIER) &&
        !set_contains(&verifier->remembered, object))
        fail(verifier, "old object %p (%s) has no write-barrier flag but is not remembered", object,
             name);
    if ((header & GC_FLAG_CARDS_SET) && !set_contains(&verifier->card_objects, object))
        fail(verifier, "object %p (%s) has cards set but is not in a card list", object, name);
    if (kind == KIND_PREBUILT &&
        !(header & GC_FLAG_PREBUILT_ROOT) != !set_contains(&verifier->prebuilt_roots, object))
        fail(verifier, "prebuilt object %p (%s): root flag and root list disagree", object, name);
    if (kind != KIND_PREBUILT && (header & GC_FLAG_HAS_DESTRUCTOR)) verifier->destructor_flags++;
}

/* Card bytes and block size of a large object. */
static void check_large(Verifier *verifier, char *object, ObjectKind kind) {
    GcHeap *heap = verifier->heap;
    const GcLayout *layout = gc_layout_of(heap, object);
    GcLarge *node = gc_large_node(heap, object);
    int64_t length = (layout->flags & GC_LAYOUT_VARSIZE) ? gc_length_of(layout, object) : 0;
    size_t footprint = gc_object_footprint(layout, object);
    if (node->card_count != gc_card_count_for(layout, length) ||
        node->block_bytes != sizeof(GcLarge) + gc_card_area(node->card_count) + footprint ||
        footprint <= GC_SMALL_MAX)
        fail(verifier, "large object %p (%s): block of %zu bytes with %zu cards does not fit it",
             object, layout->name, node->block_bytes, node->card_count);
    GcHeader header = gc_header_of(object);
    if (kind == KIND_OLD_LARGE && !(header & GC_FLAG_HAS_CARDS) != !node->card_count)
        fail(verifier, "large object %p (%s): card flag and card area disagree", object,
             layout->name);
    for (size_t card = 0; card < node->card_count; card++)
        if (*gc_card_of(object, (int64_t)card << GC_CARD_SHIFT) &&
            (kind != KIND_OLD_LARGE || !(header & GC_FLAG_CARDS_SET)))
            fail(verifier, "large object %p (%s): card %zu is marked without GC_FLAG_CARDS_SET",
                 object, layout->name, card);
    if (kind == KIND_OLD_LARGE) verifier->live_bytes += node->block_bytes;
}

static void check_object(Verifier *verifier, char *object, ObjectKind kind) {
    verifier->report->objects++;
    if (!type_ok(verifier->heap, object)) {
        fail(verifier, "object %p has invalid type id %u", (void *)object, gc_type_id_of(object));
        return;
    }
    const GcLayout *layout = gc_layout_of(verifier->heap, object);
    if ((layout->flags & GC_LAYOUT_VARSIZE) && gc_length_of(layout, object) < 0) {
        fail(verifier, "object %p (%s) has negative length", (void *)object, layout->name);
        return;
    }
    check_flags(verifier, object, kind);
    if (kind == KIND_YOUNG_LARGE || kind == KIND_OLD_LARGE) check_large(verifier, object, kind);
    check_fields(verifier, object, kind);
}

/* ---- Spaces ------------------------------------------------------------- */

static void check_page(Verifier *verifier, GcPage *page) {
    GcHeap *heap = verifier->heap;
    size_t used = (size_t)(page->bump - page->start) / page->object_size;
    size_t live = 0, free_slots = 0;
    for (size_t index = 0; index < used; index++) {
        char *slot = page->start + index * page->object_size;
        if (!gc_header_of(slot)) {
            free_slots++;
            continue;
        }
        live++;
        check_object(verifier, slot, KIND_SMALL);
        if (type_ok(heap, slot)) {
            size_t footprint = gc_object_footprint(gc_layout_of(heap, slot), slot);
            if (footprint > GC_SMALL_MAX || heap->class_of_words[footprint / 8] != page->size_class)
                fail(verifier, "object %p (%s) of %zu bytes is in a slot of %u bytes", (void *)slot,
                     type_name(heap, slot), footprint, page->object_size);
        }
    }
    verifier->live_bytes += live * page->object_size;
    if (live != page->live_count)
        fail(verifier, "page %p counts %u live slots, it has %zu", (void *)page, page->live_count,
             live);
    size_t listed = 0;
    for (char *slot = page->free_list; slot; slot = ((char **)slot)[1]) {
        if (slot < page->start || slot >= page->bump ||
            (size_t)(slot - page->start) % page->object_size || gc_header_of(slot) ||
            ++listed > free_slots) {
            fail(verifier, "page %p: free list entry %p is not a free slot", (void *)page,
                 (void *)slot);
            break;
        }
    }
    if (listed != free_slots)
        fail(verifier, "page %p: %zu free slots, %zu on the free list", (void *)page, free_slots,
             listed);
}

/* Nursery objects are contiguous from the start to nursery_free. */
static void index_nursery(Verifier *verifier, GcThreadState *state) {
    GcHeap *heap = verifier->heap;
    char *object = state->nursery_start;
    while (object < state->public.nursery_free) {
        if (!type_ok(heap, object)) {
            fail(verifier, "nursery object %p has invalid type id %u", (void *)object,
                 gc_type_id_of(object));
            return;
        }
        set_add(&verifier->nursery_objects, object);
        object += gc_object_size(gc_layout_of(heap, object), object);
    }
    if (object != state->public.nursery_free)
        fail(verifier, "nursery objects overrun nursery_free (%p)",
             (void *)state->public.nursery_free);
    for (char *byte = state->public.nursery_free; byte < state->public.nursery_top; byte++)
        if (*byte) {
            fail(verifier, "nursery byte %p past nursery_free is not zero", (void *)byte);
            break;
        }
}

static void build_index(Verifier *verifier) {
    GcHeap *heap = verifier->heap;
    for (uint32_t size_class = 0; size_class < GC_SIZE_CLASSES; size_class++)
        for (GcPage *page = heap->classes[size_class].pages; page; page = page->next)
            set_add(&verifier->pages, page);
    for (GcLarge *node = heap->old_large.next; node != &heap->old_large; node = node->next)
        set_add(&verifier->old_large, gc_large_object(node));
    for (GcThreadState *state = heap->threads; state; state = state->next) {
        for (GcLarge *node = state->young_large.next; node != &state->young_large;
             node = node->next)
            set_add(&verifier->young_large, gc_large_object(node));
        index_nursery(verifier, state);
        for (size_t i = 0; i < state->remembered.count; i++)
            set_add(&verifier->remembered, state->remembered.items[i]);
        for (size_t i = 0; i < state->card_objects.count; i++)
            set_add(&verifier->card_objects, state->card_objects.items[i]);
    }
    for (size_t i = 0; i < heap->prebuilt_roots.count; i++)
        set_add(&verifier->prebuilt_roots, heap->prebuilt_roots.items[i]);
    set_seal(&verifier->pages);
    set_seal(&verifier->old_large);
    set_seal(&verifier->young_large);
    set_seal(&verifier->nursery_objects);
    void *duplicate = set_seal(&verifier->remembered);
    if (duplicate) fail(verifier, "object %p is remembered twice", duplicate);
    if ((duplicate = set_seal(&verifier->card_objects)))
        fail(verifier, "object %p is in the card lists twice", duplicate);
    if ((duplicate = set_seal(&verifier->prebuilt_roots)))
        fail(verifier, "prebuilt object %p is a root twice", duplicate);
}

/* Remembered and card-list entries, prebuilt roots, and root slots. */
static void check_lists_and_roots(Verifier *verifier) {
    GcHeap *heap = verifier->heap;
    for (size_t i = 0; i < verifier->remembered.count; i++) {
        void *object = verifier->remembered.items[i];
        ObjectKind kind = classify(verifier, object);
        if (kind < KIND_SMALL || (gc_header_of(object) & GC_FLAG_WRITE_BARRIER))
            fail(verifier, "remembered %p is not an old object without the write-barrier flag",
                 object);
    }
    for (size_t i = 0; i < verifier->card_objects.count; i++) {
        void *object = verifier->card_objects.items[i];
        GcHeader header = gc_header_of(object);
        if (classify(verifier, object) != KIND_OLD_LARGE || !(header & GC_FLAG_HAS_CARDS) ||
            !(header & GC_FLAG_CARDS_SET))
            fail(verifier, "card list entry %p is not an old array with cards set", object);
    }
    for (size_t i = 0; i < verifier->prebuilt_roots.count; i++) {
        char *object = verifier->prebuilt_roots.items[i];
        if (classify(verifier, object) != KIND_PREBUILT) {
            fail(verifier, "prebuilt root %p is not a prebuilt object", (void *)object);
            continue;
        }
        check_object(verifier, object, KIND_PREBUILT);
    }
    for (GcThreadState *state = heap->threads; state; state = state->next)
        for (void **slot = state->root_base; slot < state->public.root_top; slot++)
            check_reference(verifier, NULL, KIND_INVALID, *slot, -1);
    for (size_t i = 0; i < heap->static_roots.count; i++)
        check_reference(verifier, NULL, KIND_INVALID, *(void **)heap->static_roots.items[i], -1);
}

static void check_destructors(Verifier *verifier) {
    GcHeap *heap = verifier->heap;
    size_t entries = 0;
    for (size_t i = 0; i < heap->old_destructors.count; i++) {
        void *object = heap->old_destructors.items[i].object;
        ObjectKind kind = classify(verifier, object);
        if (kind < KIND_SMALL || !(gc_header_of(object) & GC_FLAG_HAS_DESTRUCTOR))
            fail(verifier, "old destructor entry %p is not an old object with a destructor",
                 object);
        entries += kind != KIND_PREBUILT;
    }
    for (GcThreadState *state = heap->threads; state; state = state->next)
        for (size_t i = 0; i < state->young_destructors.count; i++) {
            void *object = state->young_destructors.items[i].object;
            if (!is_young(classify(verifier, object)) ||
                !(gc_header_of(object) & GC_FLAG_HAS_DESTRUCTOR))
                fail(verifier, "young destructor entry %p is not a young object with a destructor",
                     object);
            entries++;
        }
    if (entries != verifier->destructor_flags)
        fail(verifier, "%zu objects have a destructor flag, %zu destructor entries",
             verifier->destructor_flags, entries);
}

size_t gc_verify(GcHeap *heap, GcVerifyReport *report) {
    memset(report, 0, sizeof(*report));
    Verifier verifier = {.heap = heap, .report = report};
    if (heap->collecting || heap->gray.count) fail(&verifier, "verification during a collection");
    build_index(&verifier);
    for (size_t i = 0; i < verifier.pages.count; i++)
        check_page(&verifier, verifier.pages.items[i]);
    for (size_t i = 0; i < verifier.old_large.count; i++)
        check_object(&verifier, verifier.old_large.items[i], KIND_OLD_LARGE);
    for (size_t i = 0; i < verifier.young_large.count; i++)
        check_object(&verifier, verifier.young_large.items[i], KIND_YOUNG_LARGE);
    for (size_t i = 0; i < verifier.nursery_objects.count; i++)
        check_object(&verifier, verifier.nursery_objects.items[i], KIND_NURSERY);
    check_lists_and_roots(&verifier);
    check_destructors(&verifier);
    if (verifier.live_bytes != heap->old_bytes)
        fail(&verifier, "old generation holds %zu bytes, the heap counts %zu", verifier.live_bytes,
             heap->old_bytes);
    AddressSet *sets[] = {&verifier.pages,           &verifier.old_large,  &verifier.young_large,
                          &verifier.nursery_objects, &verifier.remembered, &verifier.card_objects,
                          &verifier.prebuilt_roots};
    for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]); i++)
        free(sets[i]->items);
    return report->errors;
}

void gc_verify_or_die(GcHeap *heap, const char *when) {
    GcVerifyReport report;
    if (!gc_verify(heap, &report)) return;
    size_t shown = sizeof(report.first) / sizeof(report.first[0]);
    if (shown > report.errors) shown = report.errors;
    for (size_t i = 0; i < shown; i++)
        fprintf(stderr, "kiln gc: verify: %s\n", report.first[i]);
    gc_fatal("heap verification failed %s: %zu errors", when, report.errors);
}
