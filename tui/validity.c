/* validity.c - short cells for validity windows and URLs. */
#include "validity.h"

#include <stdio.h>
#include <string.h>

#include "stella/stella.h"

/* The date part of an RFC 3339 time: the window's day is what matters. */
static void format_day(int64_t t, char *buf, size_t len) {
  char full[32];
  stella_time_format(t, full, sizeof full);
  snprintf(buf, len, "%.10s", full);
}

console_style validity_format(int64_t from, int64_t until, int64_t now,
                              char *buf, size_t len) {
  char a[16], b[16];
  format_day(from, a, sizeof a);
  format_day(until, b, sizeof b);
  if (from && until)
    snprintf(buf, len, "%s..%s", a, b);
  else if (from)
    snprintf(buf, len, "since %s", a);
  else if (until)
    snprintf(buf, len, "until %s", b);
  else
    snprintf(buf, len, "-");
  return until && until < now ? STYLE_DIM : STYLE_NORMAL;
}

const char *validity_short_url(const char *url) {
  static const char scheme[] = "https://";
  if (url && strncmp(url, scheme, sizeof scheme - 1) == 0)
    return url + sizeof scheme - 1;
  return url ? url : "";
}
