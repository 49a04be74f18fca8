/* rekor_query.c - `rekor query`: the entries integrated in a time window,
 * optionally under one log key, from the ledger (one index range scan);
 * with --remote, the log itself is scanned first: its size from a
 * verified checkpoint, a binary search on integrated time over entries by
 * index for the window's index range, then every entry of the range
 * fetched (POST /entries/retrieve, ten indexes a request, or one GET each
 * where a log does not offer it), verified and recorded. Entries outside their key's validity
 * window are flagged with the current keyring (a key found compromised
 * later flags what was logged under it since). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"
#include "rekor_client.h"
#include "store.h"

/* A remote scan fetches at most this many entries. */
#define REKOR_QUERY_REMOTE_MAX 10000
/* Indexes per POST /entries/retrieve (Rekor's own limit). */
#define REKOR_RETRIEVE_BATCH 10

typedef struct query_ctx {
  stella_rekor *r;
  stella_entry_fn fn;
  void *ctx;
} query_ctx;

static int query_row(void *ctx, const ledger_entry *le) {
  query_ctx *q = ctx;
  stella_rekor_entry p;
  memset(&p, 0, sizeof p);
  memcpy(p.uuid, le->uuid, sizeof p.uuid);
  p.log_index = le->log_index;
  p.integrated_time = le->integrated_time;
  memcpy(p.log_id, le->log_id, sizeof p.log_id);
  memcpy(p.kind, le->kind, sizeof p.kind);
  memcpy(p.backend, le->backend, sizeof p.backend);
  memcpy(p.source, le->source, sizeof p.source);
  p.outside_validity = le->outside_validity;
  rekor_entry_labels(q->r, &p);
  return q->fn(q->ctx, &p);
}

/* --key-id: a key of the keyring (log ID, unique prefix, name), or a full
 * log ID we hold no key for (entries of a log we no longer trust). */
static stella_err query_resolve(stella_rekor *r, const char *id,
                                char out[65]) {
  const rekor_log_key *k = NULL;
  char why[256] = "";
  size_t n = strlen(id);
  stella_err e = rekor_keyring_find(&r->kr, id, &k, why, sizeof why);
  if (!e) {
    snprintf(out, 65, "%s", k->log_id_hex);
    return STELLA_OK;
  }
  int hex = n == 64;
  for (size_t i = 0; hex && i < n; i++)
    hex = isxdigit((unsigned char)id[i]);
  if (e == STELLA_E_NOT_FOUND && hex) {
    for (size_t i = 0; i <= n; i++)
      out[i] = (char)tolower((unsigned char)id[i]);
    return STELLA_OK;
  }
  return rekor_errf(r, e, "--key-id %.100s: %s", id,
                    *why ? why : stella_strerror(e));
}

/* ---- --remote ----------------------------------------------------------------- */

/* Integrated time of entry i (fetched and verified from backend bi). */
static stella_err query_time_at(stella_rekor *r, size_t bi, int64_t i,
                                int64_t *t) {
  rekor_checked c;
  memset(&c, 0, sizeof c);
  stella_err err = rekor_get_entry(r, NULL, i, (long)bi, &c);
  *t = c.e.integrated_time;
  rekor_checked_clear(&c);
  return err;
}

/* The first index in [0, size) whose integrated time is >= t (size when
 * none): integrated time grows with the index. */
static stella_err query_search(stella_rekor *r, size_t bi, uint64_t size,
                               int64_t t, uint64_t *out) {
  uint64_t lo = 0, hi = size;
  while (lo < hi) {
    uint64_t mid = lo + (hi - lo) / 2;
    int64_t at = 0;
    stella_err e = query_time_at(r, bi, (int64_t)mid, &at);
    if (e)
      return e;
    if (at < t)
      lo = mid + 1;
    else
      hi = mid;
  }
  *out = lo;
  return STELLA_OK;
}

/* A /retrieve reply must hold exactly the n entries first..first+n-1,
 * each passing rekor_entry_check; they are kept in v (any order). */
typedef struct retrieve_ctx {
  stella_rekor *r;
  uint64_t first;
  size_t n;
  rekor_entry *v;
} retrieve_ctx;

static stella_err retrieve_check(retrieve_ctx *c, size_t bi,
                                 const rekor_entry *v, size_t n, char *why,
                                 size_t whylen) {
  unsigned seen = 0; /* REKOR_RETRIEVE_BATCH bits */
  const rekor_entry_rules rules = {0};
  if (n != c->n)
    return errbuf_fail(STELLA_E_FORMAT, why, whylen, "asked for %zu "
                       "entries, the reply holds %zu", c->n, n);
  for (size_t i = 0; i < n; i++) {
    uint64_t k = (uint64_t)v[i].log_index - c->first;
    if (v[i].log_index < 0 || k >= c->n || (seen & (1u << k)))
      return errbuf_fail(STELLA_E_FORMAT, why, whylen, "the reply holds "
                         "entry %lld, not asked for", (long long)v[i].log_index);
    seen |= 1u << k;
    rekor_verify_result vr = {0};
    rekor_reconciled rec;
    stella_err e = rekor_entry_check(c->r, bi, &v[i], &rules, &vr, &rec, why,
                                     whylen);
    rekor_verify_result_clear(&vr);
    if (e)
      return e;
  }
  return STELLA_OK;
}

static stella_err retrieve_parse(void *ctx, size_t bi, rekor_request *q,
                                 char *why, size_t whylen) {
  retrieve_ctx *c = ctx;
  rekor_entry *v = NULL;
  size_t n = 0;
  char detail[256] = "";
  rekor_entries_free(c->v, c->n);
  c->v = NULL;
  stella_err e = rekor_entries_from_api(q->reply.data, q->reply.len, &v, &n,
                                        detail, sizeof detail);
  if (e)
    return errbuf_fail(e, why, whylen, "retrieve reply unreadable: %s",
                       detail);
  if ((e = retrieve_check(c, bi, v, n, why, whylen)))
    rekor_entries_free(v, n);
  else
    c->v = v;
  return e;
}

/* Entries first..first+n-1 by one POST /entries/retrieve, recorded.
 * STELLA_E_UNSUPPORTED: the log does not offer it (a 4xx answer); a 5xx,
 * like any failure, is an error, not a reason for ten times the calls. */
static stella_err query_retrieve(stella_rekor *r, size_t bi, uint64_t first,
                                 size_t n) {
  retrieve_ctx c = {.r = r, .first = first, .n = n};
  sbuf body = SBUF_INIT;
  char why[768] = "";
  int failed = 0;
  stella_err e = sbuf_append_str(&body, "{\"logIndexes\":[");
  for (size_t i = 0; !e && i < n; i++)
    e = sbuf_printf(&body, "%s%llu", i ? "," : "",
                    (unsigned long long)(first + i));
  if (!e)
    e = sbuf_append_str(&body, "]}");
  rekor_request q = {.path = "/api/v1/log/entries/retrieve",
                     .post_body = body.data, .post_len = body.len,
                     .parse = retrieve_parse, .ctx = &c, .absent_ok = 1};
  if (!e)
    e = rekor_call(r, bi, &q, &failed, why, sizeof why);
  if (!failed && (e == STELLA_E_HTTP || e == STELLA_E_NOT_FOUND ||
                  e == STELLA_E_UNSUPPORTED))
    e = STELLA_E_UNSUPPORTED;
  for (size_t i = 0; !e && c.v && i < n; i++)
    e = rekor_ledger_put(r, &c.v[i], r->backends[bi].url, "remote", NULL);
  if (e && e != STELLA_E_UNSUPPORTED && why[0])
    rekor_errf(r, e, "%s", why);
  rekor_entries_free(c.v, c.v ? n : 0);
  sbuf_free(&q.reply);
  sbuf_free(&body);
  return e;
}

/* One GET per entry, for logs without /retrieve. */
static stella_err query_fetch_each(stella_rekor *r, size_t bi,
                                   uint64_t first, uint64_t end) {
  for (uint64_t i = first; i < end; i++) {
    rekor_checked c;
    memset(&c, 0, sizeof c);
    stella_err err = rekor_get_entry(r, NULL, (int64_t)i, (long)bi, &c);
    if (!err)
      err = rekor_ledger_put(r, &c.e, r->backends[bi].url, "remote", NULL);
    rekor_checked_clear(&c);
    if (err)
      return err;
  }
  return STELLA_OK;
}

static stella_err query_fetch_range(stella_rekor *r, size_t bi,
                                    uint64_t first, uint64_t end) {
  int batch = 1;
  for (uint64_t i = first; i < end; i += REKOR_RETRIEVE_BATCH) {
    size_t n = end - i < REKOR_RETRIEVE_BATCH ? (size_t)(end - i)
                                                : REKOR_RETRIEVE_BATCH;
    stella_err e = batch ? query_retrieve(r, bi, i, n) : STELLA_E_UNSUPPORTED;
    if (e == STELLA_E_UNSUPPORTED) {
      batch = 0; /* not offered: one GET per entry from here on */
      e = query_fetch_each(r, bi, i, i + n);
    }
    if (e)
      return e;
  }
  return STELLA_OK;
}

static stella_err query_remote(stella_rekor *r, int64_t after,
                               int64_t before) {
  rekor_view v;
  size_t bi = 0;
  uint64_t first = 0, end = 0;
  rekor_request q = {.path = "/api/v1/log", .parse = rekor_view_parse,
                     .ctx = &v};
  stella_err e = rekor_view_start(&v, r);
  if (e)
    return e;
  e = rekor_route(r, &q, 0, &bi, NULL, 0);
  sbuf_free(&q.reply);
  uint64_t size = v.cp.size;
  rekor_view_clear(&v);
  if (e)
    return e;
  e = query_search(r, bi, size, after, &first);
  if (!e)
    e = query_search(r, bi, size, before, &end);
  if (!e && end - first > REKOR_QUERY_REMOTE_MAX)
    return rekor_errf(r, STELLA_E_LIMIT, "the window holds %llu entries of "
                      "%s, over the %d a remote scan fetches (narrow "
                      "--after/--before)", (unsigned long long)(end - first),
                      r->backends[bi].url, REKOR_QUERY_REMOTE_MAX);
  if (!e)
    e = query_fetch_range(r, bi, first, end);
  if (e) {
    char why[sizeof r->errmsg];
    memcpy(why, r->errmsg, sizeof why);
    rekor_errf(r, e, "scanning %s: %.800s (nothing was recorded from the "
               "failed part; check the backend and run the query again)",
               r->backends[bi].url, why);
  }
  return e;
}

stella_err stella_rekor_query(stella_rekor *r, int64_t after, int64_t before,
                              const char *key_id, int remote,
                              stella_entry_fn fn, void *ctx) {
  char log_id[65] = "";
  if (!r || !fn)
    return STELLA_E_INVALID_ARG;
  r->errmsg[0] = '\0';
  if (after >= before)
    return rekor_errf(r, STELLA_E_INVALID_ARG, "--after must be before "
                      "--before");
  stella_err e = key_id ? query_resolve(r, key_id, log_id) : STELLA_OK;
  if (!e && remote)
    e = query_remote(r, after, before);
  if (e)
    return e;
  query_ctx q = {r, fn, ctx};
  e = ledger_query(r->s, after, before, key_id ? log_id : NULL, query_row,
                   &q);
  if (e)
    rekor_errf(r, e, "reading the ledger: %s", store_errmsg(r->s));
  return e;
}
