/* fuzz_tuf_metadata.c - libFuzzer harness for the whole TUF client: a full
 * refresh (tuf_refresh, then a delegated target search and download) against
 * a simulated, properly signed ed25519 repository served from memory
 * (tests/unit/tuf_sim, mem_fetcher), where the fuzzer's bytes replace one
 * served file: the first byte picks which (timestamp, snapshot, targets,
 * the next root, a delegated role, the target file), the rest is its body.
 * Any input must end in success or a clean error - no crash, no leak, and
 * never a temp file or a half-written file left in the metadata folder.
 *
 * With FUZZ_TUF_WRITE_SEEDS=DIR set, writes one seed per choice (the honest
 * file) into DIR and exits: fuzz/run.sh seeds the corpus that way. */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "fsutil.h"
#include "mem_fetcher.h"
#include "tuf.h"
#include "tuf_sim.h"

#define META_URL "https://tuf.fuzz/metadata/"
#define TARGETS_URL "https://tuf.fuzz/targets/"
#define FUZZ_DIR_PREFIX "stella-fuzz-tuf-"
#define FUZZ_NOW 1767225600 /* 2026-01-01T00:00:00Z; the sim expires 2030 */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TARGET_BYTES "fuzzed target bytes"

/* The target file's consistent-snapshot URL (its SHA-256 in the name). */
static char fuzz_target_url[256];

/* The files the fuzzer can replace, by URL. */
static const char *const fuzz_urls[] = {
  META_URL "timestamp.json",  META_URL "1.snapshot.json",
  META_URL "1.targets.json",  META_URL "2.root.json",
  META_URL "1.deleg.json",    fuzz_target_url,
};
#define FUZZ_N_URLS (sizeof fuzz_urls / sizeof fuzz_urls[0])

static struct {
  stella_fetcher *fetcher;
  tuf_sim sim;
  char *root;            /* root v1, the trust anchor */
  size_t root_len;
  sbuf honest[FUZZ_N_URLS];
  char base[64];         /* temp folder of every run */
  int64_t now;
  stella_clock clock;
} fz;

static int64_t fuzz_now(void *ctx) { return *(const int64_t *)ctx; }

static int fuzz_rm(const char *path, const struct stat *sb, int flag,
                   struct FTW *ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  return remove(path);
}

/* libFuzzer may end the process mid-input (time limit, crash), past our
 * atexit handler: each run's folder is named by its pid, and folders of
 * processes that are gone are removed at the next start. */
static void fuzz_sweep_stale(const char *tmp) {
  DIR *d = opendir(tmp);
  struct dirent *ent;
  size_t plen = strlen(FUZZ_DIR_PREFIX);
  while (d && (ent = readdir(d))) {
    char path[4096];
    if (strncmp(ent->d_name, FUZZ_DIR_PREFIX, plen) != 0)
      continue;
    long pid = strtol(ent->d_name + plen, NULL, 10);
    if (pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
      snprintf(path, sizeof path, "%s/%s", tmp, ent->d_name);
      nftw(path, fuzz_rm, 16, FTW_DEPTH | FTW_PHYS);
    }
  }
  if (d)
    closedir(d);
}

/* A repository: root v1 (trusted) and v2 (rotation), top-level roles, one
 * delegated role "deleg" for deleg/ with one target file. */
static void fuzz_setup(void) {
  size_t len;
  fz.fetcher = mem_fetcher_new();
  if (!fz.fetcher)
    abort();
  sim_init(&fz.sim, fz.fetcher, META_URL, TARGETS_URL);
  fz.root = sim_publish_root(&fz.sim, &fz.root_len);
  fz.sim.prev_root_key = fz.sim.root_key;
  fz.sim.root_key = sim_new_key(&fz.sim);
  fz.sim.root_version = 2;
  free(sim_publish_root(&fz.sim, &len));
  sim_add_role(&fz.sim, "targets", "deleg", "[\"deleg/*\"]", 1);
  sim_add_target(&fz.sim, "deleg", "deleg/file.txt", TARGET_BYTES);
  sim_publish(&fz.sim);
  uint8_t digest[CRYPTO_SHA256_LEN];
  char hex[2 * CRYPTO_SHA256_LEN + 1];
  crypto_sha256(TARGET_BYTES, strlen(TARGET_BYTES), digest);
  hex_encode(digest, sizeof digest, hex);
  snprintf(fuzz_target_url, sizeof fuzz_target_url, "%sdeleg/%s.file.txt",
           TARGETS_URL, hex);
  for (size_t i = 0; i < FUZZ_N_URLS; i++) {
    long status;
    fz.honest[i] = (sbuf)SBUF_INIT;
    if (fz.fetcher->get(fz.fetcher, fuzz_urls[i], 1u << 20, &fz.honest[i],
                        &status, NULL, 0) != STELLA_OK)
      abort(); /* the simulator did not publish what we expect */
  }
  fz.now = FUZZ_NOW;
  fz.clock.now = fuzz_now;
  fz.clock.ctx = &fz.now;
  const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
  fuzz_sweep_stale(tmp);
  snprintf(fz.base, sizeof fz.base, "%s/" FUZZ_DIR_PREFIX "%ld", tmp,
           (long)getpid());
  nftw(fz.base, fuzz_rm, 16, FTW_DEPTH | FTW_PHYS); /* an earlier pid */
  if (mkdir(fz.base, 0700) != 0)
    abort();
}

static void fuzz_write_seeds(const char *dir) {
  for (size_t i = 0; i < FUZZ_N_URLS; i++) {
    char path[4096];
    snprintf(path, sizeof path, "%s/seed-%zu", dir, i);
    FILE *f = fopen(path, "wb");
    if (!f || fputc((int)i, f) == EOF ||
        fwrite(fz.honest[i].data, 1, fz.honest[i].len, f) != fz.honest[i].len)
      abort();
    fclose(f);
  }
}

static void fuzz_teardown(void) {
  nftw(fz.base, fuzz_rm, 16, FTW_DEPTH | FTW_PHYS);
}

/* Aborts if dir holds anything but complete metadata files: a temp file
 * (".x.tmp-..."), a non-.json name, or a file that is not JSON at all. */
static void fuzz_check_dir(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *ent;
  if (!d)
    abort();
  while ((ent = readdir(d))) {
    size_t n = strlen(ent->d_name);
    if (!strcmp(ent->d_name, ".") || !strcmp(ent->d_name, ".."))
      continue;
    if (ent->d_name[0] == '.' || n < 6 || strcmp(ent->d_name + n - 5, ".json"))
      abort(); /* debris left by a failed refresh */
  }
  closedir(d);
}

/* One refresh on a fresh folder that trusts root v1, then the delegated
 * target. Returns the first error. */
static stella_err fuzz_refresh(const char *meta_dir, const char *target_file) {
  tuf_client *c = NULL;
  tuf_target *t = NULL;
  stella_err e;
  tuf_config cfg = {.metadata_dir = meta_dir, .metadata_url = META_URL,
                    .targets_url = TARGETS_URL, .clock = &fz.clock,
                    .fetcher = fz.fetcher};
  if (tuf_client_new(&cfg, &c, NULL, 0) != STELLA_OK)
    abort(); /* the honest root v1 must load */
  if (!(e = tuf_refresh(c)) &&
      !(e = tuf_find_target(c, "deleg/file.txt", &t))) {
    sbuf content = SBUF_INIT;
    e = tuf_download_target(c, t, target_file, &content);
    sbuf_free(&content);
  }
  if (tuf_client_errmsg(c) == NULL)
    abort();
  tuf_target_free(t);
  tuf_client_free(c);
  return e;
}

/* Runs one input: a fresh folder, the file at pick replaced by body. */
static stella_err fuzz_one(size_t pick, const uint8_t *body, size_t len) {
  static unsigned run;
  char dir[128], *meta = NULL, *root = NULL, *target = NULL;
  snprintf(dir, sizeof dir, "%s/%u", fz.base, run++);
  meta = fs_join(dir, "metadata");
  root = meta ? fs_join(meta, "root.json") : NULL;
  target = fs_join(dir, "file.txt");
  if (!root || !target || fs_mkdirs(meta, 0700) != STELLA_OK ||
      fs_write_atomic(root, fz.root, fz.root_len, 0644) != STELLA_OK)
    abort();
  mem_fetcher_add_bytes(fz.fetcher, fuzz_urls[pick], body, len);
  stella_err e = fuzz_refresh(meta, target);
  mem_fetcher_add_bytes(fz.fetcher, fuzz_urls[pick], fz.honest[pick].data,
                        fz.honest[pick].len);
  mem_fetcher_clear_log(fz.fetcher);
  fuzz_check_dir(meta);
  nftw(dir, fuzz_rm, 16, FTW_DEPTH | FTW_PHYS);
  free(meta);
  free(root);
  free(target);
  return e;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  fuzz_setup();
  atexit(fuzz_teardown);
  /* The honest repository must verify end to end, or the harness would
   * only ever fuzz the first failure. */
  for (size_t i = 0; i < FUZZ_N_URLS; i++)
    if (fuzz_one(i, (const uint8_t *)fz.honest[i].data, fz.honest[i].len))
      abort();
  const char *seeds = getenv("FUZZ_TUF_WRITE_SEEDS");
  if (seeds && *seeds) {
    fuzz_write_seeds(seeds);
    exit(0);
  }
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size >= 1)
    fuzz_one(data[0] % FUZZ_N_URLS, data + 1, size - 1);
  return 0;
}
