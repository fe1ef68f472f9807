/* fuzz_front_regress.c - replays fuzzing inputs through the front-end
 * harness without libFuzzer, so every build checks them (ctest label `fuzz`).
 *
 * Usage: fuzz_front_regress PATH...
 * Each PATH is a file or a folder (its regular files, in name order, not
 * recursively; names starting with '.' are skipped).  Every input must come
 * back from fuzz_front_run: a crash, a sanitizer report, an internal error
 * exit or a verifier abort fails the test.  Inputs whose name ends in `.kc`
 * are valid seed programs (copies of language.md's examples and of
 * tests/programs): they must also get through the parser and the flow
 * builder without errors.  Other names are arbitrary bytes (crash
 * reproducers, fuzzer finds).  Prints how far the inputs got; exits 1 when a
 * seed program was rejected, when a path cannot be read, or when no input
 * was found at all. */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_front.h"

typedef struct RegressTally {
    int outcomes[FUZZ_FRONT__COUNT];
    int inputs;
    int translated; /* went through the translation stages in this process */
    int failures;   /* unreadable paths and rejected seed programs */
} RegressTally;

static void regress_file(RegressTally *tally, const char *path) {
    FILE *stream = fopen(path, "rb");
    if (!stream) {
        perror(path);
        tally->failures++;
        return;
    }
    size_t capacity = 4096, size = 0;
    unsigned char *data = malloc(capacity);
    size_t got;
    while (data && (got = fread(data + size, 1, capacity - size, stream)) > 0) {
        size += got;
        if (size == capacity) {
            capacity *= 2;
            unsigned char *grown = realloc(data, capacity);
            if (!grown) free(data);
            data = grown;
        }
    }
    int failed = ferror(stream) || !data;
    fclose(stream);
    if (failed) {
        fprintf(stderr, "%s: cannot read\n", path);
        free(data);
        tally->failures++;
        return;
    }
    bool translated = false;
    FuzzFrontOutcome outcome = fuzz_front_run_stages(data, size, &translated);
    free(data);
    tally->outcomes[outcome]++;
    tally->translated += translated;
    tally->inputs++;
    size_t length = strlen(path);
    bool is_seed = length > 3 && strcmp(path + length - 3, ".kc") == 0;
    if (is_seed && outcome < FUZZ_FRONT_NOT_RUN) {
        fprintf(stderr, "%s: a valid seed program stopped with %s (kiln flow shows them)\n", path,
                fuzz_front_outcome_name[outcome]);
        tally->failures++;
    }
    if (getenv("KILN_FUZZ_VERBOSE"))
        printf("%s: %s%s\n", path, fuzz_front_outcome_name[outcome],
               translated ? ", translated" : "");
}

static int regress_compare_names(const void *left, const void *right) {
    return strcmp(*(char *const *)left, *(char *const *)right);
}

static void regress_folder(RegressTally *tally, const char *path) {
    DIR *folder = opendir(path);
    if (!folder) {
        perror(path);
        tally->failures++;
        return;
    }
    char **names = NULL;
    int count = 0, capacity = 0;
    struct dirent *entry;
    while ((entry = readdir(folder)) != NULL) {
        if (entry->d_name[0] == '.') continue;
        if (count == capacity) {
            capacity = capacity ? capacity * 2 : 64;
            char **grown = realloc(names, sizeof(char *) * (size_t)capacity);
            if (!grown) abort();
            names = grown;
        }
        size_t length = strlen(path) + strlen(entry->d_name) + 2;
        names[count] = malloc(length);
        if (!names[count]) abort();
        snprintf(names[count], length, "%s/%s", path, entry->d_name);
        count++;
    }
    closedir(folder);
    qsort(names, (size_t)count, sizeof(char *), regress_compare_names);
    for (int i = 0; i < count; i++) {
        struct stat info;
        if (stat(names[i], &info) == 0 && S_ISREG(info.st_mode)) regress_file(tally, names[i]);
        free(names[i]);
    }
    free(names);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: fuzz_front_regress PATH...\n");
        return 2;
    }
    RegressTally tally = {0};
    for (int i = 1; i < argc; i++) {
        struct stat info;
        if (stat(argv[i], &info) != 0) {
            perror(argv[i]);
            tally.failures++;
        } else if (S_ISDIR(info.st_mode)) {
            regress_folder(&tally, argv[i]);
        } else {
            regress_file(&tally, argv[i]);
        }
    }
    printf("fuzz_front_regress: %d inputs:", tally.inputs);
    for (int i = 0; i < FUZZ_FRONT__COUNT; i++)
        printf("%s %d %s", i ? "," : "", tally.outcomes[i], fuzz_front_outcome_name[i]);
    printf("; %d translated\n", tally.translated);
    if (tally.failures > 0 || tally.inputs == 0) return 1;
    return 0;
}
