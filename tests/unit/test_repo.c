/* test_repo.c - the repository workspace (include/stella/repo.h): init
 * writes a service map our own parser reads, sign/publish semantics, and
 * every bad input of issue 3 with one clear error and the published
 * folders untouched (a hash of the whole tree before and after). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "crypto.h"
#include "crypto_sign.h"
#include "fsutil.h"
#include "repo_internal.h"
#include "servicemap.h"
#include "servicemap_signing.h"
#include "stella/repo.h"

#define DAY 86400

typedef struct fx {
  char dir[64];        /* temp folder of the test */
  char repo[128], web[128], pub[128], pub2[128];
  int64_t now;
  stella_clock clock;
  stella_repo *r;
} fx;

static int64_t fx_now(void *ctx) { return *(int64_t *)ctx; }

static void write_pub(const char *path) {
  crypto_signer *s = NULL;
  sbuf pem = SBUF_INIT;
  assert_int_equal(crypto_signer_generate("ecdsa-p256", &s), STELLA_OK);
  assert_int_equal(crypto_signer_public_pem(s, &pem), STELLA_OK);
  assert_int_equal(fs_write_atomic(path, pem.data, pem.len, 0644), STELLA_OK);
  sbuf_free(&pem);
  crypto_signer_free(s);
}

static const char *mirrors[] = {"https://mirror.example.test"};

/* A workspace with 3 root holders (threshold 2), published once to web. */
static int setup(void **state) {
  fx *f = calloc(1, sizeof *f);
  snprintf(f->dir, sizeof f->dir, "/tmp/stella-repo-XXXXXX");
  assert_non_null(mkdtemp(f->dir));
  snprintf(f->repo, sizeof f->repo, "%s/repo", f->dir);
  snprintf(f->web, sizeof f->web, "%s/web", f->dir);
  snprintf(f->pub, sizeof f->pub, "%s/rekor-key-v1.pub", f->dir);
  snprintf(f->pub2, sizeof f->pub2, "%s/rekor-key-v2.pub", f->dir);
  write_pub(f->pub);
  write_pub(f->pub2);
  f->now = (int64_t)time(NULL);
  f->clock.now = fx_now;
  f->clock.ctx = &f->now;
  f->r = stella_repo_new(&f->clock, NULL, NULL);
  stella_repo_init_opts o = {.rekor_url = "https://rekor.example.test",
                             .rekor_key_file = f->pub, .root_keys = 3,
                             .root_threshold = 2, .mirror_urls = mirrors,
                             .n_mirror_urls = 1};
  assert_int_equal(stella_repo_init(f->r, f->repo, &o), STELLA_OK);
  assert_int_equal(stella_repo_publish(f->r, f->web), STELLA_OK);
  *state = f;
  return 0;
}

static int rm_entry(const char *p, const struct stat *st, int t,
                    struct FTW *w) {
  (void)st;
  (void)t;
  (void)w;
  return remove(p);
}

static int teardown(void **state) {
  fx *f = *state;
  stella_repo_free(f->r);
  nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
  free(f);
  return 0;
}

/* ---- Tree hash: names, modes and bytes of every file under a folder ------ */

static sbuf tree_acc;

static int tree_entry(const char *p, const struct stat *st, int t,
                      struct FTW *w) {
  (void)w;
  sbuf_printf(&tree_acc, "%s %o\n", p, (unsigned)st->st_mode);
  if (t == FTW_F)
    fs_read_file(p, 0, &tree_acc);
  return 0;
}

static void tree_hash(const char *dir, char out[65]) {
  uint8_t d[32];
  sbuf_reset(&tree_acc);
  nftw(dir, tree_entry, 16, FTW_PHYS);
  crypto_sha256(tree_acc.data ? tree_acc.data : "", tree_acc.len, d);
  hex_encode(d, 32, out);
}

typedef struct snap {
  char web[65], pub[65];
} snap;

static void take(fx *f, snap *s) {
  char pub[160];
  snprintf(pub, sizeof pub, "%s/published", f->repo);
  tree_hash(f->web, s->web);
  tree_hash(pub, s->pub);
}

static void assert_untouched(fx *f, const snap *before) {
  snap after;
  take(f, &after);
  assert_string_equal(before->web, after.web);
  assert_string_equal(before->pub, after.pub);
}

static char *staged(fx *f, const char *rel) {
  char p[256];
  snprintf(p, sizeof p, "%s/%s", f->repo, rel);
  return strdup(p);
}

/* ---- Init and the service map -------------------------------------------- */

static void test_init_service_map_parses(void **state) {
  fx *f = *state;
  servicemap sm = {0};
  sbuf b = SBUF_INIT;
  char why[256];
  char *p = staged(f, "staged/targets/trusted_root.json");
  assert_int_equal(fs_read_file(p, 0, &b), STELLA_OK);
  assert_int_equal(servicemap_add_trusted_root(&sm, b.data, b.len, why,
                                               sizeof why), STELLA_OK);
  assert_int_equal(sm.n_keys, 1);
  assert_string_equal(sm.keys[0].kind, "tlog");
  assert_string_equal(sm.keys[0].base_url, "https://rekor.example.test");
  assert_string_equal(sm.keys[0].key_type, "PKIX_ECDSA_P256_SHA_256");
  /* log ID = SHA-256 of the DER key = the fingerprint */
  assert_string_equal(sm.keys[0].log_id, sm.keys[0].fingerprint_sha256);
  assert_int_equal(sm.keys[0].valid_from, f->now);
  assert_int_equal(sm.keys[0].valid_until, 0);
  free(p);
  sbuf_reset(&b);
  p = staged(f, "staged/targets/signing_config.v0.2.json");
  assert_int_equal(fs_read_file(p, 0, &b), STELLA_OK);
  assert_int_equal(servicemap_add_signing_config(&sm, b.data, b.len, why,
                                                 sizeof why), STELLA_OK);
  assert_int_equal(sm.n_endpoints, 2);
  assert_string_equal(sm.endpoints[0].url, "https://rekor.example.test");
  assert_string_equal(sm.endpoints[0].kind, "rekor");
  assert_int_equal(sm.endpoints[0].api_version, 1);
  assert_string_equal(sm.endpoints[0].operator_name, "rekor.example.test");
  assert_string_equal(sm.endpoints[1].url, "https://mirror.example.test");
  free(p);
  sbuf_reset(&b);
  p = staged(f, "staged/targets/signing_keys.json");
  assert_int_equal(fs_read_file(p, 0, &b), STELLA_OK);
  assert_int_equal(servicemap_add_signing_keys(&sm, b.data, b.len, why,
                                               sizeof why), STELLA_OK);
  assert_string_equal(sm.keys[0].name, "rekor-key-v1");
  free(p);
  sbuf_free(&b);
  servicemap_clear(&sm);
}

static void test_init_key_files_private(void **state) {
  fx *f = *state;
  static const char *const keys[] = {
    "keys/root/holder-1.pem", "keys/root/holder-2.pem",
    "keys/root/holder-3.pem", "keys/targets/targets.pem",
    "keys/snapshot/snapshot.pem", "keys/timestamp/timestamp.pem"};
  struct stat st;
  for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
    char *p = staged(f, keys[i]);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    free(p);
  }
  char *p = staged(f, "keys");
  assert_int_equal(stat(p, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0700);
  free(p);
}

static void test_init_refuses(void **state) {
  fx *f = *state;
  stella_repo_init_opts o = {.rekor_url = "https://r.test",
                             .rekor_key_file = f->pub, .root_keys = 2,
                             .root_threshold = 3};
  char dir[160];
  snprintf(dir, sizeof dir, "%s/other", f->dir);
  /* a threshold that can never be met */
  assert_int_equal(stella_repo_init(f->r, dir, &o), STELLA_E_INVALID_ARG);
  assert_non_null(strstr(stella_repo_errmsg(f->r), "can never be met"));
  /* a missing log key file */
  o.root_threshold = 1;
  o.rekor_key_file = "/nonexistent/rekor.pub";
  assert_int_equal(stella_repo_init(f->r, dir, &o), STELLA_E_NOT_FOUND);
  assert_false(fs_exists(dir));
  /* a private key given as the log's public key */
  char *priv = staged(f, "keys/targets/targets.pem");
  o.rekor_key_file = priv;
  assert_int_equal(stella_repo_init(f->r, dir, &o), STELLA_E_PARSE);
  assert_non_null(strstr(stella_repo_errmsg(f->r), "not a PEM public key"));
  free(priv);
  /* URLs that would be stored and shown: a password, an escape sequence;
   * one endpoint twice (trailing '/' aside) */
  o.rekor_key_file = f->pub;
  o.rekor_url = "https://admin:S3cretPW@r.test";
  assert_int_equal(stella_repo_init(f->r, dir, &o), STELLA_E_INVALID_ARG);
  assert_non_null(strstr(stella_repo_errmsg(f->r), "--rekor-url"));
  assert_null(strstr(stella_repo_errmsg(f->r), "S3cretPW"));
  static const char *const esc[] = {"http://m.test/\x1b]0;PWNED\a\x1b[2J"};
  o.rekor_url = "https://r.test";
  o.mirror_urls = esc;
  o.n_mirror_urls = 1;
  assert_int_equal(stella_repo_init(f->r, dir, &o), STELLA_E_INVALID_ARG);
  assert_non_null(strstr(stella_repo_errmsg(f->r), "control character"));
  assert_null(strchr(stella_repo_errmsg(f->r), '\x1b'));
  static const char *const twice[] = {"https://m.test", "https://r.test/"};
  o.mirror_urls = twice;
  o.n_mirror_urls = 2;
  assert_int_equal(stella_repo_init(f->r, dir, &o), STELLA_E_INVALID_ARG);
  assert_non_null(strstr(stella_repo_errmsg(f->r), "given twice"));
  assert_false(fs_exists(dir));
  o.n_mirror_urls = 0;
  /* over an existing repository */
  assert_int_equal(stella_repo_init(f->r, f->repo, &o), STELLA_E_EXISTS);
  /* nothing left behind: only the fixture's own files */
  char cmd[256];
  snprintf(cmd, sizeof cmd, "ls -a %s | grep -c init- >/dev/null", f->dir);
  assert_int_not_equal(system(cmd), 0);
}

static void test_not_a_repo(void **state) {
  fx *f = *state;
  stella_repo *r = stella_repo_new(&f->clock, NULL, NULL);
  assert_int_equal(stella_repo_open(r, f->web), STELLA_E_NOT_FOUND);
  assert_non_null(strstr(stella_repo_errmsg(r), "not a repository"));
  assert_int_equal(stella_repo_open(r, "/nonexistent/x"), STELLA_E_NOT_FOUND);
  /* every command needs one */
  assert_int_equal(stella_repo_publish(r, NULL), STELLA_E_INVALID_ARG);
  assert_int_equal(stella_repo_endpoint_swap(r, "https://x.test", "n"),
                   STELLA_E_INVALID_ARG);
  stella_repo_free(r);
}

/* ---- Sign and publish ---------------------------------------------------- */

static void test_nothing_changed_publish_is_noop(void **state) {
  fx *f = *state;
  snap before;
  size_t n = 9;
  take(f, &before);
  assert_int_equal(stella_repo_sign(f->r, NULL, NULL, &n), STELLA_OK);
  assert_int_equal(n, 0);
  assert_int_equal(stella_repo_publish(f->r, f->web), STELLA_OK);
  assert_untouched(f, &before);
}

static void test_swap_bumps_versions(void **state) {
  fx *f = *state;
  size_t n = 9;
  assert_int_equal(stella_repo_endpoint_swap(f->r, "https://new.test",
                                             "outage"), STELLA_OK);
  f->now += 60;
  assert_int_equal(stella_repo_sign(f->r, NULL, NULL, &n), STELLA_OK);
  assert_int_equal(n, 0);
  assert_int_equal(stella_repo_publish(f->r, f->web), STELLA_OK);
  char p[256];
  snprintf(p, sizeof p, "%s/2.targets.json", f->web);
  assert_true(fs_exists(p));
  snprintf(p, sizeof p, "%s/1.targets.json", f->web); /* old kept */
  assert_true(fs_exists(p));
  snprintf(p, sizeof p, "%s/2.root.json", f->web); /* root unchanged */
  assert_false(fs_exists(p));
  /* a swap to the current primary is refused */
  assert_int_equal(stella_repo_endpoint_swap(f->r, "https://new.test", "x"),
                   STELLA_E_EXISTS);
}

/* endpoint add / remove: a mirror valid from now, then ended; an unknown
 * URL and the last valid endpoint are refused (exit 1, not usage). */
static void test_endpoint_add_remove(void **state) {
  fx *f = *state;
  assert_int_equal(stella_repo_endpoint_add(f->r, "https://m2.test", "dr"),
                   STELLA_OK);
  assert_int_equal(stella_repo_endpoint_add(f->r, "https://m2.test", NULL),
                   STELLA_E_EXISTS);
  assert_int_equal(stella_repo_endpoint_add(f->r, "ftp://m3.test", NULL),
                   STELLA_E_INVALID_ARG);
  assert_int_equal(stella_repo_endpoint_remove(f->r, "https://none.test",
                                               NULL), STELLA_E_NOT_FOUND);
  f->now += 10;
  assert_int_equal(stella_repo_endpoint_remove(
                       f->r, "https://mirror.example.test", NULL), STELLA_OK);
  assert_int_equal(stella_repo_endpoint_remove(
                       f->r, "https://mirror.example.test", NULL),
                   STELLA_E_NOT_FOUND); /* not valid any more */
  assert_int_equal(stella_repo_endpoint_remove(f->r, "https://m2.test", NULL),
                   STELLA_OK);
  assert_int_equal(stella_repo_endpoint_remove(
                       f->r, "https://rekor.example.test", NULL),
                   STELLA_E_LIMIT);
  assert_non_null(strstr(stella_repo_errmsg(f->r), "last valid"));
  json_error_t je;
  char *p = staged(f, "staged/targets/signing_config.v0.2.json");
  json_t *sc = json_load_file(p, 0, &je);
  free(p);
  assert_non_null(sc);
  json_t *list = json_object_get(sc, "rekorTlogUrls"), *it;
  size_t i, open = 0, ended = 0;
  json_array_foreach(list, i, it) {
    json_t *end = json_object_get(json_object_get(it, "validFor"), "end");
    if (end)
      ended++;
    else
      open++;
  }
  assert_int_equal(open, 1);  /* the primary */
  assert_int_equal(ended, 2); /* both mirrors, kept for history */
  assert_string_equal(json_string_value(json_object_get(
                          json_array_get(list, 0), "url")),
                      "https://rekor.example.test");
  json_decref(sc);
  assert_int_equal(stella_repo_sign(f->r, NULL, NULL, NULL), STELLA_OK);
  assert_int_equal(stella_repo_publish(f->r, f->web), STELLA_OK);
}

static json_t *staged_rekor_urls(fx *f, json_t **sc) {
  json_error_t je;
  char *p = staged(f, "staged/targets/signing_config.v0.2.json");
  *sc = json_load_file(p, 0, &je);
  free(p);
  assert_non_null(*sc);
  return json_object_get(*sc, "rekorTlogUrls");
}

static const char *url_at(json_t *list, size_t i) {
  return json_string_value(json_object_get(json_array_get(list, i), "url"));
}

/* Endpoint URLs go through url_problem (no password, no escape sequence:
 * they would be stored, published and shown) and lose a trailing '/', so
 * "https://h/" and "https://h" are one endpoint. */
static void test_endpoint_urls(void **state) {
  fx *f = *state;
  static const char *const bad[] = {
    "https://admin:S3cretPW@h.test", "http://h.test/\x1b]0;PWNED\a\x1b[2J",
    "http://h.test:99999", "http://", "ftp://h.test", "http://h .test", "",
  };
  char before[65], after[65];
  char *dir = staged(f, "staged");
  tree_hash(dir, before);
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    assert_int_equal(stella_repo_endpoint_add(f->r, bad[i], NULL),
                     STELLA_E_INVALID_ARG);
    assert_null(strstr(stella_repo_errmsg(f->r), "S3cretPW"));
    assert_null(strchr(stella_repo_errmsg(f->r), '\x1b'));
    assert_int_equal(stella_repo_endpoint_swap(f->r, bad[i], "n"),
                     STELLA_E_INVALID_ARG);
    assert_int_equal(stella_repo_rekor_key_add(f->r, f->pub2, NULL, bad[i],
                                               NULL), STELLA_E_INVALID_ARG);
    assert_non_null(strstr(stella_repo_errmsg(f->r), "--rekor-url"));
  }
  tree_hash(dir, after);
  assert_string_equal(before, after);
  free(dir);
  assert_int_equal(stella_repo_endpoint_add(f->r, "https://m2.test/", NULL),
                   STELLA_OK);
  assert_int_equal(stella_repo_endpoint_add(f->r, "https://m2.test", NULL),
                   STELLA_E_EXISTS);
  assert_int_equal(stella_repo_endpoint_swap(f->r,
                                             "https://rekor.example.test/",
                                             "n"), STELLA_E_EXISTS);
  /* the open mirror entry moves first: no second entry for it */
  assert_int_equal(stella_repo_endpoint_swap(f->r,
                                             "https://mirror.example.test//",
                                             "n"), STELLA_OK);
  assert_int_equal(stella_repo_endpoint_remove(f->r, "https://m2.test/",
                                               NULL), STELLA_OK);
  json_t *sc = NULL, *list = staged_rekor_urls(f, &sc);
  assert_int_equal(json_array_size(list), 3);
  assert_string_equal(url_at(list, 0), "https://mirror.example.test");
  assert_string_equal(url_at(list, 2), "https://m2.test");
  json_decref(sc);
}

/* Key names are printable ASCII words and notes one line of UTF-8 text:
 * both are published and shown on terminals (an escape sequence in them
 * would retitle or clear the screen of whoever reads them). */
static void test_names_and_notes(void **state) {
  fx *f = *state;
  char out[160], before[65], after[65], long_name[80], long_note[1100];
  char *dir = staged(f, "staged");
  memset(long_name, 'a', 65);
  long_name[65] = '\0';
  memset(long_note, 'n', 1001);
  long_note[1001] = '\0';
  const char *const names[] = {"evil\x1b]0;t\a", "two words", "a/b",
                               ".hidden", "", "caf\xc3\xa9", long_name};
  const char *const notes[] = {"n\x1b[2J", "tab\there", "two\nlines",
                               "c1 \xc2\x9b" "31m", "not utf-8 \xff",
                               "del\x7f", long_note};
  snprintf(out, sizeof out, "%s/pipeline", f->dir);
  assert_int_equal(stella_repo_signing_key_generate(f->r, NULL, "ci", out,
                                                    NULL), STELLA_OK);
  tree_hash(dir, before);
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
    assert_int_equal(stella_repo_rekor_key_add(f->r, f->pub2, names[i], NULL,
                                               NULL), STELLA_E_INVALID_ARG);
    assert_non_null(strstr(stella_repo_errmsg(f->r), "printable ASCII"));
    assert_null(strchr(stella_repo_errmsg(f->r), '\x1b'));
    assert_int_equal(stella_repo_signing_key_generate(f->r, NULL, names[i],
                                                      out, NULL),
                     STELLA_E_INVALID_ARG);
  }
  for (size_t i = 0; i < sizeof notes / sizeof *notes; i++) {
    assert_int_equal(stella_repo_endpoint_add(f->r, "https://m9.test",
                                              notes[i]),
                     STELLA_E_INVALID_ARG);
    assert_non_null(strstr(stella_repo_errmsg(f->r), "--note"));
    assert_int_equal(stella_repo_endpoint_swap(f->r, "https://m9.test",
                                               notes[i]),
                     STELLA_E_INVALID_ARG);
    assert_int_equal(stella_repo_rekor_key_add(f->r, f->pub2, NULL, NULL,
                                               notes[i]),
                     STELLA_E_INVALID_ARG);
    assert_int_equal(stella_repo_signing_key_retire(f->r, "ci", 0, notes[i]),
                     STELLA_E_INVALID_ARG);
  }
  tree_hash(dir, after);
  assert_string_equal(before, after); /* nothing staged by a refusal */
  free(dir);
  /* plain UTF-8 text is a note like any other */
  assert_int_equal(stella_repo_endpoint_add(f->r, "https://m9.test",
                                            "St\xc3\xb6rung \xe2\x80\x93 "
                                            "INC-9"), STELLA_OK);
  assert_int_equal(stella_repo_sign(f->r, NULL, NULL, NULL), STELLA_OK);
  assert_int_equal(stella_repo_publish(f->r, f->web), STELLA_OK);
}

/* A workspace an older stella filled (a note with an escape sequence and a
 * C1 character): sign puts '?' in their place, so publish works and no
 * client shows them. */
static void test_sign_scrubs_old_controls(void **state) {
  fx *f = *state;
  json_error_t je;
  char *custom = staged(f, "staged/custom.json");
  assert_int_equal(stella_repo_endpoint_add(f->r, "https://m2.test", NULL),
                   STELLA_OK);
  json_t *all = json_load_file(custom, 0, &je);
  assert_non_null(all);
  json_object_set_new(json_object_get(all, "signing_config.v0.2.json"),
                      "note", json_string("x\x1b]0;PWNED\a\xc2\x9b" "2J"));
  assert_int_equal(json_dump_file(all, custom, 0), 0);
  json_decref(all);
  assert_int_equal(stella_repo_sign(f->r, NULL, NULL, NULL), STELLA_OK);
  assert_int_equal(stella_repo_publish(f->r, f->web), STELLA_OK);
  char *tpath = staged(f, "staged/metadata/targets.json");
  json_t *env = json_load_file(tpath, 0, &je);
  assert_string_equal(json_string_value(json_object_get(json_object_get(
                          json_object_get(json_object_get(json_object_get(
                              env, "signed"), "targets"),
                              "signing_config.v0.2.json"), "custom"), "note")),
                      "x?]0;PWNED??2J");
  json_decref(env);
  free(tpath);
  free(custom);
}

/* ---- Bad input: one clear error, published folders untouched ------------- */

static void stage_a_change(fx *f) {
  assert_int_equal(stella_repo_endpoint_add(f->r, "https://m2.test", NULL),
                   STELLA_OK);
}

static void test_key_not_authorized(void **state) {
  fx *f = *state;
  snap before;
  take(f, &before);
  char *root_key = staged(f, "keys/root/holder-1.pem");
  stella_repo_sign_opts o = {.role = "targets", .key_file = root_key};
  assert_int_equal(stella_repo_sign(f->r, &o, NULL, NULL),
                   STELLA_E_SIGNATURE);
  assert_non_null(strstr(stella_repo_errmsg(f->r), "not authorized"));
  free(root_key);
  assert_untouched(f, &before);
}

static void test_key_missing_or_wrong(void **state) {
  fx *f = *state;
  snap before;
  take(f, &before);
  stella_repo_sign_opts o = {.role = "root", .key_file = "/nonexistent.pem"};
  assert_int_equal(stella_repo_sign(f->r, &o, NULL, NULL), STELLA_E_NOT_FOUND);
  assert_non_null(strstr(stella_repo_errmsg(f->r), "/nonexistent.pem"));
  /* a file that is not a private key (mode fine) */
  char *notkey = staged(f, "staged/custom.json.copy");
  assert_int_equal(fs_write_atomic(notkey, "{}", 2, 0600), STELLA_OK);
  o.key_file = notkey;
  assert_int_equal(stella_repo_sign(f->r, &o, NULL, NULL), STELLA_E_PARSE);
  assert_non_null(strstr(stella_repo_errmsg(f->r), "not a PEM private key"));
  unlink(notkey);
  free(notkey);
  /* a bad role */
  char *k = staged(f, "keys/root/holder-1.pem");
  o.role = "mirror";
  o.key_file = k;
  assert_int_equal(stella_repo_sign(f->r, &o, NULL, NULL),
                   STELLA_E_INVALID_ARG);
  free(k);
  assert_untouched(f, &before);
}

static void test_key_readable_by_others(void **state) {
  fx *f = *state;
  snap before;
  take(f, &before);
  char *k = staged(f, "keys/targets/targets.pem");
  stage_a_change(f);
  assert_int_equal(chmod(k, 0644), 0);
  assert_int_equal(stella_repo_sign(f->r, NULL, NULL, NULL), STELLA_E_IO);
  assert_non_null(strstr(stella_repo_errmsg(f->r), "readable by group or "
                                                   "others"));
  /* and the publish of the unsigned change is refused too */
  assert_int_not_equal(stella_repo_publish(f->r, f->web), STELLA_OK);
  assert_int_equal(chmod(k, 0600), 0);
  free(k);
  assert_untouched(f, &before);
}

static void test_threshold_cannot_be_met(void **state) {
  fx *f = *state;
  snap before;
  char err[256];
  json_t *root = NULL;
  stella_repo_missing *m = NULL;
  size_t n = 0;
  take(f, &before);
  assert_int_equal(repo_staged_load(f->r->ws, "root", &root, err, sizeof err),
                   STELLA_OK);
  json_object_set_new(json_object_get(json_object_get(json_object_get(
                          root, "signed"), "roles"), "root"),
                      "threshold", json_integer(5));
  assert_int_equal(repo_staged_save(f->r->ws, "root", root), STELLA_OK);
  json_decref(root);
  assert_int_equal(stella_repo_sign(f->r, NULL, &m, &n), STELLA_OK);
  assert_true(n >= 1);
  assert_string_equal(m[0].role, "root");
  assert_int_equal(m[0].need, 5);
  assert_int_equal(m[0].keys, 3);
  free(m);
  assert_int_equal(stella_repo_publish(f->r, f->web), STELLA_E_SIGNATURE);
  assert_non_null(strstr(stella_repo_errmsg(f->r), "can never be met"));
  assert_untouched(f, &before);
}

static void test_unwritable_web_root(void **state) {
  fx *f = *state;
  snap before;
  char bad[200];
  stage_a_change(f);
  assert_int_equal(stella_repo_sign(f->r, NULL, NULL, NULL), STELLA_OK);
  take(f, &before);
  /* under a regular file: no one can write there, not even root */
  snprintf(bad, sizeof bad, "%s/1.root.json/web", f->web);
  assert_int_equal(stella_repo_publish(f->r, bad), STELLA_E_IO);
  assert_non_null(strstr(stella_repo_errmsg(f->r), "cannot write to the web "
                                                   "root"));
  assert_untouched(f, &before);
}

/* Loads staged ROLE, lets edit change its signed part, re-signs it with
 * the key file rel (relative to the workspace) and saves it. */
static void resign(fx *f, const char *role, const char *rel,
                   void (*edit)(json_t *signed_part)) {
  char err[256], keyid[65];
  json_t *env = NULL, *keyobj = NULL;
  crypto_signer *s = NULL;
  char *key = staged(f, rel);
  assert_int_equal(repo_staged_load(f->r->ws, role, &env, err, sizeof err),
                   STELLA_OK);
  edit(json_object_get(env, "signed"));
  json_array_clear(json_object_get(env, "signatures"));
  assert_int_equal(repo_key_load(key, &s, err, sizeof err), STELLA_OK);
  assert_int_equal(repo_key_object(s, &keyobj, keyid), STELLA_OK);
  assert_int_equal(repo_sign_envelope(env, s, keyid), STELLA_OK);
  assert_int_equal(repo_staged_save(f->r->ws, role, env), STELLA_OK);
  json_decref(keyobj);
  json_decref(env);
  crypto_signer_free(s);
  free(key);
}

static void later_expiry(json_t *sp) {
  json_object_set_new(sp, "expires", json_string("2099-01-01T00:00:00Z"));
}

static void version_3(json_t *sp) {
  json_object_set_new(sp, "version", json_integer(3));
}

static void test_preflight_refuses_expired(void **state) {
  fx *f = *state;
  snap before;
  stage_a_change(f);
  assert_int_equal(stella_repo_sign(f->r, NULL, NULL, NULL), STELLA_OK);
  take(f, &before);
  f->now += 2 * DAY; /* the staged timestamp (1d) expired unsigned */
  assert_int_equal(stella_repo_publish(f->r, f->web), STELLA_E_EXPIRED);
  assert_non_null(strstr(stella_repo_errmsg(f->r), "preflight"));
  assert_untouched(f, &before);
  /* signing again refreshes it and the publish goes through */
  assert_int_equal(stella_repo_sign(f->r, NULL, NULL, NULL), STELLA_OK);
  assert_int_equal(stella_repo_publish(f->r, f->web), STELLA_OK);
}

static void version_0(json_t *sp) {
  json_object_set_new(sp, "version", json_integer(0));
}

static void test_preflight_refuses_rollback(void **state) {
  fx *f = *state;
  snap before;
  take(f, &before);
  /* a staged snapshot older than the published one, properly signed */
  resign(f, "snapshot", "keys/snapshot/snapshot.pem", version_0);
  assert_int_equal(stella_repo_publish(f->r, f->web), STELLA_E_ROLLBACK);
  assert_non_null(strstr(stella_repo_errmsg(f->r), "preflight refused"));
  assert_non_null(strstr(stella_repo_errmsg(f->r), "rollback"));
  assert_untouched(f, &before);
}

/* publish refuses, with a reason, what a client would reject: a target
 * whose bytes do not match what targets.json says (hash; caught before
 * the preflight), a published version whose bytes would change (version),
 * a root that skips a version; the published folders stay as they were. */
static void test_preflight_refuses_hash_version(void **state) {
  fx *f = *state;
  snap before;
  take(f, &before);
  /* hash: a staged target edited after signing */
  stage_a_change(f);
  assert_int_equal(stella_repo_sign(f->r, NULL, NULL, NULL), STELLA_OK);
  char *sc = staged(f, "staged/targets/signing_config.v0.2.json");
  sbuf b = SBUF_INIT;
  assert_int_equal(fs_read_file(sc, 0, &b), STELLA_OK);
  sbuf_append(&b, "\n", 1);
  assert_int_equal(fs_write_atomic(sc, b.data, b.len, 0644), STELLA_OK);
  assert_int_not_equal(stella_repo_publish(f->r, f->web), STELLA_OK);
  assert_non_null(strstr(stella_repo_errmsg(f->r), "not signed yet"));
  assert_untouched(f, &before);
  b.len--; /* put it back: the publish goes through */
  assert_int_equal(fs_write_atomic(sc, b.data, b.len, 0644), STELLA_OK);
  sbuf_free(&b);
  free(sc);
  assert_int_equal(stella_repo_publish(f->r, f->web), STELLA_OK);
  take(f, &before);
  /* version: published timestamp v2 re-signed with other bytes */
  resign(f, "timestamp", "keys/timestamp/timestamp.pem", later_expiry);
  assert_int_not_equal(stella_repo_publish(f->r, f->web), STELLA_OK);
  assert_non_null(strstr(stella_repo_errmsg(f->r), "a published version "
                                                   "never changes"));
  assert_untouched(f, &before);
  assert_int_equal(stella_repo_sign(f->r, NULL, NULL, NULL), STELLA_OK);
  /* a root that skips a version: v3 after v1, signed by every holder */
  resign(f, "root", "keys/root/holder-1.pem", version_3);
  for (int h = 2; h <= 3; h++) {
    char key[64];
    snprintf(key, sizeof key, "keys/root/holder-%d.pem", h);
    char *path = staged(f, key);
    stella_repo_sign_opts o = {.role = "root", .key_file = path};
    stella_repo_sign(f->r, &o, NULL, NULL);
    free(path);
  }
  take(f, &before);
  assert_int_not_equal(stella_repo_publish(f->r, f->web), STELLA_OK);
  assert_non_null(strstr(stella_repo_errmsg(f->r), "staged root v3 skips "
                                                   "v2"));
  assert_untouched(f, &before);
}

/* ---- Log keys and signing keys ------------------------------------------- */

static void test_rekor_key_grace(void **state) {
  fx *f = *state;
  assert_int_equal(stella_repo_rekor_key_add(f->r, f->pub2, NULL, NULL, "rotation"),
                   STELLA_OK);
  /* the same key twice, or the name twice */
  assert_int_equal(stella_repo_rekor_key_add(f->r, f->pub2, "other", NULL, NULL),
                   STELLA_E_EXISTS);
  /* the new key is not published yet: no client knows it */
  assert_int_equal(stella_repo_rekor_key_remove(f->r, "rekor-key-v1", 0, 0,
                                                NULL), STELLA_E_LIMIT);
  assert_non_null(strstr(stella_repo_errmsg(f->r), "'rekor-key-v2' is not "
                                                   "published yet"));
  assert_int_equal(stella_repo_sign(f->r, NULL, NULL, NULL), STELLA_OK);
  assert_int_equal(stella_repo_publish(f->r, f->web), STELLA_OK);
  /* published, but clients may not have synced yet */
  assert_int_equal(stella_repo_rekor_key_remove(f->r, "rekor-key-v1", 0, 0,
                                                NULL), STELLA_E_LIMIT);
  assert_non_null(strstr(stella_repo_errmsg(f->r), "--skip-grace"));
  assert_int_equal(stella_repo_rekor_key_remove(f->r, "no-such-key", 0, 1,
                                                NULL), STELLA_E_NOT_FOUND);
  f->now += DAY + 1; /* the grace period (timestamp expiry) has passed */
  assert_int_equal(stella_repo_rekor_key_remove(f->r, "rekor-key-v1", 0, 0,
                                                NULL), STELLA_OK);
  /* the last valid key can never be removed */
  assert_int_equal(stella_repo_rekor_key_remove(f->r, "rekor-key-v2", 0, 1,
                                                NULL), STELLA_E_LIMIT);
  assert_int_equal(stella_repo_sign(f->r, NULL, NULL, NULL), STELLA_OK);
  assert_int_equal(stella_repo_publish(f->r, f->web), STELLA_OK);
}

/* A mirror that is a log of its own gets its key under its own URL. */
static void test_rekor_key_for_mirror(void **state) {
  fx *f = *state;
  servicemap sm = {0};
  sbuf b = SBUF_INIT;
  char why[256];
  assert_int_equal(stella_repo_rekor_key_add(f->r, f->pub2, "mirror-log",
                                             "https://mirror.example.test",
                                             NULL), STELLA_OK);
  char *p = staged(f, "staged/targets/trusted_root.json");
  assert_int_equal(fs_read_file(p, 0, &b), STELLA_OK);
  assert_int_equal(servicemap_add_trusted_root(&sm, b.data, b.len, why,
                                               sizeof why), STELLA_OK);
  assert_int_equal(sm.n_keys, 2);
  assert_string_equal(sm.keys[0].base_url, "https://rekor.example.test");
  assert_string_equal(sm.keys[1].base_url, "https://mirror.example.test");
  free(p);
  sbuf_free(&b);
  servicemap_clear(&sm);
}

static void test_signing_keys(void **state) {
  fx *f = *state;
  char out[160], why[256];
  servicemap sm = {0};
  sbuf b = SBUF_INIT;
  snprintf(out, sizeof out, "%s/pipeline", f->dir);
  assert_int_equal(stella_repo_signing_key_generate(f->r, NULL, "ci-2026",
                                                    out, "new key"),
                   STELLA_OK);
  assert_int_equal(stella_repo_signing_key_generate(f->r, NULL, "ci-2026",
                                                    out, NULL),
                   STELLA_E_EXISTS);
  char p[256];
  struct stat st;
  snprintf(p, sizeof p, "%s/ci-2026.pem", out);
  assert_int_equal(stat(p, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  f->now += 3600;
  /* a compromise before the key existed is no validity window */
  assert_int_equal(stella_repo_signing_key_retire(f->r, "ci-2026",
                                                  f->now - 7200, "leaked"),
                   STELLA_E_INVALID_ARG);
  assert_non_null(strstr(stella_repo_errmsg(f->r), "before the key's "
                                                   "validity started"));
  assert_int_equal(stella_repo_signing_key_retire(f->r, "ci-2026",
                                                  f->now - 600, "leaked"),
                   STELLA_OK);
  assert_int_equal(stella_repo_signing_key_retire(f->r, "nope", 0, NULL),
                   STELLA_E_NOT_FOUND);
  char *sk = staged(f, "staged/targets/signing_keys.json");
  assert_int_equal(fs_read_file(sk, 0, &b), STELLA_OK);
  assert_int_equal(servicemap_add_signing_keys(&sm, b.data, b.len, why,
                                               sizeof why), STELLA_OK);
  assert_int_equal(sm.n_keys, 1);
  assert_string_equal(sm.keys[0].kind, "signing");
  assert_string_equal(sm.keys[0].name, "ci-2026");
  assert_string_equal(sm.keys[0].status, "compromised");
  assert_int_equal(sm.keys[0].valid_until, f->now - 600);
  servicemap_clear(&sm);
  sbuf_free(&b);
  free(sk);
  assert_int_equal(stella_repo_sign(f->r, NULL, NULL, NULL), STELLA_OK);
  assert_int_equal(stella_repo_publish(f->r, f->web), STELLA_OK);
}

/* The end of the validity of a log key in the staged trusted_root.json
 * (the first tlog that has one), "" if none. */
static void staged_tlog_end(fx *f, char out[32]) {
  json_error_t je;
  char *p = staged(f, "staged/targets/trusted_root.json");
  json_t *tr = json_load_file(p, 0, &je), *it;
  size_t i;
  out[0] = '\0';
  json_array_foreach(json_object_get(tr, "tlogs"), i, it) {
    const char *end = json_string_value(json_object_get(json_object_get(
        json_object_get(it, "publicKey"), "validFor"), "end"));
    if (end && !out[0])
      snprintf(out, 32, "%s", end);
  }
  json_decref(tr);
  free(p);
}

/* A compromise time in the future would keep the leaked key valid until
 * then: refused; a few minutes ahead (clock skew) counts as now. */
static void test_compromise_time(void **state) {
  fx *f = *state;
  char out[160], end[32], want[32], why[256];
  servicemap sm = {0};
  sbuf b = SBUF_INIT;
  snprintf(out, sizeof out, "%s/pipeline", f->dir);
  assert_int_equal(stella_repo_signing_key_generate(f->r, NULL, "ci", out,
                                                    NULL), STELLA_OK);
  assert_int_equal(stella_repo_rekor_key_add(f->r, f->pub2, NULL, NULL,
                                             NULL), STELLA_OK);
  f->now += 3600;
  int64_t years = f->now + 5 * 365 * DAY;
  assert_int_equal(stella_repo_signing_key_retire(f->r, "ci", years, "leak"),
                   STELLA_E_INVALID_ARG);
  assert_non_null(strstr(stella_repo_errmsg(f->r), "is in the future"));
  assert_int_equal(stella_repo_rekor_key_remove(f->r, "rekor-key-v1", years,
                                                0, "leak"),
                   STELLA_E_INVALID_ARG);
  assert_non_null(strstr(stella_repo_errmsg(f->r), "is in the future"));
  staged_tlog_end(f, end);
  assert_string_equal(end, ""); /* nothing staged by the refusals */
  assert_int_equal(stella_repo_signing_key_retire(f->r, "ci", f->now + 120,
                                                  "leak"), STELLA_OK);
  assert_int_equal(stella_repo_rekor_key_remove(f->r, "rekor-key-v1",
                                                f->now + 120, 0, "leak"),
                   STELLA_OK);
  repo_time(f->now, want);
  staged_tlog_end(f, end);
  assert_string_equal(end, want);
  char *sk = staged(f, "staged/targets/signing_keys.json");
  assert_int_equal(fs_read_file(sk, 0, &b), STELLA_OK);
  assert_int_equal(servicemap_add_signing_keys(&sm, b.data, b.len, why,
                                               sizeof why), STELLA_OK);
  assert_string_equal(sm.keys[0].status, "compromised");
  assert_int_equal(sm.keys[0].valid_until, f->now);
  servicemap_clear(&sm);
  sbuf_free(&b);
  free(sk);
}

static void test_signing_keys_parser_rejects(void **state) {
  (void)state;
  servicemap sm = {0};
  char why[256];
  static const char *const bad[] = {
    "[]", "{\"signingKeys\": {}}",
    "{\"signingKeys\": [{\"name\": \"a\", \"status\": \"maybe\", "
    "\"rawBytes\": \"AAAA\"}]}",
    "{\"signingKeys\": [{\"name\": \"a\", \"status\": \"active\"}]}",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    assert_int_not_equal(servicemap_add_signing_keys(&sm, bad[i],
                                                     strlen(bad[i]), why,
                                                     sizeof why), STELLA_OK);
    assert_int_equal(sm.n_keys, 0);
  }
  servicemap_clear(&sm);
}

/* A root change needs the holders: sign lists exactly who, --role root
 * --key adds them one at a time, then publish puts 2.root.json out. */
static void test_root_change_needs_holders(void **state) {
  fx *f = *state;
  char err[256];
  json_t *root = NULL;
  stella_repo_missing *m = NULL;
  size_t n = 0;
  assert_int_equal(repo_staged_load(f->r->ws, "root", &root, err, sizeof err),
                   STELLA_OK);
  json_object_set_new(json_object_get(json_object_get(json_object_get(
                          root, "signed"), "roles"), "root"),
                      "threshold", json_integer(3));
  assert_int_equal(repo_staged_save(f->r->ws, "root", root), STELLA_OK);
  json_decref(root);
  assert_int_equal(stella_repo_sign(f->r, NULL, &m, &n), STELLA_OK);
  /* root v2 by its own keys (0 of 3) and by root v1's keys (0 of 2) */
  assert_int_equal(n, 2);
  assert_string_equal(m[0].role, "root");
  assert_int_equal(m[0].version, 2);
  assert_int_equal(m[0].have, 0);
  assert_int_equal(m[0].need, 3);
  assert_string_equal(m[1].role, "root (by root v1 keys)");
  assert_int_equal(m[1].need, 2);
  assert_int_equal(strlen(m[0].keyids), 3 * 16 + 2 * 2);
  free(m);
  assert_int_equal(stella_repo_publish(f->r, f->web), STELLA_E_SIGNATURE);
  for (int h = 1; h <= 3; h++) {
    char key[64];
    snprintf(key, sizeof key, "keys/root/holder-%d.pem", h);
    char *path = staged(f, key);
    stella_repo_sign_opts o = {.role = "root", .key_file = path};
    assert_int_equal(stella_repo_sign(f->r, &o, &m, &n), STELLA_OK);
    assert_int_equal(n, (size_t)(3 - h)); /* v2: h of 3; v1: min(h,2) of 2 */
    free(m);
    free(path);
  }
  assert_int_equal(stella_repo_publish(f->r, f->web), STELLA_OK);
  char p[256];
  snprintf(p, sizeof p, "%s/2.root.json", f->web);
  assert_true(fs_exists(p));
}

/* A role whose key is not online (no entry in the policy's online_keys):
 * sign stages its new version unsigned and lists exactly what is missing;
 * the key holder's signature makes it publishable. */
static void test_offline_role(void **state) {
  fx *f = *state;
  json_error_t je;
  char *pol = staged(f, "stella-repo.json");
  char *key = staged(f, "keys/targets/targets.pem");
  json_t *p = json_load_file(pol, 0, &je);
  assert_non_null(p);
  json_object_del(json_object_get(p, "online_keys"), "targets");
  assert_int_equal(json_dump_file(p, pol, JSON_INDENT(2)), 0);
  json_decref(p);
  assert_int_equal(stella_repo_open(f->r, f->repo), STELLA_OK);
  stage_a_change(f);
  stella_repo_missing *m = NULL;
  size_t n = 0;
  assert_int_equal(stella_repo_sign(f->r, NULL, &m, &n), STELLA_OK);
  assert_int_equal(n, 1);
  assert_string_equal(m[0].role, "targets");
  assert_int_equal(m[0].version, 2);
  assert_int_equal(m[0].have, 0);
  assert_int_equal(m[0].need, 1);
  free(m);
  assert_int_equal(stella_repo_publish(f->r, f->web), STELLA_E_SIGNATURE);
  stella_repo_sign_opts o = {.role = "targets", .key_file = key};
  assert_int_equal(stella_repo_sign(f->r, &o, &m, &n), STELLA_OK);
  assert_int_equal(n, 0);
  free(m);
  assert_int_equal(stella_repo_sign(f->r, NULL, &m, &n), STELLA_OK);
  assert_int_equal(n, 0); /* a second run keeps the holder's signature */
  free(m);
  assert_int_equal(stella_repo_publish(f->r, f->web), STELLA_OK);
  free(pol);
  free(key);
}

/* A sign or publish while another one holds the workspace lock. */
static void test_workspace_lock(void **state) {
  fx *f = *state;
  snap before;
  int fd;
  stage_a_change(f);
  take(f, &before);
  char staged_before[65], staged_after[65], out[160];
  char *staged_dir = staged(f, "staged");
  snprintf(out, sizeof out, "%s/keys-out", f->dir);
  tree_hash(staged_dir, staged_before);
  assert_int_equal(repo_lock(f->r, &fd), STELLA_OK);
  assert_int_equal(stella_repo_sign(f->r, NULL, NULL, NULL), STELLA_E_EXISTS);
  assert_non_null(strstr(stella_repo_errmsg(f->r), "right now"));
  assert_int_equal(stella_repo_publish(f->r, f->web), STELLA_E_EXISTS);
  /* every change is a read-modify-write of staged files: each takes the
   * same lock, so parallel changes cannot lose each other's updates */
  assert_int_equal(stella_repo_endpoint_add(f->r, "https://m3.test", NULL),
                   STELLA_E_EXISTS);
  assert_non_null(strstr(stella_repo_errmsg(f->r), "another stella tuf "
                                                   "command is changing"));
  assert_int_equal(stella_repo_endpoint_swap(f->r, "https://m3.test", "n"),
                   STELLA_E_EXISTS);
  assert_int_equal(stella_repo_endpoint_remove(f->r, "https://m2.test", NULL),
                   STELLA_E_EXISTS);
  assert_int_equal(stella_repo_rekor_key_add(f->r, f->pub2, NULL, NULL, NULL),
                   STELLA_E_EXISTS);
  assert_int_equal(stella_repo_rekor_key_remove(f->r, "rekor-key-v1", 0, 1,
                                                NULL), STELLA_E_EXISTS);
  assert_int_equal(stella_repo_signing_key_generate(f->r, NULL, "k", out,
                                                    NULL), STELLA_E_EXISTS);
  assert_false(fs_exists(out)); /* refused before any key file is made */
  assert_int_equal(stella_repo_signing_key_retire(f->r, "k", 0, NULL),
                   STELLA_E_EXISTS);
  repo_unlock(fd);
  tree_hash(staged_dir, staged_after);
  assert_string_equal(staged_before, staged_after);
  free(staged_dir);
  assert_untouched(f, &before);
  assert_int_equal(stella_repo_sign(f->r, NULL, NULL, NULL), STELLA_OK);
  assert_int_equal(stella_repo_publish(f->r, f->web), STELLA_OK);
}

static void diff_collect(void *ctx, const char *line) {
  sbuf *b = ctx;
  sbuf_printf(b, "%s\n", line);
}

static void test_diff(void **state) {
  fx *f = *state;
  sbuf b = SBUF_INIT;
  size_t n = 0;
  assert_int_equal(stella_repo_diff(f->r, diff_collect, &b, &n), STELLA_OK);
  assert_int_equal(n, 0);
  assert_int_equal(stella_repo_endpoint_swap(f->r, "https://dr.test",
                                             "INC-7"), STELLA_OK);
  assert_int_equal(stella_repo_diff(f->r, diff_collect, &b, &n), STELLA_OK);
  assert_true(n >= 2);
  assert_non_null(strstr(b.data, "Rekor primary endpoint: "
                                 "https://rekor.example.test -> "
                                 "https://dr.test"));
  assert_non_null(strstr(b.data, "INC-7"));
  sbuf_free(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_init_service_map_parses, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_init_key_files_private, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_init_refuses, setup, teardown),
    cmocka_unit_test_setup_teardown(test_not_a_repo, setup, teardown),
    cmocka_unit_test_setup_teardown(test_nothing_changed_publish_is_noop,
                                    setup, teardown),
    cmocka_unit_test_setup_teardown(test_swap_bumps_versions, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_endpoint_add_remove, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_endpoint_urls, setup, teardown),
    cmocka_unit_test_setup_teardown(test_names_and_notes, setup, teardown),
    cmocka_unit_test_setup_teardown(test_sign_scrubs_old_controls, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_key_not_authorized, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_key_missing_or_wrong, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_key_readable_by_others, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_threshold_cannot_be_met, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_unwritable_web_root, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_preflight_refuses_expired, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_preflight_refuses_rollback, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_preflight_refuses_hash_version,
                                    setup, teardown),
    cmocka_unit_test_setup_teardown(test_rekor_key_grace, setup, teardown),
    cmocka_unit_test_setup_teardown(test_rekor_key_for_mirror, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_signing_keys, setup, teardown),
    cmocka_unit_test_setup_teardown(test_compromise_time, setup, teardown),
    cmocka_unit_test(test_signing_keys_parser_rejects),
    cmocka_unit_test_setup_teardown(test_root_change_needs_holders, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_offline_role, setup, teardown),
    cmocka_unit_test_setup_teardown(test_workspace_lock, setup, teardown),
    cmocka_unit_test_setup_teardown(test_diff, setup, teardown),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  sbuf_free(&tree_acc);
  return rc;
}
