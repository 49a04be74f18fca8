/* fetch.h - how the core gets bytes from a URL. The TUF client only sees
 * this interface, so tests can serve replies from memory and the console can
 * run the same code on a worker thread. */
#ifndef STELLA_CORE_FETCH_H
#define STELLA_CORE_FETCH_H

#include <stddef.h>
#include "stella/stella.h"
#include "buf.h"

typedef struct stella_fetcher stella_fetcher;

/* One POST (the Rekor client's POST /api/v1/log/entries). */
typedef struct fetch_post {
  const char *url;
  const char *content_type; /* NULL: "application/json" */
  const void *body;
  size_t len;
  size_t max_bytes;         /* cap on the reply, as for get */
  char location[1024];      /* out: the reply's Location header, "" if none */
} fetch_post;

struct stella_fetcher {
  /* GETs url into body (appending; body->max is the cap: a reply larger than
   * max_bytes aborts the transfer with STELLA_E_TOO_LARGE). Returns:
   *   STELLA_OK for 2xx; STELLA_E_NOT_FOUND for 404 and 403;
   *   STELLA_E_HTTP for any other status; STELLA_E_TIMEOUT; STELLA_E_NETWORK;
   *   STELLA_E_TOO_LARGE. *http_status gets the status (0 if none). errbuf
   * gets one line saying what happened (may be NULL). BLOCKS. */
  stella_err (*get)(stella_fetcher *f, const char *url, size_t max_bytes,
                    sbuf *body, long *http_status, char *errbuf,
                    size_t errlen);
  /* POSTs req->body to req->url, the reply appended to reply (capped by
   * req->max_bytes). Same return codes as get; unlike get, the reply body
   * of a non-2xx status is kept (a 409 names the existing entry). Never
   * follows redirects. NULL: this fetcher cannot POST. BLOCKS. */
  stella_err (*post)(stella_fetcher *f, fetch_post *req, sbuf *reply,
                     long *http_status, char *errbuf, size_t errlen);
  void (*free)(stella_fetcher *f);
  void *ctx;
};

typedef struct fetch_curl_opts {
  long connect_timeout_ms; /* 0 = 10 000 */
  long total_timeout_ms;   /* 0 = 60 000 */
  long low_speed_secs;     /* abort if < 1 byte/s for this long; 0 = 15 */
  long overall_timeout_ms; /* 0 = none: what all transfers of this fetcher
                            * may take together, counted from its creation
                            * (a slow-drip server must not stretch a
                            * many-file sync without end) */
  int (*cancelled)(void *ctx); /* NULL, or polled before and during every
                                  transfer: non-zero ends it with
                                  STELLA_E_CANCELLED */
  void *cancel_ctx;
} fetch_curl_opts;

/* A libcurl fetcher (one reused easy handle: keep-alive where the server
 * allows). opts may be NULL. Supports http(s):// and file:// (POST: http(s)
 * only). Free with
 * f->free(f). Returns NULL on NOMEM or curl init failure. */
stella_fetcher *fetch_curl_new(const fetch_curl_opts *opts);

/* Convenience: NULL-safe free. */
void fetch_free(stella_fetcher *f);

#endif
