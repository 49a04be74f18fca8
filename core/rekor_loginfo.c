/* rekor_loginfo.c - `rekor loginfo`: the health and honesty of each view
 * of a log. Per backend: GET /api/v1/log through its breaker, the signed
 * tree head verified with the trusted log key (and equal to treeSize and
 * rootHash), then consistency with the largest checkpoint stored for that
 * log (from any backend): a bigger tree must be proven an extension of it,
 * an equal one must have the same root, a smaller (lagging) one must be a
 * prefix of it, proven by the backend that showed the bigger one. A proof
 * that fails is a split view; a proof that cannot be fetched is only "not
 * proven". A backend showing a smaller tree than it showed before is a
 * rollback. Verified, consistent checkpoints are stored. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"
#include "rekor_client.h"
#include "store.h"

void rekor_view_clear(rekor_view *v) {
  rekor_log_info_clear(&v->info);
  checkpoint_clear(&v->cp);
  v->key = NULL;
}

/* The reply of GET /api/v1/log: parsed, its signed tree head verified and
 * equal to what the reply says. Anything else is the backend's failure. */
stella_err rekor_view_parse(void *ctx, const char *backend,
                            const sbuf *reply, char *why, size_t whylen) {
  rekor_view *v = ctx;
  char detail[256] = "";
  (void)backend;
  rekor_view_clear(v);
  stella_err e = rekor_log_info_parse(reply->data, reply->len, &v->info,
                                      detail, sizeof detail);
  if (e) {
    snprintf(why, whylen, "log info unreadable: %s", detail);
    return e;
  }
  const char *sth = v->info.signed_tree_head ? v->info.signed_tree_head : "";
  e = rekor_checkpoint_verify(sth, strlen(sth), &v->r->kr, &v->cp, &v->key,
                              detail, sizeof detail);
  if (e) {
    snprintf(why, whylen, "signed tree head does not verify: %s", detail);
    return e;
  }
  if (v->cp.size != v->info.tree_size ||
      memcmp(v->cp.root, v->info.root_hash, MERKLE_HASH_LEN) != 0) {
    snprintf(why, whylen, "the reply's %s does not match its signed tree "
             "head (size %llu): the answer was altered",
             v->cp.size != v->info.tree_size ? "treeSize" : "rootHash",
             (unsigned long long)v->cp.size);
    return STELLA_E_HASH;
  }
  return STELLA_OK;
}

static stella_err loginfo_proof_parse(void *ctx, const char *backend,
                                      const sbuf *reply, char *why,
                                      size_t whylen) {
  (void)backend;
  return rekor_consistency_parse(reply->data, reply->len, ctx, why, whylen);
}

/* GET /api/v1/log/proof from backend bi and checks it: size1 (root1) must
 * be a prefix of size2 (root2). STELLA_E_INCONSISTENT when the proof does
 * not verify; the fetch error (with why) when there is no proof. */
static stella_err loginfo_prove(stella_rekor *r, size_t bi,
                                const char *tree_id, uint64_t size1,
                                const merkle_hash root1, uint64_t size2,
                                const merkle_hash root2, char *why,
                                size_t whylen) {
  rekor_consistency proof = {0};
  char path[256];
  int failed = 0;
  snprintf(path, sizeof path,
           "/api/v1/log/proof?firstSize=%llu&lastSize=%llu%s%s",
           (unsigned long long)size1, (unsigned long long)size2,
           tree_id && *tree_id ? "&treeID=" : "", tree_id ? tree_id : "");
  rekor_request q = {.path = path, .parse = loginfo_proof_parse,
                     .ctx = &proof};
  stella_err e = rekor_call(r, bi, &q, &failed, why, whylen);
  sbuf_free(&q.reply);
  if (!e && merkle_verify_consistency(size1, size2, root1, root2,
                                      (const merkle_hash *)proof.hashes,
                                      proof.n_hashes) != STELLA_OK)
    e = STELLA_E_INCONSISTENT;
  rekor_consistency_clear(&proof);
  return e;
}

/* Sets the outcome of a view: e and its one line. Returns e. */
static stella_err loginfo_set(stella_loginfo *out, stella_err e,
                              const char *msg) {
  char *copy = strdup(msg);
  out->result = copy ? e : STELLA_E_NOMEM;
  if (copy) {
    free(out->error);
    out->error = copy;
  }
  return out->result;
}

static stella_err loginfo_split(stella_loginfo *out,
                                const ledger_checkpoint *base,
                                const char *how) {
  char msg[1024];
  out->split_view = 1;
  snprintf(msg, sizeof msg, "SPLIT VIEW of log %.200s: %.300s shows tree "
           "size %llu (root %.16s...), %.300s showed size %llu (root "
           "%.16s...): %s (treat the log as compromised, alert its operator)",
           out->origin, out->backend, (unsigned long long)out->tree_size,
           out->root_hash, base->backend, (unsigned long long)base->size,
           base->root_hash, how);
  return loginfo_set(out, STELLA_E_INCONSISTENT, msg);
}

static stella_err loginfo_not_proven(stella_loginfo *out, stella_err e,
                                     uint64_t size, const char *why) {
  char msg[1024];
  snprintf(msg, sizeof msg, "consistency with the stored size %llu not "
           "proven: %.700s (nothing stored; run loginfo again when the "
           "backend answers)", (unsigned long long)size, why);
  return loginfo_set(out, e, msg);
}

/* The backend did not give a view that verifies. */
static stella_err loginfo_no_view(stella_loginfo *out, stella_err e,
                                  const char *why) {
  char msg[1024];
  snprintf(msg, sizeof msg, "%.800s (check the backend; `stella trust "
           "status --show-backends` shows its breaker)", why);
  return loginfo_set(out, e, msg);
}

/* Proves the view in out (root in v) against the stored baseline. */
static stella_err loginfo_consistency(stella_rekor *r, size_t bi,
                                      const rekor_view *v,
                                      const ledger_checkpoint *base,
                                      stella_loginfo *out) {
  merkle_hash broot;
  char why[768] = "";
  uint8_t *raw = NULL;
  size_t rawlen = 0;
  uint64_t size = v->cp.size;
  out->previous_size = base->size;
  if (hex_decode(base->root_hash, strlen(base->root_hash), &raw, &rawlen) ||
      rawlen != MERKLE_HASH_LEN) {
    free(raw);
    snprintf(why, sizeof why, "the stored checkpoint of %.300s is damaged "
             "(its root hash is not hex)", base->backend);
    return loginfo_set(out, STELLA_E_FORMAT, why);
  }
  memcpy(broot, raw, MERKLE_HASH_LEN);
  free(raw);
  stella_err e = STELLA_OK;
  if (size == base->size) {
    if (memcmp(broot, v->cp.root, MERKLE_HASH_LEN) != 0)
      return loginfo_split(out, base, "same size, different roots");
  } else if (size == 0 || base->size == 0) {
    /* The empty tree is a prefix of every tree. */
  } else if (size > base->size) {
    e = loginfo_prove(r, bi, v->info.tree_id, base->size, broot, size,
                      v->cp.root, why, sizeof why);
  } else { /* lagging: the bigger view's backend proves us a prefix */
    long other = rekor_backend_find(r, base->backend);
    e = loginfo_prove(r, other >= 0 ? (size_t)other : bi, v->info.tree_id,
                      size, v->cp.root, base->size, broot, why, sizeof why);
  }
  if (e == STELLA_E_INCONSISTENT)
    return loginfo_split(out, base, "the consistency proof fails");
  if (e)
    return loginfo_not_proven(out, e, base->size, why);
  out->consistency_proven = 1;
  return STELLA_OK;
}

static stella_err loginfo_store(stella_rekor *r, const rekor_view *v,
                                stella_loginfo *out) {
  ledger_checkpoint c;
  memset(&c, 0, sizeof c);
  snprintf(c.log_id, sizeof c.log_id, "%s", out->log_id);
  snprintf(c.origin, sizeof c.origin, "%s", out->origin);
  snprintf(c.backend, sizeof c.backend, "%s", out->backend);
  c.size = out->tree_size;
  memcpy(c.root_hash, out->root_hash, sizeof c.root_hash);
  c.verified_at = rekor_now(r);
  return ledger_put_checkpoint(r->s, &c, v->info.signed_tree_head);
}

static void loginfo_fill(const rekor_view *v, stella_loginfo *out) {
  out->tree_size = v->cp.size;
  hex_encode(v->cp.root, MERKLE_HASH_LEN, out->root_hash);
  free(out->origin);
  out->origin = strdup(v->cp.origin ? v->cp.origin : "");
  out->tree_id = strdup(v->info.tree_id ? v->info.tree_id : "");
  snprintf(out->log_id, sizeof out->log_id, "%s", v->key->log_id_hex);
  free(out->key_name);
  out->key_name = strdup(v->key->name ? v->key->name : "");
}

/* A backend showing a smaller tree than it showed before: a log never
 * shrinks, so it is stale or replays old answers. Not a split view (the
 * old tree may well be a prefix), but not a view to accept or store. */
static stella_err loginfo_rollback(stella_rekor *r, stella_loginfo *out) {
  ledger_checkpoint own;
  char msg[1024], when[32];
  stella_err e = ledger_checkpoint_of(r->s, out->log_id, out->origin,
                                      out->backend, &own);
  if (e == STELLA_E_NOT_FOUND)
    return STELLA_OK;
  if (e)
    return loginfo_set(out, e, store_errmsg(r->s));
  if (own.size <= out->tree_size)
    return STELLA_OK;
  out->previous_size = own.size;
  stella_time_format(own.verified_at, when, sizeof when);
  snprintf(msg, sizeof msg, "ROLLBACK of log %.200s: %.300s shows tree "
           "size %llu, smaller than the size %llu it showed at %s (a log "
           "never shrinks: the backend is stale or replays old answers; "
           "nothing stored, check the backend)", out->origin, out->backend,
           (unsigned long long)out->tree_size,
           (unsigned long long)own.size, when);
  return loginfo_set(out, STELLA_E_ROLLBACK, msg);
}

static stella_err loginfo_check(stella_rekor *r, size_t bi,
                                rekor_view *v, stella_loginfo *out) {
  char why[768] = "";
  int failed = 0;
  ledger_checkpoint base;
  rekor_request q = {.path = "/api/v1/log", .parse = rekor_view_parse,
                     .ctx = v};
  stella_err e = rekor_call(r, bi, &q, &failed, why, sizeof why);
  sbuf_free(&q.reply);
  if (e)
    return loginfo_no_view(out, e, why);
  loginfo_fill(v, out);
  if (!out->origin || !out->tree_id || !out->key_name)
    return out->result = STELLA_E_NOMEM;
  if ((e = loginfo_rollback(r, out)))
    return e;
  e = ledger_latest_checkpoint(r->s, out->log_id, out->origin, &base);
  if (e == STELLA_E_NOT_FOUND) {
    out->baseline_stored = 1;
    e = STELLA_OK;
  } else if (e) {
    return loginfo_set(out, e, store_errmsg(r->s));
  } else if ((e = loginfo_consistency(r, bi, v, &base, out))) {
    return e;
  }
  if ((e = loginfo_store(r, v, out))) {
    out->baseline_stored = 0;
    return loginfo_set(out, e, store_errmsg(r->s));
  }
  return STELLA_OK;
}

static stella_err loginfo_one(stella_rekor *r, size_t bi,
                              stella_loginfo *out) {
  rekor_view v = {.r = r};
  out->backend = strdup(r->backends[bi].url);
  out->primary = r->backends[bi].primary;
  out->error = strdup("");
  out->origin = strdup("");
  out->key_name = strdup("");
  if (!out->backend || !out->error || !out->origin || !out->key_name)
    return out->result = STELLA_E_NOMEM;
  stella_err e = loginfo_check(r, bi, &v, out);
  if (!out->tree_id)
    out->tree_id = strdup("");
  rekor_view_clear(&v);
  ledger_record_op(r->s, rekor_now(r), "loginfo", out->backend, e == 0,
                   out->error ? out->error : "");
  return e;
}

stella_err stella_rekor_loginfo(stella_rekor *r, const char *backend,
                                stella_loginfo **out, size_t *n) {
  *out = NULL;
  *n = 0;
  if (!r)
    return STELLA_E_INVALID_ARG;
  r->errmsg[0] = '\0';
  long only = backend ? rekor_backend_find(r, backend) : -1;
  if (backend && only < 0)
    return rekor_errf(r, STELLA_E_NOT_FOUND, "no backend %s (give a URL "
                      "from `stella trust status --show-backends`, or "
                      "\"primary\")", backend);
  if (!r->n_backends)
    return rekor_errf(r, STELLA_E_UNAVAILABLE, "no Rekor backend: the "
                      "signing config lists none valid now (run `stella "
                      "trust sync`)");
  size_t count = backend ? 1 : r->n_backends;
  stella_loginfo *v = calloc(count, sizeof *v);
  if (!v)
    return rekor_errf(r, STELLA_E_NOMEM, "%s", stella_strerror(STELLA_E_NOMEM));
  stella_err first = STELLA_OK, split = STELLA_OK;
  for (size_t i = 0; i < count; i++) {
    stella_err e = loginfo_one(r, backend ? (size_t)only : i, &v[i]);
    if (e && v[i].split_view && !split) {
      split = e;
      rekor_errf(r, e, "%s", v[i].error);
    } else if (e && !first && !split) {
      rekor_errf(r, e, "%s: %s", v[i].backend ? v[i].backend : "?",
                 v[i].error && *v[i].error ? v[i].error : stella_strerror(e));
    }
    if (e && !first)
      first = e;
  }
  *out = v;
  *n = count;
  return split ? split : first;
}

void stella_loginfo_free(stella_loginfo *v, size_t n) {
  for (size_t i = 0; v && i < n; i++) {
    free(v[i].backend);
    free(v[i].error);
    free(v[i].origin);
    free(v[i].tree_id);
    free(v[i].key_name);
  }
  free(v);
}
