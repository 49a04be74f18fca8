/* test_ledger.c - the forensics ledger, stored checkpoints and the
 * operation log in the sqlite store: upsert rules, window boundaries, the
 * log filter and order, the query plans (index range scans, no sort),
 * rolling-hour rates and pruning. */
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
#include "ledger.h"
#include "statedir.h"
#include "store.h"
#include "store_fixture.h"

#define LOG1 "c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d"
#define LOG2 "d32f30a3c32d639c2b762205a21c7bbb2be1e2b8e6e8a5a4b8e4c3e4d5f6a7b8"

typedef store_fixture fixture;

static int setup(void **state) { return store_fixture_setup(state); }
static int teardown(void **state) { return store_fixture_teardown(state); }

static ledger_entry entry(const char *log, int64_t index, int64_t when,
                          const char *source, const char *backend) {
  ledger_entry e;
  memset(&e, 0, sizeof e);
  snprintf(e.log_id, sizeof e.log_id, "%s", log);
  e.log_index = index;
  snprintf(e.uuid, sizeof e.uuid, "%064llx", (long long)index);
  e.integrated_time = when;
  snprintf(e.kind, sizeof e.kind, "hashedrekord");
  snprintf(e.backend, sizeof e.backend, "%s", backend);
  snprintf(e.source, sizeof e.source, "%s", source);
  e.recorded_at = 5000 + index;
  return e;
}

/* Collects query rows. */
typedef struct rows {
  ledger_entry v[16];
  size_t n;
  size_t stop_after;  /* 0: never stop */
  store *s;           /* set: count the ledger from inside the callback */
  int64_t inner_count;
} rows;

static int collect(void *ctx, const ledger_entry *e) {
  rows *r = ctx;
  if (r->n < 16)
    r->v[r->n] = *e;
  r->n++;
  if (r->s)
    assert_int_equal(ledger_count(r->s, &r->inner_count), STELLA_OK);
  return r->stop_after && r->n >= r->stop_after;
}

static rows query(fixture *f, int64_t after, int64_t before,
                  const char *log) {
  rows r;
  memset(&r, 0, sizeof r);
  assert_int_equal(ledger_query(f->s, after, before, log, collect, &r),
                   STELLA_OK);
  return r;
}

static void test_upsert_rules(void **state) {
  fixture *f = *state;
  ledger_entry e = entry(LOG1, 7, 1000, "remote", "https://a");
  int64_t n = 0;
  e.kind[0] = '\0';
  e.recorded_at = 100;
  assert_int_equal(ledger_put(f->s, &e), STELLA_OK);
  /* Verified later from a bundle: source upgraded, kind filled in, the
   * empty backend keeps the stored one, the first recorded_at stays. */
  e = entry(LOG1, 7, 1000, "verified", "");
  e.recorded_at = 200;
  e.outside_validity = 1;
  assert_int_equal(ledger_put(f->s, &e), STELLA_OK);
  rows r = query(f, 0, 2000, NULL);
  assert_int_equal(r.n, 1);
  assert_string_equal(r.v[0].source, "verified");
  assert_string_equal(r.v[0].backend, "https://a");
  assert_string_equal(r.v[0].kind, "hashedrekord");
  assert_true(r.v[0].recorded_at == 100 && r.v[0].outside_validity == 1);
  /* Submitted wins ... */
  e = entry(LOG1, 7, 1000, "submitted", "https://b");
  assert_int_equal(ledger_put(f->s, &e), STELLA_OK);
  /* ... and stays over any later source, with its backend. */
  e = entry(LOG1, 7, 1000, "verified", "https://c");
  assert_int_equal(ledger_put(f->s, &e), STELLA_OK);
  e = entry(LOG1, 7, 1000, "remote", "https://d");
  assert_int_equal(ledger_put(f->s, &e), STELLA_OK);
  r = query(f, 0, 2000, NULL);
  assert_int_equal(r.n, 1);
  assert_string_equal(r.v[0].source, "submitted");
  assert_string_equal(r.v[0].backend, "https://b");
  assert_true(r.v[0].recorded_at == 100 && r.v[0].outside_validity == 0);
  /* Verified is not downgraded by a remote scan either. */
  e = entry(LOG2, 7, 1000, "verified", "https://a");
  assert_int_equal(ledger_put(f->s, &e), STELLA_OK);
  e = entry(LOG2, 7, 1000, "remote", "https://d");
  assert_int_equal(ledger_put(f->s, &e), STELLA_OK);
  r = query(f, 0, 2000, LOG2);
  assert_string_equal(r.v[0].source, "verified");
  assert_string_equal(r.v[0].backend, "https://a");
  assert_int_equal(ledger_count(f->s, &n), STELLA_OK);
  assert_true(n == 2);
}

static void test_rejects_bad_entries(void **state) {
  fixture *f = *state;
  ledger_entry e = entry(LOG1, 1, 1000, "verified", "");
  e.log_id[0] = 'C'; /* uppercase: not the canonical spelling */
  assert_int_equal(ledger_put(f->s, &e), STELLA_E_INVALID_ARG);
  e = entry(LOG1, 1, 1000, "verified", "");
  e.log_id[63] = '\0';
  assert_int_equal(ledger_put(f->s, &e), STELLA_E_INVALID_ARG);
  e = entry(LOG1, 1, 1000, "guessed", "");
  assert_int_equal(ledger_put(f->s, &e), STELLA_E_INVALID_ARG);
  e = entry(LOG1, -1, 1000, "verified", "");
  assert_int_equal(ledger_put(f->s, &e), STELLA_E_INVALID_ARG);
}

/* One transaction: a bad entry in the middle leaves nothing behind. */
static void test_put_many_atomic(void **state) {
  fixture *f = *state;
  ledger_entry v[3] = {entry(LOG1, 1, 100, "remote", ""),
                       entry(LOG1, 2, 100, "bogus", ""),
                       entry(LOG1, 3, 100, "remote", "")};
  int64_t n = -1;
  assert_int_equal(ledger_put_many(f->s, v, 3), STELLA_E_INVALID_ARG);
  assert_int_equal(ledger_count(f->s, &n), STELLA_OK);
  assert_true(n == 0);
  snprintf(v[1].source, sizeof v[1].source, "remote");
  assert_int_equal(ledger_put_many(f->s, v, 3), STELLA_OK);
  assert_int_equal(ledger_count(f->s, &n), STELLA_OK);
  assert_true(n == 3);
}

/* [after, before): after inclusive, before exclusive; ordered by time then
 * index whatever the insert order; the log filter is exact. */
static void test_window_filter_order(void **state) {
  fixture *f = *state;
  ledger_entry v[] = {
    entry(LOG1, 5, 200, "remote", ""), entry(LOG1, 9, 100, "remote", ""),
    entry(LOG2, 2, 200, "remote", ""), entry(LOG1, 1, 300, "remote", ""),
    entry(LOG2, 3, 299, "remote", ""),
  };
  assert_int_equal(ledger_put_many(f->s, v, 5), STELLA_OK);
  rows r = query(f, 200, 300, NULL);
  assert_int_equal(r.n, 3);
  assert_true(r.v[0].integrated_time == 200 && r.v[0].log_index == 2);
  assert_true(r.v[1].integrated_time == 200 && r.v[1].log_index == 5);
  assert_true(r.v[2].integrated_time == 299);
  assert_string_equal(r.v[2].log_id, LOG2);
  assert_int_equal(query(f, 100, 301, NULL).n, 5);
  assert_int_equal(query(f, 101, 300, NULL).n, 3);
  assert_int_equal(query(f, 300, 300, NULL).n, 0);
  assert_int_equal(query(f, 300, 301, NULL).n, 1);
  r = query(f, 0, 1000, LOG1);
  assert_int_equal(r.n, 3);
  assert_true(r.v[0].log_index == 9 && r.v[1].log_index == 5 &&
              r.v[2].log_index == 1);
  for (size_t i = 0; i < r.n; i++)
    assert_string_equal(r.v[i].log_id, LOG1);
  assert_int_equal(query(f, 200, 300, LOG2).n, 2);
  assert_int_equal(query(f, 0, 1000, "c0d23d").n, 0); /* no prefixes */
  assert_string_equal(query(f, 0, 101, NULL).v[0].uuid,
                      "0000000000000000000000000000000000000000000000000000"
                      "000000000009");
}

/* The callback stops the query early, and may use the store meanwhile. */
static void test_query_stop_and_reentry(void **state) {
  fixture *f = *state;
  ledger_entry v[3] = {entry(LOG1, 1, 100, "remote", ""),
                       entry(LOG1, 2, 101, "remote", ""),
                       entry(LOG1, 3, 102, "remote", "")};
  rows r;
  assert_int_equal(ledger_put_many(f->s, v, 3), STELLA_OK);
  memset(&r, 0, sizeof r);
  r.stop_after = 2;
  r.s = f->s;
  assert_int_equal(ledger_query(f->s, 0, 1000, NULL, collect, &r), STELLA_OK);
  assert_int_equal(r.n, 2);
  assert_true(r.inner_count == 3);
  assert_int_equal(ledger_query(f->s, 0, 1000, NULL, NULL, NULL),
                   STELLA_E_INVALID_ARG);
}

/* The plan of the statement ledger_query really runs (caught by a trace
 * hook, so the test cannot drift from the code): one index range search
 * per variant, and no sort. */
static int catch_sql(unsigned type, void *ctx, void *p, void *x) {
  (void)p;
  if (type == SQLITE_TRACE_STMT && strstr((const char *)x, "FROM ledger "))
    snprintf(ctx, 512, "%s", (const char *)x);
  return 0;
}

static int ignore_row(void *ctx, const ledger_entry *e) {
  (void)ctx, (void)e;
  return 0;
}

static void assert_plan(fixture *f, const char *log_id, const char *index) {
  char sql[512] = "", explain[600];
  sqlite3 *db = store_db(f->s);
  sqlite3_stmt *st;
  int steps = 0;
  sqlite3_trace_v2(db, SQLITE_TRACE_STMT, catch_sql, sql);
  assert_int_equal(ledger_query(f->s, 100, 200, log_id, ignore_row, NULL), 0);
  sqlite3_trace_v2(db, 0, NULL, NULL);
  assert_non_null(strstr(sql, "integrated_time"));
  snprintf(explain, sizeof explain, "EXPLAIN QUERY PLAN %s", sql);
  assert_int_equal(sqlite3_prepare_v2(db, explain, -1, &st, NULL), SQLITE_OK);
  while (sqlite3_step(st) == SQLITE_ROW) {
    const char *detail = (const char *)sqlite3_column_text(st, 3);
    print_message("plan: %s\n", detail);
    assert_true(strncmp(detail, "SEARCH ledger USING INDEX ", 26) == 0);
    assert_non_null(strstr(detail, index));
    assert_null(strstr(detail, "TEMP B-TREE"));
    steps++;
  }
  sqlite3_finalize(st);
  assert_int_equal(steps, 1);
}

static void test_query_plans(void **state) {
  fixture *f = *state;
  ledger_entry v[2] = {entry(LOG1, 1, 150, "remote", ""),
                       entry(LOG2, 1, 150, "remote", "")};
  assert_int_equal(ledger_put_many(f->s, v, 2), STELLA_OK);
  assert_plan(f, NULL, "ledger_time (integrated_time>? AND "
                       "integrated_time<?)");
  assert_plan(f, LOG1, "ledger_log_time (log_id=? AND integrated_time>? AND "
                       "integrated_time<?)");
}

static void test_checkpoints(void **state) {
  fixture *f = *state;
  ledger_checkpoint c, out;
  sqlite3_stmt *st;
  memset(&c, 0, sizeof c);
  snprintf(c.log_id, sizeof c.log_id, LOG1);
  snprintf(c.origin, sizeof c.origin, "rekor.sigstore.dev - 1193050959916656506");
  snprintf(c.backend, sizeof c.backend, "https://a");
  c.size = 10;
  c.verified_at = 100;
  snprintf(c.root_hash, sizeof c.root_hash, "%064d", 1);
  assert_int_equal(ledger_latest_checkpoint(f->s, LOG1, c.origin, &out),
                   STELLA_E_NOT_FOUND);
  assert_int_equal(ledger_put_checkpoint(f->s, &c, "note a10"), STELLA_OK);
  snprintf(c.backend, sizeof c.backend, "https://b");
  c.size = 20;
  c.verified_at = 90;
  assert_int_equal(ledger_put_checkpoint(f->s, &c, "note b20"), STELLA_OK);
  snprintf(c.backend, sizeof c.backend, "https://a");
  c.size = 15;
  c.verified_at = 110; /* replaces a's size 10 */
  assert_int_equal(ledger_put_checkpoint(f->s, &c, "note a15"), STELLA_OK);
  assert_int_equal(ledger_latest_checkpoint(f->s, LOG1, c.origin, &out), 0);
  assert_true(out.size == 20 && out.verified_at == 90);
  assert_string_equal(out.backend, "https://b");
  assert_string_equal(out.origin, c.origin);
  assert_int_equal(ledger_backend_checkpoint(f->s, "https://a", &out), 0);
  assert_true(out.size == 15);
  assert_string_equal(out.root_hash, c.root_hash);
  assert_string_equal(out.log_id, LOG1);
  /* Every write takes the next sequence number; a smaller head for the
   * same backend (another process's older view) does not replace it. */
  int64_t seq = 0;
  assert_int_equal(ledger_checkpoint_seq(f->s, &seq), STELLA_OK);
  assert_int_equal(seq, 3);
  assert_int_equal(out.seq, 3);
  c.size = 12;
  assert_int_equal(ledger_put_checkpoint(f->s, &c, "note a12"), STELLA_OK);
  assert_int_equal(ledger_backend_checkpoint(f->s, "https://a", &out), 0);
  assert_true(out.size == 15 && out.seq == 3);
  assert_int_equal(ledger_backend_checkpoint(f->s, "https://z", &out),
                   STELLA_E_NOT_FOUND);
  assert_int_equal(ledger_latest_checkpoint(f->s, LOG1, "other", &out),
                   STELLA_E_NOT_FOUND);
  assert_int_equal(ledger_latest_checkpoint(f->s, LOG2, c.origin, &out),
                   STELLA_E_NOT_FOUND);
  c.size = (uint64_t)INT64_MAX + 1;
  assert_int_equal(ledger_put_checkpoint(f->s, &c, ""), STELLA_E_INVALID_ARG);
  /* The note is kept for the record, one row per (log, origin, backend). */
  assert_int_equal(sqlite3_prepare_v2(store_db(f->s), "SELECT group_concat("
                   "note, '|') FROM (SELECT note FROM checkpoints ORDER BY "
                   "backend)", -1, &st, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  assert_string_equal((const char *)sqlite3_column_text(st, 0),
                      "note a15|note b20");
  sqlite3_finalize(st);
}

/* Rates over (now - 3600, now], per op; pruning by age. */
static void test_op_rates_and_prune(void **state) {
  fixture *f = *state;
  const int64_t now = 100000;
  ledger_rate r;
  assert_int_equal(ledger_op_rate(f->s, "submit", now, &r), STELLA_OK);
  assert_true(r.total == 0 && r.failed == 0 && r.rate == 0);
  assert_int_equal(ledger_record_op(f->s, now - 3600, "submit", "https://a",
                                    0, "outside"), 0);
  assert_int_equal(ledger_record_op(f->s, now - 3599, "submit", "https://a",
                                    0, "HTTP 503"), 0);
  assert_int_equal(ledger_record_op(f->s, now - 10, "submit", "https://b",
                                    1, ""), 0);
  assert_int_equal(ledger_record_op(f->s, now - 5, "submit", NULL, 1, NULL),
                   0);
  assert_int_equal(ledger_record_op(f->s, now, "submit", "https://b", 1, ""),
                   0);
  assert_int_equal(ledger_record_op(f->s, now + 1, "submit", "https://b", 0,
                                    "future"), 0);
  assert_int_equal(ledger_record_op(f->s, now, "route", "https://b", 0,
                                    "failover: https://a open"), 0);
  assert_int_equal(ledger_record_op(f->s, now, "", "x", 1, ""),
                   STELLA_E_INVALID_ARG);
  assert_int_equal(ledger_op_rate(f->s, "submit", now, &r), STELLA_OK);
  assert_true(r.total == 4 && r.failed == 1);
  assert_true(r.rate > 0.2499 && r.rate < 0.2501);
  assert_int_equal(ledger_op_rate(f->s, "route", now, &r), STELLA_OK);
  assert_true(r.total == 1 && r.failed == 1 && r.rate == 1.0);
  /* An hour ending a second later: now - 3599 leaves, now + 1 enters. */
  assert_int_equal(ledger_op_rate(f->s, "submit", now + 1, &r), STELLA_OK);
  assert_true(r.total == 4 && r.failed == 1);
  /* Keep the last 3599 s: the row at now - 3600 goes, now - 3599 stays. */
  assert_int_equal(ledger_op_rate(f->s, "submit", now - 1, &r), STELLA_OK);
  assert_true(r.total == 4 && r.failed == 2);
  assert_int_equal(ledger_prune_ops(f->s, now, 3599), STELLA_OK);
  assert_int_equal(ledger_op_rate(f->s, "submit", now - 1, &r), STELLA_OK);
  assert_true(r.total == 3 && r.failed == 1);
  assert_int_equal(ledger_prune_ops(f->s, now + 2, 0), STELLA_OK);
  assert_int_equal(ledger_op_rate(f->s, "submit", now + 1, &r), STELLA_OK);
  assert_true(r.total == 0);
}

int main(void) {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
  const struct CMUnitTest tests[] = {
    T(test_upsert_rules), T(test_rejects_bad_entries),
    T(test_put_many_atomic), T(test_window_filter_order),
    T(test_query_stop_and_reentry), T(test_query_plans), T(test_checkpoints),
    T(test_op_rates_and_prune),
  };
#undef T
  return cmocka_run_group_tests(tests, NULL, NULL);
}
