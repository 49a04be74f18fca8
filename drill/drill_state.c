/* drill_state.c - the drill log's folder: STATE/drill.db (sqlite: meta and
 * entries), STATE/key.pem (a primary's ECDSA P-256 key, 0600) or
 * STATE/upstream.pem (a replica's copy of its upstream's public key), the
 * leaf hashes in memory, and the signed checkpoint of the current size.
 * The database stays exclusively locked while a server runs, so a second
 * server on the same folder is refused. */
#include "drill_internal.h"

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "checkpoint.h"
#include "fsutil.h"
#include "rekor_verify.h"

#define DRILL_KIND "stella-drill-log 1"
#define DRILL_MAX_PEM (64 * 1024)

static const char drill_schema[] =
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY,"
    "  value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS entries (idx INTEGER PRIMARY KEY,"
    "  uuid TEXT NOT NULL UNIQUE, body TEXT NOT NULL,"
    "  integrated_time INTEGER NOT NULL, leaf_hash BLOB NOT NULL,"
    "  set_b64 TEXT NOT NULL);";

/* errbuf is never NULL inside the drill log (the entry points make sure). */
static stella_err drill_fail(stella_err e, char *errbuf, size_t errlen,
                             const char *fmt, const char *arg) {
  snprintf(errbuf, errlen, fmt, arg);
  return e;
}

void drill_entry_clear(drill_entry *e) {
  if (!e)
    return;
  free(e->body_b64);
  free(e->set_b64);
  memset(e, 0, sizeof *e);
}

/* ---- meta ---- */

static char *drill_meta_get(drill_state *st, const char *key) {
  sqlite3_stmt *s;
  char *v = NULL;
  if (sqlite3_prepare_v2(st->db, "SELECT value FROM meta WHERE key = ?", -1,
                         &s, NULL) != SQLITE_OK)
    return NULL;
  sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
  if (sqlite3_step(s) == SQLITE_ROW)
    v = strdup((const char *)sqlite3_column_text(s, 0));
  sqlite3_finalize(s);
  return v;
}

static stella_err drill_meta_set(drill_state *st, const char *key,
                                 const char *value) {
  sqlite3_stmt *s;
  if (sqlite3_prepare_v2(st->db, "INSERT OR REPLACE INTO meta VALUES (?, ?)",
                         -1, &s, NULL) != SQLITE_OK)
    return STELLA_E_IO;
  sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 2, value, -1, SQLITE_STATIC);
  int rc = sqlite3_step(s);
  sqlite3_finalize(s);
  return rc == SQLITE_DONE ? STELLA_OK : STELLA_E_IO;
}

static stella_err drill_set_tree_id(drill_state *st, const char *dec) {
  char *end;
  unsigned long long v = strtoull(dec, &end, 10);
  if (!*dec || *end || v > INT64_MAX || strlen(dec) >= sizeof st->tree_id)
    return STELLA_E_FORMAT;
  snprintf(st->tree_id, sizeof st->tree_id, "%s", dec);
  snprintf(st->tree_hex, sizeof st->tree_hex, "%016llx", v);
  return STELLA_OK;
}

/* A fresh tree ID: random, 63 bits, never 0 (like Trillian's). */
static stella_err drill_new_tree_id(drill_state *st) {
  uint64_t v = 0;
  while (v == 0) {
    if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v)
      return STELLA_E_IO;
    v &= INT64_MAX;
  }
  char dec[24];
  snprintf(dec, sizeof dec, "%" PRIu64, v);
  stella_err e = drill_meta_set(st, "tree_id", dec);
  return e ? e : drill_set_tree_id(st, dec);
}

/* ---- opening ---- */

/* 1 when dir holds nothing at all (a fresh folder we may take). */
static int drill_dir_empty(const char *dir) {
  DIR *d = opendir(dir);
  int empty = 1;
  struct dirent *de;
  if (!d)
    return 0;
  while (empty && (de = readdir(d)))
    empty = !strcmp(de->d_name, ".") || !strcmp(de->d_name, "..");
  closedir(d);
  return empty;
}

/* A write that changes nothing, so a read-only folder or file is refused
 * at start instead of failing every submission with a 500 later. */
static const char drill_write_probe[] =
    "BEGIN; INSERT OR REPLACE INTO meta VALUES ('write_probe', '1');"
    "DELETE FROM meta WHERE key = 'write_probe'; COMMIT;";

static stella_err drill_db_open(drill_state *st, char *errbuf,
                                size_t errlen) {
  char *path = fs_join(st->dir, "drill.db");
  if (!path)
    return STELLA_E_NOMEM;
  int fresh = !fs_exists(path);
  if (fresh && !drill_dir_empty(st->dir)) {
    free(path);
    return drill_fail(STELLA_E_EXISTS, errbuf, errlen, "%s is not a drill "
                      "log folder (no drill.db, not empty)", st->dir);
  }
  int rc = sqlite3_open_v2(path, &st->db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
  free(path);
  /* Exclusive for the server's lifetime: one server per folder. */
  if (rc == SQLITE_OK)
    rc = sqlite3_exec(st->db, "PRAGMA locking_mode = EXCLUSIVE;"
                      "BEGIN EXCLUSIVE; COMMIT;", NULL, NULL, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_exec(st->db, drill_schema, NULL, NULL, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_exec(st->db, drill_write_probe, NULL, NULL, NULL);
  if (rc == SQLITE_OK)
    return STELLA_OK;
  const char *why = st->db ? sqlite3_errmsg(st->db) : "cannot open it";
  if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
    return drill_fail(STELLA_E_EXISTS, errbuf, errlen, "%s is in use by "
                      "another process (a drill log serving it?)", st->dir);
  if (rc == SQLITE_CANTOPEN || rc == SQLITE_READONLY || rc == SQLITE_PERM)
    return errbuf_fail(STELLA_E_IO, errbuf, errlen, "%s: cannot write "
                       "drill.db (%s); the folder and drill.db must be "
                       "writable", st->dir, why);
  return errbuf_fail(STELLA_E_IO, errbuf, errlen, "%s: drill.db is not a "
                     "usable drill log database (%s)", st->dir, why);
}

/* 1 when the folder holds a key: its log had a database once. */
static int drill_has_key_file(const drill_state *st) {
  int found = 0;
  for (size_t i = 0; i < 2; i++) {
    char *path = fs_join(st->dir, i ? "upstream.pem" : "key.pem");
    found |= path && fs_exists(path);
    free(path);
  }
  return found;
}

/* Checks (or, on a fresh database, writes) the kind and the role. An
 * empty database next to a key is a lost log, never a new one: its key
 * would sign a second tree over the indexes the first one handed out. */
static stella_err drill_check_role(drill_state *st, char *errbuf,
                                   size_t errlen) {
  char *kind = drill_meta_get(st, "kind");
  char *role = drill_meta_get(st, "role");
  const char *want = st->replica ? "replica" : "primary";
  stella_err e = STELLA_OK;
  if (!kind && drill_has_key_file(st)) {
    e = drill_fail(STELLA_E_FORMAT, errbuf, errlen, "%s: drill.db is empty "
                   "but the log's key is there (entries lost?); restore "
                   "drill.db, or start a new log in an empty folder",
                   st->dir);
  } else if (!kind) {
    if (!(e = drill_meta_set(st, "kind", DRILL_KIND)))
      e = drill_meta_set(st, "role", want);
    if (!e && st->replica)
      e = drill_meta_set(st, "upstream", st->upstream);
    if (!e && !st->replica)
      e = drill_new_tree_id(st);
  } else if (strcmp(kind, DRILL_KIND)) {
    e = drill_fail(STELLA_E_FORMAT, errbuf, errlen, "%s: drill.db is not a "
                   "drill log database", st->dir);
  } else if (!role || strcmp(role, want)) {
    e = drill_fail(STELLA_E_EXISTS, errbuf, errlen, st->replica
                   ? "%s holds a primary drill log, not a replica"
                   : "%s holds a read replica (serve it with --replica-of)",
                   st->dir);
  }
  free(kind);
  free(role);
  return e;
}

/* log ID = SHA-256(DER SPKI), as Rekor v1 computes it. */
static stella_err drill_set_key(drill_state *st, crypto_key *key) {
  uint8_t *der = NULL;
  size_t len = 0;
  st->key = key;
  stella_err e = crypto_key_spki_der(key, &der, &len);
  if (e)
    return e;
  crypto_sha256(der, len, st->log_id);
  free(der);
  hex_encode(st->log_id, MERKLE_HASH_LEN, st->log_id_hex);
  return STELLA_OK;
}

/* The database remembers the log ID of its key (recorded the first time):
 * a key file swapped for another log's would sign checkpoints over
 * entries whose SETs it never made. */
static stella_err drill_pin_log_id(drill_state *st, const char *file,
                                   char *errbuf, size_t errlen) {
  char *pinned = drill_meta_get(st, "log_id");
  stella_err e = STELLA_OK;
  if (!pinned)
    e = drill_meta_set(st, "log_id", st->log_id_hex);
  else if (strcmp(pinned, st->log_id_hex))
    e = errbuf_fail(STELLA_E_SIGNATURE, errbuf, errlen, "%s/%s is not "
                    "this log's key (log ID %.16s..., drill.db was made "
                    "with %.16s...); put the right key back", st->dir, file,
                    st->log_id_hex, pinned);
  free(pinned);
  return e;
}

static stella_err drill_key_mode_ok(const char *path, char *errbuf,
                                    size_t errlen) {
  struct stat sb;
  if (stat(path, &sb) == 0 && (sb.st_mode & 077))
    return drill_fail(STELLA_E_IO, errbuf, errlen, "%s is readable by "
                      "others; chmod 600 it", path);
  return STELLA_OK;
}

static stella_err drill_load_signer(const char *path, crypto_signer **out,
                                    char *errbuf, size_t errlen) {
  sbuf pem = SBUF_INIT;
  stella_err e = drill_key_mode_ok(path, errbuf, errlen);
  if (!e && (e = fs_read_file(path, DRILL_MAX_PEM, &pem)))
    drill_fail(e, errbuf, errlen, "cannot read %s", path);
  if (!e && (e = crypto_signer_from_pem(pem.data, pem.len, out)))
    drill_fail(e, errbuf, errlen, "%s is not an ECDSA P-256 key", path);
  if (!e && strcmp(crypto_signer_type(*out), "ecdsa-p256")) {
    e = drill_fail(STELLA_E_UNSUPPORTED, errbuf, errlen,
                   "%s is not an ECDSA P-256 key", path);
  }
  sbuf_free(&pem);
  return e;
}

/* A primary's key: loaded, or made on first start (an empty log only). */
static stella_err drill_primary_key(drill_state *st, char *errbuf,
                                    size_t errlen) {
  char *path = fs_join(st->dir, "key.pem");
  stella_err e = path ? STELLA_OK : STELLA_E_NOMEM;
  char *pinned = drill_meta_get(st, "log_id");
  if (!e && !fs_exists(path)) {
    if (st->size > 0 || pinned)
      e = drill_fail(STELLA_E_NOT_FOUND, errbuf, errlen, "%s is missing: "
                     "the log was made with it (put it back, or start a "
                     "new log in an empty folder)", path);
    else if (!(e = crypto_signer_generate("ecdsa-p256", &st->signer)))
      e = crypto_signer_save(st->signer, path);
    if (e && !*errbuf)
      drill_fail(e, errbuf, errlen, "cannot create %s", path);
  } else if (!e) {
    e = drill_load_signer(path, &st->signer, errbuf, errlen);
  }
  free(path);
  free(pinned);
  crypto_key *key = NULL;
  sbuf pem = SBUF_INIT;
  if (!e)
    e = crypto_signer_verify_key(st->signer, &key);
  if (!e)
    e = drill_set_key(st, key);
  if (!e)
    e = drill_pin_log_id(st, "key.pem", errbuf, errlen);
  if (!e && !(e = crypto_signer_public_pem(st->signer, &pem)))
    st->pubkey_pem = sbuf_take(&pem, NULL);
  sbuf_free(&pem);
  return e;
}

/* A replica's copy of the upstream key (absent before its first start:
 * drill_replica_new fetches it). */
static stella_err drill_replica_key(drill_state *st, char *errbuf,
                                    size_t errlen) {
  char *path = fs_join(st->dir, "upstream.pem");
  sbuf pem = SBUF_INIT;
  crypto_key *key = NULL;
  stella_err e = path ? fs_read_file(path, DRILL_MAX_PEM, &pem)
                      : STELLA_E_NOMEM;
  if (e == STELLA_E_NOT_FOUND && st->size == 0) {
    e = STELLA_OK;
  } else if (e) {
    drill_fail(e, errbuf, errlen, "cannot read %s", path);
  } else if ((e = crypto_key_from_pem(pem.data, pem.len, &key))) {
    drill_fail(e, errbuf, errlen, "%s is not a public key", path);
  } else if (!(e = drill_set_key(st, key)) &&
             !(e = drill_pin_log_id(st, "upstream.pem", errbuf, errlen))) {
    st->pubkey_pem = sbuf_take(&pem, NULL);
  }
  free(path);
  sbuf_free(&pem);
  return e;
}

static stella_err drill_push_leaf(drill_state *st, const merkle_hash leaf) {
  if (array_grow((void **)&st->leaves, st->size, &st->cap, sizeof *st->leaves,
                 64))
    return STELLA_E_NOMEM;
  memcpy(st->leaves[st->size++], leaf, MERKLE_HASH_LEN);
  return STELLA_OK;
}

static stella_err drill_load_leaves(drill_state *st, char *errbuf,
                                    size_t errlen) {
  sqlite3_stmt *s;
  stella_err e = STELLA_OK;
  if (sqlite3_prepare_v2(st->db, "SELECT idx, leaf_hash FROM entries "
                         "ORDER BY idx", -1, &s, NULL) != SQLITE_OK)
    return STELLA_E_IO;
  while (!e && sqlite3_step(s) == SQLITE_ROW) {
    if ((uint64_t)sqlite3_column_int64(s, 0) != st->size ||
        sqlite3_column_bytes(s, 1) != MERKLE_HASH_LEN)
      e = drill_fail(STELLA_E_FORMAT, errbuf, errlen, "%s: drill.db has a "
                     "gap or a bad leaf hash in its entries", st->dir);
    else
      e = drill_push_leaf(st, sqlite3_column_blob(s, 1));
  }
  sqlite3_finalize(s);
  return e;
}

static stella_err drill_load_meta(drill_state *st, char *errbuf,
                                  size_t errlen) {
  char *tid = drill_meta_get(st, "tree_id");
  char *up = st->replica ? drill_meta_get(st, "upstream") : NULL;
  stella_err e = STELLA_OK;
  if (tid && drill_set_tree_id(st, tid))
    e = drill_fail(STELLA_E_FORMAT, errbuf, errlen, "%s: bad tree ID in "
                   "drill.db", st->dir);
  else if (!tid && !st->replica)
    e = drill_fail(STELLA_E_FORMAT, errbuf, errlen, "%s: drill.db has no "
                   "tree ID", st->dir);
  else if (up && strcmp(up, st->upstream) && tid)
    e = drill_fail(STELLA_E_EXISTS, errbuf, errlen, "this folder is a "
                   "replica of %s", up);
  else if (up && strcmp(up, st->upstream)) /* never reached it: retarget */
    e = drill_meta_set(st, "upstream", st->upstream);
  if (!e && st->replica && (st->note = drill_meta_get(st, "checkpoint"))) {
    st->has_note = 1;
    st->note_size = st->size;
  }
  free(tid);
  free(up);
  return e;
}

stella_err drill_state_open(const char *dir, const char *upstream,
                            drill_state **out, char *errbuf, size_t errlen) {
  char spare[8];
  if (!errbuf || !errlen) {
    errbuf = spare;
    errlen = sizeof spare;
  }
  *errbuf = '\0';
  drill_state *st = calloc(1, sizeof *st);
  *out = NULL;
  if (!st || !(st->dir = strdup(dir)) ||
      (upstream && !(st->upstream = strdup(upstream)))) {
    drill_state_free(st);
    return STELLA_E_NOMEM;
  }
  st->replica = upstream != NULL;
  size_t n = st->upstream ? strlen(st->upstream) : 0;
  while (n > 0 && st->upstream[n - 1] == '/')
    st->upstream[--n] = '\0';
  stella_err e = fs_mkdirs(dir, 0700);
  if (e)
    drill_fail(e, errbuf, errlen, "cannot create %s", dir);
  if (!e)
    e = drill_db_open(st, errbuf, errlen);
  if (!e)
    e = drill_check_role(st, errbuf, errlen);
  if (!e)
    e = drill_load_leaves(st, errbuf, errlen);
  if (!e)
    e = drill_load_meta(st, errbuf, errlen);
  if (!e)
    e = st->replica ? drill_replica_key(st, errbuf, errlen)
                    : drill_primary_key(st, errbuf, errlen);
  if (e && !*errbuf)
    drill_fail(e, errbuf, errlen, "%s: cannot open the drill log state",
               dir);
  if (e)
    drill_state_free(st);
  else
    *out = st;
  return e;
}

void drill_state_free(drill_state *st) {
  if (!st)
    return;
  sqlite3_close(st->db);
  crypto_signer_free(st->signer);
  crypto_key_free(st->key);
  free(st->pubkey_pem);
  free(st->leaves);
  free(st->note);
  free(st->name);
  free(st->upstream);
  free(st->dir);
  free(st);
}

stella_err drill_state_set_name(drill_state *st, const char *name) {
  if (drill_name_check(name, NULL, 0))
    return STELLA_E_INVALID_ARG;
  char *n = strdup(name);
  if (!n)
    return STELLA_E_NOMEM;
  free(st->name);
  st->name = n;
  if (!st->replica)
    st->has_note = 0;
  return STELLA_OK;
}

stella_err drill_state_set_upstream(drill_state *st, const char *tree_id,
                                    const char *pem, size_t pemlen,
                                    char *errbuf, size_t errlen) {
  crypto_key *key = NULL;
  char *path = fs_join(st->dir, "upstream.pem");
  char *copy = strndup(pem, pemlen);
  stella_err e = path && copy ? STELLA_OK : STELLA_E_NOMEM;
  if (!e && (e = crypto_key_from_pem(pem, pemlen, &key)))
    drill_fail(e, errbuf, errlen, "the upstream's public key is not a PEM "
               "public key (%s)", "GET /api/v1/log/publicKey");
  if (!e && (e = drill_set_tree_id(st, tree_id)))
    drill_fail(e, errbuf, errlen, "the upstream's tree ID %s is not a "
               "decimal number", tree_id);
  if (!e) { /* pinned before upstream.pem is written over */
    e = drill_set_key(st, key);
    key = NULL;
  }
  if (!e)
    e = drill_pin_log_id(st, "upstream.pem", errbuf, errlen);
  if (!e && !(e = fs_write_atomic(path, pem, pemlen, 0644)))
    e = drill_meta_set(st, "tree_id", tree_id);
  if (!e) {
    free(st->pubkey_pem);
    st->pubkey_pem = copy;
    copy = NULL;
  }
  if (e && !*errbuf)
    drill_fail(e, errbuf, errlen, "cannot store the upstream key in %s",
               st->dir);
  crypto_key_free(key);
  free(copy);
  free(path);
  return e;
}

/* ---- tree and checkpoint ---- */

static stella_err drill_leaf_at(void *ctx, uint64_t i, merkle_hash out) {
  drill_state *st = ctx;
  if (i >= st->size)
    return STELLA_E_INVALID_ARG;
  memcpy(out, st->leaves[i], MERKLE_HASH_LEN);
  return STELLA_OK;
}

stella_err drill_state_root(drill_state *st, uint64_t size, merkle_hash out) {
  if (size > st->size)
    return STELLA_E_INVALID_ARG;
  return merkle_tree_root(drill_leaf_at, st, size, out);
}

stella_err drill_state_inclusion(drill_state *st, uint64_t index,
                                 uint64_t size, merkle_hash **proof,
                                 size_t *n) {
  if (size > st->size)
    return STELLA_E_INVALID_ARG;
  return merkle_inclusion_proof(drill_leaf_at, st, index, size, proof, n);
}

stella_err drill_state_consistency(drill_state *st, uint64_t size1,
                                   uint64_t size2, merkle_hash **proof,
                                   size_t *n) {
  if (size2 > st->size)
    return STELLA_E_INVALID_ARG;
  return merkle_consistency_proof(drill_leaf_at, st, size1, size2, proof, n);
}

stella_err drill_state_checkpoint(drill_state *st, const char **note) {
  if (st->has_note && st->note_size == st->size) {
    *note = st->note;
    return STELLA_OK;
  }
  if (st->replica || !st->name)
    return STELLA_E_NOT_FOUND; /* a replica before its first sync */
  merkle_hash root;
  sbuf origin = SBUF_INIT, text = SBUF_INIT, signed_note = SBUF_INIT;
  stella_err e = drill_state_root(st, st->size, root);
  if (!e)
    e = sbuf_printf(&origin, "%s - %s", st->name, st->tree_id);
  if (!e)
    e = checkpoint_format_text(origin.data, st->size, root, NULL, &text);
  if (!e)
    e = checkpoint_sign(text.data, text.len, st->name, st->signer,
                        &signed_note);
  if (!e) {
    free(st->note);
    st->note = sbuf_take(&signed_note, NULL);
    st->note_size = st->size;
    st->has_note = 1;
    *note = st->note;
  }
  sbuf_free(&origin);
  sbuf_free(&text);
  sbuf_free(&signed_note);
  return e;
}

/* ---- entries ---- */

static stella_err drill_insert(drill_state *st, const drill_entry *x) {
  sqlite3_stmt *s;
  if (sqlite3_prepare_v2(st->db, "INSERT INTO entries VALUES "
                         "(?, ?, ?, ?, ?, ?)", -1, &s, NULL) != SQLITE_OK)
    return STELLA_E_IO;
  sqlite3_bind_int64(s, 1, x->index);
  sqlite3_bind_text(s, 2, x->uuid, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 3, x->body_b64, -1, SQLITE_STATIC);
  sqlite3_bind_int64(s, 4, x->integrated_time);
  sqlite3_bind_blob(s, 5, x->leaf, MERKLE_HASH_LEN, SQLITE_STATIC);
  sqlite3_bind_text(s, 6, x->set_b64, -1, SQLITE_STATIC);
  int rc = sqlite3_step(s);
  sqlite3_finalize(s);
  return rc == SQLITE_DONE ? STELLA_OK : STELLA_E_IO;
}

/* The SET: our signature over rekor_set_payload, base64. */
static stella_err drill_sign_set(drill_state *st, drill_entry *x) {
  sbuf payload = SBUF_INIT;
  uint8_t *sig = NULL;
  size_t siglen = 0;
  stella_err e = rekor_set_payload(x->body_b64, x->integrated_time,
                                   st->log_id_hex, x->index, &payload);
  if (!e)
    e = crypto_signer_sign(st->signer, (const uint8_t *)payload.data,
                           payload.len, &sig, &siglen);
  if (!e)
    e = base64_encode(sig, siglen, &x->set_b64);
  free(sig);
  sbuf_free(&payload);
  return e;
}

stella_err drill_state_append(drill_state *st, const uint8_t *body,
                              size_t len, int64_t integrated_time,
                              drill_entry *out, int *dup) {
  int64_t existing;
  memset(out, 0, sizeof *out);
  *dup = 0;
  merkle_leaf_hash(body, len, out->leaf);
  hex_encode(out->leaf, MERKLE_HASH_LEN, out->uuid);
  if (drill_state_find(st, out->uuid, &existing) == STELLA_OK) {
    *dup = 1;
    return drill_state_get(st, existing, out);
  }
  out->index = (int64_t)st->size;
  out->integrated_time = integrated_time;
  stella_err e = base64_encode(body, len, &out->body_b64);
  if (!e)
    e = drill_sign_set(st, out);
  if (!e && sqlite3_exec(st->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
    e = STELLA_E_IO;
  if (!e) {
    st->pending = 1;
    st->pending_from = st->size;
    e = drill_push_leaf(st, out->leaf);
  }
  if (!e)
    e = drill_insert(st, out);
  if (e) {
    drill_state_rollback(st);
    drill_entry_clear(out);
  }
  return e;
}

stella_err drill_state_commit(drill_state *st) {
  if (!st->pending)
    return STELLA_OK;
  if (sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
    drill_state_rollback(st);
    return STELLA_E_IO;
  }
  st->pending = 0;
  return STELLA_OK;
}

/* The note signed over the entry taken back is dropped too: the next entry
 * gets the same index and so a tree of the same size with another root. */
void drill_state_rollback(drill_state *st) {
  if (!st->pending)
    return;
  sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
  st->size = st->pending_from;
  if (st->has_note && st->note_size > st->size)
    st->has_note = 0;
  st->pending = 0;
}

stella_err drill_state_replica_append(drill_state *st, const drill_entry *v,
                                      size_t n, const char *note) {
  uint64_t size0 = st->size;
  char *copy = strdup(note);
  stella_err e = copy ? STELLA_OK : STELLA_E_NOMEM;
  if (!e && sqlite3_exec(st->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
    e = STELLA_E_IO;
  for (size_t i = 0; !e && i < n; i++) {
    e = (uint64_t)v[i].index == st->size ? drill_insert(st, &v[i])
                                         : STELLA_E_INVALID_ARG;
    if (!e)
      e = drill_push_leaf(st, v[i].leaf);
  }
  if (!e)
    e = drill_meta_set(st, "checkpoint", note);
  if (!e && sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    e = STELLA_E_IO;
  if (e) {
    sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
    st->size = size0;
    free(copy);
    return e;
  }
  free(st->note);
  st->note = copy;
  st->note_size = st->size;
  st->has_note = 1;
  return STELLA_OK;
}

stella_err drill_state_get(drill_state *st, int64_t index, drill_entry *out) {
  sqlite3_stmt *s;
  stella_err e = STELLA_E_NOT_FOUND;
  memset(out, 0, sizeof *out);
  if (index < 0 || (uint64_t)index >= st->size)
    return STELLA_E_NOT_FOUND;
  if (sqlite3_prepare_v2(st->db, "SELECT uuid, body, integrated_time, "
                         "set_b64 FROM entries WHERE idx = ?", -1, &s,
                         NULL) != SQLITE_OK)
    return STELLA_E_IO;
  sqlite3_bind_int64(s, 1, index);
  if (sqlite3_step(s) == SQLITE_ROW) {
    out->index = index;
    snprintf(out->uuid, sizeof out->uuid, "%s", sqlite3_column_text(s, 0));
    out->body_b64 = strdup((const char *)sqlite3_column_text(s, 1));
    out->integrated_time = sqlite3_column_int64(s, 2);
    out->set_b64 = strdup((const char *)sqlite3_column_text(s, 3));
    memcpy(out->leaf, st->leaves[index], MERKLE_HASH_LEN);
    e = out->body_b64 && out->set_b64 ? STELLA_OK : STELLA_E_NOMEM;
  }
  sqlite3_finalize(s);
  if (e)
    drill_entry_clear(out);
  return e;
}

stella_err drill_state_find(drill_state *st, const char *uuid,
                            int64_t *index) {
  sqlite3_stmt *s;
  stella_err e = STELLA_E_NOT_FOUND;
  if (sqlite3_prepare_v2(st->db, "SELECT idx FROM entries WHERE uuid = ?",
                         -1, &s, NULL) != SQLITE_OK)
    return STELLA_E_IO;
  sqlite3_bind_text(s, 1, uuid, -1, SQLITE_STATIC);
  if (sqlite3_step(s) == SQLITE_ROW) {
    *index = sqlite3_column_int64(s, 0);
    e = STELLA_OK;
  }
  sqlite3_finalize(s);
  return e;
}

/* ---- drill-log pubkey ---- */

/* From key.pem (a primary) or upstream.pem (a replica serves its
 * upstream's key); never opens the database, which a server holds. */
stella_err drill_pubkey(const char *state_dir, char **pem, char *errbuf,
                        size_t errlen) {
  char *kpath = fs_join(state_dir, "key.pem");
  char *upath = fs_join(state_dir, "upstream.pem");
  crypto_signer *s = NULL;
  sbuf out = SBUF_INIT;
  stella_err e = kpath && upath ? STELLA_OK : STELLA_E_NOMEM;
  char spare[8];
  if (!errbuf || !errlen) {
    errbuf = spare;
    errlen = sizeof spare;
  }
  *errbuf = '\0';
  *pem = NULL;
  if (!e && fs_exists(kpath)) {
    if (!(e = drill_load_signer(kpath, &s, errbuf, errlen)))
      e = crypto_signer_public_pem(s, &out);
  } else if (!e && fs_exists(upath)) {
    e = fs_read_file(upath, DRILL_MAX_PEM, &out);
  } else if (!e) {
    e = drill_fail(STELLA_E_NOT_FOUND, errbuf, errlen, "%s has no drill log "
                   "key yet (start `stella drill-log serve` once)",
                   state_dir);
  }
  if (!e)
    *pem = sbuf_take(&out, NULL);
  else if (!*errbuf)
    drill_fail(e, errbuf, errlen, "cannot read the key in %s", state_dir);
  crypto_signer_free(s);
  sbuf_free(&out);
  free(kpath);
  free(upath);
  return e;
}
