/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sqlite3.h>

#include "rw-test-fixtures.h"
#include "rw-test-util.h"

/* Returns: (transfer full): a temporary folder and the path of a database in it, not opened:
 * for tests that open it themselves, or open it twice */
RwTestStore *
rw_test_store_new_unopened (void)
{
  RwTestStore *db = g_new0 (RwTestStore, 1);

  db->dir = rw_test_make_tmpdir ();
  db->path = g_build_filename (db->dir, "routewise.db", NULL);
  return db;
}

/**
 * rw_test_store_new_at:
 * @relative_path: where the database goes inside the temporary folder ("sub/routewise.db")
 *
 * Returns: (transfer full): a database opened in a new temporary folder
 */
RwTestStore *
rw_test_store_new_at (const char *relative_path)
{
  RwTestStore *db = g_new0 (RwTestStore, 1);
  g_autoptr(GError) error = NULL;

  db->dir = rw_test_make_tmpdir ();
  db->path = g_build_filename (db->dir, relative_path, NULL);
  db->store = rw_store_open (db->path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (db->store);
  return db;
}

/* Returns: (transfer full): a database, routewise.db in a new temporary folder */
RwTestStore *
rw_test_store_new (void)
{
  return rw_test_store_new_at ("routewise.db");
}

void
rw_test_store_free (RwTestStore *db)
{
  if (db == NULL)
    return;
  if (db->store != NULL)
    rw_store_close (db->store);
  g_clear_object (&db->store);
  rw_test_rmtree (db->dir);
  g_free (db->dir);
  g_free (db->path);
  g_free (db);
}

/**
 * rw_test_world_new:
 * @catalog_json: a providers.json, where "$URL" stands for the mock upstream's base URL
 * @with_store: whether the router records into a temporary database
 *
 * Returns: (transfer full): the world
 */
RwTestWorld *
rw_test_world_new (const char *catalog_json,
                   gboolean    with_store)
{
  return rw_test_world_new_with_mock (rw_mock_upstream_new (), catalog_json, with_store);
}

/**
 * rw_test_world_new_with_mock:
 * @mock: (transfer full): the upstream, scripted already or not
 * @catalog_json: as for rw_test_world_new()
 * @with_store: as for rw_test_world_new()
 *
 * Returns: (transfer full): the world around @mock
 */
RwTestWorld *
rw_test_world_new_with_mock (RwMockUpstream *mock,
                             const char     *catalog_json,
                             gboolean        with_store)
{
  RwTestWorld *world = g_new0 (RwTestWorld, 1);
  g_autoptr(GString) json = g_string_new (catalog_json);
  g_autofree char *url = NULL;
  g_autoptr(GError) error = NULL;

  world->mock = mock;
  url = rw_mock_upstream_dup_base_url (world->mock);
  g_string_replace (json, "$URL", url, 0);
  world->catalog = rw_catalog_new ();
  g_assert_true (rw_catalog_load_data (world->catalog, "test", json->str, -1, &error));
  g_assert_no_error (error);
  if (with_store)
    {
      world->db = rw_test_store_new ();
      world->store = world->db->store;
    }
  world->router = rw_router_new (world->catalog, world->store);
  return world;
}

void
rw_test_world_free (RwTestWorld *world)
{
  if (world == NULL)
    return;
  g_clear_object (&world->router);
  g_clear_pointer (&world->db, rw_test_store_free);
  g_clear_object (&world->catalog);
  g_clear_pointer (&world->mock, rw_mock_upstream_free);
  g_free (world);
}

/* A week of the endpoint's requests, stored as the router stores them: each day some
 * requests answered by mock/a, some where mock/a failed and mock/b answered instead. */
void
rw_test_store_fill_week (RwStore *store,
                         gint64   monday_ms)
{
  g_autofree char *run = rw_store_begin_run (store, "serve", NULL);
  g_autoptr(GString) sql = g_string_new (NULL);

  for (guint i = 0; i < 35; i++)
    {
      g_autofree char *text = g_strdup_printf ("question %u", i);
      g_autoptr(RwChatRequest) request = rw_chat_request_new_for_prompt (text);
      g_autofree char *prompt = rw_store_record_prompt (store, request);
      g_autoptr(RwChatResult) first = rw_chat_result_new ("mock/a");
      g_autofree char *first_id = NULL;
      gboolean fails = i % 4 == 1;
      guint day = i % 7;

      first->tokens_in = 100 + i;
      first->tokens_out = 10 * i;
      first->cost_usd = (first->tokens_in * 1.0 + first->tokens_out * 2.0) / 1e6;
      first->latency_ms = 100 + 7 * i;
      first->ttft_ms = 20 + i;
      if (fails)
        first->error = g_error_new (RW_ERROR, i % 8 == 1 ? RW_ERROR_TIMEOUT : RW_ERROR_SERVER,
                                    "no");
      else
        g_string_assign (first->text, "yes");
      first_id = rw_store_record_answer (store, &(RwAnswerRecord) {
                   .run_id = run, .prompt_id = prompt, .result = first, .attempt = 1 });
      if (fails)
        {
          g_autoptr(RwChatResult) second = rw_chat_result_new ("mock/b");
          g_autofree char *second_id = NULL;

          second->tokens_in = 100 + i;
          second->tokens_out = 5 * i;
          second->cost_usd = (second->tokens_in * 1.0 + second->tokens_out * 2.0) / 1e6;
          second->latency_ms = 300 + i;
          second->ttft_ms = 50;
          g_string_assign (second->text, "also yes");
          second_id = rw_store_record_answer (store, &(RwAnswerRecord) {
                        .run_id = run, .prompt_id = prompt, .result = second, .attempt = 2 });
        }
      /* Each request on its day, a minute apart. */
      g_string_append_printf (sql, "UPDATE responses SET created_ms = %" G_GINT64_FORMAT
                              " + attempt WHERE prompt_id = '%s';",
                              monday_ms + day * 86400000 + i * 60000, prompt);
    }
  g_assert_true (rw_store_flush (store, NULL));
  {
    sqlite3 *db = NULL;
    g_assert_cmpint (sqlite3_open (rw_store_get_path (store), &db), ==, SQLITE_OK);
    g_assert_cmpint (sqlite3_exec (db, sql->str, NULL, NULL, NULL), ==, SQLITE_OK);
    sqlite3_close (db);
  }
}
