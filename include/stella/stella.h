/* stella.h - public API of the stella trust core (libstella).
 *
 * Shape borrowed from libcurl: opaque handles, one error enum with
 * stella_strerror(), and every prototype says what it returns, who owns
 * what, and whether it blocks. The core never exits or aborts; every call
 * returns a stella_err and, on a handle, keeps a one-line message that says
 * what failed, why, and what to do (stella_trust_errmsg()).
 */
#ifndef STELLA_STELLA_H
#define STELLA_STELLA_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define STELLA_API __attribute__((visibility("default")))
#else
#define STELLA_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* One error enum for the whole library. 0 is success. Keep the order:
 * values are stable and appear in --json output as "error_code". */
typedef enum stella_err {
  STELLA_OK = 0,
  STELLA_E_NOMEM,          /* out of memory */
  STELLA_E_INVALID_ARG,    /* caller passed something unusable */
  STELLA_E_IO,             /* local file system error */
  STELLA_E_NETWORK,        /* connection failed, DNS, TLS, reset */
  STELLA_E_TIMEOUT,        /* the server did not answer in time */
  STELLA_E_HTTP,           /* the server answered with a non-2xx status */
  STELLA_E_NOT_FOUND,      /* 404/403 from a server, or a missing file/target */
  STELLA_E_TOO_LARGE,      /* a body or file is over its size cap */
  STELLA_E_PARSE,          /* not JSON, or JSON that breaks the canonical rules */
  STELLA_E_FORMAT,         /* valid JSON, wrong shape (missing field, wrong type) */
  STELLA_E_SIGNATURE,      /* threshold of valid signatures not met */
  STELLA_E_EXPIRED,        /* metadata past its expiry (freeze attack guard) */
  STELLA_E_ROLLBACK,       /* a version went backwards, or a role vanished */
  STELLA_E_VERSION,        /* version differs from the one announced */
  STELLA_E_HASH,           /* length or hash does not match */
  STELLA_E_UNSUPPORTED,    /* unknown key type, scheme or hash algorithm */
  STELLA_E_EXISTS,         /* refusing to overwrite (use --force) */
  STELLA_E_NOT_INITIALIZED,/* no trusted root yet (run `stella trust init`) */
  STELLA_E_LIMIT,          /* a safety cap was reached (root rotations, delegations) */
  STELLA_E_UNAVAILABLE,    /* every backend's circuit breaker is open */
  STELLA_E_INCONSISTENT,   /* two views of a log cannot be proven consistent */
  STELLA_E_CANCELLED,      /* the caller asked to stop (the console quit) */
  STELLA_E__LAST
} stella_err;

/* Returns a static, never-NULL description of err. */
STELLA_API const char *stella_strerror(stella_err err);

/* ---- Time ------------------------------------------------------------- */

/* Injectable clock: every expiry, age and cool-down in the core asks this.
 * now() returns seconds since the Unix epoch (UTC). */
typedef struct stella_clock {
  int64_t (*now)(void *ctx);
  void *ctx;
} stella_clock;

/* The real wall clock (time()), so faketime works too. Static, never freed. */
STELLA_API const stella_clock *stella_clock_system(void);

/* Parses RFC 3339 ("2026-08-22T00:00:00Z", fractions and +hh:mm offsets
 * accepted) into epoch seconds. Returns STELLA_OK or STELLA_E_PARSE (also
 * for a date or time that does not exist: 2026-02-30, 24:00, :60). */
STELLA_API stella_err stella_time_parse(const char *text, int64_t *out);

/* Formats t as "YYYY-MM-DDTHH:MM:SSZ" into buf (at least 21 bytes). */
STELLA_API void stella_time_format(int64_t t, char *buf, size_t buflen);

/* Parses a duration "7d", "36h", "90m", "45s", "120d" into seconds.
 * Returns STELLA_OK or STELLA_E_PARSE. */
STELLA_API stella_err stella_duration_parse(const char *text, int64_t *out);

/* ---- The trust handle: the client's verified TUF state in one folder ---- */

typedef struct stella_trust stella_trust;

/* Opens (creating the folder if needed) the state folder home. home NULL
 * means: $STELLA_HOME, else $XDG_DATA_HOME/stella, else ~/.local/share/stella.
 * clock NULL means stella_clock_system(). Returns a handle the caller frees
 * with stella_trust_free(), or NULL with *err set. Does not block on network.
 * The same as stella_trust_open_mode(home, clock, STELLA_OPEN_CREATE, err). */
STELLA_API stella_trust *stella_trust_open(const char *home,
                                           const stella_clock *clock,
                                           stella_err *err);

/* When the state folder (and its stella.db) may be created. */
typedef enum stella_open_mode {
  /* Now, at open (what stella_trust_open does): for trust init and sync,
   * and the Rekor client, which records breakers and the ledger. */
  STELLA_OPEN_CREATE = 0,
  /* Never: a folder without stella.db gives NULL and
   * STELLA_E_NOT_INITIALIZED (stella_trust_open_errmsg: "no trust is set up
   * in DIR ..."), with nothing created or changed. For commands that only
   * read (trust status, snapshot export, metrics, rekor query) and the
   * console. */
  STELLA_OPEN_EXISTING,
  /* Only when trust is stored: the handle opens without creating anything;
   * stella_trust_init creates the folder once its URL and root check, and
   * stella_trust_snapshot_import once the bundle has verified, so a refused
   * one leaves no folder behind. Other calls on a folder without stella.db
   * fail with STELLA_E_NOT_INITIALIZED. Not for stella_rekor_open(). */
  STELLA_OPEN_ON_WRITE
} stella_open_mode;

/* stella_trust_open() with the choice of when to create the folder. home,
 * clock, ownership and *err as there. Does not block on network. */
STELLA_API stella_trust *stella_trust_open_mode(const char *home,
                                                const stella_clock *clock,
                                                stella_open_mode mode,
                                                stella_err *err);

/* NULL-safe. Frees the handle and everything it owns. */
STELLA_API void stella_trust_free(stella_trust *t);

/* One line saying why stella_trust_open() or stella_trust_open_mode()
 * failed with e for home (as given to it; NULL: the default folder) and what
 * to do (a damaged stella.db, a --home that is a file, no trust set up
 * there, ...), for front ends to show. Writes at most len bytes into buf
 * (the caller's) and returns buf. One stat(), no writes. */
STELLA_API const char *stella_trust_open_errmsg(const char *home,
                                                stella_err e, char *buf,
                                                size_t len);

/* The one-line message of the last failed call on t ("" if none). Owned by
 * t, valid until the next call on t. */
STELLA_API const char *stella_trust_errmsg(const stella_trust *t);

/* Absolute path of the state folder. Owned by t. */
STELLA_API const char *stella_trust_home(const stella_trust *t);

/* `trust init`: checks root_file (parse + self-signed to threshold) and
 * stores it as the trusted root with tuf_url (metadata at URL/, targets at
 * URL/targets/). No network. Refuses to replace existing trust unless force
 * (STELLA_E_EXISTS). Nothing is changed unless everything checks. */
STELLA_API stella_err stella_trust_init(stella_trust *t, const char *tuf_url,
                                        const char *root_file, int force);

/* A note the sync emits for the operator (e.g. stale metadata tolerated). */
typedef void (*stella_note_fn)(void *ctx, const char *line);

typedef struct stella_sync_opts {
  int force;              /* re-fetch the service map even if unchanged */
  int allow_stale;        /* tolerate expired metadata ... */
  int64_t max_stale_age;  /* ... that expired at most this many seconds ago */
  stella_note_fn note;    /* may be NULL; called for every tolerated item */
  void *note_ctx;
  int64_t deadline_s;     /* the whole sync's time limit; 0 = the default,
                           * STELLA_SYNC_DEADLINE_S */
  int (*cancelled)(void *ctx); /* may be NULL; polled on the syncing thread
                                  during and between transfers (at least
                                  once a second): non-zero stops the sync
                                  with STELLA_E_CANCELLED */
  void *cancel_ctx;
} stella_sync_opts;

#define STELLA_SYNC_DEADLINE_S 300
#define STELLA_SYNC_DEADLINE_MAX_S 86400

/* `trust sync`: full TUF update (root chain, timestamp, snapshot, targets),
 * then fetches and verifies the service-map targets trusted_root.json and
 * signing_config.v0.2.json (or signing_config.json). BLOCKS on network.
 * What was verified before a failure stays trusted; each file is replaced
 * atomically. opts may be NULL (defaults: no stale tolerance). */
STELLA_API stella_err stella_trust_sync(stella_trust *t,
                                        const stella_sync_opts *opts);

/* The one-line outcome of the last successful stella_trust_sync() on t,
 * e.g. "synced: root v15, timestamp v762, snapshot v165, targets v14;
 * service map: trusted_root.json, signing_config.v0.2.json" ("" if none).
 * Owned by t, valid until the next call on t. */
STELLA_API const char *stella_trust_sync_summary(const stella_trust *t);

/* Formats a non-negative age in seconds for people: "42s", "5m", "3h 20m",
 * "3h", "96d 4h", "120d" (a zero second unit is left out). buf should hold
 * at least 32 bytes. */
STELLA_API void stella_age_format(int64_t seconds, char *buf, size_t buflen);

/* ---- Status: a snapshot of verified state, owned by the caller ---------- */

typedef enum stella_role_state {
  STELLA_ROLE_OK = 0,
  STELLA_ROLE_STALE,    /* expired, tolerated by the last --allow-stale sync */
  STELLA_ROLE_EXPIRED,  /* expired and not tolerated */
  STELLA_ROLE_MISSING   /* not trusted yet */
} stella_role_state;

typedef enum stella_alert {
  STELLA_ALERT_OK = 0,
  STELLA_ALERT_WARNING,
  STELLA_ALERT_CRITICAL
} stella_alert;

typedef struct stella_role_status {
  char name[64];         /* "root", "timestamp", "snapshot", "targets" */
  int64_t version;       /* 0 when missing */
  int64_t expires;       /* epoch seconds, 0 when missing */
  stella_role_state state;
} stella_role_status;

typedef struct stella_endpoint {
  char *url;             /* owned by the status */
  char *kind;            /* "rekor", "ca", "oidc", "tsa" */
  int api_version;       /* majorApiVersion, 0 if absent */
  char *operator_name;   /* may be "" */
  int64_t valid_from;    /* 0 if absent */
  int64_t valid_until;   /* 0 if open-ended */
} stella_endpoint;

typedef struct stella_key {
  char *kind;            /* "tlog", "ctlog", "signing" */
  char *name;            /* key name where known, else "" */
  char *base_url;        /* "" if absent */
  char *log_id;          /* hex, "" if absent */
  char *key_type;        /* e.g. "PKIX_ECDSA_P256_SHA_256" */
  char *fingerprint_sha256; /* hex SHA-256 of the DER public key */
  char *status;          /* "active", "retired", "compromised" or "" */
  int64_t valid_from;
  int64_t valid_until;   /* 0 if open-ended */
} stella_key;

typedef struct stella_status {
  char tuf_url[1024];
  stella_role_status roles[4];  /* root, timestamp, snapshot, targets */
  int64_t last_sync;            /* epoch seconds of the last good sync, 0 never */
  int64_t now;                  /* the clock's time when the status was taken */
  stella_alert alert;           /* from last_sync age: >12h warning, >24h critical */
  size_t n_endpoints;
  stella_endpoint *endpoints;   /* owned by the status */
  size_t n_keys;
  stella_key *keys;             /* owned by the status */
  char *service_map_error;      /* NULL, or why the service map is unreadable */
} stella_status;

/* Reads trusted state from disk (no network, never blocks for long) into a
 * new status the caller frees with stella_status_free(). */
STELLA_API stella_err stella_trust_status(stella_trust *t, stella_status **out);

/* NULL-safe. */
STELLA_API void stella_status_free(stella_status *s);

/* "ok", "STALE", "EXPIRED", "missing". Static. */
STELLA_API const char *stella_role_state_name(stella_role_state s);

/* "ok", "warning", "critical". Static. */
STELLA_API const char *stella_alert_name(stella_alert a);

/* Alert level for an age in seconds (warning > 12 h, critical > 24 h). */
STELLA_API stella_alert stella_alert_for_age(int64_t age_seconds);

/* ---- Background sync, for the console's event loop ---------------------- */

typedef struct stella_sync_job stella_sync_job;

/* Starts stella_trust_sync() for the state folder of t on a worker thread
 * with its own handle (t is not touched by the worker). Returns NULL with
 * *err on failure. The job's fd (stella_sync_job_fd) becomes readable when
 * the sync is finished, so an event loop can poll() it. Never blocks. */
STELLA_API stella_sync_job *stella_sync_job_start(stella_trust *t,
                                                  const stella_sync_opts *opts,
                                                  stella_err *err);

/* A file descriptor that becomes readable when the job is done. */
STELLA_API int stella_sync_job_fd(const stella_sync_job *job);

/* Non-blocking: 1 when finished (result and message filled), 0 when still
 * running. msg (may be NULL) receives the one-line outcome, owned by job. */
STELLA_API int stella_sync_job_done(stella_sync_job *job, stella_err *result,
                                    const char **msg);

/* Asks the worker to stop at its next transfer poll (within about a
 * second); the job then finishes with STELLA_E_CANCELLED, and what was
 * verified before stays trusted. Never blocks. NULL-safe. */
STELLA_API void stella_sync_job_cancel(stella_sync_job *job);

/* Waits for the worker and frees the job. NULL-safe. */
STELLA_API void stella_sync_job_free(stella_sync_job *job);

/* ---- Trust bundles: the verified state for air-gapped sites ------------- */

/* What a bundle holds, or what an import changed (filled on success). */
typedef struct stella_bundle_info {
  int64_t root_first;     /* lowest root version in the bundle */
  int64_t root_last;      /* highest root version (the current root) */
  int64_t root_before;    /* import: trusted root before, 0 if none */
  int64_t timestamp, snapshot, targets; /* versions */
  int64_t exported_at;    /* epoch seconds, from the bundle's manifest */
  size_t n_files;         /* files in the bundle besides the manifest */
  int anchor_from_bundle; /* import: no local trust; the anchor root is
                             the bundle's first root (confirmed by force) */
  char anchor_sha256[65]; /* hex SHA-256 of that anchor root, else "" */
  char tuf_url[1024];     /* the repository URL the bundle came from */
} stella_bundle_info;

/* `trust snapshot export`: writes the verified trust state of t to out_file
 * (a zstd-compressed tar, written to a temp file beside it and renamed over
 * it, mode 0644; an existing out_file must be a regular file outside the
 * state folder, else STELLA_E_INVALID_ARG and nothing is written; the
 * folder is only read, under a shared lock): the current root
 * (include_root_chain: every root since the first one this client trusted,
 * so an importer holding any of them can walk the chain), the stored
 * timestamp, snapshot, targets and delegated metadata, the service-map
 * targets, and manifest.json (each file's sha256 and size, the export
 * time, the TUF URL). Needs a completed `trust sync`. No network; BLOCKS
 * on disk I/O. info may be NULL. */
STELLA_API stella_err stella_trust_snapshot_export(stella_trust *t,
                                                   const char *out_file,
                                                   int include_root_chain,
                                                   stella_bundle_info *info);

typedef struct stella_import_opts {
  /* Confirms a root change (or, on a folder with no trust, taking the
   * bundle's first root as the anchor). Never skips a check. */
  int force;
  stella_note_fn note;    /* may be NULL: warnings the operator must see */
  void *note_ctx;
  /* As stella_sync_opts: accept metadata in the bundle that expired at
   * most max_stale_age seconds ago (said through note, stored so status
   * shows STALE); allow_stale needs a positive max_stale_age. */
  int allow_stale;
  int64_t max_stale_age;
} stella_import_opts;

/* `trust snapshot import`: reads bundle_file with size caps (refusing
 * absolute or '..' paths, links, devices and duplicate names), checks every
 * file against the manifest, then verifies it with the full TUF rules
 * starting from the locally trusted root (root chain step by step,
 * timestamp, snapshot, targets, the service-map targets against the targets
 * metadata): rollback is refused, a root change needs opts->force. Where
 * the folder has no repository URL yet, the bundle's must pass the same
 * check as stella_trust_init's (else STELLA_E_FORMAT). The verified state
 * is built aside and swapped in at once: on any failure nothing is changed
 * (with STELLA_OPEN_ON_WRITE, a folder without trust is created only after
 * the bundle verified). No network; BLOCKS on disk I/O. opts and info may
 * be NULL. */
STELLA_API stella_err stella_trust_snapshot_import(
    stella_trust *t, const char *bundle_file, const stella_import_opts *opts,
    stella_bundle_info *info);

#ifdef __cplusplus
}
#endif
#endif /* STELLA_STELLA_H */
