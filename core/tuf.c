/* tuf.c - the TUF 1.0.x client refresh workflow (spec 5.2-5.6): root chain,
 * timestamp, snapshot, top-level targets, each checked and persisted
 * byte-for-byte as it is accepted. Delegations and artifacts: tuf_target.c. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fsutil.h"
#include "tuf_internal.h"

#define DEF(v, d) ((v) ? (v) : (d))

stella_err tuf_fail(tuf_client *c, stella_err e, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->errmsg, sizeof c->errmsg, fmt, ap);
  va_end(ap);
  return e;
}

void tuf_note(tuf_client *c, const char *fmt, ...) {
  char line[TUF_ERRLEN];
  va_list ap;
  if (!c->note)
    return;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  c->note(c->note_ctx, line);
}

static void format_age(int64_t secs, char *buf, size_t len) {
  if (secs >= 86400 && secs % 86400 == 0)
    snprintf(buf, len, "%lldd", (long long)(secs / 86400));
  else if (secs >= 3600 && secs % 3600 == 0)
    snprintf(buf, len, "%lldh", (long long)(secs / 3600));
  else if (secs >= 86400)
    snprintf(buf, len, "%lldd", (long long)(secs / 86400));
  else if (secs >= 3600)
    snprintf(buf, len, "%lldh", (long long)(secs / 3600));
  else
    snprintf(buf, len, "%llds", (long long)secs);
}

static void record_stale(tuf_client *c, const char *role, int64_t expires) {
  for (size_t i = 0; i < c->n_stale; i++)
    if (strcmp(c->stale[i].role, role) == 0)
      return;
  tuf_stale *grown = realloc(c->stale, (c->n_stale + 1) * sizeof *grown);
  if (!grown)
    return;
  c->stale = grown;
  snprintf(grown[c->n_stale].role, sizeof grown[0].role, "%s", role);
  grown[c->n_stale++].expires = expires;
}

/* 5.3.10, 5.4.4, 5.5.6, 5.6.5: expired metadata may be a freeze attack.
 * allow_stale tolerates it only up to a given age, loudly. */
stella_err tuf_check_expiry(tuf_client *c, const char *role,
                            const tuf_meta *m) {
  if (c->now < m->expires)
    return STELLA_OK;
  char when[32], ago[32], max[32];
  int64_t age = c->now - m->expires;
  stella_time_format(m->expires, when, sizeof when);
  format_age(age, ago, sizeof ago);
  if (c->allow_stale_seconds > 0 && age <= c->allow_stale_seconds) {
    format_age(c->allow_stale_seconds, max, sizeof max);
    record_stale(c, role, m->expires);
    tuf_note(c, "WARNING: tolerating expired %s (expired %s, %s ago) because "
             "of --allow-stale --max-age %s", role, when, ago, max);
    return STELLA_OK;
  }
  return tuf_fail(c, STELLA_E_EXPIRED,
                  "%s v%lld expired %s (%s ago): refused as a possible freeze "
                  "attack; wait for the repository to re-sign, or accept it "
                  "knowingly with --allow-stale --max-age",
                  role, (long long)m->version, when, ago);
}

/* One statement: "fetching URL failed: why (what to do)". The curl
 * fetcher's message already names the URL ("GET URL failed: why (hint)"),
 * so it is said once, and our hint is added only when it has none. */
void tuf_fail_fetch(tuf_client *c, stella_err e, const char *url,
                    const char *ferr) {
  size_t n = strlen(url), len = strlen(ferr);
  const char *why = ferr;
  if (!strncmp(ferr, "GET ", 4) && !strncmp(ferr + 4, url, n) &&
      !strncmp(ferr + 4 + n, " failed", 7))
    why = ferr + 4 + n + 7; /* ": why" or " after N redirects to X: why" */
  else if (*ferr)
    why = NULL;
  int hinted = len && ferr[len - 1] == ')';
  const char *hint = e == STELLA_E_HTTP || e == STELLA_E_NOT_FOUND
      ? " (check the repository URL)"
      : " (check the repository URL and the network, then retry)";
  if (why && *why)
    tuf_fail(c, e, "fetching %s failed%s%s", url, why, hinted ? "" : hint);
  else
    tuf_fail(c, e, "fetching %s failed: %s%s", url,
             why ? stella_strerror(e) : ferr, hinted ? "" : hint);
}

stella_err tuf_fetch_meta(tuf_client *c, const char *name, size_t max,
                          char **out, size_t *len) {
  sbuf url = SBUF_INIT, body = SBUF_INIT;
  char ferr[256] = "";
  long status = 0;
  stella_err e = sbuf_printf(&url, "%s%s", c->metadata_url, name);
  body.max = max;
  if (e == STELLA_OK)
    e = c->fetcher->get(c->fetcher, url.data, max, &body, &status, ferr,
                        sizeof ferr);
  if (e == STELLA_OK) {
    *out = sbuf_take(&body, len);
    e = *out ? STELLA_OK : STELLA_E_NOMEM;
  } else if (e == STELLA_E_TOO_LARGE) {
    tuf_fail(c, e, "%s is larger than its %zu-byte cap: refused", name, max);
  } else {
    tuf_fail_fetch(c, e, url.data ? url.data : name, ferr);
  }
  sbuf_free(&url);
  sbuf_free(&body);
  return e;
}

char *tuf_role_file_name(const char *role, const char *prefix) {
  sbuf b = SBUF_INIT;
  if (sbuf_append_str(&b, prefix) != STELLA_OK ||
      fs_pct_encode(role, strlen(role), &b) != STELLA_OK ||
      sbuf_append_str(&b, ".json") != STELLA_OK) {
    sbuf_free(&b);
    return NULL;
  }
  return sbuf_take(&b, NULL);
}

/* Stores m as <role>.json: staged into batch when there is one, else
 * written at once. */
static stella_err persist_to(tuf_client *c, fs_batch *batch, const char *role,
                             const tuf_meta *m) {
  char *name = tuf_role_file_name(role, "");
  char *path = name ? fs_join(c->metadata_dir, name) : NULL;
  stella_err e = !path  ? STELLA_E_NOMEM
                 : batch ? tuf_meta_stage(m, batch, path)
                         : tuf_meta_write(m, path);
  if (e != STELLA_OK)
    tuf_fail(c, e, "could not store %s in %s: %s", role, c->metadata_dir,
             stella_strerror(e));
  free(name);
  free(path);
  return e;
}

/* During a refresh into its pending batch, else at once. */
static stella_err persist(tuf_client *c, const char *role, const tuf_meta *m) {
  return persist_to(c, c->pending, role, m);
}

/* Reads METADATA_DIR/<role>.json into a malloc'd *raw. */
static stella_err read_local(tuf_client *c, const char *role, size_t max,
                             char **raw, size_t *len, char *err,
                             size_t errlen) {
  char *name = tuf_role_file_name(role, "");
  char *path = name ? fs_join(c->metadata_dir, name) : NULL;
  stella_err e = path ? tuf_read_file(path, max, raw, len) : STELLA_E_NOMEM;
  if (e != STELLA_OK)
    snprintf(err, errlen, "%s: %s", path ? path : role, stella_strerror(e));
  free(name);
  free(path);
  return e;
}

/* Reads METADATA_DIR/<role>.json into m (parsed, not verified). */
static stella_err load_local(tuf_client *c, const char *role, const char *type,
                             size_t max, tuf_meta *m, char *err,
                             size_t errlen) {
  char *raw = NULL;
  size_t len = 0;
  stella_err e = read_local(c, role, max, &raw, &len, err, errlen);
  if (e != STELLA_OK)
    return e;
  e = tuf_meta_parse(m, raw, len, type, role, err, errlen);
  if (e != STELLA_OK)
    tuf_meta_clear(m);
  return e;
}

/* Not expired, or expired but tolerated by allow_stale. */
static int fresh_enough(tuf_client *c, const char *role, const tuf_meta *m) {
  char saved[TUF_ERRLEN];
  if (c->now < m->expires)
    return 1;
  memcpy(saved, c->errmsg, sizeof saved);
  int ok = tuf_check_expiry(c, role, m) == STELLA_OK;
  memcpy(c->errmsg, saved, sizeof saved);
  return ok;
}

static const json_val *root_role(const tuf_meta *root, const char *role) {
  return json_get(json_get(root->signed_part, "roles"), role);
}

static const json_val *root_keys(const tuf_meta *root) {
  return json_get(root->signed_part, "keys");
}

static stella_err verify_by_root(tuf_client *c, const tuf_meta *root,
                                 const tuf_meta *m, const char *role,
                                 const char *what) {
  char err[TUF_ERRLEN];
  stella_err e = tuf_meta_verify(m, root_keys(root), root_role(root, role),
                                 what, err, sizeof err);
  return e == STELLA_OK ? e : tuf_fail(c, e, "%s", err);
}

static int consistent_snapshot(const tuf_client *c) {
  int on = 0;
  return json_bool(json_get(c->root.signed_part, "consistent_snapshot"),
                   &on) == 0 && on;
}

/* ---- 5.3 root chain ---------------------------------------------------- */

/* 5.3.4-5.3.5: N+1 must be signed by a threshold of N's root keys and of its
 * own, and say version N+1. One canonical form serves both checks. */
static stella_err root_accept(tuf_client *c, tuf_meta *next, int64_t want) {
  char err[TUF_ERRLEN], what[64];
  sbuf canon = SBUF_INIT;
  snprintf(what, sizeof what, "root v%lld", (long long)want);
  stella_err e = json_canonical(next->signed_part, &canon);
  if (e != STELLA_OK) {
    sbuf_free(&canon);
    return tuf_fail(c, e, "%s: signed part has no canonical form", what);
  }
  e = tuf_meta_check_sigs(next, &canon, root_keys(&c->root),
                          root_role(&c->root, "root"), what, err, sizeof err);
  if (e == STELLA_OK) {
    e = tuf_meta_check_sigs(next, &canon, root_keys(next),
                            root_role(next, "root"), what, err, sizeof err);
    if (e != STELLA_OK)
      strncat(err, " (by its own root keys)", sizeof err - strlen(err) - 1);
  } else {
    strncat(err, " (by the trusted root keys)", sizeof err - strlen(err) - 1);
  }
  sbuf_free(&canon);
  if (e != STELLA_OK)
    return tuf_fail(c, e, "%s", err);
  if (next->version != want)
    return tuf_fail(c, STELLA_E_VERSION,
                    "%lld.root.json says version %lld: refused (version must "
                    "match the file name)", (long long)want,
                    (long long)next->version);
  return STELLA_OK;
}

static int same_role_keys(const tuf_meta *a, const tuf_meta *b,
                          const char *role) {
  sbuf ca = SBUF_INIT, cb = SBUF_INIT;
  int same = json_canonical(root_role(a, role), &ca) == STELLA_OK &&
             json_canonical(root_role(b, role), &cb) == STELLA_OK &&
             ca.len == cb.len && memcmp(ca.data, cb.data, ca.len) == 0;
  sbuf_free(&ca);
  sbuf_free(&cb);
  return same;
}

/* 5.3.11: after timestamp or snapshot keys rotate, old local files must not
 * block the new ones (fast-forward attack recovery). */
static void forget_rotated_roles(tuf_client *c, const tuf_meta *old_root) {
  int ts = !same_role_keys(old_root, &c->root, "timestamp");
  int sn = !same_role_keys(old_root, &c->root, "snapshot");
  char *p;
  if (ts || sn) {
    p = fs_join(c->metadata_dir, "timestamp.json");
    if (p)
      fs_remove(p);
    free(p);
  }
  if (sn) {
    p = fs_join(c->metadata_dir, "snapshot.json");
    if (p)
      fs_remove(p);
    free(p);
  }
}

/* Fetches and checks root v`want`; NOT_FOUND if there is none. */
static stella_err next_root(tuf_client *c, int64_t want, tuf_meta *next) {
  char name[64], err[TUF_ERRLEN], *raw = NULL;
  size_t len = 0;
  snprintf(name, sizeof name, "%lld.root.json", (long long)want);
  stella_err e = tuf_fetch_meta(c, name, DEF(c->limits.root_max, 512000),
                                &raw, &len);
  if (e != STELLA_OK)
    return e;
  snprintf(name, sizeof name, "root v%lld", (long long)want);
  e = tuf_meta_parse(next, raw, len, "root", name, err, sizeof err);
  if (e != STELLA_OK)
    tuf_fail(c, e, "%s", err);
  else
    e = root_accept(c, next, want);
  if (e != STELLA_OK)
    tuf_meta_clear(next);
  return e;
}

/* Tells the root_accepted hook about each root version as the batch renames
 * it into root.json (the hook reads it there). */
typedef struct root_renames {
  tuf_client *c;
  int64_t first; /* the version of the batch's first file */
} root_renames;

static void root_renamed(void *ctx, size_t i) {
  const root_renames *r = ctx;
  r->c->hooks.root_accepted(r->c->hooks.root_accepted_ctx,
                            r->first + (int64_t)i, r->c->metadata_dir);
}

/* 5.3.8 stores each root as it is accepted; the chain is stored when it
 * ends instead (whether it ended well or not), in one batch: root.json goes
 * from the trusted version to the last accepted one for one round of
 * flushes, where storing each version cost two fsyncs and a new file.
 * Intermediate versions pass through root.json only for a root_accepted
 * hook (root history), and then in order. A crash before the commit leaves
 * the older trusted root, complete, and the next refresh walks forward from
 * it again: nothing is trusted that was not verified, and no check depends
 * on an intermediate version being on disk. */
static stella_err store_root_chain(tuf_client *c, fs_batch *roots,
                                   int64_t trusted) {
  root_renames r = {c, trusted + 1};
  int hook = c->hooks.root_accepted != NULL;
  stella_err e = hook ? STELLA_OK : persist_to(c, roots, "root", &c->root);
  if (e != STELLA_OK)
    return e;
  e = fs_batch_commit(roots, hook ? root_renamed : NULL, &r);
  if (e != STELLA_OK)
    tuf_fail(c, e, "could not store root v%lld in %s: %s",
             (long long)c->root.version, c->metadata_dir, stella_strerror(e));
  return e;
}

/* Walks the chain from the trusted root; each accepted version is staged
 * in roots only for the root_accepted hook. */
static stella_err walk_root_chain(tuf_client *c, fs_batch *roots,
                                  int *rotated) {
  int max = DEF(c->limits.max_root_rotations, 256);
  stella_err e = STELLA_OK;
  for (int i = 0; i < max && e == STELLA_OK; i++) {
    tuf_meta next;
    e = next_root(c, c->root.version + 1, &next);
    if (e == STELLA_OK && c->hooks.root_accepted &&
        (e = persist_to(c, roots, "root", &next)) != STELLA_OK)
      tuf_meta_clear(&next);
    if (e != STELLA_OK)
      break;
    tuf_note(c, "accepted root v%lld", (long long)next.version);
    if (*rotated)
      tuf_meta_clear(&c->root);
    c->root = next;
    *rotated = 1;
  }
  return e == STELLA_E_NOT_FOUND ? STELLA_OK : e; /* 5.3.3: no newer root */
}

static stella_err update_root(tuf_client *c) {
  tuf_meta first = c->root; /* owned by c->root until the first rotation */
  int rotated = 0;
  char chain_err[TUF_ERRLEN];
  fs_batch *roots = fs_batch_new();
  if (!roots)
    return tuf_fail(c, STELLA_E_NOMEM, "out of memory");
  stella_err e = walk_root_chain(c, roots, &rotated);
  if (rotated) {
    memcpy(chain_err, c->errmsg, sizeof chain_err);
    stella_err stored = store_root_chain(c, roots, first.version);
    if (e != STELLA_OK) /* the chain's own failure says more */
      memcpy(c->errmsg, chain_err, sizeof chain_err);
    else
      e = stored;
    if (e == STELLA_OK)
      forget_rotated_roles(c, &first);
    tuf_meta_clear(&first);
  }
  fs_batch_free(roots);
  if (e != STELLA_OK)
    return e;
  return tuf_check_expiry(c, "root", &c->root); /* 5.3.10: final root only */
}

/* ---- 5.4 timestamp ----------------------------------------------------- */

static int64_t snapshot_version_in(const tuf_meta *ts) {
  int64_t v = -1;
  json_get_int(json_get(json_get(ts->signed_part, "meta"), "snapshot.json"),
               "version", &v);
  return v;
}

/* A local file only counts if it verifies under the current root. */
static int load_trusted_local(tuf_client *c, const char *role, size_t max,
                              tuf_meta *m) {
  char err[TUF_ERRLEN];
  if (load_local(c, role, role, max, m, err, sizeof err) != STELLA_OK)
    return 0;
  if (tuf_meta_verify(m, root_keys(&c->root), root_role(&c->root, role), role,
                      err, sizeof err) != STELLA_OK) {
    tuf_meta_clear(m);
    return 0;
  }
  return 1;
}

static stella_err timestamp_check_new(tuf_client *c, tuf_meta *old,
                                      int have_old, tuf_meta *new_ts) {
  stella_err e = verify_by_root(c, &c->root, new_ts, "timestamp",
                                "timestamp");
  if (e != STELLA_OK || !have_old)
    return e;
  if (new_ts->version < old->version)
    return tuf_fail(c, STELLA_E_ROLLBACK,
                    "timestamp v%lld is older than trusted v%lld: rollback "
                    "refused", (long long)new_ts->version,
                    (long long)old->version);
  if (snapshot_version_in(new_ts) < snapshot_version_in(old))
    return tuf_fail(c, STELLA_E_ROLLBACK,
                    "timestamp v%lld names snapshot v%lld, older than trusted "
                    "v%lld: rollback refused", (long long)new_ts->version,
                    (long long)snapshot_version_in(new_ts),
                    (long long)snapshot_version_in(old));
  return STELLA_OK;
}

static stella_err update_timestamp(tuf_client *c) {
  size_t cap = DEF(c->limits.timestamp_max, 16384);
  tuf_meta old, next;
  char err[TUF_ERRLEN], *raw = NULL;
  size_t len = 0;
  int have_old = load_trusted_local(c, "timestamp", cap, &old);
  stella_err e = tuf_fetch_meta(c, "timestamp.json", cap, &raw, &len);
  if (e == STELLA_OK) {
    e = tuf_meta_parse(&next, raw, len, "timestamp", "timestamp", err,
                       sizeof err);
    if (e != STELLA_OK)
      tuf_fail(c, e, "%s", err);
    else
      e = timestamp_check_new(c, &old, have_old, &next);
  }
  if (e != STELLA_OK) {
    if (raw)
      tuf_meta_clear(&next);
    if (have_old)
      tuf_meta_clear(&old);
    return e;
  }
  if (have_old && next.version == old.version) {
    tuf_meta_clear(&next); /* 5.4.3: same version: keep the trusted file */
    c->timestamp = old;
  } else {
    if (have_old)
      tuf_meta_clear(&old);
    c->timestamp = next;
    e = tuf_check_expiry(c, "timestamp", &c->timestamp);
    if (e == STELLA_OK)
      e = persist(c, "timestamp", &c->timestamp);
    if (e != STELLA_OK) {
      tuf_meta_clear(&c->timestamp);
      return e;
    }
    c->have_timestamp = 1;
    return STELLA_OK;
  }
  c->have_timestamp = 1; /* a kept local file must still be fresh */
  return tuf_check_expiry(c, "timestamp", &c->timestamp);
}

/* ---- 5.5 snapshot ------------------------------------------------------ */

/* 5.5.5: every targets role of the trusted snapshot stays, not older. */
static stella_err snapshot_no_rollback(tuf_client *c, const tuf_meta *old,
                                       const tuf_meta *next) {
  const json_val *om = json_get(old->signed_part, "meta");
  const json_val *nm = json_get(next->signed_part, "meta");
  size_t n = json_len(om);
  for (size_t i = 0; i < n; i++) {
    size_t klen;
    const char *file = json_key_at(om, i, &klen);
    int64_t ov = 0, nv = 0;
    const json_val *ni = json_get(nm, file);
    if (!ni)
      return tuf_fail(c, STELLA_E_ROLLBACK,
                      "snapshot v%lld no longer lists %s: role removal "
                      "refused as a rollback", (long long)next->version, file);
    json_get_int(json_val_at(om, i), "version", &ov);
    json_get_int(ni, "version", &nv);
    if (nv < ov)
      return tuf_fail(c, STELLA_E_ROLLBACK,
                      "snapshot v%lld lists %s v%lld, older than trusted "
                      "v%lld: rollback refused", (long long)next->version,
                      file, (long long)nv, (long long)ov);
  }
  return STELLA_OK;
}

static stella_err snapshot_check_new(tuf_client *c, const json_val *info,
                                     tuf_meta *next, const tuf_meta *old,
                                     int have_old) {
  int64_t want = -1;
  json_get_int(info, "version", &want);
  stella_err e = verify_by_root(c, &c->root, next, "snapshot", "snapshot");
  if (e == STELLA_OK && have_old)
    e = snapshot_no_rollback(c, old, next);
  if (e == STELLA_OK && next->version != want)
    e = tuf_fail(c, STELLA_E_VERSION,
                 "snapshot v%lld does not match v%lld named by timestamp: "
                 "refused", (long long)next->version, (long long)want);
  if (e == STELLA_OK)
    e = tuf_check_expiry(c, "snapshot", next);
  return e;
}

static stella_err download_snapshot(tuf_client *c, const json_val *info,
                                    const tuf_meta *old, int have_old) {
  char name[64], err[TUF_ERRLEN], *raw = NULL;
  size_t len = 0;
  int64_t v = -1, length = -1;
  json_get_int(info, "version", &v);
  json_get_int(info, "length", &length);
  size_t cap = length >= 0 ? (size_t)length
                           : DEF(c->limits.snapshot_max, 2000000);
  if (consistent_snapshot(c))
    snprintf(name, sizeof name, "%lld.snapshot.json", (long long)v);
  else
    snprintf(name, sizeof name, "snapshot.json");
  stella_err e = tuf_fetch_meta(c, name, cap, &raw, &len);
  if (e != STELLA_OK)
    return e;
  e = tuf_check_length_hashes(info, raw, len, 0, name, err, sizeof err);
  if (e != STELLA_OK) {
    free(raw);
    return tuf_fail(c, e, "%s", err);
  }
  e = tuf_meta_parse(&c->snapshot, raw, len, "snapshot", name, err,
                     sizeof err);
  if (e != STELLA_OK)
    tuf_fail(c, e, "%s", err);
  else
    e = snapshot_check_new(c, info, &c->snapshot, old, have_old);
  if (e == STELLA_OK)
    e = persist(c, "snapshot", &c->snapshot);
  if (e != STELLA_OK)
    tuf_meta_clear(&c->snapshot);
  return e;
}

static stella_err update_snapshot(tuf_client *c) {
  size_t cap = DEF(c->limits.snapshot_max, 2000000);
  const json_val *info =
      json_get(json_get(c->timestamp.signed_part, "meta"), "snapshot.json");
  int64_t want = -1;
  if (json_get_int(info, "version", &want) != 0)
    return tuf_fail(c, STELLA_E_FORMAT,
                    "timestamp v%lld has no snapshot.json version: refused",
                    (long long)c->timestamp.version);
  tuf_meta old;
  int have_old = load_trusted_local(c, "snapshot", cap, &old);
  if (have_old && old.version == want && fresh_enough(c, "snapshot", &old)) {
    c->snapshot = old; /* still current: reuse, no download */
    c->have_snapshot = 1;
    return STELLA_OK;
  }
  stella_err e = download_snapshot(c, info, &old, have_old);
  if (have_old)
    tuf_meta_clear(&old);
  if (e == STELLA_OK)
    c->have_snapshot = 1;
  return e;
}

/* ---- 5.6 targets (top-level and delegated) ----------------------------- */

static stella_err targets_check(tuf_client *c, const char *role,
                                const json_val *info, const json_val *keys,
                                const json_val *drole, tuf_meta *m) {
  char err[TUF_ERRLEN];
  int64_t want = -1;
  json_get_int(info, "version", &want);
  stella_err e = tuf_meta_verify(m, keys, drole, role, err, sizeof err);
  if (e != STELLA_OK)
    return tuf_fail(c, e, "%s", err);
  if (m->version != want)
    return tuf_fail(c, STELLA_E_VERSION,
                    "%s v%lld does not match v%lld named by snapshot: refused",
                    role, (long long)m->version, (long long)want);
  return tuf_check_expiry(c, role, m);
}

/* Size cap of a targets file: its length in snapshot meta, else the
 * configured limit. */
static size_t targets_cap(const tuf_client *c, const json_val *info) {
  int64_t length = -1;
  json_get_int(info, "length", &length);
  return length >= 0 ? (size_t)length : DEF(c->limits.targets_max, 5000000);
}

/* Local copy: same checks as a download, but a failure just means "fetch".
 * Hashes first: the bytes are parsed in place. */
static int targets_local_ok(tuf_client *c, const char *role,
                            const json_val *info, const json_val *keys,
                            const json_val *drole, tuf_meta *m) {
  char err[TUF_ERRLEN], saved[TUF_ERRLEN], *raw = NULL;
  size_t len = 0;
  int64_t want = -1;
  json_get_int(info, "version", &want);
  if (read_local(c, role, targets_cap(c, info), &raw, &len, err,
                 sizeof err) != STELLA_OK)
    return 0;
  if (tuf_check_length_hashes(info, raw, len, 0, role, err, sizeof err) !=
      STELLA_OK) {
    free(raw);
    return 0;
  }
  if (tuf_meta_parse(m, raw, len, "targets", role, err, sizeof err) !=
      STELLA_OK) {
    tuf_meta_clear(m);
    return 0;
  }
  memcpy(saved, c->errmsg, sizeof saved);
  int ok = m->version == want &&
           targets_check(c, role, info, keys, drole, m) == STELLA_OK;
  memcpy(c->errmsg, saved, sizeof saved);
  if (!ok)
    tuf_meta_clear(m);
  return ok;
}

static stella_err download_targets(tuf_client *c, const char *role,
                                   const json_val *info, const json_val *keys,
                                   const json_val *drole, tuf_meta *m) {
  char err[TUF_ERRLEN], *raw = NULL;
  size_t len = 0;
  int64_t v = -1;
  json_get_int(info, "version", &v);
  size_t cap = targets_cap(c, info);
  char prefix[32] = "";
  if (consistent_snapshot(c))
    snprintf(prefix, sizeof prefix, "%lld.", (long long)v);
  char *name = tuf_role_file_name(role, prefix);
  if (!name)
    return tuf_fail(c, STELLA_E_NOMEM, "out of memory");
  stella_err e = tuf_fetch_meta(c, name, cap, &raw, &len);
  if (e == STELLA_OK) {
    e = tuf_check_length_hashes(info, raw, len, 0, name, err, sizeof err);
    if (e != STELLA_OK) {
      free(raw);
      raw = NULL;
      tuf_fail(c, e, "%s", err);
    }
  }
  free(name);
  if (e != STELLA_OK)
    return e;
  e = tuf_meta_parse(m, raw, len, "targets", role, err, sizeof err);
  if (e != STELLA_OK)
    tuf_fail(c, e, "%s", err);
  else
    e = targets_check(c, role, info, keys, drole, m);
  if (e == STELLA_OK)
    e = persist(c, role, m);
  if (e != STELLA_OK)
    tuf_meta_clear(m);
  return e;
}

stella_err tuf_load_targets_role(tuf_client *c, const char *name,
                                 const json_val *keys, const json_val *role,
                                 tuf_meta *m) {
  sbuf key = SBUF_INIT; /* snapshot meta keys are raw role names */
  if (sbuf_printf(&key, "%s.json", name) != STELLA_OK)
    return tuf_fail(c, STELLA_E_NOMEM, "out of memory");
  const json_val *info =
      json_get(json_get(c->snapshot.signed_part, "meta"), key.data);
  sbuf_free(&key);
  if (!info)
    return tuf_fail(c, STELLA_E_NOT_FOUND,
                    "snapshot v%lld does not list role %s: it cannot be "
                    "trusted", (long long)c->snapshot.version, name);
  if (targets_local_ok(c, name, info, keys, role, m))
    return STELLA_OK;
  return download_targets(c, name, info, keys, role, m);
}

/* ---- client life --------------------------------------------------------- */

static stella_err load_initial_root(tuf_client *c) {
  char err[TUF_ERRLEN];
  stella_err e = load_local(c, "root", "root", DEF(c->limits.root_max, 512000),
                            &c->root, err, sizeof err);
  if (e == STELLA_E_NOT_FOUND)
    return tuf_fail(c, STELLA_E_NOT_INITIALIZED,
                    "no trusted root.json in %s: initialize trust first",
                    c->metadata_dir);
  if (e == STELLA_OK)
    e = tuf_meta_verify(&c->root, root_keys(&c->root),
                        root_role(&c->root, "root"), "trusted root.json", err,
                        sizeof err);
  if (e != STELLA_OK)
    return tuf_fail(c, e, "%s (trusted root.json in %s): initialize trust "
                    "again with a good root", err, c->metadata_dir);
  return STELLA_OK;
}

stella_err tuf_client_new(const tuf_config *cfg, tuf_client **out,
                          char *errbuf, size_t errlen) {
  *out = NULL;
  if (!cfg || !cfg->metadata_dir) {
    if (errbuf && errlen)
      snprintf(errbuf, errlen, "tuf_client_new: no metadata folder given");
    return STELLA_E_INVALID_ARG;
  }
  tuf_client *c = calloc(1, sizeof *c);
  if (!c)
    return STELLA_E_NOMEM;
  c->metadata_dir = strdup(cfg->metadata_dir);
  c->metadata_url = strdup(cfg->metadata_url ? cfg->metadata_url : "");
  c->targets_url = strdup(cfg->targets_url ? cfg->targets_url : "");
  c->clock = cfg->clock ? cfg->clock : stella_clock_system();
  c->fetcher = cfg->fetcher;
  c->limits = cfg->limits;
  c->allow_stale_seconds = cfg->allow_stale_seconds;
  c->note = cfg->note;
  c->note_ctx = cfg->note_ctx;
  c->hooks.root_accepted = cfg->root_accepted;
  c->hooks.root_accepted_ctx = cfg->root_accepted_ctx;
  stella_err e = (!c->metadata_dir || !c->metadata_url || !c->targets_url)
                     ? tuf_fail(c, STELLA_E_NOMEM, "out of memory")
                     : load_initial_root(c);
  if (e != STELLA_OK) {
    if (errbuf && errlen)
      snprintf(errbuf, errlen, "%s", c->errmsg);
    tuf_client_free(c);
    return e;
  }
  *out = c;
  return STELLA_OK;
}

static void drop_session(tuf_client *c) {
  fs_batch_free(c->pending);
  c->pending = NULL;
  tuf_meta_clear(&c->timestamp);
  tuf_meta_clear(&c->snapshot);
  tuf_meta_clear(&c->targets);
  c->have_timestamp = c->have_snapshot = c->have_targets = 0;
  for (size_t i = 0; i < c->n_delegs; i++) {
    free(c->delegs[i].name);
    free(c->delegs[i].verified_by);
    tuf_meta_clear(&c->delegs[i].meta);
  }
  free(c->delegs);
  c->delegs = NULL;
  c->n_delegs = 0;
  c->refreshed = 0;
}

void tuf_client_free(tuf_client *c) {
  if (!c)
    return;
  drop_session(c);
  tuf_meta_clear(&c->root);
  free(c->metadata_dir);
  free(c->metadata_url);
  free(c->targets_url);
  free(c->stale);
  free(c);
}

const char *tuf_client_errmsg(const tuf_client *c) {
  return c ? c->errmsg : "";
}

const tuf_stale *tuf_client_stale(const tuf_client *c, size_t *n) {
  *n = c ? c->n_stale : 0;
  return c ? c->stale : NULL;
}

/* Stores the timestamp, snapshot and targets files this refresh accepted,
 * in the order accepted, whether it went on to fail or not (what was
 * accepted before a failure stays trusted, as when each was stored at
 * once). They are read back only by a later refresh, so nothing in this
 * one misses them; the root chain was committed (folder fsynced) before
 * any of them was checked against it. One batch: see fs_batch_commit for
 * why a crash still leaves each file old or new. Should a file system keep
 * some of these renames and lose earlier ones, the mix is still safe: each
 * file is complete, and every local file is checked again before it counts
 * (signatures under the current root, length and hashes from snapshot), so
 * a newer snapshot next to an older timestamp can only cost a download. */
static stella_err commit_pending(tuf_client *c, stella_err e) {
  fs_batch *b = c->pending;
  c->pending = NULL;
  stella_err stored = fs_batch_commit(b, NULL, NULL);
  fs_batch_free(b);
  if (stored != STELLA_OK && e == STELLA_OK)
    return tuf_fail(c, stored, "could not store the new metadata in %s: %s",
                    c->metadata_dir, stella_strerror(stored));
  return e;
}

stella_err tuf_refresh(tuf_client *c) {
  if (!c)
    return STELLA_E_INVALID_ARG;
  if (!c->fetcher)
    return tuf_fail(c, STELLA_E_INVALID_ARG, "refresh needs a fetcher");
  drop_session(c);
  c->errmsg[0] = '\0';
  c->now = c->clock->now(c->clock->ctx);
  if (!(c->pending = fs_batch_new()))
    return tuf_fail(c, STELLA_E_NOMEM, "out of memory");
  stella_err e = update_root(c);
  if (e == STELLA_OK)
    e = update_timestamp(c);
  if (e == STELLA_OK)
    e = update_snapshot(c);
  if (e == STELLA_OK)
    e = tuf_load_targets_role(c, "targets", root_keys(&c->root),
                              root_role(&c->root, "targets"), &c->targets);
  e = commit_pending(c, e);
  if (e != STELLA_OK)
    return e;
  c->have_targets = 1;
  c->refreshed = 1;
  c->errmsg[0] = '\0';
  return STELLA_OK;
}

/* ---- no-network helpers ----------------------------------------------- */

stella_err tuf_role_info(const char *metadata_dir, const char *role,
                         int64_t *version, int64_t *expires) {
  tuf_client tmp;
  tuf_meta m;
  memset(&tmp, 0, sizeof tmp);
  char err[TUF_ERRLEN];
  tmp.metadata_dir = (char *)metadata_dir;
  int top = !strcmp(role, "root") || !strcmp(role, "timestamp") ||
            !strcmp(role, "snapshot");
  stella_err e = load_local(&tmp, role, top ? role : "targets", 16u << 20, &m,
                            err, sizeof err);
  if (e != STELLA_OK)
    return e;
  if (version)
    *version = m.version;
  if (expires)
    *expires = m.expires;
  tuf_meta_clear(&m);
  return STELLA_OK;
}

stella_err tuf_check_root_bytes(const char *bytes, size_t len, char *errbuf,
                                size_t errlen) {
  char err[TUF_ERRLEN] = "";
  tuf_meta m;
  char *copy = malloc(len + 1);
  if (!copy)
    return STELLA_E_NOMEM;
  memcpy(copy, bytes, len);
  copy[len] = '\0';
  stella_err e = tuf_meta_parse(&m, copy, len, "root", "root", err,
                                sizeof err);
  if (e == STELLA_OK)
    e = tuf_meta_verify(&m, root_keys(&m), root_role(&m, "root"), "root", err,
                        sizeof err);
  tuf_meta_clear(&m);
  if (e != STELLA_OK && errbuf && errlen)
    snprintf(errbuf, errlen, "%s", err);
  return e;
}
