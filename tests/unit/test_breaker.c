/* test_breaker.c - circuit breakers in the sqlite store with a fake clock
 * (every call passes its `now`): each transition and its recorded cause,
 * the back-off, probes, resets, two store handles on one file, and two
 * forked processes hammering one half-open breaker. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "breaker.h"
#include "fsutil.h"
#include "statedir.h"
#include "store.h"
#include "store_fixture.h"

#define A "https://rekor-a.example"
#define B "https://rekor-b.example"
#define T0 1700000000

typedef struct fixture {
  store_fixture st;
  breaker_policy p;
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  if (!f || store_fixture_open(&f->st, "breaker"))
    return -1;
  breaker_policy_default(&f->p);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  store_fixture_close(&f->st);
  free(f);
  return 0;
}

/* One admitted call with its outcome; returns what admit said. */
static stella_err call(fixture *f, const char *backend, int64_t now,
                       breaker_outcome o, int64_t ms, const char *err,
                       int *tripped) {
  breaker_ticket t;
  stella_err e = breaker_admit(f->st.s, backend, &f->p, now, &t);
  if (e)
    return e;
  assert_int_equal(breaker_report(f->st.s, backend, &f->p, &t, now, o, ms, err,
                                  tripped), STELLA_OK);
  return STELLA_OK;
}

static breaker_status status(fixture *f, const char *backend, int64_t now) {
  breaker_status st;
  assert_int_equal(breaker_get_status(f->st.s, backend, now, &st), STELLA_OK);
  return st;
}

static breaker_event last_event(fixture *f, const char *backend) {
  breaker_event ev[1];
  size_t n = 0;
  assert_int_equal(breaker_events(f->st.s, backend, ev, 1, &n), STELLA_OK);
  assert_int_equal(n, 1);
  return ev[0];
}

/* Opens A at now with five failures after fifteen successes. */
static void trip(fixture *f, int64_t now) {
  int tripped = 0;
  for (int i = 0; i < 15; i++)
    assert_int_equal(call(f, A, now, BREAKER_SUCCESS, 10, NULL, NULL), 0);
  for (int i = 0; i < 5; i++)
    assert_int_equal(call(f, A, now, BREAKER_FAILURE, 10, "connection "
                          "refused", &tripped), STELLA_OK);
  assert_int_equal(tripped, 1);
  assert_int_equal(status(f, A, now).state, BREAKER_OPEN);
}

static void test_defaults_and_names(void **state) {
  fixture *f = *state;
  breaker_status st = status(f, A, T0);
  assert_int_equal(f->p.window_calls, 20);
  assert_int_equal(f->p.min_calls, 5);
  assert_int_equal(f->p.failure_rate_pct, 50);
  assert_int_equal(f->p.consecutive_failures, 5);
  assert_true(f->p.cooldown_s == 30 && f->p.cooldown_max_s == 600);
  assert_int_equal(f->p.half_open_probes, 1);
  assert_true(f->p.probe_timeout_s == 30 && f->p.slow_call_ms == 5000);
  assert_string_equal(breaker_state_name(BREAKER_CLOSED), "closed");
  assert_string_equal(breaker_state_name(BREAKER_OPEN), "open");
  assert_string_equal(breaker_state_name(BREAKER_HALF_OPEN), "half_open");
  /* Never used: CLOSED with nothing counted. */
  assert_int_equal(st.state, BREAKER_CLOSED);
  assert_true(st.since == 0 && st.calls_in_window == 0);
  assert_string_equal(st.backend, A);
  assert_string_equal(st.last_cause, "");
}

static void test_invalid_args(void **state) {
  fixture *f = *state;
  breaker_ticket t;
  breaker_policy p = f->p;
  p.window_calls = 65;
  assert_int_equal(breaker_admit(f->st.s, A, &p, T0, &t), STELLA_E_INVALID_ARG);
  p = f->p;
  p.cooldown_max_s = p.cooldown_s - 1;
  assert_int_equal(breaker_admit(f->st.s, A, &p, T0, &t), STELLA_E_INVALID_ARG);
  p = f->p;
  p.half_open_probes = 0;
  assert_int_equal(breaker_admit(f->st.s, A, &p, T0, &t), STELLA_E_INVALID_ARG);
  assert_int_equal(breaker_admit(f->st.s, NULL, &f->p, T0, &t),
                   STELLA_E_INVALID_ARG);
  assert_int_equal(breaker_report(f->st.s, A, &f->p, &t, T0, 7, 0, NULL, NULL),
                   STELLA_E_INVALID_ARG);
}

/* The rate rule waits for min_calls: 2 of 4 (50 %) stays closed, 3 of 5
 * opens. */
static void test_rate_rule_min_calls(void **state) {
  fixture *f = *state;
  int tripped = 0;
  const breaker_outcome seq[] = {BREAKER_FAILURE, BREAKER_SUCCESS,
                                 BREAKER_FAILURE, BREAKER_SUCCESS};
  for (int i = 0; i < 4; i++)
    assert_int_equal(call(f, A, T0 + i, seq[i], 10, "timeout after 10000 ms",
                          &tripped), STELLA_OK);
  assert_int_equal(tripped, 0);
  breaker_status st = status(f, A, T0 + 4);
  assert_int_equal(st.state, BREAKER_CLOSED);
  assert_int_equal(st.calls_in_window, 4);
  assert_int_equal(st.failures_in_window, 2);
  assert_true(st.failure_rate > 0.49 && st.failure_rate < 0.51);
  assert_int_equal(call(f, A, T0 + 4, BREAKER_FAILURE, 10000,
                        "timeout after 10000 ms", &tripped), STELLA_OK);
  assert_int_equal(tripped, 1);
  st = status(f, A, T0 + 4);
  assert_int_equal(st.state, BREAKER_OPEN);
  assert_true(st.since == T0 + 4 && st.open_until == T0 + 34);
  assert_string_equal(st.last_cause, "3 of 5 calls failed (60%, threshold "
                      "50%); last: timeout after 10000 ms");
  breaker_event ev = last_event(f, A);
  assert_true(ev.from == BREAKER_CLOSED && ev.to == BREAKER_OPEN);
  assert_true(ev.time == T0 + 4);
  assert_string_equal(ev.cause, st.last_cause);
  assert_string_equal(ev.actor, "");
}

/* The wording of the issue: 11 of a full window of 20 (min_calls 20). */
static void test_rate_rule_full_window(void **state) {
  fixture *f = *state;
  int tripped = 0;
  f->p.min_calls = 20;
  f->p.consecutive_failures = 64;
  /* S F S F ... S F then F F: 9 + 11 = 20 calls, 11 failed. */
  for (int i = 0; i < 20; i++) {
    int fail = i % 2 || i > 17;
    assert_int_equal(tripped, 0);
    assert_int_equal(call(f, A, T0, fail ? BREAKER_FAILURE : BREAKER_SUCCESS,
                          fail ? 10000 : 10, "timeout after 10000 ms",
                          &tripped), STELLA_OK);
  }
  assert_int_equal(tripped, 1);
  assert_string_equal(status(f, A, T0).last_cause, "11 of 20 calls failed "
                      "(55%, threshold 50%); last: timeout after 10000 ms");
}

/* Five failures in a row open even at a 25 % rate; a success in between
 * restarts the count. */
static void test_consecutive_rule(void **state) {
  fixture *f = *state;
  int tripped = 0;
  for (int i = 0; i < 15; i++)
    call(f, A, T0, BREAKER_SUCCESS, 10, NULL, NULL);
  for (int i = 0; i < 4; i++)
    call(f, A, T0, BREAKER_FAILURE, 10, "connection refused", &tripped);
  call(f, A, T0, BREAKER_SUCCESS, 10, NULL, &tripped);
  assert_int_equal(status(f, A, T0).consecutive_failures, 0);
  for (int i = 0; i < 4; i++)
    call(f, A, T0, BREAKER_FAILURE, 10, "connection refused", &tripped);
  assert_int_equal(tripped, 0);
  assert_int_equal(status(f, A, T0).state, BREAKER_CLOSED);
  assert_int_equal(status(f, A, T0).consecutive_failures, 4);
  call(f, A, T0, BREAKER_FAILURE, 10, "HTTP 503\nbody", &tripped);
  assert_int_equal(tripped, 1);
  breaker_status st = status(f, A, T0);
  assert_int_equal(st.state, BREAKER_OPEN);
  assert_string_equal(st.last_cause, "5 consecutive failures; last: HTTP "
                      "503 body"); /* kept on one line */
  assert_string_equal(st.last_error, "HTTP 503 body");
  assert_true(st.last_error_at == T0);
}

/* Expected answers (404, 409) are not counted at all: not in the window,
 * and they do not break a run of failures. */
static void test_neutral_ignored(void **state) {
  fixture *f = *state;
  int tripped = 0;
  for (int i = 0; i < 30; i++)
    call(f, A, T0, BREAKER_NEUTRAL, 10, NULL, &tripped);
  assert_int_equal(status(f, A, T0).calls_in_window, 0);
  for (int i = 0; i < 15; i++)
    call(f, A, T0, BREAKER_SUCCESS, 10, NULL, NULL);
  for (int i = 0; i < 4; i++) {
    call(f, A, T0, BREAKER_FAILURE, 10, "timeout", &tripped);
    call(f, A, T0, BREAKER_NEUTRAL, 10, NULL, &tripped);
  }
  assert_int_equal(tripped, 0);
  assert_int_equal(status(f, A, T0).consecutive_failures, 4);
  assert_int_equal(status(f, A, T0).calls_in_window, 19);
  call(f, A, T0, BREAKER_FAILURE, 10, "timeout", &tripped);
  assert_int_equal(tripped, 1);
}

/* A success slower than slow_call_ms is a failure; exactly at it is not. */
static void test_slow_success_fails(void **state) {
  fixture *f = *state;
  int tripped = 0;
  call(f, A, T0, BREAKER_SUCCESS, 5000, NULL, &tripped);
  assert_int_equal(status(f, A, T0).failures_in_window, 0);
  call(f, A, T0 + 1, BREAKER_SUCCESS, 6000, NULL, &tripped);
  breaker_status st = status(f, A, T0 + 1);
  assert_int_equal(st.failures_in_window, 1);
  assert_int_equal(st.consecutive_failures, 1);
  assert_string_equal(st.last_error, "slow call: 6000 ms (limit 5000 ms)");
  assert_true(st.last_error_at == T0 + 1);
  for (int i = 0; i < 4; i++)
    call(f, A, T0 + 2, BREAKER_SUCCESS, 9000, NULL, &tripped);
  assert_int_equal(tripped, 1);
  assert_int_equal(status(f, A, T0 + 2).state, BREAKER_OPEN);
  /* A slow probe does not close it either. */
  tripped = 0;
  call(f, A, T0 + 32, BREAKER_SUCCESS, 7000, NULL, &tripped);
  assert_int_equal(tripped, 1);
  assert_int_equal(status(f, A, T0 + 32).state, BREAKER_OPEN);
  assert_string_equal(last_event(f, A).cause, "probe failed: slow call: "
                      "7000 ms (limit 5000 ms)");
}

/* OPEN refuses until the cool-down is over; the next admit turns it
 * HALF_OPEN and is the one probe; a second caller is refused. */
static void test_cooldown_then_half_open(void **state) {
  fixture *f = *state;
  breaker_ticket t, u;
  trip(f, T0);
  assert_int_equal(breaker_admit(f->st.s, A, &f->p, T0 + 29, &t),
                   STELLA_E_UNAVAILABLE);
  assert_int_equal(t.probe, 0);
  assert_int_equal(status(f, A, T0 + 31).state, BREAKER_OPEN); /* no write */
  assert_int_equal(breaker_admit(f->st.s, A, &f->p, T0 + 30, &t), STELLA_OK);
  assert_int_equal(t.probe, 1);
  assert_true(t.admitted_at == T0 + 30);
  breaker_event ev = last_event(f, A);
  assert_true(ev.from == BREAKER_OPEN && ev.to == BREAKER_HALF_OPEN);
  assert_string_equal(ev.cause, "cool-down of 30s over");
  assert_int_equal(breaker_admit(f->st.s, A, &f->p, T0 + 31, &u),
                   STELLA_E_UNAVAILABLE);
  assert_int_equal(status(f, A, T0 + 31).state, BREAKER_HALF_OPEN);
  /* Another backend is not affected. */
  assert_int_equal(breaker_admit(f->st.s, B, &f->p, T0 + 31, &u), STELLA_OK);
  assert_int_equal(u.probe, 0);
}

static void test_exactly_n_probes(void **state) {
  fixture *f = *state;
  breaker_ticket t[4];
  f->p.half_open_probes = 3;
  trip(f, T0);
  for (int i = 0; i < 3; i++) {
    assert_int_equal(breaker_admit(f->st.s, A, &f->p, T0 + 30, &t[i]), 0);
    assert_int_equal(t[i].probe, 1);
  }
  assert_int_equal(breaker_admit(f->st.s, A, &f->p, T0 + 30, &t[3]),
                   STELLA_E_UNAVAILABLE);
  /* A neutral probe frees its slot and decides nothing. */
  assert_int_equal(breaker_report(f->st.s, A, &f->p, &t[0], T0 + 31,
                                  BREAKER_NEUTRAL, 5, NULL, NULL), 0);
  assert_int_equal(status(f, A, T0 + 31).state, BREAKER_HALF_OPEN);
  assert_int_equal(breaker_admit(f->st.s, A, &f->p, T0 + 31, &t[3]), 0);
  assert_int_equal(breaker_admit(f->st.s, A, &f->p, T0 + 31, &t[0]),
                   STELLA_E_UNAVAILABLE);
}

/* A probe that succeeds closes with a clean window and no back-off left:
 * the next open has the first cool-down again. */
static void test_probe_success_closes(void **state) {
  fixture *f = *state;
  breaker_ticket t;
  trip(f, T0);
  assert_int_equal(breaker_admit(f->st.s, A, &f->p, T0 + 30, &t), 0);
  assert_int_equal(breaker_report(f->st.s, A, &f->p, &t, T0 + 31,
                                  BREAKER_FAILURE, 10, "timeout", NULL), 0);
  assert_true(status(f, A, T0 + 31).open_until == T0 + 31 + 60);
  assert_int_equal(breaker_admit(f->st.s, A, &f->p, T0 + 91, &t), 0);
  assert_int_equal(breaker_report(f->st.s, A, &f->p, &t, T0 + 92,
                                  BREAKER_SUCCESS, 120, NULL, NULL), 0);
  breaker_status st = status(f, A, T0 + 92);
  assert_int_equal(st.state, BREAKER_CLOSED);
  assert_true(st.since == T0 + 92);
  assert_true(st.calls_in_window == 0 && st.consecutive_failures == 0);
  assert_string_equal(st.last_cause, "probe succeeded in 120 ms");
  breaker_event ev = last_event(f, A);
  assert_true(ev.from == BREAKER_HALF_OPEN && ev.to == BREAKER_CLOSED);
  assert_int_equal(breaker_admit(f->st.s, A, &f->p, T0 + 93, &t), 0);
  assert_int_equal(t.probe, 0);
  breaker_report(f->st.s, A, &f->p, &t, T0 + 93, BREAKER_SUCCESS, 1, NULL, NULL);
  trip(f, T0 + 100);
  assert_true(status(f, A, T0 + 100).open_until == T0 + 130);
}

/* Each failed probe re-opens with twice the cool-down, up to the cap:
 * 30, 60, 120, 240, 480, 600, 600. */
static void test_probe_failure_backoff(void **state) {
  fixture *f = *state;
  const int64_t want[] = {30, 60, 120, 240, 480, 600, 600};
  int64_t now = T0;
  breaker_ticket t;
  int tripped = 0;
  trip(f, now);
  for (size_t i = 1; i < sizeof want / sizeof want[0]; i++) {
    assert_true(status(f, A, now).open_until == now + want[i - 1]);
    now += want[i - 1];
    assert_int_equal(breaker_admit(f->st.s, A, &f->p, now, &t), STELLA_OK);
    assert_int_equal(t.probe, 1);
    assert_int_equal(breaker_report(f->st.s, A, &f->p, &t, now, BREAKER_FAILURE,
                                    10, "HTTP 502", &tripped), STELLA_OK);
    assert_int_equal(tripped, 1);
    assert_int_equal(status(f, A, now).state, BREAKER_OPEN);
    assert_string_equal(last_event(f, A).cause, "probe failed: HTTP 502");
  }
  assert_true(status(f, A, now).open_until == now + 600);
}

/* A probe never reported: still HALF_OPEN within its 30 s, re-opened by
 * the first admit after; its late report changes nothing. */
static void test_hung_probe(void **state) {
  fixture *f = *state;
  breaker_ticket hung, t;
  trip(f, T0);
  assert_int_equal(breaker_admit(f->st.s, A, &f->p, T0 + 30, &hung), 0);
  assert_int_equal(breaker_admit(f->st.s, A, &f->p, T0 + 60, &t),
                   STELLA_E_UNAVAILABLE);
  assert_int_equal(status(f, A, T0 + 60).state, BREAKER_HALF_OPEN);
  assert_int_equal(breaker_admit(f->st.s, A, &f->p, T0 + 61, &t),
                   STELLA_E_UNAVAILABLE);
  breaker_status st = status(f, A, T0 + 61);
  assert_int_equal(st.state, BREAKER_OPEN);
  assert_string_equal(st.last_cause, "probe not reported within 30s");
  assert_true(st.open_until == T0 + 61 + 60); /* a re-open: doubled */
  breaker_event ev = last_event(f, A);
  assert_true(ev.from == BREAKER_HALF_OPEN && ev.to == BREAKER_OPEN);
  assert_int_equal(breaker_report(f->st.s, A, &f->p, &hung, T0 + 62,
                                  BREAKER_SUCCESS, 32000, NULL, NULL), 0);
  assert_int_equal(status(f, A, T0 + 62).state, BREAKER_OPEN);
  assert_int_equal(breaker_admit(f->st.s, A, &f->p, T0 + 121, &t), STELLA_OK);
  assert_int_equal(t.probe, 1);
}

/* An overdue probe reported before anyone admits also re-opens. */
static void test_late_probe_report(void **state) {
  fixture *f = *state;
  breaker_ticket t;
  int tripped = 0;
  trip(f, T0);
  assert_int_equal(breaker_admit(f->st.s, A, &f->p, T0 + 30, &t), 0);
  assert_int_equal(breaker_report(f->st.s, A, &f->p, &t, T0 + 61,
                                  BREAKER_SUCCESS, 31000, NULL, &tripped), 0);
  assert_int_equal(status(f, A, T0 + 61).state, BREAKER_OPEN);
  assert_string_equal(last_event(f, A).cause,
                      "probe not reported within 30s");
}

/* Two probes out; the first fails (re-open), the cool-down passes and a new
 * probe goes out in the same second; the second old probe's success is
 * stale and must neither close nor free the new probe's slot. */
static void test_stale_probe_report(void **state) {
  fixture *f = *state;
  breaker_ticket p1, p2, p3, p4;
  f->p.half_open_probes = 2;
  f->p.cooldown_s = 0;
  trip(f, T0);
  assert_int_equal(breaker_admit(f->st.s, A, &f->p, T0, &p1), 0);
  assert_int_equal(breaker_admit(f->st.s, A, &f->p, T0, &p2), 0);
  assert_int_equal(breaker_report(f->st.s, A, &f->p, &p1, T0, BREAKER_FAILURE,
                                  10, "timeout", NULL), 0);
  assert_int_equal(breaker_admit(f->st.s, A, &f->p, T0, &p3), 0);
  assert_int_equal(p3.probe, 1);
  assert_true(p3.epoch != p2.epoch);
  assert_int_equal(breaker_report(f->st.s, A, &f->p, &p2, T0, BREAKER_SUCCESS,
                                  10, NULL, NULL), 0);
  assert_int_equal(status(f, A, T0).state, BREAKER_HALF_OPEN);
  assert_int_equal(breaker_admit(f->st.s, A, &f->p, T0, &p4), 0);
  assert_int_equal(breaker_admit(f->st.s, A, &f->p, T0, &p1),
                   STELLA_E_UNAVAILABLE);
}

/* Reset closes and records who did it; calls in flight at the reset do
 * not count afterwards; an unknown backend is NOT_FOUND. */
static void test_reset(void **state) {
  fixture *f = *state;
  breaker_ticket inflight;
  size_t n = 9;
  int tripped = 0;
  call(f, B, T0, BREAKER_FAILURE, 10, "timeout", NULL);
  trip(f, T0);
  assert_int_equal(breaker_reset(f->st.s, A, "alice", T0 + 5, &n), STELLA_OK);
  assert_int_equal(n, 1);
  breaker_status st = status(f, A, T0 + 5);
  assert_int_equal(st.state, BREAKER_CLOSED);
  assert_true(st.since == T0 + 5 && st.calls_in_window == 0);
  assert_string_equal(st.last_cause, "reset by alice");
  breaker_event ev = last_event(f, A);
  assert_true(ev.from == BREAKER_OPEN && ev.to == BREAKER_CLOSED);
  assert_string_equal(ev.actor, "alice");
  assert_string_equal(ev.cause, "reset by alice");
  /* Closed already: cleared (B's window) but not counted. */
  assert_int_equal(breaker_reset(f->st.s, NULL, "bob", T0 + 6, &n), STELLA_OK);
  assert_int_equal(n, 0);
  assert_int_equal(status(f, B, T0 + 6).calls_in_window, 0);
  assert_int_equal(breaker_reset(f->st.s, "https://never", "bob", T0, &n),
                   STELLA_E_NOT_FOUND);
  assert_int_equal(breaker_admit(f->st.s, A, &f->p, T0 + 7, &inflight), 0);
  assert_int_equal(breaker_reset(f->st.s, A, "carol", T0 + 8, &n), STELLA_OK);
  assert_int_equal(breaker_report(f->st.s, A, &f->p, &inflight, T0 + 9,
                                  BREAKER_FAILURE, 10, "x", &tripped), 0);
  assert_int_equal(status(f, A, T0 + 9).calls_in_window, 0);
}

/* Opens in (now - 3600, now], per backend and overall. */
static void test_opens_last_hour(void **state) {
  fixture *f = *state;
  breaker_ticket t;
  int count = -1;
  trip(f, T0);
  breaker_admit(f->st.s, A, &f->p, T0 + 30, &t);
  breaker_report(f->st.s, A, &f->p, &t, T0 + 30, BREAKER_FAILURE, 1, "x", NULL);
  for (int i = 0; i < 5; i++)
    call(f, B, T0 + 100, BREAKER_FAILURE, 10, "x", NULL);
  assert_int_equal(status(f, A, T0 + 100).opens_last_hour, 2);
  assert_int_equal(status(f, B, T0 + 100).opens_last_hour, 1);
  assert_int_equal(breaker_opens_last_hour(f->st.s, T0 + 100, &count), 0);
  assert_int_equal(count, 3);
  assert_int_equal(breaker_opens_last_hour(f->st.s, T0 + 3599, &count), 0);
  assert_int_equal(count, 3);
  assert_int_equal(breaker_opens_last_hour(f->st.s, T0 + 3600, &count), 0);
  assert_int_equal(count, 2); /* the open at T0 left the hour */
  assert_int_equal(status(f, A, T0 + 3630).opens_last_hour, 0);
  assert_int_equal(breaker_opens_last_hour(f->st.s, T0 - 1, &count), 0);
  assert_int_equal(count, 0);
}

/* Two handles on one file (two processes): one trips, the other sees it
 * and is refused; events list both backends newest first. */
static void test_two_handles(void **state) {
  fixture *f = *state;
  store *other = NULL;
  breaker_ticket t;
  breaker_event ev[4];
  size_t n = 0;
  assert_int_equal(store_open(f->st.path, &other, NULL, 0), STELLA_OK);
  trip(f, T0);
  assert_int_equal(breaker_admit(other, A, &f->p, T0 + 1, &t),
                   STELLA_E_UNAVAILABLE);
  breaker_status st;
  assert_int_equal(breaker_get_status(other, A, T0 + 1, &st), STELLA_OK);
  assert_int_equal(st.state, BREAKER_OPEN);
  assert_int_equal(breaker_admit(other, A, &f->p, T0 + 30, &t), STELLA_OK);
  assert_int_equal(breaker_admit(f->st.s, A, &f->p, T0 + 30, &t),
                   STELLA_E_UNAVAILABLE);
  for (int i = 0; i < 5; i++)
    call(f, B, T0 + 40, BREAKER_FAILURE, 10, "x", NULL);
  assert_int_equal(breaker_events(other, NULL, ev, 4, &n), STELLA_OK);
  assert_int_equal(n, 3);
  assert_string_equal(ev[0].backend, B);
  assert_true(ev[1].to == BREAKER_HALF_OPEN && ev[2].to == BREAKER_OPEN);
  store_close(other);
}

/* Three processes hammer admit/report on one breaker that a zero
 * cool-down keeps cycling OPEN -> HALF_OPEN -> (probe fails) -> OPEN.
 * Shared memory counts the probes out at once per half-open period (the
 * ticket's epoch): never more than allowed. With one probe, every probe
 * admitted must also show up as exactly one re-open. */
#define HAMMER_KIDS 3
#define HAMMER_ROUNDS 1000
#define HAMMER_EPOCHS 1024

typedef struct hammer_shared {
  int out[HAMMER_EPOCHS]; /* probes out, by epoch (mod HAMMER_EPOCHS) */
  int max_out;
  int probes;             /* probes admitted in total */
  int errors;
} hammer_shared;

static void hammer_max(int *max, int v) {
  int seen = __atomic_load_n(max, __ATOMIC_SEQ_CST);
  while (v > seen && !__atomic_compare_exchange_n(max, &seen, v, 0,
                                                  __ATOMIC_SEQ_CST,
                                                  __ATOMIC_SEQ_CST))
    ;
}

static void hammer_child(const char *path, const breaker_policy *p,
                         hammer_shared *sh) {
  store *s = NULL;
  if (store_open(path, &s, NULL, 0) != STELLA_OK)
    _exit(2);
  for (int i = 0; i < HAMMER_ROUNDS; i++) {
    breaker_ticket t;
    stella_err e = breaker_admit(s, A, p, T0, &t);
    if (e == STELLA_E_UNAVAILABLE)
      continue;
    if (e || !t.probe) {
      __atomic_add_fetch(&sh->errors, 1, __ATOMIC_SEQ_CST);
      continue;
    }
    int *out = &sh->out[t.epoch % HAMMER_EPOCHS];
    hammer_max(&sh->max_out, __atomic_add_fetch(out, 1, __ATOMIC_SEQ_CST));
    __atomic_add_fetch(&sh->probes, 1, __ATOMIC_SEQ_CST);
    usleep(100); /* let the others try while this probe is out */
    __atomic_sub_fetch(out, 1, __ATOMIC_SEQ_CST);
    if (breaker_report(s, A, p, &t, T0, BREAKER_FAILURE, 1, "x", NULL))
      __atomic_add_fetch(&sh->errors, 1, __ATOMIC_SEQ_CST);
  }
  store_close(s);
  _exit(0);
}

static void hammer(fixture *f, int probes) {
  hammer_shared *sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE,
                           MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  pid_t kids[HAMMER_KIDS];
  int opens0 = 0, opens1 = 0;
  assert_true(sh != MAP_FAILED);
  memset(sh, 0, sizeof *sh);
  f->p.cooldown_s = 0;
  f->p.cooldown_max_s = 0;
  f->p.half_open_probes = probes;
  trip(f, T0);
  assert_int_equal(breaker_opens_last_hour(f->st.s, T0, &opens0), 0);
  for (int i = 0; i < HAMMER_KIDS; i++) {
    kids[i] = fork();
    assert_true(kids[i] >= 0);
    if (kids[i] == 0)
      hammer_child(f->st.path, &f->p, sh);
  }
  for (int i = 0; i < HAMMER_KIDS; i++) {
    int status = -1;
    assert_int_equal(waitpid(kids[i], &status, 0), kids[i]);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  assert_int_equal(breaker_opens_last_hour(f->st.s, T0, &opens1), 0);
  assert_int_equal(sh->errors, 0);
  assert_true(sh->max_out >= 1 && sh->max_out <= probes);
  assert_true(sh->probes >= HAMMER_ROUNDS / 4);
  /* With two probes out, the second failure of a period is stale: it
   * re-opens nothing, so there are at most as many opens as probes. */
  if (probes == 1)
    assert_int_equal(opens1 - opens0, sh->probes);
  else
    assert_true(opens1 > opens0 && opens1 - opens0 <= sh->probes);
  munmap(sh, sizeof *sh);
}

static void test_concurrent_one_probe(void **state) { hammer(*state, 1); }
static void test_concurrent_two_probes(void **state) { hammer(*state, 2); }

int main(void) {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
  const struct CMUnitTest tests[] = {
    T(test_defaults_and_names), T(test_invalid_args),
    T(test_rate_rule_min_calls), T(test_rate_rule_full_window),
    T(test_consecutive_rule), T(test_neutral_ignored),
    T(test_slow_success_fails), T(test_cooldown_then_half_open),
    T(test_exactly_n_probes), T(test_probe_success_closes),
    T(test_probe_failure_backoff), T(test_hung_probe),
    T(test_late_probe_report), T(test_stale_probe_report), T(test_reset),
    T(test_opens_last_hour), T(test_two_handles),
    T(test_concurrent_one_probe), T(test_concurrent_two_probes),
  };
#undef T
  return cmocka_run_group_tests(tests, NULL, NULL);
}
