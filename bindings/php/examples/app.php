<?php
// Sends 100 logs through a producer; safe_close() returns once everything is sent and every
// callback has run (in poll mode, on this thread). The endpoint and key pair are lts-local's
// (`lts-local -- php app.php`); give CTyun's endpoint and your access key pair for the service.
require __DIR__ . '/vendor/autoload.php';

use Lts\{ClientConfig, Constants, LogItem, LogResponse, Producer, ProducerConfig};

$endpoint = getenv('LTS_ENDPOINT') ?: 'http://127.0.0.1:9480';
$config = new ProducerConfig();
$config->linger_ms = 500;
$producer = new Producer($config);
$producer->build_clients(new ClientConfig($endpoint, 'lts-local-ak', 'lts-local-sk', 'my-project'));
$producer->start();
for ($i = 0; $i < 100; $i++) {
    $item = new LogItem();
    $item->set_log_timestamp(Lts\get_current_timestamp());
    $item->set_origin_msg("GET /api/orders/$i 200");
    $item->set_contents(['level' => 'info', 'status' => 200, 'latency_ms' => 12.5]);
    $producer->send_logs_callback('my-project', 'my-unit', [$item], function (LogResponse $r, int $count, int $code): void {
        if ($code !== Constants::LTS_OK) {
            error_log("$count logs not sent: $r->message");
        }
    });
}
$producer->safe_close();
