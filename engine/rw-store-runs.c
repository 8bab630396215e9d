/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
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

/* ----------------------------------------------------------------------- claims */

/* This boot of this machine: a pid means the same process only within it. */
static const char *
store_boot_id (void)
{
  static char *boot;

  if (g_once_init_enter (&boot))
    {
      g_autofree char *text = NULL;
      char *id;

      if (g_file_get_contents ("/proc/sys/kernel/random/boot_id", &text, NULL, NULL))
        id = g_strdup_printf ("%s/%s", g_get_host_name (), g_strstrip (text));
      else
        id = g_strdup (g_get_host_name ());
      g_once_init_leave (&boot, id);
    }
  return boot;
}

/* A holder is "PID BOOT CLAIM": its process, where it runs, and the claim's own random part,
 * so that two runners in one process are told apart too. */
static gboolean
store_holder_is_gone (const char *holder)
{
  g_auto(GStrv) parts = holder ? g_strsplit (holder, " ", 3) : NULL;
  gint64 pid;

  if (parts == NULL || g_strv_length (parts) != 3)
    return TRUE;
  if (!g_str_equal (parts[1], store_boot_id ()))
    return FALSE;     /* another machine, or before a reboot: only the heartbeat tells */
  pid = g_ascii_strtoll (parts[0], NULL, 10);
  if (pid <= 0 || pid > G_MAXINT)
    return TRUE;
  return kill ((pid_t) pid, 0) != 0 && errno == ESRCH;
}

static gboolean
store_claim_fail (sqlite3     *db,
                  GError     **error)
{
  g_set_error (error, RW_ERROR, RW_ERROR_STORE, "%s", sqlite3_errmsg (db));
  sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
  return FALSE;
}

/* In one transaction of its own, so that two processes cannot both take the run. */
static gboolean
store_claim_in (sqlite3     *db,
                const char  *run_id,
                const char  *claim,
                GError     **error)
{
  sqlite3_stmt *stmt = NULL;
  g_autofree char *holder = NULL;
  gint64 heartbeat = 0, now = _rw_store_now_ms ();
  gboolean found = FALSE;
  int rc;

  if (sqlite3_exec (db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
    return store_claim_fail (db, error);
  if (sqlite3_prepare_v2 (db, "SELECT holder, heartbeat_ms FROM runs WHERE id = ?1", -1, &stmt,
                          NULL) != SQLITE_OK)
    return store_claim_fail (db, error);
  sqlite3_bind_text (stmt, 1, run_id, -1, SQLITE_STATIC);
  if ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      found = TRUE;
      holder = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      heartbeat = sqlite3_column_int64 (stmt, 1);
    }
  sqlite3_finalize (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    return store_claim_fail (db, error);
  if (!found)
    {
      sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "there is no run %s", run_id);
      return FALSE;
    }
  if (holder != NULL && now - heartbeat < RW_STORE_CLAIM_STALE_MS &&
      !store_holder_is_gone (holder))
    {
      g_auto(GStrv) parts = g_strsplit (holder, " ", 3);
      gboolean here = g_strv_length (parts) == 3 && g_str_equal (parts[1], store_boot_id ());

      sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
      if (here && g_ascii_strtoll (parts[0], NULL, 10) == getpid ())
        g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                     "run %s is already running in this program", run_id);
      else
        g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                     "run %s is being run by process %s%s%s (last heard from %.0f s ago): "
                     "wait for it to end, or stop it and resume the run", run_id, parts[0],
                     here ? "" : " on ", here ? "" : parts[1], (now - heartbeat) / 1000.0);
      return FALSE;
    }
  if (sqlite3_prepare_v2 (db, "UPDATE runs SET holder = ?2, heartbeat_ms = ?3 WHERE id = ?1", -1,
                          &stmt, NULL) != SQLITE_OK)
    return store_claim_fail (db, error);
  sqlite3_bind_text (stmt, 1, run_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, claim, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 3, now);
  rc = sqlite3_step (stmt);
  sqlite3_finalize (stmt);
  if (rc != SQLITE_DONE || sqlite3_exec (db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    return store_claim_fail (db, error);
  return TRUE;
}

/**
 * rw_store_claim_run:
 * @self: a #RwStore
 * @run_id: a run, already stored
 * @error: return location for an error
 *
 * Claims @run_id for this process, so that no other process resumes it meanwhile. A claim is
 * taken over when its holder's process is gone or it has had no heartbeat for
 * %RW_STORE_CLAIM_STALE_MS; a live one is refused with a message that names the holder. The
 * holder keeps the claim with rw_store_heartbeat_run() every %RW_STORE_HEARTBEAT_S seconds
 * and gives it up with rw_store_release_run().
 *
 * Returns: (transfer full) (nullable): the claim, or %NULL with @error set
 */
char *
rw_store_claim_run (RwStore     *self,
                    const char  *run_id,
                    GError     **error)
{
  g_autofree char *claim = NULL;
  g_autofree char *nonce = g_uuid_string_random ();
  sqlite3 *db;
  int version;
  gboolean ok;

  g_return_val_if_fail (RW_IS_STORE (self), NULL);

  /* The run may still be on its way to the database. */
  if (!rw_store_flush (self, error))
    return NULL;
  if ((db = _rw_store_open_db (self->path, RW_STORE_SCHEMA_VERSION, &version, error)) == NULL)
    return NULL;
  claim = g_strdup_printf ("%d %s %s", (int) getpid (), store_boot_id (), nonce);
  ok = store_claim_in (db, run_id, claim, error);
  sqlite3_close (db);
  return ok ? g_steal_pointer (&claim) : NULL;
}

/* Keeps @claim on @run_id alive. */
void
rw_store_heartbeat_run (RwStore    *self,
                        const char *run_id,
                        const char *claim)
{
  RwStoreOp *op = _rw_store_op_new ("UPDATE runs SET heartbeat_ms = ?3 WHERE id = ?1 AND holder = ?2");

  _rw_store_op_text (op, run_id);
  _rw_store_op_text (op, claim);
  _rw_store_op_int (op, _rw_store_now_ms ());
  _rw_store_enqueue (self, op);
}

/* Gives up @claim on @run_id, if it is still this holder's. A store already closed keeps it:
 * the holder's process is about to end, and a claim whose process is gone is taken over. */
void
rw_store_release_run (RwStore    *self,
                      const char *run_id,
                      const char *claim)
{
  RwStoreOp *op;

  if (self->closed)
    return;
  op = _rw_store_op_new ("UPDATE runs SET holder = NULL, heartbeat_ms = NULL "
                         "WHERE id = ?1 AND holder = ?2");
  _rw_store_op_text (op, run_id);
  _rw_store_op_text (op, claim);
  _rw_store_enqueue (self, op);
}

struct _RwRunHold
{
  RwStore *store;
  char *run_id;
  char *claim;
  GSource *heartbeat;
};

static gboolean
store_hold_heartbeat (gpointer data)
{
  RwRunHold *hold = data;

  rw_store_heartbeat_run (hold->store, hold->run_id, hold->claim);
  return G_SOURCE_CONTINUE;
}

/**
 * rw_store_hold_run:
 * @self: a #RwStore
 * @run_id: a run, already stored
 * @error: return location for an error
 *
 * Claims @run_id (see rw_store_claim_run()) and keeps the claim alive with a heartbeat on the
 * thread-default main context until rw_run_hold_release().
 *
 * Returns: (transfer full) (nullable): the hold
 */
RwRunHold *
rw_store_hold_run (RwStore     *self,
                   const char  *run_id,
                   GError     **error)
{
  char *claim = rw_store_claim_run (self, run_id, error);
  RwRunHold *hold;

  if (claim == NULL)
    return NULL;
  hold = g_new0 (RwRunHold, 1);
  hold->store = g_object_ref (self);
  hold->run_id = g_strdup (run_id);
  hold->claim = claim;
  hold->heartbeat = g_timeout_source_new_seconds (RW_STORE_HEARTBEAT_S);
  g_source_set_static_name (hold->heartbeat, "[routewise] run heartbeat");
  g_source_set_callback (hold->heartbeat, store_hold_heartbeat, hold, NULL);
  g_source_attach (hold->heartbeat, g_main_context_get_thread_default ());
  return hold;
}

/* Gives the run back, and frees @hold. */
void
rw_run_hold_release (RwRunHold *hold)
{
  if (hold == NULL)
    return;
  g_source_destroy (hold->heartbeat);
  g_source_unref (hold->heartbeat);
  rw_store_release_run (hold->store, hold->run_id, hold->claim);
  g_object_unref (hold->store);
  g_free (hold->run_id);
  g_free (hold->claim);
  g_free (hold);
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
  "SELECT id, kind, status, params, json_extract (params, '$.key'), created_ms, holder, " \
  "heartbeat_ms FROM runs "

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
  if (g_strcmp0 (run->status, "running") == 0)
    {
      const char *holder = _rw_store_row_text (row, 6);
      gint64 now = _rw_store_now_ms ();
      gint64 heard = _rw_store_row_is_null (row, 7) ? run->created_ms : _rw_store_row_int (row, 7);

      /* A run no live process holds: one held by a process that is gone, or silent for longer
       * than a claim lives (a run that was never held, from before claims or a comparison,
       * counts from its start). */
      if (now - heard > RW_STORE_CLAIM_STALE_MS || (holder != NULL && store_holder_is_gone (holder)))
        {
          g_free (run->status);
          run->status = g_strdup ("interrupted");
        }
    }
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
 * rw_store_dup_evidence_stamp:
 * @self: a #RwStore
 * @error: return location for an error
 *
 * What the learner reads (answers, grades, votes) changes whenever this does: a row added, or
 * one taken away. For a view that keeps what it learned until then.
 *
 * Returns: (transfer full) (nullable): the stamp, or %NULL on error
 */
char *
rw_store_dup_evidence_stamp (RwStore  *self,
                             GError  **error)
{
  g_autoptr(GPtrArray) rows = NULL;

  g_return_val_if_fail (RW_IS_STORE (self), NULL);

  rows = _rw_store_query (self, "SELECT (SELECT count(*) || ':' || coalesce (max (rowid), 0) "
                                "FROM responses) || '/' || "
                                "(SELECT count(*) || ':' || coalesce (max (rowid), 0) FROM grades) "
                                "|| '/' || "
                                "(SELECT count(*) || ':' || coalesce (max (rowid), 0) FROM votes)",
                          NULL, error);
  if (rows == NULL || rows->len == 0)
    return NULL;
  return g_strdup (((char **) rows->pdata[0])[0]);
}

/**
 * rw_store_lookup_import:
 * @source: what was imported ("routellm", "outcomes", "promptfoo")
 * @sha256: the imported data's checksum, as its run's parameters keep it
 *
 * Returns: (transfer full) (nullable): the first finished import of the same data from the same
 *   source, or %NULL when there is none (without setting @error) or the query failed
 */
RwStoredRun *
rw_store_lookup_import (RwStore     *self,
                        const char  *source,
                        const char  *sha256,
                        GError     **error)
{
  const char *params[] = { source, sha256 };
  g_autoptr(GPtrArray) runs = NULL;

  g_return_val_if_fail (RW_IS_STORE (self), NULL);

  runs = _rw_store_list_n (self, RUN_COLUMNS "WHERE kind = 'eval' AND status = 'done' AND "
                                 "json_extract (params, '$.source') = ?1 AND "
                                 "json_extract (params, '$.sha256') = ?2 "
                                 "ORDER BY created_ms LIMIT 1",
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
