/* bundle_manifest.c - writes a trust bundle's manifest.json with jansson
 * (the project's JSON writer); reading it is bundle.c's job (core/json.h). */
#include "bundle.h"

#include <jansson.h>

stella_err bundle_manifest_write(const bundle_manifest_entry *files, size_t n,
                                 const char *exported_at, const char *tuf_url,
                                 int root_chain, char **out) {
  json_t *list = json_array();
  json_t *m = json_pack("{s:s, s:i, s:s, s:s, s:b}", "format", BUNDLE_FORMAT,
                        "format_version", BUNDLE_FORMAT_VERSION,
                        "exported_at", exported_at, "tuf_url", tuf_url,
                        "root_chain", root_chain);
  int bad = !list || !m;
  for (size_t i = 0; !bad && i < n; i++)
    bad = json_array_append_new(list, json_pack("{s:s, s:s, s:I}", "path",
                                files[i].path, "sha256", files[i].sha256,
                                "size", (json_int_t)files[i].size)) != 0;
  if (!bad)
    bad = json_object_set(m, "files", list) != 0;
  char *text = bad ? NULL : json_dumps(m, JSON_INDENT(2) | JSON_SORT_KEYS);
  json_decref(list);
  json_decref(m);
  *out = text; /* jansson allocates with malloc unless told otherwise */
  return text ? STELLA_OK : STELLA_E_NOMEM;
}
