/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "rw-eval-report.h"

G_BEGIN_DECLS

/* What the report's files share with the tally. */

/* One line of the paired comparisons: two models and where the outcomes came from. */
typedef struct
{
  const char *model_a;      /* interned */
  const char *model_b;
  const char *source;
  guint wins;
  guint losses;
  guint ties;
} RwEvalPair;

const char *_rw_eval_tally_intern  (RwEvalTally *t,
                                    const char *s);
double      _rw_eval_percentile    (GArray *values,
                                    double q);
JsonNode   *_rw_eval_tally_report  (RwEvalTally *t,
                                    const char *run_id,
                                    const char *status,
                                    JsonNode *params,
                                    GPtrArray *pairs);
double      _rw_eval_report_number (JsonObject *row,
                                    const char *name);

G_END_DECLS
