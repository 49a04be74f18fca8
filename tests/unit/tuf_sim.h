/* tuf_sim.h - a tiny TUF repository simulator for tests: ed25519 keys made
 * with OpenSSL, metadata signed over our canonical JSON, everything served
 * from a mem_fetcher in consistent-snapshot layout. Each role has one key
 * and threshold 1 unless a test edits the fields. */
#ifndef STELLA_TESTS_TUF_SIM_H
#define STELLA_TESTS_TUF_SIM_H

#include <stddef.h>
#include "fetch.h"

#define SIM_MAX_KEYS 32
#define SIM_MAX_ROLES 16
#define SIM_MAX_TARGETS 16

typedef struct sim_role {
  char name[64];
  char parent[64];       /* delegator ("targets" or another role) */
  char paths[256];       /* JSON array text, e.g. ["*"] */
  int terminating;
  int key;               /* signing key index */
  int version;
  int no_publish;        /* only listed by its parent (diamond tests) */
} sim_role;

typedef struct sim_target {
  char role[64];
  char path[128];
  char data[64];
} sim_target;

typedef struct tuf_sim {
  stella_fetcher *fetcher; /* not owned */
  const char *meta_url;    /* e.g. FX_META_URL */
  const char *targets_url;
  void *keys[SIM_MAX_KEYS]; /* EVP_PKEY* */
  char keyids[SIM_MAX_KEYS][65];
  int n_keys;
  /* top-level: key index per role, versions */
  int root_key, timestamp_key, snapshot_key, targets_key;
  int prev_root_key;        /* also signs the next root (-1: none) */
  int root_version, timestamp_version, snapshot_version, targets_version;
  const char *expires;      /* RFC 3339, for every role */
  const char *timestamp_expires; /* NULL: expires */
  /* signature tricks for role sig_role on every publish: list its
   * signature twice, and/or append raw entries (text after a comma) */
  char sig_role[64];
  int sig_dup;
  char sig_extra[512];
  sim_role roles[SIM_MAX_ROLES];
  int n_roles;
  sim_target targets[SIM_MAX_TARGETS];
  int n_targets;
  int omit_from_snapshot;   /* index+1 of a delegated role left out */
} tuf_sim;

/* A repository with root v1 and keys for the four roles. */
void sim_init(tuf_sim *s, stella_fetcher *f, const char *meta_url,
              const char *targets_url);
void sim_free(tuf_sim *s);
int sim_new_key(tuf_sim *s);

/* Serves <root_version>.root.json; returns its bytes (malloc'd). */
char *sim_publish_root(tuf_sim *s, size_t *len);
/* Serves delegated roles, targets, snapshot, timestamp and artifacts. */
void sim_publish(tuf_sim *s);

/* Adds a delegated role (key made for it); returns its index. */
int sim_add_role(tuf_sim *s, const char *parent, const char *name,
                 const char *paths_json, int terminating);
void sim_add_target(tuf_sim *s, const char *role, const char *path,
                    const char *data);

#endif
