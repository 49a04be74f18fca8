/* mem_fetcher.c - in-memory stella_fetcher for tests (see mem_fetcher.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fsutil.h"
#include "mem_fetcher.h"

typedef struct mem_entry {
  char *url;     /* exact URL, or prefix for a folder */
  char *data;    /* bytes (NULL for files/status/folders) */
  size_t len;
  char *path;    /* file or folder */
  long status;   /* 200 unless set */
  int is_dir;
  int post;      /* a POST reply (separate from GET replies) */
  stella_err error; /* a transport failure instead of a reply */
  char *location;   /* POST: Location header, NULL if none */
} mem_entry;

typedef struct mem_state {
  mem_entry *entries;
  size_t n;
  char **log;
  char **bodies;    /* per logged request: NULL for GET */
  size_t *body_lens;
  size_t n_log;
  void (*hook)(void *ctx, const char *url);
  void *hook_ctx;
} mem_state;

static mem_state *state(const stella_fetcher *f) { return f->ctx; }

static void entry_free(mem_entry *e) {
  free(e->url);
  free(e->data);
  free(e->path);
  free(e->location);
}

static void remove_entry(stella_fetcher *f, const char *url, int post) {
  mem_state *s = state(f);
  for (size_t i = 0; i < s->n; i++) {
    if (!s->entries[i].is_dir && s->entries[i].post == post &&
        strcmp(s->entries[i].url, url) == 0) {
      entry_free(&s->entries[i]);
      s->entries[i] = s->entries[--s->n];
      return;
    }
  }
}

void mem_fetcher_remove(stella_fetcher *f, const char *url) {
  remove_entry(f, url, 0);
}

static mem_entry *add_entry_m(stella_fetcher *f, const char *url, int is_dir,
                              int post) {
  mem_state *s = state(f);
  if (!is_dir)
    remove_entry(f, url, post);
  mem_entry *g = realloc(s->entries, (s->n + 1) * sizeof *g);
  if (!g)
    abort(); /* test helper: out of memory ends the test */
  s->entries = g;
  mem_entry *e = &g[s->n++];
  memset(e, 0, sizeof *e);
  e->url = strdup(url);
  e->status = 200;
  e->is_dir = is_dir;
  e->post = post;
  return e;
}

static mem_entry *add_entry(stella_fetcher *f, const char *url, int is_dir) {
  return add_entry_m(f, url, is_dir, 0);
}

void mem_fetcher_add_bytes(stella_fetcher *f, const char *url,
                           const void *data, size_t len) {
  mem_entry *e = add_entry(f, url, 0);
  e->data = malloc(len + 1);
  memcpy(e->data, data, len);
  e->len = len;
}

void mem_fetcher_add_file(stella_fetcher *f, const char *url,
                          const char *path) {
  add_entry(f, url, 0)->path = strdup(path);
}

void mem_fetcher_add_status(stella_fetcher *f, const char *url, long status) {
  add_entry(f, url, 0)->status = status;
}

void mem_fetcher_add_error(stella_fetcher *f, const char *url,
                           stella_err e) {
  add_entry(f, url, 0)->error = e;
  add_entry_m(f, url, 0, 1)->error = e;
}

void mem_fetcher_add_post(stella_fetcher *f, const char *url, long status,
                          const void *data, size_t len,
                          const char *location) {
  mem_entry *e = add_entry_m(f, url, 0, 1);
  e->status = status;
  e->data = malloc(len + 1);
  memcpy(e->data, data, len);
  e->len = len;
  e->location = location ? strdup(location) : NULL;
}

void mem_fetcher_add_dir(stella_fetcher *f, const char *prefix,
                         const char *dir) {
  add_entry(f, prefix, 1)->path = strdup(dir);
}

static stella_err reply_status(long status, long *http_status, char *errbuf,
                               size_t errlen, const char *url) {
  *http_status = status;
  if (errbuf && errlen)
    snprintf(errbuf, errlen, "HTTP %ld for %s", status, url);
  return (status == 404 || status == 403) ? STELLA_E_NOT_FOUND
                                          : STELLA_E_HTTP;
}

static stella_err reply_file(const char *path, size_t max, sbuf *body,
                             long *http_status, char *errbuf, size_t errlen,
                             const char *url) {
  sbuf tmp = SBUF_INIT;
  if (fs_read_file(path, 0, &tmp) != STELLA_OK) {
    sbuf_free(&tmp);
    return reply_status(404, http_status, errbuf, errlen, url);
  }
  stella_err e = (max && tmp.len > max) ? STELLA_E_TOO_LARGE
                                        : sbuf_append(body, tmp.data, tmp.len);
  sbuf_free(&tmp);
  *http_status = 200;
  return e;
}

static const mem_entry *lookup(mem_state *s, const char *url, int post) {
  const mem_entry *dir = NULL;
  for (size_t i = 0; i < s->n; i++) {
    const mem_entry *e = &s->entries[i];
    if (e->post != post)
      continue;
    if (!e->is_dir && strcmp(e->url, url) == 0)
      return e;
    if (e->is_dir && strncmp(e->url, url, strlen(e->url)) == 0)
      dir = e;
  }
  return dir;
}

static void *grow(void *p, size_t n, size_t size) {
  void *g = realloc(p, n * size);
  if (!g)
    abort(); /* test helper: out of memory ends the test */
  return g;
}

void mem_fetcher_on_request(stella_fetcher *f,
                            void (*hook)(void *ctx, const char *url),
                            void *ctx) {
  state(f)->hook = hook;
  state(f)->hook_ctx = ctx;
}

static void log_request(mem_state *s, const char *url, const void *body,
                        size_t len) {
  if (s->hook)
    s->hook(s->hook_ctx, url);
  s->log = grow(s->log, s->n_log + 1, sizeof *s->log);
  s->bodies = grow(s->bodies, s->n_log + 1, sizeof *s->bodies);
  s->body_lens = grow(s->body_lens, s->n_log + 1, sizeof *s->body_lens);
  s->log[s->n_log] = strdup(url);
  s->bodies[s->n_log] = NULL;
  s->body_lens[s->n_log] = len;
  if (body) {
    s->bodies[s->n_log] = malloc(len + 1);
    if (len)
      memcpy(s->bodies[s->n_log], body, len);
    s->bodies[s->n_log][len] = '\0';
  }
  s->n_log++;
}

static stella_err reply_error(stella_err e, long *http_status, char *errbuf,
                              size_t errlen, const char *url) {
  *http_status = 0;
  if (errbuf && errlen)
    snprintf(errbuf, errlen, "%s for %s", stella_strerror(e), url);
  return e;
}

static stella_err mem_get(stella_fetcher *f, const char *url, size_t max,
                          sbuf *body, long *http_status, char *errbuf,
                          size_t errlen) {
  mem_state *s = state(f);
  log_request(s, url, NULL, 0);
  const mem_entry *e = lookup(s, url, 0);
  if (!e)
    return reply_status(404, http_status, errbuf, errlen, url);
  if (e->error)
    return reply_error(e->error, http_status, errbuf, errlen, url);
  if (e->status != 200)
    return reply_status(e->status, http_status, errbuf, errlen, url);
  if (e->is_dir) {
    char *path = fs_join(e->path, url + strlen(e->url));
    stella_err r = reply_file(path, max, body, http_status, errbuf, errlen,
                              url);
    free(path);
    return r;
  }
  if (e->path)
    return reply_file(e->path, max, body, http_status, errbuf, errlen, url);
  *http_status = 200;
  if (max && e->len > max)
    return STELLA_E_TOO_LARGE;
  return sbuf_append(body, e->data, e->len);
}

static stella_err mem_post(stella_fetcher *f, fetch_post *req, sbuf *reply,
                           long *http_status, char *errbuf, size_t errlen) {
  mem_state *s = state(f);
  long dummy;
  if (!http_status)
    http_status = &dummy;
  req->location[0] = '\0';
  log_request(s, req->url, req->body ? req->body : "", req->len);
  const mem_entry *e = lookup(s, req->url, 1);
  if (!e)
    return reply_status(404, http_status, errbuf, errlen, req->url);
  if (e->error)
    return reply_error(e->error, http_status, errbuf, errlen, req->url);
  if (e->location)
    snprintf(req->location, sizeof req->location, "%s", e->location);
  if (req->max_bytes && e->len > req->max_bytes)
    return STELLA_E_TOO_LARGE;
  stella_err r = sbuf_append(reply, e->data, e->len);
  if (r)
    return r;
  if (e->status >= 200 && e->status < 300) {
    *http_status = e->status;
    return STELLA_OK;
  }
  return reply_status(e->status, http_status, errbuf, errlen, req->url);
}

size_t mem_fetcher_count(const stella_fetcher *f) { return state(f)->n_log; }

const char *mem_fetcher_request(const stella_fetcher *f, size_t i) {
  return i < state(f)->n_log ? state(f)->log[i] : NULL;
}

size_t mem_fetcher_count_url(const stella_fetcher *f, const char *url) {
  size_t n = 0;
  for (size_t i = 0; i < state(f)->n_log; i++)
    n += strcmp(state(f)->log[i], url) == 0;
  return n;
}

const char *mem_fetcher_body(const stella_fetcher *f, size_t i,
                             size_t *len) {
  const mem_state *s = state(f);
  if (i >= s->n_log || !s->bodies[i])
    return NULL;
  if (len)
    *len = s->body_lens[i];
  return s->bodies[i];
}

void mem_fetcher_clear_log(stella_fetcher *f) {
  mem_state *s = state(f);
  for (size_t i = 0; i < s->n_log; i++) {
    free(s->log[i]);
    free(s->bodies[i]);
  }
  s->n_log = 0;
}

static void mem_free(stella_fetcher *f) {
  mem_state *s = state(f);
  mem_fetcher_clear_log(f);
  for (size_t i = 0; i < s->n; i++)
    entry_free(&s->entries[i]);
  free(s->entries);
  free(s->log);
  free(s->bodies);
  free(s->body_lens);
  free(s);
  free(f);
}

stella_fetcher *mem_fetcher_new(void) {
  stella_fetcher *f = calloc(1, sizeof *f);
  mem_state *s = calloc(1, sizeof *s);
  if (!f || !s) {
    free(f);
    free(s);
    return NULL;
  }
  f->get = mem_get;
  f->post = mem_post;
  f->free = mem_free;
  f->ctx = s;
  return f;
}
