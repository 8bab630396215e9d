/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include <routewise-eval.h>

G_BEGIN_DECLS

#define RW_TYPE_EVAL_MATRIX (rw_eval_matrix_get_type ())

G_DECLARE_FINAL_TYPE (RwEvalMatrix, rw_eval_matrix, RW, EVAL_MATRIX, GtkBox)

RwEvalMatrix *rw_eval_matrix_new          (RwStore      *store);
void          rw_eval_matrix_set_run      (RwEvalMatrix *self,
                                           RwSuite      *suite,
                                           GPtrArray    *models);
guint         rw_eval_matrix_get_n_rows   (RwEvalMatrix *self);
void          rw_eval_matrix_refresh      (RwEvalMatrix *self,
                                           const char   *run_id);
void          rw_eval_matrix_refresh_soon (RwEvalMatrix *self,
                                           const char   *run_id);

G_END_DECLS
