/* cmd_trust.c - `stella trust init` and `stella trust sync`, and what the
 * trust commands share (cmd_trust.h). */
#include "cli.h"
#include "cmd_trust.h"

#include <stdio.h>

int cli_stale_args(const cli_ctx *ctx, const cli_args *args,
                   int64_t *max_age) {
  *max_age = 0;
  if (args->allow_stale != (args->max_age != NULL))
    return cli_usage_error(ctx, "--allow-stale and --max-age DUR go "
                           "together");
  if (args->max_age && (stella_duration_parse(args->max_age, max_age) ||
                        *max_age <= 0))
    return cli_usage_error(ctx, "--max-age '%s' is not a duration like 7d, "
                           "36h or 90m", args->max_age);
  return 0;
}

int cmd_trust_init(cli_ctx *ctx, const cli_args *args) {
  if (!args->tuf_url || !args->root)
    return cli_usage_error(ctx, "needs --tuf-url URL and --root FILE");
  /* The folder is made once the URL and the root check. */
  stella_trust *t = cli_open_trust(ctx, args);
  if (!t)
    return CLI_EXIT_FAIL;
  stella_err e = stella_trust_init(t, args->tuf_url, args->root, args->force);
  if (e)
    cli_error(ctx, cli_exit_for(e), "%s", stella_trust_errmsg(t));
  else
    printf("initialized %s: trusting %s with root %s\n",
           stella_trust_home(t), args->tuf_url, args->root);
  stella_trust_free(t);
  return cli_exit_for(e);
}

/* Stale tolerances go to stderr, loudly, one line each. */
static void cli_sync_note(void *ctx, const char *line) {
  const cli_ctx *c = ctx;
  cli_error(c, 0, "%s", line);
}

int cmd_trust_sync(cli_ctx *ctx, const cli_args *args) {
  stella_sync_opts opts = {.force = args->force,
                           .allow_stale = args->allow_stale,
                           .note = cli_sync_note, .note_ctx = ctx};
  int rc = cli_stale_args(ctx, args, &opts.max_stale_age);
  if (rc)
    return rc;
  if (args->deadline && (stella_duration_parse(args->deadline,
                                               &opts.deadline_s) ||
                         opts.deadline_s <= 0 ||
                         opts.deadline_s > STELLA_SYNC_DEADLINE_MAX_S))
    return cli_usage_error(ctx, "--deadline '%s' is not a duration from 1s "
                           "to 24h, like 90s or 10m", args->deadline);
  /* Without a stella.db there is no trust to sync from. */
  stella_trust *t = cli_open_trust(ctx, args);
  if (!t)
    return CLI_EXIT_FAIL;
  stella_err e = stella_trust_sync(t, &opts);
  if (e)
    cli_error(ctx, cli_exit_for(e), "%s", stella_trust_errmsg(t));
  else
    printf("%s\n", stella_trust_sync_summary(t));
  stella_trust_free(t);
  return cli_exit_for(e);
}
