/* gc_internal.h - the collector's private structures, shared by its files.
 *
 *   gc_heap.c     heap, configuration, descriptors, size-class pages, large
 *                 objects (the old generation's allocator)
 *   gc_thread.c   thread contexts, shadow stacks, the GIL
 *   gc_minor.c    nursery slow path and minor collection (copying)
 *   gc_major.c    major collection (mark-sweep)
 *   gc_barrier.c  write barriers, identity hash, destructor registration
 *   gc_verify.c   the heap verifier
 *   gc_stats.c    counters and pause times
 *
 * Nothing here is visible to generated code.
 */
#ifndef KILN_GC_INTERNAL_H
#define KILN_GC_INTERNAL_H

#include "gc.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SANITIZE_ADDRESS__)
#define GC_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define GC_ASAN 1
#endif
#endif

#ifdef GC_ASAN
#include <sanitizer/asan_interface.h>
/* Memory the mutator must not touch (free nursery space past nursery_top,
 * the bodies of free old slots) is poisoned, so that a stale reference
 * shows up as an ASan report. */
#define gc_poison(address, bytes)   ASAN_POISON_MEMORY_REGION((address), (bytes))
#define gc_unpoison(address, bytes) ASAN_UNPOISON_MEMORY_REGION((address), (bytes))
#else
#define gc_poison(address, bytes)   ((void)(address), (void)(bytes))
#define gc_unpoison(address, bytes) ((void)(address), (void)(bytes))
#endif

_Noreturn void gc_fatal(const char *format, ...) __attribute__((format(printf, 1, 2)));
void *gc_xmalloc(size_t bytes);
void *gc_xcalloc(size_t count, size_t bytes);
void *gc_xrealloc(void *memory, size_t bytes);
void *gc_map(size_t bytes);
void gc_unmap(void *memory, size_t bytes);

static inline GcHeader gc_header_of(const void *object) {
    return gc_header_load(object);
}
static inline uint32_t gc_type_id_of(const void *object) {
    return (uint32_t)(gc_header_of(object) & GC_TYPE_ID_MASK);
}

/* ---- Growable arrays (the collector's own, on malloc) ------------------- */

typedef struct GcPtrVec {
    void **items;
    size_t count;
    size_t capacity;
} GcPtrVec;

void gc_vec_grow(GcPtrVec *vec);
static inline void gc_vec_push(GcPtrVec *vec, void *item) {
    if (GC_UNLIKELY(vec->count == vec->capacity)) gc_vec_grow(vec);
    vec->items[vec->count++] = item;
}
static inline void gc_vec_free(GcPtrVec *vec) {
    free(vec->items);
    vec->items = NULL;
    vec->count = vec->capacity = 0;
}

/* A set of addresses (open addressing, linear probing, never holding 0):
 * the young large objects, which the minor collection must recognize
 * without reading the header of every old object it meets. */
typedef struct GcAddressSet {
    uintptr_t *slots;
    size_t capacity; /* a power of two, or 0 */
    size_t count;
} GcAddressSet;

void gc_address_set_add(GcAddressSet *set, const void *address);
void gc_address_set_clear(GcAddressSet *set);
static inline size_t gc_address_slot(const GcAddressSet *set, uintptr_t key) {
    return (size_t)((key >> 4) * 0x9e3779b97f4a7c15u >> 20) & (set->capacity - 1);
}
static inline bool gc_address_set_contains(const GcAddressSet *set, const void *address) {
    if (!set->count) return false;
    uintptr_t key = (uintptr_t)address;
    for (size_t index = gc_address_slot(set, key);; index = (index + 1) & (set->capacity - 1)) {
        if (!set->slots[index]) return false;
        if (set->slots[index] == key) return true;
    }
}

/* An object with a registered destructor.  Each such object has exactly one
 * entry, in its thread's young list while young and in the heap's old list
 * once old; the object has GC_FLAG_HAS_DESTRUCTOR. */
typedef struct GcDestructorEntry {
    void *object;
    GcDestructor destructor;
} GcDestructorEntry;

typedef struct GcDestructorVec {
    GcDestructorEntry *items;
    size_t count;
    size_t capacity;
} GcDestructorVec;

void gc_destructor_vec_push(GcDestructorVec *vec, void *object, GcDestructor destructor);

/* ---- Type layouts ------------------------------------------------------- */

enum {
    GC_LAYOUT_HAS_REFS = 1 << 0,  /* any reference, fixed or in items */
    GC_LAYOUT_VARSIZE = 1 << 1,   /* has a variable part */
    GC_LAYOUT_ITEM_REFS = 1 << 2, /* items hold references: large ones get cards */
    GC_LAYOUT_REF_ARRAY = 1 << 3, /* items are exactly one reference each */
};

/* The heap's copy of a descriptor, arranged for the tracing loops. */
typedef struct GcLayout {
    uint32_t fixed_size;
    uint32_t item_size;
    uint32_t length_offset;
    uint32_t flags; /* GC_LAYOUT_* */
    uint32_t ref_count;
    uint32_t item_ref_count;
    uint32_t *ref_offsets;      /* owned */
    uint32_t *item_ref_offsets; /* owned */
    GcDestructor destructor;
    char *name; /* owned */
} GcLayout;

static inline int64_t gc_length_of(const GcLayout *layout, const void *object) {
    return *(const int64_t *)((const char *)object + layout->length_offset);
}

/* Size of an object without its stored hash word. */
static inline size_t gc_layout_size(const GcLayout *layout, int64_t length) {
    size_t bytes = layout->fixed_size;
    if (layout->flags & GC_LAYOUT_VARSIZE) bytes += (size_t)layout->item_size * (size_t)length;
    return gc_round_size(bytes);
}

static inline size_t gc_object_size(const GcLayout *layout, const void *object) {
    int64_t length = (layout->flags & GC_LAYOUT_VARSIZE) ? gc_length_of(layout, object) : 0;
    return gc_layout_size(layout, length);
}

/* Including the stored hash word: the bytes the object occupies. */
static inline size_t gc_object_footprint(const GcLayout *layout, const void *object) {
    size_t bytes = gc_object_size(layout, object);
    return (gc_header_of(object) & GC_FLAG_HASH_STORED) ? bytes + 8 : bytes;
}

/* ---- Old generation: size-class pages ------------------------------------
 *
 * Small old objects (footprint <= GC_SMALL_MAX) live in 64 KB pages, each
 * holding slots of one size class.  A slot is free when its header word is
 * zero; free slots are chained through their second word.  Slots in
 * [bump, end) were never used.  live_count counts the slots in use. */
#define GC_PAGE_BYTES    (64 * 1024)
#define GC_SMALL_MAX     1024
#define GC_SIZE_CLASSES  39
#define GC_PAGE_POOL_MIN 64 /* empty pages kept for reuse, at least */

typedef struct GcPage {
    struct GcPage *next;           /* every page of the class */
    struct GcPage *next_available; /* pages of the class with free slots */
    char *free_list;
    char *start; /* first slot */
    char *bump;  /* first never-used slot */
    char *end;   /* end of the last whole slot */
    uint32_t object_size;
    uint32_t size_class;
    uint32_t live_count;
} GcPage;

typedef struct GcSizeClass {
    uint32_t object_size;
    GcPage *pages;     /* all pages of this class */
    GcPage *current;   /* allocation is served from this page */
    GcPage *available; /* other pages with free slots */
} GcSizeClass;

/* ---- Old generation: large objects --------------------------------------
 *
 * A large object is one malloc block: this node, then the card bytes
 * (card_count of them, padded to 16, card i at object - 1 - i), then the
 * object.  Nodes are in a circular doubly-linked list with a sentinel: the
 * heap's list of old large objects or a thread's list of young ones. */
typedef struct GcLarge {
    struct GcLarge *prev;
    struct GcLarge *next;
    size_t block_bytes; /* the whole block: node, cards, object */
    size_t card_count;
} GcLarge;

static inline size_t gc_card_area(size_t card_count) {
    return (card_count + 15) & ~(size_t)15;
}
static inline void *gc_large_object(GcLarge *node) {
    return (char *)(node + 1) + gc_card_area(node->card_count);
}
static inline size_t gc_card_count_for(const GcLayout *layout, int64_t length) {
    if (!(layout->flags & GC_LAYOUT_ITEM_REFS)) return 0;
    return (size_t)((length + GC_CARD_ITEMS - 1) >> GC_CARD_SHIFT);
}
GcLarge *gc_large_node(GcHeap *heap, void *object);

static inline void gc_list_init(GcLarge *sentinel) {
    sentinel->prev = sentinel->next = sentinel;
}
static inline void gc_list_remove(GcLarge *node) {
    node->prev->next = node->next;
    node->next->prev = node->prev;
}
static inline void gc_list_insert(GcLarge *sentinel, GcLarge *node) {
    node->next = sentinel->next;
    node->prev = sentinel;
    sentinel->next->prev = node;
    sentinel->next = node;
}

/* ---- Threads and the GIL ------------------------------------------------ */

/* A ticket lock: acquirers are served in arrival order.  The holder keeps
 * it across safe points until a waiter has waited a whole switch interval
 * (GC_GIL_INTERVAL_NS) without being served; the waiter then sets
 * `drop_request`, which the next safe point answers.  Handing the lock over
 * at every safe point that found a waiter made two running threads switch
 * at every loop iteration: a context switch each, most of the time spent in
 * the kernel. */
#define GC_GIL_INTERVAL_NS 5000000L
typedef struct GcGil {
    pthread_mutex_t mutex;
    pthread_cond_t turn;
    uint64_t next_ticket;
    uint64_t now_serving;
    int waiters;             /* under the mutex */
    atomic_int drop_request; /* a waiter waited an interval: hand over */
    /* Written under the mutex; read without it only to check that the
     * reader itself holds the lock. */
    _Atomic(struct GcThreadState *) holder;
} GcGil;

/* A thread context.  `public` comes first: a GcThread * is a
 * GcThreadState *. */
typedef struct GcThreadState {
    GcThread public;
    struct GcThreadState *next; /* the heap's list of attached threads */
    char *nursery_start;
    char *nursery_end;
    /* Allocation collects when it reaches this point: nursery_start plus
     * the heap's nursery_limit (the thread's own in the STM build). */
    char *nursery_stop;
    void **root_base;
    size_t root_slots;
    /* Old objects with GC_FLAG_WRITE_BARRIER cleared since the last minor
     * collection: traced whole by the next one. */
    GcPtrVec remembered;
    /* Old large arrays with GC_FLAG_CARDS_SET: only their marked cards are
     * traced by the next minor collection. */
    GcPtrVec card_objects;
    GcLarge young_large; /* sentinel: large objects allocated since the last minor */
    size_t young_large_bytes;
    GcDestructorVec young_destructors;
#ifdef KILN_STM
    /* STM build: nursery_top stops first at nursery_soft_stop, where the
     * allocation slow path tells the engine, which usually ends the running
     * transaction at its next break point (gc_minor.c, stm_sync.c).  Bytes in [nursery_top,
     * nursery_dirty) may hold garbage of earlier cycles; every other byte past nursery_free is
     * zero.  (A collection after a short transaction re-zeroes the little it used at once; after a
     * long one, the slow path zeroes a chunk at a time, just ahead of use.) */
    char *nursery_soft_stop;
    char *nursery_dirty;
    /* STM build: each thread's minor collections are its own, run without
     * the heap lock: the part of the nursery it uses, its count of minor
     * collections (the identity hash of its young objects), its young
     * large objects, its gray stack, and one current page per size class of
     * the old generation (gc_heap.c) with the bytes allocated there that
     * old_bytes does not count yet. */
    size_t nursery_limit;
    uint64_t minor_count;
    GcAddressSet young_large_set;
    /* The last collection that used at least half the nursery copied at
     * most a sixteenth of what it used: a collection inside a transaction
     * would promote little, so a transaction in parallel mode may run past
     * a full nursery (stm_sync.c). */
    bool low_survival;
    GcPtrVec gray;
    GcPage *old_pages[GC_SIZE_CLASSES];
    size_t old_bytes_unflushed;
    /* STM build: `remembered` is the write set of the running transaction
     * (each entry has GC_FLAG_WRITE_BARRIER clear and this thread as
     * owner), kept across the minor collections inside a transaction and
     * emptied only by its commit or abort.  The rest is in stm_internal.h. */
    struct StmContext *stm;
#endif
} GcThreadState;

static inline GcThreadState *gc_state_of(GcThread *thread) {
    return (GcThreadState *)thread;
}

/* ---- Statistics --------------------------------------------------------- */

typedef struct GcPauseLog {
    uint64_t *nanoseconds;
    size_t count;
    size_t capacity;
} GcPauseLog;

typedef struct GcCounters {
    uint64_t minor_collections;
    uint64_t major_collections;
    uint64_t bytes_allocated; /* nursery bytes are added at each minor collection */
    uint64_t bytes_promoted;
    uint64_t bytes_copied; /* the part of bytes_promoted copied out of nurseries */
    uint64_t old_bytes_peak;
    uint64_t cards_scanned;
    uint64_t destructors_run;
    GcPauseLog minor_pauses; /* wall time */
    GcPauseLog major_pauses;
    GcPauseLog minor_cpu; /* CPU time of the collecting thread */
    GcPauseLog major_cpu;
} GcCounters;

/* The start of a pause, in wall time and in the thread's CPU time. */
typedef struct GcPauseStart {
    uint64_t wall;
    uint64_t cpu;
} GcPauseStart;

uint64_t gc_now_ns(void);
GcPauseStart gc_pause_begin(void);
void gc_pause_end(GcPauseStart start, GcPauseLog *wall, GcPauseLog *cpu);
void gc_pause_record(GcPauseLog *log, uint64_t nanoseconds);
void gc_pause_free(GcPauseLog *log);

/* ---- The heap ----------------------------------------------------------- */

struct GcHeap {
    GcConfig config;
    GcLayout *layouts; /* indexed by type id; entry 0 unused */
    uint32_t type_count;
    uint32_t type_capacity;

    GcSizeClass classes[GC_SIZE_CLASSES];
    uint8_t class_of_words[GC_SMALL_MAX / 8 + 1]; /* footprint / 8 -> class */
    GcPage *page_pool;                            /* empty pages for reuse */
    size_t page_pool_count;
    size_t page_count; /* pages in use by the classes */

    /* The part of each nursery used before the next minor collection:
     * smaller than the nursery after collections that promoted much, so
     * that the next pause stays near config.minor_budget_bytes of copying
     * (see update_nursery_limit in gc_minor.c). */
    size_t nursery_limit;

    GcLarge old_large; /* sentinel */
    size_t old_bytes;  /* footprint of old small slots (slot size) and large blocks */
    size_t major_threshold;

    GcThreadState *threads;
    size_t thread_count;
    /* Every nursery lies in [young_low, young_low + young_span): a reference
     * outside it and not in young_large_set is old, without a look at its
     * header.  (With several threads the range may also cover old memory,
     * so a hit is confirmed by the header.) */
    uintptr_t young_low;
    uintptr_t young_span;
    GcAddressSet young_large_set;
    GcGil gil;

    GcPtrVec static_roots;   /* void ** slots */
    GcPtrVec prebuilt_roots; /* prebuilt objects with GC_FLAG_PREBUILT_ROOT */
    GcDestructorVec old_destructors;
    GcPtrVec gray; /* minor: copied objects to scan; major: mark stack */
    bool collecting;
#ifdef KILN_STM
    /* The STM engine's shared state (stm_internal.h).  Its lock guards the
     * heap's lists (pages of the size classes and the page pool, old large
     * objects, old destructors, prebuilt roots), the thread list and the
     * pause logs.  old_bytes and the counters are updated by atomic adds
     * (per-thread minor collections run concurrently), or with every
     * thread parked (major collection). */
    struct StmHeap *stm;
#endif

    GcCounters counters;
};

static inline const GcLayout *gc_layout_of(const GcHeap *heap, const void *object) {
    return &heap->layouts[gc_type_id_of(object)];
}

/* gc_heap.c: the old generation's allocator. */
void *gc_old_alloc_small(GcHeap *heap, size_t footprint);

/* The minor collection's fast path for a slot: the class's current page
 * has a free slot or an untouched one. */
static inline void *gc_old_alloc_small_inline(GcHeap *heap, size_t footprint) {
    GcPage *page = heap->classes[heap->class_of_words[footprint / 8]].current;
    if (GC_LIKELY(page != NULL)) {
        char *slot = page->free_list;
        if (slot) {
            gc_unpoison(slot, page->object_size);
            page->free_list = ((char **)slot)[1];
        } else if (page->bump < page->end) {
            slot = page->bump;
            page->bump += page->object_size;
        } else {
            return gc_old_alloc_small(heap, footprint);
        }
        page->live_count++;
        heap->old_bytes += page->object_size;
        return slot;
    }
    return gc_old_alloc_small(heap, footprint);
}
#ifdef KILN_STM
/* The STM build's old-generation allocator: from the thread's own current
 * page of the size class (no lock); the heap lock only to get another
 * page.  The slot's size is added to state->old_bytes_unflushed. */
void *gc_stm_old_alloc_refill(GcHeap *heap, GcThreadState *state, size_t footprint);
static inline void *gc_stm_old_alloc_small(GcHeap *heap, GcThreadState *state, size_t footprint) {
    GcPage *page = state->old_pages[heap->class_of_words[footprint / 8]];
    if (GC_LIKELY(page != NULL)) {
        char *slot = page->free_list;
        if (slot) {
            gc_unpoison(slot, page->object_size);
            page->free_list = ((char **)slot)[1];
        } else if (page->bump < page->end) {
            slot = page->bump;
            page->bump += page->object_size;
        } else {
            return gc_stm_old_alloc_refill(heap, state, footprint);
        }
        page->live_count++;
        state->old_bytes_unflushed += page->object_size;
        return slot;
    }
    return gc_stm_old_alloc_refill(heap, state, footprint);
}
/* Adds old_bytes_unflushed to the heap's old_bytes. */
void gc_stm_flush_old_bytes(GcHeap *heap, GcThreadState *state);
/* Gives the thread's current pages back to their classes (under the heap
 * lock, or with every thread parked). */
void gc_stm_release_pages(GcHeap *heap, GcThreadState *state);
/* A large block in the old generation (old_bytes counted, under the lock). */
void gc_stm_old_large_insert(GcHeap *heap, GcLarge *node);
/* A zeroed object allocated straight in the old generation, without owner:
 * for objects that several transactions must share from birth (the STM
 * hash tables' parts).  Never collects; asks for a major collection when
 * the old generation passed its threshold. */
void *gc_stm_alloc_old(GcThread *thread, uint32_t type_id, int64_t length);
#endif
/* A large block for `footprint` bytes with `card_count` cards (zeroed);
 * the object memory is zeroed when `zero` is set. */
GcLarge *gc_large_alloc(size_t footprint, size_t card_count, bool zero);
void gc_large_free(GcLarge *node);
void gc_sweep_pages(GcHeap *heap);
void gc_sweep_large(GcHeap *heap);
void gc_release_all_memory(GcHeap *heap);

/* gc_minor.c and gc_major.c */
void gc_minor_collection(GcHeap *heap);
#ifdef KILN_STM
/* STM build: a minor collection of one thread's nursery, by that thread,
 * at a point where its references are on its shadow stack; other threads
 * run on (the caller must not hold the heap lock, which it takes for the
 * heap's lists).  `committing`: its young objects are being published. */
void gc_minor_collect_thread(GcHeap *heap, GcThreadState *state, bool committing);
/* Drops every young object of the thread without copying (abort): runs
 * their destructors, frees young large objects, re-zeroes the nursery. */
void gc_minor_discard(GcHeap *heap, GcThreadState *state);
/* Sets nursery_stop and nursery_soft_stop from the thread's nursery limit
 * (and lowers nursery_top to the soft stop). */
void gc_stm_set_nursery_stops(GcThreadState *state);
/* True when the thread's nursery or young large list holds anything. */
bool gc_has_young(GcThreadState *state);
/* What the STM engine's root hook calls for each slot it holds. */
typedef void (*GcSlotVisitor)(void *pass, void **slot);
/* stm_*.c hooks called by the collector. */
void stm_heap_lock(GcHeap *heap);
void stm_heap_unlock(GcHeap *heap);
void stm_heap_init(GcHeap *heap);
void stm_heap_finish(GcHeap *heap);
void stm_collect_for_allocation(GcThreadState *state);
void stm_nursery_nearly_full(GcThreadState *state);
void stm_collect_major(GcThreadState *state);
void stm_collect_minor(GcThreadState *state);
void stm_request_major(GcHeap *heap);
void stm_minor_roots(GcThreadState *state, GcSlotVisitor visit, void *pass);
void stm_major_roots(GcHeap *heap, void (*mark)(GcHeap *, void *),
                     void (*mark_fields)(GcHeap *, char *));
void stm_thread_attach(GcThreadState *state);
void stm_thread_detach(GcThreadState *state);
void stm_safe_region_enter(GcThread *thread);
void stm_safe_region_leave(GcThread *thread);
void stm_signal_slow(GcThread *thread);
/* gc_thread.c, called under the STM heap lock. */
void gc_thread_link(GcHeap *heap, GcThreadState *state);
void gc_thread_unlink(GcHeap *heap, GcThreadState *state);
#endif
void gc_major_collection(GcHeap *heap);
/* The collection that an exhausted nursery asks for: minor, then major when
 * the old generation passed its threshold. */
void gc_collect_for_allocation(GcThreadState *state);
void gc_run_destructor(GcHeap *heap, GcDestructorEntry *entry);

/* The splitmix64 finalizer, so that nearby addresses get unrelated
 * hashes. */
static inline uint64_t gc_mix_hash(uint64_t value) {
    value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9u;
    value = (value ^ (value >> 27)) * 0x94d049bb133111ebu;
    return value ^ (value >> 31);
}

/* The identity hash of an object that never moves: its address. */
static inline uint64_t gc_hash_of_address(const void *address) {
    return gc_mix_hash((uint64_t)(uintptr_t)address);
}

/* The identity hash of a nursery object: its address and the number of
 * minor collections that emptied its nursery so far (the heap's count
 * without STM, the thread's own with it), because nursery addresses are
 * reused after each one.  Stable until the object moves, when it is
 * stored. */
static inline uint64_t gc_hash_of_young(uint64_t epoch, const void *address) {
    return gc_mix_hash((uint64_t)(uintptr_t)address ^ epoch * 0x9e3779b97f4a7c15u);
}
/* gc_verify.c: after each collection when config.verify is set. */
void gc_verify_or_die(GcHeap *heap, const char *when);

/* gc_thread.c */
bool gc_holds_gil(GcHeap *heap, GcThreadState *state);
/* Recomputes young_low and young_span after a thread came or went. */
void gc_update_young_range(GcHeap *heap);

#endif
