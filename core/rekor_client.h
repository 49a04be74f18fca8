/* rekor_client.h - the inside of the stella_rekor handle (include/stella/
 * rekor.h), shared by rekor_client.c (handle, config, backends, calls
 * through the breakers), rekor_config.c, rekor_loginfo.c,
 * rekor_entries.c (fetch, verify), rekor_submit.c, rekor_query.c and
 * rekor_metrics.c; and the two test hooks (fetcher, duration source). Not
 * an API. */
#ifndef STELLA_CORE_REKOR_CLIENT_H
#define STELLA_CORE_REKOR_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "breaker.h"
#include "buf.h"
#include "fetch.h"
#include "rekor_verify.h"
#include "stella/rekor.h"

struct store;

/* Per-call timeouts of the client's own fetcher (config: timeout_ms,
 * connect_timeout_ms). */
#define REKOR_TIMEOUT_MS 10000L
#define REKOR_CONNECT_TIMEOUT_MS 3000L
/* Operation rows older than this are pruned after a submission. */
#define REKOR_OPS_KEEP_S (7 * 86400)

typedef struct rekor_backend {
  char *url;                /* without a trailing '/' */
  int primary;
  const char *origin;       /* "signing_config" or "config" (static) */
} rekor_backend;

/* Milliseconds from some fixed point (CLOCK_MONOTONIC by default). */
typedef int64_t (*rekor_ms_fn)(void *ctx);

struct stella_rekor {
  stella_trust *t;          /* borrowed */
  struct store *s;          /* t's */
  rekor_keyring kr;
  rekor_backend *backends;  /* failover order */
  size_t n_backends;
  breaker_policy policy;
  long timeout_ms, connect_timeout_ms;
  stella_fetcher *fetcher;  /* made on first use unless injected */
  int own_fetcher;
  rekor_ms_fn ms;
  void *ms_ctx;
  char actor[128];
  char errmsg[1024];
};

/* ---- Test hooks ------------------------------------------------------------- */

/* Calls go through f (borrowed: the caller frees it after r). */
void rekor_set_fetcher(stella_rekor *r, stella_fetcher *f);
/* Call durations come from ms(ctx) instead of CLOCK_MONOTONIC. */
void rekor_set_duration_source(stella_rekor *r, rekor_ms_fn ms, void *ctx);

/* ---- Shared by the rekor_*.c files ------------------------------------------- */

int64_t rekor_now(const stella_rekor *r);

/* Sets r's one-line message (printf-style) and returns e. */
stella_err rekor_errf(stella_rekor *r, stella_err e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reads the local config HOME/config.json ("rekor" object) into r: mirrors
 * appended to r->backends, timeouts, breaker policy. A missing file is
 * fine; a malformed one is STELLA_E_FORMAT / STELLA_E_PARSE with r's
 * message naming the file and the field. (rekor_config.c) */
stella_err rekor_config_load(stella_rekor *r, const char *home);

/* Appends a backend unless its URL is already listed. */
stella_err rekor_backend_add(stella_rekor *r, const char *url, int primary,
                             const char *origin);

/* Index of the backend named by name: its URL (a trailing '/' ignored) or
 * "primary". -1 when none. */
long rekor_backend_find(const stella_rekor *r, const char *name);

/* One HTTP request to a backend. parse (may be NULL) sees every 2xx reply:
 * a non-OK return makes the call a breaker FAILURE (garbage, truncated, a
 * signature of the log that does not verify) with why as its error. */
typedef struct rekor_request {
  const char *path;         /* "/api/v1/log", with its query */
  const char *post_body;    /* NULL: GET */
  size_t post_len;
  stella_err (*parse)(void *ctx, const char *backend, const sbuf *reply,
                      char *why, size_t whylen);
  void *ctx;
  int absent_ok;            /* a 404 is an answer ("no such entry", "not
                               offered"): neutral. Elsewhere the backend
                               does not serve the Rekor API: a failure */
  /* out */
  long status;              /* HTTP status, 0 if none */
  char location[1024];      /* POST: the Location header */
  sbuf reply;               /* the last reply (caller frees) */
} rekor_request;

/* One call through backend bi's breaker: admit, fetch (timed), classify,
 * report. Returns STELLA_OK (2xx and parsed), STELLA_E_UNAVAILABLE (not
 * admitted), STELLA_E_NOT_FOUND (404: neutral with absent_ok, else a
 * failure), STELLA_E_EXISTS (409), STELLA_E_UNSUPPORTED (405: neutral, not
 * offered there), STELLA_E_HTTP (other 4xx: neutral for
 * the breaker), or the failure (network, timeout, 5xx, what parse
 * returned). *failed: 1 when the breaker was told FAILURE (the router fails
 * over). why: one line. */
stella_err rekor_call(stella_rekor *r, size_t bi, rekor_request *q,
                      int *failed, char *why, size_t whylen);

/* Routes q to the first backend whose breaker admits it, failing over to
 * the next on failure, on a 405 (a read replica does not take entries),
 * and, with absent_ok, on a 404 while another backend is left (backends
 * may be different logs); every choice is recorded (op
 * "route"). *chosen gets
 * the index of the backend that answered; route (may be NULL) one line
 * naming what was skipped and why. Returns what rekor_call returned for
 * that backend, or, when none answered, STELLA_E_UNAVAILABLE (none
 * admitted) or the last failure, with r's message saying why. */
stella_err rekor_route(stella_rekor *r, rekor_request *q, size_t *chosen,
                       char *route, size_t routelen);

/* Fills a public entry from a parsed one (UUID: the API's, else the leaf
 * hash of the body; key name and validity from the keyring). */
void rekor_public_entry(const stella_rekor *r, const rekor_entry *e,
                        const char *backend, const char *source,
                        stella_rekor_entry *out);

/* A view of a log: GET /api/v1/log parsed, its signed tree head verified
 * with the keyring (key: the one that signed) and equal to treeSize and
 * rootHash. rekor_view_parse is a rekor_request parse function (ctx: a
 * rekor_view with r set). (rekor_loginfo.c) */
typedef struct rekor_view {
  rekor_log_info info;
  checkpoint cp;
  const rekor_log_key *key;
  stella_rekor *r;
} rekor_view;

stella_err rekor_view_parse(void *ctx, const char *backend,
                            const sbuf *reply, char *why, size_t whylen);
void rekor_view_clear(rekor_view *v);

/* Fetches one entry, by uuid (64 or 80 hex digits) or, when uuid is NULL,
 * by global index: GET /api/v1/log/entries/{uuid} or ?logIndex=N, routed
 * through the breakers (bi < 0) or from backend bi only. The reply must be
 * that entry (its body hashes to the UUID, or it has that index) and
 * verify (SET, proof, checkpoint; not the validity window): otherwise the
 * backend failed. *out is filled on success (rekor_entry_clear); *chosen
 * (may be NULL) gets the backend; vr (may be NULL) the last verification
 * (rekor_verify_result_clear), also on failure. (rekor_entries.c) */
stella_err rekor_get_entry(stella_rekor *r, const char *uuid, int64_t index,
                           long bi, rekor_entry *out, size_t *chosen,
                           rekor_verify_result *vr);

/* An entries reply that must hold exactly one entry, which wanted(wctx,
 * entry) accepts (else STELLA_E_FORMAT, why: "...: " + mismatch); it is
 * verified with o. On return *out holds the entry (also when it fails to
 * verify) and *vr its verification; why says what went wrong.
 * (rekor_entries.c; the entry fetch and submit replies) */
typedef int (*rekor_entry_pred)(const void *wctx, const rekor_entry *e);
stella_err rekor_take_one_entry(const stella_rekor *r, const sbuf *reply,
                                rekor_entry_pred wanted, const void *wctx,
                                const char *mismatch,
                                const rekor_verify_opts *o, rekor_entry *out,
                                rekor_verify_result *vr, char *why,
                                size_t whylen);

/* 1 when the API's key for e (e->uuid) is its UUID or entry ID: the leaf
 * hash of its body (the ledger keeps that key, so it must be checked). */
int rekor_entry_key_ok(const rekor_entry *e);

/* Records e in the ledger (source "submitted", "verified", "remote"). pub
 * (may be NULL) gets its public form. */
stella_err rekor_ledger_put(stella_rekor *r, const rekor_entry *e,
                            const char *backend, const char *source,
                            stella_rekor_entry *pub);

/* The key with this log ID (hex), or NULL. */
const rekor_log_key *rekor_key_by_hex(const stella_rekor *r,
                                      const char *log_id_hex);

/* 1 when t is outside k's validity window (t == 0: unknown, never). */
int rekor_outside_validity(const rekor_log_key *k, int64_t t);

#endif
