/* test_store.c - the sqlite store: schema and the v1 -> v2 migration,
 * settings, history with the init boundary, the stale list, and refusal
 * of a newer schema. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "fsutil.h"
#include "store.h"
#include "store_fixture.h"

typedef store_fixture fixture;

static int setup(void **state) { return store_fixture_setup(state); }
static int teardown(void **state) { return store_fixture_teardown(state); }

static void test_settings(void **state) {
  fixture *f = *state;
  char *v = (char *)1;
  assert_int_equal(store_get_setting(f->s, "tuf_url", &v), STELLA_E_NOT_FOUND);
  assert_null(v);
  assert_int_equal(store_set_setting(f->s, "tuf_url", "http://a"), STELLA_OK);
  assert_int_equal(store_set_setting(f->s, "tuf_url", "http://b"), STELLA_OK);
  assert_int_equal(store_get_setting(f->s, "tuf_url", &v), STELLA_OK);
  assert_string_equal(v, "http://b");
  free(v);
  /* Survives a reopen; the schema is not migrated twice. */
  store_close(f->s);
  assert_int_equal(store_open(f->path, &f->s, NULL, 0), STELLA_OK);
  assert_int_equal(store_get_setting(f->s, "tuf_url", &v), STELLA_OK);
  assert_string_equal(v, "http://b");
  free(v);
}

static void test_history_and_init_boundary(void **state) {
  fixture *f = *state;
  int64_t when = -1;
  store_history_row rows[8];
  size_t n = 0;
  assert_int_equal(store_last_good_sync(f->s, &when), STELLA_OK);
  assert_true(when == 0);
  assert_int_equal(store_record(f->s, STORE_EVENT_INIT, 100, 1, "init"), 0);
  assert_int_equal(store_record(f->s, STORE_EVENT_SYNC, 200, 1, "good"), 0);
  assert_int_equal(store_record(f->s, STORE_EVENT_SYNC, 300, 0, "bad"), 0);
  assert_int_equal(store_last_good_sync(f->s, &when), STELLA_OK);
  assert_true(when == 200); /* failures do not count */
  assert_int_equal(store_history(f->s, rows, 8, &n), STELLA_OK);
  assert_int_equal(n, 3);
  assert_string_equal(rows[0].message, "bad"); /* newest first */
  assert_int_equal(rows[0].ok, 0);
  assert_int_equal(rows[2].event, STORE_EVENT_INIT);
  /* A new init: syncs of the old trust no longer count. */
  assert_int_equal(store_record(f->s, STORE_EVENT_INIT, 400, 1, "init"), 0);
  assert_int_equal(store_last_good_sync(f->s, &when), STELLA_OK);
  assert_true(when == 0);
  assert_int_equal(store_history(f->s, rows, 2, &n), STELLA_OK);
  assert_int_equal(n, 2);
}

static void test_stale_list(void **state) {
  fixture *f = *state;
  tuf_stale first[2] = {{"root", 1000}, {"timestamp", 2000}};
  tuf_stale later[1] = {{"timestamp", 3000}};
  assert_int_equal(store_put_stale(f->s, first, 2, 1), STELLA_OK);
  assert_true(store_is_stale_tolerated(f->s, "root", 1000));
  assert_false(store_is_stale_tolerated(f->s, "root", 1001));
  assert_true(store_is_stale_tolerated(f->s, "timestamp", 2000));
  /* Adding (a failed sync) keeps the earlier items. */
  assert_int_equal(store_put_stale(f->s, later, 1, 0), STELLA_OK);
  assert_true(store_is_stale_tolerated(f->s, "timestamp", 2000));
  assert_true(store_is_stale_tolerated(f->s, "timestamp", 3000));
  /* Replacing (a good sync) drops them. */
  assert_int_equal(store_put_stale(f->s, later, 1, 1), STELLA_OK);
  assert_false(store_is_stale_tolerated(f->s, "root", 1000));
  assert_true(store_is_stale_tolerated(f->s, "timestamp", 3000));
  assert_int_equal(store_clear_stale(f->s), STELLA_OK);
  assert_false(store_is_stale_tolerated(f->s, "timestamp", 3000));
}

static void test_newer_schema_refused(void **state) {
  fixture *f = *state;
  sqlite3 *db;
  char why[256] = "";
  store *other = NULL;
  assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL,
                                NULL), SQLITE_OK);
  sqlite3_close(db);
  assert_int_equal(store_open(f->path, &other, why, sizeof why),
                   STELLA_E_UNSUPPORTED);
  assert_null(other);
  assert_non_null(strstr(why, "upgrade stella"));
}

/* A v1 database (before the breaker and ledger tables) is migrated in
 * place: its rows survive and the v2 tables appear. */
static void test_migrates_v1(void **state) {
  fixture *f = *state;
  sqlite3 *db;
  sqlite3_stmt *st;
  char *v = NULL;
  int version = 0;
  store_close(f->s);
  f->s = NULL;
  remove(f->path);
  assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db,
      "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
      "CREATE TABLE history (id INTEGER PRIMARY KEY AUTOINCREMENT,"
      "  time INTEGER NOT NULL, event INTEGER NOT NULL, ok INTEGER NOT NULL,"
      "  message TEXT NOT NULL);"
      "CREATE TABLE stale (role TEXT NOT NULL, expires INTEGER NOT NULL,"
      "  PRIMARY KEY (role, expires));"
      "INSERT INTO settings VALUES ('tuf_url', 'http://old');"
      "PRAGMA user_version = 1", NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(db);
  assert_int_equal(store_open(f->path, &f->s, NULL, 0), STELLA_OK);
  assert_int_equal(store_get_setting(f->s, "tuf_url", &v), STELLA_OK);
  assert_string_equal(v, "http://old");
  free(v);
  db = store_db(f->s);
  assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st,
                                      NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  version = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  assert_int_equal(version, STORE_SCHEMA_VERSION);
  assert_int_equal(version, 3);
  assert_int_equal(sqlite3_exec(db, "SELECT count(*) FROM breakers;"
                                "SELECT count(*) FROM breaker_events;"
                                "SELECT count(*) FROM ledger;"
                                "SELECT max(seq) FROM checkpoints;"
                                "SELECT count(*) FROM ops", NULL, NULL, NULL),
                   SQLITE_OK);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_settings, setup, teardown),
    cmocka_unit_test_setup_teardown(test_history_and_init_boundary, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_stale_list, setup, teardown),
    cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_migrates_v1, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
