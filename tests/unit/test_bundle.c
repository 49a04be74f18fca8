/* test_bundle.c - trust bundles (stella_trust_snapshot_export/_import) on
 * the real Sigstore snapshot read over file://: round trips into fresh and
 * initialized homes, root changes with and without force, rollback, and
 * hostile archives (tampered manifest, '..', absolute paths, links,
 * oversize, duplicates, truncation, garbage, plain tar). Every refused
 * import must leave the trusted files byte for byte as they were. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "crypto.h"
#include "sigstore_layout.h"
#include "stella/stella.h"
#include "tuf_fixture.h"

#define NOW "2026-08-22T00:00:00Z"

typedef struct fixture {
  sigstore_layout sig; /* temp folder, file:// URL, trust anchor */
  char src[128];   /* synced home: root v1 -> v15 */
  char full[128];  /* bundle with --include-root */
  char cur[128];   /* bundle with the current root only */
  int n_homes;
} fixture;

static int64_t fixed_now(void *ctx) { return *(const int64_t *)ctx; }
static int64_t now_value;
static stella_clock test_clock = {fixed_now, &now_value};

static stella_trust *open_home(const char *home) {
  stella_err e = STELLA_E_IO;
  stella_trust *t = stella_trust_open(home, &test_clock, &e);
  assert_int_equal(e, STELLA_OK);
  assert_non_null(t);
  return t;
}

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  if (!f || stella_time_parse(NOW, &now_value) ||
      sigstore_layout_make("bundle", &f->sig))
    return -1;
  snprintf(f->src, sizeof f->src, "%s/src", f->sig.dir);
  snprintf(f->full, sizeof f->full, "%s/full.tar.zst", f->sig.dir);
  snprintf(f->cur, sizeof f->cur, "%s/cur.tar.zst", f->sig.dir);
  stella_err e = STELLA_OK;
  stella_trust *t = stella_trust_open(f->src, &test_clock, &e);
  if (!t || stella_trust_init(t, f->sig.url, f->sig.root1, 0) ||
      stella_trust_sync(t, NULL) ||
      stella_trust_snapshot_export(t, f->full, 1, NULL) ||
      stella_trust_snapshot_export(t, f->cur, 0, NULL)) {
    fprintf(stderr, "setup: %s\n", t ? stella_trust_errmsg(t) : "open");
    stella_trust_free(t);
    return -1;
  }
  stella_trust_free(t);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->sig.dir);
  int rc = system(cmd);
  free(f);
  return rc == 0 ? 0 : -1;
}

/* A new, empty home path under the fixture folder. */
static void new_home(fixture *f, char *out, size_t len) {
  snprintf(out, len, "%s/home%d", f->sig.dir, ++f->n_homes);
}

static void init_home(fixture *f, const char *home) {
  stella_trust *t = open_home(home);
  assert_int_equal(stella_trust_init(t, f->sig.url, f->sig.root1, 0), STELLA_OK);
  stella_trust_free(t);
}

/* Imports as the CLI does: the folder is created only for a bundle that
 * verified. */
static stella_err import_opts(const char *home, const char *file,
                              const stella_import_opts *opts,
                              stella_bundle_info *info, char *msg,
                              size_t len) {
  stella_err e = STELLA_E_IO;
  stella_trust *t = stella_trust_open_mode(home, &test_clock,
                                           STELLA_OPEN_ON_WRITE, &e);
  assert_non_null(t);
  e = stella_trust_snapshot_import(t, file, opts, info);
  if (msg)
    snprintf(msg, len, "%s", stella_trust_errmsg(t));
  stella_trust_free(t);
  return e;
}

static stella_err import(const char *home, const char *file, int force,
                         stella_bundle_info *info, char *msg, size_t len) {
  stella_import_opts opts = {.force = force};
  return import_opts(home, file, &opts, info, msg, len);
}


/* Everything under HOME/tuf ("path\0bytes" blocks) and whether HOME holds
 * a leftover side folder: the before/after picture of trusted state. */
static void image_dir(const char *dir, const char *rel, char **img,
                      size_t *len) {
  DIR *d = opendir(dir);
  struct dirent *de;
  char *names[256];
  size_t n = 0;
  if (!d)
    return;
  while ((de = readdir(d)) && n < 256)
    if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
      names[n++] = strdup(de->d_name);
  closedir(d);
  for (size_t i = 0; i < n; i++)
    for (size_t j = i + 1; j < n; j++)
      if (strcmp(names[i], names[j]) > 0) {
        char *tmp = names[i];
        names[i] = names[j];
        names[j] = tmp;
      }
  for (size_t i = 0; i < n; i++) {
    char path[1024], sub[1024];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    snprintf(sub, sizeof sub, "%s/%s", rel, names[i]);
    size_t blen = 0;
    char *bytes = NULL;
    if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
      bytes = fx_slurp(path, &blen);
    *img = realloc(*img, *len + strlen(sub) + 2 + blen);
    memcpy(*img + *len, sub, strlen(sub) + 1);
    *len += strlen(sub) + 1;
    if (bytes)
      memcpy(*img + *len, bytes, blen);
    *len += blen;
    (*img)[(*len)++] = '\n';
    free(bytes);
    if (S_ISDIR(st.st_mode))
      image_dir(path, sub, img, len);
    free(names[i]);
  }
}

static char *home_image(const char *home, size_t *len) {
  char *img = NULL;
  *len = 0;
  image_dir(home, "", &img, len);
  /* The database and its lock are not trusted files; the WAL may move. */
  return img;
}

static char *tuf_image(const char *home, size_t *len) {
  char dir[512];
  snprintf(dir, sizeof dir, "%s/tuf", home);
  char *img = home_image(dir, len);
  DIR *d = opendir(home);
  struct dirent *de;
  while (d && (de = readdir(d)))
    assert_null(strstr(de->d_name, ".tuf.import-")); /* nothing left over */
  if (d)
    closedir(d);
  return img;
}

/* Asserts an import of file into home fails with want and changes none of
 * the trusted files. */
static void refused(const char *home, const char *file, int force,
                    stella_err want, const char *why_part) {
  size_t before_len, after_len;
  char msg[1024];
  char *before = tuf_image(home, &before_len);
  stella_err e = import(home, file, force, NULL, msg, sizeof msg);
  if (e != want || (why_part && !strstr(msg, why_part)))
    fail_msg("import %s: got %d (%s), wanted %d with '%s'", file, e, msg,
             want, why_part ? why_part : "");
  char *after = tuf_image(home, &after_len);
  assert_int_equal(before_len, after_len);
  assert_memory_equal(before, after, before_len);
  free(before);
  free(after);
}

static void assert_same_status(const char *a, const char *b) {
  stella_trust *ta = open_home(a), *tb = open_home(b);
  stella_status *sa = NULL, *sb = NULL;
  assert_int_equal(stella_trust_status(ta, &sa), STELLA_OK);
  assert_int_equal(stella_trust_status(tb, &sb), STELLA_OK);
  assert_string_equal(sa->tuf_url, sb->tuf_url);
  for (int i = 0; i < 4; i++) {
    assert_int_equal(sa->roles[i].version, sb->roles[i].version);
    assert_true(sa->roles[i].expires == sb->roles[i].expires);
    assert_int_equal(sa->roles[i].state, sb->roles[i].state);
  }
  assert_int_equal(sa->alert, sb->alert);
  assert_int_equal(sa->n_keys, sb->n_keys);
  assert_int_equal(sa->n_endpoints, sb->n_endpoints);
  for (size_t i = 0; i < sa->n_keys; i++)
    assert_string_equal(sa->keys[i].fingerprint_sha256,
                        sb->keys[i].fingerprint_sha256);
  for (size_t i = 0; i < sa->n_endpoints; i++)
    assert_string_equal(sa->endpoints[i].url, sb->endpoints[i].url);
  assert_null(sb->service_map_error);
  stella_status_free(sa);
  stella_status_free(sb);
  stella_trust_free(ta);
  stella_trust_free(tb);
}

/* ---- Building bundles by hand ------------------------------------------ */

typedef struct entry {
  const char *name;
  char *data;        /* owned */
  size_t len;
  int symlink;       /* write as a symbolic link to data */
} entry;

typedef struct draft {
  entry e[64];
  size_t n;
} draft;

static void draft_add(draft *d, const char *name, const char *data,
                      size_t len) {
  d->e[d->n].name = name;
  d->e[d->n].data = malloc(len + 1);
  memcpy(d->e[d->n].data, data, len);
  d->e[d->n].len = len;
  d->n++;
}

static void draft_add_file(draft *d, const char *name, const char *path) {
  size_t len = 0;
  char *bytes = fx_slurp(path, &len);
  assert_non_null(bytes);
  draft_add(d, name, bytes, len);
  free(bytes);
}

static void draft_free(draft *d) {
  for (size_t i = 0; i < d->n; i++)
    free(d->e[i].data);
  d->n = 0;
}

/* The source home's state, as export would bundle it (roots 1..15). */
static void draft_from_src(const fixture *f, draft *d) {
  static char names[15][32];
  char path[512];
  memset(d, 0, sizeof *d);
  for (int v = 1; v <= 15; v++) {
    snprintf(names[v - 1], sizeof names[0], "roots/%d.root.json", v);
    snprintf(path, sizeof path, "%s/tuf/root-history/%d.root.json", f->src,
             v);
    draft_add_file(d, names[v - 1], path);
  }
  static const char *const meta[3] = {"timestamp", "snapshot", "targets"};
  static const char *const entries[3] = {"metadata/timestamp.json",
    "metadata/snapshot.json", "metadata/targets.json"};
  for (int i = 0; i < 3; i++) {
    snprintf(path, sizeof path, "%s/tuf/metadata/%s.json", f->src, meta[i]);
    draft_add_file(d, entries[i], path);
  }
  snprintf(path, sizeof path, "%s/tuf/targets/trusted_root.json", f->src);
  draft_add_file(d, "targets/trusted_root.json", path);
  snprintf(path, sizeof path, "%s/tuf/targets/signing_config.v0.2.json",
           f->src);
  draft_add_file(d, "targets/signing_config.v0.2.json", path);
}

static entry *draft_find(draft *d, const char *name) {
  for (size_t i = 0; i < d->n; i++)
    if (strcmp(d->e[i].name, name) == 0)
      return &d->e[i];
  return NULL;
}

static void draft_replace(draft *d, const char *name, const char *data,
                          size_t len) {
  entry *e = draft_find(d, name);
  assert_non_null(e);
  free(e->data);
  e->data = malloc(len + 1);
  memcpy(e->data, data, len);
  e->len = len;
}

static void write_entry(struct archive *a, const entry *en) {
  struct archive_entry *ae = archive_entry_new();
  archive_entry_set_pathname(ae, en->name);
  archive_entry_set_perm(ae, 0644);
  if (en->symlink) {
    archive_entry_set_filetype(ae, AE_IFLNK);
    archive_entry_set_symlink(ae, en->data);
    archive_entry_set_size(ae, 0);
  } else {
    archive_entry_set_filetype(ae, AE_IFREG);
    archive_entry_set_size(ae, (la_int64_t)en->len);
  }
  assert_int_equal(archive_write_header(a, ae), ARCHIVE_OK);
  if (!en->symlink && en->len)
    assert_int_equal(archive_write_data(a, en->data, en->len),
                     (la_ssize_t)en->len);
  archive_entry_free(ae);
}

/* Writes d as a bundle with a manifest that matches it (an attacker can
 * always do that: the manifest is not what makes a bundle trusted), except
 * that tamper_sha makes the manifest's hash of that entry wrong. url_json:
 * the manifest's tuf_url as a JSON literal. */
static void draft_write_url(const draft *d, const char *path, int zstd,
                            const char *tamper_sha, const char *url_json) {
  char *manifest = malloc(64 * 1024);
  size_t m = 0;
  int first = 1;
  m += (size_t)sprintf(manifest + m, "{\"exported_at\": \"%s\", \"files\": [",
                       NOW);
  for (size_t i = 0; i < d->n; i++) {
    uint8_t digest[32];
    char hex[65];
    if (d->e[i].symlink)
      continue;
    crypto_sha256(d->e[i].data, d->e[i].len, digest);
    hex_encode(digest, sizeof digest, hex);
    if (tamper_sha && strcmp(tamper_sha, d->e[i].name) == 0)
      hex[0] = hex[0] == '0' ? '1' : '0';
    m += (size_t)sprintf(manifest + m, "%s{\"path\": \"%s\", \"sha256\": "
                         "\"%s\", \"size\": %zu}", first ? "" : ", ",
                         d->e[i].name, hex, d->e[i].len);
    first = 0;
  }
  m += (size_t)sprintf(manifest + m, "], \"format\": \"stella-trust-bundle\","
                       " \"format_version\": 1, \"root_chain\": true, "
                       "\"tuf_url\": %s}", url_json);
  struct archive *a = archive_write_new();
  if (zstd)
    assert_int_equal(archive_write_add_filter_zstd(a), ARCHIVE_OK);
  assert_int_equal(archive_write_set_format_pax_restricted(a), ARCHIVE_OK);
  assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
  entry me = {"manifest.json", manifest, m, 0};
  write_entry(a, &me);
  for (size_t i = 0; i < d->n; i++)
    write_entry(a, &d->e[i]);
  assert_int_equal(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
  free(manifest);
}

static void draft_write(const draft *d, const char *path, int zstd,
                        const char *tamper_sha) {
  draft_write_url(d, path, zstd, tamper_sha, "\"https://tuf.test\"");
}

/* ---- Tests --------------------------------------------------------------- */

static void test_export(void **state) {
  fixture *f = *state;
  char home[256], out[300];
  stella_bundle_info info;
  new_home(f, home, sizeof home);
  snprintf(out, sizeof out, "%s.tar.zst", home);
  stella_trust *t = open_home(home);
  assert_int_equal(stella_trust_snapshot_export(t, out, 1, &info),
                   STELLA_E_NOT_INITIALIZED);
  assert_int_equal(access(out, F_OK), -1);
  assert_int_equal(stella_trust_init(t, f->sig.url, f->sig.root1, 0), STELLA_OK);
  assert_int_equal(stella_trust_snapshot_export(t, out, 1, &info),
                   STELLA_E_NOT_INITIALIZED); /* never synced */
  assert_non_null(strstr(stella_trust_errmsg(t), "trust sync"));
  stella_trust_free(t);
  t = open_home(f->src);
  assert_int_equal(stella_trust_snapshot_export(t, out, 1, &info), STELLA_OK);
  assert_int_equal(info.root_first, 1);
  assert_int_equal(info.root_last, 15);
  assert_int_equal(info.timestamp, 762);
  assert_int_equal(info.n_files, 15 + 3 + 2);
  assert_int_equal(stella_trust_snapshot_export(t, out, 0, &info), STELLA_OK);
  assert_int_equal(info.root_first, 15);
  assert_int_equal(info.n_files, 1 + 3 + 2);
  struct stat st;
  assert_int_equal(stat(out, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0644);
  assert_int_equal(stella_trust_snapshot_export(t, "/nonexistent/x.tar.zst",
                                                0, &info), STELLA_E_IO);
  stella_trust_free(t);
}

static void test_fresh_home_needs_force(void **state) {
  fixture *f = *state;
  char home[256], msg[1024], hex[65];
  uint8_t digest[32];
  size_t len;
  stella_bundle_info info;
  new_home(f, home, sizeof home);
  char *root1 = fx_slurp(f->sig.root1, &len);
  crypto_sha256(root1, len, digest);
  hex_encode(digest, sizeof digest, hex);
  free(root1);
  assert_int_equal(import(home, f->full, 0, &info, msg, sizeof msg),
                   STELLA_E_NOT_INITIALIZED);
  assert_non_null(strstr(msg, hex)); /* the anchor's hash, to compare */
  assert_non_null(strstr(msg, "--force"));
  assert_int_equal(access(home, F_OK), -1); /* refused: no folder made */
  assert_int_equal(import(home, f->full, 1, &info, msg, sizeof msg),
                   STELLA_OK);
  assert_true(info.anchor_from_bundle);
  assert_string_equal(info.anchor_sha256, hex);
  assert_int_equal(info.root_before, 0);
  assert_int_equal(info.root_last, 15);
  assert_int_equal(info.snapshot, 165);
  assert_int_equal(info.targets, 14);
  assert_same_status(f->src, home);
  /* The imported home exports the same chain again. */
  char again[300];
  snprintf(again, sizeof again, "%s.again.tar.zst", home);
  stella_trust *t = open_home(home);
  assert_int_equal(stella_trust_snapshot_export(t, again, 1, &info),
                   STELLA_OK);
  assert_int_equal(info.root_first, 1);
  stella_trust_free(t);
}

static void test_root_change_needs_force(void **state) {
  fixture *f = *state;
  char home[256];
  stella_bundle_info info;
  new_home(f, home, sizeof home);
  init_home(f, home);
  refused(home, f->full, 0, STELLA_E_EXISTS, "from v1 to v15");
  /* Only the current root: the chain from v1 cannot be walked. */
  refused(home, f->cur, 1, STELLA_E_NOT_FOUND, "--include-root");
  assert_int_equal(import(home, f->full, 1, &info, NULL, 0), STELLA_OK);
  assert_int_equal(info.root_before, 1);
  assert_int_equal(info.root_last, 15);
  assert_false(info.anchor_from_bundle);
  assert_same_status(f->src, home);
  /* Same root now: no confirmation needed, the current-root bundle will
   * do, and importing again is harmless; an import killed midway left a
   * side folder, which the next import removes. */
  char debris[512];
  snprintf(debris, sizeof debris, "%s/.tuf.import-dead01", home);
  assert_int_equal(mkdir(debris, 0700), 0);
  assert_int_equal(import(home, f->cur, 0, &info, NULL, 0), STELLA_OK);
  assert_int_equal(info.root_before, 15);
  assert_int_equal(access(debris, F_OK), -1);
  assert_same_status(f->src, home);
  /* The import kept the root history; `trust init --force` starts over. */
  char hist[512];
  snprintf(hist, sizeof hist, "%s/tuf/root-history/15.root.json", home);
  assert_int_equal(access(hist, F_OK), 0);
  stella_trust *t = open_home(home);
  assert_int_equal(stella_trust_init(t, f->sig.url, f->sig.root1, 1), STELLA_OK);
  stella_trust_free(t);
  assert_int_equal(access(hist, F_OK), -1);
  snprintf(hist, sizeof hist, "%s/tuf/root-history/1.root.json", home);
  assert_int_equal(access(hist, F_OK), 0);
}

static void test_rollback_refused(void **state) {
  fixture *f = *state;
  const char *data = getenv("STELLA_TEST_DATA");
  char home[256], path[512], old_ts[512];
  draft d;
  new_home(f, home, sizeof home);
  assert_int_equal(import(home, f->full, 1, NULL, NULL, 0), STELLA_OK);
  /* Timestamp v761 (really signed by Sigstore) after trusting v762. */
  draft_from_src(f, &d);
  snprintf(old_ts, sizeof old_ts, "%s/tuf-sigstore-negative/real/"
           "timestamp.v761.json", data);
  size_t len;
  char *bytes = fx_slurp(old_ts, &len);
  draft_replace(&d, "metadata/timestamp.json", bytes, len);
  free(bytes);
  snprintf(path, sizeof path, "%s/rollback.tar.zst", f->sig.dir);
  draft_write(&d, path, 1, NULL);
  refused(home, path, 0, STELLA_E_ROLLBACK, "rollback");
  refused(home, path, 1, STELLA_E_ROLLBACK, "rollback");
  /* A bundle whose newest root is older than ours. */
  draft_free(&d);
  draft_from_src(f, &d);
  for (size_t i = 1; i < d.n; i++)
    free(d.e[i].data);
  d.n = 1; /* root v1 only */
  snprintf(path, sizeof path, "%s/oldroot.tar.zst", f->sig.dir);
  draft_write(&d, path, 1, NULL);
  refused(home, path, 1, STELLA_E_ROLLBACK, "older than the trusted root");
  draft_free(&d);
}

static void test_tampering(void **state) {
  fixture *f = *state;
  char home[256], path[512];
  draft d;
  new_home(f, home, sizeof home);
  init_home(f, home);
  snprintf(path, sizeof path, "%s/tampered.tar.zst", f->sig.dir);
  /* The manifest's hash of a file is wrong. */
  draft_from_src(f, &d);
  draft_write(&d, path, 1, "metadata/snapshot.json");
  refused(home, path, 1, STELLA_E_HASH, "metadata/snapshot.json");
  /* A file changed and the manifest rewritten to match: TUF catches it. */
  entry *tr = draft_find(&d, "targets/trusted_root.json");
  tr->data[tr->len - 2] = tr->data[tr->len - 2] == ' ' ? '\t' : ' ';
  draft_write(&d, path, 1, NULL);
  refused(home, path, 1, STELLA_E_HASH, "trusted_root.json");
  draft_free(&d);
  /* A timestamp whose signature no longer matches. */
  draft_from_src(f, &d);
  entry *ts = draft_find(&d, "metadata/timestamp.json");
  char *p = strstr(ts->data, "\"version\"");
  assert_non_null(p);
  p += strcspn(p, "0123456789");
  *p = *p == '9' ? '1' : (char)(*p + 1); /* v762 -> v862 */
  draft_write(&d, path, 1, NULL);
  refused(home, path, 1, STELLA_E_SIGNATURE, "timestamp");
  draft_free(&d);
  /* A file the manifest does not list / an extra service-map target. */
  draft_from_src(f, &d);
  draft_add(&d, "targets/evil.json", "{}", 2);
  draft_write(&d, path, 1, NULL);
  refused(home, path, 1, STELLA_E_FORMAT, "evil.json");
  draft_free(&d);
}

static void test_hostile_archives(void **state) {
  fixture *f = *state;
  char home[256], path[512];
  draft d;
  new_home(f, home, sizeof home);
  init_home(f, home);
  snprintf(path, sizeof path, "%s/hostile.tar.zst", f->sig.dir);
  static const char *const bad_names[] = {
    "../evil.json", "metadata/../../evil.json", "/etc/evil.json",
    "metadata/.hidden.json", "roots/x.root.json", "other/file.json",
    "metadata/sub/dir.json"};
  for (size_t i = 0; i < sizeof bad_names / sizeof bad_names[0]; i++) {
    draft_from_src(f, &d);
    draft_add(&d, bad_names[i], "{}", 2);
    draft_write(&d, path, 1, NULL);
    refused(home, path, 1, STELLA_E_FORMAT, "entry '");
    draft_free(&d);
  }
  /* A symbolic link in place of a metadata file. */
  draft_from_src(f, &d);
  entry *ts = draft_find(&d, "metadata/timestamp.json");
  free(ts->data);
  ts->data = strdup("/etc/passwd");
  ts->symlink = 1;
  draft_write(&d, path, 1, NULL);
  refused(home, path, 1, STELLA_E_FORMAT, "not a regular file");
  draft_free(&d);
  /* The same name twice. */
  draft_from_src(f, &d);
  draft_add(&d, "metadata/snapshot.json", "{}", 2);
  draft_write(&d, path, 1, NULL);
  refused(home, path, 1, STELLA_E_FORMAT, "twice");
  draft_free(&d);
  /* One file over the per-file cap (zeros compress to almost nothing). */
  draft_from_src(f, &d);
  size_t big = (8u << 20) + 1;
  char *zeros = calloc(1, big);
  draft_add(&d, "metadata/big.json", zeros, big);
  free(zeros);
  draft_write(&d, path, 1, NULL);
  refused(home, path, 1, STELLA_E_TOO_LARGE, "cap");
  draft_free(&d);
  /* Not compressed: a plain tar is refused. */
  draft_from_src(f, &d);
  draft_write(&d, path, 0, NULL);
  refused(home, path, 1, STELLA_E_FORMAT, "not zstd");
  draft_free(&d);
}

static void test_damaged_files(void **state) {
  fixture *f = *state;
  char home[256], path[512];
  size_t len;
  new_home(f, home, sizeof home);
  init_home(f, home);
  char *bytes = fx_slurp(f->full, &len);
  snprintf(path, sizeof path, "%s/damaged.tar.zst", f->sig.dir);
  /* Truncated at several points. */
  size_t cuts[] = {len / 2, len - 1, 100, 10};
  for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; i++) {
    FILE *out = fopen(path, "wb");
    fwrite(bytes, 1, cuts[i], out);
    fclose(out);
    refused(home, path, 1, STELLA_E_FORMAT, "reading bundle");
  }
  /* Garbage, an empty file, no file. */
  FILE *out = fopen(path, "wb");
  for (int i = 0; i < 4096; i++)
    fputc((i * 7919) & 0xff, out);
  fclose(out);
  refused(home, path, 1, STELLA_E_FORMAT, "reading bundle");
  out = fopen(path, "wb");
  fclose(out);
  refused(home, path, 1, STELLA_E_FORMAT, "reading bundle");
  refused(home, "/nonexistent/bundle.tar.zst", 1, STELLA_E_NOT_FOUND, NULL);
  free(bytes);
}

/* The bundle is renamed over --out: a device, FIFO, link or folder there,
 * or a path inside the state folder, is refused and left as it was; a
 * regular file is replaced. */
static void test_export_out_refused(void **state) {
  fixture *f = *state;
  char fifo[256], link[256], dev[256], db[256], inside[256], reg[256];
  struct stat st;
  stella_status *s = NULL;
  snprintf(fifo, sizeof fifo, "%s/out.fifo", f->sig.dir);
  snprintf(link, sizeof link, "%s/out.link", f->sig.dir);
  snprintf(dev, sizeof dev, "%s/out.null", f->sig.dir);
  snprintf(db, sizeof db, "%s/stella.db", f->src);
  snprintf(inside, sizeof inside, "%s/tuf/../tuf/b.tar.zst", f->src);
  snprintf(reg, sizeof reg, "%s/out.tar.zst", f->sig.dir);
  assert_int_equal(mkfifo(fifo, 0600), 0);
  assert_int_equal(symlink(f->full, link), 0);
  /* A device of our own (root), so a regression cannot replace /dev/null;
   * elsewhere /dev/null, which others cannot replace anyway. */
  if (mknod(dev, S_IFCHR | 0666, makedev(1, 3)) != 0)
    snprintf(dev, sizeof dev, "/dev/null");
  const char *const bad[] = {fifo, link, dev, f->sig.dir, db, inside};
  const char *const why[] = {"is a FIFO", "is a symbolic link",
                             "is a character device", "is a directory",
                             "inside the state folder",
                             "inside the state folder"};
  stella_trust *t = open_home(f->src);
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    assert_int_equal(stella_trust_snapshot_export(t, bad[i], 0, NULL),
                     STELLA_E_INVALID_ARG);
    if (!strstr(stella_trust_errmsg(t), why[i]))
      fail_msg("--out %s: '%s' lacks '%s'", bad[i], stella_trust_errmsg(t),
               why[i]);
  }
  assert_true(lstat(fifo, &st) == 0 && S_ISFIFO(st.st_mode));
  assert_true(lstat(link, &st) == 0 && S_ISLNK(st.st_mode));
  assert_true(stat(dev, &st) == 0 && S_ISCHR(st.st_mode));
  assert_int_equal(access(inside, F_OK), -1);
  assert_int_equal(stella_trust_status(t, &s), STELLA_OK); /* db intact */
  stella_status_free(s);
  FILE *old = fopen(reg, "w");
  assert_non_null(old);
  fputs("old", old);
  fclose(old);
  assert_int_equal(stella_trust_snapshot_export(t, reg, 0, NULL), STELLA_OK);
  assert_true(stat(reg, &st) == 0 && st.st_size > 3);
  stella_trust_free(t);
}

/* A folder without a URL takes the bundle's (unsigned) tuf_url, so it must
 * pass `trust init`'s check; a folder with its own URL ignores it. */
static void test_import_url_checked(void **state) {
  fixture *f = *state;
  static const struct { const char *json, *why; } bad[] = {
    {"\"https://tuf.test/\\u001b[31m\"", "control character"},
    {"\"https://user:pw@evil.example\"", "passwords"},
    {"\"https://tuf.test\\u0000.evil\"", "NUL"},
    {"\"\"", "no URL"},
    {"\"ftp://tuf.test\"", "expected an http"},
  };
  char home[256], other[256], path[512], msg[1024];
  stella_status *s = NULL;
  draft d;
  draft_from_src(f, &d);
  snprintf(path, sizeof path, "%s/url.tar.zst", f->sig.dir);
  new_home(f, home, sizeof home);
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    draft_write_url(&d, path, 1, NULL, bad[i].json);
    assert_int_equal(import(home, path, 1, NULL, msg, sizeof msg),
                     STELLA_E_FORMAT);
    if (!strstr(msg, bad[i].why) || strchr(msg, '\x1b'))
      fail_msg("tuf_url %s: '%s' lacks '%s'", bad[i].json, msg, bad[i].why);
    assert_int_equal(access(home, F_OK), -1);
  }
  new_home(f, other, sizeof other);
  init_home(f, other);
  draft_write_url(&d, path, 1, NULL, bad[0].json);
  assert_int_equal(import(other, path, 1, NULL, msg, sizeof msg), STELLA_OK);
  draft_write_url(&d, path, 1, NULL, "\"https://tuf.test/\"");
  assert_int_equal(import(home, path, 1, NULL, msg, sizeof msg), STELLA_OK);
  stella_trust *t = open_home(other);
  assert_int_equal(stella_trust_status(t, &s), STELLA_OK);
  assert_string_equal(s->tuf_url, f->sig.url);
  stella_status_free(s);
  stella_trust_free(t);
  t = open_home(home);
  assert_int_equal(stella_trust_status(t, &s), STELLA_OK);
  assert_string_equal(s->tuf_url, "https://tuf.test"); /* as init stores it */
  stella_status_free(s);
  stella_trust_free(t);
  draft_free(&d);
}

/* Into a folder without trust the bundle is verified in TMPDIR: one that
 * fails leaves neither the folder nor a side folder. */
static void test_refused_import_leaves_nothing(void **state) {
  fixture *f = *state;
  char home[256], tmp[256], path[512];
  draft d;
  new_home(f, home, sizeof home);
  snprintf(tmp, sizeof tmp, "%s/tmpdir", f->sig.dir);
  snprintf(path, sizeof path, "%s/badsig.tar.zst", f->sig.dir);
  assert_int_equal(mkdir(tmp, 0700), 0);
  setenv("TMPDIR", tmp, 1);
  draft_from_src(f, &d);
  entry *ts = draft_find(&d, "metadata/timestamp.json");
  char *p = strstr(ts->data, "\"version\"");
  p += strcspn(p, "0123456789");
  *p = *p == '9' ? '1' : (char)(*p + 1);
  draft_write(&d, path, 1, NULL);
  draft_free(&d);
  assert_int_equal(import(home, path, 1, NULL, NULL, 0), STELLA_E_SIGNATURE);
  assert_int_equal(access(home, F_OK), -1);
  assert_int_equal(layout_count_entries(tmp), 0);
  assert_int_equal(import(home, f->full, 1, NULL, NULL, 0), STELLA_OK);
  assert_int_equal(layout_count_entries(tmp), 0);
  unsetenv("TMPDIR");
  assert_same_status(f->src, home);
}

static void count_stale_note(void *ctx, const char *line) {
  if (strstr(line, "WARNING: accepted EXPIRED"))
    (*(int *)ctx)++;
}

/* An air-gapped site in an incident: an expired bundle is refused unless
 * accepted knowingly, as with sync; status then shows STALE. */
static void test_import_allow_stale(void **state) {
  fixture *f = *state;
  char home[256];
  int notes = 0;
  int64_t today = now_value;
  stella_status *s = NULL;
  stella_import_opts opts = {.force = 1, .note = count_stale_note,
                             .note_ctx = &notes, .allow_stale = 1};
  new_home(f, home, sizeof home);
  init_home(f, home);
  assert_int_equal(stella_time_parse("2026-12-03T00:00:00Z", &now_value),
                   STELLA_OK);
  refused(home, f->full, 1, STELLA_E_EXPIRED, "--allow-stale --max-age");
  assert_int_equal(import_opts(home, f->full, &opts, NULL, NULL, 0),
                   STELLA_E_INVALID_ARG); /* no --max-age */
  opts.max_stale_age = 30 * 86400; /* the timestamp expired 96 days ago */
  assert_int_equal(import_opts(home, f->full, &opts, NULL, NULL, 0),
                   STELLA_E_EXPIRED);
  opts.max_stale_age = 120 * 86400;
  assert_int_equal(import_opts(home, f->full, &opts, NULL, NULL, 0),
                   STELLA_OK);
  assert_int_equal(notes, 2); /* root and timestamp */
  stella_trust *t = open_home(home);
  assert_int_equal(stella_trust_status(t, &s), STELLA_OK);
  assert_int_equal(s->roles[0].state, STELLA_ROLE_STALE);
  assert_int_equal(s->roles[1].state, STELLA_ROLE_STALE);
  assert_int_equal(s->roles[2].state, STELLA_ROLE_OK);
  stella_status_free(s);
  stella_trust_free(t);
  now_value = today;
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_export),
    cmocka_unit_test(test_fresh_home_needs_force),
    cmocka_unit_test(test_root_change_needs_force),
    cmocka_unit_test(test_rollback_refused),
    cmocka_unit_test(test_tampering),
    cmocka_unit_test(test_hostile_archives),
    cmocka_unit_test(test_damaged_files),
    cmocka_unit_test(test_export_out_refused),
    cmocka_unit_test(test_import_url_checked),
    cmocka_unit_test(test_refused_import_leaves_nothing),
    cmocka_unit_test(test_import_allow_stale),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
