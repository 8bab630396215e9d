/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "rw-evaluate-page-private.h"
#include "rw-window.h"

/**
 * RwEvaluatePage:
 *
 * The Evaluate view: a batch evaluation run from the window as `routewise-cli eval run` runs
 * it, by the same RwEvalRunner. Pick a suite (a bundled one, a file, or a promptfoo
 * configuration), the models, repetitions, concurrency, a budget, a judge, and the embedding or
 * moderation model when the suite's grades need one; see what it will cost before it starts;
 * watch its progress (answers per second, spend, time left) and a live matrix of items against
 * models, each cell opening the answer with its grades and the judge's reasoning; cancel it,
 * and resume it or any run left unfinished (from the window, the command line or a crash); read
 * the report when it ends.
 */


G_DEFINE_FINAL_TYPE (RwEvaluatePage, rw_evaluate_page, GTK_TYPE_BOX)

enum { PROGRESS, FINISHED, N_SIGNALS };
static guint signals[N_SIGNALS];


/* ---------------------------------------------------------------------------- running */

static void
evaluate_page_draw_progress (RwEvaluatePage *self)
{
  guint total = rw_eval_runner_get_n_total (self->runner);
  guint done = rw_eval_runner_get_n_done (self->runner);
  guint failed = rw_eval_runner_get_n_failed (self->runner);
  double secs = (g_get_monotonic_time () - self->start_us) / 1e6;
  double rate = secs > 0 ? (done - self->start_done) / secs : 0;
  guint left = total > done ? total - done : 0;
  g_autofree char *eta = rate > 0 && left ? g_strdup_printf (_("%.0f s left"), left / rate)
                                          : g_strdup ("");
  g_autofree char *text = NULL;

  gtk_progress_bar_set_fraction (self->progress, total ? (double) done / total : 1);
  text = g_strdup_printf (_("%u of %u answers · %.1f per second · $%.4f spent · %u failed · %s"),
                          done, total, rate, rw_eval_runner_get_spent (self->runner), failed,
                          eta);
  gtk_label_set_text (self->progress_label, text);
}

static void
evaluate_page_on_progress (RwEvalRunner   *runner,
                           RwEvaluatePage *self)
{
  gint64 now = g_get_monotonic_time ();

  /* A fast run answers thousands of times a second: the window redraws what it shows at most
   * ten times a second, and reads the matrix's answers twice. */
  if (now - self->drawn_us >= 100000)
    {
      self->drawn_us = now;
      evaluate_page_draw_progress (self);
    }
  rw_eval_matrix_refresh_soon (self->matrix, rw_eval_runner_get_run_id (self->runner));
  g_signal_emit (self, signals[PROGRESS], 0);
}

static void
evaluate_page_sync_buttons (RwEvaluatePage *self)
{
  gboolean running = rw_evaluate_page_is_running (self);
  gboolean finished = self->status != NULL && g_str_equal (self->status, "done");

  /* Each button sits in a cell of the flow box, which shows or hides with it. */
  gtk_widget_set_visible (gtk_widget_get_parent (GTK_WIDGET (self->cancel_button)), running);
  gtk_widget_set_visible (gtk_widget_get_parent (GTK_WIDGET (self->resume_button)),
                          !running && self->runner != NULL && !finished);
  gtk_widget_set_visible (gtk_widget_get_parent (GTK_WIDGET (self->report_button)),
                          !running && self->runner != NULL);
}

static void
evaluate_page_done_cb (GObject      *object,
                       GAsyncResult *res,
                       gpointer      user_data)
{
  RwEvaluatePage *self = RW_EVALUATE_PAGE (user_data);
  g_autoptr(GError) error = NULL;
  const char *status = rw_eval_runner_run_finish (RW_EVAL_RUNNER (object), res, &error);

  g_free (self->status);
  self->status = g_strdup (error != NULL ? "failed" : status);
  g_clear_object (&self->cancellable);
  evaluate_page_draw_progress (self);
  rw_eval_matrix_refresh (self->matrix, rw_eval_runner_get_run_id (self->runner));
  evaluate_page_sync_buttons (self);
  _rw_evaluate_page_list_resumable (self);
  if (error != NULL)
    rw_window_toast_for (GTK_WIDGET (self), error->message);
  else if (g_str_equal (self->status, "done"))
    {
      g_autoptr(GError) report_error = NULL;
      if (rw_eval_report_page_show_run (self->report_page, rw_eval_runner_get_run_id (self->runner),
                                        &report_error))
        gtk_stack_set_visible_child_name (self->stack, "report");
    }
  g_signal_emit (self, signals[FINISHED], 0, self->status);
  g_object_unref (self);
}

/**
 * rw_evaluate_page_prepare:
 * @resume_run_id: (nullable): a run to resume; without it, a run of the same suite, models and
 *   repetitions that did not finish is resumed, as `eval run` does
 *
 * Makes the runner from what is picked, finds what is left to do and estimates its cost.
 *
 * Returns: %TRUE when ready to start
 */
gboolean
rw_evaluate_page_prepare (RwEvaluatePage  *self,
                          const char      *resume_run_id,
                          GError         **error)
{
  g_autoptr(GPtrArray) models = NULL;
  g_autoptr(RwEvalRunner) runner = NULL;
  g_autoptr(RwModel) judge = NULL;
  g_autoptr(RwModel) embedding = NULL;
  g_autoptr(RwModel) moderation = NULL;
  g_autoptr(GError) local = NULL;

  if (rw_evaluate_page_is_running (self))
    {
      g_set_error_literal (error, RW_ERROR, RW_ERROR_CONFIG, _("An evaluation is running"));
      return FALSE;
    }
  if (self->suite == NULL)
    {
      g_set_error_literal (error, RW_ERROR, RW_ERROR_CONFIG, _("Pick a suite"));
      return FALSE;
    }
  if ((models = _rw_evaluate_page_picked_models (self, error)) == NULL)
    return FALSE;
  judge = _rw_evaluate_page_chosen_model (self, RW_EVALUATE_JUDGE, &local);
  if (local == NULL)
    embedding = _rw_evaluate_page_chosen_model (self, RW_EVALUATE_EMBEDDING, &local);
  if (local == NULL)
    moderation = _rw_evaluate_page_chosen_model (self, RW_EVALUATE_MODERATION, &local);
  if (local != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local));
      return FALSE;
    }
  /* Said here, in the window's words; the runner would name the command line's options. */
  if ((self->needs & RW_GRADER_NEEDS_JUDGE) && judge == NULL)
    {
      g_set_error_literal (error, RW_ERROR, RW_ERROR_CONFIG,
                           _("The suite has grades a judge gives: pick a judge under Options"));
      return FALSE;
    }
  if ((self->needs & RW_GRADER_NEEDS_EMBEDDING) && embedding == NULL)
    {
      g_set_error_literal (error, RW_ERROR, RW_ERROR_CONFIG,
                           _("The suite has grades that compare embeddings: pick an embedding "
                             "model under Options"));
      return FALSE;
    }
  if ((self->needs & RW_GRADER_NEEDS_MODERATION) && moderation == NULL)
    {
      g_set_error_literal (error, RW_ERROR, RW_ERROR_CONFIG,
                           _("The suite has moderation grades: pick a moderation model under "
                             "Options"));
      return FALSE;
    }
  rw_store_set_group_commit (self->store, TRUE);
  runner = rw_eval_runner_new (self->catalog, self->store, self->suite, models,
                               (guint) gtk_spin_button_get_value_as_int (self->repeat_spin));
  rw_eval_runner_set_concurrency (runner,
                                  (guint) gtk_spin_button_get_value_as_int (self->concurrency_spin));
  rw_eval_runner_set_budget (runner, gtk_spin_button_get_value (self->budget_spin));
  if (judge != NULL)
    {
      rw_eval_runner_set_judge (runner, judge);
      rw_eval_runner_set_pairwise (runner, TRUE);
    }
  if (embedding != NULL)
    rw_eval_runner_set_embedding_model (runner, embedding);
  if (moderation != NULL)
    rw_eval_runner_set_moderation_model (runner, moderation);
  if (!rw_eval_runner_prepare (runner, resume_run_id, error))
    return FALSE;
  g_set_object (&self->runner, runner);
  g_clear_pointer (&self->models, g_ptr_array_unref);
  self->models = g_steal_pointer (&models);
  g_clear_pointer (&self->status, g_free);
  return TRUE;
}

double
rw_evaluate_page_get_estimate (RwEvaluatePage *self)
{
  return self->runner ? rw_eval_runner_get_estimate (self->runner) : 0;
}

/**
 * rw_evaluate_page_start:
 *
 * Runs what rw_evaluate_page_prepare() prepared, showing its progress and its matrix.
 */
void
rw_evaluate_page_start (RwEvaluatePage *self)
{
  if (self->runner == NULL || rw_evaluate_page_is_running (self))
    return;
  self->cancellable = g_cancellable_new ();
  self->start_us = g_get_monotonic_time ();
  self->start_done = rw_eval_runner_get_n_done (self->runner);
  g_signal_handlers_disconnect_by_data (self->runner, self);
  g_signal_connect (self->runner, "progress", G_CALLBACK (evaluate_page_on_progress), self);
  rw_eval_matrix_set_run (self->matrix, self->suite, self->models);
  evaluate_page_draw_progress (self);
  gtk_stack_set_visible_child_name (self->stack, "run");
  rw_eval_runner_run_async (self->runner, self->cancellable, evaluate_page_done_cb,
                            g_object_ref (self));
  evaluate_page_sync_buttons (self);
  rw_eval_matrix_refresh (self->matrix, rw_eval_runner_get_run_id (self->runner));
}

/**
 * rw_evaluate_page_cancel:
 *
 * Stops the run; what was answered stays stored and the run can be resumed.
 */
void
rw_evaluate_page_cancel (RwEvaluatePage *self)
{
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
}

gboolean
rw_evaluate_page_is_running (RwEvaluatePage *self)
{
  return self->cancellable != NULL;
}

const char *
rw_evaluate_page_get_run_id (RwEvaluatePage *self)
{
  return self->runner ? rw_eval_runner_get_run_id (self->runner) : NULL;
}

const char *
rw_evaluate_page_get_status (RwEvaluatePage *self)
{
  return self->status;
}

guint
rw_evaluate_page_get_n_done (RwEvaluatePage *self)
{
  return self->runner ? rw_eval_runner_get_n_done (self->runner) : 0;
}

RwEvalReportPage *
rw_evaluate_page_get_report_page (RwEvaluatePage *self)
{
  return self->report_page;
}

static void
evaluate_page_on_start_response (AdwMessageDialog *dialog,
                                 const char       *response,
                                 RwEvaluatePage   *self)
{
  if (g_strcmp0 (response, "start") == 0)
    rw_evaluate_page_start (self);
  else if (self->runner != NULL)
    {
      /* Prepared, never started: kept as a run to resume, as an interrupted one is. */
      rw_store_set_run_status (self->store, rw_eval_runner_get_run_id (self->runner),
                               "cancelled");
      _rw_evaluate_page_list_resumable (self);
    }
  g_object_unref (self);
}

/* Prepares, then asks before spending: how many answers, how many already stored, the cost. */
void
_rw_evaluate_page_ask_start (RwEvaluatePage *self,
                             const char     *resume_run_id)
{
  g_autoptr(GError) error = NULL;
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  AdwMessageDialog *dialog;
  g_autofree char *body = NULL;

  if (!rw_evaluate_page_prepare (self, resume_run_id, &error))
    {
      rw_window_toast_for (GTK_WIDGET (self), error->message);
      return;
    }
  body = g_strdup_printf (_("%u answers: %u items × %u models × %d. %u are already stored or "
                            "cached. The rest will cost at most $%.4f."),
                          rw_eval_runner_get_n_total (self->runner),
                          rw_suite_get_n_items (self->suite), self->models->len,
                          gtk_spin_button_get_value_as_int (self->repeat_spin),
                          rw_eval_runner_get_n_done (self->runner),
                          rw_eval_runner_get_estimate (self->runner));
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root)
                                                                            : NULL,
                                                       rw_eval_runner_is_resumed (self->runner)
                                                         ? _("Resume the Evaluation?")
                                                         : _("Start the Evaluation?"),
                                                       body));
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "start",
                                    rw_eval_runner_is_resumed (self->runner) ? _("_Resume")
                                                                             : _("_Start"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "start", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "start");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect (dialog, "response", G_CALLBACK (evaluate_page_on_start_response),
                    g_object_ref (self));
  gtk_window_present (GTK_WINDOW (dialog));
}

void
_rw_evaluate_page_start_clicked (RwEvaluatePage *self)
{
  _rw_evaluate_page_ask_start (self, NULL);
}

static void
evaluate_page_resume_clicked (RwEvaluatePage *self)
{
  if (self->runner != NULL)
    _rw_evaluate_page_ask_start (self, rw_eval_runner_get_run_id (self->runner));
}

static void
evaluate_page_report_clicked (RwEvaluatePage *self)
{
  g_autoptr(GError) error = NULL;

  if (self->runner != NULL &&
      rw_eval_report_page_show_run (self->report_page, rw_eval_runner_get_run_id (self->runner),
                                    &error))
    gtk_stack_set_visible_child_name (self->stack, "report");
  else if (error != NULL)
    rw_window_toast_for (GTK_WIDGET (self), error->message);
}

static void
evaluate_page_show_run (RwEvaluatePage *self)
{
  gtk_stack_set_visible_child_name (self->stack, "run");
}

static void
evaluate_page_back_clicked (RwEvaluatePage *self)
{
  _rw_evaluate_page_list_resumable (self);
  gtk_stack_set_visible_child_name (self->stack, "setup");
}

/* ---------------------------------------------------------------------------- the page */

static void
rw_evaluate_page_dispose (GObject *object)
{
  RwEvaluatePage *self = RW_EVALUATE_PAGE (object);

  rw_evaluate_page_cancel (self);
  if (self->runner != NULL)
    g_signal_handlers_disconnect_by_data (self->runner, self);
  G_OBJECT_CLASS (rw_evaluate_page_parent_class)->dispose (object);
}

static void
rw_evaluate_page_finalize (GObject *object)
{
  RwEvaluatePage *self = RW_EVALUATE_PAGE (object);

  g_clear_object (&self->catalog);
  g_clear_object (&self->store);
  g_clear_object (&self->settings);
  g_clear_object (&self->suite);
  g_clear_object (&self->runner);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->suite_names);
  for (guint k = 0; k < RW_EVALUATE_N_CHOICES; k++)
    g_clear_object (&self->choices[k].names);
  g_clear_pointer (&self->models, g_ptr_array_unref);
  g_ptr_array_unref (self->suite_paths);
  g_free (self->suite_path);
  g_free (self->status);
  G_OBJECT_CLASS (rw_evaluate_page_parent_class)->finalize (object);
}

static void
rw_evaluate_page_class_init (RwEvaluatePageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = rw_evaluate_page_dispose;
  object_class->finalize = rw_evaluate_page_finalize;

  /**
   * RwEvaluatePage::progress:
   *
   * An answer of the running evaluation was stored.
   */
  signals[PROGRESS] = g_signal_new ("progress", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                    NULL, NULL, NULL, G_TYPE_NONE, 0);

  /**
   * RwEvaluatePage::finished:
   * @status: how the run ended: "done", "cancelled", "stopped" (the budget) or "failed"
   */
  signals[FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                    NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

GtkWidget *
_rw_evaluate_page_scrolled (GtkWidget *child)
{
  GtkWidget *scroll = gtk_scrolled_window_new ();
  GtkWidget *clamp = adw_clamp_new ();

  gtk_widget_set_margin_top (child, 18);
  gtk_widget_set_margin_bottom (child, 18);
  gtk_widget_set_margin_start (child, 12);
  gtk_widget_set_margin_end (child, 12);
  adw_clamp_set_maximum_size (ADW_CLAMP (clamp), 1100);
  adw_clamp_set_child (ADW_CLAMP (clamp), child);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroll), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroll), clamp);
  return scroll;
}

static void
evaluate_page_build_run (RwEvaluatePage *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  /* The buttons go on two lines where the window is too narrow for one. */
  GtkWidget *buttons = gtk_flow_box_new ();
  GtkWidget *back = gtk_button_new_with_mnemonic (_("_New Evaluation"));

  self->progress = GTK_PROGRESS_BAR (gtk_progress_bar_new ());
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->progress));
  self->progress_label = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_xalign (self->progress_label, 0);
  gtk_label_set_wrap (self->progress_label, TRUE);
  gtk_widget_add_css_class (GTK_WIDGET (self->progress_label), "numeric");
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->progress_label));

  self->cancel_button = GTK_BUTTON (gtk_button_new_with_mnemonic (_("_Cancel")));
  gtk_widget_add_css_class (GTK_WIDGET (self->cancel_button), "destructive-action");
  g_signal_connect_swapped (self->cancel_button, "clicked", G_CALLBACK (rw_evaluate_page_cancel),
                            self);
  gtk_flow_box_append (GTK_FLOW_BOX (buttons), GTK_WIDGET (self->cancel_button));
  self->resume_button = GTK_BUTTON (gtk_button_new_with_mnemonic (_("_Resume")));
  gtk_widget_add_css_class (GTK_WIDGET (self->resume_button), "suggested-action");
  g_signal_connect_swapped (self->resume_button, "clicked",
                            G_CALLBACK (evaluate_page_resume_clicked), self);
  gtk_flow_box_append (GTK_FLOW_BOX (buttons), GTK_WIDGET (self->resume_button));
  self->report_button = GTK_BUTTON (gtk_button_new_with_mnemonic (_("_Report")));
  g_signal_connect_swapped (self->report_button, "clicked",
                            G_CALLBACK (evaluate_page_report_clicked), self);
  gtk_flow_box_append (GTK_FLOW_BOX (buttons), GTK_WIDGET (self->report_button));
  g_signal_connect_swapped (back, "clicked", G_CALLBACK (evaluate_page_back_clicked), self);
  gtk_flow_box_append (GTK_FLOW_BOX (buttons), back);
  gtk_flow_box_set_selection_mode (GTK_FLOW_BOX (buttons), GTK_SELECTION_NONE);
  gtk_flow_box_set_column_spacing (GTK_FLOW_BOX (buttons), 8);
  gtk_flow_box_set_row_spacing (GTK_FLOW_BOX (buttons), 8);
  gtk_flow_box_set_max_children_per_line (GTK_FLOW_BOX (buttons), 4);
  gtk_widget_set_halign (buttons, GTK_ALIGN_START);
  gtk_box_append (GTK_BOX (box), buttons);

  g_object_set_data (G_OBJECT (self), "run-box", box);
  gtk_stack_add_named (self->stack, _rw_evaluate_page_scrolled (box), "run");
}

static void
rw_evaluate_page_init (RwEvaluatePage *self)
{
  self->settings = g_settings_new (APP_ID);
  self->suite_paths = g_ptr_array_new_with_free_func (g_free);
  gtk_orientable_set_orientation (GTK_ORIENTABLE (self), GTK_ORIENTATION_VERTICAL);
  self->stack = GTK_STACK (gtk_stack_new ());
  gtk_widget_set_vexpand (GTK_WIDGET (self->stack), TRUE);
  _rw_evaluate_page_build_setup (self);
  evaluate_page_build_run (self);
  gtk_box_append (GTK_BOX (self), GTK_WIDGET (self->stack));
  evaluate_page_sync_buttons (self);
  g_signal_connect (self, "map", G_CALLBACK (_rw_evaluate_page_list_resumable), NULL);
}

void
rw_evaluate_page_set_engine (RwEvaluatePage *self,
                             RwCatalog      *catalog,
                             RwStore        *store)
{
  g_autoptr(GPtrArray) bundled = _rw_evaluate_page_bundled_suites ();
  GtkWidget *report_box;

  g_set_object (&self->catalog, catalog);
  g_set_object (&self->store, store);
  _rw_evaluate_page_fill_models (self);
  g_signal_connect_object (rw_catalog_get_models (catalog), "items-changed",
                           G_CALLBACK (_rw_evaluate_page_fill_models), self, G_CONNECT_SWAPPED);
  g_ptr_array_set_size (self->suite_paths, 0);
  for (guint i = 0; i < bundled->len; i++)
    {
      g_autofree char *base = g_path_get_basename (bundled->pdata[i]);
      g_ptr_array_add (self->suite_paths, g_strdup (bundled->pdata[i]));
      gtk_string_list_append (self->suite_names, base);
    }
  if (store != NULL && self->matrix == NULL)
    {
      self->matrix = rw_eval_matrix_new (store);
      gtk_box_append (GTK_BOX (g_object_get_data (G_OBJECT (self), "run-box")),
                      GTK_WIDGET (self->matrix));
    }
  if (store != NULL && self->report_page == NULL)
    {
      GtkWidget *back = gtk_button_new_with_mnemonic (_("_Back to the Run"));

      self->report_page = rw_eval_report_page_new (store);
      report_box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
      gtk_widget_set_halign (back, GTK_ALIGN_START);
      g_signal_connect_swapped (back, "clicked", G_CALLBACK (evaluate_page_show_run), self);
      gtk_box_append (GTK_BOX (report_box), back);
      gtk_box_append (GTK_BOX (report_box), GTK_WIDGET (self->report_page));
      gtk_stack_add_named (self->stack, _rw_evaluate_page_scrolled (report_box), "report");
    }
}
