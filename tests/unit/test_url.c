/* test_url.c - url_problem and url_shown: what stella accepts as a URL from
 * an operator or a file, and how it shows one it refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "url.h"

static void expect_problem(const char *url, unsigned allowed,
                           const char *part) {
  const char *why = url_problem(url, allowed);
  if (!why || !strstr(why, part))
    fail_msg("%s: got '%s', wanted '%s'", url, why ? why : "(ok)", part);
}

static void test_accepted(void **state) {
  (void)state;
  static const char *const ok[] = {
    "https://tuf-repo-cdn.sigstore.dev", "http://127.0.0.1:8080/",
    "http://[::1]:8080/x", "https://h/a%20b?q=1", "http://h:65535",
  };
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
    assert_null(url_problem(ok[i], URL_HTTP));
  assert_null(url_problem("file:///srv/tuf", URL_HTTP | URL_FILE));
}

static void test_refused(void **state) {
  char long_url[URL_MAX + 16];
  (void)state;
  expect_problem(NULL, URL_HTTP, "no URL");
  expect_problem("", URL_HTTP, "no URL");
  expect_problem("ftp://h", URL_HTTP | URL_FILE, "http://, https:// or file");
  expect_problem("file:///srv", URL_HTTP, "http:// or https://");
  expect_problem("file://srv", URL_FILE, "absolute path");
  expect_problem("http://", URL_HTTP, "no host");
  expect_problem("http://:80/x", URL_HTTP, "no host");
  expect_problem("https://admin:S3cret@h/", URL_HTTP, "passwords");
  expect_problem("http://h:0", URL_HTTP, "port");
  expect_problem("http://h:99999", URL_HTTP, "port");
  expect_problem("http://h:-1", URL_HTTP, "port");
  expect_problem("http://h:", URL_HTTP, "port");
  expect_problem("http://[::1/x", URL_HTTP, "IPv6");
  expect_problem("http://h/\x1b]0;PWNED\a", URL_HTTP, "control");
  expect_problem("http://h/a b", URL_HTTP, "blank");
  expect_problem("http://h/a\xe9", URL_HTTP, "non-ASCII");
  memcpy(long_url, "http://h/", 9);
  memset(long_url + 9, 'a', URL_MAX);
  long_url[URL_MAX + 9] = '\0';
  expect_problem(long_url, URL_HTTP, "too long");
}

static void test_shown(void **state) {
  char buf[16];
  (void)state;
  url_shown("https://u:pw@h/x", buf, sizeof buf);
  assert_string_equal(buf, "...");
  url_shown("http://h/\x1b[2J", buf, sizeof buf);
  assert_string_equal(buf, "http://h/?[2J");
  url_shown("http://example.com/long/path", buf, sizeof buf);
  assert_string_equal(buf, "http://examp...");
  assert_int_equal(strlen(buf), sizeof buf - 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_accepted),
    cmocka_unit_test(test_refused),
    cmocka_unit_test(test_shown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
