/* rekor.h - public API of the Rekor side of libstella: a Rekor v1 client
 * behind one circuit breaker per backend, with failover from the primary
 * to its mirrors, verification with keys only from the verified
 * trusted_root, the forensics ledger, and the metrics behind the alert
 * table. Same conventions as stella.h: opaque handle, stella_err returns,
 * a one-line message on the handle (stella_rekor_errmsg), the caller owns
 * what it is handed and frees it with the matching _free. */
#ifndef STELLA_REKOR_H
#define STELLA_REKOR_H

#include <stddef.h>
#include <stdint.h>
#include "stella/stella.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct stella_rekor stella_rekor;

typedef struct stella_rekor_opts {
  /* Keys from this trusted_root.json file instead of the synced one (as
   * cosign --trusted-root does): offline verification. NULL: synced. */
  const char *trusted_root_file;
  /* Who runs the command, recorded with resets ("alice"); NULL: $USER,
   * else $LOGNAME, else the effective uid's account name. */
  const char *actor;
} stella_rekor_opts;

/* Opens the Rekor client on the trust state of t (borrowed: t must outlive
 * the handle; they share its store and clock). Reads the verified
 * trusted_root (or opts->trusted_root_file), the signing config's valid
 * Rekor URLs (first = primary, the rest = mirrors) and the optional local
 * config HOME/config.json ({"rekor": {"mirrors": [URL...], "breaker":
 * {...}, "timeout_ms": N}}). Does not touch the network. On failure
 * returns NULL with *err set and stella_trust_errmsg(t) saying why (e.g.
 * STELLA_E_NOT_INITIALIZED: no synced service map yet). opts may be NULL. */
STELLA_API stella_rekor *stella_rekor_open(stella_trust *t,
                                           const stella_rekor_opts *opts,
                                           stella_err *err);

STELLA_API void stella_rekor_free(stella_rekor *r); /* NULL-safe */

/* One line: what failed, why, what to do ("" if nothing failed). Owned by
 * r, valid until the next call on r. */
STELLA_API const char *stella_rekor_errmsg(const stella_rekor *r);
/* Who the handle records as the actor of resets (owned by r). */
STELLA_API const char *stella_rekor_actor(const stella_rekor *r);

/* ---- Backends and breakers -------------------------------------------------- */

typedef struct stella_backend {
  char *url;                 /* owned by the array */
  int primary;               /* 1 primary, 0 mirror */
  char *origin;              /* "signing_config" or "config" (local mirror) */
  char *state;               /* "closed", "open", "half_open" */
  int64_t since;             /* last transition, 0 never */
  double failure_rate;       /* in the breaker's window, 0..1 */
  int calls_in_window;
  char *last_error;          /* "" if none */
  int64_t last_error_at;
  char *last_cause;          /* why it last changed state, "" if never */
  int64_t open_until;        /* when OPEN: next probe time */
  int opens_last_hour;
  stella_alert alert;        /* from opens_last_hour: >2 warning, >5 critical */
  int has_checkpoint;        /* a verified checkpoint from this backend */
  uint64_t checkpoint_size;
  int64_t checkpoint_verified_at;
} stella_backend;

/* Every backend in failover order with its breaker and last checkpoint.
 * No network. Free with stella_backends_free. */
STELLA_API stella_err stella_rekor_backends(stella_rekor *r,
                                            stella_backend **out, size_t *n);
STELLA_API void stella_backends_free(stella_backend *v, size_t n);

/* `trust reset-circuits [BACKEND]`: closes the breaker of backend (URL;
 * NULL: all), recording the actor. *n (may be NULL): how many were not
 * closed before. STELLA_E_NOT_FOUND: no such backend. */
STELLA_API stella_err stella_rekor_reset_circuits(stella_rekor *r,
                                                  const char *backend,
                                                  size_t *n);

/* ---- loginfo: health and honesty of each log view ----------------------- */

typedef struct stella_loginfo {
  char *backend;             /* URL */
  int primary;
  stella_err result;         /* STELLA_OK when fetched, verified, consistent */
  char *error;               /* one line when result != OK, else "" */
  uint64_t tree_size;
  char root_hash[65];        /* hex */
  char *origin;              /* checkpoint origin line */
  char *tree_id;
  char log_id[65];           /* the log key that signed it (hex) */
  char *key_name;            /* its human name or "" */
  int baseline_stored;       /* 1: first checkpoint of this log, stored */
  uint64_t previous_size;    /* the baseline proven against, 0 if none */
  int consistency_proven;    /* 1: consistency proof verified */
  int split_view;            /* 1: cannot be reconciled with another view */
} stella_loginfo;

/* `rekor loginfo [--backend URL]`: for backend (NULL: every backend, in
 * order), GET /api/v1/log through its breaker, verify the checkpoint with
 * the trusted log key, prove consistency with the largest stored
 * checkpoint of that log (from any backend; the first call stores it), and
 * store the new one. Views of the same log that cannot be proven
 * consistent set split_view (and the call returns STELLA_E_INCONSISTENT).
 * Returns STELLA_OK when every view checked out, else the first failure.
 * *out is always filled (free with stella_loginfo_free). BLOCKS. */
STELLA_API stella_err stella_rekor_loginfo(stella_rekor *r,
                                           const char *backend,
                                           stella_loginfo **out, size_t *n);
STELLA_API void stella_loginfo_free(stella_loginfo *v, size_t n);

/* ---- Entries ---------------------------------------------------------------- */

typedef struct stella_rekor_entry {
  char uuid[81];
  int64_t log_index;         /* global */
  int64_t integrated_time;   /* 0 when the entry has none (Rekor v2) */
  char log_id[65];
  char key_name[128];        /* "" if the key has no name */
  char kind[32];
  char backend[1024];        /* where it came from, "" for files */
  char source[16];           /* ledger: "submitted", "verified", "remote" */
  int outside_validity;      /* integrated time outside its key's window */
  char log_url[512];         /* base URL of the log whose key signed it
                                (trusted_root), "" when none is known */
  int other_log;             /* 1: backend is listed for another log: served
                                by backend, logged in log_url */
} stella_rekor_entry;

typedef struct stella_submit_result {
  stella_rekor_entry entry;
  int failed_over;           /* 1: not the first backend in order */
  char route[512];           /* one line: which backends were skipped, why */
} stella_submit_result;

/* `rekor submit`: builds a hashedrekord v0.0.1 entry (SHA-256 of
 * artifact_file, the signature in sig_file: raw DER or base64, the PEM
 * public key in pubkey_file), checks the signature locally, POSTs it to
 * the first backend whose breaker admits it, verifies the returned entry
 * (ours, SET and, when present, inclusion proof and checkpoint, logged in
 * the log that backend is listed for, inside its key's validity window,
 * its checkpoint consistent with the stored one of that log) and records
 * it in the ledger. A 409 (already in the log) fetches and checks the
 * existing entry. A reply that fails a check is the backend's failure and
 * the entry goes to the next backend; a checked entry whose consistency
 * cannot be proven ends the submission (the log holds it: it is not sent
 * to a second log). BLOCKS. */
STELLA_API stella_err stella_rekor_submit(stella_rekor *r,
                                          const char *artifact_file,
                                          const char *sig_file,
                                          const char *pubkey_file,
                                          stella_submit_result *res);

typedef enum stella_verify_kind {
  STELLA_VERIFY_UUID = 0,    /* fetch by UUID through the breakers */
  STELLA_VERIFY_LOG_INDEX,   /* fetch by global log index */
  STELLA_VERIFY_BUNDLE,      /* a Sigstore bundle file (v0.1-v0.3) */
  STELLA_VERIFY_CHECKPOINT   /* a standalone checkpoint note file */
} stella_verify_kind;

typedef struct stella_verify_request {
  stella_verify_kind kind;
  const char *value;         /* UUID, decimal index, or a file path */
} stella_verify_request;

typedef struct stella_verify_result {
  size_t n_entries;          /* entries checked (0 for a checkpoint) */
  stella_rekor_entry entry;  /* the first (or failing) entry */
  char set[8], proof[8], checkpoint[8]; /* "ok", "FAILED", "absent" */
  char consistency[16];      /* the checkpoint against the one stored for
                                its log: "ok" (same root, or a proof),
                                "stored" (the first: trust on first use),
                                "FAILED" (split view), "unproven" (no proof
                                to be had), "absent" (no checkpoint, or a
                                file: offline) */
  char failed_check[32];     /* "" or "key", "set", "inclusion_proof",
                                "checkpoint", "missing_proof", "validity",
                                "consistency" */
  uint64_t tree_size;        /* of the checkpoint checked, 0 if none */
  char origin[256];
} stella_verify_result;

/* `rekor verify`: STELLA_OK only when it verifies; otherwise the error
 * (STELLA_E_SIGNATURE, STELLA_E_HASH, STELLA_E_FORMAT, STELLA_E_NOT_FOUND,
 * STELLA_E_EXPIRED, STELLA_E_INCONSISTENT ...) with res->failed_check and
 * the handle's message saying which check failed. An entry fetched by
 * UUID or index must also be consistent with the checkpoint stored for
 * its log (a newer one is stored). Verified entries go into the ledger.
 * Files: no network, stored checkpoints untouched. BLOCKS. */
STELLA_API stella_err stella_rekor_verify(stella_rekor *r,
                                          const stella_verify_request *req,
                                          stella_verify_result *res);

/* ---- Forensics --------------------------------------------------------------- */

/* Called per entry, oldest first; non-zero stops. */
typedef int (*stella_entry_fn)(void *ctx, const stella_rekor_entry *e);

/* `rekor query`: entries with after <= integrated time < before, only
 * those under key_id when not NULL (log ID hex, unique prefix of >= 8 hex
 * digits, or the key's name: STELLA_E_NOT_FOUND / STELLA_E_INVALID_ARG
 * otherwise), from the ledger; with remote, the log itself is scanned
 * first (binary search on integrated time over the primary's entries by
 * index, each one verified and added to the ledger). */
STELLA_API stella_err stella_rekor_query(stella_rekor *r, int64_t after,
                                         int64_t before, const char *key_id,
                                         int remote, stella_entry_fn fn,
                                         void *ctx);

/* ---- Metrics ----------------------------------------------------------------- */

typedef struct stella_metric {
  const char *name;          /* static: "stella_rekor_submit_failure_ratio" */
  const char *help;          /* static, one line */
  double value;
  stella_alert alert;
} stella_metric;

typedef struct stella_metrics {
  stella_metric submit_failure;   /* rolling hour; >5% warn, >20% crit */
  int64_t submit_total;
  stella_metric verify_failure;   /* rolling hour; >1% warn, >5% crit */
  int64_t verify_total;
  stella_metric breaker_opens;    /* per hour; >2 warn, >5 crit */
  stella_metric metadata_age;     /* seconds since last good sync;
                                     >12h warn, >24h crit */
} stella_metrics;

/* Reads the metrics (no network). */
STELLA_API stella_err stella_rekor_metrics(stella_rekor *r,
                                           stella_metrics *out);

#ifdef __cplusplus
}
#endif
#endif /* STELLA_REKOR_H */
