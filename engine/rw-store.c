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

/**
 * RwStore:
 *
 * The SQLite database of prompts, runs, answers and votes. Writes are queued and committed by
 * one writer thread in batches, so that recording never blocks the caller; a completed answer
 * is committed as soon as the writer reaches it, normally within milliseconds. The database is
 * in WAL mode, so readers on their own connections never wait for the writer and an unclean
 * exit loses nothing that was committed.
 *
 * The store owns its schema: rw-store-schema.c creates and migrates it, rw-store-writer.c
 * commits the writes, rw-store-reader.c runs the queries, and each family of tables has a file
 * of its typed records and queries (rw-store-responses.c, rw-store-runs.c, rw-store-votes.c,
 * rw-store-requests.c). This file opens, flushes and closes it.
 */

G_DEFINE_FINAL_TYPE (RwStore, rw_store, G_TYPE_OBJECT)

static void
rw_store_finalize (GObject *object)
{
  RwStore *self = (RwStore *) object;

  rw_store_close (self);
  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->write_error, g_free);
  g_clear_pointer (&self->prompts_queued, g_hash_table_unref);
  g_clear_pointer (&self->reader_stmts, g_hash_table_unref);
  g_mutex_clear (&self->lock);
  g_mutex_clear (&self->ckpt_lock);
  g_cond_clear (&self->ckpt_cond);
  g_mutex_clear (&self->reader_lock);

  G_OBJECT_CLASS (rw_store_parent_class)->finalize (object);
}

static void
rw_store_class_init (RwStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = rw_store_finalize;
}

static void
rw_store_init (RwStore *self)
{
  g_mutex_init (&self->lock);
  g_mutex_init (&self->ckpt_lock);
  g_cond_init (&self->ckpt_cond);
  self->prompts_queued = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->stmts = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
                                       (GDestroyNotify) sqlite3_finalize);
  g_mutex_init (&self->reader_lock);
  self->reader_stmts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                              (GDestroyNotify) sqlite3_finalize);
}

/**
 * rw_store_open:
 * @path: the database file; it and its folder are created when missing
 * @error: return location for an error
 *
 * Opens the database and brings its schema up to date.
 *
 * Returns: (transfer full) (nullable): the store
 */
RwStore *
rw_store_open (const char  *path,
               GError     **error)
{
  RwStore *self;
  int version = 0;
  sqlite3 *db;

  g_return_val_if_fail (path != NULL, NULL);

  db = _rw_store_open_db (path, RW_STORE_SCHEMA_VERSION, &version, error);
  if (db == NULL)
    return NULL;
  /* A database that cannot be written is refused now, not found out answer by answer after
   * "Stored" was said: taking the write lock once shows it (a lock held elsewhere for longer
   * than the busy timeout is only busy, not read-only). */
  {
    int rc = sqlite3_db_readonly (db, "main") == 1 ? SQLITE_READONLY
             : sqlite3_exec (db, "BEGIN IMMEDIATE; ROLLBACK", NULL, NULL, NULL);

    if (rc != SQLITE_OK && (rc & 0xff) != SQLITE_BUSY)
      {
        g_set_error (error, RW_ERROR, RW_ERROR_STORE,
                     "the database %s cannot be written (%s): nothing could be stored; check "
                     "that it and its folder are yours to write, and the free space", path,
                     rc == SQLITE_READONLY && sqlite3_errcode (db) == SQLITE_OK
                     ? "it is read-only" : sqlite3_errmsg (db));
        sqlite3_close (db);
        return NULL;
      }
  }

  self = g_object_new (RW_TYPE_STORE, NULL);
  self->path = g_strdup (path);
  self->db = db;
  self->schema_version = version;
  self->queue = g_async_queue_new ();
  sqlite3_wal_hook (db, _rw_store_wal_committed, self);
  sqlite3_db_config (db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
  self->checkpointer = g_thread_new ("rw-store-ckpt", _rw_store_checkpointer_thread, self);
  self->writer = g_thread_new ("rw-store-writer", _rw_store_writer_thread, self);
  return self;
}

/**
 * rw_store_open_default:
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the store in the user's data folder
 */
RwStore *
rw_store_open_default (GError **error)
{
  g_autofree char *path = rw_paths_database_file ();
  return rw_store_open (path, error);
}

const char *
rw_store_get_path (RwStore *self)
{
  g_return_val_if_fail (RW_IS_STORE (self), NULL);
  return self->path;
}

int
rw_store_get_schema_version (RwStore *self)
{
  g_return_val_if_fail (RW_IS_STORE (self), 0);
  return self->schema_version;
}

/**
 * rw_store_get_n_write_errors:
 * @self: a #RwStore
 *
 * Returns: how many writes have failed since the store was opened; with rw_store_flush(),
 *   whether everything written between two points in time is in the database
 */
guint
rw_store_get_n_write_errors (RwStore *self)
{
  guint n;

  g_return_val_if_fail (RW_IS_STORE (self), 0);
  g_mutex_lock (&self->lock);
  n = self->n_write_errors;
  g_mutex_unlock (&self->lock);
  return n;
}

/* A log left larger than this when the store closes is folded in and emptied before it
 * closes: the checkpointer cannot fold in a log that a bulk write (an import, learning) keeps
 * growing, and every process that opens the database next reads a left log whole before its
 * first query (89 MB after importing RouteLLM's MMLU: 0.1 s for each later command). A
 * smaller one waits for the next store, as the checkpointer's rules say. */
#define CLOSE_FOLD_BYTES (16 * 1024 * 1024)

static void
store_fold_large_log (RwStore *self)
{
  g_autofree char *wal = g_strconcat (self->path, "-wal", NULL);
  GStatBuf st;

  if (g_stat (wal, &st) != 0 || st.st_size <= CLOSE_FOLD_BYTES)
    return;
  /* Never waits: where another process reads or writes the database, it is left to that one. */
  sqlite3_busy_timeout (self->db, 0);
  sqlite3_wal_checkpoint_v2 (self->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
}

/**
 * rw_store_close:
 * @self: a #RwStore
 *
 * Commits everything queued and closes the database. Further writes are dropped.
 */
void
rw_store_close (RwStore *self)
{
  g_return_if_fail (RW_IS_STORE (self));

  if (self->writer != NULL)
    {
      RwStoreOp *op = g_new0 (RwStoreOp, 1);
      op->kind = OP_QUIT;
      g_async_queue_push (self->queue, op);
      /* Cleared only once the writer has gone: jobs before the quit still write through it. */
      g_thread_join (self->writer);
      self->writer = NULL;
    }
  if (self->checkpointer != NULL)
    {
      g_mutex_lock (&self->ckpt_lock);
      self->ckpt_quit = TRUE;
      g_cond_broadcast (&self->ckpt_cond);
      g_mutex_unlock (&self->ckpt_lock);
      g_thread_join (g_steal_pointer (&self->checkpointer));
    }
  /* Under the reader's lock, so that no query opens the reader again after this. */
  g_mutex_lock (&self->reader_lock);
  self->closed = TRUE;
  g_hash_table_remove_all (self->reader_stmts);
  g_clear_pointer (&self->reader, sqlite3_close);
  g_mutex_unlock (&self->reader_lock);
  g_clear_pointer (&self->stmts, g_hash_table_unref);
  if (self->db != NULL)
    {
      sqlite3_exec (self->db, "PRAGMA optimize", NULL, NULL, NULL);
      store_fold_large_log (self);
      sqlite3_close (g_steal_pointer (&self->db));
    }
  g_clear_pointer (&self->queue, g_async_queue_unref);
}

/**
 * rw_store_flush:
 * @self: a #RwStore
 * @error: return location for an error
 *
 * Waits until everything queued so far is committed.
 *
 * Returns: %FALSE when a write since the last flush failed
 */
gboolean
rw_store_flush (RwStore  *self,
                GError  **error)
{
  g_return_val_if_fail (RW_IS_STORE (self), FALSE);
  /* A job waiting for the thread it runs on would wait forever. */
  g_return_val_if_fail (g_thread_self () != self->writer, FALSE);

  return _rw_store_wait_for_writes (self, FALSE, error);
}

static void
store_flush_thread (GTask        *task,
                    gpointer      source,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  GError *error = NULL;

  if (rw_store_flush (RW_STORE (source), &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

void
rw_store_flush_async (RwStore             *self,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, rw_store_flush_async);
  g_task_run_in_thread (task, store_flush_thread);
}

gboolean
rw_store_flush_finish (RwStore       *self,
                       GAsyncResult  *result,
                       GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * rw_store_set_group_commit:
 * @self: a #RwStore
 * @enabled: whether writes may wait a moment to share a transaction
 *
 * Lets a write that follows the last commit within 2 ms wait out those 2 ms for the ones behind
 * it, so that under a stream of writes one transaction carries many rows, and a crash would lose
 * at most the last 2 ms of them. A write after a pause is still committed at once. Off by
 * default: then every write is committed as soon as the writer reaches it.
 */
void
rw_store_set_group_commit (RwStore  *self,
                           gboolean  enabled)
{
  g_return_if_fail (RW_IS_STORE (self));

  g_atomic_int_set (&self->group_commit, enabled);
}
