/* test_hostile_fsutil.c - what gets planted where a file is expected: a
 * FIFO under a metadata name must not block fs_read_file() (it once hung
 * `stella trust status` in open(2)), and a folder or an endless device
 * (/dev/zero, given as an artifact to hash) is refused at once. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fsutil.h"

static void on_alarm(int sig) {
  (void)sig;
  static const char msg[] = "fs_read_file blocked for 5 s\n";
  (void)!write(2, msg, sizeof msg - 1);
  _exit(1);
}

static void test_fifo_is_refused_promptly(void **state) {
  (void)state;
  char dir[] = "/tmp/stella-hostile-fs-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char *fifo = fs_join(dir, "snapshot.json");
  assert_int_equal(mkfifo(fifo, 0600), 0);
  sbuf b = SBUF_INIT;
  signal(SIGALRM, on_alarm);
  alarm(5);
  stella_err e = fs_read_file(fifo, 1000, &b);
  alarm(0);
  assert_int_not_equal(e, STELLA_OK);
  sbuf_free(&b);
  unlink(fifo);
  rmdir(dir);
  free(fifo);
}

/* A folder where a file is expected: an error, not a crash. */
static void test_folder_is_refused(void **state) {
  (void)state;
  sbuf b = SBUF_INIT;
  assert_int_not_equal(fs_read_file("/tmp", 1000, &b), STELLA_OK);
  sbuf_free(&b);
}

/* An endless device, even with no cap at all: refused, not read. */
static void test_device_is_refused(void **state) {
  (void)state;
  sbuf b = SBUF_INIT;
  int fd = 7;
  signal(SIGALRM, on_alarm);
  alarm(5);
  assert_int_equal(fs_read_file("/dev/zero", 0, &b), STELLA_E_IO);
  assert_int_equal(fs_open_regular("/dev/zero", &fd, NULL), STELLA_E_IO);
  alarm(0);
  assert_int_equal(fd, -1);
  assert_int_equal(b.len, 0);
  sbuf_free(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_folder_is_refused),
    cmocka_unit_test(test_fifo_is_refused_promptly),
    cmocka_unit_test(test_device_is_refused),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
