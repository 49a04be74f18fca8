/* cmd_drill.c - `stella drill-log serve|pubkey|fault`. (Placeholder until
 * the drill log lands.) */
#include "cli.h"

static int cmd_drill_pending(cli_ctx *ctx) {
  return cli_error(ctx, CLI_EXIT_FAIL, "not built yet");
}

int cmd_drill_serve(cli_ctx *ctx, const cli_args *args) {
  (void)args;
  return cmd_drill_pending(ctx);
}
int cmd_drill_pubkey(cli_ctx *ctx, const cli_args *args) {
  (void)args;
  return cmd_drill_pending(ctx);
}
int cmd_drill_fault(cli_ctx *ctx, const cli_args *args) {
  (void)args;
  return cmd_drill_pending(ctx);
}
