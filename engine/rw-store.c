/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef RW_ENGINE_COMPILATION
# define RW_ENGINE_COMPILATION 1
#endif
#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

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
 */

static const char * const migrations[] = {
  /* 1: the first schema. */
  "CREATE TABLE prompts ("
  "  id TEXT PRIMARY KEY,"
  "  messages TEXT NOT NULL,"
  "  text TEXT NOT NULL,"
  "  task TEXT,"
  "  created_ms INTEGER NOT NULL);"
  "CREATE TABLE runs ("
  "  id TEXT PRIMARY KEY,"
  "  kind TEXT NOT NULL CHECK (kind IN ('compare', 'eval', 'serve')),"
  "  params TEXT,"
  "  status TEXT NOT NULL DEFAULT 'running',"
  "  created_ms INTEGER NOT NULL,"
  "  finished_ms INTEGER);"
  "CREATE TABLE responses ("
  "  id TEXT PRIMARY KEY,"
  "  run_id TEXT NOT NULL REFERENCES runs (id),"
  "  prompt_id TEXT NOT NULL REFERENCES prompts (id),"
  "  model TEXT NOT NULL,"
  "  attempt INTEGER NOT NULL DEFAULT 1,"
  "  status TEXT NOT NULL CHECK (status IN ('ok', 'error')),"
  "  text TEXT NOT NULL DEFAULT '',"
  "  finish_reason TEXT,"
  "  tokens_in INTEGER,"
  "  tokens_out INTEGER,"
  "  cost_usd REAL,"
  "  ttft_ms REAL,"
  "  latency_ms REAL,"
  "  http_status INTEGER,"
  "  error_kind TEXT,"
  "  error_message TEXT,"
  "  request_hash TEXT,"
  "  created_ms INTEGER NOT NULL);"
  "CREATE TABLE votes ("
  "  id TEXT PRIMARY KEY,"
  "  prompt_id TEXT NOT NULL REFERENCES prompts (id),"
  "  run_id TEXT REFERENCES runs (id),"
  "  task TEXT,"
  "  outcome TEXT NOT NULL CHECK (outcome IN ('a', 'b', 'tie', 'both_bad', 'best')),"
  "  response_a TEXT REFERENCES responses (id),"
  "  response_b TEXT REFERENCES responses (id),"
  "  winner TEXT REFERENCES responses (id),"
  "  source TEXT NOT NULL DEFAULT 'human'"
  "    CHECK (source IN ('human', 'judge', 'grader', 'import')),"
  "  created_ms INTEGER NOT NULL);",

  /* 2: the catalog as it was used, grades and policies, best-of-N candidates, indexes. */
  "ALTER TABLE responses ADD COLUMN usage_estimated INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE votes ADD COLUMN candidates TEXT;"
  "CREATE INDEX responses_by_run ON responses (run_id);"
  "CREATE INDEX responses_by_prompt ON responses (prompt_id, model);"
  "CREATE INDEX responses_by_hash ON responses (request_hash);"
  "CREATE INDEX votes_by_prompt ON votes (prompt_id);"
  "CREATE INDEX votes_by_task ON votes (task);"
  "CREATE TABLE models ("
  "  id TEXT PRIMARY KEY,"
  "  provider TEXT NOT NULL,"
  "  name TEXT NOT NULL,"
  "  input_price REAL,"
  "  output_price REAL,"
  "  context_length INTEGER,"
  "  updated_ms INTEGER NOT NULL);"
  "CREATE TABLE grades ("
  "  id TEXT PRIMARY KEY,"
  "  response_id TEXT NOT NULL REFERENCES responses (id),"
  "  grader TEXT NOT NULL,"
  "  score REAL,"
  "  pass INTEGER,"
  "  detail TEXT,"
  "  source TEXT NOT NULL DEFAULT 'grader',"
  "  created_ms INTEGER NOT NULL);"
  "CREATE INDEX grades_by_response ON grades (response_id);"
  "CREATE TABLE policies ("
  "  id TEXT PRIMARY KEY,"
  "  name TEXT,"
  "  body TEXT NOT NULL,"
  "  active INTEGER NOT NULL DEFAULT 0,"
  "  created_ms INTEGER NOT NULL);",

  /* 3: batch evaluations: which suite item and which repetition an answer is, and whether it
   * came from the cache. */
  "ALTER TABLE responses ADD COLUMN item_id TEXT;"
  "ALTER TABLE responses ADD COLUMN sample INTEGER NOT NULL DEFAULT 0;"
  "ALTER TABLE responses ADD COLUMN cached INTEGER NOT NULL DEFAULT 0;"
  "CREATE INDEX responses_by_item ON responses (run_id, item_id, model, sample);",

  /* 4: responses_by_item starts with run_id and serves every lookup by run, so the index on
   * run_id alone only cost a page write per stored answer. */
  "DROP INDEX responses_by_run;",

  /* 5: a run's comparisons are read by run (the report's paired results, a resumed run's
   * comparisons): without this index every report scanned every vote ever stored. Nothing
   * reads votes by prompt or by task, and each of those indexes cost a write per vote. */
  "CREATE INDEX votes_by_run ON votes (run_id);"
  "DROP INDEX votes_by_prompt;"
  "DROP INDEX votes_by_task;",

  /* 6: nothing looks answers up by prompt (they are read by run, by item and by request hash),
   * and prompt ids are hashes, so this index cost a page written at a random place per
   * stored answer. */
  "DROP INDEX responses_by_prompt;",

  /* 7: the same rules for a vote, written so that SQLite checks them by comparison: a CHECK
   * with an IN list of more than two values built a temporary table of the list for every
   * row inserted, half the cost of storing a vote. SQLite cannot change a constraint in place,
   * so the table is copied, row ids and all. */
  "CREATE TABLE votes_7 ("
  "  id TEXT PRIMARY KEY,"
  "  prompt_id TEXT NOT NULL REFERENCES prompts (id),"
  "  run_id TEXT REFERENCES runs (id),"
  "  task TEXT,"
  "  outcome TEXT NOT NULL CHECK (outcome = 'a' OR outcome = 'b' OR outcome = 'tie' OR"
  "                               outcome = 'both_bad' OR outcome = 'best'),"
  "  response_a TEXT REFERENCES responses (id),"
  "  response_b TEXT REFERENCES responses (id),"
  "  winner TEXT REFERENCES responses (id),"
  "  source TEXT NOT NULL DEFAULT 'human'"
  "    CHECK (source = 'human' OR source = 'judge' OR source = 'grader' OR source = 'import'),"
  "  created_ms INTEGER NOT NULL,"
  "  candidates TEXT);"
  "INSERT INTO votes_7 (rowid, id, prompt_id, run_id, task, outcome, response_a, response_b,"
  "                     winner, source, created_ms, candidates)"
  "  SELECT rowid, id, prompt_id, run_id, task, outcome, response_a, response_b, winner,"
  "         source, created_ms, candidates FROM votes;"
  "DROP TABLE votes;"
  "ALTER TABLE votes_7 RENAME TO votes;"
  "CREATE INDEX votes_by_run ON votes (run_id);",

  /* 8: an evaluation answer's task is its suite item's. It used to be read from the prompt,
   * whose task is the first one it was ever stored with: the same question asked in a
   * comparison, or in a suite that filed it under another task, moved it in the report. */
  "ALTER TABLE responses ADD COLUMN task TEXT;",
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == RW_STORE_SCHEMA_VERSION);

typedef enum { VAL_NULL, VAL_INT, VAL_DOUBLE, VAL_TEXT } ValType;

typedef struct
{
  ValType type;
  gint64 i;
  double d;
  char *s;
} Val;

typedef enum { OP_EXEC, OP_FLUSH, OP_QUIT, OP_CALL } OpKind;

typedef struct
{
  GMutex mutex;
  GCond cond;
  gboolean done;
  gboolean keep_error;  /* only wait: a failed write stays for the next real flush */
  char *error;
} Flush;

#define MAX_VALS 24

/* How long a write waits for another program's to finish. */
#define BUSY_TIMEOUT_MS 10000

typedef struct _Op
{
  OpKind kind;
  const char *sql;
  guint n_vals;
  Val vals[MAX_VALS];
  Flush *flush;
  RwStoreJobFunc func;      /* OP_CALL */
  gpointer data;
  GDestroyNotify destroy;
  /* Writes queued in the same group, committed in the same transaction. */
  struct _Op *next;
} Op;

#define PROMPT_QUEUED            GINT_TO_POINTER (1)
#define PROMPT_QUEUED_WITH_TASK  GINT_TO_POINTER (2)
#define PROMPTS_QUEUED_MAX       4096

struct _RwStore
{
  GObject parent_instance;

  char *path;
  sqlite3 *db;
  GThread *writer;
  GAsyncQueue *queue;
  GHashTable *stmts;    /* sql -> sqlite3_stmt, writer thread only */
  /* A read-only connection kept open for queries, and its prepared statements (sql -> stmt),
   * under reader_lock. A thread that finds it taken opens one of its own for the query. */
  GMutex reader_lock;
  sqlite3 *reader;
  GHashTable *reader_stmts;
  GMutex lock;          /* for write_error and prompts_queued */
  char *write_error;    /* the first failed write since the last flush */
  guint n_write_errors; /* failed writes since opening */
  GPtrArray *unit;      /* writer thread: the writes a running job made (Op) */
  /* Prompts queued lately, under lock: id -> PROMPT_QUEUED or PROMPT_QUEUED_WITH_TASK.
   * The same prompt again (a client's retry, an evaluation's next model) is not written twice.
   * Forgotten on a failed write, which may have lost one. */
  GHashTable *prompts_queued;
  int schema_version;
  gboolean closed;
  /* The log is folded into the database on a thread and connection of its own, so that the
   * writer never waits for it. Under ckpt_lock: what the last commit left in the log. */
  GThread *checkpointer;
  GMutex ckpt_lock;
  GCond ckpt_cond;
  int ckpt_pages;
  gint64 ckpt_commit_us;
  gboolean ckpt_quit;
  guint ckpt_count;
  gint group_commit;
  /* Between rw_store_begin_group() and rw_store_end_group(), the writes of that thread. */
  GThread *group_thread;
  Op *group_head;
  Op *group_tail;
};

G_DEFINE_FINAL_TYPE (RwStore, rw_store, G_TYPE_OBJECT)

static void
op_free (Op *op)
{
  while (op != NULL)
    {
      Op *next = op->next;

      for (guint i = 0; i < op->n_vals; i++)
        g_free (op->vals[i].s);
      if (op->destroy != NULL)
        op->destroy (op->data);
      g_free (op);
      op = next;
    }
}

static Op *
op_new (const char *sql)
{
  Op *op = g_new0 (Op, 1);
  op->kind = OP_EXEC;
  op->sql = sql;
  return op;
}

static void
op_text (Op         *op,
         const char *s)
{
  g_assert (op->n_vals < MAX_VALS);
  op->vals[op->n_vals].type = s ? VAL_TEXT : VAL_NULL;
  op->vals[op->n_vals].s = g_strdup (s);
  op->n_vals++;
}

static void
op_int (Op     *op,
        gint64  v)
{
  g_assert (op->n_vals < MAX_VALS);
  op->vals[op->n_vals].type = VAL_INT;
  op->vals[op->n_vals].i = v;
  op->n_vals++;
}

static void
op_int_or_null (Op     *op,
                gint64  v)
{
  if (v < 0)
    {
      op->vals[op->n_vals].type = VAL_NULL;
      op->n_vals++;
    }
  else
    op_int (op, v);
}

static void
op_double_or_null (Op     *op,
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
static char *
new_id (void)
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

static gint64
now_ms (void)
{
  return g_get_real_time () / 1000;
}

static void
note_write_error (RwStore    *self,
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
exec_op (RwStore *self,
         Op      *op)
{
  sqlite3_stmt *stmt = g_hash_table_lookup (self->stmts, op->sql);
  int rc;

  if (stmt == NULL)
    {
      if (sqlite3_prepare_v3 (self->db, op->sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL)
          != SQLITE_OK)
        {
          note_write_error (self, sqlite3_errmsg (self->db));
          return FALSE;
        }
      g_hash_table_insert (self->stmts, (gpointer) op->sql, stmt);
    }

  for (guint i = 0; i < op->n_vals; i++)
    {
      Val *v = &op->vals[i];
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
    note_write_error (self, sqlite3_errmsg (self->db));
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
  return rc == SQLITE_DONE || rc == SQLITE_ROW;
}

/* The table a write adds a row to, when it is a plain INSERT whose first value is the row's id:
 * a row that can be taken back. Upserts (prompts, models) are left: they may have found the row
 * there, and a prompt or model with nothing else is harmless. */
static char *
inserted_table (Op *op)
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
undo_inserts (RwStore   *self,
              GPtrArray *done)
{
  for (guint i = done->len; i-- > 0;)
    {
      Op *op = done->pdata[i];
      g_autofree char *table = inserted_table (op);
      g_autofree char *sql = NULL;
      sqlite3_stmt *stmt = NULL;

      if (table == NULL)
        continue;
      sql = g_strdup_printf ("DELETE FROM %s WHERE id = ?1", table);
      if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) == SQLITE_OK)
        {
          sqlite3_bind_text (stmt, 1, op->vals[0].s, -1, SQLITE_STATIC);
          if (sqlite3_step (stmt) != SQLITE_DONE)
            note_write_error (self, sqlite3_errmsg (self->db));
        }
      else
        note_write_error (self, sqlite3_errmsg (self->db));
      sqlite3_finalize (stmt);
    }
}

/* Runs a group of writes, or a job, as one unit inside the open transaction: when one of its
 * writes fails, the rows the others added are taken back, so that an answer is never stored
 * without its grades (a run resumed later would count it as done). A savepoint would do the
 * same for every unit, at the price of copying each page it touches (40 ms of CPU for 2,000
 * evaluation answers); this costs nothing until a write fails. */
static void
exec_unit (RwStore *self,
           Op      *op)
{
  guint before = rw_store_get_n_write_errors (self);
  g_autoptr(GPtrArray) done = NULL;

  if (op->kind == OP_CALL)
    {
      /* The job's writes are made as it queues them (see enqueue()) and kept here. */
      self->unit = g_ptr_array_new_with_free_func ((GDestroyNotify) op_free);
      op->func (self, op->data);
      done = g_steal_pointer (&self->unit);
    }
  else
    {
      done = g_ptr_array_new ();
      for (Op *o = op; o != NULL; o = o->next)
        if (exec_op (self, o))
          g_ptr_array_add (done, o);
    }
  if (rw_store_get_n_write_errors (self) != before)
    undo_inserts (self, done);
}

static void
exec_simple (RwStore    *self,
             const char *sql)
{
  char *msg = NULL;

  if (sqlite3_exec (self->db, sql, NULL, NULL, &msg) != SQLITE_OK)
    {
      note_write_error (self, msg ? msg : sqlite3_errmsg (self->db));
      sqlite3_free (msg);
    }
}

static void
finish_flush (RwStore *self,
              Flush   *flush)
{
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

static int
wal_committed (gpointer    data,
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

static gpointer
checkpointer_thread (gpointer data)
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

static gpointer
writer_thread (gpointer data)
{
  RwStore *self = data;
  gboolean quit = FALSE;
  gint64 last_commit_us = 0;

  while (!quit)
    {
      Op *op = g_async_queue_pop (self->queue);
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
                  exec_simple (self, "BEGIN IMMEDIATE");
                  in_tx = TRUE;
                }
              /* A job, or a group of writes, goes in as one unit; a lone write alone. */
              if (op->kind == OP_CALL || op->next != NULL)
                exec_unit (self, op);
              else
                exec_op (self, op);
              for (Op *o = op; o != NULL; o = o->next)
                n++;
            }
          op_free (op);
        }
      while (!quit && n < 2000 && (op = g_async_queue_try_pop (self->queue)) != NULL);

      if (in_tx)
        {
          exec_simple (self, "COMMIT");
          last_commit_us = g_get_monotonic_time ();
        }

      for (guint i = 0; i < flushes->len; i++)
        finish_flush (self, flushes->pdata[i]);
    }

  /* Anything queued after the quit request is dropped with a warning. */
  {
    Op *op;
    while ((op = g_async_queue_try_pop (self->queue)) != NULL)
      {
        if (op->kind == OP_FLUSH)
          finish_flush (self, op->flush);
        else if (op->kind == OP_EXEC || op->kind == OP_CALL)
          g_warning ("Routewise database %s: a write after close was dropped", self->path);
        op_free (op);
      }
  }
  return NULL;
}

static void
enqueue (RwStore *self,
         Op      *op)
{
  if (op->kind == OP_EXEC && g_thread_self () == self->writer)
    {
      /* From a job, inside the writer's transaction; also while the store closes, which waits
       * for the jobs queued before it. A write made is kept until the job ends, in case the
       * job's rows must be taken back. */
      if (exec_op (self, op) && self->unit != NULL)
        g_ptr_array_add (self->unit, op);
      else
        op_free (op);
      return;
    }
  if (self->closed)
    {
      g_warning ("Routewise database %s: write after close dropped", self->path);
      op_free (op);
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
  Op *op;

  g_return_if_fail (RW_IS_STORE (self));
  g_return_if_fail (func != NULL);

  op = g_new0 (Op, 1);
  op->kind = OP_CALL;
  op->func = func;
  op->data = data;
  op->destroy = destroy;
  enqueue (self, op);
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
  Op *head;

  g_return_if_fail (RW_IS_STORE (self));
  g_return_if_fail (g_atomic_pointer_get (&self->group_thread) == g_thread_self ());

  head = g_steal_pointer (&self->group_head);
  self->group_tail = NULL;
  g_atomic_pointer_set (&self->group_thread, NULL);
  if (head != NULL)
    g_async_queue_push (self->queue, head);
}

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

static gboolean
sql_exec (sqlite3     *db,
          const char  *sql,
          GError     **error)
{
  char *msg = NULL;

  if (sqlite3_exec (db, sql, NULL, NULL, &msg) != SQLITE_OK)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_STORE, "%s", msg ? msg : sqlite3_errmsg (db));
      sqlite3_free (msg);
      return FALSE;
    }
  return TRUE;
}

/* Switches the file to write-ahead logging. Where another program holds a lock on a file that
 * is not in WAL mode yet (both are creating it), SQLite answers "busy" at once rather than wait,
 * so this waits here, as long as the busy timeout would. */
static gboolean
set_wal (sqlite3  *db,
         GError  **error)
{
  gint64 deadline = g_get_monotonic_time () + BUSY_TIMEOUT_MS * 1000;
  guint pause_us = 200;
  int rc;

  while (((rc = sqlite3_exec (db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL)) & 0xff)
         == SQLITE_BUSY && g_get_monotonic_time () < deadline)
    {
      g_usleep (pause_us);
      pause_us = MIN (pause_us * 2, 20000);
    }
  if (rc != SQLITE_OK)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_STORE, "%s", sqlite3_errmsg (db));
      return FALSE;
    }
  return TRUE;
}

static int
get_user_version (sqlite3 *db)
{
  sqlite3_stmt *stmt = NULL;
  int version = -1;

  if (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    version = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);
  return version;
}

static sqlite3 *
open_db (const char  *path,
         int          target_version,
         int         *version_out,
         GError     **error)
{
  sqlite3 *db = NULL;
  int version;

  {
    g_autofree char *dir = g_path_get_dirname (path);
    if (g_mkdir_with_parents (dir, 0700) != 0)
      {
        g_set_error (error, RW_ERROR, RW_ERROR_STORE, "cannot create %s: %s",
                     dir, g_strerror (errno));
        return NULL;
      }
  }

  if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                       SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_STORE, "cannot open the database %s: %s",
                   path, db ? sqlite3_errmsg (db) : "out of memory");
      sqlite3_close (db);
      return NULL;
    }
  sqlite3_busy_timeout (db, BUSY_TIMEOUT_MS);
  sqlite3_extended_result_codes (db, 1);

  if (!sql_exec (db, "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;", error) ||
      !set_wal (db, error))
    goto fail;

  version = get_user_version (db);
  if (version < 0)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_STORE,
                   "%s is not a Routewise database (or is damaged): %s", path,
                   sqlite3_errmsg (db));
      goto fail;
    }
  if (version > RW_STORE_SCHEMA_VERSION)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_STORE,
                   "%s was written by a newer Routewise (schema %d; this version knows up to %d); "
                   "it was left untouched", path, version, RW_STORE_SCHEMA_VERSION);
      goto fail;
    }

  /* Forward migrations, in one transaction: a database is upgraded all the way or not at all.
   * The version is read again under the write lock, since another process may have upgraded
   * the file (or created it) since it was read above. */
  if (version < target_version)
    {
      g_autoptr(GError) local = NULL;
      g_autofree char *set = g_strdup_printf ("PRAGMA user_version = %d", target_version);
      int from;

      if (!sql_exec (db, "BEGIN IMMEDIATE", &local))
        {
          g_set_error (error, RW_ERROR, RW_ERROR_STORE, "cannot upgrade %s: %s", path,
                       local->message);
          goto fail;
        }
      from = version = get_user_version (db);
      if (from > RW_STORE_SCHEMA_VERSION)
        {
          sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
          g_set_error (error, RW_ERROR, RW_ERROR_STORE,
                       "%s was written by a newer Routewise (schema %d; this version knows up to "
                       "%d); it was left untouched", path, from, RW_STORE_SCHEMA_VERSION);
          goto fail;
        }
      for (int v = MAX (from, 0); v < target_version && local == NULL; v++)
        if (sql_exec (db, migrations[v], &local))
          version = v + 1;
      if (local == NULL && from < target_version)
        sql_exec (db, set, &local);
      if (local != NULL || !sql_exec (db, "COMMIT", &local))
        {
          sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
          g_set_error (error, RW_ERROR, RW_ERROR_STORE,
                       "cannot upgrade %s from schema %d to %d: %s", path, version, version + 1,
                       local->message);
          goto fail;
        }
    }

  if (version_out)
    *version_out = version;
  return db;

fail:
  sqlite3_close (db);
  return NULL;
}

gboolean
_rw_store_create_at_version (const char  *path,
                             int          version,
                             GError     **error)
{
  sqlite3 *db = open_db (path, version, NULL, error);

  if (db == NULL)
    return FALSE;
  sqlite3_close (db);
  return TRUE;
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

  db = open_db (path, RW_STORE_SCHEMA_VERSION, &version, error);
  if (db == NULL)
    return NULL;

  self = g_object_new (RW_TYPE_STORE, NULL);
  self->path = g_strdup (path);
  self->db = db;
  self->schema_version = version;
  self->queue = g_async_queue_new ();
  sqlite3_wal_hook (db, wal_committed, self);
  sqlite3_db_config (db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
  self->checkpointer = g_thread_new ("rw-store-ckpt", checkpointer_thread, self);
  self->writer = g_thread_new ("rw-store-writer", writer_thread, self);
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
      Op *op = g_new0 (Op, 1);
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
      sqlite3_close (g_steal_pointer (&self->db));
    }
  g_clear_pointer (&self->queue, g_async_queue_unref);
}

/* Waits until everything queued so far is committed. With @keep_error, a failed write is left
 * for the next rw_store_flush() to report. */
static gboolean
wait_for_writes (RwStore   *self,
                 gboolean   keep_error,
                 GError   **error)
{
  Flush flush = { 0 };
  Op *op;

  if (self->closed || self->writer == NULL)
    return TRUE;

  g_mutex_init (&flush.mutex);
  g_cond_init (&flush.cond);
  flush.keep_error = keep_error;
  op = g_new0 (Op, 1);
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

  return wait_for_writes (self, FALSE, error);
}

static void
flush_thread (GTask        *task,
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
  g_task_run_in_thread (task, flush_thread);
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

/**
 * rw_store_record_prompt:
 * @self: a #RwStore
 * @request: the request whose messages make the prompt
 *
 * Queues the prompt, once: the id is the hash of its messages. A task given with the request
 * is kept; a later record with a task fills in one that was missing.
 *
 * Returns: (transfer full): the prompt's id
 */
char *
rw_store_record_prompt (RwStore       *self,
                        RwChatRequest *request)
{
  char *id = rw_chat_request_hash_prompt (request);
  g_autofree char *messages = NULL;
  const char *text = rw_chat_request_get_last_user_text (request);
  const char *task = rw_chat_request_get_task (request);
  gpointer queued;
  Op *op;

  g_mutex_lock (&self->lock);
  queued = g_hash_table_lookup (self->prompts_queued, id);
  if (queued == PROMPT_QUEUED_WITH_TASK || (queued == PROMPT_QUEUED && task == NULL))
    {
      g_mutex_unlock (&self->lock);
      return id;
    }
  if (g_hash_table_size (self->prompts_queued) >= PROMPTS_QUEUED_MAX)
    g_hash_table_remove_all (self->prompts_queued);
  g_hash_table_replace (self->prompts_queued, g_strdup (id),
                        task ? PROMPT_QUEUED_WITH_TASK : PROMPT_QUEUED);
  g_mutex_unlock (&self->lock);

  messages = rw_chat_request_messages_to_string (request);
  op = op_new ("INSERT INTO prompts (id, messages, text, task, created_ms) "
                   "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (id) DO UPDATE SET "
                   "task = coalesce (prompts.task, excluded.task)");

  op_text (op, id);
  op_text (op, messages);
  op_text (op, text ? text : "");
  op_text (op, task);
  op_int (op, now_ms ());
  enqueue (self, op);
  return id;
}

/**
 * rw_store_record_model:
 * @self: a #RwStore
 * @model: a model
 *
 * Queues the model's catalog entry (its prices as they are now), so that stored costs can be
 * explained later.
 */
void
rw_store_record_model (RwStore *self,
                       RwModel *model)
{
  Op *op = op_new ("INSERT OR REPLACE INTO models "
                   "(id, provider, name, input_price, output_price, context_length, updated_ms) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");

  op_text (op, rw_model_get_id (model));
  op_text (op, rw_model_get_provider_id (model));
  op_text (op, rw_model_get_upstream_name (model));
  op_double_or_null (op, rw_model_get_input_price (model));
  op_double_or_null (op, rw_model_get_output_price (model));
  op_int_or_null (op, rw_model_get_context_length (model) > 0 ?
                      rw_model_get_context_length (model) : -1);
  op_int (op, now_ms ());
  enqueue (self, op);
}

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
  char *id = new_id ();
  g_autofree char *text = params ? rw_json_to_string (params, FALSE) : NULL;
  Op *op = op_new ("INSERT INTO runs (id, kind, params, status, created_ms) "
                   "VALUES (?1, ?2, ?3, 'running', ?4)");

  op_text (op, id);
  op_text (op, kind);
  op_text (op, text);
  op_int (op, now_ms ());
  enqueue (self, op);
  return id;
}

void
rw_store_finish_run (RwStore    *self,
                     const char *run_id,
                     const char *status)
{
  Op *op = op_new ("UPDATE runs SET status = ?2, finished_ms = ?3 WHERE id = ?1");

  op_text (op, run_id);
  op_text (op, status);
  op_int (op, now_ms ());
  enqueue (self, op);
}

/**
 * rw_store_record_response:
 * @self: a #RwStore
 * @run_id: the run
 * @prompt_id: the prompt
 * @result: the answer, or its failure
 * @attempt: which attempt this was, from 1
 * @request_hash: (nullable): the request's cache key
 *
 * Returns: (transfer full): the response's id
 */
char *
rw_store_record_response (RwStore      *self,
                          const char   *run_id,
                          const char   *prompt_id,
                          RwChatResult *result,
                          guint         attempt,
                          const char   *request_hash)
{
  return rw_store_record_eval_response (self, run_id, prompt_id, result, attempt, request_hash,
                                        NULL, 0, NULL, FALSE);
}

/**
 * rw_store_record_eval_response:
 * @self: a #RwStore
 * @run_id: the run
 * @prompt_id: the prompt
 * @result: the answer, or its failure
 * @attempt: which attempt this was, from 1
 * @request_hash: (nullable): the request's cache key
 * @item_id: (nullable): the suite item it answers
 * @sample: which repetition it is, from 0
 * @task: (nullable): the suite item's task, which the report files the answer under
 * @cached: it was reused from an earlier answer, not asked again
 *
 * Returns: (transfer full): the response's id
 */
char *
rw_store_record_eval_response (RwStore      *self,
                               const char   *run_id,
                               const char   *prompt_id,
                               RwChatResult *result,
                               guint         attempt,
                               const char   *request_hash,
                               const char   *item_id,
                               guint         sample,
                               const char   *task,
                               gboolean      cached)
{
  char *id = new_id ();
  Op *op = op_new ("INSERT INTO responses (id, run_id, prompt_id, model, attempt, status, text, "
                   "finish_reason, tokens_in, tokens_out, cost_usd, ttft_ms, latency_ms, "
                   "http_status, error_kind, error_message, request_hash, created_ms, "
                   "usage_estimated, item_id, sample, cached, task) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, "
                   "?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23)");

  op_text (op, id);
  op_text (op, run_id);
  op_text (op, prompt_id);
  op_text (op, result->model_id);
  op_int (op, MAX (1, attempt));
  op_text (op, result->error ? "error" : "ok");
  op_text (op, result->text->str);
  op_text (op, result->finish_reason);
  op_int_or_null (op, result->tokens_in);
  op_int_or_null (op, result->tokens_out);
  op_double_or_null (op, result->cost_usd);
  op_double_or_null (op, result->ttft_ms);
  op_double_or_null (op, result->latency_ms);
  op_int_or_null (op, result->http_status ? (gint64) result->http_status : -1);
  op_text (op, result->error ? rw_error_get_kind (result->error) : NULL);
  op_text (op, result->error ? result->error->message : NULL);
  op_text (op, request_hash);
  op_int (op, now_ms ());
  op_int (op, result->usage_estimated ? 1 : 0);
  op_text (op, item_id);
  op_int (op, sample);
  op_int (op, cached ? 1 : 0);
  op_text (op, task);
  enqueue (self, op);
  return id;
}

/**
 * rw_store_record_grade:
 * @self: a #RwStore
 * @response_id: the graded answer
 * @grader: the grader's name
 * @score: from 0 to 1
 * @pass: whether it passed
 * @detail: (nullable): why
 * @source: "grader", "judge" or "human"
 */
void
rw_store_record_grade (RwStore    *self,
                       const char *response_id,
                       const char *grader,
                       double      score,
                       gboolean    pass,
                       const char *detail,
                       const char *source)
{
  g_autofree char *id = new_id ();
  Op *op = op_new ("INSERT INTO grades (id, response_id, grader, score, pass, detail, source, "
                   "created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");

  op_text (op, id);
  op_text (op, response_id);
  op_text (op, grader);
  op_double_or_null (op, score);
  op_int (op, pass ? 1 : 0);
  op_text (op, detail);
  op_text (op, source ? source : "grader");
  op_int (op, now_ms ());
  enqueue (self, op);
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
  Op *op = op_new ("UPDATE runs SET status = ?2, finished_ms = CASE WHEN ?2 = 'running' THEN NULL "
                   "ELSE ?3 END WHERE id = ?1");

  op_text (op, run_id);
  op_text (op, status);
  op_int (op, now_ms ());
  enqueue (self, op);
}

/* ------------------------------------------------------------------------------------ reads */

typedef struct
{
  sqlite3 *db;
  sqlite3_stmt *stmt;
  gboolean shared;      /* the store's reader, held under reader_lock */
} ReadStmt;

#define MAX_READER_STMTS 64

static sqlite3 *
open_reader (RwStore  *self,
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
static gboolean
read_stmt_take (RwStore     *self,
                const char  *sql,
                ReadStmt    *r,
                GError     **error)
{
  r->shared = g_mutex_trylock (&self->reader_lock);
  if (r->shared && self->reader == NULL && !self->closed &&
      (self->reader = open_reader (self, error)) == NULL)
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

  if ((r->db = open_reader (self, error)) == NULL)
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
static void
read_stmt_give (RwStore  *self,
                ReadStmt *r)
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

/* One row of rw_store_query(), copied as text. */
static gboolean
copy_row (RwStoreRow *row,
          gpointer    data)
{
  sqlite3_stmt *stmt = (sqlite3_stmt *) row;
  int n = sqlite3_column_count (stmt);
  char **copy = g_new0 (char *, n + 1);

  for (int c = 0; c < n; c++)
    {
      const char *text = rw_store_row_text (row, c);
      copy[c] = g_strdup (text ? text : "");
    }
  g_ptr_array_add (data, copy);
  return TRUE;
}

/**
 * rw_store_query:
 * @self: a #RwStore
 * @sql: a read-only statement with ?1, ?2, ... parameters
 * @params: (nullable) (array zero-terminated=1): the parameters, as text
 * @error: return location for an error
 *
 * Runs a query after what was queued so far is committed (see rw_store_query_each()).
 *
 * Returns: (transfer full) (element-type GStrv) (nullable): the rows, each a vector of the
 *   columns as text (a NULL column is an empty string), or %NULL on error
 */
GPtrArray *
rw_store_query (RwStore             *self,
                const char          *sql,
                const char * const  *params,
                GError             **error)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);

  g_return_val_if_fail (RW_IS_STORE (self), NULL);

  if (!rw_store_query_each (self, sql, params, copy_row, rows, error))
    return NULL;
  return g_steal_pointer (&rows);
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

  rows = rw_store_query (self, "SELECT id FROM runs WHERE kind = ?1 ORDER BY created_ms DESC "
                               "LIMIT 1", params, error);
  if (rows == NULL || rows->len == 0)
    return NULL;
  return g_strdup (((char **) rows->pdata[0])[0]);
}

/**
 * rw_store_has_response:
 *
 * Returns: whether an answer of id @response_id is stored; %FALSE with @error set when the
 *   query failed
 */
gboolean
rw_store_has_response (RwStore     *self,
                       const char  *response_id,
                       GError     **error)
{
  const char *params[] = { response_id, NULL };
  g_autoptr(GPtrArray) rows = NULL;

  g_return_val_if_fail (RW_IS_STORE (self), FALSE);

  rows = rw_store_query (self, "SELECT id FROM responses WHERE id = ?1", params, error);
  return rows != NULL && rows->len > 0;
}

/**
 * rw_store_record_compare:
 * @self: a #RwStore
 * @request: the request every model was sent
 * @models: (element-type RwModel): the models, in the order shown
 * @results: (element-type RwChatResult): their results, in the same order
 * @source: what ran the comparison ("cli", "app", ...)
 * @cancelled: whether the user stopped it
 * @prompt_id: (out) (optional): the prompt's id
 * @response_ids: (out) (optional) (array zero-terminated=1): the answers' ids, in order
 *
 * Queues a whole side-by-side comparison: the prompt, a "compare" run with the models, each
 * model's catalog entry and each answer with its metrics or its error. The run is "done" when a
 * model answered, "failed" when none did, "cancelled" when stopped.
 *
 * Returns: (transfer full): the run's id
 */
char *
rw_store_record_compare (RwStore        *self,
                         RwChatRequest  *request,
                         GPtrArray      *models,
                         GPtrArray      *results,
                         const char     *source,
                         gboolean        cancelled,
                         char          **prompt_id,
                         GStrv          *response_ids)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) params = NULL;
  g_autoptr(GStrvBuilder) ids = g_strv_builder_new ();
  g_autofree char *pid = NULL;
  char *run_id;
  guint n_ok = 0;

  g_return_val_if_fail (RW_IS_STORE (self), NULL);
  g_return_val_if_fail (models->len == results->len, NULL);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "models");
  json_builder_begin_array (b);
  for (guint i = 0; i < models->len; i++)
    json_builder_add_string_value (b, rw_model_get_id (models->pdata[i]));
  json_builder_end_array (b);
  json_builder_set_member_name (b, "stream");
  json_builder_add_boolean_value (b, request->stream);
  json_builder_set_member_name (b, "source");
  json_builder_add_string_value (b, source);
  json_builder_end_object (b);
  params = json_builder_get_root (b);

  pid = rw_store_record_prompt (self, request);
  run_id = rw_store_begin_run (self, "compare", params);
  for (guint i = 0; i < results->len; i++)
    {
      RwModel *model = models->pdata[i];
      RwChatResult *result = results->pdata[i];
      g_autofree char *hash = rw_chat_request_hash_for_model (request, rw_model_get_id (model));
      g_autofree char *rid = NULL;

      rw_store_record_model (self, model);
      rid = rw_store_record_response (self, run_id, pid, result, 1, hash);
      g_strv_builder_add (ids, rid);
      if (rw_chat_result_is_ok (result))
        n_ok++;
    }
  rw_store_finish_run (self, run_id, cancelled ? "cancelled" : n_ok > 0 ? "done" : "failed");

  if (prompt_id != NULL)
    *prompt_id = g_steal_pointer (&pid);
  if (response_ids != NULL)
    *response_ids = g_strv_builder_end (ids);
  return run_id;
}

/**
 * rw_store_query_each:
 * @self: a #RwStore
 * @sql: one SELECT statement, with ?1, ?2… for @params
 * @params: (nullable) (array zero-terminated=1): text values for the parameters
 * @func: called with each row in turn; it returns %FALSE to stop early
 * @data: for @func
 * @error: return location for an error
 *
 * Runs a query after everything queued so far is committed, like rw_store_query(), and hands
 * @func each row as it is read, with its values in their own types: no row is copied and no
 * number goes through text.
 *
 * Returns: %FALSE when the query could not run
 */
gboolean
rw_store_query_each (RwStore             *self,
                     const char          *sql,
                     const char * const  *params,
                     RwStoreRowFunc       func,
                     gpointer             data,
                     GError             **error)
{
  ReadStmt r;
  int rc;

  g_return_val_if_fail (RW_IS_STORE (self), FALSE);
  g_return_val_if_fail (func != NULL, FALSE);

  /* A query sees this thread's writes, queued before it; a write that failed is not its
   * failure, and stays for the next flush to report. */
  g_return_val_if_fail (g_thread_self () != self->writer, FALSE);
  if (!wait_for_writes (self, TRUE, error) || !read_stmt_take (self, sql, &r, error))
    return FALSE;
  for (guint i = 0; params != NULL && params[i] != NULL; i++)
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
  read_stmt_give (self, &r);
  return rc == SQLITE_DONE;
}

gboolean
rw_store_row_is_null (RwStoreRow *row,
                      int         column)
{
  return sqlite3_column_type ((sqlite3_stmt *) row, column) == SQLITE_NULL;
}

/* Returns: (nullable): the value as text, %NULL for NULL */
const char *
rw_store_row_text (RwStoreRow *row,
                   int         column)
{
  return (const char *) sqlite3_column_text ((sqlite3_stmt *) row, column);
}

/* Returns: the value as a number, NAN for NULL */
double
rw_store_row_double (RwStoreRow *row,
                     int         column)
{
  if (rw_store_row_is_null (row, column))
    return NAN;
  return sqlite3_column_double ((sqlite3_stmt *) row, column);
}

/* Returns: the value as an integer, 0 for NULL */
gint64
rw_store_row_int (RwStoreRow *row,
                  int         column)
{
  return sqlite3_column_int64 ((sqlite3_stmt *) row, column);
}

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
  ReadStmt r;
  double total = -1;

  g_return_val_if_fail (RW_IS_STORE (self), -1);

  if (!read_stmt_take (self, "SELECT coalesce (sum (cost_usd), 0) FROM responses "
                             "WHERE created_ms >= ?1", &r, error))
    return -1;
  sqlite3_bind_int64 (r.stmt, 1, since_ms);
  if (sqlite3_step (r.stmt) == SQLITE_ROW)
    total = sqlite3_column_double (r.stmt, 0);
  else
    g_set_error (error, RW_ERROR, RW_ERROR_STORE, "cannot read %s: %s", self->path,
                 sqlite3_errmsg (r.db));
  read_stmt_give (self, &r);
  return total;
}

const char *
rw_vote_outcome_to_string (RwVoteOutcome outcome)
{
  switch (outcome)
    {
    case RW_VOTE_A: return "a";
    case RW_VOTE_B: return "b";
    case RW_VOTE_TIE: return "tie";
    case RW_VOTE_BOTH_BAD: return "both_bad";
    case RW_VOTE_BEST: return "best";
    default: g_return_val_if_reached ("tie");
    }
}

/**
 * rw_store_record_vote:
 * @self: a #RwStore
 * @prompt_id: the prompt
 * @run_id: (nullable): the run the answers came from
 * @task: (nullable): the prompt's task
 * @outcome: the outcome
 * @response_ids: (array zero-terminated=1): the answers compared, in the order shown: two for
 *   a pairwise vote, all of them for %RW_VOTE_BEST
 * @winner_id: (nullable): the best answer, for %RW_VOTE_BEST
 * @source: "human", "judge", "grader" or "import"
 *
 * Returns: (transfer full) (nullable): the vote's id, or %NULL when the arguments do not make
 *   a vote
 */
char *
rw_store_record_vote (RwStore            *self,
                      const char         *prompt_id,
                      const char         *run_id,
                      const char         *task,
                      RwVoteOutcome       outcome,
                      const char * const *response_ids,
                      const char         *winner_id,
                      const char         *source)
{
  guint n = response_ids ? g_strv_length ((char **) response_ids) : 0;
  g_autoptr(GString) candidates = NULL;
  char *id;
  Op *op;

  g_return_val_if_fail (RW_IS_STORE (self), NULL);
  g_return_val_if_fail (prompt_id != NULL, NULL);

  if (outcome == RW_VOTE_BEST ? (n < 2 || winner_id == NULL ||
                                 !g_strv_contains (response_ids, winner_id))
                              : n != 2)
    return NULL;

  /* A JSON array of the ids, written directly: an evaluation records thousands of these. */
  candidates = g_string_sized_new (2 + n * 40);
  g_string_append_c (candidates, '[');
  for (guint i = 0; i < n; i++)
    {
      if (i > 0)
        g_string_append_c (candidates, ',');
      rw_json_append_string (candidates, response_ids[i]);
    }
  g_string_append_c (candidates, ']');

  id = new_id ();
  op = op_new ("INSERT INTO votes (id, prompt_id, run_id, task, outcome, response_a, response_b, "
               "winner, source, created_ms, candidates) "
               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)");
  op_text (op, id);
  op_text (op, prompt_id);
  op_text (op, run_id);
  op_text (op, task);
  op_text (op, rw_vote_outcome_to_string (outcome));
  op_text (op, n == 2 ? response_ids[0] : NULL);
  op_text (op, n == 2 ? response_ids[1] : NULL);
  op_text (op, outcome == RW_VOTE_BEST ? winner_id :
               outcome == RW_VOTE_A ? response_ids[0] :
               outcome == RW_VOTE_B ? response_ids[1] : NULL);
  op_text (op, source ? source : "human");
  op_int (op, now_ms ());
  op_text (op, candidates->str);
  enqueue (self, op);
  return id;
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
