/* lower_dict.c - the dict lookup probe loop as low-level instructions.
 *
 * rtlib's ordered dict (rt_dict.c) keeps its entries in insertion order in
 * an RtEntries array and finds them through an open-addressing index: an
 * RtArray whose length is a power of two, each slot 0 (empty) or an entry
 * number (index + 1).  A key's hash has bit 63 set (so that 0 marks a
 * deleted entry), and the first slot probed is a mix of the hash; probing
 * goes on linearly.  For keys whose hash and equality need no call (ints,
 * bools, chars: the word itself) or only cheap ones (strs: the cached hash
 * and rt_str_eq, which neither allocate nor raise), the lookup is inline,
 * so that later stages (the JIT) see the loop; other key types call
 * rt_dict_find.  Nothing here allocates: the entries and index arrays
 * cannot move during the lookup.
 */
#include <stddef.h>

#include "lower_internal.h"

/* rt_mix of rt_dict.c: h ^= h >> 33; h *= C; h ^= h >> 33, with the
 * logical shifts as arithmetic ones masked to their 31 bits. */
static LowValue lower_dict_mix(LowBuilder *builder, LowValue hash) {
    const int64_t low_31_bits = ((int64_t)1 << 31) - 1;
    for (int round = 0; round < 2; round++) {
        LowValue shifted = low_emit_binary(
            builder, LOW_BIN_AND, low_emit_binary(builder, LOW_BIN_ASHR, hash, low_int(33)),
            low_int(low_31_bits));
        hash = low_emit_binary(builder, LOW_BIN_XOR, hash, shifted);
        if (round == 0)
            hash = low_emit_binary(builder, LOW_BIN_MUL, hash,
                                   low_int((int64_t)0xff51afd7ed558ccdull));
    }
    return hash;
}

/* The key's hash as rtlib computes it (rt_val_hash | live bit). */
static LowValue lower_dict_hash(Lower *lower, LowValue key, bool str_key) {
    LowBuilder *builder = &lower->builder;
    LowFunc *func = builder->func;
    int hash = low_new_reg(func, LOW_I64);
    if (!str_key) {
        low_emit_copy(builder, hash, low_coerce(builder, key, LOW_I64));
    } else {
        LowValue str = low_coerce(builder, key, LOW_PTR);
        low_result_into(builder, low_emit_load(builder, LOW_I64, str, LOWER_OFFSET(RtStr, hash)),
                        hash);
        int compute = low_new_block(func, "str hash");
        int hashed = low_new_block(func, NULL);
        low_term_branch(builder,
                        low_emit_binary(builder, LOW_BIN_EQ, low_reg_value(func, hash), low_int(0)),
                        compute, hashed, LOW_HINT_UNLIKELY);
        low_set_block(builder, compute);
        low_result_into(builder, low_emit_runtime(builder, "rt_str_hash", 1, str), hash);
        low_term_goto(builder, hashed);
        low_set_block(builder, hashed);
    }
    return low_emit_binary(builder, LOW_BIN_OR, low_reg_value(func, hash), low_int(INT64_MIN));
}

/* The entry number's field `offset` of RtEntry (entry numbers count from 1). */
static LowValue lower_dict_entry_field(LowBuilder *builder, LowValue entries, LowValue number,
                                       int32_t offset) {
    int32_t first = LOWER_OFFSET(RtEntries, items) - (int32_t)sizeof(RtEntry);
    return low_emit_load_indexed(builder, LOW_I64, entries, number, (int32_t)sizeof(RtEntry),
                                 first + offset);
}

/* Branches to `hit` when the entry's key equals `key`, else to `next`. */
static void lower_dict_key_test(Lower *lower, LowValue entry_key, LowValue key, bool str_key,
                                int hit, int next) {
    LowBuilder *builder = &lower->builder;
    LowValue word = low_coerce(builder, key, LOW_I64);
    LowValue same = low_emit_binary(builder, LOW_BIN_EQ, entry_key, word);
    if (!str_key) {
        low_term_branch(builder, same, hit, next, LOW_HINT_LIKELY);
        return;
    }
    int compare = low_new_block(builder->func, "str key compare");
    low_term_branch(builder, same, hit, compare, LOW_HINT_LIKELY);
    low_set_block(builder, compare);
    LowValue equal =
        low_emit_runtime(builder, "rt_str_eq", 2, low_coerce(builder, entry_key, LOW_PTR),
                         low_coerce(builder, key, LOW_PTR));
    low_term_branch(builder, equal, hit, next, LOW_HINT_LIKELY);
}

/* The probe loop: the entry index of `key`, or -1. */
static LowValue lower_dict_probe(Lower *lower, LowValue dict, LowValue key, bool str_key) {
    LowBuilder *builder = &lower->builder;
    LowFunc *func = builder->func;
    LowValue hash = lower_dict_hash(lower, key, str_key);
    LowValue index = low_emit_load(builder, LOW_PTR, dict, LOWER_OFFSET(RtDict, index));
    LowValue entries = low_emit_load(builder, LOW_PTR, dict, LOWER_OFFSET(RtDict, entries));
    LowValue mask = low_emit_binary(
        builder, LOW_BIN_SUB, low_emit_load(builder, LOW_I64, index, LOWER_OFFSET(RtArray, length)),
        low_int(1));
    int slot = low_new_reg(func, LOW_I64);
    int found = low_new_reg(func, LOW_I64);
    low_result_into(
        builder, low_emit_binary(builder, LOW_BIN_AND, lower_dict_mix(builder, hash), mask), slot);
    int loop = low_new_block(func, "dict probe");
    int check = low_new_block(func, "dict probe hash");
    int compare = low_new_block(func, "dict probe key");
    int next = low_new_block(func, "dict probe next");
    int hit = low_new_block(func, "dict probe found");
    int miss = low_new_block(func, "dict probe absent");
    int done = low_new_block(func, NULL);
    low_term_goto(builder, loop);
    low_set_block(builder, loop);
    LowValue number = low_emit_load_indexed(builder, LOW_I64, index, low_reg_value(func, slot), 8,
                                            LOWER_OFFSET(RtArray, items));
    low_term_branch(builder, low_emit_binary(builder, LOW_BIN_EQ, number, low_int(0)), miss, check,
                    LOW_HINT_NONE);
    low_set_block(builder, check);
    LowValue entry_hash =
        lower_dict_entry_field(builder, entries, number, LOWER_OFFSET(RtEntry, hash));
    low_term_branch(builder, low_emit_binary(builder, LOW_BIN_EQ, entry_hash, hash), compare, next,
                    LOW_HINT_LIKELY);
    low_set_block(builder, compare);
    LowValue entry_key =
        lower_dict_entry_field(builder, entries, number, LOWER_OFFSET(RtEntry, key));
    lower_dict_key_test(lower, entry_key, key, str_key, hit, next);
    low_set_block(builder, next);
    low_result_into(builder,
                    low_emit_binary(builder, LOW_BIN_AND,
                                    low_emit_binary(builder, LOW_BIN_ADD, low_reg_value(func, slot),
                                                    low_int(1)),
                                    mask),
                    slot);
    low_term_goto(builder, loop);
    low_set_block(builder, hit);
    low_result_into(builder, low_emit_binary(builder, LOW_BIN_SUB, number, low_int(1)), found);
    low_term_goto(builder, done);
    low_set_block(builder, miss);
    low_emit_copy(builder, found, low_int(-1));
    low_term_goto(builder, done);
    low_set_block(builder, done);
    return low_reg_value(func, found);
}

LowValue lower_dict_find(Lower *lower, LowValue dict, const Ann *dict_ann, FlowValue key) {
    const Ann *key_ann = ann_dictdef_root(dict_ann->dictdef)->key.ann;
    AnnKind kind = key_ann->kind;
    LowValue key_value = lower_value(lower, key);
    if (kind == ANN_INT || kind == ANN_BOOL || kind == ANN_CHAR || kind == ANN_STR)
        return lower_dict_probe(lower, dict, key_value, kind == ANN_STR);
    return low_emit_runtime(&lower->builder, "rt_dict_find", 3, dict,
                            lower_to_word(lower, key_value),
                            lower_valtype(lower, lower_low(lower)->valtype));
}

LowValue lower_dict_value(Lower *lower, LowValue dict, LowValue found) {
    LowBuilder *builder = &lower->builder;
    LowValue entries = low_emit_load(builder, LOW_PTR, dict, LOWER_OFFSET(RtDict, entries));
    return low_emit_load_indexed(builder, LOW_I64, entries, found, (int32_t)sizeof(RtEntry),
                                 LOWER_OFFSET(RtEntries, items) + LOWER_OFFSET(RtEntry, value));
}
