/* layout.c - where each panel goes for the current terminal size. Panels
 * shrink (and tables cut columns) so nothing overlaps at 80x24:
 *
 *   title bar                                    (1 row)
 *   Scenarios (side list) | Roles                (6 rows)
 *   Sync                                         (3 to 5 rows)
 *   Backends                                     (all its rows if it can)
 *   Endpoints                                    \ the rest, or the
 *   Trusted keys                                 / runbook pane
 *   status line                                  (1 row)
 */
#include <curses.h>

#include "app.h"

#define SIDE_W_MAX 30  /* "> 3 TUF repository unavailable" */
#define SIDE_W_MIN 18
#define TOP_BAND_H 6   /* title + five scenarios; roles: title+header+4 */
#define SYNC_H 3        /* title, last sync, outcome ... */
#define SYNC_H_MAX 5    /* ... with two more outcome lines if room is left */
#define TABLE_H_MIN 3   /* title, header and one row */

static console_rect rect(int y, int x, int h, int w) {
  console_rect r = {y, x, h > 0 ? h : 0, w > 0 ? w : 0};
  return r;
}

/* Rows a table panel would like: title, header, one per row (at least 1),
 * and its footer line when it has rows. */
static int table_need(const console *c, console_panel_id id) {
  const console_panel_class *cls = c->panels[id].cls;
  size_t rows = cls->rows(c);
  int footer = rows && cls->table && cls->table->footer;
  return 2 + (rows ? (int)rows : 1) + footer;
}

/* Splits the lower area between endpoints and keys, in proportion to their
 * wishes when they do not both fit; keys take what is left over. */
static void layout_tables(console *c, int y, int h) {
  int e_need = table_need(c, PANEL_ENDPOINTS);
  int k_need = table_need(c, PANEL_KEYS);
  int e_h = e_need;
  if (e_need + k_need > h)
    e_h = h * e_need / (e_need + k_need);
  if (e_h < 3 && h >= 6)
    e_h = 3;
  c->panels[PANEL_ENDPOINTS].rect = rect(y, 0, e_h, COLS);
  c->panels[PANEL_KEYS].rect = rect(y + e_h, 0, h - e_h, COLS);
}

/* The backends come first: which log serves, and why a breaker opened,
 * is what an outage needs. They leave endpoints and keys a title, a header
 * and a row each when that still leaves them a row and their cause line
 * (beyond it they scroll); in a tiny terminal they take what they need. */
static int layout_backends_h(const console *c, int h) {
  int need = table_need(c, PANEL_BACKENDS);
  int keep = h - 2 * TABLE_H_MIN;
  if (keep >= TABLE_H_MIN + 1)
    return need < keep ? need : keep;
  return need < h ? need : h;
}

/* A scrolled table must not stay scrolled past its end after a reload. */
static void layout_clamp_scroll(console *c) {
  for (int id = 0; id < PANEL__COUNT; id++)
    panel_clamp_scroll(&c->panels[id], c);
}

void console_layout(console *c) {
  for (int id = 0; id < PANEL__COUNT; id++)
    c->panels[id].rect = rect(0, 0, 0, 0);
  c->too_small = COLS < CONSOLE_MIN_COLS || LINES < CONSOLE_MIN_ROWS;
  if (c->too_small)
    return;
  int side_w = COLS * 3 / 8;
  side_w = side_w > SIDE_W_MAX ? SIDE_W_MAX : side_w < SIDE_W_MIN ? SIDE_W_MIN
                                                                  : side_w;
  int body_h = LINES - 2, y = 1;
  c->panels[PANEL_TITLEBAR].rect = rect(0, 0, 1, COLS);
  c->panels[PANEL_STATUSLINE].rect = rect(LINES - 1, 0, 1, COLS);
  c->panels[PANEL_SCENARIOS].rect = rect(y, 0, TOP_BAND_H, side_w);
  c->panels[PANEL_ROLES].rect =
      rect(y, side_w + 1, TOP_BAND_H, COLS - side_w - 1);
  y += TOP_BAND_H;
  int rest = body_h - TOP_BAND_H;
  int spare = rest - table_need(c, PANEL_BACKENDS) -
              table_need(c, PANEL_ENDPOINTS) - table_need(c, PANEL_KEYS);
  int sync_h = spare > SYNC_H ? spare : SYNC_H;
  if (sync_h > SYNC_H_MAX)
    sync_h = SYNC_H_MAX;
  if (rest - sync_h < 4)
    sync_h = 2;
  rest -= sync_h;
  c->panels[PANEL_SYNC].rect = rect(y, 0, sync_h, COLS);
  y += sync_h;
  int b_h = layout_backends_h(c, rest);
  c->panels[PANEL_BACKENDS].rect = rect(y, 0, b_h, COLS);
  y += b_h;
  rest -= b_h;
  if (c->open_scenario >= 0) /* in place of endpoints and keys */
    c->panels[PANEL_RUNBOOK].rect = rect(y, 0, rest, COLS);
  else
    layout_tables(c, y, rest);
  layout_clamp_scroll(c);
}
