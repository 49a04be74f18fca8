/* fuzz_checkpoint.c - libFuzzer harness for checkpoint_parse and
 * checkpoint_verify (signed notes come from Rekor servers we do not
 * trust). Any input either fails with a reason and leaves the checkpoint
 * empty, or parses into fields that describe the input exactly: the text
 * made again from them has the input's length and lines. Verification
 * runs against the real production Rekor v1 (ECDSA) and staging Rekor v2
 * (Ed25519) keys, so the seeds (tests/data/rekor-checkpoints notes) reach
 * the signature checks. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char prod_pem[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2G2Y+2tabdTV5BcGiBIx0a9fAFwr\n"
    "kBbmLSGtks4L3qX6yYY0zufBnhC8Ur/iy55GhWP/9A/bY2LhC30M9+RYtw==\n"
    "-----END PUBLIC KEY-----\n";
static const char alpha1_pem[] =
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEAPn+AREHoBaZ7wgS1zBqpxmLSGnyhxXj4lFxSdWVB8o8=\n"
    "-----END PUBLIC KEY-----\n";

static note_key keys[2];

static void load_keys(void) {
  static const char *const pems[2] = {prod_pem, alpha1_pem};
  static const char *const names[2] = {"rekor.sigstore.dev",
                                       "log2025-alpha1.rekor.sigstage.dev"};
  for (int i = 0; i < 2; i++) {
    crypto_key *k = NULL;
    if (crypto_key_from_pem(pems[i], strlen(pems[i]), &k) ||
        checkpoint_key_id(names[i], k, keys[i].id))
      abort();
    keys[i].name = names[i];
    keys[i].key = k; /* kept for the life of the process */
  }
}

/* A parsed checkpoint must describe the input: made into text again it has
 * the same length, origin line, size line and extra lines (the root line
 * may differ only in base64's unused bits). */
static void check_fields(const char *in, const checkpoint *c) {
  sbuf t = SBUF_INIT;
  size_t olen = strlen(c->origin), xlen = strlen(c->extra);
  if (!olen || strchr(c->origin, '\n') || c->size > (uint64_t)INT64_MAX ||
      (xlen && c->extra[xlen - 1] != '\n'))
    abort();
  if (checkpoint_format_text(c->origin, c->size, c->root, c->extra, &t) ||
      t.len != c->text_len)
    abort();
  size_t root_at = (size_t)(strchr(t.data + olen + 1, '\n') - t.data) + 1;
  if (memcmp(t.data, in, root_at) ||
      memcmp(t.data + root_at + 44, in + root_at + 44,
             t.len - root_at - 44) || in[t.len] != '\n')
    abort();
  sbuf_free(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *in = (const char *)data;
  checkpoint c;
  char err[256];
  size_t which = 7;
  if (!keys[0].key)
    load_keys();
  err[0] = '\0';
  stella_err e = checkpoint_parse(in, size, &c, err, sizeof err);
  if (e == STELLA_OK)
    check_fields(in, &c);
  else if (c.origin || c.extra || !err[0])
    abort(); /* failures leave nothing behind and always say why */
  checkpoint_clear(&c);
  err[0] = '\0';
  stella_err v = checkpoint_verify(in, size, keys, 2, &c, &which, err,
                                   sizeof err);
  if (v == STELLA_OK && (e != STELLA_OK || which > 1))
    abort(); /* verified yet unparsable, or a key that does not exist */
  if (v != STELLA_OK && (c.origin || !err[0] ||
                         (e == STELLA_OK && v != STELLA_E_SIGNATURE)))
    abort();
  checkpoint_clear(&c);
  return 0;
}
