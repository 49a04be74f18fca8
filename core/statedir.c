/* statedir.c - shared state-folder operations: atomic folder swap, the
 * folder lock, and the root history (see statedir.h). */
#include "statedir.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"
#include "json.h"

#define STATEDIR_DIR_MODE 0700
#define STATEDIR_FILE_MODE 0644
#define STATEDIR_ROOT_MAX 512000

static int statedir_rm_entry(const char *path, const struct stat *sb, int flag,
                             struct FTW *ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  return remove(path) ? -1 : 0;
}

void statedir_rm_tree(const char *path) {
  nftw(path, statedir_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void statedir_fsync_dir(const char *dir) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    fsync(fd);
    close(fd);
  }
}

stella_err statedir_swap(const char *fresh, const char *dir,
                         const char *parent) {
  struct stat st;
  if (lstat(dir, &st) != 0 && errno == ENOENT) {
    if (rename(fresh, dir) != 0)
      return STELLA_E_IO;
  } else if (renameat2(AT_FDCWD, fresh, AT_FDCWD, dir, RENAME_EXCHANGE) !=
             0) {
    /* Kernels or file systems without RENAME_EXCHANGE: two renames. */
    char *old = fs_join(parent, ".old-XXXXXX");
    if (!old)
      return STELLA_E_NOMEM;
    int ok = mkdtemp(old) && rename(dir, old) == 0 && rename(fresh, dir) == 0;
    if (ok)
      statedir_rm_tree(old);
    free(old);
    if (!ok)
      return STELLA_E_IO;
  } else {
    statedir_rm_tree(fresh); /* now holds the old contents */
  }
  statedir_fsync_dir(parent);
  return STELLA_OK;
}

/* flock(how | LOCK_NB) on fd; returns fd, or -1 with errno (fd closed). */
static int statedir_flock(int fd, int how) {
  if (fd >= 0 && flock(fd, how | LOCK_NB) != 0) {
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

int statedir_lock(const char *lock_path) {
  return statedir_flock(open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600),
                        LOCK_EX);
}

int statedir_lock_shared(const char *lock_path) {
  int fd = open(lock_path, O_RDONLY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT)
    fd = open(lock_path, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
  return statedir_flock(fd, LOCK_SH);
}

stella_err statedir_root_version(const char *bytes, size_t len,
                                 int64_t *version) {
  json_doc *doc = NULL;
  stella_err e = json_parse(bytes, len, &doc, NULL, 0);
  if (e)
    return e;
  if (json_get_int(json_get(json_root(doc), "signed"), "version", version) !=
          0 ||
      *version < 1)
    e = STELLA_E_FORMAT;
  json_doc_free(doc);
  return e;
}

static stella_err statedir_history_write(const char *history_dir,
                                         int64_t version, const char *bytes,
                                         size_t len) {
  char name[64];
  snprintf(name, sizeof name, "%lld.root.json", (long long)version);
  char *path = fs_join(history_dir, name);
  stella_err e = path ? fs_write_atomic(path, bytes, len, STATEDIR_FILE_MODE)
                      : STELLA_E_NOMEM;
  free(path);
  return e;
}

stella_err statedir_history_add(const char *tuf_dir, int64_t version,
                                const char *bytes, size_t len) {
  char *dir = fs_join(tuf_dir, STATEDIR_ROOT_HISTORY);
  stella_err e = dir ? fs_mkdirs(dir, STATEDIR_DIR_MODE) : STELLA_E_NOMEM;
  if (!e)
    e = statedir_history_write(dir, version, bytes, len);
  free(dir);
  return e;
}

void statedir_root_accepted(void *ctx, int64_t version,
                            const char *metadata_dir) {
  sbuf root = SBUF_INIT;
  char *path = fs_join(metadata_dir, "root.json");
  if (path && fs_read_file(path, STATEDIR_ROOT_MAX, &root) == STELLA_OK)
    statedir_history_add(ctx, version, root.data, root.len);
  sbuf_free(&root);
  free(path);
}

stella_err statedir_history_reset(const char *tuf_dir, const char *bytes,
                                  size_t len) {
  int64_t version = 0;
  char *fresh = fs_join(tuf_dir, ".root-history.new-XXXXXX");
  char *dir = fs_join(tuf_dir, STATEDIR_ROOT_HISTORY);
  stella_err e = fresh && dir ? statedir_root_version(bytes, len, &version)
                              : STELLA_E_NOMEM;
  if (!e && !mkdtemp(fresh))
    e = STELLA_E_IO;
  else if (!e && (e = statedir_history_write(fresh, version, bytes, len)))
    statedir_rm_tree(fresh);
  else if (!e && (e = statedir_swap(fresh, dir, tuf_dir)))
    statedir_rm_tree(fresh);
  free(fresh);
  free(dir);
  return e;
}
