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
 * @except_run_id: (nullable): a run whose answers are left out (the caller counts its own)
 * @error: return location for an error
 *
 * Reads without waiting for the writer.
 *
 * Returns: what every answer recorded since @since_ms cost, in US dollars, or -1 on error
 */
double
rw_store_sum_cost_since (RwStore     *self,
                         gint64       since_ms,
                         const char  *except_run_id,
                         GError     **error)
{
  RwStoreReadStmt r;
  double total = -1;

  g_return_val_if_fail (RW_IS_STORE (self), -1);

  if (!_rw_store_read_stmt_take (self, "SELECT coalesce (sum (cost_usd), 0) FROM responses "
                                 "WHERE created_ms >= ?1 AND run_id IS NOT ?2", &r, error))
    return -1;
  sqlite3_bind_int64 (r.stmt, 1, since_ms);
  if (except_run_id != NULL)
    sqlite3_bind_text (r.stmt, 2, except_run_id, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (r.stmt, 2);
  if (sqlite3_step (r.stmt) == SQLITE_ROW)
    total = sqlite3_column_double (r.stmt, 0);
  else
    g_set_error (error, RW_ERROR, RW_ERROR_STORE, "cannot read %s: %s", self->path,
                 sqlite3_errmsg (r.db));
  _rw_store_read_stmt_give (self, &r);
  return total;
}

static gpointer
store_make_request (RwStoreRow *row)
{
  RwStoredRequest *q = g_new0 (RwStoredRequest, 1);

  q->created_ms = _rw_store_row_int (row, 0);
  q->kind = _rw_store_row_dup (row, 1);
  q->model = _rw_store_row_dup (row, 2);
  q->task = _rw_store_row_dup (row, 3);
  q->prompt_text = _rw_store_row_dup (row, 4);
  q->attempt = (guint) MAX (_rw_store_row_int (row, 5), 1);
  q->ok = _rw_store_row_int (row, 6) != 0;
  q->error_kind = _rw_store_row_dup (row, 7);
  q->cached = _rw_store_row_int (row, 8) != 0;
  q->tokens_in = _rw_store_row_int_or_unset (row, 9);
  q->tokens_out = _rw_store_row_int_or_unset (row, 10);
  q->cost_usd = _rw_store_row_is_null (row, 11) ? NAN : _rw_store_row_double (row, 11);
  q->ttft_ms = _rw_store_row_is_null (row, 12) ? NAN : _rw_store_row_double (row, 12);
  q->latency_ms = _rw_store_row_is_null (row, 13) ? NAN : _rw_store_row_double (row, 13);
  /* Which request the attempt belongs to, for the pass that finds the fallbacks. */
  q->request_key = g_strdup_printf ("%s\t%s", _rw_store_row_text (row, 14),
                                    _rw_store_row_text (row, 15));
  return q;
}

/**
 * rw_store_list_requests:
 * @self: a #RwStore
 * @since_ms: when above 0, answers stored at or after this time
 * @until_ms: when above 0, answers stored before this time
 * @error: return location for an error
 *
 * Every attempt to have a model answer, from comparisons, evaluations and the endpoint alike,
 * in the order they were stored; not the answers imported from elsewhere (an evaluation run whose
 * parameters name "routellm" or "promptfoo" as its source), which no router here asked for. An
 * attempt fell back when it failed and the same request's next attempt went to another model:
 * found in one pass over the attempts in order, so that a period of a million answers costs no
 * more than reading them.
 *
 * Returns: (transfer full) (nullable) (element-type RwStoredRequest): the attempts
 */
GPtrArray *
rw_store_list_requests (RwStore  *self,
                        gint64    since_ms,
                        gint64    until_ms,
                        GError  **error)
{
  g_autofree char *since = g_strdup_printf ("%" G_GINT64_FORMAT, MAX (since_ms, 0));
  g_autofree char *until = g_strdup_printf ("%" G_GINT64_FORMAT,
                                            until_ms > 0 ? until_ms : G_MAXINT64);
  const char *params[] = { since, until, NULL };
  g_autoptr(GHashTable) last = g_hash_table_new (g_str_hash, g_str_equal);
  GPtrArray *requests;

  g_return_val_if_fail (RW_IS_STORE (self), NULL);

  requests = _rw_store_list (self,
    "SELECT r.created_ms, u.kind, r.model, coalesce (r.task, p.task), p.text, r.attempt, "
    "  r.status = 'ok', r.error_kind, r.cached, r.tokens_in, r.tokens_out, r.cost_usd, "
    "  r.ttft_ms, r.latency_ms, r.run_id, r.prompt_id "
    "FROM responses r JOIN runs u ON u.id = r.run_id JOIN prompts p ON p.id = r.prompt_id "
    "WHERE r.created_ms >= CAST (?1 AS INTEGER) AND r.created_ms < CAST (?2 AS INTEGER) "
    "  AND NOT (u.kind = 'eval' AND json_valid (u.params) AND "
    "           coalesce (json_extract (u.params, '$.source'), '') IN ('routellm', 'promptfoo')) "
    "ORDER BY r.created_ms, r.rowid",
    params, store_make_request, (GDestroyNotify) rw_stored_request_free, error);
  if (requests == NULL)
    return NULL;
  for (guint i = 0; i < requests->len; i++)
    {
      RwStoredRequest *q = requests->pdata[i];
      RwStoredRequest *before = g_hash_table_lookup (last, q->request_key);

      if (before != NULL && q->attempt == before->attempt + 1 && !before->ok &&
          g_strcmp0 (before->model, q->model) != 0)
        before->fell_back = TRUE;
      g_hash_table_insert (last, q->request_key, q);
    }
  return requests;
}
