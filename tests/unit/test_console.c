/* test_console.c - the console's pieces that need no terminal: the key and
 * command tables agree, key dispatch, table columns always fit, the layout
 * never overlaps or leaves the screen at any size, text is sanitised, the
 * Backends panel's rows, states, styles and hints from a fake array, and
 * the model survives a missing or unusable state folder. One test draws
 * the Backends panel on a virtual 80x24 curses screen and reads it back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <curses.h>

#include "app.h"
#include "draw.h"
#include "keys.h"
#include "scenarios.h"

static void test_every_binding_names_a_command(void **state) {
  (void)state;
  size_t n;
  const console_binding *b = console_bindings(&n);
  for (size_t i = 0; i < n; i++) {
    const console_command *cmd = console_command_get(b[i].cmd);
    assert_non_null(cmd);
    assert_non_null(cmd->name);
    assert_true(cmd->help && *cmd->help);
    for (size_t j = i + 1; j < n; j++)
      assert_int_not_equal(b[i].key, b[j].key); /* one meaning per key */
    if (b[i].hint) /* hints are shown by label */
      assert_non_null(b[i].label);
  }
}

/* The help overlay lists a command by its labelled keys: none may be
 * missing, or the overlay would hide a command. */
static void test_every_command_has_a_listed_key(void **state) {
  (void)state;
  for (int cmd = CMD_NONE + 1; cmd < CMD__COUNT; cmd++) {
    char keys[64];
    console_command_keys((console_cmd)cmd, keys, sizeof keys);
    assert_true(keys[0] != '\0');
  }
  char keys[64];
  console_command_keys(CMD_UP, keys, sizeof keys);
  assert_string_equal(keys, "Up k");
  assert_int_equal(console_key_command('s'), CMD_SYNC);
  assert_int_equal(console_key_command('x'), CMD_NONE);
}

static int columns_total(const int *width, size_t n) {
  int total = 0, shown = 0;
  for (size_t i = 0; i < n; i++) {
    total += width[i];
    shown += width[i] > 0;
  }
  return total + (shown > 1 ? shown - 1 : 0);
}

/* Shaped like the keys panel: optional column first, fingerprint next. */
static void test_columns_fit_every_width(void **state) {
  (void)state;
  static const console_column cols[] = {
    {.header = "kind", .min = 4, .max = 8, .shrink = 5},
    {.header = "log", .min = 16, .max = 40, .shrink = 3},
    {.header = "type", .min = 10, .max = 26, .shrink = 4},
    {.header = "fp", .min = 16, .max = 64, .shrink = 2},
    {.header = "valid", .min = 0, .max = 22, .shrink = 1},
  };
  const int natural[] = {5, 28, 23, 64, 22};
  int width[5];
  int mins = 4 + 16 + 10 + 16 + 3; /* valid hidden: 4 gaps -> 3 */
  for (int avail = mins; avail <= 200; avail++) {
    draw_column_widths(cols, 5, natural, avail, width);
    assert_int_equal(columns_total(width, 5), avail);
    for (size_t i = 0; i < 4; i++)
      assert_true(width[i] >= cols[i].min);
  }
  draw_column_widths(cols, 5, natural, 79, width);
  assert_int_equal(width[4], 0);  /* validity gives way first */
  assert_int_equal(width[1], 28); /* the log name stays whole at 80 */
  assert_true(width[3] >= 16 && width[3] < 64);
}

static void test_text_width_is_sanitised(void **state) {
  (void)state;
  assert_int_equal(draw_width("rekor"), 5);
  assert_int_equal(draw_width(""), 0);
  assert_int_equal(draw_width(NULL), 0);
  /* An escape sequence counts (and is drawn) as "?" cells. */
  assert_int_equal(draw_width("a\x1b[2Jb"), 6);
  assert_int_equal(draw_width("\xff\xfe"), 2);
}

#define FAKE_NOW 1800000000 /* 2027-01-15T08:00:00Z */

static int64_t fake_now(void *ctx) {
  (void)ctx;
  return FAKE_NOW;
}
static const stella_clock fake_clock = {.now = fake_now};

/* A console over an unusable state folder, with fake row counts. */
static void fake_console(console *c, stella_status *st) {
  memset(c, 0, sizeof *c);
  console_attach_panels(c);
  for (int id = 0; id < PANEL__COUNT; id++)
    assert_non_null(c->panels[id].cls);
  c->model.clock = &fake_clock;
  c->model.status = st;
  c->focus = PANEL_SCENARIOS;
  c->open_scenario = -1;
}

/* Three backends as stella_rekor_backends() reports them during a failover:
 * the primary OPEN, the first mirror HALF-OPEN with a long URL, a local
 * mirror never used. */
static stella_backend fake_backends[] = {
  {.url = "https://rekor.example.org", .primary = 1,
   .origin = "signing_config", .state = "open", .since = FAKE_NOW - 250,
   .failure_rate = 0.8, .calls_in_window = 10,
   .last_error = "GET /api/v1/log: connection refused",
   .last_error_at = FAKE_NOW - 65,
   .last_cause = "8 of 10 calls failed (rate rule)",
   .open_until = FAKE_NOW + 30, .opens_last_hour = 3,
   .alert = STELLA_ALERT_WARNING, .has_checkpoint = 1,
   .checkpoint_size = 1234567, .checkpoint_verified_at = FAKE_NOW - 7200},
  {.url = "https://rekor-mirror-eu-west.transparency.example.net/api/v1/"
          "mirror/log/with/a/very/long/path",
   .primary = 0, .origin = "signing_config", .state = "half_open",
   .since = FAKE_NOW - 5, .failure_rate = 0.0, .calls_in_window = 4,
   .last_error = "", .last_cause = "cool-down over: probing",
   .opens_last_hour = 6, .alert = STELLA_ALERT_CRITICAL, .has_checkpoint = 1,
   .checkpoint_size = 1234500},
  {.url = "http://127.0.0.1:3000", .primary = 0, .origin = "config",
   .state = "closed", .last_error = "", .last_cause = ""},
};
#define N_FAKE_BACKENDS (sizeof fake_backends / sizeof fake_backends[0])

static void fake_backends_in(console *c, size_t n) {
  c->model.backends = fake_backends;
  c->model.n_backends = n;
}

static int rects_overlap(console_rect a, console_rect b) {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h &&
         b.y < a.y + a.h;
}

static void check_layout(console *c) {
  for (int i = 0; i < PANEL__COUNT; i++) {
    console_rect r = c->panels[i].rect;
    if (r.h == 0)
      continue;
    assert_true(r.w > 0 && r.x >= 0 && r.y >= 0);
    assert_true(r.x + r.w <= COLS && r.y + r.h <= LINES);
    for (int j = i + 1; j < PANEL__COUNT; j++)
      if (c->panels[j].rect.h)
        assert_false(rects_overlap(r, c->panels[j].rect));
  }
}

static void test_layout_never_overlaps(void **state) {
  (void)state;
  stella_status st;
  memset(&st, 0, sizeof st);
  console c;
  fake_console(&c, &st);
  for (size_t n = 0; n <= 12; n += 4) {
    st.n_endpoints = n;
    st.n_keys = n + 1;
    fake_backends_in(&c, n / 4); /* 0 to 3 backends */
    for (int open = -1; open <= 0; open++) {
      c.open_scenario = open;
      for (COLS = 40; COLS <= 200; COLS += 7)
        for (LINES = 12; LINES <= 60; LINES += 3) {
          console_layout(&c);
          assert_false(c.too_small);
          check_layout(&c);
        }
    }
  }
  COLS = 39;
  LINES = 24;
  console_layout(&c);
  assert_true(c.too_small);
}

/* 80x24 with the Sigstore snapshot's counts: the top band, the sync and
 * the whole Backends panel (title, header, rows, cause line) are shown;
 * endpoints and keys keep a title, a header and at least two rows each and
 * scroll. At 100x30 nothing is scrolled away. */
static void test_layout_80x24_shows_backends(void **state) {
  (void)state;
  stella_status st;
  memset(&st, 0, sizeof st);
  st.n_endpoints = 4;
  st.n_keys = 4;
  console c;
  fake_console(&c, &st);
  for (size_t n = 1; n <= 2; n++) {
    fake_backends_in(&c, n);
    COLS = 80;
    LINES = 24;
    console_layout(&c);
    assert_int_equal(c.panels[PANEL_SCENARIOS].rect.h, 6); /* title + 5 */
    assert_int_equal(c.panels[PANEL_ROLES].rect.h, 6);     /* +header + 4 */
    assert_int_equal(c.panels[PANEL_SYNC].rect.h, 3);
    assert_int_equal(c.panels[PANEL_BACKENDS].rect.h, 2 + (int)n + 1);
    assert_int_equal(panel_table_body(&c.panels[PANEL_BACKENDS]), (int)n);
    assert_true(panel_table_body(&c.panels[PANEL_ENDPOINTS]) >= 2);
    assert_true(panel_table_body(&c.panels[PANEL_KEYS]) >= 2);
    assert_int_equal(c.panels[PANEL_KEYS].rect.y + c.panels[PANEL_KEYS].rect.h,
                     LINES - 1); /* nothing left blank above the status */
    COLS = 100;
    LINES = 30;
    console_layout(&c);
    assert_int_equal(panel_table_body(&c.panels[PANEL_BACKENDS]), (int)n);
    assert_int_equal(panel_table_body(&c.panels[PANEL_ENDPOINTS]), 4);
    assert_true(panel_table_body(&c.panels[PANEL_KEYS]) >= 4);
  }
  /* A small terminal: the backends keep a row and their cause line,
   * endpoints and keys give way first. */
  fake_backends_in(&c, 3);
  COLS = 60;
  LINES = 16;
  console_layout(&c);
  assert_int_equal(c.panels[PANEL_BACKENDS].rect.h, 5);
  assert_int_equal(panel_table_body(&c.panels[PANEL_BACKENDS]), 2);
  /* Many backends at 80x24: they scroll, the others keep a row each. */
  stella_backend many[12];
  for (size_t i = 0; i < 12; i++)
    many[i] = fake_backends[2];
  c.model.backends = many;
  c.model.n_backends = 12;
  COLS = 80;
  LINES = 24;
  console_layout(&c);
  assert_int_equal(c.panels[PANEL_BACKENDS].rect.h, 7);
  assert_int_equal(panel_table_body(&c.panels[PANEL_ENDPOINTS]), 1);
  assert_int_equal(panel_table_body(&c.panels[PANEL_KEYS]), 1);
  /* No backends: a title and the one-line hint (plus its header row). */
  fake_backends_in(&c, 0);
  COLS = 80;
  LINES = 24;
  console_layout(&c);
  assert_int_equal(c.panels[PANEL_BACKENDS].rect.h, 3);
  /* The runbook pane replaces endpoints and keys, not the backends. */
  fake_backends_in(&c, 3);
  c.open_scenario = 0;
  console_layout(&c);
  assert_int_equal(c.panels[PANEL_BACKENDS].rect.h, 2 + 3 + 1);
  assert_true(c.panels[PANEL_RUNBOOK].rect.h >= 6);
  assert_int_equal(c.panels[PANEL_ENDPOINTS].rect.h, 0);
}

static void test_dispatch(void **state) {
  (void)state;
  stella_status st;
  memset(&st, 0, sizeof st);
  st.n_endpoints = 2;
  st.n_keys = 2;
  console c;
  fake_console(&c, &st);
  COLS = 80;
  LINES = 24;
  console_layout(&c);
  console_dispatch_key(&c, '?');
  assert_true(c.help_open);
  console_dispatch_key(&c, 'q'); /* any key closes the overlay first */
  assert_false(c.help_open);
  assert_false(c.quit);
  console_dispatch_key(&c, 'j');
  console_dispatch_key(&c, KEY_DOWN);
  assert_int_equal(c.panels[PANEL_SCENARIOS].cursor, 2);
  console_dispatch_key(&c, '\r');
  assert_int_equal(c.open_scenario, 2);
  console_dispatch_key(&c, 27);
  assert_int_equal(c.open_scenario, -1);
  console_dispatch_key(&c, '\t');
  assert_int_equal(c.focus, PANEL_BACKENDS);
  console_dispatch_key(&c, '\t');
  assert_int_equal(c.focus, PANEL_ENDPOINTS);
  console_dispatch_key(&c, '\t');
  console_dispatch_key(&c, '\t');
  assert_int_equal(c.focus, PANEL_SCENARIOS); /* wraps around */
  console_dispatch_key(&c, 'q');
  assert_true(c.quit);
}

/* Cell text and style of a panel's table (the Backends one by default). */
static void expect_panel_cell(const console_panel_class *cls, const console *c,
                              size_t row, size_t col, const char *text,
                              console_style style) {
  char buf[512];
  console_style st = cls->table->cell(c, row, col, buf, sizeof buf);
  assert_string_equal(buf, text);
  assert_int_equal(st, style);
}

static void expect_cell(const console *c, size_t row, size_t col,
                        const char *text, console_style style) {
  expect_panel_cell(&panel_backends_class, c, row, col, text, style);
}

enum { K_KIND, K_LOG, K_TYPE, K_FINGERPRINT, K_STATUS };

/* The keys panel names a key by its service-map name when it has one and
 * shows its status; a compromised key's row is critical, an ended one dim. */
static void test_keys_names_and_status(void **state) {
  (void)state;
  stella_key keys[] = {
    {.kind = "tlog", .name = "rekor-2026", .base_url = "https://rekor.example",
     .log_id = "c0d2", .key_type = "PKIX_ED25519", .fingerprint_sha256 = "c0d2",
     .status = "active", .valid_from = FAKE_NOW - 100},
    {.kind = "tlog", .name = "rekor-2025", .base_url = "https://rekor.example",
     .log_id = "b548", .key_type = "PKIX_ED25519", .fingerprint_sha256 = "b548",
     .status = "compromised", .valid_from = FAKE_NOW - 900,
     .valid_until = FAKE_NOW - 100},
    {.kind = "ctlog", .name = "", .base_url = "https://ct.example",
     .log_id = "0860", .key_type = "PKIX_ECDSA_P256_SHA_256",
     .fingerprint_sha256 = "0860", .status = "", .valid_from = FAKE_NOW - 900,
     .valid_until = FAKE_NOW - 100},
  };
  stella_status st;
  memset(&st, 0, sizeof st);
  st.keys = keys;
  st.n_keys = 3;
  console c;
  fake_console(&c, &st);
  const console_panel_class *k = &panel_keys_class;
  expect_panel_cell(k, &c, 0, K_LOG, "rekor-2026", STYLE_NORMAL);
  expect_panel_cell(k, &c, 0, K_STATUS, "active", STYLE_NORMAL);
  expect_panel_cell(k, &c, 1, K_LOG, "rekor-2025", STYLE_BAD);
  expect_panel_cell(k, &c, 1, K_STATUS, "compromised", STYLE_BAD);
  expect_panel_cell(k, &c, 2, K_LOG, "ct.example", STYLE_DIM);
  expect_panel_cell(k, &c, 2, K_STATUS, "", STYLE_DIM);
}

enum { B_ROLE, B_URL, B_BREAKER, B_SINCE, B_FAIL, B_OPENS, B_CHECKPOINT };

/* Every column of every row: words for the states (NO_COLOR), OPEN as
 * critical, HALF-OPEN as a warning, CLOSED ok; opens/h styled by the
 * core's alert; "-" dim where there is nothing yet. */
static void test_backends_rows_states_styles(void **state) {
  (void)state;
  console c;
  fake_console(&c, NULL);
  fake_backends_in(&c, N_FAKE_BACKENDS);
  const console_table *t = panel_backends_class.table;
  assert_int_equal(t->rows(&c), 3);
  assert_int_equal(t->n_columns, 7);
  static const char *const headers[] = {"role", "url", "breaker", "since",
                                        "fail%", "opens/h", "checkpoint"};
  for (size_t i = 0; i < 7; i++)
    assert_string_equal(t->columns[i].header, headers[i]);

  expect_cell(&c, 0, B_ROLE, "primary", STYLE_NORMAL);
  expect_cell(&c, 0, B_URL, "rekor.example.org", STYLE_NORMAL);
  expect_cell(&c, 0, B_BREAKER, "OPEN", STYLE_BAD);
  expect_cell(&c, 0, B_SINCE, "4m", STYLE_NORMAL);
  expect_cell(&c, 0, B_FAIL, "80%", STYLE_NORMAL);
  expect_cell(&c, 0, B_OPENS, "3", STYLE_WARN);
  expect_cell(&c, 0, B_CHECKPOINT, "1234567 2h ago", STYLE_NORMAL);

  expect_cell(&c, 1, B_ROLE, "mirror 1", STYLE_NORMAL);
  expect_cell(&c, 1, B_BREAKER, "HALF-OPEN", STYLE_WARN);
  expect_cell(&c, 1, B_SINCE, "5s", STYLE_NORMAL);
  expect_cell(&c, 1, B_FAIL, "0%", STYLE_NORMAL);
  expect_cell(&c, 1, B_OPENS, "6", STYLE_BAD);
  expect_cell(&c, 1, B_CHECKPOINT, "1234500", STYLE_NORMAL); /* no time */

  expect_cell(&c, 2, B_ROLE, "mirror 2", STYLE_NORMAL);
  expect_cell(&c, 2, B_URL, "http://127.0.0.1:3000", STYLE_NORMAL);
  expect_cell(&c, 2, B_BREAKER, "CLOSED", STYLE_OK);
  expect_cell(&c, 2, B_SINCE, "-", STYLE_DIM);
  expect_cell(&c, 2, B_FAIL, "-", STYLE_DIM); /* no calls in the window */
  expect_cell(&c, 2, B_OPENS, "0", STYLE_NORMAL);
  expect_cell(&c, 2, B_CHECKPOINT, "-", STYLE_DIM);

  /* A state this console does not know is shown as given, as a warning. */
  stella_backend odd = fake_backends[2];
  odd.state = "forced_open";
  c.model.backends = &odd;
  c.model.n_backends = 1;
  expect_cell(&c, 0, B_BREAKER, "forced_open", STYLE_WARN);
}

static void backends_title(const console *c, char *buf, size_t len) {
  panel_backends_class.table->title(c, buf, len);
}

static console_style backends_footer(const console *c, char *buf,
                                     size_t len) {
  return panel_backends_class.table->footer(&c->panels[PANEL_BACKENDS], c,
                                            buf, len);
}

/* The title names the backend that serves: the first whose breaker admits
 * a call. The footer says why a breaker last changed state and the last
 * error: unfocused, of the first breaker not CLOSED; focused, of the
 * cursor row. */
static void test_backends_serving_and_cause(void **state) {
  (void)state;
  console c;
  char buf[512];
  fake_console(&c, NULL);
  fake_backends_in(&c, N_FAKE_BACKENDS);
  backends_title(&c, buf, sizeof buf);
  assert_string_equal(buf, "serving: mirror 1 rekor-mirror-eu-west."
                           "transparency.example.net/api/v1/mirror/log/"
                           "with/a/very/long/path");
  assert_int_equal(backends_footer(&c, buf, sizeof buf), STYLE_BAD);
  assert_string_equal(buf, "primary OPEN (probe in 30s): 8 of 10 calls "
                           "failed (rate rule); last error 1m ago: GET "
                           "/api/v1/log: connection refused");

  c.focus = PANEL_BACKENDS;
  c.panels[PANEL_BACKENDS].cursor = 1;
  assert_int_equal(backends_footer(&c, buf, sizeof buf), STYLE_WARN);
  assert_string_equal(buf, "mirror 1 HALF-OPEN: cool-down over: probing");
  c.panels[PANEL_BACKENDS].cursor = 2;
  assert_int_equal(backends_footer(&c, buf, sizeof buf), STYLE_DIM);
  assert_string_equal(buf, "mirror 2 (local) CLOSED: no state change "
                           "recorded");

  /* Only the OPEN primary: nothing serves until its cool-down is over. */
  fake_backends_in(&c, 1);
  backends_title(&c, buf, sizeof buf);
  assert_string_equal(buf, "serving: none (every breaker is OPEN)");
  stella_backend cooled = fake_backends[0];
  cooled.open_until = FAKE_NOW - 1;
  c.model.backends = &cooled;
  c.panels[PANEL_BACKENDS].cursor = 0;
  backends_title(&c, buf, sizeof buf);
  assert_string_equal(buf, "serving: primary rekor.example.org");
  backends_footer(&c, buf, sizeof buf);
  assert_non_null(strstr(buf, "primary OPEN (cool-down over: the next call "
                              "probes): 8 of 10 calls failed"));

  /* A CLOSED breaker with an error but no transition is plain text. */
  stella_backend erred = fake_backends[2];
  erred.last_error = "timeout after 5000 ms";
  erred.last_error_at = 0;
  c.model.backends = &erred;
  assert_int_equal(backends_footer(&c, buf, sizeof buf), STYLE_NORMAL);
  assert_string_equal(buf, "mirror 1 (local) CLOSED: no state change "
                           "recorded; last error: timeout after 5000 ms");

  /* The footer never overruns a small buffer. */
  fake_backends_in(&c, N_FAKE_BACKENDS);
  char small[24];
  c.panels[PANEL_BACKENDS].cursor = 0;
  backends_footer(&c, small, sizeof small);
  assert_int_equal(strlen(small), sizeof small - 1);
}

/* No Rekor handle (no service map yet, or another reason): an empty panel
 * with a one-line hint; the reason is the core's message. */
static void test_backends_empty_hint(void **state) {
  (void)state;
  console c;
  stella_status st;
  memset(&st, 0, sizeof st);
  fake_console(&c, &st);
  const console_table *t = panel_backends_class.table;
  console_style style = STYLE_NORMAL;
  char buf[64];
  assert_int_equal(t->rows(&c), 0);
  backends_title(&c, buf, sizeof buf);
  assert_string_equal(buf, "");

  c.model.backends_err = STELLA_E_NOT_INITIALIZED;
  assert_string_equal(t->empty(&c, &style),
                      "no Rekor backends yet: press s to sync the service "
                      "map");
  assert_int_equal(style, STYLE_DIM);

  c.model.backends_err = STELLA_E_FORMAT;
  snprintf(c.model.backends_msg, sizeof c.model.backends_msg,
           "config.json: rekor.mirrors must be a list of URLs");
  assert_string_equal(t->empty(&c, &style),
                      "no Rekor backends: config.json: rekor.mirrors must "
                      "be a list of URLs");
  assert_int_equal(style, STYLE_BAD);

  c.model.backends_err = STELLA_OK;
  assert_string_equal(t->empty(&c, &style),
                      "no Rekor backends in the signing config");
}

/* The widths panel_table_draw would choose at 80 columns: a long URL is
 * cut (to no less than its minimum) and every other column stays whole. */
static void test_backends_long_url_cut_at_80(void **state) {
  (void)state;
  console c;
  fake_console(&c, NULL);
  fake_backends_in(&c, N_FAKE_BACKENDS);
  const console_table *t = panel_backends_class.table;
  int natural[7], width[7];
  char buf[512];
  for (size_t col = 0; col < t->n_columns; col++) {
    natural[col] = draw_width(t->columns[col].header);
    for (size_t row = 0; row < N_FAKE_BACKENDS; row++) {
      t->cell(&c, row, col, buf, sizeof buf);
      if (draw_width(buf) > natural[col])
        natural[col] = draw_width(buf);
    }
  }
  assert_true(natural[B_URL] > 64);
  draw_column_widths(t->columns, t->n_columns, natural, 79, width);
  assert_int_equal(columns_total(width, t->n_columns), 79);
  assert_true(width[B_URL] >= t->columns[B_URL].min);
  assert_true(width[B_URL] < natural[B_URL]);
  for (size_t col = 0; col < t->n_columns; col++)
    if (col != B_URL && col != B_CHECKPOINT) /* the last one takes the rest */
      assert_int_equal(width[col], natural[col]);
  assert_true(width[B_CHECKPOINT] >= natural[B_CHECKPOINT]);
}

/* Tab to Backends selects the first breaker that is not CLOSED (the row
 * the last line was explaining); Up/Down move the cursor (not a scroll)
 * within the rows. */
static void test_backends_cursor_keys(void **state) {
  (void)state;
  console c;
  stella_status st;
  memset(&st, 0, sizeof st);
  fake_console(&c, &st);
  stella_backend v[3] = {fake_backends[2], fake_backends[1], fake_backends[0]};
  v[0].primary = 1;
  v[0].origin = "signing_config";
  v[2].primary = 0;
  c.model.backends = v;
  c.model.n_backends = 3;
  COLS = 80;
  LINES = 24;
  console_layout(&c);
  char before[512], after[512];
  backends_footer(&c, before, sizeof before);
  assert_non_null(strstr(before, "mirror 1 HALF-OPEN: "));
  assert_int_equal(console_dispatch_key(&c, '\t'),
                   REDRAW_PANEL(PANEL_SCENARIOS) |
                       REDRAW_PANEL(PANEL_BACKENDS));
  assert_int_equal(c.focus, PANEL_BACKENDS);
  console_panel *p = &c.panels[PANEL_BACKENDS];
  assert_int_equal(p->cursor, 1);
  backends_footer(&c, after, sizeof after);
  assert_string_equal(after, before);
  assert_int_equal(console_dispatch_key(&c, 'j'),
                   REDRAW_PANEL(PANEL_BACKENDS));
  assert_int_equal(p->cursor, 2);
  assert_int_equal(console_dispatch_key(&c, KEY_DOWN), REDRAW_NONE);
  console_dispatch_key(&c, 'k');
  console_dispatch_key(&c, KEY_UP);
  assert_int_equal(p->cursor, 0);
  backends_footer(&c, after, sizeof after);
  assert_string_equal(after, "primary CLOSED: no state change recorded");
  console_dispatch_key(&c, 'j');
  assert_int_equal(p->cursor, 1);
  c.model.backends = fake_backends;
  /* A reload with fewer backends pulls the cursor back inside. */
  p->cursor = 2;
  fake_backends_in(&c, 1);
  console_layout(&c);
  assert_int_equal(p->cursor, 0);
  assert_int_equal(p->top, 0);
}

/* Draws the Backends panel at 80x24 on a virtual terminal (no colours, as
 * with NO_COLOR) and reads the screen back. */
static void test_backends_drawn_at_80x24(void **state) {
  (void)state;
  FILE *out = fopen("/dev/null", "w");
  FILE *in = fopen("/dev/null", "r");
  assert_non_null(out);
  assert_non_null(in);
  SCREEN *scr = newterm("xterm", out, in);
  if (!scr) {
    fclose(out);
    fclose(in);
    skip(); /* no terminfo entry for xterm here */
  }
  resizeterm(24, 80);
  draw_init_styles(0);
  draw_set_utf8(0);
  console c;
  stella_status st;
  memset(&st, 0, sizeof st);
  fake_console(&c, &st);
  fake_backends_in(&c, N_FAKE_BACKENDS);
  console_layout(&c);
  console_panel *p = &c.panels[PANEL_BACKENDS];
  assert_int_equal(p->rect.h, 6);
  panel_table_draw(p, &c);
  char row[6][81];
  for (int i = 0; i < 6; i++) {
    mvinnstr(p->rect.y + i, 0, row[i], 80);
    row[i][80] = '\0';
  }
  assert_non_null(strstr(row[0], " Backends  serving: mirror 1 rekor-mirror"));
  assert_non_null(strstr(row[1], " role     url "));
  assert_non_null(strstr(row[1], " breaker   since fail% opens/h checkpoint"));
  assert_non_null(strstr(row[2], " primary  rekor.example.org "));
  assert_non_null(strstr(row[2], " OPEN "));
  assert_non_null(strstr(row[3], " mirror 1 rekor-mirror-eu-west.t"));
  assert_non_null(strstr(row[3], "... HALF-OPEN 5s"));
  assert_non_null(strstr(row[4], " mirror 2 http://127.0.0.1:3000 "));
  assert_non_null(strstr(row[5], " primary OPEN (probe in 30s): 8 of 10 "));
  /* OPEN is drawn as critical (bold, underlined without colour). */
  const char *open_at = strstr(row[2], " OPEN ") + 1;
  chtype ch = mvinch(p->rect.y + 2, (int)(open_at - row[2]));
  assert_true((ch & A_UNDERLINE) && (ch & A_BOLD));
  /* Focused: the cursor row is highlighted and the footer follows it. */
  c.focus = PANEL_BACKENDS;
  p->cursor = 2;
  panel_table_draw(p, &c);
  assert_true(mvinch(p->rect.y + 4, 1) & A_REVERSE);
  assert_false(mvinch(p->rect.y + 2, 1) & A_REVERSE);
  mvinnstr(p->rect.y + 5, 0, row[5], 80);
  assert_non_null(strstr(row[5], " mirror 2 (local) CLOSED: no state"));
  /* Empty: the hint on the row under the title. */
  fake_backends_in(&c, 0);
  c.model.backends_err = STELLA_E_NOT_INITIALIZED;
  console_layout(&c);
  panel_table_draw(p, &c);
  mvinnstr(p->rect.y + 1, 0, row[1], 80);
  assert_non_null(strstr(row[1], " no Rekor backends yet: press s to sync"));
  endwin();
  delscreen(scr);
  fclose(out);
  fclose(in);
}

static void test_model_without_state(void **state) {
  (void)state;
  char dir[] = "/tmp/stella-console-XXXXXX";
  assert_non_null(mkdtemp(dir));
  console_model m;
  console_model_open(&m, dir, NULL, NULL);
  assert_true(console_model_uninitialized(&m));
  assert_null(m.status);
  /* No Rekor client without a service map: no rows, and a reason. */
  assert_int_equal(m.n_backends, 0);
  assert_null(m.backends);
  assert_int_not_equal(m.backends_err, STELLA_OK);
  assert_true(m.backends_msg[0] != '\0');
  assert_int_equal(console_model_sync_fd(&m), -1);
  console_model_close(&m);

  char file[600];
  snprintf(file, sizeof file, "%s/not-a-folder", dir);
  FILE *f = fopen(file, "w");
  assert_non_null(f);
  fclose(f);
  console_model_open(&m, file, NULL, NULL);
  assert_int_not_equal(m.load_err, STELLA_OK);
  assert_false(console_model_uninitialized(&m));
  assert_true(m.load_msg[0] != '\0');
  char why[CONSOLE_MSG_MAX];
  assert_int_not_equal(console_model_sync_start(&m, why, sizeof why),
                       STELLA_OK);
  assert_true(why[0] != '\0');
  console_model_close(&m);
  unlink(file);
  char cmd[700];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_every_binding_names_a_command),
    cmocka_unit_test(test_every_command_has_a_listed_key),
    cmocka_unit_test(test_columns_fit_every_width),
    cmocka_unit_test(test_text_width_is_sanitised),
    cmocka_unit_test(test_layout_never_overlaps),
    cmocka_unit_test(test_layout_80x24_shows_backends),
    cmocka_unit_test(test_dispatch),
    cmocka_unit_test(test_backends_rows_states_styles),
    cmocka_unit_test(test_backends_serving_and_cause),
    cmocka_unit_test(test_backends_empty_hint),
    cmocka_unit_test(test_backends_long_url_cut_at_80),
    cmocka_unit_test(test_backends_cursor_keys),
    cmocka_unit_test(test_keys_names_and_status),
    cmocka_unit_test(test_model_without_state),
    cmocka_unit_test(test_backends_drawn_at_80x24), /* last: owns curses */
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
