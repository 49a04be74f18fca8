/* servicemap_signing.c - stella's signing_keys.json (format in
 * servicemap_signing.h). */
#include "servicemap_signing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"

static const char *const sms_statuses[] = {"active", "retired",
                                           "compromised"};

static stella_err sms_fail(char *errbuf, size_t errlen, const char *what) {
  if (errbuf)
    snprintf(errbuf, errlen, "signing_keys: %s", what);
  return STELLA_E_FORMAT;
}

static int sms_known_status(const char *s) {
  for (size_t i = 0; s && i < sizeof sms_statuses / sizeof *sms_statuses; i++)
    if (!strcmp(s, sms_statuses[i]))
      return 1;
  return 0;
}

/* One signingKeys entry into k (zeroed by the caller). */
static stella_err sms_key(stella_key *k, const json_val *v) {
  const char *name = json_get_str(v, "name");
  const char *status = json_get_str(v, "status");
  const char *raw = json_get_str(v, "rawBytes");
  if (!name || !raw || !sms_known_status(status) ||
      servicemap_valid_for(v, &k->valid_from, &k->valid_until))
    return STELLA_E_FORMAT;
  k->kind = strdup("signing");
  k->name = strdup(name);
  k->status = strdup(status);
  k->base_url = strdup("");
  k->log_id = strdup("");
  k->key_type = strdup(json_get_str(v, "keyDetails")
                           ? json_get_str(v, "keyDetails") : "");
  if (!k->kind || !k->name || !k->status || !k->base_url || !k->log_id ||
      !k->key_type)
    return STELLA_E_NOMEM;
  return servicemap_fingerprint(raw, &k->fingerprint_sha256);
}

static stella_err sms_add_keys(servicemap *sm, const json_val *list) {
  for (size_t i = 0; i < json_len(list); i++) {
    stella_key *k = servicemap_push_key(sm);
    stella_err e = k ? sms_key(k, json_at(list, i)) : STELLA_E_NOMEM;
    if (e)
      return e;
  }
  return STELLA_OK;
}

/* Names the log keys: after a successful parse only, so a failure leaves
 * sm as it was. */
static stella_err sms_name_logs(servicemap *sm, const json_val *list) {
  for (size_t i = 0; i < json_len(list); i++) {
    const json_val *v = json_at(list, i);
    const char *name = json_get_str(v, "name");
    const char *key_id = json_get_str(json_get(v, "logId"), "keyId");
    char *hex = NULL;
    /* An unreadable or empty keyId names nothing (signing keys have no
     * log ID: "" must not match them). */
    if (key_id && servicemap_b64_to_hex(key_id, &hex) == STELLA_E_NOMEM)
      return STELLA_E_NOMEM;
    for (size_t k = 0; hex && *hex && name && k < sm->n_keys; k++) {
      if (!sm->keys[k].log_id || strcmp(sm->keys[k].log_id, hex))
        continue;
      char *n = strdup(name);
      if (!n) {
        free(hex);
        return STELLA_E_NOMEM;
      }
      free(sm->keys[k].name);
      sm->keys[k].name = n;
    }
    free(hex);
  }
  return STELLA_OK;
}

stella_err servicemap_add_signing_keys(servicemap *sm, const char *buf,
                                       size_t len, char *errbuf,
                                       size_t errlen) {
  json_doc *doc = NULL;
  char why[256] = "";
  size_t n0 = sm->n_keys;
  stella_err e = json_parse(buf, len, &doc, why, sizeof why);
  if (e) {
    if (errbuf)
      snprintf(errbuf, errlen, "signing_keys: %s", why);
    return e;
  }
  const json_val *root = json_root(doc);
  const json_val *keys = json_get(root, "signingKeys");
  const json_val *names = json_get(root, "logKeyNames");
  if (json_type_of(root) != JV_OBJECT ||
      (keys && json_type_of(keys) != JV_ARRAY) ||
      (names && json_type_of(names) != JV_ARRAY))
    e = sms_fail(errbuf, errlen, "unexpected shape of the top level");
  if (!e && (e = sms_add_keys(sm, keys)) == STELLA_E_FORMAT)
    sms_fail(errbuf, errlen, "unexpected shape of signingKeys");
  if (!e)
    e = sms_name_logs(sm, names);
  json_doc_free(doc);
  if (e)
    servicemap_truncate(sm, sm->n_endpoints, n0);
  return e;
}
