/* drill_api.c - the Rekor v1 REST subset the drill log answers, in
 * Rekor's shapes: entries keyed by entry ID (16 hex digits of the tree ID
 * + the 64-hex UUID, the leaf hash) as LogEntryAnon objects with hex log
 * ID and proof hashes, base64 SET, a fresh inclusion proof and checkpoint
 * at the current size; errors as {"code":N,"message":"..."}. Responses are
 * built with jansson; request bodies are read with json.h, which also makes
 * the canonical entry body. */
#include "drill_internal.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

typedef struct drill_api {
  drill_state *st;
  int64_t now;
  const drill_req *rq;
  drill_resp *rs;
} drill_api;

/* Messages echo what the client sent (paths, IDs, treeID), cut at a
 * byte count: anything but printable ASCII becomes '?', so the message is
 * always valid UTF-8 on one line and the JSON answer can be built. */
static void drill_printable(char *msg) {
  for (; *msg; msg++)
    if ((unsigned char)*msg < 0x20 || (unsigned char)*msg > 0x7e)
      *msg = '?';
}

static void drill_api_verror(drill_resp *rs, unsigned status,
                             const char *fmt, va_list ap) {
  char msg[512];
  vsnprintf(msg, sizeof msg, fmt, ap);
  drill_printable(msg);
  json_t *o = json_pack("{s:i,s:s}", "code", (int)status, "message", msg);
  char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
  sbuf_reset(&rs->body);
  rs->status = status;
  rs->ctype = "application/json";
  if (!text || sbuf_append_str(&rs->body, text)) {
    rs->status = 500;
    sbuf_reset(&rs->body);
  }
  free(text);
  json_decref(o);
}

void drill_api_error(drill_resp *rs, unsigned status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  drill_api_verror(rs, status, fmt, ap);
  va_end(ap);
}

/* Handlers return the status of the answer they made. */
static unsigned drill_fail(drill_api *a, unsigned status, const char *fmt,
                           ...) __attribute__((format(printf, 3, 4)));
static unsigned drill_fail(drill_api *a, unsigned status, const char *fmt,
                           ...) {
  va_list ap;
  va_start(ap, fmt);
  drill_api_verror(a->rs, status, fmt, ap);
  va_end(ap);
  return a->rs->status;
}

/* Sends v (stolen) as the JSON answer with status. */
static unsigned drill_api_json(drill_resp *rs, unsigned status, json_t *v) {
  char *text = v ? json_dumps(v, JSON_COMPACT) : NULL;
  json_decref(v);
  sbuf_reset(&rs->body);
  if (!text || sbuf_append_str(&rs->body, text)) {
    free(text);
    drill_api_error(rs, 500, "internal error building the answer");
    return rs->status;
  }
  free(text);
  rs->status = status;
  rs->ctype = "application/json";
  return status;
}

/* Strict unsigned decimal (no sign, no spaces) up to INT64_MAX. */
static int drill_parse_u64(const char *s, uint64_t *out) {
  uint64_t v = 0;
  if (!s || !*s || strlen(s) > 19)
    return 0;
  for (; *s; s++) {
    if (*s < '0' || *s > '9')
      return 0;
    v = v * 10 + (uint64_t)(*s - '0');
  }
  *out = v;
  return v <= INT64_MAX;
}

static json_t *drill_hashes_json(const merkle_hash *h, size_t n) {
  json_t *a = json_array();
  char hex[2 * MERKLE_HASH_LEN + 1];
  for (size_t i = 0; a && i < n; i++) {
    hex_encode(h[i], MERKLE_HASH_LEN, hex);
    if (json_array_append_new(a, json_string(hex))) {
      json_decref(a);
      return NULL;
    }
  }
  return a;
}

/* LogEntryAnon of x with an inclusion proof at the current size. */
static json_t *drill_entry_anon(drill_state *st, const drill_entry *x) {
  merkle_hash *proof = NULL, root;
  size_t n = 0;
  const char *note = NULL;
  char root_hex[2 * MERKLE_HASH_LEN + 1];
  if (drill_state_inclusion(st, (uint64_t)x->index, st->size, &proof, &n) ||
      drill_state_root(st, st->size, root) ||
      drill_state_checkpoint(st, &note)) {
    free(proof);
    return NULL;
  }
  hex_encode(root, MERKLE_HASH_LEN, root_hex);
  json_t *hashes = drill_hashes_json(proof, n);
  free(proof);
  if (!hashes)
    return NULL;
  return json_pack("{s:s,s:I,s:s,s:I,s:{s:s,s:{s:I,s:I,s:s,s:o,s:s}}}",
                   "body", x->body_b64, "integratedTime",
                   (json_int_t)x->integrated_time, "logID", st->log_id_hex,
                   "logIndex", (json_int_t)x->index, "verification",
                   "signedEntryTimestamp", x->set_b64, "inclusionProof",
                   "logIndex", (json_int_t)x->index, "treeSize",
                   (json_int_t)st->size, "rootHash", root_hex, "hashes",
                   hashes, "checkpoint", note);
}

/* {"<entry ID>": LogEntryAnon}, the shape of every single-entry answer. */
static json_t *drill_entry_obj(drill_state *st, const drill_entry *x) {
  char id[17 + 2 * MERKLE_HASH_LEN];
  json_t *anon = drill_entry_anon(st, x);
  snprintf(id, sizeof id, "%s%s", st->tree_hex, x->uuid);
  json_t *o = anon ? json_object() : NULL;
  if (o && !json_object_set_new(o, id, anon))
    return o;
  json_decref(o);
  return NULL;
}

static void drill_set_location(drill_state *st, drill_resp *rs,
                               const char *uuid) {
  snprintf(rs->location, sizeof rs->location, "/api/v1/log/entries/%s%s",
           st->tree_hex, uuid);
}

/* ---- GET /api/v1/log, /proof, /publicKey ---- */

static unsigned drill_log_info(drill_api *a) {
  merkle_hash root;
  char hex[2 * MERKLE_HASH_LEN + 1];
  const char *note;
  if (drill_state_root(a->st, a->st->size, root) ||
      drill_state_checkpoint(a->st, &note))
    return drill_fail(a, 503, "the log has no checkpoint yet");
  hex_encode(root, MERKLE_HASH_LEN, hex);
  return drill_api_json(a->rs, 200, json_pack("{s:s,s:I,s:s,s:s,s:[]}",
                        "rootHash", hex, "treeSize", (json_int_t)a->st->size,
                        "signedTreeHead", note, "treeID", a->st->tree_id,
                        "inactiveShards"));
}

static unsigned drill_proof(drill_api *a) {
  uint64_t first = 1, last;
  const drill_req *rq = a->rq;
  if (!drill_parse_u64(rq->last_size, &last) || last < 1)
    return drill_fail(a, 400, "lastSize must be an integer >= 1");
  if (rq->first_size && (!drill_parse_u64(rq->first_size, &first) ||
                         first < 1))
    return drill_fail(a, 400, "firstSize must be an integer >= 1");
  if (rq->tree_id && strcmp(rq->tree_id, a->st->tree_id))
    return drill_fail(a, 400, "unknown treeID %.30s (this log: %s)",
                      rq->tree_id, a->st->tree_id);
  if (first > last)
    return drill_fail(a, 400, "firstSize(%" PRIu64 ") must be less than or "
                      "equal to lastSize(%" PRIu64 ")", first, last);
  if (last > a->st->size)
    return drill_fail(a, 400, "lastSize(%" PRIu64 ") must be less than or "
                      "equal to the tree size(%" PRIu64 ")", last,
                      a->st->size);
  merkle_hash *proof = NULL, root;
  size_t n = 0;
  char hex[2 * MERKLE_HASH_LEN + 1];
  if (drill_state_consistency(a->st, first, last, &proof, &n) ||
      drill_state_root(a->st, last, root)) {
    free(proof);
    return drill_fail(a, 500, "cannot compute the proof");
  }
  hex_encode(root, MERKLE_HASH_LEN, hex);
  json_t *hashes = drill_hashes_json(proof, n);
  free(proof);
  return drill_api_json(a->rs, 200, hashes ? json_pack("{s:s,s:o}", "rootHash",
                                                hex, "hashes", hashes)
                                    : NULL);
}

static unsigned drill_public_key(drill_api *a) {
  sbuf_reset(&a->rs->body);
  if (!a->st->pubkey_pem ||
      sbuf_append_str(&a->rs->body, a->st->pubkey_pem))
    return drill_fail(a, 500, "no public key");
  a->rs->status = 200;
  a->rs->ctype = "application/x-pem-file";
  return 200;
}

/* ---- reading entries ---- */

/* A 64-hex UUID or an 80-hex entry ID of this tree, into a lowercase UUID.
 * 0: malformed; -1: another tree's entry ID. */
static int drill_parse_id(drill_state *st, const char *id, char *uuid) {
  size_t len = strlen(id), skip = len == 80 ? 16 : 0;
  if (len != 64 && len != 80)
    return 0;
  for (size_t i = 0; i < len; i++) {
    char c = id[i];
    if (c >= 'A' && c <= 'F')
      c = (char)(c - 'A' + 'a');
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
      return 0;
    if (i < skip && c != st->tree_hex[i])
      return -1;
    if (i >= skip)
      uuid[i - skip] = c;
  }
  uuid[64] = '\0';
  return 1;
}

/* The entry for an ID, or why not (404 unknown, 400 malformed). */
static unsigned drill_lookup(drill_state *st, const char *id,
                             drill_entry *x) {
  char uuid[65];
  int64_t index;
  int ok = drill_parse_id(st, id, uuid);
  if (ok == 0)
    return 400;
  if (ok < 0 || drill_state_find(st, uuid, &index))
    return 404;
  return drill_state_get(st, index, x) ? 500 : 200;
}

static unsigned drill_answer_entry(drill_api *a, const drill_entry *x) {
  return drill_api_json(a->rs, 200, drill_entry_obj(a->st, x));
}

static unsigned drill_entry_by_id(drill_api *a) {
  const char *id = a->rq->path + strlen("/api/v1/log/entries/");
  drill_entry x;
  memset(&x, 0, sizeof x);
  unsigned st = drill_lookup(a->st, id, &x);
  if (st == 400)
    st = drill_fail(a, 400, "'%.100s' is not an entry UUID (64 hex digits) "
                    "or entry ID (80)", id);
  else if (st == 404)
    st = drill_fail(a, 404, "no entry with UUID %.100s", id);
  else if (st != 200)
    st = drill_fail(a, 500, "cannot read the entry");
  else
    st = drill_answer_entry(a, &x);
  drill_entry_clear(&x);
  return st;
}

static unsigned drill_entry_by_index(drill_api *a) {
  uint64_t index;
  drill_entry x;
  if (!a->rq->log_index)
    return drill_fail(a, 400, "needs ?logIndex=N");
  if (!drill_parse_u64(a->rq->log_index, &index))
    return drill_fail(a, 400, "logIndex must be an integer >= 0");
  stella_err e = drill_state_get(a->st, (int64_t)index, &x);
  if (e == STELLA_E_NOT_FOUND)
    return drill_fail(a, 404, "no entry at logIndex %" PRIu64 " (tree "
                      "size %" PRIu64 ")", index, a->st->size);
  if (e)
    return drill_fail(a, 500, "cannot read the entry");
  unsigned st = drill_answer_entry(a, &x);
  drill_entry_clear(&x);
  return st;
}

/* Appends the entry (if present) to arr; 400 for a malformed id. */
static unsigned drill_retrieve_one(drill_api *a, const json_val *v,
                                   int by_index, json_t *arr) {
  drill_entry x;
  unsigned st = 404;
  int64_t index;
  memset(&x, 0, sizeof x);
  if (by_index) {
    if (json_int(v, &index) || index < 0)
      return 400;
    st = drill_state_get(a->st, index, &x) ? 404 : 200;
  } else {
    const char *id = json_str(v, NULL);
    if (!id)
      return 400;
    st = drill_lookup(a->st, id, &x);
  }
  if (st == 200 && json_array_append_new(arr, drill_entry_obj(a->st, &x)))
    st = 500;
  drill_entry_clear(&x);
  return st == 404 ? 200 : st;   /* Rekor skips what it does not have */
}

static unsigned drill_retrieve_list(drill_api *a, const json_val *list,
                                    int by_index, json_t *arr) {
  unsigned st = 200;
  if (list && json_type_of(list) != JV_ARRAY)
    return 400;
  for (size_t i = 0; st == 200 && i < json_len(list); i++)
    st = drill_retrieve_one(a, json_at(list, i), by_index, arr);
  return st;
}

static unsigned drill_retrieve(drill_api *a) {
  json_doc *doc = NULL;
  if (json_parse(a->rq->body, a->rq->body_len, &doc, NULL, 0))
    return drill_fail(a, 400, "the body is not JSON");
  const json_val *uuids = json_get(json_root(doc), "entryUUIDs");
  const json_val *idx = json_get(json_root(doc), "logIndexes");
  json_t *arr = json_array();
  unsigned st = arr ? 200 : 500;
  if (!uuids && !idx)
    st = 400;
  else if (json_len(uuids) + json_len(idx) > DRILL_MAX_RETRIEVE)
    st = 422;
  if (st == 200)
    st = drill_retrieve_list(a, uuids, 0, arr);
  if (st == 200)
    st = drill_retrieve_list(a, idx, 1, arr);
  json_doc_free(doc);
  if (st == 200)
    return drill_api_json(a->rs, 200, arr);
  json_decref(arr);
  if (st == 422)
    return drill_fail(a, 422, "at most %d entryUUIDs and logIndexes",
                      DRILL_MAX_RETRIEVE);
  return drill_fail(a, st, "%s", st == 400 ? "want {\"entryUUIDs\":[...]} "
                    "or {\"logIndexes\":[...]} with valid items"
                    : "cannot read the entries");
}

/* ---- POST /api/v1/log/entries: hashedrekord v0.0.1 ---- */

/* The fields of a proposal, checked the way Rekor checks them. */
typedef struct drill_proposal {
  const char *hash_hex;
  uint8_t digest[32];
  uint8_t *sig, *pem;
  size_t siglen, pemlen;
} drill_proposal;

static const char *drill_proposal_fields(const json_val *root,
                                         drill_proposal *p) {
  const json_val *spec = json_get(root, "spec");
  const json_val *hash = json_get(json_get(spec, "data"), "hash");
  const json_val *sig = json_get(spec, "signature");
  const char *kind = json_get_str(root, "kind");
  const char *ver = json_get_str(root, "apiVersion");
  const char *alg = json_get_str(hash, "algorithm");
  const char *content = json_get_str(sig, "content");
  const char *key = json_get_str(json_get(sig, "publicKey"), "content");
  uint8_t *d = NULL;
  size_t dlen = 0;
  if (!kind || strcmp(kind, "hashedrekord"))
    return "kind must be hashedrekord (the only kind the drill log takes)";
  if (!ver || strcmp(ver, "0.0.1"))
    return "apiVersion must be 0.0.1 for hashedrekord";
  if (!alg || strcmp(alg, "sha256"))
    return "spec.data.hash.algorithm must be sha256";
  /* Lowercase only, as the schema describes it: Rekor stores the value as
   * sent, so "AB.." would be another body, a second entry of the same
   * signature (what the 409 of a duplicate is there to prevent). */
  p->hash_hex = json_get_str(hash, "value");
  if (!p->hash_hex || strlen(p->hash_hex) != 64 ||
      strspn(p->hash_hex, "0123456789abcdef") != 64 ||
      hex_decode(p->hash_hex, 64, &d, &dlen))
    return "spec.data.hash.value must be 64 lowercase hex digits";
  memcpy(p->digest, d, 32);
  free(d);
  if (!content || base64_decode(content, strlen(content), &p->sig,
                                &p->siglen) || !p->siglen)
    return "spec.signature.content must be a base64 signature";
  if (!key || base64_decode(key, strlen(key), &p->pem, &p->pemlen))
    return "spec.signature.publicKey.content must be a base64 PEM key";
  return NULL;
}

/* Checks the proposal and writes the canonical body Rekor would store:
 * only the known fields, keys sorted, compact, base64 re-encoded. */
static const char *drill_canonical_body(const drill_proposal *p,
                                        sbuf *out) {
  char *sig_b64 = NULL, *key_b64 = NULL, *text = NULL;
  json_doc *doc = NULL;
  json_t *o = NULL;
  const char *why = "internal error canonicalizing the entry";
  if (!base64_encode(p->sig, p->siglen, &sig_b64) &&
      !base64_encode(p->pem, p->pemlen, &key_b64))
    o = json_pack("{s:s,s:s,s:{s:{s:{s:s,s:s}},s:{s:s,s:{s:s}}}}",
                  "apiVersion", "0.0.1", "kind", "hashedrekord", "spec",
                  "data", "hash", "algorithm", "sha256", "value",
                  p->hash_hex, "signature", "content", sig_b64, "publicKey",
                  "content", key_b64);
  if (o && (text = json_dumps(o, JSON_COMPACT)) &&
      !json_parse(text, strlen(text), &doc, NULL, 0) &&
      !json_canonical(json_root(doc), out))
    why = NULL;
  json_doc_free(doc);
  free(text);
  json_decref(o);
  free(sig_b64);
  free(key_b64);
  return why;
}

/* The key as Rekor stores it (its CanonicalValue): the PEM of its DER
 * SubjectPublicKeyInfo in lines of 64, replacing p->pem, so the same key
 * sent with CRLF, other line lengths or text around it is the same entry. */
static stella_err drill_canonical_key(const crypto_key *k, drill_proposal *p) {
  uint8_t *der = NULL;
  size_t len = 0, n = 0;
  char *b64 = NULL;
  sbuf pem = SBUF_INIT;
  stella_err e = crypto_key_spki_der(k, &der, &len);
  if (!e)
    e = base64_encode(der, len, &b64);
  if (!e)
    e = sbuf_append_str(&pem, "-----BEGIN PUBLIC KEY-----\n");
  for (size_t i = 0, b64len = b64 ? strlen(b64) : 0; !e && i < b64len;
       i += 64)
    e = sbuf_printf(&pem, "%.*s\n", (int)(b64len - i < 64 ? b64len - i : 64),
                    b64 + i);
  if (!e)
    e = sbuf_append_str(&pem, "-----END PUBLIC KEY-----\n");
  if (!e) {
    free(p->pem);
    p->pem = (uint8_t *)sbuf_take(&pem, &n);
    p->pemlen = n;
  }
  sbuf_free(&pem);
  free(b64);
  free(der);
  return e;
}

static const char *drill_check_signature(drill_proposal *p) {
  crypto_key *k = NULL;
  const char *why = NULL;
  if (crypto_key_from_pem((const char *)p->pem, p->pemlen, &k))
    return "spec.signature.publicKey.content is not a PEM public key "
           "(certificates are not supported by the drill log)";
  if (!crypto_verify_digest_sha256(k, p->digest, p->sig, p->siglen))
    why = "error processing entry: verifying signature: the signature "
          "does not verify over the digest with the public key";
  else if (drill_canonical_key(k, p))
    why = "internal error canonicalizing the entry";
  crypto_key_free(k);
  return why;
}

/* The 201 is built before the entry is committed: an answer that cannot
 * be made (a 500) takes the entry back, so a client that fails over to
 * another log does not get it logged twice. */
static unsigned drill_created(drill_api *a, const drill_entry *x, int dup) {
  if (dup) {
    drill_set_location(a->st, a->rs, x->uuid);
    return drill_fail(a, 409, "an equivalent entry already exists in the "
                      "transparency log with UUID %s", x->uuid);
  }
  unsigned st = drill_api_json(a->rs, 201, drill_entry_obj(a->st, x));
  if (st == 201 && drill_state_commit(a->st))
    st = drill_fail(a, 500, "cannot store the entry");
  if (st != 201) {
    drill_state_rollback(a->st);
    return st;
  }
  drill_set_location(a->st, a->rs, x->uuid);
  return st;
}

static unsigned drill_create(drill_api *a) {
  if (a->st->replica)
    return drill_fail(a, 405, "this drill log is a read replica of %s: "
                      "submit entries there", a->st->upstream);
  drill_proposal p;
  json_doc *doc = NULL;
  sbuf canon = SBUF_INIT;
  drill_entry x;
  int dup = 0;
  memset(&p, 0, sizeof p);
  memset(&x, 0, sizeof x);
  const char *why = "the body is not JSON";
  if (!json_parse(a->rq->body, a->rq->body_len, &doc, NULL, 0) &&
      !(why = drill_proposal_fields(json_root(doc), &p)) &&
      !(why = drill_check_signature(&p)))
    why = drill_canonical_body(&p, &canon);
  unsigned st;
  if (why)
    st = drill_fail(a, 400, "%s", why);
  else if (drill_state_append(a->st, (const uint8_t *)canon.data, canon.len,
                              a->now, &x, &dup))
    st = drill_fail(a, 500, "cannot store the entry");
  else
    st = drill_created(a, &x, dup);
  drill_entry_clear(&x);
  sbuf_free(&canon);
  free(p.sig);
  free(p.pem);
  json_doc_free(doc);
  return st;
}

/* ---- routing ---- */

typedef struct drill_route {
  const char *method;
  const char *path;
  int prefix;                   /* path is a prefix ("/entries/{id}") */
  unsigned (*run)(drill_api *a); /* returns the answer's status */
} drill_route;

static const drill_route drill_routes[] = {
  {"GET", "/api/v1/log", 0, drill_log_info},
  {"GET", "/api/v1/log/proof", 0, drill_proof},
  {"GET", "/api/v1/log/publicKey", 0, drill_public_key},
  {"GET", "/api/v1/log/entries", 0, drill_entry_by_index},
  {"POST", "/api/v1/log/entries", 0, drill_create},
  {"POST", "/api/v1/log/entries/retrieve", 0, drill_retrieve},
  {"GET", "/api/v1/log/entries/", 1, drill_entry_by_id},
};

static int drill_route_match(const drill_route *r, const char *path) {
  if (r->prefix)
    return !strncmp(path, r->path, strlen(r->path)) &&
           path[strlen(r->path)] && !strchr(path + strlen(r->path), '/');
  return !strcmp(path, r->path);
}

void drill_api_answer(drill_state *st, int64_t now, const drill_req *rq,
                      drill_resp *rs) {
  drill_api a = {.st = st, .now = now, .rq = rq, .rs = rs};
  int path_known = 0;
  rs->location[0] = '\0';
  for (size_t i = 0; i < sizeof drill_routes / sizeof *drill_routes; i++) {
    const drill_route *r = &drill_routes[i];
    if (!drill_route_match(r, rq->path))
      continue;
    if (!strcmp(r->method, rq->method)) {
      r->run(&a);
      return;
    }
    path_known = 1;
  }
  if (path_known)
    drill_api_error(rs, 405, "%s is not allowed on %.100s", rq->method,
                    rq->path);
  else
    drill_api_error(rs, 404, "path %.100s was not found", rq->path);
}
