/* test_crypto.c - real TUF signatures (ECDSA hex point and PEM, RSA-PSS,
 * ed25519) verify over the canonical bytes; tampering, garbage and wrong
 * keys do not; digests, hex and base64. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "crypto.h"
#include "fsutil.h"
#include "json.h"

static void read_data(const char *rel, sbuf *out) {
  const char *data = getenv("STELLA_TEST_DATA");
  assert_non_null(data);
  char *path = fs_join(data, rel);
  sbuf_reset(out);
  if (fs_read_file(path, 0, out) != STELLA_OK)
    fail_msg("cannot read %s", path);
  free(path);
}

static json_doc *load_json(const char *rel) {
  sbuf b = SBUF_INIT;
  json_doc *doc = NULL;
  read_data(rel, &b);
  assert_int_equal(json_parse(b.data, b.len, &doc, NULL, 0), STELLA_OK);
  sbuf_free(&b);
  return doc;
}

/* The key object for keyid in a TUF "keys" map, as a crypto_key. */
static crypto_key *tuf_key(const json_val *keys, const char *keyid) {
  const json_val *k = json_get(keys, keyid);
  size_t publen;
  const char *pub = json_str(json_get(json_get(k, "keyval"), "public"),
                             &publen);
  crypto_key *key = NULL;
  if (!k)
    return NULL;
  assert_int_equal(crypto_key_from_tuf(json_get_str(k, "keytype"),
                                       json_get_str(k, "scheme"), pub, publen,
                                       &key),
                   STELLA_OK);
  return key;
}

typedef struct sig_case {
  const char *keys_file; /* where the keys are */
  int delegated;         /* keys under signed.delegations.keys */
  const char *file;      /* the signed metadata */
  const char *canonical; /* expected canonical bytes; NULL: compute */
  int valid;             /* signatures by known keys, all must verify */
  const char *alg;       /* algorithm of the first known key */
} sig_case;

static const sig_case sig_cases[] = {
    {"tuf-canonical-json/input/sigstore-1.root.json", 0,
     "tuf-canonical-json/input/sigstore-1.root.json",
     "tuf-canonical-json/expected/sigstore-1.root.signed.canonical", 5,
     "ecdsa-p256"},
    {"tuf-canonical-json/input/sigstore-5.root.json", 0,
     "tuf-canonical-json/input/sigstore-5.root.json",
     "tuf-canonical-json/expected/sigstore-5.root.signed.canonical", 4,
     "ecdsa-p256"},
    {"tuf-canonical-json/input/rekor-testdata-reformat.1.root.json", 0,
     "tuf-canonical-json/input/rekor-testdata-reformat.1.root.json",
     "tuf-canonical-json/expected/sigstore-5.root.signed.canonical", 4,
     "ecdsa-p256"},
    {"tuf-canonical-json/input/sigstore-11.root.json", 0,
     "tuf-canonical-json/input/sigstore-11.root.json",
     "tuf-canonical-json/expected/sigstore-11.root.signed.canonical", 5,
     "ecdsa-p256"},
    {"tuf-canonical-json/input/sigstore-15.root.json", 0,
     "tuf-canonical-json/input/sigstore-15.root.json",
     "tuf-canonical-json/expected/sigstore-15.root.signed.canonical", 5,
     "ecdsa-p256"},
    {"tuf-canonical-json/input/sigstore-15.root.json", 0,
     "tuf-canonical-json/input/sigstore-timestamp.v762.json",
     "tuf-canonical-json/expected/sigstore-timestamp.v762.signed.canonical",
     1, "ecdsa-p256"},
    {"tuf-canonical-json/input/sigstore-15.root.json", 0,
     "tuf-canonical-json/input/sigstore-snapshot.v165.json",
     "tuf-canonical-json/expected/sigstore-snapshot.v165.signed.canonical", 1,
     "ecdsa-p256"},
    {"tuf-canonical-json/input/sigstore-15.root.json", 0,
     "tuf-canonical-json/input/sigstore-targets.v14.json",
     "tuf-canonical-json/expected/sigstore-targets.v14.signed.canonical", 5,
     "ecdsa-p256"},
    {"tuf-canonical-json/input/sigstore-targets.v14.json", 1,
     "tuf-canonical-json/input/sigstore-registry.npmjs.org.v8.json",
     "tuf-canonical-json/expected/"
     "sigstore-registry.npmjs.org.v8.signed.canonical",
     1, "ecdsa-p256"},
    {"tuf-canonical-json/input/python-tuf-root.json", 0,
     "tuf-canonical-json/input/python-tuf-root.json",
     "tuf-canonical-json/expected/python-tuf-root.signed.canonical", 1,
     "rsa-3072"},
    {"tuf-python-tuf-repository/metadata/root.json", 0,
     "tuf-python-tuf-repository/metadata/timestamp.json", NULL, 1, "ed25519"},
};

/* The message: the expected canonical file, or canonical("signed"). */
static void case_message(const sig_case *c, const json_doc *doc, sbuf *msg) {
  if (c->canonical) {
    read_data(c->canonical, msg);
    return;
  }
  sbuf_reset(msg);
  assert_int_equal(
      json_canonical(json_get(json_root(doc), "signed"), msg), STELLA_OK);
}

/* Every known signature verifies; a flipped message byte, a flipped
 * signature byte and a truncated signature do not. */
static int check_signature(const crypto_key *key, sbuf *msg,
                           const char *sig_hex) {
  size_t hexlen = strlen(sig_hex);
  int ok = crypto_verify_hex(key, (uint8_t *)msg->data, msg->len, sig_hex,
                             hexlen);
  msg->data[msg->len / 2] ^= 0x01;
  assert_int_equal(crypto_verify_hex(key, (uint8_t *)msg->data, msg->len,
                                     sig_hex, hexlen),
                   0);
  msg->data[msg->len / 2] ^= 0x01;
  uint8_t *sig;
  size_t siglen;
  assert_int_equal(hex_decode(sig_hex, hexlen, &sig, &siglen), STELLA_OK);
  sig[siglen - 1] ^= 0x80;
  assert_int_equal(
      crypto_verify(key, (uint8_t *)msg->data, msg->len, sig, siglen), 0);
  sig[siglen - 1] ^= 0x80;
  assert_int_equal(
      crypto_verify(key, (uint8_t *)msg->data, msg->len, sig, siglen - 1), 0);
  free(sig);
  return ok;
}

static void run_sig_case(const sig_case *c) {
  json_doc *keys_doc = load_json(c->keys_file), *doc = load_json(c->file);
  const json_val *keys = json_get(json_root(keys_doc), "signed");
  if (c->delegated)
    keys = json_get(keys, "delegations");
  keys = json_get(keys, "keys");
  sbuf msg = SBUF_INIT;
  case_message(c, doc, &msg);
  const json_val *sigs = json_get(json_root(doc), "signatures");
  int valid = 0, known = 0;
  for (size_t i = 0; i < json_len(sigs); i++) {
    const json_val *s = json_at(sigs, i);
    crypto_key *key = tuf_key(keys, json_get_str(s, "keyid"));
    if (!key)
      continue;
    if (known++ == 0)
      assert_string_equal(crypto_key_algorithm(key), c->alg);
    valid += check_signature(key, &msg, json_get_str(s, "sig"));
    crypto_key_free(key);
  }
  if (valid != c->valid || known != c->valid)
    fail_msg("%s: %d of %d known signatures valid, want %d", c->file, valid,
             known, c->valid);
  sbuf_free(&msg);
  json_doc_free(doc);
  json_doc_free(keys_doc);
}

static void test_real_signatures(void **state) {
  (void)state;
  for (size_t i = 0; i < sizeof(sig_cases) / sizeof(sig_cases[0]); i++)
    run_sig_case(&sig_cases[i]);
}

/* Sigstore root v1 keys are hex points; later roots PEM. A signature by
 * one key never verifies under another. */
static void test_hex_point_and_wrong_key(void **state) {
  (void)state;
  json_doc *doc = load_json("tuf-canonical-json/input/sigstore-1.root.json");
  const json_val *keys = json_get(json_get(json_root(doc), "signed"), "keys");
  const char *pub =
      json_get_str(json_get(json_val_at(keys, 0), "keyval"), "public");
  assert_non_null(pub);
  assert_int_equal(strncmp(pub, "04", 2), 0);
  assert_int_equal(strlen(pub), 130);
  sbuf msg = SBUF_INIT;
  read_data("tuf-canonical-json/expected/sigstore-1.root.signed.canonical",
            &msg);
  const json_val *sigs = json_get(json_root(doc), "signatures");
  const json_val *s0 = json_at(sigs, 0), *s1 = json_at(sigs, 1);
  crypto_key *k1 = tuf_key(keys, json_get_str(s1, "keyid"));
  const char *sig0 = json_get_str(s0, "sig");
  assert_int_equal(crypto_verify_hex(k1, (uint8_t *)msg.data, msg.len, sig0,
                                     strlen(sig0)),
                   0);
  crypto_key_free(k1);
  sbuf_free(&msg);
  json_doc_free(doc);
}

static void test_garbage_signatures(void **state) {
  (void)state;
  json_doc *doc = load_json("tuf-python-tuf-repository/metadata/root.json");
  const json_val *keys = json_get(json_get(json_root(doc), "signed"), "keys");
  for (size_t i = 0; i < json_len(keys); i++) {
    crypto_key *k = tuf_key(keys, json_key_at(keys, i, NULL));
    static const char *bad[] = {"", "0", "zz", "00", "3006020100020100",
                                "ffffffffffffffffffffffffffffffff"};
    for (size_t j = 0; j < sizeof(bad) / sizeof(bad[0]); j++)
      assert_int_equal(
          crypto_verify_hex(k, (const uint8_t *)"m", 1, bad[j], strlen(bad[j])),
          0);
    uint8_t zeros[512] = {0};
    assert_int_equal(crypto_verify(k, NULL, 0, zeros, sizeof(zeros)), 0);
    assert_int_equal(crypto_verify(k, NULL, 0, zeros, 0), 0);
    assert_int_equal(crypto_verify(k, NULL, 0, NULL, 0), 0);
    crypto_key_free(k);
  }
  assert_int_equal(crypto_verify(NULL, (const uint8_t *)"m", 1,
                                 (const uint8_t *)"s", 1),
                   0);
  assert_int_equal(crypto_verify_hex(NULL, NULL, 0, NULL, 0), 0);
  json_doc_free(doc);
}

static void test_key_errors(void **state) {
  (void)state;
  static const char ec_pem[] =
      "-----BEGIN PUBLIC KEY-----\n"
      "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEVfei1dXQRVeArCMcTDgxJtYg+Fs7\n"
      "V87DjhQbGlRJPyC7SW5TbNNkmvpmi4LeTv6moLVZ7T2nVqiRZbSkD+cf8w==\n"
      "-----END PUBLIC KEY-----\n";
  static const char ed_hex[] =
      "edcd0a32a07dce33f7c7873aaffbff36d20ea30787574ead335eefd337e4dacd";
  static const struct {
    const char *keytype, *scheme, *pub;
    stella_err want;
  } cases[] = {
      {"ed25519", "ed25519", ed_hex, STELLA_OK},
      {"ed25519", "ed25519", "edcd0a", STELLA_E_PARSE},
      {"ed25519", "ed25519", "xx", STELLA_E_PARSE},
      {"ed25519", "ecdsa-sha2-nistp256", ed_hex, STELLA_E_UNSUPPORTED},
      {"ecdsa", "ecdsa-sha2-nistp256", ec_pem, STELLA_OK},
      {"ecdsa-sha2-nistp256", "ecdsa-sha2-nistp256", ec_pem, STELLA_OK},
      {"ecdsa", "ecdsa-sha2-nistp384", ec_pem, STELLA_E_PARSE},
      {"ecdsa-sha2-nistp384", "ecdsa-sha2-nistp256", ec_pem,
       STELLA_E_UNSUPPORTED},
      {"ecdsa", "ecdsa-sha2-nistp521", ec_pem, STELLA_E_UNSUPPORTED},
      {"ecdsa", "ecdsa-sha2-nistp256", "-----BEGIN PUBLIC KEY-----\nAAAA\n",
       STELLA_E_PARSE},
      {"ecdsa", "ecdsa-sha2-nistp256", "04abcd", STELLA_E_PARSE},
      {"ecdsa", "ecdsa-sha2-nistp256", ed_hex, STELLA_E_PARSE},
      {"rsa", "rsassa-pss-sha256", ec_pem, STELLA_E_PARSE},
      {"rsa", "rsassa-pss-md5", ec_pem, STELLA_E_UNSUPPORTED},
      {"rsa", "rsa-pkcs1v15-sha256", ec_pem, STELLA_E_UNSUPPORTED},
      {"dsa", "dsa", ec_pem, STELLA_E_UNSUPPORTED},
  };
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    crypto_key *k = (crypto_key *)1;
    stella_err e = crypto_key_from_tuf(cases[i].keytype, cases[i].scheme,
                                       cases[i].pub, strlen(cases[i].pub), &k);
    if (e != cases[i].want)
      fail_msg("case %zu (%s/%s): got %d want %d", i, cases[i].keytype,
               cases[i].scheme, e, cases[i].want);
    assert_true(e == STELLA_OK ? k != NULL : k == NULL);
    crypto_key_free(k);
  }
}

/* A key survives DER SPKI export/import and still verifies its real
 * signature; RSA from SPKI means PKCS#1 v1.5, so a PSS signature fails. */
static void check_spki_roundtrip(const char *keys_file, const char *file,
                                 int want) {
  json_doc *keys_doc = load_json(keys_file), *doc = load_json(file);
  const json_val *keys =
      json_get(json_get(json_root(keys_doc), "signed"), "keys");
  const json_val *sig = json_at(json_get(json_root(doc), "signatures"), 0);
  crypto_key *k = tuf_key(keys, json_get_str(sig, "keyid")), *k2 = NULL;
  uint8_t *der;
  size_t derlen;
  sbuf msg = SBUF_INIT;
  assert_int_equal(
      json_canonical(json_get(json_root(doc), "signed"), &msg), STELLA_OK);
  assert_int_equal(crypto_key_spki_der(k, &der, &derlen), STELLA_OK);
  assert_int_equal(crypto_key_from_spki_der(der, derlen, &k2), STELLA_OK);
  assert_string_equal(crypto_key_algorithm(k2), crypto_key_algorithm(k));
  const char *hex = json_get_str(sig, "sig");
  assert_int_equal(crypto_verify_hex(k2, (uint8_t *)msg.data, msg.len, hex,
                                     strlen(hex)),
                   want);
  crypto_key *k3 = (crypto_key *)1;
  uint8_t *longer = malloc(derlen + 1);
  memcpy(longer, der, derlen);
  longer[derlen] = 0;
  assert_int_equal(crypto_key_from_spki_der(longer, derlen + 1, &k3),
                   STELLA_E_PARSE);
  assert_null(k3);
  assert_int_equal(crypto_key_from_spki_der(der, derlen / 2, &k3),
                   STELLA_E_PARSE);
  free(longer);
  free(der);
  crypto_key_free(k);
  crypto_key_free(k2);
  sbuf_free(&msg);
  json_doc_free(doc);
  json_doc_free(keys_doc);
}

static void test_spki_der(void **state) {
  (void)state;
  check_spki_roundtrip("tuf-canonical-json/input/sigstore-15.root.json",
                       "tuf-canonical-json/input/sigstore-15.root.json", 1);
  check_spki_roundtrip("tuf-python-tuf-repository/metadata/root.json",
                       "tuf-python-tuf-repository/metadata/timestamp.json", 1);
  check_spki_roundtrip("tuf-canonical-json/input/python-tuf-root.json",
                       "tuf-canonical-json/input/python-tuf-root.json", 0);
}

/* Signs msg with a fresh OpenSSL key (PSS salt = digest length when pss),
 * returning the hex signature. */
static char *sign_hex(EVP_PKEY *pkey, const EVP_MD *md, int pss,
                      const char *msg) {
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX *pctx = NULL;
  uint8_t sig[1024];
  size_t siglen = sizeof(sig);
  assert_int_equal(EVP_DigestSignInit(ctx, &pctx, md, NULL, pkey), 1);
  if (pss) {
    assert_true(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0);
    assert_true(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) >
                0);
  }
  assert_int_equal(EVP_DigestSign(ctx, sig, &siglen, (const uint8_t *)msg,
                                  strlen(msg)),
                   1);
  EVP_MD_CTX_free(ctx);
  char *hex = malloc(2 * siglen + 1);
  hex_encode(sig, siglen, hex);
  return hex;
}

static char *public_pem(EVP_PKEY *pkey) {
  BIO *bio = BIO_new(BIO_s_mem());
  char *data, *pem;
  assert_int_equal(PEM_write_bio_PUBKEY(bio, pkey), 1);
  long n = BIO_get_mem_data(bio, &data);
  pem = strndup(data, (size_t)n);
  BIO_free(bio);
  return pem;
}

/* P-384 as a PEM and as a hex point, with SHA-384. */
static void test_ecdsa_p384(void **state) {
  (void)state;
  EVP_PKEY *pkey = EVP_EC_gen("P-384");
  assert_non_null(pkey);
  char *sig = sign_hex(pkey, EVP_sha384(), 0, "payload");
  char *pem = public_pem(pkey);
  uint8_t point[128];
  size_t pointlen = 0;
  assert_int_equal(EVP_PKEY_get_octet_string_param(
                       pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, point,
                       sizeof(point), &pointlen),
                   1);
  char point_hex[257];
  hex_encode(point, pointlen, point_hex);
  const char *pubs[] = {pem, point_hex};
  for (int i = 0; i < 2; i++) {
    crypto_key *k;
    assert_int_equal(crypto_key_from_tuf("ecdsa", "ecdsa-sha2-nistp384",
                                         pubs[i], strlen(pubs[i]), &k),
                     STELLA_OK);
    assert_string_equal(crypto_key_algorithm(k), "ecdsa-p384");
    assert_int_equal(crypto_verify_hex(k, (const uint8_t *)"payload", 7, sig,
                                       strlen(sig)),
                     1);
    assert_int_equal(crypto_verify_hex(k, (const uint8_t *)"payloaD", 7, sig,
                                       strlen(sig)),
                     0);
    crypto_key_free(k);
  }
  free(sig);
  free(pem);
  EVP_PKEY_free(pkey);
}

/* RSA-PSS with SHA-384 and SHA-512; the salt length is found on verify. */
static void test_rsa_pss_hashes(void **state) {
  (void)state;
  EVP_PKEY *pkey = EVP_RSA_gen(2048);
  assert_non_null(pkey);
  char *pem = public_pem(pkey);
  static const struct {
    const char *scheme;
    const char *md;
  } schemes[] = {{"rsassa-pss-sha384", "SHA384"},
                 {"rsassa-pss-sha512", "SHA512"}};
  for (int i = 0; i < 2; i++) {
    const EVP_MD *md = EVP_get_digestbyname(schemes[i].md);
    char *sig = sign_hex(pkey, md, 1, "payload");
    crypto_key *k, *other;
    assert_int_equal(
        crypto_key_from_tuf("rsa", schemes[i].scheme, pem, strlen(pem), &k),
        STELLA_OK);
    assert_string_equal(crypto_key_algorithm(k), "rsa-2048");
    assert_int_equal(crypto_verify_hex(k, (const uint8_t *)"payload", 7, sig,
                                       strlen(sig)),
                     1);
    /* The same key under the other hash does not accept it. */
    assert_int_equal(crypto_key_from_tuf("rsa", schemes[1 - i].scheme, pem,
                                         strlen(pem), &other),
                     STELLA_OK);
    assert_int_equal(crypto_verify_hex(other, (const uint8_t *)"payload", 7,
                                       sig, strlen(sig)),
                     0);
    crypto_key_free(k);
    crypto_key_free(other);
    free(sig);
  }
  free(pem);
  EVP_PKEY_free(pkey);
}

/* A key is refused the same way as PEM, DER and a TUF key, the PEM form
 * naming it. */
static void expect_key_refused(EVP_PKEY *pkey, const char *tuf_type,
                               const char *tuf_scheme, stella_err tuf_want,
                               const char *why_has) {
  char *pem = public_pem(pkey), why[160] = "";
  unsigned char *der = NULL;
  int derlen = i2d_PUBKEY(pkey, &der);
  crypto_key *k = (crypto_key *)1;
  assert_true(derlen > 0);
  assert_int_equal(crypto_key_from_pem_why(pem, strlen(pem), &k, why,
                                           sizeof why), STELLA_E_UNSUPPORTED);
  assert_null(k);
  if (!strstr(why, why_has))
    fail_msg("'%s' does not say '%s'", why, why_has);
  assert_int_equal(crypto_key_from_pem(pem, strlen(pem), &k),
                   STELLA_E_UNSUPPORTED);
  assert_int_equal(crypto_key_from_spki_der(der, (size_t)derlen, &k),
                   STELLA_E_UNSUPPORTED);
  assert_int_equal(crypto_key_from_tuf(tuf_type, tuf_scheme, pem, strlen(pem),
                                       &k), tuf_want);
  assert_null(k);
  OPENSSL_free(der);
  free(pem);
}

/* RSA under 2048 bits and EC keys off P-256/P-384 verify nothing, however
 * they come in; a 2048-bit RSA key and the supported curves still load. */
static void test_weak_keys_refused(void **state) {
  (void)state;
  EVP_PKEY *rsa512 = EVP_RSA_gen(512), *rsa1024 = EVP_RSA_gen(1024);
  EVP_PKEY *k1 = EVP_EC_gen("secp256k1"), *p521 = EVP_EC_gen("P-521");
  EVP_PKEY *brainpool = EVP_EC_gen("brainpoolP256r1");
  EVP_PKEY *rsa2048 = EVP_RSA_gen(2048), *p256 = EVP_EC_gen("P-256");
  assert_true(rsa512 && rsa1024 && k1 && p521 && brainpool && rsa2048 &&
              p256);
  expect_key_refused(rsa512, "rsa", "rsassa-pss-sha256", STELLA_E_UNSUPPORTED,
                     "an RSA key of 512 bits (at least 2048 are needed)");
  expect_key_refused(rsa1024, "rsa", "rsassa-pss-sha256",
                     STELLA_E_UNSUPPORTED, "RSA key of 1024 bits");
  expect_key_refused(k1, "ecdsa", "ecdsa-sha2-nistp256", STELLA_E_PARSE,
                     "an EC key on curve secp256k1");
  expect_key_refused(brainpool, "ecdsa", "ecdsa-sha2-nistp256",
                     STELLA_E_PARSE, "curve brainpoolP256r1");
  expect_key_refused(p521, "ecdsa", "ecdsa-sha2-nistp384", STELLA_E_PARSE,
                     "curve secp521r1");
  EVP_PKEY *ok[] = {rsa2048, p256};
  const char *alg[] = {"rsa-2048", "ecdsa-p256"};
  for (int i = 0; i < 2; i++) {
    char *pem = public_pem(ok[i]);
    crypto_key *k = NULL;
    assert_int_equal(crypto_key_from_pem(pem, strlen(pem), &k), STELLA_OK);
    assert_string_equal(crypto_key_algorithm(k), alg[i]);
    crypto_key_free(k);
    free(pem);
  }
  EVP_PKEY *all[] = {rsa512, rsa1024, k1, p521, brainpool, rsa2048, p256};
  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
    EVP_PKEY_free(all[i]);
}

static void test_digests(void **state) {
  (void)state;
  uint8_t d256[32], d512[64];
  char hex[129];
  crypto_sha256("abc", 3, d256);
  hex_encode(d256, 32, hex);
  assert_string_equal(
      hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  assert_true(crypto_digest_equals_hex(
      d256, 32,
      "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"));
  assert_false(crypto_digest_equals_hex(d256, 32, "ba7816bf"));
  assert_false(crypto_digest_equals_hex(
      d256, 32,
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ae"));
  assert_false(crypto_digest_equals_hex(
      d256, 32,
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015zz"));
  assert_false(crypto_digest_equals_hex(d256, 32, NULL));
  crypto_sha512("abc", 3, d512);
  hex_encode(d512, 64, hex);
  assert_string_equal(hex, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9"
                           "eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d"
                           "4423643ce80e2a9ac94fa54ca49f");
  crypto_sha256(NULL, 0, d256);
  assert_true(crypto_digest_equals_hex(
      d256, 32,
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
}

static void test_hex(void **state) {
  (void)state;
  uint8_t *out;
  size_t n;
  char back[16];
  assert_int_equal(hex_decode("00fFa5", 6, &out, &n), STELLA_OK);
  assert_int_equal(n, 3);
  hex_encode(out, n, back);
  assert_string_equal(back, "00ffa5");
  free(out);
  assert_int_equal(hex_decode("", 0, &out, &n), STELLA_OK);
  assert_int_equal(n, 0);
  free(out);
  assert_int_equal(hex_decode("abc", 3, &out, &n), STELLA_E_PARSE);
  assert_null(out);
  assert_int_equal(hex_decode("0g", 2, &out, &n), STELLA_E_PARSE);
  assert_int_equal(hex_decode(" 0", 2, &out, &n), STELLA_E_PARSE);
}

static void test_base64(void **state) {
  (void)state;
  static const struct {
    const char *in, *out;
  } good[] = {{"", ""},         {"Zg==", "f"},         {"Zm8=", "fo"},
              {"Zm9v", "foo"},  {"Zm9vYg==", "foob"},  {"Zm9vYmE=", "fooba"},
              {"Zm9vYmFy", "foobar"}, {"Zm9v\nYmFy\r\n", "foobar"},
              {" Zm 9v ", "foo"}};
  for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
    uint8_t *out;
    size_t n;
    char *enc;
    assert_int_equal(base64_decode(good[i].in, strlen(good[i].in), &out, &n),
                     STELLA_OK);
    assert_int_equal(n, strlen(good[i].out));
    assert_memory_equal(out, good[i].out, n);
    assert_int_equal(base64_encode(out, n, &enc), STELLA_OK);
    if (!strchr(good[i].in, ' ') && !strchr(good[i].in, '\n'))
      assert_string_equal(enc, good[i].in);
    free(out);
    free(enc);
  }
  static const char *bad[] = {"Zg=", "Zg", "Z===", "====", "Zg==Zm9v",
                              "Zm9!", "Zm=v", "Zg\0="};
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    uint8_t *out;
    size_t n;
    assert_int_equal(base64_decode(bad[i], i == 7 ? 4 : strlen(bad[i]), &out,
                                   &n),
                     STELLA_E_PARSE);
    assert_null(out);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_real_signatures),
      cmocka_unit_test(test_hex_point_and_wrong_key),
      cmocka_unit_test(test_garbage_signatures),
      cmocka_unit_test(test_key_errors),
      cmocka_unit_test(test_spki_der),
      cmocka_unit_test(test_ecdsa_p384),
      cmocka_unit_test(test_rsa_pss_hashes),
      cmocka_unit_test(test_weak_keys_refused),
      cmocka_unit_test(test_digests),
      cmocka_unit_test(test_hex),
      cmocka_unit_test(test_base64),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
