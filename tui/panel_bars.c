/* panel_bars.c - the title bar (what is shown, from where, at what time)
 * and the status line (last message, key hints from the binding table). */
#include <stdio.h>
#include <string.h>

#include "app.h"

static void titlebar_draw(const console_panel *p, const console *c) {
  char now[32], left[1200];
  const console_model *m = &c->model;
  stella_time_format(console_model_now(m), now, sizeof now);
  const char *home = m->trust ? stella_trust_home(m->trust)
                              : (m->home ? m->home : "(default)");
  snprintf(left, sizeof left, " stella console  home %s", home);
  int time_w = draw_width(now);
  int room = p->rect.w - time_w - 2; /* a blank before and after the time */
  draw_text(p->rect.y, p->rect.x, p->rect.w, STYLE_BAR, "", 1);
  if (room < 20) { /* too narrow for both: the time gives way */
    draw_text(p->rect.y, p->rect.x, p->rect.w, STYLE_BAR, left, 1);
    return;
  }
  draw_text(p->rect.y, p->rect.x, room, STYLE_BAR, left, 1);
  draw_text(p->rect.y, p->rect.x + room + 1, time_w, STYLE_BAR, now, 1);
}

/* "s sync  r reload  ? help  q quit", from the bindings marked as hints. */
static void statusline_hints(char *buf, size_t len) {
  size_t n, used = 0;
  const console_binding *b = console_bindings(&n);
  buf[0] = '\0';
  for (size_t i = 0; i < n; i++) {
    if (!b[i].hint)
      continue;
    int w = snprintf(buf + used, len - used, "%s:%s  ", b[i].label,
                     console_command_get(b[i].cmd)->name);
    if (w < 0 || (size_t)w >= len - used)
      break;
    used += (size_t)w;
  }
}

static void statusline_draw(const console_panel *p, const console *c) {
  char hints[128];
  statusline_hints(hints, sizeof hints);
  int hw = draw_width(hints);
  int room = p->rect.w - hw;
  draw_text(p->rect.y, p->rect.x, p->rect.w, STYLE_BAR, "", 1);
  /* The message matters more than the hints when space is short. */
  if (room < draw_width(c->message) + 3)
    room = p->rect.w;
  draw_text(p->rect.y, p->rect.x + 1, room - 1, c->message_style, c->message,
            0);
  if (room < p->rect.w)
    draw_text(p->rect.y, p->rect.x + room, hw, STYLE_BAR, hints, 1);
}

const console_panel_class panel_titlebar_class = {
  .name = "title",
  .draw = titlebar_draw,
};

const console_panel_class panel_statusline_class = {
  .name = "status",
  .draw = statusline_draw,
};
