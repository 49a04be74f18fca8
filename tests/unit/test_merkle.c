/* test_merkle.c - core/merkle.c against the transparency-dev/merkle proof
 * vectors in tests/data/merkle-rfc6962 (every file, with the reason of
 * every refusal), the RFC 6962 reference tree, and the generator and the
 * verifier checked against each other on every tree of 1..70 leaves and a
 * few large ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <cmocka.h>

#include "crypto.h"
#include "fsutil.h"
#include "json.h"
#include "merkle.h"

#define SET "merkle-rfc6962"

/* ---- a tree of leaf hashes in memory ------------------------------------ */

typedef struct leaves {
  merkle_hash *h;
  uint64_t n;
  uint64_t fail_at; /* the callback fails at this index (UINT64_MAX: never) */
  uint64_t calls;
} leaves;

static stella_err leaf_at(void *ctx, uint64_t i, merkle_hash out) {
  leaves *l = ctx;
  l->calls++;
  if (i >= l->n || i == l->fail_at)
    return STELLA_E_IO;
  memcpy(out, l->h[i], MERKLE_HASH_LEN);
  return STELLA_OK;
}

/* n leaves whose data is the 8-byte big-endian index. */
static leaves leaves_numbered(uint64_t n) {
  leaves l = {calloc(n ? n : 1, sizeof(merkle_hash)), n, UINT64_MAX, 0};
  assert_non_null(l.h);
  for (uint64_t i = 0; i < n; i++) {
    uint8_t be[8];
    for (int b = 0; b < 8; b++)
      be[b] = (uint8_t)(i >> (56 - 8 * b));
    merkle_leaf_hash(be, sizeof be, l.h[i]);
  }
  return l;
}

/* The eight leaves of the RFC 6962 reference tree (certificate-transparency
 * test vectors, also the source of the merkle-rfc6962 trees). */
static leaves leaves_rfc6962(void) {
  static const struct {
    const char *data;
    size_t len;
  } in[8] = {{"", 0},
             {"\x00", 1},
             {"\x10", 1},
             {"\x20\x21", 2},
             {"\x30\x31", 2},
             {"\x40\x41\x42\x43", 4},
             {"\x50\x51\x52\x53\x54\x55\x56\x57", 8},
             {"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e"
              "\x6f", 16}};
  leaves l = {calloc(8, sizeof(merkle_hash)), 8, UINT64_MAX, 0};
  assert_non_null(l.h);
  for (int i = 0; i < 8; i++)
    merkle_leaf_hash(in[i].data, in[i].len, l.h[i]);
  return l;
}

static void assert_hash_hex(const merkle_hash h, const char *hex) {
  char got[2 * MERKLE_HASH_LEN + 1];
  hex_encode(h, MERKLE_HASH_LEN, got);
  assert_string_equal(got, hex);
}

/* ---- the RFC 6962 reference tree ---------------------------------------- */

static void test_rfc6962_reference_roots(void **state) {
  (void)state;
  static const char *const roots[9] = {
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
      "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
      "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
      "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
      "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"};
  leaves l = leaves_rfc6962();
  merkle_hash root;
  for (uint64_t n = 0; n <= 8; n++) {
    assert_int_equal(merkle_tree_root(leaf_at, &l, n, root), STELLA_OK);
    assert_hash_hex(root, roots[n]);
  }
  /* the leaf hash of the empty string, as the vectors' README says */
  assert_hash_hex(l.h[0], roots[1]);
  free(l.h);
}

static void test_node_hash_is_prefixed(void **state) {
  (void)state;
  merkle_hash a, b, got, want;
  uint8_t buf[65];
  memset(a, 0xaa, sizeof a);
  memset(b, 0xbb, sizeof b);
  buf[0] = 1;
  memcpy(buf + 1, a, 32);
  memcpy(buf + 33, b, 32);
  crypto_sha256(buf, sizeof buf, want);
  merkle_node_hash(a, b, got);
  assert_memory_equal(got, want, 32);
  merkle_node_hash(b, a, got); /* order matters */
  assert_memory_not_equal(got, want, 32);
}

/* ---- the vectors --------------------------------------------------------- */

static char *data_path(const char *rel) {
  const char *dir = getenv("STELLA_TEST_DATA");
  assert_non_null(dir);
  char *p = malloc(strlen(dir) + strlen(rel) + 2);
  assert_non_null(p);
  sprintf(p, "%s/%s", dir, rel);
  return p;
}

typedef struct file_list {
  char **path;
  size_t n, cap;
} file_list;

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every *.json under dir, recursively. */
static void list_json(const char *dir, file_list *fl) {
  DIR *d = opendir(dir);
  struct dirent *de;
  assert_non_null(d);
  while ((de = readdir(d))) {
    if (de->d_name[0] == '.')
      continue;
    char *p = fs_join(dir, de->d_name);
    size_t len = strlen(p);
    if (len > 5 && !strcmp(p + len - 5, ".json")) {
      if (fl->n == fl->cap) {
        fl->cap = fl->cap ? 2 * fl->cap : 64;
        fl->path = realloc(fl->path, fl->cap * sizeof *fl->path);
        assert_non_null(fl->path);
      }
      fl->path[fl->n++] = p;
      continue;
    }
    if (de->d_type == DT_DIR)
      list_json(p, fl);
    free(p);
  }
  closedir(d);
}

static void free_list(file_list *fl) {
  for (size_t i = 0; i < fl->n; i++)
    free(fl->path[i]);
  free(fl->path);
}

static json_doc *load_json(const char *path) {
  sbuf b = SBUF_INIT;
  json_doc *doc = NULL;
  char err[128];
  assert_int_equal(fs_read_file(path, 1 << 20, &b), STELLA_OK);
  if (json_parse(b.data, b.len, &doc, err, sizeof err))
    fail_msg("%s: %s", path, err);
  sbuf_free(&b);
  return doc;
}

/* An unsigned integer member, also past int64 (leafIdx 2^64 - 1): the
 * literal as written, through the canonical encoder. */
static uint64_t get_u64(const json_val *obj, const char *key) {
  const json_val *v = json_get(obj, key);
  sbuf b = SBUF_INIT;
  assert_true(json_type_of(v) == JV_INT || json_type_of(v) == JV_REAL);
  assert_int_equal(json_canonical(v, &b), STELLA_OK);
  char *end;
  uint64_t n = strtoull(b.data, &end, 10);
  assert_true(*end == '\0' && b.data[0] != '-');
  sbuf_free(&b);
  return n;
}

/* 1 when v is base64 of exactly 32 bytes (the hash is put in out). */
static int get_hash(const json_val *v, merkle_hash out) {
  size_t len;
  const char *s = json_str(v, &len);
  uint8_t *raw = NULL;
  size_t rawlen = 0;
  int ok = s && base64_decode(s, len, &raw, &rawlen) == STELLA_OK &&
           rawlen == MERKLE_HASH_LEN;
  if (ok)
    memcpy(out, raw, MERKLE_HASH_LEN);
  free(raw);
  return ok;
}

/* A root of the equal-size consistency check. Upstream compares those two
 * roots as opaque byte strings (one vector expects two equal 12-byte
 * "roots" to be consistent), while our API holds only 32-byte hashes: a
 * value of another length stands in as its SHA-256, so equal values stay
 * equal and different ones different, and the check still runs through
 * merkle_verify_consistency. */
static int get_root_label(const json_val *v, merkle_hash out) {
  size_t len;
  const char *s = json_str(v, &len);
  uint8_t *raw = NULL;
  size_t rawlen = 0;
  int ok = s && base64_decode(s, len, &raw, &rawlen) == STELLA_OK;
  if (ok && rawlen == MERKLE_HASH_LEN)
    memcpy(out, raw, MERKLE_HASH_LEN);
  else if (ok)
    crypto_sha256(raw, rawlen, out);
  free(raw);
  return ok;
}

/* proof: null, or an array of hashes. Returns 0 if one is not 32 bytes. */
static int get_proof(const json_val *obj, merkle_hash **proof, size_t *n) {
  const json_val *arr = json_get(obj, "proof");
  *n = json_len(arr);
  *proof = calloc(*n ? *n : 1, sizeof(merkle_hash));
  assert_non_null(*proof);
  assert_true(json_type_of(arr) == JV_NULL || json_type_of(arr) == JV_ARRAY);
  for (size_t i = 0; i < *n; i++)
    if (!get_hash(json_at(arr, i), (*proof)[i]))
      return 0;
  return 1;
}

/* Outcome tallies: how many vectors verified, and why the others did not. */
typedef struct tally {
  int files, ok, bad_hash, format, hash;
} tally;

/* The reason a vector must be refused, found without the verifier: a hash
 * that is not 32 bytes, a proof whose length differs from what our
 * generator makes for the same sizes (or impossible sizes), else the
 * hashes themselves. */
static stella_err expected_refusal(int hashes_ok, int shape_ok) {
  if (!hashes_ok)
    return STELLA_E_PARSE;
  return shape_ok ? STELLA_E_HASH : STELLA_E_FORMAT;
}

/* Proof length our generator gives on a dummy tree (sizes here are <= 16). */
static size_t gen_inclusion_len(uint64_t index, uint64_t size) {
  leaves l = leaves_numbered(size);
  merkle_hash *p;
  size_t n;
  assert_int_equal(merkle_inclusion_proof(leaf_at, &l, index, size, &p, &n),
                   STELLA_OK);
  free(p);
  free(l.h);
  return n;
}

static size_t gen_consistency_len(uint64_t size1, uint64_t size2) {
  leaves l = leaves_numbered(size2);
  merkle_hash *p;
  size_t n;
  assert_int_equal(
      merkle_consistency_proof(leaf_at, &l, size1, size2, &p, &n), STELLA_OK);
  free(p);
  free(l.h);
  return n;
}

static void count(tally *t, stella_err got, int want_err, stella_err want,
                  const char *path) {
  t->files++;
  if (!want_err) {
    if (got != STELLA_OK)
      fail_msg("%s: must verify, got %s", path, stella_strerror(got));
    t->ok++;
    return;
  }
  if (got != want)
    fail_msg("%s: must be refused with \"%s\", got \"%s\"", path,
             stella_strerror(want), stella_strerror(got));
  t->bad_hash += got == STELLA_E_PARSE;
  t->format += got == STELLA_E_FORMAT;
  t->hash += got == STELLA_E_HASH;
}

static void run_inclusion(const char *path, tally *t) {
  json_doc *doc = load_json(path);
  const json_val *o = json_root(doc);
  uint64_t index = get_u64(o, "leafIdx"), size = get_u64(o, "treeSize");
  int want_err;
  merkle_hash root, leaf, *proof;
  size_t n;
  assert_int_equal(json_bool(json_get(o, "wantErr"), &want_err), 0);
  int hashes_ok = get_hash(json_get(o, "root"), root) &
                  get_hash(json_get(o, "leafHash"), leaf) &
                  get_proof(o, &proof, &n);
  stella_err got = STELLA_E_PARSE;
  if (hashes_ok)
    got = merkle_verify_inclusion(index, size, leaf, proof, n, root);
  int shape_ok = index < size && n == gen_inclusion_len(index, size);
  count(t, got, want_err, expected_refusal(hashes_ok, shape_ok), path);
  free(proof);
  json_doc_free(doc);
}

static void run_consistency(const char *path, tally *t) {
  json_doc *doc = load_json(path);
  const json_val *o = json_root(doc);
  uint64_t size1 = get_u64(o, "size1"), size2 = get_u64(o, "size2");
  int want_err;
  merkle_hash root1, root2, *proof;
  size_t n;
  assert_int_equal(json_bool(json_get(o, "wantErr"), &want_err), 0);
  int (*root)(const json_val *, merkle_hash) =
      size1 == size2 ? get_root_label : get_hash;
  int hashes_ok = root(json_get(o, "root1"), root1) &
                  root(json_get(o, "root2"), root2) &
                  get_proof(o, &proof, &n);
  stella_err got = STELLA_E_PARSE;
  if (hashes_ok)
    got = merkle_verify_consistency(size1, size2, root1, root2, proof, n);
  int shape_ok = size1 > 0 && size1 <= size2 &&
                 n == gen_consistency_len(size1, size2);
  count(t, got, want_err, expected_refusal(hashes_ok, shape_ok), path);
  free(proof);
  json_doc_free(doc);
}

static void test_vectors_inclusion(void **state) {
  (void)state;
  char *dir = data_path(SET "/inclusion");
  file_list fl = {0};
  tally t = {0};
  list_json(dir, &fl);
  qsort(fl.path, fl.n, sizeof *fl.path, cmp_str);
  for (size_t i = 0; i < fl.n; i++)
    run_inclusion(fl.path[i], &t);
  print_message("inclusion: %d files, %d verify, refused: %d bad hash, "
                "%d wrong shape, %d hash mismatch\n",
                t.files, t.ok, t.bad_hash, t.format, t.hash);
  assert_int_equal(t.files, 80);
  assert_int_equal(t.ok, 5);
  assert_int_equal(t.bad_hash + t.format + t.hash, 75);
  assert_true(t.bad_hash > 0 && t.format > 0 && t.hash > 0);
  free_list(&fl);
  free(dir);
}

static void test_vectors_consistency(void **state) {
  (void)state;
  char *dir = data_path(SET "/consistency");
  file_list fl = {0};
  tally t = {0};
  list_json(dir, &fl);
  qsort(fl.path, fl.n, sizeof *fl.path, cmp_str);
  for (size_t i = 0; i < fl.n; i++)
    run_consistency(fl.path[i], &t);
  print_message("consistency: %d files, %d verify, refused: %d bad hash, "
                "%d wrong shape, %d hash mismatch\n",
                t.files, t.ok, t.bad_hash, t.format, t.hash);
  assert_int_equal(t.files, 77);
  assert_int_equal(t.ok, 5);
  assert_int_equal(t.bad_hash + t.format + t.hash, 72);
  assert_true(t.bad_hash > 0 && t.format > 0 && t.hash > 0);
  free_list(&fl);
  free(dir);
}

/* Our generator rebuilds the happy-path proofs of the numbered groups
 * exactly, on the RFC 6962 tree the vectors were made from. */
static void assert_proof_matches_file(const char *rel, const merkle_hash *p,
                                      size_t n) {
  char *path = data_path(rel);
  json_doc *doc = load_json(path);
  merkle_hash *want;
  size_t wn;
  assert_true(get_proof(json_root(doc), &want, &wn));
  assert_int_equal(n, wn);
  assert_memory_equal(p, want, n * sizeof(merkle_hash));
  free(want);
  json_doc_free(doc);
  free(path);
}

static void test_generator_matches_happy_paths(void **state) {
  (void)state;
  static const struct {
    uint64_t a, b;
  } incl[4] = {{0, 1}, {0, 8}, {5, 8}, {2, 3}},
    cons[4] = {{1, 1}, {1, 8}, {6, 8}, {2, 5}};
  leaves l = leaves_rfc6962();
  for (int g = 0; g < 4; g++) {
    char rel[96];
    merkle_hash *p;
    size_t n;
    assert_int_equal(merkle_inclusion_proof(leaf_at, &l, incl[g].a, incl[g].b,
                                            &p, &n), STELLA_OK);
    snprintf(rel, sizeof rel, SET "/inclusion/%d/happy-path.json", g);
    assert_proof_matches_file(rel, p, n);
    free(p);
    assert_int_equal(merkle_consistency_proof(leaf_at, &l, cons[g].a,
                                              cons[g].b, &p, &n), STELLA_OK);
    snprintf(rel, sizeof rel, SET "/consistency/%d/happy-path.json", g);
    assert_proof_matches_file(rel, p, n);
    free(p);
  }
  free(l.h);
}

/* ---- generator against verifier ------------------------------------------ */

static void flip(merkle_hash h, size_t bit) {
  h[(bit / 8) % MERKLE_HASH_LEN] ^= (uint8_t)(1u << (bit % 8));
}

/* Every proof of leaf index verifies, and fails once any bit of any proof
 * hash, the leaf or the root is flipped, or the index moves. */
static void check_inclusion(leaves *l, uint64_t index, uint64_t size,
                            const merkle_hash root) {
  merkle_hash *p, leaf, bad;
  size_t n;
  assert_int_equal(merkle_inclusion_proof(leaf_at, l, index, size, &p, &n),
                   STELLA_OK);
  memcpy(leaf, l->h[index], sizeof leaf);
  assert_int_equal(merkle_verify_inclusion(index, size, leaf, p, n, root),
                   STELLA_OK);
  for (size_t i = 0; i < n; i++) {
    size_t bit = (i * 37 + index) % 256;
    flip(p[i], bit);
    assert_int_equal(merkle_verify_inclusion(index, size, leaf, p, n, root),
                     STELLA_E_HASH);
    flip(p[i], bit);
  }
  memcpy(bad, root, sizeof bad);
  flip(bad, index % 256);
  assert_int_equal(merkle_verify_inclusion(index, size, leaf, p, n, bad),
                   STELLA_E_HASH);
  flip(leaf, 5);
  assert_int_equal(merkle_verify_inclusion(index, size, leaf, p, n, root),
                   STELLA_E_HASH);
  flip(leaf, 5);
  if (size > 1) { /* another index: wrong shape or wrong hashes */
    stella_err e = merkle_verify_inclusion((index + 1) % size, size, leaf, p,
                                           n, root);
    assert_true(e == STELLA_E_HASH || e == STELLA_E_FORMAT);
  }
  assert_int_equal(merkle_verify_inclusion(index, size, leaf, p, n + 1, root),
                   STELLA_E_FORMAT); /* one hash too many: refused by its
                                        length, before p[n] is read */
  free(p);
}

static void check_consistency(leaves *l, uint64_t size1, uint64_t size2,
                              merkle_hash *const roots) {
  merkle_hash *p;
  size_t n;
  assert_int_equal(merkle_consistency_proof(leaf_at, l, size1, size2, &p, &n),
                   STELLA_OK);
  assert_int_equal(merkle_verify_consistency(size1, size2, roots[size1],
                                             roots[size2], p, n), STELLA_OK);
  for (size_t i = 0; i < n; i++) {
    size_t bit = (i * 29 + size1) % 256;
    flip(p[i], bit);
    assert_int_equal(merkle_verify_consistency(size1, size2, roots[size1],
                                               roots[size2], p, n),
                     STELLA_E_HASH);
    flip(p[i], bit);
  }
  if (size1 != size2) /* the roots of other sizes do not fit this proof */
    assert_int_equal(merkle_verify_consistency(size1, size2, roots[size1],
                                               roots[size2 - 1], p, n),
                     STELLA_E_HASH);
  if (n > 0)
    assert_int_equal(merkle_verify_consistency(size1, size2, roots[size1],
                                               roots[size2], p, n - 1),
                     STELLA_E_FORMAT);
  free(p);
}

static void test_generated_proofs_1_to_70(void **state) {
  (void)state;
  enum { N = 70 };
  leaves l = leaves_numbered(N);
  merkle_hash roots[N + 1];
  for (uint64_t s = 0; s <= N; s++)
    assert_int_equal(merkle_tree_root(leaf_at, &l, s, roots[s]), STELLA_OK);
  for (uint64_t s = 1; s <= N; s++)
    assert_memory_not_equal(roots[s], roots[s - 1], MERKLE_HASH_LEN);
  for (uint64_t size = 1; size <= N; size++)
    for (uint64_t i = 0; i < size; i++)
      check_inclusion(&l, i, size, roots[size]);
  for (uint64_t size2 = 1; size2 <= N; size2++)
    for (uint64_t size1 = 1; size1 <= size2; size1++)
      check_consistency(&l, size1, size2, roots);
  free(l.h);
}

static void test_generated_proofs_large(void **state) {
  (void)state;
  static const uint64_t sizes[] = {65536, 65537, 100003, 131071};
  leaves l = leaves_numbered(131071);
  for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
    uint64_t size = sizes[k], idx[] = {0, 1, size / 2, size - 2, size - 1};
    merkle_hash root, root1, *p;
    size_t n;
    l.calls = 0;
    assert_int_equal(merkle_tree_root(leaf_at, &l, size, root), STELLA_OK);
    assert_int_equal(l.calls, size); /* each leaf read once */
    for (size_t j = 0; j < 5; j++) {
      l.calls = 0;
      check_inclusion(&l, idx[j], size, root);
      assert_int_equal(l.calls, size - 1); /* every other leaf, once */
      uint64_t size1 = idx[j] + 1;
      assert_int_equal(merkle_tree_root(leaf_at, &l, size1, root1),
                       STELLA_OK);
      assert_int_equal(merkle_consistency_proof(leaf_at, &l, size1, size, &p,
                                                &n), STELLA_OK);
      assert_int_equal(merkle_verify_consistency(size1, size, root1, root, p,
                                                 n), STELLA_OK);
      if (n > 0) {
        flip(p[n - 1], 77);
        assert_int_equal(merkle_verify_consistency(size1, size, root1, root,
                                                   p, n), STELLA_E_HASH);
      }
      free(p);
    }
  }
  free(l.h);
}

/* ---- edges: arguments, callback errors, huge sizes ----------------------- */

static void test_generator_edges(void **state) {
  (void)state;
  leaves l = leaves_numbered(8);
  merkle_hash root, *p = (merkle_hash *)1;
  size_t n = 99;
  assert_int_equal(merkle_inclusion_proof(leaf_at, &l, 8, 8, &p, &n),
                   STELLA_E_INVALID_ARG);
  assert_null(p);
  assert_int_equal(n, 0);
  assert_int_equal(merkle_consistency_proof(leaf_at, &l, 0, 8, &p, &n),
                   STELLA_E_INVALID_ARG);
  assert_int_equal(merkle_consistency_proof(leaf_at, &l, 5, 4, &p, &n),
                   STELLA_E_INVALID_ARG);
  assert_int_equal(merkle_consistency_proof(leaf_at, &l, 8, 8, &p, &n),
                   STELLA_OK);
  assert_int_equal(n, 0);
  free(p);
  /* a failing leaf source stops every computation with its error */
  l.fail_at = 6;
  assert_int_equal(merkle_tree_root(leaf_at, &l, 8, root), STELLA_E_IO);
  assert_int_equal(merkle_inclusion_proof(leaf_at, &l, 0, 8, &p, &n),
                   STELLA_E_IO);
  assert_null(p);
  assert_int_equal(merkle_consistency_proof(leaf_at, &l, 3, 8, &p, &n),
                   STELLA_E_IO);
  assert_null(p);
  assert_int_equal(merkle_tree_root(NULL, &l, 8, root), STELLA_E_INVALID_ARG);
  free(l.h);
}

static void test_verifier_edges(void **state) {
  (void)state;
  merkle_hash leaf = {1}, root = {2}, proof[64], out;
  memset(proof, 7, sizeof proof);
  /* index past the end, size 0, and wrong lengths: refused unhashed */
  assert_int_equal(merkle_verify_inclusion(1, 1, leaf, proof, 0, leaf),
                   STELLA_E_FORMAT);
  assert_int_equal(merkle_verify_inclusion(0, 0, leaf, proof, 0, leaf),
                   STELLA_E_FORMAT);
  assert_int_equal(merkle_verify_inclusion(0, 1, leaf, proof, 0, leaf),
                   STELLA_OK);
  assert_int_equal(merkle_verify_inclusion(0, 1, leaf, proof, 1, leaf),
                   STELLA_E_FORMAT);
  assert_int_equal(merkle_verify_inclusion(0, 1, leaf, NULL, 0, root),
                   STELLA_E_HASH);
  /* the largest trees: 64 hashes for the last leaf of 2^64 - 1 leaves */
  assert_int_equal(merkle_root_from_inclusion(UINT64_MAX - 1, UINT64_MAX,
                                              leaf, proof, 63, out),
                   STELLA_OK);
  assert_int_equal(merkle_root_from_inclusion(0, UINT64_MAX, leaf, proof, 64,
                                              out), STELLA_OK);
  assert_int_equal(merkle_root_from_inclusion(0, UINT64_MAX, leaf, proof, 63,
                                              out), STELLA_E_FORMAT);
  assert_int_equal(merkle_root_from_inclusion(UINT64_MAX, UINT64_MAX, leaf,
                                              proof, 0, out),
                   STELLA_E_FORMAT);
  /* consistency policy */
  assert_int_equal(merkle_verify_consistency(0, 0, root, root, NULL, 0),
                   STELLA_E_FORMAT);
  assert_int_equal(merkle_verify_consistency(0, 5, root, root, NULL, 0),
                   STELLA_E_FORMAT);
  assert_int_equal(merkle_verify_consistency(3, 2, root, root, proof, 1),
                   STELLA_E_FORMAT);
  assert_int_equal(merkle_verify_consistency(3, 3, root, root, NULL, 0),
                   STELLA_OK);
  assert_int_equal(merkle_verify_consistency(3, 3, root, leaf, NULL, 0),
                   STELLA_E_HASH);
  assert_int_equal(merkle_verify_consistency(3, 3, root, root, proof, 1),
                   STELLA_E_FORMAT);
  assert_int_equal(merkle_verify_consistency(3, 4, root, root, NULL, 0),
                   STELLA_E_FORMAT);
  assert_int_equal(merkle_verify_consistency(1, UINT64_MAX, root, root,
                                             proof, 64), STELLA_E_HASH);
  assert_int_equal(merkle_verify_consistency(1, UINT64_MAX, root, root,
                                             proof, 63), STELLA_E_FORMAT);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_rfc6962_reference_roots),
      cmocka_unit_test(test_node_hash_is_prefixed),
      cmocka_unit_test(test_vectors_inclusion),
      cmocka_unit_test(test_vectors_consistency),
      cmocka_unit_test(test_generator_matches_happy_paths),
      cmocka_unit_test(test_generated_proofs_1_to_70),
      cmocka_unit_test(test_generated_proofs_large),
      cmocka_unit_test(test_generator_edges),
      cmocka_unit_test(test_verifier_edges),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
