/* buf.c - growable, capped byte buffer. */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

stella_err sbuf_reserve(sbuf *b, size_t extra) {
  if (b->max && (extra > b->max || b->len > b->max - extra))
    return STELLA_E_TOO_LARGE;
  size_t need = b->len + extra + 1;
  if (need <= b->cap)
    return STELLA_OK;
  /* doubling keeps appends linear; a bigger jump (a reservation, one
   * large append) gets exactly what it asked for */
  size_t cap = b->cap > SIZE_MAX / 2 ? need : b->cap * 2;
  if (cap < need)
    cap = need;
  if (cap < 256)
    cap = 256;
  char *p = realloc(b->data, cap);
  if (!p)
    return STELLA_E_NOMEM;
  b->data = p;
  b->cap = cap;
  return STELLA_OK;
}

stella_err array_grow(void **arr, size_t n, size_t *cap, size_t elem,
                      size_t first) {
  if (n < *cap)
    return STELLA_OK;
  size_t ncap = *cap ? *cap * 2 : first;
  if (ncap < *cap || (elem && ncap > SIZE_MAX / elem))
    return STELLA_E_NOMEM;
  void *p = realloc(*arr, ncap * elem);
  if (!p)
    return STELLA_E_NOMEM;
  *arr = p;
  *cap = ncap;
  return STELLA_OK;
}

stella_err sbuf_append(sbuf *b, const void *p, size_t n) {
  stella_err e = sbuf_reserve(b, n);
  if (e)
    return e;
  if (n)
    memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = '\0';
  return STELLA_OK;
}

stella_err sbuf_append_str(sbuf *b, const char *s) {
  return sbuf_append(b, s, strlen(s));
}

stella_err sbuf_append_char(sbuf *b, char c) { return sbuf_append(b, &c, 1); }

stella_err sbuf_printf(sbuf *b, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0)
    return STELLA_E_INVALID_ARG;
  stella_err e = sbuf_reserve(b, (size_t)n);
  if (e)
    return e;
  va_start(ap, fmt);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
  return STELLA_OK;
}

void sbuf_reset(sbuf *b) {
  b->len = 0;
  if (b->data)
    b->data[0] = '\0';
}

void sbuf_free(sbuf *b) {
  if (!b)
    return;
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

char *sbuf_take(sbuf *b, size_t *len) {
  char *p = b->data;
  if (!p)
    p = calloc(1, 1);
  if (len)
    *len = p ? b->len : 0;
  b->data = NULL;
  b->len = b->cap = 0;
  return p;
}

stella_err errbuf_fail(stella_err e, char *errbuf, size_t errlen,
                       const char *fmt, ...) {
  if (errbuf && errlen) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, errlen, fmt, ap);
    va_end(ap);
  }
  return e;
}
