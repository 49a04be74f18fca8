/* console.c - `stella console`: options, terminal setup and the one event
 * loop (poll on the keyboard, the sync job's fd and a one-second timer). */
#include "console.h"

#include <curses.h>
#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <termios.h>
#include <unistd.h>

#include "app.h"

#define CONSOLE_REFRESH_DEFAULT 5  /* seconds between re-reads of disk state */

typedef struct console_opts {
  const char *home;
  int allow_stale;
  const char *max_age;
  int refresh_secs;
  int help;
} console_opts;

static volatile sig_atomic_t console_stop;

/* ---- options: one table drives parsing and --help ---------------------- */

typedef struct console_option {
  const char *name;  /* "--home" */
  const char *arg;   /* "DIR", or NULL for a flag */
  const char *help;
  const char *expect; /* what a valid value looks like, for errors */
  /* Stores value (NULL for flags); returns 0, or -1 if it is unusable. */
  int (*set)(console_opts *o, const char *value);
} console_option;

static int opt_home(console_opts *o, const char *v) { o->home = v; return 0; }
static int opt_stale(console_opts *o, const char *v) {
  (void)v;
  o->allow_stale = 1;
  return 0;
}
static int opt_max_age(console_opts *o, const char *v) {
  int64_t secs;
  o->max_age = v;
  return stella_duration_parse(v, &secs) == STELLA_OK && secs > 0 ? 0 : -1;
}
static int opt_refresh(console_opts *o, const char *v) {
  char *end;
  long n = strtol(v, &end, 10);
  o->refresh_secs = (int)n;
  return *v && !*end && n >= 1 && n <= 3600 ? 0 : -1;
}
static int opt_help(console_opts *o, const char *v) {
  (void)v;
  o->help = 1;
  return 0;
}

static const console_option console_options[] = {
  {"--home", "DIR", "state folder (default: $STELLA_HOME, else the XDG "
                    "data dir)", "a folder", opt_home},
  {"--allow-stale", NULL, "let `s` accept metadata expired at most "
                          "--max-age ago (shown as STALE)", NULL, opt_stale},
  {"--max-age", "DUR", "how long ago stale metadata may have expired "
                       "(7d, 36h, 120d)",
   "a duration like 7d, 36h or 90m", opt_max_age},
  {"--refresh", "SECS", "re-read trusted state from disk every SECS "
                        "seconds (1 to 3600, default 5)",
   "a whole number of seconds from 1 to 3600", opt_refresh},
  {"--help", NULL, "show this help", NULL, opt_help},
};
#define N_OPTIONS (sizeof console_options / sizeof console_options[0])

static void console_usage(FILE *out) {
  fprintf(out, "usage: stella console [options]\n\n"
               "Full-screen dashboard of the verified trust state. Press ? "
               "inside for keys.\n\n");
  for (size_t i = 0; i < N_OPTIONS; i++) {
    char left[32];
    snprintf(left, sizeof left, "%s%s%s", console_options[i].name,
             console_options[i].arg ? " " : "",
             console_options[i].arg ? console_options[i].arg : "");
    fprintf(out, "  %-18s %s\n", left, console_options[i].help);
  }
  fprintf(out, "\nSTELLA_NOW=RFC3339 fixes the clock (for tests and demos).\n");
}

static int console_usage_error(const char *what, const char *why) {
  fprintf(stderr, "stella console: %s%s%s (see `stella console --help`)\n",
          what, why ? ": " : "", why ? why : "");
  return 2;
}

static const console_option *find_option(const char *name) {
  for (size_t i = 0; i < N_OPTIONS; i++)
    if (strcmp(console_options[i].name, name) == 0)
      return &console_options[i];
  return NULL;
}

/* Returns 0, or the exit code of a usage error (message printed). */
static int console_parse(int argc, char **argv, console_opts *o) {
  memset(o, 0, sizeof *o);
  o->refresh_secs = CONSOLE_REFRESH_DEFAULT;
  for (int i = 1; i < argc; i++) {
    const console_option *opt = find_option(argv[i]);
    if (!opt)
      return console_usage_error("unknown option", argv[i]);
    const char *value = NULL;
    if (opt->arg && i + 1 >= argc)
      return console_usage_error(opt->name, "needs a value");
    if (opt->arg)
      value = argv[++i];
    if (opt->set(o, value) != 0) {
      char what[96];
      snprintf(what, sizeof what, "%s '%.64s'", opt->name, value);
      return console_usage_error(what, opt->expect);
    }
  }
  if (o->allow_stale != (o->max_age != NULL))
    return console_usage_error("--allow-stale and --max-age DUR go together",
                               NULL);
  return 0;
}

/* ---- the clock: STELLA_NOW fixes it, as in the CLI --------------------- */

static int64_t fixed_now(void *ctx) { return *(const int64_t *)ctx; }

static int console_clock(stella_clock *clock, int64_t *fixed) {
  const char *env = getenv("STELLA_NOW");
  if (!env || !*env) {
    *clock = *stella_clock_system();
    return 0;
  }
  if (stella_time_parse(env, fixed) != STELLA_OK)
    return console_usage_error("STELLA_NOW is not an RFC 3339 time: %s", env);
  clock->now = fixed_now;
  clock->ctx = fixed;
  return 0;
}

/* ---- commands behind the key table ------------------------------------- */

unsigned console_set_message(console *c, console_style st, const char *fmt,
                             ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->message, sizeof c->message, fmt, ap);
  va_end(ap);
  c->message_style = st;
  return REDRAW_PANEL(PANEL_STATUSLINE);
}

double console_monotonic(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

unsigned console_start_sync(console *c) {
  char why[CONSOLE_MSG_MAX];
  if (console_model_sync_start(&c->model, why, sizeof why) != STELLA_OK)
    return console_set_message(c, STYLE_BAD, "%s", why);
  c->sync_started = console_monotonic();
  return console_set_message(c, STYLE_WARN, "syncing%s", draw_ellipsis()) |
         REDRAW_PANEL(PANEL_SYNC);
}

unsigned console_finish_sync(console *c) {
  if (!console_model_sync_poll(&c->model))
    return REDRAW_NONE;
  console_set_message(c, c->model.sync_result == STELLA_OK ? STYLE_OK
                                                           : STYLE_BAD,
                      "%s", c->model.sync_outcome);
  return REDRAW_ALL;
}

/* Re-reads disk state; a failure keeps the last snapshot and says why. */
static unsigned console_refresh(console *c, int announce) {
  stella_err err = console_model_reload(&c->model);
  if (err != STELLA_OK && !console_model_uninitialized(&c->model))
    console_set_message(c, STYLE_BAD, "cannot read trusted state: %s",
                        c->model.load_msg);
  else if (err != STELLA_OK && announce)
    console_set_message(c, STYLE_WARN, "no trusted root in %s",
                        c->model.trust ? stella_trust_home(c->model.trust)
                                       : "the state folder");
  else if (announce)
    console_set_message(c, STYLE_BAR, "reloaded trusted state from disk");
  return REDRAW_ALL;
}

unsigned console_reload(console *c) { return console_refresh(c, 1); }

unsigned console_focus_next(console *c) {
  for (int step = 1; step <= PANEL__COUNT; step++) {
    console_panel_id id = (console_panel_id)((c->focus + step) % PANEL__COUNT);
    console_panel *p = &c->panels[id];
    if (p->cls->focusable && p->rect.h > 0) {
      unsigned mask = REDRAW_PANEL(c->focus) | REDRAW_PANEL(id);
      c->focus = id;
      if (p->cls->focus)
        p->cls->focus(p, c);
      return mask;
    }
  }
  return REDRAW_NONE;
}

unsigned console_open_scenario(console *c, int index) {
  c->open_scenario = index;
  return REDRAW_ALL;
}

unsigned console_close_scenario(console *c) {
  c->open_scenario = -1;
  return REDRAW_ALL;
}

/* ---- drawing ----------------------------------------------------------- */

static const console_panel_class *const panel_classes[PANEL__COUNT] = {
  [PANEL_TITLEBAR] = &panel_titlebar_class,
  [PANEL_SCENARIOS] = &panel_scenarios_class,
  [PANEL_ROLES] = &panel_roles_class,
  [PANEL_SYNC] = &panel_sync_class,
  [PANEL_BACKENDS] = &panel_backends_class,
  [PANEL_ENDPOINTS] = &panel_endpoints_class,
  [PANEL_KEYS] = &panel_keys_class,
  [PANEL_RUNBOOK] = &panel_runbook_class,
  [PANEL_STATUSLINE] = &panel_statusline_class,
};

void console_attach_panels(console *c) {
  for (int id = 0; id < PANEL__COUNT; id++)
    c->panels[id].cls = panel_classes[id];
}

void console_render(console *c, unsigned mask) {
  if (mask & REDRAW_ALL) {
    console_layout(c);
    erase();
    mask = ~0u;
  }
  if (c->too_small) {
    erase();
    mvaddstr(0, 0, "terminal too small for stella console");
    refresh();
    return;
  }
  for (int id = 0; id < PANEL__COUNT; id++)
    if ((mask & REDRAW_PANEL(id)) && c->panels[id].rect.h > 0)
      c->panels[id].cls->draw(&c->panels[id], c);
  if (c->help_open)
    console_help_draw(c);
  refresh();
}

/* ---- the event loop ---------------------------------------------------- */

static unsigned console_read_keys(console *c) {
  unsigned mask = REDRAW_NONE;
  int key;
  while (!c->quit && (key = getch()) != ERR) {
    if (key == KEY_RESIZE)
      clearok(curscr, TRUE);
    mask |= console_dispatch_key(c, key);
  }
  return mask;
}

/* Once a second: the clock and ages tick; every refresh period the state is
 * re-read from disk (a sync from another terminal shows up here). */
static unsigned console_tick(console *c, double *next_tick,
                             double *next_refresh, int refresh_secs) {
  double now = console_monotonic();
  unsigned mask = REDRAW_NONE;
  if (now < *next_tick)
    return mask;
  *next_tick = now + 1.0;
  mask |= REDRAW_PANEL(PANEL_TITLEBAR) | REDRAW_PANEL(PANEL_SYNC) |
          REDRAW_PANEL(PANEL_ROLES) | REDRAW_PANEL(PANEL_BACKENDS);
  mask |= console_finish_sync(c); /* in case the fd wake-up was missed */
  if (now >= *next_refresh && !console_model_syncing(&c->model)) {
    *next_refresh = now + refresh_secs;
    mask |= console_refresh(c, 0);
  }
  return mask;
}

static int console_loop(console *c, int refresh_secs) {
  double next_tick = console_monotonic() + 1.0;
  double next_refresh = console_monotonic() + refresh_secs;
  unsigned mask = REDRAW_ALL;
  while (!c->quit && !console_stop) {
    if (mask)
      console_render(c, mask);
    struct pollfd fds[2] = {{.fd = 0, .events = POLLIN},
                            {.fd = console_model_sync_fd(&c->model),
                             .events = POLLIN}};
    nfds_t n = fds[1].fd >= 0 ? 2 : 1;
    int wait_ms = (int)((next_tick - console_monotonic()) * 1000) + 1;
    if (poll(fds, n, wait_ms < 0 ? 0 : wait_ms) < 0 && errno != EINTR)
      return 1;
    if (fds[0].revents & (POLLHUP | POLLERR | POLLNVAL))
      return 0; /* the terminal went away */
    mask = console_read_keys(c); /* also after EINTR: SIGWINCH */
    if (n == 2 && fds[1].revents)
      mask |= console_finish_sync(c);
    mask |= console_tick(c, &next_tick, &next_refresh, refresh_secs);
  }
  return 0;
}

static void console_on_signal(int sig) {
  (void)sig;
  console_stop = 1;
}

/* SIGINT/SIGTERM/SIGHUP end the loop so the terminal is restored (no SA_RESTART:
 * poll() must wake up). */
static void console_signals(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = console_on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGHUP, &sa, NULL);
  sigaction(SIGQUIT, &sa, NULL); /* Ctrl-\ must not leave a raw terminal */
}

/* Ctrl-S would freeze the screen (XON/XOFF) until Ctrl-Q: an operator in an
 * incident must not think the console hung. The mode is saved as the
 * program's, so ncurses re-applies it after a suspend; endwin() restores
 * the shell's own. */
static void console_no_flow_control(void) {
  struct termios tio;
  if (tcgetattr(STDIN_FILENO, &tio) == 0) {
    tio.c_iflag &= ~(tcflag_t)IXON;
    tcsetattr(STDIN_FILENO, TCSANOW, &tio);
    def_prog_mode();
  }
}

/* The screen, or NULL with why filled: newterm() instead of initscr(),
 * which would exit the process on an unknown TERM. */
static SCREEN *console_screen_start(char *why, size_t whylen) {
  const char *no_color = getenv("NO_COLOR"), *term = getenv("TERM");
  if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
    snprintf(why, whylen, "needs a terminal (stdin and stdout)");
    return NULL;
  }
  SCREEN *screen = newterm(NULL, stdout, stdin);
  if (!screen) {
    snprintf(why, whylen, "cannot use terminal type '%.40s' (set TERM, "
             "e.g. TERM=xterm-256color)", term && *term ? term : "(unset)");
    return NULL;
  }
  const char *cup = tigetstr("cup");
  if (!cup || cup == (const char *)-1) { /* dumb: no cursor addressing */
    endwin();
    delscreen(screen);
    snprintf(why, whylen, "terminal type '%.40s' cannot place the cursor "
             "(set TERM, e.g. TERM=xterm-256color)", term ? term : "");
    return NULL;
  }
  cbreak();
  noecho();
  nonl();
  console_no_flow_control();
  keypad(stdscr, TRUE);
  nodelay(stdscr, TRUE);
  set_escdelay(25);
  curs_set(0);
  draw_init_styles(!(no_color && *no_color));
  return screen;
}

static void console_init(console *c, const console_opts *o,
                         const stella_clock *clock) {
  stella_sync_opts sync = {.allow_stale = o->allow_stale};
  if (o->max_age)
    stella_duration_parse(o->max_age, &sync.max_stale_age);
  memset(c, 0, sizeof *c);
  console_model_open(&c->model, o->home, clock, &sync);
  console_attach_panels(c);
  c->focus = PANEL_SCENARIOS;
  c->open_scenario = -1;
  c->message_style = STYLE_BAR;
  if (console_model_uninitialized(&c->model))
    console_set_message(c, STYLE_WARN, "no trusted root yet: see the Roles "
                                       "panel");
  else if (c->model.load_err != STELLA_OK)
    console_set_message(c, STYLE_BAD, "cannot read trusted state: %s",
                        c->model.load_msg);
  else
    console_set_message(c, STYLE_BAR, "press ? for help");
}

int console_main(int argc, char **argv) {
  console_opts opts;
  stella_clock clock;
  int64_t fixed_time = 0;
  int rc = console_parse(argc, argv, &opts);
  if (rc == 0 && opts.help) {
    console_usage(stdout);
    return 0;
  }
  if (rc != 0 || (rc = console_clock(&clock, &fixed_time)) != 0)
    return rc;
  setlocale(LC_ALL, "");
  draw_set_utf8(strcmp(nl_langinfo(CODESET), "UTF-8") == 0);
  static console c; /* large; lives for the whole run */
  console_init(&c, &opts, &clock);
  console_signals();
  char why[160];
  SCREEN *screen = console_screen_start(why, sizeof why);
  if (!screen) {
    fprintf(stderr, "stella console: %s; for a one-off view use `stella "
                    "trust status`\n", why);
    console_model_close(&c.model);
    return 1;
  }
  rc = console_loop(&c, opts.refresh_secs);
  endwin();
  delscreen(screen);
  if (console_model_syncing(&c.model))
    fprintf(stderr, "stella console: cancelling the running sync (what it "
                    "verified stays trusted)\n");
  console_model_close(&c.model);
  return rc;
}
