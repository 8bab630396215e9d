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

/* Reads, on a connection of their own that never waits for the writer. */

#define MAX_READER_STMTS 64

static sqlite3 *
store_open_reader (RwStore  *self,
                   GError  **error)
{
  sqlite3 *db = NULL;

  if (sqlite3_open_v2 (self->path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL)
      != SQLITE_OK)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_STORE, "cannot read %s: %s", self->path,
                   db ? sqlite3_errmsg (db) : "out of memory");
      sqlite3_close (db);
      return NULL;
    }
  sqlite3_busy_timeout (db, 5000);
  return db;
}

/* A statement for @sql, ready to bind: on the store's reader when no other thread is using it
 * (prepared once and kept), else on a connection opened for this one query. Opening a
 * connection reads the whole schema, which costs more than most of our queries. */
gboolean
_rw_store_read_stmt_take (RwStore     *self,
                          const char  *sql,
                          RwStoreReadStmt    *r,
                          GError     **error)
{
  r->shared = g_mutex_trylock (&self->reader_lock);
  if (r->shared && self->reader == NULL && !self->closed &&
      (self->reader = store_open_reader (self, error)) == NULL)
    {
      g_mutex_unlock (&self->reader_lock);
      return FALSE;
    }
  if (r->shared && self->reader == NULL)
    {
      /* Closed: what is read now is read on a connection of its own. */
      g_mutex_unlock (&self->reader_lock);
      r->shared = FALSE;
    }
  if (r->shared)
    {
      r->db = self->reader;
      r->stmt = g_hash_table_lookup (self->reader_stmts, sql);
      if (r->stmt != NULL)
        return TRUE;
      if (sqlite3_prepare_v3 (r->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &r->stmt, NULL)
          != SQLITE_OK)
        {
          g_set_error (error, RW_ERROR, RW_ERROR_STORE, "cannot read %s: %s", self->path,
                       sqlite3_errmsg (r->db));
          g_mutex_unlock (&self->reader_lock);
          return FALSE;
        }
      if (g_hash_table_size (self->reader_stmts) >= MAX_READER_STMTS)
        g_hash_table_remove_all (self->reader_stmts);
      g_hash_table_insert (self->reader_stmts, g_strdup (sql), r->stmt);
      return TRUE;
    }

  if ((r->db = store_open_reader (self, error)) == NULL)
    return FALSE;
  if (sqlite3_prepare_v2 (r->db, sql, -1, &r->stmt, NULL) != SQLITE_OK)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_STORE, "cannot read %s: %s", self->path,
                   sqlite3_errmsg (r->db));
      sqlite3_close (r->db);
      return FALSE;
    }
  return TRUE;
}

/* Ends the read. The statement is reset, so that no read transaction stays open. */
void
_rw_store_read_stmt_give (RwStore  *self,
                          RwStoreReadStmt *r)
{
  if (r->shared)
    {
      sqlite3_reset (r->stmt);
      sqlite3_clear_bindings (r->stmt);
      g_mutex_unlock (&self->reader_lock);
    }
  else
    {
      sqlite3_finalize (r->stmt);
      sqlite3_close (r->db);
    }
}

/* One row of _rw_store_query(), copied as text. */
static gboolean
store_copy_row (RwStoreRow *row,
                gpointer    data)
{
  sqlite3_stmt *stmt = (sqlite3_stmt *) row;
  int n = sqlite3_column_count (stmt);
  char **copy = g_new0 (char *, n + 1);

  for (int c = 0; c < n; c++)
    {
      const char *text = _rw_store_row_text (row, c);
      copy[c] = g_strdup (text ? text : "");
    }
  g_ptr_array_add (data, copy);
  return TRUE;
}

/**
 * _rw_store_query:
 * @self: a #RwStore
 * @sql: a read-only statement with ?1, ?2, ... parameters
 * @params: (nullable) (array zero-terminated=1): the parameters, as text
 * @error: return location for an error
 *
 * Runs a query after what was queued so far is committed (see _rw_store_query_each()).
 *
 * Returns: (transfer full) (element-type GStrv) (nullable): the rows, each a vector of the
 *   columns as text (a NULL column is an empty string), or %NULL on error
 */
GPtrArray *
_rw_store_query (RwStore             *self,
                 const char          *sql,
                 const char * const  *params,
                 GError             **error)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);

  g_return_val_if_fail (RW_IS_STORE (self), NULL);

  if (!_rw_store_query_each (self, sql, params, store_copy_row, rows, error))
    return NULL;
  return g_steal_pointer (&rows);
}

/**
 * _rw_store_query_each_n:
 * @params: (nullable) (array length=n_params): text values for the parameters, %NULL for
 *   SQL's NULL
 * @n_params: how many
 *
 * _rw_store_query_each() with parameters that may be NULL.
 */
gboolean
_rw_store_query_each_n (RwStore             *self,
                        const char          *sql,
                        const char * const  *params,
                        guint                n_params,
                        RwStoreRowFunc       func,
                        gpointer             data,
                        GError             **error)
{
  RwStoreReadStmt r;
  int rc;

  g_return_val_if_fail (RW_IS_STORE (self), FALSE);
  g_return_val_if_fail (func != NULL, FALSE);

  /* A query sees this thread's writes, queued before it; a write that failed is not its
   * failure, and stays for the next flush to report. */
  g_return_val_if_fail (g_thread_self () != self->writer, FALSE);
  if (!_rw_store_wait_for_writes (self, TRUE, error) ||
      !_rw_store_read_stmt_take (self, sql, &r, error))
    return FALSE;
  for (guint i = 0; i < n_params; i++)
    if (params[i] != NULL)
      sqlite3_bind_text (r.stmt, i + 1, params[i], -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (r.stmt)) == SQLITE_ROW)
    if (!func ((RwStoreRow *) r.stmt, data))
      {
        rc = SQLITE_DONE;
        break;
      }
  if (rc != SQLITE_DONE)
    g_set_error (error, RW_ERROR, RW_ERROR_STORE, "cannot read %s: %s", self->path,
                 sqlite3_errmsg (r.db));
  _rw_store_read_stmt_give (self, &r);
  return rc == SQLITE_DONE;
}

/**
 * _rw_store_query_each:
 * @self: a #RwStore
 * @sql: one SELECT statement, with ?1, ?2… for @params
 * @params: (nullable) (array zero-terminated=1): text values for the parameters
 * @func: called with each row in turn; it returns %FALSE to stop early
 * @data: for @func
 * @error: return location for an error
 *
 * Runs a query after everything queued so far is committed, like _rw_store_query(), and hands
 * @func each row as it is read, with its values in their own types: no row is copied and no
 * number goes through text.
 *
 * Returns: %FALSE when the query could not run
 */
gboolean
_rw_store_query_each (RwStore             *self,
                      const char          *sql,
                      const char * const  *params,
                      RwStoreRowFunc       func,
                      gpointer             data,
                      GError             **error)
{
  guint n = 0;

  while (params != NULL && params[n] != NULL)
    n++;
  return _rw_store_query_each_n (self, sql, params, n, func, data, error);
}

gboolean
_rw_store_row_is_null (RwStoreRow *row,
                       int         column)
{
  return sqlite3_column_type ((sqlite3_stmt *) row, column) == SQLITE_NULL;
}

/* Returns: (nullable): the value as text, %NULL for NULL */
const char *
_rw_store_row_text (RwStoreRow *row,
                    int         column)
{
  return (const char *) sqlite3_column_text ((sqlite3_stmt *) row, column);
}

/* Returns: the value as a number, NAN for NULL */
double
_rw_store_row_double (RwStoreRow *row,
                      int         column)
{
  if (_rw_store_row_is_null (row, column))
    return NAN;
  return sqlite3_column_double ((sqlite3_stmt *) row, column);
}

/* Returns: the value as an integer, 0 for NULL */
gint64
_rw_store_row_int (RwStoreRow *row,
                   int         column)
{
  return sqlite3_column_int64 ((sqlite3_stmt *) row, column);
}
