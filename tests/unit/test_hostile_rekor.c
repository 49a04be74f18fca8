/* test_hostile_rekor.c - the Rekor reply parsers (entries, bundles, log
 * info, consistency proofs, trusted-root keyring) fed what a broken or
 * hostile server sends: an HTML error page, a truncated body, wrong types,
 * hashes of the wrong size, more proof hashes or entries than the caps.
 * Each must be refused with the right code and a reason, leave its output
 * empty, and not crash or leak (ASan). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "rekor_verify.h"

#define HTML "<html><head><title>502 Bad Gateway</title></head></html>\n"
#define HASH_HEX \
  "c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d"
#define HASH_B64 "wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0="
/* Rekor's production key (P-256 SPKI, base64). */
#define REKOR_SPKI                                                          \
  "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2G2Y+2tabdTV5BcGiBIx0a9fAFwrkBbmLSGt" \
  "ks4L3qX6yYY0zufBnhC8Ur/iy55GhWP/9A/bY2LhC30M9+RYtw=="

/* ---- Builders --------------------------------------------------------- */

/* A JSON list of n copies of item. */
static char *repeat(const char *item, size_t n) {
  sbuf b = SBUF_INIT;
  sbuf_append_char(&b, '[');
  for (size_t i = 0; i < n; i++)
    sbuf_printf(&b, "%s%s", i ? "," : "", item);
  sbuf_append_char(&b, ']');
  return b.data;
}

/* One LogEntryAnon; a NULL member is left out. */
typedef struct api_parts {
  const char *body, *time, *log_id, *index, *verification;
} api_parts;

static void api_entry(sbuf *b, const api_parts *p) {
  sbuf_append_char(b, '{');
  const char *names[] = {"body", "integratedTime", "logID", "logIndex",
                         "verification"};
  const char *vals[] = {p->body, p->time, p->log_id, p->index,
                        p->verification};
  int first = 1;
  for (size_t i = 0; i < 5; i++) {
    if (!vals[i])
      continue;
    sbuf_printf(b, "%s\"%s\":%s", first ? "" : ",", names[i], vals[i]);
    first = 0;
  }
  sbuf_append_char(b, '}');
}

static const api_parts good_api = {
  "\"e30=\"", "1700000000", "\"" HASH_HEX "\"", "5",
  "{\"signedEntryTimestamp\":\"AQID\",\"inclusionProof\":{\"logIndex\":0,"
  "\"treeSize\":1,\"rootHash\":\"" HASH_HEX "\",\"hashes\":[]}}"};

/* {"<uuid>": entry} around parts. */
static char *api_reply(const api_parts *p) {
  sbuf b = SBUF_INIT;
  sbuf_append_str(&b, "{\"" HASH_HEX "\":");
  api_entry(&b, p);
  sbuf_append_char(&b, '}');
  return b.data;
}

static stella_err parse_api(const char *text, char *why, size_t whylen) {
  rekor_entry *v = (rekor_entry *)1;
  size_t n = 7;
  stella_err e = rekor_entries_from_api(text, strlen(text), &v, &n, why,
                                        whylen);
  if (e) {
    assert_null(v);
    assert_int_equal(n, 0);
  }
  rekor_entries_free(v, n);
  return e;
}

static void expect_api(const char *text, stella_err want) {
  char why[256] = "";
  stella_err e = parse_api(text, why, sizeof why);
  if (e != want)
    fail_msg("got %d want %d (%s) for %.300s", e, want, why, text);
  if (want)
    assert_true(why[0] != '\0');
}

/* ---- Entries from the API ----------------------------------------------- */

static void test_api_not_json(void **state) {
  (void)state;
  char why[256] = "";
  char *good = api_reply(&good_api);
  expect_api(good, STELLA_OK);
  assert_int_equal(parse_api(HTML, why, sizeof why), STELLA_E_PARSE);
  assert_non_null(strstr(why, "not JSON"));
  good[strlen(good) / 2] = '\0'; /* truncated */
  expect_api(good, STELLA_E_PARSE);
  expect_api("", STELLA_E_PARSE);
  /* No body at all (a 200 with nothing): said to be empty, not too big. */
  rekor_entry *v = NULL;
  size_t n = 0;
  assert_int_equal(rekor_entries_from_api(NULL, 0, &v, &n, why, sizeof why),
                   STELLA_E_PARSE);
  assert_string_equal(why, "log entries: empty (0 bytes), not JSON");
  assert_int_equal(parse_api("", why, sizeof why), STELLA_E_PARSE);
  assert_non_null(strstr(why, "empty (0 bytes)"));
  expect_api("{\"a\":1} trailing", STELLA_E_PARSE);
  expect_api("42", STELLA_E_FORMAT);
  expect_api("\"entries\"", STELLA_E_FORMAT);
  expect_api("null", STELLA_E_FORMAT);
  expect_api("[1]", STELLA_E_FORMAT);
  expect_api("[{\"aa\":[]}]", STELLA_E_FORMAT);
  expect_api("{\"not-hex\":{}}", STELLA_E_FORMAT);
  free(good);
}

static void test_api_wrong_types(void **state) {
  (void)state;
  /* member index in api_parts, replacement value (NULL: left out) */
  static const struct {
    int field;
    const char *value;
  } bad[] = {
    {0, NULL}, {0, "42"}, {0, "\"\""}, {0, "\"not base64!\""},
    {0, "\"\\u0000AAA\""},
    {1, "\"1700000000\""}, {1, "-1"}, {1, "1.5"}, {1, "true"},
    {2, NULL}, {2, "\"c0d2\""}, {2, "\"" HASH_B64 "\""}, {2, "42"},
    {2, "\"" HASH_HEX "00\""}, /* 33 bytes */
    {2, "\"c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b959180\""},
    {3, NULL}, {3, "\"5\""}, {3, "-5"}, {3, "1e3"},
    {3, "99999999999999999999"},
    {4, "[]"}, {4, "{\"signedEntryTimestamp\":7}"},
    {4, "{\"signedEntryTimestamp\":\"!!\"}"},
    {4, "{\"inclusionProof\":\"x\"}"},
    {4, "{\"inclusionProof\":{\"logIndex\":0,\"rootHash\":\"" HASH_HEX
        "\",\"hashes\":[]}}"},
    {4, "{\"inclusionProof\":{\"logIndex\":0,\"treeSize\":1,\"rootHash\":\""
        HASH_B64 "\"}}"},
    {4, "{\"inclusionProof\":{\"logIndex\":0,\"treeSize\":1,\"rootHash\":\""
        HASH_HEX "\",\"hashes\":\"x\"}}"},
    {4, "{\"inclusionProof\":{\"logIndex\":0,\"treeSize\":1,\"rootHash\":\""
        HASH_HEX "\",\"hashes\":[\"abcd\"]}}"},
    {4, "{\"inclusionProof\":{\"logIndex\":0,\"treeSize\":1,\"rootHash\":\""
        HASH_HEX "\",\"hashes\":[],\"checkpoint\":42}}"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    api_parts p = good_api;
    const char **slot[] = {&p.body, &p.time, &p.log_id, &p.index,
                           &p.verification};
    *slot[bad[i].field] = bad[i].value;
    char *text = api_reply(&p);
    expect_api(text, STELLA_E_FORMAT);
    free(text);
  }
}

/* An inclusion proof of n hex hashes. */
static char *proof_with(size_t n) {
  char *list = repeat("\"" HASH_HEX "\"", n);
  sbuf v = SBUF_INIT;
  sbuf_printf(&v, "{\"inclusionProof\":{\"logIndex\":0,\"treeSize\":1,"
              "\"rootHash\":\"" HASH_HEX "\",\"hashes\":%s}}", list);
  free(list);
  api_parts p = good_api;
  p.verification = v.data;
  char *text = api_reply(&p);
  sbuf_free(&v);
  return text;
}

static void test_api_caps(void **state) {
  (void)state;
  char *text = proof_with(REKOR_MAX_PROOF_HASHES);
  expect_api(text, STELLA_OK);
  free(text);
  text = proof_with(REKOR_MAX_PROOF_HASHES + 1);
  expect_api(text, STELLA_E_FORMAT);
  free(text);
  /* 256 entries in one object pass, 257 over objects of an array fail */
  for (size_t total = 256; total <= 257; total++) {
    sbuf b = SBUF_INIT;
    sbuf_append_str(&b, total == 256 ? "{" : "[{");
    for (size_t i = 0; i < total; i++) {
      if (total == 257 && i == 100)
        sbuf_append_str(&b, "},{");
      else if (i)
        sbuf_append_char(&b, ',');
      sbuf_printf(&b, "\"%064zx\":", i);
      api_entry(&b, &good_api);
    }
    sbuf_append_str(&b, total == 256 ? "}" : "}]");
    rekor_entry *v;
    size_t n;
    stella_err e = rekor_entries_from_api(b.data, b.len, &v, &n, NULL, 0);
    assert_int_equal(e, total == 256 ? STELLA_OK : STELLA_E_LIMIT);
    assert_int_equal(n, total == 256 ? 256 : 0);
    rekor_entries_free(v, n);
    sbuf_free(&b);
  }
  /* over the reply cap, whatever it holds */
  size_t big = REKOR_MAX_RESPONSE + 1;
  char *blob = malloc(big);
  memset(blob, ' ', big);
  rekor_entry *v;
  size_t n;
  assert_int_equal(rekor_entries_from_api(blob, big, &v, &n, NULL, 0),
                   STELLA_E_TOO_LARGE);
  free(blob);
}

/* A keyring with Rekor's production key under log ID HASH_B64. */
static void prod_keyring(rekor_keyring *kr) {
  const char *tr = "{\"tlogs\":[{\"baseUrl\":\"https://rekor.sigstore.dev\","
                   "\"logId\":{\"keyId\":\"" HASH_B64 "\"},\"publicKey\":{"
                   "\"rawBytes\":\"" REKOR_SPKI "\"}}]}";
  assert_int_equal(rekor_keyring_add_trusted_root(kr, tr, strlen(tr), NULL,
                                                  0), STELLA_OK);
}

/* A proof that cannot be right is refused by the verifier as malformed,
 * not trusted, not crashed on. */
static void test_api_impossible_proof(void **state) {
  (void)state;
  static const char *const proofs[] = {
    "{\"inclusionProof\":{\"logIndex\":5,\"treeSize\":1,\"rootHash\":\""
    HASH_HEX "\"}}",
    "{\"inclusionProof\":{\"logIndex\":0,\"treeSize\":0,\"rootHash\":\""
    HASH_HEX "\"}}",
    "{\"inclusionProof\":{\"logIndex\":0,\"treeSize\":9223372036854775807,"
    "\"rootHash\":\"" HASH_HEX "\",\"hashes\":[\"" HASH_HEX "\"]}}",
  };
  rekor_keyring kr = {0};
  prod_keyring(&kr);
  for (size_t i = 0; i < sizeof proofs / sizeof proofs[0]; i++) {
    api_parts p = good_api;
    p.verification = proofs[i];
    char *text = api_reply(&p);
    rekor_entry *v;
    size_t n;
    rekor_verify_result res;
    assert_int_equal(rekor_entries_from_api(text, strlen(text), &v, &n, NULL,
                                            0), STELLA_OK);
    assert_int_equal(rekor_entry_verify(&v[0], &kr, NULL, &res),
                     STELLA_E_FORMAT);
    assert_int_equal(res.failure, REKOR_FAIL_PROOF);
    assert_int_equal(res.proof, REKOR_CHECK_FAILED);
    rekor_verify_result_clear(&res);
    rekor_entries_free(v, n);
    free(text);
  }
  rekor_keyring_clear(&kr);
}

/* An inclusion proof with neither a SET nor a checkpoint signed by the log
 * proves nothing: anyone can make a one-leaf "tree" whose root is the leaf.
 * Such an entry (any body, any trusted log ID) must not verify. */
static void test_proof_alone_proves_nothing(void **state) {
  (void)state;
  rekor_keyring kr = {0};
  prod_keyring(&kr);
  merkle_hash leaf;
  char hex[65], proof[256];
  merkle_leaf_hash((const uint8_t *)"{}", 2, leaf);
  hex_encode(leaf, sizeof leaf, hex);
  snprintf(proof, sizeof proof, "{\"inclusionProof\":{\"logIndex\":0,"
           "\"treeSize\":1,\"rootHash\":\"%s\",\"hashes\":[]}}", hex);
  api_parts p = good_api;
  p.verification = proof;
  char *text = api_reply(&p);
  rekor_entry *v;
  size_t n;
  rekor_verify_result res;
  rekor_verify_opts with_proof = {.require_proof = 1};
  assert_int_equal(rekor_entries_from_api(text, strlen(text), &v, &n, NULL,
                                          0), STELLA_OK);
  assert_int_equal(rekor_entry_verify(&v[0], &kr, NULL, &res),
                   STELLA_E_FORMAT);
  assert_int_equal(res.failure, REKOR_FAIL_MISSING);
  assert_non_null(strstr(res.reason, "checkpoint"));
  rekor_verify_result_clear(&res);
  /* The same for the bundle rule (v0.2+: a proof is required). */
  assert_int_equal(rekor_entry_verify(&v[0], &kr, &with_proof, &res),
                   STELLA_E_FORMAT);
  assert_int_equal(res.failure, REKOR_FAIL_MISSING);
  rekor_verify_result_clear(&res);
  rekor_entries_free(v, n);
  free(text);
  rekor_keyring_clear(&kr);
}

/* ---- Bundles ------------------------------------------------------------ */

#define MEDIA_03 "application/vnd.dev.sigstore.bundle.v0.3+json"

/* A bundle with one tlog entry built from entry. */
static char *bundle_with(const char *media, const char *entries) {
  sbuf b = SBUF_INIT;
  sbuf_printf(&b, "{\"mediaType\":\"%s\",\"verificationMaterial\":"
              "{\"tlogEntries\":%s},\"messageSignature\":{}}", media, entries);
  return b.data;
}

/* The canonicalized body of the built entries, base64 of
 * {"apiVersion":"0.0.1","kind":"hashedrekord"}, and its kindVersion. */
#define BODY_B64 "eyJhcGlWZXJzaW9uIjoiMC4wLjEiLCJraW5kIjoiaGFzaGVkcmVrb3JkIn0="
#define GOOD_KV "{\"kind\":\"hashedrekord\",\"version\":\"0.0.1\"}"

/* A tlog entry; kind_version NULL leaves it out. */
static char *tlog_entry_kv(const char *index, const char *log_id,
                           const char *proof, const char *kind_version) {
  sbuf b = SBUF_INIT;
  sbuf_printf(&b, "{\"logIndex\":%s,\"logId\":{\"keyId\":%s},"
              "\"canonicalizedBody\":\"" BODY_B64 "\",\"inclusionProof\":%s",
              index, log_id, proof);
  if (kind_version)
    sbuf_printf(&b, ",\"kindVersion\":%s", kind_version);
  sbuf_append_char(&b, '}');
  return b.data;
}

static char *tlog_entry(const char *index, const char *log_id,
                        const char *proof) {
  return tlog_entry_kv(index, log_id, proof, GOOD_KV);
}

static void expect_bundle(const char *text, stella_err want) {
  rekor_bundle b;
  char why[256] = "";
  stella_err e = rekor_bundle_parse(text, strlen(text), &b, why, sizeof why);
  if (e != want)
    fail_msg("got %d want %d (%s) for %.300s", e, want, why, text);
  if (e) {
    assert_true(why[0] != '\0');
    assert_null(b.entries);
    assert_int_equal(b.n, 0);
  }
  rekor_bundle_clear(&b);
}

static void test_bundle_hostile(void **state) {
  (void)state;
  static const char *const good_proof =
      "{\"logIndex\":\"0\",\"treeSize\":\"1\",\"rootHash\":\"" HASH_B64 "\"}";
  static const char *const bad[][3] = { /* logIndex, logId, proof */
    {"\"-1\"", "\"" HASH_B64 "\"", "null"},
    {"\"12a\"", "\"" HASH_B64 "\"", "null"},
    {"\"\"", "\"" HASH_B64 "\"", "null"},
    {"\"99999999999999999999\"", "\"" HASH_B64 "\"", "null"},
    {"true", "\"" HASH_B64 "\"", "null"},
    {"\"1\"", "\"" HASH_HEX "\"", "null"},
    {"\"1\"", "\"AAAA\"", "null"},
    {"\"1\"", "\"" HASH_B64 "\"", "[]"},
    {"\"1\"", "\"" HASH_B64 "\"", "{\"logIndex\":\"0\",\"treeSize\":\"1\","
                                  "\"rootHash\":\"" HASH_HEX "\"}"},
    {"\"1\"", "\"" HASH_B64 "\"", "{\"logIndex\":\"0\",\"treeSize\":\"1\","
                                  "\"rootHash\":\"" HASH_B64 "\","
                                  "\"checkpoint\":{\"envelope\":42}}"},
    {"\"1\"", "\"" HASH_B64 "\"", "{\"logIndex\":\"0\",\"treeSize\":\"1\","
                                  "\"rootHash\":\"" HASH_B64 "\","
                                  "\"checkpoint\":\"a note\"}"},
  };
  char *e = tlog_entry("\"1\"", "\"" HASH_B64 "\"", good_proof);
  char *list = repeat(e, 1);
  char *text = bundle_with(MEDIA_03, list);
  expect_bundle(text, STELLA_OK);
  free(text);
  text = bundle_with("application/vnd.dev.sigstore.bundle+json;version=0.4",
                     list);
  expect_bundle(text, STELLA_E_FORMAT);
  text[strlen(text) - 3] = '\0';
  expect_bundle(text, STELLA_E_PARSE);
  free(text);
  free(list);
  free(e);
  expect_bundle(HTML, STELLA_E_PARSE);
  expect_bundle("[]", STELLA_E_FORMAT);
  expect_bundle("{\"mediaType\":\"" MEDIA_03 "\"}", STELLA_E_FORMAT);
  expect_bundle("{\"mediaType\":\"" MEDIA_03 "\",\"verificationMaterial\":{"
                "\"tlogEntries\":{}}}", STELLA_E_FORMAT);
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    e = tlog_entry(bad[i][0], bad[i][1], bad[i][2]);
    list = repeat(e, 1);
    text = bundle_with(MEDIA_03, list);
    expect_bundle(text, STELLA_E_FORMAT);
    free(text);
    free(list);
    free(e);
  }
}

/* kindVersion must be {"kind": K, "version": V} with K and V the
 * canonicalized body's kind and apiVersion. */
static void test_bundle_kind_version(void **state) {
  static const char *const bad[] = {
    NULL, "null", "1.5", "[]", "\"x\"", "{}", "{\"kind\":\"hashedrekord\"}",
    "{\"version\":\"0.0.1\"}",
    "{\"kind\":\"hashedrekord\",\"version\":1}",
    "{\"kind\":[],\"version\":\"0.0.1\"}",
    "{\"kind\":\"intoto\",\"version\":\"0.0.1\"}",
    "{\"kind\":\"hashedrekord\",\"version\":\"0.0.2\"}",
    "{\"kind\":\"\",\"version\":\"\"}",
    "{\"kind\":\"hashedrekord\\u0000x\",\"version\":\"0.0.1\"}",
    "{\"kind\":\"HASHEDREKORD\",\"version\":\"0.0.1\"}",
  };
  static const char *const proof =
      "{\"logIndex\":\"0\",\"treeSize\":\"1\",\"rootHash\":\"" HASH_B64 "\"}";
  (void)state;
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char *e = tlog_entry_kv("\"1\"", "\"" HASH_B64 "\"", proof, bad[i]);
    char *list = repeat(e, 1);
    char *text = bundle_with(MEDIA_03, list);
    rekor_bundle b;
    char why[256] = "";
    assert_int_equal(rekor_bundle_parse(text, strlen(text), &b, why,
                                        sizeof why), STELLA_E_FORMAT);
    if (!strstr(why, "kindVersion"))
      fail_msg("kindVersion %s: %s", bad[i] ? bad[i] : "absent", why);
    free(text);
    free(list);
    free(e);
  }
}

static void test_bundle_caps(void **state) {
  (void)state;
  char *hashes = repeat("\"" HASH_B64 "\"", REKOR_MAX_PROOF_HASHES + 1);
  sbuf proof = SBUF_INIT;
  sbuf_printf(&proof, "{\"logIndex\":\"0\",\"treeSize\":\"1\",\"rootHash\":\""
              HASH_B64 "\",\"hashes\":%s}", hashes);
  char *e = tlog_entry("\"1\"", "\"" HASH_B64 "\"", proof.data);
  char *list = repeat(e, 1);
  char *text = bundle_with(MEDIA_03, list);
  expect_bundle(text, STELLA_E_FORMAT);
  free(text);
  free(list);
  free(e);
  e = tlog_entry("\"1\"", "\"" HASH_B64 "\"", "null");
  list = repeat(e, REKOR_MAX_ENTRIES_PER_RESPONSE + 1);
  text = bundle_with(MEDIA_03, list);
  expect_bundle(text, STELLA_E_LIMIT);
  free(text);
  free(list);
  free(e);
  free(hashes);
  sbuf_free(&proof);
}

/* ---- Log info and consistency proofs --------------------------------------- */

static void expect_log_info(const char *text, stella_err want) {
  rekor_log_info li;
  char why[256] = "";
  stella_err e = rekor_log_info_parse(text, strlen(text), &li, why,
                                      sizeof why);
  if (e != want)
    fail_msg("got %d want %d (%s) for %s", e, want, why, text);
  if (e) {
    assert_true(why[0] != '\0');
    assert_null(li.tree_id);
    assert_null(li.signed_tree_head);
  }
  rekor_log_info_clear(&li);
}

static void test_log_info(void **state) {
  (void)state;
  static const char good[] =
      "{\"rootHash\":\"" HASH_HEX "\",\"signedTreeHead\":\"o\\n1\\nx\\n\","
      "\"treeID\":\"1193050959916656506\",\"treeSize\":649584076,"
      "\"inactiveShards\":[{\"treeID\":\"2605736670972794746\"},{}]}";
  rekor_log_info li;
  assert_int_equal(rekor_log_info_parse(good, strlen(good), &li, NULL, 0),
                   STELLA_OK);
  assert_int_equal(li.tree_size, 649584076);
  assert_string_equal(li.tree_id, "1193050959916656506");
  assert_string_equal(li.signed_tree_head, "o\n1\nx\n");
  assert_int_equal(li.n_inactive_shards, 2);
  assert_int_equal(li.root_hash[0], 0xc0);
  rekor_log_info_clear(&li);
  char *cut = strndup(good, 40);
  expect_log_info(cut, STELLA_E_PARSE);
  free(cut);
  expect_log_info(HTML, STELLA_E_PARSE);
  expect_log_info("[]", STELLA_E_FORMAT);
  static const char *const bad[] = {
    "{\"rootHash\":\"abc\",\"signedTreeHead\":\"x\",\"treeID\":\"1\","
    "\"treeSize\":1}",
    "{\"rootHash\":\"" HASH_HEX "\",\"signedTreeHead\":\"x\",\"treeID\":\"1\","
    "\"treeSize\":\"1\"}",
    "{\"rootHash\":\"" HASH_HEX "\",\"signedTreeHead\":\"x\",\"treeID\":\"1\","
    "\"treeSize\":-1}",
    "{\"rootHash\":\"" HASH_HEX "\",\"signedTreeHead\":\"x\",\"treeID\":\"1\","
    "\"treeSize\":1.0}",
    "{\"rootHash\":\"" HASH_HEX "\",\"signedTreeHead\":\"x\",\"treeID\":1,"
    "\"treeSize\":1}",
    "{\"rootHash\":\"" HASH_HEX "\",\"signedTreeHead\":\"x\",\"treeID\":"
    "\"12a\",\"treeSize\":1}",
    "{\"rootHash\":\"" HASH_HEX "\",\"treeID\":\"1\",\"treeSize\":1}",
    "{\"rootHash\":\"" HASH_HEX "\",\"signedTreeHead\":\"\",\"treeID\":\"1\","
    "\"treeSize\":1}",
    "{\"rootHash\":\"" HASH_HEX "\",\"signedTreeHead\":\"x\",\"treeID\":\"1\","
    "\"treeSize\":1,\"inactiveShards\":{}}",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    expect_log_info(bad[i], STELLA_E_FORMAT);
}

static stella_err parse_consistency(const char *hashes, size_t *n) {
  sbuf b = SBUF_INIT;
  rekor_consistency c;
  sbuf_printf(&b, "{\"rootHash\":\"" HASH_HEX "\"%s%s}",
              hashes ? ",\"hashes\":" : "", hashes ? hashes : "");
  stella_err e = rekor_consistency_parse(b.data, b.len, &c, NULL, 0);
  *n = c.n_hashes;
  if (e)
    assert_null(c.hashes);
  rekor_consistency_clear(&c);
  sbuf_free(&b);
  return e;
}

static void test_consistency(void **state) {
  (void)state;
  size_t n;
  char *list = repeat("\"" HASH_HEX "\"", REKOR_MAX_PROOF_HASHES);
  assert_int_equal(parse_consistency(list, &n), STELLA_OK);
  assert_int_equal(n, REKOR_MAX_PROOF_HASHES);
  free(list);
  list = repeat("\"" HASH_HEX "\"", REKOR_MAX_PROOF_HASHES + 1);
  assert_int_equal(parse_consistency(list, &n), STELLA_E_FORMAT);
  free(list);
  assert_int_equal(parse_consistency(NULL, &n), STELLA_OK);
  assert_int_equal(n, 0);
  assert_int_equal(parse_consistency("[]", &n), STELLA_OK);
  assert_int_equal(parse_consistency("\"x\"", &n), STELLA_E_FORMAT);
  assert_int_equal(parse_consistency("[\"" HASH_HEX "\",\"abcd\"]", &n),
                   STELLA_E_FORMAT);
  assert_int_equal(parse_consistency("[\"" HASH_B64 "\"]", &n),
                   STELLA_E_FORMAT);
  assert_int_equal(parse_consistency("[42]", &n), STELLA_E_FORMAT);
  rekor_consistency c;
  char why[256] = "";
  assert_int_equal(rekor_consistency_parse(HTML, strlen(HTML), &c, why,
                                           sizeof why), STELLA_E_PARSE);
  assert_non_null(strstr(why, "consistency proof"));
  assert_int_equal(rekor_consistency_parse("{\"hashes\":[]}", 13, &c, why,
                                           sizeof why), STELLA_E_FORMAT);
  const char *cut = "{\"rootHash\":\"" HASH_HEX;
  assert_int_equal(rekor_consistency_parse(cut, strlen(cut), &c, why,
                                           sizeof why), STELLA_E_PARSE);
}

/* ---- Keyring from a trusted root --------------------------------------------- */

static char *trusted_root(const char *base_url, const char *log_id,
                          const char *raw, const char *details,
                          const char *valid_for) {
  sbuf b = SBUF_INIT;
  sbuf_printf(&b, "{\"tlogs\":[{\"baseUrl\":%s,\"logId\":{\"keyId\":%s},"
              "\"publicKey\":{\"rawBytes\":%s,\"keyDetails\":%s,"
              "\"validFor\":%s}}]}", base_url, log_id, raw, details,
              valid_for);
  return b.data;
}

static void test_keyring_hostile(void **state) {
  (void)state;
  static const char *const bad[][5] = {
    {"\"ftp://r.test\"", "\"" HASH_B64 "\"", "\"" REKOR_SPKI "\"",
     "\"PKIX_ECDSA_P256_SHA_256\"", "{}"},
    {"42", "\"" HASH_B64 "\"", "\"" REKOR_SPKI "\"",
     "\"PKIX_ECDSA_P256_SHA_256\"", "{}"},
    {"\"https://r.test\"", "\"AAAA\"", "\"" REKOR_SPKI "\"",
     "\"PKIX_ECDSA_P256_SHA_256\"", "{}"},
    {"\"https://r.test\"", "\"" HASH_B64 "\"", "\"not base64!\"",
     "\"PKIX_ECDSA_P256_SHA_256\"", "{}"},
    {"\"https://r.test\"", "\"" HASH_B64 "\"", "\"AAECAw==\"",
     "\"PKIX_ECDSA_P256_SHA_256\"", "{}"},
    {"\"https://r.test\"", "\"" HASH_B64 "\"", "\"" REKOR_SPKI "\"", "7",
     "{}"},
    {"\"https://r.test\"", "\"" HASH_B64 "\"", "\"" REKOR_SPKI "\"",
     "\"PKIX_ECDSA_P256_SHA_256\"", "{\"start\":\"yesterday\"}"},
  };
  rekor_keyring kr = {0};
  char why[256];
  char *good = trusted_root("\"https://r.test\"", "\"" HASH_B64 "\"",
                            "\"" REKOR_SPKI "\"",
                            "\"PKIX_ECDSA_P256_SHA_256\"", "{}");
  assert_int_equal(rekor_keyring_add_trusted_root(&kr, good, strlen(good),
                                                  NULL, 0), STELLA_OK);
  assert_int_equal(kr.n, 1);
  free(good);
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    char *t = trusted_root(bad[i][0], bad[i][1], bad[i][2], bad[i][3],
                           bad[i][4]);
    why[0] = '\0';
    stella_err e = rekor_keyring_add_trusted_root(&kr, t, strlen(t), why,
                                                  sizeof why);
    if (e != STELLA_E_FORMAT)
      fail_msg("got %d for %s", e, t);
    assert_non_null(strstr(why, "tlogs[0]"));
    assert_int_equal(kr.n, 1); /* unchanged */
    free(t);
  }
  assert_int_equal(rekor_keyring_add_trusted_root(&kr, HTML, strlen(HTML),
                                                  why, sizeof why),
                   STELLA_E_PARSE);
  assert_int_equal(rekor_keyring_add_trusted_root(&kr, "{\"tlogs\":{}}", 12,
                                                  why, sizeof why),
                   STELLA_E_FORMAT);
  assert_int_equal(kr.n, 1);
  rekor_keyring_clear(&kr);
}

/* Keys we could not verify as their keyDetails means are skipped. */
static void test_keyring_skips_unusable_keys(void **state) {
  (void)state;
  static const char *const details[] = {"\"PKIX_ED25519\"",
                                        "\"PKIX_RSA_PSS_2048_SHA256\"",
                                        "\"LMS_SHA256\""};
  for (size_t i = 0; i < sizeof details / sizeof details[0]; i++) {
    rekor_keyring kr = {0};
    char *t = trusted_root("\"https://r.test\"", "\"" HASH_B64 "\"",
                           "\"" REKOR_SPKI "\"", details[i], "{}");
    assert_int_equal(rekor_keyring_add_trusted_root(&kr, t, strlen(t), NULL,
                                                    0), STELLA_OK);
    assert_int_equal(kr.n, 0);
    free(t);
  }
  /* No keyDetails (or null): the SPKI decides. */
  rekor_keyring kr = {0};
  char *t = trusted_root("\"https://r.test\"", "\"" HASH_B64 "\"",
                         "\"" REKOR_SPKI "\"", "null", "{}");
  assert_int_equal(rekor_keyring_add_trusted_root(&kr, t, strlen(t), NULL, 0),
                   STELLA_OK);
  assert_int_equal(kr.n, 1);
  rekor_keyring_clear(&kr);
  free(t);
  const char *plain = "{\"tlogs\":[{\"baseUrl\":\"https://r.test\",\"logId\":"
                      "{\"keyId\":\"" HASH_B64 "\"},\"publicKey\":{"
                      "\"rawBytes\":\"" REKOR_SPKI "\"}}]}";
  assert_int_equal(rekor_keyring_add_trusted_root(&kr, plain, strlen(plain),
                                                  NULL, 0), STELLA_OK);
  assert_int_equal(kr.n, 1);
  assert_string_equal(kr.keys[0].note_name, "r.test");
  rekor_keyring_clear(&kr);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_api_not_json),
    cmocka_unit_test(test_api_wrong_types),
    cmocka_unit_test(test_api_caps),
    cmocka_unit_test(test_api_impossible_proof),
    cmocka_unit_test(test_proof_alone_proves_nothing),
    cmocka_unit_test(test_bundle_hostile),
    cmocka_unit_test(test_bundle_kind_version),
    cmocka_unit_test(test_bundle_caps),
    cmocka_unit_test(test_log_info),
    cmocka_unit_test(test_consistency),
    cmocka_unit_test(test_keyring_hostile),
    cmocka_unit_test(test_keyring_skips_unusable_keys),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
