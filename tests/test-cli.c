/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <json-glib/json-glib.h>
#include <routewise-engine.h>

#include "rw-mock-upstream.h"
#include "rw-test-fixtures.h"
#include "rw-test-util.h"

#define TEST_KEY "sk-clitest-9876543210fedcba"

typedef struct
{
  RwMockUpstream *mock;
  char *dir;
  char *config_dir;
  char *data_dir;
  int status;
  char *out;
  char *err;
} Fixture;

static void
write_providers (Fixture    *f,
                 const char *json)
{
  g_autofree char *path = g_build_filename (f->config_dir, "providers.json", NULL);
  g_assert_true (g_file_set_contents (path, json, -1, NULL));
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *url = NULL;
  g_autofree char *json = NULL;

  f->mock = rw_mock_upstream_new ();
  f->dir = rw_test_make_tmpdir ();
  f->config_dir = g_build_filename (f->dir, "config", NULL);
  f->data_dir = g_build_filename (f->dir, "data", NULL);
  g_mkdir_with_parents (f->config_dir, 0700);
  url = rw_mock_upstream_dup_base_url (f->mock);
  json = g_strdup_printf (
    "{\"providers\": [{\"id\": \"mock\", \"kind\": \"openai\", \"base_url\": \"%s\","
    "                  \"api_key_env\": \"RW_CLI_TEST_KEY\"},"
    "                 {\"id\": \"recorded\", \"kind\": \"recorded\", \"speed\": 0}],"
    " \"models\": [{\"id\": \"mock/a\", \"provider\": \"mock\", \"name\": \"a\","
    "               \"input_price\": 1, \"output_price\": 2},"
    "              {\"id\": \"mock/b\", \"provider\": \"mock\", \"name\": \"b\","
    "               \"input_price\": 1, \"output_price\": 2},"
    "              {\"id\": \"mock/c\", \"provider\": \"mock\", \"name\": \"c\"}]}", url);
  write_providers (f, json);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  rw_mock_upstream_free (f->mock);
  rw_test_rmtree (f->dir);
  g_free (f->dir);
  g_free (f->config_dir);
  g_free (f->data_dir);
  g_free (f->out);
  g_free (f->err);
}

static GSubprocess *
spawn_cli (Fixture     *f,
           const char  *first,
           va_list      args)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  GSubprocess *proc;

  g_clear_pointer (&f->out, g_free);
  g_clear_pointer (&f->err, g_free);
  g_subprocess_launcher_setenv (launcher, "ROUTEWISE_CONFIG_DIR", f->config_dir, TRUE);
  g_subprocess_launcher_setenv (launcher, "ROUTEWISE_DATA_DIR", f->data_dir, TRUE);
  g_subprocess_launcher_setenv (launcher, "RW_CLI_TEST_KEY", TEST_KEY, TRUE);
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);

  g_ptr_array_add (argv, (char *) g_getenv ("ROUTEWISE_CLI"));
  for (const char *a = first; a != NULL; a = va_arg (args, const char *))
    g_ptr_array_add (argv, (char *) a);
  g_ptr_array_add (argv, NULL);

  proc = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  return proc;
}

static void
finish_cli (Fixture     *f,
            GSubprocess *proc)
{
  g_autoptr(GError) error = NULL;

  g_subprocess_communicate_utf8 (proc, NULL, NULL, &f->out, &f->err, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_if_exited (proc));
  f->status = g_subprocess_get_exit_status (proc);
  g_test_message ("exit %d\nstdout: %s\nstderr: %s", f->status, f->out, f->err);
}

static void
run_cli (Fixture     *f,
         const char  *first,
         ...)
{
  g_autoptr(GSubprocess) proc = NULL;
  va_list args;

  va_start (args, first);
  proc = spawn_cli (f, first, args);
  va_end (args);
  finish_cli (f, proc);
}

static GSubprocess *
start_cli (Fixture    *f,
           const char *first,
           ...)
{
  GSubprocess *proc;
  va_list args;

  va_start (args, first);
  proc = spawn_cli (f, first, args);
  va_end (args);
  return proc;
}

static gint64
db_int (Fixture    *f,
        const char *sql)
{
  g_autofree char *path = g_build_filename (f->data_dir, "routewise.db", NULL);
  return rw_test_db_int (path, sql);
}

static JsonObject *
parse_output (Fixture    *f,
              JsonParser *parser)
{
  g_autoptr(GError) error = NULL;

  json_parser_load_from_data (parser, f->out, -1, &error);
  g_assert_no_error (error);
  return json_node_get_object (json_parser_get_root (parser));
}

static JsonObject *
answer (JsonObject *doc,
        guint       i)
{
  return json_array_get_object_element (json_object_get_array_member (doc, "answers"), i);
}

/* Two models answer, one fails: the answers, their metrics and the error are printed, all are
 * stored, and the exit status says something answered. */
static void
test_compare_json (Fixture       *f,
                   gconstpointer  data)
{
  static const char * const pieces[] = { "Four", ".", NULL };
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *doc, *a, *b, *c;

  rw_mock_upstream_push (f->mock, "a", rw_mock_reply_new_stream (pieces, 9, 2, TRUE));
  rw_mock_upstream_push (f->mock, "b", rw_mock_reply_new_json (503, "{\"error\":{\"message\":\"busy\"}}"));
  rw_mock_upstream_push (f->mock, "c", rw_mock_reply_new_stream (pieces, 9, 2, TRUE));
  run_cli (f, "compare", "--json", "-m", "mock/a", "-m", "mock/b", "-m", "mock/c",
           "--task", "math", "What", "is", "2+2?", NULL);
  g_assert_cmpint (f->status, ==, 0);

  doc = parse_output (f, parser);
  g_assert_cmpstr (json_object_get_string_member (doc, "prompt"), ==, "What is 2+2?");
  g_assert_cmpstr (json_object_get_string_member (doc, "task"), ==, "math");
  a = answer (doc, 0);
  b = answer (doc, 1);
  c = answer (doc, 2);
  g_assert_cmpstr (json_object_get_string_member (a, "model"), ==, "mock/a");
  g_assert_cmpstr (json_object_get_string_member (a, "text"), ==, "Four.");
  g_assert_cmpint (json_object_get_int_member (a, "tokens_in"), ==, 9);
  g_assert_cmpint (json_object_get_int_member (a, "tokens_out"), ==, 2);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (a, "cost_usd"), 13e-6, 1e-12);
  g_assert_true (json_object_get_double_member (a, "ttft_ms") >= 0);
  g_assert_true (json_object_get_double_member (a, "latency_ms") >= 0);
  g_assert_true (json_object_get_null_member (a, "error"));
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (b, "error"), "kind"),
                   ==, "overloaded");
  g_assert_false (json_object_get_boolean_member (b, "ok"));
  /* A model without a price has an unknown cost, not a zero one. */
  g_assert_true (json_object_get_null_member (c, "cost_usd"));

  g_assert_cmpint (db_int (f, "SELECT count(*) FROM runs WHERE kind = 'compare' AND status = 'done'"),
                   ==, 1);
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM responses"), ==, 3);
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM responses WHERE model = 'mock/a' AND "
                              "status = 'ok' AND text = 'Four.' AND tokens_out = 2 AND "
                              "ttft_ms IS NOT NULL AND latency_ms IS NOT NULL AND "
                              "cost_usd > 0"), ==, 1);
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM responses WHERE model = 'mock/b' AND "
                              "status = 'error' AND error_kind = 'overloaded' AND "
                              "http_status = 503"), ==, 1);
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM prompts WHERE task = 'math'"), ==, 1);
  /* The key reached the upstream and nowhere in the database. */
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM responses WHERE text LIKE '%clitest%' OR "
                              "error_message LIKE '%clitest%'"), ==, 0);
  g_assert_null (strstr (f->out, "clitest"));
  g_assert_null (strstr (f->err, "clitest"));
}

static void
test_all_fail (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  RwMockReply *cut = rw_mock_reply_new (200, "text/event-stream",
                                        "data: {\"choices\":[{\"delta\":{\"content\":\"half\"}}]}\n\n", -1);
  JsonObject *doc;

  cut->chunked = TRUE;
  rw_mock_upstream_push (f->mock, "a", rw_mock_reply_new_json (401, "{\"error\":{\"message\":\"Incorrect API key provided: " TEST_KEY "\"}}"));
  rw_mock_upstream_push (f->mock, "b", cut);
  run_cli (f, "compare", "--json", "-m", "mock/a", "-m", "mock/b", "hello", NULL);
  g_assert_cmpint (f->status, ==, 1);
  doc = parse_output (f, parser);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (answer (doc, 0), "error"), "kind"),
                   ==, "auth");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (answer (doc, 1), "error"), "kind"),
                   ==, "bad_response");
  g_assert_null (strstr (f->out, TEST_KEY));
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM runs WHERE status = 'failed'"), ==, 1);
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM responses WHERE error_message LIKE '%"
                              TEST_KEY "%'"), ==, 0);
}

static void
test_text_output (Fixture       *f,
                  gconstpointer  data)
{
  /* Not a terminal: each answer as a block, then where it was stored. */
  run_cli (f, "compare", "-m", "recorded/gpt-4", "-m", "recorded/claude-v1", "--sample", "holidays",
           NULL);
  g_assert_cmpint (f->status, ==, 0);
  g_assert_nonnull (strstr (f->out, "== recorded/gpt-4 =="));
  g_assert_nonnull (strstr (f->out, "== recorded/claude-v1 =="));
  g_assert_nonnull (strstr (f->out, "Stored as run"));
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM prompts WHERE task = 'creativity'"), ==, 1);
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM responses WHERE status = 'ok'"), ==, 2);
}

static void
test_unknown_model (Fixture       *f,
                    gconstpointer  data)
{
  run_cli (f, "compare", "-m", "mock/a", "-m", "nosuchmodel", "hi", NULL);
  g_assert_cmpint (f->status, ==, 2);
  g_assert_nonnull (strstr (f->err, "unknown model “nosuchmodel”"));
  g_assert_cmpuint (rw_mock_upstream_count (f->mock, "a"), ==, 0);
}

static void
test_bad_config (Fixture       *f,
                 gconstpointer  data)
{
  write_providers (f, "{\"providers\": [{\"id\": \"x\", \"kind\": \"openai\"");
  run_cli (f, "compare", "-m", "recorded/gpt-4", "hi", NULL);
  g_assert_cmpint (f->status, ==, 2);
  g_assert_nonnull (strstr (f->err, "providers.json"));
  g_assert_nonnull (strstr (f->err, "not valid JSON"));

  write_providers (f, "{\"providers\": [{\"id\": \"x\", \"kind\": \"openai\", "
                      "\"base_url\": \"http://h/v1\", \"api_key\": \"sk-leak-me-please-123456\"}]}");
  run_cli (f, "models", "--no-discover", NULL);
  g_assert_cmpint (f->status, ==, 2);
  g_assert_nonnull (strstr (f->err, "keys do not belong"));
  g_assert_null (strstr (f->err, "leak-me"));
}

static void
test_missing_config (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *path = g_build_filename (f->config_dir, "providers.json", NULL);

  /* No providers.json: the defaults apply. */
  g_remove (path);
  run_cli (f, "models", "--no-discover", NULL);
  g_assert_cmpint (f->status, ==, 0);
  g_assert_nonnull (strstr (f->out, "recorded/gpt-4"));
}

static void
test_unreachable (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GSocketListener) l = g_socket_listener_new ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *json = NULL;
  guint16 port = g_socket_listener_add_any_inet_port (l, NULL, NULL);
  JsonObject *doc;

  g_socket_listener_close (l);
  json = g_strdup_printf ("{\"providers\": [{\"id\": \"gone\", \"kind\": \"openai\", "
                          "\"base_url\": \"http://127.0.0.1:%u/v1\"}],"
                          " \"models\": [{\"id\": \"gone/m\", \"provider\": \"gone\"}]}", port);
  write_providers (f, json);
  run_cli (f, "compare", "--json", "-m", "gone/m", "hi", NULL);
  g_assert_cmpint (f->status, ==, 1);
  doc = parse_output (f, parser);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (answer (doc, 0), "error"), "kind"),
                   ==, "network");
}

static void
test_usage_errors (Fixture       *f,
                   gconstpointer  data)
{
  run_cli (f, "compare", "hi", NULL);
  g_assert_cmpint (f->status, ==, 2);
  g_assert_nonnull (strstr (f->err, "-m MODEL"));

  run_cli (f, "compare", "-m", "mock/a", NULL);
  g_assert_cmpint (f->status, ==, 2);
  g_assert_nonnull (strstr (f->err, "give a prompt"));

  run_cli (f, "compare", "-m", "mock/a", "--timeout", "-5", "hi", NULL);
  g_assert_cmpint (f->status, ==, 2);

  run_cli (f, "compare", "-m", "mock/a", "--bogus", "hi", NULL);
  g_assert_cmpint (f->status, ==, 2);

  run_cli (f, "frobnicate", NULL);
  g_assert_cmpint (f->status, ==, 2);
  g_assert_nonnull (strstr (f->err, "unknown command"));

  run_cli (f, "compare", "-m", "recorded/gpt-4", "--sample", "nope", NULL);
  g_assert_cmpint (f->status, ==, 2);

  run_cli (f, "serve", "--port", "0", "--threads", "0", NULL);
  g_assert_cmpint (f->status, ==, 2);
  g_assert_nonnull (strstr (f->err, "--threads must be from 1 to 64"));
}

/* Ctrl-C stops every model at once; what had arrived is stored, marked cancelled. */
static void
test_interrupt (Fixture       *f,
                gconstpointer  data)
{
  static const char * const pieces[] = { "partial ", "answer", NULL };
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GSubprocess) proc = NULL;
  RwMockReply *a = rw_mock_reply_new_stream (pieces, 3, 2, TRUE);
  RwMockReply *b = rw_mock_reply_new_stream (pieces, 3, 2, TRUE);
  JsonObject *doc;

  a->stall_at = 200;
  b->hang = TRUE;
  rw_mock_upstream_push (f->mock, "a", a);
  rw_mock_upstream_push (f->mock, "b", b);
  proc = start_cli (f, "compare", "--json", "-m", "mock/a", "-m", "mock/b", "hi", NULL);
  rw_mock_upstream_wait_written (f->mock, "a", 200);
  g_subprocess_send_signal (proc, SIGINT);
  finish_cli (f, proc);

  g_assert_cmpint (f->status, ==, 130);
  doc = parse_output (f, parser);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (answer (doc, 0), "error"), "kind"),
                   ==, "cancelled");
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM runs WHERE status = 'cancelled'"), ==, 1);
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM responses WHERE error_kind = 'cancelled'"), ==, 2);
  /* Whatever had arrived is kept, in the output and in the database alike. */
  {
    const char *text = json_object_get_string_member (answer (doc, 0), "text");
    g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM responses WHERE model = 'mock/a' "
                                            "AND text = '%s'", text);
    g_assert_true (g_str_has_prefix ("partial answer", text));
    g_assert_cmpint (db_int (f, sql), ==, 1);
  }
}

/* Ctrl-C during an evaluation: what had been answered is stored with its grades, nothing by
 * halves; running the same command again asks only what is missing and makes every comparison
 * once. */
static void
test_eval_interrupt (Fixture       *f,
                     gconstpointer  data)
{
  static const char * const answer[] = { "#### 18", NULL };
  g_autofree char *suite = g_build_filename (f->dir, "s.jsonl", NULL);
  g_autoptr(GString) items = g_string_new (NULL);
  g_autoptr(GSubprocess) proc = NULL;
  RwMockReply *hang = rw_mock_reply_new_stream (answer, 3, 2, TRUE);
  gint64 stored;

  for (guint i = 0; i < 6; i++)
    g_string_append_printf (items, "{\"id\": \"%u\", \"task\": \"math\", \"prompt\": \"%s %u\", "
                            "\"reference\": 18}\n", i, i == 5 ? "slow" : "quick", i);
  g_assert_true (g_file_set_contents (suite, items->str, -1, NULL));
  rw_mock_upstream_set_default (f->mock, "a", rw_mock_reply_new_stream (answer, 3, 2, TRUE));
  rw_mock_upstream_set_default (f->mock, "b", rw_mock_reply_new_stream (answer, 3, 2, TRUE));
  /* Model a's answer to the slow item never comes, the first time it is asked. */
  hang->hang = TRUE;
  hang->match = g_strdup ("slow 5");
  rw_mock_upstream_push (f->mock, "a", hang);

  proc = start_cli (f, "eval", "run", suite, "-m", "mock/a", "-m", "mock/b", "-j", "12", NULL);
  rw_mock_upstream_wait_requests (f->mock, "a", 6);
  rw_mock_upstream_wait_requests (f->mock, "b", 6);
  g_subprocess_send_signal (proc, SIGINT);
  finish_cli (f, proc);
  g_assert_cmpint (f->status, ==, 130);
  g_assert_nonnull (strstr (f->err, "Interrupted"));
  stored = db_int (f, "SELECT count(*) FROM responses WHERE status = 'ok'");
  g_assert_cmpint (stored, <=, 11);
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM responses WHERE status <> 'ok'"), ==, 0);
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM responses r WHERE NOT EXISTS "
                              "(SELECT 1 FROM grades g WHERE g.response_id = r.id)"), ==, 0);

  run_cli (f, "eval", "run", suite, "-m", "mock/a", "-m", "mock/b", "-j", "12", NULL);
  g_assert_cmpint (f->status, ==, 0);
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM responses WHERE status = 'ok'"), ==, 12);
  g_assert_cmpint (db_int (f, "SELECT count(DISTINCT item_id || ' ' || model) FROM responses"), ==, 12);
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM grades"), ==, 12);
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM votes WHERE source = 'grader'"), ==, 6);
  /* Twelve asked the first time; the second asked exactly what was not stored. */
  g_assert_cmpint (rw_mock_upstream_count (f->mock, "a") + rw_mock_upstream_count (f->mock, "b"),
                   ==, 12 + (12 - stored));
}

static void
test_store_unwritable (Fixture       *f,
                       gconstpointer  data)
{
  /* The data folder is a file: the run cannot be stored, which is said before anything is sent. */
  g_assert_true (g_file_set_contents (f->data_dir, "not a folder", -1, NULL));
  run_cli (f, "compare", "-m", "mock/a", "hi", NULL);
  g_assert_cmpint (f->status, ==, 1);
  g_assert_nonnull (strstr (f->err, "--no-store"));
  g_assert_cmpuint (rw_mock_upstream_count (f->mock, "a"), ==, 0);
  g_remove (f->data_dir);
}

/* A comparison of mock/a and mock/b whose answers are @a and @b; returns its run id. */
static char *
compare_saying (Fixture    *f,
                const char *prompt,
                const char *a,
                const char *b)
{
  const char *pa[] = { a, NULL }, *pb[] = { b, NULL };
  g_autoptr(JsonParser) parser = json_parser_new ();

  rw_mock_upstream_push (f->mock, "a", rw_mock_reply_new_stream (pa, 5, 3, TRUE));
  rw_mock_upstream_push (f->mock, "b", rw_mock_reply_new_stream (pb, 5, 3, TRUE));
  run_cli (f, "compare", "--json", "-m", "mock/a", "-m", "mock/b", prompt, NULL);
  g_assert_cmpint (f->status, ==, 0);
  return g_strdup (json_object_get_string_member (parse_output (f, parser), "run_id"));
}

static int
compare_ids (gconstpointer a,
             gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

/* The ids of the comparisons a history list printed as JSON, sorted. */
static char *
listed_ids (Fixture *f)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GPtrArray) ids = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  JsonArray *array;

  g_assert_cmpint (f->status, ==, 0);
  json_parser_load_from_data (parser, f->out, -1, &error);
  g_assert_no_error (error);
  array = json_node_get_array (json_parser_get_root (parser));
  for (guint i = 0; i < json_array_get_length (array); i++)
    g_ptr_array_add (ids, (gpointer) json_object_get_string_member (
      json_array_get_object_element (array, i), "id"));
  g_ptr_array_sort (ids, compare_ids);
  g_ptr_array_add (ids, NULL);
  return g_strjoinv (" ", (GStrv) ids->pdata);
}

static char *
sorted_pair (const char *x,
             const char *y)
{
  return g_strcmp0 (x, y) < 0 ? g_strdup_printf ("%s %s", x, y) : g_strdup_printf ("%s %s", y, x);
}

/* history search finds exactly the comparisons whose prompt or an answer holds every word, or a
 * word it starts (as a search box finds while one types: "zebra" finds "Zebras"), in any case
 * and with or without accents, and nothing that only holds it inside a word; FTS5's own syntax
 * typed by the user is searched for as text. A deleted comparison is gone from the list,
 * the search and the database. history export writes CSV that a CSV reader reads back, one row
 * per answer, quotes, commas and line breaks included. */
static void
test_history (Fixture       *f,
              gconstpointer  data)
{
  g_autofree char *in_prompt = compare_saying (f, "Tell me about the Zebra crossing", "Stripes.",
                                               "Black and white.");
  g_autofree char *in_answer = compare_saying (f, "Which animal has stripes?",
                                               "A zebra, \"striped\", of course",
                                               "A tiger.\nOr a Zébra");
  g_autofree char *neither = compare_saying (f, "Name a horse", "Zebras are not horses.",
                                             "A pony, say");
  g_autofree char *both = sorted_pair (in_prompt, in_answer);
  g_autofree char *ids = NULL;
  g_autofree char *csv_path = g_build_filename (f->dir, "history.csv", NULL);
  g_autofree char *csv = NULL;
  g_autoptr(GPtrArray) header = NULL;
  gsize len = 0, pos = 0;
  guint line = 1, rows = 0, with_quote = 0;

  run_cli (f, "history", "search", "zebra", "--json", NULL);
  ids = listed_ids (f);
  g_assert_cmpuint (strlen (ids), ==, 3 * 36 + 2);
  g_clear_pointer (&ids, g_free);
  /* The start of a word, not its inside. */
  run_cli (f, "history", "search", "ZEB", "strip", "--json", NULL);
  ids = listed_ids (f);
  g_assert_cmpstr (ids, ==, both);
  g_clear_pointer (&ids, g_free);
  run_cli (f, "history", "search", "ebra", "--json", NULL);
  ids = listed_ids (f);
  g_assert_cmpstr (ids, ==, "");
  g_clear_pointer (&ids, g_free);

  /* Every word, each in the prompt or any answer. */
  run_cli (f, "history", "search", "ZEBRA", "tiger", "--json", NULL);
  ids = listed_ids (f);
  g_assert_cmpstr (ids, ==, in_answer);
  g_clear_pointer (&ids, g_free);
  run_cli (f, "history", "search", "zebra", "crossing", "--json", NULL);
  ids = listed_ids (f);
  g_assert_cmpstr (ids, ==, in_prompt);
  g_clear_pointer (&ids, g_free);
  run_cli (f, "history", "search", "zebra", "giraffe", "--json", NULL);
  ids = listed_ids (f);
  g_assert_cmpstr (ids, ==, "");
  g_clear_pointer (&ids, g_free);

  run_cli (f, "history", "search", "zebra\"", "OR", "(", "--json", NULL);
  ids = listed_ids (f);
  g_assert_cmpstr (ids, ==, "");
  g_clear_pointer (&ids, g_free);

  run_cli (f, "history", "list", "--json", "-m", "mock/a", NULL);
  ids = listed_ids (f);
  g_assert_cmpuint (strlen (ids), ==, 3 * 36 + 2);
  g_clear_pointer (&ids, g_free);

  run_cli (f, "history", "export", "--format", "csv", "-o", csv_path, NULL);
  g_assert_cmpint (f->status, ==, 0);
  g_assert_true (g_file_get_contents (csv_path, &csv, &len, NULL));
  header = rw_csv_read_record (csv, len, &pos, &line, NULL);
  g_assert_nonnull (header);
  g_assert_cmpuint (header->len, ==, 10);
  g_assert_cmpstr (header->pdata[0], ==, "comparison");
  while (pos < len)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) record = rw_csv_read_record (csv, len, &pos, &line, &error);

      g_assert_no_error (error);
      if (record == NULL)
        break;
      g_assert_cmpuint (record->len, ==, 10);
      rows++;
      if (g_str_equal (record->pdata[6], "A zebra, \"striped\", of course"))
        with_quote++;
    }
  g_assert_cmpuint (rows, ==, 6);
  g_assert_cmpuint (with_quote, ==, 1);

  run_cli (f, "history", "delete", in_prompt, NULL);
  g_assert_cmpint (f->status, ==, 0);
  run_cli (f, "history", "search", "zebra", "--json", NULL);
  ids = listed_ids (f);
  g_clear_pointer (&both, g_free);
  both = sorted_pair (in_answer, neither);
  g_assert_cmpstr (ids, ==, both);
  g_clear_pointer (&ids, g_free);
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM runs WHERE kind = 'compare'"), ==, 2);
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM responses"), ==, 4);
  run_cli (f, "history", "delete", in_prompt, NULL);
  g_assert_cmpint (f->status, ==, 2);
  g_assert_nonnull (strstr (f->err, "there is no comparison"));
  (void) neither;
}

/* A raw HTTP/1.1 exchange on loopback: the whole reply, head and body. */
static char *
http_post (guint16     port,
           const char *token,
           const char *body)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) conn = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *head = NULL;
  g_autoptr(GByteArray) reply = g_byte_array_new ();
  guint8 buf[4096];
  gssize n;

  conn = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, &error);
  g_assert_no_error (error);
  head = g_strdup_printf ("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:%u\r\n"
                          "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
                          "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                          (guint) port, token, strlen (body), body);
  g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)), head,
                             strlen (head), NULL, NULL, &error);
  g_assert_no_error (error);
  while ((n = g_input_stream_read (g_io_stream_get_input_stream (G_IO_STREAM (conn)), buf,
                                   sizeof buf, NULL, &error)) > 0)
    g_byte_array_append (reply, buf, (guint) n);
  g_assert_no_error (error);
  g_byte_array_append (reply, (const guint8 *) "", 1);
  return (char *) g_byte_array_free (g_steal_pointer (&reply), FALSE);
}

/* Two kept policies in the fixture's database, as another process keeps them: "to-b" (to
 * mock/b), active, and "to-c" (to mock/c), whose id goes to @second. */
static void
keep_two_policies (Fixture  *f,
                   char    **second)
{
  g_autofree char *db_path = g_build_filename (f->data_dir, "routewise.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(RwStore) store = NULL;
  g_autofree char *to_c = NULL;

  g_mkdir_with_parents (f->data_dir, 0700);
  store = rw_store_open (db_path, &error);
  g_assert_no_error (error);
  g_free (rw_store_save_policy (store, "to-b", "{\"version\": 1, \"default\": [\"mock/b\"]}",
                                TRUE));
  to_c = rw_store_save_policy (store, "to-c", "{\"version\": 1, \"default\": [\"mock/c\"]}",
                               FALSE);
  g_assert_true (rw_store_flush (store, &error));
  rw_store_close (store);
  if (second != NULL)
    *second = g_steal_pointer (&to_c);
}

/* classify with a policy file is for a script in front of a gateway: it reads the file and
 * neither opens nor makes a database; without one it reads the active policy from the
 * database. */
static void
test_classify_no_store (Fixture       *f,
                        gconstpointer  data)
{
  g_autofree char *db_path = g_build_filename (f->data_dir, "routewise.db", NULL);
  g_autofree char *policy_path = g_build_filename (f->dir, "policy.json", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(RwStore) store = NULL;

  g_assert_true (g_file_set_contents (policy_path, "{\"version\": 1, \"default\": [\"mock/b\"], "
                                      "\"rules\": [{\"keywords\": [\"sql\"], \"task\": \"code\"}], "
                                      "\"tasks\": {\"code\": [\"mock/c\"]}}", -1, NULL));
  run_cli (f, "classify", "--policy", policy_path, "write", "sql", NULL);
  g_assert_cmpint (f->status, ==, 0);
  g_assert_cmpstr (f->out, ==, "task: code\nmodel: mock/c\n");
  g_assert_false (g_file_test (db_path, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (f->data_dir, G_FILE_TEST_EXISTS));

  g_mkdir_with_parents (f->data_dir, 0700);
  store = rw_store_open (db_path, &error);
  g_assert_no_error (error);
  g_free (rw_store_save_policy (store, "to-b", "{\"version\": 1, \"default\": [\"mock/b\"]}",
                                TRUE));
  g_assert_true (rw_store_flush (store, &error));
  rw_store_close (store);
  run_cli (f, "classify", "write", "sql", NULL);
  g_assert_cmpint (f->status, ==, 0);
  g_assert_cmpstr (f->out, ==, "task: \nmodel: mock/b\n");
}

/* Without --policy, serve routes routewise/auto by the policy kept as active, and says so;
 * "policy activate" changes which one the next serve uses. */
static void
test_serve_active_policy (Fixture       *f,
                          gconstpointer  data)
{
  g_autofree char *token_path = g_build_filename (f->config_dir, "token", NULL);
  g_autoptr(GError) error = NULL;

  keep_two_policies (f, NULL);

  run_cli (f, "policy", "list", NULL);
  g_assert_cmpint (f->status, ==, 0);
  g_assert_nonnull (strstr (f->out, "* to-b"));
  g_assert_nonnull (strstr (f->out, "  to-c"));

  for (guint round = 0; round < 2; round++)
    {
      g_autoptr(GSubprocess) proc = start_cli (f, "serve", "--port", "0", NULL);
      g_autoptr(GDataInputStream) out =
        g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc));
      g_autofree char *line1 = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
      g_autofree char *line2 = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
      g_autofree char *line3 = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
      g_autofree char *token = NULL;
      g_autofree char *reply = NULL;
      const char *port_at;
      const char *served = round == 0 ? "b" : "c";
      g_autofree char *model = g_strdup_printf ("\"model\":\"mock/%s\"", served);

      g_assert_no_error (error);
      g_assert_nonnull (line3);
      port_at = strstr (line1, "127.0.0.1:");
      g_assert_nonnull (port_at);
      g_assert_nonnull (strstr (line3, round == 0 ? "active policy “to-b”" : "active policy “to-c”"));
      g_assert_true (g_file_get_contents (token_path, &token, NULL, NULL));
      g_strstrip (token);

      rw_mock_upstream_push (f->mock, served, rw_mock_reply_new_chat ("routed", 3, 1));
      reply = http_post ((guint16) atoi (port_at + strlen ("127.0.0.1:")), token,
                         "{\"model\": \"routewise/auto\", "
                         "\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}");
      g_assert_true (g_str_has_prefix (reply, "HTTP/1.1 200"));
      g_assert_nonnull (strstr (reply, model));
      g_assert_nonnull (strstr (reply, "routed"));

      g_subprocess_send_signal (proc, SIGTERM);
      finish_cli (f, proc);
      g_assert_cmpint (f->status, ==, 0);

      run_cli (f, "policy", "activate", "to-c", NULL);
      g_assert_cmpint (f->status, ==, 0);
    }
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM policies WHERE active"), ==, 1);
  run_cli (f, "policy", "activate", "--none", NULL);
  g_assert_cmpint (f->status, ==, 0);
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM policies WHERE active"), ==, 0);
  run_cli (f, "policy", "activate", "no-such", NULL);
  g_assert_cmpint (f->status, ==, 2);
  g_assert_nonnull (strstr (f->err, "no kept policy is called no-such"));
}

/* Two answers to one prompt, and a person's vote between them, on a day of the week. */
static void
stats_add_vote (RwStore    *store,
                gint64      when_ms,
                const char *winner,
                const char *loser)
{
  g_autofree char *run = rw_store_begin_run (store, "compare", NULL);
  g_autofree char *text = g_strdup_printf ("which is better, %" G_GINT64_FORMAT, when_ms);
  g_autoptr(RwChatRequest) request = rw_chat_request_new_for_prompt (text);
  g_autofree char *prompt = rw_store_record_prompt (store, request);
  g_autoptr(RwChatResult) w = rw_chat_result_new (winner);
  g_autoptr(RwChatResult) l = rw_chat_result_new (loser);
  g_autofree char *wid = NULL;
  g_autofree char *lid = NULL;
  g_autofree char *vote = NULL;
  g_autofree char *sql = NULL;
  const char *ids[3];
  sqlite3 *db = NULL;

  g_string_assign (w->text, "good");
  g_string_assign (l->text, "bad");
  wid = rw_store_record_answer (store, &(RwAnswerRecord) {
          .run_id = run, .prompt_id = prompt, .result = w, .attempt = 1 });
  lid = rw_store_record_answer (store, &(RwAnswerRecord) {
          .run_id = run, .prompt_id = prompt, .result = l, .attempt = 1 });
  ids[0] = wid;
  ids[1] = lid;
  ids[2] = NULL;
  vote = rw_store_record_vote (store, prompt, run, "code", RW_VOTE_A, ids, NULL, "human");
  g_assert_true (rw_store_flush (store, NULL));
  sql = g_strdup_printf ("UPDATE votes SET created_ms = %" G_GINT64_FORMAT " WHERE id = '%s';"
                         "UPDATE responses SET created_ms = %" G_GINT64_FORMAT
                         " WHERE run_id = '%s';", when_ms, vote, when_ms, run);
  g_assert_cmpint (sqlite3_open (rw_store_get_path (store), &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
}

static JsonObject *
stats_find (JsonArray  *array,
            const char *member,
            const char *value)
{
  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonObject *o = json_array_get_object_element (array, i);
      if (g_strcmp0 (json_object_get_string_member (o, member), value) == 0)
        return o;
    }
  return NULL;
}

/* `stats --json` over part of a stored week agrees with what the test counts in the database
 * with its own queries: requests and cost per day and model, failures by kind, fallbacks,
 * latency medians, the task's winner by the period's votes, and the active policy's cost. */
static void
test_stats (Fixture       *f,
            gconstpointer  data)
{
  g_autofree char *db_path = g_build_filename (f->data_dir, "routewise.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(RwStore) store = NULL;
  g_autoptr(GDateTime) monday = g_date_time_new_local (2026, 11, 23, 0, 0, 0);
  gint64 monday_ms = g_date_time_to_unix (monday) * 1000;
  gint64 since_ms = monday_ms + 1 * 86400000, until_ms = monday_ms + 5 * 86400000;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *range = g_strdup_printf ("created_ms >= %" G_GINT64_FORMAT
                                            " AND created_ms < %" G_GINT64_FORMAT,
                                            since_ms, until_ms);
  g_autofree char *sql = NULL;
  JsonObject *stats, *a, *b, *policy, *code;
  JsonArray *days;
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  guint n_cells = 0;

  g_mkdir_with_parents (f->data_dir, 0700);
  store = rw_store_open (db_path, &error);
  g_assert_no_error (error);
  rw_test_store_fill_week (store, monday_ms);
  /* mock/b wins "code" twice inside the period, mock/a once; outside it, mock/a thrice. */
  stats_add_vote (store, monday_ms + 2 * 86400000 + 5, "mock/b", "mock/a");
  stats_add_vote (store, monday_ms + 3 * 86400000 + 5, "mock/b", "mock/a");
  stats_add_vote (store, monday_ms + 4 * 86400000 + 5, "mock/a", "mock/b");
  for (guint i = 0; i < 3; i++)
    stats_add_vote (store, monday_ms + 6 * 86400000 + i, "mock/a", "mock/b");
  g_free (rw_store_save_policy (store, "all-to-c",
                                "{\"version\": 1, \"default\": [\"mock/a\"]}", TRUE));
  g_assert_true (rw_store_flush (store, &error));
  rw_store_close (store);

  run_cli (f, "stats", "--json", "--since", "2026-11-24", "--until", "2026-11-27", NULL);
  g_assert_cmpint (f->status, ==, 0);
  stats = parse_output (f, parser);

  sql = g_strdup_printf ("SELECT count(*) FROM responses WHERE %s", range);
  g_assert_cmpint (json_object_get_int_member (stats, "attempts"), ==, db_int (f, sql));
  g_clear_pointer (&sql, g_free);
  sql = g_strdup_printf ("SELECT count(*) FROM responses WHERE attempt = 1 AND %s", range);
  g_assert_cmpint (json_object_get_int_member (stats, "requests"), ==, db_int (f, sql));
  g_clear_pointer (&sql, g_free);
  sql = g_strdup_printf ("SELECT count(*) FROM responses WHERE status = 'error' AND %s", range);
  g_assert_cmpint (json_object_get_int_member (stats, "failures"), ==, db_int (f, sql));
  g_assert_cmpint (json_object_get_int_member (stats, "failures"), >, 0);
  g_clear_pointer (&sql, g_free);
  sql = g_strdup_printf ("SELECT count(*) FROM responses e JOIN responses n "
                         "ON n.prompt_id = e.prompt_id AND n.attempt = 2 "
                         "WHERE e.attempt = 1 AND e.status = 'error' AND e.created_ms >= %"
                         G_GINT64_FORMAT " AND e.created_ms < %" G_GINT64_FORMAT,
                         since_ms, until_ms);
  g_assert_cmpint (json_object_get_int_member (stats, "fallbacks"), ==, db_int (f, sql));
  g_clear_pointer (&sql, g_free);

  /* Per day and model. */
  days = json_object_get_array_member (stats, "days");
  g_assert_cmpuint (json_array_get_length (days), ==, 4);
  g_assert_cmpint (sqlite3_open (db_path, &db), ==, SQLITE_OK);
  sql = g_strdup_printf ("SELECT date (created_ms / 1000, 'unixepoch', 'localtime'), model, "
                         "count(*), sum (coalesce (cost_usd, 0)) FROM responses WHERE %s "
                         "GROUP BY 1, 2", range);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      JsonObject *day = stats_find (days, "day", (const char *) sqlite3_column_text (stmt, 0));
      JsonObject *cell;

      g_assert_nonnull (day);
      cell = stats_find (json_object_get_array_member (day, "models"), "model",
                         (const char *) sqlite3_column_text (stmt, 1));
      g_assert_nonnull (cell);
      g_assert_cmpint (json_object_get_int_member (cell, "requests"), ==,
                       sqlite3_column_int64 (stmt, 2));
      g_assert_cmpfloat_with_epsilon (json_object_get_double_member (cell, "cost_usd"),
                                      sqlite3_column_double (stmt, 3), 1e-12);
      n_cells++;
    }
  sqlite3_finalize (stmt);
  g_clear_pointer (&sql, g_free);
  g_assert_cmpuint (n_cells, >=, 5);

  /* Per model: failures by kind, fallback rate, the median latency of answers. */
  a = stats_find (json_object_get_array_member (stats, "models"), "model", "mock/a");
  b = stats_find (json_object_get_array_member (stats, "models"), "model", "mock/b");
  g_assert_nonnull (a);
  g_assert_nonnull (b);
  sql = g_strdup_printf ("SELECT count(*) FROM responses WHERE model = 'mock/a' AND "
                         "error_kind = 'timeout' AND %s", range);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (a, "errors"),
                                               "timeout"), ==, db_int (f, sql));
  g_clear_pointer (&sql, g_free);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (a, "fallback_rate"),
                                  (double) json_object_get_int_member (stats, "fallbacks") /
                                  json_object_get_int_member (a, "requests"), 1e-12);
  g_assert_cmpint (json_object_get_int_member (b, "failures"), ==, 0);
  sql = g_strdup_printf ("SELECT latency_ms FROM responses WHERE model = 'mock/b' AND %s "
                         "ORDER BY latency_ms", range);
  {
    g_autoptr(GArray) lat = g_array_new (FALSE, FALSE, sizeof (double));
    double median;

    g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
    while (sqlite3_step (stmt) == SQLITE_ROW)
      {
        double v = sqlite3_column_double (stmt, 0);
        g_array_append_val (lat, v);
      }
    sqlite3_finalize (stmt);
    g_assert_cmpuint (lat->len, >, 0);
    median = lat->len % 2 ? g_array_index (lat, double, lat->len / 2)
                          : (g_array_index (lat, double, lat->len / 2 - 1) +
                             g_array_index (lat, double, lat->len / 2)) / 2;
    g_assert_cmpfloat_with_epsilon (json_object_get_double_member (
                                      json_object_get_object_member (b, "latency_ms"), "p50"),
                                    median, 1e-9);
  }
  g_clear_pointer (&sql, g_free);

  /* The period's votes make mock/b the winner of "code"; the week's would not. */
  code = stats_find (json_object_get_array_member (stats, "winners"), "task", "code");
  g_assert_nonnull (code);
  g_assert_cmpstr (json_object_get_string_member (code, "model"), ==, "mock/b");
  g_assert_cmpint (json_object_get_int_member (code, "wins"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (code, "losses"), ==, 1);

  /* The active policy sends everything to mock/a, at 1 and 2 dollars per million tokens. */
  policy = json_object_get_object_member (stats, "policy");
  g_assert_cmpstr (json_object_get_string_member (policy, "name"), ==, "all-to-c");
  sql = g_strdup_printf ("SELECT sum (tokens_in * 1.0 + tokens_out * 2.0) / 1e6 "
                         "FROM responses WHERE attempt = 1 AND %s", range);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (policy, "would_cost_usd"),
                                  sqlite3_column_double (stmt, 0), 1e-12);
  sqlite3_finalize (stmt);
  g_clear_pointer (&sql, g_free);
  sql = g_strdup_printf ("SELECT sum (coalesce (cost_usd, 0)) FROM responses WHERE %s", range);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (policy, "spent_usd"),
                                  sqlite3_column_double (stmt, 0), 1e-12);
  sqlite3_finalize (stmt);
  sqlite3_close (db);

  /* Bad periods are refused. */
  run_cli (f, "stats", "--since", "2026-13-45", NULL);
  g_assert_cmpint (f->status, ==, 2);
  g_assert_nonnull (strstr (f->err, "is not a date"));
  run_cli (f, "stats", "--since", "2026-11-27", "--until", "2026-11-24", NULL);
  g_assert_cmpint (f->status, ==, 2);
  run_cli (f, "stats", NULL);
  g_assert_cmpint (f->status, ==, 0);
  g_assert_nonnull (strstr (f->out, "fell back"));
  g_assert_nonnull (strstr (f->out, "The policy “all-to-c” would have cost"));
}

/* providers --test asks each provider for its models with its key, as the app's Test does:
 * what works and what failed, and an exit status that says whether any failed; the providers
 * named alone, when some are. */
static void
test_providers_test (Fixture       *f,
                     gconstpointer  data)
{
  g_autofree char *url = rw_mock_upstream_dup_base_url (f->mock);
  g_autofree char *json = g_strdup_printf (
    "{\"providers\": [{\"id\": \"mock\", \"kind\": \"openai\", \"base_url\": \"%s\","
    "                  \"api_key_env\": \"RW_CLI_TEST_KEY\"},"
    "                 {\"id\": \"dead\", \"kind\": \"openai\", \"base_url\": "
    "                  \"http://127.0.0.1:9/v1\"},"
    "                 {\"id\": \"keyless\", \"kind\": \"anthropic\", \"base_url\": "
    "                  \"https://api.anthropic.com/v1\", \"api_key_env\": \"RW_CLI_NO_KEY\"}]}",
    url);
  g_autofree char *auth = NULL;

  write_providers (f, json);
  rw_mock_upstream_push (f->mock, "GET /v1/models",
                         rw_mock_reply_new_json (200, "{\"object\":\"list\",\"data\":["
                                                      "{\"id\":\"a\"},{\"id\":\"b\"}]}"));
  run_cli (f, "providers", "--no-discover", "--test", NULL);
  g_assert_cmpint (f->status, ==, 1);
  g_assert_nonnull (strstr (f->out, "works: 2 models (a, b)"));
  g_assert_nonnull (strstr (f->out, "failed: Could not connect"));
  g_assert_nonnull (strstr (f->out, "failed: no API key for keyless"));
  auth = rw_mock_upstream_dup_last_header (f->mock, "Authorization");
  g_assert_cmpstr (auth, ==, "Bearer " TEST_KEY);
  g_assert_null (strstr (f->out, TEST_KEY));

  rw_mock_upstream_push (f->mock, "GET /v1/models",
                         rw_mock_reply_new_json (200, "{\"object\":\"list\",\"data\":[]}"));
  run_cli (f, "providers", "--no-discover", "--test", "mock", NULL);
  g_assert_cmpint (f->status, ==, 0);
  g_assert_nonnull (strstr (f->out, "works: 0 models"));
  g_assert_null (strstr (f->out, "dead"));

  run_cli (f, "providers", "--no-discover", "--test", "nosuch", NULL);
  g_assert_cmpint (f->status, ==, 2);
  g_assert_nonnull (strstr (f->err, "no provider “nosuch”"));
}

/* A serve without --policy follows the active policy while it runs: another process makes
 * another one active, or none, and serve says so and routes by it from then on. */
static void
test_serve_follows_active_policy (Fixture       *f,
                                  gconstpointer  data)
{
  g_autofree char *db_path = g_build_filename (f->data_dir, "routewise.db", NULL);
  g_autofree char *token_path = g_build_filename (f->config_dir, "token", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(RwStore) store = NULL;
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *second = NULL;
  g_autofree char *line1 = NULL;
  g_autofree char *token = NULL;
  const char *port_at;
  guint16 port;
  static const char auto_request[] = "{\"model\": \"routewise/auto\", "
                                     "\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}";

  keep_two_policies (f, &second);

  proc = start_cli (f, "serve", "--port", "0", NULL);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc));
  line1 = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  for (guint i = 0; i < 2; i++)
    g_free (g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error));
  g_assert_no_error (error);
  port_at = strstr (line1, "127.0.0.1:");
  g_assert_nonnull (port_at);
  port = (guint16) atoi (port_at + strlen ("127.0.0.1:"));
  g_assert_true (g_file_get_contents (token_path, &token, NULL, NULL));
  g_strstrip (token);

  for (guint round = 0; round < 3; round++)
    {
      static const char * const served[] = { "b", "c", "a" };
      g_autofree char *model = g_strdup_printf ("\"model\":\"mock/%s\"", served[round]);
      g_autofree char *reply = NULL;

      if (round > 0)
        {
          g_autofree char *said = NULL;

          /* Made active by another process (this one, with the database open as the app or
           * policy activate opens it): serve says so once it routes by it. */
          store = rw_store_open (db_path, &error);
          g_assert_no_error (error);
          rw_store_activate_policy (store, round == 1 ? second : NULL);
          g_assert_true (rw_store_flush (store, &error));
          rw_store_close (store);
          g_clear_object (&store);
          said = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
          g_assert_no_error (error);
          g_assert_nonnull (said);
          g_assert_nonnull (strstr (said, round == 1 ? "active policy “to-c”"
                                                     : "No policy is active now"));
        }
      rw_mock_upstream_push (f->mock, served[round], rw_mock_reply_new_chat ("routed", 3, 1));
      reply = http_post (port, token, auto_request);
      g_assert_true (g_str_has_prefix (reply, "HTTP/1.1 200"));
      g_assert_nonnull (strstr (reply, model));
    }
  g_subprocess_send_signal (proc, SIGTERM);
  finish_cli (f, proc);
  g_assert_cmpint (f->status, ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add ("/Rw/Cli/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("compare-json", test_compare_json);
  ADD ("all-fail", test_all_fail);
  ADD ("eval-interrupt", test_eval_interrupt);
  ADD ("text-output", test_text_output);
  ADD ("unknown-model", test_unknown_model);
  ADD ("bad-config", test_bad_config);
  ADD ("missing-config", test_missing_config);
  ADD ("unreachable", test_unreachable);
  ADD ("usage-errors", test_usage_errors);
  ADD ("interrupt", test_interrupt);
  ADD ("store-unwritable", test_store_unwritable);
  ADD ("history", test_history);
  ADD ("serve-active-policy", test_serve_active_policy);
  ADD ("serve-follows-active-policy", test_serve_follows_active_policy);
  ADD ("classify-no-store", test_classify_no_store);
  ADD ("stats", test_stats);
  ADD ("providers-test", test_providers_test);
#undef ADD

  return g_test_run ();
}
