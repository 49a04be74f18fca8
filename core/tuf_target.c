/* tuf_target.c - target search through the delegation graph (spec 5.6.7,
 * pre-order depth-first, lazy) and verified artifact download (5.7). */
#include <stdlib.h>
#include <string.h>
#include "buf.h"
#include "fsutil.h"
#include "tuf_internal.h"

struct tuf_target {
  char *path;
  json_doc *doc; /* private copy of the target info: outlives refreshes */
  uint64_t length;
};

/* A role waiting to be visited: who delegated it, with which keys. */
typedef struct visit {
  const char *name;
  const char *parent;
  const json_val *keys;  /* delegator's keys */
  const json_val *drole; /* delegation entry: keyids, threshold, paths */
} visit;

static tuf_deleg *find_deleg(tuf_client *c, const char *name) {
  for (size_t i = 0; i < c->n_delegs; i++)
    if (strcmp(c->delegs[i].name, name) == 0)
      return &c->delegs[i];
  return NULL;
}

static stella_err add_deleg(tuf_client *c, const visit *v, tuf_meta *m,
                            tuf_deleg **out) {
  tuf_deleg *grown = realloc(c->delegs, (c->n_delegs + 1) * sizeof *grown);
  if (!grown)
    return tuf_fail(c, STELLA_E_NOMEM, "out of memory");
  c->delegs = grown;
  tuf_deleg *d = &grown[c->n_delegs];
  d->name = strdup(v->name);
  d->verified_by = strdup(v->parent);
  d->meta = *m;
  if (!d->name || !d->verified_by) {
    free(d->name);
    free(d->verified_by);
    return tuf_fail(c, STELLA_E_NOMEM, "out of memory");
  }
  c->n_delegs++;
  *out = d;
  return STELLA_OK;
}

/* A role already loaded through another delegator must still be signed by
 * the keys of the delegator we reached it through now. */
static stella_err reverify(tuf_client *c, tuf_deleg *d, const visit *v) {
  char err[TUF_ERRLEN];
  if (strcmp(d->verified_by, v->parent) == 0)
    return STELLA_OK;
  stella_err e = tuf_meta_verify(&d->meta, v->keys, v->drole, v->name, err,
                                 sizeof err);
  if (e != STELLA_OK)
    return tuf_fail(c, e, "%s (as delegated by %s)", err, v->parent);
  char *by = strdup(v->parent);
  if (!by)
    return tuf_fail(c, STELLA_E_NOMEM, "out of memory");
  free(d->verified_by);
  d->verified_by = by;
  return STELLA_OK;
}

static stella_err role_meta(tuf_client *c, const visit *v,
                            const tuf_meta **out) {
  if (!v->parent) {
    *out = &c->targets;
    return STELLA_OK;
  }
  tuf_deleg *d = find_deleg(c, v->name);
  stella_err e;
  if (d) {
    e = reverify(c, d, v);
  } else {
    tuf_meta m;
    memset(&m, 0, sizeof m);
    e = tuf_load_targets_role(c, v->name, v->keys, v->drole, &m);
    if (e == STELLA_OK) {
      e = add_deleg(c, v, &m, &d);
      if (e != STELLA_OK)
        tuf_meta_clear(&m);
    }
  }
  if (e == STELLA_OK)
    *out = &d->meta;
  return e;
}

static int was_visited(const char **visited, size_t n, const char *name) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(visited[i], name) == 0)
      return 1;
  return 0;
}

/* Pushes the children of role m that cover path, in reverse so the first
 * listed is visited first; a terminating match cuts off everything else. */
static stella_err push_children(tuf_client *c, const tuf_meta *m,
                                const char *parent, const char *path,
                                visit **stack, size_t *n, size_t *cap) {
  const json_val *dl = json_get(m->signed_part, "delegations");
  const json_val *keys = json_get(dl, "keys");
  const json_val *roles = json_get(dl, "roles");
  size_t nroles = json_len(roles), first = *n;
  for (size_t i = 0; i < nroles; i++) {
    const json_val *r = json_at(roles, i);
    const char *name = json_get_str(r, "name");
    int terminating = 0;
    if (!name || !tuf_role_covers(r, path))
      continue;
    if (array_grow((void **)stack, *n, cap, sizeof **stack, 16))
      return tuf_fail(c, STELLA_E_NOMEM, "out of memory");
    (*stack)[(*n)++] = (visit){name, parent, keys, r};
    json_bool(json_get(r, "terminating"), &terminating);
    if (terminating) { /* 5.6.7.2.1: nothing after this subtree */
      memmove(*stack, *stack + first, (*n - first) * sizeof **stack);
      *n -= first;
      first = 0;
      break;
    }
  }
  for (size_t i = first, j = *n; i + 1 < j; i++, j--) {
    visit t = (*stack)[i];
    (*stack)[i] = (*stack)[j - 1];
    (*stack)[j - 1] = t;
  }
  return STELLA_OK;
}

static stella_err make_target(tuf_client *c, const char *path,
                              const json_val *info, tuf_target **out) {
  sbuf canon = SBUF_INIT;
  int64_t len = -1;
  tuf_target *t = calloc(1, sizeof *t);
  stella_err e = t ? json_canonical(info, &canon) : STELLA_E_NOMEM;
  if (e == STELLA_OK)
    e = json_parse(canon.data, canon.len, &t->doc, NULL, 0);
  if (e == STELLA_OK && (!(t->path = strdup(path))))
    e = STELLA_E_NOMEM;
  sbuf_free(&canon);
  if (e == STELLA_OK &&
      (json_get_int(json_root(t->doc), "length", &len) != 0 || len < 0))
    e = tuf_fail(c, STELLA_E_FORMAT,
                 "target %s has no valid length in trusted metadata", path);
  if (e != STELLA_OK) {
    tuf_target_free(t);
    return e == STELLA_E_FORMAT ? e : tuf_fail(c, e, "target %s: %s", path,
                                              stella_strerror(e));
  }
  t->length = (uint64_t)len;
  *out = t;
  return STELLA_OK;
}

stella_err tuf_find_target(tuf_client *c, const char *targetpath,
                           tuf_target **out) {
  *out = NULL;
  if (!c || !c->refreshed)
    return c ? tuf_fail(c, STELLA_E_INVALID_ARG,
                        "find target before a successful refresh")
             : STELLA_E_INVALID_ARG;
  size_t max = (size_t)(c->limits.max_delegations > 0
                            ? c->limits.max_delegations : 32);
  visit *stack = malloc(sizeof *stack);
  const char **visited = calloc(max + 2, sizeof *visited);
  size_t n = 1, cap = 1, nvisited = 0;
  stella_err e = (stack && visited) ? STELLA_OK : STELLA_E_NOMEM;
  if (stack)
    stack[0] = (visit){"targets", NULL, NULL, NULL};
  while (e == STELLA_OK && n > 0 && nvisited <= max) {
    visit v = stack[--n];
    const tuf_meta *m = NULL;
    if (was_visited(visited, nvisited, v.name))
      continue; /* cycles and diamonds: each role once per search */
    e = role_meta(c, &v, &m);
    if (e != STELLA_OK)
      break;
    const json_val *info =
        json_get(json_get(m->signed_part, "targets"), targetpath);
    if (info) {
      e = make_target(c, targetpath, info, out);
      break;
    }
    visited[nvisited++] = v.name;
    e = push_children(c, m, v.name, targetpath, &stack, &n, &cap);
  }
  free(stack);
  free(visited);
  if (e == STELLA_E_NOMEM)
    return tuf_fail(c, e, "out of memory");
  if (e == STELLA_OK && !*out)
    e = tuf_fail(c, STELLA_E_NOT_FOUND,
                 "target %s is not listed by any trusted targets role",
                 targetpath);
  return e;
}

void tuf_target_free(tuf_target *t) {
  if (!t)
    return;
  free(t->path);
  json_doc_free(t->doc);
  free(t);
}

const char *tuf_target_path(const tuf_target *t) { return t ? t->path : ""; }

uint64_t tuf_target_length(const tuf_target *t) { return t ? t->length : 0; }

/* ---- download ---------------------------------------------------------- */

/* The hash that prefixes the basename: sha256 if listed, else the first. */
static const char *url_hash(const json_val *hashes) {
  const char *h = json_get_str(hashes, "sha256");
  return h ? h : json_str(json_val_at(hashes, 0), NULL);
}

static stella_err target_url(tuf_client *c, const tuf_target *t, sbuf *url) {
  const json_val *info = json_root(t->doc);
  int consistent = 0;
  json_bool(json_get(c->root.signed_part, "consistent_snapshot"), &consistent);
  const char *hash = url_hash(json_get(info, "hashes"));
  const char *slash = strrchr(t->path, '/');
  size_t dirlen = slash ? (size_t)(slash - t->path) + 1 : 0;
  stella_err e = sbuf_append_str(url, c->targets_url);
  if (e == STELLA_OK && consistent && hash) /* 5.7.3: <dirs>/<hash>.<base> */
    e = sbuf_printf(url, "%.*s%s.%s", (int)dirlen, t->path, hash,
                    t->path + dirlen);
  else if (e == STELLA_OK)
    e = sbuf_append_str(url, t->path);
  return e;
}

/* 1 if dest already holds exactly the verified target (artifact cache). */
static int cached_ok(const tuf_target *t, const char *dest, sbuf *content) {
  char err[TUF_ERRLEN];
  sbuf b = SBUF_INIT;
  int ok = fs_read_file(dest, t->length + 1, &b) == STELLA_OK &&
           tuf_check_length_hashes(json_root(t->doc), b.data, b.len, 1,
                                   t->path, err, sizeof err) == STELLA_OK;
  if (ok && content)
    ok = sbuf_append(content, b.data, b.len) == STELLA_OK;
  sbuf_free(&b);
  return ok;
}

static stella_err fetch_target(tuf_client *c, const tuf_target *t,
                               sbuf *body) {
  sbuf url = SBUF_INIT;
  char ferr[256] = "";
  long status = 0;
  stella_err e = target_url(c, t, &url);
  body->max = t->length ? t->length : 1;
  if (e == STELLA_OK)
    e = c->fetcher->get(c->fetcher, url.data, body->max, body, &status, ferr,
                        sizeof ferr);
  if (e == STELLA_E_TOO_LARGE)
    tuf_fail(c, STELLA_E_HASH, "target %s is longer than the %llu bytes "
             "trusted metadata gives: refused", t->path,
             (unsigned long long)t->length);
  else if (e != STELLA_OK)
    tuf_fail_fetch(c, e, url.data ? url.data : "?", ferr);
  sbuf_free(&url);
  return e == STELLA_E_TOO_LARGE ? STELLA_E_HASH : e;
}

stella_err tuf_download_target(tuf_client *c, const tuf_target *t,
                               const char *dest_file, sbuf *content) {
  char err[TUF_ERRLEN];
  if (!c || !t || !dest_file)
    return STELLA_E_INVALID_ARG;
  size_t cap = c->limits.target_file_max ? c->limits.target_file_max
                                         : (size_t)512 << 20;
  if (t->length > cap)
    return tuf_fail(c, STELLA_E_LIMIT, "target %s is %llu bytes, over the "
                    "%zu-byte cap: refused", t->path,
                    (unsigned long long)t->length, cap);
  if (cached_ok(t, dest_file, content))
    return STELLA_OK;
  sbuf body = SBUF_INIT;
  stella_err e = fetch_target(c, t, &body);
  if (e == STELLA_OK) {
    e = tuf_check_length_hashes(json_root(t->doc), body.data ? body.data : "",
                                body.len, 1, t->path, err, sizeof err);
    if (e != STELLA_OK)
      tuf_fail(c, e, "%s", err);
  }
  if (e == STELLA_OK) {
    e = fs_write_atomic(dest_file, body.data ? body.data : "", body.len, 0644);
    if (e != STELLA_OK)
      tuf_fail(c, e, "could not store target %s as %s: %s", t->path,
               dest_file, stella_strerror(e));
  }
  if (e == STELLA_OK && content)
    e = sbuf_append(content, body.data ? body.data : "", body.len);
  sbuf_free(&body);
  return e;
}
