/* tuf.h - the TUF 1.0.x client workflow (spec section 5), used by
 * `stella trust` (core/trust.c), the conformance client and the bench client.
 *
 * State lives in one metadata folder laid out exactly as the TUF conformance
 * suite expects: root.json, timestamp.json, snapshot.json, targets.json and
 * one <pct-encoded role>.json per delegated role, each stored byte-for-byte
 * as received and written atomically. Nothing else ending in .json goes
 * there.
 */
#ifndef STELLA_CORE_TUF_H
#define STELLA_CORE_TUF_H

#include <stddef.h>
#include <stdint.h>
#include "stella/stella.h"
#include "fetch.h"
#include "buf.h"

typedef struct tuf_limits {
  size_t root_max;        /* 0 = 512000 bytes */
  size_t timestamp_max;   /* 0 = 16384 */
  size_t snapshot_max;    /* 0 = 2000000 (used when timestamp gives no length) */
  size_t targets_max;     /* 0 = 5000000 (used when snapshot gives no length) */
  int max_root_rotations; /* 0 = 256 */
  int max_delegations;    /* roles visited per target search; 0 = 32 */
  size_t target_file_max; /* 0 = 512 MiB: cap for artifacts (length given) */
} tuf_limits;

/* One item --allow-stale tolerated. */
typedef struct tuf_stale {
  char role[128];
  int64_t expires;
} tuf_stale;

typedef struct tuf_config {
  const char *metadata_dir; /* trusted metadata folder (must exist) */
  const char *metadata_url; /* prefix, appended to as is; ends with '/' */
  const char *targets_url;  /* prefix for artifacts; ends with '/' */
  const stella_clock *clock;      /* NULL = system clock */
  stella_fetcher *fetcher;        /* required for refresh/download */
  tuf_limits limits;              /* zeros = defaults */
  /* > 0: accept metadata that expired at most this many seconds ago
   * (signatures, thresholds, versions, hashes are never relaxed); each
   * tolerated role is reported through note and tuf_client_stale(). */
  int64_t allow_stale_seconds;
  stella_note_fn note;            /* may be NULL: progress and warnings */
  void *note_ctx;
  /* May be NULL: called each time root v`version` has been verified and
   * persisted as METADATA_DIR/root.json (root history for trust bundles).
   * Its failures are not the client's. */
  void (*root_accepted)(void *ctx, int64_t version, const char *metadata_dir);
  void *root_accepted_ctx;
} tuf_config;

typedef struct tuf_client tuf_client;

/* Loads METADATA_DIR/root.json and checks it is signed by a threshold of its
 * own root keys (spec 5.2) before anything touches the network. The config
 * strings are copied. STELLA_E_NOT_INITIALIZED if root.json is absent. On
 * failure *out is NULL and errbuf (may be NULL) says why. */
stella_err tuf_client_new(const tuf_config *cfg, tuf_client **out,
                          char *errbuf, size_t errlen);
void tuf_client_free(tuf_client *c); /* NULL-safe */

/* The one-line message of the last failure on c. Owned by c. */
const char *tuf_client_errmsg(const tuf_client *c);

/* Top-level refresh (5.3 root chain, 5.4 timestamp, 5.5 snapshot, 5.6
 * targets). BLOCKS on the fetcher. Every accepted file is stored by the
 * time the call returns, also when it fails: a root chain when it ends,
 * timestamp, snapshot and targets together at the end of the refresh; what
 * was accepted before a failure stays trusted. */
stella_err tuf_refresh(tuf_client *c);

/* Items tolerated by allow_stale during this client's life. Owned by c. */
const tuf_stale *tuf_client_stale(const tuf_client *c, size_t *n);

typedef struct tuf_target tuf_target;

/* Finds targetpath by pre-order depth-first search of the delegation graph
 * (5.6.7), fetching and verifying delegated roles lazily. Needs a prior
 * successful tuf_refresh() on c. STELLA_E_NOT_FOUND if no role lists it.
 * *out is freed with tuf_target_free(). */
stella_err tuf_find_target(tuf_client *c, const char *targetpath,
                           tuf_target **out);
void tuf_target_free(tuf_target *t); /* NULL-safe */
const char *tuf_target_path(const tuf_target *t);
uint64_t tuf_target_length(const tuf_target *t);

/* Makes sure dest_file holds the verified target: if it already exists with
 * the right length and every listed hash, nothing is downloaded. Otherwise
 * fetches targets_url + dirs + "<hash>.<basename>" when consistent_snapshot
 * is on (else targets_url + path), checks the length and every listed hash
 * (sha256, sha512; an unknown algorithm fails), and only then writes
 * dest_file atomically. If content is not NULL it receives the bytes. */
stella_err tuf_download_target(tuf_client *c, const tuf_target *t,
                               const char *dest_file, sbuf *content);

/* Reads the stored (already trusted) metadata of a top-level role without
 * network and without re-verifying: version and expiry, for status.
 * STELLA_E_NOT_FOUND if the role has no file yet. */
stella_err tuf_role_info(const char *metadata_dir, const char *role,
                         int64_t *version, int64_t *expires);

/* Checks root bytes for `trust init`: parses, _type root, spec version 1,
 * signed by a threshold of its own root keys. errbuf says why not. */
stella_err tuf_check_root_bytes(const char *bytes, size_t len, char *errbuf,
                                size_t errlen);

#endif
