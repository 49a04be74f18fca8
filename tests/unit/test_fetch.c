/* test_fetch.c - the libcurl fetcher: file:// replies, 404 -> NOT_FOUND,
 * the size cap, and a refused connection, each with its one-line message;
 * a POST to a one-shot server on 127.0.0.1 (body sent, 409 reply kept with
 * its Location header). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fetch.h"

static void file_url(char *url, size_t len, const char *rel) {
  const char *data = getenv("STELLA_TEST_DATA");
  assert_non_null(data);
  snprintf(url, len, "file://%s/tuf-sigstore-public-good/%s", data, rel);
}

static void test_file_ok_and_cap(void **state) {
  (void)state;
  stella_fetcher *f = fetch_curl_new(NULL);
  sbuf body = SBUF_INIT;
  char url[1024], err[512];
  long status = -1;
  assert_non_null(f);
  file_url(url, sizeof url, "metadata/timestamp.json");
  assert_int_equal(f->get(f, url, 16384, &body, &status, err, sizeof err),
                   STELLA_OK);
  assert_int_equal(body.len, 447);
  assert_int_equal(body.data[0], '{');
  /* Over the cap: refused, and nothing of the reply is kept. */
  sbuf_reset(&body);
  assert_int_equal(f->get(f, url, 100, &body, &status, err, sizeof err),
                   STELLA_E_TOO_LARGE);
  assert_int_equal(body.len, 0);
  assert_non_null(strstr(err, "100-byte limit"));
  /* Missing file. */
  file_url(url, sizeof url, "metadata/nope.json");
  assert_int_equal(f->get(f, url, 16384, &body, &status, err, sizeof err),
                   STELLA_E_NOT_FOUND);
  sbuf_free(&body);
  fetch_free(f);
  fetch_free(NULL);
}

/* A port that is bound but not listening refuses connections. */
static void test_connection_refused(void **state) {
  (void)state;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t alen = sizeof addr;
  assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
  assert_int_equal(getsockname(fd, (struct sockaddr *)&addr, &alen), 0);
  char url[128], err[512];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/timestamp.json",
           ntohs(addr.sin_port));
  stella_fetcher *f = fetch_curl_new(NULL);
  sbuf body = SBUF_INIT;
  long status = -1;
  assert_int_equal(f->get(f, url, 16384, &body, &status, err, sizeof err),
                   STELLA_E_NETWORK);
  assert_int_equal(status, 0);
  assert_non_null(strstr(err, "connection refused (is the server up?)"));
  assert_non_null(strstr(err, url));
  fetch_free(f);
  sbuf_free(&body);
  close(fd);
}

/* A one-shot HTTP server: reads one request, answers a canned reply. */
typedef struct one_shot {
  int fd;
  char request[4096];
  const char *reply;
} one_shot;

static void *one_shot_run(void *arg) {
  one_shot *o = arg;
  int c = accept(o->fd, NULL, NULL);
  size_t got = 0;
  /* Until the whole body has come (the test's body ends with '}'). */
  while (c >= 0 && got < sizeof o->request - 1) {
    ssize_t n = read(c, o->request + got, sizeof o->request - 1 - got);
    if (n <= 0)
      break;
    got += (size_t)n;
    o->request[got] = '\0';
    if (strstr(o->request, "\r\n\r\n") && o->request[got - 1] == '}')
      break;
  }
  if (c >= 0) {
    ssize_t w = write(c, o->reply, strlen(o->reply));
    (void)w;
    close(c);
  }
  return NULL;
}

static void test_post_conflict(void **state) {
  (void)state;
  one_shot o = {.reply = "HTTP/1.1 409 Conflict\r\n"
                         "Location: /api/v1/log/entries/abc123\r\n"
                         "Content-Type: application/json\r\n"
                         "Content-Length: 13\r\nConnection: close\r\n\r\n"
                         "{\"code\":409}\n"};
  struct sockaddr_in addr = {.sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t alen = sizeof addr;
  o.fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_int_equal(bind(o.fd, (struct sockaddr *)&addr, sizeof addr), 0);
  assert_int_equal(getsockname(o.fd, (struct sockaddr *)&addr, &alen), 0);
  assert_int_equal(listen(o.fd, 1), 0);
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, one_shot_run, &o), 0);
  char url[128], err[512];
  snprintf(url, sizeof url, "http://127.0.0.1:%d/api/v1/log/entries",
           ntohs(addr.sin_port));
  stella_fetcher *f = fetch_curl_new(NULL);
  assert_non_null(f->post);
  fetch_post req = {.url = url, .body = "{\"kind\":\"x\"}", .len = 12,
                    .max_bytes = 1024};
  sbuf reply = SBUF_INIT;
  long status = 0;
  assert_int_equal(f->post(f, &req, &reply, &status, err, sizeof err),
                   STELLA_E_HTTP);
  pthread_join(th, NULL);
  close(o.fd);
  assert_int_equal(status, 409);
  assert_string_equal(req.location, "/api/v1/log/entries/abc123");
  assert_string_equal(reply.data, "{\"code\":409}\n"); /* kept */
  assert_non_null(strstr(err, "POST "));
  assert_non_null(strstr(err, "HTTP 409"));
  assert_non_null(strstr(o.request, "POST /api/v1/log/entries HTTP/1.1"));
  assert_non_null(strstr(o.request, "Content-Type: application/json"));
  assert_non_null(strstr(o.request, "\r\n\r\n{\"kind\":\"x\"}"));
  sbuf_free(&reply);
  fetch_free(f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_file_ok_and_cap),
    cmocka_unit_test(test_connection_refused),
    cmocka_unit_test(test_post_conflict),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
