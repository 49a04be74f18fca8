/* cmd_metrics.c - `stella metrics [--prometheus | --json]` (the alert
 * table: submission and verification failure rates, breaker opens, metadata
 * age), `stella trust reset-circuits [BACKEND]`, and the backend and metric
 * pieces `trust status --show-backends --show-circuit-breaker` prints. */
#include "cli.h"
#include "cmd_rekor.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The four metrics of the alert table, in display order. */
static const stella_metric *metrics_list(const stella_metrics *m, size_t i) {
  const stella_metric *v[4] = {&m->submit_failure, &m->verify_failure,
                               &m->breaker_opens, &m->metadata_age};
  return i < 4 ? v[i] : NULL;
}

json_t *metrics_json(const stella_metrics *m) {
  json_t *o = json_object();
  const stella_metric *x;
  for (size_t i = 0; (x = metrics_list(m, i)); i++)
    json_object_set_new(o, x->name, json_pack("{s:f, s:s, s:s}", "value",
                        x->value, "alert", stella_alert_name(x->alert),
                        "help", x->help));
  json_object_set_new(o, "submit_total", json_integer(m->submit_total));
  json_object_set_new(o, "verify_total", json_integer(m->verify_total));
  return o;
}

json_t *metrics_alerts_json(const stella_metrics *m) {
  json_t *o = json_object();
  const stella_metric *x;
  for (size_t i = 0; (x = metrics_list(m, i)); i++)
    json_object_set_new(o, x->name, json_string(stella_alert_name(x->alert)));
  return o;
}

/* One line per metric: what, value, alert level. */
void metrics_print_text(const stella_metrics *m, const char *indent) {
  char value[4][64];
  const char *what[4] = {"submission failures", "verification failures",
                         "breaker opens", "metadata age"};
  snprintf(value[0], sizeof value[0], "%.1f%% of %lld (last hour)",
           100 * m->submit_failure.value, (long long)m->submit_total);
  snprintf(value[1], sizeof value[1], "%.1f%% of %lld (last hour)",
           100 * m->verify_failure.value, (long long)m->verify_total);
  snprintf(value[2], sizeof value[2], "%.0f (last hour)",
           m->breaker_opens.value);
  if (m->metadata_age.value < 0)
    snprintf(value[3], sizeof value[3], "never synced");
  else
    stella_age_format((int64_t)m->metadata_age.value, value[3],
                      sizeof value[3]);
  printf("%s%-22s %-26s %s\n", indent, "metric", "value", "alert");
  for (size_t i = 0; i < 4; i++)
    printf("%s%-22s %-26s %s\n", indent, what[i], value[i],
           stella_alert_name(metrics_list(m, i)->alert));
}

json_t *backends_json(const stella_backend *v, size_t n) {
  json_t *arr = json_array();
  for (size_t i = 0; i < n; i++) {
    const stella_backend *b = &v[i];
    json_t *cp = b->has_checkpoint
        ? json_pack("{s:I, s:o}", "size", (json_int_t)b->checkpoint_size,
                    "verified_at", rekor_json_time(b->checkpoint_verified_at))
        : json_null();
    json_array_append_new(arr, json_pack(
        "{s:s, s:s, s:s, s:s, s:o, s:f, s:i, s:s, s:o, s:i, s:s, s:s, s:o, "
        "s:o}",
        "url", b->url, "role", b->primary ? "primary" : "mirror", "origin",
        b->origin, "state", b->state, "since", rekor_json_time(b->since),
        "failure_rate", b->failure_rate, "calls_in_window",
        b->calls_in_window, "last_error", b->last_error, "last_error_at",
        rekor_json_time(b->last_error_at), "opens_last_hour",
        b->opens_last_hour, "cause", b->last_cause, "alert",
        stella_alert_name(b->alert), "open_until",
        rekor_json_time(b->open_until), "checkpoint", cp));
  }
  return arr;
}

static void backend_print_breaker(const stella_backend *b, int64_t now) {
  char when[32], ago[32], text[512];
  if (b->since) {
    stella_time_format(b->since, when, sizeof when);
    stella_age_format(now - b->since, ago, sizeof ago);
    printf("    breaker      %s since %s (%s ago)", b->state, when, ago);
  } else {
    printf("    breaker      %s (never changed)", b->state);
  }
  if (b->open_until) {
    stella_time_format(b->open_until, when, sizeof when);
    printf(", next probe at %s", when);
  }
  printf("\n    failures     %.0f%% of the last %d calls\n",
         100 * b->failure_rate, b->calls_in_window);
  printf("    opens        %d in the last hour, alert: %s\n",
         b->opens_last_hour, stella_alert_name(b->alert));
  if (*b->last_error)
    printf("    last error   %s\n",
           cli_printable(b->last_error, text, sizeof text));
  if (*b->last_cause)
    printf("    cause        %s\n",
           cli_printable(b->last_cause, text, sizeof text));
}

void backends_print_text(const stella_backend *v, size_t n, int64_t now,
                         int show_backends, int show_breaker) {
  char url[512], ago[32];
  printf("\nbackends (Rekor, in failover order)\n");
  if (!n)
    printf("  none (no valid Rekor URL in the signing config, no local "
           "mirror)\n");
  for (size_t i = 0; i < n; i++) {
    const stella_backend *b = &v[i];
    printf("  %s  %s (%s)  %s\n", cli_printable(b->url, url, sizeof url),
           b->primary ? "primary" : "mirror", b->origin, b->state);
    if (show_backends && b->has_checkpoint) {
      stella_age_format(now - b->checkpoint_verified_at, ago, sizeof ago);
      printf("    checkpoint   size %llu, verified %s ago\n",
             (unsigned long long)b->checkpoint_size, ago);
    } else if (show_backends) {
      printf("    checkpoint   none verified yet (`stella rekor loginfo`)\n");
    }
    if (show_breaker)
      backend_print_breaker(b, now);
  }
}

/* ---- stella metrics ---------------------------------------------------------------- */

/* A Prometheus label value: backslash, double quote and newline escaped. */
static void prom_label(const char *s) {
  for (; *s; s++) {
    if (*s == '\\' || *s == '"')
      printf("\\%c", *s);
    else if (*s == '\n')
      printf("\\n");
    else
      putchar(*s);
  }
}

static void prom_gauge(const char *name, const char *help, double v) {
  printf("# HELP %s %s\n# TYPE %s gauge\n%s %.10g\n", name, help, name, name,
         v);
}

static void metrics_prometheus(const stella_metrics *m,
                               const stella_backend *b, size_t n) {
  const stella_metric *x;
  for (size_t i = 0; (x = metrics_list(m, i)); i++)
    prom_gauge(x->name, x->help, x->value);
  prom_gauge("stella_rekor_submit_total", "Rekor submissions in the last "
             "hour", (double)m->submit_total);
  prom_gauge("stella_rekor_verify_total", "Rekor verifications in the last "
             "hour", (double)m->verify_total);
  printf("# HELP stella_alert_level Alert level per metric (0 ok, 1 warning, "
         "2 critical)\n# TYPE stella_alert_level gauge\n");
  for (size_t i = 0; (x = metrics_list(m, i)); i++)
    printf("stella_alert_level{metric=\"%s\"} %d\n", x->name, (int)x->alert);
  printf("# HELP stella_breaker_state Circuit breaker per backend (0 closed, "
         "1 open, 2 half_open)\n# TYPE stella_breaker_state gauge\n");
  for (size_t i = 0; i < n; i++) {
    int state = strcmp(b[i].state, "open") == 0        ? 1
                : strcmp(b[i].state, "half_open") == 0 ? 2 : 0;
    printf("stella_breaker_state{backend=\"");
    prom_label(b[i].url);
    printf("\"} %d\n", state);
  }
}

static json_t *metrics_json_all(const stella_metrics *m,
                                const stella_backend *b, size_t n) {
  json_t *breakers = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(breakers, json_pack("{s:s, s:s}", "backend",
                                              b[i].url, "state", b[i].state));
  return json_pack("{s:o, s:o, s:o}", "metrics", metrics_json(m), "alerts",
                   metrics_alerts_json(m), "breakers", breakers);
}

static int metrics_run(cli_ctx *ctx, const cli_args *args, stella_rekor *r,
                       void *data) {
  stella_metrics m;
  stella_backend *b = NULL;
  size_t n = 0;
  (void)data;
  stella_err e = stella_rekor_metrics(r, &m);
  if (!e)
    e = stella_rekor_backends(r, &b, &n);
  int rc = cli_exit_for(e);
  if (e)
    cli_error(ctx, rc, "%s", stella_rekor_errmsg(r));
  else if (args->prometheus)
    metrics_prometheus(&m, b, n);
  else if (args->json)
    rc = rekor_json_print(metrics_json_all(&m, b, n));
  else
    metrics_print_text(&m, "");
  stella_backends_free(b, n);
  return rc;
}

int cmd_metrics(cli_ctx *ctx, const cli_args *args) {
  if (args->prometheus && args->json)
    return cli_usage_error(ctx, "give --prometheus or --json, not both");
  return rekor_cli_run(ctx, args, metrics_run, NULL);
}

/* ---- stella trust reset-circuits ------------------------------------------------------ */

/* Is b the backend the operator named (a URL, "primary"; NULL: all)? */
static int reset_named(const stella_backend *b, const char *only) {
  if (!only)
    return 1;
  if (strcmp(only, "primary") == 0)
    return b->primary;
  size_t len = strlen(only);
  while (len > 0 && only[len - 1] == '/')
    len--;
  return strlen(b->url) == len && strncmp(b->url, only, len) == 0;
}

static void reset_print(const stella_backend *v, size_t n, const char *only,
                        size_t closed, const char *actor) {
  char url[512], who[256];
  for (size_t i = 0; i < n; i++)
    if (reset_named(&v[i], only) && strcmp(v[i].state, "closed") != 0)
      printf("closed  %s (was %s)\n",
             cli_printable(v[i].url, url, sizeof url), v[i].state);
  printf("%zu breaker%s closed, reset recorded as done by %s\n", closed,
         closed == 1 ? "" : "s", cli_printable(actor, who, sizeof who));
}

static int reset_run(cli_ctx *ctx, const cli_args *args, stella_rekor *r,
                     void *data) {
  stella_backend *v = NULL;
  size_t n = 0, closed = 0;
  (void)data;
  /* The states before, to say what was closed. */
  stella_err e = stella_rekor_backends(r, &v, &n);
  if (!e)
    e = stella_rekor_reset_circuits(r, args->operand, &closed);
  int rc = cli_exit_for(e);
  if (e) /* the core caps the BACKEND it echoes; cli_error escapes it */
    cli_error(ctx, rc, "%s", stella_rekor_errmsg(r));
  else
    reset_print(v, n, args->operand, closed, stella_rekor_actor(r));
  stella_backends_free(v, n);
  return rc;
}

int cmd_trust_reset_circuits(cli_ctx *ctx, const cli_args *args) {
  return rekor_cli_run(ctx, args, reset_run, NULL);
}
