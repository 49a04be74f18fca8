/* fuzz_bundle_read.c - libFuzzer harness for the trust-bundle reader
 * (core/bundle_read.c): any bytes through the capped zstd-tar reader, the
 * manifest check and the root index. Invariants: no crash, no leak, and a
 * bundle that reads never holds an entry outside the bundle layout.
 *
 * The first input byte picks the layer: odd, the rest is given as is (the
 * zstd frame is fuzzed); even, the rest is zstd-compressed here first, so
 * mutations reach the tar headers and the manifest instead of dying in the
 * decompressor. Seeds: fuzz/bundle-seeds/ (one of each kind). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "bundle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What bundle.h promises a read bundle holds: manifest.json, roots/N.root.json,
 * metadata/NAME, targets/NAME with NAME one non-hidden path segment. */
static int fuzz_path_ok(const char *name) {
  const char *rest = NULL;
  if (strcmp(name, BUNDLE_MANIFEST) == 0)
    return 1;
  if (strncmp(name, "roots/", 6) == 0)
    return bundle_root_file_version(name + 6) > 0;
  if (strncmp(name, "metadata/", 9) == 0)
    rest = name + 9;
  else if (strncmp(name, "targets/", 8) == 0)
    rest = name + 8;
  return rest && *rest && *rest != '.' && !strchr(rest, '/');
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  bundle b = {0};
  char why[512];
  const char *url = NULL;
  int64_t when = 0;
  void *packed = NULL;
  if (size == 0)
    return 0;
  const void *in = data + 1;
  size_t in_len = size - 1;
  if (!(data[0] & 1)) {
    size_t cap = ZSTD_compressBound(in_len);
    packed = malloc(cap ? cap : 1);
    in_len = packed ? ZSTD_compress(packed, cap, data + 1, size - 1, 1) : 0;
    if (!packed || ZSTD_isError(in_len)) {
      free(packed);
      return 0;
    }
    in = packed;
  }
  if (bundle_read_memory(in, in_len, &b, why, sizeof why) == STELLA_OK) {
    for (size_t i = 0; i < b.n; i++)
      if (!fuzz_path_ok(b.files[i].name))
        abort();
    if (bundle_check_manifest(&b, &when, &url, why, sizeof why) ==
        STELLA_OK)
      bundle_index_roots(&b, why, sizeof why);
  }
  bundle_free(&b);
  free(packed);
  return 0;
}
