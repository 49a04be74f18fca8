/* servicemap.h - reads the Sigstore service map that travels through TUF:
 * trusted_root.json (transparency-log and CT-log keys with log IDs and
 * validity windows) and signing_config (service endpoints), in both the
 * v0.2 format (signing_config.v0.2.json) and the older v0.1 one
 * (signing_config.json), into the public stella_endpoint / stella_key
 * arrays. Pure parsing: no files, no network. */
#ifndef STELLA_CORE_SERVICEMAP_H
#define STELLA_CORE_SERVICEMAP_H

#include <stddef.h>
#include "stella/stella.h"

/* Growable arrays of parsed items; the servicemap owns them until
 * servicemap_take_* hands them over. Start zeroed: servicemap sm = {0}. */
typedef struct servicemap {
  stella_endpoint *endpoints;
  size_t n_endpoints, cap_endpoints;
  stella_key *keys;
  size_t n_keys, cap_keys;
} servicemap;

/* Appends the tlogs ("tlog") and ctlogs ("ctlog") of a trusted_root.json:
 * base URL, log ID (base64 keyId as hex), keyDetails, SHA-256 fingerprint of
 * the DER public key, validFor. STELLA_E_PARSE / STELLA_E_FORMAT with a
 * reason in errbuf (may be NULL); on failure sm is left as it was. */
stella_err servicemap_add_trusted_root(servicemap *sm, const char *buf,
                                       size_t len, char *errbuf,
                                       size_t errlen);

/* Appends the endpoints of a signing_config: v0.2 (rekorTlogUrls -> "rekor",
 * caUrls -> "ca", oidcUrls -> "oidc", tsaUrls -> "tsa", each with url,
 * majorApiVersion, operator, validFor) or v0.1 (tlogUrls, caUrl, oidcUrl,
 * tsaUrls as plain strings). Same errors as above. */
stella_err servicemap_add_signing_config(servicemap *sm, const char *buf,
                                         size_t len, char *errbuf,
                                         size_t errlen);

/* ---- For the parsers of other service-map files (servicemap_signing.c) */

struct json_val;

/* Appends one zeroed key (owned by sm, freed by servicemap_clear); NULL
 * when out of memory. The pointer is valid until the next push. */
stella_key *servicemap_push_key(servicemap *sm);

/* Drops the items appended after the first n_endpoints / n_keys, so a
 * failed parse leaves sm as it was. */
void servicemap_truncate(servicemap *sm, size_t n_endpoints, size_t n_keys);

/* validFor {start, end} of obj in epoch seconds: both optional (0 when
 * absent: open-ended); present but not an RFC 3339 string is
 * STELLA_E_FORMAT. */
stella_err servicemap_valid_for(const struct json_val *obj, int64_t *from,
                                int64_t *until);

/* base64 -> malloc'd lowercase hex of the bytes (log IDs). */
stella_err servicemap_b64_to_hex(const char *b64, char **hex);

/* base64 DER SPKI -> malloc'd hex SHA-256 of the DER bytes; empty is
 * STELLA_E_FORMAT. */
stella_err servicemap_fingerprint(const char *b64, char **hex);

/* Frees everything sm owns and zeroes it. NULL-safe. */
void servicemap_clear(servicemap *sm);

/* Frees arrays handed out by the servicemap (or in a stella_status). */
void servicemap_free_endpoints(stella_endpoint *eps, size_t n);
void servicemap_free_keys(stella_key *keys, size_t n);

#endif
