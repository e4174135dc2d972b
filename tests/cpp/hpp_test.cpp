// lts.hpp against lts-local (LTS_ENDPOINT): sync put, errors as exceptions with the code and
// the key, a producer with std::function callbacks from several threads, close semantics.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "lts.hpp"
#include "../c/check.h"

// Every key of the core's option table, with how lts.hpp sets it typed: a key the core adds
// without a typed setter here fails the test (profile keys go through profile()).
static void typed_options_cover_the_schema() {
    lts::ClientConfig c("http://127.0.0.1:1", "ak", "sk", "p");
    lts::ProducerConfig pc;
    std::map<std::string, std::function<void()>> client = {
        {"endpoint", [] {}}, {"access_key", [] {}}, {"secret_key", [] {}}, {"log_project", [] {}},  // constructor
        {"request_timeout_ms", [&] { c.request_timeout_ms(1000); }},
        {"compress_type", [&] { c.compress_type("none"); }},
        {"user_agent", [&] { c.user_agent("x/1"); }},
        {"retries", [&] { c.retries(2); }},
        {"no_retry_status_code", [&] { c.no_retry_status_code(500); }},
        {"auth_mode", [&] { c.auth_mode(LTS_AUTH_EOP); }},
        {"allow_plain_http", [&] { c.allow_plain_http(true); }},
        {"ca_file", [] {}},  // needs a PEM file: covered by the C API's TLS tests
        {"ca_pem", [] {}},
    };
    std::map<std::string, std::function<void()>> producer = {
        {"batch_size_bytes", [&] { pc.batch_size_bytes(1000); }},
        {"batch_count", [&] { pc.batch_count(10); }},
        {"linger_ms", [&] { pc.linger_ms(150); }},
        {"worker_count", [&] { pc.worker_count(2); }},
        {"buffer_bytes", [&] { pc.buffer_bytes(1 << 20); }},
        {"max_block_ms", [&] { pc.max_block_ms(5); }},
        {"callback_mode", [&] { pc.callback_mode(LTS_CALLBACK_POLL); }},
        {"delivery_timeout_ms", [&] { pc.delivery_timeout_ms(1500); }},
        {"journal_dir", [&] { pc.journal_dir("/tmp/lts-hpp-spill"); }},
        {"journal_max_bytes", [&] { pc.journal_max_bytes(1 << 30); }},
        {"journal_segment_bytes", [&] { pc.journal_segment_bytes(8 << 20); }},
        {"journal_sync_ms", [&] { pc.journal_sync_ms(500); }},
        {"journal_max_age_ms", [&] { pc.journal_max_age_ms(60000); }},
        {"spill_dir", [&] { pc.spill_dir("/tmp/lts-hpp-spill"); }},
        {"stats_interval_ms", [&] { pc.stats_interval_ms(250); }},
        {"idle_units_max", [&] { pc.idle_units_max(20); }},
    };
    std::string schema = lts_config_schema();
    size_t producer_at = schema.find("\"producer\":");
    for (size_t at = schema.find("\"name\":\""); at != std::string::npos; at = schema.find("\"name\":\"", at + 1)) {
        size_t start = at + 8, end = schema.find('"', start);
        std::string name = schema.substr(start, end - start);
        bool is_producer = at > producer_at;
        bool profile = schema.compare(schema.find("\"profile\":", at) + 10, 4, "true") == 0;
        auto &table = is_producer ? producer : client;
        auto it = table.find(name);
        CHECK(it != table.end() || profile);
        if (it == table.end()) {
            if (!profile) fprintf(stderr, "no typed setter in lts.hpp for %s\n", name.c_str());
            continue;
        }
        it->second();
    }
    CHECK(pc.get("delivery_timeout_ms") == "1500" && pc.get("spill_dir") == "/tmp/lts-hpp-spill");
    CHECK(pc.get("stats_interval_ms") == "250" && pc.get("callback_mode") == "poll");
    CHECK(c.get("allow_plain_http") == "true" && c.get("auth_mode") == "eop");
    c.set("backoff_cap_ms", "77");
    CHECK(c.get("backoff_cap_ms") == "77");
    try {
        pc.set("linger_ms", "soon");
        CHECK(false);
    } catch (const lts::Error &e) {
        CHECK(e.code() == LTS_ERR_INVALID_ARGUMENT && std::strstr(e.what(), "\"soon\"") != nullptr);
    }
    try {
        (void)c.get("secret_key");
        CHECK(false);
    } catch (const lts::Error &e) {
        CHECK(std::strstr(e.what(), "secret_key") != nullptr);
    }
}

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
    typed_options_cover_the_schema();

    // The log hook as a std::function, and the stats: a refused token call gives its code in
    // the result, in a line and in the stats JSON; the periodic stats arrive in poll.
    {
        std::mutex mu;
        std::vector<std::string> lines;
        lts::set_log_handler([&](int level, std::string_view m) {
            std::lock_guard<std::mutex> g(mu);
            lines.push_back(std::to_string(level) + " " + std::string(m));
        });
        std::atomic<int> reports{0};
        lts::ProducerConfig spc;
        spc.linger_ms(100).callback_mode(LTS_CALLBACK_POLL).stats_interval_ms(100).stats_callback(
            [&](std::string_view json) {
                if (json.find("\"units\":") != std::string_view::npos) reports++;
            });
        lts::Producer sp(spc);
        lts::ClientConfig wrong(endpoint, "lts-local-ak", "SECRET-MARKER-cpp-1a2b", "proj");
        sp.add_client(wrong);
        sp.start();
        lts::SendResult got;
        bool called = false;
        sp.send("proj", "unit-a", lts::now_ns(), "m", {{"k", "v"}}, {}, [&](const lts::SendResult &res) {
            got = res;
            called = true;
        });
        for (int i = 0; i < 100 && (!called || reports.load() < 2); i++) sp.poll(10, 100);
        CHECK(called && got.code == LTS_ERR_AUTH && got.error == "LTS_8007");
        CHECK(reports.load() >= 2);
        CHECK(sp.stats_json().find("\"error\":\"LTS_8007\"") != std::string::npos);
        sp.safe_close();
        lts::set_log_handler({});
        bool coded = false, leaked = false;
        for (auto &l : lines) {
            coded = coded || (l.rfind("3 ", 0) == 0 && l.find("LTS_8007") != std::string::npos);
            leaked = leaked || l.find("SECRET-MARKER") != std::string::npos;
        }
        CHECK(coded);
        CHECK(!leaked);
    }

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
