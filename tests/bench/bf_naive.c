/* bf_naive.c - the peer of examples/bf/bf.kc translated by `kiln build`: the
 * same naive Brainfuck interpreter hand-written in C, for
 * tests/bench/bench_translate.sh.
 *
 * It follows bf.kc step by step and adds nothing: the bracket table is
 * computed once (an array as long as the program, with a stack of open
 * brackets), the tape is 30 000 64-bit cells (bf.kc's list<int>) kept in 0..255
 * by `& 255`, and the loop dispatches with a switch on the current character,
 * one character per iteration.  No run-length folding, no threaded code.
 * Like bf.kc's write_byte(1, c), '.' is one unbuffered write(2), so programs
 * that print a lot compare like with like.  What bf.kc checks at run time
 * (unmatched brackets, tape bounds through its list indexing) is checked the
 * way a careful C program would: brackets when the table is built, the tape
 * not at all.
 *
 * Usage: bf_naive FILE
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

enum { BF_TAPE_CELLS = 30000 };

typedef struct {
    int64_t cells[BF_TAPE_CELLS];
    int64_t pos;
} BfTape;

static int64_t bf_tape_get(const BfTape *tape) {
    return tape->cells[tape->pos];
}

static void bf_tape_add(BfTape *tape, int64_t amount) {
    tape->cells[tape->pos] = (tape->cells[tape->pos] + amount) & 255;
}

/* The whole file in malloc'ed memory; *length receives its size. */
static char *bf_read_file(const char *path, int64_t *length) {
    FILE *file = fopen(path, "rb");
    if (!file) return NULL;
    size_t capacity = 4096, used = 0;
    char *text = malloc(capacity);
    size_t got;
    while (text && (got = fread(text + used, 1, capacity - used, file)) > 0) {
        used += got;
        if (used == capacity) {
            capacity *= 2;
            char *grown = realloc(text, capacity);
            if (!grown) free(text);
            text = grown;
        }
    }
    fclose(file);
    *length = (int64_t)used;
    return text;
}

/* targets[i] is the matching bracket of the bracket at i; NULL when a
 * bracket is unmatched. */
static int64_t *bf_match_brackets(const char *program, int64_t length) {
    int64_t *targets = calloc((size_t)length + 1, sizeof *targets);
    int64_t *stack = malloc(((size_t)length + 1) * sizeof *stack);
    int64_t depth = 0;
    for (int64_t i = 0; targets && stack && i < length; i++) {
        if (program[i] == '[') {
            stack[depth++] = i;
        } else if (program[i] == ']') {
            if (depth == 0) {
                free(targets);
                targets = NULL;
                break;
            }
            int64_t open = stack[--depth];
            targets[open] = i;
            targets[i] = open;
        }
    }
    free(stack);
    return targets;
}

static void bf_run(const char *program, int64_t length, const int64_t *targets, BfTape *tape) {
    int64_t pc = 0;
    while (pc < length) {
        switch (program[pc]) {
        case '+': bf_tape_add(tape, 1); break;
        case '-': bf_tape_add(tape, -1); break;
        case '>': tape->pos += 1; break;
        case '<': tape->pos -= 1; break;
        case '.': {
            char byte = (char)bf_tape_get(tape);
            if (write(1, &byte, 1) != 1) return;
            break;
        }
        case '[':
            if (bf_tape_get(tape) == 0) pc = targets[pc];
            break;
        case ']':
            if (bf_tape_get(tape) != 0) pc = targets[pc];
            break;
        default: break;
        }
        pc += 1;
    }
}

int main(int argc, char **argv) {
    if (argc < 2) {
        puts("usage: bf FILE");
        return 2;
    }
    int64_t length = 0;
    char *program = bf_read_file(argv[1], &length);
    if (!program) {
        fprintf(stderr, "bf_naive: cannot read %s\n", argv[1]);
        return 1;
    }
    int64_t *targets = bf_match_brackets(program, length);
    if (!targets) {
        fprintf(stderr, "bf_naive: unmatched ]\n");
        return 1;
    }
    BfTape *tape = calloc(1, sizeof *tape);
    if (!tape) return 1;
    bf_run(program, length, targets, tape);
    free(tape);
    free(targets);
    free(program);
    return 0;
}
