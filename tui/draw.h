/* draw.h - the console's drawing vocabulary: a style table (colour and
 * monochrome forms), clipped text that never writes outside its box and never
 * lets outside data move the cursor, word wrapping, and table column sizing. */
#ifndef STELLA_TUI_DRAW_H
#define STELLA_TUI_DRAW_H

#include <stddef.h>

typedef struct console_rect {
  int y, x;   /* top-left cell */
  int h, w;   /* size in cells; 0 means hidden */
} console_rect;

typedef enum console_style {
  STYLE_NORMAL = 0,
  STYLE_BAR,        /* top title bar and bottom status line */
  STYLE_TITLE,      /* a panel's title row */
  STYLE_TITLE_FOCUS,/* the title row of the focused panel */
  STYLE_HEADER,     /* column headers */
  STYLE_OK,
  STYLE_WARN,
  STYLE_BAD,
  STYLE_DIM,        /* ended validity windows, placeholders */
  STYLE_SELECTED,   /* the cursor row of the focused list */
  STYLE__COUNT
} console_style;

/* Sets up colour pairs when use_color, else monochrome attributes only
 * (NO_COLOR). Call after initscr(). */
void draw_init_styles(int use_color);

/* Whether the terminal locale is UTF-8 (then "…" is used for cut text). */
void draw_set_utf8(int utf8);
int draw_utf8(void);

/* The ellipsis for this locale: "…" or "...". */
const char *draw_ellipsis(void);

/* Display width of UTF-8 text in cells (invalid bytes and control
 * characters count as one "?" cell, as they are drawn). */
int draw_width(const char *text);

/* Writes text at (y, x) in at most width cells, padding with blanks when pad,
 * cutting with an ellipsis when it does not fit. Returns cells written. */
int draw_text(int y, int x, int width, console_style st, const char *text,
              int pad);

/* Blanks a rectangle. */
void draw_clear(console_rect r);

/* Word-wraps text into rows row0.. of r (cells r.w wide). Returns the number
 * of rows used; stops at the bottom of r. */
int draw_wrapped(console_rect r, int row0, console_style st,
                 const char *text);

/* A panel title row across r's first row, e.g. " Roles " in STYLE_TITLE. */
void draw_title(console_rect r, const char *title, int focused);

/* One table column: how wide it may get and in which order it gives way. */
typedef struct console_column {
  const char *header;
  int min;      /* narrowest useful width; 0 = may be hidden entirely */
  int max;      /* widest it is ever drawn */
  int shrink;   /* order in which columns give way (1 first); 0 = never */
} console_column;

/* Chooses widths for n columns that fit in avail cells with one blank
 * between shown columns. natural[i] is the widest cell (header included).
 * width[i] = 0 means the column is hidden. The last shown column takes
 * whatever room is left. */
void draw_column_widths(const console_column *cols, size_t n,
                        const int *natural, int avail, int *width);

#endif
