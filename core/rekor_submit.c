/* rekor_submit.c - `rekor submit`: a hashedrekord v0.0.1 entry (SHA-256 of
 * the artifact, its signature, the signer's PEM public key), checked
 * locally first, POSTed through the breakers with failover; the reply must
 * be our entry (same hash, signature and key) with a valid SET, logged in
 * the log the backend is listed for, inside its key's validity window and
 * consistent with the stored checkpoint of that log, and goes into the
 * ledger. A 409 (already logged) fetches the existing entry from the same
 * backend and checks it the same way. The rule for sending the entry to a
 * second backend: only while none has shown it holds it (docs/cli.md). */
#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "fsutil.h"
#include "json.h"
#include "ledger.h"
#include "rekor_client.h"

#define SUBMIT_SMALL_FILE_MAX (64 * 1024) /* signature, public key */
#define SUBMIT_READ_CHUNK (256 * 1024)

typedef struct submit_input {
  uint8_t digest[32];
  uint8_t *sig;
  size_t siglen;
  sbuf pem;
} submit_input;

static void submit_input_clear(submit_input *in) {
  free(in->sig);
  sbuf_free(&in->pem);
}

/* SHA-256 of a regular file of any size, read in chunks (a device or a
 * FIFO is refused: /dev/zero would never end). */
static stella_err submit_hash_file(const char *path, uint8_t out[32]) {
  int fd = -1;
  EVP_MD_CTX *md = EVP_MD_CTX_new();
  unsigned char *chunk = malloc(SUBMIT_READ_CHUNK);
  stella_err e = fs_open_regular(path, &fd, NULL);
  if (!e && (!md || !chunk || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)))
    e = STELLA_E_NOMEM;
  for (ssize_t n; !e;) {
    n = read(fd, chunk, SUBMIT_READ_CHUNK);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      e = n < 0 ? STELLA_E_IO : STELLA_OK;
      break;
    }
    if (!EVP_DigestUpdate(md, chunk, (size_t)n))
      e = STELLA_E_NOMEM;
  }
  unsigned int len = 0;
  if (!e && (!EVP_DigestFinal_ex(md, out, &len) || len != 32))
    e = STELLA_E_IO;
  if (fd >= 0)
    close(fd);
  EVP_MD_CTX_free(md);
  free(chunk);
  return e;
}

/* Base64 text (whitespace allowed) or raw bytes (DER): raw DER is never
 * all base64 characters. */
static stella_err submit_read_sig(const sbuf *b, uint8_t **sig,
                                  size_t *len) {
  int text = b->len > 0;
  for (size_t i = 0; text && i < b->len; i++) {
    unsigned char c = (unsigned char)b->data[i];
    text = isalnum(c) || c == '+' || c == '/' || c == '=' || isspace(c);
  }
  if (text && base64_decode(b->data, b->len, sig, len) == STELLA_OK &&
      *len > 0)
    return STELLA_OK;
  if (!(*sig = malloc(b->len ? b->len : 1)))
    return STELLA_E_NOMEM;
  memcpy(*sig, b->data, b->len);
  *len = b->len;
  return b->len ? STELLA_OK : STELLA_E_FORMAT;
}

/* "artifact FILE is a directory: it must be a regular file" ... */
static stella_err submit_read_failed(stella_rekor *r, stella_err e,
                                     const char *what, const char *path,
                                     size_t max) {
  char why[512];
  fs_read_why(path, e, max, why, sizeof why);
  return rekor_errf(r, e, "%s %s", what, why);
}

/* A signature or public key file: regular, not empty, at most 64 KiB. */
static stella_err submit_read_small(stella_rekor *r, const char *what,
                                    const char *path, sbuf *out) {
  stella_err e = fs_read_file(path, SUBMIT_SMALL_FILE_MAX, out);
  if (e)
    return submit_read_failed(r, e, what, path, SUBMIT_SMALL_FILE_MAX);
  if (!out->len)
    return rekor_errf(r, STELLA_E_FORMAT, "%s %s is empty", what, path);
  return STELLA_OK;
}

/* The signature must verify over the artifact's digest with the key
 * before anything is sent: the log would keep a bad entry forever. */
static stella_err submit_check_locally(stella_rekor *r, submit_input *in) {
  crypto_key *k = NULL;
  char why[160];
  stella_err e = crypto_key_from_pem_why(in->pem.data, in->pem.len, &k, why,
                                         sizeof why);
  if (e == STELLA_E_UNSUPPORTED)
    return rekor_errf(r, e, "the public key is %s: refusing to log a "
                      "signature it made", why);
  if (e == STELLA_E_PARSE)
    return rekor_errf(r, e, "the public key is not a PEM public key (give "
                      "the signer's PEM SubjectPublicKeyInfo)");
  if (e)
    return rekor_errf(r, e, "reading the public key: %s", stella_strerror(e));
  int ok = crypto_verify_digest_sha256(k, in->digest, in->sig, in->siglen);
  int ed = strcmp(crypto_key_algorithm(k), "ed25519") == 0;
  crypto_key_free(k);
  if (ok)
    return STELLA_OK;
  if (ed)
    return rekor_errf(r, STELLA_E_UNSUPPORTED, "an Ed25519 key signs the "
                      "whole artifact, which hashedrekord v0.0.1 cannot "
                      "carry (sign with an ECDSA or RSA key)");
  return rekor_errf(r, STELLA_E_SIGNATURE, "the signature does not verify "
                    "over the artifact's SHA-256 with this public key "
                    "(refusing to log it; check the three files belong "
                    "together)");
}

static stella_err submit_read(stella_rekor *r, const char *artifact,
                              const char *sig_file, const char *pub_file,
                              submit_input *in) {
  sbuf sig = SBUF_INIT;
  stella_err e = submit_hash_file(artifact, in->digest);
  if (e)
    return submit_read_failed(r, e, "artifact", artifact, 0);
  e = submit_read_small(r, "signature", sig_file, &sig);
  if (!e && (e = submit_read_sig(&sig, &in->sig, &in->siglen)))
    rekor_errf(r, e, "signature %s: %s", sig_file, stella_strerror(e));
  if (!e)
    e = submit_read_small(r, "public key", pub_file, &in->pem);
  if (!e)
    e = submit_check_locally(r, in);
  sbuf_free(&sig);
  return e;
}

/* ---- The reply is our entry ------------------------------------------------- */

static int submit_b64_equals(const char *b64, const void *want, size_t len) {
  uint8_t *raw = NULL;
  size_t n = 0;
  int same = b64 && base64_decode(b64, strlen(b64), &raw, &n) == STELLA_OK &&
             n == len && memcmp(raw, want, len) == 0;
  free(raw);
  return same;
}

/* The log's canonical body holds the same hash, signature and key. */
static int submit_same_body(const rekor_entry *e, const submit_input *in) {
  json_doc *doc = NULL;
  char hex[65];
  if (json_parse((const char *)e->body, e->body_len, &doc, NULL, 0))
    return 0;
  const json_val *spec = json_get(json_root(doc), "spec");
  const json_val *hash = json_get(json_get(spec, "data"), "hash");
  const json_val *sig = json_get(spec, "signature");
  const char *value = json_get_str(hash, "value");
  hex_encode(in->digest, 32, hex);
  int same =
      strcmp(e->kind, "hashedrekord") == 0 &&
      json_get_str(hash, "algorithm") &&
      strcmp(json_get_str(hash, "algorithm"), "sha256") == 0 && value &&
      strcasecmp(value, hex) == 0 &&
      submit_b64_equals(json_get_str(sig, "content"), in->sig, in->siglen) &&
      submit_b64_equals(json_get_str(json_get(sig, "publicKey"), "content"),
                        in->pem.data, in->pem.len);
  json_doc_free(doc);
  return same;
}

typedef struct submit_ctx {
  stella_rekor *r;
  const submit_input *in;
  rekor_checked chk;
} submit_ctx;

static int submit_is_ours(const void *ctx, const rekor_entry *e) {
  return submit_same_body(e, ctx);
}

/* A 201 reply, or the entry a 409 names: exactly our entry, with a SET,
 * logged in the log this backend is listed for, inside its key's window
 * (a fresh entry under a key not valid now is the log's lie), consistent
 * with the stored checkpoint. Failing any of that, the backend did not
 * show it holds the entry: the next backend may take it. Once it has, an
 * unproven consistency ends the route: the log holds the entry. */
static stella_err submit_parse(void *ctx, size_t bi, rekor_request *q,
                               char *why, size_t whylen) {
  submit_ctx *c = ctx;
  rekor_entry_rules rules = {
      .wanted = submit_is_ours, .wctx = c->in,
      .mismatch = "the log answered with an entry that is not ours",
      .verify = {.require_set = 1, .check_validity = 1}, .own_log = 1};
  stella_err e = rekor_take_one_entry(c->r, bi, &q->reply, &rules, &c->chk,
                                      why, whylen);
  q->final = c->chk.rec.unproven;
  return e;
}

/* The UUID a 409 names: the Location header's last segment, else a 64 or
 * 80 hex-digit run in the reply ({"message": "... with UUID <uuid>"}). */
static int submit_conflict_uuid(const rekor_request *q, char *uuid,
                                size_t len) {
  const char *loc = strrchr(q->location, '/');
  const char *src[2] = {loc ? loc + 1 : "", q->reply.data ? q->reply.data
                                                          : ""};
  for (int s = 0; s < 2; s++) {
    for (const char *p = src[s]; *p; p++) {
      size_t n = 0;
      while (isxdigit((unsigned char)p[n]))
        n++;
      if ((n == 64 || n == 80) && n < len) {
        memcpy(uuid, p, n);
        uuid[n] = '\0';
        return 1;
      }
      p += n ? n - 1 : 0;
    }
  }
  return 0;
}

/* A 409: the existing entry from the same backend, checked as a 201 reply
 * would be. *next: 1 when the backend failed that (it does not hold our
 * entry as it says): the next backend may take it. */
static stella_err submit_existing(stella_rekor *r, size_t bi,
                                  const rekor_request *q, submit_ctx *c,
                                  int *next) {
  char uuid[81], path[128], why[768] = "";
  int failed = 0;
  *next = 0;
  if (!submit_conflict_uuid(q, uuid, sizeof uuid))
    return rekor_errf(r, STELLA_E_FORMAT, "%s says the entry is already in "
                      "the log (409) without naming it (Rekor names it in Location: "
                      "check the backend)", r->backends[bi].url);
  snprintf(path, sizeof path, "/api/v1/log/entries/%s", uuid);
  rekor_request g = {.path = path, .parse = submit_parse, .ctx = c,
                     .absent_ok = 1};
  stella_err e = rekor_call(r, bi, &g, &failed, why, sizeof why);
  sbuf_free(&g.reply);
  *next = failed && !g.final && bi + 1 < r->n_backends;
  if (e)
    rekor_errf(r, e, "the entry is already in the log (409) but fetching "
               "%s from %s failed: %s", uuid, r->backends[bi].url, why);
  return e;
}

/* The checked entry into the ledger. */
static stella_err submit_record(stella_rekor *r, size_t bi, submit_ctx *c,
                                stella_submit_result *res) {
  res->failed_over = bi != 0;
  return rekor_ledger_put(r, &c->chk.e, r->backends[bi].url, "submitted",
                          &res->entry);
}

/* "URL refused the entry: HTTP 400: <why>", why from Rekor's error shape
 * {"code": N, "message": "..."} when it has one, else the first bytes of
 * the body (the terminal printer makes them printable). */
static void submit_refused(stella_rekor *r, const char *url,
                           const rekor_request *q) {
  json_doc *doc = NULL;
  const char *why = q->reply.data ? q->reply.data : "";
  if (q->reply.len &&
      json_parse(q->reply.data, q->reply.len, &doc, NULL, 0) == STELLA_OK &&
      json_get_str(json_root(doc), "message"))
    why = json_get_str(json_root(doc), "message");
  if (q->status == 405)
    rekor_errf(r, STELLA_E_HTTP, "%s does not take entries (HTTP 405: a "
               "read replica?) and no other backend did (see `stella trust "
               "status --show-backends`)", url);
  else
    rekor_errf(r, STELLA_E_HTTP, "%s refused the entry: HTTP %ld: %.200s "
               "(the log will not take it as sent: check the three files)",
               url, q->status, why);
  json_doc_free(doc);
}

/* POST through the breakers from backend `from` on. A 4xx stops the
 * route: that backend answered (a 5xx, a 404 here or a redirect failed
 * every backend, and the route said so). A 409 whose entry the backend
 * cannot show goes on from the next backend. */
static stella_err submit_send(stella_rekor *r, const sbuf *body,
                              submit_ctx *c, stella_submit_result *res,
                              size_t *bi) {
  rekor_request q = {.path = "/api/v1/log/entries", .post_body = body->data,
                     .post_len = body->len, .parse = submit_parse, .ctx = c};
  stella_err e;
  int next = 0;
  size_t from = 0;
  do {
    next = 0;
    e = rekor_route(r, &q, from, bi, res->route, sizeof res->route);
    if (e == STELLA_E_EXISTS && (e = submit_existing(r, *bi, &q, c, &next)))
      snprintf(res->route + strlen(res->route),
               sizeof res->route - strlen(res->route), "%s%s failed (409, "
               "its entry: %.200s)", *res->route ? "; " : "",
               r->backends[*bi].url, r->errmsg);
    else if ((e == STELLA_E_HTTP || e == STELLA_E_UNSUPPORTED) &&
             q.status >= 400 && q.status < 500 && q.status != 408 &&
             q.status != 429)
      submit_refused(r, r->backends[*bi].url, &q);
    from = *bi + 1;
  } while (e && next);
  if (!e)
    e = submit_record(r, *bi, c, res);
  sbuf_free(&q.reply);
  return e;
}

stella_err stella_rekor_submit(stella_rekor *r, const char *artifact_file,
                               const char *sig_file, const char *pubkey_file,
                               stella_submit_result *res) {
  submit_input in = {.pem = SBUF_INIT};
  submit_ctx c = {.r = r, .in = &in};
  sbuf body = SBUF_INIT;
  size_t bi = 0;
  if (!r || !artifact_file || !sig_file || !pubkey_file || !res)
    return STELLA_E_INVALID_ARG;
  memset(res, 0, sizeof *res);
  r->errmsg[0] = '\0';
  stella_err e = submit_read(r, artifact_file, sig_file, pubkey_file, &in);
  if (e) /* nothing was sent: not a submission failure of the log */
    goto done;
  e = rekor_hashedrekord_proposal(in.digest, in.sig, in.siglen, in.pem.data,
                                  in.pem.len, &body);
  if (e) {
    rekor_errf(r, e, "building the entry: %s", stella_strerror(e));
    goto done;
  }
  e = submit_send(r, &body, &c, res, &bi);
  ledger_record_op(r->s, rekor_now(r), "submit",
                   e ? "" : r->backends[bi].url, e == STELLA_OK,
                   e ? r->errmsg : res->route);
  ledger_prune_ops(r->s, rekor_now(r), REKOR_OPS_KEEP_S);
done:
  rekor_checked_clear(&c.chk);
  submit_input_clear(&in);
  sbuf_free(&body);
  return e;
}
