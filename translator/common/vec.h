/* vec.h - growable arrays backed by the system allocator.
 *
 * A Vec(T) is a struct { T *items; int count; int capacity; }.  Vectors own
 * their storage; vec_free releases it.  Vectors that must live as long as an
 * arena are copied into it with vec_freeze (see flow_build.c) so that the
 * arena policy holds for finished IR.
 */
#ifndef KILN_VEC_H
#define KILN_VEC_H

#include <stdlib.h>

#include "arena.h"

#define Vec(type)                                                                                  \
    struct {                                                                                       \
        type *items;                                                                               \
        int count;                                                                                 \
        int capacity;                                                                              \
    }

#define vec_reserve(vec, wanted)                                                                   \
    do {                                                                                           \
        if ((wanted) > (vec)->capacity) {                                                          \
            int new_capacity_ = (vec)->capacity ? (vec)->capacity * 2 : 8;                         \
            while (new_capacity_ < (wanted))                                                       \
                new_capacity_ *= 2;                                                                \
            (vec)->items =                                                                         \
                kiln_xrealloc((vec)->items, sizeof(*(vec)->items) * (size_t)new_capacity_);        \
            (vec)->capacity = new_capacity_;                                                       \
        }                                                                                          \
    } while (0)

#define vec_push(vec, value)                                                                       \
    do {                                                                                           \
        vec_reserve((vec), (vec)->count + 1);                                                      \
        (vec)->items[(vec)->count++] = (value);                                                    \
    } while (0)

#define vec_pop(vec)  ((vec)->items[--(vec)->count])
#define vec_last(vec) ((vec)->items[(vec)->count - 1])
#define vec_free(vec)                                                                              \
    do {                                                                                           \
        free((vec)->items);                                                                        \
        (vec)->items = NULL;                                                                       \
        (vec)->count = (vec)->capacity = 0;                                                        \
    } while (0)
/* Copy the items into an arena; returns the arena copy (NULL when empty). */
#define vec_freeze(arena, vec)                                                                     \
    ((vec)->count                                                                                  \
         ? arena_memdup((arena), (vec)->items, sizeof(*(vec)->items) * (size_t)(vec)->count)       \
         : NULL)

#endif
