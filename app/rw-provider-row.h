/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include <routewise-eval.h>

G_BEGIN_DECLS

#define RW_TYPE_PROVIDER_ROW (rw_provider_row_get_type ())

G_DECLARE_FINAL_TYPE (RwProviderRow, rw_provider_row, RW, PROVIDER_ROW, AdwExpanderRow)

RwProviderRow *rw_provider_row_new          (RwProvider      *provider,
                                             RwCatalog       *catalog,
                                             RwProvidersFile *file,
                                             gboolean         has_keyring,
                                             gboolean         in_keyring);
RwProvider    *rw_provider_row_get_provider (RwProviderRow   *self);
gboolean       rw_provider_row_store_key    (RwProviderRow   *self,
                                             const char      *key,
                                             GError         **error);
void           rw_provider_row_test         (RwProviderRow   *self);
const char    *rw_provider_row_get_status   (RwProviderRow   *self);
guint          rw_provider_row_get_n_listed (RwProviderRow   *self);

G_END_DECLS
