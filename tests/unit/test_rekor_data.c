/* test_rekor_data.c - Rekor log-level verification against the real
 * entries in tests/data/rekor-bundles and tests/data/rekor-api-entries:
 * every file listed in expected.json (and every file in the case folders
 * is listed) parses, its fields and leaf hash match, each check (SET,
 * inclusion proof, checkpoint) ends in the state expected.json gives, and
 * each refused entry fails on the check that expected.json says is broken,
 * with that check's error code and named in the reason. Also the keyring
 * built from the trusted roots (note names and ids against log-keys.json,
 * lookups by prefix and name), the SET payload bytes, the validity window,
 * and the hashedrekord proposal. */
#include <dirent.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fsutil.h"
#include "json.h"
#include "rekor_verify.h"

#define BUNDLES "rekor-bundles"
#define API "rekor-api-entries"
#define PUBLIC_GOOD "trust/trusted_root.public-good.json"
#define PROD_LOG_ID \
  "c0d23d6ad406973f9559f3ba2d1ca01f84147d8ffc5b8445c224f98b9591801d"

/* ---- Helpers --------------------------------------------------------- */

static void read_data(const char *set, const char *rel, sbuf *out) {
  char path[1024];
  const char *dir = getenv("STELLA_TEST_DATA");
  assert_non_null(dir);
  snprintf(path, sizeof path, "%s/%s/%s", dir, set, rel);
  sbuf_free(out);
  if (fs_read_file(path, 64 << 20, out))
    fail_msg("cannot read %s", path);
}

static json_doc *read_json(const char *set, const char *rel) {
  sbuf b = SBUF_INIT;
  json_doc *doc = NULL;
  read_data(set, rel, &b);
  assert_int_equal(json_parse(b.data, b.len, &doc, NULL, 0), STELLA_OK);
  sbuf_free(&b);
  return doc;
}

static void load_keyring(const char *set, const char *trust,
                         rekor_keyring *kr) {
  sbuf b = SBUF_INIT;
  char why[256] = "";
  read_data(set, trust, &b);
  if (rekor_keyring_add_trusted_root(kr, b.data, b.len, why, sizeof why))
    fail_msg("%s: %s", trust, why);
  sbuf_free(&b);
}

static void hex32(const merkle_hash h, char out[65]) {
  hex_encode(h, MERKLE_HASH_LEN, out);
}

/* expected.json's value of one check, as our state. true: ok; "absent":
 * absent; false, "nokey", "error: ...": failed. */
static rekor_check_state expected_state(const json_val *v) {
  int b;
  const char *s = json_str(v, NULL);
  if (json_bool(v, &b) == 0)
    return b ? REKOR_CHECK_OK : REKOR_CHECK_FAILED;
  if (s && strcmp(s, "absent") == 0)
    return REKOR_CHECK_ABSENT;
  return REKOR_CHECK_FAILED;
}

/* The checkpoint is ok only when signed and matching the proof. */
static rekor_check_state expected_checkpoint(const json_val *checks) {
  rekor_check_state sig = expected_state(json_get(checks,
                                                  "checkpoint_signature"));
  const json_val *m = json_get(checks, "checkpoint_matches_proof");
  if (sig != REKOR_CHECK_OK)
    return sig;
  return json_type_of(m) == JV_NULL ? sig : expected_state(m);
}

/* The failure expected.json implies: the first broken check in our order
 * (key, SET, proof, checkpoint, else a missing element), with the error
 * code and the reason's first word. */
typedef struct expected_failure {
  rekor_failure failure;
  stella_err err;
  const char *reason_prefix;
} expected_failure;

static expected_failure expected_fail(const json_val *checks) {
  int known = 0;
  const char *proof = json_get_str(checks, "inclusion_proof");
  json_bool(json_get(checks, "log_key_known"), &known);
  if (!known)
    return (expected_failure){REKOR_FAIL_KEY, STELLA_E_NOT_FOUND, "log key:"};
  if (expected_state(json_get(checks, "SET")) == REKOR_CHECK_FAILED)
    return (expected_failure){REKOR_FAIL_SET, STELLA_E_SIGNATURE, "SET:"};
  if (expected_state(json_get(checks, "inclusion_proof")) ==
      REKOR_CHECK_FAILED)
    return (expected_failure){REKOR_FAIL_PROOF,
                              proof ? STELLA_E_FORMAT : STELLA_E_HASH,
                              "inclusion proof:"};
  if (expected_checkpoint(checks) == REKOR_CHECK_FAILED)
    return (expected_failure){REKOR_FAIL_CHECKPOINT, STELLA_E_SIGNATURE,
                              "checkpoint:"};
  return (expected_failure){REKOR_FAIL_MISSING, STELLA_E_FORMAT, "missing:"};
}

/* The SET payload rebuilt here by hand from expected.json and the raw
 * body string, compared with ours, then checked against the real SET. */
static void check_set_payload(const rekor_entry *e, const json_val *x,
                              const rekor_log_key *k) {
  char want[64 * 1024];
  int64_t t = 0, idx = 0;
  sbuf got = SBUF_INIT;
  assert_int_equal(json_get_int(x, "integratedTime", &t), 0);
  assert_int_equal(json_get_int(x, "logIndex", &idx), 0);
  int n = snprintf(want, sizeof want,
                   "{\"body\":\"%s\",\"integratedTime\":%" PRId64
                   ",\"logID\":\"%s\",\"logIndex\":%" PRId64 "}",
                   e->body_b64, t, json_get_str(x, "logId_hex"), idx);
  assert_true(n > 0 && (size_t)n < sizeof want);
  assert_int_equal(rekor_set_payload(e->body_b64, e->integrated_time,
                                     k->log_id_hex, e->log_index, &got),
                   STELLA_OK);
  assert_string_equal(got.data, want);
  assert_true(crypto_verify(k->key, (const uint8_t *)got.data, got.len,
                            e->set, e->set_len));
  sbuf_free(&got);
}

/* The entry's parsed fields against expected.json's. */
static void check_fields(const rekor_entry *e, const json_val *x) {
  char hex[65], kind[64];
  int64_t v;
  merkle_hash leaf;
  assert_int_equal(json_get_int(x, "logIndex", &v), 0);
  assert_int_equal(e->log_index, v);
  hex32(e->log_id, hex);
  assert_string_equal(hex, json_get_str(x, "logId_hex"));
  merkle_leaf_hash(e->body, e->body_len, leaf);
  hex32(leaf, hex);
  assert_string_equal(hex, json_get_str(x, "leafHash_hex"));
  snprintf(kind, sizeof kind, "%s/%s", e->kind, e->kind_version);
  assert_string_equal(kind, json_get_str(x, "kind"));
  if (json_get_int(x, "integratedTime", &v) == 0) {
    assert_true(e->has_integrated_time);
    assert_int_equal(e->integrated_time, v);
  } else {
    assert_false(e->has_integrated_time);
  }
  if (json_get_int(x, "inclusionProof.logIndex", &v) == 0) {
    assert_true(e->has_proof);
    assert_int_equal(e->proof_index, v);
    assert_int_equal(json_get_int(x, "treeSize", &v), 0);
    assert_int_equal(e->tree_size, v);
  } else {
    assert_false(e->has_proof);
  }
}

/* One entry: fields, per-check states, the failure (if any), and for a
 * present SET its exact payload. */
static void check_entry(const rekor_entry *e, const json_val *x,
                        const rekor_keyring *kr, int minor,
                        const char *file) {
  const json_val *checks = json_get(x, "checks");
  int verifies = strcmp(json_get_str(x, "computed_log_level"), "verifies")
                 == 0;
  rekor_verify_opts o = {.require_proof = minor >= 2, .check_validity = 1};
  rekor_verify_result res;
  check_fields(e, x);
  stella_err err = rekor_entry_verify(e, kr, &o, &res);
  if (verifies && err)
    fail_msg("%s: refused: %s", file, res.reason);
  assert_int_equal(res.set, expected_state(json_get(checks, "SET")));
  assert_int_equal(res.proof,
                   expected_state(json_get(checks, "inclusion_proof")));
  assert_int_equal(res.checkpoint, expected_checkpoint(checks));
  if (verifies) {
    assert_int_equal(res.failure, REKOR_FAIL_NONE);
    assert_non_null(res.key);
    assert_int_equal(res.in_validity, e->has_integrated_time);
  } else {
    expected_failure f = expected_fail(checks);
    if (res.failure != f.failure || err != f.err ||
        strncmp(res.reason, f.reason_prefix, strlen(f.reason_prefix)))
      fail_msg("%s: failure %d err %d \"%s\", want %d err %d \"%s...\"",
               file, res.failure, err, res.reason, f.failure, f.err,
               f.reason_prefix);
  }
  if (res.checkpoint == REKOR_CHECK_OK)
    assert_string_equal(res.cp.origin, json_get_str(x, "checkpoint_origin"));
  if (res.set == REKOR_CHECK_OK)
    check_set_payload(e, x, res.key);
  rekor_verify_result_clear(&res);
}

/* Counts the .json files of set/sub. */
static size_t count_files(const char *set, const char *sub) {
  char path[1024];
  size_t n = 0;
  snprintf(path, sizeof path, "%s/%s/%s", getenv("STELLA_TEST_DATA"), set,
           sub);
  DIR *d = opendir(path);
  assert_non_null(d);
  for (struct dirent *de; (de = readdir(d));)
    n += strstr(de->d_name, ".json") != NULL;
  closedir(d);
  return n;
}

/* ---- Bundles ----------------------------------------------------------- */

static void run_bundle_case(const json_val *c) {
  const char *file = json_get_str(c, "file");
  const json_val *entries = json_get(c, "entries");
  int verifies = strcmp(json_get_str(c, "expected_log_level"), "verifies")
                 == 0;
  rekor_keyring kr = {0};
  rekor_bundle b;
  rekor_verify_result res;
  sbuf text = SBUF_INIT;
  char why[256] = "";
  size_t at = 99;
  load_keyring(BUNDLES, json_get_str(c, "trust"), &kr);
  read_data(BUNDLES, file, &text);
  if (rekor_bundle_parse(text.data, text.len, &b, why, sizeof why))
    fail_msg("%s: %s", file, why);
  assert_int_equal(b.n, json_len(entries));
  for (size_t i = 0; i < b.n; i++)
    check_entry(&b.entries[i], json_at(entries, i), &kr, b.minor, file);
  stella_err e = rekor_bundle_verify(&b, &kr, 1, &res, &at);
  if (verifies != (e == STELLA_OK))
    fail_msg("%s: bundle verify %d (%s)", file, e, res.reason);
  if (!verifies)
    assert_int_equal(at, 0);
  rekor_verify_result_clear(&res);
  rekor_bundle_clear(&b);
  rekor_keyring_clear(&kr);
  sbuf_free(&text);
}

static void test_bundle_cases(void **state) {
  (void)state;
  json_doc *doc = read_json(BUNDLES, "expected.json");
  const json_val *cases = json_get(json_root(doc), "cases");
  size_t valid = 0, rejected = 0;
  for (size_t i = 0; i < json_len(cases); i++) {
    const json_val *c = json_at(cases, i);
    assert_string_equal(json_get_str(c, "format"), "bundle");
    run_bundle_case(c);
    if (strcmp(json_get_str(c, "expected_log_level"), "verifies") == 0)
      valid++;
    else
      rejected++;
  }
  /* Every file of the case folders is a listed case. */
  assert_int_equal(valid, count_files(BUNDLES, "valid"));
  assert_int_equal(rejected, count_files(BUNDLES, "invalid-upstream") +
                                 count_files(BUNDLES, "tampered"));
  assert_int_equal(valid, 15);
  assert_int_equal(rejected, 12);
  json_doc_free(doc);
}

/* The wrong-instance bundle is a real staging entry: with the staging
 * root it verifies, so its refusal above is the key and nothing else. */
static void test_wrong_instance_verifies_with_staging_root(void **state) {
  (void)state;
  rekor_keyring kr = {0};
  rekor_bundle b;
  rekor_verify_result res;
  sbuf text = SBUF_INIT;
  load_keyring(BUNDLES, "trust/trusted_root.staging.json", &kr);
  read_data(BUNDLES, "invalid-upstream/bundle-from-wrong-instance_fail.json",
            &text);
  assert_int_equal(rekor_bundle_parse(text.data, text.len, &b, NULL, 0),
                   STELLA_OK);
  assert_int_equal(rekor_bundle_verify(&b, &kr, 1, &res, NULL), STELLA_OK);
  assert_int_equal(res.set, REKOR_CHECK_OK);
  assert_int_equal(res.checkpoint, REKOR_CHECK_OK);
  assert_string_equal(res.key->note_name, "rekor.sigstage.dev");
  rekor_verify_result_clear(&res);
  rekor_bundle_clear(&b);
  rekor_keyring_clear(&kr);
  sbuf_free(&text);
}

/* v0.1 allows a SET alone; the same entry under a v0.2+ rule does not. */
static void test_set_only_needs_v01(void **state) {
  (void)state;
  rekor_keyring kr = {0};
  rekor_bundle b;
  rekor_verify_result res;
  sbuf text = SBUF_INIT;
  load_keyring(BUNDLES, PUBLIC_GOOD, &kr);
  read_data(BUNDLES, "valid/prod-v1-18300940-intoto-SET-only.json", &text);
  assert_int_equal(rekor_bundle_parse(text.data, text.len, &b, NULL, 0),
                   STELLA_OK);
  assert_int_equal(b.minor, 1);
  assert_int_equal(rekor_bundle_verify(&b, &kr, 1, &res, NULL), STELLA_OK);
  rekor_verify_result_clear(&res);
  b.minor = 2;
  assert_int_equal(rekor_bundle_verify(&b, &kr, 1, &res, NULL),
                   STELLA_E_FORMAT);
  assert_int_equal(res.failure, REKOR_FAIL_MISSING);
  assert_int_equal(res.set, REKOR_CHECK_OK);
  rekor_verify_result_clear(&res);
  rekor_bundle_clear(&b);
  rekor_keyring_clear(&kr);
  sbuf_free(&text);
}

/* Protobuf JSON leaves zero values out: a tlog entry without logIndex is
 * entry 0 (sigstore-js writes a log's first entry so), which for this real
 * entry breaks the SET; a negative or non-numeric index is still refused. */
static void test_bundle_log_index_omitted_is_zero(void **state) {
  (void)state;
  static const char field[] = "\"logIndex\": \"79571823\",";
  rekor_keyring kr = {0};
  rekor_bundle b;
  rekor_verify_result res;
  sbuf text = SBUF_INIT;
  load_keyring(BUNDLES, PUBLIC_GOOD, &kr);
  read_data(BUNDLES, "valid/prod-v1-79571823-hashedrekord.bundle-v0.3.json",
            &text);
  char *at = strstr(text.data, field);
  assert_non_null(at);
  memset(at, ' ', sizeof field - 1);
  assert_int_equal(rekor_bundle_parse(text.data, text.len, &b, NULL, 0),
                   STELLA_OK);
  assert_int_equal(b.entries[0].log_index, 0);
  assert_int_not_equal(rekor_bundle_verify(&b, &kr, 1, &res, NULL), STELLA_OK);
  assert_int_equal(res.set, REKOR_CHECK_FAILED);
  rekor_verify_result_clear(&res);
  rekor_bundle_clear(&b);
  memcpy(at, "\"logIndex\": \"-7\",", sizeof "\"logIndex\": \"-7\"," - 1);
  char why[256];
  assert_int_not_equal(rekor_bundle_parse(text.data, text.len, &b, why,
                                          sizeof why), STELLA_OK);
  assert_non_null(strstr(why, "logIndex"));
  rekor_keyring_clear(&kr);
  sbuf_free(&text);
}

/* A real bundle whose kindVersion is relabelled (same length, so the rest
 * of the file stays as it was) is refused: it must say what the body is. */
static void test_bundle_kind_version_relabelled(void **state) {
  static const char label[] =
      "\"kindVersion\": {\"kind\": \"hashedrekord\", \"version\": \"0.0.1\"}";
  static const char *const relabels[] = {
      "\"kindVersion\": {\"kind\": \"hashedrekord\", \"version\": \"0.0.2\"}",
      "\"kindVersion\": {\"kind\": \"rekord\", \"version\": \"0.0.1\"}      ",
      "\"kindVersion\": null                                        ",
  };
  rekor_bundle b;
  sbuf text = SBUF_INIT;
  char why[256];
  (void)state;
  read_data(BUNDLES, "valid/prod-v1-79571823-hashedrekord.bundle-v0.3.json",
            &text);
  char *at = strstr(text.data, label);
  assert_non_null(at);
  for (size_t i = 0; i < sizeof relabels / sizeof relabels[0]; i++) {
    assert_int_equal(strlen(relabels[i]), sizeof label - 1);
    memcpy(at, relabels[i], sizeof label - 1);
    assert_int_equal(rekor_bundle_parse(text.data, text.len, &b, why,
                                        sizeof why), STELLA_E_FORMAT);
    assert_non_null(strstr(why, "kindVersion"));
  }
  memcpy(at, label, sizeof label - 1);
  assert_int_equal(rekor_bundle_parse(text.data, text.len, &b, NULL, 0),
                   STELLA_OK);
  assert_string_equal(b.entries[0].kind, "hashedrekord");
  assert_string_equal(b.entries[0].kind_version, "0.0.1");
  rekor_bundle_clear(&b);
  sbuf_free(&text);
}

/* ---- API-shaped entries -------------------------------------------------- */

static void test_api_cases(void **state) {
  (void)state;
  json_doc *doc = read_json(API, "expected.json");
  const json_val *cases = json_get(json_root(doc), "cases");
  assert_int_equal(json_len(cases), count_files(API, "valid") +
                                        count_files(API, "tampered"));
  for (size_t i = 0; i < json_len(cases); i++) {
    const json_val *c = json_at(cases, i);
    const char *file = json_get_str(c, "file");
    rekor_keyring kr = {0};
    rekor_entry e;
    sbuf text = SBUF_INIT;
    char why[256] = "";
    assert_string_equal(json_get_str(c, "format"), "api");
    load_keyring(API, json_get_str(c, "trust"), &kr);
    read_data(API, file, &text);
    if (rekor_entry_from_api_object(text.data, text.len, "ab12", &e, why,
                                    sizeof why))
      fail_msg("%s: %s", file, why);
    assert_string_equal(e.uuid, "ab12");
    check_entry(&e, json_at(json_get(c, "entries"), 0), &kr, 0, file);
    rekor_entry_clear(&e);
    rekor_keyring_clear(&kr);
    sbuf_free(&text);
  }
  json_doc_free(doc);
}

/* The same entries as a server sends them: {"<uuid>": entry} (GET) and
 * [{"<uuid>": entry}, ...] (POST /entries/retrieve). */
static void test_api_reply_shapes(void **state) {
  (void)state;
  sbuf good = SBUF_INIT, bad = SBUF_INIT, reply = SBUF_INIT;
  rekor_keyring kr = {0};
  rekor_entry *v;
  size_t n;
  rekor_verify_result res;
  char why[256] = "";
  load_keyring(API, PUBLIC_GOOD, &kr);
  read_data(API, "valid/prod-v1-87076944.logentry.json", &good);
  read_data(API, "tampered/prod-v1-87076944.roothash-changed.logentry.json",
            &bad);
  sbuf_printf(&reply, "{\"24296fb24b8ad77a%s\":%s}",
              "5315a884fa2470ce974c672b7ef868bd7be0c570b37ae137b16947293046fcc7",
              good.data);
  assert_int_equal(rekor_entries_from_api(reply.data, reply.len, &v, &n, why,
                                          sizeof why), STELLA_OK);
  assert_int_equal(n, 1);
  assert_int_equal(strlen(v[0].uuid), 80);
  assert_int_equal(rekor_entry_verify(&v[0], &kr, NULL, &res), STELLA_OK);
  rekor_verify_result_clear(&res);
  rekor_entries_free(v, n);

  sbuf_reset(&reply);
  sbuf_printf(&reply, "[{\"aa\":%s},{\"bb\":%s}]", good.data, bad.data);
  assert_int_equal(rekor_entries_from_api(reply.data, reply.len, &v, &n, why,
                                          sizeof why), STELLA_OK);
  assert_int_equal(n, 2);
  assert_string_equal(v[1].uuid, "bb");
  assert_int_equal(rekor_entry_verify(&v[0], &kr, NULL, &res), STELLA_OK);
  rekor_verify_result_clear(&res);
  assert_int_equal(rekor_entry_verify(&v[1], &kr, NULL, &res), STELLA_E_HASH);
  assert_int_equal(res.failure, REKOR_FAIL_PROOF);
  assert_int_equal(res.checkpoint, REKOR_CHECK_FAILED);
  rekor_verify_result_clear(&res);
  rekor_entries_free(v, n);

  /* /retrieve with no match */
  assert_int_equal(rekor_entries_from_api("[]", 2, &v, &n, why, sizeof why),
                   STELLA_OK);
  assert_int_equal(n, 0);
  assert_null(v);
  rekor_keyring_clear(&kr);
  sbuf_free(&good);
  sbuf_free(&bad);
  sbuf_free(&reply);
}

/* ---- Keyring ------------------------------------------------------------ */

/* Note names and ids, from every trusted root, against log-keys.json. */
static void test_keyring_note_keys(void **state) {
  (void)state;
  json_doc *doc = read_json(BUNDLES, "trust/log-keys.json");
  const json_val *logs = json_get(json_root(doc), "logs");
  assert_true(json_len(logs) >= 5);
  for (size_t i = 0; i < json_len(logs); i++) {
    const json_val *l = json_at(logs, i);
    rekor_keyring kr = {0};
    const rekor_log_key *k = NULL;
    char id[9];
    load_keyring(BUNDLES, json_get_str(l, "from"), &kr);
    assert_int_equal(rekor_keyring_find(&kr, json_get_str(l, "logId_hex"), &k,
                                        NULL, 0), STELLA_OK);
    assert_string_equal(k->base_url, json_get_str(l, "baseUrl"));
    assert_string_equal(k->note_name, json_get_str(l, "key_name_in_notes"));
    hex_encode(k->note_id, 4, id);
    assert_string_equal(id, json_get_str(l, "note_key_id_hex"));
    assert_string_equal(k->name, "");
    rekor_keyring_clear(&kr);
  }
  json_doc_free(doc);
}

static void test_keyring_lookups(void **state) {
  (void)state;
  rekor_keyring kr = {0};
  const rekor_log_key *k;
  char why[256] = "";
  load_keyring(BUNDLES, PUBLIC_GOOD, &kr);
  load_keyring(BUNDLES, "trust/trusted_root.staging-rekor-v2.json", &kr);
  assert_int_equal(kr.n, 6);
  /* A second copy of a root adds nothing. */
  load_keyring(BUNDLES, PUBLIC_GOOD, &kr);
  assert_int_equal(kr.n, 6);
  assert_int_equal(rekor_keyring_find(&kr, PROD_LOG_ID, &k, why, sizeof why),
                   STELLA_OK);
  assert_string_equal(k->log_id_hex, PROD_LOG_ID);
  assert_int_equal(k->valid_until, 0);
  assert_int_equal(rekor_keyring_find(&kr, "C0D23D6A", &k, why, sizeof why),
                   STELLA_OK);
  assert_string_equal(k->note_name, "rekor.sigstore.dev");
  assert_int_equal(rekor_keyring_find(&kr, "c0d23d6", &k, why, sizeof why),
                   STELLA_E_INVALID_ARG);
  assert_non_null(strstr(why, "at least 8"));
  assert_null(k);
  assert_int_equal(rekor_keyring_find(&kr, "0123456789", &k, why, sizeof why),
                   STELLA_E_NOT_FOUND);
  assert_int_equal(rekor_keyring_find(&kr, "rekor-key-v1", &k, why,
                                      sizeof why), STELLA_E_NOT_FOUND);
  assert_int_equal(rekor_keyring_set_name(&kr, PROD_LOG_ID, "rekor-key-v1"),
                   STELLA_OK);
  assert_int_equal(rekor_keyring_find(&kr, "rekor-key-v1", &k, why,
                                      sizeof why), STELLA_OK);
  assert_string_equal(k->log_id_hex, PROD_LOG_ID);
  /* alpha1 (f30d5a99...) ends 2025-09-04 in this root */
  assert_int_equal(rekor_keyring_find(&kr, "f30d5a99", &k, why, sizeof why),
                   STELLA_OK);
  assert_int_equal(k->valid_until, 1756944000);
  assert_string_equal(crypto_key_algorithm(k->key), "ed25519");
  /* The same name on two keys is ambiguous. */
  rekor_keyring_set_name(&kr, "f30d5a999d92e662484244263f174cb8eacbfe8264bc583"
                              "d32741799e3825dc9", "rekor-key-v1");
  assert_int_equal(rekor_keyring_find(&kr, "rekor-key-v1", &k, why,
                                      sizeof why), STELLA_E_INVALID_ARG);
  assert_non_null(strstr(why, "matches 2"));
  rekor_keyring_clear(&kr);
  rekor_keyring_clear(&kr); /* cleared twice is fine */
}

/* Two logs whose IDs share 8 hex digits: that prefix is ambiguous, a
 * longer one is not. */
static void test_keyring_ambiguous_prefix(void **state) {
  (void)state;
  rekor_keyring kr = {0};
  const rekor_log_key *k;
  char why[256] = "";
  sbuf tr = SBUF_INIT;
  json_doc *doc = read_json(BUNDLES, PUBLIC_GOOD);
  const char *raw = json_get_str(
      json_get(json_at(json_get(json_root(doc), "tlogs"), 0), "publicKey"),
      "rawBytes");
  sbuf_printf(&tr, "{\"tlogs\":["
              "{\"baseUrl\":\"https://a.test\",\"logId\":{\"keyId\":"
              "\"wNI9agAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE=\"},"
              "\"publicKey\":{\"rawBytes\":\"%s\"}},"
              "{\"baseUrl\":\"http://b.test:8080/x\",\"logId\":{\"keyId\":"
              "\"wNI9agAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAI=\"},"
              "\"publicKey\":{\"rawBytes\":\"%s\"}}]}", raw, raw);
  assert_int_equal(rekor_keyring_add_trusted_root(&kr, tr.data, tr.len, why,
                                                  sizeof why), STELLA_OK);
  assert_int_equal(kr.n, 2);
  assert_string_equal(kr.keys[1].note_name, "b.test:8080");
  assert_int_equal(rekor_keyring_find(&kr, "c0d23d6a", &k, why, sizeof why),
                   STELLA_E_INVALID_ARG);
  assert_non_null(strstr(why, "matches 2"));
  assert_int_equal(rekor_keyring_find(&kr, "c0d23d6a000000000000", &k, why,
                                      sizeof why), STELLA_E_INVALID_ARG);
  assert_int_equal(
      rekor_keyring_find(&kr, "c0d23d6a0000000000000000000000000000000000000"
                              "0000000000000000002", &k, why, sizeof why),
      STELLA_OK);
  assert_string_equal(k->base_url, "http://b.test:8080/x");
  json_doc_free(doc);
  rekor_keyring_clear(&kr);
  sbuf_free(&tr);
}

/* ---- Validity window ------------------------------------------------------- */

/* The public-good key with a window that starts after the entry: refused
 * with check_validity only, and in_validity says so either way. */
static void test_validity_window(void **state) {
  (void)state;
  rekor_keyring kr = {0};
  rekor_bundle b;
  rekor_verify_result res;
  sbuf text = SBUF_INIT, tr = SBUF_INIT;
  json_doc *doc = read_json(BUNDLES, PUBLIC_GOOD);
  const json_val *tlog = json_at(json_get(json_root(doc), "tlogs"), 0);
  sbuf_printf(&tr, "{\"tlogs\":[{\"baseUrl\":\"https://rekor.sigstore.dev\","
              "\"logId\":{\"keyId\":\"%s\"},\"publicKey\":{\"rawBytes\":"
              "\"%s\",\"keyDetails\":\"PKIX_ECDSA_P256_SHA_256\","
              "\"validFor\":{\"start\":\"2023-07-12T16:00:00Z\"}}}]}",
              json_get_str(json_get(tlog, "logId"), "keyId"),
              json_get_str(json_get(tlog, "publicKey"), "rawBytes"));
  assert_int_equal(rekor_keyring_add_trusted_root(&kr, tr.data, tr.len, NULL,
                                                  0), STELLA_OK);
  /* integrated 2023-07-12T15:56:36Z, four minutes before the window */
  read_data(BUNDLES, "valid/prod-v1-27246492-hashedrekord.bundle-v0.1.json",
            &text);
  assert_int_equal(rekor_bundle_parse(text.data, text.len, &b, NULL, 0),
                   STELLA_OK);
  assert_int_equal(rekor_bundle_verify(&b, &kr, 1, &res, NULL),
                   STELLA_E_EXPIRED);
  assert_int_equal(res.failure, REKOR_FAIL_VALIDITY);
  assert_int_equal(res.in_validity, 0);
  assert_non_null(strstr(res.reason, "2023-07-12T15:56:36Z"));
  rekor_verify_result_clear(&res);
  assert_int_equal(rekor_bundle_verify(&b, &kr, 0, &res, NULL), STELLA_OK);
  assert_int_equal(res.in_validity, 0);
  rekor_verify_result_clear(&res);
  rekor_bundle_clear(&b);
  rekor_keyring_clear(&kr);
  json_doc_free(doc);
  sbuf_free(&text);
  sbuf_free(&tr);
}

/* ---- Checkpoints, payloads, proposals ---------------------------------------- */

static void test_standalone_checkpoint(void **state) {
  (void)state;
  rekor_keyring kr = {0};
  rekor_bundle b;
  checkpoint cp;
  const rekor_log_key *k;
  char why[256] = "";
  sbuf text = SBUF_INIT;
  load_keyring(BUNDLES, PUBLIC_GOOD, &kr);
  read_data(BUNDLES, "valid/prod-v1-771488337-hashedrekord-shard1193.json",
            &text);
  assert_int_equal(rekor_bundle_parse(text.data, text.len, &b, NULL, 0),
                   STELLA_OK);
  const char *note = b.entries[0].checkpoint;
  assert_int_equal(rekor_checkpoint_verify(note, strlen(note), &kr, &cp, &k,
                                           why, sizeof why), STELLA_OK);
  assert_int_equal(cp.size, 649584076);
  assert_string_equal(k->log_id_hex, PROD_LOG_ID);
  checkpoint_clear(&cp);
  rekor_keyring_clear(&kr);
  load_keyring(BUNDLES, "trust/trusted_root.staging.json", &kr);
  assert_int_equal(rekor_checkpoint_verify(note, strlen(note), &kr, &cp, &k,
                                           why, sizeof why),
                   STELLA_E_SIGNATURE);
  assert_null(k);
  rekor_keyring_clear(&kr);
  rekor_bundle_clear(&b);
  sbuf_free(&text);
}

static void test_set_payload_bytes(void **state) {
  (void)state;
  sbuf p = SBUF_INIT;
  assert_int_equal(rekor_set_payload("eyJh+/==", 1689177396, "c0d2", 7, &p),
                   STELLA_OK);
  assert_string_equal(p.data, "{\"body\":\"eyJh+/==\",\"integratedTime\":"
                              "1689177396,\"logID\":\"c0d2\",\"logIndex\":7}");
  /* Nothing that would need a JSON escape, no upper-case hex, no sign. */
  assert_int_equal(rekor_set_payload("a\"b", 1, "c0", 1, &p),
                   STELLA_E_INVALID_ARG);
  assert_int_equal(rekor_set_payload("ab", 1, "C0", 1, &p),
                   STELLA_E_INVALID_ARG);
  assert_int_equal(rekor_set_payload("", 1, "c0", 1, &p),
                   STELLA_E_INVALID_ARG);
  assert_int_equal(rekor_set_payload("ab", -1, "c0", 1, &p),
                   STELLA_E_INVALID_ARG);
  assert_int_equal(rekor_set_payload("ab", 1, "c0", -1, &p),
                   STELLA_E_INVALID_ARG);
  assert_int_equal(p.len, 75); /* unchanged by the refusals */
  sbuf_free(&p);
}

static void test_note_name_from_url(void **state) {
  (void)state;
  static const char *const ok[][2] = {
    {"https://rekor.sigstore.dev", "rekor.sigstore.dev"},
    {"https://a.b:8443/x", "a.b:8443"},
    {"http://127.0.0.1:3000", "127.0.0.1:3000"},
    {"HTTPS://log.test?x", "log.test"},
    {"https://user@log.test/", "log.test"},
    {"http://[::1]:8080/api", "[::1]:8080"},
  };
  static const char *const bad[] = {"ftp://a", "https://", "https:///x",
                                    "rekor.sigstore.dev", "https://a b",
                                    "https://u@/x"};
  char *name;
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
    assert_int_equal(rekor_note_name_from_url(ok[i][0], &name), STELLA_OK);
    assert_string_equal(name, ok[i][1]);
    free(name);
  }
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    if (rekor_note_name_from_url(bad[i], &name) != STELLA_E_FORMAT)
      fail_msg("accepted %s", bad[i]);
    assert_null(name);
  }
}

static void test_hashedrekord_proposal(void **state) {
  (void)state;
  uint8_t digest[32], sig[3] = {1, 2, 3};
  const char pem[] = "-----BEGIN PUBLIC KEY-----\nAB\n-----END PUBLIC KEY-----\n";
  sbuf out = SBUF_INIT;
  char *pem_b64;
  json_doc *doc;
  char hex[65];
  memset(digest, 0xab, sizeof digest);
  for (int i = 0; i < 32; i++)
    memcpy(hex + 2 * i, "ab", 3);
  assert_int_equal(rekor_hashedrekord_proposal(digest, sig, sizeof sig, pem,
                                               strlen(pem), &out), STELLA_OK);
  assert_int_equal(base64_encode((const uint8_t *)pem, strlen(pem), &pem_b64),
                   STELLA_OK);
  sbuf want = SBUF_INIT;
  sbuf_printf(&want, "{\"apiVersion\":\"0.0.1\",\"kind\":\"hashedrekord\","
              "\"spec\":{\"data\":{\"hash\":{\"algorithm\":\"sha256\","
              "\"value\":\"%s\"}},\"signature\":{\"content\":\"AQID\","
              "\"publicKey\":{\"content\":\"%s\"}}}}", hex, pem_b64);
  assert_string_equal(out.data, want.data);
  assert_int_equal(json_parse(out.data, out.len, &doc, NULL, 0), STELLA_OK);
  json_doc_free(doc);
  assert_int_equal(rekor_hashedrekord_proposal(digest, sig, 0, pem,
                                               strlen(pem), &out),
                   STELLA_E_INVALID_ARG);
  assert_int_equal(rekor_hashedrekord_proposal(digest, sig, 3, pem, 0, &out),
                   STELLA_E_INVALID_ARG);
  assert_int_equal(out.len, want.len);
  free(pem_b64);
  sbuf_free(&out);
  sbuf_free(&want);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_bundle_cases),
    cmocka_unit_test(test_wrong_instance_verifies_with_staging_root),
    cmocka_unit_test(test_set_only_needs_v01),
    cmocka_unit_test(test_bundle_log_index_omitted_is_zero),
    cmocka_unit_test(test_bundle_kind_version_relabelled),
    cmocka_unit_test(test_api_cases),
    cmocka_unit_test(test_api_reply_shapes),
    cmocka_unit_test(test_keyring_note_keys),
    cmocka_unit_test(test_keyring_lookups),
    cmocka_unit_test(test_keyring_ambiguous_prefix),
    cmocka_unit_test(test_validity_window),
    cmocka_unit_test(test_standalone_checkpoint),
    cmocka_unit_test(test_set_payload_bytes),
    cmocka_unit_test(test_note_name_from_url),
    cmocka_unit_test(test_hashedrekord_proposal),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
