// One side of the benchmark suite's spdlog row (scripts/bench-cpp.sh runs it; scripts/bench.py
// reads its key=value lines):
//
//   spdlog_bench spdlog-lts|spdlog-file ENDPOINT LOGS PER_SEND RATE
//
// logger.info of the log's message with 3 fields ("{} order={} host={} latency_ms={}"),
// through the lts sink (include/lts_spdlog.hpp) or spdlog's basic_file_sink_mt, on one logger
// with spdlog's default pattern. RATE 0: a burst; else RATE records/s in bursts of 100. A
// warm-up of its own, then the measured run: from building the producer (or the file sink) to
// its close, the process's CPU time (every thread, getrusage) per record. PER_SEND is 1.
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>

#include "lts_spdlog.hpp"

static double cpu_ns() {
    rusage u{};
    getrusage(RUSAGE_SELF, &u);
    return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e9 + (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e3;
}

struct Run {
    double wall_s, cpu_ns;
    int64_t sent;  // logs the producer reports sent; -1 for the file
};

static Run run(bool lts_side, const char *endpoint, uint64_t n, double rate) {
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = cpu_ns();
    std::unique_ptr<lts::Producer> producer;
    std::shared_ptr<spdlog::sinks::sink> sink;
    char dir[] = "/tmp/spdlog-bench-XXXXXX";
    std::string file;
    if (lts_side) {
        producer = std::make_unique<lts::Producer>(lts::ProducerConfig());
        producer->add_client(lts::ClientConfig(endpoint, "lts-local-ak", "lts-local-sk", "bench"));
        producer->start();
        sink = std::make_shared<lts::spdlog_sink_mt>(*producer, "bench", "unit");
    } else {
        if (!mkdtemp(dir)) std::abort();
        file = std::string(dir) + "/app.log";
        sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(file);
    }
    int64_t sent = -1;
    {
        spdlog::logger log("app", sink);
        char msg[128], host[32];
        for (uint64_t i = 0; i < n; i++) {
            if (rate > 0 && i % 100 == 0) std::this_thread::sleep_until(t0 + std::chrono::nanoseconds((int64_t)(i / rate * 1e9)));
            std::snprintf(msg, sizeof msg, "GET /api/v1/orders/%08" PRIu64 " HTTP/1.1 200 1532 0.012 \"Mozilla/5.0 (X11; Linux x86_64)\"", i);
            std::snprintf(host, sizeof host, "web-%02" PRIu64 ".prod.example", i % 16);
            log.info("{} order={} host={} latency_ms={}", msg, i, host, 12.5 + (double)(i % 7));
        }
        log.flush();
    }
    if (lts_side) {
        producer->safe_close();
        lts_producer_stats st = producer->stats();
        if (st.logs_failed != 0 || st.logs_accepted != st.logs_sent) std::abort();
        sent = (int64_t)st.logs_sent;
        if (static_cast<lts::spdlog_sink_mt *>(sink.get())->dropped() != 0) std::abort();
    }
    sink.reset();
    producer.reset();
    if (!lts_side) {
        unlink(file.c_str());
        rmdir(dir);
    }
    return {std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), cpu_ns() - c0, sent};
}

int main(int argc, char **argv) {
    if (argc != 6 || (std::strcmp(argv[1], "spdlog-lts") != 0 && std::strcmp(argv[1], "spdlog-file") != 0)) {
        std::fprintf(stderr, "usage: spdlog_bench spdlog-lts|spdlog-file ENDPOINT LOGS PER_SEND RATE\n");
        return 2;
    }
    const bool lts_side = std::strcmp(argv[1], "spdlog-lts") == 0;
    const uint64_t logs = std::strtoull(argv[3], nullptr, 10);
    const double rate = std::atof(argv[5]);
    const uint64_t warm = logs < 200000 ? logs : 200000;
    Run w = run(lts_side, argv[2], warm, 0);
    Run r = run(lts_side, argv[2], logs, rate);
    if (lts_side && (w.sent != (int64_t)warm || r.sent != (int64_t)logs)) {
        std::fprintf(stderr, "%" PRId64 " + %" PRId64 " logs reported sent, not %" PRIu64 " + %" PRIu64 "\n", w.sent,
                     r.sent, warm, logs);
        return 1;
    }
    std::printf("%s%s: %.0f records/s, %.0f ns CPU per record\n", argv[1], rate > 0 ? ", paced" : "", logs / r.wall_s,
                r.cpu_ns / logs);
    std::printf("logs=%" PRIu64 "\nsent_logs=%" PRIu64 "\nlogs_per_s=%.0f\ncpu_ns_per_log=%.1f\n", logs,
                lts_side ? warm + logs : 0, logs / r.wall_s, r.cpu_ns / logs);
    return 0;
}
