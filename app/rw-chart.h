/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/**
 * RwChartKind:
 * @RW_CHART_LINES: series of points joined by lines, in the order given
 * @RW_CHART_POINTS: series of points, each with an optional interval on y
 * @RW_CHART_BARS: stacked bars, one per category on x, a segment per series
 * @RW_CHART_HEAT: a matrix of values from 0 to 1, rows against columns
 */
typedef enum
{
  RW_CHART_LINES,
  RW_CHART_POINTS,
  RW_CHART_BARS,
  RW_CHART_HEAT,
} RwChartKind;

#define RW_TYPE_CHART (rw_chart_get_type ())

G_DECLARE_FINAL_TYPE (RwChart, rw_chart, RW, CHART, GtkWidget)

RwChart *rw_chart_new            (RwChartKind   kind);
RwChartKind rw_chart_get_kind    (RwChart      *self);
void     rw_chart_set_title      (RwChart      *self,
                                  const char   *title);
const char *rw_chart_get_title   (RwChart      *self);
void     rw_chart_set_axes       (RwChart      *self,
                                  const char   *x_label,
                                  const char   *y_label);
void     rw_chart_set_y_range    (RwChart      *self,
                                  double        low,
                                  double        high);
void     rw_chart_set_format     (RwChart      *self,
                                  const char   *x_format,
                                  const char   *y_format);
void     rw_chart_clear          (RwChart      *self);
guint    rw_chart_add_series     (RwChart      *self,
                                  const char   *name);
void     rw_chart_set_series_joined (RwChart   *self,
                                  guint         series,
                                  gboolean      joined);
void     rw_chart_add_point      (RwChart      *self,
                                  guint         series,
                                  double        x,
                                  double        y,
                                  const char   *label);
void     rw_chart_add_interval   (RwChart      *self,
                                  guint         series,
                                  double        x,
                                  double        y,
                                  double        low,
                                  double        high,
                                  const char   *label);
void     rw_chart_set_marked     (RwChart      *self,
                                  guint         series,
                                  guint         point);
void     rw_chart_set_categories (RwChart      *self,
                                  const char * const *categories);
void     rw_chart_set_heat       (RwChart      *self,
                                  const char * const *rows,
                                  const char * const *columns,
                                  const double *values);
guint    rw_chart_get_n_points   (RwChart      *self);
char    *rw_chart_dup_value_text (RwChart      *self,
                                  guint         index);
void     rw_chart_focus_point    (RwChart      *self,
                                  guint         index);
char    *rw_chart_dup_table      (RwChart      *self);
gboolean rw_chart_save           (RwChart      *self,
                                  const char   *path,
                                  int           width,
                                  int           height,
                                  GError      **error);

G_END_DECLS
