/* cmd_ceremony.c - `stella tuf ceremony init|sign|status|finalize` (and the
 * devops/scripts/tuf-ceremony wrapper): the root key ceremony of
 * include/stella/repo.h. Prints key file paths and keyids, never keys. */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "stella/repo.h"

/* Progress lines of the core ("holder 1: PATH  keyid ..."), as they come. */
static void ceremony_print_note(void *ctx, const char *line) {
  char shown[2048];
  (void)ctx;
  printf("%s\n", cli_printable(line, shown, sizeof shown));
  fflush(stdout);
}

/* Opens the workspace (--repo, else the current folder), or prints why not. */
static stella_repo *ceremony_open(const cli_ctx *ctx, const cli_args *args,
                                  int quiet) {
  stella_repo *r = stella_repo_new(ctx->clock,
                                   quiet ? NULL : ceremony_print_note, NULL);
  if (!r) {
    cli_error(ctx, CLI_EXIT_FAIL, "out of memory");
    return NULL;
  }
  if (stella_repo_open(r, args->repo ? args->repo : ".")) {
    cli_error(ctx, CLI_EXIT_FAIL, "opening the repository failed: %s%s",
              stella_repo_errmsg(r),
              args->repo ? "" : " (pass --repo DIR)");
    stella_repo_free(r);
    return NULL;
  }
  return r;
}

/* The core's message for a failed call; exit 1 (2 for a usage problem). */
static int ceremony_fail(const cli_ctx *ctx, stella_repo *r, stella_err e) {
  int rc = cli_error(ctx, cli_exit_for(e), "%s", stella_repo_errmsg(r));
  stella_repo_free(r);
  return rc;
}

/* A whole number in 1..INT_MAX for a flag, or -1. */
static int ceremony_count(const char *text) {
  char *end;
  errno = 0;
  long v = text ? strtol(text, &end, 10) : -1;
  if (!text || errno || end == text || *end || v < 1 || v > INT_MAX)
    return -1;
  return (int)v;
}

/* "holder-2.pem" for a key, else its keyid's first 16 digits. */
static const char *ceremony_key_name(const stella_ceremony_key *k,
                                     char buf[32]) {
  if (k->holder[0])
    return k->holder;
  snprintf(buf, 32, "keyid %.16s", k->keyid);
  return buf;
}

/* "root v1 keys (old): 1 of 2" and the unsigned ones, one line. */
static void ceremony_print_set(const char *label,
                               const stella_ceremony_set *set) {
  printf("  root v%lld keys (%s): %d of %d signatures%s", (long long)set->version,
         label, set->have, set->need,
         set->have >= set->need ? " - threshold met\n" : "; missing:");
  if (set->have >= set->need)
    return;
  for (size_t i = 0, first = 1; i < set->n_keys; i++) {
    char buf[32];
    if (set->keys[i].has_signature)
      continue;
    printf("%s %s", first ? "" : ",", ceremony_key_name(&set->keys[i], buf));
    first = 0;
  }
  printf(" (any %d)\n", set->need - set->have);
}

static void ceremony_print_status(const stella_ceremony_status *st) {
  char exp[32];
  stella_time_format(st->expires, exp, sizeof exp);
  printf("root v%lld (expires %s): %s\n", (long long)st->version, exp,
         st->ready ? "READY to finalize" : "not ready");
  ceremony_print_set("old", &st->old_root);
  ceremony_print_set("new", &st->new_root);
}

/* ---- init ---------------------------------------------------------------- */

int cmd_ceremony_init(cli_ctx *ctx, const cli_args *args) {
  stella_ceremony_init_opts o = {0};
  stella_ceremony_status st;
  if (!args->threshold || !args->keys)
    return cli_usage_error(ctx, "--threshold M and --keys N are required");
  o.threshold = ceremony_count(args->threshold);
  o.keys = ceremony_count(args->keys);
  if (o.threshold < 0 || o.keys < 0)
    return cli_usage_error(ctx, "--threshold and --keys take a whole number "
                           "of at least 1 (got '%s' and '%s')",
                           args->threshold, args->keys);
  o.algorithm = args->algorithm;
  o.out_dir = args->out;
  o.force = args->force;
  stella_repo *r = ceremony_open(ctx, args, 0);
  if (!r)
    return CLI_EXIT_FAIL;
  stella_err e = stella_repo_ceremony_init(r, &o, &st);
  if (e)
    return ceremony_fail(ctx, r, e);
  ceremony_print_status(&st);
  printf("next: each holder signs with `stella tuf ceremony sign --repo %s "
         "--key FILE`, old holders first; then `stella tuf ceremony "
         "finalize`\n", stella_repo_dir(r));
  stella_repo_free(r);
  return CLI_EXIT_OK;
}

/* ---- sign ---------------------------------------------------------------- */

int cmd_ceremony_sign(cli_ctx *ctx, const cli_args *args) {
  stella_ceremony_status st;
  char keyid[65];
  int sets = 0;
  if (!args->key)
    return cli_usage_error(ctx, "--key FILE is required");
  stella_repo *r = ceremony_open(ctx, args, 0);
  if (!r)
    return CLI_EXIT_FAIL;
  stella_err e = stella_repo_ceremony_sign(r, args->key, args->file, keyid,
                                           &sets, &st);
  if (e)
    return ceremony_fail(ctx, r, e);
  if (sets & STELLA_CEREMONY_OLD)
    printf("keyid %.16s... is a root v%lld key: it counts for the old "
           "threshold\n", keyid, (long long)st.old_root.version);
  if (sets & STELLA_CEREMONY_NEW)
    printf("keyid %.16s... is a root v%lld key: it counts for the new "
           "threshold\n", keyid, (long long)st.new_root.version);
  ceremony_print_status(&st);
  stella_repo_free(r);
  return CLI_EXIT_OK;
}

/* ---- status -------------------------------------------------------------- */

/* {"version","have","need","signed":[keyid],"missing":[keyid],
 *  "missing_holders":[file or ""]} of one set. */
static json_t *ceremony_set_json(const stella_ceremony_set *set) {
  json_t *signed_ids = json_array(), *missing = json_array(),
         *holders = json_array();
  for (size_t i = 0; i < set->n_keys; i++) {
    const stella_ceremony_key *k = &set->keys[i];
    if (k->has_signature) {
      json_array_append_new(signed_ids, json_string(k->keyid));
    } else {
      json_array_append_new(missing, json_string(k->keyid));
      json_array_append_new(holders, json_string(k->holder));
    }
  }
  return json_pack("{s:I, s:i, s:i, s:o, s:o, s:o}", "version",
                   (json_int_t)set->version, "have", set->have, "need",
                   set->need, "signed", signed_ids, "missing", missing,
                   "missing_holders", holders);
}

static int ceremony_print_json(const stella_ceremony_status *st) {
  char exp[32];
  stella_time_format(st->expires, exp, sizeof exp);
  json_t *o = json_pack("{s:I, s:s, s:b, s:o, s:o}", "version",
                        (json_int_t)st->version, "expires", exp, "ready",
                        st->ready, "old", ceremony_set_json(&st->old_root),
                        "new", ceremony_set_json(&st->new_root));
  char *text = o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
  json_decref(o);
  if (!text)
    return CLI_EXIT_FAIL;
  printf("%s\n", text);
  free(text);
  return CLI_EXIT_OK;
}

int cmd_ceremony_status(cli_ctx *ctx, const cli_args *args) {
  stella_ceremony_status st;
  stella_repo *r = ceremony_open(ctx, args, 1);
  if (!r)
    return CLI_EXIT_FAIL;
  stella_err e = stella_repo_ceremony_status(r, args->file, &st);
  if (e)
    return ceremony_fail(ctx, r, e);
  int rc = CLI_EXIT_OK;
  if (args->json)
    rc = ceremony_print_json(&st);
  else
    ceremony_print_status(&st);
  stella_repo_free(r);
  return rc == CLI_EXIT_OK ? rc : cli_error(ctx, rc, "out of memory");
}

/* ---- finalize ------------------------------------------------------------ */

int cmd_ceremony_finalize(cli_ctx *ctx, const cli_args *args) {
  stella_ceremony_status st;
  stella_repo *r = ceremony_open(ctx, args, 0);
  if (!r)
    return CLI_EXIT_FAIL;
  stella_err e = stella_repo_ceremony_finalize(r, &st);
  if (e)
    return ceremony_fail(ctx, r, e);
  printf("root v%lld is staged in staged/metadata/root.json; make it live "
         "with `stella tuf sign --repo %s` and `stella tuf publish --repo "
         "%s`\n", (long long)st.version, stella_repo_dir(r),
         stella_repo_dir(r));
  stella_repo_free(r);
  return CLI_EXIT_OK;
}
