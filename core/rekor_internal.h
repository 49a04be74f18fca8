/* rekor_internal.h - helpers shared by rekor_keyring.c, rekor_entry.c,
 * rekor_verify.c and rekor_api.c. Not an API: only those files include it. */
#ifndef STELLA_CORE_REKOR_INTERNAL_H
#define STELLA_CORE_REKOR_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "json.h"
#include "merkle.h"
#include "stella/stella.h"

/* Parses a document of at most max bytes whose top value must be of type
 * top (JV_OBJECT, JV_ARRAY, or JV_NULL for either). Reasons start with
 * what: "log info: not JSON (...)". STELLA_E_TOO_LARGE, STELLA_E_PARSE
 * (an HTML page, a truncated body), STELLA_E_FORMAT (wrong top type). */
stella_err rekor_parse_doc(const char *buf, size_t len, size_t max,
                           jv_type top, const char *what, json_doc **doc,
                           char *errbuf, size_t errlen);

/* Reads the members of a parsed JSON object into ctx; *why names a bad
 * one. */
typedef stella_err (*rekor_fill_fn)(const json_val *obj, void *ctx,
                                    const char **why);

/* One API reply that must be a JSON object (at most REKOR_MAX_RESPONSE),
 * named what: parsed, fill(root, ctx) run, the document freed. On failure
 * clear(ctx) runs and errbuf says "what: why". */
stella_err rekor_parse_object(const char *buf, size_t len, const char *what,
                              rekor_fill_fn fill, void *ctx,
                              void (*clear)(void *ctx), char *errbuf,
                              size_t errlen);

/* Member key of obj, or NULL when absent or JSON null (optional parts of
 * protobuf JSON and of the Rekor API may be either). */
const json_val *rekor_opt(const json_val *obj, const char *key);

/* A 32-byte hash from exactly 64 hex digits (hex) or from base64 of
 * exactly 32 bytes (!hex). 0 on success, -1 otherwise. */
int rekor_hash_decode(const json_val *v, int hex, merkle_hash out);

/* An array of at most REKOR_MAX_PROOF_HASHES hashes, each as above;
 * *out malloc'd (NULL when empty). STELLA_E_FORMAT with *why set. */
stella_err rekor_hash_list(const json_val *arr, int hex, merkle_hash **out,
                           size_t *n, const char **why);

#endif
