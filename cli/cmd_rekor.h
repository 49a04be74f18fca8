/* cmd_rekor.h - what cmd_rekor.c, cmd_metrics.c and cmd_status.c share:
 * opening the Rekor client for a command, and the JSON and text pieces of
 * backends and metrics (the same fields in `metrics` and `trust status`). */
#ifndef STELLA_CLI_CMD_REKOR_H
#define STELLA_CLI_CMD_REKOR_H

#include <jansson.h>
#include <stdint.h>

#include "cli.h"
#include "stella/rekor.h"

/* The body of a Rekor command: runs on an open client, returns the exit
 * code. data: what the command parsed from its arguments. */
typedef int (*rekor_cli_body)(cli_ctx *ctx, const cli_args *args,
                              stella_rekor *r, void *data);

/* The frame of every Rekor command: opens the state folder and the Rekor
 * client over it (--trusted-root honoured), runs body, closes both.
 * CLI_EXIT_FAIL with one line when the client cannot be opened. */
int rekor_cli_run(cli_ctx *ctx, const cli_args *args, rekor_cli_body body,
                  void *data);

/* RFC 3339, or JSON null for 0. */
json_t *rekor_json_time(int64_t t);

/* Prints o (indented, in insertion order) and a newline, then frees it.
 * CLI_EXIT_OK, or CLI_EXIT_FAIL when o is NULL or cannot be written. */
int rekor_json_print(json_t *o);

/* {"stella_rekor_submit_failure_ratio": {"value", "alert", "help"}, ...}
 * and {"<metric name>": "<alert>", ...}. */
json_t *metrics_json(const stella_metrics *m);
json_t *metrics_alerts_json(const stella_metrics *m);

/* The backends array of `trust status --json` (docs/cli.md). */
json_t *backends_json(const stella_backend *v, size_t n);

/* The alert table as text lines, each starting with indent. */
void metrics_print_text(const stella_metrics *m, const char *indent);

/* `trust status --show-backends` / `--show-circuit-breaker` sections;
 * now for ages. */
void backends_print_text(const stella_backend *v, size_t n, int64_t now,
                         int show_backends, int show_breaker);

#endif
