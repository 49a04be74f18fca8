/* drill_watch.c - the drill log's connection watchdog. libmicrohttpd's
 * own timeout is an idle timeout: a client that trickles one header byte
 * at a time (slowloris), or a body that never ends, would hold its
 * connection thread for ever. Every connection is tracked here from accept
 * to close; one that has not delivered its whole request within
 * DRILL_RECV_DEADLINE_MS of its start (or of its previous answer, on a
 * kept-alive connection) is shut down by drill_watch_reap, with a 408 on
 * its first request. Connections whose request is being
 * answered are left alone: hang and slow hold them on purpose. Near the
 * connection limit the deadline is much shorter, so a flood of idle
 * connections cannot keep the operator's fault control out for long. */
#include "drill_watch.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

typedef struct drill_sock {
  struct drill_sock *prev, *next;
  int fd;
  int answering;                 /* the request is complete */
  int reaped;                    /* shut down once already */
  unsigned answered;             /* requests answered on it */
  struct timespec since;         /* start of the current request (or idle) */
} drill_sock;

struct drill_watch {
  pthread_mutex_t lock;          /* the list and every drill_sock in it */
  drill_sock *head;
  unsigned open;                 /* connections in the list */
  unsigned busy_at;              /* from this many on ... */
  long deadline_ms, busy_deadline_ms; /* ... this deadline, not that one */
  char reply[320];               /* the 408, in Rekor's error shape */
  size_t reply_len;
};

static long drill_ms_since(const struct timespec *t) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (now.tv_sec - t->tv_sec) * 1000L +
         (now.tv_nsec - t->tv_nsec) / 1000000L;
}

drill_watch *drill_watch_new(long deadline_ms, unsigned busy_at,
                             long busy_deadline_ms) {
  drill_watch *w = calloc(1, sizeof *w);
  if (!w)
    return NULL;
  char body[160];
  int blen = snprintf(body, sizeof body, "{\"code\":408,\"message\":\"the "
                      "request did not arrive within %ld s (%ld ms when the "
                      "log is near its connection limit)\"}",
                      deadline_ms / 1000, busy_deadline_ms);
  int rlen = snprintf(w->reply, sizeof w->reply, "HTTP/1.1 408 Request "
                      "Timeout\r\nContent-Type: application/json\r\n"
                      "Connection: close\r\nContent-Length: %d\r\n\r\n%s",
                      blen, body);
  w->reply_len = (size_t)rlen;
  pthread_mutex_init(&w->lock, NULL);
  w->deadline_ms = deadline_ms;
  w->busy_at = busy_at;
  w->busy_deadline_ms = busy_deadline_ms;
  return w;
}

/* After MHD_stop_daemon: every connection has been closed and notified. */
void drill_watch_free(drill_watch *w) {
  if (!w)
    return;
  while (w->head) {
    drill_sock *s = w->head;
    w->head = s->next;
    free(s);
  }
  pthread_mutex_destroy(&w->lock);
  free(w);
}

static void drill_watch_unlink(drill_watch *w, drill_sock *s) {
  w->open--;
  if (s->prev)
    s->prev->next = s->next;
  else
    w->head = s->next;
  if (s->next)
    s->next->prev = s->prev;
}

/* MHD calls CLOSED before it closes the socket, and under our lock the
 * reaper never touches a socket that is gone. */
void drill_watch_notify(void *cls, struct MHD_Connection *c,
                        void **socket_context,
                        enum MHD_ConnectionNotificationCode code) {
  drill_watch *w = cls;
  drill_sock *s = *socket_context;
  if (code == MHD_CONNECTION_NOTIFY_STARTED) {
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
    if (!ci || !(s = calloc(1, sizeof *s)))
      return; /* untracked: only MHD's idle timeout applies */
    s->fd = ci->connect_fd;
    clock_gettime(CLOCK_MONOTONIC, &s->since);
    pthread_mutex_lock(&w->lock);
    s->next = w->head;
    if (w->head)
      w->head->prev = s;
    w->head = s;
    w->open++;
    pthread_mutex_unlock(&w->lock);
    *socket_context = s;
  } else if (s) {
    pthread_mutex_lock(&w->lock);
    drill_watch_unlink(w, s);
    pthread_mutex_unlock(&w->lock);
    free(s);
    *socket_context = NULL;
  }
}

static drill_sock *drill_watch_sock(struct MHD_Connection *c) {
  const union MHD_ConnectionInfo *ci =
      MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  return ci ? ci->socket_context : NULL;
}

void drill_watch_answering(drill_watch *w, struct MHD_Connection *c) {
  drill_sock *s = drill_watch_sock(c);
  if (!s)
    return;
  pthread_mutex_lock(&w->lock);
  s->answering = 1;
  pthread_mutex_unlock(&w->lock);
}

void drill_watch_answered(drill_watch *w, struct MHD_Connection *c) {
  drill_sock *s = drill_watch_sock(c);
  if (!s)
    return;
  pthread_mutex_lock(&w->lock);
  s->answering = 0;
  s->answered++;
  clock_gettime(CLOCK_MONOTONIC, &s->since);
  pthread_mutex_unlock(&w->lock);
}

/* A first request gets its 408; an idle kept-alive connection is closed
 * quietly (a client may be sending its next request right now). */
void drill_watch_reap(drill_watch *w) {
  pthread_mutex_lock(&w->lock);
  long deadline = w->open >= w->busy_at ? w->busy_deadline_ms
                                        : w->deadline_ms;
  for (drill_sock *s = w->head; s; s = s->next) {
    if (s->answering || s->reaped || drill_ms_since(&s->since) < deadline)
      continue;
    if (!s->answered)
      (void)send(s->fd, w->reply, w->reply_len, MSG_DONTWAIT | MSG_NOSIGNAL);
    shutdown(s->fd, SHUT_RDWR);
    s->reaped = 1;
  }
  pthread_mutex_unlock(&w->lock);
}
