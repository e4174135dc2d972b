/*
 * A program for the journal's crash tests (tests/journal_crash.rs), in one of three modes:
 *
 *   journal_kill send   4 threads send with lts_producer_send_records (even sends with a
 *                       callback, odd ones without) until the process is killed. Right after
 *                       each call that returned LTS_OK, the thread appends a 16-byte record
 *                       (run, thread, send, logs: u32 each, native order) to its own file
 *                       LTS_OK_DIR/r<run>-t<thread>.ok with write(2), so a kill loses at most
 *                       the record of the send under way (and never tears one already
 *                       written; a torn last record is ignored by the reader). The main
 *                       thread rewrites LTS_OK_DIR/r<run>.stats every few milliseconds: how
 *                       long lts_producer_new + lts_producer_start took, and the journal's
 *                       counters.
 *   journal_kill drain  a producer on the directory that sends nothing: it delivers what the
 *                       earlier runs left, closes with lts_producer_safe_close, and prints
 *                       "start_us N", "close_us N" and "stats {json}".
 *   journal_kill probe  tries lts_producer_new on the directory (another process holds it):
 *                       prints "refused <code name>: <message>" and exits 0 if refused.
 *
 * Environment: LTS_ENDPOINT (lts-local, the default key pair, project "proj"), LTS_JOURNAL_DIR,
 * LTS_OK_DIR, LTS_RUN (this run's number), LTS_PACE_US (each thread's pause between sends,
 * default 100), LTS_LINGER_MS (default 100), LTS_SEGMENT_BYTES (journal_segment_bytes,
 * default the library's).
 *
 * Log n of send s of thread t in run r has the message "r<r> t<t> s<s> l<n>" (n < 3).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lts.h"

enum { THREADS = 4 };

static const char *endpoint, *journal_dir, *ok_dir;
static unsigned run_no, pace_us = 100, linger_ms = 100;
static const char *segment_bytes;
static uint64_t callbacks_ok, callbacks_failed;

static uint64_t now_us(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void die(const char *what) {
    fprintf(stderr, "journal_kill: %s: %s\n", what, lts_last_error_message());
    exit(3);
}

static void write_all(int fd, const void *buf, size_t n) {
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            perror("journal_kill: write");
            exit(3);
        }
        p += w;
        n -= (size_t)w;
    }
}

static lts_producer *make_producer(uint64_t *start_us) {
    lts_producer_config *pc = NULL;
    lts_client_config *cc = NULL;
    lts_producer *p = NULL;
    if (lts_producer_config_new(&pc) != LTS_OK) die("config");
    if (lts_producer_config_set_linger_ms(pc, linger_ms) != LTS_OK) die("linger_ms");
    if (lts_producer_config_set_journal_dir(pc, journal_dir) != LTS_OK) die("journal_dir");
    if (segment_bytes && lts_producer_config_set(pc, "journal_segment_bytes", segment_bytes) != LTS_OK)
        die("journal_segment_bytes");
    if (lts_client_config_new(endpoint, "lts-local-ak", "lts-local-sk", "proj", &cc) != LTS_OK) die("client");
    if (lts_client_config_set(cc, "backoff_base_ms", "5") != LTS_OK) die("backoff_base_ms");
    uint64_t t0 = now_us();
    lts_result r = lts_producer_new(pc, &p);
    if (r != LTS_OK) return NULL;
    if (lts_producer_add_client(p, cc) != LTS_OK) die("add_client");
    if (lts_producer_start(p) != LTS_OK) die("start");
    *start_us = now_us() - t0;
    lts_client_config_free(cc);
    lts_producer_config_free(pc);
    return p;
}

static void on_result(void *user_data, const lts_send_result *r) {
    (void)user_data;
    __atomic_fetch_add(lts_send_result_ok(r) ? &callbacks_ok : &callbacks_failed, 1, __ATOMIC_RELAXED);
}

struct sender {
    lts_producer *p;
    unsigned thread;
};

static void *sender_main(void *arg) {
    struct sender *s = arg;
    char path[4096];
    snprintf(path, sizeof path, "%s/r%u-t%u.ok", ok_dir, run_no, s->thread);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        perror("journal_kill: open");
        exit(3);
    }
    char msgs[3][64];
    static const char pad[] = "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz"
                              "0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz";
    const struct timespec pause = {0, (long)pace_us * 1000};
    for (uint32_t send = 0;; send++) {
        uint32_t n = 1 + send % 3;
        /* Logs of different sizes (the journal's records and segments fill unevenly). */
        lts_field contents[2] = {
            {.key = "thread", .key_len = 6, .type = LTS_FIELD_I64, .i64 = (int64_t)s->thread},
            {.key = "pad", .key_len = 3, .type = LTS_FIELD_STR, .str = pad, .str_len = 1 + (send * 7) % (sizeof pad - 1)}};
        lts_record records[3];
        for (uint32_t i = 0; i < n; i++) {
            int len = snprintf(msgs[i], sizeof msgs[i], "r%u t%u s%u l%u", run_no, s->thread, send, i);
            records[i] = (lts_record){.timestamp_ns = lts_now_ns(), .msg = msgs[i], .msg_len = (size_t)len,
                                      .contents = contents, .contents_len = 2};
        }
        lts_send_callback cb = send % 2 == 0 ? on_result : NULL;
        if (lts_producer_send_records(s->p, "proj", "crash", records, n, cb, NULL) == LTS_OK) {
            uint32_t rec[4] = {run_no, s->thread, send, n};
            write_all(fd, rec, sizeof rec);
        }
        if (pace_us) nanosleep(&pause, NULL);
    }
    return NULL;
}

/* The stats record the driver reads: fixed size, rewritten in place, with a check word. */
static void write_stats(int fd, uint64_t start_us, const lts_producer_stats *st) {
    uint64_t rec[8] = {0x4c54534b494c4c31ull, start_us, st->journal_recovered_batches, st->journal_recovered_logs,
                       st->journal_damaged_records, st->journal_errors, st->logs_accepted, 0};
    for (int i = 0; i < 7; i++) rec[7] ^= rec[i];
    if (pwrite(fd, rec, sizeof rec, 0) != (ssize_t)sizeof rec) {
        perror("journal_kill: pwrite");
        exit(3);
    }
}

static int send_mode(void) {
    uint64_t start_us = 0;
    lts_producer *p = make_producer(&start_us);
    if (!p) die("lts_producer_new");
    char path[4096];
    snprintf(path, sizeof path, "%s/r%u.stats", ok_dir, run_no);
    int stats_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (stats_fd < 0) {
        perror("journal_kill: open stats");
        return 3;
    }
    pthread_t threads[THREADS];
    struct sender senders[THREADS];
    for (unsigned t = 0; t < THREADS; t++) {
        senders[t] = (struct sender){.p = p, .thread = t};
        if (pthread_create(&threads[t], NULL, sender_main, &senders[t]) != 0) return 3;
    }
    const struct timespec tick = {0, 5 * 1000 * 1000};
    for (;;) {
        lts_producer_stats st = {.struct_size = sizeof st};
        if (lts_producer_get_stats(p, &st) != LTS_OK) die("get_stats");
        write_stats(stats_fd, start_us, &st);
        nanosleep(&tick, NULL);
    }
}

static int drain_mode(void) {
    uint64_t start_us = 0;
    lts_producer *p = make_producer(&start_us);
    if (!p) die("lts_producer_new");
    uint64_t t0 = now_us();
    lts_result r = lts_producer_safe_close(p);
    uint64_t close_us = now_us() - t0;
    char *json = lts_producer_stats_json(p);
    printf("start_us %llu\nclose_us %llu\nstats %s\n", (unsigned long long)start_us,
           (unsigned long long)close_us, json ? json : "null");
    lts_string_free(json);
    lts_producer_free(p);
    if (r != LTS_OK) {
        fprintf(stderr, "journal_kill: safe_close: %s\n", lts_result_name(r));
        return 1;
    }
    return 0;
}

static int probe_mode(void) {
    lts_producer_config *pc = NULL;
    lts_producer *p = NULL;
    if (lts_producer_config_new(&pc) != LTS_OK) die("config");
    if (lts_producer_config_set_journal_dir(pc, journal_dir) != LTS_OK) die("journal_dir");
    lts_result r = lts_producer_new(pc, &p);
    lts_producer_config_free(pc);
    if (r == LTS_OK) {
        printf("not refused\n");
        lts_producer_free(p);
        return 1;
    }
    printf("refused %s: %s\n", lts_result_name(r), lts_last_error_message());
    return 0;
}

static const char *need(const char *name) {
    const char *v = getenv(name);
    if (!v || !*v) {
        fprintf(stderr, "journal_kill: %s is not set\n", name);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: journal_kill send|drain|probe\n");
        return 2;
    }
    journal_dir = need("LTS_JOURNAL_DIR");
    if (strcmp(argv[1], "probe") == 0) return probe_mode();
    endpoint = need("LTS_ENDPOINT");
    if (getenv("LTS_PACE_US")) pace_us = (unsigned)atoi(getenv("LTS_PACE_US"));
    if (getenv("LTS_LINGER_MS")) linger_ms = (unsigned)atoi(getenv("LTS_LINGER_MS"));
    segment_bytes = getenv("LTS_SEGMENT_BYTES");
    if (strcmp(argv[1], "drain") == 0) return drain_mode();
    ok_dir = need("LTS_OK_DIR");
    run_no = (unsigned)atoi(need("LTS_RUN"));
    if (strcmp(argv[1], "send") == 0) return send_mode();
    fprintf(stderr, "journal_kill: unknown mode %s\n", argv[1]);
    return 2;
}
