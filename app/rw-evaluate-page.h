/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include <routewise-eval.h>

#include "rw-eval-report-page.h"

G_BEGIN_DECLS

#define RW_TYPE_EVALUATE_PAGE (rw_evaluate_page_get_type ())

G_DECLARE_FINAL_TYPE (RwEvaluatePage, rw_evaluate_page, RW, EVALUATE_PAGE, GtkBox)

void              rw_evaluate_page_set_engine    (RwEvaluatePage *self,
                                                  RwCatalog      *catalog,
                                                  RwStore        *store);
gboolean          rw_evaluate_page_set_suite_file (RwEvaluatePage *self,
                                                  const char     *path,
                                                  GError        **error);
void              rw_evaluate_page_set_models    (RwEvaluatePage *self,
                                                  const char * const *model_ids);
void              rw_evaluate_page_set_options   (RwEvaluatePage *self,
                                                  guint           repeat,
                                                  guint           concurrency,
                                                  double          budget_usd,
                                                  const char     *judge_id);
void              rw_evaluate_page_set_grading_models (RwEvaluatePage *self,
                                                       const char     *embedding_id,
                                                       const char     *moderation_id);
gboolean          rw_evaluate_page_prepare       (RwEvaluatePage *self,
                                                  const char     *resume_run_id,
                                                  GError        **error);
double            rw_evaluate_page_get_estimate  (RwEvaluatePage *self);
void              rw_evaluate_page_start         (RwEvaluatePage *self);
void              rw_evaluate_page_cancel        (RwEvaluatePage *self);
gboolean          rw_evaluate_page_is_running    (RwEvaluatePage *self);
const char       *rw_evaluate_page_get_run_id    (RwEvaluatePage *self);
const char       *rw_evaluate_page_get_status    (RwEvaluatePage *self);
guint             rw_evaluate_page_get_n_done    (RwEvaluatePage *self);
GPtrArray        *rw_evaluate_page_list_resumable (RwEvaluatePage *self);
RwEvalReportPage *rw_evaluate_page_get_report_page (RwEvaluatePage *self);
char             *rw_evaluate_page_find_suite    (RwEvaluatePage *self,
                                                  const char     *name,
                                                  const char     *checksum);

G_END_DECLS
