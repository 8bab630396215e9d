/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_EVAL_INSIDE) && !defined(RW_EVAL_COMPILATION)
# error "Only <routewise-eval.h> can be included directly."
#endif

#include "rw-suite.h"
#include "rw-judge.h"

G_BEGIN_DECLS

#define RW_TYPE_EVAL_RUNNER (rw_eval_runner_get_type ())

G_DECLARE_FINAL_TYPE (RwEvalRunner, rw_eval_runner, RW, EVAL_RUNNER, GObject)

RwEvalRunner *rw_eval_runner_new             (RwCatalog     *catalog,
                                              RwStore       *store,
                                              RwSuite       *suite,
                                              GPtrArray     *models,
                                              guint          repeat);
void          rw_eval_runner_set_concurrency (RwEvalRunner  *self,
                                              guint          concurrency);
void          rw_eval_runner_set_model_options (RwEvalRunner *self,
                                                const char   *model_id,
                                                JsonObject   *options);
void          rw_eval_runner_set_budget      (RwEvalRunner  *self,
                                              double         usd);
void          rw_eval_runner_set_use_cache   (RwEvalRunner  *self,
                                              gboolean       use_cache);
void          rw_eval_runner_set_rate_window (RwEvalRunner  *self,
                                              guint          ms);
void          rw_eval_runner_set_moderation_model (RwEvalRunner *self,
                                                   RwModel      *model);
void          rw_eval_runner_set_embedding_model (RwEvalRunner *self,
                                                  RwModel      *model);
void          rw_eval_runner_set_judge       (RwEvalRunner  *self,
                                              RwModel       *judge);
guint         rw_eval_runner_get_n_comparisons (RwEvalRunner *self);
void          rw_eval_runner_set_pairwise   (RwEvalRunner  *self,
                                             gboolean       pairwise);
guint         rw_eval_runner_get_n_ratings  (RwEvalRunner  *self);
gboolean      rw_eval_runner_prepare         (RwEvalRunner  *self,
                                              const char    *resume_run_id,
                                              GError       **error);
const char   *rw_eval_runner_get_run_id      (RwEvalRunner  *self);
JsonNode     *rw_eval_runner_build_report    (RwEvalRunner  *self);
gboolean      rw_eval_runner_is_resumed      (RwEvalRunner  *self);
guint         rw_eval_runner_get_n_total     (RwEvalRunner  *self);
guint         rw_eval_runner_get_n_done      (RwEvalRunner  *self);
guint         rw_eval_runner_get_n_cached    (RwEvalRunner  *self);
guint         rw_eval_runner_get_n_failed    (RwEvalRunner  *self);
double        rw_eval_runner_get_estimate    (RwEvalRunner  *self);
double        rw_eval_runner_get_spent       (RwEvalRunner  *self);
void          rw_eval_runner_run_async       (RwEvalRunner  *self,
                                              GCancellable  *cancellable,
                                              GAsyncReadyCallback callback,
                                              gpointer       user_data);
const char   *rw_eval_runner_run_finish      (RwEvalRunner  *self,
                                              GAsyncResult  *result,
                                              GError       **error);

G_END_DECLS
