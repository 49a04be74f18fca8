/* crypto.h - hashes, hex/base64, and TUF/Sigstore public keys via OpenSSL 3. */
#ifndef STELLA_CORE_CRYPTO_H
#define STELLA_CORE_CRYPTO_H

#include <stddef.h>
#include <stdint.h>
#include "stella/stella.h"

#define CRYPTO_SHA256_LEN 32
#define CRYPTO_SHA512_LEN 64

void crypto_sha256(const void *data, size_t len, uint8_t out[32]);
void crypto_sha512(const void *data, size_t len, uint8_t out[64]);

/* Writes 2*n lowercase hex digits and a NUL into out (size >= 2*n+1). */
void hex_encode(const uint8_t *in, size_t n, char *out);
/* Decodes hexlen hex digits (either case). *out is malloc'd, caller frees.
 * STELLA_E_PARSE on odd length or a non-hex digit. */
stella_err hex_decode(const char *hex, size_t hexlen, uint8_t **out,
                      size_t *outlen);
/* Standard base64 (with padding; whitespace ignored). *out malloc'd. */
stella_err base64_decode(const char *in, size_t inlen, uint8_t **out,
                         size_t *outlen);
/* Standard base64 with padding into a malloc'd NUL-terminated string. */
stella_err base64_encode(const uint8_t *in, size_t n, char **out);

/* Constant-time-ish compare of a digest with a hex string (case-insensitive).
 * Returns 1 when equal. */
int crypto_digest_equals_hex(const uint8_t *digest, size_t n, const char *hex);

typedef struct crypto_key crypto_key;

/* Public keys are refused (STELLA_E_UNSUPPORTED) unless Ed25519, ECDSA on
 * P-256 or P-384, or RSA of at least this many bits: a weaker key is not
 * worth a verification. */
#define CRYPTO_RSA_MIN_BITS 2048

/* Builds a verification key from a TUF key object's fields:
 *   keytype "ed25519", scheme "ed25519": public is 64 hex digits;
 *   keytype "ecdsa" or "ecdsa-sha2-nistp256" (also nistp384), scheme
 *     "ecdsa-sha2-nistp256"/"ecdsa-sha2-nistp384": public is PEM SPKI or
 *     the hex uncompressed point (04||X||Y); signatures DER;
 *   keytype "rsa", scheme "rsassa-pss-sha256" (also -sha384/-sha512): PEM,
 *     at least CRYPTO_RSA_MIN_BITS.
 * Returns STELLA_E_UNSUPPORTED for other types/schemes and weak RSA keys,
 * STELLA_E_PARSE for unreadable key material (or an EC key on another
 * curve than the scheme's). *out is freed with crypto_key_free(). */
stella_err crypto_key_from_tuf(const char *keytype, const char *scheme,
                               const char *pub, size_t publen,
                               crypto_key **out);

/* A key from DER SubjectPublicKeyInfo (Sigstore trusted_root rawBytes).
 * ECDSA keys verify with SHA-256 (P-256) or SHA-384 (P-384), Ed25519 pure,
 * RSA with PKCS#1 v1.5 + SHA-256. STELLA_E_UNSUPPORTED for other kinds,
 * curves and RSA under CRYPTO_RSA_MIN_BITS. */
stella_err crypto_key_from_spki_der(const uint8_t *der, size_t len,
                                    crypto_key **out);

void crypto_key_free(crypto_key *k); /* NULL-safe */

/* Verifies sig (raw bytes) over msg. Returns 1 if valid, 0 otherwise (never
 * an error: a garbage signature is simply not valid). */
int crypto_verify(const crypto_key *k, const uint8_t *msg, size_t msglen,
                  const uint8_t *sig, size_t siglen);

/* Verifies sig over a message known only by its SHA-256 digest (Rekor
 * hashedrekord entries): ECDSA and RSA PKCS#1 v1.5 keys with SHA-256.
 * Ed25519 (which signs the whole message) is never valid here. 1 if valid. */
int crypto_verify_digest_sha256(const crypto_key *k, const uint8_t digest[32],
                                const uint8_t *sig, size_t siglen);

/* A key from a PEM SubjectPublicKeyInfo (what `cosign` and Rekor call a
 * public key). STELLA_E_PARSE when unreadable, STELLA_E_UNSUPPORTED for a
 * key of another kind or strength (see CRYPTO_RSA_MIN_BITS). */
stella_err crypto_key_from_pem(const char *pem, size_t len, crypto_key **out);

/* The same; on failure why (if whylen) names the key for a user: "not a
 * PEM public key", "an RSA key of 512 bits (at least 2048 are needed)",
 * "an EC key on curve secp256k1 (only P-256 and P-384 are supported)". */
stella_err crypto_key_from_pem_why(const char *pem, size_t len,
                                   crypto_key **out, char *why,
                                   size_t whylen);

/* Same with a hex signature; "" or non-hex is 0 (not valid). */
int crypto_verify_hex(const crypto_key *k, const uint8_t *msg, size_t msglen,
                      const char *sig_hex, size_t sighexlen);

/* DER SPKI of the key, malloc'd (caller frees), for fingerprints. */
stella_err crypto_key_spki_der(const crypto_key *k, uint8_t **der,
                               size_t *len);

/* A short name of the key's algorithm: "ed25519", "ecdsa-p256",
 * "ecdsa-p384", "rsa-3072" ... Static or owned by k. */
const char *crypto_key_algorithm(const crypto_key *k);

#endif
