/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <sqlite3.h>
#include <glib/gstdio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <routewise-engine.h>

#include "rw-store-private.h"
#include "rw-test-fixtures.h"
#include "rw-test-util.h"

static RwChatResult *
make_result (const char *model,
             const char *text,
             gboolean    failed)
{
  RwChatResult *r = rw_chat_result_new (model);

  g_string_assign (r->text, text);
  r->tokens_in = 10;
  r->tokens_out = 20;
  r->cost_usd = 0.0005;
  r->ttft_ms = 120;
  r->latency_ms = 900;
  r->http_status = failed ? 503 : 200;
  if (failed)
    r->error = g_error_new (RW_ERROR, RW_ERROR_OVERLOADED, "HTTP 503: overloaded");
  else
    r->finish_reason = g_strdup ("stop");
  return r;
}

static void
test_fresh (void)
{
  g_autoptr(RwTestStore) tmp = rw_test_store_new_unopened ();
  const char *dir = tmp->dir;
  g_autofree char *path = g_build_filename (dir, "sub", "routewise.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(RwStore) store = rw_store_open (path, &error);
  g_autofree char *mode = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (rw_store_get_schema_version (store), ==, RW_STORE_SCHEMA_VERSION);
  rw_store_close (store);
  g_assert_cmpint (rw_test_db_int (path, "PRAGMA user_version"), ==, RW_STORE_SCHEMA_VERSION);
  mode = rw_test_db_text (path, "PRAGMA journal_mode");
  g_assert_cmpstr (mode, ==, "wal");
}

static void
test_record_compare (void)
{
  g_autoptr(RwTestStore) db = rw_test_store_new ();
  RwStore *store = db->store;
  const char *path = db->path;
  g_autoptr(GError) error = NULL;
  g_autoptr(RwChatRequest) request = rw_chat_request_new_for_prompt ("What is 2+2?");
  g_autoptr(RwChatResult) a = make_result ("m/a", "4", FALSE);
  g_autoptr(RwChatResult) b = make_result ("m/b", "", TRUE);
  g_autofree char *prompt_id = NULL, *run_id = NULL, *ra = NULL, *rb = NULL;
  g_autofree char *vote = NULL, *best = NULL, *bad_vote = NULL;
  g_autofree char *kind = NULL, *task = NULL;
  const char *pair[] = { NULL, NULL, NULL };

  rw_chat_request_set_task (request, "math");
  prompt_id = rw_store_record_prompt (store, request);
  run_id = rw_store_begin_run (store, "compare", NULL);
  ra = rw_store_record_answer (store, &(RwAnswerRecord) {
         .run_id = run_id,
         .prompt_id = prompt_id,
         .result = a,
         .attempt = 1,
         .request_hash = "hash-a",
       });
  rb = rw_store_record_answer (store, &(RwAnswerRecord) {
         .run_id = run_id,
         .prompt_id = prompt_id,
         .result = b,
         .attempt = 1,
         .request_hash = "hash-b",
       });
  rw_store_finish_run (store, run_id, "done");
  pair[0] = ra;
  pair[1] = rb;
  vote = rw_store_record_vote (store, prompt_id, run_id, "math", RW_VOTE_A, pair, NULL, "human");
  best = rw_store_record_vote (store, prompt_id, run_id, "math", RW_VOTE_BEST, pair, rb, "human");
  /* A pairwise vote needs exactly two answers. */
  pair[1] = NULL;
  bad_vote = rw_store_record_vote (store, prompt_id, run_id, "math", RW_VOTE_TIE, pair, NULL, NULL);
  g_assert_null (bad_vote);
  g_assert_nonnull (vote);
  g_assert_nonnull (best);

  /* The same prompt again is one row; a task given later does not overwrite the first. */
  rw_chat_request_set_task (request, "other");
  g_free (rw_store_record_prompt (store, request));

  g_assert_true (rw_store_flush (store, &error));
  g_assert_no_error (error);

  g_assert_cmpint (rw_test_db_int (path, "SELECT count(*) FROM prompts"), ==, 1);
  task = rw_test_db_text (path, "SELECT task FROM prompts");
  g_assert_cmpstr (task, ==, "math");
  g_assert_cmpint (rw_test_db_int (path, "SELECT count(*) FROM responses"), ==, 2);
  g_assert_cmpint (rw_test_db_int (path, "SELECT count(*) FROM responses WHERE status = 'ok' "
                                    "AND tokens_out = 20 AND ttft_ms = 120 AND latency_ms = 900"),
                   ==, 1);
  kind = rw_test_db_text (path, "SELECT error_kind FROM responses WHERE status = 'error'");
  g_assert_cmpstr (kind, ==, "overloaded");
  g_assert_cmpint (rw_test_db_int (path, "SELECT count(*) FROM runs WHERE status = 'done' "
                                    "AND finished_ms IS NOT NULL"), ==, 1);
  g_assert_cmpint (rw_test_db_int (path, "SELECT count(*) FROM votes WHERE outcome = 'a' "
                                    "AND winner = response_a AND task = 'math'"), ==, 1);
  g_assert_cmpint (rw_test_db_int (path, "SELECT count(*) FROM votes WHERE outcome = 'best' "
                                    "AND json_array_length (candidates) = 2"), ==, 1);
}

/* A prompt asked again is written once, and a task that comes with a later ask still lands. */
static void
test_prompt_again (void)
{
  g_autoptr(RwTestStore) db = rw_test_store_new ();
  RwStore *store = db->store;
  const char *path = db->path;
  g_autoptr(GError) error = NULL;
  g_autoptr(RwChatRequest) request = rw_chat_request_new_for_prompt ("Sort this list");
  g_autoptr(RwChatRequest) other = rw_chat_request_new_for_prompt ("Sort this list, please");
  g_autofree char *task = NULL;

  for (int i = 0; i < 3; i++)
    g_free (rw_store_record_prompt (store, request));
  rw_chat_request_set_task (request, "code");
  g_free (rw_store_record_prompt (store, request));
  rw_chat_request_set_task (request, NULL);
  g_free (rw_store_record_prompt (store, request));
  g_free (rw_store_record_prompt (store, other));
  g_assert_true (rw_store_flush (store, &error));
  g_assert_no_error (error);

  g_assert_cmpint (rw_test_db_int (path, "SELECT count(*) FROM prompts"), ==, 2);
  task = rw_test_db_text (path, "SELECT task FROM prompts WHERE text = 'Sort this list'");
  g_assert_cmpstr (task, ==, "code");
}

/* The writes of a group are held until its end and then committed together. */
static void
test_group (void)
{
  g_autoptr(RwTestStore) db = rw_test_store_new ();
  RwStore *store = db->store;
  const char *path = db->path;
  g_autoptr(GError) error = NULL;
  g_autoptr(RwChatRequest) request = rw_chat_request_new_for_prompt ("What is 2+2?");
  g_autoptr(RwChatResult) a = make_result ("m/a", "4", FALSE);
  g_autofree char *prompt_id = NULL, *run_id = NULL, *response_id = NULL;

  run_id = rw_store_begin_run (store, "eval", NULL);
  rw_store_begin_group (store);
  prompt_id = rw_store_record_prompt (store, request);
  response_id = rw_store_record_answer (store, &(RwAnswerRecord) {
                  .run_id = run_id,
                  .prompt_id = prompt_id,
                  .result = a,
                  .attempt = 1,
                  .request_hash = "hash-a",
                });
  rw_store_record_grade (store, response_id, "exact", 1, TRUE, "", "grader");
  g_assert_true (rw_store_flush (store, &error));
  g_assert_no_error (error);
  g_assert_cmpint (rw_test_db_int (path, "SELECT count(*) FROM runs"), ==, 1);
  g_assert_cmpint (rw_test_db_int (path, "SELECT count(*) FROM responses"), ==, 0);
  g_assert_cmpint (rw_test_db_int (path, "SELECT count(*) FROM grades"), ==, 0);

  rw_store_end_group (store);
  g_assert_true (rw_store_flush (store, &error));
  g_assert_no_error (error);
  g_assert_cmpint (rw_test_db_int (path, "SELECT count(*) FROM prompts"), ==, 1);
  g_assert_cmpint (rw_test_db_int (path, "SELECT count(*) FROM responses"), ==, 1);
  g_assert_cmpint (rw_test_db_int (path, "SELECT count(*) FROM grades WHERE pass = 1"), ==, 1);
}

typedef struct
{
  char *run_id;
  char *prompt_id;
  guint n;
  GThread **ran_on;
  guint *ran;
} Job;

static void
job_free (Job *j)
{
  g_free (j->run_id);
  g_free (j->prompt_id);
  g_free (j);
}

/* An answer and its grade, written from the store's own thread. */
static void
job_answer (RwStore  *store,
            gpointer  data)
{
  Job *j = data;
  g_autofree char *text = g_strdup_printf ("%u", j->n);
  g_autoptr(RwChatResult) result = make_result ("m/a", text, FALSE);
  g_autofree char *id = rw_store_record_answer (store, &(RwAnswerRecord) {
                          .run_id = j->run_id,
                          .prompt_id = j->prompt_id,
                          .result = result,
                          .attempt = 1,
                        });

  rw_store_record_grade (store, id, "exact", 1, TRUE, text, "grader");
  *j->ran_on = g_thread_self ();
  (*j->ran)++;
}

/* Jobs run on the store's thread, in order with the writes around them: the prompt and run
 * queued before a job are there for its answer. A store closed with jobs still queued runs
 * them and keeps what they write. */
static void
test_jobs (void)
{
  g_autoptr(RwTestStore) db = rw_test_store_new ();
  RwStore *store = db->store;
  const char *path = db->path;
  g_autoptr(GError) error = NULL;
  g_autoptr(RwChatRequest) request = rw_chat_request_new_for_prompt ("What is 2+2?");
  g_autofree char *run_id = rw_store_begin_run (store, "eval", NULL);
  g_autofree char *prompt_id = rw_store_record_prompt (store, request);
  GThread *ran_on = NULL;
  guint ran = 0;

  for (guint i = 0; i < 500; i++)
    {
      Job *j = g_new0 (Job, 1);

      j->run_id = g_strdup (run_id);
      j->prompt_id = g_strdup (prompt_id);
      j->n = i;
      j->ran = &ran;
      j->ran_on = &ran_on;
      rw_store_run_job (store, job_answer, j, (GDestroyNotify) job_free);
      if (i == 0)
        {
          g_assert_true (rw_store_flush (store, &error));
          g_assert_no_error (error);
          g_assert_cmpuint (ran, ==, 1);
          g_assert_cmpint (rw_test_db_int (path, "SELECT count(*) FROM grades g JOIN responses r "
                                            "ON r.id = g.response_id WHERE r.text = '0'"), ==, 1);
          g_assert_nonnull (ran_on);
          g_assert_true (ran_on != g_thread_self ());
        }
    }
  rw_store_close (store);
  g_assert_cmpuint (ran, ==, 500);
  g_assert_cmpint (rw_test_db_int (path, "SELECT count(*) FROM responses"), ==, 500);
  g_assert_cmpint (rw_test_db_int (path, "SELECT count(*) FROM grades g JOIN responses r "
                                    "ON r.id = g.response_id AND g.detail = r.text"), ==, 500);
}

/* A group whose write fails is undone whole: its other rows are not stored either. */
static void
test_group_undone (void)
{
  g_autoptr(RwTestStore) db = rw_test_store_new ();
  RwStore *store = db->store;
  const char *path = db->path;
  g_autoptr(GError) error = NULL;
  g_autoptr(RwChatRequest) request = rw_chat_request_new_for_prompt ("What is 2+2?");
  g_autoptr(RwChatResult) a = make_result ("m/a", "4", FALSE);
  g_autofree char *prompt_id = rw_store_record_prompt (store, request);
  g_autofree char *run_id = rw_store_begin_run (store, "eval", NULL);
  g_autofree char *first = NULL, *second = NULL;

  g_assert_true (rw_store_flush (store, &error));
  rw_store_begin_group (store);
  first = rw_store_record_answer (store, &(RwAnswerRecord) {
            .run_id = run_id,
            .prompt_id = prompt_id,
            .result = a,
            .attempt = 1,
            .request_hash = "hash-a",
          });
  rw_store_record_grade (store, first, "exact", 1, TRUE, "", "grader");
  rw_store_record_grade (store, "no-such-answer", "exact", 1, TRUE, "", "grader");
  rw_store_end_group (store);
  rw_store_begin_group (store);
  second = rw_store_record_answer (store, &(RwAnswerRecord) {
             .run_id = run_id,
             .prompt_id = prompt_id,
             .result = a,
             .attempt = 1,
             .request_hash = "hash-b",
           });
  rw_store_record_grade (store, second, "exact", 1, TRUE, "", "grader");
  rw_store_end_group (store);
  g_assert_false (rw_store_flush (store, &error));
  g_assert_error (error, RW_ERROR, RW_ERROR_STORE);
  rw_store_close (store);
  g_assert_cmpint (rw_test_db_int (path, "SELECT count(*) FROM responses"), ==, 1);
  g_assert_cmpint (rw_test_db_int (path, "SELECT count(*) FROM responses WHERE request_hash = 'hash-b'"), ==, 1);
  g_assert_cmpint (rw_test_db_int (path, "SELECT count(*) FROM grades"), ==, 1);
}

/* A write that breaks a constraint is reported by the next flush and loses nothing else, even
 * with a query in between. */
static void
test_bad_write_isolated (void)
{
  g_autoptr(RwTestStore) db = rw_test_store_new ();
  RwStore *store = db->store;
  const char *path = db->path;
  g_autoptr(GError) error = NULL;
  g_autoptr(RwChatRequest) request = rw_chat_request_new_for_prompt ("p");
  g_autoptr(RwChatResult) a = make_result ("m/a", "x", FALSE);
  g_autofree char *prompt_id = rw_store_record_prompt (store, request);
  g_autofree char *run_id = rw_store_begin_run (store, "compare", NULL);
  g_autofree char *bad = rw_store_record_answer (store, &(RwAnswerRecord) {
                           .run_id = "no-such-run",
                           .prompt_id = prompt_id,
                           .result = a,
                           .attempt = 1,
                         });
  g_autofree char *good = rw_store_record_answer (store, &(RwAnswerRecord) {
                            .run_id = run_id,
                            .prompt_id = prompt_id,
                            .result = a,
                            .attempt = 1,
                          });
  g_autoptr(GPtrArray) rows = NULL;

  /* A query in between sees the good write; the failure is not the query's, and stays for the
   * flush to report. */
  rows = _rw_store_query (store, "SELECT id FROM responses", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 1);
  g_assert_cmpstr (((char **) rows->pdata[0])[0], ==, good);
  g_assert_false (rw_store_flush (store, &error));
  g_assert_error (error, RW_ERROR, RW_ERROR_STORE);
  g_clear_error (&error);
  g_assert_true (rw_store_flush (store, &error));
  rw_store_close (store);
  g_assert_cmpint (rw_test_db_int (path, "SELECT count(*) FROM responses"), ==, 1);
}

/* Version 11: answers that two processes stored twice in one run (schema 10 let them) are kept,
 * the first as the answer and the others as errors that say why; from then on the database
 * takes each answer once. */
static void
test_migrate_duplicates_from_v10 (void)
{
  g_autoptr(RwTestStore) tmp = rw_test_store_new_unopened ();
  const char *path = tmp->path;
  g_autoptr(GError) error = NULL;
  g_autoptr(RwStore) store = NULL;
  sqlite3 *db = NULL;

  g_assert_true (_rw_store_create_at_version (path, 10, &error));
  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db,
    "INSERT INTO prompts VALUES ('p1', '[]', 'q', 'math', 1);"
    "INSERT INTO runs VALUES ('r1', 'eval', NULL, 'running', 1, NULL);"
    "INSERT INTO responses (id, run_id, prompt_id, model, status, text, item_id, sample, created_ms)"
    "  VALUES ('a1', 'r1', 'p1', 'm/a', 'ok', 'first', 'i1', 0, 1),"
    "         ('a2', 'r1', 'p1', 'm/a', 'ok', 'second', 'i1', 0, 2),"
    "         ('a3', 'r1', 'p1', 'm/a', 'ok', 'next sample', 'i1', 1, 3),"
    "         ('a4', 'r1', 'p1', 'm/a', 'error', '', 'i2', 0, 4),"
    "         ('a5', 'r1', 'p1', 'm/a', 'ok', 'after the error', 'i2', 0, 5);",
    NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  store = rw_store_open (path, &error);
  g_assert_no_error (error);
  rw_store_close (store);
  g_assert_cmpint (rw_test_db_int (path, "SELECT count(*) FROM responses"), ==, 5);
  g_assert_cmpint (rw_test_db_int (path, "SELECT count(*) FROM responses WHERE status = 'ok' "
                                    "AND id IN ('a1', 'a3', 'a5')"), ==, 3);
  g_assert_cmpint (rw_test_db_int (path, "SELECT count(*) FROM responses WHERE id = 'a2' AND "
                                    "status = 'error' AND error_kind = 'duplicate' AND "
                                    "text = 'second'"), ==, 1);
  g_assert_cmpint (rw_test_db_int (path, "SELECT count(*) FROM runs WHERE holder IS NULL"), ==, 1);
}

static void
test_migrate_from_v1 (void)
{
  g_autoptr(RwTestStore) tmp = rw_test_store_new_unopened ();
  const char *path = tmp->path;
  g_autoptr(GError) error = NULL;
  g_autoptr(RwStore) store = NULL;
  sqlite3 *db = NULL;

  g_assert_true (_rw_store_create_at_version (path, 1, &error));
  g_assert_no_error (error);
  g_assert_cmpint (rw_test_db_int (path, "PRAGMA user_version"), ==, 1);

  /* Data written by the first schema. */
  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db,
    "INSERT INTO prompts VALUES ('p1', '[]', 'old prompt', 'code', 1);"
    "INSERT INTO runs VALUES ('r1', 'compare', NULL, 'done', 1, 2);"
    "INSERT INTO responses (id, run_id, prompt_id, model, status, text, created_ms) "
    "  VALUES ('x1', 'r1', 'p1', 'm/a', 'ok', 'old answer', 1);"
    "INSERT INTO votes (id, prompt_id, run_id, task, outcome, response_a, response_b, winner, "
    "  source, created_ms) VALUES ('v1', 'p1', 'r1', 'code', 'tie', 'x1', 'x1', NULL, 'human', 1);",
    NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  store = rw_store_open (path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (rw_store_get_schema_version (store), ==, RW_STORE_SCHEMA_VERSION);
  rw_store_close (store);

  g_assert_cmpint (rw_test_db_int (path, "PRAGMA user_version"), ==, RW_STORE_SCHEMA_VERSION);
  g_assert_cmpint (rw_test_db_int (path, "SELECT count(*) FROM responses WHERE text = 'old answer' "
                                    "AND usage_estimated = 0"), ==, 1);
  /* Version 8: an answer stored before it has no task of its own; the report uses its prompt's. */
  g_assert_cmpint (rw_test_db_int (path, "SELECT count(*) FROM responses WHERE text = 'old answer' "
                                    "AND task IS NULL"), ==, 1);
  g_assert_cmpint (rw_test_db_int (path, "SELECT count(*) FROM votes WHERE candidates IS NULL"), ==, 1);
  g_assert_cmpint (rw_test_db_int (path, "SELECT count(*) FROM votes WHERE id = 'v1' AND rowid = 1 "
                                    "AND prompt_id = 'p1' AND run_id = 'r1' AND task = 'code' "
                                    "AND outcome = 'tie' AND response_a = 'x1' AND response_b = 'x1' "
                                    "AND winner IS NULL AND source = 'human' AND created_ms = 1"), ==, 1);
  g_assert_cmpint (rw_test_db_int (path, "SELECT count(*) FROM sqlite_master WHERE name = 'grades'"),
                   ==, 1);
  /* Version 4 dropped the index on run_id alone: lookups by run use responses_by_item. */
  g_assert_cmpint (rw_test_db_int (path, "SELECT count(*) FROM sqlite_master "
                                    "WHERE name = 'responses_by_run'"), ==, 0);
  {
    sqlite3_stmt *stmt = NULL;
    g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_prepare_v2 (db, "EXPLAIN QUERY PLAN SELECT * FROM responses "
                                             "WHERE run_id = 'r1'", -1, &stmt, NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
    g_assert_nonnull (strstr ((const char *) sqlite3_column_text (stmt, 3),
                              "INDEX responses_by_item"));
    sqlite3_finalize (stmt);
    /* Version 5: a run's votes are found by index. */
    g_assert_cmpint (sqlite3_prepare_v2 (db, "EXPLAIN QUERY PLAN SELECT * FROM votes "
                                             "WHERE run_id = 'r1'", -1, &stmt, NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
    g_assert_nonnull (strstr ((const char *) sqlite3_column_text (stmt, 3), "votes_by_run"));
    sqlite3_finalize (stmt);
    g_assert_cmpint (rw_test_db_int (path, "SELECT count(*) FROM sqlite_master WHERE name IN "
                                      "('votes_by_prompt', 'votes_by_task')"), ==, 0);
    /* Version 6: no index on answers by prompt; the cache's lookup still has one. */
    g_assert_cmpint (rw_test_db_int (path, "SELECT count(*) FROM sqlite_master "
                                      "WHERE name = 'responses_by_prompt'"), ==, 0);
    g_assert_cmpint (sqlite3_prepare_v2 (db, "EXPLAIN QUERY PLAN SELECT * FROM responses "
                                             "WHERE request_hash IN ('h1', 'h2') AND status = 'ok'",
                                         -1, &stmt, NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
    g_assert_nonnull (strstr ((const char *) sqlite3_column_text (stmt, 3), "responses_by_hash"));
    sqlite3_finalize (stmt);
    /* Version 7: a vote is checked without a temporary table per row, by the same rules. */
    g_assert_cmpint (sqlite3_prepare_v2 (db, "EXPLAIN INSERT INTO votes (id, prompt_id, outcome, "
                                             "source, created_ms) VALUES (?1, ?2, ?3, ?4, ?5)",
                                         -1, &stmt, NULL), ==, SQLITE_OK);
    while (sqlite3_step (stmt) == SQLITE_ROW)
      g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 1), !=, "OpenEphemeral");
    sqlite3_finalize (stmt);
    g_assert_cmpint (sqlite3_exec (db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_exec (db, "INSERT INTO votes (id, prompt_id, outcome, source, created_ms) "
                                       "VALUES ('v2', 'p1', 'maybe', 'human', 2)",
                                   NULL, NULL, NULL), ==, SQLITE_CONSTRAINT);
    g_assert_cmpint (sqlite3_exec (db, "INSERT INTO votes (id, prompt_id, outcome, source, created_ms) "
                                       "VALUES ('v2', 'p1', 'best', 'guess', 2)",
                                   NULL, NULL, NULL), ==, SQLITE_CONSTRAINT);
    g_assert_cmpint (sqlite3_exec (db, "INSERT INTO votes (id, prompt_id, outcome, source, created_ms) "
                                       "VALUES ('v2', 'nowhere', 'best', 'human', 2)",
                                   NULL, NULL, NULL), ==, SQLITE_CONSTRAINT);
    g_assert_cmpint (sqlite3_exec (db, "INSERT INTO votes (id, prompt_id, outcome, created_ms) "
                                       "VALUES ('v2', 'p1', 'both_bad', 2)",
                                   NULL, NULL, NULL), ==, SQLITE_OK);
    sqlite3_close (db);
  }
}

static gpointer
open_new_file (gpointer path)
{
  GError *error = NULL;
  RwStore *store = rw_store_open (path, &error);

  if (store == NULL)
    return error;
  rw_store_close (store);
  g_object_unref (store);
  return NULL;
}

/* Programs that create the same new database at once (the app and the command line, started
 * together): each reads the schema version again under the write lock, so the second does not
 * apply the migrations the first has just made. */
static void
test_created_at_once (void)
{
  g_autoptr(RwTestStore) tmp = rw_test_store_new_unopened ();
  const char *dir = tmp->dir;

  for (guint round = 0; round < 10; round++)
    {
      g_autofree char *name = g_strdup_printf ("new-%u.db", round);
      g_autofree char *path = g_build_filename (dir, name, NULL);
      GThread *threads[4];

      for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
        threads[i] = g_thread_new ("opener", open_new_file, path);
      for (guint i = 0; i < G_N_ELEMENTS (threads); i++)
        {
          g_autoptr(GError) error = g_thread_join (threads[i]);
          g_assert_no_error (error);
        }
      g_assert_cmpint (rw_test_db_int (path, "PRAGMA user_version"), ==, RW_STORE_SCHEMA_VERSION);
    }
}

static void
test_newer_schema_refused (void)
{
  g_autoptr(RwTestStore) tmp = rw_test_store_new_unopened ();
  const char *path = tmp->path;
  g_autoptr(GError) error = NULL;
  g_autoptr(RwStore) store = NULL;
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "CREATE TABLE future (x); PRAGMA user_version = 99;",
                                 NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);

  store = rw_store_open (path, &error);
  g_assert_null (store);
  g_assert_error (error, RW_ERROR, RW_ERROR_STORE);
  g_assert_nonnull (strstr (error->message, "newer"));
  g_assert_cmpint (rw_test_db_int (path, "PRAGMA user_version"), ==, 99);
}

static void
test_not_a_database (void)
{
  g_autoptr(RwTestStore) tmp = rw_test_store_new_unopened ();
  const char *path = tmp->path;
  g_autoptr(GError) error = NULL;
  g_autoptr(RwStore) store = NULL;

  g_assert_true (g_file_set_contents (path, "this is not sqlite at all, just text\n"
                                            "padding padding padding padding padding\n", -1, NULL));
  store = rw_store_open (path, &error);
  g_assert_null (store);
  g_assert_error (error, RW_ERROR, RW_ERROR_STORE);
  /* The message names the file, which the person must find. */
  g_assert_nonnull (strstr (error->message, path));
  g_assert_nonnull (strstr (error->message, "not a database"));
  /* And the file is left as it was. */
  {
    g_autofree char *text = NULL;
    g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
    g_assert_true (g_str_has_prefix (text, "this is not sqlite at all"));
  }
}

/* A process killed without closing the store loses nothing it had committed, and the
 * database opens cleanly afterwards. */
static void
test_unclean_close (void)
{
  g_autoptr(RwTestStore) tmp = rw_test_store_new_unopened ();
  const char *path = tmp->path;
  g_autoptr(GError) error = NULL;
  g_autoptr(RwStore) store = NULL;
  g_autofree char *check = NULL;
  int status = 0;
  pid_t pid;

  pid = fork ();
  g_assert_cmpint (pid, >=, 0);
  if (pid == 0)
    {
      RwStore *child = rw_store_open (path, NULL);
      g_autoptr(RwChatRequest) request = rw_chat_request_new_for_prompt ("crash test");
      g_autofree char *prompt_id = NULL, *run_id = NULL;

      if (child == NULL)
        _exit (3);
      prompt_id = rw_store_record_prompt (child, request);
      run_id = rw_store_begin_run (child, "compare", NULL);
      for (guint i = 0; i < 500; i++)
        {
          RwChatResult *r = make_result ("m/a", "answer", FALSE);
          g_free (rw_store_record_answer (child, &(RwAnswerRecord) {
                    .run_id = run_id,
                    .prompt_id = prompt_id,
                    .result = r,
                    .attempt = 1,
                  }));
          rw_chat_result_unref (r);
        }
      if (!rw_store_flush (child, NULL))
        _exit (4);
      /* Die without closing: no checkpoint, the WAL is left behind. */
      kill (getpid (), SIGKILL);
      _exit (5);
    }
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFSIGNALED (status));
  g_assert_cmpint (WTERMSIG (status), ==, SIGKILL);

  store = rw_store_open (path, &error);
  g_assert_no_error (error);
  rw_store_close (store);
  g_assert_cmpint (rw_test_db_int (path, "SELECT count(*) FROM responses"), ==, 500);
  check = rw_test_db_text (path, "PRAGMA integrity_check");
  g_assert_cmpstr (check, ==, "ok");
}

/* Writes from two stores on one file, as the window and the command line do, all land. */
static void
test_two_writers (void)
{
  g_autoptr(RwTestStore) tmp = rw_test_store_new_unopened ();
  const char *path = tmp->path;
  g_autoptr(RwStore) a = rw_store_open (path, NULL);
  g_autoptr(RwStore) b = rw_store_open (path, NULL);
  g_autoptr(RwChatRequest) request = rw_chat_request_new_for_prompt ("shared");
  g_autofree char *pa = rw_store_record_prompt (a, request);
  g_autofree char *pb = rw_store_record_prompt (b, request);
  g_autofree char *ra = rw_store_begin_run (a, "compare", NULL);
  g_autofree char *rb = rw_store_begin_run (b, "compare", NULL);

  for (guint i = 0; i < 200; i++)
    {
      g_autoptr(RwChatResult) r = make_result ("m/x", "y", FALSE);
      g_free (rw_store_record_answer (a, &(RwAnswerRecord) {
                .run_id = ra,
                .prompt_id = pa,
                .result = r,
                .attempt = 1,
              }));
      g_free (rw_store_record_answer (b, &(RwAnswerRecord) {
                .run_id = rb,
                .prompt_id = pb,
                .result = r,
                .attempt = 1,
              }));
    }
  g_assert_true (rw_store_flush (a, NULL));
  g_assert_true (rw_store_flush (b, NULL));
  rw_store_close (a);
  rw_store_close (b);
  g_assert_cmpint (rw_test_db_int (path, "SELECT count(*) FROM responses"), ==, 400);
  g_assert_cmpint (rw_test_db_int (path, "SELECT count(*) FROM prompts"), ==, 1);
}

/* A store folds its log into the database once it has been idle a moment with enough in the
 * log, not when it closes; nothing is lost either way. */
static void
test_checkpoint (void)
{
  g_autoptr(RwTestStore) tmp = rw_test_store_new_unopened ();
  const char *dir = tmp->dir;
  const char *path = tmp->path;
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *copy = g_build_filename (dir, "copy.db", NULL);
  g_autofree char *big = g_strnfill (8000, 'x');
  g_autoptr(RwStore) store = rw_store_open (path, NULL);
  g_autoptr(RwChatRequest) request = rw_chat_request_new_for_prompt ("fold me");
  g_autofree char *prompt_id = rw_store_record_prompt (store, request);
  g_autofree char *run_id = rw_store_begin_run (store, "compare", NULL);
  g_autofree char *contents = NULL;
  g_autofree char *check = NULL;
  gsize len = 0;

  for (guint i = 0; i < 200; i++)
    {
      g_autoptr(RwChatResult) r = make_result ("m/x", big, FALSE);
      g_free (rw_store_record_answer (store, &(RwAnswerRecord) {
                .run_id = run_id,
                .prompt_id = prompt_id,
                .result = r,
                .attempt = 1,
              }));
    }
  g_assert_true (rw_store_flush (store, NULL));
  /* 1.6 MB in the log, then nothing: it is folded in, and the database file alone has it. */
  g_assert_cmpuint (_rw_store_wait_checkpoints (store, 0, 30 * G_TIME_SPAN_SECOND), >=, 1);
  g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
  g_assert_true (g_file_set_contents (copy, contents, len, NULL));
  g_assert_cmpint (rw_test_db_int (copy, "SELECT count(*) FROM responses"), ==, 200);

  /* Written after that and closed at once: still in the log, and read from there. */
  for (guint i = 0; i < 10; i++)
    {
      g_autoptr(RwChatResult) r = make_result ("m/x", "late", FALSE);
      g_free (rw_store_record_answer (store, &(RwAnswerRecord) {
                .run_id = run_id,
                .prompt_id = prompt_id,
                .result = r,
                .attempt = 1,
              }));
    }
  rw_store_close (store);
  g_assert_true (g_file_test (wal, G_FILE_TEST_EXISTS));
  g_clear_object (&store);
  store = rw_store_open (path, NULL);
  g_assert_nonnull (store);
  rw_store_close (store);
  g_assert_cmpint (rw_test_db_int (path, "SELECT count(*) FROM responses"), ==, 210);
  check = rw_test_db_text (path, "PRAGMA integrity_check");
  g_assert_cmpstr (check, ==, "ok");
}

/* A log a bulk write left large is folded in and emptied when the store closes, so that the
 * next process does not read it whole before its first query; what it held is in the
 * database. */
static void
test_close_folds_large_log (void)
{
  g_autoptr(RwTestStore) tmp = rw_test_store_new_unopened ();
  g_autofree char *wal = g_strconcat (tmp->path, "-wal", NULL);
  g_autofree char *big = g_strnfill (8000, 'x');
  g_autoptr(RwStore) store = rw_store_open (tmp->path, NULL);
  g_autoptr(RwChatRequest) request = rw_chat_request_new_for_prompt ("fold me on close");
  g_autofree char *prompt_id = rw_store_record_prompt (store, request);
  g_autofree char *run_id = rw_store_begin_run (store, "compare", NULL);
  sqlite3 *reader = NULL;
  GStatBuf st;

  /* A reader in another connection holds its snapshot, so that no checkpoint can empty the log
   * while it grows past 16 MB, as it cannot while an import writes. */
  g_assert_true (rw_store_flush (store, NULL));
  g_assert_cmpint (sqlite3_open_v2 (tmp->path, &reader, SQLITE_OPEN_READONLY, NULL), ==,
                   SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (reader, "BEGIN; SELECT count(*) FROM responses", NULL, NULL,
                                 NULL), ==, SQLITE_OK);
  for (guint i = 0; i < 2500; i++)
    {
      g_autoptr(RwChatResult) r = make_result ("m/x", big, FALSE);
      g_free (rw_store_record_answer (store, &(RwAnswerRecord) {
                .run_id = run_id,
                .prompt_id = prompt_id,
                .result = r,
                .attempt = 1,
              }));
    }
  g_assert_true (rw_store_flush (store, NULL));
  g_assert_cmpint (g_stat (wal, &st), ==, 0);
  g_assert_cmpint (st.st_size, >, 16 * 1024 * 1024);
  sqlite3_exec (reader, "COMMIT", NULL, NULL, NULL);
  sqlite3_close (reader);

  rw_store_close (store);
  g_assert_true (g_stat (wal, &st) != 0 || st.st_size == 0);
  g_assert_cmpint (rw_test_db_int (tmp->path, "SELECT count(*) FROM responses"), ==, 2500);
}

static gboolean
check_row (RwStoreRow *row,
           gpointer    data)
{
  guint *n = data;

  g_assert_cmpfloat_with_epsilon (_rw_store_row_double (row, 0), 0.0005, 1e-12);
  g_assert_cmpint (_rw_store_row_int (row, 1), ==, 20);
  g_assert_cmpstr (_rw_store_row_text (row, 2), ==, "typed");
  g_assert_true (_rw_store_row_is_null (row, 3));
  g_assert_null (_rw_store_row_text (row, 3));
  g_assert_true (isnan (_rw_store_row_double (row, 3)));
  g_assert_cmpint (_rw_store_row_int (row, 3), ==, 0);
  return ++*n < 2;
}

/* Rows handed over one at a time, in their own types, until the callback says stop. */
static void
test_query_each (void)
{
  g_autoptr(RwTestStore) db = rw_test_store_new ();
  RwStore *store = db->store;
  g_autoptr(RwChatRequest) request = rw_chat_request_new_for_prompt ("typed");
  g_autofree char *prompt_id = rw_store_record_prompt (store, request);
  g_autofree char *run_id = rw_store_begin_run (store, "compare", NULL);
  const char *params[] = { run_id, NULL };
  g_autoptr(GError) error = NULL;
  guint n = 0;

  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(RwChatResult) r = make_result ("m/x", "typed", FALSE);
      g_free (rw_store_record_answer (store, &(RwAnswerRecord) {
                .run_id = run_id,
                .prompt_id = prompt_id,
                .result = r,
                .attempt = 1,
              }));
    }
  g_assert_true (_rw_store_query_each (store, "SELECT cost_usd, tokens_out, text, NULL "
                                             "FROM responses WHERE run_id = ?1", params,
                                      check_row, &n, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 2);
  g_assert_false (_rw_store_query_each (store, "SELECT nothing FROM nowhere", NULL, check_row,
                                       &n, &error));
  g_assert_error (error, RW_ERROR, RW_ERROR_STORE);
  g_assert_cmpuint (n, ==, 2);
}

typedef struct
{
  RwStore *store;
  char *run_id;
  char *prompt_id;
} Reader;

static gpointer
reader_thread (gpointer data)
{
  Reader *r = data;

  for (guint i = 1; i <= 40; i++)
    {
      g_autoptr(RwChatResult) result = make_result ("m/x", "y", FALSE);
      const char *params[] = { r->run_id, NULL };
      g_autoptr(GPtrArray) rows = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *want = g_strdup_printf ("%u", i);

      g_free (rw_store_record_answer (r->store, &(RwAnswerRecord) {
                .run_id = r->run_id,
                .prompt_id = r->prompt_id,
                .result = result,
                .attempt = 1,
              }));
      rows = _rw_store_query (r->store, "SELECT count(*) FROM responses WHERE run_id = ?1",
                             params, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (rows->len, ==, 1);
      /* Every query sees every write queued before it. */
      g_assert_cmpstr (((char **) rows->pdata[0])[0], ==, want);
    }
  return NULL;
}

/* Queries from several threads at once, one of them on a second store of the same file, each
 * see their own writes; the store's kept reader never serves a stale snapshot. A bad query is
 * an error, and a query after closing still answers. */
static void
test_readers (void)
{
  g_autoptr(RwTestStore) tmp = rw_test_store_new_unopened ();
  const char *path = tmp->path;
  g_autoptr(RwStore) a = rw_store_open (path, NULL);
  g_autoptr(RwStore) b = rw_store_open (path, NULL);
  g_autoptr(RwChatRequest) request = rw_chat_request_new_for_prompt ("read me");
  g_autofree char *prompt_id = rw_store_record_prompt (a, request);
  Reader readers[4];
  GThread *threads[4];
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (readers); i++)
    {
      readers[i].store = i == 3 ? b : a;
      readers[i].run_id = rw_store_begin_run (readers[i].store, "compare", NULL);
      readers[i].prompt_id = prompt_id;
    }
  /* b's answers name a's prompt: it must be in the file before b writes them. */
  g_assert_true (rw_store_flush (a, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (readers); i++)
    threads[i] = g_thread_new ("reader", reader_thread, &readers[i]);
  for (guint i = 0; i < G_N_ELEMENTS (readers); i++)
    g_thread_join (threads[i]);

  /* What b wrote, a reads. */
  rows = _rw_store_query (a, "SELECT count(*) FROM responses", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (((char **) rows->pdata[0])[0], ==, "160");
  g_clear_pointer (&rows, g_ptr_array_unref);

  rows = _rw_store_query (a, "SELECT nothing FROM nowhere", NULL, &error);
  g_assert_null (rows);
  g_assert_error (error, RW_ERROR, RW_ERROR_STORE);
  g_clear_error (&error);

  rw_store_close (b);
  rw_store_close (a);
  rows = _rw_store_query (a, "SELECT count(*) FROM runs", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (((char **) rows->pdata[0])[0], ==, "4");
  for (guint i = 0; i < G_N_ELEMENTS (readers); i++)
    g_free (readers[i].run_id);
}

/* A vote that names a failed answer (one cast before the window stopped offering them) is kept,
 * but is no outcome between two models: ratings and learning never see it. */
static void
test_votes_on_failures (void)
{
  g_autoptr(RwTestStore) db = rw_test_store_new ();
  g_autoptr(RwChatRequest) request = rw_chat_request_new_for_prompt ("What is 2+2?");
  g_autoptr(RwChatResult) good = make_result ("m/a", "4", FALSE);
  g_autoptr(RwChatResult) other = make_result ("m/b", "four", FALSE);
  g_autoptr(RwChatResult) failed = make_result ("m/c", "", TRUE);
  g_autoptr(GPtrArray) models = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) results = g_ptr_array_new ();
  g_autoptr(GPtrArray) votes = NULL;
  g_autofree char *prompt_id = NULL;
  g_autofree char *run_id = NULL;
  g_auto(GStrv) ids = NULL;
  const char *on_failure[] = { NULL, NULL, NULL };
  const char *whole[] = { NULL, NULL, NULL };

  g_ptr_array_add (models, rw_model_new ("m/a", "m", "a"));
  g_ptr_array_add (models, rw_model_new ("m/b", "m", "b"));
  g_ptr_array_add (models, rw_model_new ("m/c", "m", "c"));
  g_ptr_array_add (results, good);
  g_ptr_array_add (results, other);
  g_ptr_array_add (results, failed);
  run_id = rw_store_record_compare (db->store, request, models, results, "test", FALSE,
                                    &prompt_id, &ids);
  on_failure[0] = ids[0];
  on_failure[1] = ids[2];
  whole[0] = ids[0];
  whole[1] = ids[1];
  g_free (rw_store_record_vote (db->store, prompt_id, run_id, "math", RW_VOTE_A, on_failure,
                                NULL, "human"));
  g_free (rw_store_record_vote (db->store, prompt_id, run_id, "math", RW_VOTE_B, whole, NULL,
                                "human"));
  g_free (rw_store_record_vote (db->store, prompt_id, run_id, "math", RW_VOTE_BEST,
                                (const char * const *) ids, ids[1], "human"));
  g_assert_true (rw_store_flush (db->store, NULL));
  g_assert_cmpint (rw_test_db_int (db->path, "SELECT count(*) FROM votes"), ==, 3);

  votes = rw_store_list_pairwise_votes (db->store, NULL);
  g_assert_nonnull (votes);
  /* The pair of whole answers, and the best of three against the other whole answer only. */
  g_assert_cmpuint (votes->len, ==, 2);
  g_assert_cmpstr (((RwStoredVote *) votes->pdata[0])->model_b, ==, "m/b");
  g_assert_cmpstr (((RwStoredVote *) votes->pdata[1])->model_a, ==, "m/b");
  g_assert_cmpstr (((RwStoredVote *) votes->pdata[1])->model_b, ==, "m/a");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/Rw/Store/fresh", test_fresh);
  g_test_add_func ("/Rw/Store/votes-on-failures", test_votes_on_failures);
  g_test_add_func ("/Rw/Store/record-compare", test_record_compare);
  g_test_add_func ("/Rw/Store/prompt-again", test_prompt_again);
  g_test_add_func ("/Rw/Store/group", test_group);
  g_test_add_func ("/Rw/Store/jobs", test_jobs);
  g_test_add_func ("/Rw/Store/group-undone", test_group_undone);
  g_test_add_func ("/Rw/Store/bad-write-isolated", test_bad_write_isolated);
  g_test_add_func ("/Rw/Store/migrate-from-v1", test_migrate_from_v1);
  g_test_add_func ("/Rw/Store/migrate-duplicates-from-v10", test_migrate_duplicates_from_v10);
  g_test_add_func ("/Rw/Store/newer-schema-refused", test_newer_schema_refused);
  g_test_add_func ("/Rw/Store/created-at-once", test_created_at_once);
  g_test_add_func ("/Rw/Store/not-a-database", test_not_a_database);
  g_test_add_func ("/Rw/Store/unclean-close", test_unclean_close);
  g_test_add_func ("/Rw/Store/two-writers", test_two_writers);
  g_test_add_func ("/Rw/Store/readers", test_readers);
  g_test_add_func ("/Rw/Store/checkpoint", test_checkpoint);
  g_test_add_func ("/Rw/Store/close-folds-large-log", test_close_folds_large_log);
  g_test_add_func ("/Rw/Store/query-each", test_query_each);
  return g_test_run ();
}
