<?php
// LogItem's packed bytes against the layout of lts_producer_send_packed (include/lts.h),
// written out here from the header's grammar: every value type, a key pushed again replaced
// in place (also by another type), UTF-8 text, strings of every length around the cached
// length prefixes, many fields, the same key in contents and labels; then the same items
// through lts-local, read back in order with their types; refused keys refused each time.
// Included by run.php with $url set and check() defined.

use Lts\{LogItem, ClientConfig, LogClient, LogException, Constants};

/** One field as the header lays it out: u8 type, u32 len + key, value. */
function ref_field(string $key, $value): string
{
    $head = pack('V', strlen($key)) . $key;
    if (is_int($value)) {
        return "\x01" . $head . pack('P', $value);
    }
    if (is_float($value)) {
        return "\x02" . $head . pack('e', $value);
    }
    return "\x00" . $head . pack('V', strlen($value)) . $value;
}

/** An item as the header lays it out; $contents and $labels are [key, value] lists. */
function ref_item(int $ts, string $msg, array $contents, array $labels): string
{
    $out = pack('P', $ts) . pack('V', strlen($msg)) . $msg . pack('V', count($contents));
    foreach ($contents as [$k, $v]) {
        $out .= ref_field($k, $v);
    }
    $out .= pack('V', count($labels));
    foreach ($labels as [$k, $v]) {
        $out .= ref_field($k, $v);
    }
    return $out;
}

final class Shown
{
    public function __toString(): string
    {
        return 'shown';
    }
}

// [pushes of contents, pushes of labels, the fields expected in order]
$ts = 1700000000123456789;
$cases = [
    'every type' => [[['s', 'text'], ['i', 42], ['neg', -7], ['max', PHP_INT_MAX], ['min', PHP_INT_MIN],
        ['zero', 0], ['f', 3.1415926], ['nf', -0.5], ['big', 1e300], ['t', true], ['fa', false],
        ['o', new Shown()], ['n', null]], [['l', 'x'], ['li', 9], ['lf', 2.5], ['lb', true]],
        [[['s', 'text'], ['i', 42], ['neg', -7], ['max', PHP_INT_MAX], ['min', PHP_INT_MIN], ['zero', 0],
            ['f', 3.1415926], ['nf', -0.5], ['big', 1e300], ['t', 'true'], ['fa', 'false'], ['o', 'shown'],
            ['n', '']], [['l', 'x'], ['li', 9], ['lf', 2.5], ['lb', 'true']]]],
    'a key pushed again keeps its place' => [[['a', 'one'], ['b', 2], ['c', 'three'], ['a', 'uno'], ['b', 2.5],
        ['c', 3]], [['x', 1], ['y', 'y'], ['x', 'ex']],
        [[['a', 'uno'], ['b', 2.5], ['c', 3]], [['x', 'ex'], ['y', 'y']]]],
    'the same key in contents and labels' => [[['k', 'content'], ['k2', 1]], [['k', 'label'], ['k2', 'two']],
        [[['k', 'content'], ['k2', 1]], [['k', 'label'], ['k2', 'two']]]],
    'UTF-8 text' => [[['fr', 'café crème'], ['zh', '日志服务'], ['emoji', "ok \u{1F600}\u{1F4A9}"],
        ['mixed', "a\u{00e9}\u{4e2d}\u{10348}z"]], [['ru', 'журнал']],
        [[['fr', 'café crème'], ['zh', '日志服务'], ['emoji', "ok \u{1F600}\u{1F4A9}"],
            ['mixed', "a\u{00e9}\u{4e2d}\u{10348}z"]], [['ru', 'журнал']]]],
];
$many = [];
for ($i = 0; $i < 300; $i++) {
    $many[] = ["k$i", $i % 3 === 0 ? $i : ($i % 3 === 1 ? $i + 0.25 : str_repeat('v', $i))];
}
$cases['300 fields'] = [$many, [], [$many, []]];
$lengths = [];
foreach ([1, 2, 3, 255, 256, 1023, 1024, 1025, 4096, 70000] as $n) {
    $lengths[] = ["a$n", str_repeat('é', intdiv($n, 2)) . str_repeat('x', $n % 2)];
}
$cases['lengths around the cached prefixes'] = [$lengths, [['l', str_repeat('z', 1024)]],
    [$lengths, [['l', str_repeat('z', 1024)]]]];

$items = [];
foreach ($cases as $name => [$contents, $labels, [$wantContents, $wantLabels]]) {
    $it = new LogItem();
    $it->set_log_timestamp($ts);
    $it->set_origin_msg("case $name");
    foreach ($contents as [$k, $v]) {
        $it->contents_push_back($k, $v);
    }
    foreach ($labels as [$k, $v]) {
        $it->labels_push_back($k, $v);
    }
    $want = ref_item($ts, "case $name", $wantContents, $wantLabels);
    $got = $it->pack();
    $at = strspn($got ^ $want, "\0");
    check($got === $want, "packed bytes, $name: " . strlen($got) . ' bytes, not ' . strlen($want) . ", first difference at $at");
    $items[$name] = [$it, $wantContents, $wantLabels];
}
$bytes = '';
foreach ($items as [$it]) {
    $bytes .= $it->pack();
}
check(LogItem::packAll(array_column($items, 0)) === [$bytes, count($items)], 'packAll joins the items');
check(LogItem::packAll($items['UTF-8 text'][0]) === [$items['UTF-8 text'][0]->pack(), 1], 'packAll of one item');

// set_contents and set_labels start over, in the array's order.
$it = new LogItem();
$it->set_log_timestamp($ts);
$it->set_origin_msg('set');
$it->contents_push_back('gone', 'x');
$it->set_contents(['b' => 1, 'a' => 'two']);
$it->labels_push_back('gone', 'x');
$it->set_labels(['c' => 2.5]);
check($it->pack() === ref_item($ts, 'set', [['b', 1], ['a', 'two']], [['c', 2.5]]), 'set_contents, set_labels');

// A refused key is refused each time, for either kind, and leaves the item as it was.
$it = new LogItem();
$it->set_log_timestamp($ts);
$it->set_origin_msg('refused');
$it->contents_push_back('ok', 1);
$before = $it->pack();
foreach ([1, 2] as $round) {
    foreach (['contents_push_back', 'labels_push_back'] as $push) {
        foreach (['bad key', '1st', '', str_repeat('k', 200), "caf\u{00e9}"] as $key) {
            try {
                $it->$push($key, 'v');
                check(false, "$push accepted " . json_encode($key) . " (round $round)");
            } catch (LogException $e) {
                check($e->getCode() === Constants::LTS_ERR_INVALID_KEY, "$push refused " . json_encode($key)
                    . " (round $round): " . $e->getMessage());
            }
        }
    }
}
check($it->pack() === $before, 'refused keys leave the item as it was');
// A key new to labels is checked as a label even when known as a content key.
$it->contents_push_back('both', 1);
$it->labels_push_back('both', 2);
check($it->pack() === ref_item($ts, 'refused', [['ok', 1], ['both', 1]], [['both', 2]]), 'key in both kinds');

// Through lts-local: what was pushed is stored, in order, with its type (an empty string
// is refused by the core at send, so the null and 300-field cases stay local).
$client = new LogClient(new ClientConfig($url, 'lts-local-ak', 'lts-local-sk', 'proj'));
$sent = ['a key pushed again keeps its place', 'the same key in contents and labels', 'UTF-8 text',
    'lengths around the cached prefixes'];
$answer = $client->put_logs('proj', 'unit-pk', array_map(function ($n) use ($items) { return $items[$n][0]; }, $sent));
check($answer->status_code === 0, 'packing cases sent: ' . json_encode($answer->body()));
$stored = logs('proj', 'unit-pk');
check(count($stored) === count($sent), 'packing cases stored: ' . count($stored));
foreach ($stored as $i => $log) {
    $name = $sent[$i] ?? '?';
    $pairs = function (array $fields): array {
        $out = [];
        foreach ($fields as [$k, $v]) {
            $out[$k] = $v;
        }
        return $out;
    };
    check($log['contents'] === $pairs($items[$name][1]), "stored contents, $name: " . json_encode($log['contents'], JSON_UNESCAPED_UNICODE));
    // Labels are stored as text.
    $labels = array_map('strval', $pairs($items[$name][2]));
    check(array_map('strval', $log['labels']) === $labels && array_keys($log['labels']) === array_keys($labels),
        "stored labels, $name: " . json_encode($log['labels'], JSON_UNESCAPED_UNICODE));
}
$client->close();
