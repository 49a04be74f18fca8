/* fuzz_json_canonical.c - libFuzzer harness for json_canonical: parse,
 * canonicalize, and check that the canonical form is a fixed point:
 * canonical(parse(canonical)) == canonical. Canonical strings hold raw
 * control bytes, which strict JSON forbids, so those are re-escaped as
 * \u00XX (same tree) before the second parse. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* 1 if v holds a fraction or exponent (the only thing canonical refuses).
 * A big integer is JV_REAL too but is written as given, so compare the
 * canonical form of the number alone. */
static int has_float(const json_val *v) {
  size_t n = json_len(v);
  if (json_type_of(v) == JV_REAL) {
    sbuf tmp = SBUF_INIT;
    int refused = json_canonical(v, &tmp) == STELLA_E_PARSE;
    sbuf_free(&tmp);
    return refused;
  }
  for (size_t i = 0; i < n; i++)
    if (has_float(json_type_of(v) == JV_ARRAY ? json_at(v, i)
                                               : json_val_at(v, i)))
      return 1;
  return 0;
}

static void escape_controls(const sbuf *in, sbuf *out) {
  for (size_t i = 0; i < in->len; i++) {
    unsigned char c = (unsigned char)in->data[i];
    stella_err e = c < 0x20 ? sbuf_printf(out, "\\u%04x", c)
                            : sbuf_append_char(out, (char)c);
    if (e)
      abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  json_doc *doc = NULL, *again = NULL;
  sbuf canon = SBUF_INIT, json = SBUF_INIT, canon2 = SBUF_INIT;
  if (json_parse((const char *)data, size, &doc, NULL, 0) != STELLA_OK)
    return 0;
  stella_err e = json_canonical(json_root(doc), &canon);
  if (e == STELLA_E_PARSE && !has_float(json_root(doc)))
    abort(); /* refused without a float in sight */
  if (e == STELLA_OK) {
    escape_controls(&canon, &json);
    if (json_parse(json.data, json.len, &again, NULL, 0) != STELLA_OK)
      abort(); /* canonical output (re-escaped) must be valid JSON */
    if (json_canonical(json_root(again), &canon2) != STELLA_OK ||
        canon2.len != canon.len || memcmp(canon2.data, canon.data, canon.len))
      abort(); /* not a fixed point */
  } else if (e != STELLA_E_PARSE) {
    abort();
  }
  json_doc_free(again);
  json_doc_free(doc);
  sbuf_free(&canon);
  sbuf_free(&json);
  sbuf_free(&canon2);
  return 0;
}
