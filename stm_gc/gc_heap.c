/* gc_heap.c - the heap: configuration, type descriptors, and the old
 * generation's memory (size-class pages and large objects).
 *
 * Expects: callers hold the GIL (the heap has no lock of its own); in the
 * STM build, the STM heap lock, or every thread parked (sweeps).
 * Produces: old-generation slots for the minor collection's copies, large
 * blocks for big objects, and the sweep that frees unmarked objects.  In
 * the STM build each thread also has one current page per size class,
 * where it allocates without a lock (gc_stm_old_alloc_small).
 */
#include "gc_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

/* ---- System memory ------------------------------------------------------ */

_Noreturn void gc_fatal(const char *format, ...) {
    va_list args;
    va_start(args, format);
    fputs("kiln gc: fatal: ", stderr);
    vfprintf(stderr, format, args);
    fputc('\n', stderr);
    va_end(args);
    abort();
}

void *gc_xmalloc(size_t bytes) {
    void *memory = malloc(bytes ? bytes : 1);
    if (!memory) gc_fatal("out of memory (%zu bytes)", bytes);
    return memory;
}

void *gc_xcalloc(size_t count, size_t bytes) {
    void *memory = calloc(count ? count : 1, bytes ? bytes : 1);
    if (!memory) gc_fatal("out of memory (%zu x %zu bytes)", count, bytes);
    return memory;
}

void *gc_xrealloc(void *memory, size_t bytes) {
    void *resized = realloc(memory, bytes ? bytes : 1);
    if (!resized) gc_fatal("out of memory (%zu bytes)", bytes);
    return resized;
}

/* Zeroed, page-aligned memory straight from the kernel. */
void *gc_map(size_t bytes) {
    void *memory = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) gc_fatal("cannot map %zu bytes: %s", bytes, strerror(errno));
    return memory;
}

void gc_unmap(void *memory, size_t bytes) {
    if (memory) munmap(memory, bytes);
}

void gc_vec_grow(GcPtrVec *vec) {
    vec->capacity = vec->capacity ? vec->capacity * 2 : 64;
    vec->items = gc_xrealloc(vec->items, vec->capacity * sizeof(void *));
}

static void address_set_insert(GcAddressSet *set, uintptr_t key) {
    size_t index = gc_address_slot(set, key);
    while (set->slots[index])
        index = (index + 1) & (set->capacity - 1);
    set->slots[index] = key;
    set->count++;
}

void gc_address_set_add(GcAddressSet *set, const void *address) {
    if (2 * (set->count + 1) > set->capacity) {
        GcAddressSet grown = {.capacity = set->capacity ? set->capacity * 2 : 64};
        grown.slots = gc_xcalloc(grown.capacity, sizeof(uintptr_t));
        for (size_t i = 0; i < set->capacity; i++)
            if (set->slots[i]) address_set_insert(&grown, set->slots[i]);
        free(set->slots);
        *set = grown;
    }
    address_set_insert(set, (uintptr_t)address);
}

void gc_address_set_clear(GcAddressSet *set) {
    if (set->count) memset(set->slots, 0, set->capacity * sizeof(uintptr_t));
    set->count = 0;
}

void gc_destructor_vec_push(GcDestructorVec *vec, void *object, GcDestructor destructor) {
    if (vec->count == vec->capacity) {
        vec->capacity = vec->capacity ? vec->capacity * 2 : 16;
        vec->items = gc_xrealloc(vec->items, vec->capacity * sizeof(GcDestructorEntry));
    }
    vec->items[vec->count].object = object;
    vec->items[vec->count].destructor = destructor;
    vec->count++;
}

/* ---- Configuration ------------------------------------------------------ */

void gc_config_default(GcConfig *config) {
    config->nursery_bytes = 4u << 20;
    config->minor_budget_bytes = 384u << 10;
    config->major_min_bytes = 32u << 20;
    config->major_growth = 2.0;
    config->shadow_stack_slots = (size_t)1 << 20;
    config->stress = false;
    config->print_stats = false;
#ifdef KILN_DEBUG
    config->verify = true;
#else
    config->verify = false;
#endif
}

bool gc_parse_size(const char *text, size_t *bytes) {
    if (!text || *text < '0' || *text > '9') return false;
    char *end;
    errno = 0;
    unsigned long long value = strtoull(text, &end, 10);
    if (errno) return false;
    unsigned shift = 0;
    switch (*end) {
    case '\0': break;
    case 'k':
    case 'K':
        shift = 10;
        end++;
        break;
    case 'm':
    case 'M':
        shift = 20;
        end++;
        break;
    case 'g':
    case 'G':
        shift = 30;
        end++;
        break;
    default: return false;
    }
    if ((*end == 'b' || *end == 'B') && shift) end++;
    if (*end || value > (SIZE_MAX >> shift)) return false;
    *bytes = (size_t)value << shift;
    return true;
}

static void env_size(const char *name, size_t *value) {
    const char *text = getenv(name);
    if (text && !gc_parse_size(text, value))
        fprintf(stderr,
                "kiln gc: ignoring %s=%s: expected bytes with an optional K, M or G suffix\n", name,
                text);
}

static void env_flag(const char *name, bool *value) {
    const char *text = getenv(name);
    if (!text || !*text) return;
    if (!strcmp(text, "1"))
        *value = true;
    else if (!strcmp(text, "0"))
        *value = false;
    else
        fprintf(stderr, "kiln gc: ignoring %s=%s: expected 0 or 1\n", name, text);
}

void gc_config_from_env(GcConfig *config) {
    gc_config_default(config);
    env_size("KILN_GC_NURSERY", &config->nursery_bytes);
    env_size("KILN_GC_MAJOR_MIN", &config->major_min_bytes);
    env_size("KILN_GC_MINOR_BUDGET", &config->minor_budget_bytes);
    env_flag("KILN_GC_STRESS", &config->stress);
    env_flag("KILN_GC_STATS", &config->print_stats);
    env_flag("KILN_GC_VERIFY", &config->verify);
}

/* ---- Heap --------------------------------------------------------------- */

static void init_size_classes(GcHeap *heap) {
    /* 8-byte steps to 128, then four classes per doubling: the slack of a
     * slot is at most 1/8 of its size beyond 128 bytes. */
    uint32_t size = 16, step = 8;
    for (int index = 0; index < GC_SIZE_CLASSES; index++) {
        heap->classes[index].object_size = size;
        if (size >= 128 && (size & (size - 1)) == 0) step = size / 8;
        size += step;
    }
    if (heap->classes[GC_SIZE_CLASSES - 1].object_size != GC_SMALL_MAX)
        gc_fatal("size classes do not end at GC_SMALL_MAX");
    int index = 0;
    for (size_t words = 0; words <= GC_SMALL_MAX / 8; words++) {
        while (heap->classes[index].object_size < words * 8)
            index++;
        heap->class_of_words[words] = (uint8_t)index;
    }
}

GcHeap *gc_heap_create(const GcConfig *config) {
    GcHeap *heap = gc_xcalloc(1, sizeof(GcHeap));
    if (config)
        heap->config = *config;
    else
        gc_config_from_env(&heap->config);
    /* Four of the largest nursery objects must fit, and nurseries are whole
     * pages. */
    size_t nursery = heap->config.nursery_bytes;
    if (nursery < 4 * GC_NURSERY_OBJECT_MAX) nursery = 4 * GC_NURSERY_OBJECT_MAX;
    heap->config.nursery_bytes = (nursery + 4095) & ~(size_t)4095;
    if (heap->config.major_growth < 1.1) heap->config.major_growth = 1.1;
    if (heap->config.shadow_stack_slots < 1024) heap->config.shadow_stack_slots = 1024;
    heap->major_threshold = heap->config.major_min_bytes;
    heap->nursery_limit = heap->config.nursery_bytes;
    init_size_classes(heap);
    gc_list_init(&heap->old_large);
    pthread_mutex_init(&heap->gil.mutex, NULL);
    /* Waiters time their switch interval on the monotonic clock. */
    pthread_condattr_t turn_attributes;
    pthread_condattr_init(&turn_attributes);
    pthread_condattr_setclock(&turn_attributes, CLOCK_MONOTONIC);
    pthread_cond_init(&heap->gil.turn, &turn_attributes);
    pthread_condattr_destroy(&turn_attributes);
    atomic_init(&heap->gil.drop_request, 0);
    heap->type_capacity = 16;
    heap->type_count = 1; /* type id 0 marks free slots */
    heap->layouts = gc_xcalloc(heap->type_capacity, sizeof(GcLayout));
#ifdef KILN_STM
    stm_heap_init(heap);
#endif
    return heap;
}

static bool offset_ok(uint32_t offset, uint32_t limit) {
    return offset % 8 == 0 && offset + 8 <= limit;
}

/* Fatal on any descriptor the tracing loops could not trust. */
static void check_type(const GcTypeInfo *info) {
    const char *name = info->name ? info->name : "<unnamed>";
    if (info->fixed_size < 8)
        gc_fatal("type %s: fixed_size %u must hold the header", name, info->fixed_size);
    for (uint32_t i = 0; i < info->ref_count; i++)
        if (info->ref_offsets[i] < 8 || !offset_ok(info->ref_offsets[i], info->fixed_size))
            gc_fatal("type %s: reference offset %u is not an aligned field of the fixed part", name,
                     info->ref_offsets[i]);
    if (info->item_size == 0) {
        if (info->item_ref_count)
            gc_fatal("type %s: item references without a variable part", name);
        return;
    }
    if (info->length_offset < 8 || !offset_ok(info->length_offset, info->fixed_size))
        gc_fatal("type %s: length offset %u is not an aligned field of the fixed part", name,
                 info->length_offset);
    for (uint32_t i = 0; i < info->ref_count; i++)
        if (info->ref_offsets[i] == info->length_offset)
            gc_fatal("type %s: the length field is also a reference", name);
    if (info->item_ref_count && (info->item_size % 8 || info->fixed_size % 8))
        gc_fatal("type %s: items with references need 8-byte item and fixed sizes", name);
    for (uint32_t i = 0; i < info->item_ref_count; i++)
        if (!offset_ok(info->item_ref_offsets[i], info->item_size))
            gc_fatal("type %s: item reference offset %u is outside the item", name,
                     info->item_ref_offsets[i]);
}

static uint32_t *copy_offsets(const uint32_t *offsets, uint32_t count) {
    if (!count) return NULL;
    uint32_t *copy = gc_xmalloc(count * sizeof(uint32_t));
    memcpy(copy, offsets, count * sizeof(uint32_t));
    return copy;
}

uint32_t gc_heap_register_types(GcHeap *heap, const GcTypeInfo *types, uint32_t count) {
    uint32_t first = heap->type_count;
    if (count > GC_TYPE_ID_MASK - first) gc_fatal("too many types");
    while (heap->type_count + count > heap->type_capacity) {
        heap->type_capacity *= 2;
        heap->layouts = gc_xrealloc(heap->layouts, heap->type_capacity * sizeof(GcLayout));
    }
    for (uint32_t i = 0; i < count; i++) {
        const GcTypeInfo *info = &types[i];
        check_type(info);
        GcLayout *layout = &heap->layouts[first + i];
        memset(layout, 0, sizeof(*layout));
        layout->fixed_size = info->fixed_size;
        layout->item_size = info->item_size;
        layout->length_offset = info->length_offset;
        layout->ref_count = info->ref_count;
        layout->item_ref_count = info->item_ref_count;
        layout->ref_offsets = copy_offsets(info->ref_offsets, info->ref_count);
        layout->item_ref_offsets = copy_offsets(info->item_ref_offsets, info->item_ref_count);
        layout->destructor = info->destructor;
        const char *name = info->name ? info->name : "<unnamed>";
        layout->name = gc_xmalloc(strlen(name) + 1);
        strcpy(layout->name, name);
        if (info->item_size) layout->flags |= GC_LAYOUT_VARSIZE;
        if (info->item_ref_count) layout->flags |= GC_LAYOUT_ITEM_REFS;
        if (info->ref_count || info->item_ref_count) layout->flags |= GC_LAYOUT_HAS_REFS;
        if (info->item_size == 8 && info->item_ref_count == 1 && info->item_ref_offsets[0] == 0)
            layout->flags |= GC_LAYOUT_REF_ARRAY;
    }
    heap->type_count += count;
    return first;
}

void gc_heap_add_root(GcHeap *heap, void **slot) {
    gc_vec_push(&heap->static_roots, slot);
}

void gc_heap_destroy(GcHeap *heap) {
    if (heap->threads)
        gc_fatal("gc_heap_destroy with %zu threads still attached", heap->thread_count);
    /* Whatever is left dies now: its destructors release what it holds. */
    heap->collecting = true;
    for (size_t i = 0; i < heap->old_destructors.count; i++)
        gc_run_destructor(heap, &heap->old_destructors.items[i]);
    heap->old_destructors.count = 0;
    heap->collecting = false;
    if (heap->config.print_stats) gc_print_stats(heap, stderr);
#ifdef KILN_STM
    stm_heap_finish(heap); /* prints KILN_STM_STATS, frees the engine's state */
#endif
    gc_release_all_memory(heap);
    for (uint32_t type = 1; type < heap->type_count; type++) {
        free(heap->layouts[type].ref_offsets);
        free(heap->layouts[type].item_ref_offsets);
        free(heap->layouts[type].name);
    }
    free(heap->layouts);
    gc_vec_free(&heap->static_roots);
    gc_vec_free(&heap->prebuilt_roots);
    gc_vec_free(&heap->gray);
    free(heap->young_large_set.slots);
    free(heap->old_destructors.items);
    gc_pause_free(&heap->counters.minor_pauses);
    gc_pause_free(&heap->counters.major_pauses);
    gc_pause_free(&heap->counters.minor_cpu);
    gc_pause_free(&heap->counters.major_cpu);
    pthread_mutex_destroy(&heap->gil.mutex);
    pthread_cond_destroy(&heap->gil.turn);
    free(heap);
}

/* ---- Size-class pages --------------------------------------------------- */

static GcPage *page_new(GcHeap *heap, uint32_t size_class) {
    GcPage *page = heap->page_pool;
    if (page) {
        heap->page_pool = page->next;
        heap->page_pool_count--;
        gc_unpoison(page, GC_PAGE_BYTES);
    } else {
        page = gc_map(GC_PAGE_BYTES);
    }
    uint32_t object_size = heap->classes[size_class].object_size;
    char *start = (char *)page + ((sizeof(GcPage) + 15) & ~(size_t)15);
    size_t slots = (size_t)((char *)page + GC_PAGE_BYTES - start) / object_size;
    /* Slots past `bump` are never read, so a reused page needs no
     * clearing: each slot is written whole when it is handed out. */
    *page = (GcPage){.start = start,
                     .bump = start,
                     .end = start + slots * object_size,
                     .object_size = object_size,
                     .size_class = size_class};
    GcSizeClass *class = &heap->classes[size_class];
    page->next = class->pages;
    class->pages = page;
    heap->page_count++;
    return page;
}

static void page_release(GcHeap *heap, GcPage *page) {
    heap->page_count--;
    /* Keep enough empty pages to refill the old generation up to the next
     * threshold without new mappings (each costs 16 page faults); give
     * back the rest. */
    size_t keep = heap->major_threshold / GC_PAGE_BYTES;
    if (keep < GC_PAGE_POOL_MIN) keep = GC_PAGE_POOL_MIN;
    if (heap->page_pool_count < keep) {
        page->next = heap->page_pool;
        heap->page_pool = page;
        heap->page_pool_count++;
        gc_poison((char *)page + sizeof(GcPage), GC_PAGE_BYTES - sizeof(GcPage));
    } else {
        /* The shadow memory outlives the mapping: leave it clean for
         * whoever maps this range next. */
        gc_unpoison(page, GC_PAGE_BYTES);
        gc_unmap(page, GC_PAGE_BYTES);
    }
}

/* The class's current page is full: move to the next page with free slots,
 * or a new one. */
static GcPage *class_refill(GcHeap *heap, uint32_t size_class) {
    GcSizeClass *class = &heap->classes[size_class];
    GcPage *page = class->available;
    if (page)
        class->available = page->next_available;
    else
        page = page_new(heap, size_class);
    class->current = page;
    return page;
}

void *gc_old_alloc_small(GcHeap *heap, size_t footprint) {
    uint32_t size_class = heap->class_of_words[footprint / 8];
    GcSizeClass *class = &heap->classes[size_class];
    for (GcPage *page = class->current;; page = class_refill(heap, size_class)) {
        if (!page) continue;
        char *slot = page->free_list;
        if (slot) {
            gc_unpoison(slot, page->object_size);
            page->free_list = ((char **)slot)[1];
        } else if (page->bump < page->end) {
            slot = page->bump;
            page->bump += page->object_size;
        } else {
            continue;
        }
        page->live_count++;
        heap->old_bytes += page->object_size;
        return slot;
    }
}

#ifdef KILN_STM
/* The thread's current page of the class is full (or there is none): take
 * another from the class's available pages or a new one, under the heap
 * lock.  A thread's current page is in its class's list of pages but in
 * no available list, so no other thread allocates there. */
void *gc_stm_old_alloc_refill(GcHeap *heap, GcThreadState *state, size_t footprint) {
    uint32_t size_class = heap->class_of_words[footprint / 8];
    GcSizeClass *class = &heap->classes[size_class];
    stm_heap_lock(heap);
    GcPage *page = class->available;
    if (page)
        class->available = page->next_available;
    else
        page = page_new(heap, size_class);
    stm_heap_unlock(heap);
    /* A page in an available list has a free slot; a new one has many. */
    state->old_pages[size_class] = page;
    return gc_stm_old_alloc_small(heap, state, footprint);
}

void gc_stm_flush_old_bytes(GcHeap *heap, GcThreadState *state) {
    if (!state->old_bytes_unflushed) return;
    __atomic_fetch_add(&heap->old_bytes, state->old_bytes_unflushed, __ATOMIC_RELAXED);
    state->old_bytes_unflushed = 0;
}

void gc_stm_release_pages(GcHeap *heap, GcThreadState *state) {
    for (uint32_t size_class = 0; size_class < GC_SIZE_CLASSES; size_class++) {
        GcPage *page = state->old_pages[size_class];
        if (!page) continue;
        state->old_pages[size_class] = NULL;
        if (page->free_list || page->bump < page->end) {
            page->next_available = heap->classes[size_class].available;
            heap->classes[size_class].available = page;
        }
    }
}

void gc_stm_old_large_insert(GcHeap *heap, GcLarge *node) {
    stm_heap_lock(heap);
    gc_list_insert(&heap->old_large, node);
    stm_heap_unlock(heap);
    __atomic_fetch_add(&heap->old_bytes, node->block_bytes, __ATOMIC_RELAXED);
}

void *gc_stm_alloc_old(GcThread *thread, uint32_t type_id, int64_t length) {
    GcThreadState *state = gc_state_of(thread);
    GcHeap *heap = thread->heap;
    const GcLayout *layout = &heap->layouts[type_id];
    if (!(layout->flags & GC_LAYOUT_VARSIZE)) length = 0;
    size_t size = gc_layout_size(layout, length);
    GcHeader header = (GcHeader)type_id | GC_FLAG_OLD | GC_FLAG_WRITE_BARRIER;
    char *object;
    if (size <= GC_SMALL_MAX) {
        object = gc_stm_old_alloc_small(heap, state, size);
        memset(object, 0, size);
        gc_stm_flush_old_bytes(heap, state);
    } else {
        GcLarge *node = gc_large_alloc(size, gc_card_count_for(layout, length), true);
        gc_stm_old_large_insert(heap, node);
        object = gc_large_object(node);
        header |= GC_FLAG_LARGE | (node->card_count ? GC_FLAG_HAS_CARDS : 0);
    }
    if (layout->destructor) {
        header |= GC_FLAG_HAS_DESTRUCTOR;
        stm_heap_lock(heap);
        gc_destructor_vec_push(&heap->old_destructors, object, layout->destructor);
        stm_heap_unlock(heap);
    }
    if (layout->flags & GC_LAYOUT_VARSIZE) *(int64_t *)(object + layout->length_offset) = length;
    __atomic_store_n((GcHeader *)object, header, __ATOMIC_RELEASE);
    if (__atomic_load_n(&heap->old_bytes, __ATOMIC_RELAXED) > heap->major_threshold)
        stm_request_major(heap);
    return object;
}
#endif

/* Frees the unmarked slots of every page and clears the marks; rebuilds the
 * free lists and the available lists; empty pages go back to the pool. */
void gc_sweep_pages(GcHeap *heap) {
#ifdef KILN_STM
    /* Every thread is parked: their current pages become ordinary pages,
     * which the sweep puts back in the available lists. */
    for (GcThreadState *state = heap->threads; state; state = state->next)
        memset(state->old_pages, 0, sizeof state->old_pages);
#endif
    for (uint32_t size_class = 0; size_class < GC_SIZE_CLASSES; size_class++) {
        GcSizeClass *class = &heap->classes[size_class];
        GcPage *page = class->pages;
        class->pages = class->current = class->available = NULL;
        while (page) {
            GcPage *next = page->next;
            uint32_t live = 0;
            char *free_list = NULL;
            size_t used = (size_t)(page->bump - page->start) / page->object_size;
            for (size_t index = used; index-- > 0;) {
                char *slot = page->start + index * page->object_size;
                GcHeader *header = (GcHeader *)slot;
                if (*header & GC_FLAG_MARKED) {
                    *header &= ~GC_FLAG_MARKED;
                    live++;
                    continue;
                }
                if (*header) {
                    *header = 0;
                    heap->old_bytes -= page->object_size;
                    gc_poison(slot + 16, page->object_size - 16);
                }
                ((char **)slot)[1] = free_list;
                free_list = slot;
            }
            if (live == 0) {
                page_release(heap, page);
            } else {
                page->live_count = live;
                page->free_list = free_list;
                page->next = class->pages;
                class->pages = page;
                if (free_list || page->bump < page->end) {
                    page->next_available = class->available;
                    class->available = page;
                }
            }
            page = next;
        }
    }
}

/* ---- Large objects ------------------------------------------------------ */

GcLarge *gc_large_alloc(size_t footprint, size_t card_count, bool zero) {
    size_t prefix = sizeof(GcLarge) + gc_card_area(card_count);
    size_t block = prefix + footprint;
    GcLarge *node = zero ? gc_xcalloc(1, block) : gc_xmalloc(block);
    if (!zero) memset(node + 1, 0, gc_card_area(card_count));
    node->block_bytes = block;
    node->card_count = card_count;
    return node;
}

void gc_large_free(GcLarge *node) {
    free(node);
}

GcLarge *gc_large_node(GcHeap *heap, void *object) {
    const GcLayout *layout = gc_layout_of(heap, object);
    int64_t length = (layout->flags & GC_LAYOUT_VARSIZE) ? gc_length_of(layout, object) : 0;
    size_t cards = gc_card_count_for(layout, length);
    return (GcLarge *)((char *)object - gc_card_area(cards) - sizeof(GcLarge));
}

void gc_sweep_large(GcHeap *heap) {
    GcLarge *sentinel = &heap->old_large;
    for (GcLarge *node = sentinel->next, *next; node != sentinel; node = next) {
        next = node->next;
        GcHeader *header = gc_large_object(node);
        if (*header & GC_FLAG_MARKED) {
            *header &= ~GC_FLAG_MARKED;
        } else {
            gc_list_remove(node);
            heap->old_bytes -= node->block_bytes;
            gc_large_free(node);
        }
    }
}

void gc_release_all_memory(GcHeap *heap) {
    for (uint32_t size_class = 0; size_class < GC_SIZE_CLASSES; size_class++) {
        GcPage *page = heap->classes[size_class].pages;
        while (page) {
            GcPage *next = page->next;
            gc_unpoison(page, GC_PAGE_BYTES);
            gc_unmap(page, GC_PAGE_BYTES);
            page = next;
        }
        heap->classes[size_class].pages = NULL;
    }
    while (heap->page_pool) {
        GcPage *next = heap->page_pool->next;
        gc_unpoison(heap->page_pool, GC_PAGE_BYTES);
        gc_unmap(heap->page_pool, GC_PAGE_BYTES);
        heap->page_pool = next;
    }
    GcLarge *sentinel = &heap->old_large;
    while (sentinel->next != sentinel) {
        GcLarge *node = sentinel->next;
        gc_list_remove(node);
        gc_large_free(node);
    }
    heap->old_bytes = 0;
}
