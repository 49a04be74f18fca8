/* bench_ledger.c - forensics queries on a big ledger: fills a fresh store
 * with 1 000 000 entries (four log IDs, integrated times spread at random
 * over a year, put_many batches of 10 000) and times ledger_query for
 * windows holding about 0, 100 and 10 000 entries, over every log and for
 * one log ID (a window four times wider, as each log holds a quarter).
 * Prints the fill rate, then per case the median and slowest of RUNS
 * queries at random positions and the median row count.
 *   bench_ledger [DIR]   the store goes in DIR (default $STELLA_BENCH_DIR,
 *                        else /tmp); STELLA_BENCH_ROWS overrides the count */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "fsutil.h"
#include "ledger.h"
#include "statedir.h"
#include "store.h"

#define BATCH 10000
#define RUNS 31
#define LOGS 4
#define START 1704067200 /* 2024-01-01 */
#define YEAR (365 * 86400)

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* xorshift64: the same ledger on every run. */
static uint64_t rnd(uint64_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 7;
  *s ^= *s << 17;
  return *s;
}

static void log_id(int i, char out[65]) {
  for (int k = 0; k < 64; k++)
    out[k] = "0123456789abcdef"[(i * 7 + k * 5 + 3) % 16];
  out[64] = '\0';
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

/* Like a real log, each log's index grows with integrated time (with gaps:
 * the ledger holds only this site's entries); the entries are put in a
 * random order (remote scans, old bundles), the worst case for locality. */
static int fill(store *s, long rows) {
  static ledger_entry batch[BATCH];
  const char *sources[] = {"verified", "remote", "submitted"};
  int64_t *times = malloc((size_t)rows * sizeof *times);
  int64_t *index = malloc((size_t)rows * sizeof *index);
  long *order = malloc((size_t)rows * sizeof *order);
  int64_t next_index[LOGS] = {0};
  uint64_t seed = 0x9e3779b97f4a7c15u;
  int rc = times && index && order ? 0 : -1;
  for (long i = 0; !rc && i < rows; i++)
    times[i] = START + (int64_t)(rnd(&seed) % YEAR);
  if (!rc)
    qsort(times, (size_t)rows, sizeof *times, cmp_i64);
  for (long i = 0; !rc && i < rows; i++) {
    next_index[i % LOGS] += 1 + (int64_t)(rnd(&seed) % 50);
    index[i] = next_index[i % LOGS];
    order[i] = i;
  }
  for (long i = rows - 1; !rc && i > 0; i--) {
    long j = (long)(rnd(&seed) % (uint64_t)(i + 1)), t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  for (long done = 0; !rc && done < rows;) {
    size_t n = rows - done < BATCH ? (size_t)(rows - done) : BATCH;
    for (size_t k = 0; k < n; k++) {
      ledger_entry *e = &batch[k];
      long i = order[done + (long)k];
      memset(e, 0, sizeof *e);
      log_id((int)(i % LOGS), e->log_id);
      e->log_index = index[i];
      snprintf(e->uuid, sizeof e->uuid, "%016llx%048d",
               (unsigned long long)index[i], (int)(i % LOGS));
      e->integrated_time = times[i];
      snprintf(e->kind, sizeof e->kind, "hashedrekord");
      snprintf(e->backend, sizeof e->backend, "https://rekor.example/%d",
               (int)(i % LOGS));
      snprintf(e->source, sizeof e->source, "%s", sources[i % 3]);
      e->recorded_at = e->integrated_time + 5;
    }
    if (ledger_put_many(s, batch, n) != STELLA_OK) {
      fprintf(stderr, "bench_ledger: fill failed: %s\n", store_errmsg(s));
      rc = -1;
    }
    done += (long)n;
  }
  free(times);
  free(index);
  free(order);
  return rc;
}

static int count_row(void *ctx, const ledger_entry *e) {
  (void)e;
  (*(long *)ctx)++;
  return 0;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static int cmp_long(const void *a, const void *b) {
  long x = *(const long *)a, y = *(const long *)b;
  return x < y ? -1 : x > y;
}

/* RUNS queries of a window of width_s at random places in the year. */
static int bench_case(store *s, const char *name, int64_t width_s,
                      const char *log) {
  double ms[RUNS];
  long got[RUNS];
  uint64_t seed = 12345 + (uint64_t)width_s;
  for (int i = 0; i < RUNS; i++) {
    int64_t span = YEAR - width_s; /* > 0 unless rows is tiny */
    int64_t after = START + (span > 0 ? (int64_t)(rnd(&seed) % span) : 0);
    got[i] = 0;
    double t0 = now_ms();
    if (ledger_query(s, after, after + width_s, log, count_row, &got[i])) {
      fprintf(stderr, "bench_ledger: query failed: %s\n", store_errmsg(s));
      return -1;
    }
    ms[i] = now_ms() - t0;
  }
  qsort(ms, RUNS, sizeof ms[0], cmp_double);
  qsort(got, RUNS, sizeof got[0], cmp_long);
  printf("  %-28s window %8llds  rows ~%-6ld median %8.3f ms  max %8.3f ms\n",
         name, (long long)width_s, got[RUNS / 2], ms[RUNS / 2], ms[RUNS - 1]);
  return 0;
}

int main(int argc, char **argv) {
  const char *base = argc > 1 ? argv[1] : getenv("STELLA_BENCH_DIR");
  const char *env_rows = getenv("STELLA_BENCH_ROWS");
  long rows = env_rows ? atol(env_rows) : 1000000;
  char dir[512], id[65];
  store *s = NULL;
  char why[512] = "";
  snprintf(dir, sizeof dir, "%s/stella-bench-ledger-XXXXXX",
           base ? base : "/tmp");
  if (rows < 1 || !mkdtemp(dir)) {
    fprintf(stderr, "bench_ledger: cannot make %s\n", dir);
    return 1;
  }
  char *path = fs_join(dir, "stella.db");
  if (store_open(path, &s, why, sizeof why)) {
    fprintf(stderr, "bench_ledger: %s\n", why);
    return 1;
  }
  /* Filling is set-up, not measured: a big page cache and no syncs for
   * it; the queries run on a fresh handle with the store's own settings. */
  sqlite3_exec(store_db(s), "PRAGMA cache_size = -262144; "
               "PRAGMA synchronous = OFF", NULL, NULL, NULL);
  double t0 = now_ms();
  int rc = fill(s, rows);
  double fill_ms = now_ms() - t0;
  store_close(s);
  if (!rc && store_open(path, &s, why, sizeof why)) {
    fprintf(stderr, "bench_ledger: %s\n", why);
    rc = -1;
  }
  /* width for ~N rows over all logs: N * YEAR / rows; one log: x LOGS */
  int64_t per100 = (int64_t)(100.0 * YEAR / (double)rows);
  log_id(1, id);
  if (!rc) {
    printf("bench_ledger: %ld entries in %s, filled in %.1f s (%.0f/s)\n",
           rows, path, fill_ms / 1e3, rows / (fill_ms / 1e3));
    rc = bench_case(s, "~0 rows, every log", 1, NULL) ||
         bench_case(s, "~100 rows, every log", per100, NULL) ||
         bench_case(s, "~10000 rows, every log", per100 * 100, NULL) ||
         bench_case(s, "~0 rows, one log ID", LOGS, id) ||
         bench_case(s, "~100 rows, one log ID", per100 * LOGS, id) ||
         bench_case(s, "~10000 rows, one log ID", per100 * 100 * LOGS, id);
  }
  store_close(s);
  statedir_rm_tree(dir);
  free(path);
  return rc ? 1 : 0;
}
