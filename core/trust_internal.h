/* trust_internal.h - what other core modules (the sync job) may see of a
 * stella_trust handle beyond the public API. */
#ifndef STELLA_CORE_TRUST_INTERNAL_H
#define STELLA_CORE_TRUST_INTERNAL_H

#include "stella/stella.h"

/* The clock the handle was opened with (a copy owned by t; its ctx is the
 * caller's and must outlive every user of the copy). */
const stella_clock *trust_clock(const stella_trust *t);

/* For modules that extend the handle (bundle.c, trust bundles): its store
 * (owned by t) and its one-line message (copied; returns e). */
struct store *trust_store(stella_trust *t);
stella_err trust_set_errmsg(stella_trust *t, stella_err e, const char *msg);

#endif
