/* test_json.c - JSON parser edge cases, the canonical JSON vectors of
 * tests/data/tuf-canonical-json (byte-exact), and the RFC 3339 reader of
 * JSON time fields. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "crypto.h"
#include "fsutil.h"
#include "json.h"

/* Reads STELLA_TEST_DATA/tuf-canonical-json/<rel> into out (fails the test
 * if absent). */
static void read_vector_file(const char *rel, sbuf *out) {
  const char *data = getenv("STELLA_TEST_DATA");
  assert_non_null(data);
  char *dir = fs_join(data, "tuf-canonical-json");
  char *path = fs_join(dir, rel);
  sbuf_reset(out);
  if (fs_read_file(path, 0, out) != STELLA_OK)
    fail_msg("cannot read %s", path);
  free(dir);
  free(path);
}

static json_doc *parse_ok(const char *text, size_t len) {
  json_doc *doc = NULL;
  char err[160];
  stella_err e = json_parse(text, len, &doc, err, sizeof(err));
  if (e != STELLA_OK)
    fail_msg("parse failed for <%.*s>: %s", (int)(len > 60 ? 60 : len), text,
             err);
  return doc;
}

static void assert_rejected(const char *text, size_t len) {
  json_doc *doc = (json_doc *)1;
  char err[160] = "";
  stella_err e = json_parse(text, len, &doc, err, sizeof(err));
  if (e != STELLA_E_PARSE)
    fail_msg("accepted invalid JSON <%.*s>", (int)len, text);
  assert_null(doc);
  assert_non_null(strstr(err, "at byte"));
}

/* Canonical form of a whole document text, into out. */
static stella_err canon_text(const char *text, size_t len, sbuf *out) {
  json_doc *doc = parse_ok(text, len);
  sbuf_reset(out);
  stella_err e = json_canonical(json_root(doc), out);
  json_doc_free(doc);
  return e;
}

/* canonical(parse(c)) == c: the encoder's output is a fixed point.
 * Canonical strings carry raw control bytes (PEM newlines, NUL), which
 * strict JSON forbids, so they are re-escaped as \u00XX before parsing. */
static void assert_fixed_point(const char *canon, size_t len) {
  sbuf json = SBUF_INIT, again = SBUF_INIT;
  for (size_t i = 0; i < len; i++) {
    if ((unsigned char)canon[i] < 0x20)
      sbuf_printf(&json, "\\u%04x", (unsigned char)canon[i]);
    else
      sbuf_append_char(&json, canon[i]);
  }
  assert_int_equal(canon_text(json.data, json.len, &again), STELLA_OK);
  assert_int_equal(again.len, len);
  assert_memory_equal(again.data, canon, len);
  sbuf_free(&json);
  sbuf_free(&again);
}

static void test_basic_vectors(void **state) {
  (void)state;
  sbuf file = SBUF_INIT, out = SBUF_INIT;
  read_vector_file("basic-vectors.json", &file);
  json_doc *doc = parse_ok(file.data, file.len);
  const json_val *vectors = json_get(json_root(doc), "vectors");
  assert_true(json_len(vectors) >= 22);
  for (size_t i = 0; i < json_len(vectors); i++) {
    const json_val *v = json_at(vectors, i);
    size_t inlen, hexlen, explen;
    const char *in = json_str(json_get(v, "input"), &inlen);
    const char *hex = json_str(json_get(v, "canonical_hex"), &hexlen);
    uint8_t *expected;
    assert_int_equal(hex_decode(hex, hexlen, &expected, &explen), STELLA_OK);
    assert_int_equal(canon_text(in, inlen, &out), STELLA_OK);
    if (out.len != explen || memcmp(out.data, expected, explen) != 0)
      fail_msg("vector %zu (%s): got <%s>", i, json_get_str(v, "note"),
               out.data);
    assert_fixed_point(out.data, out.len);
    free(expected);
  }
  json_doc_free(doc);
  sbuf_free(&file);
  sbuf_free(&out);
}

static void test_must_reject_vectors(void **state) {
  (void)state;
  sbuf file = SBUF_INIT, out = SBUF_INIT;
  read_vector_file("basic-vectors.json", &file);
  json_doc *doc = parse_ok(file.data, file.len);
  const json_val *rejects = json_get(json_root(doc), "must_reject");
  assert_int_equal(json_len(rejects), 3);
  for (size_t i = 0; i < json_len(rejects); i++) {
    size_t inlen;
    const char *in = json_str(json_get(json_at(rejects, i), "input"), &inlen);
    assert_int_equal(canon_text(in, inlen, &out), STELLA_E_PARSE);
  }
  json_doc_free(doc);
  sbuf_free(&file);
  sbuf_free(&out);
}

/* Canonical bytes of input's "signed" must equal expected exactly. */
static void check_signed_vector(const char *input, const char *expected) {
  sbuf in = SBUF_INIT, want = SBUF_INIT, out = SBUF_INIT;
  read_vector_file(input, &in);
  read_vector_file(expected, &want);
  json_doc *doc = parse_ok(in.data, in.len);
  const json_val *signed_part = json_get(json_root(doc), "signed");
  assert_int_equal(json_type_of(signed_part), JV_OBJECT);
  assert_int_equal(json_canonical(signed_part, &out), STELLA_OK);
  if (out.len != want.len || memcmp(out.data, want.data, want.len) != 0)
    fail_msg("%s: canonical bytes differ from %s", input, expected);
  assert_fixed_point(out.data, out.len);
  json_doc_free(doc);
  sbuf_free(&in);
  sbuf_free(&want);
  sbuf_free(&out);
}

static void test_signed_vectors(void **state) {
  (void)state;
  sbuf file = SBUF_INIT;
  read_vector_file("expected/index.json", &file);
  json_doc *doc = parse_ok(file.data, file.len);
  const json_val *index = json_root(doc);
  assert_true(json_len(index) >= 9);
  for (size_t i = 0; i < json_len(index); i++) {
    const json_val *entry = json_at(index, i);
    check_signed_vector(json_get_str(entry, "input"),
                        json_get_str(entry, "expected"));
  }
  json_doc_free(doc);
  sbuf_free(&file);
  /* Root v5 on one line with unsorted keys: same signed bytes. */
  check_signed_vector("input/rekor-testdata-reformat.1.root.json",
                      "expected/sigstore-5.root.signed.canonical");
}

static void test_malformed(void **state) {
  (void)state;
  static const char *bad[] = {
      "", " ", "{", "}", "[", "[1,]", "[,1]", "[1 2]", "{\"a\"}", "{\"a\":}",
      "{\"a\":1,}", "{a:1}", "{\"a\" 1}", "{1:2}", "01", "-", "-a", "1.",
      ".5", "1e", "1e+", "+1", "tru", "nul", "falsey", "\"abc", "\"\\x\"",
      "\"\\u12\"", "\"\\u12G4\"", "'a'", "[1]x", "[1]]", "NaN", "Infinity",
      "\xef\xbb\xbf{}", "{\"a\":1}{", "1 2", "[\"a\"\"b\"]", "\"\\\"",
      "\"a\tb\"", "\"a\nb\"", "\"\x7f\x01\"", "[-]", "[--1]", "{\"a\":1 \"b\":2}",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    assert_rejected(bad[i], strlen(bad[i]));
  /* A NUL byte outside a string, and inside one raw. */
  assert_rejected("[1,\0 2]", 7);
  assert_rejected("\"a\0b\"", 5);
  /* Input need not be NUL-terminated: only len bytes count. */
  json_doc *doc = parse_ok("[12]34", 4);
  assert_int_equal(json_len(json_root(doc)), 1);
  json_doc_free(doc);
}

static void test_truncated(void **state) {
  (void)state;
  sbuf file = SBUF_INIT;
  read_vector_file("input/sigstore-15.root.json", &file);
  size_t end = file.len;
  while (end && file.data[end - 1] != '}')
    end--;
  assert_true(end > 1000);
  for (size_t n = 0; n < end; n++)
    assert_rejected(file.data, n);
  json_doc_free(parse_ok(file.data, end));
  sbuf_free(&file);
}

static void test_duplicate_keys(void **state) {
  (void)state;
  static const char *dups[] = {
      "{\"a\":1,\"a\":2}", "{\"b\":1,\"a\":2,\"b\":3}",
      "{\"x\":{\"k\":1,\"j\":0,\"k\":2}}", "{\"a\":1,\"\\u0061\":2}",
      "[{},{\"z\":1,\"y\":2,\"x\":3,\"w\":4,\"v\":5,\"u\":6,\"t\":7,\"s\":8,"
      "\"r\":9,\"z\":10}]",
  };
  for (size_t i = 0; i < sizeof(dups) / sizeof(dups[0]); i++)
    assert_rejected(dups[i], strlen(dups[i]));
  /* Not duplicates: case differs, or one key is a prefix of the other. */
  static const char *ok[] = {"{\"a\":1,\"A\":2}", "{\"a\\u0000\":1,\"a\":2}",
                             "{\"a\\u0000b\":1,\"a\\u0000c\":2}"};
  for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
    json_doc_free(parse_ok(ok[i], strlen(ok[i])));
}

static void test_bad_utf8(void **state) {
  (void)state;
  static const char *bad[] = {
      "\"\xc3\"",             /* truncated 2-byte */
      "\"\xe2\x82\"",         /* truncated 3-byte */
      "\"\xc0\xaf\"",         /* overlong '/' */
      "\"\xe0\x80\xaf\"",     /* overlong 3-byte */
      "\"\xf0\x80\x80\xaf\"", /* overlong 4-byte */
      "\"\xed\xa0\x80\"",     /* UTF-16 surrogate */
      "\"\xf4\x90\x80\x80\"", /* above U+10FFFF */
      "\"\xff\"", "\"\x80\"", "\"\xf8\x88\x80\x80\x80\"",
      "{\"\xc3\x28\":1}",     /* bad continuation in a key */
      "\"\\uD800\"",          /* lone high surrogate escape */
      "\"\\uDC00\"",          /* lone low surrogate escape */
      "\"\\uD800\\u0041\"",   /* high surrogate + non-surrogate */
      "\"\\uD800x\"",
  };
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    assert_rejected(bad[i], strlen(bad[i]));
  static const char *good[] = {"\"\xe2\x82\xac\"", "\"\xf0\x9f\x98\x80\"",
                               "\"\xef\xbf\xbf\"", "\"\xf4\x8f\xbf\xbf\""};
  for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
    json_doc_free(parse_ok(good[i], strlen(good[i])));
}

static void test_unicode_escapes(void **state) {
  (void)state;
  static const char text[] =
      "[\"\\ud83d\\ude00\", \"\\u00e9\\u20AC\", \"\\u003d\", "
      "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\", \"long plain ascii text past sixteen "
      "bytes \\u0041 then more after the escape\"]";
  json_doc *doc = parse_ok(text, strlen(text));
  const json_val *a = json_root(doc);
  size_t len;
  assert_string_equal(json_str(json_at(a, 0), &len), "\xf0\x9f\x98\x80");
  assert_int_equal(len, 4);
  assert_string_equal(json_str(json_at(a, 1), NULL), "\xc3\xa9\xe2\x82\xac");
  assert_string_equal(json_str(json_at(a, 2), NULL), "=");
  assert_string_equal(json_str(json_at(a, 3), NULL), "\"\\/\b\f\n\r\t");
  assert_string_equal(json_str(json_at(a, 4), NULL),
                      "long plain ascii text past sixteen bytes A then more "
                      "after the escape");
  sbuf out = SBUF_INIT;
  assert_int_equal(json_canonical(json_at(a, 3), &out), STELLA_OK);
  assert_string_equal(out.data, "\"\\\"\\\\/\b\f\n\r\t\"");
  sbuf_free(&out);
  json_doc_free(doc);
}

static void nest(sbuf *b, size_t depth, char open, char close) {
  sbuf_reset(b);
  for (size_t i = 0; i < depth; i++) {
    sbuf_append_char(b, open);
    if (open == '{')
      sbuf_append_str(b, "\"k\":");
  }
  if (open == '{')
    sbuf_append_str(b, "1");
  for (size_t i = 0; i < depth; i++)
    sbuf_append_char(b, close);
}

static void test_deep_nesting(void **state) {
  (void)state;
  sbuf b = SBUF_INIT, out = SBUF_INIT;
  nest(&b, 512, '[', ']');
  json_doc *doc = parse_ok(b.data, b.len);
  assert_int_equal(json_canonical(json_root(doc), &out), STELLA_OK);
  assert_memory_equal(out.data, b.data, b.len);
  json_doc_free(doc);
  nest(&b, 513, '[', ']');
  assert_rejected(b.data, b.len);
  nest(&b, 512, '{', '}');
  json_doc_free(parse_ok(b.data, b.len));
  nest(&b, 513, '{', '}');
  assert_rejected(b.data, b.len);
  nest(&b, 100000, '[', ']');
  assert_rejected(b.data, b.len);
  sbuf_free(&b);
  sbuf_free(&out);
}

static void test_numbers(void **state) {
  (void)state;
  static const char text[] =
      "[9223372036854775807, -9223372036854775808, 9223372036854775808, "
      "-9223372036854775809, 123456789012345678901234567890, -0, 0, 1.5, "
      "1e3, -2E-2, 10]";
  json_doc *doc = parse_ok(text, strlen(text));
  const json_val *a = json_root(doc);
  int64_t v;
  assert_int_equal(json_int(json_at(a, 0), &v), 0);
  assert_true(v == INT64_MAX);
  assert_int_equal(json_int(json_at(a, 1), &v), 0);
  assert_true(v == INT64_MIN);
  for (size_t i = 2; i <= 4; i++) {
    assert_int_equal(json_type_of(json_at(a, i)), JV_REAL);
    assert_int_equal(json_int(json_at(a, i), &v), -1);
  }
  assert_int_equal(json_int(json_at(a, 5), &v), 0);
  assert_true(v == 0);
  for (size_t i = 7; i <= 9; i++)
    assert_int_equal(json_type_of(json_at(a, i)), JV_REAL);
  assert_int_equal(json_int(json_at(a, 10), &v), 0);
  assert_true(v == 10);
  /* Big integers are written as given; "-0" as 0; floats are refused and
   * leave the output untouched. */
  sbuf out = SBUF_INIT;
  sbuf_append_str(&out, "prefix");
  for (size_t i = 0; i <= 6; i++)
    assert_int_equal(json_canonical(json_at(a, i), &out), STELLA_OK);
  assert_string_equal(out.data, "prefix9223372036854775807-922337203685477580"
                                "89223372036854775808-922337203685477580912345"
                                "678901234567890123456789000");
  size_t before = out.len;
  assert_int_equal(json_canonical(a, &out), STELLA_E_PARSE);
  assert_int_equal(out.len, before);
  sbuf_free(&out);
  json_doc_free(doc);
}

static void test_nul_in_strings(void **state) {
  (void)state;
  static const char text[] = "{\"k\\u0000ey\":\"a\\u0000b\"}";
  json_doc *doc = parse_ok(text, strlen(text));
  size_t len, keylen;
  const char *key = json_key_at(json_root(doc), 0, &keylen);
  assert_int_equal(keylen, 4);
  assert_memory_equal(key, "k\0ey", 5);
  const char *s = json_str(json_val_at(json_root(doc), 0), &len);
  assert_int_equal(len, 3);
  assert_memory_equal(s, "a\0b", 4);
  sbuf out = SBUF_INIT;
  assert_int_equal(json_canonical(json_root(doc), &out), STELLA_OK);
  assert_int_equal(out.len, 14);
  assert_memory_equal(out.data, "{\"k\0ey\":\"a\0b\"}", 14);
  assert_fixed_point(out.data, out.len);
  sbuf_free(&out);
  json_doc_free(doc);
}

/* 2000 keys in reverse order: sorted at parse time, found by json_get. */
static void test_sorted_lookup(void **state) {
  (void)state;
  sbuf b = SBUF_INIT;
  sbuf_append_char(&b, '{');
  for (int i = 1999; i >= 0; i--)
    sbuf_printf(&b, "%s\"key%04d\":%d", i == 1999 ? "" : ",", i, i);
  sbuf_append_char(&b, '}');
  json_doc *doc = parse_ok(b.data, b.len);
  const json_val *o = json_root(doc);
  assert_int_equal(json_len(o), 2000);
  for (int i = 0; i < 2000; i++) {
    char key[16];
    int64_t v;
    snprintf(key, sizeof(key), "key%04d", i);
    assert_int_equal(json_get_int(o, key, &v), 0);
    assert_true(v == i);
    assert_string_equal(json_key_at(o, (size_t)i, NULL), key);
  }
  assert_null(json_get(o, "key2000"));
  assert_null(json_get(o, "key"));
  assert_null(json_get(o, ""));
  json_doc_free(doc);
  sbuf_free(&b);
}

static void test_accessors(void **state) {
  (void)state;
  static const char text[] =
      "{\"s\":\"str\",\"t\":true,\"f\":false,\"n\":null,\"a\":[1,\"x\"],"
      "\"o\":{}}";
  json_doc *doc = parse_ok(text, strlen(text));
  const json_val *o = json_root(doc);
  int b;
  int64_t v;
  assert_string_equal(json_get_str(o, "s"), "str");
  assert_null(json_get_str(o, "t"));
  assert_int_equal(json_bool(json_get(o, "t"), &b), 0);
  assert_int_equal(b, 1);
  assert_int_equal(json_bool(json_get(o, "f"), &b), 0);
  assert_int_equal(b, 0);
  assert_int_equal(json_bool(json_get(o, "n"), &b), -1);
  assert_int_equal(json_type_of(json_get(o, "n")), JV_NULL);
  assert_int_equal(json_get_int(o, "s", &v), -1);
  assert_int_equal(json_get_int(o, "missing", &v), -1);
  assert_int_equal(json_len(json_get(o, "a")), 2);
  assert_null(json_at(json_get(o, "a"), 2));
  assert_null(json_at(o, 0));
  assert_null(json_get(json_get(o, "a"), "x"));
  assert_int_equal(json_len(json_get(o, "o")), 0);
  assert_int_equal(json_len(json_get(o, "s")), 0);
  assert_null(json_key_at(o, 6, NULL));
  assert_null(json_val_at(o, 6));
  assert_int_equal(json_type_of(NULL), JV_NULL);
  assert_null(json_get(NULL, "a"));
  assert_null(json_str(NULL, NULL));
  assert_null(json_root(NULL));
  json_doc_free(NULL);
  json_doc_free(doc);
}

static void test_canonical_cap(void **state) {
  (void)state;
  static const char text[] = "{\"key\":\"a value longer than the cap\"}";
  json_doc *doc = parse_ok(text, strlen(text));
  sbuf out = SBUF_INIT;
  out.max = 10;
  sbuf_append_str(&out, "abc");
  assert_int_equal(json_canonical(json_root(doc), &out), STELLA_E_TOO_LARGE);
  assert_string_equal(out.data, "abc");
  sbuf_free(&out);
  json_doc_free(doc);
}

/* The RFC 3339 reader of JSON time fields (TUF expires, trusted_root
 * validFor): a date or time that does not exist is refused, never moved
 * to another day. */
static void test_time_parse(void **state) {
  static const char *const impossible[] = {
      "2026-02-29T00:00:00Z", "2026-02-30T00:00:00Z", "2026-02-31T00:00:00Z",
      "2026-04-31T00:00:00Z", "2026-06-31T12:00:00Z", "2026-09-31T00:00:00Z",
      "2026-11-31T00:00:00Z", "2100-02-29T00:00:00Z", "2026-00-10T00:00:00Z",
      "2026-13-01T00:00:00Z", "2026-01-00T00:00:00Z", "2026-01-32T00:00:00Z",
      "2026-01-01T24:00:00Z", "2026-01-01T23:60:00Z", "2026-01-01T23:59:60Z",
      "2026-01-01T23:59:99Z", "2026-01-01T00:00:00+24:00",
  };
  int64_t t = 0;
  (void)state;
  for (size_t i = 0; i < sizeof impossible / sizeof impossible[0]; i++)
    if (stella_time_parse(impossible[i], &t) != STELLA_E_PARSE)
      fail_msg("%s was accepted", impossible[i]);
  assert_int_equal(stella_time_parse("2024-02-29T00:00:00Z", &t), STELLA_OK);
  assert_int_equal(t, 1709164800);
  assert_int_equal(stella_time_parse("2000-02-29T23:59:59Z", &t), STELLA_OK);
  assert_int_equal(t, 951868799);
  assert_int_equal(stella_time_parse("2026-12-31T23:59:59.5+01:00", &t),
                   STELLA_OK);
  assert_int_equal(t, 1798757999);
  assert_int_equal(stella_time_parse("1970-01-01T00:00:00Z", &t), STELLA_OK);
  assert_int_equal(t, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_basic_vectors),
      cmocka_unit_test(test_must_reject_vectors),
      cmocka_unit_test(test_signed_vectors),
      cmocka_unit_test(test_malformed),
      cmocka_unit_test(test_truncated),
      cmocka_unit_test(test_duplicate_keys),
      cmocka_unit_test(test_bad_utf8),
      cmocka_unit_test(test_unicode_escapes),
      cmocka_unit_test(test_deep_nesting),
      cmocka_unit_test(test_numbers),
      cmocka_unit_test(test_nul_in_strings),
      cmocka_unit_test(test_sorted_lookup),
      cmocka_unit_test(test_accessors),
      cmocka_unit_test(test_canonical_cap),
      cmocka_unit_test(test_time_parse),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
