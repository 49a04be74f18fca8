/* repo_change.c - the staged changes of a disaster runbook: Rekor endpoint
 * swap/add/remove (signing_config), log key add/remove (trusted_root), and
 * attestation signing keys (signing_keys.json). Every change keeps history
 * (validity ends, entries stay), records its note in the target's custom
 * metadata and the CHANGELOG, and only stages. */
#include "repo_internal.h"
#include "repo_targets.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "fsutil.h"

static int64_t rc_now(const stella_repo *r) {
  return r->clock->now(r->clock->ctx);
}

/* Loads a staged target or sets the error. */
static stella_err rc_load(stella_repo *r, const char *name, json_t **doc) {
  char err[512];
  stella_err e = repo_need_ws(r);
  if (!e && (e = repo_target_load(r->ws, name, doc, err, sizeof err)))
    repo_fail(r, e, "%s (the workspace is damaged; restore it from a "
              "backup)", err);
  return e;
}

/* Loads the staged signing_config and its Rekor endpoint list (borrowed
 * from *sc, which the caller releases). */
static stella_err rc_load_rekor_urls(stella_repo *r, json_t **sc,
                                     json_t **list) {
  stella_err e = rc_load(r, REPO_SIGNING_CONFIG, sc);
  if (e)
    return e;
  *list = json_object_get(*sc, "rekorTlogUrls");
  if (json_is_array(*list))
    return STELLA_OK;
  json_decref(*sc);
  *sc = NULL;
  return repo_fail(r, STELLA_E_FORMAT, "staged %s has no rekorTlogUrls list "
                   "(the workspace is damaged; restore it from a backup)",
                   REPO_SIGNING_CONFIG);
}

/* Saves a staged target and records the change (CHANGELOG unless the
 * same change saves a second target: log 0). */
static stella_err rc_save_log(stella_repo *r, const char *name, json_t *doc,
                              const char *what, const char *note, int log) {
  stella_err e = repo_target_save(r->ws, name, doc);
  if (!e)
    e = repo_target_note(r->ws, name, what, note);
  if (!e && log)
    e = repo_changelog(r->ws, what, note);
  if (e)
    return repo_fail(r, e, "saving staged %s failed: %s", name,
                     stella_strerror(e));
  if (log)
    repo_note(r, "%s", what);
  return STELLA_OK;
}

static stella_err rc_save(stella_repo *r, const char *name, json_t *doc,
                          const char *what, const char *note) {
  return rc_save_log(r, name, doc, what, note, 1);
}

/* The start of every change: a loaded workspace, a note that is plain text
 * (it is published and shown), and the workspace lock (the one sign and
 * publish take), so two changes never read-modify-write the same staged
 * file at once; *lock goes to repo_unlock() (-1 on failure). */
static stella_err rc_begin(stella_repo *r, const char *note, int *lock) {
  r->errmsg[0] = '\0';
  *lock = -1;
  stella_err e = repo_need_ws(r);
  if (!e)
    e = repo_check_text(r, "--note", note);
  return e ? e : repo_lock(r, lock);
}

/* 1 when the validFor of obj is open at t (no end, or end after t). */
static int rc_open_at(const json_t *obj, int64_t t) {
  const char *end = json_string_value(
      json_object_get(json_object_get(obj, "validFor"), "end"));
  int64_t e = 0;
  return !end || (!stella_time_parse(end, &e) && e > t);
}

static void rc_end(json_t *obj, int64_t t) {
  char ts[32];
  json_t *vf = json_object_get(obj, "validFor");
  repo_time(t, ts);
  if (!vf) {
    vf = json_object();
    json_object_set_new(obj, "validFor", vf);
  }
  json_object_set_new(vf, "end", json_string(ts));
}

/* Index of the first open entry of list (optionally with url, trailing
 * '/' aside), or -1. */
static long rc_find_open(const json_t *list, const char *url, int64_t now) {
  size_t i;
  json_t *it;
  json_array_foreach(list, i, it) {
    const char *u = json_string_value(json_object_get(it, "url"));
    if (rc_open_at(it, now) && (!url || (u && repo_same_url(u, url))))
      return (long)i;
  }
  return -1;
}

/* ---- Endpoints ----------------------------------------------------------- */

static stella_err rc_endpoint_swap(stella_repo *r, const char *url,
                                   const char *note) {
  json_t *sc = NULL, *list = NULL;
  char new_url[URL_MAX + 1];
  stella_err e = repo_check_url(r, "--new-rekor-url", url, new_url);
  if (e)
    return e;
  if (!note || !*note)
    return repo_fail(r, STELLA_E_INVALID_ARG, "--note TEXT is required: say "
                     "why (it is recorded with the change)");
  if ((e = rc_load_rekor_urls(r, &sc, &list)))
    return e;
  int64_t now = rc_now(r);
  long primary = rc_find_open(list, NULL, now);
  long have = rc_find_open(list, new_url, now);
  const char *op = json_string_value(
      json_object_get(json_array_get(list, primary < 0 ? 0 : primary),
                      "operator"));
  char what[1200], old[1024] = "";
  if (primary >= 0 && primary == have) {
    json_decref(sc);
    return repo_fail(r, STELLA_E_EXISTS, "%s is already the primary Rekor "
                     "endpoint: nothing to swap", new_url);
  }
  if (primary >= 0) {
    json_t *p = json_array_get(list, (size_t)primary);
    url_shown(json_string_value(json_object_get(p, "url")), old, sizeof old);
    rc_end(p, now); /* kept, so history stays readable */
  }
  if (have >= 0) { /* an open mirror becomes the primary: move it first */
    json_t *m = json_incref(json_array_get(list, (size_t)have));
    json_array_remove(list, (size_t)have);
    json_array_insert_new(list, 0, m);
  } else {
    json_array_insert_new(list, 0, repo_rekor_entry(new_url, op, now));
  }
  snprintf(what, sizeof what, "endpoint swap: Rekor primary %s -> %s", *old
           ? old : "(none)", new_url);
  e = rc_save(r, REPO_SIGNING_CONFIG, sc, what, note);
  json_decref(sc);
  return e;
}

static stella_err rc_endpoint_add(stella_repo *r, const char *given,
                                  const char *note) {
  json_t *sc = NULL, *list = NULL;
  char what[1100], url[URL_MAX + 1];
  stella_err e = repo_check_url(r, "--rekor-url", given, url);
  if (!e)
    e = rc_load_rekor_urls(r, &sc, &list);
  if (e)
    return e;
  int64_t now = rc_now(r);
  long primary = rc_find_open(list, NULL, now);
  if (rc_find_open(list, url, now) >= 0) {
    json_decref(sc);
    return repo_fail(r, STELLA_E_EXISTS, "%s is already a valid Rekor "
                     "endpoint", url);
  }
  const char *op = json_string_value(json_object_get(
      json_array_get(list, primary < 0 ? 0 : (size_t)primary), "operator"));
  json_array_append_new(list, repo_rekor_entry(url, op, now));
  snprintf(what, sizeof what, "endpoint add: Rekor mirror %s", url);
  e = rc_save(r, REPO_SIGNING_CONFIG, sc, what, note);
  json_decref(sc);
  return e;
}

/* url is not checked like a new one: an entry an older stella stored with
 * a password or a control byte must be removable; it is shown with
 * url_shown() only. */
static stella_err rc_endpoint_remove(stella_repo *r, const char *url,
                                     const char *note) {
  json_t *sc = NULL, *list = NULL;
  char what[1100], shown[URL_MAX + 1];
  if (!url || !*url)
    return repo_fail(r, STELLA_E_INVALID_ARG, "--rekor-url URL is needed");
  url_shown(url, shown, sizeof shown);
  stella_err e = rc_load_rekor_urls(r, &sc, &list);
  if (e)
    return e;
  int64_t now = rc_now(r);
  long at = rc_find_open(list, url, now);
  size_t open = 0, i;
  json_t *it;
  json_array_foreach(list, i, it) open += rc_open_at(it, now);
  if (at < 0)
    e = repo_fail(r, STELLA_E_NOT_FOUND, "%s is not a valid Rekor endpoint "
                  "of this repository (`stella tuf diff` and "
                  "staged/targets/%s show them)", shown, REPO_SIGNING_CONFIG);
  else if (open < 2)
    e = repo_fail(r, STELLA_E_LIMIT, "%s is the last valid Rekor "
                  "endpoint: clients would have none (swap to another one "
                  "first)", shown);
  if (!e) {
    rc_end(json_array_get(list, (size_t)at), now);
    snprintf(what, sizeof what, "endpoint remove: Rekor endpoint %s ended",
             shown);
    e = rc_save(r, REPO_SIGNING_CONFIG, sc, what, note);
  }
  json_decref(sc);
  return e;
}

/* ---- Log keys ------------------------------------------------------------ */

#define RC_CLOCK_SKEW 300 /* seconds a compromise time may be ahead of now */

/* Checks the compromise time *since (0: none): one later than now would
 * keep the leaked key valid until then, so it is refused; one within
 * RC_CLOCK_SKEW ahead (the clocks of two machines) becomes now. */
static stella_err rc_compromise_time(stella_repo *r, int64_t *since) {
  int64_t now = rc_now(r);
  char when[32], at[32];
  if (*since <= now)
    return STELLA_OK;
  if (*since <= now + RC_CLOCK_SKEW) {
    *since = now;
    return STELLA_OK;
  }
  repo_time(*since, when);
  repo_time(now, at);
  return repo_fail(r, STELLA_E_INVALID_ARG, "--compromised-since %s is in "
                   "the future (now is %s): the leaked key would stay valid "
                   "until then (give the time it may first have been "
                   "exposed; up to %d minutes ahead counts as now)", when, at,
                   RC_CLOCK_SKEW / 60);
}

/* The tlog entry whose logId.keyId is keyid_b64, or NULL. */
static json_t *rc_tlog_by_id(json_t *tr, const char *keyid_b64) {
  size_t i;
  json_t *it;
  json_array_foreach(json_object_get(tr, "tlogs"), i, it) {
    const char *k = json_string_value(
        json_object_get(json_object_get(it, "logId"), "keyId"));
    if (k && keyid_b64 && !strcmp(k, keyid_b64))
      return it;
  }
  return NULL;
}

/* The logKeyNames / signingKeys entry called name, or NULL. */
static json_t *rc_by_name(json_t *list, const char *name) {
  size_t i;
  json_t *it;
  json_array_foreach(list, i, it) {
    const char *n = json_string_value(json_object_get(it, "name"));
    if (n && !strcmp(n, name))
      return it;
  }
  return NULL;
}

static stella_err rc_key_add_to(stella_repo *r, json_t *tr, json_t *sk,
                                const uint8_t *der, size_t derlen,
                                const char *details, const char *name,
                                const char *base_url) {
  json_t *sc = NULL;
  int64_t now = rc_now(r);
  json_t *list = NULL;
  stella_err e = rc_load_rekor_urls(r, &sc, &list);
  if (e)
    return e;
  long p = rc_find_open(list, NULL, now);
  const char *url = base_url ? base_url : json_string_value(
      json_object_get(json_array_get(list, p < 0 ? 0 : (size_t)p), "url"));
  json_t *entry = repo_tlog_entry(url ? url : "", der, derlen, details, now);
  json_decref(sc);
  if (!entry)
    return repo_fail(r, STELLA_E_NOMEM, "out of memory");
  const char *kid = json_string_value(
      json_object_get(json_object_get(entry, "logId"), "keyId"));
  json_t *same = rc_tlog_by_id(tr, kid);
  if (same && rc_open_at(json_object_get(same, "publicKey"), now))
    e = repo_fail(r, STELLA_E_EXISTS, "this log key is already trusted "
                  "(log ID %s)", kid);
  else if (rc_by_name(json_object_get(sk, "logKeyNames"), name))
    e = repo_fail(r, STELLA_E_EXISTS, "a log key called '%s' exists already "
                  "(choose another --name)", name);
  if (!e) {
    json_array_append(json_object_get(tr, "tlogs"), entry);
    json_array_append_new(json_object_get(sk, "logKeyNames"),
                          json_pack("{s:O, s:s}", "logId",
                                    json_object_get(entry, "logId"), "name",
                                    name));
  }
  json_decref(entry);
  return e;
}

static stella_err rc_rekor_key_add(stella_repo *r, const char *pub_file,
                                   const char *name, const char *base_url,
                                   const char *note) {
  json_t *tr = NULL, *sk = NULL;
  uint8_t *der = NULL;
  size_t derlen = 0;
  const char *details = NULL;
  char kname[128], what[256], url[URL_MAX + 1];
  stella_err e = base_url ? repo_check_url(r, "--rekor-url", base_url, url)
                          : STELLA_OK;
  if (e)
    return e;
  if (name)
    snprintf(kname, sizeof kname, "%s", name);
  else
    repo_name_from_file(pub_file, kname, sizeof kname);
  if ((e = repo_check_name(r, name ? "--name" : "the key's name (from the "
                           "file name; pass --name)", name ? name : kname)))
    return e;
  if ((e = repo_read_public_key(r, pub_file, &der, &derlen, &details)))
    return e;
  if (!(e = rc_load(r, REPO_TRUSTED_ROOT, &tr)) &&
      !(e = rc_load(r, REPO_SIGNING_KEYS, &sk)))
    e = rc_key_add_to(r, tr, sk, der, derlen, details, kname,
                      base_url ? url : NULL);
  snprintf(what, sizeof what, "rekor key add: %s valid from now", kname);
  if (!e)
    e = rc_save(r, REPO_TRUSTED_ROOT, tr, what, note);
  if (!e)
    e = rc_save_log(r, REPO_SIGNING_KEYS, sk, what, note, 0);
  free(der);
  json_decref(tr);
  json_decref(sk);
  return e;
}

/* Newest start among the open tlog keys other than skip (0 if none). */
static int64_t rc_newest_other(json_t *tr, const json_t *skip, int64_t now,
                               int *n_open) {
  int64_t newest = 0;
  size_t i;
  json_t *it;
  *n_open = 0;
  json_array_foreach(json_object_get(tr, "tlogs"), i, it) {
    json_t *pk = json_object_get(it, "publicKey");
    const char *s = json_string_value(
        json_object_get(json_object_get(pk, "validFor"), "start"));
    int64_t t = 0;
    if (it == skip || !rc_open_at(pk, now))
      continue;
    (*n_open)++;
    if (s && !stella_time_parse(s, &t) && t > newest)
      newest = t;
  }
  return newest;
}

/* The name signing_keys.json (sk) gives log key tlog, else its log ID. */
static void rc_tlog_name(json_t *sk, const json_t *tlog, char *out,
                         size_t len) {
  size_t i;
  json_t *it;
  const json_t *id = json_object_get(tlog, "logId");
  snprintf(out, len, "log ID %.12s...",
           json_string_value(json_object_get(id, "keyId")));
  json_array_foreach(json_object_get(sk, "logKeyNames"), i, it) {
    if (json_equal(json_object_get(it, "logId"), id))
      snprintf(out, len, "%s", json_string_value(json_object_get(it, "name")));
  }
}

/* An open tlog key other than skip that the published trusted_root does
 * not list yet (clients cannot know it), or NULL. */
static json_t *rc_unpublished_other(stella_repo *r, json_t *tr,
                                    const json_t *skip, int64_t now) {
  json_t *pub = repo_published_target(r->ws, REPO_TRUSTED_ROOT), *found = NULL;
  size_t i, j;
  json_t *it, *p;
  json_array_foreach(json_object_get(tr, "tlogs"), i, it) {
    int published = 0;
    if (it == skip || !rc_open_at(json_object_get(it, "publicKey"), now))
      continue;
    json_array_foreach(json_object_get(pub, "tlogs"), j, p) {
      published |= json_equal(json_object_get(p, "logId"),
                              json_object_get(it, "logId"));
    }
    if (!published && !found)
      found = it;
  }
  json_decref(pub);
  return found;
}

/* Checks and applies the end of the log key tlog. */
static stella_err rc_key_end(stella_repo *r, json_t *tr, json_t *sk,
                             json_t *tlog, const char *name, int64_t since,
                             int skip_grace) {
  json_t *pk = json_object_get(tlog, "publicKey");
  int64_t now = rc_now(r), start = 0, end = since ? since : now;
  int n_open;
  int64_t newest = rc_newest_other(tr, tlog, now, &n_open);
  const char *s = json_string_value(
      json_object_get(json_object_get(pk, "validFor"), "start"));
  char t1[32], t2[32];
  if (s)
    stella_time_parse(s, &start);
  if (!rc_open_at(pk, now))
    return repo_fail(r, STELLA_E_EXISTS, "log key '%s' is not valid any "
                     "more: nothing to remove", name);
  if (n_open == 0)
    return repo_fail(r, STELLA_E_LIMIT, "'%s' is the only valid log "
                     "key: clients would trust none (add the new key first: "
                     "rotate-rekor-key.sh add-key)", name);
  if (end < start)
    return repo_fail(r, STELLA_E_INVALID_ARG, "--compromised-since is before "
                     "the key's validity started (%s)", s);
  json_t *unpublished = since || skip_grace
                            ? NULL : rc_unpublished_other(r, tr, tlog, now);
  if (unpublished) {
    char kname[128];
    rc_tlog_name(sk, unpublished, kname, sizeof kname);
    return repo_fail(r, STELLA_E_LIMIT, "log key '%s' is not published yet: "
                     "clients would be left with no key they know once '%s' "
                     "ends (publish it first: scripts/sign-metadata.sh and "
                     "scripts/publish.sh, then wait the grace period)", kname,
                     name);
  }
  if (!since && !skip_grace && now - newest < r->ws->grace) {
    repo_time(newest, t1);
    repo_time(newest + r->ws->grace, t2);
    return repo_fail(r, STELLA_E_LIMIT, "the newest log key was added "
                     "at %s: clients may not have seen it yet; removing '%s' "
                     "now could break their verification (wait until %s, or "
                     "pass --skip-grace when every client has synced)", t1,
                     name, t2);
  }
  rc_end(pk, end);
  return STELLA_OK;
}

static stella_err rc_rekor_key_remove(stella_repo *r, const char *name,
                                      int64_t compromised_since,
                                      int skip_grace, const char *note) {
  json_t *tr = NULL, *sk = NULL;
  char what[256], ts[32];
  stella_err e = rc_compromise_time(r, &compromised_since);
  if (!e)
    e = rc_load(r, REPO_TRUSTED_ROOT, &tr);
  if (!e)
    e = rc_load(r, REPO_SIGNING_KEYS, &sk);
  json_t *named = e ? NULL : rc_by_name(json_object_get(sk, "logKeyNames"),
                                        name);
  json_t *tlog = named ? rc_tlog_by_id(tr, json_string_value(json_object_get(
                             json_object_get(named, "logId"), "keyId")))
                       : NULL;
  if (!e && !tlog)
    e = repo_fail(r, STELLA_E_NOT_FOUND, "no log key called '%s' in this "
                  "repository (`stella tuf diff` or staged/targets/%s list "
                  "the names)", name, REPO_SIGNING_KEYS);
  if (!e)
    e = rc_key_end(r, tr, sk, tlog, name, compromised_since, skip_grace);
  if (compromised_since)
    repo_time(compromised_since, ts);
  snprintf(what, sizeof what, "rekor key remove: %s %s%s", name,
           compromised_since ? "compromised since " : "ended now",
           compromised_since ? ts : "");
  if (!e)
    e = rc_save(r, REPO_TRUSTED_ROOT, tr, what, note);
  json_decref(tr);
  json_decref(sk);
  return e;
}

/* ---- Attestation signing keys -------------------------------------------- */

/* Writes NAME.pem (0600) and NAME.pub into out_dir; fills der/details. */
static stella_err rc_write_pair(stella_repo *r, const char *key_type,
                                const char *name, const char *out_dir,
                                uint8_t **der, size_t *derlen) {
  crypto_signer *s = NULL;
  sbuf pem = SBUF_INIT, priv = SBUF_INIT, pub = SBUF_INIT;
  stella_err e = fs_mkdirs(out_dir, REPO_DIR_MODE);
  if (e)
    return repo_fail(r, e, "cannot create %s: %s", out_dir,
                     stella_strerror(e));
  sbuf_printf(&priv, "%s/%s.pem", out_dir, name);
  sbuf_printf(&pub, "%s/%s.pub", out_dir, name);
  if (fs_exists(priv.data) || fs_exists(pub.data))
    e = repo_fail(r, STELLA_E_EXISTS, "%s or %s exists already: refusing to "
                  "overwrite a key (choose another --name)", priv.data,
                  pub.data);
  if (!e && (e = crypto_signer_generate(key_type, &s)))
    repo_fail(r, e, "generating a %s key failed: %s", key_type,
              stella_strerror(e));
  if (!e && !(e = crypto_signer_public_pem(s, &pem)) &&
      !(e = fs_write_atomic(pub.data, pem.data, pem.len, 0644)) &&
      !(e = crypto_signer_save(s, priv.data)))
    e = crypto_signer_public_der(s, der, derlen);
  if (e && !r->errmsg[0])
    repo_fail(r, e, "writing the key pair to %s failed: %s", out_dir,
              stella_strerror(e));
  if (!e)
    repo_note(r, "generated %s (private, 0600) and %s", priv.data, pub.data);
  crypto_signer_free(s);
  sbuf_free(&pem);
  sbuf_free(&priv);
  sbuf_free(&pub);
  return e;
}

static stella_err rc_stage_signing_key(stella_repo *r, const char *name,
                                       const uint8_t *der, size_t derlen,
                                       const char *details,
                                       const char *note) {
  json_t *sk = NULL;
  char *raw = NULL, what[256];
  stella_err e = rc_load(r, REPO_SIGNING_KEYS, &sk);
  if (e)
    return e;
  if (base64_encode(der, derlen, &raw))
    e = repo_fail(r, STELLA_E_NOMEM, "out of memory");
  else
    json_array_append_new(
        json_object_get(sk, "signingKeys"),
        json_pack("{s:s, s:s, s:s, s:s, s:o}", "name", name, "keyDetails",
                  details, "rawBytes", raw, "status", "active", "validFor",
                  repo_validity(rc_now(r), 0)));
  snprintf(what, sizeof what, "signing key generate: %s active", name);
  if (!e)
    e = rc_save(r, REPO_SIGNING_KEYS, sk, what, note);
  free(raw);
  json_decref(sk);
  return e;
}

static stella_err rc_signing_key_generate(stella_repo *r,
                                          const char *key_type,
                                          const char *name,
                                          const char *out_dir,
                                          const char *note) {
  char kname[128], day[32];
  uint8_t *der = NULL;
  size_t derlen = 0;
  json_t *sk = NULL;
  key_type = key_type ? key_type : "ecdsa-p256";
  if (strcmp(key_type, "ecdsa-p256") && strcmp(key_type, "ed25519"))
    return repo_fail(r, STELLA_E_INVALID_ARG, "--key-type '%s' is not one of "
                     "ecdsa-p256, ed25519", key_type);
  repo_time(rc_now(r), day);
  day[10] = '\0';
  if (name && repo_check_name(r, "--name", name))
    return STELLA_E_INVALID_ARG;
  snprintf(kname, sizeof kname, "%s%s", name ? name : "signing-key-",
           name ? "" : day);
  if (r->ws) { /* refuse a name in use before making any file */
    stella_err e = rc_load(r, REPO_SIGNING_KEYS, &sk);
    int used = !e && rc_by_name(json_object_get(sk, "signingKeys"), kname);
    json_decref(sk);
    if (e)
      return e;
    if (used)
      return repo_fail(r, STELLA_E_EXISTS, "a signing key called '%s' "
                       "exists already (choose another --name)", kname);
  }
  stella_err e = rc_write_pair(r, key_type, kname, out_dir, &der, &derlen);
  if (!e && r->ws)
    e = rc_stage_signing_key(r, kname, der, derlen,
                             strcmp(key_type, "ed25519")
                                 ? "PKIX_ECDSA_P256_SHA_256"
                                 : "PKIX_ED25519",
                             note);
  free(der);
  return e;
}

static stella_err rc_signing_key_retire(stella_repo *r, const char *name,
                                        int64_t compromised_since,
                                        const char *note) {
  json_t *sk = NULL;
  char what[256];
  stella_err e = rc_compromise_time(r, &compromised_since);
  if (!e)
    e = rc_load(r, REPO_SIGNING_KEYS, &sk);
  if (e)
    return e;
  json_t *k = rc_by_name(json_object_get(sk, "signingKeys"), name);
  const char *status = json_string_value(json_object_get(k, "status"));
  if (!k)
    e = repo_fail(r, STELLA_E_NOT_FOUND, "no signing key called '%s' in "
                  "this repository (staged/targets/%s lists them)", name,
                  REPO_SIGNING_KEYS);
  else if (status && strcmp(status, "active") &&
           !(compromised_since && !strcmp(status, "retired")))
    e = repo_fail(r, STELLA_E_EXISTS, "signing key '%s' is already %s", name,
                  status);
  const char *start = json_string_value(
      json_object_get(json_object_get(k, "validFor"), "start"));
  int64_t t0 = 0;
  /* an end before the start is no window verifiers could apply */
  if (!e && compromised_since && start && !stella_time_parse(start, &t0) &&
      compromised_since < t0)
    e = repo_fail(r, STELLA_E_INVALID_ARG, "--compromised-since is before "
                  "the key's validity started (%s; give that time to "
                  "distrust everything it signed)", start);
  if (!e) {
    const char *st = compromised_since ? "compromised" : "retired";
    json_object_set_new(k, "status", json_string(st));
    rc_end(k, compromised_since ? compromised_since : rc_now(r));
    snprintf(what, sizeof what, "signing key retire: %s %s", name, st);
    e = rc_save(r, REPO_SIGNING_KEYS, sk, what, note);
  }
  json_decref(sk);
  return e;
}

/* ---- The change commands, each under the workspace lock ------------------ */

stella_err stella_repo_endpoint_swap(stella_repo *r, const char *new_url,
                                     const char *note) {
  int lock;
  stella_err e = rc_begin(r, note, &lock);
  if (!e)
    e = rc_endpoint_swap(r, new_url, note);
  repo_unlock(lock);
  return e;
}

stella_err stella_repo_endpoint_add(stella_repo *r, const char *url,
                                    const char *note) {
  int lock;
  stella_err e = rc_begin(r, note, &lock);
  if (!e)
    e = rc_endpoint_add(r, url, note);
  repo_unlock(lock);
  return e;
}

stella_err stella_repo_endpoint_remove(stella_repo *r, const char *url,
                                       const char *note) {
  int lock;
  stella_err e = rc_begin(r, note, &lock);
  if (!e)
    e = rc_endpoint_remove(r, url, note);
  repo_unlock(lock);
  return e;
}

stella_err stella_repo_rekor_key_add(stella_repo *r, const char *pub_file,
                                     const char *name, const char *base_url,
                                     const char *note) {
  int lock;
  stella_err e = rc_begin(r, note, &lock);
  if (!e)
    e = rc_rekor_key_add(r, pub_file, name, base_url, note);
  repo_unlock(lock);
  return e;
}

stella_err stella_repo_rekor_key_remove(stella_repo *r, const char *name,
                                        int64_t compromised_since,
                                        int skip_grace, const char *note) {
  int lock;
  stella_err e = rc_begin(r, note, &lock);
  if (!e)
    e = rc_rekor_key_remove(r, name, compromised_since, skip_grace, note);
  repo_unlock(lock);
  return e;
}

/* Without a workspace only the key pair is made: nothing to lock. */
stella_err stella_repo_signing_key_generate(stella_repo *r,
                                            const char *key_type,
                                            const char *name,
                                            const char *out_dir,
                                            const char *note) {
  int lock = -1;
  r->errmsg[0] = '\0';
  stella_err e = r->ws ? rc_begin(r, note, &lock) : STELLA_OK;
  if (!e)
    e = rc_signing_key_generate(r, key_type, name, out_dir, note);
  repo_unlock(lock);
  return e;
}

stella_err stella_repo_signing_key_retire(stella_repo *r, const char *name,
                                          int64_t compromised_since,
                                          const char *note) {
  int lock;
  stella_err e = rc_begin(r, note, &lock);
  if (!e)
    e = rc_signing_key_retire(r, name, compromised_since, note);
  repo_unlock(lock);
  return e;
}
