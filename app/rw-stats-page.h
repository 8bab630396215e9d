/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include <routewise-eval.h>

G_BEGIN_DECLS

#define RW_TYPE_STATS_PAGE (rw_stats_page_get_type ())

G_DECLARE_FINAL_TYPE (RwStatsPage, rw_stats_page, RW, STATS_PAGE, GtkBox)

void      rw_stats_page_set_engine (RwStatsPage *self,
                                    RwCatalog   *catalog,
                                    RwStore     *store);
void      rw_stats_page_reload     (RwStatsPage *self);
void      rw_stats_page_set_period (RwStatsPage *self,
                                    const char  *since,
                                    const char  *until);
gboolean  rw_stats_page_is_busy    (RwStatsPage *self);
JsonNode *rw_stats_page_get_stats  (RwStatsPage *self);

G_END_DECLS
