/* repo_targets.h - builders and files of the staged targets (the service
 * map in Sigstore's formats and stella's signing_keys.json). */
#ifndef STELLA_CORE_REPO_TARGETS_H
#define STELLA_CORE_REPO_TARGETS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "repo_internal.h"

#define REPO_TRUSTED_ROOT "trusted_root.json"
#define REPO_SIGNING_CONFIG "signing_config.v0.2.json"
#define REPO_SIGNING_KEYS "signing_keys.json"
#define REPO_SIGNING_KEYS_MEDIA "application/vnd.stella.signingkeys.v1+json"
#define REPO_N_TARGETS 3

extern const char *const repo_target_names[REPO_N_TARGETS];

/* {"start": T[, "end": T]} (end omitted when 0). New reference. */
json_t *repo_validity(int64_t start, int64_t end);

/* A trusted_root tlogs entry: baseUrl, hashAlgorithm SHA2_256, publicKey
 * {rawBytes (base64 DER), keyDetails, validFor{start}}, logId{keyId (base64
 * SHA-256 of the DER)}. New reference, NULL on NOMEM. */
json_t *repo_tlog_entry(const char *url, const uint8_t *der, size_t derlen,
                        const char *key_details, int64_t start);

/* A signing_config v0.2 rekorTlogUrls entry {url, majorApiVersion 1,
 * validFor{start}, operator}. New reference. */
json_t *repo_rekor_entry(const char *url, const char *operator_name,
                         int64_t start);

/* Empty documents of each format. New references. */
json_t *repo_empty_trusted_root(void);
json_t *repo_empty_signing_config(void);
json_t *repo_empty_signing_keys(void);

/* staged/targets/<name> as jansson / written back atomically. */
stella_err repo_target_load(const repo_ws *ws, const char *name, json_t **out,
                            char *errbuf, size_t errlen);
stella_err repo_target_save(const repo_ws *ws, const char *name,
                            const json_t *doc);

/* The published copy of target name (found through the published
 * targets.json); NULL when it was never published. New reference. */
json_t *repo_published_target(const repo_ws *ws, const char *name);

/* Records a change of target name: its custom metadata in targets.json
 * becomes {change, changed_at, note}. (The caller appends the CHANGELOG
 * line, once per change.) */
stella_err repo_target_note(const repo_ws *ws, const char *name,
                            const char *what, const char *note);

#endif
