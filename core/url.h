/* url.h - the one check of a URL an operator or a file hands to stella
 * (repository, Rekor endpoints, mirrors, a bundle's manifest): it is
 * stored, printed on one line and fetched, so it must be plain. */
#ifndef STELLA_CORE_URL_H
#define STELLA_CORE_URL_H

#include <stddef.h>

#define URL_MAX 1000

enum {
  URL_HTTP = 1, /* http:// and https:// */
  URL_FILE = 2, /* file:///absolute/path */
};

/* Why url cannot be used, or NULL. allowed: URL_HTTP, URL_FILE or both.
 * Refused: another scheme; a blank, control or non-ASCII byte (escapes
 * would reach terminals, the JSON outputs need UTF-8); no host; a
 * user:password@ part (it would be stored and shown); a port that is not
 * 1-65535; more than URL_MAX bytes. The reason is a static string. */
const char *url_problem(const char *url, unsigned allowed);

/* The start of url for a message about it, at most len - 1 bytes with
 * control bytes as '?', "..." appended when cut; a URL that may hold a
 * password (an '@' before the path) is shown as "..." only. */
void url_shown(const char *url, char *buf, size_t len);

#endif
