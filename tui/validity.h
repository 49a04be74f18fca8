/* validity.h - how the console writes a validity window in one short cell. */
#ifndef STELLA_TUI_VALIDITY_H
#define STELLA_TUI_VALIDITY_H

#include <stddef.h>
#include <stdint.h>
#include "draw.h"

/* Writes "since 2022-04-13", "2021-03-14..2022-10-31" or "-" into buf and
 * returns STYLE_DIM when the window has ended at now, else STYLE_NORMAL. */
console_style validity_format(int64_t from, int64_t until, int64_t now,
                              char *buf, size_t len);

/* The URL without its "https://" scheme, for narrow columns. */
const char *validity_short_url(const char *url);

#endif
