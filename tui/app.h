/* app.h - the console's state shared by its panels and commands: the model,
 * the panels, focus, overlays and the status line. Internal to tui/. */
#ifndef STELLA_TUI_APP_H
#define STELLA_TUI_APP_H

#include "draw.h"
#include "keys.h"
#include "model.h"
#include "panel.h"

/* Below this size the console shows only a "too small" notice. */
#define CONSOLE_MIN_COLS 40
#define CONSOLE_MIN_ROWS 12

struct console {
  console_model model;
  console_panel panels[PANEL__COUNT];
  console_panel_id focus;      /* panel that gets Up/Down/Enter */
  int open_scenario;           /* scenario index shown, -1: the dashboard */
  int help_open;               /* the `?` overlay is up */
  int quit;
  int too_small;               /* set by the layout */
  char message[CONSOLE_MSG_MAX]; /* status line text */
  console_style message_style;
  double sync_started;         /* monotonic seconds when `s` started a sync */
};

/* Sets the status line; returns the redraw mask for it. */
unsigned console_set_message(console *c, console_style st, const char *fmt,
                             ...) __attribute__((format(printf, 3, 4)));

/* Commands behind the key table. Each returns a redraw mask. */
unsigned console_start_sync(console *c);
unsigned console_finish_sync(console *c);
unsigned console_reload(console *c);
unsigned console_focus_next(console *c);
unsigned console_open_scenario(console *c, int index);
unsigned console_close_scenario(console *c);

/* Places every panel for the current LINES x COLS (layout.c). */
void console_layout(console *c);

/* Draws the panels in mask (everything for REDRAW_ALL), then overlays. */
void console_render(console *c, unsigned mask);
/* Gives every panel slot of c its class (the one table of panels). */
void console_attach_panels(console *c);

/* The `?` overlay, generated from the key table (help.c). */
void console_help_draw(const console *c);

/* Seconds on a monotonic clock, for timers (never the injectable clock). */
double console_monotonic(void);

#endif
