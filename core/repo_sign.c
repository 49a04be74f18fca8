/* repo_sign.c - `stella tuf sign`: turns the staged state into signed
 * metadata. A role gets a new version when its content changed (targets ->
 * snapshot -> timestamp, each listing the one below) or more than half of
 * its expiry period is gone; its expiry comes from the policy; the online
 * keys sign. Offline signatures (root, and any role the policy names no
 * online key for) are added one key holder at a time, and what is still
 * missing is listed exactly. */
#include "repo_internal.h"
#include "repo_targets.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "fsutil.h"

#define REPO_TARGET_MAX 50000000

static int64_t repo_now(const stella_repo *r) {
  return r->clock->now(r->clock->ctx);
}

static int64_t repo_signed_int(const json_t *env, const char *key) {
  return json_integer_value(json_object_get(json_object_get(env, "signed"),
                                            key));
}

static int64_t repo_signed_expires(const json_t *env) {
  int64_t t = 0;
  const char *s = json_string_value(
      json_object_get(json_object_get(env, "signed"), "expires"));
  return s && !stella_time_parse(s, &t) ? t : 0;
}

/* One targets entry {length, hashes{sha256, sha512}, custom?} for a file. */
static stella_err repo_target_entry(const char *path, const json_t *custom,
                                    json_t **out) {
  sbuf b = SBUF_INIT;
  uint8_t d256[CRYPTO_SHA256_LEN], d512[CRYPTO_SHA512_LEN];
  char h256[2 * CRYPTO_SHA256_LEN + 1], h512[2 * CRYPTO_SHA512_LEN + 1];
  stella_err e = fs_read_file(path, REPO_TARGET_MAX, &b);
  if (e) {
    sbuf_free(&b);
    return e;
  }
  crypto_sha256(b.data, b.len, d256);
  crypto_sha512(b.data, b.len, d512);
  hex_encode(d256, sizeof d256, h256);
  hex_encode(d512, sizeof d512, h512);
  *out = json_pack("{s:I, s:{s:s, s:s}}", "length", (json_int_t)b.len,
                   "hashes", "sha256", h256, "sha512", h512);
  sbuf_free(&b);
  if (*out && custom)
    json_object_set(*out, "custom", (json_t *)custom);
  return *out ? STELLA_OK : STELLA_E_NOMEM;
}

/* s with each control character (repo_control_at) as '?'; malloc'd. */
static char *repo_without_controls(const char *s) {
  char *out = malloc(strlen(s) + 1), *o = out;
  for (const char *p = s; out && *p; p++) {
    size_t n = repo_control_len(p);
    *o++ = n ? '?' : *p;
    p += n ? n - 1 : 0; /* both bytes of a C1 character become one '?' */
  }
  if (out)
    *o = '\0';
  return out;
}

/* Control characters in the texts of staged/custom.json (a note an older
 * stella took, a hand edit) would reach terminals through every client,
 * and a client re-parsing the canonical form of the entry cannot read
 * them (publish's preflight then fails): they are signed as '?'. *n counts
 * the texts changed. */
static void repo_scrub_controls(json_t *v, int *n) {
  size_t i;
  const char *key;
  json_t *it;
  if (json_is_string(v) && repo_control_at(json_string_value(v)) >= 0) {
    char *clean = repo_without_controls(json_string_value(v));
    if (clean && !json_string_set(v, clean))
      (*n)++;
    free(clean);
  }
  json_array_foreach(v, i, it) repo_scrub_controls(it, n);
  json_object_foreach(v, key, it) repo_scrub_controls(it, n);
}

/* The "targets" map from staged/targets/ and staged/custom.json; *scrubbed
 * (may be NULL) counts the texts repo_scrub_controls changed. */
static stella_err repo_targets_map(stella_repo *r, json_t **out,
                                   int *scrubbed) {
  char err[512];
  json_t *custom = NULL;
  int n = 0;
  char *cpath = repo_path(r->ws, "staged/custom.json");
  char *dir = repo_path(r->ws, "staged/targets");
  DIR *d = dir ? opendir(dir) : NULL;
  stella_err e = d ? STELLA_OK : STELLA_E_IO;
  *out = json_object();
  if (!e && cpath && repo_json_load(cpath, &custom, err, sizeof err) ==
                         STELLA_E_PARSE)
    e = STELLA_E_PARSE;
  repo_scrub_controls(custom, &n);
  if (scrubbed)
    *scrubbed = n;
  struct dirent *de;
  while (!e && d && (de = readdir(d))) {
    if (de->d_name[0] == '.')
      continue;
    char *p = fs_join(dir, de->d_name);
    json_t *entry = NULL;
    e = p ? repo_target_entry(p, json_object_get(custom, de->d_name), &entry)
          : STELLA_E_NOMEM;
    if (!e)
      json_object_set_new(*out, de->d_name, entry);
    free(p);
  }
  if (d)
    closedir(d);
  free(dir);
  free(cpath);
  json_decref(custom);
  if (e) {
    json_decref(*out);
    *out = NULL;
    return repo_fail(r, e, "reading the staged targets failed: %s",
                     stella_strerror(e));
  }
  return STELLA_OK;
}

stella_err repo_targets_pending(stella_repo *r, int *pending) {
  char err[512];
  json_t *map = NULL, *env = NULL;
  stella_err e = repo_targets_map(r, &map, NULL);
  if (!e && (e = repo_staged_load(r->ws, "targets", &env, err, sizeof err)))
    repo_fail(r, e, "%s", err);
  if (!e)
    *pending = !json_equal(map, json_object_get(json_object_get(env,
                                                                "signed"),
                                                "targets"));
  json_decref(map);
  json_decref(env);
  return e;
}

/* Signs env with the online key of role. */
static stella_err repo_online_sign(stella_repo *r, const char *role,
                                   json_t *env) {
  char err[768];
  crypto_signer *s = NULL;
  int i = repo_role_index(role);
  if (i <= 0 || !r->ws->online_key[i])
    return repo_fail(r, STELLA_E_NOT_FOUND, "%s has no online key in %s",
                     role, REPO_POLICY_FILE);
  char *path = repo_path(r->ws, r->ws->online_key[i]);
  stella_err e = path ? repo_key_load(path, &s, err, sizeof err)
                      : STELLA_E_NOMEM;
  free(path);
  if (e)
    return repo_fail(r, e, "signing %s: %s", role, err);
  e = repo_sign_envelope(env, s, NULL);
  crypto_signer_free(s);
  if (e)
    return repo_fail(r, e, "signing %s failed: %s", role, stella_strerror(e));
  return STELLA_OK;
}

/* A role without an online key in the policy is signed offline, one key
 * holder at a time (`stella tuf sign --role R --key FILE`). */
static int repo_is_online(const stella_repo *r, const char *role) {
  int i = repo_role_index(role);
  return i > 0 && r->ws->online_key[i];
}

/* Decides and applies the new state of one role whose content member
 * (e.g. "targets", "meta") should be content; signs it when its key is
 * online, else leaves the signatures to the key holders. */
static stella_err repo_update_role(stella_repo *r, const json_t *root_signed,
                                   const char *role, const char *member,
                                   json_t *content, int64_t *version_out) {
  char err[512], exp[32];
  json_t *env = NULL;
  stella_err e = repo_staged_load(r->ws, role, &env, err, sizeof err);
  if (e == STELLA_E_NOT_FOUND) {
    env = json_pack("{s:{s:s, s:s, s:i, s:s}, s:[]}", "signed", "_type",
                    role, "spec_version", REPO_SPEC_VERSION, "version", 0,
                    "expires", "1970-01-01T00:00:00Z", "signatures");
    e = env ? STELLA_OK : STELLA_E_NOMEM;
  }
  if (e)
    return repo_fail(r, e, "staged %s: %s", role, err);
  json_t *sg = json_object_get(env, "signed");
  int64_t staged_v = repo_signed_int(env, "version");
  int64_t pub_v = repo_published_version(r->ws, role);
  int64_t period = repo_expiry_of(r->ws, role), now = repo_now(r);
  int changed = !json_equal(json_object_get(sg, member), content);
  int expiring = repo_signed_expires(env) - now < period / 2;
  int have = 0, need = 1;
  repo_count_signatures(root_signed, role, env, &have, &need, NULL);
  if (changed || expiring || staged_v == 0) {
    int64_t v = staged_v > pub_v ? staged_v : pub_v + 1;
    repo_time(now + period, exp);
    json_object_set_new(sg, "version", json_integer(v));
    json_object_set_new(sg, "expires", json_string(exp));
    json_object_set(sg, member, content);
    json_object_set_new(env, "signatures", json_array());
    int online = repo_is_online(r, role);
    e = online ? repo_online_sign(r, role, env) : STELLA_OK;
    if (!e)
      repo_note(r, "%s v%lld %s (%s; expires %s)", role, (long long)v,
                online ? "signed" : "staged for its offline key holders",
                changed ? "content changed" : "expiry refreshed", exp);
  } else if (have < need && repo_is_online(r, role)) {
    json_object_set_new(env, "signatures", json_array());
    e = repo_online_sign(r, role, env);
    if (!e)
      repo_note(r, "%s v%lld re-signed (its key changed)", role,
                (long long)staged_v);
  }
  if (!e)
    e = repo_staged_save(r->ws, role, env);
  if (!e)
    *version_out = repo_signed_int(env, "version");
  else if (!r->errmsg[0])
    repo_fail(r, e, "saving staged %s failed: %s", role, stella_strerror(e));
  json_decref(env);
  return e;
}

/* A root whose content differs from the published one needs a new version
 * (and then every signature again). */
static stella_err repo_update_root(stella_repo *r, json_t *root_env) {
  json_t *pub = NULL;
  if (repo_published_load(r->ws, "root", &pub))
    return STELLA_OK;
  json_t *sg = json_object_get(root_env, "signed");
  json_t *psg = json_object_get(pub, "signed");
  int64_t v = repo_signed_int(root_env, "version");
  int64_t pv = repo_signed_int(pub, "version");
  stella_err e = STELLA_OK;
  if (v <= pv && !json_equal(sg, psg)) {
    char exp[32];
    repo_time(repo_now(r) + repo_expiry_of(r->ws, "root"), exp);
    json_object_set_new(sg, "version", json_integer(pv + 1));
    json_object_set_new(sg, "expires", json_string(exp));
    json_object_set_new(root_env, "signatures", json_array());
    e = repo_staged_save(r->ws, "root", root_env);
    if (!e)
      repo_note(r, "root v%lld staged (content changed; needs the root key "
                "holders' signatures)", (long long)pv + 1);
  }
  json_decref(pub);
  return e;
}

/* Root is signed offline, so sign cannot refresh it: say so early, when
 * less than a quarter of its period is left. */
static void repo_warn_root_expiry(stella_repo *r, const json_t *root_env) {
  int64_t exp = repo_signed_expires(root_env), now = repo_now(r);
  char when[32];
  if (exp - now >= repo_expiry_of(r->ws, "root") / 4)
    return;
  repo_time(exp, when);
  repo_note(r, "WARNING: root v%lld expires %s%s: hold a root key ceremony "
            "(tuf-ceremony init) before then, or clients stop updating",
            (long long)repo_signed_int(root_env, "version"), when,
            exp <= now ? " (already expired)" : "");
}

static stella_err repo_sign_online(stella_repo *r, json_t *root_env) {
  json_t *root_signed = json_object_get(root_env, "signed");
  repo_warn_root_expiry(r, root_env);
  json_t *map = NULL;
  int64_t tv = 0, sv = 0, xv = 0;
  int scrubbed = 0;
  stella_err e = repo_targets_map(r, &map, &scrubbed);
  if (scrubbed)
    repo_note(r, "staged/custom.json: %d change record(s) hold control "
              "characters (from an older stella or a hand edit): signed "
              "with '?' in their place", scrubbed);
  if (!e)
    e = repo_update_role(r, root_signed, "targets", "targets", map, &tv);
  json_decref(map);
  if (e)
    return e;
  json_t *meta = json_pack("{s:{s:I}}", "targets.json", "version",
                           (json_int_t)tv);
  e = repo_update_role(r, root_signed, "snapshot", "meta", meta, &sv);
  json_decref(meta);
  if (e)
    return e;
  meta = json_pack("{s:{s:I}}", "snapshot.json", "version", (json_int_t)sv);
  e = repo_update_role(r, root_signed, "timestamp", "meta", meta, &xv);
  json_decref(meta);
  return e;
}

/* Adds one key holder's signature to role. The key must be authorized for
 * role by the staged root (or, for root, by the published root: a new root
 * also needs the old root's threshold). */
static stella_err repo_sign_with(stella_repo *r, json_t *root_env,
                                 const char *role, const char *key_file) {
  char err[768], keyid[65];
  crypto_signer *s = NULL;
  json_t *keyobj = NULL, *env = NULL, *pub = NULL;
  if (repo_role_index(role) < 0)
    return repo_fail(r, STELLA_E_INVALID_ARG, "--role '%s' is not one of "
                     "root, targets, snapshot, timestamp", role);
  stella_err e = repo_key_load(key_file, &s, err, sizeof err);
  if (e)
    return repo_fail(r, e, "%s", err);
  e = repo_key_object(s, &keyobj, keyid);
  json_decref(keyobj);
  int ok = 0;
  const json_t *roots[2] = {json_object_get(root_env, "signed"), NULL};
  if (!strcmp(role, "root") && !repo_published_load(r->ws, "root", &pub))
    roots[1] = json_object_get(pub, "signed");
  for (int i = 0; !e && i < 2 && roots[i]; i++) {
    json_t *ids = json_object_get(
        json_object_get(json_object_get(roots[i], "roles"), role), "keyids");
    size_t k;
    json_t *it;
    json_array_foreach(ids, k, it) ok |= !strcmp(json_string_value(it), keyid);
  }
  json_decref(pub);
  if (!e && !ok)
    e = repo_fail(r, STELLA_E_SIGNATURE, "key %s (keyid %.16s) is not "
                  "authorized for role %s: neither the staged nor the "
                  "published root lists it (use a key file of one of the "
                  "role's key holders; `stella tuf sign` lists them)",
                  key_file, keyid, role);
  if (!e && !strcmp(role, "root")) {
    env = json_incref(root_env);
  } else if (!e && (e = repo_staged_load(r->ws, role, &env, err,
                                         sizeof err))) {
    repo_fail(r, e, "%s", err);
  }
  if (!e && !(e = repo_sign_envelope(env, s, NULL)))
    e = repo_staged_save(r->ws, role, env);
  if (!e)
    repo_note(r, "%s v%lld: signature of keyid %.16s added", role,
              (long long)repo_signed_int(env, "version"), keyid);
  else if (!r->errmsg[0])
    repo_fail(r, e, "signing %s failed: %s", role, stella_strerror(e));
  json_decref(env);
  crypto_signer_free(s);
  return e;
}

/* Appends one missing entry when have < need. */
static stella_err repo_push_missing(stella_repo_missing **arr, size_t *n,
                                    const stella_repo_missing *m) {
  if (m->have >= m->need)
    return STELLA_OK;
  stella_repo_missing *p = realloc(*arr, (*n + 1) * sizeof *p);
  if (!p)
    return STELLA_E_NOMEM;
  p[(*n)++] = *m;
  *arr = p;
  return STELLA_OK;
}

stella_err repo_missing_all(const repo_ws *ws, stella_repo_missing **out,
                            size_t *n_out) {
  char err[512];
  json_t *root = NULL, *pub = NULL;
  stella_repo_missing m, *arr = NULL;
  size_t n = 0;
  int have, need;
  stella_err e = repo_staged_load(ws, "root", &root, err, sizeof err);
  const json_t *rs = json_object_get(root, "signed");
  for (int i = 0; !e && i < REPO_N_ROLES; i++) {
    json_t *env = NULL;
    if (i == 0)
      env = json_incref(root);
    else if ((e = repo_staged_load(ws, repo_roles[i], &env, err, sizeof err)))
      break;
    e = repo_count_signatures(rs, repo_roles[i], env, &have, &need, &m);
    if (!e)
      e = repo_push_missing(&arr, &n, &m);
    /* A new root also needs the threshold of the root before it. */
    if (!e && i == 0 && !repo_published_load(ws, "root", &pub) &&
        repo_signed_int(root, "version") > repo_signed_int(pub, "version")) {
      e = repo_count_signatures(json_object_get(pub, "signed"), "root", env,
                                &have, &need, &m);
      snprintf(m.role, sizeof m.role, "root (by root v%lld keys)",
               (long long)repo_signed_int(pub, "version"));
      if (!e)
        e = repo_push_missing(&arr, &n, &m);
    }
    json_decref(env);
  }
  json_decref(pub);
  json_decref(root);
  if (e) {
    free(arr);
    return e;
  }
  *out = arr;
  *n_out = n;
  return STELLA_OK;
}

stella_err stella_repo_sign(stella_repo *r, const stella_repo_sign_opts *o,
                            stella_repo_missing **missing,
                            size_t *n_missing) {
  char err[512];
  json_t *root_env = NULL;
  stella_repo_missing *m = NULL;
  size_t n = 0;
  r->errmsg[0] = '\0';
  if (missing)
    *missing = NULL;
  if (n_missing)
    *n_missing = 0;
  stella_err e = repo_need_ws(r);
  if (e)
    return e;
  if (o && (!o->role) != (!o->key_file))
    return repo_fail(r, STELLA_E_INVALID_ARG, "--role R and --key FILE go "
                     "together");
  int lock;
  if ((e = repo_lock(r, &lock)))
    return e;
  if ((e = repo_staged_load(r->ws, "root", &root_env, err, sizeof err)))
    repo_fail(r, e, "%s", err);
  else if (o && o->role)
    e = repo_sign_with(r, root_env, o->role, o->key_file);
  else if (!(e = repo_update_root(r, root_env)))
    e = repo_sign_online(r, root_env);
  json_decref(root_env);
  repo_unlock(lock);
  if (e)
    return e;
  if ((e = repo_missing_all(r->ws, &m, &n)))
    return repo_fail(r, e, "checking signatures failed: %s",
                     stella_strerror(e));
  if (n_missing)
    *n_missing = n;
  if (missing)
    *missing = m;
  else
    free(m);
  return STELLA_OK;
}
