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

/* The writer thread: queued writes, committed in batches, and the thread that folds the log
 * into the database. */

static void
store_op_free (RwStoreOp *op)
{
  while (op != NULL)
    {
      RwStoreOp *next = op->next;

      for (guint i = 0; i < op->n_vals; i++)
        g_free (op->vals[i].s);
      if (op->destroy != NULL)
        op->destroy (op->data);
      g_free (op);
      op = next;
    }
}

RwStoreOp *
_rw_store_op_new (const char *sql)
{
  RwStoreOp *op = g_new0 (RwStoreOp, 1);
  op->kind = OP_EXEC;
  op->sql = sql;
  return op;
}

void
_rw_store_op_text (RwStoreOp         *op,
                   const char *s)
{
  g_assert (op->n_vals < MAX_VALS);
  op->vals[op->n_vals].type = s ? VAL_TEXT : VAL_NULL;
  op->vals[op->n_vals].s = g_strdup (s);
  op->n_vals++;
}

void
_rw_store_op_int (RwStoreOp     *op,
                  gint64  v)
{
  g_assert (op->n_vals < MAX_VALS);
  op->vals[op->n_vals].type = VAL_INT;
  op->vals[op->n_vals].i = v;
  op->n_vals++;
}

void
_rw_store_op_int_or_null (RwStoreOp     *op,
                          gint64  v)
{
  if (v < 0)
    {
      op->vals[op->n_vals].type = VAL_NULL;
      op->n_vals++;
    }
  else
    _rw_store_op_int (op, v);
}

void
_rw_store_op_double_or_null (RwStoreOp     *op,
                             double  v)
{
  g_assert (op->n_vals < MAX_VALS);
  if (!isfinite (v) || v < 0)
    op->vals[op->n_vals].type = VAL_NULL;
  else
    {
      op->vals[op->n_vals].type = VAL_DOUBLE;
      op->vals[op->n_vals].d = v;
    }
  op->n_vals++;
}

/*
 * Row ids: UUIDs of version 7 (RFC 9562), a millisecond timestamp then random bits, so that
 * the window and the command line can write one file without clashing, while new rows land at
 * the end of each id index instead of on a random page of it: far fewer pages written per
 * transaction than with random UUIDs.
 */
char *
_rw_store_new_id (void)
{
  static gint64 last_ms;
  static guint32 seq;
  static GMutex lock;
  guint8 b[16];
  gint64 ms = g_get_real_time () / 1000;
  guint32 r = g_random_int ();

  g_mutex_lock (&lock);
  /* Within one millisecond, a counter keeps the order of the ids the order of creation. */
  if (ms <= last_ms)
    {
      ms = last_ms;
      seq++;
    }
  else
    seq = r & 0x1ff;
  last_ms = ms;
  r = seq;
  g_mutex_unlock (&lock);

  for (int i = 0; i < 6; i++)
    b[i] = (guint8) (ms >> (40 - 8 * i));
  b[6] = 0x70 | ((r >> 8) & 0x0f);
  b[7] = r & 0xff;
  for (int i = 8; i < 16; i += 4)
    {
      guint32 x = g_random_int ();
      memcpy (b + i, &x, 4);
    }
  b[8] = 0x80 | (b[8] & 0x3f);
  {
    static const char hex[] = "0123456789abcdef";
    char *id = g_malloc (37), *p = id;

    for (int i = 0; i < 16; i++)
      {
        if (i == 4 || i == 6 || i == 8 || i == 10)
          *p++ = '-';
        *p++ = hex[b[i] >> 4];
        *p++ = hex[b[i] & 15];
      }
    *p = '\0';
    return id;
  }
}

gint64
_rw_store_now_ms (void)
{
  return g_get_real_time () / 1000;
}

static void
store_note_write_error (RwStore    *self,
                        const char *what)
{
  g_mutex_lock (&self->lock);
  self->n_write_errors++;
  if (self->write_error == NULL)
    self->write_error = g_strdup (what);
  g_hash_table_remove_all (self->prompts_queued);
  g_mutex_unlock (&self->lock);
  g_message ("Routewise database %s: %s", self->path, what);
}

/* Returns: whether the write was made */
static gboolean
store_exec_op (RwStore *self,
               RwStoreOp      *op)
{
  sqlite3_stmt *stmt = g_hash_table_lookup (self->stmts, op->sql);
  int rc;

  if (stmt == NULL)
    {
      if (sqlite3_prepare_v3 (self->db, op->sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL)
          != SQLITE_OK)
        {
          store_note_write_error (self, sqlite3_errmsg (self->db));
          return FALSE;
        }
      g_hash_table_insert (self->stmts, (gpointer) op->sql, stmt);
    }

  for (guint i = 0; i < op->n_vals; i++)
    {
      RwStoreVal *v = &op->vals[i];
      switch (v->type)
        {
        case VAL_NULL:
          sqlite3_bind_null (stmt, i + 1);
          break;
        case VAL_INT:
          sqlite3_bind_int64 (stmt, i + 1, v->i);
          break;
        case VAL_DOUBLE:
          sqlite3_bind_double (stmt, i + 1, v->d);
          break;
        case VAL_TEXT:
          sqlite3_bind_text (stmt, i + 1, v->s, -1, SQLITE_STATIC);
          break;
        default:
          g_assert_not_reached ();
        }
    }

  rc = sqlite3_step (stmt);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    store_note_write_error (self, sqlite3_errmsg (self->db));
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  return rc == SQLITE_DONE || rc == SQLITE_ROW;
}

/* The table a write adds a row to, when it is a plain INSERT whose first value is the row's id:
 * a row that can be taken back. Upserts (prompts, models) are left: they may have found the row
 * there, and a prompt or model with nothing else is harmless. */
static char *
store_inserted_table (RwStoreOp *op)
{
  const char *p = op->sql, *end;

  if (!g_str_has_prefix (p, "INSERT INTO ") || strstr (p, "ON CONFLICT") != NULL ||
      op->n_vals == 0 || op->vals[0].type != VAL_TEXT)
    return NULL;
  p += strlen ("INSERT INTO ");
  end = strchr (p, ' ');
  if (end == NULL || !g_str_has_prefix (end, " (id,"))
    return NULL;
  return g_strndup (p, end - p);
}

/* Takes back the rows @done added, newest first. */
static void
store_undo_inserts (RwStore   *self,
                    GPtrArray *done)
{
  for (guint i = done->len; i-- > 0;)
    {
      RwStoreOp *op = done->pdata[i];
      g_autofree char *table = store_inserted_table (op);
      g_autofree char *sql = NULL;
      sqlite3_stmt *stmt = NULL;

      if (table == NULL)
        continue;
      sql = g_strdup_printf ("DELETE FROM %s WHERE id = ?1", table);
      if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) == SQLITE_OK)
        {
          sqlite3_bind_text (stmt, 1, op->vals[0].s, -1, SQLITE_STATIC);
          if (sqlite3_step (stmt) != SQLITE_DONE)
            store_note_write_error (self, sqlite3_errmsg (self->db));
        }
      else
        store_note_write_error (self, sqlite3_errmsg (self->db));
      sqlite3_finalize (stmt);
    }
}

/* Runs a group of writes, or a job, as one unit inside the open transaction: when one of its
 * writes fails, the rows the others added are taken back, so that an answer is never stored
 * without its grades (a run resumed later would count it as done). A savepoint would do the
 * same for every unit, at the price of copying each page it touches (40 ms of CPU for 2,000
 * evaluation answers); this costs nothing until a write fails. */
static void
store_exec_unit (RwStore *self,
                 RwStoreOp      *op)
{
  guint before = rw_store_get_n_write_errors (self);
  g_autoptr(GPtrArray) done = NULL;

  if (op->kind == OP_CALL)
    {
      /* The job's writes are made as it queues them (see _rw_store_enqueue()) and kept here. */
      self->unit = g_ptr_array_new_with_free_func ((GDestroyNotify) store_op_free);
      op->func (self, op->data);
      done = g_steal_pointer (&self->unit);
    }
  else
    {
      done = g_ptr_array_new ();
      for (RwStoreOp *o = op; o != NULL; o = o->next)
        if (store_exec_op (self, o))
          g_ptr_array_add (done, o);
    }
  if (rw_store_get_n_write_errors (self) != before)
    store_undo_inserts (self, done);
}

static void
store_exec_simple (RwStore    *self,
                   const char *sql)
{
  char *msg = NULL;

  if (sqlite3_exec (self->db, sql, NULL, NULL, &msg) != SQLITE_OK)
    {
      store_note_write_error (self, msg ? msg : sqlite3_errmsg (self->db));
      sqlite3_free (msg);
    }
}

static void
store_finish_flush (RwStore *self,
                    RwStoreFlush   *flush)
{
  if (flush->task != NULL)
    {
      /* Returned on the context the caller waits on. */
      g_task_return_boolean (flush->task, TRUE);
      g_object_unref (flush->task);
      g_free (flush);
      return;
    }

  g_mutex_lock (&self->lock);
  if (!flush->keep_error)
    flush->error = g_steal_pointer (&self->write_error);
  g_mutex_unlock (&self->lock);

  g_mutex_lock (&flush->mutex);
  flush->done = TRUE;
  g_cond_signal (&flush->cond);
  g_mutex_unlock (&flush->mutex);
}

#define GROUP_COMMIT_US   2000
#define GROUP_COMMIT_ROWS 256

/* When the log is folded into the database (a checkpoint): once it holds CHECKPOINT_PAGES,
 * and earlier once it holds IDLE_CHECKPOINT_PAGES and nothing was committed for
 * IDLE_CHECKPOINT_US. Closing the store does not: what is in the log is as safe as what is in
 * the database, and the next store to open the file reads it and folds it in when its turn
 * comes. SQLite's own rule, at 1,000 pages on the committing connection, made a busy writer
 * stop to copy the same pages into the database again and again, and left the rest to whoever
 * closed the store last, while the user waited for the command to end (a quarter of a second
 * for a week of use). */
#define CHECKPOINT_PAGES        4096
#define IDLE_CHECKPOINT_PAGES   256
#define IDLE_CHECKPOINT_US      G_TIME_SPAN_SECOND

int
_rw_store_wal_committed (gpointer    data,
                         sqlite3    *db,
                         const char *name,
                         int         pages)
{
  RwStore *self = data;

  g_mutex_lock (&self->ckpt_lock);
  self->ckpt_pages = pages;
  self->ckpt_commit_us = g_get_monotonic_time ();
  if (pages >= IDLE_CHECKPOINT_PAGES)
    g_cond_signal (&self->ckpt_cond);
  g_mutex_unlock (&self->ckpt_lock);
  return SQLITE_OK;
}

gpointer
_rw_store_checkpointer_thread (gpointer data)
{
  RwStore *self = data;
  sqlite3 *db = NULL;

  if (sqlite3_open_v2 (self->path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL)
      != SQLITE_OK)
    {
      /* The log then waits for the next store that opens the file to fold it in. */
      g_warning ("Routewise database %s: no connection to fold the log in: %s", self->path,
                 db ? sqlite3_errmsg (db) : "out of memory");
      sqlite3_close (db);
      return NULL;
    }
  sqlite3_db_config (db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
  /* A connection finds the log at its first read; until then it has none to fold in. */
  sqlite3_exec (db, "PRAGMA schema_version", NULL, NULL, NULL);

  g_mutex_lock (&self->ckpt_lock);
  while (!self->ckpt_quit)
    {
      int log = 0, done = 0;

      if (self->ckpt_pages < IDLE_CHECKPOINT_PAGES)
        {
          g_cond_wait (&self->ckpt_cond, &self->ckpt_lock);
          continue;
        }
      if (self->ckpt_pages < CHECKPOINT_PAGES &&
          g_get_monotonic_time () < self->ckpt_commit_us + IDLE_CHECKPOINT_US)
        {
          g_cond_wait_until (&self->ckpt_cond, &self->ckpt_lock,
                             self->ckpt_commit_us + IDLE_CHECKPOINT_US);
          continue;
        }
      /* Whatever this manages, the next commit says again what the log holds. */
      self->ckpt_pages = 0;
      g_mutex_unlock (&self->ckpt_lock);
      /* Passive: it never waits for the writer or a reader, and copies what none still needs. */
      sqlite3_wal_checkpoint_v2 (db, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
      g_mutex_lock (&self->ckpt_lock);
      self->ckpt_count++;
      g_cond_broadcast (&self->ckpt_cond);
    }
  g_mutex_unlock (&self->ckpt_lock);
  sqlite3_close (db);
  return NULL;
}

gpointer
_rw_store_writer_thread (gpointer data)
{
  RwStore *self = data;
  gboolean quit = FALSE;
  gint64 last_commit_us = 0;

  while (!quit)
    {
      RwStoreOp *op = g_async_queue_pop (self->queue);
      g_autoptr(GPtrArray) flushes = g_ptr_array_new ();
      guint n = 0;
      gboolean in_tx = FALSE;

      /* Group commit: a write that comes less than GROUP_COMMIT_US after the last commit is
       * part of a stream of them, and waits until that much time has passed, for the ones
       * behind it; one transaction (and one write of each touched page to the log) then
       * carries many rows instead of a few. A write after a pause is committed at once, so
       * that a crash loses as little as it can. A flush waits at most that moment longer. */
      if ((op->kind == OP_EXEC || op->kind == OP_CALL) &&
          g_atomic_int_get (&self->group_commit) &&
          g_async_queue_length (self->queue) < GROUP_COMMIT_ROWS)
        {
          gint64 wait = last_commit_us + GROUP_COMMIT_US - g_get_monotonic_time ();

          if (wait > 0)
            g_usleep (wait);
        }

      /* Take what is queued, up to a bound, into one transaction. */
      do
        {
          if (op->kind == OP_QUIT)
            quit = TRUE;
          else if (op->kind == OP_FLUSH)
            g_ptr_array_add (flushes, op->flush);
          else
            {
              if (!in_tx)
                {
                  store_exec_simple (self, "BEGIN IMMEDIATE");
                  in_tx = TRUE;
                }
              /* A job, or a group of writes, goes in as one unit; a lone write alone. */
              if (op->kind == OP_CALL || op->next != NULL)
                store_exec_unit (self, op);
              else
                store_exec_op (self, op);
              for (RwStoreOp *o = op; o != NULL; o = o->next)
                n++;
            }
          store_op_free (op);
        }
      while (!quit && n < 2000 && (op = g_async_queue_try_pop (self->queue)) != NULL);

      if (in_tx)
        {
          store_exec_simple (self, "COMMIT");
          last_commit_us = g_get_monotonic_time ();
        }

      for (guint i = 0; i < flushes->len; i++)
        store_finish_flush (self, flushes->pdata[i]);
    }

  /* Anything queued after the quit request is dropped with a warning. */
  {
    RwStoreOp *op;
    while ((op = g_async_queue_try_pop (self->queue)) != NULL)
      {
        if (op->kind == OP_FLUSH)
          store_finish_flush (self, op->flush);
        else if (op->kind == OP_EXEC || op->kind == OP_CALL)
          g_warning ("Routewise database %s: a write after close was dropped", self->path);
        store_op_free (op);
      }
  }
  return NULL;
}

void
_rw_store_enqueue (RwStore *self,
                   RwStoreOp      *op)
{
  if (op->kind == OP_EXEC && g_thread_self () == self->writer)
    {
      /* From a job, inside the writer's transaction; also while the store closes, which waits
       * for the jobs queued before it. A write made is kept until the job ends, in case the
       * job's rows must be taken back. */
      if (store_exec_op (self, op) && self->unit != NULL)
        g_ptr_array_add (self->unit, op);
      else
        store_op_free (op);
      return;
    }
  if (self->closed)
    {
      g_warning ("Routewise database %s: write after close dropped", self->path);
      store_op_free (op);
      return;
    }
  if (op->kind == OP_EXEC && g_atomic_pointer_get (&self->group_thread) == g_thread_self ())
    {
      if (self->group_tail != NULL)
        self->group_tail->next = op;
      else
        self->group_head = op;
      self->group_tail = op;
      return;
    }
  g_async_queue_push (self->queue, op);
}

/**
 * rw_store_run_job:
 * @self: a #RwStore
 * @func: what to run
 * @data: its argument
 * @destroy: (nullable): frees @data, after @func has run (or when the store closed first)
 *
 * Runs @func on the store's writer thread, in order with the writes queued before and after it,
 * inside a transaction: the writes it makes with the rw_store_record_*() functions are made at
 * once and land in that transaction, all together or not at all (when one fails, the rows the
 * others added are taken back; prompts and models, which may have been there before, stay).
 * Work that only feeds the database (grading an answer, say) can so be taken off a busy thread.
 * @func must not wait for the store: no flush, no query, no closing.
 */
void
rw_store_run_job (RwStore        *self,
                  RwStoreJobFunc  func,
                  gpointer        data,
                  GDestroyNotify  destroy)
{
  RwStoreOp *op;

  g_return_if_fail (RW_IS_STORE (self));
  g_return_if_fail (func != NULL);

  op = g_new0 (RwStoreOp, 1);
  op->kind = OP_CALL;
  op->func = func;
  op->data = data;
  op->destroy = destroy;
  _rw_store_enqueue (self, op);
}

/**
 * rw_store_begin_group:
 * @self: a #RwStore
 *
 * Until rw_store_end_group(), the writes this thread queues are held and then committed in one
 * transaction: an answer and its grades land together or not at all (as for a job, see
 * rw_store_run_job()), for the price of one commit. Groups do not nest, and one thread at a
 * time holds one; writes from other threads meanwhile go to the database as usual.
 */
void
rw_store_begin_group (RwStore *self)
{
  g_return_if_fail (RW_IS_STORE (self));
  g_return_if_fail (g_atomic_pointer_get (&self->group_thread) == NULL);

  g_atomic_pointer_set (&self->group_thread, g_thread_self ());
}

void
rw_store_end_group (RwStore *self)
{
  RwStoreOp *head;

  g_return_if_fail (RW_IS_STORE (self));
  g_return_if_fail (g_atomic_pointer_get (&self->group_thread) == g_thread_self ());

  head = g_steal_pointer (&self->group_head);
  self->group_tail = NULL;
  g_atomic_pointer_set (&self->group_thread, NULL);
  if (head != NULL)
    g_async_queue_push (self->queue, head);
}

/* Waits until everything queued so far is committed. With @keep_error, a failed write is left
 * for the next rw_store_flush() to report. */
gboolean
_rw_store_wait_for_writes (RwStore   *self,
                           gboolean   keep_error,
                           GError   **error)
{
  RwStoreFlush flush = { 0 };
  RwStoreOp *op;

  if (self->closed || self->writer == NULL)
    return TRUE;

  g_mutex_init (&flush.mutex);
  g_cond_init (&flush.cond);
  flush.keep_error = keep_error;
  op = g_new0 (RwStoreOp, 1);
  op->kind = OP_FLUSH;
  op->flush = &flush;
  g_async_queue_push (self->queue, op);

  g_mutex_lock (&flush.mutex);
  while (!flush.done)
    g_cond_wait (&flush.cond, &flush.mutex);
  g_mutex_unlock (&flush.mutex);
  g_mutex_clear (&flush.mutex);
  g_cond_clear (&flush.cond);

  if (flush.error != NULL)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_STORE, "a write to the database failed: %s",
                   flush.error);
      g_free (flush.error);
      return FALSE;
    }
  return TRUE;
}

/**
 * rw_store_when_stored_async:
 * @self: a #RwStore
 * @callback: called, on the thread-default main context, once everything queued before this
 *   call is committed (or failed: a failed write stays for rw_store_flush() to report)
 * @user_data: data for @callback
 *
 * Waits for the writes queued so far without a thread: so that a reply goes out only once what
 * it answered is in the database, and a process killed after replying has lost nothing.
 */
void
rw_store_when_stored_async (RwStore             *self,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);
  RwStoreFlush *flush;
  RwStoreOp *op;

  g_task_set_source_tag (task, rw_store_when_stored_async);
  if (self->closed || self->writer == NULL)
    {
      g_task_return_boolean (task, TRUE);
      g_object_unref (task);
      return;
    }
  flush = g_new0 (RwStoreFlush, 1);
  flush->keep_error = TRUE;
  flush->task = task;
  op = g_new0 (RwStoreOp, 1);
  op->kind = OP_FLUSH;
  op->flush = flush;
  g_async_queue_push (self->queue, op);
}

void
rw_store_when_stored_finish (RwStore      *self,
                             GAsyncResult *result)
{
  g_task_propagate_boolean (G_TASK (result), NULL);
}

/* Waits until the store has folded its log into the database more than @after times, or
 * @timeout_us has passed; returns how many times it has. */
guint
_rw_store_wait_checkpoints (RwStore *self,
                            guint    after,
                            gint64   timeout_us)
{
  gint64 end = g_get_monotonic_time () + timeout_us;
  guint n;

  g_mutex_lock (&self->ckpt_lock);
  while (self->ckpt_count <= after && g_cond_wait_until (&self->ckpt_cond, &self->ckpt_lock, end))
    ;
  n = self->ckpt_count;
  g_mutex_unlock (&self->ckpt_lock);
  return n;
}
