/* test_stm_reports.c - what the STM engine tells the user.
 *
 *   - every abort cause (read-write either way, write-write, a conflict
 *     with an inevitable transaction, another inevitable transaction,
 *     explicit) in exact interleavings of two transactions in one OS
 *     thread: counted by cause in the statistics, reported by
 *     KILN_STM_REPORT=1 with the source positions (markers) of both
 *     accesses, and totalled by KILN_STM_STATS=1 at gc_heap_destroy; an
 *     inevitable transaction's report names its reason and position;
 *   - threads: in a contended run with markers, every conflict report
 *     names a position on both sides.
 * Reports go to stderr, which these tests capture in a file.
 */
#include "gc.h"
#include "stm.h"

#include <check.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct Account {
    GcHeader header;
    int64_t balance;
} Account;

typedef struct Accounts {
    GcHeader header;
    int64_t length;
    Account *items[];
} Accounts;

static const uint32_t account_refs[] = {0};

static const StmLocation read_here = {"bank.kc", 10};
static const StmLocation write_here = {"bank.kc", 11};
static const StmLocation log_here = {"bank.kc", 12};
static const StmLocation give_up_here = {"bank.kc", 30};

/* ---- Capturing stderr ---------------------------------------------------------- */

typedef struct Capture {
    FILE *file;
    int saved;
} Capture;

static void capture_begin(Capture *capture) {
    fflush(stderr);
    capture->file = tmpfile();
    ck_assert_ptr_nonnull(capture->file);
    capture->saved = dup(STDERR_FILENO);
    ck_assert_int_ge(dup2(fileno(capture->file), STDERR_FILENO), 0);
}

/* The text written meanwhile (malloc'ed). */
static char *capture_end(Capture *capture) {
    fflush(stderr);
    dup2(capture->saved, STDERR_FILENO);
    close(capture->saved);
    long size = ftell(capture->file);
    char *text = malloc((size_t)size + 1);
    rewind(capture->file);
    ck_assert_uint_eq(fread(text, 1, (size_t)size, capture->file), (size_t)size);
    text[size] = 0;
    fclose(capture->file);
    return text;
}

static int count_lines(const char *text, const char *prefix) {
    int count = 0;
    for (const char *line = text; line && *line;
         line = strchr(line, '\n'), line = line ? line + 1 : NULL)
        count += strncmp(line, prefix, strlen(prefix)) == 0;
    return count;
}

/* ---- Exact interleavings ---------------------------------------------------------- */

typedef struct Bank {
    GcHeap *heap;
    uint32_t account_type, accounts_type;
    GcThread *first, *second;
    Accounts *accounts; /* old, a root */
} Bank;

/* Reports and statistics on, the engine's own random aborts off (the
 * expected aborts are exact). */
static void bank_open(Bank *bank) {
    char *stress = getenv("KILN_STM_STRESS") ? strdup(getenv("KILN_STM_STRESS")) : NULL;
    unsetenv("KILN_STM_STRESS");
    setenv("KILN_STM_REPORT", "1", 1);
    setenv("KILN_STM_STATS", "1", 1);
    bank->heap = gc_heap_create(NULL);
    unsetenv("KILN_STM_REPORT");
    unsetenv("KILN_STM_STATS");
    if (stress) {
        setenv("KILN_STM_STRESS", stress, 1);
        free(stress);
    }
    stm_heap_set_automatic_inevitable(bank->heap, false);
    GcTypeInfo types[] = {
        {.name = "Account", .fixed_size = sizeof(Account)},
        {.name = "Accounts",
         .fixed_size = sizeof(Accounts),
         .item_size = 8,
         .length_offset = offsetof(Accounts, length),
         .item_ref_count = 1,
         .item_ref_offsets = account_refs},
    };
    bank->account_type = gc_heap_register_types(bank->heap, types, 2);
    bank->accounts_type = bank->account_type + 1;
    gc_heap_add_root(bank->heap, (void **)&bank->accounts);
    bank->first = gc_thread_attach(bank->heap);
    bank->second = gc_thread_attach(bank->heap);
    GcThread *thread = bank->first;
    stm_transaction_begin(thread);
    Accounts *accounts = gc_alloc_varsize(thread, bank->accounts_type, sizeof(Accounts), 8,
                                          offsetof(Accounts, length), 8);
    gc_push_root(thread, accounts);
    for (int i = 0; i < 8; i++) {
        Account *account = gc_alloc(thread, bank->account_type, sizeof(Account));
        account->balance = 100;
        accounts = thread->root_top[-1];
        accounts->items[i] = account;
    }
    stm_commit(thread);
    bank->accounts = gc_pop_root(thread);
}

static void begin(GcThread *thread) {
    stm_begin_prepare(thread);
    stm_start_attempt(thread);
}

/* Runs `body` in the running transaction of `thread`; `aborted` tells
 * whether it aborted (rolled back, back here, started again). */
#define STEP(thread, aborted, body)                                                                \
    do {                                                                                           \
        if (setjmp(*stm_jump_buffer(thread))) {                                                    \
            (aborted) = true;                                                                      \
            stm_start_attempt(thread);                                                             \
        } else {                                                                                   \
            body;                                                                                  \
            (aborted) = false;                                                                     \
        }                                                                                          \
    } while (0)

static int64_t read_account(GcThread *thread, Bank *bank, int index, const StmLocation *where) {
    stm_marker_set(thread, where);
    Account *account = bank->accounts->items[index];
    stm_read_barrier(thread, account);
    return account->balance;
}

static void add_to_account(GcThread *thread, Bank *bank, int index, int64_t amount,
                           const StmLocation *where) {
    stm_marker_set(thread, where);
    Account *account = bank->accounts->items[index];
    gc_write_barrier(thread, account);
    account->balance += amount;
}

/* One abort of the second transaction for each cause, then everything
 * commits; returns what was reported. */
static char *every_cause(Bank *bank) {
    GcThread *first = bank->first, *second = bank->second;
    volatile bool aborted;
    Capture capture;
    capture_begin(&capture);
    begin(first);
    begin(second);
    /* Read (first) then write (second): the writer aborts. */
    STEP(first, aborted, (void)read_account(first, bank, 0, &read_here));
    STEP(second, aborted, add_to_account(second, bank, 0, 1, &write_here));
    ck_assert(aborted);
    /* Write (first) then read (second): the reader aborts. */
    STEP(first, aborted, add_to_account(first, bank, 1, 1, &write_here));
    STEP(second, aborted, (void)read_account(second, bank, 1, &read_here));
    ck_assert(aborted);
    /* Write, write. */
    STEP(second, aborted, add_to_account(second, bank, 1, 1, &write_here));
    ck_assert(aborted);
    /* An explicit abort. */
    stm_marker_set(second, &give_up_here);
    STEP(second, aborted, stm_abort_explicit(second));
    ck_assert(aborted);
    /* The first becomes inevitable and writes: the second's read aborts. */
    STEP(first, aborted, stm_marker_set(first, &log_here);
         stm_become_inevitable(first, "write to the log"));
    ck_assert(!aborted);
    STEP(first, aborted, add_to_account(first, bank, 2, 1, &log_here));
    STEP(second, aborted, (void)read_account(second, bank, 2, &read_here));
    ck_assert(aborted);
    STEP(first, aborted, stm_commit(first));
    ck_assert(!aborted);
    STEP(second, aborted, add_to_account(second, bank, 0, 5, &write_here));
    ck_assert(!aborted);
    STEP(second, aborted, stm_commit(second));
    ck_assert(!aborted);
    return capture_end(&capture);
}

START_TEST(every_abort_cause_is_counted_and_reported) {
    Bank bank;
    bank_open(&bank);
    char *text = every_cause(&bank);
    ck_assert_msg(strstr(text, "conflict: read at bank.kc:10 (thread 1) vs write at bank.kc:11 "
                               "(thread 2); transaction aborted, "),
                  "%s", text);
    ck_assert_msg(strstr(text, "conflict: write at bank.kc:11 (thread 1) vs read at bank.kc:10 "
                               "(thread 2); transaction aborted, "),
                  "%s", text);
    ck_assert_msg(strstr(text, "conflict: write at bank.kc:11 (thread 1) vs write at bank.kc:11 "
                               "(thread 2); transaction aborted, "),
                  "%s", text);
    ck_assert_msg(strstr(text, "abort: explicit at bank.kc:30 (thread 2); transaction aborted, "),
                  "%s", text);
    ck_assert_msg(strstr(text, "conflict: write at bank.kc:12 (thread 1) vs read at bank.kc:10 "
                               "(thread 2); transaction aborted (the other is inevitable), "),
                  "%s", text);
    ck_assert_msg(strstr(text, "inevitable: \"write to the log\" at bank.kc:12 (thread 1); "
                               "inevitable "),
                  "%s", text);
    ck_assert_int_eq(count_lines(text, "conflict: "), 4);
    ck_assert_int_eq(count_lines(text, "abort: "), 1);
    ck_assert_int_eq(count_lines(text, "inevitable: "), 1);
    free(text);
    StmStats stats;
    stm_get_stats(bank.second, &stats);
    ck_assert_uint_eq(stats.aborts[STM_ABORT_READ_WRITE], 2);
    ck_assert_uint_eq(stats.aborts[STM_ABORT_WRITE_WRITE], 1);
    ck_assert_uint_eq(stats.aborts[STM_ABORT_INEVITABLE], 1);
    ck_assert_uint_eq(stats.aborts[STM_ABORT_EXPLICIT], 1);
    ck_assert_uint_eq(stm_total_aborts(&stats), 5);
    ck_assert_double_gt(stats.seconds_lost, 0.0);
    /* The totals, printed when the heap goes. */
    Capture capture;
    capture_begin(&capture);
    gc_thread_detach(bank.first);
    gc_thread_detach(bank.second);
    gc_heap_destroy(bank.heap);
    text = capture_end(&capture);
    ck_assert_msg(strstr(text, "kiln stm: 3 commits (0 serial, 1 inevitable), 5 aborts (read-write "
                               "conflict 2, write-write conflict 1, inevitable 1, explicit 1)\n"),
                  "%s", text);
    ck_assert_msg(strstr(text, " s lost in aborted attempts, "), "%s", text);
    free(text);
}
END_TEST

/* Waiting for the inevitable token: the second transaction asks while the
 * first holds it, aborts, and runs inevitable after the first ended. */
START_TEST(a_second_inevitable_transaction_waits) {
    Bank bank;
    bank_open(&bank);
    GcThread *first = bank.first, *second = bank.second;
    volatile bool aborted = false;
    Capture capture;
    capture_begin(&capture);
    begin(first);
    begin(second);
    stm_marker_set(first, &log_here);
    stm_become_inevitable(first, "print");
    stm_marker_set(second, &log_here);
    /* Restarting would wait for the token: restart only after the first
     * commits. */
    if (setjmp(*stm_jump_buffer(second)))
        aborted = true;
    else
        stm_become_inevitable(second, "print");
    ck_assert(aborted);
    stm_commit(first);
    stm_start_attempt(second);
    ck_assert(stm_is_inevitable(second));
    stm_commit(second);
    char *text = capture_end(&capture);
    ck_assert_msg(strstr(text,
                         "abort: become inevitable at bank.kc:12 (thread 2) waits for another "
                         "inevitable transaction; transaction aborted, "),
                  "%s", text);
    ck_assert_int_eq(count_lines(text, "inevitable: \"print\" at bank.kc:12 (thread "), 2);
    free(text);
    /* Its own counts (the first is still attached). */
    StmStats stats;
    stm_get_stats(second, &stats);
    ck_assert_uint_eq(stats.aborts[STM_ABORT_INEVITABLE], 1);
    ck_assert_uint_eq(stats.inevitable_transactions, 1);
    capture_begin(&capture);
    gc_thread_detach(first);
    gc_thread_detach(second);
    gc_heap_destroy(bank.heap);
    free(capture_end(&capture));
}
END_TEST

/* ---- Threads ------------------------------------------------------------------------ */

enum { THREADS = 4 };

typedef struct Runner {
    Bank *bank;
    int index;
    long transfers;
} Runner;

/* One transfer, or (every 64th) an audit that reads every account. */
static void transfer_or_audit(Runner *runner, GcThread *thread, long i) {
    Bank *bank = runner->bank;
    stm_transaction_begin(thread);
    stm_read_barrier(thread, bank->accounts);
    if (i % 64 == 0) {
        int64_t total = 0;
        for (int k = 0; k < 8; k++)
            total += read_account(thread, bank, k, &read_here);
        if (total != 800) abort();
    } else {
        int from = (int)((i * 7 + runner->index) % 8), to = (int)((i * 3 + 1) % 8);
        if (read_account(thread, bank, from, &read_here) > 0) {
            add_to_account(thread, bank, from, -1, &write_here);
            add_to_account(thread, bank, to, 1, &write_here);
        }
    }
    stm_commit(thread);
}

static void *bank_runner(void *argument) {
    Runner *runner = argument;
    GcThread *thread = gc_thread_attach(runner->bank->heap);
    for (long i = 0; i < runner->transfers; i++)
        transfer_or_audit(runner, thread, i);
    gc_thread_detach(thread);
    return NULL;
}

START_TEST(every_conflict_names_both_positions) {
    Bank bank;
    bank_open(&bank);
    const char *text_size = getenv("KILN_STM_TEST_TRANSFERS");
    long transfers = (text_size ? atol(text_size) : 1000000) / 40;
    Capture capture;
    capture_begin(&capture);
    gc_gil_release(bank.first);
    gc_gil_release(bank.second);
    pthread_t threads[THREADS];
    Runner runners[THREADS];
    for (int i = 0; i < THREADS; i++) {
        runners[i] = (Runner){&bank, i, transfers};
        ck_assert_int_eq(pthread_create(&threads[i], NULL, bank_runner, &runners[i]), 0);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(threads[i], NULL);
    gc_gil_acquire(bank.first);
    gc_gil_acquire(bank.second);
    StmStats stats;
    stm_get_stats(bank.first, &stats);
    char *text = capture_end(&capture);
    int conflicts = count_lines(text, "conflict: ");
    /* Each thread's conflicts are reported, one line each. */
    uint64_t conflict_aborts = stats.aborts[STM_ABORT_READ_WRITE] +
                               stats.aborts[STM_ABORT_WRITE_WRITE] +
                               stats.aborts[STM_ABORT_INEVITABLE];
    ck_assert_uint_eq((uint64_t)conflicts, conflict_aborts);
    ck_assert_msg(!strstr(text, "unknown position"), "a position is missing:\n%.2000s", text);
    /* A writer meets a reader, a reader or a writer meets a writer. */
    int named = count_lines(text, "conflict: read at bank.kc:10 (thread ") +
                count_lines(text, "conflict: write at bank.kc:11 (thread ");
    ck_assert_msg(named == conflicts, "%d of %d reports as expected:\n%.3000s", named, conflicts,
                  text);
    free(text);
    capture_begin(&capture);
    gc_thread_detach(bank.first);
    gc_thread_detach(bank.second);
    gc_heap_destroy(bank.heap);
    free(capture_end(&capture));
}
END_TEST

static Suite *reports_suite(void) {
    Suite *suite = suite_create("stm_reports");
    TCase *cases = tcase_create("reports");
    tcase_set_timeout(cases, 600);
    tcase_add_test(cases, every_abort_cause_is_counted_and_reported);
    tcase_add_test(cases, a_second_inevitable_transaction_waits);
    tcase_add_test(cases, every_conflict_names_both_positions);
    suite_add_tcase(suite, cases);
    return suite;
}

int main(void) {
    SRunner *runner = srunner_create(reports_suite());
    srunner_run_all(runner, CK_NORMAL);
    int failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
