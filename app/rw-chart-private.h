/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <cairo.h>

#include "rw-chart.h"

G_BEGIN_DECLS

/* What the files of RwChart share: its data, and the drawing rw-chart-draw.c does for the
 * screen, for files and for finding what the pointer is over. */

typedef struct
{
  double x, y, low, high;
  gboolean has_interval;
  char *label;
} Point;

typedef struct
{
  char *name;
  GArray *points;
  gboolean joined;
} Series;

struct _RwChart
{
  GtkWidget parent_instance;

  RwChartKind kind;
  char *title;
  char *x_label;
  char *y_label;
  char *x_format;
  char *y_format;
  gboolean fixed_y;
  double y_low, y_high;
  GPtrArray *series;
  GStrv categories;
  GStrv rows;
  GStrv columns;
  double *heat;
  int marked_series, marked_point;
  int focused;
};

typedef struct
{
  GdkRGBA fg;
  GdkRGBA bg;
  gboolean fill_bg;
  const PangoFontDescription *font;
} ChartStyle;

/* Where the plot lies and what its axes span. */
typedef struct
{
  double left, top, right, bottom;
  double x_min, x_max, y_min, y_max;
} ChartLayout;

#define MARGIN_LEFT 68
#define MARGIN_RIGHT 16
#define MARGIN_TOP 30
#define MARGIN_BOTTOM 46

char     *_rw_chart_format         (const char        *format,
                                    double             v);
gboolean  _rw_chart_locate         (RwChart           *self,
                                    guint              index,
                                    guint             *series,
                                    guint             *point);
void      _rw_chart_compute_layout (RwChart           *self,
                                    double             w,
                                    double             h,
                                    ChartLayout       *l);
gboolean  _rw_chart_point_position (RwChart           *self,
                                    cairo_t           *cr,
                                    const ChartStyle  *st,
                                    const ChartLayout *l,
                                    double             w,
                                    double             h,
                                    guint              index,
                                    graphene_rect_t   *rect);
void      _rw_chart_draw           (RwChart           *self,
                                    cairo_t           *cr,
                                    const ChartStyle  *st,
                                    double             w,
                                    double             h,
                                    gboolean           with_focus);

G_END_DECLS
