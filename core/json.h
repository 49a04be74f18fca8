/* json.h - a small, fast JSON reader for TUF metadata and the service map,
 * with the OLPC/securesystemslib canonical encoder.
 *
 * Why our own and not jansson: signatures cover the canonical form of
 * "signed", integers must be re-emitted exactly as written, and a 13 MB
 * targets file must parse and canonicalize in tens of milliseconds. The
 * parser builds a read-only tree in one arena owned by the json_doc; members
 * of every object are kept sorted by key bytes, so lookups are binary
 * searches and the canonical encoder never sorts. (jansson is still used to
 * *write* --json output.)
 */
#ifndef STELLA_CORE_JSON_H
#define STELLA_CORE_JSON_H

#include <stddef.h>
#include <stdint.h>
#include "stella/stella.h"
#include "buf.h"

typedef enum jv_type {
  JV_NULL = 0,
  JV_BOOL,
  JV_INT,     /* integer literal that fits int64 */
  JV_REAL,    /* fraction or exponent (refused by the canonical encoder),
                   or an integer literal too large for int64 (json_int fails;
                   the canonical encoder writes it as given, like Python) */
  JV_STRING,
  JV_ARRAY,
  JV_OBJECT
} jv_type;

typedef struct json_doc json_doc;
typedef struct json_val json_val;

/* Parses len bytes (need not be NUL-terminated). UTF-8 is checked, \uXXXX
 * escapes (with surrogate pairs) are decoded, duplicate keys in one object
 * are rejected, nesting is capped (depth 512), trailing garbage is rejected.
 * On success *out is a new doc the caller frees with json_doc_free().
 * On failure returns STELLA_E_PARSE (or NOMEM, or TOO_LARGE for 4 GiB and
 * more) and writes a short reason with the byte offset into errbuf (may be
 * NULL). */
stella_err json_parse(const char *buf, size_t len, json_doc **out,
                      char *errbuf, size_t errlen);
void json_doc_free(json_doc *doc); /* NULL-safe */

/* Same as json_parse, without the copy: buf (malloc'd, len bytes plus one
 * more that gets a NUL) belongs to the doc from this call on, even when
 * parsing fails. Parsing changes buf: read the input back with
 * json_doc_source, not from buf. For 13 MB metadata files. */
stella_err json_parse_owned(char *buf, size_t len, json_doc **out,
                            char *errbuf, size_t errlen);

/* Copies up to n bytes of the input doc was parsed from, starting at byte
 * off, into dst, exactly as they were given to the parser. Returns the
 * number copied (0 at or past the end). json_doc_source_len: input length. */
size_t json_doc_source(const json_doc *doc, size_t off, char *dst,
                       size_t n);
size_t json_doc_source_len(const json_doc *doc);

/* The top value. Owned by doc; every json_val lives as long as its doc. */
const json_val *json_root(const json_doc *doc);

jv_type json_type_of(const json_val *v); /* JV_NULL for v == NULL */

/* Object member by key (binary search), NULL if v is not an object or the
 * key is absent. */
const json_val *json_get(const json_val *v, const char *key);

/* Number of elements (array) or members (object); 0 otherwise. */
size_t json_len(const json_val *v);
/* i-th array element, NULL if out of range or not an array. */
const json_val *json_at(const json_val *v, size_t i);
/* i-th object member in sorted key order; key bytes (not NUL-terminated in
 * general, but always followed by a NUL) and their length. NULL if out of
 * range or not an object. */
const char *json_key_at(const json_val *v, size_t i, size_t *keylen);
const json_val *json_val_at(const json_val *v, size_t i);

/* String bytes (decoded, NUL-terminated, may contain NUL: use *len), or NULL
 * if v is not a string. len may be NULL. */
const char *json_str(const json_val *v, size_t *len);
/* 0 and *out on success, -1 if v is not a JV_INT. */
int json_int(const json_val *v, int64_t *out);
/* 0 and *out (0/1) on success, -1 if v is not a bool. */
int json_bool(const json_val *v, int *out);

/* Convenience: member key of object v as a string (NULL if absent or not a
 * string) and as an int (-1 if absent or not an int). */
const char *json_get_str(const json_val *v, const char *key);
int json_get_int(const json_val *v, const char *key, int64_t *out);

/* Appends the canonical JSON of v to out: keys sorted by bytes, no
 * whitespace, strings escape only '"' and '\\' (all other bytes raw),
 * integers exactly as written ("-0" as "0"), true/false/null. Returns
 * STELLA_E_PARSE if v contains a fraction or exponent (TUF canonical JSON
 * has no floats), or the sbuf error (TOO_LARGE/NOMEM); on error out is left
 * as it was. */
stella_err json_canonical(const json_val *v, sbuf *out);

#endif
