/* model.h - what the console shows: a snapshot of verified trust state,
 * read through the public API, and the background sync job. Knows nothing
 * about curses; does no network I/O itself (the sync job's worker does). */
#ifndef STELLA_TUI_MODEL_H
#define STELLA_TUI_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include "stella/rekor.h"
#include "stella/stella.h"

#define CONSOLE_MSG_MAX 512

typedef struct console_model {
  const stella_clock *clock;   /* not owned */
  char *home;                  /* --home as given (owned), NULL = default */
  stella_trust *trust;         /* NULL while the state folder is unusable */
  stella_status *status;       /* last good snapshot, NULL if none (owned) */
  stella_err load_err;         /* why the last reload failed, or STELLA_OK */
  char load_msg[CONSOLE_MSG_MAX]; /* one line for load_err ("" when OK) */
  stella_sync_opts sync_opts;  /* what `s` passes to the background sync */
  stella_sync_job *job;        /* non-NULL while a sync runs (owned) */
  stella_err sync_result;      /* outcome of the last finished sync */
  char sync_outcome[CONSOLE_MSG_MAX]; /* "" until a sync has finished */
  /* Rekor backends in failover order with their breakers, from the last
   * reload (stella_rekor_backends; owned, freed with stella_backends_free).
   * Empty when the Rekor client cannot be opened: backends_err and
   * backends_msg say why ("" and STELLA_OK when it could). */
  stella_backend *backends;
  size_t n_backends;
  stella_err backends_err;
  char backends_msg[CONSOLE_MSG_MAX];
} console_model;

/* Opens the state folder home (NULL: the library's default) and reads a
 * first status. Never fails for a missing or unreadable state: that is
 * recorded in load_err/load_msg and shown on screen. opts may be NULL. */
void console_model_open(console_model *m, const char *home,
                        const stella_clock *clock,
                        const stella_sync_opts *opts);

/* Re-reads the status from disk (retrying the open if it failed before).
 * Keeps the previous snapshot when the new read fails. Also re-reads the
 * Rekor backends (no network); those are never kept stale: a failure
 * empties them and says why in backends_msg. Returns load_err. */
stella_err console_model_reload(console_model *m);

/* Waits for a running sync, then frees everything. NULL-safe. */
void console_model_close(console_model *m);

/* Starts a background sync. Returns STELLA_OK, or an error with a line in
 * msg (msglen bytes) saying why nothing was started. Never blocks. */
stella_err console_model_sync_start(console_model *m, char *msg,
                                    size_t msglen);

/* The running job's fd for poll(), or -1 when no sync runs. */
int console_model_sync_fd(const console_model *m);

/* 1 when a sync is running. */
int console_model_syncing(const console_model *m);

/* If the running sync has finished: records its outcome, frees the job,
 * reloads the status and returns 1. Otherwise returns 0. Never blocks. */
int console_model_sync_poll(console_model *m);

/* The clock's current time, epoch seconds. */
int64_t console_model_now(const console_model *m);

/* 1 when there is no trusted root yet (guidance should be shown). */
int console_model_uninitialized(const console_model *m);

#endif
