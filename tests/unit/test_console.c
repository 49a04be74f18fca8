/* test_console.c - the console's pieces that need no terminal: the key and
 * command tables agree, key dispatch, table columns always fit, the layout
 * never overlaps or leaves the screen at any size, text is sanitised, and the
 * model survives a missing or unusable state folder. */
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

/* A console over an unusable state folder, with fake row counts. */
static void fake_console(console *c, stella_status *st) {
  static const console_panel_class *const classes[PANEL__COUNT] = {
    &panel_titlebar_class, &panel_scenarios_class, &panel_roles_class,
    &panel_sync_class, &panel_endpoints_class, &panel_keys_class,
    &panel_runbook_class, &panel_statusline_class,
  };
  memset(c, 0, sizeof *c);
  for (int id = 0; id < PANEL__COUNT; id++)
    c->panels[id].cls = classes[id];
  c->model.clock = stella_clock_system();
  c->model.status = st;
  c->focus = PANEL_SCENARIOS;
  c->open_scenario = -1;
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

/* The brief's 80x24: the whole dashboard fits, nothing is scrolled away. */
static void test_layout_80x24_shows_everything(void **state) {
  (void)state;
  stella_status st;
  memset(&st, 0, sizeof st);
  st.n_endpoints = 4;
  st.n_keys = 4;
  console c;
  fake_console(&c, &st);
  COLS = 80;
  LINES = 24;
  console_layout(&c);
  assert_int_equal(c.panels[PANEL_ENDPOINTS].rect.h, 2 + 4);
  assert_true(c.panels[PANEL_KEYS].rect.h >= 2 + 4);
  assert_int_equal(c.panels[PANEL_SCENARIOS].rect.h, 6); /* title + 5 */
  assert_int_equal(c.panels[PANEL_ROLES].rect.h, 6);     /* +header + 4 */
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
  assert_int_equal(c.focus, PANEL_ENDPOINTS);
  console_dispatch_key(&c, '\t');
  console_dispatch_key(&c, '\t');
  assert_int_equal(c.focus, PANEL_SCENARIOS); /* wraps around */
  console_dispatch_key(&c, 'q');
  assert_true(c.quit);
}

static void test_model_without_state(void **state) {
  (void)state;
  char dir[] = "/tmp/stella-console-XXXXXX";
  assert_non_null(mkdtemp(dir));
  console_model m;
  console_model_open(&m, dir, NULL, NULL);
  assert_true(console_model_uninitialized(&m));
  assert_null(m.status);
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
    cmocka_unit_test(test_layout_80x24_shows_everything),
    cmocka_unit_test(test_dispatch),
    cmocka_unit_test(test_model_without_state),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
