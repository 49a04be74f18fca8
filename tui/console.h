/* console.h - entry point of `stella console`, the full-screen dashboard.
 * The console reads verified state through the public API
 * (include/stella/stella.h) and runs syncs as background jobs; it does no
 * network I/O of its own. */
#ifndef STELLA_TUI_CONSOLE_H
#define STELLA_TUI_CONSOLE_H

/* Runs the console until the user quits. argv[0] is "console"; accepts
 * --home DIR, --allow-stale, --max-age DUR, --refresh SECS and --help.
 * Returns the process exit code: 0 after a normal quit, 1 if the terminal
 * could not be set up, 2 on a usage error (message printed on stderr). */
int console_main(int argc, char **argv);

#endif
