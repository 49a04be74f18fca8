/* tuf_fixture.c - shared set-up for the TUF client tests (tuf_fixture.h). */
#define _XOPEN_SOURCE 700
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "crypto.h"
#include "fsutil.h"
#include "statedir.h"
#include "tuf_fixture.h"

static const char *const sigstore_targets[] = {
    "artifact.pub", "ctfe.pub", "ctfe_2022.pub", "fulcio.crt.pem",
    "fulcio_intermediate_v1.crt.pem", "fulcio_v1.crt.pem", "rekor.pub",
    "signing_config.json", "signing_config.v0.2.json",
    "signing_config_rekor_v2.v0.2.json", "trusted_root.json",
    "registry.npmjs.org/keys.json",
};

static int64_t fixed_now(void *ctx) { return *(const int64_t *)ctx; }

static void note_to_buf(void *ctx, const char *line) {
  tuf_fx *fx = ctx;
  sbuf_printf(&fx->notes, "%s\n", line);
}

tuf_fx *fx_new(const char *now_rfc3339) {
  tuf_fx *fx = calloc(1, sizeof *fx);
  char tmpl[] = "/tmp/stella-tuf-test-XXXXXX";
  assert_non_null(fx);
  assert_non_null(mkdtemp(tmpl));
  fx->dir = strdup(tmpl);
  fx->meta_dir = fs_join(tmpl, "metadata");
  fx->target_dir = fs_join(tmpl, "targets");
  assert_int_equal(fs_mkdirs(fx->meta_dir, 0700), STELLA_OK);
  assert_int_equal(fs_mkdirs(fx->target_dir, 0700), STELLA_OK);
  assert_int_equal(stella_time_parse(now_rfc3339, &fx->now), STELLA_OK);
  fx->clock.now = fixed_now;
  fx->clock.ctx = &fx->now;
  fx->fetcher = mem_fetcher_new();
  assert_non_null(fx->fetcher);
  return fx;
}

void fx_free(tuf_fx *fx) {
  if (!fx)
    return;
  statedir_rm_tree(fx->dir);
  fetch_free(fx->fetcher);
  sbuf_free(&fx->notes);
  free(fx->dir);
  free(fx->meta_dir);
  free(fx->target_dir);
  free(fx);
}

char *fx_data_path(const char *set, const char *rel) {
  const char *data = getenv("STELLA_TEST_DATA");
  assert_non_null(data);
  char *d = fs_join(data, set), *p = fs_join(d, rel);
  free(d);
  return p;
}

char *fx_slurp(const char *path, size_t *len) {
  sbuf b = SBUF_INIT;
  if (fs_read_file(path, 64u << 20, &b) != STELLA_OK) {
    sbuf_free(&b);
    return NULL;
  }
  return sbuf_take(&b, len);
}

void fx_seed(tuf_fx *fx, const char *set, const char *rel, const char *name) {
  size_t len = 0;
  char *src = fx_data_path(set, rel), *dst = fs_join(fx->meta_dir, name);
  char *bytes = fx_slurp(src, &len);
  assert_non_null(bytes);
  assert_int_equal(fs_write_atomic(dst, bytes, len, 0644), STELLA_OK);
  free(bytes);
  free(src);
  free(dst);
}

int fx_same_as_data(tuf_fx *fx, const char *name, const char *set,
                    const char *rel) {
  size_t a_len = 0, b_len = 0;
  char *pa = fs_join(fx->meta_dir, name), *pb = fx_data_path(set, rel);
  char *a = fx_slurp(pa, &a_len), *b = fx_slurp(pb, &b_len);
  int same = a && b && a_len == b_len && memcmp(a, b, a_len) == 0;
  free(pa);
  free(pb);
  free(a);
  free(b);
  return same;
}

tuf_client *fx_client(tuf_fx *fx) {
  char err[512] = "";
  tuf_config cfg = {
      .metadata_dir = fx->meta_dir,
      .metadata_url = FX_META_URL,
      .targets_url = FX_TARGETS_URL,
      .clock = &fx->clock,
      .fetcher = fx->fetcher,
      .allow_stale_seconds = fx->allow_stale_seconds,
      .note = note_to_buf,
      .note_ctx = fx,
  };
  tuf_client *c = NULL;
  stella_err e = tuf_client_new(&cfg, &c, err, sizeof err);
  if (e != STELLA_OK)
    fail_msg("tuf_client_new: %s (%s)", err, stella_strerror(e));
  return c;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted entry names of dir (without . and ..); returns the count. */
static size_t list_dir(const char *dir, char **names, size_t max) {
  DIR *d = opendir(dir);
  size_t n = 0;
  struct dirent *de;
  assert_non_null(d);
  while ((de = readdir(d)) && n < max)
    if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
      names[n++] = strdup(de->d_name);
  closedir(d);
  qsort(names, n, sizeof names[0], cmp_str);
  return n;
}

char *fx_dir_names(const char *dir) {
  char *names[256];
  size_t n = list_dir(dir, names, 256);
  sbuf out = SBUF_INIT;
  for (size_t i = 0; i < n; i++) {
    sbuf_printf(&out, "%s%s", i ? " " : "", names[i]);
    free(names[i]);
  }
  return sbuf_take(&out, NULL);
}

char *fx_dir_image(const char *dir, size_t *len) {
  char *names[256];
  size_t n = list_dir(dir, names, 256);
  sbuf img = SBUF_INIT;
  for (size_t i = 0; i < n; i++) {
    size_t flen = 0;
    char *p = fs_join(dir, names[i]), *bytes = fx_slurp(p, &flen);
    sbuf_append(&img, names[i], strlen(names[i]) + 1);
    if (bytes)
      sbuf_append(&img, bytes, flen);
    free(bytes);
    free(p);
    free(names[i]);
  }
  return sbuf_take(&img, len);
}

static void serve_sigstore_target(tuf_fx *fx, const char *path) {
  uint8_t d[CRYPTO_SHA256_LEN];
  char hex[2 * CRYPTO_SHA256_LEN + 1], url[1024], rel[512];
  size_t len = 0;
  snprintf(rel, sizeof rel, "targets/%s", path);
  char *file = fx_data_path("tuf-sigstore-public-good", rel);
  char *bytes = fx_slurp(file, &len);
  assert_non_null(bytes);
  crypto_sha256(bytes, len, d);
  hex_encode(d, sizeof d, hex);
  const char *slash = strrchr(path, '/');
  int dirlen = slash ? (int)(slash - path) + 1 : 0;
  snprintf(url, sizeof url, "%s%.*s%s.%s", FX_TARGETS_URL, dirlen, path, hex,
           path + dirlen);
  mem_fetcher_add_bytes(fx->fetcher, url, bytes, len);
  free(bytes);
  free(file);
}

void fx_serve_sigstore(tuf_fx *fx) {
  static const struct { const char *url, *rel; } fixed[] = {
      {"timestamp.json", "metadata/timestamp.json"},
      {"165.snapshot.json", "metadata/snapshot.json"},
      {"14.targets.json", "metadata/targets.json"},
      {"8.registry.npmjs.org.json", "metadata/registry.npmjs.org.json"},
  };
  char url[256], rel[256];
  for (int v = 2; v <= 15; v++) {
    snprintf(url, sizeof url, FX_META_URL "%d.root.json", v);
    snprintf(rel, sizeof rel, "metadata/root_history/%d.root.json", v);
    char *p = fx_data_path("tuf-sigstore-public-good", rel);
    mem_fetcher_add_file(fx->fetcher, url, p);
    free(p);
  }
  for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
    char *p = fx_data_path("tuf-sigstore-public-good", fixed[i].rel);
    snprintf(url, sizeof url, FX_META_URL "%s", fixed[i].url);
    mem_fetcher_add_file(fx->fetcher, url, p);
    free(p);
  }
  for (size_t i = 0; i < sizeof sigstore_targets / sizeof sigstore_targets[0];
       i++)
    serve_sigstore_target(fx, sigstore_targets[i]);
}

const char *const *fx_sigstore_targets(size_t *n) {
  *n = sizeof sigstore_targets / sizeof sigstore_targets[0];
  return sigstore_targets;
}
