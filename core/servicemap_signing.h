/* servicemap_signing.h - reads stella's signing_keys.json target (the
 * attestation signing keys and the names of the log keys) into a
 * servicemap. Pure parsing: no files, no network.
 *
 * Format (mediaType application/vnd.stella.signingkeys.v1+json):
 *   {"mediaType": "...",
 *    "signingKeys": [{"name": "signing-key-2026-12-03",
 *                     "keyDetails": "PKIX_ECDSA_P256_SHA_256",
 *                     "rawBytes": "<base64 DER SPKI>",
 *                     "status": "active" | "retired" | "compromised",
 *                     "validFor": {"start": T, "end": T?}}],
 *    "logKeyNames": [{"logId": {"keyId": "<base64>"}, "name": "rekor-key-v1"}]}
 */
#ifndef STELLA_CORE_SERVICEMAP_SIGNING_H
#define STELLA_CORE_SERVICEMAP_SIGNING_H

#include <stddef.h>

#include "servicemap.h"

/* Appends every signing key (kind "signing", name, status, key_type,
 * fingerprint_sha256, validity; base_url and log_id "") and gives the log
 * keys already in sm (from trusted_root.json: add that first) their names
 * from logKeyNames. STELLA_E_PARSE / STELLA_E_FORMAT with a reason in errbuf
 * (may be NULL); on failure sm is left as it was. */
stella_err servicemap_add_signing_keys(servicemap *sm, const char *buf,
                                       size_t len, char *errbuf,
                                       size_t errlen);

#endif
