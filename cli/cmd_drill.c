/* cmd_drill.c - `stella drill-log serve|pubkey|fault`: the drill log
 * (drill/drill.h), a Rekor v1-compatible log on loopback for rehearsals. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>

#include "drill.h"

int cmd_drill_serve(cli_ctx *ctx, const cli_args *args) {
  char why[512];
  if (!args->addr || !args->state)
    return cli_usage_error(ctx, "needs --addr 127.0.0.1:PORT and --state "
                           "DIR (PORT 0 picks a free port)");
  drill_serve_opts o = {.addr = args->addr, .state_dir = args->state,
                        .replica_of = args->replica_of, .name = args->name,
                        .clock = ctx->clock};
  stella_err e = drill_serve(&o, why, sizeof why);
  if (e)
    return cli_error(ctx, cli_exit_for(e), "%s", why);
  return CLI_EXIT_OK;
}

int cmd_drill_pubkey(cli_ctx *ctx, const cli_args *args) {
  char why[512], *pem = NULL;
  if (!args->state)
    return cli_usage_error(ctx, "needs --state DIR");
  stella_err e = drill_pubkey(args->state, &pem, why, sizeof why);
  if (e)
    return cli_error(ctx, cli_exit_for(e), "%s", why);
  fputs(pem, stdout);
  free(pem);
  return CLI_EXIT_OK;
}

int cmd_drill_fault(cli_ctx *ctx, const cli_args *args) {
  char why[512];
  if (!args->addr || !args->operand)
    return cli_usage_error(ctx, "needs --addr 127.0.0.1:PORT and a MODE "
                           "(none, down, hang, garbage, truncate, slow MS, "
                           "error CODE)");
  stella_err e = drill_fault(args->addr, args->operand, args->operand2, why,
                             sizeof why);
  if (e)
    return cli_error(ctx, cli_exit_for(e), "%s", why);
  printf("fault: %s%s%s\n", args->operand, args->operand2 ? " " : "",
         args->operand2 ? args->operand2 : "");
  return CLI_EXIT_OK;
}
