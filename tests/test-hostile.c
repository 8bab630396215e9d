/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <glib/gstdio.h>
#include <routewise-eval.h>

#include "rw-hostile-upstream.h"
#include "rw-test-fixtures.h"
#include "rw-test-util.h"

/*
 * Hostile input, one test per defect found by the security probe: each of these crashed,
 * hung or exhausted Routewise before it was fixed.
 */

static char *
write_file (const char *dir,
            const char *name,
            const char *contents)
{
  char *path = g_build_filename (dir, name, NULL);

  g_assert_true (g_file_set_contents (path, contents, -1, NULL));
  return path;
}

static void
assert_deep_refused (GError *error)
{
  g_assert_nonnull (error);
  if (strstr (error->message, "nested deeper than 512 levels") == NULL)
    g_error ("unexpected message: %s", error->message);
}

static void
discover_cb (GObject      *object,
             GAsyncResult *res,
             gpointer      data)
{
  gint *added = data;

  *added = rw_catalog_discover_finish (RW_CATALOG (object), res, NULL);
}

/* D1: every reader of outside JSON refuses a deeply nested document with a message. */
static void
test_d1_deep_json (void)
{
  g_autofree char *dir = rw_test_make_tmpdir ();
  g_autofree char *deep = rw_hostile_deep_json ("data");
  g_autoptr(GError) error = NULL;

  {
    g_autofree char *path = write_file (dir, "policy.json", deep);
    g_assert_null (rw_policy_new_from_file (path, &error));
    assert_deep_refused (error);
    g_clear_error (&error);
  }
  {
    g_autofree char *path = write_file (dir, "catalog.json", deep);
    g_autoptr(RwCatalog) catalog = rw_catalog_new ();
    g_assert_false (rw_catalog_load_file (catalog, path, &error));
    assert_deep_refused (error);
    g_clear_error (&error);
  }
  {
    g_autofree char *path = write_file (dir, "providers.json", deep);
    g_autoptr(RwProvidersFile) file = rw_providers_file_new (path);
    g_assert_false (rw_providers_file_load (file, &error));
    assert_deep_refused (error);
    g_clear_error (&error);
  }
  {
    g_autofree char *path = write_file (dir, "suite.jsonl", deep);
    g_assert_null (rw_suite_new_from_file (path, &error));
    assert_deep_refused (error);
    g_clear_error (&error);
  }
  {
    g_autofree char *path = write_file (dir, "results.json", deep);
    g_assert_null (rw_promptfoo_read_data_file (path, &error));
    assert_deep_refused (error);
    g_clear_error (&error);
  }
  {
    g_autofree char *path = write_file (dir, "outcomes.jsonl", deep);
    g_assert_null (rw_outcomes_read (NULL, path, &error));
    assert_deep_refused (error);
    g_clear_error (&error);
  }
  {
    /* A model's answer, graded as JSON: a failed grade, not a crash on every resume. */
    g_autoptr(JsonNode) spec = rw_json_parse ("{\"type\":\"json\"}", 15, NULL);
    g_autoptr(RwGrade) grade = rw_grader_grade (json_node_get_object (spec), deep, NULL, &error);
    g_assert_no_error (error);
    g_assert_nonnull (grade);
    g_assert_false (grade->pass);
    g_assert_nonnull (strstr (grade->detail, "nested deeper than 512 levels"));
  }
  {
    /* The hostile local server on a discovered port answers the model list with such a body. */
    RwMockUpstream *mock = rw_hostile_upstream_new ();
    g_autoptr(RwCatalog) catalog = rw_catalog_new ();
    g_autofree char *url = rw_mock_upstream_dup_base_url (mock);
    gint added = -1;

    rw_catalog_add_local_server (catalog, "ollama", url);
    rw_catalog_discover_async (catalog, NULL, discover_cb, &added);
    while (added < 0)
      g_main_context_iteration (NULL, TRUE);
    g_assert_cmpint (added, ==, 0);
    g_assert_null (rw_catalog_lookup_provider (catalog, "ollama"));
    rw_mock_upstream_free (mock);
  }
  rw_test_rmtree (dir);
}

/* D8: a file:// reference or a data file that is a device, a FIFO or too large is refused
 * at once, without reading it. */
static void
test_d8_unbounded_files (void)
{
  g_autofree char *dir = rw_test_make_tmpdir ();
  g_autofree char *fifo = g_build_filename (dir, "vars.fifo", NULL);
  g_autofree char *big = g_build_filename (dir, "big.txt", NULL);
  g_autofree char *config = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  gsize len = 0;
  int fd;

  /* /dev/zero never ends; it reached 11-14 GB in a minute. */
  g_assert_false (rw_file_read ("/dev/zero", RW_FILE_DOCUMENT_MAX, &contents, &len, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL);
  g_assert_nonnull (strstr (error->message, "/dev/zero is not a regular file"));
  g_clear_error (&error);

  /* A FIFO with no writer would block for ever. */
  g_assert_cmpint (mkfifo (fifo, 0600), ==, 0);
  g_assert_false (rw_file_read (fifo, RW_FILE_DOCUMENT_MAX, &contents, &len, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_INVAL);
  g_clear_error (&error);

  /* A folder. */
  g_assert_false (rw_file_read (dir, RW_FILE_DOCUMENT_MAX, &contents, &len, &error));
  g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_ISDIR);
  g_clear_error (&error);

  /* Larger than the limit, even when sparse: refused from its size, before it is read. */
  fd = g_open (big, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (ftruncate (fd, (off_t) RW_FILE_DOCUMENT_MAX + 1), ==, 0);
  close (fd);
  g_assert_false (rw_file_read (big, RW_FILE_DOCUMENT_MAX, &contents, &len, &error));
  g_assert_nonnull (strstr (error->message, "is larger than 256 MiB"));
  g_clear_error (&error);

  /* A small limit is honoured to the byte. */
  g_assert_true (g_file_set_contents (big, "0123456789", 10, NULL));
  g_assert_true (rw_file_read (big, 10, &contents, &len, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (len, ==, 10);
  g_assert_cmpstr (contents, ==, "0123456789");
  g_clear_pointer (&contents, g_free);
  g_assert_false (rw_file_read (big, 9, &contents, &len, &error));
  g_assert_null (contents);
  g_assert_nonnull (strstr (error->message, "is larger than 9 bytes"));
  g_clear_error (&error);

  /* A spreadsheet's or an editor's byte order mark: kept by the byte reader, dropped for text. */
  g_assert_true (g_file_set_contents (big, "\xef\xbb\xbf{\"a\": 1}", -1, NULL));
  g_assert_true (rw_file_read (big, 100, &contents, &len, &error));
  g_assert_cmpuint (len, ==, 11);
  g_clear_pointer (&contents, g_free);
  g_assert_true (rw_file_read_text (big, 100, &contents, &len, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (len, ==, 8);
  g_assert_cmpstr (contents, ==, "{\"a\": 1}");
  g_clear_pointer (&contents, g_free);
  {
    g_autoptr(JsonNode) node = rw_file_read_json (big, 100, &error);
    g_assert_no_error (error);
    g_assert_cmpint (json_object_get_int_member (json_node_get_object (node), "a"), ==, 1);
  }

  /* A promptfoo configuration whose tests come from /dev/zero and whose vars from a FIFO. */
  {
    g_autofree char *link = g_build_filename (dir, "tests.csv", NULL);
    g_assert_cmpint (symlink ("/dev/zero", link), ==, 0);
  }
  config = write_file (dir, "zero.yaml", "prompts: ['{{q}}']\ntests: file://tests.csv\n");
  g_assert_null (rw_suite_new_from_file (config, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "not a regular file"));
  g_clear_error (&error);
  g_free (config);
  config = write_file (dir, "fifo.yaml",
                       "prompts: ['{{q}}']\ntests:\n  - vars:\n      q: file://vars.fifo\n");
  g_assert_null (rw_suite_new_from_file (config, &error));
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "not a regular file"));
  g_clear_error (&error);

  rw_test_rmtree (dir);
}

/* D7: YAML whose keys are mappings built from aliases doubled at each level (a 96-byte file
 * took 23 s and 1.3 GB); aliases that copy a long text many times. */
static void
test_d7_yaml_expansion (void)
{
  const char *keys = "a: &a {k: v}\nb: &b {? *a : *a, ? [*a] : 1}\nc: &c {? *b : *b, ? [*b] : 1}\n"
                     "d: &d {? *c : *c, ? [*c] : 1}\ne: {? *d : *d}\n";
  g_autoptr(GString) text = g_string_new ("long: &t \"");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;

  node = rw_yaml_parse (keys, strlen (keys), "keys.yaml", &error);
  g_assert_null (node);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "a mapping key must be a scalar"));
  g_clear_error (&error);

  /* 1 MiB of text, then a list of 100 aliases to it: 100 MiB from a file of 1 MiB. */
  for (guint i = 0; i < (1 << 20); i++)
    g_string_append_c (text, 'x');
  g_string_append (text, "\"\ncopies: [");
  for (guint i = 0; i < 100; i++)
    g_string_append (text, i ? ", *t" : "*t");
  g_string_append (text, "]\n");
  node = rw_yaml_parse (text->str, text->len, "copies.yaml", &error);
  g_assert_null (node);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "aliases expand to more than 64 MiB of text"));
  g_clear_error (&error);

  /* What is allowed still works: a few copies, and scalar keys of every kind. */
  {
    const char *ok = "t: &t abc\nc: [*t, *t]\n1: one\n";
    node = rw_yaml_parse (ok, strlen (ok), "ok.yaml", &error);
  }
  g_assert_no_error (error);
  g_assert_cmpstr (json_array_get_string_element (
                     json_object_get_array_member (json_node_get_object (node), "c"), 1), ==, "abc");
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (node), "1"), ==, "one");
}

/* D9: a one-row RouteLLM file of 2,000 model columns took 46 s and 3.4 GB, and made a database
 * of 1.9 GB: each pair of models is a comparison. Such a file is refused from its header. */
static void
test_d9_routellm_columns (void)
{
  g_autofree char *dir = rw_test_make_tmpdir ();
  g_autofree char *db = g_build_filename (dir, "routewise.db", NULL);
  g_autofree char *csv = NULL;
  g_autoptr(GString) text = g_string_new ("prompt");
  g_autoptr(RwStore) store = rw_store_open (db, NULL);
  g_autoptr(RwCatalog) catalog = rw_catalog_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *run = NULL;
  guint n = 0;

  for (guint i = 0; i < 2000; i++)
    g_string_append_printf (text, ",model-%u", i);
  g_string_append (text, "\nWhat is 2+2?");
  for (guint i = 0; i < 2000; i++)
    g_string_append (text, i % 2 ? ",True" : ",False");
  g_string_append_c (text, '\n');
  csv = write_file (dir, "wide.csv", text->str);
  run = rw_routellm_import (store, catalog, csv, &n, &error);
  g_assert_null (run);
  g_assert_nonnull (error);
  g_assert_nonnull (strstr (error->message, "more than 64 model columns"));
  g_assert_cmpuint (n, ==, 0);
  g_clear_object (&store);
  g_assert_cmpint (rw_test_db_int (db, "SELECT count(*) FROM votes"), ==, 0);
  g_assert_cmpint (rw_test_db_int (db, "SELECT count(*) FROM responses"), ==, 0);
  rw_test_rmtree (dir);
}

static void
db_exec (const char *path,
         const char *sql)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  sqlite3_busy_timeout (db, 10000);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
}

/* The pid of a process that is gone: a child that has exited and been reaped. */
static GPid
gone_pid (void)
{
  const char *argv[] = { "true", NULL };
  GPid pid = 0;
  int status;

  g_assert_true (g_spawn_async (NULL, (char **) argv, NULL,
                                G_SPAWN_SEARCH_PATH | G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
                                &pid, NULL));
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  return pid;
}

static void
run_done_cb (GObject      *object,
             GAsyncResult *res,
             gpointer      data)
{
  const char **status = data;

  *status = rw_eval_runner_run_finish (RW_EVAL_RUNNER (object), res, NULL);
}

static const char *
run_to_end (RwEvalRunner *runner)
{
  const char *status = NULL;

  rw_eval_runner_run_async (runner, NULL, run_done_cb, &status);
  while (status == NULL)
    g_main_context_iteration (NULL, TRUE);
  return status;
}

/* D2: two processes resuming one evaluation run stored 76 of 80 answers twice, then crashed on
 * every later resume. A run is now claimed by one runner at a time; a claim whose process is
 * gone, or that has gone silent, is taken over; an answer is stored once, whatever happens. */
static void
test_d2_run_claimed_once (void)
{
  g_autofree char *dir = rw_test_make_tmpdir ();
  g_autofree char *db = g_build_filename (dir, "routewise.db", NULL);
  g_autofree char *sample = g_build_filename (g_getenv ("G_TEST_SRCDIR"), "..", "data", "suites",
                                              "gsm8k-sample.jsonl", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(RwSuite) suite = NULL;
  g_autoptr(RwCatalog) catalog = rw_catalog_new ();
  g_autoptr(RwStore) store = NULL;
  g_autoptr(GPtrArray) models = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(RwEvalRunner) first = NULL;
  g_autoptr(RwEvalRunner) second = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *holder = NULL;
  g_autofree char *sql = NULL;
  g_auto(GStrv) parts = NULL;
  GPid gone = 0;

  /* The first three items of the bundled sample, which the recorded models answer. */
  g_assert_true (g_file_get_contents (sample, &contents, NULL, NULL));
  {
    char *end = contents;
    for (guint i = 0; i < 3 && end != NULL; i++)
      end = strchr (end + (i ? 1 : 0), '\n');
    g_assert_nonnull (end);
    end[1] = '\0';
  }
  suite = rw_suite_new_from_data ("claim.jsonl", "jsonl", contents, strlen (contents), NULL);
  g_assert_nonnull (suite);
  g_assert_cmpuint (rw_suite_get_n_items (suite), ==, 3);
  g_assert_true (rw_catalog_load_defaults (catalog, NULL));
  g_assert_true (rw_catalog_load_data (catalog, "t", "{\"providers\": [{\"id\": \"recorded\", "
                                       "\"kind\": \"recorded\", \"speed\": 0}]}", -1, NULL));
  g_ptr_array_add (models, g_object_ref (rw_catalog_lookup_model (catalog,
                                                                  "recorded/gpt-4-1106-preview")));
  store = rw_store_open (db, &error);
  g_assert_no_error (error);

  /* The first runner holds the run: a second one in this program is refused before it reads
   * or sends anything. */
  first = rw_eval_runner_new (catalog, store, suite, models, 1);
  g_assert_true (rw_eval_runner_prepare (first, NULL, &error));
  g_assert_no_error (error);
  second = rw_eval_runner_new (catalog, store, suite, models, 1);
  g_assert_false (rw_eval_runner_prepare (second, rw_eval_runner_get_run_id (first), &error));
  g_assert_nonnull (strstr (error->message, "is already running in this program"));
  g_clear_error (&error);
  g_clear_object (&second);
  holder = rw_test_db_text (db, "SELECT holder FROM runs");
  parts = g_strsplit (holder, " ", 3);
  g_assert_cmpuint (g_strv_length (parts), ==, 3);
  g_assert_cmpint (g_ascii_strtoll (parts[0], NULL, 10), ==, getpid ());
  g_clear_object (&first);
  g_assert_true (rw_store_flush (store, NULL));
  /* Given back when the runner goes. */
  g_assert_cmpint (rw_test_db_int (db, "SELECT count(*) FROM runs WHERE holder IS NULL"), ==, 1);

  /* Another live process holds it, and was heard from just now: refused, naming it. */
  sql = g_strdup_printf ("UPDATE runs SET holder = '%d %s other', heartbeat_ms = %" G_GINT64_FORMAT,
                         (int) getppid (), parts[1], g_get_real_time () / 1000);
  db_exec (db, sql);
  second = rw_eval_runner_new (catalog, store, suite, models, 1);
  g_assert_false (rw_eval_runner_prepare (second, NULL, &error));
  {
    g_autofree char *want = g_strdup_printf ("is being run by process %d", (int) getppid ());
    g_assert_nonnull (strstr (error->message, want));
  }
  g_clear_error (&error);
  g_clear_object (&second);

  /* The same process, silent for two minutes: taken over. */
  g_free (sql);
  sql = g_strdup_printf ("UPDATE runs SET heartbeat_ms = %" G_GINT64_FORMAT,
                         g_get_real_time () / 1000 - 120000);
  db_exec (db, sql);
  second = rw_eval_runner_new (catalog, store, suite, models, 1);
  g_assert_true (rw_eval_runner_prepare (second, NULL, &error));
  g_assert_no_error (error);
  g_clear_object (&second);

  /* A process that is gone (a child that has exited), heard from just now: taken over, and
   * the run finishes with each answer stored once. */
  gone = gone_pid ();
  g_free (sql);
  sql = g_strdup_printf ("UPDATE runs SET holder = '%d %s gone', heartbeat_ms = %" G_GINT64_FORMAT,
                         (int) gone, parts[1], g_get_real_time () / 1000);
  db_exec (db, sql);
  second = rw_eval_runner_new (catalog, store, suite, models, 1);
  g_assert_true (rw_eval_runner_prepare (second, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (rw_eval_runner_is_resumed (second));
  g_assert_cmpstr (run_to_end (second), ==, "done");
  g_clear_object (&second);
  g_assert_true (rw_store_flush (store, NULL));
  g_assert_cmpint (rw_test_db_int (db, "SELECT count(*) FROM responses WHERE status = 'ok'"), ==, 3);
  g_assert_cmpint (rw_test_db_int (db, "SELECT count(*) FROM runs WHERE holder IS NULL"), ==, 1);

  /* Whatever a bug or an older version left behind, the database takes an answer once. */
  {
    sqlite3 *h = NULL;
    int rc;

    g_assert_cmpint (sqlite3_open (db, &h), ==, SQLITE_OK);
    sqlite3_busy_timeout (h, 10000);
    rc = sqlite3_exec (h, "INSERT INTO responses (id, run_id, prompt_id, model, status, item_id, "
                          "sample, created_ms) SELECT 'again', run_id, prompt_id, model, 'ok', "
                          "item_id, sample, created_ms FROM responses LIMIT 1", NULL, NULL, NULL);
    g_assert_cmpint (rc, ==, SQLITE_CONSTRAINT);
    sqlite3_close (h);
  }
  g_clear_object (&store);
  rw_test_rmtree (dir);
}

/* D12: a database that cannot be written was reported as stored ("Stored as run", exit 0) and
 * `serve` answered while storing nothing. Now it is an error before anything is sent. The
 * command runs as another user where the tests run as root, whom permissions do not stop. */
static void
test_d12_read_only_database (void)
{
  g_autofree char *dir = rw_test_make_tmpdir ();
  g_autofree char *db = g_build_filename (dir, "routewise.db", NULL);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_auto(GStrv) env = g_get_environ ();
  int status = 0;

  {
    g_autoptr(RwStore) store = rw_store_open (db, &error);
    g_assert_no_error (error);
    rw_store_close (store);
  }
  {
    g_autoptr(RwStore) store = NULL;
    g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
    const char *name;

    g_assert_cmpint (g_chmod (dir, 0755), ==, 0);
    while ((name = g_dir_read_name (d)) != NULL)
      {
        g_autofree char *file = g_build_filename (dir, name, NULL);
        g_assert_cmpint (g_chmod (file, 0444), ==, 0);
      }
    if (getuid () != 0)
      {
        /* In this process too. */
        store = rw_store_open (db, &error);
        g_assert_null (store);
        g_assert_error (error, RW_ERROR, RW_ERROR_STORE);
        g_assert_nonnull (strstr (error->message, "cannot be written"));
        g_clear_error (&error);
      }
  }

  if (getuid () == 0)
    {
      g_ptr_array_add (argv, "setpriv");
      g_ptr_array_add (argv, "--reuid=65534");
      g_ptr_array_add (argv, "--regid=65534");
      g_ptr_array_add (argv, "--clear-groups");
    }
  g_ptr_array_add (argv, (char *) g_getenv ("ROUTEWISE_CLI"));
  g_ptr_array_add (argv, "compare");
  g_ptr_array_add (argv, "-m");
  g_ptr_array_add (argv, "recorded/gpt-4-1106-preview");
  g_ptr_array_add (argv, "What is 2+2?");
  g_ptr_array_add (argv, NULL);
  env = g_environ_setenv (env, "ROUTEWISE_DATA_DIR", dir, TRUE);
  env = g_environ_setenv (env, "HOME", dir, TRUE);
  env = g_environ_setenv (env, "XDG_CONFIG_HOME", dir, TRUE);
  g_assert_true (g_spawn_sync (dir, (char **) argv->pdata, env, G_SPAWN_SEARCH_PATH, NULL, NULL,
                               &out, &err, &status, &error));
  g_assert_no_error (error);
  g_assert_false (g_spawn_check_wait_status (status, NULL));
  g_assert_null (strstr (out, "Stored as run"));
  if (strstr (err, "cannot be written") == NULL)
    g_error ("unexpected output: %s", err);
  g_assert_cmpint (g_chmod (dir, 0700), ==, 0);
  rw_test_rmtree (dir);
}

/* D16: runs left "running" by a process that was killed stayed "running" for ever. A run is
 * running while a live process holds it; otherwise it reads as interrupted. */
static void
test_d16_interrupted_runs (void)
{
  g_autofree char *dir = rw_test_make_tmpdir ();
  g_autofree char *db = g_build_filename (dir, "routewise.db", NULL);
  g_autoptr(RwStore) store = rw_store_open (db, NULL);
  g_autofree char *held = rw_store_begin_run (store, "serve", NULL);
  g_autofree char *dead = rw_store_begin_run (store, "serve", NULL);
  g_autofree char *old = rw_store_begin_run (store, "compare", NULL);
  g_autofree char *fresh = rw_store_begin_run (store, "compare", NULL);
  g_autoptr(RwRunHold) hold = NULL;
  g_autofree char *holder = NULL;
  g_autofree char *sql = NULL;
  g_auto(GStrv) parts = NULL;
  GPid gone = 0;

  g_assert_nonnull (store);
  hold = rw_store_hold_run (store, held, NULL);
  g_assert_nonnull (hold);
  g_assert_true (rw_store_flush (store, NULL));
  sql = g_strdup_printf ("SELECT holder FROM runs WHERE id = '%s'", held);
  holder = rw_test_db_text (db, sql);
  parts = g_strsplit (holder, " ", 3);
  gone = gone_pid ();
  g_free (sql);
  sql = g_strdup_printf ("UPDATE runs SET holder = '%d %s x', heartbeat_ms = %" G_GINT64_FORMAT
                         " WHERE id = '%s'; UPDATE runs SET created_ms = created_ms - 120000 "
                         "WHERE id = '%s'", (int) gone, parts[1], g_get_real_time () / 1000,
                         dead, old);
  db_exec (db, sql);

  {
    const char *ids[] = { held, dead, old, fresh };
    const char *want[] = { "running", "interrupted", "interrupted", "running" };

    for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
      {
        g_autoptr(RwStoredRun) run = rw_store_lookup_run (store, ids[i], NULL, NULL);
        g_assert_nonnull (run);
        g_assert_cmpstr (run->status, ==, want[i]);
      }
  }
  /* Given back and finished: done. */
  g_clear_pointer (&hold, rw_run_hold_release);
  rw_store_finish_run (store, held, "done");
  g_assert_true (rw_store_flush (store, NULL));
  {
    g_autoptr(RwStoredRun) run = rw_store_lookup_run (store, held, NULL, NULL);
    g_assert_cmpstr (run->status, ==, "done");
  }
  g_clear_object (&store);
  rw_test_rmtree (dir);
}

/* The security probe's hostile upstream, one model per way of misbehaving, each priced so that
 * an absurd usage would cost absurd money; @max_answer_bytes 0 keeps the default limit. */
static RwTestWorld *
hostile_world (guint max_answer_bytes)
{
  g_autoptr(GString) json = g_string_new ("{\"providers\": [{\"id\": \"hostile\", \"kind\": \"openai\","
                                          " \"base_url\": \"$URL\"");

  if (max_answer_bytes != 0)
    g_string_append_printf (json, ", \"max_answer_bytes\": %u", max_answer_bytes);
  g_string_append (json, "}], \"models\": [");

  for (guint i = 0; i < rw_hostile_n_cases; i++)
    g_string_append_printf (json, "%s{\"id\": \"hostile/%s\", \"provider\": \"hostile\", "
                            "\"name\": \"%s\", \"input_price\": 10, \"output_price\": 30}",
                            i ? ", " : "", rw_hostile_cases[i].model, rw_hostile_cases[i].model);
  g_string_append (json, "]}");
  return rw_test_world_new_with_mock (rw_hostile_upstream_new (), json->str, TRUE);
}

static void
route_cb (GObject      *object,
          GAsyncResult *res,
          gpointer      data)
{
  *(RwRouteResult **) data = rw_router_route_finish (RW_ROUTER (object), res);
}

static double
stored_spend (RwStore *store)
{
  g_autofree char *text = NULL;

  g_assert_true (rw_store_flush (store, NULL));
  text = rw_test_db_text (rw_store_get_path (store),
                          "SELECT printf('%.9f', coalesce(sum(cost_usd), 0)) FROM responses");
  return g_ascii_strtod (text, NULL);
}

/* D1, D5, D6 through the router: each hostile answer ends as an error that names what was wrong,
 * or as an answer with believable usage; nothing crashes, every attempt is stored, and what is
 * stored costs cents. */
static void
test_hostile_upstream_router (void)
{
  g_autoptr(RwTestWorld) world = hostile_world (0);
  double spend = 0;

  rw_router_set_retries (world->router, 0, 0, 0);
  for (guint i = 0; i < rw_hostile_n_cases; i++)
    {
      const RwHostileCase *c = &rw_hostile_cases[i];
      g_autofree char *model = g_strconcat ("hostile/", c->model, NULL);
      g_autoptr(RwChatRequest) request = rw_chat_request_new_for_prompt ("Say hi.");
      g_autoptr(RwRouteResult) out = NULL;
      RwChatResult *r;
      double limit;

      g_test_message ("%s", model);
      if (c->warning != NULL)
        g_test_expect_message ("Routewise-Engine", G_LOG_LEVEL_WARNING, c->warning);
      rw_router_route_async (world->router, request, model, NULL, NULL, NULL, NULL, route_cb, &out);
      while (out == NULL)
        g_main_context_iteration (NULL, TRUE);
      g_test_assert_expected_messages ();
      r = out->result;
      if (c->fails)
        {
          g_assert_nonnull (r->error);
          if (c->message != NULL && strstr (r->error->message, c->message) == NULL)
            g_error ("%s: unexpected message: %s", model, r->error->message);
          /* What arrived before the limit is kept, and no more. */
          g_assert_cmpuint (r->text->len, ==, c->kept);
        }
      else
        {
          g_assert_no_error (r->error);
          g_assert_cmpstr (r->text->str, ==, "Hi");
          g_assert_true (r->usage_estimated);
          g_assert_cmpint (r->tokens_in, >=, 0);
          g_assert_cmpint (r->tokens_in, <, 100);
          g_assert_cmpint (r->tokens_out, >, 0);
          g_assert_cmpint (r->tokens_out, <, 100);
        }
      /* The cost of what arrived, priced at $30 per million tokens out: never more than a token
       * for each byte the limit lets in; cents for the answer "Hi". */
      limit = c->fails ? RW_PROVIDER_MAX_ANSWER_BYTES * 30e-6 + 0.01 : 0.01;
      spend += isnan (r->cost_usd) ? 0 : r->cost_usd;
      if (!(isnan (r->cost_usd) || (r->cost_usd >= 0 && r->cost_usd < limit)))
        g_error ("%s: cost %g for %" G_GINT64_FORMAT " + %" G_GINT64_FORMAT " tokens",
                 model, r->cost_usd, r->tokens_in, r->tokens_out);
    }
  g_assert_true (rw_store_flush (world->store, NULL));
  for (guint i = 0; i < rw_hostile_n_cases; i++)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT length(text) FROM responses "
                                              "WHERE model = 'hostile/%s'", rw_hostile_cases[i].model);
      g_assert_cmpint (rw_test_db_int (rw_store_get_path (world->store), sql), ==,
                       rw_hostile_cases[i].kept);
    }
  g_assert_cmpfloat (fabs (stored_spend (world->store) - spend), <, 1e-6);
}

/* The same upstream behind `serve`: each hostile answer is an error reply or a plain answer, the
 * server goes on serving, and a daily ceiling is not spent by a reported usage. The provider
 * takes answers of 1 MiB here, well under what a client may leave unread (8 MiB): this client
 * reads on the server's own loop. */
static void
test_hostile_upstream_serve (void)
{
  g_autoptr(RwTestWorld) world = hostile_world (1 << 20);
  g_autoptr(RwServer) server = rw_server_new (world->router, "tok");
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *base = NULL;

  rw_router_set_retries (world->router, 0, 0, 0);
  g_assert_true (rw_server_listen (server, 0, &error));
  base = g_strdup_printf ("http://127.0.0.1:%u/v1", rw_server_get_port (server));
  for (guint round = 0; round < 2; round++)
    for (guint i = 0; i < rw_hostile_n_cases; i++)
      {
        const RwHostileCase *c = &rw_hostile_cases[i];
        g_autofree char *url = g_strconcat (base, "/chat/completions", NULL);
        g_autofree char *body = g_strdup_printf ("{\"model\": \"hostile/%s\", \"stream\": %s, "
                                                 "\"messages\": [{\"role\": \"user\", "
                                                 "\"content\": \"Say hi.\"}]}",
                                                 c->model, round ? "true" : "false");
        g_autofree char *reply = NULL;
        g_autoptr(SoupMessage) msg = NULL;
        guint status;

        if (c->warning != NULL)
          g_test_expect_message ("Routewise-Engine", G_LOG_LEVEL_WARNING, c->warning);
        msg = rw_test_http (session, "POST", url, "tok", body, &reply);
        status = soup_message_get_status (msg);

        g_test_assert_expected_messages ();
        g_test_message ("%s, %s: %u", c->model, round ? "streamed" : "whole", status);
        if (round == 0 && c->fails)
          {
            g_assert_cmpuint (status, >=, 500);
            g_assert_nonnull (strstr (reply, "\"error\""));
            if (c->message != NULL)
              g_assert_nonnull (strstr (reply, c->message));
          }
        else if (round == 0)
          {
            g_assert_cmpuint (status, ==, 200);
            g_assert_nonnull (strstr (reply, "\"Hi\""));
          }
        else
          {
            /* A failure before any text is an error reply; once text has gone out, the
             * failure is the stream's last event. */
            if (c->fails && c->kept == 0)
              g_assert_cmpuint (status, ==, 502);
            else if (!c->fails)
              g_assert_cmpuint (status, ==, 200);
            if (c->fails)
              g_assert_nonnull (strstr (reply, status == 200 ? "data: {\"error\"" : "\"error\""));
            else
              g_assert_nonnull (strstr (reply, "data: [DONE]"));
          }
        g_assert_cmpuint (strlen (reply), <, 2 * RW_PROVIDER_MAX_ANSWER_BYTES);
      }
  {
    g_autofree char *url = g_strconcat (base, "/models", NULL);
    g_autofree char *reply = NULL;
    g_autoptr(SoupMessage) msg = rw_test_http (session, "GET", url, "tok", NULL, &reply);
    g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
    g_assert_nonnull (strstr (reply, "hostile/absurd-usage"));
  }
  /* Spent: what the four cut answers (huge and huge-whole, twice) brought, at most a token for
   * each byte of the limit; nothing for a reported usage. */
  g_assert_cmpfloat (stored_spend (world->store), <, 4 * (1 << 20) * 30e-6 + 0.01);
  rw_server_stop (server);
}

static void
count_feature (guint    bucket,
               gpointer data)
{
  (*(guint *) data)++;
}

/* D17: one request of 6.8 MB held every other request on its loop for up to 2.35 s, most of it
 * spent hashing the words of the whole prompt, again for each model the policy weighed. The
 * policy reads a prompt's first words only, as it learned from them. */
static void
test_d17_routing_work_bounded (void)
{
  g_autoptr(GString) text = g_string_new (NULL);
  guint n = 0;

  for (guint i = 0; i < 700000; i++)
    g_string_append_printf (text, "word%u ", i % 5000);
  rw_text_each_feature (65536, text->str, count_feature, &n);
  /* A word and the pair it ends, for each word read. */
  g_assert_cmpuint (n, ==, 2 * RW_TEXT_MAX_WORDS - 1);

  g_string_assign (text, "What is the capital of France?");
  n = 0;
  rw_text_each_feature (65536, text->str, count_feature, &n);
  g_assert_cmpuint (n, ==, 11);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/Rw/Hostile/D1-deep-json", test_d1_deep_json);
  g_test_add_func ("/Rw/Hostile/D2-run-claimed-once", test_d2_run_claimed_once);
  g_test_add_func ("/Rw/Hostile/D7-yaml-expansion", test_d7_yaml_expansion);
  g_test_add_func ("/Rw/Hostile/D8-unbounded-files", test_d8_unbounded_files);
  g_test_add_func ("/Rw/Hostile/D9-routellm-columns", test_d9_routellm_columns);
  g_test_add_func ("/Rw/Hostile/D12-read-only-database", test_d12_read_only_database);
  g_test_add_func ("/Rw/Hostile/D16-interrupted-runs", test_d16_interrupted_runs);
  g_test_add_func ("/Rw/Hostile/D17-routing-work-bounded", test_d17_routing_work_bounded);
  g_test_add_func ("/Rw/Hostile/upstream-router", test_hostile_upstream_router);
  g_test_add_func ("/Rw/Hostile/upstream-serve", test_hostile_upstream_serve);
  return g_test_run ();
}
