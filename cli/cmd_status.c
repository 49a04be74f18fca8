/* cmd_status.c - `stella trust status`: a table for people, one JSON object
 * (--json, fields documented in docs/cli.md) for scripts. With
 * --show-backends / --show-circuit-breaker, the Rekor backends, their
 * breakers and the metric alert levels too (cmd_metrics.c prints them). */
#include "cli.h"
#include "cmd_rekor.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

/* RFC 3339, or "-" (text) / null (JSON) for 0 = absent or open-ended. */
static const char *status_time(int64_t t, char *buf, size_t len) {
  if (!t)
    return NULL;
  stella_time_format(t, buf, len);
  return buf;
}

static json_t *status_json_time(int64_t t) {
  char buf[32];
  return t ? json_string(status_time(t, buf, sizeof buf)) : json_null();
}

/* A JSON string of s. Stored state is normally UTF-8, but a folder written
 * by an older stella may hold any byte, which jansson refuses: such a
 * string is written as text status shows it, in ASCII, never dropped. */
static json_t *status_json_str(const char *s) {
  char shown[2048];
  json_t *j = json_string(s ? s : "");
  if (j)
    return j;
  cli_printable(s, shown, sizeof shown);
  for (char *p = shown; *p; p++)
    if ((unsigned char)*p >= 0x80)
      *p = '?';
  return json_string(shown);
}

static json_t *status_json_roles(const stella_status *s) {
  json_t *roles = json_object();
  for (size_t i = 0; i < 4; i++) {
    const stella_role_status *r = &s->roles[i];
    json_t *v = r->state == STELLA_ROLE_MISSING ? json_null()
                                                : json_integer(r->version);
    json_object_set_new(roles, r->name, json_pack("{s:o, s:o, s:s}",
        "version", v, "expires", status_json_time(r->expires),
        "state", stella_role_state_name(r->state)));
  }
  return roles;
}

static json_t *status_json_endpoints(const stella_status *s) {
  json_t *arr = json_array();
  for (size_t i = 0; i < s->n_endpoints; i++) {
    const stella_endpoint *ep = &s->endpoints[i];
    json_array_append_new(arr, json_pack("{s:o, s:o, s:i, s:o, s:o, s:o}",
        "url", status_json_str(ep->url), "kind", status_json_str(ep->kind),
        "api_version", ep->api_version,
        "operator", status_json_str(ep->operator_name),
        "valid_from", status_json_time(ep->valid_from),
        "valid_until", status_json_time(ep->valid_until)));
  }
  return arr;
}

static json_t *status_json_keys(const stella_status *s) {
  json_t *arr = json_array();
  for (size_t i = 0; i < s->n_keys; i++) {
    const stella_key *k = &s->keys[i];
    json_t *key = json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o}",
        "kind", status_json_str(k->kind),
        "base_url", status_json_str(k->base_url),
        "log_id", status_json_str(k->log_id),
        "key_type", status_json_str(k->key_type),
        "fingerprint_sha256", status_json_str(k->fingerprint_sha256),
        "valid_from", status_json_time(k->valid_from),
        "valid_until", status_json_time(k->valid_until));
    /* Only where known (signing_keys.json names them). */
    if (key && k->name && *k->name)
      json_object_set_new(key, "name", status_json_str(k->name));
    if (key && k->status && *k->status)
      json_object_set_new(key, "status", status_json_str(k->status));
    json_array_append_new(arr, key);
  }
  return arr;
}

/* The Rekor side of status: backends and metrics, or why there are none
 * (no synced service map yet: no backends, as before). */
typedef struct status_rekor {
  int wanted;               /* --show-backends or --show-circuit-breaker */
  stella_backend *backends;
  size_t n;
  int have_metrics;
  stella_metrics metrics;
  char error[1024];         /* "" or why the client could not open */
} status_rekor;

static void status_rekor_load(stella_trust *t, status_rekor *sr) {
  stella_err e = STELLA_OK;
  stella_rekor *r = stella_rekor_open(t, NULL, &e);
  if (!r) {
    if (e != STELLA_E_NOT_INITIALIZED)
      snprintf(sr->error, sizeof sr->error, "%s", stella_trust_errmsg(t));
    return;
  }
  if (stella_rekor_backends(r, &sr->backends, &sr->n) ||
      stella_rekor_metrics(r, &sr->metrics))
    snprintf(sr->error, sizeof sr->error, "%s", stella_rekor_errmsg(r));
  else
    sr->have_metrics = 1;
  stella_rekor_free(r);
}

static void status_json_rekor(json_t *o, const status_rekor *sr) {
  json_object_set_new(o, "backends", backends_json(sr->backends, sr->n));
  json_object_set_new(o, "alerts", sr->have_metrics
                      ? metrics_alerts_json(&sr->metrics) : json_null());
  json_object_set_new(o, "metrics", sr->have_metrics
                      ? metrics_json(&sr->metrics) : json_null());
  json_object_set_new(o, "backends_error", *sr->error
                      ? status_json_str(sr->error) : json_null());
}

static int status_print_json(const cli_ctx *ctx, const stella_status *s,
                             const status_rekor *sr) {
  json_t *o = json_pack("{s:o, s:o, s:o, s:o, s:s, s:o, s:o, s:o}",
      "tuf_url", status_json_str(s->tuf_url), "now", status_json_time(s->now),
      "roles", status_json_roles(s),
      "last_sync", status_json_time(s->last_sync),
      "alert", stella_alert_name(s->alert),
      "endpoints", status_json_endpoints(s), "keys", status_json_keys(s),
      "service_map_error", s->service_map_error
                               ? status_json_str(s->service_map_error)
                               : json_null());
  if (o && sr->wanted)
    status_json_rekor(o, sr);
  /* Never exit 1 with nothing said. (A write that fails, a full disk or a
   * closed pipe, main() reports for every command.) */
  if (!o)
    return cli_error(ctx, CLI_EXIT_FAIL, "building the status as JSON "
                     "failed (out of memory?); `stella trust status` shows "
                     "it as text");
  int failed = json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) ||
               putchar('\n') == EOF;
  json_decref(o);
  return failed ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

static void status_print_roles(const stella_status *s) {
  char when[32], ago[32];
  printf("%-11s %-8s %-21s %s\n", "role", "version", "expires", "state");
  for (size_t i = 0; i < 4; i++) {
    const stella_role_status *r = &s->roles[i];
    const char *exp = status_time(r->expires, when, sizeof when);
    char version[24] = "-"; /* a missing role has none */
    if (r->state != STELLA_ROLE_MISSING)
      snprintf(version, sizeof version, "%lld", (long long)r->version);
    printf("%-11s %-8s %-21s %s", r->name, version, exp ? exp : "-",
           stella_role_state_name(r->state));
    if (r->state == STELLA_ROLE_STALE || r->state == STELLA_ROLE_EXPIRED) {
      stella_age_format(s->now - r->expires, ago, sizeof ago);
      printf(" (expired %s ago)", ago);
    }
    putchar('\n');
  }
}

static void status_print_endpoints(const stella_status *s) {
  char from[32], until[32], url[512];
  int width = 3; /* the URL column fits the longest URL */
  for (size_t i = 0; i < s->n_endpoints; i++) {
    int n = (int)strlen(cli_printable(s->endpoints[i].url, url, sizeof url));
    width = n > width ? n : width;
  }
  printf("\nendpoints (signing_config)\n");
  printf("  %-5s %-4s %-*s %-13s %s\n", "kind", "api", width, "url",
         "operator", "valid");
  for (size_t i = 0; i < s->n_endpoints; i++) {
    const stella_endpoint *ep = &s->endpoints[i];
    const char *f = status_time(ep->valid_from, from, sizeof from);
    const char *u = status_time(ep->valid_until, until, sizeof until);
    char kind[16], op[128];
    printf("  %-5s v%-3d %-*s %-13s %s .. %s\n",
           cli_printable(ep->kind, kind, sizeof kind), ep->api_version,
           width, cli_printable(ep->url, url, sizeof url),
           *ep->operator_name ? cli_printable(ep->operator_name, op, sizeof op)
                              : "-",
           f ? f : "-", u ? u : "open");
  }
}

static void status_print_keys(const stella_status *s) {
  char from[32], until[32];
  printf("\nkeys (trusted_root, signing_keys)\n");
  for (size_t i = 0; i < s->n_keys; i++) {
    const stella_key *k = &s->keys[i];
    const char *f = status_time(k->valid_from, from, sizeof from);
    const char *u = status_time(k->valid_until, until, sizeof until);
    char kind[16], url[512], type[128], name[128];
    printf("  %-7s %s\n", cli_printable(k->kind, kind, sizeof kind),
           *k->base_url ? cli_printable(k->base_url, url, sizeof url) : "-");
    if (k->name && *k->name)
      printf("        name         %s\n",
             cli_printable(k->name, name, sizeof name));
    if (k->status && *k->status)
      printf("        status       %s\n",
             cli_printable(k->status, type, sizeof type));
    printf("        key type     %s\n",
           cli_printable(k->key_type, type, sizeof type));
    printf("        log id       %s\n",
           *k->log_id ? cli_printable(k->log_id, url, sizeof url) : "-");
    printf("        fingerprint  sha256:%s\n", k->fingerprint_sha256);
    printf("        valid        %s .. %s\n", f ? f : "-", u ? u : "open");
  }
}

static void status_print_rekor(const stella_status *s,
                               const status_rekor *sr, const cli_args *args) {
  char text[1024];
  backends_print_text(sr->backends, sr->n, s->now, args->show_backends,
                      args->show_circuit_breaker);
  if (*sr->error)
    printf("  %s\n", cli_printable(sr->error, text, sizeof text));
  if (sr->have_metrics) {
    printf("\nalerts\n");
    metrics_print_text(&sr->metrics, "  ");
  }
}

static void status_print_text(const stella_status *s, const status_rekor *sr,
                              const cli_args *args) {
  char when[32], ago[32];
  char text[1024]; /* strings from files are shown through cli_printable */
  printf("repository  %s\n\n", cli_printable(s->tuf_url, text, sizeof text));
  status_print_roles(s);
  if (s->last_sync) {
    stella_age_format(s->now - s->last_sync, ago, sizeof ago);
    printf("\nlast sync   %s (%s ago), alert: %s\n",
           status_time(s->last_sync, when, sizeof when), ago,
           stella_alert_name(s->alert));
  } else {
    printf("\nlast sync   never, alert: %s (run `stella trust sync`)\n",
           stella_alert_name(s->alert));
  }
  if (s->service_map_error)
    printf("service map %s\n",
           cli_printable(s->service_map_error, text, sizeof text));
  else
    printf("service map %zu endpoints, %zu keys%s\n", s->n_endpoints,
           s->n_keys, args->show_endpoints || args->show_keys ? ""
           : " (--show-endpoints, --show-keys to list them)");
  if (args->show_endpoints)
    status_print_endpoints(s);
  if (args->show_keys)
    status_print_keys(s);
  if (sr->wanted)
    status_print_rekor(s, sr, args);
}

int cmd_trust_status(cli_ctx *ctx, const cli_args *args) {
  stella_status *s = NULL;
  status_rekor sr = {.wanted = args->show_backends ||
                               args->show_circuit_breaker};
  stella_trust *t = cli_open_trust(ctx, args);
  if (!t)
    return CLI_EXIT_FAIL;
  stella_err e = stella_trust_status(t, &s);
  int rc = cli_exit_for(e);
  if (!e && sr.wanted)
    status_rekor_load(t, &sr);
  if (e)
    cli_error(ctx, rc, "%s", stella_trust_errmsg(t));
  else if (args->json)
    rc = status_print_json(ctx, s, &sr);
  else
    status_print_text(s, &sr, args);
  stella_backends_free(sr.backends, sr.n);
  stella_status_free(s);
  stella_trust_free(t);
  return rc;
}
