/* The header compiles on its own and from two translation units (see header_tu2.c). */
#include "lts.h"
#include "lts.h" /* the include guard holds */

const char *tu1_version(void);
const char *tu1_version(void) { return lts_version(); }
