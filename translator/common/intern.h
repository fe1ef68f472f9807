/* intern.h - string interning.
 *
 * Interned strings are unique per table: two interned strings are equal iff
 * their pointers are equal, which makes identifier comparison a pointer
 * test.  The text lives in the table's arena and is NUL-terminated.  The
 * table lives as long as the source arena (see arena.h).
 */
#ifndef KILN_INTERN_H
#define KILN_INTERN_H

#include <stddef.h>

#include "arena.h"
#include "map.h"

typedef struct InternTable {
    Arena *arena; /* borrowed: owns the interned text */
    Map strings;  /* text -> the interned copy */
} InternTable;

void intern_init(InternTable *table, Arena *arena);
void intern_free(InternTable *table);
const char *intern(InternTable *table, const char *text, size_t length);
const char *intern_cstr(InternTable *table, const char *text);

#endif
