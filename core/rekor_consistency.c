/* rekor_consistency.c - a verified checkpoint held against the ones stored
 * for its log (same log ID and origin, from any backend): the one check
 * behind `rekor loginfo` and every entry verified online (verify by UUID
 * or index, submit, query --remote). A bigger tree must be proven an
 * extension of the largest stored one, an equal one must have its root, a
 * smaller one must be proven its prefix by the backend that showed the
 * bigger; a proof that fails is a split view. A backend's current tree
 * head smaller than one it showed before the request was sent is a
 * rollback (one another process stored meanwhile only makes this view
 * older). Consistent checkpoints are stored; the first of a log is trusted
 * on first use. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"
#include "rekor_client.h"
#include "store.h"

/* Trillian tree IDs are int64 in decimal. */
#define RC_MAX_TREE_ID 20

/* ---- Consistency proofs ------------------------------------------------------- */

/* A GET /api/v1/log/proof reply must prove size1 (root1) a prefix of size2
 * (root2): a proof that does not verify is the prover's failure. So is a
 * JSON reply that is no proof (bad hashes, too many): only the server can
 * have made it, and a forking log must not escape the alarm by sending
 * one. A reply that is not JSON at all (a proxy's page) stays unproven. */
typedef struct rc_proof {
  uint64_t size1, size2;
  const uint8_t *root1, *root2;
} rc_proof;

static stella_err rc_proof_parse(void *ctx, size_t bi, rekor_request *q,
                                 char *why, size_t whylen) {
  const rc_proof *p = ctx;
  rekor_consistency c = {0};
  (void)bi;
  stella_err e = rekor_consistency_parse(q->reply.data, q->reply.len, &c,
                                         why, whylen);
  if (e == STELLA_E_FORMAT)
    e = STELLA_E_INCONSISTENT; /* why: what is wrong with it */
  if (!e && merkle_verify_consistency(p->size1, p->size2, p->root1,
                                      p->root2,
                                      (const merkle_hash *)c.hashes,
                                      c.n_hashes) != STELLA_OK)
    e = errbuf_fail(STELLA_E_INCONSISTENT, why, whylen, "the consistency "
                    "proof from size %llu to %llu does not verify",
                    (unsigned long long)p->size1,
                    (unsigned long long)p->size2);
  rekor_consistency_clear(&c);
  return e;
}

/* The tree ID to ask a proof for: the one given, else that of an origin
 * "NAME - TREEID"; "" (none asked for) when it is not decimal. */
static void rc_tree_id(const rekor_shown *s, char *out, size_t len) {
  const char *dash = s->cp->origin ? strstr(s->cp->origin, " - ") : NULL;
  const char *id = s->tree_id;
  while (!id && dash) {
    const char *next = strstr(dash + 3, " - ");
    if (!next)
      id = dash + 3;
    dash = next;
  }
  size_t n = id ? strlen(id) : 0;
  if (n == 0 || n > RC_MAX_TREE_ID || strspn(id, "0123456789") != n)
    id = "";
  snprintf(out, len, "%s", id);
}

/* The proof from backend prover; bi showed s. On bi's own admission when
 * bi proves; another backend's trouble is UNAVAILABLE for bi (neutral),
 * a proof that does not verify INCONSISTENT either way. */
static stella_err rc_prove(stella_rekor *r, size_t bi, size_t prover,
                           const rekor_shown *s, const rc_proof *p,
                           char *why, size_t whylen) {
  char path[256], tree_id[RC_MAX_TREE_ID + 1];
  int failed = 0;
  rc_tree_id(s, tree_id, sizeof tree_id);
  snprintf(path, sizeof path,
           "/api/v1/log/proof?firstSize=%llu&lastSize=%llu%s%s",
           (unsigned long long)p->size1, (unsigned long long)p->size2,
           *tree_id ? "&treeID=" : "", tree_id);
  rekor_request q = {.path = path, .parse = rc_proof_parse, .ctx = (void *)p};
  stella_err e = prover == bi
                     ? rekor_call_more(r, bi, &q, why, whylen)
                     : rekor_call(r, prover, &q, &failed, why, whylen);
  sbuf_free(&q.reply);
  if (e && e != STELLA_E_INCONSISTENT && prover != bi)
    e = STELLA_E_UNAVAILABLE;
  return e;
}

/* Who proves a bigger tree: the backend that showed it, unless it is
 * listed for another log (it served an entry of this one) and this log's
 * own base URL is a backend too. */
static size_t rc_prover(const stella_rekor *r, size_t bi,
                        const rekor_shown *s) {
  long own = s->key->base_url ? rekor_backend_find(r, s->key->base_url) : -1;
  if (own >= 0 && (size_t)own != bi &&
      rekor_logged_elsewhere(r, r->backends[bi].url, s->key->log_id_hex))
    return (size_t)own;
  return bi;
}

/* ---- The verdicts --------------------------------------------------------------- */

static stella_err rc_split(stella_rekor *r, size_t bi, const rekor_shown *s,
                           const ledger_checkpoint *base, const char *how,
                           rekor_reconciled *out) {
  char root[2 * MERKLE_HASH_LEN + 1];
  hex_encode(s->cp->root, MERKLE_HASH_LEN, root);
  out->split_view = 1;
  return errbuf_fail(STELLA_E_INCONSISTENT, out->msg, sizeof out->msg,
                     "SPLIT VIEW of log %.200s: %.300s shows tree size %llu "
                     "(root %.16s...), %.300s showed size %llu (root "
                     "%.16s...): %s (treat the log as compromised, alert "
                     "its operator)", s->cp->origin, r->backends[bi].url,
                     (unsigned long long)s->cp->size, root, base->backend,
                     (unsigned long long)base->size, base->root_hash, how);
}

static stella_err rc_unproven(stella_rekor *r, size_t bi, stella_err e,
                              uint64_t size, const char *why,
                              rekor_reconciled *out) {
  out->unproven = 1;
  return errbuf_fail(e, out->msg, sizeof out->msg, "consistency with the "
                     "stored size %llu not proven: %.700s (nothing stored; "
                     "try again when %.200s answers)",
                     (unsigned long long)size, why,
                     e == STELLA_E_UNAVAILABLE ? "the backend that showed it"
                                               : r->backends[bi].url);
}

/* A backend's tree head smaller than one it showed before: a log never
 * shrinks, so it is stale or replays old answers. Not a split view (the
 * old tree may well be a prefix), but not a view to accept or store. */
static stella_err rc_rollback(const rekor_shown *s,
                              const ledger_checkpoint *own,
                              rekor_reconciled *out) {
  char when[32];
  stella_time_format(own->verified_at, when, sizeof when);
  out->rollback = 1;
  out->previous_size = own->size;
  return errbuf_fail(STELLA_E_ROLLBACK, out->msg, sizeof out->msg,
                     "ROLLBACK of log %.200s: %.300s shows tree size %llu, "
                     "smaller than the size %llu it showed at %s (a log "
                     "never shrinks: the backend is stale or replays old "
                     "answers; nothing stored, check the backend)",
                     s->cp->origin, own->backend,
                     (unsigned long long)s->cp->size,
                     (unsigned long long)own->size, when);
}

/* Holds s against the stored baseline base (the log's largest tree). */
static stella_err rc_against(stella_rekor *r, size_t bi, const rekor_shown *s,
                             const ledger_checkpoint *base,
                             rekor_reconciled *out) {
  merkle_hash broot;
  char why[768] = "";
  uint8_t *raw = NULL;
  size_t rawlen = 0;
  uint64_t size = s->cp->size;
  out->previous_size = base->size;
  if (hex_decode(base->root_hash, strlen(base->root_hash), &raw, &rawlen) ||
      rawlen != MERKLE_HASH_LEN) {
    free(raw);
    return errbuf_fail(STELLA_E_IO, out->msg, sizeof out->msg, "the stored "
                       "checkpoint of %.300s is damaged (its root hash is "
                       "not hex)", base->backend);
  }
  memcpy(broot, raw, MERKLE_HASH_LEN);
  free(raw);
  stella_err e = STELLA_OK;
  if (size == base->size) {
    if (memcmp(broot, s->cp->root, MERKLE_HASH_LEN) != 0)
      return rc_split(r, bi, s, base, "same size, different roots", out);
  } else if (size == 0 || base->size == 0) {
    /* The empty tree is a prefix of every tree. */
  } else if (size > base->size) {
    rc_proof p = {base->size, size, broot, s->cp->root};
    e = rc_prove(r, bi, rc_prover(r, bi, s), s, &p, why, sizeof why);
  } else { /* lagging: the bigger view's backend proves us a prefix */
    long other = rekor_backend_find(r, base->backend);
    rc_proof p = {size, base->size, s->cp->root, broot};
    e = rc_prove(r, bi, other >= 0 ? (size_t)other : bi, s, &p, why,
                 sizeof why);
  }
  if (e == STELLA_E_INCONSISTENT) {
    char how[400];
    snprintf(how, sizeof how, "the consistency proof fails (%.300s)", why);
    return rc_split(r, bi, s, base, how, out);
  }
  if (e)
    return rc_unproven(r, bi, e, base->size, why, out);
  out->proven = 1;
  return STELLA_OK;
}

static stella_err rc_store_error(stella_rekor *r, stella_err e,
                                 rekor_reconciled *out) {
  return errbuf_fail(e, out->msg, sizeof out->msg, "%s", store_errmsg(r->s));
}

static stella_err rc_store(stella_rekor *r, size_t bi, const rekor_shown *s,
                           rekor_reconciled *out) {
  ledger_checkpoint c;
  memset(&c, 0, sizeof c);
  snprintf(c.log_id, sizeof c.log_id, "%s", s->key->log_id_hex);
  snprintf(c.origin, sizeof c.origin, "%s", s->cp->origin);
  snprintf(c.backend, sizeof c.backend, "%s", r->backends[bi].url);
  c.size = s->cp->size;
  hex_encode(s->cp->root, MERKLE_HASH_LEN, c.root_hash);
  c.verified_at = rekor_now(r);
  stella_err e = ledger_put_checkpoint(r->s, &c, s->note);
  if (e) {
    out->baseline_stored = 0;
    return rc_store_error(r, e, out);
  }
  return STELLA_OK;
}

static int rc_same_root(const ledger_checkpoint *c, const rekor_shown *s) {
  char root[2 * MERKLE_HASH_LEN + 1];
  hex_encode(s->cp->root, MERKLE_HASH_LEN, root);
  return strcmp(c->root_hash, root) == 0;
}

stella_err rekor_reconcile(stella_rekor *r, size_t bi, const rekor_shown *s,
                           rekor_reconciled *out) {
  ledger_checkpoint own, base;
  const char *log_id = s->key->log_id_hex, *origin = s->cp->origin;
  memset(out, 0, sizeof *out);
  out->ran = 1;
  stella_err e = ledger_checkpoint_of(r->s, log_id, origin,
                                      r->backends[bi].url, &own);
  int has_own = e == STELLA_OK;
  if (e && e != STELLA_E_NOT_FOUND)
    return rc_store_error(r, e, out);
  /* Stored after this request was sent: another process's newer view, so
   * this one only lags (it is still proven a prefix below). */
  if (has_own && s->current && own.size > s->cp->size &&
      own.seq <= s->seq_at_send)
    return rc_rollback(s, &own, out);
  e = ledger_latest_checkpoint(r->s, log_id, origin, &base);
  if (e == STELLA_E_NOT_FOUND)
    out->baseline_stored = 1;
  else if (e)
    return rc_store_error(r, e, out);
  else if ((e = rc_against(r, bi, s, &base, out)))
    return e;
  /* An older tree an entry was proven in: the backend's bigger one stays;
   * the same tree stored this second already (a scan's entries) is not
   * written again. */
  if (has_own && (own.size > s->cp->size ||
                  (own.size == s->cp->size && own.verified_at == rekor_now(r) &&
                   rc_same_root(&own, s))))
    return STELLA_OK;
  return rc_store(r, bi, s, out);
}
