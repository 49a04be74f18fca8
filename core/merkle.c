/* merkle.c - RFC 6962 / RFC 9162 Merkle trees: proof verification for the
 * Rekor client and tree roots and proofs for the drill log. Proof checks
 * follow the decomposition of transparency-dev/merkle (an inclusion proof
 * is an "inner" part below the point where the paths to the leaf and to
 * the last leaf split, then a "border" part of left siblings), so a proof
 * of the wrong length is refused before any hashing. */
#include "merkle.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "crypto.h"

void merkle_leaf_hash(const void *data, size_t len, merkle_hash out) {
  static const uint8_t prefix = 0x00;
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  unsigned int n = 0;
  /* No error return here: a failed allocation yields all zero bytes, which
   * match no real hash, so a check built on it fails closed. */
  if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
      EVP_DigestUpdate(ctx, &prefix, 1) != 1 ||
      (len && EVP_DigestUpdate(ctx, data, len) != 1) ||
      EVP_DigestFinal_ex(ctx, out, &n) != 1 || n != MERKLE_HASH_LEN)
    memset(out, 0, MERKLE_HASH_LEN);
  EVP_MD_CTX_free(ctx);
}

void merkle_node_hash(const merkle_hash left, const merkle_hash right,
                      merkle_hash out) {
  uint8_t buf[1 + 2 * MERKLE_HASH_LEN];
  buf[0] = 0x01;
  memcpy(buf + 1, left, MERKLE_HASH_LEN);
  memcpy(buf + 1 + MERKLE_HASH_LEN, right, MERKLE_HASH_LEN);
  crypto_sha256(buf, sizeof buf, out);
}

/* ---- bit helpers -------------------------------------------------------- */

static unsigned merkle_bit_len(uint64_t x) {
  return x ? 64 - (unsigned)__builtin_clzll(x) : 0;
}

static unsigned merkle_ones(uint64_t x) {
  return (unsigned)__builtin_popcountll(x);
}

static unsigned merkle_trailing_zeros(uint64_t x) {
  return x ? (unsigned)__builtin_ctzll(x) : 64;
}

/* The largest power of two strictly below n (n >= 2): RFC 6962's k. */
static uint64_t merkle_split(uint64_t n) {
  return (uint64_t)1 << (merkle_bit_len(n - 1) - 1);
}

/* Inner and border lengths of the inclusion proof of index in a tree of
 * size leaves (index < size). */
static void merkle_decomp(uint64_t index, uint64_t size, unsigned *inner,
                          unsigned *border) {
  *inner = merkle_bit_len(index ^ (size - 1));
  *border = *inner < 64 ? merkle_ones(index >> *inner) : 0;
}

/* ---- verification -------------------------------------------------------- */

/* Hashes seed up through proof[0..n): bit i of index says whether the
 * i-th sibling is on the left (1) or the right (0). */
static void merkle_chain_inner(merkle_hash seed, const merkle_hash *proof,
                               size_t n, uint64_t index) {
  for (size_t i = 0; i < n; i++) {
    if ((index >> i) & 1)
      merkle_node_hash(proof[i], seed, seed);
    else
      merkle_node_hash(seed, proof[i], seed);
  }
}

/* As above, keeping only the left siblings (the old tree's view). */
static void merkle_chain_inner_right(merkle_hash seed,
                                     const merkle_hash *proof, size_t n,
                                     uint64_t index) {
  for (size_t i = 0; i < n; i++)
    if ((index >> i) & 1)
      merkle_node_hash(proof[i], seed, seed);
}

/* Border siblings are all on the left. */
static void merkle_chain_border(merkle_hash seed, const merkle_hash *proof,
                                size_t n) {
  for (size_t i = 0; i < n; i++)
    merkle_node_hash(proof[i], seed, seed);
}

static int merkle_equal(const merkle_hash a, const merkle_hash b) {
  unsigned diff = 0;
  for (size_t i = 0; i < MERKLE_HASH_LEN; i++)
    diff |= (unsigned)(a[i] ^ b[i]);
  return diff == 0;
}

stella_err merkle_root_from_inclusion(uint64_t index, uint64_t size,
                                      const merkle_hash leaf,
                                      const merkle_hash *proof, size_t n,
                                      merkle_hash out) {
  unsigned inner, border;
  if (index >= size || (n && !proof))
    return STELLA_E_FORMAT;
  merkle_decomp(index, size, &inner, &border);
  if (n != (size_t)inner + border)
    return STELLA_E_FORMAT;
  memmove(out, leaf, MERKLE_HASH_LEN); /* out may be leaf */
  merkle_chain_inner(out, proof, inner, index);
  merkle_chain_border(out, proof + inner, border);
  return STELLA_OK;
}

stella_err merkle_verify_inclusion(uint64_t index, uint64_t size,
                                   const merkle_hash leaf,
                                   const merkle_hash *proof, size_t n,
                                   const merkle_hash root) {
  merkle_hash got;
  stella_err e = merkle_root_from_inclusion(index, size, leaf, proof, n, got);
  if (e)
    return e;
  return merkle_equal(got, root) ? STELLA_OK : STELLA_E_HASH;
}

/* 0 < size1 < size2, n > 0 (RFC 9162 2.1.4.2 in the decomposed form). The
 * proof of leaf size1-1 in the new tree, minus the levels where the old
 * tree's last node is a complete subtree (shift): that node is the seed,
 * proof[0] or, when size1 is a power of two, root1 itself. */
static stella_err merkle_consistency_path(uint64_t size1, uint64_t size2,
                                          const merkle_hash root1,
                                          const merkle_hash root2,
                                          const merkle_hash *proof,
                                          size_t n) {
  unsigned inner, border, shift = merkle_trailing_zeros(size1);
  merkle_decomp(size1 - 1, size2, &inner, &border);
  inner -= shift;
  int seed_is_root1 = size1 == (uint64_t)1 << shift;
  size_t start = seed_is_root1 ? 0 : 1;
  if (n != start + inner + border)
    return STELLA_E_FORMAT;
  uint64_t mask = (size1 - 1) >> shift;
  merkle_hash h1, h2;
  memcpy(h1, seed_is_root1 ? root1 : proof[0], MERKLE_HASH_LEN);
  memcpy(h2, h1, MERKLE_HASH_LEN);
  proof += start;
  merkle_chain_inner_right(h1, proof, inner, mask);
  merkle_chain_border(h1, proof + inner, border);
  merkle_chain_inner(h2, proof, inner, mask);
  merkle_chain_border(h2, proof + inner, border);
  return merkle_equal(h1, root1) && merkle_equal(h2, root2) ? STELLA_OK
                                                            : STELLA_E_HASH;
}

stella_err merkle_verify_consistency(uint64_t size1, uint64_t size2,
                                     const merkle_hash root1,
                                     const merkle_hash root2,
                                     const merkle_hash *proof, size_t n) {
  /* transparency-dev/merkle policy: nothing is provable from an empty
   * tree, even an empty tree to itself. */
  if (size1 == 0 || size1 > size2 || (n && !proof))
    return STELLA_E_FORMAT;
  if (size1 == size2) {
    if (n != 0)
      return STELLA_E_FORMAT;
    return merkle_equal(root1, root2) ? STELLA_OK : STELLA_E_HASH;
  }
  if (n == 0)
    return STELLA_E_FORMAT;
  return merkle_consistency_path(size1, size2, root1, root2, proof, n);
}

/* ---- building trees ------------------------------------------------------ */

/* MTH(D[lo:lo+n]) for n >= 1, by recursion on RFC 6962's split: each leaf
 * hash is read once and each inner node hashed once. Depth <= 64. */
static stella_err merkle_subtree(merkle_leaf_fn leaf, void *ctx, uint64_t lo,
                                 uint64_t n, merkle_hash out) {
  if (n == 1)
    return leaf(ctx, lo, out);
  uint64_t k = merkle_split(n);
  merkle_hash left;
  stella_err e = merkle_subtree(leaf, ctx, lo, k, left);
  if (!e)
    e = merkle_subtree(leaf, ctx, lo + k, n - k, out);
  if (!e)
    merkle_node_hash(left, out, out);
  return e;
}

stella_err merkle_tree_root(merkle_leaf_fn leaf, void *ctx, uint64_t size,
                            merkle_hash out) {
  if (!leaf)
    return STELLA_E_INVALID_ARG;
  if (size == 0) {
    crypto_sha256("", 0, out);
    return STELLA_OK;
  }
  return merkle_subtree(leaf, ctx, 0, size, out);
}

/* A proof under construction: at most 2 * 64 hashes for any 64-bit size,
 * so it lives on the stack and is copied out once. */
typedef struct merkle_path {
  merkle_hash h[130];
  size_t n;
} merkle_path;

static stella_err merkle_path_push(merkle_leaf_fn leaf, void *ctx,
                                   merkle_path *p, uint64_t lo, uint64_t n) {
  if (p->n >= sizeof p->h / sizeof p->h[0])
    return STELLA_E_LIMIT;
  stella_err e = merkle_subtree(leaf, ctx, lo, n, p->h[p->n]);
  p->n += !e;
  return e;
}

static stella_err merkle_path_take(const merkle_path *p, merkle_hash **proof,
                                   size_t *n) {
  *proof = malloc(p->n ? p->n * sizeof(merkle_hash) : 1);
  if (!*proof)
    return STELLA_E_NOMEM;
  memcpy(*proof, p->h, p->n * sizeof(merkle_hash));
  *n = p->n;
  return STELLA_OK;
}

/* RFC 6962 PATH(m, D[lo:lo+n]), siblings from the leaf up: recurse into the
 * half holding m first, then add the other half's root. */
static stella_err merkle_incl_path(merkle_leaf_fn leaf, void *ctx,
                                   merkle_path *p, uint64_t m, uint64_t lo,
                                   uint64_t n) {
  if (n == 1)
    return STELLA_OK;
  uint64_t k = merkle_split(n);
  stella_err e = m < k ? merkle_incl_path(leaf, ctx, p, m, lo, k)
                       : merkle_incl_path(leaf, ctx, p, m - k, lo + k, n - k);
  if (e)
    return e;
  return m < k ? merkle_path_push(leaf, ctx, p, lo + k, n - k)
               : merkle_path_push(leaf, ctx, p, lo, k);
}

stella_err merkle_inclusion_proof(merkle_leaf_fn leaf, void *ctx,
                                  uint64_t index, uint64_t size,
                                  merkle_hash **proof, size_t *n) {
  *proof = NULL;
  *n = 0;
  if (!leaf || index >= size)
    return STELLA_E_INVALID_ARG;
  merkle_path *p = calloc(1, sizeof *p);
  if (!p)
    return STELLA_E_NOMEM;
  stella_err e = merkle_incl_path(leaf, ctx, p, index, 0, size);
  if (!e)
    e = merkle_path_take(p, proof, n);
  free(p);
  return e;
}

/* RFC 6962 SUBPROOF(m, D[lo:lo+n], whole): whole says D[lo:lo+m] is a
 * subtree the verifier already has (the old root itself). */
static stella_err merkle_cons_path(merkle_leaf_fn leaf, void *ctx,
                                   merkle_path *p, uint64_t m, uint64_t lo,
                                   uint64_t n, int whole) {
  if (m == n)
    return whole ? STELLA_OK : merkle_path_push(leaf, ctx, p, lo, n);
  uint64_t k = merkle_split(n);
  stella_err e;
  if (m <= k) {
    e = merkle_cons_path(leaf, ctx, p, m, lo, k, whole);
    return e ? e : merkle_path_push(leaf, ctx, p, lo + k, n - k);
  }
  e = merkle_cons_path(leaf, ctx, p, m - k, lo + k, n - k, 0);
  return e ? e : merkle_path_push(leaf, ctx, p, lo, k);
}

stella_err merkle_consistency_proof(merkle_leaf_fn leaf, void *ctx,
                                    uint64_t size1, uint64_t size2,
                                    merkle_hash **proof, size_t *n) {
  *proof = NULL;
  *n = 0;
  if (!leaf || size1 == 0 || size1 > size2)
    return STELLA_E_INVALID_ARG;
  merkle_path *p = calloc(1, sizeof *p);
  if (!p)
    return STELLA_E_NOMEM;
  stella_err e = merkle_cons_path(leaf, ctx, p, size1, 0, size2, 1);
  if (!e)
    e = merkle_path_take(p, proof, n);
  free(p);
  return e;
}
