/* scenarios.c - the table of disaster scenarios (see PRODUCT.md). */
#include "scenarios.h"

static const console_scenario scenarios[] = {
  {.number = 1, .title = "Rekor outage",
   .summary = "The transparency log is down: confirm the outage, check that "
              "clients fail over to the mirror, swap the endpoint through "
              "TUF, force a sync, and swap back once it recovers."},
  {.number = 2, .title = "Rekor key compromise",
   .summary = "The log's signing key leaked: add the new log key, force a "
              "sync, remove the old key, and find the entries signed in the "
              "compromise window."},
  {.number = 3, .title = "TUF repository unavailable",
   .summary = "Metadata cannot be refreshed: diagnose health, DNS and TLS, "
              "tolerate stale metadata for a bounded time, then restore the "
              "repository or point clients at a mirror."},
  {.number = 4, .title = "Signing key compromise",
   .summary = "An attestation signing key leaked: retire it, generate a new "
              "one, update the pipelines and notify consumers."},
  {.number = 5, .title = "Root key ceremony",
   .summary = "A new root with M-of-N keys, signed by a threshold of the old "
              "root so the chain of trust holds; export a trust bundle for "
              "air-gapped sites."},
};

const console_scenario *console_scenarios(size_t *n) {
  *n = sizeof scenarios / sizeof scenarios[0];
  return scenarios;
}
