/* tufc.c - stella-tufc: the TUF client entrypoint for the tuf-conformance
 * suite (init / refresh / download, exit exactly 0 or 1) and for the bench
 * contract (--repo GENDIR --url URL --count T, one JSON line). Built on the
 * same core as `stella trust`. */
#define _XOPEN_SOURCE 700
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "fetch.h"
#include "fsutil.h"
#include "statedir.h"
#include "tuf.h"

#define MAX_TARGETS 4096

typedef struct tufc_args {
  const char *metadata_dir, *metadata_url, *target_dir, *target_base_url;
  const char *targets[MAX_TARGETS];
  size_t n_targets;
  const char *repo, *url, *count;
  const char *command;
  const char *command_arg;
  int verbose;
} tufc_args;

typedef struct tufc_option {
  const char *name;
  size_t offset; /* where the value goes in tufc_args */
  const char *help;
} tufc_option;

#define OPT(field) offsetof(tufc_args, field)
static const tufc_option tufc_options[] = {
    {"--metadata-dir", OPT(metadata_dir), "trusted metadata folder"},
    {"--metadata-url", OPT(metadata_url), "metadata URL prefix (ends in /)"},
    {"--target-dir", OPT(target_dir), "where downloaded targets go"},
    {"--target-base-url", OPT(target_base_url), "targets URL prefix"},
    {"--target-name", 0, "target path to download (repeatable)"},
    {"--repo", OPT(repo), "bench: gen-repo output folder"},
    {"--url", OPT(url), "bench: repository URL (metadata/ and targets/)"},
    {"--count", OPT(count), "bench: how many paths of paths.txt"},
};
#define N_OPTIONS (sizeof tufc_options / sizeof tufc_options[0])

static void usage(void) {
  fprintf(stderr, "usage: stella-tufc [options] init ROOT_FILE | refresh | "
                  "download\n       stella-tufc --repo GENDIR --url URL "
                  "--count T\noptions:\n");
  for (size_t i = 0; i < N_OPTIONS; i++)
    fprintf(stderr, "  %-18s %s\n", tufc_options[i].name,
            tufc_options[i].help);
  fprintf(stderr, "  %-18s %s\n", "-q", "quiet: no progress on stderr");
}

static int parse_args(int argc, char **argv, tufc_args *a) {
  a->verbose = 1;
  for (int i = 1; i < argc; i++) {
    const tufc_option *o = NULL;
    for (size_t k = 0; k < N_OPTIONS; k++)
      if (strcmp(argv[i], tufc_options[k].name) == 0)
        o = &tufc_options[k];
    if (strcmp(argv[i], "-q") == 0) {
      a->verbose = 0;
    } else if (o && i + 1 < argc) {
      const char *val = argv[++i];
      if (strcmp(o->name, "--target-name") == 0) {
        if (a->n_targets == MAX_TARGETS)
          return -1;
        a->targets[a->n_targets++] = val;
      } else {
        *(const char **)((char *)a + o->offset) = val;
      }
    } else if (!o && argv[i][0] != '-' && !a->command) {
      a->command = argv[i];
      if (strcmp(a->command, "init") == 0 && i + 1 < argc)
        a->command_arg = argv[++i];
    } else {
      fprintf(stderr, "stella-tufc: unexpected argument %s\n", argv[i]);
      return -1;
    }
  }
  return 0;
}

static void note_stderr(void *ctx, const char *line) {
  if (*(const int *)ctx)
    fprintf(stderr, "stella-tufc: %s\n", line);
}

static int fail(const char *what, const char *msg) {
  fprintf(stderr, "stella-tufc: %s failed: %s\n", what, msg);
  return 1;
}

/* ---- conformance commands --------------------------------------------- */

static int cmd_init(const tufc_args *a) {
  char err[512] = "";
  sbuf root = SBUF_INIT;
  if (!a->metadata_dir || !a->command_arg)
    return fail("init", "needs --metadata-dir and a root file");
  stella_err e = fs_read_file(a->command_arg, 512000, &root);
  if (e == STELLA_OK)
    e = tuf_check_root_bytes(root.data, root.len, err, sizeof err);
  else
    snprintf(err, sizeof err, "%s: %s", a->command_arg, stella_strerror(e));
  char *dest = e == STELLA_OK ? fs_join(a->metadata_dir, "root.json") : NULL;
  if (e == STELLA_OK)
    e = dest ? fs_write_atomic(dest, root.data, root.len, 0644)
             : STELLA_E_NOMEM;
  if (e != STELLA_OK && !err[0])
    snprintf(err, sizeof err, "storing root.json: %s", stella_strerror(e));
  free(dest);
  sbuf_free(&root);
  return e == STELLA_OK ? 0 : fail("init", err);
}

static stella_err open_client(const tufc_args *a, stella_fetcher *f,
                              tuf_client **c) {
  char err[512] = "";
  static int verbose;
  verbose = a->verbose;
  tuf_config cfg = {
      .metadata_dir = a->metadata_dir,
      .metadata_url = a->metadata_url,
      .targets_url = a->target_base_url,
      .fetcher = f,
      .note = note_stderr,
      .note_ctx = &verbose,
  };
  stella_err e = tuf_client_new(&cfg, c, err, sizeof err);
  if (e != STELLA_OK)
    fail("loading trusted root", err);
  return e;
}

static int cmd_refresh(const tufc_args *a) {
  if (!a->metadata_dir || !a->metadata_url)
    return fail("refresh", "needs --metadata-dir and --metadata-url");
  stella_fetcher *f = fetch_curl_new(NULL);
  tuf_client *c = NULL;
  int rc = 1;
  if (!f)
    return fail("refresh", "could not start libcurl");
  if (open_client(a, f, &c) == STELLA_OK) {
    if (tuf_refresh(c) == STELLA_OK)
      rc = 0;
    else
      fail("refresh", tuf_client_errmsg(c));
  }
  tuf_client_free(c);
  fetch_free(f);
  return rc;
}

static stella_err download_one(tuf_client *c, const char *target_dir,
                               const char *path) {
  tuf_target *t = NULL;
  sbuf name = SBUF_INIT;
  stella_err e = tuf_find_target(c, path, &t);
  if (e == STELLA_OK)
    e = fs_pct_encode(path, strlen(path), &name); /* one flat file */
  char *dest = e == STELLA_OK ? fs_join(target_dir, name.data) : NULL;
  if (e == STELLA_OK)
    e = dest ? tuf_download_target(c, t, dest, NULL) : STELLA_E_NOMEM;
  free(dest);
  sbuf_free(&name);
  tuf_target_free(t);
  return e;
}

static int cmd_download(const tufc_args *a) {
  if (!a->metadata_dir || !a->metadata_url || !a->target_dir ||
      !a->target_base_url)
    return fail("download", "needs --metadata-dir, --metadata-url, "
                            "--target-dir and --target-base-url");
  stella_fetcher *f = fetch_curl_new(NULL);
  tuf_client *c = NULL;
  int rc = 1;
  if (!f)
    return fail("download", "could not start libcurl");
  if (open_client(a, f, &c) == STELLA_OK) {
    stella_err e = tuf_refresh(c); /* the implicit refresh */
    for (size_t i = 0; e == STELLA_OK && i < a->n_targets; i++)
      e = download_one(c, a->target_dir, a->targets[i]);
    if (e == STELLA_OK)
      rc = 0;
    else
      fail("download", tuf_client_errmsg(c));
  }
  tuf_client_free(c);
  fetch_free(f);
  return rc;
}

/* ---- bench contract --------------------------------------------------- */

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static stella_err bench_seed(const char *repo, const char *meta_dir) {
  sbuf root = SBUF_INIT;
  char *src = fs_join(repo, "1.root.json");
  char *dst = fs_join(meta_dir, "root.json");
  stella_err e = (src && dst) ? fs_read_file(src, 512000, &root)
                              : STELLA_E_NOMEM;
  if (e == STELLA_OK)
    e = fs_write_atomic(dst, root.data, root.len, 0644);
  free(src);
  free(dst);
  sbuf_free(&root);
  return e;
}

static stella_err bench_downloads(tuf_client *c, const char *repo, long count,
                                  const char *target_dir) {
  char *paths_file = fs_join(repo, "paths.txt");
  sbuf paths = SBUF_INIT;
  stella_err e = paths_file ? fs_read_file(paths_file, 256u << 20, &paths)
                            : STELLA_E_NOMEM;
  char *line = e == STELLA_OK ? paths.data : NULL;
  for (long i = 0; e == STELLA_OK && i < count && line && *line; i++) {
    char *end = strchr(line, '\n');
    if (end)
      *end = '\0';
    e = download_one(c, target_dir, line);
    line = end ? end + 1 : NULL;
  }
  free(paths_file);
  sbuf_free(&paths);
  return e;
}

static int cmd_bench(const tufc_args *a) {
  char dir[] = "/tmp/stella-tufc-XXXXXX";
  long count = a->count ? strtol(a->count, NULL, 10) : 1;
  if (!a->url || !mkdtemp(dir))
    return fail("bench", "needs --repo, --url and a writable /tmp");
  char *meta = fs_join(dir, "metadata"), *tgt = fs_join(dir, "targets");
  char murl[2048], turl[2048];
  size_t ul = strlen(a->url);
  const char *sep = ul && a->url[ul - 1] == '/' ? "" : "/";
  snprintf(murl, sizeof murl, "%s%smetadata/", a->url, sep);
  snprintf(turl, sizeof turl, "%s%stargets/", a->url, sep);
  tufc_args ca = *a;
  ca.metadata_dir = meta;
  ca.metadata_url = murl;
  ca.target_base_url = turl;
  stella_fetcher *f = fetch_curl_new(NULL);
  tuf_client *c = NULL;
  double t0 = 0, t1 = 0, t2 = 0;
  int rc = 1;
  if (f && meta && tgt && fs_mkdirs(meta, 0700) == STELLA_OK &&
      fs_mkdirs(tgt, 0700) == STELLA_OK &&
      bench_seed(a->repo, meta) == STELLA_OK &&
      open_client(&ca, f, &c) == STELLA_OK) {
    t0 = now_ms();
    stella_err e = tuf_refresh(c);
    t1 = now_ms();
    if (e == STELLA_OK)
      e = bench_downloads(c, a->repo, count, tgt);
    t2 = now_ms();
    if (e == STELLA_OK)
      rc = 0;
    else
      fail("bench", tuf_client_errmsg(c));
  } else if (!c) {
    fail("bench", "could not set up the temporary metadata folder");
  }
  if (rc == 0)
    printf("{\"client\":\"stella-tufc\",\"refresh_ms\":%.3f,"
           "\"download_ms\":%.3f,\"count\":%ld}\n", t1 - t0, t2 - t1, count);
  tuf_client_free(c);
  fetch_free(f);
  statedir_rm_tree(dir);
  free(meta);
  free(tgt);
  return rc;
}

/* ---- main ---------------------------------------------------------------- */

typedef struct tufc_command {
  const char *name;
  int (*run)(const tufc_args *a);
} tufc_command;

static const tufc_command tufc_commands[] = {
    {"init", cmd_init},
    {"refresh", cmd_refresh},
    {"download", cmd_download},
};

int main(int argc, char **argv) {
  tufc_args a;
  memset(&a, 0, sizeof a);
  if (parse_args(argc, argv, &a) != 0) {
    usage();
    return 1;
  }
  if (!a.command && a.repo)
    return cmd_bench(&a) ? 1 : 0;
  for (size_t i = 0; a.command && i < sizeof tufc_commands /
                                          sizeof tufc_commands[0]; i++)
    if (strcmp(a.command, tufc_commands[i].name) == 0)
      return tufc_commands[i].run(&a) ? 1 : 0;
  usage();
  return 1;
}
