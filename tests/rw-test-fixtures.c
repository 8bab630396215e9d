/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

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
  RwTestWorld *world = g_new0 (RwTestWorld, 1);
  g_autoptr(GString) json = g_string_new (catalog_json);
  g_autofree char *url = NULL;
  g_autoptr(GError) error = NULL;

  world->mock = rw_mock_upstream_new ();
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
