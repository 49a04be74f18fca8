/* drill.h - the drill log: a small Rekor v1-compatible transparency log
 * on loopback for rehearsals and tests (`stella drill-log`). Real Merkle
 * tree (core/merkle.h) and entries in sqlite (STATE/drill.db), its own
 * ECDSA P-256 key (STATE/key.pem, 0600, made on first start), checkpoints
 * (core/checkpoint.h) and SETs (rekor_set_payload) signed with it. Serves
 * with libmicrohttpd:
 *   GET  /api/v1/log                       log info + signed checkpoint
 *   GET  /api/v1/log/proof?firstSize=&lastSize=[&treeID=]
 *   GET  /api/v1/log/entries?logIndex=N
 *   GET  /api/v1/log/entries/{uuid or entry ID}
 *   POST /api/v1/log/entries               hashedrekord v0.0.1 (201; 409
 *                                          with Location when present)
 *   POST /api/v1/log/entries/retrieve      {"entryUUIDs"|"logIndexes"}
 *   GET  /api/v1/log/publicKey             PEM
 *   GET|POST /__drill/fault                fault control (never faulted)
 * A read replica (--replica-of URL) copies the upstream's entries and
 * serves its signed checkpoints; it refuses POST /entries.
 * Faults (changed while running): none, down (API connections are closed
 * without a reply), hang (never answers), garbage (200 with an HTML page),
 * truncate (announces more bytes than it sends), slow MS, error CODE. hang
 * and slow hold at most half the connections (the rest get a 503), so the
 * fault control finds room. */
#ifndef STELLA_DRILL_DRILL_H
#define STELLA_DRILL_DRILL_H

#include <stddef.h>
#include "stella/stella.h"

typedef struct drill_serve_opts {
  const char *addr;        /* "127.0.0.1:PORT" (loopback only; PORT 0 picks) */
  const char *state_dir;   /* created if missing */
  const char *replica_of;  /* upstream drill log URL, or NULL */
  const char *name;        /* origin / note key name; NULL: "127.0.0.1:PORT" */
  const stella_clock *clock; /* integrated times; NULL: system clock */
} drill_serve_opts;

/* Serves until SIGINT or SIGTERM. Prints one ready line on stdout once
 * listening ("drill-log: serving http://127.0.0.1:PORT (log ID <hex>)")
 * and flushes it. Returns STELLA_OK after a clean stop; errors (address
 * in use, a state folder that is not ours, a non-loopback address) with
 * one line in errbuf. */
stella_err drill_serve(const drill_serve_opts *o, char *errbuf,
                       size_t errlen);

/* The PEM public key of the drill log in state_dir, malloc'd into *pem.
 * STELLA_E_NOT_FOUND when the folder has no key yet. */
stella_err drill_pubkey(const char *state_dir, char **pem, char *errbuf,
                        size_t errlen);

/* Sets the fault mode of the drill log at addr: mode is one of none, down,
 * hang, garbage, truncate, slow, error; arg the milliseconds (slow) or the
 * HTTP status 400..599 (error), else NULL. STELLA_E_INVALID_ARG for a bad
 * mode/arg, STELLA_E_NETWORK when nothing listens there. */
stella_err drill_fault(const char *addr, const char *mode, const char *arg,
                       char *errbuf, size_t errlen);

#endif
