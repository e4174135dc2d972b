<?php
// Monolog into LTS: every record becomes a log (its message, level, channel, context and
// extra). The endpoint and key pair are lts-local's (`lts-local -- php monolog-app.php`).
require __DIR__ . '/vendor/autoload.php';

use Lts\{ClientConfig, ProducerConfig};
use Lts\Monolog\LtsHandler;
use Monolog\Logger;

$endpoint = getenv('LTS_ENDPOINT') ?: 'http://127.0.0.1:9480';
$config = new ProducerConfig();
$config->linger_ms = 500;
$handler = new LtsHandler(new ClientConfig($endpoint, 'lts-local-ak', 'lts-local-sk', 'my-project'), 'my-unit',
    $config, Logger::INFO, true, fn (Throwable $e) => error_log($e->getMessage()));
$log = new Logger('orders', [$handler]);
for ($i = 0; $i < 20; $i++) {
    $log->info('order placed', ['order_id' => $i, 'amount' => 2.5]);
}
// Nothing else to do: Monolog closes the handler at the end of the script, and the handler
// sends every record first.
