// lts.hpp against lts-local (LTS_ENDPOINT): sync put, errors as exceptions with the code and
// the key, a producer with std::function callbacks from several threads, close semantics.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "lts.hpp"
#include "../c/check.h"

static lts::LogItem make(int i) {
    lts::LogItem item;
    item.timestamp_ns(lts::now_ns())
        .origin_msg("cpp log " + std::to_string(i))
        .content("level", "info")
        .content("seq", i)
        .content("ratio", 0.5)
        .label("user_tag", "string");
    return item;
}

int main() {
    const char *endpoint = std::getenv("LTS_ENDPOINT");
    if (!endpoint) return 2;

    // Sync put, and the service's refusal as an exception with the answer.
    lts::ClientConfig cfg(endpoint, "lts-local-ak", "lts-local-sk", "proj");
    cfg.retries(1).profile("backoff_base_ms", "1");
    lts::Client client(cfg);
    std::vector<lts::LogItem> items;
    for (int i = 0; i < 3; i++) items.push_back(make(i));
    lts::Response r = client.put_logs("proj", "unit-a", items);
    CHECK(r.status_code == 0 && r.message == "SUCCESS" && r.error.empty());
    try {
        client.put_logs("proj", "missing-unit", items);
        CHECK(false);
    } catch (const lts::Error &e) {
        CHECK(e.code() == LTS_ERR_SERVER);
        CHECK(e.response().has_value() && e.response()->error == "LTS_8011");
    }

    // A forbidden key: the exception names it.
    try {
        lts::LogItem bad;
        bad.content("area:", 3.1415926);
        CHECK(false);
    } catch (const lts::Error &e) {
        CHECK(e.code() == LTS_ERR_INVALID_KEY);
        CHECK(std::strstr(e.what(), "\"area:\"") != nullptr);
        CHECK(std::string(e.name()) == "LTS_ERR_INVALID_KEY");
    }
    try {
        lts::ClientConfig wrong(endpoint, "lts-local-ak", "wrong", "proj");
        lts::Client c(wrong);
        CHECK(false);
    } catch (const lts::Error &e) {
        CHECK(e.code() == LTS_ERR_AUTH);
    }

    // The record form: fields view this function's own strings.
    std::string path = "/api/v1/orders/00000042";
    lts::Response rr = client.put("proj", "unit-r", lts::now_ns(), "GET " + path,
                                  {{"level", "info"}, {"path", path}, {"status", 200}, {"latency_ms", 12.5}},
                                  {{"user_tag", "string"}});
    CHECK(rr.status_code == 0);
    std::string second = "second";
    lts::Field two_contents[] = {{"level", std::string_view("warn")}, {"seq", int64_t{-7}}};
    std::vector<lts::Record> recs = {
        {lts::now_ns(), "first", nullptr, 0, nullptr, 0},
        {lts::now_ns(), second, two_contents, 2, nullptr, 0},
    };
    CHECK(client.put("proj", "unit-r", recs).status_code == 0);
    try {
        client.put("proj", "unit-r", lts::now_ns(), "m", {{"area:", 1}});
        CHECK(false);
    } catch (const lts::Error &e) {
        CHECK(e.code() == LTS_ERR_INVALID_KEY);
        CHECK(std::strstr(e.what(), "record 0: invalid content key \"area:\"") != nullptr);
    }

    // Producer: four threads, std::function callbacks, each exactly once.
    lts::ProducerConfig pc;
    pc.linger_ms(100).worker_count(2);
    lts::Producer producer(pc);
    producer.add_client(cfg);
    producer.start();
    constexpr int kThreads = 4, kSends = 250;
    std::vector<std::atomic<int>> hits(kThreads * kSends);
    std::atomic<size_t> logs{0};
    std::atomic<int> records_ok{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; t++) {
        threads.emplace_back([&, t] {
            for (int s = 0; s < kSends; s++) {
                int id = t * kSends + s;
                std::vector<lts::LogItem> batch;
                batch.push_back(make(id));
                batch.push_back(make(id));
                producer.send("proj", "unit-p", batch, [&hits, &logs, id](const lts::SendResult &res) {
                    if (res.ok()) logs += res.log_count;
                    hits[id]++;
                });
                // And one in the record form, from this thread's own string.
                std::string msg = "record form " + std::to_string(id);
                producer.send("proj", "unit-p", lts::now_ns(), msg, {{"seq", id}, {"form", "record"}}, {},
                              [&records_ok](const lts::SendResult &res) {
                                  if (res.ok()) records_ok++;
                              });
            }
        });
    }
    for (auto &th : threads) th.join();
    try {
        producer.send("nope", "unit-p", items);
        CHECK(false);
    } catch (const lts::Error &e) {
        CHECK(e.code() == LTS_ERR_INVALID_ARGUMENT);
    }
    producer.safe_close();
    bool once = true;
    for (auto &h : hits) once = once && h.load() == 1;
    CHECK(once);
    CHECK(logs.load() == size_t(kThreads * kSends * 2));
    CHECK(records_ok.load() == kThreads * kSends);
    lts_producer_stats st = producer.stats();
    CHECK(st.logs_sent == uint64_t(kThreads * kSends * 3));
    CHECK(st.logs_accepted == st.logs_sent + st.logs_failed && st.buffered_bytes == 0);
    CHECK(producer.close(0));  // already closed: fine

    return check_summary();
}
