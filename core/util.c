/* util.c - error strings, the clock, RFC 3339 times and durations. */
#include "stella/stella.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *const err_names[STELLA_E__LAST] = {
  [STELLA_OK] = "no error",
  [STELLA_E_NOMEM] = "out of memory",
  [STELLA_E_INVALID_ARG] = "invalid argument",
  [STELLA_E_IO] = "file system error",
  [STELLA_E_NETWORK] = "network error",
  [STELLA_E_TIMEOUT] = "timed out",
  [STELLA_E_HTTP] = "unexpected HTTP status",
  [STELLA_E_NOT_FOUND] = "not found",
  [STELLA_E_TOO_LARGE] = "over the size limit",
  [STELLA_E_PARSE] = "malformed JSON",
  [STELLA_E_FORMAT] = "unexpected metadata format",
  [STELLA_E_SIGNATURE] = "signature threshold not met",
  [STELLA_E_EXPIRED] = "metadata expired",
  [STELLA_E_ROLLBACK] = "rollback detected",
  [STELLA_E_VERSION] = "version mismatch",
  [STELLA_E_HASH] = "length or hash mismatch",
  [STELLA_E_UNSUPPORTED] = "unsupported algorithm",
  [STELLA_E_EXISTS] = "already exists",
  [STELLA_E_NOT_INITIALIZED] = "no trusted root",
  [STELLA_E_LIMIT] = "safety limit reached",
  [STELLA_E_UNAVAILABLE] = "no backend available (circuit breakers open)",
  [STELLA_E_INCONSISTENT] = "log views are inconsistent (split view)",
  [STELLA_E_CANCELLED] = "cancelled",
};

const char *stella_strerror(stella_err err) {
  if ((int)err < 0 || err >= STELLA_E__LAST || !err_names[err])
    return "unknown error";
  return err_names[err];
}

static int64_t system_now(void *ctx) {
  (void)ctx;
  return (int64_t)time(NULL);
}

const stella_clock *stella_clock_system(void) {
  static const stella_clock clock = {system_now, NULL};
  return &clock;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian), no timezone games. */
static int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

static int is_leap_year(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Fields that name a real instant: "2026-02-30" or "24:00" would be
 * normalised into another day, so they are refused. No leap seconds: a
 * ":60" would be normalised into the next minute the same way. */
static int fields_valid(int Y, int M, int D, int h, int m, int s) {
  static const int days_in[12] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
  if (M < 1 || M > 12 || h > 23 || m > 59 || s > 59)
    return 0;
  int last = days_in[M - 1] + (M == 2 && is_leap_year(Y));
  return D >= 1 && D <= last;
}

static int read_digits(const char **p, int n, int *out) {
  int v = 0;
  for (int i = 0; i < n; i++) {
    if (!isdigit((unsigned char)(*p)[i]))
      return -1;
    v = v * 10 + ((*p)[i] - '0');
  }
  *p += n;
  *out = v;
  return 0;
}

static int expect_char(const char **p, char c) {
  if (**p != c)
    return -1;
  (*p)++;
  return 0;
}

stella_err stella_time_parse(const char *text, int64_t *out) {
  const char *p = text;
  int Y, M, D, h, m, s;
  if (!text || read_digits(&p, 4, &Y) || expect_char(&p, '-') ||
      read_digits(&p, 2, &M) || expect_char(&p, '-') ||
      read_digits(&p, 2, &D) || (*p != 'T' && *p != 't' && *p != ' '))
    return STELLA_E_PARSE;
  p++;
  if (read_digits(&p, 2, &h) || expect_char(&p, ':') ||
      read_digits(&p, 2, &m) || expect_char(&p, ':') ||
      read_digits(&p, 2, &s))
    return STELLA_E_PARSE;
  if (!fields_valid(Y, M, D, h, m, s))
    return STELLA_E_PARSE;
  if (*p == '.') { /* fraction: ignored, expiry has second resolution */
    p++;
    if (!isdigit((unsigned char)*p))
      return STELLA_E_PARSE;
    while (isdigit((unsigned char)*p))
      p++;
  }
  int64_t offset = 0;
  if (*p == 'Z' || *p == 'z') {
    p++;
  } else if (*p == '+' || *p == '-') {
    int sign = *p == '-' ? -1 : 1, oh, om;
    p++;
    if (read_digits(&p, 2, &oh) || expect_char(&p, ':') ||
        read_digits(&p, 2, &om) || oh > 23 || om > 59)
      return STELLA_E_PARSE;
    offset = sign * (oh * 3600 + om * 60);
  } else {
    return STELLA_E_PARSE;
  }
  if (*p)
    return STELLA_E_PARSE;
  *out = days_from_civil(Y, M, D) * 86400 + h * 3600 + m * 60 + s - offset;
  return STELLA_OK;
}

void stella_time_format(int64_t t, char *buf, size_t buflen) {
  time_t tt = (time_t)t;
  struct tm tm;
  if (!buf || !buflen)
    return;
  if (!gmtime_r(&tt, &tm) || !strftime(buf, buflen, "%Y-%m-%dT%H:%M:%SZ", &tm))
    snprintf(buf, buflen, "?");
}

stella_err stella_duration_parse(const char *text, int64_t *out) {
  static const struct { char unit; int64_t secs; } units[] = {
    {'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 604800},
  };
  if (!text || !isdigit((unsigned char)text[0]))
    return STELLA_E_PARSE;
  char *end;
  long long n = strtoll(text, &end, 10);
  if (n < 0 || n > 100LL * 365 * 86400 || end[0] == '\0' || end[1] != '\0')
    return STELLA_E_PARSE;
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
    if (units[i].unit == *end) {
      *out = (int64_t)n * units[i].secs;
      return STELLA_OK;
    }
  }
  return STELLA_E_PARSE;
}

const char *stella_role_state_name(stella_role_state s) {
  switch (s) {
  case STELLA_ROLE_OK: return "ok";
  case STELLA_ROLE_STALE: return "STALE";
  case STELLA_ROLE_EXPIRED: return "EXPIRED";
  case STELLA_ROLE_MISSING: return "missing";
  }
  return "?";
}

const char *stella_alert_name(stella_alert a) {
  switch (a) {
  case STELLA_ALERT_OK: return "ok";
  case STELLA_ALERT_WARNING: return "warning";
  case STELLA_ALERT_CRITICAL: return "critical";
  }
  return "?";
}

stella_alert stella_alert_for_age(int64_t age) {
  if (age > 24 * 3600)
    return STELLA_ALERT_CRITICAL;
  if (age > 12 * 3600)
    return STELLA_ALERT_WARNING;
  return STELLA_ALERT_OK;
}
