/* panel_table.c - drawing and scrolling shared by the table panels: sizes
 * the columns to the panel's width so nothing overlaps at 80 columns. */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "panel.h"

#define TABLE_MAX_COLUMNS 8
#define TABLE_CELL_MAX 512

int panel_body_rows(const console_panel *p) {
  return p->rect.h > 1 ? p->rect.h - 1 : 0;
}

/* A footer needs a row of its own besides title, header and one data row. */
static int table_has_footer(const console_panel *p) {
  return p->cls->table && p->cls->table->footer && p->rect.h >= 4;
}

int panel_table_body(const console_panel *p) {
  int body = panel_body_rows(p) - 1 - table_has_footer(p);
  return body > 0 ? body : 0;
}

/* Widest cell of each column, headers included. */
static void table_natural_widths(const console_table *t, const console *c,
                                 size_t n_rows, int *natural) {
  char cell[TABLE_CELL_MAX];
  for (size_t col = 0; col < t->n_columns; col++) {
    natural[col] = draw_width(t->columns[col].header);
    for (size_t row = 0; row < n_rows; row++) {
      t->cell(c, row, col, cell, sizeof cell);
      int w = draw_width(cell);
      if (w > natural[col])
        natural[col] = w;
    }
  }
}

/* Draws one row of cells (row == SIZE_MAX: the header row). */
static void table_draw_row(const console_panel *p, const console *c, int y,
                           size_t row, const int *width) {
  const console_table *t = p->cls->table;
  int selected = row != SIZE_MAX && t->select && row == p->cursor &&
                 c->focus == (console_panel_id)(p - c->panels);
  char cell[TABLE_CELL_MAX];
  int x = p->rect.x + 1, right = p->rect.x + p->rect.w;
  for (size_t col = 0; col < t->n_columns && x < right; col++) {
    if (width[col] <= 0)
      continue;
    console_style st = STYLE_HEADER;
    if (row == SIZE_MAX)
      snprintf(cell, sizeof cell, "%s", t->columns[col].header);
    else
      st = t->cell(c, row, col, cell, sizeof cell);
    if (selected) /* the words still carry the state without colour */
      st = STYLE_SELECTED;
    int w = width[col] < right - x ? width[col] : right - x;
    draw_text(y, x, w, st, cell, 1);
    x += w + 1;
  }
}

/* Title with a position hint when not every row fits, then the table's
 * own text. */
static void table_draw_title(const console_panel *p, const console *c,
                             size_t n_rows, size_t shown) {
  const console_table *t = p->cls->table;
  char title[256], extra[TABLE_CELL_MAX] = "";
  if (t->title)
    t->title(c, extra, sizeof extra);
  int n = snprintf(title, sizeof title, "%s", p->cls->name);
  if (shown < n_rows && n >= 0 && (size_t)n < sizeof title)
    n += snprintf(title + n, sizeof title - (size_t)n, "  %zu-%zu of %zu",
                  p->top + 1, p->top + shown, n_rows);
  if (extra[0] && n >= 0 && (size_t)n < sizeof title)
    snprintf(title + n, sizeof title - (size_t)n, "  %s", extra);
  draw_title(p->rect, title, c->focus == (console_panel_id)(p - c->panels));
}

static void table_draw_footer(const console_panel *p, const console *c) {
  char line[TABLE_CELL_MAX];
  console_style st = p->cls->table->footer(p, c, line, sizeof line);
  draw_text(p->rect.y + p->rect.h - 1, p->rect.x + 1, p->rect.w - 1, st,
            line, 1);
}

void panel_table_draw(const console_panel *p, const console *c) {
  const console_table *t = p->cls->table;
  size_t n_rows = t->rows(c);
  int body = panel_table_body(p);
  size_t shown = 0;
  draw_clear(p->rect);
  if (t->n_columns > TABLE_MAX_COLUMNS)
    return;
  if (n_rows == 0 || body <= 0) {
    table_draw_title(p, c, n_rows, n_rows);
    console_style st = STYLE_DIM;
    const char *text = t->empty ? t->empty(c, &st) : NULL;
    console_rect r = {p->rect.y + 1, p->rect.x + 1, p->rect.h - 1,
                      p->rect.w - 1};
    if (text && n_rows == 0)
      draw_wrapped(r, 0, st, text);
    return;
  }
  int natural[TABLE_MAX_COLUMNS], width[TABLE_MAX_COLUMNS];
  table_natural_widths(t, c, n_rows, natural);
  draw_column_widths(t->columns, t->n_columns, natural, p->rect.w - 1, width);
  table_draw_row(p, c, p->rect.y + 1, SIZE_MAX, width);
  for (size_t row = p->top; row < n_rows && shown < (size_t)body; row++)
    table_draw_row(p, c, p->rect.y + 2 + (int)shown++, row, width);
  table_draw_title(p, c, n_rows, shown);
  if (table_has_footer(p))
    table_draw_footer(p, c);
}

/* Up/Down scroll a table that does not fit. */
unsigned panel_scroll_key(console_panel *p, console *c, int key,
                          console_cmd cmd) {
  (void)key;
  size_t n_rows = p->cls->rows ? p->cls->rows(c) : 0;
  int body = panel_table_body(p);
  size_t max_top = body > 0 && n_rows > (size_t)body ? n_rows - (size_t)body : 0;
  size_t old = p->top;
  if (cmd == CMD_UP && p->top > 0)
    p->top--;
  else if (cmd == CMD_DOWN && p->top < max_top)
    p->top++;
  return p->top != old ? REDRAW_PANEL(p - c->panels) : REDRAW_NONE;
}

/* Scrolls so the cursor row is among the rows shown. */
static void table_follow_cursor(console_panel *p) {
  size_t body = (size_t)(panel_table_body(p) > 0 ? panel_table_body(p) : 1);
  if (p->cursor < p->top)
    p->top = p->cursor;
  else if (p->cursor >= p->top + body)
    p->top = p->cursor - body + 1;
}

unsigned panel_cursor_key(console_panel *p, console *c, int key,
                          console_cmd cmd) {
  (void)key;
  size_t n_rows = p->cls->rows ? p->cls->rows(c) : 0, old = p->cursor;
  if (cmd == CMD_UP && p->cursor > 0)
    p->cursor--;
  else if (cmd == CMD_DOWN && p->cursor + 1 < n_rows)
    p->cursor++;
  if (p->cursor == old)
    return REDRAW_NONE;
  table_follow_cursor(p);
  return REDRAW_PANEL(p - c->panels);
}

void panel_clamp_scroll(console_panel *p, const console *c) {
  size_t rows = p->cls->rows ? p->cls->rows(c) : 0;
  int body = p->cls->table ? panel_table_body(p) : panel_body_rows(p);
  size_t max_top = body > 0 && rows > (size_t)body ? rows - (size_t)body : 0;
  if (p->top > max_top)
    p->top = max_top;
  if (!p->cls->table || !p->cls->table->select)
    return;
  if (p->cursor >= rows)
    p->cursor = rows ? rows - 1 : 0;
  table_follow_cursor(p);
}
