/* panel_keys.c - trusted log keys from the verified trusted_root.json, with
 * the SHA-256 fingerprint an operator compares against a notice, the key's
 * name from the service map and its status (a compromised key is red). */
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "validity.h"

enum { COL_KIND, COL_LOG, COL_TYPE, COL_FINGERPRINT, COL_STATUS, COL_VALID };

/* At 80 columns the status and the validity window give way first, then the
 * fingerprint is cut (its head is what people compare), never below 16
 * digits. */
static const console_column key_columns[] = {
  [COL_KIND] = {.header = "kind", .min = 4, .max = 8, .shrink = 5},
  [COL_LOG] = {.header = "log", .min = 16, .max = 40, .shrink = 3},
  [COL_TYPE] = {.header = "key type", .min = 10, .max = 26, .shrink = 4},
  [COL_FINGERPRINT] = {.header = "sha256 fingerprint", .min = 16, .max = 64,
                       .shrink = 2},
  [COL_STATUS] = {.header = "status", .min = 0, .max = 11, .shrink = 1},
  [COL_VALID] = {.header = "valid", .min = 0, .max = 22, .shrink = 1},
};

static size_t keys_rows(const console *c) {
  return c->model.status ? c->model.status->n_keys : 0;
}

static const char *or_empty(const char *s) { return s ? s : ""; }

/* The key's name (what notices and `--key-id` use), else the log's base URL
 * without the scheme, else its log ID. */
static const char *key_log_label(const stella_key *k) {
  if (k->name && *k->name)
    return k->name;
  if (k->base_url && *k->base_url)
    return validity_short_url(k->base_url);
  if (k->log_id && *k->log_id)
    return k->log_id;
  return or_empty(k->name);
}

static console_style keys_cell(const console *c, size_t row, size_t col,
                               char *buf, size_t len) {
  const stella_key *k = &c->model.status->keys[row];
  int64_t now = console_model_now(&c->model);
  console_style st = k->valid_until && k->valid_until < now ? STYLE_DIM
                                                            : STYLE_NORMAL;
  if (k->status && strcmp(k->status, "compromised") == 0)
    st = STYLE_BAD;
  switch (col) {
  case COL_KIND:
    snprintf(buf, len, "%s", or_empty(k->kind));
    break;
  case COL_LOG:
    snprintf(buf, len, "%s", key_log_label(k));
    break;
  case COL_TYPE:
    snprintf(buf, len, "%s", or_empty(k->key_type));
    break;
  case COL_FINGERPRINT:
    snprintf(buf, len, "%s", or_empty(k->fingerprint_sha256));
    break;
  case COL_STATUS:
    snprintf(buf, len, "%s", or_empty(k->status));
    break;
  default:
    return validity_format(k->valid_from, k->valid_until, now, buf, len);
  }
  return st;
}

static const char *keys_empty(const console *c, console_style *st) {
  *st = STYLE_DIM;
  return c->model.status ? "no trusted keys yet: press s to sync" : "-";
}

static const console_table keys_table = {
  .columns = key_columns,
  .n_columns = sizeof key_columns / sizeof key_columns[0],
  .rows = keys_rows,
  .cell = keys_cell,
  .empty = keys_empty,
};

const console_panel_class panel_keys_class = {
  .name = "Trusted keys",
  .focusable = 1,
  .draw = panel_table_draw,
  .handle_key = panel_scroll_key,
  .rows = keys_rows,
  .table = &keys_table,
};
