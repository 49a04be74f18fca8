/* store.h - the client's small sqlite database (HOME/stella.db): settings,
 * sync history and what the last sync tolerated as stale. Later modules
 * (breakers, the forensics ledger) add their tables through the migration
 * list in store.c. WAL mode and a busy timeout, so the console and a sync
 * worker can use the same file at once (one store per thread). */
#ifndef STELLA_CORE_STORE_H
#define STELLA_CORE_STORE_H

#include <stddef.h>
#include <stdint.h>
#include "stella/stella.h"
#include "tuf.h"

/* The schema version this build writes (PRAGMA user_version). */
#define STORE_SCHEMA_VERSION 3

typedef struct store store;

/* Opens (creating and migrating if needed) the database at path. On failure
 * *out is NULL and errbuf (may be NULL) says why. A database written by a
 * newer stella (higher schema version) is refused with STELLA_E_UNSUPPORTED,
 * a file that is not an sqlite database or is damaged with STELLA_E_FORMAT. */
stella_err store_open(const char *path, store **out, char *errbuf,
                      size_t errlen);
void store_close(store *s); /* NULL-safe */

/* For the modules that keep their own tables in the store (breaker.c,
 * ledger.c): the connection (owned by s), and a failure recorded on s as
 * "database <what> failed: <sqlite message>" (returns e). */
struct sqlite3;
struct sqlite3 *store_db(store *s);
stella_err store_set_error(store *s, stella_err e, const char *what);

/* Also for them: a statement prepared once per store and kept until
 * store_close, found by the address of sql (a string literal, so the
 * lookup is a pointer compare). It comes back reset with its bindings
 * cleared; reset it after use too (a pending SELECT holds a read
 * snapshot). Not for a statement that may run re-entrantly (a query
 * with a callback): prepare that one with sqlite3_prepare_v2. */
struct sqlite3_stmt;
stella_err store_stmt(store *s, const char *sql, struct sqlite3_stmt **st);
/* Steps a cached write statement to its end and resets it. */
stella_err store_stmt_done(store *s, struct sqlite3_stmt *st,
                           const char *what);
/* Copies text column i of a row into buf (truncated, "" for NULL). */
void store_col_text(struct sqlite3_stmt *st, int i, char *buf, size_t n);
/* BEGIN IMMEDIATE: takes the write lock now (waiting up to the busy
 * timeout), so a read-then-write cannot race another process. */
stella_err store_begin(store *s);
/* COMMIT when e is STELLA_OK, else ROLLBACK; returns e, or the failure of
 * the commit. */
stella_err store_end(store *s, stella_err e);

/* The one-line message of the last failure on s ("" if none). Owned by s. */
const char *store_errmsg(const store *s);

/* Settings: small string values by key (e.g. "tuf_url"). */
stella_err store_set_setting(store *s, const char *key, const char *value);
/* *value is malloc'd (caller frees); STELLA_E_NOT_FOUND if unset. */
stella_err store_get_setting(store *s, const char *key, char **value);

/* What a history row records. */
typedef enum store_event {
  STORE_EVENT_INIT = 0, /* `trust init`: a new trust anchor; older syncs no
                           longer describe the trusted state */
  STORE_EVENT_SYNC = 1
} store_event;

typedef struct store_history_row {
  int64_t id;
  int64_t time;        /* epoch seconds (the injected clock's) */
  store_event event;
  int ok;              /* 1 success, 0 failure */
  char message[512];   /* one line, truncated */
} store_history_row;

/* Appends a history row. */
stella_err store_record(store *s, store_event event, int64_t when, int ok,
                        const char *message);

/* Time of the last successful sync since the last init; 0 if none. */
stella_err store_last_good_sync(store *s, int64_t *when);

/* Up to max rows, newest first, into rows (caller's array); *n gets the
 * count. */
stella_err store_history(store *s, store_history_row *rows, size_t max,
                         size_t *n);

/* Stale tolerances: (role, expires) pairs a --allow-stale sync accepted.
 * replace_all drops the earlier list first (after a successful sync);
 * otherwise items are added to it (a failed sync may still have accepted
 * and persisted some stale files). */
stella_err store_put_stale(store *s, const tuf_stale *items, size_t n,
                           int replace_all);
/* Empties the list (after `trust init --force`). */
stella_err store_clear_stale(store *s);
/* 1 if role with exactly this expiry was tolerated, else 0. */
int store_is_stale_tolerated(store *s, const char *role, int64_t expires);

#endif
