<?php
// Every core option settable from PHP (fails when the core has a key this binding cannot
// set, by name or typed), bad keys and values, liblts's lines reaching a handler (in poll,
// on PHP's thread) within a second without the secret, silence, stats as an array and
// periodic. Included by run.php with $url set and check() defined.

use Lts\{LogItem, ClientConfig, LogException, Producer, ProducerConfig, Constants, Native, Log};
use function Lts\get_current_timestamp;

const SECRET = 'SECRET-MARKER-php-3c8d';

function closed_port_url(): string
{
    $s = stream_socket_server('tcp://127.0.0.1:0');
    $name = stream_socket_get_name($s, false);
    fclose($s);
    return "http://$name";
}

function one_item(): LogItem
{
    $it = new LogItem();
    $it->set_log_timestamp(get_current_timestamp());
    $it->set_origin_msg('m');
    return $it;
}

function failing_producer(string $endpoint): Producer
{
    $pc = new ProducerConfig();
    $pc->linger_ms = 100;
    $pc->worker_count = 1;
    $p = new Producer($pc);
    $c = new ClientConfig($endpoint, 'lts-local-ak', SECRET, 'proj');
    $c->profile = ['backoff_base_ms' => '20', 'backoff_cap_ms' => '50'];
    $p->build_clients($c);
    $p->start();
    return $p;
}

/** Polls until $needle is among $lines or $seconds pass; true if it came. */
function poll_for_line(Producer $p, array &$lines, string $needle, float $seconds): bool
{
    $end = microtime(true) + $seconds;
    do {
        foreach ($lines as $l) {
            if (str_contains($l, $needle)) {
                return true;
            }
        }
        $p->poll(10, 20);
    } while (microtime(true) < $end);
    return false;
}

$lines = [];
Log::setHandler(function (int $level, string $message) use (&$lines) { $lines[] = "$level $message"; });
try {
    // Every key of the core's table reaches it, and each has a typed property.
    $schema = Native::schema();
    $full = new ClientConfig('http://127.0.0.1:1', 'ak', 'sk', 'proj');
    $full->no_retry_status_code = [500];
    $full->auth_mode = 'eop';
    $full->allow_plain_http = true;
    $full->ca_file = 'f';
    $full->ca_pem = 'p';
    $typed = ['endpoint' => 1, 'access_key' => 1, 'secret_key' => 1, 'log_project' => 1];
    foreach ($full->typed() as [$k, $v]) {
        $typed[$k] = 1;
    }
    foreach ($schema['client'] as $o) {
        check(isset($typed[$o['name']]) || $o['profile'], "client option {$o['name']} has a typed property");
        $c = new ClientConfig('http://127.0.0.1:1', 'ak', 'sk', 'proj');
        try {
            $c->set($o['name'], $o['default']);
        } catch (LogException $e) {
            check(str_contains($e->getMessage(), $o['name']) && !str_contains($e->getMessage(), 'unknown'), $e->getMessage());
            continue;
        }
        if (!$o['write_only'] && $o['name'] !== 'user_agent' && $o['default'] !== '') {
            check($c->readBack($o['name']) === $o['default'], "{$o['name']} read back");
        }
    }
    $pfull = new ProducerConfig();
    $pfull->delivery_timeout_ms = 1;
    $pfull->spill_dir = 'd';
    $pfull->journal_dir = 'd';
    $pfull->journal_max_bytes = 4 << 20;
    $pfull->journal_segment_bytes = 2 << 20;
    $pfull->journal_sync_ms = 1;
    $pfull->journal_max_age_ms = 1;
    $pfull->stats_interval_ms = 100;
    $pfull->idle_units_max = 10;
    $ptyped = [];
    foreach ($pfull->typed() as [$k, $v]) {
        $ptyped[$k] = 1;
    }
    foreach ($schema['producer'] as $o) {
        check(isset($ptyped[$o['name']]), "producer option {$o['name']} has a typed property");
        if ($o['name'] === 'callback_mode') {
            continue; // fixed to poll here
        }
        $pc = new ProducerConfig();
        $pc->set($o['name'], $o['default']);
        check($pc->readBack($o['name']) === $o['default'], "{$o['name']} read back");
    }
    check($pfull->readBack('delivery_timeout_ms') === '1' && $pfull->readBack('spill_dir') === 'd', 'typed producer options reach the core');
    foreach ([['linger_ms', 'soon', '"soon"'], ['lingerms', '100', 'lingerms'], ['linger_ms', '5', '>= 100']] as [$k, $v, $needle]) {
        try {
            (new ProducerConfig())->set($k, $v);
            check(false, "$k=$v accepted");
        } catch (LogException $e) {
            check($e->getCode() === Constants::LTS_ERR_INVALID_ARGUMENT && str_contains($e->getMessage(), $needle), $e->getMessage());
        }
    }
    try {
        (new ProducerConfig())->set('callback_mode', 'thread');
        check(false, 'thread mode accepted in PHP');
    } catch (LogException $e) {
        check(str_contains($e->getMessage(), 'poll mode only'), $e->getMessage());
    }

    // The first failure, within a second, in poll on this thread.
    $p = failing_producer(closed_port_url());
    $p->send_logs('proj', 'unit-a', one_item());
    check(poll_for_line($p, $lines, 'attempt 1 failed', 1.0), 'the first failure within a second: ' . json_encode($lines));
    check((bool)array_filter($lines, fn($l) => str_starts_with($l, Log::WARN . ' ')), 'at Log::WARN');
    try {
        $p->close(0);
        check(false, 'close did not time out');
    } catch (LogException $e) {
        check($e->getCode() === Constants::LTS_ERR_TIMEOUT, $e->getMessage());
    }
    check((bool)array_filter($lines, fn($l) => str_contains($l, 'close ran out of time')), 'close says what it left');

    // Silence.
    Log::setLevel(Log::OFF);
    $lines = [];
    $p = failing_producer(closed_port_url());
    $p->send_logs('proj', 'unit-a', one_item());
    $end = microtime(true) + 5;
    while ($p->stats()['token_failures'] < 2 && microtime(true) < $end) {
        $p->poll(10, 20);
    }
    try {
        $p->close(0);
    } catch (LogException $e) {
    }
    check($lines === [], 'nothing at Log::OFF: ' . json_encode($lines));
    Log::setLevel(Log::WARN);

    // A refused token call: its code in the result, the stats and a line.
    $lines = [];
    $p = failing_producer($url);
    $codes = [];
    $p->send_logs_callback('proj', 'unit-a', one_item(), function ($r, $n, $code) use (&$codes) { $codes[] = [$code, $r->error]; });
    $end = microtime(true) + 10;
    while (!$codes && microtime(true) < $end) {
        $p->poll(10, 50);
    }
    check($codes === [[Constants::LTS_ERR_AUTH, 'LTS_8007']], 'LTS_8007 in the result: ' . json_encode($codes));
    check(($p->stats()['last_error']['error'] ?? '') === 'LTS_8007', 'LTS_8007 in the stats');
    check(poll_for_line($p, $lines, 'LTS_8007', 1.0), 'LTS_8007 in a line');
    $p->safe_close();

    // Stats: an array, and periodically through the stats callback (in poll).
    $reports = [];
    $pc = new ProducerConfig();
    $pc->linger_ms = 100;
    $pc->stats_interval_ms = 100;
    $pc->stats_callback = function (array $s) use (&$reports) { $reports[] = $s; };
    $p = new Producer($pc);
    $p->build_clients(new ClientConfig($url, 'lts-local-ak', 'lts-local-sk', 'proj'));
    $p->start();
    $ok = 0;
    for ($i = 0; $i < 3; $i++) {
        $p->send_logs_callback('proj', 'unit-s', one_item(), function ($r, $n, $code) use (&$ok) { $ok += $code === 0 ? 1 : 0; });
    }
    $end = microtime(true) + 10;
    while (($ok < 3 || count($reports) < 2) && microtime(true) < $end) {
        $p->poll(100, 100);
    }
    check($ok === 3 && count($reports) >= 2, "callbacks $ok and stats " . count($reports) . ' ran in poll');
    $s = $p->stats();
    $unit = array_values(array_filter($s['units'], fn($u) => $u['unit'] === 'unit-s'))[0] ?? [];
    check($s['logs_sent'] === 3 && ($unit['logs_sent'] ?? 0) === 3, 'stats counts: ' . json_encode($s));
    $p->safe_close();
} finally {
    Log::setHandler(null);
    foreach ($lines as $l) {
        check(!str_contains($l, SECRET), "a line carried the secret: $l");
    }
}
