/* rekor_client.c - the stella_rekor handle: log keys from the verified
 * trusted_root (or a given file), backends from the signing config and the
 * local config, and every HTTP call through the backend's circuit breaker
 * (admit, timed fetch, classification, report) with failover in order. */
#include "rekor_client.h"

#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fsutil.h"
#include "ledger.h"
#include "store.h"
#include "trust_internal.h"

/* trusted_root.json is small; a bigger file is not one. */
#define REKOR_TRUSTED_ROOT_MAX (8 * 1024 * 1024)

static int64_t rekor_monotonic_ms(void *ctx) {
  (void)ctx;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t rekor_now(const stella_rekor *r) {
  const stella_clock *c = trust_clock(r->t);
  return c->now(c->ctx);
}

stella_err rekor_errf(stella_rekor *r, stella_err e, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->errmsg, sizeof r->errmsg, fmt, ap);
  va_end(ap);
  return e;
}

const char *stella_rekor_errmsg(const stella_rekor *r) {
  return r ? r->errmsg : "";
}

void rekor_set_fetcher(stella_rekor *r, stella_fetcher *f) {
  if (r->own_fetcher)
    fetch_free(r->fetcher);
  r->fetcher = f;
  r->own_fetcher = 0;
}

void rekor_set_duration_source(stella_rekor *r, rekor_ms_fn ms, void *ctx) {
  r->ms = ms ? ms : rekor_monotonic_ms;
  r->ms_ctx = ctx;
}

/* ---- Backends ----------------------------------------------------------------- */

/* Length of url without its trailing '/'s. */
static size_t rekor_url_len(const char *url) {
  size_t len = strlen(url);
  while (len > 0 && url[len - 1] == '/')
    len--;
  return len;
}

/* The same URL, trailing '/'s aside. */
static int rekor_url_eq(const char *a, const char *b) {
  size_t len = rekor_url_len(a);
  return rekor_url_len(b) == len && strncmp(a, b, len) == 0;
}

stella_err rekor_backend_add(stella_rekor *r, const char *url, int primary,
                             const char *origin) {
  size_t len = rekor_url_len(url);
  if (rekor_backend_find(r, url) >= 0)
    return STELLA_OK; /* listed twice: one breaker, first place wins */
  rekor_backend *g = realloc(r->backends, (r->n_backends + 1) * sizeof *g);
  if (!g)
    return STELLA_E_NOMEM;
  r->backends = g;
  if (!(g[r->n_backends].url = strndup(url, len)))
    return STELLA_E_NOMEM;
  g[r->n_backends].primary = primary;
  g[r->n_backends].origin = origin;
  r->n_backends++;
  return STELLA_OK;
}

long rekor_backend_find(const stella_rekor *r, const char *name) {
  if (!name)
    return -1;
  if (strcmp(name, "primary") == 0)
    return r->n_backends && r->backends[0].primary ? 0 : -1;
  for (size_t i = 0; i < r->n_backends; i++)
    if (rekor_url_eq(r->backends[i].url, name))
      return (long)i;
  return -1;
}

/* The signing config's Rekor URLs valid now, in order. Rekor v2 logs
 * (majorApiVersion 2) do not speak the v1 API this client uses. */
static stella_err rekor_add_synced_backends(stella_rekor *r,
                                            const stella_status *st) {
  int64_t now = rekor_now(r);
  for (size_t i = 0; i < st->n_endpoints; i++) {
    const stella_endpoint *ep = &st->endpoints[i];
    if (strcmp(ep->kind, "rekor") != 0 || ep->api_version > 1 ||
        (ep->valid_from && now < ep->valid_from) ||
        (ep->valid_until && now >= ep->valid_until))
      continue;
    stella_err e = rekor_backend_add(r, ep->url, r->n_backends == 0,
                                     "signing_config");
    if (e)
      return e;
  }
  return STELLA_OK;
}

/* ---- Keys ---------------------------------------------------------------------- */

static stella_err rekor_load_keys(stella_rekor *r, const char *file,
                                  const stella_status *st) {
  sbuf b = SBUF_INIT;
  char why[512] = "";
  char *synced = file ? NULL : fs_join(stella_trust_home(r->t),
                                       "tuf/targets/" TRUST_TRUSTED_ROOT);
  const char *path = file ? file : synced;
  stella_err e = path ? fs_read_file(path, REKOR_TRUSTED_ROOT_MAX, &b)
                      : STELLA_E_NOMEM;
  if (e == STELLA_E_NOT_FOUND && !file) {
    e = rekor_errf(r, STELLA_E_NOT_INITIALIZED, "no synced trusted_root.json "
                   "yet: no Rekor log keys (run `stella trust sync`, or give "
                   "--trusted-root FILE)");
  } else if (e) {
    fs_read_why(path, e, REKOR_TRUSTED_ROOT_MAX, why, sizeof why);
    e = rekor_errf(r, e, "%s", why);
  } else if ((e = rekor_keyring_add_trusted_root(&r->kr, b.data, b.len, why,
                                               sizeof why))) {
    e = rekor_errf(r, e, "%s: %s (%s)", path, why,
                   file ? "give a Sigstore trusted_root.json"
                        : "run `stella trust sync` to fetch it again");
  }
  /* Names from signing_keys.json, by log ID. */
  for (size_t i = 0; !e && st && i < st->n_keys; i++)
    if (strcmp(st->keys[i].kind, "tlog") == 0 && *st->keys[i].name)
      e = rekor_keyring_set_name(&r->kr, st->keys[i].log_id,
                                 st->keys[i].name);
  free(synced);
  sbuf_free(&b);
  return e;
}

static stella_err rekor_setup(stella_rekor *r, const stella_rekor_opts *opts,
                              const stella_status *st) {
  const char *file = opts ? opts->trusted_root_file : NULL;
  stella_err e = rekor_load_keys(r, file, st);
  if (!e && st)
    e = rekor_add_synced_backends(r, st);
  if (!e)
    e = rekor_config_load(r, stella_trust_home(r->t));
  if (e == STELLA_E_NOMEM)
    rekor_errf(r, e, "opening the Rekor client: %s", stella_strerror(e));
  return e;
}

/* Who runs this process, for the record of resets: the caller's word, else
 * $USER or $LOGNAME, else the account of the effective uid, else "uid N"
 * (cron jobs and containers often have no USER). */
static void rekor_actor_name(const char *given, char *buf, size_t len) {
  const char *candidates[] = {given, getenv("USER"), getenv("LOGNAME")};
  for (size_t i = 0; i < sizeof candidates / sizeof candidates[0]; i++)
    if (candidates[i] && *candidates[i]) {
      snprintf(buf, len, "%s", candidates[i]);
      return;
    }
  struct passwd *pw = getpwuid(geteuid());
  if (pw && pw->pw_name && *pw->pw_name)
    snprintf(buf, len, "%s", pw->pw_name);
  else
    snprintf(buf, len, "uid %lu", (unsigned long)geteuid());
}

const char *stella_rekor_actor(const stella_rekor *r) {
  return r ? r->actor : "";
}

stella_rekor *stella_rekor_open(stella_trust *t, const stella_rekor_opts *opts,
                                stella_err *err) {
  stella_err e = STELLA_E_NOMEM;
  stella_status *st = NULL;
  stella_rekor *r = t ? calloc(1, sizeof *r) : NULL;
  if (!t)
    e = STELLA_E_INVALID_ARG;
  if (r) {
    r->t = t;
    r->s = trust_store(t);
    r->timeout_ms = REKOR_TIMEOUT_MS;
    r->connect_timeout_ms = REKOR_CONNECT_TIMEOUT_MS;
    breaker_policy_default(&r->policy);
    rekor_set_duration_source(r, NULL, NULL);
    rekor_actor_name(opts ? opts->actor : NULL, r->actor, sizeof r->actor);
    /* Without synced trust, a trusted root file still verifies offline. */
    e = stella_trust_status(t, &st);
    r->without_trust = e != STELLA_OK;
    if (!e || (opts && opts->trusted_root_file))
      e = rekor_setup(r, opts, e ? NULL : st);
    else
      rekor_errf(r, e, "%s", stella_trust_errmsg(t));
  }
  stella_status_free(st);
  if (err)
    *err = e;
  if (e) {
    if (r)
      trust_set_errmsg(t, e, r->errmsg);
    stella_rekor_free(r);
    return NULL;
  }
  return r;
}

void stella_rekor_free(stella_rekor *r) {
  if (!r)
    return;
  for (size_t i = 0; i < r->n_backends; i++)
    free(r->backends[i].url);
  free(r->backends);
  rekor_keyring_clear(&r->kr);
  if (r->own_fetcher)
    fetch_free(r->fetcher);
  free(r);
}

/* ---- Calls through the breakers ---------------------------------------------- */

static stella_fetcher *rekor_fetcher(stella_rekor *r) {
  if (!r->fetcher) {
    fetch_curl_opts o = {.connect_timeout_ms = r->connect_timeout_ms,
                         .total_timeout_ms = r->timeout_ms};
    r->fetcher = fetch_curl_new(&o);
    r->own_fetcher = r->fetcher != NULL;
  }
  return r->fetcher;
}

/* Why a backend was not admitted, for the route line. */
static void rekor_why_closed(stella_rekor *r, const char *url, char *why,
                             size_t whylen) {
  breaker_status bs;
  char until[32];
  if (breaker_get_status(r->s, url, rekor_now(r), &bs) == STELLA_OK &&
      bs.state == BREAKER_OPEN) {
    stella_time_format(bs.open_until, until, sizeof until);
    snprintf(why, whylen, "breaker open until %s", until);
  } else {
    snprintf(why, whylen, "breaker half-open, its probe is in flight");
  }
}

static stella_err rekor_fetch(stella_fetcher *f, const char *url,
                              rekor_request *q, char *ferr, size_t ferrlen) {
  if (!q->post_body)
    return f->get(f, url, REKOR_MAX_RESPONSE, &q->reply, &q->status, ferr,
                  ferrlen);
  if (!f->post) {
    snprintf(ferr, ferrlen, "POST %s: this fetcher cannot POST", url);
    return STELLA_E_UNSUPPORTED;
  }
  fetch_post p = {.url = url, .body = q->post_body, .len = q->post_len,
                  .max_bytes = REKOR_MAX_RESPONSE};
  stella_err e = f->post(f, &p, &q->reply, &q->status, ferr, ferrlen);
  memcpy(q->location, p.location, sizeof q->location);
  return e;
}

/* What a finished fetch means for the breaker and for the caller. */
static breaker_outcome rekor_classify(stella_err fe, long status,
                                      int absent_ok, stella_err *result) {
  *result = fe;
  if (fe == STELLA_OK)
    return BREAKER_SUCCESS;
  if (status == 404) {
    *result = STELLA_E_NOT_FOUND;  /* expected for an absent entry only */
    return absent_ok ? BREAKER_NEUTRAL : BREAKER_FAILURE;
  }
  if (status == 409) {
    *result = STELLA_E_EXISTS;     /* already in the log */
    return BREAKER_NEUTRAL;
  }
  if (status == 405) {
    *result = STELLA_E_UNSUPPORTED; /* not offered here (a read replica) */
    return BREAKER_NEUTRAL;
  }
  if (status == 408 || status == 429) {
    *result = STELLA_E_HTTP;       /* too slow, too busy: the backend's */
    return BREAKER_FAILURE;
  }
  if (status >= 400 && status < 500) {
    *result = STELLA_E_HTTP;       /* our request: a mirror says the same */
    return BREAKER_NEUTRAL;
  }
  if (fe == STELLA_E_NOMEM || fe == STELLA_E_UNSUPPORTED)
    return BREAKER_NEUTRAL;        /* ours, not the backend's */
  return BREAKER_FAILURE;          /* timeout, network, 5xx, too large */
}

/* What a parse verdict means for the breaker (rekor_request). */
static breaker_outcome rekor_parse_outcome(stella_err e) {
  if (e == STELLA_OK)
    return BREAKER_SUCCESS;
  if (e == STELLA_E_UNAVAILABLE || e == STELLA_E_NOMEM || e == STELLA_E_IO)
    return BREAKER_NEUTRAL; /* not judged now, or ours */
  return BREAKER_FAILURE;
}

/* The request itself on an admission: URL, timed fetch, classification,
 * parse. *took: the fetch's duration plus that of the requests the parse
 * made on the same admission (rekor_call_more adds to r->more_ms). */
static breaker_outcome rekor_exchange(stella_rekor *r, size_t bi,
                                      rekor_request *q, stella_err *result,
                                      int64_t *took, char *why,
                                      size_t whylen) {
  sbuf url = SBUF_INIT;
  why[0] = '\0';
  q->status = 0;
  q->location[0] = '\0';
  q->final = 0;
  sbuf_reset(&q->reply);
  *took = 0;
  if ((*result = sbuf_printf(&url, "%s%s", r->backends[bi].url, q->path))) {
    snprintf(why, whylen, "%s", stella_strerror(*result));
    return BREAKER_NEUTRAL;
  }
  stella_fetcher *f = rekor_fetcher(r);
  int64_t t0 = r->ms(r->ms_ctx);
  stella_err fe = f ? rekor_fetch(f, url.data, q, why, whylen)
                    : errbuf_fail(STELLA_E_NOMEM, why, whylen,
                                  "no HTTP client");
  *took = r->ms(r->ms_ctx) - t0;
  sbuf_free(&url);
  breaker_outcome oc = rekor_classify(fe, q->status, q->absent_ok, result);
  if (oc == BREAKER_SUCCESS && q->parse) {
    int64_t outer = r->more_ms;
    r->more_ms = 0;
    *result = q->parse(q->ctx, bi, q, why, whylen);
    oc = rekor_parse_outcome(*result);
    *took += r->more_ms;
    r->more_ms = outer;
  }
  if (*took < 0)
    *took = 0;
  return oc;
}

stella_err rekor_call(stella_rekor *r, size_t bi, rekor_request *q,
                      int *failed, char *why, size_t whylen) {
  const char *base = r->backends[bi].url;
  breaker_ticket tk;
  int64_t took = 0;
  *failed = 0;
  why[0] = '\0';
  q->status = 0;
  q->final = 0;
  if (!rekor_fetcher(r)) {
    snprintf(why, whylen, "no HTTP client: %s", stella_strerror(STELLA_E_NOMEM));
    return STELLA_E_NOMEM;
  }
  stella_err e = breaker_admit(r->s, base, &r->policy, rekor_now(r), &tk);
  if (e == STELLA_E_UNAVAILABLE)
    rekor_why_closed(r, base, why, whylen);
  else if (e)
    snprintf(why, whylen, "%s", store_errmsg(r->s));
  if (e)
    return e;
  breaker_outcome oc = rekor_exchange(r, bi, q, &e, &took, why, whylen);
  /* The answer matters more than the bookkeeping: a store failure here
   * shows up at the next admit. */
  breaker_report(r->s, base, &r->policy, &tk, rekor_now(r), oc, took,
                 oc == BREAKER_FAILURE ? why : NULL, NULL);
  *failed = oc == BREAKER_FAILURE;
  return e;
}

stella_err rekor_call_more(stella_rekor *r, size_t bi, rekor_request *q,
                           char *why, size_t whylen) {
  stella_err e;
  int64_t took = 0;
  rekor_exchange(r, bi, q, &e, &took, why, whylen);
  r->more_ms += took;
  return e;
}

static void rekor_route_note(sbuf *line, const char *url, const char *what,
                             const char *why) {
  if (line->len)
    sbuf_append_str(line, "; ");
  sbuf_printf(line, "%s %s (%.300s)", url, what, why);
}

static stella_err rekor_route_fail(stella_rekor *r, int tried,
                                   stella_err last, const sbuf *line) {
  if (!r->n_backends)
    return rekor_errf(r, STELLA_E_UNAVAILABLE, "no Rekor backend: the "
                      "signing config lists none valid now and config.json "
                      "names no mirror (run `stella trust sync`, or add "
                      "\"rekor\": {\"mirrors\": [URL]} to config.json)");
  return rekor_errf(r, tried ? last : STELLA_E_UNAVAILABLE,
                    "every backend failed: %.800s (%s)",
                    line->data ? line->data : "",
                    r->without_trust
                        ? "`stella trust reset-circuits --trusted-root FILE` "
                          "closes their breakers"
                        : "see `stella trust status --show-backends`");
}

/* Why backend i did not answer q, for the route line; NULL when it did. */
static const char *rekor_route_skip(const stella_rekor *r, size_t i,
                                    const rekor_request *q, stella_err e,
                                    int failed) {
  int more = i + 1 < r->n_backends;
  if (q->final)
    return NULL;
  if (failed)
    return "failed";
  if (e == STELLA_E_UNAVAILABLE)
    return q->status / 100 == 2 ? "answered, unproven" : "skipped";
  if (e == STELLA_E_NOT_FOUND && q->absent_ok && more)
    return "has no such entry";
  if (e == STELLA_E_UNSUPPORTED && more)
    return "does not offer it";
  return NULL;
}

stella_err rekor_route(stella_rekor *r, rekor_request *q, size_t start,
                       size_t *chosen, char *route, size_t routelen) {
  sbuf line = SBUF_INIT;
  char why[512];
  int tried = 0, failed = 0;
  stella_err e = STELLA_E_UNAVAILABLE, last = STELLA_E_UNAVAILABLE;
  if (route && *route)
    sbuf_append_str(&line, route);
  for (size_t i = start; i < r->n_backends; i++) {
    const char *url = r->backends[i].url;
    e = rekor_call(r, i, q, &failed, why, sizeof why);
    if (e == STELLA_E_IO) /* the store: no breaker can decide */
      break;
    const char *what = rekor_route_skip(r, i, q, e, failed);
    if (what) {
      char detail[600];
      snprintf(detail, sizeof detail, "%s: %.500s", what, why);
      ledger_record_op(r->s, rekor_now(r), "route", url, 0, detail);
      rekor_route_note(&line, url, what, why);
      tried += failed;
      last = failed ? e : last;
      continue;
    }
    ledger_record_op(r->s, rekor_now(r), "route", url, 1,
                     line.len ? line.data : (i ? "failover" : "first"));
    if (e && q->final)
      rekor_errf(r, e, "%s", why);
    *chosen = i;
    if (route)
      snprintf(route, routelen, "%s", line.len ? line.data : "");
    sbuf_free(&line);
    return e;
  }
  if (e == STELLA_E_IO)
    rekor_errf(r, e, "%s", why);
  else
    e = rekor_route_fail(r, tried, last, &line);
  if (route)
    snprintf(route, routelen, "%s", line.len ? line.data : "");
  sbuf_free(&line);
  return e;
}

/* ---- Resets ------------------------------------------------------------------ */

stella_err stella_rekor_reset_circuits(stella_rekor *r, const char *backend,
                                       size_t *n) {
  char who[256];
  size_t dummy = 0;
  if (!r)
    return STELLA_E_INVALID_ARG;
  r->errmsg[0] = '\0';
  if (!n)
    n = &dummy;
  *n = 0;
  long i = rekor_backend_find(r, backend);
  const char *url = i >= 0 ? r->backends[i].url : backend;
  snprintf(who, sizeof who, "%s via reset-circuits", r->actor);
  stella_err e = breaker_reset(r->s, url, who, rekor_now(r), n);
  if (e == STELLA_E_NOT_FOUND && i >= 0)
    return STELLA_OK; /* never used: closed already */
  if (e == STELLA_E_NOT_FOUND)
    return rekor_errf(r, e, "no backend %.200s%s (see `stella trust status "
                      "--show-backends` for the list)", backend,
                      strlen(backend) > 200 ? "..." : "");
  if (e)
    return rekor_errf(r, e, "%s", store_errmsg(r->s));
  return STELLA_OK;
}

/* ---- Entries ----------------------------------------------------------------- */

const rekor_log_key *rekor_key_by_hex(const stella_rekor *r,
                                      const char *log_id_hex) {
  for (size_t i = 0; i < r->kr.n; i++)
    if (strcmp(r->kr.keys[i].log_id_hex, log_id_hex) == 0)
      return &r->kr.keys[i];
  return NULL;
}

int rekor_outside_validity(const rekor_log_key *k, int64_t t) {
  if (!k || !t)
    return 0;
  /* As rekor_entry_verify: [valid_from, valid_until). */
  return (k->valid_from && t < k->valid_from) ||
         (k->valid_until && t >= k->valid_until);
}

int rekor_logged_elsewhere(const stella_rekor *r, const char *backend_url,
                           const char *log_id_hex) {
  int listed = 0;
  for (size_t i = 0; backend_url && *backend_url && i < r->kr.n; i++) {
    const rekor_log_key *k = &r->kr.keys[i];
    if (!k->base_url || !rekor_url_eq(k->base_url, backend_url))
      continue;
    if (strcmp(k->log_id_hex, log_id_hex) == 0)
      return 0;
    listed = 1;
  }
  return listed;
}

void rekor_entry_labels(const stella_rekor *r, stella_rekor_entry *out) {
  const rekor_log_key *k = rekor_key_by_hex(r, out->log_id);
  snprintf(out->key_name, sizeof out->key_name, "%s",
           k && k->name ? k->name : "");
  snprintf(out->log_url, sizeof out->log_url, "%s",
           k && k->base_url ? k->base_url : "");
  out->other_log = rekor_logged_elsewhere(r, out->backend, out->log_id);
  if (rekor_outside_validity(k, out->integrated_time))
    out->outside_validity = 1;
}

void rekor_public_entry(const stella_rekor *r, const rekor_entry *e,
                        const char *backend, const char *source,
                        stella_rekor_entry *out) {
  merkle_hash leaf;
  memset(out, 0, sizeof *out);
  if (e->uuid && *e->uuid) {
    snprintf(out->uuid, sizeof out->uuid, "%s", e->uuid);
  } else {
    merkle_leaf_hash(e->body, e->body_len, leaf);
    hex_encode(leaf, sizeof leaf, out->uuid);
  }
  out->log_index = e->log_index;
  out->integrated_time = e->has_integrated_time ? e->integrated_time : 0;
  hex_encode(e->log_id, sizeof e->log_id, out->log_id);
  snprintf(out->kind, sizeof out->kind, "%s", e->kind);
  snprintf(out->backend, sizeof out->backend, "%s", backend ? backend : "");
  snprintf(out->source, sizeof out->source, "%s", source);
  rekor_entry_labels(r, out);
}
