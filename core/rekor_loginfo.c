/* rekor_loginfo.c - `rekor loginfo`: the health and honesty of each view
 * of a log. Per backend: GET /api/v1/log through its breaker, the signed
 * tree head verified with the trusted log key (and equal to treeSize and
 * rootHash), then held against the checkpoints stored for that log
 * (rekor_consistency.c: proofs, split views, rollbacks, storing), all in
 * the parse of the reply, so a view that fails is that backend's breaker
 * failure. The same view parse serves `rekor query --remote`. */
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
  memset(&v->rec, 0, sizeof v->rec);
}

/* The reply verified: parsed, its signed tree head verified and equal to
 * what the reply says. */
static stella_err view_verify(rekor_view *v, const sbuf *reply, char *why,
                              size_t whylen) {
  char detail[256] = "";
  stella_err e = rekor_log_info_parse(reply->data, reply->len, &v->info,
                                      detail, sizeof detail);
  if (e)
    return errbuf_fail(e, why, whylen, "log info unreadable: %s", detail);
  const char *sth = v->info.signed_tree_head ? v->info.signed_tree_head : "";
  e = rekor_checkpoint_verify(sth, strlen(sth), &v->r->kr, &v->cp, &v->key,
                              detail, sizeof detail);
  if (e)
    return errbuf_fail(e, why, whylen, "signed tree head does not verify: "
                       "%s", detail);
  if (v->cp.size != v->info.tree_size ||
      memcmp(v->cp.root, v->info.root_hash, MERKLE_HASH_LEN) != 0)
    return errbuf_fail(STELLA_E_HASH, why, whylen, "the reply's %s does not "
                       "match its signed tree head (size %llu): the answer "
                       "was altered",
                       v->cp.size != v->info.tree_size ? "treeSize"
                                                       : "rootHash",
                       (unsigned long long)v->cp.size);
  return STELLA_OK;
}

stella_err rekor_view_start(rekor_view *v, stella_rekor *r) {
  memset(v, 0, sizeof *v);
  v->r = r;
  stella_err e = ledger_checkpoint_seq(r->s, &v->seq_at_send);
  return e ? rekor_errf(r, e, "%s", store_errmsg(r->s)) : STELLA_OK;
}

/* GET /api/v1/log: verified, then reconciled with the stored checkpoints.
 * Anything else is the backend's failure. */
stella_err rekor_view_parse(void *ctx, size_t bi, rekor_request *q,
                            char *why, size_t whylen) {
  rekor_view *v = ctx;
  rekor_view_clear(v);
  stella_err e = view_verify(v, &q->reply, why, whylen);
  if (e)
    return e;
  rekor_shown s = {.key = v->key, .cp = &v->cp,
                   .note = v->info.signed_tree_head,
                   .tree_id = v->info.tree_id, .current = 1,
                   .seq_at_send = v->seq_at_send};
  if ((e = rekor_reconcile(v->r, bi, &s, &v->rec)))
    snprintf(why, whylen, "%s", v->rec.msg);
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

/* The backend did not give a view that verifies. */
static stella_err loginfo_no_view(stella_loginfo *out, stella_err e,
                                  const char *why) {
  char msg[1024];
  snprintf(msg, sizeof msg, "%.800s (check the backend; `stella trust "
           "status --show-backends` shows its breaker)", why);
  return loginfo_set(out, e, msg);
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
  out->baseline_stored = v->rec.baseline_stored;
  out->previous_size = v->rec.previous_size;
  out->consistency_proven = v->rec.proven;
  out->split_view = v->rec.split_view;
}

static stella_err loginfo_check(stella_rekor *r, size_t bi,
                                rekor_view *v, stella_loginfo *out) {
  char why[768] = "";
  int failed = 0;
  rekor_request q = {.path = "/api/v1/log", .parse = rekor_view_parse,
                     .ctx = v};
  stella_err e = rekor_view_start(v, r);
  if (e)
    return loginfo_set(out, e, r->errmsg);
  e = rekor_call(r, bi, &q, &failed, why, sizeof why);
  sbuf_free(&q.reply);
  if (!v->rec.ran)
    return e ? loginfo_no_view(out, e, why) : STELLA_OK;
  loginfo_fill(v, out);
  if (!out->origin || !out->tree_id || !out->key_name)
    return out->result = STELLA_E_NOMEM;
  return e ? loginfo_set(out, e, v->rec.msg) : STELLA_OK;
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
