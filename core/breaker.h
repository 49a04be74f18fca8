/* breaker.h - one circuit breaker per backend URL, kept in the sqlite store
 * so every stella process (CLI calls, the console, a sync worker) shares
 * it. Each admit/report runs in one IMMEDIATE transaction.
 *
 *   CLOSED --(window trips: failure rate or consecutive failures)--> OPEN
 *   OPEN --(cool-down over: next admit)--> HALF_OPEN
 *   HALF_OPEN --(probe succeeds)--> CLOSED
 *   HALF_OPEN --(probe fails, or is not reported by its deadline)--> OPEN
 *
 * The cool-down doubles on each re-open without a close in between, up to
 * a maximum. Every transition is recorded with its cause (the window that
 * tripped it) and, for resets, who did it. Time comes from the caller
 * (the injectable clock); durations are measured by the caller. */
#ifndef STELLA_CORE_BREAKER_H
#define STELLA_CORE_BREAKER_H

#include <stddef.h>
#include <stdint.h>
#include "stella/stella.h"

struct store;

typedef enum breaker_state {
  BREAKER_CLOSED = 0,
  BREAKER_OPEN = 1,
  BREAKER_HALF_OPEN = 2
} breaker_state;

/* "closed", "open", "half_open" (the --json spelling). Static. */
const char *breaker_state_name(breaker_state s);

/* Defaults (breaker_policy_default) in brackets; docs/operators.md lists
 * them and how to change them (HOME/config.json, "breaker" object). */
typedef struct breaker_policy {
  int window_calls;         /* [20] sliding window of the last N calls, <= 64 */
  int min_calls;            /* [5] rate rule needs this many calls */
  int failure_rate_pct;     /* [50] open at >= this % failures in window */
  int consecutive_failures; /* [5] or at this many failures in a row */
  int64_t cooldown_s;       /* [30] first OPEN period */
  int64_t cooldown_max_s;   /* [600] cap of the doubling */
  int half_open_probes;     /* [1] calls admitted while HALF_OPEN */
  int64_t probe_timeout_s;  /* [30] an unreported probe counts as failed */
  int64_t slow_call_ms;     /* [5000] a success slower than this is a failure */
} breaker_policy;

void breaker_policy_default(breaker_policy *p);

/* What a call turned out to be. */
typedef enum breaker_outcome {
  BREAKER_SUCCESS = 0,
  BREAKER_FAILURE,          /* timeout, connection error, 5xx, garbage */
  BREAKER_NEUTRAL           /* an expected answer that says nothing about
                               health (a 404 for an absent entry, a 409) */
} breaker_outcome;

/* A permission to call, from breaker_admit, given back to breaker_report. */
typedef struct breaker_ticket {
  int probe;                /* 1 when admitted as a HALF_OPEN probe */
  int64_t admitted_at;
  int64_t epoch;            /* the breaker's transition count at admission:
                               a report from before a transition (or a
                               reset) is stale and does not count, even
                               within the same second */
} breaker_ticket;

/* Asks whether a call to backend may go ahead now. STELLA_OK: yes (ticket
 * filled; an OPEN breaker whose cool-down is over turns HALF_OPEN here, and
 * an overdue probe re-opens it first). STELLA_E_UNAVAILABLE: no (OPEN, or
 * HALF_OPEN with every probe slot taken). STELLA_E_IO on a store failure. */
stella_err breaker_admit(struct store *s, const char *backend,
                         const breaker_policy *p, int64_t now,
                         breaker_ticket *ticket);

/* Reports the call admitted with ticket: outcome, how long it took (ms; a
 * SUCCESS slower than p->slow_call_ms counts as a failure) and, for
 * failures, a one-line error (stored; never secrets). May transition the
 * breaker; *tripped (may be NULL) is 1 when this report opened it. */
stella_err breaker_report(struct store *s, const char *backend,
                          const breaker_policy *p,
                          const breaker_ticket *ticket, int64_t now,
                          breaker_outcome outcome, int64_t duration_ms,
                          const char *error, int *tripped);

/* Closes the breaker of backend (NULL: every breaker), clearing its window
 * and back-off, recording actor (e.g. "alice via stella trust
 * reset-circuits"). *n (may be NULL) gets how many were not closed before.
 * STELLA_E_NOT_FOUND when backend has no breaker yet. */
stella_err breaker_reset(struct store *s, const char *backend,
                         const char *actor, int64_t now, size_t *n);

typedef struct breaker_status {
  char backend[1024];
  breaker_state state;
  int64_t since;            /* time of the last transition (0: never) */
  int calls_in_window;
  int failures_in_window;
  double failure_rate;      /* failures / calls in window, 0 when none */
  int consecutive_failures;
  int64_t open_until;       /* OPEN: when a probe will be admitted */
  char last_error[256];     /* "" if none */
  int64_t last_error_at;
  char last_cause[256];     /* cause of the last transition, "" if none */
  int opens_last_hour;      /* transitions to OPEN in (now - 3600, now] */
} breaker_status;

/* The state of backend as seen at now (a breaker never used is CLOSED with
 * zero counts; an OPEN one whose cool-down is over still reads OPEN until
 * the next admit). Never writes. */
stella_err breaker_get_status(struct store *s, const char *backend,
                              int64_t now, breaker_status *out);

typedef struct breaker_event {
  int64_t time;
  char backend[1024];
  breaker_state from, to;
  char cause[256];
  char actor[128];          /* "" for automatic transitions */
} breaker_event;

/* Up to max transitions of backend (NULL: all) newest first, into the
 * caller's array; *n gets the count. */
stella_err breaker_events(struct store *s, const char *backend,
                          breaker_event *out, size_t max, size_t *n);

/* Transitions to OPEN across all backends in (now - 3600, now]. */
stella_err breaker_opens_last_hour(struct store *s, int64_t now, int *count);

#endif
