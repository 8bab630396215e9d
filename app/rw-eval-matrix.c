/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "rw-eval-matrix.h"

/**
 * RwEvalMatrix:
 *
 * A running evaluation's results, items against models, filled from the store as answers
 * come: each cell shows whether its answer passed, and opens it with each grade and the
 * judge's reasoning.
 */

#define EVAL_MATRIX_ROWS 100
#define EVAL_MATRIX_REFRESH_MS 500

struct _RwEvalMatrix
{
  GtkBox parent_instance;

  RwStore *store;
  RwSuite *suite;
  GPtrArray *models;
  GHashTable *cells;            /* "item\tmodel" -> GtkButton */
  char *run_id;
  guint n_rows;
  guint n_built;
  guint build_source;
  guint refresh_source;
  gboolean refreshing;

  GtkGrid *grid;
  GtkLabel *note;
};

G_DEFINE_FINAL_TYPE (RwEvalMatrix, rw_eval_matrix, GTK_TYPE_BOX)

static void
eval_matrix_show_answer (GtkButton      *button,
                         RwEvalMatrix *self)
{
  const char *response_id = g_object_get_data (G_OBJECT (button), "response-id");
  const char *text = g_object_get_data (G_OBJECT (button), "text");
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

/* The grid of the first items against the models, empty cells to be filled as answers come. */
#define EVAL_MATRIX_ROWS_AT_ONCE 8

static void eval_matrix_show_answer (GtkButton    *button,
                                     RwEvalMatrix *self);

static gboolean
eval_matrix_build_some (gpointer data)
{
  RwEvalMatrix *self = data;
  guint end = MIN (self->n_rows, self->n_built + EVAL_MATRIX_ROWS_AT_ONCE);

  for (guint i = self->n_built; i < end; i++)
    {
      RwSuiteItem *item = rw_suite_get_item (self->suite, i);
      GtkWidget *name = gtk_label_new (item->id);

      gtk_label_set_xalign (GTK_LABEL (name), 0);
      gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_END);
      gtk_label_set_max_width_chars (GTK_LABEL (name), 16);
      gtk_widget_add_css_class (name, "caption");
      gtk_grid_attach (self->grid, name, 0, i + 1, 1, 1);
      for (guint m = 0; m < self->models->len; m++)
        {
          const char *model = rw_model_get_id (self->models->pdata[m]);
          GtkWidget *cell = gtk_button_new_with_label ("·");
          g_autofree char *tip = g_strdup_printf ("%s · %s", item->id, model);

          gtk_widget_add_css_class (cell, "flat");
          gtk_widget_add_css_class (cell, "matrix-cell");
          gtk_widget_set_tooltip_text (cell, tip);
          g_signal_connect (cell, "clicked", G_CALLBACK (eval_matrix_show_answer), self);
          gtk_grid_attach (self->grid, cell, m + 1, i + 1, 1, 1);
          g_hash_table_insert (self->cells, g_strdup_printf ("%s\t%s", item->id, model), cell);
        }
    }
  self->n_built = end;
  if (end < self->n_rows)
    return G_SOURCE_CONTINUE;
  self->build_source = 0;
  /* The answers that came while the rows were built. */
  if (self->run_id != NULL)
    rw_eval_matrix_refresh (self, self->run_id);
  return G_SOURCE_REMOVE;
}

/**
 * rw_eval_matrix_set_run:
 * @suite: the suite the run asks
 * @models: (element-type RwModel): the models it asks, in their columns' order
 *
 * Lays out the first items against the models, every cell empty until
 * rw_eval_matrix_refresh() finds its answer.
 */
void
rw_eval_matrix_set_run (RwEvalMatrix *self,
                        RwSuite      *suite,
                        GPtrArray    *models)
{
  guint n_items = MIN (rw_suite_get_n_items (suite), EVAL_MATRIX_ROWS);
  GtkWidget *child;
  g_autofree char *note = NULL;

  g_set_object (&self->suite, suite);
  g_clear_pointer (&self->models, g_ptr_array_unref);
  self->models = g_ptr_array_ref (models);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->grid))) != NULL)
    gtk_grid_remove (self->grid, child);
  g_hash_table_remove_all (self->cells);
  for (guint m = 0; m < self->models->len; m++)
    {
      GtkWidget *head = gtk_label_new (rw_model_get_id (self->models->pdata[m]));
      gtk_label_set_ellipsize (GTK_LABEL (head), PANGO_ELLIPSIZE_START);
      gtk_label_set_max_width_chars (GTK_LABEL (head), 30);
      gtk_widget_add_css_class (head, "caption-heading");
      gtk_grid_attach (self->grid, head, m + 1, 0, 1, 1);
    }
  /* The rows come a few at a time between frames: a hundred rows of cells built at once
   * hold the main loop for tens of milliseconds. */
  self->n_rows = n_items;
  self->n_built = 0;
  if (self->build_source == 0)
    self->build_source = g_idle_add (eval_matrix_build_some, self);
  if (rw_suite_get_n_items (self->suite) > n_items)
    note = g_strdup_printf (_("The first %u of %u items; the report counts them all."), n_items,
                            rw_suite_get_n_items (self->suite));
  gtk_label_set_text (self->note, note ? note : "");
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
  for (guint i = 0; answers != NULL && i < answers->len; i++)
    {
      RwStoredResponse *r = answers->pdata[i];
      g_autofree char *key = g_strdup_printf ("%s\t%s", r->item_id, r->model);
      GtkWidget *cell = g_hash_table_lookup (self->cells, key);
      g_autofree char *mark = NULL;

      if (cell == NULL || r->sample != 0)
        continue;
      mark = isnan (r->mean_score) ? g_strdup ("○")
             : r->mean_score >= 1 ? g_strdup ("✓") : r->mean_score <= 0 ? g_strdup ("✗")
             : g_strdup_printf ("%.2f", r->mean_score);
      gtk_button_set_label (GTK_BUTTON (cell), mark);
      gtk_widget_remove_css_class (cell, "success");
      gtk_widget_remove_css_class (cell, "error");
      if (!isnan (r->mean_score))
        gtk_widget_add_css_class (cell, r->mean_score >= 0.5 ? "success" : "error");
      g_object_set_data_full (G_OBJECT (cell), "response-id", g_strdup (r->id), g_free);
      g_object_set_data_full (G_OBJECT (cell), "text", g_strdup (r->text), g_free);
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
  g_clear_handle_id (&self->build_source, g_source_remove);
  G_OBJECT_CLASS (rw_eval_matrix_parent_class)->dispose (object);
}

static void
rw_eval_matrix_finalize (GObject *object)
{
  RwEvalMatrix *self = RW_EVAL_MATRIX (object);

  g_clear_object (&self->store);
  g_clear_object (&self->suite);
  g_clear_pointer (&self->models, g_ptr_array_unref);
  g_hash_table_unref (self->cells);
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

  self->cells = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gtk_orientable_set_orientation (GTK_ORIENTABLE (self), GTK_ORIENTATION_VERTICAL);
  gtk_box_set_spacing (GTK_BOX (self), 6);
  self->grid = GTK_GRID (gtk_grid_new ());
  gtk_grid_set_column_spacing (self->grid, 4);
  gtk_grid_set_row_spacing (self->grid, 2);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->grid), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Results: items against models"), -1);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroll), GTK_POLICY_AUTOMATIC,
                                  GTK_POLICY_NEVER);
  gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scroll), TRUE);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroll), GTK_WIDGET (self->grid));
  gtk_box_append (GTK_BOX (self), scroll);
  self->note = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->note, 0);
  gtk_widget_add_css_class (GTK_WIDGET (self->note), "dim-label");
  gtk_box_append (GTK_BOX (self), GTK_WIDGET (self->note));
}

RwEvalMatrix *
rw_eval_matrix_new (RwStore *store)
{
  RwEvalMatrix *self = g_object_new (RW_TYPE_EVAL_MATRIX, NULL);

  self->store = g_object_ref (store);
  return self;
}
