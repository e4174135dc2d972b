# The official SDK page's asynchronous example (§3), unchanged but for the endpoint and keys
# (from the environment) and the sleeps (5 s each on the page; LTS_SLEEP_S here, default 0).
import os
import time
from asynchronous.producer import Producer
from asynchronous.producer_config import ProducerConfig
from lts import LogItem, get_current_timestamp, LogException, ClientConfig

def main():
    access_key = os.environ.get("LTS_ACCESS_KEY", "lts-local-ak")
    secret_key = os.environ.get("LTS_SECRET_KEY", "lts-local-sk")
    log_project = os.environ.get("LTS_PROJECT", "demo-project")
    log_unit = os.environ.get("LTS_UNIT", "demo-unit")
    endpoint = os.environ.get("LTS_ENDPOINT", "http://127.0.0.1:9480")
    pause = float(os.environ.get("LTS_SLEEP_S", "0"))

    log_items = []
    log_item = LogItem()
    curr_time = get_current_timestamp(3)
    log_item.set_log_timestamp(curr_time)
    log_item.set_origin_msg("Python sdk test oriMessage")
    log_item.contents_push_back("level", "info")
    log_item.contents_push_back("area", 3.1415926)
    log_item.labels_push_back("user_tag", "string")
    log_num = 10
    for i in range(0, log_num):
        log_items.append(log_item)

    producer_config = ProducerConfig()
    producer = Producer(producer_config)
    try:
        client_config = ClientConfig(endpoint, access_key, secret_key, log_project)
        producer.build_clients(client_config)
        producer.start()
        for i in range(0, 100):  # send 100 times
          producer.send_logs_callback(log_project, log_unit, log_items)
          time.sleep(pause)
        for i in range(0, 100):  # send 100 times
           producer.send_logs_callback(log_project, log_unit, log_items)
        time.sleep(pause)
        # 关闭producer 发送
        producer.safe_close()
    except LogException as ex:
        print(ex)


if __name__ == "__main__":
    main()
