/* rekor_config.c - the "rekor" object of the local config HOME/config.json:
 *   {"rekor": {"mirrors": [URL...], "timeout_ms": N, "connect_timeout_ms": N,
 *              "breaker": {"window_calls": N, ...}}}
 * Everything is optional. Unknown members of "rekor" and "breaker" are
 * refused (a typo must not silently keep a default), as are values out of
 * range; other top-level members belong to other parts of stella. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "json.h"
#include "rekor_client.h"
#include "url.h"

#define REKOR_CONFIG_FILE "config.json"
#define REKOR_CONFIG_MAX (1024 * 1024)

/* One integer setting: where it goes and its allowed range. */
typedef struct rekor_setting {
  const char *name;
  size_t offset;      /* in breaker_policy, or in stella_rekor (long) */
  int kind;           /* 0 int, 1 int64_t, 2 long */
  int64_t min, max;
} rekor_setting;

static const rekor_setting rekor_breaker_settings[] = {
  {"window_calls", offsetof(breaker_policy, window_calls), 0, 1, 64},
  {"min_calls", offsetof(breaker_policy, min_calls), 0, 1, 64},
  {"failure_rate_pct", offsetof(breaker_policy, failure_rate_pct), 0, 1, 100},
  {"consecutive_failures", offsetof(breaker_policy, consecutive_failures), 0,
   1, 1000},
  {"cooldown_s", offsetof(breaker_policy, cooldown_s), 1, 1, 7 * 86400},
  {"cooldown_max_s", offsetof(breaker_policy, cooldown_max_s), 1, 1,
   7 * 86400},
  {"half_open_probes", offsetof(breaker_policy, half_open_probes), 0, 1, 64},
  {"probe_timeout_s", offsetof(breaker_policy, probe_timeout_s), 1, 1, 86400},
  {"slow_call_ms", offsetof(breaker_policy, slow_call_ms), 1, 1, 3600000},
};

static const rekor_setting rekor_client_settings[] = {
  {"timeout_ms", offsetof(stella_rekor, timeout_ms), 2, 1, 600000},
  {"connect_timeout_ms", offsetof(stella_rekor, connect_timeout_ms), 2, 1,
   600000},
};

static const rekor_setting *rekor_setting_find(const rekor_setting *v,
                                               size_t n, const char *name) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(v[i].name, name) == 0)
      return &v[i];
  return NULL;
}

static stella_err rekor_setting_put(stella_rekor *r, const char *path,
                                    const rekor_setting *st, void *base,
                                    const json_val *v, const char *where) {
  int64_t x;
  if (json_int(v, &x) || x < st->min || x > st->max)
    return rekor_errf(r, STELLA_E_FORMAT, "%s: %s.%s must be an integer "
                      "from %lld to %lld (fix or remove it)", path, where,
                      st->name, (long long)st->min, (long long)st->max);
  char *p = (char *)base + st->offset;
  if (st->kind == 0)
    *(int *)p = (int)x;
  else if (st->kind == 1)
    *(int64_t *)p = x;
  else
    *(long *)p = (long)x;
  return STELLA_OK;
}

static stella_err rekor_config_breaker(stella_rekor *r, const char *path,
                                       const json_val *b) {
  size_t n = sizeof rekor_breaker_settings / sizeof *rekor_breaker_settings;
  if (json_type_of(b) != JV_OBJECT)
    return rekor_errf(r, STELLA_E_FORMAT, "%s: rekor.breaker must be an "
                      "object", path);
  for (size_t i = 0; i < json_len(b); i++) {
    const char *key = json_key_at(b, i, NULL);
    const rekor_setting *st = rekor_setting_find(rekor_breaker_settings, n,
                                                 key);
    if (!st)
      return rekor_errf(r, STELLA_E_FORMAT, "%s: unknown setting "
                        "rekor.breaker.%.100s (see docs/cli.md, \"Local "
                        "config\")", path, key);
    stella_err e = rekor_setting_put(r, path, st, &r->policy,
                                     json_val_at(b, i), "rekor.breaker");
    if (e)
      return e;
  }
  if (r->policy.min_calls > r->policy.window_calls ||
      r->policy.cooldown_max_s < r->policy.cooldown_s)
    return rekor_errf(r, STELLA_E_FORMAT, "%s: rekor.breaker: min_calls must "
                      "not exceed window_calls, nor cooldown_s "
                      "cooldown_max_s", path);
  return STELLA_OK;
}

static stella_err rekor_config_mirrors(stella_rekor *r, const char *path,
                                       const json_val *m) {
  if (json_type_of(m) != JV_ARRAY)
    return rekor_errf(r, STELLA_E_FORMAT, "%s: rekor.mirrors must be an "
                      "array of URLs", path);
  for (size_t i = 0; i < json_len(m); i++) {
    size_t len = 0;
    const char *url = json_str(json_at(m, i), &len);
    const char *why = !url ? "it is not a string"
                      : strlen(url) != len ? "it contains a NUL byte"
                                           : url_problem(url, URL_HTTP);
    if (why) /* the URL itself is not echoed: it may hold a password */
      return rekor_errf(r, STELLA_E_FORMAT, "%s: rekor.mirrors[%zu] is not "
                        "a usable http(s) URL: %s (fix or remove it)", path,
                        i, why);
    stella_err e = rekor_backend_add(r, url, 0, "config");
    if (e)
      return e;
  }
  return STELLA_OK;
}

static stella_err rekor_config_apply(stella_rekor *r, const char *path,
                                     const json_val *rk) {
  size_t n = sizeof rekor_client_settings / sizeof *rekor_client_settings;
  if (json_type_of(rk) != JV_OBJECT)
    return rekor_errf(r, STELLA_E_FORMAT, "%s: \"rekor\" must be an object",
                      path);
  for (size_t i = 0; i < json_len(rk); i++) {
    const char *key = json_key_at(rk, i, NULL);
    const json_val *v = json_val_at(rk, i);
    const rekor_setting *st = rekor_setting_find(rekor_client_settings, n,
                                                 key);
    stella_err e;
    if (strcmp(key, "mirrors") == 0)
      e = rekor_config_mirrors(r, path, v);
    else if (strcmp(key, "breaker") == 0)
      e = rekor_config_breaker(r, path, v);
    else if (st)
      e = rekor_setting_put(r, path, st, r, v, "rekor");
    else
      e = rekor_errf(r, STELLA_E_FORMAT, "%s: unknown setting rekor.%.100s "
                     "(see docs/cli.md, \"Local config\")", path, key);
    if (e)
      return e;
  }
  return STELLA_OK;
}

stella_err rekor_config_load(stella_rekor *r, const char *home) {
  sbuf b = SBUF_INIT;
  json_doc *doc = NULL;
  char why[256] = "";
  char *path = fs_join(home, REKOR_CONFIG_FILE);
  if (!path)
    return STELLA_E_NOMEM;
  stella_err e = fs_read_file(path, REKOR_CONFIG_MAX, &b);
  if (e == STELLA_E_NOT_FOUND) {
    e = STELLA_OK; /* no local config: the defaults */
  } else if (e) {
    fs_read_why(path, e, REKOR_CONFIG_MAX, why, sizeof why);
    rekor_errf(r, e, "%s", why);
  } else if ((e = json_parse(b.data, b.len, &doc, why, sizeof why))) {
    rekor_errf(r, e, "%s is not JSON: %s (fix it)", path, why);
  } else if (json_type_of(json_root(doc)) != JV_OBJECT) {
    e = rekor_errf(r, STELLA_E_FORMAT, "%s: must be a JSON object", path);
  } else {
    const json_val *rk = json_get(json_root(doc), "rekor");
    e = rk ? rekor_config_apply(r, path, rk) : STELLA_OK;
  }
  json_doc_free(doc);
  sbuf_free(&b);
  free(path);
  return e;
}
