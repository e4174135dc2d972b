<?php
// One side of the benchmark suite's PHP rows (scripts/bench-php.sh runs it; scripts/bench.py
// reads its key=value lines):
//
//   php bench.php SIDE ENDPOINT LOGS PER_SEND RATE
//
// SIDE: producer (the official page's way: a fresh LogItem per log, set_log_timestamp,
// set_origin_msg, one contents_push_back per field, send_logs of PER_SEND logs); monolog-lts /
// monolog-stream ($logger->info of the log's message with 3 context fields, through the Lts
// handler or Monolog's StreamHandler to a file). RATE 0: a burst; else RATE logs/s in bursts of
// 100. First a warm-up of its own, then the measured run: from building the producer to its
// close, the process's CPU time (every thread, getrusage) per log. The official SDK's PHP stack
// cannot be fetched here: the producer row compares with the C records path only.
require_once __DIR__ . '/../src/Lts.php';

use Lts\{ClientConfig, LogItem, Producer, ProducerConfig};

const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36';

function cpu_ns(): int
{
    $u = getrusage();
    return ($u['ru_utime.tv_sec'] + $u['ru_stime.tv_sec']) * 1000000000
        + ($u['ru_utime.tv_usec'] + $u['ru_stime.tv_usec']) * 1000;
}

function msg(int $i): string
{
    return sprintf('GET /api/v1/orders/%08d HTTP/1.1 200 1532 0.012 "Mozilla/5.0 (X11; Linux x86_64)"', $i);
}

function host(int $i): string
{
    return sprintf('web-%02d.prod.example', $i % 16);
}

function wide(int $i): LogItem
{
    $item = new LogItem();
    $item->set_log_timestamp(\Lts\get_current_timestamp());
    $item->set_origin_msg(msg($i));
    $item->contents_push_back('level', 'info');
    $item->contents_push_back('host', host($i));
    $item->contents_push_back('method', 'GET');
    $item->contents_push_back('path', sprintf('/api/v1/orders/%08d', $i));
    $item->contents_push_back('status', 200);
    $item->contents_push_back('latency_ms', 12.5 + $i % 7);
    $item->contents_push_back('trace_id', sprintf('%032x', $i * 2654435761));
    $item->contents_push_back('user_agent', UA);
    $item->labels_push_back('user_tag', 'string');
    return $item;
}

abstract class Side
{
    abstract public function start(string $url): void;
    abstract public function log(int $i): void;
    /** Closes; returns the logs the library reports sent (-1: counted by the server). */
    abstract public function finish(): int;
}

final class ProducerSide extends Side
{
    private Producer $p;
    private array $batch = [];

    public function __construct(private int $perSend)
    {
    }

    public function start(string $url): void
    {
        $this->p = new Producer(new ProducerConfig());
        $this->p->build_clients(new ClientConfig($url, 'lts-local-ak', 'lts-local-sk', 'bench'));
        $this->p->start();
    }

    public function log(int $i): void
    {
        if ($this->perSend === 1) {
            $this->p->send_logs('bench', 'unit', [wide($i)]);
            return;
        }
        $this->batch[] = wide($i);
        if (count($this->batch) === $this->perSend) {
            $this->p->send_logs('bench', 'unit', $this->batch);
            $this->batch = [];
        }
    }

    public function finish(): int
    {
        if ($this->batch) {
            $this->p->send_logs('bench', 'unit', $this->batch);
        }
        $this->p->safe_close();
        return $this->p->stats()['logs_sent'];
    }
}

final class MonologSide extends Side
{
    private \Monolog\Logger $logger;
    private $handler;
    private string $dir;

    public function __construct(private bool $lts)
    {
    }

    public function start(string $url): void
    {
        if ($this->lts) {
            $this->handler = new \Lts\Monolog\LtsHandler(new ClientConfig($url, 'lts-local-ak', 'lts-local-sk', 'bench'),
                'unit');
        } else {
            $this->dir = sys_get_temp_dir() . '/bench-' . getmypid() . '-' . hrtime(true);
            mkdir($this->dir);
            $this->handler = new \Monolog\Handler\StreamHandler($this->dir . '/app.log');
        }
        $this->logger = new \Monolog\Logger('app');
        $this->logger->pushHandler($this->handler);
    }

    public function log(int $i): void
    {
        $this->logger->info(msg($i), ['order' => $i, 'host' => host($i), 'latency_ms' => 12.5 + $i % 7]);
    }

    public function finish(): int
    {
        $this->handler->close();
        if ($this->lts) {
            if ($this->handler->dropped || $this->handler->failed) {
                throw new RuntimeException("{$this->handler->dropped} dropped, {$this->handler->failed} failed");
            }
            return -1;
        }
        unlink($this->dir . '/app.log');
        rmdir($this->dir);
        return -1;
    }
}

/** One run: [wall ns, process CPU ns, logs reported sent]. */
function run(Side $s, string $url, int $n, float $rate): array
{
    $c0 = cpu_ns();
    $t0 = hrtime(true);
    $s->start($url);
    for ($i = 0; $i < $n; $i++) {
        if ($rate > 0 && $i % 100 === 0) {
            $ahead = $t0 + (int)($i / $rate * 1e9) - hrtime(true);
            if ($ahead > 0) {
                time_nanosleep(intdiv($ahead, 1000000000), $ahead % 1000000000);
            }
        }
        $s->log($i);
    }
    $sent = $s->finish();
    return [hrtime(true) - $t0, cpu_ns() - $c0, $sent];
}

[$_, $name, $url, $logs, $perSend, $rate] = $argv + array_fill(0, 6, null);
if ($rate === null) {
    fwrite(STDERR, "usage: php bench.php producer|monolog-lts|monolog-stream ENDPOINT LOGS PER_SEND RATE\n");
    exit(2);
}
[$logs, $perSend, $rate] = [(int)$logs, (int)$perSend, (float)$rate];
if (str_starts_with($name, 'monolog')) {
    require_once '/usr/share/php/Monolog/autoload.php';
    require_once __DIR__ . '/../src/Monolog/LtsHandler.php';
}
$make = match ($name) {
    'producer' => fn() => new ProducerSide($perSend),
    'monolog-lts' => fn() => new MonologSide(true),
    'monolog-stream' => fn() => new MonologSide(false),
};

// The program's own making of a log's data, alone (the C benchmark's format_ns_per_log).
$f0 = cpu_ns();
$keep = 0;
for ($i = 0; $i < 100000; $i++) {
    $keep += strlen(msg($i)) + strlen(host($i)) + strlen(sprintf('/api/v1/orders/%08d', $i))
        + strlen(sprintf('%032x', $i * 2654435761));
}
$formatNs = (cpu_ns() - $f0) / 100000;

$warm = min($logs, 200000);
$w = run($make(), $url, $warm, 0);
$r = run($make(), $url, $logs, $rate);
if ($r[2] !== -1 && ($w[2] !== $warm || $r[2] !== $logs)) {
    fwrite(STDERR, "$name: {$w[2]} + {$r[2]} logs reported sent, not $warm + $logs\n");
    exit(1);
}
$perLog = $r[1] / $logs;
$perSec = $logs / ($r[0] / 1e9);
printf("%s, %d per send%s: %s logs/s, %s ns CPU per log\n", $name, $perSend, $rate > 0 ? ', paced' : '',
    number_format($perSec), number_format($perLog));
printf("logs=%d\nsent_logs=%d\nlogs_per_s=%.0f\ncpu_ns_per_log=%.1f\nformat_ns_per_log=%.1f\nignore=%d\n", $logs,
    $name === 'monolog-stream' ? 0 : $warm + $logs, $perSec, $perLog, $formatNs, $keep % 2);
