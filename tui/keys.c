/* keys.c - the command table and the key-binding table, and dispatch. */
#include "keys.h"

#include <curses.h>
#include <stdio.h>
#include <string.h>

#include "app.h"

static unsigned cmd_help(console *c) {
  c->help_open = 1;
  return REDRAW_ALL;
}

static unsigned cmd_quit(console *c) {
  c->quit = 1;
  return REDRAW_NONE;
}

static unsigned cmd_close(console *c) {
  return c->open_scenario >= 0 ? console_close_scenario(c) : REDRAW_NONE;
}

/* run == NULL: the command goes to the focused panel's handle_key. */
static const console_command commands[CMD__COUNT] = {
  [CMD_NONE] = {.name = "none", .help = ""},
  [CMD_SYNC] = {.name = "sync",
                .help = "sync trust metadata in the background",
                .run = console_start_sync},
  [CMD_RELOAD] = {.name = "reload", .help = "re-read trusted state from disk",
                  .run = console_reload},
  [CMD_HELP] = {.name = "help", .help = "show this help", .run = cmd_help},
  [CMD_QUIT] = {.name = "quit", .help = "leave the console", .run = cmd_quit},
  [CMD_UP] = {.name = "up", .help = "move up in the focused list"},
  [CMD_DOWN] = {.name = "down", .help = "move down in the focused list"},
  [CMD_FOCUS_NEXT] = {.name = "focus", .help = "focus the next panel",
                      .run = console_focus_next},
  [CMD_OPEN] = {.name = "open", .help = "open the selected scenario"},
  [CMD_CLOSE] = {.name = "back", .help = "close the scenario pane",
                 .run = cmd_close},
};

static const console_binding bindings[] = {
  {.key = 's', .label = "s", .cmd = CMD_SYNC, .hint = 1},
  {.key = 'r', .label = "r", .cmd = CMD_RELOAD, .hint = 1},
  {.key = '?', .label = "?", .cmd = CMD_HELP, .hint = 1},
  {.key = 'q', .label = "q", .cmd = CMD_QUIT, .hint = 1},
  {.key = KEY_UP, .label = "Up", .cmd = CMD_UP},
  {.key = 'k', .label = "k", .cmd = CMD_UP},
  {.key = KEY_DOWN, .label = "Down", .cmd = CMD_DOWN},
  {.key = 'j', .label = "j", .cmd = CMD_DOWN},
  {.key = '\t', .label = "Tab", .cmd = CMD_FOCUS_NEXT},
  {.key = '\n', .label = "Enter", .cmd = CMD_OPEN},
  {.key = '\r', .cmd = CMD_OPEN},
  {.key = KEY_ENTER, .cmd = CMD_OPEN},
  {.key = 27, .label = "Esc", .cmd = CMD_CLOSE},
  {.key = KEY_BACKSPACE, .cmd = CMD_CLOSE},
};

const console_command *console_command_get(console_cmd cmd) {
  return cmd > CMD_NONE && cmd < CMD__COUNT ? &commands[cmd] : NULL;
}

const console_binding *console_bindings(size_t *n) {
  *n = sizeof bindings / sizeof bindings[0];
  return bindings;
}

console_cmd console_key_command(int key) {
  for (size_t i = 0; i < sizeof bindings / sizeof bindings[0]; i++)
    if (bindings[i].key == key)
      return bindings[i].cmd;
  return CMD_NONE;
}

unsigned console_dispatch_key(console *c, int key) {
  if (key == KEY_RESIZE)
    return REDRAW_ALL;
  if (c->help_open) { /* any key closes the overlay, like htop */
    c->help_open = 0;
    return REDRAW_ALL;
  }
  const console_command *command = console_command_get(console_key_command(key));
  if (!command)
    return REDRAW_NONE;
  if (command->run)
    return command->run(c);
  console_panel *p = &c->panels[c->focus];
  if (!p->cls->handle_key)
    return REDRAW_NONE;
  return p->cls->handle_key(p, c, key, console_key_command(key));
}

void console_command_keys(console_cmd cmd, char *buf, size_t len) {
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < sizeof bindings / sizeof bindings[0]; i++) {
    if (bindings[i].cmd != cmd || !bindings[i].label)
      continue;
    int n = snprintf(buf + used, len - used, "%s%s", used ? " " : "",
                     bindings[i].label);
    if (n < 0 || (size_t)n >= len - used)
      break;
    used += (size_t)n;
  }
}
