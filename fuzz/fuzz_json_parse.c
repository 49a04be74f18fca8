/* fuzz_json_parse.c - libFuzzer harness for json_parse: any input either
 * fails cleanly or yields a tree whose accessors agree with each other
 * (members strictly sorted by key bytes, json_get finds every key). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int key_less(const char *a, size_t alen, const char *b, size_t blen) {
  int c = memcmp(a, b, alen < blen ? alen : blen);
  return c < 0 || (c == 0 && alen < blen);
}

static void check_object(const json_val *v) {
  size_t prevlen = 0;
  const char *prev = NULL;
  for (size_t i = 0; i < json_len(v); i++) {
    size_t keylen;
    const char *key = json_key_at(v, i, &keylen);
    if (!key || key[keylen] != '\0' || !json_val_at(v, i))
      abort();
    if (prev && !key_less(prev, prevlen, key, keylen))
      abort(); /* not sorted, or a duplicate slipped through */
    if (strlen(key) == keylen && json_get(v, key) != json_val_at(v, i))
      abort();
    prev = key;
    prevlen = keylen;
  }
}

static void walk(const json_val *v) {
  size_t len;
  int64_t i;
  int b;
  switch (json_type_of(v)) {
  case JV_STRING:
    if (!json_str(v, &len) || json_str(v, NULL)[len] != '\0')
      abort();
    break;
  case JV_INT:
    if (json_int(v, &i) != 0)
      abort();
    break;
  case JV_BOOL:
    if (json_bool(v, &b) != 0 || (b != 0 && b != 1))
      abort();
    break;
  case JV_ARRAY:
    for (size_t k = 0; k < json_len(v); k++)
      walk(json_at(v, k));
    if (json_at(v, json_len(v)) != NULL)
      abort();
    break;
  case JV_OBJECT:
    check_object(v);
    for (size_t k = 0; k < json_len(v); k++)
      walk(json_val_at(v, k));
    break;
  default:
    break;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  json_doc *doc = NULL;
  char err[128];
  if (json_parse((const char *)data, size, &doc, err, sizeof(err)) ==
      STELLA_OK)
    walk(json_root(doc));
  else if (doc || !err[0])
    abort(); /* failures leave no doc and always say why */
  json_doc_free(doc);
  return 0;
}
