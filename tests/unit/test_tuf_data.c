/* test_tuf_data.c - the TUF client against the real data sets in
 * tests/data/tuf-*: Sigstore's production chain (good at 2026-08-22, expired
 * at 2026-12-03, tolerated with allow_stale), the Sigstore must-reject
 * cases, python-tuf's RSA-PSS/ed25519 repository with delegations, and
 * broken replies that must leave trusted files untouched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "fsutil.h"
#include "tuf_fixture.h"

#define T1 "2026-08-22T00:00:00Z"
#define T2 "2026-12-03T00:00:00Z"
#define SIG "tuf-sigstore-public-good"
#define NEG "tuf-sigstore-negative"
#define PYT "tuf-python-tuf-repository"

static void assert_role(tuf_fx *fx, const char *role, int64_t version) {
  int64_t v = 0, exp = 0;
  assert_int_equal(tuf_role_info(fx->meta_dir, role, &v, &exp), STELLA_OK);
  assert_int_equal(v, version);
}

static void assert_msg_has(tuf_client *c, const char *needle) {
  if (!strstr(tuf_client_errmsg(c), needle))
    fail_msg("error \"%s\" lacks \"%s\"", tuf_client_errmsg(c), needle);
}

/* Downloads path into target_dir/<flat name>, returns the stella_err. */
static stella_err fetch_target(tuf_client *c, tuf_fx *fx, const char *path,
                               sbuf *content) {
  tuf_target *t = NULL;
  sbuf name = SBUF_INIT;
  stella_err e = tuf_find_target(c, path, &t);
  if (e == STELLA_OK) {
    fs_pct_encode(path, strlen(path), &name);
    char *dest = fs_join(fx->target_dir, name.data);
    e = tuf_download_target(c, t, dest, content);
    free(dest);
  }
  sbuf_free(&name);
  tuf_target_free(t);
  return e;
}

static tuf_fx *sigstore_fx(const char *now, int root_version) {
  char rel[64];
  tuf_fx *fx = fx_new(now);
  snprintf(rel, sizeof rel, "metadata/root_history/%d.root.json",
           root_version);
  fx_seed(fx, SIG, rel, "root.json");
  fx_serve_sigstore(fx);
  return fx;
}

/* ---- Sigstore public-good ---------------------------------------------- */

static void test_sigstore_chain_1_to_15_and_targets(void **state) {
  (void)state;
  tuf_fx *fx = sigstore_fx(T1, 1);
  tuf_client *c = fx_client(fx);
  assert_int_equal(tuf_refresh(c), STELLA_OK);
  assert_role(fx, "root", 15);
  assert_role(fx, "timestamp", 762);
  assert_role(fx, "snapshot", 165);
  assert_role(fx, "targets", 14);
  assert_true(fx_same_as_data(fx, "root.json", SIG, "metadata/root.json"));
  assert_true(fx_same_as_data(fx, "timestamp.json", SIG,
                              "metadata/timestamp.json"));
  /* exact request order: roots 2..16 (404), then the top-level roles */
  assert_int_equal(mem_fetcher_count(fx->fetcher), 18);
  assert_string_equal(mem_fetcher_request(fx->fetcher, 0),
                      FX_META_URL "2.root.json");
  assert_string_equal(mem_fetcher_request(fx->fetcher, 14),
                      FX_META_URL "16.root.json");
  assert_string_equal(mem_fetcher_request(fx->fetcher, 15),
                      FX_META_URL "timestamp.json");
  assert_string_equal(mem_fetcher_request(fx->fetcher, 16),
                      FX_META_URL "165.snapshot.json");
  assert_string_equal(mem_fetcher_request(fx->fetcher, 17),
                      FX_META_URL "14.targets.json");
  size_t n;
  const char *const *paths = fx_sigstore_targets(&n);
  for (size_t i = 0; i < n; i++) {
    sbuf got = SBUF_INIT;
    char rel[256];
    size_t want_len = 0;
    snprintf(rel, sizeof rel, "targets/%s", paths[i]);
    char *wp = fx_data_path(SIG, rel), *want = fx_slurp(wp, &want_len);
    if (fetch_target(c, fx, paths[i], &got) != STELLA_OK)
      fail_msg("%s: %s", paths[i], tuf_client_errmsg(c));
    assert_int_equal(got.len, want_len);
    assert_memory_equal(got.data, want, want_len);
    sbuf_free(&got);
    free(want);
    free(wp);
  }
  assert_role(fx, "registry.npmjs.org", 8);
  assert_true(fx_same_as_data(fx, "registry.npmjs.org.json", SIG,
                              "metadata/registry.npmjs.org.json"));
  tuf_client_free(c);
  fx_free(fx);
}

static void test_sigstore_second_refresh_reuses_local(void **state) {
  (void)state;
  tuf_fx *fx = sigstore_fx(T1, 1);
  tuf_client *c = fx_client(fx);
  assert_int_equal(tuf_refresh(c), STELLA_OK);
  tuf_client_free(c);
  mem_fetcher_clear_log(fx->fetcher);
  c = fx_client(fx);
  assert_int_equal(tuf_refresh(c), STELLA_OK);
  assert_int_equal(mem_fetcher_count(fx->fetcher), 2);
  assert_string_equal(mem_fetcher_request(fx->fetcher, 0),
                      FX_META_URL "16.root.json");
  assert_string_equal(mem_fetcher_request(fx->fetcher, 1),
                      FX_META_URL "timestamp.json");
  /* artifact cache: the second download makes no request */
  assert_int_equal(fetch_target(c, fx, "rekor.pub", NULL), STELLA_OK);
  size_t before = mem_fetcher_count(fx->fetcher);
  assert_int_equal(fetch_target(c, fx, "rekor.pub", NULL), STELLA_OK);
  assert_int_equal(mem_fetcher_count(fx->fetcher), before);
  tuf_client_free(c);
  fx_free(fx);
}

static void test_sigstore_expired_root_at_T2(void **state) {
  (void)state;
  tuf_fx *fx = sigstore_fx(T2, 1);
  tuf_client *c = fx_client(fx);
  assert_int_equal(tuf_refresh(c), STELLA_E_EXPIRED);
  assert_msg_has(c, "root v15 expired 2026-11-20T13:58:18Z");
  /* the chain was persisted, and timestamp never asked for (5.3.10) */
  assert_true(fx_same_as_data(fx, "root.json", SIG, "metadata/root.json"));
  assert_int_equal(mem_fetcher_count_url(fx->fetcher,
                                         FX_META_URL "timestamp.json"), 0);
  tuf_client_free(c);
  fx_free(fx);
}

static int stale_has(tuf_client *c, const char *role) {
  size_t n = 0;
  const tuf_stale *s = tuf_client_stale(c, &n);
  for (size_t i = 0; i < n; i++)
    if (strcmp(s[i].role, role) == 0)
      return 1;
  return 0;
}

static void test_sigstore_allow_stale_120d_at_T2(void **state) {
  (void)state;
  tuf_fx *fx = sigstore_fx(T2, 1);
  fx->allow_stale_seconds = 120 * 86400;
  tuf_client *c = fx_client(fx);
  if (tuf_refresh(c) != STELLA_OK)
    fail_msg("%s", tuf_client_errmsg(c));
  assert_int_equal(fetch_target(c, fx, "registry.npmjs.org/keys.json", NULL),
                   STELLA_OK);
  assert_true(stale_has(c, "root"));
  assert_true(stale_has(c, "timestamp"));
  assert_true(stale_has(c, "registry.npmjs.org"));
  assert_false(stale_has(c, "snapshot"));
  assert_false(stale_has(c, "targets"));
  assert_non_null(strstr(fx->notes.data,
                         "WARNING: tolerating expired timestamp (expired "
                         "2026-08-28T19:25:56Z, 96d ago) because of "
                         "--allow-stale --max-age 120d"));
  tuf_client_free(c);
  fx_free(fx);
}

static void test_sigstore_allow_stale_too_short(void **state) {
  (void)state;
  tuf_fx *fx = sigstore_fx(T2, 1);
  fx->allow_stale_seconds = 30 * 86400; /* root 13d: ok; timestamp 96d: no */
  tuf_client *c = fx_client(fx);
  assert_int_equal(tuf_refresh(c), STELLA_E_EXPIRED);
  assert_msg_has(c, "timestamp v762 expired 2026-08-28T19:25:56Z");
  assert_true(stale_has(c, "root"));
  assert_false(fs_exists(fx->meta_dir) &&
               tuf_role_info(fx->meta_dir, "timestamp", NULL, NULL) ==
                   STELLA_OK);
  tuf_client_free(c);
  fx_free(fx);
}

/* ---- Sigstore negative cases ------------------------------------------ */

static void serve_neg(tuf_fx *fx, const char *url_name, const char *rel) {
  char url[256];
  char *p = fx_data_path(NEG, rel);
  snprintf(url, sizeof url, FX_META_URL "%s", url_name);
  mem_fetcher_add_file(fx->fetcher, url, p);
  free(p);
}

static void test_neg_root15_partial_3of5_verifies(void **state) {
  (void)state;
  tuf_fx *fx = sigstore_fx(T1, 14);
  serve_neg(fx, "15.root.json", "real/root15.partial-3of5.json");
  tuf_client *c = fx_client(fx);
  if (tuf_refresh(c) != STELLA_OK)
    fail_msg("%s", tuf_client_errmsg(c));
  assert_role(fx, "root", 15);
  assert_true(fx_same_as_data(fx, "root.json", NEG,
                              "real/root15.partial-3of5.json"));
  tuf_client_free(c);
  fx_free(fx);
}

static void test_neg_root15_partial_2of5_rejected(void **state) {
  (void)state;
  tuf_fx *fx = sigstore_fx(T1, 14);
  serve_neg(fx, "15.root.json", "real/root15.partial-2of5.json");
  tuf_client *c = fx_client(fx);
  assert_int_equal(tuf_refresh(c), STELLA_E_SIGNATURE);
  assert_msg_has(c, "2 of threshold 3");
  assert_true(fx_same_as_data(fx, "root.json", SIG,
                              "metadata/root_history/14.root.json"));
  tuf_client_free(c);
  fx_free(fx);
}

static void test_neg_targets14_partial_2of5_rejected(void **state) {
  (void)state;
  tuf_fx *fx = sigstore_fx(T1, 15);
  serve_neg(fx, "14.targets.json", "real/targets14.partial-2of5.json");
  tuf_client *c = fx_client(fx);
  assert_int_equal(tuf_refresh(c), STELLA_E_SIGNATURE);
  assert_msg_has(c, "targets: 2 of threshold 3");
  assert_role(fx, "snapshot", 165); /* accepted before the failure: kept */
  assert_int_equal(tuf_role_info(fx->meta_dir, "targets", NULL, NULL),
                   STELLA_E_NOT_FOUND);
  tuf_client_free(c);
  fx_free(fx);
}

static void test_neg_timestamp_v761_rollback(void **state) {
  (void)state;
  tuf_fx *fx = sigstore_fx(T1, 15);
  tuf_client *c = fx_client(fx);
  assert_int_equal(tuf_refresh(c), STELLA_OK);
  serve_neg(fx, "timestamp.json", "real/timestamp.v761.json");
  assert_int_equal(tuf_refresh(c), STELLA_E_ROLLBACK);
  assert_msg_has(c, "timestamp v761 is older than trusted v762: rollback "
                    "refused");
  assert_true(fx_same_as_data(fx, "timestamp.json", SIG,
                              "metadata/timestamp.json"));
  tuf_client_free(c);
  fx_free(fx);
}

static void test_neg_snapshot_v156_old_keyid(void **state) {
  (void)state;
  tuf_fx *fx = sigstore_fx(T1, 15);
  serve_neg(fx, "165.snapshot.json", "real/snapshot.v156.old-keyid.json");
  tuf_client *c = fx_client(fx);
  assert_int_equal(tuf_refresh(c), STELLA_E_SIGNATURE);
  assert_msg_has(c, "0 of threshold 1");
  assert_int_equal(tuf_role_info(fx->meta_dir, "snapshot", NULL, NULL),
                   STELLA_E_NOT_FOUND);
  tuf_client_free(c);
  fx_free(fx);
}

static void test_neg_timestamp_expires_extended(void **state) {
  (void)state;
  tuf_fx *fx = sigstore_fx(T1, 15);
  serve_neg(fx, "timestamp.json", "tampered/timestamp.expires-extended.json");
  tuf_client *c = fx_client(fx);
  assert_int_equal(tuf_refresh(c), STELLA_E_SIGNATURE);
  assert_int_equal(tuf_role_info(fx->meta_dir, "timestamp", NULL, NULL),
                   STELLA_E_NOT_FOUND);
  tuf_client_free(c);
  fx_free(fx);
}

static void test_neg_root2_same_signature_3_times(void **state) {
  (void)state;
  tuf_fx *fx = sigstore_fx(T1, 1);
  serve_neg(fx, "2.root.json", "tampered/root2.same-signature-3-times.json");
  tuf_client *c = fx_client(fx);
  assert_int_equal(tuf_refresh(c), STELLA_E_SIGNATURE);
  assert_msg_has(c, "signs twice");
  assert_true(fx_same_as_data(fx, "root.json", SIG,
                              "metadata/root_history/1.root.json"));
  tuf_client_free(c);
  fx_free(fx);
}

/* ---- python-tuf repository --------------------------------------------- */

static void test_python_tuf_repository(void **state) {
  (void)state;
  static const char *const files[] = {"file1.txt", "file2.txt", "file3.txt"};
  tuf_fx *fx = fx_new(T1);
  char *meta = fx_data_path(PYT, "metadata"), *tg = fx_data_path(PYT,
                                                                 "targets");
  fx_seed(fx, PYT, "metadata/1.root.json", "root.json");
  mem_fetcher_add_dir(fx->fetcher, FX_META_URL, meta);
  mem_fetcher_add_dir(fx->fetcher, FX_TARGETS_URL, tg);
  tuf_client *c = fx_client(fx);
  if (tuf_refresh(c) != STELLA_OK)
    fail_msg("%s", tuf_client_errmsg(c));
  /* consistent_snapshot is false here: plain names */
  assert_int_equal(mem_fetcher_count_url(fx->fetcher,
                                         FX_META_URL "snapshot.json"), 1);
  for (size_t i = 0; i < 3; i++) {
    sbuf got = SBUF_INIT;
    if (fetch_target(c, fx, files[i], &got) != STELLA_OK)
      fail_msg("%s: %s", files[i], tuf_client_errmsg(c));
    assert_true(got.len > 0);
    sbuf_free(&got);
  }
  assert_role(fx, "role1", 1); /* file3 came through the delegation */
  assert_int_equal(fetch_target(c, fx, "nope.txt", NULL), STELLA_E_NOT_FOUND);
  tuf_client_free(c);
  free(meta);
  free(tg);
  fx_free(fx);
}

/* ---- broken replies ----------------------------------------------------- */

static void check_bad_timestamp(const void *body, size_t len,
                                stella_err want) {
  tuf_fx *fx = sigstore_fx(T1, 15);
  tuf_client *c = fx_client(fx);
  assert_int_equal(tuf_refresh(c), STELLA_OK);
  size_t before_len = 0, after_len = 0;
  char *before = fx_dir_image(fx->meta_dir, &before_len);
  mem_fetcher_add_bytes(fx->fetcher, FX_META_URL "timestamp.json", body, len);
  assert_int_equal(tuf_refresh(c), want);
  assert_true(strlen(tuf_client_errmsg(c)) > 0);
  assert_null(strchr(tuf_client_errmsg(c), '\n'));
  char *after = fx_dir_image(fx->meta_dir, &after_len);
  assert_int_equal(before_len, after_len);
  assert_memory_equal(before, after, before_len);
  free(before);
  free(after);
  tuf_client_free(c);
  fx_free(fx);
}

static void test_bad_truncated_json(void **state) {
  (void)state;
  size_t len = 0;
  char *p = fx_data_path(SIG, "metadata/timestamp.json");
  char *ts = fx_slurp(p, &len);
  check_bad_timestamp(ts, len / 2, STELLA_E_PARSE);
  free(ts);
  free(p);
}

static void test_bad_html_page(void **state) {
  (void)state;
  static const char html[] = "<!DOCTYPE html><html><body>Welcome to the "
                             "captive portal</body></html>\n";
  check_bad_timestamp(html, sizeof html - 1, STELLA_E_PARSE);
}

static void test_bad_oversize_body(void **state) {
  (void)state;
  size_t len = 20000;
  char *big = malloc(len);
  memset(big, ' ', len);
  big[0] = '{';
  big[len - 1] = '}';
  check_bad_timestamp(big, len, STELLA_E_TOO_LARGE);
  free(big);
}

static void test_bad_wrong_type(void **state) {
  (void)state;
  size_t len = 0;
  char *p = fx_data_path(SIG, "metadata/snapshot.json");
  char *snap = fx_slurp(p, &len);
  check_bad_timestamp(snap, len, STELLA_E_FORMAT);
  free(snap);
  free(p);
}

static void test_tampered_target_rejected(void **state) {
  (void)state;
  tuf_fx *fx = sigstore_fx(T1, 15);
  tuf_client *c = fx_client(fx);
  assert_int_equal(tuf_refresh(c), STELLA_OK);
  /* a good download first, to learn the served URL */
  char *dest = fs_join(fx->target_dir, "rekor.pub");
  assert_int_equal(fetch_target(c, fx, "rekor.pub", NULL), STELLA_OK);
  char *url = strdup(mem_fetcher_request(fx->fetcher,
                                         mem_fetcher_count(fx->fetcher) - 1));
  assert_int_equal(fs_remove(dest), STELLA_OK);
  /* then the same length with one bit flipped */
  size_t len = 0;
  char *p = fx_data_path(SIG, "targets/rekor.pub"), *bytes = fx_slurp(p, &len);
  bytes[10] ^= 1;
  mem_fetcher_add_bytes(fx->fetcher, url, bytes, len);
  assert_int_equal(fetch_target(c, fx, "rekor.pub", NULL), STELLA_E_HASH);
  assert_false(fs_exists(dest));
  free(url);
  free(dest);
  free(bytes);
  free(p);
  tuf_client_free(c);
  fx_free(fx);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sigstore_chain_1_to_15_and_targets),
      cmocka_unit_test(test_sigstore_second_refresh_reuses_local),
      cmocka_unit_test(test_sigstore_expired_root_at_T2),
      cmocka_unit_test(test_sigstore_allow_stale_120d_at_T2),
      cmocka_unit_test(test_sigstore_allow_stale_too_short),
      cmocka_unit_test(test_neg_root15_partial_3of5_verifies),
      cmocka_unit_test(test_neg_root15_partial_2of5_rejected),
      cmocka_unit_test(test_neg_targets14_partial_2of5_rejected),
      cmocka_unit_test(test_neg_timestamp_v761_rollback),
      cmocka_unit_test(test_neg_snapshot_v156_old_keyid),
      cmocka_unit_test(test_neg_timestamp_expires_extended),
      cmocka_unit_test(test_neg_root2_same_signature_3_times),
      cmocka_unit_test(test_python_tuf_repository),
      cmocka_unit_test(test_bad_truncated_json),
      cmocka_unit_test(test_bad_html_page),
      cmocka_unit_test(test_bad_oversize_body),
      cmocka_unit_test(test_bad_wrong_type),
      cmocka_unit_test(test_tampered_target_rejected),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
