/* keys.h - console commands and the key-binding table. The same tables
 * drive dispatch, the `?` overlay and the status-line hints, so the help can
 * never drift from what the keys do. */
#ifndef STELLA_TUI_KEYS_H
#define STELLA_TUI_KEYS_H

#include <stddef.h>

typedef struct console console;

typedef enum console_cmd {
  CMD_NONE = 0,
  CMD_SYNC,
  CMD_RELOAD,
  CMD_HELP,
  CMD_QUIT,
  CMD_UP,
  CMD_DOWN,
  CMD_FOCUS_NEXT,
  CMD_OPEN,
  CMD_CLOSE,
  CMD__COUNT
} console_cmd;

typedef struct console_command {
  const char *name;  /* "sync" */
  const char *help;  /* one line for the overlay */
  /* Runs a global command; NULL means it goes to the focused panel. */
  unsigned (*run)(console *c);
} console_command;

typedef struct console_binding {
  int key;           /* a character or a curses KEY_* code */
  const char *label; /* "Up", "s"; NULL for an alias not listed in help */
  console_cmd cmd;
  int hint;          /* also shown on the status line */
} console_binding;

/* The command table, indexed by console_cmd. */
const console_command *console_command_get(console_cmd cmd);

/* The binding table; *n gets its length. */
const console_binding *console_bindings(size_t *n);

/* The command bound to key, or CMD_NONE. */
console_cmd console_key_command(int key);

/* Runs the command bound to key (a global one, or via the focused panel).
 * Returns a redraw mask. */
unsigned console_dispatch_key(console *c, int key);

/* "Up k" for cmd: the labels of its bindings joined by spaces. */
void console_command_keys(console_cmd cmd, char *buf, size_t len);

#endif
