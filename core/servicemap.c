/* servicemap.c - Sigstore trusted_root.json and signing_config parsing. */
#include "servicemap.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "crypto.h"
#include "json.h"

/* A signing_config v0.2 list and the endpoint kind it holds. */
static const struct {
  const char *member;
  const char *kind;
} sm_v02_lists[] = {
  {"rekorTlogUrls", "rekor"},
  {"caUrls", "ca"},
  {"oidcUrls", "oidc"},
  {"tsaUrls", "tsa"},
};

/* A trusted_root.json key list and the key kind it holds. */
static const struct {
  const char *member;
  const char *kind;
} sm_key_lists[] = {
  {"tlogs", "tlog"},
  {"ctlogs", "ctlog"},
};

static char *sm_strdup(const char *s) { return strdup(s ? s : ""); }

static void sm_endpoint_free(stella_endpoint *ep) {
  free(ep->url);
  free(ep->kind);
  free(ep->operator_name);
}

static void sm_key_free(stella_key *k) {
  free(k->kind);
  free(k->name);
  free(k->base_url);
  free(k->log_id);
  free(k->key_type);
  free(k->fingerprint_sha256);
  free(k->status);
}

void servicemap_free_endpoints(stella_endpoint *eps, size_t n) {
  for (size_t i = 0; eps && i < n; i++)
    sm_endpoint_free(&eps[i]);
  free(eps);
}

void servicemap_free_keys(stella_key *keys, size_t n) {
  for (size_t i = 0; keys && i < n; i++)
    sm_key_free(&keys[i]);
  free(keys);
}

void servicemap_clear(servicemap *sm) {
  if (!sm)
    return;
  servicemap_free_endpoints(sm->endpoints, sm->n_endpoints);
  servicemap_free_keys(sm->keys, sm->n_keys);
  memset(sm, 0, sizeof *sm);
}

void servicemap_truncate(servicemap *sm, size_t n_endpoints, size_t n_keys) {
  while (sm->n_endpoints > n_endpoints)
    sm_endpoint_free(&sm->endpoints[--sm->n_endpoints]);
  while (sm->n_keys > n_keys)
    sm_key_free(&sm->keys[--sm->n_keys]);
}

static stella_err sm_fail(stella_err e, char *errbuf, size_t errlen,
                          const char *what, const char *detail) {
  if (errbuf)
    snprintf(errbuf, errlen, "%s%s%s", what, detail ? ": " : "",
             detail ? detail : "");
  return e;
}

stella_err servicemap_valid_for(const json_val *obj, int64_t *from,
                                int64_t *until) {
  const json_val *vf = json_get(obj, "validFor");
  const char *start = json_get_str(vf, "start");
  const char *end = json_get_str(vf, "end");
  *from = *until = 0;
  if (vf && json_type_of(vf) != JV_OBJECT)
    return STELLA_E_FORMAT;
  /* Present but not a string is malformed, not open-ended. */
  if ((json_get(vf, "start") && !start) || (json_get(vf, "end") && !end))
    return STELLA_E_FORMAT;
  if (start && stella_time_parse(start, from))
    return STELLA_E_FORMAT;
  if (end && stella_time_parse(end, until))
    return STELLA_E_FORMAT;
  return STELLA_OK;
}

static stella_err sm_push_endpoint(servicemap *sm, const char *url,
                                   const char *kind, int api_version,
                                   const char *op, int64_t from,
                                   int64_t until) {
  if (array_grow((void **)&sm->endpoints, sm->n_endpoints, &sm->cap_endpoints,
                 sizeof *sm->endpoints, 8))
    return STELLA_E_NOMEM;
  stella_endpoint *ep = &sm->endpoints[sm->n_endpoints];
  memset(ep, 0, sizeof *ep);
  ep->url = sm_strdup(url);
  ep->kind = sm_strdup(kind);
  ep->operator_name = sm_strdup(op);
  ep->api_version = api_version;
  ep->valid_from = from;
  ep->valid_until = until;
  sm->n_endpoints++;
  if (!ep->url || !ep->kind || !ep->operator_name)
    return STELLA_E_NOMEM;
  return STELLA_OK;
}

/* One v0.2 service entry: {url, majorApiVersion, operator, validFor}. */
static stella_err sm_add_v02_service(servicemap *sm, const json_val *svc,
                                     const char *kind) {
  const char *url = json_get_str(svc, "url");
  int64_t api = 0, from, until;
  if (!url || servicemap_valid_for(svc, &from, &until))
    return STELLA_E_FORMAT;
  if (json_get(svc, "majorApiVersion") &&
      (json_get_int(svc, "majorApiVersion", &api) || api < 0 ||
       api > 1000000))
    return STELLA_E_FORMAT;
  return sm_push_endpoint(sm, url, kind, (int)api,
                          json_get_str(svc, "operator"), from, until);
}

static stella_err sm_add_v02(servicemap *sm, const json_val *root,
                             const char **bad) {
  for (size_t l = 0; l < sizeof sm_v02_lists / sizeof sm_v02_lists[0]; l++) {
    const json_val *list = json_get(root, sm_v02_lists[l].member);
    *bad = sm_v02_lists[l].member;
    if (list && json_type_of(list) != JV_ARRAY)
      return STELLA_E_FORMAT;
    for (size_t i = 0; i < json_len(list); i++) {
      stella_err e = sm_add_v02_service(sm, json_at(list, i),
                                        sm_v02_lists[l].kind);
      if (e)
        return e;
    }
  }
  return STELLA_OK;
}

/* v0.1: caUrl and oidcUrl are strings, tlogUrls and tsaUrls string lists. */
static stella_err sm_add_v01_list(servicemap *sm, const json_val *list,
                                  const char *kind) {
  if (list && json_type_of(list) != JV_ARRAY)
    return STELLA_E_FORMAT;
  for (size_t i = 0; i < json_len(list); i++) {
    const char *url = json_str(json_at(list, i), NULL);
    if (!url)
      return STELLA_E_FORMAT;
    stella_err e = sm_push_endpoint(sm, url, kind, 0, "", 0, 0);
    if (e)
      return e;
  }
  return STELLA_OK;
}

static stella_err sm_add_v01(servicemap *sm, const json_val *root,
                             const char **bad) {
  static const struct { const char *member, *kind; } singles[] = {
    {"caUrl", "ca"}, {"oidcUrl", "oidc"},
  };
  *bad = "tlogUrls";
  stella_err e = sm_add_v01_list(sm, json_get(root, "tlogUrls"), "rekor");
  for (size_t i = 0; !e && i < sizeof singles / sizeof singles[0]; i++) {
    const json_val *v = json_get(root, singles[i].member);
    *bad = singles[i].member;
    if (v && json_type_of(v) != JV_STRING)
      return STELLA_E_FORMAT;
    if (v)
      e = sm_push_endpoint(sm, json_str(v, NULL), singles[i].kind, 0, "", 0,
                           0);
  }
  if (!e) {
    *bad = "tsaUrls";
    e = sm_add_v01_list(sm, json_get(root, "tsaUrls"), "tsa");
  }
  return e;
}

stella_key *servicemap_push_key(servicemap *sm) {
  if (array_grow((void **)&sm->keys, sm->n_keys, &sm->cap_keys,
                 sizeof *sm->keys, 8))
    return NULL;
  stella_key *k = &sm->keys[sm->n_keys++];
  memset(k, 0, sizeof *k);
  return k;
}

/* Parses buf into a doc whose top value is an object. */
static stella_err sm_parse_object(const char *buf, size_t len, json_doc **doc,
                                  const char *what, char *errbuf,
                                  size_t errlen) {
  char why[256] = "";
  stella_err e = json_parse(buf, len, doc, why, sizeof why);
  if (e)
    return sm_fail(e, errbuf, errlen, what, why);
  if (json_type_of(json_root(*doc)) != JV_OBJECT) {
    json_doc_free(*doc);
    *doc = NULL;
    return sm_fail(STELLA_E_FORMAT, errbuf, errlen, what,
                   "top level is not an object");
  }
  return STELLA_OK;
}

/* Adds what one kind of service-map file holds from its parsed top-level
 * object; *bad names the member whose shape was wrong. */
typedef stella_err (*sm_adder)(servicemap *sm, const json_val *root,
                               const char **bad);

/* Parses buf and runs add on it; on failure sm is left as it was and
 * errbuf says "WHAT: ..." . */
static stella_err sm_add_file(servicemap *sm, const char *buf, size_t len,
                              const char *what, sm_adder add, char *errbuf,
                              size_t errlen) {
  json_doc *doc;
  size_t n0 = sm->n_endpoints, k0 = sm->n_keys;
  const char *bad = "";
  stella_err e = sm_parse_object(buf, len, &doc, what, errbuf, errlen);
  if (e)
    return e;
  e = add(sm, json_root(doc), &bad);
  json_doc_free(doc);
  if (e) {
    servicemap_truncate(sm, n0, k0);
    if (e == STELLA_E_FORMAT && errbuf)
      snprintf(errbuf, errlen, "%s: unexpected shape of: %s", what, bad);
  }
  return e;
}

static stella_err sm_add_config(servicemap *sm, const json_val *root,
                                const char **bad) {
  const char *media = json_get_str(root, "mediaType");
  int v02 = json_get(root, "rekorTlogUrls") || json_get(root, "caUrls") ||
            (media && strstr(media, "signingconfig.v0.2"));
  return v02 ? sm_add_v02(sm, root, bad) : sm_add_v01(sm, root, bad);
}

stella_err servicemap_add_signing_config(servicemap *sm, const char *buf,
                                         size_t len, char *errbuf,
                                         size_t errlen) {
  return sm_add_file(sm, buf, len, "signing_config", sm_add_config, errbuf,
                     errlen);
}

stella_err servicemap_b64_to_hex(const char *b64, char **hex) {
  uint8_t *raw;
  size_t n;
  if (base64_decode(b64, strlen(b64), &raw, &n))
    return STELLA_E_FORMAT;
  *hex = malloc(2 * n + 1);
  if (*hex)
    hex_encode(raw, n, *hex);
  free(raw);
  return *hex ? STELLA_OK : STELLA_E_NOMEM;
}

stella_err servicemap_fingerprint(const char *b64, char **hex) {
  uint8_t *der, digest[CRYPTO_SHA256_LEN];
  size_t n;
  if (base64_decode(b64, strlen(b64), &der, &n))
    return STELLA_E_FORMAT;
  if (n == 0) {
    free(der);
    return STELLA_E_FORMAT;
  }
  crypto_sha256(der, n, digest);
  free(der);
  *hex = malloc(2 * CRYPTO_SHA256_LEN + 1);
  if (!*hex)
    return STELLA_E_NOMEM;
  hex_encode(digest, CRYPTO_SHA256_LEN, *hex);
  return STELLA_OK;
}

/* One tlog/ctlog entry: {baseUrl, logId{keyId}, publicKey{rawBytes,
 * keyDetails, validFor}}. */
static stella_err sm_add_log_key(servicemap *sm, const json_val *log,
                                 const char *kind) {
  const json_val *pk = json_get(log, "publicKey");
  const char *raw = json_get_str(pk, "rawBytes");
  const char *key_id = json_get_str(json_get(log, "logId"), "keyId");
  int64_t from, until;
  if (!raw || servicemap_valid_for(pk, &from, &until))
    return STELLA_E_FORMAT;
  stella_key *k = servicemap_push_key(sm);
  if (!k)
    return STELLA_E_NOMEM;
  k->valid_from = from;
  k->valid_until = until;
  k->kind = sm_strdup(kind);
  k->name = sm_strdup("");
  k->status = sm_strdup("");
  k->base_url = sm_strdup(json_get_str(log, "baseUrl"));
  k->key_type = sm_strdup(json_get_str(pk, "keyDetails"));
  if (!k->kind || !k->name || !k->status || !k->base_url || !k->key_type)
    return STELLA_E_NOMEM;
  stella_err e = key_id ? servicemap_b64_to_hex(key_id, &k->log_id)
                        : ((k->log_id = sm_strdup("")) ? STELLA_OK
                                                       : STELLA_E_NOMEM);
  if (!e)
    e = servicemap_fingerprint(raw, &k->fingerprint_sha256);
  return e;
}

static stella_err sm_add_log_lists(servicemap *sm, const json_val *root,
                                   const char **bad) {
  stella_err e = STELLA_OK;
  for (size_t l = 0; !e && l < sizeof sm_key_lists / sizeof sm_key_lists[0];
       l++) {
    const json_val *list = json_get(root, sm_key_lists[l].member);
    *bad = sm_key_lists[l].member;
    if (list && json_type_of(list) != JV_ARRAY)
      e = STELLA_E_FORMAT;
    for (size_t i = 0; !e && i < json_len(list); i++)
      e = sm_add_log_key(sm, json_at(list, i), sm_key_lists[l].kind);
  }
  return e;
}

stella_err servicemap_add_trusted_root(servicemap *sm, const char *buf,
                                       size_t len, char *errbuf,
                                       size_t errlen) {
  return sm_add_file(sm, buf, len, "trusted_root", sm_add_log_lists, errbuf,
                     errlen);
}
