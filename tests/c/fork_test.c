/*
 * fork() with a busy producer: in the child the inherited producer refuses use, freeing it
 * never waits for the parent's threads, and lts_producer_after_fork gives a fresh producer
 * that delivers; the parent's producer is unaffected. Prints "N passed, N failed".
 * Needs LTS_ENDPOINT (lts-local, default key pair).
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lts.h"
#include "check.h"

static int results_ok, results_seen;

static void count(void *user_data, const lts_send_result *r) {
    (void)user_data;
    results_seen++;
    if (lts_send_result_ok(r)) results_ok++;
}

static lts_log_item *item(const char *msg) {
    lts_log_item *it = NULL;
    lts_log_item_new(&it);
    lts_log_item_set_timestamp_ns(it, lts_now_ns());
    lts_log_item_set_origin_msg(it, msg);
    return it;
}

static int child(lts_producer *inherited) {
    lts_log_item *it = item("from the child");
    const lts_log_item *one[1] = {it};
    int bad = 0;
    if (lts_producer_send(inherited, "proj", "child", one, 1, NULL, NULL) != LTS_ERR_INVALID_STATE) bad |= 1;
    lts_producer *fresh = NULL;
    if (lts_producer_after_fork(inherited, &fresh) != LTS_OK || !fresh) bad |= 2;
    /* The parent's handle is freed without waiting for threads that do not exist here. */
    lts_producer_free(inherited);
    results_ok = results_seen = 0;
    for (int i = 0; fresh && i < 10; i++)
        if (lts_producer_send(fresh, "proj", "child", one, 1, count, NULL) != LTS_OK) bad |= 4;
    if (lts_producer_safe_close(fresh) != LTS_OK) bad |= 8;
    if (results_seen != 10 || results_ok != 10) bad |= 16;
    lts_producer_free(fresh);
    lts_log_item_free(it);
    return bad;
}

int main(void) {
    const char *endpoint = getenv("LTS_ENDPOINT");
    if (!endpoint) return 2;
    lts_producer_config *pc = NULL;
    lts_client_config *cc = NULL;
    lts_producer *p = NULL;
    CHECK(lts_producer_config_new(&pc) == LTS_OK);
    CHECK(lts_producer_config_set_linger_ms(pc, 100) == LTS_OK);
    CHECK(lts_producer_new(pc, &p) == LTS_OK);
    CHECK(lts_client_config_new(endpoint, "lts-local-ak", "lts-local-sk", "proj", &cc) == LTS_OK);
    CHECK(lts_producer_add_client(p, cc) == LTS_OK);
    CHECK(lts_producer_start(p) == LTS_OK);
    lts_producer *not_forked = NULL;
    CHECK(lts_producer_after_fork(p, &not_forked) == LTS_ERR_INVALID_STATE && not_forked == NULL);

    lts_log_item *it = item("from the parent");
    const lts_log_item *one[1] = {it};
    for (int i = 0; i < 500; i++) CHECK(lts_producer_send(p, "proj", "parent", one, 1, count, NULL) == LTS_OK);
    /* Fork while batches are open and in flight. */
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) _exit(child(p));
    for (int i = 0; i < 500; i++) CHECK(lts_producer_send(p, "proj", "parent", one, 1, count, NULL) == LTS_OK);
    int status = -1;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    if (WIFEXITED(status) && WEXITSTATUS(status)) fprintf(stderr, "child failures: mask %d\n", WEXITSTATUS(status));
    CHECK(lts_producer_safe_close(p) == LTS_OK);
    CHECK(results_seen == 1000 && results_ok == 1000);
    lts_producer_free(p);
    lts_client_config_free(cc);
    lts_producer_config_free(pc);
    lts_log_item_free(it);
    return check_summary();
}
