#include <stdio.h>
#include <string.h>

#include "lts.h"

const char *tu1_version(void);

int main(void) {
    lts_result r = LTS_OK;
    printf("%s %s\n", tu1_version(), lts_result_name(r));
    return strcmp(tu1_version(), LTS_VERSION_STRING) == 0 ? 0 : 1;
}
