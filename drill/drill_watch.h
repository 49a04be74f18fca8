/* drill_watch.h - the drill log's connection watchdog (drill_watch.c),
 * shared by drill_http.c: a request must arrive whole within a deadline. */
#ifndef STELLA_DRILL_WATCH_H
#define STELLA_DRILL_WATCH_H

#include <microhttpd.h>

typedef struct drill_watch drill_watch;

/* Tracks connections (MHD_OPTION_NOTIFY_CONNECTION with
 * drill_watch_notify and the watch as its closure); deadline_ms for each
 * request, busy_deadline_ms instead while busy_at or more connections are
 * open. NULL on NOMEM. */
drill_watch *drill_watch_new(long deadline_ms, unsigned busy_at,
                             long busy_deadline_ms);
void drill_watch_free(drill_watch *w); /* after MHD_stop_daemon; NULL-safe */
void drill_watch_notify(void *cls, struct MHD_Connection *c,
                        void **socket_context,
                        enum MHD_ConnectionNotificationCode code);
/* The request on c is complete and being answered: no deadline until
 * drill_watch_answered (request completed) starts the next one. */
void drill_watch_answering(drill_watch *w, struct MHD_Connection *c);
void drill_watch_answered(drill_watch *w, struct MHD_Connection *c);
/* Shuts down every connection past its deadline; call about once a
 * second. */
void drill_watch_reap(drill_watch *w);

#endif
