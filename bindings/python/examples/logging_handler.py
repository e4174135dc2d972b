# Python's logging into LTS: dictConfig puts an LtsHandler on the root logger, and every record
# becomes a log (its message, level, logger, place and extra fields). The endpoint and keys
# reach lts-local (`lts-local -- python logging_handler.py`); give CTyun's endpoint and your
# access key pair instead for the service.
import logging
import logging.config
import os

logging.config.dictConfig({"version": 1, "handlers": {"lts": {
    "class": "lts.handler.LtsHandler", "endpoint": os.environ.get("LTS_ENDPOINT", "http://127.0.0.1:9480"),
    "access_key": "lts-local-ak", "secret_key": "lts-local-sk", "log_project": "my-project", "log_unit": "my-unit",
    "labels": {"service": "orders"}, "producer_options": {"linger_ms": 500}}},
    "root": {"handlers": ["lts"], "level": "INFO"}})

log = logging.getLogger("orders")
for i in range(100):
    log.info("order %d placed", i, extra={"amount": 2.5})
logging.shutdown()  # closes the handler: every record is sent first
