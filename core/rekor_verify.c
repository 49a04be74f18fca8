/* rekor_verify.c - log-level verification of Rekor entries: signed entry
 * timestamp, RFC 9162 inclusion proof, checkpoint (signed note matching
 * the proof), and the entry time against its key's validity window. The
 * checks are the ones tests/data/rekor-bundles/README.md describes. */
#include "rekor_verify.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rekor_internal.h"

/* ---- The SET payload ------------------------------------------------- */

/* Only these characters may appear in the payload's strings: then the
 * canonical JSON needs no escapes and the bytes are unambiguous. */
static int rk_only(const char *s, const char *alphabet) {
  return s && *s && strspn(s, alphabet) == strlen(s);
}

stella_err rekor_set_payload(const char *body_b64, int64_t integrated_time,
                             const char *log_id_hex, int64_t log_index,
                             sbuf *out) {
  static const char b64[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";
  if (!rk_only(body_b64, b64) || !rk_only(log_id_hex, "0123456789abcdef") ||
      integrated_time < 0 || log_index < 0)
    return STELLA_E_INVALID_ARG;
  /* Keys in byte order, no spaces: what Rekor signs (RFC 8785 form). */
  return sbuf_printf(out,
                     "{\"body\":\"%s\",\"integratedTime\":%" PRId64
                     ",\"logID\":\"%s\",\"logIndex\":%" PRId64 "}",
                     body_b64, integrated_time, log_id_hex, log_index);
}

/* ---- The checks ------------------------------------------------------- */

/* Records a failed check: the first one sets failure, reason and error. */
static void rk_failed(rekor_verify_result *res, rekor_failure f,
                      stella_err e, stella_err *first, const char *fmt,
                      ...) __attribute__((format(printf, 5, 6)));

static void rk_failed(rekor_verify_result *res, rekor_failure f,
                      stella_err e, stella_err *first, const char *fmt,
                      ...) {
  if (res->failure != REKOR_FAIL_NONE)
    return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(res->reason, sizeof res->reason, fmt, ap);
  va_end(ap);
  res->failure = f;
  *first = e;
}

static void rk_check_set(const rekor_entry *e, const rekor_log_key *k,
                         rekor_verify_result *res, stella_err *first) {
  sbuf payload = SBUF_INIT;
  if (!e->set)
    return;
  res->set = REKOR_CHECK_FAILED;
  stella_err err = e->has_integrated_time
                       ? rekor_set_payload(e->body_b64, e->integrated_time,
                                           k->log_id_hex, e->log_index,
                                           &payload)
                       : STELLA_E_FORMAT;
  if (!err && crypto_verify(k->key, (const uint8_t *)payload.data,
                            payload.len, e->set, e->set_len))
    res->set = REKOR_CHECK_OK;
  else if (err == STELLA_E_NOMEM)
    rk_failed(res, REKOR_FAIL_SET, err, first, "SET: out of memory");
  else
    rk_failed(res, REKOR_FAIL_SET, STELLA_E_SIGNATURE, first,
              "SET: the signed entry timestamp does not verify with log key "
              "%.16s... (%s)%s", k->log_id_hex, k->note_name,
              e->has_integrated_time ? "" : ": the entry has no time");
  sbuf_free(&payload);
}

/* RFC 9162 2.1.3.2 with the shard-local index (the global one is for the
 * SET only). */
static void rk_check_proof(const rekor_entry *e, const merkle_hash leaf,
                           rekor_verify_result *res, stella_err *first) {
  if (!e->has_proof)
    return;
  stella_err err = e->n_hashes > REKOR_MAX_PROOF_HASHES
                       ? STELLA_E_FORMAT
                       : merkle_verify_inclusion(
                             (uint64_t)e->proof_index, (uint64_t)e->tree_size,
                             leaf, (const merkle_hash *)e->hashes,
                             e->n_hashes, e->root_hash);
  res->proof = err ? REKOR_CHECK_FAILED : REKOR_CHECK_OK;
  if (err == STELLA_E_HASH)
    rk_failed(res, REKOR_FAIL_PROOF, err, first,
              "inclusion proof: the root computed from leaf %" PRId64
              " of %" PRId64 " differs from rootHash", e->proof_index,
              e->tree_size);
  else if (err)
    rk_failed(res, REKOR_FAIL_PROOF, STELLA_E_FORMAT, first,
              "inclusion proof: %zu hashes cannot prove leaf %" PRId64
              " in a tree of %" PRId64, e->n_hashes, e->proof_index,
              e->tree_size);
}

/* The note must be signed by the entry's own log key and commit to the
 * proof's tree: same size, same root. */
static void rk_check_checkpoint(const rekor_entry *e, const rekor_log_key *k,
                                rekor_verify_result *res,
                                stella_err *first) {
  char why[200] = "";
  if (!e->checkpoint)
    return;
  res->checkpoint = REKOR_CHECK_FAILED;
  note_key nk = {.name = k->note_name, .key = k->key};
  memcpy(nk.id, k->note_id, sizeof nk.id);
  stella_err err = checkpoint_verify(e->checkpoint, strlen(e->checkpoint),
                                     &nk, 1, &res->cp, NULL, why, sizeof why);
  if (err)
    rk_failed(res, REKOR_FAIL_CHECKPOINT,
              err == STELLA_E_NOMEM ? err : STELLA_E_SIGNATURE, first,
              "checkpoint: %s", why);
  else if (res->cp.size != (uint64_t)e->tree_size)
    rk_failed(res, REKOR_FAIL_CHECKPOINT, STELLA_E_SIGNATURE, first,
              "checkpoint: signed tree size %" PRIu64
              " differs from the proof's treeSize %" PRId64,
              res->cp.size, e->tree_size);
  else if (memcmp(res->cp.root, e->root_hash, MERKLE_HASH_LEN))
    rk_failed(res, REKOR_FAIL_CHECKPOINT, STELLA_E_SIGNATURE, first,
              "checkpoint: signed root hash differs from the proof's "
              "rootHash");
  else
    res->checkpoint = REKOR_CHECK_OK;
}

/* Something signed by the log must vouch for the entry: the SET, or the
 * checkpoint that commits to the proof's root. A proof alone proves
 * nothing (any leaf is the root of a one-leaf "tree"). */
static void rk_check_present(const rekor_entry *e,
                             const rekor_verify_opts *o,
                             rekor_verify_result *res, stella_err *first) {
  if (!e->set && !e->has_proof)
    rk_failed(res, REKOR_FAIL_MISSING, STELLA_E_FORMAT, first,
              "missing: the entry has neither a SET nor an inclusion proof");
  else if (!e->set && !e->checkpoint)
    rk_failed(res, REKOR_FAIL_MISSING, STELLA_E_FORMAT, first,
              "missing: no SET and no checkpoint signed by the log (an "
              "inclusion proof alone proves nothing)");
  else if (o->require_proof && !e->has_proof)
    rk_failed(res, REKOR_FAIL_MISSING, STELLA_E_FORMAT, first,
              "missing: an inclusion proof is required here");
  else if (o->require_set && !e->set)
    rk_failed(res, REKOR_FAIL_MISSING, STELLA_E_FORMAT, first,
              "missing: a signed entry timestamp is required here");
}

/* Without an integrated time (Rekor v2) there is nothing to place in the
 * window: in_validity stays 0 and the check cannot fail. */
static void rk_check_validity(const rekor_entry *e, const rekor_log_key *k,
                              const rekor_verify_opts *o,
                              rekor_verify_result *res, stella_err *first) {
  char when[32], from[32], until[32];
  if (!e->has_integrated_time)
    return;
  int64_t t = e->integrated_time;
  res->in_validity = t >= k->valid_from && (!k->valid_until ||
                                            t < k->valid_until);
  if (res->in_validity || !o->check_validity)
    return;
  stella_time_format(t, when, sizeof when);
  stella_time_format(k->valid_from, from, sizeof from);
  if (k->valid_until)
    stella_time_format(k->valid_until, until, sizeof until);
  else
    strcpy(until, "open");
  rk_failed(res, REKOR_FAIL_VALIDITY, STELLA_E_EXPIRED, first,
            "validity: integrated time %s is outside log key %.16s...'s "
            "window [%s, %s)", when, k->log_id_hex, from, until);
}

stella_err rekor_entry_verify(const rekor_entry *e, const rekor_keyring *kr,
                              const rekor_verify_opts *opts,
                              rekor_verify_result *res) {
  static const rekor_verify_opts none;
  const rekor_verify_opts *o = opts ? opts : &none;
  stella_err first = STELLA_OK;
  char hex[2 * MERKLE_HASH_LEN + 1];
  merkle_hash leaf;
  memset(res, 0, sizeof *res);
  merkle_leaf_hash(e->body, e->body_len, leaf);
  res->key = rekor_keyring_by_log_id(kr, e->log_id);
  if (!res->key) {
    hex_encode(e->log_id, MERKLE_HASH_LEN, hex);
    res->set = e->set ? REKOR_CHECK_FAILED : REKOR_CHECK_ABSENT;
    res->checkpoint = e->checkpoint ? REKOR_CHECK_FAILED : REKOR_CHECK_ABSENT;
    rk_failed(res, REKOR_FAIL_KEY, STELLA_E_NOT_FOUND, &first,
              "log key: no trusted log key has log ID %s", hex);
    rk_check_proof(e, leaf, res, &first);
    return first;
  }
  /* Every check runs, so res shows the state of each; the first failure
   * in this order is the one reported. */
  rk_check_set(e, res->key, res, &first);
  rk_check_proof(e, leaf, res, &first);
  rk_check_checkpoint(e, res->key, res, &first);
  rk_check_present(e, o, res, &first);
  rk_check_validity(e, res->key, o, res, &first);
  return first;
}

void rekor_verify_result_clear(rekor_verify_result *res) {
  if (!res)
    return;
  checkpoint_clear(&res->cp);
  memset(res, 0, sizeof *res);
}

stella_err rekor_bundle_verify(const rekor_bundle *b, const rekor_keyring *kr,
                               int check_validity, rekor_verify_result *res,
                               size_t *failed_at) {
  /* v0.2 and later: clients require the proof (the SET alone is the v0.1
   * rule). */
  rekor_verify_opts o = {.require_proof = b->minor >= 2,
                         .check_validity = check_validity};
  memset(res, 0, sizeof *res);
  if (failed_at)
    *failed_at = 0;
  if (b->n == 0) {
    res->failure = REKOR_FAIL_MISSING;
    snprintf(res->reason, sizeof res->reason,
             "missing: the bundle has no transparency-log entry");
    return STELLA_E_FORMAT;
  }
  for (size_t i = 0; i < b->n; i++) {
    rekor_verify_result_clear(res);
    stella_err e = rekor_entry_verify(&b->entries[i], kr, &o, res);
    if (e) {
      if (failed_at)
        *failed_at = i;
      return e;
    }
  }
  return STELLA_OK;
}

stella_err rekor_checkpoint_verify(const char *note, size_t len,
                                   const rekor_keyring *kr, checkpoint *out,
                                   const rekor_log_key **key, char *errbuf,
                                   size_t errlen) {
  note_key *keys;
  size_t which = 0;
  if (key)
    *key = NULL;
  memset(out, 0, sizeof *out);
  if (kr->n == 0)
    return errbuf_fail(STELLA_E_SIGNATURE, errbuf, errlen,
                      "checkpoint: no trusted log key to verify it with");
  stella_err e = rekor_keyring_note_keys(kr, &keys);
  if (e)
    return e;
  e = checkpoint_verify(note, len, keys, kr->n, out, &which, errbuf, errlen);
  free(keys);
  if (!e && key)
    *key = &kr->keys[which];
  return e;
}
