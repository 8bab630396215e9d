/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <routewise-engine.h>

#include "rw-test-fixtures.h"
#include "rw-test-util.h"

/* The shared fixtures themselves: a temporary database is where it says and leaves nothing
 * behind, and a world's router reaches its mock upstream and records into its store. */

static void
test_store (void)
{
  RwTestStore *db = rw_test_store_new ();
  RwTestStore *bare = rw_test_store_new_unopened ();
  g_autofree char *dir = g_strdup (db->dir);
  g_autofree char *bare_dir = g_strdup (bare->dir);
  g_autofree char *run = NULL;

  g_assert_true (g_str_has_prefix (db->path, db->dir));
  run = rw_store_begin_run (db->store, "compare", NULL);
  g_assert_true (rw_store_flush (db->store, NULL));
  g_assert_cmpint (rw_test_db_int (db->path, "SELECT count(*) FROM runs"), ==, 1);

  g_assert_null (bare->store);
  g_assert_true (g_file_test (bare->dir, G_FILE_TEST_IS_DIR));
  g_assert_false (g_file_test (bare->path, G_FILE_TEST_EXISTS));

  rw_test_store_free (db);
  rw_test_store_free (bare);
  g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (bare_dir, G_FILE_TEST_EXISTS));
}

static void
route_cb (GObject      *object,
          GAsyncResult *res,
          gpointer      user_data)
{
  RwRouteResult **out = user_data;
  *out = rw_router_route_finish (RW_ROUTER (object), res);
}

static void
test_world (void)
{
  g_autoptr(RwTestWorld) world = rw_test_world_new (
    "{\"providers\": [{\"id\": \"mock\", \"kind\": \"openai\", \"base_url\": \"$URL\"}],"
    " \"models\": [{\"id\": \"mock/m\", \"provider\": \"mock\", \"name\": \"m\"}]}", TRUE);
  g_autoptr(RwTestWorld) bare = rw_test_world_new (
    "{\"providers\": [], \"models\": []}", FALSE);
  g_autoptr(RwChatRequest) request = rw_chat_request_new_for_prompt ("hi");
  static const char * const pieces[] = { "hello", NULL };
  RwRouteResult *out = NULL;

  g_assert_nonnull (rw_catalog_lookup_model (world->catalog, "mock/m"));
  g_assert_true (world->store == world->db->store);
  rw_mock_upstream_push (world->mock, "m", rw_mock_reply_new_stream (pieces, 1, 1, TRUE));
  rw_router_route_async (world->router, request, "mock/m", NULL, NULL, NULL, NULL, route_cb,
                         &out);
  while (out == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (out->result->error);
  g_assert_cmpstr (out->result->text->str, ==, "hello");
  g_assert_cmpuint (rw_mock_upstream_count (world->mock, "m"), ==, 1);
  g_assert_true (rw_store_flush (world->store, NULL));
  g_assert_cmpint (rw_test_db_int (world->db->path, "SELECT count(*) FROM responses"), ==, 1);
  rw_route_result_unref (out);

  g_assert_null (bare->db);
  g_assert_null (bare->store);
  g_assert_nonnull (bare->router);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/Rw/Fixtures/store", test_store);
  g_test_add_func ("/Rw/Fixtures/world", test_world);
  return g_test_run ();
}
