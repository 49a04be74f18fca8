/* rekor_keyring.c - the transparency-log keys of a verified
 * trusted_root.json, with their log IDs, checkpoint key names and ids and
 * validity windows, and the --key-id lookup. */
#include "rekor_verify.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "json.h"
#include "rekor_internal.h"
#include "servicemap.h"

/* Shortest hex prefix --key-id accepts: 4 bytes, the note key id size. */
#define RK_MIN_PREFIX 8

static void rk_key_free(rekor_log_key *k) {
  free(k->base_url);
  free(k->note_name);
  free(k->name);
  crypto_key_free(k->key);
  memset(k, 0, sizeof *k);
}

void rekor_keyring_clear(rekor_keyring *kr) {
  if (!kr)
    return;
  for (size_t i = 0; i < kr->n; i++)
    rk_key_free(&kr->keys[i]);
  free(kr->keys);
  memset(kr, 0, sizeof *kr);
}

stella_err rekor_note_name_from_url(const char *url, char **out) {
  static const char *const schemes[] = {"https://", "http://"};
  const char *p = NULL;
  *out = NULL;
  for (size_t i = 0; url && !p && i < 2; i++)
    if (strncasecmp(url, schemes[i], strlen(schemes[i])) == 0)
      p = url + strlen(schemes[i]);
  if (!p)
    return STELLA_E_FORMAT;
  size_t n = strcspn(p, "/?#");
  const char *at = memchr(p, '@', n); /* drop user info */
  if (at) {
    n -= (size_t)(at + 1 - p);
    p = at + 1;
  }
  if (n == 0 || n > 255)
    return STELLA_E_FORMAT;
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)p[i] <= ' ' || (unsigned char)p[i] >= 0x7f)
      return STELLA_E_FORMAT;
  *out = strndup(p, n);
  return *out ? STELLA_OK : STELLA_E_NOMEM;
}

/* The crypto_key_algorithm() names a trusted_root keyDetails value
 * allows. Unknown values name keys we cannot verify with as Sigstore
 * means (PSS, LMS ...), so those keys are skipped. */
static const struct {
  const char *details;
  const char *alg;
} rk_details[] = {
  {"PKIX_ECDSA_P256_SHA_256", "ecdsa-p256"},
  {"PKIX_ECDSA_P384_SHA_384", "ecdsa-p384"},
  {"PKIX_ED25519", "ed25519"},
  {"PKIX_RSA_PKCS1V15_2048_SHA256", "rsa-2048"},
  {"PKIX_RSA_PKCS1V15_3072_SHA256", "rsa-3072"},
  {"PKIX_RSA_PKCS1V15_4096_SHA256", "rsa-4096"},
};

/* 1 when a key of this algorithm verifies what keyDetails says it signs
 * (an absent keyDetails: whatever the SPKI is). */
static int rk_details_match(const char *details, const crypto_key *key) {
  if (!details)
    return 1;
  for (size_t i = 0; i < sizeof rk_details / sizeof rk_details[0]; i++)
    if (strcmp(details, rk_details[i].details) == 0)
      return strcmp(crypto_key_algorithm(key), rk_details[i].alg) == 0;
  return 0;
}

/* The verification key of a tlog: *key NULL (and OK) when it is one we
 * cannot use. */
static stella_err rk_tlog_key(const json_val *pk, crypto_key **key,
                              const char **why) {
  const char *raw = json_get_str(pk, "rawBytes");
  const json_val *details = rekor_opt(pk, "keyDetails");
  uint8_t *der;
  size_t n;
  *key = NULL;
  *why = "publicKey.rawBytes is not base64";
  if (!raw || base64_decode(raw, strlen(raw), &der, &n))
    return STELLA_E_FORMAT;
  stella_err e = n ? crypto_key_from_spki_der(der, n, key) : STELLA_E_PARSE;
  free(der);
  *why = "publicKey.rawBytes is not a public key";
  if (e == STELLA_E_UNSUPPORTED)
    return STELLA_OK;
  if (e)
    return e == STELLA_E_NOMEM ? e : STELLA_E_FORMAT;
  *why = "publicKey.keyDetails is not a string";
  if (details && json_type_of(details) != JV_STRING) {
    crypto_key_free(*key);
    *key = NULL;
    return STELLA_E_FORMAT;
  }
  if (!rk_details_match(json_str(details, NULL), *key)) {
    crypto_key_free(*key);
    *key = NULL;
  }
  return STELLA_OK;
}

/* Fills k (zeroed, owns key from here on) from one tlog. */
static stella_err rk_fill_key(rekor_log_key *k, const json_val *log,
                              crypto_key *key, const char **why) {
  const json_val *pk = json_get(log, "publicKey");
  k->key = key;
  *why = "logId.keyId is not base64 of 32 bytes";
  if (rekor_hash_decode(json_get(json_get(log, "logId"), "keyId"), 0,
                        k->log_id))
    return STELLA_E_FORMAT;
  hex_encode(k->log_id, MERKLE_HASH_LEN, k->log_id_hex);
  *why = "publicKey.validFor is not RFC 3339";
  if (servicemap_valid_for(pk, &k->valid_from, &k->valid_until))
    return STELLA_E_FORMAT;
  *why = "baseUrl is not an http(s) URL";
  const char *url = json_get_str(log, "baseUrl");
  stella_err e = rekor_note_name_from_url(url, &k->note_name);
  if (e)
    return e;
  k->base_url = strdup(url);
  k->name = strdup("");
  if (!k->base_url || !k->name)
    return STELLA_E_NOMEM;
  *why = "no checkpoint key id for this key";
  return checkpoint_key_id(k->note_name, k->key, k->note_id);
}

/* Appends one tlog (or skips it: a key we cannot use, or a log ID the
 * keyring already holds, whose first window stays). */
static stella_err rk_add_tlog(rekor_keyring *kr, const json_val *log,
                              const char **why) {
  crypto_key *key;
  *why = "not an object";
  if (json_type_of(log) != JV_OBJECT)
    return STELLA_E_FORMAT;
  stella_err e = rk_tlog_key(json_get(log, "publicKey"), &key, why);
  if (e || !key)
    return e;
  if ((e = array_grow((void **)&kr->keys, kr->n, &kr->cap, sizeof *kr->keys,
                      4))) {
    crypto_key_free(key);
    return e;
  }
  rekor_log_key *k = &kr->keys[kr->n];
  memset(k, 0, sizeof *k);
  e = rk_fill_key(k, log, key, why);
  if (!e && rekor_keyring_by_log_id(kr, k->log_id))
    rk_key_free(k);
  else if (!e)
    kr->n++;
  else
    rk_key_free(k);
  return e;
}

stella_err rekor_keyring_add_trusted_root(rekor_keyring *kr, const char *buf,
                                          size_t len, char *errbuf,
                                          size_t errlen) {
  json_doc *doc;
  size_t n0 = kr->n;
  stella_err e = rekor_parse_doc(buf, len, REKOR_MAX_RESPONSE, JV_OBJECT,
                                 "trusted_root", &doc, errbuf, errlen);
  if (e)
    return e;
  const json_val *tlogs = json_get(json_root(doc), "tlogs");
  const char *why = "";
  size_t i = 0;
  if (tlogs && json_type_of(tlogs) != JV_ARRAY)
    e = errbuf_fail(STELLA_E_FORMAT, errbuf, errlen,
                   "trusted_root: tlogs is not an array");
  for (; !e && i < json_len(tlogs); i++)
    e = rk_add_tlog(kr, json_at(tlogs, i), &why);
  if (e && i > 0)
    errbuf_fail(e, errbuf, errlen, "trusted_root: tlogs[%zu]: %s", i - 1,
               why);
  json_doc_free(doc);
  while (e && kr->n > n0)
    rk_key_free(&kr->keys[--kr->n]);
  return e;
}

stella_err rekor_keyring_set_name(rekor_keyring *kr, const char *log_id_hex,
                                  const char *name) {
  for (size_t i = 0; log_id_hex && i < kr->n; i++) {
    if (strcasecmp(kr->keys[i].log_id_hex, log_id_hex))
      continue;
    char *dup = strdup(name ? name : "");
    if (!dup)
      return STELLA_E_NOMEM;
    free(kr->keys[i].name);
    kr->keys[i].name = dup;
  }
  return STELLA_OK;
}

const rekor_log_key *rekor_keyring_by_log_id(const rekor_keyring *kr,
                                             const merkle_hash log_id) {
  for (size_t i = 0; kr && i < kr->n; i++)
    if (memcmp(kr->keys[i].log_id, log_id, MERKLE_HASH_LEN) == 0)
      return &kr->keys[i];
  return NULL;
}

static int rk_is_hex(const char *s) {
  for (; *s; s++)
    if (!isxdigit((unsigned char)*s))
      return 0;
  return 1;
}

/* Every key whose human name is id, or (hex) whose log ID starts with it:
 * the count, and the first in *out. */
static size_t rk_matches(const rekor_keyring *kr, const char *id, int hex,
                         const rekor_log_key **out) {
  size_t n = 0, idlen = strlen(id);
  for (size_t i = 0; i < kr->n; i++) {
    const rekor_log_key *k = &kr->keys[i];
    int hit = hex ? strncasecmp(k->log_id_hex, id, idlen) == 0
                  : *k->name && strcmp(k->name, id) == 0;
    if (hit && n++ == 0)
      *out = k;
  }
  return n;
}

stella_err rekor_keyring_find(const rekor_keyring *kr, const char *id,
                              const rekor_log_key **out, char *errbuf,
                              size_t errlen) {
  *out = NULL;
  if (!id || !*id)
    return errbuf_fail(STELLA_E_INVALID_ARG, errbuf, errlen,
                      "empty key id: give a log ID, a prefix of at least "
                      "%d hex digits, or a key name", RK_MIN_PREFIX);
  /* A name wins over a hex reading of the same text ("deadbeef" as a
   * name is still that name). */
  size_t n = rk_matches(kr, id, 0, out);
  const char *what = "name";
  if (n == 0 && rk_is_hex(id) && strlen(id) <= 2 * MERKLE_HASH_LEN) {
    if (strlen(id) < RK_MIN_PREFIX)
      return errbuf_fail(STELLA_E_INVALID_ARG, errbuf, errlen,
                        "key id prefix '%s' is too short: give at least %d "
                        "hex digits", id, RK_MIN_PREFIX);
    n = rk_matches(kr, id, 1, out);
    what = "log ID prefix";
  }
  if (n == 0)
    return errbuf_fail(STELLA_E_NOT_FOUND, errbuf, errlen,
                      "no trusted log key matches '%s' (`stella trust "
                      "status --show-keys` lists names and log IDs)", id);
  if (n > 1) {
    *out = NULL;
    return errbuf_fail(STELLA_E_INVALID_ARG, errbuf, errlen,
                      "%s '%s' matches %zu log keys: give more of the log ID",
                      what, id, n);
  }
  return STELLA_OK;
}

stella_err rekor_keyring_note_keys(const rekor_keyring *kr, note_key **out) {
  *out = calloc(kr->n ? kr->n : 1, sizeof **out);
  if (!*out)
    return STELLA_E_NOMEM;
  for (size_t i = 0; i < kr->n; i++) {
    (*out)[i].name = kr->keys[i].note_name;
    memcpy((*out)[i].id, kr->keys[i].note_id, 4);
    (*out)[i].key = kr->keys[i].key;
  }
  return STELLA_OK;
}
