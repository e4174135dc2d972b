<?php
// The PHP binding against lts-local: the official examples' calls, a forbidden key's
// exception, a producer in poll mode with every callback once, closed handles as errors.
// Run: LTS_LIBRARY_PATH=... LTS_LOCAL_BIN=... php tests/run.php
require_once __DIR__ . '/../src/Lts.php';

use Lts\{LogItem, ClientConfig, LogClient, LogException, Producer, ProducerConfig, Constants};
use function Lts\get_current_timestamp;

$passed = 0;
$failed = 0;
function check(bool $ok, string $what): void
{
    global $passed, $failed;
    if ($ok) {
        $passed++;
    } else {
        $failed++;
        fwrite(STDERR, "FAILED: $what\n");
    }
}

$dir = sys_get_temp_dir() . '/lts-php-' . getmypid();
@mkdir($dir);
$portFile = "$dir/port";
$bin = getenv('LTS_LOCAL_BIN');
$server = proc_open([$bin, '--listen', '127.0.0.1:0', '--memory', '--port-file', $portFile,
    '--project', 'proj=unit-a,unit-p,unit-s,unit-d,unit-m,unit-e,unit-f,unit-mf,unit-pk'], [1 => ['file', '/dev/null', 'w']], $pipes);
$deadline = microtime(true) + 30;
while (!(file_exists($portFile) && filesize($portFile) > 0)) {
    if (microtime(true) > $deadline) {
        fwrite(STDERR, "lts-local did not start\n");
        exit(1);
    }
    usleep(10000);
    clearstatcache();
}
$url = 'http://127.0.0.1:' . trim(file_get_contents($portFile));
function logs(string $project, string $unit): array
{
    global $url;
    return json_decode(file_get_contents("$url/_lts/logs?project=$project&unit=$unit"), true)['logs'];
}
function faults(string $json): void
{
    global $url;
    file_get_contents("$url/_lts/faults", false, stream_context_create(['http' => ['method' => 'POST', 'header' => 'Content-Type: application/json', 'content' => $json]]));
}
// Waits (polling the server's count) until $unit holds $n logs, at most $seconds.
function stored_within(string $unit, int $n, float $seconds): bool
{
    $deadline = microtime(true) + $seconds;
    while (count(logs('proj', $unit)) < $n && microtime(true) < $deadline) {
        usleep(10000);
    }
    return count(logs('proj', $unit)) === $n;
}
function item(string $msg): LogItem
{
    $it = new LogItem();
    $it->set_log_timestamp(get_current_timestamp());
    $it->set_origin_msg($msg);
    $it->contents_push_back('level', 'info');
    $it->contents_push_back('seq', -7);
    $it->contents_push_back('area', 3.1415926);
    $it->labels_push_back('user_tag', 'string');
    return $it;
}

try {
    // The sync example.
    $config = new ClientConfig($url, 'lts-local-ak', 'lts-local-sk', 'proj');
    $client = new LogClient($config);
    ob_start();
    for ($i = 0; $i < 3; $i++) {
        $client->put_logs('proj', 'unit-a', array_fill(0, 10, item('PHP sdk test oriMessage')))->log_print_body();
    }
    $out = ob_get_clean();
    check(substr_count($out, '{"statusCode":0,"message":"SUCCESS","error":""}') === 3, "sync answers: $out");
    $stored = logs('proj', 'unit-a');
    check(count($stored) === 30, 'stored ' . count($stored));
    check($stored[0]['contents'] === ['level' => 'info', 'seq' => -7, 'area' => 3.1415926], 'contents ' . json_encode($stored[0]['contents']));
    check($stored[0]['labels'] === ['user_tag' => 'string'], 'labels');
    $missing = $client->put_logs('proj', 'nope', item('x'));
    check($missing->status_code === -1 && $missing->error === 'LTS_8011', 'LTS_8011 answer');

    // The page's own forbidden key.
    try {
        (new LogItem())->contents_push_back('area:', 3.1415926);
        check(false, 'bad key accepted');
    } catch (LogException $e) {
        check($e->getCode() === Constants::LTS_ERR_INVALID_KEY && str_contains($e->getMessage(), '"area:"'), $e->getMessage());
    }
    try {
        new LogClient(new ClientConfig($url, 'lts-local-ak', 'wrong', 'proj'));
        check(false, 'wrong secret accepted');
    } catch (LogException $e) {
        check($e->getCode() === Constants::LTS_ERR_AUTH, 'auth: ' . $e->getMessage());
    }
    $client->close();
    try {
        $client->put_logs('proj', 'unit-a', item('x'));
        check(false, 'closed client used');
    } catch (LogException $e) {
        check($e->getCode() === Constants::LTS_ERR_INVALID_STATE, 'closed client: ' . $e->name);
    }

    // Producer, poll mode: several thousand logs, every callback once, on this thread.
    $pc = new ProducerConfig();
    $pc->linger_ms = 100;
    $producer = new Producer($pc);
    $producer->build_clients($config);
    $producer->start();
    $hits = [];
    $okLogs = 0;
    for ($s = 0; $s < 1000; $s++) {
        $producer->send_logs_callback('proj', 'unit-p', [item("p$s"), item("p$s"), item("p$s")],
            function ($r, $n, $code) use (&$hits, &$okLogs, $s) {
                $hits[$s] = ($hits[$s] ?? 0) + 1;
                if ($code === Constants::LTS_OK) {
                    $okLogs += $n;
                }
            });
    }
    $served = 0;
    $deadline = microtime(true) + 60;
    while ($served < 500 && microtime(true) < $deadline) {
        $served += $producer->poll(1000, 100);
    }
    check($served >= 500, "polled $served");
    $producer->safe_close(); // runs the rest here
    check(count($hits) === 1000 && max($hits) === 1 && min($hits) === 1, 'every callback once');
    check($okLogs === 3000, "ok logs $okLogs");
    check(count(logs('proj', 'unit-p')) === 3000, 'stored by the producer');
    try {
        $producer->send_logs('proj', 'unit-p', item('late'));
        check(false, 'closed producer used');
    } catch (LogException $e) {
        check($e->getCode() === Constants::LTS_ERR_CLOSED, 'closed producer: ' . $e->name);
    }

    // flush() with a linger far longer than the test: the logs reach the server only because
    // their batch was handed over.
    $long = new ProducerConfig();
    $long->linger_ms = 600000;
    $pf = new Producer($long);
    $pf->build_clients($config);
    try {
        $pf->flush();
        check(false, 'flush before start accepted');
    } catch (LogException $e) {
        check($e->getCode() === Constants::LTS_ERR_INVALID_STATE, 'flush before start: ' . $e->name);
    }
    $pf->start();
    $pf->send_logs('proj', 'unit-f', array_fill(0, 5, item('held')));
    $held = $pf->stats();
    check($held['logs_sent'] === 0 && $held['buffered_bytes'] > 0, 'held before the flush: ' . json_encode($held));
    $pf->flush();
    check(stored_within('unit-f', 5, 60), 'flushed logs stored within a minute (linger: 10 minutes)');
    $pf->safe_close();
    try {
        $pf->flush();
        check(false, 'flush after close accepted');
    } catch (LogException $e) {
        check($e->getCode() === Constants::LTS_ERR_CLOSED, 'flush after close: ' . $e->name);
    }

    // The async example's default callback output.
    $p2 = new Producer(new ProducerConfig());
    $p2->build_clients($config);
    $p2->start();
    ob_start();
    for ($i = 0; $i < 3; $i++) {
        $p2->send_logs_callback('proj', 'unit-d', array_fill(0, 10, item('PHP sdk test oriMessage')));
    }
    $p2->safe_close();
    $out = ob_get_clean();
    check(substr_count($out, 'response: {"statusCode":0,"message":"SUCCESS","error":""}, send count : 10') === 3, "async output: $out");

    // close(timeout) against a stalled server.
    faults('{"stall": true}');
    $p3 = new Producer(new ProducerConfig());
    $p3->build_clients($config);
    $p3->start();
    $codes = [];
    $p3->send_logs_callback('proj', 'unit-s', item('stalled'), function ($r, $n, $code) use (&$codes) { $codes[] = $code; });
    try {
        $p3->close(300);
        check(false, 'close did not time out');
    } catch (LogException $e) {
        check($e->getCode() === Constants::LTS_ERR_TIMEOUT, 'timeout: ' . $e->name);
    }
    check($codes === [Constants::LTS_ERR_CLOSED], 'unsent reported closed: ' . json_encode($codes));
    faults('{"stall": false}');

    // Without the library, the error says what was tried and how to fix it.
    foreach (['/nonexistent/liblts.so' => 'tried /nonexistent/liblts.so (from LTS_LIBRARY_PATH); that file does not exist',
              '' => 'tried liblts.so.0 through the system loader (LD_LIBRARY_PATH=/nonexistent'] as $given => $says) {
        $child = proc_open([PHP_BINARY, '-r', 'require $argv[1]; try { Lts\Native::ffi(); echo "loaded"; }'
            . ' catch (RuntimeException $e) { echo $e->getMessage(); }', __DIR__ . '/../src/Lts.php'],
            [1 => ['pipe', 'w']], $childPipes, null,
            ['LTS_LIBRARY_PATH' => $given, 'LD_LIBRARY_PATH' => '/nonexistent']);
        $said = stream_get_contents($childPipes[1]);
        proc_close($child);
        check(str_contains($said, $says) && str_contains($said, 'set LTS_LIBRARY_PATH'), "not found message: $said");
    }

    require __DIR__ . '/packing.php';
    require __DIR__ . '/operability.php';
    require __DIR__ . '/monolog.php';
} catch (Throwable $e) {
    check(false, (string)$e);
} finally {
    proc_terminate($server);
    proc_close($server);
    @unlink($portFile);
    @rmdir($dir);
}
echo "$passed passed, $failed failed\n";
exit($failed === 0 ? 0 : 1);
