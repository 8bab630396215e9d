/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include "rw-eval-matrix-row.h"

/**
 * RwEvalMatrixRow:
 *
 * One item of a running evaluation, as the results matrix shows it: for each model, its
 * answer's mark (✓ passed, ✗ failed, a score between, ○ not graded, · not yet answered), and
 * the answer to open. It says "changed" when an answer comes, for the cells that show it.
 */

typedef struct
{
  char *label;
  RwEvalMatrixMark mark;
  char *response_id;
  char *text;
} Cell;

struct _RwEvalMatrixRow
{
  GObject parent_instance;

  char *item_id;
  Cell *cells;
  guint n_models;
};

G_DEFINE_FINAL_TYPE (RwEvalMatrixRow, rw_eval_matrix_row, G_TYPE_OBJECT)

enum { CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
rw_eval_matrix_row_finalize (GObject *object)
{
  RwEvalMatrixRow *self = RW_EVAL_MATRIX_ROW (object);

  for (guint m = 0; m < self->n_models; m++)
    {
      g_free (self->cells[m].label);
      g_free (self->cells[m].response_id);
      g_free (self->cells[m].text);
    }
  g_free (self->cells);
  g_free (self->item_id);
  G_OBJECT_CLASS (rw_eval_matrix_row_parent_class)->finalize (object);
}

static void
rw_eval_matrix_row_class_init (RwEvalMatrixRowClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = rw_eval_matrix_row_finalize;

  /**
   * RwEvalMatrixRow::changed:
   * @model: the model whose answer came
   */
  signals[CHANGED] = g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                   NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
}

static void
rw_eval_matrix_row_init (RwEvalMatrixRow *self)
{
}

RwEvalMatrixRow *
rw_eval_matrix_row_new (const char *item_id,
                        guint       n_models)
{
  RwEvalMatrixRow *self = g_object_new (RW_TYPE_EVAL_MATRIX_ROW, NULL);

  self->item_id = g_strdup (item_id);
  self->n_models = n_models;
  self->cells = g_new0 (Cell, n_models);
  return self;
}

const char *
rw_eval_matrix_row_get_item_id (RwEvalMatrixRow *self)
{
  return self->item_id;
}

/**
 * rw_eval_matrix_row_set_answer:
 * @model: the model's column
 * @score: the answer's mean score, NAN when it is not graded
 * @response_id: the answer
 * @text: (nullable): what it says
 *
 * Returns: whether the cell changed (and "changed" was emitted)
 */
gboolean
rw_eval_matrix_row_set_answer (RwEvalMatrixRow *self,
                               guint            model,
                               double           score,
                               const char      *response_id,
                               const char      *text)
{
  Cell *c;
  g_autofree char *label = NULL;
  RwEvalMatrixMark mark;

  g_return_val_if_fail (model < self->n_models, FALSE);
  c = &self->cells[model];
  label = isnan (score) ? g_strdup ("○") : score >= 1 ? g_strdup ("✓")
          : score <= 0 ? g_strdup ("✗") : g_strdup_printf ("%.2f", score);
  mark = isnan (score) ? RW_EVAL_MATRIX_NONE : score >= 0.5 ? RW_EVAL_MATRIX_GOOD
                                                            : RW_EVAL_MATRIX_BAD;
  if (g_strcmp0 (c->label, label) == 0 && c->mark == mark &&
      g_strcmp0 (c->response_id, response_id) == 0)
    return FALSE;
  g_free (c->label);
  c->label = g_steal_pointer (&label);
  c->mark = mark;
  g_free (c->response_id);
  c->response_id = g_strdup (response_id);
  g_free (c->text);
  c->text = g_strdup (text);
  g_signal_emit (self, signals[CHANGED], 0, model);
  return TRUE;
}

/* The cell's text: its mark, or "·" before its answer comes. */
const char *
rw_eval_matrix_row_get_label (RwEvalMatrixRow *self,
                              guint            model)
{
  g_return_val_if_fail (model < self->n_models, NULL);
  return self->cells[model].label ? self->cells[model].label : "·";
}

RwEvalMatrixMark
rw_eval_matrix_row_get_mark (RwEvalMatrixRow *self,
                             guint            model)
{
  g_return_val_if_fail (model < self->n_models, RW_EVAL_MATRIX_NONE);
  return self->cells[model].mark;
}

const char *
rw_eval_matrix_row_get_response_id (RwEvalMatrixRow *self,
                                    guint            model)
{
  g_return_val_if_fail (model < self->n_models, NULL);
  return self->cells[model].response_id;
}

const char *
rw_eval_matrix_row_get_text (RwEvalMatrixRow *self,
                             guint            model)
{
  g_return_val_if_fail (model < self->n_models, NULL);
  return self->cells[model].text;
}
