/* map.c - the uthash-backed map behind map.h. */
#include "map.h"

#include <stdlib.h>
#include <uthash.h>

#undef uthash_fatal
#define uthash_fatal(message) kiln_map_out_of_memory()

#include "arena.h"

static void kiln_map_out_of_memory(void) {
    kiln_fatal("out of memory in a symbol table");
}

struct MapEntry {
    const char *key; /* borrowed; see map.h */
    size_t length;
    int64_t int_key;
    void *value;
    UT_hash_handle hh;
};

void map_init(Map *map) {
    map->head = NULL;
}

void map_free(Map *map) {
    MapEntry *entry, *next;
    HASH_ITER(hh, map->head, entry, next) {
        HASH_DEL(map->head, entry);
        free(entry);
    }
    map->head = NULL;
}

static MapEntry *map_find(const Map *map, const char *key, size_t length) {
    MapEntry *entry = NULL;
    HASH_FIND(hh, map->head, key, length, entry);
    return entry;
}

void *map_get(const Map *map, const char *key, size_t length) {
    MapEntry *entry = map_find(map, key, length);
    return entry ? entry->value : NULL;
}

bool map_has(const Map *map, const char *key, size_t length) {
    return map_find(map, key, length) != NULL;
}

void *map_put(Map *map, const char *key, size_t length, void *value) {
    MapEntry *entry = map_find(map, key, length);
    if (entry) {
        void *previous = entry->value;
        entry->value = value;
        return previous;
    }
    entry = kiln_xcalloc(1, sizeof(MapEntry));
    entry->key = key;
    entry->length = length;
    entry->value = value;
    HASH_ADD_KEYPTR(hh, map->head, entry->key, entry->length, entry);
    return NULL;
}

void *map_get_int(const Map *map, int64_t key) {
    MapEntry *entry = NULL;
    HASH_FIND(hh, map->head, &key, sizeof key, entry);
    return entry ? entry->value : NULL;
}

void *map_put_int(Map *map, int64_t key, void *value) {
    MapEntry *entry = NULL;
    HASH_FIND(hh, map->head, &key, sizeof key, entry);
    if (entry) {
        void *previous = entry->value;
        entry->value = value;
        return previous;
    }
    entry = kiln_xcalloc(1, sizeof(MapEntry));
    entry->int_key = key;
    entry->value = value;
    HASH_ADD(hh, map->head, int_key, sizeof(int64_t), entry);
    return NULL;
}

int map_count(const Map *map) {
    return (int)HASH_COUNT(map->head);
}

MapEntry *map_first(const Map *map) {
    return map->head;
}

MapEntry *map_next(const MapEntry *entry) {
    return entry->hh.next;
}

const char *map_entry_key(const MapEntry *entry) {
    return entry->key;
}

void *map_entry_value(const MapEntry *entry) {
    return entry->value;
}
