/* repo.h - public API of the repository side: the TUF repository workspace
 * an admin keeps on the admin machine (`stella tuf ...`, devops/scripts/).
 *
 * One opaque handle, stella_repo, over one workspace folder (layout in
 * docs/repository.md, "Repository workspace"). Every change only STAGES;
 * stella_repo_sign() turns staged changes into signed metadata and
 * stella_repo_publish() runs our own TUF client over the result (preflight)
 * before anything reaches the web root. Same conventions as stella.h: every
 * call returns a stella_err, the handle keeps a one-line message (what
 * failed, why, what to do: stella_repo_errmsg()), nothing prints or exits,
 * private key bytes are never put in a message. No call touches the network.
 */
#ifndef STELLA_REPO_H
#define STELLA_REPO_H

#include <stddef.h>
#include <stdint.h>

#include "stella/stella.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct stella_repo stella_repo;

/* A new handle with no workspace yet. clock NULL means the system clock;
 * a non-NULL clock must outlive the handle. note (may be NULL) receives
 * progress lines ("generated keys/root/holder-1.pem", "targets v3 signed"),
 * one line per call, never secret material. NULL on NOMEM. Never blocks. */
STELLA_API stella_repo *stella_repo_new(const stella_clock *clock,
                                        stella_note_fn note, void *note_ctx);

/* NULL-safe. */
STELLA_API void stella_repo_free(stella_repo *r);

/* The one-line message of the last failed call ("" if none). Owned by r,
 * valid until the next call on r. */
STELLA_API const char *stella_repo_errmsg(const stella_repo *r);

/* Absolute path of the loaded workspace, "" before init/open. Owned by r. */
STELLA_API const char *stella_repo_dir(const stella_repo *r);

typedef struct stella_repo_init_opts {
  const char *rekor_url;        /* primary Rekor endpoint (required) */
  const char *rekor_key_file;   /* PEM SPKI public key of the log (required) */
  const char *rekor_key_name;   /* NULL: from the file name ("rekor-key-v1") */
  const char *const *mirror_urls; /* more Rekor endpoints, may be NULL */
  size_t n_mirror_urls;
  int root_keys;                /* root key holders; 0 = 1 */
  int root_threshold;           /* 0 = 1; must be 1..root_keys */
  const char *key_type;         /* "ed25519" (NULL) or "ecdsa-p256" */
  const char *publish_to;       /* default web root for publish, may be NULL */
  const char *operator_name;    /* signing_config operator; NULL: URL host */
} stella_repo_init_opts;

/* `stella tuf repo init`: creates the workspace dir (must not exist or be
 * empty). The Rekor URLs must pass core/url.h's check (http(s), no
 * user:password@, no control byte; STELLA_E_INVALID_ARG) and are stored
 * without a trailing '/'; one given twice is refused, and so is a log key
 * name that is not a key name (see "Changes" below). Then: keys per role
 * (PEM PKCS#8, 0600), root v1 signed by every holder,
 * staged targets/snapshot/timestamp with consistent_snapshot, the service
 * map targets (trusted_root.json, signing_config.v0.2.json,
 * signing_keys.json), the expiry policy, scripts/ and CHANGELOG. On success
 * r is loaded on it. Nothing is left behind on failure. */
STELLA_API stella_err stella_repo_init(stella_repo *r, const char *dir,
                                       const stella_repo_init_opts *opts);

/* Loads an existing workspace. STELLA_E_NOT_FOUND (with a message saying
 * so) when dir is not one. */
STELLA_API stella_err stella_repo_open(stella_repo *r, const char *dir);

/* ---- Changes: each one only stages (files under staged/, CHANGELOG) ----
 * Each holds the workspace lock (DIR/.lock, as sign, publish and the
 * ceremony do) and fails at once with STELLA_E_EXISTS while another command
 * holds it. Input is published and shown on terminals, so it is checked
 * first (STELLA_E_INVALID_ARG, nothing staged): URLs as for init (a
 * trailing '/' is dropped and ignored when matching), key names 1..64
 * printable ASCII characters without space or '/' and not starting with
 * '.', notes UTF-8 without control characters (C0, DEL, C1), at most 1000
 * bytes. */

/* The new URL becomes the primary Rekor endpoint (first in rekorTlogUrls;
 * a new entry valid from now, or an open mirror entry moved first); the
 * previous primary's validity ends now (kept for history; other mirrors
 * stay). A URL seen before gets a fresh entry. note is required (recorded
 * with the time in the target's custom metadata and CHANGELOG). */
STELLA_API stella_err stella_repo_endpoint_swap(stella_repo *r,
                                                const char *new_url,
                                                const char *note);

/* Adds a mirror Rekor endpoint (appended, valid from now) / ends the
 * validity of an open entry for url (STELLA_E_NOT_FOUND if none). note may
 * be NULL. Removing the last valid endpoint is refused. */
STELLA_API stella_err stella_repo_endpoint_add(stella_repo *r, const char *url,
                                               const char *note);
STELLA_API stella_err stella_repo_endpoint_remove(stella_repo *r,
                                                  const char *url,
                                                  const char *note);

/* Adds a transparency-log key (PEM SPKI file) to trusted_root.json, valid
 * from now, for base_url (NULL: the current primary Rekor URL; a mirror
 * that is a log of its own, e.g. a second drill log, names its URL here).
 * name NULL: the file name without extension. Refuses a key already
 * present or a name in use. */
STELLA_API stella_err stella_repo_rekor_key_add(stella_repo *r,
                                                const char *pub_file,
                                                const char *name,
                                                const char *base_url,
                                                const char *note);

/* Ends the validity of the log key called name: at compromised_since (epoch
 * seconds, > 0 for a compromise) or now (0). A compromise time more than 5
 * minutes ahead of the clock is refused (STELLA_E_INVALID_ARG: the key
 * would stay valid until then; up to 5 minutes ahead counts as now), and
 * so is one before the key's validity start. Without skip_grace (and
 * without a compromise) refuses while the newest other key is younger than
 * the grace period (the timestamp expiry: every client has seen it).
 * Refuses to leave no valid key. */
STELLA_API stella_err stella_repo_rekor_key_remove(stella_repo *r,
                                                   const char *name,
                                                   int64_t compromised_since,
                                                   int skip_grace,
                                                   const char *note);

/* Generates an attestation signing key pair: out_dir/NAME.pem (PKCS#8,
 * 0600) and out_dir/NAME.pub (SPKI PEM). key_type NULL = "ecdsa-p256";
 * name NULL = "signing-key-<UTC date>". If r has a workspace loaded, the
 * public key is staged in signing_keys.json as "active"; r may also be a
 * fresh handle (key pair only). Refuses to overwrite files. */
STELLA_API stella_err stella_repo_signing_key_generate(stella_repo *r,
                                                       const char *key_type,
                                                       const char *name,
                                                       const char *out_dir,
                                                       const char *note);

/* Marks the signing key called name "retired" (validity ends now) or, with
 * compromised_since > 0, "compromised" (validity ends then; the same
 * limits as for stella_repo_rekor_key_remove). */
STELLA_API stella_err stella_repo_signing_key_retire(stella_repo *r,
                                                     const char *name,
                                                     int64_t compromised_since,
                                                     const char *note);

/* ---- Sign, publish, diff ------------------------------------------------ */

typedef struct stella_repo_sign_opts {
  const char *role;      /* NULL: all roles with online keys; else one role */
  const char *key_file;  /* with role: add this key holder's signature */
} stella_repo_sign_opts;

/* What is still missing before publish can succeed. */
typedef struct stella_repo_missing {
  char role[64];
  int version;           /* staged version of role */
  int have, need;        /* valid signatures from authorized keys */
  int keys;              /* keyids the root authorizes for the role (need >
                            keys: the threshold can never be met) */
  char keyids[1024];     /* authorized keyids not yet signed: the first 16
                            hex digits of each, ", "-joined */
} stella_repo_missing;

/* `stella tuf sign`: bumps the version of every role whose content changed
 * (targets -> snapshot -> timestamp; timestamp and snapshot also when more
 * than half of their expiry period is gone), sets expiries from the policy,
 * signs with the online keys; with opts->role/key_file adds one signature
 * (the key must be authorized for the role: STELLA_E_SIGNATURE if not).
 * *missing (caller frees with free(); may be NULL) lists the roles still
 * short of their threshold, *n_missing how many (0 = ready to publish). */
STELLA_API stella_err stella_repo_sign(stella_repo *r,
                                       const stella_repo_sign_opts *opts,
                                       stella_repo_missing **missing,
                                       size_t *n_missing);

/* `stella tuf publish`: PREFLIGHT with our own TUF client (from the
 * published state and from root v1 to the staged state: thresholds,
 * versions, expiry, hashes, rollback, and the service map parses), then
 * writes published/ and the web root to_dir (NULL: the policy's
 * publish_to, else published/ only): hash-prefixed targets and versioned
 * metadata first, timestamp.json last, old versions kept. A refusal leaves
 * every published folder untouched. */
STELLA_API stella_err stella_repo_publish(stella_repo *r, const char *to_dir);

/* `stella tuf diff`: staged against published, one line per change in an
 * operator's words, through line(ctx, text). Returns the number of lines
 * via *n_changes (0: nothing to publish). */
STELLA_API stella_err stella_repo_diff(stella_repo *r, stella_note_fn line,
                                       void *ctx, size_t *n_changes);

/* ---- Root key ceremony (core/ceremony.c; docs/repository.md) -------------
 * Root N is the published root; the ceremony stages root N+1 as the plain
 * file DIR/staged/ceremony/root.json (it may travel on removable media
 * between key holders). It needs BOTH thresholds: root N's keys (the chain
 * a client walks, spec 5.3.4) and root N+1's own keys (5.3.5). */

#define STELLA_CEREMONY_MAX_KEYS 32 /* root keys per set we report */

typedef struct stella_ceremony_init_opts {
  int threshold;          /* signatures root N+1 needs, 1..keys */
  int keys;               /* new key holders (one key file each) */
  const char *algorithm;  /* "ed25519" or "ecdsa-p256"; NULL: the
                             workspace's key type */
  const char *out_dir;    /* the holders' key files; NULL: DIR/keys/root-next */
  int force;              /* replace a ceremony in progress (its unused key
                             files are archived, not deleted) */
} stella_ceremony_init_opts;

/* One root key of a set, and whether the ceremony root carries a valid
 * signature from it. */
typedef struct stella_ceremony_key {
  char keyid[65];
  char holder[512];       /* key file as recorded ("keys/root-next/holder-2.pem"
                             relative to DIR, else absolute), "" if unknown */
  int has_signature;
} stella_ceremony_key;

/* The keys of one root (N or N+1) and their count against its threshold. */
typedef struct stella_ceremony_set {
  int64_t version;        /* the root version whose root role these keys are */
  int have, need;         /* valid signatures / threshold */
  size_t n_keys;          /* entries in keys (capped at ..._MAX_KEYS) */
  stella_ceremony_key keys[STELLA_CEREMONY_MAX_KEYS];
} stella_ceremony_set;

typedef struct stella_ceremony_status {
  int64_t version;        /* N+1, the root being made */
  int64_t expires;        /* its expiry, epoch seconds */
  stella_ceremony_set old_root; /* root N's keys */
  stella_ceremony_set new_root; /* root N+1's keys */
  int ready;              /* both thresholds met */
} stella_ceremony_status;

/* `tuf-ceremony init` (`stella tuf ceremony init`): generates opts->keys new
 * key pairs (PEM PKCS#8 files, 0600, holder-1.pem ... in out_dir; one
 * note line per file with its path and keyid, never key material) and
 * stages root N+1: version N+1, the same online role keys, the new root
 * keys and threshold, expiry from the root policy. STELLA_E_EXISTS when a
 * ceremony is in progress and !force. st (may be NULL) gets the status.
 * BLOCKS on disk I/O. */
STELLA_API stella_err stella_repo_ceremony_init(
    stella_repo *r, const stella_ceremony_init_opts *opts,
    stella_ceremony_status *st);

/* Bits of *sets from stella_repo_ceremony_sign(). */
#define STELLA_CEREMONY_OLD 1 /* the key is one of root N's keys */
#define STELLA_CEREMONY_NEW 2 /* the key is one of root N+1's keys */

/* `stella tuf ceremony sign`: adds key_file's signature to the ceremony
 * root: root_file (NULL: DIR/staged/ceremony/root.json). Signing again with
 * the same key replaces its signature (idempotent). A root_file other than
 * the staged one must carry the same root; its valid signatures are then
 * also merged into the staged root. Refuses (STELLA_E_SIGNATURE) a key in
 * neither set, and a root that differs from the one init staged. keyid
 * (may be NULL) gets the key's id, *sets (may be NULL) which sets it is in,
 * st (may be NULL) the status after signing. BLOCKS on disk I/O. */
STELLA_API stella_err stella_repo_ceremony_sign(stella_repo *r,
                                                const char *key_file,
                                                const char *root_file,
                                                char keyid[65], int *sets,
                                                stella_ceremony_status *st);

/* `stella tuf ceremony status`: both thresholds of root_file (NULL: the
 * staged ceremony root) into *st. STELLA_E_NOT_FOUND when no ceremony is in
 * progress. BLOCKS on disk I/O. */
STELLA_API stella_err stella_repo_ceremony_status(stella_repo *r,
                                                  const char *root_file,
                                                  stella_ceremony_status *st);

/* `stella tuf ceremony finalize`: refuses (STELLA_E_SIGNATURE, message
 * says which signatures are missing) until both thresholds hold, then runs
 * the publish preflight with root N+1 staged (a client must reach it from
 * the published root; on refusal the staged root is put back). Then root
 * N+1 becomes staged/metadata/root.json, the new holders' key files move
 * to keys/root/ (the old ones to keys/archive/root-vN/), and CHANGELOG
 * records it. `stella tuf sign` + `publish` make it live. st (may be NULL)
 * gets the final status. BLOCKS on disk I/O. */
STELLA_API stella_err stella_repo_ceremony_finalize(stella_repo *r,
                                                    stella_ceremony_status *st);

#ifdef __cplusplus
}
#endif
#endif /* STELLA_REPO_H */
