/* test_json_source.c - parsing in place (json_parse_owned) gives the same
 * tree as json_parse and the input back byte for byte (json_doc_source),
 * integers read back from their text, and fs_write_atomic_from writes a
 * chunked source exactly. */
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

static const char *const source_inputs[] = {
    "{}",
    " [ 1 , -0 , 9223372036854775807 , -9223372036854775808 ] ",
    "{\"b\":\"x\",\"a\":[true,false,null,\"\"]}",
    "{\"q\":\"a\\\"b\\\\c\\/d\\n\",\"u\":\"\\u00e9\\ud83d\\ude00\\u0000z\"}",
    "{\"k\\u0065y\":\"v\",\"plain\":\"caf\xc3\xa9\"}",
    "\"\\\"\"",
    "{\"big\":123456789012345678901234567890,\"f\":1.5e3}",
};

/* Parses text in place from a malloc'd copy. */
static json_doc *parse_owned_ok(const char *text, size_t len) {
  char *copy = malloc(len + 1);
  json_doc *doc = NULL;
  char err[160];
  assert_non_null(copy);
  memcpy(copy, text, len);
  if (json_parse_owned(copy, len, &doc, err, sizeof err) != STELLA_OK)
    fail_msg("parse failed for <%s>: %s", text, err);
  return doc;
}

static void test_source_round_trip(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof source_inputs / sizeof *source_inputs; i++) {
    const char *text = source_inputs[i];
    size_t len = strlen(text);
    json_doc *doc = parse_owned_ok(text, len);
    char back[256];
    assert_int_equal(json_doc_source_len(doc), len);
    assert_int_equal(json_doc_source(doc, 0, back, sizeof back), len);
    assert_memory_equal(back, text, len);
    /* any window, including ones that start or end inside a string */
    for (size_t off = 0; off < len; off++) {
      size_t n = json_doc_source(doc, off, back, 3);
      assert_int_equal(n, len - off < 3 ? len - off : 3);
      assert_memory_equal(back, text + off, n);
    }
    assert_int_equal(json_doc_source(doc, len, back, 1), 0);
    json_doc_free(doc);
  }
}

/* The same tree, so the same canonical bytes, as the copying parser. */
static void test_same_tree_as_copying_parse(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof source_inputs / sizeof *source_inputs; i++) {
    const char *text = source_inputs[i];
    json_doc *a = NULL, *b = parse_owned_ok(text, strlen(text));
    sbuf ca = SBUF_INIT, cb = SBUF_INIT;
    assert_int_equal(json_parse(text, strlen(text), &a, NULL, 0), STELLA_OK);
    stella_err ea = json_canonical(json_root(a), &ca);
    assert_int_equal(json_canonical(json_root(b), &cb), ea);
    assert_int_equal(ca.len, cb.len);
    if (ca.len)
      assert_memory_equal(ca.data, cb.data, ca.len);
    sbuf_free(&ca);
    sbuf_free(&cb);
    json_doc_free(a);
    json_doc_free(b);
  }
}

static void test_escaped_strings_decoded(void **state) {
  (void)state;
  const char *text = source_inputs[3];
  json_doc *doc = parse_owned_ok(text, strlen(text));
  size_t n;
  const char *q = json_str(json_get(json_root(doc), "q"), &n);
  assert_int_equal(n, 8);
  assert_memory_equal(q, "a\"b\\c/d\n", 9); /* NUL-terminated */
  const char *u = json_str(json_get(json_root(doc), "u"), &n);
  assert_int_equal(n, 2 + 4 + 1 + 1);
  assert_memory_equal(u, "\xc3\xa9\xf0\x9f\x98\x80\0z", 9);
  json_doc_free(doc);
  doc = parse_owned_ok(source_inputs[4], strlen(source_inputs[4]));
  assert_string_equal(json_get_str(json_root(doc), "key"), "v");
  json_doc_free(doc);
}

static void test_int_values(void **state) {
  (void)state;
  const char *text = source_inputs[1];
  json_doc *doc = parse_owned_ok(text, strlen(text));
  const json_val *a = json_root(doc);
  int64_t v = 7;
  assert_int_equal(json_int(json_at(a, 0), &v), 0);
  assert_int_equal(v, 1);
  assert_int_equal(json_int(json_at(a, 1), &v), 0);
  assert_int_equal(v, 0);
  assert_int_equal(json_int(json_at(a, 2), &v), 0);
  assert_true(v == INT64_MAX);
  assert_int_equal(json_int(json_at(a, 3), &v), 0);
  assert_true(v == INT64_MIN);
  json_doc_free(doc);
  doc = parse_owned_ok(source_inputs[6], strlen(source_inputs[6]));
  assert_int_equal(json_int(json_get(json_root(doc), "big"), &v), -1);
  assert_int_equal(json_type_of(json_get(json_root(doc), "big")), JV_REAL);
  json_doc_free(doc);
}

/* Errors in strings with escapes keep their messages, and the buffer is
 * freed on failure (ASan would see a leak). */
static void test_escape_errors(void **state) {
  (void)state;
  static const struct {
    const char *text, *why;
  } cases[] = {
      {"\"ab\\n", "unterminated string"},
      {"\"ab\\", "bad escape"},
      {"\"a\\tb\x01\"", "control character"},
      {"\"a\\x\"", "bad escape"},
      {"\"a\\ud800\"", "high surrogate"},
      {"\"a\\n\xff\"", "invalid UTF-8"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    size_t len = strlen(cases[i].text);
    char *copy = malloc(len + 1), err[160];
    json_doc *doc = NULL;
    assert_non_null(copy);
    memcpy(copy, cases[i].text, len);
    assert_int_equal(json_parse_owned(copy, len, &doc, err, sizeof err),
                     STELLA_E_PARSE);
    assert_null(doc);
    if (!strstr(err, cases[i].why))
      fail_msg("<%s>: \"%s\" lacks \"%s\"", cases[i].text, err,
               cases[i].why);
  }
}

/* A document over the 64 KiB write chunk, with escapes on both sides of
 * the chunk edges, stored through fs_write_atomic_from. */
static size_t doc_source(const void *doc, size_t off, char *dst, size_t n) {
  return json_doc_source(doc, off, dst, n);
}

static size_t short_source(const void *ctx, size_t off, char *dst,
                           size_t n) {
  (void)ctx;
  (void)off;
  memset(dst, 'x', n / 2);
  return n / 2;
}

static void test_write_from_source(void **state) {
  (void)state;
  sbuf text = SBUF_INIT, back = SBUF_INIT;
  assert_int_equal(sbuf_append_str(&text, "{"), STELLA_OK);
  for (int i = 0; i < 6000; i++)
    assert_int_equal(sbuf_printf(&text, "%s\"k%05d\":\"v\\\"%d\\u00e9 \"",
                                 i ? "," : "", i, i), STELLA_OK);
  assert_int_equal(sbuf_append_str(&text, "}"), STELLA_OK);
  assert_true(text.len > 2 * 65536);
  json_doc *doc = parse_owned_ok(text.data, text.len);
  char dir[] = "/tmp/stella-json-source-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char *path = fs_join(dir, "t.json");
  assert_int_equal(fs_write_atomic_from(path, doc_source, doc, text.len,
                                        0644), STELLA_OK);
  assert_int_equal(fs_read_file(path, 0, &back), STELLA_OK);
  assert_int_equal(back.len, text.len);
  assert_memory_equal(back.data, text.data, text.len);
  /* a source that runs short fails and leaves the old file alone */
  assert_int_equal(fs_write_atomic_from(path, short_source, NULL, 100, 0644),
                   STELLA_E_IO);
  sbuf_reset(&back);
  assert_int_equal(fs_read_file(path, 0, &back), STELLA_OK);
  assert_int_equal(back.len, text.len);
  assert_int_equal(fs_remove(path), STELLA_OK);
  assert_int_equal(fs_remove(dir), STELLA_OK); /* no temp file left */
  free(path);
  json_doc_free(doc);
  sbuf_free(&text);
  sbuf_free(&back);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_source_round_trip),
      cmocka_unit_test(test_same_tree_as_copying_parse),
      cmocka_unit_test(test_escaped_strings_decoded),
      cmocka_unit_test(test_int_values),
      cmocka_unit_test(test_escape_errors),
      cmocka_unit_test(test_write_from_source),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
