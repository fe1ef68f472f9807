/* map.h - string-keyed and integer-keyed hash maps for symbol tables.
 *
 * A thin API over uthash so that no other file includes uthash.h.  Entries
 * are allocated with the system allocator and owned by the map; keys are not
 * copied, so a string key must outlive the map (interned strings and arena
 * text do).  Iteration follows insertion order.
 */
#ifndef KILN_MAP_H
#define KILN_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct MapEntry MapEntry;

typedef struct Map {
    MapEntry *head; /* uthash table head; NULL when empty */
} Map;

void map_init(Map *map);
void map_free(Map *map);
/* String keys (byte strings of the given length). */
void *map_get(const Map *map, const char *key, size_t length);
bool map_has(const Map *map, const char *key, size_t length);
/* Inserts or replaces; returns the previous value or NULL. */
void *map_put(Map *map, const char *key, size_t length, void *value);
/* Integer keys, in a separate map (do not mix key kinds in one map). */
void *map_get_int(const Map *map, int64_t key);
void *map_put_int(Map *map, int64_t key, void *value);
int map_count(const Map *map);

/* Insertion-order iteration: for (MapEntry *e = map_first(m); e; e = map_next(e)) */
MapEntry *map_first(const Map *map);
MapEntry *map_next(const MapEntry *entry);
const char *map_entry_key(const MapEntry *entry);
void *map_entry_value(const MapEntry *entry);

#endif
