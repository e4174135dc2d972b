// Generated from include/lts.h by scripts/gen_php_decls.py. Do not edit.
typedef struct lts_client lts_client;
typedef struct lts_client_config lts_client_config;
typedef struct lts_log_item lts_log_item;
typedef struct lts_producer lts_producer;
typedef struct lts_producer_config lts_producer_config;
typedef struct lts_response lts_response;
typedef struct lts_send_result lts_send_result;
typedef int32_t lts_result;
typedef struct lts_field {
  const char *key;
  size_t key_len;
  int32_t type;
  const char *str;
  size_t str_len;
  int64_t i64;
  double f64;
} lts_field;
typedef struct lts_record {
  int64_t timestamp_ns;
  const char *msg;
  size_t msg_len;
  const struct lts_field *contents;
  size_t contents_len;
  const struct lts_field *labels;
  size_t labels_len;
} lts_record;
typedef void (*lts_log_callback)(void *user_data, int32_t level, const char *message);
typedef void (*lts_send_callback)(void *user_data, const struct lts_send_result *result);
typedef struct lts_producer_stats {
  uint32_t struct_size;
  uint64_t logs_accepted;
  uint64_t logs_sent;
  uint64_t logs_failed;
  uint64_t logs_refused;
  uint64_t bytes_accepted;
  uint64_t bytes_sent;
  uint64_t buffered_bytes;
  uint64_t inflight_batches;
  uint64_t retries;
  uint64_t journal_bytes;
  uint64_t journal_recovered_batches;
  uint64_t journal_recovered_logs;
  uint64_t journal_damaged_records;
  uint64_t journal_expired_batches;
  uint64_t journal_errors;
} lts_producer_stats;
typedef void (*lts_stats_callback)(void *user_data, const char *json);
lts_result lts_client_new(const struct lts_client_config *config, struct lts_client **out);
void lts_client_free(struct lts_client *client);
lts_result lts_put_logs(struct lts_client *client,
                        const char *log_project,
                        const char *log_unit,
                        const struct lts_log_item *const *items,
                        size_t count,
                        struct lts_response **out);
lts_result lts_put_logs_packed(struct lts_client *client,
                               const char *log_project,
                               const char *log_unit,
                               const char *buf,
                               size_t len,
                               size_t count,
                               struct lts_response **out);
lts_result lts_put_records(struct lts_client *client,
                           const char *log_project,
                           const char *log_unit,
                           const struct lts_record *records,
                           size_t count,
                           struct lts_response **out);
lts_result lts_client_config_new(const char *endpoint,
                                 const char *access_key,
                                 const char *secret_key,
                                 const char *log_project,
                                 struct lts_client_config **out);
lts_result lts_client_config_set_request_timeout_ms(struct lts_client_config *c,
                                                    uint32_t ms);
lts_result lts_client_config_set_compress_type(struct lts_client_config *c,
                                               const char *compress_type);
lts_result lts_client_config_set_user_agent(struct lts_client_config *c, const char *user_agent);
lts_result lts_client_config_set_retries(struct lts_client_config *c, uint32_t retries);
lts_result lts_client_config_add_no_retry_status_code(struct lts_client_config *c,
                                                      int32_t http_status);
lts_result lts_client_config_set_auth_mode(struct lts_client_config *c, uint32_t mode);
lts_result lts_client_config_set_profile(struct lts_client_config *c,
                                         const char *key,
                                         const char *value);
lts_result lts_client_config_set_ca_file(struct lts_client_config *c, const char *path);
lts_result lts_client_config_set_ca_pem(struct lts_client_config *c, const char *pem);
lts_result lts_client_config_set_allow_plain_http(struct lts_client_config *c, bool allow);
void lts_client_config_free(struct lts_client_config *c);
const char *lts_result_name(lts_result r);
const char *lts_last_error_message(void);
void lts_set_log_callback(lts_log_callback cb, void *user_data);
void lts_set_log_level(int32_t level);
lts_result lts_log_item_new(struct lts_log_item **out);
lts_result lts_log_item_set_timestamp_ns(struct lts_log_item *item, int64_t ns);
lts_result lts_log_item_set_origin_msg(struct lts_log_item *item, const char *msg);
lts_result lts_log_item_push_content_str(struct lts_log_item *item,
                                         const char *key,
                                         const char *value);
lts_result lts_log_item_push_content_i64(struct lts_log_item *item, const char *key, int64_t value);
lts_result lts_log_item_push_content_f64(struct lts_log_item *item, const char *key, double value);
lts_result lts_log_item_push_label_str(struct lts_log_item *item,
                                       const char *key,
                                       const char *value);
lts_result lts_log_item_push_label_i64(struct lts_log_item *item, const char *key, int64_t value);
lts_result lts_log_item_push_label_f64(struct lts_log_item *item, const char *key, double value);
lts_result lts_check_key(const char *key, bool is_label);
void lts_log_item_free(struct lts_log_item *item);
lts_result lts_producer_send_packed_on_failure(struct lts_producer *p,
                                               const char *log_project,
                                               const char *log_unit,
                                               const char *buf,
                                               size_t len,
                                               size_t count,
                                               lts_send_callback callback,
                                               void *user_data);
lts_result lts_client_config_set(struct lts_client_config *c, const char *key, const char *value);
char *lts_client_config_get(const struct lts_client_config *c, const char *key);
lts_result lts_producer_config_set(struct lts_producer_config *c,
                                   const char *key,
                                   const char *value);
char *lts_producer_config_get(const struct lts_producer_config *c, const char *key);
const char *lts_config_schema(void);
lts_result lts_producer_new(const struct lts_producer_config *config, struct lts_producer **out);
lts_result lts_producer_add_client(struct lts_producer *p, const struct lts_client_config *c);
lts_result lts_producer_start(struct lts_producer *p);
lts_result lts_producer_send(struct lts_producer *p,
                             const char *log_project,
                             const char *log_unit,
                             const struct lts_log_item *const *items,
                             size_t count,
                             lts_send_callback callback,
                             void *user_data);
lts_result lts_producer_send_records(struct lts_producer *p,
                                     const char *log_project,
                                     const char *log_unit,
                                     const struct lts_record *records,
                                     size_t count,
                                     lts_send_callback callback,
                                     void *user_data);
lts_result lts_producer_send_packed(struct lts_producer *p,
                                    const char *log_project,
                                    const char *log_unit,
                                    const char *buf,
                                    size_t len,
                                    size_t count,
                                    lts_send_callback callback,
                                    void *user_data);
lts_result lts_producer_resend_raw(struct lts_producer *p,
                                   const char *log_project,
                                   const char *log_unit,
                                   const char *batch_id,
                                   const char *data,
                                   size_t len,
                                   lts_send_callback callback,
                                   void *user_data);
lts_result lts_producer_poll(struct lts_producer *p,
                             size_t max,
                             uint32_t timeout_ms,
                             size_t *out_served);
lts_result lts_producer_get_stats(const struct lts_producer *p, struct lts_producer_stats *out);
char *lts_producer_stats_json(const struct lts_producer *p);
lts_result lts_producer_flush(const struct lts_producer *p);
lts_result lts_producer_safe_close(struct lts_producer *p);
lts_result lts_producer_close(struct lts_producer *p, uint32_t timeout_ms);
lts_result lts_producer_after_fork(const struct lts_producer *p, struct lts_producer **out);
void lts_producer_free(struct lts_producer *p);
lts_result lts_producer_config_new(struct lts_producer_config **out);
lts_result lts_producer_config_set_batch_size_bytes(struct lts_producer_config *c, size_t bytes);
lts_result lts_producer_config_set_batch_count(struct lts_producer_config *c, uint32_t count);
lts_result lts_producer_config_set_linger_ms(struct lts_producer_config *c, uint32_t ms);
lts_result lts_producer_config_set_worker_count(struct lts_producer_config *c, uint32_t n);
lts_result lts_producer_config_set_buffer_bytes(struct lts_producer_config *c,
                                                size_t bytes);
lts_result lts_producer_config_set_max_block_ms(struct lts_producer_config *c, uint32_t ms);
lts_result lts_producer_config_set_callback_mode(struct lts_producer_config *c, uint32_t mode);
lts_result lts_producer_config_set_delivery_timeout_ms(struct lts_producer_config *c, uint32_t ms);
lts_result lts_producer_config_set_journal_dir(struct lts_producer_config *c, const char *dir);
lts_result lts_producer_config_set_spill_dir(struct lts_producer_config *c, const char *dir);
lts_result lts_producer_config_set_stats_callback(struct lts_producer_config *c,
                                                  lts_stats_callback cb,
                                                  void *user_data);
void lts_producer_config_free(struct lts_producer_config *c);
int32_t lts_response_status_code(const struct lts_response *r);
const char *lts_response_message(const struct lts_response *r);
const char *lts_response_error(const struct lts_response *r);
void lts_response_free(struct lts_response *r);
lts_result lts_send_result_code(const struct lts_send_result *r);
bool lts_send_result_ok(const struct lts_send_result *r);
int32_t lts_send_result_status_code(const struct lts_send_result *r);
const char *lts_send_result_error(const struct lts_send_result *r);
const char *lts_send_result_message(const struct lts_send_result *r);
size_t lts_send_result_log_count(const struct lts_send_result *r);
uint32_t lts_send_result_attempts(const struct lts_send_result *r);
void lts_string_free(char *s);
const char *lts_version(void);
uint32_t lts_abi_version(void);
int64_t lts_now_ns(void);
