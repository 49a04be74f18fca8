/* bundle.h - trust bundles (stella_trust_snapshot_export/_import in
 * stella.h): the verified client state in one zstd-compressed tar for sites
 * without network access.
 *
 * Layout of a bundle (every entry a regular file, no folders, no links):
 *   manifest.json           format, export time, TUF URL, and every other
 *                           file's path, size and sha256
 *   roots/N.root.json       root versions, byte for byte as trusted
 *   metadata/NAME.json      timestamp, snapshot, targets, delegated roles
 *                           (file names as in the TUF metadata folder)
 *   targets/NAME            the service-map targets (trusted_root.json,
 *                           signing_config.v0.2.json / signing_config.json)
 *
 * Import never trusts the bundle's own say: the manifest only catches
 * damage in transit; trust comes from running the TUF client (tuf.h) over
 * the bundle's files, served from memory through a stella_fetcher, exactly
 * as it would run against the repository. */
#ifndef STELLA_CORE_BUNDLE_H
#define STELLA_CORE_BUNDLE_H

#include <stddef.h>
#include <stdint.h>
#include "stella/stella.h"

#define BUNDLE_FORMAT "stella-trust-bundle"
#define BUNDLE_FORMAT_VERSION 1
#define BUNDLE_MANIFEST "manifest.json"
#define BUNDLE_ENTRY_MAX (8u << 20)   /* bytes per file (above TUF caps) */
#define BUNDLE_TOTAL_MAX (64u << 20)  /* bytes of all files together */
#define BUNDLE_FILES_MAX 1024         /* entries in one bundle */

/* The pseudo URLs the in-memory fetcher answers during an import. */
#define BUNDLE_METADATA_URL "stella-bundle:/metadata/"
#define BUNDLE_TARGETS_URL "stella-bundle:/targets/"

/* One file of a bundle, in memory. */
typedef struct bundle_file {
  char *name; /* "roots/3.root.json", "metadata/timestamp.json", ... */
  char *data; /* NUL-terminated copy of the bytes */
  size_t len;
} bundle_file;

/* A bundle read into memory (bundle_read.c). Zero-initialize; free with
 * bundle_free(). */
typedef struct bundle {
  bundle_file *files; /* in archive order, manifest.json included */
  size_t n, cap;
  size_t total;       /* bytes of all files */
  struct json_doc *manifest; /* after bundle_check_manifest() */
  int64_t *roots;     /* root versions present, ascending (index_roots) */
  size_t n_roots;
} bundle;

void bundle_free(bundle *b);
const bundle_file *bundle_find(const bundle *b, const char *name);
/* Appends a file, taking ownership of name and data (freed on failure). */
stella_err bundle_add(bundle *b, char *name, char *data, size_t len);
/* "<N>.root.json" -> N (1..INT32_MAX), else -1. */
int64_t bundle_root_file_version(const char *name);

/* Reads a zstd-compressed tar (a file, or bytes in memory) into b with the
 * caps above: only regular files with bundle paths, each name once.
 * NOT_FOUND / IO: the file cannot be opened; FORMAT: not a zstd tar,
 * damaged or truncated, or a refused entry; TOO_LARGE / LIMIT: over a cap.
 * why (one phrase) says what. */
stella_err bundle_read_path(const char *path, bundle *b, char *why,
                            size_t whylen);
stella_err bundle_read_memory(const void *data, size_t len, bundle *b,
                              char *why, size_t whylen);

/* Parses manifest.json and checks every other file is listed once with its
 * size and sha256 (STELLA_E_HASH otherwise). *tuf_url is owned by b. */
stella_err bundle_check_manifest(bundle *b, int64_t *exported_at,
                                 const char **tuf_url, char *why,
                                 size_t whylen);

/* Fills b->roots; FORMAT if the bundle holds no root. */
stella_err bundle_index_roots(bundle *b, char *why, size_t whylen);

/* One file as the manifest lists it. */
typedef struct bundle_manifest_entry {
  const char *path;  /* "roots/1.root.json", ... */
  char sha256[65];   /* lowercase hex */
  size_t size;
} bundle_manifest_entry;

/* Writes manifest.json (jansson, keys sorted, indented): format,
 * format_version, exported_at (RFC 3339), tuf_url, root_chain and files.
 * *out is malloc'd (caller frees). bundle_manifest.c: kept apart from the
 * reader because jansson and core/json.h cannot share a file. */
stella_err bundle_manifest_write(const bundle_manifest_entry *files, size_t n,
                                 const char *exported_at, const char *tuf_url,
                                 int root_chain, char **out);

#endif
