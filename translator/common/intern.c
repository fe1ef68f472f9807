/* intern.c - see intern.h. */
#include "intern.h"

#include <string.h>

void intern_init(InternTable *table, Arena *arena) {
    table->arena = arena;
    map_init(&table->strings);
}

void intern_free(InternTable *table) {
    map_free(&table->strings);
}

const char *intern(InternTable *table, const char *text, size_t length) {
    const char *found = map_get(&table->strings, text, length);
    if (found) return found;
    char *copy = arena_strndup(table->arena, text, length);
    map_put(&table->strings, copy, length, copy);
    return copy;
}

const char *intern_cstr(InternTable *table, const char *text) {
    return intern(table, text, strlen(text));
}
