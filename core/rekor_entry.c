/* rekor_entry.c - Rekor log entries in their two shapes, read into one
 * rekor_entry: the v1 REST API's LogEntryAnon (numbers, hex hashes, log ID
 * in hex) and a Sigstore bundle's tlogEntries (protobuf JSON: int64 as
 * decimal strings, bytes as base64, zero values and empty lists omitted).
 * Also the helpers the rekor_*.c files share (rekor_internal.h). */
#include "rekor_verify.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "rekor_internal.h"

/* A bundle is a file, not a reply, and may carry a large attestation. */
#define RK_MAX_BUNDLE (16 * REKOR_MAX_RESPONSE)
/* Entry UUIDs are hex: 64 digits, or 80 with the tree ID in front. */
#define RK_MAX_UUID 80

/* ---- Shared helpers (rekor_internal.h) ---------------------------------- */

stella_err rekor_parse_doc(const char *buf, size_t len, size_t max,
                           jv_type top, const char *what, json_doc **doc,
                           char *errbuf, size_t errlen) {
  char why[160] = "";
  *doc = NULL;
  if (!buf || !len) /* a reply without a body, an empty file */
    return errbuf_fail(STELLA_E_PARSE, errbuf, errlen,
                       "%s: empty (0 bytes), not JSON", what);
  if (len > max)
    return errbuf_fail(STELLA_E_TOO_LARGE, errbuf, errlen,
                      "%s: %zu bytes is over the %zu-byte cap", what, len,
                      max);
  stella_err e = json_parse(buf, len, doc, why, sizeof why);
  if (e)
    return errbuf_fail(e, errbuf, errlen, "%s: not JSON (%s)", what, why);
  jv_type t = json_type_of(json_root(*doc));
  if (top == JV_NULL ? t == JV_OBJECT || t == JV_ARRAY : t == top)
    return STELLA_OK;
  json_doc_free(*doc);
  *doc = NULL;
  return errbuf_fail(STELLA_E_FORMAT, errbuf, errlen,
                    "%s: top level is not %s", what,
                    top == JV_ARRAY    ? "an array"
                    : top == JV_OBJECT ? "an object"
                                       : "an object or an array");
}

stella_err rekor_parse_object(const char *buf, size_t len, const char *what,
                              rekor_fill_fn fill, void *ctx,
                              void (*clear)(void *ctx), char *errbuf,
                              size_t errlen) {
  json_doc *doc;
  const char *why = "";
  stella_err e = rekor_parse_doc(buf, len, REKOR_MAX_RESPONSE, JV_OBJECT,
                                 what, &doc, errbuf, errlen);
  if (e)
    return e;
  e = fill(json_root(doc), ctx, &why);
  json_doc_free(doc);
  if (e) {
    clear(ctx);
    errbuf_fail(e, errbuf, errlen, "%s: %s", what, why);
  }
  return e;
}

const json_val *rekor_opt(const json_val *obj, const char *key) {
  const json_val *v = json_get(obj, key);
  return json_type_of(v) == JV_NULL ? NULL : v;
}

int rekor_hash_decode(const json_val *v, int hex, merkle_hash out) {
  size_t len, n = 0;
  const char *s = json_str(v, &len);
  uint8_t *raw = NULL;
  if (!s || len > 2 * MERKLE_HASH_LEN ||
      (hex ? len != 2 * MERKLE_HASH_LEN || hex_decode(s, len, &raw, &n)
           : base64_decode(s, len, &raw, &n)))
    return -1;
  int ok = n == MERKLE_HASH_LEN;
  if (ok)
    memcpy(out, raw, MERKLE_HASH_LEN);
  free(raw);
  return ok ? 0 : -1;
}

stella_err rekor_hash_list(const json_val *arr, int hex, merkle_hash **out,
                           size_t *n, const char **why) {
  size_t count = json_len(arr);
  *out = NULL;
  *n = 0;
  *why = "hashes is not an array";
  if (json_type_of(arr) != JV_ARRAY)
    return STELLA_E_FORMAT;
  *why = "more than 64 hashes";
  if (count > REKOR_MAX_PROOF_HASHES)
    return STELLA_E_FORMAT;
  if (count == 0)
    return STELLA_OK;
  merkle_hash *v = calloc(count, sizeof *v);
  if (!v)
    return STELLA_E_NOMEM;
  for (size_t i = 0; i < count; i++) {
    if (rekor_hash_decode(json_at(arr, i), hex, v[i])) {
      *why = hex ? "a hash is not 64 hex digits"
                 : "a hash is not base64 of 32 bytes";
      free(v);
      return STELLA_E_FORMAT;
    }
  }
  *out = v;
  *n = count;
  return STELLA_OK;
}

/* ---- Entries ------------------------------------------------------------ */

void rekor_entry_clear(rekor_entry *e) {
  if (!e)
    return;
  free(e->uuid);
  free(e->body_b64);
  free(e->body);
  free(e->set);
  free(e->hashes);
  free(e->checkpoint);
  memset(e, 0, sizeof *e);
}

void rekor_entries_free(rekor_entry *v, size_t n) {
  for (size_t i = 0; v && i < n; i++)
    rekor_entry_clear(&v[i]);
  free(v);
}

void rekor_bundle_clear(rekor_bundle *b) {
  if (!b)
    return;
  rekor_entries_free(b->entries, b->n);
  memset(b, 0, sizeof *b);
}

/* Decimal digits of a non-negative int64, no sign. */
static int rk_decimal(const char *s, size_t len, int64_t *out) {
  uint64_t v = 0;
  if (len == 0 || len > 19)
    return -1;
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9')
      return -1;
    v = v * 10 + (uint64_t)(s[i] - '0');
  }
  if (v > INT64_MAX)
    return -1;
  *out = (int64_t)v;
  return 0;
}

/* A non-negative integer member: a JSON integer or, with strings (protobuf
 * JSON writes int64 so), a decimal string. 1 when absent or null, 0 when
 * read, -1 when malformed. */
static int rk_get_count(const json_val *obj, const char *key, int strings,
                        int64_t *out) {
  const json_val *v = rekor_opt(obj, key);
  size_t len;
  const char *s = strings ? json_str(v, &len) : NULL;
  if (!v)
    return 1;
  if (s)
    return rk_decimal(s, len, out);
  return json_int(v, out) == 0 && *out >= 0 ? 0 : -1;
}

/* A non-empty string member without NUL bytes, at most max bytes, copied. */
static int rk_get_text(const json_val *v, size_t max, char **out) {
  size_t len;
  const char *s = json_str(v, &len);
  if (!s || len == 0 || len > max || strlen(s) != len)
    return -1;
  *out = strndup(s, len);
  return *out ? 0 : -1;
}

/* Copies a kind or version ("hashedrekord", "0.0.1") when it is short
 * and plain; anything else leaves dst "" (it is only a label). */
static void rk_copy_label(char *dst, size_t n, const char *s) {
  if (!s || strlen(s) >= n)
    return;
  for (const char *p = s; *p; p++)
    if (!isalnum((unsigned char)*p) && !strchr("._-", *p))
      return;
  strcpy(dst, s);
}

/* kind and apiVersion from the canonicalized body itself. */
static void rk_kind_from_body(rekor_entry *e) {
  json_doc *doc;
  if (json_parse((const char *)e->body, e->body_len, &doc, NULL, 0))
    return;
  rk_copy_label(e->kind, sizeof e->kind, json_get_str(json_root(doc), "kind"));
  rk_copy_label(e->kind_version, sizeof e->kind_version,
                json_get_str(json_root(doc), "apiVersion"));
  json_doc_free(doc);
}

static stella_err rk_read_body(rekor_entry *e, const json_val *v,
                               const char **why) {
  *why = "body is missing or not base64";
  if (rk_get_text(v, REKOR_MAX_RESPONSE, &e->body_b64) ||
      base64_decode(e->body_b64, strlen(e->body_b64), &e->body,
                    &e->body_len) ||
      e->body_len == 0)
    return STELLA_E_FORMAT;
  return STELLA_OK;
}

/* The signed entry timestamp, when v (base64) is present. */
static stella_err rk_read_set(rekor_entry *e, const json_val *v,
                              const char **why) {
  char *b64 = NULL;
  *why = "signedEntryTimestamp is not base64";
  if (!v)
    return STELLA_OK;
  if (rk_get_text(v, REKOR_MAX_RESPONSE, &b64))
    return STELLA_E_FORMAT;
  stella_err e2 = base64_decode(b64, strlen(b64), &e->set, &e->set_len);
  free(b64);
  return e2 || e->set_len == 0 ? STELLA_E_FORMAT : STELLA_OK;
}

/* The checkpoint note of a proof: API "checkpoint": "<note>", bundle
 * "checkpoint": {"envelope": "<note>"}. Absent is fine. */
static stella_err rk_read_checkpoint(rekor_entry *e, const json_val *p,
                                     int api, const char **why) {
  const json_val *cp = rekor_opt(p, "checkpoint");
  *why = api ? "inclusionProof.checkpoint is not a note"
             : "inclusionProof.checkpoint.envelope is not a note";
  if (cp && !api) {
    if (json_type_of(cp) != JV_OBJECT)
      return STELLA_E_FORMAT;
    cp = rekor_opt(cp, "envelope");
  }
  if (cp && rk_get_text(cp, CHECKPOINT_MAX_BYTES, &e->checkpoint))
    return STELLA_E_FORMAT;
  return STELLA_OK;
}

/* An inclusion proof, when p is present: API numbers and hex, or bundle
 * strings and base64. Empty lists are omitted in protobuf JSON, so absent
 * hashes mean none (a one-leaf tree). */
static stella_err rk_read_proof(rekor_entry *e, const json_val *p, int api,
                                const char **why) {
  if (!p)
    return STELLA_OK;
  *why = "inclusionProof is not an object";
  if (json_type_of(p) != JV_OBJECT)
    return STELLA_E_FORMAT;
  *why = "inclusionProof.logIndex is not a non-negative integer";
  if (rk_get_count(p, "logIndex", !api, &e->proof_index) == -1)
    return STELLA_E_FORMAT;
  *why = "inclusionProof.treeSize is missing or not a non-negative integer";
  if (rk_get_count(p, "treeSize", !api, &e->tree_size))
    return STELLA_E_FORMAT;
  *why = api ? "inclusionProof.rootHash is not 64 hex digits"
             : "inclusionProof.rootHash is not base64 of 32 bytes";
  if (rekor_hash_decode(json_get(p, "rootHash"), api, e->root_hash))
    return STELLA_E_FORMAT;
  const json_val *h = rekor_opt(p, "hashes");
  if (h) {
    stella_err err = rekor_hash_list(h, api, &e->hashes, &e->n_hashes, why);
    if (err)
      return err;
  }
  e->has_proof = 1;
  return rk_read_checkpoint(e, p, api, why);
}

/* One LogEntryAnon: body, integratedTime, logID (hex), logIndex,
 * verification {signedEntryTimestamp, inclusionProof}. */
static stella_err rk_from_api_val(const json_val *o, const char *uuid,
                                  rekor_entry *e, const char **why) {
  stella_err err;
  *why = "entry is not an object";
  if (json_type_of(o) != JV_OBJECT)
    return STELLA_E_FORMAT;
  if (!(e->uuid = strdup(uuid ? uuid : "")))
    return STELLA_E_NOMEM;
  if ((err = rk_read_body(e, json_get(o, "body"), why)))
    return err;
  int t = rk_get_count(o, "integratedTime", 0, &e->integrated_time);
  *why = "integratedTime is not a non-negative integer";
  if (t == -1)
    return STELLA_E_FORMAT;
  e->has_integrated_time = t == 0;
  *why = "logID is not 64 hex digits";
  if (rekor_hash_decode(json_get(o, "logID"), 1, e->log_id))
    return STELLA_E_FORMAT;
  *why = "logIndex is missing or not a non-negative integer";
  if (rk_get_count(o, "logIndex", 0, &e->log_index))
    return STELLA_E_FORMAT;
  const json_val *ver = rekor_opt(o, "verification");
  *why = "verification is not an object";
  if (ver && json_type_of(ver) != JV_OBJECT)
    return STELLA_E_FORMAT;
  if ((err = rk_read_set(e, rekor_opt(ver, "signedEntryTimestamp"), why)) ||
      (err = rk_read_proof(e, rekor_opt(ver, "inclusionProof"), 1, why)))
    return err;
  rk_kind_from_body(e);
  return STELLA_OK;
}

/* s (json_str of len bytes) is exactly label. */
static int rk_same_label(const char *s, size_t len, const char *label) {
  return s && *label && len == strlen(label) && memcmp(s, label, len) == 0;
}

/* A bundle's kindVersion (required) must name the canonicalized body's own
 * kind and apiVersion: a label that says otherwise was edited or built
 * wrong, and a verifier that trusts the label would read the body as
 * another type. */
static stella_err rk_read_kind_version(rekor_entry *e, const json_val *kv,
                                       const char **why) {
  size_t kind_len = 0, version_len = 0;
  const char *kind = json_str(json_get(kv, "kind"), &kind_len);
  const char *version = json_str(json_get(kv, "version"), &version_len);
  *why = "kindVersion is not an object with string kind and version";
  if (json_type_of(kv) != JV_OBJECT || !kind || !version)
    return STELLA_E_FORMAT;
  rk_kind_from_body(e);
  *why = "kindVersion does not match the canonicalized body's kind and "
         "apiVersion";
  if (!rk_same_label(kind, kind_len, e->kind) ||
      !rk_same_label(version, version_len, e->kind_version))
    return STELLA_E_FORMAT;
  return STELLA_OK;
}

/* One bundle tlogEntries item (TransparencyLogEntry in protobuf JSON). */
static stella_err rk_from_bundle_val(const json_val *o, rekor_entry *e,
                                     const char **why) {
  stella_err err;
  *why = "not an object";
  if (json_type_of(o) != JV_OBJECT)
    return STELLA_E_FORMAT;
  if (!(e->uuid = strdup("")))
    return STELLA_E_NOMEM;
  if ((err = rk_read_body(e, json_get(o, "canonicalizedBody"), why)))
    return err;
  /* Absent is 0: protobuf JSON omits zero (a log's first entry). */
  *why = "logIndex is not a non-negative integer";
  if (rk_get_count(o, "logIndex", 1, &e->log_index) == -1)
    return STELLA_E_FORMAT;
  *why = "logId.keyId is not base64 of 32 bytes";
  if (rekor_hash_decode(json_get(json_get(o, "logId"), "keyId"), 0,
                        e->log_id))
    return STELLA_E_FORMAT;
  /* Zero is protobuf's "unset": Rekor v2 entries have no time. */
  *why = "integratedTime is not a non-negative integer";
  int t = rk_get_count(o, "integratedTime", 1, &e->integrated_time);
  if (t == -1)
    return STELLA_E_FORMAT;
  e->has_integrated_time = t == 0 && e->integrated_time != 0;
  if ((err = rk_read_kind_version(e, rekor_opt(o, "kindVersion"), why)))
    return err;
  const json_val *promise = rekor_opt(o, "inclusionPromise");
  *why = "inclusionPromise is not an object";
  if (promise && json_type_of(promise) != JV_OBJECT)
    return STELLA_E_FORMAT;
  if ((err = rk_read_set(e, rekor_opt(promise, "signedEntryTimestamp"),
                         why)))
    return err;
  return rk_read_proof(e, rekor_opt(o, "inclusionProof"), 0, why);
}

/* rekor_parse_object's view of one entry under a given UUID. */
typedef struct rk_api_object {
  rekor_entry *out;
  const char *uuid;
} rk_api_object;

static stella_err rk_api_object_fill(const json_val *o, void *ctx,
                                     const char **why) {
  rk_api_object *a = ctx;
  return rk_from_api_val(o, a->uuid, a->out, why);
}

static void rk_api_object_clear(void *ctx) {
  rekor_entry_clear(((rk_api_object *)ctx)->out);
}

stella_err rekor_entry_from_api_object(const char *buf, size_t len,
                                       const char *uuid, rekor_entry *out,
                                       char *errbuf, size_t errlen) {
  rk_api_object a = {out, uuid};
  memset(out, 0, sizeof *out);
  return rekor_parse_object(buf, len, "log entry", rk_api_object_fill, &a,
                            rk_api_object_clear, errbuf, errlen);
}

/* Rekor UUIDs (entry IDs) are hex. */
static int rk_uuid_ok(const char *key, size_t len) {
  if (len == 0 || len > RK_MAX_UUID || strlen(key) != len)
    return 0;
  for (size_t i = 0; i < len; i++)
    if (!isxdigit((unsigned char)key[i]))
      return 0;
  return 1;
}

/* The {"<uuid>": LogEntryAnon} objects of a reply: the top object, or
 * each item of the top array. n counts all their members. */
static stella_err rk_api_objects(const json_val *root, size_t *n,
                                 const char **why) {
  int arr = json_type_of(root) == JV_ARRAY;
  size_t items = arr ? json_len(root) : 1;
  *n = 0;
  for (size_t i = 0; i < items; i++) {
    const json_val *o = arr ? json_at(root, i) : root;
    *why = "an item of the array is not an object";
    if (json_type_of(o) != JV_OBJECT)
      return STELLA_E_FORMAT;
    *n += json_len(o);
    *why = "more entries than REKOR_MAX_ENTRIES_PER_RESPONSE (256)";
    if (*n > REKOR_MAX_ENTRIES_PER_RESPONSE)
      return STELLA_E_LIMIT;
  }
  return STELLA_OK;
}

/* Reads every member of every object into v (room for all of them);
 * *done counts the entries filled or partly filled. */
static stella_err rk_api_fill(const json_val *root, rekor_entry *v,
                              size_t *done, const char **why) {
  int arr = json_type_of(root) == JV_ARRAY;
  size_t items = arr ? json_len(root) : 1;
  *done = 0;
  for (size_t i = 0; i < items; i++) {
    const json_val *o = arr ? json_at(root, i) : root;
    for (size_t m = 0; m < json_len(o); m++) {
      size_t klen;
      const char *key = json_key_at(o, m, &klen);
      *why = "an entry key is not a Rekor UUID (hex)";
      if (!rk_uuid_ok(key, klen))
        return STELLA_E_FORMAT;
      stella_err e = rk_from_api_val(json_val_at(o, m), key, &v[(*done)++],
                                     why);
      if (e)
        return e;
    }
  }
  return STELLA_OK;
}

stella_err rekor_entries_from_api(const char *buf, size_t len,
                                  rekor_entry **out, size_t *n, char *errbuf,
                                  size_t errlen) {
  json_doc *doc;
  const char *why = "";
  size_t count = 0, done = 0;
  *out = NULL;
  *n = 0;
  stella_err e = rekor_parse_doc(buf, len, REKOR_MAX_RESPONSE, JV_NULL,
                                 "log entries", &doc, errbuf, errlen);
  if (e)
    return e;
  rekor_entry *v = NULL;
  e = rk_api_objects(json_root(doc), &count, &why);
  if (!e && count && !(v = calloc(count, sizeof *v)))
    e = STELLA_E_NOMEM;
  if (!e && count)
    e = rk_api_fill(json_root(doc), v, &done, &why);
  json_doc_free(doc);
  if (e) {
    rekor_entries_free(v, done);
    return errbuf_fail(e, errbuf, errlen, "log entries: %s", why);
  }
  *out = v;
  *n = count;
  return STELLA_OK;
}

/* ---- Bundles ------------------------------------------------------------ */

/* The bundle media types and their minor versions. */
static const struct {
  const char *media;
  int minor;
} rk_bundle_types[] = {
  {"application/vnd.dev.sigstore.bundle+json;version=0.1", 1},
  {"application/vnd.dev.sigstore.bundle+json;version=0.2", 2},
  {"application/vnd.dev.sigstore.bundle+json;version=0.3", 3},
  {"application/vnd.dev.sigstore.bundle.v0.3+json", 3},
};

static int rk_bundle_minor(const char *media) {
  for (size_t i = 0; media && i < sizeof rk_bundle_types /
                                      sizeof rk_bundle_types[0]; i++)
    if (strcmp(media, rk_bundle_types[i].media) == 0)
      return rk_bundle_types[i].minor;
  return 0;
}

/* verificationMaterial.tlogEntries into out (minor already set). */
static stella_err rk_bundle_entries(const json_val *root, rekor_bundle *out,
                                    char *errbuf, size_t errlen) {
  const json_val *vm = json_get(root, "verificationMaterial");
  const json_val *list = rekor_opt(vm, "tlogEntries");
  const char *why = "";
  if (json_type_of(vm) != JV_OBJECT ||
      (list && json_type_of(list) != JV_ARRAY))
    return errbuf_fail(STELLA_E_FORMAT, errbuf, errlen,
                      "bundle: verificationMaterial.tlogEntries is missing "
                      "or not a list");
  size_t count = json_len(list);
  if (count > REKOR_MAX_ENTRIES_PER_RESPONSE)
    return errbuf_fail(STELLA_E_LIMIT, errbuf, errlen,
                      "bundle: %zu tlog entries, more than %d", count,
                      REKOR_MAX_ENTRIES_PER_RESPONSE);
  if (count && !(out->entries = calloc(count, sizeof *out->entries)))
    return STELLA_E_NOMEM;
  for (size_t i = 0; i < count; i++) {
    stella_err e = rk_from_bundle_val(json_at(list, i), &out->entries[i],
                                      &why);
    out->n = i + 1;
    if (e)
      return errbuf_fail(e, errbuf, errlen, "bundle: tlogEntries[%zu]: %s",
                        i, why);
  }
  return STELLA_OK;
}

stella_err rekor_bundle_parse(const char *buf, size_t len, rekor_bundle *out,
                              char *errbuf, size_t errlen) {
  json_doc *doc;
  memset(out, 0, sizeof *out);
  stella_err e = rekor_parse_doc(buf, len, RK_MAX_BUNDLE, JV_OBJECT,
                                 "bundle", &doc, errbuf, errlen);
  if (e)
    return e;
  const char *media = json_get_str(json_root(doc), "mediaType");
  out->minor = rk_bundle_minor(media);
  if (!out->minor)
    e = errbuf_fail(STELLA_E_FORMAT, errbuf, errlen,
                   "bundle: mediaType is not a Sigstore bundle v0.1-v0.3");
  else
    e = rk_bundle_entries(json_root(doc), out, errbuf, errlen);
  json_doc_free(doc);
  if (e)
    rekor_bundle_clear(out);
  return e;
}
