/* test_drill.c - the drill log without HTTP (drill/drill_state.c,
 * drill_api.c, drill_control.c): loopback address and fault parsing, the
 * state folder's refusals, and the Rekor API answers checked with the core
 * readers (rekor_entries_from_api, rekor_set_payload, checkpoint_verify,
 * merkle_verify_inclusion) - every rejection with its status and reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../drill/drill_internal.h"
#include "../../drill/drill.h"
#include "checkpoint.h"
#include "fsutil.h"
#include "json.h"
#include "rekor_verify.h"

#define NOW 1790000000

/* ---- addresses and faults ---- */

typedef struct addr_case {
  const char *in;
  int port;          /* -1: refused */
  const char *why;   /* part of the reason when refused */
} addr_case;

static void test_addr_parse(void **state) {
  static const addr_case cases[] = {
    {"127.0.0.1:0", 0, NULL},
    {"127.0.0.1:3001", 3001, NULL},
    {"http://127.0.0.1:80/", 80, NULL},
    {"localhost:5", 5, NULL},
    {"127.9.9.9:65535", 65535, NULL},
    {"10.0.0.1:1", -1, "not a loopback"},
    {"0.0.0.0:1", -1, "not a loopback"},
    {"[::1]:1", -1, "not a loopback"},
    {"127.0.0.1", -1, "is not 127.0.0.1:PORT"},
    {"127.0.0.1:70000", -1, "no valid port"},
    {"127.0.0.1:x", -1, "no valid port"},
    {"127.0.0.1:1/x", -1, "no valid port"},
  };
  (void)state;
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    struct sockaddr_in sa;
    char why[256] = "";
    stella_err e = drill_addr_parse(cases[i].in, &sa, why, sizeof why);
    if (cases[i].port < 0) {
      assert_int_equal(e, STELLA_E_INVALID_ARG);
      if (!strstr(why, cases[i].why))
        fail_msg("%s: '%s' lacks '%s'", cases[i].in, why, cases[i].why);
    } else {
      assert_int_equal(e, STELLA_OK);
      assert_int_equal(ntohs(sa.sin_port), cases[i].port);
    }
  }
}

typedef struct fault_case {
  const char *mode, *arg;
  drill_fault_mode want;
  long want_arg;
  const char *why;   /* NULL: accepted */
} fault_case;

static void test_fault_parse(void **state) {
  static const fault_case cases[] = {
    {"none", NULL, DRILL_FAULT_NONE, 0, NULL},
    {"hang", NULL, DRILL_FAULT_HANG, 0, NULL},
    {"slow", "250", DRILL_FAULT_SLOW, 250, NULL},
    {"error", "503", DRILL_FAULT_ERROR, 503, NULL},
    {"slow", "0", DRILL_FAULT_SLOW, 0, NULL},
    {"error", "599", DRILL_FAULT_ERROR, 599, NULL},
    {"slow", NULL, 0, 0, "slow needs a delay in ms, 0..600000"},
    {"error", NULL, 0, 0, "error needs an HTTP status, 400..599"},
    /* a word after a mode without argument is named as such, not taken
     * for a bad number */
    {"none", "extra", 0, 0, "none takes no argument (got 'extra')"},
    {"hang", "5", 0, 0, "hang takes no argument (got '5')"},
    {"truncate", "", 0, 0, "truncate takes no argument"},
    {"error", "200", 0, 0, "400..599, not '200'"},
    {"error", "abc", 0, 0, "400..599, not 'abc'"},
    {"slow", "-1", 0, 0, "0..600000, not '-1'"},
    {"slow", "+5", 0, 0, "0..600000, not '+5'"},
    {"slow", " 5", 0, 0, "0..600000, not ' 5'"},
    {"slow", "", 0, 0, "0..600000, not ''"},
    {"slow", "600001", 0, 0, "0..600000, not '600001'"},
    {"slow", "99999999999999999999", 0, 0, "not '9999"},
    {"slow", "1x", 0, 0, "0..600000, not '1x'"},
    {"sideways", NULL, 0, 0, "unknown fault mode"},
    {"sideways", "5", 0, 0, "unknown fault mode"},
  };
  (void)state;
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    drill_fault_spec f;
    char why[256] = "";
    stella_err e = drill_fault_parse(cases[i].mode, cases[i].arg, &f, why,
                                     sizeof why);
    if (cases[i].why) {
      assert_int_equal(e, STELLA_E_INVALID_ARG);
      if (!strstr(why, cases[i].why))
        fail_msg("%s %s: '%s'", cases[i].mode, cases[i].arg, why);
      continue;
    }
    assert_int_equal(e, STELLA_OK);
    assert_int_equal(f.mode, cases[i].want);
    assert_int_equal(f.arg, cases[i].want_arg);
    /* the JSON of the control endpoint round-trips */
    sbuf j = SBUF_INIT;
    drill_fault_spec back;
    assert_int_equal(drill_fault_to_json(&f, &j), STELLA_OK);
    assert_int_equal(drill_fault_from_json(j.data, j.len, &back, why,
                                           sizeof why), STELLA_OK);
    assert_int_equal(back.mode, f.mode);
    assert_int_equal(back.arg, f.arg);
    sbuf_free(&j);
  }
}

static void test_fault_json_refusals(void **state) {
  static const struct { const char *body, *why; } cases[] = {
    {"nope", "not JSON"},
    {"{}", "unknown fault mode"},
    {"{\"mode\":\"slow\",\"arg\":\"250\"}", "\"arg\" must be"},
    {"{\"mode\":\"error\",\"arg\":99}", "400..599, not '99'"},
    {"{\"mode\":\"error\"}", "error needs an HTTP status"},
    {"{\"mode\":\"down\",\"arg\":1}", "down takes no argument (got '1')"},
  };
  (void)state;
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    drill_fault_spec f;
    char why[256] = "";
    assert_int_equal(drill_fault_from_json(cases[i].body,
                                           strlen(cases[i].body), &f, why,
                                           sizeof why),
                     STELLA_E_INVALID_ARG);
    if (!strstr(why, cases[i].why))
      fail_msg("%s: '%s'", cases[i].body, why);
  }
}

static void test_name_check(void **state) {
  static const struct { const char *name, *why; } cases[] = {
    {"127.0.0.1:3000", NULL},
    {"rekor.example.com/drill-2", NULL},
    {"", "is empty"},
    {"a b", "has a space at position 2"},
    {"a\nb", "has a control character at position 2"},
    {"a\tb", "has a control character at position 2"},
    {"a+b", "has a '+' at position 2"},
    {"caf\xc3\xa9", "has a non-ASCII byte at position 4"},
  };
  char why[512], longest[DRILL_MAX_NAME + 2];
  (void)state;
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    stella_err e = drill_name_check(cases[i].name, why, sizeof why);
    if (!cases[i].why) {
      assert_int_equal(e, STELLA_OK);
      continue;
    }
    assert_int_equal(e, STELLA_E_INVALID_ARG);
    if (!strstr(why, cases[i].why) || !strstr(why, "1..255 printable ASCII"))
      fail_msg("'%s': '%s'", cases[i].name, why);
  }
  memset(longest, 'x', sizeof longest);
  longest[DRILL_MAX_NAME] = '\0';
  assert_int_equal(drill_name_check(longest, why, sizeof why), STELLA_OK);
  longest[DRILL_MAX_NAME] = 'x';
  longest[DRILL_MAX_NAME + 1] = '\0';
  assert_int_equal(drill_name_check(longest, why, sizeof why),
                   STELLA_E_INVALID_ARG);
  assert_non_null(strstr(why, "is 256 characters long"));
}

/* ---- state folders ---- */

static char *tmpdir(void) {
  char tmpl[] = "/tmp/test_drill.XXXXXX";
  char *d = mkdtemp(tmpl);
  assert_non_null(d);
  return strdup(d);
}

static void rmrf(const char *dir) {
  char cmd[512];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
}

/* A key without its database, a database without its key, a key from
 * another log, another process holding the database: each refused. */
static void state_lost_or_swapped(const char *sub, const char *key) {
  char why[256], *db = fs_join(sub, "drill.db"), *saved = fs_join(sub, "k");
  char *other_dir = fs_join(sub, "../other"), *other_key;
  drill_state *st = NULL;
  /* an emptied drill.db next to the key: not a new log */
  assert_int_equal(rename(db, saved), 0);
  assert_int_equal(fs_write_atomic(db, "", 0, 0600), STELLA_OK);
  assert_int_equal(drill_state_open(sub, NULL, &st, why, sizeof why),
                   STELLA_E_FORMAT);
  assert_non_null(strstr(why, "drill.db is empty"));
  assert_int_equal(rename(saved, db), 0);
  /* no key.pem, even with no entry yet: the log ID is pinned */
  assert_int_equal(rename(key, saved), 0);
  assert_int_equal(drill_state_open(sub, NULL, &st, why, sizeof why),
                   STELLA_E_NOT_FOUND);
  assert_non_null(strstr(why, "key.pem is missing"));
  /* another log's key */
  assert_int_equal(drill_state_open(other_dir, NULL, &st, why, sizeof why),
                   STELLA_OK);
  drill_state_free(st);
  other_key = fs_join(other_dir, "key.pem");
  assert_int_equal(rename(other_key, key), 0);
  assert_int_equal(drill_state_open(sub, NULL, &st, why, sizeof why),
                   STELLA_E_SIGNATURE);
  assert_non_null(strstr(why, "not this log's key"));
  assert_int_equal(rename(saved, key), 0);
  /* a reader holding drill.db (any process, not only a drill log) */
  sqlite3 *reader = NULL;
  assert_int_equal(sqlite3_open(db, &reader), SQLITE_OK);
  assert_int_equal(sqlite3_exec(reader, "BEGIN; SELECT * FROM meta;", NULL,
                                NULL, NULL), SQLITE_OK);
  assert_int_equal(drill_state_open(sub, NULL, &st, why, sizeof why),
                   STELLA_E_EXISTS);
  assert_non_null(strstr(why, "in use by another process"));
  sqlite3_close(reader);
  assert_int_equal(drill_state_open(sub, NULL, &st, why, sizeof why),
                   STELLA_OK);
  drill_state_free(st);
  free(other_key);
  free(other_dir);
  free(saved);
  free(db);
}

static void test_state_refusals(void **state) {
  (void)state;
  char *dir = tmpdir(), *sub = fs_join(dir, "log"), why[256];
  drill_state *st = NULL, *st2 = NULL;
  char *pem = NULL;
  assert_int_equal(drill_pubkey(sub, &pem, why, sizeof why),
                   STELLA_E_NOT_FOUND);
  assert_int_equal(drill_state_open(sub, NULL, &st, why, sizeof why),
                   STELLA_OK);
  char tree[24];
  snprintf(tree, sizeof tree, "%s", st->tree_id);
  assert_true(strlen(tree) > 0 && strlen(st->tree_hex) == 16);
  /* one server per folder */
  assert_int_equal(drill_state_open(sub, NULL, &st2, why, sizeof why),
                   STELLA_E_EXISTS);
  assert_non_null(strstr(why, "in use"));
  drill_state_free(st);
  /* reopened: same tree and key */
  assert_int_equal(drill_state_open(sub, NULL, &st, why, sizeof why),
                   STELLA_OK);
  assert_string_equal(st->tree_id, tree);
  assert_int_equal(drill_pubkey(sub, &pem, why, sizeof why), STELLA_OK);
  assert_string_equal(pem, st->pubkey_pem);
  free(pem);
  drill_state_free(st);
  /* a primary's folder is not a replica's */
  assert_int_equal(drill_state_open(sub, "http://127.0.0.1:9", &st, why,
                                    sizeof why), STELLA_E_EXISTS);
  assert_non_null(strstr(why, "holds a primary"));
  /* a key others can read is refused */
  char *key = fs_join(sub, "key.pem");
  assert_int_equal(chmod(key, 0644), 0);
  assert_int_equal(drill_state_open(sub, NULL, &st, why, sizeof why),
                   STELLA_E_IO);
  assert_non_null(strstr(why, "chmod 600"));
  assert_int_equal(chmod(key, 0600), 0);
  state_lost_or_swapped(sub, key);
  /* a folder with other things in it and no drill.db */
  assert_int_equal(drill_state_open(dir, NULL, &st, why, sizeof why),
                   STELLA_E_EXISTS);
  assert_non_null(strstr(why, "not a drill log folder"));
  free(key);
  free(sub);
  rmrf(dir);
  free(dir);
}

/* ---- the API ---- */

typedef struct api_fixture {
  char *dir;
  drill_state *st;
  crypto_signer *client;
  char *client_pem;
} api_fixture;

static int api_setup(void **state) {
  api_fixture *f = calloc(1, sizeof *f);
  char why[256];
  sbuf pem = SBUF_INIT;
  f->dir = tmpdir();
  assert_int_equal(drill_state_open(f->dir, NULL, &f->st, why, sizeof why),
                   STELLA_OK);
  assert_int_equal(drill_state_set_name(f->st, "drill.test:1"), STELLA_OK);
  assert_int_equal(crypto_signer_generate("ecdsa-p256", &f->client),
                   STELLA_OK);
  assert_int_equal(crypto_signer_public_pem(f->client, &pem), STELLA_OK);
  f->client_pem = sbuf_take(&pem, NULL);
  *state = f;
  return 0;
}

static int api_teardown(void **state) {
  api_fixture *f = *state;
  drill_state_free(f->st);
  crypto_signer_free(f->client);
  free(f->client_pem);
  rmrf(f->dir);
  free(f->dir);
  free(f);
  return 0;
}

/* The proposal for artifact text with the client's key written as pem,
 * built by the core's own builder. */
static char *proposal_pem(api_fixture *f, const char *artifact,
                          const char *pem) {
  uint8_t digest[32], *sig = NULL;
  size_t siglen = 0;
  sbuf out = SBUF_INIT;
  crypto_sha256(artifact, strlen(artifact), digest);
  assert_int_equal(crypto_signer_sign(f->client, (const uint8_t *)artifact,
                                      strlen(artifact), &sig, &siglen),
                   STELLA_OK);
  assert_int_equal(rekor_hashedrekord_proposal(digest, sig, siglen, pem,
                                               strlen(pem), &out),
                   STELLA_OK);
  free(sig);
  return sbuf_take(&out, NULL);
}

static char *proposal(api_fixture *f, const char *artifact) {
  return proposal_pem(f, artifact, f->client_pem);
}

/* One request; the answer in rs (free rs->body). */
static void call(api_fixture *f, const char *method, const char *path,
                 const char *body, drill_resp *rs) {
  drill_req rq = {.method = method, .path = path, .body = body ? body : "",
                  .body_len = body ? strlen(body) : 0};
  memset(rs, 0, sizeof *rs);
  drill_api_answer(f->st, NOW, &rq, rs);
}

static void call_q(api_fixture *f, const char *path, const char *first,
                   const char *last, const char *index, drill_resp *rs) {
  drill_req rq = {.method = "GET", .path = path, .first_size = first,
                  .last_size = last, .log_index = index, .body = "",
                  .body_len = 0};
  memset(rs, 0, sizeof *rs);
  drill_api_answer(f->st, NOW, &rq, rs);
}

/* status and, for errors, the JSON code and a part of the message */
static void expect(drill_resp *rs, unsigned status, const char *part) {
  if (rs->status != status)
    fail_msg("HTTP %u, wanted %u: %s", rs->status, status, rs->body.data);
  if (part && !strstr(rs->body.data, part))
    fail_msg("'%s' lacks '%s'", rs->body.data, part);
  if (status >= 400) {
    char code[32];
    snprintf(code, sizeof code, "\"code\":%u", status);
    assert_non_null(strstr(rs->body.data, code));
  }
  sbuf_free(&rs->body);
}

/* Checks an entry answer with the core readers and our own key. */
static void check_entry(api_fixture *f, const drill_resp *rs,
                        int64_t index, uint64_t size, const char *body) {
  rekor_entry *v = NULL;
  size_t n = 0;
  char why[256] = "";
  assert_int_equal(rekor_entries_from_api(rs->body.data, rs->body.len, &v,
                                          &n, why, sizeof why), STELLA_OK);
  assert_int_equal(n, 1);
  rekor_entry *e = &v[0];
  assert_int_equal(e->log_index, index);
  assert_int_equal(e->integrated_time, NOW);
  assert_memory_equal(e->log_id, f->st->log_id, 32);
  assert_int_equal(strlen(e->uuid), 80);
  assert_memory_equal(e->uuid, f->st->tree_hex, 16);
  if (body) /* the core's proposal is already canonical */
    assert_memory_equal(e->body, body, strlen(body));
  merkle_hash leaf;
  char hex[65];
  merkle_leaf_hash(e->body, e->body_len, leaf);
  hex_encode(leaf, 32, hex);
  assert_string_equal(e->uuid + 16, hex);
  sbuf payload = SBUF_INIT;
  assert_int_equal(rekor_set_payload(e->body_b64, e->integrated_time,
                                     f->st->log_id_hex, e->log_index,
                                     &payload), STELLA_OK);
  assert_true(crypto_verify(f->st->key, (const uint8_t *)payload.data,
                            payload.len, e->set, e->set_len));
  sbuf_free(&payload);
  assert_true(e->has_proof);
  assert_int_equal(e->tree_size, size);
  assert_int_equal(merkle_verify_inclusion((uint64_t)index, size, leaf,
                                           e->hashes, e->n_hashes,
                                           e->root_hash), STELLA_OK);
  note_key nk = {.name = "drill.test:1", .key = f->st->key};
  checkpoint cp;
  assert_int_equal(checkpoint_key_id(nk.name, nk.key, nk.id), STELLA_OK);
  assert_int_equal(checkpoint_verify(e->checkpoint, strlen(e->checkpoint),
                                     &nk, 1, &cp, NULL, why, sizeof why),
                   STELLA_OK);
  assert_int_equal(cp.size, size);
  assert_memory_equal(cp.root, e->root_hash, 32);
  checkpoint_clear(&cp);
  rekor_entries_free(v, n);
}

static void test_api_create(void **state) {
  api_fixture *f = *state;
  drill_resp rs;
  char *p1 = proposal(f, "one"), *p2 = proposal(f, "two");
  call(f, "POST", "/api/v1/log/entries", p1, &rs);
  assert_int_equal(rs.status, 201);
  check_entry(f, &rs, 0, 1, p1);
  assert_true(!strncmp(rs.location, "/api/v1/log/entries/", 20));
  assert_int_equal(strlen(rs.location), 20 + 80);
  char loc[160];
  snprintf(loc, sizeof loc, "%s", rs.location);
  sbuf_free(&rs.body);
  call(f, "POST", "/api/v1/log/entries", p2, &rs);
  assert_int_equal(rs.status, 201);
  check_entry(f, &rs, 1, 2, p2);
  sbuf_free(&rs.body);
  /* the same entry again: 409 with the first one's Location */
  call(f, "POST", "/api/v1/log/entries", p1, &rs);
  assert_string_equal(rs.location, loc);
  expect(&rs, 409, loc + 20 + 16);
  /* ... also when written differently (key order, spaces, base64 broken
   * over lines): the canonical body is the same */
  sbuf q = SBUF_INIT;
  const char *spec = strstr(p1, "\"spec\"");
  const char *content = strstr(spec, "\"content\":\"") + 11;
  assert_int_equal(sbuf_printf(&q, "{ %.*s\\n%.*s, \"kind\":\"hashedrekord\","
                               "\"apiVersion\":\"0.0.1\" }",
                               (int)(content + 2 - spec), spec,
                               (int)(strrchr(p1, '}') - content - 2),
                               content + 2), STELLA_OK);
  call(f, "POST", "/api/v1/log/entries", q.data, &rs);
  expect(&rs, 409, "already exists");
  assert_int_equal(f->st->size, 2);
  sbuf_free(&q);
  free(p1);
  free(p2);
}

/* Rejections of proposals: status 400 and the reason. */
static void test_api_create_refusals(void **state) {
  api_fixture *f = *state;
  drill_resp rs;
  char *good = proposal(f, "three"), *other = proposal(f, "four");
  /* the signature of "four" with the digest of "three" */
  const char *s1 = strstr(good, "\"signature\":{\"content\":\"") + 24;
  const char *s2 = strstr(other, "\"signature\":{\"content\":\"") + 24;
  size_t l1 = strcspn(s1, "\""), l2 = strcspn(s2, "\"");
  sbuf mixed = SBUF_INIT;
  assert_int_equal(sbuf_printf(&mixed, "%.*s%.*s%s", (int)(s1 - good), good,
                               (int)l2, s2, s1 + l1), STELLA_OK);
  call(f, "POST", "/api/v1/log/entries", mixed.data, &rs);
  expect(&rs, 400, "verifying signature");
  static const struct { const char *from, *to, *why; } edits[] = {
    {"hashedrekord", "intoto", "kind must be hashedrekord"},
    {"\"0.0.1\"", "\"0.0.2\"", "apiVersion must be 0.0.1"},
    {"\"sha256\"", "\"sha512\"", "algorithm must be sha256"},
    {"\"value\":\"", "\"value\":\"zz", "64 lowercase hex digits"},
    {"\"publicKey\":{\"content\":\"", "\"publicKey\":{\"content\":\"!",
     "base64 PEM key"},
    {"\"signature\":{\"content\":\"", "\"signature\":{\"content\":\"%",
     "base64 signature"},
  };
  for (size_t i = 0; i < sizeof edits / sizeof *edits; i++) {
    const char *at = strstr(good, edits[i].from);
    sbuf b = SBUF_INIT;
    assert_int_equal(sbuf_printf(&b, "%.*s%s%s", (int)(at - good), good,
                                 edits[i].to, at + strlen(edits[i].from)),
                     STELLA_OK);
    call(f, "POST", "/api/v1/log/entries", b.data, &rs);
    expect(&rs, 400, edits[i].why);
    sbuf_free(&b);
  }
  call(f, "POST", "/api/v1/log/entries", "{\"kind\":", &rs);
  expect(&rs, 400, "not JSON");
  assert_int_equal(f->st->size, 0);
  sbuf_free(&mixed);
  free(good);
  free(other);
}

/* The client key's PEM with CRLF line ends, and with its base64 in lines
 * of 76 between a comment and a trailing line: malloc'd. */
static char *pem_crlf(const char *pem) {
  sbuf out = SBUF_INIT;
  for (const char *c = pem; *c; c++)
    assert_int_equal(*c == '\n' ? sbuf_append_str(&out, "\r\n")
                                : sbuf_append(&out, c, 1), STELLA_OK);
  return sbuf_take(&out, NULL);
}

static char *pem_rewrapped(const char *pem) {
  sbuf b64 = SBUF_INIT, out = SBUF_INIT;
  const char *body = strchr(pem, '\n') + 1, *end = strstr(pem, "-----END");
  for (const char *c = body; c < end; c++)
    if (*c != '\n')
      assert_int_equal(sbuf_append(&b64, c, 1), STELLA_OK);
  assert_int_equal(sbuf_append_str(&out, "my signing key\n-----BEGIN PUBLIC "
                                   "KEY-----\n"), STELLA_OK);
  for (size_t i = 0; i < b64.len; i += 76)
    assert_int_equal(sbuf_printf(&out, "%.*s\n", (int)(b64.len - i < 76 ?
                                 b64.len - i : 76), b64.data + i),
                     STELLA_OK);
  assert_int_equal(sbuf_append_str(&out, "-----END PUBLIC KEY-----\n\n"
                                   "(end)\n"), STELLA_OK);
  sbuf_free(&b64);
  return sbuf_take(&out, NULL);
}

/* prop (malloc'd copy) with its public key written as pem: the same
 * signature, so the same entry. */
static char *with_key(const char *prop, const char *pem) {
  const char *key = strstr(prop, "\"publicKey\":{\"content\":\"") + 24;
  char *b64 = NULL;
  sbuf out = SBUF_INIT;
  assert_int_equal(base64_encode((const uint8_t *)pem, strlen(pem), &b64),
                   STELLA_OK);
  assert_int_equal(sbuf_printf(&out, "%.*s%s%s", (int)(key - prop), prop,
                               b64, key + strcspn(key, "\"")), STELLA_OK);
  free(b64);
  return sbuf_take(&out, NULL);
}

/* The entry in rs holds the key as proposal canonical (made with the
 * client's PEM as OpenSSL writes it) has it. */
static void assert_stored_key(const drill_resp *rs, const char *canonical) {
  const char *key = strstr(canonical, "\"publicKey\":{\"content\":\"");
  size_t len = strcspn(key + 24, "\"") + 25;
  rekor_entry *v = NULL;
  size_t n = 0;
  assert_int_equal(rekor_entries_from_api(rs->body.data, rs->body.len, &v,
                                          &n, NULL, 0), STELLA_OK);
  assert_non_null(memmem(v[0].body, v[0].body_len, key, len));
  rekor_entries_free(v, n);
}

/* The same entry sent with its key written differently is a duplicate
 * (the key is stored in its canonical PEM, as Rekor does); an upper-case
 * artifact hash is refused, not logged a second time. */
static void test_api_duplicate_written_differently(void **state) {
  api_fixture *f = *state;
  drill_resp rs;
  char *p1 = proposal(f, "one"), loc[160];
  call(f, "POST", "/api/v1/log/entries", p1, &rs);
  assert_int_equal(rs.status, 201);
  snprintf(loc, sizeof loc, "%s", rs.location);
  sbuf_free(&rs.body);
  char *pems[] = {pem_crlf(f->client_pem), pem_rewrapped(f->client_pem)};
  for (size_t i = 0; i < 2; i++) {
    char *p = with_key(p1, pems[i]);
    call(f, "POST", "/api/v1/log/entries", p, &rs);
    assert_string_equal(rs.location, loc);
    expect(&rs, 409, "already exists");
    free(p);
    /* a new artifact with that key: stored with the canonical PEM */
    p = proposal_pem(f, i ? "three" : "two", pems[i]);
    call(f, "POST", "/api/v1/log/entries", p, &rs);
    assert_int_equal(rs.status, 201);
    check_entry(f, &rs, (int64_t)i + 1, i + 2, NULL);
    assert_stored_key(&rs, p1);
    sbuf_free(&rs.body);
    free(pems[i]);
    free(p);
  }
  char *upper = strdup(p1), *hex = strstr(upper, "\"value\":\"") + 9;
  for (int i = 0; i < 64; i++)
    if (hex[i] >= 'a' && hex[i] <= 'f')
      hex[i] = (char)(hex[i] - 'a' + 'A');
  call(f, "POST", "/api/v1/log/entries", upper, &rs);
  expect(&rs, 400, "64 lowercase hex digits");
  assert_int_equal(f->st->size, 3);
  free(upper);
  free(p1);
}

/* An answer that cannot be built (here: the checkpoint cannot be signed
 * under a name the note format refuses) is a 500 and leaves no entry in
 * drill.db: the client fails over, and the entry is logged once. */
static void test_api_create_unanswerable(void **state) {
  api_fixture *f = *state;
  drill_resp rs;
  char why[256], *p = proposal(f, "one");
  free(f->st->name);
  f->st->name = strdup("a b"); /* past drill_state_set_name's check */
  call(f, "POST", "/api/v1/log/entries", p, &rs);
  expect(&rs, 500, NULL);
  assert_string_equal(rs.location, "");
  assert_int_equal(f->st->size, 0);
  drill_state_free(f->st);
  assert_int_equal(drill_state_open(f->dir, NULL, &f->st, why, sizeof why),
                   STELLA_OK);
  assert_int_equal(f->st->size, 0);
  assert_int_equal(drill_state_set_name(f->st, "drill.test:1"), STELLA_OK);
  call(f, "POST", "/api/v1/log/entries", p, &rs);
  assert_int_equal(rs.status, 201);
  check_entry(f, &rs, 0, 1, p);
  sbuf_free(&rs.body);
  free(p);
}

/* An append taken back takes its checkpoint with it: the next entry has
 * the same index, a tree of the same size with another root. */
static void test_state_rollback(void **state) {
  api_fixture *f = *state;
  drill_entry x;
  int dup = 0;
  const char *note = NULL;
  merkle_hash root;
  checkpoint cp;
  assert_int_equal(drill_state_append(f->st, (const uint8_t *)"a", 1, NOW,
                                      &x, &dup), STELLA_OK);
  assert_int_equal(drill_state_checkpoint(f->st, &note), STELLA_OK);
  drill_entry_clear(&x);
  drill_state_rollback(f->st);
  assert_int_equal(f->st->size, 0);
  assert_int_equal(drill_state_append(f->st, (const uint8_t *)"b", 1, NOW,
                                      &x, &dup), STELLA_OK);
  assert_int_equal(drill_state_commit(f->st), STELLA_OK);
  drill_state_rollback(f->st); /* nothing pending: a no-op */
  assert_int_equal(f->st->size, 1);
  assert_int_equal(drill_state_checkpoint(f->st, &note), STELLA_OK);
  assert_int_equal(checkpoint_parse(note, strlen(note), &cp, NULL, 0),
                   STELLA_OK);
  merkle_leaf_hash((const uint8_t *)"b", 1, root);
  assert_memory_equal(cp.root, root, 32);
  checkpoint_clear(&cp);
  drill_entry_clear(&x);
}

static void add_entries(api_fixture *f, int n) {
  for (int i = 0; i < n; i++) {
    char name[32];
    drill_resp rs;
    snprintf(name, sizeof name, "artifact %d", i);
    char *p = proposal(f, name);
    call(f, "POST", "/api/v1/log/entries", p, &rs);
    expect(&rs, 201, NULL);
    free(p);
  }
}

static void test_api_read(void **state) {
  api_fixture *f = *state;
  drill_resp rs;
  char path[200];
  add_entries(f, 5);
  call_q(f, "/api/v1/log/entries", NULL, NULL, "3", &rs);
  assert_int_equal(rs.status, 200);
  check_entry(f, &rs, 3, 5, NULL);
  sbuf_free(&rs.body);
  drill_entry x;
  assert_int_equal(drill_state_get(f->st, 2, &x), STELLA_OK);
  /* by UUID in upper case, and by entry ID */
  snprintf(path, sizeof path, "/api/v1/log/entries/%s", x.uuid);
  for (char *c = path + 20; *c; c++)
    if (*c >= 'a' && *c <= 'f')
      *c = (char)(*c - 'a' + 'A');
  call(f, "GET", path, NULL, &rs);
  assert_int_equal(rs.status, 200);
  check_entry(f, &rs, 2, 5, NULL);
  sbuf_free(&rs.body);
  snprintf(path, sizeof path, "/api/v1/log/entries/%s%s", f->st->tree_hex,
           x.uuid);
  call(f, "GET", path, NULL, &rs);
  expect(&rs, 200, NULL);
  /* another tree's entry ID, a short UUID, past the end */
  snprintf(path, sizeof path, "/api/v1/log/entries/%s%s",
           f->st->tree_hex[0] == '0' ? "1000000000000000" : "0000000000000000",
           x.uuid);
  call(f, "GET", path, NULL, &rs);
  expect(&rs, 404, "no entry with UUID");
  snprintf(path, sizeof path, "/api/v1/log/entries/%.63s", x.uuid);
  call(f, "GET", path, NULL, &rs);
  expect(&rs, 400, "not an entry UUID");
  drill_entry_clear(&x);
  call_q(f, "/api/v1/log/entries", NULL, NULL, "5", &rs);
  expect(&rs, 404, "no entry at logIndex 5");
  call_q(f, "/api/v1/log/entries", NULL, NULL, "+1", &rs);
  expect(&rs, 400, "logIndex must be");
  call_q(f, "/api/v1/log/entries", NULL, NULL, NULL, &rs);
  expect(&rs, 400, "needs ?logIndex");
  /* retrieve: what exists, in order; caps and shapes */
  call(f, "POST", "/api/v1/log/entries/retrieve", "{\"logIndexes\":[4,9,0]}",
       &rs);
  rekor_entry *v = NULL;
  size_t n = 0;
  assert_int_equal(rs.status, 200);
  assert_int_equal(rekor_entries_from_api(rs.body.data, rs.body.len, &v, &n,
                                          NULL, 0), STELLA_OK);
  assert_int_equal(n, 2);
  assert_int_equal(v[0].log_index, 4);
  assert_int_equal(v[1].log_index, 0);
  rekor_entries_free(v, n);
  sbuf_free(&rs.body);
  call(f, "POST", "/api/v1/log/entries/retrieve",
       "{\"logIndexes\":[0,1,2,3,4,5,6,7,8,9,10]}", &rs);
  expect(&rs, 422, "at most 10");
  call(f, "POST", "/api/v1/log/entries/retrieve", "{\"logIndexes\":7}", &rs);
  expect(&rs, 400, "logIndexes");
  call(f, "POST", "/api/v1/log/entries/retrieve", "{\"entryUUIDs\":[\"x\"]}",
       &rs);
  expect(&rs, 400, "entryUUIDs");
}

static void test_api_log_and_proof(void **state) {
  api_fixture *f = *state;
  drill_resp rs;
  rekor_log_info li;
  rekor_consistency c;
  merkle_hash root3;
  add_entries(f, 7);
  call(f, "GET", "/api/v1/log", NULL, &rs);
  assert_int_equal(rs.status, 200);
  assert_int_equal(rekor_log_info_parse(rs.body.data, rs.body.len, &li, NULL,
                                        0), STELLA_OK);
  assert_int_equal(li.tree_size, 7);
  assert_string_equal(li.tree_id, f->st->tree_id);
  assert_int_equal(li.n_inactive_shards, 0);
  sbuf_free(&rs.body);
  assert_int_equal(drill_state_root(f->st, 3, root3), STELLA_OK);
  call_q(f, "/api/v1/log/proof", "3", "7", NULL, &rs);
  assert_int_equal(rs.status, 200);
  assert_int_equal(rekor_consistency_parse(rs.body.data, rs.body.len, &c,
                                           NULL, 0), STELLA_OK);
  assert_memory_equal(c.root_hash, li.root_hash, 32);
  assert_int_equal(merkle_verify_consistency(3, 7, root3, li.root_hash,
                                             c.hashes, c.n_hashes),
                   STELLA_OK);
  rekor_consistency_clear(&c);
  rekor_log_info_clear(&li);
  sbuf_free(&rs.body);
  call_q(f, "/api/v1/log/proof", NULL, "7", NULL, &rs);
  expect(&rs, 200, "\"hashes\"");                 /* firstSize defaults to 1 */
  call_q(f, "/api/v1/log/proof", "0", "7", NULL, &rs);
  expect(&rs, 400, "firstSize must be");
  call_q(f, "/api/v1/log/proof", "5", "4", NULL, &rs);
  expect(&rs, 400, "less than or equal to lastSize");
  call_q(f, "/api/v1/log/proof", "1", "8", NULL, &rs);
  expect(&rs, 400, "less than or equal to the tree size");
  call_q(f, "/api/v1/log/proof", "1", "abc", NULL, &rs);
  expect(&rs, 400, "lastSize must be");
  call(f, "GET", "/api/v1/log/publicKey", NULL, &rs);
  assert_string_equal(rs.ctype, "application/x-pem-file");
  expect(&rs, 200, "BEGIN PUBLIC KEY");
  call(f, "PUT", "/api/v1/log", NULL, &rs);
  expect(&rs, 405, "PUT is not allowed");
  call(f, "GET", "/api/v2/log", NULL, &rs);
  expect(&rs, 404, "not found");
  call(f, "GET", "/api/v1/log/entries/a/b", NULL, &rs);
  expect(&rs, 404, "not found");
}

/* Errors that echo what the client sent stay JSON on one line whatever it
 * sent: invalid UTF-8, a UTF-8 character cut by the length limit, control
 * characters (once a 500 with an empty body). */
static void test_api_echo_is_printable(void **state) {
  api_fixture *f = *state;
  drill_resp rs;
  char path[160];
  memset(path, 'a', sizeof path);
  memcpy(path, "/x", 2);
  memcpy(path + 99, "\xc3\xa9", 2);        /* cut after its first byte */
  path[120] = '\0';
  const char *paths[] = {"/api/v1/\xff\xfe", path,
                         "/api/v1/log/entries/\x01\n\t\x7f", "/\xe2\x80"};
  for (size_t i = 0; i < sizeof paths / sizeof *paths; i++) {
    call(f, "GET", paths[i], NULL, &rs);
    assert_in_range(rs.status, 400, 404);
    json_doc *doc = NULL;
    assert_int_equal(json_parse(rs.body.data, rs.body.len, &doc, NULL, 0),
                     STELLA_OK);
    const char *msg = json_get_str(json_root(doc), "message");
    assert_non_null(msg);
    for (const char *c = msg; *c; c++)
      assert_true(*c >= 0x20 && *c <= 0x7e);
    json_doc_free(doc);
    expect(&rs, rs.status, "?");
  }
  drill_req rq = {.method = "GET", .path = "/api/v1/log/proof",
                  .last_size = "1", .tree_id = "\xff\xff", .body = ""};
  add_entries(f, 1);
  memset(&rs, 0, sizeof rs);
  drill_api_answer(f->st, NOW, &rq, &rs);
  expect(&rs, 400, "unknown treeID ??");
}

/* A replica refuses writes before reading anything. */
static void test_api_replica_refuses_post(void **state) {
  (void)state;
  char *dir = tmpdir(), why[256];
  api_fixture f = {.dir = dir};
  drill_resp rs;
  assert_int_equal(drill_state_open(dir, "http://127.0.0.1:9/", &f.st, why,
                                    sizeof why), STELLA_OK);
  assert_string_equal(f.st->upstream, "http://127.0.0.1:9");
  call(&f, "POST", "/api/v1/log/entries", "{}", &rs);
  expect(&rs, 405, "read replica of http://127.0.0.1:9");
  call(&f, "GET", "/api/v1/log", NULL, &rs);
  expect(&rs, 503, "no checkpoint yet");
  drill_state_free(f.st);
  /* never reached its upstream: a mistyped URL can be corrected */
  assert_int_equal(drill_state_open(dir, "http://127.0.0.1:10", &f.st, why,
                                    sizeof why), STELLA_OK);
  crypto_signer *up = NULL;
  sbuf pem = SBUF_INIT;
  assert_int_equal(crypto_signer_generate("ecdsa-p256", &up), STELLA_OK);
  assert_int_equal(crypto_signer_public_pem(up, &pem), STELLA_OK);
  assert_int_equal(drill_state_set_upstream(f.st, "42", pem.data, pem.len,
                                            why, sizeof why), STELLA_OK);
  drill_state_free(f.st);
  /* once it copies a tree, another upstream is refused */
  assert_int_equal(drill_state_open(dir, "http://127.0.0.1:9", &f.st, why,
                                    sizeof why), STELLA_E_EXISTS);
  assert_non_null(strstr(why, "replica of http://127.0.0.1:10"));
  /* and so is another upstream key in upstream.pem */
  crypto_signer *other = NULL;
  char *upath = fs_join(dir, "upstream.pem");
  assert_int_equal(crypto_signer_generate("ecdsa-p256", &other), STELLA_OK);
  sbuf_reset(&pem);
  assert_int_equal(crypto_signer_public_pem(other, &pem), STELLA_OK);
  assert_int_equal(fs_write_atomic(upath, pem.data, pem.len, 0644),
                   STELLA_OK);
  assert_int_equal(drill_state_open(dir, "http://127.0.0.1:10", &f.st, why,
                                    sizeof why), STELLA_E_SIGNATURE);
  assert_non_null(strstr(why, "not this log's key"));
  free(upath);
  sbuf_free(&pem);
  crypto_signer_free(up);
  crypto_signer_free(other);
  rmrf(dir);
  free(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_addr_parse),
    cmocka_unit_test(test_fault_parse),
    cmocka_unit_test(test_fault_json_refusals),
    cmocka_unit_test(test_name_check),
    cmocka_unit_test(test_state_refusals),
    cmocka_unit_test_setup_teardown(test_api_create, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_api_create_refusals, api_setup,
                                    api_teardown),
    cmocka_unit_test_setup_teardown(test_api_duplicate_written_differently,
                                    api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_api_create_unanswerable, api_setup,
                                    api_teardown),
    cmocka_unit_test_setup_teardown(test_state_rollback, api_setup,
                                    api_teardown),
    cmocka_unit_test_setup_teardown(test_api_read, api_setup, api_teardown),
    cmocka_unit_test_setup_teardown(test_api_log_and_proof, api_setup,
                                    api_teardown),
    cmocka_unit_test_setup_teardown(test_api_echo_is_printable, api_setup,
                                    api_teardown),
    cmocka_unit_test(test_api_replica_refuses_post),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
