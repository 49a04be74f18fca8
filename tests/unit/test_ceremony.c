/* test_ceremony.c - the root key ceremony (core/ceremony.c) on a fresh
 * repository workspace with 3 root holders, threshold 2: init, both
 * thresholds counted apart, a key in neither set, duplicate signing,
 * finalize refused short of either threshold, a tampered or travelled
 * root file, and a finalize that hands root v2 to sign + publish. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "crypto_sign.h"
#include "fsutil.h"
#include "stella/repo.h"

typedef struct fixture {
  char dir[64];       /* temp folder */
  char repo[128];     /* the workspace */
  stella_repo *r;
  char notes[4096];   /* every progress line, to check nothing secret */
} fixture;

static void collect_note(void *ctx, const char *line) {
  fixture *f = ctx;
  size_t n = strlen(f->notes);
  snprintf(f->notes + n, sizeof f->notes - n, "%s\n", line);
}

/* A PEM public key file (the log key repo init wants). */
static void write_public_key(const char *path) {
  crypto_signer *s = NULL;
  sbuf pem = SBUF_INIT;
  assert_int_equal(crypto_signer_generate("ecdsa-p256", &s), STELLA_OK);
  assert_int_equal(crypto_signer_public_pem(s, &pem), STELLA_OK);
  assert_int_equal(fs_write_atomic(path, pem.data, pem.len, 0644), STELLA_OK);
  sbuf_free(&pem);
  crypto_signer_free(s);
}

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  char pub[128];
  snprintf(f->dir, sizeof f->dir, "/tmp/stella-test-ceremony-XXXXXX");
  if (!mkdtemp(f->dir))
    return -1;
  snprintf(f->repo, sizeof f->repo, "%s/repo", f->dir);
  snprintf(pub, sizeof pub, "%s/rekor-key-v1.pub", f->dir);
  write_public_key(pub);
  f->r = stella_repo_new(NULL, collect_note, f);
  stella_repo_init_opts o = {.rekor_url = "https://rekor.example.test",
                             .rekor_key_file = pub, .root_keys = 3,
                             .root_threshold = 2};
  if (stella_repo_init(f->r, f->repo, &o) != STELLA_OK) {
    fprintf(stderr, "repo init: %s\n", stella_repo_errmsg(f->r));
    return -1;
  }
  /* Root v1 is published: the ceremony builds on what clients hold. */
  if (stella_repo_publish(f->r, NULL) != STELLA_OK) {
    fprintf(stderr, "publish: %s\n", stella_repo_errmsg(f->r));
    return -1;
  }
  f->notes[0] = '\0';
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  char cmd[128];
  stella_repo_free(f->r);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
  int rc = system(cmd);
  free(f);
  return rc == 0 ? 0 : -1;
}

/* DIR/rel as a path in buf. */
static const char *at(const fixture *f, const char *rel, char buf[256]) {
  snprintf(buf, 256, "%s/%s", f->repo, rel);
  return buf;
}

static stella_err sign_with(fixture *f, const char *rel, int *sets,
                            stella_ceremony_status *st) {
  char path[256];
  return stella_repo_ceremony_sign(f->r, at(f, rel, path), NULL, NULL, sets,
                                   st);
}

static void start_3_of_5(fixture *f, stella_ceremony_status *st) {
  stella_ceremony_init_opts o = {.threshold = 3, .keys = 5,
                                 .algorithm = "ed25519"};
  assert_int_equal(stella_repo_ceremony_init(f->r, &o, st), STELLA_OK);
}

static json_int_t staged_root_version(const fixture *f, const char *rel) {
  char path[256];
  json_t *env = json_load_file(at(f, rel, path), 0, NULL);
  assert_non_null(env);
  json_int_t v = json_integer_value(
      json_object_get(json_object_get(env, "signed"), "version"));
  json_decref(env);
  return v;
}

static void test_init_stages_root_v2(void **state) {
  fixture *f = *state;
  stella_ceremony_status st;
  char path[256];
  struct stat sb;
  start_3_of_5(f, &st);
  assert_int_equal(st.version, 2);
  assert_false(st.ready);
  assert_int_equal(st.old_root.version, 1);
  assert_int_equal(st.old_root.need, 2);
  assert_int_equal(st.old_root.have, 0);
  assert_int_equal(st.old_root.n_keys, 3);
  assert_int_equal(st.new_root.need, 3);
  assert_int_equal(st.new_root.n_keys, 5);
  /* The old holders were recognised from keys/root/. */
  for (size_t i = 0; i < st.old_root.n_keys; i++)
    assert_non_null(strstr(st.old_root.keys[i].holder, "keys/root/holder-"));
  for (int i = 1; i <= 5; i++) {
    char rel[64];
    snprintf(rel, sizeof rel, "keys/root-next/holder-%d.pem", i);
    assert_int_equal(stat(at(f, rel, path), &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
    assert_non_null(strstr(f->notes, path)); /* printed as it goes */
  }
  assert_null(strstr(f->notes, "PRIVATE"));
  assert_int_equal(staged_root_version(f, "staged/ceremony/root.json"), 2);
  assert_int_equal(staged_root_version(f, "staged/metadata/root.json"), 1);
  /* Expiry from the root policy (365 days by default). */
  assert_true(st.expires > time(NULL) + 364 * 86400);
}

static void test_init_refuses_second_unless_force(void **state) {
  fixture *f = *state;
  stella_ceremony_status st;
  stella_ceremony_init_opts o = {.threshold = 2, .keys = 3};
  char path[256];
  start_3_of_5(f, &st);
  assert_int_equal(stella_repo_ceremony_init(f->r, &o, &st),
                   STELLA_E_EXISTS);
  assert_non_null(strstr(stella_repo_errmsg(f->r), "--force"));
  o.force = 1;
  assert_int_equal(stella_repo_ceremony_init(f->r, &o, &st), STELLA_OK);
  assert_int_equal(st.new_root.n_keys, 3);
  assert_int_equal(st.new_root.need, 2);
  /* The unused keys of the first ceremony are archived, not deleted. */
  assert_true(fs_exists(at(f, "keys/root-next/holder-1.pem", path)));
  assert_false(fs_exists(at(f, "keys/root-next/holder-4.pem", path)));
  assert_non_null(strstr(f->notes, "archived unused key file"));
}

static void test_init_refused_before_first_publish(void **state) {
  fixture *f = *state;
  char pub[128], repo[128];
  stella_repo *r = stella_repo_new(NULL, NULL, NULL);
  snprintf(pub, sizeof pub, "%s/rekor-key-v1.pub", f->dir);
  snprintf(repo, sizeof repo, "%s/unpublished", f->dir);
  stella_repo_init_opts o = {.rekor_url = "https://rekor.example.test",
                             .rekor_key_file = pub};
  assert_int_equal(stella_repo_init(r, repo, &o), STELLA_OK);
  stella_ceremony_init_opts c = {.threshold = 1, .keys = 1};
  assert_int_equal(stella_repo_ceremony_init(r, &c, NULL),
                   STELLA_E_NOT_INITIALIZED);
  assert_non_null(strstr(stella_repo_errmsg(r), "stella tuf publish"));
  stella_repo_free(r);
}

static void test_init_bad_threshold(void **state) {
  fixture *f = *state;
  stella_ceremony_init_opts o = {.threshold = 6, .keys = 5};
  assert_int_equal(stella_repo_ceremony_init(f->r, &o, NULL),
                   STELLA_E_INVALID_ARG);
  assert_non_null(strstr(stella_repo_errmsg(f->r), "cannot be met"));
  o.threshold = 3;
  o.algorithm = "rsa";
  assert_int_equal(stella_repo_ceremony_init(f->r, &o, NULL),
                   STELLA_E_INVALID_ARG);
}

static void test_counts_both_sets_apart(void **state) {
  fixture *f = *state;
  stella_ceremony_status st;
  int sets = 0;
  start_3_of_5(f, &st);
  /* An old key counts for the old threshold only. */
  assert_int_equal(sign_with(f, "keys/root/holder-1.pem", &sets, &st),
                   STELLA_OK);
  assert_int_equal(sets, STELLA_CEREMONY_OLD);
  assert_int_equal(st.old_root.have, 1);
  assert_int_equal(st.new_root.have, 0);
  assert_true(st.old_root.keys[0].has_signature);
  assert_false(st.old_root.keys[1].has_signature);
  /* A new key for the new one only. */
  assert_int_equal(sign_with(f, "keys/root-next/holder-2.pem", &sets, &st),
                   STELLA_OK);
  assert_int_equal(sets, STELLA_CEREMONY_NEW);
  assert_int_equal(st.old_root.have, 1);
  assert_int_equal(st.new_root.have, 1);
  assert_true(st.new_root.keys[1].has_signature);
  assert_false(st.ready);
  /* Status reads the same from disk. */
  stella_ceremony_status again;
  assert_int_equal(stella_repo_ceremony_status(f->r, NULL, &again),
                   STELLA_OK);
  assert_int_equal(again.old_root.have, 1);
  assert_int_equal(again.new_root.have, 1);
}

static void test_key_in_neither_set_refused(void **state) {
  fixture *f = *state;
  stella_ceremony_status st;
  crypto_signer *s = NULL;
  char path[256];
  start_3_of_5(f, &st);
  assert_int_equal(crypto_signer_generate("ed25519", &s), STELLA_OK);
  snprintf(path, sizeof path, "%s/stranger.pem", f->dir);
  assert_int_equal(crypto_signer_save(s, path), STELLA_OK);
  crypto_signer_free(s);
  assert_int_equal(stella_repo_ceremony_sign(f->r, path, NULL, NULL, NULL,
                                             &st),
                   STELLA_E_SIGNATURE);
  assert_non_null(strstr(stella_repo_errmsg(f->r), "not a root key"));
  /* The targets key is a key, but not a root key. */
  assert_int_equal(sign_with(f, "keys/targets/targets.pem", NULL, &st),
                   STELLA_E_SIGNATURE);
  json_t *env = json_load_file(at(f, "staged/ceremony/root.json", path), 0,
                               NULL);
  assert_int_equal(json_array_size(json_object_get(env, "signatures")), 0);
  json_decref(env);
}

static void test_key_readable_by_others_refused(void **state) {
  fixture *f = *state;
  stella_ceremony_status st;
  char path[256];
  start_3_of_5(f, &st);
  assert_int_equal(chmod(at(f, "keys/root/holder-1.pem", path), 0644), 0);
  assert_int_equal(sign_with(f, "keys/root/holder-1.pem", NULL, &st),
                   STELLA_E_IO);
  assert_non_null(strstr(stella_repo_errmsg(f->r), "chmod 600"));
}

static void test_duplicate_sign_idempotent(void **state) {
  fixture *f = *state;
  stella_ceremony_status st;
  char path[256];
  start_3_of_5(f, &st);
  assert_int_equal(sign_with(f, "keys/root/holder-3.pem", NULL, &st),
                   STELLA_OK);
  assert_int_equal(sign_with(f, "keys/root/holder-3.pem", NULL, &st),
                   STELLA_OK);
  assert_int_equal(st.old_root.have, 1);
  json_t *env = json_load_file(at(f, "staged/ceremony/root.json", path), 0,
                               NULL);
  assert_int_equal(json_array_size(json_object_get(env, "signatures")), 1);
  json_decref(env);
}

static void test_finalize_refused_too_few_old(void **state) {
  fixture *f = *state;
  stella_ceremony_status st;
  start_3_of_5(f, &st);
  assert_int_equal(sign_with(f, "keys/root/holder-1.pem", NULL, &st), 0);
  for (int i = 1; i <= 3; i++) {
    char rel[64];
    snprintf(rel, sizeof rel, "keys/root-next/holder-%d.pem", i);
    assert_int_equal(sign_with(f, rel, NULL, &st), STELLA_OK);
  }
  assert_int_equal(st.new_root.have, 3);
  assert_int_equal(stella_repo_ceremony_finalize(f->r, &st),
                   STELLA_E_SIGNATURE);
  const char *msg = stella_repo_errmsg(f->r);
  assert_non_null(strstr(msg, "root v1 keys 1 of 2"));
  assert_non_null(strstr(msg, "keys/root/holder-2.pem"));
  assert_non_null(strstr(msg, "root v2 keys 3 of 3"));
  /* Nothing moved. */
  assert_int_equal(staged_root_version(f, "staged/metadata/root.json"), 1);
  assert_int_equal(staged_root_version(f, "staged/ceremony/root.json"), 2);
}

static void test_finalize_refused_too_few_new(void **state) {
  fixture *f = *state;
  stella_ceremony_status st;
  start_3_of_5(f, &st);
  assert_int_equal(sign_with(f, "keys/root/holder-1.pem", NULL, &st), 0);
  assert_int_equal(sign_with(f, "keys/root/holder-2.pem", NULL, &st), 0);
  assert_int_equal(sign_with(f, "keys/root-next/holder-4.pem", NULL, &st), 0);
  assert_int_equal(sign_with(f, "keys/root-next/holder-5.pem", NULL, &st), 0);
  assert_int_equal(st.old_root.have, 2);
  assert_int_equal(st.new_root.have, 2);
  assert_int_equal(stella_repo_ceremony_finalize(f->r, &st),
                   STELLA_E_SIGNATURE);
  assert_non_null(strstr(stella_repo_errmsg(f->r), "root v2 keys 2 of 3"));
  assert_int_equal(staged_root_version(f, "staged/metadata/root.json"), 1);
}

static void test_tampered_root_refused(void **state) {
  fixture *f = *state;
  stella_ceremony_status st;
  char path[256];
  start_3_of_5(f, &st);
  assert_int_equal(sign_with(f, "keys/root/holder-1.pem", NULL, &st), 0);
  /* Someone lowers the new threshold on the file in transit. */
  json_t *env = json_load_file(at(f, "staged/ceremony/root.json", path), 0,
                               NULL);
  json_t *rr = json_object_get(
      json_object_get(json_object_get(env, "signed"), "roles"), "root");
  json_object_set_new(rr, "threshold", json_integer(1));
  assert_int_equal(json_dump_file(env, path, JSON_INDENT(2)), 0);
  json_decref(env);
  assert_int_equal(sign_with(f, "keys/root/holder-2.pem", NULL, &st),
                   STELLA_E_HASH);
  assert_non_null(strstr(stella_repo_errmsg(f->r), "changed"));
  assert_int_equal(stella_repo_ceremony_status(f->r, NULL, &st),
                   STELLA_E_HASH);
  assert_int_equal(stella_repo_ceremony_finalize(f->r, &st), STELLA_E_HASH);
  assert_int_equal(staged_root_version(f, "staged/metadata/root.json"), 1);
}

static void test_travelled_copy_merges(void **state) {
  fixture *f = *state;
  stella_ceremony_status st;
  char path[256], copy[256], cmd[600];
  int sets = 0;
  start_3_of_5(f, &st);
  snprintf(copy, sizeof copy, "%s/usb-root.json", f->dir);
  snprintf(cmd, sizeof cmd, "cp '%s' '%s'",
           at(f, "staged/ceremony/root.json", path), copy);
  assert_int_equal(system(cmd), 0);
  assert_int_equal(stella_repo_ceremony_sign(
                       f->r, at(f, "keys/root-next/holder-1.pem", path), copy,
                       NULL, &sets, &st),
                   STELLA_OK);
  assert_int_equal(sets, STELLA_CEREMONY_NEW);
  assert_int_equal(st.new_root.have, 1); /* merged into the staged root */
  assert_int_equal(stella_repo_ceremony_status(f->r, copy, &st), STELLA_OK);
  assert_int_equal(st.new_root.have, 1);
  assert_int_equal(stella_repo_ceremony_status(f->r, NULL, &st), STELLA_OK);
  assert_int_equal(st.new_root.have, 1);
}

static void test_finalize_then_publish(void **state) {
  fixture *f = *state;
  stella_ceremony_status st;
  char path[256];
  start_3_of_5(f, &st);
  const char *keys[] = {"keys/root/holder-1.pem", "keys/root/holder-3.pem",
                        "keys/root-next/holder-1.pem",
                        "keys/root-next/holder-2.pem",
                        "keys/root-next/holder-5.pem"};
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
    assert_int_equal(sign_with(f, keys[i], NULL, &st), STELLA_OK);
  assert_true(st.ready);
  if (stella_repo_ceremony_finalize(f->r, &st) != STELLA_OK)
    fail_msg("finalize: %s", stella_repo_errmsg(f->r));
  assert_int_equal(staged_root_version(f, "staged/metadata/root.json"), 2);
  assert_false(fs_exists(at(f, "staged/ceremony/root.json", path)));
  for (int i = 1; i <= 5; i++) {
    char rel[64];
    snprintf(rel, sizeof rel, "keys/root/holder-%d.pem", i);
    assert_true(fs_exists(at(f, rel, path)));
  }
  assert_true(fs_exists(at(f, "keys/archive/root-v1/holder-3.pem", path)));
  assert_false(fs_exists(at(f, "keys/root-next", path)));
  sbuf log = SBUF_INIT;
  assert_int_equal(fs_read_file(at(f, "CHANGELOG", path), 0, &log), 0);
  assert_non_null(strstr(log.data, "root-ceremony-finalize"));
  sbuf_free(&log);
  /* Another init now refuses: root v2 is staged, not yet published. */
  stella_ceremony_init_opts o = {.threshold = 1, .keys = 1};
  assert_int_equal(stella_repo_ceremony_init(f->r, &o, NULL),
                   STELLA_E_VERSION);
  /* The normal path takes it from here: sign keeps root v2 as it is. */
  size_t n_missing = 9;
  stella_repo_missing *missing = NULL;
  assert_int_equal(stella_repo_sign(f->r, NULL, &missing, &n_missing),
                   STELLA_OK);
  free(missing);
  assert_int_equal(n_missing, 0);
  assert_int_equal(staged_root_version(f, "staged/metadata/root.json"), 2);
  if (stella_repo_publish(f->r, NULL) != STELLA_OK)
    fail_msg("publish v2: %s", stella_repo_errmsg(f->r));
  assert_int_equal(staged_root_version(f, "published/2.root.json"), 2);
  /* The next ceremony builds on root v2 and knows its holders' files. */
  o.threshold = 2;
  o.keys = 3;
  assert_int_equal(stella_repo_ceremony_init(f->r, &o, &st), STELLA_OK);
  assert_int_equal(st.version, 3);
  assert_int_equal(st.old_root.version, 2);
  assert_int_equal(st.old_root.need, 3);
  assert_int_equal(st.old_root.n_keys, 5);
  for (size_t i = 0; i < st.old_root.n_keys; i++)
    assert_non_null(strstr(st.old_root.keys[i].holder, "keys/root/holder-"));
}

static void test_ecdsa_keys_out_of_tree(void **state) {
  fixture *f = *state;
  stella_ceremony_status st;
  char out[128], path[256];
  int sets = 0;
  snprintf(out, sizeof out, "%s/usb-keys", f->dir);
  stella_ceremony_init_opts o = {.threshold = 1, .keys = 2,
                                 .algorithm = "ecdsa-p256", .out_dir = out};
  assert_int_equal(stella_repo_ceremony_init(f->r, &o, &st), STELLA_OK);
  assert_string_equal(st.new_root.keys[0].holder, strcat(strcpy(path, out),
                                                         "/holder-1.pem"));
  assert_int_equal(stella_repo_ceremony_sign(f->r, path, NULL, NULL, &sets,
                                             &st),
                   STELLA_OK);
  assert_int_equal(sets, STELLA_CEREMONY_NEW);
  assert_int_equal(st.new_root.have, 1);
  assert_int_equal(sign_with(f, "keys/root/holder-1.pem", NULL, &st), 0);
  assert_int_equal(sign_with(f, "keys/root/holder-2.pem", NULL, &st), 0);
  assert_true(st.ready);
  if (stella_repo_ceremony_finalize(f->r, &st) != STELLA_OK)
    fail_msg("finalize: %s", stella_repo_errmsg(f->r));
  assert_true(fs_exists(at(f, "keys/root/holder-2.pem", path)));
  assert_false(fs_exists(strcat(strcpy(path, out), "/holder-2.pem")));
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_init_stages_root_v2, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_init_refuses_second_unless_force,
                                    setup, teardown),
    cmocka_unit_test_setup_teardown(test_init_bad_threshold, setup, teardown),
    cmocka_unit_test_setup_teardown(test_init_refused_before_first_publish,
                                    setup, teardown),
    cmocka_unit_test_setup_teardown(test_counts_both_sets_apart, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_key_in_neither_set_refused, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_key_readable_by_others_refused,
                                    setup, teardown),
    cmocka_unit_test_setup_teardown(test_duplicate_sign_idempotent, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_finalize_refused_too_few_old, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_finalize_refused_too_few_new, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_tampered_root_refused, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_travelled_copy_merges, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_ecdsa_keys_out_of_tree, setup,
                                    teardown),
    cmocka_unit_test_setup_teardown(test_finalize_then_publish, setup,
                                    teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
