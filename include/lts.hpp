// lts.hpp — C++17 RAII wrapper over liblts (header-only; link with -llts).
//
// Every failing call throws lts::Error carrying the lts_result code, its name and the
// library's message (and, for put_logs refused by the service, the service's answer).
//
// The fast way to log is the record form: Producer::send(project, unit, timestamp, message,
// {{"key", value}, ...}, {labels...}) and Client::put with the same arguments. Fields are
// std::string_view / integer / double views of your own data, encoded straight from it during
// the call (nothing is built field by field, nothing is kept after the call). LogItem is the
// item-by-item form of the seed SDK.
// Ownership follows C++ value semantics: objects are movable, not copyable, and free their
// handle in the destructor. Thread safety is that of the C API (include/lts.h): Client and
// Producer may be shared between threads; LogItem and configs are used by one at a time.
#ifndef LTS_HPP
#define LTS_HPP

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "lts.h"

namespace lts {

/// The service's answer to a request.
struct Response {
    int32_t status_code = -1;
    std::string message;
    std::string error;
};

/// A failed call: code (LTS_ERR_*), its name, the library's detail, and the service's answer
/// when it gave one.
class Error : public std::runtime_error {
public:
    Error(lts_result code, const std::string &message, std::optional<Response> response = std::nullopt)
        : std::runtime_error(std::string(lts_result_name(code)) + ": " + message),
          code_(code), response_(std::move(response)) {}
    lts_result code() const noexcept { return code_; }
    const char *name() const noexcept { return lts_result_name(code_); }
    const std::optional<Response> &response() const noexcept { return response_; }

private:
    lts_result code_;
    std::optional<Response> response_;
};

namespace detail {
/// A `char *` the library handed over, as a std::string (freed); throws for NULL.
inline std::string take(char *s) {
    if (!s) throw Error(LTS_ERR_INVALID_ARGUMENT, lts_last_error_message());
    std::string out(s);
    lts_string_free(s);
    return out;
}

inline void check(lts_result r) {
    if (r != LTS_OK) throw Error(r, lts_last_error_message());
}

/// Owns one C handle and frees it with `Free`.
template <typename T, void (*Free)(T *)>
class Handle {
public:
    Handle() = default;
    explicit Handle(T *h) : h_(h) {}
    Handle(const Handle &) = delete;
    Handle &operator=(const Handle &) = delete;
    Handle(Handle &&o) noexcept : h_(std::exchange(o.h_, nullptr)) {}
    Handle &operator=(Handle &&o) noexcept {
        if (this != &o) {
            reset();
            h_ = std::exchange(o.h_, nullptr);
        }
        return *this;
    }
    ~Handle() { reset(); }
    void reset() noexcept {
        if (h_) Free(h_);
        h_ = nullptr;
    }
    T *get() const noexcept { return h_; }
    T **out() noexcept {
        reset();
        return &h_;
    }

private:
    T *h_ = nullptr;
};
}  // namespace detail

/// One log: timestamp (ns) and origin message are required; contents and labels optional.
class LogItem {
public:
    LogItem() { detail::check(lts_log_item_new(h_.out())); }
    LogItem &timestamp_ns(int64_t ns) { detail::check(lts_log_item_set_timestamp_ns(h_.get(), ns)); return *this; }
    LogItem &origin_msg(const std::string &m) { detail::check(lts_log_item_set_origin_msg(h_.get(), m.c_str())); return *this; }
    LogItem &content(const std::string &k, const std::string &v) {
        detail::check(lts_log_item_push_content_str(h_.get(), k.c_str(), v.c_str()));
        return *this;
    }
    LogItem &content(const std::string &k, const char *v) { return content(k, std::string(v)); }
    template <typename I, std::enable_if_t<std::is_integral_v<I>, int> = 0>
    LogItem &content(const std::string &k, I v) {
        detail::check(lts_log_item_push_content_i64(h_.get(), k.c_str(), static_cast<int64_t>(v)));
        return *this;
    }
    LogItem &content(const std::string &k, double v) {
        detail::check(lts_log_item_push_content_f64(h_.get(), k.c_str(), v));
        return *this;
    }
    LogItem &label(const std::string &k, const std::string &v) {
        detail::check(lts_log_item_push_label_str(h_.get(), k.c_str(), v.c_str()));
        return *this;
    }
    LogItem &label(const std::string &k, const char *v) { return label(k, std::string(v)); }
    template <typename I, std::enable_if_t<std::is_integral_v<I>, int> = 0>
    LogItem &label(const std::string &k, I v) {
        detail::check(lts_log_item_push_label_i64(h_.get(), k.c_str(), static_cast<int64_t>(v)));
        return *this;
    }
    LogItem &label(const std::string &k, double v) {
        detail::check(lts_log_item_push_label_f64(h_.get(), k.c_str(), v));
        return *this;
    }
    const lts_log_item *get() const noexcept { return h_.get(); }

private:
    detail::Handle<lts_log_item, lts_log_item_free> h_;
};

/// A content or label of a log, viewing your data: a key and a string, integer or double.
/// Layout-identical to lts_field (an array of Field is an array of lts_field). Views only:
/// the key and string must stay valid until the call they are passed to returns.
class Field {
public:
    Field(std::string_view key, std::string_view value) noexcept : f_(make(key)) {
        f_.type = LTS_FIELD_STR;
        f_.str = value.data();
        f_.str_len = value.size();
    }
    Field(std::string_view key, const char *value) noexcept : Field(key, std::string_view(value)) {}
    Field(std::string_view key, const std::string &value) noexcept : Field(key, std::string_view(value)) {}
    template <typename I, std::enable_if_t<std::is_integral_v<I> && !std::is_same_v<I, bool>, int> = 0>
    Field(std::string_view key, I value) noexcept : f_(make(key)) {
        f_.type = LTS_FIELD_I64;
        f_.i64 = static_cast<int64_t>(value);
    }
    Field(std::string_view key, double value) noexcept : f_(make(key)) {
        f_.type = LTS_FIELD_F64;
        f_.f64 = value;
    }
    const lts_field &c_field() const noexcept { return f_; }

private:
    static lts_field make(std::string_view key) noexcept {
        lts_field f{};
        f.key = key.data();
        f.key_len = key.size();
        return f;
    }
    lts_field f_;
};
static_assert(sizeof(Field) == sizeof(lts_field) && std::is_standard_layout_v<Field>,
              "a Field array is passed to C as an lts_field array");

/// One log of a multi-record send: views of your data (see Field), valid until the call
/// they are passed to returns.
struct Record {
    int64_t timestamp_ns = 0;
    std::string_view message;
    const Field *contents = nullptr;
    size_t contents_len = 0;
    const Field *labels = nullptr;
    size_t labels_len = 0;
};

namespace detail {
inline lts_record c_record(int64_t ts, std::string_view msg, const Field *c, size_t nc, const Field *l,
                           size_t nl) noexcept {
    lts_record r{};
    r.timestamp_ns = ts;
    r.msg = msg.data();
    r.msg_len = msg.size();
    r.contents = nc ? &c->c_field() : nullptr;
    r.contents_len = nc;
    r.labels = nl ? &l->c_field() : nullptr;
    r.labels_len = nl;
    return r;
}

inline std::vector<lts_record> c_records(const Record *records, size_t n) {
    std::vector<lts_record> out;
    out.reserve(n);
    for (size_t i = 0; i < n; i++) {
        const Record &r = records[i];
        out.push_back(c_record(r.timestamp_ns, r.message, r.contents, r.contents_len, r.labels, r.labels_len));
    }
    return out;
}

inline std::vector<const lts_log_item *> pointers(const std::vector<LogItem> &items) {
    std::vector<const lts_log_item *> p;
    p.reserve(items.size());
    for (const auto &i : items) p.push_back(i.get());
    return p;
}
}  // namespace detail

/// The seed SDK's ClientConfig. Defaults: timeout 30 s, lz4, 3 retries, token auth.
class ClientConfig {
public:
    ClientConfig(const std::string &endpoint, const std::string &access_key, const std::string &secret_key,
                 const std::string &log_project) {
        detail::check(lts_client_config_new(endpoint.c_str(), access_key.c_str(), secret_key.c_str(),
                                            log_project.c_str(), h_.out()));
    }
    ClientConfig &request_timeout_ms(uint32_t ms) { detail::check(lts_client_config_set_request_timeout_ms(h_.get(), ms)); return *this; }
    ClientConfig &compress_type(const std::string &t) { detail::check(lts_client_config_set_compress_type(h_.get(), t.c_str())); return *this; }
    ClientConfig &user_agent(const std::string &ua) { detail::check(lts_client_config_set_user_agent(h_.get(), ua.c_str())); return *this; }
    ClientConfig &retries(uint32_t n) { detail::check(lts_client_config_set_retries(h_.get(), n)); return *this; }
    ClientConfig &no_retry_status_code(int32_t s) { detail::check(lts_client_config_add_no_retry_status_code(h_.get(), s)); return *this; }
    ClientConfig &auth_mode(uint32_t m) { detail::check(lts_client_config_set_auth_mode(h_.get(), m)); return *this; }
    ClientConfig &profile(const std::string &k, const std::string &v) {
        detail::check(lts_client_config_set_profile(h_.get(), k.c_str(), v.c_str()));
        return *this;
    }
    ClientConfig &allow_plain_http(bool allow) { detail::check(lts_client_config_set_allow_plain_http(h_.get(), allow)); return *this; }
    ClientConfig &ca_file(const std::string &path) { detail::check(lts_client_config_set_ca_file(h_.get(), path.c_str())); return *this; }
    ClientConfig &ca_pem(const std::string &pem) { detail::check(lts_client_config_set_ca_pem(h_.get(), pem.c_str())); return *this; }
    /// Any option by its CONFIGURATION.md key; throws lts::Error naming a bad key or value.
    ClientConfig &set(const std::string &key, const std::string &value) {
        detail::check(lts_client_config_set(h_.get(), key.c_str(), value.c_str()));
        return *this;
    }
    /// An option's value as lts_client_config_set takes it.
    std::string get(const std::string &key) const { return detail::take(lts_client_config_get(h_.get(), key.c_str())); }
    const lts_client_config *get() const noexcept { return h_.get(); }

private:
    detail::Handle<lts_client_config, lts_client_config_free> h_;
};

/// The seed SDK's LogClient: put_logs sends now and waits for the answer.
class Client {
public:
    /// Fetches the token (token auth mode): may block and throw LTS_ERR_AUTH / NETWORK.
    explicit Client(const ClientConfig &c) { detail::check(lts_client_new(c.get(), h_.out())); }

    /// Returns the answer when statusCode is 0; otherwise throws (with the answer if any).
    Response put_logs(const std::string &project, const std::string &unit, const std::vector<LogItem> &items) {
        auto ptrs = detail::pointers(items);
        detail::Handle<lts_response, lts_response_free> resp;
        lts_result r = lts_put_logs(h_.get(), project.c_str(), unit.c_str(), ptrs.data(), ptrs.size(), resp.out());
        std::optional<Response> answer;
        if (resp.get()) {
            answer = Response{lts_response_status_code(resp.get()), lts_response_message(resp.get()),
                              lts_response_error(resp.get())};
        }
        if (r != LTS_OK) throw Error(r, lts_last_error_message(), answer);
        return *answer;
    }

    /// One log in the record form (see Field): sends now and waits, as put_logs.
    Response put(const std::string &project, const std::string &unit, int64_t timestamp_ns,
                 std::string_view message, std::initializer_list<Field> contents = {},
                 std::initializer_list<Field> labels = {}) {
        lts_record r = detail::c_record(timestamp_ns, message, contents.begin(), contents.size(), labels.begin(),
                                        labels.size());
        return put_c(project, unit, &r, 1);
    }

    /// Several logs in the record form.
    Response put(const std::string &project, const std::string &unit, const std::vector<Record> &records) {
        auto c = detail::c_records(records.data(), records.size());
        return put_c(project, unit, c.data(), c.size());
    }

private:
    Response put_c(const std::string &project, const std::string &unit, const lts_record *r, size_t n) {
        detail::Handle<lts_response, lts_response_free> resp;
        lts_result code = lts_put_records(h_.get(), project.c_str(), unit.c_str(), r, n, resp.out());
        std::optional<Response> answer;
        if (resp.get()) {
            answer = Response{lts_response_status_code(resp.get()), lts_response_message(resp.get()),
                              lts_response_error(resp.get())};
        }
        if (code != LTS_OK) throw Error(code, lts_last_error_message(), answer);
        return *answer;
    }

    detail::Handle<lts_client, lts_client_free> h_;
};

/// The outcome of one send, copied out of the callback's result.
struct SendResult {
    lts_result code = LTS_OK;
    int32_t status_code = -1;
    std::string error;
    std::string message;
    size_t log_count = 0;
    uint32_t attempts = 0;
    bool ok() const noexcept { return code == LTS_OK; }
};

/// The seed SDK's ProducerConfig.
class ProducerConfig {
public:
    ProducerConfig() { detail::check(lts_producer_config_new(h_.out())); }
    ProducerConfig &batch_size_bytes(size_t b) { detail::check(lts_producer_config_set_batch_size_bytes(h_.get(), b)); return *this; }
    ProducerConfig &batch_count(uint32_t n) { detail::check(lts_producer_config_set_batch_count(h_.get(), n)); return *this; }
    ProducerConfig &linger_ms(uint32_t ms) { detail::check(lts_producer_config_set_linger_ms(h_.get(), ms)); return *this; }
    ProducerConfig &worker_count(uint32_t n) { detail::check(lts_producer_config_set_worker_count(h_.get(), n)); return *this; }
    ProducerConfig &buffer_bytes(size_t b) { detail::check(lts_producer_config_set_buffer_bytes(h_.get(), b)); return *this; }
    ProducerConfig &max_block_ms(uint32_t ms) { detail::check(lts_producer_config_set_max_block_ms(h_.get(), ms)); return *this; }
    ProducerConfig &callback_mode(uint32_t m) { detail::check(lts_producer_config_set_callback_mode(h_.get(), m)); return *this; }
    ProducerConfig &delivery_timeout_ms(uint32_t ms) { detail::check(lts_producer_config_set_delivery_timeout_ms(h_.get(), ms)); return *this; }
    /// The former name of journal_dir (the same setting).
    ProducerConfig &spill_dir(const std::string &dir) { detail::check(lts_producer_config_set_spill_dir(h_.get(), dir.c_str())); return *this; }
    /// A directory the producer owns where each accepted send is kept until reported, so a crash
    /// of the process loses none (lts_producer_config_set_journal_dir in lts.h).
    ProducerConfig &journal_dir(const std::string &dir) { detail::check(lts_producer_config_set_journal_dir(h_.get(), dir.c_str())); return *this; }
    ProducerConfig &journal_max_bytes(uint64_t b) { return set("journal_max_bytes", std::to_string(b)); }
    ProducerConfig &journal_segment_bytes(size_t b) { return set("journal_segment_bytes", std::to_string(b)); }
    ProducerConfig &journal_sync_ms(uint32_t ms) { return set("journal_sync_ms", std::to_string(ms)); }
    ProducerConfig &journal_max_age_ms(uint32_t ms) { return set("journal_max_age_ms", std::to_string(ms)); }
    ProducerConfig &stats_interval_ms(uint32_t ms) { return set("stats_interval_ms", std::to_string(ms)); }
    /// Per-unit stats entries kept for units with nothing buffered (1000).
    ProducerConfig &idle_units_max(uint32_t n) { return set("idle_units_max", std::to_string(n)); }
    /// Called with the stats as JSON (what Producer::stats_json gives) every
    /// stats_interval_ms, where callbacks run. Exceptions it throws are dropped.
    ProducerConfig &stats_callback(std::function<void(std::string_view json)> cb) {
        stats_cb_ = cb ? std::make_shared<std::function<void(std::string_view)>>(std::move(cb)) : nullptr;
        detail::check(lts_producer_config_set_stats_callback(h_.get(), stats_cb_ ? &ProducerConfig::stats_trampoline : nullptr,
                                                             stats_cb_.get()));
        return *this;
    }
    /// Any option by its CONFIGURATION.md key; throws lts::Error naming a bad key or value.
    ProducerConfig &set(const std::string &key, const std::string &value) {
        detail::check(lts_producer_config_set(h_.get(), key.c_str(), value.c_str()));
        return *this;
    }
    std::string get(const std::string &key) const { return detail::take(lts_producer_config_get(h_.get(), key.c_str())); }
    const lts_producer_config *get() const noexcept { return h_.get(); }

private:
    friend class Producer;
    static void stats_trampoline(void *user_data, const char *json) noexcept {
        try {
            (*static_cast<std::function<void(std::string_view)> *>(user_data))(json);
        } catch (...) {
        }
    }

    detail::Handle<lts_producer_config, lts_producer_config_free> h_;
    // Shared with the producers made from this config, which keep it alive until they close.
    std::shared_ptr<std::function<void(std::string_view)>> stats_cb_;
};

/// The asynchronous producer. Destroying it closes it with timeout 0 (unsent logs get their
/// callbacks with LTS_ERR_CLOSED); call safe_close() first to deliver everything.
class Producer {
public:
    using Callback = std::function<void(const SendResult &)>;

    explicit Producer(const ProducerConfig &c) : stats_cb_(c.stats_cb_) {
        detail::check(lts_producer_new(c.get(), h_.out()));
    }
    void add_client(const ClientConfig &c) { detail::check(lts_producer_add_client(h_.get(), c.get())); }
    void start() { detail::check(lts_producer_start(h_.get())); }

    /// Queues logs and returns at once; `cb` (optional) runs exactly once if this returns.
    /// Exceptions thrown by `cb` are caught and dropped: they must not unwind into C.
    void send(const std::string &project, const std::string &unit, const std::vector<LogItem> &items,
              Callback cb = {}) {
        auto ptrs = detail::pointers(items);
        std::unique_ptr<Callback> owned = cb ? std::make_unique<Callback>(std::move(cb)) : nullptr;
        lts_result r = lts_producer_send(h_.get(), project.c_str(), unit.c_str(), ptrs.data(), ptrs.size(),
                                         owned ? &Producer::trampoline : nullptr, owned.get());
        detail::check(r);
        owned.release();  // the trampoline owns it now: it runs exactly once
    }

    /// One log in the record form (the fast way; see Field): queues it and returns at once.
    /// `cb` (optional) runs exactly once if this returns.
    void send(const std::string &project, const std::string &unit, int64_t timestamp_ns, std::string_view message,
              std::initializer_list<Field> contents, std::initializer_list<Field> labels = {},
              Callback cb = {}) {
        lts_record r = detail::c_record(timestamp_ns, message, contents.begin(), contents.size(), labels.begin(),
                                        labels.size());
        send_c(project, unit, &r, 1, std::move(cb));
    }

    /// One log in the record form, its fields in your own arrays (see Record): queues it and
    /// returns at once, with no allocation. `cb` (optional) runs exactly once if this returns.
    void send(const std::string &project, const std::string &unit, const Record &r, Callback cb = {}) {
        lts_record c = detail::c_record(r.timestamp_ns, r.message, r.contents, r.contents_len, r.labels, r.labels_len);
        send_c(project, unit, &c, 1, std::move(cb));
    }

    /// Several logs in the record form, travelling in one batch.
    void send(const std::string &project, const std::string &unit, const std::vector<Record> &records,
              Callback cb = {}) {
        auto c = detail::c_records(records.data(), records.size());
        send_c(project, unit, c.data(), c.size(), std::move(cb));
    }

    /// Poll mode: runs up to `max` ready callbacks here; returns how many ran.
    size_t poll(size_t max, uint32_t timeout_ms) {
        size_t served = 0;
        detail::check(lts_producer_poll(h_.get(), max, timeout_ms, &served));
        return served;
    }

    /// Hands open batches to the senders now; does not wait for delivery.
    void flush() { detail::check(lts_producer_flush(h_.get())); }

    void safe_close() { detail::check(lts_producer_safe_close(h_.get())); }

    /// True if everything was delivered in time; false if it timed out (the rest got their
    /// callbacks with LTS_ERR_CLOSED).
    bool close(uint32_t timeout_ms) {
        lts_result r = lts_producer_close(h_.get(), timeout_ms);
        if (r == LTS_ERR_TIMEOUT) return false;
        detail::check(r);
        return true;
    }

    lts_producer_stats stats() const {
        lts_producer_stats s{};
        s.struct_size = sizeof s;
        detail::check(lts_producer_get_stats(h_.get(), &s));
        return s;
    }

    /// Everything the producer counts, as JSON (lts_producer_stats_json): the counters of
    /// stats() plus retries_by_reason, token_renewals, units and last_error.
    std::string stats_json() const { return detail::take(lts_producer_stats_json(h_.get())); }

private:
    void send_c(const std::string &project, const std::string &unit, const lts_record *r, size_t n, Callback cb) {
        std::unique_ptr<Callback> owned = cb ? std::make_unique<Callback>(std::move(cb)) : nullptr;
        lts_result code = lts_producer_send_records(h_.get(), project.c_str(), unit.c_str(), r, n,
                                                    owned ? &Producer::trampoline : nullptr, owned.get());
        detail::check(code);
        owned.release();  // the trampoline owns it now: it runs exactly once
    }

    static void trampoline(void *user_data, const lts_send_result *r) noexcept {
        std::unique_ptr<Callback> cb(static_cast<Callback *>(user_data));
        try {
            SendResult s;
            s.code = lts_send_result_code(r);
            s.status_code = lts_send_result_status_code(r);
            s.error = lts_send_result_error(r);
            s.message = lts_send_result_message(r);
            s.log_count = lts_send_result_log_count(r);
            s.attempts = lts_send_result_attempts(r);
            (*cb)(s);
        } catch (...) {
        }
    }

    // Declared before h_, so it outlives the producer's close (in h_'s destructor).
    std::shared_ptr<std::function<void(std::string_view)>> stats_cb_;
    detail::Handle<lts_producer, lts_producer_free> h_;
};

/// Where liblts's log lines go: `handler(level, message)` (LTS_LOG_ERROR ... LTS_LOG_DEBUG),
/// or an empty function for liblts's own stderr lines. The handler runs on liblts's threads
/// (see lts_log_callback) and must be thread-safe; exceptions it throws are dropped. When this
/// returns, the previous handler is no longer running anywhere.
inline void set_log_handler(std::function<void(int level, std::string_view message)> handler) {
    using Handler = std::function<void(int, std::string_view)>;
    struct Hook {
        static void call(void *user_data, int32_t level, const char *message) noexcept {
            try {
                (*static_cast<Handler *>(user_data))(level, message);
            } catch (...) {
            }
        }
    };
    static std::mutex mu;
    static Handler *current = nullptr;
    std::lock_guard<std::mutex> lock(mu);
    Handler *next = handler ? new Handler(std::move(handler)) : nullptr;
    lts_set_log_callback(next ? &Hook::call : nullptr, next);
    delete current;  // lts_set_log_callback waited for its calls to end
    current = next;
}

/// Drops lines above `level` (LTS_LOG_WARN by default); LTS_LOG_OFF silences liblts.
inline void set_log_level(int level) { lts_set_log_level(level); }

/// The current time in ns since the epoch (get_current_timestamp).
inline int64_t now_ns() { return lts_now_ns(); }

}  // namespace lts

#endif  // LTS_HPP
