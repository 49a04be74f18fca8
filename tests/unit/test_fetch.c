/* test_fetch.c - the libcurl fetcher: file:// replies, 404 -> NOT_FOUND,
 * the size cap, and a refused connection, each with its one-line message. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <netinet/in.h>
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

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_file_ok_and_cap),
    cmocka_unit_test(test_connection_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
