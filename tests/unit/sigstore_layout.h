/* sigstore_layout.h - test helper: the real Sigstore snapshot from
 * tests/data laid out in its CDN (consistent-snapshot) form in a new temp
 * folder, reachable as a file:// repository. */
#ifndef STELLA_TEST_SIGSTORE_LAYOUT_H
#define STELLA_TEST_SIGSTORE_LAYOUT_H

#include <stddef.h>

typedef struct sigstore_layout {
  char dir[64];     /* the temp folder (the caller removes it) */
  char url[256];    /* file://DIR/repo */
  char root1[1024]; /* the snapshot's 1.root.json, the trust anchor */
} sigstore_layout;

/* Makes /tmp/stella-test-NAME-XXXXXX and lays the snapshot out in DIR/repo
 * with devops/scripts/layout-sigstore-demo.sh. Needs STELLA_TEST_DATA and
 * STELLA_SOURCE_ROOT. Returns 0, or -1 on any failure. */
int sigstore_layout_make(const char *name, sigstore_layout *out);

/* Entries of dir besides . and .. (-1 if it cannot be opened): how the
 * trust and bundle tests see that a command created nothing. */
int layout_count_entries(const char *dir);

#endif
