// lts_spdlog.hpp: an spdlog sink shipping records to LTS through an lts::Producer
// (header-only, C++17, over lts.hpp).
//
//   lts::Producer producer(pc);  producer.add_client(cfg);  producer.start();
//   auto sink = std::make_shared<lts::spdlog_sink_mt>(producer, "my-project", "my-unit");
//   spdlog::logger log("orders", sink);
//   log.info("paid {}", 42);
//
// Each record becomes one log: the formatted payload is the origin message; `level`, `logger`,
// `thread` and, when spdlog knows it, `source` ("file:line") and `function` are contents; the
// labels given to the sink are its labels; the record's time is the log's timestamp. The sink
// never throws into spdlog and never waits longer than the producer's max_block_ms (0 by
// default): a record the producer refuses (a full buffer, a closed producer) is counted in
// dropped() and reported on stderr at most once a second. flush()
// hands open batches to the senders; it does not wait (the producer's close does). The sink
// borrows the producer: keep the producer alive, and close it, after the loggers using the
// sink are done (spdlog::shutdown() or dropping the loggers).
#pragma once

#include <atomic>
#include <charconv>
#include <cstdio>
#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <spdlog/details/log_msg.h>
#include <spdlog/details/null_mutex.h>
#include <spdlog/sinks/base_sink.h>

#include "lts.hpp"

namespace lts {

template <typename Mutex>
class spdlog_sink : public spdlog::sinks::base_sink<Mutex> {
public:
    /// `labels`: key/value pairs added to every log (copied).
    spdlog_sink(Producer &producer, std::string project, std::string unit,
                std::vector<std::pair<std::string, std::string>> labels = {})
        : producer_(producer), project_(std::move(project)), unit_(std::move(unit)), labels_(std::move(labels)) {
        label_fields_.reserve(labels_.size());
        for (const auto &kv : labels_) label_fields_.emplace_back(kv.first, kv.second);
    }

    /// Records the producer refused (each also counted by the producer's stats).
    uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }

protected:
    void sink_it_(const spdlog::details::log_msg &msg) override {
        const int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(msg.time.time_since_epoch()).count();
        const auto level = spdlog::level::to_string_view(msg.level);
        const std::string_view payload(msg.payload.data(), msg.payload.size());
        const std::string_view logger(msg.logger_name.data(), msg.logger_name.size());
        char thread_buf[24];
        const auto thread_end = std::to_chars(thread_buf, thread_buf + sizeof thread_buf, msg.thread_id).ptr;
        const std::string_view thread(thread_buf, static_cast<size_t>(thread_end - thread_buf));
        std::string source;
        Field contents[6] = {
            Field("level", std::string_view(level.data(), level.size())),
            Field("logger", logger.empty() ? std::string_view("default") : logger),
            Field("thread", thread),
            Field("level", std::string_view()),  // placeholders, overwritten below when used
            Field("level", std::string_view()),
            Field("level", std::string_view()),
        };
        size_t n = 3;
        if (!msg.source.empty()) {
            source = std::string(msg.source.filename) + ":" + std::to_string(msg.source.line);
            contents[n++] = Field("source", source);
            if (msg.source.funcname && *msg.source.funcname) contents[n++] = Field("function", msg.source.funcname);
        }
        Record r;
        r.timestamp_ns = ns;
        r.message = payload.empty() ? std::string_view("(empty message)") : payload;
        r.contents = contents;
        r.contents_len = n;
        r.labels = label_fields_.data();
        r.labels_len = label_fields_.size();
        try {
            producer_.send(project_, unit_, r);
        } catch (const Error &e) {
            // Never into spdlog's caller: counted, and said at most once a second.
            dropped_.fetch_add(1, std::memory_order_relaxed);
            const auto now = std::chrono::steady_clock::now();
            if (now - last_report_ >= std::chrono::seconds(1)) {
                last_report_ = now;
                std::fprintf(stderr, "lts spdlog sink: a record was dropped: %s\n", e.what());
            }
        }
    }

    void flush_() override {
        try {
            producer_.flush();
        } catch (const Error &) {
            // not running (closed): nothing to flush
        }
    }

private:
    Producer &producer_;
    std::string project_, unit_;
    std::vector<std::pair<std::string, std::string>> labels_;
    std::vector<Field> label_fields_;
    std::atomic<uint64_t> dropped_{0};
    std::chrono::steady_clock::time_point last_report_{};
};

/// For loggers used from several threads (spdlog's convention: _mt and _st).
using spdlog_sink_mt = spdlog_sink<std::mutex>;
using spdlog_sink_st = spdlog_sink<spdlog::details::null_mutex>;

}  // namespace lts
