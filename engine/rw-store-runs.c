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

/* Runs: a comparison, an evaluation, a session of the endpoint. */

/**
 * rw_store_begin_run:
 * @self: a #RwStore
 * @kind: "compare", "eval" or "serve"
 * @params: (nullable): the run's parameters
 *
 * Returns: (transfer full): the new run's id
 */
char *
rw_store_begin_run (RwStore    *self,
                    const char *kind,
                    JsonNode   *params)
{
  char *id = _rw_store_new_id ();
  g_autofree char *text = params ? rw_json_to_string (params, FALSE) : NULL;
  RwStoreOp *op = _rw_store_op_new ("INSERT INTO runs (id, kind, params, status, created_ms) "
                   "VALUES (?1, ?2, ?3, 'running', ?4)");

  _rw_store_op_text (op, id);
  _rw_store_op_text (op, kind);
  _rw_store_op_text (op, text);
  _rw_store_op_int (op, _rw_store_now_ms ());
  _rw_store_enqueue (self, op);
  return id;
}

void
rw_store_finish_run (RwStore    *self,
                     const char *run_id,
                     const char *status)
{
  RwStoreOp *op = _rw_store_op_new ("UPDATE runs SET status = ?2, finished_ms = ?3 WHERE id = ?1");

  _rw_store_op_text (op, run_id);
  _rw_store_op_text (op, status);
  _rw_store_op_int (op, _rw_store_now_ms ());
  _rw_store_enqueue (self, op);
}

/**
 * rw_store_set_run_status:
 * @self: a #RwStore
 * @run_id: a run
 * @status: its status; "running" clears the finish time
 */
void
rw_store_set_run_status (RwStore    *self,
                         const char *run_id,
                         const char *status)
{
  RwStoreOp *op = _rw_store_op_new ("UPDATE runs SET status = ?2, finished_ms = CASE WHEN ?2 = 'running' THEN NULL "
                   "ELSE ?3 END WHERE id = ?1");

  _rw_store_op_text (op, run_id);
  _rw_store_op_text (op, status);
  _rw_store_op_int (op, _rw_store_now_ms ());
  _rw_store_enqueue (self, op);
}

/**
 * rw_store_dup_latest_run_id:
 * @kind: "compare", "eval" or "serve"
 *
 * Returns: (transfer full) (nullable): the id of the run of @kind begun last, or %NULL when
 *   there is none (without setting @error) or the query failed
 */
char *
rw_store_dup_latest_run_id (RwStore     *self,
                            const char  *kind,
                            GError     **error)
{
  const char *params[] = { kind, NULL };
  g_autoptr(GPtrArray) rows = NULL;

  g_return_val_if_fail (RW_IS_STORE (self), NULL);

  rows = _rw_store_query (self, "SELECT id FROM runs WHERE kind = ?1 ORDER BY created_ms DESC "
                               "LIMIT 1", params, error);
  if (rows == NULL || rows->len == 0)
    return NULL;
  return g_strdup (((char **) rows->pdata[0])[0]);
}

/* What store_make_run() reads, in its order. */
#define RUN_COLUMNS \
  "SELECT id, kind, status, params, json_extract (params, '$.key'), created_ms FROM runs "

static gpointer
store_make_run (RwStoreRow *row)
{
  RwStoredRun *run = g_new0 (RwStoredRun, 1);

  run->id = _rw_store_row_dup (row, 0);
  run->kind = _rw_store_row_dup (row, 1);
  run->status = _rw_store_row_dup (row, 2);
  run->params = _rw_store_row_dup (row, 3);
  run->key = _rw_store_row_dup (row, 4);
  run->created_ms = _rw_store_row_int (row, 5);
  return run;
}

/**
 * rw_store_lookup_run:
 * @run_id: a run's id
 * @kind: (nullable): the kind it must be
 *
 * Returns: (transfer full) (nullable): the run, or %NULL when there is none of that id and
 *   kind (without setting @error) or the query failed
 */
RwStoredRun *
rw_store_lookup_run (RwStore     *self,
                     const char  *run_id,
                     const char  *kind,
                     GError     **error)
{
  const char *params[] = { run_id, kind };
  g_autoptr(GPtrArray) runs = NULL;

  g_return_val_if_fail (RW_IS_STORE (self), NULL);

  runs = _rw_store_list_n (self, RUN_COLUMNS "WHERE id = ?1 AND (?2 IS NULL OR kind = ?2)",
                           params, G_N_ELEMENTS (params), store_make_run,
                           (GDestroyNotify) rw_stored_run_free, error);
  if (runs == NULL || runs->len == 0)
    return NULL;
  return g_ptr_array_steal_index (runs, 0);
}

/**
 * rw_store_dup_eval_run_for_key:
 * @key: an evaluation's key (its suite, models and repetitions)
 *
 * Returns: (transfer full) (nullable): the id of the latest evaluation run of that key, or
 *   %NULL when there is none (without setting @error) or the query failed
 */
char *
rw_store_dup_eval_run_for_key (RwStore     *self,
                               const char  *key,
                               GError     **error)
{
  const char *params[] = { key, NULL };
  g_autoptr(GPtrArray) runs = NULL;

  g_return_val_if_fail (RW_IS_STORE (self), NULL);

  runs = _rw_store_list (self, RUN_COLUMNS "WHERE kind = 'eval' AND "
                               "json_extract (params, '$.key') = ?1 ORDER BY created_ms DESC LIMIT 1",
                         params, store_make_run, (GDestroyNotify) rw_stored_run_free, error);
  if (runs == NULL || runs->len == 0)
    return NULL;
  return g_strdup (((RwStoredRun *) runs->pdata[0])->id);
}

/**
 * rw_store_list_runs:
 * @kind: "compare", "eval" or "serve"
 * @unfinished: only the runs that did not finish ("done"): the ones to resume
 * @limit: at most this many, the newest; 0 for all
 *
 * Returns: (transfer full) (nullable) (element-type RwStoredRun): the runs, the newest first
 */
GPtrArray *
rw_store_list_runs (RwStore     *self,
                    const char  *kind,
                    gboolean     unfinished,
                    guint        limit,
                    GError     **error)
{
  g_autofree char *max = g_strdup_printf ("%u", limit > 0 ? limit : G_MAXINT);
  const char *params[] = { kind, unfinished ? "1" : "0", max };

  g_return_val_if_fail (RW_IS_STORE (self), NULL);

  /* Runs that imported answers from elsewhere (RouteLLM's, promptfoo's) ran nowhere here. */
  return _rw_store_list_n (self, RUN_COLUMNS
                           "WHERE kind = ?1 AND (?2 = '0' OR status != 'done') "
                           "  AND NOT (json_valid (params) AND coalesce (json_extract (params, '$.source'), '') "
                           "           IN ('routellm', 'promptfoo')) "
                           "ORDER BY created_ms DESC, rowid DESC LIMIT CAST (?3 AS INTEGER)",
                           params, G_N_ELEMENTS (params), store_make_run,
                           (GDestroyNotify) rw_stored_run_free, error);
}
