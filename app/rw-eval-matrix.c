/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "rw-eval-matrix.h"
#include "rw-eval-matrix-row.h"

/**
 * RwEvalMatrix:
 *
 * A running evaluation's results, every item against the models, filled from the store as
 * answers come: each cell shows whether its answer passed, and opens it with each grade and
 * the judge's reasoning. A column view over one row object per item. The column view gives
 * widgets to a few hundred rows at most (GTK 4.8 builds up to 200 at once), so the rows are
 * handed to it a few at a time from an idle, never all in one main-loop turn.
 */

#define EVAL_MATRIX_REFRESH_MS 500
/* Rows handed to the column view per main-loop turn: with a button per model in each, about
 * 10 ms of widgets. */
#define EVAL_MATRIX_FILL_ROWS 8

struct _RwEvalMatrix
{
  GtkBox parent_instance;

  RwStore *store;
  RwSuite *suite;
  GPtrArray *models;
  GListStore *rows;             /* RwEvalMatrixRow, in the suite's order */
  GHashTable *by_item;          /* item id -> RwEvalMatrixRow */
  char *run_id;
  guint refresh_source;
  gboolean refreshing;
  GPtrArray *pending;           /* RwEvalMatrixRow not yet in rows, in order */
  guint filled;                 /* how many of pending are */
  guint fill_source;

  GtkColumnView *view;
};

G_DEFINE_FINAL_TYPE (RwEvalMatrix, rw_eval_matrix, GTK_TYPE_BOX)

static void
eval_matrix_show_answer (GtkButton    *button,
                         RwEvalMatrix *self)
{
  RwEvalMatrixRow *row = g_object_get_data (G_OBJECT (button), "row");
  guint model = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (button), "model"));
  const char *response_id = row ? rw_eval_matrix_row_get_response_id (row, model) : NULL;
  const char *text = row ? rw_eval_matrix_row_get_text (row, model) : NULL;
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  g_autoptr(GPtrArray) grades = NULL;
  g_autoptr(GString) body = g_string_new (NULL);
  AdwMessageDialog *dialog;
  GtkWidget *scroll, *label;

  if (response_id == NULL)
    return;
  grades = rw_store_list_answer_grades (self->store, response_id, NULL);
  for (guint i = 0; grades != NULL && i < grades->len; i++)
    {
      RwStoredAnswerGrade *g = grades->pdata[i];
      g_autofree char *score = isfinite (g->score) ? g_strdup_printf ("%.2f", g->score)
                                                    : g_strdup ("–");
      const char *verdict = g->pass == 1 ? _("passed") : g->pass == 0 ? _("failed") : "";

      g_string_append_printf (body, "%s (%s): %s %s\n", g->grader, g->source, score, verdict);
      if (g->detail != NULL && *g->detail != '\0')
        g_string_append_printf (body, "    %s\n", g->detail);
    }
  if (body->len == 0)
    g_string_append (body, _("Not graded.\n"));
  g_string_append_printf (body, "\n%s", text ? text : "");

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root)
                                                                            : NULL,
                                                       gtk_widget_get_tooltip_text (GTK_WIDGET (button)),
                                                       NULL));
  label = gtk_label_new (body->str);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  scroll = gtk_scrolled_window_new ();
  gtk_scrolled_window_set_min_content_height (GTK_SCROLLED_WINDOW (scroll), 240);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scroll), 480);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scroll), TRUE);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroll), label);
  adw_message_dialog_set_extra_child (dialog, scroll);
  adw_message_dialog_add_response (dialog, "close", _("_Close"));
  gtk_window_present (GTK_WINDOW (dialog));
}

/* A cell's button as its row says. */
static void
eval_matrix_cell_update (GtkWidget       *button,
                         RwEvalMatrixRow *row,
                         guint            model)
{
  RwEvalMatrixMark mark = rw_eval_matrix_row_get_mark (row, model);

  gtk_button_set_label (GTK_BUTTON (button), rw_eval_matrix_row_get_label (row, model));
  gtk_widget_remove_css_class (button, "success");
  gtk_widget_remove_css_class (button, "error");
  if (mark != RW_EVAL_MATRIX_NONE)
    gtk_widget_add_css_class (button, mark == RW_EVAL_MATRIX_GOOD ? "success" : "error");
}

static void
eval_matrix_row_changed (RwEvalMatrixRow *row,
                         guint            model,
                         GtkWidget       *button)
{
  if (GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (button), "model")) == model)
    eval_matrix_cell_update (button, row, model);
}

static void
eval_matrix_setup_cell (GtkSignalListItemFactory *factory,
                        GtkListItem              *list_item,
                        RwEvalMatrix             *self)
{
  GtkWidget *cell = gtk_button_new_with_label ("·");

  gtk_widget_add_css_class (cell, "flat");
  gtk_widget_add_css_class (cell, "matrix-cell");
  g_object_set_data (G_OBJECT (cell), "model", g_object_get_data (G_OBJECT (factory), "model"));
  g_signal_connect (cell, "clicked", G_CALLBACK (eval_matrix_show_answer), self);
  gtk_list_item_set_child (list_item, cell);
}

static void
eval_matrix_bind_cell (GtkSignalListItemFactory *factory,
                       GtkListItem              *list_item,
                       RwEvalMatrix             *self)
{
  RwEvalMatrixRow *row = gtk_list_item_get_item (list_item);
  GtkWidget *cell = gtk_list_item_get_child (list_item);
  guint model = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (factory), "model"));
  g_autofree char *tip = g_strdup_printf ("%s · %s", rw_eval_matrix_row_get_item_id (row),
                                          rw_model_get_id (self->models->pdata[model]));

  gtk_widget_set_tooltip_text (cell, tip);
  g_object_set_data (G_OBJECT (cell), "row", row);
  g_signal_connect_object (row, "changed", G_CALLBACK (eval_matrix_row_changed), cell, 0);
  eval_matrix_cell_update (cell, row, model);
}

static void
eval_matrix_unbind_cell (GtkSignalListItemFactory *factory,
                         GtkListItem              *list_item,
                         RwEvalMatrix             *self)
{
  RwEvalMatrixRow *row = gtk_list_item_get_item (list_item);
  GtkWidget *cell = gtk_list_item_get_child (list_item);

  g_signal_handlers_disconnect_by_func (row, eval_matrix_row_changed, cell);
  g_object_set_data (G_OBJECT (cell), "row", NULL);
}

static void
eval_matrix_setup_item (GtkSignalListItemFactory *factory,
                        GtkListItem              *list_item,
                        gpointer                  data)
{
  GtkWidget *name = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (name), 0);
  gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_END);
  gtk_label_set_max_width_chars (GTK_LABEL (name), 16);
  gtk_widget_add_css_class (name, "caption");
  gtk_list_item_set_child (list_item, name);
}

static void
eval_matrix_bind_item (GtkSignalListItemFactory *factory,
                       GtkListItem              *list_item,
                       gpointer                  data)
{
  RwEvalMatrixRow *row = gtk_list_item_get_item (list_item);

  gtk_label_set_text (GTK_LABEL (gtk_list_item_get_child (list_item)),
                      rw_eval_matrix_row_get_item_id (row));
}

static void
eval_matrix_add_column (RwEvalMatrix *self,
                        const char   *title,
                        gint          model)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  GtkColumnViewColumn *column;

  if (model < 0)
    {
      g_signal_connect (factory, "setup", G_CALLBACK (eval_matrix_setup_item), NULL);
      g_signal_connect (factory, "bind", G_CALLBACK (eval_matrix_bind_item), NULL);
    }
  else
    {
      g_object_set_data (G_OBJECT (factory), "model", GUINT_TO_POINTER ((guint) model));
      g_signal_connect (factory, "setup", G_CALLBACK (eval_matrix_setup_cell), self);
      g_signal_connect (factory, "bind", G_CALLBACK (eval_matrix_bind_cell), self);
      g_signal_connect (factory, "unbind", G_CALLBACK (eval_matrix_unbind_cell), self);
    }
  column = gtk_column_view_column_new (title, factory);
  gtk_column_view_column_set_resizable (column, TRUE);
  gtk_column_view_append_column (self->view, column);
  g_object_unref (column);
}

/* Hands the column view its next few rows. */
static gboolean
eval_matrix_fill (gpointer data)
{
  RwEvalMatrix *self = data;
  guint n = MIN (EVAL_MATRIX_FILL_ROWS, self->pending->len - self->filled);

  g_list_store_splice (self->rows, g_list_model_get_n_items (G_LIST_MODEL (self->rows)), 0,
                       self->pending->pdata + self->filled, n);
  self->filled += n;
  if (self->filled < self->pending->len)
    return G_SOURCE_CONTINUE;
  g_clear_pointer (&self->pending, g_ptr_array_unref);
  self->fill_source = 0;
  return G_SOURCE_REMOVE;
}

/**
 * rw_eval_matrix_set_run:
 * @suite: the suite the run asks
 * @models: (element-type RwModel): the models it asks, in their columns' order
 *
 * Lays out every item against the models, every cell empty until rw_eval_matrix_refresh()
 * finds its answer.
 */
void
rw_eval_matrix_set_run (RwEvalMatrix *self,
                        RwSuite      *suite,
                        GPtrArray    *models)
{
  guint n_items = rw_suite_get_n_items (suite);
  g_autoptr(GPtrArray) rows = g_ptr_array_new_full (n_items, g_object_unref);
  GListModel *columns = gtk_column_view_get_columns (self->view);

  g_set_object (&self->suite, suite);
  g_clear_pointer (&self->models, g_ptr_array_unref);
  self->models = g_ptr_array_ref (models);
  while (g_list_model_get_n_items (columns) > 0)
    {
      g_autoptr(GtkColumnViewColumn) column = g_list_model_get_item (columns, 0);
      gtk_column_view_remove_column (self->view, column);
    }
  eval_matrix_add_column (self, _("Item"), -1);
  for (guint m = 0; m < self->models->len; m++)
    eval_matrix_add_column (self, rw_model_get_id (self->models->pdata[m]), (gint) m);

  g_hash_table_remove_all (self->by_item);
  for (guint i = 0; i < n_items; i++)
    {
      RwSuiteItem *item = rw_suite_get_item (suite, i);
      RwEvalMatrixRow *row = rw_eval_matrix_row_new (item->id, self->models->len);

      g_ptr_array_add (rows, row);
      g_hash_table_insert (self->by_item, (gpointer) rw_eval_matrix_row_get_item_id (row), row);
    }
  g_list_store_remove_all (self->rows);
  g_clear_pointer (&self->pending, g_ptr_array_unref);
  self->pending = g_steal_pointer (&rows);
  self->filled = 0;
  if (self->fill_source == 0)
    self->fill_source = g_idle_add (eval_matrix_fill, self);
  if (self->run_id != NULL)
    rw_eval_matrix_refresh (self, self->run_id);
}

/**
 * rw_eval_matrix_get_n_rows:
 *
 * Returns: how many items the matrix holds: all of the suite's, those not yet handed to the
 *   column view included
 */
guint
rw_eval_matrix_get_n_rows (RwEvalMatrix *self)
{
  return g_list_model_get_n_items (G_LIST_MODEL (self->rows)) +
         (self->pending ? self->pending->len - self->filled : 0);
}

static void
eval_matrix_list_thread (GTask        *task,
                         gpointer      source,
                         gpointer      data,
                         GCancellable *cancellable)
{
  RwEvalMatrix *self = source;
  GError *error = NULL;
  GPtrArray *answers = rw_store_list_run_answers (self->store, data, TRUE, &error);

  if (answers == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, answers, (GDestroyNotify) g_ptr_array_unref);
}

static void
eval_matrix_listed_cb (GObject      *object,
                       GAsyncResult *res,
                       gpointer      user_data)
{
  RwEvalMatrix *self = RW_EVAL_MATRIX (object);
  g_autoptr(GPtrArray) answers = g_task_propagate_pointer (G_TASK (res), NULL);

  self->refreshing = FALSE;
  for (guint i = 0; answers != NULL && self->models != NULL && i < answers->len; i++)
    {
      RwStoredResponse *r = answers->pdata[i];
      RwEvalMatrixRow *row = g_hash_table_lookup (self->by_item, r->item_id);

      if (row == NULL || r->sample != 0)
        continue;
      for (guint m = 0; m < self->models->len; m++)
        if (g_strcmp0 (rw_model_get_id (self->models->pdata[m]), r->model) == 0)
          rw_eval_matrix_row_set_answer (row, m, r->mean_score, r->id, r->text);
    }
}

/**
 * rw_eval_matrix_refresh:
 * @run_id: the run whose answers fill the cells
 *
 * Reads the run's answers off the main loop and marks each cell: ✓ passed, ✗ failed, a score
 * between, ○ not graded.
 */
void
rw_eval_matrix_refresh (RwEvalMatrix *self,
                        const char   *run_id)
{
  g_autoptr(GTask) task = NULL;

  if (run_id != self->run_id)
    {
      g_free (self->run_id);
      self->run_id = g_strdup (run_id);
    }
  if (run_id == NULL || self->refreshing)
    return;
  self->refreshing = TRUE;
  task = g_task_new (self, NULL, eval_matrix_listed_cb, NULL);
  g_task_set_task_data (task, g_strdup (run_id), g_free);
  g_task_run_in_thread (task, eval_matrix_list_thread);
}

static gboolean
eval_matrix_refresh_due (gpointer data)
{
  RwEvalMatrix *self = data;

  self->refresh_source = 0;
  rw_eval_matrix_refresh (self, self->run_id);
  return G_SOURCE_REMOVE;
}

/**
 * rw_eval_matrix_refresh_soon:
 *
 * Refreshes within EVAL_MATRIX_REFRESH_MS: a run answering thousands of times a second reads
 * its answers twice a second.
 */
void
rw_eval_matrix_refresh_soon (RwEvalMatrix *self,
                             const char   *run_id)
{
  g_free (self->run_id);
  self->run_id = g_strdup (run_id);
  if (self->refresh_source == 0)
    self->refresh_source = g_timeout_add (EVAL_MATRIX_REFRESH_MS, eval_matrix_refresh_due, self);
}

static void
rw_eval_matrix_dispose (GObject *object)
{
  RwEvalMatrix *self = RW_EVAL_MATRIX (object);

  g_clear_handle_id (&self->refresh_source, g_source_remove);
  g_clear_handle_id (&self->fill_source, g_source_remove);
  g_clear_pointer (&self->pending, g_ptr_array_unref);
  G_OBJECT_CLASS (rw_eval_matrix_parent_class)->dispose (object);
}

static void
rw_eval_matrix_finalize (GObject *object)
{
  RwEvalMatrix *self = RW_EVAL_MATRIX (object);

  g_clear_object (&self->store);
  g_clear_object (&self->suite);
  g_clear_pointer (&self->models, g_ptr_array_unref);
  g_hash_table_unref (self->by_item);
  g_clear_object (&self->rows);
  g_free (self->run_id);
  G_OBJECT_CLASS (rw_eval_matrix_parent_class)->finalize (object);
}

static void
rw_eval_matrix_class_init (RwEvalMatrixClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = rw_eval_matrix_dispose;
  object_class->finalize = rw_eval_matrix_finalize;
}

static void
rw_eval_matrix_init (RwEvalMatrix *self)
{
  GtkWidget *scroll = gtk_scrolled_window_new ();

  self->rows = g_list_store_new (RW_TYPE_EVAL_MATRIX_ROW);
  self->by_item = g_hash_table_new (g_str_hash, g_str_equal);
  gtk_orientable_set_orientation (GTK_ORIENTABLE (self), GTK_ORIENTATION_VERTICAL);
  self->view = GTK_COLUMN_VIEW (gtk_column_view_new (GTK_SELECTION_MODEL (
    gtk_no_selection_new (G_LIST_MODEL (g_object_ref (self->rows))))));
  gtk_column_view_set_show_column_separators (self->view, FALSE);
  gtk_widget_add_css_class (GTK_WIDGET (self->view), "data-table");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->view), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Results: items against models"), -1);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroll), GTK_POLICY_AUTOMATIC,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_min_content_height (GTK_SCROLLED_WINDOW (scroll), 160);
  gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scroll), 420);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scroll), TRUE);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroll), GTK_WIDGET (self->view));
  gtk_box_append (GTK_BOX (self), scroll);
}

RwEvalMatrix *
rw_eval_matrix_new (RwStore *store)
{
  RwEvalMatrix *self = g_object_new (RW_TYPE_EVAL_MATRIX, NULL);

  self->store = g_object_ref (store);
  return self;
}
