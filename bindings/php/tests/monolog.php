<?php
// The Monolog handler against lts-local (included by run.php, which started the server):
// records arrive with message, level, channel, time, context and extra; a refused field is
// left out and reported; a full buffer drops without throwing; records after close are
// dropped; a script that never closes its logger still ships its records; no formatter runs.
require_once '/usr/share/php/Monolog/autoload.php';
require_once __DIR__ . '/../src/Monolog/LtsHandler.php';

use Lts\{ClientConfig, Constants, LogException, ProducerConfig};
use Lts\Monolog\LtsHandler;
use Monolog\Logger;
use Monolog\Processor\PsrLogMessageProcessor;

$client = new ClientConfig($url, 'lts-local-ak', 'lts-local-sk', 'proj');
$cfg = new ProducerConfig();
$cfg->linger_ms = 100;
$errors = [];
$handler = new LtsHandler($client, 'unit-m', $cfg, Logger::DEBUG, true, function (Throwable $e) use (&$errors) {
    $errors[] = $e;
});
// No formatter runs: a log carries the record's fields, not a formatted line.
$formatted = 0;
$handler->setFormatter(new class($formatted) implements \Monolog\Formatter\FormatterInterface {
    private $n;
    public function __construct(int &$n) { $this->n = &$n; }
    public function format($record) { $this->n++; return ''; }
    public function formatBatch(array $records) { $this->n += count($records); return ''; }
});
$logger = new Logger('billing');
$logger->pushHandler($handler);
$logger->pushProcessor(new PsrLogMessageProcessor());
$logger->pushProcessor(function ($record) {
    $record['extra']['request_id'] = 'r-1';
    return $record;
});
$before = \Lts\get_current_timestamp();
$logger->info('order {id} placed', ['id' => 17, 'amount' => 2.5, 'vip' => true, 'tags' => ['a', 'b'], 'none' => null, 'empty' => '']);
$logger->error('it broke', ['exception' => new RuntimeException('disk full')]);
$logger->debug('bad field', ['bad:key' => 1, 'ok' => 'yes']);
$logger->warning('');
$handler->close();
$after = \Lts\get_current_timestamp();
$byMsg = [];
foreach (logs('proj', 'unit-m') as $l) {
    $byMsg[$l['origin_msg']] = $l;
}
check(count($byMsg) === 4, 'monolog: 4 records stored: ' . json_encode(array_keys($byMsg)));
$placed = $byMsg['order 17 placed'] ?? ['contents' => []];
check($placed['contents'] === ['level' => 'INFO', 'logger' => 'billing', 'id' => 17, 'amount' => 2.5, 'vip' => 'true',
    'tags' => '["a","b"]', 'request_id' => 'r-1'], 'monolog: fields ' . json_encode($placed['contents']));
$ts = $placed['time_unix_nano'] ?? 0;
check($ts >= $before - 1000 && $ts <= $after, "monolog: time $ts within [$before, $after]");
$broke = $byMsg['it broke']['contents'] ?? [];
check(($broke['level'] ?? '') === 'ERROR' && str_starts_with($broke['exception'] ?? '', 'RuntimeException: disk full at '),
    'monolog: exception ' . json_encode($broke));
check(($byMsg['bad field']['contents'] ?? null) === ['level' => 'DEBUG', 'logger' => 'billing', 'ok' => 'yes', 'request_id' => 'r-1'],
    'monolog: the refused field is left out: ' . json_encode($byMsg['bad field'] ?? null));
check(isset($byMsg['(empty message)']), 'monolog: an empty message is sent as (empty message)');
check($handler->refusedFields === 1 && count($errors) === 1 && $errors[0] instanceof LogException
    && str_contains($errors[0]->getMessage(), 'bad:key'), 'monolog: the refused field is reported');
$s = $handler->stats();
check($s['logs_accepted'] === $s['logs_sent'] + $s['logs_failed'] && $s['logs_sent'] === 4 && $s['buffered_bytes'] === 0
    && $handler->sent === 4, 'monolog: stats balance ' . json_encode($s));
$logger->info('after close');
check($handler->dropped === 1, 'monolog: a record after close is dropped and counted');
check($formatted === 0, "monolog: the handler's formatter never runs ($formatted calls)");

// A full buffer: dropped at once, never thrown, and every record accounted for.
faults('{"stall": true}');
$small = new ProducerConfig();
$small->linger_ms = 100;
$small->batch_size = 2048;
$small->buffer_bytes = 2048;
$full = new LtsHandler($client, 'unit-m', $small);
$l2 = new Logger('full', [$full]);
$t0 = microtime(true);
for ($i = 0; $i < 200; $i++) {
    $l2->info(str_repeat('x', 100), ['i' => $i]);
}
$took = microtime(true) - $t0;
faults('{"stall": false}');
$full->close();
$s = $full->stats();
check($full->dropped > 0 && $took < 2.0, "monolog: full buffer drops at once ({$full->dropped} dropped in {$took} s)");
check($s['logs_accepted'] + $full->dropped === 200 && $s['logs_accepted'] === $s['logs_sent'] + $s['logs_failed']
    && $s['buffered_bytes'] === 0, 'monolog: full buffer stats ' . json_encode($s));

// The flush paths, with a linger far longer than the test: the handler's flush(), then
// Monolog's reset() (a long-running worker's end of a job).
$longCfg = new ProducerConfig();
$longCfg->linger_ms = 600000;
$flushing = new LtsHandler($client, 'unit-mf', $longCfg);
$l3 = new Logger('jobs', [$flushing]);
$l3->info('job 1 done');
check($flushing->stats()['logs_sent'] === 0, 'monolog: the record is held before the flush');
$flushing->flush();
check(stored_within('unit-mf', 1, 60), 'monolog: flush() ships the held record');
$l3->info('job 2 done');
$l3->reset();
check(stored_within('unit-mf', 2, 60), 'monolog: Logger::reset() ships the held record');
$flushing->close();
$flushing->flush(); // closed: nothing to do, nothing thrown
check($flushing->sent === 2 && $flushing->dropped === 0 && $flushing->failed === 0,
    "monolog: flushed records' results ran ({$flushing->sent} sent)");

// A script that never closes: Monolog's destructor closes the handler at exit.
$script = 'require "/usr/share/php/Monolog/autoload.php"; require $argv[1] . "/../src/Lts.php";'
    . ' require $argv[1] . "/../src/Monolog/LtsHandler.php";'
    . ' $l = new Monolog\Logger("exit", [new Lts\Monolog\LtsHandler(new Lts\ClientConfig($argv[2], "lts-local-ak",'
    . ' "lts-local-sk", "proj"), "unit-e")]); for ($i = 0; $i < 3; $i++) { $l->info("bye $i"); }';
$child = proc_open([PHP_BINARY, '-r', $script, __DIR__, $url], [], $childPipes);
$rc = proc_close($child);
$bye = array_map(fn ($l) => $l['origin_msg'], logs('proj', 'unit-e'));
sort($bye);
check($rc === 0 && $bye === ['bye 0', 'bye 1', 'bye 2'], 'monolog: records of an unclosed logger arrive: ' . json_encode($bye));
