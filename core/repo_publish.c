/* repo_publish.c - `stella tuf publish`: the preflight (our own TUF client
 * updating from every state a client can be in to the candidate web root)
 * and the atomic publish (versioned metadata and hash-named targets first,
 * timestamp.json last, old versions kept, so a client mid-update never sees
 * a dangling reference). */
#include "repo_internal.h"
#include "repo_targets.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "fetch.h"
#include "fsutil.h"
#include "servicemap.h"
#include "servicemap_signing.h"
#include "tuf.h"

#define REPO_FILE_MAX 50000000

/* ---- Files --------------------------------------------------------------- */

/* 1 when path holds exactly b. */
static int repo_same_bytes(const char *path, const sbuf *b) {
  sbuf cur = SBUF_INIT;
  int same = !fs_read_file(path, REPO_FILE_MAX, &cur) && cur.len == b->len &&
             !memcmp(cur.data, b->data, b->len);
  sbuf_free(&cur);
  return same;
}

/* Copies every regular file of src (not starting with '.') into dst when
 * dst lacks it or differs; skip (may be NULL) is left out. */
static stella_err repo_copy_dir(const char *src, const char *dst,
                                const char *skip) {
  DIR *d = opendir(src);
  if (!d)
    return errno == ENOENT ? STELLA_OK : STELLA_E_IO;
  stella_err e = STELLA_OK;
  struct dirent *de;
  while (!e && (de = readdir(d))) {
    if (de->d_name[0] == '.' || (skip && !strcmp(de->d_name, skip)))
      continue;
    char *from = fs_join(src, de->d_name), *to = fs_join(dst, de->d_name);
    struct stat st;
    sbuf b = SBUF_INIT;
    if (!from || !to)
      e = STELLA_E_NOMEM;
    else if (stat(from, &st) == 0 && S_ISREG(st.st_mode) &&
             !(e = fs_read_file(from, REPO_FILE_MAX, &b)) &&
             !repo_same_bytes(to, &b))
      e = fs_write_atomic(to, b.data, b.len, REPO_FILE_MODE);
    sbuf_free(&b);
    free(from);
    free(to);
  }
  closedir(d);
  return e;
}

/* Copies web root src into dst: targets, then versioned metadata, then
 * timestamp.json last. */
static stella_err repo_copy_web(const char *src, const char *dst) {
  char *st = fs_join(src, "targets"), *dt = fs_join(dst, "targets");
  char *sts = fs_join(src, "timestamp.json"), *dts = fs_join(dst,
                                                            "timestamp.json");
  sbuf ts = SBUF_INIT;
  stella_err e = st && dt && sts && dts ? STELLA_OK : STELLA_E_NOMEM;
  if (!e)
    e = fs_mkdirs(dt, 0755);
  if (!e)
    e = repo_copy_dir(st, dt, NULL);
  if (!e)
    e = repo_copy_dir(src, dst, "timestamp.json");
  if (!e && !(e = fs_read_file(sts, REPO_FILE_MAX, &ts)) &&
      !repo_same_bytes(dts, &ts))
    e = fs_write_atomic(dts, ts.data, ts.len, REPO_FILE_MODE);
  sbuf_free(&ts);
  free(st);
  free(dt);
  free(sts);
  free(dts);
  return e;
}

/* "file:///abs/path/" with every segment percent-encoded. */
static char *repo_file_url(const char *path, const char *suffix) {
  sbuf b = SBUF_INIT;
  stella_err e = sbuf_append_str(&b, "file://");
  for (const char *p = path; !e && *p;) {
    size_t n = strcspn(p, "/");
    if (n)
      e = fs_pct_encode(p, n, &b);
    p += n;
    if (!e && *p == '/') {
      e = sbuf_append_char(&b, '/');
      p++;
    }
  }
  if (!e)
    e = sbuf_append_str(&b, suffix);
  if (e) {
    sbuf_free(&b);
    return NULL;
  }
  return sbuf_take(&b, NULL);
}

/* ---- The candidate web root ---------------------------------------------- */

typedef struct repo_pf {
  const repo_ws *ws;
  char work[PATH_MAX];  /* DIR/.publish-XXXXXX */
  char web[PATH_MAX + 8];
  int64_t staged_v[REPO_N_ROLES];
  char *errbuf;
  size_t errlen;
} repo_pf;

static stella_err pf_fail(repo_pf *pf, stella_err e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static stella_err pf_fail(repo_pf *pf, stella_err e, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(pf->errbuf, pf->errlen, fmt, ap);
  va_end(ap);
  return e;
}

/* Puts the staged file of role into the candidate under its published name,
 * refusing to change or roll back a published version. */
static stella_err pf_add_role(repo_pf *pf, int i) {
  const char *role = repo_roles[i];
  char rel[160], name[128], err[512];
  json_t *env = NULL;
  sbuf b = SBUF_INIT;
  snprintf(rel, sizeof rel, "staged/metadata/%s.json", role);
  char *src = repo_path(pf->ws, rel);
  stella_err e = src ? fs_read_file(src, REPO_FILE_MAX, &b) : STELLA_E_NOMEM;
  free(src);
  if (!e && !(e = repo_staged_load(pf->ws, role, &env, err, sizeof err)))
    pf->staged_v[i] = json_integer_value(
        json_object_get(json_object_get(env, "signed"), "version"));
  json_decref(env);
  int64_t pub = repo_published_version(pf->ws, role), v = pf->staged_v[i];
  if (i == 3)
    snprintf(name, sizeof name, "timestamp.json");
  else
    snprintf(name, sizeof name, "%lld.%s.json", (long long)v, role);
  char *dst = fs_join(pf->web, name);
  if (!e && !dst)
    e = STELLA_E_NOMEM;
  if (e)
    e = pf_fail(pf, e, "staged %s is unreadable: %s", role,
                stella_strerror(e));
  else if (v < pub)
    e = pf_fail(pf, STELLA_E_ROLLBACK, "staged %s v%lld is older than the "
                "published v%lld: clients would refuse it as a rollback",
                role, (long long)v, (long long)pub);
  else if (v == pub && !repo_same_bytes(dst, &b))
    e = pf_fail(pf, STELLA_E_VERSION, "staged %s v%lld differs from the "
                "published %s v%lld: a published version never changes",
                role, (long long)v, role, (long long)v);
  else if (i == 0 && pub && v > pub + 1)
    e = pf_fail(pf, STELLA_E_VERSION, "staged root v%lld skips v%lld: "
                "clients walk the root chain one version at a time",
                (long long)v, (long long)pub + 1);
  else if (v > pub || i == 3)
    e = fs_write_atomic(dst, b.data, b.len, REPO_FILE_MODE);
  free(dst);
  sbuf_free(&b);
  return e;
}

/* Adds staged/targets/<name> as targets/<sha256>.<name>. */
static stella_err pf_add_targets(repo_pf *pf) {
  char *dir = repo_path(pf->ws, "staged/targets");
  DIR *d = dir ? opendir(dir) : NULL;
  stella_err e = d ? STELLA_OK : STELLA_E_IO;
  struct dirent *de;
  while (!e && (de = readdir(d))) {
    if (de->d_name[0] == '.')
      continue;
    sbuf b = SBUF_INIT, dst = SBUF_INIT;
    uint8_t digest[CRYPTO_SHA256_LEN];
    char hex[2 * CRYPTO_SHA256_LEN + 1];
    char *src = fs_join(dir, de->d_name);
    e = src ? fs_read_file(src, REPO_FILE_MAX, &b) : STELLA_E_NOMEM;
    if (!e) {
      crypto_sha256(b.data, b.len, digest);
      hex_encode(digest, sizeof digest, hex);
      e = sbuf_printf(&dst, "%s/targets/%s.%s", pf->web, hex, de->d_name);
    }
    if (!e)
      e = fs_write_atomic(dst.data, b.data, b.len, REPO_FILE_MODE);
    free(src);
    sbuf_free(&b);
    sbuf_free(&dst);
  }
  if (d)
    closedir(d);
  free(dir);
  return e ? pf_fail(pf, e, "copying the staged targets failed: %s",
                     stella_strerror(e))
           : STELLA_OK;
}

static stella_err pf_build(repo_pf *pf) {
  char *pub = repo_path(pf->ws, "published");
  char *tgt = fs_join(pf->web, "targets");
  stella_err e = pub && tgt ? fs_mkdirs(tgt, 0755) : STELLA_E_NOMEM;
  if (!e)
    e = repo_copy_web(pub, pf->web);
  if (e == STELLA_E_NOT_FOUND) /* nothing published yet */
    e = STELLA_OK;
  free(pub);
  free(tgt);
  if (e)
    return pf_fail(pf, e, "copying published/ failed: %s",
                   stella_strerror(e));
  for (int i = 0; i < REPO_N_ROLES && !e; i++)
    e = pf_add_role(pf, i);
  return e ? e : pf_add_targets(pf);
}

/* ---- The client run ------------------------------------------------------ */

/* Seeds a client metadata folder: the published state (current != 0) or
 * only root v1 (a client that just ran `trust init`). 0 = nothing to seed. */
static int pf_seed(repo_pf *pf, const char *meta, int current) {
  char name[4][128], *srcdir = current ? repo_path(pf->ws, "published")
                                       : strdup(pf->web);
  int n = 0;
  if (!srcdir)
    return 0;
  if (current) {
    for (int i = 0; i < 3; i++)
      snprintf(name[n++], sizeof name[0], "%lld.%s.json",
               (long long)repo_published_version(pf->ws, repo_roles[i]),
               repo_roles[i]);
    snprintf(name[n++], sizeof name[0], "timestamp.json");
  } else {
    snprintf(name[n++], sizeof name[0], "1.root.json");
  }
  static const char *const as[4] = {"root.json", "targets.json",
                                    "snapshot.json", "timestamp.json"};
  int ok = 1;
  for (int i = 0; i < n && ok; i++) {
    sbuf b = SBUF_INIT;
    char *src = fs_join(srcdir, name[i]), *dst = fs_join(meta, as[i]);
    ok = src && dst && !fs_read_file(src, REPO_FILE_MAX, &b) &&
         !fs_write_atomic(dst, b.data, b.len, 0644);
    free(src);
    free(dst);
    sbuf_free(&b);
  }
  free(srcdir);
  return ok;
}

/* Parses a downloaded service-map target the way `trust status` will. */
static stella_err pf_parse_target(repo_pf *pf, servicemap *sm,
                                  const char *name, const sbuf *b) {
  char why[512] = "";
  stella_err e = STELLA_OK;
  if (!strcmp(name, REPO_TRUSTED_ROOT))
    e = servicemap_add_trusted_root(sm, b->data, b->len, why, sizeof why);
  else if (!strcmp(name, REPO_SIGNING_CONFIG))
    e = servicemap_add_signing_config(sm, b->data, b->len, why, sizeof why);
  else if (!strcmp(name, REPO_SIGNING_KEYS))
    e = servicemap_add_signing_keys(sm, b->data, b->len, why, sizeof why);
  if (e)
    return pf_fail(pf, e, "%s would not be readable by clients: %s", name,
                   why);
  return STELLA_OK;
}

/* After a refresh: the client must have reached the staged versions and
 * every staged target must download, verify and parse. */
static stella_err pf_check_client(repo_pf *pf, tuf_client *c,
                                  const char *meta, const char *start) {
  servicemap sm = {0};
  stella_err e = STELLA_OK;
  for (int i = 0; !e && i < REPO_N_ROLES; i++) {
    int64_t v = 0, exp = 0;
    tuf_role_info(meta, repo_roles[i], &v, &exp);
    if (v != pf->staged_v[i])
      e = pf_fail(pf, STELLA_E_VERSION, "a client starting from %s ends at "
                  "%s v%lld, not the staged v%lld", start, repo_roles[i],
                  (long long)v, (long long)pf->staged_v[i]);
  }
  for (int i = 0; !e && i < REPO_N_TARGETS; i++) {
    tuf_target *t = NULL;
    sbuf content = SBUF_INIT;
    char dest[PATH_MAX + 64];
    snprintf(dest, sizeof dest, "%s/dl-%s", pf->work, repo_target_names[i]);
    e = tuf_find_target(c, repo_target_names[i], &t);
    if (!e)
      e = tuf_download_target(c, t, dest, &content);
    if (e)
      e = pf_fail(pf, e, "a client starting from %s cannot get %s: %s",
                  start, repo_target_names[i], tuf_client_errmsg(c));
    else
      e = pf_parse_target(pf, &sm, repo_target_names[i], &content);
    tuf_target_free(t);
    sbuf_free(&content);
  }
  servicemap_clear(&sm);
  return e;
}

static stella_err pf_run_client(repo_pf *pf, int current) {
  const char *start = current ? "the published state" : "root v1";
  char meta[PATH_MAX + 32];
  snprintf(meta, sizeof meta, "%s/client-%s", pf->work,
           current ? "current" : "fresh");
  if (fs_mkdirs(meta, 0700) || !pf_seed(pf, meta, current))
    return pf_fail(pf, STELLA_E_IO, "preparing the preflight client (%s) "
                   "failed", start);
  char *murl = repo_file_url(pf->web, "/");
  char *turl = repo_file_url(pf->web, "/targets/");
  stella_fetcher *f = fetch_curl_new(NULL);
  tuf_config cfg = {.metadata_dir = meta, .metadata_url = murl,
                    .targets_url = turl, .clock = pf->ws->clock,
                    .fetcher = f};
  tuf_client *c = NULL;
  char why[768] = "";
  stella_err e = murl && turl && f ? tuf_client_new(&cfg, &c, why, sizeof why)
                                   : STELLA_E_NOMEM;
  if (e)
    e = pf_fail(pf, e, "a client starting from %s would refuse its root: %s",
                start, why);
  else if ((e = tuf_refresh(c)))
    e = pf_fail(pf, e, "a client starting from %s would reject the update: "
                "%s", start, tuf_client_errmsg(c));
  else
    e = pf_check_client(pf, c, meta, start);
  tuf_client_free(c);
  fetch_free(f);
  free(murl);
  free(turl);
  return e;
}

stella_err repo_preflight(const repo_ws *ws, char **work_dir, char *errbuf,
                          size_t errlen) {
  repo_pf pf = {.ws = ws, .errbuf = errbuf, .errlen = errlen};
  if (work_dir)
    *work_dir = NULL;
  snprintf(pf.work, sizeof pf.work, "%s/.publish-XXXXXX", ws->dir);
  if (!mkdtemp(pf.work)) {
    snprintf(errbuf, errlen, "cannot create a work folder in %s: %s",
             ws->dir, strerror(errno));
    return STELLA_E_IO;
  }
  snprintf(pf.web, sizeof pf.web, "%s/web", pf.work);
  stella_err e = pf_build(&pf);
  if (!e)
    e = pf_run_client(&pf, 0);
  if (!e && repo_published_version(ws, "timestamp"))
    e = pf_run_client(&pf, 1);
  if (e || !work_dir)
    repo_rm_tree(pf.work);
  else if (!(*work_dir = strdup(pf.work)))
    e = STELLA_E_NOMEM;
  return e;
}

/* ---- Publish ------------------------------------------------------------- */

/* What the admin does about a preflight refusal (the client's own hint is
 * written for client operators). */
static const char *repo_admin_hint(stella_err e) {
  switch (e) {
  case STELLA_E_EXPIRED:
    return "run scripts/sign-metadata.sh: it re-signs roles near expiry";
  case STELLA_E_SIGNATURE:
    return "add the missing signatures with `stella tuf sign --role R --key "
           "FILE`";
  case STELLA_E_ROLLBACK:
  case STELLA_E_VERSION: /* the hint is appended to the pf_fail reasons */
    return "stage the next version with scripts/sign-metadata.sh; for root, "
           "with a root key ceremony";
  case STELLA_E_HASH:
    return "a staged file changed after signing: run "
           "scripts/sign-metadata.sh";
  default:
    return "fix the staged state (`stella tuf diff`) and retry";
  }
}

/* Refuses a web root that cannot take every file, before anything is
 * written anywhere. */
static stella_err repo_check_writable(stella_repo *r, const char *dir) {
  char probe[PATH_MAX + 32];
  char *tdir = fs_join(dir, "targets");
  stella_err e = tdir ? fs_mkdirs(tdir, 0755) : STELLA_E_NOMEM;
  if (!e) {
    snprintf(probe, sizeof probe, "%s/.stella-probe", tdir);
    e = fs_write_atomic(probe, "", 0, 0644);
    fs_remove(probe);
    snprintf(probe, sizeof probe, "%s/.stella-probe", dir);
    if (!e)
      e = fs_write_atomic(probe, "", 0, 0644);
    fs_remove(probe);
  }
  free(tdir);
  if (e)
    return repo_fail(r, STELLA_E_IO, "cannot write to the web root %s: %s "
                     "(check it is a folder you can write to; nothing was "
                     "published)", dir, e == STELLA_E_NOMEM
                                            ? "out of memory"
                                            : "not a writable folder");
  return STELLA_OK;
}

static stella_err repo_publish_locked(stella_repo *r, const char *to_dir);

static stella_err repo_publish_refuse_missing(stella_repo *r) {
  stella_repo_missing *m = NULL;
  size_t n = 0;
  stella_err e = repo_missing_all(r->ws, &m, &n);
  if (e)
    return repo_fail(r, e, "checking signatures failed: %s",
                     stella_strerror(e));
  if (n && m[0].need > m[0].keys)
    repo_fail(r, STELLA_E_SIGNATURE, "refusing to publish: %s v%d needs %d "
              "signatures but only %d keys are authorized: the threshold can "
              "never be met (fix the staged root's threshold or keys)",
              m[0].role, m[0].version, m[0].need, m[0].keys);
  else if (n)
    repo_fail(r, STELLA_E_SIGNATURE, "refusing to publish: %s v%d has %d of "
              "%d signatures (missing keyids %s)%s (add them with "
              "scripts/sign-metadata.sh --role %s --key FILE)", m[0].role,
              m[0].version, m[0].have, m[0].need, m[0].keyids,
              n > 1 ? " and more roles are short" : "",
              strncmp(m[0].role, "root", 4) ? m[0].role : "root");
  free(m);
  return n ? STELLA_E_SIGNATURE : STELLA_OK;
}

stella_err stella_repo_publish(stella_repo *r, const char *to_dir) {
  r->errmsg[0] = '\0';
  stella_err e = repo_need_ws(r);
  if (e)
    return e;
  int lock;
  if ((e = repo_lock(r, &lock)))
    return e;
  e = repo_publish_locked(r, to_dir);
  repo_unlock(lock);
  return e;
}

static stella_err repo_publish_locked(stella_repo *r, const char *to_dir) {
  char err[1024] = "", *work = NULL;
  int pending = 0;
  stella_err e = repo_need_ws(r);
  if (!e)
    e = repo_targets_pending(r, &pending);
  if (!e && pending)
    e = repo_fail(r, STELLA_E_SIGNATURE, "refusing to publish: staged "
                  "changes are not signed yet (run scripts/sign-metadata.sh "
                  "first; `stella tuf diff` shows them)");
  if (!e)
    e = repo_publish_refuse_missing(r);
  if (e)
    return e;
  const char *to = to_dir ? to_dir : r->ws->publish_to;
  char *pub = repo_path(r->ws, "published");
  if (!pub)
    return repo_fail(r, STELLA_E_NOMEM, "out of memory");
  if (to && (e = repo_check_writable(r, to))) {
    free(pub);
    return e;
  }
  if ((e = repo_preflight(r->ws, &work, err, sizeof err))) {
    free(pub);
    return repo_fail(r, e, "preflight refused the publish: %s (nothing was "
                     "published; %s)", err, repo_admin_hint(e));
  }
  char web[PATH_MAX + 8];
  snprintf(web, sizeof web, "%s/web", work);
  if (to && (e = repo_copy_web(web, to)))
    repo_fail(r, e, "writing the web root %s failed: %s", to,
              stella_strerror(e));
  if (!e && (e = repo_copy_web(web, pub)))
    repo_fail(r, e, "writing %s failed: %s", pub, stella_strerror(e));
  repo_rm_tree(work);
  free(work);
  free(pub);
  if (e)
    return e;
  char what[256];
  snprintf(what, sizeof what, "published root v%lld targets v%lld "
           "snapshot v%lld timestamp v%lld%s%s",
           (long long)repo_published_version(r->ws, "root"),
           (long long)repo_published_version(r->ws, "targets"),
           (long long)repo_published_version(r->ws, "snapshot"),
           (long long)repo_published_version(r->ws, "timestamp"),
           to ? " to " : "", to ? to : "");
  repo_note(r, "%s", what);
  return repo_changelog(r->ws, what, NULL);
}
