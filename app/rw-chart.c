/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "rw-chart-private.h"

/**
 * RwChart:
 *
 * A chart the app draws itself, with cairo, on screen and into PNG and SVG files alike: lines,
 * points with intervals, stacked bars, or a heat map. Axes carry their labels with units and
 * ticks at round values; a legend names the series. Hovering a point, a bar or a cell shows its
 * values; so does moving the keyboard focus over them with the arrow keys. The same numbers are
 * given as a table (rw_chart_dup_table()), which is also what a screen reader is told.
 */

G_DEFINE_FINAL_TYPE (RwChart, rw_chart, GTK_TYPE_WIDGET)

static void
series_free (Series *s)
{
  for (guint i = 0; i < s->points->len; i++)
    g_free (g_array_index (s->points, Point, i).label);
  g_array_unref (s->points);
  g_free (s->name);
  g_free (s);
}

static void
chart_changed (RwChart *self)
{
  g_autofree char *table = rw_chart_dup_table (self);

  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, self->title ? self->title : "",
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, table, -1);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
chart_widget_style (GtkWidget  *widget,
                    ChartStyle *st)
{
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &st->fg);
  st->fill_bg = FALSE;
  st->font = pango_context_get_font_description (gtk_widget_get_pango_context (widget));
}

static void
rw_chart_snapshot (GtkWidget   *widget,
                   GtkSnapshot *snapshot)
{
  RwChart *self = RW_CHART (widget);
  double w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  ChartStyle st;
  cairo_t *cr;

  if (w < 2 || h < 2)
    return;
  chart_widget_style (widget, &st);
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, w, h));
  _rw_chart_draw (self, cr, &st, w, h, gtk_widget_has_focus (widget));
  cairo_destroy (cr);
}

/* The flat index under (x, y), or -1. */
static int
chart_hit (RwChart *self,
           double   x,
           double   y)
{
  GtkWidget *widget = GTK_WIDGET (self);
  double w = gtk_widget_get_width (widget), h = gtk_widget_get_height (widget);
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_A8, 1, 1);
  cairo_t *cr = cairo_create (surface);
  guint n = rw_chart_get_n_points (self);
  ChartStyle st;
  ChartLayout l;
  int found = -1;

  chart_widget_style (widget, &st);
  _rw_chart_compute_layout (self, w, h, &l);
  for (guint i = 0; i < n; i++)
    {
      graphene_rect_t r;
      if (_rw_chart_point_position (self, cr, &st, &l, w, h, i, &r) &&
          graphene_rect_contains_point (&r, &GRAPHENE_POINT_INIT (x, y)))
        found = (int) i;
    }
  cairo_destroy (cr);
  cairo_surface_destroy (surface);
  return found;
}

static gboolean
rw_chart_query_tooltip (GtkWidget  *widget,
                        int         x,
                        int         y,
                        gboolean    keyboard,
                        GtkTooltip *tooltip)
{
  RwChart *self = RW_CHART (widget);
  int index = keyboard ? self->focused : chart_hit (self, x, y);
  g_autofree char *text = NULL;

  if (index < 0)
    return FALSE;
  text = rw_chart_dup_value_text (self, (guint) index);
  gtk_tooltip_set_text (tooltip, text);
  return TRUE;
}

static gboolean
chart_key_pressed (GtkEventControllerKey *controller,
                   guint                  keyval,
                   guint                  keycode,
                   GdkModifierType        state,
                   RwChart               *self)
{
  guint n = rw_chart_get_n_points (self);
  int next = self->focused;

  if (n == 0)
    return FALSE;
  switch (keyval)
    {
    case GDK_KEY_Right:
    case GDK_KEY_Down:
      next = self->focused < 0 ? 0 : (self->focused + 1) % (int) n;
      break;
    case GDK_KEY_Left:
    case GDK_KEY_Up:
      next = self->focused <= 0 ? (int) n - 1 : self->focused - 1;
      break;
    case GDK_KEY_Home:
      next = 0;
      break;
    case GDK_KEY_End:
      next = (int) n - 1;
      break;
    default:
      return FALSE;
    }
  rw_chart_focus_point (self, (guint) next);
  return TRUE;
}

static void
chart_click_pressed (GtkGestureClick *gesture,
                     int              n_press,
                     double           x,
                     double           y,
                     RwChart         *self)
{
  int index = chart_hit (self, x, y);

  gtk_widget_grab_focus (GTK_WIDGET (self));
  if (index >= 0)
    rw_chart_focus_point (self, (guint) index);
}

static void
chart_focus_changed (RwChart *self)
{
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
rw_chart_measure (GtkWidget      *widget,
                  GtkOrientation  orientation,
                  int             for_size,
                  int            *minimum,
                  int            *natural,
                  int            *minimum_baseline,
                  int            *natural_baseline)
{
  RwChart *self = RW_CHART (widget);

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 240;
      *natural = 560;
    }
  else if (self->kind == RW_CHART_HEAT)
    {
      guint nr = self->rows ? g_strv_length (self->rows) : 0;
      *minimum = *natural = 32 + 30 * MAX (nr, 1);
    }
  else
    {
      *minimum = 180;
      *natural = 260;
    }
}

static void
rw_chart_dispose (GObject *object)
{
  RwChart *self = RW_CHART (object);

  g_clear_pointer (&self->series, g_ptr_array_unref);
  G_OBJECT_CLASS (rw_chart_parent_class)->dispose (object);
}

static void
rw_chart_finalize (GObject *object)
{
  RwChart *self = RW_CHART (object);

  g_free (self->title);
  g_free (self->x_label);
  g_free (self->y_label);
  g_free (self->x_format);
  g_free (self->y_format);
  g_strfreev (self->categories);
  g_strfreev (self->rows);
  g_strfreev (self->columns);
  g_free (self->heat);
  G_OBJECT_CLASS (rw_chart_parent_class)->finalize (object);
}

static void
rw_chart_class_init (RwChartClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = rw_chart_dispose;
  object_class->finalize = rw_chart_finalize;
  widget_class->snapshot = rw_chart_snapshot;
  widget_class->measure = rw_chart_measure;
  widget_class->query_tooltip = rw_chart_query_tooltip;
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
  gtk_widget_class_set_css_name (widget_class, "chart");
}

static void
rw_chart_init (RwChart *self)
{
  GtkEventController *keys = gtk_event_controller_key_new ();
  GtkGesture *click = gtk_gesture_click_new ();
  GtkEventController *focus = gtk_event_controller_focus_new ();

  self->series = g_ptr_array_new_with_free_func ((GDestroyNotify) series_free);
  self->marked_series = -1;
  self->focused = -1;
  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  g_signal_connect (keys, "key-pressed", G_CALLBACK (chart_key_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), keys);
  g_signal_connect (click, "pressed", G_CALLBACK (chart_click_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));
  g_signal_connect_swapped (focus, "enter", G_CALLBACK (chart_focus_changed), self);
  g_signal_connect_swapped (focus, "leave", G_CALLBACK (chart_focus_changed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), focus);
}

RwChart *
rw_chart_new (RwChartKind kind)
{
  RwChart *self = g_object_new (RW_TYPE_CHART, NULL);

  self->kind = kind;
  return self;
}

RwChartKind
rw_chart_get_kind (RwChart *self)
{
  return self->kind;
}

void
rw_chart_set_title (RwChart    *self,
                    const char *title)
{
  g_return_if_fail (RW_IS_CHART (self));
  g_free (self->title);
  self->title = g_strdup (title);
  chart_changed (self);
}

const char *
rw_chart_get_title (RwChart *self)
{
  return self->title;
}

/**
 * rw_chart_set_axes:
 * @x_label: (nullable): what x measures, with its unit
 * @y_label: (nullable): what y measures, with its unit
 */
void
rw_chart_set_axes (RwChart    *self,
                   const char *x_label,
                   const char *y_label)
{
  g_return_if_fail (RW_IS_CHART (self));
  g_free (self->x_label);
  g_free (self->y_label);
  self->x_label = g_strdup (x_label);
  self->y_label = g_strdup (y_label);
  chart_changed (self);
}

void
rw_chart_set_y_range (RwChart *self,
                      double   low,
                      double   high)
{
  self->fixed_y = high > low;
  self->y_low = low;
  self->y_high = high;
  chart_changed (self);
}

/**
 * rw_chart_set_format:
 * @x_format: (nullable): a printf format for one double, for x's ticks and values
 * @y_format: (nullable): the same for y
 */
void
rw_chart_set_format (RwChart    *self,
                     const char *x_format,
                     const char *y_format)
{
  g_free (self->x_format);
  g_free (self->y_format);
  self->x_format = g_strdup (x_format);
  self->y_format = g_strdup (y_format);
  chart_changed (self);
}

void
rw_chart_clear (RwChart *self)
{
  g_return_if_fail (RW_IS_CHART (self));
  g_ptr_array_set_size (self->series, 0);
  g_clear_pointer (&self->categories, g_strfreev);
  g_clear_pointer (&self->rows, g_strfreev);
  g_clear_pointer (&self->columns, g_strfreev);
  g_clear_pointer (&self->heat, g_free);
  self->marked_series = -1;
  self->focused = -1;
  chart_changed (self);
}

guint
rw_chart_add_series (RwChart    *self,
                     const char *name)
{
  Series *s = g_new0 (Series, 1);

  s->name = g_strdup (name);
  s->points = g_array_new (FALSE, TRUE, sizeof (Point));
  g_ptr_array_add (self->series, s);
  return self->series->len - 1;
}

/**
 * rw_chart_set_series_joined:
 *
 * Joins a series' points by lines in a chart of points: a frontier among the points.
 */
void
rw_chart_set_series_joined (RwChart *self,
                            guint    series,
                            gboolean joined)
{
  g_return_if_fail (series < self->series->len);
  ((Series *) self->series->pdata[series])->joined = joined;
  chart_changed (self);
}

/**
 * rw_chart_add_point:
 * @x: the point's x; for bars, its category's index
 * @label: (nullable): what the point is, in the table and when hovered
 */
void
rw_chart_add_point (RwChart    *self,
                    guint       series,
                    double      x,
                    double      y,
                    const char *label)
{
  Point p = { x, y, NAN, NAN, FALSE, g_strdup (label) };

  g_return_if_fail (series < self->series->len);
  g_array_append_val (((Series *) self->series->pdata[series])->points, p);
  chart_changed (self);
}

void
rw_chart_add_interval (RwChart    *self,
                       guint       series,
                       double      x,
                       double      y,
                       double      low,
                       double      high,
                       const char *label)
{
  Point p = { x, y, low, high, TRUE, g_strdup (label) };

  g_return_if_fail (series < self->series->len);
  g_array_append_val (((Series *) self->series->pdata[series])->points, p);
  chart_changed (self);
}

/**
 * rw_chart_set_marked:
 *
 * Rings one point and writes its label beside it: what was chosen among the others.
 */
void
rw_chart_set_marked (RwChart *self,
                     guint    series,
                     guint    point)
{
  g_return_if_fail (series < self->series->len);
  self->marked_series = (int) series;
  self->marked_point = (int) point;
  chart_changed (self);
}

void
rw_chart_set_categories (RwChart            *self,
                         const char * const *categories)
{
  g_strfreev (self->categories);
  self->categories = g_strdupv ((char **) categories);
  chart_changed (self);
}

/**
 * rw_chart_set_heat:
 * @values: (array): rows × columns values from 0 to 1, row after row; NAN for none
 */
void
rw_chart_set_heat (RwChart            *self,
                   const char * const *rows,
                   const char * const *columns,
                   const double       *values)
{
  guint n = g_strv_length ((char **) rows) * g_strv_length ((char **) columns);

  g_strfreev (self->rows);
  g_strfreev (self->columns);
  g_free (self->heat);
  self->rows = g_strdupv ((char **) rows);
  self->columns = g_strdupv ((char **) columns);
  self->heat = g_memdup2 (values, sizeof (double) * MAX (n, 1));
  gtk_widget_queue_resize (GTK_WIDGET (self));
  chart_changed (self);
}

guint
rw_chart_get_n_points (RwChart *self)
{
  guint n = 0;

  if (self->kind == RW_CHART_HEAT)
    return self->rows && self->columns
             ? g_strv_length (self->rows) * g_strv_length (self->columns) : 0;
  for (guint s = 0; s < self->series->len; s++)
    n += ((Series *) self->series->pdata[s])->points->len;
  return n;
}

/**
 * rw_chart_dup_value_text:
 * @index: a point, over every series in order (a cell, row after row, in a heat map)
 *
 * Returns: (transfer full): what the point shows, in words and numbers
 */
char *
rw_chart_dup_value_text (RwChart *self,
                         guint    index)
{
  guint s, i;
  Series *se;
  Point *p;
  g_autofree char *x = NULL;
  g_autofree char *y = NULL;

  if (self->kind == RW_CHART_HEAT)
    {
      guint nc = self->columns ? g_strv_length (self->columns) : 0;
      double v;

      if (nc == 0 || index >= rw_chart_get_n_points (self))
        return g_strdup ("");
      v = self->heat[index];
      /* Translators: a cell of the win-rate heat map: row model, column model, share. */
      return isfinite (v) ? g_strdup_printf (_("%s against %s: %.1f%%"), self->rows[index / nc],
                                             self->columns[index % nc], 100 * v)
                          : g_strdup_printf (_("%s against %s: no comparison"),
                                             self->rows[index / nc], self->columns[index % nc]);
    }
  if (!_rw_chart_locate (self, index, &s, &i))
    return g_strdup ("");
  se = self->series->pdata[s];
  p = &g_array_index (se->points, Point, i);
  y = _rw_chart_format (self->y_format, p->y);
  if (self->kind == RW_CHART_BARS)
    x = g_strdup (self->categories && p->x >= 0 && p->x < g_strv_length (self->categories)
                    ? self->categories[(guint) p->x] : "");
  else
    x = _rw_chart_format (self->x_format, p->x);
  if (p->has_interval)
    {
      g_autofree char *lo = _rw_chart_format (self->y_format, p->low);
      g_autofree char *hi = _rw_chart_format (self->y_format, p->high);
      return g_strdup_printf ("%s%s%s: %s %s, %s %s (%s–%s)", se->name, p->label ? " · " : "",
                              p->label ? p->label : "", self->x_label ? self->x_label : "x", x,
                              self->y_label ? self->y_label : "y", y, lo, hi);
    }
  return g_strdup_printf ("%s%s%s: %s %s, %s %s", se->name, p->label ? " · " : "",
                          p->label ? p->label : "", self->x_label ? self->x_label : "x", x,
                          self->y_label ? self->y_label : "y", y);
}

void
rw_chart_focus_point (RwChart *self,
                      guint    index)
{
  g_autofree char *text = NULL;

  if (index >= rw_chart_get_n_points (self))
    return;
  self->focused = (int) index;
  text = rw_chart_dup_value_text (self, index);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self), NULL);
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_VALUE_TEXT, text, -1);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/**
 * rw_chart_dup_table:
 *
 * Returns: (transfer full): every number of the chart as tab-separated text, a header first
 */
char *
rw_chart_dup_table (RwChart *self)
{
  GString *s = g_string_new (NULL);
  const char *xl = self->x_label ? self->x_label : "x";
  const char *yl = self->y_label ? self->y_label : "y";

  if (self->kind == RW_CHART_HEAT)
    {
      guint nc = self->columns ? g_strv_length (self->columns) : 0;
      guint nr = self->rows ? g_strv_length (self->rows) : 0;

      for (guint c = 0; c < nc; c++)
        g_string_append_printf (s, "\t%s", self->columns[c]);
      g_string_append_c (s, '\n');
      for (guint r = 0; r < nr; r++)
        {
          g_string_append (s, self->rows[r]);
          for (guint c = 0; c < nc; c++)
            {
              double v = self->heat[r * nc + c];
              if (isfinite (v))
                g_string_append_printf (s, "\t%.4f", v);
              else
                g_string_append (s, "\t");
            }
          g_string_append_c (s, '\n');
        }
      return g_string_free (s, FALSE);
    }
  g_string_append_printf (s, "%s\t%s\t%s", _("series"), xl, yl);
  if (self->kind == RW_CHART_POINTS)
    g_string_append_printf (s, "\t%s\t%s", _("low"), _("high"));
  g_string_append_printf (s, "\t%s\n", _("label"));
  for (guint k = 0; k < self->series->len; k++)
    {
      Series *se = self->series->pdata[k];
      for (guint i = 0; i < se->points->len; i++)
        {
          Point *p = &g_array_index (se->points, Point, i);
          char xb[G_ASCII_DTOSTR_BUF_SIZE], yb[G_ASCII_DTOSTR_BUF_SIZE];

          g_string_append_printf (s, "%s\t", se->name);
          if (self->kind == RW_CHART_BARS && self->categories && p->x >= 0 &&
              p->x < g_strv_length (self->categories))
            g_string_append (s, self->categories[(guint) p->x]);
          else
            g_string_append (s, g_ascii_formatd (xb, sizeof xb, "%.6g", p->x));
          g_string_append_printf (s, "\t%s", g_ascii_formatd (yb, sizeof yb, "%.6g", p->y));
          if (self->kind == RW_CHART_POINTS)
            {
              if (p->has_interval)
                {
                  g_string_append_printf (s, "\t%s", g_ascii_formatd (xb, sizeof xb, "%.6g", p->low));
                  g_string_append_printf (s, "\t%s", g_ascii_formatd (yb, sizeof yb, "%.6g", p->high));
                }
              else
                g_string_append (s, "\t\t");
            }
          g_string_append_printf (s, "\t%s\n", p->label ? p->label : "");
        }
    }
  return g_string_free (s, FALSE);
}

