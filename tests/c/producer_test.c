/*
 * The producer's C contract from C, with several sending threads: one callback per accepted
 * send, results readable during the callback, stats, poll mode, reentrancy refusals, NULLs.
 * Run by tests/c_api.rs with LTS_ENDPOINT (lts-local, default key pair). Prints
 * "N passed, N failed".
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lts.h"
#include "check.h"

static const char *endpoint;

enum { THREADS = 4, CALLS = 150 };

/* Callbacks run one at a time (thread mode), so these need no lock; main reads them after
 * safe_close joined the callback thread. */
static int hits[THREADS * CALLS];
static size_t counted[THREADS * CALLS];
static int not_ok;

static void on_result(void *user_data, const lts_send_result *r) {
    int call = (int)(size_t)user_data;
    hits[call]++;
    counted[call] = lts_send_result_log_count(r);
    if (!lts_send_result_ok(r) || lts_send_result_status_code(r) != 0 ||
        strcmp(lts_send_result_message(r), "SUCCESS") != 0 || lts_send_result_attempts(r) < 1)
        not_ok++;
}

static lts_log_item *make_item(int call, int i) {
    lts_log_item *item = NULL;
    char msg[64];
    snprintf(msg, sizeof msg, "call %d log %d", call, i);
    if (lts_log_item_new(&item) != LTS_OK) return NULL;
    lts_log_item_set_timestamp_ns(item, lts_now_ns());
    lts_log_item_set_origin_msg(item, msg);
    lts_log_item_push_content_i64(item, "call", call);
    lts_log_item_push_label_str(item, "user_tag", "string");
    return item;
}

static lts_producer *make_producer(uint32_t mode) {
    lts_producer_config *pc = NULL;
    lts_client_config *cc = NULL;
    lts_producer *p = NULL;
    CHECK(lts_producer_config_new(&pc) == LTS_OK);
    CHECK(lts_producer_config_set_linger_ms(pc, 100) == LTS_OK);
    CHECK(lts_producer_config_set_worker_count(pc, 3) == LTS_OK);
    CHECK(lts_producer_config_set_batch_count(pc, 64) == LTS_OK);
    CHECK(lts_producer_config_set_callback_mode(pc, mode) == LTS_OK);
    CHECK(lts_producer_new(pc, &p) == LTS_OK);
    CHECK(lts_client_config_new(endpoint, "lts-local-ak", "lts-local-sk", "proj", &cc) == LTS_OK);
    CHECK(lts_producer_add_client(p, cc) == LTS_OK);
    CHECK(lts_producer_add_client(p, cc) == LTS_ERR_INVALID_ARGUMENT); /* same project twice */
    lts_client_config_free(cc);
    lts_producer_config_free(pc);
    return p;
}

struct sender {
    lts_producer *p;
    int thread;
    int refused;
};

static void *sender_main(void *arg) {
    struct sender *s = arg;
    for (int c = 0; c < CALLS; c++) {
        int call = s->thread * CALLS + c;
        int n = 1 + call % 3;
        lts_log_item *items[3];
        for (int i = 0; i < n; i++) items[i] = make_item(call, i);
        if (lts_producer_send(s->p, "proj", s->thread % 2 ? "unit-b" : "unit-a",
                              (const lts_log_item *const *)items, (size_t)n, on_result,
                              (void *)(size_t)call) != LTS_OK)
            s->refused++;
        /* The send copied the items. */
        for (int i = 0; i < n; i++) lts_log_item_free(items[i]);
    }
    return NULL;
}

static void test_threads_and_callbacks(void) {
    lts_producer *p = make_producer(LTS_CALLBACK_THREAD);
    lts_log_item *item = make_item(0, 0);
    const lts_log_item *one[1] = {item};
    CHECK(lts_producer_send(p, "proj", "unit-a", one, 1, NULL, NULL) == LTS_ERR_INVALID_STATE); /* not started */
    CHECK(lts_producer_start(p) == LTS_OK);
    CHECK(lts_producer_start(p) == LTS_ERR_INVALID_STATE);
    CHECK(lts_producer_send(p, "nope", "unit-a", one, 1, NULL, NULL) == LTS_ERR_INVALID_ARGUMENT);
    CHECK(strstr(lts_last_error_message(), "nope") != NULL);
    CHECK(lts_producer_send(p, "proj", "unit-a", one, 0, NULL, NULL) == LTS_ERR_INVALID_ARGUMENT);
    CHECK(lts_producer_send(p, NULL, "unit-a", one, 1, NULL, NULL) == LTS_ERR_INVALID_ARGUMENT);
    size_t served = 99;
    CHECK(lts_producer_poll(p, 10, 0, &served) == LTS_ERR_INVALID_STATE && served == 0);

    pthread_t t[THREADS];
    struct sender s[THREADS];
    for (int i = 0; i < THREADS; i++) {
        s[i].p = p;
        s[i].thread = i;
        s[i].refused = 0;
        CHECK(pthread_create(&t[i], NULL, sender_main, &s[i]) == 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        CHECK(s[i].refused == 0);
    }
    CHECK(lts_producer_safe_close(p) == LTS_OK);
    CHECK(lts_producer_safe_close(p) == LTS_OK); /* twice is harmless */
    CHECK(lts_producer_close(p, 0) == LTS_OK);
    CHECK(lts_producer_send(p, "proj", "unit-a", one, 1, NULL, NULL) == LTS_ERR_CLOSED);

    int once = 1;
    size_t logs = 0;
    for (int call = 0; call < THREADS * CALLS; call++) {
        if (hits[call] != 1) once = 0;
        logs += counted[call];
    }
    CHECK(once);
    CHECK(not_ok == 0);
    size_t expected = 0;
    for (int call = 0; call < THREADS * CALLS; call++) expected += 1 + call % 3;
    CHECK(logs == expected);

    lts_producer_stats st;
    memset(&st, 0xff, sizeof st);
    st.struct_size = sizeof st;
    CHECK(lts_producer_get_stats(p, &st) == LTS_OK);
    CHECK(st.logs_accepted == expected && st.logs_sent == expected && st.logs_failed == 0);
    CHECK(st.logs_refused == 3); /* "nope", count 0 ignored (0 logs), NULL project, closed */
    CHECK(st.buffered_bytes == 0 && st.inflight_batches == 0);
    CHECK(st.bytes_sent > 0 && st.bytes_sent <= st.bytes_accepted); /* batches share envelopes */
    /* A smaller struct (an older caller) gets only the fields that fit. */
    struct { uint32_t struct_size; uint64_t logs_accepted; uint64_t sentinel; } small;
    small.struct_size = 16;
    small.sentinel = 42;
    CHECK(lts_producer_get_stats(p, (lts_producer_stats *)(void *)&small) == LTS_OK);
    CHECK(small.logs_accepted == expected && small.sentinel == 42);
    st.struct_size = 4;
    CHECK(lts_producer_get_stats(p, &st) == LTS_ERR_INVALID_ARGUMENT);
    CHECK(lts_producer_get_stats(p, NULL) == LTS_ERR_INVALID_ARGUMENT);

    lts_producer_free(p);
    lts_log_item_free(item);
}

/* Poll mode: nothing runs until polled, and all runs on this thread. */
static pthread_t main_thread;
static int poll_hits, wrong_thread;
static lts_producer *reentrant_target;
static lts_result close_inside = LTS_OK;

static void on_polled(void *user_data, const lts_send_result *r) {
    (void)user_data;
    (void)r;
    poll_hits++;
    if (!pthread_equal(pthread_self(), main_thread)) wrong_thread++;
    if (reentrant_target) {
        close_inside = lts_producer_close(reentrant_target, 0);
        lts_producer_free(reentrant_target); /* refused: recorded, nothing happens */
    }
}

static void test_poll_mode_and_reentrancy(void) {
    main_thread = pthread_self();
    lts_producer *p = make_producer(LTS_CALLBACK_POLL);
    CHECK(lts_producer_start(p) == LTS_OK);
    lts_log_item *item = make_item(1, 1);
    const lts_log_item *one[1] = {item};
    for (int i = 0; i < 5; i++) CHECK(lts_producer_send(p, "proj", "unit-c", one, 1, on_polled, NULL) == LTS_OK);
    size_t total = 0, served = 0;
    for (int tries = 0; tries < 200 && total < 5; tries++) {
        CHECK(lts_producer_poll(p, 5, 100, &served) == LTS_OK);
        total += served;
    }
    CHECK(total == 5 && poll_hits == 5 && wrong_thread == 0);

    reentrant_target = p;
    CHECK(lts_producer_send(p, "proj", "unit-c", one, 1, on_polled, NULL) == LTS_OK);
    for (int tries = 0; tries < 200 && poll_hits < 6; tries++) lts_producer_poll(p, 1, 100, NULL);
    CHECK(poll_hits == 6);
    CHECK(close_inside == LTS_ERR_REENTRANT);
    reentrant_target = NULL;
    /* The producer survived the refused free. */
    CHECK(lts_producer_send(p, "proj", "unit-c", one, 1, on_polled, NULL) == LTS_OK);
    CHECK(lts_producer_safe_close(p) == LTS_OK); /* runs the last callback on this thread */
    CHECK(poll_hits == 7 && wrong_thread == 0);
    lts_producer_free(p);
    lts_log_item_free(item);
}

static void test_config_ranges(void) {
    lts_producer_config *pc = NULL;
    CHECK(lts_producer_config_new(&pc) == LTS_OK);
    CHECK(lts_producer_config_set_batch_size_bytes(pc, 5 * 1024 * 1024 + 1) == LTS_ERR_INVALID_ARGUMENT);
    CHECK(lts_producer_config_set_batch_size_bytes(pc, 0) == LTS_ERR_INVALID_ARGUMENT);
    CHECK(lts_producer_config_set_batch_count(pc, 40961) == LTS_ERR_INVALID_ARGUMENT);
    CHECK(lts_producer_config_set_linger_ms(pc, 99) == LTS_ERR_INVALID_ARGUMENT);
    CHECK(lts_producer_config_set_worker_count(pc, 0) == LTS_ERR_INVALID_ARGUMENT);
    CHECK(lts_producer_config_set_callback_mode(pc, 9) == LTS_ERR_INVALID_ARGUMENT);
    CHECK(lts_producer_config_set_buffer_bytes(pc, 1024) == LTS_OK);
    lts_producer *p = (lts_producer *)&passed;
    CHECK(lts_producer_new(pc, &p) == LTS_ERR_INVALID_ARGUMENT && p == NULL);
    CHECK(strstr(lts_last_error_message(), "buffer") != NULL);
    CHECK(lts_producer_new(NULL, &p) == LTS_ERR_INVALID_ARGUMENT);
    lts_producer_config_free(pc);
    lts_producer_free(NULL);
    lts_producer_config_free(NULL);
    CHECK(lts_send_result_ok(NULL) == false);
    CHECK(lts_send_result_code(NULL) == LTS_ERR_INVALID_ARGUMENT);
    CHECK(lts_send_result_log_count(NULL) == 0);
    CHECK(strcmp(lts_send_result_message(NULL), "") == 0);
    /* Never started: closing and freeing are harmless. */
    lts_producer_config *ok = NULL;
    CHECK(lts_producer_config_new(&ok) == LTS_OK);
    CHECK(lts_producer_new(ok, &p) == LTS_OK);
    CHECK(lts_producer_close(p, 10) == LTS_OK);
    lts_producer_free(p);
    lts_producer_config_free(ok);
}

int main(void) {
    endpoint = getenv("LTS_ENDPOINT");
    if (!endpoint) {
        fprintf(stderr, "set LTS_ENDPOINT\n");
        return 2;
    }
    test_config_ranges();
    test_threads_and_callbacks();
    test_poll_mode_and_reentrancy();
    return check_summary();
}
