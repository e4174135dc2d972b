const winston = require('winston');
const { LtsTransport } = require('liblts/winston');

const logger = winston.createLogger({
  level: 'info',
  format: winston.format.combine(winston.format.timestamp(), winston.format.errors({ stack: true })),
  defaultMeta: { service: 'orders' },
  transports: [
    new LtsTransport({
      client: { endpoint: process.env.LTS_ENDPOINT || 'http://127.0.0.1:9480', access_key: 'lts-local-ak', secret_key: 'lts-local-sk', log_project: 'my-project' },
      logUnit: 'my-unit',
      loggerName: 'orders',
      labels: { env: 'dev' },
      producer: { linger_ms: 500 }, // any producer option of CONFIGURATION.md
    }),
    new winston.transports.Console({ format: winston.format.simple() }),
  ],
});
logger.info('order placed', { orderId: 17, amount: 2.5 });
logger.error(new Error('payment declined'));
// Nothing else to do: the transport sends what is left when the process runs out of work
// (or at logger.end(), whose 'finish' comes once everything is sent).
