/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdlib.h>

#include "rw-offline-private.h"

/*
 * The measures an offline evaluation reports: RouterBench's AIQ (the average quality a router
 * reaches across the span of costs) and RouteLLM's measures for a strong and a weak model
 * (APGR, CPT(50%), CPT(80%)).
 */

static int
offline_compare_cost (gconstpointer a,
                      gconstpointer b)
{
  const RwPoint *x = a, *y = b;

  if (x->cost != y->cost)
    return x->cost < y->cost ? -1 : 1;
  return x->quality > y->quality ? -1 : x->quality < y->quality;
}

/* Is b on or below the line from a to c? */
static gboolean
offline_below (const RwPoint *a,
               const RwPoint *b,
               const RwPoint *c)
{
  return (b->cost - a->cost) * (c->quality - a->quality) -
         (b->quality - a->quality) * (c->cost - a->cost) >= 0;
}

/**
 * _rw_offline_aiq:
 * @points: (array length=n): what a router reaches, one point per setting
 * @n: how many
 * @lo: the cheapest single model's cost
 * @hi: the dearest single model's cost
 *
 * RouterBench's AIQ: the average, over costs from @lo to @hi, of the best quality the router
 * reaches at that cost or less, mixing its settings at random (the upper convex hull of its
 * points, held flat beyond its best). Below its cheapest point it reaches nothing (0).
 *
 * Returns: the AIQ; NAN when @hi is not above @lo
 */
double
_rw_offline_aiq (const RwPoint *points,
                 guint          n,
                 double         lo,
                 double         hi)
{
  g_autofree RwPoint *sorted = NULL, *hull = NULL;
  const guint steps = 1000;
  guint h = 0;
  double area = 0;

  if (!(hi > lo) || n == 0)
    return NAN;
  sorted = g_memdup2 (points, n * sizeof (RwPoint));
  hull = g_new (RwPoint, n);
  qsort (sorted, n, sizeof (RwPoint), offline_compare_cost);
  for (guint i = 0; i < n; i++)
    {
      /* Only what improves on every cheaper point is worth paying for. */
      if (h > 0 && sorted[i].quality <= hull[h - 1].quality)
        continue;
      while (h >= 2 && offline_below (&hull[h - 2], &hull[h - 1], &sorted[i]))
        h--;
      hull[h++] = sorted[i];
    }
  for (guint s = 0; s <= steps; s++)
    {
      double c = lo + (hi - lo) * s / steps, q = 0;

      if (c >= hull[0].cost)
        {
          q = hull[h - 1].quality;
          for (guint k = 0; k + 1 < h; k++)
            if (c < hull[k + 1].cost)
              {
                double t = (c - hull[k].cost) / (hull[k + 1].cost - hull[k].cost);
                q = hull[k].quality + t * (hull[k + 1].quality - hull[k].quality);
                break;
              }
        }
      area += (s == 0 || s == steps ? 0.5 : 1) * q;
    }
  return area / steps;
}

/**
 * _rw_offline_add_curve:
 * @b: where the measures go, as an object
 * @name: the router's name
 * @order: (array length=n): the items, those sent to the strong model first
 * @n: how many
 * @strong: (array length=n): each item's score by the strong model
 * @weak: (array length=n): by the weak model
 *
 * RouteLLM's measures: items go to the strong model in @order; at each tenth of strong calls,
 * the quality; its area; the average performance gap recovered (APGR); the share of strong
 * calls needed for half and for four fifths of the gap (CPT).
 */
void
_rw_offline_add_curve (JsonBuilder  *b,
                       const char   *name,
                       const guint  *order,
                       guint         n,
                       const double *strong,
                       const double *weak)
{
  double acc[11], auc = 0, cpt[2] = { NAN, NAN }, q_strong = 0, q_weak = 0;
  const double want[2] = { 0.5, 0.8 };

  for (guint i = 0; i < n; i++)
    {
      q_strong += strong[i] / n;
      q_weak += weak[i] / n;
    }
  for (guint s = 0; s <= 10; s++)
    {
      guint k = (guint) round (n * s / 10.0);
      double sum = 0;
      for (guint i = 0; i < n; i++)
        sum += i < k ? strong[order[i]] : weak[order[i]];
      acc[s] = sum / n;
    }
  for (guint s = 0; s < 10; s++)
    auc += (acc[s] + acc[s + 1]) / 2 * 0.1;
  for (guint w = 0; w < 2; w++)
    {
      double target = want[w] * (q_strong - q_weak) + q_weak;
      for (guint s = 0; s <= 10 && isnan (cpt[w]); s++)
        if (acc[s] >= target)
          cpt[w] = s == 0 ? 0 : 10 * (s - 1) + 10 * (target - acc[s - 1]) /
                                               MAX (1e-12, acc[s] - acc[s - 1]);
    }

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "router");
  json_builder_add_string_value (b, name);
  json_builder_set_member_name (b, "apgr");
  if (q_strong != q_weak)
    json_builder_add_double_value (b, (auc - q_weak) / (q_strong - q_weak));
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "auc");
  json_builder_add_double_value (b, auc);
  json_builder_set_member_name (b, "cpt50");
  if (isnan (cpt[0])) json_builder_add_null_value (b); else json_builder_add_double_value (b, cpt[0]);
  json_builder_set_member_name (b, "cpt80");
  if (isnan (cpt[1])) json_builder_add_null_value (b); else json_builder_add_double_value (b, cpt[1]);
  json_builder_set_member_name (b, "accuracy_by_strong_share");
  json_builder_begin_array (b);
  for (guint s = 0; s <= 10; s++)
    json_builder_add_double_value (b, acc[s]);
  json_builder_end_array (b);
  json_builder_end_object (b);
}

/* The zero router: each request sent at random to one of two single models; the best quality
 * such a mix reaches at a cost of @target or less (RouterBench's non-decreasing hull), which is
 * one model alone where it is better than every mix that spends more. Below the cheapest
 * model, that model alone. Returns its quality, and sets the pair, the share of the second and
 * the cost. */
double
_rw_offline_zero_router (const double *single_q,
                     const double *single_c,
                     guint         n,
                     double        target,
                     int          *model_a,
                     int          *model_b,
                     double       *share_b,
                     double       *cost)
{
  double best = -INFINITY;
  int cheapest = 0;

  *model_a = *model_b = -1;
  *share_b = 0;
  *cost = NAN;
  for (guint k = 0; k < n; k++)
    if (single_c[k] < single_c[cheapest])
      cheapest = (int) k;
  for (guint i = 0; i < n; i++)
    for (guint j = 0; j < n; j++)
      {
        double ci = single_c[i], cj = single_c[j], t, q, c;

        if (!(ci <= target))
          continue;
        if (i == j)
          t = 0;      /* the model alone, within the cost */
        else if (ci < cj && target <= cj)
          t = (target - ci) / (cj - ci);
        else
          continue;   /* two within the cost mix to no better than the better alone */
        q = (1 - t) * single_q[i] + t * single_q[j];
        c = (1 - t) * ci + t * cj;
        if (q > best || (q == best && c < *cost))
          {
            best = q;
            *cost = c;
            *model_a = (int) i;
            *model_b = t > 0 ? (int) j : (int) i;
            *share_b = t;
          }
      }
  if (*model_a < 0)
    {
      *model_a = *model_b = cheapest;
      *share_b = 0;
      best = single_q[cheapest];
      *cost = single_c[cheapest];
    }
  return best;
}
