/* buf.h - growable byte buffer with a hard cap (every buffer filled from
 * the network or a file has one; this is how TUF size limits are enforced). */
#ifndef STELLA_CORE_BUF_H
#define STELLA_CORE_BUF_H

#include <stddef.h>
#include "stella/stella.h"

typedef struct sbuf {
  char *data;   /* owned; always NUL-terminated after a successful append */
  size_t len;   /* bytes used, not counting the terminating NUL */
  size_t cap;   /* bytes allocated */
  size_t max;   /* hard cap on len; 0 = no cap */
} sbuf;

#define SBUF_INIT {NULL, 0, 0, 0}

/* Appends n bytes. Returns STELLA_E_TOO_LARGE if len would pass max (buffer
 * unchanged), STELLA_E_NOMEM on allocation failure. */
stella_err sbuf_append(sbuf *b, const void *p, size_t n);
stella_err sbuf_append_str(sbuf *b, const char *s);
stella_err sbuf_append_char(sbuf *b, char c);
/* printf-style append; same errors. */
stella_err sbuf_printf(sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Makes room for extra more bytes (and the NUL) without changing len; same
 * errors as sbuf_append. For callers that know the size to come. */
stella_err sbuf_reserve(sbuf *b, size_t extra);
/* Empties the buffer, keeps the allocation and the cap. */
void sbuf_reset(sbuf *b);
/* Frees the data; b can be reused (len, cap = 0; max kept). NULL-safe. */
void sbuf_free(sbuf *b);
/* Hands the data to the caller (who frees it) and resets b. Never NULL:
 * an empty buffer yields a malloc'd "" (or NULL only on NOMEM). */
char *sbuf_take(sbuf *b, size_t *len);

/* Makes room for one more element of elem bytes in the array *arr holding
 * n of *cap: doubles *cap (first when it is 0), moving *arr. STELLA_E_NOMEM
 * (also on size overflow) leaves *arr and *cap as they were. */
stella_err array_grow(void **arr, size_t n, size_t *cap, size_t elem,
                      size_t first);

/* Writes a one-line reason (printf format) into errbuf when errbuf is not
 * NULL and errlen > 0, and returns e: the error return of the parsers that
 * report through a caller's buffer. */
stella_err errbuf_fail(stella_err e, char *errbuf, size_t errlen,
                       const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
