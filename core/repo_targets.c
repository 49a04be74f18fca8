/* repo_targets.c - the staged targets of a workspace: the service map in
 * Sigstore's formats (trusted_root.json, signing_config.v0.2.json), stella's
 * signing_keys.json, and the custom metadata (change note and time) that
 * travels with each target in targets.json. */
#include "repo_internal.h"
#include "repo_targets.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "fsutil.h"

const char *const repo_target_names[REPO_N_TARGETS] = {
  REPO_TRUSTED_ROOT, REPO_SIGNING_CONFIG, REPO_SIGNING_KEYS};

json_t *repo_validity(int64_t start, int64_t end) {
  char s[32], e[32];
  repo_time(start, s);
  json_t *vf = json_pack("{s:s}", "start", s);
  if (vf && end > 0) {
    repo_time(end, e);
    json_object_set_new(vf, "end", json_string(e));
  }
  return vf;
}

json_t *repo_tlog_entry(const char *url, const uint8_t *der, size_t derlen,
                        const char *key_details, int64_t start) {
  uint8_t digest[CRYPTO_SHA256_LEN];
  char *raw = NULL, *logid = NULL;
  json_t *entry = NULL;
  crypto_sha256(der, derlen, digest);
  /* Sigstore's log ID is the SHA-256 of the DER public key. */
  if (!base64_encode(der, derlen, &raw) &&
      !base64_encode(digest, sizeof digest, &logid))
    entry = json_pack("{s:s, s:s, s:{s:s, s:s, s:o}, s:{s:s}}", "baseUrl",
                      url, "hashAlgorithm", "SHA2_256", "publicKey",
                      "rawBytes", raw, "keyDetails", key_details, "validFor",
                      repo_validity(start, 0), "logId", "keyId", logid);
  free(raw);
  free(logid);
  return entry;
}

json_t *repo_rekor_entry(const char *url, const char *operator_name,
                         int64_t start) {
  return json_pack("{s:s, s:i, s:o, s:s}", "url", url, "majorApiVersion", 1,
                   "validFor", repo_validity(start, 0), "operator",
                   operator_name ? operator_name : "");
}

json_t *repo_empty_trusted_root(void) {
  return json_pack("{s:s, s:[], s:[], s:[], s:[]}", "mediaType",
                   "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
                   "tlogs", "certificateAuthorities", "ctlogs",
                   "timestampAuthorities");
}

json_t *repo_empty_signing_config(void) {
  return json_pack("{s:s, s:[], s:[], s:[], s:[], s:{s:s}, s:{s:s}}",
                   "mediaType",
                   "application/vnd.dev.sigstore.signingconfig.v0.2+json",
                   "caUrls", "oidcUrls", "rekorTlogUrls", "tsaUrls",
                   "rekorTlogConfig", "selector", "ANY", "tsaConfig",
                   "selector", "ANY");
}

json_t *repo_empty_signing_keys(void) {
  return json_pack("{s:s, s:[], s:[]}", "mediaType", REPO_SIGNING_KEYS_MEDIA,
                   "signingKeys", "logKeyNames");
}

static char *repo_target_path(const repo_ws *ws, const char *name) {
  char rel[256];
  snprintf(rel, sizeof rel, "staged/targets/%s", name);
  return repo_path(ws, rel);
}

stella_err repo_target_load(const repo_ws *ws, const char *name, json_t **out,
                            char *errbuf, size_t errlen) {
  char *path = repo_target_path(ws, name);
  if (!path)
    return STELLA_E_NOMEM;
  stella_err e = repo_json_load(path, out, errbuf, errlen);
  free(path);
  return e;
}

stella_err repo_target_save(const repo_ws *ws, const char *name,
                            const json_t *doc) {
  char *path = repo_target_path(ws, name);
  if (!path)
    return STELLA_E_NOMEM;
  stella_err e = repo_json_save(path, doc, REPO_FILE_MODE);
  free(path);
  return e;
}

stella_err repo_target_note(const repo_ws *ws, const char *name,
                            const char *what, const char *note) {
  char now[32], err[256];
  json_t *all = NULL;
  char *path = repo_path(ws, "staged/custom.json");
  if (!path)
    return STELLA_E_NOMEM;
  stella_err e = repo_json_load(path, &all, err, sizeof err);
  if (e == STELLA_E_NOT_FOUND) {
    all = json_object();
    e = all ? STELLA_OK : STELLA_E_NOMEM;
  }
  repo_time(ws->clock->now(ws->clock->ctx), now);
  json_t *custom = e ? NULL
                     : json_pack("{s:s, s:s, s:s}", "change", what,
                                 "changed_at", now, "note", note ? note : "");
  if (!e && (!custom || json_object_set_new(all, name, custom)))
    e = STELLA_E_NOMEM;
  if (!e)
    e = repo_json_save(path, all, REPO_FILE_MODE);
  json_decref(all);
  free(path);
  return e;
}

/* The published copy of target name (via the published targets.json). */
json_t *repo_published_target(const repo_ws *ws, const char *name) {
  json_t *env = NULL, *doc = NULL;
  char err[256], rel[256];
  if (repo_published_load(ws, "targets", &env))
    return NULL;
  const char *sha = json_string_value(json_object_get(
      json_object_get(json_object_get(json_object_get(json_object_get(
                          env, "signed"), "targets"), name), "hashes"),
      "sha256"));
  if (sha) {
    snprintf(rel, sizeof rel, "published/targets/%s.%s", sha, name);
    char *p = repo_path(ws, rel);
    if (p)
      repo_json_load(p, &doc, err, sizeof err);
    free(p);
  }
  json_decref(env);
  return doc;
}
