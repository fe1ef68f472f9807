/* interp_str.c - strings: hashing, comparison, concatenation; number
 * parsing (int_of, float_of) and the shortest round-trip float format.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "interp_internal.h"

uint64_t interp_str_hash(InterpStr *str) {
    if (str->hash) return str->hash;
    uint64_t hash = 14695981039346656037ull; /* FNV-1a */
    for (int64_t i = 0; i < str->length; i++) {
        hash ^= (unsigned char)str->bytes[i];
        hash *= 1099511628211ull;
    }
    str->hash = hash ? hash : 1;
    return str->hash;
}

bool interp_str_equal(InterpStr *left, InterpStr *right) {
    if (left == right) return true;
    if (left->length != right->length) return false;
    if (left->hash && right->hash && left->hash != right->hash) return false;
    return memcmp(left->bytes, right->bytes, (size_t)left->length) == 0;
}

int interp_str_compare(const InterpStr *left, const InterpStr *right) {
    int64_t common = left->length < right->length ? left->length : right->length;
    int order = common > 0 ? memcmp(left->bytes, right->bytes, (size_t)common) : 0;
    if (order != 0) return order;
    return left->length < right->length ? -1 : left->length > right->length ? 1 : 0;
}

InterpStr *interp_str_concat(Interp *interp, const InterpStr *left, const InterpStr *right) {
    if (right->length == 0) return (InterpStr *)left;
    if (left->length == 0) return (InterpStr *)right;
    if (left->length > INT64_MAX - right->length)
        return interp_raise(interp, INTERP_ERROR_MEMORY, "str too long"), NULL;
    InterpStr *str = interp_str_alloc(interp, left->length + right->length);
    if (!str) return NULL;
    memcpy(str->bytes, left->bytes, (size_t)left->length);
    memcpy(str->bytes + left->length, right->bytes, (size_t)right->length);
    return str;
}

InterpStr *interp_str_of_char(Interp *interp, int byte) {
    byte &= 255;
    if (!interp->char_strs[byte]) {
        char text = (char)byte;
        interp->char_strs[byte] = interp_str_new(interp, &text, 1);
    }
    return interp->char_strs[byte];
}

