/* rekor_fake.c - see rekor_fake.h. Built on our own merkle, checkpoint
 * and rekor_set_payload code, the same the drill log signs with. */
#include "rekor_fake.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "crypto.h"
#include "rekor_verify.h"
#include "mem_fetcher.h"

/* A test helper: a failure here is a broken test setup. */
static void fake_ok(stella_err e, const char *what) {
  if (e) {
    fprintf(stderr, "rekor_fake: %s: %s\n", what, stella_strerror(e));
    abort();
  }
}

static char *fake_b64(const void *p, size_t n) {
  char *s = NULL;
  fake_ok(base64_encode(p, n, &s), "base64");
  return s;
}

void fake_log_init(fake_log *fl, const char *name, const char *tree_id) {
  uint8_t *der = NULL;
  size_t derlen = 0;
  memset(fl, 0, sizeof *fl);
  fake_ok(crypto_signer_generate("ecdsa-p256", &fl->signer), "generate");
  fl->own_signer = 1;
  snprintf(fl->name, sizeof fl->name, "%s", name);
  snprintf(fl->tree_id, sizeof fl->tree_id, "%s", tree_id);
  snprintf(fl->origin, sizeof fl->origin, "%s - %s", name, tree_id);
  fake_ok(crypto_signer_public_der(fl->signer, &der, &derlen), "der");
  char *b64 = fake_b64(der, derlen);
  snprintf(fl->der_b64, sizeof fl->der_b64, "%s", b64);
  free(b64);
  crypto_sha256(der, derlen, fl->log_id);
  free(der);
  hex_encode(fl->log_id, MERKLE_HASH_LEN, fl->log_id_hex);
  b64 = fake_b64(fl->log_id, MERKLE_HASH_LEN);
  snprintf(fl->log_id_b64, sizeof fl->log_id_b64, "%s", b64);
  free(b64);
}

void fake_log_fork(fake_log *fl, const fake_log *of) {
  *fl = *of;
  fl->own_signer = 0;
  fl->n = 0;
  memset(fl->body_b64, 0, sizeof fl->body_b64);
}

void fake_log_free(fake_log *fl) {
  for (size_t i = 0; i < fl->n; i++)
    free(fl->body_b64[i]);
  if (fl->own_signer)
    crypto_signer_free(fl->signer);
  memset(fl, 0, sizeof *fl);
}

size_t fake_log_add(fake_log *fl, const void *body, size_t len, int64_t t) {
  if (fl->n >= FAKE_MAX_ENTRIES)
    abort();
  size_t i = fl->n++;
  fl->body_b64[i] = fake_b64(body, len);
  merkle_leaf_hash(body, len, fl->leaf[i]);
  fl->time[i] = t;
  return i;
}

size_t fake_log_add_seed(fake_log *fl, int seed, int64_t t) {
  uint8_t digest[32];
  const char pem[] = "-----BEGIN PUBLIC KEY-----\nfake\n-----END PUBLIC "
                     "KEY-----\n";
  sbuf body = SBUF_INIT;
  crypto_sha256(&seed, sizeof seed, digest);
  fake_ok(rekor_hashedrekord_proposal(digest, digest, 8, pem, strlen(pem),
                                      &body), "proposal");
  size_t i = fake_log_add(fl, body.data, body.len, t);
  sbuf_free(&body);
  return i;
}

void fake_uuid(const fake_log *fl, size_t i, char out[65]) {
  hex_encode(fl->leaf[i], MERKLE_HASH_LEN, out);
}

static stella_err fake_leaf(void *ctx, uint64_t i, merkle_hash out) {
  const fake_log *fl = ctx;
  memcpy(out, fl->leaf[i], MERKLE_HASH_LEN);
  return STELLA_OK;
}

static void fake_root(const fake_log *fl, size_t size, merkle_hash root) {
  fake_ok(merkle_tree_root(fake_leaf, (void *)fl, size, root), "root");
}

/* The signed note of the first size entries. */
static void fake_checkpoint(const fake_log *fl, size_t size, sbuf *note) {
  merkle_hash root;
  sbuf text = SBUF_INIT;
  fake_root(fl, size, root);
  fake_ok(checkpoint_format_text(fl->origin, size, root, NULL, &text),
          "checkpoint text");
  fake_ok(checkpoint_sign(text.data, text.len, fl->name, fl->signer, note),
          "checkpoint sign");
  sbuf_free(&text);
}

static void fake_dump(json_t *o, sbuf *out) {
  char *s = json_dumps(o, JSON_COMPACT);
  if (!s)
    abort();
  fake_ok(sbuf_append_str(out, s), "append");
  free(s);
  json_decref(o);
}

static json_t *fake_hashes(const merkle_hash *v, size_t n) {
  json_t *arr = json_array();
  char hex[65];
  for (size_t i = 0; i < n; i++) {
    hex_encode(v[i], MERKLE_HASH_LEN, hex);
    json_array_append_new(arr, json_string(hex));
  }
  return arr;
}

void fake_log_info(const fake_log *fl, size_t size, sbuf *out) {
  merkle_hash root;
  char hex[65];
  sbuf note = SBUF_INIT;
  fake_root(fl, size, root);
  hex_encode(root, MERKLE_HASH_LEN, hex);
  fake_checkpoint(fl, size, &note);
  fake_dump(json_pack("{s:s, s:I, s:s, s:s}", "rootHash", hex, "treeSize",
                      (json_int_t)size, "signedTreeHead", note.data,
                      "treeID", fl->tree_id), out);
  sbuf_free(&note);
}

static char *fake_set(const fake_log *fl, size_t i, int64_t index) {
  sbuf payload = SBUF_INIT;
  uint8_t *sig = NULL;
  size_t siglen = 0;
  fake_ok(rekor_set_payload(fl->body_b64[i], fl->time[i], fl->log_id_hex,
                            index, &payload), "set payload");
  fake_ok(crypto_signer_sign(fl->signer, (const uint8_t *)payload.data,
                             payload.len, &sig, &siglen), "set sign");
  char *b64 = fake_b64(sig, siglen);
  free(sig);
  sbuf_free(&payload);
  return b64;
}

void fake_entry(const fake_log *fl, size_t i, size_t size, int64_t set_index,
                sbuf *out) {
  merkle_hash root, *proof = NULL;
  size_t n = 0;
  char hex[65], uuid[65];
  sbuf note = SBUF_INIT;
  fake_root(fl, size, root);
  hex_encode(root, MERKLE_HASH_LEN, hex);
  fake_ok(merkle_inclusion_proof(fake_leaf, (void *)fl, i, size, &proof, &n),
          "inclusion proof");
  fake_checkpoint(fl, size, &note);
  fake_uuid(fl, i, uuid);
  char *set = fake_set(fl, i, set_index);
  json_t *proof_obj = json_pack("{s:I, s:I, s:s, s:o, s:s}", "logIndex",
                                (json_int_t)i, "treeSize", (json_int_t)size,
                                "rootHash", hex, "hashes",
                                fake_hashes(proof, n), "checkpoint",
                                note.data);
  json_t *entry = json_pack(
      "{s:s, s:I, s:s, s:I, s:{s:s, s:o}}", "body", fl->body_b64[i],
      "integratedTime", (json_int_t)fl->time[i], "logID", fl->log_id_hex,
      "logIndex", (json_int_t)i, "verification", "signedEntryTimestamp", set,
      "inclusionProof", proof_obj);
  json_t *o = json_object();
  json_object_set_new(o, uuid, entry);
  fake_dump(o, out);
  free(set);
  free(proof);
  sbuf_free(&note);
}

void fake_proof(const fake_log *fl, size_t size1, size_t size2, sbuf *out) {
  merkle_hash root, *proof = NULL;
  size_t n = 0;
  char hex[65];
  fake_root(fl, size2, root);
  hex_encode(root, MERKLE_HASH_LEN, hex);
  fake_ok(merkle_consistency_proof(fake_leaf, (void *)fl, size1, size2,
                                   &proof, &n), "consistency proof");
  fake_dump(json_pack("{s:s, s:o}", "rootHash", hex, "hashes",
                      fake_hashes(proof, n)), out);
  free(proof);
}

void fake_serve(stella_fetcher *f, const char *base, const fake_log *fl,
                size_t size) {
  char url[512], uuid[65];
  sbuf b = SBUF_INIT;
  snprintf(url, sizeof url, "%s/api/v1/log", base);
  fake_log_info(fl, size, &b);
  mem_fetcher_add_bytes(f, url, b.data, b.len);
  for (size_t i = 0; i < size; i++) {
    sbuf_reset(&b);
    fake_entry(fl, i, size, (int64_t)i, &b);
    snprintf(url, sizeof url, "%s/api/v1/log/entries?logIndex=%zu", base, i);
    mem_fetcher_add_bytes(f, url, b.data, b.len);
    fake_uuid(fl, i, uuid);
    snprintf(url, sizeof url, "%s/api/v1/log/entries/%s", base, uuid);
    mem_fetcher_add_bytes(f, url, b.data, b.len);
  }
  sbuf_free(&b);
  fake_serve_proofs(f, base, fl, size);
}

void fake_serve_proofs(stella_fetcher *f, const char *base,
                       const fake_log *fl, size_t size) {
  char url[512];
  sbuf b = SBUF_INIT;
  for (size_t a = 1; a < size; a++) {
    sbuf_reset(&b);
    fake_proof(fl, a, size, &b);
    snprintf(url, sizeof url, "%s/api/v1/log/proof?firstSize=%zu&lastSize="
             "%zu&treeID=%s", base, a, size, fl->tree_id);
    mem_fetcher_add_bytes(f, url, b.data, b.len);
  }
  sbuf_free(&b);
}
