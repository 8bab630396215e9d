/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_ENGINE_INSIDE) && !defined(RW_ENGINE_COMPILATION)
# error "Only <routewise-engine.h> can be included directly."
#endif

#include <json-glib/json-glib.h>

#include "rw-catalog.h"

G_BEGIN_DECLS

#define RW_TYPE_PROVIDERS_FILE (rw_providers_file_get_type ())

G_DECLARE_FINAL_TYPE (RwProvidersFile, rw_providers_file, RW, PROVIDERS_FILE, GObject)

RwProvidersFile *rw_providers_file_new             (const char       *path);
gboolean         rw_providers_file_load            (RwProvidersFile  *self,
                                                    GError          **error);
const char      *rw_providers_file_get_path        (RwProvidersFile  *self);
GPtrArray       *rw_providers_file_list_providers  (RwProvidersFile  *self);
GPtrArray       *rw_providers_file_list_models     (RwProvidersFile  *self,
                                                    const char       *provider_id);
gboolean         rw_providers_file_set_provider    (RwProvidersFile  *self,
                                                    const char       *id,
                                                    const char       *kind,
                                                    const char       *base_url,
                                                    const char       *api_key_env,
                                                    RwCatalog        *catalog,
                                                    GError          **error);
gboolean         rw_providers_file_remove_provider (RwProvidersFile  *self,
                                                    const char       *id,
                                                    RwCatalog        *catalog,
                                                    GError          **error);
gboolean         rw_providers_file_set_model       (RwProvidersFile  *self,
                                                    const char       *provider_id,
                                                    const char       *name,
                                                    double            input_price,
                                                    double            output_price,
                                                    RwCatalog        *catalog,
                                                    GError          **error);
gboolean         rw_providers_file_remove_model    (RwProvidersFile  *self,
                                                    const char       *model_id,
                                                    RwCatalog        *catalog,
                                                    GError          **error);

G_END_DECLS
