/* cmd_trust.h - what the trust commands (cmd_trust.c, cmd_status.c,
 * cmd_snapshot.c) share: opening the state folder with the right creation
 * mode, and the --allow-stale --max-age pair of sync and import. */
#ifndef STELLA_CLI_CMD_TRUST_H
#define STELLA_CLI_CMD_TRUST_H

#include <stdint.h>

#include "cli.h"

/* cli_open_trust() with the creation mode (stella.h): STELLA_OPEN_EXISTING
 * for commands that only read, STELLA_OPEN_ON_WRITE for import. NULL after
 * printing why (for a folder without trust: "no trust is set up in DIR
 * (run `stella trust init ...` first)"). */
stella_trust *cli_open_trust_mode(const cli_ctx *ctx, const cli_args *args,
                                  stella_open_mode mode);

/* --allow-stale and --max-age DUR, which go together: *max_age gets the
 * duration in seconds (0 without them). 0, or a usage error printed. */
int cli_stale_args(const cli_ctx *ctx, const cli_args *args,
                   int64_t *max_age);

#endif
