/* rekor_fake.h - test helper: a fake Rekor v1 log in memory (entries, a
 * real Merkle tree, checkpoints and SETs signed with a generated ECDSA
 * P-256 key) whose API replies are built as JSON text for mem_fetcher. */
#ifndef STELLA_TEST_REKOR_FAKE_H
#define STELLA_TEST_REKOR_FAKE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "crypto_sign.h"
#include "fetch.h"
#include "merkle.h"

#define FAKE_MAX_ENTRIES 64

typedef struct fake_log {
  crypto_signer *signer;
  int own_signer;
  char name[64];        /* note key name: host of the base URL */
  char origin[128];     /* "<name> - <tree id>" */
  char tree_id[32];
  char der_b64[256];    /* public key, DER SPKI, base64 */
  char log_id_b64[64];
  merkle_hash log_id;   /* SHA-256 of the DER SPKI (Rekor v1) */
  char log_id_hex[65];
  char *body_b64[FAKE_MAX_ENTRIES];
  merkle_hash leaf[FAKE_MAX_ENTRIES];
  int64_t time[FAKE_MAX_ENTRIES];
  size_t n;
} fake_log;

/* A log with a new key; name "primary.test", tree id "1234". */
void fake_log_init(fake_log *fl, const char *name, const char *tree_id);
/* Same key, name and tree id as of, no entries: a fork of that log. */
void fake_log_fork(fake_log *fl, const fake_log *of);
void fake_log_free(fake_log *fl);

/* Appends an entry with body (bytes) integrated at t; returns its index. */
size_t fake_log_add(fake_log *fl, const void *body, size_t len, int64_t t);
/* Appends a generic hashedrekord entry (digest from seed). */
size_t fake_log_add_seed(fake_log *fl, int seed, int64_t t);

/* Hex leaf hash of entry i: its Rekor v1 UUID. */
void fake_uuid(const fake_log *fl, size_t i, char out[65]);

/* GET /api/v1/log for the first size entries (signed checkpoint). */
void fake_log_info(const fake_log *fl, size_t size, sbuf *out);
/* {"<uuid>": LogEntryAnon} of entry i in a tree of size entries (proof
 * and checkpoint of that size). set_index: the log index the SET signs
 * (i for a valid one). */
void fake_entry(const fake_log *fl, size_t i, size_t size, int64_t set_index,
                sbuf *out);
/* {"rootHash", "hashes"} from size1 to size2. */
void fake_proof(const fake_log *fl, size_t size1, size_t size2, sbuf *out);

/* Serves the log at base (e.g. "http://primary.test") with size entries:
 * log info, every entry by index and by UUID, every consistency proof
 * to size. */
void fake_serve(stella_fetcher *f, const char *base, const fake_log *fl,
                size_t size);
/* Only the consistency proofs (every first size) to size, at base. */
void fake_serve_proofs(stella_fetcher *f, const char *base,
                       const fake_log *fl, size_t size);

#endif
