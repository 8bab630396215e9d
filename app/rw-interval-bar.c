/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "rw-interval-bar.h"

/**
 * RwIntervalBar:
 *
 * A rating and its 95% interval on the scale every model of a leaderboard shares: a thin line
 * for the scale, a bar from the interval's low end to its high end, and a mark at the rating.
 * Bars that overlap are ratings the data cannot tell apart.
 */
struct _RwIntervalBar
{
  GtkWidget parent_instance;

  double scale_low, scale_high;
  double low, value, high;
};

G_DEFINE_FINAL_TYPE (RwIntervalBar, rw_interval_bar, GTK_TYPE_WIDGET)

static double
interval_bar_x (RwIntervalBar *self,
                double         v,
                double         width)
{
  double span = self->scale_high - self->scale_low;

  if (!(span > 0))
    return width / 2;
  return CLAMP ((v - self->scale_low) / span, 0, 1) * width;
}

static void
rw_interval_bar_snapshot (GtkWidget   *widget,
                          GtkSnapshot *snapshot)
{
  RwIntervalBar *self = RW_INTERVAL_BAR (widget);
  double w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  GdkRGBA fg;
  GdkRGBA track, bar;
  double x0 = interval_bar_x (self, self->low, w), x1 = interval_bar_x (self, self->high, w);
  double xv = interval_bar_x (self, self->value, w);

  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  track = (GdkRGBA) { fg.red, fg.green, fg.blue, 0.15 };
  bar = (GdkRGBA) { 0.21, 0.52, 0.89, 0.55 };
  gtk_snapshot_append_color (snapshot, &track, &GRAPHENE_RECT_INIT (0, h / 2 - 1, w, 2));
  gtk_snapshot_append_color (snapshot, &bar, &GRAPHENE_RECT_INIT (x0, h / 2 - 4, MAX (2, x1 - x0), 8));
  gtk_snapshot_append_color (snapshot, &fg, &GRAPHENE_RECT_INIT (xv - 1, h / 2 - 7, 2, 14));
}

static void
rw_interval_bar_measure (GtkWidget      *widget,
                         GtkOrientation  orientation,
                         int             for_size,
                         int            *minimum,
                         int            *natural,
                         int            *minimum_baseline,
                         int            *natural_baseline)
{
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 80 : 16;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 240 : 16;
}

static void
rw_interval_bar_class_init (RwIntervalBarClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  widget_class->snapshot = rw_interval_bar_snapshot;
  widget_class->measure = rw_interval_bar_measure;
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
rw_interval_bar_init (RwIntervalBar *self)
{
}

/**
 * rw_interval_bar_new:
 * @scale_low: the left end of the shared scale
 * @scale_high: its right end
 * @low: the interval's low end
 * @value: the rating
 * @high: the interval's high end
 *
 * Returns: (transfer floating): a new bar
 */
GtkWidget *
rw_interval_bar_new (double scale_low,
                     double scale_high,
                     double low,
                     double value,
                     double high)
{
  RwIntervalBar *self = g_object_new (RW_TYPE_INTERVAL_BAR, NULL);

  self->scale_low = scale_low;
  self->scale_high = scale_high;
  self->low = low;
  self->value = value;
  self->high = high;
  return GTK_WIDGET (self);
}
