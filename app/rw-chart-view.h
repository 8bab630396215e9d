/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "rw-chart.h"

G_BEGIN_DECLS

#define RW_TYPE_CHART_VIEW (rw_chart_view_get_type ())

G_DECLARE_FINAL_TYPE (RwChartView, rw_chart_view, RW, CHART_VIEW, GtkBox)

RwChartView *rw_chart_view_new       (RwChartKind   kind,
                                      const char   *title);
RwChart     *rw_chart_view_get_chart (RwChartView  *self);
void         rw_chart_view_set_table_visible (RwChartView *self,
                                      gboolean      visible);
void         rw_chart_view_refresh_table (RwChartView *self);

G_END_DECLS
