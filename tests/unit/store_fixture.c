/* store_fixture.c - see store_fixture.h. */
#include "store_fixture.h"

#include <stdio.h>
#include <stdlib.h>

#include "fsutil.h"
#include "statedir.h"

int store_fixture_open(store_fixture *f, const char *name) {
  snprintf(f->dir, sizeof f->dir, "/tmp/stella-test-%s-XXXXXX", name);
  if (!mkdtemp(f->dir))
    return -1;
  f->path = fs_join(f->dir, "stella.db");
  if (!f->path || store_open(f->path, &f->s, NULL, 0) != STELLA_OK)
    return -1;
  return 0;
}

void store_fixture_close(store_fixture *f) {
  store_close(f->s);
  f->s = NULL;
  statedir_rm_tree(f->dir);
  free(f->path);
  f->path = NULL;
}

int store_fixture_setup(void **state) {
  store_fixture *f = calloc(1, sizeof *f);
  if (!f || store_fixture_open(f, "unit")) {
    free(f);
    return -1;
  }
  *state = f;
  return 0;
}

int store_fixture_teardown(void **state) {
  store_fixture_close(*state);
  free(*state);
  return 0;
}
