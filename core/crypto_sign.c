/* crypto_sign.c - key generation, PEM PKCS#8 key files and TUF signatures
 * with OpenSSL 3 EVP (ed25519, ECDSA P-256). */
#include "crypto_sign.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "crypto.h"
#include "fsutil.h"

struct crypto_signer {
  EVP_PKEY *pkey;
  int ecdsa; /* 0: ed25519, 1: ECDSA P-256 */
};

/* ed25519 or P-256; anything else is unsupported. */
static stella_err sign_classify(EVP_PKEY *pkey, int *ecdsa) {
  if (EVP_PKEY_is_a(pkey, "ED25519")) {
    *ecdsa = 0;
    return STELLA_OK;
  }
  char group[64] = "";
  size_t glen = 0;
  if (EVP_PKEY_is_a(pkey, "EC") &&
      EVP_PKEY_get_utf8_string_param(pkey, "group", group, sizeof group,
                                     &glen) == 1 &&
      (!strcmp(group, "prime256v1") || !strcmp(group, "P-256"))) {
    *ecdsa = 1;
    return STELLA_OK;
  }
  return STELLA_E_UNSUPPORTED;
}

static stella_err sign_wrap(EVP_PKEY *pkey, crypto_signer **out) {
  int ecdsa;
  stella_err e = sign_classify(pkey, &ecdsa);
  if (e) {
    EVP_PKEY_free(pkey);
    return e;
  }
  crypto_signer *s = calloc(1, sizeof *s);
  if (!s) {
    EVP_PKEY_free(pkey);
    return STELLA_E_NOMEM;
  }
  s->pkey = pkey;
  s->ecdsa = ecdsa;
  *out = s;
  return STELLA_OK;
}

stella_err crypto_signer_generate(const char *key_type, crypto_signer **out) {
  EVP_PKEY *pkey = NULL;
  *out = NULL;
  if (!key_type || !strcmp(key_type, "ed25519"))
    pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
  else if (!strcmp(key_type, "ecdsa-p256"))
    pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
  else
    return STELLA_E_UNSUPPORTED;
  if (!pkey)
    return STELLA_E_NOMEM;
  return sign_wrap(pkey, out);
}

stella_err crypto_signer_from_pem(const char *pem, size_t len,
                                  crypto_signer **out) {
  *out = NULL;
  if (len > (size_t)INT32_MAX)
    return STELLA_E_TOO_LARGE;
  BIO *bio = BIO_new_mem_buf(pem, (int)len);
  if (!bio)
    return STELLA_E_NOMEM;
  EVP_PKEY *pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
  BIO_free(bio);
  if (!pkey)
    return STELLA_E_PARSE;
  return sign_wrap(pkey, out);
}

void crypto_signer_free(crypto_signer *s) {
  if (!s)
    return;
  EVP_PKEY_free(s->pkey);
  free(s);
}

const char *crypto_signer_type(const crypto_signer *s) {
  return s->ecdsa ? "ecdsa-p256" : "ed25519";
}

/* Appends what a PEM writer put into a memory BIO to out (public keys). */
static stella_err sign_bio_to_sbuf(BIO *bio, sbuf *out) {
  char *p;
  long n = BIO_get_mem_data(bio, &p);
  if (n <= 0)
    return STELLA_E_NOMEM;
  return sbuf_append(out, p, (size_t)n);
}

stella_err crypto_signer_save(const crypto_signer *s, const char *path) {
  if (fs_exists(path))
    return STELLA_E_EXISTS;
  BIO *bio = BIO_new(BIO_s_secmem());
  if (!bio)
    bio = BIO_new(BIO_s_mem());
  if (!bio)
    return STELLA_E_NOMEM;
  stella_err e = STELLA_E_NOMEM;
  if (PEM_write_bio_PKCS8PrivateKey(bio, s->pkey, NULL, NULL, 0, NULL,
                                    NULL) == 1) {
    char *p;
    long n = BIO_get_mem_data(bio, &p);
    e = n > 0 ? fs_write_atomic(path, p, (size_t)n, 0600) : STELLA_E_NOMEM;
  }
  BIO_free(bio);
  return e;
}

stella_err crypto_signer_public_pem(const crypto_signer *s, sbuf *out) {
  BIO *bio = BIO_new(BIO_s_mem());
  if (!bio)
    return STELLA_E_NOMEM;
  stella_err e = PEM_write_bio_PUBKEY(bio, s->pkey) == 1
                     ? sign_bio_to_sbuf(bio, out)
                     : STELLA_E_NOMEM;
  BIO_free(bio);
  return e;
}

stella_err crypto_signer_public_der(const crypto_signer *s, uint8_t **der,
                                    size_t *len) {
  unsigned char *p = NULL;
  int n = i2d_PUBKEY(s->pkey, &p);
  if (n <= 0)
    return STELLA_E_NOMEM;
  *der = malloc((size_t)n);
  if (*der)
    memcpy(*der, p, (size_t)n);
  OPENSSL_free(p);
  *len = (size_t)n;
  return *der ? STELLA_OK : STELLA_E_NOMEM;
}

stella_err crypto_signer_tuf_fields(const crypto_signer *s,
                                    const char **keytype, const char **scheme,
                                    char **pub) {
  *pub = NULL;
  if (s->ecdsa) {
    sbuf b = SBUF_INIT;
    *keytype = "ecdsa";
    *scheme = "ecdsa-sha2-nistp256";
    stella_err e = crypto_signer_public_pem(s, &b);
    if (e) {
      sbuf_free(&b);
      return e;
    }
    *pub = sbuf_take(&b, NULL);
    return *pub ? STELLA_OK : STELLA_E_NOMEM;
  }
  uint8_t raw[32];
  size_t rawlen = sizeof raw;
  *keytype = "ed25519";
  *scheme = "ed25519";
  if (EVP_PKEY_get_raw_public_key(s->pkey, raw, &rawlen) != 1 || rawlen != 32)
    return STELLA_E_UNSUPPORTED;
  *pub = malloc(65);
  if (!*pub)
    return STELLA_E_NOMEM;
  hex_encode(raw, 32, *pub);
  return STELLA_OK;
}

stella_err crypto_signer_sign(const crypto_signer *s, const uint8_t *msg,
                              size_t len, uint8_t **sig, size_t *siglen) {
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  unsigned char *buf = NULL;
  size_t n = 0;
  *sig = NULL;
  *siglen = 0;
  if (!ctx)
    return STELLA_E_NOMEM;
  /* ed25519 is "pure" (no digest); ECDSA signs SHA-256, DER output. */
  if (EVP_DigestSignInit(ctx, NULL, s->ecdsa ? EVP_sha256() : NULL, NULL,
                         s->pkey) == 1 &&
      EVP_DigestSign(ctx, NULL, &n, msg, len) == 1 && (buf = malloc(n)) &&
      EVP_DigestSign(ctx, buf, &n, msg, len) == 1) {
    *sig = buf;
    *siglen = n;
    buf = NULL;
  }
  free(buf);
  EVP_MD_CTX_free(ctx);
  return *sig ? STELLA_OK : STELLA_E_NOMEM;
}

stella_err crypto_signer_sign_hex(const crypto_signer *s, const uint8_t *msg,
                                  size_t len, char **sig_hex) {
  uint8_t *sig;
  size_t siglen;
  *sig_hex = NULL;
  stella_err e = crypto_signer_sign(s, msg, len, &sig, &siglen);
  if (e)
    return e;
  *sig_hex = malloc(2 * siglen + 1);
  if (*sig_hex)
    hex_encode(sig, siglen, *sig_hex);
  free(sig);
  return *sig_hex ? STELLA_OK : STELLA_E_NOMEM;
}

stella_err crypto_signer_verify_key(const crypto_signer *s, crypto_key **out) {
  uint8_t *der;
  size_t len;
  *out = NULL;
  stella_err e = crypto_signer_public_der(s, &der, &len);
  if (e)
    return e;
  e = crypto_key_from_spki_der(der, len, out);
  free(der);
  return e;
}

stella_err crypto_public_pem_to_der(const char *pem, size_t len, uint8_t **der,
                                    size_t *derlen,
                                    const char **key_details) {
  *der = NULL;
  if (len > (size_t)INT32_MAX)
    return STELLA_E_TOO_LARGE;
  BIO *bio = BIO_new_mem_buf(pem, (int)len);
  if (!bio)
    return STELLA_E_NOMEM;
  EVP_PKEY *pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
  BIO_free(bio);
  if (!pkey)
    return STELLA_E_PARSE;
  int ecdsa;
  stella_err e = sign_classify(pkey, &ecdsa);
  if (!e) {
    crypto_signer tmp = {.pkey = pkey, .ecdsa = ecdsa};
    e = crypto_signer_public_der(&tmp, der, derlen);
    *key_details = ecdsa ? "PKIX_ECDSA_P256_SHA_256" : "PKIX_ED25519";
  }
  EVP_PKEY_free(pkey);
  return e;
}
