/* cli.h - the `stella` command: one const table of command descriptors
 * (tmux-style), each with its options; help and usage are generated from
 * it. Built only on the public API (include/stella/stella.h). */
#ifndef STELLA_CLI_CLI_H
#define STELLA_CLI_CLI_H

#include <stddef.h>
#include "stella/stella.h"

/* Exit codes of every command. */
enum {
  CLI_EXIT_OK = 0,
  CLI_EXIT_FAIL = 1,   /* verification, network or state failure */
  CLI_EXIT_USAGE = 2   /* bad command line */
};

/* Everything any command's options can set. */
typedef struct cli_args {
  const char *home;
  const char *tuf_url;
  const char *root;
  const char *max_age;
  const char *deadline; /* trust sync --deadline */
  const char *refresh;
  const char *out;      /* trust snapshot export --out */
  const char *operand;  /* the command's one positional argument (FILE) */
  const char *repo;     /* tuf ...: the repository workspace folder */
  const char *key;      /* tuf ...: a private key file (PEM PKCS#8) */
  const char *file;     /* tuf ceremony sign/status: the ceremony root file */
  const char *threshold;/* tuf ceremony init: signatures the new root needs */
  const char *keys;     /* tuf ceremony init: new root key holders */
  const char *algorithm;/* tuf ceremony init: ed25519 or ecdsa-p256 */
  /* tuf repo/sign/publish/endpoint/rekor-key/signing-key (cmd_tuf.c) */
  const char *rekor_url, *rekor_key, *new_rekor_url, *new_key;
  const char *root_keys, *root_threshold, *key_type, *publish_to, *role;
  const char *to, *note, *name, *old_key_name, *old_key, *compromised_since;
  const char *mirror_url; /* the last one; cmd_tuf.c collects every one */
  int skip_grace;
  /* rekor, metrics, trust status breakers (cmd_rekor.c, cmd_status.c) */
  const char *backend, *artifact, *signature, *public_key, *uuid, *log_index;
  const char *bundle, *checkpoint, *trusted_root, *after, *before, *key_id;
  int show_backends, show_circuit_breaker, remote, prometheus;
  /* drill-log (cmd_drill.c) */
  const char *addr, *state, *replica_of;
  const char *operand2; /* a second positional word (drill-log fault slow MS) */
  int force;
  int allow_stale;
  int show_endpoints;
  int show_keys;
  int json;
  int include_root;
  int help;
  int version;        /* stella --version */
  int rest_argc;       /* passthrough commands: the words after the name */
  char **rest_argv;
} cli_args;

/* One option: "--name ARG" (arg != NULL) sets a const char * field, a flag
 * (arg == NULL) sets an int field to 1; offset is offsetof(cli_args, ...). */
typedef struct cli_opt {
  const char *name;
  const char *arg;
  const char *help;
  size_t offset;
} cli_opt;

typedef struct cli_ctx cli_ctx;

typedef struct cli_cmd {
  const char *name;         /* "trust init": the words that select it */
  const char *usage;        /* argument synopsis after the name */
  const char *help;         /* one line */
  const cli_opt *const *opts; /* NULL-terminated */
  int (*run)(cli_ctx *ctx, const cli_args *args);
  int passthrough;          /* the handler parses its own arguments */
  const char *operand;      /* name of its one positional argument, or NULL */
  int two_operands;         /* a second positional word goes to operand2 */
  /* When cli_open_trust may create the state folder: STELLA_OPEN_CREATE
   * (0), STELLA_OPEN_EXISTING for commands that only read,
   * STELLA_OPEN_ON_WRITE for those that create it only once they store
   * trust (init, import). */
  stella_open_mode open_mode;
} cli_cmd;

struct cli_ctx {
  const cli_cmd *cmd;
  const stella_clock *clock; /* STELLA_NOW's fixed clock, or NULL */
};

/* Prints "stella: <command>: <msg>" on stderr; returns code. */
int cli_error(const cli_ctx *ctx, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Copies s into buf (len > 0) with control characters (C0, DEL and the
 * UTF-8 encoded C1 range), bytes that are not UTF-8 (a raw 0x9b is a CSI
 * to some terminals), bidirectional overrides and marks, and line
 * separators as '?', never cutting a character in half: text from a server
 * or a state file must not move the cursor, retitle or clear the terminal,
 * reorder what is shown, or break a line. Returns buf. */
const char *cli_printable(const char *s, char *buf, size_t len);

/* Usage error with the --help hint; returns CLI_EXIT_USAGE. */
int cli_usage_error(const cli_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Exit code for a core error (INVALID_ARG is a usage error). */
int cli_exit_for(stella_err e);

/* Opens the state folder for a command, or prints why not (NULL). */
stella_trust *cli_open_trust(const cli_ctx *ctx, const cli_args *args);

/* Command handlers (cmd_trust.c, cmd_status.c, main.c). */
int cmd_trust_init(cli_ctx *ctx, const cli_args *args);
int cmd_trust_sync(cli_ctx *ctx, const cli_args *args);
int cmd_trust_status(cli_ctx *ctx, const cli_args *args);
int cmd_snapshot_export(cli_ctx *ctx, const cli_args *args); /* cmd_snapshot.c */
int cmd_snapshot_import(cli_ctx *ctx, const cli_args *args);
int cmd_ceremony_init(cli_ctx *ctx, const cli_args *args); /* cmd_ceremony.c */
int cmd_ceremony_sign(cli_ctx *ctx, const cli_args *args);
int cmd_ceremony_status(cli_ctx *ctx, const cli_args *args);
int cmd_ceremony_finalize(cli_ctx *ctx, const cli_args *args);
int cmd_tuf_repo_init(cli_ctx *ctx, const cli_args *args); /* cmd_tuf.c */
int cmd_tuf_sign(cli_ctx *ctx, const cli_args *args);
int cmd_tuf_publish(cli_ctx *ctx, const cli_args *args);
int cmd_tuf_diff(cli_ctx *ctx, const cli_args *args);
int cmd_tuf_endpoint_swap(cli_ctx *ctx, const cli_args *args);
int cmd_tuf_endpoint_add(cli_ctx *ctx, const cli_args *args);
int cmd_tuf_endpoint_remove(cli_ctx *ctx, const cli_args *args);
int cmd_tuf_rekor_key_add(cli_ctx *ctx, const cli_args *args);
int cmd_tuf_rekor_key_remove(cli_ctx *ctx, const cli_args *args);
int cmd_tuf_signing_key_generate(cli_ctx *ctx, const cli_args *args);
int cmd_tuf_signing_key_retire(cli_ctx *ctx, const cli_args *args);
int cmd_trust_reset_circuits(cli_ctx *ctx, const cli_args *args); /* cmd_rekor.c */
int cmd_rekor_loginfo(cli_ctx *ctx, const cli_args *args);
int cmd_rekor_submit(cli_ctx *ctx, const cli_args *args);
int cmd_rekor_verify(cli_ctx *ctx, const cli_args *args);
int cmd_rekor_query(cli_ctx *ctx, const cli_args *args);
int cmd_metrics(cli_ctx *ctx, const cli_args *args);
int cmd_drill_serve(cli_ctx *ctx, const cli_args *args); /* cmd_drill.c */
int cmd_drill_pubkey(cli_ctx *ctx, const cli_args *args);
int cmd_drill_fault(cli_ctx *ctx, const cli_args *args);

#endif
