/* ledger.c - the Rekor side of the sqlite store (ledger.h): the forensics
 * ledger, the last verified checkpoints and the operation log. Tables and
 * indexes are created by the store's v2 migration (store.c). */
#include "ledger.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "store.h"

/* How sure a row's source is: a later record of the same entry never
 * replaces a surer source ("submitted" beats all, "verified" beats
 * "remote"); at equal rank the later record wins. */
#define LEDGER_RANK(x)                                                        \
  "(CASE " x " WHEN 'submitted' THEN 3 WHEN 'verified' THEN 2 ELSE 1 END)"
#define LEDGER_NEW_WINS LEDGER_RANK("?7") " >= " LEDGER_RANK("source")

/* In DO UPDATE, bare column names are the stored row's values. The first
 * recorded_at stays; empty new fields do not wipe stored ones. */
static const char ledger_sql_put[] =
    "INSERT INTO ledger (log_id, log_index, uuid, integrated_time, kind, "
    "backend, source, outside_validity, recorded_at) VALUES (?1, ?2, ?3, ?4, "
    "?5, ?6, ?7, ?8, ?9) ON CONFLICT(log_id, log_index) DO UPDATE SET "
    "uuid = CASE WHEN ?3 <> '' THEN ?3 ELSE uuid END, integrated_time = ?4, "
    "kind = CASE WHEN ?5 <> '' THEN ?5 ELSE kind END, "
    "backend = CASE WHEN backend = '' OR (?6 <> '' AND " LEDGER_NEW_WINS ") "
    "THEN ?6 ELSE backend END, "
    "source = CASE WHEN " LEDGER_NEW_WINS " THEN ?7 ELSE source END, "
    "outside_validity = ?8";

#define LEDGER_COLS                                                           \
  "SELECT log_id, log_index, uuid, integrated_time, kind, backend, source, "  \
  "outside_validity, recorded_at FROM ledger "
/* Both are one range scan of an index that is already in this order. */
static const char ledger_sql_window[] =
    LEDGER_COLS "WHERE integrated_time >= ?1 AND integrated_time < ?2 "
    "ORDER BY integrated_time, log_index";
static const char ledger_sql_window_log[] =
    LEDGER_COLS "WHERE log_id = ?3 AND integrated_time >= ?1 AND "
    "integrated_time < ?2 ORDER BY integrated_time, log_index";
static const char ledger_sql_count[] = "SELECT count(*) FROM ledger";

static int ledger_is_log_id(const char *s) {
  size_t n = 0;
  for (; s[n]; n++)
    if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
      return 0;
  return n == 64;
}

static int ledger_entry_ok(const ledger_entry *e) {
  return e && ledger_is_log_id(e->log_id) && e->log_index >= 0 &&
         (!strcmp(e->source, "submitted") || !strcmp(e->source, "verified") ||
          !strcmp(e->source, "remote"));
}

static stella_err ledger_put_one(store *s, const ledger_entry *e) {
  sqlite3_stmt *st;
  if (!ledger_entry_ok(e))
    return STELLA_E_INVALID_ARG;
  stella_err err = store_stmt(s, ledger_sql_put, &st);
  if (err)
    return err;
  sqlite3_bind_text(st, 1, e->log_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, e->log_index);
  sqlite3_bind_text(st, 3, e->uuid, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 4, e->integrated_time);
  sqlite3_bind_text(st, 5, e->kind, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 6, e->backend, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 7, e->source, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 8, e->outside_validity ? 1 : 0);
  sqlite3_bind_int64(st, 9, e->recorded_at);
  return store_stmt_done(s, st, "ledger write");
}

stella_err ledger_put(store *s, const ledger_entry *e) {
  if (!s)
    return STELLA_E_INVALID_ARG;
  return ledger_put_one(s, e);
}

stella_err ledger_put_many(store *s, const ledger_entry *v, size_t n) {
  if (!s || (n && !v))
    return STELLA_E_INVALID_ARG;
  stella_err e = store_begin(s);
  for (size_t i = 0; !e && i < n; i++)
    e = ledger_put_one(s, &v[i]);
  return store_end(s, e);
}

static void ledger_read_row(sqlite3_stmt *st, ledger_entry *e) {
  store_col_text(st, 0, e->log_id, sizeof e->log_id);
  e->log_index = sqlite3_column_int64(st, 1);
  store_col_text(st, 2, e->uuid, sizeof e->uuid);
  e->integrated_time = sqlite3_column_int64(st, 3);
  store_col_text(st, 4, e->kind, sizeof e->kind);
  store_col_text(st, 5, e->backend, sizeof e->backend);
  store_col_text(st, 6, e->source, sizeof e->source);
  e->outside_validity = sqlite3_column_int(st, 7);
  e->recorded_at = sqlite3_column_int64(st, 8);
}

/* Prepared per call, not cached: fn may run another query on s. */
stella_err ledger_query(store *s, int64_t after, int64_t before,
                        const char *log_id, ledger_row_fn fn, void *ctx) {
  sqlite3_stmt *st;
  ledger_entry row;
  if (!s || !fn)
    return STELLA_E_INVALID_ARG;
  if (sqlite3_prepare_v2(store_db(s), log_id ? ledger_sql_window_log
                                             : ledger_sql_window,
                         -1, &st, NULL) != SQLITE_OK)
    return store_set_error(s, STELLA_E_IO, "ledger query");
  sqlite3_bind_int64(st, 1, after);
  sqlite3_bind_int64(st, 2, before);
  if (log_id)
    sqlite3_bind_text(st, 3, log_id, -1, SQLITE_STATIC);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    ledger_read_row(st, &row);
    if (fn(ctx, &row))
      break;
  }
  stella_err e = rc == SQLITE_ROW || rc == SQLITE_DONE
                     ? STELLA_OK
                     : store_set_error(s, STELLA_E_IO, "ledger query");
  sqlite3_finalize(st);
  return e;
}

/* Runs a cached one-row, integer-column statement already bound. */
static stella_err ledger_int_row(store *s, sqlite3_stmt *st, int64_t *a,
                                 int64_t *b) {
  stella_err e = STELLA_OK;
  if (sqlite3_step(st) == SQLITE_ROW) {
    *a = sqlite3_column_int64(st, 0);
    if (b)
      *b = sqlite3_column_int64(st, 1);
  } else {
    e = store_set_error(s, STELLA_E_IO, "ledger read");
  }
  sqlite3_reset(st);
  return e;
}

/* One integer from a query without parameters. */
static stella_err ledger_scalar(store *s, const char *sql, int64_t *out) {
  sqlite3_stmt *st;
  if (!s || !out)
    return STELLA_E_INVALID_ARG;
  *out = 0;
  stella_err e = store_stmt(s, sql, &st);
  return e ? e : ledger_int_row(s, st, out, NULL);
}

stella_err ledger_count(store *s, int64_t *n) {
  return ledger_scalar(s, ledger_sql_count, n);
}

/* ---- Stored checkpoints --------------------------------------------------- */

static const char ledger_sql_put_checkpoint[] =
    "INSERT INTO checkpoints (log_id, origin, backend, size, root_hash, "
    "verified_at, note, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
    "(SELECT coalesce(max(seq), 0) + 1 FROM checkpoints)) "
    "ON CONFLICT(log_id, origin, backend) DO UPDATE SET size = ?4, "
    "root_hash = ?5, verified_at = ?6, note = ?7, seq = excluded.seq "
    "WHERE excluded.size >= checkpoints.size";
static const char ledger_sql_checkpoint_seq[] =
    "SELECT coalesce(max(seq), 0) FROM checkpoints";
#define LEDGER_CP_COLS                                                        \
  "SELECT log_id, origin, backend, size, root_hash, verified_at, seq "       \
  "FROM checkpoints "
static const char ledger_sql_latest_checkpoint[] =
    LEDGER_CP_COLS "WHERE log_id = ?1 AND origin = ?2 "
    "ORDER BY size DESC, verified_at DESC LIMIT 1";
static const char ledger_sql_checkpoint_of[] =
    LEDGER_CP_COLS "WHERE log_id = ?1 AND origin = ?2 AND backend = ?3";
static const char ledger_sql_backend_checkpoint[] =
    LEDGER_CP_COLS "WHERE backend = ?1 ORDER BY verified_at DESC, size DESC "
    "LIMIT 1";

stella_err ledger_put_checkpoint(store *s, const ledger_checkpoint *c,
                                 const char *note) {
  sqlite3_stmt *st;
  if (!s || !c || !ledger_is_log_id(c->log_id) || c->size > INT64_MAX)
    return STELLA_E_INVALID_ARG;
  stella_err e = store_stmt(s, ledger_sql_put_checkpoint, &st);
  if (e)
    return e;
  sqlite3_bind_text(st, 1, c->log_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, c->origin, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, c->backend, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 4, (sqlite3_int64)c->size);
  sqlite3_bind_text(st, 5, c->root_hash, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 6, c->verified_at);
  sqlite3_bind_text(st, 7, note ? note : "", -1, SQLITE_STATIC);
  return store_stmt_done(s, st, "checkpoint write");
}

stella_err ledger_checkpoint_seq(store *s, int64_t *out) {
  return ledger_scalar(s, ledger_sql_checkpoint_seq, out);
}

/* Steps a bound checkpoint SELECT: one row into out, or NOT_FOUND. */
static stella_err ledger_read_checkpoint(store *s, sqlite3_stmt *st,
                                         ledger_checkpoint *out) {
  stella_err e = STELLA_OK;
  int rc = sqlite3_step(st);
  memset(out, 0, sizeof *out);
  if (rc == SQLITE_ROW) {
    store_col_text(st, 0, out->log_id, sizeof out->log_id);
    store_col_text(st, 1, out->origin, sizeof out->origin);
    store_col_text(st, 2, out->backend, sizeof out->backend);
    out->size = (uint64_t)sqlite3_column_int64(st, 3);
    store_col_text(st, 4, out->root_hash, sizeof out->root_hash);
    out->verified_at = sqlite3_column_int64(st, 5);
    out->seq = sqlite3_column_int64(st, 6);
  } else {
    e = rc == SQLITE_DONE ? STELLA_E_NOT_FOUND
                          : store_set_error(s, STELLA_E_IO, "checkpoint read");
  }
  sqlite3_reset(st);
  return e;
}

/* One checkpoint of a log (of one backend when backend is not NULL). */
static stella_err ledger_log_checkpoint(store *s, const char *sql,
                                        const char *log_id,
                                        const char *origin,
                                        const char *backend,
                                        ledger_checkpoint *out) {
  sqlite3_stmt *st;
  if (!s || !log_id || !origin || !out)
    return STELLA_E_INVALID_ARG;
  stella_err e = store_stmt(s, sql, &st);
  if (e)
    return e;
  sqlite3_bind_text(st, 1, log_id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, origin, -1, SQLITE_STATIC);
  if (backend)
    sqlite3_bind_text(st, 3, backend, -1, SQLITE_STATIC);
  return ledger_read_checkpoint(s, st, out);
}

stella_err ledger_latest_checkpoint(store *s, const char *log_id,
                                    const char *origin,
                                    ledger_checkpoint *out) {
  return ledger_log_checkpoint(s, ledger_sql_latest_checkpoint, log_id,
                               origin, NULL, out);
}

stella_err ledger_checkpoint_of(store *s, const char *log_id,
                                const char *origin, const char *backend,
                                ledger_checkpoint *out) {
  if (!backend)
    return STELLA_E_INVALID_ARG;
  return ledger_log_checkpoint(s, ledger_sql_checkpoint_of, log_id, origin,
                               backend, out);
}

stella_err ledger_backend_checkpoint(store *s, const char *backend,
                                     ledger_checkpoint *out) {
  sqlite3_stmt *st;
  if (!s || !backend || !out)
    return STELLA_E_INVALID_ARG;
  stella_err e = store_stmt(s, ledger_sql_backend_checkpoint, &st);
  if (e)
    return e;
  sqlite3_bind_text(st, 1, backend, -1, SQLITE_STATIC);
  return ledger_read_checkpoint(s, st, out);
}

/* ---- Operation log ---------------------------------------------------------- */

static const char ledger_sql_op[] =
    "INSERT INTO ops (time, op, backend, ok, detail) "
    "VALUES (?1, ?2, ?3, ?4, ?5)";
/* (now - 3600, now] through the (op, time) index. */
static const char ledger_sql_op_rate[] =
    "SELECT count(*), coalesce(sum(ok = 0), 0) FROM ops "
    "WHERE op = ?1 AND time > ?2 AND time <= ?3";
static const char ledger_sql_prune_ops[] = "DELETE FROM ops WHERE time < ?1";

stella_err ledger_record_op(store *s, int64_t now, const char *op,
                            const char *backend, int ok, const char *detail) {
  sqlite3_stmt *st;
  if (!s || !op || !*op)
    return STELLA_E_INVALID_ARG;
  stella_err e = store_stmt(s, ledger_sql_op, &st);
  if (e)
    return e;
  sqlite3_bind_int64(st, 1, now);
  sqlite3_bind_text(st, 2, op, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, backend ? backend : "", -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 4, ok ? 1 : 0);
  sqlite3_bind_text(st, 5, detail ? detail : "", -1, SQLITE_STATIC);
  return store_stmt_done(s, st, "operation log write");
}

stella_err ledger_op_rate(store *s, const char *op, int64_t now,
                          ledger_rate *out) {
  sqlite3_stmt *st;
  if (!s || !op || !out)
    return STELLA_E_INVALID_ARG;
  memset(out, 0, sizeof *out);
  stella_err e = store_stmt(s, ledger_sql_op_rate, &st);
  if (e)
    return e;
  sqlite3_bind_text(st, 1, op, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 2, now - 3600);
  sqlite3_bind_int64(st, 3, now);
  e = ledger_int_row(s, st, &out->total, &out->failed);
  if (!e && out->total)
    out->rate = (double)out->failed / (double)out->total;
  return e;
}

stella_err ledger_prune_ops(store *s, int64_t now, int64_t keep_s) {
  sqlite3_stmt *st;
  if (!s || keep_s < 0)
    return STELLA_E_INVALID_ARG;
  stella_err e = store_stmt(s, ledger_sql_prune_ops, &st);
  if (e)
    return e;
  sqlite3_bind_int64(st, 1, now - keep_s);
  return store_stmt_done(s, st, "operation log prune");
}
