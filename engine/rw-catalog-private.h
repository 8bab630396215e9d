/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "rw-catalog.h"

G_BEGIN_DECLS

/* The catalog, shared by rw-catalog.c (the collection), rw-catalog-load.c (reading a catalog
 * document), rw-catalog-shipped.c (the catalog shipped with Routewise) and
 * rw-catalog-discover.c (local servers). */
struct _RwCatalog
{
  GObject parent_instance;

  GHashTable *providers;      /* id -> RwProvider */
  GPtrArray *provider_order;  /* ids */
  GHashTable *models;         /* id -> RwModel */
  GListStore *model_list;
  /* The endpoint's event loops read the catalog while the app changes it (Preferences): the
   * tables, the order and the list are read and changed under this lock (recursive, for a
   * handler of the list's items-changed that reads the catalog). A model or provider that is
   * replaced or removed is kept in @retired until the catalog goes, so that what a lookup gave
   * another thread stays valid. */
  GRecMutex lock;
  GPtrArray *retired;
  GPtrArray *local_ids;       /* local servers to look for: ids and base URLs */
  GPtrArray *local_urls;
};

gboolean    _rw_catalog_is_valid_id        (const char  *id);
RwProvider *_rw_catalog_provider_from_json (JsonObject  *obj,
                                            const char  *where,
                                            GError     **error);
gboolean    _rw_catalog_apply_model        (RwCatalog   *self,
                                            JsonObject  *obj,
                                            const char  *where,
                                            GError     **error);

G_END_DECLS
