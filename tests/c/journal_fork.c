/*
 * fork() with a journaled producer (tests/journal_crash.rs): the parent's producer holds
 * LTS_JOURNAL_DIR with batches it cannot deliver (its project "stuck" points at
 * LTS_DEAD_ENDPOINT); a forked child's lts_producer_after_fork producer has no journal,
 * sends in memory and delivers (project "proj" on LTS_ENDPOINT, unit "child"); the parent's
 * directory is byte-for-byte what it was before the child ran (every file's name, size and
 * contents), and still the parent's (a producer made in the parent after the child exited
 * is refused). A second child forks from a producer that was never started, maps a page
 * where the parent's journal ring is mapped (fork does not pass that mapping on) and frees
 * the inherited producer: the page stays (freeing it in a child unmaps nothing).
 * The parent then closes with timeout 0, leaving its batches in the journal for the test to
 * deliver. Prints "N passed, N failed".
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lts.h"
#include "check.h"

enum { PARENT_LOGS = 300, CHILD_LOGS = 10, MAX_FILES = 64 };

static const char *endpoint, *dead_endpoint, *journal_dir;
static int results_ok, results_seen;

static void count(void *user_data, const lts_send_result *r) {
    (void)user_data;
    results_seen++;
    if (lts_send_result_ok(r)) results_ok++;
}

struct file_print {
    char name[256];
    long long size;
    uint64_t hash;
};

/* FNV-1a of a file's bytes. */
static uint64_t hash_file(const char *path, long long *size) {
    uint64_t h = 1469598103934665603ull;
    *size = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    unsigned char buf[1 << 16];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        for (size_t i = 0; i < n; i++) h = (h ^ buf[i]) * 1099511628211ull;
        *size += (long long)n;
    }
    fclose(f);
    return h;
}

static int cmp_print(const void *a, const void *b) {
    return strcmp(((const struct file_print *)a)->name, ((const struct file_print *)b)->name);
}

/* Every file of the directory: name, size, hash, sorted by name. */
static int snapshot(struct file_print *out) {
    DIR *d = opendir(journal_dir);
    if (!d) return -1;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < MAX_FILES) {
        if (e->d_name[0] == '.') continue;
        snprintf(out[n].name, sizeof out[n].name, "%s", e->d_name);
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", journal_dir, e->d_name);
        out[n].hash = hash_file(path, &out[n].size);
        n++;
    }
    closedir(d);
    qsort(out, (size_t)n, sizeof *out, cmp_print);
    return n;
}

static lts_producer_config *config(void) {
    lts_producer_config *pc = NULL;
    CHECK(lts_producer_config_new(&pc) == LTS_OK);
    CHECK(lts_producer_config_set_linger_ms(pc, 100) == LTS_OK);
    CHECK(lts_producer_config_set_journal_dir(pc, journal_dir) == LTS_OK);
    /* Each batch's records are copied into their segment before it is sent: once a batch
       is in flight, the journal holds everything sent before it. */
    CHECK(lts_producer_config_set(pc, "journal_sync_ms", "0") == LTS_OK);
    return pc;
}

static void add_clients(lts_producer *p) {
    lts_client_config *live = NULL, *dead = NULL;
    CHECK(lts_client_config_new(endpoint, "lts-local-ak", "lts-local-sk", "proj", &live) == LTS_OK);
    CHECK(lts_client_config_new(dead_endpoint, "lts-local-ak", "lts-local-sk", "stuck", &dead) == LTS_OK);
    CHECK(lts_producer_add_client(p, live) == LTS_OK);
    CHECK(lts_producer_add_client(p, dead) == LTS_OK);
    lts_client_config_free(live);
    lts_client_config_free(dead);
}

static int child_sends(lts_producer *inherited) {
    int bad = 0;
    lts_producer *fresh = NULL;
    if (lts_producer_after_fork(inherited, &fresh) != LTS_OK || !fresh) return 1;
    lts_producer_free(inherited);
    lts_record r = {.timestamp_ns = lts_now_ns(), .msg = "from the child", .msg_len = 14};
    for (int i = 0; i < CHILD_LOGS; i++)
        if (lts_producer_send_records(fresh, "proj", "child", &r, 1, count, NULL) != LTS_OK) bad |= 2;
    lts_producer_stats st = {.struct_size = sizeof st};
    lts_producer_get_stats(fresh, &st);
    if (st.journal_bytes != 0) bad |= 4; /* no journal of its own */
    if (lts_producer_safe_close(fresh) != LTS_OK) bad |= 8;
    if (results_seen != CHILD_LOGS || results_ok != CHILD_LOGS) bad |= 16;
    lts_producer_free(fresh);
    return bad;
}

/* Where this process maps the ring file of the journal, from /proc/self/maps. */
static void *ring_address(size_t *len) {
    FILE *f = fopen("/proc/self/maps", "r");
    if (!f) return NULL;
    char line[4096];
    void *found = NULL;
    while (fgets(line, sizeof line, f)) {
        if (!strstr(line, "/ring.ltsr")) continue;
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx", &lo, &hi) == 2) {
            found = (void *)lo;
            *len = hi - lo;
        }
        break;
    }
    fclose(f);
    return found;
}

/* A never-started producer freed in a forked child leaves the child's memory alone. */
static void unstarted_producer_freed_in_a_child(void) {
    lts_producer_config *pc = config();
    lts_producer *p = NULL;
    CHECK(lts_producer_new(pc, &p) == LTS_OK);
    size_t len = 0;
    void *ring = ring_address(&len);
    CHECK(ring != NULL && len > 0);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int bad = 0;
        /* The ring is not mapped here: the address is free for the child's own use. */
        void *mine = mmap(ring, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
        if (mine != ring) _exit(100);
        memset(mine, 0x5a, 4096);
        lts_producer_free(p);
        /* Still mapped: reading it would kill the child with SIGSEGV if the free had
           unmapped it. */
        if (msync(mine, 4096, MS_ASYNC) != 0) bad |= 1;
        else if (((volatile unsigned char *)mine)[4095] != 0x5a) bad |= 2;
        _exit(bad);
    }
    int status = -1;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status))
        fprintf(stderr, "unstarted child: %s %d\n", WIFEXITED(status) ? "exit" : "signal",
                WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    lts_producer_free(p);
    lts_producer_config_free(pc);
}

int main(void) {
    endpoint = getenv("LTS_ENDPOINT");
    dead_endpoint = getenv("LTS_DEAD_ENDPOINT");
    journal_dir = getenv("LTS_JOURNAL_DIR");
    if (!endpoint || !dead_endpoint || !journal_dir) return 2;

    unstarted_producer_freed_in_a_child();

    lts_producer_config *pc = config();
    lts_producer *p = NULL;
    CHECK(lts_producer_new(pc, &p) == LTS_OK);
    add_clients(p);
    CHECK(lts_producer_start(p) == LTS_OK);
    lts_record r = {.timestamp_ns = lts_now_ns(), .msg = "from the parent", .msg_len = 15};
    for (int i = 0; i < PARENT_LOGS; i++) CHECK(lts_producer_send_records(p, "stuck", "parent", &r, 1, NULL, NULL) == LTS_OK);
    CHECK(lts_producer_flush(p) == LTS_OK);
    /* The batch is in flight (its first attempt against the dead endpoint): its records, and
       every record before them, are in their segment; nothing more is written until it is
       reported (never, before close). */
    const struct timespec tick = {0, 2 * 1000 * 1000};
    lts_producer_stats st = {.struct_size = sizeof st};
    for (int i = 0; i < 5000; i++) {
        lts_producer_get_stats(p, &st);
        if (st.inflight_batches > 0) break;
        nanosleep(&tick, NULL);
    }
    CHECK(st.inflight_batches > 0);
    CHECK(st.journal_bytes > 0);

    static struct file_print before[MAX_FILES], after[MAX_FILES];
    int n_before = snapshot(before);
    int segments = 0;
    for (int i = 0; i < n_before; i++) segments += strncmp(before[i].name, "seg-", 4) == 0;
    CHECK(segments >= 1);

    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) _exit(child_sends(p));
    int status = -1;
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    if (WIFEXITED(status) && WEXITSTATUS(status)) fprintf(stderr, "child failures: mask %d\n", WEXITSTATUS(status));

    int n_after = snapshot(after);
    CHECK(n_after == n_before);
    for (int i = 0; i < n_before && i < n_after; i++) {
        int same = strcmp(before[i].name, after[i].name) == 0 && before[i].size == after[i].size &&
                   before[i].hash == after[i].hash;
        CHECK(same);
        if (!same) fprintf(stderr, "changed while the child ran: %s\n", before[i].name);
    }
    /* The directory is still the parent's. */
    lts_producer *second = NULL;
    CHECK_ERR(lts_producer_new(pc, &second), LTS_ERR_INVALID_STATE, "in use by");
    CHECK(second == NULL);

    /* Close gives up at once: the batches stay in the journal for the next producer. */
    CHECK(lts_producer_close(p, 0) == LTS_ERR_TIMEOUT);
    lts_producer_free(p);
    lts_producer_config_free(pc);
    return check_summary();
}
