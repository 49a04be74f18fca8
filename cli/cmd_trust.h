/* cmd_trust.h - what the trust commands (cmd_trust.c, cmd_snapshot.c)
 * share: the --allow-stale --max-age pair of sync and import. (Whether a
 * command may create the state folder is its open_mode in main.c's
 * table.) */
#ifndef STELLA_CLI_CMD_TRUST_H
#define STELLA_CLI_CMD_TRUST_H

#include <stdint.h>

#include "cli.h"

/* --allow-stale and --max-age DUR, which go together: *max_age gets the
 * duration in seconds (0 without them). 0, or a usage error printed. */
int cli_stale_args(const cli_ctx *ctx, const cli_args *args,
                   int64_t *max_age);

#endif
