/* mem_fetcher.h - a stella_fetcher for tests: serves replies from a table
 * (bytes, files, folders, or a status) and logs every requested URL, so tests
 * can check request sequences without a server. Not thread-safe. */
#ifndef STELLA_TESTS_MEM_FETCHER_H
#define STELLA_TESTS_MEM_FETCHER_H

#include <stddef.h>
#include "fetch.h"

/* A fetcher with an empty table: every URL is a 404 until added. Free with
 * f->free(f) or fetch_free(). */
stella_fetcher *mem_fetcher_new(void);

/* url answers 200 with these bytes (copied). A later entry for the same URL
 * replaces the earlier one. */
void mem_fetcher_add_bytes(stella_fetcher *f, const char *url,
                           const void *data, size_t len);
/* url answers 200 with the contents of path (read at request time; a missing
 * file is a 404). */
void mem_fetcher_add_file(stella_fetcher *f, const char *url,
                          const char *path);
/* url answers with an HTTP status (404 -> NOT_FOUND, others -> HTTP). */
void mem_fetcher_add_status(stella_fetcher *f, const char *url, long status);
/* Every URL starting with prefix answers with dir + "/" + the rest of the
 * URL, if that file exists (exact entries win). */
void mem_fetcher_add_dir(stella_fetcher *f, const char *prefix,
                         const char *dir);
/* url answers GETs and POSTs as if the transport failed: e is
 * STELLA_E_TIMEOUT, STELLA_E_NETWORK ... (no status). */
void mem_fetcher_add_error(stella_fetcher *f, const char *url, stella_err e);
/* A POST to url answers status with these bytes (copied) and, when
 * location is not NULL, that Location header. GETs of url are not
 * affected (POST and GET replies are separate tables). */
void mem_fetcher_add_post(stella_fetcher *f, const char *url, long status,
                          const void *data, size_t len, const char *location);

/* Calls hook(ctx, url) at every request, before it is answered (another
 * process acting while the request is on its way); NULL removes it. */
void mem_fetcher_on_request(stella_fetcher *f,
                            void (*hook)(void *ctx, const char *url),
                            void *ctx);

/* Forgets the table entry for url (it becomes a 404 unless a dir maps it). */
void mem_fetcher_remove(stella_fetcher *f, const char *url);

/* The request log: URLs in order (GETs and POSTs), owned by f. */
size_t mem_fetcher_count(const stella_fetcher *f);
const char *mem_fetcher_request(const stella_fetcher *f, size_t i);
/* How many logged requests equal url. */
size_t mem_fetcher_count_url(const stella_fetcher *f, const char *url);
void mem_fetcher_clear_log(stella_fetcher *f);
/* The body of logged request i: NULL for a GET, else the bytes POSTed
 * (NUL-terminated, *len may be NULL). Owned by f. */
const char *mem_fetcher_body(const stella_fetcher *f, size_t i, size_t *len);

#endif
