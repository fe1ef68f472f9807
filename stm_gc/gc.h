/* gc.h - the kiln garbage collector: public API and inline fast paths.
 *
 * The collector is generational and precise:
 *   - every thread owns a nursery; allocation bumps a pointer in it;
 *   - a minor collection copies the nursery survivors into the old
 *     generation (size-class pages plus large objects) and empties every
 *     thread's nursery;
 *   - a major collection marks from the roots and sweeps the old
 *     generation, stop-the-world (README.md says how it becomes incremental);
 *   - roots are the per-thread shadow stacks, registered global slots and
 *     the prebuilt objects that were ever written.
 *
 * What generated code must do (README.md has the long form):
 *   - start-up: gc_heap_create, gc_heap_register_types with its descriptor
 *     table, gc_heap_add_root for each global slot holding a reference, then
 *     gc_thread_attach (returns holding the GIL);
 *   - allocation: gc_alloc / gc_alloc_varsize (inline), or gc_alloc_general
 *     for types with a destructor; memory comes back zeroed with the header
 *     (and the length) set;
 *   - every call or allocation that can collect: spill the live references
 *     to the shadow stack before it and reload them after it, because a
 *     collection moves young objects and rewrites the shadow stack;
 *   - every store of a reference into an object that may be old:
 *     gc_write_barrier (or gc_write_barrier_array with the index) before the
 *     store;
 *   - long loops: gc_safe_point; blocking calls: gc_gil_release/acquire
 *     around them, with every live reference on the shadow stack;
 *   - thread start: gc_thread_attach in the new thread, gc_thread_detach at
 *     its end; at exit: gc_thread_detach, then gc_heap_destroy.
 *
 * What the collector guarantees: an object reachable from the roots stays
 * valid with its contents; references in reachable objects and root slots
 * are updated when an object moves; old objects, large objects and prebuilt
 * objects never move; the identity hash never changes; a destructor runs at
 * most once, after its object became unreachable, and at the latest in
 * gc_heap_destroy.
 *
 * Every function that takes a GcThread must be called by that thread while
 * it holds the GIL, except gc_gil_acquire; gc_thread_attach takes the GIL.
 * The heap functions run before the first attach (create, register types,
 * add roots) or after the last detach (destroy).
 */
#ifndef KILN_GC_H
#define KILN_GC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define GC_LIKELY(condition)   __builtin_expect(!!(condition), 1)
#define GC_UNLIKELY(condition) __builtin_expect(!!(condition), 0)

/* ---- Object model -------------------------------------------------------
 *
 * Every object starts with one header word:
 *   bits  0..31  type id: index in the heap's descriptor table (0 is never
 *                a valid type: a zero header marks a free old-generation slot)
 *   bits 32..47  GC flags (below)
 *   bits 48..63  reserved for the STM engine (GC_STM_RESERVED_MASK); the
 *                collector keeps them unchanged when it copies an object
 * Objects are 8-byte aligned and at least GC_MIN_OBJECT bytes: a forwarded
 * nursery object keeps its new address in its second word.
 */
typedef uint64_t GcHeader;

#define GC_TYPE_ID_MASK      ((GcHeader)0xffffffffu)
#define GC_FLAG_BIT(n)       ((GcHeader)1 << (32 + (n)))
#define GC_FLAGS_MASK        ((GcHeader)0xffff << 32)
#define GC_STM_RESERVED_MASK ((GcHeader)0xffff << 48)
/* STM build: bits 48..55 name the thread (its slot + 1) that owns the
 * object: a young object of that thread's nursery, or an old object in that
 * thread's write set (stm.h).  Zero: no owner. */
#define GC_STM_OWNER_SHIFT 48
#define GC_STM_OWNER_MASK  ((GcHeader)0xff << GC_STM_OWNER_SHIFT)

/* The header word of an object.  In the STM build other threads may update
 * the header of an old object they own while this thread reads it, so the
 * load is atomic (relaxed: a plain load on every target we support). */
static inline GcHeader gc_header_load(const void *object) {
#ifdef KILN_STM
    return __atomic_load_n((const GcHeader *)object, __ATOMIC_RELAXED);
#else
    return *(const GcHeader *)object;
#endif
}

#ifdef KILN_STM
/* The owner field alone: the header's byte that holds bits 48..55.  One
 * byte load and a compare instead of a load, a 64-bit mask and a compare;
 * the load is atomic, like every load of a header another thread may
 * update. */
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define GC_STM_OWNER_BYTE (GC_STM_OWNER_SHIFT / 8)
#else
#define GC_STM_OWNER_BYTE (sizeof(GcHeader) - 1 - GC_STM_OWNER_SHIFT / 8)
#endif
static inline uint8_t gc_owner_load(const void *object) {
    return __atomic_load_n((const uint8_t *)object + GC_STM_OWNER_BYTE, __ATOMIC_RELAXED);
}
#endif

/* In the old generation or prebuilt; never set on nursery or young large
 * objects, so "young" is exactly "this flag is clear". */
#define GC_FLAG_OLD GC_FLAG_BIT(0)
/* Old object not in the remembered set: a store of a reference into it must
 * go through the slow path of the write barrier, which records it. */
#define GC_FLAG_WRITE_BARRIER GC_FLAG_BIT(1)
/* Static object made by the translator; never moved or freed. */
#define GC_FLAG_PREBUILT GC_FLAG_BIT(2)
/* Prebuilt object written at least once: a root of every major collection.
 * Prebuilt objects never written point only to prebuilt objects. */
#define GC_FLAG_PREBUILT_ROOT GC_FLAG_BIT(3)
/* In the large-object space (young or old); never moves. */
#define GC_FLAG_LARGE GC_FLAG_BIT(4)
/* Old large object whose items hold references: it has one card byte per
 * GC_CARD_ITEMS items just before its header, and keeps
 * GC_FLAG_WRITE_BARRIER so that array stores mark cards. */
#define GC_FLAG_HAS_CARDS GC_FLAG_BIT(5)
/* Some card of the object is marked and the object is in its thread's list
 * of objects with cards set. */
#define GC_FLAG_CARDS_SET GC_FLAG_BIT(6)
/* Reached by the marking of the major collection in progress. */
#define GC_FLAG_MARKED GC_FLAG_BIT(7)
/* Nursery object already copied by the minor collection in progress. */
#define GC_FLAG_FORWARDED GC_FLAG_BIT(8)
/* Nursery object whose identity hash was taken (derived from its nursery
 * address); when it moves, the hash goes into an extra trailing word. */
#define GC_FLAG_HASH_TAKEN GC_FLAG_BIT(9)
/* The object carries its identity hash in one word after its last byte. */
#define GC_FLAG_HASH_STORED GC_FLAG_BIT(10)
/* A destructor is registered for the object (it has an entry in exactly one
 * destructor list). */
#define GC_FLAG_HAS_DESTRUCTOR GC_FLAG_BIT(11)

/* The header of a prebuilt (static) object, for initializers emitted by the
 * translator: old from birth, never freed, and it takes part in the write
 * barrier like any old object. */
#define GC_PREBUILT_HEADER(type_id)                                                                \
    ((GcHeader)(type_id) | GC_FLAG_OLD | GC_FLAG_PREBUILT | GC_FLAG_WRITE_BARRIER)

#define GC_MIN_OBJECT 16
/* Larger objects skip the nursery: they go to the large-object space,
 * where they stay young (never moved) until the next minor collection. */
#define GC_NURSERY_OBJECT_MAX (16 * 1024)
/* The biggest object the collector accepts. */
#define GC_MAX_OBJECT ((size_t)1 << 40)
/* Items per card of a large array of references. */
#define GC_CARD_SHIFT 7
#define GC_CARD_ITEMS ((int64_t)1 << GC_CARD_SHIFT)

/* A destructor runs after its object became unreachable and before its
 * memory is reused.  It may read the object's non-reference fields (a file
 * descriptor, a malloc'ed buffer) and release what they hold; it must not
 * read references, allocate, or call into the collector. */
typedef void (*GcDestructor)(void *object);

/* A type descriptor says how the collector traces objects of one type.
 *   fixed part: fixed_size bytes, header included; the references in it are
 *     at ref_offsets[0 .. ref_count);
 *   variable part (item_size != 0): `length` items of item_size bytes each,
 *     starting at offset fixed_size; the int64_t length is at length_offset
 *     inside the fixed part; the references inside each item are at
 *     item_ref_offsets[0 .. item_ref_count) (an array of references has
 *     item_size 8 and one item reference at offset 0).
 * Offsets of references and of the length are multiples of 8.  The object
 * size is fixed_size + item_size * length rounded up to 8, at least
 * GC_MIN_OBJECT. */
typedef struct GcTypeInfo {
    const char *name; /* for the verifier's and the debug checks' messages */
    uint32_t fixed_size;
    uint32_t item_size;
    uint32_t length_offset;
    uint32_t ref_count;
    const uint32_t *ref_offsets;
    uint32_t item_ref_count;
    const uint32_t *item_ref_offsets;
    GcDestructor destructor; /* NULL: none */
} GcTypeInfo;

/* ---- Heap and configuration --------------------------------------------- */

typedef struct GcHeap GcHeap;

typedef struct GcConfig {
    size_t nursery_bytes;      /* per thread; KILN_GC_NURSERY (K/M/G suffix); 4 MB */
    size_t minor_budget_bytes; /* bytes a minor collection should copy at most, which bounds
                                  its pause: after collections that promote much, only part
                                  of the nursery is used; KILN_GC_MINOR_BUDGET; 0: always
                                  the whole nursery */
    size_t major_min_bytes;    /* no major collection below this old size; KILN_GC_MAJOR_MIN */
    double major_growth;       /* next major when old bytes reach live * growth */
    size_t shadow_stack_slots; /* per thread; overflow is fatal */
    bool stress;               /* KILN_GC_STRESS=1: a minor collection at every allocation */
    bool print_stats;          /* KILN_GC_STATS=1: print statistics in gc_heap_destroy */
    bool verify;               /* KILN_GC_VERIFY: verify the heap after each collection
                                  (default: on in KILN_DEBUG builds of stm_gc) */
} GcConfig;

/* The defaults, then the environment variables above.  A malformed value is
 * reported on stderr and ignored. */
void gc_config_default(GcConfig *config);
void gc_config_from_env(GcConfig *config);
/* Parses "4194304", "512K", "4M", "1G"; false when malformed. */
bool gc_parse_size(const char *text, size_t *bytes);

GcHeap *gc_heap_create(const GcConfig *config);
/* Registers `count` descriptors (copied); returns the type id of the first
 * one, the others follow in order.  Call before the first allocation of
 * these types.  An inconsistent descriptor is a fatal error.  Ids are given
 * from 1 in registration order, in both builds: the STM engine registers
 * its own types at the first gc_thread_attach, after the program's. */
uint32_t gc_heap_register_types(GcHeap *heap, const GcTypeInfo *types, uint32_t count);
/* A global variable holding a reference: a root of every collection. */
void gc_heap_add_root(GcHeap *heap, void **slot);
/* Needs every thread detached.  Runs the pending destructors, prints the
 * statistics when asked, and frees everything. */
void gc_heap_destroy(GcHeap *heap);

/* ---- Threads ------------------------------------------------------------
 *
 * The public part of a thread context: the fields the inline fast paths
 * use.  The rest of the context is private to the collector.
 * Invariants: nursery_free <= nursery_top; [nursery_free, nursery_top) is
 * zeroed and free; the shadow stack holds valid references or NULL in
 * [base, root_top). */
typedef struct GcThread {
    char *nursery_free;
    char *nursery_top;
    void **root_top;
    void **root_limit;
    GcHeap *heap;
    atomic_int *gil_drop_request; /* a waiter asks for the GIL (gc_thread.c) */
#ifdef KILN_STM
    /* The fields of the STM fast paths (stm.h explains each). */
    GcHeader stm_owner;                     /* (slot + 1) << GC_STM_OWNER_SHIFT */
    uint8_t stm_owner_number;               /* slot + 1: the owner field's value */
    uint64_t stm_reader_bit;                /* 1 << slot, this thread's bit in every orec */
    uint8_t *stm_read_marks;                /* this thread's marks, one byte per orec */
    int64_t stm_budget;                     /* break points left before a transaction break */
    atomic_uint stm_signal;                 /* STM_SIGNAL_* requests from other threads */
    const struct StmLocation *stm_location; /* the current source position */
    /* Indexed by an object's owner field: nonzero when a read needs no
     * registration.  Set for this thread's number always, and for every
     * value in serial mode (stm_read_barrier). */
    uint8_t stm_read_pass[256];
#endif
} GcThread;

/* Registers the calling thread: a nursery, a shadow stack, and the
 * thread-local current context.  Returns holding the GIL. */
GcThread *gc_thread_attach(GcHeap *heap);
/* Empties the nursery (a minor collection), frees the context and releases
 * the GIL. */
void gc_thread_detach(GcThread *thread);

/* The calling thread's context: the one per-thread global, by design. */
extern _Thread_local GcThread *gc_current_thread;
static inline GcThread *gc_thread_current(void) {
    return gc_current_thread;
}

/* ---- The GIL ------------------------------------------------------------
 *
 * Without STM, one lock serializes the threads.  A collection runs in the
 * thread that holds it; every other thread is then either waiting in
 * gc_gil_acquire or between gc_gil_release and gc_gil_acquire, and in both
 * cases its references are on its shadow stack: stopping the world costs
 * nothing and needs no signals.  The lock is fair (first come, first
 * served). */
void gc_gil_acquire(GcThread *thread);
void gc_gil_release(GcThread *thread);
void gc_safe_point_slow(GcThread *thread);

/* Lets a waiting thread run; call it in loops (the transform puts one at
 * each loop back edge).  Live references must be on the shadow stack. */
static inline void gc_safe_point(GcThread *thread) {
#ifdef KILN_STM
    /* No GIL: a safe point answers the other threads' requests (a major
     * collection, an abort asked by an inevitable transaction). */
    if (GC_UNLIKELY(atomic_load_explicit(&thread->stm_signal, memory_order_relaxed)))
        gc_safe_point_slow(thread);
#else
    if (GC_UNLIKELY(atomic_load_explicit(thread->gil_drop_request, memory_order_relaxed)))
        gc_safe_point_slow(thread);
#endif
}

/* ---- Allocation --------------------------------------------------------- */

/* The out-of-line allocator: any type, any size, destructors included.
 * `size` is the rounded object size; `length` is the item count of a type
 * with a variable part (ignored otherwise).  Can collect.  Running out of
 * memory or a negative or huge length is fatal. */
void *gc_alloc_general(GcThread *thread, uint32_t type_id, size_t size, int64_t length);
/* Checks done by the inline paths in KILN_DEBUG builds: the type exists,
 * has no destructor, and `size` matches its descriptor. */
void gc_debug_check_alloc(GcThread *thread, uint32_t type_id, size_t size, int64_t length);

/* The header of a new young object.  In the STM build it carries its
 * thread as owner: young objects are private, and the STM barriers let the
 * owner through without a look at anything else. */
static inline GcHeader gc_young_header(GcThread *thread, uint32_t type_id) {
#ifdef KILN_STM
    return (GcHeader)type_id | thread->stm_owner;
#else
    (void)thread;
    return type_id;
#endif
}

static inline size_t gc_round_size(size_t bytes) {
    bytes = (bytes + 7) & ~(size_t)7;
    return bytes < GC_MIN_OBJECT ? GC_MIN_OBJECT : bytes;
}

/* A fixed-size object of a type without destructor; `bytes` is the
 * descriptor's fixed_size (a constant in generated code, so the rounding and
 * the size test fold away). */
static inline void *gc_alloc(GcThread *thread, uint32_t type_id, size_t bytes) {
    size_t size = gc_round_size(bytes);
#ifdef KILN_DEBUG
    gc_debug_check_alloc(thread, type_id, size, 0);
#endif
    char *result = thread->nursery_free;
    if (GC_LIKELY(size <= GC_NURSERY_OBJECT_MAX &&
                  size <= (size_t)(thread->nursery_top - result))) {
        thread->nursery_free = result + size;
        *(GcHeader *)result = gc_young_header(thread, type_id);
        return result;
    }
    return gc_alloc_general(thread, type_id, size, 0);
}

/* An object with a variable part of `length` items; sets the length. */
static inline void *gc_alloc_varsize(GcThread *thread, uint32_t type_id, size_t fixed_size,
                                     size_t item_size, size_t length_offset, int64_t length) {
    if (GC_UNLIKELY(length < 0 || (uint64_t)length > (GC_MAX_OBJECT - fixed_size) / item_size))
        return gc_alloc_general(thread, type_id, GC_MAX_OBJECT, length);
    size_t size = gc_round_size(fixed_size + item_size * (size_t)length);
#ifdef KILN_DEBUG
    gc_debug_check_alloc(thread, type_id, size, length);
#endif
    char *result = thread->nursery_free;
    if (GC_LIKELY(size <= GC_NURSERY_OBJECT_MAX &&
                  size <= (size_t)(thread->nursery_top - result))) {
        thread->nursery_free = result + size;
        *(GcHeader *)result = gc_young_header(thread, type_id);
        *(int64_t *)(result + length_offset) = length;
        return result;
    }
    return gc_alloc_general(thread, type_id, size, length);
}

/* ---- Write barrier ------------------------------------------------------
 *
 * Call before storing a reference into `object` unless the object is known
 * to be young (allocated since the last call that can collect).  Stores of
 * NULL or of prebuilt objects need no barrier. */
void gc_write_barrier_slow(GcThread *thread, void *object);
void gc_write_barrier_array_slow(GcThread *thread, void *array, int64_t index);

#ifdef KILN_STM
/* STM build: the barrier is the STM write barrier.  Its fast path is one
 * compare: the object is young in this thread or already in its write set
 * (its owner field names this thread).  The slow path (stm_core.c) locks
 * the object, checks for readers, saves a backup and remembers it. */
void stm_write_slow(GcThread *thread, void *object);
static inline void gc_write_barrier(GcThread *thread, void *object) {
    if (GC_UNLIKELY(gc_owner_load(object) != thread->stm_owner_number))
        stm_write_slow(thread, object);
}
#else
static inline void gc_write_barrier(GcThread *thread, void *object) {
    if (GC_UNLIKELY(*(GcHeader *)object & GC_FLAG_WRITE_BARRIER))
        gc_write_barrier_slow(thread, object);
}
#endif

/* The card of item `index` of an object with GC_FLAG_HAS_CARDS. */
static inline uint8_t *gc_card_of(void *array, int64_t index) {
    return (uint8_t *)array - 1 - (index >> GC_CARD_SHIFT);
}

/* For a store into item `index` of the variable part: a big old array gets
 * only the card of that item marked instead of being traced whole. */
static inline void gc_write_barrier_array(GcThread *thread, void *array, int64_t index) {
#ifdef KILN_STM
    /* The STM write set holds whole objects: the array is locked and
     * backed up whole, and traced whole by the minor collections. */
    (void)index;
    gc_write_barrier(thread, array);
    return;
#endif
    GcHeader header = *(GcHeader *)array;
    if (GC_UNLIKELY(header & GC_FLAG_WRITE_BARRIER)) {
        if ((header & GC_FLAG_HAS_CARDS) && *gc_card_of(array, index)) return;
        gc_write_barrier_array_slow(thread, array, index);
    }
}

/* ---- Shadow stack ------------------------------------------------------- */

_Noreturn void gc_shadow_stack_overflow(GcThread *thread);

static inline void gc_push_root(GcThread *thread, void *reference) {
#ifdef KILN_DEBUG
    if (thread->root_top >= thread->root_limit) gc_shadow_stack_overflow(thread);
#endif
    *thread->root_top++ = reference;
}

static inline void *gc_pop_root(GcThread *thread) {
    return *--thread->root_top;
}

/* A frame of `count` root slots, set to NULL; give it back with
 * gc_leave_frame on every exit path of the function. */
static inline void **gc_enter_frame(GcThread *thread, size_t count) {
    void **frame = thread->root_top;
    if (GC_UNLIKELY(count > (size_t)(thread->root_limit - frame))) gc_shadow_stack_overflow(thread);
    for (size_t i = 0; i < count; i++)
        frame[i] = NULL;
    thread->root_top = frame + count;
    return frame;
}

static inline void gc_leave_frame(GcThread *thread, void **frame) {
    thread->root_top = frame;
}

/* ---- Collections, identity, destructors --------------------------------- */

void gc_collect_minor(GcThread *thread);
/* A minor collection, then a full mark-sweep of the old generation. */
void gc_collect_major(GcThread *thread);

/* Stable for the object's whole life, whatever moves it. */
uint64_t gc_identity_hash(GcThread *thread, void *object);

/* Runs `destructor` after `object` dies.  An object has at most one
 * destructor: this replaces the one of its type or an earlier one. */
void gc_register_destructor(GcThread *thread, void *object, GcDestructor destructor);

/* True when `object` has not been promoted: it is in a nursery or is a
 * large object allocated since the last minor collection. */
static inline bool gc_is_young(const void *object) {
    return !(*(const GcHeader *)object & GC_FLAG_OLD);
}

/* ---- Verification and statistics ---------------------------------------- */

typedef struct GcVerifyReport {
    size_t errors;
    size_t objects;      /* objects checked */
    size_t references;   /* reference slots checked */
    char first[10][200]; /* the first messages, each naming the invariant */
} GcVerifyReport;

/* Checks every heap invariant (see gc_verify.c); returns the error count.
 * Callable between collections by the thread holding the GIL. */
size_t gc_verify(GcHeap *heap, GcVerifyReport *report);

typedef struct GcPauseSummary {
    uint64_t count;
    double p50_ms, p99_ms, max_ms, total_ms;
} GcPauseSummary;

typedef struct GcStats {
    uint64_t minor_collections;
    uint64_t major_collections;
    uint64_t bytes_allocated; /* nursery and large objects */
    uint64_t bytes_promoted;  /* copied out of nurseries or kept as old large */
    uint64_t old_bytes;       /* now, in size-class slots and large objects */
    uint64_t old_bytes_peak;
    uint64_t cards_scanned; /* cards traced by minor collections */
    uint64_t nursery_limit; /* nursery bytes each thread uses until the next minor */
    uint64_t destructors_run;
    GcPauseSummary minor;     /* wall time */
    GcPauseSummary major;     /* mark and sweep, after their minor collection */
    GcPauseSummary minor_cpu; /* CPU time of the collecting thread: the collector's */
    GcPauseSummary major_cpu; /* own work, which machine load does not inflate */
} GcStats;

void gc_get_stats(GcHeap *heap, GcStats *stats);
/* Minor plus major collections so far (cheap, unlike gc_get_stats). */
uint64_t gc_collection_count(GcHeap *heap);
void gc_print_stats(GcHeap *heap, FILE *out);

#endif
