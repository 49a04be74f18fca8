/* panel_runbook.c - the pane of the open scenario. The guided runbooks come
 * in a later release; for now it says so and what the runbook will cover. */
#include <stdio.h>

#include "app.h"
#include "scenarios.h"

static void runbook_draw(const console_panel *p, const console *c) {
  size_t n;
  const console_scenario *list = console_scenarios(&n);
  if (c->open_scenario < 0 || (size_t)c->open_scenario >= n)
    return;
  const console_scenario *s = &list[c->open_scenario];
  char title[128];
  snprintf(title, sizeof title, "Scenario %d: %s", s->number, s->title);
  draw_clear(p->rect);
  draw_title(p->rect, title, 0);
  console_rect body = {p->rect.y + 1, p->rect.x + 1, p->rect.h - 1,
                       p->rect.w - 2};
  int row = draw_wrapped(body, 0, STYLE_WARN,
                         "runbook pane: coming in a later release");
  row += 1;
  row += draw_wrapped(body, row, STYLE_NORMAL, s->summary);
  draw_wrapped(body, row + 1, STYLE_DIM,
               "Esc: back to the dashboard. Up/Down: another scenario.");
}

const console_panel_class panel_runbook_class = {
  .name = "Runbook",
  .draw = runbook_draw,
};
