/* repo_ws.c - the repository workspace: policy, staged and published
 * metadata, key files, keyids, signatures and the change log (the building
 * blocks of core/repo_*.c and the root key ceremony). */
#include "repo_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crypto.h"
#include "fsutil.h"
#include "json.h"

#define REPO_JSON_MAX 5000000
#define REPO_KEY_FILE_MAX 65536

const char *const repo_roles[REPO_N_ROLES] = {"root", "targets", "snapshot",
                                              "timestamp"};

/* ---- Handle helpers ------------------------------------------------------ */

stella_err repo_fail(stella_repo *r, stella_err e, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(r->errmsg, sizeof r->errmsg, fmt, ap);
  va_end(ap);
  return e;
}

void repo_note(stella_repo *r, const char *fmt, ...) {
  char line[1024];
  va_list ap;
  if (!r->note)
    return;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  r->note(r->note_ctx, line);
}

stella_err repo_need_ws(stella_repo *r) {
  if (r->ws)
    return STELLA_OK;
  return repo_fail(r, STELLA_E_INVALID_ARG, "no repository workspace is "
                   "open (pass --repo DIR)");
}

void repo_time(int64_t t, char buf[32]) { stella_time_format(t, buf, 32); }

/* ---- JSON files ---------------------------------------------------------- */

stella_err repo_json_load(const char *path, json_t **out, char *errbuf,
                          size_t errlen) {
  sbuf b = SBUF_INIT;
  json_error_t jerr;
  *out = NULL;
  stella_err e = fs_read_file(path, REPO_JSON_MAX, &b);
  if (e) {
    snprintf(errbuf, errlen, "cannot read %s: %s", path, stella_strerror(e));
    return e;
  }
  *out = json_loadb(b.data, b.len, JSON_REJECT_DUPLICATES, &jerr);
  sbuf_free(&b);
  if (!*out) {
    snprintf(errbuf, errlen, "%s is not valid JSON: %s (line %d)", path,
             jerr.text, jerr.line);
    return STELLA_E_PARSE;
  }
  return STELLA_OK;
}

stella_err repo_json_save(const char *path, const json_t *v, int mode) {
  char *text = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS);
  if (!text)
    return STELLA_E_NOMEM;
  size_t n = strlen(text);
  char *withnl = realloc(text, n + 2);
  if (!withnl) {
    free(text);
    return STELLA_E_NOMEM;
  }
  withnl[n] = '\n';
  withnl[n + 1] = '\0';
  stella_err e = fs_write_atomic(path, withnl, n + 1, mode);
  free(withnl);
  return e;
}

/* ---- Workspace ----------------------------------------------------------- */

char *repo_path(const repo_ws *ws, const char *rel) {
  return fs_join(ws->dir, rel);
}

int repo_role_index(const char *role) {
  for (int i = 0; role && i < REPO_N_ROLES; i++)
    if (!strcmp(role, repo_roles[i]))
      return i;
  return -1;
}

int64_t repo_expiry_of(const repo_ws *ws, const char *role) {
  int i = repo_role_index(role);
  return i < 0 ? 0 : ws->expiry[i];
}

void repo_ws_free(repo_ws *ws) {
  if (!ws)
    return;
  free(ws->dir);
  free(ws->key_type);
  free(ws->publish_to);
  for (int i = 0; i < REPO_N_ROLES; i++)
    free(ws->online_key[i]);
  free(ws);
}

static char *repo_strdup_or_null(const char *s) { return s ? strdup(s) : NULL; }

/* Fills ws from the parsed policy; STELLA_E_FORMAT names what is wrong. */
static stella_err repo_ws_from_policy(repo_ws *ws, const json_t *pol,
                                      char *errbuf, size_t errlen) {
  const char *fmt = json_string_value(json_object_get(pol, "format"));
  json_t *exp = json_object_get(pol, "expires");
  json_t *online = json_object_get(pol, "online_keys");
  const char *grace = json_string_value(json_object_get(pol, "grace"));
  if (!fmt || strcmp(fmt, REPO_FORMAT)) {
    snprintf(errbuf, errlen, "%s: format is not %s", REPO_POLICY_FILE,
             REPO_FORMAT);
    return STELLA_E_FORMAT;
  }
  ws->key_type = repo_strdup_or_null(
      json_string_value(json_object_get(pol, "key_type")));
  ws->publish_to = repo_strdup_or_null(
      json_string_value(json_object_get(pol, "publish_to")));
  for (int i = 0; i < REPO_N_ROLES; i++) {
    const char *d = json_string_value(json_object_get(exp, repo_roles[i]));
    if (!d || stella_duration_parse(d, &ws->expiry[i]) || ws->expiry[i] <= 0) {
      snprintf(errbuf, errlen, "%s: expires.%s is not a duration like 90d",
               REPO_POLICY_FILE, repo_roles[i]);
      return STELLA_E_FORMAT;
    }
    if (i > 0)
      ws->online_key[i] = repo_strdup_or_null(
          json_string_value(json_object_get(online, repo_roles[i])));
  }
  ws->grace = ws->expiry[3];
  if (grace && (stella_duration_parse(grace, &ws->grace) || ws->grace < 0)) {
    snprintf(errbuf, errlen, "%s: grace is not a duration", REPO_POLICY_FILE);
    return STELLA_E_FORMAT;
  }
  if (!ws->key_type)
    ws->key_type = strdup("ed25519");
  return ws->key_type ? STELLA_OK : STELLA_E_NOMEM;
}

stella_err repo_ws_load(const char *dir, const stella_clock *clock,
                        repo_ws **out, char *errbuf, size_t errlen) {
  char abs[PATH_MAX];
  json_t *pol = NULL;
  *out = NULL;
  if (!realpath(dir, abs)) {
    snprintf(errbuf, errlen, "%s is not a repository workspace: %s "
             "(create one with `stella tuf repo init --repo DIR`)", dir,
             strerror(errno));
    return STELLA_E_NOT_FOUND;
  }
  char *polpath = fs_join(abs, REPO_POLICY_FILE);
  if (!polpath)
    return STELLA_E_NOMEM;
  stella_err e = repo_json_load(polpath, &pol, errbuf, errlen);
  free(polpath);
  if (e == STELLA_E_NOT_FOUND)
    snprintf(errbuf, errlen, "%s is not a repository workspace: it has no "
             "%s (create one with `stella tuf repo init --repo DIR`)", dir,
             REPO_POLICY_FILE);
  if (e)
    return e;
  repo_ws *ws = calloc(1, sizeof *ws);
  if (!ws || !(ws->dir = strdup(abs))) {
    free(ws);
    json_decref(pol);
    return STELLA_E_NOMEM;
  }
  ws->clock = clock ? clock : stella_clock_system();
  e = repo_ws_from_policy(ws, pol, errbuf, errlen);
  json_decref(pol);
  if (e) {
    repo_ws_free(ws);
    return e;
  }
  *out = ws;
  return STELLA_OK;
}

/* ---- Staged metadata ----------------------------------------------------- */

static char *repo_staged_path(const repo_ws *ws, const char *role) {
  char rel[128];
  snprintf(rel, sizeof rel, "staged/metadata/%s.json", role);
  return repo_path(ws, rel);
}

stella_err repo_staged_load(const repo_ws *ws, const char *role,
                            json_t **envelope, char *errbuf, size_t errlen) {
  char *path = repo_staged_path(ws, role);
  if (!path)
    return STELLA_E_NOMEM;
  stella_err e = repo_json_load(path, envelope, errbuf, errlen);
  free(path);
  if (!e && !json_is_object(json_object_get(*envelope, "signed"))) {
    snprintf(errbuf, errlen, "staged %s.json has no \"signed\" object", role);
    json_decref(*envelope);
    *envelope = NULL;
    return STELLA_E_FORMAT;
  }
  return e;
}

stella_err repo_staged_save(const repo_ws *ws, const char *role,
                            const json_t *envelope) {
  char *path = repo_staged_path(ws, role);
  if (!path)
    return STELLA_E_NOMEM;
  stella_err e = repo_json_save(path, envelope, REPO_FILE_MODE);
  free(path);
  return e;
}

/* ---- Canonical form, keys, signatures ------------------------------------ */

stella_err repo_canonical(const json_t *signed_obj, sbuf *out) {
  char *text = json_dumps(signed_obj, JSON_COMPACT | JSON_SORT_KEYS);
  json_doc *doc = NULL;
  if (!text)
    return STELLA_E_NOMEM;
  stella_err e = json_parse(text, strlen(text), &doc, NULL, 0);
  if (!e)
    e = json_canonical(json_root(doc), out);
  json_doc_free(doc);
  free(text);
  return e;
}

stella_err repo_key_object(const crypto_signer *s, json_t **keyobj,
                           char keyid[65]) {
  const char *keytype, *scheme;
  char *pub;
  sbuf canon = SBUF_INIT;
  *keyobj = NULL;
  stella_err e = crypto_signer_tuf_fields(s, &keytype, &scheme, &pub);
  if (e)
    return e;
  json_t *k = json_pack("{s:s, s:s, s:{s:s}}", "keytype", keytype, "scheme",
                        scheme, "keyval", "public", pub);
  free(pub);
  if (!k)
    return STELLA_E_NOMEM;
  e = repo_canonical(k, &canon);
  if (!e) {
    uint8_t digest[CRYPTO_SHA256_LEN];
    crypto_sha256(canon.data, canon.len, digest);
    hex_encode(digest, sizeof digest, keyid);
    *keyobj = k;
  } else {
    json_decref(k);
  }
  sbuf_free(&canon);
  return e;
}

stella_err repo_key_load(const char *path, crypto_signer **out, char *errbuf,
                         size_t errlen) {
  struct stat st;
  sbuf b = SBUF_INIT;
  *out = NULL;
  if (stat(path, &st) != 0) {
    int err = errno;
    snprintf(errbuf, errlen, "key file %s: %s (check the path: root key "
             "holders' files are in DIR/keys/root/, online keys in "
             "DIR/keys/<role>/)", path, strerror(err));
    return err == ENOENT ? STELLA_E_NOT_FOUND : STELLA_E_IO;
  }
  if (!S_ISREG(st.st_mode)) {
    snprintf(errbuf, errlen, "key file %s is not a regular file", path);
    return STELLA_E_IO;
  }
  /* A private key anyone else can read is a leaked key: refuse it. */
  if (st.st_mode & 077) {
    snprintf(errbuf, errlen, "key file %s is readable by group or others "
             "(mode %04o): refusing to use it (chmod 600 %s, and treat the "
             "key as exposed if others could log in)", path,
             (unsigned)(st.st_mode & 07777), path);
    return STELLA_E_IO;
  }
  stella_err e = fs_read_file(path, REPO_KEY_FILE_MAX, &b);
  if (!e)
    e = crypto_signer_from_pem(b.data, b.len, out);
  if (b.data)
    memset(b.data, 0, b.len); /* do not leave key bytes in freed memory */
  sbuf_free(&b);
  if (e == STELLA_E_PARSE || e == STELLA_E_TOO_LARGE)
    snprintf(errbuf, errlen, "key file %s is not a PEM private key "
             "(PKCS#8 ed25519 or ECDSA P-256)", path);
  else if (e == STELLA_E_UNSUPPORTED)
    snprintf(errbuf, errlen, "key file %s holds a key type stella cannot "
             "sign with (use ed25519 or ECDSA P-256)", path);
  else if (e)
    snprintf(errbuf, errlen, "key file %s: %s", path, stella_strerror(e));
  return e == STELLA_E_TOO_LARGE ? STELLA_E_PARSE : e;
}

stella_err repo_sign_envelope(json_t *envelope, const crypto_signer *s,
                              char keyid_out[65]) {
  json_t *keyobj = NULL;
  char keyid[65];
  sbuf canon = SBUF_INIT;
  char *sig = NULL;
  stella_err e = repo_key_object(s, &keyobj, keyid);
  json_decref(keyobj);
  if (!e)
    e = repo_canonical(json_object_get(envelope, "signed"), &canon);
  if (!e)
    e = crypto_signer_sign_hex(s, (const uint8_t *)canon.data, canon.len,
                               &sig);
  sbuf_free(&canon);
  if (e)
    return e;
  json_t *sigs = json_object_get(envelope, "signatures");
  if (!json_is_array(sigs)) {
    sigs = json_array();
    json_object_set_new(envelope, "signatures", sigs);
  }
  size_t i;
  json_t *it;
  json_array_foreach(sigs, i, it) {
    const char *kid = json_string_value(json_object_get(it, "keyid"));
    if (kid && !strcmp(kid, keyid)) {
      json_array_remove(sigs, i);
      break;
    }
  }
  e = json_array_append_new(sigs, json_pack("{s:s, s:s}", "keyid", keyid,
                                            "sig", sig))
          ? STELLA_E_NOMEM
          : STELLA_OK;
  free(sig);
  if (keyid_out)
    memcpy(keyid_out, keyid, 65);
  return e;
}

/* 1 when envelope carries a valid signature by keyid with key k. */
static int repo_sig_valid(const json_t *envelope, const char *keyid,
                          const json_t *k, const sbuf *canon) {
  crypto_key *ck = NULL;
  const char *pub = json_string_value(
      json_object_get(json_object_get(k, "keyval"), "public"));
  const char *keytype = json_string_value(json_object_get(k, "keytype"));
  const char *scheme = json_string_value(json_object_get(k, "scheme"));
  if (!pub || !keytype || !scheme ||
      crypto_key_from_tuf(keytype, scheme, pub, strlen(pub), &ck))
    return 0;
  int ok = 0;
  size_t i;
  json_t *it;
  json_array_foreach(json_object_get(envelope, "signatures"), i, it) {
    const char *kid = json_string_value(json_object_get(it, "keyid"));
    const char *sig = json_string_value(json_object_get(it, "sig"));
    if (kid && sig && !strcmp(kid, keyid) &&
        crypto_verify_hex(ck, (const uint8_t *)canon->data, canon->len, sig,
                          strlen(sig))) {
      ok = 1;
      break;
    }
  }
  crypto_key_free(ck);
  return ok;
}

static void repo_missing_add(stella_repo_missing *m, const char *keyid) {
  size_t n = strlen(m->keyids);
  snprintf(m->keyids + n, sizeof m->keyids - n, "%s%.16s", n ? ", " : "",
           keyid);
}

stella_err repo_count_signatures(const json_t *root_signed, const char *role,
                                 const json_t *envelope, int *have, int *need,
                                 stella_repo_missing *missing) {
  const json_t *r = json_object_get(json_object_get(root_signed, "roles"),
                                    role);
  const json_t *keys = json_object_get(root_signed, "keys");
  json_int_t threshold = json_integer_value(json_object_get(r, "threshold"));
  sbuf canon = SBUF_INIT;
  *have = 0;
  *need = (int)threshold;
  if (!r || threshold < 1)
    return STELLA_E_FORMAT;
  stella_err e = repo_canonical(json_object_get(envelope, "signed"), &canon);
  if (e)
    return e;
  if (missing) {
    memset(missing, 0, sizeof *missing);
    snprintf(missing->role, sizeof missing->role, "%s", role);
    missing->version = (int)json_integer_value(
        json_object_get(json_object_get(envelope, "signed"), "version"));
    missing->need = (int)threshold;
  }
  size_t i;
  json_t *it;
  json_array_foreach(json_object_get(r, "keyids"), i, it) {
    const char *kid = json_string_value(it);
    if (!kid)
      continue;
    if (missing)
      missing->keys++;
    if (repo_sig_valid(envelope, kid, json_object_get(keys, kid), &canon))
      (*have)++;
    else if (missing)
      repo_missing_add(missing, kid);
  }
  if (missing)
    missing->have = *have;
  sbuf_free(&canon);
  return STELLA_OK;
}

/* ---- Published state ----------------------------------------------------- */

/* Highest N of published/N.<role>.json (0 if none). */
static int64_t repo_highest_version(const repo_ws *ws, const char *role) {
  char *dir = repo_path(ws, "published");
  DIR *d = dir ? opendir(dir) : NULL;
  int64_t best = 0;
  size_t rlen = strlen(role);
  free(dir);
  if (!d)
    return 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    char *end;
    long long v = strtoll(de->d_name, &end, 10);
    if (end != de->d_name && *end == '.' && !strncmp(end + 1, role, rlen) &&
        !strcmp(end + 1 + rlen, ".json") && v > best)
      best = v;
  }
  closedir(d);
  return best;
}

int64_t repo_published_version(const repo_ws *ws, const char *role) {
  if (strcmp(role, "timestamp"))
    return repo_highest_version(ws, role);
  json_t *env = NULL;
  if (repo_published_load(ws, role, &env))
    return 0;
  int64_t v = json_integer_value(
      json_object_get(json_object_get(env, "signed"), "version"));
  json_decref(env);
  return v;
}

stella_err repo_published_load(const repo_ws *ws, const char *role,
                               json_t **envelope) {
  char rel[160], err[256];
  *envelope = NULL;
  if (!strcmp(role, "timestamp")) {
    snprintf(rel, sizeof rel, "published/timestamp.json");
  } else {
    int64_t v = repo_highest_version(ws, role);
    if (!v)
      return STELLA_E_NOT_FOUND;
    snprintf(rel, sizeof rel, "published/%lld.%s.json", (long long)v, role);
  }
  char *path = repo_path(ws, rel);
  if (!path)
    return STELLA_E_NOMEM;
  stella_err e = repo_json_load(path, envelope, err, sizeof err);
  free(path);
  return e;
}

/* ---- Lock ---------------------------------------------------------------- */

stella_err repo_lock(stella_repo *r, int *fd_out) {
  char *path = repo_path(r->ws, ".lock");
  int fd = path ? open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600) : -1;
  free(path);
  *fd_out = -1;
  if (fd < 0)
    return repo_fail(r, STELLA_E_IO, "cannot create %s/.lock: %s (check the "
                     "workspace is writable by you)", r->ws->dir,
                     strerror(errno));
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    close(fd);
    return repo_fail(r, STELLA_E_EXISTS, "another stella tuf command is "
                     "changing %s right now (wait for it to finish, then "
                     "retry)", r->ws->dir);
  }
  *fd_out = fd;
  return STELLA_OK;
}

void repo_unlock(int fd) {
  if (fd >= 0)
    close(fd); /* releases the flock */
}

/* ---- Admin input --------------------------------------------------------- */

stella_err repo_check_url(stella_repo *r, const char *opt, const char *url,
                          char out[URL_MAX + 1]) {
  char shown[128];
  const char *why = url_problem(url, URL_HTTP);
  if (!url || !*url)
    return repo_fail(r, STELLA_E_INVALID_ARG, "%s needs an http:// or "
                     "https:// URL", opt);
  if (why) {
    url_shown(url, shown, sizeof shown);
    return repo_fail(r, STELLA_E_INVALID_ARG, "%s %s is not usable: %s",
                     opt, shown, why);
  }
  size_t n = strlen(url);
  while (url[n - 1] == '/') /* stops at the host, which has no '/' */
    n--;
  snprintf(out, URL_MAX + 1, "%.*s", (int)n, url);
  return STELLA_OK;
}

int repo_same_url(const char *a, const char *b) {
  size_t na = strlen(a), nb = strlen(b);
  while (na && a[na - 1] == '/')
    na--;
  while (nb && b[nb - 1] == '/')
    nb--;
  return na == nb && !memcmp(a, b, na);
}

size_t repo_control_len(const char *p) {
  const unsigned char *u = (const unsigned char *)p;
  if (*u && (*u < 0x20 || *u == 0x7f))
    return 1;
  return u[0] == 0xc2 && u[1] >= 0x80 && u[1] <= 0x9f ? 2 : 0;
}

long repo_control_at(const char *s) {
  for (const char *p = s; *p; p++)
    if (repo_control_len(p))
      return (long)(p - s);
  return -1;
}

stella_err repo_check_text(stella_repo *r, const char *opt, const char *text) {
  if (!text)
    return STELLA_OK;
  json_t *utf8 = json_string(text); /* NULL when text is not UTF-8 */
  long at = repo_control_at(text);
  json_decref(utf8);
  if (!utf8)
    return repo_fail(r, STELLA_E_INVALID_ARG, "%s is not UTF-8 text (write "
                     "it in UTF-8)", opt);
  if (at >= 0)
    return repo_fail(r, STELLA_E_INVALID_ARG, "%s has a control character "
                     "(a tab, line break or escape) at byte %ld: it is "
                     "published and shown on terminals (write it as one line "
                     "of plain text)", opt, at + 1);
  if (strlen(text) > REPO_TEXT_MAX)
    return repo_fail(r, STELLA_E_INVALID_ARG, "%s is %zu bytes long (at "
                     "most %d: it is published to every client)", opt,
                     strlen(text), REPO_TEXT_MAX);
  return STELLA_OK;
}

/* What is wrong with one byte of a key name, or NULL. */
static const char *repo_name_byte_flaw(unsigned char c) {
  if (c == ' ')
    return "a space";
  if (c == '/')
    return "a '/'";
  if (c < 0x20 || c == 0x7f)
    return "a control character";
  return c > 0x7f ? "a non-ASCII byte" : NULL;
}

stella_err repo_check_name(stella_repo *r, const char *opt, const char *name) {
  char why[64] = "";
  size_t len = name ? strlen(name) : 0;
  if (!len)
    snprintf(why, sizeof why, "is empty");
  else if (len > REPO_NAME_MAX)
    snprintf(why, sizeof why, "is %zu characters long", len);
  else if (name[0] == '.')
    snprintf(why, sizeof why, "starts with '.'");
  for (size_t i = 0; !why[0] && i < len; i++) {
    const char *flaw = repo_name_byte_flaw((unsigned char)name[i]);
    if (flaw)
      snprintf(why, sizeof why, "has %s at position %zu", flaw, i + 1);
  }
  if (!why[0])
    return STELLA_OK;
  return repo_fail(r, STELLA_E_INVALID_ARG, "%s must be 1..%d printable "
                   "ASCII characters without spaces or '/', not starting with "
                   "'.' (names are shown, typed and used in file names), but "
                   "it %s", opt, REPO_NAME_MAX, why);
}

/* ---- Change log ---------------------------------------------------------- */

/* Tabs and newlines would break the one-line-per-change format. */
static void repo_flatten(char *s) {
  for (; *s; s++)
    if (*s == '\t' || *s == '\n' || *s == '\r')
      *s = ' ';
}

stella_err repo_changelog(const repo_ws *ws, const char *what,
                          const char *note) {
  char now[32];
  sbuf line = SBUF_INIT;
  repo_time(ws->clock->now(ws->clock->ctx), now);
  stella_err e = sbuf_printf(&line, "%s\t%s\t%s", now, what,
                             note ? note : "");
  char *path = repo_path(ws, "CHANGELOG");
  if (!e && !path)
    e = STELLA_E_NOMEM;
  if (!e) {
    repo_flatten(line.data);
    e = sbuf_append_char(&line, '\n');
  }
  if (!e) {
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, line.data, line.len) != (ssize_t)line.len ||
        fsync(fd) != 0)
      e = STELLA_E_IO;
    if (fd >= 0)
      close(fd);
  }
  free(path);
  sbuf_free(&line);
  return e;
}
