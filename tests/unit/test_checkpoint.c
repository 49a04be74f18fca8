/* test_checkpoint.c - core/checkpoint.c: the real Rekor checkpoints of
 * tests/data/rekor-checkpoints (every note verifies with its log's key, or
 * is refused for the reason expected.json gives; parsed fields match),
 * sign-then-verify with ECDSA P-256 and Ed25519, and hostile notes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "checkpoint.h"
#include "crypto.h"
#include "crypto_sign.h"
#include "fsutil.h"
#include "json.h"

#define SET "rekor-checkpoints"
#define DASH "\xe2\x80\x94 "
#define MAX_KEYS 8

/* ---- the trusted log keys (trust/log-keys.json) ------------------------- */

typedef struct logs {
  json_doc *doc;
  note_key keys[MAX_KEYS];
  crypto_key *owned[MAX_KEYS];
  size_t n;
} logs;

static char *data_path(const char *rel) {
  const char *dir = getenv("STELLA_TEST_DATA");
  assert_non_null(dir);
  char *p = fs_join(dir, rel);
  assert_non_null(p);
  return p;
}

static sbuf slurp(const char *rel) {
  sbuf b = SBUF_INIT;
  char *p = data_path(rel);
  if (fs_read_file(p, 1 << 20, &b))
    fail_msg("cannot read %s", p);
  free(p);
  return b;
}

static json_doc *load_json(const char *rel) {
  sbuf b = slurp(rel);
  json_doc *doc = NULL;
  char err[128];
  if (json_parse(b.data, b.len, &doc, err, sizeof err))
    fail_msg("%s: %s", rel, err);
  sbuf_free(&b);
  return doc;
}

static void hex4(const uint8_t id[4], char out[9]) {
  hex_encode(id, 4, out);
}

/* Every log of log-keys.json: its PEM key, its note key name, and the key
 * id we compute, which must be the one the file states. */
static void load_logs(logs *l) {
  memset(l, 0, sizeof *l);
  l->doc = load_json(SET "/trust/log-keys.json");
  const json_val *arr = json_get(json_root(l->doc), "logs");
  assert_true(json_len(arr) >= 4 && json_len(arr) <= MAX_KEYS);
  for (size_t i = 0; i < json_len(arr); i++) {
    const json_val *e = json_at(arr, i);
    const char *pem = json_get_str(e, "public_key_pem");
    note_key *k = &l->keys[l->n];
    char id[9];
    assert_non_null(pem);
    assert_int_equal(crypto_key_from_pem(pem, strlen(pem), &l->owned[l->n]),
                     STELLA_OK);
    k->key = l->owned[l->n];
    k->name = json_get_str(e, "key_name_in_notes");
    assert_non_null(k->name);
    assert_int_equal(checkpoint_key_id(k->name, k->key, k->id), STELLA_OK);
    hex4(k->id, id);
    assert_string_equal(id, json_get_str(e, "note_key_id_hex"));
    l->n++;
  }
}

static void free_logs(logs *l) {
  for (size_t i = 0; i < l->n; i++)
    crypto_key_free(l->owned[i]);
  json_doc_free(l->doc);
}

static size_t key_index(const logs *l, const char *name) {
  for (size_t i = 0; i < l->n; i++)
    if (!strcmp(l->keys[i].name, name))
      return i;
  fail_msg("no key named %s", name);
  return SIZE_MAX;
}

static void test_key_ids_match_log_keys(void **state) {
  (void)state;
  logs l;
  load_logs(&l); /* asserts every computed key id */
  assert_string_equal(crypto_key_algorithm(l.keys[0].key), "ecdsa-p256");
  assert_string_equal(crypto_key_algorithm(l.keys[1].key), "ed25519");
  /* an Ed25519 key id depends on the name, an ECDSA one does not */
  uint8_t a[4], b[4];
  assert_int_equal(checkpoint_key_id("other.name", l.keys[1].key, a),
                   STELLA_OK);
  assert_memory_not_equal(a, l.keys[1].id, 4);
  assert_int_equal(checkpoint_key_id("other.name", l.keys[0].key, b),
                   STELLA_OK);
  assert_memory_equal(b, l.keys[0].id, 4);
  crypto_key *junk = (crypto_key *)&b;
  assert_int_equal(crypto_key_from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n",
                                       32, &junk), STELLA_E_PARSE);
  assert_null(junk);
  free_logs(&l);
}

/* ---- the cases of expected.json ------------------------------------------ */

/* The parsed fields against the case: origin, size, root, extra lines,
 * and the signed text ending right before the blank line. */
static void assert_fields(const json_val *c, const checkpoint *cp,
                          const sbuf *note) {
  char root[2 * MERKLE_HASH_LEN + 1];
  int64_t size;
  sbuf extra = SBUF_INIT;
  const json_val *lines = json_get(c, "extra_lines");
  assert_string_equal(cp->origin, json_get_str(c, "origin"));
  assert_int_equal(json_get_int(c, "tree_size", &size), 0);
  assert_int_equal(cp->size, (uint64_t)size);
  hex_encode(cp->root, MERKLE_HASH_LEN, root);
  assert_string_equal(root, json_get_str(c, "root_hash_hex"));
  for (size_t i = 0; i < json_len(lines); i++)
    sbuf_printf(&extra, "%s\n", json_str(json_at(lines, i), NULL));
  assert_string_equal(cp->extra, extra.data ? extra.data : "");
  assert_true(cp->text_len + 1 < note->len);
  assert_memory_equal(note->data + cp->text_len - 1, "\n\n", 2);
  sbuf_free(&extra);
}

/* "valid" when one signature line of the case is from a trusted key and
 * verifies, "INVALID" when one is trusted and fails, else (all lines
 * ignored) NULL. */
static const char *trusted_result(const json_val *c, const char **name) {
  const json_val *sigs = json_get(c, "signatures");
  for (size_t i = 0; i < json_len(sigs); i++) {
    const char *r = json_get_str(json_at(sigs, i), "result");
    if (!strcmp(r, "valid") || !strcmp(r, "INVALID")) {
      *name = json_get_str(json_at(sigs, i), "key_name");
      return r;
    }
  }
  return NULL;
}

static void run_valid(const json_val *c, const sbuf *note, const logs *l) {
  const char *file = json_get_str(c, "file"), *name = NULL;
  checkpoint cp;
  size_t which = 99;
  char err[256];
  assert_string_equal(trusted_result(c, &name), "valid");
  stella_err e = checkpoint_verify(note->data, note->len, l->keys, l->n, &cp,
                                   &which, err, sizeof err);
  if (e)
    fail_msg("%s: %s (%s)", file, stella_strerror(e), err);
  assert_int_equal(which, key_index(l, name));
  assert_fields(c, &cp, note);
  checkpoint_clear(&cp);
  /* only its own key also works; every key but its own does not */
  assert_int_equal(checkpoint_verify(note->data, note->len, &l->keys[which],
                                     1, &cp, &which, err, sizeof err),
                   STELLA_OK);
  assert_int_equal(which, 0);
  checkpoint_clear(&cp);
  note_key others[MAX_KEYS];
  size_t n = 0;
  for (size_t i = 0; i < l->n; i++)
    if (i != key_index(l, name))
      others[n++] = l->keys[i];
  assert_int_equal(checkpoint_verify(note->data, note->len, others, n, &cp,
                                     NULL, err, sizeof err),
                   STELLA_E_SIGNATURE);
  assert_non_null(strstr(err, "no signature from a trusted key (signed by "));
  assert_non_null(strstr(err, name)); /* who did sign it */
  assert_null(cp.origin);
}

/* Refused for the case's reason: a parse error (with expected.json's
 * wording), a trusted line that fails, or no trusted line at all. */
static void run_invalid(const json_val *c, const sbuf *note, const logs *l) {
  const char *file = json_get_str(c, "file"), *name = NULL;
  const char *parse_error = json_get_str(c, "parse_error");
  checkpoint cp;
  char err[256];
  stella_err e = checkpoint_verify(note->data, note->len, l->keys, l->n, &cp,
                                   NULL, err, sizeof err);
  assert_null(cp.origin);
  if (parse_error) {
    assert_int_equal(e, STELLA_E_PARSE);
    if (!strstr(err, parse_error))
      fail_msg("%s: \"%s\" lacks \"%s\"", file, err, parse_error);
    return;
  }
  assert_int_equal(e, STELLA_E_SIGNATURE);
  const char *r = trusted_result(c, &name);
  if (r && !strcmp(r, "INVALID")) {
    if (!strstr(err, "does not verify") || !strstr(err, name))
      fail_msg("%s: \"%s\" should say %s's signature fails", file, err, name);
  } else {
    assert_null(r);
    assert_non_null(strstr(err, "no signature from a trusted key"));
  }
  /* the note itself is well formed: its fields parse as listed */
  assert_int_equal(checkpoint_parse(note->data, note->len, &cp, err,
                                    sizeof err), STELLA_OK);
  assert_fields(c, &cp, note);
  checkpoint_clear(&cp);
}

static void test_expected_cases(void **state) {
  (void)state;
  logs l;
  load_logs(&l);
  json_doc *doc = load_json(SET "/expected.json");
  const json_val *cases = json_get(json_root(doc), "cases");
  int valid = 0, invalid = 0;
  for (size_t i = 0; i < json_len(cases); i++) {
    const json_val *c = json_at(cases, i);
    char rel[256];
    snprintf(rel, sizeof rel, SET "/%s", json_get_str(c, "file"));
    sbuf note = slurp(rel);
    if (!strcmp(json_get_str(c, "expected"), "verifies")) {
      run_valid(c, &note, &l);
      valid++;
    } else {
      assert_string_equal(json_get_str(c, "expected"), "reject");
      run_invalid(c, &note, &l);
      invalid++;
    }
    sbuf_free(&note);
  }
  assert_int_equal(valid, 7);
  assert_int_equal(invalid, 4);
  json_doc_free(doc);
  free_logs(&l);
}

/* Staging v1 verifies with the staging key and not with the production
 * trusted root's keys alone. */
static void test_staging_needs_staging_key(void **state) {
  (void)state;
  logs l;
  load_logs(&l);
  sbuf note = slurp(SET "/valid/staging-v1-rekor.sigstage.dev.note");
  note_key prod[2] = {l.keys[key_index(&l, "rekor.sigstore.dev")],
                      l.keys[key_index(&l, "log2025-1.rekor.sigstore.dev")]};
  note_key stage = l.keys[key_index(&l, "rekor.sigstage.dev")];
  checkpoint cp;
  char err[128];
  assert_int_equal(checkpoint_verify(note.data, note.len, prod, 2, &cp, NULL,
                                     err, sizeof err), STELLA_E_SIGNATURE);
  assert_string_equal(err, "no signature from a trusted key (signed by "
                      "rekor.sigstage.dev: not a log we trust)");
  assert_int_equal(checkpoint_verify(note.data, note.len, &stage, 1, &cp,
                                     NULL, err, sizeof err), STELLA_OK);
  assert_string_equal(cp.origin, "rekor.sigstage.dev - 8050909264565447525");
  checkpoint_clear(&cp);
  /* a key under the right name and id that is not the signer's fails */
  note_key impostor = {stage.name, {0}, prod[0].key};
  memcpy(impostor.id, stage.id, 4);
  assert_int_equal(checkpoint_verify(note.data, note.len, &impostor, 1, &cp,
                                     NULL, err, sizeof err),
                   STELLA_E_SIGNATURE);
  assert_non_null(strstr(err, "does not verify"));
  sbuf_free(&note);
  free_logs(&l);
}

/* The log's own line may come after a witness line. */
static void test_trusted_line_anywhere(void **state) {
  (void)state;
  logs l;
  load_logs(&l);
  sbuf note = slurp(SET "/valid/staging-v2-alpha1-cosigned.note");
  const char *blank = strstr(note.data, "\n\n");
  const char *first = blank + 2, *second = strchr(first, '\n') + 1;
  sbuf swapped = SBUF_INIT;
  sbuf_append(&swapped, note.data, (size_t)(first - note.data));
  sbuf_append(&swapped, second, note.len - (size_t)(second - note.data));
  sbuf_append(&swapped, first, (size_t)(second - first));
  assert_int_equal(swapped.len, note.len);
  assert_memory_equal(swapped.data + swapped.len - (size_t)(second - first),
                      first, (size_t)(second - first));
  checkpoint cp;
  size_t which;
  assert_int_equal(checkpoint_verify(swapped.data, swapped.len, l.keys, l.n,
                                     &cp, &which, NULL, 0), STELLA_OK);
  assert_int_equal(which, key_index(&l, "log2025-alpha1.rekor.sigstage.dev"));
  checkpoint_clear(&cp);
  sbuf_free(&swapped);
  sbuf_free(&note);
  free_logs(&l);
}

/* ---- signing ----------------------------------------------------------------- */

/* The C2SP key id computed here from the signer's public half: SHA-256 of
 * the DER key (ECDSA), or of name, '\n', 0x01 and the raw key (Ed25519). */
static void own_key_id(const crypto_signer *s, const char *name,
                       uint8_t id[4]) {
  uint8_t h[32];
  if (!strcmp(crypto_signer_type(s), "ecdsa-p256")) {
    uint8_t *der;
    size_t len;
    assert_int_equal(crypto_signer_public_der(s, &der, &len), STELLA_OK);
    crypto_sha256(der, len, h);
    free(der);
  } else {
    const char *kt, *sc;
    char *pub;
    uint8_t *raw;
    size_t rawlen;
    sbuf b = SBUF_INIT;
    assert_int_equal(crypto_signer_tuf_fields(s, &kt, &sc, &pub), STELLA_OK);
    assert_int_equal(hex_decode(pub, strlen(pub), &raw, &rawlen), STELLA_OK);
    sbuf_printf(&b, "%s\n\x01", name);
    sbuf_append(&b, raw, rawlen);
    crypto_sha256(b.data, b.len, h);
    sbuf_free(&b);
    free(raw);
    free(pub);
  }
  memcpy(id, h, 4);
}

static void round_trip(const char *type) {
  static const char name[] = "drill.log.test";
  crypto_signer *s = NULL;
  crypto_key *vk = NULL;
  merkle_hash root;
  sbuf text = SBUF_INIT, note = SBUF_INIT;
  checkpoint cp;
  size_t which = 9;
  char err[128];
  for (int i = 0; i < 32; i++)
    root[i] = (uint8_t)(i * 11);
  assert_int_equal(crypto_signer_generate(type, &s), STELLA_OK);
  assert_int_equal(crypto_signer_verify_key(s, &vk), STELLA_OK);
  note_key k = {name, {0}, vk};
  assert_int_equal(checkpoint_key_id(name, vk, k.id), STELLA_OK);
  uint8_t want_id[4];
  own_key_id(s, name, want_id);
  assert_memory_equal(k.id, want_id, 4);
  assert_int_equal(checkpoint_format_text("drill.log.test - 42", 1234567,
                                          root, "Timestamp: 17\n", &text),
                   STELLA_OK);
  assert_int_equal(checkpoint_sign(text.data, text.len, name, s, &note),
                   STELLA_OK);
  assert_int_equal(checkpoint_verify(note.data, note.len, &k, 1, &cp, &which,
                                     err, sizeof err), STELLA_OK);
  assert_int_equal(which, 0);
  assert_string_equal(cp.origin, "drill.log.test - 42");
  assert_int_equal(cp.size, 1234567);
  assert_memory_equal(cp.root, root, 32);
  assert_string_equal(cp.extra, "Timestamp: 17\n");
  assert_int_equal(cp.text_len, text.len);
  checkpoint_clear(&cp);
  /* the signature covers the text: SHA-256 of it for ECDSA (what Rekor v1
   * does), the text itself for Ed25519 */
  const char *line = strstr(note.data, DASH) + 4 + strlen(name) + 1;
  uint8_t *raw, digest[32];
  size_t rawlen;
  assert_int_equal(base64_decode(line, strlen(line), &raw, &rawlen),
                   STELLA_OK);
  crypto_sha256(text.data, text.len, digest);
  assert_int_equal(crypto_verify_digest_sha256(vk, digest, raw + 4,
                                               rawlen - 4),
                   !strcmp(type, "ecdsa-p256"));
  free(raw);
  /* one changed byte of the text: the trusted line fails */
  note.data[text.len - 3] ^= 1;
  assert_int_equal(checkpoint_verify(note.data, note.len, &k, 1, &cp, NULL,
                                     err, sizeof err), STELLA_E_SIGNATURE);
  assert_non_null(strstr(err, "does not verify"));
  sbuf_free(&note);
  sbuf_free(&text);
  crypto_key_free(vk);
  crypto_signer_free(s);
}

static void test_sign_ecdsa_p256(void **state) {
  (void)state;
  round_trip("ecdsa-p256");
}

static void test_sign_ed25519(void **state) {
  (void)state;
  round_trip("ed25519");
}

/* Two logs sign the same text; each key verifies it, and a bad line from
 * a trusted key spoils the note even next to a good one. */
static void test_cosigned_and_spoiled(void **state) {
  (void)state;
  crypto_signer *a = NULL, *b = NULL;
  crypto_key *ka = NULL, *kb = NULL;
  merkle_hash root = {9};
  sbuf text = SBUF_INIT, na = SBUF_INIT, nb = SBUF_INIT, both = SBUF_INIT;
  assert_int_equal(crypto_signer_generate("ed25519", &a), STELLA_OK);
  assert_int_equal(crypto_signer_generate("ecdsa-p256", &b), STELLA_OK);
  assert_int_equal(crypto_signer_verify_key(a, &ka), STELLA_OK);
  assert_int_equal(crypto_signer_verify_key(b, &kb), STELLA_OK);
  note_key keys[2] = {{"a.example", {0}, ka}, {"b.example", {0}, kb}};
  checkpoint_key_id("a.example", ka, keys[0].id);
  checkpoint_key_id("b.example", kb, keys[1].id);
  checkpoint_format_text("a.example", 5, root, NULL, &text);
  assert_int_equal(checkpoint_sign(text.data, text.len, "a.example", a, &na),
                   STELLA_OK);
  assert_int_equal(checkpoint_sign(text.data, text.len, "b.example", b, &nb),
                   STELLA_OK);
  sbuf_append(&both, na.data, na.len);
  sbuf_append(&both, nb.data + text.len + 1, nb.len - text.len - 1);
  checkpoint cp;
  size_t which;
  assert_int_equal(checkpoint_verify(both.data, both.len, &keys[1], 1, &cp,
                                     &which, NULL, 0), STELLA_OK);
  checkpoint_clear(&cp);
  assert_int_equal(checkpoint_verify(both.data, both.len, keys, 2, &cp,
                                     &which, NULL, 0), STELLA_OK);
  assert_int_equal(which, 0);
  checkpoint_clear(&cp);
  /* spoil b's signature (a base64 digit in the middle of its line) */
  char *bl = strstr(both.data + na.len, "b.example ") + 20;
  *bl = *bl == 'A' ? 'B' : 'A';
  char err[128];
  assert_int_equal(checkpoint_verify(both.data, both.len, keys, 2, &cp, NULL,
                                     err, sizeof err), STELLA_E_SIGNATURE);
  assert_non_null(strstr(err, "b.example"));
  /* with only a trusted, the spoiled line is a stranger's: fine */
  assert_int_equal(checkpoint_verify(both.data, both.len, keys, 1, &cp, NULL,
                                     err, sizeof err), STELLA_OK);
  checkpoint_clear(&cp);
  sbuf_free(&text);
  sbuf_free(&na);
  sbuf_free(&nb);
  sbuf_free(&both);
  crypto_key_free(ka);
  crypto_key_free(kb);
  crypto_signer_free(a);
  crypto_signer_free(b);
}

static void test_format_and_sign_refuse_bad_input(void **state) {
  (void)state;
  merkle_hash root = {0};
  sbuf out = SBUF_INIT;
  crypto_signer *s = NULL;
  assert_int_equal(checkpoint_format_text("", 1, root, NULL, &out),
                   STELLA_E_INVALID_ARG);
  assert_int_equal(checkpoint_format_text("a\nb", 1, root, NULL, &out),
                   STELLA_E_INVALID_ARG);
  assert_int_equal(checkpoint_format_text("o", (uint64_t)INT64_MAX + 1, root,
                                          NULL, &out), STELLA_E_INVALID_ARG);
  assert_int_equal(checkpoint_format_text("o", 1, root, "no newline", &out),
                   STELLA_E_INVALID_ARG);
  assert_int_equal(checkpoint_format_text("o", 1, root, "a\n\nb\n", &out),
                   STELLA_E_INVALID_ARG);
  assert_int_equal(out.len, 0);
  assert_int_equal(checkpoint_format_text("o", 0, root, "", &out), STELLA_OK);
  assert_string_equal(out.data,
                      "o\n0\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n");
  assert_int_equal(crypto_signer_generate("ed25519", &s), STELLA_OK);
  sbuf note = SBUF_INIT;
  assert_int_equal(checkpoint_sign(out.data, out.len, "bad name", s, &note),
                   STELLA_E_INVALID_ARG);
  assert_int_equal(checkpoint_sign(out.data, out.len, "a+b", s, &note),
                   STELLA_E_INVALID_ARG);
  assert_int_equal(checkpoint_sign(out.data, out.len - 1, "n", s, &note),
                   STELLA_E_INVALID_ARG);
  assert_int_equal(note.len, 0);
  crypto_signer_free(s);
  sbuf_free(&out);
}

/* ---- hostile notes -------------------------------------------------------------- */

static const char good_text[] =
    "example.log\n10\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
static const char good_sig[] = DASH "example.log AAAAAAAAAAAAAAAA\n";

/* Parses s; checks the error and that errbuf says why (contains want). */
static void expect_parse(const char *s, size_t len, stella_err e,
                         const char *want) {
  checkpoint cp;
  char err[256];
  stella_err got = checkpoint_parse(s, len, &cp, err, sizeof err);
  if (got != e || (want && !strstr(err, want)))
    fail_msg("%.*s: got %s \"%s\", want %s \"%s\"", (int)(len > 80 ? 80 : len),
             s, stella_strerror(got), err, stella_strerror(e),
             want ? want : "");
  if (got == STELLA_OK)
    checkpoint_clear(&cp);
  else
    assert_null(cp.origin);
}

static void expect_str(const char *s, stella_err e, const char *want) {
  expect_parse(s, strlen(s), e, want);
}

static void test_hostile_text(void **state) {
  (void)state;
  const char *z = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
  char buf[512];
  snprintf(buf, sizeof buf, "%s\n%s", good_text, good_sig);
  expect_str(buf, STELLA_OK, NULL);
  expect_str(good_text, STELLA_E_PARSE, "no blank line");
  snprintf(buf, sizeof buf, "%s\n%.*s", good_text, (int)strlen(good_sig) - 1,
           good_sig);
  expect_str(buf, STELLA_E_PARSE, "newline");
  snprintf(buf, sizeof buf, "o\r\n10\n%s\n\n%s", z, good_sig);
  expect_str(buf, STELLA_E_PARSE, "carriage return");
  snprintf(buf, sizeof buf, "\n10\n%s\n\n%s", z, good_sig);
  expect_str(buf, STELLA_E_PARSE, "empty origin");
  snprintf(buf, sizeof buf, "o\n10\n\n%s", good_sig);
  expect_str(buf, STELLA_E_PARSE, "need origin, size, root hash lines");
  static const char *const bad_sizes[] = {
      "", "-1", "+1", "01", "1a", " 1", "9223372036854775808",
      "18446744073709551616", "99999999999999999999999"};
  for (size_t i = 0; i < sizeof bad_sizes / sizeof bad_sizes[0]; i++) {
    snprintf(buf, sizeof buf, "o\n%s\n%s\n\n%s", bad_sizes[i], z, good_sig);
    expect_str(buf, STELLA_E_PARSE, i ? "tree size" : NULL);
  }
  snprintf(buf, sizeof buf, "o\n9223372036854775807\n%s\n\n%s", z, good_sig);
  expect_str(buf, STELLA_OK, NULL);
  snprintf(buf, sizeof buf, "o\n0\n%s\n\n%s", z, good_sig);
  expect_str(buf, STELLA_OK, NULL);
  static const char *const bad_roots[] = {
      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==", /* 31 bytes */
      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /* 33 bytes */
      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA A=", "", "not base64!"};
  for (size_t i = 0; i < sizeof bad_roots / sizeof bad_roots[0]; i++) {
    snprintf(buf, sizeof buf, "o\n1\n%s\n\n%s", bad_roots[i], good_sig);
    expect_str(buf, STELLA_E_PARSE, "root hash");
  }
  snprintf(buf, sizeof buf, "o\xff\n1\n%s\n\n%s", z, good_sig);
  expect_str(buf, STELLA_E_PARSE, "UTF-8");
  snprintf(buf, sizeof buf, "o\xc0\xaf\n1\n%s\n\n%s", z, good_sig);
  expect_str(buf, STELLA_E_PARSE, "UTF-8"); /* overlong '/' */
  snprintf(buf, sizeof buf, "o\xed\xa0\x80\n1\n%s\n\n%s", z, good_sig);
  expect_str(buf, STELLA_E_PARSE, "UTF-8"); /* a surrogate */
  snprintf(buf, sizeof buf, "\xc3\xa9t\xc3\xa9\n1\n%s\n\n%s", z, good_sig);
  expect_str(buf, STELLA_OK, NULL); /* real UTF-8 is fine */
  expect_str("", STELLA_E_PARSE, "newline");
}

static void test_hostile_nul_and_size(void **state) {
  (void)state;
  char buf[512];
  int n = snprintf(buf, sizeof buf, "%s\n%s", good_text, good_sig);
  buf[3] = '\0';
  expect_parse(buf, (size_t)n, STELLA_E_PARSE, "NUL byte at byte 3");
  /* over the cap: refused before anything else, a blank-line-free 1 MiB */
  size_t big = CHECKPOINT_MAX_BYTES + 1;
  char *huge = malloc(big);
  assert_non_null(huge);
  memset(huge, 'a', big);
  expect_parse(huge, big, STELLA_E_TOO_LARGE, "cap");
  free(huge);
  checkpoint cp;
  assert_int_equal(checkpoint_parse(NULL, 0, &cp, NULL, 0),
                   STELLA_E_INVALID_ARG);
}

static void test_hostile_signature_lines(void **state) {
  (void)state;
  char buf[512];
  static const struct {
    const char *line, *why;
  } bad[] = {
      {"- example.log AAAAAAAAAAAAAAAA\n", "em dash"},
      {DASH "example.log\n", "key name"},
      {DASH " AAAAAAAAAAAAAAAA\n", "key name"},
      {DASH "a+b AAAAAAAAAAAAAAAA\n", "key name"},
      {DASH "a\xc2\xa0" "b AAAAAAAAAAAAAAAA\n", "key name"}, /* NBSP */
      {DASH "example.log AAAAAAAAAAAAAAA\n", "base64"},
      {DASH "example.log AAAAAA==\n", "base64"}, /* 4 bytes: no signature */
      {DASH "example.log AAAA AAAAAAAAAAAA\n", "base64"},
      {DASH "example.log AAAAAAA\tAAAAAAAAA\n", "base64"},
      {DASH "example.log !AAAAAAAAAAAAAAA\n", "base64"},
      {"\n", "empty line"},
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    snprintf(buf, sizeof buf, "%s\n%s", good_text, bad[i].line);
    expect_str(buf, STELLA_E_PARSE, bad[i].why);
  }
  /* 6 bytes: a key id and a (short) signature, well formed */
  snprintf(buf, sizeof buf, "%s\n" DASH "example.log AAAAAAAA\n", good_text);
  expect_str(buf, STELLA_OK, NULL);
  snprintf(buf, sizeof buf, "%s\n", good_text);
  expect_str(buf, STELLA_E_PARSE, "no signature lines");
  snprintf(buf, sizeof buf, "%s\n%s\n%s", good_text, good_sig, good_sig);
  expect_str(buf, STELLA_E_PARSE, "empty line among the signatures");
}

static void test_hostile_signature_count(void **state) {
  (void)state;
  sbuf s = SBUF_INIT;
  sbuf_printf(&s, "%s\n", good_text);
  for (int i = 0; i < CHECKPOINT_MAX_SIGNATURES; i++)
    sbuf_append_str(&s, good_sig);
  expect_parse(s.data, s.len, STELLA_OK, NULL);
  sbuf_append_str(&s, good_sig);
  expect_parse(s.data, s.len, STELLA_E_LIMIT, "more than 64 signature lines");
  sbuf_free(&s);
}

/* Every prefix of a real note (each in a buffer of its exact size, so an
 * over-read shows under ASan), and every one-bit change of it: never a
 * crash, always a reason, and the signed text never changes unnoticed. */
static void test_hostile_truncated_and_mutated(void **state) {
  (void)state;
  logs l;
  load_logs(&l);
  sbuf note = slurp(SET "/valid/staging-v2-alpha1-cosigned.note");
  size_t sigs_at = (size_t)(strstr(note.data, "\n\n") - note.data) + 2;
  size_t whole_lines = 0, accepted = 0;
  checkpoint cp;
  char err[256];
  for (size_t len = 0; len < note.len; len++) {
    char *p = malloc(len ? len : 1);
    assert_non_null(p);
    memcpy(p, note.data, len);
    err[0] = '\0';
    stella_err e = checkpoint_verify(p, len, l.keys, l.n, &cp, NULL, err,
                                     sizeof err);
    free(p);
    if (e == STELLA_OK) { /* only the log's own line, cut after it */
      assert_true(len > sigs_at && note.data[len - 1] == '\n');
      whole_lines++;
      checkpoint_clear(&cp);
      continue;
    }
    assert_true(e == STELLA_E_PARSE || e == STELLA_E_SIGNATURE);
    assert_true(err[0] != '\0');
    assert_null(cp.origin);
  }
  assert_int_equal(whole_lines, 1);
  for (size_t i = 0; i < note.len; i++) {
    note.data[i] ^= 0x01;
    if (!checkpoint_verify(note.data, note.len, l.keys, l.n, &cp, NULL, err,
                           sizeof err)) {
      /* the witness line is ignored, and base64 has spare bits in its last
       * digit; the text and the log's signature never change */
      assert_true(i >= sigs_at);
      accepted++;
      checkpoint_clear(&cp);
    }
    note.data[i] ^= 0x01;
  }
  assert_true(accepted > 0 && accepted < note.len - sigs_at);
  sbuf_free(&note);
  free_logs(&l);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_key_ids_match_log_keys),
      cmocka_unit_test(test_expected_cases),
      cmocka_unit_test(test_staging_needs_staging_key),
      cmocka_unit_test(test_trusted_line_anywhere),
      cmocka_unit_test(test_sign_ecdsa_p256),
      cmocka_unit_test(test_sign_ed25519),
      cmocka_unit_test(test_cosigned_and_spoiled),
      cmocka_unit_test(test_format_and_sign_refuse_bad_input),
      cmocka_unit_test(test_hostile_text),
      cmocka_unit_test(test_hostile_nul_and_size),
      cmocka_unit_test(test_hostile_signature_lines),
      cmocka_unit_test(test_hostile_signature_count),
      cmocka_unit_test(test_hostile_truncated_and_mutated),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
