const { Producer } = require('liblts');

const producer = new Producer(
  { endpoint: process.env.LTS_ENDPOINT || 'http://127.0.0.1:9480', access_key: 'lts-local-ak', secret_key: 'lts-local-sk', log_project: 'my-project' },
  { linger_ms: 500 },
);
const sends = [];
for (let i = 0; i < 100; i++) {
  sends.push(producer.send('my-project', 'my-unit', {
    message: `GET /api/orders/${i} 200`,
    contents: { level: 'info', status: 200, latency_ms: 12.5 },
  }).catch((err) => console.error(err.name, err.message)));
}
producer.safeClose().then(async (stats) => {
  await Promise.all(sends);
  console.log(`sent ${stats.logs_sent} of ${stats.logs_accepted} logs`);
});
