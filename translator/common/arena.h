/* arena.h - region allocation for the translator.
 *
 * Memory policy: every translator structure lives in an arena and is freed
 * with it as a whole; nothing is freed piecemeal.  The lifetimes are:
 *   - the source arena (one per `kiln` run) holds file texts, tokens are
 *     transient, the AST and interned strings: it lives until exit;
 *   - the flow arena (one per program) holds graphs, blocks, operations and
 *     links: it lives as long as any later stage reads the graphs;
 *   - the graph interpreter owns its heap separately (see interp.h).
 * Allocation never fails: on exhaustion of the system allocator the process
 * stops with a message, because a translator cannot do anything useful then.
 */
#ifndef KILN_ARENA_H
#define KILN_ARENA_H

#include <stddef.h>

typedef struct ArenaChunk ArenaChunk;

typedef struct Arena {
    ArenaChunk *head; /* newest chunk; allocation happens here */
    size_t total;     /* bytes obtained from the system, for statistics */
} Arena;

void arena_init(Arena *arena);
void arena_free(Arena *arena);
/* Zero-filled, aligned for any scalar type. */
void *arena_alloc(Arena *arena, size_t size);
void *arena_memdup(Arena *arena, const void *data, size_t size);
char *arena_strndup(Arena *arena, const char *text, size_t length);
char *arena_printf(Arena *arena, const char *format, ...) __attribute__((format(printf, 2, 3)));

#define ARENA_NEW(arena, type) ((type *)arena_alloc((arena), sizeof(type)))
#define ARENA_NEW_ARRAY(arena, type, count)                                                        \
    ((type *)arena_alloc((arena), sizeof(type) * (size_t)(count)))

/* Out-of-memory and internal-bug exits shared by the whole translator. */
_Noreturn void kiln_fatal(const char *format, ...) __attribute__((format(printf, 1, 2)));
void *kiln_xmalloc(size_t size);
void *kiln_xrealloc(void *pointer, size_t size);
void *kiln_xcalloc(size_t count, size_t size);
/* A whole file as a NUL-terminated malloc'ed text (the caller frees it);
 * NULL when it cannot be opened. */
char *kiln_read_text(const char *path);

#define KILN_ASSERT(condition, invariant)                                                          \
    do {                                                                                           \
        if (!(condition))                                                                          \
            kiln_fatal("internal error at %s:%d: invariant broken: %s", __FILE__, __LINE__,        \
                       (invariant));                                                               \
    } while (0)
#define kiln_unreachable(why)                                                                      \
    kiln_fatal("internal error at %s:%d: unreachable: %s", __FILE__, __LINE__, (why))

#endif
