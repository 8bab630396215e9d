/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include <routewise-eval.h>

G_BEGIN_DECLS

#define RW_TYPE_EVAL_REPORT_PAGE (rw_eval_report_page_get_type ())

G_DECLARE_FINAL_TYPE (RwEvalReportPage, rw_eval_report_page, RW, EVAL_REPORT_PAGE, GtkBox)

RwEvalReportPage *rw_eval_report_page_new          (RwStore          *store);
gboolean          rw_eval_report_page_show_run     (RwEvalReportPage *self,
                                                    const char       *run_id,
                                                    GError          **error);
gboolean          rw_eval_report_page_compare_with (RwEvalReportPage *self,
                                                    const char       *earlier_id,
                                                    GError          **error);
JsonNode         *rw_eval_report_page_get_report   (RwEvalReportPage *self);
char             *rw_eval_report_page_dup_text     (RwEvalReportPage *self,
                                                    const char       *format);

G_END_DECLS
