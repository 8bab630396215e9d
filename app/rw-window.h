/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include <routewise-eval.h>

#include "rw-compare-page.h"
#include "rw-history-page.h"
#include "rw-ratings-page.h"
#include "rw-endpoint-page.h"
#include "rw-policies-page.h"
#include "rw-stats-page.h"
#include "rw-evaluate-page.h"

G_BEGIN_DECLS

#define RW_TYPE_WINDOW (rw_window_get_type ())

G_DECLARE_FINAL_TYPE (RwWindow, rw_window, RW, WINDOW, AdwApplicationWindow)

RwWindow      *rw_window_new              (GtkApplication *app,
                                           RwCatalog      *catalog,
                                           RwStore        *store);
RwComparePage *rw_window_get_compare_page (RwWindow       *self);
RwHistoryPage *rw_window_get_history_page (RwWindow       *self);
RwRatingsPage *rw_window_get_ratings_page (RwWindow       *self);
RwEndpointPage *rw_window_get_endpoint_page (RwWindow      *self);
RwPoliciesPage *rw_window_get_policies_page (RwWindow      *self);
RwStatsPage    *rw_window_get_stats_page    (RwWindow      *self);
RwEvaluatePage *rw_window_get_evaluate_page (RwWindow      *self);
void           rw_window_set_view         (RwWindow       *self,
                                           const char     *name);
const char    *rw_window_get_view         (RwWindow       *self);
void           rw_window_reload_policy    (RwWindow       *self);
gboolean       rw_window_is_reading_policy (RwWindow      *self);
void           rw_window_add_toast        (RwWindow       *self,
                                           const char     *text);
void           rw_window_toast_for        (GtkWidget      *widget,
                                           const char     *text);
void           rw_window_show_error       (RwWindow       *self,
                                           const char     *message);

G_END_DECLS
