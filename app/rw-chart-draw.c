/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <cairo-svg.h>
#include <pango/pangocairo.h>

#include "rw-chart-private.h"

/* How an RwChart is drawn: the same cairo calls for the screen and for PNG and SVG files. */

/* Colours that read on a light and on a dark background alike (GNOME's palette). */
static const GdkRGBA chart_palette[] = {
  { 0.21, 0.52, 0.89, 1 },  /* blue */
  { 0.90, 0.38, 0.00, 1 },  /* orange */
  { 0.20, 0.70, 0.38, 1 },  /* green */
  { 0.57, 0.25, 0.67, 1 },  /* purple */
  { 0.88, 0.11, 0.14, 1 },  /* red */
  { 0.60, 0.42, 0.27, 1 },  /* brown */
  { 0.85, 0.70, 0.05, 1 },  /* yellow */
  { 0.45, 0.45, 0.45, 1 },  /* grey */
};

char *
_rw_chart_format (const char *format,
                  double      v)
{
  if (!isfinite (v))
    return g_strdup ("–");
  /* The formats are the callers' literals, each for one double. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
  return g_strdup_printf (format ? format : "%.3g", v);
#pragma GCC diagnostic pop
}

/* Round steps for about @n ticks between @lo and @hi. */
static double
chart_tick_step (double lo,
                 double hi,
                 guint  n)
{
  double raw = (hi - lo) / MAX (n, 1), mag, f;

  if (!(raw > 0))
    return 1;
  mag = pow (10, floor (log10 (raw)));
  f = raw / mag;
  return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
}

static guint
chart_n_categories (RwChart *self)
{
  return self->categories ? g_strv_length (self->categories) : 0;
}

void
_rw_chart_compute_layout (RwChart     *self,
                          double       w,
                          double       h,
                          ChartLayout *l)
{
  double x_min = INFINITY, x_max = -INFINITY, y_min = INFINITY, y_max = -INFINITY;

  l->left = MARGIN_LEFT;
  l->right = w - MARGIN_RIGHT;
  l->top = MARGIN_TOP;
  l->bottom = h - MARGIN_BOTTOM;

  if (self->kind == RW_CHART_BARS)
    {
      guint n = chart_n_categories (self);
      g_autofree double *stack = g_new0 (double, MAX (n, 1));

      for (guint s = 0; s < self->series->len; s++)
        {
          Series *se = self->series->pdata[s];
          for (guint i = 0; i < se->points->len; i++)
            {
              Point *p = &g_array_index (se->points, Point, i);
              guint c = (guint) p->x;
              if (c < n && isfinite (p->y))
                stack[c] += p->y;
            }
        }
      y_min = 0;
      y_max = 0;
      for (guint c = 0; c < n; c++)
        y_max = MAX (y_max, stack[c]);
      /* A bar's whisker (an interval) reaches above it. */
      for (guint s = 0; s < self->series->len; s++)
        {
          Series *se = self->series->pdata[s];
          for (guint i = 0; i < se->points->len; i++)
            {
              Point *p = &g_array_index (se->points, Point, i);
              if (p->has_interval && isfinite (p->high))
                y_max = MAX (y_max, p->high);
            }
        }
      x_min = -0.5;
      x_max = MAX (n, 1) - 0.5;
    }
  else
    {
      for (guint s = 0; s < self->series->len; s++)
        {
          Series *se = self->series->pdata[s];
          for (guint i = 0; i < se->points->len; i++)
            {
              Point *p = &g_array_index (se->points, Point, i);
              if (!isfinite (p->x) || !isfinite (p->y))
                continue;
              x_min = MIN (x_min, p->x);
              x_max = MAX (x_max, p->x);
              y_min = MIN (y_min, p->has_interval ? MIN (p->low, p->y) : p->y);
              y_max = MAX (y_max, p->has_interval ? MAX (p->high, p->y) : p->y);
            }
        }
    }
  if (!isfinite (x_min))
    x_min = 0, x_max = 1;
  if (!isfinite (y_min))
    y_min = 0, y_max = 1;
  if (self->fixed_y)
    y_min = self->y_low, y_max = self->y_high;
  if (x_max - x_min < 1e-12)
    x_min -= 0.5, x_max += 0.5;
  if (y_max - y_min < 1e-12)
    y_min -= 0.5, y_max += 0.5;
  if (self->kind != RW_CHART_BARS)
    {
      double pad = (x_max - x_min) * 0.05;
      x_min -= pad;
      x_max += pad;
    }
  if (!self->fixed_y)
    {
      double step = chart_tick_step (y_min, y_max, 5);
      y_min = y_min >= 0 && self->kind == RW_CHART_BARS ? 0 : floor (y_min / step) * step;
      y_max = ceil (y_max / step) * step;
      if (y_max - y_min < 1e-12)
        y_max = y_min + step;
    }
  l->x_min = x_min;
  l->x_max = x_max;
  l->y_min = y_min;
  l->y_max = y_max;
}

static double
chart_sx (const ChartLayout *l,
          double             x)
{
  return l->left + (x - l->x_min) / (l->x_max - l->x_min) * (l->right - l->left);
}

static double
chart_sy (const ChartLayout *l,
          double             y)
{
  return l->bottom - (y - l->y_min) / (l->y_max - l->y_min) * (l->bottom - l->top);
}

static void
chart_set_color (cairo_t       *cr,
                 const GdkRGBA *c,
                 double         alpha)
{
  cairo_set_source_rgba (cr, c->red, c->green, c->blue, c->alpha * alpha);
}

/* Draws @text with its anchor (0 left/top, 0.5 centre, 1 right/bottom) at x, y. */
static void
chart_text (cairo_t          *cr,
            const ChartStyle *st,
            const char       *text,
            double            x,
            double            y,
            double            ax,
            double            ay,
            gboolean          bold)
{
  PangoLayout *layout = pango_cairo_create_layout (cr);
  PangoFontDescription *font = pango_font_description_copy (st->font);
  int tw, th;

  if (bold)
    pango_font_description_set_weight (font, PANGO_WEIGHT_BOLD);
  pango_layout_set_font_description (layout, font);
  pango_layout_set_text (layout, text, -1);
  pango_layout_get_pixel_size (layout, &tw, &th);
  cairo_move_to (cr, round (x - ax * tw), round (y - ay * th));
  pango_cairo_show_layout (cr, layout);
  pango_font_description_free (font);
  g_object_unref (layout);
}

static int
chart_text_width (cairo_t          *cr,
                  const ChartStyle *st,
                  const char       *text)
{
  PangoLayout *layout = pango_cairo_create_layout (cr);
  int tw, th;

  pango_layout_set_font_description (layout, st->font);
  pango_layout_set_text (layout, text, -1);
  pango_layout_get_pixel_size (layout, &tw, &th);
  g_object_unref (layout);
  return tw;
}

static void
chart_draw_axes (RwChart           *self,
                 cairo_t           *cr,
                 const ChartStyle  *st,
                 const ChartLayout *l,
                 double             h)
{
  double step = chart_tick_step (l->y_min, l->y_max, 5);

  cairo_set_line_width (cr, 1);
  for (double v = ceil (l->y_min / step) * step; v <= l->y_max + step * 1e-6; v += step)
    {
      double y = round (chart_sy (l, v)) + 0.5;
      g_autofree char *t = _rw_chart_format (self->y_format, fabs (v) < step * 1e-6 ? 0 : v);

      chart_set_color (cr, &st->fg, 0.12);
      cairo_move_to (cr, l->left, y);
      cairo_line_to (cr, l->right, y);
      cairo_stroke (cr);
      chart_set_color (cr, &st->fg, 0.8);
      chart_text (cr, st, t, l->left - 6, y, 1, 0.5, FALSE);
    }
  if (self->kind == RW_CHART_BARS)
    {
      guint n = chart_n_categories (self);
      guint every = MAX (1, (guint) ceil (n * 60.0 / MAX (l->right - l->left, 1)));

      chart_set_color (cr, &st->fg, 0.8);
      for (guint c = 0; c < n; c += every)
        chart_text (cr, st, self->categories[c], chart_sx (l, c), l->bottom + 4, 0.5, 0, FALSE);
    }
  else
    {
      double xs = chart_tick_step (l->x_min, l->x_max, MAX (2, (guint) ((l->right - l->left) / 90)));

      for (double v = ceil (l->x_min / xs) * xs; v <= l->x_max; v += xs)
        {
          double x = round (chart_sx (l, v)) + 0.5;
          g_autofree char *t = _rw_chart_format (self->x_format, fabs (v) < xs * 1e-6 ? 0 : v);

          chart_set_color (cr, &st->fg, 0.12);
          cairo_move_to (cr, x, l->top);
          cairo_line_to (cr, x, l->bottom);
          cairo_stroke (cr);
          chart_set_color (cr, &st->fg, 0.8);
          chart_text (cr, st, t, x, l->bottom + 4, 0.5, 0, FALSE);
        }
    }
  chart_set_color (cr, &st->fg, 0.6);
  cairo_move_to (cr, l->left + 0.5, l->top);
  cairo_line_to (cr, l->left + 0.5, l->bottom + 0.5);
  cairo_line_to (cr, l->right, l->bottom + 0.5);
  cairo_stroke (cr);

  chart_set_color (cr, &st->fg, 0.9);
  if (self->x_label)
    chart_text (cr, st, self->x_label, (l->left + l->right) / 2, h - 2, 0.5, 1, FALSE);
  if (self->y_label)
    {
      cairo_save (cr);
      cairo_translate (cr, 2, (l->top + l->bottom) / 2);
      cairo_rotate (cr, -G_PI / 2);
      chart_text (cr, st, self->y_label, 0, 0, 0.5, 0, FALSE);
      cairo_restore (cr);
    }
}

static void
chart_draw_legend (RwChart          *self,
                   cairo_t          *cr,
                   const ChartStyle *st,
                   double            w)
{
  double x = MARGIN_LEFT;

  if (self->series->len < 2 && self->kind != RW_CHART_BARS)
    return;
  for (guint s = 0; s < self->series->len; s++)
    {
      Series *se = self->series->pdata[s];
      int tw = chart_text_width (cr, st, se->name);

      if (x + 16 + tw > w - MARGIN_RIGHT && x > MARGIN_LEFT)
        break;
      chart_set_color (cr, &chart_palette[s % G_N_ELEMENTS (chart_palette)], 1);
      cairo_rectangle (cr, x, 8, 10, 10);
      cairo_fill (cr);
      chart_set_color (cr, &st->fg, 0.9);
      chart_text (cr, st, se->name, x + 14, 13, 0, 0.5, FALSE);
      x += 14 + tw + 14;
    }
}

/* The flat index's series and point, over the series in order. */
gboolean
_rw_chart_locate (RwChart *self,
                  guint    index,
                  guint   *series,
                  guint   *point)
{
  for (guint s = 0; s < self->series->len; s++)
    {
      Series *se = self->series->pdata[s];
      if (index < se->points->len)
        {
          *series = s;
          *point = index;
          return TRUE;
        }
      index -= se->points->len;
    }
  return FALSE;
}

static void
chart_bar_rect (RwChart           *self,
                const ChartLayout *l,
                guint              series,
                guint              point,
                double            *x,
                double            *y,
                double            *bw,
                double            *bh)
{
  Series *se = self->series->pdata[series];
  Point *p = &g_array_index (se->points, Point, point);
  double below = 0;
  double slot = (l->right - l->left) / MAX (chart_n_categories (self), 1);

  for (guint s = 0; s < series; s++)
    {
      Series *o = self->series->pdata[s];
      for (guint i = 0; i < o->points->len; i++)
        {
          Point *q = &g_array_index (o->points, Point, i);
          if ((guint) q->x == (guint) p->x && isfinite (q->y))
            below += q->y;
        }
    }
  *bw = MAX (2, slot * 0.7);
  *x = chart_sx (l, p->x) - *bw / 2;
  *y = chart_sy (l, below + (isfinite (p->y) ? p->y : 0));
  *bh = chart_sy (l, below) - *y;
}

static void
chart_draw_xy (RwChart           *self,
               cairo_t           *cr,
               const ChartStyle  *st,
               const ChartLayout *l)
{
  for (guint s = 0; s < self->series->len; s++)
    {
      Series *se = self->series->pdata[s];
      const GdkRGBA *c = &chart_palette[s % G_N_ELEMENTS (chart_palette)];
      gboolean started = FALSE;

      if (self->kind == RW_CHART_BARS)
        {
          for (guint i = 0; i < se->points->len; i++)
            {
              double x, y, bw, bh;
              Point *p = &g_array_index (se->points, Point, i);

              chart_bar_rect (self, l, s, i, &x, &y, &bw, &bh);
              chart_set_color (cr, c, 0.9);
              cairo_rectangle (cr, x, y, bw, bh);
              cairo_fill (cr);
              if (p->has_interval && isfinite (p->low) && isfinite (p->high))
                {
                  double cx = x + bw / 2;
                  /* In the text's colour: it shows over the bar as above it. */
                  chart_set_color (cr, &st->fg, 0.85);
                  cairo_set_line_width (cr, 2);
                  cairo_move_to (cr, cx, chart_sy (l, p->low));
                  cairo_line_to (cr, cx, chart_sy (l, p->high));
                  cairo_move_to (cr, cx - 5, chart_sy (l, p->high));
                  cairo_line_to (cr, cx + 5, chart_sy (l, p->high));
                  cairo_stroke (cr);
                }
            }
          continue;
        }
      if (self->kind == RW_CHART_LINES || se->joined)
        {
          chart_set_color (cr, c, 1);
          cairo_set_line_width (cr, 2);
          for (guint i = 0; i < se->points->len; i++)
            {
              Point *p = &g_array_index (se->points, Point, i);
              if (!isfinite (p->x) || !isfinite (p->y))
                continue;
              if (started)
                cairo_line_to (cr, chart_sx (l, p->x), chart_sy (l, p->y));
              else
                cairo_move_to (cr, chart_sx (l, p->x), chart_sy (l, p->y));
              started = TRUE;
            }
          cairo_stroke (cr);
        }
      for (guint i = 0; i < se->points->len; i++)
        {
          Point *p = &g_array_index (se->points, Point, i);
          double x = chart_sx (l, p->x), y = chart_sy (l, p->y);

          if (!isfinite (p->x) || !isfinite (p->y))
            continue;
          chart_set_color (cr, c, 1);
          if (p->has_interval)
            {
              cairo_set_line_width (cr, 2);
              cairo_move_to (cr, x, chart_sy (l, p->low));
              cairo_line_to (cr, x, chart_sy (l, p->high));
              cairo_stroke (cr);
              cairo_move_to (cr, x - 4, chart_sy (l, p->low));
              cairo_line_to (cr, x + 4, chart_sy (l, p->low));
              cairo_move_to (cr, x - 4, chart_sy (l, p->high));
              cairo_line_to (cr, x + 4, chart_sy (l, p->high));
              cairo_stroke (cr);
            }
          cairo_arc (cr, x, y, self->kind == RW_CHART_LINES ? 3 : 4.5, 0, 2 * G_PI);
          cairo_fill (cr);
        }
    }
}

static void
chart_heat_color (double         v,
                  GdkRGBA       *out)
{
  /* Blue below one half, orange above, white-ish in between: a diverging scale. */
  double t = CLAMP (v, 0, 1);

  if (t < 0.5)
    *out = (GdkRGBA) { 0.21, 0.52, 0.89, (0.5 - t) * 1.8 };
  else
    *out = (GdkRGBA) { 0.90, 0.38, 0.00, (t - 0.5) * 1.8 };
}

static void
chart_heat_geometry (RwChart *self,
                     cairo_t *cr,
                     const ChartStyle *st,
                     double   w,
                     double   h,
                     double  *x0,
                     double  *y0,
                     double  *cw,
                     double  *ch)
{
  guint nr = self->rows ? g_strv_length (self->rows) : 0;
  guint nc = self->columns ? g_strv_length (self->columns) : 0;
  int label_w = 0;

  for (guint r = 0; r < nr; r++)
    label_w = MAX (label_w, chart_text_width (cr, st, self->rows[r]));
  label_w = MIN (label_w, (int) (w / 3));
  *x0 = label_w + 12;
  *y0 = 24;
  *cw = (w - *x0 - 8) / MAX (nc, 1);
  *ch = MIN (36, (h - *y0 - 8) / MAX (nr, 1));
}

static void
chart_draw_heat (RwChart          *self,
                 cairo_t          *cr,
                 const ChartStyle *st,
                 double            w,
                 double            h)
{
  guint nr = self->rows ? g_strv_length (self->rows) : 0;
  guint nc = self->columns ? g_strv_length (self->columns) : 0;
  double x0, y0, cw, ch;

  chart_heat_geometry (self, cr, st, w, h, &x0, &y0, &cw, &ch);
  for (guint c = 0; c < nc; c++)
    {
      chart_set_color (cr, &st->fg, 0.8);
      cairo_save (cr);
      cairo_rectangle (cr, x0 + c * cw, 0, cw, y0);
      cairo_clip (cr);
      chart_text (cr, st, self->columns[c], x0 + (c + 0.5) * cw, y0 - 4, 0.5, 1, FALSE);
      cairo_restore (cr);
    }
  for (guint r = 0; r < nr; r++)
    {
      chart_set_color (cr, &st->fg, 0.8);
      cairo_save (cr);
      cairo_rectangle (cr, 0, y0 + r * ch, x0 - 4, ch);
      cairo_clip (cr);
      chart_text (cr, st, self->rows[r], x0 - 8, y0 + (r + 0.5) * ch, 1, 0.5, FALSE);
      cairo_restore (cr);
      for (guint c = 0; c < nc; c++)
        {
          double v = self->heat[r * nc + c];
          GdkRGBA color;
          g_autofree char *t = NULL;

          if (!isfinite (v))
            {
              chart_set_color (cr, &st->fg, 0.05);
              cairo_rectangle (cr, x0 + c * cw + 1, y0 + r * ch + 1, cw - 2, ch - 2);
              cairo_fill (cr);
              continue;
            }
          chart_heat_color (v, &color);
          chart_set_color (cr, &color, 1);
          cairo_rectangle (cr, x0 + c * cw + 1, y0 + r * ch + 1, cw - 2, ch - 2);
          cairo_fill (cr);
          t = g_strdup_printf ("%.0f%%", 100 * v);
          chart_set_color (cr, &st->fg, 1);
          chart_text (cr, st, t, x0 + (c + 0.5) * cw, y0 + (r + 0.5) * ch, 0.5, 0.5, FALSE);
        }
    }
}

/* Where the point of flat @index is drawn, for the ring that marks it and for hovering. */
gboolean
_rw_chart_point_position (RwChart           *self,
                          cairo_t           *cr,
                          const ChartStyle  *st,
                          const ChartLayout *l,
                          double             w,
                          double             h,
                          guint              index,
                          graphene_rect_t   *rect)
{
  guint s, i;

  if (self->kind == RW_CHART_HEAT)
    {
      guint nc = self->columns ? g_strv_length (self->columns) : 0;
      guint nr = self->rows ? g_strv_length (self->rows) : 0;
      double x0, y0, cw, ch;

      if (nc == 0 || index >= nr * nc)
        return FALSE;
      chart_heat_geometry (self, cr, st, w, h, &x0, &y0, &cw, &ch);
      graphene_rect_init (rect, x0 + (index % nc) * cw, y0 + (index / nc) * ch, cw, ch);
      return TRUE;
    }
  if (!_rw_chart_locate (self, index, &s, &i))
    return FALSE;
  if (self->kind == RW_CHART_BARS)
    {
      double x, y, bw, bh;
      chart_bar_rect (self, l, s, i, &x, &y, &bw, &bh);
      graphene_rect_init (rect, x, y, bw, MAX (bh, 2));
      return TRUE;
    }
  else
    {
      Point *p = &g_array_index (((Series *) self->series->pdata[s])->points, Point, i);
      if (!isfinite (p->x) || !isfinite (p->y))
        return FALSE;
      graphene_rect_init (rect, chart_sx (l, p->x) - 6, chart_sy (l, p->y) - 6, 12, 12);
      return TRUE;
    }
}

void
_rw_chart_draw (RwChart          *self,
                cairo_t          *cr,
                const ChartStyle *st,
                double            w,
                double            h,
                gboolean          with_focus)
{
  ChartLayout l;
  graphene_rect_t r;

  if (st->fill_bg)
    {
      chart_set_color (cr, &st->bg, 1);
      cairo_paint (cr);
    }
  if (self->kind == RW_CHART_HEAT)
    {
      chart_draw_heat (self, cr, st, w, h);
      _rw_chart_compute_layout (self, w, h, &l);
    }
  else
    {
      _rw_chart_compute_layout (self, w, h, &l);
      chart_draw_legend (self, cr, st, w);
      chart_draw_axes (self, cr, st, &l, h);
      chart_draw_xy (self, cr, st, &l);
    }

  /* The marked point (a policy's choice): a ring and its label. */
  if (self->marked_series >= 0 && self->kind != RW_CHART_HEAT)
    {
      guint index = 0;
      for (int s = 0; s < self->marked_series && s < (int) self->series->len; s++)
        index += ((Series *) self->series->pdata[s])->points->len;
      if (_rw_chart_point_position (self, cr, st, &l, w, h, index + self->marked_point, &r))
        {
          Point *p = &g_array_index (((Series *) self->series->pdata[self->marked_series])->points,
                                     Point, self->marked_point);
          chart_set_color (cr, &st->fg, 1);
          cairo_set_line_width (cr, 2);
          cairo_arc (cr, r.origin.x + r.size.width / 2, r.origin.y + r.size.height / 2, 9, 0,
                     2 * G_PI);
          cairo_stroke (cr);
          if (p->label)
            chart_text (cr, st, p->label, r.origin.x + r.size.width / 2 + 12,
                        r.origin.y + r.size.height / 2, 0, 0.5, TRUE);
        }
    }

  if (with_focus && self->focused >= 0 &&
      _rw_chart_point_position (self, cr, st, &l, w, h, (guint) self->focused, &r))
    {
      g_autofree char *text = rw_chart_dup_value_text (self, (guint) self->focused);
      double dashes[] = { 3, 2 };

      chart_set_color (cr, &st->fg, 1);
      cairo_set_line_width (cr, 1.5);
      cairo_set_dash (cr, dashes, 2, 0);
      cairo_rectangle (cr, r.origin.x - 3, r.origin.y - 3, r.size.width + 6, r.size.height + 6);
      cairo_stroke (cr);
      cairo_set_dash (cr, NULL, 0, 0);
      chart_text (cr, st, text, w - MARGIN_RIGHT, 2, 1, 0, TRUE);
    }
}

/**
 * rw_chart_save:
 * @path: a file ending in .png or .svg
 * @width: its width in pixels (points for SVG)
 * @height: its height
 *
 * Draws the chart into a file, dark on white whatever the desktop's style.
 *
 * Returns: %TRUE when the file was written
 */
gboolean
rw_chart_save (RwChart     *self,
               const char  *path,
               int          width,
               int          height,
               GError     **error)
{
  g_autofree char *lower = g_ascii_strdown (path, -1);
  gboolean svg = g_str_has_suffix (lower, ".svg");
  PangoFontDescription *font = pango_font_description_from_string ("Sans 9");
  ChartStyle st = { { 0.1, 0.1, 0.1, 1 }, { 1, 1, 1, 1 }, TRUE, font };
  cairo_surface_t *surface;
  cairo_status_t status;
  cairo_t *cr;

  if (!svg && !g_str_has_suffix (lower, ".png"))
    {
      pango_font_description_free (font);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("A chart is saved as .png or .svg, not as %s"), path);
      return FALSE;
    }
  surface = svg ? cairo_svg_surface_create (path, width, height)
                : cairo_image_surface_create (CAIRO_FORMAT_ARGB32, width, height);
  cr = cairo_create (surface);
  if (self->title)
    {
      chart_text (cr, &st, self->title, width / 2.0, 0, 0.5, 0, TRUE);
      cairo_translate (cr, 0, 20);
    }
  _rw_chart_draw (self, cr, &st, width, height - (self->title ? 20 : 0), FALSE);
  cairo_destroy (cr);
  if (svg)
    {
      cairo_surface_finish (surface);
      status = cairo_surface_status (surface);
    }
  else if ((status = cairo_surface_status (surface)) == CAIRO_STATUS_SUCCESS)
    status = cairo_surface_write_to_png (surface, path);
  cairo_surface_destroy (surface);
  pango_font_description_free (font);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Cannot write %s: %s"), path,
                   cairo_status_to_string (status));
      return FALSE;
    }
  return TRUE;
}
