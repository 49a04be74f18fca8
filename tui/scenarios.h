/* scenarios.h - the five disaster scenarios listed in the side panel. Their
 * guided runbooks come in a later release; for now each has a summary. */
#ifndef STELLA_TUI_SCENARIOS_H
#define STELLA_TUI_SCENARIOS_H

#include <stddef.h>

typedef struct console_scenario {
  int number;          /* 1..5, as operators refer to them */
  const char *title;   /* "Rekor outage" */
  const char *summary; /* one paragraph: what the runbook will walk through */
} console_scenario;

/* The scenario table; *n gets its length. */
const console_scenario *console_scenarios(size_t *n);

#endif
