/*
 * The producer measured from C, as a C program uses it (run by scripts/bench.sh, which starts
 * lts-local in its own process and passes its endpoint):
 *
 *   lts_bench send ENDPOINT wide|small THREADS LOGS [timing] [rate=LOGS_PER_S] [aligned]
 *       THREADS threads send LOGS logs in all, one log per lts_producer_send call, no
 *       callback, through one producer (defaults: 8 workers, lz4) until safe_close returns.
 *       Prints the wall-clock rate, raw MB/s and this process's CPU seconds per raw GB; with
 *       `timing`, also each call's cost (median, p99, p999) measured with CLOCK_MONOTONIC
 *       around the call, and the cost of that clock pair alone. With `rate=`, the threads
 *       together offer that many logs per second (bursts of 100): a load the pipeline keeps
 *       up with, as an application's steady logging is, instead of a backlog that grows. The
 *       threads' bursts are spread over the period unless `aligned` is given.
 *   lts_bench rss ENDPOINT CAP_MIB OFFER_MIB [SECONDS] [tiny]
 *       For a server that does not answer (the script stalls lts-local): offers OFFER_MIB of
 *       raw wide logs, 10 per send, spread over SECONDS (default: as fast as it can), to a
 *       producer whose buffer cap is CAP_MIB with max_block 0, sampling this process's RSS
 *       20 times as it goes; then close(1000 ms) and checks that every accepted log got
 *       exactly one result. With `tiny`: one ~250-byte log per send, each with its callback
 *       (the case where a send's bookkeeping weighs most against its bytes), and close(0),
 *       which reports every accepted send at once.
 *
 * Output is `key=value` lines (read by the script) after a human-readable line. Exits 1 when
 * a check fails: a log not delivered, a callback count that does not add up.
 */
#define _POSIX_C_SOURCE 200809L
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "lts.h"

#ifndef POOL
#define POOL 4096
#endif
#define PROJECT "bench"
#define UNIT "unit"

static void die(const char *what, lts_result r) {
    fprintf(stderr, "%s failed: %s: %s\n", what, lts_result_name(r), lts_last_error_message());
    exit(2);
}
#define CHECK(what, call)                     \
    do {                                      \
        lts_result r_ = (call);               \
        if (r_ != LTS_OK) die((what), r_);    \
    } while (0)

/* The project's bench shapes (wide: 8 contents + 1 label; small: 2 contents). */
static lts_log_item *wide(uint64_t i, int64_t now) {
    lts_log_item *it;
    char buf[128];
    CHECK("item", lts_log_item_new(&it));
    CHECK("ts", lts_log_item_set_timestamp_ns(it, now));
    snprintf(buf, sizeof buf, "GET /api/v1/orders/%08" PRIu64 " HTTP/1.1 200 1532 0.012 \"Mozilla/5.0 (X11; Linux x86_64)\"", i);
    CHECK("msg", lts_log_item_set_origin_msg(it, buf));
    CHECK("level", lts_log_item_push_content_str(it, "level", "info"));
    snprintf(buf, sizeof buf, "web-%02" PRIu64 ".prod.example", i % 16);
    CHECK("host", lts_log_item_push_content_str(it, "host", buf));
    CHECK("method", lts_log_item_push_content_str(it, "method", "GET"));
    snprintf(buf, sizeof buf, "/api/v1/orders/%08" PRIu64, i);
    CHECK("path", lts_log_item_push_content_str(it, "path", buf));
    CHECK("status", lts_log_item_push_content_i64(it, "status", 200));
    CHECK("latency", lts_log_item_push_content_f64(it, "latency_ms", 12.5 + (double)(i % 7)));
    /* (i * 2654435761) mod 2^128 fits in 64 bits for every i used here. */
    snprintf(buf, sizeof buf, "%016" PRIx64 "%016" PRIx64, (uint64_t)0,
             (uint64_t)(i * UINT64_C(2654435761)));
    CHECK("trace", lts_log_item_push_content_str(it, "trace_id", buf));
    CHECK("ua", lts_log_item_push_content_str(it, "user_agent", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36"));
    CHECK("label", lts_log_item_push_label_str(it, "user_tag", "string"));
    return it;
}

static lts_log_item *small(uint64_t i, int64_t now) {
    lts_log_item *it;
    char buf[64];
    CHECK("item", lts_log_item_new(&it));
    CHECK("ts", lts_log_item_set_timestamp_ns(it, now));
    snprintf(buf, sizeof buf, "user %" PRIu64 " logged in", i);
    CHECK("msg", lts_log_item_set_origin_msg(it, buf));
    CHECK("level", lts_log_item_push_content_str(it, "level", "info"));
    CHECK("uid", lts_log_item_push_content_i64(it, "uid", (int64_t)i));
    return it;
}

static uint64_t now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static double cpu_seconds(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + (double)u.ru_stime.tv_sec +
           u.ru_stime.tv_usec / 1e6;
}

static long minor_faults(void) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return u.ru_minflt;
}

static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static uint32_t pct(const uint32_t *sorted, size_t n, double p) {
    size_t i = (size_t)((double)n * p);
    return sorted[i < n ? i : n - 1];
}

static lts_producer *make_producer(const char *endpoint, size_t cap, int max_block_ms) {
    lts_producer_config *pc;
    lts_client_config *cc;
    lts_producer *p;
    CHECK("producer config", lts_producer_config_new(&pc));
    if (cap) CHECK("buffer", lts_producer_config_set_buffer_bytes(pc, cap));
    if (max_block_ms >= 0) CHECK("max block", lts_producer_config_set_max_block_ms(pc, (uint32_t)max_block_ms));
    CHECK("producer", lts_producer_new(pc, &p));
    CHECK("client config", lts_client_config_new(endpoint, "lts-local-ak", "lts-local-sk", PROJECT, &cc));
    CHECK("add client", lts_producer_add_client(p, cc));
    CHECK("start", lts_producer_start(p));
    lts_client_config_free(cc);
    lts_producer_config_free(pc);
    return p;
}

struct sender {
    pthread_t thread;
    lts_producer *p;
    lts_log_item **pool;
    size_t first, logs, stride;
    uint32_t *lat;     /* NULL: not timed */
    double rate;       /* this thread's logs per second; 0: as fast as it can */
    uint64_t start_ns; /* when the schedule starts */
    int refused;
};

/* Paced senders send bursts of this many logs, each burst at its scheduled time. */
#define BURST 100

static void sleep_until(uint64_t t) {
    struct timespec ts = {.tv_sec = (time_t)(t / 1000000000u), .tv_nsec = (long)(t % 1000000000u)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) != 0) {
    }
}

static void *send_loop(void *arg) {
    struct sender *s = arg;
    for (size_t i = 0; i < s->logs; i++) {
        if (s->rate > 0 && i % BURST == 0) sleep_until(s->start_ns + (uint64_t)((double)i / s->rate * 1e9));
        const lts_log_item *one[1] = {s->pool[(s->first + i * s->stride) % POOL]};
        lts_result r;
        if (s->lat) {
            uint64_t t0 = now_ns();
            r = lts_producer_send(s->p, PROJECT, UNIT, one, 1, NULL, NULL);
            uint64_t d = now_ns() - t0;
            s->lat[i] = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
        } else {
            r = lts_producer_send(s->p, PROJECT, UNIT, one, 1, NULL, NULL);
        }
        if (r != LTS_OK) s->refused++;
    }
    return NULL;
}

static int run_send(const char *endpoint, const char *shape, int threads, size_t logs, int timing, double rate,
                    int aligned) {
    lts_log_item *pool[POOL];
    int64_t now = lts_now_ns();
    for (uint64_t i = 0; i < POOL; i++) pool[i] = strcmp(shape, "small") == 0 ? small(i, now) : wide(i, now);

    uint64_t timer = 0;
    if (timing) {
        /* The clock pair's own cost, so a reader can tell it from the send's. */
        enum { N = 100001 };
        static uint32_t t[N];
        for (size_t i = 0; i < N; i++) {
            uint64_t a = now_ns();
            t[i] = (uint32_t)(now_ns() - a);
        }
        qsort(t, N, sizeof t[0], cmp_u32);
        timer = t[N / 2];
    }

    /* A 1 GiB cap holds every log of a run, so a send's cost is never a wait for room (the
     * rss mode measures the cap); blocking sends (max_block 60 s) would wait, not refuse. */
    lts_producer *p = make_producer(endpoint, (size_t)1 << 30, 60000);
    struct sender s[16];
    if (threads < 1 || threads > 16) threads = 1;
    size_t per = logs / (size_t)threads;
    /* Paced threads start their bursts spread over a period, as independent threads would,
     * unless `aligned` asks for every burst at once (the worst case for the batch's lock). */
    uint64_t stagger = rate > 0 ? (uint64_t)(BURST / rate * 1e9) : 0;
    double c0 = cpu_seconds();
    long f0 = minor_faults();
    uint64_t t0 = now_ns();
    for (int t = 0; t < threads; t++) {
        s[t] = (struct sender){.p = p, .pool = pool, .first = (size_t)t, .logs = per, .stride = (size_t)threads,
                               .lat = timing ? malloc(per * sizeof(uint32_t)) : NULL, .rate = rate / threads,
                               .start_ns = t0 + (aligned ? 0 : stagger * (uint64_t)t), .refused = 0};
        pthread_create(&s[t].thread, NULL, send_loop, &s[t]);
    }
    int refused = 0;
    for (int t = 0; t < threads; t++) {
        pthread_join(s[t].thread, NULL);
        refused += s[t].refused;
    }
    uint64_t sent_at = now_ns();
    CHECK("safe_close", lts_producer_safe_close(p));
    double secs = (double)(now_ns() - t0) / 1e9;
    double cpu = cpu_seconds() - c0;
    long faults = minor_faults() - f0;
    lts_producer_stats st;
    st.struct_size = sizeof st;
    CHECK("stats", lts_producer_get_stats(p, &st));
    lts_producer_free(p);

    size_t total = per * (size_t)threads;
    int ok = refused == 0 && st.logs_sent == total && st.logs_failed == 0;
    printf("%s, %d thread(s), %zu logs%s: %.0f logs/s, %.1f MB/s raw, %.2f client CPU-s per raw GB%s\n", shape,
           threads, total, rate > 0 ? " (paced)" : "", total / secs, st.bytes_sent / 1e6 / secs,
           cpu / (st.bytes_sent / 1e9), ok ? "" : " -- NOT ALL DELIVERED");
    printf("logs=%zu\nlogs_sent=%" PRIu64 "\nrefused=%d\nlogs_per_s=%.0f\nraw_mb_per_s=%.1f\ncpu_s_per_gb=%.3f\n"
           "send_phase_s=%.3f\nminor_faults_per_1000_logs=%.1f\n",
           total, st.logs_sent, refused, total / secs, st.bytes_sent / 1e6 / secs, cpu / (st.bytes_sent / 1e9),
           (double)(sent_at - t0) / 1e9, faults * 1000.0 / (double)total);
    if (timing) {
        uint32_t *all = malloc(total * sizeof(uint32_t));
        for (int t = 0; t < threads; t++) {
            memcpy(all + (size_t)t * per, s[t].lat, per * sizeof(uint32_t));
            free(s[t].lat);
        }
        qsort(all, total, sizeof all[0], cmp_u32);
        printf("send cost: median %u ns, p99 %u ns, p999 %u ns (the clock pair alone: %" PRIu64 " ns)\n",
               pct(all, total, 0.5), pct(all, total, 0.99), pct(all, total, 0.999), timer);
        printf("median_ns=%u\np99_ns=%u\np999_ns=%u\ntimer_ns=%" PRIu64 "\n", pct(all, total, 0.5),
               pct(all, total, 0.99), pct(all, total, 0.999), timer);
        free(all);
    }
    for (size_t i = 0; i < POOL; i++) lts_log_item_free(pool[i]);
    return ok ? 0 : 1;
}

static long rss_kib(const char *field) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long v = -1;
    size_t n = strlen(field);
    if (!f) return -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, field, n) == 0) v = strtol(line + n, NULL, 10);
    fclose(f);
    return v;
}

static atomic_size_t results_logs;
static atomic_size_t results_calls;
static atomic_size_t results_closed;

static void on_result(void *user_data, const lts_send_result *r) {
    (void)user_data;
    atomic_fetch_add(&results_calls, 1);
    atomic_fetch_add(&results_logs, lts_send_result_log_count(r));
    if (lts_send_result_code(r) == LTS_ERR_CLOSED) atomic_fetch_add(&results_closed, lts_send_result_log_count(r));
}

/* The small shape with its message padded to make one log ~250 raw bytes on its own. */
static lts_log_item *tiny(uint64_t i, int64_t now) {
    lts_log_item *it = small(i, now);
    char buf[256];
    snprintf(buf, sizeof buf, "user %08" PRIu64 " logged in from 10.0.0.1 with session %0160" PRIu64, i, i);
    CHECK("msg", lts_log_item_set_origin_msg(it, buf));
    return it;
}

static int run_rss(const char *endpoint, size_t cap_mib, size_t offer_mib, double seconds, int tiny_sends) {
    enum { SAMPLES = 20 };
    const int PER_SEND = tiny_sends ? 1 : 10;
    lts_log_item *pool[POOL];
    int64_t now = lts_now_ns();
    for (uint64_t i = 0; i < POOL; i++) pool[i] = tiny_sends ? tiny(i, now) : wide(i, now);
    long base = rss_kib("VmRSS:");
    lts_producer *p = make_producer(endpoint, cap_mib << 20, 0);

    /* One send's raw size, to count what is offered (accepted or refused alike). */
    const lts_log_item *batch[10];
    for (int k = 0; k < PER_SEND; k++) batch[k] = pool[k];
    CHECK("first send", lts_producer_send(p, PROJECT, UNIT, batch, PER_SEND, on_result, NULL));
    lts_producer_stats st;
    st.struct_size = sizeof st;
    CHECK("stats", lts_producer_get_stats(p, &st));
    size_t per_send = (size_t)st.bytes_accepted;
    size_t sends = (offer_mib << 20) / per_send;
    size_t accepted = 1, refused = 0;
    long samples[SAMPLES], max_rss = 0;
    int s = 0;
    uint64_t t0 = now_ns();
    for (size_t i = 1; i < sends; i++) {
        /* Spread over `seconds`, so the samples show RSS over time, not only over volume. */
        if (seconds > 0 && i % 1000 == 0) sleep_until(t0 + (uint64_t)((double)i / (double)sends * seconds * 1e9));
        for (int k = 0; k < PER_SEND; k++) batch[k] = pool[(i * PER_SEND + (size_t)k) % POOL];
        if (lts_producer_send(p, PROJECT, UNIT, batch, PER_SEND, on_result, NULL) == LTS_OK)
            accepted++;
        else
            refused++;
        if (i % (sends / SAMPLES) == 0 && s < SAMPLES) {
            samples[s] = rss_kib("VmRSS:");
            if (samples[s] > max_rss) max_rss = samples[s];
            s++;
        }
    }
    CHECK("stats", lts_producer_get_stats(p, &st));
    long before_close = rss_kib("VmHWM:");
    size_t buffered = (size_t)st.buffered_bytes;
    lts_result cr = lts_producer_close(p, tiny_sends ? 0 : 1000);
    long hwm = rss_kib("VmHWM:");
    lts_producer_free(p);
    size_t logs_accepted = accepted * PER_SEND;
    int ok = atomic_load(&results_calls) == accepted && atomic_load(&results_logs) == logs_accepted &&
             (cr == LTS_OK || cr == LTS_ERR_TIMEOUT);
    printf("offered %zu MiB (%zu sends of %d logs, %zu raw bytes each%s): %zu accepted, %zu refused; "
           "buffered %.1f MiB at the end (cap %zu MiB); RSS before the producer %.1f MiB, peak %.1f MiB before "
           "close, %.1f MiB through close (%+.1f MiB over the cap)%s\n",
           offer_mib, sends, PER_SEND, per_send, tiny_sends ? ", a callback each" : "", accepted, refused,
           buffered / 1048576.0, cap_mib, base / 1024.0, before_close / 1024.0, hwm / 1024.0,
           hwm / 1024.0 - (double)cap_mib, ok ? "" : " -- RESULTS DO NOT ADD UP");
    printf("RSS samples (MiB), one per 1/%d of the offer:", SAMPLES);
    for (int k = 0; k < s; k++) printf(" %.1f", samples[k] / 1024.0);
    printf("\n");
    printf("cap_mib=%zu\noffered_mib=%zu\naccepted_sends=%zu\nrefused_sends=%zu\nbase_rss_mib=%.1f\n"
           "peak_rss_mib=%.1f\nover_cap_mib=%.1f\nlast_sample_mib=%.1f\nmid_sample_mib=%.1f\n"
           "results=%zu\nclosed_logs=%zu\npeak_before_close_mib=%.1f\n",
           cap_mib, offer_mib, accepted, refused, base / 1024.0, hwm / 1024.0, hwm / 1024.0 - (double)cap_mib,
           samples[s - 1] / 1024.0, samples[s / 2] / 1024.0, atomic_load(&results_calls),
           atomic_load(&results_closed), before_close / 1024.0);
    for (size_t i = 0; i < POOL; i++) lts_log_item_free(pool[i]);
    return ok ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc >= 6 && strcmp(argv[1], "send") == 0) {
        int timing = 0, aligned = 0;
        double rate = 0;
        for (int i = 6; i < argc; i++) {
            if (strcmp(argv[i], "timing") == 0)
                timing = 1;
            else if (strcmp(argv[i], "aligned") == 0)
                aligned = 1;
            else if (strncmp(argv[i], "rate=", 5) == 0)
                rate = atof(argv[i] + 5);
        }
        return run_send(argv[2], argv[3], atoi(argv[4]), (size_t)strtoull(argv[5], NULL, 10), timing, rate,
                        aligned);
    }
    if (argc >= 5 && argc <= 7 && strcmp(argv[1], "rss") == 0)
        return run_rss(argv[2], (size_t)strtoull(argv[3], NULL, 10), (size_t)strtoull(argv[4], NULL, 10),
                       argc >= 6 ? atof(argv[5]) : 0, argc == 7 && strcmp(argv[6], "tiny") == 0);
    fprintf(stderr,
            "usage: lts_bench send ENDPOINT wide|small THREADS LOGS [timing] [rate=LOGS_PER_S] [aligned]\n"
            "       lts_bench rss ENDPOINT CAP_MIB OFFER_MIB [SECONDS] [tiny]\n");
    return 2;
}
