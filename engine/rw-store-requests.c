/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <glib/gstdio.h>

#include "rw-error.h"
#include "rw-json.h"
#include "rw-paths.h"
#include "rw-store-private.h"

/* The endpoint's requests: what they cost. */

/**
 * rw_store_sum_cost_since:
 * @self: a #RwStore
 * @since_ms: a time, in milliseconds since the epoch
 * @error: return location for an error
 *
 * Reads without waiting for the writer.
 *
 * Returns: what every answer recorded since @since_ms cost, in US dollars, or -1 on error
 */
double
rw_store_sum_cost_since (RwStore  *self,
                         gint64    since_ms,
                         GError  **error)
{
  RwStoreReadStmt r;
  double total = -1;

  g_return_val_if_fail (RW_IS_STORE (self), -1);

  if (!_rw_store_read_stmt_take (self, "SELECT coalesce (sum (cost_usd), 0) FROM responses "
                             "WHERE created_ms >= ?1", &r, error))
    return -1;
  sqlite3_bind_int64 (r.stmt, 1, since_ms);
  if (sqlite3_step (r.stmt) == SQLITE_ROW)
    total = sqlite3_column_double (r.stmt, 0);
  else
    g_set_error (error, RW_ERROR, RW_ERROR_STORE, "cannot read %s: %s", self->path,
                 sqlite3_errmsg (r.db));
  _rw_store_read_stmt_give (self, &r);
  return total;
}
