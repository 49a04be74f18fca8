/* repo_internal.h - the repository workspace as other core modules see it
 * (the root key ceremony, core/ceremony*.c, builds on this).
 *
 * Layout of a workspace (docs/repository.md, "Repository workspace"):
 *   DIR/stella-repo.json        policy: key type, expiry per role, online
 *                               key files, default web root, grace period
 *   DIR/keys/root/<holder>.pem  one root key per key holder (PKCS#8, 0600)
 *   DIR/keys/<role>/<role>.pem  online keys: targets, snapshot, timestamp
 *   DIR/staged/metadata/<role>.json   signed envelopes {signed, signatures}
 *                               for root, targets, snapshot, timestamp
 *   DIR/staged/targets/<name>   target files as they will be published
 *   DIR/staged/custom.json      {"<target name>": {custom object}}
 *   DIR/published/              the last published web root, byte for byte:
 *                               N.root.json, N.targets.json, N.snapshot.json,
 *                               timestamp.json, targets/<sha256>.<name>
 *   DIR/CHANGELOG               append-only, one line per change
 *   DIR/.lock                   flock'd while a command changes the
 *                               workspace (changes, sign, publish, ceremony)
 *   DIR/scripts/sign-metadata.sh, DIR/scripts/publish.sh
 *
 * JSON is built with jansson (json_t) and canonicalized by parsing the dump
 * with core/json.c and calling json_canonical (one canonical encoder).
 */
#ifndef STELLA_CORE_REPO_INTERNAL_H
#define STELLA_CORE_REPO_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "buf.h"
#include "crypto_sign.h"
#include "stella/repo.h"
#include "stella/stella.h"
#include "url.h"

#define REPO_POLICY_FILE "stella-repo.json"
#define REPO_FORMAT "stella-tuf-repo/1"
#define REPO_SPEC_VERSION "1.0.31" /* spec_version of the metadata we write */
#define REPO_N_ROLES 4
#define REPO_KEY_MODE 0600
#define REPO_DIR_MODE 0700
#define REPO_FILE_MODE 0644

/* The four top-level roles, in signing order of a root change. */
extern const char *const repo_roles[REPO_N_ROLES]; /* root targets snapshot
                                                      timestamp */

/* A loaded workspace. Strings are owned by the workspace. */
typedef struct repo_ws {
  char *dir;                /* absolute path */
  const stella_clock *clock;/* never NULL (borrowed) */
  char *key_type;           /* "ed25519" or "ecdsa-p256": new keys */
  int64_t expiry[REPO_N_ROLES]; /* seconds, by repo_roles index */
  int64_t grace;            /* rekor key removal grace, seconds */
  char *publish_to;         /* default web root, or NULL */
  char *online_key[REPO_N_ROLES]; /* relative key file per role; [0] NULL */
} repo_ws;

/* Loads DIR/stella-repo.json. STELLA_E_NOT_FOUND when dir is not a
 * workspace, STELLA_E_FORMAT when the policy is unreadable; errbuf says
 * which. clock NULL = system clock. */
stella_err repo_ws_load(const char *dir, const stella_clock *clock,
                        repo_ws **out, char *errbuf, size_t errlen);
void repo_ws_free(repo_ws *ws); /* NULL-safe */

/* malloc'd absolute path DIR/rel (caller frees), NULL on NOMEM. */
char *repo_path(const repo_ws *ws, const char *rel);

/* Index of role in repo_roles, -1 if not a top-level role. */
int repo_role_index(const char *role);

/* Expiry period of role from the policy, seconds (0 if unknown role). */
int64_t repo_expiry_of(const repo_ws *ws, const char *role);

/* ---- Staged metadata ----------------------------------------------------- */

/* Reads staged/metadata/<role>.json into a new jansson envelope {signed,
 * signatures} (caller json_decref()s). STELLA_E_NOT_FOUND if absent. */
stella_err repo_staged_load(const repo_ws *ws, const char *role,
                            json_t **envelope, char *errbuf, size_t errlen);

/* Writes the envelope to staged/metadata/<role>.json atomically (0644). */
stella_err repo_staged_save(const repo_ws *ws, const char *role,
                            const json_t *envelope);

/* Canonical bytes of signed (what signatures cover) into out. */
stella_err repo_canonical(const json_t *signed_obj, sbuf *out);

/* The TUF key object of s ({"keytype","scheme","keyval":{"public"}}, new
 * reference) and its keyid: hex sha256 of the key object's canonical form. */
stella_err repo_key_object(const crypto_signer *s, json_t **keyobj,
                           char keyid[65]);

/* Loads a private key file for signing: refuses (STELLA_E_IO, errbuf says
 * "readable by group or others; chmod 600 FILE") a file whose mode lets
 * anyone but the owner read it, STELLA_E_NOT_FOUND if absent,
 * STELLA_E_PARSE if it is not a PEM private key. */
stella_err repo_key_load(const char *path, crypto_signer **out, char *errbuf,
                         size_t errlen);

/* Adds (or replaces) the signature of s over the canonical "signed" of the
 * envelope. keyid receives the key's id (may be NULL). */
stella_err repo_sign_envelope(json_t *envelope, const crypto_signer *s,
                              char keyid_out[65]);

/* Counts valid signatures on envelope from the keys root_signed authorizes
 * for role (keys + roles.<role>.keyids, threshold). *missing (may be NULL)
 * gets the unsigned authorized keyids. Returns STELLA_E_FORMAT if root has
 * no such role. */
stella_err repo_count_signatures(const json_t *root_signed, const char *role,
                                 const json_t *envelope, int *have, int *need,
                                 stella_repo_missing *missing);

/* ---- Published state, preflight, change log ------------------------------ */

/* Version of role in published/ (0 when never published). */
int64_t repo_published_version(const repo_ws *ws, const char *role);

/* Reads the published envelope of role (latest version; timestamp.json for
 * the timestamp). STELLA_E_NOT_FOUND if never published. */
stella_err repo_published_load(const repo_ws *ws, const char *role,
                               json_t **envelope);

/* Builds the candidate web root (published/ plus the staged metadata and
 * targets under their published names) in a temp folder under DIR, then
 * runs core/tuf.h's client over it from every starting point a client can
 * be at (root v1, and the published state), downloads every target and
 * parses the service map. *candidate_dir (malloc'd; may be NULL) is the
 * folder kept for publishing; the caller removes it. Returns the client's
 * error and its reason in errbuf when a client would reject the result. */
stella_err repo_preflight(const repo_ws *ws, char **candidate_dir,
                          char *errbuf, size_t errlen);

/* Roles of the staged state still short of a threshold (signatures by the
 * staged root's keys; for a new root also by the published root's keys).
 * *out malloc'd (caller frees), *n how many. */
stella_err repo_missing_all(const repo_ws *ws, stella_repo_missing **out,
                            size_t *n);

/* Exclusive, non-blocking lock of DIR/.lock, held by every command that
 * changes the workspace (the staged changes, sign, publish, the ceremony),
 * so no two read-modify-write the same files and a periodic sign never
 * interleaves with a publish. *fd gets what to pass to repo_unlock();
 * STELLA_E_EXISTS (r->errmsg says so) when it is held. Not reentrant: a
 * second repo_lock in the same process fails too. */
stella_err repo_lock(stella_repo *r, int *fd);
void repo_unlock(int fd);

/* *pending = 1 when staged/targets or staged/custom.json differ from what
 * the staged targets.json lists (a change not signed yet). */
stella_err repo_targets_pending(stella_repo *r, int *pending);

/* ---- Admin input (options of `stella tuf ...`) --------------------------- */

/* Checks a Rekor endpoint URL given as option opt ("--rekor-url") with
 * url_problem(URL_HTTP) (no user:password@, control or non-ASCII byte, ...)
 * and copies it into out without trailing '/' ("http://h/" and "http://h"
 * are one endpoint). STELLA_E_INVALID_ARG with r->errmsg naming opt. */
stella_err repo_check_url(stella_repo *r, const char *opt, const char *url,
                          char out[URL_MAX + 1]);

/* 1 when a and b are the same URL but for trailing '/'. */
int repo_same_url(const char *a, const char *b);

#define REPO_NAME_MAX 64   /* bytes of a log or signing key name */
#define REPO_TEXT_MAX 1000 /* bytes of a --note */

/* Bytes of the control character at p (C0 or DEL: 1; C1 U+0080..U+009F
 * as UTF-8: 2), 0 if none: what must not reach a terminal or a client. */
size_t repo_control_len(const char *p);
/* Offset of the first control character of s, or -1. */
long repo_control_at(const char *s);

/* Checks free text given as option opt ("--note"; NULL is fine): UTF-8,
 * no control character (tabs and line breaks included), at most
 * REPO_TEXT_MAX bytes. STELLA_E_INVALID_ARG, without echoing it. */
stella_err repo_check_text(stella_repo *r, const char *opt, const char *text);

/* Checks a key name given as opt ("--name"): 1..REPO_NAME_MAX printable
 * ASCII characters, no space or '/', not starting with '.' (the rule
 * signing key names, which are file names, always had). */
stella_err repo_check_name(stella_repo *r, const char *opt, const char *name);

/* Appends "TIME\tWHAT\tNOTE" to DIR/CHANGELOG (append-only, fsync'd). */
stella_err repo_changelog(const repo_ws *ws, const char *what,
                          const char *note);

/* ---- The public handle (shared by the repo_*.c files) -------------------- */

struct stella_repo {
  repo_ws *ws;               /* NULL until init/open */
  const stella_clock *clock; /* never NULL */
  stella_note_fn note;       /* may be NULL */
  void *note_ctx;
  char errmsg[1024];
};

/* Sets r->errmsg and returns e. */
stella_err repo_fail(stella_repo *r, stella_err e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* One progress line to r->note (if any). */
void repo_note(stella_repo *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* STELLA_E_INVALID_ARG with a message when no workspace is loaded. */
stella_err repo_need_ws(stella_repo *r);

/* RFC 3339 "YYYY-MM-DDTHH:MM:SSZ" of t into buf (>= 21 bytes). */
void repo_time(int64_t t, char buf[32]);

/* Reads a JSON file into a new jansson value (NOT_FOUND, PARSE). */
stella_err repo_json_load(const char *path, json_t **out, char *errbuf,
                          size_t errlen);
/* Writes v pretty-printed (sorted keys, 2-space indent) atomically. */
stella_err repo_json_save(const char *path, const json_t *v, int mode);

/* "/x/rekor-key-v1.pub" -> "rekor-key-v1". */
void repo_name_from_file(const char *path, char *out, size_t outlen);
/* Reads a PEM SPKI public key file; on failure r->errmsg says why. */
stella_err repo_read_public_key(stella_repo *r, const char *path,
                                uint8_t **der, size_t *derlen,
                                const char **key_details);
/* rm -rf path (no symlinks followed). */
void repo_rm_tree(const char *path);

#endif
