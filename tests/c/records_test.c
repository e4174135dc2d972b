/*
 * The one-call records API from C: lts_put_records and lts_producer_send_records round trips
 * (tests/c_api.rs then checks every field on the server), one callback per accepted send from
 * several threads, and bad input of every kind — NULL pointers with lengths, lengths past
 * 4 GiB, bad UTF-8, bad and repeated keys, unknown types, missing timestamps and messages —
 * each refused with its code and a message naming the record and the key, never a crash.
 *
 * Run by tests/c_api.rs with LTS_ENDPOINT (lts-local knowing project "proj", unit "unit-r").
 * Prints "N passed, N failed".
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "check.h"

static const char *endpoint;

#define S(k, v) {.key = k, .key_len = sizeof k - 1, .type = LTS_FIELD_STR, .str = v, .str_len = sizeof v - 1}
#define I(k, v) {.key = k, .key_len = sizeof k - 1, .type = LTS_FIELD_I64, .i64 = v}
#define D(k, v) {.key = k, .key_len = sizeof k - 1, .type = LTS_FIELD_F64, .f64 = v}

/* Three records: typed contents, a label, a message that is not NUL-terminated where it ends. */
static void test_put_records(lts_client *client) {
    static const char text[] = "record one|record two|record three";
    lts_field c0[3] = {S("level", "info"), I("seq", 0), D("ratio", 0.5)};
    lts_field c1[2] = {S("level", "warn"), I("seq", -1)};
    lts_field labels[1] = {S("user_tag", "string")};
    lts_record r[3] = {
        {.timestamp_ns = 1700000000000000001, .msg = text, .msg_len = 10, .contents = c0, .contents_len = 3,
         .labels = labels, .labels_len = 1},
        {.timestamp_ns = 1700000000000000002, .msg = text + 11, .msg_len = 10, .contents = c1, .contents_len = 2},
        {.timestamp_ns = 1700000000000000003, .msg = text + 22, .msg_len = 12},
    };
    lts_response *resp = (lts_response *)&passed;
    CHECK(lts_put_records(client, "proj", "unit-r", r, 3, &resp) == LTS_OK);
    CHECK(resp != NULL && lts_response_status_code(resp) == 0);
    lts_response_free(resp);
}

struct sender {
    lts_producer *p;
    int id;
    int refused;
};

enum { THREADS = 4, SENDS = 100 };
static int hits[THREADS * SENDS];
static size_t logs_in_result[THREADS * SENDS];

static void on_result(void *user_data, const lts_send_result *r) {
    int call = (int)(intptr_t)user_data;
    hits[call]++;
    logs_in_result[call] = lts_send_result_log_count(r);
}

static void *sender_main(void *arg) {
    struct sender *s = arg;
    char msg[64];
    for (int i = 0; i < SENDS; i++) {
        int call = s->id * SENDS + i;
        int len = snprintf(msg, sizeof msg, "thread %d send %d", s->id, i);
        lts_field c[2] = {S("level", "info"), I("call", call)};
        lts_record r[2] = {
            {.timestamp_ns = lts_now_ns(), .msg = msg, .msg_len = (size_t)len, .contents = c, .contents_len = 2},
            {.timestamp_ns = lts_now_ns(), .msg = msg, .msg_len = (size_t)len},
        };
        size_t n = 1 + (size_t)(i % 2);
        if (lts_producer_send_records(s->p, "proj", "unit-r", r, n, on_result, (void *)(intptr_t)call) != LTS_OK)
            s->refused++;
        /* The record memory is reused at once: the call copied what it needs. */
        memset(msg, 'x', sizeof msg);
    }
    return NULL;
}

static lts_producer *make_producer(void) {
    lts_producer_config *pc = NULL;
    lts_client_config *cc = NULL;
    lts_producer *p = NULL;
    CHECK(lts_producer_config_new(&pc) == LTS_OK);
    CHECK(lts_producer_config_set_linger_ms(pc, 100) == LTS_OK);
    CHECK(lts_producer_new(pc, &p) == LTS_OK);
    CHECK(lts_client_config_new(endpoint, "lts-local-ak", "lts-local-sk", "proj", &cc) == LTS_OK);
    CHECK(lts_producer_add_client(p, cc) == LTS_OK);
    CHECK(lts_producer_start(p) == LTS_OK);
    lts_client_config_free(cc);
    lts_producer_config_free(pc);
    return p;
}

static void test_send_records_from_threads(void) {
    lts_producer *p = make_producer();
    pthread_t t[THREADS];
    struct sender s[THREADS];
    for (int i = 0; i < THREADS; i++) {
        s[i] = (struct sender){.p = p, .id = i, .refused = 0};
        CHECK(pthread_create(&t[i], NULL, sender_main, &s[i]) == 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        CHECK(s[i].refused == 0);
    }
    CHECK(lts_producer_safe_close(p) == LTS_OK);
    size_t logs = 0;
    int once = 1;
    for (int call = 0; call < THREADS * SENDS; call++) {
        if (hits[call] != 1) once = 0;
        logs += logs_in_result[call];
    }
    CHECK(once);
    CHECK(logs == THREADS * SENDS / 2 * 3);
    lts_producer_stats st;
    st.struct_size = sizeof st;
    CHECK(lts_producer_get_stats(p, &st) == LTS_OK);
    CHECK(st.logs_accepted == logs && st.logs_sent == logs && st.logs_failed == 0 && st.buffered_bytes == 0);
    lts_producer_free(p);
}

/* One record with one bad content field, through both entry points. */
static lts_result put_one(lts_client *client, const lts_record *r, size_t n) {
    lts_response *resp = (lts_response *)&passed;
    lts_result code = lts_put_records(client, "proj", "unit-r", r, n, &resp);
    CHECK(resp == NULL);
    return code;
}

static int callbacks_for_refused;
static void must_not_run(void *user_data, const lts_send_result *r) {
    (void)user_data;
    (void)r;
    callbacks_for_refused++;
}

static void test_bad_input(lts_client *client) {
    const size_t huge = (size_t)1 << 33; /* past 4 GiB: never read */
    lts_producer *p = make_producer();
    lts_field ok[1] = {S("level", "info")};
    lts_record good = {.timestamp_ns = 1, .msg = "m", .msg_len = 1, .contents = ok, .contents_len = 1};
    lts_record two[3] = {good, good, good};

#define BOTH(records, n, code, needle)                                                                \
    do {                                                                                              \
        CHECK_ERR(put_one(client, (records), (n)), (code), (needle));                                 \
        CHECK_ERR(lts_producer_send_records(p, "proj", "unit-r", (records), (n), must_not_run, NULL), \
                  (code), (needle));                                                                  \
    } while (0)

    BOTH(NULL, 1, LTS_ERR_INVALID_ARGUMENT, "records is NULL");
    BOTH(two, 0, LTS_ERR_INVALID_ARGUMENT, "count is 0");

    lts_record r = good;
    r.msg = NULL;
    r.msg_len = 5;
    BOTH(&r, 1, LTS_ERR_INVALID_ARGUMENT, "record 0: msg is NULL but msg_len is 5");
    r = good;
    r.msg_len = huge;
    BOTH(&r, 1, LTS_ERR_TOO_LARGE, "record 0: a message of 8589934592 bytes");
    r = good;
    r.contents = NULL;
    r.contents_len = 2;
    BOTH(&r, 1, LTS_ERR_INVALID_ARGUMENT, "record 0: contents is NULL but contents_len is 2");
    r = good;
    r.labels_len = huge; /* with a NULL array */
    BOTH(&r, 1, LTS_ERR_INVALID_ARGUMENT, "record 0: labels is NULL");
    r = good;
    r.contents_len = huge; /* with a real array of one: refused before it is read */
    BOTH(&r, 1, LTS_ERR_TOO_LARGE, "cannot fit in one request");

    /* Field memory: the third record is the bad one, and the message says so. */
    lts_field f[1];
    two[2].contents = f;
    two[2].contents_len = 1;
    f[0] = (lts_field)S("level", "info");
    f[0].key = NULL;
    BOTH(two, 3, LTS_ERR_INVALID_ARGUMENT, "record 2: contents[0]: key is NULL but key_len is 5");
    f[0] = (lts_field)S("level", "info");
    f[0].key_len = huge;
    BOTH(two, 3, LTS_ERR_INVALID_KEY, "record 2: contents[0]: a key of 8589934592 bytes");
    f[0] = (lts_field)S("level", "info");
    f[0].str = NULL;
    BOTH(two, 3, LTS_ERR_INVALID_ARGUMENT, "record 2: contents[0] (\"level\"): str is NULL but str_len is 4");
    f[0] = (lts_field)S("level", "info");
    f[0].str_len = huge;
    BOTH(two, 3, LTS_ERR_TOO_LARGE, "record 2: contents[0] (\"level\"): a value of 8589934592 bytes");
    f[0] = (lts_field)S("level", "info");
    f[0].type = 7;
    BOTH(two, 3, LTS_ERR_INVALID_ARGUMENT, "record 2: contents[0] (\"level\"): unknown type 7");

    /* The rules, as for log items, naming the record and the key. */
    f[0] = (lts_field)S("area:", "x");
    BOTH(two, 3, LTS_ERR_INVALID_KEY, "record 2: invalid content key \"area:\": ':' is not allowed");
    f[0] = (lts_field)S("9lives", "x");
    BOTH(two, 3, LTS_ERR_INVALID_KEY, "record 2: invalid content key \"9lives\": it must start with a letter");
    f[0] = (lts_field)S("level", "");
    BOTH(two, 3, LTS_ERR_INVALID_VALUE, "record 2: invalid content \"level\": the value is empty");
    f[0] = (lts_field)S("level", "\xc3\x28");
    BOTH(two, 3, LTS_ERR_INVALID_VALUE, "record 2: invalid content \"level\": the value is not valid UTF-8");
    f[0] = (lts_field)D("ratio", NAN);
    BOTH(two, 3, LTS_ERR_INVALID_VALUE, "record 2: invalid content \"ratio\": the value is not a finite number");
    lts_field dup[3] = {S("level", "a"), I("n", 1), S("level", "b")};
    two[2].contents = dup;
    two[2].contents_len = 3;
    BOTH(two, 3, LTS_ERR_INVALID_KEY, "record 2: content key \"level\" appears twice");
    lts_field long_dup[2] = {S("a_key_longer_than_16_bytes", "a"), S("a_key_longer_than_16_bytes", "b")};
    two[2].contents = long_dup;
    two[2].contents_len = 2;
    BOTH(two, 3, LTS_ERR_INVALID_KEY, "appears twice");
    lts_field bad_label[1] = {S("user tag", "x")};
    two[2].contents = ok;
    two[2].contents_len = 1;
    two[2].labels = bad_label;
    two[2].labels_len = 1;
    BOTH(two, 3, LTS_ERR_INVALID_KEY, "record 2: invalid label key \"user tag\"");
    two[2].labels = NULL;
    two[2].labels_len = 0;

    r = good;
    r.timestamp_ns = 0;
    BOTH(&r, 1, LTS_ERR_INVALID_VALUE, "record 0 has no timestamp");
    r.timestamp_ns = -5;
    BOTH(&r, 1, LTS_ERR_INVALID_VALUE, "record 0: invalid timestamp -5");
    r = good;
    r.msg_len = 0;
    BOTH(&r, 1, LTS_ERR_INVALID_VALUE, "record 0 has no origin message");
    r = good;
    r.msg = "\xff";
    BOTH(&r, 1, LTS_ERR_INVALID_VALUE, "record 0: the origin message is not valid UTF-8");

    /* Bad names, as for every call. */
    CHECK_ERR(lts_producer_send_records(p, NULL, "unit-r", &good, 1, NULL, NULL), LTS_ERR_INVALID_ARGUMENT, "log_project");
    CHECK_ERR(lts_producer_send_records(NULL, "proj", "unit-r", &good, 1, NULL, NULL), LTS_ERR_INVALID_ARGUMENT, "p is NULL");
    CHECK_ERR(lts_producer_send_records(p, "proj", "\xc3\x28", &good, 1, NULL, NULL), LTS_ERR_INVALID_ARGUMENT, "UTF-8");
#undef BOTH

    lts_producer_stats st;
    st.struct_size = sizeof st;
    CHECK(lts_producer_get_stats(p, &st) == LTS_OK);
    CHECK(st.logs_accepted == 0 && st.logs_refused > 20);
    CHECK(lts_producer_safe_close(p) == LTS_OK);
    CHECK(callbacks_for_refused == 0);
    lts_producer_free(p);
}

int main(void) {
    endpoint = getenv("LTS_ENDPOINT");
    if (!endpoint) {
        fprintf(stderr, "set LTS_ENDPOINT\n");
        return 2;
    }
    lts_client_config *cfg = NULL;
    lts_client *client = NULL;
    CHECK(lts_client_config_new(endpoint, "lts-local-ak", "lts-local-sk", "proj", &cfg) == LTS_OK);
    CHECK(lts_client_new(cfg, &client) == LTS_OK);
    lts_client_config_free(cfg);
    test_put_records(client);
    test_send_records_from_threads();
    test_bad_input(client);
    lts_client_free(client);
    return check_summary();
}
