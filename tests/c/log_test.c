/*
 * What the library tells its operator, from C: the log hook gets a producer's first failure
 * within a second, in poll mode on the polling thread; stderr is the default and
 * LTS_LOG_OFF silences everything; no line carries the secret; the stats as JSON, and
 * periodically through the stats callback. Run by tests/c_api.rs with LTS_ENDPOINT
 * (lts-local) and LTS_DEAD_ENDPOINT (a closed port). Prints "N passed, N failed".
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lts.h"
#include "check.h"

#define SECRET "SECRET-MARKER-c0ffee"

static const char *endpoint, *dead;

/* The hook's lines, guarded: the hook runs on library threads. */
enum { MAX_LINES = 64 };
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static char lines[MAX_LINES][1024];
static int levels[MAX_LINES];
static pthread_t threads[MAX_LINES];
static int line_count, secret_seen;

static void hook(void *user_data, int32_t level, const char *message) {
    pthread_mutex_lock(&mu);
    if (strstr(message, SECRET) != NULL) secret_seen++;
    if (user_data == (void *)&mu && line_count < MAX_LINES) {
        snprintf(lines[line_count], sizeof lines[0], "%s", message);
        levels[line_count] = level;
        threads[line_count] = pthread_self();
        line_count++;
    }
    pthread_cond_broadcast(&changed);
    pthread_mutex_unlock(&mu);
}

static void reset_lines(void) {
    pthread_mutex_lock(&mu);
    line_count = 0;
    pthread_mutex_unlock(&mu);
}

/* The index of the first line containing `needle` that arrives within `ms`, or -1. */
static int wait_line(const char *needle, long ms) {
    struct timespec end;
    clock_gettime(CLOCK_REALTIME, &end);
    end.tv_sec += ms / 1000;
    end.tv_nsec += (ms % 1000) * 1000000L;
    if (end.tv_nsec >= 1000000000L) { end.tv_sec++; end.tv_nsec -= 1000000000L; }
    pthread_mutex_lock(&mu);
    int found = -1;
    for (;;) {
        for (int i = 0; i < line_count && found < 0; i++)
            if (strstr(lines[i], needle) != NULL) found = i;
        if (found >= 0) break;
        if (pthread_cond_timedwait(&changed, &mu, &end) == ETIMEDOUT) break;
    }
    pthread_mutex_unlock(&mu);
    return found;
}

static lts_producer *producer_at(const char *url, uint32_t mode) {
    lts_producer_config *pc = NULL;
    lts_client_config *cc = NULL;
    lts_producer *p = NULL;
    CHECK(lts_producer_config_new(&pc) == LTS_OK);
    CHECK(lts_producer_config_set(pc, "linger_ms", "100") == LTS_OK);
    CHECK(lts_producer_config_set(pc, "worker_count", "1") == LTS_OK);
    CHECK(lts_producer_config_set_callback_mode(pc, mode) == LTS_OK);
    CHECK(lts_producer_new(pc, &p) == LTS_OK);
    CHECK(lts_client_config_new(url, "lts-local-ak", SECRET, "proj", &cc) == LTS_OK);
    CHECK(lts_client_config_set(cc, "backoff_base_ms", "20") == LTS_OK);
    CHECK(lts_client_config_set(cc, "backoff_cap_ms", "50") == LTS_OK);
    CHECK(lts_producer_add_client(p, cc) == LTS_OK);
    lts_client_config_free(cc);
    lts_producer_config_free(pc);
    CHECK(lts_producer_start(p) == LTS_OK);
    return p;
}

static void send_one(lts_producer *p) {
    lts_field f = {"k", 1, LTS_FIELD_STR, "v", 1, 0, 0.0};
    lts_record r = {lts_now_ns(), "a log", 5, &f, 1, NULL, 0};
    CHECK(lts_producer_send_records(p, "proj", "unit-a", &r, 1, NULL, NULL) == LTS_OK);
}

static void check_balanced(const lts_producer *p) {
    lts_producer_stats s;
    memset(&s, 0, sizeof s);
    s.struct_size = sizeof s;
    CHECK(lts_producer_get_stats(p, &s) == LTS_OK);
    CHECK(s.logs_accepted == s.logs_sent + s.logs_failed);
    CHECK(s.buffered_bytes == 0);
}

static void test_hook_gets_the_first_failure_within_a_second(void) {
    reset_lines();
    lts_set_log_callback(hook, &mu);
    lts_producer *p = producer_at(dead, LTS_CALLBACK_THREAD);
    send_one(p);
    /* A second natively; valgrind runs everything tens of times slower. */
    int i = wait_line("attempt 1 failed", getenv("LTS_TEST_UNDER_VALGRIND") ? 30000 : 1000);
    CHECK(i >= 0);
    if (i >= 0) {
        CHECK(levels[i] == LTS_LOG_WARN);
        CHECK(strstr(lines[i], dead + strlen("http://")) != NULL); /* names the endpoint */
        CHECK(strstr(lines[i], "next attempt in") != NULL);
    }
    char *json = lts_producer_stats_json(p);
    CHECK(json != NULL && strstr(json, "\"token_failures\":") != NULL);
    CHECK(json != NULL && strstr(json, SECRET) == NULL);
    lts_string_free(json);
    CHECK_ERR(lts_producer_close(p, 0), LTS_ERR_TIMEOUT, "ran out of time");
    CHECK(wait_line("close ran out of time: 1 logs", 0) >= 0);
    check_balanced(p);
    lts_producer_free(p);
}

static void test_poll_mode_runs_lines_in_poll(void) {
    reset_lines();
    lts_producer *p = producer_at(dead, LTS_CALLBACK_POLL);
    send_one(p);
    size_t served = 99;
    int i = -1;
    for (int tries = 0; tries < 50 && i < 0; tries++) {
        CHECK(lts_producer_poll(p, 10, 100, &served) == LTS_OK);
        CHECK(served == 0);
        i = wait_line("attempt 1 failed", 0);
    }
    CHECK(i >= 0);
    if (i >= 0) CHECK(pthread_equal(threads[i], pthread_self()));
    CHECK_ERR(lts_producer_close(p, 0), LTS_ERR_TIMEOUT, "ran out of time");
    check_balanced(p);
    lts_producer_free(p);
}

/* Runs a failing producer in a child with stderr on a pipe; returns what it wrote. */
static void child_stderr(int32_t level, char *out, size_t cap) {
    int fds[2];
    out[0] = 0;
    if (pipe(fds) != 0) { CHECK(!"pipe"); return; }
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        lts_set_log_callback(NULL, NULL);
        lts_set_log_level(level);
        lts_producer *p = producer_at(dead, LTS_CALLBACK_THREAD);
        send_one(p);
        /* Until two token calls failed: the first's line has run by then (or was dropped). */
        for (int tries = 0; tries < 500; tries++) {
            char *json = lts_producer_stats_json(p);
            int done = json && strstr(json, "\"token_failures\":0") == NULL &&
                       strstr(json, "\"token_failures\":1,") == NULL;
            lts_string_free(json);
            if (done) break;
            struct timespec ten_ms = {0, 10000000L};
            nanosleep(&ten_ms, NULL);
        }
        lts_producer_close(p, 0);
        lts_producer_free(p);
        _exit(0);
    }
    close(fds[1]);
    size_t n = 0;
    ssize_t got;
    while ((got = read(fds[0], out + n, cap - 1 - n)) > 0) n += (size_t)got;
    out[n] = 0;
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

static void test_stderr_by_default_and_silence_at_off(void) {
    static char err[16384];
    child_stderr(LTS_LOG_WARN, err, sizeof err);
    CHECK(strstr(err, "liblts warn: ") != NULL);
    CHECK(strstr(err, "attempt 1 failed") != NULL);
    CHECK(strstr(err, "liblts error: close ran out of time") != NULL);
    CHECK(strstr(err, SECRET) == NULL);
    child_stderr(LTS_LOG_OFF, err, sizeof err);
    CHECK(err[0] == 0);
    if (err[0]) fprintf(stderr, "written at LTS_LOG_OFF: %s\n", err);
}

static int stats_calls;
static char last_stats[4096];
static void on_stats(void *user_data, const char *json) {
    (void)user_data;
    stats_calls++;
    snprintf(last_stats, sizeof last_stats, "%s", json);
}

static void test_stats_callback_in_poll_mode(void) {
    lts_producer_config *pc = NULL;
    lts_client_config *cc = NULL;
    lts_producer *p = NULL;
    CHECK(lts_producer_config_new(&pc) == LTS_OK);
    CHECK(lts_producer_config_set(pc, "callback_mode", "poll") == LTS_OK);
    CHECK(lts_producer_config_set(pc, "stats_interval_ms", "100") == LTS_OK);
    CHECK_ERR(lts_producer_config_set(pc, "stats_interval_ms", "5"), LTS_ERR_INVALID_ARGUMENT, ">= 100");
    CHECK(lts_producer_config_set_stats_callback(pc, on_stats, NULL) == LTS_OK);
    CHECK(lts_producer_new(pc, &p) == LTS_OK);
    CHECK(lts_client_config_new(endpoint, "lts-local-ak", "lts-local-sk", "proj", &cc) == LTS_OK);
    CHECK(lts_producer_add_client(p, cc) == LTS_OK);
    CHECK(lts_producer_start(p) == LTS_OK);
    send_one(p);
    size_t served = 0;
    /* Until a report has seen the log delivered (the poll runs the stats callback). */
    for (int tries = 0; tries < 300 && (stats_calls < 2 || !strstr(last_stats, "\"logs_sent\":1,")); tries++) {
        CHECK(lts_producer_poll(p, 10, 100, &served) == LTS_OK);
        CHECK(served == 0); /* the send had no callback: only stats ran */
    }
    CHECK(stats_calls >= 2);
    CHECK(strstr(last_stats, "\"logs_sent\":1,") != NULL);
    CHECK(strstr(last_stats, "\"units\":[{\"project\":\"proj\",\"unit\":\"unit-a\"") != NULL);
    CHECK(lts_producer_close(p, 5000) == LTS_OK);
    int after_close = stats_calls;
    CHECK(lts_producer_poll(p, 10, 0, &served) != LTS_OK || served == 0);
    CHECK(stats_calls == after_close);
    check_balanced(p);
    CHECK(lts_producer_stats_json(NULL) == NULL);
    CHECK(strstr(lts_last_error_message(), "NULL") != NULL);
    lts_producer_free(p);
    lts_client_config_free(cc);
    lts_producer_config_free(pc);
}

int main(void) {
    endpoint = getenv("LTS_ENDPOINT");
    dead = getenv("LTS_DEAD_ENDPOINT");
    if (!endpoint || !dead) {
        fprintf(stderr, "set LTS_ENDPOINT and LTS_DEAD_ENDPOINT\n");
        return 2;
    }
    test_stderr_by_default_and_silence_at_off();
    test_hook_gets_the_first_failure_within_a_second();
    test_poll_mode_runs_lines_in_poll();
    lts_set_log_level(LTS_LOG_DEBUG);
    test_stats_callback_in_poll_mode();
    lts_set_log_callback(NULL, NULL);
    lts_set_log_level(LTS_LOG_WARN);
    CHECK(secret_seen == 0);
    return check_summary();
}
