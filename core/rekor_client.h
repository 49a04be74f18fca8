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
  int64_t more_ms;          /* rekor_call_more time inside the current parse */
  int without_trust;        /* opened on a trusted root file alone: no
                               `trust status` to point the operator at */
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

/* One HTTP request to a backend. parse (may be NULL) sees every 2xx reply
 * (q->reply) and judges it; its verdict is the breaker's:
 *   STELLA_OK             the backend answered well (SUCCESS);
 *   STELLA_E_UNAVAILABLE  the answer cannot be judged now (a proof it needs
 *                         from another backend is not to be had): NEUTRAL,
 *                         a route asks the next backend;
 *   STELLA_E_NOMEM, _IO   our trouble (memory, the store): NEUTRAL;
 *   anything else         the backend's FAILURE with why as its error:
 *                         garbage, a signature or proof that does not
 *                         verify, a split view, a rollback, an entry that is
 *                         not the one asked for.
 * bi is the backend that answered: the parse may ask it for more on the
 * same admission (rekor_call_more). */
typedef struct rekor_request rekor_request;
struct rekor_request {
  const char *path;         /* "/api/v1/log", with its query */
  const char *post_body;    /* NULL: GET */
  size_t post_len;
  stella_err (*parse)(void *ctx, size_t bi, rekor_request *q, char *why,
                      size_t whylen);
  void *ctx;
  int absent_ok;            /* a 404 is an answer ("no such entry", "not
                               offered"): neutral. Elsewhere the backend
                               does not serve the Rekor API: a failure */
  /* out */
  long status;              /* HTTP status, 0 if none */
  char location[1024];      /* POST: the Location header */
  sbuf reply;               /* the last reply (caller frees) */
  int final;                /* set by parse: whatever its verdict, no other
                               backend is asked (a submission the log
                               holds must not go to a second log) */
};

/* One call through backend bi's breaker: admit, fetch (timed), classify,
 * parse, report. Returns STELLA_OK (2xx and parsed), STELLA_E_UNAVAILABLE
 * (not admitted, or the parse could not judge the reply), STELLA_E_NOT_FOUND
 * (404: neutral with absent_ok, else a failure), STELLA_E_EXISTS (409),
 * STELLA_E_UNSUPPORTED (405: neutral, not offered there), STELLA_E_HTTP
 * (other 4xx: neutral for the breaker), or the failure (network, timeout,
 * 5xx, what parse returned). *failed: 1 when the breaker was told FAILURE
 * (the router fails over). why: one line. The duration reported is the
 * fetch's plus those of the parse's rekor_call_more requests. */
stella_err rekor_call(stella_rekor *r, size_t bi, rekor_request *q,
                      int *failed, char *why, size_t whylen);

/* From inside a parse of a call to backend bi: one more request to bi on
 * the admission that call holds (a consistency proof for the checkpoint
 * it just showed), fetched, classified and parsed like rekor_call, never
 * reported on its own: its failure is the parse's to return. Returns
 * STELLA_OK or the error, with why. */
stella_err rekor_call_more(stella_rekor *r, size_t bi, rekor_request *q,
                           char *why, size_t whylen);

/* Routes q to the first backend from start on whose breaker admits it,
 * failing over to the next on failure, on a 405 (a read replica does not
 * take entries), on a reply the parse could not judge, and, with
 * absent_ok, on a 404 while another backend is left (backends may be
 * different logs); a parse that sets q->final ends the route. Every choice
 * is recorded (op "route"). *chosen gets the index of the backend that
 * answered; route (may be NULL) one line naming what was skipped and why
 * (what it holds already is continued). Returns what rekor_call returned
 * for that backend (with r's message set when q->final ended it with an
 * error), or, when none answered, STELLA_E_UNAVAILABLE (none admitted) or
 * the last failure, with r's message saying why. */
stella_err rekor_route(stella_rekor *r, rekor_request *q, size_t start,
                       size_t *chosen, char *route, size_t routelen);

/* 1 when backend_url is the base URL of some trusted log (trusted_root
 * tlogs) but none of those has log_id: an entry it served was logged in
 * another log. 0 when it is one of them, or when the URL is no trusted
 * log's (a local mirror: nobody says which log it serves). */
int rekor_logged_elsewhere(const stella_rekor *r, const char *backend_url,
                           const char *log_id_hex);

/* Fills a public entry from a parsed one (UUID: the API's, else the leaf
 * hash of the body; the rest as rekor_entry_labels). */
void rekor_public_entry(const stella_rekor *r, const rekor_entry *e,
                        const char *backend, const char *source,
                        stella_rekor_entry *out);

/* ---- Consistency with the stored checkpoints (rekor_consistency.c) ------ */

/* A checkpoint backend bi showed, its signature verified. */
typedef struct rekor_shown {
  const rekor_log_key *key; /* the log key that signed it */
  const checkpoint *cp;     /* origin, size, root */
  const char *note;         /* the signed note, stored with it */
  const char *tree_id;      /* ?treeID= of a proof; NULL: from the origin
                               ("NAME - TREEID") when it has one */
  int current;              /* 1: the backend's tree head now (GET
                               /api/v1/log): smaller than one it showed
                               before is a rollback. 0: the tree an entry's
                               proof was made at, which may be older than
                               what another client stored since: it need
                               only be proven a prefix */
  int64_t seq_at_send;      /* current: ledger_checkpoint_seq when the
                               request was sent; a head another process
                               stored after that is no rollback evidence */
} rekor_shown;

/* What rekor_reconcile found. */
typedef struct rekor_reconciled {
  int ran;                  /* 1: it ran */
  int baseline_stored;      /* 1: the first checkpoint of its log: stored */
  int proven;               /* 1: same root at the same size, or a proof */
  int split_view;           /* 1: not a view of the same log */
  int rollback;             /* 1: smaller than this backend showed before */
  int unproven;             /* 1: the proof could not be had */
  uint64_t previous_size;   /* the stored size it was held against */
  char msg[1024];           /* one line when it failed, else "" */
} rekor_reconciled;

/* Holds s against the checkpoints stored for its log (log ID and origin),
 * the one thing `rekor loginfo` and every entry verified online do:
 *   - none stored: s is stored (trust on first use);
 *   - same size: the roots must be equal;
 *   - bigger: GET /api/v1/log/proof?firstSize=stored&lastSize=new from bi
 *     (on its admission: rekor_call_more), verified (RFC 9162);
 *   - smaller: the backend that showed the stored tree proves s a prefix
 *     of it (bi itself when that was bi);
 *   - current and smaller than the tree bi showed before: a rollback.
 * Then s is stored for bi unless bi showed a bigger tree before. Returns
 * a parse verdict (rekor_request): STELLA_OK; STELLA_E_INCONSISTENT (split
 * view), STELLA_E_ROLLBACK, or bi's failure to give the proof; STELLA_E_
 * UNAVAILABLE when the proof was another backend's to give and it could
 * not; STELLA_E_IO / _NOMEM (the store, memory). out->msg says which. */
stella_err rekor_reconcile(stella_rekor *r, size_t bi, const rekor_shown *s,
                           rekor_reconciled *out);

/* A view of a log: GET /api/v1/log parsed, its signed tree head verified
 * with the keyring (key: the one that signed), equal to treeSize and
 * rootHash, and reconciled with the stored checkpoints (rec; current).
 * rekor_view_parse is a rekor_request parse function (ctx: a rekor_view
 * with r set). (rekor_loginfo.c) */
typedef struct rekor_view {
  rekor_log_info info;
  checkpoint cp;
  const rekor_log_key *key;
  rekor_reconciled rec;
  stella_rekor *r;
  int64_t seq_at_send;      /* set by rekor_view_start */
} rekor_view;

/* Zeroes v for r and notes the stored checkpoints' sequence: call it right
 * before the request. Fails (r's message set) when the store cannot be read. */
stella_err rekor_view_start(rekor_view *v, stella_rekor *r);
stella_err rekor_view_parse(void *ctx, size_t bi, rekor_request *q,
                            char *why, size_t whylen);
void rekor_view_clear(rekor_view *v);

/* ---- Entries from the log (rekor_entries.c) ------------------------------ */

/* An entry a backend served and what checking it found. */
typedef struct rekor_checked {
  rekor_entry e;
  rekor_verify_result vr;   /* its verification (the checkpoint parsed) */
  rekor_reconciled rec;     /* its checkpoint against the stored ones */
  size_t bi;                /* the backend that served it */
} rekor_checked;

void rekor_checked_clear(rekor_checked *c); /* NULL-safe; zeroes it */

/* What an entry reply must be. */
typedef int (*rekor_entry_pred)(const void *wctx, const rekor_entry *e);
typedef struct rekor_entry_rules {
  rekor_entry_pred wanted;  /* the entry asked for? (NULL: any) */
  const void *wctx;
  const char *mismatch;     /* why, when it is not */
  rekor_verify_opts verify; /* SET, proof, validity window ... */
  int own_log;              /* 1: logged in a log its backend is listed for
                               (submit); 0: another trusted log is fine */
} rekor_entry_rules;

/* The checks of entry e served by backend bi, in this order: its UUID is
 * its own (rekor_entry_key_ok), it verifies with rules->verify, with
 * own_log it was logged where bi is listed for, and its checkpoint (when
 * it has one) is consistent with the stored ones (rekor_reconcile,
 * current 0). Returns a parse verdict (rekor_request) with why; vr and
 * rec (rekor_verify_result_clear) say what was found. */
stella_err rekor_entry_check(stella_rekor *r, size_t bi, const rekor_entry *e,
                             const rekor_entry_rules *rules,
                             rekor_verify_result *vr, rekor_reconciled *rec,
                             char *why, size_t whylen);

/* An entries reply from backend bi that must hold exactly one entry, which
 * rules->wanted accepts (else STELLA_E_FORMAT, why: mismatch) and which
 * passes rekor_entry_check. On return out holds the entry (also when it
 * fails a check) and what the checks found; the return is the verdict. */
stella_err rekor_take_one_entry(stella_rekor *r, size_t bi, const sbuf *reply,
                                const rekor_entry_rules *rules,
                                rekor_checked *out, char *why, size_t whylen);

/* Fetches one entry, by uuid (64 or 80 hex digits) or, when uuid is NULL,
 * by global index: GET /api/v1/log/entries/{uuid} or ?logIndex=N, routed
 * through the breakers (bi < 0) or from backend bi only. The reply must be
 * that entry and pass rekor_entry_check (not the validity window; another
 * trusted log is fine): otherwise the backend failed. out (rekor_checked_
 * clear) holds the entry on success, and the last reply's checks also on
 * failure. */
stella_err rekor_get_entry(stella_rekor *r, const char *uuid, int64_t index,
                           long bi, rekor_checked *out);

/* 1 when the API's key for e (e->uuid) is its UUID or entry ID: the leaf
 * hash of its body (the ledger keeps that key, so it must be checked). */
int rekor_entry_key_ok(const rekor_entry *e);

/* Records e in the ledger (source "submitted", "verified", "remote"). pub
 * (may be NULL) gets its public form. */
stella_err rekor_ledger_put(stella_rekor *r, const rekor_entry *e,
                            const char *backend, const char *source,
                            stella_rekor_entry *pub);

/* What a public entry says about its log, from out->log_id, ->backend and
 * ->integrated_time and the keyring: key_name, log_url, other_log, and
 * outside_validity (set when the current keys say so; never cleared). */
void rekor_entry_labels(const stella_rekor *r, stella_rekor_entry *out);

/* The key with this log ID (hex), or NULL. */
const rekor_log_key *rekor_key_by_hex(const stella_rekor *r,
                                      const char *log_id_hex);

/* 1 when t is outside k's validity window (t == 0: unknown, never). */
int rekor_outside_validity(const rekor_log_key *k, int64_t t);

#endif
