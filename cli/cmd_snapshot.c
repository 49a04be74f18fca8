/* cmd_snapshot.c - `stella trust snapshot export` and `import`: trust
 * bundles for air-gapped sites (the work is stella_trust_snapshot_*). */
#include "cli.h"

#include <stdio.h>

int cmd_snapshot_export(cli_ctx *ctx, const cli_args *args) {
  stella_bundle_info info;
  if (!args->out)
    return cli_usage_error(ctx, "needs --out FILE (e.g. --out "
                           "trust-bundle.tar.zst)");
  stella_trust *t = cli_open_trust(ctx, args);
  if (!t)
    return CLI_EXIT_FAIL;
  stella_err e = stella_trust_snapshot_export(t, args->out,
                                              args->include_root, &info);
  if (e)
    cli_error(ctx, cli_exit_for(e), "%s", stella_trust_errmsg(t));
  else
    printf("exported %s to %s: root v%lld..v%lld, timestamp v%lld, snapshot "
           "v%lld, targets v%lld (%zu files)\n", stella_trust_home(t),
           args->out, (long long)info.root_first, (long long)info.root_last,
           (long long)info.timestamp, (long long)info.snapshot,
           (long long)info.targets, info.n_files);
  stella_trust_free(t);
  return cli_exit_for(e);
}

/* Warnings (the anchor came from the bundle) go to stderr, loudly. */
static void cli_import_note(void *ctx, const char *line) {
  cli_error(ctx, 0, "%s", line);
}

int cmd_snapshot_import(cli_ctx *ctx, const cli_args *args) {
  stella_import_opts opts = {.force = args->force, .note = cli_import_note,
                             .note_ctx = ctx};
  stella_bundle_info info;
  char when[32];
  if (!args->operand)
    return cli_usage_error(ctx, "needs the bundle FILE");
  stella_trust *t = cli_open_trust(ctx, args);
  if (!t)
    return CLI_EXIT_FAIL;
  stella_err e = stella_trust_snapshot_import(t, args->operand, &opts, &info);
  if (e) {
    cli_error(ctx, cli_exit_for(e), "%s", stella_trust_errmsg(t));
  } else {
    stella_time_format(info.exported_at, when, sizeof when);
    printf("imported %s into %s: root v%lld -> v%lld, timestamp v%lld, "
           "snapshot v%lld, targets v%lld (exported %s)\n", args->operand,
           stella_trust_home(t), (long long)info.root_before,
           (long long)info.root_last, (long long)info.timestamp,
           (long long)info.snapshot, (long long)info.targets, when);
  }
  stella_trust_free(t);
  return cli_exit_for(e);
}
