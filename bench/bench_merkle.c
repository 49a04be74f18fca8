/* bench_merkle.c - inclusion-proof verifications per second
 * (merkle_verify_inclusion), for the proof of a 2^20-leaf tree (20 hashes)
 * and for a leaf of the production Rekor v1 shard at the size of one of
 * its real checkpoints (649584076 leaves, 30 hashes). Prints one line.
 * The proof hashes are arbitrary: the root they lead to is computed once
 * and then checked, which costs exactly what checking a real proof does.
 * The CPU may be shared: each figure is the best and the median of five
 * rounds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "merkle.h"

typedef struct bench_case {
  const char *name;
  uint64_t index, size;
} bench_case;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Verifications per second of proof (n hashes) over about min_s seconds,
 * -1 on a failed check. */
static double bench_round(const bench_case *c, const merkle_hash *proof,
                          size_t n, const merkle_hash leaf,
                          const merkle_hash root, double min_s) {
  unsigned long done = 0;
  double start = now_s(), el;
  do {
    for (int k = 0; k < 1000; k++)
      if (merkle_verify_inclusion(c->index, c->size, leaf, proof, n, root))
        return -1;
    done += 1000;
  } while ((el = now_s() - start) < min_s);
  return (double)done / el;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Best and median rate of five rounds for one (index, size); *hashes gets
 * the proof length. -1 on a failed check. */
static double bench_one(const bench_case *c, double min_s, size_t *hashes,
                        double *median) {
  merkle_hash proof[64], leaf, root;
  size_t n = 0;
  for (size_t i = 0; i < 64; i++)
    memset(proof[i], (int)(i * 7 + 1), MERKLE_HASH_LEN);
  memset(leaf, 0x5a, sizeof leaf);
  /* the one length the verifier accepts for (index, size) */
  while (n <= 64 &&
         merkle_root_from_inclusion(c->index, c->size, leaf, proof, n, root))
    n++;
  if (n > 64)
    return -1;
  *hashes = n;
  double rate[5];
  for (int r = 0; r < 5; r++)
    if ((rate[r] = bench_round(c, proof, n, leaf, root, min_s / 5)) < 0)
      return -1;
  qsort(rate, 5, sizeof rate[0], cmp_double);
  *median = rate[2];
  return rate[4];
}

int main(int argc, char **argv) {
  static const bench_case cases[] = {
      {"2^20 leaves", 123456, (uint64_t)1 << 20},
      {"rekor prod 649584076 leaves", 527679813, 649584076},
  };
  double min_s = argc > 1 ? atof(argv[1]) : 1.0;
  printf("bench_merkle: inclusion verifications/s:");
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    size_t n = 0;
    double median = 0, rate = bench_one(&cases[i], min_s, &n, &median);
    if (rate < 0) {
      printf(" %s: FAILED\n", cases[i].name);
      return 1;
    }
    printf("%s %s (%zu hashes) best %.0f/s (%.2f us each), median %.0f/s",
           i ? ";" : "", cases[i].name, n, rate, 1e6 / rate, median);
  }
  printf("\n");
  return 0;
}
