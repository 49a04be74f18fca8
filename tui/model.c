/* model.c - the console's data: status snapshots, the Rekor backends and
 * the background sync, all through the public API. */
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void model_set_load_error(console_model *m, stella_err err,
                                 const char *detail) {
  m->load_err = err;
  snprintf(m->load_msg, sizeof m->load_msg, "%s",
           detail && *detail ? detail : stella_strerror(err));
}

/* The handle is opened lazily so a folder that becomes readable later (or is
 * initialised from another terminal) is picked up by the next reload. */
static int model_ensure_trust(console_model *m) {
  if (m->trust)
    return 1;
  stella_err err = STELLA_OK;
  m->trust = stella_trust_open(m->home, m->clock, &err);
  if (!m->trust) {
    /* Worded like the CLI: a damaged stella.db is named as such. */
    char why[CONSOLE_MSG_MAX];
    err = err ? err : STELLA_E_IO;
    model_set_load_error(m, err, stella_trust_open_errmsg(m->home, err, why,
                                                          sizeof why));
    return 0;
  }
  return 1;
}

void console_model_open(console_model *m, const char *home,
                        const stella_clock *clock,
                        const stella_sync_opts *opts) {
  memset(m, 0, sizeof *m);
  m->clock = clock ? clock : stella_clock_system();
  m->home = home ? strdup(home) : NULL;
  if (opts)
    m->sync_opts = *opts;
  /* The worker thread must not call back into the console. */
  m->sync_opts.note = NULL;
  m->sync_opts.note_ctx = NULL;
  console_model_reload(m);
}

static void model_clear_backends(console_model *m) {
  if (m->backends)
    stella_backends_free(m->backends, m->n_backends);
  m->backends = NULL;
  m->n_backends = 0;
}

/* A short-lived Rekor handle per reload, so a newly synced signing config
 * or local mirror list shows up, and breaker states are never stale. */
static void model_reload_backends(console_model *m) {
  stella_err err = STELLA_OK;
  const char *why = NULL;
  model_clear_backends(m);
  stella_rekor *r = stella_rekor_open(m->trust, NULL, &err);
  if (!r) {
    err = err ? err : STELLA_E_IO;
    why = stella_trust_errmsg(m->trust);
  } else if ((err = stella_rekor_backends(r, &m->backends, &m->n_backends))) {
    model_clear_backends(m);
    why = stella_rekor_errmsg(r);
  }
  m->backends_err = err;
  snprintf(m->backends_msg, sizeof m->backends_msg, "%s",
           err == STELLA_OK ? "" : why && *why ? why : stella_strerror(err));
  stella_rekor_free(r);
}

stella_err console_model_reload(console_model *m) {
  if (!model_ensure_trust(m))
    return m->load_err;
  model_reload_backends(m);
  stella_status *st = NULL;
  stella_err err = stella_trust_status(m->trust, &st);
  if (err != STELLA_OK) {
    model_set_load_error(m, err, stella_trust_errmsg(m->trust));
    stella_status_free(st);
    /* No root means nothing shown is trustworthy any more. */
    if (err == STELLA_E_NOT_INITIALIZED) {
      stella_status_free(m->status);
      m->status = NULL;
    }
    return err;
  }
  stella_status_free(m->status);
  m->status = st;
  m->load_err = STELLA_OK;
  m->load_msg[0] = '\0';
  return STELLA_OK;
}

void console_model_close(console_model *m) {
  if (!m)
    return;
  stella_sync_job_cancel(m->job); /* quitting must not wait on a slow server */
  stella_sync_job_free(m->job);
  model_clear_backends(m);
  stella_status_free(m->status);
  stella_trust_free(m->trust);
  free(m->home);
  memset(m, 0, sizeof *m);
}

stella_err console_model_sync_start(console_model *m, char *msg,
                                    size_t msglen) {
  if (m->job) {
    snprintf(msg, msglen, "a sync is already running");
    return STELLA_E_INVALID_ARG;
  }
  if (!model_ensure_trust(m)) {
    snprintf(msg, msglen, "cannot sync: %s", m->load_msg);
    return m->load_err;
  }
  stella_err err = STELLA_OK;
  m->job = stella_sync_job_start(m->trust, &m->sync_opts, &err);
  if (!m->job) {
    const char *why = stella_trust_errmsg(m->trust);
    snprintf(msg, msglen, "cannot start a sync: %s",
             why && *why ? why : stella_strerror(err));
    return err ? err : STELLA_E_INVALID_ARG;
  }
  return STELLA_OK;
}

int console_model_sync_fd(const console_model *m) {
  return m->job ? stella_sync_job_fd(m->job) : -1;
}

int console_model_syncing(const console_model *m) { return m->job != NULL; }

int console_model_sync_poll(console_model *m) {
  stella_err result = STELLA_OK;
  const char *msg = NULL;
  if (!m->job || !stella_sync_job_done(m->job, &result, &msg))
    return 0;
  const char *text = msg && *msg ? msg : stella_strerror(result);
  snprintf(m->sync_outcome, sizeof m->sync_outcome, "%s: %s",
           result == STELLA_OK ? "sync ok" : "sync failed", text);
  m->sync_result = result;
  stella_sync_job_free(m->job);
  m->job = NULL;
  console_model_reload(m);
  return 1;
}

int64_t console_model_now(const console_model *m) {
  return m->clock->now(m->clock->ctx);
}

int console_model_uninitialized(const console_model *m) {
  return !m->status && m->load_err == STELLA_E_NOT_INITIALIZED;
}
