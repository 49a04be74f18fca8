/* tuf_meta.c - one TUF metadata file: shape checks, threshold signatures
 * over the canonical "signed", length/hash checks and path patterns. */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "crypto.h"
#include "fsutil.h"
#include "tuf_internal.h"

void tuf_meta_clear(tuf_meta *m) {
  if (!m)
    return;
  json_doc_free(m->doc);
  memset(m, 0, sizeof *m);
}

static size_t meta_source(const void *doc, size_t off, char *dst, size_t n) {
  return json_doc_source(doc, off, dst, n);
}

stella_err tuf_meta_write(const tuf_meta *m, const char *path) {
  return fs_write_atomic_from(path, meta_source, m->doc, m->raw_len, 0644);
}

stella_err tuf_meta_stage(const tuf_meta *m, fs_batch *batch,
                          const char *path) {
  return fs_batch_stage_from(batch, path, meta_source, m->doc, m->raw_len,
                             0644);
}

/* Each keyid may sign once: a repeated keyid rejects the whole file, so one
 * key can never be counted twice toward a threshold. */
static stella_err check_sig_list(const json_val *sigs, const char *what,
                                 char *err, size_t errlen) {
  size_t n = json_len(sigs);
  for (size_t i = 0; i < n; i++) {
    const json_val *s = json_at(sigs, i);
    const char *kid = json_get_str(s, "keyid");
    if (!kid || json_type_of(json_get(s, "sig")) != JV_STRING) {
      snprintf(err, errlen, "%s: signature %zu has no keyid/sig string", what,
               i);
      return STELLA_E_FORMAT;
    }
    for (size_t j = 0; j < i; j++) {
      const char *other = json_get_str(json_at(sigs, j), "keyid");
      if (strcmp(kid, other) == 0) {
        snprintf(err, errlen,
                 "%s: keyid %.16s signs twice: file rejected (duplicate "
                 "signatures)", what, kid);
        return STELLA_E_SIGNATURE;
      }
    }
  }
  return STELLA_OK;
}

static stella_err check_common_fields(tuf_meta *m, const char *type,
                                      const char *what, char *err,
                                      size_t errlen) {
  const char *t = json_get_str(m->signed_part, "_type");
  if (!t || strcmp(t, type) != 0) {
    snprintf(err, errlen, "%s: _type is \"%s\", expected \"%s\"", what,
             t ? t : "(missing)", type);
    return STELLA_E_FORMAT;
  }
  const char *spec = json_get_str(m->signed_part, "spec_version");
  if (!spec || strtol(spec, NULL, 10) != 1 || spec[0] != '1' ||
      (spec[1] != '.' && spec[1] != '\0')) {
    snprintf(err, errlen, "%s: spec_version \"%s\" is not 1.x: unsupported",
             what, spec ? spec : "(missing)");
    return STELLA_E_UNSUPPORTED;
  }
  if (json_get_int(m->signed_part, "version", &m->version) != 0 ||
      m->version < 1) {
    snprintf(err, errlen, "%s: version missing or not a positive integer",
             what);
    return STELLA_E_FORMAT;
  }
  const char *exp = json_get_str(m->signed_part, "expires");
  if (!exp || stella_time_parse(exp, &m->expires) != STELLA_OK) {
    snprintf(err, errlen, "%s: expires \"%s\" is not an RFC 3339 time", what,
             exp ? exp : "(missing)");
    return STELLA_E_FORMAT;
  }
  return STELLA_OK;
}

stella_err tuf_meta_parse(tuf_meta *m, char *raw, size_t raw_len,
                          const char *type, const char *what, char *err,
                          size_t errlen) {
  char perr[200] = "";
  memset(m, 0, sizeof *m);
  m->raw_len = raw_len;
  stella_err e = json_parse_owned(raw, raw_len, &m->doc, perr, sizeof perr);
  if (e != STELLA_OK) {
    snprintf(err, errlen, "%s is not valid JSON (%s)", what, perr);
    return e;
  }
  const json_val *top = json_root(m->doc);
  m->signed_part = json_get(top, "signed");
  m->signatures = json_get(top, "signatures");
  if (json_type_of(m->signed_part) != JV_OBJECT ||
      json_type_of(m->signatures) != JV_ARRAY) {
    snprintf(err, errlen, "%s: not TUF metadata (no signed object and "
             "signatures list)", what);
    return STELLA_E_FORMAT;
  }
  e = check_common_fields(m, type, what, err, errlen);
  if (e != STELLA_OK)
    return e;
  return check_sig_list(m->signatures, what, err, errlen);
}

static int keyid_listed(const json_val *keyids, const char *kid) {
  size_t n = json_len(keyids);
  for (size_t i = 0; i < n; i++) {
    const char *k = json_str(json_at(keyids, i), NULL);
    if (k && strcmp(k, kid) == 0)
      return 1;
  }
  return 0;
}

/* 1 if sig_hex is a valid signature of canon by the key object. Keys we
 * cannot build (unknown type) simply never sign. */
static int sig_valid(const json_val *key, const sbuf *canon,
                     const char *sig_hex, size_t sig_len) {
  size_t publen = 0;
  const char *pub = json_str(json_get(json_get(key, "keyval"), "public"),
                             &publen);
  const char *type = json_get_str(key, "keytype");
  const char *scheme = json_get_str(key, "scheme");
  crypto_key *k = NULL;
  if (!pub || !type || !scheme || sig_len == 0 ||
      crypto_key_from_tuf(type, scheme, pub, publen, &k) != STELLA_OK)
    return 0;
  int ok = crypto_verify_hex(k, (const uint8_t *)canon->data, canon->len,
                             sig_hex, sig_len);
  crypto_key_free(k);
  return ok;
}

stella_err tuf_meta_check_sigs(const tuf_meta *m, const sbuf *canon,
                               const json_val *keys, const json_val *role,
                               const char *what, char *err, size_t errlen) {
  const json_val *keyids = json_get(role, "keyids");
  int64_t threshold = 0;
  if (json_type_of(keyids) != JV_ARRAY ||
      json_get_int(role, "threshold", &threshold) != 0 || threshold < 1) {
    snprintf(err, errlen, "%s: the delegating role has no keyids/threshold",
             what);
    return STELLA_E_FORMAT;
  }
  int64_t valid = 0;
  size_t n = json_len(m->signatures);
  for (size_t i = 0; i < n; i++) {
    const json_val *s = json_at(m->signatures, i);
    const char *kid = json_get_str(s, "keyid");
    size_t sig_len = 0;
    const char *sig = json_str(json_get(s, "sig"), &sig_len);
    /* keyids are distinct (check_sig_list), so each counts once */
    if (kid && sig && keyid_listed(keyids, kid) &&
        sig_valid(json_get(keys, kid), canon, sig, sig_len))
      valid++;
  }
  if (valid < threshold) {
    snprintf(err, errlen,
             "%s: %lld of threshold %lld valid signatures: refused (signed "
             "by the wrong or too few keys)", what, (long long)valid,
             (long long)threshold);
    return STELLA_E_SIGNATURE;
  }
  return STELLA_OK;
}

stella_err tuf_meta_verify(const tuf_meta *m, const json_val *keys,
                           const json_val *role, const char *what, char *err,
                           size_t errlen) {
  sbuf canon = SBUF_INIT;
  stella_err e = json_canonical(m->signed_part, &canon);
  if (e != STELLA_OK) {
    snprintf(err, errlen, "%s: signed part has no canonical form (%s)", what,
             stella_strerror(e));
  } else {
    e = tuf_meta_check_sigs(m, &canon, keys, role, what, err, errlen);
  }
  sbuf_free(&canon);
  return e;
}

static stella_err check_one_hash(const char *alg, const char *hex,
                                 const void *data, size_t len,
                                 const char *what, char *err, size_t errlen) {
  uint8_t digest[CRYPTO_SHA512_LEN];
  size_t n;
  if (strcmp(alg, "sha256") == 0) {
    crypto_sha256(data, len, digest);
    n = CRYPTO_SHA256_LEN;
  } else if (strcmp(alg, "sha512") == 0) {
    crypto_sha512(data, len, digest);
    n = CRYPTO_SHA512_LEN;
  } else {
    snprintf(err, errlen, "%s: hash algorithm \"%s\" is not supported", what,
             alg);
    return STELLA_E_UNSUPPORTED;
  }
  if (!hex || strlen(hex) != 2 * n || !crypto_digest_equals_hex(digest, n,
                                                               hex)) {
    snprintf(err, errlen, "%s: %s does not match the trusted metadata: "
             "refused (tampered or corrupted download)", what, alg);
    return STELLA_E_HASH;
  }
  return STELLA_OK;
}

stella_err tuf_check_length_hashes(const json_val *info, const void *data,
                                   size_t len, int length_required,
                                   const char *what, char *err,
                                   size_t errlen) {
  int64_t want = -1;
  const json_val *lv = json_get(info, "length");
  if (lv && (json_int(lv, &want) != 0 || want < 0)) {
    snprintf(err, errlen, "%s: length in trusted metadata is not a "
             "non-negative integer", what);
    return STELLA_E_FORMAT;
  }
  if (!lv && length_required) {
    snprintf(err, errlen, "%s: trusted metadata gives no length", what);
    return STELLA_E_FORMAT;
  }
  if (lv && (uint64_t)want != (uint64_t)len) {
    snprintf(err, errlen, "%s: %zu bytes, trusted metadata says %lld: "
             "refused", what, len, (long long)want);
    return STELLA_E_HASH;
  }
  const json_val *hashes = json_get(info, "hashes");
  if (hashes && json_type_of(hashes) != JV_OBJECT) {
    snprintf(err, errlen, "%s: hashes is not an object", what);
    return STELLA_E_FORMAT;
  }
  size_t n = json_len(hashes);
  for (size_t i = 0; i < n; i++) {
    size_t klen;
    const char *alg = json_key_at(hashes, i, &klen);
    stella_err e = check_one_hash(alg, json_str(json_val_at(hashes, i), NULL),
                                  data, len, what, err, errlen);
    if (e != STELLA_OK)
      return e;
  }
  return STELLA_OK;
}

/* Python's fnmatch: '*' '?' '[...]' '[!...]', no escapes, leading dots not
 * special, case-sensitive on POSIX. fnmatch(3) with FNM_NOESCAPE is that. */
static int segment_matches(const char *pat, size_t plen, const char *s,
                           size_t slen) {
  char pbuf[1024], sbuf_[1024];
  if (plen >= sizeof pbuf || slen >= sizeof sbuf_)
    return 0;
  memcpy(pbuf, pat, plen);
  pbuf[plen] = '\0';
  memcpy(sbuf_, s, slen);
  sbuf_[slen] = '\0';
  return fnmatch(pbuf, sbuf_, FNM_NOESCAPE) == 0;
}

int tuf_path_matches(const char *pattern, const char *path) {
  const char *p = pattern, *s = path;
  for (;;) {
    const char *pe = strchr(p, '/'), *se = strchr(s, '/');
    size_t pl = pe ? (size_t)(pe - p) : strlen(p);
    size_t sl = se ? (size_t)(se - s) : strlen(s);
    if (!segment_matches(p, pl, s, sl))
      return 0;
    if (!pe || !se)
      return !pe && !se; /* same number of segments */
    p = pe + 1;
    s = se + 1;
  }
}

static int hash_prefix_matches(const json_val *prefixes, const char *path) {
  uint8_t d[CRYPTO_SHA256_LEN];
  char hex[2 * CRYPTO_SHA256_LEN + 1];
  crypto_sha256(path, strlen(path), d);
  hex_encode(d, sizeof d, hex);
  size_t n = json_len(prefixes);
  for (size_t i = 0; i < n; i++) {
    size_t plen;
    const char *pre = json_str(json_at(prefixes, i), &plen);
    if (pre && plen <= sizeof hex - 1 && strncmp(hex, pre, plen) == 0)
      return 1;
  }
  return 0;
}

int tuf_role_covers(const json_val *d, const char *path) {
  const json_val *paths = json_get(d, "paths");
  if (!paths)
    return hash_prefix_matches(json_get(d, "path_hash_prefixes"), path);
  size_t n = json_len(paths);
  for (size_t i = 0; i < n; i++) {
    const char *pat = json_str(json_at(paths, i), NULL);
    if (pat && tuf_path_matches(pat, path))
      return 1;
  }
  return 0;
}

stella_err tuf_read_file(const char *path, size_t max, char **out,
                         size_t *len) {
  sbuf b = SBUF_INIT;
  stella_err e = fs_read_file(path, max, &b);
  if (e != STELLA_OK) {
    sbuf_free(&b);
    return e;
  }
  *out = sbuf_take(&b, len);
  return *out ? STELLA_OK : STELLA_E_NOMEM;
}
