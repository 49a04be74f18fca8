/* cmd_tuf.c - `stella tuf ...`: the repository side (include/stella/repo.h):
 * repo init, sign, publish, diff, endpoint swap/add/remove, rekor-key
 * add/remove-old, signing-key generate/retire. Each change only stages;
 * sign + publish make it live. */
#include "cli.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "stella/repo.h"

#define CLI_TUF_MAX_MIRRORS 32

/* Progress lines of the core go to stdout as they happen, printable: they
 * quote what the workspace stores (names, notes, URLs), and a workspace an
 * older stella filled must not retitle or clear the terminal. */
static void cli_tuf_note(void *ctx, const char *line) {
  char shown[2048];
  (void)ctx;
  printf("%s\n", cli_printable(line, shown, sizeof shown));
  fflush(stdout);
}

static stella_repo *cli_tuf_new(const cli_ctx *ctx, int quiet) {
  stella_repo *r = stella_repo_new(ctx->clock, quiet ? NULL : cli_tuf_note,
                                   NULL);
  if (!r)
    cli_error(ctx, CLI_EXIT_FAIL, "out of memory");
  return r;
}

/* A handle on --repo DIR (default: the current folder), or NULL after
 * printing why. */
static stella_repo *cli_tuf_open(const cli_ctx *ctx, const char *dir,
                                 int quiet) {
  stella_repo *r = cli_tuf_new(ctx, quiet);
  if (r && stella_repo_open(r, dir ? dir : ".")) {
    cli_error(ctx, CLI_EXIT_FAIL, "%s", stella_repo_errmsg(r));
    stella_repo_free(r);
    return NULL;
  }
  return r;
}

/* Ends a command: the core's one-line message on failure. */
static int cli_tuf_done(const cli_ctx *ctx, stella_repo *r, stella_err e) {
  if (e)
    cli_error(ctx, cli_exit_for(e), "%s", stella_repo_errmsg(r));
  stella_repo_free(r);
  return cli_exit_for(e);
}

/* "--compromised-since T" as epoch seconds (0 when absent); -1 on a bad T.
 * The core takes 0 as "no compromise"; a T at or before 1970-01-01T00:00:00Z
 * is before any key's start (a key starts when it is added), so it gets the
 * reason the core gives for a time before the start. */
static int64_t cli_tuf_time(const cli_ctx *ctx, const char *text) {
  int64_t t = 0;
  if (!text)
    return 0;
  if (stella_time_parse(text, &t)) {
    cli_usage_error(ctx, "--compromised-since '%s' is not an RFC 3339 time "
                    "(e.g. 2026-12-01T08:00:00Z)", text);
    return -1;
  }
  if (t <= 0) {
    cli_usage_error(ctx, "--compromised-since %s is before the key's "
                    "validity started (give the time it may first have "
                    "been exposed, at the earliest its start)", text);
    return -1;
  }
  return t;
}

static int cli_tuf_int(const char *text, int dflt) {
  if (!text)
    return dflt;
  char *end;
  long v = strtol(text, &end, 10);
  return *end || v < 1 || v > 1000 ? -1 : (int)v;
}

/* init builds the workspace in DIR.init-XXXXXX (private keys included)
 * and removes it on any failure, but a Ctrl-C or kill in the middle would
 * leave it behind. So those signals wait until init has finished or
 * cleaned up (a fraction of a second), then act as usual. */
static stella_err cli_tuf_init_whole(stella_repo *r, const char *dir,
                                     const stella_repo_init_opts *o) {
  static const int held[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
  sigset_t block, old;
  sigemptyset(&block);
  for (size_t i = 0; i < sizeof held / sizeof held[0]; i++)
    sigaddset(&block, held[i]);
  sigprocmask(SIG_BLOCK, &block, &old);
  stella_err e = stella_repo_init(r, dir, o);
  sigprocmask(SIG_SETMASK, &old, NULL);
  return e;
}

int cmd_tuf_repo_init(cli_ctx *ctx, const cli_args *args) {
  const char *mirrors[CLI_TUF_MAX_MIRRORS];
  stella_repo_init_opts o = {.rekor_url = args->rekor_url,
                             .rekor_key_file = args->rekor_key,
                             .key_type = args->key_type,
                             .publish_to = args->publish_to,
                             .mirror_urls = mirrors};
  if (!args->repo || !args->rekor_url || !args->rekor_key)
    return cli_usage_error(ctx, "needs --repo DIR, --rekor-url URL and "
                           "--rekor-key FILE.pub");
  o.root_keys = cli_tuf_int(args->root_keys, 1);
  o.root_threshold = cli_tuf_int(args->root_threshold, 1);
  if (o.root_keys < 0 || o.root_threshold < 0)
    return cli_usage_error(ctx, "--root-keys and --root-threshold take a "
                           "number from 1");
  /* --mirror-url repeats: collect every one (the table keeps the last). */
  for (int i = 0; i < args->rest_argc; i++) {
    const char *w = args->rest_argv[i];
    const char *v = !strncmp(w, "--mirror-url=", 13) ? w + 13
                    : !strcmp(w, "--mirror-url") && i + 1 < args->rest_argc
                        ? args->rest_argv[++i]
                        : NULL;
    if (v && o.n_mirror_urls == CLI_TUF_MAX_MIRRORS)
      return cli_usage_error(ctx, "at most %d --mirror-url",
                             CLI_TUF_MAX_MIRRORS);
    if (v)
      mirrors[o.n_mirror_urls++] = v;
  }
  stella_repo *r = cli_tuf_new(ctx, 0);
  if (!r)
    return CLI_EXIT_FAIL;
  stella_err e = cli_tuf_init_whole(r, args->repo, &o);
  if (!e)
    printf("created repository %s: root v1 (%d of %d root keys), staged "
           "and signed; next: scripts/publish.sh\n", stella_repo_dir(r),
           o.root_threshold, o.root_keys);
  return cli_tuf_done(ctx, r, e);
}

static void cli_tuf_print_missing(const stella_repo_missing *m, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (m[i].need > m[i].keys)
      printf("missing: %s v%d needs %d signatures but only %d keys are "
             "authorized: the threshold can never be met\n", m[i].role,
             m[i].version, m[i].need, m[i].keys);
    else
      printf("missing: %s v%d has %d of %d signatures; not yet signed by "
             "keyids %s\n", m[i].role, m[i].version, m[i].have, m[i].need,
             m[i].keyids);
}

/* The ", "-joined keyid prefixes of a stella_repo_missing as a JSON array,
 * which is what a script reading --json wants. */
static json_t *cli_tuf_keyid_array(const char *joined) {
  json_t *arr = json_array();
  const char *p = joined;
  while (*p) {
    size_t len = strcspn(p, ", ");
    if (len)
      json_array_append_new(arr, json_stringn(p, len));
    p += len;
    p += strspn(p, ", ");
  }
  return arr;
}

static int cli_tuf_sign_json(const stella_repo_missing *m, size_t n) {
  json_t *arr = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(arr, json_pack("{s:s, s:i, s:i, s:i, s:i, s:o}",
                                         "role", m[i].role, "version",
                                         m[i].version, "have", m[i].have,
                                         "need", m[i].need, "keys", m[i].keys,
                                         "keyids",
                                         cli_tuf_keyid_array(m[i].keyids)));
  json_t *o = json_pack("{s:b, s:o}", "ready", n == 0, "missing", arr);
  char *text = json_dumps(o, JSON_INDENT(2));
  if (text)
    printf("%s\n", text);
  free(text);
  json_decref(o);
  return text ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

int cmd_tuf_sign(cli_ctx *ctx, const cli_args *args) {
  stella_repo_sign_opts o = {.role = args->role, .key_file = args->key};
  stella_repo_missing *m = NULL;
  size_t n = 0;
  if (!args->role != !args->key)
    return cli_usage_error(ctx, "--role R and --key FILE go together");
  stella_repo *r = cli_tuf_open(ctx, args->repo, args->json);
  if (!r)
    return CLI_EXIT_FAIL;
  stella_err e = stella_repo_sign(r, &o, &m, &n);
  if (e)
    return cli_tuf_done(ctx, r, e);
  int rc = CLI_EXIT_OK;
  if (args->json) {
    rc = cli_tuf_sign_json(m, n);
  } else {
    cli_tuf_print_missing(m, n);
    if (n)
      printf("not ready to publish: add the missing signatures with "
             "`stella tuf sign --repo %s --role ROLE --key FILE`\n",
             stella_repo_dir(r));
    else
      printf("ready to publish (scripts/publish.sh)\n");
  }
  free(m);
  stella_repo_free(r);
  return rc;
}

int cmd_tuf_publish(cli_ctx *ctx, const cli_args *args) {
  stella_repo *r = cli_tuf_open(ctx, args->repo, 0);
  if (!r)
    return CLI_EXIT_FAIL;
  stella_err e = stella_repo_publish(r, args->to);
  return cli_tuf_done(ctx, r, e);
}

/* One line of `tuf diff`: stored text, printed as `trust status` does. */
static void cli_tuf_line(void *ctx, const char *line) {
  char shown[2048];
  (void)ctx;
  printf("  %s\n", cli_printable(line, shown, sizeof shown));
}

int cmd_tuf_diff(cli_ctx *ctx, const cli_args *args) {
  size_t n = 0;
  stella_repo *r = cli_tuf_open(ctx, args->repo, 1);
  if (!r)
    return CLI_EXIT_FAIL;
  printf("staged against published in %s:\n", stella_repo_dir(r));
  stella_err e = stella_repo_diff(r, cli_tuf_line, NULL, &n);
  if (!e && !n)
    printf("  nothing to publish\n");
  return cli_tuf_done(ctx, r, e);
}

/* Shared tail of every staging command. */
static int cli_tuf_staged(const cli_ctx *ctx, stella_repo *r, stella_err e,
                          const char *what) {
  char shown[2048];
  if (!e)
    printf("staged: %s; next: scripts/sign-metadata.sh and "
           "scripts/publish.sh in %s (`stella tuf diff` shows it)\n",
           cli_printable(what, shown, sizeof shown), stella_repo_dir(r));
  return cli_tuf_done(ctx, r, e);
}

int cmd_tuf_endpoint_swap(cli_ctx *ctx, const cli_args *args) {
  char what[1200];
  if (!args->new_rekor_url || !args->note)
    return cli_usage_error(ctx, "needs --new-rekor-url URL and --note TEXT "
                           "(the note is recorded with the change)");
  stella_repo *r = cli_tuf_open(ctx, args->repo, 0);
  if (!r)
    return CLI_EXIT_FAIL;
  snprintf(what, sizeof what, "Rekor primary is now %s",
           args->new_rekor_url);
  return cli_tuf_staged(ctx, r,
                        stella_repo_endpoint_swap(r, args->new_rekor_url,
                                                  args->note),
                        what);
}

static int cli_tuf_endpoint(cli_ctx *ctx, const cli_args *args, int add) {
  char what[1200];
  if (!args->rekor_url)
    return cli_usage_error(ctx, "needs --rekor-url URL");
  stella_repo *r = cli_tuf_open(ctx, args->repo, 0);
  if (!r)
    return CLI_EXIT_FAIL;
  snprintf(what, sizeof what, "Rekor endpoint %s %s", args->rekor_url,
           add ? "added" : "ended");
  stella_err e = add ? stella_repo_endpoint_add(r, args->rekor_url, args->note)
                     : stella_repo_endpoint_remove(r, args->rekor_url,
                                                   args->note);
  return cli_tuf_staged(ctx, r, e, what);
}

int cmd_tuf_endpoint_add(cli_ctx *ctx, const cli_args *args) {
  return cli_tuf_endpoint(ctx, args, 1);
}

int cmd_tuf_endpoint_remove(cli_ctx *ctx, const cli_args *args) {
  return cli_tuf_endpoint(ctx, args, 0);
}

int cmd_tuf_rekor_key_add(cli_ctx *ctx, const cli_args *args) {
  if (!args->new_key)
    return cli_usage_error(ctx, "needs --new-key FILE.pub");
  stella_repo *r = cli_tuf_open(ctx, args->repo, 0);
  if (!r)
    return CLI_EXIT_FAIL;
  return cli_tuf_staged(ctx, r,
                        stella_repo_rekor_key_add(r, args->new_key,
                                                  args->name, args->rekor_url,
                                                  args->note),
                        "new Rekor log key, valid from now");
}

int cmd_tuf_rekor_key_remove(cli_ctx *ctx, const cli_args *args) {
  if (!args->old_key_name)
    return cli_usage_error(ctx, "needs --old-key-name NAME");
  int64_t since = cli_tuf_time(ctx, args->compromised_since);
  if (since < 0)
    return CLI_EXIT_USAGE;
  stella_repo *r = cli_tuf_open(ctx, args->repo, 0);
  if (!r)
    return CLI_EXIT_FAIL;
  return cli_tuf_staged(ctx, r,
                        stella_repo_rekor_key_remove(r, args->old_key_name,
                                                     since, args->skip_grace,
                                                     args->note),
                        since ? "old Rekor log key ended at the compromise "
                                "time"
                              : "old Rekor log key ended now");
}

/* signing-key commands: --repo, else $STELLA_TUF_REPO. */
static const char *cli_tuf_signing_repo(const cli_args *args) {
  const char *env = getenv("STELLA_TUF_REPO");
  return args->repo ? args->repo : (env && *env ? env : NULL);
}

int cmd_tuf_signing_key_generate(cli_ctx *ctx, const cli_args *args) {
  const char *repo = cli_tuf_signing_repo(args);
  const char *out = args->out ? args->out : ".";
  stella_repo *r = repo ? cli_tuf_open(ctx, repo, 0) : cli_tuf_new(ctx, 0);
  if (!r)
    return CLI_EXIT_FAIL;
  stella_err e = stella_repo_signing_key_generate(r, args->key_type,
                                                  args->name, out,
                                                  args->note);
  if (!e && !repo)
    printf("not published: no --repo and no STELLA_TUF_REPO; add the "
           "public key to a repository to make verifiers trust it\n");
  if (!repo || e)
    return cli_tuf_done(ctx, r, e);
  return cli_tuf_staged(ctx, r, e, "new signing key, active");
}

int cmd_tuf_signing_key_retire(cli_ctx *ctx, const cli_args *args) {
  const char *repo = cli_tuf_signing_repo(args);
  if (!args->old_key)
    return cli_usage_error(ctx, "needs --old-key NAME");
  if (!repo)
    return cli_usage_error(ctx, "needs --repo DIR (or STELLA_TUF_REPO)");
  int64_t since = cli_tuf_time(ctx, args->compromised_since);
  if (since < 0)
    return CLI_EXIT_USAGE;
  stella_repo *r = cli_tuf_open(ctx, repo, 0);
  if (!r)
    return CLI_EXIT_FAIL;
  return cli_tuf_staged(ctx, r,
                        stella_repo_signing_key_retire(r, args->old_key,
                                                       since, args->note),
                        since ? "signing key marked compromised"
                              : "signing key retired");
}
