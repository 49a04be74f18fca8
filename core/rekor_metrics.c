/* rekor_metrics.c - what `trust status --show-backends` and `stella
 * metrics` read (no network): each backend with its breaker and last
 * verified checkpoint, and the metrics behind the alert table
 * (submission and verification failure rates over the rolling hour,
 * breaker opens in the last hour, metadata age). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ledger.h"
#include "rekor_client.h"
#include "store.h"

/* Alert thresholds (docs/operators.md, the alert table). */
#define REKOR_OPENS_WARN 2
#define REKOR_OPENS_CRIT 5
#define REKOR_SUBMIT_WARN 0.05
#define REKOR_SUBMIT_CRIT 0.20
#define REKOR_VERIFY_WARN 0.01
#define REKOR_VERIFY_CRIT 0.05

static stella_alert rekor_alert_above(double v, double warn, double crit) {
  return v > crit ? STELLA_ALERT_CRITICAL
         : v > warn ? STELLA_ALERT_WARNING : STELLA_ALERT_OK;
}

/* ---- Backends ------------------------------------------------------------------ */

static stella_err rekor_backend_fill(stella_rekor *r, size_t i, int64_t now,
                                     stella_backend *b) {
  breaker_status bs;
  ledger_checkpoint cp;
  const rekor_backend *rb = &r->backends[i];
  stella_err e = breaker_get_status(r->s, rb->url, now, &bs);
  if (e)
    return rekor_errf(r, e, "%s", store_errmsg(r->s));
  b->url = strdup(rb->url);
  b->primary = rb->primary;
  b->origin = strdup(rb->origin);
  b->state = strdup(breaker_state_name(bs.state));
  b->last_error = strdup(bs.last_error);
  b->last_cause = strdup(bs.last_cause);
  if (!b->url || !b->origin || !b->state || !b->last_error || !b->last_cause)
    return rekor_errf(r, STELLA_E_NOMEM, "%s",
                      stella_strerror(STELLA_E_NOMEM));
  b->since = bs.since;
  b->failure_rate = bs.failure_rate;
  b->calls_in_window = bs.calls_in_window;
  b->last_error_at = bs.last_error_at;
  b->open_until = bs.state == BREAKER_OPEN ? bs.open_until : 0;
  b->opens_last_hour = bs.opens_last_hour;
  b->alert = rekor_alert_above(bs.opens_last_hour, REKOR_OPENS_WARN,
                               REKOR_OPENS_CRIT);
  e = ledger_backend_checkpoint(r->s, rb->url, &cp);
  if (e == STELLA_E_NOT_FOUND)
    return STELLA_OK;
  if (e)
    return rekor_errf(r, e, "%s", store_errmsg(r->s));
  b->has_checkpoint = 1;
  b->checkpoint_size = cp.size;
  b->checkpoint_verified_at = cp.verified_at;
  return STELLA_OK;
}

stella_err stella_rekor_backends(stella_rekor *r, stella_backend **out,
                                 size_t *n) {
  *out = NULL;
  *n = 0;
  if (!r)
    return STELLA_E_INVALID_ARG;
  r->errmsg[0] = '\0';
  if (!r->n_backends)
    return STELLA_OK;
  stella_backend *v = calloc(r->n_backends, sizeof *v);
  if (!v)
    return rekor_errf(r, STELLA_E_NOMEM, "%s",
                      stella_strerror(STELLA_E_NOMEM));
  int64_t now = rekor_now(r);
  for (size_t i = 0; i < r->n_backends; i++) {
    stella_err e = rekor_backend_fill(r, i, now, &v[i]);
    if (e) {
      stella_backends_free(v, r->n_backends);
      return e;
    }
  }
  *out = v;
  *n = r->n_backends;
  return STELLA_OK;
}

void stella_backends_free(stella_backend *v, size_t n) {
  for (size_t i = 0; v && i < n; i++) {
    free(v[i].url);
    free(v[i].origin);
    free(v[i].state);
    free(v[i].last_error);
    free(v[i].last_cause);
  }
  free(v);
}

/* ---- Metrics ------------------------------------------------------------------- */

static stella_err rekor_rate(stella_rekor *r, const char *op, int64_t now,
                             double warn, double crit, stella_metric *m,
                             int64_t *total) {
  ledger_rate rate;
  stella_err e = ledger_op_rate(r->s, op, now, &rate);
  if (e)
    return rekor_errf(r, e, "%s", store_errmsg(r->s));
  m->value = rate.rate;
  m->alert = rekor_alert_above(rate.rate, warn, crit);
  *total = rate.total;
  return STELLA_OK;
}

stella_err stella_rekor_metrics(stella_rekor *r, stella_metrics *out) {
  int64_t last_sync = 0;
  int opens = 0;
  if (!r || !out)
    return STELLA_E_INVALID_ARG;
  memset(out, 0, sizeof *out);
  r->errmsg[0] = '\0';
  int64_t now = rekor_now(r);
  out->submit_failure = (stella_metric){
      "stella_rekor_submit_failure_ratio",
      "Failed Rekor submissions / submissions in the last hour", 0, 0};
  out->verify_failure = (stella_metric){
      "stella_rekor_verify_failure_ratio",
      "Failed Rekor verifications / verifications in the last hour", 0, 0};
  out->breaker_opens = (stella_metric){
      "stella_breaker_opens_last_hour",
      "Circuit breaker transitions to open, all backends, last hour", 0, 0};
  out->metadata_age = (stella_metric){
      "stella_tuf_metadata_age_seconds",
      "Seconds since the last good TUF sync (-1: never)", 0, 0};
  stella_err e = rekor_rate(r, "submit", now, REKOR_SUBMIT_WARN,
                            REKOR_SUBMIT_CRIT, &out->submit_failure,
                            &out->submit_total);
  if (!e)
    e = rekor_rate(r, "verify", now, REKOR_VERIFY_WARN, REKOR_VERIFY_CRIT,
                   &out->verify_failure, &out->verify_total);
  if (!e && (e = breaker_opens_last_hour(r->s, now, &opens)))
    rekor_errf(r, e, "%s", store_errmsg(r->s));
  if (!e && (e = store_last_good_sync(r->s, &last_sync)))
    rekor_errf(r, e, "%s", store_errmsg(r->s));
  if (e)
    return e;
  out->breaker_opens.value = opens;
  out->breaker_opens.alert = rekor_alert_above(opens, REKOR_OPENS_WARN,
                                               REKOR_OPENS_CRIT);
  /* Never synced: as bad as old (stella_trust_status says the same). */
  out->metadata_age.value = last_sync ? (double)(now - last_sync) : -1;
  out->metadata_age.alert = last_sync ? stella_alert_for_age(now - last_sync)
                                      : STELLA_ALERT_CRITICAL;
  return STELLA_OK;
}
