// A C++ program as a user of the installed library writes it: lts.hpp, a producer, records
// and items, safe_close, and the counters. Exits 0 only if every log was sent and accounted.
#include <lts.hpp>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

int main() {
    const char *endpoint = std::getenv("LTS_ENDPOINT");
    if (!endpoint) {
        std::fprintf(stderr, "set LTS_ENDPOINT (lts-local -- %s does)\n", "producer_cpp");
        return 2;
    }
    try {
        lts::ClientConfig cfg(endpoint, "lts-local-ak", "lts-local-sk", "install-project");
        lts::ProducerConfig pc;
        pc.linger_ms(100);
        lts::Producer producer(pc);
        producer.add_client(cfg);
        producer.start();
        std::atomic<int> ok{0};
        for (int i = 0; i < 20; i++) {
            std::string line = "request " + std::to_string(i);
            producer.send("install-project", "cpp-unit", lts::now_ns(), line, {{"seq", i}, {"lang", "c++"}}, {},
                          [&ok](const lts::SendResult &r) {
                              if (r.ok()) ok++;
                          });
        }
        producer.safe_close();
        lts_producer_stats st = producer.stats();
        std::printf("C++: %d of 20 sends succeeded; logs_sent %llu\n", ok.load(), (unsigned long long)st.logs_sent);
        bool balanced = st.logs_accepted == st.logs_sent + st.logs_failed && st.buffered_bytes == 0;
        return ok.load() == 20 && st.logs_sent == 20 && balanced ? 0 : 1;
    } catch (const lts::Error &e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
}
