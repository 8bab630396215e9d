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
  /* A GListStore remembers where the last read was: reads from several threads (the
   * endpoint's event loops) go through rw_catalog_list_models(), under this lock. */
  GMutex list_lock;
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
