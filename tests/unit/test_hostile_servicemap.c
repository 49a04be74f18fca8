/* test_hostile_servicemap.c - the service map parser fed hostile but
 * well-formed JSON: the files travel through TUF, so only a repository key
 * holder could send these, but a parser of outside input must still refuse
 * each one cleanly (a reason, the map unchanged, no crash or leak under
 * ASan) and stay fast on large lists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "buf.h"
#include "servicemap.h"

/* A valid P-256 SPKI (Rekor's key), base64. */
#define REKOR_SPKI                                                          \
  "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2G2Y+2tabdTV5BcGiBIx0a9fAFwrkBbmLSGt" \
  "ks4L3qX6yYY0zufBnhC8Ur/iy55GhWP/9A/bY2LhC30M9+RYtw=="
#define LOG_ID "wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0="

/* One tlog entry with the given publicKey and logId members. */
static char *tlog(const char *public_key, const char *log_id) {
  sbuf b = SBUF_INIT;
  assert_int_equal(sbuf_printf(&b, "{\"tlogs\":[{\"baseUrl\":\"https://r\","
                               "\"hashAlgorithm\":\"SHA2_256\","
                               "\"publicKey\":%s,\"logId\":%s}]}",
                               public_key, log_id), STELLA_OK);
  return b.data;
}

/* Each input must fail with a reason, leaving one earlier key in place. */
static void expect_refused_root(const char *text) {
  servicemap sm = {0};
  char why[256] = "";
  char *good = tlog("{\"rawBytes\":\"" REKOR_SPKI "\",\"keyDetails\":\"K\"}",
                    "{\"keyId\":\"" LOG_ID "\"}");
  assert_int_equal(servicemap_add_trusted_root(&sm, good, strlen(good), NULL,
                                               0), STELLA_OK);
  stella_err e = servicemap_add_trusted_root(&sm, text, strlen(text), why,
                                             sizeof why);
  if (e != STELLA_E_FORMAT && e != STELLA_E_PARSE)
    fail_msg("accepted (%d): %s", (int)e, text);
  assert_true(why[0] != '\0');
  assert_int_equal(sm.n_keys, 1);
  servicemap_clear(&sm);
  free(good);
}

static void test_trusted_root_wrong_types(void **state) {
  (void)state;
  static const char *const pks[][2] = {
    /* rawBytes not base64, empty, a number, missing */
    {"{\"rawBytes\":\"not base64 at all!\"}", "{}"},
    {"{\"rawBytes\":\"\"}", "{}"},
    {"{\"rawBytes\":42}", "{}"},
    {"{\"keyDetails\":\"PKIX_ED25519\"}", "{}"},
    /* publicKey of the wrong type */
    {"\"" REKOR_SPKI "\"", "{}"},
    {"[]", "{}"},
    {"null", "{}"},
    /* validFor not RFC 3339, of the wrong type, start as a number */
    {"{\"rawBytes\":\"" REKOR_SPKI "\",\"validFor\":{\"start\":\"yesterday\"}}",
     "{}"},
    {"{\"rawBytes\":\"" REKOR_SPKI "\",\"validFor\":{\"start\":"
     "\"2021-13-45T99:99:99Z\"}}", "{}"},
    {"{\"rawBytes\":\"" REKOR_SPKI "\",\"validFor\":[]}", "{}"},
    {"{\"rawBytes\":\"" REKOR_SPKI "\",\"validFor\":{\"start\":1610452407}}",
     "{}"},
    {"{\"rawBytes\":\"" REKOR_SPKI "\",\"validFor\":{\"end\":true}}", "{}"},
    /* logId.keyId not base64 */
    {"{\"rawBytes\":\"" REKOR_SPKI "\"}", "{\"keyId\":\"%%%\"}"},
  };
  for (size_t i = 0; i < sizeof pks / sizeof pks[0]; i++) {
    char *text = tlog(pks[i][0], pks[i][1]);
    expect_refused_root(text);
    free(text);
  }
  static const char *const shapes[] = {
    "[]", "\"trusted_root\"", "{\"tlogs\":{}}", "{\"tlogs\":\"x\"}",
    "{\"tlogs\":[1]}", "{\"tlogs\":[[]]}", "{\"ctlogs\":[null]}",
    "{\"tlogs\":[], \"tlogs\":[]}", /* duplicate key */
    "{\"tlogs\":[{\"publicKey\":{\"rawBytes\":\"" REKOR_SPKI "\"}}]",
  };
  for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
    expect_refused_root(shapes[i]);
}

/* 100 000 '[' and a 2^70 integer: refused, not a stack overflow. */
static void test_nesting_and_huge_numbers(void **state) {
  (void)state;
  size_t n = 100000;
  char *deep = malloc(n + 1);
  assert_non_null(deep);
  memset(deep, '[', n);
  deep[n] = '\0';
  expect_refused_root(deep);
  servicemap sm = {0};
  char why[256];
  assert_int_not_equal(servicemap_add_signing_config(&sm, deep, n, why,
                                                     sizeof why), STELLA_OK);
  free(deep);
  static const char *const configs[] = {
    "{\"rekorTlogUrls\":[{\"url\":\"https://r\",\"majorApiVersion\":"
    "1180591620717411303424}]}",
    "{\"rekorTlogUrls\":[{\"url\":\"https://r\",\"majorApiVersion\":-1}]}",
    "{\"rekorTlogUrls\":[{\"url\":\"https://r\",\"majorApiVersion\":1.5}]}",
    "{\"rekorTlogUrls\":[{\"url\":\"https://r\",\"majorApiVersion\":\"1\"}]}",
    "{\"rekorTlogUrls\":[{\"majorApiVersion\":1}]}",
    "{\"rekorTlogUrls\":[{\"url\":7}]}",
    "{\"rekorTlogUrls\":{}}",
    "{\"caUrls\":[{\"url\":\"https://ca\",\"validFor\":{\"start\":\"now\"}}]}",
    "{\"tlogUrls\":[1]}",
    "{\"caUrl\":[\"https://ca\"]}",
    "{\"oidcUrl\":{}}",
  };
  for (size_t i = 0; i < sizeof configs / sizeof configs[0]; i++) {
    why[0] = '\0';
    stella_err e = servicemap_add_signing_config(
        &sm, configs[i], strlen(configs[i]), why, sizeof why);
    if (e != STELLA_E_FORMAT && e != STELLA_E_PARSE)
      fail_msg("accepted (%d): %s", (int)e, configs[i]);
    assert_true(why[0] != '\0');
    assert_int_equal(sm.n_endpoints, 0);
  }
  servicemap_clear(&sm);
}

/* 10 000 tlogs parse in well under a second, and the last one's error
 * (one bad entry at the end) still leaves the map as it was. */
static void test_ten_thousand_tlogs(void **state) {
  (void)state;
  sbuf b = SBUF_INIT;
  servicemap sm = {0};
  char why[256];
  size_t n = 10000;
  assert_int_equal(sbuf_printf(&b, "{\"tlogs\":["), STELLA_OK);
  for (size_t i = 0; i < n; i++)
    assert_int_equal(sbuf_printf(&b, "%s{\"baseUrl\":\"https://log%zu\","
                                 "\"publicKey\":{\"rawBytes\":\"%s\"},"
                                 "\"logId\":{\"keyId\":\"%s\"}}",
                                 i ? "," : "", i, REKOR_SPKI, LOG_ID),
                     STELLA_OK);
  size_t good_len = b.len;
  assert_int_equal(sbuf_printf(&b, "]}"), STELLA_OK);
  clock_t t0 = clock();
  assert_int_equal(servicemap_add_trusted_root(&sm, b.data, b.len, why,
                                               sizeof why), STELLA_OK);
  assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 2.0);
  assert_int_equal(sm.n_keys, n);
  assert_string_equal(sm.keys[n - 1].base_url, "https://log9999");
  b.len = good_len;
  assert_int_equal(sbuf_printf(&b, ",{\"publicKey\":{\"rawBytes\":\"!\"}}]}"),
                   STELLA_OK);
  assert_int_equal(servicemap_add_trusted_root(&sm, b.data, b.len, why,
                                               sizeof why), STELLA_E_FORMAT);
  assert_int_equal(sm.n_keys, n);
  servicemap_clear(&sm);
  sbuf_free(&b);
}

/* Strings are taken as they are (control characters included); showing
 * them safely is the printer's job (cli, console). A NUL in a string ends
 * the C string, it does not overflow anything. */
static void test_odd_strings(void **state) {
  (void)state;
  servicemap sm = {0};
  static const char text[] =
      "{\"rekorTlogUrls\":[{\"url\":\"https://r\\u001b[31m\\u0000tail\","
      "\"majorApiVersion\":1,\"operator\":\"\\u00e9\\ud83d\\ude00\"}]}";
  assert_int_equal(servicemap_add_signing_config(&sm, text, sizeof text - 1,
                                                 NULL, 0), STELLA_OK);
  assert_int_equal(sm.n_endpoints, 1);
  assert_string_equal(sm.endpoints[0].url, "https://r\x1b[31m");
  assert_string_equal(sm.endpoints[0].operator_name,
                      "\xc3\xa9\xf0\x9f\x98\x80");
  servicemap_clear(&sm);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_trusted_root_wrong_types),
    cmocka_unit_test(test_nesting_and_huge_numbers),
    cmocka_unit_test(test_ten_thousand_tlogs),
    cmocka_unit_test(test_odd_strings),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
