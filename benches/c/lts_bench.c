/*
 * The producer measured from C, as a C program uses it (run by scripts/bench.sh, which starts
 * lts-local in its own process and passes its endpoint):
 *
 *   lts_bench send ENDPOINT wide|small THREADS LOGS [api=API] [timing] [rate=LOGS_PER_S] [aligned]
 *       THREADS threads send LOGS logs in all, one log per call, no callback, through one
 *       producer (defaults: 8 workers, lz4, a 1 GiB cap) until safe_close returns. Each call
 *       sends a fresh log made from the program's own data for that log (its strings are
 *       formatted before the call, as an application has them; the call then builds the log
 *       through the API and sends it). API is how the log is handed over:
 *         records   lts_field/lts_record structs pointing at the strings, lts_producer_send_records
 *         packed    the strings packed into the packed layout, lts_producer_send_packed
 *         items     lts_log_item_new + one setter per field + lts_producer_send + lts_log_item_free
 *         prebuilt  lts_producer_send of an item built beforehand (4,096 reused): leaves out
 *                   building the log, so a secondary figure
 *       Prints the wall-clock rate, raw MB/s, this process's CPU per log (and without the
 *       program's own formatting, measured alone in the same run; and the kernel's part of
 *       it, sys_ns_per_log); with `timing`, also each
 *       call's cost (median, p99, p999) measured with CLOCK_MONOTONIC around the API calls
 *       (the formatting outside), and the cost of that clock pair alone. With `rate=`, the
 *       threads together offer that many logs per second (bursts of 100); the threads' bursts
 *       are spread over the period unless `aligned` is given. Without it: a burst, as fast as
 *       the threads go. With `journal=DIR` the producer journals every send in DIR (which
 *       should be empty), with `journal_sync_ms=N` its sync interval (default 1000). With
 *       `per_send=N` (api=records, up to 64), each call sends N fresh logs (the language
 *       bindings' rows of the suite send 1 and 10 per call and compare with this path).
 *   lts_bench rss ENDPOINT CAP_MIB OFFER_MIB [SECONDS] [tiny]
 *       For a server that does not answer (the script stalls lts-local): offers OFFER_MIB of
 *       raw wide logs, 10 per send, spread over SECONDS (default: as fast as it can), to a
 *       producer whose buffer cap is CAP_MIB with max_block 0, sampling this process's RSS
 *       20 times as it goes; then close(1000 ms) and checks that every accepted log got
 *       exactly one result. With `tiny`: one ~250-byte log per send, each with its callback
 *       (the case where a send's bookkeeping weighs most against its bytes), and close(0),
 *       which reports every accepted send at once.
 *   lts_bench rss-labels ENDPOINT CAP_MIB OFFER_MIB THREADS
 *       The same stalled server, THREADS threads (e.g. 64) sending wide records through
 *       lts_producer_send_records, one per call, each with a label set of its own (a label
 *       naming the thread and the record): the case where a batch's label groups weigh most.
 *       OFFER_MIB of raw records are offered in all; RSS sampled as it goes; then close(0).
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

/* This process's CPU seconds so far; `sys` (if not NULL) gets the kernel's part of them. */
static double cpu_split(double *sys) {
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    double k = (double)u.ru_stime.tv_sec + u.ru_stime.tv_usec / 1e6;
    if (sys) *sys = k;
    return (double)u.ru_utime.tv_sec + u.ru_utime.tv_usec / 1e6 + k;
}

static double cpu_seconds(void) { return cpu_split(NULL); }

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

/* The send mode's journal settings (NULL: none). */
static const char *journal_dir, *journal_sync_ms;
/* Logs per call (api=records): 1 unless `per_send=` says more. */
#define MAX_PER_SEND 64
static size_t per_send = 1;

static lts_producer *make_producer(const char *endpoint, size_t cap, int max_block_ms) {
    lts_producer_config *pc;
    lts_client_config *cc;
    lts_producer *p;
    CHECK("producer config", lts_producer_config_new(&pc));
    if (journal_dir) CHECK("journal", lts_producer_config_set_journal_dir(pc, journal_dir));
    if (journal_sync_ms) CHECK("journal sync", lts_producer_config_set(pc, "journal_sync_ms", journal_sync_ms));
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

/* A log's own data as a program has it when it logs: its strings formatted, its numbers. */
struct data {
    int64_t ts;
    int64_t uid;
    double latency;
    size_t msg_len, host_len, path_len, trace_len;
    char msg[128], host[32], path[32], trace[40];
};

static void make_data(struct data *d, uint64_t i, int small_shape) {
    d->ts = lts_now_ns();
    if (small_shape) {
        d->msg_len = (size_t)snprintf(d->msg, sizeof d->msg, "user %" PRIu64 " logged in", i);
        d->uid = (int64_t)i;
        return;
    }
    d->msg_len = (size_t)snprintf(d->msg, sizeof d->msg,
                                  "GET /api/v1/orders/%08" PRIu64 " HTTP/1.1 200 1532 0.012 \"Mozilla/5.0 (X11; Linux x86_64)\"", i);
    d->host_len = (size_t)snprintf(d->host, sizeof d->host, "web-%02" PRIu64 ".prod.example", i % 16);
    d->path_len = (size_t)snprintf(d->path, sizeof d->path, "/api/v1/orders/%08" PRIu64, i);
    /* (i * 2654435761) mod 2^128 fits in 64 bits for every i used here. */
    d->trace_len = (size_t)snprintf(d->trace, sizeof d->trace, "%016" PRIx64 "%016" PRIx64, (uint64_t)0,
                                    (uint64_t)(i * UINT64_C(2654435761)));
    d->latency = 12.5 + (double)(i % 7);
}

#define UA "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36"
#define STR(k, v, n) {.key = k, .key_len = sizeof k - 1, .type = LTS_FIELD_STR, .str = v, .str_len = n}

static lts_result send_records(lts_producer *p, const struct data *d, int small_shape) {
    if (small_shape) {
        lts_field c[2] = {STR("level", "info", 4),
                          {.key = "uid", .key_len = 3, .type = LTS_FIELD_I64, .i64 = d->uid}};
        lts_record r = {.timestamp_ns = d->ts, .msg = d->msg, .msg_len = d->msg_len, .contents = c, .contents_len = 2};
        return lts_producer_send_records(p, PROJECT, UNIT, &r, 1, NULL, NULL);
    }
    lts_field c[8] = {STR("level", "info", 4),
                      STR("host", d->host, d->host_len),
                      STR("method", "GET", 3),
                      STR("path", d->path, d->path_len),
                      {.key = "status", .key_len = 6, .type = LTS_FIELD_I64, .i64 = 200},
                      {.key = "latency_ms", .key_len = 10, .type = LTS_FIELD_F64, .f64 = d->latency},
                      STR("trace_id", d->trace, d->trace_len),
                      STR("user_agent", UA, sizeof UA - 1)};
    lts_field l[1] = {STR("user_tag", "string", 6)};
    lts_record r = {.timestamp_ns = d->ts, .msg = d->msg, .msg_len = d->msg_len, .contents = c,
                    .contents_len = 8, .labels = l, .labels_len = 1};
    return lts_producer_send_records(p, PROJECT, UNIT, &r, 1, NULL, NULL);
}

static unsigned char *put_u32(unsigned char *o, uint32_t v) {
    memcpy(o, &v, 4); /* the layout is little-endian, as this machine is */
    return o + 4;
}
static unsigned char *put_str(unsigned char *o, const char *s, size_t n) {
    o = put_u32(o, (uint32_t)n);
    memcpy(o, s, n);
    return o + n;
}
static unsigned char *put_field(unsigned char *o, const char *k, size_t kn, const char *v, size_t vn) {
    *o++ = 0;
    return put_str(put_str(o, k, kn), v, vn);
}
static unsigned char *put_num(unsigned char *o, int type, const char *k, size_t kn, const void *v) {
    *o++ = (unsigned char)type;
    o = put_str(o, k, kn);
    memcpy(o, v, 8);
    return o + 8;
}

static lts_result send_packed(lts_producer *p, const struct data *d, int small_shape, unsigned char *buf) {
    unsigned char *o = buf;
    memcpy(o, &d->ts, 8);
    o = put_str(o + 8, d->msg, d->msg_len);
    if (small_shape) {
        o = put_u32(o, 2);
        o = put_field(o, "level", 5, "info", 4);
        o = put_num(o, 1, "uid", 3, &d->uid);
        o = put_u32(o, 0);
    } else {
        int64_t status = 200;
        o = put_u32(o, 8);
        o = put_field(o, "level", 5, "info", 4);
        o = put_field(o, "host", 4, d->host, d->host_len);
        o = put_field(o, "method", 6, "GET", 3);
        o = put_field(o, "path", 4, d->path, d->path_len);
        o = put_num(o, 1, "status", 6, &status);
        o = put_num(o, 2, "latency_ms", 10, &d->latency);
        o = put_field(o, "trace_id", 8, d->trace, d->trace_len);
        o = put_field(o, "user_agent", 10, UA, sizeof UA - 1);
        o = put_u32(o, 1);
        o = put_field(o, "user_tag", 8, "string", 6);
    }
    return lts_producer_send_packed(p, PROJECT, UNIT, buf, (size_t)(o - buf), 1, NULL, NULL);
}

static lts_result send_items(lts_producer *p, const struct data *d, int small_shape) {
    lts_log_item *it;
    lts_result r = lts_log_item_new(&it);
    if (r != LTS_OK) return r;
    lts_log_item_set_timestamp_ns(it, d->ts);
    lts_log_item_set_origin_msg(it, d->msg);
    lts_log_item_push_content_str(it, "level", "info");
    if (small_shape) {
        lts_log_item_push_content_i64(it, "uid", d->uid);
    } else {
        lts_log_item_push_content_str(it, "host", d->host);
        lts_log_item_push_content_str(it, "method", "GET");
        lts_log_item_push_content_str(it, "path", d->path);
        lts_log_item_push_content_i64(it, "status", 200);
        lts_log_item_push_content_f64(it, "latency_ms", d->latency);
        lts_log_item_push_content_str(it, "trace_id", d->trace);
        lts_log_item_push_content_str(it, "user_agent", UA);
        lts_log_item_push_label_str(it, "user_tag", "string");
    }
    const lts_log_item *one[1] = {it};
    r = lts_producer_send(p, PROJECT, UNIT, one, 1, NULL, NULL);
    lts_log_item_free(it);
    return r;
}

enum api { API_RECORDS, API_PACKED, API_ITEMS, API_PREBUILT };

struct sender {
    pthread_t thread;
    lts_producer *p;
    lts_log_item **pool;
    enum api api;
    int small;
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

static lts_result send_one(struct sender *s, const struct data *d, size_t n, unsigned char *buf) {
    switch (s->api) {
    case API_RECORDS:
        return send_records(s->p, d, s->small);
    case API_PACKED:
        return send_packed(s->p, d, s->small, buf);
    case API_ITEMS:
        return send_items(s->p, d, s->small);
    default: {
        const lts_log_item *one[1] = {s->pool[n % POOL]};
        return lts_producer_send(s->p, PROJECT, UNIT, one, 1, NULL, NULL);
    }
    }
}

static void *send_loop(void *arg) {
    struct sender *s = arg;
    unsigned char buf[1024];
    struct data d;
    for (size_t i = 0; i < s->logs; i++) {
        if (s->rate > 0 && i % BURST == 0) sleep_until(s->start_ns + (uint64_t)((double)i / s->rate * 1e9));
        size_t n = s->first + i * s->stride;
        if (s->api != API_PREBUILT) make_data(&d, n, s->small);
        lts_result r;
        if (s->lat) {
            uint64_t t0 = now_ns();
            r = send_one(s, &d, n, buf);
            uint64_t t = now_ns() - t0;
            s->lat[i] = t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
        } else {
            r = send_one(s, &d, n, buf);
        }
        if (r != LTS_OK) s->refused++;
    }
    return NULL;
}

/* As send_loop for api=records with per_send > 1: every call sends per_send fresh logs, each
 * with fields of its own (the records point at each log's own strings). Untimed. */
static void *send_many_loop(void *arg) {
    struct sender *s = arg;
    static const lts_field label = STR("user_tag", "string", 6);
    struct data d[MAX_PER_SEND];
    lts_field c[MAX_PER_SEND][8];
    lts_record r[MAX_PER_SEND];
    for (size_t i = 0; i < s->logs; i += per_send) {
        if (s->rate > 0 && i % BURST < per_send)
            sleep_until(s->start_ns + (uint64_t)((double)i / s->rate * 1e9));
        size_t n = s->logs - i < per_send ? s->logs - i : per_send;
        for (size_t k = 0; k < n; k++) {
            make_data(&d[k], s->first + (i + k) * s->stride, s->small);
            if (s->small) {
                c[k][0] = (lts_field)STR("level", "info", 4);
                c[k][1] = (lts_field){.key = "uid", .key_len = 3, .type = LTS_FIELD_I64, .i64 = d[k].uid};
                r[k] = (lts_record){.timestamp_ns = d[k].ts, .msg = d[k].msg, .msg_len = d[k].msg_len,
                                    .contents = c[k], .contents_len = 2};
                continue;
            }
            c[k][0] = (lts_field)STR("level", "info", 4);
            c[k][1] = (lts_field)STR("host", d[k].host, d[k].host_len);
            c[k][2] = (lts_field)STR("method", "GET", 3);
            c[k][3] = (lts_field)STR("path", d[k].path, d[k].path_len);
            c[k][4] = (lts_field){.key = "status", .key_len = 6, .type = LTS_FIELD_I64, .i64 = 200};
            c[k][5] = (lts_field){.key = "latency_ms", .key_len = 10, .type = LTS_FIELD_F64, .f64 = d[k].latency};
            c[k][6] = (lts_field)STR("trace_id", d[k].trace, d[k].trace_len);
            c[k][7] = (lts_field)STR("user_agent", UA, sizeof UA - 1);
            r[k] = (lts_record){.timestamp_ns = d[k].ts, .msg = d[k].msg, .msg_len = d[k].msg_len, .contents = c[k],
                                .contents_len = 8, .labels = &label, .labels_len = 1};
        }
        if (lts_producer_send_records(s->p, PROJECT, UNIT, r, n, NULL, NULL) != LTS_OK) s->refused++;
    }
    return NULL;
}

/* The program's own cost of formatting a log's data, per log: measured alone, so the CPU
 * the library costs can be told from the CPU the program spends anyway. */
static double format_ns_per_log(int small_shape) {
    enum { N = 200000 };
    struct data d;
    double c0 = cpu_seconds();
    for (uint64_t i = 0; i < N; i++) {
        make_data(&d, i, small_shape);
        __asm__ volatile("" : : "r"(&d) : "memory");
    }
    return (cpu_seconds() - c0) * 1e9 / N;
}

static int run_send(const char *endpoint, const char *shape, int threads, size_t logs, int timing, double rate,
                    int aligned, enum api api, const char *api_name) {
    int small_shape = strcmp(shape, "small") == 0;
    lts_log_item *pool[POOL] = {0};
    int64_t now = lts_now_ns();
    if (api == API_PREBUILT)
        for (uint64_t i = 0; i < POOL; i++) pool[i] = small_shape ? small(i, now) : wide(i, now);

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
    double format_ns = api == API_PREBUILT ? 0 : format_ns_per_log(small_shape);

    /* A 1 GiB cap holds every log of a run, so a send's cost is never a wait for room (the
     * rss mode measures the cap); blocking sends (max_block 60 s) would wait, not refuse. */
    lts_producer *p = make_producer(endpoint, (size_t)1 << 30, 60000);
    struct sender s[16];
    if (threads < 1 || threads > 16) threads = 1;
    size_t per = logs / (size_t)threads;
    /* Paced threads start their bursts spread over a period, as independent threads would,
     * unless `aligned` asks for every burst at once (the worst case for the batch's lock). */
    uint64_t stagger = rate > 0 ? (uint64_t)(BURST / rate * 1e9) : 0;
    double sys0;
    double c0 = cpu_split(&sys0);
    long f0 = minor_faults();
    uint64_t t0 = now_ns();
    for (int t = 0; t < threads; t++) {
        s[t] = (struct sender){.p = p, .pool = pool, .api = api, .small = small_shape, .first = (size_t)t,
                               .logs = per, .stride = (size_t)threads,
                               .lat = timing ? malloc(per * sizeof(uint32_t)) : NULL, .rate = rate / threads,
                               .start_ns = t0 + (aligned ? 0 : stagger * (uint64_t)t), .refused = 0};
        pthread_create(&s[t].thread, NULL, per_send > 1 ? send_many_loop : send_loop, &s[t]);
    }
    int refused = 0;
    for (int t = 0; t < threads; t++) {
        pthread_join(s[t].thread, NULL);
        refused += s[t].refused;
    }
    uint64_t sent_at = now_ns();
    CHECK("safe_close", lts_producer_safe_close(p));
    double secs = (double)(now_ns() - t0) / 1e9;
    double sys1;
    double cpu = cpu_split(&sys1) - c0;
    double sys = sys1 - sys0;
    long faults = minor_faults() - f0;
    lts_producer_stats st;
    st.struct_size = sizeof st;
    CHECK("stats", lts_producer_get_stats(p, &st));
    lts_producer_free(p);

    size_t total = per * (size_t)threads;
    int ok = refused == 0 && st.logs_sent == total && st.logs_failed == 0 && st.buffered_bytes == 0 &&
             st.logs_accepted == st.logs_sent;
    double cpu_ns = cpu * 1e9 / (double)total;
    printf("%s via %s, %d thread(s), %zu logs%s: %.0f logs/s, %.1f MB/s raw; client CPU %.0f ns per log "
           "(%.0f ns of it the program formatting its data)%s\n",
           shape, api_name, threads, total, rate > 0 ? " (paced)" : "", total / secs, st.bytes_sent / 1e6 / secs,
           cpu_ns, format_ns, ok ? "" : " -- NOT ALL DELIVERED");
    printf("logs=%zu\nlogs_sent=%" PRIu64 "\nrefused=%d\nlogs_per_s=%.0f\nraw_mb_per_s=%.1f\ncpu_s_per_gb=%.3f\n"
           "cpu_ns_per_log=%.1f\nformat_ns_per_log=%.1f\nlib_cpu_ns_per_log=%.1f\n"
           "send_phase_s=%.3f\nminor_faults_per_1000_logs=%.1f\nsys_ns_per_log=%.1f\n",
           total, st.logs_sent, refused, total / secs, st.bytes_sent / 1e6 / secs, cpu / (st.bytes_sent / 1e9),
           cpu_ns, format_ns, cpu_ns - format_ns, (double)(sent_at - t0) / 1e9, faults * 1000.0 / (double)total,
           sys * 1e9 / (double)total);
    if (timing) {
        uint32_t *all = malloc(total * sizeof(uint32_t));
        for (int t = 0; t < threads; t++) {
            memcpy(all + (size_t)t * per, s[t].lat, per * sizeof(uint32_t));
            free(s[t].lat);
        }
        qsort(all, total, sizeof all[0], cmp_u32);
        printf("call cost: median %u ns, p99 %u ns, p999 %u ns (the clock pair alone: %" PRIu64 " ns)\n",
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

struct label_sender {
    pthread_t thread;
    lts_producer *p;
    int id;
    size_t sends, accepted;
};

static void *label_loop(void *arg) {
    struct label_sender *s = arg;
    struct data d;
    char label[48];
    for (size_t i = 0; i < s->sends; i++) {
        make_data(&d, (uint64_t)s->id * 1000000007u + i, 0);
        int n = snprintf(label, sizeof label, "host-%d-record-%zu", s->id, i);
        lts_field c[4] = {STR("level", "info", 4), STR("host", d.host, d.host_len), STR("path", d.path, d.path_len),
                          STR("trace_id", d.trace, d.trace_len)};
        lts_field l[1] = {STR("source", label, (size_t)n)};
        lts_record r = {.timestamp_ns = d.ts, .msg = d.msg, .msg_len = d.msg_len, .contents = c,
                        .contents_len = 4, .labels = l, .labels_len = 1};
        if (lts_producer_send_records(s->p, PROJECT, UNIT, &r, 1, on_result, NULL) == LTS_OK) s->accepted++;
    }
    return NULL;
}

static int run_rss_labels(const char *endpoint, size_t cap_mib, size_t offer_mib, int threads) {
    enum { MAX_THREADS = 256, SAMPLES = 50 };
    if (threads < 1 || threads > MAX_THREADS) threads = 64;
    long base = rss_kib("VmRSS:");
    lts_producer *p = make_producer(endpoint, cap_mib << 20, 0);
    /* One record's raw size, measured by sending one. */
    struct label_sender probe = {.p = p, .id = threads, .sends = 1};
    label_loop(&probe);
    lts_producer_stats st;
    st.struct_size = sizeof st;
    CHECK("stats", lts_producer_get_stats(p, &st));
    size_t per_record = (size_t)st.bytes_accepted;
    size_t per_thread = (offer_mib << 20) / per_record / (size_t)threads;
    static struct label_sender s[MAX_THREADS];
    for (int t = 0; t < threads; t++) {
        s[t] = (struct label_sender){.p = p, .id = t, .sends = per_thread};
        pthread_create(&s[t].thread, NULL, label_loop, &s[t]);
    }
    /* Sample RSS while the threads send (the main thread only watches). */
    long max_rss = 0;
    for (int k = 0; k < SAMPLES; k++) {
        struct timespec ts = {0, 20 * 1000 * 1000};
        nanosleep(&ts, NULL);
        long r = rss_kib("VmRSS:");
        if (r > max_rss) max_rss = r;
    }
    size_t accepted = probe.accepted;
    for (int t = 0; t < threads; t++) {
        pthread_join(s[t].thread, NULL);
        accepted += s[t].accepted;
    }
    CHECK("stats", lts_producer_get_stats(p, &st));
    long before_close = rss_kib("VmHWM:");
    lts_result cr = lts_producer_close(p, 0);
    lts_producer_free(p);
    int ok = atomic_load(&results_calls) == accepted && (cr == LTS_OK || cr == LTS_ERR_TIMEOUT);
    size_t offered = per_thread * (size_t)threads + 1;
    printf("%d threads, %zu records offered (%zu raw bytes each, a label set of its own): %zu accepted, %zu "
           "refused; buffered %.1f MiB (cap %zu MiB); RSS before the producer %.1f MiB, peak %.1f MiB (%+.1f MiB "
           "over the cap)%s\n",
           threads, offered, per_record, accepted, offered - accepted, st.buffered_bytes / 1048576.0, cap_mib,
           base / 1024.0, before_close / 1024.0, before_close / 1024.0 - (double)cap_mib,
           ok ? "" : " -- RESULTS DO NOT ADD UP");
    printf("cap_mib=%zu\nthreads=%d\naccepted_sends=%zu\nrefused_sends=%zu\nbase_rss_mib=%.1f\n"
           "peak_rss_mib=%.1f\nover_cap_mib=%.1f\nsampled_peak_mib=%.1f\n",
           cap_mib, threads, accepted, offered - accepted, base / 1024.0, before_close / 1024.0,
           before_close / 1024.0 - (double)cap_mib, max_rss / 1024.0);
    return ok ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc >= 6 && strcmp(argv[1], "send") == 0) {
        int timing = 0, aligned = 0;
        double rate = 0;
        enum api api = API_RECORDS;
        const char *api_name = "records";
        for (int i = 6; i < argc; i++) {
            if (strcmp(argv[i], "timing") == 0)
                timing = 1;
            else if (strcmp(argv[i], "aligned") == 0)
                aligned = 1;
            else if (strncmp(argv[i], "journal=", 8) == 0)
                journal_dir = argv[i] + 8;
            else if (strncmp(argv[i], "journal_sync_ms=", 16) == 0)
                journal_sync_ms = argv[i] + 16;
            else if (strncmp(argv[i], "rate=", 5) == 0)
                rate = atof(argv[i] + 5);
            else if (strncmp(argv[i], "per_send=", 9) == 0) {
                per_send = (size_t)strtoull(argv[i] + 9, NULL, 10);
                if (per_send < 1 || per_send > MAX_PER_SEND) {
                    fprintf(stderr, "per_send must be 1..%d\n", MAX_PER_SEND);
                    return 2;
                }
            }
            else if (strncmp(argv[i], "api=", 4) == 0) {
                api_name = argv[i] + 4;
                if (strcmp(api_name, "records") == 0)
                    api = API_RECORDS;
                else if (strcmp(api_name, "packed") == 0)
                    api = API_PACKED;
                else if (strcmp(api_name, "items") == 0)
                    api = API_ITEMS;
                else if (strcmp(api_name, "prebuilt") == 0)
                    api = API_PREBUILT;
                else {
                    fprintf(stderr, "unknown api %s (records, packed, items, prebuilt)\n", api_name);
                    return 2;
                }
            } else {
                fprintf(stderr, "unknown argument %s\n", argv[i]);
                return 2;
            }
        }
        if (per_send > 1 && (api != API_RECORDS || timing)) {
            fprintf(stderr, "per_send=N is for api=records without timing\n");
            return 2;
        }
        return run_send(argv[2], argv[3], atoi(argv[4]), (size_t)strtoull(argv[5], NULL, 10), timing, rate,
                        aligned, api, api_name);
    }
    if (argc == 6 && strcmp(argv[1], "rss-labels") == 0)
        return run_rss_labels(argv[2], (size_t)strtoull(argv[3], NULL, 10), (size_t)strtoull(argv[4], NULL, 10),
                              atoi(argv[5]));
    if (argc >= 5 && argc <= 7 && strcmp(argv[1], "rss") == 0)
        return run_rss(argv[2], (size_t)strtoull(argv[3], NULL, 10), (size_t)strtoull(argv[4], NULL, 10),
                       argc >= 6 ? atof(argv[5]) : 0, argc == 7 && strcmp(argv[6], "tiny") == 0);
    fprintf(stderr,
            "usage: lts_bench send ENDPOINT wide|small THREADS LOGS [api=records|packed|items|prebuilt] [timing]\n"
            "                  [rate=LOGS_PER_S] [aligned] [per_send=N]\n"
            "       lts_bench rss ENDPOINT CAP_MIB OFFER_MIB [SECONDS] [tiny]\n"
            "       lts_bench rss-labels ENDPOINT CAP_MIB OFFER_MIB THREADS\n");
    return 2;
}
