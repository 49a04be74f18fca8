/* test_crypto_sign.c - key generation, PEM PKCS#8 files and TUF signatures
 * (core/crypto_sign.c), checked with the verification side (core/crypto.c):
 * what we sign, our client and every TUF client must accept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "crypto.h"
#include "crypto_sign.h"
#include "fsutil.h"

static const char msg[] = "{\"_type\":\"targets\",\"version\":1}";

/* Signs msg with s and verifies it through the TUF key fields. */
static void sign_and_verify(const crypto_signer *s) {
  const char *keytype, *scheme;
  char *pub = NULL, *sig = NULL;
  crypto_key *k = NULL;
  assert_int_equal(crypto_signer_tuf_fields(s, &keytype, &scheme, &pub),
                   STELLA_OK);
  assert_int_equal(crypto_key_from_tuf(keytype, scheme, pub, strlen(pub), &k),
                   STELLA_OK);
  assert_int_equal(crypto_signer_sign_hex(s, (const uint8_t *)msg,
                                          strlen(msg), &sig), STELLA_OK);
  assert_true(crypto_verify_hex(k, (const uint8_t *)msg, strlen(msg), sig,
                                strlen(sig)));
  /* one flipped byte of the message is not valid */
  char bad[sizeof msg];
  memcpy(bad, msg, sizeof msg);
  bad[3] ^= 1;
  assert_false(crypto_verify_hex(k, (const uint8_t *)bad, strlen(bad), sig,
                                 strlen(sig)));
  crypto_key_free(k);
  free(pub);
  free(sig);
}

static void test_ed25519(void **state) {
  (void)state;
  crypto_signer *s = NULL;
  const char *keytype, *scheme;
  char *pub = NULL;
  assert_int_equal(crypto_signer_generate("ed25519", &s), STELLA_OK);
  assert_string_equal(crypto_signer_type(s), "ed25519");
  assert_int_equal(crypto_signer_tuf_fields(s, &keytype, &scheme, &pub),
                   STELLA_OK);
  assert_string_equal(keytype, "ed25519");
  assert_string_equal(scheme, "ed25519");
  assert_int_equal(strlen(pub), 64); /* hex of the raw 32-byte key */
  free(pub);
  sign_and_verify(s);
  crypto_signer_free(s);
}

static void test_ecdsa_p256(void **state) {
  (void)state;
  crypto_signer *s = NULL;
  const char *keytype, *scheme;
  char *pub = NULL, *sig = NULL;
  assert_int_equal(crypto_signer_generate("ecdsa-p256", &s), STELLA_OK);
  assert_int_equal(crypto_signer_tuf_fields(s, &keytype, &scheme, &pub),
                   STELLA_OK);
  assert_string_equal(keytype, "ecdsa");
  assert_string_equal(scheme, "ecdsa-sha2-nistp256");
  assert_non_null(strstr(pub, "-----BEGIN PUBLIC KEY-----"));
  free(pub);
  /* TUF ECDSA signatures are DER: a SEQUENCE (0x30) in hex */
  assert_int_equal(crypto_signer_sign_hex(s, (const uint8_t *)msg,
                                          strlen(msg), &sig), STELLA_OK);
  assert_memory_equal(sig, "30", 2);
  free(sig);
  sign_and_verify(s);
  crypto_signer_free(s);
}

static void test_unsupported(void **state) {
  (void)state;
  crypto_signer *s = (crypto_signer *)1;
  assert_int_equal(crypto_signer_generate("rsa-2048", &s),
                   STELLA_E_UNSUPPORTED);
  assert_null(s);
  assert_int_equal(crypto_signer_from_pem("nope", 4, &s), STELLA_E_PARSE);
}

/* Saved PKCS#8 file: 0600, reloads to the same key, never overwritten. */
static void test_save_reload(void **state) {
  (void)state;
  char dir[] = "/tmp/stella-sign-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char *path = fs_join(dir, "k.pem");
  crypto_signer *s = NULL, *back = NULL;
  sbuf pem = SBUF_INIT, p1 = SBUF_INIT, p2 = SBUF_INIT;
  struct stat st;
  assert_int_equal(crypto_signer_generate("ecdsa-p256", &s), STELLA_OK);
  assert_int_equal(crypto_signer_save(s, path), STELLA_OK);
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  assert_int_equal(crypto_signer_save(s, path), STELLA_E_EXISTS);
  assert_int_equal(fs_read_file(path, 0, &pem), STELLA_OK);
  assert_non_null(strstr(pem.data, "-----BEGIN PRIVATE KEY-----"));
  assert_int_equal(crypto_signer_from_pem(pem.data, pem.len, &back),
                   STELLA_OK);
  assert_int_equal(crypto_signer_public_pem(s, &p1), STELLA_OK);
  assert_int_equal(crypto_signer_public_pem(back, &p2), STELLA_OK);
  assert_string_equal(p1.data, p2.data);
  sign_and_verify(back);
  /* the public PEM reads back as Sigstore DER + keyDetails */
  uint8_t *der = NULL;
  size_t derlen = 0;
  const char *details = NULL;
  assert_int_equal(crypto_public_pem_to_der(p1.data, p1.len, &der, &derlen,
                                            &details), STELLA_OK);
  assert_string_equal(details, "PKIX_ECDSA_P256_SHA_256");
  assert_true(derlen > 60);
  free(der);
  /* a private key is not a public key file */
  assert_int_equal(crypto_public_pem_to_der(pem.data, pem.len, &der, &derlen,
                                            &details), STELLA_E_PARSE);
  unlink(path);
  rmdir(dir);
  free(path);
  sbuf_free(&pem);
  sbuf_free(&p1);
  sbuf_free(&p2);
  crypto_signer_free(s);
  crypto_signer_free(back);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_ed25519),
    cmocka_unit_test(test_ecdsa_p256),
    cmocka_unit_test(test_unsupported),
    cmocka_unit_test(test_save_reload),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
