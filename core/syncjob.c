/* syncjob.c - stella_trust_sync() on a worker thread, for an event loop:
 * the worker opens its own handle on the same state folder (sqlite and the
 * sync lock make that safe) and writes one byte to a pipe when done. */
#include "stella/stella.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trust_internal.h"

#define SYNCJOB_MSG_MAX 1024

struct stella_sync_job {
  pthread_t thread;
  int pipe_rd, pipe_wr;
  char *home;
  stella_clock clock;
  stella_sync_opts opts;  /* note replaced: the worker collects notes */
  int stale_notes;        /* tolerated items seen by the worker */
  stella_err result;
  char msg[SYNCJOB_MSG_MAX];
  atomic_int finished;
  atomic_int cancel;      /* set by stella_sync_job_cancel */
  int (*caller_cancelled)(void *ctx); /* the caller's own, if any */
  void *caller_cancel_ctx;
};

static int syncjob_cancelled(void *ctx) {
  stella_sync_job *job = ctx;
  return atomic_load(&job->cancel) ||
         (job->caller_cancelled && job->caller_cancelled(job->caller_cancel_ctx));
}

/* Notes arrive on the worker thread; counting them keeps the caller's
 * callback off that thread. The outcome line says how many there were. */
static void syncjob_note(void *ctx, const char *line) {
  (void)line;
  stella_sync_job *job = ctx;
  job->stale_notes++;
}

static void syncjob_finish(stella_sync_job *job, stella_err e,
                           const char *text) {
  job->result = e;
  /* The warning goes first so a narrow status line still shows it. */
  int n = 0;
  if (!e && job->stale_notes)
    n = snprintf(job->msg, sizeof job->msg,
                 "WARNING: %d expired item(s) accepted as STALE; ",
                 job->stale_notes);
  if (n < 0 || (size_t)n >= sizeof job->msg)
    n = 0;
  snprintf(job->msg + n, sizeof job->msg - (size_t)n, "%.*s",
           (int)(sizeof job->msg - (size_t)n - 1), text);
  atomic_store(&job->finished, 1);
  ssize_t w = write(job->pipe_wr, "x", 1);
  (void)w; /* the finished flag is authoritative; the byte only wakes poll */
}

static void *syncjob_run(void *arg) {
  stella_sync_job *job = arg;
  stella_err e = STELLA_OK;
  stella_trust *t = stella_trust_open(job->home, &job->clock, &e);
  if (!t) {
    char text[SYNCJOB_MSG_MAX];
    snprintf(text, sizeof text, "opening %s failed: %s", job->home,
             stella_strerror(e));
    syncjob_finish(job, e, text);
    return NULL;
  }
  e = stella_trust_sync(t, &job->opts);
  syncjob_finish(job, e, e ? stella_trust_errmsg(t)
                           : stella_trust_sync_summary(t));
  stella_trust_free(t);
  return NULL;
}

static void syncjob_release(stella_sync_job *job) {
  if (job->pipe_rd >= 0)
    close(job->pipe_rd);
  if (job->pipe_wr >= 0)
    close(job->pipe_wr);
  free(job->home);
  free(job);
}

stella_sync_job *stella_sync_job_start(stella_trust *t,
                                       const stella_sync_opts *opts,
                                       stella_err *err) {
  int fds[2];
  stella_sync_job *job = calloc(1, sizeof *job);
  if (err)
    *err = STELLA_OK;
  if (!job || !t) {
    free(job);
    if (err)
      *err = t ? STELLA_E_NOMEM : STELLA_E_INVALID_ARG;
    return NULL;
  }
  job->pipe_rd = job->pipe_wr = -1;
  if (opts)
    job->opts = *opts;
  job->opts.note = syncjob_note;
  job->opts.note_ctx = job;
  job->caller_cancelled = job->opts.cancelled;
  job->caller_cancel_ctx = job->opts.cancel_ctx;
  job->opts.cancelled = syncjob_cancelled;
  job->opts.cancel_ctx = job;
  job->clock = *trust_clock(t);
  job->home = strdup(stella_trust_home(t));
  if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) == 0) {
    job->pipe_rd = fds[0];
    job->pipe_wr = fds[1];
  }
  if (!job->home || job->pipe_rd < 0 ||
      pthread_create(&job->thread, NULL, syncjob_run, job) != 0) {
    if (err)
      *err = job->home ? STELLA_E_IO : STELLA_E_NOMEM;
    syncjob_release(job);
    return NULL;
  }
  return job;
}

int stella_sync_job_fd(const stella_sync_job *job) {
  return job ? job->pipe_rd : -1;
}

int stella_sync_job_done(stella_sync_job *job, stella_err *result,
                         const char **msg) {
  if (!job || !atomic_load(&job->finished))
    return 0;
  char drain[8];
  while (read(job->pipe_rd, drain, sizeof drain) > 0)
    ; /* the fd is non-blocking; leave it quiet for the next poll */
  if (result)
    *result = job->result;
  if (msg)
    *msg = job->msg;
  return 1;
}

void stella_sync_job_cancel(stella_sync_job *job) {
  if (job)
    atomic_store(&job->cancel, 1);
}

void stella_sync_job_free(stella_sync_job *job) {
  if (!job)
    return;
  pthread_join(job->thread, NULL);
  syncjob_release(job);
}
