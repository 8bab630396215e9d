/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_ENGINE_INSIDE) && !defined(RW_ENGINE_COMPILATION)
# error "Only <routewise-engine.h> can be included directly."
#endif

#include <gio/gio.h>

#include "rw-model.h"
#include "rw-provider.h"
#include "rw-types.h"

G_BEGIN_DECLS

#define RW_TYPE_CATALOG (rw_catalog_get_type ())

G_DECLARE_FINAL_TYPE (RwCatalog, rw_catalog, RW, CATALOG, GObject)

RwCatalog  *rw_catalog_new               (void);
gboolean    rw_catalog_load_defaults     (RwCatalog    *self,
                                          GError      **error);
gboolean    rw_catalog_knows_provider    (RwCatalog    *self,
                                          const char   *provider_id);
gboolean    rw_catalog_load_file         (RwCatalog    *self,
                                          const char   *path,
                                          GError      **error);
gboolean    rw_catalog_load_data         (RwCatalog    *self,
                                          const char   *origin,
                                          const char   *json,
                                          gssize        length,
                                          GError      **error);
RwCatalog  *rw_catalog_new_for_user      (GError      **error);
void        rw_catalog_discover_async    (RwCatalog    *self,
                                          GCancellable *cancellable,
                                          GAsyncReadyCallback callback,
                                          gpointer      user_data);
guint       rw_catalog_discover_finish   (RwCatalog    *self,
                                          GAsyncResult *result,
                                          GError      **error);
void        rw_catalog_add_local_server  (RwCatalog    *self,
                                          const char   *id,
                                          const char   *base_url);
GListModel *rw_catalog_get_models        (RwCatalog    *self);
RwModel    *rw_catalog_lookup_model      (RwCatalog    *self,
                                          const char   *id);
RwModel    *rw_catalog_resolve_model     (RwCatalog    *self,
                                          const char   *id,
                                          GError      **error);
RwProvider *rw_catalog_lookup_provider   (RwCatalog    *self,
                                          const char   *id);
GPtrArray  *rw_catalog_list_providers    (RwCatalog    *self);
GPtrArray  *rw_catalog_list_models       (RwCatalog    *self);
void        rw_catalog_add_provider      (RwCatalog    *self,
                                          RwProvider   *provider);
void        rw_catalog_add_model         (RwCatalog    *self,
                                          RwModel      *model);
void        rw_catalog_remove_provider   (RwCatalog    *self,
                                          const char   *provider_id);
GPtrArray  *rw_catalog_list_shipped_providers (RwCatalog *self);
gboolean    rw_catalog_add_shipped_provider (RwCatalog *self,
                                          const char   *provider_id,
                                          GError      **error);

G_END_DECLS
