/* breaker.c - circuit breakers per backend in the sqlite store (breaker.h).
 * Each admit and report is one BEGIN IMMEDIATE transaction: read the row,
 * run the state machine on it in memory, record any transition, and write
 * the row back only if something changed (a healthy backend's steady state
 * writes nothing). */
#include "breaker.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "store.h"

/* The row of one backend, as read from the breakers table. */
typedef struct breaker_row {
  breaker_state state;
  int64_t since;
  int64_t epoch;            /* bumped by every transition and reset */
  uint64_t bits;            /* window: bit 0 the newest call, 1 = failed */
  int len;                  /* calls in the window */
  int consecutive;          /* failures in a row */
  int opens;                /* opens since the last close (the back-off) */
  int64_t open_until;
  int probes;               /* probes admitted and not reported */
  int64_t probe_deadline;   /* when the first of them is overdue */
  char last_error[256];
  int64_t last_error_at;
  char last_cause[256];
  int dirty;                /* changed since it was read */
} breaker_row;

static const char breaker_sql_load[] =
    "SELECT state, since, epoch, window_bits, window_len, consecutive, "
    "opens, open_until, probes, probe_deadline, last_error, last_error_at, "
    "last_cause FROM breakers WHERE backend = ?1";
static const char breaker_sql_save[] =
    "INSERT INTO breakers (backend, state, since, epoch, window_bits, "
    "window_len, consecutive, opens, open_until, probes, probe_deadline, "
    "last_error, last_error_at, last_cause) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
    "?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14) ON CONFLICT(backend) DO UPDATE SET "
    "state = ?2, since = ?3, epoch = ?4, window_bits = ?5, window_len = ?6, "
    "consecutive = ?7, opens = ?8, open_until = ?9, probes = ?10, "
    "probe_deadline = ?11, last_error = ?12, last_error_at = ?13, "
    "last_cause = ?14";
static const char breaker_sql_event[] =
    "INSERT INTO breaker_events (time, backend, from_state, to_state, cause, "
    "actor) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

const char *breaker_state_name(breaker_state s) {
  switch (s) {
  case BREAKER_CLOSED: return "closed";
  case BREAKER_OPEN: return "open";
  case BREAKER_HALF_OPEN: return "half_open";
  }
  return "unknown";
}

void breaker_policy_default(breaker_policy *p) {
  *p = (breaker_policy){
    .window_calls = 20, .min_calls = 5, .failure_rate_pct = 50,
    .consecutive_failures = 5, .cooldown_s = 30, .cooldown_max_s = 600,
    .half_open_probes = 1, .probe_timeout_s = 30, .slow_call_ms = 5000,
  };
}

static int breaker_policy_ok(const breaker_policy *p) {
  return p && p->window_calls >= 1 && p->window_calls <= 64 &&
         p->min_calls >= 1 && p->failure_rate_pct >= 1 &&
         p->failure_rate_pct <= 100 && p->consecutive_failures >= 1 &&
         p->cooldown_s >= 0 && p->cooldown_max_s >= p->cooldown_s &&
         p->half_open_probes >= 1 && p->probe_timeout_s >= 0 &&
         p->slow_call_ms >= 0;
}

static uint64_t breaker_mask(int n) {
  return n >= 64 ? UINT64_MAX : (UINT64_C(1) << n) - 1;
}

static int breaker_popcount(uint64_t v) {
  int n = 0;
  for (; v; v &= v - 1)
    n++;
  return n;
}

static stella_err breaker_load(store *s, const char *backend, breaker_row *r) {
  sqlite3_stmt *st;
  memset(r, 0, sizeof *r);
  stella_err e = store_stmt(s, breaker_sql_load, &st);
  if (e)
    return e;
  sqlite3_bind_text(st, 1, backend, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    r->state = (breaker_state)sqlite3_column_int(st, 0);
    r->since = sqlite3_column_int64(st, 1);
    r->epoch = sqlite3_column_int64(st, 2);
    r->bits = (uint64_t)sqlite3_column_int64(st, 3);
    r->len = sqlite3_column_int(st, 4);
    r->consecutive = sqlite3_column_int(st, 5);
    r->opens = sqlite3_column_int(st, 6);
    r->open_until = sqlite3_column_int64(st, 7);
    r->probes = sqlite3_column_int(st, 8);
    r->probe_deadline = sqlite3_column_int64(st, 9);
    store_col_text(st, 10, r->last_error, sizeof r->last_error);
    r->last_error_at = sqlite3_column_int64(st, 11);
    store_col_text(st, 12, r->last_cause, sizeof r->last_cause);
  } else if (rc != SQLITE_DONE) {
    e = store_set_error(s, STELLA_E_IO, "breaker read");
  }
  sqlite3_reset(st);
  return e;
}

static stella_err breaker_save(store *s, const char *backend,
                               const breaker_row *r) {
  sqlite3_stmt *st;
  stella_err e = store_stmt(s, breaker_sql_save, &st);
  if (e)
    return e;
  sqlite3_bind_text(st, 1, backend, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 2, (int)r->state);
  sqlite3_bind_int64(st, 3, r->since);
  sqlite3_bind_int64(st, 4, r->epoch);
  sqlite3_bind_int64(st, 5, (sqlite3_int64)r->bits);
  sqlite3_bind_int(st, 6, r->len);
  sqlite3_bind_int(st, 7, r->consecutive);
  sqlite3_bind_int(st, 8, r->opens);
  sqlite3_bind_int64(st, 9, r->open_until);
  sqlite3_bind_int(st, 10, r->probes);
  sqlite3_bind_int64(st, 11, r->probe_deadline);
  sqlite3_bind_text(st, 12, r->last_error, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 13, r->last_error_at);
  sqlite3_bind_text(st, 14, r->last_cause, -1, SQLITE_STATIC);
  return store_stmt_done(s, st, "breaker write");
}

/* A smaller window since the last call (policy change): keep the newest. */
static void breaker_fit_window(breaker_row *r, const breaker_policy *p) {
  if (r->len > p->window_calls)
    r->len = p->window_calls;
  r->bits &= breaker_mask(r->len);
}

/* Records the transition of r to `to` with its cause and actor. */
static stella_err breaker_move(store *s, const char *backend, breaker_row *r,
                               breaker_state to, int64_t now,
                               const char *cause, const char *actor) {
  sqlite3_stmt *st;
  stella_err e = store_stmt(s, breaker_sql_event, &st);
  if (e)
    return e;
  sqlite3_bind_int64(st, 1, now);
  sqlite3_bind_text(st, 2, backend, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 3, (int)r->state);
  sqlite3_bind_int(st, 4, (int)to);
  sqlite3_bind_text(st, 5, cause, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 6, actor ? actor : "", -1, SQLITE_STATIC);
  e = store_stmt_done(s, st, "breaker event write");
  r->state = to;
  r->since = now;
  r->epoch++;
  r->probes = 0;
  r->probe_deadline = 0;
  snprintf(r->last_cause, sizeof r->last_cause, "%s", cause);
  r->dirty = 1;
  return e;
}

/* The cool-down of the next open: doubled per open since the last close,
 * capped (and without overflow however large the cap). */
static int64_t breaker_cooldown(const breaker_policy *p, int opens) {
  int64_t c = p->cooldown_s;
  for (int i = 0; i < opens && c > 0 && c < p->cooldown_max_s; i++)
    c = c > p->cooldown_max_s / 2 ? p->cooldown_max_s : c * 2;
  return c;
}

static stella_err breaker_open(store *s, const char *backend, breaker_row *r,
                               const breaker_policy *p, int64_t now,
                               const char *cause) {
  r->open_until = now + breaker_cooldown(p, r->opens);
  if (r->opens < 64)
    r->opens++;
  return breaker_move(s, backend, r, BREAKER_OPEN, now, cause, NULL);
}

static stella_err breaker_close(store *s, const char *backend, breaker_row *r,
                                int64_t now, const char *cause) {
  r->bits = 0;
  r->len = 0;
  r->consecutive = 0;
  r->opens = 0;
  r->open_until = 0;
  return breaker_move(s, backend, r, BREAKER_CLOSED, now, cause, NULL);
}

/* A HALF_OPEN breaker whose probe is overdue re-opens: a hung call must
 * not hold it half-open forever. */
static stella_err breaker_expire_probe(store *s, const char *backend,
                                       breaker_row *r,
                                       const breaker_policy *p, int64_t now) {
  char cause[256];
  if (r->state != BREAKER_HALF_OPEN || r->probes == 0 ||
      now <= r->probe_deadline)
    return STELLA_OK;
  snprintf(cause, sizeof cause, "probe not reported within %llds",
           (long long)p->probe_timeout_s);
  return breaker_open(s, backend, r, p, now, cause);
}

/* The admission decision on a loaded row; *admitted says the verdict. */
static stella_err breaker_admit_row(store *s, const char *backend,
                                    breaker_row *r, const breaker_policy *p,
                                    int64_t now, breaker_ticket *t,
                                    int *admitted) {
  char cause[256];
  stella_err e = breaker_expire_probe(s, backend, r, p, now);
  if (!e && r->state == BREAKER_OPEN && now >= r->open_until) {
    snprintf(cause, sizeof cause, "cool-down of %llds over",
             (long long)(r->open_until - r->since));
    e = breaker_move(s, backend, r, BREAKER_HALF_OPEN, now, cause, NULL);
  }
  *admitted = !e && (r->state == BREAKER_CLOSED ||
                     (r->state == BREAKER_HALF_OPEN &&
                      r->probes < p->half_open_probes));
  if (!*admitted)
    return e;
  t->probe = r->state == BREAKER_HALF_OPEN;
  t->admitted_at = now;
  t->epoch = r->epoch;
  if (t->probe) {
    if (r->probes++ == 0)
      r->probe_deadline = now + p->probe_timeout_s;
    r->dirty = 1;
  }
  return STELLA_OK;
}

stella_err breaker_admit(store *s, const char *backend,
                         const breaker_policy *p, int64_t now,
                         breaker_ticket *ticket) {
  breaker_row r;
  int admitted = 0;
  if (!s || !backend || !ticket || !breaker_policy_ok(p))
    return STELLA_E_INVALID_ARG;
  memset(ticket, 0, sizeof *ticket);
  stella_err e = store_begin(s);
  if (e)
    return e;
  e = breaker_load(s, backend, &r);
  if (!e) {
    breaker_fit_window(&r, p);
    e = breaker_admit_row(s, backend, &r, p, now, ticket, &admitted);
  }
  if (!e && r.dirty)
    e = breaker_save(s, backend, &r);
  e = store_end(s, e);
  if (e || !admitted) {
    memset(ticket, 0, sizeof *ticket);
    return e ? e : STELLA_E_UNAVAILABLE;
  }
  return STELLA_OK;
}

/* Adds one counted outcome to the CLOSED window. */
static void breaker_push(breaker_row *r, const breaker_policy *p,
                         int failed) {
  uint64_t bits = ((r->bits << 1) | (failed ? 1u : 0u)) &
                  breaker_mask(p->window_calls);
  int len = r->len < p->window_calls ? r->len + 1 : r->len;
  int consecutive = failed ? r->consecutive + 1 : 0;
  if (bits != r->bits || len != r->len || consecutive != r->consecutive)
    r->dirty = 1;
  r->bits = bits;
  r->len = len;
  r->consecutive = consecutive;
}

/* After a failure in CLOSED: open if the window trips either rule. */
static stella_err breaker_check_trip(store *s, const char *backend,
                                     breaker_row *r, const breaker_policy *p,
                                     int64_t now, int *tripped) {
  char cause[256];
  int fails = breaker_popcount(r->bits);
  if (r->len >= p->min_calls &&
      fails * 100 >= p->failure_rate_pct * r->len)
    snprintf(cause, sizeof cause, "%d of %d calls failed (%d%%, threshold "
             "%d%%); last: %.160s", fails, r->len, fails * 100 / r->len,
             p->failure_rate_pct, r->last_error);
  else if (r->consecutive >= p->consecutive_failures)
    snprintf(cause, sizeof cause, "%d consecutive failures; last: %.200s",
             r->consecutive, r->last_error);
  else
    return STELLA_OK;
  *tripped = 1;
  return breaker_open(s, backend, r, p, now, cause);
}

/* The report of a current HALF_OPEN probe: success closes, failure
 * re-opens (with the next, longer cool-down), neutral frees its slot. */
static stella_err breaker_probe_done(store *s, const char *backend,
                                     breaker_row *r, const breaker_policy *p,
                                     int64_t now, breaker_outcome outcome,
                                     int failed, int64_t duration_ms,
                                     int *tripped) {
  char cause[256];
  if (r->probes > 0)
    r->probes--;
  r->dirty = 1;
  if (outcome == BREAKER_NEUTRAL)
    return STELLA_OK;
  if (!failed) {
    snprintf(cause, sizeof cause, "probe succeeded in %lld ms",
             (long long)duration_ms);
    return breaker_close(s, backend, r, now, cause);
  }
  snprintf(cause, sizeof cause, "probe failed: %.200s", r->last_error);
  *tripped = 1;
  return breaker_open(s, backend, r, p, now, cause);
}

/* Keeps the failure's one-line reason on the row. */
static void breaker_note_error(breaker_row *r, const breaker_policy *p,
                               int64_t now, breaker_outcome outcome,
                               int64_t duration_ms, const char *error) {
  if (outcome == BREAKER_FAILURE && error && *error)
    snprintf(r->last_error, sizeof r->last_error, "%s", error);
  else if (outcome == BREAKER_FAILURE)
    snprintf(r->last_error, sizeof r->last_error, "failed after %lld ms",
             (long long)duration_ms);
  else
    snprintf(r->last_error, sizeof r->last_error, "slow call: %lld ms "
             "(limit %lld ms)", (long long)duration_ms,
             (long long)p->slow_call_ms);
  for (char *c = r->last_error; *c; c++)
    if (*c == '\n' || *c == '\r')
      *c = ' '; /* it ends up in one-line causes and status lines */
  r->last_error_at = now;
  r->dirty = 1;
}

static stella_err breaker_report_row(store *s, const char *backend,
                                     breaker_row *r, const breaker_policy *p,
                                     const breaker_ticket *t, int64_t now,
                                     breaker_outcome outcome,
                                     int64_t duration_ms, const char *error,
                                     int *tripped) {
  int failed = outcome == BREAKER_FAILURE ||
               (outcome == BREAKER_SUCCESS && duration_ms > p->slow_call_ms);
  if (failed)
    breaker_note_error(r, p, now, outcome, duration_ms, error);
  stella_err e = breaker_expire_probe(s, backend, r, p, now);
  /* A call admitted before the last transition says nothing about the
   * present state (its probe slot, if any, went with that state). */
  if (e || t->epoch != r->epoch)
    return e;
  if (r->state == BREAKER_HALF_OPEN && t->probe)
    return breaker_probe_done(s, backend, r, p, now, outcome, failed,
                              duration_ms, tripped);
  if (r->state != BREAKER_CLOSED || outcome == BREAKER_NEUTRAL)
    return STELLA_OK;
  breaker_push(r, p, failed);
  return failed ? breaker_check_trip(s, backend, r, p, now, tripped)
                : STELLA_OK;
}

stella_err breaker_report(store *s, const char *backend,
                          const breaker_policy *p,
                          const breaker_ticket *ticket, int64_t now,
                          breaker_outcome outcome, int64_t duration_ms,
                          const char *error, int *tripped) {
  breaker_row r;
  int trip = 0;
  if (tripped)
    *tripped = 0;
  if (!s || !backend || !ticket || !breaker_policy_ok(p) ||
      outcome < BREAKER_SUCCESS || outcome > BREAKER_NEUTRAL)
    return STELLA_E_INVALID_ARG;
  stella_err e = store_begin(s);
  if (e)
    return e;
  e = breaker_load(s, backend, &r);
  if (!e) {
    breaker_fit_window(&r, p);
    e = breaker_report_row(s, backend, &r, p, ticket, now, outcome,
                           duration_ms, error, &trip);
  }
  if (!e && r.dirty)
    e = breaker_save(s, backend, &r);
  e = store_end(s, e);
  if (!e && tripped)
    *tripped = trip;
  return e;
}

/* Reset in two statements over one backend (?3) or all (?3 NULL): record
 * a transition for each breaker not CLOSED, then clear every row. */
static const char breaker_sql_reset_events[] =
    "INSERT INTO breaker_events (time, backend, from_state, to_state, cause, "
    "actor) SELECT ?1, backend, state, 0, ?2, ?4 FROM breakers "
    "WHERE state <> 0 AND (?3 IS NULL OR backend = ?3)";
static const char breaker_sql_reset_rows[] =
    "UPDATE breakers SET since = CASE WHEN state <> 0 THEN ?1 ELSE since END,"
    " last_cause = CASE WHEN state <> 0 THEN ?2 ELSE last_cause END,"
    " state = 0, epoch = epoch + 1, window_bits = 0, window_len = 0,"
    " consecutive = 0, opens = 0, open_until = 0, probes = 0,"
    " probe_deadline = 0 WHERE ?3 IS NULL OR backend = ?3";

static stella_err breaker_reset_run(store *s, const char *sql,
                                    const char *backend, const char *actor,
                                    const char *cause, int64_t now,
                                    int *changes) {
  sqlite3_stmt *st;
  stella_err e = store_stmt(s, sql, &st);
  if (e)
    return e;
  sqlite3_bind_int64(st, 1, now);
  sqlite3_bind_text(st, 2, cause, -1, SQLITE_STATIC);
  if (backend)
    sqlite3_bind_text(st, 3, backend, -1, SQLITE_STATIC);
  if (sql == breaker_sql_reset_events)
    sqlite3_bind_text(st, 4, actor, -1, SQLITE_STATIC);
  e = store_stmt_done(s, st, "breaker reset");
  *changes = sqlite3_changes(store_db(s));
  return e;
}

stella_err breaker_reset(store *s, const char *backend, const char *actor,
                         int64_t now, size_t *n) {
  char cause[256];
  int closed = 0, rows = 0;
  if (n)
    *n = 0;
  if (!s)
    return STELLA_E_INVALID_ARG;
  actor = actor ? actor : "";
  if (*actor)
    snprintf(cause, sizeof cause, "reset by %.200s", actor);
  else
    snprintf(cause, sizeof cause, "reset");
  stella_err e = store_begin(s);
  if (!e)
    e = breaker_reset_run(s, breaker_sql_reset_events, backend, actor, cause,
                          now, &closed);
  if (!e)
    e = breaker_reset_run(s, breaker_sql_reset_rows, backend, actor, cause,
                          now, &rows);
  if (!e && backend && rows == 0)
    e = STELLA_E_NOT_FOUND; /* rolled back: nothing was written anyway */
  e = store_end(s, e);
  if (!e && n)
    *n = (size_t)closed;
  return e;
}

static const char breaker_sql_opens[] =
    "SELECT count(*) FROM breaker_events WHERE to_state = 1 "
    "AND time > ?1 AND time <= ?2";
static const char breaker_sql_opens_of[] =
    "SELECT count(*) FROM breaker_events WHERE backend = ?3 AND to_state = 1 "
    "AND time > ?1 AND time <= ?2";

/* Opens in (now - 3600, now], of one backend or (NULL) all. */
static stella_err breaker_count_opens(store *s, const char *backend,
                                      int64_t now, int *count) {
  sqlite3_stmt *st;
  *count = 0;
  stella_err e = store_stmt(s, backend ? breaker_sql_opens_of
                                       : breaker_sql_opens, &st);
  if (e)
    return e;
  sqlite3_bind_int64(st, 1, now - 3600);
  sqlite3_bind_int64(st, 2, now);
  if (backend)
    sqlite3_bind_text(st, 3, backend, -1, SQLITE_STATIC);
  if (sqlite3_step(st) == SQLITE_ROW)
    *count = sqlite3_column_int(st, 0);
  else
    e = store_set_error(s, STELLA_E_IO, "breaker read");
  sqlite3_reset(st);
  return e;
}

stella_err breaker_opens_last_hour(store *s, int64_t now, int *count) {
  if (!s || !count)
    return STELLA_E_INVALID_ARG;
  return breaker_count_opens(s, NULL, now, count);
}

stella_err breaker_get_status(store *s, const char *backend, int64_t now,
                              breaker_status *out) {
  breaker_row r;
  if (!s || !backend || !out)
    return STELLA_E_INVALID_ARG;
  memset(out, 0, sizeof *out);
  stella_err e = breaker_load(s, backend, &r);
  if (e)
    return e;
  snprintf(out->backend, sizeof out->backend, "%s", backend);
  out->state = r.state;
  out->since = r.since;
  out->calls_in_window = r.len;
  out->failures_in_window = breaker_popcount(r.bits & breaker_mask(r.len));
  out->failure_rate = r.len ? (double)out->failures_in_window / r.len : 0;
  out->consecutive_failures = r.consecutive;
  out->open_until = r.open_until;
  snprintf(out->last_error, sizeof out->last_error, "%s", r.last_error);
  out->last_error_at = r.last_error_at;
  snprintf(out->last_cause, sizeof out->last_cause, "%s", r.last_cause);
  return breaker_count_opens(s, backend, now, &out->opens_last_hour);
}

static const char breaker_sql_events[] =
    "SELECT time, backend, from_state, to_state, cause, actor "
    "FROM breaker_events ORDER BY time DESC, id DESC LIMIT ?1";
static const char breaker_sql_events_of[] =
    "SELECT time, backend, from_state, to_state, cause, actor "
    "FROM breaker_events WHERE backend = ?2 ORDER BY time DESC, id DESC "
    "LIMIT ?1";

stella_err breaker_events(store *s, const char *backend, breaker_event *out,
                          size_t max, size_t *n) {
  sqlite3_stmt *st;
  if (!s || !n || (max && !out))
    return STELLA_E_INVALID_ARG;
  *n = 0;
  stella_err e = store_stmt(s, backend ? breaker_sql_events_of
                                       : breaker_sql_events, &st);
  if (e)
    return e;
  sqlite3_bind_int64(st, 1, (sqlite3_int64)max);
  if (backend)
    sqlite3_bind_text(st, 2, backend, -1, SQLITE_STATIC);
  int rc = SQLITE_DONE;
  while (*n < max && (rc = sqlite3_step(st)) == SQLITE_ROW) {
    breaker_event *ev = &out[(*n)++];
    ev->time = sqlite3_column_int64(st, 0);
    store_col_text(st, 1, ev->backend, sizeof ev->backend);
    ev->from = (breaker_state)sqlite3_column_int(st, 2);
    ev->to = (breaker_state)sqlite3_column_int(st, 3);
    store_col_text(st, 4, ev->cause, sizeof ev->cause);
    store_col_text(st, 5, ev->actor, sizeof ev->actor);
  }
  if (*n < max && rc != SQLITE_DONE)
    e = store_set_error(s, STELLA_E_IO, "breaker events read");
  sqlite3_reset(st);
  return e;
}
