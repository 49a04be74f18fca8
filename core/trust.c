/* trust.c - the public trust API: the state folder, `trust init`, `trust
 * sync` (TUF update + service map) and `trust status`.
 *
 * State folder layout:
 *   HOME/tuf/metadata/  TUF client state (tuf.h): only metadata .json files
 *   HOME/tuf/targets/   verified service-map targets (trusted_root.json,
 *                       signing_config.v0.2.json or signing_config.json,
 *                       and signing_keys.json when the repository has it)
 *   HOME/stella.db      settings (tuf_url), sync history, stale list
 *   HOME/.sync.lock     held while a sync runs (one sync per folder)
 */
#include "stella/stella.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "fetch.h"
#include "fsutil.h"
#include "servicemap.h"
#include "servicemap_signing.h"
#include "statedir.h"
#include "store.h"
#include "trust_internal.h"
#include "tuf.h"
#include "url.h"

#define TRUST_ROOT_MAX 512000
#define TRUST_SERVICE_MAP_MAX 5000000
#define TRUST_URL_MAX URL_MAX
#define TRUST_DIR_MODE 0700
#define TRUST_FILE_MODE 0644

static const char *const trust_roles[4] = {"root", "timestamp", "snapshot",
                                           "targets"};
/* Preferred first: the v0.2 format carries API versions and operators. */
const char *const trust_signing_configs[2] = {"signing_config.v0.2.json",
                                              "signing_config.json"};

struct stella_trust {
  char *home;
  char *tuf_dir;
  char *meta_dir;
  char *targets_dir;
  char *db_path;
  char *lock_path;
  stella_clock clock;
  store *store;
  char errmsg[1024];
  char summary[512];
};

/* What to do, by error: the last part of every one-line sync error. */
static const char *const trust_hints[STELLA_E__LAST] = {
  [STELLA_E_NOMEM] = "free some memory and retry",
  [STELLA_E_INVALID_ARG] = "check the command's arguments",
  [STELLA_E_IO] = "check the permissions and free space of the state folder",
  [STELLA_E_NETWORK] = "check the repository URL and that the server is up",
  [STELLA_E_TIMEOUT] = "the server is slow or hung; retry, or point "
                       "--tuf-url at a mirror",
  [STELLA_E_HTTP] = "the server answered with an error; check the "
                    "repository URL",
  [STELLA_E_NOT_FOUND] = "the file is missing on the server; check the "
                         "repository URL",
  [STELLA_E_TOO_LARGE] = "the server sent more than allowed; do not trust it",
  [STELLA_E_PARSE] = "the server did not send TUF metadata (an error "
                     "page?); check the repository URL",
  [STELLA_E_FORMAT] = "the server did not send valid TUF metadata; check "
                      "the repository URL",
  [STELLA_E_SIGNATURE] = "do not trust this repository state; alert its "
                         "key holders",
  [STELLA_E_EXPIRED] = "the repository is not being refreshed; to keep "
                       "working for a bounded time use --allow-stale "
                       "--max-age DUR",
  [STELLA_E_ROLLBACK] = "the server sent older metadata than we already "
                        "trust; the server or its mirror is stale or "
                        "compromised",
  [STELLA_E_VERSION] = "the metadata does not match what was announced; "
                       "retry (the repository may be mid-publish)",
  [STELLA_E_HASH] = "a file does not match its announced hash; do not "
                    "trust this server",
  [STELLA_E_UNSUPPORTED] = "this stella does not support that algorithm",
  [STELLA_E_EXISTS] = "pass --force to replace it",
  [STELLA_E_NOT_INITIALIZED] = "run `stella trust init --tuf-url URL --root "
                               "FILE` first",
  [STELLA_E_LIMIT] = "a safety limit was reached; check the repository",
  [STELLA_E_UNAVAILABLE] = "every backend is failing; see `stella trust "
                           "status --show-backends`",
  [STELLA_E_INCONSISTENT] = "the log shows different histories; treat it "
                            "as compromised and alert its operator",
  [STELLA_E_CANCELLED] = "what was verified before stays trusted; sync "
                         "again when ready",
};

static const char *trust_hint(stella_err e) {
  if ((int)e <= 0 || e >= STELLA_E__LAST || !trust_hints[e])
    return "retry, or report it";
  return trust_hints[e];
}

static stella_err trust_fail(stella_trust *t, stella_err e, const char *fmt,
                             ...) __attribute__((format(printf, 3, 4)));

static stella_err trust_fail(stella_trust *t, stella_err e, const char *fmt,
                             ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(t->errmsg, sizeof t->errmsg, fmt, ap);
  va_end(ap);
  /* The message may quote server bytes; it is shown, stored and logged as
   * one line of text. */
  for (char *p = t->errmsg; *p; p++)
    if ((unsigned char)*p < ' ' || *p == 0x7f)
      *p = '?';
  return e;
}

/* "<what>: <why> (<hint>)", leaving out our hint when why already has one:
 * the fetcher's "(is the server up?)" or the TUF client's "...; do this". */
static stella_err trust_fail_hint(stella_trust *t, stella_err e,
                                  const char *what, const char *why) {
  size_t n = why ? strlen(why) : 0;
  int fetch_hint = n && why[n - 1] == ')' &&
                   (e == STELLA_E_NETWORK || e == STELLA_E_TIMEOUT ||
                    e == STELLA_E_HTTP || e == STELLA_E_NOT_FOUND);
  if (fetch_hint || (n && strstr(why, "; ")))
    return trust_fail(t, e, "%s: %s", what, why);
  return trust_fail(t, e, "%s: %s (%s)", what, n ? why : stella_strerror(e),
                    trust_hint(e));
}

void stella_age_format(int64_t s, char *buf, size_t len) {
  long long v = s < 0 ? 0 : (long long)s;
  if (v < 60)
    snprintf(buf, len, "%llds", v);
  else if (v < 3600)
    snprintf(buf, len, "%lldm", v / 60);
  else if (v < 86400 && v % 3600 / 60)
    snprintf(buf, len, "%lldh %lldm", v / 3600, v % 3600 / 60);
  else if (v < 86400)
    snprintf(buf, len, "%lldh", v / 3600);
  else if (v % 86400 / 3600)
    snprintf(buf, len, "%lldd %lldh", v / 86400, v % 86400 / 3600);
  else
    snprintf(buf, len, "%lldd", v / 86400);
}

/* ---- The state folder ---------------------------------------------------- */

/* --home, else $STELLA_HOME, else $XDG_DATA_HOME/stella, else
 * ~/.local/share/stella. malloc'd; NULL if nothing names a folder. */
static char *trust_resolve_home(const char *home) {
  const char *env;
  if (home && *home)
    return strdup(home);
  if ((env = getenv("STELLA_HOME")) && *env)
    return strdup(env);
  if ((env = getenv("XDG_DATA_HOME")) && *env)
    return fs_join(env, "stella");
  if ((env = getenv("HOME")) && *env)
    return fs_join(env, ".local/share/stella");
  return NULL;
}

/* home made absolute without needing it to exist (symlinks resolved when
 * it does). malloc'd; NULL on NOMEM. */
static char *trust_absolute(const char *home) {
  char abs[PATH_MAX], cwd[PATH_MAX];
  if (realpath(home, abs))
    return strdup(abs);
  if (home[0] == '/')
    return strdup(home);
  return getcwd(cwd, sizeof cwd) ? fs_join(cwd, home) : NULL;
}

static void trust_free_paths(stella_trust *t) {
  free(t->home);
  free(t->tuf_dir);
  free(t->meta_dir);
  free(t->targets_dir);
  free(t->db_path);
  free(t->lock_path);
}

/* Points the handle's paths at home (absolute). Touches no file. */
static stella_err trust_set_paths(stella_trust *t, const char *home) {
  char *abs = trust_absolute(home);
  trust_free_paths(t);
  t->home = abs;
  t->tuf_dir = abs ? fs_join(abs, "tuf") : NULL;
  t->meta_dir = abs ? fs_join(abs, "tuf/metadata") : NULL;
  t->targets_dir = abs ? fs_join(abs, "tuf/targets") : NULL;
  t->db_path = abs ? fs_join(abs, "stella.db") : NULL;
  t->lock_path = abs ? fs_join(abs, ".sync.lock") : NULL;
  if (!t->home || !t->tuf_dir || !t->meta_dir || !t->targets_dir ||
      !t->db_path || !t->lock_path)
    return STELLA_E_NOMEM;
  return STELLA_OK;
}

/* The folders of a new state folder; the paths are resolved again once
 * it exists (a symlink in home). */
static stella_err trust_make_dirs(stella_trust *t) {
  char *home = strdup(t->home);
  stella_err e = home ? fs_mkdirs(home, TRUST_DIR_MODE) : STELLA_E_NOMEM;
  if (!e)
    e = trust_set_paths(t, home);
  free(home);
  if (!e)
    e = fs_mkdirs(t->meta_dir, TRUST_DIR_MODE);
  if (!e)
    e = fs_mkdirs(t->targets_dir, TRUST_DIR_MODE);
  return e;
}

/* Opens stella.db. Without create, only one that exists: a state folder
 * without it holds no trust, and a reader must not leave one behind. */
static stella_err trust_attach_store(stella_trust *t, int create) {
  struct stat st;
  if (!create && stat(t->db_path, &st) != 0 &&
      (errno == ENOENT || errno == ENOTDIR))
    return STELLA_E_NOT_INITIALIZED;
  stella_err e = create ? trust_make_dirs(t) : STELLA_OK;
  return e ? e : store_open(t->db_path, &t->store, NULL, 0);
}

stella_err trust_attach(stella_trust *t, int create) {
  char why[1024];
  if (t->store)
    return STELLA_OK;
  stella_err e = trust_attach_store(t, create);
  if (e == STELLA_E_NOT_INITIALIZED)
    return trust_fail(t, e, "no trust is set up in %s (%s)", t->home,
                      trust_hint(e));
  if (e)
    trust_fail(t, e, "%s", stella_trust_open_errmsg(t->home, e, why,
                                                    sizeof why));
  return e;
}

stella_trust *stella_trust_open_mode(const char *home,
                                     const stella_clock *clock,
                                     stella_open_mode mode, stella_err *err) {
  stella_err e = STELLA_OK;
  stella_trust *t = calloc(1, sizeof *t);
  char *resolved = trust_resolve_home(home);
  if (!t)
    e = STELLA_E_NOMEM;
  else if (!resolved)
    e = STELLA_E_INVALID_ARG; /* no --home, no $STELLA_HOME, no $HOME */
  if (!e)
    e = trust_set_paths(t, resolved);
  if (!e)
    e = trust_attach_store(t, mode == STELLA_OPEN_CREATE);
  if (e == STELLA_E_NOT_INITIALIZED && mode == STELLA_OPEN_ON_WRITE)
    e = STELLA_OK; /* created by the call that stores trust */
  free(resolved);
  if (t)
    t->clock = clock ? *clock : *stella_clock_system();
  if (err)
    *err = e;
  if (e) {
    stella_trust_free(t);
    return NULL;
  }
  return t;
}

stella_trust *stella_trust_open(const char *home, const stella_clock *clock,
                                stella_err *err) {
  return stella_trust_open_mode(home, clock, STELLA_OPEN_CREATE, err);
}

const char *stella_trust_open_errmsg(const char *home, stella_err e,
                                     char *buf, size_t len) {
  char *dir = trust_resolve_home(home);
  const char *shown = dir ? dir : "(no --home, STELLA_HOME or HOME)";
  struct stat st;
  if (!buf || !len)
    return "";
  if (e == STELLA_E_FORMAT)
    snprintf(buf, len, "the state database %s/stella.db is damaged or not a "
             "stella database (move it aside, then run `stella trust init "
             "--force` again)", shown);
  else if (e == STELLA_E_UNSUPPORTED)
    snprintf(buf, len, "the state database %s/stella.db was written by a "
             "newer stella (upgrade stella)", shown);
  else if (dir && stat(dir, &st) == 0 && !S_ISDIR(st.st_mode))
    snprintf(buf, len, "the state folder %s is not a folder (pass --home "
             "DIR naming a folder)", shown);
  else if (e == STELLA_E_NOT_INITIALIZED)
    snprintf(buf, len, "no trust is set up in %s (%s)", shown,
             trust_hint(e));
  else
    snprintf(buf, len, "opening the state folder %s failed: %s (pass --home "
             "DIR or set STELLA_HOME to a writable folder)", shown,
             stella_strerror(e));
  free(dir);
  return buf;
}

void stella_trust_free(stella_trust *t) {
  if (!t)
    return;
  store_close(t->store);
  trust_free_paths(t);
  free(t);
}

const char *stella_trust_errmsg(const stella_trust *t) {
  return t ? t->errmsg : "";
}

const char *stella_trust_home(const stella_trust *t) {
  return t ? t->home : "";
}

const char *stella_trust_sync_summary(const stella_trust *t) {
  return t ? t->summary : "";
}

const stella_clock *trust_clock(const stella_trust *t) { return &t->clock; }

store *trust_store(stella_trust *t) { return t->store; }

stella_err trust_set_errmsg(stella_trust *t, stella_err e, const char *msg) {
  return trust_fail(t, e, "%s", msg);
}

static int64_t trust_now(const stella_trust *t) {
  return t->clock.now(t->clock.ctx);
}

/* ---- init ---------------------------------------------------------------- */

/* One writer per state folder at a time (sync, init): a second one fails
 * fast instead of interleaving its writes. Returns the held fd, or -1
 * (errmsg set). */
static int trust_lock(stella_trust *t) {
  int fd = statedir_lock(t->lock_path);
  if (fd < 0 && (errno == EWOULDBLOCK || errno == EAGAIN))
    trust_fail(t, STELLA_E_IO, "another sync or init is running on %s "
               "(wait for it to finish, then retry)", t->home);
  else if (fd < 0)
    trust_fail(t, STELLA_E_IO, "opening %s: %s (%s)", t->lock_path,
               strerror(errno), trust_hint(STELLA_E_IO));
  return fd;
}

/* 1 if name is debris of a write killed midway: fs_write_atomic's
 * ".NAME.tmp-XXXXXX", a forced download's ".NAME.forced", init's
 * ".metadata.new-XXXXXX" / ".targets.new-XXXXXX" / ".old-XXXXXX", and
 * statedir_history_reset's ".root-history.new-XXXXXX". */
static int trust_is_debris(const char *name) {
  static const char *const prefixes[] = {".metadata.new-", ".targets.new-",
                                         ".old-", ".root-history.new-"};
  size_t n = strlen(name);
  if (name[0] != '.' || !strcmp(name, ".") || !strcmp(name, ".."))
    return 0;
  if (strstr(name, ".tmp-") || (n > 7 && !strcmp(name + n - 7, ".forced")))
    return 1;
  for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
    if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
      return 1;
  return 0;
}

static void trust_sweep_dir(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *ent;
  while (d && (ent = readdir(d))) {
    char *path = trust_is_debris(ent->d_name) ? fs_join(dir, ent->d_name)
                                               : NULL;
    if (path)
      statedir_rm_tree(path);
    free(path);
  }
  if (d)
    closedir(d);
}

/* Removes what killed syncs and inits left behind. Only with the lock held:
 * then no other writer owns a temp file. */
static void trust_sweep(const stella_trust *t) {
  trust_sweep_dir(t->tuf_dir);
  trust_sweep_dir(t->meta_dir);
  trust_sweep_dir(t->targets_dir);
}

/* Writes root.json into a new folder first, then swaps it in for the old
 * metadata; the old service map goes too (it came from the old trust). */
static stella_err trust_install_root(stella_trust *t, const sbuf *root) {
  char *fresh = fs_join(t->tuf_dir, ".metadata.new-XXXXXX");
  char *empty = fs_join(t->tuf_dir, ".targets.new-XXXXXX");
  char *root_path = NULL;
  stella_err e = STELLA_OK;
  if (!fresh || !empty)
    e = STELLA_E_NOMEM;
  else if (!mkdtemp(fresh) || !mkdtemp(empty))
    e = STELLA_E_IO;
  else if (!(root_path = fs_join(fresh, "root.json")))
    e = STELLA_E_NOMEM;
  if (!e)
    e = fs_write_atomic(root_path, root->data, root->len, TRUST_FILE_MODE);
  if (!e)
    e = statedir_swap(fresh, t->meta_dir, t->tuf_dir);
  if (!e)
    e = statedir_swap(empty, t->targets_dir, t->tuf_dir);
  if (e && fresh)
    statedir_rm_tree(fresh);
  if (empty)
    rmdir(empty);
  free(root_path);
  free(fresh);
  free(empty);
  return e;
}

static int trust_has_root(const stella_trust *t) {
  int64_t version, expires;
  return tuf_role_info(t->meta_dir, "root", &version, &expires) !=
         STELLA_E_NOT_FOUND;
}

const char *trust_url_problem(const char *url, char *out, size_t outlen) {
  size_t n = url ? strlen(url) : 0;
  const char *problem = url_problem(url, URL_HTTP | URL_FILE);
  if (!problem && n >= outlen)
    problem = "it is too long";
  if (problem)
    return problem;
  while (n > 0 && url[n - 1] == '/')
    n--;
  memcpy(out, url, n);
  out[n] = '\0';
  return NULL;
}

/* trust_url_problem for --tuf-url, saying what to give instead. */
static stella_err trust_check_url(stella_trust *t, const char *url, char *out,
                                  size_t outlen) {
  const char *problem = trust_url_problem(url, out, outlen);
  char shown[84];
  if (!problem)
    return STELLA_OK;
  url_shown(url, shown, sizeof shown);
  return trust_fail(t, STELLA_E_INVALID_ARG, "bad --tuf-url '%s': %s (give "
                    "the repository's base URL, e.g. "
                    "https://tuf-repo-cdn.sigstore.dev)", shown, problem);
}

static stella_err trust_read_root(stella_trust *t, const char *root_file,
                                  sbuf *root) {
  char why[512] = "";
  stella_err e = fs_read_file(root_file, TRUST_ROOT_MAX, root);
  if (e == STELLA_E_NOT_FOUND)
    return trust_fail(t, e, "reading root %s: no such file (give the path "
                      "of a root.json obtained out of band)", root_file);
  if (e == STELLA_E_TOO_LARGE)
    return trust_fail(t, e, "reading root %s: over %d bytes (is this a "
                      "root.json?)", root_file, TRUST_ROOT_MAX);
  if (e)
    return trust_fail(t, e, "reading root %s: %s (check the path and its "
                      "permissions)", root_file, stella_strerror(e));
  e = tuf_check_root_bytes(root->data, root->len, why, sizeof why);
  if (e)
    return trust_fail(t, e, "checking root %s: %s (use a root.json obtained "
                      "out of band from the repository's key holders)",
                      root_file, *why ? why : stella_strerror(e));
  return STELLA_OK;
}

stella_err stella_trust_init(stella_trust *t, const char *tuf_url,
                             const char *root_file, int force) {
  char url[TRUST_URL_MAX + 1], note[TRUST_URL_MAX + 64];
  sbuf root = SBUF_INIT;
  int lock = -1;
  t->errmsg[0] = '\0';
  stella_err e = trust_check_url(t, tuf_url, url, sizeof url);
  if (!e)
    e = trust_read_root(t, root_file ? root_file : "", &root);
  if (!e)
    e = trust_attach(t, 1);
  /* A sync running now would write the old trust's files into the new
   * metadata folder after the swap. */
  if (!e && (lock = trust_lock(t)) < 0)
    e = STELLA_E_IO;
  if (!e)
    trust_sweep(t);
  if (!e && !force && trust_has_root(t))
    e = trust_fail(t, STELLA_E_EXISTS, "trust is already set up in %s "
                   "(pass --force to replace it)", t->home);
  if (!e && (e = trust_install_root(t, &root)))
    trust_fail(t, e, "storing root in %s: %s (%s)", t->meta_dir,
               stella_strerror(e), trust_hint(e));
  if (!e) /* best effort: only exports with --include-root read it */
    statedir_history_reset(t->tuf_dir, root.data, root.len);
  if (!e && ((e = store_set_setting(t->store, "tuf_url", url)) ||
             (e = store_clear_stale(t->store))))
    trust_fail(t, e, "%s (%s)", store_errmsg(t->store), trust_hint(e));
  snprintf(note, sizeof note, "init: %s", url);
  if (!e)
    store_record(t->store, STORE_EVENT_INIT, trust_now(t), 1, note);
  if (lock >= 0)
    close(lock);
  sbuf_free(&root);
  return e;
}

/* ---- sync ---------------------------------------------------------------- */

stella_err trust_report_stale(stella_trust *t, tuf_client *c,
                              int64_t max_age, stella_note_fn note,
                              void *note_ctx, int replace) {
  size_t n = 0;
  const tuf_stale *items = tuf_client_stale(c, &n);
  char line[512], when[32], ago[32], limit[32];
  stella_age_format(max_age, limit, sizeof limit);
  for (size_t i = 0; note && i < n; i++) {
    stella_time_format(items[i].expires, when, sizeof when);
    stella_age_format(trust_now(t) - items[i].expires, ago, sizeof ago);
    snprintf(line, sizeof line, "WARNING: accepted EXPIRED %s metadata: it "
             "expired %s, %s ago (within --max-age %s); signatures, versions "
             "and hashes were still verified; status shows it as STALE",
             items[i].role, when, ago, limit);
    note(note_ctx, line);
  }
  if (n || replace)
    return store_put_stale(t->store, items, n, replace);
  return STELLA_OK;
}

stella_err trust_check_stale_opts(stella_trust *t, int allow_stale,
                                  int64_t max_age) {
  if (allow_stale && max_age <= 0)
    return trust_fail(t, STELLA_E_INVALID_ARG, "--allow-stale needs a "
                      "positive --max-age (say how much staleness to accept, "
                      "e.g. --max-age 7d)");
  return STELLA_OK;
}

/* Adds service-map file name (by its kind) to sm; on failure sm is left
 * as it was and why says what is wrong. */
static stella_err trust_add_service_file(servicemap *sm, const char *name,
                                         const sbuf *b, char *why,
                                         size_t whylen) {
  if (strcmp(name, TRUST_TRUSTED_ROOT) == 0)
    return servicemap_add_trusted_root(sm, b->data, b->len, why, whylen);
  if (strcmp(name, TRUST_SIGNING_KEYS) == 0)
    return servicemap_add_signing_keys(sm, b->data, b->len, why, whylen);
  return servicemap_add_signing_config(sm, b->data, b->len, why, whylen);
}

/* Checks that service-map file name parses as its kind. */
static stella_err trust_check_service_file(const char *name, const sbuf *b,
                                           char *why, size_t whylen) {
  servicemap sm = {0};
  stella_err e = trust_add_service_file(&sm, name, b, why, whylen);
  servicemap_clear(&sm);
  return e;
}

int trust_is_service_file(const char *name) {
  return strcmp(name, TRUST_TRUSTED_ROOT) == 0 ||
         strcmp(name, TRUST_SIGNING_KEYS) == 0 ||
         strcmp(name, trust_signing_configs[0]) == 0 ||
         strcmp(name, trust_signing_configs[1]) == 0;
}

stella_err trust_fetch_service_file(tuf_client *c, const char *name,
                                    const char *dest, sbuf *content,
                                    int *unreadable, char *why,
                                    size_t whylen) {
  tuf_target *target = NULL;
  int too_big = 0;
  *unreadable = 0;
  stella_err e = tuf_find_target(c, name, &target);
  if (e == STELLA_E_NOT_FOUND) {
    snprintf(why, whylen, "the targets metadata does not list %s", name);
    return e;
  }
  if (!e && (too_big = tuf_target_length(target) > TRUST_SERVICE_MAP_MAX))
    e = STELLA_E_TOO_LARGE;
  /* Listed but missing on the server is an error, never a reason to fall
   * back to the older signing_config format. */
  else if (!e && (e = tuf_download_target(c, target, dest, content)) ==
                     STELLA_E_NOT_FOUND)
    e = STELLA_E_HTTP; /* a 404 for a listed file */
  tuf_target_free(target);
  if (too_big)
    snprintf(why, whylen, "%s is listed as over %d bytes: refused", name,
             TRUST_SERVICE_MAP_MAX);
  else if (e)
    snprintf(why, whylen, "%s", tuf_client_errmsg(c));
  else if ((e = trust_check_service_file(name, content, why, whylen)))
    *unreadable = 1;
  return e;
}

/* Fetches one service-map target into HOME/tuf/targets/name. With force the
 * file is downloaded again even if the stored copy matches: into a side
 * file first, so the trusted copy is replaced only by verified bytes. */
static stella_err trust_sync_service_file(stella_trust *t, tuf_client *c,
                                          const char *name, int force) {
  char side[128];
  snprintf(side, sizeof side, ".%s.forced", name);
  char *final = fs_join(t->targets_dir, name);
  char *dest = force ? fs_join(t->targets_dir, side) : final;
  sbuf content = SBUF_INIT;
  char why[512] = "";
  int unreadable = 0;
  stella_err e = final && dest ? STELLA_OK : STELLA_E_NOMEM;
  if (!e && force)
    fs_remove(dest);
  if (!e)
    e = trust_fetch_service_file(c, name, dest, &content, &unreadable, why,
                                 sizeof why);
  if (e && unreadable)
    trust_fail(t, e, "reading service map %s: %s (the repository publishes "
               "a file stella cannot read; report it to its operators)",
               name, why);
  else if (e && e != STELLA_E_NOT_FOUND) /* not listed: caller decides */
    trust_fail_hint(t, e, "fetching service map", why);
  if (!e && force) {
    e = fs_write_atomic(final, content.data, content.len, TRUST_FILE_MODE);
    if (e)
      trust_fail(t, e, "writing %s: %s (%s)", final, stella_strerror(e),
                 trust_hint(e));
  }
  if (force && dest)
    fs_remove(dest);
  if (dest != final)
    free(dest);
  free(final);
  sbuf_free(&content);
  return e;
}

/* The service map: trusted_root.json, then the first signing config the
 * repository lists; the other one's stale copy is removed so status never
 * mixes formats. *config_name gets the one used. */
/* stella's signing_keys.json: optional (a repository made by other tools
 * has none: its stale copy goes), but listed and failing is an error. *have
 * is 1 when it was synced. */
static stella_err trust_sync_signing_keys(stella_trust *t, tuf_client *c,
                                          int force, int *have) {
  stella_err e = trust_sync_service_file(t, c, TRUST_SIGNING_KEYS, force);
  *have = e == STELLA_OK;
  if (e != STELLA_E_NOT_FOUND)
    return e;
  char *stale = fs_join(t->targets_dir, TRUST_SIGNING_KEYS);
  if (stale)
    fs_remove(stale);
  free(stale);
  return STELLA_OK;
}

static stella_err trust_sync_service_map(stella_trust *t, tuf_client *c,
                                         int force, const char **config_name) {
  stella_err e = trust_sync_service_file(t, c, TRUST_TRUSTED_ROOT, force);
  if (e == STELLA_E_NOT_FOUND)
    return trust_fail(t, e, "service map: the repository lists no %s (is "
                      "this a Sigstore-style TUF repository?)",
                      TRUST_TRUSTED_ROOT);
  for (size_t i = 0; !e && i < 2; i++) {
    e = trust_sync_service_file(t, c, trust_signing_configs[i], force);
    if (!e) {
      char *other = fs_join(t->targets_dir, trust_signing_configs[1 - i]);
      if (other)
        fs_remove(other);
      free(other);
      *config_name = trust_signing_configs[i];
      return STELLA_OK;
    }
    if (e == STELLA_E_NOT_FOUND)
      e = STELLA_OK; /* try the older format */
    else
      return e;
  }
  return e ? e : trust_fail(t, STELLA_E_NOT_FOUND, "service map: the "
                            "repository lists neither %s nor %s (is this a "
                            "Sigstore-style TUF repository?)",
                            trust_signing_configs[0], trust_signing_configs[1]);
}

static void trust_make_summary(stella_trust *t, const char *config_name,
                               int have_signing_keys) {
  int64_t v[4] = {0}, expires;
  for (int i = 0; i < 4; i++)
    tuf_role_info(t->meta_dir, trust_roles[i], &v[i], &expires);
  snprintf(t->summary, sizeof t->summary, "synced: root v%lld, timestamp "
           "v%lld, snapshot v%lld, targets v%lld; service map: %s, %s%s",
           (long long)v[0], (long long)v[1], (long long)v[2], (long long)v[3],
           TRUST_TRUSTED_ROOT, config_name,
           have_signing_keys ? ", " TRUST_SIGNING_KEYS : "");
}

/* Builds the client for the stored repository URL. */
static stella_err trust_client(stella_trust *t, const stella_sync_opts *opts,
                               stella_fetcher *fetcher, tuf_client **c) {
  char *url = NULL, why[512] = "";
  sbuf meta_url = SBUF_INIT, targets_url = SBUF_INIT;
  stella_err e = store_get_setting(t->store, "tuf_url", &url);
  if (e == STELLA_E_NOT_FOUND || (!e && !trust_has_root(t)))
    e = trust_fail(t, STELLA_E_NOT_INITIALIZED, "no trust is set up in %s "
                   "(%s)", t->home, trust_hint(STELLA_E_NOT_INITIALIZED));
  else if (e)
    trust_fail(t, e, "%s (%s)", store_errmsg(t->store), trust_hint(e));
  if (!e && (sbuf_printf(&meta_url, "%s/", url) ||
             sbuf_printf(&targets_url, "%s/targets/", url)))
    e = STELLA_E_NOMEM;
  if (!e) {
    tuf_config cfg = {
      .metadata_dir = t->meta_dir,
      .metadata_url = meta_url.data,
      .targets_url = targets_url.data,
      .clock = &t->clock,
      .fetcher = fetcher,
      .allow_stale_seconds = opts->allow_stale ? opts->max_stale_age : 0,
      .root_accepted = statedir_root_accepted, /* history for bundles */
      .root_accepted_ctx = t->tuf_dir,
    };
    e = tuf_client_new(&cfg, c, why, sizeof why);
    if (e)
      trust_fail_hint(t, e, "loading the trusted root", why);
  }
  free(url);
  sbuf_free(&meta_url);
  sbuf_free(&targets_url);
  return e;
}

static stella_err trust_sync_locked(stella_trust *t,
                                    const stella_sync_opts *opts) {
  const char *config_name = "";
  tuf_client *c = NULL;
  int64_t deadline_s = opts->deadline_s > 0 ? opts->deadline_s
                                             : STELLA_SYNC_DEADLINE_S;
  if (deadline_s > STELLA_SYNC_DEADLINE_MAX_S)
    deadline_s = STELLA_SYNC_DEADLINE_MAX_S;
  fetch_curl_opts fo = {.overall_timeout_ms = (long)deadline_s * 1000,
                        .cancelled = opts->cancelled,
                        .cancel_ctx = opts->cancel_ctx};
  stella_fetcher *fetcher = fetch_curl_new(&fo);
  if (!fetcher)
    return trust_fail(t, STELLA_E_NOMEM, "starting libcurl failed (%s)",
                      trust_hint(STELLA_E_NOMEM));
  stella_err e = trust_client(t, opts, fetcher, &c);
  if (!e) {
    /* 5.3-5.6: root chain, timestamp, snapshot, targets. */
    e = tuf_refresh(c);
    if (e)
      trust_fail_hint(t, e, "TUF update", tuf_client_errmsg(c));
    trust_report_stale(t, c, opts->max_stale_age, opts->note,
                       opts->note_ctx, e == STELLA_OK);
  }
  int have_signing_keys = 0;
  if (!e)
    e = trust_sync_service_map(t, c, opts->force, &config_name);
  if (!e)
    e = trust_sync_signing_keys(t, c, opts->force, &have_signing_keys);
  if (!e)
    trust_make_summary(t, config_name, have_signing_keys);
  if (e != STELLA_E_NOT_INITIALIZED)
    store_record(t->store, STORE_EVENT_SYNC, trust_now(t), e == STELLA_OK,
                 e ? t->errmsg : t->summary);
  tuf_client_free(c);
  fetch_free(fetcher);
  return e;
}

stella_err stella_trust_sync(stella_trust *t, const stella_sync_opts *opts) {
  static const stella_sync_opts defaults = {0};
  t->errmsg[0] = '\0';
  t->summary[0] = '\0';
  if (!opts)
    opts = &defaults;
  stella_err e = trust_check_stale_opts(t, opts->allow_stale,
                                        opts->max_stale_age);
  if (!e)
    e = trust_attach(t, 0); /* no stella.db: nothing to sync from */
  if (e)
    return e;
  int lock = trust_lock(t);
  if (lock < 0)
    return STELLA_E_IO;
  trust_sweep(t);
  e = trust_sync_locked(t, opts);
  close(lock);
  return e;
}

/* ---- status -------------------------------------------------------------- */

static void trust_role_status(stella_trust *t, int64_t now, const char *role,
                              stella_role_status *rs) {
  snprintf(rs->name, sizeof rs->name, "%s", role);
  if (tuf_role_info(t->meta_dir, role, &rs->version, &rs->expires)) {
    rs->version = rs->expires = 0;
    rs->state = STELLA_ROLE_MISSING;
  } else if (rs->expires > now) {
    rs->state = STELLA_ROLE_OK;
  } else {
    rs->state = store_is_stale_tolerated(t->store, role, rs->expires)
                    ? STELLA_ROLE_STALE
                    : STELLA_ROLE_EXPIRED;
  }
}

/* Adds one stored service-map file to sm. 1 if it was there, 0 if absent,
 * -1 on error (*why set). */
static int trust_load_service_file(const stella_trust *t, const char *name,
                                   servicemap *sm, char *why, size_t whylen) {
  sbuf b = SBUF_INIT;
  char *path = fs_join(t->targets_dir, name);
  stella_err e = path ? fs_read_file(path, TRUST_SERVICE_MAP_MAX, &b)
                      : STELLA_E_NOMEM;
  int rc = 1;
  if (e == STELLA_E_NOT_FOUND) {
    rc = 0;
  } else if (e) {
    snprintf(why, whylen, "reading %s: %s", name, stella_strerror(e));
    rc = -1;
  } else {
    rc = trust_add_service_file(sm, name, &b, why, whylen) ? -1 : 1;
  }
  free(path);
  sbuf_free(&b);
  return rc;
}

/* Endpoints and keys from the stored service map, or why there are none. */
static stella_err trust_load_service_map(const stella_trust *t,
                                         stella_status *s) {
  servicemap sm = {0};
  char why[512] = "";
  int have_root = trust_load_service_file(t, TRUST_TRUSTED_ROOT, &sm, why,
                                          sizeof why);
  int have_config = 0;
  for (size_t i = 0; have_root >= 0 && !have_config && i < 2; i++)
    have_config = trust_load_service_file(t, trust_signing_configs[i], &sm,
                                          why, sizeof why);
  /* After trusted_root.json: it also names the log keys. Optional. */
  int have_keys = have_root >= 0 && have_config >= 0
      ? trust_load_service_file(t, TRUST_SIGNING_KEYS, &sm, why, sizeof why)
      : 0;
  if (have_root < 0 || have_config < 0 || have_keys < 0) {
    char detail[sizeof why];
    memcpy(detail, why, sizeof why);
    snprintf(why, sizeof why, "stored service map unreadable: %.400s (run "
             "`stella trust sync` to fetch it again)", detail);
  } else if (have_root == 0 && have_config == 0)
    snprintf(why, sizeof why, "no service map yet (run `stella trust sync`)");
  else if (have_root == 0 || have_config == 0)
    snprintf(why, sizeof why, "service map incomplete: %s missing (run "
             "`stella trust sync`)", have_root ? "signing_config"
                                               : TRUST_TRUSTED_ROOT);
  if (*why && !(s->service_map_error = strdup(why))) {
    servicemap_clear(&sm);
    return STELLA_E_NOMEM;
  }
  s->endpoints = sm.endpoints;
  s->n_endpoints = sm.n_endpoints;
  s->keys = sm.keys;
  s->n_keys = sm.n_keys;
  return STELLA_OK;
}

stella_err stella_trust_status(stella_trust *t, stella_status **out) {
  char *url = NULL;
  *out = NULL;
  t->errmsg[0] = '\0';
  stella_err e = trust_attach(t, 0);
  if (e)
    return e;
  stella_status *s = calloc(1, sizeof *s);
  if (!s)
    return trust_fail(t, STELLA_E_NOMEM, "status: %s",
                      stella_strerror(STELLA_E_NOMEM));
  e = store_get_setting(t->store, "tuf_url", &url);
  if (e == STELLA_E_NOT_FOUND || (!e && !trust_has_root(t)))
    e = trust_fail(t, STELLA_E_NOT_INITIALIZED, "no trust is set up in %s "
                   "(%s)", t->home, trust_hint(STELLA_E_NOT_INITIALIZED));
  else if (e)
    trust_fail(t, e, "%s (%s)", store_errmsg(t->store), trust_hint(e));
  if (!e) {
    snprintf(s->tuf_url, sizeof s->tuf_url, "%s", url);
    s->now = trust_now(t);
    for (int i = 0; i < 4; i++)
      trust_role_status(t, s->now, trust_roles[i], &s->roles[i]);
    store_last_good_sync(t->store, &s->last_sync);
    /* Never synced: the metadata age is unknown, which is as bad as old. */
    s->alert = s->last_sync ? stella_alert_for_age(s->now - s->last_sync)
                            : STELLA_ALERT_CRITICAL;
    e = trust_load_service_map(t, s);
  }
  free(url);
  if (e) {
    stella_status_free(s);
    return e;
  }
  *out = s;
  return STELLA_OK;
}

void stella_status_free(stella_status *s) {
  if (!s)
    return;
  servicemap_free_endpoints(s->endpoints, s->n_endpoints);
  servicemap_free_keys(s->keys, s->n_keys);
  free(s->service_map_error);
  free(s);
}
