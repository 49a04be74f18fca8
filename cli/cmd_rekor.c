/* cmd_rekor.c - `stella rekor loginfo|submit|verify|query` over
 * include/stella/rekor.h: a few lines for people, one JSON object with
 * --json (fields in docs/cli.md). Errors are one line on stderr; exit 1
 * for a failure (verification, network, split view), 2 for usage. The
 * metrics and breaker commands are in cmd_metrics.c. */
#include "cli.h"
#include "cmd_rekor.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Shared with cmd_metrics.c and cmd_status.c ------------------------------- */

json_t *rekor_json_time(int64_t t) {
  char buf[32];
  if (!t)
    return json_null();
  stella_time_format(t, buf, sizeof buf);
  return json_string(buf);
}

int rekor_json_print(json_t *o) {
  int rc = CLI_EXIT_OK;
  if (!o || json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER))
    rc = CLI_EXIT_FAIL;
  else
    putchar('\n');
  json_decref(o);
  return rc;
}

int rekor_cli_run(cli_ctx *ctx, const cli_args *args, rekor_cli_body body,
                  void *data) {
  stella_rekor_opts opts = {.trusted_root_file = args->trusted_root};
  stella_err e = STELLA_OK;
  stella_trust *t = cli_open_trust(ctx, args);
  stella_rekor *r = t ? stella_rekor_open(t, &opts, &e) : NULL;
  int rc = CLI_EXIT_FAIL;
  if (r)
    rc = body(ctx, args, r, data);
  else if (t)
    cli_error(ctx, cli_exit_for(e), "%s", stella_trust_errmsg(t));
  stella_rekor_free(r);
  stella_trust_free(t);
  return rc;
}

static json_t *rekor_json_entry(const stella_rekor_entry *e) {
  return json_pack("{s:s, s:I, s:o, s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:b}",
                   "uuid", e->uuid, "log_index", (json_int_t)e->log_index,
                   "integrated_time", rekor_json_time(e->integrated_time),
                   "log_id", e->log_id, "key_name", e->key_name, "kind",
                   e->kind, "backend", e->backend, "source", e->source,
                   "outside_validity", e->outside_validity, "log_url",
                   e->log_url, "other_log", e->other_log);
}

/* "2026-08-22T00:00:00Z" or "-" (no integrated time: Rekor v2). */
static const char *rekor_when(int64_t t, char *buf, size_t len) {
  if (!t)
    return "-";
  stella_time_format(t, buf, len);
  return buf;
}

/* ---- rekor loginfo --------------------------------------------------------------- */

static json_t *loginfo_json(const stella_loginfo *v, size_t n, stella_err e) {
  json_t *views = json_array();
  for (size_t i = 0; i < n; i++) {
    const stella_loginfo *l = &v[i];
    json_array_append_new(views, json_pack(
        "{s:s, s:s, s:b, s:i, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:b, s:I, "
        "s:b, s:b}",
        "backend", l->backend ? l->backend : "",
        "role", l->primary ? "primary" : "mirror", "ok", l->result == 0,
        "error_code", (int)l->result, "error",
        l->error ? l->error : "", "tree_size", (json_int_t)l->tree_size,
        "root_hash", l->tree_size || l->result == 0 ? l->root_hash : "",
        "origin", l->origin ? l->origin : "", "tree_id",
        l->tree_id ? l->tree_id : "", "log_id", l->log_id, "key_name",
        l->key_name ? l->key_name : "", "baseline_stored",
        l->baseline_stored, "previous_size", (json_int_t)l->previous_size,
        "consistency_proven", l->consistency_proven, "split_view",
        l->split_view));
  }
  return json_pack("{s:b, s:b, s:o}", "ok", e == STELLA_OK, "split_view",
                   e == STELLA_E_INCONSISTENT, "backends", views);
}

static void loginfo_text_one(const stella_loginfo *l) {
  char url[512], text[512], origin[256], name[128];
  printf("%s (%s)  %s\n", cli_printable(l->backend, url, sizeof url),
         l->primary ? "primary" : "mirror",
         l->result ? (l->split_view ? "SPLIT VIEW" : "FAILED") : "ok");
  if (l->origin && *l->origin) {
    printf("  log          %s (key %s, log id %.16s...)\n",
           cli_printable(l->origin, origin, sizeof origin),
           l->key_name && *l->key_name
               ? cli_printable(l->key_name, name, sizeof name) : "unnamed",
           l->log_id);
    printf("  tree         size %llu, root %s\n",
           (unsigned long long)l->tree_size, l->root_hash);
  }
  if (l->baseline_stored)
    printf("  consistency  first checkpoint of this log: stored as the "
           "baseline\n");
  else if (l->consistency_proven)
    printf("  consistency  proven against the stored size %llu\n",
           (unsigned long long)l->previous_size);
  if (l->result)
    printf("  error        %s\n",
           cli_printable(l->error ? l->error : "", text, sizeof text));
}

static int loginfo_run(cli_ctx *ctx, const cli_args *args, stella_rekor *r,
                       void *data) {
  stella_loginfo *v = NULL;
  size_t n = 0;
  (void)data;
  stella_err e = stella_rekor_loginfo(r, args->backend, &v, &n);
  int rc = cli_exit_for(e);
  if (args->json && n)
    rekor_json_print(loginfo_json(v, n, e));
  for (size_t i = 0; !args->json && i < n; i++)
    loginfo_text_one(&v[i]);
  if (e)
    cli_error(ctx, rc, "%s", stella_rekor_errmsg(r));
  stella_loginfo_free(v, n);
  return rc;
}

int cmd_rekor_loginfo(cli_ctx *ctx, const cli_args *args) {
  return rekor_cli_run(ctx, args, loginfo_run, NULL);
}

/* ---- rekor submit ------------------------------------------------------------------ */

static int submit_run(cli_ctx *ctx, const cli_args *args, stella_rekor *r,
                      void *data) {
  stella_submit_result res;
  char when[32], text[1024];
  (void)data;
  stella_err e = stella_rekor_submit(r, args->artifact, args->signature,
                                     args->public_key, &res);
  int rc = cli_exit_for(e);
  if (e) {
    cli_error(ctx, rc, "%s", stella_rekor_errmsg(r));
  } else if (args->json) {
    json_t *o = rekor_json_entry(&res.entry);
    json_object_set_new(o, "failed_over", json_boolean(res.failed_over));
    json_object_set_new(o, "route", json_string(res.route));
    rc = rekor_json_print(o);
  } else {
    printf("submitted   log index %lld, integrated %s\n",
           (long long)res.entry.log_index,
           rekor_when(res.entry.integrated_time, when, sizeof when));
    printf("uuid        %s\n", res.entry.uuid);
    printf("backend     %s%s\n",
           cli_printable(res.entry.backend, text, sizeof text),
           res.failed_over ? " (failed over)" : "");
    if (*res.route)
      printf("route       %s\n", cli_printable(res.route, text, sizeof text));
    printf("verified    SET ok; recorded in the ledger\n");
  }
  return rc;
}

int cmd_rekor_submit(cli_ctx *ctx, const cli_args *args) {
  if (!args->artifact || !args->signature || !args->public_key)
    return cli_usage_error(ctx, "--artifact, --signature and --public-key "
                           "are all required");
  return rekor_cli_run(ctx, args, submit_run, NULL);
}

/* ---- rekor verify ------------------------------------------------------------------ */

static const char *const verify_kinds[] = {"uuid", "log_index", "bundle",
                                           "checkpoint"};

/* Exactly one of --uuid, --log-index, --bundle, --checkpoint. */
static int verify_request(const cli_ctx *ctx, const cli_args *args,
                          stella_verify_request *req) {
  const char *given[4] = {args->uuid, args->log_index, args->bundle,
                          args->checkpoint};
  int n = 0;
  for (int i = 0; i < 4; i++)
    if (given[i]) {
      req->kind = (stella_verify_kind)i;
      req->value = given[i];
      n++;
    }
  if (n != 1)
    return cli_usage_error(ctx, "give exactly one of --uuid, --log-index, "
                           "--bundle, --checkpoint");
  return CLI_EXIT_OK;
}

static json_t *verify_json(const stella_verify_request *req,
                           const stella_verify_result *res, stella_err e,
                           const char *msg) {
  int has_entry = req->kind != STELLA_VERIFY_CHECKPOINT && res->n_entries;
  return json_pack(
      "{s:b, s:s, s:I, s:o, s:{s:s, s:s, s:s, s:s}, s:s, s:I, s:s, s:s}",
      "verified", e == STELLA_OK, "kind", verify_kinds[req->kind],
      "n_entries", (json_int_t)res->n_entries,
      "entry", has_entry ? rekor_json_entry(&res->entry) : json_null(),
      "checks", "set", res->set, "inclusion_proof", res->proof,
      "checkpoint", res->checkpoint, "consistency", res->consistency,
      "failed_check", res->failed_check,
      "tree_size", (json_int_t)res->tree_size, "origin", res->origin,
      "error", e ? msg : "");
}

/* An entry served by one backend but logged in another trusted log. */
static void verify_text_other_log(const stella_rekor_entry *en) {
  char url[512], log[512], name[128];
  printf("  log         served by %s, logged in %s (key %s)\n",
         cli_printable(en->backend, url, sizeof url),
         *en->log_url ? cli_printable(en->log_url, log, sizeof log)
                      : "another log",
         *en->key_name ? cli_printable(en->key_name, name, sizeof name)
                       : "unnamed");
}

static void verify_text(const stella_verify_request *req,
                        const stella_verify_result *res, stella_err e) {
  char when[32], origin[256], name[128];
  const stella_rekor_entry *en = &res->entry;
  if (req->kind != STELLA_VERIFY_CHECKPOINT && res->n_entries) {
    printf("%s  entry %lld, integrated %s\n", e ? "FAILED  " : "verified",
           (long long)en->log_index,
           rekor_when(en->integrated_time, when, sizeof when));
    printf("  uuid        %s\n", en->uuid);
    printf("  log key     %s (log id %.16s...)\n",
           *en->key_name ? cli_printable(en->key_name, name, sizeof name)
                         : "unnamed", en->log_id);
    if (res->n_entries > 1)
      printf("  entries     %zu in the bundle\n", res->n_entries);
    if (en->other_log)
      verify_text_other_log(en);
    printf("  checks      SET %s, inclusion proof %s, checkpoint %s, "
           "consistency %s\n", res->set, res->proof, res->checkpoint,
           res->consistency);
    if (en->outside_validity)
      printf("  WARNING     integrated outside its key's validity window\n");
  } else if (req->kind == STELLA_VERIFY_CHECKPOINT && !e) {
    printf("verified  checkpoint signed by %s (log id %.16s...)\n",
           *en->key_name ? cli_printable(en->key_name, name, sizeof name)
                         : "an unnamed key", en->log_id);
  }
  /* No origin when the checkpoint is absent or did not verify. */
  if (res->tree_size || *res->origin)
    printf("  tree        size %llu%s%s\n", (unsigned long long)res->tree_size,
           *res->origin ? ", origin " : "",
           cli_printable(res->origin, origin, sizeof origin));
}

static int verify_run(cli_ctx *ctx, const cli_args *args, stella_rekor *r,
                      void *data) {
  const stella_verify_request *req = data;
  stella_verify_result res;
  stella_err e = stella_rekor_verify(r, req, &res);
  int rc = cli_exit_for(e);
  if (args->json && e != STELLA_E_INVALID_ARG)
    rekor_json_print(verify_json(req, &res, e, stella_rekor_errmsg(r)));
  else if (e != STELLA_E_INVALID_ARG)
    verify_text(req, &res, e);
  /* A file from another log instance (staging, a private log) fails on
   * the key: say how to verify it against that log's own trusted root. */
  int offline_key = !args->trusted_root &&
                    (req->kind == STELLA_VERIFY_BUNDLE ||
                     req->kind == STELLA_VERIFY_CHECKPOINT) &&
                    strcmp(res.failed_check, "key") == 0;
  if (e && *res.failed_check)
    cli_error(ctx, rc, "%s (failed check: %s)%s", stella_rekor_errmsg(r),
              res.failed_check, offline_key ? "; if it comes from another "
              "log instance, give that log's trusted root with --trusted-root "
              "FILE" : "");
  else if (e)
    cli_error(ctx, rc, "%s", stella_rekor_errmsg(r));
  return rc;
}

int cmd_rekor_verify(cli_ctx *ctx, const cli_args *args) {
  stella_verify_request req = {0};
  int rc = verify_request(ctx, args, &req);
  return rc ? rc : rekor_cli_run(ctx, args, verify_run, &req);
}

/* ---- rekor query ------------------------------------------------------------------- */

typedef struct query_out {
  json_t *entries;  /* --json */
  size_t n, flagged;
} query_out;

static int query_print(void *ctx, const stella_rekor_entry *e) {
  query_out *q = ctx;
  char when[32], name[64], backend[512];
  q->n++;
  q->flagged += e->outside_validity != 0;
  if (q->entries)
    return json_array_append_new(q->entries, rekor_json_entry(e)) ? 1 : 0;
  if (q->n == 1)
    printf("%-20s %-10s %-16s %-10s %-24s %s\n", "integrated", "log index",
           "key", "source", "backend", "uuid");
  printf("%-20s %-10lld %-16s %-10s %-24s %s%s\n",
         rekor_when(e->integrated_time, when, sizeof when),
         (long long)e->log_index,
         *e->key_name ? cli_printable(e->key_name, name, sizeof name)
                      : "-", e->source,
         *e->backend ? cli_printable(e->backend, backend, sizeof backend)
                     : "-", e->uuid,
         e->outside_validity ? "  OUTSIDE KEY VALIDITY" : "");
  return 0;
}

static int query_window(const cli_ctx *ctx, const cli_args *args,
                        int64_t *after, int64_t *before) {
  if (!args->after || !args->before)
    return cli_usage_error(ctx, "--after and --before are both required");
  if (stella_time_parse(args->after, after))
    return cli_usage_error(ctx, "--after '%s' is not an RFC 3339 time",
                           args->after);
  if (stella_time_parse(args->before, before))
    return cli_usage_error(ctx, "--before '%s' is not an RFC 3339 time",
                           args->before);
  if (*after >= *before)
    return cli_usage_error(ctx, "--after must be earlier than --before");
  return CLI_EXIT_OK;
}

static int query_run(cli_ctx *ctx, const cli_args *args, stella_rekor *r,
                     void *data) {
  const int64_t *window = data; /* after, before */
  int64_t after = window[0], before = window[1];
  query_out q = {.entries = args->json ? json_array() : NULL};
  stella_err e = stella_rekor_query(r, after, before, args->key_id,
                                    args->remote, query_print, &q);
  int rc = cli_exit_for(e);
  if (e) {
    cli_error(ctx, rc, "%s", stella_rekor_errmsg(r));
    json_decref(q.entries);
  } else if (args->json) {
    rc = rekor_json_print(json_pack(
        "{s:o, s:o, s:s?, s:b, s:I, s:I, s:o}", "after",
        rekor_json_time(after), "before", rekor_json_time(before), "key_id",
        args->key_id, "remote", args->remote, "count", (json_int_t)q.n,
        "outside_validity", (json_int_t)q.flagged, "entries", q.entries));
  } else {
    printf("%s%zu entr%s", q.n ? "\n" : "", q.n, q.n == 1 ? "y" : "ies");
    if (q.flagged)
      printf(", %zu integrated outside their key's validity window",
             q.flagged);
    putchar('\n');
  }
  return rc;
}

int cmd_rekor_query(cli_ctx *ctx, const cli_args *args) {
  int64_t window[2] = {0, 0};
  int rc = query_window(ctx, args, &window[0], &window[1]);
  return rc ? rc : rekor_cli_run(ctx, args, query_run, window);
}
