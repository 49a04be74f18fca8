/* url.c - see url.h. */
#include "url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *url_rest(const char *url, unsigned allowed, int *file) {
  static const struct { const char *prefix; unsigned kind; } schemes[] = {
    {"http://", URL_HTTP}, {"https://", URL_HTTP}, {"file://", URL_FILE},
  };
  for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
    size_t n = strlen(schemes[i].prefix);
    if ((allowed & schemes[i].kind) && strncmp(url, schemes[i].prefix, n) == 0) {
      *file = schemes[i].kind == URL_FILE;
      return url + n;
    }
  }
  return NULL;
}

/* host[:port] of an http(s) URL, n bytes long. */
static const char *url_authority_problem(const char *a, size_t n) {
  if (n == 0)
    return "it names no host";
  if (memchr(a, '@', n))
    return "user names and passwords in the URL are not supported (they "
           "would be stored and shown)";
  const char *end = a + n, *colon = a[0] == '[' ? memchr(a, ']', n) : a;
  if (!colon)
    return "its IPv6 host has no closing ']'";
  colon = memchr(colon, ':', (size_t)(end - colon));
  if (colon == a)
    return "it names no host";
  if (!colon)
    return NULL;
  size_t digits = (size_t)(end - colon - 1);
  long port = 0;
  for (const char *p = colon + 1; p < end && port <= 65535; p++)
    port = *p >= '0' && *p <= '9' ? port * 10 + (*p - '0') : 65536;
  return digits && digits <= 5 && port >= 1 && port <= 65535
             ? NULL
             : "its port is not a number from 1 to 65535";
}

const char *url_problem(const char *url, unsigned allowed) {
  int file = 0;
  const char *rest = url ? url_rest(url, allowed, &file) : NULL;
  if (!url || !*url)
    return "no URL given";
  if (!rest)
    return allowed & URL_FILE ? "expected an http://, https:// or file:// URL"
                              : "expected an http:// or https:// URL";
  if (strlen(url) > URL_MAX)
    return "it is too long";
  for (const unsigned char *p = (const unsigned char *)url; *p; p++)
    if (*p <= ' ' || *p >= 0x7f)
      return "it contains a blank, a control character or a non-ASCII "
             "byte (percent-encode it)";
  if (file)
    return *rest == '/' ? NULL : "a file:// URL needs an absolute path "
                                 "(file:///srv/tuf)";
  return url_authority_problem(rest, strcspn(rest, "/?#"));
}

void url_shown(const char *url, char *buf, size_t len) {
  size_t n = url ? strlen(url) : 0, k;
  if (!len)
    return;
  const char *rest = url ? strstr(url, "://") : NULL;
  rest = rest ? rest + 3 : url;
  if (rest && memchr(rest, '@', strcspn(rest, "/?#"))) {
    snprintf(buf, len, "...");
    return;
  }
  int cut = n >= len;
  size_t keep = cut ? (len > 4 ? len - 4 : 0) : n;
  for (k = 0; k < keep; k++)
    buf[k] = (unsigned char)url[k] < ' ' || (unsigned char)url[k] >= 0x7f
                 ? '?'
                 : url[k];
  buf[k] = '\0';
  if (cut && len > 4)
    strcat(buf, "...");
}
