/* fuzz_rekor_response.c - libFuzzer harness for everything a Rekor server
 * (or a bundle file) hands the client: the same bytes go to the entries
 * reply, the single-entry object, log info, the consistency proof, the
 * bundle and the standalone checkpoint parsers, and whatever parses is
 * verified against a fixed keyring (the public-good tlogs, plus staging's
 * so the staging Rekor v2 seeds reach the Ed25519 checkpoint code).
 * Invariants: a refusal leaves the output empty with a reason; an accepted
 * entry respects the caps; a verdict is OK exactly when no check failed. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rekor_verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TLOG(url, raw, details, start, id)                                  \
  "{\"baseUrl\":\"" url "\",\"hashAlgorithm\":\"SHA2_256\",\"publicKey\":"  \
  "{\"rawBytes\":\"" raw "\",\"keyDetails\":\"" details "\",\"validFor\":" \
  "{\"start\":\"" start "\"}},\"logId\":{\"keyId\":\"" id "\"}}"

static const char trusted_roots[] =
    "{\"tlogs\":["
    TLOG("https://rekor.sigstore.dev",
         "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2G2Y+2tabdTV5BcGiBIx0a9fAFwr"
         "kBbmLSGtks4L3qX6yYY0zufBnhC8Ur/iy55GhWP/9A/bY2LhC30M9+RYtw==",
         "PKIX_ECDSA_P256_SHA_256", "2021-01-12T11:53:27Z",
         "wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0=") ","
    TLOG("https://log2025-1.rekor.sigstore.dev",
         "MCowBQYDK2VwAyEAt8rlp1knGwjfbcXAYPYAkn0XiLz1x8O4t0YkEhie244=",
         "PKIX_ED25519", "2025-09-23T00:00:00Z",
         "zxGZFVvd0FEmjR8WrFwMdcAJ9vtaY/QXf44Y1wUeP6A=") ","
    TLOG("https://rekor.sigstage.dev",
         "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEDODRU688UYGuy54mNUlaEBiQdTE9"
         "nYLr0lg6RXowI/QV/RE1azBn4Eg5/2uTOMbhB1/gfcHzijzFi9Tk+g1Prg==",
         "PKIX_ECDSA_P256_SHA_256", "2021-01-12T11:53:27Z",
         "0y8wo8MtY5wrdiIFohx7sHeI5oKDpK5vQhGHI6G+pJY=") ","
    TLOG("https://log2025-alpha1.rekor.sigstage.dev",
         "MCowBQYDK2VwAyEAPn+AREHoBaZ7wgS1zBqpxmLSGnyhxXj4lFxSdWVB8o8=",
         "PKIX_ED25519", "2025-04-16T00:00:00Z",
         "8w1amZ2S5mJIQkQmPxdMuOrL/oJkvFg9MnQXmeOCXck=")
    "]}";

static rekor_keyring *keyring(void) {
  static rekor_keyring kr;
  if (kr.n == 0 &&
      (rekor_keyring_add_trusted_root(&kr, trusted_roots,
                                      sizeof trusted_roots - 1, NULL, 0) ||
       kr.n != 4))
    abort();
  return &kr;
}

static void check_entry(const rekor_entry *e, const rekor_verify_opts *o) {
  rekor_verify_result res;
  if (!e->uuid || !e->body_b64 || !e->body || e->body_len == 0 ||
      e->n_hashes > REKOR_MAX_PROOF_HASHES || (e->checkpoint &&
      strlen(e->checkpoint) > CHECKPOINT_MAX_BYTES) ||
      (e->checkpoint && !e->has_proof))
    abort();
  stella_err err = rekor_entry_verify(e, keyring(), o, &res);
  if ((err == STELLA_OK) != (res.failure == REKOR_FAIL_NONE) ||
      (err && !res.reason[0]) ||
      (!err && res.set != REKOR_CHECK_OK && res.proof != REKOR_CHECK_OK) ||
      (!err && (res.set == REKOR_CHECK_FAILED ||
                res.proof == REKOR_CHECK_FAILED ||
                res.checkpoint == REKOR_CHECK_FAILED)))
    abort();
  rekor_verify_result_clear(&res);
}

static void fuzz_entries(const char *buf, size_t size) {
  rekor_entry *v = NULL, one;
  size_t n = 0;
  char why[256] = "";
  rekor_verify_opts o = {.check_validity = 1};
  if (rekor_entries_from_api(buf, size, &v, &n, why, sizeof why)) {
    if (v || n || !why[0])
      abort();
  } else if (n > REKOR_MAX_ENTRIES_PER_RESPONSE) {
    abort();
  }
  for (size_t i = 0; i < n; i++)
    check_entry(&v[i], &o);
  rekor_entries_free(v, n);
  if (rekor_entry_from_api_object(buf, size, NULL, &one, NULL, 0) == 0)
    check_entry(&one, &o);
  rekor_entry_clear(&one);
}

static void fuzz_bundle(const char *buf, size_t size) {
  rekor_bundle b;
  rekor_verify_result res;
  size_t at = 0;
  if (rekor_bundle_parse(buf, size, &b, NULL, 0)) {
    if (b.entries || b.n)
      abort();
    return;
  }
  if (b.minor < 1 || b.minor > 3 || b.n > REKOR_MAX_ENTRIES_PER_RESPONSE)
    abort();
  rekor_verify_opts o = {.require_proof = b.minor >= 2};
  for (size_t i = 0; i < b.n; i++)
    check_entry(&b.entries[i], &o);
  if (rekor_bundle_verify(&b, keyring(), 1, &res, &at) && at >= b.n &&
      b.n)
    abort();
  rekor_verify_result_clear(&res);
  rekor_bundle_clear(&b);
}

static void fuzz_checkpoint(const char *note, size_t len) {
  checkpoint cp;
  const rekor_log_key *k = NULL;
  if (rekor_checkpoint_verify(note, len, keyring(), &cp, &k, NULL, 0) == 0 &&
      !k)
    abort();
  checkpoint_clear(&cp);
}

static void fuzz_log_info(const char *buf, size_t size) {
  rekor_log_info li;
  rekor_consistency c;
  if (rekor_log_info_parse(buf, size, &li, NULL, 0) == 0) {
    if (!li.tree_id || !li.signed_tree_head)
      abort();
    fuzz_checkpoint(li.signed_tree_head, strlen(li.signed_tree_head));
  } else if (li.tree_id || li.signed_tree_head) {
    abort();
  }
  rekor_log_info_clear(&li);
  if (rekor_consistency_parse(buf, size, &c, NULL, 0) == 0) {
    if (c.n_hashes > REKOR_MAX_PROOF_HASHES || (c.n_hashes && !c.hashes))
      abort();
  } else if (c.hashes || c.n_hashes) {
    abort();
  }
  rekor_consistency_clear(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *buf = (const char *)data;
  fuzz_entries(buf, size);
  fuzz_bundle(buf, size);
  fuzz_log_info(buf, size);
  fuzz_checkpoint(buf, size);
  return 0;
}
