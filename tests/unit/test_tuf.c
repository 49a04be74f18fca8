/* test_tuf.c - TUF client behaviour on simulated repositories (tuf_sim):
 * request sequences, delegation search order, signature rules, root
 * rotation, rollback, fast-forward recovery, expiry and storage; plus the
 * path-pattern rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sys/inotify.h>
#include <unistd.h>
#include "fsutil.h"
#include "tuf_fixture.h"
#include "tuf_internal.h"
#include "tuf_sim.h"

#define NOW "2026-08-22T00:00:00Z"

typedef struct env {
  tuf_fx *fx;
  tuf_sim sim;
  tuf_limits limits;
} env;

static int setup(void **state) {
  env *e = calloc(1, sizeof *e);
  size_t len = 0;
  e->fx = fx_new(NOW);
  sim_init(&e->sim, e->fx->fetcher, FX_META_URL, FX_TARGETS_URL);
  char *root = sim_publish_root(&e->sim, &len);
  char *path = fs_join(e->fx->meta_dir, "root.json");
  assert_int_equal(fs_write_atomic(path, root, len, 0644), STELLA_OK);
  free(path);
  free(root);
  *state = e;
  return 0;
}

static int teardown(void **state) {
  env *e = *state;
  sim_free(&e->sim);
  fx_free(e->fx);
  free(e);
  return 0;
}

static tuf_client *client(env *e) {
  char err[512] = "";
  tuf_config cfg = {.metadata_dir = e->fx->meta_dir,
                    .metadata_url = FX_META_URL,
                    .targets_url = FX_TARGETS_URL,
                    .clock = &e->fx->clock,
                    .fetcher = e->fx->fetcher,
                    .limits = e->limits};
  tuf_client *c = NULL;
  if (tuf_client_new(&cfg, &c, err, sizeof err) != STELLA_OK)
    fail_msg("tuf_client_new: %s", err);
  return c;
}

/* Publishes, refreshes with a new client, returns the result. */
static stella_err refresh(env *e, char *msg, size_t msglen) {
  tuf_client *c = client(e);
  stella_err r = tuf_refresh(c);
  if (msg)
    snprintf(msg, msglen, "%s", tuf_client_errmsg(c));
  tuf_client_free(c);
  return r;
}

static void assert_refresh_ok(env *e) {
  char msg[512];
  if (refresh(e, msg, sizeof msg) != STELLA_OK)
    fail_msg("refresh: %s", msg);
}

static void assert_requests(env *e, size_t from, const char *const *urls,
                            size_t n) {
  stella_fetcher *f = e->fx->fetcher;
  if (mem_fetcher_count(f) != from + n) {
    for (size_t i = 0; i < mem_fetcher_count(f); i++)
      print_message("  request %zu: %s\n", i, mem_fetcher_request(f, i));
    fail_msg("expected %zu requests, got %zu", from + n,
             mem_fetcher_count(f));
  }
  for (size_t i = 0; i < n; i++)
    assert_string_equal(mem_fetcher_request(f, from + i), urls[i]);
}

static int64_t stored_version(env *e, const char *role) {
  int64_t v = 0;
  if (tuf_role_info(e->fx->meta_dir, role, &v, NULL) != STELLA_OK)
    return 0;
  return v;
}

/* ---- path patterns ------------------------------------------------------ */

static void test_path_patterns(void **state) {
  (void)state;
  static const struct { const char *pat, *path; int want; } cases[] = {
      {"*", "a", 1},           {"*", "a/b", 0},
      {"a/*", "a/b", 1},       {"a/*", "a/b/c", 0},
      {"*/*", "a/b", 1},       {"a/*.txt", "a/b.txt", 1},
      {"*.TXT", "a.txt", 0},   {"?", "ab", 0},
      {"??", "ab", 1},         {"[ab]x", "bx", 1},
      {"[!a]x", "ax", 0},      {"[!a]x", "bx", 1},
      {"a\\*", "a\\bc", 1},    {".*", ".hidden", 1},
      {"targets/*/file", "targets/x/file", 1},
      {"targets/*/file", "targets/x/y/file", 0},
      {"", "", 1},             {"a/", "a/", 1},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    if (tuf_path_matches(cases[i].pat, cases[i].path) != cases[i].want)
      fail_msg("pattern \"%s\" vs \"%s\": want %d", cases[i].pat,
               cases[i].path, cases[i].want);
}

/* ---- top-level workflow --------------------------------------------------- */

static void test_first_refresh_requests(void **state) {
  env *e = *state;
  static const char *const want[] = {
      FX_META_URL "2.root.json", FX_META_URL "timestamp.json",
      FX_META_URL "1.snapshot.json", FX_META_URL "1.targets.json"};
  sim_publish(&e->sim);
  assert_refresh_ok(e);
  assert_requests(e, 0, want, 4);
  /* exactly the four top-level roles, nothing else in the folder */
  char *names = fx_dir_names(e->fx->meta_dir);
  assert_string_equal(names, "root.json snapshot.json targets.json "
                             "timestamp.json");
  free(names);
  /* second refresh: only the root probe and the timestamp */
  static const char *const again[] = {FX_META_URL "2.root.json",
                                      FX_META_URL "timestamp.json"};
  assert_refresh_ok(e);
  assert_requests(e, 4, again, 2);
}

static void test_unsigned_local_root_no_network(void **state) {
  env *e = *state;
  char err[256];
  static const char bad[] = "{\"signatures\":[],\"signed\":{\"_type\":\"root\","
      "\"spec_version\":\"1.0\",\"version\":1,\"expires\":"
      "\"2030-01-01T00:00:00Z\",\"keys\":{},\"roles\":{\"root\":{\"keyids\":"
      "[],\"threshold\":1}},\"consistent_snapshot\":true}}";
  char *path = fs_join(e->fx->meta_dir, "root.json");
  assert_int_equal(fs_write_atomic(path, bad, sizeof bad - 1, 0644),
                   STELLA_OK);
  tuf_config cfg = {.metadata_dir = e->fx->meta_dir,
                    .metadata_url = FX_META_URL,
                    .fetcher = e->fx->fetcher};
  tuf_client *c = NULL;
  assert_int_equal(tuf_client_new(&cfg, &c, err, sizeof err),
                   STELLA_E_SIGNATURE);
  assert_null(c);
  assert_int_equal(mem_fetcher_count(e->fx->fetcher), 0);
  assert_int_equal(tuf_check_root_bytes(bad, sizeof bad - 1, err, sizeof err),
                   STELLA_E_SIGNATURE);
  free(path);
}

static void test_root_rotation_and_cap(void **state) {
  env *e = *state;
  size_t len;
  for (int v = 2; v <= 5; v++) {
    e->sim.prev_root_key = e->sim.root_key;
    e->sim.root_key = sim_new_key(&e->sim); /* new key each version */
    e->sim.root_version = v;
    free(sim_publish_root(&e->sim, &len));
  }
  sim_publish(&e->sim);
  e->limits.max_root_rotations = 2;
  assert_refresh_ok(e);
  assert_int_equal(stored_version(e, "root"), 3);
  assert_int_equal(mem_fetcher_count_url(e->fx->fetcher,
                                         FX_META_URL "4.root.json"), 0);
  e->limits.max_root_rotations = 0;
  assert_refresh_ok(e);
  assert_int_equal(stored_version(e, "root"), 5);
}

static void test_root_needs_old_and_new_keys(void **state) {
  env *e = *state;
  size_t len;
  char msg[512];
  e->sim.root_key = sim_new_key(&e->sim); /* no prev_root_key signature */
  e->sim.root_version = 2;
  free(sim_publish_root(&e->sim, &len));
  sim_publish(&e->sim);
  assert_int_equal(refresh(e, msg, sizeof msg), STELLA_E_SIGNATURE);
  assert_non_null(strstr(msg, "root v2"));
  assert_int_equal(stored_version(e, "root"), 1);
}

static void test_root_version_must_match_name(void **state) {
  env *e = *state;
  size_t len;
  char msg[512];
  e->sim.root_version = 3;
  char *v3 = sim_publish_root(&e->sim, &len);
  mem_fetcher_remove(e->fx->fetcher, FX_META_URL "3.root.json");
  mem_fetcher_add_bytes(e->fx->fetcher, FX_META_URL "2.root.json", v3, len);
  sim_publish(&e->sim);
  assert_int_equal(refresh(e, msg, sizeof msg), STELLA_E_VERSION);
  assert_int_equal(stored_version(e, "root"), 1);
  free(v3);
}

/* ---- signatures ----------------------------------------------------------- */

static void test_duplicate_keyid_rejects_file(void **state) {
  env *e = *state;
  char msg[512];
  snprintf(e->sim.sig_role, sizeof e->sim.sig_role, "timestamp");
  e->sim.sig_dup = 1;
  sim_publish(&e->sim);
  assert_int_equal(refresh(e, msg, sizeof msg), STELLA_E_SIGNATURE);
  assert_non_null(strstr(msg, "signs twice"));
  assert_int_equal(stored_version(e, "timestamp"), 0);
}

static void test_empty_garbage_unknown_sigs_ignored(void **state) {
  env *e = *state;
  snprintf(e->sim.sig_role, sizeof e->sim.sig_role, "snapshot");
  snprintf(e->sim.sig_extra, sizeof e->sim.sig_extra,
           "{\"keyid\":\"%s\",\"sig\":\"\"},{\"keyid\":\"%s\",\"sig\":"
           "\"zz12\"},{\"keyid\":\"00ff\",\"sig\":\"abcd\"}",
           e->sim.keyids[e->sim.targets_key], e->sim.keyids[e->sim.root_key]);
  sim_publish(&e->sim);
  assert_refresh_ok(e);
  assert_int_equal(stored_version(e, "snapshot"), 1);
}

/* ---- rollback, fast-forward, expiry -------------------------------------- */

static void test_timestamp_rollback(void **state) {
  env *e = *state;
  char msg[512];
  e->sim.timestamp_version = 2;
  sim_publish(&e->sim);
  assert_refresh_ok(e);
  e->sim.timestamp_version = 1;
  sim_publish(&e->sim);
  assert_int_equal(refresh(e, msg, sizeof msg), STELLA_E_ROLLBACK);
  assert_string_equal(msg, "timestamp v1 is older than trusted v2: rollback "
                           "refused");
  assert_int_equal(stored_version(e, "timestamp"), 2);
}

static void test_same_timestamp_version_keeps_file(void **state) {
  env *e = *state;
  sim_publish(&e->sim);
  assert_refresh_ok(e);
  size_t l1 = 0, l2 = 0;
  char *p = fs_join(e->fx->meta_dir, "timestamp.json");
  char *before = fx_slurp(p, &l1);
  e->sim.timestamp_expires = "2031-01-01T00:00:00Z"; /* same v1, new bytes */
  sim_publish(&e->sim);
  assert_refresh_ok(e);
  char *after = fx_slurp(p, &l2);
  assert_int_equal(l1, l2);
  assert_memory_equal(before, after, l1);
  free(p);
  free(before);
  free(after);
}

static void test_expired_timestamp_not_persisted(void **state) {
  env *e = *state;
  char msg[512];
  e->sim.timestamp_expires = "2026-08-01T00:00:00Z";
  sim_publish(&e->sim);
  assert_int_equal(refresh(e, msg, sizeof msg), STELLA_E_EXPIRED);
  assert_non_null(strstr(msg, "timestamp v1 expired 2026-08-01T00:00:00Z"));
  assert_int_equal(stored_version(e, "timestamp"), 0);
}

static void test_fast_forward_recovery(void **state) {
  env *e = *state;
  size_t len;
  e->sim.timestamp_version = 99;
  e->sim.snapshot_version = 99;
  sim_publish(&e->sim);
  assert_refresh_ok(e);
  /* keys of timestamp and snapshot rotate; versions restart at 1 */
  e->sim.timestamp_key = sim_new_key(&e->sim);
  e->sim.snapshot_key = sim_new_key(&e->sim);
  e->sim.root_version = 2;
  e->sim.prev_root_key = e->sim.root_key;
  free(sim_publish_root(&e->sim, &len));
  e->sim.timestamp_version = 1;
  e->sim.snapshot_version = 1;
  sim_publish(&e->sim);
  assert_refresh_ok(e);
  assert_int_equal(stored_version(e, "timestamp"), 1);
  assert_int_equal(stored_version(e, "snapshot"), 1);
}

static void test_snapshot_role_removal_is_rollback(void **state) {
  env *e = *state;
  char msg[512];
  sim_add_role(&e->sim, "targets", "A", "[\"*\"]", 0);
  sim_publish(&e->sim);
  assert_refresh_ok(e);
  e->sim.omit_from_snapshot = 1;
  e->sim.snapshot_version = 2;
  e->sim.timestamp_version = 2;
  sim_publish(&e->sim);
  assert_int_equal(refresh(e, msg, sizeof msg), STELLA_E_ROLLBACK);
  assert_non_null(strstr(msg, "no longer lists A.json"));
  assert_int_equal(stored_version(e, "snapshot"), 1);
  assert_int_equal(stored_version(e, "timestamp"), 2);
}

/* ---- delegations and downloads ------------------------------------------ */

static stella_err find(env *e, tuf_client *c, const char *path) {
  tuf_target *t = NULL;
  stella_err r = tuf_find_target(c, path, &t);
  tuf_target_free(t);
  (void)e;
  return r;
}

static void test_delegation_preorder_dfs(void **state) {
  env *e = *state;
  static const char *const want[] = {FX_META_URL "1.A.json",
                                     FX_META_URL "1.C.json",
                                     FX_META_URL "1.B.json"};
  sim_add_role(&e->sim, "targets", "A", "[\"*\"]", 0);
  sim_add_role(&e->sim, "targets", "B", "[\"*\"]", 0);
  sim_add_role(&e->sim, "A", "C", "[\"*\"]", 0);
  sim_add_role(&e->sim, "targets", "D", "[\"other/*\"]", 0);
  sim_publish(&e->sim);
  tuf_client *c = client(e);
  assert_int_equal(tuf_refresh(c), STELLA_OK);
  assert_int_equal(find(e, c, "missing"), STELLA_E_NOT_FOUND);
  assert_requests(e, 4, want, 3);
  tuf_client_free(c);
}

static void test_delegation_terminating(void **state) {
  env *e = *state;
  static const char *const want[] = {FX_META_URL "1.A.json",
                                     FX_META_URL "1.C.json"};
  sim_add_role(&e->sim, "targets", "A", "[\"*\"]", 1);
  sim_add_role(&e->sim, "targets", "B", "[\"*\"]", 0);
  sim_add_role(&e->sim, "A", "C", "[\"*\"]", 0);
  sim_publish(&e->sim);
  tuf_client *c = client(e);
  assert_int_equal(tuf_refresh(c), STELLA_OK);
  assert_int_equal(find(e, c, "missing"), STELLA_E_NOT_FOUND);
  assert_requests(e, 4, want, 2);
  tuf_client_free(c);
}

static void test_delegated_download_and_cache(void **state) {
  env *e = *state;
  sim_add_role(&e->sim, "targets", "A", "[\"sub/*/*\"]", 0);
  sim_add_target(&e->sim, "A", "sub/dir/file.txt", "hello delegated");
  sim_publish(&e->sim);
  tuf_client *c = client(e);
  tuf_target *t = NULL;
  sbuf got = SBUF_INIT;
  assert_int_equal(tuf_refresh(c), STELLA_OK);
  assert_int_equal(tuf_find_target(c, "sub/dir/file.txt", &t), STELLA_OK);
  assert_int_equal(tuf_target_length(t), 15);
  char *dest = fs_join(e->fx->target_dir, "sub%2Fdir%2Ffile.txt");
  assert_int_equal(tuf_download_target(c, t, dest, &got), STELLA_OK);
  assert_string_equal(got.data, "hello delegated");
  const char *last = mem_fetcher_request(e->fx->fetcher,
                                         mem_fetcher_count(e->fx->fetcher) -
                                             1);
  assert_non_null(strstr(last, FX_TARGETS_URL "sub/dir/"));
  assert_non_null(strstr(last, ".file.txt"));
  size_t n = mem_fetcher_count(e->fx->fetcher);
  assert_int_equal(tuf_download_target(c, t, dest, NULL), STELLA_OK);
  assert_int_equal(mem_fetcher_count(e->fx->fetcher), n); /* cached */
  assert_int_equal(stored_version(e, "A"), 1);
  free(dest);
  sbuf_free(&got);
  tuf_target_free(t);
  tuf_client_free(c);
}

static void test_delegation_not_in_snapshot(void **state) {
  env *e = *state;
  sim_add_role(&e->sim, "targets", "A", "[\"*\"]", 0);
  sim_add_target(&e->sim, "A", "f", "x");
  e->sim.omit_from_snapshot = 1;
  sim_publish(&e->sim);
  tuf_client *c = client(e);
  assert_int_equal(tuf_refresh(c), STELLA_OK);
  assert_int_equal(find(e, c, "f"), STELLA_E_NOT_FOUND);
  assert_non_null(strstr(tuf_client_errmsg(c), "does not list role A"));
  assert_int_equal(mem_fetcher_count_url(e->fx->fetcher,
                                         FX_META_URL "1.A.json"), 0);
  tuf_client_free(c);
}

static void test_unusual_role_name_stays_inside(void **state) {
  env *e = *state;
  sim_add_role(&e->sim, "targets", "../evil", "[\"*\"]", 0);
  sim_publish(&e->sim);
  tuf_client *c = client(e);
  assert_int_equal(tuf_refresh(c), STELLA_OK);
  assert_int_equal(find(e, c, "missing"), STELLA_E_NOT_FOUND);
  assert_int_equal(mem_fetcher_count_url(e->fx->fetcher,
                                         FX_META_URL "1...%2Fevil.json"), 1);
  char *inside = fs_join(e->fx->meta_dir, "..%2Fevil.json");
  char *outside = fs_join(e->fx->dir, "evil.json");
  assert_true(fs_exists(inside));
  assert_false(fs_exists(outside));
  free(inside);
  free(outside);
  tuf_client_free(c);
}

static void test_diamond_reverified_per_delegator(void **state) {
  env *e = *state;
  sim_add_role(&e->sim, "targets", "PA", "[\"a/*\"]", 0);
  sim_add_role(&e->sim, "targets", "PB", "[\"b/*\"]", 0);
  sim_add_role(&e->sim, "PA", "R", "[\"a/*\"]", 0);
  int rb = sim_add_role(&e->sim, "PB", "R", "[\"b/*\"]", 0);
  e->sim.roles[rb].no_publish = 1; /* R is signed by PA's key only */
  sim_add_target(&e->sim, "R", "a/x", "trusted A");
  sim_add_target(&e->sim, "R", "b/y", "malicious B");
  sim_publish(&e->sim);
  tuf_client *c = client(e);
  assert_int_equal(tuf_refresh(c), STELLA_OK);
  assert_int_equal(find(e, c, "a/x"), STELLA_OK);
  assert_int_equal(find(e, c, "b/y"), STELLA_E_SIGNATURE);
  assert_non_null(strstr(tuf_client_errmsg(c), "as delegated by PB"));
  tuf_client_free(c);
}

/* ---- how the root chain is stored ------------------------------------------ */

/* Serves root versions from..to, each signed by the previous key and its
 * own; with bad_at, that version lacks the previous key's signature. */
static void publish_chain(env *e, int from, int to, int bad_at) {
  size_t len;
  for (int v = from; v <= to; v++) {
    e->sim.prev_root_key = v == bad_at ? -1 : e->sim.root_key;
    e->sim.root_key = sim_new_key(&e->sim);
    e->sim.root_version = v;
    free(sim_publish_root(&e->sim, &len));
  }
  sim_publish(&e->sim);
}

/* Counts the temp files for root.json created under an inotify watch
 * (renames onto one name are coalesced by inotify; temp names differ). */
static int root_writes(int ino) {
  char events[65536] __attribute__((aligned(8)));
  int n = 0;
  ssize_t got;
  while ((got = read(ino, events, sizeof events)) > 0)
    for (ssize_t off = 0; off < got;) {
      const struct inotify_event *ev = (const void *)(events + off);
      if (ev->len && !strncmp(ev->name, ".root.json.tmp-", 15))
        n++;
      off += (ssize_t)(sizeof *ev + ev->len);
    }
  return n;
}

/* Without a root_accepted hook a 5-version chain writes root.json once,
 * with the last version (not once per version), and leaves no temp file. */
static void test_root_chain_stored_once(void **state) {
  env *e = *state;
  publish_chain(e, 2, 6, 0);
  int ino = inotify_init1(IN_NONBLOCK);
  assert_true(ino >= 0);
  assert_true(inotify_add_watch(ino, e->fx->meta_dir, IN_CREATE) >= 0);
  assert_refresh_ok(e);
  assert_int_equal(root_writes(ino), 1);
  close(ino);
  assert_int_equal(stored_version(e, "root"), 6);
  char *names = fx_dir_names(e->fx->meta_dir);
  assert_string_equal(names, "root.json snapshot.json targets.json "
                             "timestamp.json");
  free(names);
}

/* A chain that breaks still stores the last root it accepted, and nothing
 * after it was checked against the newer keys. */
static void test_root_chain_failure_keeps_accepted(void **state) {
  env *e = *state;
  char msg[512];
  publish_chain(e, 2, 5, 4);
  assert_int_equal(refresh(e, msg, sizeof msg), STELLA_E_SIGNATURE);
  assert_non_null(strstr(msg, "root v4"));
  assert_int_equal(stored_version(e, "root"), 3);
  assert_int_equal(stored_version(e, "timestamp"), 0);
  char *names = fx_dir_names(e->fx->meta_dir);
  assert_string_equal(names, "root.json");
  free(names);
}

typedef struct hook_log {
  char seen[128]; /* "version:stored " per call */
} hook_log;

static void log_root(void *ctx, int64_t version, const char *metadata_dir) {
  hook_log *log = ctx;
  int64_t stored = 0;
  tuf_role_info(metadata_dir, "root", &stored, NULL);
  size_t used = strlen(log->seen);
  snprintf(log->seen + used, sizeof log->seen - used, "%lld:%lld ",
           (long long)version, (long long)stored);
}

/* The root_accepted hook sees every accepted version in order, each while
 * root.json holds it, also when the chain breaks later. */
static void test_root_hook_sees_each_version(void **state) {
  env *e = *state;
  hook_log log = {""};
  publish_chain(e, 2, 5, 5);
  tuf_config cfg = {.metadata_dir = e->fx->meta_dir,
                    .metadata_url = FX_META_URL,
                    .targets_url = FX_TARGETS_URL,
                    .clock = &e->fx->clock,
                    .fetcher = e->fx->fetcher,
                    .root_accepted = log_root,
                    .root_accepted_ctx = &log};
  tuf_client *c = NULL;
  assert_int_equal(tuf_client_new(&cfg, &c, NULL, 0), STELLA_OK);
  assert_int_equal(tuf_refresh(c), STELLA_E_SIGNATURE);
  tuf_client_free(c);
  assert_string_equal(log.seen, "2:2 3:3 4:4 ");
  assert_int_equal(stored_version(e, "root"), 4);
}

/* Files accepted before a later step fails are stored (the pending batch
 * is committed on failure too). */
static void test_accepted_before_failure_stored(void **state) {
  env *e = *state;
  char msg[512];
  snprintf(e->sim.sig_role, sizeof e->sim.sig_role, "snapshot");
  e->sim.sig_dup = 1;
  sim_publish(&e->sim);
  assert_int_equal(refresh(e, msg, sizeof msg), STELLA_E_SIGNATURE);
  assert_int_equal(stored_version(e, "timestamp"), 1);
  assert_int_equal(stored_version(e, "snapshot"), 0);
  char *names = fx_dir_names(e->fx->meta_dir);
  assert_string_equal(names, "root.json timestamp.json");
  free(names);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_path_patterns),
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
      T(test_first_refresh_requests),
      T(test_unsigned_local_root_no_network),
      T(test_root_rotation_and_cap),
      T(test_root_needs_old_and_new_keys),
      T(test_root_version_must_match_name),
      T(test_root_chain_stored_once),
      T(test_root_chain_failure_keeps_accepted),
      T(test_root_hook_sees_each_version),
      T(test_accepted_before_failure_stored),
      T(test_duplicate_keyid_rejects_file),
      T(test_empty_garbage_unknown_sigs_ignored),
      T(test_timestamp_rollback),
      T(test_same_timestamp_version_keeps_file),
      T(test_expired_timestamp_not_persisted),
      T(test_fast_forward_recovery),
      T(test_snapshot_role_removal_is_rollback),
      T(test_delegation_preorder_dfs),
      T(test_delegation_terminating),
      T(test_delegated_download_and_cache),
      T(test_delegation_not_in_snapshot),
      T(test_unusual_role_name_stays_inside),
      T(test_diamond_reverified_per_delegator),
#undef T
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
