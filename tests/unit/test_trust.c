/* test_trust.c - the public trust API on the real Sigstore snapshot, laid
 * out by devops/scripts/layout-sigstore-demo.sh and read over file:// (no
 * server): init, sync at a fixed clock (fresh, expired, --allow-stale),
 * status, the background sync job, home resolution, ages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sigstore_layout.h"
#include "stella/stella.h"

typedef struct fixture {
  sigstore_layout sig; /* temp folder, file:// URL, trust anchor */
  char home[128];
} fixture;

static int64_t fixed_now(void *ctx) { return *(const int64_t *)ctx; }

static int64_t at(const char *rfc3339) {
  int64_t t = 0;
  assert_int_equal(stella_time_parse(rfc3339, &t), STELLA_OK);
  return t;
}

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  if (!f || sigstore_layout_make("trust", &f->sig))
    return -1;
  snprintf(f->home, sizeof f->home, "%s/home", f->sig.dir);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->sig.dir);
  int rc = system(cmd);
  free(f);
  return rc == 0 ? 0 : -1;
}

static stella_trust *open_at(const fixture *f, const stella_clock *clock) {
  stella_err e = STELLA_E_IO;
  stella_trust *t = stella_trust_open(f->home, clock, &e);
  assert_int_equal(e, STELLA_OK);
  assert_non_null(t);
  return t;
}

static void count_note(void *ctx, const char *line) {
  assert_non_null(strstr(line, "WARNING"));
  (*(int *)ctx)++;
}

static void test_init_sync_status(void **state) {
  fixture *f = *state;
  int64_t now = at("2026-08-22T00:00:00Z");
  stella_clock clock = {fixed_now, &now};
  stella_trust *t = open_at(f, &clock);
  stella_status *s = NULL;
  assert_int_equal(stella_trust_status(t, &s), STELLA_E_NOT_INITIALIZED);
  assert_null(s);
  assert_int_equal(stella_trust_init(t, "ftp://x", f->sig.root1, 0),
                   STELLA_E_INVALID_ARG);
  assert_int_equal(stella_trust_init(t, f->sig.url, "/nonexistent", 0),
                   STELLA_E_NOT_FOUND);
  assert_int_equal(stella_trust_init(t, f->sig.url, f->sig.root1, 0), STELLA_OK);
  assert_int_equal(stella_trust_init(t, f->sig.url, f->sig.root1, 0),
                   STELLA_E_EXISTS);
  assert_non_null(strstr(stella_trust_errmsg(t), "--force"));
  assert_int_equal(stella_trust_sync(t, NULL), STELLA_OK);
  assert_string_equal(stella_trust_sync_summary(t),
                      "synced: root v15, timestamp v762, snapshot v165, "
                      "targets v14; service map: trusted_root.json, "
                      "signing_config.v0.2.json");
  assert_int_equal(stella_trust_status(t, &s), STELLA_OK);
  assert_int_equal(s->roles[0].version, 15);
  assert_int_equal(s->roles[1].version, 762);
  for (int i = 0; i < 4; i++)
    assert_int_equal(s->roles[i].state, STELLA_ROLE_OK);
  assert_true(s->last_sync == now);
  assert_int_equal(s->alert, STELLA_ALERT_OK);
  assert_null(s->service_map_error);
  assert_int_equal(s->n_keys, 4);
  assert_int_equal(s->n_endpoints, 4);
  assert_string_equal(s->keys[0].base_url, "https://rekor.sigstore.dev");
  stella_status_free(s);
  /* 13 hours later the metadata age is a warning, 25 a critical alert. */
  now += 13 * 3600;
  assert_int_equal(stella_trust_status(t, &s), STELLA_OK);
  assert_int_equal(s->alert, STELLA_ALERT_WARNING);
  stella_status_free(s);
  stella_trust_free(t);
}

static void test_expired_and_allow_stale(void **state) {
  fixture *f = *state;
  int64_t now = at("2026-12-03T00:00:00Z");
  stella_clock clock = {fixed_now, &now};
  stella_trust *t = open_at(f, &clock);
  stella_status *s = NULL;
  int notes = 0;
  stella_sync_opts opts = {.allow_stale = 1, .max_stale_age = 120 * 86400,
                           .note = count_note, .note_ctx = &notes};
  assert_int_equal(stella_trust_init(t, f->sig.url, f->sig.root1, 0), STELLA_OK);
  assert_int_equal(stella_trust_sync(t, NULL), STELLA_E_EXPIRED);
  assert_non_null(strstr(stella_trust_errmsg(t), "root"));
  assert_int_equal(stella_trust_status(t, &s), STELLA_OK);
  assert_int_equal(s->roles[0].state, STELLA_ROLE_EXPIRED);
  assert_true(s->last_sync == 0);
  assert_int_equal(s->alert, STELLA_ALERT_CRITICAL);
  assert_non_null(s->service_map_error);
  stella_status_free(s);
  /* 30 days is not enough for the timestamp that expired 96 days ago. */
  opts.max_stale_age = 30 * 86400;
  assert_int_equal(stella_trust_sync(t, &opts), STELLA_E_EXPIRED);
  opts.max_stale_age = 120 * 86400;
  notes = 0;
  assert_int_equal(stella_trust_sync(t, &opts), STELLA_OK);
  assert_int_equal(notes, 2); /* root and timestamp */
  assert_int_equal(stella_trust_status(t, &s), STELLA_OK);
  assert_int_equal(s->roles[0].state, STELLA_ROLE_STALE);
  assert_int_equal(s->roles[1].state, STELLA_ROLE_STALE);
  assert_int_equal(s->roles[2].state, STELLA_ROLE_OK);
  stella_status_free(s);
  /* A zero --max-age is refused rather than tolerating nothing silently. */
  opts.max_stale_age = 0;
  assert_int_equal(stella_trust_sync(t, &opts), STELLA_E_INVALID_ARG);
  stella_trust_free(t);
}

static void test_sync_job(void **state) {
  fixture *f = *state;
  int64_t now = at("2026-08-22T00:00:00Z");
  stella_clock clock = {fixed_now, &now};
  stella_trust *t = open_at(f, &clock);
  stella_err e = STELLA_E_IO, result = STELLA_E_IO;
  const char *msg = NULL;
  assert_int_equal(stella_trust_init(t, f->sig.url, f->sig.root1, 0), STELLA_OK);
  stella_sync_job *job = stella_sync_job_start(t, NULL, &e);
  assert_int_equal(e, STELLA_OK);
  assert_non_null(job);
  struct pollfd pfd = {stella_sync_job_fd(job), POLLIN, 0};
  assert_int_equal(poll(&pfd, 1, 60000), 1);
  assert_int_equal(stella_sync_job_done(job, &result, &msg), 1);
  assert_int_equal(result, STELLA_OK);
  assert_non_null(strstr(msg, "synced: root v15"));
  stella_sync_job_free(job);
  stella_sync_job_free(NULL);
  stella_trust_free(t);
}

static void test_home_resolution(void **state) {
  fixture *f = *state;
  char want[256];
  stella_err e;
  setenv("STELLA_HOME", f->home, 1);
  stella_trust *t = stella_trust_open(NULL, NULL, &e);
  assert_non_null(t);
  assert_string_equal(stella_trust_home(t), f->home);
  stella_trust_free(t);
  unsetenv("STELLA_HOME");
  setenv("XDG_DATA_HOME", f->sig.dir, 1);
  snprintf(want, sizeof want, "%s/stella", f->sig.dir);
  t = stella_trust_open(NULL, NULL, &e);
  assert_non_null(t);
  assert_string_equal(stella_trust_home(t), want);
  stella_trust_free(t);
  unsetenv("XDG_DATA_HOME");
  stella_trust_free(NULL);
}


/* Readers open with STELLA_OPEN_EXISTING and create nothing; init and
 * import with STELLA_OPEN_ON_WRITE create the folder only once they store
 * trust. */
static void test_open_modes(void **state) {
  fixture *f = *state;
  char deep[256], empty[256], why[1024];
  stella_err e = STELLA_OK;
  stella_status *s = NULL;
  snprintf(deep, sizeof deep, "%s/nonexistent/x", f->sig.dir);
  snprintf(empty, sizeof empty, "%s/empty", f->sig.dir);
  assert_int_equal(mkdir(empty, 0700), 0);
  assert_null(stella_trust_open_mode(deep, NULL, STELLA_OPEN_EXISTING, &e));
  assert_int_equal(e, STELLA_E_NOT_INITIALIZED);
  assert_int_equal(access(deep, F_OK), -1);
  stella_trust_open_errmsg(deep, e, why, sizeof why);
  assert_non_null(strstr(why, "no trust is set up in"));
  assert_non_null(strstr(why, "stella trust init"));
  assert_null(stella_trust_open_mode(empty, NULL, STELLA_OPEN_EXISTING, &e));
  assert_int_equal(layout_count_entries(empty), 0);
  /* On write: a handle, but status, sync, export and a bad init leave no
   * trace. */
  stella_trust *t = stella_trust_open_mode(deep, NULL, STELLA_OPEN_ON_WRITE,
                                           &e);
  assert_non_null(t);
  assert_int_equal(stella_trust_status(t, &s), STELLA_E_NOT_INITIALIZED);
  assert_non_null(strstr(stella_trust_errmsg(t), "no trust is set up in"));
  assert_int_equal(stella_trust_sync(t, NULL), STELLA_E_NOT_INITIALIZED);
  assert_int_equal(stella_trust_snapshot_export(t, empty, 0, NULL),
                   STELLA_E_NOT_INITIALIZED); /* before looking at --out */
  assert_int_equal(stella_trust_init(t, "ftp://x", f->sig.root1, 0),
                   STELLA_E_INVALID_ARG);
  assert_int_equal(stella_trust_init(t, f->sig.url, "/nonexistent", 0),
                   STELLA_E_NOT_FOUND);
  assert_int_equal(access(deep, F_OK), -1);
  assert_int_equal(stella_trust_init(t, f->sig.url, f->sig.root1, 0),
                   STELLA_OK);
  assert_int_equal(stella_trust_status(t, &s), STELLA_OK);
  stella_status_free(s);
  stella_trust_free(t);
  /* Now a reader opens it, and a handle opened before the folder existed
   * sees it too. */
  t = stella_trust_open_mode(deep, NULL, STELLA_OPEN_EXISTING, &e);
  assert_non_null(t);
  stella_trust *early = stella_trust_open_mode(empty, NULL,
                                               STELLA_OPEN_ON_WRITE, &e);
  assert_non_null(early);
  stella_trust *writer = stella_trust_open(empty, NULL, &e);
  assert_int_equal(stella_trust_init(writer, f->sig.url, f->sig.root1, 0),
                   STELLA_OK);
  assert_int_equal(stella_trust_status(early, &s), STELLA_OK);
  stella_status_free(s);
  stella_trust_free(writer);
  stella_trust_free(early);
  stella_trust_free(t);
}

static void test_age_format(void **state) {
  (void)state;
  static const struct { int64_t secs; const char *text; } cases[] = {
    {-5, "0s"}, {42, "42s"}, {300, "5m"}, {3 * 3600, "3h"},
    {3 * 3600 + 1200, "3h 20m"}, {96 * 86400 + 4 * 3600, "96d 4h"},
    {120 * 86400, "120d"},
  };
  char buf[32];
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    stella_age_format(cases[i].secs, buf, sizeof buf);
    assert_string_equal(buf, cases[i].text);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_init_sync_status, setup, teardown),
    cmocka_unit_test_setup_teardown(test_expired_and_allow_stale, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_sync_job, setup, teardown),
    cmocka_unit_test_setup_teardown(test_home_resolution, setup, teardown),
    cmocka_unit_test_setup_teardown(test_open_modes, setup, teardown),
    cmocka_unit_test(test_age_format),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
