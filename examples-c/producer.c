/*
 * The seed SDK page's asynchronous example, in C: a producer with default settings, one
 * client for the project, sends with a callback that prints each result, then safe_close.
 *
 * Environment (defaults reach a local lts-local): LTS_ENDPOINT (http://127.0.0.1:9480),
 * LTS_ACCESS_KEY (lts-local-ak), LTS_SECRET_KEY (lts-local-sk), LTS_PROJECT (demo-project),
 * LTS_UNIT (demo-unit), LTS_SEND_TIMES (100; the page sends 100 times twice, with sleeps).
 */
#include <stdio.h>
#include <stdlib.h>

#include "lts.h"

static const char *env_or(const char *name, const char *fallback) {
    const char *v = getenv(name);
    return (v && *v) ? v : fallback;
}

static lts_result report(const char *what, lts_result r) {
    if (r != LTS_OK) fprintf(stderr, "%s failed: %s: %s\n", what, lts_result_name(r), lts_last_error_message());
    return r;
}

/* Callbacks of one producer run one at a time on its callback thread, so plain counters are
 * safe; main reads them after safe_close has joined that thread. */
struct totals {
    int callbacks;
    int failed;
    size_t logs;
};

/* The seed SDK's io_work.callback: print the response and the send count. */
static void on_result(void *user_data, const lts_send_result *result) {
    struct totals *t = user_data;
    t->callbacks++;
    t->logs += lts_send_result_log_count(result);
    if (lts_send_result_ok(result)) {
        printf("response: {\"statusCode\":%d,\"message\":\"%s\",\"error\":\"%s\"}, send count : %zu\n",
               lts_send_result_status_code(result), lts_send_result_message(result),
               lts_send_result_error(result), lts_send_result_log_count(result));
    } else {
        t->failed++;
        printf("failed: %s %s: %s, send count : %zu\n", lts_result_name(lts_send_result_code(result)),
               lts_send_result_error(result), lts_send_result_message(result), lts_send_result_log_count(result));
    }
}

int main(void) {
    const char *endpoint = env_or("LTS_ENDPOINT", "http://127.0.0.1:9480");
    const char *access_key = env_or("LTS_ACCESS_KEY", "lts-local-ak");
    const char *secret_key = env_or("LTS_SECRET_KEY", "lts-local-sk");
    const char *log_project = env_or("LTS_PROJECT", "demo-project");
    const char *log_unit = env_or("LTS_UNIT", "demo-unit");
    int send_times = atoi(env_or("LTS_SEND_TIMES", "100"));

    enum { LOG_NUM = 10 };
    lts_log_item *log_item = NULL;
    lts_producer_config *producer_config = NULL;
    lts_client_config *client_config = NULL;
    lts_producer *producer = NULL;
    struct totals totals = {0, 0, 0};
    int exit_code = 1;

    if (report("lts_log_item_new", lts_log_item_new(&log_item)) != LTS_OK) goto done;
    if (report("set_timestamp", lts_log_item_set_timestamp_ns(log_item, lts_now_ns())) != LTS_OK) goto done;
    if (report("set_origin_msg", lts_log_item_set_origin_msg(log_item, "C sdk test oriMessage")) != LTS_OK) goto done;
    if (report("push level", lts_log_item_push_content_str(log_item, "level", "info")) != LTS_OK) goto done;
    if (report("push area", lts_log_item_push_content_f64(log_item, "area", 3.1415926)) != LTS_OK) goto done;
    if (report("push user_tag", lts_log_item_push_label_str(log_item, "user_tag", "string")) != LTS_OK) goto done;
    const lts_log_item *log_items[LOG_NUM];
    for (int i = 0; i < LOG_NUM; i++) log_items[i] = log_item;

    if (report("lts_producer_config_new", lts_producer_config_new(&producer_config)) != LTS_OK) goto done;
    if (report("lts_producer_new", lts_producer_new(producer_config, &producer)) != LTS_OK) goto done;
    if (report("lts_client_config_new",
               lts_client_config_new(endpoint, access_key, secret_key, log_project, &client_config)) != LTS_OK)
        goto done;
    if (report("build_clients", lts_producer_add_client(producer, client_config)) != LTS_OK) goto done;
    if (report("start", lts_producer_start(producer)) != LTS_OK) goto done;

    int refused = 0;
    for (int i = 0; i < send_times; i++) {
        if (report("send", lts_producer_send(producer, log_project, log_unit, log_items, LOG_NUM, on_result,
                                             &totals)) != LTS_OK)
            refused++;
    }
    /* Close the producer: everything buffered is sent and every callback has run. */
    if (report("safe_close", lts_producer_safe_close(producer)) != LTS_OK) goto done;

    lts_producer_stats stats;
    stats.struct_size = sizeof stats;
    if (report("get_stats", lts_producer_get_stats(producer, &stats)) != LTS_OK) goto done;
    printf("sends: %d accepted, %d refused; callbacks: %d (%d failed) for %zu logs; sent %llu logs\n",
           send_times - refused, refused, totals.callbacks, totals.failed, totals.logs,
           (unsigned long long)stats.logs_sent);
    exit_code = (refused == 0 && totals.failed == 0 && totals.callbacks == send_times) ? 0 : 1;

done:
    lts_producer_free(producer);
    lts_client_config_free(client_config);
    lts_producer_config_free(producer_config);
    lts_log_item_free(log_item);
    return exit_code;
}
