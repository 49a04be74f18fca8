/* drill_replica.c - a read replica of another drill log. A thread polls
 * the upstream every DRILL_REPLICA_POLL_MS: GET /api/v1/log, the signed
 * checkpoint verified with the upstream's public key (fetched once at
 * first start and kept in STATE/upstream.pem), then the new entries by
 * logIndex, each with its SET verified; the new leaves must give the
 * checkpoint's root before anything is stored. The replica serves the
 * upstream's note for the size it holds and the upstream's SETs; it signs
 * nothing. A failing upstream is reported once per distinct error on
 * stderr and retried; the replica keeps serving what it has. */
#include "drill_internal.h"

#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "checkpoint.h"
#include "fetch.h"
#include "rekor_verify.h"

struct drill_replica {
  drill_state *st;
  pthread_mutex_t *lock;         /* st, against the HTTP threads */
  stella_fetcher *f;
  pthread_t thread;
  int started;
  pthread_mutex_t m;             /* stop */
  pthread_cond_t cond;
  int stop;
  char last_err[256];            /* what was last reported, "" if fine */
};


/* GET upstream + path into body (capped). */
static stella_err drill_get(drill_replica *r, const char *path, sbuf *body,
                            char *errbuf, size_t errlen) {
  char url[512], why[256] = "";
  long status = 0;
  snprintf(url, sizeof url, "%s%s", r->st->upstream, path);
  sbuf_reset(body);
  stella_err e = r->f->get(r->f, url, REKOR_MAX_RESPONSE, body, &status, why,
                           sizeof why);
  if (e) /* why names the method and URL */
    errbuf_fail(e, errbuf, errlen, "upstream: %s", why);
  return e;
}

/* 1 once drill_replica_free asked the thread to stop, or SIGINT/SIGTERM
 * waits (blocked) while the first sync runs before serving: a long
 * catch-up from a slow upstream must not hold a stop for minutes. */
static int drill_replica_stopping(drill_replica *r) {
  sigset_t pending;
  pthread_mutex_lock(&r->m);
  int stop = r->stop;
  pthread_mutex_unlock(&r->m);
  if (!stop && !sigpending(&pending))
    stop = sigismember(&pending, SIGINT) || sigismember(&pending, SIGTERM);
  return stop;
}

/* ---- the upstream's checkpoint ---- */

/* Verifies note with the upstream key under the name its origin gives
 * ("<name> - <tree ID>"): the key is pinned, the name only selects the
 * signature line. */
static stella_err drill_verify_note(drill_state *st, const char *note,
                                    checkpoint *cp, char *errbuf,
                                    size_t errlen) {
  checkpoint parsed;
  char why[256] = "";
  stella_err e = checkpoint_parse(note, strlen(note), &parsed, why,
                                  sizeof why);
  if (e)
    return errbuf_fail(e, errbuf, errlen, "upstream checkpoint: %s", why);
  size_t olen = strlen(parsed.origin), tlen = strlen(st->tree_id);
  char *name = NULL;
  if (olen > tlen + 3 && !strcmp(parsed.origin + olen - tlen, st->tree_id) &&
      !strncmp(parsed.origin + olen - tlen - 3, " - ", 3))
    name = strndup(parsed.origin, olen - tlen - 3);
  checkpoint_clear(&parsed);
  if (!name)
    return errbuf_fail(STELLA_E_FORMAT, errbuf, errlen, "upstream checkpoint"
                       ": origin is not \"<name> - %s\"", st->tree_id);
  note_key nk = {.name = name, .key = st->key};
  e = checkpoint_key_id(name, st->key, nk.id);
  if (!e && (e = checkpoint_verify(note, strlen(note), &nk, 1, cp, NULL, why,
                                   sizeof why)))
    errbuf_fail(e, errbuf, errlen, "upstream checkpoint: %s", why);
  free(name);
  return e;
}

/* GET /api/v1/log: tree ID, size, root and a verified note. */
static stella_err drill_upstream_head(drill_replica *r, checkpoint *cp,
                                      char **note, char *errbuf,
                                      size_t errlen) {
  sbuf body = SBUF_INIT;
  rekor_log_info li;
  char why[256] = "";
  memset(&li, 0, sizeof li);
  stella_err e = drill_get(r, "/api/v1/log", &body, errbuf, errlen);
  if (!e && (e = rekor_log_info_parse(body.data, body.len, &li, why,
                                      sizeof why)))
    errbuf_fail(e, errbuf, errlen, "upstream /api/v1/log: %s", why);
  if (!e && strcmp(li.tree_id, r->st->tree_id))
    e = errbuf_fail(STELLA_E_FORMAT, errbuf, errlen, "upstream tree ID is %s"
                    ", this replica copies tree %s", li.tree_id,
                    r->st->tree_id);
  if (!e)
    e = drill_verify_note(r->st, li.signed_tree_head, cp, errbuf, errlen);
  if (!e && (cp->size != li.tree_size ||
             memcmp(cp->root, li.root_hash, MERKLE_HASH_LEN)))
    e = errbuf_fail(STELLA_E_FORMAT, errbuf, errlen, "upstream log info "
                    "does not match its own checkpoint");
  if (!e && !(*note = strdup(li.signed_tree_head)))
    e = STELLA_E_NOMEM;
  rekor_log_info_clear(&li);
  sbuf_free(&body);
  return e;
}

/* ---- entries ---- */

static stella_err drill_check_set(drill_state *st, const rekor_entry *x) {
  sbuf payload = SBUF_INIT;
  stella_err e = rekor_set_payload(x->body_b64, x->integrated_time,
                                   st->log_id_hex, x->log_index, &payload);
  if (!e && !crypto_verify(st->key, (const uint8_t *)payload.data,
                           payload.len, x->set, x->set_len))
    e = STELLA_E_SIGNATURE;
  sbuf_free(&payload);
  return e;
}

/* One upstream entry, checked (index, log ID, UUID = leaf hash, SET) and
 * copied into out; *why says which check failed. */
static stella_err drill_take_entry(drill_state *st, int64_t index,
                                   const rekor_entry *x, drill_entry *out,
                                   const char **why) {
  size_t ulen = strlen(x->uuid);
  memset(out, 0, sizeof *out);
  out->index = index;
  merkle_leaf_hash(x->body, x->body_len, out->leaf);
  hex_encode(out->leaf, MERKLE_HASH_LEN, out->uuid);
  *why = "another logIndex, no integratedTime or no SET";
  if (x->log_index != index || !x->has_integrated_time || !x->set)
    return STELLA_E_FORMAT;
  *why = "another log ID";
  if (memcmp(x->log_id, st->log_id, MERKLE_HASH_LEN))
    return STELLA_E_FORMAT;
  *why = "its UUID is not the hash of its body";
  if (ulen < 64 || strcmp(x->uuid + ulen - 64, out->uuid))
    return STELLA_E_FORMAT;
  *why = "its SET does not verify with the upstream's key";
  if (drill_check_set(st, x))
    return STELLA_E_SIGNATURE;
  *why = "out of memory";
  out->integrated_time = x->integrated_time;
  stella_err e = base64_encode(x->set, x->set_len, &out->set_b64);
  if (!e && !(out->body_b64 = strdup(x->body_b64)))
    e = STELLA_E_NOMEM;
  return e;
}

static stella_err drill_fetch_entry(drill_replica *r, int64_t index,
                                    drill_entry *out, char *errbuf,
                                    size_t errlen) {
  char path[96], why[256] = "";
  const char *reason = "";
  sbuf body = SBUF_INIT;
  rekor_entry *v = NULL;
  size_t n = 0;
  snprintf(path, sizeof path, "/api/v1/log/entries?logIndex=%" PRId64,
           index);
  stella_err e = drill_get(r, path, &body, errbuf, errlen);
  if (!e && (e = rekor_entries_from_api(body.data, body.len, &v, &n, why,
                                        sizeof why)))
    errbuf_fail(e, errbuf, errlen, "upstream entry %" PRId64 ": %s", index,
                why);
  else if (!e && n != 1)
    e = errbuf_fail(STELLA_E_FORMAT, errbuf, errlen, "upstream entry %"
                    PRId64 ": %zu entries in the answer", index, n);
  else if (!e && (e = drill_take_entry(r->st, index, &v[0], out,
                                       &reason)))
    errbuf_fail(e, errbuf, errlen, "upstream entry %" PRId64 " refused: %s",
                index, reason);
  rekor_entries_free(v, n);
  sbuf_free(&body);
  return e;
}

/* Leaves of the local tree followed by the fetched ones. */
typedef struct drill_leaves {
  const drill_state *st;
  const drill_entry *v;
} drill_leaves;

static stella_err drill_leaf_both(void *ctx, uint64_t i, merkle_hash out) {
  const drill_leaves *l = ctx;
  memcpy(out, i < l->st->size ? l->st->leaves[i] : l->v[i - l->st->size].leaf,
         MERKLE_HASH_LEN);
  return STELLA_OK;
}

/* ---- one sync ---- */

static stella_err drill_catch_up(drill_replica *r, const checkpoint *cp,
                                 const char *note, char *errbuf,
                                 size_t errlen) {
  drill_state *st = r->st;
  size_t n = (size_t)(cp->size - st->size);
  drill_entry *v = calloc(n ? n : 1, sizeof *v);
  stella_err e = v ? STELLA_OK : STELLA_E_NOMEM;
  merkle_hash root;
  for (size_t i = 0; !e && i < n; i++)
    e = drill_replica_stopping(r)
            ? errbuf_fail(STELLA_E_IO, errbuf, errlen, "stopped by a signal "
                          "while copying entry %zu of %zu", i, n)
            : drill_fetch_entry(r, (int64_t)(st->size + i), &v[i], errbuf,
                                errlen);
  drill_leaves l = {st, v};
  if (!e)
    e = merkle_tree_root(drill_leaf_both, &l, cp->size, root);
  if (!e && memcmp(root, cp->root, MERKLE_HASH_LEN))
    e = errbuf_fail(STELLA_E_INCONSISTENT, errbuf, errlen, "the upstream's "
                    "entries do not give its checkpoint's root at size %"
                    PRIu64 " (a fork?)", cp->size);
  if (!e) {
    pthread_mutex_lock(r->lock);
    e = drill_state_replica_append(st, v, n, note);
    pthread_mutex_unlock(r->lock);
  }
  for (size_t i = 0; v && i < n; i++)
    drill_entry_clear(&v[i]);
  free(v);
  return e;
}

/* Nothing new upstream: its root at our size must still be ours. */
static stella_err drill_same_root(drill_state *st, const checkpoint *cp,
                                  char *errbuf, size_t errlen) {
  merkle_hash root;
  stella_err e = drill_state_root(st, st->size, root);
  if (!e && memcmp(root, cp->root, MERKLE_HASH_LEN))
    e = errbuf_fail(STELLA_E_INCONSISTENT, errbuf, errlen, "the upstream's "
                    "root at size %" PRIu64 " is not the one this replica "
                    "holds (a fork?)", st->size);
  return e;
}

static stella_err drill_replica_sync(drill_replica *r, char *errbuf,
                                     size_t errlen) {
  checkpoint cp;
  char *note = NULL;
  memset(&cp, 0, sizeof cp);
  stella_err e = drill_upstream_head(r, &cp, &note, errbuf, errlen);
  if (!e && cp.size < r->st->size)
    e = errbuf_fail(STELLA_E_ROLLBACK, errbuf, errlen, "the upstream's tree "
                    "shrank from %" PRIu64 " to %" PRIu64, r->st->size,
                    cp.size);
  else if (!e && (cp.size > r->st->size || !r->st->has_note))
    e = drill_catch_up(r, &cp, note, errbuf, errlen);
  else if (!e)
    e = drill_same_root(r->st, &cp, errbuf, errlen);
  checkpoint_clear(&cp);
  free(note);
  return e;
}

/* ---- first start ---- */

/* Fetches the upstream key and tree ID (from its log info) once. */
static stella_err drill_replica_bootstrap(drill_replica *r, char *errbuf,
                                          size_t errlen) {
  sbuf pem = SBUF_INIT, body = SBUF_INIT;
  rekor_log_info li;
  char why[256] = "";
  memset(&li, 0, sizeof li);
  stella_err e = drill_get(r, "/api/v1/log/publicKey", &pem, errbuf, errlen);
  if (!e)
    e = drill_get(r, "/api/v1/log", &body, errbuf, errlen);
  if (!e && (e = rekor_log_info_parse(body.data, body.len, &li, why,
                                      sizeof why)))
    errbuf_fail(e, errbuf, errlen, "upstream /api/v1/log: %s", why);
  if (!e)
    e = drill_state_set_upstream(r->st, li.tree_id, pem.data, pem.len,
                                 errbuf, errlen);
  rekor_log_info_clear(&li);
  sbuf_free(&pem);
  sbuf_free(&body);
  return e;
}

stella_err drill_replica_new(drill_state *st, pthread_mutex_t *lock,
                             drill_replica **out, char *errbuf,
                             size_t errlen) {
  fetch_curl_opts fo = {.connect_timeout_ms = 2000, .total_timeout_ms = 3000,
                        .low_speed_secs = 3};
  drill_replica *r = calloc(1, sizeof *r);
  *out = NULL;
  if (!r || !(r->f = fetch_curl_new(&fo))) {
    free(r);
    return STELLA_E_NOMEM;
  }
  r->st = st;
  r->lock = lock;
  pthread_mutex_init(&r->m, NULL);
  pthread_cond_init(&r->cond, NULL);
  stella_err e = st->key ? STELLA_OK
                         : drill_replica_bootstrap(r, errbuf, errlen);
  if (!e && (e = drill_replica_sync(r, errbuf, errlen)) && st->has_note) {
    /* A restart while the upstream is away: serve what we have. */
    fprintf(stderr, "drill-log: replica: %s (serving the %" PRIu64
            " entries it has, retrying)\n", errbuf, st->size);
    snprintf(r->last_err, sizeof r->last_err, "%s", errbuf);
    e = STELLA_OK;
  }
  if (e)
    drill_replica_free(r);
  else
    *out = r;
  return e;
}

/* ---- the poll thread ---- */

static void drill_replica_report(drill_replica *r, stella_err e,
                                 const char *why) {
  if (e && strcmp(r->last_err, why)) {
    fprintf(stderr, "drill-log: replica: %s (retrying)\n", why);
    snprintf(r->last_err, sizeof r->last_err, "%s", why);
  } else if (!e && r->last_err[0]) {
    fprintf(stderr, "drill-log: replica: in sync again at size %" PRIu64
            "\n", r->st->size);
    r->last_err[0] = '\0';
  }
}

static void *drill_replica_main(void *arg) {
  drill_replica *r = arg;
  char why[256];
  pthread_mutex_lock(&r->m);
  while (!r->stop) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += DRILL_REPLICA_POLL_MS * 1000000L;
    ts.tv_sec += ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    pthread_cond_timedwait(&r->cond, &r->m, &ts);
    if (r->stop)
      break;
    pthread_mutex_unlock(&r->m);
    why[0] = '\0';
    stella_err e = drill_replica_sync(r, why, sizeof why);
    if (!drill_replica_stopping(r))
      drill_replica_report(r, e, why);
    pthread_mutex_lock(&r->m);
  }
  pthread_mutex_unlock(&r->m);
  return NULL;
}

stella_err drill_replica_start(drill_replica *r) {
  if (pthread_create(&r->thread, NULL, drill_replica_main, r))
    return STELLA_E_NOMEM;
  r->started = 1;
  return STELLA_OK;
}

void drill_replica_free(drill_replica *r) {
  if (!r)
    return;
  if (r->started) {
    pthread_mutex_lock(&r->m);
    r->stop = 1;
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->m);
    pthread_join(r->thread, NULL);
  }
  fetch_free(r->f);
  pthread_cond_destroy(&r->cond);
  pthread_mutex_destroy(&r->m);
  free(r);
}
