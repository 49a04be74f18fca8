/* panel_backends.c - the Rekor backends in failover order: each one's
 * circuit breaker, failure rate, opens in the last hour and last verified
 * checkpoint; which one serves (title); and why a breaker last changed
 * state (footer). Rows come from the model's array, filled through
 * stella_rekor_backends() at each reload: no I/O here. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "validity.h"

enum {
  COL_ROLE, COL_URL, COL_BREAKER, COL_SINCE, COL_FAIL, COL_OPENS,
  COL_CHECKPOINT
};

/* At 80 columns the URL is cut first (its head names the host), then the
 * checkpoint; role and breaker state never give way. */
static const console_column backend_columns[] = {
  [COL_ROLE] = {.header = "role", .min = 6, .max = 8},
  [COL_URL] = {.header = "url", .min = 16, .max = 64, .shrink = 1},
  [COL_BREAKER] = {.header = "breaker", .min = 9, .max = 9},
  [COL_SINCE] = {.header = "since", .min = 5, .max = 8, .shrink = 3},
  [COL_FAIL] = {.header = "fail%", .min = 5, .max = 5},
  [COL_OPENS] = {.header = "opens/h", .min = 7, .max = 7},
  [COL_CHECKPOINT] = {.header = "checkpoint", .min = 10, .max = 24,
                      .shrink = 2},
};

/* The breaker's state as shown: a word (it must read without colour) and a
 * style. The core spells states as in --json. */
typedef struct breaker_look {
  const char *state, *word;
  console_style style;
} breaker_look;

static const breaker_look breaker_looks[] = {
  {"closed", "CLOSED", STYLE_OK},
  {"open", "OPEN", STYLE_BAD},
  {"half_open", "HALF-OPEN", STYLE_WARN},
};

static int backend_state_is(const stella_backend *b, const char *state) {
  return b->state && strcmp(b->state, state) == 0;
}

static breaker_look backend_look(const stella_backend *b) {
  for (size_t i = 0; i < sizeof breaker_looks / sizeof breaker_looks[0]; i++)
    if (backend_state_is(b, breaker_looks[i].state))
      return breaker_looks[i];
  breaker_look unknown = {"", b->state ? b->state : "?", STYLE_WARN};
  return unknown;
}

static const stella_backend *backend_at(const console *c, size_t row) {
  return &c->model.backends[row];
}

static size_t backends_rows(const console *c) { return c->model.n_backends; }

/* "primary", or "mirror N" counting mirrors in failover order. */
static void backend_role(const console *c, size_t row, char *buf,
                         size_t len) {
  size_t mirrors = 0;
  for (size_t i = 0; i <= row; i++)
    mirrors += !backend_at(c, i)->primary;
  if (backend_at(c, row)->primary)
    snprintf(buf, len, "primary");
  else
    snprintf(buf, len, "mirror %zu", mirrors);
}

/* OPEN admits nothing until its cool-down is over; then the next call is
 * the probe, so that backend is tried again. */
static int backend_admits(const stella_backend *b, int64_t now) {
  return !backend_state_is(b, "open") ||
         (b->open_until && b->open_until <= now);
}

/* The first backend in failover order whose breaker admits a call, or
 * n_backends when none does. */
static size_t backends_serving(const console *c) {
  int64_t now = console_model_now(&c->model);
  size_t i = 0;
  while (i < c->model.n_backends && !backend_admits(backend_at(c, i), now))
    i++;
  return i;
}

static console_style checkpoint_cell(const console *c,
                                     const stella_backend *b, char *buf,
                                     size_t len) {
  char age[32];
  if (!b->has_checkpoint) {
    snprintf(buf, len, "-");
    return STYLE_DIM;
  }
  if (!b->checkpoint_verified_at) {
    snprintf(buf, len, "%llu", (unsigned long long)b->checkpoint_size);
    return STYLE_NORMAL;
  }
  stella_age_format(console_model_now(&c->model) - b->checkpoint_verified_at, age,
             sizeof age);
  snprintf(buf, len, "%llu %s ago", (unsigned long long)b->checkpoint_size,
           age);
  return STYLE_NORMAL;
}

static const console_style alert_styles[] = {
  [STELLA_ALERT_OK] = STYLE_NORMAL,
  [STELLA_ALERT_WARNING] = STYLE_WARN,
  [STELLA_ALERT_CRITICAL] = STYLE_BAD,
};

static console_style backends_cell(const console *c, size_t row, size_t col,
                                   char *buf, size_t len) {
  const stella_backend *b = backend_at(c, row);
  int64_t now = console_model_now(&c->model);
  switch (col) {
  case COL_ROLE:
    backend_role(c, row, buf, len);
    return STYLE_NORMAL;
  case COL_URL:
    snprintf(buf, len, "%s", validity_short_url(b->url));
    return STYLE_NORMAL;
  case COL_BREAKER:
    snprintf(buf, len, "%s", backend_look(b).word);
    return backend_look(b).style;
  case COL_SINCE:
    if (!b->since) {
      snprintf(buf, len, "-");
      return STYLE_DIM;
    }
    stella_age_format(now - b->since, buf, len);
    return STYLE_NORMAL;
  case COL_FAIL:
    if (!b->calls_in_window) {
      snprintf(buf, len, "-");
      return STYLE_DIM;
    }
    snprintf(buf, len, "%.0f%%", b->failure_rate * 100.0);
    return STYLE_NORMAL;
  case COL_OPENS:
    snprintf(buf, len, "%d", b->opens_last_hour);
    return (unsigned)b->alert < sizeof alert_styles / sizeof alert_styles[0]
               ? alert_styles[b->alert]
               : STYLE_BAD;
  default:
    return checkpoint_cell(c, b, buf, len);
  }
}

/* "serving: primary rekor.sigstore.dev" at a glance, or that none is. */
static void backends_title(const console *c, char *buf, size_t len) {
  size_t n = backends_rows(c), i = backends_serving(c);
  char role[32];
  if (!n) {
    buf[0] = '\0';
    return;
  }
  if (i == n) {
    snprintf(buf, len, "serving: none (every breaker is OPEN)");
    return;
  }
  backend_role(c, i, role, sizeof role);
  snprintf(buf, len, "serving: %s %s", role,
           validity_short_url(backend_at(c, i)->url));
}

/* The first backend whose breaker is not CLOSED (the one an on-call
 * engineer asks about), or n_backends. */
static size_t backends_first_trouble(const console *c) {
  size_t i = 0;
  while (i < c->model.n_backends &&
         backend_state_is(backend_at(c, i), "closed"))
    i++;
  return i;
}

/* Which row the footer explains: the cursor row while the panel has focus,
 * else the first breaker that is not CLOSED, else the cursor row. */
static size_t backends_subject(const console_panel *p, const console *c) {
  size_t n = backends_rows(c), trouble = backends_first_trouble(c);
  if (c->focus != PANEL_BACKENDS && trouble < n)
    return trouble;
  return p->cursor < n ? p->cursor : 0;
}

/* Tab to the panel selects the row its last line was explaining. */
static void backends_focus(console_panel *p, const console *c) {
  if (backends_first_trouble(c) < backends_rows(c))
    p->cursor = backends_first_trouble(c);
  panel_clamp_scroll(p, c);
}

/* Appends to buf at *used, never past len. */
static void append(char *buf, size_t len, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void append(char *buf, size_t len, size_t *used, const char *fmt,
                   ...) {
  if (*used >= len)
    return;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf + *used, len - *used, fmt, ap);
  va_end(ap);
  if (n > 0)
    *used = *used + (size_t)n < len ? *used + (size_t)n : len - 1;
}

/* When an OPEN breaker lets the next probe through: short, and before
 * the cause, which may be long and cut. */
static void append_probe(const stella_backend *b, int64_t now, char *buf,
                         size_t len, size_t *used) {
  char age[32];
  if (!b->open_until)
    return;
  if (b->open_until <= now) {
    append(buf, len, used, " (cool-down over: the next call probes)");
    return;
  }
  stella_age_format(b->open_until - now, age, sizeof age);
  append(buf, len, used, " (probe in %s)", age);
}

/* "primary OPEN (probe in 30s): <cause>; last error 1m ago: <error>". */
static console_style backends_footer(const console_panel *p,
                                     const console *c, char *buf,
                                     size_t len) {
  size_t row = backends_subject(p, c), used = 0;
  const stella_backend *b = backend_at(c, row);
  int64_t now = console_model_now(&c->model);
  breaker_look look = backend_look(b);
  int has_cause = b->last_cause && *b->last_cause;
  int has_error = b->last_error && *b->last_error;
  char role[32], age[32];
  backend_role(c, row, role, sizeof role);
  buf[0] = '\0';
  append(buf, len, &used, "%s%s %s", role,
         b->origin && strcmp(b->origin, "config") == 0 ? " (local)" : "",
         look.word);
  if (backend_state_is(b, "open"))
    append_probe(b, now, buf, len, &used);
  append(buf, len, &used, ": %s",
         has_cause ? b->last_cause : "no state change recorded");
  if (has_error && b->last_error_at) {
    stella_age_format(now - b->last_error_at, age, sizeof age);
    append(buf, len, &used, "; last error %s ago: %s", age, b->last_error);
  } else if (has_error) {
    append(buf, len, &used, "; last error: %s", b->last_error);
  }
  if (look.style != STYLE_OK)
    return look.style;
  return has_cause || has_error ? STYLE_NORMAL : STYLE_DIM;
}

/* No Rekor client (no synced service map yet, or unreadable config): one
 * line saying why. */
static const char *backends_empty(const console *c, console_style *st) {
  static char text[CONSOLE_MSG_MAX + 64];
  const console_model *m = &c->model;
  *st = STYLE_DIM;
  if (m->backends_err == STELLA_OK)
    return m->status ? "no Rekor backends in the signing config" : "-";
  if (m->backends_err == STELLA_E_NOT_INITIALIZED)
    return "no Rekor backends yet: press s to sync the service map";
  *st = STYLE_BAD;
  snprintf(text, sizeof text, "no Rekor backends: %s", m->backends_msg);
  return text;
}

static const console_table backends_table = {
  .columns = backend_columns,
  .n_columns = sizeof backend_columns / sizeof backend_columns[0],
  .rows = backends_rows,
  .cell = backends_cell,
  .empty = backends_empty,
  .title = backends_title,
  .footer = backends_footer,
  .select = 1,
};

const console_panel_class panel_backends_class = {
  .name = "Backends",
  .focusable = 1,
  .draw = panel_table_draw,
  .handle_key = panel_cursor_key,
  .rows = backends_rows,
  .focus = backends_focus,
  .table = &backends_table,
};
