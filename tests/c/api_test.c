/*
 * The C API contract, checked from C: results, last-error messages, NULL and bad UTF-8,
 * key rules, request limits, each failure class, and one client shared by threads.
 *
 * Run by tests/c_api.rs with LTS_ENDPOINT (a running lts-local that knows project "proj"
 * with unit "unit-a" and accepts the default key pair) and LTS_DEAD_ENDPOINT (nothing
 * listens there). Prints "N passed, N failed" and exits non-zero on any failure.
 */
#define _POSIX_C_SOURCE 200809L
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lts.h"
#include "check.h"

static const char *endpoint, *dead_endpoint;

static lts_log_item *make_item(int i) {
    lts_log_item *item = NULL;
    char msg[64];
    snprintf(msg, sizeof msg, "c api test %d", i);
    CHECK(lts_log_item_new(&item) == LTS_OK);
    CHECK(lts_log_item_set_timestamp_ns(item, lts_now_ns()) == LTS_OK);
    CHECK(lts_log_item_set_origin_msg(item, msg) == LTS_OK);
    CHECK(lts_log_item_push_content_str(item, "level", "info") == LTS_OK);
    CHECK(lts_log_item_push_content_i64(item, "seq", i) == LTS_OK);
    CHECK(lts_log_item_push_content_f64(item, "ratio", 0.25) == LTS_OK);
    CHECK(lts_log_item_push_label_str(item, "user_tag", "string") == LTS_OK);
    CHECK(lts_log_item_push_label_i64(item, "shard", 3) == LTS_OK);
    CHECK(lts_log_item_push_label_f64(item, "weight", 1.5) == LTS_OK);
    return item;
}

static lts_client *make_client(const char *ep, const char *sk, lts_result expect) {
    lts_client_config *cfg = NULL;
    lts_client *client = (lts_client *)&passed; /* must be overwritten with NULL on failure */
    CHECK(lts_client_config_new(ep, "lts-local-ak", sk, "proj", &cfg) == LTS_OK);
    CHECK(lts_client_config_set_retries(cfg, 1) == LTS_OK);
    CHECK(lts_client_config_set_profile(cfg, "backoff_base_ms", "1") == LTS_OK);
    CHECK(lts_client_config_set_request_timeout_ms(cfg, 5000) == LTS_OK);
    lts_result r = lts_client_new(cfg, &client);
    CHECK(r == expect);
    if (r != LTS_OK) CHECK(client == NULL);
    lts_client_config_free(cfg);
    return r == LTS_OK ? client : NULL;
}

static void test_basics(void) {
    CHECK(strcmp(lts_version(), LTS_VERSION_STRING) == 0);
    CHECK(lts_abi_version() == LTS_ABI_VERSION);
    CHECK(strcmp(lts_last_error_message(), "") == 0);
    CHECK(strcmp(lts_result_name(LTS_OK), "LTS_OK") == 0);
    CHECK(strcmp(lts_result_name(LTS_ERR_AUTH), "LTS_ERR_AUTH") == 0);
    CHECK(strcmp(lts_result_name(LTS_ERR_INTERNAL), "LTS_ERR_INTERNAL") == 0);
    CHECK(strcmp(lts_result_name(12345), "LTS_ERR_UNKNOWN") == 0);
    CHECK(lts_now_ns() > 1600000000000000000LL);
}

static void test_null_and_utf8(void) {
    lts_client_config *cfg = NULL;
    lts_log_item *item = NULL;
    lts_response *resp = NULL;
    CHECK_ERR(lts_client_config_new(NULL, "a", "b", "p", &cfg), LTS_ERR_INVALID_ARGUMENT, "endpoint");
    CHECK_ERR(lts_client_config_new("h", NULL, "b", "p", &cfg), LTS_ERR_INVALID_ARGUMENT, "access_key");
    CHECK_ERR(lts_client_config_new("h", "a", NULL, "p", &cfg), LTS_ERR_INVALID_ARGUMENT, "secret_key");
    CHECK_ERR(lts_client_config_new("h", "a", "b", NULL, &cfg), LTS_ERR_INVALID_ARGUMENT, "log_project");
    CHECK_ERR(lts_client_config_new("h", "a", "b", "p", NULL), LTS_ERR_INVALID_ARGUMENT, "out");
    CHECK_ERR(lts_client_config_new("h\xff", "a", "b", "p", &cfg), LTS_ERR_INVALID_ARGUMENT, "UTF-8");
    CHECK_ERR(lts_client_config_new("ftp://h", "a", "b", "p", &cfg), LTS_ERR_INVALID_ARGUMENT, "scheme");
    CHECK(cfg == NULL);
    CHECK_ERR(lts_client_config_set_retries(NULL, 1), LTS_ERR_INVALID_ARGUMENT, "NULL");
    CHECK_ERR(lts_client_new(NULL, NULL), LTS_ERR_INVALID_ARGUMENT, "out");
    CHECK_ERR(lts_log_item_new(NULL), LTS_ERR_INVALID_ARGUMENT, "out");
    CHECK_ERR(lts_log_item_set_origin_msg(NULL, "x"), LTS_ERR_INVALID_ARGUMENT, "item");
    CHECK(lts_log_item_new(&item) == LTS_OK);
    CHECK_ERR(lts_log_item_set_origin_msg(item, NULL), LTS_ERR_INVALID_ARGUMENT, "msg");
    CHECK_ERR(lts_log_item_push_content_str(item, NULL, "v"), LTS_ERR_INVALID_ARGUMENT, "key");
    CHECK_ERR(lts_log_item_push_content_str(item, "k", NULL), LTS_ERR_INVALID_ARGUMENT, "value");
    CHECK_ERR(lts_log_item_push_label_str(item, "k", "\xc3\x28"), LTS_ERR_INVALID_ARGUMENT, "UTF-8");
    CHECK_ERR(lts_put_logs(NULL, "p", "u", NULL, 0, &resp), LTS_ERR_INVALID_ARGUMENT, "client");
    CHECK(resp == NULL);
    CHECK(lts_response_status_code(NULL) == -1);
    CHECK(strcmp(lts_response_message(NULL), "") == 0);
    CHECK(strcmp(lts_response_error(NULL), "") == 0);
    /* A successful call leaves the last error as it was. */
    CHECK(lts_log_item_set_origin_msg(item, "ok") == LTS_OK);
    CHECK(strstr(lts_last_error_message(), "is NULL") != NULL);
    lts_log_item_free(item);
    lts_client_config_free(NULL);
    lts_client_free(NULL);
    lts_log_item_free(NULL);
    lts_response_free(NULL);
}

static void test_key_and_value_rules(void) {
    lts_log_item *item = NULL;
    CHECK(lts_log_item_new(&item) == LTS_OK);
    CHECK_ERR(lts_log_item_push_content_f64(item, "area:", 3.1415926), LTS_ERR_INVALID_KEY, "\"area:\"");
    CHECK_ERR(lts_log_item_push_content_str(item, "9lives", "v"), LTS_ERR_INVALID_KEY, "\"9lives\"");
    CHECK_ERR(lts_log_item_push_content_str(item, "has space", "v"), LTS_ERR_INVALID_KEY, "\"has space\"");
    CHECK_ERR(lts_log_item_push_label_str(item,
                                          "k1234567890123456789012345678901234567890123456789012345678901234",
                                          "v"),
              LTS_ERR_INVALID_KEY, "longer than 64");
    CHECK_ERR(lts_log_item_push_content_str(item, "", "v"), LTS_ERR_INVALID_KEY, "empty");
    CHECK_ERR(lts_log_item_push_content_str(item, "k", ""), LTS_ERR_INVALID_VALUE, "empty");
    CHECK_ERR(lts_log_item_set_origin_msg(item, ""), LTS_ERR_INVALID_VALUE, "origin message");
    CHECK_ERR(lts_log_item_set_timestamp_ns(item, -5), LTS_ERR_INVALID_VALUE, "-5");
    CHECK(lts_log_item_push_content_str(item, "a.b-c_D9", "v") == LTS_OK);
    lts_log_item_free(item);
}

static void test_config_setters(void) {
    lts_client_config *cfg = NULL;
    CHECK(lts_client_config_new("lts.example.com", "ak", "sk", "p", &cfg) == LTS_OK);
    CHECK_ERR(lts_client_config_set_compress_type(cfg, "zstd"), LTS_ERR_INVALID_ARGUMENT, "zstd");
    CHECK(lts_client_config_set_compress_type(cfg, "none") == LTS_OK);
    CHECK_ERR(lts_client_config_set_auth_mode(cfg, 7), LTS_ERR_INVALID_ARGUMENT, "auth_mode");
    CHECK(lts_client_config_set_auth_mode(cfg, LTS_AUTH_EOP) == LTS_OK);
    CHECK_ERR(lts_client_config_set_profile(cfg, "no_such_key", "x"), LTS_ERR_INVALID_ARGUMENT, "no_such_key");
    CHECK(lts_client_config_set_profile(cfg, "batch_id_header", "x-my-batch") == LTS_OK);
    CHECK_ERR(lts_client_config_set_request_timeout_ms(cfg, 0), LTS_ERR_INVALID_ARGUMENT, "timeout");
    CHECK_ERR(lts_client_config_add_no_retry_status_code(cfg, 42), LTS_ERR_INVALID_ARGUMENT, "42");
    CHECK(lts_client_config_add_no_retry_status_code(cfg, 503) == LTS_OK);
    CHECK(lts_client_config_set_user_agent(cfg, "my-app/1.0") == LTS_OK);
    lts_client_config_free(cfg);
}

/* A malformed endpoint is refused when it is given, by the constructor and by name, naming
 * what is wrong (it used to be accepted and fail every send as a network error); integers
 * have one grammar in every kind of option; a CA file is a bounded regular file. */
static void test_malformed_input(void) {
    static const struct { const char *endpoint, *why; } bad[] = {
        {"http://127.0.0.1:99999", "port \"99999\": out of range 1..=65535"},
        {"https://[zz]:5", "[zz] is not an IPv6 address"},
        {"%s%s%s%n", "contains '%'"},
        {"http://127.0.0.1:0", "out of range 1..=65535"},
        {"http://[::1", "no closing ']'"},
        {"http://::1:8080", "in brackets"},
        {"http://127.1", "not an IPv4 address"},
        {"http://h/../x", "'..'"},
        {"http://h\t", "control"},
        {"http://user:MARKER@h", "credentials"},
    };
    lts_client_config *cfg = NULL;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK_ERR(lts_client_config_new(bad[i].endpoint, "ak", "sk", "p", &cfg), LTS_ERR_INVALID_ARGUMENT,
                  bad[i].why);
        CHECK(cfg == NULL);
        CHECK(strstr(lts_last_error_message(), "MARKER") == NULL);
    }
    CHECK(lts_client_config_new("http://127.0.0.1:8080", "ak", "sk", "p", &cfg) == LTS_OK);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_ERR(lts_client_config_set(cfg, "endpoint", bad[i].endpoint), LTS_ERR_INVALID_ARGUMENT, bad[i].why);
    char *v = lts_client_config_get(cfg, "endpoint");
    CHECK(v != NULL && strcmp(v, "http://127.0.0.1:8080") == 0); /* refusals changed nothing */
    lts_string_free(v);
    CHECK(lts_client_config_set(cfg, "endpoint", "HTTPS://M\xc3\xbcnchen.example:443/pre/") == LTS_OK);
    v = lts_client_config_get(cfg, "endpoint");
    CHECK(v != NULL && strcmp(v, "https://xn--mnchen-3ya.example:443/pre") == 0);
    lts_string_free(v);

    /* One integer grammar: typed-option keys, profile keys and lists alike. */
    static const char *not_integers[] = {" 5", "5 ", "+5", "-0", "05", "0x10", "", "\xef\xbc\x91"};
    lts_producer_config *pc = NULL;
    CHECK(lts_producer_config_new(&pc) == LTS_OK);
    for (size_t i = 0; i < sizeof not_integers / sizeof not_integers[0]; i++) {
        const char *n = not_integers[i];
        CHECK_ERR(lts_client_config_set(cfg, "retries", n), LTS_ERR_INVALID_ARGUMENT, "retries");
        CHECK_ERR(lts_client_config_set_profile(cfg, "backoff_base_ms", n), LTS_ERR_INVALID_ARGUMENT,
                  "backoff_base_ms");
        if (*n) /* "" is the empty list */
            CHECK_ERR(lts_client_config_set(cfg, "no_retry_status_code", n), LTS_ERR_INVALID_ARGUMENT,
                      "no_retry_status_code");
        CHECK_ERR(lts_producer_config_set(pc, "max_block_ms", n), LTS_ERR_INVALID_ARGUMENT, "max_block_ms");
    }
    CHECK_ERR(lts_producer_config_set(pc, "max_block_ms", "4294967296"), LTS_ERR_INVALID_ARGUMENT,
              "out of range 0..=4294967295");
    CHECK(lts_producer_config_set(pc, "max_block_ms", "4294967295") == LTS_OK);
    lts_producer_config_free(pc);

    /* A CA file is refused before it is read if it is not a regular file of at most 16 MiB. */
    CHECK_ERR(lts_client_config_set_ca_file(cfg, "/dev/zero"), LTS_ERR_INVALID_ARGUMENT, "character device");
    CHECK_ERR(lts_client_config_set(cfg, "ca_file", "/dev/zero"), LTS_ERR_INVALID_ARGUMENT, "/dev/zero");
    lts_client_config_free(cfg);
}

/* Options by name: the same checks as the typed setters, read back as set, and every key
 * of the schema settable to its own default. */
static void test_options_by_name(void) {
    lts_client_config *cfg = NULL;
    lts_producer_config *pc = NULL;
    CHECK(lts_client_config_new("http://127.0.0.1:1", "ak", "sk", "p", &cfg) == LTS_OK);
    CHECK(lts_producer_config_new(&pc) == LTS_OK);

    CHECK(lts_producer_config_set(pc, "linger_ms", "150") == LTS_OK);
    char *v = lts_producer_config_get(pc, "linger_ms");
    CHECK(v != NULL && strcmp(v, "150") == 0);
    lts_string_free(v);
    CHECK_ERR(lts_producer_config_set(pc, "linger_ms", "50"), LTS_ERR_INVALID_ARGUMENT, ">= 100");
    CHECK_ERR(lts_producer_config_set(pc, "linger_ms", "soon"), LTS_ERR_INVALID_ARGUMENT, "\"soon\"");
    CHECK_ERR(lts_producer_config_set(pc, "lingerms", "150"), LTS_ERR_INVALID_ARGUMENT, "lingerms");
    CHECK_ERR(lts_producer_config_set_linger_ms(pc, 5), LTS_ERR_INVALID_ARGUMENT, "linger_ms");
    v = lts_producer_config_get(pc, "linger_ms");
    CHECK(v != NULL && strcmp(v, "150") == 0); /* refusals changed nothing */
    lts_string_free(v);
    CHECK(lts_producer_config_set(pc, "callback_mode", "poll") == LTS_OK);
    v = lts_producer_config_get(pc, "callback_mode");
    CHECK(v != NULL && strcmp(v, "poll") == 0);
    lts_string_free(v);
    CHECK(lts_producer_config_get(pc, "nope") == NULL);
    CHECK(strstr(lts_last_error_message(), "nope") != NULL);
    CHECK_ERR(lts_producer_config_set(NULL, "linger_ms", "150"), LTS_ERR_INVALID_ARGUMENT, "NULL");
    CHECK_ERR(lts_producer_config_set(pc, NULL, "150"), LTS_ERR_INVALID_ARGUMENT, "key");
    CHECK_ERR(lts_producer_config_set(pc, "linger_ms", "\xff"), LTS_ERR_INVALID_ARGUMENT, "UTF-8");
    CHECK(lts_producer_config_get(NULL, "linger_ms") == NULL);

    CHECK(lts_client_config_set(cfg, "retries", "7") == LTS_OK);
    v = lts_client_config_get(cfg, "retries");
    CHECK(v != NULL && strcmp(v, "7") == 0);
    lts_string_free(v);
    CHECK_ERR(lts_client_config_set(cfg, "secret_key", ""), LTS_ERR_INVALID_ARGUMENT, "secret_key");
    CHECK(lts_client_config_set(cfg, "secret_key", "MARKER-s3cr3t") == LTS_OK);
    CHECK(lts_client_config_get(cfg, "secret_key") == NULL);
    CHECK(strstr(lts_last_error_message(), "MARKER") == NULL);
    CHECK_ERR(lts_client_config_set(cfg, "allow_plain_http", "maybe"), LTS_ERR_INVALID_ARGUMENT, "true or false");
    lts_string_free(NULL);

    /* The schema names every key; each (but the write-only secret) reads back and takes
     * back what it reads. */
    const char *schema = lts_config_schema();
    CHECK(schema != NULL && strstr(schema, "\"delivery_timeout_ms\"") != NULL);
    CHECK(schema == lts_config_schema());
    const char *keys[] = {"endpoint", "access_key", "log_project", "request_timeout_ms",
                          "compress_type", "user_agent", "retries", "no_retry_status_code",
                          "auth_mode", "allow_plain_http", "put_path", "backoff_cap_ms"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char needle[64];
        snprintf(needle, sizeof needle, "\"%s\"", keys[i]);
        CHECK(strstr(schema, needle) != NULL);
        v = lts_client_config_get(cfg, keys[i]);
        CHECK(v != NULL);
        if (v) CHECK(lts_client_config_set(cfg, keys[i], v) == LTS_OK);
        lts_string_free(v);
    }
    lts_producer_config_free(pc);
    lts_client_config_free(cfg);
}

static void test_put_logs(void) {
    lts_client *client = make_client(endpoint, "lts-local-sk", LTS_OK);
    if (!client) return;
    lts_log_item *items[3];
    for (int i = 0; i < 3; i++) items[i] = make_item(i);
    const lts_log_item *const *list = (const lts_log_item *const *)items;
    lts_response *resp = (lts_response *)&passed;

    CHECK(lts_put_logs(client, "proj", "unit-a", list, 3, &resp) == LTS_OK);
    CHECK(resp != NULL);
    CHECK(lts_response_status_code(resp) == 0);
    CHECK(strcmp(lts_response_message(resp), "SUCCESS") == 0);
    CHECK(strcmp(lts_response_error(resp), "") == 0);
    lts_response_free(resp);

    /* The service's own error: the answer comes back with LTS_ERR_SERVER. */
    resp = NULL;
    CHECK_ERR(lts_put_logs(client, "proj", "no-such-unit", list, 3, &resp), LTS_ERR_SERVER, "LTS_8011");
    CHECK(resp != NULL);
    CHECK(lts_response_status_code(resp) == -1);
    CHECK(strcmp(lts_response_error(resp), "LTS_8011") == 0);
    lts_response_free(resp);

    /* Refused before sending. */
    CHECK_ERR(lts_put_logs(client, "proj", "unit-a", list, 0, &resp), LTS_ERR_INVALID_ARGUMENT, "count is 0");
    CHECK_ERR(lts_put_logs(client, "proj", "unit-a", NULL, 3, &resp), LTS_ERR_INVALID_ARGUMENT, "items");
    const lts_log_item *with_null[2] = {items[0], NULL};
    CHECK_ERR(lts_put_logs(client, "proj", "unit-a", with_null, 2, &resp), LTS_ERR_INVALID_ARGUMENT, "items[1]");
    lts_log_item *bare = NULL;
    CHECK(lts_log_item_new(&bare) == LTS_OK);
    const lts_log_item *incomplete[1] = {bare};
    CHECK_ERR(lts_put_logs(client, "proj", "unit-a", incomplete, 1, &resp), LTS_ERR_INVALID_VALUE, "timestamp");
    lts_log_item_free(bare);

    size_t many = 40961;
    const lts_log_item **lots = malloc(many * sizeof *lots);
    for (size_t i = 0; i < many; i++) lots[i] = items[0];
    CHECK_ERR(lts_put_logs(client, "proj", "unit-a", lots, many, &resp), LTS_ERR_TOO_LARGE, "40960");
    free(lots);

    lts_log_item *big = NULL;
    size_t big_len = 5 * 1024 * 1024 + 10;
    char *text = malloc(big_len + 1);
    memset(text, 'x', big_len);
    text[big_len] = 0;
    CHECK(lts_log_item_new(&big) == LTS_OK);
    CHECK(lts_log_item_set_timestamp_ns(big, 1) == LTS_OK);
    CHECK(lts_log_item_set_origin_msg(big, text) == LTS_OK);
    free(text);
    const lts_log_item *bigs[1] = {big};
    CHECK_ERR(lts_put_logs(client, "proj", "unit-a", bigs, 1, &resp), LTS_ERR_TOO_LARGE, "raw bytes");
    CHECK(resp == NULL);
    lts_log_item_free(big);

    for (int i = 0; i < 3; i++) lts_log_item_free(items[i]);
    lts_client_free(client);
}

static void test_failures(void) {
    /* A wrong secret key: the token call is refused, without a retry loop. */
    CHECK(make_client(endpoint, "wrong-secret", LTS_ERR_AUTH) == NULL);
    CHECK(strstr(lts_last_error_message(), "wrong-secret") == NULL);
    /* Nothing listening: a network error naming the reason. */
    CHECK(make_client(dead_endpoint, "lts-local-sk", LTS_ERR_NETWORK) == NULL);
    CHECK(strstr(lts_last_error_message(), "onnect") != NULL);
}

/* A message taken after a failed put stays readable across value getters given NULL: they
 * never replace the last error (under valgrind, reading a replaced message is an invalid
 * read of freed memory). */
static void test_last_error_survives_getters(void) {
    lts_client_config *cfg = NULL;
    lts_client *client = NULL;
    CHECK(lts_client_config_new(dead_endpoint, "lts-local-ak", "lts-local-sk", "proj", &cfg) == LTS_OK);
    CHECK(lts_client_config_set_auth_mode(cfg, LTS_AUTH_EOP) == LTS_OK); /* no token call */
    CHECK(lts_client_config_set_retries(cfg, 0) == LTS_OK);
    CHECK(lts_client_new(cfg, &client) == LTS_OK);
    lts_client_config_free(cfg);
    lts_log_item *item = make_item(1);
    const lts_log_item *list[1] = {item};
    lts_response *resp = (lts_response *)&passed;
    CHECK(lts_put_logs(client, "proj", "unit-a", list, 1, &resp) == LTS_ERR_NETWORK);
    CHECK(resp == NULL);
    const char *msg = lts_last_error_message();
    char copy[512];
    snprintf(copy, sizeof copy, "%s", msg);
    CHECK(strlen(copy) > 0);
    CHECK(lts_response_status_code(resp) == -1);
    CHECK(strcmp(lts_response_error(resp), "") == 0);
    CHECK(strcmp(lts_response_message(resp), "") == 0);
    CHECK(lts_send_result_code(NULL) == LTS_ERR_INVALID_ARGUMENT);
    CHECK(!lts_send_result_ok(NULL));
    CHECK(lts_send_result_status_code(NULL) == -1);
    CHECK(strcmp(lts_send_result_message(NULL), "") == 0);
    CHECK(strcmp(lts_send_result_error(NULL), "") == 0);
    CHECK(lts_send_result_log_count(NULL) == 0 && lts_send_result_attempts(NULL) == 0);
    CHECK(strcmp(lts_result_name(LTS_ERR_NETWORK), "LTS_ERR_NETWORK") == 0);
    CHECK(strcmp(msg, copy) == 0); /* the pointer taken before the getters still reads */
    CHECK(lts_last_error_message() == msg);
    /* The message says what failed once: "no answer from URL: <reason>", not the URL twice. */
    CHECK(strstr(strstr(msg, "http://") + 1, "http://") == NULL);
    lts_log_item_free(item);
    lts_client_free(client);
}

struct worker {
    lts_client *client;
    int ok;
};

static void *worker_main(void *arg) {
    struct worker *w = arg;
    lts_log_item *item = make_item(7);
    const lts_log_item *list[1] = {item};
    for (int i = 0; i < 20; i++) {
        lts_response *resp = NULL;
        if (lts_put_logs(w->client, "proj", "unit-a", list, 1, &resp) == LTS_OK) w->ok++;
        lts_response_free(resp);
    }
    lts_log_item_free(item);
    return NULL;
}

static void test_threads(void) {
    lts_client *client = make_client(endpoint, "lts-local-sk", LTS_OK);
    if (!client) return;
    enum { N = 4 };
    pthread_t t[N];
    struct worker w[N];
    for (int i = 0; i < N; i++) {
        w[i].client = client;
        w[i].ok = 0;
        CHECK(pthread_create(&t[i], NULL, worker_main, &w[i]) == 0);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        CHECK(w[i].ok == 20);
    }
    lts_client_free(client);
}

/* Handles do not survive fork(): in the child they refuse with INVALID_STATE, and freeing
 * them there is allowed. The parent's handles keep working. */
static void test_fork(void) {
    lts_client *client = make_client(endpoint, "lts-local-sk", LTS_OK);
    lts_client_config *cfg = NULL;
    lts_log_item *item = make_item(1);
    CHECK(lts_client_config_new(endpoint, "lts-local-ak", "lts-local-sk", "proj", &cfg) == LTS_OK);
    if (!client || !cfg) return;
    pid_t pid = fork();
    if (pid == 0) {
        int bad = 0;
        const lts_log_item *list[1] = {item};
        lts_response *resp = NULL;
        if (lts_put_logs(client, "proj", "unit-a", list, 1, &resp) != LTS_ERR_INVALID_STATE) bad |= 1;
        if (strstr(lts_last_error_message(), "fork") == NULL) bad |= 2;
        if (lts_client_config_set_retries(cfg, 2) != LTS_ERR_INVALID_STATE) bad |= 4;
        if (lts_log_item_set_origin_msg(item, "child") != LTS_ERR_INVALID_STATE) bad |= 8;
        lts_client *child_client = NULL;
        if (lts_client_new(cfg, &child_client) != LTS_ERR_INVALID_STATE || child_client) bad |= 16;
        /* Objects made in the child work as usual. */
        lts_log_item *fresh = NULL;
        if (lts_log_item_new(&fresh) != LTS_OK || lts_log_item_set_origin_msg(fresh, "x") != LTS_OK) bad |= 32;
        lts_log_item_free(fresh);
        lts_client_free(client);
        lts_client_config_free(cfg);
        lts_log_item_free(item);
        _exit(bad);
    }
    CHECK(pid > 0);
    int status = -1;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) != 0) fprintf(stderr, "  child checks failed: mask %d\n", WEXITSTATUS(status));
    /* The parent is unaffected. */
    const lts_log_item *list[1] = {item};
    lts_response *resp = NULL;
    CHECK(lts_put_logs(client, "proj", "unit-a", list, 1, &resp) == LTS_OK);
    lts_response_free(resp);
    lts_client_free(client);
    lts_client_config_free(cfg);
    lts_log_item_free(item);
}

int main(void) {
    endpoint = getenv("LTS_ENDPOINT");
    dead_endpoint = getenv("LTS_DEAD_ENDPOINT");
    if (!endpoint || !dead_endpoint) {
        fprintf(stderr, "set LTS_ENDPOINT and LTS_DEAD_ENDPOINT\n");
        return 2;
    }
    test_basics();
    test_null_and_utf8();
    test_key_and_value_rules();
    test_config_setters();
    test_options_by_name();
    test_malformed_input();
    test_put_logs();
    test_failures();
    test_last_error_survives_getters();
    test_threads();
    test_fork();
    return check_summary();
}
