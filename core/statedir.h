/* statedir.h - file operations on the client's state folder shared by
 * `trust init` (trust.c) and trust bundles (bundle.c): swapping a freshly
 * built folder in for a trusted one, the per-folder lock, and the root
 * history (HOME/tuf/root-history/N.root.json, every root version this
 * client has trusted, kept outside the TUF metadata folder because the TUF
 * layout allows exactly one root.json there). */
#ifndef STELLA_CORE_STATEDIR_H
#define STELLA_CORE_STATEDIR_H

#include <stddef.h>
#include <stdint.h>
#include "stella/stella.h"

#define STATEDIR_ROOT_HISTORY "root-history" /* under HOME/tuf */

/* Puts the folder fresh in place of dir in one step where the kernel allows
 * (RENAME_EXCHANGE), else in two renames; the old contents are deleted. If
 * dir does not exist yet, fresh is simply renamed to it. parent is the
 * folder holding both (fsynced afterwards). */
stella_err statedir_swap(const char *fresh, const char *dir,
                         const char *parent);

/* rm -rf path (no symlinks followed). Absent is fine. */
void statedir_rm_tree(const char *path);

/* Takes the exclusive, non-blocking lock lock_path (created 0600): one
 * writer per state folder. Returns the fd to close() to release it, or -1
 * with errno (EWOULDBLOCK when someone else holds it). */
int statedir_lock(const char *lock_path);

/* The reader's side of that lock: shared and non-blocking, so readers
 * (export) never wait for each other and a writer cannot start meanwhile.
 * The lock file is opened read-only (created 0600 if absent), so this
 * works in a folder the caller may only read. Returns the fd to close(), or
 * -1 with errno (EWOULDBLOCK: a writer holds it; EACCES, EROFS: the lock
 * file is absent and cannot be created). */
int statedir_lock_shared(const char *lock_path);

/* tuf_config.root_accepted hook: ctx is the HOME/tuf folder (a char *).
 * Copies METADATA_DIR/root.json to root-history/<version>.root.json.
 * Failures are ignored: the history only serves exports, which say when it
 * is short. */
void statedir_root_accepted(void *ctx, int64_t version,
                            const char *metadata_dir);

/* Writes tuf_dir/root-history/<version>.root.json atomically (0644). */
stella_err statedir_history_add(const char *tuf_dir, int64_t version,
                                const char *bytes, size_t len);

/* Replaces the root history of tuf_dir with just this root (its version is
 * read from the bytes, which the caller has already verified), for `trust
 * init`. Built aside and swapped in. */
stella_err statedir_history_reset(const char *tuf_dir, const char *bytes,
                                  size_t len);

/* Reads signed.version of root bytes; STELLA_E_FORMAT if absent. */
stella_err statedir_root_version(const char *bytes, size_t len,
                                 int64_t *version);

#endif
