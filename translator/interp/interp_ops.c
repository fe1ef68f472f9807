/* interp_ops.c - operators, items, attributes and iteration with every
 * check made at run time.  The dispatch loop handles the common int, list
 * and cached-field cases inline and calls these for everything else; by
 * then it has rejected unset operands, so no function here sees UNSET
 * except where it reads fields.
 *
 * Decisions (see the project's language decisions): int arithmetic wraps;
 * / and % truncate toward zero and raise ZeroDivisionError; INT_MIN / -1 is
 * INT_MIN and INT_MIN % -1 is 0; shifts by a negative count raise
 * ValueError, << by 64 or more gives 0, >> is arithmetic (0 or -1 past 63);
 * float / and % follow IEEE and fmod; mixing int and float is a TypeError;
 * + also concatenates strs.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

#include "interp_internal.h"

static const char *interp_binary_verb(InterpOpcode opcode) {
    switch (opcode) {
    case INTERP_OP_ADD: return "add";
    case INTERP_OP_SUB: return "subtract";
    case INTERP_OP_MUL: return "multiply";
    case INTERP_OP_DIV: return "divide";
    case INTERP_OP_MOD: return "take the remainder of";
    case INTERP_OP_LSHIFT:
    case INTERP_OP_RSHIFT: return "shift";
    case INTERP_OP_BIT_AND: return "apply & to";
    case INTERP_OP_BIT_OR: return "apply | to";
    case INTERP_OP_BIT_XOR: return "apply ^ to";
    default: return "compare";
    }
}

static bool interp_binary_int(Interp *interp, InterpOpcode opcode, int64_t left, int64_t right,
                              InterpValue *result) {
    int64_t value;
    switch (opcode) {
    case INTERP_OP_ADD: value = interp_wrap_add(left, right); break;
    case INTERP_OP_SUB: value = interp_wrap_sub(left, right); break;
    case INTERP_OP_MUL: value = interp_wrap_mul(left, right); break;
    case INTERP_OP_DIV:
        if (right == 0)
            return interp_raise(interp, INTERP_ERROR_ZERO_DIVISION, "integer division by zero");
        value = right == -1 ? interp_wrap_sub(0, left) : left / right;
        break;
    case INTERP_OP_MOD:
        if (right == 0)
            return interp_raise(interp, INTERP_ERROR_ZERO_DIVISION, "integer modulo by zero");
        value = right == -1 ? 0 : left % right;
        break;
    case INTERP_OP_LSHIFT:
        if (right < 0) return interp_raise(interp, INTERP_ERROR_VALUE, "negative shift count");
        value = right >= 64 ? 0 : (int64_t)((uint64_t)left << right);
        break;
    case INTERP_OP_RSHIFT:
        if (right < 0) return interp_raise(interp, INTERP_ERROR_VALUE, "negative shift count");
        if (right >= 64)
            value = left < 0 ? -1 : 0;
        else
            value = left < 0 ? ~(~left >> right) : left >> right;
        break;
    case INTERP_OP_BIT_AND: value = left & right; break;
    case INTERP_OP_BIT_OR: value = left | right; break;
    case INTERP_OP_BIT_XOR: value = left ^ right; break;
    default: kiln_unreachable("integer operator");
    }
    *result = interp_make_int(value);
    return true;
}

static bool interp_binary_float(InterpOpcode opcode, double left, double right,
                                InterpValue *result) {
    switch (opcode) {
    case INTERP_OP_ADD: *result = interp_make_float(left + right); return true;
    case INTERP_OP_SUB: *result = interp_make_float(left - right); return true;
    case INTERP_OP_MUL: *result = interp_make_float(left * right); return true;
    case INTERP_OP_DIV: *result = interp_make_float(left / right); return true;
    case INTERP_OP_MOD: *result = interp_make_float(fmod(left, right)); return true;
    default: return false;
    }
}

static bool interp_comparison(Interp *interp, InterpOpcode opcode, InterpValue left,
                              InterpValue right, InterpValue *result) {
    bool answer;
    if (opcode == INTERP_OP_EQ || opcode == INTERP_OP_NE) {
        if (!interp_equal(interp, left, right, &answer)) return false;
        *result = interp_make_bool(opcode == INTERP_OP_EQ ? answer : !answer);
        return true;
    }
    int order;
    bool unordered;
    if (!interp_compare(interp, left, right, &order, &unordered)) return false;
    switch (opcode) {
    case INTERP_OP_LT: answer = order < 0; break;
    case INTERP_OP_LE: answer = order <= 0; break;
    case INTERP_OP_GT: answer = order > 0; break;
    default: answer = order >= 0; break;
    }
    *result = interp_make_bool(!unordered && answer);
    return true;
}

bool interp_binary(Interp *interp, InterpOpcode opcode, InterpValue left, InterpValue right,
                   InterpValue *result) {
    if (opcode >= INTERP_OP_EQ && opcode <= INTERP_OP_GE)
        return interp_comparison(interp, opcode, left, right, result);
    if (left.kind == INTERP_VALUE_INT && right.kind == INTERP_VALUE_INT)
        return interp_binary_int(interp, opcode, left.as.integer, right.as.integer, result);
    if (left.kind == INTERP_VALUE_FLOAT && right.kind == INTERP_VALUE_FLOAT &&
        interp_binary_float(opcode, left.as.real, right.as.real, result))
        return true;
    if (left.kind == INTERP_VALUE_STR && right.kind == INTERP_VALUE_STR &&
        opcode == INTERP_OP_ADD) {
        InterpStr *str =
            interp_str_concat(interp, INTERP_AS(InterpStr, left), INTERP_AS(InterpStr, right));
        if (!str) return false;
        *result = interp_make_object(str);
        return true;
    }
    if (left.kind == INTERP_VALUE_BOOL && right.kind == INTERP_VALUE_BOOL &&
        (opcode == INTERP_OP_BIT_AND || opcode == INTERP_OP_BIT_OR ||
         opcode == INTERP_OP_BIT_XOR)) {
        InterpValue bits;
        interp_binary_int(interp, opcode, left.as.integer, right.as.integer, &bits);
        *result = interp_make_bool(bits.as.integer != 0);
        return true;
    }
    return interp_raise(interp, INTERP_ERROR_TYPE, "cannot %s %s and %s",
                        interp_binary_verb(opcode), interp_type_name(interp, left),
                        interp_type_name(interp, right));
}

bool interp_truth(Interp *interp, InterpValue value, bool *result) {
    switch ((InterpValueKind)value.kind) {
    case INTERP_VALUE_BOOL:
    case INTERP_VALUE_INT:
    case INTERP_VALUE_CHAR: *result = value.as.integer != 0; return true;
    case INTERP_VALUE_NULL: *result = false; return true;
    case INTERP_VALUE_VOID:
    case INTERP_VALUE_UNSET:
    case INTERP_VALUE_FLOAT:
    case INTERP_VALUE_STR:
        return interp_raise(interp, INTERP_ERROR_TYPE, "a %s cannot be used as a condition",
                            interp_type_name(interp, value));
    default: *result = true; return true; /* a non-null reference */
    }
}

bool interp_unary(Interp *interp, InterpOpcode opcode, InterpValue operand, InterpValue *result) {
    if (opcode == INTERP_OP_TRUTH || opcode == INTERP_OP_NOT) {
        bool truth = false;
        if (!interp_truth(interp, operand, &truth)) return false;
        *result = interp_make_bool(opcode == INTERP_OP_TRUTH ? truth : !truth);
        return true;
    }
    if (operand.kind == INTERP_VALUE_INT) {
        int64_t value = operand.as.integer;
        *result = interp_make_int(opcode == INTERP_OP_NEG ? interp_wrap_sub(0, value) : ~value);
        return true;
    }
    if (operand.kind == INTERP_VALUE_FLOAT && opcode == INTERP_OP_NEG) {
        *result = interp_make_float(-operand.as.real);
        return true;
    }
    return interp_raise(interp, INTERP_ERROR_TYPE, "cannot apply %s to %s",
                        opcode == INTERP_OP_NEG ? "unary -" : "~",
                        interp_type_name(interp, operand));
}

/* ---- equality and order ------------------------------------------------ */

static bool interp_is_primitive(InterpValueKind kind) {
    return kind == INTERP_VALUE_INT || kind == INTERP_VALUE_FLOAT || kind == INTERP_VALUE_BOOL ||
           kind == INTERP_VALUE_CHAR || kind == INTERP_VALUE_STR || kind == INTERP_VALUE_VOID;
}

static bool interp_equal_depth(Interp *interp, InterpValue left, InterpValue right, bool *result,
                               int depth) {
    if (left.kind != right.kind) {
        if (left.kind == INTERP_VALUE_NULL || right.kind == INTERP_VALUE_NULL ||
            (!interp_is_primitive(left.kind) && !interp_is_primitive(right.kind))) {
            *result = false; /* different references are never the same object */
            return true;
        }
        return interp_raise(interp, INTERP_ERROR_TYPE, "cannot compare %s and %s",
                            interp_type_name(interp, left), interp_type_name(interp, right));
    }
    switch ((InterpValueKind)left.kind) {
    case INTERP_VALUE_FLOAT: *result = left.as.real == right.as.real; return true;
    case INTERP_VALUE_STR:
        *result = interp_str_equal(INTERP_AS(InterpStr, left), INTERP_AS(InterpStr, right));
        return true;
    case INTERP_VALUE_NULL:
    case INTERP_VALUE_VOID: *result = true; return true;
    case INTERP_VALUE_TUPLE: {
        InterpTuple *a = INTERP_AS(InterpTuple, left), *b = INTERP_AS(InterpTuple, right);
        if (depth >= INTERP_MAX_NESTING)
            return interp_raise(interp, INTERP_ERROR_MEMORY, "tuple nested too deeply to compare");
        *result = a->count == b->count;
        for (int64_t i = 0; *result && i < a->count; i++)
            if (!interp_equal_depth(interp, a->items[i], b->items[i], result, depth + 1))
                return false;
        return true;
    }
    case INTERP_VALUE_BOUND_METHOD: {
        InterpBoundMethod *a = INTERP_AS(InterpBoundMethod, left);
        InterpBoundMethod *b = INTERP_AS(InterpBoundMethod, right);
        if (a->graph != b->graph) {
            *result = false;
            return true;
        }
        return interp_equal_depth(interp, a->receiver, b->receiver, result, depth + 1);
    }
    default:
        if (INTERP_IS_HEAP(left))
            *result = left.as.object == right.as.object;
        else
            *result = left.as.integer == right.as.integer;
        return true;
    }
}

bool interp_equal(Interp *interp, InterpValue left, InterpValue right, bool *result) {
    return interp_equal_depth(interp, left, right, result, 0);
}

static bool interp_compare_depth(Interp *interp, InterpValue left, InterpValue right, int *order,
                                 bool *unordered, int depth) {
    *unordered = false;
    if (left.kind == right.kind) {
        switch ((InterpValueKind)left.kind) {
        case INTERP_VALUE_INT:
        case INTERP_VALUE_CHAR:
        case INTERP_VALUE_BOOL:
            *order = (left.as.integer > right.as.integer) - (left.as.integer < right.as.integer);
            return true;
        case INTERP_VALUE_FLOAT:
            *unordered = isnan(left.as.real) || isnan(right.as.real);
            *order = (left.as.real > right.as.real) - (left.as.real < right.as.real);
            return true;
        case INTERP_VALUE_STR:
            *order = interp_str_compare(INTERP_AS(InterpStr, left), INTERP_AS(InterpStr, right));
            return true;
        case INTERP_VALUE_TUPLE: {
            InterpTuple *a = INTERP_AS(InterpTuple, left), *b = INTERP_AS(InterpTuple, right);
            if (depth >= INTERP_MAX_NESTING)
                return interp_raise(interp, INTERP_ERROR_MEMORY,
                                    "tuple nested too deeply to compare");
            for (int64_t i = 0; i < a->count && i < b->count; i++) {
                if (!interp_compare_depth(interp, a->items[i], b->items[i], order, unordered,
                                          depth + 1))
                    return false;
                if (*order != 0 || *unordered) return true;
            }
            *order = (a->count > b->count) - (a->count < b->count);
            return true;
        }
        default: break;
        }
    }
    return interp_raise(interp, INTERP_ERROR_TYPE, "cannot order %s and %s",
                        interp_type_name(interp, left), interp_type_name(interp, right));
}

bool interp_compare(Interp *interp, InterpValue left, InterpValue right, int *order,
                    bool *unordered) {
    return interp_compare_depth(interp, left, right, order, unordered, 0);
}

/* ---- items ------------------------------------------------------------- */

static bool interp_index_of(Interp *interp, InterpValue container, InterpValue index,
                            int64_t length, int64_t *position) {
    if (index.kind != INTERP_VALUE_INT)
        return interp_raise(interp, INTERP_ERROR_TYPE, "%s index must be int, not %s",
                            interp_type_name(interp, container), interp_type_name(interp, index));
    if (index.as.integer < 0 || index.as.integer >= length)
        return interp_raise(interp, INTERP_ERROR_INDEX,
                            "%s index out of range: %" PRId64 " (length %" PRId64 ")",
                            interp_type_name(interp, container), index.as.integer, length);
    *position = index.as.integer;
    return true;
}

static bool interp_key_error(Interp *interp, InterpValue key) {
    InterpStr *text = interp_to_repr(interp, key);
    if (!text) return false;
    return interp_raise(interp, INTERP_ERROR_KEY, "%.*s", (int)text->length, text->bytes);
}

bool interp_getitem(Interp *interp, InterpValue container, InterpValue index, InterpValue *result) {
    int64_t position = 0;
    switch ((InterpValueKind)container.kind) {
    case INTERP_VALUE_LIST: {
        InterpList *list = INTERP_AS(InterpList, container);
        if (!interp_index_of(interp, container, index, list->count, &position)) return false;
        *result = list->items[position];
        return true;
    }
    case INTERP_VALUE_STR: {
        InterpStr *str = INTERP_AS(InterpStr, container);
        if (!interp_index_of(interp, container, index, str->length, &position)) return false;
        *result = interp_make_char((unsigned char)str->bytes[position]);
        return true;
    }
    case INTERP_VALUE_TUPLE: {
        InterpTuple *tuple = INTERP_AS(InterpTuple, container);
        if (!interp_index_of(interp, container, index, tuple->count, &position)) return false;
        *result = tuple->items[position];
        return true;
    }
    case INTERP_VALUE_DICT: {
        bool found;
        if (!interp_dict_get(interp, INTERP_AS(InterpDict, container), index, result, &found))
            return false;
        return found || interp_key_error(interp, index);
    }
    case INTERP_VALUE_NULL: return interp_raise(interp, INTERP_ERROR_NULL, "cannot index null");
    default:
        return interp_raise(interp, INTERP_ERROR_TYPE, "cannot index %s",
                            interp_type_name(interp, container));
    }
}

bool interp_setitem(Interp *interp, InterpValue container, InterpValue index, InterpValue value) {
    int64_t position = 0;
    switch ((InterpValueKind)container.kind) {
    case INTERP_VALUE_LIST: {
        InterpList *list = INTERP_AS(InterpList, container);
        if (!interp_index_of(interp, container, index, list->count, &position)) return false;
        list->items[position] = value;
        return true;
    }
    case INTERP_VALUE_DICT:
        return interp_dict_set(interp, INTERP_AS(InterpDict, container), index, value);
    case INTERP_VALUE_NULL: return interp_raise(interp, INTERP_ERROR_NULL, "cannot index null");
    case INTERP_VALUE_STR:
    case INTERP_VALUE_TUPLE:
        return interp_raise(interp, INTERP_ERROR_TYPE, "%s is immutable",
                            interp_type_name(interp, container));
    default:
        return interp_raise(interp, INTERP_ERROR_TYPE, "cannot assign an item of %s",
                            interp_type_name(interp, container));
    }
}

bool interp_length(Interp *interp, InterpValue value, int64_t *length) {
    switch ((InterpValueKind)value.kind) {
    case INTERP_VALUE_STR: *length = INTERP_AS(InterpStr, value)->length; return true;
    case INTERP_VALUE_LIST: *length = INTERP_AS(InterpList, value)->count; return true;
    case INTERP_VALUE_TUPLE: *length = INTERP_AS(InterpTuple, value)->count; return true;
    case INTERP_VALUE_DICT: *length = INTERP_AS(InterpDict, value)->live_count; return true;
    case INTERP_VALUE_DICT_VIEW:
        *length = INTERP_AS(InterpDictView, value)->dict->live_count;
        return true;
    case INTERP_VALUE_BUILDER: *length = INTERP_AS(InterpBuilder, value)->length; return true;
    case INTERP_VALUE_NULL: return interp_raise(interp, INTERP_ERROR_NULL, "len() of null");
    default:
        return interp_raise(interp, INTERP_ERROR_TYPE, "%s has no length",
                            interp_type_name(interp, value));
    }
}

/* ---- iteration --------------------------------------------------------- */

bool interp_iter(Interp *interp, InterpValue iterable, InterpValue *result) {
    InterpViewKind view;
    InterpValue source = iterable;
    switch ((InterpValueKind)iterable.kind) {
    case INTERP_VALUE_LIST: view = INTERP_VIEW_LIST; break;
    case INTERP_VALUE_TUPLE: view = INTERP_VIEW_TUPLE; break;
    case INTERP_VALUE_STR: view = INTERP_VIEW_STR; break;
    case INTERP_VALUE_DICT: view = INTERP_VIEW_KEYS; break;
    case INTERP_VALUE_DICT_VIEW:
        view = (InterpViewKind)INTERP_AS(InterpDictView, iterable)->view;
        source = interp_make_object(INTERP_AS(InterpDictView, iterable)->dict);
        break;
    case INTERP_VALUE_ITERATOR: *result = iterable; return true;
    case INTERP_VALUE_NULL:
        return interp_raise(interp, INTERP_ERROR_NULL, "cannot iterate over null");
    default:
        return interp_raise(interp, INTERP_ERROR_TYPE, "cannot iterate over %s",
                            interp_type_name(interp, iterable));
    }
    *result = interp_make_object(interp_iterator_new(interp, source, view));
    return true;
}

bool interp_iter_has(InterpValue value) {
    InterpIterator *iterator = INTERP_AS(InterpIterator, value);
    switch ((InterpViewKind)iterator->view) {
    case INTERP_VIEW_LIST:
        return iterator->position < INTERP_AS(InterpList, iterator->source)->count;
    case INTERP_VIEW_TUPLE:
        return iterator->position < INTERP_AS(InterpTuple, iterator->source)->count;
    case INTERP_VIEW_STR:
        return iterator->position < INTERP_AS(InterpStr, iterator->source)->length;
    default: {
        InterpDict *dict = INTERP_AS(InterpDict, iterator->source);
        while (iterator->position < dict->entry_count &&
               dict->entries[iterator->position].key.kind == INTERP_VALUE_VOID)
            iterator->position++;
        return iterator->position < dict->entry_count;
    }
    }
}

bool interp_iter_next(Interp *interp, InterpValue value, InterpValue *result) {
    if (value.kind != INTERP_VALUE_ITERATOR)
        return interp_raise(interp, INTERP_ERROR_TYPE, "%s is not an iterator",
                            interp_type_name(interp, value));
    if (!interp_iter_has(value))
        return interp_raise(interp, INTERP_ERROR_INDEX, "iterator exhausted");
    InterpIterator *iterator = INTERP_AS(InterpIterator, value);
    int64_t position = iterator->position++;
    switch ((InterpViewKind)iterator->view) {
    case INTERP_VIEW_LIST:
        *result = INTERP_AS(InterpList, iterator->source)->items[position];
        break;
    case INTERP_VIEW_TUPLE:
        *result = INTERP_AS(InterpTuple, iterator->source)->items[position];
        break;
    case INTERP_VIEW_STR:
        *result = interp_make_char(
            (unsigned char)INTERP_AS(InterpStr, iterator->source)->bytes[position]);
        break;
    case INTERP_VIEW_KEYS:
        *result = INTERP_AS(InterpDict, iterator->source)->entries[position].key;
        break;
    case INTERP_VIEW_VALUES:
        *result = INTERP_AS(InterpDict, iterator->source)->entries[position].value;
        break;
    case INTERP_VIEW_ITEMS: {
        const InterpDictEntry *entry = &INTERP_AS(InterpDict, iterator->source)->entries[position];
        InterpTuple *pair = interp_tuple_new(interp, 2);
        pair->items[0] = entry->key;
        pair->items[1] = entry->value;
        *result = interp_make_object(pair);
        break;
    }
    }
    return true;
}
