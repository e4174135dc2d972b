# The official SDK page's synchronous example (§3), unchanged but for the endpoint and keys,
# which come from the environment so it can run against lts-local.
import os

from lts import LogItem, get_current_timestamp, LogClient, LogException, ClientConfig

def main():
    access_key = os.environ.get("LTS_ACCESS_KEY", "lts-local-ak")
    secret_key = os.environ.get("LTS_SECRET_KEY", "lts-local-sk")
    log_project = os.environ.get("LTS_PROJECT", "demo-project")
    log_unit = os.environ.get("LTS_UNIT", "demo-unit")
    endpoint = os.environ.get("LTS_ENDPOINT", "http://127.0.0.1:9480")

    log_items = []
    log_item = LogItem()
    curr_time = get_current_timestamp(3)  # 获取当前的时间戳，单位纳秒
    log_item.set_log_timestamp(curr_time)
    log_item.set_origin_msg("Python sdk test oriMessage")
    log_item.contents_push_back("level", "info")
    log_item.contents_push_back("area", 3.1415926)
    log_item.labels_push_back("user_tag", "string")
    log_num = 10
    for i in range(0, log_num):
        log_items.append(log_item)
    try:
        client_config = ClientConfig(endpoint, access_key, secret_key,log_project)
        log_client = LogClient(client_config)
        for i in range(0, 100):  # send 100 times
            log_response = log_client.put_logs(log_project, log_unit, log_items)
            log_response.log_print_body()
    except LogException as ex:
        print(ex)


if __name__ == "__main__":
    main()
