/* repo_diff.c - `stella tuf diff`: what the staged state changes against
 * the published one, in words an operator can check before signing. */
#include "repo_internal.h"
#include "repo_targets.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "fsutil.h"

typedef struct rd {
  stella_repo *r;
  stella_note_fn line;
  void *ctx;
  size_t n;
} rd;

static void rd_say(rd *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void rd_say(rd *d, const char *fmt, ...) {
  char buf[1400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  d->line(d->ctx, buf);
  d->n++;
}

static const char *rd_str(const json_t *o, const char *k) {
  const char *s = json_string_value(json_object_get(o, k));
  return s ? s : "";
}

static const char *rd_vf(const json_t *o, const char *k) {
  return rd_str(json_object_get(o, "validFor"), k);
}

/* Finds in list the entry whose member key equals the one of item. */
static json_t *rd_match(json_t *list, const json_t *item, const char *key) {
  size_t i;
  json_t *it;
  json_array_foreach(list, i, it) if (
      json_equal(json_object_get(it, key), json_object_get(item, key)) &&
      (strcmp(key, "url") || !strcmp(rd_vf(it, "start"), rd_vf(item, "start"))))
      return it;
  return NULL;
}

static void rd_endpoints(rd *d, json_t *st, json_t *pub) {
  json_t *sl = json_object_get(st, "rekorTlogUrls");
  json_t *pl = json_object_get(pub, "rekorTlogUrls");
  const char *sp = rd_str(json_array_get(sl, 0), "url");
  const char *pp = rd_str(json_array_get(pl, 0), "url");
  if (pub && strcmp(sp, pp))
    rd_say(d, "Rekor primary endpoint: %s -> %s", pp, sp);
  size_t i;
  json_t *it;
  json_array_foreach(sl, i, it) {
    json_t *old = rd_match(pl, it, "url");
    if (!old)
      rd_say(d, "new Rekor endpoint %s, valid from %s%s%s", rd_str(it, "url"),
             rd_vf(it, "start"), *rd_vf(it, "end") ? " until " : "",
             rd_vf(it, "end"));
    else if (strcmp(rd_vf(it, "end"), rd_vf(old, "end")))
      rd_say(d, "Rekor endpoint %s: validity ends %s (was %s)",
             rd_str(it, "url"), *rd_vf(it, "end") ? rd_vf(it, "end") : "never",
             *rd_vf(old, "end") ? rd_vf(old, "end") : "open-ended");
  }
}

/* The name of a log key from signing_keys.json's logKeyNames. */
static const char *rd_log_name(json_t *sk, const json_t *tlog) {
  size_t i;
  json_t *it;
  json_array_foreach(json_object_get(sk, "logKeyNames"), i, it) if (
      json_equal(json_object_get(it, "logId"), json_object_get(tlog, "logId")))
      return rd_str(it, "name");
  return "(unnamed)";
}

/* The first 16 hex digits of a base64 log ID, as `trust status`, `rekor
 * query` and --key-id show it; "?" when it does not decode. */
static void rd_log_id_hex(const char *b64, char out[17]) {
  uint8_t *raw = NULL;
  size_t n = 0;
  if (b64 && !base64_decode(b64, strlen(b64), &raw, &n) && n == 32)
    hex_encode(raw, 8, out);
  else
    snprintf(out, 17, "?");
  free(raw);
}

static void rd_log_keys(rd *d, json_t *st, json_t *pub, json_t *sk) {
  size_t i;
  json_t *it;
  json_array_foreach(json_object_get(st, "tlogs"), i, it) {
    json_t *old = rd_match(json_object_get(pub, "tlogs"), it, "logId");
    json_t *pk = json_object_get(it, "publicKey");
    char kid[17];
    rd_log_id_hex(rd_str(json_object_get(it, "logId"), "keyId"), kid);
    if (!old)
      rd_say(d, "new Rekor log key %s (log ID %s..., %s), valid from %s",
             rd_log_name(sk, it), kid, rd_str(pk, "keyDetails"),
             rd_vf(pk, "start"));
    else if (strcmp(rd_vf(pk, "end"),
                    rd_vf(json_object_get(old, "publicKey"), "end")))
      rd_say(d, "Rekor log key %s: validity ends %s", rd_log_name(sk, it),
             *rd_vf(pk, "end") ? rd_vf(pk, "end") : "never");
  }
}

static void rd_signing_keys(rd *d, json_t *st, json_t *pub) {
  size_t i;
  json_t *it;
  json_array_foreach(json_object_get(st, "signingKeys"), i, it) {
    json_t *old = rd_match(json_object_get(pub, "signingKeys"), it, "name");
    if (!old)
      rd_say(d, "new signing key %s (%s), %s from %s", rd_str(it, "name"),
             rd_str(it, "keyDetails"), rd_str(it, "status"),
             rd_vf(it, "start"));
    else if (strcmp(rd_str(it, "status"), rd_str(old, "status")))
      rd_say(d, "signing key %s: %s -> %s (validity ends %s)",
             rd_str(it, "name"), rd_str(old, "status"), rd_str(it, "status"),
             rd_vf(it, "end"));
  }
}

static void rd_notes(rd *d) {
  json_t *custom = NULL;
  char err[256];
  char *p = repo_path(d->r->ws, "staged/custom.json");
  if (p && !repo_json_load(p, &custom, err, sizeof err)) {
    const char *name;
    json_t *c;
    json_object_foreach(custom, name, c) {
      json_t *env = NULL;
      json_t *pc = NULL;
      if (!repo_published_load(d->r->ws, "targets", &env))
        pc = json_object_get(json_object_get(json_object_get(
                 json_object_get(env, "signed"), "targets"), name), "custom");
      if ((!pc || !json_equal(pc, c)) && *rd_str(c, "note"))
        rd_say(d, "%s: \"%s\" (%s, note: %s)", name, rd_str(c, "change"),
               rd_str(c, "changed_at"), rd_str(c, "note"));
      else if (!pc || !json_equal(pc, c))
        rd_say(d, "%s: \"%s\" (%s)", name, rd_str(c, "change"),
               rd_str(c, "changed_at"));
      json_decref(env);
    }
  }
  json_decref(custom);
  free(p);
}

/* How many keyids of role in a are not in role in b. */
static size_t rd_keys_not_in(json_t *a, json_t *b) {
  size_t i, j, n = 0;
  json_t *ka, *kb;
  json_array_foreach(json_object_get(a, "keyids"), i, ka) {
    int found = 0;
    json_array_foreach(json_object_get(b, "keyids"), j, kb) {
      found |= json_equal(ka, kb);
    }
    n += !found;
  }
  return n;
}

/* A staged root other than the published one (a ceremony's outcome): its
 * keys and thresholds per role, and its expiry. */
static void rd_root(rd *d) {
  json_t *st = NULL, *pub = NULL;
  char err[256];
  if (!repo_staged_load(d->r->ws, "root", &st, err, sizeof err) &&
      !repo_published_load(d->r->ws, "root", &pub)) {
    json_t *ss = json_object_get(st, "signed");
    json_t *ps = json_object_get(pub, "signed");
    if (!json_equal(ss, ps)) {
      const char *role;
      json_t *sr;
      json_object_foreach(json_object_get(ss, "roles"), role, sr) {
        json_t *pr = json_object_get(json_object_get(ps, "roles"), role);
        size_t added = rd_keys_not_in(sr, pr), gone = rd_keys_not_in(pr, sr);
        json_int_t t = json_integer_value(json_object_get(sr, "threshold"));
        json_int_t pt = json_integer_value(json_object_get(pr, "threshold"));
        if (added || gone || t != pt)
          rd_say(d, "root: %s keys: %zu added, %zu removed, %zu in all; "
                 "threshold %lld -> %lld", role, added, gone,
                 json_array_size(json_object_get(sr, "keyids")),
                 (long long)pt, (long long)t);
      }
      rd_say(d, "root: expires %s (published root: %s)",
             rd_str(ss, "expires"), rd_str(ps, "expires"));
    }
  }
  json_decref(st);
  json_decref(pub);
}

static void rd_roles(rd *d) {
  for (int i = 0; i < REPO_N_ROLES; i++) {
    json_t *env = NULL;
    char err[256];
    if (repo_staged_load(d->r->ws, repo_roles[i], &env, err, sizeof err))
      continue;
    int64_t v = json_integer_value(
        json_object_get(json_object_get(env, "signed"), "version"));
    int64_t pv = repo_published_version(d->r->ws, repo_roles[i]);
    if (v != pv)
      rd_say(d, "%s: staged v%lld, published v%lld%s", repo_roles[i],
             (long long)v, (long long)pv,
             pv ? "" : " (never published)");
    json_decref(env);
  }
}

stella_err stella_repo_diff(stella_repo *r, stella_note_fn line, void *ctx,
                            size_t *n_changes) {
  rd d = {.r = r, .line = line, .ctx = ctx};
  json_t *st[REPO_N_TARGETS] = {0}, *pub[REPO_N_TARGETS] = {0};
  r->errmsg[0] = '\0';
  stella_err e = repo_need_ws(r);
  for (int i = 0; !e && i < REPO_N_TARGETS; i++) {
    char err[512];
    if ((e = repo_target_load(r->ws, repo_target_names[i], &st[i], err,
                              sizeof err)))
      repo_fail(r, e, "%s", err);
    pub[i] = repo_published_target(r->ws, repo_target_names[i]);
  }
  if (!e) {
    rd_endpoints(&d, st[1], pub[1]);
    rd_log_keys(&d, st[0], pub[0], st[2]);
    rd_signing_keys(&d, st[2], pub[2]);
    rd_notes(&d);
    rd_root(&d);
    rd_roles(&d);
  }
  for (int i = 0; i < REPO_N_TARGETS; i++) {
    json_decref(st[i]);
    json_decref(pub[i]);
  }
  if (n_changes)
    *n_changes = d.n;
  return e;
}
