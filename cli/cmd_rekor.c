/* cmd_rekor.c - `stella rekor ...`, `stella metrics` and `stella trust
 * reset-circuits` over include/stella/rekor.h. (Placeholder until the
 * Rekor client lands.) */
#include "cli.h"

static int cmd_rekor_pending(cli_ctx *ctx) {
  return cli_error(ctx, CLI_EXIT_FAIL, "not built yet");
}

int cmd_trust_reset_circuits(cli_ctx *ctx, const cli_args *args) {
  (void)args;
  return cmd_rekor_pending(ctx);
}
int cmd_rekor_loginfo(cli_ctx *ctx, const cli_args *args) {
  (void)args;
  return cmd_rekor_pending(ctx);
}
int cmd_rekor_submit(cli_ctx *ctx, const cli_args *args) {
  (void)args;
  return cmd_rekor_pending(ctx);
}
int cmd_rekor_verify(cli_ctx *ctx, const cli_args *args) {
  (void)args;
  return cmd_rekor_pending(ctx);
}
int cmd_rekor_query(cli_ctx *ctx, const cli_args *args) {
  (void)args;
  return cmd_rekor_pending(ctx);
}
int cmd_metrics(cli_ctx *ctx, const cli_args *args) {
  (void)args;
  return cmd_rekor_pending(ctx);
}
