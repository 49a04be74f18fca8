/* fuzz_signing_keys.c - libFuzzer harness for servicemap_add_signing_keys
 * (stella's signing_keys.json target, outside input via TUF): any input
 * either fails and leaves the servicemap exactly as it was, or appends
 * signing keys whose every field is set, and names only keys that exist. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "servicemap.h"
#include "servicemap_signing.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A log key as trusted_root.json would have added it, so logKeyNames has
 * something to name. */
static const char trusted_root[] =
    "{\"tlogs\":[{\"baseUrl\":\"https://r.test\",\"logId\":{\"keyId\":"
    "\"AAECAw==\"},\"publicKey\":{\"rawBytes\":\"AAECAw==\",\"keyDetails\":"
    "\"PKIX_ED25519\",\"validFor\":{\"start\":\"2026-01-01T00:00:00Z\"}}}]}";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  servicemap sm = {0};
  char why[256];
  if (servicemap_add_trusted_root(&sm, trusted_root, sizeof trusted_root - 1,
                                  why, sizeof why) || sm.n_keys != 1)
    abort();
  stella_err e = servicemap_add_signing_keys(&sm, (const char *)data, size,
                                             why, sizeof why);
  if (e && (sm.n_keys != 1 || strcmp(sm.keys[0].name, "")))
    abort(); /* a failed parse must leave sm as it was */
  for (size_t i = 0; i < sm.n_keys; i++) {
    const stella_key *k = &sm.keys[i];
    if (!k->kind || !k->name || !k->base_url || !k->log_id || !k->key_type ||
        !k->fingerprint_sha256 || !k->status)
      abort();
    if (i > 0 && (strcmp(k->kind, "signing") || !*k->name ||
                  strlen(k->fingerprint_sha256) != 64))
      abort();
  }
  servicemap_clear(&sm);
  return 0;
}
