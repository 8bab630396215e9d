/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_EVAL_INSIDE) && !defined(RW_EVAL_COMPILATION)
# error "Only <routewise-eval.h> can be included directly."
#endif

#include <routewise-engine.h>

G_BEGIN_DECLS

typedef struct _RwEvalTally RwEvalTally;

RwEvalTally *rw_eval_tally_new      (void);
void      rw_eval_tally_free        (RwEvalTally *t);
void      rw_eval_tally_add_answer  (RwEvalTally *t,
                                     const char  *id,
                                     const char  *item,
                                     const char  *model,
                                     gint64       sample,
                                     gboolean     ok,
                                     const char  *task,
                                     double       cost,
                                     double       latency,
                                     gboolean     cached);
void      rw_eval_tally_add_grade   (RwEvalTally *t,
                                     const char  *response_id,
                                     gboolean     human,
                                     double       score,
                                     int          pass,
                                     gint64       created_ms,
                                     const char  *id,
                                     double       weight,
                                     const char  *metric);
void      rw_eval_tally_add_vote    (RwEvalTally *t,
                                     const char  *response_a,
                                     const char  *response_b,
                                     const char  *source,
                                     const char  *outcome);
JsonNode *rw_eval_tally_to_report   (RwEvalTally *t,
                                     const char  *run_id,
                                     const char  *status,
                                     JsonNode    *params);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RwEvalTally, rw_eval_tally_free)

G_END_DECLS
