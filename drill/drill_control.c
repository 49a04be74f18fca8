/* drill_control.c - fault modes (names, checks, the JSON of the
 * /__drill/fault endpoint), loopback address parsing, and the client side
 * of `stella drill-log fault`. */
#include "drill_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drill.h"
#include "fetch.h"
#include "json.h"

static const char *const drill_fault_names[] = {
  [DRILL_FAULT_NONE] = "none",       [DRILL_FAULT_DOWN] = "down",
  [DRILL_FAULT_HANG] = "hang",       [DRILL_FAULT_GARBAGE] = "garbage",
  [DRILL_FAULT_TRUNCATE] = "truncate", [DRILL_FAULT_SLOW] = "slow",
  [DRILL_FAULT_ERROR] = "error",
};
#define DRILL_N_FAULTS (sizeof drill_fault_names / sizeof *drill_fault_names)

const char *drill_fault_name(drill_fault_mode m) {
  return (size_t)m < DRILL_N_FAULTS ? drill_fault_names[m] : "?";
}


#define DRILL_XSTR(x) #x
#define DRILL_STR(x) DRILL_XSTR(x)

/* What slow and error take; other modes take no argument. */
static const char *drill_fault_arg_help(drill_fault_mode m) {
  if (m == DRILL_FAULT_SLOW)
    return "a delay in ms, 0.." DRILL_STR(DRILL_MAX_SLOW_MS);
  return m == DRILL_FAULT_ERROR ? "an HTTP status, 400..599" : NULL;
}

static int drill_fault_arg_ok(const drill_fault_spec *f) {
  if (f->mode == DRILL_FAULT_SLOW)
    return f->arg >= 0 && f->arg <= DRILL_MAX_SLOW_MS;
  return f->mode != DRILL_FAULT_ERROR || (f->arg >= 400 && f->arg <= 599);
}

/* An argument where one belongs, none where none does, in range. got is
 * the argument as given (text or a number), NULL when absent. */
static stella_err drill_fault_check(const drill_fault_spec *f,
                                    const char *got, char *errbuf,
                                    size_t errlen) {
  const char *mode = drill_fault_name(f->mode);
  const char *help = drill_fault_arg_help(f->mode);
  if (!help && got)
    return errbuf_fail(STELLA_E_INVALID_ARG, errbuf, errlen,
                       "%s takes no argument (got '%s')", mode, got);
  if (help && !got)
    return errbuf_fail(STELLA_E_INVALID_ARG, errbuf, errlen, "%s needs %s",
                       mode, help);
  if (!drill_fault_arg_ok(f))
    return errbuf_fail(STELLA_E_INVALID_ARG, errbuf, errlen,
                       "%s needs %s, not '%s'", mode, help, got);
  return STELLA_OK;
}

static int drill_fault_lookup(const char *name, drill_fault_mode *m) {
  for (size_t i = 0; i < DRILL_N_FAULTS; i++)
    if (!strcmp(name, drill_fault_names[i])) {
      *m = (drill_fault_mode)i;
      return 1;
    }
  return 0;
}

stella_err drill_fault_parse(const char *mode, const char *arg,
                             drill_fault_spec *out, char *errbuf,
                             size_t errlen) {
  memset(out, 0, sizeof *out);
  if (!mode || !drill_fault_lookup(mode, &out->mode))
    return errbuf_fail(STELLA_E_INVALID_ARG, errbuf, errlen,
                       "unknown fault mode '%s' (none, down, "
                       "hang, garbage, truncate, slow MS, error CODE)",
                       mode ? mode : "");
  if (arg && drill_fault_arg_help(out->mode)) {
    char *end;
    errno = 0;
    long v = strtol(arg, &end, 10);
    /* digits only: "-5", " 5", "1e3" and "0x10" are refused as written */
    int digits = *arg >= '0' && *arg <= '9';
    out->arg = !digits || *end || errno ? -1 : v;
  }
  return drill_fault_check(out, arg, errbuf, errlen);
}

stella_err drill_fault_from_json(const char *buf, size_t len,
                                 drill_fault_spec *out, char *errbuf,
                                 size_t errlen) {
  json_doc *doc = NULL;
  if (json_parse(buf, len, &doc, NULL, 0))
    return errbuf_fail(STELLA_E_INVALID_ARG, errbuf, errlen,
                       "the body is not JSON (want "
                       "{\"mode\":\"slow\",\"arg\":250})");
  const json_val *root = json_root(doc);
  const char *mode = json_get_str(root, "mode");
  const json_val *argv = json_get(root, "arg");
  int64_t arg = 0;
  char got[24];
  stella_err e = STELLA_OK;
  memset(out, 0, sizeof *out);
  if (argv && (json_int(argv, &arg) || arg < 0 || arg > 1000000))
    e = errbuf_fail(STELLA_E_INVALID_ARG, errbuf, errlen,
                    "\"arg\" must be a small integer");
  else if (!mode || !drill_fault_lookup(mode, &out->mode))
    e = errbuf_fail(STELLA_E_INVALID_ARG, errbuf, errlen,
                    "unknown fault mode '%s'", mode ? mode : "");
  out->arg = (long)arg;
  snprintf(got, sizeof got, "%ld", out->arg);
  if (!e)
    e = drill_fault_check(out, argv ? got : NULL, errbuf, errlen);
  json_doc_free(doc);
  return e;
}

stella_err drill_fault_to_json(const drill_fault_spec *f, sbuf *out) {
  if (f->mode == DRILL_FAULT_SLOW || f->mode == DRILL_FAULT_ERROR)
    return sbuf_printf(out, "{\"mode\":\"%s\",\"arg\":%ld}",
                       drill_fault_name(f->mode), f->arg);
  return sbuf_printf(out, "{\"mode\":\"%s\"}", drill_fault_name(f->mode));
}

/* ---- addresses ---- */

stella_err drill_addr_parse(const char *addr, struct sockaddr_in *out,
                            char *errbuf, size_t errlen) {
  char host[64];
  const char *p = addr ? addr : "";
  if (!strncmp(p, "http://", 7))
    p += 7;
  const char *colon = strrchr(p, ':');
  memset(out, 0, sizeof *out);
  out->sin_family = AF_INET;
  if (!colon || (size_t)(colon - p) >= sizeof host)
    return errbuf_fail(STELLA_E_INVALID_ARG, errbuf, errlen,
                       "'%s' is not 127.0.0.1:PORT", p);
  memcpy(host, p, (size_t)(colon - p));
  host[colon - p] = '\0';
  char *end;
  errno = 0;
  long port = strtol(colon + 1, &end, 10);
  if (end == colon + 1 || (*end && strcmp(end, "/")) || errno || port < 0 ||
      port > 65535)
    return errbuf_fail(STELLA_E_INVALID_ARG, errbuf, errlen,
                       "'%s' has no valid port", p);
  if (!strcmp(host, "localhost"))
    snprintf(host, sizeof host, "127.0.0.1");
  if (inet_pton(AF_INET, host, &out->sin_addr) != 1 ||
      (ntohl(out->sin_addr.s_addr) >> 24) != 127)
    return errbuf_fail(STELLA_E_INVALID_ARG, errbuf, errlen,
                       "'%s' is not a loopback address (the "
                       "drill log only serves 127.0.0.0/8)",
                       host);
  out->sin_port = htons((uint16_t)port);
  return STELLA_OK;
}

/* ---- the log's name ---- */

/* What is wrong with c as a character of a log name, or NULL. */
static const char *drill_name_flaw(unsigned char c) {
  if (c == ' ')
    return "a space";
  if (c == '+')
    return "a '+'";
  if (c < 0x20 || c == 0x7f)
    return "a control character";
  return c > 0x7f ? "a non-ASCII byte" : NULL;
}

stella_err drill_name_check(const char *name, char *errbuf, size_t errlen) {
  static const char rule[] = "--name must be 1..%d printable ASCII "
      "characters without spaces or '+' (it is the checkpoint's origin "
      "line and its key name), but it %s";
  char what[64] = "";
  size_t len = name ? strlen(name) : 0;
  if (!len)
    snprintf(what, sizeof what, "is empty");
  else if (len > DRILL_MAX_NAME)
    snprintf(what, sizeof what, "is %zu characters long", len);
  for (size_t i = 0; !*what && i < len; i++) {
    const char *flaw = drill_name_flaw((unsigned char)name[i]);
    if (flaw)
      snprintf(what, sizeof what, "has %s at position %zu", flaw, i + 1);
  }
  if (!*what)
    return STELLA_OK;
  return errbuf_fail(STELLA_E_INVALID_ARG, errbuf, errlen, rule,
                     DRILL_MAX_NAME, what);
}

/* ---- stella drill-log fault (a POST through core/fetch.h) ---- */

/* A drill log answers a fault change with the mode now in force: any
 * other 200 (a web server, a proxy's page) changed nothing. */
static int drill_fault_echoed(const drill_fault_spec *want,
                              const sbuf *reply) {
  drill_fault_spec got;
  char why[128];
  return reply->data &&
         !drill_fault_from_json(reply->data, reply->len, &got, why,
                                sizeof why) &&
         got.mode == want->mode && got.arg == want->arg;
}

stella_err drill_fault(const char *addr, const char *mode, const char *arg,
                       char *errbuf, size_t errlen) {
  struct sockaddr_in sa;
  drill_fault_spec f;
  char ip[INET_ADDRSTRLEN], url[96], spare[8];
  if (!errbuf || !errlen) {
    errbuf = spare;
    errlen = sizeof spare;
  }
  stella_err e = drill_addr_parse(addr, &sa, errbuf, errlen);
  if (!e)
    e = drill_fault_parse(mode, arg, &f, errbuf, errlen);
  if (e)
    return e;
  inet_ntop(AF_INET, &sa.sin_addr, ip, sizeof ip);
  snprintf(url, sizeof url, "http://%s:%u/__drill/fault", ip,
           (unsigned)ntohs(sa.sin_port));
  fetch_curl_opts fo = {.connect_timeout_ms = 3000,
                        .total_timeout_ms = 10000};
  stella_fetcher *fetcher = fetch_curl_new(&fo);
  sbuf body = SBUF_INIT, reply = SBUF_INIT;
  long status = 0;
  char why[256] = "";
  if (!fetcher || !fetcher->post)
    e = STELLA_E_NOMEM;
  if (!e)
    e = drill_fault_to_json(&f, &body);
  fetch_post req = {.url = url, .body = body.data, .len = body.len,
                    .max_bytes = 4096};
  if (!e)
    e = fetcher->post(fetcher, &req, &reply, &status, why, sizeof why);
  if (!e && !drill_fault_echoed(&f, &reply))
    e = errbuf_fail(STELLA_E_FORMAT, errbuf, errlen, "%s answered HTTP %ld "
                    "but not with the fault it set (not a drill log?)", url,
                    status);
  else if (e && status)
    snprintf(errbuf, errlen, "%s answered HTTP %ld (not a drill log?)", url,
             status);
  else if (e)
    snprintf(errbuf, errlen, "no drill log answers: %s", why);
  fetch_free(fetcher);
  sbuf_free(&body);
  sbuf_free(&reply);
  return e;
}
