/* test_rekor_client.c - the Rekor client (include/stella/rekor.h) over
 * mem_fetcher and fake logs signed with generated ECDSA P-256 keys, at a
 * fixed clock with an injected duration source: backends and config,
 * failover and the breakers (open after the configured failures, skipped
 * without a request, half-open probe closing or re-opening, neutral 404),
 * loginfo (baseline, consistency proofs, lagging view, split views and
 * rollbacks as breaker failures), submit (local check, POST body, failover,
 * foreign reply, 409, an entry of another log, a fresh entry outside its
 * key's window, an unproven consistency that ends the route, a 409 whose
 * entry fails), verify (uuid, index, tampered SET, each entry's checkpoint
 * against the stored one: split views, proofs from whom, unproven; served
 * by one backend and logged in another log; real bundles, checkpoints and
 * an API entry offline), query (--key-id forms, validity flags, --remote,
 * a forked log) and metrics. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "crypto.h"
#include "crypto_sign.h"
#include "fsutil.h"
#include "ledger.h"
#include "mem_fetcher.h"
#include "rekor_client.h"
#include "rekor_fake.h"
#include "stella/rekor.h"
#include "store.h"
#include "trust_internal.h"

#define PRIMARY "http://primary.test"
#define MIRROR "http://mirror.test"
#define LOCAL "http://local.test"

typedef struct fx {
  char dir[64], home[128];
  int64_t now;
  stella_clock clock;
  int64_t ms, ms_step;      /* the injected duration source */
  stella_trust *t;
  stella_rekor *r;
  stella_fetcher *f;
  fake_log a, b;            /* log A at primary.test, log B at other.test */
} fx;

static int64_t fixed_now(void *ctx) { return ((fx *)ctx)->now; }

static int64_t fake_ms(void *ctx) {
  fx *x = ctx;
  x->ms += x->ms_step;
  return x->ms;
}

static int64_t at(const char *rfc3339) {
  int64_t t = 0;
  assert_int_equal(stella_time_parse(rfc3339, &t), STELLA_OK);
  return t;
}

static void write_file(const char *dir, const char *name, const char *text) {
  char *path = fs_join(dir, name);
  assert_int_equal(fs_write_atomic(path, text, strlen(text), 0644), STELLA_OK);
  free(path);
}

static json_t *tlog(const fake_log *fl, const char *url, const char *until) {
  json_t *vf = json_pack("{s:s}", "start", "2026-01-01T00:00:00Z");
  if (until)
    json_object_set_new(vf, "end", json_string(until));
  return json_pack("{s:s, s:s, s:{s:s, s:s, s:o}, s:{s:s}}", "baseUrl", url,
                   "hashAlgorithm", "SHA2_256", "publicKey", "rawBytes",
                   fl->der_b64, "keyDetails", "PKIX_ECDSA_P256_SHA_256",
                   "validFor", vf, "logId", "keyId", fl->log_id_b64);
}

static void write_json(const char *dir, const char *name, json_t *o) {
  char *s = json_dumps(o, JSON_INDENT(1));
  write_file(dir, name, s);
  free(s);
  json_decref(o);
}

static json_t *rekor_url(const char *url, int api, const char *start) {
  return json_pack("{s:s, s:i, s:{s:s}}", "url", url, "majorApiVersion", api,
                   "validFor", "start", start);
}

/* The verified service map of the home: two logs (A named rekor-key-a,
 * B named rekor-key-b, valid until June), Rekor URLs: primary, mirror,
 * one not valid yet, one Rekor v2. */
static void write_service_map(fx *x) {
  char targets[256];
  snprintf(targets, sizeof targets, "%s/tuf/targets", x->home);
  write_json(targets, "trusted_root.json", json_pack(
      "{s:s, s:[o, o], s:[], s:[], s:[]}", "mediaType",
      "application/vnd.dev.sigstore.trustedroot+json;version=0.1", "tlogs",
      tlog(&x->a, PRIMARY, NULL),
      tlog(&x->b, "http://other.test", "2026-06-01T00:00:00Z"),
      "certificateAuthorities", "ctlogs", "timestampAuthorities"));
  write_json(targets, "signing_config.v0.2.json", json_pack(
      "{s:s, s:[o, o, o, o]}", "mediaType",
      "application/vnd.dev.sigstore.signingconfig.v0.2+json", "rekorTlogUrls",
      rekor_url(PRIMARY, 1, "2026-01-01T00:00:00Z"),
      rekor_url(MIRROR "/", 1, "2026-01-01T00:00:00Z"),
      rekor_url("http://future.test", 1, "2030-01-01T00:00:00Z"),
      rekor_url("http://v2.test", 2, "2026-01-01T00:00:00Z")));
  write_json(targets, "signing_keys.json", json_pack(
      "{s:s, s:[], s:[{s:{s:s}, s:s}, {s:{s:s}, s:s}]}", "mediaType",
      "application/vnd.stella.signingkeys.v1+json", "signingKeys",
      "logKeyNames", "logId", "keyId", x->a.log_id_b64, "name", "rekor-key-a",
      "logId", "keyId", x->b.log_id_b64, "name", "rekor-key-b"));
}

static const char *policy =
    "{\"rekor\": {\"mirrors\": [\"" LOCAL "/\"], \"timeout_ms\": 5000,"
    " \"breaker\": {\"window_calls\": 10, \"min_calls\": 5,"
    " \"failure_rate_pct\": 50, \"consecutive_failures\": 3,"
    " \"cooldown_s\": 60, \"cooldown_max_s\": 600, \"half_open_probes\": 1,"
    " \"probe_timeout_s\": 30, \"slow_call_ms\": 2000}}}";

static stella_rekor *open_client(fx *x, const stella_rekor_opts *o) {
  stella_err e = STELLA_E_IO;
  stella_rekor *r = stella_rekor_open(x->t, o, &e);
  assert_int_equal(e, STELLA_OK);
  assert_non_null(r);
  rekor_set_fetcher(r, x->f);
  rekor_set_duration_source(r, fake_ms, x);
  return r;
}

static int setup(void **state) {
  fx *x = calloc(1, sizeof *x);
  const char *data = getenv("STELLA_TEST_DATA");
  char root[1024];
  stella_err e;
  if (!x || !data)
    return -1;
  snprintf(x->dir, sizeof x->dir, "/tmp/stella-test-rekor-XXXXXX");
  if (!mkdtemp(x->dir))
    return -1;
  snprintf(x->home, sizeof x->home, "%s/home", x->dir);
  x->now = at("2026-03-01T00:00:00Z");
  x->clock = (stella_clock){fixed_now, x};
  x->ms_step = 1;
  if (!(x->t = stella_trust_open(x->home, &x->clock, &e)))
    return -1;
  snprintf(root, sizeof root, "%s/tuf-sigstore-public-good/metadata/"
           "root_history/1.root.json", data);
  if (stella_trust_init(x->t, "http://tuf.test", root, 0))
    return -1;
  fake_log_init(&x->a, "primary.test", "1234");
  fake_log_init(&x->b, "other.test", "5678");
  write_service_map(x);
  write_file(x->home, "config.json", policy);
  x->f = mem_fetcher_new();
  x->r = open_client(x, NULL);
  *state = x;
  return 0;
}

static int teardown(void **state) {
  fx *x = *state;
  char cmd[128];
  stella_rekor_free(x->r);
  fetch_free(x->f);
  stella_trust_free(x->t);
  fake_log_free(&x->a);
  fake_log_free(&x->b);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", x->dir);
  int rc = system(cmd);
  free(x);
  return rc == 0 ? 0 : -1;
}

/* Logged requests whose URL starts with prefix. */
static size_t requests_to(const stella_fetcher *f, const char *prefix) {
  size_t n = 0;
  for (size_t i = 0; i < mem_fetcher_count(f); i++)
    n += strncmp(mem_fetcher_request(f, i), prefix, strlen(prefix)) == 0;
  return n;
}

static void backend_state(fx *x, size_t i, stella_backend *out) {
  stella_backend *v = NULL;
  size_t n = 0;
  assert_int_equal(stella_rekor_backends(x->r, &v, &n), STELLA_OK);
  assert_true(i < n);
  *out = v[i];
  /* Keep the strings the tests read: take them out of the array. */
  v[i].url = v[i].origin = v[i].state = v[i].last_error = NULL;
  v[i].last_cause = NULL;
  stella_backends_free(v, n);
}

static void backend_clear(stella_backend *b) {
  free(b->url);
  free(b->origin);
  free(b->state);
  free(b->last_error);
  free(b->last_cause);
}

/* Entries first.. first+n-1 (seeds) in fl, integrated at t, t+step ... */
static void seed(fake_log *fl, int first, int n, int64_t t, int64_t step) {
  for (int i = 0; i < n; i++)
    fake_log_add_seed(fl, first + i, t + step * i);
}

/* loginfo of one backend (NULL: all) checks out. */
static void loginfo_ok(fx *x, const char *backend) {
  stella_loginfo *v = NULL;
  size_t n = 0;
  assert_int_equal(stella_rekor_loginfo(x->r, backend, &v, &n), STELLA_OK);
  stella_loginfo_free(v, n);
}

/* Backend bi's breaker counted a failure whose error says what. */
static void expect_last_error(fx *x, size_t bi, const char *what) {
  stella_backend b;
  backend_state(x, bi, &b);
  assert_non_null(strstr(b.last_error, what));
  assert_true(b.failure_rate > 0);
  backend_clear(&b);
}

static stella_err verify_index(fx *x, const char *index,
                               stella_verify_result *res) {
  stella_verify_request req = {STELLA_VERIFY_LOG_INDEX, index};
  return stella_rekor_verify(x->r, &req, res);
}

/* ---- Backends and config ---------------------------------------------------------- */

static void test_backends(void **state) {
  fx *x = *state;
  stella_backend *v = NULL;
  size_t n = 0, closed = 99;
  assert_int_equal(stella_rekor_backends(x->r, &v, &n), STELLA_OK);
  /* Not yet valid and Rekor v2 URLs are left out; the local mirror last;
   * a trailing '/' is dropped. */
  assert_int_equal(n, 3);
  assert_string_equal(v[0].url, PRIMARY);
  assert_int_equal(v[0].primary, 1);
  assert_string_equal(v[0].origin, "signing_config");
  assert_string_equal(v[1].url, MIRROR);
  assert_int_equal(v[1].primary, 0);
  assert_string_equal(v[2].url, LOCAL);
  assert_string_equal(v[2].origin, "config");
  for (size_t i = 0; i < n; i++) {
    assert_string_equal(v[i].state, "closed");
    assert_int_equal(v[i].has_checkpoint, 0);
    assert_int_equal(v[i].alert, STELLA_ALERT_OK);
  }
  stella_backends_free(v, n);
  assert_int_equal(stella_rekor_reset_circuits(x->r, "primary", &closed),
                   STELLA_OK);
  assert_int_equal(closed, 0);
  assert_int_equal(stella_rekor_reset_circuits(x->r, "http://nope.test",
                                               NULL), STELLA_E_NOT_FOUND);
  assert_non_null(strstr(stella_rekor_errmsg(x->r), "http://nope.test"));
  assert_int_equal(mem_fetcher_count(x->f), 0); /* no network */
}

/* The actor recorded with a reset: the caller's word first, else someone
 * real even where the environment names nobody (cron, containers). */
static void test_actor(void **state) {
  fx *x = *state;
  stella_rekor_opts o = {.actor = "alice"};
  stella_rekor *r = open_client(x, &o);
  assert_string_equal(stella_rekor_actor(r), "alice");
  stella_rekor_free(r);
  char *user = getenv("USER") ? strdup(getenv("USER")) : NULL;
  char *logname = getenv("LOGNAME") ? strdup(getenv("LOGNAME")) : NULL;
  unsetenv("USER");
  unsetenv("LOGNAME");
  r = open_client(x, NULL);
  assert_true(stella_rekor_actor(r)[0] != '\0');
  assert_null(strstr(stella_rekor_actor(r), "unknown"));
  stella_rekor_free(r);
  if (user)
    setenv("USER", user, 1);
  if (logname)
    setenv("LOGNAME", logname, 1);
  free(user);
  free(logname);
}

static void expect_config_error(fx *x, const char *config, stella_err want,
                                const char *why) {
  stella_err e = STELLA_OK;
  write_file(x->home, "config.json", config);
  assert_null(stella_rekor_open(x->t, NULL, &e));
  assert_int_equal(e, want);
  assert_non_null(strstr(stella_trust_errmsg(x->t), "config.json"));
  assert_non_null(strstr(stella_trust_errmsg(x->t), why));
}

static void test_config_errors(void **state) {
  fx *x = *state;
  expect_config_error(x, "{\"rekor\": ", STELLA_E_PARSE, "not JSON");
  expect_config_error(x, "{\"rekor\": {\"breaker\": {\"windw\": 3}}}",
                      STELLA_E_FORMAT, "rekor.breaker.windw");
  expect_config_error(x, "{\"rekor\": {\"breaker\": {\"failure_rate_pct\": "
                      "0}}}", STELLA_E_FORMAT, "failure_rate_pct");
  expect_config_error(x, "{\"rekor\": {\"mirrors\": [\"ftp://x\"]}}",
                      STELLA_E_FORMAT, "mirrors[0]");
  expect_config_error(x, "{\"rekor\": {\"timeout_ms\": \"5s\"}}",
                      STELLA_E_FORMAT, "rekor.timeout_ms");
  expect_config_error(x, "{\"rekor\": {\"breaker\": {\"min_calls\": 30, "
                      "\"window_calls\": 20}}}", STELLA_E_FORMAT,
                      "min_calls");
  /* Other parts of stella may keep their own settings there. */
  write_file(x->home, "config.json", "{\"console\": {\"refresh\": 5}}");
  stella_rekor *r = open_client(x, NULL);
  stella_rekor_free(r);
}

/* ---- Failover and breakers ------------------------------------------------------ */

static void test_failover_and_breaker(void **state) {
  fx *x = *state;
  stella_verify_result res;
  stella_backend b;
  seed(&x->a, 0, 3, x->now - 100, 0);
  fake_serve(x->f, MIRROR, &x->a, 3);
  mem_fetcher_add_error(x->f, PRIMARY "/api/v1/log/entries?logIndex=0",
                        STELLA_E_TIMEOUT);
  /* Three timeouts: each call fails over to the mirror, then the breaker
   * of the primary opens (consecutive_failures 3). */
  for (int i = 0; i < 3; i++) {
    assert_int_equal(verify_index(x, "0", &res), STELLA_OK);
    assert_string_equal(res.entry.backend, MIRROR);
  }
  assert_int_equal(requests_to(x->f, PRIMARY), 3);
  backend_state(x, 0, &b);
  assert_string_equal(b.state, "open");
  assert_true(b.since == x->now);
  assert_true(b.open_until == x->now + 60);
  assert_int_equal(b.opens_last_hour, 1);
  assert_true(*b.last_cause);
  assert_non_null(strstr(b.last_error, "TIMEOUT") ? b.last_error
                  : strstr(b.last_error, "timed out") ? b.last_error
                  : strstr(b.last_error, "time"));
  backend_clear(&b);
  /* Open: the next call does not even ask the primary. */
  assert_int_equal(verify_index(x, "0", &res), STELLA_OK);
  assert_int_equal(requests_to(x->f, PRIMARY), 3);
  /* Cool-down over, the primary healthy: one probe closes it. */
  x->now += 61;
  fake_serve(x->f, PRIMARY, &x->a, 3);
  assert_int_equal(verify_index(x, "1", &res), STELLA_OK);
  assert_string_equal(res.entry.backend, PRIMARY);
  assert_int_equal(requests_to(x->f, PRIMARY), 4);
  backend_state(x, 0, &b);
  assert_string_equal(b.state, "closed");
  backend_clear(&b);
  /* Failing again: open; a probe that fails re-opens for twice as long. */
  mem_fetcher_add_status(x->f, PRIMARY "/api/v1/log/entries?logIndex=2", 503);
  for (int i = 0; i < 3; i++)
    assert_int_equal(verify_index(x, "2", &res), STELLA_OK);
  x->now += 61;
  assert_int_equal(verify_index(x, "2", &res), STELLA_OK);
  assert_int_equal(requests_to(x->f, PRIMARY), 8); /* 3 + the probe */
  backend_state(x, 0, &b);
  assert_string_equal(b.state, "open");
  assert_true(b.open_until == x->now + 120);
  assert_int_equal(b.opens_last_hour, 3);
  assert_non_null(strstr(b.last_error, "503"));
  backend_clear(&b);
  /* Reset: closed by the actor; one breaker was not closed. */
  size_t closed = 0;
  assert_int_equal(stella_rekor_reset_circuits(x->r, NULL, &closed),
                   STELLA_OK);
  assert_int_equal(closed, 1);
  backend_state(x, 0, &b);
  assert_string_equal(b.state, "closed");
  backend_clear(&b);
}

static void test_neutral_and_slow(void **state) {
  fx *x = *state;
  stella_verify_result res;
  stella_backend b;
  char absent[65];
  memset(absent, 'a', 64);
  absent[64] = '\0';
  stella_verify_request req = {STELLA_VERIFY_UUID, absent};
  /* An absent entry (404) is an answer, no failure: the next backend (it
   * may be another log) is asked, and the last one's 404 is the answer. */
  for (int i = 0; i < 5; i++)
    assert_int_equal(stella_rekor_verify(x->r, &req, &res),
                     STELLA_E_NOT_FOUND);
  assert_int_equal(requests_to(x->f, PRIMARY), 5);
  assert_int_equal(requests_to(x->f, MIRROR), 5);
  assert_int_equal(requests_to(x->f, LOCAL), 5);
  const char *msg = stella_rekor_errmsg(x->r);
  assert_non_null(strstr(msg, "no such entry"));
  assert_non_null(strstr(msg, "HTTP 404 from " LOCAL));
  assert_non_null(strstr(msg, PRIMARY " has no such entry"));
  for (size_t i = 0; i < 3; i++) {
    backend_state(x, i, &b);
    assert_string_equal(b.state, "closed");
    assert_int_equal(b.calls_in_window, 0);
    backend_clear(&b);
  }
  /* 404 where the API must answer (the log's info) is the backend's
   * failure: it does not serve the Rekor API there. */
  stella_loginfo *v = NULL;
  size_t n = 0;
  assert_int_equal(stella_rekor_loginfo(x->r, PRIMARY, &v, &n),
                   STELLA_E_NOT_FOUND);
  stella_loginfo_free(v, n);
  backend_state(x, 0, &b);
  assert_int_equal(b.calls_in_window, 1);
  assert_true(b.failure_rate == 1.0);
  backend_clear(&b);
  assert_int_equal(stella_rekor_reset_circuits(x->r, NULL, NULL), STELLA_OK);
  /* Slow successes count as failures (slow_call_ms 2000). */
  fake_log_add_seed(&x->a, 1, x->now - 10);
  fake_serve(x->f, PRIMARY, &x->a, 1);
  x->ms_step = 2500;
  for (int i = 0; i < 3; i++)
    assert_int_equal(verify_index(x, "0", &res), STELLA_OK);
  backend_state(x, 0, &b);
  assert_string_equal(b.state, "open");
  backend_clear(&b);
  /* Garbage from a backend is its failure too. */
  x->ms_step = 1;
  mem_fetcher_add_bytes(x->f, MIRROR "/api/v1/log", "<html>", 6);
  assert_int_equal(stella_rekor_loginfo(x->r, MIRROR, &v, &n),
                   STELLA_E_PARSE);
  assert_int_equal(n, 1);
  assert_int_equal(v[0].result, STELLA_E_PARSE);
  stella_loginfo_free(v, n);
  backend_state(x, 1, &b);
  assert_int_equal(b.calls_in_window, 1);
  assert_true(b.failure_rate == 1.0);
  backend_clear(&b);
}

/* ---- loginfo ------------------------------------------------------------------------ */

static void test_loginfo_consistency(void **state) {
  fx *x = *state;
  stella_loginfo *v = NULL;
  size_t n = 0;
  seed(&x->a, 0, 3, x->now - 100, 0);
  fake_serve(x->f, PRIMARY, &x->a, 3);
  fake_serve(x->f, MIRROR, &x->a, 3);
  /* First call: the primary's checkpoint becomes the baseline, the mirror
   * shows the same tree; the local mirror is down. */
  assert_int_equal(stella_rekor_loginfo(x->r, NULL, &v, &n),
                   STELLA_E_NOT_FOUND);
  assert_int_equal(n, 3);
  assert_int_equal(v[0].result, STELLA_OK);
  assert_int_equal(v[0].baseline_stored, 1);
  assert_int_equal(v[0].tree_size, 3);
  assert_string_equal(v[0].origin, "primary.test - 1234");
  assert_string_equal(v[0].tree_id, "1234");
  assert_string_equal(v[0].log_id, x->a.log_id_hex);
  assert_string_equal(v[0].key_name, "rekor-key-a");
  assert_int_equal(v[1].result, STELLA_OK);
  assert_int_equal(v[1].baseline_stored, 0);
  assert_int_equal(v[1].consistency_proven, 1);
  assert_int_equal(v[1].previous_size, 3);
  assert_int_equal(v[2].result, STELLA_E_NOT_FOUND);
  assert_string_equal(v[2].backend, LOCAL);
  stella_loginfo_free(v, n);
  /* The primary grows to 5: proven from 3 with its proof. */
  seed(&x->a, 3, 2, x->now - 50, 0);
  fake_serve(x->f, PRIMARY, &x->a, 5);
  mem_fetcher_clear_log(x->f);
  assert_int_equal(stella_rekor_loginfo(x->r, "primary", &v, &n), STELLA_OK);
  assert_int_equal(n, 1);
  assert_int_equal(v[0].consistency_proven, 1);
  assert_int_equal(v[0].previous_size, 3);
  assert_int_equal(v[0].tree_size, 5);
  stella_loginfo_free(v, n);
  assert_int_equal(mem_fetcher_count_url(
      x->f, PRIMARY "/api/v1/log/proof?firstSize=3&lastSize=5&treeID=1234"),
      1);
  /* The mirror lags at 3: the primary (which showed 5) proves it. */
  mem_fetcher_clear_log(x->f);
  assert_int_equal(stella_rekor_loginfo(x->r, MIRROR, &v, &n), STELLA_OK);
  assert_int_equal(v[0].consistency_proven, 1);
  assert_int_equal(v[0].previous_size, 5);
  assert_int_equal(v[0].split_view, 0);
  stella_loginfo_free(v, n);
  assert_int_equal(mem_fetcher_count_url(
      x->f, PRIMARY "/api/v1/log/proof?firstSize=3&lastSize=5&treeID=1234"),
      1);
  stella_backend b;
  backend_state(x, 0, &b);
  assert_int_equal(b.has_checkpoint, 1);
  assert_int_equal(b.checkpoint_size, 5);
  assert_true(b.checkpoint_verified_at == x->now);
  backend_clear(&b);
  backend_state(x, 1, &b);
  assert_int_equal(b.checkpoint_size, 3);
  backend_clear(&b);
}

#define HASH64 "0000000000000000000000000000000000000000000000000000000000000000"

static void test_split_view(void **state) {
  fx *x = *state;
  stella_loginfo *v = NULL;
  size_t n = 0;
  fake_log fork;
  seed(&x->a, 0, 3, x->now - 100, 0);
  fake_serve(x->f, PRIMARY, &x->a, 3);
  loginfo_ok(x, PRIMARY);
  /* Same key, same size, other entries: two roots for one tree size. */
  fake_log_fork(&fork, &x->a);
  seed(&fork, 100, 5, x->now - 100, 0);
  fake_serve(x->f, MIRROR, &fork, 3);
  assert_int_equal(stella_rekor_loginfo(x->r, MIRROR, &v, &n),
                   STELLA_E_INCONSISTENT);
  assert_int_equal(v[0].split_view, 1);
  assert_int_equal(v[0].result, STELLA_E_INCONSISTENT);
  const char *msg = stella_rekor_errmsg(x->r);
  assert_non_null(strstr(msg, "SPLIT VIEW"));
  assert_non_null(strstr(msg, MIRROR));
  assert_non_null(strstr(msg, PRIMARY));
  assert_non_null(strstr(msg, "same size"));
  stella_loginfo_free(v, n);
  expect_last_error(x, 1, "SPLIT VIEW"); /* the mirror's breaker failure */
  /* The fork grows: its own proof 3 -> 5 cannot start from our root. */
  fake_serve(x->f, MIRROR, &fork, 5);
  assert_int_equal(stella_rekor_loginfo(x->r, MIRROR, &v, &n),
                   STELLA_E_INCONSISTENT);
  assert_int_equal(v[0].split_view, 1);
  assert_non_null(strstr(v[0].error, "consistency proof fails"));
  stella_loginfo_free(v, n);
  expect_last_error(x, 1, "consistency proof fails");
  /* A JSON reply that is no proof at all is the same alarm, whatever is
   * wrong with it; a reply that is not JSON (a proxy's page) is not. */
  static const struct { const char *body; const char *why; } bad[] = {
    {"{\"rootHash\": \"" HASH64 "\", \"hashes\": \"x\"}", "not an array"},
    {"{\"rootHash\": \"" HASH64 "\", \"hashes\": [\"00\"]}", "64 hex"},
    {"{\"hashes\": []}", "rootHash"},
    {"[]", "not an object"},
  };
  const char *proof = MIRROR "/api/v1/log/proof?firstSize=3&lastSize=5"
                             "&treeID=1234";
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    mem_fetcher_add_bytes(x->f, proof, bad[i].body, strlen(bad[i].body));
    assert_int_equal(stella_rekor_reset_circuits(x->r, NULL, NULL),
                     STELLA_OK); /* each case on its own */
    assert_int_equal(stella_rekor_loginfo(x->r, MIRROR, &v, &n),
                     STELLA_E_INCONSISTENT);
    assert_int_equal(v[0].split_view, 1);
    assert_non_null(strstr(v[0].error, bad[i].why));
    stella_loginfo_free(v, n);
  }
  mem_fetcher_add_bytes(x->f, proof, "<html>", 6);
  assert_int_equal(stella_rekor_reset_circuits(x->r, NULL, NULL), STELLA_OK);
  assert_int_not_equal(stella_rekor_loginfo(x->r, MIRROR, &v, &n), STELLA_OK);
  assert_int_equal(v[0].split_view, 0);
  assert_non_null(strstr(v[0].error, "not proven"));
  stella_loginfo_free(v, n);
  /* A proof the primary cannot give (timeout) is not proven, no alarm,
   * and nothing is stored. */
  seed(&x->a, 3, 3, x->now - 50, 0);
  fake_serve(x->f, PRIMARY, &x->a, 6);
  mem_fetcher_add_error(
      x->f, PRIMARY "/api/v1/log/proof?firstSize=3&lastSize=6&treeID=1234",
      STELLA_E_TIMEOUT);
  assert_int_equal(stella_rekor_loginfo(x->r, PRIMARY, &v, &n),
                   STELLA_E_TIMEOUT);
  assert_int_equal(v[0].split_view, 0);
  assert_int_equal(v[0].consistency_proven, 0);
  assert_non_null(strstr(v[0].error, "not proven"));
  stella_loginfo_free(v, n);
  stella_backend b;
  backend_state(x, 0, &b);
  assert_int_equal(b.checkpoint_size, 3);
  backend_clear(&b);
  fake_log_free(&fork);
}

/* ---- submit ------------------------------------------------------------------------ */

typedef struct signed_file {
  char artifact[256], sig[256], sig_b64[256], pub[256];
  sbuf proposal;            /* the hashedrekord body we expect to send */
} signed_file;

static void make_signed(fx *x, crypto_signer *s, int n, signed_file *out) {
  char text[64], *b64 = NULL;
  uint8_t *sig = NULL, digest[32];
  size_t siglen = 0;
  sbuf pem = SBUF_INIT;
  snprintf(text, sizeof text, "release %d\n", n);
  snprintf(out->artifact, sizeof out->artifact, "%s/artifact.%d", x->dir, n);
  snprintf(out->sig, sizeof out->sig, "%s/artifact.%d.sig", x->dir, n);
  snprintf(out->sig_b64, sizeof out->sig_b64, "%s/artifact.%d.sig.b64",
           x->dir, n);
  snprintf(out->pub, sizeof out->pub, "%s/signer.pub", x->dir);
  write_file(x->dir, strrchr(out->artifact, '/') + 1, text);
  assert_int_equal(crypto_signer_sign(s, (const uint8_t *)text, strlen(text),
                                      &sig, &siglen), STELLA_OK);
  assert_int_equal(fs_write_atomic(out->sig, sig, siglen, 0644), STELLA_OK);
  assert_int_equal(base64_encode(sig, siglen, &b64), STELLA_OK);
  write_file(x->dir, strrchr(out->sig_b64, '/') + 1, b64);
  assert_int_equal(crypto_signer_public_pem(s, &pem), STELLA_OK);
  write_file(x->dir, "signer.pub", pem.data);
  crypto_sha256(text, strlen(text), digest);
  out->proposal = (sbuf)SBUF_INIT;
  assert_int_equal(rekor_hashedrekord_proposal(digest, sig, siglen, pem.data,
                                               pem.len, &out->proposal),
                   STELLA_OK);
  free(b64);
  free(sig);
  sbuf_free(&pem);
}

/* Logs the proposal in fl now and returns the 201 reply; every backend
 * can prove the new tree an extension of the older ones. */
static size_t log_in(fx *x, fake_log *fl, const signed_file *sf,
                     sbuf *reply) {
  size_t i = fake_log_add(fl, sf->proposal.data, sf->proposal.len, x->now);
  sbuf_reset(reply);
  fake_entry(fl, i, i + 1, (int64_t)i, reply);
  fake_serve_proofs(x->f, PRIMARY, fl, i + 1);
  fake_serve_proofs(x->f, MIRROR, fl, i + 1);
  fake_serve_proofs(x->f, LOCAL, fl, i + 1);
  return i;
}

static size_t log_it(fx *x, const signed_file *sf, sbuf *reply) {
  return log_in(x, &x->a, sf, reply);
}

static stella_err submit(fx *x, const signed_file *sf, int b64,
                         stella_submit_result *res) {
  return stella_rekor_submit(x->r, sf->artifact, b64 ? sf->sig_b64 : sf->sig,
                             sf->pub, res);
}

static void test_submit(void **state) {
  fx *x = *state;
  crypto_signer *s = NULL;
  signed_file sf[5];
  stella_submit_result res;
  sbuf reply = SBUF_INIT;
  int64_t rows = 0;
  assert_int_equal(crypto_signer_generate("ecdsa-p256", &s), STELLA_OK);
  for (int i = 0; i < 5; i++)
    make_signed(x, s, i, &sf[i]);
  /* 1: straight through the primary; the POST carries our proposal. */
  size_t idx = log_it(x, &sf[0], &reply);
  mem_fetcher_add_post(x->f, PRIMARY "/api/v1/log/entries", 201, reply.data,
                       reply.len, NULL);
  assert_int_equal(submit(x, &sf[0], 0, &res), STELLA_OK);
  assert_int_equal(res.entry.log_index, (int64_t)idx);
  assert_string_equal(res.entry.source, "submitted");
  assert_string_equal(res.entry.backend, PRIMARY);
  assert_string_equal(res.entry.key_name, "rekor-key-a");
  assert_int_equal(res.failed_over, 0);
  assert_string_equal(res.route, "");
  size_t len = 0;
  const char *sent = mem_fetcher_body(x->f, 0, &len);
  assert_non_null(sent);
  assert_int_equal(len, sf[0].proposal.len);
  assert_memory_equal(sent, sf[0].proposal.data, len);
  assert_int_equal(ledger_count(trust_store(x->t), &rows), STELLA_OK);
  assert_int_equal(rows, 1);
  /* The same with a base64 signature file. */
  assert_int_equal(submit(x, &sf[0], 1, &res), STELLA_OK);
  /* A signature of another artifact: refused before any request. */
  size_t before = mem_fetcher_count(x->f);
  assert_int_equal(stella_rekor_submit(x->r, sf[1].artifact, sf[0].sig,
                                       sf[1].pub, &res), STELLA_E_SIGNATURE);
  assert_non_null(strstr(stella_rekor_errmsg(x->r), "does not verify"));
  assert_int_equal(mem_fetcher_count(x->f), before);
  /* 2: the primary is unreachable: the mirror takes it. */
  sbuf_reset(&reply);
  log_it(x, &sf[1], &reply);
  mem_fetcher_add_error(x->f, PRIMARY "/api/v1/log/entries",
                        STELLA_E_NETWORK);
  mem_fetcher_add_post(x->f, MIRROR "/api/v1/log/entries", 201, reply.data,
                       reply.len, NULL);
  assert_int_equal(submit(x, &sf[1], 0, &res), STELLA_OK);
  assert_int_equal(res.failed_over, 1);
  assert_string_equal(res.entry.backend, MIRROR);
  assert_non_null(strstr(res.route, PRIMARY " failed"));
  /* 3: the primary answers with an entry that is not ours: failover. */
  sbuf foreign = SBUF_INIT;
  fake_entry(&x->a, 0, 1, 0, &foreign);
  mem_fetcher_add_post(x->f, PRIMARY "/api/v1/log/entries", 201,
                       foreign.data, foreign.len, NULL);
  sbuf_reset(&reply);
  log_it(x, &sf[2], &reply);
  mem_fetcher_add_post(x->f, MIRROR "/api/v1/log/entries", 201, reply.data,
                       reply.len, NULL);
  assert_int_equal(submit(x, &sf[2], 0, &res), STELLA_OK);
  assert_int_equal(res.failed_over, 1);
  assert_non_null(strstr(res.route, "not ours"));
  /* 4: already in the log (409): the existing entry is fetched. */
  sbuf_reset(&reply);
  idx = log_it(x, &sf[3], &reply);
  char uuid[65], loc[128], url[256];
  fake_uuid(&x->a, idx, uuid);
  snprintf(loc, sizeof loc, "/api/v1/log/entries/%s", uuid);
  snprintf(url, sizeof url, PRIMARY "%s", loc);
  mem_fetcher_add_post(x->f, PRIMARY "/api/v1/log/entries", 409,
                       "{\"code\":409}", 12, loc);
  mem_fetcher_add_bytes(x->f, url, reply.data, reply.len);
  assert_int_equal(submit(x, &sf[3], 0, &res), STELLA_OK);
  assert_int_equal(res.entry.log_index, (int64_t)idx);
  assert_int_equal(res.failed_over, 0);
  assert_int_equal(mem_fetcher_count_url(x->f, url), 1);
  /* 5: every backend down: the last failure, naming them all. */
  mem_fetcher_add_error(x->f, PRIMARY "/api/v1/log/entries",
                        STELLA_E_NETWORK);
  mem_fetcher_add_post(x->f, MIRROR "/api/v1/log/entries", 503, "", 0, NULL);
  mem_fetcher_add_error(x->f, LOCAL "/api/v1/log/entries", STELLA_E_TIMEOUT);
  assert_int_equal(submit(x, &sf[4], 0, &res), STELLA_E_TIMEOUT);
  const char *msg = stella_rekor_errmsg(x->r);
  assert_non_null(strstr(msg, "every backend failed"));
  assert_non_null(strstr(msg, PRIMARY " failed"));
  assert_non_null(strstr(msg, MIRROR " failed"));
  assert_non_null(strstr(msg, "HTTP 503"));
  /* The last one failing with a 5xx: still every backend failed, not "the
   * log refused the entry" (that is a 4xx answer). */
  mem_fetcher_add_post(x->f, LOCAL "/api/v1/log/entries", 502, "", 0, NULL);
  assert_int_equal(stella_rekor_reset_circuits(x->r, NULL, NULL), STELLA_OK);
  assert_int_equal(submit(x, &sf[4], 0, &res), STELLA_E_HTTP);
  msg = stella_rekor_errmsg(x->r);
  assert_non_null(strstr(msg, "every backend failed"));
  assert_null(strstr(msg, "refused"));
  /* 429 (rate limited) is the backend's state, not our request: it fails
   * over like a 5xx. */
  mem_fetcher_add_post(x->f, LOCAL "/api/v1/log/entries", 429, "", 0, NULL);
  assert_int_equal(stella_rekor_reset_circuits(x->r, NULL, NULL), STELLA_OK);
  assert_int_equal(submit(x, &sf[4], 0, &res), STELLA_E_HTTP);
  msg = stella_rekor_errmsg(x->r);
  assert_non_null(strstr(msg, "every backend failed"));
  assert_non_null(strstr(msg, "HTTP 429"));
  /* 405 (a read replica takes no entries): the next backend is asked. */
  assert_int_equal(stella_rekor_reset_circuits(x->r, NULL, NULL), STELLA_OK);
  mem_fetcher_add_post(x->f, PRIMARY "/api/v1/log/entries", 405, "", 0, NULL);
  mem_fetcher_add_post(x->f, MIRROR "/api/v1/log/entries", 405, "", 0, NULL);
  mem_fetcher_add_post(x->f, LOCAL "/api/v1/log/entries", 405, "", 0, NULL);
  assert_int_equal(submit(x, &sf[4], 0, &res), STELLA_E_UNSUPPORTED);
  msg = stella_rekor_errmsg(x->r);
  assert_non_null(strstr(msg, LOCAL " does not take entries (HTTP 405"));
  sbuf_reset(&reply);
  log_it(x, &sf[4], &reply);
  mem_fetcher_add_post(x->f, LOCAL "/api/v1/log/entries", 201, reply.data,
                       reply.len, NULL);
  assert_int_equal(submit(x, &sf[4], 0, &res), STELLA_OK);
  assert_string_equal(res.entry.backend, LOCAL);
  assert_non_null(strstr(res.route, PRIMARY " does not offer it"));
  /* A 4xx is the log's answer: its Rekor error message, no failover. */
  const char *bad = "{\"code\":400,\"message\":\"signature invalid\"}";
  mem_fetcher_add_post(x->f, PRIMARY "/api/v1/log/entries", 400, bad,
                       strlen(bad), NULL);
  assert_int_equal(submit(x, &sf[4], 0, &res), STELLA_E_HTTP);
  msg = stella_rekor_errmsg(x->r);
  assert_non_null(strstr(msg, PRIMARY " refused the entry: HTTP 400: "
                              "signature invalid"));
  assert_int_equal(ledger_count(trust_store(x->t), &rows), STELLA_OK);
  assert_int_equal(rows, 5);
  for (int i = 0; i < 5; i++)
    sbuf_free(&sf[i].proposal);
  sbuf_free(&reply);
  sbuf_free(&foreign);
  crypto_signer_free(s);
}

static void post_reply(fx *x, const char *base, const sbuf *reply) {
  char url[256];
  snprintf(url, sizeof url, "%s/api/v1/log/entries", base);
  mem_fetcher_add_post(x->f, url, 201, reply->data, reply->len, NULL);
}

/* What a submission's reply must be beyond "our entry with a SET", and
 * when the entry may go to the next backend: only while no backend has
 * shown it holds it. */
static void test_submit_checks(void **state) {
  fx *x = *state;
  crypto_signer *s = NULL;
  signed_file sf[5];
  stella_submit_result res;
  sbuf reply = SBUF_INIT, foreign = SBUF_INIT;
  int64_t rows = 0;
  char url[256];
  assert_int_equal(crypto_signer_generate("ecdsa-p256", &s), STELLA_OK);
  for (int i = 0; i < 5; i++)
    make_signed(x, s, i, &sf[i]);
  log_it(x, &sf[0], &reply);
  post_reply(x, PRIMARY, &reply);
  assert_int_equal(submit(x, &sf[0], 0, &res), STELLA_OK);
  /* The primary logs entry 1 but cannot prove its tree extends the stored
   * one: the log holds the entry, so no other log is asked; nothing is
   * recorded. */
  log_it(x, &sf[1], &reply);
  post_reply(x, PRIMARY, &reply);
  mem_fetcher_add_error(
      x->f, PRIMARY "/api/v1/log/proof?firstSize=1&lastSize=2&treeID=1234",
      STELLA_E_TIMEOUT);
  assert_int_not_equal(submit(x, &sf[1], 0, &res), STELLA_OK);
  assert_non_null(strstr(stella_rekor_errmsg(x->r), "not proven"));
  assert_int_equal(requests_to(x->f, MIRROR "/api/v1/log/entries"), 0);
  assert_int_equal(ledger_count(trust_store(x->t), &rows), STELLA_OK);
  assert_int_equal(rows, 1);
  fake_serve_proofs(x->f, PRIMARY, &x->a, 2);
  assert_int_equal(submit(x, &sf[1], 0, &res), STELLA_OK);
  assert_string_equal(res.entry.backend, PRIMARY);
  /* The primary (listed for log A) answers with our entry logged in log
   * B: not where it was sent, its failure; the mirror takes it. */
  size_t in_b = log_in(x, &x->b, &sf[2], &foreign);
  post_reply(x, PRIMARY, &foreign);
  log_it(x, &sf[2], &reply);
  post_reply(x, MIRROR, &reply);
  assert_int_equal(submit(x, &sf[2], 0, &res), STELLA_OK);
  assert_string_equal(res.entry.backend, MIRROR);
  assert_non_null(strstr(res.route, "another log"));
  expect_last_error(x, 0, "another log");
  /* Verifying that entry of B served by the primary is fine: served by
   * one, logged in the other, and said so. */
  char uuid[65];
  fake_uuid(&x->b, in_b, uuid);
  snprintf(url, sizeof url, PRIMARY "/api/v1/log/entries/%s", uuid);
  mem_fetcher_add_bytes(x->f, url, foreign.data, foreign.len);
  stella_verify_result vres;
  stella_verify_request req = {STELLA_VERIFY_UUID, uuid};
  assert_int_equal(stella_rekor_verify(x->r, &req, &vres), STELLA_OK);
  assert_string_equal(vres.entry.backend, PRIMARY);
  assert_int_equal(vres.entry.other_log, 1);
  assert_string_equal(vres.entry.log_url, "http://other.test");
  assert_string_equal(vres.entry.key_name, "rekor-key-b");
  /* A 409 whose entry the primary cannot show (not ours): it does not
   * hold our entry as it says; the mirror takes it. */
  assert_int_equal(stella_rekor_reset_circuits(x->r, NULL, NULL), STELLA_OK);
  sbuf_reset(&foreign);
  fake_entry(&x->a, 0, 1, 0, &foreign);
  fake_uuid(&x->a, 0, uuid);
  snprintf(url, sizeof url, PRIMARY "/api/v1/log/entries/%s", uuid);
  mem_fetcher_add_post(x->f, PRIMARY "/api/v1/log/entries", 409,
                       "{\"code\":409}", 12, url + strlen(PRIMARY));
  mem_fetcher_add_bytes(x->f, url, foreign.data, foreign.len);
  log_it(x, &sf[3], &reply);
  post_reply(x, MIRROR, &reply);
  assert_int_equal(submit(x, &sf[3], 0, &res), STELLA_OK);
  assert_string_equal(res.entry.backend, MIRROR);
  assert_non_null(strstr(res.route, PRIMARY " failed (409"));
  expect_last_error(x, 0, "not ours");
  /* In July log B's key has ended: a fresh entry under it is the log's
   * lie, the mirror's failure; the local mirror takes it. */
  x->now = at("2026-07-01T00:00:00Z");
  mem_fetcher_add_error(x->f, PRIMARY "/api/v1/log/entries",
                        STELLA_E_NETWORK);
  in_b = log_in(x, &x->b, &sf[4], &foreign);
  post_reply(x, MIRROR, &foreign);
  log_it(x, &sf[4], &reply);
  post_reply(x, LOCAL, &reply);
  assert_int_equal(submit(x, &sf[4], 0, &res), STELLA_OK);
  assert_string_equal(res.entry.backend, LOCAL);
  assert_non_null(strstr(res.route, MIRROR " failed"));
  expect_last_error(x, 1, "validity");
  /* Verifying that entry is another matter: the entry fails (validity),
   * not the backend that serves it (a log keeps what a key later found
   * compromised signed). */
  assert_int_equal(stella_rekor_reset_circuits(x->r, NULL, NULL), STELLA_OK);
  fake_uuid(&x->b, in_b, uuid);
  snprintf(url, sizeof url, PRIMARY "/api/v1/log/entries/%s", uuid);
  mem_fetcher_add_bytes(x->f, url, foreign.data, foreign.len);
  assert_int_equal(stella_rekor_verify(x->r, &req, &vres), STELLA_E_EXPIRED);
  assert_string_equal(vres.failed_check, "validity");
  stella_backend b;
  backend_state(x, 0, &b);
  assert_int_equal(b.calls_in_window, 1);
  assert_true(b.failure_rate == 0);
  backend_clear(&b);
  assert_int_equal(ledger_count(trust_store(x->t), &rows), STELLA_OK);
  assert_int_equal(rows, 6); /* 5 submitted, 1 verified */
  for (int i = 0; i < 5; i++)
    sbuf_free(&sf[i].proposal);
  sbuf_free(&reply);
  sbuf_free(&foreign);
  crypto_signer_free(s);
}

/* An entry of log B served by the primary (listed for log A): when B's
 * own base URL is a backend too, B's newer tree is proven by it, not by
 * the primary (which would answer for its own log). */
static void test_other_log_proof(void **state) {
  fx *x = *state;
  stella_verify_result res;
  char uuid[65], url[256];
  const char *other = "http://other.test";
  write_file(x->home, "config.json", "{\"rekor\": {\"mirrors\": "
             "[\"http://other.test\"]}}");
  stella_rekor_free(x->r);
  x->r = open_client(x, NULL);
  seed(&x->b, 0, 3, x->now - 100, 0);
  fake_serve(x->f, other, &x->b, 2);
  loginfo_ok(x, other);
  fake_serve(x->f, PRIMARY, &x->b, 3);
  fake_serve_proofs(x->f, other, &x->b, 3);
  fake_uuid(&x->b, 2, uuid);
  stella_verify_request req = {STELLA_VERIFY_UUID, uuid};
  mem_fetcher_clear_log(x->f);
  assert_int_equal(stella_rekor_verify(x->r, &req, &res), STELLA_OK);
  assert_string_equal(res.entry.backend, PRIMARY);
  assert_int_equal(res.entry.other_log, 1);
  assert_string_equal(res.consistency, "ok");
  snprintf(url, sizeof url, "%s/api/v1/log/proof?firstSize=2&lastSize=3&"
           "treeID=%s", other, x->b.tree_id);
  assert_int_equal(mem_fetcher_count_url(x->f, url), 1);
  assert_int_equal(requests_to(x->f, PRIMARY "/api/v1/log/proof"), 0);
}

/* ---- verify ------------------------------------------------------------------------ */

static void test_verify_remote(void **state) {
  fx *x = *state;
  stella_verify_result res;
  char uuid[65];
  seed(&x->a, 0, 4, x->now - 100, 1);
  fake_serve(x->f, PRIMARY, &x->a, 4);
  fake_uuid(&x->a, 2, uuid);
  stella_verify_request req = {STELLA_VERIFY_UUID, uuid};
  assert_int_equal(stella_rekor_verify(x->r, &req, &res), STELLA_OK);
  assert_int_equal(res.n_entries, 1);
  assert_int_equal(res.entry.log_index, 2);
  assert_string_equal(res.entry.uuid, uuid);
  assert_string_equal(res.entry.key_name, "rekor-key-a");
  assert_string_equal(res.entry.source, "verified");
  assert_string_equal(res.set, "ok");
  assert_string_equal(res.proof, "ok");
  assert_string_equal(res.checkpoint, "ok");
  assert_string_equal(res.failed_check, "");
  assert_int_equal(res.tree_size, 4);
  assert_string_equal(res.origin, "primary.test - 1234");
  assert_int_equal(verify_index(x, "3", &res), STELLA_OK);
  assert_int_equal(res.entry.log_index, 3);
  int64_t rows = 0;
  assert_int_equal(ledger_count(trust_store(x->t), &rows), STELLA_OK);
  assert_int_equal(rows, 2);
  /* Usage errors. */
  assert_int_equal(verify_index(x, "x1", &res), STELLA_E_INVALID_ARG);
  assert_int_equal(verify_index(x, "-1", &res), STELLA_E_INVALID_ARG);
  req.value = "abc";
  assert_int_equal(stella_rekor_verify(x->r, &req, &res),
                   STELLA_E_INVALID_ARG);
  /* A SET over another index, from every backend: the set check fails. */
  sbuf bad = SBUF_INIT;
  fake_entry(&x->a, 1, 4, 7, &bad);
  const char *bases[3] = {PRIMARY, MIRROR, LOCAL};
  for (int i = 0; i < 3; i++) {
    char url[256];
    snprintf(url, sizeof url, "%s/api/v1/log/entries?logIndex=1", bases[i]);
    mem_fetcher_add_bytes(x->f, url, bad.data, bad.len);
  }
  assert_int_equal(verify_index(x, "1", &res), STELLA_E_SIGNATURE);
  assert_string_equal(res.failed_check, "set");
  assert_string_equal(res.set, "FAILED");
  assert_non_null(strstr(stella_rekor_errmsg(x->r), "does not verify"));
  sbuf_free(&bad);
  /* An entry that is not the one asked for: the primary failed (its last
   * error says why); the mirror does not have index 3 (404). */
  sbuf other = SBUF_INIT;
  fake_entry(&x->a, 0, 4, 0, &other);
  mem_fetcher_add_bytes(x->f, PRIMARY "/api/v1/log/entries?logIndex=3",
                        other.data, other.len);
  assert_int_equal(verify_index(x, "3", &res), STELLA_E_NOT_FOUND);
  stella_backend b;
  backend_state(x, 0, &b);
  assert_non_null(strstr(b.last_error, "not the entry asked for"));
  backend_clear(&b);
  sbuf_free(&other);
  /* An entry of a log we do not trust, from every backend: the key check
   * fails; that is no "no such entry". */
  fake_log u;
  fake_log_init(&u, "unknown.test", "42");
  fake_log_add_seed(&u, 9, x->now - 10);
  fake_entry(&u, 0, 1, 0, &other);
  for (int i = 0; i < 3; i++) {
    char url[256];
    snprintf(url, sizeof url, "%s/api/v1/log/entries?logIndex=0", bases[i]);
    mem_fetcher_add_bytes(x->f, url, other.data, other.len);
  }
  assert_int_equal(verify_index(x, "0", &res), STELLA_E_SIGNATURE);
  assert_string_equal(res.failed_check, "key");
  assert_null(strstr(stella_rekor_errmsg(x->r), "no such entry"));
  assert_non_null(strstr(stella_rekor_errmsg(x->r), "no trusted log key"));
  sbuf_free(&other);
  fake_log_free(&u);
  /* The right entry filed under another UUID: the ledger would keep that
   * UUID, so the reply is refused. */
  char uuid1[65], url[256];
  fake_uuid(&x->a, 1, uuid1);
  fake_uuid(&x->a, 2, uuid);
  fake_entry(&x->a, 2, 4, 2, &other);
  memcpy(strstr(other.data, uuid), uuid1, 64);
  for (int i = 0; i < 3; i++) {
    snprintf(url, sizeof url, "%s/api/v1/log/entries/%s", bases[i], uuid);
    mem_fetcher_add_bytes(x->f, url, other.data, other.len);
  }
  int64_t before = 0, after = 0;
  assert_int_equal(ledger_count(trust_store(x->t), &before), STELLA_OK);
  req.value = uuid;
  assert_int_not_equal(stella_rekor_verify(x->r, &req, &res), STELLA_OK);
  assert_non_null(strstr(stella_rekor_errmsg(x->r), "not its UUID"));
  assert_int_equal(ledger_count(trust_store(x->t), &after), STELLA_OK);
  assert_int_equal(after, before);
  sbuf_free(&other);
}

/* Serves fl (size entries) at every backend. */
static void serve_everywhere(fx *x, const fake_log *fl, size_t size) {
  fake_serve(x->f, PRIMARY, fl, size);
  fake_serve(x->f, MIRROR, fl, size);
  fake_serve(x->f, LOCAL, fl, size);
}

static uint64_t stored_size(fx *x, size_t bi) {
  stella_backend b;
  backend_state(x, bi, &b);
  uint64_t size = b.has_checkpoint ? b.checkpoint_size : 0;
  backend_clear(&b);
  return size;
}

/* An entry verified by UUID or index also holds its checkpoint against
 * the one stored for its log: the first is stored, a bigger one must be
 * proven by the backend that served it, a smaller one by the backend that
 * showed the stored tree; a fork signed by the log's own key is a split
 * view, the backend's breaker failure, and never reaches the ledger. */
static void test_verify_consistency(void **state) {
  fx *x = *state;
  stella_verify_result res;
  fake_log fork, same;
  int64_t before = 0, after = 0;
  seed(&x->a, 0, 5, x->now - 100, 0);
  fake_serve(x->f, PRIMARY, &x->a, 3);
  assert_int_equal(verify_index(x, "0", &res), STELLA_OK);
  assert_string_equal(res.consistency, "stored"); /* trust on first use */
  assert_int_equal(stored_size(x, 0), 3);
  /* A fork of the log (its key, its tree ID, other entries), bigger: its
   * own proof cannot start from our root. Every backend shows it. */
  fake_log_fork(&fork, &x->a);
  seed(&fork, 100, 4, x->now - 100, 0);
  serve_everywhere(x, &fork, 4);
  assert_int_equal(ledger_count(trust_store(x->t), &before), STELLA_OK);
  assert_int_equal(verify_index(x, "3", &res), STELLA_E_INCONSISTENT);
  assert_string_equal(res.failed_check, "consistency");
  assert_string_equal(res.consistency, "FAILED");
  assert_string_equal(res.set, "ok"); /* signed by the log's own key */
  const char *msg = stella_rekor_errmsg(x->r);
  assert_non_null(strstr(msg, "SPLIT VIEW of log primary.test - 1234"));
  assert_non_null(strstr(msg, "consistency proof fails"));
  assert_int_equal(ledger_count(trust_store(x->t), &after), STELLA_OK);
  assert_int_equal(after, before);
  stella_backend b;
  backend_state(x, 0, &b); /* the first call a success, this one not */
  assert_int_equal(b.calls_in_window, 2);
  assert_true(b.failure_rate == 0.5);
  assert_non_null(strstr(b.last_error, "SPLIT VIEW"));
  backend_clear(&b);
  assert_int_equal(stored_size(x, 0), 3); /* nothing stored */
  stella_metrics m;
  assert_int_equal(stella_rekor_metrics(x->r, &m), STELLA_OK);
  assert_true(m.verify_failure.value == 0.5); /* 1 of 2: seen as failed */
  /* A fork of the same size: two roots for one size. */
  assert_int_equal(stella_rekor_reset_circuits(x->r, NULL, NULL), STELLA_OK);
  fake_log_fork(&same, &x->a);
  seed(&same, 200, 3, x->now - 100, 0);
  serve_everywhere(x, &same, 3);
  char uuid[65];
  fake_uuid(&same, 1, uuid);
  stella_verify_request req = {STELLA_VERIFY_UUID, uuid};
  assert_int_equal(stella_rekor_verify(x->r, &req, &res),
                   STELLA_E_INCONSISTENT);
  assert_non_null(strstr(stella_rekor_errmsg(x->r), "same size, different "
                                                    "roots"));
  /* The honest log grew: proven 3 -> 5 by the backend that served it,
   * and the newer checkpoint stored. */
  assert_int_equal(stella_rekor_reset_circuits(x->r, NULL, NULL), STELLA_OK);
  fake_serve(x->f, PRIMARY, &x->a, 5);
  mem_fetcher_clear_log(x->f);
  assert_int_equal(verify_index(x, "4", &res), STELLA_OK);
  assert_string_equal(res.consistency, "ok");
  assert_int_equal(mem_fetcher_count_url(
      x->f, PRIMARY "/api/v1/log/proof?firstSize=3&lastSize=5&treeID=1234"),
      1);
  assert_int_equal(stored_size(x, 0), 5);
  /* A lagging mirror (size 4, the primary down): the primary, which
   * showed 5, proves 4 a prefix; the stored 5 stays the baseline. */
  fake_serve(x->f, MIRROR, &x->a, 4);
  fake_serve_proofs(x->f, PRIMARY, &x->a, 5);
  mem_fetcher_add_error(x->f, PRIMARY "/api/v1/log/entries?logIndex=2",
                        STELLA_E_TIMEOUT);
  mem_fetcher_clear_log(x->f);
  assert_int_equal(verify_index(x, "2", &res), STELLA_OK);
  assert_string_equal(res.entry.backend, MIRROR);
  assert_string_equal(res.consistency, "ok");
  assert_int_equal(mem_fetcher_count_url(
      x->f, PRIMARY "/api/v1/log/proof?firstSize=4&lastSize=5&treeID=1234"),
      1);
  assert_int_equal(stored_size(x, 0), 5);
  assert_int_equal(stored_size(x, 1), 4);
  /* That proof not to be had (the primary's trouble, not the mirror's):
   * unproven, no failure for the mirror, nothing recorded. */
  mem_fetcher_add_error(
      x->f, PRIMARY "/api/v1/log/proof?firstSize=3&lastSize=5&treeID=1234",
      STELLA_E_TIMEOUT);
  fake_serve(x->f, MIRROR, &x->a, 3);
  mem_fetcher_add_error(x->f, PRIMARY "/api/v1/log/entries?logIndex=1",
                        STELLA_E_TIMEOUT);
  assert_int_equal(stella_rekor_reset_circuits(x->r, NULL, NULL), STELLA_OK);
  assert_int_equal(ledger_count(trust_store(x->t), &before), STELLA_OK);
  assert_int_not_equal(verify_index(x, "1", &res), STELLA_OK);
  assert_non_null(strstr(stella_rekor_errmsg(x->r), "not proven"));
  assert_string_equal(res.consistency, "unproven");
  assert_string_equal(res.failed_check, "");
  backend_state(x, 1, &b);
  assert_int_equal(b.calls_in_window, 0);
  backend_clear(&b);
  assert_int_equal(ledger_count(trust_store(x->t), &after), STELLA_OK);
  assert_int_equal(after, before);
  fake_log_free(&fork);
  fake_log_free(&same);
}

/* An uninitialized home: the keys come from a trusted root file. */
static stella_rekor *open_offline(fx *x, stella_trust **t, const char *set,
                                  const char *config) {
  char home[128], root[1024];
  const char *data = getenv("STELLA_TEST_DATA");
  stella_err e = STELLA_E_IO;
  snprintf(home, sizeof home, "%s/offline", x->dir);
  snprintf(root, sizeof root, "%s/%s/trust/trusted_root.public-good.json",
           data, set);
  assert_non_null(*t = stella_trust_open(home, &x->clock, &e));
  if (config)
    write_file(home, "config.json", config);
  assert_null(stella_rekor_open(*t, NULL, &e));
  assert_int_equal(e, STELLA_E_NOT_INITIALIZED);
  stella_rekor_opts o = {.trusted_root_file = root};
  stella_rekor *r = stella_rekor_open(*t, &o, &e);
  assert_int_equal(e, STELLA_OK);
  rekor_set_fetcher(r, x->f);
  return r;
}

static stella_err verify_file(stella_rekor *r, stella_verify_kind kind,
                              const char *rel, stella_verify_result *res) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", getenv("STELLA_TEST_DATA"), rel);
  stella_verify_request req = {kind, path};
  return stella_rekor_verify(r, &req, res);
}

static void test_verify_files_offline(void **state) {
  fx *x = *state;
  stella_trust *t = NULL;
  stella_verify_result res;
  stella_rekor *r = open_offline(x, &t, "rekor-bundles", NULL);
  stella_backend *v = NULL;
  size_t n = 9;
  assert_int_equal(stella_rekor_backends(r, &v, &n), STELLA_OK);
  assert_int_equal(n, 0);
  assert_int_equal(verify_file(r, STELLA_VERIFY_BUNDLE, "rekor-bundles/valid/"
                   "prod-v1-79571823-hashedrekord.bundle-v0.3.json", &res),
                   STELLA_OK);
  assert_int_equal(res.n_entries, 1);
  assert_int_equal(res.entry.log_index, 79571823);
  assert_string_equal(res.set, "ok");
  assert_string_equal(res.proof, "ok");
  assert_string_equal(res.checkpoint, "ok");
  assert_int_equal(res.tree_size, 75408393);
  assert_int_equal(res.entry.outside_validity, 0);
  assert_int_equal(verify_file(r, STELLA_VERIFY_BUNDLE, "rekor-bundles/"
                   "tampered/integrated-time-changed.prod-79571823.json",
                   &res), STELLA_E_SIGNATURE);
  assert_string_equal(res.failed_check, "set");
  assert_int_equal(verify_file(r, STELLA_VERIFY_BUNDLE, "rekor-bundles/"
                   "tampered/proof-hash-byte-flipped.prod-79605083.json",
                   &res), STELLA_E_HASH);
  assert_string_equal(res.failed_check, "inclusion_proof");
  assert_int_equal(verify_file(r, STELLA_VERIFY_CHECKPOINT,
                   "rekor-checkpoints/valid/"
                   "prod-v1-shard2605736670972794746-size75408393.note",
                   &res), STELLA_OK);
  assert_string_equal(res.checkpoint, "ok");
  assert_int_equal(res.tree_size, 75408393);
  assert_string_equal(res.origin, "rekor.sigstore.dev - 2605736670972794746");
  assert_int_equal(verify_file(r, STELLA_VERIFY_CHECKPOINT,
                   "rekor-checkpoints/invalid/prod-v1-invalid-signature.note",
                   &res), STELLA_E_SIGNATURE);
  assert_string_equal(res.failed_check, "checkpoint");
  assert_int_equal(verify_file(r, STELLA_VERIFY_BUNDLE, "nope.json", &res),
                   STELLA_E_NOT_FOUND);
  int64_t rows = 0;
  assert_int_equal(ledger_count(trust_store(t), &rows), STELLA_OK);
  assert_int_equal(rows, 1); /* only the verified bundle's entry */
  assert_int_equal(mem_fetcher_count(x->f), 0);
  stella_rekor_free(r);
  stella_trust_free(t);
}

/* Serves a real LogEntryAnon file under its UUID at ?logIndex=N. */
static void serve_api_file(fx *x, const char *rel, const char *url) {
  char path[1024];
  sbuf b = SBUF_INIT;
  uint8_t *body = NULL;
  size_t len = 0;
  merkle_hash leaf;
  char uuid[65];
  snprintf(path, sizeof path, "%s/%s", getenv("STELLA_TEST_DATA"), rel);
  assert_int_equal(fs_read_file(path, 0, &b), STELLA_OK);
  json_t *entry = json_loadb(b.data, b.len, 0, NULL);
  const char *b64 = json_string_value(json_object_get(entry, "body"));
  assert_int_equal(base64_decode(b64, strlen(b64), &body, &len), STELLA_OK);
  merkle_leaf_hash(body, len, leaf);
  hex_encode(leaf, sizeof leaf, uuid);
  json_t *o = json_object();
  json_object_set_new(o, uuid, entry);
  char *text = json_dumps(o, JSON_COMPACT);
  mem_fetcher_add_bytes(x->f, url, text, strlen(text));
  free(text);
  json_decref(o);
  free(body);
  sbuf_free(&b);
}

static void test_verify_api_entry_offline(void **state) {
  fx *x = *state;
  stella_trust *t = NULL;
  stella_verify_result res;
  const char *url = "http://rekor.test/api/v1/log/entries?logIndex=87076944";
  stella_rekor *r = open_offline(x, &t, "rekor-api-entries",
                                 "{\"rekor\": {\"mirrors\": "
                                 "[\"http://rekor.test\"]}}");
  serve_api_file(x, "rekor-api-entries/valid/prod-v1-87076944.logentry.json",
                 url);
  stella_verify_request req = {STELLA_VERIFY_LOG_INDEX, "87076944"};
  assert_int_equal(stella_rekor_verify(r, &req, &res), STELLA_OK);
  assert_int_equal(res.entry.integrated_time, 1713543911);
  assert_string_equal(res.entry.backend, "http://rekor.test");
  assert_string_equal(res.proof, "ok");
  assert_string_equal(res.checkpoint, "ok");
  assert_int_equal(res.tree_size, 82913514);
  serve_api_file(x, "rekor-api-entries/tampered/"
                 "prod-v1-87076944.roothash-changed.logentry.json", url);
  assert_int_not_equal(stella_rekor_verify(r, &req, &res), STELLA_OK);
  assert_true(strcmp(res.failed_check, "inclusion_proof") == 0 ||
              strcmp(res.failed_check, "checkpoint") == 0);
  /* A mirror that fails: without synced trust there is no `trust status`
   * to point at, so the message names the reset that works here. */
  mem_fetcher_add_error(x->f, url, STELLA_E_NETWORK);
  assert_int_equal(stella_rekor_verify(r, &req, &res), STELLA_E_NETWORK);
  assert_non_null(strstr(stella_rekor_errmsg(r),
                         "reset-circuits --trusted-root FILE"));
  assert_null(strstr(stella_rekor_errmsg(r), "trust status"));
  stella_rekor_free(r);
  stella_trust_free(t);
}

/* ---- query ------------------------------------------------------------------------- */

typedef struct rows {
  stella_rekor_entry v[16];
  size_t n;
} rows;

static int collect(void *ctx, const stella_rekor_entry *e) {
  rows *r = ctx;
  if (r->n < 16)
    r->v[r->n++] = *e;
  return 0;
}

static void put_b(fx *x, int64_t index, const char *when) {
  ledger_entry le;
  memset(&le, 0, sizeof le);
  memcpy(le.log_id, x->b.log_id_hex, sizeof le.log_id);
  le.log_index = index;
  snprintf(le.uuid, sizeof le.uuid, "%064lld", (long long)index);
  le.integrated_time = at(when);
  snprintf(le.kind, sizeof le.kind, "hashedrekord");
  snprintf(le.source, sizeof le.source, "verified");
  le.recorded_at = x->now;
  assert_int_equal(ledger_put(trust_store(x->t), &le), STELLA_OK);
}

static void test_query(void **state) {
  fx *x = *state;
  rows got = {0};
  int64_t t0 = x->now - 1000;
  seed(&x->a, 0, 6, t0, 100);
  fake_serve(x->f, PRIMARY, &x->a, 6);
  put_b(x, 10, "2026-05-01T00:00:00Z");
  put_b(x, 11, "2026-07-01T00:00:00Z"); /* after B's key ended */
  /* --remote: entries 2, 3, 4 (integrated at t0+200..t0+400). */
  assert_int_equal(stella_rekor_query(x->r, t0 + 150, t0 + 450, NULL, 1,
                                      collect, &got), STELLA_OK);
  assert_int_equal(got.n, 3);
  for (size_t i = 0; i < got.n; i++) {
    assert_int_equal(got.v[i].log_index, (int64_t)i + 2);
    assert_string_equal(got.v[i].source, "remote");
    assert_string_equal(got.v[i].backend, PRIMARY);
    assert_string_equal(got.v[i].key_name, "rekor-key-a");
    assert_int_equal(got.v[i].outside_validity, 0);
  }
  /* The same window from the ledger alone, by name, prefix, full ID. */
  const char *ids[3] = {"rekor-key-a", NULL, x->a.log_id_hex};
  char prefix[9];
  memcpy(prefix, x->a.log_id_hex, 8);
  prefix[8] = '\0';
  ids[1] = prefix;
  for (int i = 0; i < 3; i++) {
    got.n = 0;
    assert_int_equal(stella_rekor_query(x->r, t0, x->now, ids[i], 0, collect,
                                        &got), STELLA_OK);
    assert_int_equal(got.n, 3);
  }
  /* Log B: the entry after its key's end is flagged. */
  got.n = 0;
  assert_int_equal(stella_rekor_query(x->r, at("2026-01-01T00:00:00Z"),
                                      at("2027-01-01T00:00:00Z"),
                                      "rekor-key-b", 0, collect, &got),
                   STELLA_OK);
  assert_int_equal(got.n, 2);
  assert_int_equal(got.v[0].outside_validity, 0);
  assert_int_equal(got.v[1].outside_validity, 1);
  assert_string_equal(got.v[1].key_name, "rekor-key-b");
  /* --key-id errors; a log ID we hold no key for is accepted as is. */
  prefix[7] = '\0';
  assert_int_equal(stella_rekor_query(x->r, t0, x->now, prefix, 0, collect,
                                      &got), STELLA_E_INVALID_ARG);
  assert_int_equal(stella_rekor_query(x->r, t0, x->now, "nope", 0, collect,
                                      &got), STELLA_E_NOT_FOUND);
  assert_non_null(strstr(stella_rekor_errmsg(x->r), "--key-id nope"));
  char unknown[65];
  memset(unknown, 'f', 64);
  unknown[64] = '\0';
  got.n = 0;
  assert_int_equal(stella_rekor_query(x->r, t0, x->now, unknown, 0, collect,
                                      &got), STELLA_OK);
  assert_int_equal(got.n, 0);
  assert_int_equal(stella_rekor_query(x->r, x->now, x->now, NULL, 0, collect,
                                      &got), STELLA_E_INVALID_ARG);
}

/* A POST /entries/retrieve reply: [{uuid: entry}, ...] for these indexes
 * of the primary's log (6 entries). */
static void retrieve_reply(fx *x, const int *idx, size_t n) {
  sbuf b = SBUF_INIT, one = SBUF_INIT;
  sbuf_append_char(&b, '[');
  for (size_t i = 0; i < n; i++) {
    sbuf_reset(&one);
    fake_entry(&x->a, (size_t)idx[i], 6, idx[i], &one);
    if (i)
      sbuf_append_char(&b, ',');
    sbuf_append(&b, one.data, one.len);
  }
  sbuf_append_char(&b, ']');
  mem_fetcher_add_post(x->f, PRIMARY "/api/v1/log/entries/retrieve", 200,
                       b.data, b.len, NULL);
  sbuf_free(&one);
  sbuf_free(&b);
}

/* --remote fetches the window ten indexes a request; a reply with an
 * entry not asked for is the backend's failure. */
static void test_query_retrieve(void **state) {
  fx *x = *state;
  rows got = {0};
  int64_t t0 = x->now - 1000;
  seed(&x->a, 0, 6, t0, 100);
  fake_serve(x->f, PRIMARY, &x->a, 6);
  retrieve_reply(x, (const int[]){2, 3, 5}, 3);
  assert_int_not_equal(stella_rekor_query(x->r, t0 + 150, t0 + 450, NULL, 1,
                                          collect, &got), STELLA_OK);
  assert_non_null(strstr(stella_rekor_errmsg(x->r), "not asked for"));
  assert_int_equal(got.n, 0);
  retrieve_reply(x, (const int[]){4, 2, 3}, 3); /* any order */
  mem_fetcher_clear_log(x->f);
  assert_int_equal(stella_rekor_query(x->r, t0 + 150, t0 + 450, NULL, 1,
                                      collect, &got), STELLA_OK);
  assert_int_equal(got.n, 3);
  for (size_t i = 0; i < got.n; i++) {
    assert_int_equal(got.v[i].log_index, (int64_t)i + 2);
    assert_string_equal(got.v[i].source, "remote");
  }
  assert_int_equal(mem_fetcher_count_url(x->f, PRIMARY
                                         "/api/v1/log/entries/retrieve"), 1);
  /* A 5xx is the log failing, not "not offered": an error, and not one
   * GET per entry instead (ten times the calls to a log in trouble). */
  mem_fetcher_add_post(x->f, PRIMARY "/api/v1/log/entries/retrieve", 503,
                       "", 0, NULL);
  mem_fetcher_clear_log(x->f);
  got.n = 0;
  assert_int_equal(stella_rekor_query(x->r, t0 + 150, t0 + 450, NULL, 1,
                                      collect, &got), STELLA_E_HTTP);
  assert_non_null(strstr(stella_rekor_errmsg(x->r), "HTTP 503"));
  size_t gets = requests_to(x->f, PRIMARY "/api/v1/log/entries?");
  /* A 4xx (405: not offered here) falls back to one GET per entry. */
  mem_fetcher_add_post(x->f, PRIMARY "/api/v1/log/entries/retrieve", 405,
                       "", 0, NULL);
  mem_fetcher_clear_log(x->f);
  assert_int_equal(stella_rekor_query(x->r, t0 + 150, t0 + 450, NULL, 1,
                                      collect, &got), STELLA_OK);
  assert_int_equal(requests_to(x->f, PRIMARY "/api/v1/log/entries?"),
                   gets + 3);
}

/* query --remote holds the view it scans, and every entry, against the
 * stored checkpoint: a forked log records nothing. */
static void test_query_remote_fork(void **state) {
  fx *x = *state;
  rows got = {0};
  fake_log fork;
  int64_t t0 = x->now - 1000, count = 0;
  seed(&x->a, 0, 3, t0, 100);
  fake_serve(x->f, PRIMARY, &x->a, 3);
  loginfo_ok(x, PRIMARY);
  fake_log_fork(&fork, &x->a);
  seed(&fork, 300, 6, t0, 100);
  fake_serve(x->f, PRIMARY, &fork, 6); /* the others: 404, failures */
  assert_int_not_equal(stella_rekor_query(x->r, t0, x->now, NULL, 1,
                                          collect, &got), STELLA_OK);
  assert_non_null(strstr(stella_rekor_errmsg(x->r), "SPLIT VIEW"));
  assert_int_equal(got.n, 0);
  assert_int_equal(ledger_count(trust_store(x->t), &count), STELLA_OK);
  assert_int_equal(count, 0);
  fake_log_free(&fork);
}

/* A backend that shows a smaller tree than it showed before is refused
 * (rollback), even when the old tree is a prefix of the new one; a mirror
 * that lags behind another backend is not. */
static void test_loginfo_rollback(void **state) {
  fx *x = *state;
  stella_loginfo *v = NULL;
  size_t n = 0;
  seed(&x->a, 0, 5, x->now - 100, 0);
  fake_serve(x->f, PRIMARY, &x->a, 3);
  loginfo_ok(x, PRIMARY);
  fake_serve(x->f, PRIMARY, &x->a, 5);
  loginfo_ok(x, PRIMARY);
  fake_serve(x->f, PRIMARY, &x->a, 3); /* replays its old answer */
  assert_int_equal(stella_rekor_loginfo(x->r, PRIMARY, &v, &n),
                   STELLA_E_ROLLBACK);
  assert_int_equal(v[0].split_view, 0);
  assert_int_equal(v[0].previous_size, 5);
  assert_non_null(strstr(v[0].error, "ROLLBACK"));
  assert_non_null(strstr(stella_rekor_errmsg(x->r), "smaller than the size 5"));
  stella_loginfo_free(v, n);
  expect_last_error(x, 0, "ROLLBACK"); /* the backend's breaker failure */
  stella_backend b;
  backend_state(x, 0, &b);
  assert_int_equal(b.checkpoint_size, 5); /* nothing stored */
  backend_clear(&b);
  fake_serve(x->f, MIRROR, &x->a, 3);
  assert_int_equal(stella_rekor_loginfo(x->r, MIRROR, &v, &n), STELLA_OK);
  assert_int_equal(v[0].consistency_proven, 1);
  stella_loginfo_free(v, n);
}

/* Another process stores a bigger tree head of the same backend while this
 * one's GET /api/v1/log is on its way: the smaller answer is older, not a
 * rollback. It is proven a prefix and the bigger head stays stored. */
typedef struct racer {
  fx *x;
  int fired;
} racer;

static void race_bigger_head(void *ctx, const char *url) {
  racer *rc = ctx;
  if (rc->fired || !strstr(url, "/api/v1/log") || strstr(url, "proof"))
    return;
  rc->fired = 1;
  stella_trust *t2 = NULL;
  stella_rekor *r2 = NULL;
  stella_fetcher *f2 = mem_fetcher_new();
  stella_err e;
  stella_loginfo *v = NULL;
  size_t n = 0;
  assert_non_null(t2 = stella_trust_open(rc->x->home, &rc->x->clock, &e));
  assert_non_null(r2 = stella_rekor_open(t2, NULL, &e));
  rekor_set_fetcher(r2, f2);
  rekor_set_duration_source(r2, fake_ms, rc->x);
  fake_serve(f2, PRIMARY, &rc->x->a, 5);
  assert_int_equal(stella_rekor_loginfo(r2, PRIMARY, &v, &n), STELLA_OK);
  stella_loginfo_free(v, n);
  stella_rekor_free(r2);
  stella_trust_free(t2);
  fetch_free(f2);
}

static void test_loginfo_concurrent_bigger_head(void **state) {
  fx *x = *state;
  racer rc = {x, 0};
  stella_loginfo *v = NULL;
  size_t n = 0;
  seed(&x->a, 0, 5, x->now - 100, 0);
  fake_serve(x->f, PRIMARY, &x->a, 3);
  loginfo_ok(x, PRIMARY);
  fake_serve_proofs(x->f, PRIMARY, &x->a, 5);
  mem_fetcher_on_request(x->f, race_bigger_head, &rc);
  assert_int_equal(stella_rekor_loginfo(x->r, PRIMARY, &v, &n), STELLA_OK);
  mem_fetcher_on_request(x->f, NULL, NULL);
  assert_int_equal(rc.fired, 1);
  assert_int_equal(v[0].consistency_proven, 1);
  assert_int_equal(v[0].previous_size, 5);
  stella_loginfo_free(v, n);
  assert_int_equal(stored_size(x, 0), 5);
}

/* ---- metrics ----------------------------------------------------------------------- */

static void test_metrics(void **state) {
  fx *x = *state;
  stella_metrics m;
  stella_verify_result res;
  struct store *s = trust_store(x->t);
  assert_int_equal(stella_rekor_metrics(x->r, &m), STELLA_OK);
  assert_string_equal(m.submit_failure.name,
                      "stella_rekor_submit_failure_ratio");
  assert_true(m.metadata_age.value == -1); /* never synced */
  assert_int_equal(m.metadata_age.alert, STELLA_ALERT_CRITICAL);
  assert_int_equal(m.submit_total, 0);
  /* 1 of 20 submissions failed: 5 % is not over 5 %; 2 of 20 is. */
  for (int i = 0; i < 20; i++)
    ledger_record_op(s, x->now, "submit", PRIMARY, i != 0, "");
  assert_int_equal(stella_rekor_metrics(x->r, &m), STELLA_OK);
  assert_int_equal(m.submit_total, 20);
  assert_true(m.submit_failure.value == 0.05);
  assert_int_equal(m.submit_failure.alert, STELLA_ALERT_OK);
  ledger_record_op(s, x->now, "submit", PRIMARY, 0, "");
  assert_int_equal(stella_rekor_metrics(x->r, &m), STELLA_OK);
  assert_int_equal(m.submit_failure.alert, STELLA_ALERT_WARNING);
  /* Verifications: one ok through the API; an absent entry is no
   * verification (nothing was checked); a bundle from a log this site does
   * not trust is a failed one. */
  fake_log_add_seed(&x->a, 0, x->now - 10);
  fake_serve(x->f, PRIMARY, &x->a, 1);
  assert_int_equal(verify_index(x, "0", &res), STELLA_OK);
  assert_int_equal(verify_index(x, "5", &res), STELLA_E_NOT_FOUND);
  assert_int_not_equal(verify_file(x->r, STELLA_VERIFY_BUNDLE,
                                   "rekor-bundles/valid/prod-v1-155690850-"
                                   "dsse.json", &res), STELLA_OK);
  assert_string_equal(res.failed_check, "key");
  assert_int_equal(stella_rekor_metrics(x->r, &m), STELLA_OK);
  assert_int_equal(m.verify_total, 2);
  assert_true(m.verify_failure.value == 0.5);
  assert_int_equal(m.verify_failure.alert, STELLA_ALERT_CRITICAL);
  /* A breaker opens: one open in the hour is no alert yet. */
  mem_fetcher_add_error(x->f, PRIMARY "/api/v1/log/entries?logIndex=0",
                        STELLA_E_TIMEOUT);
  for (int i = 0; i < 3; i++)
    verify_index(x, "0", &res);
  assert_int_equal(stella_rekor_metrics(x->r, &m), STELLA_OK);
  assert_true(m.breaker_opens.value == 1);
  assert_int_equal(m.breaker_opens.alert, STELLA_ALERT_OK);
  /* A good sync 13 h ago: metadata age is a warning. */
  assert_int_equal(store_record(s, STORE_EVENT_SYNC, x->now, 1, "synced"),
                   STELLA_OK);
  x->now += 13 * 3600;
  assert_int_equal(stella_rekor_metrics(x->r, &m), STELLA_OK);
  assert_true(m.metadata_age.value == 13 * 3600);
  assert_int_equal(m.metadata_age.alert, STELLA_ALERT_WARNING);
  /* An hour later, the rolling-hour rates are empty again. */
  assert_int_equal(m.submit_total, 0);
  assert_true(m.breaker_opens.value == 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_backends, setup, teardown),
    cmocka_unit_test_setup_teardown(test_actor, setup, teardown),
    cmocka_unit_test_setup_teardown(test_config_errors, setup, teardown),
    cmocka_unit_test_setup_teardown(test_failover_and_breaker, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_neutral_and_slow, setup, teardown),
    cmocka_unit_test_setup_teardown(test_loginfo_consistency, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_split_view, setup, teardown),
    cmocka_unit_test_setup_teardown(test_loginfo_rollback, setup, teardown),
    cmocka_unit_test_setup_teardown(test_loginfo_concurrent_bigger_head,
                                    setup, teardown),
    cmocka_unit_test_setup_teardown(test_submit, setup, teardown),
    cmocka_unit_test_setup_teardown(test_submit_checks, setup, teardown),
    cmocka_unit_test_setup_teardown(test_other_log_proof, setup, teardown),
    cmocka_unit_test_setup_teardown(test_verify_remote, setup, teardown),
    cmocka_unit_test_setup_teardown(test_verify_consistency, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_verify_files_offline, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_verify_api_entry_offline, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_query, setup, teardown),
    cmocka_unit_test_setup_teardown(test_query_retrieve, setup, teardown),
    cmocka_unit_test_setup_teardown(test_query_remote_fork, setup, teardown),
    cmocka_unit_test_setup_teardown(test_metrics, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
