/* help.c - the `?` overlay, generated from the command and binding tables
 * so it always says what the keys really do. */
#include <curses.h>
#include <stdio.h>

#include "app.h"

#define HELP_KEYS_W 12
#define HELP_NAME_W 8

/* Commands that have at least one listed key, in table order. */
static int help_lines(console_cmd *out) {
  int n = 0;
  for (int cmd = CMD_NONE + 1; cmd < CMD__COUNT; cmd++) {
    char keys[64];
    console_command_keys((console_cmd)cmd, keys, sizeof keys);
    if (keys[0])
      out[n++] = (console_cmd)cmd;
  }
  return n;
}

static void help_frame(console_rect r) {
  draw_clear(r);
  attrset(A_NORMAL);
  mvhline(r.y, r.x, ACS_HLINE, r.w);
  mvhline(r.y + r.h - 1, r.x, ACS_HLINE, r.w);
  mvvline(r.y, r.x, ACS_VLINE, r.h);
  mvvline(r.y, r.x + r.w - 1, ACS_VLINE, r.h);
  mvaddch(r.y, r.x, ACS_ULCORNER);
  mvaddch(r.y, r.x + r.w - 1, ACS_URCORNER);
  mvaddch(r.y + r.h - 1, r.x, ACS_LLCORNER);
  mvaddch(r.y + r.h - 1, r.x + r.w - 1, ACS_LRCORNER);
  draw_text(r.y, r.x + 2, r.w - 4, STYLE_HEADER, " Keys ", 0);
}

void console_help_draw(const console *c) {
  (void)c;
  console_cmd cmds[CMD__COUNT];
  int n = help_lines(cmds);
  console_rect r = {0, 0, n + 4, COLS < 72 ? COLS : 72};
  if (r.h > LINES)
    r.h = LINES;
  r.y = (LINES - r.h) / 2;
  r.x = (COLS - r.w) / 2;
  help_frame(r);
  int inner = r.w - 4;
  for (int i = 0; i < n && 1 + i < r.h - 2; i++) {
    const console_command *cmd = console_command_get(cmds[i]);
    char keys[64];
    console_command_keys(cmds[i], keys, sizeof keys);
    int y = r.y + 1 + i, x = r.x + 2;
    x += draw_text(y, x, inner < HELP_KEYS_W ? inner : HELP_KEYS_W,
                   STYLE_HEADER, keys, 1);
    x += draw_text(y, x, HELP_NAME_W, STYLE_NORMAL, cmd->name, 1);
    draw_text(y, x, r.x + r.w - 2 - x, STYLE_NORMAL, cmd->help, 1);
  }
  if (r.h >= 4)
    draw_text(r.y + r.h - 2, r.x + 2, inner, STYLE_DIM,
              "press any key to close", 1);
}
