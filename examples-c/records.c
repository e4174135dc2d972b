/*
 * The recommended way to log from C: each log as an lts_record whose fields point at the
 * program's own strings, sent in one call. Nothing is built field by field, and the library
 * encodes straight from this memory, so the strings may be reused the moment the call returns.
 *
 * An access-log line per request, as a web server would write it, through a producer; then
 * safe_close and the producer's counters.
 *
 * Environment (defaults reach a local lts-local): LTS_ENDPOINT (http://127.0.0.1:9480),
 * LTS_ACCESS_KEY (lts-local-ak), LTS_SECRET_KEY (lts-local-sk), LTS_PROJECT (demo-project),
 * LTS_UNIT (demo-unit), LTS_SEND_TIMES (100).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lts.h"

static const char *env_or(const char *name, const char *fallback) {
    const char *v = getenv(name);
    return (v && *v) ? v : fallback;
}

static lts_result report(const char *what, lts_result r) {
    if (r != LTS_OK) fprintf(stderr, "%s failed: %s: %s\n", what, lts_result_name(r), lts_last_error_message());
    return r;
}

/* A field pointing at a string of known length (no NUL needed). */
static lts_field str_field(const char *key, const char *value, size_t len) {
    lts_field f;
    memset(&f, 0, sizeof f);
    f.key = key;
    f.key_len = strlen(key);
    f.type = LTS_FIELD_STR;
    f.str = value;
    f.str_len = len;
    return f;
}

static lts_field int_field(const char *key, int64_t value) {
    lts_field f;
    memset(&f, 0, sizeof f);
    f.key = key;
    f.key_len = strlen(key);
    f.type = LTS_FIELD_I64;
    f.i64 = value;
    return f;
}

static lts_field double_field(const char *key, double value) {
    lts_field f;
    memset(&f, 0, sizeof f);
    f.key = key;
    f.key_len = strlen(key);
    f.type = LTS_FIELD_F64;
    f.f64 = value;
    return f;
}

/* Callbacks run one at a time on the producer's callback thread. */
static void on_result(void *user_data, const lts_send_result *result) {
    int *failed = user_data;
    if (!lts_send_result_ok(result)) {
        (*failed)++;
        fprintf(stderr, "not sent: %s %s\n", lts_result_name(lts_send_result_code(result)),
                lts_send_result_message(result));
    }
}

int main(void) {
    const char *project = env_or("LTS_PROJECT", "demo-project");
    const char *unit = env_or("LTS_UNIT", "demo-unit");
    int send_times = atoi(env_or("LTS_SEND_TIMES", "100"));
    lts_producer_config *pc = NULL;
    lts_client_config *cc = NULL;
    lts_producer *producer = NULL;
    int failed = 0, status = 1;

    if (report("producer config", lts_producer_config_new(&pc)) != LTS_OK) goto done;
    if (report("producer", lts_producer_new(pc, &producer)) != LTS_OK) goto done;
    if (report("client config", lts_client_config_new(env_or("LTS_ENDPOINT", "http://127.0.0.1:9480"),
                                                      env_or("LTS_ACCESS_KEY", "lts-local-ak"),
                                                      env_or("LTS_SECRET_KEY", "lts-local-sk"), project, &cc)) !=
        LTS_OK)
        goto done;
    if (report("add client", lts_producer_add_client(producer, cc)) != LTS_OK) goto done;
    if (report("start", lts_producer_start(producer)) != LTS_OK) goto done;

    for (int i = 0; i < send_times; i++) {
        /* The program's own data for this request. */
        char path[64], line[160];
        int path_len = snprintf(path, sizeof path, "/api/v1/orders/%08d", i);
        int line_len = snprintf(line, sizeof line, "GET %s HTTP/1.1 200 1532 %.3f", path, 0.012 + i % 7 / 1000.0);

        lts_field contents[5];
        contents[0] = str_field("level", "info", 4);
        contents[1] = str_field("method", "GET", 3);
        contents[2] = str_field("path", path, (size_t)path_len);
        contents[3] = int_field("status", 200);
        contents[4] = double_field("latency_ms", 12.5 + i % 7);
        lts_field labels[1];
        labels[0] = str_field("user_tag", "string", 6);

        lts_record record;
        memset(&record, 0, sizeof record);
        record.timestamp_ns = lts_now_ns();
        record.msg = line;
        record.msg_len = (size_t)line_len;
        record.contents = contents;
        record.contents_len = 5;
        record.labels = labels;
        record.labels_len = 1;
        /* Returns at once; `path` and `line` are reused on the next turn. */
        if (report("send_records", lts_producer_send_records(producer, project, unit, &record, 1, on_result,
                                                             &failed)) != LTS_OK)
            goto done;
    }
    if (report("safe_close", lts_producer_safe_close(producer)) != LTS_OK) goto done;

    lts_producer_stats stats;
    stats.struct_size = sizeof stats;
    if (report("stats", lts_producer_get_stats(producer, &stats)) != LTS_OK) goto done;
    printf("sent %llu of %llu logs (%llu raw bytes), %d failed\n", (unsigned long long)stats.logs_sent,
           (unsigned long long)stats.logs_accepted, (unsigned long long)stats.bytes_sent, failed);
    status = failed == 0 && stats.logs_sent == (uint64_t)send_times ? 0 : 1;
done:
    lts_producer_free(producer);
    lts_client_config_free(cc);
    lts_producer_config_free(pc);
    return status;
}
