/* store_fixture.h - a fresh sqlite store in its own temporary folder, for
 * the unit tests of the store and of what keeps its state there (breakers,
 * ledger). */
#ifndef STELLA_TEST_STORE_FIXTURE_H
#define STELLA_TEST_STORE_FIXTURE_H

#include "store.h"

typedef struct store_fixture {
  char dir[64];  /* the temporary folder */
  char *path;    /* dir/stella.db, owned */
  store *s;      /* open on path */
} store_fixture;

/* Makes /tmp/stella-test-NAME-XXXXXX and opens a store in it: 0, or -1 as
 * a cmocka setup function returns it. */
int store_fixture_open(store_fixture *f, const char *name);
/* Closes the store and removes the folder. */
void store_fixture_close(store_fixture *f);

/* cmocka setup/teardown for tests whose whole fixture is a store_fixture
 * (*state): a fresh store per test. */
int store_fixture_setup(void **state);
int store_fixture_teardown(void **state);

#endif
