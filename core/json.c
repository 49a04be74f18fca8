/* json.c - arena-built JSON tree with sorted object members, and the
 * OLPC/securesystemslib canonical encoder used for TUF signatures.
 *
 * The doc owns the input text (json_parse copies it, json_parse_owned takes
 * it over): strings without escapes point into it, their closing quote
 * turned into the NUL; strings with escapes are decoded into the arena. So
 * parsing allocates a few arena chunks for the tree and two scratch stacks
 * - never one malloc per node - and the input can still be given back
 * byte for byte (json_doc_source). */
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define JSON_MAX_DEPTH 512
#define ARENA_MIN_CHUNK (64 * 1024)
#define JSON_MAX_INPUT UINT32_MAX /* lengths are kept in 32 bits */

typedef struct json_member json_member;

/* 16 bytes: a 100 000-target file has about a million of these, so an
 * INT keeps only its text (json_int converts it) and a BOOL its value in
 * flag. */
struct json_val {
  uint8_t type;    /* jv_type */
  uint8_t flag;    /* BOOL: 0/1; REAL: 1 if written as an integer (too
                      large for int64); STRING: 1 if it had escapes (only
                      then can it hold '"' or '\\') */
  uint32_t n;      /* string/raw-number bytes, or element/member count */
  union {
    const char *s;          /* STRING: decoded bytes; INT/REAL: raw text */
    json_val *items;        /* ARRAY */
    json_member *members;   /* OBJECT, sorted by key bytes */
  } u;
};

struct json_member {
  const char *key; /* decoded, NUL-terminated */
  uint32_t keylen;
  uint8_t key_escaped; /* like json_val.flag of a STRING */
  json_val val;
};

typedef struct arena_chunk {
  struct arena_chunk *next;
  size_t cap, used;
  max_align_t data[];
} arena_chunk;

struct json_doc {
  char *text;           /* the input (owned); strings point into it */
  size_t len;           /* input bytes */
  arena_chunk *chunks;  /* tree nodes */
  json_val root;
};

/* ---- arena ------------------------------------------------------------ */

static void *arena_alloc(json_doc *doc, size_t bytes, size_t hint) {
  bytes = (bytes + sizeof(max_align_t) - 1) & ~(sizeof(max_align_t) - 1);
  arena_chunk *c = doc->chunks;
  if (!c || c->cap - c->used < bytes) {
    size_t cap = c ? c->cap * 2 : hint;
    if (cap < ARENA_MIN_CHUNK)
      cap = ARENA_MIN_CHUNK;
    if (cap < bytes)
      cap = bytes;
    arena_chunk *nc = malloc(sizeof(*nc) + cap);
    if (!nc)
      return NULL;
    nc->cap = cap;
    nc->used = 0;
    nc->next = c;
    doc->chunks = c = nc;
  }
  void *p = (char *)c->data + c->used;
  c->used += bytes;
  return p;
}

void json_doc_free(json_doc *doc) {
  if (!doc)
    return;
  arena_chunk *c = doc->chunks;
  while (c) {
    arena_chunk *next = c->next;
    free(c);
    c = next;
  }
  free(doc->text);
  free(doc);
}

/* ---- parser state ----------------------------------------------------- */

typedef struct parser {
  char *text, *cur, *end;  /* text is NUL-terminated at end */
  json_doc *doc;
  json_val *vals;          /* pending array elements (LIFO across levels) */
  size_t nvals, capvals;
  json_member *mems;       /* pending object members */
  size_t nmems, capmems;
  stella_err status;
  char *errbuf;
  size_t errlen;
} parser;

static int fail_at(parser *p, const char *at, const char *why) {
  p->status = STELLA_E_PARSE;
  if (p->errbuf && p->errlen)
    snprintf(p->errbuf, p->errlen, "invalid JSON at byte %zu: %s",
             (size_t)(at - p->text), why);
  return -1;
}

static int fail(parser *p, const char *why) { return fail_at(p, p->cur, why); }

static int fail_nomem(parser *p) {
  p->status = STELLA_E_NOMEM;
  if (p->errbuf && p->errlen)
    snprintf(p->errbuf, p->errlen, "out of memory while parsing JSON");
  return -1;
}

/* Makes room for one more element of size sz in a scratch stack holding
 * n; returns the (maybe moved) stack, or NULL on NOMEM. */
static void *stack_grow(parser *p, void *base, size_t *cap, size_t n,
                        size_t sz) {
  if (n < *cap)
    return base;
  size_t ncap = *cap ? *cap * 2 : 256;
  void *nb = realloc(base, ncap * sz);
  if (!nb) {
    fail_nomem(p);
    return NULL;
  }
  *cap = ncap;
  return nb;
}

static const uint8_t json_ws[256] = {[' '] = 1, ['\t'] = 1, ['\n'] = 1,
                                     ['\r'] = 1};

static void skip_ws(parser *p) {
  while (json_ws[(uint8_t)*p->cur])
    p->cur++;
}

/* ---- strings ---------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, no
 * surrogates, <= U+10FFFF), 0 if invalid. Reading past a short tail is safe:
 * the text ends in NUL, which is never a continuation byte. */
static int utf8_seq_len(const uint8_t *s) {
  uint8_t c = s[0], lo = 0x80, hi = 0xBF;
  int n;
  if (c < 0xC2)
    return 0;
  if (c < 0xE0) {
    n = 2;
  } else if (c < 0xF0) {
    n = 3;
    if (c == 0xE0)
      lo = 0xA0;
    else if (c == 0xED)
      hi = 0x9F;
  } else if (c < 0xF5) {
    n = 4;
    if (c == 0xF0)
      lo = 0x90;
    else if (c == 0xF4)
      hi = 0x8F;
  } else {
    return 0;
  }
  if (s[1] < lo || s[1] > hi)
    return 0;
  for (int k = 2; k < n; k++)
    if ((s[k] & 0xC0) != 0x80)
      return 0;
  return n;
}

static int hex4(const char *s, uint32_t *out) {
  uint32_t v = 0;
  for (int k = 0; k < 4; k++) {
    char c = s[k];
    v <<= 4;
    if (c >= '0' && c <= '9')
      v |= (uint32_t)(c - '0');
    else if (c >= 'a' && c <= 'f')
      v |= (uint32_t)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      v |= (uint32_t)(c - 'A' + 10);
    else
      return -1;
  }
  *out = v;
  return 0;
}

static char *utf8_put(char *dst, uint32_t cp) {
  if (cp < 0x80) {
    *dst++ = (char)cp;
  } else if (cp < 0x800) {
    *dst++ = (char)(0xC0 | (cp >> 6));
    *dst++ = (char)(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    *dst++ = (char)(0xE0 | (cp >> 12));
    *dst++ = (char)(0x80 | ((cp >> 6) & 0x3F));
    *dst++ = (char)(0x80 | (cp & 0x3F));
  } else {
    *dst++ = (char)(0xF0 | (cp >> 18));
    *dst++ = (char)(0x80 | ((cp >> 12) & 0x3F));
    *dst++ = (char)(0x80 | ((cp >> 6) & 0x3F));
    *dst++ = (char)(0x80 | (cp & 0x3F));
  }
  return dst;
}

/* Decodes a \u escape at src (pointing at 'u'), with a following low
 * surrogate when src holds a high one. Returns the bytes consumed or -1. */
static int decode_u_escape(parser *p, const char *src, uint32_t *cp) {
  uint32_t lo;
  if (hex4(src + 1, cp))
    return fail_at(p, src, "bad \\u escape");
  if (*cp >= 0xDC00 && *cp <= 0xDFFF)
    return fail_at(p, src, "lone low surrogate in \\u escape");
  if (*cp < 0xD800 || *cp > 0xDBFF)
    return 5;
  if (src[5] != '\\' || src[6] != 'u' || hex4(src + 7, &lo) || lo < 0xDC00 ||
      lo > 0xDFFF)
    return fail_at(p, src, "high surrogate without a low one");
  *cp = 0x10000 + ((*cp - 0xD800) << 10) + (lo - 0xDC00);
  return 11;
}

static const uint8_t json_simple_escape[256] = {
    ['"'] = '"', ['\\'] = '\\', ['/'] = '/', ['b'] = '\b',
    ['f'] = '\f', ['n'] = '\n', ['r'] = '\r', ['t'] = '\t'};

/* Slow path, from the first backslash at src: decodes into dst, the
 * string so far being [start, dst). The text itself is left as it was. */
static int string_unescape(parser *p, char *start, char *dst, char *src,
                           uint32_t *len) {
  for (;;) {
    uint8_t c = (uint8_t)*src;
    if (c == '"') {
      *dst = '\0';
      *len = (uint32_t)(dst - start);
      p->cur = src + 1;
      return 0;
    }
    if (c == '\\') {
      uint8_t e = (uint8_t)src[1];
      if (json_simple_escape[e]) {
        *dst++ = (char)json_simple_escape[e];
        src += 2;
        continue;
      }
      if (e != 'u')
        return fail_at(p, src, "bad escape in string");
      uint32_t cp;
      int used = decode_u_escape(p, src + 1, &cp);
      if (used < 0)
        return -1;
      dst = utf8_put(dst, cp);
      src += 1 + used;
      continue;
    }
    if (c < 0x20)
      return fail_at(p, src, src >= p->end ? "unterminated string"
                                           : "control character in string");
    if (c < 0x80) {
      *dst++ = *src++;
      continue;
    }
    int n = utf8_seq_len((const uint8_t *)src);
    if (!n)
      return fail_at(p, src, "invalid UTF-8 in string");
    memcpy(dst, src, (size_t)n);
    dst += n;
    src += n;
  }
}

/* Number of leading bytes of s (stopping at end) that need no attention
 * in a string: not '"', '\\', a control byte or non-ASCII. */
static size_t scan_plain(const char *s, const char *end) {
  const char *q = s;
#ifdef __SSE2__
  const __m128i quote = _mm_set1_epi8('"'), bslash = _mm_set1_epi8('\\'),
                space = _mm_set1_epi8(0x20);
  while (end - q >= 16) {
    __m128i x = _mm_loadu_si128((const __m128i *)(const void *)q);
    /* signed < 0x20 catches both control bytes and bytes >= 0x80 */
    __m128i hit = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, bslash)),
        _mm_cmplt_epi8(x, space));
    unsigned mask = (unsigned)_mm_movemask_epi8(hit);
    if (mask)
      return (size_t)(q - s) + (size_t)__builtin_ctz(mask);
    q += 16;
  }
#else
  const uint64_t ones = 0x0101010101010101ULL, high = 0x8080808080808080ULL;
  while (end - q >= 8) {
    uint64_t w, qt, bs;
    memcpy(&w, q, 8);
    qt = w ^ (ones * '"');
    bs = w ^ (ones * '\\');
    if ((((qt - ones) & ~qt) | ((bs - ones) & ~bs) |
         ((w - ones * 0x20) & ~w) | w) & high)
      break;
    q += 8;
  }
#endif
  while (q < end && *q != '"' && *q != '\\' && (uint8_t)*q >= 0x20 &&
         (uint8_t)*q < 0x80)
    q++;
  return (size_t)(q - s);
}

/* A string with escapes is decoded into the arena: its bytes in the text
 * stay as received, so json_doc_source can give the input back. A decoded
 * string is never longer than its escaped form, and string_unescape stops
 * (at the closing quote or with an error) within the bytes measured here. */
static int string_decode_copy(parser *p, char *start, char *esc,
                              const char **s, uint32_t *len,
                              uint8_t *escaped) {
  const char *end = esc;
  while (end < p->end && *end != '"')
    end += *end == '\\' ? 2 : 1;
  if (end > p->end)
    end = p->end;
  char *dst = arena_alloc(p->doc, (size_t)(end - start) + 1, 0);
  if (!dst)
    return fail_nomem(p);
  memcpy(dst, start, (size_t)(esc - start));
  *s = dst;
  *escaped = 1;
  return string_unescape(p, dst, dst + (esc - start), esc, len);
}

/* Parses a string whose opening quote is at p->cur. Without escapes, *s
 * points into the text and its closing quote becomes the NUL (the only
 * change parsing makes to the text); with escapes, see above. */
static int parse_string(parser *p, const char **s, uint32_t *len,
                        uint8_t *escaped) {
  char *start = p->cur + 1, *q = start;
  *s = start;
  *escaped = 0;
  for (;;) {
    q += scan_plain(q, p->end);
    uint8_t c = (uint8_t)*q;
    if (c == '"') {
      *q = '\0';
      *len = (uint32_t)(q - start);
      p->cur = q + 1;
      return 0;
    }
    if (c == '\\')
      return string_decode_copy(p, start, q, s, len, escaped);
    if (c < 0x20)
      return fail_at(p, q, q >= p->end ? "unterminated string"
                                       : "control character in string");
    int n = utf8_seq_len((const uint8_t *)q);
    if (!n)
      return fail_at(p, q, "invalid UTF-8 in string");
    q += n;
  }
}

/* ---- numbers and literals --------------------------------------------- */

static int scan_digits(parser *p) {
  if (*p->cur < '0' || *p->cur > '9')
    return fail(p, "digit expected");
  while (*p->cur >= '0' && *p->cur <= '9')
    p->cur++;
  return 0;
}

/* Value of the digits at s (negated if neg) into *out (may be NULL);
 * *ndigits (may be NULL) gets their count. Returns 1 if it does not fit
 * int64. */
static int int_text_value(const char *s, int neg, int64_t *out,
                          size_t *ndigits) {
  const char *start = s;
  uint64_t mag = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
  int overflow = 0;
  for (; *s >= '0' && *s <= '9'; s++) {
    uint64_t d = (uint64_t)(*s - '0');
    if (mag > (limit - d) / 10)
      overflow = 1;
    else
      mag = mag * 10 + d;
  }
  if (ndigits)
    *ndigits = (size_t)(s - start);
  if (out)
    *out = neg ? (int64_t)(0 - mag) : (int64_t)mag;
  return overflow;
}

/* -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? ; integers that fit int64
 * become JV_INT, everything else JV_REAL (kept as raw text). */
static int parse_number(parser *p, json_val *out) {
  char *start = p->cur;
  int neg = *p->cur == '-', overflow = 0, real = 0;
  p->cur += neg;
  if (*p->cur == '0') {
    p->cur++;
  } else {
    if (*p->cur < '1' || *p->cur > '9')
      return fail(p, "digit expected");
    size_t ndigits;
    overflow = int_text_value(p->cur, neg, NULL, &ndigits);
    p->cur += ndigits;
  }
  if (*p->cur == '.') {
    p->cur++;
    real = 1;
    if (scan_digits(p))
      return -1;
  }
  if (*p->cur == 'e' || *p->cur == 'E') {
    p->cur++;
    real = 1;
    if (*p->cur == '+' || *p->cur == '-')
      p->cur++;
    if (scan_digits(p))
      return -1;
  }
  out->u.s = start;
  out->n = (uint32_t)(p->cur - start);
  if (real || overflow) {
    out->type = JV_REAL;
    out->flag = !real;
    return 0;
  }
  out->type = JV_INT;
  if (out->n == 2 && neg && start[1] == '0') { /* "-0" is the integer 0 */
    out->u.s = start + 1;
    out->n = 1;
  }
  return 0;
}

static int parse_literal(parser *p, json_val *out, const char *word,
                         jv_type type, int value) {
  size_t n = strlen(word);
  if ((size_t)(p->end - p->cur) < n || memcmp(p->cur, word, n) != 0)
    return fail(p, "unexpected character");
  p->cur += n;
  out->type = (uint8_t)type;
  out->flag = (uint8_t)value;
  return 0;
}

/* ---- containers ------------------------------------------------------- */

static int parse_value(parser *p, json_val *out, int depth);

static int key_cmp(const json_member *a, const json_member *b) {
  size_t n = a->keylen < b->keylen ? a->keylen : b->keylen;
  int c = memcmp(a->key, b->key, n);
  if (c)
    return c;
  return (a->keylen > b->keylen) - (a->keylen < b->keylen);
}

/* Stable merge sort of dst[0..n) using src (same contents) as scratch;
 * roles alternate per level so no copy-back is needed. */
static void members_sort(json_member *src, json_member *dst, size_t n) {
  if (n <= 8) {
    for (size_t i = 1; i < n; i++) {
      json_member m = dst[i];
      size_t j = i;
      for (; j > 0 && key_cmp(&dst[j - 1], &m) > 0; j--)
        dst[j] = dst[j - 1];
      dst[j] = m;
    }
    return;
  }
  size_t mid = n / 2, i = 0, j = mid, k = 0;
  members_sort(dst, src, mid);
  members_sort(dst + mid, src + mid, n - mid);
  while (i < mid && j < n)
    dst[k++] = key_cmp(&src[j], &src[i]) < 0 ? src[j++] : src[i++];
  while (i < mid)
    dst[k++] = src[i++];
  while (j < n)
    dst[k++] = src[j++];
}

/* Sorts members by key bytes (most TUF files are already sorted: one pass)
 * and rejects duplicate keys. scratch holds a copy of m. */
static int members_finish(parser *p, json_member *m, json_member *scratch,
                          size_t n, const char *at) {
  size_t i = 1;
  while (i < n && key_cmp(&m[i - 1], &m[i]) < 0)
    i++;
  if (i >= n)
    return 0;
  members_sort(scratch, m, n);
  for (i = 1; i < n; i++)
    if (key_cmp(&m[i - 1], &m[i]) == 0)
      return fail_at(p, at, "duplicate key in object");
  return 0;
}

static int parse_array(parser *p, json_val *out, int depth) {
  size_t base = p->nvals;
  p->cur++;
  skip_ws(p);
  if (*p->cur != ']') {
    for (;;) {
      json_val v;
      if (parse_value(p, &v, depth))
        return -1;
      json_val *vals =
          stack_grow(p, p->vals, &p->capvals, p->nvals, sizeof(v));
      if (!vals)
        return -1;
      p->vals = vals;
      p->vals[p->nvals++] = v;
      skip_ws(p);
      if (*p->cur == ']')
        break;
      if (*p->cur != ',')
        return fail(p, "',' or ']' expected");
      p->cur++;
      skip_ws(p);
    }
  }
  p->cur++;
  out->type = JV_ARRAY;
  out->n = (uint32_t)(p->nvals - base);
  out->u.items = NULL;
  if (out->n) {
    json_val *items = arena_alloc(p->doc, out->n * sizeof(*items), 0);
    if (!items)
      return fail_nomem(p);
    memcpy(items, p->vals + base, out->n * sizeof(*items));
    out->u.items = items;
  }
  p->nvals = base;
  return 0;
}

static int parse_member(parser *p, json_member *m, int depth) {
  if (*p->cur != '"')
    return fail(p, "'\"' expected (object key)");
  if (parse_string(p, &m->key, &m->keylen, &m->key_escaped))
    return -1;
  skip_ws(p);
  if (*p->cur != ':')
    return fail(p, "':' expected");
  p->cur++;
  skip_ws(p);
  return parse_value(p, &m->val, depth);
}

static int parse_object(parser *p, json_val *out, int depth) {
  size_t base = p->nmems;
  const char *open = p->cur;
  p->cur++;
  skip_ws(p);
  if (*p->cur != '}') {
    for (;;) {
      json_member m;
      if (parse_member(p, &m, depth))
        return -1;
      json_member *mems =
          stack_grow(p, p->mems, &p->capmems, p->nmems, sizeof(m));
      if (!mems)
        return -1;
      p->mems = mems;
      p->mems[p->nmems++] = m;
      skip_ws(p);
      if (*p->cur == '}')
        break;
      if (*p->cur != ',')
        return fail(p, "',' or '}' expected");
      p->cur++;
      skip_ws(p);
    }
  }
  p->cur++;
  out->type = JV_OBJECT;
  out->n = (uint32_t)(p->nmems - base);
  out->u.members = NULL;
  if (out->n) {
    json_member *m = arena_alloc(p->doc, out->n * sizeof(*m), 0);
    if (!m)
      return fail_nomem(p);
    memcpy(m, p->mems + base, out->n * sizeof(*m));
    out->u.members = m;
    if (members_finish(p, m, p->mems + base, out->n, open))
      return -1;
  }
  p->nmems = base;
  return 0;
}

static int parse_value(parser *p, json_val *out, int depth) {
  memset(out, 0, sizeof(*out));
  switch (*p->cur) {
  case '{':
  case '[':
    if (depth >= JSON_MAX_DEPTH)
      return fail(p, "nesting deeper than 512");
    return *p->cur == '{' ? parse_object(p, out, depth + 1)
                          : parse_array(p, out, depth + 1);
  case '"':
    out->type = JV_STRING;
    return parse_string(p, &out->u.s, &out->n, &out->flag);
  case 't':
    return parse_literal(p, out, "true", JV_BOOL, 1);
  case 'f':
    return parse_literal(p, out, "false", JV_BOOL, 0);
  case 'n':
    return parse_literal(p, out, "null", JV_NULL, 0);
  default:
    if (*p->cur == '-' || (*p->cur >= '0' && *p->cur <= '9'))
      return parse_number(p, out);
    return fail(p, p->cur >= p->end ? "unexpected end of input"
                                    : "unexpected character");
  }
}

stella_err json_parse_owned(char *buf, size_t len, json_doc **out,
                            char *errbuf, size_t errlen) {
  parser p = {.errbuf = errbuf, .errlen = errlen, .status = STELLA_OK};
  *out = NULL;
  if (errbuf && errlen)
    errbuf[0] = '\0';
  if (!buf)
    return STELLA_E_INVALID_ARG;
  if (len >= JSON_MAX_INPUT) {
    free(buf);
    return STELLA_E_TOO_LARGE;
  }
  p.doc = calloc(1, sizeof(*p.doc));
  if (!p.doc) {
    free(buf);
    fail_nomem(&p);
    return p.status;
  }
  p.doc->text = p.text = p.cur = buf;
  p.doc->len = len;
  buf[len] = '\0';
  p.end = p.text + len;
  /* One chunk sized for a typical tree avoids growing while parsing. */
  if (!arena_alloc(p.doc, 0, len / 2))
    fail_nomem(&p);
  else {
    skip_ws(&p);
    if (parse_value(&p, &p.doc->root, 0) == 0) {
      skip_ws(&p);
      if (p.cur != p.end)
        fail(&p, "trailing data after the JSON value");
    }
  }
  free(p.vals);
  free(p.mems);
  if (p.status) {
    json_doc_free(p.doc);
    return p.status;
  }
  *out = p.doc;
  return STELLA_OK;
}

stella_err json_parse(const char *buf, size_t len, json_doc **out,
                      char *errbuf, size_t errlen) {
  *out = NULL;
  if (errbuf && errlen)
    errbuf[0] = '\0';
  if (!buf && len)
    return STELLA_E_INVALID_ARG;
  if (len >= JSON_MAX_INPUT)
    return STELLA_E_TOO_LARGE;
  char *copy = malloc(len + 1);
  if (!copy) {
    if (errbuf && errlen)
      snprintf(errbuf, errlen, "out of memory while parsing JSON");
    return STELLA_E_NOMEM;
  }
  if (len)
    memcpy(copy, buf, len);
  return json_parse_owned(copy, len, out, errbuf, errlen);
}

/* Valid JSON has no NUL byte, so every NUL in the text is a closing quote
 * the parser replaced. */
size_t json_doc_source(const json_doc *doc, size_t off, char *dst,
                       size_t n) {
  if (!doc || off >= doc->len)
    return 0;
  if (n > doc->len - off)
    n = doc->len - off;
  const char *src = doc->text + off;
  for (size_t i = 0; i < n; i++) /* one pass the compiler vectorizes */
    dst[i] = src[i] ? src[i] : '"';
  return n;
}

size_t json_doc_source_len(const json_doc *doc) { return doc ? doc->len : 0; }

/* ---- accessors -------------------------------------------------------- */

const json_val *json_root(const json_doc *doc) {
  return doc ? &doc->root : NULL;
}

jv_type json_type_of(const json_val *v) {
  return v ? (jv_type)v->type : JV_NULL;
}

const json_val *json_get(const json_val *v, const char *key) {
  if (!v || v->type != JV_OBJECT || !key)
    return NULL;
  size_t keylen = strlen(key);
  if (keylen >= JSON_MAX_INPUT)
    return NULL;
  json_member probe = {.key = key, .keylen = (uint32_t)keylen};
  size_t lo = 0, hi = v->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = key_cmp(&v->u.members[mid], &probe);
    if (c == 0)
      return &v->u.members[mid].val;
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

size_t json_len(const json_val *v) {
  if (!v || (v->type != JV_ARRAY && v->type != JV_OBJECT))
    return 0;
  return v->n;
}

const json_val *json_at(const json_val *v, size_t i) {
  if (!v || v->type != JV_ARRAY || i >= v->n)
    return NULL;
  return &v->u.items[i];
}

const char *json_key_at(const json_val *v, size_t i, size_t *keylen) {
  if (!v || v->type != JV_OBJECT || i >= v->n)
    return NULL;
  if (keylen)
    *keylen = v->u.members[i].keylen;
  return v->u.members[i].key;
}

const json_val *json_val_at(const json_val *v, size_t i) {
  if (!v || v->type != JV_OBJECT || i >= v->n)
    return NULL;
  return &v->u.members[i].val;
}

const char *json_str(const json_val *v, size_t *len) {
  if (!v || v->type != JV_STRING)
    return NULL;
  if (len)
    *len = v->n;
  return v->u.s;
}

int json_int(const json_val *v, int64_t *out) {
  if (!v || v->type != JV_INT)
    return -1;
  /* the parser checked the text: optional '-', digits, fits int64 */
  int neg = v->u.s[0] == '-';
  int_text_value(v->u.s + neg, neg, out, NULL);
  return 0;
}

int json_bool(const json_val *v, int *out) {
  if (!v || v->type != JV_BOOL)
    return -1;
  *out = v->flag;
  return 0;
}

const char *json_get_str(const json_val *v, const char *key) {
  return json_str(json_get(v, key), NULL);
}

int json_get_int(const json_val *v, const char *key, int64_t *out) {
  return json_int(json_get(v, key), out);
}

/* ---- canonical encoder ------------------------------------------------ */

/* Tokens go straight into out's buffer, so each is a pointer bump after a
 * room check; the first error sticks and stops further writes. */
typedef struct canon_writer {
  sbuf *out;
  char *at, *end; /* next byte, end of the room (the NUL's byte excluded) */
  stella_err err;
} canon_writer;

/* The room ends at the allocation or at out's cap, whichever comes first. */
static void canon_sync(canon_writer *w) {
  size_t limit = w->out->cap - 1;
  if (w->out->max && w->out->max < limit)
    limit = w->out->max;
  w->at = w->out->data + w->out->len;
  w->end = w->out->data + limit;
}

/* 1 if n more bytes fit (growing out if needed), 0 after an error. */
static int canon_room(canon_writer *w, size_t n) {
  if (w->err)
    return 0;
  if ((size_t)(w->end - w->at) >= n)
    return 1;
  w->out->len = (size_t)(w->at - w->out->data);
  w->err = sbuf_reserve(w->out, n);
  if (w->err)
    return 0;
  canon_sync(w);
  return 1;
}

static void canon_put(canon_writer *w, const char *s, size_t n) {
  if (canon_room(w, n)) {
    memcpy(w->at, s, n);
    w->at += n;
  }
}

static void canon_char(canon_writer *w, char c) {
  if (canon_room(w, 1))
    *w->at++ = c;
}

/* Only '"' and '\\' are escaped; every other byte is written raw. A
 * string that had no escapes in the input has neither (escaped == 0). */
static void canon_string(canon_writer *w, const char *s, size_t n,
                         int escaped) {
  if (!escaped && canon_room(w, n + 2)) {
    *w->at++ = '"';
    memcpy(w->at, s, n);
    w->at += n;
    *w->at++ = '"';
    return;
  }
  canon_char(w, '"');
  for (size_t i = 0; i < n; i++) {
    if (s[i] == '"' || s[i] == '\\')
      canon_char(w, '\\');
    canon_char(w, s[i]);
  }
  canon_char(w, '"');
}

static void canon_value(canon_writer *w, const json_val *v);

static void canon_array(canon_writer *w, const json_val *v) {
  canon_char(w, '[');
  for (uint32_t i = 0; i < v->n && !w->err; i++) {
    if (i)
      canon_char(w, ',');
    canon_value(w, &v->u.items[i]);
  }
  canon_char(w, ']');
}

/* Members are already sorted by key bytes at parse time. */
static void canon_object(canon_writer *w, const json_val *v) {
  canon_char(w, '{');
  for (uint32_t i = 0; i < v->n && !w->err; i++) {
    const json_member *m = &v->u.members[i];
    if (i)
      canon_char(w, ',');
    canon_string(w, m->key, m->keylen, m->key_escaped);
    canon_char(w, ':');
    canon_value(w, &m->val);
  }
  canon_char(w, '}');
}

static void canon_value(canon_writer *w, const json_val *v) {
  switch (v->type) {
  case JV_NULL:
    canon_put(w, "null", 4);
    break;
  case JV_BOOL:
    canon_put(w, v->flag ? "true" : "false", v->flag ? 4 : 5);
    break;
  case JV_REAL:
    /* Fractions and exponents have no canonical form; big integers are
     * integers all the same and are written as given. */
    if (!v->flag) {
      w->err = STELLA_E_PARSE;
      break;
    }
    /* fall through */
  case JV_INT:
    canon_put(w, v->u.s, v->n);
    break;
  case JV_STRING:
    canon_string(w, v->u.s, v->n, v->flag);
    break;
  case JV_ARRAY:
    canon_array(w, v);
    break;
  default:
    canon_object(w, v);
  }
}

stella_err json_canonical(const json_val *v, sbuf *out) {
  if (!v || !out)
    return STELLA_E_INVALID_ARG;
  size_t start = out->len;
  canon_writer w = {out, NULL, NULL, sbuf_reserve(out, 1)};
  if (w.err)
    return w.err;
  canon_sync(&w);
  canon_value(&w, v);
  if (w.err) { /* leave out as it was */
    out->len = start;
  } else {
    out->len = (size_t)(w.at - out->data);
  }
  out->data[out->len] = '\0';
  return w.err;
}
