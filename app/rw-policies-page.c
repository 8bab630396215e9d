/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <inttypes.h>
#include <math.h>

#include "rw-policies-page-private.h"
#include "rw-table.h"
#include "rw-thread-priority.h"
#include "rw-window.h"

/**
 * RwPoliciesPage:
 *
 * The Policies view: a routing policy learned from the stored evidence (grades, votes, judges,
 * imports) with a cost weight or a budget per 1,000 requests, each task's cost-quality frontier
 * with the model chosen on it, the held-out evaluation against every single model, random, the
 * oracle and the zero router (the best mix of single models at the same cost or less), as a
 * table and a curve; the policies kept, one of them active (the one routewise/auto routes by),
 * each exported to a file in every format.
 *
 * Learning runs off the main loop on the evidence read once; moving the weight learns again
 * once the hand rests, with exactly what `routewise-cli policy learn` runs.
 */

#define POLICIES_PAGE_RELEARN_MS 250


Evidence *
_rw_policies_evidence_ref (Evidence *e)
{
  g_atomic_ref_count_inc (&e->ref_count);
  return e;
}

void
_rw_policies_evidence_unref (Evidence *e)
{
  if (e == NULL || !g_atomic_ref_count_dec (&e->ref_count))
    return;
  g_clear_pointer (&e->outcomes, g_ptr_array_unref);
  g_clear_pointer (&e->comparisons, rw_comparisons_free);
  g_free (e->stamp);
  g_free (e);
}

G_DEFINE_FINAL_TYPE (RwPoliciesPage, rw_policies_page, GTK_TYPE_BOX)

guint _rw_policies_page_signals[_RW_POLICIES_PAGE_N_SIGNALS];

static void policies_page_learn (RwPoliciesPage *self);


/* The work the page's own spinner stands for (an evaluation has its own). */
static gboolean
policies_page_working (RwPoliciesPage *self)
{
  return self->learning || self->loading || self->importing || self->keeping ||
         self->exporting > 0;
}

void
_rw_policies_page_sync_busy (RwPoliciesPage *self)
{
  gtk_spinner_set_spinning (self->spinner, policies_page_working (self));
  gtk_spinner_set_spinning (self->evaluate_spinner, self->evaluating);
  gtk_widget_set_sensitive (GTK_WIDGET (self->evaluate_button),
                            self->learned != NULL && !self->evaluating);
  gtk_widget_set_visible (GTK_WIDGET (self->cancel_evaluation_button), self->evaluating);
  gtk_widget_set_visible (GTK_WIDGET (self->cancel_import_button), self->importing);
}

/* ------------------------------------------------------------------------------ the frontier */

static JsonObject *
policies_page_task (RwPoliciesPage *self,
                    const char     *name)
{
  JsonObject *learned = self->learned
    ? rw_json_object_get_object (json_node_get_object (self->learned), "learned") : NULL;
  JsonObject *tasks = learned ? rw_json_object_get_object (learned, "tasks") : NULL;

  return tasks && name ? rw_json_object_get_object (tasks, name) : NULL;
}

/* The chosen task's models as points (cost per 1,000 requests, quality with its interval), the
 * frontier the cost weight moves along, and the model the policy chose ringed. */
static void
policies_page_show_frontier (RwPoliciesPage *self)
{
  RwChart *chart = rw_chart_view_get_chart (self->frontier);
  guint i = gtk_drop_down_get_selected (self->task_dropdown);
  const char *name = i < g_list_model_get_n_items (G_LIST_MODEL (self->tasks))
                       ? gtk_string_list_get_string (self->tasks, i) : NULL;
  JsonObject *task = policies_page_task (self, name);
  JsonArray *models = task ? rw_json_object_get_array (task, "models") : NULL;
  JsonArray *frontier = task ? rw_json_object_get_array (task, "frontier") : NULL;
  JsonObject *routes = self->learned
    ? rw_json_object_get_object (json_node_get_object (self->learned), "tasks") : NULL;
  JsonArray *route = routes && name ? rw_json_object_get_array (routes, name) : NULL;
  const char *chosen = route && json_array_get_length (route) > 0
                         ? json_array_get_string_element (route, 0) : NULL;
  guint series, line;

  rw_chart_clear (chart);
  if (models == NULL)
    return;
  series = rw_chart_add_series (chart, _("Models"));
  line = rw_chart_add_series (chart, _("Frontier"));
  rw_chart_set_series_joined (chart, line, TRUE);
  for (guint m = 0; m < json_array_get_length (models); m++)
    {
      JsonObject *mo = json_array_get_object_element (models, m);
      const char *model = rw_json_object_get_string (mo, "model", "");

      rw_chart_add_interval (chart, series, 1000 * rw_json_object_get_double (mo, "cost_usd", 0),
                             100 * rw_json_object_get_double (mo, "quality", 0),
                             100 * rw_json_object_get_double (mo, "ci_low", 0),
                             100 * rw_json_object_get_double (mo, "ci_high", 0), model);
      if (g_strcmp0 (model, chosen) == 0)
        rw_chart_set_marked (chart, series, m);
    }
  for (guint f = 0; frontier != NULL && f < json_array_get_length (frontier); f++)
    {
      JsonObject *fo = json_array_get_object_element (frontier, f);
      g_autofree char *label = g_strdup_printf (_("%s from weight %.3g"),
                                                rw_json_object_get_string (fo, "model", ""),
                                                rw_json_object_get_double (fo, "cost_weight", 0));
      rw_chart_add_point (chart, line, 1000 * rw_json_object_get_double (fo, "cost_usd", 0),
                          100 * rw_json_object_get_double (fo, "quality", 0), label);
    }
  rw_chart_view_refresh_table (self->frontier);
}

static int
policies_page_compare_names (gconstpointer a,
                             gconstpointer b)
{
  return g_strcmp0 (*(char * const *) a, *(char * const *) b);
}

static void
policies_page_fill_tasks (RwPoliciesPage *self)
{
  JsonObject *learned = rw_json_object_get_object (json_node_get_object (self->learned),
                                                   "learned");
  JsonObject *tasks = rw_json_object_get_object (learned, "tasks");
  g_autoptr(GList) names = tasks ? json_object_get_members (tasks) : NULL;
  guint selected = gtk_drop_down_get_selected (self->task_dropdown);
  g_autofree char *previous = selected < g_list_model_get_n_items (G_LIST_MODEL (self->tasks))
    ? g_strdup (gtk_string_list_get_string (self->tasks, selected)) : NULL;
  g_autoptr(GPtrArray) sorted = g_ptr_array_new ();
  guint keep = 0;

  for (GList *l = names; l != NULL; l = l->next)
    g_ptr_array_add (sorted, l->data);
  g_ptr_array_sort (sorted, policies_page_compare_names);
  g_ptr_array_add (sorted, NULL);
  /* The same list again is left alone, so that the choice stays. */
  if (g_list_model_get_n_items (G_LIST_MODEL (self->tasks)) == sorted->len - 1)
    {
      gboolean same = TRUE;
      for (guint i = 0; same && i + 1 < sorted->len; i++)
        same = g_strcmp0 (gtk_string_list_get_string (self->tasks, i), sorted->pdata[i]) == 0;
      if (same)
        return;
    }
  gtk_string_list_splice (self->tasks, 0, g_list_model_get_n_items (G_LIST_MODEL (self->tasks)),
                          (const char * const *) sorted->pdata);
  for (guint i = 0; i + 1 < sorted->len; i++)
    if (g_strcmp0 (sorted->pdata[i], previous) == 0)
      keep = i;
  gtk_drop_down_set_selected (self->task_dropdown, keep);
}

static void
policies_page_show_learned (RwPoliciesPage *self)
{
  JsonObject *learned = rw_json_object_get_object (json_node_get_object (self->learned),
                                                   "learned");
  JsonObject *d = rw_json_object_get_object (learned, "data");
  JsonArray *left_out = rw_json_object_get_array (learned, "excluded_unpriced");
  g_autofree char *text = NULL;

  text = g_strdup_printf (_("Learned from %" PRId64 " graded answers to %" PRId64 " items and "
                            "%" PRId64 " comparisons: cost weight %.3g, expected $%.4f per 1,000 "
                            "requests."),
                          rw_json_object_get_int (d, "graded_answers", 0),
                          rw_json_object_get_int (d, "items", 0),
                          rw_json_object_get_int (d, "comparisons", 0),
                          rw_json_object_get_double (learned, "cost_weight", 0),
                          rw_json_object_get_double (learned, "expected_cost_per_1k", 0));
  if (left_out != NULL && json_array_get_length (left_out) > 0)
    {
      /* A model without a price is never counted as free: it is left out, and said so. */
      g_autoptr(GString) names = g_string_new (NULL);
      char *more;

      for (guint i = 0; i < json_array_get_length (left_out); i++)
        g_string_append_printf (names, "%s%s", i ? ", " : "",
                                json_array_get_string_element (left_out, i));
      more = g_strdup_printf (_("%s Left out for want of a price: %s."), text, names->str);
      g_free (text);
      text = more;
    }
  if (!isnan (rw_json_object_get_double (learned, "expected_quality", NAN)))
    {
      g_autofree char *quality = g_strdup_printf (
        _("Within the budget, the prompts learned from score %.1f%% on average, each routed by "
          "a router that had not learned it."),
        100 * rw_json_object_get_double (learned, "expected_quality", 0));
      char *more = g_strconcat (text, " ", quality, NULL);

      g_free (text);
      text = more;
    }
  gtk_label_set_text (self->summary, text);
  policies_page_fill_tasks (self);
  policies_page_show_frontier (self);
}

/* ---------------------------------------------------------------------------- learning */

typedef struct
{
  Evidence *evidence;
  RwLearnerOptions options;
} LearnJob;

static void
learn_job_free (LearnJob *job)
{
  _rw_policies_evidence_unref (job->evidence);
  g_clear_object (&job->options.cancellable);
  g_free (job);
}

static void
policies_page_learn_thread (GTask        *task,
                            gpointer      source,
                            gpointer      data,
                            GCancellable *cancellable)
{
  LearnJob *job = data;
  GError *error = NULL;
  JsonNode *policy;

  rw_thread_lower_priority ();
  policy = rw_learner_learn (job->evidence->outcomes, job->evidence->comparisons,
                                       &job->options, &error);

  if (policy == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, policy, (GDestroyNotify) json_node_unref);
}

static void
policies_page_learned_cb (GObject      *object,
                          GAsyncResult *res,
                          gpointer      user_data)
{
  RwPoliciesPage *self = RW_POLICIES_PAGE (object);
  g_autoptr(GError) error = NULL;
  JsonNode *policy = g_task_propagate_pointer (G_TASK (res), &error);

  self->learning = FALSE;
  if (policy == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        gtk_label_set_text (self->summary, error->message);
    }
  else
    {
      g_clear_pointer (&self->learned, json_node_unref);
      self->learned = policy;
      /* An evaluation was of the policy before: it is no longer shown as this one's. */
      g_clear_pointer (&self->evaluation, json_node_unref);
      rw_table_clear (self->evaluation_table);
      gtk_widget_set_visible (GTK_WIDGET (self->curve), FALSE);
      policies_page_show_learned (self);
    }
  if (self->again)
    {
      self->again = FALSE;
      policies_page_learn (self);
    }
  _rw_policies_page_sync_busy (self);
}

static void
policies_page_learn (RwPoliciesPage *self)
{
  g_autoptr(GTask) task = NULL;
  LearnJob *job;

  if (self->evidence == NULL)
    return;
  if (self->learning)
    {
      /* The weight moved on: what is being learned is stopped, and learned again. */
      self->again = TRUE;
      g_cancellable_cancel (self->learn_cancellable);
      return;
    }
  g_clear_object (&self->learn_cancellable);
  self->learn_cancellable = g_cancellable_new ();
  job = g_new0 (LearnJob, 1);
  job->evidence = _rw_policies_evidence_ref (self->evidence);
  job->options.cost_weight = gtk_range_get_value (GTK_RANGE (self->weight_scale));
  job->options.budget_per_1k = gtk_spin_button_get_value (self->budget_spin);
  job->options.cancellable = g_object_ref (self->learn_cancellable);
  /* The window says which models it left out rather than refuse to learn. */
  job->options.allow_unpriced = TRUE;
  self->learning = TRUE;
  task = g_task_new (self, self->cancellable, policies_page_learned_cb, NULL);
  g_task_set_task_data (task, job, (GDestroyNotify) learn_job_free);
  g_task_run_in_thread (task, policies_page_learn_thread);
  _rw_policies_page_sync_busy (self);
}

static gboolean
policies_page_relearn_now (gpointer data)
{
  RwPoliciesPage *self = data;

  self->relearn_source = 0;
  policies_page_learn (self);
  return G_SOURCE_REMOVE;
}

static void
policies_page_options_changed (RwPoliciesPage *self)
{
  g_clear_handle_id (&self->relearn_source, g_source_remove);
  self->relearn_source = g_timeout_add (POLICIES_PAGE_RELEARN_MS, policies_page_relearn_now,
                                        self);
}

static void
policies_page_load_thread (GTask        *task,
                           gpointer      source,
                           gpointer      data,
                           GCancellable *cancellable)
{
  RwStore *store = data;
  Evidence *e = g_new0 (Evidence, 1);
  GError *error = NULL;

  rw_thread_lower_priority ();
  g_atomic_ref_count_init (&e->ref_count);
  e->comparisons = rw_comparisons_new ();
  /* Taken before the evidence is read: a row added meanwhile makes the next look read again. */
  e->stamp = rw_store_dup_evidence_stamp (store, NULL);
  if ((e->outcomes = rw_outcomes_load (store, &error)) == NULL ||
      !rw_comparisons_load_store (e->comparisons, store, &error))
    {
      _rw_policies_evidence_unref (e);
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, e, (GDestroyNotify) _rw_policies_evidence_unref);
}

static void
policies_page_loaded_cb (GObject      *object,
                         GAsyncResult *res,
                         gpointer      user_data)
{
  RwPoliciesPage *self = RW_POLICIES_PAGE (object);
  g_autoptr(GError) error = NULL;
  Evidence *e = g_task_propagate_pointer (G_TASK (res), &error);

  self->loading = FALSE;
  if (e == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          adw_status_page_set_description (self->empty_status, error->message);
          gtk_stack_set_visible_child_name (self->stack, "empty");
        }
      _rw_policies_page_sync_busy (self);
      return;
    }
  _rw_policies_evidence_unref (self->evidence);
  self->evidence = e;
  g_free (self->evidence_stamp);
  self->evidence_stamp = g_strdup (e->stamp);
  if (e->outcomes->len == 0 && rw_comparisons_get_n (e->comparisons) == 0)
    {
      gtk_stack_set_visible_child_name (self->stack, "empty");
      _rw_policies_page_sync_busy (self);
      return;
    }
  gtk_stack_set_visible_child_name (self->stack, "policy");
  policies_page_learn (self);
}

/* ---------------------------------------------------------------------------- the page */

/**
 * rw_policies_page_reload:
 *
 * Reads the stored evidence again, off the main loop, and learns from it.
 */
void
rw_policies_page_reload (RwPoliciesPage *self)
{
  g_autoptr(GTask) task = NULL;

  if (self->store == NULL || self->loading)
    return;
  rw_store_flush (self->store, NULL);
  _rw_policies_page_list_kept (self);
  /* Shown again with the same evidence: what was learned from it stands. */
  if (self->evidence != NULL && self->evidence_stamp != NULL)
    {
      g_autofree char *stamp = rw_store_dup_evidence_stamp (self->store, NULL);

      if (g_strcmp0 (stamp, self->evidence_stamp) == 0)
        return;
    }
  self->loading = TRUE;
  task = g_task_new (self, self->cancellable, policies_page_loaded_cb, NULL);
  g_task_set_task_data (task, g_object_ref (self->store), g_object_unref);
  g_task_run_in_thread (task, policies_page_load_thread);
  _rw_policies_page_sync_busy (self);
}

void
rw_policies_page_set_cost_weight (RwPoliciesPage *self,
                                  double          weight)
{
  gtk_range_set_value (GTK_RANGE (self->weight_scale), weight);
}

void
rw_policies_page_set_budget (RwPoliciesPage *self,
                             double          usd_per_1k)
{
  gtk_spin_button_set_value (self->budget_spin, usd_per_1k);
}

/**
 * rw_policies_page_is_busy:
 *
 * Returns: whether evidence is read, a policy learned or evaluated, or a learning is due
 */
gboolean
rw_policies_page_is_busy (RwPoliciesPage *self)
{
  return policies_page_working (self) || self->evaluating || self->relearn_source != 0;
}

JsonNode *
rw_policies_page_get_learned (RwPoliciesPage *self)
{
  return self->learned;
}

JsonNode *
rw_policies_page_get_evaluation (RwPoliciesPage *self)
{
  return self->evaluation;
}

static void
rw_policies_page_dispose (GObject *object)
{
  RwPoliciesPage *self = RW_POLICIES_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_cancellable_cancel (self->learn_cancellable);
  rw_policies_page_cancel_evaluation (self);
  rw_policies_page_cancel_import (self);
  g_clear_handle_id (&self->import_progress_source, g_source_remove);
  g_clear_handle_id (&self->relearn_source, g_source_remove);
  G_OBJECT_CLASS (rw_policies_page_parent_class)->dispose (object);
}

static void
rw_policies_page_finalize (GObject *object)
{
  RwPoliciesPage *self = RW_POLICIES_PAGE (object);

  g_clear_object (&self->catalog);
  g_clear_object (&self->store);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->evaluation_cancellable);
  g_clear_object (&self->learn_cancellable);
  g_clear_object (&self->import_cancellable);
  g_clear_object (&self->tasks);
  _rw_policies_evidence_unref (self->evidence);
  g_clear_pointer (&self->learned, json_node_unref);
  g_clear_pointer (&self->evaluation, json_node_unref);
  g_clear_pointer (&self->evidence_stamp, g_free);
  G_OBJECT_CLASS (rw_policies_page_parent_class)->finalize (object);
}

static void
rw_policies_page_class_init (RwPoliciesPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = rw_policies_page_dispose;
  object_class->finalize = rw_policies_page_finalize;

  /**
   * RwPoliciesPage::active-policy-changed:
   *
   * Another kept policy, or none, is the one routewise/auto routes by.
   */
  _rw_policies_page_signals[_RW_POLICIES_PAGE_ACTIVE_POLICY_CHANGED] =
    g_signal_new ("active-policy-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);

  /**
   * RwPoliciesPage::evaluated:
   *
   * The held-out evaluation of the policy learned last is ready.
   */
  _rw_policies_page_signals[_RW_POLICIES_PAGE_EVALUATED] =
    g_signal_new ("evaluated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static GtkWidget *
policies_page_group (const char *title,
                     const char *description)
{
  GtkWidget *group = adw_preferences_group_new ();

  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), title);
  if (description != NULL)
    adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (group), description);
  return group;
}

/* A button whose label takes two lines where one would make a narrow window wider (a long
 * translation). */
static GtkWidget *
policies_page_wrapping_button (const char *mnemonic)
{
  GtkWidget *label = gtk_label_new_with_mnemonic (mnemonic);
  GtkWidget *button = gtk_button_new ();

  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_justify (GTK_LABEL (label), GTK_JUSTIFY_CENTER);
  gtk_button_set_child (GTK_BUTTON (button), label);
  gtk_label_set_mnemonic_widget (GTK_LABEL (label), button);
  return button;
}

static void
rw_policies_page_init (RwPoliciesPage *self)
{
  GtkWidget *scroll = gtk_scrolled_window_new ();
  GtkWidget *clamp = adw_clamp_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 18);
  GtkWidget *learn = policies_page_group (_("Learn a Policy"),
    _("From every stored grade, vote, judge verdict and import: for each task, the model that "
      "gives the most quality for its cost."));
  GtkWidget *evaluate = policies_page_group (_("Held-out Evaluation"),
    _("Each fifth of the items routed by a policy learned on the other four fifths."));
  GtkWidget *keep = policies_page_group (_("Keep"), NULL);
  GtkWidget *kept = policies_page_group (_("Kept Policies"),
    _("The one checked routes routewise/auto, in the Endpoint view and for routewise-cli serve."));
  GtkWidget *row, *hbox, *b;

  self->cancellable = g_cancellable_new ();
  gtk_orientable_set_orientation (GTK_ORIENTABLE (self), GTK_ORIENTATION_VERTICAL);

  self->stack = GTK_STACK (gtk_stack_new ());
  gtk_widget_set_vexpand (GTK_WIDGET (self->stack), TRUE);
  self->empty_status = ADW_STATUS_PAGE (adw_status_page_new ());
  adw_status_page_set_icon_name (self->empty_status, "network-workgroup-symbolic");
  adw_status_page_set_title (self->empty_status, _("Nothing to Learn From Yet"));
  adw_status_page_set_description (self->empty_status,
    _("Vote in Compare, run an evaluation, or import graded answers: promptfoo's results or "
      "RouteLLM's grades."));
  {
    GtkWidget *import = policies_page_wrapping_button (_("_Import Graded Answers…"));
    gtk_widget_add_css_class (import, "pill");
    gtk_widget_set_halign (import, GTK_ALIGN_CENTER);
    g_signal_connect_swapped (import, "clicked", G_CALLBACK (_rw_policies_page_import_clicked), self);
    adw_status_page_set_child (self->empty_status, import);
  }
  gtk_stack_add_named (self->stack, GTK_WIDGET (self->empty_status), "empty");

  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroll), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  adw_clamp_set_maximum_size (ADW_CLAMP (clamp), 960);
  gtk_widget_set_margin_top (box, 18);
  gtk_widget_set_margin_bottom (box, 18);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);

  /* Learning: the weight, the budget, what was learned. */
  {
    GtkWidget *header = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
    GtkWidget *import = gtk_button_new_from_icon_name ("document-open-symbolic");

    self->cancel_import_button = GTK_BUTTON (gtk_button_new_with_mnemonic (_("Stop _Import")));
    g_signal_connect_swapped (self->cancel_import_button, "clicked",
                              G_CALLBACK (rw_policies_page_cancel_import), self);
    gtk_box_append (GTK_BOX (header), GTK_WIDGET (self->cancel_import_button));
    gtk_widget_set_tooltip_text (import, _("Import graded answers: promptfoo results or "
                                           "RouteLLM's grades"));
    gtk_widget_add_css_class (import, "flat");
    g_signal_connect_swapped (import, "clicked", G_CALLBACK (_rw_policies_page_import_clicked), self);
    gtk_box_append (GTK_BOX (header), import);
    adw_preferences_group_set_header_suffix (ADW_PREFERENCES_GROUP (learn), header);
  }
  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Cost weight"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row),
                               _("Quality points given up per US dollar per 1,000 requests"));
  self->weight_scale = GTK_SCALE (gtk_scale_new_with_range (GTK_ORIENTATION_HORIZONTAL, 0, 2,
                                                            0.01));
  gtk_scale_set_digits (self->weight_scale, 2);
  gtk_scale_set_draw_value (self->weight_scale, TRUE);
  gtk_scale_set_value_pos (self->weight_scale, GTK_POS_LEFT);
  gtk_widget_set_hexpand (GTK_WIDGET (self->weight_scale), TRUE);
  gtk_widget_set_size_request (GTK_WIDGET (self->weight_scale), 160, -1);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->weight_scale),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Cost weight"), -1);
  g_signal_connect_swapped (self->weight_scale, "value-changed",
                            G_CALLBACK (policies_page_options_changed), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), GTK_WIDGET (self->weight_scale));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (learn), row);

  row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Budget per 1,000 requests"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row),
                               _("In US dollars; above 0 it sets the weight: the one that "
                                 "routes best within it"));
  self->budget_spin = GTK_SPIN_BUTTON (gtk_spin_button_new_with_range (0, 1000, 0.05));
  gtk_spin_button_set_digits (self->budget_spin, 2);
  gtk_widget_set_valign (GTK_WIDGET (self->budget_spin), GTK_ALIGN_CENTER);
  g_signal_connect_swapped (self->budget_spin, "value-changed",
                            G_CALLBACK (policies_page_options_changed), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), GTK_WIDGET (self->budget_spin));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (learn), row);

  hbox = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  gtk_widget_set_margin_top (hbox, 8);
  gtk_widget_set_hexpand (hbox, TRUE);
  self->spinner = GTK_SPINNER (gtk_spinner_new ());
  gtk_box_append (GTK_BOX (hbox), GTK_WIDGET (self->spinner));
  self->summary = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->summary, TRUE);
  gtk_label_set_xalign (self->summary, 0);
  gtk_widget_set_hexpand (GTK_WIDGET (self->summary), TRUE);
  gtk_box_append (GTK_BOX (hbox), GTK_WIDGET (self->summary));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (learn), hbox);

  hbox = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  gtk_widget_set_margin_top (hbox, 8);
  row = gtk_label_new_with_mnemonic (_("_Task"));
  gtk_box_append (GTK_BOX (hbox), row);
  self->tasks = gtk_string_list_new (NULL);
  self->task_dropdown = GTK_DROP_DOWN (gtk_drop_down_new (G_LIST_MODEL (g_object_ref (self->tasks)),
                                                          NULL));
  gtk_drop_down_set_enable_search (self->task_dropdown, TRUE);
  gtk_label_set_mnemonic_widget (GTK_LABEL (row), GTK_WIDGET (self->task_dropdown));
  g_signal_connect_swapped (self->task_dropdown, "notify::selected",
                            G_CALLBACK (policies_page_show_frontier), self);
  gtk_box_append (GTK_BOX (hbox), GTK_WIDGET (self->task_dropdown));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (learn), hbox);

  self->frontier = rw_chart_view_new (RW_CHART_POINTS, _("The task's models: cost and quality"));
  rw_chart_set_axes (rw_chart_view_get_chart (self->frontier),
                     _("Cost per 1,000 requests (US$)"), _("Quality (%)"));
  rw_chart_set_format (rw_chart_view_get_chart (self->frontier), "%.3g", "%.1f");
  gtk_widget_set_margin_top (GTK_WIDGET (self->frontier), 8);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (learn), GTK_WIDGET (self->frontier));
  gtk_box_append (GTK_BOX (box), learn);

  /* The held-out evaluation. */
  hbox = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  self->evaluate_button = GTK_BUTTON (gtk_button_new_with_mnemonic (_("_Evaluate")));
  gtk_widget_add_css_class (GTK_WIDGET (self->evaluate_button), "pill");
  g_signal_connect_swapped (self->evaluate_button, "clicked",
                            G_CALLBACK (rw_policies_page_evaluate), self);
  gtk_box_append (GTK_BOX (hbox), GTK_WIDGET (self->evaluate_button));
  self->cancel_evaluation_button = GTK_BUTTON (gtk_button_new_with_mnemonic (_("_Cancel")));
  gtk_widget_add_css_class (GTK_WIDGET (self->cancel_evaluation_button), "pill");
  g_signal_connect_swapped (self->cancel_evaluation_button, "clicked",
                            G_CALLBACK (rw_policies_page_cancel_evaluation), self);
  gtk_box_append (GTK_BOX (hbox), GTK_WIDGET (self->cancel_evaluation_button));
  self->evaluate_spinner = GTK_SPINNER (gtk_spinner_new ());
  gtk_box_append (GTK_BOX (hbox), GTK_WIDGET (self->evaluate_spinner));
  adw_preferences_group_set_header_suffix (ADW_PREFERENCES_GROUP (evaluate), hbox);
  self->evaluation_table = rw_table_new (24);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (evaluate),
                             GTK_WIDGET (self->evaluation_table));
  self->curve = rw_chart_view_new (RW_CHART_POINTS,
                                   _("Quality against cost, held out"));
  rw_chart_set_axes (rw_chart_view_get_chart (self->curve), _("Cost per 1,000 requests (US$)"),
                     _("Quality (%)"));
  rw_chart_set_format (rw_chart_view_get_chart (self->curve), "%.3g", "%.1f");
  gtk_widget_set_margin_top (GTK_WIDGET (self->curve), 8);
  gtk_widget_set_visible (GTK_WIDGET (self->curve), FALSE);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (evaluate), GTK_WIDGET (self->curve));
  gtk_box_append (GTK_BOX (box), evaluate);

  /* Keeping it. */
  self->name_row = ADW_ENTRY_ROW (adw_entry_row_new ());
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->name_row), _("Name"));
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (keep), GTK_WIDGET (self->name_row));
  hbox = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 8);
  gtk_widget_set_margin_top (hbox, 8);
  gtk_widget_set_halign (hbox, GTK_ALIGN_END);
  b = _rw_policies_page_export_button (self, NULL);
  gtk_box_append (GTK_BOX (hbox), b);
  b = policies_page_wrapping_button (_("_Keep"));
  g_signal_connect (b, "clicked", G_CALLBACK (_rw_policies_page_keep_clicked), self);
  gtk_box_append (GTK_BOX (hbox), b);
  b = policies_page_wrapping_button (_("Keep and _Make Active"));
  gtk_widget_add_css_class (b, "suggested-action");
  g_object_set_data (G_OBJECT (b), "activate", GINT_TO_POINTER (1));
  g_signal_connect (b, "clicked", G_CALLBACK (_rw_policies_page_keep_clicked), self);
  gtk_box_append (GTK_BOX (hbox), b);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (keep), hbox);
  gtk_box_append (GTK_BOX (box), keep);

  self->kept = GTK_LIST_BOX (gtk_list_box_new ());
  gtk_list_box_set_selection_mode (self->kept, GTK_SELECTION_NONE);
  gtk_widget_add_css_class (GTK_WIDGET (self->kept), "boxed-list");
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (kept), GTK_WIDGET (self->kept));
  gtk_box_append (GTK_BOX (box), kept);

  adw_clamp_set_child (ADW_CLAMP (clamp), box);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroll), clamp);
  gtk_stack_add_named (self->stack, scroll, "policy");
  gtk_stack_set_visible_child_name (self->stack, "empty");
  gtk_box_append (GTK_BOX (self), GTK_WIDGET (self->stack));
  _rw_policies_page_sync_busy (self);
  g_signal_connect (self, "map", G_CALLBACK (rw_policies_page_reload), NULL);
}

void
rw_policies_page_set_engine (RwPoliciesPage *self,
                             RwCatalog      *catalog,
                             RwStore        *store)
{
  g_set_object (&self->catalog, catalog);
  g_set_object (&self->store, store);
}
