/* panel_roles.c - the TUF roles: version, expiry and state (ok / STALE /
 * EXPIRED), or guidance when there is no trusted root yet. */
#include <stdio.h>

#include "app.h"

enum { COL_ROLE, COL_VERSION, COL_EXPIRES, COL_STATE, COL_NOTE };

static const console_column role_columns[] = {
  [COL_ROLE] = {.header = "role", .min = 6, .max = 12, .shrink = 3},
  [COL_VERSION] = {.header = "version", .min = 4, .max = 8, .shrink = 2},
  [COL_EXPIRES] = {.header = "expires", .min = 10, .max = 20, .shrink = 4},
  [COL_STATE] = {.header = "state", .min = 7, .max = 8},
  [COL_NOTE] = {.header = "", .min = 0, .max = 24, .shrink = 1},
};

static size_t roles_rows(const console *c) {
  const stella_status *st = c->model.status;
  return st ? sizeof st->roles / sizeof st->roles[0] : 0;
}

static console_style role_state_style(stella_role_state s) {
  static const console_style styles[] = {
    [STELLA_ROLE_OK] = STYLE_OK, [STELLA_ROLE_STALE] = STYLE_WARN,
    [STELLA_ROLE_EXPIRED] = STYLE_BAD, [STELLA_ROLE_MISSING] = STYLE_DIM,
  };
  return (unsigned)s < sizeof styles / sizeof styles[0] ? styles[s] : STYLE_BAD;
}

/* "expired 12d 10h ago" / "expires in 3d 4h", from the live clock. */
static void role_note(const console *c, const stella_role_status *r,
                      char *buf, size_t len) {
  char age[32];
  int64_t left = r->expires - console_model_now(&c->model);
  if (!r->expires) {
    buf[0] = '\0';
  } else if (left < 0) {
    stella_age_format(-left, age, sizeof age);
    snprintf(buf, len, "expired %s ago", age);
  } else {
    stella_age_format(left, age, sizeof age);
    snprintf(buf, len, "in %s", age);
  }
}

static console_style roles_cell(const console *c, size_t row, size_t col,
                                char *buf, size_t len) {
  const stella_role_status *r = &c->model.status->roles[row];
  switch (col) {
  case COL_ROLE:
    snprintf(buf, len, "%s", r->name);
    return STYLE_NORMAL;
  case COL_VERSION:
    snprintf(buf, len, r->version ? "%lld" : "-", (long long)r->version);
    return STYLE_NORMAL;
  case COL_EXPIRES:
    if (r->expires)
      stella_time_format(r->expires, buf, len);
    else
      snprintf(buf, len, "-");
    return STYLE_NORMAL;
  case COL_STATE:
    snprintf(buf, len, "%s", stella_role_state_name(r->state));
    return role_state_style(r->state);
  default:
    role_note(c, r, buf, len);
    return STYLE_DIM;
  }
}

/* Without a trusted root, say what to run instead of showing nothing. */
static const char *roles_empty(const console *c, console_style *st) {
  static char text[CONSOLE_MSG_MAX + 1200];
  if (console_model_uninitialized(&c->model)) {
    *st = STYLE_WARN;
    snprintf(text, sizeof text, "no trusted root: run stella --home %s "
             "trust init --tuf-url URL --root FILE, then press s to sync.",
             c->model.trust ? stella_trust_home(c->model.trust) : "DIR");
    return text;
  }
  *st = STYLE_BAD;
  snprintf(text, sizeof text, "cannot read trusted state: %s (press r to "
           "retry)", c->model.load_msg[0] ? c->model.load_msg : "unknown");
  return text;
}

static const console_table roles_table = {
  .columns = role_columns,
  .n_columns = sizeof role_columns / sizeof role_columns[0],
  .rows = roles_rows,
  .cell = roles_cell,
  .empty = roles_empty,
};

const console_panel_class panel_roles_class = {
  .name = "Roles",
  .draw = panel_table_draw,
  .rows = roles_rows,
  .table = &roles_table,
};
