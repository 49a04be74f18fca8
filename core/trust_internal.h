/* trust_internal.h - what other core modules (the sync job, trust bundles)
 * may see of a stella_trust handle and of the service map beyond the public
 * API. */
#ifndef STELLA_CORE_TRUST_INTERNAL_H
#define STELLA_CORE_TRUST_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "stella/stella.h"
#include "tuf.h"

/* The service-map targets a state folder keeps in tuf/targets/. */
#define TRUST_TRUSTED_ROOT "trusted_root.json"
#define TRUST_SIGNING_KEYS "signing_keys.json" /* stella's; optional */
/* The signing config: v0.2 preferred, then the older format. */
extern const char *const trust_signing_configs[2];

/* The clock the handle was opened with (a copy owned by t; its ctx is the
 * caller's and must outlive every user of the copy). */
const stella_clock *trust_clock(const stella_trust *t);

/* For modules that extend the handle (bundle.c, trust bundles): its store
 * (owned by t; NULL on a STELLA_OPEN_ON_WRITE handle until trust_attach)
 * and its one-line message (copied; returns e). */
struct store *trust_store(stella_trust *t);
stella_err trust_set_errmsg(stella_trust *t, stella_err e, const char *msg);

/* Opens the handle's stella.db if it is not open yet. With create, the
 * state folder, tuf/metadata, tuf/targets and the database are made as
 * needed; without, a folder that has no stella.db is
 * STELLA_E_NOT_INITIALIZED ("no trust is set up in DIR ...") and nothing is
 * created. On failure the handle's message says why. */
stella_err trust_attach(stella_trust *t, int create);

/* The repository URL rule of `trust init` (url.h: http://, https:// or
 * file://), for --tuf-url and a bundle's tuf_url alike: NULL and url
 * without its trailing '/'s in out, or what is wrong (a static phrase). */
const char *trust_url_problem(const char *url, char *out, size_t outlen);

/* --allow-stale needs a positive max age: STELLA_E_INVALID_ARG (message
 * set) otherwise. */
stella_err trust_check_stale_opts(stella_trust *t, int allow_stale,
                                  int64_t max_age);

/* What the TUF client c accepted as expired within max_age seconds: one
 * loud WARNING line each through note (may be NULL), and stored for status
 * (STALE). replace: this list replaces the stored one (after a successful
 * update), else it is added to it. Returns the store's error. */
stella_err trust_report_stale(stella_trust *t, tuf_client *c,
                              int64_t max_age, stella_note_fn note,
                              void *note_ctx, int replace);

/* 1 if name is one of the service-map files above. */
int trust_is_service_file(const char *name);

/* Gets service-map target name through c (after a successful tuf_refresh)
 * into dest: the TUF client checks its signed length and hashes before
 * writing it; then it must parse as that kind of service-map file. content
 * (caller's, appended to) receives the bytes. STELLA_E_NOT_FOUND when the
 * targets metadata does not list name; a listed file the server does not
 * have is STELLA_E_HTTP. On error why says what went wrong (no hint) and
 * *unreadable is 1 when the verified file does not parse. Blocks on the
 * network through c's fetcher. */
stella_err trust_fetch_service_file(tuf_client *c, const char *name,
                                    const char *dest, sbuf *content,
                                    int *unreadable, char *why,
                                    size_t whylen);

#endif
