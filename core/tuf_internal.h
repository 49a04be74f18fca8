/* tuf_internal.h - pieces shared by the TUF client files (tuf.c: refresh
 * workflow, tuf_meta.c: one metadata file, tuf_target.c: delegation walk and
 * artifact download). Not part of any public contract. */
#ifndef STELLA_CORE_TUF_INTERNAL_H
#define STELLA_CORE_TUF_INTERNAL_H

#include "tuf.h"
#include "fsutil.h"
#include "json.h"

#define TUF_ERRLEN 512

/* One metadata file as received: the parse tree, which also keeps the raw
 * bytes for byte-exact storage (json_doc_source; there is no second copy),
 * and the fields every role has. */
typedef struct tuf_meta {
  size_t raw_len;
  json_doc *doc;
  const json_val *signed_part;  /* "signed" */
  const json_val *signatures;   /* "signatures" */
  int64_t version;
  int64_t expires;
} tuf_meta;

/* Parses raw in place (taking ownership of the malloc'd buffer, which must
 * hold raw_len + 1 bytes, even on failure: check hashes before) and
 * checks the common shape: signed/signatures, _type == type, spec_version
 * major 1, version >= 1, expires, no keyid twice in signatures. what names
 * the file in messages ("snapshot v3", "role1"). */
stella_err tuf_meta_parse(tuf_meta *m, char *raw, size_t raw_len,
                          const char *type, const char *what, char *err,
                          size_t errlen);
void tuf_meta_clear(tuf_meta *m);

/* Replaces path with the bytes m was parsed from (temp + fsync + rename). */
stella_err tuf_meta_write(const tuf_meta *m, const char *path);

/* Stages the bytes m was parsed from to replace path when batch commits. */
stella_err tuf_meta_stage(const tuf_meta *m, fs_batch *batch,
                          const char *path);

/* Counts distinct keyids of role (an object with keyids + threshold) with
 * a valid signature over canon (the canonical "signed"), keys looked up in
 * keys (keyid -> key object). STELLA_E_SIGNATURE below threshold. */
stella_err tuf_meta_check_sigs(const tuf_meta *m, const sbuf *canon,
                               const json_val *keys, const json_val *role,
                               const char *what, char *err, size_t errlen);

/* Canonicalizes m->signed_part once and checks it against keys/role. */
stella_err tuf_meta_verify(const tuf_meta *m, const json_val *keys,
                           const json_val *role, const char *what, char *err,
                           size_t errlen);

/* Checks data against a meta/target info object: "length" (if present or
 * required) and every entry of "hashes" (sha256, sha512; other algorithms
 * fail with STELLA_E_UNSUPPORTED). */
stella_err tuf_check_length_hashes(const json_val *info, const void *data,
                                   size_t len, int length_required,
                                   const char *what, char *err,
                                   size_t errlen);

/* Python fnmatch semantics per '/'-separated segment, same segment count. */
int tuf_path_matches(const char *pattern, const char *path);

/* Does delegated role object d (paths or path_hash_prefixes) cover path? */
int tuf_role_covers(const json_val *d, const char *path);

/* Reads a whole file into a malloc'd buffer. NOT_FOUND if absent. */
stella_err tuf_read_file(const char *path, size_t max, char **out,
                         size_t *len);

/* A delegated targets role loaded during searches. */
typedef struct tuf_deleg {
  char *name;
  tuf_meta meta;
  char *verified_by; /* delegator whose keys last verified it */
} tuf_deleg;

struct tuf_client {
  char *metadata_dir;
  char *metadata_url;
  char *targets_url;
  const stella_clock *clock;
  stella_fetcher *fetcher;
  tuf_limits limits;
  int64_t allow_stale_seconds;
  stella_note_fn note;
  void *note_ctx;
  tuf_config hooks; /* root_accepted + ctx, copied from the config */

  int64_t now;            /* fixed at the start of a refresh */
  int refreshed;
  tuf_meta root, timestamp, snapshot, targets;
  /* During a refresh: the timestamp, snapshot and targets files it has
   * accepted, committed together when it ends (tuf.c: commit_pending).
   * NULL otherwise: a delegated role met in a target search is stored at
   * once. */
  fs_batch *pending;
  int have_timestamp, have_snapshot, have_targets;
  tuf_deleg *delegs;
  size_t n_delegs;
  tuf_stale *stale;
  size_t n_stale;
  char errmsg[TUF_ERRLEN];
};

/* Sets c->errmsg (printf style) and returns e. */
stella_err tuf_fail(tuf_client *c, stella_err e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void tuf_note(tuf_client *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Expiry check honouring allow_stale_seconds (records and notes tolerated
 * roles). */
stella_err tuf_check_expiry(tuf_client *c, const char *role,
                            const tuf_meta *m);

/* Records a failed GET of url as one statement, "fetching URL failed: why
 * (what to do)", folding in the fetcher's message ferr. */
void tuf_fail_fetch(tuf_client *c, stella_err e, const char *url,
                    const char *ferr);

/* GETs metadata_url + name with a cap; body malloc'd into *out. */
stella_err tuf_fetch_meta(tuf_client *c, const char *name, size_t max,
                          char **out, size_t *len);

/* Loads (local if still valid, else downloaded) targets role `name` with
 * the given delegation keys/role, checked against snapshot meta, and
 * persists it. m receives the trusted metadata. */
stella_err tuf_load_targets_role(tuf_client *c, const char *name,
                                 const json_val *keys, const json_val *role,
                                 tuf_meta *m);

/* File name "<pct>.json" / URL part for a role. malloc'd. */
char *tuf_role_file_name(const char *role, const char *prefix);

#endif
