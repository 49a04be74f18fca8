/* bench_breaker.c - what a circuit breaker costs a call: breaker_admit +
 * breaker_report on a CLOSED breaker in a store file, each one BEGIN
 * IMMEDIATE transaction. Two cases: a healthy backend (every call a fast
 * success: the row does not change, nothing is written) and a flaky one
 * (one failure in four: the window changes and the row is written on
 * every report, but it never trips). Prints microseconds per call.
 *   bench_breaker [DIR]   the store goes in DIR (default $STELLA_BENCH_DIR,
 *                         else /tmp) */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "breaker.h"
#include "fsutil.h"
#include "statedir.h"
#include "store.h"

#define CALLS 20000
#define BACKEND "https://rekor.example"

static double now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* Microseconds per admit+report; fail_every 0: never fails. */
static double bench_calls(store *s, const breaker_policy *p, int fail_every) {
  int64_t now = 1700000000;
  double t0 = now_us();
  for (int i = 0; i < CALLS; i++) {
    breaker_ticket t;
    int fail = fail_every && i % fail_every == 0;
    if (breaker_admit(s, BACKEND, p, now, &t) ||
        breaker_report(s, BACKEND, p, &t, now, fail ? BREAKER_FAILURE
                                                    : BREAKER_SUCCESS,
                       12, fail ? "HTTP 503" : NULL, NULL)) {
      fprintf(stderr, "bench_breaker: call %d failed: %s\n", i,
              store_errmsg(s));
      return -1;
    }
    now += i % 10 == 0;
  }
  return (now_us() - t0) / CALLS;
}

int main(int argc, char **argv) {
  const char *base = argc > 1 ? argv[1] : getenv("STELLA_BENCH_DIR");
  char dir[512], why[512] = "";
  store *s = NULL;
  breaker_policy p;
  breaker_policy_default(&p);
  snprintf(dir, sizeof dir, "%s/stella-bench-breaker-XXXXXX",
           base ? base : "/tmp");
  if (!mkdtemp(dir)) {
    fprintf(stderr, "bench_breaker: cannot make %s\n", dir);
    return 1;
  }
  char *path = fs_join(dir, "stella.db");
  int rc = 1;
  if (store_open(path, &s, why, sizeof why)) {
    fprintf(stderr, "bench_breaker: %s\n", why);
  } else {
    double healthy = bench_calls(s, &p, 0);
    double flaky = healthy < 0 ? -1 : bench_calls(s, &p, 4);
    rc = flaky < 0;
    if (!rc)
      printf("bench_breaker: %s, %d calls per case, admit+report:\n"
             "  closed, healthy (no write)      %7.1f us per call\n"
             "  closed, 1 in 4 fails (writes)   %7.1f us per call\n",
             path, CALLS, healthy, flaky);
  }
  store_close(s);
  statedir_rm_tree(dir);
  free(path);
  return rc;
}
