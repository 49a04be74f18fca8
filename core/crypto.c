/* crypto.c - digests, hex/base64, and TUF/Sigstore signature verification
 * with OpenSSL 3 EVP (ed25519, ECDSA P-256/P-384, RSA-PSS, RSA PKCS#1). */
#include "crypto.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

typedef enum key_padding {
  PAD_NONE = 0, /* ed25519, ECDSA */
  PAD_PSS,      /* RSASSA-PSS, MGF1 with the same hash, salt length auto */
  PAD_PKCS1     /* RSA PKCS#1 v1.5 (Sigstore trusted_root keys) */
} key_padding;

struct crypto_key {
  EVP_PKEY *pkey;
  const EVP_MD *md;    /* NULL for ed25519 (pure) */
  key_padding padding;
  char alg[24];        /* crypto_key_algorithm() */
};

/* ---- digests and encodings -------------------------------------------- */

/* EVP_sha256() makes OpenSSL 3 look the algorithm up on every call, about
 * three quarters of the cost of a 65-byte Merkle node hash: fetch it once
 * (EVP_sha256() stays the fallback). */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void) {
  sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

void crypto_sha256(const void *data, size_t len, uint8_t out[32]) {
  pthread_once(&sha256_once, sha256_fetch);
  EVP_Digest(data, len, out, NULL, sha256_md ? sha256_md : EVP_sha256(),
             NULL);
}

void crypto_sha512(const void *data, size_t len, uint8_t out[64]) {
  EVP_Digest(data, len, out, NULL, EVP_sha512(), NULL);
}

void hex_encode(const uint8_t *in, size_t n, char *out) {
  static const char digits[] = "0123456789abcdef";
  for (size_t i = 0; i < n; i++) {
    out[2 * i] = digits[in[i] >> 4];
    out[2 * i + 1] = digits[in[i] & 15];
  }
  out[2 * n] = '\0';
}

static int hex_digit(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

stella_err hex_decode(const char *hex, size_t hexlen, uint8_t **out,
                      size_t *outlen) {
  *out = NULL;
  *outlen = 0;
  if (hexlen % 2)
    return STELLA_E_PARSE;
  uint8_t *buf = malloc(hexlen / 2 + 1);
  if (!buf)
    return STELLA_E_NOMEM;
  for (size_t i = 0; i < hexlen; i += 2) {
    int hi = hex_digit(hex[i]), lo = hex_digit(hex[i + 1]);
    if (hi < 0 || lo < 0) {
      free(buf);
      return STELLA_E_PARSE;
    }
    buf[i / 2] = (uint8_t)(hi << 4 | lo);
  }
  *out = buf;
  *outlen = hexlen / 2;
  return STELLA_OK;
}

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int b64_value(char c) {
  const char *p = c ? strchr(b64_alphabet, c) : NULL;
  return p ? (int)(p - b64_alphabet) : -1;
}

static int b64_is_space(char c) {
  return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/* Decodes one quantum of 4 symbols (the last may carry 1-2 '='). Returns
 * bytes produced (1-3) or -1. */
static int b64_quantum(const char q[4], int last, uint8_t *dst) {
  int pad = (q[3] == '=') + (q[2] == '=' && q[3] == '=');
  if (pad && !last)
    return -1;
  uint32_t v = 0;
  for (int k = 0; k < 4 - pad; k++) {
    int d = b64_value(q[k]);
    if (d < 0)
      return -1;
    v = v << 6 | (uint32_t)d;
  }
  v <<= 6 * pad;
  dst[0] = (uint8_t)(v >> 16);
  dst[1] = (uint8_t)(v >> 8);
  dst[2] = (uint8_t)v;
  return 3 - pad;
}

stella_err base64_decode(const char *in, size_t inlen, uint8_t **out,
                         size_t *outlen) {
  size_t symbols = 0, done = 0, produced = 0;
  *out = NULL;
  *outlen = 0;
  for (size_t i = 0; i < inlen; i++)
    symbols += !b64_is_space(in[i]);
  if (symbols % 4)
    return STELLA_E_PARSE;
  uint8_t *buf = malloc(symbols / 4 * 3 + 1);
  if (!buf)
    return STELLA_E_NOMEM;
  char q[4];
  int nq = 0;
  for (size_t i = 0; i < inlen; i++) {
    if (b64_is_space(in[i]))
      continue;
    q[nq++] = in[i];
    if (nq < 4)
      continue;
    done += 4;
    int n = b64_quantum(q, done == symbols, buf + produced);
    if (n < 0) {
      free(buf);
      return STELLA_E_PARSE;
    }
    produced += (size_t)n;
    nq = 0;
  }
  *out = buf;
  *outlen = produced;
  return STELLA_OK;
}

stella_err base64_encode(const uint8_t *in, size_t n, char **out) {
  char *s = malloc((n + 2) / 3 * 4 + 1), *p = s;
  if (!s)
    return STELLA_E_NOMEM;
  for (size_t i = 0; i < n; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16;
    if (i + 1 < n)
      v |= (uint32_t)in[i + 1] << 8;
    if (i + 2 < n)
      v |= in[i + 2];
    *p++ = b64_alphabet[v >> 18];
    *p++ = b64_alphabet[(v >> 12) & 63];
    *p++ = i + 1 < n ? b64_alphabet[(v >> 6) & 63] : '=';
    *p++ = i + 2 < n ? b64_alphabet[v & 63] : '=';
  }
  *p = '\0';
  *out = s;
  return STELLA_OK;
}

int crypto_digest_equals_hex(const uint8_t *digest, size_t n,
                             const char *hex) {
  if (!hex || strlen(hex) != 2 * n)
    return 0;
  unsigned diff = 0;
  for (size_t i = 0; i < n; i++) {
    int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return 0;
    diff |= (unsigned)(digest[i] ^ (hi << 4 | lo));
  }
  return diff == 0;
}

/* ---- keys ------------------------------------------------------------- */

static stella_err key_wrap(EVP_PKEY *pkey, const EVP_MD *md,
                           key_padding padding, const char *alg,
                           crypto_key **out) {
  crypto_key *k = calloc(1, sizeof(*k));
  if (!k) {
    EVP_PKEY_free(pkey);
    return STELLA_E_NOMEM;
  }
  k->pkey = pkey;
  k->md = md;
  k->padding = padding;
  snprintf(k->alg, sizeof(k->alg), "%s", alg);
  *out = k;
  return STELLA_OK;
}

static EVP_PKEY *pem_public_key(const char *pem, size_t len) {
  if (len > INT_MAX)
    return NULL;
  BIO *bio = BIO_new_mem_buf(pem, (int)len);
  EVP_PKEY *pkey = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
  BIO_free(bio);
  return pkey;
}

static stella_err ed25519_key(const char *pub, size_t publen,
                              crypto_key **out) {
  uint8_t *raw;
  size_t rawlen;
  if (hex_decode(pub, publen, &raw, &rawlen) || rawlen != 32) {
    free(raw);
    return STELLA_E_PARSE;
  }
  EVP_PKEY *pkey =
      EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw, rawlen);
  free(raw);
  if (!pkey)
    return STELLA_E_PARSE;
  return key_wrap(pkey, NULL, PAD_NONE, "ed25519", out);
}

/* An EC key from the hex uncompressed point 04||X||Y on the named curve. */
static EVP_PKEY *ec_point_key(const char *group, const char *hex,
                              size_t hexlen) {
  uint8_t *point;
  size_t pointlen;
  EVP_PKEY *pkey = NULL;
  if (hex_decode(hex, hexlen, &point, &pointlen))
    return NULL;
  EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
                                       (char *)group, 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point,
                                        pointlen),
      OSSL_PARAM_construct_end()};
  if (ctx && pointlen && point[0] == 0x04 &&
      EVP_PKEY_fromdata_init(ctx) == 1)
    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params);
  EVP_PKEY_CTX_free(ctx);
  free(point);
  return pkey;
}

/* The curve of an EC key: 256 for P-256, 384 for P-384, 0 for any other
 * (secp256k1 and brainpoolP256r1 are 256 bits too, but not supported) or
 * a key that is not EC. */
static int ec_curve(EVP_PKEY *pkey) {
  char group[64] = "";
  if (!EVP_PKEY_is_a(pkey, "EC") ||
      EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group,
                                     sizeof group, NULL) != 1)
    return 0;
  if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0)
    return 256;
  if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0)
    return 384;
  return 0;
}

static int is_rsa(EVP_PKEY *pkey) {
  return EVP_PKEY_is_a(pkey, "RSA") || EVP_PKEY_is_a(pkey, "RSA-PSS");
}

/* Every public key stella verifies with passes here: Ed25519, ECDSA on
 * P-256 or P-384, RSA of at least CRYPTO_RSA_MIN_BITS. Otherwise
 * STELLA_E_UNSUPPORTED and why (if whylen) names what the key is. */
static stella_err key_policy(EVP_PKEY *pkey, char *why, size_t whylen) {
  char group[64] = "";
  int bits = EVP_PKEY_get_bits(pkey);
  if (EVP_PKEY_is_a(pkey, "ED25519") || ec_curve(pkey) ||
      (is_rsa(pkey) && bits >= CRYPTO_RSA_MIN_BITS))
    return STELLA_OK;
  if (!why || !whylen)
    return STELLA_E_UNSUPPORTED;
  if (is_rsa(pkey))
    snprintf(why, whylen, "an RSA key of %d bits (at least %d are needed)",
             bits, CRYPTO_RSA_MIN_BITS);
  else if (EVP_PKEY_is_a(pkey, "EC"))
    snprintf(why, whylen, "an EC key on curve %s (only P-256 and P-384 are "
             "supported)",
             EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME,
                                            group, sizeof group, NULL) == 1
                 ? group : "of explicit parameters");
  else
    snprintf(why, whylen, "a %s key (only Ed25519, ECDSA P-256/P-384 and "
             "RSA of %d bits or more are supported)",
             EVP_PKEY_get0_type_name(pkey) ? EVP_PKEY_get0_type_name(pkey)
                                           : "?", CRYPTO_RSA_MIN_BITS);
  return STELLA_E_UNSUPPORTED;
}

/* keytype "ecdsa" or "ecdsa-sha2-nistpNNN"; the scheme picks the curve
 * and hash, and a PEM key must be on that curve. */
static stella_err ecdsa_key(const char *keytype, const char *scheme,
                            const char *pub, size_t publen,
                            crypto_key **out) {
  int p384 = strcmp(scheme, "ecdsa-sha2-nistp384") == 0;
  if (!p384 && strcmp(scheme, "ecdsa-sha2-nistp256") != 0)
    return STELLA_E_UNSUPPORTED;
  if (strcmp(keytype, "ecdsa") != 0 && strcmp(keytype, scheme) != 0)
    return STELLA_E_UNSUPPORTED;
  EVP_PKEY *pkey = publen >= 10 && memcmp(pub, "-----BEGIN", 10) == 0
                       ? pem_public_key(pub, publen)
                       : ec_point_key(p384 ? "secp384r1" : "prime256v1",
                                      pub, publen);
  if (!pkey || ec_curve(pkey) != (p384 ? 384 : 256)) {
    EVP_PKEY_free(pkey);
    return STELLA_E_PARSE;
  }
  return key_wrap(pkey, p384 ? EVP_sha384() : EVP_sha256(), PAD_NONE,
                  p384 ? "ecdsa-p384" : "ecdsa-p256", out);
}

static stella_err rsa_pss_key(const char *scheme, const char *pub,
                              size_t publen, crypto_key **out) {
  static const struct {
    const char *scheme;
    const char *md;
  } schemes[] = {{"rsassa-pss-sha256", "SHA256"},
                 {"rsassa-pss-sha384", "SHA384"},
                 {"rsassa-pss-sha512", "SHA512"}};
  const EVP_MD *md = NULL;
  for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
    if (strcmp(scheme, schemes[i].scheme) == 0)
      md = EVP_get_digestbyname(schemes[i].md);
  if (!md)
    return STELLA_E_UNSUPPORTED;
  EVP_PKEY *pkey = pem_public_key(pub, publen);
  if (!pkey || !is_rsa(pkey)) {
    EVP_PKEY_free(pkey);
    return STELLA_E_PARSE;
  }
  if (key_policy(pkey, NULL, 0)) {
    EVP_PKEY_free(pkey);
    return STELLA_E_UNSUPPORTED;
  }
  char alg[24];
  snprintf(alg, sizeof(alg), "rsa-%d", EVP_PKEY_get_bits(pkey));
  return key_wrap(pkey, md, PAD_PSS, alg, out);
}

stella_err crypto_key_from_tuf(const char *keytype, const char *scheme,
                               const char *pub, size_t publen,
                               crypto_key **out) {
  stella_err e;
  *out = NULL;
  if (!keytype || !scheme || !pub)
    return STELLA_E_INVALID_ARG;
  if (strcmp(keytype, "ed25519") == 0)
    e = strcmp(scheme, "ed25519") == 0 ? ed25519_key(pub, publen, out)
                                       : STELLA_E_UNSUPPORTED;
  else if (strncmp(keytype, "ecdsa", 5) == 0)
    e = ecdsa_key(keytype, scheme, pub, publen, out);
  else if (strcmp(keytype, "rsa") == 0)
    e = rsa_pss_key(scheme, pub, publen, out);
  else
    e = STELLA_E_UNSUPPORTED;
  ERR_clear_error();
  return e;
}

/* A key from SPKI (PEM or DER) under key_policy; takes pkey. */
static stella_err spki_wrap(EVP_PKEY *pkey, crypto_key **out, char *why,
                            size_t whylen) {
  int bits = EVP_PKEY_get_bits(pkey), curve = ec_curve(pkey);
  char alg[24];
  stella_err e = key_policy(pkey, why, whylen);
  if (!e && EVP_PKEY_is_a(pkey, "ED25519"))
    return key_wrap(pkey, NULL, PAD_NONE, "ed25519", out);
  if (!e && curve)
    return key_wrap(pkey, curve == 384 ? EVP_sha384() : EVP_sha256(),
                    PAD_NONE, curve == 384 ? "ecdsa-p384" : "ecdsa-p256", out);
  if (!e && EVP_PKEY_is_a(pkey, "RSA")) {
    snprintf(alg, sizeof(alg), "rsa-%d", bits);
    return key_wrap(pkey, EVP_sha256(), PAD_PKCS1, alg, out);
  }
  if (!e && why && whylen) /* RSA-PSS restricted keys: no PKCS#1 here */
    snprintf(why, whylen, "an RSA-PSS key (give an RSA, ECDSA or Ed25519 "
             "key)");
  EVP_PKEY_free(pkey);
  return STELLA_E_UNSUPPORTED;
}

stella_err crypto_key_from_spki_der(const uint8_t *der, size_t len,
                                    crypto_key **out) {
  *out = NULL;
  if (!der || len > LONG_MAX)
    return STELLA_E_INVALID_ARG;
  const unsigned char *p = der;
  EVP_PKEY *pkey = d2i_PUBKEY(NULL, &p, (long)len);
  ERR_clear_error();
  if (!pkey || p != der + len) { /* trailing bytes are not a key */
    EVP_PKEY_free(pkey);
    return STELLA_E_PARSE;
  }
  return spki_wrap(pkey, out, NULL, 0);
}

stella_err crypto_key_from_pem_why(const char *pem, size_t len,
                                   crypto_key **out, char *why,
                                   size_t whylen) {
  *out = NULL;
  if (why && whylen)
    snprintf(why, whylen, "not a PEM public key");
  if (!pem)
    return STELLA_E_INVALID_ARG;
  EVP_PKEY *pkey = pem_public_key(pem, len);
  ERR_clear_error();
  if (!pkey)
    return STELLA_E_PARSE;
  return spki_wrap(pkey, out, why, whylen);
}

stella_err crypto_key_from_pem(const char *pem, size_t len,
                               crypto_key **out) {
  return crypto_key_from_pem_why(pem, len, out, NULL, 0);
}

void crypto_key_free(crypto_key *k) {
  if (!k)
    return;
  EVP_PKEY_free(k->pkey);
  free(k);
}

/* ---- verification ----------------------------------------------------- */

static int set_padding(const crypto_key *k, EVP_PKEY_CTX *pctx) {
  if (k->padding == PAD_PKCS1)
    return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0;
  if (k->padding == PAD_PSS)
    return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
           EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, k->md) > 0 &&
           EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) > 0;
  return 1;
}

int crypto_verify(const crypto_key *k, const uint8_t *msg, size_t msglen,
                  const uint8_t *sig, size_t siglen) {
  static const uint8_t empty[1];
  if (!k || !sig || siglen == 0 || (!msg && msglen))
    return 0;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX *pctx = NULL;
  int ok = ctx &&
           EVP_DigestVerifyInit(ctx, &pctx, k->md, NULL, k->pkey) == 1 &&
           set_padding(k, pctx) &&
           EVP_DigestVerify(ctx, sig, siglen, msg ? msg : empty, msglen) == 1;
  EVP_MD_CTX_free(ctx);
  ERR_clear_error();
  return ok;
}

int crypto_verify_digest_sha256(const crypto_key *k, const uint8_t digest[32],
                                const uint8_t *sig, size_t siglen) {
  /* Ed25519 signs the message itself, and a PSS key was made for its own
   * TUF scheme: only ECDSA and PKCS#1 v1.5 keys sign a bare digest here. */
  if (!k || !digest || !sig || siglen == 0 || !k->md ||
      (k->padding != PAD_NONE && k->padding != PAD_PKCS1))
    return 0;
  EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new(k->pkey, NULL);
  int ok = pctx && EVP_PKEY_verify_init(pctx) == 1 && set_padding(k, pctx) &&
           EVP_PKEY_CTX_set_signature_md(pctx, EVP_sha256()) > 0 &&
           EVP_PKEY_verify(pctx, sig, siglen, digest, 32) == 1;
  EVP_PKEY_CTX_free(pctx);
  ERR_clear_error();
  return ok;
}

int crypto_verify_hex(const crypto_key *k, const uint8_t *msg, size_t msglen,
                      const char *sig_hex, size_t sighexlen) {
  uint8_t *sig;
  size_t siglen;
  if (!sig_hex || hex_decode(sig_hex, sighexlen, &sig, &siglen))
    return 0;
  int ok = crypto_verify(k, msg, msglen, sig, siglen);
  free(sig);
  return ok;
}

stella_err crypto_key_spki_der(const crypto_key *k, uint8_t **der,
                               size_t *len) {
  *der = NULL;
  *len = 0;
  if (!k)
    return STELLA_E_INVALID_ARG;
  int n = i2d_PUBKEY(k->pkey, NULL);
  if (n <= 0)
    return STELLA_E_PARSE;
  uint8_t *buf = malloc((size_t)n), *p = buf;
  if (!buf)
    return STELLA_E_NOMEM;
  if (i2d_PUBKEY(k->pkey, &p) != n) {
    free(buf);
    ERR_clear_error();
    return STELLA_E_PARSE;
  }
  *der = buf;
  *len = (size_t)n;
  return STELLA_OK;
}

const char *crypto_key_algorithm(const crypto_key *k) {
  return k ? k->alg : "none";
}
