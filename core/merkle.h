/* merkle.h - RFC 6962 / RFC 9162 Merkle trees: leaf and node hashes,
 * inclusion and consistency proof verification (the client), and tree
 * roots and proofs over a sequence of leaf hashes (the drill log). Pure:
 * no I/O. Hashes are raw 32-byte SHA-256 values. */
#ifndef STELLA_CORE_MERKLE_H
#define STELLA_CORE_MERKLE_H

#include <stddef.h>
#include <stdint.h>
#include "stella/stella.h"

#define MERKLE_HASH_LEN 32

typedef uint8_t merkle_hash[MERKLE_HASH_LEN];

/* SHA-256(0x00 || data). */
void merkle_leaf_hash(const void *data, size_t len, merkle_hash out);
/* SHA-256(0x01 || left || right). */
void merkle_node_hash(const merkle_hash left, const merkle_hash right,
                      merkle_hash out);

/* RFC 9162 2.1.3.2: recomputes the root from a leaf hash at index in a tree
 * of size leaves and proof (n hashes). STELLA_E_FORMAT when index >= size or
 * n is not exactly the proof length for (index, size); otherwise STELLA_OK
 * with the computed root in out. */
stella_err merkle_root_from_inclusion(uint64_t index, uint64_t size,
                                      const merkle_hash leaf,
                                      const merkle_hash *proof, size_t n,
                                      merkle_hash out);

/* As above, then compares with root: STELLA_E_HASH when it differs. */
stella_err merkle_verify_inclusion(uint64_t index, uint64_t size,
                                   const merkle_hash leaf,
                                   const merkle_hash *proof, size_t n,
                                   const merkle_hash root);

/* RFC 9162 2.1.4.2, with the transparency-dev/merkle policy: size1 == 0 is
 * an error (STELLA_E_FORMAT) even with equal roots; size1 > size2 is
 * STELLA_E_FORMAT; size1 == size2 needs n == 0 and root1 == root2; a proof
 * of the wrong length is STELLA_E_FORMAT; a proof that does not yield both
 * roots is STELLA_E_HASH. */
stella_err merkle_verify_consistency(uint64_t size1, uint64_t size2,
                                     const merkle_hash root1,
                                     const merkle_hash root2,
                                     const merkle_hash *proof, size_t n);

/* ---- Building trees (the drill log) ------------------------------------ */

/* Where a tree's leaf hashes come from: writes leaf hash i into out.
 * A non-OK return aborts the computation with that error. */
typedef stella_err (*merkle_leaf_fn)(void *ctx, uint64_t i, merkle_hash out);

/* The root of leaves [0, size). size 0 gives SHA-256(""). */
stella_err merkle_tree_root(merkle_leaf_fn leaf, void *ctx, uint64_t size,
                            merkle_hash out);

/* The inclusion proof of leaf index in a tree of size leaves: *proof is
 * malloc'd (caller frees), *n its length. STELLA_E_INVALID_ARG when
 * index >= size. */
stella_err merkle_inclusion_proof(merkle_leaf_fn leaf, void *ctx,
                                  uint64_t index, uint64_t size,
                                  merkle_hash **proof, size_t *n);

/* The consistency proof between sizes size1 and size2 (0 < size1 <= size2),
 * malloc'd as above (n == 0 when size1 == size2). */
stella_err merkle_consistency_proof(merkle_leaf_fn leaf, void *ctx,
                                    uint64_t size1, uint64_t size2,
                                    merkle_hash **proof, size_t *n);

#endif
