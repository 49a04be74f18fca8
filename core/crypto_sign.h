/* crypto_sign.h - the signing half of the crypto module (the repository
 * side): key generation, PEM PKCS#8 private key files, TUF signatures.
 * Verification stays in crypto.h. Private key bytes never leave this file
 * except as PEM written to a 0600 file. */
#ifndef STELLA_CORE_CRYPTO_SIGN_H
#define STELLA_CORE_CRYPTO_SIGN_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "crypto.h"
#include "stella/stella.h"

typedef struct crypto_signer crypto_signer;

/* A new key pair: key_type "ed25519" or "ecdsa-p256" (else
 * STELLA_E_UNSUPPORTED). Free with crypto_signer_free(). */
stella_err crypto_signer_generate(const char *key_type, crypto_signer **out);

/* Parses a PEM private key (PKCS#8 or the traditional EC form) of type
 * ed25519 or ECDSA P-256. STELLA_E_PARSE if unreadable, STELLA_E_UNSUPPORTED
 * for other algorithms. Does not check file modes (repo_key_load does). */
stella_err crypto_signer_from_pem(const char *pem, size_t len,
                                  crypto_signer **out);

void crypto_signer_free(crypto_signer *s); /* NULL-safe */

/* "ed25519" or "ecdsa-p256". Static. */
const char *crypto_signer_type(const crypto_signer *s);

/* Writes the private key as PEM PKCS#8 to path (fs_write_atomic, mode
 * 0600). Refuses (STELLA_E_EXISTS) when path exists. */
stella_err crypto_signer_save(const crypto_signer *s, const char *path);

/* The public key as PEM SubjectPublicKeyInfo, appended to out. */
stella_err crypto_signer_public_pem(const crypto_signer *s, sbuf *out);

/* DER SubjectPublicKeyInfo, malloc'd (caller frees). */
stella_err crypto_signer_public_der(const crypto_signer *s, uint8_t **der,
                                    size_t *len);

/* TUF key fields: ed25519 -> ("ed25519", "ed25519", 64 hex digits);
 * ecdsa-p256 -> ("ecdsa", "ecdsa-sha2-nistp256", PEM SPKI). *pub is
 * malloc'd (caller frees); keytype and scheme are static. */
stella_err crypto_signer_tuf_fields(const crypto_signer *s,
                                    const char **keytype, const char **scheme,
                                    char **pub);

/* Signs msg as TUF expects (ed25519 pure; ECDSA P-256 with SHA-256, DER
 * signature) and returns lowercase hex in *sig_hex (malloc'd). */
stella_err crypto_signer_sign_hex(const crypto_signer *s, const uint8_t *msg,
                                  size_t len, char **sig_hex);

/* Signs msg like crypto_signer_sign_hex, returning the raw signature
 * bytes (DER for ECDSA, 64 bytes for Ed25519) in *sig (malloc'd). */
stella_err crypto_signer_sign(const crypto_signer *s, const uint8_t *msg,
                              size_t len, uint8_t **sig, size_t *siglen);

/* A verification key for the signer's public half (for self-checks and
 * note key ids). Free with crypto_key_free(). */
stella_err crypto_signer_verify_key(const crypto_signer *s, crypto_key **out);

/* Reads a PEM public key (SPKI) into DER (malloc'd) and its Sigstore
 * keyDetails: "PKIX_ECDSA_P256_SHA_256", "PKIX_ED25519" (static).
 * STELLA_E_PARSE when not a PEM public key, STELLA_E_UNSUPPORTED for other
 * algorithms. */
stella_err crypto_public_pem_to_der(const char *pem, size_t len, uint8_t **der,
                                    size_t *derlen, const char **key_details);

#endif
