<?php
// The CTyun Cloud Log Service (LTS) SDK for PHP 7.4 and later, on liblts through FFI.
//
// Classes mirror the official SDK: LogItem, ClientConfig, LogClient, LogResponse,
// LogException, ProducerConfig, Producer. Items are packed here and validated, encoded and
// sent by liblts. The producer runs in poll mode: PHP must never be entered from a foreign
// thread, so callbacks run only inside poll(), safe_close() and close(), on PHP's thread.

namespace Lts;

require_once __DIR__ . '/Constants.php';

final class Native
{
    private static ?\FFI $ffi = null;

    public static function ffi(): \FFI
    {
        if (self::$ffi === null) {
            $decls = file_get_contents(__DIR__ . '/../lts_ffi.h')
                // PHP glue, not part of liblts: a closure assigned to a struct field gets a C
                // thunk that lives as long as the struct (see Producer).
                . "\ntypedef struct { lts_send_callback fn; } lts_php_callback_holder;\n"
                . "typedef struct { lts_stats_callback fn; } lts_php_stats_holder;\n"
                . "typedef struct { lts_log_callback fn; } lts_php_log_holder;\n";
            $given = getenv('LTS_LIBRARY_PATH');
            $path = $given ?: 'liblts.so.0';
            if (is_dir($path)) {
                $path .= '/liblts.so';
            }
            try {
                $ffi = \FFI::cdef($decls, $path);
            } catch (\FFI\Exception $e) {
                throw new \RuntimeException(self::notFound($given, $path), 0, $e);
            }
            if ($ffi->lts_abi_version() !== Constants::LTS_ABI_VERSION) {
                throw new \RuntimeException("liblts at $path has ABI " . $ffi->lts_abi_version());
            }
            self::$ffi = $ffi;
            Log::install();
        }
        return self::$ffi;
    }

    /** What was tried, and how to point the binding at liblts.
     * @param string|false $given */
    private static function notFound($given, string $path): string
    {
        $tried = $given
            ? "$path (from LTS_LIBRARY_PATH)"
            : "$path through the system loader (LD_LIBRARY_PATH="
                . (getenv('LD_LIBRARY_PATH') ?: '(unset)') . ', then the ldconfig cache and /lib, /usr/lib)';
        $exists = $given && !file_exists($path) ? '; that file does not exist' : '';
        return "liblts could not be loaded: tried $tried$exists. Install it (make install, then ldconfig"
            . " for a system prefix) or set LTS_LIBRARY_PATH to liblts.so or the folder holding it.";
    }

    /** A `char *` liblts handed over, as a string (freed); null for NULL. */
    public static function take(?\FFI\CData $p): ?string
    {
        if ($p === null || \FFI::isNull($p)) {
            return null;
        }
        $s = \FFI::string($p);
        self::ffi()->lts_string_free($p);
        return $s;
    }

    /** liblts's option table (lts_config_schema), decoded. */
    public static function schema(): array
    {
        return json_decode(self::ffi()->lts_config_schema(), true, 512, JSON_THROW_ON_ERROR);
    }

    /** Throws for a failed call, with liblts's detail of it. */
    public static function check(int $r): void
    {
        if ($r !== Constants::LTS_OK) {
            throw new LogException($r, self::ffi()->lts_last_error_message());
        }
    }
}

class LogException extends \Exception
{
    public string $name;
    public ?LogResponse $response;

    public function __construct(int $code, string $message, ?LogResponse $response = null)
    {
        $this->name = Native::ffi()->lts_result_name($code);
        $this->response = $response;
        parent::__construct($this->name . ': ' . $message, $code);
    }
}

class LogResponse
{
    public int $status_code;
    public string $message;
    public string $error;

    public function __construct(int $status_code, string $message, string $error)
    {
        $this->status_code = $status_code;
        $this->message = $message;
        $this->error = $error;
    }

    public function body(): array
    {
        return ['statusCode' => $this->status_code, 'message' => $this->message, 'error' => $this->error];
    }

    public function log_print_body(): void
    {
        echo json_encode($this->body(), JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES), "\n";
    }
}

function get_current_timestamp(): int
{
    return Native::ffi()->lts_now_ns();
}

class LogItem
{
    private ?int $ts = null;
    private ?string $msg = null;
    /** Each kind's fields in the packed layout as they were pushed (a key pushed again has
     * its field replaced in place), by key. */
    private array $contents = [];
    private array $labels = [];
    /** Keys that passed liblts's rules, per field kind, each in its packed form (u32 length
     * and bytes): a known key is neither checked nor laid out again. */
    private static array $contentHeads = [];
    private static array $labelHeads = [];
    /** u32 lengths of short strings, packed: a lookup costs less than a pack() call. */
    private static array $lengths = [];

    /** Checks a key new to this kind and keeps its packed form. */
    private static function head(string $key, bool $label): string
    {
        Native::check(Native::ffi()->lts_check_key($key, $label));
        $head = pack('V', strlen($key)) . $key;
        if ($label) {
            if (count(self::$labelHeads) < 65536) {
                self::$labelHeads[$key] = $head;
            }
        } elseif (count(self::$contentHeads) < 65536) {
            self::$contentHeads[$key] = $head;
        }
        return $head;
    }

    private static function length(int $n): string
    {
        $packed = pack('V', $n);
        if ($n < 1024) {
            self::$lengths[$n] = $packed;
        }
        return $packed;
    }

    /** A field of a value that is not a string, int or float: booleans as "true"/"false",
     * anything else as its string. */
    private static function other(string $head, $value): string
    {
        $value = is_bool($value) ? ($value ? 'true' : 'false') : (string)$value;
        $n = strlen($value);
        $len = self::$lengths[$n] ?? self::length($n);
        return "\0$head$len$value";
    }

    // The two push_backs lay the field out in one string (strings as they are, ints, floats)
    // with the fewest PHP operations: they are most of what a log costs in PHP. They are kept
    // apart, not sharing a helper, because a call more per field costs ~22 ns, ~200 ns of a
    // 9-field log, a third of what this layout saved over building each piece apart.
    public function contents_push_back(string $key, $value): void
    {
        $head = self::$contentHeads[$key] ?? self::head($key, false);
        if (is_string($value)) {
            $n = strlen($value);
            $len = self::$lengths[$n] ?? self::length($n);
            $this->contents[$key] = "\0$head$len$value";
        } elseif (is_int($value)) {
            $this->contents[$key] = "\1$head" . pack('P', $value);
        } elseif (is_float($value)) {
            $this->contents[$key] = "\2$head" . pack('e', $value);
        } else {
            $this->contents[$key] = self::other($head, $value);
        }
    }

    public function labels_push_back(string $key, $value): void
    {
        $head = self::$labelHeads[$key] ?? self::head($key, true);
        if (is_string($value)) {
            $n = strlen($value);
            $len = self::$lengths[$n] ?? self::length($n);
            $this->labels[$key] = "\0$head$len$value";
        } elseif (is_int($value)) {
            $this->labels[$key] = "\1$head" . pack('P', $value);
        } elseif (is_float($value)) {
            $this->labels[$key] = "\2$head" . pack('e', $value);
        } else {
            $this->labels[$key] = self::other($head, $value);
        }
    }

    public function set_log_timestamp(int $ns): void { $this->ts = $ns; }
    public function set_origin_msg(string $msg): void { $this->msg = $msg; }

    public function set_contents(array $contents): void
    {
        $this->contents = [];
        foreach ($contents as $k => $v) {
            $this->contents_push_back((string)$k, $v);
        }
    }

    public function set_labels(array $labels): void
    {
        $this->labels = [];
        foreach ($labels as $k => $v) {
            $this->labels_push_back((string)$k, $v);
        }
    }

    /** This item in the packed layout (the core checks it when it is sent). */
    public function pack(): string
    {
        if ($this->ts === null || $this->msg === null) {
            throw new LogException(Constants::LTS_ERR_INVALID_VALUE,
                'log item has no ' . ($this->ts === null ? 'timestamp' : 'origin message') . ' (both are required)');
        }
        return pack('PVa*Va*Va*', $this->ts, strlen($this->msg), $this->msg, count($this->contents),
            implode('', $this->contents), count($this->labels), implode('', $this->labels));
    }

    /** @param LogItem|LogItem[] $items */
    public static function packAll($items): array
    {
        if ($items instanceof LogItem) {
            return [$items->pack(), 1];
        }
        $bytes = '';
        foreach ($items as $it) {
            $bytes .= $it->pack();
        }
        return [$bytes, count($items)];
    }
}

/**
 * Options by name, checked by liblts when set (an unknown key or a bad value throws
 * LogException LTS_ERR_INVALID_ARGUMENT naming them); the typed properties and set() both
 * end in lts_*_config_set, typed ones first, then set()'s in order.
 */
abstract class Options
{
    /** @var array<int, array{0: string, 1: string}> */
    private array $byName = [];

    abstract protected function scratch(): \FFI\CData;
    abstract protected function freeNative(\FFI\CData $c): void;
    abstract protected function setNative(\FFI\CData $c, string $key, string $value): int;
    abstract protected function getNative(\FFI\CData $c, string $key): ?\FFI\CData;
    /** @return array<int, array{0: string, 1: string}> the typed properties that are set */
    abstract public function typed(): array;

    public static function text($value): string
    {
        if (is_bool($value)) {
            return $value ? 'true' : 'false';
        }
        if (is_array($value)) {
            return implode(',', array_map('intval', $value));
        }
        return (string)$value;
    }

    /** Sets any option by its CONFIGURATION.md key. */
    public function set(string $key, $value): void
    {
        $text = self::text($value);
        $c = $this->scratch();
        try {
            Native::check($this->setNative($c, $key, $text));
        } finally {
            $this->freeNative($c);
        }
        $this->byName[] = [$key, $text];
    }

    public function apply(\FFI\CData $c): void
    {
        foreach (array_merge($this->typed(), $this->byName) as [$k, $v]) {
            Native::check($this->setNative($c, $k, $v));
        }
    }

    /** What liblts holds for $key once this config is applied (diagnostics, tests). */
    public function readBack(string $key): string
    {
        $c = $this->nativeForReadBack();
        try {
            $v = Native::take($this->getNative($c, $key));
            if ($v === null) {
                Native::check(Constants::LTS_ERR_INVALID_ARGUMENT);
            }
            return $v;
        } finally {
            $this->freeNative($c);
        }
    }

    protected function nativeForReadBack(): \FFI\CData
    {
        $c = $this->scratch();
        $this->apply($c);
        return $c;
    }

    protected static function add(array &$o, string $key, $value): void
    {
        if ($value !== null) {
            $o[] = [$key, self::text($value)];
        }
    }
}

/** The official SDK's ClientConfig, with a property for every client option of the core
 * (CONFIGURATION.md; null: liblts's default), $profile for the protocol-profile keys, and
 * set() for any key by name. $request_timeout is in seconds, as in the official SDK. */
class ClientConfig extends Options
{
    public int $request_timeout = 30;
    public string $compress_type = 'lz4';
    public string $user_agent = 'lts-sdk-php/0.1.0';
    public int $retries = 3;
    public array $no_retry_status_code = [];
    public ?string $auth_mode = null;
    public ?bool $allow_plain_http = null;
    public ?string $ca_file = null;
    public ?string $ca_pem = null;
    /** @var array<string, string> */
    public array $profile = [];

    public string $endpoint;
    public string $access_key;
    public string $secret_key;
    public string $log_project;

    public function __construct(string $endpoint, string $access_key, string $secret_key,
                                string $log_project = '')
    {
        $this->endpoint = $endpoint;
        $this->access_key = $access_key;
        $this->secret_key = $secret_key;
        $this->log_project = $log_project;
    }

    public function typed(): array
    {
        $o = [];
        self::add($o, 'request_timeout_ms', $this->request_timeout * 1000);
        self::add($o, 'compress_type', $this->compress_type);
        self::add($o, 'user_agent', $this->user_agent);
        self::add($o, 'retries', $this->retries);
        if ($this->no_retry_status_code) {
            self::add($o, 'no_retry_status_code', $this->no_retry_status_code);
        }
        self::add($o, 'auth_mode', $this->auth_mode);
        self::add($o, 'allow_plain_http', $this->allow_plain_http);
        self::add($o, 'ca_file', $this->ca_file);
        self::add($o, 'ca_pem', $this->ca_pem);
        ksort($this->profile);
        foreach ($this->profile as $k => $v) {
            self::add($o, (string)$k, $v);
        }
        return $o;
    }

    protected function scratch(): \FFI\CData
    {
        $f = Native::ffi();
        $out = $f->new('lts_client_config*');
        Native::check($f->lts_client_config_new('http://127.0.0.1', 'ak', 'sk', '', \FFI::addr($out)));
        return $out;
    }

    protected function freeNative(\FFI\CData $c): void { Native::ffi()->lts_client_config_free($c); }
    protected function setNative(\FFI\CData $c, string $k, string $v): int { return Native::ffi()->lts_client_config_set($c, $k, $v); }
    protected function getNative(\FFI\CData $c, string $k): ?\FFI\CData { return Native::ffi()->lts_client_config_get($c, $k); }
    protected function nativeForReadBack(): \FFI\CData { return $this->native(); }

    /** A native config; the caller frees it. */
    public function native(): \FFI\CData
    {
        $f = Native::ffi();
        $out = $f->new('lts_client_config*');
        Native::check($f->lts_client_config_new($this->endpoint, $this->access_key, $this->secret_key,
            $this->log_project, \FFI::addr($out)));
        try {
            $this->apply($out);
        } catch (\Throwable $e) {
            $f->lts_client_config_free($out);
            throw $e;
        }
        return $out;
    }
}

class LogClient
{
    private ?\FFI\CData $h = null;

    public function __construct(ClientConfig $config)
    {
        $f = Native::ffi();
        $cfg = $config->native();
        try {
            $out = $f->new('lts_client*');
            Native::check($f->lts_client_new($cfg, \FFI::addr($out)));
            $this->h = $out;
        } finally {
            $f->lts_client_config_free($cfg);
        }
    }

    /** Sends now; returns the answer (an answer with an error code too); throws when there
     * was no answer or the logs were refused before sending. */
    public function put_logs(string $project, string $unit, $items): LogResponse
    {
        if ($this->h === null) {
            throw new LogException(Constants::LTS_ERR_INVALID_STATE, 'the client is closed');
        }
        $f = Native::ffi();
        [$bytes, $count] = LogItem::packAll($items);
        $resp = $f->new('lts_response*');
        $r = $f->lts_put_logs_packed($this->h, $project, $unit, $bytes, strlen($bytes), $count, \FFI::addr($resp));
        $detail = $r !== Constants::LTS_OK ? $f->lts_last_error_message() : '';
        $answer = null;
        if (!\FFI::isNull($resp)) {
            $answer = new LogResponse($f->lts_response_status_code($resp), $f->lts_response_message($resp),
                $f->lts_response_error($resp));
            $f->lts_response_free($resp);
        }
        if ($r === Constants::LTS_OK || ($r === Constants::LTS_ERR_SERVER && $answer !== null)) {
            return $answer;
        }
        throw new LogException($r, $detail, $answer);
    }

    public function close(): void
    {
        if ($this->h !== null) {
            Native::ffi()->lts_client_free($this->h);
            $this->h = null;
        }
    }

    public function __destruct() { $this->close(); }
}

/** Every producer option of the core (CONFIGURATION.md) as a property (null: the default),
 * and set() for any key by name. Callbacks always run in poll mode (PHP must never be
 * entered from another thread), so callback_mode is fixed to "poll". $stats_callback gets
 * the stats (an array) every $stats_interval_ms, inside poll() and close. */
class ProducerConfig extends Options
{
    public int $batch_size = 512 * 1024;
    public int $batch_count = 4096;
    public int $linger_ms = 2000;
    public int $worker_count = 8;
    public int $buffer_bytes = 100 * 1024 * 1024;
    public int $max_block_ms = 0;
    public ?int $delivery_timeout_ms = null;
    /** The former name of $journal_dir (the same setting). */
    public ?string $spill_dir = null;
    /** A directory the producer owns where each accepted send is kept until reported, so a
     * crash of the process loses none (lts_producer_config_set_journal_dir in lts.h). */
    public ?string $journal_dir = null;
    public ?int $journal_max_bytes = null;
    public ?int $journal_segment_bytes = null;
    public ?int $journal_sync_ms = null;
    public ?int $journal_max_age_ms = null;
    public ?int $stats_interval_ms = null;
    /** Per-unit stats entries kept for idle units (null: 1000). */
    public ?int $idle_units_max = null;
    public ?\Closure $stats_callback = null;

    public function typed(): array
    {
        $o = [];
        self::add($o, 'batch_size_bytes', $this->batch_size);
        self::add($o, 'batch_count', $this->batch_count);
        self::add($o, 'linger_ms', $this->linger_ms);
        self::add($o, 'worker_count', $this->worker_count);
        self::add($o, 'buffer_bytes', $this->buffer_bytes);
        self::add($o, 'max_block_ms', $this->max_block_ms);
        self::add($o, 'delivery_timeout_ms', $this->delivery_timeout_ms);
        self::add($o, 'spill_dir', $this->spill_dir);
        self::add($o, 'journal_dir', $this->journal_dir);
        self::add($o, 'journal_max_bytes', $this->journal_max_bytes);
        self::add($o, 'journal_segment_bytes', $this->journal_segment_bytes);
        self::add($o, 'journal_sync_ms', $this->journal_sync_ms);
        self::add($o, 'journal_max_age_ms', $this->journal_max_age_ms);
        self::add($o, 'stats_interval_ms', $this->stats_interval_ms);
        self::add($o, 'idle_units_max', $this->idle_units_max);
        self::add($o, 'callback_mode', 'poll');
        return $o;
    }

    public function set(string $key, $value): void
    {
        if ($key === 'callback_mode' && $value !== 'poll') {
            throw new LogException(Constants::LTS_ERR_INVALID_ARGUMENT,
                'the PHP binding runs callbacks in poll mode only: PHP cannot be entered from liblts\'s threads');
        }
        parent::set($key, $value);
    }

    protected function scratch(): \FFI\CData
    {
        $f = Native::ffi();
        $out = $f->new('lts_producer_config*');
        Native::check($f->lts_producer_config_new(\FFI::addr($out)));
        return $out;
    }

    protected function freeNative(\FFI\CData $c): void { Native::ffi()->lts_producer_config_free($c); }
    protected function setNative(\FFI\CData $c, string $k, string $v): int { return Native::ffi()->lts_producer_config_set($c, $k, $v); }
    protected function getNative(\FFI\CData $c, string $k): ?\FFI\CData { return Native::ffi()->lts_producer_config_get($c, $k); }
}

/**
 * liblts's log lines. By default each goes to error_log() as "liblts <level>: <message>";
 * setHandler() takes a callable(int $level, string $message) instead (null: back to
 * error_log). Lines of PHP's producers run inside poll() and close, and a client's inside
 * its call, so the handler always runs on PHP's thread.
 */
final class Log
{
    public const OFF = -1;
    public const ERROR = 3;
    public const WARN = 4;
    public const INFO = 6;
    public const DEBUG = 7;
    /** @var callable|null */
    private static $handler = null;
    private static ?\FFI\CData $holder = null;

    public static function install(): void
    {
        $f = Native::ffi();
        self::$holder = $f->new('lts_php_log_holder', false);
        self::$holder->fn = function ($userData, int $level, string $message): void {
            try {
                if (self::$handler !== null) {
                    (self::$handler)($level, $message);
                } else {
                    $name = [3 => 'error', 4 => 'warn', 6 => 'info', 7 => 'debug'][$level] ?? 'debug';
                    error_log("liblts $name: $message");
                }
            } catch (\Throwable $e) {
                // must not unwind through liblts
            }
        };
        $f->lts_set_log_callback(self::$holder->fn, null);
    }

    public static function setHandler(?callable $handler): void
    {
        Native::ffi();
        self::$handler = $handler;
    }

    /** Drops lines above $level (Log::WARN by default); Log::OFF drops all. */
    public static function setLevel(int $level): void
    {
        Native::ffi()->lts_set_log_level($level);
    }
}

class Producer
{
    private ?\FFI\CData $h = null;
    private array $callbacks = [];
    private int $next = 1;
    private \Closure $trampoline;
    private \FFI\CData $trampolinePtr;
    // Holds the stats callback's C thunk for the producer's life.
    private ?\FFI\CData $statsHolder = null;
    private ?array $finalStats = null;
    /** send_logs_on_failure's closures by object id, each with its id as a C pointer, kept
     * for the producer's life, and their one C thunk. */
    private array $onFailure = [];
    private array $onFailureData = [];
    private ?\FFI\CData $failureTrampolinePtr = null;

    public function __construct(ProducerConfig $config)
    {
        $f = Native::ffi();
        $pc = $f->new('lts_producer_config*');
        Native::check($f->lts_producer_config_new(\FFI::addr($pc)));
        try {
            $config->apply($pc);
            if ($config->stats_callback !== null) {
                $cb = $config->stats_callback;
                $this->statsHolder = $f->new('lts_php_stats_holder');
                $this->statsHolder->fn = function ($userData, string $json) use ($cb): void {
                    try {
                        $cb(json_decode($json, true));
                    } catch (\Throwable $e) {
                        // must not unwind through liblts
                    }
                };
                Native::check($f->lts_producer_config_set_stats_callback($pc, $this->statsHolder->fn, null));
            }
            $out = $f->new('lts_producer*');
            Native::check($f->lts_producer_new($pc, \FFI::addr($out)));
            $this->h = $out;
        } finally {
            $f->lts_producer_config_free($pc);
        }
        // One C-callable closure for the producer's life; each send's PHP callback is found by
        // the integer travelling as user data and dropped once it has run.
        $this->trampoline = function ($userData, $result): void {
            // The id back from the pointer: PHP 8.2's FFI crashes casting a pointer to an
            // integer type, so take the difference of two char pointers instead.
            $f = Native::ffi();
            $zero = 0;
            $id = $userData === null ? 0 : $f->cast('char*', $userData) - $f->cast('char*', $zero);
            $cb = $this->callbacks[$id] ?? null;
            unset($this->callbacks[$id]);
            if ($cb === null) {
                return;
            }
            $f = Native::ffi();
            $response = new LogResponse($f->lts_send_result_status_code($result), $f->lts_send_result_message($result),
                $f->lts_send_result_error($result));
            try {
                $cb($response, $f->lts_send_result_log_count($result), $f->lts_send_result_code($result));
            } catch (\Throwable $e) {
                // must not unwind through liblts
            }
        };
        // A closure passed straight as an argument gets a C thunk that PHP frees when that
        // call returns; bound to a function-pointer CData it lives as long as the CData,
        // which this producer keeps.
        $this->trampolinePtr = $f->new('lts_php_callback_holder');
        $this->trampolinePtr->fn = $this->trampoline;
    }

    private function handle(): \FFI\CData
    {
        if ($this->h === null) {
            throw new LogException(Constants::LTS_ERR_CLOSED, 'the producer is closed');
        }
        return $this->h;
    }

    public function build_clients(ClientConfig $config): void
    {
        $f = Native::ffi();
        $cfg = $config->native();
        try {
            Native::check($f->lts_producer_add_client($this->handle(), $cfg));
        } finally {
            $f->lts_client_config_free($cfg);
        }
    }

    public function start(): void { Native::check(Native::ffi()->lts_producer_start($this->handle())); }

    public function send_logs(string $project, string $unit, $items): void
    {
        $this->send($project, $unit, $items, null);
    }

    /** `callback(LogResponse $response, int $sendCount, int $code)` runs once, from poll()
     * or close; by default it prints the response and send count as the official SDK does. */
    public function send_logs_callback(string $project, string $unit, $items, ?callable $callback = null): void
    {
        $callback ??= function (LogResponse $r, int $n): void {
            echo 'response: ', json_encode($r->body(), JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES),
                ', send count : ', $n, "\n";
        };
        $this->send($project, $unit, $items, $callback);
    }

    private function send(string $project, string $unit, $items, ?callable $callback): void
    {
        $f = Native::ffi();
        [$bytes, $count] = LogItem::packAll($items);
        if ($callback === null) {
            // No result asked: no callback and no id to carry.
            $r = $f->lts_producer_send_packed($this->handle(), $project, $unit, $bytes, strlen($bytes), $count, null,
                null);
            if ($r !== Constants::LTS_OK) {
                Native::check($r);
            }
            return;
        }
        $id = $this->next++;
        $this->callbacks[$id] = $callback;
        $r = $f->lts_producer_send_packed($this->handle(), $project, $unit, $bytes, strlen($bytes), $count,
            $this->trampolinePtr->fn, $f->cast('void*', $id));
        if ($r !== Constants::LTS_OK) {
            unset($this->callbacks[$id]);
            Native::check($r);
        }
    }

    /**
     * For log handlers: queues logs whose result matters only if their delivery fails; then
     * `$onFailure(LogResponse $response, int $sendCount, int $code)` runs once, from poll()
     * or a close. A delivered send calls nothing in PHP (no callback per send to run). The
     * closure is kept for the producer's life: pass the same one every time.
     */
    public function send_logs_on_failure(string $project, string $unit, $items, \Closure $onFailure): void
    {
        $f = Native::ffi();
        [$bytes, $count] = LogItem::packAll($items);
        $id = spl_object_id($onFailure);
        $data = $this->onFailureData[$id] ?? $this->keepOnFailure($id, $onFailure);
        $r = $f->lts_producer_send_packed_on_failure($this->handle(), $project, $unit, $bytes, strlen($bytes), $count,
            $this->failureTrampolinePtr->fn, $data);
        if ($r !== Constants::LTS_OK) {
            Native::check($r);
        }
    }

    private function keepOnFailure(int $id, \Closure $onFailure): \FFI\CData
    {
        $f = Native::ffi();
        if ($this->failureTrampolinePtr === null) {
            $this->failureTrampolinePtr = $f->new('lts_php_callback_holder');
            $this->failureTrampolinePtr->fn = function ($userData, $result): void {
                $f = Native::ffi();
                $zero = 0;
                $cb = $this->onFailure[$f->cast('char*', $userData) - $f->cast('char*', $zero)] ?? null;
                if ($cb === null) {
                    return;
                }
                $response = new LogResponse($f->lts_send_result_status_code($result),
                    $f->lts_send_result_message($result), $f->lts_send_result_error($result));
                try {
                    $cb($response, $f->lts_send_result_log_count($result), $f->lts_send_result_code($result));
                } catch (\Throwable $e) {
                    // must not unwind through liblts
                }
            };
        }
        $this->onFailure[$id] = $onFailure;
        return $this->onFailureData[$id] = $f->cast('void*', $id);
    }

    /** Hands every open batch to the workers now, instead of when its linger time runs out,
     * and returns at once: it does not wait for delivery (close does; the results run in
     * poll()) and the producer keeps accepting sends. For a logging framework's flush. Throws
     * LogException: LTS_ERR_INVALID_STATE before start(), LTS_ERR_CLOSED once closed. */
    public function flush(): void
    {
        Native::check(Native::ffi()->lts_producer_flush($this->handle()));
    }

    /** Runs up to $max ready callbacks here, waiting up to $timeoutMs for the first. */
    public function poll(int $max = 100, int $timeoutMs = 0): int
    {
        $f = Native::ffi();
        $served = $f->new('size_t');
        Native::check($f->lts_producer_poll($this->handle(), $max, $timeoutMs, \FFI::addr($served)));
        return $served->cdata;
    }

    /** Everything the producer counts (lts_producer_stats_json in lts.h), as an array:
     * logs_accepted, logs_sent, ..., retries_by_reason, token_renewals, units, last_error.
     * After close, the final counters. */
    public function stats(): array
    {
        if ($this->h === null && $this->finalStats !== null) {
            return $this->finalStats;
        }
        $json = Native::take(Native::ffi()->lts_producer_stats_json($this->handle()));
        if ($json === null) {
            Native::check(Constants::LTS_ERR_INVALID_ARGUMENT);
        }
        return json_decode($json, true, 512, JSON_THROW_ON_ERROR);
    }

    public function safe_close(): void
    {
        if ($this->h !== null) {
            $this->finish(Native::ffi()->lts_producer_safe_close($this->h));
        }
    }

    /** Throws LogException (LTS_ERR_TIMEOUT) if logs were left unsent; their callbacks ran
     * with LTS_ERR_CLOSED before this returned. */
    public function close(int $timeoutMs): void
    {
        if ($this->h !== null) {
            $this->finish(Native::ffi()->lts_producer_close($this->h, $timeoutMs));
        }
    }

    private function finish(int $r): void
    {
        $f = Native::ffi();
        $detail = $r !== Constants::LTS_OK ? $f->lts_last_error_message() : '';
        // Closed: the counters are final (nothing buffered), kept for stats() after free.
        $this->finalStats = $this->stats();
        $f->lts_producer_free($this->h);
        $this->h = null;
        if ($r !== Constants::LTS_OK) {
            throw new LogException($r, $detail);
        }
    }

    public function __destruct()
    {
        try {
            $this->close(0);
        } catch (\Throwable $e) {
        }
    }
}
