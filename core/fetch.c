/* fetch.c - the libcurl fetcher: capped, time-bounded GETs over http(s) and
 * file:// (and POSTs over http(s)) with one reused easy handle (keep-alive
 * where the server allows). */
#include "fetch.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define FETCH_DEFAULT_CONNECT_MS 10000L
#define FETCH_DEFAULT_TOTAL_MS 60000L
#define FETCH_DEFAULT_LOW_SPEED_SECS 15L
/* Bytes per read and write callback: fewer calls for big metadata files
 * (curl's default is 16 KiB). */
#define FETCH_BUFFER_BYTES (256L * 1024)

typedef struct fetch_curl {
  CURL *easy;
  fetch_curl_opts opts;
  int64_t deadline_ms; /* monotonic; 0 = no overall limit */
} fetch_curl;

/* State of one transfer, seen by the write callback. */
typedef struct fetch_sink {
  sbuf *body;
  size_t start_len;  /* body->len before the transfer (we append) */
  size_t max_bytes;  /* cap on the bytes of this reply */
  int too_large;
  int nomem;
  CURL *easy;
  int sized;         /* body pre-sized from Content-Length (or tried) */
} fetch_sink;

static pthread_once_t fetch_global_once = PTHREAD_ONCE_INIT;
static CURLcode fetch_global_rc = CURLE_FAILED_INIT;

static void fetch_global_init(void) {
  fetch_global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* One allocation of the announced size instead of doubling, which copies a
 * 13 MB targets file around and touches more memory than it needs. The
 * Content-Length is only a hint: within the cap, and every byte is still
 * counted by the write callback. */
static void fetch_presize(fetch_sink *sink) {
  curl_off_t announced = -1;
  sink->sized = 1;
  if (curl_easy_getinfo(sink->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T,
                        &announced) == CURLE_OK &&
      announced > 0 && (size_t)announced <= sink->max_bytes)
    sbuf_reserve(sink->body, (size_t)announced); /* else: grow as usual */
}

/* The cap is enforced here as well as by CURLOPT_MAXFILESIZE_LARGE, since a
 * server may send no Content-Length (chunked) or lie about it. */
static size_t fetch_write_cb(char *ptr, size_t size, size_t nmemb, void *ud) {
  fetch_sink *sink = ud;
  size_t n = size * nmemb;
  size_t got = sink->body->len - sink->start_len;
  if (!sink->sized)
    fetch_presize(sink);
  if (n > sink->max_bytes || got > sink->max_bytes - n) {
    sink->too_large = 1;
    return 0;
  }
  stella_err e = sbuf_append(sink->body, ptr, n);
  if (e == STELLA_E_TOO_LARGE) {
    sink->too_large = 1;
    return 0;
  }
  if (e) {
    sink->nomem = 1;
    return 0;
  }
  return n;
}

/* A short "why" and a "what to do" hint for the curl codes operators see. */
static void fetch_describe(CURLcode rc, const char **why, const char **hint) {
  *hint = "";
  switch (rc) {
  case CURLE_COULDNT_CONNECT:
    *why = "connection refused";
    *hint = " (is the server up?)";
    break;
  case CURLE_COULDNT_RESOLVE_HOST:
  case CURLE_COULDNT_RESOLVE_PROXY:
    *why = "host name not found";
    *hint = " (check the URL and DNS)";
    break;
  case CURLE_ABORTED_BY_CALLBACK:
    *why = "cancelled";
    break;
  case CURLE_OPERATION_TIMEDOUT:
    *why = "timed out";
    *hint = " (the server is slow or hung)";
    break;
  case CURLE_PEER_FAILED_VERIFICATION:
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_SSL_CERTPROBLEM:
  case CURLE_SSL_CACERT_BADFILE:
    *why = curl_easy_strerror(rc);
    *hint = " (TLS problem: check the certificate and the host name)";
    break;
  case CURLE_RECV_ERROR:
  case CURLE_SEND_ERROR:
    *why = "connection lost (reset by the server or a proxy in between)";
    *hint = " (is the server up and reachable?)";
    break;
  case CURLE_GOT_NOTHING:
    *why = "the server closed the connection without a reply";
    *hint = " (is the server up and reachable?)";
    break;
  case CURLE_PARTIAL_FILE:
    *why = "the reply was cut off before its announced length";
    break;
  case CURLE_TOO_MANY_REDIRECTS:
    *why = curl_easy_strerror(rc);
    *hint = " (the server redirects in a loop)";
    break;
  case CURLE_FILE_COULDNT_READ_FILE:
    *why = "file not found";
    break;
  default:
    *why = curl_easy_strerror(rc);
    break;
  }
}

static stella_err fetch_map_curl_error(CURLcode rc, const fetch_sink *sink) {
  if (rc == CURLE_ABORTED_BY_CALLBACK)
    return STELLA_E_CANCELLED;
  if (sink->too_large || rc == CURLE_FILESIZE_EXCEEDED)
    return STELLA_E_TOO_LARGE;
  if (sink->nomem || rc == CURLE_OUT_OF_MEMORY)
    return STELLA_E_NOMEM;
  if (rc == CURLE_OPERATION_TIMEDOUT)
    return STELLA_E_TIMEOUT;
  if (rc == CURLE_FILE_COULDNT_READ_FILE)
    return STELLA_E_NOT_FOUND;
  if (rc == CURLE_UNSUPPORTED_PROTOCOL || rc == CURLE_URL_MALFORMAT)
    return STELLA_E_INVALID_ARG;
  return STELLA_E_NETWORK;
}

static int64_t fetch_monotonic_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* curl's progress callback: a cancel asked for ends the transfer. */
static int fetch_progress_cb(void *ud, curl_off_t dltotal, curl_off_t dlnow,
                             curl_off_t ultotal, curl_off_t ulnow) {
  const fetch_curl *fc = ud;
  (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
  return fc->opts.cancelled(fc->opts.cancel_ctx) ? 1 : 0;
}

/* The time the next transfer may take (*ms): the per-transfer limit, cut
 * to what is left of the overall one. STELLA_E_TIMEOUT when that is spent,
 * STELLA_E_CANCELLED when a cancel was asked for: errbuf says which, and
 * the transfer must not start. */
static stella_err fetch_budget(const fetch_curl *fc, const char *method,
                               const char *url, long *ms, char *errbuf,
                               size_t errlen) {
  *ms = fc->opts.total_timeout_ms;
  if (fc->opts.cancelled && fc->opts.cancelled(fc->opts.cancel_ctx)) {
    if (errbuf)
      snprintf(errbuf, errlen, "%s %s not started: cancelled", method, url);
    return STELLA_E_CANCELLED;
  }
  if (!fc->deadline_ms)
    return STELLA_OK;
  int64_t left = fc->deadline_ms - fetch_monotonic_ms();
  if (left <= 0) {
    if (errbuf)
      snprintf(errbuf, errlen, "%s %s not started: the overall time limit "
               "of %ld s is spent (the server is slow; retry, or allow "
               "more time)", method, url,
               fc->opts.overall_timeout_ms / 1000);
    return STELLA_E_TIMEOUT;
  }
  if (left < *ms)
    *ms = (long)left;
  return STELLA_OK;
}

static void fetch_setup(fetch_curl *fc, const char *url, size_t max_bytes,
                        long timeout_ms, fetch_sink *sink, char *curl_err) {
  CURL *h = fc->easy;
  curl_easy_reset(h);
  curl_easy_setopt(h, CURLOPT_URL, url);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https,file");
  curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L); /* thread-safe timeouts */
  curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, fc->opts.connect_timeout_ms);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, fc->opts.low_speed_secs);
  curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max_bytes);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, fetch_write_cb);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, sink);
  curl_easy_setopt(h, CURLOPT_BUFFERSIZE, FETCH_BUFFER_BYTES);
  curl_easy_setopt(h, CURLOPT_ERRORBUFFER, curl_err);
  curl_easy_setopt(h, CURLOPT_USERAGENT, "stella/0.1");
  if (fc->opts.cancelled) {
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, fetch_progress_cb);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, fc);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
  }
}

/* "GET url failed", naming where a redirect led: the operator must not look
 * for the failure at the first server when another one failed. */
static long fetch_where(CURL *h, const char *method, const char *url,
                        char *out, size_t len) {
  long redirects = 0;
  char *last = NULL;
  curl_easy_getinfo(h, CURLINFO_REDIRECT_COUNT, &redirects);
  curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &last);
  if (redirects > 0 && last)
    snprintf(out, len, "%s %s failed after %ld redirect%s to %.1500s", method,
             url, redirects, redirects > 1 ? "s" : "", last);
  else
    snprintf(out, len, "%s %s failed", method, url);
  return redirects;
}

/* The outcome of a finished transfer: STELLA_OK for 2xx (and file://),
 * else the error with its one line. keep_body: a non-2xx reply keeps its
 * bytes (POST); a transport failure never does. */
static stella_err fetch_finish(fetch_curl *fc, const char *method,
                               const char *url, CURLcode rc,
                               const fetch_sink *sink, int keep_body,
                               long *http_status, char *errbuf,
                               size_t errlen) {
  long status = 0;
  curl_easy_getinfo(fc->easy, CURLINFO_RESPONSE_CODE, &status);
  if (http_status)
    *http_status = status;
  if (rc == CURLE_OK && (status == 0 || (status >= 200 && status < 300)))
    return STELLA_OK; /* file:// has no status; http(s) must be 2xx */
  /* A failed reply leaves no partial bytes behind. */
  if (rc != CURLE_OK || !keep_body) {
    sink->body->len = sink->start_len;
    if (sink->body->data)
      sink->body->data[sink->body->len] = '\0';
  }
  char where[4096];
  long redirects = fetch_where(fc->easy, method, url, where, sizeof where);
  if (rc != CURLE_OK) {
    stella_err e = fetch_map_curl_error(rc, sink);
    const char *why, *hint;
    fetch_describe(rc, &why, &hint);
    if (redirects > 0 && e == STELLA_E_INVALID_ARG) {
      /* The server's doing (file://, ftp://...), not the caller's. */
      e = STELLA_E_NETWORK;
      why = "redirect refused";
      hint = " (only http:// and https:// redirects are followed)";
    }
    if (errbuf && e == STELLA_E_TOO_LARGE)
      snprintf(errbuf, errlen, "%s: reply is over the %zu-byte limit", where,
               sink->max_bytes);
    else if (errbuf)
      snprintf(errbuf, errlen, "%s: %s%s", where, why, hint);
    return e;
  }
  if (errbuf)
    snprintf(errbuf, errlen, "%s: HTTP %ld", where, status);
  return (status == 404 || status == 403) ? STELLA_E_NOT_FOUND
                                          : STELLA_E_HTTP;
}

static stella_err fetch_curl_get(stella_fetcher *f, const char *url,
                                 size_t max_bytes, sbuf *body,
                                 long *http_status, char *errbuf,
                                 size_t errlen) {
  fetch_curl *fc = f->ctx;
  char curl_err[CURL_ERROR_SIZE] = "";
  fetch_sink sink = {body, body ? body->len : 0, max_bytes, 0, 0, fc->easy, 0};
  if (http_status)
    *http_status = 0;
  if (errbuf && errlen)
    errbuf[0] = '\0';
  if (!url || !body)
    return STELLA_E_INVALID_ARG;
  long budget;
  stella_err e = fetch_budget(fc, "GET", url, &budget, errbuf, errlen);
  if (e)
    return e;
  fetch_setup(fc, url, max_bytes, budget, &sink, curl_err);
  CURLcode rc = curl_easy_perform(fc->easy);
  return fetch_finish(fc, "GET", url, rc, &sink, 0, http_status, errbuf,
                      errlen);
}

/* Keeps the Location header of the final reply (a 409 points at the entry
 * that already exists). */
static size_t fetch_header_cb(char *line, size_t size, size_t nmemb,
                              void *ud) {
  fetch_post *req = ud;
  size_t n = size * nmemb;
  static const char name[] = "location:";
  if (n > sizeof name - 1 && strncasecmp(line, name, sizeof name - 1) == 0) {
    size_t a = sizeof name - 1, b = n;
    while (a < b && (line[a] == ' ' || line[a] == '\t'))
      a++;
    while (b > a && (line[b - 1] == '\r' || line[b - 1] == '\n' ||
                     line[b - 1] == ' '))
      b--;
    if (b - a < sizeof req->location) {
      memcpy(req->location, line + a, b - a);
      req->location[b - a] = '\0';
    }
  }
  return n;
}

static stella_err fetch_curl_post(stella_fetcher *f, fetch_post *req,
                                  sbuf *reply, long *http_status,
                                  char *errbuf, size_t errlen) {
  fetch_curl *fc = f->ctx;
  char curl_err[CURL_ERROR_SIZE] = "", ctype[256];
  fetch_sink sink = {reply, reply ? reply->len : 0,
                     req ? req->max_bytes : 0, 0, 0, fc->easy, 0};
  if (http_status)
    *http_status = 0;
  if (errbuf && errlen)
    errbuf[0] = '\0';
  if (!req || !req->url || !reply || (!req->body && req->len))
    return STELLA_E_INVALID_ARG;
  req->location[0] = '\0';
  long budget;
  stella_err e = fetch_budget(fc, "POST", req->url, &budget, errbuf, errlen);
  if (e)
    return e;
  snprintf(ctype, sizeof ctype, "Content-Type: %s",
           req->content_type ? req->content_type : "application/json");
  struct curl_slist *headers = curl_slist_append(NULL, ctype);
  if (!headers)
    return STELLA_E_NOMEM;
  CURL *h = fc->easy;
  fetch_setup(fc, req->url, req->max_bytes, budget, &sink, curl_err);
  curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(h, CURLOPT_POST, 1L);
  curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->len);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, fetch_header_cb);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, req);
  CURLcode rc = curl_easy_perform(h);
  e = fetch_finish(fc, "POST", req->url, rc, &sink, 1,
                              http_status, errbuf, errlen);
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
  curl_slist_free_all(headers);
  return e;
}

static void fetch_curl_free(stella_fetcher *f) {
  if (!f)
    return;
  fetch_curl *fc = f->ctx;
  if (fc) {
    curl_easy_cleanup(fc->easy);
    free(fc);
  }
  free(f);
}

stella_fetcher *fetch_curl_new(const fetch_curl_opts *opts) {
  pthread_once(&fetch_global_once, fetch_global_init);
  if (fetch_global_rc != CURLE_OK)
    return NULL;
  stella_fetcher *f = calloc(1, sizeof *f);
  fetch_curl *fc = calloc(1, sizeof *fc);
  if (!f || !fc || !(fc->easy = curl_easy_init())) {
    free(fc);
    free(f);
    return NULL;
  }
  if (opts)
    fc->opts = *opts;
  if (fc->opts.connect_timeout_ms <= 0)
    fc->opts.connect_timeout_ms = FETCH_DEFAULT_CONNECT_MS;
  if (fc->opts.total_timeout_ms <= 0)
    fc->opts.total_timeout_ms = FETCH_DEFAULT_TOTAL_MS;
  if (fc->opts.low_speed_secs <= 0)
    fc->opts.low_speed_secs = FETCH_DEFAULT_LOW_SPEED_SECS;
  if (fc->opts.overall_timeout_ms > 0)
    fc->deadline_ms = fetch_monotonic_ms() + fc->opts.overall_timeout_ms;
  f->get = fetch_curl_get;
  f->post = fetch_curl_post;
  f->free = fetch_curl_free;
  f->ctx = fc;
  return f;
}

void fetch_free(stella_fetcher *f) {
  if (f && f->free)
    f->free(f);
}
