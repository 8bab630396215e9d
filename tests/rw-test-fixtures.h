/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <routewise-engine.h>

#include "rw-mock-upstream.h"

G_BEGIN_DECLS

/* A database of its own in a temporary folder, closed and removed with the fixture; @store is
 * NULL for one made with rw_test_store_new_unopened(). */
typedef struct
{
  char *dir;
  char *path;
  RwStore *store;
} RwTestStore;

RwTestStore *rw_test_store_new      (void);
RwTestStore *rw_test_store_new_at   (const char  *relative_path);
RwTestStore *rw_test_store_new_unopened (void);
void         rw_test_store_free     (RwTestStore *db);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RwTestStore, rw_test_store_free)

/* A mock upstream, a catalog of the models it serves, a router over them and, when asked for, a
 * temporary database the router records into. */
typedef struct
{
  RwMockUpstream *mock;
  RwCatalog *catalog;
  RwTestStore *db;        /* NULL without a store */
  RwStore *store;         /* db->store, or NULL */
  RwRouter *router;
} RwTestWorld;

RwTestWorld *rw_test_world_new      (const char  *catalog_json,
                                     gboolean     with_store);
RwTestWorld *rw_test_world_new_with_mock (RwMockUpstream *mock,
                                          const char     *catalog_json,
                                          gboolean        with_store);
void         rw_test_world_free     (RwTestWorld *world);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RwTestWorld, rw_test_world_free)

void         rw_test_store_fill_week (RwStore    *store,
                                      gint64      monday_ms);

G_END_DECLS
