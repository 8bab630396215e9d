/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include <routewise-eval.h>

#include "rw-provider-row.h"

G_BEGIN_DECLS

#define RW_TYPE_PREFERENCES_WINDOW (rw_preferences_window_get_type ())

G_DECLARE_FINAL_TYPE (RwPreferencesWindow, rw_preferences_window, RW, PREFERENCES_WINDOW,
                      AdwPreferencesWindow)

RwPreferencesWindow *rw_preferences_window_new          (GtkWindow           *parent,
                                                         RwCatalog           *catalog);
RwProviderRow       *rw_preferences_window_find_row     (RwPreferencesWindow *self,
                                                         const char          *provider_id);
gboolean             rw_preferences_window_add_provider (RwPreferencesWindow *self,
                                                         const char          *id,
                                                         const char          *kind,
                                                         const char          *base_url,
                                                         const char          *key,
                                                         GError             **error);

G_END_DECLS
