/* ceremony.c - the root key ceremony: new key holders' keys, root N+1
 * staged as a plain file, signatures from both root N's and root N+1's
 * keys counted live, and the finalize step that hands root N+1 to the
 * normal sign + publish path only once a client would accept it.
 *
 * State, all under the workspace (docs/repository.md, "Root key ceremony"):
 *   staged/ceremony/root.json       the envelope {signed, signatures}
 *   staged/ceremony/ceremony.json   root versions, the sha256 of the
 *                                   canonical "signed" init staged, and
 *                                   keyid -> holder key file of both sets
 *   keys/root-next/holder-N.pem     the new holders' keys (default --out)
 * Built on core/repo_internal.h (workspace, signing, counting, preflight).
 */
#include "repo_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "fsutil.h"

#define CEREMONY_DIR "staged/ceremony"
#define CEREMONY_ROOT "staged/ceremony/root.json"
#define CEREMONY_STATE "staged/ceremony/ceremony.json"
#define CEREMONY_FORMAT "stella-ceremony/1"
#define CEREMONY_OUT_DEFAULT "keys/root-next"
#define CEREMONY_KEYS_DIR "keys/root"
#define CEREMONY_ARCHIVE "keys/archive"
#define CEREMONY_KEY_FILE_MAX 65536

/* A loaded ceremony. Every json_t is owned. */
typedef struct ceremony {
  json_t *old_env;   /* root N, as clients trust it */
  json_t *state;     /* ceremony.json */
  json_t *env;       /* root N+1 envelope from root_path */
  char *root_path;   /* absolute path of the ceremony root file */
  int is_staged;     /* root_path is DIR/staged/ceremony/root.json */
} ceremony;

static void ceremony_clear(ceremony *c) {
  json_decref(c->old_env);
  json_decref(c->state);
  json_decref(c->env);
  free(c->root_path);
  memset(c, 0, sizeof *c);
}

static const json_t *ceremony_signed(const json_t *env) {
  return json_object_get(env, "signed");
}

static int64_t ceremony_version(const json_t *env) {
  return json_integer_value(json_object_get(ceremony_signed(env), "version"));
}

static const json_t *ceremony_root_keyids(const json_t *signed_obj) {
  return json_object_get(
      json_object_get(json_object_get(signed_obj, "roles"), "root"),
      "keyids");
}

/* 1 when keyid is one of signed_obj's root keys. */
static int ceremony_is_root_key(const json_t *signed_obj, const char *keyid) {
  size_t i;
  json_t *it;
  json_array_foreach(ceremony_root_keyids(signed_obj), i, it) {
    if (json_is_string(it) && !strcmp(json_string_value(it), keyid))
      return 1;
  }
  return 0;
}

/* Hex sha256 of the canonical form of signed_obj: what every signature in
 * the ceremony covers, recorded at init so an edited root is noticed. */
static stella_err ceremony_digest(const json_t *signed_obj, char hex[65]) {
  sbuf canon = SBUF_INIT;
  stella_err e = repo_canonical(signed_obj, &canon);
  if (!e) {
    uint8_t d[CRYPTO_SHA256_LEN];
    crypto_sha256(canon.data, canon.len, d);
    hex_encode(d, sizeof d, hex);
  }
  sbuf_free(&canon);
  return e;
}

/* Path as recorded: relative to the workspace when inside it. */
static const char *ceremony_rel(const repo_ws *ws, const char *abs) {
  size_t n = strlen(ws->dir);
  if (!strncmp(abs, ws->dir, n) && abs[n] == '/')
    return abs + n + 1;
  return abs;
}

/* Absolute path of a recorded holder file (malloc'd). */
static char *ceremony_abs(const repo_ws *ws, const char *recorded) {
  return recorded[0] == '/' ? strdup(recorded) : repo_path(ws, recorded);
}

/* ---- Root N --------------------------------------------------------------- */

/* Root N: the published root, the one clients hold and walk from. Refuses
 * before the first publish (no client could reach root N+1) and while a
 * different root is staged but not published. */
static stella_err ceremony_root_n(stella_repo *r, json_t **out) {
  char err[512] = "";
  json_t *staged = NULL, *published = NULL;
  stella_err e = repo_staged_load(r->ws, "root", &staged, err, sizeof err);
  if (e)
    return repo_fail(r, e, "reading the staged root failed: %s", err);
  e = repo_published_load(r->ws, "root", &published);
  if (e == STELLA_E_NOT_FOUND) {
    json_decref(staged);
    return repo_fail(r, STELLA_E_NOT_INITIALIZED, "nothing is published "
                     "yet: a new root must build on the root clients hold "
                     "(publish first with `stella tuf publish --repo %s`)",
                     r->ws->dir);
  }
  if (e) {
    json_decref(staged);
    return repo_fail(r, e, "reading the published root failed: %s "
                     "(check %s/published/)", stella_strerror(e), r->ws->dir);
  }
  int64_t sv = ceremony_version(staged), pv = ceremony_version(published);
  json_decref(staged);
  if (sv != pv) {
    json_decref(published);
    return repo_fail(r, STELLA_E_VERSION, "root v%lld is staged but root "
                     "v%lld is published: publish the staged root first "
                     "(`stella tuf publish`), then start the ceremony",
                     (long long)sv, (long long)pv);
  }
  *out = published;
  return STELLA_OK;
}

/* ---- Holders ----------------------------------------------------------------- */

/* Records keyid -> file for every key file in keys/root/ that is one of
 * root_signed's root keys. A file that cannot be read (taken away,
 * unsafe mode) just stays unknown: its keyid is still listed. */
static void ceremony_scan_holders(const repo_ws *ws, const json_t *root_signed,
                                  json_t *holders) {
  char *dir = repo_path(ws, CEREMONY_KEYS_DIR);
  DIR *d = dir ? opendir(dir) : NULL;
  struct dirent *de;
  while (d && (de = readdir(d))) {
    size_t n = strlen(de->d_name);
    if (n < 5 || strcmp(de->d_name + n - 4, ".pem") || de->d_name[0] == '.')
      continue;
    char *path = fs_join(dir, de->d_name), err[512], keyid[65];
    crypto_signer *s = NULL;
    json_t *keyobj = NULL;
    if (path && !repo_key_load(path, &s, err, sizeof err) &&
        !repo_key_object(s, &keyobj, keyid) &&
        ceremony_is_root_key(root_signed, keyid))
      json_object_set_new(holders, keyid,
                          json_string(ceremony_rel(ws, path)));
    json_decref(keyobj);
    crypto_signer_free(s);
    free(path);
  }
  if (d)
    closedir(d);
  free(dir);
}

/* ---- Status ------------------------------------------------------------------ */

/* 1 when env carries a valid signature by keyid under root_signed's key for
 * it. Asks repo_count_signatures about a one-key root, so the signature
 * rules live in one place. */
static int ceremony_key_signed(const json_t *root_signed, const json_t *env,
                               const char *keyid) {
  json_t *keyobj = json_object_get(json_object_get(root_signed, "keys"),
                                   keyid);
  if (!keyobj)
    return 0;
  json_t *one = json_pack("{s:{s:O}, s:{s:{s:[s], s:i}}}", "keys", keyid,
                          keyobj, "roles", "root", "keyids", keyid,
                          "threshold", 1);
  int have = 0, need = 0;
  if (one && repo_count_signatures(one, "root", env, &have, &need, NULL))
    have = 0;
  json_decref(one);
  return have > 0;
}

static void ceremony_fill_set(const json_t *root_signed, const json_t *env,
                              const json_t *holders, stella_ceremony_set *set) {
  memset(set, 0, sizeof *set);
  set->version = json_integer_value(json_object_get(root_signed, "version"));
  if (repo_count_signatures(root_signed, "root", env, &set->have, &set->need,
                            NULL))
    set->have = 0;
  size_t i;
  json_t *it;
  json_array_foreach(ceremony_root_keyids(root_signed), i, it) {
    const char *keyid = json_string_value(it);
    if (!keyid || set->n_keys >= STELLA_CEREMONY_MAX_KEYS)
      continue;
    stella_ceremony_key *k = &set->keys[set->n_keys++];
    snprintf(k->keyid, sizeof k->keyid, "%s", keyid);
    const char *h = json_string_value(json_object_get(holders, keyid));
    snprintf(k->holder, sizeof k->holder, "%s", h ? h : "");
    k->has_signature = ceremony_key_signed(root_signed, env, keyid);
  }
}

static void ceremony_fill_status(const ceremony *c, stella_ceremony_status *st) {
  const json_t *holders = json_object_get(c->state, "holders");
  memset(st, 0, sizeof *st);
  st->version = ceremony_version(c->env);
  const char *exp = json_string_value(
      json_object_get(ceremony_signed(c->env), "expires"));
  if (!exp || stella_time_parse(exp, &st->expires))
    st->expires = 0;
  ceremony_fill_set(ceremony_signed(c->old_env), c->env, holders,
                    &st->old_root);
  ceremony_fill_set(ceremony_signed(c->env), c->env, holders, &st->new_root);
  st->ready = st->old_root.need > 0 && st->old_root.have >= st->old_root.need &&
              st->new_root.need > 0 && st->new_root.have >= st->new_root.need;
}

/* "holder-2.pem, 3f9a01c2..." : the keys of set still without a signature. */
static void ceremony_missing_text(const stella_ceremony_set *set, char *buf,
                                  size_t len) {
  size_t used = 0;
  buf[0] = '\0';
  for (size_t i = 0; i < set->n_keys && used < len; i++) {
    const stella_ceremony_key *k = &set->keys[i];
    if (k->has_signature)
      continue;
    int n = k->holder[0]
                ? snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
                           k->holder)
                : snprintf(buf + used, len - used, "%skeyid %.16s...",
                           used ? ", " : "", k->keyid);
    if (n < 0)
      break;
    used += (size_t)n;
  }
}

/* ---- Loading and saving -------------------------------------------------------- */

static stella_err ceremony_save(const ceremony *c, const char *path) {
  return repo_json_save(path, c->env, REPO_FILE_MODE);
}

/* Checks that c->env is the root init staged: same version and the same
 * canonical "signed" (its sha256 was recorded). */
static stella_err ceremony_check_root(stella_repo *r, const ceremony *c) {
  const char *want = json_string_value(json_object_get(c->state,
                                                       "signed_sha256"));
  char have[65];
  stella_err e = ceremony_digest(ceremony_signed(c->env), have);
  if (e)
    return repo_fail(r, e, "reading %s failed: %s", c->root_path,
                     stella_strerror(e));
  if (!want || strcmp(want, have))
    return repo_fail(r, STELLA_E_HASH, "%s is not the root `ceremony init` "
                     "staged: its content changed (sha256 %.16s..., expected "
                     "%.16s...): refusing it (use the file from "
                     "%s/" CEREMONY_ROOT ", or start over with `ceremony init "
                     "--force`)", c->root_path, have, want ? want : "?",
                     r->ws->dir);
  return STELLA_OK;
}

/* Loads the ceremony state, root N and the ceremony root (root_file, NULL:
 * the staged one), and checks they still belong together. */
static stella_err ceremony_load(stella_repo *r, const char *root_file,
                                ceremony *c) {
  char err[512] = "";
  memset(c, 0, sizeof *c);
  char *state_path = repo_path(r->ws, CEREMONY_STATE);
  char *staged_path = repo_path(r->ws, CEREMONY_ROOT);
  stella_err e = state_path && staged_path ? STELLA_OK : STELLA_E_NOMEM;
  if (!e)
    e = repo_json_load(state_path, &c->state, err, sizeof err);
  free(state_path);
  if (e == STELLA_E_NOT_FOUND) {
    free(staged_path);
    return repo_fail(r, e, "no root ceremony is in progress in %s (start "
                     "one with `tuf-ceremony init --threshold M --keys N "
                     "--repo DIR`)", r->ws->dir);
  }
  if (e) {
    free(staged_path);
    return repo_fail(r, e, "reading the ceremony state failed: %s", err);
  }
  c->root_path = root_file ? realpath(root_file, NULL) : staged_path;
  if (root_file) {
    if (!c->root_path) {
      free(staged_path);
      return repo_fail(r, STELLA_E_NOT_FOUND, "root file %s: %s (pass the "
                       "ceremony's root.json)", root_file, strerror(errno));
    }
    c->is_staged = !strcmp(c->root_path, staged_path);
    free(staged_path);
  } else {
    c->is_staged = 1;
  }
  e = repo_json_load(c->root_path, &c->env, err, sizeof err);
  if (!e && !json_is_object(ceremony_signed(c->env)))
    e = STELLA_E_FORMAT;
  if (e)
    return repo_fail(r, e, "reading the ceremony root %s failed: %s",
                     c->root_path, err[0] ? err : "no \"signed\" object");
  if ((e = ceremony_root_n(r, &c->old_env)))
    return e;
  int64_t old_v = json_integer_value(json_object_get(c->state,
                                                     "old_version"));
  if (ceremony_version(c->old_env) != old_v)
    return repo_fail(r, STELLA_E_VERSION, "this ceremony builds on root "
                     "v%lld but root v%lld is now published: start over with "
                     "`tuf-ceremony init --force`", (long long)old_v,
                     (long long)ceremony_version(c->old_env));
  return ceremony_check_root(r, c);
}

/* ---- init ------------------------------------------------------------------------ */

/* The new keys' algorithm: the option, else the workspace's key type. */
static const char *ceremony_alg(const repo_ws *ws,
                                const stella_ceremony_init_opts *o) {
  return o->algorithm ? o->algorithm
                      : ws->key_type ? ws->key_type : "ed25519";
}

static stella_err ceremony_check_opts(stella_repo *r,
                                      const stella_ceremony_init_opts *o) {
  if (o->keys < 1 || o->keys > STELLA_CEREMONY_MAX_KEYS)
    return repo_fail(r, STELLA_E_INVALID_ARG, "--keys %d: a new root needs "
                     "1 to %d key holders", o->keys, STELLA_CEREMONY_MAX_KEYS);
  if (o->threshold < 1 || o->threshold > o->keys)
    return repo_fail(r, STELLA_E_INVALID_ARG, "--threshold %d cannot be met "
                     "by %d keys (use 1..%d)", o->threshold, o->keys,
                     o->keys);
  const char *alg = ceremony_alg(r->ws, o);
  if (strcmp(alg, "ed25519") && strcmp(alg, "ecdsa-p256"))
    return repo_fail(r, STELLA_E_INVALID_ARG, "--algorithm %s is not one "
                     "stella signs with (use ed25519 or ecdsa-p256)", alg);
  return STELLA_OK;
}

/* Moves the key files a replaced ceremony generated (never used: root N+1
 * was not finalized) to keys/archive/ceremony-<time>/, then drops its
 * state. */
static stella_err ceremony_abandon(stella_repo *r) {
  char *state_path = repo_path(r->ws, CEREMONY_STATE), err[256], now[32];
  json_t *state = NULL;
  stella_err e = state_path ? STELLA_OK : STELLA_E_NOMEM;
  if (!e && repo_json_load(state_path, &state, err, sizeof err) == STELLA_OK) {
    repo_time(r->ws->clock->now(r->ws->clock->ctx), now);
    char rel[96];
    snprintf(rel, sizeof rel, CEREMONY_ARCHIVE "/ceremony-%s", now);
    char *arch = repo_path(r->ws, rel);
    const char *keyid;
    json_t *v;
    json_object_foreach(json_object_get(state, "new_holders"), keyid, v) {
      char *src = ceremony_abs(r->ws, json_string_value(v));
      const char *base = src ? strrchr(src, '/') : NULL;
      char *dst = base && arch ? fs_join(arch, base + 1) : NULL;
      if (dst && fs_exists(src) && !fs_mkdirs(arch, REPO_DIR_MODE) &&
          rename(src, dst) == 0)
        repo_note(r, "archived unused key file %s to %s",
                  ceremony_rel(r->ws, src), ceremony_rel(r->ws, dst));
      free(src);
      free(dst);
    }
    free(arch);
  }
  json_decref(state);
  char *root_path = repo_path(r->ws, CEREMONY_ROOT);
  if (!e && (!root_path || fs_remove(root_path) || fs_remove(state_path)))
    e = repo_fail(r, STELLA_E_IO, "removing the old ceremony in %s/"
                  CEREMONY_DIR " failed", r->ws->dir);
  free(root_path);
  free(state_path);
  return e;
}

/* The out folder (absolute, created 0700) and no holder file in it yet. */
static stella_err ceremony_out_dir(stella_repo *r, const char *out_dir,
                                   int keys, char **out) {
  char *want = out_dir ? strdup(out_dir)
                       : repo_path(r->ws, CEREMONY_OUT_DEFAULT);
  if (!want || fs_mkdirs(want, REPO_DIR_MODE)) {
    stella_err e = repo_fail(r, STELLA_E_IO, "creating the key folder %s "
                             "failed: %s (pass a writable --out DIR)",
                             want ? want : "?", strerror(errno));
    free(want);
    return e;
  }
  *out = realpath(want, NULL);
  free(want);
  if (!*out)
    return repo_fail(r, STELLA_E_IO, "the key folder: %s", strerror(errno));
  char *keys_dir = repo_path(r->ws, CEREMONY_KEYS_DIR);
  int same = keys_dir && !strcmp(keys_dir, *out);
  free(keys_dir);
  if (same)
    return repo_fail(r, STELLA_E_INVALID_ARG, "--out must not be %s: the "
                     "current holders' keys live there until finalize",
                     *out);
  for (int i = 1; i <= keys; i++) {
    char name[32];
    snprintf(name, sizeof name, "holder-%d.pem", i);
    char *p = fs_join(*out, name);
    int exists = !p || fs_exists(p);
    free(p);
    if (exists)
      return repo_fail(r, STELLA_E_EXISTS, "%s/%s already exists: refusing "
                       "to overwrite a key file (pass an empty --out DIR)",
                       *out, name);
  }
  return STELLA_OK;
}

/* Generates the holders' keys into out_dir, adding each key object to
 * keys, its keyid to keyids and keyid -> file to holders. On failure the
 * files written so far are removed (they were never used). */
static stella_err ceremony_gen_keys(stella_repo *r, const char *out_dir,
                                    const stella_ceremony_init_opts *o,
                                    json_t *keys, json_t *keyids,
                                    json_t *holders) {
  const char *alg = ceremony_alg(r->ws, o);
  stella_err e = STELLA_OK;
  int i;
  for (i = 1; i <= o->keys && !e; i++) {
    char name[32], keyid[65];
    crypto_signer *s = NULL;
    json_t *keyobj = NULL;
    snprintf(name, sizeof name, "holder-%d.pem", i);
    char *path = fs_join(out_dir, name);
    e = path ? crypto_signer_generate(alg, &s) : STELLA_E_NOMEM;
    if (!e)
      e = repo_key_object(s, &keyobj, keyid);
    if (!e)
      e = crypto_signer_save(s, path);
    if (!e) {
      json_object_set_new(keys, keyid, keyobj);
      json_array_append_new(keyids, json_string(keyid));
      json_object_set_new(holders, keyid,
                          json_string(ceremony_rel(r->ws, path)));
      repo_note(r, "holder %d: %s  keyid %s", i, path, keyid);
    } else {
      json_decref(keyobj);
      repo_fail(r, e, "generating %s failed: %s", path ? path : name,
                stella_strerror(e));
    }
    crypto_signer_free(s);
    free(path);
  }
  if (e) {
    const char *kid;
    json_t *v;
    json_object_foreach(holders, kid, v) {
      char *p = ceremony_abs(r->ws, json_string_value(v));
      if (p)
        fs_remove(p);
      free(p);
    }
  }
  return e;
}

/* Root N+1's "signed": root N with a bumped version, the policy's expiry,
 * the new root keys and threshold; the online roles and their keys as they
 * are. Root N's root keys are dropped unless another role uses them. */
static json_t *ceremony_build_root(const repo_ws *ws, const json_t *old_signed,
                                   json_t *new_keys, json_t *new_keyids,
                                   int threshold) {
  json_t *s = json_deep_copy(old_signed);
  json_t *keys = json_object_get(s, "keys"), *roles = json_object_get(s,
                                                                      "roles");
  if (!s || !json_is_object(keys) || !json_is_object(roles)) {
    json_decref(s);
    return NULL;
  }
  size_t i;
  json_t *it;
  json_array_foreach(ceremony_root_keyids(old_signed), i, it) {
    const char *kid = json_string_value(it), *role;
    json_t *r;
    int used = 0;
    json_object_foreach(roles, role, r) {
      size_t j;
      json_t *k;
      json_array_foreach(json_object_get(r, "keyids"), j, k) {
        if (strcmp(role, "root") && json_is_string(k) && kid &&
            !strcmp(json_string_value(k), kid))
          used = 1;
      }
    }
    if (kid && !used)
      json_object_del(keys, kid);
  }
  json_object_update(keys, new_keys);
  char expires[32];
  repo_time(ws->clock->now(ws->clock->ctx) + repo_expiry_of(ws, "root"),
            expires);
  json_object_set_new(roles, "root", json_pack("{s:O, s:i}", "keyids",
                                               new_keyids, "threshold",
                                               threshold));
  json_object_set_new(s, "version", json_integer(
      json_integer_value(json_object_get(old_signed, "version")) + 1));
  json_object_set_new(s, "expires", json_string(expires));
  return s;
}

/* Writes ceremony.json and root.json for a new ceremony. */
static stella_err ceremony_stage(stella_repo *r, const json_t *old_env,
                                 json_t *signed_obj, json_t *old_holders,
                                 json_t *new_holders, const char *out_dir,
                                 const stella_ceremony_init_opts *o) {
  char digest[65], now[32];
  stella_err e = ceremony_digest(signed_obj, digest);
  if (e)
    return repo_fail(r, e, "canonical form of root v%lld: %s",
                     (long long)json_integer_value(json_object_get(
                         signed_obj, "version")), stella_strerror(e));
  repo_time(r->ws->clock->now(r->ws->clock->ctx), now);
  json_t *holders = json_deep_copy(old_holders);
  json_object_update(holders, new_holders);
  json_t *state = json_pack(
      "{s:s, s:I, s:O, s:s, s:s, s:i, s:i, s:s, s:s, s:o, s:O}", "format",
      CEREMONY_FORMAT, "old_version",
      (json_int_t)ceremony_version(old_env), "version",
      json_object_get(signed_obj, "version"), "signed_sha256", digest,
      "algorithm", ceremony_alg(r->ws, o), "threshold",
      o->threshold, "keys", o->keys, "started", now, "out_dir",
      ceremony_rel(r->ws, out_dir), "holders", holders, "new_holders",
      new_holders);
  json_t *env = json_pack("{s:O, s:[]}", "signed", signed_obj, "signatures");
  char *dir = repo_path(r->ws, CEREMONY_DIR);
  char *state_path = repo_path(r->ws, CEREMONY_STATE);
  char *root_path = repo_path(r->ws, CEREMONY_ROOT);
  e = state && env && dir && state_path && root_path ? STELLA_OK
                                                     : STELLA_E_NOMEM;
  if (!e)
    e = fs_mkdirs(dir, REPO_DIR_MODE);
  if (!e)
    e = repo_json_save(state_path, state, REPO_FILE_MODE);
  if (!e)
    e = repo_json_save(root_path, env, REPO_FILE_MODE);
  if (e)
    repo_fail(r, e, "staging the ceremony in %s failed: %s", dir ? dir : "?",
              stella_strerror(e));
  json_decref(state);
  json_decref(env);
  free(dir);
  free(state_path);
  free(root_path);
  return e;
}

/* The CHANGELOG line and the closing note of init. */
static void ceremony_record_init(stella_repo *r, const json_t *old_env,
                                 const stella_ceremony_init_opts *o) {
  char note[256];
  const json_t *old_root_role = json_object_get(
      json_object_get(ceremony_signed(old_env), "roles"), "root");
  snprintf(note, sizeof note, "root v%lld staged: %d of %d %s keys (needs "
           "%d of root v%lld's keys too)",
           (long long)ceremony_version(old_env) + 1, o->threshold, o->keys,
           ceremony_alg(r->ws, o),
           (int)json_integer_value(json_object_get(old_root_role,
                                                   "threshold")),
           (long long)ceremony_version(old_env));
  if (repo_changelog(r->ws, "root-ceremony-init", note))
    repo_note(r, "warning: recording the ceremony in CHANGELOG failed");
  repo_note(r, "%s in %s", note, CEREMONY_ROOT);
}

static int ceremony_in_progress(const repo_ws *ws) {
  char *p = repo_path(ws, CEREMONY_ROOT);
  int yes = !p || fs_exists(p);
  free(p);
  return yes;
}

/* init with the workspace lock held (see stella_repo_ceremony_init). */
static stella_err ceremony_init_locked(stella_repo *r,
                                       const stella_ceremony_init_opts *opts) {
  stella_err e;
  if (ceremony_in_progress(r->ws) && !opts->force)
    return repo_fail(r, STELLA_E_EXISTS, "a root ceremony is already in "
                     "progress in %s/" CEREMONY_DIR " (see `stella tuf "
                     "ceremony status`; start over with --force)",
                     r->ws->dir);
  json_t *old_env = NULL;
  if ((e = ceremony_root_n(r, &old_env)))
    return e;
  if (opts->force && ceremony_in_progress(r->ws) &&
      (e = ceremony_abandon(r))) {
    json_decref(old_env);
    return e;
  }
  char *out_dir = NULL;
  json_t *keys = json_object(), *keyids = json_array();
  json_t *old_holders = json_object(), *new_holders = json_object();
  json_t *signed_obj = NULL;
  if (!keys || !keyids || !old_holders || !new_holders)
    e = repo_fail(r, STELLA_E_NOMEM, "out of memory");
  if (!e)
    e = ceremony_out_dir(r, opts->out_dir, opts->keys, &out_dir);
  if (!e)
    e = ceremony_gen_keys(r, out_dir, opts, keys, keyids, new_holders);
  if (!e) {
    ceremony_scan_holders(r->ws, ceremony_signed(old_env), old_holders);
    signed_obj = ceremony_build_root(r->ws, ceremony_signed(old_env), keys,
                                     keyids, opts->threshold);
    if (!signed_obj)
      e = repo_fail(r, STELLA_E_FORMAT, "root v%lld has no keys/roles "
                    "objects: cannot build the next root from it",
                    (long long)ceremony_version(old_env));
  }
  if (!e)
    e = ceremony_stage(r, old_env, signed_obj, old_holders, new_holders,
                       out_dir, opts);
  if (!e)
    ceremony_record_init(r, old_env, opts);
  json_decref(signed_obj);
  json_decref(keys);
  json_decref(keyids);
  json_decref(old_holders);
  json_decref(new_holders);
  json_decref(old_env);
  free(out_dir);
  return e;
}

stella_err stella_repo_ceremony_init(stella_repo *r,
                                     const stella_ceremony_init_opts *opts,
                                     stella_ceremony_status *st) {
  stella_err e;
  int lock;
  if (!r)
    return STELLA_E_INVALID_ARG;
  if ((e = repo_need_ws(r)))
    return e;
  if (!opts)
    return repo_fail(r, STELLA_E_INVALID_ARG, "no ceremony options given");
  if ((e = ceremony_check_opts(r, opts)))
    return e;
  /* Like sign and publish: the staged root is never written by two
   * commands at once. */
  if ((e = repo_lock(r, &lock)))
    return e;
  e = ceremony_init_locked(r, opts);
  repo_unlock(lock);
  if (!e && st)
    e = stella_repo_ceremony_status(r, NULL, st);
  return e;
}

/* ---- sign ---------------------------------------------------------------------- */

/* Copies the valid signatures of from->env into c->env (the staged root). */
static void ceremony_merge(ceremony *c, const ceremony *from) {
  json_t *sigs = json_object_get(c->env, "signatures");
  size_t i;
  json_t *it;
  json_array_foreach(json_object_get(from->env, "signatures"), i, it) {
    const char *kid = json_string_value(json_object_get(it, "keyid"));
    if (!kid || !(ceremony_key_signed(ceremony_signed(c->old_env), from->env,
                                      kid) ||
                  ceremony_key_signed(ceremony_signed(c->env), from->env,
                                      kid)))
      continue;
    size_t j;
    json_t *mine;
    json_array_foreach(sigs, j, mine) {
      const char *k = json_string_value(json_object_get(mine, "keyid"));
      if (k && !strcmp(k, kid)) {
        json_array_remove(sigs, j);
        break;
      }
    }
    json_array_append(sigs, it);
  }
}

/* Signs c->env with key_file; *sets says which root's key it is. */
static stella_err ceremony_add_sig(stella_repo *r, ceremony *c,
                                   const char *key_file, char keyid[65],
                                   int *sets) {
  char err[640] = "";
  crypto_signer *s = NULL;
  json_t *keyobj = NULL;
  stella_err e = repo_key_load(key_file, &s, err, sizeof err);
  if (e)
    return repo_fail(r, e, "%s", err);
  e = repo_key_object(s, &keyobj, keyid);
  json_decref(keyobj);
  if (!e) {
    *sets = (ceremony_is_root_key(ceremony_signed(c->old_env), keyid)
                 ? STELLA_CEREMONY_OLD : 0) |
            (ceremony_is_root_key(ceremony_signed(c->env), keyid)
                 ? STELLA_CEREMONY_NEW : 0);
    if (!*sets)
      e = repo_fail(r, STELLA_E_SIGNATURE, "the key in %s (keyid %.16s...) "
                    "is not a root key of v%lld nor of v%lld: refusing to "
                    "sign with it (use a root key holder's file)", key_file,
                    keyid, (long long)ceremony_version(c->old_env),
                    (long long)ceremony_version(c->env));
  } else {
    repo_fail(r, e, "reading the key in %s: %s", key_file,
              stella_strerror(e));
  }
  if (!e && (e = repo_sign_envelope(c->env, s, NULL)))
    repo_fail(r, e, "signing root v%lld failed: %s",
              (long long)ceremony_version(c->env), stella_strerror(e));
  crypto_signer_free(s);
  return e;
}

stella_err stella_repo_ceremony_sign(stella_repo *r, const char *key_file,
                                     const char *root_file, char keyid[65],
                                     int *sets, stella_ceremony_status *st) {
  stella_err e;
  ceremony c, staged;
  char kid[65] = "";
  int which = 0;
  if (!r)
    return STELLA_E_INVALID_ARG;
  if ((e = repo_need_ws(r)))
    return e;
  if (!key_file)
    return repo_fail(r, STELLA_E_INVALID_ARG, "no key file given (--key "
                     "FILE)");
  int lock;
  if ((e = repo_lock(r, &lock)))
    return e;
  memset(&staged, 0, sizeof staged);
  if (!(e = ceremony_load(r, root_file, &c)))
    e = ceremony_add_sig(r, &c, key_file, kid, &which);
  if (!e && (e = ceremony_save(&c, c.root_path)))
    repo_fail(r, e, "writing %s failed: %s", c.root_path, stella_strerror(e));
  /* A copy that travelled: bring its signatures home too. */
  if (!e && !c.is_staged && !(e = ceremony_load(r, NULL, &staged))) {
    ceremony_merge(&staged, &c);
    if ((e = ceremony_save(&staged, staged.root_path)))
      repo_fail(r, e, "writing %s failed: %s", staged.root_path,
                stella_strerror(e));
  }
  repo_unlock(lock);
  if (!e) {
    repo_note(r, "signed root v%lld with %s (keyid %.16s...)",
              (long long)ceremony_version(c.env), key_file, kid);
    if (st)
      ceremony_fill_status(c.is_staged ? &c : &staged, st);
  }
  if (keyid)
    memcpy(keyid, kid, sizeof kid);
  if (sets)
    *sets = which;
  ceremony_clear(&c);
  ceremony_clear(&staged);
  return e;
}

/* ---- status --------------------------------------------------------------------- */

stella_err stella_repo_ceremony_status(stella_repo *r, const char *root_file,
                                       stella_ceremony_status *st) {
  stella_err e;
  ceremony c;
  if (!r || !st)
    return STELLA_E_INVALID_ARG;
  if ((e = repo_need_ws(r)))
    return e;
  if (!(e = ceremony_load(r, root_file, &c)))
    ceremony_fill_status(&c, st);
  ceremony_clear(&c);
  return e;
}

/* ---- finalize -------------------------------------------------------------------- */

static stella_err ceremony_refuse_not_ready(stella_repo *r,
                                            const stella_ceremony_status *st) {
  char old_missing[400], new_missing[400];
  ceremony_missing_text(&st->old_root, old_missing, sizeof old_missing);
  ceremony_missing_text(&st->new_root, new_missing, sizeof new_missing);
  return repo_fail(
      r, STELLA_E_SIGNATURE, "root v%lld is not ready: root v%lld keys %d of "
      "%d%s%s%s, root v%lld keys %d of %d%s%s%s (add signatures with `stella "
      "tuf ceremony sign --key FILE`)", (long long)st->version,
      (long long)st->old_root.version, st->old_root.have, st->old_root.need,
      st->old_root.have < st->old_root.need ? " (unsigned: " : "",
      st->old_root.have < st->old_root.need ? old_missing : "",
      st->old_root.have < st->old_root.need ? ")" : "",
      (long long)st->new_root.version, st->new_root.have, st->new_root.need,
      st->new_root.have < st->new_root.need ? " (unsigned: " : "",
      st->new_root.have < st->new_root.need ? new_missing : "",
      st->new_root.have < st->new_root.need ? ")" : "");
}

/* Stages root N+1 as staged/metadata/root.json and runs the publish
 * preflight over it (our client must reach it from the published root and
 * from root v1). On refusal the previous staged root is put back. */
static stella_err ceremony_preflight(stella_repo *r, const ceremony *c) {
  char *path = repo_path(r->ws, "staged/metadata/root.json");
  char err[768] = "";
  sbuf before = SBUF_INIT;
  stella_err e = path ? fs_read_file(path, 0, &before) : STELLA_E_NOMEM;
  if (e) {
    free(path);
    return repo_fail(r, e, "reading the staged root failed: %s",
                     stella_strerror(e));
  }
  e = repo_staged_save(r->ws, "root", c->env);
  if (!e && (e = repo_preflight(r->ws, NULL, err, sizeof err)))
    repo_fail(r, e, "a client would reject root v%lld: %s (nothing "
              "changed: the staged root is as before)",
              (long long)ceremony_version(c->env),
              err[0] ? err : stella_strerror(e));
  else if (e)
    repo_fail(r, e, "staging root v%lld failed: %s",
              (long long)ceremony_version(c->env), stella_strerror(e));
  if (e && fs_write_atomic(path, before.data, before.len, REPO_FILE_MODE))
    repo_fail(r, STELLA_E_IO, "a client would reject root v%lld and putting "
              "the old staged root back failed: restore %s from "
              "published/ by hand", (long long)ceremony_version(c->env),
              path);
  sbuf_free(&before);
  free(path);
  return e;
}

/* Moves src to dst; across file systems by copy (0600) and unlink. */
static stella_err ceremony_move(const char *src, const char *dst) {
  if (rename(src, dst) == 0)
    return STELLA_OK;
  if (errno != EXDEV)
    return STELLA_E_IO;
  sbuf b = SBUF_INIT;
  stella_err e = fs_read_file(src, CEREMONY_KEY_FILE_MAX, &b);
  if (!e)
    e = fs_write_atomic(dst, b.data, b.len, REPO_KEY_MODE);
  if (b.data)
    memset(b.data, 0, b.len); /* key bytes */
  sbuf_free(&b);
  return e ? e : (unlink(src) == 0 ? STELLA_OK : STELLA_E_IO);
}

/* keys/root/ *.pem -> keys/archive/root-vN/ (kept: old roots stay
 * verifiable and a holder may need their file for an audit). */
static stella_err ceremony_archive_old(stella_repo *r, int64_t old_version) {
  char rel[64];
  snprintf(rel, sizeof rel, CEREMONY_ARCHIVE "/root-v%lld",
           (long long)old_version);
  char *keys_dir = repo_path(r->ws, CEREMONY_KEYS_DIR);
  char *arch = repo_path(r->ws, rel);
  stella_err e = keys_dir && arch ? fs_mkdirs(arch, REPO_DIR_MODE)
                                  : STELLA_E_NOMEM;
  DIR *d = !e ? opendir(keys_dir) : NULL;
  struct dirent *de;
  while (d && !e && (de = readdir(d))) {
    if (de->d_name[0] == '.')
      continue;
    char *src = fs_join(keys_dir, de->d_name), *dst = fs_join(arch,
                                                              de->d_name);
    e = src && dst ? ceremony_move(src, dst) : STELLA_E_NOMEM;
    if (e)
      repo_fail(r, e, "archiving %s to %s failed: %s", src ? src : "?",
                rel, strerror(errno));
    free(src);
    free(dst);
  }
  if (d)
    closedir(d);
  if (!e)
    repo_note(r, "root v%lld holders' keys archived in %s",
              (long long)old_version, rel);
  free(keys_dir);
  free(arch);
  return e;
}

/* The new holders' key files -> keys/root/. A file a holder took away is
 * named, not an error: root N+1 does not need it here. */
static stella_err ceremony_install_new(stella_repo *r, const ceremony *c) {
  char *keys_dir = repo_path(r->ws, CEREMONY_KEYS_DIR);
  stella_err e = keys_dir ? fs_mkdirs(keys_dir, REPO_DIR_MODE)
                          : STELLA_E_NOMEM;
  const char *kid;
  json_t *v;
  json_object_foreach(json_object_get(c->state, "new_holders"), kid, v) {
    if (e)
      break;
    char *src = ceremony_abs(r->ws, json_string_value(v));
    const char *base = src ? strrchr(src, '/') : NULL;
    char *dst = base ? fs_join(keys_dir, base + 1) : NULL;
    if (!dst)
      e = STELLA_E_NOMEM;
    else if (!fs_exists(src))
      repo_note(r, "%s is not here (kept by its holder): keys/root/ will "
                "lack it", json_string_value(v));
    else if ((e = ceremony_move(src, dst)))
      repo_fail(r, e, "moving %s to keys/root/ failed: %s", src,
                strerror(errno));
    free(src);
    free(dst);
  }
  free(keys_dir);
  return e;
}

/* Drops the ceremony state and an empty default key folder. */
static void ceremony_cleanup(stella_repo *r, const ceremony *c) {
  char *p = repo_path(r->ws, CEREMONY_ROOT);
  if (p)
    fs_remove(p);
  free(p);
  p = repo_path(r->ws, CEREMONY_STATE);
  if (p)
    fs_remove(p);
  free(p);
  const char *out = json_string_value(json_object_get(c->state, "out_dir"));
  p = out ? ceremony_abs(r->ws, out) : NULL;
  if (p)
    rmdir(p); /* only when empty */
  free(p);
}

stella_err stella_repo_ceremony_finalize(stella_repo *r,
                                         stella_ceremony_status *st) {
  stella_err e;
  ceremony c;
  stella_ceremony_status now_st;
  if (!r)
    return STELLA_E_INVALID_ARG;
  if ((e = repo_need_ws(r)))
    return e;
  int lock;
  if ((e = repo_lock(r, &lock)))
    return e;
  if ((e = ceremony_load(r, NULL, &c))) {
    ceremony_clear(&c);
    repo_unlock(lock);
    return e;
  }
  ceremony_fill_status(&c, &now_st);
  if (st)
    *st = now_st;
  if (!now_st.ready)
    e = ceremony_refuse_not_ready(r, &now_st);
  else if (now_st.expires <= r->ws->clock->now(r->ws->clock->ctx))
    e = repo_fail(r, STELLA_E_EXPIRED, "root v%lld has already expired: "
                  "start over with `tuf-ceremony init --force`",
                  (long long)now_st.version);
  if (!e)
    e = ceremony_preflight(r, &c);
  if (!e)
    e = ceremony_archive_old(r, ceremony_version(c.old_env));
  if (!e)
    e = ceremony_install_new(r, &c);
  if (!e) {
    char note[256];
    snprintf(note, sizeof note, "root v%lld: %d of %zu keys, signed by %d of "
             "root v%lld's keys (threshold %d); sign and publish next",
             (long long)now_st.version, now_st.new_root.need,
             now_st.new_root.n_keys, now_st.old_root.have,
             (long long)now_st.old_root.version, now_st.old_root.need);
    if (repo_changelog(r->ws, "root-ceremony-finalize", note))
      repo_note(r, "warning: recording the ceremony in CHANGELOG failed "
                "(add it by hand)");
    ceremony_cleanup(r, &c);
    repo_note(r, "%s", note);
  }
  ceremony_clear(&c);
  repo_unlock(lock);
  return e;
}
