/* ledger.h - the Rekor side of the sqlite store:
 *   - the forensics ledger: every log entry this site submitted or
 *     verified (or found with `rekor query --remote`), indexed by
 *     integrated time and by (log ID, integrated time), so "every entry
 *     signed under key K between T1 and T2" is one index range scan;
 *   - the last verified checkpoint per log and backend (the baseline of
 *     consistency proofs and split-view checks);
 *   - the operation log behind the metrics (submissions, verifications,
 *     backend choices), with rolling-hour failure rates.
 * Tables are created by the store's migration list (store.c). */
#ifndef STELLA_CORE_LEDGER_H
#define STELLA_CORE_LEDGER_H

#include <stddef.h>
#include <stdint.h>
#include "stella/stella.h"

struct store;

/* ---- Ledger ------------------------------------------------------------- */

typedef struct ledger_entry {
  char log_id[65];          /* lowercase hex of the 32-byte log ID */
  int64_t log_index;        /* global index */
  char uuid[81];            /* entry UUID (64 hex) or entry ID (80 hex) */
  int64_t integrated_time;  /* epoch seconds */
  char kind[32];            /* "hashedrekord" ... */
  char backend[1024];       /* URL it came from ("" for bundles/files) */
  char source[16];          /* "submitted", "verified", "remote" */
  int outside_validity;     /* 1: integrated time outside its key's window */
  int64_t recorded_at;      /* when we stored it */
} ledger_entry;

/* Inserts e, or updates the row with the same (log_id, log_index) keeping
 * the first recorded_at and "submitted" over other sources. */
stella_err ledger_put(struct store *s, const ledger_entry *e);

/* Same for n entries in one transaction (--remote scans, benchmarks). */
stella_err ledger_put_many(struct store *s, const ledger_entry *v, size_t n);

/* Called for each row of a query, oldest integrated time first; a non-zero
 * return stops the query (ledger_query then returns STELLA_OK). */
typedef int (*ledger_row_fn)(void *ctx, const ledger_entry *e);

/* Rows with after <= integrated_time < before; log_id NULL: every log,
 * else exactly that log ID (hex; resolve prefixes and names with the
 * keyring first). */
stella_err ledger_query(struct store *s, int64_t after, int64_t before,
                        const char *log_id, ledger_row_fn fn, void *ctx);

/* Number of rows (tests, status). */
stella_err ledger_count(struct store *s, int64_t *n);

/* ---- Stored checkpoints --------------------------------------------------- */

typedef struct ledger_checkpoint {
  char log_id[65];
  char origin[256];         /* the note's origin line */
  char backend[1024];
  uint64_t size;
  char root_hash[65];       /* hex */
  int64_t verified_at;
  int64_t seq;              /* write order over all checkpoints (out only) */
} ledger_checkpoint;

/* Stores (replacing) the checkpoint last verified for (log_id, origin,
 * backend), with the next write sequence number; note is the full signed
 * note, kept for the record. A size smaller than the one stored is not
 * written (a log never shrinks: another process stored a newer head). */
stella_err ledger_put_checkpoint(struct store *s, const ledger_checkpoint *c,
                                 const char *note);

/* The checkpoint of (log_id, origin) with the largest size over every
 * backend (the consistency baseline). STELLA_E_NOT_FOUND if none. */
stella_err ledger_latest_checkpoint(struct store *s, const char *log_id,
                                    const char *origin,
                                    ledger_checkpoint *out);

/* The checkpoint of (log_id, origin) stored for this backend: the largest
 * tree it has shown (a log never shrinks). STELLA_E_NOT_FOUND if none. */
stella_err ledger_checkpoint_of(struct store *s, const char *log_id,
                                const char *origin, const char *backend,
                                ledger_checkpoint *out);

/* The sequence number of the checkpoint written last (0 if none): taken
 * before a request, it tells a stored head written since then. */
stella_err ledger_checkpoint_seq(struct store *s, int64_t *out);

/* The checkpoint last verified from backend (any log). STELLA_E_NOT_FOUND
 * if none. */
stella_err ledger_backend_checkpoint(struct store *s, const char *backend,
                                     ledger_checkpoint *out);

/* ---- Operation log and metrics ---------------------------------------------- */

/* op: "submit", "verify", "loginfo", "route" (a backend choice: detail
 * says why, e.g. "failover: https://a open"). ok 1/0. detail one line. */
stella_err ledger_record_op(struct store *s, int64_t now, const char *op,
                            const char *backend, int ok, const char *detail);

typedef struct ledger_rate {
  int64_t total;            /* ops of that kind in (now - 3600, now] */
  int64_t failed;
  double rate;              /* failed / total, 0 when total is 0 */
} ledger_rate;

stella_err ledger_op_rate(struct store *s, const char *op, int64_t now,
                          ledger_rate *out);

/* Deletes operation rows older than now - keep_s (called now and then by
 * the client so the table stays small). */
stella_err ledger_prune_ops(struct store *s, int64_t now, int64_t keep_s);

#endif
