/* rekor_entries.c - log entries on the client side: the checks every
 * entry a backend serves gets (its UUID, its verification, the log it was
 * logged in, its checkpoint against the stored ones), fetching one entry
 * by UUID or index through the breakers (a reply that fails a check is
 * the backend's failure), recording entries in the ledger, and `rekor
 * verify` (an entry from the log, a bundle file, a checkpoint file). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fsutil.h"
#include "ledger.h"
#include "rekor_client.h"
#include "store.h"

/* A bundle with a DSSE envelope can be big; no log entry file is bigger. */
#define REKOR_BUNDLE_MAX (16 * 1024 * 1024)

/* ---- One entry from the log ----------------------------------------------- */

static int entry_hex_ok(const char *s, size_t len) {
  for (size_t i = 0; i < len; i++)
    if (!isxdigit((unsigned char)s[i]))
      return 0;
  return 1;
}

/* Does uuid name e? A Rekor v1 UUID is the leaf hash of the body; an
 * entry ID is the 16-digit tree ID followed by it. */
static int entry_uuid_names(const char *uuid, const rekor_entry *e) {
  merkle_hash leaf;
  char hex[2 * MERKLE_HASH_LEN + 1];
  size_t n = uuid ? strlen(uuid) : 0;
  if (n != 64 && n != 80)
    return 0;
  merkle_leaf_hash(e->body, e->body_len, leaf);
  hex_encode(leaf, sizeof leaf, hex);
  return strcasecmp(uuid + n - 64, hex) == 0;
}

int rekor_entry_key_ok(const rekor_entry *e) {
  return entry_uuid_names(e->uuid, e);
}

void rekor_checked_clear(rekor_checked *c) {
  if (!c)
    return;
  rekor_entry_clear(&c->e);
  rekor_verify_result_clear(&c->vr);
  memset(c, 0, sizeof *c);
}

/* "served by URL, logged in the log of key K (URL2)" mismatch, for a
 * backend that took an entry into another log than its own. */
static stella_err entry_elsewhere(const stella_rekor *r, size_t bi,
                                  const rekor_entry *e,
                                  const rekor_log_key *k, char *why,
                                  size_t whylen) {
  return errbuf_fail(STELLA_E_FORMAT, why, whylen, "%.300s answered with "
                     "entry %lld of another log (key %.100s, log id "
                     "%.16s..., %.200s), not the one it is listed for: the "
                     "entry was not logged where it was sent",
                     r->backends[bi].url, (long long)e->log_index,
                     k->name && *k->name ? k->name : "unnamed",
                     k->log_id_hex, k->base_url ? k->base_url : "");
}

stella_err rekor_entry_check(stella_rekor *r, size_t bi, const rekor_entry *e,
                             const rekor_entry_rules *rules,
                             rekor_verify_result *vr, rekor_reconciled *rec,
                             char *why, size_t whylen) {
  memset(rec, 0, sizeof *rec);
  rekor_verify_result_clear(vr);
  if (!rekor_entry_key_ok(e))
    return errbuf_fail(STELLA_E_FORMAT, why, whylen, "the reply files entry "
                       "%lld under %.16s..., which is not its UUID",
                       (long long)e->log_index, e->uuid);
  stella_err err = rekor_entry_verify(e, &r->kr, &rules->verify, vr);
  if (err) /* no trusted key: a forged or foreign entry, not "no such" */
    return errbuf_fail(err == STELLA_E_NOT_FOUND ? STELLA_E_SIGNATURE : err,
                       why, whylen, "entry %lld does not verify: %s",
                       (long long)e->log_index, vr->reason);
  if (rules->own_log &&
      rekor_logged_elsewhere(r, r->backends[bi].url, vr->key->log_id_hex))
    return entry_elsewhere(r, bi, e, vr->key, why, whylen);
  if (vr->checkpoint != REKOR_CHECK_OK)
    return STELLA_OK; /* a SET alone: no tree to hold against ours */
  rekor_shown s = {.key = vr->key, .cp = &vr->cp, .note = e->checkpoint};
  if ((err = rekor_reconcile(r, bi, &s, rec)))
    snprintf(why, whylen, "entry %lld: %s", (long long)e->log_index,
             rec->msg);
  return err;
}

stella_err rekor_take_one_entry(stella_rekor *r, size_t bi, const sbuf *reply,
                                const rekor_entry_rules *rules,
                                rekor_checked *out, char *why, size_t whylen) {
  rekor_entry *v = NULL;
  size_t n = 0;
  char detail[256] = "";
  rekor_checked_clear(out);
  out->bi = bi;
  stella_err e = rekor_entries_from_api(reply->data, reply->len, &v, &n,
                                        detail, sizeof detail);
  if (e)
    return errbuf_fail(e, why, whylen, "entry reply unreadable: %s", detail);
  if (n != 1 || (rules->wanted && !rules->wanted(rules->wctx, &v[0]))) {
    if (n != 1)
      snprintf(why, whylen, "the reply holds %zu entries, not 1", n);
    else
      snprintf(why, whylen, "%s", rules->mismatch);
    rekor_entries_free(v, n);
    return STELLA_E_FORMAT;
  }
  out->e = v[0];
  free(v); /* the one entry now lives in out */
  return rekor_entry_check(r, bi, &out->e, rules, &out->vr, &out->rec, why,
                           whylen);
}

typedef struct entry_fetch {
  stella_rekor *r;
  const char *uuid;          /* wanted, or NULL */
  int64_t index;             /* wanted when uuid is NULL */
  rekor_checked *out;
} entry_fetch;

/* Is e the entry asked for? */
static int entry_is_wanted(const void *ctx, const rekor_entry *e) {
  const entry_fetch *f = ctx;
  if (!f->uuid)
    return e->log_index == f->index;
  return entry_uuid_names(f->uuid, e);
}

static stella_err entry_parse(void *ctx, size_t bi, rekor_request *q,
                              char *why, size_t whylen) {
  entry_fetch *f = ctx;
  rekor_entry_rules rules = {.wanted = entry_is_wanted, .wctx = f,
                             .mismatch = "not the entry asked for"};
  return rekor_take_one_entry(f->r, bi, &q->reply, &rules, f->out, why,
                              whylen);
}

stella_err rekor_get_entry(stella_rekor *r, const char *uuid, int64_t index,
                           long bi, rekor_checked *out) {
  entry_fetch f = {.r = r, .uuid = uuid, .index = index, .out = out};
  char path[256], why[768] = "", route[512] = "";
  size_t at = bi >= 0 ? (size_t)bi : 0;
  int failed = 0;
  rekor_checked_clear(out);
  if (uuid)
    snprintf(path, sizeof path, "/api/v1/log/entries/%s", uuid);
  else
    snprintf(path, sizeof path, "/api/v1/log/entries?logIndex=%lld",
             (long long)index);
  rekor_request q = {.path = path, .parse = entry_parse, .ctx = &f,
                     .absent_ok = 1};
  stella_err e = bi >= 0 ? rekor_call(r, at, &q, &failed, why, sizeof why)
                         : rekor_route(r, &q, 0, &at, route, sizeof route);
  sbuf_free(&q.reply);
  if (e == STELLA_E_NOT_FOUND)
    rekor_errf(r, e, "%s: no such entry in the log (HTTP 404 from %s%s%.400s)",
               path, r->backends[at].url, *route ? "; before: " : "", route);
  else if (e == STELLA_E_UNSUPPORTED)
    rekor_errf(r, e, "%s: %s does not offer it (HTTP 405)%s%.400s", path,
               r->backends[at].url, *route ? "; before: " : "", route);
  else if (e && bi >= 0)
    rekor_errf(r, e, "%s", why);
  if (e)
    rekor_entry_clear(&out->e); /* the checks of the last reply stay */
  out->bi = at;
  return e;
}

/* ---- The ledger ------------------------------------------------------------- */

stella_err rekor_ledger_put(stella_rekor *r, const rekor_entry *e,
                            const char *backend, const char *source,
                            stella_rekor_entry *pub) {
  stella_rekor_entry p;
  ledger_entry le;
  rekor_public_entry(r, e, backend, source, &p);
  memset(&le, 0, sizeof le);
  memcpy(le.log_id, p.log_id, sizeof le.log_id);
  le.log_index = p.log_index;
  memcpy(le.uuid, p.uuid, sizeof le.uuid);
  le.integrated_time = p.integrated_time;
  memcpy(le.kind, p.kind, sizeof le.kind);
  memcpy(le.backend, p.backend, sizeof le.backend);
  memcpy(le.source, p.source, sizeof le.source);
  le.outside_validity = p.outside_validity;
  le.recorded_at = rekor_now(r);
  if (pub)
    *pub = p;
  stella_err err = ledger_put(r->s, &le);
  if (err)
    rekor_errf(r, err, "recording entry %lld in the ledger: %s",
               (long long)p.log_index, store_errmsg(r->s));
  return err;
}

/* ---- rekor verify -------------------------------------------------------------- */

static const char *verify_check_name(rekor_check_state s) {
  return s == REKOR_CHECK_OK ? "ok"
         : s == REKOR_CHECK_FAILED ? "FAILED" : "absent";
}

static const char *verify_failure_name(rekor_failure f) {
  static const char *const names[] = {
    [REKOR_FAIL_NONE] = "", [REKOR_FAIL_KEY] = "key",
    [REKOR_FAIL_SET] = "set", [REKOR_FAIL_PROOF] = "inclusion_proof",
    [REKOR_FAIL_CHECKPOINT] = "checkpoint",
    [REKOR_FAIL_MISSING] = "missing_proof",
    [REKOR_FAIL_VALIDITY] = "validity"};
  return (size_t)f < sizeof names / sizeof *names ? names[f] : "";
}

/* The checkpoint against the stored one of its log, as rekor verify
 * says it (rec NULL: a file, offline). */
static const char *verify_consistency_name(const rekor_reconciled *rec) {
  if (!rec || !rec->ran)
    return "absent";
  if (rec->split_view || rec->rollback)
    return "FAILED";
  if (rec->msg[0])
    return "unproven";
  return rec->baseline_stored ? "stored" : "ok";
}

static void verify_fill(stella_verify_result *res, const rekor_entry *e,
                        const rekor_verify_result *vr,
                        const rekor_reconciled *rec) {
  snprintf(res->set, sizeof res->set, "%s", verify_check_name(vr->set));
  snprintf(res->proof, sizeof res->proof, "%s", verify_check_name(vr->proof));
  snprintf(res->checkpoint, sizeof res->checkpoint, "%s",
           verify_check_name(vr->checkpoint));
  snprintf(res->consistency, sizeof res->consistency, "%s",
           verify_consistency_name(rec));
  snprintf(res->failed_check, sizeof res->failed_check, "%s",
           vr->failure ? verify_failure_name(vr->failure)
           : strcmp(res->consistency, "FAILED") == 0 ? "consistency" : "");
  if (vr->cp.origin) {
    res->tree_size = vr->cp.size;
    snprintf(res->origin, sizeof res->origin, "%s", vr->cp.origin);
  } else if (e && e->has_proof) {
    res->tree_size = (uint64_t)e->tree_size;
  }
}

/* The final verdict on a fetched entry: every check again and the
 * validity window of its key (the entry's own verdict, not the backend's:
 * a log may well serve an entry a key later found compromised signed). */
static stella_err verify_entry(stella_rekor *r, const rekor_checked *c,
                               const char *backend,
                               stella_verify_result *res) {
  rekor_verify_result vr;
  rekor_verify_opts o = {.check_validity = 1};
  memset(&vr, 0, sizeof vr);
  stella_err err = rekor_entry_verify(&c->e, &r->kr, &o, &vr);
  verify_fill(res, &c->e, &vr, &c->rec);
  rekor_public_entry(r, &c->e, backend, "verified", &res->entry);
  if (err)
    rekor_errf(r, err, "entry %lld (%s) does not verify: %s",
               (long long)c->e.log_index, res->entry.uuid, vr.reason);
  else
    err = rekor_ledger_put(r, &c->e, backend, "verified", NULL);
  rekor_verify_result_clear(&vr);
  return err;
}

static stella_err verify_parse_index(stella_rekor *r, const char *s,
                                     int64_t *out) {
  char *end = NULL;
  errno = 0;
  long long v = (s && *s >= '0' && *s <= '9') ? strtoll(s, &end, 10) : -1;
  if (v < 0 || !end || *end)
    return rekor_errf(r, STELLA_E_INVALID_ARG, "log index '%.64s' is not a "
                      "non-negative decimal number", s ? s : "");
  if (errno == ERANGE || v == LLONG_MAX) /* int64 in the API, +1 spare */
    return rekor_errf(r, STELLA_E_INVALID_ARG, "log index %.64s%s is out of "
                      "range (at most %lld)", s, strlen(s) > 64 ? "..." : "",
                      LLONG_MAX - 1);
  *out = v;
  return STELLA_OK;
}

static stella_err verify_remote(stella_rekor *r,
                                const stella_verify_request *req,
                                stella_verify_result *res,
                                const char **backend) {
  rekor_checked c;
  int64_t index = -1;
  size_t len = req->value ? strlen(req->value) : 0;
  memset(&c, 0, sizeof c);
  const char *uuid = req->kind == STELLA_VERIFY_UUID ? req->value : NULL;
  if (uuid && !((len == 64 || len == 80) && entry_hex_ok(uuid, len)))
    return rekor_errf(r, STELLA_E_INVALID_ARG, "UUID '%.100s' is not 64 "
                      "(UUID) or 80 (entry ID) hex digits", uuid);
  if (!uuid) {
    stella_err pe = verify_parse_index(r, req->value, &index);
    if (pe)
      return pe;
  }
  stella_err err = rekor_get_entry(r, uuid, index, -1, &c);
  if (err) {
    verify_fill(res, NULL, &c.vr, &c.rec); /* what the last reply failed */
  } else {
    *backend = r->backends[c.bi].url;
    res->n_entries = 1;
    err = verify_entry(r, &c, *backend, res);
  }
  rekor_checked_clear(&c);
  return err;
}

/* A file to verify, not empty, at most max bytes; otherwise "FILE is a
 * directory: it must be a regular file" ... (fs_read_why). */
static stella_err verify_read(stella_rekor *r, const char *file, size_t max,
                              sbuf *b) {
  char why[512];
  stella_err e = fs_read_file(file, max, b);
  if (!e && !b->len)
    return rekor_errf(r, STELLA_E_FORMAT, "%s is empty", file);
  if (e)
    fs_read_why(file, e, max, why, sizeof why);
  return e ? rekor_errf(r, e, "%s", why) : STELLA_OK;
}

static stella_err verify_bundle(stella_rekor *r, const char *file,
                                stella_verify_result *res) {
  sbuf b = SBUF_INIT;
  rekor_bundle bd = {0};
  rekor_verify_result vr;
  char why[256] = "";
  size_t failed_at = 0;
  memset(&vr, 0, sizeof vr);
  stella_err e = verify_read(r, file, REKOR_BUNDLE_MAX, &b);
  if (!e && (e = rekor_bundle_parse(b.data, b.len, &bd, why, sizeof why)))
    rekor_errf(r, e, "%s is not a Sigstore bundle: %s", file, why);
  else if (!e && !bd.n)
    e = rekor_errf(r, STELLA_E_FORMAT, "%s has no transparency-log entry",
                   file);
  if (e)
    goto done;
  res->n_entries = bd.n;
  e = rekor_bundle_verify(&bd, &r->kr, 1, &vr, &failed_at);
  size_t shown = e && failed_at < bd.n ? failed_at : 0;
  verify_fill(res, &bd.entries[shown], &vr, NULL);
  rekor_public_entry(r, &bd.entries[shown], "", "verified", &res->entry);
  if (e)
    rekor_errf(r, e, "%s: log entry %zu of %zu (index %lld) does not "
               "verify: %s", file, shown + 1, bd.n,
               (long long)bd.entries[shown].log_index, vr.reason);
  for (size_t i = 0; !e && i < bd.n; i++)
    e = rekor_ledger_put(r, &bd.entries[i], "", "verified", NULL);
done:
  rekor_verify_result_clear(&vr);
  rekor_bundle_clear(&bd);
  sbuf_free(&b);
  return e;
}

static stella_err verify_checkpoint(stella_rekor *r, const char *file,
                                    stella_verify_result *res) {
  sbuf b = SBUF_INIT;
  checkpoint cp = {0};
  const rekor_log_key *key = NULL;
  char why[256] = "";
  stella_err e = verify_read(r, file, CHECKPOINT_MAX_BYTES, &b);
  snprintf(res->set, sizeof res->set, "absent");
  snprintf(res->proof, sizeof res->proof, "absent");
  snprintf(res->consistency, sizeof res->consistency, "absent");
  if (e) {
    sbuf_free(&b);
    return e;
  }
  e = rekor_checkpoint_verify(b.data, b.len, &r->kr, &cp, &key, why,
                              sizeof why);
  snprintf(res->checkpoint, sizeof res->checkpoint, "%s", e ? "FAILED" : "ok");
  if (e) {
    snprintf(res->failed_check, sizeof res->failed_check, "checkpoint");
    rekor_errf(r, e, "%s: checkpoint does not verify: %s", file, why);
  } else if (key) {
    res->tree_size = cp.size;
    snprintf(res->origin, sizeof res->origin, "%s", cp.origin);
    hex_encode(key->log_id, MERKLE_HASH_LEN, res->entry.log_id);
    snprintf(res->entry.key_name, sizeof res->entry.key_name, "%s",
             key->name ? key->name : "");
  }
  checkpoint_clear(&cp);
  sbuf_free(&b);
  return e;
}

stella_err stella_rekor_verify(stella_rekor *r,
                               const stella_verify_request *req,
                               stella_verify_result *res) {
  const char *backend = "";
  if (!r || !req || !res)
    return STELLA_E_INVALID_ARG;
  memset(res, 0, sizeof *res);
  r->errmsg[0] = '\0';
  if (!req->value || !*req->value)
    return rekor_errf(r, STELLA_E_INVALID_ARG, "nothing to verify");
  stella_err e;
  switch (req->kind) {
  case STELLA_VERIFY_UUID:
  case STELLA_VERIFY_LOG_INDEX:
    e = verify_remote(r, req, res, &backend);
    break;
  case STELLA_VERIFY_BUNDLE:
    e = verify_bundle(r, req->value, res);
    break;
  case STELLA_VERIFY_CHECKPOINT:
    e = verify_checkpoint(r, req->value, res);
    break;
  default:
    return rekor_errf(r, STELLA_E_INVALID_ARG, "unknown kind of verification");
  }
  /* The metric counts verifications: an entry that could not be found or
   * fetched (no check ran) is not a verification failure. */
  if (e == STELLA_OK || res->failed_check[0])
    ledger_record_op(r->s, rekor_now(r), "verify", backend, e == STELLA_OK,
                     e ? r->errmsg : "");
  return e;
}
