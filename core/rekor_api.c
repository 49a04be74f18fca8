/* rekor_api.c - the Rekor v1 API replies the client reads besides entries
 * (GET /api/v1/log, GET /api/v1/log/proof) and the hashedrekord proposal
 * it POSTs to /api/v1/log/entries. */
#include "rekor_verify.h"

#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "rekor_internal.h"

/* Trillian tree IDs are int64 in decimal. */
#define RK_MAX_TREE_ID 20

void rekor_log_info_clear(rekor_log_info *li) {
  if (!li)
    return;
  free(li->tree_id);
  free(li->signed_tree_head);
  memset(li, 0, sizeof *li);
}

static int rk_tree_id_ok(const char *s) {
  size_t n = s ? strlen(s) : 0;
  return n > 0 && n <= RK_MAX_TREE_ID && strspn(s, "0123456789") == n;
}

static void rk_log_info_clear(void *ctx) { rekor_log_info_clear(ctx); }

/* The members of a log info object into li; *why names a bad one. */
static stella_err rk_log_info_fill(const json_val *o, void *ctx,
                                   const char **why) {
  rekor_log_info *li = ctx;
  int64_t size;
  size_t sth_len;
  const char *sth = json_str(json_get(o, "signedTreeHead"), &sth_len);
  const char *tree_id = json_get_str(o, "treeID");
  const json_val *shards = rekor_opt(o, "inactiveShards");
  *why = "rootHash is not 64 hex digits";
  if (rekor_hash_decode(json_get(o, "rootHash"), 1, li->root_hash))
    return STELLA_E_FORMAT;
  *why = "treeSize is missing or not a non-negative integer";
  if (json_get_int(o, "treeSize", &size) || size < 0)
    return STELLA_E_FORMAT;
  li->tree_size = (uint64_t)size;
  *why = "signedTreeHead is missing or not a checkpoint-sized string";
  if (!sth || sth_len == 0 || sth_len > CHECKPOINT_MAX_BYTES ||
      strlen(sth) != sth_len)
    return STELLA_E_FORMAT;
  *why = "treeID is missing or not a decimal string";
  if (!rk_tree_id_ok(tree_id))
    return STELLA_E_FORMAT;
  *why = "inactiveShards is not a list";
  if (shards && json_type_of(shards) != JV_ARRAY)
    return STELLA_E_FORMAT;
  li->n_inactive_shards = json_len(shards);
  li->tree_id = strdup(tree_id);
  li->signed_tree_head = strdup(sth);
  return li->tree_id && li->signed_tree_head ? STELLA_OK : STELLA_E_NOMEM;
}

stella_err rekor_log_info_parse(const char *buf, size_t len,
                                rekor_log_info *out, char *errbuf,
                                size_t errlen) {
  memset(out, 0, sizeof *out);
  return rekor_parse_object(buf, len, "log info", rk_log_info_fill, out,
                            rk_log_info_clear, errbuf, errlen);
}

void rekor_consistency_clear(rekor_consistency *c) {
  if (!c)
    return;
  free(c->hashes);
  memset(c, 0, sizeof *c);
}

static void rk_consistency_clear(void *ctx) { rekor_consistency_clear(ctx); }

static stella_err rk_consistency_fill(const json_val *o, void *ctx,
                                      const char **why) {
  rekor_consistency *c = ctx;
  const json_val *hashes = rekor_opt(o, "hashes");
  *why = "rootHash is not 64 hex digits";
  if (rekor_hash_decode(json_get(o, "rootHash"), 1, c->root_hash))
    return STELLA_E_FORMAT;
  if (!hashes) /* absent: equal sizes, nothing to prove */
    return STELLA_OK;
  return rekor_hash_list(hashes, 1, &c->hashes, &c->n_hashes, why);
}

stella_err rekor_consistency_parse(const char *buf, size_t len,
                                   rekor_consistency *out, char *errbuf,
                                   size_t errlen) {
  memset(out, 0, sizeof *out);
  return rekor_parse_object(buf, len, "consistency proof",
                            rk_consistency_fill, out, rk_consistency_clear,
                            errbuf, errlen);
}

stella_err rekor_hashedrekord_proposal(const uint8_t digest[32],
                                       const uint8_t *sig, size_t siglen,
                                       const char *pubkey_pem, size_t pemlen,
                                       sbuf *out) {
  char hex[2 * 32 + 1], *sig_b64 = NULL, *pem_b64 = NULL;
  if (!digest || !sig || !siglen || !pubkey_pem || !pemlen)
    return STELLA_E_INVALID_ARG;
  hex_encode(digest, 32, hex);
  stella_err e = base64_encode(sig, siglen, &sig_b64);
  if (!e)
    e = base64_encode((const uint8_t *)pubkey_pem, pemlen, &pem_b64);
  /* Base64 and hex need no JSON escapes: the body is built as text. */
  if (!e)
    e = sbuf_printf(out,
                    "{\"apiVersion\":\"0.0.1\",\"kind\":\"hashedrekord\","
                    "\"spec\":{\"data\":{\"hash\":{\"algorithm\":\"sha256\","
                    "\"value\":\"%s\"}},\"signature\":{\"content\":\"%s\","
                    "\"publicKey\":{\"content\":\"%s\"}}}}",
                    hex, sig_b64, pem_b64);
  free(sig_b64);
  free(pem_b64);
  return e;
}
