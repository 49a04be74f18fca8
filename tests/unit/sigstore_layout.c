/* sigstore_layout.c - see sigstore_layout.h. */
#include "sigstore_layout.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sigstore_layout_make(const char *name, sigstore_layout *out) {
  const char *data = getenv("STELLA_TEST_DATA");
  const char *top = getenv("STELLA_SOURCE_ROOT");
  char cmd[2048];
  if (!data || !top)
    return -1;
  snprintf(out->dir, sizeof out->dir, "/tmp/stella-test-%s-XXXXXX", name);
  if (!mkdtemp(out->dir))
    return -1;
  snprintf(cmd, sizeof cmd, "bash '%s/devops/scripts/layout-sigstore-demo.sh'"
           " '%s/tuf-sigstore-public-good' '%s/repo'", top, data, out->dir);
  if (system(cmd) != 0)
    return -1;
  snprintf(out->url, sizeof out->url, "file://%s/repo", out->dir);
  snprintf(out->root1, sizeof out->root1, "%s/tuf-sigstore-public-good/"
           "metadata/root_history/1.root.json", data);
  return 0;
}

int layout_count_entries(const char *dir) {
  DIR *d = opendir(dir);
  struct dirent *de;
  int n = 0;
  if (!d)
    return -1;
  while ((de = readdir(d)))
    n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
  closedir(d);
  return n;
}
