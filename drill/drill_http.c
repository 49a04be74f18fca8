/* drill_http.c - the drill log's HTTP side (libmicrohttpd, one thread per
 * connection so a hanging or slow answer holds only its own connection;
 * drill_watch.c cuts requests that do not arrive), the fault modes applied
 * to every request but /__drill/fault, and drill_serve: state, listening
 * socket, replica, ready line, and a clean stop on SIGINT/SIGTERM. */
#include "drill_internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "drill.h"
#include "drill_watch.h"

#define DRILL_IDLE_TIMEOUT_S 30   /* no progress at all (MHD's own timeout) */
/* Idle and trickling clients must not lock the others out: they hold a
 * thread each until drill_watch cuts them, so there is room for many. */
#define DRILL_MAX_CONNECTIONS 512
/* hang and slow hold at most this many answers; the rest of the
 * connections stay free for other clients and the operator's fault
 * control, which a flood of held requests would otherwise lock out. */
#define DRILL_MAX_HELD (DRILL_MAX_CONNECTIONS / 2)
/* From this many connections on, a request must arrive within
 * DRILL_BUSY_DEADLINE_MS: a flood of idle connections is cut in about a
 * second instead of keeping everyone out for DRILL_RECV_DEADLINE_MS. */
#define DRILL_BUSY_AT (DRILL_MAX_CONNECTIONS * 3 / 4)
#define DRILL_BUSY_DEADLINE_MS 1000
#define DRILL_WAIT_SLICE_MS 100   /* hang/slow re-check the peer this often */
#define DRILL_REAP_PERIOD_MS 500  /* the main thread runs drill_watch_reap */
#define DRILL_MAX_DISCARD (16 * DRILL_MAX_BODY) /* read past the cap, at most */

typedef struct drill_server {
  drill_state *st;
  const stella_clock *clock;
  pthread_mutex_t lock;          /* st */
  pthread_mutex_t fault_lock;    /* fault, stopping */
  pthread_cond_t fault_cond;     /* signalled on a fault change or stop */
  drill_fault_spec fault;
  int stopping;
  unsigned held;                 /* answers waiting in hang or slow */
  drill_watch *watch;            /* every connection's request deadline */
} drill_server;

/* Per request. */
typedef struct drill_conn {
  int control;                   /* /__drill/fault: never faulted */
  sbuf body;                     /* capped at DRILL_MAX_BODY */
  int too_large;
} drill_conn;

static const char drill_garbage_page[] =
    "<!DOCTYPE html>\n<html><head><title>Sign in to the network</title>"
    "</head>\n<body><h1>Welcome!</h1><p>Please accept the terms of use to "
    "continue browsing.</p></body></html>\n";

static drill_fault_spec drill_fault_now(drill_server *srv) {
  pthread_mutex_lock(&srv->fault_lock);
  drill_fault_spec f = srv->fault;
  pthread_mutex_unlock(&srv->fault_lock);
  return f;
}

/* ---- responses ---- */

/* Queues r (NULL: out of memory, the connection is closed) and drops our
 * reference. */
static enum MHD_Result drill_send(struct MHD_Connection *c, unsigned status,
                                  struct MHD_Response *r) {
  if (!r)
    return MHD_NO;
  enum MHD_Result ret = MHD_queue_response(c, status, r);
  MHD_destroy_response(r);
  return ret;
}

static struct MHD_Response *drill_response(const char *ctype,
                                           const char *body, size_t len) {
  struct MHD_Response *r = MHD_create_response_from_buffer(
      len, (void *)body, MHD_RESPMEM_MUST_COPY);
  if (r)
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
  return r;
}

static enum MHD_Result drill_queue(struct MHD_Connection *c, unsigned status,
                                   const char *ctype, const char *body,
                                   size_t len, const char *location) {
  struct MHD_Response *r = drill_response(ctype, body, len);
  if (r && location && *location)
    MHD_add_response_header(r, MHD_HTTP_HEADER_LOCATION, location);
  return drill_send(c, status, r);
}

static enum MHD_Result drill_queue_resp(struct MHD_Connection *c,
                                        const drill_resp *rs) {
  return drill_queue(c, rs->status, rs->ctype, rs->body.data ? rs->body.data
                     : "", rs->body.len, rs->location);
}

static enum MHD_Result drill_queue_error(struct MHD_Connection *c,
                                         unsigned status, const char *msg) {
  drill_resp rs = {.body = SBUF_INIT};
  drill_api_error(&rs, status, "%s", msg);
  enum MHD_Result ret = drill_queue_resp(c, &rs);
  sbuf_free(&rs.body);
  return ret;
}

/* 503 and the connection closed after it: a request hang or slow has no
 * room to hold (DRILL_MAX_HELD). */
static enum MHD_Result drill_queue_busy(struct MHD_Connection *c) {
  drill_resp rs = {.body = SBUF_INIT};
  drill_api_error(&rs, 503, "drill fault: %d answers are held already; "
                  "try again later", DRILL_MAX_HELD);
  struct MHD_Response *r = drill_response(rs.ctype, rs.body.data ?
                                          rs.body.data : "", rs.body.len);
  if (r)
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
  sbuf_free(&rs.body);
  return drill_send(c, 503, r);
}

/* The real answer, computed under the state lock. */
static void drill_compute(drill_server *srv, const drill_req *rq,
                          drill_resp *rs) {
  pthread_mutex_lock(&srv->lock);
  drill_api_answer(srv->st, srv->clock->now(srv->clock->ctx), rq, rs);
  pthread_mutex_unlock(&srv->lock);
}

/* ---- waiting (hang, slow) ---- */

/* 1 when the client has closed its side (it gave up). */
static int drill_peer_gone(struct MHD_Connection *c) {
  const union MHD_ConnectionInfo *ci =
      MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
  char b;
  if (!ci)
    return 1;
  ssize_t n = recv(ci->connect_fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
                    errno != EINTR);
}

static void drill_deadline(struct timespec *ts, long ms) {
  clock_gettime(CLOCK_MONOTONIC, ts);
  ts->tv_sec += ms / 1000;
  ts->tv_nsec += (ms % 1000) * 1000000L;
  if (ts->tv_nsec >= 1000000000L) {
    ts->tv_sec++;
    ts->tv_nsec -= 1000000000L;
  }
}

static int drill_before(const struct timespec *a, const struct timespec *b) {
  return a->tv_sec < b->tv_sec ||
         (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

typedef enum drill_waited {
  DRILL_WAIT_FULL,      /* DRILL_MAX_HELD answers wait already */
  DRILL_WAIT_ABORT,     /* the server stops or the client went away */
  DRILL_WAIT_DONE,      /* slow: the delay is over */
  DRILL_WAIT_CHANGED    /* the fault mode changed: answer under the new one */
} drill_waited;

/* Waits while the fault is still `mode`, at most ms milliseconds (slow;
 * ms < 0: no limit, hang). */
static drill_waited drill_wait(drill_server *srv, struct MHD_Connection *c,
                               drill_fault_mode mode, long ms) {
  struct timespec end, slice, now;
  drill_waited w = DRILL_WAIT_ABORT;
  if (ms >= 0)
    drill_deadline(&end, ms);
  pthread_mutex_lock(&srv->fault_lock);
  if (srv->held >= DRILL_MAX_HELD) {
    pthread_mutex_unlock(&srv->fault_lock);
    return DRILL_WAIT_FULL;
  }
  srv->held++;
  for (;;) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (srv->stopping || drill_peer_gone(c))
      break;
    if (srv->fault.mode != mode || (ms >= 0 && !drill_before(&now, &end))) {
      w = srv->fault.mode != mode ? DRILL_WAIT_CHANGED : DRILL_WAIT_DONE;
      break;
    }
    drill_deadline(&slice, DRILL_WAIT_SLICE_MS);
    if (ms >= 0 && drill_before(&end, &slice))
      slice = end;
    pthread_cond_timedwait(&srv->fault_cond, &srv->fault_lock, &slice);
  }
  srv->held--;
  pthread_mutex_unlock(&srv->fault_lock);
  return w;
}

/* ---- one answer per fault mode ---- */

typedef enum MHD_Result (*drill_fault_fn)(drill_server *srv,
                                          struct MHD_Connection *c,
                                          const drill_req *rq, long arg);

static enum MHD_Result drill_answer(drill_server *srv,
                                    struct MHD_Connection *c,
                                    const drill_req *rq);

static enum MHD_Result drill_fault_none(drill_server *srv,
                                        struct MHD_Connection *c,
                                        const drill_req *rq, long arg) {
  (void)arg;
  drill_resp rs = {.body = SBUF_INIT};
  drill_compute(srv, rq, &rs);
  enum MHD_Result ret = drill_queue_resp(c, &rs);
  sbuf_free(&rs.body);
  return ret;
}

/* MHD_NO closes the connection without a byte of reply. */
static enum MHD_Result drill_fault_down(drill_server *srv,
                                        struct MHD_Connection *c,
                                        const drill_req *rq, long arg) {
  (void)srv, (void)c, (void)rq, (void)arg;
  return MHD_NO;
}

static enum MHD_Result drill_fault_hang(drill_server *srv,
                                        struct MHD_Connection *c,
                                        const drill_req *rq, long arg) {
  (void)arg;
  drill_waited w = drill_wait(srv, c, DRILL_FAULT_HANG, -1);
  if (w == DRILL_WAIT_FULL)
    return drill_queue_busy(c);
  if (w == DRILL_WAIT_ABORT)
    return MHD_NO;
  return drill_answer(srv, c, rq); /* under the new mode */
}

/* A change of mode ends the delay too: `fault none` releases every
 * waiting answer at once, as it does for hang. */
static enum MHD_Result drill_fault_slow(drill_server *srv,
                                        struct MHD_Connection *c,
                                        const drill_req *rq, long arg) {
  drill_waited w = drill_wait(srv, c, DRILL_FAULT_SLOW, arg);
  if (w == DRILL_WAIT_FULL)
    return drill_queue_busy(c);
  if (w == DRILL_WAIT_ABORT)
    return MHD_NO;
  if (w == DRILL_WAIT_CHANGED)
    return drill_answer(srv, c, rq);
  return drill_fault_none(srv, c, rq, 0);
}

static enum MHD_Result drill_fault_garbage(drill_server *srv,
                                           struct MHD_Connection *c,
                                           const drill_req *rq, long arg) {
  (void)srv, (void)rq, (void)arg;
  return drill_queue(c, 200, "text/html; charset=utf-8", drill_garbage_page,
                     sizeof drill_garbage_page - 1, NULL);
}

static enum MHD_Result drill_fault_error(drill_server *srv,
                                         struct MHD_Connection *c,
                                         const drill_req *rq, long arg) {
  char msg[64];
  (void)srv, (void)rq;
  snprintf(msg, sizeof msg, "drill fault: HTTP %ld", arg);
  return drill_queue_error(c, (unsigned)arg, msg);
}

/* truncate: the real answer's length is announced, half of it is sent,
 * then the connection is closed. */
typedef struct drill_trunc {
  char *data;
  size_t send;
} drill_trunc;

static ssize_t drill_trunc_read(void *cls, uint64_t pos, char *buf,
                                size_t max) {
  drill_trunc *t = cls;
  if (pos >= t->send)
    return MHD_CONTENT_READER_END_WITH_ERROR;
  size_t n = t->send - (size_t)pos < max ? t->send - (size_t)pos : max;
  memcpy(buf, t->data + pos, n);
  return (ssize_t)n;
}

static void drill_trunc_free(void *cls) {
  drill_trunc *t = cls;
  free(t->data);
  free(t);
}

static enum MHD_Result drill_fault_truncate(drill_server *srv,
                                            struct MHD_Connection *c,
                                            const drill_req *rq, long arg) {
  drill_resp rs = {.body = SBUF_INIT};
  drill_trunc *t = calloc(1, sizeof *t);
  (void)arg;
  drill_compute(srv, rq, &rs);
  size_t len = rs.body.len, announced = len < 64 ? 64 : len;
  if (!t || !(t->data = sbuf_take(&rs.body, NULL))) {
    free(t);
    sbuf_free(&rs.body);
    return MHD_NO;
  }
  t->send = len / 2;
  struct MHD_Response *r = MHD_create_response_from_callback(
      announced, 4096, drill_trunc_read, t, drill_trunc_free);
  if (!r) {
    drill_trunc_free(t);
    return MHD_NO;
  }
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, rs.ctype);
  return drill_send(c, rs.status, r);
}

static const drill_fault_fn drill_fault_answers[] = {
  [DRILL_FAULT_NONE] = drill_fault_none,
  [DRILL_FAULT_DOWN] = drill_fault_down,
  [DRILL_FAULT_HANG] = drill_fault_hang,
  [DRILL_FAULT_GARBAGE] = drill_fault_garbage,
  [DRILL_FAULT_TRUNCATE] = drill_fault_truncate,
  [DRILL_FAULT_SLOW] = drill_fault_slow,
  [DRILL_FAULT_ERROR] = drill_fault_error,
};

static enum MHD_Result drill_answer(drill_server *srv,
                                    struct MHD_Connection *c,
                                    const drill_req *rq) {
  drill_fault_spec f = drill_fault_now(srv);
  return drill_fault_answers[f.mode](srv, c, rq, f.arg);
}

/* ---- /__drill/fault ---- */

/* One line on stdout per change, for the rehearsal's log. */
static void drill_log_fault(const drill_fault_spec *f) {
  if (f->mode == DRILL_FAULT_SLOW || f->mode == DRILL_FAULT_ERROR)
    printf("drill-log: fault %s %ld\n", drill_fault_name(f->mode), f->arg);
  else
    printf("drill-log: fault %s\n", drill_fault_name(f->mode));
  fflush(stdout);
}

static enum MHD_Result drill_control(drill_server *srv,
                                     struct MHD_Connection *c,
                                     const char *method, drill_conn *dc) {
  char why[256];
  drill_fault_spec f;
  sbuf out = SBUF_INIT;
  if (!strcmp(method, "POST")) {
    if (dc->too_large ||
        drill_fault_from_json(dc->body.data ? dc->body.data : "",
                              dc->body.len, &f, why, sizeof why))
      return drill_queue_error(c, dc->too_large ? 413 : 400,
                               dc->too_large ? "the body is over 1 MiB"
                                             : why);
    pthread_mutex_lock(&srv->fault_lock);
    srv->fault = f;
    pthread_cond_broadcast(&srv->fault_cond);
    pthread_mutex_unlock(&srv->fault_lock);
    drill_log_fault(&f);
  } else if (strcmp(method, "GET")) {
    return drill_queue_error(c, 405, "GET or POST {\"mode\":..., "
                             "\"arg\":...}");
  }
  f = drill_fault_now(srv);
  if (drill_fault_to_json(&f, &out)) {
    sbuf_free(&out);
    return MHD_NO;
  }
  enum MHD_Result ret = drill_queue(c, 200, "application/json", out.data,
                                    out.len, NULL);
  sbuf_free(&out);
  return ret;
}

/* ---- the access handler ---- */

static enum MHD_Result drill_first_call(drill_server *srv,
                                        struct MHD_Connection *c,
                                        const char *url, void **con_cls) {
  drill_conn *dc = calloc(1, sizeof *dc);
  if (!dc)
    return MHD_NO;
  dc->body.max = DRILL_MAX_BODY;
  dc->control = !strcmp(url, "/__drill/fault");
  *con_cls = dc;
  if (!dc->control && drill_fault_now(srv).mode == DRILL_FAULT_DOWN)
    return MHD_NO;
  const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                               "Content-Length");
  const char *expect = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                   "Expect");
  unsigned long long len = cl ? strtoull(cl, NULL, 10) : 0;
  if (len <= DRILL_MAX_BODY)
    return MHD_YES;
  /* A client that waits for "100 Continue", or announces a body too big
   * to read, gets its 413 now. Any other is sending the body already:
   * closing on unread bytes would reset the connection and lose the 413,
   * so the body is read and dropped (drill_watch bounds the time). */
  if ((expect && !strcasecmp(expect, "100-continue")) ||
      len > DRILL_MAX_DISCARD) {
    drill_watch_answering(srv->watch, c);
    return drill_queue_error(c, 413, "the body is over 1 MiB");
  }
  dc->too_large = 1;
  return MHD_YES;
}

static enum MHD_Result drill_access(void *cls, struct MHD_Connection *c,
                                    const char *url, const char *method,
                                    const char *version,
                                    const char *upload, size_t *upload_size,
                                    void **con_cls) {
  drill_server *srv = cls;
  drill_conn *dc = *con_cls;
  (void)version;
  if (!dc)
    return drill_first_call(srv, c, url, con_cls);
  if (*upload_size) {
    if (!dc->too_large && sbuf_append(&dc->body, upload, *upload_size))
      dc->too_large = 1;
    *upload_size = 0;
    return MHD_YES;
  }
  drill_watch_answering(srv->watch, c);
  if (dc->control)
    return drill_control(srv, c, method, dc);
  if (dc->too_large)
    return drill_queue_error(c, 413, "the body is over 1 MiB");
  drill_req rq = {
    .method = method, .path = url,
    .log_index = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
                                             "logIndex"),
    .first_size = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
                                              "firstSize"),
    .last_size = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
                                             "lastSize"),
    .tree_id = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND,
                                           "treeID"),
    .body = dc->body.data ? dc->body.data : "", .body_len = dc->body.len};
  return drill_answer(srv, c, &rq);
}

/* %00 is left as it is: decoded, it would cut the path or argument there
 * ("/api/v1/log%00x" served as /api/v1/log, "logIndex=1%00x" as 1). */
static size_t drill_unescape(void *cls, struct MHD_Connection *c, char *s) {
  (void)cls, (void)c;
  return strstr(s, "%00") ? strlen(s) : MHD_http_unescape(s);
}

static void drill_completed(void *cls, struct MHD_Connection *c,
                            void **con_cls,
                            enum MHD_RequestTerminationCode toe) {
  drill_server *srv = cls;
  drill_conn *dc = *con_cls;
  (void)toe;
  drill_watch_answered(srv->watch, c);
  if (dc) {
    sbuf_free(&dc->body);
    free(dc);
    *con_cls = NULL;
  }
}

/* ---- drill_serve ---- */

/* Our own listening socket: a clear error for a busy port, and the port
 * the kernel picked for PORT 0. */
static int drill_listen(struct sockaddr_in *sa, char *errbuf,
                        size_t errlen) {
  char ip[INET_ADDRSTRLEN];
  int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  socklen_t len = sizeof *sa;
  inet_ntop(AF_INET, &sa->sin_addr, ip, sizeof ip);
  if (fd >= 0)
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (fd < 0 || bind(fd, (struct sockaddr *)sa, sizeof *sa) ||
      listen(fd, SOMAXCONN) || getsockname(fd, (struct sockaddr *)sa, &len)) {
    snprintf(errbuf, errlen, "cannot listen on %s:%u: %s", ip,
             (unsigned)ntohs(sa->sin_port), strerror(errno));
    if (fd >= 0)
      close(fd);
    return -1;
  }
  return fd;
}

static stella_err drill_server_init(drill_server *srv,
                                    const drill_serve_opts *o) {
  pthread_condattr_t ca;
  memset(srv, 0, sizeof *srv);
  srv->clock = o->clock ? o->clock : stella_clock_system();
  pthread_mutex_init(&srv->lock, NULL);
  pthread_mutex_init(&srv->fault_lock, NULL);
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  int rc = pthread_cond_init(&srv->fault_cond, &ca);
  pthread_condattr_destroy(&ca);
  srv->watch = drill_watch_new(DRILL_RECV_DEADLINE_MS, DRILL_BUSY_AT,
                               DRILL_BUSY_DEADLINE_MS);
  return rc || !srv->watch ? STELLA_E_NOMEM : STELLA_OK;
}

static void drill_server_clear(drill_server *srv) {
  drill_watch_free(srv->watch);
  drill_state_free(srv->st);
  pthread_cond_destroy(&srv->fault_cond);
  pthread_mutex_destroy(&srv->fault_lock);
  pthread_mutex_destroy(&srv->lock);
}

static struct MHD_Daemon *drill_start(drill_server *srv, int fd) {
  /* poll(), not select(): no FD_SETSIZE ceiling on busy servers */
  return MHD_start_daemon(
      MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
          MHD_USE_POLL, 0,
      NULL, NULL, drill_access, srv, MHD_OPTION_LISTEN_SOCKET, fd,
      MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)DRILL_IDLE_TIMEOUT_S,
      MHD_OPTION_CONNECTION_LIMIT, (unsigned)DRILL_MAX_CONNECTIONS,
      MHD_OPTION_NOTIFY_COMPLETED, drill_completed, srv,
      MHD_OPTION_NOTIFY_CONNECTION, drill_watch_notify, srv->watch,
      MHD_OPTION_UNESCAPE_CALLBACK, drill_unescape, NULL, MHD_OPTION_END);
}

static void drill_ready_line(const drill_state *st,
                             const struct sockaddr_in *sa) {
  char ip[INET_ADDRSTRLEN];
  inet_ntop(AF_INET, &sa->sin_addr, ip, sizeof ip);
  printf("drill-log: serving http://%s:%u (log ID %s)\n", ip,
         (unsigned)ntohs(sa->sin_port), st->log_id_hex);
  fflush(stdout);
}

/* Waits for SIGINT or SIGTERM (blocked in every thread and taken here),
 * cutting requests past their deadline meanwhile. */
static void drill_wait_signal(drill_server *srv, const sigset_t *sigs) {
  struct timespec period = {DRILL_REAP_PERIOD_MS / 1000,
                            (DRILL_REAP_PERIOD_MS % 1000) * 1000000L};
  for (;;) {
    int sig = sigtimedwait(sigs, NULL, &period);
    if (sig == SIGINT || sig == SIGTERM)
      return;
    drill_watch_reap(srv->watch);
  }
}

/* Runs the daemon on fd (owned from here on) until SIGINT or SIGTERM. */
static stella_err drill_run(drill_server *srv, int fd,
                            const struct sockaddr_in *sa, drill_replica *rep,
                            const sigset_t *sigs, char *errbuf,
                            size_t errlen) {
  struct MHD_Daemon *d = drill_start(srv, fd);
  if (!d) {
    close(fd);
    drill_replica_free(rep);
    snprintf(errbuf, errlen, "cannot start the HTTP server");
    return STELLA_E_IO;
  }
  stella_err e = rep ? drill_replica_start(rep) : STELLA_OK;
  if (e) {
    snprintf(errbuf, errlen, "cannot start the replica thread");
  } else {
    drill_ready_line(srv->st, sa);
    drill_wait_signal(srv, sigs);
  }
  pthread_mutex_lock(&srv->fault_lock);
  srv->stopping = 1;
  pthread_cond_broadcast(&srv->fault_cond);
  pthread_mutex_unlock(&srv->fault_lock);
  drill_replica_free(rep);
  MHD_stop_daemon(d); /* closes fd; joins the connection threads */
  return e;
}

static stella_err drill_set_default_name(drill_state *st,
                                         const drill_serve_opts *o,
                                         const struct sockaddr_in *sa) {
  char ip[INET_ADDRSTRLEN], name[64];
  inet_ntop(AF_INET, &sa->sin_addr, ip, sizeof ip);
  snprintf(name, sizeof name, "%s:%u", ip, (unsigned)ntohs(sa->sin_port));
  return drill_state_set_name(st, o->name ? o->name : name);
}

stella_err drill_serve(const drill_serve_opts *o, char *errbuf,
                       size_t errlen) {
  struct sockaddr_in sa, up;
  drill_server srv;
  drill_replica *rep = NULL;
  sigset_t sigs, old;
  char spare[8];
  if (!errbuf || !errlen) {
    errbuf = spare;
    errlen = sizeof spare;
  }
  *errbuf = '\0';
  if (!o || !o->addr || !o->state_dir) {
    snprintf(errbuf, errlen, "needs --addr 127.0.0.1:PORT and --state DIR");
    return STELLA_E_INVALID_ARG;
  }
  stella_err e = drill_addr_parse(o->addr, &sa, errbuf, errlen);
  if (!e && o->replica_of)
    e = drill_addr_parse(o->replica_of, &up, errbuf, errlen);
  if (!e && o->name)
    e = drill_name_check(o->name, errbuf, errlen);
  if (e || (e = drill_server_init(&srv, o)))
    return e;
  sigemptyset(&sigs);
  sigaddset(&sigs, SIGINT);
  sigaddset(&sigs, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &sigs, &old);
  signal(SIGPIPE, SIG_IGN);
  /* Listen first: a busy port leaves no new state folder behind. */
  int fd = drill_listen(&sa, errbuf, errlen);
  e = fd < 0 ? STELLA_E_NETWORK : STELLA_OK;
  if (!e)
    e = drill_state_open(o->state_dir, o->replica_of, &srv.st, errbuf,
                         errlen);
  if (!e)
    e = drill_set_default_name(srv.st, o, &sa);
  if (!e && o->replica_of)
    e = drill_replica_new(srv.st, &srv.lock, &rep, errbuf, errlen);
  if (!e)
    e = drill_run(&srv, fd, &sa, rep, &sigs, errbuf, errlen);
  else if (fd >= 0)
    close(fd);
  drill_server_clear(&srv);
  /* A stop asked for during the start (a replica's first sync) was
   * reported in errbuf: taken here, it does not kill us on the unblock. */
  struct timespec now = {0, 0};
  while (e && sigtimedwait(&sigs, NULL, &now) > 0)
    ;
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  return e;
}
