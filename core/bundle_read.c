/* bundle_read.c - reads a trust bundle into memory with caps and checks
 * it against its manifest (see bundle.h). Knows nothing of trust state,
 * so the fuzz harness can drive it alone. */
#include "bundle.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "crypto.h"
#include "json.h"

#define BUNDLE_URL_MAX 1000

void bundle_free(bundle *b) {
  for (size_t i = 0; i < b->n; i++) {
    free(b->files[i].name);
    free(b->files[i].data);
  }
  free(b->files);
  free(b->roots);
  json_doc_free(b->manifest);
  memset(b, 0, sizeof *b);
}

const bundle_file *bundle_find(const bundle *b, const char *name) {
  for (size_t i = 0; i < b->n; i++)
    if (strcmp(b->files[i].name, name) == 0)
      return &b->files[i];
  return NULL;
}

/* Takes ownership of name and data (freed on failure too). */
stella_err bundle_add(bundle *b, char *name, char *data, size_t len) {
  if (b->n == b->cap) {
    size_t cap = b->cap ? 2 * b->cap : 16;
    bundle_file *grown = realloc(b->files, cap * sizeof *grown);
    if (!grown) {
      free(name);
      free(data);
      return STELLA_E_NOMEM;
    }
    b->files = grown;
    b->cap = cap;
  }
  b->files[b->n++] = (bundle_file){name, data, len};
  b->total += len;
  return STELLA_OK;
}

/* "<N>.root.json" -> N, else -1. */
int64_t bundle_root_file_version(const char *name) {
  char *end = NULL;
  if (name[0] < '1' || name[0] > '9')
    return -1;
  errno = 0;
  long long v = strtoll(name, &end, 10);
  if (errno || strcmp(end, ".root.json") != 0 || v > INT32_MAX)
    return -1;
  return v;
}

/* ---- Reading a bundle ------------------------------------------------------ */

/* A copy of an entry name fit for a one-line message. */
static void bundle_printable(const char *name, char *out, size_t outlen) {
  size_t i = 0;
  for (; name[i] && i + 1 < outlen && i < 120; i++)
    out[i] = name[i] >= 0x20 && name[i] < 0x7f ? name[i] : '?';
  out[i] = '\0';
}

/* One path segment: no '/', not hidden (so never "." or ".."), printable. */
static int bundle_segment_ok(const char *s) {
  size_t n = strlen(s);
  if (n == 0 || n > 255 || s[0] == '.')
    return 0;
  for (size_t i = 0; i < n; i++)
    if (s[i] == '/' || s[i] == '\\' || (unsigned char)s[i] < 0x20 ||
        s[i] == 0x7f)
      return 0;
  return 1;
}

/* Why name cannot be a bundle entry, or NULL if it can. */
static const char *bundle_bad_name(const char *name) {
  if (name[0] == '/')
    return "an absolute path";
  for (const char *p = name; (p = strstr(p, "..")); p += 2)
    if ((p == name || p[-1] == '/') && (p[2] == '/' || p[2] == '\0'))
      return "a '..' path";
  if (strcmp(name, BUNDLE_MANIFEST) == 0)
    return NULL;
  if (strncmp(name, "roots/", 6) == 0)
    return bundle_root_file_version(name + 6) > 0 ? NULL
           : "not a root file name (roots/N.root.json)";
  if ((strncmp(name, "metadata/", 9) == 0 && bundle_segment_ok(name + 9)) ||
      (strncmp(name, "targets/", 8) == 0 && bundle_segment_ok(name + 8)))
    return NULL;
  return "not a bundle path (manifest.json, roots/, metadata/, targets/)";
}

/* Checks one header: regular file, safe unique name, size within caps. */
static stella_err bundle_check_entry(const bundle *b,
                                     struct archive_entry *entry, char *why,
                                     size_t whylen) {
  const char *name = archive_entry_pathname(entry);
  char shown[128];
  bundle_printable(name ? name : "", shown, sizeof shown);
  const char *bad = name ? bundle_bad_name(name) : "an unnamed entry";
  if (bad) {
    snprintf(why, whylen, "entry '%s' is %s", shown, bad);
    return STELLA_E_FORMAT;
  }
  if (archive_entry_filetype(entry) != AE_IFREG ||
      archive_entry_hardlink(entry) || archive_entry_symlink(entry)) {
    snprintf(why, whylen, "entry '%s' is not a regular file (links, devices "
             "and folders are refused)", shown);
    return STELLA_E_FORMAT;
  }
  if (bundle_find(b, name)) {
    snprintf(why, whylen, "entry '%s' appears twice", shown);
    return STELLA_E_FORMAT;
  }
  if (b->n >= BUNDLE_FILES_MAX) {
    snprintf(why, whylen, "more than %d entries", BUNDLE_FILES_MAX);
    return STELLA_E_LIMIT;
  }
  if (!archive_entry_size_is_set(entry) || archive_entry_size(entry) < 0 ||
      archive_entry_size(entry) > (la_int64_t)BUNDLE_ENTRY_MAX) {
    snprintf(why, whylen, "entry '%s' is over the %u-byte cap per file",
             shown, BUNDLE_ENTRY_MAX);
    return STELLA_E_TOO_LARGE;
  }
  if (b->total + (size_t)archive_entry_size(entry) > BUNDLE_TOTAL_MAX) {
    snprintf(why, whylen, "the files are over the %u-byte cap in total",
             BUNDLE_TOTAL_MAX);
    return STELLA_E_TOO_LARGE;
  }
  return STELLA_OK;
}

/* Reads the data of the current entry: at most its declared size. */
static stella_err bundle_read_data(struct archive *a, size_t size,
                                   char **out, char *why, size_t whylen) {
  char *data = malloc(size + 1);
  size_t got = 0;
  if (!data)
    return STELLA_E_NOMEM;
  while (got < size) {
    la_ssize_t n = archive_read_data(a, data + got, size - got);
    if (n <= 0) {
      snprintf(why, whylen, "%s", n < 0 && archive_error_string(a)
                                      ? archive_error_string(a)
                                      : "the archive ends inside a file");
      free(data);
      return STELLA_E_FORMAT;
    }
    got += (size_t)n;
  }
  data[size] = '\0';
  *out = data;
  return STELLA_OK;
}

static int bundle_is_zstd(struct archive *a) {
  for (int i = 0; i < archive_filter_count(a); i++)
    if (archive_filter_code(a, i) == ARCHIVE_FILTER_ZSTD)
      return 1;
  return 0;
}

static stella_err bundle_read_entries(struct archive *a, bundle *b, char *why,
                                      size_t whylen) {
  struct archive_entry *entry;
  int rc;
  stella_err e = STELLA_OK;
  while (!e && (rc = archive_read_next_header(a, &entry)) == ARCHIVE_OK) {
    if (!bundle_is_zstd(a)) {
      snprintf(why, whylen, "not zstd-compressed");
      return STELLA_E_FORMAT;
    }
    char *data = NULL, *name = NULL;
    e = bundle_check_entry(b, entry, why, whylen);
    if (!e)
      e = bundle_read_data(a, (size_t)archive_entry_size(entry), &data, why,
                           whylen);
    if (!e && !(name = strdup(archive_entry_pathname(entry)))) {
      free(data);
      e = STELLA_E_NOMEM;
    }
    if (!e)
      e = bundle_add(b, name, data, (size_t)archive_entry_size(entry));
  }
  if (!e && rc != ARCHIVE_EOF) {
    snprintf(why, whylen, "%s", archive_error_string(a)
                                    ? archive_error_string(a)
                                    : "unreadable archive");
    e = STELLA_E_FORMAT;
  }
  if (!e && b->n == 0) {
    snprintf(why, whylen, "no files in it");
    e = STELLA_E_FORMAT;
  }
  return e;
}

static stella_err bundle_read_archive(struct archive *a, int opened,
                                      bundle *b, char *why, size_t whylen) {
  stella_err e = STELLA_OK;
  if (!opened) {
    snprintf(why, whylen, "%s", archive_error_string(a)
                                    ? archive_error_string(a)
                                    : "unreadable");
    e = STELLA_E_FORMAT;
  } else {
    e = bundle_read_entries(a, b, why, whylen);
  }
  archive_read_free(a);
  return e;
}

/* A reader that knows only zstd-compressed tar. */
static struct archive *bundle_reader(char *why, size_t whylen,
                                     stella_err *e) {
  struct archive *a = archive_read_new();
  *e = a ? STELLA_OK : STELLA_E_NOMEM;
  if (a && (archive_read_support_filter_zstd(a) != ARCHIVE_OK ||
            archive_read_support_format_tar(a) != ARCHIVE_OK)) {
    snprintf(why, whylen, "this libarchive cannot read zstd tar files "
             "(install libarchive with zstd support)");
    archive_read_free(a);
    a = NULL;
    *e = STELLA_E_UNSUPPORTED;
  }
  return a;
}

stella_err bundle_read_path(const char *path, bundle *b, char *why,
                            size_t whylen) {
  struct stat st;
  stella_err e;
  int missing = stat(path, &st) != 0, why_missing = errno;
  if (missing || !S_ISREG(st.st_mode)) {
    snprintf(why, whylen, "%s", missing ? strerror(why_missing)
                                        : "not a regular file");
    return missing && why_missing == ENOENT ? STELLA_E_NOT_FOUND
                                            : STELLA_E_IO;
  }
  struct archive *a = bundle_reader(why, whylen, &e);
  if (!a)
    return e;
  int opened = archive_read_open_filename(a, path, 64 * 1024) == ARCHIVE_OK;
  return bundle_read_archive(a, opened, b, why, whylen);
}

stella_err bundle_read_memory(const void *data, size_t len, bundle *b,
                              char *why, size_t whylen) {
  stella_err e;
  struct archive *a = bundle_reader(why, whylen, &e);
  if (!a)
    return e;
  int opened = archive_read_open_memory(a, data, len) == ARCHIVE_OK;
  return bundle_read_archive(a, opened, b, why, whylen);
}

/* ---- The manifest ---------------------------------------------------------- */

static int bundle_cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* Every file listed once with its size and sha256, nothing unlisted. */
static stella_err bundle_check_files(const bundle *b, const json_val *files,
                                     char *why, size_t whylen) {
  uint8_t digest[32];
  size_t n = json_len(files);
  if (n + 1 != b->n) { /* json_at() below fails on a non-array */
    snprintf(why, whylen, "the manifest lists %zu files, the bundle holds "
             "%zu", n, b->n ? b->n - 1 : 0);
    return STELLA_E_HASH;
  }
  for (size_t i = 0; i < n; i++) {
    const json_val *f = json_at(files, i);
    const char *path = json_get_str(f, "path");
    const char *hex = json_get_str(f, "sha256");
    int64_t size = -1;
    json_get_int(f, "size", &size);
    const bundle_file *file = path ? bundle_find(b, path) : NULL;
    char shown[128];
    bundle_printable(path ? path : "", shown, sizeof shown);
    if (!file || !hex || strcmp(path, BUNDLE_MANIFEST) == 0) {
      snprintf(why, whylen, "manifest entry %zu ('%s') names no file of the "
               "bundle", i, shown);
      return STELLA_E_HASH;
    }
    for (size_t j = 0; j < i; j++)
      if (strcmp(json_get_str(json_at(files, j), "path"), path) == 0) {
        snprintf(why, whylen, "the manifest lists '%s' twice", shown);
        return STELLA_E_HASH;
      }
    crypto_sha256(file->data, file->len, digest);
    if (size < 0 || (uint64_t)size != file->len ||
        !crypto_digest_equals_hex(digest, sizeof digest, hex)) {
      snprintf(why, whylen, "'%s' does not match its size or sha256 in the "
               "manifest", shown);
      return STELLA_E_HASH;
    }
  }
  return STELLA_OK;
}

stella_err bundle_check_manifest(bundle *b, int64_t *exported_at,
                                 const char **tuf_url, char *why,
                                 size_t whylen) {
  const bundle_file *mf = bundle_find(b, BUNDLE_MANIFEST);
  stella_err e = mf ? json_parse(mf->data, mf->len, &b->manifest, why,
                                 whylen)
                    : STELLA_E_FORMAT;
  const json_val *m = b->manifest ? json_root(b->manifest) : NULL;
  const char *format = json_get_str(m, "format");
  const char *when = json_get_str(m, "exported_at");
  size_t url_len = 0;
  const char *url = json_str(json_get(m, "tuf_url"), &url_len);
  int64_t version = 0;
  json_get_int(m, "format_version", &version);
  if (!mf)
    snprintf(why, whylen, "no manifest.json");
  else if (!e && (!format || strcmp(format, BUNDLE_FORMAT) != 0 || !url ||
                  strlen(url) > BUNDLE_URL_MAX || !when ||
                  stella_time_parse(when, exported_at) != STELLA_OK)) {
    snprintf(why, whylen, "manifest.json is not a %s manifest",
             BUNDLE_FORMAT);
    e = STELLA_E_FORMAT;
  } else if (!e && version != BUNDLE_FORMAT_VERSION) {
    snprintf(why, whylen, "manifest format version %lld (this stella "
             "reads %d: use a matching stella)", (long long)version,
             BUNDLE_FORMAT_VERSION);
    e = STELLA_E_UNSUPPORTED;
  } else if (!e && strlen(url) != url_len) {
    /* A C string would silently end at the NUL: no honest export has it. */
    snprintf(why, whylen, "manifest.json's tuf_url holds a NUL byte");
    e = STELLA_E_FORMAT;
  }
  if (!e)
    e = bundle_check_files(b, json_get(m, "files"), why, whylen);
  if (!e)
    *tuf_url = url;
  return e;
}

stella_err bundle_index_roots(bundle *b, char *why, size_t whylen) {
  b->roots = calloc(b->n ? b->n : 1, sizeof *b->roots);
  if (!b->roots)
    return STELLA_E_NOMEM;
  for (size_t i = 0; i < b->n; i++)
    if (strncmp(b->files[i].name, "roots/", 6) == 0)
      b->roots[b->n_roots++] = bundle_root_file_version(b->files[i].name + 6);
  if (b->n_roots == 0) {
    snprintf(why, whylen, "the bundle holds no root");
    return STELLA_E_FORMAT;
  }
  qsort(b->roots, b->n_roots, sizeof *b->roots, bundle_cmp_i64);
  return STELLA_OK;
}
