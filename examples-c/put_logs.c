/*
 * The seed SDK page's synchronous example, in C: build ten logs, send them with put_logs
 * a number of times, print each answer.
 *
 * Configuration comes from the environment, with defaults that reach a local lts-local:
 *   LTS_ENDPOINT (http://127.0.0.1:9480), LTS_ACCESS_KEY (lts-local-ak),
 *   LTS_SECRET_KEY (lts-local-sk), LTS_PROJECT (demo-project), LTS_UNIT (demo-unit),
 *   LTS_SEND_TIMES (100).
 */
#include <stdio.h>
#include <stdlib.h>

#include "lts.h"

static const char *env_or(const char *name, const char *fallback) {
    const char *v = getenv(name);
    return (v && *v) ? v : fallback;
}

/* Prints what failed and why; returns the code so callers can propagate it. */
static lts_result report(const char *what, lts_result r) {
    if (r != LTS_OK) {
        fprintf(stderr, "%s failed: %s: %s\n", what, lts_result_name(r), lts_last_error_message());
    }
    return r;
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
    lts_client_config *client_config = NULL;
    lts_client *log_client = NULL;
    int exit_code = 1;

    /* One item, sent ten times per request, as the seed example does. */
    if (report("lts_log_item_new", lts_log_item_new(&log_item)) != LTS_OK) goto done;
    if (report("set_timestamp", lts_log_item_set_timestamp_ns(log_item, lts_now_ns())) != LTS_OK) goto done;
    if (report("set_origin_msg", lts_log_item_set_origin_msg(log_item, "C sdk test oriMessage")) != LTS_OK) goto done;
    if (report("push level", lts_log_item_push_content_str(log_item, "level", "info")) != LTS_OK) goto done;
    if (report("push area", lts_log_item_push_content_f64(log_item, "area", 3.1415926)) != LTS_OK) goto done;
    if (report("push user_tag", lts_log_item_push_label_str(log_item, "user_tag", "string")) != LTS_OK) goto done;

    /* The page's other example uses the key "area:", which the key rules forbid. */
    if (lts_log_item_push_content_f64(log_item, "area:", 3.1415926) == LTS_ERR_INVALID_KEY) {
        printf("refused as documented: %s\n", lts_last_error_message());
    }

    const lts_log_item *log_items[LOG_NUM];
    for (int i = 0; i < LOG_NUM; i++) log_items[i] = log_item;

    if (report("lts_client_config_new",
               lts_client_config_new(endpoint, access_key, secret_key, log_project, &client_config)) != LTS_OK)
        goto done;
    if (report("lts_client_new", lts_client_new(client_config, &log_client)) != LTS_OK) goto done;
    /* The client copied the config. */
    lts_client_config_free(client_config);
    client_config = NULL;

    int failures = 0;
    for (int i = 0; i < send_times; i++) {
        lts_response *log_response = NULL;
        lts_result r = lts_put_logs(log_client, log_project, log_unit, log_items, LOG_NUM, &log_response);
        if (log_response) {
            /* The seed SDK's log_print_body(). */
            printf("{\"statusCode\":%d,\"message\":\"%s\",\"error\":\"%s\"}\n",
                   lts_response_status_code(log_response), lts_response_message(log_response),
                   lts_response_error(log_response));
        }
        if (r != LTS_OK) {
            report("lts_put_logs", r);
            failures++;
        }
        lts_response_free(log_response);
    }
    printf("sent %d requests of %d logs, %d failed\n", send_times, LOG_NUM, failures);
    exit_code = failures == 0 ? 0 : 1;

done:
    lts_client_free(log_client);
    lts_client_config_free(client_config);
    lts_log_item_free(log_item);
    return exit_code;
}
