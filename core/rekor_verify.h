/* rekor_verify.h - Rekor transparency-log entries and their verification,
 * with keys only from a verified trusted_root.json:
 *   - the log keyring (tlogs of trusted_root: key, log ID, note key name
 *     and id, validity window);
 *   - entries in both shapes: the Rekor v1 REST API (LogEntryAnon: numbers,
 *     hex) and Sigstore bundles v0.1-v0.3 (tlogEntries: strings, base64);
 *   - checks: signed entry timestamp (SET), RFC 9162 inclusion proof,
 *     checkpoint (signed note; size and root must match the proof), entry
 *     time inside its key's validity window;
 *   - the Rekor API responses the client reads (log info, consistency
 *     proof) and the hashedrekord proposal it sends.
 * Pure: no files, no network. Facts about the formats:
 * tests/data/rekor-*\/README.md. */
#ifndef STELLA_CORE_REKOR_VERIFY_H
#define STELLA_CORE_REKOR_VERIFY_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "checkpoint.h"
#include "crypto.h"
#include "merkle.h"
#include "stella/stella.h"

/* Caps on what a Rekor server may send us. */
#define REKOR_MAX_RESPONSE (4 * 1024 * 1024)   /* one API response */
#define REKOR_MAX_PROOF_HASHES 64              /* 2^64 leaves */
#define REKOR_MAX_ENTRIES_PER_RESPONSE 256

/* ---- The log keyring ------------------------------------------------------ */

typedef struct rekor_log_key {
  char *base_url;          /* tlog baseUrl, e.g. "https://rekor.sigstore.dev" */
  char *note_name;         /* checkpoint key name: host[:port] of base_url */
  char *name;              /* the key's human name ("rekor-key-v1") or "" */
  merkle_hash log_id;      /* logId.keyId (32 bytes) */
  char log_id_hex[2 * MERKLE_HASH_LEN + 1];
  uint8_t note_id[4];      /* checkpoint_key_id(note_name, key) */
  crypto_key *key;
  int64_t valid_from;      /* 0 when absent */
  int64_t valid_until;     /* 0 when open-ended */
} rekor_log_key;

typedef struct rekor_keyring {
  rekor_log_key *keys;
  size_t n, cap;
} rekor_keyring;

/* Appends the tlogs of a trusted_root.json (keys it cannot use, e.g. an
 * unknown algorithm, are skipped: they can never verify). STELLA_E_PARSE /
 * STELLA_E_FORMAT with a reason in errbuf; kr unchanged on failure. */
stella_err rekor_keyring_add_trusted_root(rekor_keyring *kr, const char *buf,
                                          size_t len, char *errbuf,
                                          size_t errlen);

/* Sets the human name of the key with this log ID (lowercase hex); no-op
 * when absent. */
stella_err rekor_keyring_set_name(rekor_keyring *kr, const char *log_id_hex,
                                  const char *name);

void rekor_keyring_clear(rekor_keyring *kr); /* NULL-safe; zeroes it */

/* The key with this 32-byte log ID, or NULL. Borrowed from kr. */
const rekor_log_key *rekor_keyring_by_log_id(const rekor_keyring *kr,
                                             const merkle_hash log_id);

/* --key-id lookup: a full log ID in hex, a unique hex prefix of at least 8
 * digits, or a key's human name. STELLA_E_NOT_FOUND when nothing matches,
 * STELLA_E_INVALID_ARG when a prefix is shorter than 8 digits or matches
 * more than one key (errbuf says which). */
stella_err rekor_keyring_find(const rekor_keyring *kr, const char *id,
                              const rekor_log_key **out, char *errbuf,
                              size_t errlen);

/* note_key views of every key (for checkpoint_verify), malloc'd array of
 * kr->n items pointing into kr. */
stella_err rekor_keyring_note_keys(const rekor_keyring *kr, note_key **out);

/* host[:port] of an http(s) URL, malloc'd ("https://a.b:8443/x" ->
 * "a.b:8443"). STELLA_E_FORMAT when url is not http(s). */
stella_err rekor_note_name_from_url(const char *url, char **out);

/* ---- Entries ---------------------------------------------------------- */

typedef struct rekor_entry {
  char *uuid;              /* as the API keyed it, "" if unknown (bundles) */
  char *body_b64;          /* canonicalized body, base64, exactly as sent */
  uint8_t *body;           /* its decoded bytes */
  size_t body_len;
  char kind[32];           /* "hashedrekord", "intoto", "dsse" ... or "" */
  char kind_version[16];   /* "0.0.1" ... or "" */
  int has_integrated_time; /* Rekor v2 entries have none */
  int64_t integrated_time;
  merkle_hash log_id;
  int64_t log_index;       /* global index (what the SET signs) */
  uint8_t *set;            /* signed entry timestamp (DER), NULL if none */
  size_t set_len;
  int has_proof;
  int64_t proof_index;     /* shard-local leaf index */
  int64_t tree_size;
  merkle_hash root_hash;
  merkle_hash *hashes;     /* proof hashes, n_hashes of them */
  size_t n_hashes;
  char *checkpoint;        /* signed note, NULL if none */
} rekor_entry;

void rekor_entry_clear(rekor_entry *e); /* NULL-safe; zeroes e */
void rekor_entries_free(rekor_entry *v, size_t n);

/* A Rekor v1 API reply holding entries: {"<uuid>": LogEntryAnon, ...} (GET
 * /entries/{uuid}, ?logIndex=, POST /entries) or an array of such objects
 * (POST /entries/retrieve). *out is malloc'd (rekor_entries_free). At most
 * REKOR_MAX_ENTRIES_PER_RESPONSE entries. STELLA_E_PARSE for non-JSON (an
 * HTML page), STELLA_E_FORMAT for a wrong shape, with a reason. */
stella_err rekor_entries_from_api(const char *buf, size_t len,
                                  rekor_entry **out, size_t *n, char *errbuf,
                                  size_t errlen);

/* One LogEntryAnon JSON object (no uuid wrapper), e.g. a file saved from
 * the API. uuid may be NULL. */
stella_err rekor_entry_from_api_object(const char *buf, size_t len,
                                       const char *uuid, rekor_entry *out,
                                       char *errbuf, size_t errlen);

/* A Sigstore bundle (application/vnd.dev.sigstore.bundle+json;version=0.1,
 * 0.2, 0.3 or the v0.3 form "...bundle.v0.3+json"): its tlog entries. */
typedef struct rekor_bundle {
  int minor;               /* 1, 2 or 3 */
  rekor_entry *entries;
  size_t n;
} rekor_bundle;

stella_err rekor_bundle_parse(const char *buf, size_t len, rekor_bundle *out,
                              char *errbuf, size_t errlen);
void rekor_bundle_clear(rekor_bundle *b); /* NULL-safe */

/* ---- Verification ------------------------------------------------------- */

/* Per-check outcome. */
typedef enum rekor_check_state {
  REKOR_CHECK_ABSENT = 0,  /* the entry does not carry this element */
  REKOR_CHECK_OK,
  REKOR_CHECK_FAILED
} rekor_check_state;

/* Which check failed first, for messages and tests. */
typedef enum rekor_failure {
  REKOR_FAIL_NONE = 0,
  REKOR_FAIL_KEY,          /* no trusted key has the entry's log ID */
  REKOR_FAIL_SET,          /* signed entry timestamp does not verify */
  REKOR_FAIL_PROOF,        /* inclusion proof malformed or wrong root */
  REKOR_FAIL_CHECKPOINT,   /* note unparsable, unsigned, or not matching */
  REKOR_FAIL_MISSING,      /* neither SET nor proof (or a required proof) */
  REKOR_FAIL_VALIDITY      /* integrated time outside the key's window */
} rekor_failure;

typedef struct rekor_verify_opts {
  int require_proof;       /* bundles v0.2+, Rekor v2: proof mandatory */
  int require_set;         /* e.g. a freshly submitted v1 entry */
  int check_validity;      /* 1: integrated time must be inside the key's
                              validity window (default in the client) */
} rekor_verify_opts;

typedef struct rekor_verify_result {
  const rekor_log_key *key;    /* borrowed from the keyring, NULL if none */
  rekor_check_state set, proof, checkpoint;
  int in_validity;             /* 1, or 0 when outside (or no time) */
  rekor_failure failure;       /* the first check that failed */
  checkpoint cp;               /* the parsed checkpoint when present
                                  (rekor_verify_result_clear frees it) */
  char reason[256];            /* one line: which check and why */
} rekor_verify_result;

/* Runs every check an entry allows. Returns STELLA_OK when all present
 * elements verify, at least one of SET / proof is present (subject to
 * opts), and (with check_validity) the time is inside the window; else:
 * STELLA_E_NOT_FOUND (no key), STELLA_E_SIGNATURE (SET, checkpoint),
 * STELLA_E_HASH (proof root), STELLA_E_FORMAT (malformed proof, missing
 * elements), STELLA_E_EXPIRED (outside the validity window), with res
 * saying which. opts may be NULL (all 0). */
stella_err rekor_entry_verify(const rekor_entry *e, const rekor_keyring *kr,
                              const rekor_verify_opts *opts,
                              rekor_verify_result *res);

void rekor_verify_result_clear(rekor_verify_result *res);

/* Verifies every tlog entry of a bundle with the rules of its version
 * (v0.1: SET alone suffices; v0.2+: inclusion proof required). The first
 * failure is returned with res describing it; *failed_at gets its index. */
stella_err rekor_bundle_verify(const rekor_bundle *b, const rekor_keyring *kr,
                               int check_validity, rekor_verify_result *res,
                               size_t *failed_at);

/* A standalone checkpoint: verified against every key of kr whose note name
 * and id match a signature line. *key (may be NULL) gets the key that
 * verified. */
stella_err rekor_checkpoint_verify(const char *note, size_t len,
                                   const rekor_keyring *kr, checkpoint *out,
                                   const rekor_log_key **key, char *errbuf,
                                   size_t errlen);

/* The exact bytes a SET signs: canonical JSON
 * {"body":"<b64>","integratedTime":N,"logID":"<hex>","logIndex":N}
 * appended to out. Shared by the verifier and the drill log. */
stella_err rekor_set_payload(const char *body_b64, int64_t integrated_time,
                             const char *log_id_hex, int64_t log_index,
                             sbuf *out);

/* ---- API responses and requests ------------------------------------------ */

/* GET /api/v1/log */
typedef struct rekor_log_info {
  uint64_t tree_size;
  merkle_hash root_hash;
  char *tree_id;           /* decimal string */
  char *signed_tree_head;  /* the checkpoint note */
  size_t n_inactive_shards;/* inactiveShards present (not verified here) */
} rekor_log_info;

stella_err rekor_log_info_parse(const char *buf, size_t len,
                                rekor_log_info *out, char *errbuf,
                                size_t errlen);
void rekor_log_info_clear(rekor_log_info *li);

/* GET /api/v1/log/proof: {"rootHash": hex, "hashes": [hex...]} */
typedef struct rekor_consistency {
  merkle_hash root_hash;
  merkle_hash *hashes;     /* malloc'd */
  size_t n_hashes;
} rekor_consistency;

stella_err rekor_consistency_parse(const char *buf, size_t len,
                                   rekor_consistency *out, char *errbuf,
                                   size_t errlen);
void rekor_consistency_clear(rekor_consistency *c);

/* The POST /api/v1/log/entries body for a hashedrekord v0.0.1 entry:
 * artifact digest (SHA-256), signature bytes, PEM public key. Appended to
 * out as compact JSON. */
stella_err rekor_hashedrekord_proposal(const uint8_t digest[32],
                                       const uint8_t *sig, size_t siglen,
                                       const char *pubkey_pem, size_t pemlen,
                                       sbuf *out);

#endif
