/* bundle.c - trust bundles for air-gapped sites: export the verified state
 * of a client into a tar.zst, and import one by re-running the full TUF
 * client over its files (served from memory) into a side folder that is
 * swapped in only when everything verified. A state folder without trust
 * yet is verified into outside it and created only then. Layout:
 * bundle.h. */
#include "bundle.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "crypto.h"
#include "fetch.h"
#include "fsutil.h"
#include "json.h"
#include "servicemap.h"
#include "statedir.h"
#include "store.h"
#include "trust_internal.h"
#include "tuf.h"
#include "url.h"

#define BUNDLE_ERRLEN 1024
#define BUNDLE_ROOT_MAX 512000
#define BUNDLE_FILE_MODE 0644
#define BUNDLE_DIR_MODE 0700


/* Paths of one state folder. */
typedef struct bundle_home {
  char *home, *tuf_dir, *meta_dir, *targets_dir, *history_dir, *lock_path;
} bundle_home;

static stella_err bundle_fail(stella_trust *t, stella_err e, const char *fmt,
                              ...) __attribute__((format(printf, 3, 4)));

static stella_err bundle_fail(stella_trust *t, stella_err e, const char *fmt,
                              ...) {
  char msg[BUNDLE_ERRLEN];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return trust_set_errmsg(t, e, msg);
}

static void bundle_home_free(bundle_home *h) {
  free(h->home);
  free(h->tuf_dir);
  free(h->meta_dir);
  free(h->targets_dir);
  free(h->history_dir);
  free(h->lock_path);
}

static stella_err bundle_home_paths(stella_trust *t, bundle_home *h) {
  memset(h, 0, sizeof *h);
  h->home = strdup(stella_trust_home(t));
  h->tuf_dir = fs_join(h->home ? h->home : "", "tuf");
  h->meta_dir = fs_join(h->home ? h->home : "", "tuf/metadata");
  h->targets_dir = fs_join(h->home ? h->home : "", "tuf/targets");
  h->history_dir =
      fs_join(h->home ? h->home : "", "tuf/" STATEDIR_ROOT_HISTORY);
  h->lock_path = fs_join(h->home ? h->home : "", ".sync.lock");
  if (!h->home || !h->tuf_dir || !h->meta_dir || !h->targets_dir ||
      !h->history_dir || !h->lock_path)
    return STELLA_E_NOMEM;
  return STELLA_OK;
}

/* The folder's lock: exclusive for an import, shared for an export (which
 * only reads). Returns the fd, or -1 (message set). */
static int bundle_lock(stella_trust *t, const bundle_home *h, int shared) {
  int fd = shared ? statedir_lock_shared(h->lock_path)
                  : statedir_lock(h->lock_path);
  int err = errno;
  if (fd < 0 && (err == EWOULDBLOCK || err == EAGAIN))
    bundle_fail(t, STELLA_E_IO, "a sync or import is running on %s (wait "
                "for it to finish, then retry)", h->home);
  else if (fd < 0)
    bundle_fail(t, STELLA_E_IO, "opening %s: %s (check the permissions of "
                "the state folder)", h->lock_path, strerror(err));
  errno = err;
  return fd;
}

/* ---- Export -------------------------------------------------------------- */

/* Reads dir/name into the bundle as prefix + name. */
static stella_err bundle_add_file(bundle *b, const char *dir,
                                  const char *name, const char *prefix) {
  sbuf data = SBUF_INIT, entry = SBUF_INIT;
  char *path = fs_join(dir, name);
  stella_err e = path ? fs_read_file(path, BUNDLE_ENTRY_MAX, &data)
                      : STELLA_E_NOMEM;
  free(path);
  if (!e && !data.data)
    e = sbuf_append(&data, "", 0); /* an empty file still gets a buffer */
  if (!e)
    e = sbuf_printf(&entry, "%s%s", prefix, name);
  if (e) {
    sbuf_free(&data);
    sbuf_free(&entry);
    return e;
  }
  size_t len = 0;
  char *bytes = sbuf_take(&data, &len);
  return bundle_add(b, sbuf_take(&entry, NULL), bytes, len);
}

static int bundle_is_regular(const char *dir, const char *name) {
  struct stat st;
  char *path = fs_join(dir, name);
  int ok = path && lstat(path, &st) == 0 && S_ISREG(st.st_mode);
  free(path);
  return ok;
}

static int bundle_cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Regular, non-hidden *.json files of dir (sorted), except skip. */
static stella_err bundle_list_json(const char *dir, const char *skip,
                                   char ***out, size_t *n) {
  DIR *d = opendir(dir);
  struct dirent *de;
  size_t cap = 0;
  *out = NULL;
  *n = 0;
  if (!d)
    return errno == ENOENT ? STELLA_OK : STELLA_E_IO;
  stella_err e = STELLA_OK;
  while (!e && (de = readdir(d))) {
    size_t len = strlen(de->d_name);
    if (de->d_name[0] == '.' || len < 6 ||
        strcmp(de->d_name + len - 5, ".json") != 0 ||
        (skip && strcmp(de->d_name, skip) == 0) ||
        !bundle_is_regular(dir, de->d_name))
      continue;
    if (*n == cap) {
      cap = cap ? 2 * cap : 16;
      char **grown = realloc(*out, cap * sizeof *grown);
      if (!grown) {
        e = STELLA_E_NOMEM;
        break;
      }
      *out = grown;
    }
    if (!((*out)[*n] = strdup(de->d_name)))
      e = STELLA_E_NOMEM;
    else
      (*n)++;
  }
  closedir(d);
  if (!e && *n > BUNDLE_FILES_MAX)
    e = STELLA_E_LIMIT;
  if (!e && *n)
    qsort(*out, *n, sizeof **out, bundle_cmp_str);
  return e;
}

static void bundle_free_list(char **names, size_t n) {
  for (size_t i = 0; i < n; i++)
    free(names[i]);
  free(names);
}

/* The root chain: the current root, and with chain every older one the
 * history holds without a gap. */
static stella_err bundle_collect_roots(stella_trust *t, const bundle_home *h,
                                       int chain, bundle *b) {
  sbuf cur = SBUF_INIT;
  char *path = fs_join(h->meta_dir, "root.json");
  int64_t version = 0, first;
  char name[64];
  stella_err e = path ? fs_read_file(path, BUNDLE_ROOT_MAX, &cur)
                      : STELLA_E_NOMEM;
  free(path);
  if (e == STELLA_E_NOT_FOUND)
    return bundle_fail(t, STELLA_E_NOT_INITIALIZED, "no trust is set up in "
                       "%s (run `stella trust init` and `stella trust sync` "
                       "first)", h->home);
  if (!e && (e = statedir_root_version(cur.data, cur.len, &version)))
    bundle_fail(t, e, "reading the trusted root in %s: %s (initialize trust "
                "again with a good root)", h->meta_dir, stella_strerror(e));
  for (first = version; !e && chain && first > 1; first--) {
    snprintf(name, sizeof name, "%lld.root.json", (long long)(first - 1));
    if (!bundle_is_regular(h->history_dir, name))
      break;
  }
  for (int64_t v = first; !e && v < version; v++) {
    snprintf(name, sizeof name, "%lld.root.json", (long long)v);
    e = bundle_add_file(b, h->history_dir, name, "roots/");
  }
  if (e) {
    sbuf_free(&cur);
    return *stella_trust_errmsg(t) ? e : bundle_fail(t, e, "reading the root "
               "history in %s: %s", h->history_dir, stella_strerror(e));
  }
  snprintf(name, sizeof name, "roots/%lld.root.json", (long long)version);
  char *entry = strdup(name);
  size_t len = 0;
  char *bytes = sbuf_take(&cur, &len);
  if (!entry || !bytes) {
    free(entry);
    free(bytes);
    return bundle_fail(t, STELLA_E_NOMEM, "out of memory");
  }
  return bundle_add(b, entry, bytes, len);
}

/* Metadata other than root, and the service map. */
static stella_err bundle_collect_state(stella_trust *t, const bundle_home *h,
                                       bundle *b) {
  static const char *const need[3] = {"timestamp.json", "snapshot.json",
                                      "targets.json"};
  char **names = NULL;
  size_t n = 0;
  stella_err e = bundle_list_json(h->meta_dir, "root.json", &names, &n);
  for (size_t i = 0; !e && i < n; i++)
    e = bundle_add_file(b, h->meta_dir, names[i], "metadata/");
  bundle_free_list(names, n);
  for (int i = 0; !e && i < 3; i++) {
    char entry[64];
    snprintf(entry, sizeof entry, "metadata/%s", need[i]);
    if (!bundle_find(b, entry))
      return bundle_fail(t, STELLA_E_NOT_INITIALIZED, "%s has no %s yet: "
                         "nothing verified to export (run `stella trust "
                         "sync` first)", h->home, need[i]);
  }
  int configs = 0;
  for (int i = 0; !e && i < 3; i++) {
    const char *name = i == 0 ? TRUST_TRUSTED_ROOT
                              : trust_signing_configs[i - 1];
    if (!bundle_is_regular(h->targets_dir, name))
      continue;
    e = bundle_add_file(b, h->targets_dir, name, "targets/");
    configs += i > 0;
    if (!e && i == 0)
      configs += 10;
  }
  /* stella's signing keys travel too when the repository has them. */
  if (!e && bundle_is_regular(h->targets_dir, TRUST_SIGNING_KEYS))
    e = bundle_add_file(b, h->targets_dir, TRUST_SIGNING_KEYS, "targets/");
  if (!e && configs < 11)
    return bundle_fail(t, STELLA_E_NOT_INITIALIZED, "%s has no complete "
                       "service map yet (run `stella trust sync` first)",
                       h->home);
  if (e)
    return bundle_fail(t, e, "reading the trusted state in %s: %s (check "
                       "the folder's permissions)", h->tuf_dir,
                       stella_strerror(e));
  return STELLA_OK;
}

static stella_err bundle_manifest_text(stella_trust *t, const bundle *b,
                                       int chain, char **out) {
  char when[32], *url = NULL;
  stella_time_format(trust_clock(t)->now(trust_clock(t)->ctx), when,
                     sizeof when);
  store_get_setting(trust_store(t), "tuf_url", &url);
  bundle_manifest_entry *entries = calloc(b->n ? b->n : 1, sizeof *entries);
  stella_err e = entries ? STELLA_OK : STELLA_E_NOMEM;
  for (size_t i = 0; !e && i < b->n; i++) {
    uint8_t digest[32];
    crypto_sha256(b->files[i].data, b->files[i].len, digest);
    hex_encode(digest, sizeof digest, entries[i].sha256);
    entries[i].path = b->files[i].name;
    entries[i].size = b->files[i].len;
  }
  if (!e)
    e = bundle_manifest_write(entries, b->n, when, url ? url : "", chain,
                              out);
  free(entries);
  free(url);
  return e;
}

static int bundle_write_entry(struct archive *a, const char *name,
                              const char *data, size_t len, int64_t mtime) {
  struct archive_entry *entry = archive_entry_new();
  if (!entry)
    return ARCHIVE_FATAL;
  archive_entry_set_pathname(entry, name);
  archive_entry_set_filetype(entry, AE_IFREG);
  archive_entry_set_perm(entry, BUNDLE_FILE_MODE);
  archive_entry_set_size(entry, (la_int64_t)len);
  archive_entry_set_mtime(entry, (time_t)mtime, 0);
  int rc = archive_write_header(a, entry);
  if (rc == ARCHIVE_OK && len &&
      archive_write_data(a, data, len) != (la_ssize_t)len)
    rc = ARCHIVE_FATAL;
  archive_entry_free(entry);
  return rc;
}

/* Writes manifest + files as a zstd tar to fd. */
static stella_err bundle_write_archive(int fd, const bundle *b,
                                       const char *manifest, int64_t mtime,
                                       char *why, size_t whylen) {
  struct archive *a = archive_write_new();
  if (!a)
    return STELLA_E_NOMEM;
  int rc = archive_write_add_filter_zstd(a);
  if (rc == ARCHIVE_OK)
    rc = archive_write_set_format_pax_restricted(a);
  if (rc == ARCHIVE_OK)
    rc = archive_write_open_fd(a, fd);
  if (rc == ARCHIVE_OK)
    rc = bundle_write_entry(a, BUNDLE_MANIFEST, manifest,
                            strlen(manifest), mtime);
  for (size_t i = 0; rc == ARCHIVE_OK && i < b->n; i++)
    rc = bundle_write_entry(a, b->files[i].name, b->files[i].data,
                            b->files[i].len, mtime);
  if (rc == ARCHIVE_OK)
    rc = archive_write_close(a);
  if (rc != ARCHIVE_OK)
    snprintf(why, whylen, "%s", archive_error_string(a)
                                    ? archive_error_string(a)
                                    : "libarchive failed");
  archive_write_free(a);
  return rc == ARCHIVE_OK ? STELLA_OK : STELLA_E_IO;
}

/* 1 if the folder of path, resolved, is home (absolute) or inside it. */
static int bundle_inside(const char *home, const char *path) {
  char parent[PATH_MAX], dir[PATH_MAX];
  const char *slash = strrchr(path, '/');
  size_t len = slash ? (size_t)(slash - path) : 0, n = strlen(home);
  if (len >= sizeof parent)
    return 0; /* too long to be written anyway */
  memcpy(parent, path, len);
  parent[len] = '\0';
  if (!realpath(!slash ? "." : len ? parent : "/", dir))
    return 0;
  return strcmp(home, "/") == 0 ||
         (strncmp(dir, home, n) == 0 && (!dir[n] || dir[n] == '/'));
}

/* The bundle is renamed over out_file: that must not replace a device, a
 * FIFO, a link or a folder, nor a file of the state folder itself. A
 * regular file is replaced (documented for --out). */
static stella_err bundle_check_out(stella_trust *t, const char *home,
                                   const char *out_file) {
  struct stat st;
  char why[512];
  int there = lstat(out_file, &st) == 0;
  if (there && S_ISLNK(st.st_mode))
    snprintf(why, sizeof why, "%s is a symbolic link: it must be a regular "
             "file", out_file);
  else if (there && !S_ISREG(st.st_mode))
    fs_read_why(out_file, STELLA_E_IO, 0, why, sizeof why);
  else if (bundle_inside(home, out_file))
    snprintf(why, sizeof why, "%s is inside the state folder %s", out_file,
             home);
  else
    return STELLA_OK;
  return bundle_fail(t, STELLA_E_INVALID_ARG, "--out %s (the bundle replaces "
                     "FILE: give a new file or a bundle written before, "
                     "outside the state folder)", why);
}

/* Temp file next to out_file, then rename: never a half-written bundle. */
static stella_err bundle_write_out(stella_trust *t, const char *out_file,
                                   const bundle *b, const char *manifest) {
  char why[256] = "";
  const char *slash = strrchr(out_file, '/');
  sbuf tmp = SBUF_INIT;
  stella_err e = slash ? sbuf_printf(&tmp, "%.*s/.%s.tmp-XXXXXX",
                                     (int)(slash - out_file), out_file,
                                     slash + 1)
                       : sbuf_printf(&tmp, ".%s.tmp-XXXXXX", out_file);
  if (e)
    return bundle_fail(t, e, "out of memory");
  int fd = mkstemp(tmp.data);
  if (fd < 0) {
    e = bundle_fail(t, STELLA_E_IO, "creating %s: %s (check that its folder "
                    "exists and is writable)", out_file, strerror(errno));
    sbuf_free(&tmp);
    return e;
  }
  int64_t now = trust_clock(t)->now(trust_clock(t)->ctx);
  e = bundle_write_archive(fd, b, manifest, now, why, sizeof why);
  if (!e && (fsync(fd) != 0 || fchmod(fd, BUNDLE_FILE_MODE) != 0)) {
    snprintf(why, sizeof why, "%s", strerror(errno));
    e = STELLA_E_IO;
  }
  if (close(fd) != 0 && !e) {
    snprintf(why, sizeof why, "%s", strerror(errno));
    e = STELLA_E_IO;
  }
  if (!e && rename(tmp.data, out_file) != 0) {
    snprintf(why, sizeof why, "%s", strerror(errno));
    e = STELLA_E_IO;
  }
  if (e) {
    unlink(tmp.data);
    bundle_fail(t, e, "writing %s: %s (check free space and permissions)",
                out_file, why);
  }
  sbuf_free(&tmp);
  return e;
}

static void bundle_fill_versions(const char *meta_dir,
                                 stella_bundle_info *info) {
  tuf_role_info(meta_dir, "timestamp", &info->timestamp, NULL);
  tuf_role_info(meta_dir, "snapshot", &info->snapshot, NULL);
  tuf_role_info(meta_dir, "targets", &info->targets, NULL);
}

/* An export only reads, under the shared lock. A lock file it cannot
 * create (a read-only folder) does not stop it: a sync writing meanwhile
 * could at worst make a bundle whose files do not match each other, which
 * the TUF checks of every import refuse. *lock is -1 then. */
static stella_err bundle_export_lock(stella_trust *t, const bundle_home *h,
                                     int *lock) {
  *lock = bundle_lock(t, h, 1);
  if (*lock < 0 && (errno == EACCES || errno == EROFS)) {
    trust_set_errmsg(t, STELLA_OK, "");
    return STELLA_OK;
  }
  return *lock >= 0 ? STELLA_OK : STELLA_E_IO;
}

stella_err stella_trust_snapshot_export(stella_trust *t, const char *out_file,
                                        int include_root_chain,
                                        stella_bundle_info *info) {
  bundle b = {0};
  bundle_home h = {0};
  char *manifest = NULL;
  if (!t)
    return STELLA_E_INVALID_ARG;
  trust_set_errmsg(t, STELLA_OK, "");
  if (!out_file || !*out_file)
    return bundle_fail(t, STELLA_E_INVALID_ARG, "no output file given (pass "
                       "--out FILE.tar.zst)");
  stella_err e = trust_attach(t, 0);
  int lock = -1;
  if (!e && (e = bundle_home_paths(t, &h)))
    bundle_fail(t, e, "out of memory");
  if (!e)
    e = bundle_check_out(t, h.home, out_file);
  if (!e)
    e = bundle_export_lock(t, &h, &lock);
  if (!e)
    e = bundle_collect_roots(t, &h, include_root_chain, &b);
  if (!e)
    e = bundle_collect_state(t, &h, &b);
  if (!e && (e = bundle_manifest_text(t, &b, include_root_chain, &manifest)))
    bundle_fail(t, e, "building the manifest: out of memory");
  if (!e)
    e = bundle_write_out(t, out_file, &b, manifest);
  if (!e && info) {
    memset(info, 0, sizeof *info);
    info->root_first = bundle_root_file_version(b.files[0].name + 6);
    bundle_fill_versions(h.meta_dir, info);
    tuf_role_info(h.meta_dir, "root", &info->root_last, NULL);
    info->exported_at = trust_clock(t)->now(trust_clock(t)->ctx);
    info->n_files = b.n;
  }
  if (lock >= 0)
    close(lock);
  free(manifest);
  bundle_free(&b);
  bundle_home_free(&h);
  return e;
}

/* ---- Reading a bundle ------------------------------------------------------ */

static stella_err bundle_read(stella_trust *t, const char *path, bundle *b) {
  char why[512] = "";
  stella_err e = bundle_read_path(path, b, why, sizeof why);
  if (e == STELLA_E_NOT_FOUND || e == STELLA_E_IO)
    return bundle_fail(t, e, "opening bundle %s: %s (check the path)", path,
                       why);
  if (e)
    return bundle_fail(t, e, "reading bundle %s: %s (not a trust bundle, or "
                       "damaged: export it again)", path, why);
  return STELLA_OK;
}

static stella_err bundle_check(stella_trust *t, const char *path, bundle *b,
                               stella_bundle_info *info) {
  char why[512] = "";
  const char *url = NULL;
  stella_err e = bundle_check_manifest(b, &info->exported_at, &url, why,
                                       sizeof why);
  if (!e)
    e = bundle_index_roots(b, why, sizeof why);
  if (e)
    return bundle_fail(t, e, "bundle %s: %s (damaged or tampered with: "
                       "export it again)", path, why);
  snprintf(info->tuf_url, sizeof info->tuf_url, "%s", url);
  info->n_files = b->n - 1;
  return STELLA_OK;
}

/* ---- The in-memory fetcher ------------------------------------------------- */

/* Maps a URL the TUF client asks for to a bundle file name: N.root.json ->
 * roots/, VERSION.NAME.json -> metadata/NAME.json (consistent snapshots;
 * the client checks the version), HASH.NAME -> targets/NAME. */
static int bundle_url_to_name(const char *url, char *out, size_t outlen) {
  size_t ml = strlen(BUNDLE_METADATA_URL), tl = strlen(BUNDLE_TARGETS_URL);
  if (strncmp(url, BUNDLE_METADATA_URL, ml) == 0) {
    const char *name = url + ml, *rest = name + strspn(name, "0123456789");
    if (bundle_root_file_version(name) > 0)
      return snprintf(out, outlen, "roots/%s", name) < (int)outlen;
    if (rest != name && *rest == '.')
      name = rest + 1;
    return snprintf(out, outlen, "metadata/%s", name) < (int)outlen;
  }
  if (strncmp(url, BUNDLE_TARGETS_URL, tl) == 0) {
    const char *name = url + tl, *rest = name + strspn(name, "0123456789abcdef");
    if ((rest - name == 64 || rest - name == 128) && *rest == '.')
      name = rest + 1;
    return snprintf(out, outlen, "targets/%s", name) < (int)outlen;
  }
  return 0;
}

static stella_err bundle_fetch_get(stella_fetcher *f, const char *url,
                                   size_t max_bytes, sbuf *body,
                                   long *http_status, char *errbuf,
                                   size_t errlen) {
  const bundle *b = f->ctx;
  char name[512];
  const bundle_file *file =
      bundle_url_to_name(url, name, sizeof name) ? bundle_find(b, name) : NULL;
  if (http_status)
    *http_status = file ? 200 : 404;
  if (!file) {
    if (errbuf && errlen)
      snprintf(errbuf, errlen, "the bundle has no %s", url);
    return STELLA_E_NOT_FOUND;
  }
  if (max_bytes && file->len > max_bytes) {
    if (errbuf && errlen)
      snprintf(errbuf, errlen, "%s is over its %zu-byte cap", name,
               max_bytes);
    return STELLA_E_TOO_LARGE;
  }
  return sbuf_append(body, file->data, file->len);
}

static void bundle_fetch_free(stella_fetcher *f) { (void)f; }

/* ---- Import: verify aside, swap in ------------------------------------------ */

typedef struct bundle_import {
  stella_trust *t;
  const stella_import_opts *opts;
  bundle_home h;
  bundle b;
  int lock;            /* the folder's lock, -1 while the folder has none */
  int64_t local_root;  /* 0: no trust yet */
  int url_needed;      /* the folder has no repository URL: tuf_url it is */
  char tuf_url[1024];  /* the bundle's, checked and without trailing '/' */
  /* The future HOME/tuf: HOME/.tuf.import-XXXXXX, or for a folder without
   * a stella.db, TMPDIR/stella-import-XXXXXX until the bundle verified. */
  char *stage;
  char *stage_meta, *stage_targets, *stage_history;
  stella_fetcher fetcher; /* serves the bundle's files to client */
  tuf_client *client;  /* after bundle_verify: what it accepted as stale */
  stella_bundle_info *info;
} bundle_import;

static void bundle_note(const bundle_import *im, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void bundle_note(const bundle_import *im, const char *fmt, ...) {
  char line[BUNDLE_ERRLEN];
  va_list ap;
  if (!im->opts->note)
    return;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  im->opts->note(im->opts->note_ctx, line);
}

static const bundle_file *bundle_root(const bundle *b, int64_t version) {
  char name[64];
  snprintf(name, sizeof name, "roots/%lld.root.json", (long long)version);
  return bundle_find(b, name);
}

/* What the bundle can be applied to: not older than our root, a gapless
 * chain from it, and the anchor question for a folder without trust. */
static stella_err bundle_check_chain(bundle_import *im) {
  bundle *b = &im->b;
  int64_t first = b->roots[0], last = b->roots[b->n_roots - 1];
  int64_t from = im->local_root ? im->local_root : first;
  im->info->root_first = first;
  im->info->root_last = last;
  im->info->root_before = im->local_root;
  if (last < im->local_root)
    return bundle_fail(im->t, STELLA_E_ROLLBACK, "the bundle's newest root "
                       "v%lld is older than the trusted root v%lld: rollback "
                       "refused (export a current bundle)", (long long)last,
                       (long long)im->local_root);
  for (int64_t v = from + 1; v <= last; v++)
    if (!bundle_root(b, v))
      return bundle_fail(im->t, STELLA_E_NOT_FOUND, "the bundle lacks root "
                         "v%lld, needed to go from trusted root v%lld to "
                         "v%lld (export it with --include-root)",
                         (long long)v, (long long)from, (long long)last);
  return STELLA_OK;
}

/* No local trust: the bundle's first root becomes the anchor, only with
 * force, and only after saying so with its hash. */
static stella_err bundle_check_anchor(bundle_import *im) {
  const bundle_file *anchor = bundle_root(&im->b, im->b.roots[0]);
  char why[512] = "";
  uint8_t digest[32];
  int64_t version = 0;
  crypto_sha256(anchor->data, anchor->len, digest);
  hex_encode(digest, sizeof digest, im->info->anchor_sha256);
  stella_err e = tuf_check_root_bytes(anchor->data, anchor->len, why,
                                      sizeof why);
  if (!e && (statedir_root_version(anchor->data, anchor->len, &version) ||
             version != im->b.roots[0])) {
    snprintf(why, sizeof why, "roots/%lld.root.json says version %lld",
             (long long)im->b.roots[0], (long long)version);
    e = STELLA_E_VERSION;
  }
  if (e)
    return bundle_fail(im->t, e, "the bundle's first root v%lld: %s (do not "
                       "use this bundle)", (long long)im->b.roots[0], why);
  if (!im->opts->force)
    return bundle_fail(im->t, STELLA_E_NOT_INITIALIZED, "no trust is set up "
                       "in %s: the bundle's own root v%lld (SHA-256 %s) would "
                       "become the trust anchor (compare that hash out of "
                       "band with the repository's root, then pass --force; "
                       "or `stella trust init` with a root you got out of "
                       "band first)", im->h.home, (long long)im->b.roots[0],
                       im->info->anchor_sha256);
  im->info->anchor_from_bundle = 1;
  bundle_note(im, "WARNING: no local trust: the trust anchor is root v%lld "
              "FROM THE BUNDLE ITSELF, SHA-256 %s; compare it out of band "
              "with the repository's published root", (long long)version,
              im->info->anchor_sha256);
  return STELLA_OK;
}

/* Copies the regular files of src into dst (both exist). */
static stella_err bundle_copy_dir(const char *src, const char *dst) {
  DIR *d = opendir(src);
  struct dirent *de;
  stella_err e = STELLA_OK;
  if (!d)
    return errno == ENOENT ? STELLA_OK : STELLA_E_IO;
  while (!e && (de = readdir(d))) {
    if (de->d_name[0] == '.' || !bundle_is_regular(src, de->d_name))
      continue;
    sbuf data = SBUF_INIT;
    char *from = fs_join(src, de->d_name), *to = fs_join(dst, de->d_name);
    e = from && to ? fs_read_file(from, 64u << 20, &data) : STELLA_E_NOMEM;
    if (!e)
      e = fs_write_atomic(to, data.data ? data.data : "", data.len,
                          BUNDLE_FILE_MODE);
    sbuf_free(&data);
    free(from);
    free(to);
  }
  closedir(d);
  return e;
}

/* A new side folder parent/NAME-XXXXXX with metadata/, targets/ and
 * root-history/ in im->stage and its parts (which must be NULL). */
static stella_err bundle_stage_dirs(bundle_import *im, const char *parent,
                                    const char *name) {
  im->stage = fs_join(parent, name);
  if (!im->stage)
    return STELLA_E_NOMEM;
  if (!mkdtemp(im->stage)) {
    free(im->stage);
    im->stage = NULL;
    return STELLA_E_IO;
  }
  im->stage_meta = fs_join(im->stage, "metadata");
  im->stage_targets = fs_join(im->stage, "targets");
  im->stage_history = fs_join(im->stage, STATEDIR_ROOT_HISTORY);
  if (!im->stage_meta || !im->stage_targets || !im->stage_history)
    return STELLA_E_NOMEM;
  stella_err e = fs_mkdirs(im->stage_meta, BUNDLE_DIR_MODE);
  if (!e)
    e = fs_mkdirs(im->stage_targets, BUNDLE_DIR_MODE);
  if (!e)
    e = fs_mkdirs(im->stage_history, BUNDLE_DIR_MODE);
  return e;
}

/* A folder without a stella.db is verified into outside it, so a refused
 * bundle leaves nothing there. */
static const char *bundle_tmp_dir(void) {
  const char *dir = getenv("TMPDIR");
  return dir && *dir ? dir : "/tmp";
}

/* The side folder: today's trusted metadata and root history (or just the
 * anchor), an empty targets folder for the verified service map. */
static stella_err bundle_stage(bundle_import *im) {
  stella_err e = im->lock >= 0
      ? bundle_stage_dirs(im, im->h.home, ".tuf.import-XXXXXX")
      : bundle_stage_dirs(im, bundle_tmp_dir(), "stella-import-XXXXXX");
  if (!e && im->local_root) {
    e = bundle_copy_dir(im->h.meta_dir, im->stage_meta);
    if (!e)
      e = bundle_copy_dir(im->h.history_dir, im->stage_history);
    return e;
  }
  const bundle_file *anchor = bundle_root(&im->b, im->b.roots[0]);
  char *path = e ? NULL : fs_join(im->stage_meta, "root.json");
  if (!e && !path)
    e = STELLA_E_NOMEM;
  if (!e)
    e = fs_write_atomic(path, anchor->data, anchor->len, BUNDLE_FILE_MODE);
  if (!e)
    e = statedir_history_add(im->stage, im->b.roots[0], anchor->data,
                             anchor->len);
  free(path);
  return e;
}

/* Each service-map file of the bundle, against the targets metadata
 * (length and hashes), written into the side folder. */
static stella_err bundle_verify_service_map(bundle_import *im,
                                            tuf_client *c) {
  int have_root = 0, have_config = 0;
  for (size_t i = 0; i < im->b.n; i++) {
    const char *name = im->b.files[i].name;
    if (strncmp(name, "targets/", 8) != 0)
      continue;
    name += 8;
    if (!trust_is_service_file(name))
      return bundle_fail(im->t, STELLA_E_FORMAT, "the bundle carries target "
                         "'%s', which is not part of the service map "
                         "(refused: export it again)", name);
    sbuf content = SBUF_INIT;
    char why[512] = "";
    int unreadable = 0;
    char *dest = fs_join(im->stage_targets, name);
    stella_err e = dest ? trust_fetch_service_file(c, name, dest, &content,
                                                   &unreadable, why,
                                                   sizeof why)
                        : STELLA_E_NOMEM;
    sbuf_free(&content);
    free(dest);
    if (e)
      return bundle_fail(im->t, e, "verifying service map file %s from the "
                         "bundle: %s (do not use this bundle)", name,
                         *why ? why : stella_strerror(e));
    have_root |= strcmp(name, TRUST_TRUSTED_ROOT) == 0;
    have_config |= strcmp(name, trust_signing_configs[0]) == 0 ||
                   strcmp(name, trust_signing_configs[1]) == 0;
  }
  if (!have_root || !have_config)
    return bundle_fail(im->t, STELLA_E_NOT_FOUND, "the bundle has no "
                       "complete service map (%s missing; export it from a "
                       "synced client)", have_root ? "signing_config"
                                                   : TRUST_TRUSTED_ROOT);
  return STELLA_OK;
}

/* 5.3-5.6 over the bundle's files, into the side folder. */
static stella_err bundle_verify(bundle_import *im) {
  char why[512] = "";
  /* In im: it must live as long as the client. */
  im->fetcher = (stella_fetcher){.get = bundle_fetch_get,
                                 .free = bundle_fetch_free, .ctx = &im->b};
  tuf_client *c = NULL;
  tuf_config cfg = {
    .metadata_dir = im->stage_meta,
    .metadata_url = BUNDLE_METADATA_URL,
    .targets_url = BUNDLE_TARGETS_URL,
    .clock = trust_clock(im->t),
    .fetcher = &im->fetcher,
    .allow_stale_seconds = im->opts->allow_stale ? im->opts->max_stale_age
                                                 : 0,
    .root_accepted = statedir_root_accepted,
    .root_accepted_ctx = im->stage,
  };
  stella_err e = tuf_client_new(&cfg, &c, why, sizeof why);
  if (e)
    return bundle_fail(im->t, e, "loading the trusted root: %s", why);
  im->client = c; /* kept for its stale list */
  e = tuf_refresh(c);
  if (e)
    bundle_fail(im->t, e, "verifying the bundle: %s", tuf_client_errmsg(c));
  int64_t root = 0;
  if (!e && (tuf_role_info(im->stage_meta, "root", &root, NULL) ||
             root != im->b.roots[im->b.n_roots - 1]))
    e = bundle_fail(im->t, STELLA_E_VERSION, "verifying the bundle: the root "
                    "chain stopped at v%lld, before the bundle's v%lld (do "
                    "not use this bundle)", (long long)root,
                    (long long)im->b.roots[im->b.n_roots - 1]);
  if (!e)
    e = bundle_verify_service_map(im, c);
  return e;
}

/* The bundle's URL is stored only in a folder that has none, so only then
 * does it matter; it must pass init's check then: the manifest is not
 * signed, and the URL is stored, shown and fetched. */
static stella_err bundle_check_url(bundle_import *im, const char *file) {
  store *s = trust_store(im->t);
  char *stored = NULL, shown[84];
  stella_err e = s ? store_get_setting(s, "tuf_url", &stored)
                   : STELLA_E_NOT_FOUND;
  free(stored);
  if (e != STELLA_E_NOT_FOUND)
    return e ? bundle_fail(im->t, e, "reading the repository URL: %s (check "
                           "the state folder)", store_errmsg(s))
             : STELLA_OK;
  const char *problem = trust_url_problem(im->info->tuf_url, im->tuf_url,
                                          sizeof im->tuf_url);
  if (!problem) {
    im->url_needed = 1;
    return STELLA_OK;
  }
  url_shown(im->info->tuf_url, shown, sizeof shown);
  return bundle_fail(im->t, STELLA_E_FORMAT, "bundle %s: its repository URL "
                     "'%s' cannot be used: %s (nothing changed; export it "
                     "again from a client whose `trust status` shows the "
                     "right URL, or `stella trust init` here first)", file,
                     shown, problem);
}

static stella_err bundle_apply_settings(bundle_import *im, const char *file) {
  store *s = trust_store(im->t);
  int64_t now = trust_clock(im->t)->now(trust_clock(im->t)->ctx);
  char *url = NULL, msg[512];
  stella_err e = store_get_setting(s, "tuf_url", &url);
  if (e == STELLA_E_NOT_FOUND)
    e = im->url_needed ? store_set_setting(s, "tuf_url", im->tuf_url)
                       : STELLA_OK;
  free(url);
  /* What this import accepted as stale replaces the stored list. */
  if (!e)
    e = trust_report_stale(im->t, im->client, im->opts->max_stale_age,
                           im->opts->note, im->opts->note_ctx, 1);
  snprintf(msg, sizeof msg, "import %s: root v%lld, timestamp v%lld, "
           "snapshot v%lld, targets v%lld", file,
           (long long)im->info->root_last, (long long)im->info->timestamp,
           (long long)im->info->snapshot, (long long)im->info->targets);
  if (!e && im->info->anchor_from_bundle)
    e = store_record(s, STORE_EVENT_INIT, now, 1, "import: anchor root "
                     "from the bundle");
  if (!e)
    e = store_record(s, STORE_EVENT_SYNC, now, 1, msg);
  if (e)
    bundle_fail(im->t, e, "the verified state is in place, but recording it "
                "failed: %s (run the import again)", store_errmsg(s));
  return e;
}

/* Side folders of imports killed midway (HOME/.tuf.import-*, and the
 * .old-* a two-rename swap leaves). Only with the lock held. */
static void bundle_sweep(const char *home) {
  DIR *d = opendir(home);
  struct dirent *de;
  while (d && (de = readdir(d))) {
    if (strncmp(de->d_name, ".tuf.import-", 12) != 0 &&
        strncmp(de->d_name, ".old-", 5) != 0)
      continue;
    char *path = fs_join(home, de->d_name);
    if (path)
      statedir_rm_tree(path);
    free(path);
  }
  if (d)
    closedir(d);
}

/* The folder's own trust, when it has a stella.db: locked for the rest of
 * the import, debris of killed imports removed, its root read. A folder
 * without one is not touched before the bundle verified (bundle_adopt). */
static stella_err bundle_open_local(bundle_import *im) {
  int64_t expires, root;
  stella_err e = trust_attach(im->t, 0);
  if (e == STELLA_E_NOT_INITIALIZED &&
      tuf_role_info(im->h.meta_dir, "root", &root, &expires) != STELLA_OK)
    return trust_set_errmsg(im->t, STELLA_OK, "");
  if (e == STELLA_E_NOT_INITIALIZED) /* a root but no stella.db: keep it */
    e = trust_attach(im->t, 1);
  if (!e && (im->lock = bundle_lock(im->t, &im->h, 0)) < 0)
    e = STELLA_E_IO;
  if (e)
    return e;
  bundle_sweep(im->h.home);
  if (tuf_role_info(im->h.meta_dir, "root", &im->local_root, &expires))
    im->local_root = 0;
  return STELLA_OK;
}

/* Copies the side folder built outside into a new one in HOME. */
static stella_err bundle_stage_move_in(bundle_import *im) {
  char *out = im->stage, *meta = im->stage_meta;
  char *targets = im->stage_targets, *history = im->stage_history;
  im->stage = im->stage_meta = im->stage_targets = im->stage_history = NULL;
  stella_err e = bundle_stage_dirs(im, im->h.home, ".tuf.import-XXXXXX");
  if (!e)
    e = bundle_copy_dir(meta, im->stage_meta);
  if (!e)
    e = bundle_copy_dir(targets, im->stage_targets);
  if (!e)
    e = bundle_copy_dir(history, im->stage_history);
  statedir_rm_tree(out);
  free(out);
  free(meta);
  free(targets);
  free(history);
  return e;
}

/* A folder without trust is made only now that the bundle verified: the
 * folder and its database, the lock, then the side folder moved in. */
static stella_err bundle_adopt(bundle_import *im) {
  int64_t root, expires;
  stella_err e = trust_attach(im->t, 1);
  if (e)
    return e;
  bundle_home_free(&im->h); /* the folder now exists: resolved again */
  if ((e = bundle_home_paths(im->t, &im->h)))
    return bundle_fail(im->t, e, "out of memory");
  if ((im->lock = bundle_lock(im->t, &im->h, 0)) < 0)
    return STELLA_E_IO;
  bundle_sweep(im->h.home);
  if (tuf_role_info(im->h.meta_dir, "root", &root, &expires) == STELLA_OK)
    return bundle_fail(im->t, STELLA_E_EXISTS, "trust was set up in %s "
                       "while the bundle was being verified: nothing changed "
                       "(run the import again)", im->h.home);
  if ((e = bundle_stage_move_in(im)))
    bundle_fail(im->t, e, "preparing %s: %s (check free space and "
                "permissions)", im->stage ? im->stage : im->h.home,
                stella_strerror(e));
  return e;
}

/* Everything that needs no side folder: the archive, its manifest and URL,
 * the root chain against the trusted root, the anchor question. */
static stella_err bundle_import_check(bundle_import *im, const char *file) {
  stella_err e = bundle_read(im->t, file, &im->b);
  if (!e)
    e = bundle_check(im->t, file, &im->b, im->info);
  if (!e)
    e = bundle_open_local(im);
  if (!e)
    e = bundle_check_url(im, file);
  if (!e)
    e = bundle_check_chain(im);
  if (!e && !im->local_root)
    e = bundle_check_anchor(im);
  return e;
}

static stella_err bundle_import_run(bundle_import *im, const char *file) {
  stella_err e = bundle_import_check(im, file);
  if (!e && (e = bundle_stage(im)))
    bundle_fail(im->t, e, "preparing %s: %s (check free space and "
                "permissions)", im->stage ? im->stage : im->h.home,
                stella_strerror(e));
  if (!e)
    e = bundle_verify(im);
  if (!e)
    bundle_fill_versions(im->stage_meta, im->info);
  if (!e && im->local_root && im->info->root_last != im->local_root &&
      !im->opts->force)
    e = bundle_fail(im->t, STELLA_E_EXISTS, "the bundle verified, but it "
                    "changes the trusted root from v%lld to v%lld: nothing "
                    "changed (pass --force to confirm the root change)",
                    (long long)im->local_root, (long long)im->info->root_last);
  if (!e && im->lock < 0)
    e = bundle_adopt(im);
  if (!e && (e = statedir_swap(im->stage, im->h.tuf_dir, im->h.home)))
    bundle_fail(im->t, e, "swapping the verified state into %s: %s (check "
                "the folder's permissions; nothing changed)", im->h.tuf_dir,
                stella_strerror(e));
  if (!e) {
    free(im->stage); /* swapped in: nothing left to clean */
    im->stage = NULL;
    e = bundle_apply_settings(im, file);
  }
  return e;
}

stella_err stella_trust_snapshot_import(stella_trust *t,
                                        const char *bundle_file,
                                        const stella_import_opts *opts,
                                        stella_bundle_info *info) {
  static const stella_import_opts defaults = {0};
  stella_bundle_info scratch;
  bundle_import im = {.t = t, .opts = opts ? opts : &defaults,
                      .info = info ? info : &scratch, .lock = -1};
  if (!t)
    return STELLA_E_INVALID_ARG;
  memset(im.info, 0, sizeof *im.info);
  trust_set_errmsg(t, STELLA_OK, "");
  if (!bundle_file || !*bundle_file)
    return bundle_fail(t, STELLA_E_INVALID_ARG, "no bundle file given");
  stella_err e = trust_check_stale_opts(t, im.opts->allow_stale,
                                        im.opts->max_stale_age);
  if (!e && (e = bundle_home_paths(t, &im.h)))
    bundle_fail(t, e, "out of memory");
  if (!e)
    e = bundle_import_run(&im, bundle_file);
  if (im.stage)
    statedir_rm_tree(im.stage);
  if (im.lock >= 0)
    close(im.lock);
  tuf_client_free(im.client);
  free(im.stage);
  free(im.stage_meta);
  free(im.stage_targets);
  free(im.stage_history);
  bundle_free(&im.b);
  bundle_home_free(&im.h);
  return e;
}
