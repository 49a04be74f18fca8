/* tuf_sim.c - tiny TUF repository simulator for tests (see tuf_sim.h). */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "buf.h"
#include "crypto.h"
#include "fsutil.h"
#include "json.h"
#include "mem_fetcher.h"
#include "tuf_sim.h"

int sim_new_key(tuf_sim *s) {
  uint8_t seed[32], pub[32], d[32];
  size_t publen = sizeof pub;
  char pubhex[65];
  memset(seed, 0, sizeof seed);
  seed[0] = (uint8_t)(s->n_keys + 1); /* deterministic keys */
  EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed,
                                             sizeof seed);
  if (!k || s->n_keys == SIM_MAX_KEYS ||
      EVP_PKEY_get_raw_public_key(k, pub, &publen) != 1)
    abort();
  hex_encode(pub, sizeof pub, pubhex);
  crypto_sha256(pubhex, 64, d); /* keyids are labels: any unique hex */
  hex_encode(d, sizeof d, s->keyids[s->n_keys]);
  s->keys[s->n_keys] = k;
  return s->n_keys++;
}

void sim_init(tuf_sim *s, stella_fetcher *f, const char *meta_url,
              const char *targets_url) {
  memset(s, 0, sizeof *s);
  s->fetcher = f;
  s->meta_url = meta_url;
  s->targets_url = targets_url;
  s->root_key = sim_new_key(s);
  s->timestamp_key = sim_new_key(s);
  s->snapshot_key = sim_new_key(s);
  s->targets_key = sim_new_key(s);
  s->prev_root_key = -1;
  s->root_version = s->timestamp_version = 1;
  s->snapshot_version = s->targets_version = 1;
  s->expires = "2030-01-01T00:00:00Z";
}

void sim_free(tuf_sim *s) {
  for (int i = 0; i < s->n_keys; i++)
    EVP_PKEY_free(s->keys[i]);
  s->n_keys = 0;
}

static void key_json(tuf_sim *s, sbuf *b, int k) {
  uint8_t pub[32];
  size_t publen = sizeof pub;
  char hex[65];
  EVP_PKEY_get_raw_public_key(s->keys[k], pub, &publen);
  hex_encode(pub, sizeof pub, hex);
  sbuf_printf(b, "\"%s\":{\"keytype\":\"ed25519\",\"scheme\":\"ed25519\","
              "\"keyval\":{\"public\":\"%s\"}}", s->keyids[k], hex);
}

static void sig_entry(tuf_sim *s, sbuf *out, int k, const sbuf *canon) {
  uint8_t sig[64];
  size_t siglen = sizeof sig;
  char hex[129];
  EVP_MD_CTX *ctx = EVP_MD_CTX_new();
  if (!ctx || EVP_DigestSignInit(ctx, NULL, NULL, NULL, s->keys[k]) != 1 ||
      EVP_DigestSign(ctx, sig, &siglen, (const uint8_t *)canon->data,
                     canon->len) != 1)
    abort();
  EVP_MD_CTX_free(ctx);
  hex_encode(sig, siglen, hex);
  sbuf_printf(out, "{\"keyid\":\"%s\",\"sig\":\"%s\"}", s->keyids[k], hex);
}

/* Wraps signed JSON text with signatures by keys k1 (and k2 if >= 0). */
static char *sign(tuf_sim *s, const char *role, const char *signed_json,
                  int k1, int k2, size_t *len) {
  json_doc *doc = NULL;
  sbuf canon = SBUF_INIT, out = SBUF_INIT;
  if (json_parse(signed_json, strlen(signed_json), &doc, NULL, 0) !=
          STELLA_OK ||
      json_canonical(json_root(doc), &canon) != STELLA_OK)
    abort();
  int tricks = strcmp(s->sig_role, role) == 0;
  sbuf_append_str(&out, "{\"signatures\":[");
  sig_entry(s, &out, k1, &canon);
  if (tricks && s->sig_dup) {
    sbuf_append_str(&out, ",");
    sig_entry(s, &out, k1, &canon);
  }
  if (k2 >= 0) {
    sbuf_append_str(&out, ",");
    sig_entry(s, &out, k2, &canon);
  }
  if (tricks && s->sig_extra[0])
    sbuf_printf(&out, ",%s", s->sig_extra);
  sbuf_printf(&out, "],\"signed\":%s}", signed_json);
  json_doc_free(doc);
  sbuf_free(&canon);
  return sbuf_take(&out, len);
}

static void serve(tuf_sim *s, const char *name, const char *data,
                  size_t len) {
  char url[512];
  snprintf(url, sizeof url, "%s%s", s->meta_url, name);
  mem_fetcher_add_bytes(s->fetcher, url, data, len);
}

char *sim_publish_root(tuf_sim *s, size_t *len) {
  static const char *const roles[] = {"root", "timestamp", "snapshot",
                                      "targets"};
  int keys[] = {s->root_key, s->timestamp_key, s->snapshot_key,
                s->targets_key};
  sbuf b = SBUF_INIT;
  char name[64];
  sbuf_printf(&b, "{\"_type\":\"root\",\"consistent_snapshot\":true,"
              "\"expires\":\"%s\",\"keys\":{", s->expires);
  for (int i = 0; i < 4; i++) {
    int dup = 0;
    for (int j = 0; j < i; j++)
      dup |= keys[j] == keys[i];
    if (dup)
      continue;
    if (i)
      sbuf_append_str(&b, ",");
    key_json(s, &b, keys[i]);
  }
  sbuf_append_str(&b, "},\"roles\":{");
  for (int i = 0; i < 4; i++)
    sbuf_printf(&b, "%s\"%s\":{\"keyids\":[\"%s\"],\"threshold\":1}",
                i ? "," : "", roles[i], s->keyids[keys[i]]);
  sbuf_printf(&b, "},\"spec_version\":\"1.0.31\",\"version\":%d}",
              s->root_version);
  int k2 = s->prev_root_key >= 0 && s->prev_root_key != s->root_key
               ? s->prev_root_key : -1;
  char *out = sign(s, "root", b.data, s->root_key, k2, len);
  snprintf(name, sizeof name, "%d.root.json", s->root_version);
  serve(s, name, out, *len);
  sbuf_free(&b);
  return out;
}

static void targets_body(tuf_sim *s, sbuf *b, const char *role) {
  int first = 1;
  sbuf_append_str(b, "\"targets\":{");
  for (int i = 0; i < s->n_targets; i++) {
    const sim_target *t = &s->targets[i];
    uint8_t d[32];
    char hex[65];
    if (strcmp(t->role, role) != 0)
      continue;
    crypto_sha256(t->data, strlen(t->data), d);
    hex_encode(d, sizeof d, hex);
    sbuf_printf(b, "%s\"%s\":{\"hashes\":{\"sha256\":\"%s\"},\"length\":%zu}",
                first ? "" : ",", t->path, hex, strlen(t->data));
    first = 0;
  }
  sbuf_append_str(b, "}");
}

static void delegations(tuf_sim *s, sbuf *b, const char *role) {
  int n = 0;
  for (int i = 0; i < s->n_roles; i++)
    n += strcmp(s->roles[i].parent, role) == 0;
  if (!n)
    return;
  sbuf_append_str(b, ",\"delegations\":{\"keys\":{");
  int first = 1;
  for (int i = 0; i < s->n_roles; i++) {
    if (strcmp(s->roles[i].parent, role) != 0)
      continue;
    if (!first)
      sbuf_append_str(b, ",");
    key_json(s, b, s->roles[i].key);
    first = 0;
  }
  sbuf_append_str(b, "},\"roles\":[");
  first = 1;
  for (int i = 0; i < s->n_roles; i++) {
    const sim_role *r = &s->roles[i];
    if (strcmp(r->parent, role) != 0)
      continue;
    sbuf_printf(b, "%s{\"keyids\":[\"%s\"],\"name\":\"%s\",\"paths\":%s,"
                "\"terminating\":%s,\"threshold\":1}", first ? "" : ",",
                s->keyids[r->key], r->name, r->paths,
                r->terminating ? "true" : "false");
    first = 0;
  }
  sbuf_append_str(b, "]}");
}

static void publish_targets_role(tuf_sim *s, const char *role, int key,
                                 int version) {
  sbuf b = SBUF_INIT;
  size_t len;
  char name[128];
  sbuf_printf(&b, "{\"_type\":\"targets\",\"expires\":\"%s\",", s->expires);
  targets_body(s, &b, role);
  delegations(s, &b, role);
  sbuf_printf(&b, ",\"spec_version\":\"1.0.31\",\"version\":%d}", version);
  char *out = sign(s, role, b.data, key, -1, &len);
  sbuf enc = SBUF_INIT; /* role names are pct-encoded in URLs */
  fs_pct_encode(role, strlen(role), &enc);
  snprintf(name, sizeof name, "%d.%s.json", version, enc.data);
  sbuf_free(&enc);
  serve(s, name, out, len);
  free(out);
  sbuf_free(&b);
}

static void publish_artifacts(tuf_sim *s) {
  for (int i = 0; i < s->n_targets; i++) {
    const sim_target *t = &s->targets[i];
    uint8_t d[32];
    char hex[65], url[512];
    crypto_sha256(t->data, strlen(t->data), d);
    hex_encode(d, sizeof d, hex);
    const char *slash = strrchr(t->path, '/');
    int dirlen = slash ? (int)(slash - t->path) + 1 : 0;
    snprintf(url, sizeof url, "%s%.*s%s.%s", s->targets_url, dirlen, t->path,
             hex, t->path + dirlen);
    mem_fetcher_add_bytes(s->fetcher, url, t->data, strlen(t->data));
  }
}

void sim_publish(tuf_sim *s) {
  sbuf b = SBUF_INIT;
  size_t len;
  char name[64];
  for (int i = 0; i < s->n_roles; i++)
    if (!s->roles[i].no_publish)
      publish_targets_role(s, s->roles[i].name, s->roles[i].key,
                           s->roles[i].version);
  publish_targets_role(s, "targets", s->targets_key, s->targets_version);
  sbuf_printf(&b, "{\"_type\":\"snapshot\",\"expires\":\"%s\",\"meta\":{"
              "\"targets.json\":{\"version\":%d}", s->expires,
              s->targets_version);
  for (int i = 0; i < s->n_roles; i++)
    if (s->omit_from_snapshot != i + 1 && !s->roles[i].no_publish)
      sbuf_printf(&b, ",\"%s.json\":{\"version\":%d}", s->roles[i].name,
                  s->roles[i].version);
  sbuf_printf(&b, "},\"spec_version\":\"1.0.31\",\"version\":%d}",
              s->snapshot_version);
  char *out = sign(s, "snapshot", b.data, s->snapshot_key, -1, &len);
  snprintf(name, sizeof name, "%d.snapshot.json", s->snapshot_version);
  serve(s, name, out, len);
  free(out);
  sbuf_reset(&b);
  sbuf_printf(&b, "{\"_type\":\"timestamp\",\"expires\":\"%s\",\"meta\":{"
              "\"snapshot.json\":{\"version\":%d}},\"spec_version\":"
              "\"1.0.31\",\"version\":%d}",
              s->timestamp_expires ? s->timestamp_expires : s->expires,
              s->snapshot_version, s->timestamp_version);
  out = sign(s, "timestamp", b.data, s->timestamp_key, -1, &len);
  serve(s, "timestamp.json", out, len);
  free(out);
  sbuf_free(&b);
  publish_artifacts(s);
}

int sim_add_role(tuf_sim *s, const char *parent, const char *name,
                 const char *paths_json, int terminating) {
  sim_role *r = &s->roles[s->n_roles];
  if (s->n_roles == SIM_MAX_ROLES)
    abort();
  memset(r, 0, sizeof *r);
  snprintf(r->name, sizeof r->name, "%s", name);
  snprintf(r->parent, sizeof r->parent, "%s", parent);
  snprintf(r->paths, sizeof r->paths, "%s", paths_json);
  r->terminating = terminating;
  r->key = sim_new_key(s);
  r->version = 1;
  return s->n_roles++;
}

void sim_add_target(tuf_sim *s, const char *role, const char *path,
                    const char *data) {
  sim_target *t = &s->targets[s->n_targets];
  if (s->n_targets == SIM_MAX_TARGETS)
    abort();
  snprintf(t->role, sizeof t->role, "%s", role);
  snprintf(t->path, sizeof t->path, "%s", path);
  snprintf(t->data, sizeof t->data, "%s", data);
  s->n_targets++;
}
