/* store.c - sqlite store of the client: settings, sync history, stale list. */
#include "store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STORE_BUSY_TIMEOUT_MS 5000

/* Enough for every cached statement of breaker.c and ledger.c. */
#define STORE_STMT_CACHE 48

struct store {
  sqlite3 *db;
  char errmsg[512];
  struct {
    const char *sql;          /* the caller's literal: the lookup key */
    sqlite3_stmt *st;
  } cache[STORE_STMT_CACHE];
  size_t ncache;
};

/* Migrations: entry i brings the schema from version i to i+1. Append only;
 * never edit a shipped entry. */
static const char *const store_migrations[STORE_SCHEMA_VERSION] = {
  "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
  "CREATE TABLE history (id INTEGER PRIMARY KEY AUTOINCREMENT,"
  "  time INTEGER NOT NULL, event INTEGER NOT NULL, ok INTEGER NOT NULL,"
  "  message TEXT NOT NULL);"
  "CREATE TABLE stale (role TEXT NOT NULL, expires INTEGER NOT NULL,"
  "  PRIMARY KEY (role, expires));",
  /* v2 (issue 4): circuit breakers (breaker.c) and the Rekor ledger,
   * checkpoints and operation log (ledger.c). A breaker's window is a
   * bitmask of its last window_len outcomes (bit 0 the newest, 1 a
   * failure); epoch counts its transitions so a report from before one is
   * recognised as stale. */
  "CREATE TABLE breakers (backend TEXT PRIMARY KEY,"
  "  state INTEGER NOT NULL, since INTEGER NOT NULL, epoch INTEGER NOT NULL,"
  "  window_bits INTEGER NOT NULL, window_len INTEGER NOT NULL,"
  "  consecutive INTEGER NOT NULL, opens INTEGER NOT NULL,"
  "  open_until INTEGER NOT NULL, probes INTEGER NOT NULL,"
  "  probe_deadline INTEGER NOT NULL, last_error TEXT NOT NULL,"
  "  last_error_at INTEGER NOT NULL, last_cause TEXT NOT NULL);"
  "CREATE TABLE breaker_events (id INTEGER PRIMARY KEY,"
  "  time INTEGER NOT NULL, backend TEXT NOT NULL,"
  "  from_state INTEGER NOT NULL, to_state INTEGER NOT NULL,"
  "  cause TEXT NOT NULL, actor TEXT NOT NULL);"
  "CREATE INDEX breaker_events_time ON breaker_events (time);"
  "CREATE INDEX breaker_events_backend ON breaker_events (backend, time);"
  "CREATE TABLE ledger (log_id TEXT NOT NULL, log_index INTEGER NOT NULL,"
  "  uuid TEXT NOT NULL, integrated_time INTEGER NOT NULL,"
  "  kind TEXT NOT NULL, backend TEXT NOT NULL, source TEXT NOT NULL,"
  "  outside_validity INTEGER NOT NULL, recorded_at INTEGER NOT NULL,"
  "  PRIMARY KEY (log_id, log_index)) WITHOUT ROWID;"
  /* Clustered by (log_id, log_index): a log's index grows with
   * integrated time, so a window's rows sit together whatever order they
   * were recorded in (bench_ledger: 2-3x faster than a rowid table).
   * log_index in both indexes: a window comes out in query order. */
  "CREATE INDEX ledger_time ON ledger (integrated_time, log_index);"
  "CREATE INDEX ledger_log_time ON ledger (log_id, integrated_time,"
  "  log_index);"
  "CREATE TABLE checkpoints (log_id TEXT NOT NULL, origin TEXT NOT NULL,"
  "  backend TEXT NOT NULL, size INTEGER NOT NULL, root_hash TEXT NOT NULL,"
  "  verified_at INTEGER NOT NULL, note TEXT NOT NULL,"
  "  PRIMARY KEY (log_id, origin, backend));"
  "CREATE INDEX checkpoints_backend ON checkpoints (backend, verified_at);"
  "CREATE TABLE ops (id INTEGER PRIMARY KEY, time INTEGER NOT NULL,"
  "  op TEXT NOT NULL, backend TEXT NOT NULL, ok INTEGER NOT NULL,"
  "  detail TEXT NOT NULL);"
  "CREATE INDEX ops_op_time ON ops (op, time);",
  /* v3: the order checkpoints were written in, over every process: a
   * tree head fetched before another process stored a bigger one is not
   * a rollback (rekor_consistency.c). */
  "ALTER TABLE checkpoints ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;",
};

static stella_err store_fail(store *s, stella_err e, const char *what) {
  snprintf(s->errmsg, sizeof s->errmsg, "database %s failed: %s", what,
           sqlite3_errmsg(s->db));
  return e;
}

static stella_err store_exec(store *s, const char *sql, const char *what) {
  if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
    return store_fail(s, STELLA_E_IO, what);
  return STELLA_OK;
}

static stella_err store_user_version(store *s, int *version) {
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL))
    return store_fail(s, STELLA_E_IO, "schema check");
  *version = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
  sqlite3_finalize(st);
  return STELLA_OK;
}

/* Runs the missing migrations in one transaction (BEGIN IMMEDIATE, so two
 * processes opening a fresh database do not both migrate). */
static stella_err store_migrate(store *s) {
  stella_err e = store_exec(s, "BEGIN IMMEDIATE", "migration");
  int version = 0;
  if (!e)
    e = store_user_version(s, &version);
  if (!e && version > STORE_SCHEMA_VERSION) {
    snprintf(s->errmsg, sizeof s->errmsg, "database schema v%d is newer than "
             "this stella understands (v%d); upgrade stella", version,
             STORE_SCHEMA_VERSION);
    e = STELLA_E_UNSUPPORTED;
  }
  for (; !e && version < STORE_SCHEMA_VERSION; version++) {
    char pragma[64];
    e = store_exec(s, store_migrations[version], "migration");
    snprintf(pragma, sizeof pragma, "PRAGMA user_version = %d", version + 1);
    if (!e)
      e = store_exec(s, pragma, "migration");
  }
  sqlite3_exec(s->db, e ? "ROLLBACK" : "COMMIT", NULL, NULL, NULL);
  return e;
}

stella_err store_open(const char *path, store **out, char *errbuf,
                      size_t errlen) {
  *out = NULL;
  store *s = calloc(1, sizeof *s);
  if (!s)
    return STELLA_E_NOMEM;
  stella_err e = STELLA_OK;
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
              SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK)
    e = store_fail(s, STELLA_E_IO, "open");
  if (!e)
    sqlite3_busy_timeout(s->db, STORE_BUSY_TIMEOUT_MS);
  if (!e)
    e = store_exec(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                   "PRAGMA foreign_keys=ON", "setup");
  if (!e)
    e = store_migrate(s);
  /* Garbage or a damaged file: say so, it is not a permissions problem. */
  if (e == STELLA_E_IO && (sqlite3_errcode(s->db) == SQLITE_NOTADB ||
                           sqlite3_errcode(s->db) == SQLITE_CORRUPT))
    e = STELLA_E_FORMAT;
  if (e) {
    if (errbuf)
      snprintf(errbuf, errlen, "%s: %s", path, s->errmsg);
    store_close(s);
    return e;
  }
  *out = s;
  return STELLA_OK;
}

void store_close(store *s) {
  if (!s)
    return;
  for (size_t i = 0; i < s->ncache; i++)
    sqlite3_finalize(s->cache[i].st);
  sqlite3_close(s->db);
  free(s);
}

const char *store_errmsg(const store *s) { return s ? s->errmsg : ""; }

static stella_err store_prepare(store *s, const char *sql, sqlite3_stmt **st,
                                const char *what) {
  if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK)
    return store_fail(s, STELLA_E_IO, what);
  return STELLA_OK;
}

/* Steps a write statement to completion and finalizes it. */
static stella_err store_step_done(store *s, sqlite3_stmt *st,
                                  const char *what) {
  int rc = sqlite3_step(st);
  stella_err e = rc == SQLITE_DONE ? STELLA_OK
                                   : store_fail(s, STELLA_E_IO, what);
  sqlite3_finalize(st);
  return e;
}

stella_err store_set_setting(store *s, const char *key, const char *value) {
  sqlite3_stmt *st;
  stella_err e = store_prepare(s, "INSERT INTO settings (key, value) "
                               "VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE "
                               "SET value = excluded.value", &st, "write");
  if (e)
    return e;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, value, -1, SQLITE_TRANSIENT);
  return store_step_done(s, st, "write");
}

stella_err store_get_setting(store *s, const char *key, char **value) {
  sqlite3_stmt *st;
  *value = NULL;
  stella_err e = store_prepare(s, "SELECT value FROM settings WHERE key = ?1",
                               &st, "read");
  if (e)
    return e;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    const char *v = (const char *)sqlite3_column_text(st, 0);
    *value = strdup(v ? v : "");
    e = *value ? STELLA_OK : STELLA_E_NOMEM;
  } else {
    e = rc == SQLITE_DONE ? STELLA_E_NOT_FOUND
                          : store_fail(s, STELLA_E_IO, "read");
  }
  sqlite3_finalize(st);
  return e;
}

stella_err store_record(store *s, store_event event, int64_t when, int ok,
                        const char *message) {
  sqlite3_stmt *st;
  stella_err e = store_prepare(s, "INSERT INTO history (time, event, ok, "
                               "message) VALUES (?1, ?2, ?3, ?4)", &st,
                               "write");
  if (e)
    return e;
  sqlite3_bind_int64(st, 1, when);
  sqlite3_bind_int(st, 2, (int)event);
  sqlite3_bind_int(st, 3, ok ? 1 : 0);
  sqlite3_bind_text(st, 4, message ? message : "", -1, SQLITE_TRANSIENT);
  return store_step_done(s, st, "write");
}

stella_err store_last_good_sync(store *s, int64_t *when) {
  sqlite3_stmt *st;
  *when = 0;
  stella_err e = store_prepare(s,
      "SELECT time FROM history WHERE event = 1 AND ok = 1 AND id > "
      "(SELECT COALESCE(MAX(id), 0) FROM history WHERE event = 0) "
      "ORDER BY id DESC LIMIT 1", &st, "read");
  if (e)
    return e;
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW)
    *when = sqlite3_column_int64(st, 0);
  else if (rc != SQLITE_DONE)
    e = store_fail(s, STELLA_E_IO, "read");
  sqlite3_finalize(st);
  return e;
}

stella_err store_history(store *s, store_history_row *rows, size_t max,
                         size_t *n) {
  sqlite3_stmt *st;
  *n = 0;
  stella_err e = store_prepare(s, "SELECT id, time, event, ok, message FROM "
                               "history ORDER BY id DESC LIMIT ?1", &st,
                               "read");
  if (e)
    return e;
  sqlite3_bind_int64(st, 1, (sqlite3_int64)max);
  int rc;
  while (*n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    store_history_row *r = &rows[(*n)++];
    const char *msg = (const char *)sqlite3_column_text(st, 4);
    r->id = sqlite3_column_int64(st, 0);
    r->time = sqlite3_column_int64(st, 1);
    r->event = sqlite3_column_int(st, 2) ? STORE_EVENT_SYNC
                                         : STORE_EVENT_INIT;
    r->ok = sqlite3_column_int(st, 3);
    snprintf(r->message, sizeof r->message, "%s", msg ? msg : "");
  }
  sqlite3_finalize(st);
  return STELLA_OK;
}

static stella_err store_insert_stale(store *s, const tuf_stale *item) {
  sqlite3_stmt *st;
  stella_err e = store_prepare(s, "INSERT OR IGNORE INTO stale (role, "
                               "expires) VALUES (?1, ?2)", &st, "write");
  if (e)
    return e;
  sqlite3_bind_text(st, 1, item->role, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 2, item->expires);
  return store_step_done(s, st, "write");
}

stella_err store_put_stale(store *s, const tuf_stale *items, size_t n,
                           int replace_all) {
  stella_err e = store_exec(s, "BEGIN IMMEDIATE", "write");
  if (!e && replace_all)
    e = store_exec(s, "DELETE FROM stale", "write");
  for (size_t i = 0; !e && i < n; i++)
    e = store_insert_stale(s, &items[i]);
  sqlite3_exec(s->db, e ? "ROLLBACK" : "COMMIT", NULL, NULL, NULL);
  return e;
}

stella_err store_clear_stale(store *s) {
  return store_exec(s, "DELETE FROM stale", "write");
}

int store_is_stale_tolerated(store *s, const char *role, int64_t expires) {
  sqlite3_stmt *st;
  if (store_prepare(s, "SELECT 1 FROM stale WHERE role = ?1 AND expires = ?2",
                    &st, "read"))
    return 0;
  sqlite3_bind_text(st, 1, role, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 2, expires);
  int found = sqlite3_step(st) == SQLITE_ROW;
  sqlite3_finalize(st);
  return found;
}

struct sqlite3 *store_db(store *s) { return s->db; }

stella_err store_set_error(store *s, stella_err e, const char *what) {
  return store_fail(s, e, what);
}

stella_err store_stmt(store *s, const char *sql, sqlite3_stmt **st) {
  for (size_t i = 0; i < s->ncache; i++) {
    if (s->cache[i].sql == sql) {
      *st = s->cache[i].st;
      sqlite3_reset(*st);
      sqlite3_clear_bindings(*st);
      return STELLA_OK;
    }
  }
  if (s->ncache == STORE_STMT_CACHE) {
    snprintf(s->errmsg, sizeof s->errmsg, "database statement cache full "
             "(%d); raise STORE_STMT_CACHE", STORE_STMT_CACHE);
    return STELLA_E_LIMIT;
  }
  if (sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st,
                         NULL) != SQLITE_OK)
    return store_fail(s, STELLA_E_IO, "prepare");
  s->cache[s->ncache].sql = sql;
  s->cache[s->ncache++].st = *st;
  return STELLA_OK;
}

stella_err store_stmt_done(store *s, sqlite3_stmt *st, const char *what) {
  int rc = sqlite3_step(st);
  stella_err e = rc == SQLITE_DONE ? STELLA_OK
                                   : store_fail(s, STELLA_E_IO, what);
  sqlite3_reset(st);
  return e;
}

void store_col_text(sqlite3_stmt *st, int i, char *buf, size_t n) {
  const char *v = (const char *)sqlite3_column_text(st, i);
  snprintf(buf, n, "%s", v ? v : "");
}

static const char store_sql_begin[] = "BEGIN IMMEDIATE";
static const char store_sql_commit[] = "COMMIT";
static const char store_sql_rollback[] = "ROLLBACK";

stella_err store_begin(store *s) {
  sqlite3_stmt *st;
  stella_err e = store_stmt(s, store_sql_begin, &st);
  return e ? e : store_stmt_done(s, st, "begin");
}

stella_err store_end(store *s, stella_err e) {
  sqlite3_stmt *st;
  if (!e && !store_stmt(s, store_sql_commit, &st) &&
      !store_stmt_done(s, st, "commit"))
    return STELLA_OK;
  if (!e)
    e = STELLA_E_IO; /* the commit failed: its message is on s */
  /* A failed COMMIT may leave the transaction open: always roll back. */
  if (!sqlite3_get_autocommit(s->db) &&
      !store_stmt(s, store_sql_rollback, &st)) {
    sqlite3_step(st);
    sqlite3_reset(st);
  }
  return e;
}
