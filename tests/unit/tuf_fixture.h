/* tuf_fixture.h - shared set-up for the TUF client tests: a temp metadata
 * and targets folder, a fixed clock, an in-memory fetcher and a note log. */
#ifndef STELLA_TESTS_TUF_FIXTURE_H
#define STELLA_TESTS_TUF_FIXTURE_H

#include <stdint.h>
#include "buf.h"
#include "mem_fetcher.h"
#include "tuf.h"

#define FX_META_URL "https://tuf.test/metadata/"
#define FX_TARGETS_URL "https://tuf.test/targets/"

typedef struct tuf_fx {
  char *dir;         /* temp folder, removed by fx_free */
  char *meta_dir;    /* dir/metadata */
  char *target_dir;  /* dir/targets */
  stella_fetcher *fetcher;
  int64_t now;
  stella_clock clock;
  int64_t allow_stale_seconds;
  sbuf notes;        /* every note line, '\n'-terminated */
} tuf_fx;

/* New fixture with the clock at now_rfc3339. */
tuf_fx *fx_new(const char *now_rfc3339);
void fx_free(tuf_fx *fx);

/* STELLA_TEST_DATA/<set>/<rel>, malloc'd. */
char *fx_data_path(const char *set, const char *rel);
/* Copies a data file to meta_dir/name. */
void fx_seed(tuf_fx *fx, const char *set, const char *rel, const char *name);
/* Reads a whole file into a malloc'd NUL-terminated buffer (NULL if
 * absent). */
char *fx_slurp(const char *path, size_t *len);
/* 1 if meta_dir/name has exactly the bytes of the data file. */
int fx_same_as_data(tuf_fx *fx, const char *name, const char *set,
                    const char *rel);

/* A client on the fixture (asserts success). */
tuf_client *fx_client(tuf_fx *fx);

/* All of meta_dir as "name\0bytes..." blocks, for byte-identity checks. */
char *fx_dir_image(const char *dir, size_t *len);

/* Space-separated sorted names of every entry in dir (malloc'd). */
char *fx_dir_names(const char *dir);

/* Serves the Sigstore public-good set in consistent-snapshot layout. */
void fx_serve_sigstore(tuf_fx *fx);
/* The 12 Sigstore target paths (11 top-level + 1 delegated). */
const char *const *fx_sigstore_targets(size_t *n);

#endif
