/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_EVAL_INSIDE) && !defined(RW_EVAL_COMPILATION)
# error "Only <routewise-eval.h> can be included directly."
#endif

#include <routewise-engine.h>

#include "rw-eval-stats.h"
#include "rw-eval-tally.h"

G_BEGIN_DECLS

JsonNode *rw_eval_report_build      (RwStore     *store,
                                     const char  *run_id,
                                     GError     **error);
char     *rw_eval_report_to_markdown (JsonNode   *report);
char     *rw_eval_report_to_csv     (JsonNode    *report);
char     *rw_eval_report_to_html    (JsonNode    *report);
void      rw_eval_report_add_comparison (JsonNode *report,
                                     JsonNode    *earlier);
char     *rw_eval_report_comparison_to_markdown (JsonNode *report);

G_END_DECLS
