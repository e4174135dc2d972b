<?php
// A Monolog handler on liblts's producer (Monolog 2, as Debian ships it, and Monolog 3).
// Composer's autoloader finds it (PSR-4: Lts\Monolog\LtsHandler); without composer, require it
// after Monolog's autoloader and src/Lts.php.
namespace Lts\Monolog;

use Lts\{ClientConfig, LogException, LogItem, LogResponse, Producer, ProducerConfig};
use Monolog\Handler\AbstractProcessingHandler;
use Monolog\Logger;

/**
 * Each record becomes one log: its message as the origin message; as contents its level name
 * (`level`), channel (`logger`) and every field of its context and extra (scalars as they
 * are, booleans as "true"/"false", an exception as its class, message and trace, anything
 * else as JSON; null and empty values are left out); the record's time as the log's. No
 * formatter runs (a formatter set on the handler is not used); processors do.
 *
 * The producer runs in poll mode and reports only failed deliveries (a delivered record
 * calls nothing in PHP): a record polls (without waiting) for those when 100 ms have passed
 * since the last poll, flush() polls, and close() sends everything (or waits up to
 * $closeTimeoutMs) and runs the rest. `sent` (records delivered) is read from the producer's
 * statistics at flush() and close().
 * It never blocks longer than the producer's max_block_ms (0 by default: a full buffer drops
 * the record at once) and never throws into the application: a dropped record, a field
 * liblts refuses (left out; the log is still sent) and a failed delivery are counted and
 * given to $onError(Throwable). Records after close are dropped and counted. Monolog closes
 * the handler when it is destroyed, at the latest when the script ends. flush() — and so
 * Monolog's reset(), which a long-running worker calls between jobs — hands what the
 * producer holds to its senders at once instead of after linger_ms.
 */
class LtsHandler extends AbstractProcessingHandler
{
    private Producer $producer;
    private bool $closed = false;
    private string $project;
    /** @var callable|null */
    private $onError;
    public int $dropped = 0;
    public int $refusedFields = 0;
    public int $failed = 0;
    public int $sent = 0;
    private \Closure $onFailed;
    private int $polled = 0;

    /**
     * @param int|string|\Monolog\Level $level the lowest level handled, as Monolog takes it
     */
    private string $logUnit;
    private int $closeTimeoutMs;

    public function __construct(ClientConfig $client, string $logUnit, ?ProducerConfig $config = null,
        $level = Logger::DEBUG, bool $bubble = true, ?callable $onError = null, int $closeTimeoutMs = -1)
    {
        parent::__construct($level, $bubble);
        $this->logUnit = $logUnit;
        $this->closeTimeoutMs = $closeTimeoutMs;
        $this->onError = $onError;
        $this->project = $client->log_project;
        $this->producer = new Producer($config ?? new ProducerConfig());
        $this->producer->build_clients($client);
        $this->producer->start();
        $this->onFailed = function (LogResponse $r, int $count, int $code): void {
            $this->failed++;
            $this->report(new LogException($code, $r->message, $r));
        };
    }

    private function report(\Throwable $e): void
    {
        if ($this->onError !== null) {
            try {
                ($this->onError)($e);
            } catch (\Throwable $ignored) {
                // the application's own reporter must not reach the application either
            }
        }
    }

    private static function text($v): ?string
    {
        if ($v === null) {
            return null;
        }
        if (is_bool($v)) {
            return $v ? 'true' : 'false';
        }
        if ($v instanceof \Throwable) {
            return get_class($v) . ': ' . $v->getMessage() . ' at ' . $v->getFile() . ':' . $v->getLine()
                . "\n" . $v->getTraceAsString();
        }
        if ($v instanceof \DateTimeInterface) {
            return $v->format(\DateTimeInterface::RFC3339_EXTENDED);
        }
        if (is_object($v) && method_exists($v, '__toString')) {
            return (string)$v;
        }
        $json = json_encode($v, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PARTIAL_OUTPUT_ON_ERROR);
        return $json === false ? null : $json;
    }

    private function push(LogItem $item, string $key, $value): void
    {
        if (!is_int($value) && !is_float($value) && !is_string($value)) {
            $value = self::text($value);
        }
        if ($value === null || $value === '') {
            return;
        }
        try {
            $item->contents_push_back($key, $value);
        } catch (LogException $e) {
            $this->refusedFields++;
            $this->report($e);
        }
    }

    /** @param array|\Monolog\LogRecord $record (array access works on both) */
    /**
     * Monolog's handling without the formatter: a log carries the record's message and its
     * fields as they are, so a formatted line would be made and thrown away (the line
     * formatter is most of what a record costs Monolog). Processors still run. The record's
     * type is left open: an array in Monolog 2, a LogRecord in Monolog 3.
     */
    public function handle($record): bool
    {
        if (!$this->isHandling($record)) {
            return false;
        }
        if ($this->processors) {
            $record = $this->processRecord($record);
        }
        $this->write($record);
        return false === $this->bubble;
    }

    protected function write($record): void
    {
        if ($this->closed) {
            $this->dropped++;
            return;
        }
        try {
            $item = new LogItem();
            // Seconds and microseconds in one format: microseconds since the epoch.
            $item->set_log_timestamp((int)$record['datetime']->format('Uu') * 1000);
            $message = (string)$record['message'];
            $item->set_origin_msg($message === '' ? '(empty message)' : $message);
            $this->push($item, 'level', $record['level_name']);
            $this->push($item, 'logger', $record['channel']);
            foreach ([$record['context'], $record['extra']] as $fields) {
                foreach ($fields as $k => $v) {
                    $this->push($item, (string)$k, $v);
                }
            }
            $this->producer->send_logs_on_failure($this->project, $this->logUnit, [$item], $this->onFailed);
            $now = hrtime(true);
            if ($now - $this->polled >= 100000000) {
                $this->polled = $now;
                $this->producer->poll(1000, 0);
            }
        } catch (\Throwable $e) {
            $this->dropped++;
            $this->report($e);
        }
    }

    /** Hands the records the producer holds to its senders now (Producer::flush) and runs
     * the results that are ready; it does not wait for delivery. Never throws. */
    public function flush(): void
    {
        if ($this->closed) {
            return;
        }
        try {
            $this->producer->flush();
            $this->producer->poll(1000, 0);
            $this->sent = $this->producer->stats()['logs_sent'];
        } catch (\Throwable $e) {
            $this->report($e);
        }
    }

    /** Monolog's reset (Logger::reset(), between the jobs of a long-running worker): flushes. */
    public function reset(): void
    {
        $this->flush();
        parent::reset();
    }

    /** Sends what is buffered (all of it, or what $closeTimeoutMs allows) and runs the
     * remaining results. The final statistics stay readable through stats(). */
    public function close(): void
    {
        if ($this->closed) {
            return;
        }
        $this->closed = true;
        try {
            if ($this->closeTimeoutMs < 0) {
                $this->producer->safe_close();
            } else {
                $this->producer->close($this->closeTimeoutMs);
            }
        } catch (\Throwable $e) {
            $this->report($e);
        }
        try {
            $this->sent = $this->producer->stats()['logs_sent'];
        } catch (\Throwable $e) {
            $this->report($e);
        }
        parent::close();
    }

    /** The producer's statistics (final once closed). */
    public function stats(): array
    {
        return $this->producer->stats();
    }
}
