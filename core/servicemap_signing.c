/* servicemap_signing.c - stella's signing_keys.json (format in
 * servicemap_signing.h). */
#include "servicemap_signing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "json.h"

static const char *const sms_statuses[] = {"active", "retired",
                                           "compromised"};

static stella_err sms_fail(char *errbuf, size_t errlen, const char *what) {
  if (errbuf)
    snprintf(errbuf, errlen, "signing_keys: %s", what);
  return STELLA_E_FORMAT;
}

static stella_err sms_time(const json_val *vf, const char *key, int64_t *t) {
  const char *s = json_get_str(vf, key);
  *t = 0;
  return s && stella_time_parse(s, t) ? STELLA_E_FORMAT : STELLA_OK;
}

/* base64 -> malloc'd lowercase hex of the bytes, or with digest of their
 * SHA-256 (fingerprints). NULL if not base64 or empty. */
static char *sms_hex(const char *b64, int digest) {
  uint8_t *raw, d[CRYPTO_SHA256_LEN];
  size_t n;
  if (!b64 || base64_decode(b64, strlen(b64), &raw, &n))
    return NULL;
  const uint8_t *src = raw;
  if (digest && n) {
    crypto_sha256(raw, n, d);
    src = d;
    n = sizeof d;
  }
  char *hex = n ? malloc(2 * n + 1) : NULL;
  if (hex)
    hex_encode(src, n, hex);
  free(raw);
  return hex;
}

static int sms_known_status(const char *s) {
  for (size_t i = 0; s && i < sizeof sms_statuses / sizeof *sms_statuses; i++)
    if (!strcmp(s, sms_statuses[i]))
      return 1;
  return 0;
}

/* One signingKeys entry into k (zeroed by the caller). */
static stella_err sms_key(stella_key *k, const json_val *v) {
  const json_val *vf = json_get(v, "validFor");
  const char *name = json_get_str(v, "name");
  const char *status = json_get_str(v, "status");
  if (!name || !sms_known_status(status) || sms_time(vf, "start",
                                                     &k->valid_from) ||
      sms_time(vf, "end", &k->valid_until))
    return STELLA_E_FORMAT;
  k->fingerprint_sha256 = sms_hex(json_get_str(v, "rawBytes"), 1);
  k->kind = strdup("signing");
  k->name = strdup(name);
  k->status = strdup(status);
  k->base_url = strdup("");
  k->log_id = strdup("");
  k->key_type = strdup(json_get_str(v, "keyDetails")
                           ? json_get_str(v, "keyDetails") : "");
  if (!k->fingerprint_sha256)
    return STELLA_E_FORMAT;
  return k->kind && k->name && k->status && k->base_url && k->log_id &&
                 k->key_type
             ? STELLA_OK
             : STELLA_E_NOMEM;
}

static stella_err sms_add_keys(servicemap *sm, const json_val *list) {
  for (size_t i = 0; i < json_len(list); i++) {
    if (sm->n_keys == sm->cap_keys) {
      size_t cap = sm->cap_keys ? 2 * sm->cap_keys : 8;
      stella_key *p = realloc(sm->keys, cap * sizeof *p);
      if (!p)
        return STELLA_E_NOMEM;
      sm->keys = p;
      sm->cap_keys = cap;
    }
    stella_key *k = &sm->keys[sm->n_keys++];
    memset(k, 0, sizeof *k);
    stella_err e = sms_key(k, json_at(list, i));
    if (e)
      return e;
  }
  return STELLA_OK;
}

/* Names the log keys: after a successful parse only, so a failure leaves
 * sm as it was. */
static stella_err sms_name_logs(servicemap *sm, const json_val *list) {
  for (size_t i = 0; i < json_len(list); i++) {
    const json_val *v = json_at(list, i);
    const char *name = json_get_str(v, "name");
    char *hex = sms_hex(json_get_str(json_get(v, "logId"), "keyId"), 0);
    for (size_t k = 0; hex && name && k < sm->n_keys; k++) {
      if (!sm->keys[k].log_id || strcmp(sm->keys[k].log_id, hex))
        continue;
      char *n = strdup(name);
      if (!n) {
        free(hex);
        return STELLA_E_NOMEM;
      }
      free(sm->keys[k].name);
      sm->keys[k].name = n;
    }
    free(hex);
  }
  return STELLA_OK;
}

static void sms_truncate(servicemap *sm, size_t n0) {
  while (sm->n_keys > n0) {
    stella_key *k = &sm->keys[--sm->n_keys];
    free(k->kind);
    free(k->name);
    free(k->base_url);
    free(k->log_id);
    free(k->key_type);
    free(k->fingerprint_sha256);
    free(k->status);
  }
}

stella_err servicemap_add_signing_keys(servicemap *sm, const char *buf,
                                       size_t len, char *errbuf,
                                       size_t errlen) {
  json_doc *doc = NULL;
  char why[256] = "";
  size_t n0 = sm->n_keys;
  stella_err e = json_parse(buf, len, &doc, why, sizeof why);
  if (e) {
    if (errbuf)
      snprintf(errbuf, errlen, "signing_keys: %s", why);
    return e;
  }
  const json_val *root = json_root(doc);
  const json_val *keys = json_get(root, "signingKeys");
  const json_val *names = json_get(root, "logKeyNames");
  if (json_type_of(root) != JV_OBJECT ||
      (keys && json_type_of(keys) != JV_ARRAY) ||
      (names && json_type_of(names) != JV_ARRAY))
    e = sms_fail(errbuf, errlen, "unexpected shape of the top level");
  if (!e && (e = sms_add_keys(sm, keys)) == STELLA_E_FORMAT)
    sms_fail(errbuf, errlen, "unexpected shape of signingKeys");
  if (!e)
    e = sms_name_logs(sm, names);
  json_doc_free(doc);
  if (e)
    sms_truncate(sm, n0);
  return e;
}
