/* main.c - `stella`: the command table, argument parsing and generated
 * help. Commands live in cmd_*.c; this file knows none of their logic. */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "console.h"

#define CLI_MAX_WORDS 3 /* "trust snapshot export" */

static int cmd_console(cli_ctx *ctx, const cli_args *args);

/* ---- Options: each is described once and listed by the commands ---------- */

#define OPT_FLAG(n, field, h) {n, NULL, h, offsetof(cli_args, field)}
#define OPT_ARG(n, a, field, h) {n, a, h, offsetof(cli_args, field)}

static const cli_opt opt_home = OPT_ARG("--home", "DIR", home,
    "state folder (default: $STELLA_HOME, $XDG_DATA_HOME/stella, "
    "~/.local/share/stella)");
static const cli_opt opt_help = OPT_FLAG("--help", help, "show this help");
static const cli_opt opt_tuf_url = OPT_ARG("--tuf-url", "URL", tuf_url,
    "repository base URL: metadata at URL/, targets at URL/targets/");
static const cli_opt opt_root = OPT_ARG("--root", "FILE", root,
    "the trusted root.json, obtained out of band");
static const cli_opt opt_force_init = OPT_FLAG("--force", force,
    "replace existing trust (wipes the old metadata and service map)");
static const cli_opt opt_force_sync = OPT_FLAG("--force", force,
    "download the service map again even if unchanged");
static const cli_opt opt_allow_stale = OPT_FLAG("--allow-stale", allow_stale,
    "accept metadata that expired at most --max-age ago (said loudly)");
static const cli_opt opt_max_age = OPT_ARG("--max-age", "DUR", max_age,
    "how long ago metadata may have expired: 7d, 36h, 90m, 120d");
static const cli_opt opt_deadline = OPT_ARG("--deadline", "DUR", deadline,
    "give up when the whole sync takes longer (default 5m): 90s, 10m");
static const cli_opt opt_show_endpoints = OPT_FLAG("--show-endpoints",
    show_endpoints, "list the service endpoints from signing_config");
static const cli_opt opt_show_keys = OPT_FLAG("--show-keys", show_keys,
    "list the log keys (trusted_root.json) and signing keys, with names");
static const cli_opt opt_json = OPT_FLAG("--json", json,
    "print one JSON object (fields in docs/cli.md)");

static const cli_opt opt_refresh = OPT_ARG("--refresh", "SECS", refresh,
    "seconds between screen refreshes of the stored state");

static const cli_opt opt_version = OPT_FLAG("--version", version,
    "print stella's version");
static const cli_opt *const opts_none[] = {&opt_home, &opt_help, NULL};
/* Before the command. */
static const cli_opt *const opts_global[] = {&opt_home, &opt_help,
                                             &opt_version, NULL};
static const cli_opt *const opts_init[] = {
  &opt_tuf_url, &opt_root, &opt_force_init, &opt_home, &opt_help, NULL};
static const cli_opt *const opts_sync[] = {
  &opt_force_sync, &opt_allow_stale, &opt_max_age, &opt_deadline, &opt_home,
  &opt_help, NULL};
static const cli_opt opt_show_backends = OPT_FLAG("--show-backends",
    show_backends, "list the Rekor backends: primary/mirror, breaker, checkpoint");
static const cli_opt opt_show_breaker = OPT_FLAG("--show-circuit-breaker",
    show_circuit_breaker, "breaker state, failure rate, last error, opens/hour");
static const cli_opt *const opts_status[] = {
  &opt_show_endpoints, &opt_show_keys, &opt_show_backends, &opt_show_breaker,
  &opt_json, &opt_home, &opt_help, NULL};
/* rekor, metrics, reset-circuits (cmd_rekor.c). */
static const cli_opt opt_backend = OPT_ARG("--backend", "URL", backend,
    "only this backend (its URL; default: every backend in order)");
static const cli_opt opt_artifact = OPT_ARG("--artifact", "FILE", artifact,
    "the signed file");
static const cli_opt opt_signature = OPT_ARG("--signature", "FILE", signature,
    "its signature (DER or base64)");
static const cli_opt opt_public_key = OPT_ARG("--public-key", "FILE",
    public_key, "the signer's PEM public key");
static const cli_opt opt_uuid = OPT_ARG("--uuid", "UUID", uuid,
    "fetch the entry with this UUID (or entry ID) and verify it");
static const cli_opt opt_log_index = OPT_ARG("--log-index", "N", log_index,
    "fetch the entry at this global log index and verify it");
static const cli_opt opt_bundle = OPT_ARG("--bundle", "FILE", bundle,
    "verify a Sigstore bundle's log entries (v0.1-v0.3), offline");
static const cli_opt opt_checkpoint = OPT_ARG("--checkpoint", "FILE",
    checkpoint, "verify a standalone checkpoint (signed note), offline");
static const cli_opt opt_trusted_root = OPT_ARG("--trusted-root", "FILE",
    trusted_root, "log keys from this trusted_root.json, not the synced one");
static const cli_opt opt_after = OPT_ARG("--after", "T", after,
    "RFC 3339: entries integrated at or after T");
static const cli_opt opt_before = OPT_ARG("--before", "T", before,
    "RFC 3339: entries integrated before T");
static const cli_opt opt_key_id = OPT_ARG("--key-id", "ID", key_id,
    "log ID (hex, or a unique prefix of >= 8 digits) or the key's name");
static const cli_opt opt_remote = OPT_FLAG("--remote", remote,
    "also scan the log itself (binary search on integrated time)");
static const cli_opt opt_prometheus = OPT_FLAG("--prometheus", prometheus,
    "Prometheus text exposition format");
static const cli_opt opt_trusted_root_reset = OPT_ARG("--trusted-root",
    "FILE", trusted_root, "without synced trust: the file `rekor verify "
    "--trusted-root` used (its breakers)");
static const cli_opt *const opts_reset[] = {&opt_trusted_root_reset,
                                            &opt_home, &opt_help, NULL};
static const cli_opt *const opts_loginfo[] = {
  &opt_backend, &opt_json, &opt_home, &opt_help, NULL};
static const cli_opt *const opts_submit[] = {
  &opt_artifact, &opt_signature, &opt_public_key, &opt_json, &opt_home,
  &opt_help, NULL};
static const cli_opt *const opts_verify[] = {
  &opt_uuid, &opt_log_index, &opt_bundle, &opt_checkpoint, &opt_trusted_root,
  &opt_json, &opt_home, &opt_help, NULL};
static const cli_opt *const opts_query[] = {
  &opt_after, &opt_before, &opt_key_id, &opt_remote, &opt_json, &opt_home,
  &opt_help, NULL};
static const cli_opt *const opts_metrics[] = {
  &opt_prometheus, &opt_json, &opt_home, &opt_help, NULL};
/* drill-log (cmd_drill.c). */
static const cli_opt opt_addr = OPT_ARG("--addr", "127.0.0.1:PORT", addr,
    "loopback address and port of the drill log");
static const cli_opt opt_state = OPT_ARG("--state", "DIR", state,
    "the drill log's folder: key, entries (created on first start)");
static const cli_opt opt_replica_of = OPT_ARG("--replica-of", "URL",
    replica_of, "serve as a read replica of this drill log");
static const cli_opt opt_drill_name = OPT_ARG("--name", "NAME", name,
    "checkpoint origin and key name (default: the address)");
static const cli_opt *const opts_drill_serve[] = {
  &opt_addr, &opt_state, &opt_replica_of, &opt_drill_name, &opt_help, NULL};
static const cli_opt *const opts_drill_pubkey[] = {&opt_state, &opt_help,
                                                   NULL};
static const cli_opt *const opts_drill_fault[] = {&opt_addr, &opt_help,
                                                  NULL};
static const cli_opt opt_out = OPT_ARG("--out", "FILE", out,
    "where to write the bundle (FILE.tar.zst, replaced atomically)");
static const cli_opt opt_include_root = OPT_FLAG("--include-root",
    include_root, "include every root since the first one trusted here");
static const cli_opt opt_force_import = OPT_FLAG("--force", force,
    "confirm a root change, or the bundle's own root as the anchor");
static const cli_opt *const opts_export[] = {
  &opt_out, &opt_include_root, &opt_home, &opt_help, NULL};
static const cli_opt *const opts_import[] = {
  &opt_force_import, &opt_allow_stale, &opt_max_age, &opt_home, &opt_help,
  NULL};
static const cli_opt opt_repo = OPT_ARG("--repo", "DIR", repo,
    "the repository workspace (default: the current folder)");
static const cli_opt opt_cer_threshold = OPT_ARG("--threshold", "M",
    threshold, "signatures the new root needs (1..N)");
static const cli_opt opt_cer_keys = OPT_ARG("--keys", "N", keys,
    "new root key holders: one key file each");
static const cli_opt opt_cer_algorithm = OPT_ARG("--algorithm", "ALG",
    algorithm, "ed25519 or ecdsa-p256 (default: the repository's key type)");
static const cli_opt opt_cer_out = OPT_ARG("--out", "DIR", out,
    "where the new holders' key files go (default: DIR/keys/root-next)");
static const cli_opt opt_cer_force = OPT_FLAG("--force", force,
    "start over even if a ceremony is in progress (its keys are archived)");
static const cli_opt opt_cer_key = OPT_ARG("--key", "FILE", key,
    "one root key holder's private key file (old or new root)");
static const cli_opt opt_cer_file = OPT_ARG("--file", "ROOT", file,
    "the ceremony root.json (default: DIR/staged/ceremony/root.json)");
static const cli_opt *const opts_cer_init[] = {
  &opt_cer_threshold, &opt_cer_keys, &opt_cer_algorithm, &opt_repo,
  &opt_cer_out, &opt_cer_force, &opt_help, NULL};
static const cli_opt *const opts_cer_sign[] = {
  &opt_repo, &opt_cer_key, &opt_cer_file, &opt_help, NULL};
static const cli_opt *const opts_cer_status[] = {
  &opt_repo, &opt_cer_file, &opt_json, &opt_help, NULL};
static const cli_opt *const opts_cer_finalize[] = {
  &opt_repo, &opt_help, NULL};
/* tuf repo/sign/publish/diff and the staged changes (cmd_tuf.c). */
static const cli_opt opt_t_repo = OPT_ARG("--repo", "DIR", repo,
    "the repository workspace (default: the current folder)");
static const cli_opt opt_t_rekor_url = OPT_ARG("--rekor-url", "URL",
    rekor_url, "a Rekor endpoint URL (http:// or https://)");
static const cli_opt opt_t_rekor_key = OPT_ARG("--rekor-key", "FILE.pub",
    rekor_key, "the transparency log's PEM public key");
static const cli_opt opt_t_root_keys = OPT_ARG("--root-keys", "N", root_keys,
    "root key holders, one key file each in DIR/keys/root/ (default 1)");
static const cli_opt opt_t_root_threshold = OPT_ARG("--root-threshold", "M",
    root_threshold, "root signatures needed, 1..N (default 1)");
static const cli_opt opt_t_key_type = OPT_ARG("--key-type", "TYPE", key_type,
    "ed25519 or ecdsa-p256");
static const cli_opt opt_t_mirror_url = OPT_ARG("--mirror-url", "URL",
    mirror_url, "a Rekor mirror endpoint (repeatable)");
static const cli_opt opt_t_publish_to = OPT_ARG("--publish-to", "DIR",
    publish_to, "default web root for `stella tuf publish`");
static const cli_opt opt_t_role = OPT_ARG("--role", "ROLE", role,
    "root, targets, snapshot or timestamp (with --key)");
static const cli_opt opt_t_key = OPT_ARG("--key", "FILE", key,
    "a key holder's private key file (PEM PKCS#8, mode 0600)");
static const cli_opt opt_t_to = OPT_ARG("--to", "DIR", to,
    "web root to publish to (default: the repository's publish_to)");
static const cli_opt opt_t_new_rekor_url = OPT_ARG("--new-rekor-url", "URL",
    new_rekor_url, "the Rekor URL that becomes the primary endpoint");
static const cli_opt opt_t_note = OPT_ARG("--note", "TEXT", note,
    "why: recorded with the change and in CHANGELOG");
static const cli_opt opt_t_new_key = OPT_ARG("--new-key", "FILE.pub",
    new_key, "the new transparency log PEM public key");
static const cli_opt opt_t_name = OPT_ARG("--name", "NAME", name,
    "the key's name (default: from the file name / the date)");
static const cli_opt opt_t_old_key_name = OPT_ARG("--old-key-name", "NAME",
    old_key_name, "the log key to end (e.g. rekor-key-v1)");
static const cli_opt opt_t_since = OPT_ARG("--compromised-since", "T",
    compromised_since, "RFC 3339: the key is untrusted from T on");
static const cli_opt opt_t_skip_grace = OPT_FLAG("--skip-grace", skip_grace,
    "remove before the grace period (every client has synced)");
static const cli_opt opt_t_out_dir = OPT_ARG("--out", "DIR", out,
    "where the key pair goes: NAME.pem (0600), NAME.pub (default: .)");
static const cli_opt opt_t_sk_repo = OPT_ARG("--repo", "DIR", repo,
    "repository to publish the key in (default: $STELLA_TUF_REPO)");
static const cli_opt opt_t_old_key = OPT_ARG("--old-key", "NAME", old_key,
    "the signing key to retire");
static const cli_opt opt_t_json = OPT_FLAG("--json", json,
    "print {ready, missing[]} as JSON (docs/repository.md)");
static const cli_opt *const opts_t_init[] = {
  &opt_t_repo, &opt_t_rekor_url, &opt_t_rekor_key, &opt_t_root_keys,
  &opt_t_root_threshold, &opt_t_key_type, &opt_t_mirror_url,
  &opt_t_publish_to, &opt_help, NULL};
static const cli_opt *const opts_t_sign[] = {
  &opt_t_repo, &opt_t_role, &opt_t_key, &opt_t_json, &opt_help, NULL};
static const cli_opt *const opts_t_publish[] = {
  &opt_t_repo, &opt_t_to, &opt_help, NULL};
static const cli_opt *const opts_t_diff[] = {&opt_t_repo, &opt_help, NULL};
static const cli_opt *const opts_t_swap[] = {
  &opt_t_repo, &opt_t_new_rekor_url, &opt_t_note, &opt_help, NULL};
static const cli_opt *const opts_t_endpoint[] = {
  &opt_t_repo, &opt_t_rekor_url, &opt_t_note, &opt_help, NULL};
static const cli_opt opt_t_key_url = OPT_ARG("--rekor-url", "URL", rekor_url,
    "the log's base URL (default: the current primary Rekor URL)");
static const cli_opt *const opts_t_key_add[] = {
  &opt_t_repo, &opt_t_new_key, &opt_t_name, &opt_t_key_url, &opt_t_note,
  &opt_help, NULL};
static const cli_opt *const opts_t_key_remove[] = {
  &opt_t_repo, &opt_t_old_key_name, &opt_t_since, &opt_t_skip_grace,
  &opt_t_note, &opt_help, NULL};
static const cli_opt *const opts_t_sk_generate[] = {
  &opt_t_key_type, &opt_t_name, &opt_t_out_dir, &opt_t_sk_repo, &opt_t_note,
  &opt_help, NULL};
static const cli_opt *const opts_t_sk_retire[] = {
  &opt_t_old_key, &opt_t_since, &opt_t_sk_repo, &opt_t_note, &opt_help,
  NULL};
static const cli_opt *const opts_console[] = {
  &opt_home, &opt_allow_stale, &opt_max_age, &opt_refresh, &opt_help, NULL};

/* ---- The command table ----------------------------------------------------- */

static const cli_cmd cli_commands[] = {
  {.name = "trust init", .usage = "--tuf-url URL --root FILE [--force]",
   .help = "trust a TUF repository: check its root and store it (no network)",
   .opts = opts_init, .run = cmd_trust_init,
   .open_mode = STELLA_OPEN_ON_WRITE},
  {.name = "trust sync", .usage = "[--force] [--allow-stale --max-age DUR]"
           " [--deadline DUR]",
   .help = "full TUF update, then fetch and verify the service map",
   .opts = opts_sync, .run = cmd_trust_sync,
   .open_mode = STELLA_OPEN_EXISTING},
  {.name = "trust status",
   .usage = "[--show-endpoints] [--show-keys] [--show-backends] "
            "[--show-circuit-breaker] [--json]",
   .help = "verified roles, metadata age and alert, endpoints and keys",
   .opts = opts_status, .run = cmd_trust_status,
   .open_mode = STELLA_OPEN_EXISTING},
  {.name = "console", .usage = "[--allow-stale --max-age DUR] [--refresh SECS]",
   .help = "the full-screen console: live dashboard, syncs with `s`",
   .opts = opts_console, .run = cmd_console, .passthrough = 1},
  {.name = "trust snapshot export", .usage = "[--include-root] --out FILE",
   .help = "write the verified trust state to a bundle for air-gapped sites",
   .opts = opts_export, .run = cmd_snapshot_export,
   .open_mode = STELLA_OPEN_EXISTING},
  {.name = "trust snapshot import",
   .usage = "FILE [--force] [--allow-stale --max-age DUR]",
   .help = "verify a trust bundle with the full TUF rules and install it",
   .opts = opts_import, .run = cmd_snapshot_import, .operand = "FILE",
   .open_mode = STELLA_OPEN_ON_WRITE},
  {.name = "tuf ceremony init",
   .usage = "--threshold M --keys N [--algorithm ALG] [--repo DIR] "
            "[--out DIR] [--force]",
   .help = "root key ceremony: new holders' keys, root N+1 staged to sign",
   .opts = opts_cer_init, .run = cmd_ceremony_init},
  {.name = "tuf ceremony sign", .usage = "--key FILE [--repo DIR] [--file ROOT]",
   .help = "add one key holder's signature (old or new root) to root N+1",
   .opts = opts_cer_sign, .run = cmd_ceremony_sign},
  {.name = "tuf ceremony status", .usage = "[--repo DIR] [--file ROOT] [--json]",
   .help = "signatures from root N's and root N+1's keys, and who is missing",
   .opts = opts_cer_status, .run = cmd_ceremony_status},
  {.name = "tuf ceremony finalize", .usage = "[--repo DIR]",
   .help = "both thresholds met and a client accepts it: stage root N+1",
   .opts = opts_cer_finalize, .run = cmd_ceremony_finalize},
  {.name = "tuf repo init",
   .usage = "--repo DIR --rekor-url URL --rekor-key FILE.pub [--root-keys N "
            "--root-threshold M] [--key-type T] [--mirror-url URL]... "
            "[--publish-to DIR]",
   .help = "create a TUF repository workspace: keys, root v1, service map",
   .opts = opts_t_init, .run = cmd_tuf_repo_init, .passthrough = 1},
  {.name = "tuf sign", .usage = "[--repo DIR] [--role R --key FILE] [--json]",
   .help = "sign staged changes (versions, expiries); list missing signatures",
   .opts = opts_t_sign, .run = cmd_tuf_sign},
  {.name = "tuf publish", .usage = "[--repo DIR] [--to WEBROOT]",
   .help = "preflight with our own client, then publish (timestamp last)",
   .opts = opts_t_publish, .run = cmd_tuf_publish},
  {.name = "tuf diff", .usage = "[--repo DIR]",
   .help = "what the staged state changes against the published one",
   .opts = opts_t_diff, .run = cmd_tuf_diff},
  {.name = "tuf endpoint swap",
   .usage = "[--repo DIR] --new-rekor-url URL --note TEXT",
   .help = "stage a new primary Rekor endpoint; the old one's validity ends",
   .opts = opts_t_swap, .run = cmd_tuf_endpoint_swap},
  {.name = "tuf endpoint add",
   .usage = "[--repo DIR] --rekor-url URL [--note TEXT]",
   .help = "stage a Rekor mirror endpoint, valid from now",
   .opts = opts_t_endpoint, .run = cmd_tuf_endpoint_add},
  {.name = "tuf endpoint remove",
   .usage = "[--repo DIR] --rekor-url URL [--note TEXT]",
   .help = "stage the end of a Rekor endpoint's validity",
   .opts = opts_t_endpoint, .run = cmd_tuf_endpoint_remove},
  {.name = "tuf rekor-key add",
   .usage = "[--repo DIR] --new-key FILE.pub [--name NAME] [--rekor-url URL] "
            "[--note TEXT]",
   .help = "stage a new transparency log key, valid from now",
   .opts = opts_t_key_add, .run = cmd_tuf_rekor_key_add},
  {.name = "tuf rekor-key remove-old",
   .usage = "[--repo DIR] --old-key-name NAME [--compromised-since T] "
            "[--skip-grace] [--note TEXT]",
   .help = "stage the end of an old log key's validity",
   .opts = opts_t_key_remove, .run = cmd_tuf_rekor_key_remove},
  {.name = "tuf signing-key generate",
   .usage = "[--key-type ecdsa-p256] [--name NAME] [--out DIR] [--repo DIR]",
   .help = "new attestation signing key pair, staged as a trusted key",
   .opts = opts_t_sk_generate, .run = cmd_tuf_signing_key_generate},
  {.name = "tuf signing-key retire",
   .usage = "--old-key NAME [--compromised-since T] [--repo DIR]",
   .help = "stage a signing key as retired (or compromised since T)",
   .opts = opts_t_sk_retire, .run = cmd_tuf_signing_key_retire},
  {.name = "trust reset-circuits", .usage = "[--trusted-root FILE] [BACKEND]",
   .help = "close the circuit breakers (or one backend's), recording who",
   .opts = opts_reset, .run = cmd_trust_reset_circuits, .operand = "BACKEND"},
  {.name = "rekor loginfo", .usage = "[--backend URL] [--json]",
   .help = "health check: verify each log view's checkpoint and consistency",
   .opts = opts_loginfo, .run = cmd_rekor_loginfo},
  {.name = "rekor submit",
   .usage = "--artifact FILE --signature FILE --public-key FILE [--json]",
   .help = "submit a hashedrekord entry through the breakers, verify, record",
   .opts = opts_submit, .run = cmd_rekor_submit},
  {.name = "rekor verify",
   .usage = "(--uuid U | --log-index N | --bundle FILE | --checkpoint FILE) "
            "[--trusted-root FILE] [--json]",
   .help = "verify a log entry, bundle or checkpoint; exit 0 only if it does",
   .opts = opts_verify, .run = cmd_rekor_verify},
  {.name = "rekor query",
   .usage = "--after T --before T [--key-id ID] [--remote] [--json]",
   .help = "entries integrated in a time window, from the local ledger",
   .opts = opts_query, .run = cmd_rekor_query,
   .open_mode = STELLA_OPEN_EXISTING},
  {.name = "metrics", .usage = "[--prometheus | --json]",
   .help = "failure rates, breaker opens, metadata age, with alert levels",
   .opts = opts_metrics, .run = cmd_metrics,
   .open_mode = STELLA_OPEN_EXISTING},
  {.name = "drill-log serve",
   .usage = "--addr 127.0.0.1:PORT --state DIR [--replica-of URL] [--name NAME]",
   .help = "run a Rekor v1-compatible drill log on loopback (rehearsals)",
   .opts = opts_drill_serve, .run = cmd_drill_serve},
  {.name = "drill-log pubkey", .usage = "--state DIR",
   .help = "print the drill log's PEM public key",
   .opts = opts_drill_pubkey, .run = cmd_drill_pubkey},
  {.name = "drill-log fault",
   .usage = "--addr 127.0.0.1:PORT none|down|hang|garbage|truncate|"
            "slow MS|error CODE",
   .help = "change a running drill log's fault mode",
   .opts = opts_drill_fault, .run = cmd_drill_fault, .operand = "MODE",
   .two_operands = 1},
  {.name = "help", .usage = "[COMMAND]",
   .help = "show help for all commands or one", .opts = opts_none},
};
#define CLI_N_COMMANDS (sizeof cli_commands / sizeof cli_commands[0])

/* ---- Errors ---------------------------------------------------------------- */

/* Length of the well-formed UTF-8 sequence at p (RFC 3629: no overlong
 * forms, no surrogates, at most U+10FFFF), 0 if there is none. Stops at a
 * NUL. */
static size_t cli_utf8_len(const unsigned char *p) {
  if (p[0] < 0x80)
    return 1;
  if (p[0] < 0xc2 || p[0] > 0xf4)
    return 0;
  size_t n = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : 2;
  unsigned char lo = p[0] == 0xe0 ? 0xa0 : p[0] == 0xf0 ? 0x90 : 0x80;
  unsigned char hi = p[0] == 0xed ? 0x9f : p[0] == 0xf4 ? 0x8f : 0xbf;
  if (p[1] < lo || p[1] > hi)
    return 0;
  for (size_t i = 2; i < n; i++)
    if ((p[i] & 0xc0) != 0x80)
      return 0;
  return n;
}

/* Characters that change how a terminal shows what follows: C1 controls
 * (U+0080-U+009F), the bidirectional marks, embeddings, overrides and
 * isolates (U+061C, U+200E, U+200F, U+202A-U+202E, U+2066-U+2069), and the
 * line and paragraph separators (U+2028, U+2029). */
static int cli_is_hidden(const unsigned char *p, size_t n) {
  unsigned long cp = n == 2 ? (p[0] & 0x1fu) << 6 | (p[1] & 0x3fu)
                   : n == 3 ? (p[0] & 0x0fu) << 12 | (p[1] & 0x3fu) << 6 |
                                  (p[2] & 0x3fu)
                            : 0x10000;
  return cp <= 0x9f || cp == 0x61c || cp == 0x200e || cp == 0x200f ||
         (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

const char *cli_printable(const char *s, char *buf, size_t len) {
  size_t o = 0;
  const unsigned char *p = (const unsigned char *)(s ? s : "");
  while (*p && o + 1 < len) {
    size_t n = cli_utf8_len(p);
    if (n > 1 && !cli_is_hidden(p, n)) {
      if (o + n >= len)
        break; /* never half a character */
      memcpy(buf + o, p, n);
      o += n;
    } else { /* one '?' per control, hidden character or stray byte */
      buf[o++] = n == 1 && *p >= 0x20 && *p != 0x7f ? (char)*p : '?';
    }
    p += n ? n : 1;
  }
  buf[o] = '\0';
  return buf;
}

/* One line, whatever the message holds (it may quote server bytes). */
static void cli_verror(const cli_ctx *ctx, const char *fmt, va_list ap) {
  char msg[2048], shown[2048];
  vsnprintf(msg, sizeof msg, fmt, ap);
  fprintf(stderr, "stella: ");
  if (ctx && ctx->cmd)
    fprintf(stderr, "%s: ", ctx->cmd->name);
  fprintf(stderr, "%s\n", cli_printable(msg, shown, sizeof shown));
}

int cli_error(const cli_ctx *ctx, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  cli_verror(ctx, fmt, ap);
  va_end(ap);
  return code;
}

int cli_usage_error(const cli_ctx *ctx, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return cli_error(ctx, CLI_EXIT_USAGE, "%s (see `stella %s%s--help`)", msg,
                   ctx && ctx->cmd ? ctx->cmd->name : "",
                   ctx && ctx->cmd ? " " : "");
}

int cli_exit_for(stella_err e) {
  if (e == STELLA_OK)
    return CLI_EXIT_OK;
  return e == STELLA_E_INVALID_ARG ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
}

stella_trust *cli_open_trust(const cli_ctx *ctx, const cli_args *args) {
  stella_err e = STELLA_OK;
  char why[1024];
  stella_trust *t = stella_trust_open_mode(args->home, ctx->clock,
                                           ctx->cmd->open_mode, &e);
  if (!t)
    cli_error(ctx, CLI_EXIT_FAIL, "%s",
              stella_trust_open_errmsg(args->home, e, why, sizeof why));
  return t;
}

/* ---- Help, generated from the table ------------------------------------------ */

/* The option column is as wide as this command's longest "--name ARG", up
 * to CLI_HELP_COLUMN; a longer one has its description on the next line. */
enum { CLI_HELP_COLUMN = 26 };

static int cli_opt_left(const cli_opt *o, char *buf, size_t len) {
  return snprintf(buf, len, "%s%s%s", o->name, o->arg ? " " : "",
                  o->arg ? o->arg : "");
}

static void cli_print_opts(FILE *out, const cli_opt *const *opts) {
  char left[64];
  int width = 0;
  for (size_t i = 0; opts[i]; i++) {
    int n = cli_opt_left(opts[i], left, sizeof left);
    if (n > width && n <= CLI_HELP_COLUMN)
      width = n;
  }
  for (size_t i = 0; opts[i]; i++) {
    if (cli_opt_left(opts[i], left, sizeof left) > width)
      fprintf(out, "  %s\n  %-*s %s\n", left, width, "", opts[i]->help);
    else
      fprintf(out, "  %-*s %s\n", width, left, opts[i]->help);
  }
}

static void cli_print_cmd_help(FILE *out, const cli_cmd *cmd) {
  fprintf(out, "usage: stella [--home DIR] %s %s\n\n%s\n\noptions:\n",
          cmd->name, cmd->usage, cmd->help);
  cli_print_opts(out, cmd->opts);
}

/* Lists the commands whose name starts with prefix ("" = all). */
static void cli_print_list(FILE *out, const char *prefix) {
  size_t plen = strlen(prefix);
  fprintf(out, "usage: stella [--home DIR] %sCOMMAND [OPTIONS]\n\n"
          "commands:\n", plen ? prefix : "");
  for (size_t i = 0; i < CLI_N_COMMANDS; i++) {
    const cli_cmd *c = &cli_commands[i];
    if (strncmp(c->name, prefix, plen) == 0)
      fprintf(out, "  %s %s\n      %s\n", c->name, c->usage, c->help);
  }
  fprintf(out, "\nEvery command takes --help; `stella --version` prints the "
          "version. Exit codes: 0 ok, 1 "
          "verification/network failure, 2 usage error.\n"
          "STELLA_NOW=RFC3339 fixes the clock (rehearsals and tests).\n");
}

/* ---- Parsing ---------------------------------------------------------------- */

/* The options a command line may repeat: the command collects every one
 * (cmd_tuf.c: --mirror-url), or it is harmless (--help). Any other option
 * given twice is a usage error, not "the last one wins": `--threshold 2
 * --threshold 3` is a typo or a script bug, and guessing is worse. */
static const cli_opt *const opts_repeatable[] = {&opt_t_mirror_url,
                                                 &opt_help, NULL};

static int cli_opt_repeatable(const cli_opt *opt) {
  for (size_t i = 0; opts_repeatable[i]; i++)
    if (opts_repeatable[i] == opt)
      return 1;
  return 0;
}

/* 1 when the field of opt is set already (by opt or by another spelling of
 * it, or by a global option before the command: `--home` twice). */
static int cli_opt_given(const cli_opt *opt, const cli_args *args) {
  const char *field = (const char *)args + opt->offset;
  return opt->arg ? *(const char *const *)(const void *)field != NULL
                  : *(const int *)(const void *)field != 0;
}

static const cli_opt *cli_find_opt(const cli_opt *const *opts,
                                   const char *word, size_t len) {
  for (size_t i = 0; opts[i]; i++)
    if (strlen(opts[i]->name) == len && !strncmp(opts[i]->name, word, len))
      return opts[i];
  if (len == 2 && !strncmp(word, "-h", 2))
    return &opt_help;
  return NULL;
}

/* Applies argv[*i] (and its value) to args. Returns 0 or a usage error. */
static int cli_take_opt(const cli_ctx *ctx, const cli_opt *const *opts,
                        int argc, char **argv, int *i, cli_args *args) {
  const char *word = argv[*i], *eq = strchr(word, '=');
  size_t len = eq ? (size_t)(eq - word) : strlen(word);
  const cli_opt *opt = cli_find_opt(opts, word, len);
  if (!opt)
    return cli_usage_error(ctx, "unknown option '%.*s'", (int)len, word);
  if (cli_opt_given(opt, args) && !cli_opt_repeatable(opt))
    return cli_usage_error(ctx, "%s is given twice (give it once)",
                           opt->name);
  char *field = (char *)args + opt->offset;
  if (!opt->arg) {
    if (eq)
      return cli_usage_error(ctx, "%s takes no value", opt->name);
    *(int *)(void *)field = 1;
    return 0;
  }
  const char *value = eq ? eq + 1 : (*i + 1 < argc ? argv[++*i] : NULL);
  if (!value || !*value)
    return cli_usage_error(ctx, "%s needs a value (%s)", opt->name, opt->arg);
  *(const char **)(void *)field = value;
  return 0;
}

/* Matches the longest command name at argv[*i]; advances *i past it. */
static const cli_cmd *cli_find_cmd(int argc, char **argv, int *i) {
  const cli_cmd *best = NULL;
  int best_words = 0;
  for (size_t c = 0; c < CLI_N_COMMANDS; c++) {
    const char *p = cli_commands[c].name;
    int w = 0;
    while (*p && *i + w < argc) {
      size_t n = strcspn(p, " ");
      if (strlen(argv[*i + w]) != n || strncmp(p, argv[*i + w], n))
        break;
      p += n + (p[n] == ' ');
      w++;
    }
    if (!*p && w > best_words) {
      best = &cli_commands[c];
      best_words = w;
    }
  }
  *i += best_words;
  return best;
}

/* Parses the words after a command into args. */
static int cli_parse_cmd_args(const cli_ctx *ctx, int argc, char **argv,
                              int i, cli_args *args) {
  if (ctx->cmd->passthrough) {
    args->rest_argc = argc - i;
    args->rest_argv = argv + i;
  }
  for (; i < argc; i++) {
    if (argv[i][0] != '-' && ctx->cmd->operand && !args->operand) {
      args->operand = argv[i];
      continue;
    }
    if (argv[i][0] != '-' && ctx->cmd->two_operands && !args->operand2) {
      args->operand2 = argv[i];
      continue;
    }
    if (argv[i][0] != '-')
      return cli_usage_error(ctx, "unexpected argument '%s'", argv[i]);
    int rc = cli_take_opt(ctx, ctx->cmd->opts, argc, argv, &i, args);
    if (rc)
      return rc;
  }
  return 0;
}

/* ---- Commands that live here -------------------------------------------------- */

static int cli_is_help(const char *word) {
  return !strcmp(word, "--help") || !strcmp(word, "-h");
}

/* How many words at argv[i..] name a command group: the leading words of
 * command names that go on ("trust", "tuf ceremony"); 0 if none. The group
 * is copied into prefix with a trailing space ("tuf ceremony "). */
static int cli_find_group(int argc, char **argv, int i, char *prefix,
                          size_t len) {
  int best = 0;
  for (size_t c = 0; c < CLI_N_COMMANDS; c++) {
    const char *p = cli_commands[c].name;
    int w = 0;
    size_t n;
    while (*p && i + w < argc && (n = strcspn(p, " ")) &&
           strlen(argv[i + w]) == n && !strncmp(p, argv[i + w], n) && p[n]) {
      p += n + 1;
      w++;
    }
    best = w > best ? w : best;
  }
  size_t o = 0;
  prefix[0] = '\0';
  for (int w = 0; w < best && o < len; w++)
    o += (size_t)snprintf(prefix + o, len - o, "%s ", argv[i + w]);
  return o < len ? best : 0;
}

/* The names of the group's commands after prefix, comma-separated. */
static void cli_group_names(const char *prefix, char *out, size_t len) {
  size_t plen = strlen(prefix), o = 0;
  out[0] = '\0';
  for (size_t c = 0; c < CLI_N_COMMANDS && o < len; c++)
    if (!strncmp(cli_commands[c].name, prefix, plen))
      o += (size_t)snprintf(out + o, len - o, "%s%s", o ? ", " : "",
                            cli_commands[c].name + plen);
}

/* Words that are no command: the group's command list (--help), or one
 * usage-error line (bare: naming the group's commands). */
static int cli_group(int argc, char **argv, int i) {
  char prefix[128];
  int w = cli_find_group(argc, argv, i, prefix, sizeof prefix);
  if (!w)
    return cli_error(NULL, CLI_EXIT_USAGE, "unknown command '%s' (see "
                     "`stella --help`)", argv[i]);
  i += w;
  if (i < argc && cli_is_help(argv[i])) {
    cli_print_list(stdout, prefix);
    return CLI_EXIT_OK;
  }
  char names[1024];
  cli_group_names(prefix, names, sizeof names);
  prefix[strlen(prefix) - 1] = '\0';
  if (i >= argc)
    return cli_error(NULL, CLI_EXIT_USAGE, "%s: which command? %s (see "
                     "`stella %s --help`)", prefix, names, prefix);
  return cli_error(NULL, CLI_EXIT_USAGE, "%s: unknown command '%s' (see "
                   "`stella %s --help`)", prefix, argv[i], prefix);
}

/* `stella help [COMMAND | GROUP]`. */
static int cmd_help(const cli_cmd *self, int argc, char **argv, int i) {
  if (i >= argc) {
    cli_print_list(stdout, "");
    return CLI_EXIT_OK;
  }
  if (cli_is_help(argv[i]) && i + 1 == argc) {
    cli_print_cmd_help(stdout, self);
    return CLI_EXIT_OK;
  }
  const cli_cmd *cmd = cli_find_cmd(argc, argv, &i);
  if (cmd && i == argc) {
    cli_print_cmd_help(stdout, cmd);
    return CLI_EXIT_OK;
  }
  char prefix[128];
  if (!cmd && i + cli_find_group(argc, argv, i, prefix, sizeof prefix) ==
                  argc) {
    cli_print_list(stdout, prefix);
    return CLI_EXIT_OK;
  }
  return cli_error(NULL, CLI_EXIT_USAGE, "help: no command '%s' (see "
                   "`stella --help`)", argv[i]);
}

/* `stella console`: hands its words to the console, with --home given
 * before the command put in front. */
static int cmd_console(cli_ctx *ctx, const cli_args *args) {
  char **argv = calloc((size_t)args->rest_argc + 4, sizeof *argv);
  int n = 0;
  if (!argv)
    return cli_error(ctx, CLI_EXIT_FAIL, "out of memory");
  argv[n++] = (char *)"console";
  if (args->home) {
    argv[n++] = (char *)"--home";
    argv[n++] = (char *)args->home;
  }
  for (int i = 0; i < args->rest_argc; i++)
    argv[n++] = args->rest_argv[i];
  argv[n] = NULL;
  int rc = console_main(n, argv);
  free(argv);
  return rc;
}

/* ---- STELLA_NOW: a fixed clock for rehearsals and tests ---------------------- */

static int64_t cli_fixed_now(void *ctx) { return *(const int64_t *)ctx; }

/* Points ctx->clock at clock when STELLA_NOW is set (else the core uses
 * the system clock). Returns 0 or a usage error. */
static int cli_setup_clock(cli_ctx *ctx, stella_clock *clock,
                           int64_t *fixed) {
  const char *now = getenv("STELLA_NOW");
  if (!now || !*now)
    return 0;
  if (stella_time_parse(now, fixed))
    return cli_error(NULL, CLI_EXIT_USAGE, "STELLA_NOW='%s' is not an RFC "
                     "3339 time (e.g. 2026-08-22T00:00:00Z; unset it to use "
                     "the system clock)", now);
  clock->now = cli_fixed_now;
  clock->ctx = fixed;
  ctx->clock = clock;
  return 0;
}

/* Global options before the command: --home, --help, --version. */
static int cli_parse_global(int argc, char **argv, int *i, cli_args *args) {
  for (; *i < argc && argv[*i][0] == '-'; (*i)++) {
    int rc = cli_take_opt(NULL, opts_global, argc, argv, i, args);
    if (rc)
      return rc;
  }
  return 0;
}

/* A stdout that could not be written (closed by `| head -1`, a full disk)
 * fails the command with one line, instead of a silent success. */
static int cli_output_done(int rc) {
  errno = 0;
  if (fflush(stdout) == 0 && !ferror(stdout))
    return rc;
  cli_error(NULL, CLI_EXIT_FAIL, "writing the output failed: %s%s",
            errno ? strerror(errno) : "write error",
            rc == CLI_EXIT_OK ? " (the command itself completed)" : "");
  return rc == CLI_EXIT_OK ? CLI_EXIT_FAIL : rc;
}

static int cli_main(int argc, char **argv) {
  cli_args args = {0};
  stella_clock clock;
  int64_t fixed_now;
  int i = 1, rc;
  cli_ctx ctx = {NULL, NULL};
  if ((rc = cli_setup_clock(&ctx, &clock, &fixed_now)))
    return rc;
  if ((rc = cli_parse_global(argc, argv, &i, &args)))
    return rc;
  if (args.version) {
    printf("stella %s\n", STELLA_VERSION);
    return CLI_EXIT_OK;
  }
  if (i >= argc) {
    if (args.help)
      cli_print_list(stdout, "");
    return args.help ? CLI_EXIT_OK
                     : cli_error(NULL, CLI_EXIT_USAGE, "which command? (see "
                                 "`stella --help`)");
  }
  int word = i;
  ctx.cmd = cli_find_cmd(argc, argv, &i);
  if (!ctx.cmd)
    return cli_group(argc, argv, word);
  if (!ctx.cmd->run)
    return cmd_help(ctx.cmd, argc, argv, i);
  if ((rc = cli_parse_cmd_args(&ctx, argc, argv, i, &args)))
    return rc;
  if (args.help) {
    cli_print_cmd_help(stdout, ctx.cmd);
    return CLI_EXIT_OK;
  }
  return ctx.cmd->run(&ctx, &args);
}

int main(int argc, char **argv) {
  /* A closed stdout is a write error the command sees, not death in the
   * middle of a write: `tuf repo init | head -1` must still finish or
   * clean up its temp folder (with the private keys in it). */
  signal(SIGPIPE, SIG_IGN);
  return cli_output_done(cli_main(argc, argv));
}
