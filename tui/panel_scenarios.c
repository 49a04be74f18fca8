/* panel_scenarios.c - the side list of disaster scenarios; Enter opens the
 * selected one in the runbook pane. */
#include <stdio.h>

#include "app.h"
#include "scenarios.h"

static size_t scenarios_rows(const console *c) {
  (void)c;
  size_t n;
  console_scenarios(&n);
  return n;
}

static void scenarios_draw(const console_panel *p, const console *c) {
  size_t n;
  const console_scenario *list = console_scenarios(&n);
  int focused = c->focus == PANEL_SCENARIOS;
  draw_clear(p->rect);
  draw_title(p->rect, "Scenarios", focused);
  for (size_t i = p->top; i < n && (int)(i - p->top) < panel_body_rows(p);
       i++) {
    char line[128];
    int cur = i == p->cursor;
    snprintf(line, sizeof line, "%s%d %s", cur ? "> " : "  ",
             list[i].number, list[i].title);
    console_style st = cur && focused ? STYLE_SELECTED : STYLE_NORMAL;
    draw_text(p->rect.y + 1 + (int)(i - p->top), p->rect.x, p->rect.w, st,
              line, 1);
  }
}

/* Keeps the cursor row inside the visible rows. */
static void scenarios_follow_cursor(console_panel *p) {
  size_t body = (size_t)(panel_body_rows(p) > 0 ? panel_body_rows(p) : 1);
  if (p->cursor < p->top)
    p->top = p->cursor;
  else if (p->cursor >= p->top + body)
    p->top = p->cursor - body + 1;
}

static unsigned scenarios_key(console_panel *p, console *c, int key,
                              console_cmd cmd) {
  (void)key;
  size_t n = scenarios_rows(c), old = p->cursor;
  if (cmd == CMD_OPEN)
    return console_open_scenario(c, (int)p->cursor);
  if (cmd == CMD_UP && p->cursor > 0)
    p->cursor--;
  else if (cmd == CMD_DOWN && p->cursor + 1 < n)
    p->cursor++;
  if (p->cursor == old)
    return REDRAW_NONE;
  scenarios_follow_cursor(p);
  /* With a pane open, moving shows the newly selected scenario. */
  if (c->open_scenario >= 0)
    return console_open_scenario(c, (int)p->cursor);
  return REDRAW_PANEL(PANEL_SCENARIOS);
}

const console_panel_class panel_scenarios_class = {
  .name = "Scenarios",
  .focusable = 1,
  .draw = scenarios_draw,
  .handle_key = scenarios_key,
  .rows = scenarios_rows,
};
