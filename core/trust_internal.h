/* trust_internal.h - what other core modules (the sync job) may see of a
 * stella_trust handle beyond the public API. */
#ifndef STELLA_CORE_TRUST_INTERNAL_H
#define STELLA_CORE_TRUST_INTERNAL_H

#include "stella/stella.h"

/* The clock the handle was opened with (a copy owned by t; its ctx is the
 * caller's and must outlive every user of the copy). */
const stella_clock *trust_clock(const stella_trust *t);

#endif
