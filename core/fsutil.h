/* fsutil.h - files for trusted state: capped reads, atomic writes, safe names. */
#ifndef STELLA_CORE_FSUTIL_H
#define STELLA_CORE_FSUTIL_H

#include <stddef.h>
#include <stdint.h>
#include "stella/stella.h"
#include "buf.h"

/* Opens path read-only when it is a regular file; *fd is then the
 * caller's to close and *size (if size) its size now. A directory, device,
 * FIFO or socket is STELLA_E_IO at once (the open never blocks).
 * STELLA_E_NOT_FOUND if absent, else STELLA_E_IO (*fd is -1). */
stella_err fs_open_regular(const char *path, int *fd, uint64_t *size);

/* Reads the whole regular file (fs_open_regular) into out (out->max is
 * overridden by max if max > 0). STELLA_E_NOT_FOUND if absent,
 * STELLA_E_TOO_LARGE over max, else IO. */
stella_err fs_read_file(const char *path, size_t max, sbuf *out);

/* One line on why reading path failed with e (from fs_read_file or
 * fs_open_regular, max its cap or 0), path included: "P is a directory: it
 * must be a regular file" (or a FIFO, a character device ...), "P is over
 * the 65536-byte limit (64 KiB)", "P: no such file", "P: Permission
 * denied". */
void fs_read_why(const char *path, stella_err e, size_t max, char *buf,
                 size_t len);

/* Replaces path with exactly len bytes, atomically: writes a temp file in
 * the same folder whose name starts with '.' and does NOT end in ".json"
 * (".NAME.tmp-XXXXXX"), fsyncs it, chmods it to mode, renames it over path
 * and fsyncs the folder. A process killed at any moment leaves the old file
 * or the new one, never a mix, and no temp file is left on failure. */
stella_err fs_write_atomic(const char *path, const void *data, size_t len,
                           int mode);

/* A source of bytes for fs_write_atomic_from: copies up to n bytes from
 * offset off into dst and returns how many. */
typedef size_t (*fs_source_fn)(const void *ctx, size_t off, char *dst,
                               size_t n);

/* fs_write_atomic for len bytes read from source in 64 KiB chunks, for
 * data that is not kept as one buffer (a parsed 13 MB metadata file). */
stella_err fs_write_atomic_from(const char *path, fs_source_fn source,
                                const void *ctx, size_t len, int mode);

/* mkdir -p with mode for each created level. */
stella_err fs_mkdirs(const char *path, int mode);

/* 1 if path exists (any type), else 0. */
int fs_exists(const char *path);

/* Removes path if present; absent is success. */
stella_err fs_remove(const char *path);

/* Appends a + "/" + b as a NUL-terminated string; returns malloc'd string or
 * NULL on NOMEM. */
char *fs_join(const char *a, const char *b);

/* Percent-encodes like Python urllib.parse.quote(s, safe=""): every byte
 * except A-Z a-z 0-9 _ . - ~ becomes %XX (upper-case hex). Used for role
 * names in URLs and in file names, so no name can escape a folder. */
stella_err fs_pct_encode(const char *s, size_t len, sbuf *out);

/* ---- batched atomic replacement ----------------------------------------
 * fs_write_atomic pays for two flushes per file (the temp file, then its
 * folder). A batch replaces several files with the same guarantee for
 * about one round of flushes in all: each temp file is written (and its
 * write-back started) when it is staged; fs_batch_commit makes them all
 * durable, renames them over their targets in the order staged and fsyncs
 * each folder once. Why a crash still leaves each target old or new, never
 * torn: see fs_batch_commit in fsutil.c. */
typedef struct fs_batch fs_batch;

/* An empty batch, or NULL on NOMEM. */
fs_batch *fs_batch_new(void);

/* Writes len bytes of source into a temp file beside path, named as
 * fs_write_atomic names it, with mode. path is not touched until
 * fs_batch_commit. The same path may be staged again: the commit then
 * replaces it once per stage, in order. */
stella_err fs_batch_stage_from(fs_batch *b, const char *path,
                               fs_source_fn source, const void *ctx,
                               size_t len, int mode);

/* fs_batch_stage_from for one buffer. */
stella_err fs_batch_stage(fs_batch *b, const char *path, const void *data,
                          size_t len, int mode);

/* How many replacements are staged and not yet committed. */
size_t fs_batch_count(const fs_batch *b);

/* fsyncs every staged temp file, then renames each over its path in the
 * order staged, calling renamed(ctx, i) (may be NULL) right after the i-th
 * rename, then fsyncs each folder once; b is empty afterwards. If an fsync
 * fails nothing is renamed. If a rename fails, the ones before it stand
 * (each is atomic) and the rest are dropped. Temp files not renamed are
 * removed. STELLA_E_IO on any failure. */
stella_err fs_batch_commit(fs_batch *b, void (*renamed)(void *ctx, size_t i),
                           void *ctx);

/* Removes the temp files of replacements not committed and frees b.
 * NULL-safe. */
void fs_batch_free(fs_batch *b);

#endif
