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
#include "stella/stella.h"

#define BUNDLE_FORMAT "stella-trust-bundle"
#define BUNDLE_FORMAT_VERSION 1
#define BUNDLE_ENTRY_MAX (8u << 20)   /* bytes per file (above TUF caps) */
#define BUNDLE_TOTAL_MAX (64u << 20)  /* bytes of all files together */
#define BUNDLE_FILES_MAX 1024         /* entries in one bundle */

/* The pseudo URLs the in-memory fetcher answers during an import. */
#define BUNDLE_METADATA_URL "stella-bundle:/metadata/"
#define BUNDLE_TARGETS_URL "stella-bundle:/targets/"

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
