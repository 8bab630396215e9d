/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "rw-offline-evaluation.h"

G_BEGIN_DECLS

/* The measures of an offline evaluation, apart from how the routing was done. */

typedef struct
{
  double quality, cost;
} RwPoint;

double _rw_offline_aiq       (const RwPoint *points,
                              guint          n,
                              double         lo,
                              double         hi);
double _rw_offline_zero_router (const double *single_q,
                                const double *single_c,
                                guint         n,
                                double        target,
                                int          *model_a,
                                int          *model_b,
                                double       *share_b,
                                double       *cost);
void   _rw_offline_add_curve (JsonBuilder   *b,
                              const char    *name,
                              const guint   *order,
                              guint          n,
                              const double  *strong,
                              const double  *weak);

G_END_DECLS
