/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

/**
 * RwEvalMatrixMark:
 * @RW_EVAL_MATRIX_NONE: no answer yet, or one not graded
 * @RW_EVAL_MATRIX_GOOD: a score of at least half
 * @RW_EVAL_MATRIX_BAD: a score below half
 */
typedef enum
{
  RW_EVAL_MATRIX_NONE,
  RW_EVAL_MATRIX_GOOD,
  RW_EVAL_MATRIX_BAD,
} RwEvalMatrixMark;

#define RW_TYPE_EVAL_MATRIX_ROW (rw_eval_matrix_row_get_type ())

G_DECLARE_FINAL_TYPE (RwEvalMatrixRow, rw_eval_matrix_row, RW, EVAL_MATRIX_ROW, GObject)

RwEvalMatrixRow  *rw_eval_matrix_row_new             (const char      *item_id,
                                                      guint            n_models);
const char       *rw_eval_matrix_row_get_item_id     (RwEvalMatrixRow *self);
gboolean          rw_eval_matrix_row_set_answer      (RwEvalMatrixRow *self,
                                                      guint            model,
                                                      double           score,
                                                      const char      *response_id,
                                                      const char      *text);
const char       *rw_eval_matrix_row_get_label       (RwEvalMatrixRow *self,
                                                      guint            model);
RwEvalMatrixMark  rw_eval_matrix_row_get_mark        (RwEvalMatrixRow *self,
                                                      guint            model);
const char       *rw_eval_matrix_row_get_response_id (RwEvalMatrixRow *self,
                                                      guint            model);
const char       *rw_eval_matrix_row_get_text        (RwEvalMatrixRow *self,
                                                      guint            model);

G_END_DECLS
