/* checkpoint.c - transparency-log checkpoints as C2SP signed notes: a
 * strict parser (checkpoints come from servers we do not trust), the check
 * against trusted note keys, and signing for the drill log. */
#include "checkpoint.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "— " : U+2014 EM DASH then a space opens every signature line. */
#define CP_DASH "\xe2\x80\x94 "
#define CP_DASH_LEN 4
#define CP_ROOT_B64_LEN 44 /* base64 of 32 bytes */

typedef struct cp_span {
  const char *p;
  size_t len;
} cp_span;

/* What checkpoint_parse found besides the checkpoint itself: the signature
 * lines, split, pointing into the note. */
typedef struct cp_sigs {
  cp_span name[CHECKPOINT_MAX_SIGNATURES];
  cp_span b64[CHECKPOINT_MAX_SIGNATURES];
  size_t n;
} cp_sigs;


/* ---- bytes: UTF-8, no NUL, no CR ------------------------------------------ */

/* Length of the well-formed UTF-8 sequence at p (at most rem bytes), 0 if
 * there is none: no overlong forms, surrogates or code points past 10FFFF. */
static size_t cp_utf8_len(const unsigned char *p, size_t rem) {
  unsigned c = p[0];
  size_t n = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2
                          : c >= 0xe0 && c <= 0xef ? 3
                          : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
  if (n == 0 || n > rem)
    return 0;
  for (size_t i = 1; i < n; i++)
    if ((p[i] & 0xc0) != 0x80)
      return 0;
  if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f) ||
      (c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f))
    return 0;
  return n;
}

static stella_err cp_check_bytes(const char *note, size_t len, char *errbuf,
                                 size_t errlen) {
  const unsigned char *p = (const unsigned char *)note;
  for (size_t i = 0; i < len;) {
    if (p[i] == '\0' || p[i] == '\r')
      return errbuf_fail(STELLA_E_PARSE, errbuf, errlen,
                     "%s at byte %zu", p[i] ? "carriage return" : "NUL byte",
                     i);
    size_t n = cp_utf8_len(p + i, len - i);
    if (n == 0)
      return errbuf_fail(STELLA_E_PARSE, errbuf, errlen,
                     "invalid UTF-8 at byte %zu", i);
    i += n;
  }
  return STELLA_OK;
}

/* 1 if a Unicode space (Go's unicode.IsSpace) starts at p. */
static int cp_space_at(const char *p, size_t rem) {
  static const char *const wide[] = {
      "\xc2\x85", "\xc2\xa0", "\xe1\x9a\x80", "\xe2\x80\xa8", "\xe2\x80\xa9",
      "\xe2\x80\xaf", "\xe2\x81\x9f", "\xe3\x80\x80"};
  if (*p == ' ' || (*p >= '\t' && *p <= '\r'))
    return 1;
  if (rem >= 3 && !memcmp(p, "\xe2\x80", 2) && (unsigned char)p[2] >= 0x80 &&
      (unsigned char)p[2] <= 0x8a) /* U+2000..U+200A */
    return 1;
  for (size_t i = 0; i < sizeof wide / sizeof wide[0]; i++)
    if (rem >= strlen(wide[i]) && !memcmp(p, wide[i], strlen(wide[i])))
      return 1;
  return 0;
}

/* A key name: non-empty, no spaces of any kind and no '+'. */
static int cp_name_ok(const char *name, size_t len) {
  if (len == 0)
    return 0;
  for (size_t i = 0; i < len; i++)
    if (name[i] == '+' || cp_space_at(name + i, len - i))
      return 0;
  return 1;
}

/* ---- the text: origin, size, root hash, extra lines ------------------------ */

/* Decimal without sign or leading zeros, at most 2^63 - 1. */
static int cp_parse_size(const char *p, size_t len, uint64_t *out) {
  uint64_t v = 0;
  if (len == 0 || len > 19 || (p[0] == '0' && len > 1))
    return 0;
  for (size_t i = 0; i < len; i++) {
    if (p[i] < '0' || p[i] > '9')
      return 0;
    v = v * 10 + (uint64_t)(p[i] - '0'); /* 19 digits fit in 64 bits */
  }
  if (v > (uint64_t)INT64_MAX)
    return 0;
  *out = v;
  return 1;
}

static int cp_parse_root(const char *p, size_t len, merkle_hash out) {
  uint8_t *raw = NULL;
  size_t rawlen = 0;
  int ok = len == CP_ROOT_B64_LEN && base64_decode(p, len, &raw, &rawlen) ==
                                         STELLA_OK && rawlen == MERKLE_HASH_LEN;
  if (ok)
    memcpy(out, raw, MERKLE_HASH_LEN);
  free(raw);
  return ok;
}

/* The next line of [*p, end): its span without the '\n'. The caller made
 * sure the region ends in '\n'. */
static cp_span cp_next_line(const char **p, const char *end) {
  const char *nl = memchr(*p, '\n', (size_t)(end - *p));
  cp_span s = {*p, (size_t)(nl - *p)};
  *p = nl + 1;
  return s;
}

static stella_err cp_parse_text(const char *text, size_t text_len,
                                checkpoint *out, char *errbuf,
                                size_t errlen) {
  const char *p = text, *end = text + text_len;
  cp_span line[3];
  for (int i = 0; i < 3; i++) {
    if (p == end)
      return errbuf_fail(STELLA_E_PARSE, errbuf, errlen,
                     "need origin, size, root hash lines (found %d)", i);
    line[i] = cp_next_line(&p, end);
  }
  if (line[0].len == 0)
    return errbuf_fail(STELLA_E_PARSE, errbuf, errlen, "empty origin line");
  if (!cp_parse_size(line[1].p, line[1].len, &out->size))
    return errbuf_fail(STELLA_E_PARSE, errbuf, errlen,
                   "tree size is not a decimal number below 2^63");
  if (!cp_parse_root(line[2].p, line[2].len, out->root))
    return errbuf_fail(STELLA_E_PARSE, errbuf, errlen,
                   "root hash is not base64 of 32 bytes");
  out->origin = strndup(line[0].p, line[0].len);
  out->extra = strndup(p, (size_t)(end - p));
  out->text_len = text_len;
  return out->origin && out->extra ? STELLA_OK : STELLA_E_NOMEM;
}

/* ---- signature lines ------------------------------------------------------- */

/* "— <name> <base64>": splits it into sigs after checking the form. */
static stella_err cp_parse_sig_line(cp_span line, cp_sigs *sigs,
                                    char *errbuf, size_t errlen) {
  size_t no = sigs->n + 1;
  if (line.len < CP_DASH_LEN || memcmp(line.p, CP_DASH, CP_DASH_LEN))
    return errbuf_fail(STELLA_E_PARSE, errbuf, errlen,
                   "signature line %zu does not start with an em dash", no);
  const char *name = line.p + CP_DASH_LEN, *end = line.p + line.len;
  const char *sp = memchr(name, ' ', (size_t)(end - name));
  if (!sp || !cp_name_ok(name, (size_t)(sp - name)))
    return errbuf_fail(STELLA_E_PARSE, errbuf, errlen,
                   "signature line %zu: bad key name", no);
  cp_span b64 = {sp + 1, (size_t)(end - sp - 1)};
  uint8_t *raw = NULL;
  size_t rawlen = 0;
  for (size_t i = 0; i < b64.len; i++)
    if (cp_space_at(b64.p + i, b64.len - i))
      rawlen = SIZE_MAX; /* base64_decode would skip it; we do not */
  int ok = rawlen == 0 && base64_decode(b64.p, b64.len, &raw, &rawlen) ==
                              STELLA_OK && rawlen >= 5;
  free(raw);
  if (!ok)
    return errbuf_fail(STELLA_E_PARSE, errbuf, errlen,
                   "signature line %zu: not base64 of a key id and signature",
                   no);
  sigs->name[sigs->n] = (cp_span){name, (size_t)(sp - name)};
  sigs->b64[sigs->n++] = b64;
  return STELLA_OK;
}

static stella_err cp_parse_sigs(const char *p, const char *end,
                                cp_sigs *sigs, char *errbuf, size_t errlen) {
  sigs->n = 0;
  while (p < end) {
    cp_span line = cp_next_line(&p, end);
    if (line.len == 0)
      return errbuf_fail(STELLA_E_PARSE, errbuf, errlen,
                     "empty line among the signatures");
    if (sigs->n == CHECKPOINT_MAX_SIGNATURES)
      return errbuf_fail(STELLA_E_LIMIT, errbuf, errlen,
                     "more than %d signature lines", CHECKPOINT_MAX_SIGNATURES);
    stella_err e = cp_parse_sig_line(line, sigs, errbuf, errlen);
    if (e)
      return e;
  }
  if (sigs->n == 0)
    return errbuf_fail(STELLA_E_PARSE, errbuf, errlen, "no signature lines");
  return STELLA_OK;
}

/* ---- parse ------------------------------------------------------------------ */

static stella_err cp_parse(const char *note, size_t len, checkpoint *out,
                           cp_sigs *sigs, char *errbuf, size_t errlen) {
  if (len > CHECKPOINT_MAX_BYTES)
    return errbuf_fail(STELLA_E_TOO_LARGE, errbuf, errlen,
                   "note of %zu bytes is over the %d-byte cap", len,
                   CHECKPOINT_MAX_BYTES);
  stella_err e = cp_check_bytes(note, len, errbuf, errlen);
  if (e)
    return e;
  if (len == 0 || note[len - 1] != '\n')
    return errbuf_fail(STELLA_E_PARSE, errbuf, errlen,
                   "note does not end in a newline");
  const char *blank = memmem(note, len, "\n\n", 2);
  if (!blank)
    return errbuf_fail(STELLA_E_PARSE, errbuf, errlen,
                   "no blank line between text and signatures");
  size_t text_len = (size_t)(blank - note) + 1;
  e = cp_parse_text(note, text_len, out, errbuf, errlen);
  if (!e)
    e = cp_parse_sigs(note + text_len + 1, note + len, sigs, errbuf, errlen);
  return e;
}

stella_err checkpoint_parse(const char *note, size_t len, checkpoint *out,
                            char *errbuf, size_t errlen) {
  cp_sigs sigs;
  if (errbuf && errlen)
    errbuf[0] = '\0';
  if (!out)
    return STELLA_E_INVALID_ARG;
  memset(out, 0, sizeof *out);
  if (!note)
    return errbuf_fail(STELLA_E_INVALID_ARG, errbuf, errlen, "no note");
  stella_err e = cp_parse(note, len, out, &sigs, errbuf, errlen);
  if (e)
    checkpoint_clear(out);
  return e;
}

void checkpoint_clear(checkpoint *c) {
  if (!c)
    return;
  free(c->origin);
  free(c->extra);
  memset(c, 0, sizeof *c);
}

/* ---- verify ----------------------------------------------------------------- */

static int cp_key_matches(const note_key *k, cp_span name, const uint8_t *id) {
  return k->name && k->key && strlen(k->name) == name.len &&
         !memcmp(k->name, name.p, name.len) && !memcmp(k->id, id, 4);
}

/* Checks line i against every key with its name and id: 1 if one verified
 * (*which set when still unset), 0 if none matches, -1 if a match fails,
 * -2 when out of memory. */
static int cp_check_line(const char *text, size_t text_len,
                         const cp_sigs *sigs, size_t i, const note_key *keys,
                         size_t n_keys, size_t *which) {
  uint8_t *raw = NULL;
  size_t rawlen = 0;
  int result = 0;
  if (base64_decode(sigs->b64[i].p, sigs->b64[i].len, &raw, &rawlen))
    return -2; /* only NOMEM after a successful parse */
  for (size_t k = 0; k < n_keys && result >= 0; k++) {
    if (!cp_key_matches(&keys[k], sigs->name[i], raw))
      continue;
    if (!crypto_verify(keys[k].key, (const uint8_t *)text, text_len, raw + 4,
                       rawlen - 4)) {
      result = -1;
    } else {
      if (*which == SIZE_MAX)
        *which = k;
      result = 1;
    }
  }
  free(raw);
  return result;
}

/* "a, b" from the signature lines' key names, for a message: printable
 * ASCII only (the names are the server's bytes), cut to fit. */
static void cp_signer_names(const cp_sigs *sigs, char *out, size_t len) {
  size_t o = 0;
  for (size_t i = 0; i < sigs->n && o + 4 < len; i++) {
    if (i) {
      out[o++] = ',';
      out[o++] = ' ';
    }
    for (size_t k = 0; k < sigs->name[i].len && k < 64 && o + 1 < len; k++) {
      char ch = sigs->name[i].p[k];
      out[o++] = ch > ' ' && ch < 0x7f ? ch : '?';
    }
  }
  out[o] = '\0';
}

static stella_err cp_check_sigs(const char *note, const checkpoint *c,
                                const cp_sigs *sigs, const note_key *keys,
                                size_t n_keys, size_t *which, char *errbuf,
                                size_t errlen) {
  *which = SIZE_MAX;
  for (size_t i = 0; i < sigs->n; i++) {
    int r = cp_check_line(note, c->text_len, sigs, i, keys, n_keys, which);
    if (r == -2)
      return STELLA_E_NOMEM;
    if (r < 0)
      return errbuf_fail(STELLA_E_SIGNATURE, errbuf, errlen,
                     "signature by trusted key %.*s (line %zu) does not "
                     "verify", (int)sigs->name[i].len, sigs->name[i].p, i + 1);
  }
  if (*which == SIZE_MAX) {
    char names[160];
    cp_signer_names(sigs, names, sizeof names);
    return errbuf_fail(STELLA_E_SIGNATURE, errbuf, errlen,
                   "no signature from a trusted key (signed by %s: not a "
                   "log we trust)", names);
  }
  return STELLA_OK;
}

stella_err checkpoint_verify(const char *note, size_t len,
                             const note_key *keys, size_t n_keys,
                             checkpoint *out, size_t *which, char *errbuf,
                             size_t errlen) {
  cp_sigs sigs;
  size_t first;
  if (errbuf && errlen)
    errbuf[0] = '\0';
  if (!out || (!keys && n_keys))
    return STELLA_E_INVALID_ARG;
  memset(out, 0, sizeof *out);
  if (!note)
    return errbuf_fail(STELLA_E_INVALID_ARG, errbuf, errlen, "no note");
  stella_err e = cp_parse(note, len, out, &sigs, errbuf, errlen);
  if (!e)
    e = cp_check_sigs(note, out, &sigs, keys, n_keys, &first, errbuf, errlen);
  if (e) {
    checkpoint_clear(out);
    return e;
  }
  if (which)
    *which = first;
  return STELLA_OK;
}

/* ---- key ids, text, signing ------------------------------------------------- */

/* Ed25519 SPKI DER is this 12-byte prefix and the raw 32-byte key. */
static const uint8_t cp_ed25519_spki[12] = {0x30, 0x2a, 0x30, 0x05,
                                            0x06, 0x03, 0x2b, 0x65,
                                            0x70, 0x03, 0x21, 0x00};

static stella_err cp_ed25519_id(const char *name, const uint8_t *der,
                                size_t len, uint8_t out[4]) {
  if (len != sizeof cp_ed25519_spki + 32 ||
      memcmp(der, cp_ed25519_spki, sizeof cp_ed25519_spki))
    return STELLA_E_UNSUPPORTED;
  sbuf b = SBUF_INIT;
  uint8_t h[CRYPTO_SHA256_LEN];
  /* name || '\n' || 0x01 (the Ed25519 signature type) || key */
  stella_err e = sbuf_append_str(&b, name);
  if (!e)
    e = sbuf_append(&b, "\n\x01", 2);
  if (!e)
    e = sbuf_append(&b, der + sizeof cp_ed25519_spki, 32);
  if (!e) {
    crypto_sha256(b.data, b.len, h);
    memcpy(out, h, 4);
  }
  sbuf_free(&b);
  return e;
}

stella_err checkpoint_key_id(const char *name, const crypto_key *key,
                             uint8_t out[4]) {
  uint8_t *der, h[CRYPTO_SHA256_LEN];
  size_t len;
  if (!name || !key)
    return STELLA_E_INVALID_ARG;
  stella_err e = crypto_key_spki_der(key, &der, &len);
  if (e)
    return e;
  if (!strcmp(crypto_key_algorithm(key), "ed25519")) {
    e = cp_ed25519_id(name, der, len, out);
  } else {
    crypto_sha256(der, len, h);
    memcpy(out, h, 4);
  }
  free(der);
  return e;
}

/* Extra lines: "" or complete non-empty lines without CR or NUL. */
static int cp_extra_ok(const char *extra) {
  size_t n = strlen(extra);
  if (n == 0)
    return 1;
  return extra[0] != '\n' && extra[n - 1] == '\n' && !strstr(extra, "\n\n") &&
         !strchr(extra, '\r');
}

stella_err checkpoint_format_text(const char *origin, uint64_t size,
                                  const merkle_hash root, const char *extra,
                                  sbuf *out) {
  char *b64 = NULL;
  if (!origin || !root || !out || !*origin || strpbrk(origin, "\r\n") ||
      size > (uint64_t)INT64_MAX || (extra && !cp_extra_ok(extra)))
    return STELLA_E_INVALID_ARG;
  stella_err e = base64_encode(root, MERKLE_HASH_LEN, &b64);
  if (!e)
    e = sbuf_printf(out, "%s\n%" PRIu64 "\n%s\n%s", origin, size, b64,
                    extra ? extra : "");
  free(b64);
  return e;
}

/* base64(key id || signature of text) for the signature line. */
static stella_err cp_sign_b64(const char *text, size_t text_len,
                              const char *name, const crypto_signer *signer,
                              char **b64) {
  crypto_key *vk = NULL;
  uint8_t *sig = NULL, *line = NULL;
  size_t siglen = 0;
  stella_err e = crypto_signer_verify_key(signer, &vk);
  if (!e)
    e = crypto_signer_sign(signer, (const uint8_t *)text, text_len, &sig,
                           &siglen);
  if (!e && !(line = malloc(4 + siglen)))
    e = STELLA_E_NOMEM;
  if (!e)
    e = checkpoint_key_id(name, vk, line);
  if (!e) {
    memcpy(line + 4, sig, siglen);
    e = base64_encode(line, 4 + siglen, b64);
  }
  free(line);
  free(sig);
  crypto_key_free(vk);
  return e;
}

stella_err checkpoint_sign(const char *text, size_t text_len,
                           const char *name, const crypto_signer *signer,
                           sbuf *out) {
  char *b64 = NULL;
  sbuf note = SBUF_INIT;
  note.max = CHECKPOINT_MAX_BYTES;
  if (!text || !name || !signer || !out || text_len == 0 ||
      text[text_len - 1] != '\n' || memmem(text, text_len, "\n\n", 2) ||
      !cp_name_ok(name, strlen(name)))
    return STELLA_E_INVALID_ARG;
  stella_err e = cp_sign_b64(text, text_len, name, signer, &b64);
  if (!e)
    e = sbuf_append(&note, text, text_len);
  if (!e)
    e = sbuf_printf(&note, "\n" CP_DASH "%s %s\n", name, b64);
  if (!e)
    e = sbuf_append(out, note.data, note.len);
  sbuf_free(&note);
  free(b64);
  return e;
}
