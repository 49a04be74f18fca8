/* draw.c - clipped, sanitised text drawing, styles and column sizing. */
#include "draw.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>
#include <wchar.h>

#define DRAW_MAX_CELLS 1024

typedef struct style_def {
  short fg, bg;      /* colour pair, used only with colours */
  attr_t color_attr; /* extra attributes with colours */
  attr_t mono_attr;  /* attributes under NO_COLOR or on a mono terminal */
} style_def;

/* One row per style; -1 is the terminal's default colour. */
static const style_def style_defs[STYLE__COUNT] = {
  [STYLE_NORMAL] = {-1, -1, A_NORMAL, A_NORMAL},
  [STYLE_BAR] = {COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE},
  [STYLE_TITLE] = {COLOR_BLACK, COLOR_WHITE, A_NORMAL, A_REVERSE},
  [STYLE_TITLE_FOCUS] = {COLOR_BLACK, COLOR_GREEN, A_BOLD, A_REVERSE | A_BOLD},
  [STYLE_HEADER] = {-1, -1, A_BOLD, A_BOLD},
  [STYLE_OK] = {COLOR_GREEN, -1, A_NORMAL, A_NORMAL},
  [STYLE_WARN] = {COLOR_YELLOW, -1, A_BOLD, A_BOLD},
  [STYLE_BAD] = {COLOR_RED, -1, A_BOLD, A_BOLD | A_UNDERLINE},
  [STYLE_DIM] = {-1, -1, A_DIM, A_DIM},
  [STYLE_SELECTED] = {COLOR_BLACK, COLOR_CYAN, A_NORMAL, A_REVERSE},
};

static attr_t style_attrs[STYLE__COUNT];
static int draw_is_utf8;

void draw_init_styles(int use_color) {
  if (use_color && has_colors() && start_color() == OK) {
    use_default_colors();
    for (int i = 0; i < STYLE__COUNT; i++) {
      init_pair((short)(i + 1), style_defs[i].fg, style_defs[i].bg);
      style_attrs[i] = COLOR_PAIR(i + 1) | style_defs[i].color_attr;
    }
    return;
  }
  for (int i = 0; i < STYLE__COUNT; i++)
    style_attrs[i] = style_defs[i].mono_attr;
}

void draw_set_utf8(int utf8) { draw_is_utf8 = utf8; }
int draw_utf8(void) { return draw_is_utf8; }
const char *draw_ellipsis(void) { return draw_is_utf8 ? "\u2026" : "..."; }

/* Decodes the next character of *p into *wc and returns its cell width.
 * Bad bytes and non-printing characters (escape sequences from outside
 * data must never reach the terminal) become '?'. */
static int next_cell(const char **p, mbstate_t *mbs, wchar_t *wc) {
  size_t n = mbrtowc(wc, *p, strlen(*p), mbs);
  if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
    memset(mbs, 0, sizeof *mbs);
    *wc = L'?';
    (*p)++;
    return 1;
  }
  *p += n;
  int w = wcwidth(*wc);
  if (w < 0) {
    *wc = L'?';
    w = 1;
  }
  return w;
}

int draw_width(const char *text) {
  mbstate_t mbs;
  memset(&mbs, 0, sizeof mbs);
  int total = 0;
  wchar_t wc;
  while (text && *text)
    total += next_cell(&text, &mbs, &wc);
  return total;
}

/* Fills out with the cells of text that fit in width; returns cells used. */
static int collect_cells(const char *text, int width, wchar_t *out,
                         size_t *n_out) {
  mbstate_t mbs;
  memset(&mbs, 0, sizeof mbs);
  int used = 0;
  size_t n = 0;
  while (text && *text && n < DRAW_MAX_CELLS - 1) {
    const char *save = text;
    wchar_t wc;
    int w = next_cell(&text, &mbs, &wc);
    if (used + w > width) {
      text = save;
      break;
    }
    out[n++] = wc;
    used += w;
  }
  out[n] = L'\0';
  *n_out = n;
  return used;
}

int draw_text(int y, int x, int width, console_style st, const char *text,
              int pad) {
  if (width <= 0 || y < 0 || y >= LINES || x < 0 || x >= COLS)
    return 0;
  if (x + width > COLS)
    width = COLS - x;
  wchar_t cells[DRAW_MAX_CELLS];
  size_t n;
  int used;
  int ew = draw_width(draw_ellipsis());
  if (draw_width(text) <= width || width <= ew) {
    used = collect_cells(text, width, cells, &n);
  } else { /* cut, then mark the cut */
    used = collect_cells(text, width - ew, cells, &n);
    used += collect_cells(draw_ellipsis(), ew, cells + n, &(size_t){0});
    n = wcslen(cells);
  }
  attrset(style_attrs[st]);
  mvaddnwstr(y, x, cells, (int)n);
  if (pad && used < width)
    mvhline(y, x + used, ' ', width - used);
  attrset(A_NORMAL);
  return pad ? width : used;
}

void draw_clear(console_rect r) {
  attrset(A_NORMAL);
  for (int i = 0; i < r.h; i++)
    if (r.w > 0 && r.y + i < LINES)
      mvhline(r.y + i, r.x, ' ', r.w);
}

/* Length in bytes of the longest prefix of text, ending at a space or the
 * end, that fits in width cells (at least one character). */
static size_t wrap_point(const char *text, int width) {
  mbstate_t mbs;
  memset(&mbs, 0, sizeof mbs);
  const char *p = text;
  size_t last_space = 0;
  int used = 0;
  while (*p && *p != '\n') {
    const char *save = p;
    wchar_t wc;
    int w = next_cell(&p, &mbs, &wc);
    if (used + w > width) {
      size_t fits = (size_t)(save - text);
      return last_space ? last_space : fits ? fits : 1;
    }
    used += w;
    if (*save == ' ')
      last_space = (size_t)(save - text);
  }
  return (size_t)(p - text);
}

int draw_wrapped(console_rect r, int row0, console_style st,
                 const char *text) {
  char line[DRAW_MAX_CELLS];
  int row = row0;
  while (text && *text && row < r.h) {
    if (row == r.h - 1) { /* last row: what does not fit ends in "…" */
      draw_text(r.y + row, r.x, r.w, st, text, 1);
      return row + 1 - row0;
    }
    size_t n = wrap_point(text, r.w);
    if (n >= sizeof line)
      n = sizeof line - 1;
    memcpy(line, text, n);
    line[n] = '\0';
    draw_text(r.y + row, r.x, r.w, st, line, 1);
    text += n;
    while (*text == ' ' || *text == '\n')
      text++;
    row++;
  }
  return row - row0;
}

void draw_title(console_rect r, const char *title, int focused) {
  if (r.h <= 0)
    return;
  char buf[256];
  /* Brackets mark focus in words too, for NO_COLOR and mono terminals. */
  snprintf(buf, sizeof buf, focused ? "[%s]" : " %s", title);
  draw_text(r.y, r.x, r.w, focused ? STYLE_TITLE_FOCUS : STYLE_TITLE, buf, 1);
}

static int sum_widths(const int *width, size_t n) {
  int total = 0, shown = 0;
  for (size_t i = 0; i < n; i++) {
    total += width[i];
    shown += width[i] > 0;
  }
  return total + (shown > 1 ? shown - 1 : 0);
}

void draw_column_widths(const console_column *cols, size_t n,
                        const int *natural, int avail, int *width) {
  int max_rank = 0;
  for (size_t i = 0; i < n; i++) {
    width[i] = natural[i] < cols[i].max ? natural[i] : cols[i].max;
    if (cols[i].shrink > max_rank)
      max_rank = cols[i].shrink;
  }
  /* Give way in rank order, each column only as far as needed. */
  for (int rank = 1; rank <= max_rank; rank++) {
    for (size_t i = 0; i < n; i++) {
      int over = sum_widths(width, n) - avail;
      if (over <= 0)
        break;
      if (cols[i].shrink != rank)
        continue;
      int room = width[i] - cols[i].min;
      if (cols[i].min == 0 || over >= room)
        width[i] = cols[i].min; /* hidden columns also free their gap */
      else
        width[i] -= over;
    }
  }
  int left = avail - sum_widths(width, n);
  for (size_t i = n; i-- > 0;)
    if (width[i] > 0) {
      width[i] += left > 0 ? left : 0;
      break;
    }
}
