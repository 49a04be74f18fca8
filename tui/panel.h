/* panel.h - a panel is a small "class" (htop style): a const table of
 * methods plus per-instance state. Methods never draw outside their rect and
 * return a redraw mask instead of drawing ad hoc; the event loop redraws. */
#ifndef STELLA_TUI_PANEL_H
#define STELLA_TUI_PANEL_H

#include <stddef.h>
#include "draw.h"
#include "keys.h"

typedef struct console console;
typedef struct console_panel console_panel;

/* Every panel on screen, in drawing order. */
typedef enum console_panel_id {
  PANEL_TITLEBAR = 0,
  PANEL_SCENARIOS,
  PANEL_ROLES,
  PANEL_SYNC,
  PANEL_BACKENDS,
  PANEL_ENDPOINTS,
  PANEL_KEYS,
  PANEL_RUNBOOK,
  PANEL_STATUSLINE,
  PANEL__COUNT
} console_panel_id;

/* Redraw masks: one bit per panel, or everything (erase first). */
#define REDRAW_NONE 0u
#define REDRAW_PANEL(id) (1u << (id))
#define REDRAW_ALL (1u << 31)

/* A table-shaped panel (roles, backends, endpoints, keys) only describes
 * its rows; panel_table_draw() sizes the columns and draws them. */
typedef struct console_table {
  const console_column *columns;
  size_t n_columns;
  size_t (*rows)(const console *c);
  /* Writes row's cell col into buf and returns its style. */
  console_style (*cell)(const console *c, size_t row, size_t col, char *buf,
                        size_t len);
  /* Shown instead of rows when there are none; NULL for nothing. */
  const char *(*empty)(const console *c, console_style *st);
  /* Optional: text after the panel's name in the title row ("" for none). */
  void (*title)(const console *c, char *buf, size_t len);
  /* Optional: one line under the rows (when the panel has room for a row
   * besides it), e.g. details of the selected row. Returns its style. */
  console_style (*footer)(const console_panel *p, const console *c,
                          char *buf, size_t len);
  /* 1: rows have a cursor (p->cursor) that Up/Down move, highlighted while
   * the panel has focus; 0: Up/Down scroll. */
  int select;
} console_table;

typedef struct console_panel_class {
  const char *name;  /* shown in the title row */
  int focusable;     /* Tab stops here */
  /* Draws the panel into p->rect from the console's model. */
  void (*draw)(const console_panel *p, const console *c);
  /* Handles a command routed to the focused panel (move, open, close).
   * Returns a redraw mask. NULL: the panel ignores keys. */
  unsigned (*handle_key)(console_panel *p, console *c, int key,
                         console_cmd cmd);
  /* Content rows, for the cursor and scrolling; NULL: not scrollable. */
  size_t (*rows)(const console *c);
  /* Called when Tab gives the panel focus; NULL: nothing to do. */
  void (*focus)(console_panel *p, const console *c);
  const console_table *table; /* for table panels, else NULL */
} console_panel_class;

struct console_panel {
  const console_panel_class *cls;
  console_rect rect;   /* where it is; h == 0 when hidden */
  size_t top;          /* first content row shown */
  size_t cursor;       /* selected row (lists) */
};

/* Shared methods for table panels. */
void panel_table_draw(const console_panel *p, const console *c);
unsigned panel_scroll_key(console_panel *p, console *c, int key,
                          console_cmd cmd);
/* Up/Down move the cursor of a table with .select, scrolling to keep it
 * shown. */
unsigned panel_cursor_key(console_panel *p, console *c, int key,
                          console_cmd cmd);
/* Rows of content that fit under the title. */
int panel_body_rows(const console_panel *p);
/* Data rows a table panel shows: the body minus its header and footer. */
int panel_table_body(const console_panel *p);
/* Keeps a panel's scroll position (and a table's cursor) inside its rows,
 * after a reload or a resize. */
void panel_clamp_scroll(console_panel *p, const console *c);

extern const console_panel_class panel_titlebar_class;
extern const console_panel_class panel_scenarios_class;
extern const console_panel_class panel_roles_class;
extern const console_panel_class panel_sync_class;
extern const console_panel_class panel_backends_class;
extern const console_panel_class panel_endpoints_class;
extern const console_panel_class panel_keys_class;
extern const console_panel_class panel_runbook_class;
extern const console_panel_class panel_statusline_class;

#endif
