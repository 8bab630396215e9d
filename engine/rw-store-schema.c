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

/* The schema of the database, its migrations, and opening a connection to it. */

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

  /* 9: the history of comparisons, searched in full text: the prompt and every answer of each
   * comparison, which rw_store_record_compare() indexes as it stores them (earlier comparisons
   * are indexed here), and a comparison deleted as one statement with everything that hangs
   * from it. */
  "CREATE VIRTUAL TABLE history_search USING fts5 ("
  "  run_id UNINDEXED, text, tokenize = 'unicode61 remove_diacritics 2');"
  "INSERT INTO history_search (run_id, text)"
  "  SELECT r.run_id, p.text FROM responses r JOIN runs u ON u.id = r.run_id"
  "  JOIN prompts p ON p.id = r.prompt_id"
  "  WHERE u.kind = 'compare' GROUP BY r.run_id;"
  "INSERT INTO history_search (run_id, text)"
  "  SELECT r.run_id, r.text FROM responses r JOIN runs u ON u.id = r.run_id"
  "  WHERE u.kind = 'compare' AND r.text != '';"
  "CREATE TRIGGER history_forget BEFORE DELETE ON runs WHEN OLD.kind = 'compare' BEGIN"
  "    DELETE FROM grades WHERE response_id IN (SELECT id FROM responses WHERE run_id = OLD.id);"
  "    DELETE FROM votes WHERE run_id = OLD.id"
  "      OR response_a IN (SELECT id FROM responses WHERE run_id = OLD.id)"
  "      OR response_b IN (SELECT id FROM responses WHERE run_id = OLD.id);"
  "    DELETE FROM responses WHERE run_id = OLD.id;"
  "    DELETE FROM history_search WHERE run_id = OLD.id;"
  "  END;",

  /* 10: an answer's tool calls, as OpenAI's message.tool_calls writes them: a tool-calling
   * answer has no text, and its calls are what is graded and reused. */
  "ALTER TABLE responses ADD COLUMN tool_calls TEXT;",

  /* 11: a run is claimed by one process at a time (the holder: pid, machine and claim, with a
   * heartbeat), and an item's answer by one model in one repetition is stored once. Two
   * processes that resumed the same run used to store the same answers twice: of each such
   * set the first is kept, and the others become errors that say why, so nothing is lost. */
  "ALTER TABLE runs ADD COLUMN holder TEXT;"
  "ALTER TABLE runs ADD COLUMN heartbeat_ms INTEGER;"
  "UPDATE responses SET status = 'error', error_kind = 'duplicate',"
  "  error_message = 'stored again by a second process that resumed the run; the first answer is kept'"
  "  WHERE status = 'ok' AND item_id IS NOT NULL AND rowid NOT IN ("
  "    SELECT min(rowid) FROM responses WHERE status = 'ok' AND item_id IS NOT NULL"
  "    GROUP BY run_id, item_id, model, sample);"
  "CREATE UNIQUE INDEX responses_answered ON responses (run_id, item_id, model, sample)"
  "  WHERE status = 'ok' AND item_id IS NOT NULL;",

  /* 12: how much a grade counts in its answer's score, and the named metric it also counts
   * towards (promptfoo's weight and metric): an answer's score is the weighted mean. */
  "ALTER TABLE grades ADD COLUMN weight REAL NOT NULL DEFAULT 1;"
  "ALTER TABLE grades ADD COLUMN metric TEXT;",
};

G_STATIC_ASSERT (G_N_ELEMENTS (migrations) == RW_STORE_SCHEMA_VERSION);

static gboolean
store_sql_exec (sqlite3     *db,
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
store_set_wal (sqlite3  *db,
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
store_get_user_version (sqlite3 *db)
{
  sqlite3_stmt *stmt = NULL;
  int version = -1;

  if (sqlite3_prepare_v2 (db, "PRAGMA user_version", -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    version = sqlite3_column_int (stmt, 0);
  sqlite3_finalize (stmt);
  return version;
}

sqlite3 *
_rw_store_open_db (const char  *path,
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

  /* The log is folded into the database at 16 MiB (see rw-store-writer.c), and its file is
   * cut back to that size afterwards instead of keeping its largest size for ever. */
  if (!store_sql_exec (db, "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                           "PRAGMA journal_size_limit=16777216;", error) ||
      !store_set_wal (db, error))
    {
      /* The first statement is where a file that is not a database says so. */
      g_prefix_error (error, "cannot open the database %s: ", path);
      goto fail;
    }

  version = store_get_user_version (db);
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

      if (!store_sql_exec (db, "BEGIN IMMEDIATE", &local))
        {
          g_set_error (error, RW_ERROR, RW_ERROR_STORE, "cannot upgrade %s: %s", path,
                       local->message);
          goto fail;
        }
      from = version = store_get_user_version (db);
      if (from > RW_STORE_SCHEMA_VERSION)
        {
          sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
          g_set_error (error, RW_ERROR, RW_ERROR_STORE,
                       "%s was written by a newer Routewise (schema %d; this version knows up to "
                       "%d); it was left untouched", path, from, RW_STORE_SCHEMA_VERSION);
          goto fail;
        }
      for (int v = MAX (from, 0); v < target_version && local == NULL; v++)
        if (store_sql_exec (db, migrations[v], &local))
          version = v + 1;
      if (local == NULL && from < target_version)
        store_sql_exec (db, set, &local);
      if (local != NULL || !store_sql_exec (db, "COMMIT", &local))
        {
          sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
          g_set_error (error, RW_ERROR, RW_ERROR_STORE,
                       "cannot upgrade %s from schema %d to %d: %s", path, version, version + 1,
                       local->message);
          goto fail;
        }
      /* The upgrade's queries (a migration reads tables to fill new ones) would make the
       * PRAGMA optimize the store runs on this connection when it closes analyze the tables
       * as they are now, often nearly empty, and the planner would go on believing it long
       * after they have grown. The store writes through a connection of its own. */
      sqlite3_close (db);
      return _rw_store_open_db (path, target_version, version_out, error);
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
  sqlite3 *db = _rw_store_open_db (path, version, NULL, error);

  if (db == NULL)
    return FALSE;
  sqlite3_close (db);
  return TRUE;
}
