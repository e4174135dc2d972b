// The spdlog sink against lts-local (LTS_ENDPOINT): records of two loggers, one with its
// source location, a label; a closed producer makes the sink drop without throwing.
#include <cstdio>
#include <cstdlib>
#include <memory>

#include <spdlog/spdlog.h>

#include "lts_spdlog.hpp"

static int failed = 0, passed = 0;
#define CHECK(c) ((c) ? (void)passed++ : (void)(failed++, std::fprintf(stderr, "FAILED %s:%d: %s\n", __FILE__, __LINE__, #c)))

int main() {
    const char *endpoint = std::getenv("LTS_ENDPOINT");
    if (!endpoint) return 2;
    lts::ClientConfig cfg(endpoint, "lts-local-ak", "lts-local-sk", "proj");
    lts::ProducerConfig pc;
    pc.linger_ms(600000);  // only flush or close can send these
    lts::Producer producer(pc);
    producer.add_client(cfg);
    producer.start();
    auto sink = std::make_shared<lts::spdlog_sink_mt>(producer, "proj", "unit-spdlog",
                                                       std::vector<std::pair<std::string, std::string>>{{"service", "orders"}});
    spdlog::logger orders("orders", sink);
    spdlog::logger billing("billing", sink);
    orders.set_level(spdlog::level::debug);
    orders.info("paid {}", 42);
    SPDLOG_LOGGER_WARN(&billing, "invoice {} late", 7);
    orders.debug("a debug line");
    orders.flush();  // sends now, and the sink keeps working
    orders.error("after flush");
    producer.safe_close();
    lts_producer_stats st = producer.stats();
    CHECK(st.logs_accepted == 4 && st.logs_sent == 4 && st.buffered_bytes == 0);
    orders.info("after close");  // refused by the closed producer: dropped, not thrown
    CHECK(sink->dropped() == 1);
    std::printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 ? 0 : 1;
}
