/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <signal.h>
#include <sqlite3.h>
#include <math.h>
#include <string.h>
#include <glib/gstdio.h>
#include <routewise-eval.h>

#include "rw-mock-upstream.h"
#include "rw-test-fixtures.h"
#include "rw-test-util.h"

static RwSuite *
gsm8k_slice (guint n)
{
  g_autofree char *path = g_build_filename (g_getenv ("G_TEST_SRCDIR"), "..", "data", "suites",
                                            "gsm8k-sample.jsonl", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GString) slice = g_string_new (NULL);
  g_auto(GStrv) lines = NULL;
  g_autoptr(GError) error = NULL;
  RwSuite *suite;

  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; i < n && lines[i]; i++)
    g_string_append_printf (slice, "%s\n", lines[i]);
  suite = rw_suite_new_from_data ("slice.jsonl", "jsonl", slice->str, slice->len, &error);
  g_assert_no_error (error);
  return suite;
}

static void
done_cb (GObject      *object,
         GAsyncResult *res,
         gpointer      user_data)
{
  const char **status = user_data;
  *status = rw_eval_runner_run_finish (RW_EVAL_RUNNER (object), res, NULL);
}

static const char *
run_to_end (RwEvalRunner *runner)
{
  const char *status = NULL;

  rw_eval_runner_run_async (runner, NULL, done_cb, &status);
  while (status == NULL)
    g_main_context_iteration (NULL, TRUE);
  return status;
}

static GPtrArray *
models_for (RwCatalog          *catalog,
            const char * const *ids)
{
  GPtrArray *models = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; ids[i]; i++)
    g_ptr_array_add (models, g_object_ref (rw_catalog_lookup_model (catalog, ids[i])));
  return models;
}

/* The report `eval run` prints, made from the rows as the runner stored them, is the one
 * `eval report` reads back from the database, to the byte. */
static void
assert_report_as_stored (RwEvalRunner *runner,
                         RwStore      *store)
{
  g_autoptr(JsonNode) live = rw_eval_runner_build_report (runner);
  g_autoptr(JsonNode) stored = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *live_json = NULL;
  g_autofree char *stored_json = NULL;
  g_autofree char *live_md = NULL;
  g_autofree char *stored_md = NULL;

  g_assert_nonnull (live);
  stored = rw_eval_report_build (store, rw_eval_runner_get_run_id (runner), &error);
  g_assert_no_error (error);
  live_json = rw_json_to_string (live, TRUE);
  stored_json = rw_json_to_string (stored, TRUE);
  g_assert_cmpstr (live_json, ==, stored_json);
  live_md = rw_eval_report_to_markdown (live);
  stored_md = rw_eval_report_to_markdown (stored);
  g_assert_cmpstr (live_md, ==, stored_md);
}

/* A run over real recorded GSM8K answers: graded, stored, reported; a second run of the same
 * sends nothing; a run that adds a model reuses the first model's answers from the cache. */
static void
test_run_resume_cache (void)
{
  g_autoptr(RwTestStore) tmp = rw_test_store_new_unopened ();
  const char *db = tmp->path;
  g_autoptr(RwCatalog) catalog = rw_catalog_new ();
  g_autoptr(RwStore) store = NULL;
  g_autoptr(RwSuite) suite = gsm8k_slice (20);
  const char *gpt4[] = { "recorded/gpt-4-1106-preview", NULL };
  const char *both[] = { "recorded/gpt-4-1106-preview", "recorded/mixtral-8x7b-instruct-v0.1", NULL };
  g_autoptr(GPtrArray) one = NULL;
  g_autoptr(GPtrArray) two = NULL;
  g_autoptr(RwEvalRunner) first = NULL;
  g_autoptr(RwEvalRunner) again = NULL;
  g_autoptr(RwEvalRunner) wider = NULL;
  g_autoptr(JsonNode) report = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *sql = NULL;
  JsonArray *rows;

  g_assert_true (rw_catalog_load_defaults (catalog, NULL));
  g_assert_true (rw_catalog_load_data (catalog, "t", "{\"providers\": [{\"id\": \"recorded\", "
                                       "\"kind\": \"recorded\", \"speed\": 0}]}", -1, NULL));
  store = rw_store_open (db, &error);
  g_assert_no_error (error);
  one = models_for (catalog, gpt4);
  two = models_for (catalog, both);

  first = rw_eval_runner_new (catalog, store, suite, one, 1);
  g_assert_true (rw_eval_runner_prepare (first, NULL, &error));
  g_assert_no_error (error);
  g_assert_false (rw_eval_runner_is_resumed (first));
  g_assert_cmpuint (rw_eval_runner_get_n_total (first), ==, 20);
  g_assert_cmpfloat (rw_eval_runner_get_estimate (first), >, 0);
  g_assert_cmpstr (run_to_end (first), ==, "done");
  g_assert_cmpuint (rw_eval_runner_get_n_done (first), ==, 20);
  assert_report_as_stored (first, store);

  sql = g_strdup_printf ("SELECT count(*) FROM grades g JOIN responses r ON r.id = g.response_id "
                         "WHERE r.run_id = '%s' AND g.grader = 'numeric'", rw_eval_runner_get_run_id (first));
  g_assert_cmpint (rw_test_db_int (db, sql), ==, 20);

  /* The report agrees with the grades stored. */
  report = rw_eval_report_build (store, rw_eval_runner_get_run_id (first), &error);
  g_assert_no_error (error);
  rows = json_object_get_array_member (json_node_get_object (report), "rows");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (rows, 0), "task"), ==, "all");
  {
    JsonObject *all = json_array_get_object_element (rows, 0);
    g_autofree char *passed_sql = g_strdup_printf (
      "SELECT count(*) FROM grades g JOIN responses r ON r.id = g.response_id "
      "WHERE r.run_id = '%s' AND g.pass = 1", rw_eval_runner_get_run_id (first));
    gint64 passed = rw_test_db_int (db, passed_sql);

    g_assert_cmpint (json_object_get_int_member (all, "n"), ==, 20);
    g_assert_cmpint (json_object_get_int_member (all, "passed"), ==, passed);
    g_assert_cmpint (passed, >=, 15);
    g_assert_cmpfloat (json_object_get_double_member (all, "ci_low"), <=,
                       json_object_get_double_member (all, "pass_rate"));
  }

  /* The HTML report: one page, its charts, the figures, nothing left unescaped. */
  {
    g_autofree char *html = rw_eval_report_to_html (report);
    g_autofree char *md = rw_eval_report_to_markdown (report);
    g_autofree char *csv = rw_eval_report_to_csv (report);

    g_assert_true (g_str_has_prefix (html, "<!DOCTYPE html>"));
    g_assert_nonnull (strstr (html, "aria-label='Cost against quality'"));
    g_assert_nonnull (strstr (html, "aria-label='Latency'"));
    g_assert_nonnull (strstr (html, "recorded/gpt-4-1106-preview"));
    g_assert_null (strstr (html, "<script"));
    g_assert_nonnull (strstr (md, "| **recorded/gpt-4-1106-preview** | all | 20 |"));
    g_assert_true (g_str_has_prefix (csv, "model,task,n,passed,pass_rate"));
  }

  /* A person's grade overrides the machine's in the report, and stays. */
  {
    g_autofree char *failed_sql = g_strdup_printf (
      "SELECT r.id FROM responses r JOIN grades g ON g.response_id = r.id "
      "WHERE r.run_id = '%s' AND g.pass = 1 LIMIT 1", rw_eval_runner_get_run_id (first));
    g_autofree char *response = rw_test_db_text (db, failed_sql);
    g_autoptr(JsonNode) before = rw_eval_report_build (store, rw_eval_runner_get_run_id (first), NULL);
    g_autoptr(JsonNode) after = NULL;
    gint64 passed_before, passed_after;

    rw_store_record_grade (store, response, "human", 0, FALSE, "wrong units", "human");
    after = rw_eval_report_build (store, rw_eval_runner_get_run_id (first), &error);
    g_assert_no_error (error);
    passed_before = json_object_get_int_member (json_array_get_object_element (
      json_object_get_array_member (json_node_get_object (before), "rows"), 0), "passed");
    passed_after = json_object_get_int_member (json_array_get_object_element (
      json_object_get_array_member (json_node_get_object (after), "rows"), 0), "passed");
    g_assert_cmpint (passed_after, ==, passed_before - 1);

    /* Against the earlier state of the same run: one answer fewer passes, 1 in 20. */
    rw_eval_report_add_comparison (after, before);
    {
      JsonObject *against = json_object_get_object_member (json_node_get_object (after), "against");
      JsonObject *row = json_array_get_object_element (json_object_get_array_member (against, "rows"), 0);
      g_autofree char *md = rw_eval_report_comparison_to_markdown (after);

      g_assert_cmpfloat_with_epsilon (json_object_get_double_member (row, "change"), -0.05, 1e-9);
      g_assert_nonnull (strstr (md, "-5.0 points"));
    }

    /* A person who changes their mind: the latest grade counts. */
    {
      g_autoptr(JsonNode) later = NULL;

      rw_store_record_grade (store, response, "human", 1, TRUE, "units are fine", "human");
      later = rw_eval_report_build (store, rw_eval_runner_get_run_id (first), &error);
      g_assert_no_error (error);
      g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (
                         json_object_get_array_member (json_node_get_object (later), "rows"), 0),
                         "passed"), ==, passed_before);
    }
  }

  /* The same again: the run resumes, with nothing left to send. */
  again = rw_eval_runner_new (catalog, store, suite, one, 1);
  g_assert_true (rw_eval_runner_prepare (again, NULL, &error));
  g_assert_true (rw_eval_runner_is_resumed (again));
  g_assert_cmpstr (rw_eval_runner_get_run_id (again), ==, rw_eval_runner_get_run_id (first));
  g_assert_cmpuint (rw_eval_runner_get_n_done (again), ==, 20);
  g_assert_cmpfloat (rw_eval_runner_get_estimate (again), ==, 0);

  /* A new run with another model: the first model's answers come from the cache. */
  wider = rw_eval_runner_new (catalog, store, suite, two, 1);
  g_assert_true (rw_eval_runner_prepare (wider, NULL, &error));
  g_assert_false (rw_eval_runner_is_resumed (wider));
  g_assert_cmpuint (rw_eval_runner_get_n_cached (wider), ==, 20);
  g_assert_cmpstr (run_to_end (wider), ==, "done");
  assert_report_as_stored (wider, store);
  g_free (sql);
  sql = g_strdup_printf ("SELECT count(*) FROM responses WHERE run_id = '%s' AND cached = 1 "
                         "AND model = 'recorded/gpt-4-1106-preview'", rw_eval_runner_get_run_id (wider));
  g_assert_cmpint (rw_test_db_int (db, sql), ==, 20);

  /* Each item's pair of graded answers is a comparison, won by the higher grade. */
  g_assert_cmpuint (rw_eval_runner_get_n_comparisons (wider), ==, 20);
  g_free (sql);
  sql = g_strdup_printf ("SELECT count(*) FROM votes v "
                         "JOIN grades ga ON ga.response_id = v.response_a "
                         "JOIN grades gb ON gb.response_id = v.response_b "
                         "WHERE v.run_id = '%s' AND v.source = 'grader' AND v.task = 'math' AND "
                         "v.outcome = CASE WHEN ga.score > gb.score THEN 'a' "
                         "                 WHEN ga.score < gb.score THEN 'b' ELSE 'tie' END",
                         rw_eval_runner_get_run_id (wider));
  g_assert_cmpint (rw_test_db_int (db, sql), ==, 20);

  /* Running it again adds no comparison twice. */
  {
    g_autoptr(RwEvalRunner) rerun = rw_eval_runner_new (catalog, store, suite, two, 1);
    g_assert_true (rw_eval_runner_prepare (rerun, NULL, NULL));
    g_assert_cmpstr (run_to_end (rerun), ==, "done");
    g_assert_cmpuint (rw_eval_runner_get_n_comparisons (rerun), ==, 0);
  }

  /* The comparisons made as the answers came in are the ones a resumed run makes from the
   * database: with them gone, running again makes the same again. */
  {
    g_autofree char *votes_sql = g_strdup_printf (
      "SELECT group_concat (response_a || ' ' || response_b || ' ' || outcome || ' ' || task || "
      "' ' || source || ' ' || prompt_id, ',') FROM (SELECT * FROM votes WHERE run_id = '%s' "
      "ORDER BY response_a, response_b)", rw_eval_runner_get_run_id (wider));
    g_autofree char *delete_sql = g_strdup_printf ("DELETE FROM votes WHERE run_id = '%s'",
                                                   rw_eval_runner_get_run_id (wider));
    g_autofree char *live = rw_test_db_text (db, votes_sql);
    g_autofree char *remade = NULL;
    g_autoptr(RwEvalRunner) rerun = rw_eval_runner_new (catalog, store, suite, two, 1);
    sqlite3 *handle = NULL;

    g_assert_cmpint (sqlite3_open (db, &handle), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_exec (handle, delete_sql, NULL, NULL, NULL), ==, SQLITE_OK);
    sqlite3_close (handle);
    g_assert_true (rw_eval_runner_prepare (rerun, NULL, NULL));
    g_assert_true (rw_eval_runner_is_resumed (rerun));
    g_assert_cmpstr (run_to_end (rerun), ==, "done");
    g_assert_cmpuint (rw_eval_runner_get_n_comparisons (rerun), ==, 20);
    remade = rw_test_db_text (db, votes_sql);
    g_assert_cmpstr (remade, ==, live);
  }

  /* The report counts the run's comparisons; one made against an answer of another run (which
   * the runner never makes, but a person could) counts too. */
  {
    const char *wider_id = rw_eval_runner_get_run_id (wider);
    g_autofree char *theirs_sql = g_strdup_printf (
      "SELECT id FROM responses WHERE run_id = '%s' LIMIT 1", rw_eval_runner_get_run_id (first));
    g_autofree char *ours_sql = g_strdup_printf (
      "SELECT id || ' ' || prompt_id FROM responses WHERE run_id = '%s' "
      "AND model = 'recorded/gpt-4-1106-preview' LIMIT 1", wider_id);
    g_autofree char *theirs = rw_test_db_text (db, theirs_sql);
    g_autofree char *ours = rw_test_db_text (db, ours_sql);
    g_auto(GStrv) parts = g_strsplit (ours, " ", 2);
    const char *ids[] = { parts[0], theirs, NULL };
    g_autofree char *vote = NULL;
    guint grader_total = 0, human_wins = 0;

    for (guint round = 0; round < 2; round++)
      {
        g_autoptr(JsonNode) built = rw_eval_report_build (store, wider_id, &error);
        JsonArray *pairs;

        g_assert_no_error (error);
        pairs = json_object_get_array_member (json_node_get_object (built), "pairs");
        grader_total = human_wins = 0;
        for (guint i = 0; i < json_array_get_length (pairs); i++)
          {
            JsonObject *p = json_array_get_object_element (pairs, i);
            const char *source = json_object_get_string_member (p, "source");

            if (g_str_equal (source, "grader"))
              grader_total += json_object_get_int_member (p, "wins") +
                              json_object_get_int_member (p, "losses") +
                              json_object_get_int_member (p, "ties");
            else if (g_str_equal (source, "human"))
              {
                g_assert_cmpstr (json_object_get_string_member (p, "model_a"), ==,
                                 "recorded/gpt-4-1106-preview");
                human_wins += json_object_get_int_member (p, "wins");
              }
          }
        g_assert_cmpuint (grader_total, ==, 20);
        g_assert_cmpuint (human_wins, ==, round);
        if (round == 0)
          vote = rw_store_record_vote (store, parts[1], wider_id, "math", RW_VOTE_A, ids, NULL,
                                       "human");
      }
  }

  /* A second good answer of the first model to an item (which two processes resuming the same
   * run used to store) is refused by the database; the run goes on as before. */
  {
    g_autofree char *first_sql = g_strdup_printf (
      "SELECT prompt_id || ' ' || item_id FROM responses WHERE run_id = '%s' "
      "AND model = 'recorded/gpt-4-1106-preview' ORDER BY created_ms LIMIT 1",
      rw_eval_runner_get_run_id (wider));
    g_autofree char *first_answer = rw_test_db_text (db, first_sql);
    g_auto(GStrv) parts = g_strsplit (first_answer, " ", 2);
    g_autoptr(RwChatResult) second = rw_chat_result_new ("recorded/gpt-4-1106-preview");
    g_autofree char *dup = NULL;
    g_autoptr(RwEvalRunner) rerun = rw_eval_runner_new (catalog, store, suite, two, 1);
    g_autoptr(GError) dup_error = NULL;

    g_string_assign (second->text, "The answer is 42.");
    second->finish_reason = g_strdup ("stop");
    dup = rw_store_record_answer (store, &(RwAnswerRecord) {
            .run_id = rw_eval_runner_get_run_id (wider),
            .prompt_id = parts[0],
            .result = second,
            .item_id = parts[1],
            .task = "math",
          });
    g_assert_false (rw_store_flush (store, &dup_error));
    g_assert_nonnull (strstr (dup_error->message, "UNIQUE constraint failed"));
    g_assert_true (rw_eval_runner_prepare (rerun, NULL, NULL));
    g_assert_true (rw_eval_runner_is_resumed (rerun));
    g_assert_cmpstr (run_to_end (rerun), ==, "done");
    g_assert_cmpuint (rw_eval_runner_get_n_comparisons (rerun), ==, 0);
  }

  rw_store_close (store);
}

/* A fresh run's report, made as it stores: answers, failures, several graders an answer,
 * repetitions, two tasks, comparisons, and a question stored long before under another task.
 * A resumed run has rows it did not store itself, so its report is read back instead. */
static void
test_report_as_stored (void)
{
  static const char * const right[] = { "The answer is ", "#### 18", NULL };
  static const char * const wrong[] = { "#### 7", NULL };
  RwMockUpstream *mock = rw_mock_upstream_new ();
  g_autofree char *url = rw_mock_upstream_dup_base_url (mock);
  g_autofree char *json = NULL;
  g_autoptr(RwTestStore) tmp = rw_test_store_new ();
  const char *db = tmp->path;
  g_autoptr(RwCatalog) catalog = rw_catalog_new ();
  RwStore *store = tmp->store;
  g_autoptr(RwSuite) suite = NULL;
  g_autoptr(RwEvalRunner) runner = NULL;
  g_autoptr(RwEvalRunner) again = NULL;
  g_autoptr(JsonNode) report = NULL;
  g_autoptr(RwChatRequest) earlier = rw_chat_request_new_for_prompt ("q1: what is 3 times 6?");
  const char *ids[] = { "mock/right", "mock/wrong", "mock/flaky", NULL };
  g_autoptr(GPtrArray) models = NULL;
  g_autoptr(GString) items = g_string_new (NULL);
  JsonArray *rows;
  RwMockReply *refused;
  gboolean filed = FALSE;

  json = g_strdup_printf ("{\"providers\": [{\"id\": \"mock\", \"kind\": \"openai\", \"base_url\": \"%s\"}],"
                          " \"models\": [{\"id\": \"mock/right\", \"provider\": \"mock\", \"name\": \"right\","
                          "   \"input_price\": 0.3, \"output_price\": 0.7},"
                          "  {\"id\": \"mock/wrong\", \"provider\": \"mock\", \"name\": \"wrong\","
                          "   \"input_price\": 0.1, \"output_price\": 0.2},"
                          "  {\"id\": \"mock/flaky\", \"provider\": \"mock\", \"name\": \"flaky\"}]}", url);
  g_assert_true (rw_catalog_load_data (catalog, "t", json, -1, NULL));
  rw_mock_upstream_set_default (mock, "right", rw_mock_reply_new_stream (right, 5, 3, TRUE));
  rw_mock_upstream_set_default (mock, "wrong", rw_mock_reply_new_stream (wrong, 5, 3, TRUE));
  rw_mock_upstream_set_default (mock, "flaky", rw_mock_reply_new_stream (right, 5, 3, TRUE));
  /* The flaky model's answers to q2 are refused, which is never retried: two failures. */
  for (guint i = 0; i < 2; i++)
    {
      refused = rw_mock_reply_new_json (400, "{\"error\": {\"message\": \"no\", \"type\": \"invalid_request_error\"}}");
      refused->match = g_strdup ("q2:");
      rw_mock_upstream_push (mock, "flaky", refused);
    }
  for (guint i = 1; i <= 4; i++)
    g_string_append_printf (items, "{\"id\": \"%u\", \"task\": \"%s\", \"prompt\": \"q%u: what is 3 times 6?\", "
                            "\"reference\": \"18\", \"graders\": [{\"type\": \"numeric\"}, "
                            "{\"type\": \"contains\", \"value\": \"answer\"}, "
                            "{\"type\": \"length\", \"max\": 12}]}\n",
                            i, i % 2 ? "math" : "arithmetic", i);
  /* q1 was asked long ago with no suite, and filed under another task. */
  rw_chat_request_set_task (earlier, "chitchat");
  g_free (rw_store_record_prompt (store, earlier));
  g_assert_true (rw_store_flush (store, NULL));

  suite = rw_suite_new_from_data ("r.jsonl", "jsonl", items->str, items->len, NULL);
  g_assert_nonnull (suite);
  models = models_for (catalog, ids);
  runner = rw_eval_runner_new (catalog, store, suite, models, 2);
  g_assert_null (rw_eval_runner_build_report (runner));
  g_assert_true (rw_eval_runner_prepare (runner, NULL, NULL));
  g_assert_cmpstr (run_to_end (runner), ==, "partial");
  g_assert_cmpuint (rw_eval_runner_get_n_failed (runner), ==, 2);
  g_assert_cmpint (rw_test_db_int (db, "SELECT count(*) FROM responses WHERE status = 'error'"), ==, 2);
  g_assert_cmpint (rw_test_db_int (db, "SELECT count(*) FROM grades"), ==, 22 * 3);
  assert_report_as_stored (runner, store);

  /* Every answer is filed under its item's task, q1's too. */
  report = rw_eval_runner_build_report (runner);
  rows = json_object_get_array_member (json_node_get_object (report), "rows");
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *row = json_array_get_object_element (rows, i);
      const char *task = json_object_get_string_member (row, "task");

      g_assert_cmpstr (task, !=, "chitchat");
      if (g_str_equal (task, "math") && g_str_equal (json_object_get_string_member (row, "model"), "mock/right"))
        {
          g_assert_cmpint (json_object_get_int_member (row, "n"), ==, 4);
          g_assert_cmpint (json_object_get_int_member (row, "passed"), ==, 0);
          filed = TRUE;
        }
    }
  g_assert_true (filed);

  /* An answer stored before answers had a task of their own is filed under its prompt's. */
  {
    sqlite3 *handle = NULL;
    g_autoptr(JsonNode) read_back = NULL;
    g_autofree char *text = NULL;

    g_assert_cmpint (sqlite3_open (db, &handle), ==, SQLITE_OK);
    sqlite3_busy_timeout (handle, 5000);
    g_assert_cmpint (sqlite3_exec (handle, "UPDATE responses SET task = NULL WHERE prompt_id = "
                                           "(SELECT id FROM prompts WHERE task = 'chitchat')",
                                   NULL, NULL, NULL), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_changes (handle), ==, 6);
    sqlite3_close (handle);
    read_back = rw_eval_report_build (store, rw_eval_runner_get_run_id (runner), NULL);
    text = rw_json_to_string (read_back, FALSE);
    g_assert_nonnull (strstr (text, "\"task\":\"chitchat\",\"n\":2,"));
  }

  /* Run again: it resumes (the failures are asked again), and reads its report back. */
  again = rw_eval_runner_new (catalog, store, suite, models, 2);
  g_assert_true (rw_eval_runner_prepare (again, NULL, NULL));
  g_assert_true (rw_eval_runner_is_resumed (again));
  g_assert_cmpstr (run_to_end (again), ==, "done");
  g_assert_null (rw_eval_runner_build_report (again));

  rw_store_close (store);
  rw_mock_upstream_free (mock);
}

static void
done_error_cb (GObject      *object,
               GAsyncResult *res,
               gpointer      user_data)
{
  GError **error = user_data;
  const char *status = rw_eval_runner_run_finish (RW_EVAL_RUNNER (object), res, error);

  g_assert_true ((status == NULL) == (*error != NULL));
  if (*error == NULL)
    g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_EXISTS, status);
}

/* A write that fails in the middle of a run (here a trigger stands for a full disk) undoes the
 * whole answer it belonged to: no answer is ever stored without its grades, the run says it is
 * not complete, and running it again asks exactly what is missing. */
static void
test_failed_write (void)
{
  static const char * const right[] = { "#### 18", NULL };
  static const char * const wrong[] = { "#### 7", NULL };
  RwMockUpstream *mock = rw_mock_upstream_new ();
  g_autofree char *url = rw_mock_upstream_dup_base_url (mock);
  g_autofree char *json = NULL;
  g_autoptr(RwTestStore) tmp = rw_test_store_new ();
  const char *db = tmp->path;
  g_autoptr(RwCatalog) catalog = rw_catalog_new ();
  RwStore *store = tmp->store;
  g_autoptr(RwSuite) suite = NULL;
  g_autoptr(RwEvalRunner) runner = NULL;
  g_autoptr(RwEvalRunner) again = NULL;
  g_autoptr(GError) error = NULL;
  const char *ids[] = { "mock/right", "mock/wrong", NULL };
  g_autoptr(GPtrArray) models = NULL;
  g_autoptr(GString) items = g_string_new (NULL);
  sqlite3 *handle = NULL;
  gint64 right_stored, wrong_sent;

  json = g_strdup_printf ("{\"providers\": [{\"id\": \"mock\", \"kind\": \"openai\", \"base_url\": \"%s\"}],"
                          " \"models\": [{\"id\": \"mock/right\", \"provider\": \"mock\", \"name\": \"right\"},"
                          "  {\"id\": \"mock/wrong\", \"provider\": \"mock\", \"name\": \"wrong\"}]}", url);
  g_assert_true (rw_catalog_load_data (catalog, "t", json, -1, NULL));
  rw_mock_upstream_set_default (mock, "right", rw_mock_reply_new_stream (right, 5, 3, TRUE));
  rw_mock_upstream_set_default (mock, "wrong", rw_mock_reply_new_stream (wrong, 5, 3, TRUE));
  for (guint i = 0; i < 6; i++)
    g_string_append_printf (items, "{\"id\": \"%u\", \"task\": \"math\", \"prompt\": \"q%u\", "
                            "\"reference\": 18}\n", i, i);
  suite = rw_suite_new_from_data ("f.jsonl", "jsonl", items->str, items->len, NULL);
  models = models_for (catalog, ids);

  g_assert_cmpint (sqlite3_open (db, &handle), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (handle, "CREATE TRIGGER full_disk BEFORE INSERT ON grades "
                                         "WHEN NEW.detail LIKE 'final number 7,%' "
                                         "BEGIN SELECT RAISE (ABORT, 'database or disk is full'); END",
                                 NULL, NULL, NULL), ==, SQLITE_OK);

  runner = rw_eval_runner_new (catalog, store, suite, models, 1);
  g_assert_true (rw_eval_runner_prepare (runner, NULL, NULL));
  rw_eval_runner_run_async (runner, NULL, done_error_cb, &error);
  while (error == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (error, RW_ERROR, RW_ERROR_STORE);
  g_assert_nonnull (strstr (error->message, "database or disk is full"));
  g_assert_null (rw_eval_runner_build_report (runner));
  g_clear_error (&error);

  /* The wrong model's answers went with their grades; the right model's are whole. Sending
   * stopped once a write failed: each answer after it would have been paid for and lost. */
  g_assert_cmpint (rw_test_db_int (db, "SELECT count(*) FROM responses WHERE model = 'mock/wrong'"), ==, 0);
  right_stored = rw_test_db_int (db, "SELECT count(*) FROM responses WHERE model = 'mock/right'");
  wrong_sent = rw_mock_upstream_count (mock, "wrong");
  g_assert_cmpint (right_stored, ==, rw_mock_upstream_count (mock, "right"));
  g_assert_cmpint (wrong_sent, >=, 1);
  g_assert_cmpint (wrong_sent, <=, 6);
  g_assert_cmpint (rw_test_db_int (db, "SELECT count(*) FROM responses r WHERE NOT EXISTS "
                                    "(SELECT 1 FROM grades g WHERE g.response_id = r.id)"), ==, 0);

  /* With room again, running the same asks only what is missing and compares every pair. */
  g_assert_cmpint (sqlite3_exec (handle, "DROP TRIGGER full_disk", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (handle);
  again = rw_eval_runner_new (catalog, store, suite, models, 1);
  g_assert_true (rw_eval_runner_prepare (again, NULL, NULL));
  g_assert_true (rw_eval_runner_is_resumed (again));
  g_assert_cmpuint (rw_eval_runner_get_n_done (again), ==, right_stored);
  g_assert_cmpstr (run_to_end (again), ==, "done");
  g_assert_cmpuint (rw_mock_upstream_count (mock, "right"), ==, 6);
  g_assert_cmpuint (rw_mock_upstream_count (mock, "wrong"), ==, wrong_sent + 6);
  g_assert_cmpint (rw_test_db_int (db, "SELECT count(*) FROM responses r JOIN grades g "
                                    "ON g.response_id = r.id"), ==, 12);
  g_assert_cmpint (rw_test_db_int (db, "SELECT count(*) FROM votes WHERE source = 'grader' "
                                    "AND outcome = 'a'"), ==, 6);
  rw_store_close (store);
  rw_mock_upstream_free (mock);
}

/* A budget too small for the whole run stops it before it is broken; a rerun with a larger
 * budget continues. */
static void
test_budget (void)
{
  g_autoptr(RwTestStore) tmp = rw_test_store_new ();
  g_autoptr(RwCatalog) catalog = rw_catalog_new ();
  RwStore *store = tmp->store;
  g_autoptr(RwSuite) suite = gsm8k_slice (10);
  const char *gpt4[] = { "recorded/gpt-4-1106-preview", NULL };
  g_autoptr(GPtrArray) models = NULL;
  g_autoptr(RwEvalRunner) tight = NULL;
  g_autoptr(RwEvalRunner) more = NULL;
  double one_item;

  g_assert_true (rw_catalog_load_defaults (catalog, NULL));
  g_assert_true (rw_catalog_load_data (catalog, "t", "{\"providers\": [{\"id\": \"recorded\", "
                                       "\"kind\": \"recorded\", \"speed\": 0}]}", -1, NULL));
  models = models_for (catalog, gpt4);
  tight = rw_eval_runner_new (catalog, store, suite, models, 1);
  rw_eval_runner_set_concurrency (tight, 1);
  g_assert_true (rw_eval_runner_prepare (tight, NULL, NULL));
  one_item = rw_eval_runner_get_estimate (tight) / 10;
  rw_eval_runner_set_budget (tight, one_item * 1.5);
  g_assert_cmpstr (run_to_end (tight), ==, "stopped");
  g_assert_cmpuint (rw_eval_runner_get_n_done (tight), <, 10);
  g_assert_cmpfloat (rw_eval_runner_get_spent (tight), <=, one_item * 1.5);

  more = rw_eval_runner_new (catalog, store, suite, models, 1);
  g_assert_true (rw_eval_runner_prepare (more, NULL, NULL));
  g_assert_true (rw_eval_runner_is_resumed (more));
  g_assert_cmpstr (run_to_end (more), ==, "done");
  g_assert_cmpuint (rw_eval_runner_get_n_done (more), ==, 10);
}

/* ---------------------------------------------------------------------- killed and resumed */

typedef struct
{
  char *dir;
  char *config;
  char *data;
  char *suite;
} Env;

static void
env_init (Env            *env,
          RwMockUpstream *mock)
{
  g_autofree char *url = rw_mock_upstream_dup_base_url (mock);
  g_autofree char *providers = NULL;
  g_autofree char *path = NULL;
  g_autoptr(RwSuite) suite = gsm8k_slice (12);
  g_autoptr(GString) text = g_string_new (NULL);

  env->dir = rw_test_make_tmpdir ();
  env->config = g_build_filename (env->dir, "config", NULL);
  env->data = g_build_filename (env->dir, "data", NULL);
  g_mkdir_with_parents (env->config, 0700);
  providers = g_strdup_printf ("{\"providers\": [{\"id\": \"mock\", \"kind\": \"openai\", \"base_url\": \"%s\"}],"
                               " \"models\": [{\"id\": \"mock/m\", \"provider\": \"mock\", \"name\": \"m\","
                               " \"input_price\": 1, \"output_price\": 1}]}", url);
  path = g_build_filename (env->config, "providers.json", NULL);
  g_assert_true (g_file_set_contents (path, providers, -1, NULL));
  for (guint i = 0; i < rw_suite_get_n_items (suite); i++)
    g_string_append_printf (text, "{\"id\": \"q%u\", \"task\": \"math\", \"prompt\": \"question %u\", "
                                  "\"reference\": \"%u\"}\n", i, i, i % 2 ? 18 : 7);
  env->suite = g_build_filename (env->dir, "suite.jsonl", NULL);
  g_assert_true (g_file_set_contents (env->suite, text->str, -1, NULL));
}

static void
env_clear (Env *env)
{
  rw_test_rmtree (env->dir);
  g_free (env->dir);
  g_free (env->config);
  g_free (env->data);
  g_free (env->suite);
}

static GSubprocess *
spawn_eval (Env        *env,
            const char *format)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_autoptr(GError) error = NULL;
  GSubprocess *proc;

  g_subprocess_launcher_setenv (launcher, "ROUTEWISE_CONFIG_DIR", env->config, TRUE);
  g_subprocess_launcher_setenv (launcher, "ROUTEWISE_DATA_DIR", env->data, TRUE);
  proc = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("ROUTEWISE_CLI"), "eval", "run",
                                      env->suite, "-m", "mock/m", "-j", "2",
                                      format ? "--json" : "--concurrency=2", NULL);
  g_assert_no_error (error);
  return proc;
}

static JsonNode *
report_rows (const char *out)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root;

  g_assert_true (json_parser_load_from_data (parser, out, -1, NULL));
  root = json_node_get_object (json_parser_get_root (parser));
  return json_node_copy (json_object_get_member (root, "rows"));
}

static void
assert_same_outcomes (JsonNode *a,
                      JsonNode *b)
{
  JsonArray *x = json_node_get_array (a), *y = json_node_get_array (b);

  g_assert_cmpuint (json_array_get_length (x), ==, json_array_get_length (y));
  for (guint i = 0; i < json_array_get_length (x); i++)
    {
      JsonObject *r = json_array_get_object_element (x, i), *s = json_array_get_object_element (y, i);
      static const char * const keys[] = { "n", "passed", "failed" };

      g_assert_cmpstr (json_object_get_string_member (r, "model"), ==, json_object_get_string_member (s, "model"));
      g_assert_cmpstr (json_object_get_string_member (r, "task"), ==, json_object_get_string_member (s, "task"));
      for (guint k = 0; k < G_N_ELEMENTS (keys); k++)
        g_assert_cmpint (json_object_get_int_member (r, keys[k]), ==, json_object_get_int_member (s, keys[k]));
      g_assert_cmpfloat (json_object_get_double_member (r, "pass_rate"), ==,
                         json_object_get_double_member (s, "pass_rate"));
      g_assert_cmpfloat (json_object_get_double_member (r, "cost_usd"), ==,
                         json_object_get_double_member (s, "cost_usd"));
    }
}

static void
test_killed_and_resumed (void)
{
  static const char * const eighteen[] = { "The answer is ", "18", ".", NULL };
  RwMockUpstream *mock = rw_mock_upstream_new ();
  RwMockReply *slow = rw_mock_reply_new_stream (eighteen, 10, 5, TRUE);
  g_autoptr(GSubprocess) killed = NULL;
  g_autoptr(GSubprocess) resumed = NULL;
  g_autoptr(GSubprocess) straight = NULL;
  g_autoptr(JsonNode) resumed_rows = NULL;
  g_autoptr(JsonNode) straight_rows = NULL;
  g_autofree char *out = NULL;
  g_autofree char *db = NULL;
  g_autoptr(GError) error = NULL;
  Env env = { 0 }, clean = { 0 };
  guint asked_before;
  gint64 stored_before;

  /* Each answer takes a while, so that the kill lands with answers in flight. */
  slow->chunk_size = 40;
  slow->chunk_delay_ms = 20;
  rw_mock_upstream_set_default (mock, "m", slow);
  env_init (&env, mock);

  killed = spawn_eval (&env, NULL);
  rw_mock_upstream_wait_requests (mock, "m", 6);
  g_subprocess_force_exit (killed);
  g_assert_true (g_subprocess_wait (killed, NULL, NULL));
  g_assert_true (g_subprocess_get_if_signaled (killed));
  asked_before = rw_mock_upstream_count (mock, "m");
  db = g_build_filename (env.data, "routewise.db", NULL);
  stored_before = rw_test_db_int (db, "SELECT count(*) FROM responses WHERE status = 'ok'");

  /* The same command again finishes the run. */
  resumed = spawn_eval (&env, "json");
  g_subprocess_communicate_utf8 (resumed, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (g_subprocess_get_exit_status (resumed), ==, 0);
  resumed_rows = report_rows (out);

  /* Every item answered exactly once; nothing stored before the kill was asked again. */
  g_assert_cmpint (rw_test_db_int (db, "SELECT count(*) FROM responses WHERE status = 'ok'"), ==, 12);
  g_assert_cmpint (rw_test_db_int (db, "SELECT count(DISTINCT item_id) FROM responses WHERE status = 'ok'"), ==, 12);
  g_assert_cmpint (rw_test_db_int (db, "SELECT count(*) FROM runs WHERE kind = 'eval'"), ==, 1);
  /* Exactly the answers not stored at the kill were asked again: those in flight, and one
   * that had arrived but was not yet committed when the kill landed. */
  g_test_message ("asked %u before the kill; %" G_GINT64_FORMAT " answers had been stored",
                  asked_before, stored_before);
  g_assert_cmpint (stored_before, >=, 1);
  g_assert_cmpint (rw_mock_upstream_count (mock, "m"), ==, asked_before + (12 - stored_before));

  /* The same report as a run that was never interrupted. */
  env_init (&clean, mock);
  straight = spawn_eval (&clean, "json");
  g_clear_pointer (&out, g_free);
  g_subprocess_communicate_utf8 (straight, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  /* This run's answers all come from the cache of its own, fresh database: none. */
  straight_rows = report_rows (out);
  assert_same_outcomes (resumed_rows, straight_rows);

  env_clear (&env);
  env_clear (&clean);
  rw_mock_upstream_free (mock);
}

/* With a judge, every pair is also judged in both orders; a judge that always prefers the
 * first position gives ties, stored as judge outcomes beside the graders' wins. */
static void
test_judged_pairs (void)
{
  static const char * const right[] = { "#### 18", NULL };
  static const char * const wrong[] = { "#### 7", NULL };
  static const char * const biased[] = { "The first is better. [[A]]", NULL };
  RwMockUpstream *mock = rw_mock_upstream_new ();
  g_autofree char *url = rw_mock_upstream_dup_base_url (mock);
  g_autofree char *json = NULL;
  g_autoptr(RwTestStore) tmp = rw_test_store_new ();
  const char *db = tmp->path;
  g_autoptr(RwCatalog) catalog = rw_catalog_new ();
  RwStore *store = tmp->store;
  g_autoptr(RwSuite) suite = NULL;
  g_autoptr(RwEvalRunner) runner = NULL;
  const char *ids[] = { "mock/right", "mock/wrong", NULL };
  g_autoptr(GPtrArray) models = NULL;
  const char *items = "{\"id\": \"1\", \"task\": \"math\", \"prompt\": \"q1\", \"reference\": 18}\n"
                      "{\"id\": \"2\", \"task\": \"math\", \"prompt\": \"q2\", \"reference\": 18}\n";

  json = g_strdup_printf ("{\"providers\": [{\"id\": \"mock\", \"kind\": \"openai\", \"base_url\": \"%s\"}],"
                          " \"models\": [{\"id\": \"mock/right\", \"provider\": \"mock\", \"name\": \"right\"},"
                          "  {\"id\": \"mock/wrong\", \"provider\": \"mock\", \"name\": \"wrong\"},"
                          "  {\"id\": \"mock/judge\", \"provider\": \"mock\", \"name\": \"judge\"}]}", url);
  g_assert_true (rw_catalog_load_data (catalog, "t", json, -1, NULL));
  rw_mock_upstream_set_default (mock, "right", rw_mock_reply_new_stream (right, 5, 3, TRUE));
  rw_mock_upstream_set_default (mock, "wrong", rw_mock_reply_new_stream (wrong, 5, 3, TRUE));
  rw_mock_upstream_set_default (mock, "judge", rw_mock_reply_new_stream (biased, 50, 9, TRUE));
  suite = rw_suite_new_from_data ("j.jsonl", "jsonl", items, strlen (items), NULL);
  models = models_for (catalog, ids);
  runner = rw_eval_runner_new (catalog, store, suite, models, 1);
  rw_eval_runner_set_judge (runner, rw_catalog_lookup_model (catalog, "mock/judge"));
  g_assert_true (rw_eval_runner_prepare (runner, NULL, NULL));
  g_assert_cmpstr (run_to_end (runner), ==, "done");

  g_assert_cmpuint (rw_eval_runner_get_n_comparisons (runner), ==, 4);
  g_assert_cmpuint (rw_mock_upstream_count (mock, "judge"), ==, 4);
  assert_report_as_stored (runner, store);
  g_assert_cmpint (rw_test_db_int (db, "SELECT count(*) FROM votes WHERE source = 'grader' AND outcome = 'a'"), ==, 2);
  g_assert_cmpint (rw_test_db_int (db, "SELECT count(*) FROM votes WHERE source = 'judge' AND outcome = 'tie'"), ==, 2);
  rw_store_close (store);
  rw_mock_upstream_free (mock);
}

/* A promptfoo configuration against the mock upstream: written beside a fresh store (with
 * @files, name and contents in turn, beside it) and read as a suite, with a catalog of one
 * mock model for each name ("mock/NAME"). */
typedef struct
{
  RwMockUpstream *mock;
  RwTestStore *tmp;
  RwCatalog *catalog;
  RwSuite *suite;
} PromptfooRun;

static PromptfooRun *
promptfoo_run_new (const char         *yaml,
                   const char * const *names,
                   const char * const *files)
{
  PromptfooRun *r = g_new0 (PromptfooRun, 1);
  g_autofree char *url = NULL;
  g_autofree char *config = NULL;
  g_autoptr(GString) json = g_string_new (NULL);
  g_autoptr(GError) error = NULL;

  r->mock = rw_mock_upstream_new ();
  r->tmp = rw_test_store_new ();
  r->catalog = rw_catalog_new ();
  url = rw_mock_upstream_dup_base_url (r->mock);
  config = g_build_filename (r->tmp->dir, "promptfooconfig.yaml", NULL);
  g_assert_true (g_file_set_contents (config, yaml, -1, NULL));
  for (guint i = 0; files != NULL && files[i] != NULL; i += 2)
    {
      g_autofree char *path = g_build_filename (r->tmp->dir, files[i], NULL);
      g_assert_true (g_file_set_contents (path, files[i + 1], -1, NULL));
    }
  r->suite = rw_suite_new_from_file (config, &error);
  g_assert_no_error (error);
  g_string_append_printf (json, "{\"providers\": [{\"id\": \"mock\", \"kind\": \"openai\", "
                          "\"base_url\": \"%s\"}], \"models\": [", url);
  for (guint i = 0; names[i] != NULL; i++)
    g_string_append_printf (json, "%s{\"id\": \"mock/%s\", \"provider\": \"mock\", "
                            "\"name\": \"%s\"}", i ? ", " : "", names[i], names[i]);
  g_string_append (json, "]}");
  g_assert_true (rw_catalog_load_data (r->catalog, "t", json->str, -1, NULL));
  return r;
}

static void
promptfoo_run_free (PromptfooRun *r)
{
  rw_store_close (r->tmp->store);
  rw_mock_upstream_free (r->mock);
  g_object_unref (r->suite);
  g_object_unref (r->catalog);
  rw_test_store_free (r->tmp);
  g_free (r);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PromptfooRun, promptfoo_run_free)

/* A promptfoo configuration in YAML whose prompts and tests live in files beside it: the CSV's
 * llm-rubric cells become judge graders that the runner's judge rates once per answer, also
 * after a resume; without a judge model the run is refused before anything is sent. */
static void
test_promptfoo_yaml_judge (void)
{
  static const char * const right[] = { "It is #### 18", NULL };
  static const char * const wrong[] = { "#### 7", NULL };
  static const char * const rater[] = { "Good enough. Rating: [[8]]", NULL };
  static const char * const names[] = { "right", "wrong", "judge", NULL };
  static const char * const files[] = {
    "prompt.txt", "Solve: {{question}}\nEnd with #### and the number.\n",
    "tests.csv",
    "question,__expected1,__expected2,__metadata:task\n"
    "\"Twice 9, plus nothing?\",contains: 18,llm-rubric: shows the working,math\n"
    "\"9 + 9, with care?\",icontains: 18,\"llm-rubric: says 18, clearly\",\n",
    NULL,
  };
  g_autoptr(PromptfooRun) r = NULL;
  g_autoptr(RwEvalRunner) runner = NULL;
  g_autoptr(RwEvalRunner) again = NULL;
  g_autoptr(RwEvalRunner) unjudged = NULL;
  g_autoptr(GPtrArray) models = NULL;
  g_autoptr(GError) error = NULL;
  const char *ids[] = { "mock/right", "mock/wrong", NULL };
  RwMockUpstream *mock;
  RwCatalog *catalog;
  RwStore *store;
  RwSuite *suite;
  const char *db;
  RwSuiteItem *item;

  r = promptfoo_run_new (
    "# a promptfoo configuration\n"
    "description: arithmetic\n"
    "prompts:\n"
    "  - file://prompt.txt\n"
    "providers: [openai:gpt-4o-mini]\n"
    "defaultTest:\n"
    "  metadata: {task: math}\n"
    "  assert:\n"
    "    - type: not-contains\n"
    "      value: \"I cannot\"\n"
    "tests:\n"
    "  - file://tests.csv\n"
    "  - vars: {question: \"18 + 0?\"}\n"
    "    assert:\n"
    "      - type: llm-rubric\n"
    "        value: exact and brief\n"
    "        threshold: 0.9\n", names, files);
  mock = r->mock;
  catalog = r->catalog;
  store = r->tmp->store;
  suite = r->suite;
  db = r->tmp->path;

  g_assert_cmpuint (rw_suite_get_n_items (suite), ==, 3);
  /* The task from the CSV's metadata column, else from defaultTest's metadata. */
  g_assert_cmpstr (rw_suite_get_item (suite, 1)->task, ==, "math");
  item = rw_suite_get_item (suite, 0);
  g_assert_cmpstr (item->task, ==, "math");
  g_assert_cmpstr (rw_chat_request_get_last_user_text (item->request), ==,
                   "Solve: Twice 9, plus nothing?\nEnd with #### and the number.");
  g_assert_nonnull (rw_grader_get_judge_spec (item));
  g_assert_cmpstr (json_object_get_string_member (rw_grader_get_judge_spec (item), "rubric"), ==,
                   "shows the working");

  rw_mock_upstream_set_default (mock, "right", rw_mock_reply_new_stream (right, 5, 3, TRUE));
  rw_mock_upstream_set_default (mock, "wrong", rw_mock_reply_new_stream (wrong, 5, 3, TRUE));
  rw_mock_upstream_set_default (mock, "judge", rw_mock_reply_new_stream (rater, 50, 9, TRUE));
  models = models_for (catalog, ids);

  unjudged = rw_eval_runner_new (catalog, store, suite, models, 1);
  g_assert_false (rw_eval_runner_prepare (unjudged, NULL, &error));
  g_assert_error (error, RW_ERROR, RW_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "--judge"));
  g_clear_error (&error);
  g_assert_cmpuint (rw_mock_upstream_count (mock, "right"), ==, 0);

  runner = rw_eval_runner_new (catalog, store, suite, models, 1);
  rw_eval_runner_set_judge (runner, rw_catalog_lookup_model (catalog, "mock/judge"));
  rw_eval_runner_set_pairwise (runner, FALSE);
  g_assert_true (rw_eval_runner_prepare (runner, NULL, NULL));
  g_assert_cmpstr (run_to_end (runner), ==, "done");
  g_assert_cmpuint (rw_eval_runner_get_n_ratings (runner), ==, 6);
  g_assert_cmpuint (rw_mock_upstream_count (mock, "judge"), ==, 6);

  /* Rated 8: passes the default 7 (the CSV's items), fails the rubric's own 0.9 (the third). */
  g_assert_cmpint (rw_test_db_int (db, "SELECT count(*) FROM grades WHERE grader = 'judge' AND source = 'judge'"), ==, 6);
  g_assert_cmpint (rw_test_db_int (db, "SELECT count(*) FROM grades g JOIN responses r ON r.id = g.response_id "
                                       "WHERE g.grader = 'judge' AND g.pass = 1 AND r.item_id IN ('t0-p0', 't1-p0')"), ==, 4);
  g_assert_cmpint (rw_test_db_int (db, "SELECT count(*) FROM grades g JOIN responses r ON r.id = g.response_id "
                                       "WHERE g.grader = 'judge' AND g.pass = 0 AND r.item_id = 't2-p0'"), ==, 2);
  g_assert_cmpint (rw_test_db_int (db, "SELECT count(*) FROM grades WHERE grader = 'not-contains' AND pass = 1"), ==, 6);
  /* "wrong" fails contains 18 on the CSV's items: the graders' comparisons go to "right". */
  g_assert_cmpint (rw_test_db_int (db, "SELECT count(*) FROM votes WHERE source = 'grader' AND outcome = 'a'"), ==, 2);
  g_assert_cmpint (rw_test_db_int (db, "SELECT count(*) FROM votes WHERE source = 'judge'"), ==, 0);

  /* The same run again: nothing asked, nothing rated twice. */
  {
    guint judged = rw_mock_upstream_count (mock, "judge");
    again = rw_eval_runner_new (catalog, store, suite, models, 1);
    rw_eval_runner_set_judge (again, rw_catalog_lookup_model (catalog, "mock/judge"));
    rw_eval_runner_set_pairwise (again, FALSE);
    g_assert_true (rw_eval_runner_prepare (again, NULL, NULL));
    g_assert_true (rw_eval_runner_is_resumed (again));
    g_assert_cmpstr (run_to_end (again), ==, "done");
    g_assert_cmpuint (rw_eval_runner_get_n_ratings (again), ==, 0);
    g_assert_cmpuint (rw_mock_upstream_count (mock, "judge"), ==, judged);
    g_assert_cmpint (rw_test_db_int (db, "SELECT count(*) FROM grades WHERE grader = 'judge'"), ==, 6);
  }
}


/* A runner of @r's suite against @ids with the models given (any may be NULL), run to its end. */
static RwEvalRunner *
promptfoo_run_eval (PromptfooRun       *r,
                    const char * const *ids,
                    const char         *judge,
                    const char         *embedding,
                    const char         *moderation)
{
  g_autoptr(GPtrArray) models = models_for (r->catalog, ids);
  RwEvalRunner *runner = rw_eval_runner_new (r->catalog, r->tmp->store, r->suite, models, 1);

  if (judge != NULL)
    rw_eval_runner_set_judge (runner, rw_catalog_lookup_model (r->catalog, judge));
  if (embedding != NULL)
    rw_eval_runner_set_embedding_model (runner, rw_catalog_lookup_model (r->catalog, embedding));
  if (moderation != NULL)
    rw_eval_runner_set_moderation_model (runner, rw_catalog_lookup_model (r->catalog, moderation));
  rw_eval_runner_set_pairwise (runner, FALSE);
  g_assert_true (rw_eval_runner_prepare (runner, NULL, NULL));
  g_assert_cmpstr (run_to_end (runner), ==, "done");
  return runner;
}

static RwMockReply *
judge_reply (const char *match,
             const char *text)
{
  const char *pieces[] = { text, NULL };
  RwMockReply *reply = rw_mock_reply_new_stream (pieces, 50, 9, TRUE);

  reply->match = g_strdup (match);
  return reply;
}

/* promptfoo's model-graded assertions beside a rubric, each graded by the judge with promptfoo's
 * semantics and stored under its own name: factuality as one of five cases against the expert's
 * answer (a disagreement fails), model-graded-closedqa as Y or N against its criterion, "not-"
 * turning either around; a resumed run grades none of them twice. */
static void
test_promptfoo_model_graded (void)
{
  static const char * const right[] = { "The capital of France is Paris.", NULL };
  static const char * const wrong[] = { "The capital of France is Lyon.", NULL };
  static const char * const rater[] = { "Clear. Rating: [[8]]", NULL };
  static const char * const names[] = { "right", "wrong", "judge", NULL };
  static const char * const ids[] = { "mock/right", "mock/wrong", NULL };
  g_autoptr(PromptfooRun) r = NULL;
  g_autoptr(RwEvalRunner) runner = NULL;
  g_autoptr(RwEvalRunner) again = NULL;
  RwMockUpstream *mock;
  struct { const char *model; const char *grader; int pass; } want[] = {
    { "right", "judge", 1 }, { "right", "factuality", 1 }, { "right", "closedqa", 1 },
    { "right", "factuality 2", 0 }, { "right", "closedqa 2", 0 },
    { "wrong", "judge", 1 }, { "wrong", "factuality", 0 }, { "wrong", "closedqa", 0 },
    { "wrong", "factuality 2", 1 }, { "wrong", "closedqa 2", 1 },
  };

  r = promptfoo_run_new (
    "prompts: ['Which city is the capital of {{country}}?']\n"
    "providers: [openai:gpt-4o-mini]\n"
    "tests:\n"
    "  - vars: {country: France, capital: Paris}\n"
    "    assert:\n"
    "      - type: llm-rubric\n"
    "        value: answers in one sentence\n"
    "      - type: factuality\n"
    "        value: '{{capital}} is the capital of {{country}}'\n"
    "      - type: model-graded-closedqa\n"
    "        value: names {{capital}}\n"
    "      - type: not-factuality\n"
    "        value: '{{capital}} is the capital of {{country}}'\n"
    "      - type: not-model-graded-closedqa\n"
    "        value: names {{capital}}\n", names, NULL);
  mock = r->mock;
  g_assert_cmpuint (rw_suite_get_n_items (r->suite), ==, 1);
  {
    g_autoptr(GHashTable) judged = rw_grader_list_judged (rw_suite_get_item (r->suite, 0));
    JsonObject *f = g_hash_table_lookup (judged, "factuality");

    g_assert_cmpuint (g_hash_table_size (judged), ==, 5);
    g_assert_cmpstr (json_object_get_string_member (f, "value"), ==, "Paris is the capital of France");
    g_assert_true (json_object_get_boolean_member (g_hash_table_lookup (judged, "closedqa 2"), "not"));
  }

  rw_mock_upstream_set_default (mock, "right", rw_mock_reply_new_stream (right, 5, 3, TRUE));
  rw_mock_upstream_set_default (mock, "wrong", rw_mock_reply_new_stream (wrong, 5, 3, TRUE));
  /* The judge: a superset for Paris, a disagreement for Lyon; the criterion met by Paris. */
  rw_mock_upstream_add_rule (mock, "judge", judge_reply ("[Submitted answer]\\nThe capital of France is Paris",
                                                         "It adds nothing false.\n(B)"));
  rw_mock_upstream_add_rule (mock, "judge", judge_reply ("[Submitted answer]\\nThe capital of France is Lyon",
                                                         "Lyon is not the capital. (D)"));
  rw_mock_upstream_add_rule (mock, "judge", judge_reply ("[Submission]\\nThe capital of France is Paris",
                                                         "It names Paris.\nY\nY"));
  rw_mock_upstream_add_rule (mock, "judge", judge_reply ("[Submission]\\nThe capital of France is Lyon",
                                                         "It names Lyon.\nN\nN"));
  rw_mock_upstream_set_default (mock, "judge", rw_mock_reply_new_stream (rater, 50, 9, TRUE));

  runner = promptfoo_run_eval (r, ids, "mock/judge", NULL, NULL);
  g_assert_cmpuint (rw_eval_runner_get_n_ratings (runner), ==, 10);
  for (guint i = 0; i < G_N_ELEMENTS (want); i++)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT g.pass FROM grades g JOIN responses r ON r.id = g.response_id "
                                              "WHERE r.model = 'mock/%s' AND g.grader = '%s' AND g.source = 'judge'",
                                              want[i].model, want[i].grader);
      g_test_message ("%s %s", want[i].model, want[i].grader);
      g_assert_cmpint (rw_test_db_int (r->tmp->path, sql), ==, want[i].pass);
    }
  g_assert_cmpint (rw_test_db_int (r->tmp->path, "SELECT count(*) FROM grades WHERE detail LIKE '(D) in disagreement%'"),
                   ==, 2);

  /* Resumed: every grade is there, none is asked for again. */
  {
    guint judged = rw_mock_upstream_count (mock, "judge");

    again = promptfoo_run_eval (r, ids, "mock/judge", NULL, NULL);
    g_assert_cmpuint (rw_mock_upstream_count (mock, "judge"), ==, judged);
    g_assert_cmpint (rw_test_db_int (r->tmp->path, "SELECT count(*) FROM grades WHERE source = 'judge'"), ==, 10);
  }
}

/* promptfoo's RAG and comparison assertions, graded as promptfoo grades them: context-relevance
 * (the share of the context the judge quotes; a contextTransform made of the answer by node),
 * context-faithfulness (the judge's statements of the answer, then its verdict on each),
 * context-recall (the share of the expected answer's sentences attributed to the context),
 * answer-relevance (the judge's questions for the answer against the query, by embeddings),
 * g-eval (steps, then a score out of 10, averaged over the criteria) and select-best (one judge
 * call for every model's answer: the chosen one passes). Without the models they need, or with
 * one model for select-best, nothing is sent; a resumed run asks nothing again. */
static void
test_promptfoo_rag_graded (void)
{
  static const char * const right[] = { "The capital of France is Paris.", NULL };
  static const char * const wrong[] = { "The capital of France is Lyon.", NULL };
  static const struct { const char *match; const char *reply; } rules[] = {
    { "[Output 0]", "Output 0 names the capital. 0" },
    { "is one sentence\\n\\n[Evaluation steps]", "{\"score\": 10, \"reason\": \"One sentence.\"}" },
    { "[Reply]\\nThe capital of France is Paris", "Here: {\"score\": 9, \"reason\": \"Right city.\"}" },
    { "[Reply]\\nThe capital of France is Lyon", "{\"score\": \"2\", \"reason\": \"Wrong city.\"}" },
    { "[Criterion]\\n", "{\"steps\":[\"Find the city named\",\"Check it\"]}" },
    { "[Context]\\nCapital: Paris.", "Capital: Paris." },
    { "[Context]\\nCapital: Lyon.", "Insufficient Information" },
    { "[Query]\\n", "Paris is the capital of France." },
    { "[Statements]\\n1. The capital of France is Paris",
      "1. Stated. Verdict: Yes.\n2. Stated. Verdict: Yes.\n"
      "Final verdict for each statement in order: Yes. Yes." },
    { "[Statements]\\n1. The capital of France is Lyon",
      "1. The context names Paris. Verdict: No.\nFinal verdict for each statement in order: No." },
    { "[Question]\\nWhat is the capital of France?\\n\\n[Answer]\\nThe capital of France is Paris",
      "The capital of France is Paris.\nParis is a city in France." },
    { "[Question]\\nWhat is the capital of France?\\n\\n[Answer]\\nThe capital of France is Lyon",
      "The capital of France is Lyon." },
    { "[Answer]\\nThe capital of France is Paris.\"",
      "What is the capital of France?" },
    { "[Answer]\\nThe capital of France is Lyon.\"", "Which French city is known for silk?" },
    { "[Answer]\\nParis is the capital of France. It has",
      "1. Paris is the capital of France. Stated. [Attributed]\n"
      "2. It has 2 million people. Not stated. [Not Attributed]" },
  };
  static const char * const names[] = { "right", "wrong", "embed", "judge", NULL };
  static const char * const ids[] = { "mock/right", "mock/wrong", NULL };
  static const char * const first[] = { "mock/right", NULL };
  g_autoptr(PromptfooRun) r = NULL;
  g_autoptr(RwEvalRunner) runner = NULL;
  g_autoptr(RwEvalRunner) refused = NULL;
  g_autoptr(RwEvalRunner) again = NULL;
  g_autoptr(GPtrArray) models = NULL;
  g_autoptr(GPtrArray) one = NULL;
  g_autoptr(GError) error = NULL;
  RwMockUpstream *mock;
  RwCatalog *catalog;
  struct { const char *model; const char *grader; int pass; const char *detail; } want[] = {
    { "right", "context_relevance", 1, "context relevance 0.33 (passes at 0.3)%" },
    { "wrong", "context_relevance", 1, "context relevance 0.33 (passes at 0.3)%" },
    { "right", "context_relevance 2", 1, "context relevance 1.00 (passes at 0.5)%" },
    { "wrong", "context_relevance 2", 0, "context relevance 0.00 (passes at 0.5)%" },
    { "right", "context_faithfulness", 1, "faithfulness 1.00 (passes at 0.5)%" },
    { "wrong", "context_faithfulness", 0, "faithfulness 0.00 (passes at 0.5)%" },
    { "right", "context_recall", 0, "context recall 0.50 (passes at 0.6)%" },
    { "wrong", "context_recall", 0, "context recall 0.50 (passes at 0.6)%" },
    { "right", "answer_relevance", 1, "relevance 1.00 (passes at 0.7)%" },
    { "wrong", "answer_relevance", 0, "relevance 0.00 (passes at 0.7)%" },
    { "right", "geval", 1, "0.95 (passes at 0.7): 9/10: Right city.%10/10: One sentence." },
    { "wrong", "geval", 0, "0.60 (passes at 0.7): 2/10: Wrong city.%10/10: One sentence." },
    { "right", "select_best", 1, "chosen as the best of 2 (names the capital correctly)%" },
    { "wrong", "select_best", 0, "not chosen as the best of 2%" },
  };

  r = promptfoo_run_new (
    "prompts: ['Answer in one sentence: {{query}}']\n"
    "providers: [openai:gpt-4o-mini]\n"
    "tests:\n"
    "  - vars:\n"
    "      query: What is the capital of France?\n"
    "      context: Paris is the capital of France. It lies on the Seine. Lyon is a city in France.\n"
    "    assert:\n"
    "      - {type: context-relevance, threshold: 0.3}\n"
    "      - type: context-relevance\n"
    "        contextTransform: \"output.replace('The capital of France is ', 'Capital: ')\"\n"
    "        threshold: 0.5\n"
    "      - {type: context-faithfulness, threshold: 0.5}\n"
    "      - type: context-recall\n"
    "        value: Paris is the capital of France. It has 2 million people.\n"
    "        threshold: 0.6\n"
    "      - type: answer-relevance\n"
    "      - type: g-eval\n"
    "        value: [names the right city, is one sentence]\n"
    "      - {type: select-best, value: names the capital correctly}\n", names, NULL);
  mock = r->mock;
  catalog = r->catalog;
  g_assert_cmpuint (rw_suite_get_n_items (r->suite), ==, 1);
  rw_mock_upstream_set_default (mock, "right", rw_mock_reply_new_stream (right, 5, 3, TRUE));
  rw_mock_upstream_set_default (mock, "wrong", rw_mock_reply_new_stream (wrong, 5, 3, TRUE));
  for (guint i = 0; i < G_N_ELEMENTS (rules); i++)
    rw_mock_upstream_add_rule (mock, "judge", judge_reply (rules[i].match, rules[i].reply));
  /* The query and the judge's three questions: the same direction for Paris, apart for Lyon. */
  {
    RwMockReply *apart = rw_mock_reply_new_json (200,
      "{\"object\": \"list\", \"data\": [{\"index\": 0, \"embedding\": [1, 0]},"
      " {\"index\": 1, \"embedding\": [0, 1]}, {\"index\": 2, \"embedding\": [0, 2]},"
      " {\"index\": 3, \"embedding\": [0, 3]}]}");

    apart->match = g_strdup ("Which French city");
    rw_mock_upstream_add_rule (mock, "embed", apart);
    rw_mock_upstream_set_default (mock, "embed", rw_mock_reply_new_json (200,
      "{\"object\": \"list\", \"data\": [{\"index\": 0, \"embedding\": [1, 0]},"
      " {\"index\": 1, \"embedding\": [2, 0]}, {\"index\": 2, \"embedding\": [3, 0]},"
      " {\"index\": 3, \"embedding\": [4, 0]}]}"));
  }
  models = models_for (catalog, ids);
  one = models_for (catalog, first);

  /* Refused before anything is sent: no embedding model, then one model for select-best. */
  refused = rw_eval_runner_new (catalog, r->tmp->store, r->suite, models, 1);
  rw_eval_runner_set_judge (refused, rw_catalog_lookup_model (catalog, "mock/judge"));
  g_assert_false (rw_eval_runner_prepare (refused, NULL, &error));
  g_assert_nonnull (strstr (error->message, "--embedding-model"));
  g_clear_error (&error);
  g_clear_object (&refused);
  refused = rw_eval_runner_new (catalog, r->tmp->store, r->suite, one, 1);
  rw_eval_runner_set_judge (refused, rw_catalog_lookup_model (catalog, "mock/judge"));
  rw_eval_runner_set_embedding_model (refused, rw_catalog_lookup_model (catalog, "mock/embed"));
  g_assert_false (rw_eval_runner_prepare (refused, NULL, &error));
  g_assert_nonnull (strstr (error->message, "select-best"));
  g_clear_error (&error);
  g_assert_cmpuint (rw_mock_upstream_count (mock, "right"), ==, 0);

  runner = promptfoo_run_eval (r, ids, "mock/judge", "mock/embed", NULL);
  /* Per answer: 2 relevance, 2 faithfulness, 1 recall, 3 questions, 4 g-eval; 1 select-best. */
  g_assert_cmpuint (rw_mock_upstream_count (mock, "judge"), ==, 25);
  g_assert_cmpuint (rw_mock_upstream_count (mock, "embed"), ==, 2);
  g_assert_cmpuint (rw_eval_runner_get_n_ratings (runner), ==, 14);
  for (guint i = 0; i < G_N_ELEMENTS (want); i++)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT g.pass FROM grades g JOIN responses r ON r.id = g.response_id "
                                              "WHERE r.model = 'mock/%s' AND g.grader = '%s' AND g.source = 'judge' "
                                              "AND g.detail LIKE '%s'",
                                              want[i].model, want[i].grader, want[i].detail);
      g_test_message ("%s %s", want[i].model, want[i].grader);
      g_assert_cmpint (rw_test_db_int (r->tmp->path, sql), ==, want[i].pass);
    }

  /* Resumed: every grade is there, none is asked for again. */
  {
    guint judged = rw_mock_upstream_count (mock, "judge");

    again = promptfoo_run_eval (r, ids, "mock/judge", "mock/embed", NULL);
    g_assert_cmpuint (rw_mock_upstream_count (mock, "judge"), ==, judged);
    g_assert_cmpint (rw_test_db_int (r->tmp->path, "SELECT count(*) FROM grades WHERE source = 'judge'"), ==, 14);
  }
}

static JsonObject *
report_row (JsonNode   *report,
            const char *model,
            const char *task)
{
  JsonArray *rows = json_object_get_array_member (json_node_get_object (report), "rows");

  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *r = json_array_get_object_element (rows, i);
      if (g_str_equal (json_object_get_string_member (r, "model"), model) &&
          g_str_equal (json_object_get_string_member (r, "task"), task))
        return r;
    }
  g_error ("no row for %s, %s", model, task);
}

/* promptfoo's weight and metric: an answer's score is the weighted mean of its assertions'
 * scores (a pass still needs every assertion), and each metric is the weighted mean of the
 * assertions that name it, then each model's mean over its answers; the report `eval run`
 * prints and the one read back from the store agree, and the Markdown lists the metrics. */
static void
test_promptfoo_weights_and_metrics (void)
{
  static const char * const paris[] = { "The capital of France is Paris.", NULL };
  static const char * const berlin[] = { "Berlin.", NULL };
  static const char * const names[] = { "paris", "berlin", NULL };
  static const char * const ids[] = { "mock/paris", "mock/berlin", NULL };
  g_autoptr(PromptfooRun) r = NULL;
  g_autoptr(RwEvalRunner) runner = NULL;
  g_autoptr(JsonNode) report = NULL;
  g_autofree char *md = NULL;
  JsonObject *row, *metrics;

  r = promptfoo_run_new (
    "prompts: ['Name the capital of {{country}}.']\n"
    "providers: [openai:gpt-4o-mini]\n"
    "tests:\n"
    "  - vars: {country: France}\n"
    "    assert:\n"
    "      - {type: contains, value: Paris, weight: 3, metric: geography}\n"
    "      - {type: contains, value: France, metric: geography}\n"
    "      - {type: icontains, value: capital, weight: 2, metric: style}\n"
    "  - vars: {country: Germany}\n"
    "    assert:\n"
    "      - {type: contains, value: Berlin, metric: geography}\n", names, NULL);
  rw_mock_upstream_set_default (r->mock, "paris", rw_mock_reply_new_stream (paris, 5, 3, TRUE));
  rw_mock_upstream_set_default (r->mock, "berlin", rw_mock_reply_new_stream (berlin, 5, 3, TRUE));
  runner = promptfoo_run_eval (r, ids, NULL, NULL, NULL);
  assert_report_as_stored (runner, r->tmp->store);
  report = rw_eval_runner_build_report (runner);

  /* "paris": France scores (3x1 + 1x1 + 2x1) / 6 = 1 and passes; Germany 0 and fails. Its
   * geography: (3 + 1) / 4 = 1 on France, 0 on Germany, 0.5 over both; style 1. */
  row = report_row (report, "mock/paris", "all");
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (row, "mean_score"), 0.5, 1e-12);
  g_assert_cmpint (json_object_get_int_member (row, "passed"), ==, 1);
  metrics = json_object_get_object_member (row, "metrics");
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (metrics, "geography"), 0.5, 1e-12);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (metrics, "style"), 1, 1e-12);
  /* "berlin": France scores (0 + 0 + 0) / 6 = 0; Germany 1. Geography 0 then 1; style 0. */
  row = report_row (report, "mock/berlin", "all");
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (row, "mean_score"), 0.5, 1e-12);
  metrics = json_object_get_object_member (row, "metrics");
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (metrics, "geography"), 0.5, 1e-12);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (metrics, "style"), 0, 1e-12);
  /* Weights, as stored. */
  g_assert_cmpint (rw_test_db_int (r->tmp->path, "SELECT count(*) FROM grades WHERE weight = 3 AND metric = 'geography'"),
                   ==, 2);
  md = rw_eval_report_to_markdown (report);
  g_assert_nonnull (strstr (md, "## Metrics\n"));
  g_assert_nonnull (strstr (md, "| mock/paris | geography | 0.500 |"));
}

/* promptfoo's test threshold: a test with one passes when its weighted score reaches it, whatever
 * its assertions' verdicts (defaultTest's applies where a test has none of its own); a test
 * without one still needs every assertion. The live report and the stored one agree. */
static void
test_promptfoo_test_threshold (void)
{
  static const char * const paris[] = { "Paris.", NULL };
  static const char * const names[] = { "paris", NULL };
  static const char * const ids[] = { "mock/paris", NULL };
  g_autoptr(PromptfooRun) r = NULL;
  g_autoptr(RwEvalRunner) runner = NULL;
  g_autoptr(JsonNode) report = NULL;
  JsonObject *row;

  /* Each test's answer passes one assertion of two (weights 1 and 1, or 3 and 1). */
  r = promptfoo_run_new (
    "prompts: ['Name a capital ({{n}}).']\n"
    "providers: [openai:gpt-4o-mini]\n"
    "defaultTest: {threshold: 0.7}\n"
    "tests:\n"
    "  - vars: {n: 1}\n"
    "    threshold: 0.5\n"
    "    assert: [{type: contains, value: Paris}, {type: contains, value: Berlin}]\n"
    "  - vars: {n: 2}\n"
    "    threshold: 0.9\n"
    "    assert: [{type: contains, value: Paris}, {type: contains, value: Berlin}]\n"
    "  - vars: {n: 3}\n"
    "    assert: [{type: contains, value: Paris, weight: 3}, {type: contains, value: Berlin}]\n"
    "  - vars: {n: 4}\n"
    "    assert: [{type: contains, value: Paris}, {type: contains, value: Berlin}]\n", names, NULL);
  rw_mock_upstream_set_default (r->mock, "paris", rw_mock_reply_new_stream (paris, 5, 3, TRUE));
  runner = promptfoo_run_eval (r, ids, NULL, NULL, NULL);
  assert_report_as_stored (runner, r->tmp->store);
  report = rw_eval_runner_build_report (runner);
  /* 0.5 >= 0.5 passes; 0.5 < 0.9 fails; 0.75 >= 0.7 (defaultTest's) passes; 0.5 < 0.7 fails. */
  row = report_row (report, "mock/paris", "all");
  g_assert_cmpint (json_object_get_int_member (row, "passed"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (row, "ungraded"), ==, 0);
}

/* promptfoo's transforms, run by node as promptfoo runs them: a test's options.transform (or
 * defaultTest's) gives the output all of the test's assertions read, an assertion's own
 * transform the output that assertion alone reads (anything but text as JSON), and one that
 * fails fails its assertion and no other. */
static void
test_promptfoo_transforms (void)
{
  static const char * const paris[] = { "Paris.", NULL };
  static const char * const names[] = { "paris", "judge", NULL };
  static const char * const ids[] = { "mock/paris", NULL };
  g_autoptr(PromptfooRun) r = NULL;
  g_autoptr(RwEvalRunner) runner = NULL;
  const char *db;
  struct { const char *item; const char *grader; int pass; } want[] = {
    { "t0-p0", "exact", 1 }, { "t0-p0", "javascript", 1 }, { "t1-p0", "exact", 1 },
    /* The judge reads the test's output ("PARIS."), then the grader's own ("paris."). */
    { "t0-p0", "closedqa", 1 }, { "t0-p0", "closedqa 2", 0 },
  };

  r = promptfoo_run_new (
    "prompts: ['Name the capital of {{country}}.']\n"
    "providers: [openai:gpt-4o-mini]\n"
    "defaultTest:\n"
    "  options: {transform: \"output.replace('.', '!')\"}\n"
    "tests:\n"
    "  - vars: {country: France}\n"
    "    options: {transform: output.toUpperCase()}\n"
    "    assert:\n"
    "      - {type: equals, value: PARIS.}\n"
    "      - {type: equals, value: '6', transform: output.length}\n"
    "      - {type: contains, value: PARIS, transform: JSON.parse(output).city}\n"
    "      - {type: javascript, value: \"output === 'PARIS.' && context.vars.country === 'France'\"}\n"
    "      - {type: model-graded-closedqa, value: is loud}\n"
    "      - {type: model-graded-closedqa, value: is loud, transform: output.toLowerCase()}\n"
    "  - vars: {country: Germany}\n"
    "    assert:\n"
    "      - {type: equals, value: Paris!}\n", names, NULL);
  rw_mock_upstream_set_default (r->mock, "paris", rw_mock_reply_new_stream (paris, 5, 3, TRUE));
  rw_mock_upstream_add_rule (r->mock, "judge", judge_reply ("[Submission]\\nPARIS.", "Loud.\nY"));
  rw_mock_upstream_add_rule (r->mock, "judge", judge_reply ("[Submission]\\nparis.", "Quiet.\nN"));
  runner = promptfoo_run_eval (r, ids, "mock/judge", NULL, NULL);
  db = r->tmp->path;
  g_assert_cmpuint (rw_mock_upstream_count (r->mock, "judge"), ==, 2);
  for (guint i = 0; i < G_N_ELEMENTS (want); i++)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT min(g.pass) FROM grades g JOIN responses r ON r.id = g.response_id "
                                              "WHERE r.item_id = '%s' AND g.grader = '%s'",
                                              want[i].item, want[i].grader);
      g_test_message ("%s %s", want[i].item, want[i].grader);
      g_assert_cmpint (rw_test_db_int (db, sql), ==, want[i].pass);
    }
  /* The two equals of the first test pass ("PARIS." and the length, 6); the contains whose
   * transform throws fails, saying why. */
  g_assert_cmpint (rw_test_db_int (db, "SELECT count(*) FROM grades g JOIN responses r ON r.id = g.response_id "
                                              "WHERE r.item_id = 't0-p0' AND g.grader = 'exact' AND g.pass = 1"), ==, 2);
  g_assert_cmpint (rw_test_db_int (db, "SELECT count(*) FROM grades WHERE grader = 'contains' AND pass = 0 "
                                              "AND detail LIKE 'the transform failed: %JSON%'"), ==, 1);
  g_assert_cmpint (rw_test_db_int (db, "SELECT count(*) FROM grades"), ==, 7);
}

/* promptfoo's conversations: a test's output stored under a name (storeOutputAs, after its
 * transform) fills the vars of the tests after it, and a prompt that reads _conversation gets
 * the turns before it of its own conversation (conversationId); the turns go one after
 * another, each filled in when sent, and the prompt stored is the one sent. */
static void
test_promptfoo_conversation (void)
{
  static const char * const names[] = { "m", NULL };
  static const char * const ids[] = { "mock/m", NULL };
  static const char * const why[] = { "Because it is sweet.", NULL };
  static const char * const pick[] = { "Mango is my pick.", NULL };
  static const char * const hello[] = { "Hi there.", NULL };
  static const char * const quoted[] = { "He said \"no\".", NULL };
  static const char * const files[] = {
    "chat.json",
    "[\n"
    "  {% for turn in _conversation %}\n"
    "  {\"role\": \"user\", \"content\": \"{{ turn.input }}\"},\n"
    "  {\"role\": \"assistant\", \"content\": \"{{ turn.output }}\"},\n"
    "  {% endfor %}\n"
    "  {\"role\": \"user\", \"content\": \"{{ question }}\"}\n"
    "]\n",
    NULL
  };
  g_autoptr(PromptfooRun) r = NULL;
  g_autoptr(RwEvalRunner) runner = NULL;
  g_autoptr(GPtrArray) models = NULL;
  g_autofree char *second = NULL;
  g_autofree char *third = NULL;
  RwMockReply *reply;

  r = promptfoo_run_new (
    "prompts: [file://chat.json]\n"
    "providers: [openai:gpt-4o-mini]\n"
    "tests:\n"
    "  - vars: {question: Name a fruit.}\n"
    "    options: {storeOutputAs: fruit, transform: \"output.split(' ')[0]\"}\n"
    "    metadata: {conversationId: a}\n"
    "  - vars: {question: 'Why {{fruit}}?'}\n"
    "    metadata: {conversationId: a}\n"
    "    assert: [{type: contains, value: sweet}]\n"
    "  - vars: {question: Hello}\n"
    "    metadata: {conversationId: b}\n"
    "  - vars: {question: Quote me.}\n"
    "    metadata: {conversationId: c}\n"
    "  - vars: {question: And then?}\n"
    "    metadata: {conversationId: c}\n", names, files);
  /* Nothing of it is reported as what Routewise cannot grade or send. */
  {
    g_autoptr(JsonObject) unsupported = rw_suite_dup_unsupported (r->suite, NULL);
    g_assert_cmpuint (json_object_get_size (unsupported), ==, 0);
  }
  reply = rw_mock_reply_new_stream (why, 5, 3, TRUE);
  reply->match = g_strdup ("Why Mango?");
  rw_mock_upstream_add_rule (r->mock, "m", reply);
  reply = rw_mock_reply_new_stream (pick, 5, 3, TRUE);
  reply->match = g_strdup ("Name a fruit.");
  rw_mock_upstream_add_rule (r->mock, "m", reply);
  reply = rw_mock_reply_new_stream (quoted, 5, 3, TRUE);
  reply->match = g_strdup ("Quote me.");
  rw_mock_upstream_add_rule (r->mock, "m", reply);
  rw_mock_upstream_set_default (r->mock, "m", rw_mock_reply_new_stream (hello, 5, 3, TRUE));
  models = models_for (r->catalog, ids);
  runner = rw_eval_runner_new (r->catalog, r->tmp->store, r->suite, models, 1);
  g_assert_true (rw_eval_runner_prepare (runner, NULL, NULL));
  /* Partial: one turn could not be sent. */
  g_assert_cmpstr (run_to_end (runner), ==, "partial");

  /* The second turn: the first (its output as the transform left it), then the question
   * filled in with the stored output; the third, of another conversation, alone. */
  second = rw_test_db_text (r->tmp->path, "SELECT p.messages FROM responses r JOIN prompts p "
                                          "ON p.id = r.prompt_id WHERE r.item_id = 't1-p0'");
  g_assert_nonnull (second);
  g_assert_nonnull (strstr (second, "\"Name a fruit.\""));
  g_assert_nonnull (strstr (second, "\"assistant\",\"content\":\"Mango\""));
  g_assert_nonnull (strstr (second, "\"Why Mango?\""));
  third = rw_test_db_text (r->tmp->path, "SELECT p.messages FROM responses r JOIN prompts p "
                                         "ON p.id = r.prompt_id WHERE r.item_id = 't2-p0'");
  g_assert_nonnull (third);
  g_assert_null (strstr (third, "Mango"));
  g_assert_cmpint (rw_test_db_int (r->tmp->path, "SELECT g.pass FROM grades g JOIN responses r "
                                                 "ON r.id = g.response_id WHERE r.item_id = 't1-p0' "
                                                 "AND g.grader = 'contains'"), ==, 1);
  g_assert_cmpuint (rw_mock_upstream_count (r->mock, "m"), ==, 4);
  /* A turn that fills in as no chat (the answer before it quoted something, inside the JSON)
   * is not sent, and says why. */
  g_assert_cmpint (rw_test_db_int (r->tmp->path, "SELECT count(*) FROM responses WHERE item_id = 't4-p0' "
                                                 "AND status = 'error' AND error_message LIKE "
                                                 "'the turn filled in is not a chat%'"), ==, 1);

  /* Run again: resumed with every turn read back, nothing answered asked twice. */
  {
    g_autoptr(RwEvalRunner) again = rw_eval_runner_new (r->catalog, r->tmp->store, r->suite,
                                                        models, 1);

    g_assert_true (rw_eval_runner_prepare (again, NULL, NULL));
    g_assert_true (rw_eval_runner_is_resumed (again));
    g_assert_cmpstr (run_to_end (again), ==, "partial");
    g_assert_cmpuint (rw_mock_upstream_count (r->mock, "m"), ==, 4);
  }
}

/* What a judge's reply to each model-graded assertion comes to, as the grades read it. */
static void
test_judge_read_reply (void)
{
  static const struct
  {
    const char *spec;
    guint n;
    const char *reply;
    gboolean ok;
    double score;
    gboolean pass;
  } cases[] = {
    /* Three sentences of context, one quoted (numbered as a list): a third. */
    { "{\"type\":\"context_relevance\",\"context\":\"Paris is the capital. It is old. Lyon is big.\"}",
      0, "1. Paris is the capital.", TRUE, 1.0 / 3, TRUE },
    { "{\"type\":\"context_relevance\",\"context\":\"Paris is the capital. It is old.\",\"threshold\":0.5}",
      0, "Insufficient Information", TRUE, 0, FALSE },
    /* Nothing quoted from the context: a failing grade. */
    { "{\"type\":\"context_relevance\",\"context\":\"Paris is the capital.\"}",
      0, "Bananas are yellow.", TRUE, 0, FALSE },
    { "{\"type\":\"context_faithfulness\",\"threshold\":0.5}",
      2, "1. Verdict: Yes.\n2. Verdict: No.\nFinal verdict for each statement in order: Yes. No.",
      TRUE, 0.5, TRUE },
    /* A statement without a verdict counts as unsupported. */
    { "{\"type\":\"context_faithfulness\"}", 3, "Verdict: yes. Verdict: yes.", TRUE, 2.0 / 3, TRUE },
    { "{\"type\":\"context_faithfulness\"}", 2, "I cannot tell.", TRUE, 0, FALSE },
    { "{\"type\":\"context_recall\",\"threshold\":0.6}",
      0, "1. A. [Attributed]\n2. B. [Not Attributed]\n3. C. [attributed]", TRUE, 2.0 / 3, TRUE },
    { "{\"type\":\"geval\"}", 0, "Result: {\"score\": 8, \"reason\": \"fine\"}", TRUE, 0.8, TRUE },
    { "{\"type\":\"geval\"}", 0, "{\"score\": \"6\"}", TRUE, 0.6, FALSE },
    { "{\"type\":\"geval\"}", 0, "eight", FALSE, 0, FALSE },
    { "{\"type\":\"select_best\"}", 2, "The best is output 1.", TRUE, 1, TRUE },
    { "{\"type\":\"select_best\"}", 2, "Output 7", TRUE, -1, FALSE },
    { "{\"type\":\"factuality\"}", 0, "They disagree. (D)", TRUE, 0, FALSE },
    { "{\"type\":\"closedqa\"}", 0, "It does.\nY", TRUE, 1, TRUE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonNode) spec = rw_json_parse (cases[i].spec, strlen (cases[i].spec), NULL);
      g_autoptr(GError) error = NULL;
      g_autofree char *detail = NULL;
      double score = NAN;
      gboolean pass = FALSE;
      gboolean ok = rw_judge_read_reply (json_node_get_object (spec), cases[i].n, cases[i].reply,
                                         &score, &pass, &detail, &error);

      g_test_message ("%s: %s", cases[i].spec, cases[i].reply);
      g_assert_cmpint (ok, ==, cases[i].ok);
      if (!ok)
        continue;
      g_assert_cmpfloat_with_epsilon (score, cases[i].score, 1e-9);
      g_assert_cmpint (pass, ==, cases[i].pass);
    }
}

static RwMockReply *
embeddings_reply (const char *match,
                  const char *first,
                  const char *second)
{
  g_autofree char *body = g_strdup_printf ("{\"object\": \"list\", \"data\": ["
                                           "{\"object\": \"embedding\", \"index\": 1, \"embedding\": %s},"
                                           "{\"object\": \"embedding\", \"index\": 0, \"embedding\": %s}],"
                                           " \"model\": \"embed\"}", second, first);
  RwMockReply *reply = rw_mock_reply_new_json (200, body);

  reply->match = g_strdup (match);
  return reply;
}

/* promptfoo's similar: the cosine similarity of the embeddings of the answer and the value, by
 * the model named with --embedding-model (OpenAI's /v1/embeddings), passing at the threshold;
 * not-similar passes below it. Without an embedding model the run is refused before anything
 * is sent; a reply that is not embeddings fails the grade, not the run. */
static void
test_promptfoo_similar (void)
{
  static const char * const paris[] = { "Paris.", NULL };
  static const char * const lyon[] = { "Lyon.", NULL };
  static const char * const names[] = { "paris", "lyon", "embed", NULL };
  static const char * const ids[] = { "mock/paris", "mock/lyon", NULL };
  g_autoptr(PromptfooRun) r = NULL;
  g_autoptr(RwEvalRunner) runner = NULL;
  g_autoptr(RwEvalRunner) without = NULL;
  g_autoptr(GPtrArray) models = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *body = NULL;
  RwMockUpstream *mock;

  r = promptfoo_run_new (
    "prompts: ['Which city is the capital of {{country}}?']\n"
    "providers: [openai:gpt-4o-mini]\n"
    "tests:\n"
    "  - vars: {country: France}\n"
    "    assert:\n"
    "      - {type: similar, value: 'The capital is Paris', threshold: 0.8}\n"
    "      - {type: not-similar, value: 'The capital is Paris', threshold: 0.8}\n", names, NULL);
  mock = r->mock;
  rw_mock_upstream_set_default (mock, "paris", rw_mock_reply_new_stream (paris, 5, 3, TRUE));
  rw_mock_upstream_set_default (mock, "lyon", rw_mock_reply_new_stream (lyon, 5, 3, TRUE));
  /* Paris lies close to the value (0.995), Lyon far from it (0.0995). */
  rw_mock_upstream_add_rule (mock, "embed", embeddings_reply ("\"Paris.\"", "[1, 0]", "[1, 0.1]"));
  rw_mock_upstream_add_rule (mock, "embed", embeddings_reply ("\"Lyon.\"", "[0, 1]", "[1, 0.1]"));
  models = models_for (r->catalog, ids);

  without = rw_eval_runner_new (r->catalog, r->tmp->store, r->suite, models, 1);
  g_assert_false (rw_eval_runner_prepare (without, NULL, &error));
  g_assert_error (error, RW_ERROR, RW_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "--embedding-model"));
  g_clear_error (&error);
  g_assert_cmpuint (rw_mock_upstream_count (mock, "paris"), ==, 0);

  runner = promptfoo_run_eval (r, ids, NULL, "mock/embed", NULL);
  g_assert_cmpuint (rw_mock_upstream_count (mock, "embed"), ==, 4);
  body = rw_mock_upstream_dup_last_body (mock);
  g_assert_nonnull (strstr (body, "\"input\":["));
  g_assert_cmpint (rw_test_db_int (r->tmp->path, "SELECT g.pass FROM grades g JOIN responses r ON r.id = g.response_id "
                                              "WHERE r.model = 'mock/paris' AND g.grader = 'similar'"), ==, 1);
  g_assert_cmpint (rw_test_db_int (r->tmp->path, "SELECT g.pass FROM grades g JOIN responses r ON r.id = g.response_id "
                                              "WHERE r.model = 'mock/paris' AND g.grader = 'similar 2'"), ==, 0);
  g_assert_cmpint (rw_test_db_int (r->tmp->path, "SELECT g.pass FROM grades g JOIN responses r ON r.id = g.response_id "
                                              "WHERE r.model = 'mock/lyon' AND g.grader = 'similar'"), ==, 0);
  g_assert_cmpint (rw_test_db_int (r->tmp->path, "SELECT g.pass FROM grades g JOIN responses r ON r.id = g.response_id "
                                              "WHERE r.model = 'mock/lyon' AND g.grader = 'similar 2'"), ==, 1);
  g_assert_cmpint (rw_test_db_int (r->tmp->path, "SELECT count(*) FROM grades WHERE detail = 'similarity 0.995 (passes at 0.8)'"),
                   ==, 2);
}

/* promptfoo's moderation: by the model named with --moderation-model (OpenAI's /moderations),
 * an answer passes unless it is flagged, in one of the value's categories when it lists some;
 * not-moderation turns it around. Without the model the run is refused before anything is
 * sent; a reply that is not a moderation result fails the grade, not the run. */
static void
test_promptfoo_moderation (void)
{
  static const char * const calm[] = { "A calm answer.", NULL };
  static const char * const rude[] = { "A rude answer.", NULL };
  static const char * const names[] = { "calm", "rude", "mod", NULL };
  static const char * const ids[] = { "mock/calm", "mock/rude", NULL };
  g_autoptr(PromptfooRun) r = NULL;
  g_autoptr(RwEvalRunner) runner = NULL;
  g_autoptr(RwEvalRunner) without = NULL;
  g_autoptr(GPtrArray) models = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *body = NULL;
  RwMockUpstream *mock;
  RwMockReply *flagged;
  struct { const char *model; const char *grader; int pass; } want[] = {
    { "calm", "moderation", 1 }, { "calm", "moderation 2", 1 }, { "calm", "moderation 3", 0 },
    { "rude", "moderation", 0 }, { "rude", "moderation 2", 1 }, { "rude", "moderation 3", 1 },
  };

  r = promptfoo_run_new (
    "prompts: ['Answer {{who}}.']\n"
    "providers: [openai:gpt-4o-mini]\n"
    "tests:\n"
    "  - vars: {who: me}\n"
    "    assert:\n"
    "      - type: moderation\n"
    "      - {type: moderation, value: [violence, self-harm]}\n"
    "      - type: not-moderation\n", names, NULL);
  mock = r->mock;
  rw_mock_upstream_set_default (mock, "calm", rw_mock_reply_new_stream (calm, 5, 3, TRUE));
  rw_mock_upstream_set_default (mock, "rude", rw_mock_reply_new_stream (rude, 5, 3, TRUE));
  flagged = rw_mock_reply_new_json (200, "{\"id\": \"modr-1\", \"model\": \"mod\", \"results\": [{"
                                         "\"flagged\": true, \"categories\": {\"harassment\": true,"
                                         " \"violence\": false, \"self-harm\": null},"
                                         " \"category_scores\": {\"harassment\": 0.91}}]}");
  flagged->match = g_strdup ("rude");
  rw_mock_upstream_add_rule (mock, "mod", flagged);
  rw_mock_upstream_set_default (mock, "mod", rw_mock_reply_new_json (200,
    "{\"results\": [{\"flagged\": false, \"categories\": {\"harassment\": false, \"violence\": false}}]}"));
  models = models_for (r->catalog, ids);

  without = rw_eval_runner_new (r->catalog, r->tmp->store, r->suite, models, 1);
  g_assert_false (rw_eval_runner_prepare (without, NULL, &error));
  g_assert_error (error, RW_ERROR, RW_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "--moderation-model"));
  g_clear_error (&error);
  g_assert_cmpuint (rw_mock_upstream_count (mock, "calm"), ==, 0);

  runner = promptfoo_run_eval (r, ids, NULL, NULL, "mock/mod");
  g_assert_cmpuint (rw_mock_upstream_count (mock, "mod"), ==, 6);
  body = rw_mock_upstream_dup_last_body (mock);
  g_assert_nonnull (strstr (body, "\"input\":\"A "));
  for (guint i = 0; i < G_N_ELEMENTS (want); i++)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT g.pass FROM grades g JOIN responses r ON r.id = g.response_id "
                                              "WHERE r.model = 'mock/%s' AND g.grader = '%s'",
                                              want[i].model, want[i].grader);
      g_test_message ("%s %s", want[i].model, want[i].grader);
      g_assert_cmpint (rw_test_db_int (r->tmp->path, sql), ==, want[i].pass);
    }
  g_assert_cmpint (rw_test_db_int (r->tmp->path, "SELECT count(*) FROM grades WHERE detail = 'flagged by moderation: harassment'"),
                   ==, 2);
}

/* A provider's own limits hold whatever the run's concurrency: one request at a time, and at
 * most three in any window. */
static void
test_provider_limits (void)
{
  static const char * const answer[] = { "#### 18", NULL };
  RwMockUpstream *mock = rw_mock_upstream_new ();
  g_autofree char *url = rw_mock_upstream_dup_base_url (mock);
  g_autofree char *json = NULL;
  g_autoptr(RwTestStore) tmp = rw_test_store_new ();
  g_autoptr(RwCatalog) catalog = rw_catalog_new ();
  RwStore *store = tmp->store;
  g_autoptr(RwSuite) suite = NULL;
  g_autoptr(RwEvalRunner) runner = NULL;
  const char *ids[] = { "mock/m", NULL };
  g_autoptr(GPtrArray) models = NULL;
  g_autoptr(GString) items = g_string_new (NULL);
  RwMockReply *slow = rw_mock_reply_new_stream (answer, 5, 3, TRUE);
  gint64 start;

  json = g_strdup_printf ("{\"providers\": [{\"id\": \"mock\", \"kind\": \"openai\", \"base_url\": \"%s\","
                          "  \"max_concurrency\": 1, \"rpm\": 3}],"
                          " \"models\": [{\"id\": \"mock/m\", \"provider\": \"mock\", \"name\": \"m\"}]}", url);
  g_assert_true (rw_catalog_load_data (catalog, "t", json, -1, NULL));
  slow->chunk_size = 30;
  slow->chunk_delay_ms = 5;
  rw_mock_upstream_set_default (mock, "m", slow);
  for (guint i = 0; i < 6; i++)
    g_string_append_printf (items, "{\"id\": \"%u\", \"prompt\": \"q%u\", \"reference\": 18}\n", i, i);
  suite = rw_suite_new_from_data ("l.jsonl", "jsonl", items->str, items->len, NULL);
  models = models_for (catalog, ids);
  runner = rw_eval_runner_new (catalog, store, suite, models, 1);
  rw_eval_runner_set_concurrency (runner, 8);
  rw_eval_runner_set_rate_window (runner, 300);
  g_assert_true (rw_eval_runner_prepare (runner, NULL, NULL));
  start = g_get_monotonic_time ();
  g_assert_cmpstr (run_to_end (runner), ==, "done");

  g_assert_cmpuint (rw_eval_runner_get_n_done (runner), ==, 6);
  g_assert_cmpuint (rw_mock_upstream_get_max_active (mock), ==, 1);
  /* Six requests at three a window need more than one window. */
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 300 * 1000);
  rw_store_close (store);
  rw_mock_upstream_free (mock);
}

/* A real promptfoo result file is stored as a run: answers, their assertion outcomes as grades,
 * and the report follows from them. */
static void
test_promptfoo_results (void)
{
  g_autofree char *path = g_build_filename (g_getenv ("G_TEST_SRCDIR"), "data", "promptfoo-results.json", NULL);
  g_autoptr(RwTestStore) tmp = rw_test_store_new ();
  const char *db = tmp->path;
  RwStore *store = tmp->store;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *run_id = NULL;
  g_autoptr(JsonNode) report = NULL;
  JsonObject *all;
  guint n = 0;

  g_assert_true (json_parser_load_from_file (parser, path, &error));
  g_assert_true (rw_promptfoo_is_results (json_node_get_object (json_parser_get_root (parser))));
  /* Stopped: nothing more is read, the run says it was cancelled, and the file can be imported
   * whole after. */
  {
    g_autoptr(GCancellable) cancellable = g_cancellable_new ();

    g_cancellable_cancel (cancellable);
    g_assert_null (rw_promptfoo_import_results_cancellable (store,
                                                            json_node_get_object (json_parser_get_root (parser)),
                                                            "promptfoo-results.json", cancellable, &n,
                                                            &error));
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_clear_error (&error);
    g_assert_cmpuint (n, ==, 0);
    g_assert_cmpint (rw_test_db_int (db, "SELECT count(*) FROM runs WHERE status = 'cancelled'"), ==, 1);
    g_assert_cmpint (rw_test_db_int (db, "SELECT count(*) FROM responses"), ==, 0);
  }
  /* 257 answers to one test would make 32,896 comparisons of it: refused, nothing stored. */
  {
    g_autoptr(GString) many = g_string_new ("{\"evalId\": \"e\", \"results\": {\"version\": 3, \"results\": [");
    g_autoptr(JsonNode) node = NULL;

    for (guint i = 0; i < 257; i++)
      g_string_append_printf (many, "%s{\"testIdx\": 0, \"promptIdx\": 0, \"prompt\": {\"raw\": \"q\"},"
                              " \"provider\": {\"id\": \"p%u\"}, \"response\": {\"output\": \"a\"},"
                              " \"score\": 1, \"success\": true}", i ? ", " : "", i);
    g_string_append (many, "]}}");
    node = rw_json_parse (many->str, many->len, NULL);
    g_assert_true (rw_promptfoo_is_results (json_node_get_object (node)));
    g_assert_null (rw_promptfoo_import_results (store, json_node_get_object (node), "many.json", &n,
                                                &error));
    g_assert_error (error, RW_ERROR, RW_ERROR_CONFIG);
    g_assert_nonnull (strstr (error->message, "test t0-p0 has more than 256 answers"));
    g_clear_error (&error);
    g_assert_cmpint (rw_test_db_int (db, "SELECT count(*) FROM responses"), ==, 0);
  }
  run_id = rw_promptfoo_import_results (store, json_node_get_object (json_parser_get_root (parser)),
                                        "promptfoo-results.json", &n, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 4);
  g_assert_cmpint (rw_test_db_int (db, "SELECT count(*) FROM responses WHERE model = 'promptfoo/openai:chat:m1' "
                                       "AND text = 'The answer is 42.' AND tokens_out = 6"), ==, 4);
  g_assert_cmpint (rw_test_db_int (db, "SELECT count(*) FROM grades WHERE source = 'import'"), ==, 8);
  report = rw_eval_report_build (store, run_id, &error);
  g_assert_no_error (error);
  all = json_array_get_object_element (json_object_get_array_member (json_node_get_object (report), "rows"), 0);
  /* The first test passes both its assertions under both prompts; the second fails. */
  g_assert_cmpint (json_object_get_int_member (all, "n"), ==, 4);
  g_assert_cmpint (json_object_get_int_member (all, "passed"), ==, 2);
}

/* Two providers with one id and their own labels (one model, two settings) are two models, as
 * promptfoo shows them; a provider that answered a test twice is never compared with itself. */
static void
test_promptfoo_results_labels (void)
{
  static const char *results =
    "{\"evalId\": \"e\", \"results\": {\"version\": 3, \"results\": ["
    "{\"testIdx\": 0, \"promptIdx\": 0, \"prompt\": {\"raw\": \"q\"},"
    " \"provider\": {\"id\": \"openai:gpt-4o-mini\", \"label\": \"cold\"},"
    " \"response\": {\"output\": \"a\"}, \"score\": 1, \"success\": true},"
    "{\"testIdx\": 0, \"promptIdx\": 0, \"prompt\": {\"raw\": \"q\"},"
    " \"provider\": {\"id\": \"openai:gpt-4o-mini\", \"label\": \"hot\"},"
    " \"response\": {\"output\": \"b\"}, \"score\": 0, \"success\": false},"
    "{\"testIdx\": 0, \"promptIdx\": 0, \"prompt\": {\"raw\": \"q\"},"
    " \"provider\": {\"id\": \"openai:gpt-4o\", \"label\": \"\"},"
    " \"response\": {\"output\": \"c\"}, \"score\": 1, \"success\": true},"
    "{\"testIdx\": 0, \"promptIdx\": 0, \"prompt\": {\"raw\": \"q\"},"
    " \"provider\": {\"id\": \"openai:gpt-4o\", \"label\": \"\"},"
    " \"response\": {\"output\": \"d\"}, \"score\": 0, \"success\": false}]}}";
  g_autoptr(RwTestStore) tmp = rw_test_store_new ();
  g_autoptr(JsonNode) node = rw_json_parse (results, strlen (results), NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *run_id = NULL;
  guint n = 0;

  run_id = rw_promptfoo_import_results (tmp->store, json_node_get_object (node), "labels.json", &n,
                                        &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 4);
  g_assert_true (rw_store_flush (tmp->store, NULL));
  g_assert_cmpint (rw_test_db_int (tmp->path, "SELECT count(*) FROM responses WHERE model IN "
                                              "('promptfoo/cold', 'promptfoo/hot')"), ==, 2);
  g_assert_cmpint (rw_test_db_int (tmp->path, "SELECT count(*) FROM responses "
                                              "WHERE model = 'promptfoo/openai:gpt-4o'"), ==, 2);
  /* Sample 0: cold-hot, cold-gpt-4o, hot-gpt-4o; gpt-4o's second sample has no partner. */
  g_assert_cmpint (rw_test_db_int (tmp->path, "SELECT count(*) FROM votes"), ==, 3);
  g_assert_cmpint (rw_test_db_int (tmp->path,
                                   "SELECT count(*) FROM votes v JOIN responses a ON a.id = v.response_a "
                                   "JOIN responses b ON b.id = v.response_b WHERE a.model = b.model"),
                   ==, 0);
}

/* Once a model's circuit opens, the router tries it no more: each item left is stored as that
 * model's failure, with why, and nothing is lost (D: 45 of 48 answers lost on a closed port). */
static void
test_circuit_open (void)
{
  RwMockUpstream *mock = rw_mock_upstream_new ();
  g_autofree char *url = rw_mock_upstream_dup_base_url (mock);
  g_autofree char *json = NULL;
  g_autoptr(RwTestStore) tmp = rw_test_store_new ();
  g_autoptr(RwCatalog) catalog = rw_catalog_new ();
  g_autoptr(RwSuite) suite = NULL;
  g_autoptr(RwEvalRunner) runner = NULL;
  g_autoptr(GString) items = g_string_new (NULL);
  g_autoptr(GPtrArray) models = NULL;
  const char *ids[] = { "mock/down", NULL };

  json = g_strdup_printf ("{\"providers\": [{\"id\": \"mock\", \"kind\": \"openai\", "
                          "\"base_url\": \"%s\"}], \"models\": [{\"id\": \"mock/down\", "
                          "\"provider\": \"mock\", \"name\": \"down\"}]}", url);
  g_assert_true (rw_catalog_load_data (catalog, "t", json, -1, NULL));
  rw_mock_upstream_set_default (mock, "down",
                                rw_mock_reply_new_json (500, "{\"error\": {\"message\": \"down\"}}"));
  for (guint i = 0; i < 16; i++)
    g_string_append_printf (items, "{\"id\": \"%u\", \"prompt\": \"q%u\", \"reference\": \"x\"}\n",
                            i, i);
  suite = rw_suite_new_from_data ("c.jsonl", "jsonl", items->str, items->len, NULL);
  models = models_for (catalog, ids);
  runner = rw_eval_runner_new (catalog, tmp->store, suite, models, 1);
  rw_eval_runner_set_concurrency (runner, 1);
  g_assert_true (rw_eval_runner_prepare (runner, NULL, NULL));
  g_assert_cmpstr (run_to_end (runner), ==, "partial");
  g_assert_cmpuint (rw_eval_runner_get_n_failed (runner), ==, 16);
  /* Each item is stored, as mock/down's failure; only the first few reached the upstream. */
  g_assert_true (rw_store_flush (tmp->store, NULL));
  g_assert_cmpint (rw_test_db_int (tmp->path, "SELECT count(DISTINCT item_id) FROM responses "
                                              "WHERE model = 'mock/down' AND status = 'error'"), ==, 16);
  g_assert_cmpint (rw_test_db_int (tmp->path, "SELECT count(*) FROM responses WHERE "
                                              "error_message LIKE '%circuit is open%'"), >, 0);
  g_assert_cmpuint (rw_mock_upstream_count (mock, "down"), <, 16 * 3);
  g_assert_cmpuint (rw_store_get_n_write_errors (tmp->store), ==, 0);
  rw_store_close (tmp->store);
  rw_mock_upstream_free (mock);
}

/* Tool calling evaluated: a suite item carries its tools and a tool_call grader; the upstream
 * receives the tools, the answer's tool calls are stored and graded against the tool's schema
 * and the expected arguments, and a second run reuses the stored calls and grades them alike. */
static void
test_tool_calls (void)
{
  RwMockUpstream *mock = rw_mock_upstream_new ();
  g_autofree char *url = rw_mock_upstream_dup_base_url (mock);
  g_autofree char *json = NULL, *calls = NULL, *sent = NULL;
  g_autoptr(RwTestStore) tmp = rw_test_store_new ();
  g_autoptr(RwCatalog) catalog = rw_catalog_new ();
  g_autoptr(RwSuite) suite = NULL;
  g_autoptr(RwEvalRunner) runner = NULL, again = NULL;
  g_autoptr(GPtrArray) models = NULL, both = NULL;
  const char *ids[] = { "mock/agent", NULL };
  const char *two[] = { "mock/agent", "mock/other", NULL };
  static const char items[] =
    "{\"id\": \"paris\", \"prompt\": \"Weather in Paris?\", \"tools\": [{\"type\": \"function\","
    " \"function\": {\"name\": \"get_weather\", \"parameters\": {\"type\": \"object\","
    " \"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}}}],"
    " \"graders\": [{\"type\": \"tool_call\", \"name\": \"get_weather\", \"arguments\":"
    " {\"city\": \"Paris\"}}]}\n"
    "{\"id\": \"rome\", \"prompt\": \"Weather in Rome?\", \"tools\": [{\"type\": \"function\","
    " \"function\": {\"name\": \"get_weather\"}}],"
    " \"graders\": [{\"type\": \"tool_call\", \"name\": \"get_weather\", \"arguments\":"
    " {\"city\": \"Rome\"}}]}\n";

  json = g_strdup_printf ("{\"providers\": [{\"id\": \"mock\", \"kind\": \"openai\", "
                          "\"base_url\": \"%s\"}], \"models\": [{\"id\": \"mock/agent\", "
                          "\"provider\": \"mock\", \"name\": \"agent\"}, {\"id\": \"mock/other\", "
                          "\"provider\": \"mock\", \"name\": \"other\"}]}", url);
  g_assert_true (rw_catalog_load_data (catalog, "t", json, -1, NULL));
  rw_mock_upstream_set_default (mock, "agent",
                                rw_mock_reply_new_tool_call ("call_1", "get_weather",
                                                             "{\"city\":\"Paris\"}"));
  suite = rw_suite_new_from_data ("tools.jsonl", "jsonl", items, strlen (items), NULL);
  g_assert_nonnull (suite);
  models = models_for (catalog, ids);
  runner = rw_eval_runner_new (catalog, tmp->store, suite, models, 1);
  g_assert_true (rw_eval_runner_prepare (runner, NULL, NULL));
  g_assert_cmpstr (run_to_end (runner), ==, "done");
  sent = rw_mock_upstream_dup_last_body (mock);
  g_assert_nonnull (strstr (sent, "\"tools\":[{\"type\":\"function\""));
  g_assert_true (rw_store_flush (tmp->store, NULL));
  calls = rw_test_db_text (tmp->path, "SELECT tool_calls FROM responses WHERE item_id = 'paris'");
  g_assert_cmpstr (calls, ==, "[{\"id\":\"call_1\",\"type\":\"function\",\"function\":"
                   "{\"name\":\"get_weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}]");
  g_assert_cmpint (rw_test_db_int (tmp->path, "SELECT pass FROM grades g JOIN responses r ON "
                                              "r.id = g.response_id WHERE r.item_id = 'paris'"),
                   ==, 1);
  g_assert_cmpint (rw_test_db_int (tmp->path, "SELECT pass FROM grades g JOIN responses r ON "
                                              "r.id = g.response_id WHERE r.item_id = 'rome'"),
                   ==, 0);

  /* A run that adds a model reuses the first one's stored calls, and grades them alike. */
  rw_mock_upstream_set_default (mock, "other",
                                rw_mock_reply_new_tool_call ("call_2", "get_weather", "{}"));
  both = models_for (catalog, two);
  again = rw_eval_runner_new (catalog, tmp->store, suite, both, 1);
  g_assert_true (rw_eval_runner_prepare (again, NULL, NULL));
  g_assert_cmpstr (run_to_end (again), ==, "done");
  g_assert_cmpuint (rw_mock_upstream_count (mock, "agent"), ==, 2);
  g_assert_true (rw_store_flush (tmp->store, NULL));
  g_assert_cmpint (rw_test_db_int (tmp->path, "SELECT sum(pass) FROM grades g JOIN responses r ON "
                                              "r.id = g.response_id WHERE r.item_id = 'paris' "
                                              "AND r.model = 'mock/agent'"), ==, 2);
  g_assert_cmpint (rw_test_db_int (tmp->path, "SELECT count(*) FROM responses WHERE cached = 1"),
                   ==, 2);
  /* The other model's call lacks the required city: graded as not matching the schema. */
  g_assert_cmpint (rw_test_db_int (tmp->path, "SELECT sum(pass) FROM grades g JOIN responses r ON "
                                              "r.id = g.response_id WHERE r.model = 'mock/other'"),
                   ==, 0);
  rw_store_close (tmp->store);
  rw_mock_upstream_free (mock);
}

/* The CSV report keeps every row's columns (inner quotes doubled) and never lets a spreadsheet
 * read a name as a formula. */
static void
test_report_csv_cells (void)
{
  g_autoptr(JsonNode) report = json_from_string (
    "{\"run_id\": \"r\", \"status\": \"done\", \"rows\": ["
    "{\"model\": \"acme/\\\"quoted\\\", model\", \"task\": \"=HYPERLINK(\\\"x\\\")\", \"n\": 2,"
    " \"passed\": 1, \"failed\": 0, \"cached\": 0},"
    "{\"model\": \"@sum\", \"task\": \"-1+2\", \"n\": 1, \"passed\": 1, \"failed\": 0,"
    " \"cached\": 0}]}", NULL);
  g_autofree char *csv = rw_eval_report_to_csv (report);
  g_auto(GStrv) lines = g_strsplit (csv, "\n", -1);

  g_assert_cmpstr (lines[1], ==, "\"acme/\"\"quoted\"\", model\",\"'=HYPERLINK(\"\"x\"\")\",2,1,,,,,,,,0,0");
  g_assert_cmpstr (lines[2], ==, "\"'@sum\",\"'-1+2\",1,1,,,,,,,,0,0");
}

/* The history as CSV opens in a spreadsheet as the text it is: an answer written as a formula
 * (a model can be led to write one) stays text, numbers stay numbers; as Markdown, a prompt of
 * several paragraphs is quoted whole. */
static void
test_history_export_cells (void)
{
  g_autoptr(RwTestStore) tmp = rw_test_store_new ();
  g_autoptr(RwChatRequest) request = rw_chat_request_new_for_prompt (
    "First paragraph.\n\nSecond paragraph, \"quoted\".");
  g_autofree char *prompt_id = rw_store_record_prompt (tmp->store, request);
  g_autofree char *run_id = rw_store_begin_run (tmp->store, "compare", NULL);
  const RwHistoryFilter all = { .voted = -1 };
  g_autoptr(GError) error = NULL;
  g_autofree char *csv = NULL;
  g_autofree char *md = NULL;
  gsize pos = 0;
  guint line = 1;
  g_autoptr(GPtrArray) header = NULL;
  g_autoptr(GPtrArray) row = NULL;
  static const char * const answers[] = { "=HYPERLINK(\"http://x.invalid\",\"see\")", "-1+1" };

  for (guint i = 0; i < G_N_ELEMENTS (answers); i++)
    {
      g_autofree char *model = g_strdup_printf ("m/%u", i);
      g_autoptr(RwChatResult) r = rw_chat_result_new (model);

      g_string_assign (r->text, answers[i]);
      r->finish_reason = g_strdup ("stop");
      r->cost_usd = 0.25;
      r->latency_ms = 900;
      g_free (rw_store_record_answer (tmp->store, &(RwAnswerRecord) {
                .run_id = run_id,
                .prompt_id = prompt_id,
                .result = r,
                .attempt = 1,
              }));
    }
  g_assert_true (rw_store_flush (tmp->store, NULL));

  csv = rw_history_export (tmp->store, &all, "csv", &error);
  g_assert_no_error (error);
  header = rw_csv_read_record (csv, strlen (csv), &pos, &line, NULL);
  g_assert_cmpuint (header->len, ==, 10);
  row = rw_csv_read_record (csv, strlen (csv), &pos, &line, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (row->pdata[3], ==, "First paragraph.\n\nSecond paragraph, \"quoted\".");
  g_assert_cmpstr (row->pdata[6], ==, "'=HYPERLINK(\"http://x.invalid\",\"see\")");
  g_assert_cmpstr (row->pdata[7], ==, "0.250000");
  g_assert_cmpstr (row->pdata[8], ==, "900.0");
  g_clear_pointer (&row, g_ptr_array_unref);
  row = rw_csv_read_record (csv, strlen (csv), &pos, &line, &error);
  g_assert_cmpstr (row->pdata[6], ==, "'-1+1");

  md = rw_history_export (tmp->store, &all, "md", &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (md, "> First paragraph.\n>\n> Second paragraph, \"quoted\".\n\n### m/"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/Rw/Eval/report-csv-cells", test_report_csv_cells);
  g_test_add_func ("/Rw/Eval/history-export-cells", test_history_export_cells);
  g_test_add_func ("/Rw/Eval/run-resume-cache", test_run_resume_cache);
  g_test_add_func ("/Rw/Eval/budget", test_budget);
  g_test_add_func ("/Rw/Eval/report-as-stored", test_report_as_stored);
  g_test_add_func ("/Rw/Eval/failed-write", test_failed_write);
  g_test_add_func ("/Rw/Eval/circuit-open", test_circuit_open);
  g_test_add_func ("/Rw/Eval/tool-calls", test_tool_calls);
  g_test_add_func ("/Rw/Eval/judged-pairs", test_judged_pairs);
  g_test_add_func ("/Rw/Eval/promptfoo-yaml-judge", test_promptfoo_yaml_judge);
  g_test_add_func ("/Rw/Eval/promptfoo-model-graded", test_promptfoo_model_graded);
  g_test_add_func ("/Rw/Eval/promptfoo-rag-graded", test_promptfoo_rag_graded);
  g_test_add_func ("/Rw/Eval/judge-read-reply", test_judge_read_reply);
  g_test_add_func ("/Rw/Eval/promptfoo-test-threshold", test_promptfoo_test_threshold);
  g_test_add_func ("/Rw/Eval/promptfoo-moderation", test_promptfoo_moderation);
  g_test_add_func ("/Rw/Eval/promptfoo-transforms", test_promptfoo_transforms);
  g_test_add_func ("/Rw/Eval/promptfoo-conversation", test_promptfoo_conversation);
  g_test_add_func ("/Rw/Eval/promptfoo-weights-and-metrics", test_promptfoo_weights_and_metrics);
  g_test_add_func ("/Rw/Eval/promptfoo-similar", test_promptfoo_similar);
  g_test_add_func ("/Rw/Eval/provider-limits", test_provider_limits);
  g_test_add_func ("/Rw/Eval/promptfoo-results", test_promptfoo_results);
  g_test_add_func ("/Rw/Eval/promptfoo-results-labels", test_promptfoo_results_labels);
  g_test_add_func ("/Rw/Eval/killed-and-resumed", test_killed_and_resumed);
  return g_test_run ();
}
