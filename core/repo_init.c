/* repo_init.c - the stella_repo handle and `stella tuf repo init`: a new
 * workspace with keys per role, root v1 signed by every key holder, the
 * service-map targets, the policy, the scripts and the change log. The
 * workspace is built in a temp folder beside DIR and renamed into place, so
 * a failed init leaves nothing behind. */
#include "repo_internal.h"
#include "repo_targets.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"

#define REPO_PUBKEY_MAX 65536

static const char *const repo_default_expiry[REPO_N_ROLES] = {"365d", "90d",
                                                              "7d", "1d"};

/* The scripts' first lines: the stella binary, or one line on why not. */
#define REPO_SCRIPT_FIND_STELLA                                                \
  "stella=${STELLA_BIN:-stella}\n"                                             \
  "command -v \"$stella\" >/dev/null 2>&1 || {\n"                              \
  "  echo \"$0: cannot run '$stella' \"\\\n"                                   \
  "\"(install stella or set STELLA_BIN)\" >&2\n"                               \
  "  exit 1\n"                                                                 \
  "}\n"

static const char repo_sign_script[] =
    "#!/bin/sh\n"
    "# Signs this repository's staged changes: bumps versions, sets expiries\n"
    "# from stella-repo.json, signs with the online keys, lists missing\n"
    "# signatures. Flags go to `stella tuf sign` (e.g. --role root --key F).\n"
    "here=$(cd \"$(dirname \"$0\")/..\" && pwd) || exit 1\n"
    REPO_SCRIPT_FIND_STELLA
    "exec \"$stella\" tuf sign --repo \"$here\" \"$@\"\n";

static const char repo_publish_script[] =
    "#!/bin/sh\n"
    "# Publishes this repository: preflight with stella's own TUF client,\n"
    "# then the web root (stella-repo.json publish_to, or --to DIR),\n"
    "# timestamp.json last. Flags go to `stella tuf publish`.\n"
    "here=$(cd \"$(dirname \"$0\")/..\" && pwd) || exit 1\n"
    REPO_SCRIPT_FIND_STELLA
    "exec \"$stella\" tuf publish --repo \"$here\" \"$@\"\n";

/* ---- The handle ---------------------------------------------------------- */

stella_repo *stella_repo_new(const stella_clock *clock, stella_note_fn note,
                             void *note_ctx) {
  stella_repo *r = calloc(1, sizeof *r);
  if (!r)
    return NULL;
  r->clock = clock ? clock : stella_clock_system();
  r->note = note;
  r->note_ctx = note_ctx;
  return r;
}

void stella_repo_free(stella_repo *r) {
  if (!r)
    return;
  repo_ws_free(r->ws);
  free(r);
}

const char *stella_repo_errmsg(const stella_repo *r) {
  return r ? r->errmsg : "";
}

const char *stella_repo_dir(const stella_repo *r) {
  return r && r->ws ? r->ws->dir : "";
}

stella_err stella_repo_open(stella_repo *r, const char *dir) {
  char err[768] = "";
  repo_ws *ws = NULL;
  r->errmsg[0] = '\0';
  stella_err e = repo_ws_load(dir, r->clock, &ws, err, sizeof err);
  if (e)
    return repo_fail(r, e, "%s", err);
  repo_ws_free(r->ws);
  r->ws = ws;
  return STELLA_OK;
}

/* ---- Init ---------------------------------------------------------------- */

/* The log key's name from its file name: "/x/rekor-key-v1.pub" ->
 * "rekor-key-v1". */
void repo_name_from_file(const char *path, char *out, size_t outlen) {
  const char *base = strrchr(path, '/');
  base = base ? base + 1 : path;
  snprintf(out, outlen, "%s", base);
  char *dot = strrchr(out, '.');
  if (dot && dot != out)
    *dot = '\0';
}

/* The URL's host as a default operator name. */
static void repo_url_host(const char *url, char *out, size_t outlen) {
  const char *p = strstr(url, "://");
  p = p ? p + 3 : url;
  size_t n = strcspn(p, "/:?#");
  snprintf(out, outlen, "%.*s", (int)n, p);
}

stella_err repo_read_public_key(stella_repo *r, const char *path,
                                uint8_t **der, size_t *derlen,
                                const char **details) {
  sbuf b = SBUF_INIT;
  stella_err e = fs_read_file(path, REPO_PUBKEY_MAX, &b);
  if (e) {
    sbuf_free(&b);
    return repo_fail(r, e == STELLA_E_NOT_FOUND ? e : STELLA_E_IO,
                     "cannot read the public key %s: %s (give the log's PEM "
                     "public key file)", path,
                     e == STELLA_E_NOT_FOUND ? "no such file"
                                             : stella_strerror(e));
  }
  e = crypto_public_pem_to_der(b.data, b.len, der, derlen, details);
  sbuf_free(&b);
  if (e == STELLA_E_UNSUPPORTED)
    return repo_fail(r, e, "%s: only ECDSA P-256 and ed25519 log keys are "
                     "supported", path);
  if (e)
    return repo_fail(r, STELLA_E_PARSE, "%s is not a PEM public key "
                     "(-----BEGIN PUBLIC KEY-----; a private key or "
                     "certificate will not do)", path);
  return STELLA_OK;
}

static stella_err repo_check_init_opts(stella_repo *r,
                                       const stella_repo_init_opts *o) {
  int n = o->root_keys ? o->root_keys : 1;
  int m = o->root_threshold ? o->root_threshold : 1;
  if (n < 1 || n > 32 || m < 1 || m > n)
    return repo_fail(r, STELLA_E_INVALID_ARG, "a threshold of %d of %d root "
                     "keys can never be met (need 1 <= --root-threshold <= "
                     "--root-keys <= 32)", m, n);
  if (o->key_type && strcmp(o->key_type, "ed25519") &&
      strcmp(o->key_type, "ecdsa-p256"))
    return repo_fail(r, STELLA_E_INVALID_ARG, "--key-type '%s' is not one of "
                     "ed25519, ecdsa-p256", o->key_type);
  if (!o->rekor_key_file)
    return repo_fail(r, STELLA_E_INVALID_ARG, "--rekor-key FILE.pub is "
                     "needed");
  char name[128];
  repo_name_from_file(o->rekor_key_file, name, sizeof name);
  stella_err e = repo_check_name(r, o->rekor_key_name
                                        ? "the log key name"
                                        : "the log key's name (from the "
                                          "--rekor-key file name)",
                                 o->rekor_key_name ? o->rekor_key_name
                                                   : name);
  if (!e)
    e = repo_check_text(r, "the operator name", o->operator_name);
  if (e)
    return e;
  /* a bad log key file is refused before any key is generated */
  uint8_t *der = NULL;
  size_t derlen = 0;
  const char *details = NULL;
  e = repo_read_public_key(r, o->rekor_key_file, &der, &derlen, &details);
  free(der);
  return e;
}

/* out = o with every Rekor URL checked and without trailing '/', in one
 * block *mem (caller frees): the mirror pointers, then the URLs. A URL
 * given twice would be one endpoint listed twice: refused. */
static stella_err repo_init_urls(stella_repo *r,
                                 const stella_repo_init_opts *o,
                                 stella_repo_init_opts *out, char **mem) {
  size_t n = o->n_mirror_urls, each = URL_MAX + 1;
  *out = *o;
  *mem = calloc(n + 1, sizeof(char *) + each);
  if (!*mem)
    return repo_fail(r, STELLA_E_NOMEM, "out of memory");
  const char **mirrors = (const char **)(void *)*mem;
  char *url = *mem + n * sizeof(char *);
  stella_err e = repo_check_url(r, "--rekor-url", o->rekor_url, url);
  for (size_t i = 0; !e && i < n; i++) {
    mirrors[i] = url + (i + 1) * each;
    e = repo_check_url(r, "--mirror-url", o->mirror_urls[i],
                       (char *)mirrors[i]);
    for (size_t k = 0; !e && k <= i; k++)
      if (!strcmp(url + k * each, mirrors[i]))
        e = repo_fail(r, STELLA_E_INVALID_ARG, "--mirror-url %s is given "
                      "twice, or is the --rekor-url (each endpoint once)",
                      mirrors[i]);
  }
  out->rekor_url = url;
  out->mirror_urls = mirrors;
  return e;
}

/* Generates a key, saves it 0600 at dir/rel and adds it to root's keys. */
static stella_err repo_new_key(stella_repo *r, const char *dir,
                               const char *rel, const char *key_type,
                               json_t *root_keys, char keyid[65]) {
  crypto_signer *s = NULL;
  json_t *keyobj = NULL;
  char *path = fs_join(dir, rel);
  stella_err e = path ? crypto_signer_generate(key_type, &s) : STELLA_E_NOMEM;
  if (!e)
    e = crypto_signer_save(s, path);
  if (!e)
    e = repo_key_object(s, &keyobj, keyid);
  if (!e && json_object_set_new(root_keys, keyid, keyobj))
    e = STELLA_E_NOMEM;
  crypto_signer_free(s);
  free(path);
  if (e)
    return repo_fail(r, e, "generating %s failed: %s", rel,
                     stella_strerror(e));
  repo_note(r, "generated %s (%s, keyid %.16s)", rel, key_type, keyid);
  return STELLA_OK;
}

static json_t *repo_role_entry(int threshold) {
  return json_pack("{s:[], s:i}", "keyids", "threshold", threshold);
}

/* Keys for every role and the signed part of root v1. */
static stella_err repo_make_keys(stella_repo *r, const char *dir,
                                 const stella_repo_init_opts *o,
                                 const char *key_type, json_t **root_signed) {
  int n = o->root_keys ? o->root_keys : 1;
  int m = o->root_threshold ? o->root_threshold : 1;
  char exp[32], keyid[65], rel[128];
  int64_t now = r->clock->now(r->clock->ctx), days;
  stella_duration_parse(repo_default_expiry[0], &days);
  repo_time(now + days, exp);
  json_t *keys = json_object(), *roles = json_object();
  json_t *rs = json_pack("{s:s, s:s, s:i, s:s, s:b, s:o, s:o}", "_type",
                         "root", "spec_version", REPO_SPEC_VERSION, "version",
                         1, "expires", exp, "consistent_snapshot", 1, "keys",
                         keys, "roles", roles);
  if (!rs)
    return repo_fail(r, STELLA_E_NOMEM, "out of memory");
  stella_err e = STELLA_OK;
  for (int i = 0; !e && i < REPO_N_ROLES; i++) {
    json_t *entry = repo_role_entry(i == 0 ? m : 1);
    json_object_set_new(roles, repo_roles[i], entry);
    for (int k = 0; !e && k < (i == 0 ? n : 1); k++) {
      if (i == 0)
        snprintf(rel, sizeof rel, "keys/root/holder-%d.pem", k + 1);
      else
        snprintf(rel, sizeof rel, "keys/%s/%s.pem", repo_roles[i],
                 repo_roles[i]);
      e = repo_new_key(r, dir, rel, key_type, keys, keyid);
      if (!e)
        json_array_append_new(json_object_get(entry, "keyids"),
                              json_string(keyid));
    }
  }
  if (e)
    json_decref(rs);
  else
    *root_signed = rs;
  return e;
}

/* Root v1 signed by every holder (they are all present at init). */
static stella_err repo_make_root(stella_repo *r, const char *dir,
                                 json_t *root_signed, int holders) {
  char err[512], rel[128];
  json_t *env = json_pack("{s:O, s:[]}", "signed", root_signed, "signatures");
  stella_err e = env ? STELLA_OK : STELLA_E_NOMEM;
  for (int k = 0; !e && k < holders; k++) {
    crypto_signer *s = NULL;
    snprintf(rel, sizeof rel, "keys/root/holder-%d.pem", k + 1);
    char *path = fs_join(dir, rel);
    e = path ? repo_key_load(path, &s, err, sizeof err) : STELLA_E_NOMEM;
    if (!e)
      e = repo_sign_envelope(env, s, NULL);
    crypto_signer_free(s);
    free(path);
  }
  if (!e) {
    char *path = fs_join(dir, "staged/metadata/root.json");
    e = path ? repo_json_save(path, env, REPO_FILE_MODE) : STELLA_E_NOMEM;
    free(path);
  }
  json_decref(env);
  if (e)
    return repo_fail(r, e, "signing root v1 failed: %s", stella_strerror(e));
  return STELLA_OK;
}

static stella_err repo_write_policy(stella_repo *r, const char *dir,
                                    const stella_repo_init_opts *o,
                                    const char *key_type) {
  json_t *pol = json_pack(
      "{s:s, s:s, s:{s:s, s:s, s:s, s:s}, s:{s:s, s:s, s:s}}", "format",
      REPO_FORMAT, "key_type", key_type, "expires", "root",
      repo_default_expiry[0], "targets", repo_default_expiry[1], "snapshot",
      repo_default_expiry[2], "timestamp", repo_default_expiry[3],
      "online_keys", "targets", "keys/targets/targets.pem", "snapshot",
      "keys/snapshot/snapshot.pem", "timestamp",
      "keys/timestamp/timestamp.pem");
  if (pol && o->publish_to) {
    /* stored absolute: the scripts run from anywhere */
    char abs[PATH_MAX], cwd[PATH_MAX];
    sbuf to = SBUF_INIT;
    if (realpath(o->publish_to, abs))
      sbuf_append_str(&to, abs);
    else if (o->publish_to[0] != '/' && getcwd(cwd, sizeof cwd))
      sbuf_printf(&to, "%s/%s", cwd, o->publish_to);
    else
      sbuf_append_str(&to, o->publish_to);
    json_object_set_new(pol, "publish_to", json_string(to.data ? to.data
                                                               : ""));
    sbuf_free(&to);
  }
  char *path = fs_join(dir, REPO_POLICY_FILE);
  stella_err e = pol && path ? repo_json_save(path, pol, REPO_FILE_MODE)
                             : STELLA_E_NOMEM;
  json_decref(pol);
  free(path);
  if (e)
    return repo_fail(r, e, "writing %s failed: %s", REPO_POLICY_FILE,
                     stella_strerror(e));
  return STELLA_OK;
}

static stella_err repo_write_scripts(stella_repo *r, const char *dir) {
  char *sign = fs_join(dir, "scripts/sign-metadata.sh");
  char *pub = fs_join(dir, "scripts/publish.sh");
  stella_err e = sign && pub ? STELLA_OK : STELLA_E_NOMEM;
  if (!e)
    e = fs_write_atomic(sign, repo_sign_script, strlen(repo_sign_script),
                        0755);
  if (!e)
    e = fs_write_atomic(pub, repo_publish_script,
                        strlen(repo_publish_script), 0755);
  free(sign);
  free(pub);
  if (e)
    return repo_fail(r, e, "writing scripts/ failed: %s", stella_strerror(e));
  return STELLA_OK;
}

/* The three service-map targets for a workspace loaded at ws. */
static stella_err repo_write_service_map(stella_repo *r, const repo_ws *ws,
                                         const stella_repo_init_opts *o) {
  uint8_t *der = NULL;
  size_t derlen = 0;
  const char *details = NULL;
  char name[128], op[256];
  int64_t now = r->clock->now(r->clock->ctx);
  stella_err e = repo_read_public_key(r, o->rekor_key_file, &der, &derlen,
                                      &details);
  if (e)
    return e;
  if (o->rekor_key_name)
    snprintf(name, sizeof name, "%s", o->rekor_key_name);
  else
    repo_name_from_file(o->rekor_key_file, name, sizeof name);
  if (o->operator_name)
    snprintf(op, sizeof op, "%s", o->operator_name);
  else
    repo_url_host(o->rekor_url, op, sizeof op);
  json_t *tr = repo_empty_trusted_root(), *sc = repo_empty_signing_config();
  json_t *sk = repo_empty_signing_keys();
  json_t *tlog = repo_tlog_entry(o->rekor_url, der, derlen, details, now);
  free(der);
  if (!tr || !sc || !sk || !tlog) {
    e = STELLA_E_NOMEM;
  } else {
    json_array_append(json_object_get(tr, "tlogs"), tlog);
    json_array_append_new(json_object_get(sc, "rekorTlogUrls"),
                          repo_rekor_entry(o->rekor_url, op, now));
    for (size_t i = 0; i < o->n_mirror_urls; i++)
      json_array_append_new(json_object_get(sc, "rekorTlogUrls"),
                            repo_rekor_entry(o->mirror_urls[i], op, now));
    json_array_append_new(json_object_get(sk, "logKeyNames"),
                          json_pack("{s:O, s:s}", "logId",
                                    json_object_get(tlog, "logId"), "name",
                                    name));
    e = repo_target_save(ws, REPO_TRUSTED_ROOT, tr);
    if (!e)
      e = repo_target_save(ws, REPO_SIGNING_CONFIG, sc);
    if (!e)
      e = repo_target_save(ws, REPO_SIGNING_KEYS, sk);
  }
  json_decref(tr);
  json_decref(sc);
  json_decref(sk);
  json_decref(tlog);
  char what[512];
  snprintf(what, sizeof what, "repository created: Rekor %s, log key %s",
           o->rekor_url, name);
  for (int i = 0; !e && i < REPO_N_TARGETS; i++)
    e = repo_target_note(ws, repo_target_names[i], what, NULL);
  if (!e)
    e = repo_changelog(ws, what, NULL);
  if (e)
    return repo_fail(r, e, "writing the service map failed: %s",
                     stella_strerror(e));
  return STELLA_OK;
}

static int repo_rm_entry(const char *path, const struct stat *st, int type,
                         struct FTW *ftw) {
  (void)st;
  (void)type;
  (void)ftw;
  return remove(path);
}

void repo_rm_tree(const char *path) {
  nftw(path, repo_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* 1 when dir is absent or an empty folder. */
static int repo_dir_usable(const char *dir) {
  DIR *d = opendir(dir);
  if (!d)
    return errno == ENOENT;
  struct dirent *de;
  int empty = 1;
  while (empty && (de = readdir(d)))
    empty = !strcmp(de->d_name, ".") || !strcmp(de->d_name, "..");
  closedir(d);
  return empty;
}

static stella_err repo_make_dirs(stella_repo *r, const char *tmp) {
  static const char *const dirs[] = {
    "keys/root", "keys/targets", "keys/snapshot", "keys/timestamp",
    "staged/metadata", "staged/targets", "published", "scripts"};
  for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
    char *p = fs_join(tmp, dirs[i]);
    stella_err e = p ? fs_mkdirs(p, REPO_DIR_MODE) : STELLA_E_NOMEM;
    free(p);
    if (e)
      return repo_fail(r, e, "creating %s/%s failed: %s", tmp, dirs[i],
                       stella_strerror(e));
  }
  return STELLA_OK;
}

/* Everything of init that happens inside the temp folder. */
static stella_err repo_init_in(stella_repo *r, const char *tmp,
                               const stella_repo_init_opts *o) {
  const char *key_type = o->key_type ? o->key_type : "ed25519";
  json_t *root_signed = NULL;
  stella_err e = repo_make_dirs(r, tmp);
  if (!e)
    e = repo_make_keys(r, tmp, o, key_type, &root_signed);
  if (!e)
    e = repo_make_root(r, tmp, root_signed,
                       o->root_keys ? o->root_keys : 1);
  json_decref(root_signed);
  if (!e)
    e = repo_write_policy(r, tmp, o, key_type);
  if (!e)
    e = repo_write_scripts(r, tmp);
  if (!e)
    e = stella_repo_open(r, tmp);
  if (!e)
    e = repo_write_service_map(r, r->ws, o);
  if (!e) {
    size_t n_missing = 0;
    e = stella_repo_sign(r, NULL, NULL, &n_missing);
    if (!e && n_missing)
      e = repo_fail(r, STELLA_E_SIGNATURE, "the new repository is not fully "
                    "signed (%zu roles short)", n_missing);
  }
  return e;
}

/* init with o's URLs checked (stella_repo_init). */
static stella_err repo_init_at(stella_repo *r, const char *dir,
                               const stella_repo_init_opts *o) {
  stella_err e = repo_check_init_opts(r, o);
  if (e)
    return e;
  if (!repo_dir_usable(dir))
    return repo_fail(r, STELLA_E_EXISTS, "%s exists and is not empty: "
                     "refusing to create a repository over it (choose a new "
                     "folder)", dir);
  size_t n = strlen(dir);
  while (n > 1 && dir[n - 1] == '/')
    n--;
  char tmp[PATH_MAX + 16], final[PATH_MAX];
  if (n >= sizeof final)
    return repo_fail(r, STELLA_E_INVALID_ARG, "--repo path is too long");
  snprintf(final, sizeof final, "%.*s", (int)n, dir);
  snprintf(tmp, sizeof tmp, "%s.init-XXXXXX", final);
  if (!mkdtemp(tmp))
    return repo_fail(r, STELLA_E_IO, "cannot create a folder beside %s: %s "
                     "(check the parent folder exists and is writable)", dir,
                     strerror(errno));
  chmod(tmp, REPO_DIR_MODE);
  e = repo_init_in(r, tmp, o);
  repo_ws_free(r->ws);
  r->ws = NULL;
  if (!e) {
    rmdir(final); /* an empty folder given as DIR */
    if (rename(tmp, final) != 0)
      e = repo_fail(r, STELLA_E_IO, "cannot move the new repository to %s: "
                    "%s", final, strerror(errno));
  }
  if (e) {
    repo_rm_tree(tmp);
    return e;
  }
  return stella_repo_open(r, final);
}

stella_err stella_repo_init(stella_repo *r, const char *dir,
                            const stella_repo_init_opts *given) {
  stella_repo_init_opts checked;
  char *urls = NULL;
  r->errmsg[0] = '\0';
  stella_err e = repo_init_urls(r, given, &checked, &urls);
  if (!e)
    e = repo_init_at(r, dir, &checked);
  free(urls);
  return e;
}
