// The header compiles as C++ (extern "C" linkage, no C-only constructs).
#include <cstring>
#include <string>

#include "lts.h"

int main() {
    lts_log_item *item = nullptr;
    if (lts_log_item_new(&item) != LTS_OK) return 1;
    std::string name = lts_result_name(lts_log_item_push_content_str(item, "area:", "x"));
    lts_log_item_free(item);
    return name == "LTS_ERR_INVALID_KEY" ? 0 : 1;
}
