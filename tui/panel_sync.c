/* panel_sync.c - last good sync, its age (ticking with the clock), the alert
 * level, and what a sync from here will do. */
#include <stdio.h>

#include "app.h"

static const console_style alert_styles[] = {
  [STELLA_ALERT_OK] = STYLE_OK,
  [STELLA_ALERT_WARNING] = STYLE_WARN,
  [STELLA_ALERT_CRITICAL] = STYLE_BAD,
};

/* Draws label+value pairs left to right; returns the next column. */
static int sync_put(int y, int x, int right, console_style st,
                    const char *text) {
  if (x >= right)
    return x;
  return x + draw_text(y, x, right - x, st, text, 0);
}

static void sync_draw_last(const console_panel *p, const console *c, int y) {
  const stella_status *s = c->model.status;
  int x = p->rect.x + 1, right = p->rect.x + p->rect.w;
  char when[32], age[32];
  if (!s || !s->last_sync) {
    sync_put(y, x, right, STYLE_DIM, "last sync: never");
    return;
  }
  int64_t seconds = console_model_now(&c->model) - s->last_sync;
  stella_alert alert = stella_alert_for_age(seconds);
  stella_time_format(s->last_sync, when, sizeof when);
  stella_age_format(seconds, age, sizeof age);
  x = sync_put(y, x, right, STYLE_NORMAL, "last sync ");
  x = sync_put(y, x, right, STYLE_NORMAL, when);
  x = sync_put(y, x, right, STYLE_NORMAL, "  age ");
  x = sync_put(y, x, right, STYLE_NORMAL, age);
  x = sync_put(y, x, right, STYLE_NORMAL, "  alert ");
  sync_put(y, x, right, alert_styles[alert], stella_alert_name(alert));
}

/* " Sync  from URL  (stale up to 120d tolerated)": what `s` will do. */
static void sync_draw_title(const console_panel *p, const console *c) {
  const stella_sync_opts *o = &c->model.sync_opts;
  const stella_status *s = c->model.status;
  char title[1200], age[32] = "";
  stella_age_format(o->max_stale_age, age, sizeof age);
  snprintf(title, sizeof title, "Sync  from %s  (%s%s%s)",
           s && s->tuf_url[0] ? s->tuf_url : "-",
           o->allow_stale ? "stale up to " : "stale not tolerated",
           o->allow_stale ? age : "", o->allow_stale ? " tolerated" : "");
  draw_title(p->rect, title, 0);
}

/* The running sync, else the outcome of the last one, wrapped. */
static void sync_draw_outcome(const console_panel *p, const console *c,
                              int row) {
  console_rect body = {p->rect.y, p->rect.x + 1, p->rect.h, p->rect.w - 1};
  char line[64];
  if (console_model_syncing(&c->model)) {
    snprintf(line, sizeof line, "syncing%s %.0fs", draw_ellipsis(),
             console_monotonic() - c->sync_started);
    draw_wrapped(body, row, STYLE_WARN, line);
  } else if (c->model.sync_outcome[0]) {
    draw_wrapped(body, row, c->model.sync_result ? STYLE_BAD : STYLE_OK,
                 c->model.sync_outcome);
  } else {
    draw_wrapped(body, row, STYLE_DIM, "press s to sync now");
  }
}

static void sync_draw(const console_panel *p, const console *c) {
  draw_clear(p->rect);
  sync_draw_title(p, c);
  if (p->rect.h > 1)
    sync_draw_last(p, c, p->rect.y + 1);
  if (p->rect.h > 2)
    sync_draw_outcome(p, c, 2);
}

const console_panel_class panel_sync_class = {
  .name = "Sync",
  .draw = sync_draw,
};
