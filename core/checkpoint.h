/* checkpoint.h - transparency-log checkpoints as C2SP signed notes
 * (c2sp.org/signed-note, c2sp.org/tlog-checkpoint):
 *
 *   <origin>\n<tree size>\n<root hash, std base64>\n[more lines\n]
 *   \n
 *   — <key name> <base64(4-byte key id || signature)>\n   (one or more)
 *
 * Parsing, verification against trusted note keys, and signing (the drill
 * log). Pure: no I/O. */
#ifndef STELLA_CORE_CHECKPOINT_H
#define STELLA_CORE_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "crypto.h"
#include "crypto_sign.h"
#include "merkle.h"
#include "stella/stella.h"

/* Caps: a note is at most this many bytes, with at most this many
 * signature lines (more is STELLA_E_TOO_LARGE / STELLA_E_LIMIT). */
#define CHECKPOINT_MAX_BYTES (64 * 1024)
#define CHECKPOINT_MAX_SIGNATURES 64

typedef struct checkpoint {
  char *origin;        /* first line, malloc'd */
  uint64_t size;       /* tree size */
  merkle_hash root;    /* root hash */
  char *extra;         /* the lines after the root hash, each with its "\n",
                          "" if none (e.g. "Timestamp: 1689176078293604600\n"),
                          malloc'd */
  size_t text_len;     /* bytes of the signed text (up to and including the
                          newline before the blank line) */
} checkpoint;

/* A key a note may be signed with: the name on the signature line, its
 * 4-byte key id, and the verification key (borrowed). */
typedef struct note_key {
  const char *name;
  uint8_t id[4];
  const crypto_key *key;
} note_key;

/* Parses note (len bytes, not necessarily NUL-terminated). Rules: UTF-8
 * text, no NUL or CR; origin non-empty; size decimal without sign or
 * leading zeros (except "0"), fits in 63 bits; root base64 of exactly 32
 * bytes; a blank line then at least one well-formed signature line ("— "
 * name, no spaces or '+' in name, base64 of at least 5 bytes); ends in
 * "\n". STELLA_E_PARSE with a reason in errbuf (may be NULL) otherwise. On
 * success out is filled (free with checkpoint_clear). */
stella_err checkpoint_parse(const char *note, size_t len, checkpoint *out,
                            char *errbuf, size_t errlen);

/* Parses, then checks the signature lines against keys: a line whose name
 * AND key id both match a key must verify over the signed text (if not:
 * STELLA_E_SIGNATURE); lines matching no key are ignored (witness
 * cosignatures, other keys under the same name). At least one trusted line
 * must verify (else STELLA_E_SIGNATURE, "no signature from a trusted key").
 * *which (may be NULL) gets the index in keys of the first key that
 * verified. On success out is filled; on failure it is cleared. */
stella_err checkpoint_verify(const char *note, size_t len,
                             const note_key *keys, size_t n_keys,
                             checkpoint *out, size_t *which, char *errbuf,
                             size_t errlen);

void checkpoint_clear(checkpoint *c); /* NULL-safe; zeroes c */

/* The note key id of key under name: ECDSA (and RSA) keys
 * SHA-256(DER SPKI)[0:4] (Rekor v1); Ed25519 keys
 * SHA-256(name || 0x0A || 0x01 || raw 32-byte key)[0:4] (C2SP / Rekor v2). */
stella_err checkpoint_key_id(const char *name, const crypto_key *key,
                             uint8_t out[4]);

/* The signed text "<origin>\n<size>\n<base64 root>\n<extra>" appended to
 * out; extra may be NULL or "" or lines each ending in "\n". */
stella_err checkpoint_format_text(const char *origin, uint64_t size,
                                  const merkle_hash root, const char *extra,
                                  sbuf *out);

/* Appends to out the whole note: text (text_len bytes, as made by
 * checkpoint_format_text), the blank line, and one signature line by
 * signer under name (ECDSA P-256: DER over SHA-256; Ed25519: pure). The
 * key id is computed as checkpoint_key_id does. */
stella_err checkpoint_sign(const char *text, size_t text_len,
                           const char *name, const crypto_signer *signer,
                           sbuf *out);

#endif
