/* drill_internal.h - the parts of the drill log (drill.h) shared between
 * its files: the state (drill_state.c: sqlite, key, leaves, checkpoints),
 * the Rekor API answers (drill_api.c), the HTTP server and faults
 * (drill_http.c), the read replica (drill_replica.c) and the fault control
 * client and shared parsing (drill_control.c). */
#ifndef STELLA_DRILL_INTERNAL_H
#define STELLA_DRILL_INTERNAL_H

#include <netinet/in.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "crypto.h"
#include "crypto_sign.h"
#include "merkle.h"
#include "stella/stella.h"

#define DRILL_MAX_BODY (1024 * 1024)   /* cap on a request body */
#define DRILL_MAX_RETRIEVE 10          /* ids per /entries/retrieve (Rekor) */
#define DRILL_MAX_SLOW_MS 600000       /* slow MS: at most 10 minutes */
#define DRILL_REPLICA_POLL_MS 500      /* replica: upstream poll period */
#define DRILL_RECV_DEADLINE_MS 10000   /* a whole request must arrive in it */
#define DRILL_MAX_NAME 255              /* --name: origin and key name */

/* ---- Faults (drill_control.c) ---- */

typedef enum drill_fault_mode {
  DRILL_FAULT_NONE = 0,
  DRILL_FAULT_DOWN,      /* close API connections without a reply */
  DRILL_FAULT_HANG,      /* never answer */
  DRILL_FAULT_GARBAGE,   /* 200 with an HTML page */
  DRILL_FAULT_TRUNCATE,  /* announce the full length, send half, close */
  DRILL_FAULT_SLOW,      /* arg: delay in ms before each answer */
  DRILL_FAULT_ERROR      /* arg: HTTP status 400..599 */
} drill_fault_mode;

typedef struct drill_fault_spec {
  drill_fault_mode mode;
  long arg;              /* ms (slow), status (error), else 0 */
} drill_fault_spec;

/* "none", "down" ... Static. */
const char *drill_fault_name(drill_fault_mode m);

/* mode name and its argument (text; NULL when absent) into out, checking
 * that slow and error have a number in range and the others none.
 * STELLA_E_INVALID_ARG with a reason. */
stella_err drill_fault_parse(const char *mode, const char *arg,
                             drill_fault_spec *out, char *errbuf,
                             size_t errlen);

/* The same from a fault request body {"mode":"slow","arg":250}. */
stella_err drill_fault_from_json(const char *buf, size_t len,
                                 drill_fault_spec *out, char *errbuf,
                                 size_t errlen);

/* {"mode":"slow","arg":250} ("arg" only for slow and error), into out. */
stella_err drill_fault_to_json(const drill_fault_spec *f, sbuf *out);

/* "127.0.0.1:PORT" (any 127/8 address), with an optional "http://" and
 * trailing "/", into a socket address. Refuses anything not loopback. */
stella_err drill_addr_parse(const char *addr, struct sockaddr_in *out,
                            char *errbuf, size_t errlen);

/* name as the log's checkpoint origin and note key name: 1..DRILL_MAX_NAME
 * printable ASCII characters without spaces or '+' (the origin is one line
 * of the note; '+' separates a key name from its hash in a key hint).
 * STELLA_E_INVALID_ARG with what is wrong. */
stella_err drill_name_check(const char *name, char *errbuf, size_t errlen);

/* ---- State (drill_state.c) ---- */

/* One log entry as stored. */
typedef struct drill_entry {
  int64_t index;
  char uuid[2 * MERKLE_HASH_LEN + 1];  /* hex leaf hash */
  char *body_b64;                      /* canonical body, base64, malloc'd */
  int64_t integrated_time;
  merkle_hash leaf;
  char *set_b64;                       /* SET (DER), base64, malloc'd */
} drill_entry;

void drill_entry_clear(drill_entry *e); /* NULL-safe; zeroes e */

typedef struct drill_state {
  sqlite3 *db;
  char *dir;
  int replica;                  /* 1: copies an upstream, signs nothing */
  char *upstream;               /* replica: upstream base URL, no '/' end */
  char tree_id[24];             /* decimal; "" until a replica knows it */
  char tree_hex[17];            /* the same, 16 hex digits (entry IDs) */
  char *name;                   /* origin and note key name (primary) */
  crypto_signer *signer;        /* primary only */
  crypto_key *key;              /* verifies our SETs and checkpoints */
  char *pubkey_pem;             /* that key, PEM SPKI */
  merkle_hash log_id;           /* SHA-256(DER SPKI) */
  char log_id_hex[2 * MERKLE_HASH_LEN + 1];
  merkle_hash *leaves;          /* every leaf hash, index order */
  uint64_t size;
  size_t cap;                   /* of leaves */
  char *note;                   /* signed checkpoint at note_size */
  uint64_t note_size;
  int has_note;
  int pending;                  /* an append is not committed yet */
  uint64_t pending_from;        /* the size before it */
} drill_state;

/* Opens (creating on first start) the state folder dir as a primary
 * (upstream NULL: creates key.pem and a tree ID) or a replica of upstream.
 * Refuses a folder that is not a drill log's, a role change, a key file
 * readable by others. */
stella_err drill_state_open(const char *dir, const char *upstream,
                            drill_state **out, char *errbuf, size_t errlen);
void drill_state_free(drill_state *st); /* NULL-safe */

/* Sets the origin / note key name (primary); drops the cached note.
 * STELLA_E_INVALID_ARG for a name drill_name_check refuses. */
stella_err drill_state_set_name(drill_state *st, const char *name);

/* Replica: records the upstream's tree ID and key (first start). */
stella_err drill_state_set_upstream(drill_state *st, const char *tree_id,
                                    const char *pem, size_t pemlen,
                                    char *errbuf, size_t errlen);

/* Root of the first size leaves (size <= st->size). */
stella_err drill_state_root(drill_state *st, uint64_t size, merkle_hash out);

/* Inclusion proof of index in the tree of size leaves and consistency
 * proof between size1 and size2 (merkle.h; *proof malloc'd). */
stella_err drill_state_inclusion(drill_state *st, uint64_t index,
                                 uint64_t size, merkle_hash **proof,
                                 size_t *n);
stella_err drill_state_consistency(drill_state *st, uint64_t size1,
                                   uint64_t size2, merkle_hash **proof,
                                   size_t *n);

/* The signed checkpoint at the current size (borrowed from st): signed
 * and cached by a primary, the upstream's note for a replica. */
stella_err drill_state_checkpoint(drill_state *st, const char **note);

/* Primary: appends a canonical body (raw bytes) with its integrated time
 * and signs its SET, in a transaction left open: the entry is in st (size,
 * proofs, checkpoint) at once, but only drill_state_commit makes it
 * durable, and drill_state_rollback takes it back, so an answer that cannot
 * be built leaves no entry behind. *dup is set (and nothing appended) when
 * an entry with the same leaf hash exists; out gets the new or the
 * existing entry. */
stella_err drill_state_append(drill_state *st, const uint8_t *body,
                              size_t len, int64_t integrated_time,
                              drill_entry *out, int *dup);
/* Commits an append (no-op without one); on failure it is taken back. */
stella_err drill_state_commit(drill_state *st);
/* Takes back an append not committed yet (no-op without one). */
void drill_state_rollback(drill_state *st);

/* Replica: appends n verified entries (indexes st->size...) and the
 * upstream note that covers them, in one transaction. */
stella_err drill_state_replica_append(drill_state *st, const drill_entry *v,
                                      size_t n, const char *note);

/* Entry at index; STELLA_E_NOT_FOUND past the end. */
stella_err drill_state_get(drill_state *st, int64_t index, drill_entry *out);

/* Index of the entry with this uuid (64 lowercase hex). */
stella_err drill_state_find(drill_state *st, const char *uuid,
                            int64_t *index);

/* ---- API answers (drill_api.c) ---- */

typedef struct drill_req {
  const char *method;
  const char *path;
  const char *log_index, *first_size, *last_size, *tree_id; /* query */
  const char *body;
  size_t body_len;
} drill_req;

typedef struct drill_resp {
  unsigned status;
  const char *ctype;            /* static */
  sbuf body;
  char location[160];           /* "" when none */
} drill_resp;

/* Answers one Rekor API request; call with the state lock held. now is
 * the integrated time for a new entry. */
void drill_api_answer(drill_state *st, int64_t now, const drill_req *rq,
                      drill_resp *rs);

/* A Rekor-style error {"code":N,"message":"..."} into rs. */
void drill_api_error(drill_resp *rs, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- Replica (drill_replica.c) ---- */

typedef struct drill_replica drill_replica;

/* lock guards st against the HTTP threads (the replica thread is the only
 * writer, so it reads st without it).
 * First start: fetches and stores the upstream's public key and tree ID;
 * every start: one sync, so the replica serves a verified checkpoint from
 * its first request on. */
stella_err drill_replica_new(drill_state *st, pthread_mutex_t *lock,
                             drill_replica **out, char *errbuf,
                             size_t errlen);
/* Starts the poll thread (every DRILL_REPLICA_POLL_MS). */
stella_err drill_replica_start(drill_replica *r);
/* Stops and joins the thread; frees r. NULL-safe. */
void drill_replica_free(drill_replica *r);

#endif
