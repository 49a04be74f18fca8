/* test_fsutil.c - atomic writes leave no temp files, capped reads of
 * regular files only and why a read failed, mkdirs, and percent-encoding
 * of role names (Python quote(s, safe="")). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsutil.h"

/* A fresh scratch folder per test, removed (with its files) afterwards. */
static int setup_dir(void **state) {
  const char *tmp = getenv("TMPDIR");
  char *dir = fs_join(tmp && *tmp ? tmp : "/tmp", "stella-fsutil-XXXXXX");
  if (!dir || !mkdtemp(dir))
    return -1;
  *state = dir;
  return 0;
}

static void remove_tree(const char *path) {
  DIR *d = opendir(path);
  struct dirent *ent;
  while (d && (ent = readdir(d))) {
    if (!strcmp(ent->d_name, ".") || !strcmp(ent->d_name, ".."))
      continue;
    char *child = fs_join(path, ent->d_name);
    struct stat st;
    if (lstat(child, &st) == 0 && S_ISDIR(st.st_mode))
      remove_tree(child);
    else
      unlink(child);
    free(child);
  }
  if (d)
    closedir(d);
  rmdir(path);
}

static int teardown_dir(void **state) {
  remove_tree(*state);
  free(*state);
  return 0;
}

/* Number of entries in dir (without . and ..); *only gets the last name. */
static int count_entries(const char *dir, char *only, size_t onlylen) {
  DIR *d = opendir(dir);
  struct dirent *ent;
  int n = 0;
  assert_non_null(d);
  while ((ent = readdir(d))) {
    if (!strcmp(ent->d_name, ".") || !strcmp(ent->d_name, ".."))
      continue;
    if (only)
      snprintf(only, onlylen, "%s", ent->d_name);
    n++;
  }
  closedir(d);
  return n;
}

static void assert_file_is(const char *path, const char *content) {
  sbuf b = SBUF_INIT;
  assert_int_equal(fs_read_file(path, 0, &b), STELLA_OK);
  assert_int_equal(b.len, strlen(content));
  assert_string_equal(b.data, content);
  sbuf_free(&b);
}

static void test_write_atomic_replaces(void **state) {
  const char *dir = *state;
  char *path = fs_join(dir, "root.json"), name[256];
  struct stat st;
  assert_int_equal(fs_write_atomic(path, "first version", 13, 0640),
                   STELLA_OK);
  assert_file_is(path, "first version");
  assert_int_equal(stat(path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0640);
  assert_int_equal(fs_write_atomic(path, "v2", 2, 0600), STELLA_OK);
  assert_file_is(path, "v2");
  assert_int_equal(fs_write_atomic(path, NULL, 0, 0600), STELLA_OK);
  assert_file_is(path, "");
  assert_int_equal(count_entries(dir, name, sizeof(name)), 1);
  assert_string_equal(name, "root.json");
  free(path);
}

/* inotify shows the temp file the write created: ".NAME.tmp-XXXXXX",
 * in the same folder, never ending in ".json". */
static void test_write_atomic_temp_name(void **state) {
  const char *dir = *state;
  char *path = fs_join(dir, "timestamp.json");
  int ino = inotify_init1(IN_NONBLOCK);
  assert_true(ino >= 0);
  assert_true(inotify_add_watch(ino, dir, IN_CREATE | IN_MOVED_TO) >= 0);
  assert_int_equal(fs_write_atomic(path, "{}", 2, 0644), STELLA_OK);
  char events[4096] __attribute__((aligned(8)));
  ssize_t n = read(ino, events, sizeof(events));
  assert_true(n > 0);
  const struct inotify_event *created = (const void *)events;
  assert_true(created->mask & IN_CREATE);
  const char *tmp = created->name;
  size_t len = strlen(tmp);
  assert_int_equal(tmp[0], '.');
  assert_non_null(strstr(tmp, "timestamp.json.tmp-"));
  assert_true(len < 5 || strcmp(tmp + len - 5, ".json") != 0);
  close(ino);
  assert_int_equal(count_entries(dir, NULL, 0), 1);
  free(path);
}

static void test_write_atomic_failure_leaves_nothing(void **state) {
  const char *dir = *state;
  /* rename() of a file over a non-empty folder fails after the temp file
   * was written: the temp file must be gone. */
  char *target = fs_join(dir, "busy.json");
  char *inner = fs_join(target, "keep");
  assert_int_equal(fs_mkdirs(target, 0700), STELLA_OK);
  assert_int_equal(fs_write_atomic(inner, "x", 1, 0600), STELLA_OK);
  assert_int_equal(fs_write_atomic(target, "data", 4, 0600), STELLA_E_IO);
  assert_int_equal(count_entries(dir, NULL, 0), 1);
  assert_int_equal(count_entries(target, NULL, 0), 1);
  /* A folder that does not exist: nothing is created anywhere. */
  char *missing = fs_join(dir, "no/such/file.json");
  assert_int_equal(fs_write_atomic(missing, "x", 1, 0600), STELLA_E_IO);
  assert_int_equal(count_entries(dir, NULL, 0), 1);
  assert_int_equal(fs_write_atomic(dir, "x", 1, 0600), STELLA_E_IO);
  free(target);
  free(inner);
  free(missing);
}

static void test_write_atomic_long_name(void **state) {
  const char *dir = *state;
  char name[251];
  memset(name, 'r', 245);
  memcpy(name + 245, ".json", 6);
  char *path = fs_join(dir, name);
  assert_int_equal(fs_write_atomic(path, "long", 4, 0600), STELLA_OK);
  assert_file_is(path, "long");
  assert_int_equal(count_entries(dir, NULL, 0), 1);
  free(path);
}

static void test_read_file_caps(void **state) {
  const char *dir = *state;
  char *path = fs_join(dir, "ten.txt"), *empty = fs_join(dir, "empty");
  char *absent = fs_join(dir, "absent");
  sbuf b = SBUF_INIT;
  assert_int_equal(fs_write_atomic(path, "0123456789", 10, 0600), STELLA_OK);
  assert_int_equal(fs_read_file(absent, 0, &b), STELLA_E_NOT_FOUND);
  assert_int_equal(fs_read_file(path, 9, &b), STELLA_E_TOO_LARGE);
  assert_int_equal(b.len, 0);
  assert_int_equal(b.max, 9);
  sbuf_free(&b);
  assert_int_equal(fs_read_file(path, 10, &b), STELLA_OK);
  assert_string_equal(b.data, "0123456789");
  sbuf_free(&b);
  assert_int_equal(fs_write_atomic(empty, "", 0, 0600), STELLA_OK);
  sbuf e = SBUF_INIT;
  assert_int_equal(fs_read_file(empty, 0, &e), STELLA_OK);
  assert_non_null(e.data);
  assert_int_equal(e.len, 0);
  sbuf_free(&e);
  free(path);
  free(empty);
  free(absent);
}

/* fs_read_why(path, e, max) is want, with "P" standing for path. */
static void expect_why(const char *path, stella_err e, size_t max,
                       const char *want) {
  char why[512], expected[512];
  const char *p = strchr(want, 'P');
  snprintf(expected, sizeof expected, "%.*s%s%s", (int)(p - want), want,
           path, p + 1);
  fs_read_why(path, e, max, why, sizeof why);
  assert_string_equal(why, expected);
}

/* Why a read failed, naming the file: what it is instead of a regular
 * file, the cap it is over (in bytes and KiB/MiB), that it is absent. */
static void test_read_why(void **state) {
  const char *dir = *state;
  char *fifo = fs_join(dir, "fifo"), *big = fs_join(dir, "big");
  char *absent = fs_join(dir, "absent");
  sbuf b = SBUF_INIT;
  assert_int_equal(mkfifo(fifo, 0600), 0);
  assert_int_equal(fs_read_file(dir, 0, &b), STELLA_E_IO);
  expect_why(dir, STELLA_E_IO, 0, "P is a directory: it must be a regular file");
  assert_int_equal(fs_read_file(fifo, 0, &b), STELLA_E_IO);
  expect_why(fifo, STELLA_E_IO, 0, "P is a FIFO: it must be a regular file");
  assert_int_equal(fs_read_file("/dev/null", 0, &b), STELLA_E_IO);
  expect_why("/dev/null", STELLA_E_IO, 0,
             "P is a character device: it must be a regular file");
  assert_int_equal(fs_write_atomic(big, "0123456789", 10, 0600), STELLA_OK);
  expect_why(big, STELLA_E_TOO_LARGE, 9, "P is over the 9-byte limit");
  expect_why(big, STELLA_E_TOO_LARGE, 65536,
             "P is over the 65536-byte limit (64 KiB)");
  expect_why(big, STELLA_E_TOO_LARGE, 16u << 20,
             "P is over the 16777216-byte limit (16 MiB)");
  expect_why(absent, STELLA_E_NOT_FOUND, 0, "P: no such file");
  char *under_file = fs_join(big, "x"); /* stat's own reason */
  expect_why(under_file, STELLA_E_IO, 0, "P: Not a directory");
  free(under_file);
  if (geteuid() != 0) { /* root reads anything */
    assert_int_equal(chmod(big, 0), 0);
    assert_int_equal(fs_read_file(big, 0, &b), STELLA_E_IO);
    expect_why(big, STELLA_E_IO, 0, "P: Permission denied");
  }
  char why[64] = "unchanged";
  fs_read_why(NULL, STELLA_E_NOMEM, 0, why, sizeof why);
  assert_string_equal(why, "out of memory");
  fs_read_why(dir, STELLA_E_IO, 0, why, 0); /* no room: untouched */
  assert_string_equal(why, "out of memory");
  sbuf_free(&b);
  free(fifo);
  free(big);
  free(absent);
}

/* fs_open_regular: a regular file with its size; nothing else, at once. */
static void test_open_regular(void **state) {
  const char *dir = *state;
  char *path = fs_join(dir, "ten"), *fifo = fs_join(dir, "fifo");
  const char *refused[] = {"/dev/zero", "/dev/null", dir, fifo};
  uint64_t size = 0;
  int fd = 7;
  assert_int_equal(mkfifo(fifo, 0600), 0);
  assert_int_equal(fs_write_atomic(path, "0123456789", 10, 0600), STELLA_OK);
  assert_int_equal(fs_open_regular(path, &fd, &size), STELLA_OK);
  assert_true(fd >= 0);
  assert_int_equal(size, 10);
  close(fd);
  for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
    fd = 7;
    assert_int_equal(fs_open_regular(refused[i], &fd, NULL), STELLA_E_IO);
    assert_int_equal(fd, -1);
  }
  char *absent = fs_join(dir, "absent");
  assert_int_equal(fs_open_regular(absent, &fd, NULL), STELLA_E_NOT_FOUND);
  assert_int_equal(fd, -1);
  free(absent);
  free(path);
  free(fifo);
}

static void test_mkdirs_exists_remove(void **state) {
  const char *dir = *state;
  char *deep = fs_join(dir, "a/b//c/");
  char *file = fs_join(dir, "a/b/file");
  char *under_file = fs_join(file, "x");
  struct stat st;
  assert_int_equal(fs_mkdirs(deep, 0750), STELLA_OK);
  assert_int_equal(fs_mkdirs(deep, 0750), STELLA_OK);
  assert_int_equal(stat(deep, &st), 0);
  assert_true(S_ISDIR(st.st_mode));
  assert_int_equal(fs_write_atomic(file, "f", 1, 0600), STELLA_OK);
  assert_int_equal(fs_mkdirs(under_file, 0700), STELLA_E_IO);
  assert_int_equal(fs_mkdirs(file, 0700), STELLA_E_IO);
  assert_true(fs_exists(file));
  assert_int_equal(fs_remove(file), STELLA_OK);
  assert_false(fs_exists(file));
  assert_int_equal(fs_remove(file), STELLA_OK);
  assert_int_equal(fs_remove(deep), STELLA_OK);
  assert_false(fs_exists(deep));
  free(deep);
  free(file);
  free(under_file);
}

static void test_join(void **state) {
  (void)state;
  char *p = fs_join("/state", "root.json");
  assert_string_equal(p, "/state/root.json");
  free(p);
  p = fs_join("", "x");
  assert_string_equal(p, "/x");
  free(p);
}

/* Expected values are Python's urllib.parse.quote(s, safe=""). */
static void test_pct_encode(void **state) {
  (void)state;
  static const struct {
    const char *in, *out;
  } cases[] = {
      {"?", "%3F"},
      {"#", "%23"},
      {"/delegatedrole", "%2Fdelegatedrole"},
      {"../delegatedrole", "..%2Fdelegatedrole"},
      {"..", ".."},
      {"r\xc3\xb6le", "r%C3%B6le"},
      {"\xe2\x82\xac", "%E2%82%AC"},
      {"a b+c%d", "a%20b%2Bc%25d"},
      {"AZaz09_.-~", "AZaz09_.-~"},
      {"role\\x:y", "role%5Cx%3Ay"},
      {"", ""},
  };
  sbuf b = SBUF_INIT;
  for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    sbuf_reset(&b);
    assert_int_equal(fs_pct_encode(cases[i].in, strlen(cases[i].in), &b),
                     STELLA_OK);
    assert_string_equal(b.data, cases[i].out);
  }
  /* A NUL byte is data too, and output is appended. */
  sbuf_reset(&b);
  sbuf_append_str(&b, "x=");
  assert_int_equal(fs_pct_encode("a\0b", 3, &b), STELLA_OK);
  assert_string_equal(b.data, "x=a%00b");
  /* Every byte outside the safe set is encoded, so no '/' survives. */
  char all[256];
  for (int c = 0; c < 256; c++)
    all[c] = (char)c;
  sbuf_reset(&b);
  assert_int_equal(fs_pct_encode(all, sizeof(all), &b), STELLA_OK);
  assert_null(memchr(b.data, '/', b.len));
  assert_int_equal(b.len, 66 + 3 * (256 - 66));
  sbuf_free(&b);
  /* The cap holds and leaves the buffer as it was. */
  sbuf capped = SBUF_INIT;
  capped.max = 8;
  assert_int_equal(fs_pct_encode("////", 4, &capped), STELLA_E_TOO_LARGE);
  assert_int_equal(capped.len, 0);
  sbuf_free(&capped);
}

/* ---- batched replacement ------------------------------------------------ */

typedef struct batch_seen {
  const char *dir;
  char order[64]; /* "i=content " of a.json after each rename */
} batch_seen;

static void record_rename(void *ctx, size_t i) {
  batch_seen *seen = ctx;
  sbuf b = SBUF_INIT;
  char *a = fs_join(seen->dir, "a.json");
  assert_int_equal(fs_read_file(a, 0, &b), STELLA_OK);
  size_t used = strlen(seen->order);
  snprintf(seen->order + used, sizeof seen->order - used, "%zu=%s ", i,
           b.data);
  sbuf_free(&b);
  free(a);
}

/* Nothing changes until the commit; then each stage replaces its file in
 * order (a path staged twice passes through both versions), the modes are
 * set, and no temp file is left. */
static void test_batch_commits_in_order(void **state) {
  const char *dir = *state;
  char *a = fs_join(dir, "a.json"), *b = fs_join(dir, "b.json");
  batch_seen seen = {dir, ""};
  struct stat st;
  assert_int_equal(fs_write_atomic(a, "old", 3, 0644), STELLA_OK);
  fs_batch *batch = fs_batch_new();
  assert_non_null(batch);
  assert_int_equal(fs_batch_stage(batch, a, "one", 3, 0640), STELLA_OK);
  assert_int_equal(fs_batch_stage(batch, b, "two", 3, 0600), STELLA_OK);
  assert_int_equal(fs_batch_stage(batch, a, "three", 5, 0640), STELLA_OK);
  assert_int_equal(fs_batch_count(batch), 3);
  assert_file_is(a, "old");
  assert_false(fs_exists(b));
  assert_int_equal(count_entries(dir, NULL, 0), 4); /* a.json + 3 temps */
  assert_int_equal(fs_batch_commit(batch, record_rename, &seen), STELLA_OK);
  assert_string_equal(seen.order, "0=one 1=one 2=three ");
  assert_int_equal(fs_batch_count(batch), 0);
  assert_file_is(a, "three");
  assert_file_is(b, "two");
  assert_int_equal(stat(b, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  assert_int_equal(count_entries(dir, NULL, 0), 2);
  /* An empty batch commits to nothing; the batch can be used again. */
  assert_int_equal(fs_batch_commit(batch, NULL, NULL), STELLA_OK);
  assert_int_equal(fs_batch_stage(batch, b, "", 0, 0644), STELLA_OK);
  assert_int_equal(fs_batch_commit(batch, NULL, NULL), STELLA_OK);
  assert_file_is(b, "");
  fs_batch_free(batch);
  free(a);
  free(b);
}

/* A batch freed without a commit leaves the old files and no temp file. */
static void test_batch_free_drops_stages(void **state) {
  const char *dir = *state;
  char *a = fs_join(dir, "a.json"), name[256];
  assert_int_equal(fs_write_atomic(a, "old", 3, 0644), STELLA_OK);
  fs_batch *batch = fs_batch_new();
  assert_int_equal(fs_batch_stage(batch, a, "new", 3, 0644), STELLA_OK);
  fs_batch_free(batch);
  fs_batch_free(NULL);
  assert_file_is(a, "old");
  assert_int_equal(count_entries(dir, name, sizeof name), 1);
  assert_string_equal(name, "a.json");
  free(a);
}

/* A rename that fails (the target is a folder) stops the commit: the
 * replacements before it stand, the ones after it are dropped with their
 * temp files. */
static void test_batch_rename_failure(void **state) {
  const char *dir = *state;
  char *a = fs_join(dir, "a.json"), *blocked = fs_join(dir, "b.json");
  char *c = fs_join(dir, "c.json"), *inside = fs_join(blocked, "x");
  assert_int_equal(fs_mkdirs(inside, 0700), STELLA_OK);
  fs_batch *batch = fs_batch_new();
  assert_int_equal(fs_batch_stage(batch, a, "A", 1, 0644), STELLA_OK);
  assert_int_equal(fs_batch_stage(batch, blocked, "B", 1, 0644), STELLA_OK);
  assert_int_equal(fs_batch_stage(batch, c, "C", 1, 0644), STELLA_OK);
  assert_int_equal(fs_batch_commit(batch, NULL, NULL), STELLA_E_IO);
  assert_file_is(a, "A");
  assert_false(fs_exists(c));
  assert_int_equal(count_entries(dir, NULL, 0), 2); /* a.json, b.json/ */
  assert_int_equal(fs_batch_stage(batch, c, "C", 1, 0644), STELLA_OK);
  assert_int_equal(fs_batch_stage(NULL, c, "C", 1, 0644),
                   STELLA_E_INVALID_ARG);
  fs_batch_free(batch);
  assert_int_equal(count_entries(dir, NULL, 0), 2);
  free(a);
  free(blocked);
  free(c);
  free(inside);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_write_atomic_replaces, setup_dir,
                                      teardown_dir),
      cmocka_unit_test_setup_teardown(test_write_atomic_temp_name, setup_dir,
                                      teardown_dir),
      cmocka_unit_test_setup_teardown(test_write_atomic_failure_leaves_nothing,
                                      setup_dir, teardown_dir),
      cmocka_unit_test_setup_teardown(test_write_atomic_long_name, setup_dir,
                                      teardown_dir),
      cmocka_unit_test_setup_teardown(test_read_file_caps, setup_dir,
                                      teardown_dir),
      cmocka_unit_test_setup_teardown(test_read_why, setup_dir,
                                      teardown_dir),
      cmocka_unit_test_setup_teardown(test_open_regular, setup_dir,
                                      teardown_dir),
      cmocka_unit_test_setup_teardown(test_mkdirs_exists_remove, setup_dir,
                                      teardown_dir),
      cmocka_unit_test_setup_teardown(test_batch_commits_in_order, setup_dir,
                                      teardown_dir),
      cmocka_unit_test_setup_teardown(test_batch_free_drops_stages, setup_dir,
                                      teardown_dir),
      cmocka_unit_test_setup_teardown(test_batch_rename_failure, setup_dir,
                                      teardown_dir),
      cmocka_unit_test(test_join),
      cmocka_unit_test(test_pct_encode),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
