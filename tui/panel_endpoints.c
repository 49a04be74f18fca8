/* panel_endpoints.c - service endpoints from the verified signing config. */
#include <stdio.h>

#include "app.h"
#include "validity.h"

enum { COL_URL, COL_KIND, COL_API, COL_OPERATOR, COL_VALID };

static const console_column endpoint_columns[] = {
  [COL_URL] = {.header = "url", .min = 24, .max = 64, .shrink = 1},
  [COL_KIND] = {.header = "kind", .min = 4, .max = 8, .shrink = 4},
  [COL_API] = {.header = "api", .min = 3, .max = 4},
  [COL_OPERATOR] = {.header = "operator", .min = 0, .max = 20, .shrink = 2},
  [COL_VALID] = {.header = "valid", .min = 0, .max = 22, .shrink = 3},
};

static size_t endpoints_rows(const console *c) {
  return c->model.status ? c->model.status->n_endpoints : 0;
}

static console_style endpoints_cell(const console *c, size_t row, size_t col,
                                    char *buf, size_t len) {
  const stella_endpoint *e = &c->model.status->endpoints[row];
  int64_t now = console_model_now(&c->model);
  int ended = e->valid_until && e->valid_until < now;
  console_style st = ended ? STYLE_DIM : STYLE_NORMAL;
  switch (col) {
  case COL_URL:
    snprintf(buf, len, "%s", e->url ? e->url : "");
    break;
  case COL_KIND:
    snprintf(buf, len, "%s", e->kind ? e->kind : "");
    break;
  case COL_API:
    snprintf(buf, len, e->api_version ? "v%d" : "-", e->api_version);
    break;
  case COL_OPERATOR:
    snprintf(buf, len, "%s", e->operator_name ? e->operator_name : "");
    break;
  default:
    return validity_format(e->valid_from, e->valid_until, now, buf, len);
  }
  return st;
}

static const char *endpoints_empty(const console *c, console_style *st) {
  const stella_status *s = c->model.status;
  if (s && s->service_map_error) {
    *st = STYLE_BAD;
    return s->service_map_error;
  }
  *st = STYLE_DIM;
  return s ? "no endpoints yet: press s to sync the service map" : "-";
}

static const console_table endpoints_table = {
  .columns = endpoint_columns,
  .n_columns = sizeof endpoint_columns / sizeof endpoint_columns[0],
  .rows = endpoints_rows,
  .cell = endpoints_cell,
  .empty = endpoints_empty,
};

const console_panel_class panel_endpoints_class = {
  .name = "Endpoints",
  .focusable = 1,
  .draw = panel_table_draw,
  .handle_key = panel_scroll_key,
  .rows = endpoints_rows,
  .table = &endpoints_table,
};
