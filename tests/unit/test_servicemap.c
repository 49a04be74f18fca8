/* test_servicemap.c - the Sigstore service map parser on the real
 * trusted_root.json and signing_config files of the public-good snapshot
 * (tests/data/tuf-sigstore-public-good/targets), plus malformed input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fsutil.h"
#include "servicemap.h"

#define REKOR_KEY_SHA256 \
  "c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d"

/* Reads a target file of the Sigstore snapshot into out. */
static void read_target(const char *name, sbuf *out) {
  const char *data = getenv("STELLA_TEST_DATA");
  assert_non_null(data);
  char *dir = fs_join(data, "tuf-sigstore-public-good/targets");
  char *path = fs_join(dir, name);
  sbuf_reset(out);
  if (fs_read_file(path, 0, out) != STELLA_OK)
    fail_msg("cannot read %s", path);
  free(dir);
  free(path);
}

static const stella_key *find_key(const servicemap *sm, const char *url) {
  for (size_t i = 0; i < sm->n_keys; i++)
    if (!strcmp(sm->keys[i].base_url, url))
      return &sm->keys[i];
  return NULL;
}

static int64_t at(const char *rfc3339) {
  int64_t t = 0;
  assert_int_equal(stella_time_parse(rfc3339, &t), STELLA_OK);
  return t;
}

static void test_trusted_root_keys(void **state) {
  (void)state;
  sbuf b = SBUF_INIT;
  servicemap sm = {0};
  char why[256];
  read_target("trusted_root.json", &b);
  assert_int_equal(servicemap_add_trusted_root(&sm, b.data, b.len, why,
                                               sizeof why), STELLA_OK);
  assert_int_equal(sm.n_keys, 4); /* 2 tlogs + 2 ctlogs */
  assert_int_equal(sm.n_endpoints, 0);
  const stella_key *rekor = find_key(&sm, "https://rekor.sigstore.dev");
  assert_non_null(rekor);
  assert_string_equal(rekor->kind, "tlog");
  assert_string_equal(rekor->key_type, "PKIX_ECDSA_P256_SHA_256");
  /* Rekor's log ID is the SHA-256 of its DER public key: both must match. */
  assert_string_equal(rekor->log_id, REKOR_KEY_SHA256);
  assert_string_equal(rekor->fingerprint_sha256, REKOR_KEY_SHA256);
  assert_true(rekor->valid_from == at("2021-01-12T11:53:27Z"));
  assert_true(rekor->valid_until == 0);
  const stella_key *v2 = find_key(&sm, "https://log2025-1.rekor.sigstore.dev");
  assert_non_null(v2);
  assert_string_equal(v2->key_type, "PKIX_ED25519");
  assert_string_equal(v2->log_id, "cf1199155bddd051268d1f16ac5c0c75c009f6fb"
                                  "5a63f4177f8e18d7051e3fa0");
  const stella_key *ct = find_key(&sm, "https://ctfe.sigstore.dev/test");
  assert_non_null(ct);
  assert_string_equal(ct->kind, "ctlog");
  assert_true(ct->valid_until == at("2022-10-31T23:59:59Z"));
  servicemap_clear(&sm);
  assert_int_equal(sm.n_keys, 0);
  sbuf_free(&b);
}

static const stella_endpoint *find_endpoint(const servicemap *sm,
                                            const char *kind, int api) {
  for (size_t i = 0; i < sm->n_endpoints; i++)
    if (!strcmp(sm->endpoints[i].kind, kind) &&
        sm->endpoints[i].api_version == api)
      return &sm->endpoints[i];
  return NULL;
}

static void test_signing_config_v02(void **state) {
  (void)state;
  sbuf b = SBUF_INIT;
  servicemap sm = {0};
  read_target("signing_config.v0.2.json", &b);
  assert_int_equal(servicemap_add_signing_config(&sm, b.data, b.len, NULL, 0),
                   STELLA_OK);
  assert_int_equal(sm.n_endpoints, 4);
  const stella_endpoint *rekor = find_endpoint(&sm, "rekor", 1);
  assert_non_null(rekor);
  assert_string_equal(rekor->url, "https://rekor.sigstore.dev");
  assert_string_equal(rekor->operator_name, "sigstore.dev");
  assert_true(rekor->valid_from == at("2021-01-12T11:53:27Z"));
  assert_true(rekor->valid_until == 0);
  const stella_endpoint *tsa = find_endpoint(&sm, "tsa", 1);
  assert_non_null(tsa);
  assert_string_equal(tsa->url,
                      "https://timestamp.sigstore.dev/api/v1/timestamp");
  assert_non_null(find_endpoint(&sm, "ca", 1));
  assert_non_null(find_endpoint(&sm, "oidc", 1));
  servicemap_clear(&sm);

  read_target("signing_config_rekor_v2.v0.2.json", &b);
  assert_int_equal(servicemap_add_signing_config(&sm, b.data, b.len, NULL, 0),
                   STELLA_OK);
  const stella_endpoint *v2 = find_endpoint(&sm, "rekor", 2);
  assert_non_null(v2);
  assert_string_equal(v2->url, "https://log2025-1.rekor.sigstore.dev");
  assert_non_null(find_endpoint(&sm, "rekor", 1));
  servicemap_clear(&sm);
  sbuf_free(&b);
}

static void test_signing_config_v01(void **state) {
  (void)state;
  sbuf b = SBUF_INIT;
  servicemap sm = {0};
  read_target("signing_config.json", &b);
  assert_int_equal(servicemap_add_signing_config(&sm, b.data, b.len, NULL, 0),
                   STELLA_OK);
  assert_int_equal(sm.n_endpoints, 3);
  const stella_endpoint *rekor = find_endpoint(&sm, "rekor", 0);
  assert_non_null(rekor);
  assert_string_equal(rekor->url, "https://rekor.sigstore.dev");
  assert_string_equal(rekor->operator_name, "");
  assert_string_equal(find_endpoint(&sm, "ca", 0)->url,
                      "https://fulcio.sigstore.dev");
  assert_string_equal(find_endpoint(&sm, "oidc", 0)->url,
                      "https://oauth2.sigstore.dev/auth");
  servicemap_clear(&sm);
  sbuf_free(&b);
}

/* A failed parse leaves what was already there untouched. */
static void test_bad_input_leaves_map_unchanged(void **state) {
  (void)state;
  static const struct { const char *text; stella_err want; } bad_roots[] = {
    {"<html>Welcome to nginx</html>", STELLA_E_PARSE},
    {"[]", STELLA_E_FORMAT},
    {"{\"tlogs\": {}}", STELLA_E_FORMAT},
    {"{\"tlogs\": [{\"baseUrl\": \"x\"}]}", STELLA_E_FORMAT},
    {"{\"tlogs\": [{\"publicKey\": {\"rawBytes\": \"!!\"}}]}",
     STELLA_E_FORMAT},
    {"{\"ctlogs\": [{\"publicKey\": {\"rawBytes\": \"AAAA\", \"validFor\": "
     "{\"start\": \"yesterday\"}}}]}", STELLA_E_FORMAT},
  };
  sbuf b = SBUF_INIT;
  servicemap sm = {0};
  char why[256];
  read_target("signing_config.v0.2.json", &b);
  assert_int_equal(servicemap_add_signing_config(&sm, b.data, b.len, NULL, 0),
                   STELLA_OK);
  for (size_t i = 0; i < sizeof bad_roots / sizeof bad_roots[0]; i++) {
    why[0] = '\0';
    assert_int_equal(servicemap_add_trusted_root(&sm, bad_roots[i].text,
                                                 strlen(bad_roots[i].text),
                                                 why, sizeof why),
                     bad_roots[i].want);
    assert_true(why[0] != '\0');
    assert_int_equal(sm.n_keys, 0);
    assert_int_equal(sm.n_endpoints, 4);
  }
  const char *bad_config = "{\"rekorTlogUrls\": [{\"url\": \"https://a\"}, "
                           "{\"majorApiVersion\": 1}]}";
  assert_int_equal(servicemap_add_signing_config(&sm, bad_config,
                                                 strlen(bad_config), why,
                                                 sizeof why),
                   STELLA_E_FORMAT);
  assert_non_null(strstr(why, "rekorTlogUrls"));
  assert_int_equal(sm.n_endpoints, 4);
  servicemap_clear(&sm);
  servicemap_clear(NULL);
  sbuf_free(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_trusted_root_keys),
    cmocka_unit_test(test_signing_config_v02),
    cmocka_unit_test(test_signing_config_v01),
    cmocka_unit_test(test_bad_input_leaves_map_unchanged),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
