/* fsutil.c - capped file reads, atomic replace (temp + fsync + rename +
 * fsync dir), mkdir -p, and the percent-encoding that keeps role names
 * inside the state folder. */
#include "fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Temp names keep at most this many bytes of the target's name, so
 * ".NAME.tmp-XXXXXX" stays under NAME_MAX for long (encoded) role names. */
#define FS_TMP_NAME_KEEP 200
/* Big writes ask the kernel to start writing back every this many bytes. */
#define FS_WRITEBACK_STEP (1u << 20)

stella_err fs_open_regular(const char *path, int *fd, uint64_t *size) {
  struct stat st;
  *fd = -1;
  /* O_NONBLOCK: a FIFO planted under a metadata name must not hang the
   * open; only regular files are read (a device such as /dev/zero would
   * never end). */
  int f = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (f < 0)
    return errno == ENOENT || errno == ENOTDIR ? STELLA_E_NOT_FOUND
                                               : STELLA_E_IO;
  if (fstat(f, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(f);
    return STELLA_E_IO;
  }
  *fd = f;
  if (size)
    *size = st.st_size > 0 ? (uint64_t)st.st_size : 0;
  return STELLA_OK;
}

stella_err fs_read_file(const char *path, size_t max, sbuf *out) {
  uint64_t size = 0;
  int fd;
  if (max > 0)
    out->max = max;
  stella_err open_err = fs_open_regular(path, &fd, &size);
  if (open_err)
    return open_err;
  /* The size is only a hint (the file may change while read): one
   * allocation for the usual case, the cap still checked on every append. */
  if (size > 0 && (!out->max || size <= out->max))
    sbuf_reserve(out, (size_t)size);
  size_t start = out->len;
  stella_err e = STELLA_OK;
  char chunk[65536];
  for (;;) {
    ssize_t n = read(fd, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0) {
      e = n < 0 ? STELLA_E_IO : STELLA_OK;
      break;
    }
    e = sbuf_append(out, chunk, (size_t)n);
    if (e)
      break;
  }
  close(fd);
  if (e) {
    out->len = start;
    if (out->data)
      out->data[start] = '\0';
  } else if (!out->data) {
    e = sbuf_append(out, "", 0); /* an empty file still gives a "" */
  }
  return e;
}

/* "64 KiB" or "16 MiB" when n is a whole number of them, for messages. */
static void fs_size_words(size_t n, char *buf, size_t len) {
  if (n >= (1u << 20) && n % (1u << 20) == 0)
    snprintf(buf, len, " (%zu MiB)", n >> 20);
  else if (n >= 1024 && n % 1024 == 0)
    snprintf(buf, len, " (%zu KiB)", n >> 10);
  else
    buf[0] = '\0';
}

/* What path is instead of a regular file ("a directory"), or NULL. */
static const char *fs_kind_of(const char *path, int *stat_errno) {
  struct stat st;
  *stat_errno = 0;
  if (stat(path, &st) != 0) {
    *stat_errno = errno;
    return NULL;
  }
  if (S_ISDIR(st.st_mode))
    return "a directory";
  if (S_ISCHR(st.st_mode))
    return "a character device";
  if (S_ISBLK(st.st_mode))
    return "a block device";
  if (S_ISFIFO(st.st_mode))
    return "a FIFO";
  if (S_ISSOCK(st.st_mode))
    return "a socket";
  return NULL;
}

void fs_read_why(const char *path, stella_err e, size_t max, char *buf,
                 size_t len) {
  char words[32];
  int err = 0;
  if (!buf || !len)
    return;
  const char *kind = path && e == STELLA_E_IO ? fs_kind_of(path, &err)
                                               : NULL;
  if (!path) {
    snprintf(buf, len, "%s", stella_strerror(e));
  } else if (kind) {
    snprintf(buf, len, "%s is %s: it must be a regular file", path, kind);
  } else if (e == STELLA_E_TOO_LARGE && max) {
    fs_size_words(max, words, sizeof words);
    snprintf(buf, len, "%s is over the %zu-byte limit%s", path, max, words);
  } else if (e == STELLA_E_NOT_FOUND) {
    snprintf(buf, len, "%s: no such file", path);
  } else if (e == STELLA_E_IO && (err || access(path, R_OK) != 0)) {
    snprintf(buf, len, "%s: %s", path, strerror(err ? err : errno));
  } else {
    snprintf(buf, len, "%s: %s", path, stella_strerror(e));
  }
}

static stella_err write_all(int fd, const void *data, size_t len) {
  const char *p = data;
  while (len) {
    ssize_t n = write(fd, p, len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return STELLA_E_IO;
    p += n;
    len -= (size_t)n;
  }
  return STELLA_OK;
}

/* fsync of a folder makes a rename in it durable. */
static stella_err fsync_dir(const char *dir) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return STELLA_E_IO;
  int rc = fsync(fd);
  close(fd);
  return rc == 0 ? STELLA_OK : STELLA_E_IO;
}

/* Splits path into its folder ("." if none) and builds the temp template
 * "<dir>/.<name>.tmp-XXXXXX". Both malloc'd. */
static stella_err tmp_template(const char *path, char **dir, char **tmpl) {
  const char *slash = strrchr(path, '/');
  const char *name = slash ? slash + 1 : path;
  size_t dirlen = slash ? (size_t)(slash - path) : 1;
  size_t namelen = strlen(name);
  if (!*name)
    return STELLA_E_INVALID_ARG;
  if (namelen > FS_TMP_NAME_KEEP)
    namelen = FS_TMP_NAME_KEEP;
  *dir = slash ? strndup(path, dirlen ? dirlen : 1) : strdup(".");
  sbuf t = SBUF_INIT;
  stella_err e = *dir ? sbuf_printf(&t, "%s/.%.*s.tmp-XXXXXX", *dir,
                                    (int)namelen, name)
                      : STELLA_E_NOMEM;
  if (e) {
    free(*dir);
    *dir = NULL;
    sbuf_free(&t);
    return e;
  }
  *tmpl = sbuf_take(&t, NULL);
  return STELLA_OK;
}

/* Where the bytes of an atomic write come from: one buffer, or a source
 * read in chunks. */
typedef struct fs_bytes {
  const void *data;
  fs_source_fn source;
  const void *ctx;
  size_t len;
} fs_bytes;

/* Bytes [off, off + n) of the file go to disk now, without waiting: a big
 * file is then mostly on disk by the time fsync asks (the fsync still
 * decides; this only starts the work early). */
static void start_writeback(int fd, size_t off, size_t n) {
#ifdef SYNC_FILE_RANGE_WRITE
  sync_file_range(fd, (off_t)off, (off_t)n, SYNC_FILE_RANGE_WRITE);
#else
  (void)fd, (void)off, (void)n;
#endif
}

static stella_err write_bytes(int fd, const fs_bytes *b) {
  char chunk[65536];
  stella_err e = STELLA_OK;
  size_t flushed = 0;
  for (size_t off = 0; off < b->len && !e;) {
    size_t want = b->len - off < sizeof chunk ? b->len - off : sizeof chunk;
    if (b->source && b->source(b->ctx, off, chunk, want) != want)
      return STELLA_E_IO; /* the source is shorter than it said */
    e = write_all(fd, b->source ? chunk : (const char *)b->data + off, want);
    off += want;
    if (off - flushed >= FS_WRITEBACK_STEP) {
      start_writeback(fd, flushed, off - flushed);
      flushed = off;
    }
  }
  return e;
}

/* Writes b into a new temp file beside path (tmp_template) with mode.
 * durable: fsyncs it; else only starts its write-back (a batch fsyncs it
 * later). On success *dir and *tmp are the caller's; on failure no temp
 * file is left. */
static stella_err write_temp(const char *path, const fs_bytes *b, int mode,
                             int durable, char **dir, char **tmp) {
  stella_err e = tmp_template(path, dir, tmp);
  if (e)
    return e;
  int fd = mkostemp(*tmp, O_CLOEXEC);
  if (fd < 0) {
    e = STELLA_E_IO;
  } else {
    e = write_bytes(fd, b);
    if (!e && durable && fsync(fd) != 0)
      e = STELLA_E_IO;
    if (!e && !durable)
      start_writeback(fd, 0, 0); /* 0: to the end of the file */
    if (!e && fchmod(fd, (mode_t)mode & 07777) != 0)
      e = STELLA_E_IO;
    if (close(fd) != 0 && !e)
      e = STELLA_E_IO;
    if (e)
      unlink(*tmp);
  }
  if (e) {
    free(*dir);
    free(*tmp);
    *dir = *tmp = NULL;
  }
  return e;
}

static stella_err write_atomic(const char *path, const fs_bytes *b,
                               int mode) {
  char *dir = NULL, *tmp = NULL;
  stella_err e = write_temp(path, b, mode, 1, &dir, &tmp);
  if (e)
    return e;
  if (rename(tmp, path) != 0) {
    unlink(tmp);
    e = STELLA_E_IO;
  } else {
    e = fsync_dir(dir);
  }
  free(dir);
  free(tmp);
  return e;
}

stella_err fs_write_atomic(const char *path, const void *data, size_t len,
                           int mode) {
  fs_bytes b = {data, NULL, NULL, len};
  if (!path || (!data && len))
    return STELLA_E_INVALID_ARG;
  return write_atomic(path, &b, mode);
}

stella_err fs_write_atomic_from(const char *path, fs_source_fn source,
                                const void *ctx, size_t len, int mode) {
  fs_bytes b = {NULL, source, ctx, len};
  if (!path || !source)
    return STELLA_E_INVALID_ARG;
  return write_atomic(path, &b, mode);
}

static stella_err mkdir_one(const char *path, int mode) {
  struct stat st;
  if (mkdir(path, (mode_t)mode) == 0)
    return STELLA_OK;
  if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
    return STELLA_OK;
  return STELLA_E_IO;
}

stella_err fs_mkdirs(const char *path, int mode) {
  if (!path || !*path)
    return STELLA_E_INVALID_ARG;
  char *copy = strdup(path);
  if (!copy)
    return STELLA_E_NOMEM;
  stella_err e = STELLA_OK;
  for (char *p = copy + 1; *p && !e; p++) {
    if (*p != '/' || p[-1] == '/')
      continue;
    *p = '\0';
    e = mkdir_one(copy, mode);
    *p = '/';
  }
  if (!e)
    e = mkdir_one(copy, mode);
  free(copy);
  return e;
}

int fs_exists(const char *path) {
  struct stat st;
  return path && lstat(path, &st) == 0;
}

stella_err fs_remove(const char *path) {
  if (!path)
    return STELLA_E_INVALID_ARG;
  if (remove(path) == 0 || errno == ENOENT)
    return STELLA_OK;
  return STELLA_E_IO;
}

char *fs_join(const char *a, const char *b) {
  size_t la = strlen(a), lb = strlen(b);
  char *s = malloc(la + lb + 2);
  if (!s)
    return NULL;
  memcpy(s, a, la);
  s[la] = '/';
  memcpy(s + la + 1, b, lb + 1);
  return s;
}

static int pct_is_safe(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
         (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-' ||
         c == '~';
}

stella_err fs_pct_encode(const char *s, size_t len, sbuf *out) {
  static const char hex[] = "0123456789ABCDEF";
  size_t start = out->len;
  stella_err e = sbuf_append(out, "", 0);
  for (size_t i = 0; i < len && !e; i++) {
    unsigned char c = (unsigned char)s[i];
    char enc[3] = {'%', hex[c >> 4], hex[c & 15]};
    e = pct_is_safe(c) ? sbuf_append_char(out, (char)c)
                       : sbuf_append(out, enc, 3);
  }
  if (e && out->data) {
    out->len = start;
    out->data[start] = '\0';
  }
  return e;
}

/* ---- batched atomic replacement ---------------------------------------- */

typedef struct fs_staged {
  char *path; /* the target */
  char *dir;  /* its folder */
  char *tmp;  /* the staged temp file beside it */
} fs_staged;

struct fs_batch {
  fs_staged *items;
  size_t n, cap;
};

fs_batch *fs_batch_new(void) {
  return calloc(1, sizeof(fs_batch));
}

stella_err fs_batch_stage_from(fs_batch *b, const char *path,
                               fs_source_fn source, const void *ctx,
                               size_t len, int mode) {
  fs_bytes bytes = {NULL, source, ctx, len};
  if (!b || !path || !source)
    return STELLA_E_INVALID_ARG;
  stella_err e = array_grow((void **)&b->items, b->n, &b->cap,
                            sizeof b->items[0], 8);
  if (e)
    return e;
  fs_staged s = {strdup(path), NULL, NULL};
  if (!s.path)
    return STELLA_E_NOMEM;
  e = write_temp(path, &bytes, mode, 0, &s.dir, &s.tmp);
  if (e) {
    free(s.path);
    return e;
  }
  b->items[b->n++] = s;
  return STELLA_OK;
}

static size_t buffer_source(const void *ctx, size_t off, char *dst,
                            size_t n) {
  memcpy(dst, (const char *)ctx + off, n);
  return n;
}

stella_err fs_batch_stage(fs_batch *b, const char *path, const void *data,
                          size_t len, int mode) {
  if (!data && len)
    return STELLA_E_INVALID_ARG;
  return fs_batch_stage_from(b, path, buffer_source, data, len, mode);
}

size_t fs_batch_count(const fs_batch *b) {
  return b ? b->n : 0;
}

static stella_err fsync_file(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return STELLA_E_IO;
  int rc = fsync(fd);
  close(fd);
  return rc == 0 ? STELLA_OK : STELLA_E_IO;
}

/* Drops the staged items: temp files from index `from` on were never
 * renamed and are removed. */
static void batch_clear(fs_batch *b, size_t from) {
  for (size_t i = 0; i < b->n; i++) {
    if (i >= from)
      unlink(b->items[i].tmp);
    free(b->items[i].path);
    free(b->items[i].dir);
    free(b->items[i].tmp);
  }
  b->n = 0;
}

/* fsyncs the folders of the first `done` items, each once. */
static stella_err batch_sync_dirs(const fs_batch *b, size_t done) {
  stella_err e = STELLA_OK;
  for (size_t i = 0; i < done; i++) {
    size_t j = 0;
    while (j < i && strcmp(b->items[j].dir, b->items[i].dir) != 0)
      j++;
    stella_err d = j == i ? fsync_dir(b->items[i].dir) : STELLA_OK;
    if (!e)
      e = d;
  }
  return e;
}

/* Why a crash at any moment leaves every target old or new, never torn:
 * 1. No target changes before every temp file is durable: a crash until
 *    then leaves the old files (and temp debris, which never ends in .json).
 * 2. Each rename swaps one name, atomically, to a complete and durable
 *    file. A process killed among the renames leaves the first k done: a
 *    state it passed through, in the order the caller chose.
 * 3. The folders are fsynced once at the end instead of after each rename.
 *    Until then a power cut may undo some renames; a journaling file system
 *    (ext4, XFS, btrfs) keeps the renames in one folder in the order they
 *    were made, so what survives is again the first k of them, each name
 *    pointing at a complete file. Without a journal (ext4 made without
 *    one) that order is not kept: any mix of old and new targets may
 *    survive, each complete, so a caller batches only files that are safe
 *    in any mix (tuf.c: commit_pending). Only durability waits for the
 *    end, as it does for any write before its fsync returns. */
stella_err fs_batch_commit(fs_batch *b, void (*renamed)(void *ctx, size_t i),
                           void *ctx) {
  if (!b)
    return STELLA_E_INVALID_ARG;
  stella_err e = STELLA_OK;
  size_t done = 0;
  /* The first fsync's journal commit carries the other files' metadata,
   * and their data is already being written: the rest cost little. */
  for (size_t i = 0; i < b->n && !e; i++)
    e = fsync_file(b->items[i].tmp);
  for (; !e && done < b->n; done++) {
    if (rename(b->items[done].tmp, b->items[done].path) != 0) {
      e = STELLA_E_IO;
      break;
    }
    if (renamed)
      renamed(ctx, done);
  }
  stella_err d = batch_sync_dirs(b, done);
  batch_clear(b, done);
  return e ? e : d;
}

void fs_batch_free(fs_batch *b) {
  if (!b)
    return;
  batch_clear(b, 0);
  free(b->items);
  free(b);
}
