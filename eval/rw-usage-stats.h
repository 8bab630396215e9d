/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_EVAL_INSIDE) && !defined(RW_EVAL_COMPILATION)
# error "Only <routewise-eval.h> can be included directly."
#endif

#include <routewise-engine.h>

G_BEGIN_DECLS

/**
 * RwUsagePeriod:
 * @since_ms: when above 0, from this time on (milliseconds since the epoch)
 * @until_ms: when above 0, before this time
 *
 * The period stats are drawn over.
 */
typedef struct
{
  gint64 since_ms;
  gint64 until_ms;
} RwUsagePeriod;

JsonNode *rw_usage_stats_compute  (RwStore             *store,
                                   const RwUsagePeriod *period,
                                   RwCatalog           *catalog,
                                   RwPolicy            *policy,
                                   const char          *policy_name,
                                   GError             **error);
gboolean  rw_usage_parse_date     (const char          *text,
                                   gboolean             end_of_day,
                                   gint64              *ms,
                                   GError             **error);

G_END_DECLS
