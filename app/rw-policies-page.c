/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <inttypes.h>
#include <math.h>

#include "rw-chart-view.h"
#include "rw-policies-page.h"
#include "rw-thread-priority.h"

/**
 * RwPoliciesPage:
 *
 * The Policies view: a routing policy learned from the stored evidence (grades, votes, judges,
 * imports) with a cost weight or a budget per 1,000 requests, each task's cost-quality frontier
 * with the model chosen on it, the held-out evaluation against every single model, random, the
 * oracle and the cost-matched mix, as a table and a curve; the policies kept, one of them
 * active (the one routewise/auto routes by), each exported to a file in every format.
 *
 * Learning runs off the main loop on the evidence read once; moving the weight learns again
 * once the hand rests, with exactly what `routewise-cli policy learn` runs.
 */

#define POLICIES_PAGE_RELEARN_MS 250
#define POLICIES_PAGE_FOLDS 5

static const struct
{
  const char *id;
  const char *name;
  const char *extension;
} export_formats[] = {
  { "routewise", N_("Routewise policy"), "json" },
  { "portkey", N_("Portkey gateway config"), "json" },
  { "litellm", N_("LiteLLM proxy config"), "yaml" },
  { "openrouter", N_("OpenRouter request presets"), "json" },
};

/* The evidence learning reads: loaded once, shared with the threads that learn from it. */
typedef struct
{
  gatomicrefcount ref_count;
  GPtrArray *outcomes;
  RwComparisons *comparisons;
} Evidence;

static Evidence *
evidence_ref (Evidence *e)
{
  g_atomic_ref_count_inc (&e->ref_count);
  return e;
}

static void
evidence_unref (Evidence *e)
{
  if (e == NULL || !g_atomic_ref_count_dec (&e->ref_count))
    return;
  g_clear_pointer (&e->outcomes, g_ptr_array_unref);
  g_clear_pointer (&e->comparisons, rw_comparisons_free);
  g_free (e);
}

struct _RwPoliciesPage
{
  GtkBox parent_instance;

  RwCatalog *catalog;
  RwStore *store;
  Evidence *evidence;
  JsonNode *learned;
  JsonNode *evaluation;
  GCancellable *cancellable;
  guint relearn_source;
  gboolean learning;
  gboolean evaluating;
  gboolean loading;
  gboolean again;           /* the weight moved while learning */

  GtkStack *stack;
  AdwStatusPage *empty_status;
  GtkScale *weight_scale;
  GtkSpinButton *budget_spin;
  GtkLabel *summary;
  GtkSpinner *spinner;
  GtkDropDown *task_dropdown;
  GtkStringList *tasks;
  RwChartView *frontier;
  GtkButton *evaluate_button;
  GtkSpinner *evaluate_spinner;
  GtkGrid *evaluation_table;
  RwChartView *curve;
  AdwEntryRow *name_row;
  GtkListBox *kept;
};

G_DEFINE_FINAL_TYPE (RwPoliciesPage, rw_policies_page, GTK_TYPE_BOX)

enum { ACTIVE_POLICY_CHANGED, EVALUATED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void policies_page_learn (RwPoliciesPage *self);

static void
policies_page_toast (RwPoliciesPage *self,
                     const char     *text)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay != NULL)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (text));
}

static void
policies_page_sync_busy (RwPoliciesPage *self)
{
  gtk_spinner_set_spinning (self->spinner, self->learning || self->loading);
  gtk_spinner_set_spinning (self->evaluate_spinner, self->evaluating);
  gtk_widget_set_sensitive (GTK_WIDGET (self->evaluate_button),
                            self->learned != NULL && !self->evaluating);
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
  g_autofree char *text = NULL;

  text = g_strdup_printf (_("Learned from %" PRId64 " graded answers to %" PRId64 " items and "
                            "%" PRId64 " comparisons: cost weight %.3g, expected $%.4f per 1,000 "
                            "requests."),
                          rw_json_object_get_int (d, "graded_answers", 0),
                          rw_json_object_get_int (d, "items", 0),
                          rw_json_object_get_int (d, "comparisons", 0),
                          rw_json_object_get_double (learned, "cost_weight", 0),
                          rw_json_object_get_double (learned, "expected_cost_per_1k", 0));
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
  evidence_unref (job->evidence);
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
      /* An evaluation was of the policy before. */
      g_clear_pointer (&self->evaluation, json_node_unref);
      policies_page_show_learned (self);
    }
  if (self->again)
    {
      self->again = FALSE;
      policies_page_learn (self);
    }
  policies_page_sync_busy (self);
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
      self->again = TRUE;
      return;
    }
  job = g_new0 (LearnJob, 1);
  job->evidence = evidence_ref (self->evidence);
  job->options.cost_weight = gtk_range_get_value (GTK_RANGE (self->weight_scale));
  job->options.budget_per_1k = gtk_spin_button_get_value (self->budget_spin);
  self->learning = TRUE;
  task = g_task_new (self, self->cancellable, policies_page_learned_cb, NULL);
  g_task_set_task_data (task, job, (GDestroyNotify) learn_job_free);
  g_task_run_in_thread (task, policies_page_learn_thread);
  policies_page_sync_busy (self);
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
  if ((e->outcomes = rw_outcomes_load (store, &error)) == NULL ||
      !rw_comparisons_load_store (e->comparisons, store, &error))
    {
      evidence_unref (e);
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, e, (GDestroyNotify) evidence_unref);
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
      policies_page_sync_busy (self);
      return;
    }
  evidence_unref (self->evidence);
  self->evidence = e;
  if (e->outcomes->len == 0 && rw_comparisons_get_n (e->comparisons) == 0)
    {
      gtk_stack_set_visible_child_name (self->stack, "empty");
      policies_page_sync_busy (self);
      return;
    }
  gtk_stack_set_visible_child_name (self->stack, "policy");
  policies_page_learn (self);
}

/* ---------------------------------------------------------------------------- evaluation */

typedef struct
{
  Evidence *evidence;
  JsonNode *policy;
} EvaluateJob;

static void
evaluate_job_free (EvaluateJob *job)
{
  evidence_unref (job->evidence);
  json_node_unref (job->policy);
  g_free (job);
}

static void
policies_page_evaluate_thread (GTask        *task,
                               gpointer      source,
                               gpointer      data,
                               GCancellable *cancellable)
{
  EvaluateJob *job = data;
  GError *error = NULL;
  JsonNode *e;

  rw_thread_lower_priority ();
  e = rw_offline_evaluate (job->evidence->outcomes, json_node_get_object (job->policy),
                                     POLICIES_PAGE_FOLDS, NULL, NULL, &error);

  if (e == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, e, (GDestroyNotify) json_node_unref);
}

static void
policies_page_table_cell (GtkGrid    *grid,
                          const char *text,
                          int         column,
                          int         row,
                          gboolean    numeric,
                          gboolean    strong)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), numeric ? 1 : 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_MIDDLE);
  gtk_label_set_selectable (GTK_LABEL (label), TRUE);
  if (numeric)
    gtk_widget_add_css_class (label, "numeric");
  if (strong)
    gtk_widget_add_css_class (label, "heading");
  gtk_widget_set_hexpand (label, column == 0);
  gtk_grid_attach (grid, label, column, row, 1, 1);
}

static void
policies_page_show_evaluation (RwPoliciesPage *self)
{
  JsonObject *e = json_node_get_object (self->evaluation);
  JsonObject *p = rw_json_object_get_object (e, "policy");
  JsonArray *base = rw_json_object_get_array (e, "baselines");
  JsonArray *curve = rw_json_object_get_array (e, "curve");
  RwChart *chart = rw_chart_view_get_chart (self->curve);
  GtkWidget *child;
  guint line, routers;
  int row = 1;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->evaluation_table))) != NULL)
    gtk_grid_remove (self->evaluation_table, child);
  policies_page_table_cell (self->evaluation_table, _("Router"), 0, 0, FALSE, TRUE);
  policies_page_table_cell (self->evaluation_table, _("Quality"), 1, 0, TRUE, TRUE);
  policies_page_table_cell (self->evaluation_table, _("Cost per 1,000 requests"), 2, 0, TRUE,
                            TRUE);

  rw_chart_clear (chart);
  line = rw_chart_add_series (chart, _("Routed at every cost weight"));
  rw_chart_set_series_joined (chart, line, TRUE);
  routers = rw_chart_add_series (chart, _("Routers"));
  for (guint i = 0; curve != NULL && i < json_array_get_length (curve); i++)
    {
      JsonObject *c = json_array_get_object_element (curve, i);
      rw_chart_add_point (chart, line, 1000 * rw_json_object_get_double (c, "cost_usd", 0),
                          100 * rw_json_object_get_double (c, "quality", 0), NULL);
    }

  for (guint i = 0; i <= (base ? json_array_get_length (base) : 0); i++)
    {
      JsonObject *r = i == 0 ? p : json_array_get_object_element (base, i - 1);
      const char *name = i == 0 ? _("This policy") : rw_json_object_get_string (r, "name", "");
      double q = rw_json_object_get_double (r, "quality", 0);
      double c = rw_json_object_get_double (r, "cost_usd", 0);
      g_autofree char *qt = g_strdup_printf ("%.1f%%", 100 * q);
      g_autofree char *ct = g_strdup_printf ("$%.4f", 1000 * c);

      if (g_strcmp0 (name, "random") == 0)
        name = _("Random");
      else if (g_strcmp0 (name, "oracle") == 0)
        name = _("Oracle (best model for each item)");
      else if (g_strcmp0 (name, "cost-matched mix") == 0)
        name = _("Mix of single models at the same cost");
      policies_page_table_cell (self->evaluation_table, name, 0, row, FALSE, i == 0);
      policies_page_table_cell (self->evaluation_table, qt, 1, row, TRUE, i == 0);
      policies_page_table_cell (self->evaluation_table, ct, 2, row, TRUE, i == 0);
      row++;
      rw_chart_add_point (chart, routers, 1000 * c, 100 * q, name);
    }
  rw_chart_set_marked (chart, routers, 0);
  rw_chart_view_refresh_table (self->curve);
  gtk_widget_set_visible (GTK_WIDGET (self->curve), TRUE);
}

static void
policies_page_evaluated_cb (GObject      *object,
                            GAsyncResult *res,
                            gpointer      user_data)
{
  RwPoliciesPage *self = RW_POLICIES_PAGE (object);
  g_autoptr(GError) error = NULL;
  JsonNode *e = g_task_propagate_pointer (G_TASK (res), &error);

  self->evaluating = FALSE;
  if (e == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        policies_page_toast (self, error->message);
    }
  else
    {
      g_clear_pointer (&self->evaluation, json_node_unref);
      self->evaluation = e;
      policies_page_show_evaluation (self);
      g_signal_emit (self, signals[EVALUATED], 0);
    }
  policies_page_sync_busy (self);
}

/**
 * rw_policies_page_evaluate:
 *
 * Evaluates the policy learned last on held-out data, 5-fold, off the main loop, as
 * `routewise-cli policy evaluate` does.
 */
void
rw_policies_page_evaluate (RwPoliciesPage *self)
{
  g_autoptr(GTask) task = NULL;
  EvaluateJob *job;

  if (self->learned == NULL || self->evidence == NULL || self->evaluating)
    return;
  job = g_new0 (EvaluateJob, 1);
  job->evidence = evidence_ref (self->evidence);
  job->policy = json_node_ref (self->learned);
  self->evaluating = TRUE;
  task = g_task_new (self, self->cancellable, policies_page_evaluated_cb, NULL);
  g_task_set_task_data (task, job, (GDestroyNotify) evaluate_job_free);
  g_task_run_in_thread (task, policies_page_evaluate_thread);
  policies_page_sync_busy (self);
}

/* ---------------------------------------------------------------------------- kept policies */

static void policies_page_list_kept (RwPoliciesPage *self);

static void
policies_page_activate_toggled (GtkCheckButton *check,
                                RwPoliciesPage *self)
{
  const char *id = g_object_get_data (G_OBJECT (check), "policy-id");

  if (!gtk_check_button_get_active (check))
    return;
  rw_store_activate_policy (self->store, id);
  rw_store_flush (self->store, NULL);
  g_signal_emit (self, signals[ACTIVE_POLICY_CHANGED], 0);
}

static void
policies_page_delete_clicked (GtkButton      *button,
                              RwPoliciesPage *self)
{
  rw_store_delete_policy (self->store, g_object_get_data (G_OBJECT (button), "policy-id"));
  rw_store_flush (self->store, NULL);
  policies_page_list_kept (self);
  g_signal_emit (self, signals[ACTIVE_POLICY_CHANGED], 0);
}

typedef struct
{
  RwPoliciesPage *self;
  char *policy_id;
  char *format;
} ExportRequest;

static void
policies_page_export_response (GtkNativeDialog *dialog,
                               int              response,
                               ExportRequest   *req)
{
  g_autoptr(GFile) file = NULL;
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;

  if (response == GTK_RESPONSE_ACCEPT &&
      (file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog))) != NULL &&
      (path = g_file_get_path (file)) != NULL)
    {
      if (rw_policies_page_export (req->self, req->policy_id, req->format, path, &error))
        {
          g_autofree char *base = g_path_get_basename (path);
          g_autofree char *text = g_strdup_printf (_("Exported as %s"), base);
          policies_page_toast (req->self, text);
        }
      else
        policies_page_toast (req->self, error->message);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
  g_object_unref (req->self);
  g_free (req->policy_id);
  g_free (req->format);
  g_free (req);
}

static void
policies_page_export_clicked (GtkButton      *button,
                              RwPoliciesPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  guint f = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (button), "format"));
  ExportRequest *req = g_new0 (ExportRequest, 1);
  GtkFileChooserNative *dialog;
  g_autofree char *name = NULL;
  GtkWidget *popover = gtk_widget_get_ancestor (GTK_WIDGET (button), GTK_TYPE_POPOVER);

  if (popover != NULL)
    gtk_popover_popdown (GTK_POPOVER (popover));
  req->self = g_object_ref (self);
  req->policy_id = g_strdup (g_object_get_data (G_OBJECT (button), "policy-id"));
  req->format = g_strdup (export_formats[f].id);
  dialog = gtk_file_chooser_native_new (_("Export Policy"),
                                        GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                        GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  name = g_strdup_printf ("policy-%s.%s", export_formats[f].id, export_formats[f].extension);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), name);
  g_signal_connect (dialog, "response", G_CALLBACK (policies_page_export_response), req);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* A menu button whose items export the policy @policy_id (%NULL: the one learned last). */
static GtkWidget *
policies_page_export_button (RwPoliciesPage *self,
                             const char     *policy_id)
{
  GtkWidget *button = gtk_menu_button_new ();
  GtkWidget *popover = gtk_popover_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);

  gtk_menu_button_set_icon_name (GTK_MENU_BUTTON (button), "document-send-symbolic");
  gtk_widget_set_tooltip_text (button, _("Export to a file"));
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  for (guint f = 0; f < G_N_ELEMENTS (export_formats); f++)
    {
      GtkWidget *item = gtk_button_new_with_label (_(export_formats[f].name));
      gtk_widget_add_css_class (item, "flat");
      gtk_label_set_xalign (GTK_LABEL (gtk_button_get_child (GTK_BUTTON (item))), 0);
      g_object_set_data (G_OBJECT (item), "format", GUINT_TO_POINTER (f));
      g_object_set_data_full (G_OBJECT (item), "policy-id", g_strdup (policy_id), g_free);
      g_signal_connect (item, "clicked", G_CALLBACK (policies_page_export_clicked), self);
      gtk_box_append (GTK_BOX (box), item);
    }
  gtk_popover_set_child (GTK_POPOVER (popover), box);
  gtk_menu_button_set_popover (GTK_MENU_BUTTON (button), popover);
  return button;
}

static void
policies_page_list_kept (RwPoliciesPage *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) kept = NULL;
  GtkCheckButton *group = NULL;
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->kept))) != NULL)
    gtk_list_box_remove (self->kept, child);
  if (self->store == NULL || (kept = rw_store_list_policies (self->store, &error)) == NULL)
    return;
  if (kept->len == 0)
    {
      GtkWidget *row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("No policy is kept yet"));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row),
                                   _("Keep the one learned above under a name"));
      gtk_list_box_append (self->kept, row);
      return;
    }
  for (guint i = 0; i < kept->len; i++)
    {
      RwStoredPolicy *p = kept->pdata[i];
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *check = gtk_check_button_new ();
      GtkWidget *remove = gtk_button_new_from_icon_name ("user-trash-symbolic");
      g_autoptr(GDateTime) t = g_date_time_new_from_unix_local (p->created_ms / 1000);
      g_autofree char *when = g_date_time_format (t, "%x %X");

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), p->name);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), when);
      if (group != NULL)
        gtk_check_button_set_group (GTK_CHECK_BUTTON (check), group);
      else
        group = GTK_CHECK_BUTTON (check);
      gtk_check_button_set_active (GTK_CHECK_BUTTON (check), p->active);
      gtk_widget_set_tooltip_text (check, _("Route routewise/auto by this policy"));
      g_object_set_data_full (G_OBJECT (check), "policy-id", g_strdup (p->id), g_free);
      g_signal_connect (check, "toggled", G_CALLBACK (policies_page_activate_toggled), self);
      adw_action_row_add_prefix (ADW_ACTION_ROW (row), check);
      adw_action_row_set_activatable_widget (ADW_ACTION_ROW (row), check);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), policies_page_export_button (self, p->id));
      gtk_widget_set_tooltip_text (remove, _("Remove this policy"));
      gtk_widget_set_valign (remove, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (remove, "flat");
      g_object_set_data_full (G_OBJECT (remove), "policy-id", g_strdup (p->id), g_free);
      g_signal_connect (remove, "clicked", G_CALLBACK (policies_page_delete_clicked), self);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), remove);
      gtk_list_box_append (self->kept, row);
    }
}

/**
 * rw_policies_page_keep:
 * @name: its name
 * @activate: whether routewise/auto routes by it from now on
 *
 * Keeps the policy learned last in the database.
 *
 * Returns: (transfer full) (nullable): its id
 */
char *
rw_policies_page_keep (RwPoliciesPage  *self,
                       const char      *name,
                       gboolean         activate,
                       GError         **error)
{
  g_autofree char *text = NULL;
  g_autofree char *id = NULL;
  g_autofree char *trimmed = g_strstrip (g_strdup (name ? name : ""));

  if (self->learned == NULL || self->store == NULL)
    {
      g_set_error_literal (error, RW_ERROR, RW_ERROR_CONFIG, _("No policy is learned yet"));
      return NULL;
    }
  if (*trimmed == '\0')
    {
      g_set_error_literal (error, RW_ERROR, RW_ERROR_CONFIG, _("Give the policy a name"));
      return NULL;
    }
  text = rw_json_to_string (self->learned, TRUE);
  id = rw_store_save_policy (self->store, trimmed, text, activate);
  if (!rw_store_flush (self->store, error))
    return NULL;
  policies_page_list_kept (self);
  if (activate)
    g_signal_emit (self, signals[ACTIVE_POLICY_CHANGED], 0);
  return g_steal_pointer (&id);
}

static void
policies_page_keep_clicked (GtkButton      *button,
                            RwPoliciesPage *self)
{
  gboolean activate = g_object_get_data (G_OBJECT (button), "activate") != NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = rw_policies_page_keep (self, gtk_editable_get_text (GTK_EDITABLE (self->name_row)),
                                               activate, &error);

  if (id == NULL)
    policies_page_toast (self, error->message);
  else
    policies_page_toast (self, activate ? _("Policy kept; routewise/auto routes by it")
                                        : _("Policy kept"));
}

/**
 * rw_policies_page_export:
 * @policy_id: (nullable): a kept policy; %NULL for the one learned last
 * @format: "routewise", "portkey", "litellm" or "openrouter"
 * @path: the file to write
 *
 * Returns: %TRUE when written
 */
gboolean
rw_policies_page_export (RwPoliciesPage  *self,
                         const char      *policy_id,
                         const char      *format,
                         const char      *path,
                         GError         **error)
{
  g_autoptr(JsonNode) policy = NULL;
  g_autofree char *text = NULL;

  if (policy_id != NULL)
    {
      g_autoptr(RwStoredPolicy) kept = rw_store_lookup_policy (self->store, policy_id, error);
      if (kept == NULL)
        {
          if (error != NULL && *error == NULL)
            g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, _("No kept policy is called %s"),
                         policy_id);
          return FALSE;
        }
      if ((policy = json_from_string (kept->body, error)) == NULL)
        return FALSE;
    }
  else if (self->learned != NULL)
    policy = json_node_ref (self->learned);
  else
    {
      g_set_error_literal (error, RW_ERROR, RW_ERROR_CONFIG, _("No policy is learned yet"));
      return FALSE;
    }
  if ((text = rw_exporter_export (json_node_get_object (policy), self->catalog, format,
                                  error)) == NULL)
    return FALSE;
  return g_file_set_contents (path, text, -1, error);
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
  policies_page_list_kept (self);
  self->loading = TRUE;
  task = g_task_new (self, self->cancellable, policies_page_loaded_cb, NULL);
  g_task_set_task_data (task, g_object_ref (self->store), g_object_unref);
  g_task_run_in_thread (task, policies_page_load_thread);
  policies_page_sync_busy (self);
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
  return self->loading || self->learning || self->evaluating || self->relearn_source != 0;
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
  g_clear_object (&self->tasks);
  evidence_unref (self->evidence);
  g_clear_pointer (&self->learned, json_node_unref);
  g_clear_pointer (&self->evaluation, json_node_unref);
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
  /**
   * RwPoliciesPage::evaluated:
   *
   * The held-out evaluation of the policy learned last is ready.
   */
  signals[EVALUATED] = g_signal_new ("evaluated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                     NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[ACTIVE_POLICY_CHANGED] = g_signal_new ("active-policy-changed",
                                                 G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                                 0, NULL, NULL, NULL, G_TYPE_NONE, 0);
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
    _("Vote in Compare, run an evaluation, or import graded answers (routewise-cli import)."));
  gtk_stack_add_named (self->stack, GTK_WIDGET (self->empty_status), "empty");

  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroll), GTK_POLICY_NEVER,
                                  GTK_POLICY_AUTOMATIC);
  adw_clamp_set_maximum_size (ADW_CLAMP (clamp), 960);
  gtk_widget_set_margin_top (box, 18);
  gtk_widget_set_margin_bottom (box, 18);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);

  /* Learning: the weight, the budget, what was learned. */
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
                               _("In US dollars; above 0 it sets the weight: the least that "
                                 "keeps within it"));
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
  self->evaluate_spinner = GTK_SPINNER (gtk_spinner_new ());
  gtk_box_append (GTK_BOX (hbox), GTK_WIDGET (self->evaluate_spinner));
  adw_preferences_group_set_header_suffix (ADW_PREFERENCES_GROUP (evaluate), hbox);
  self->evaluation_table = GTK_GRID (gtk_grid_new ());
  gtk_grid_set_column_spacing (self->evaluation_table, 24);
  gtk_grid_set_row_spacing (self->evaluation_table, 6);
  gtk_widget_add_css_class (GTK_WIDGET (self->evaluation_table), "card");
  gtk_widget_add_css_class (GTK_WIDGET (self->evaluation_table), "evaluation-table");
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
  b = policies_page_export_button (self, NULL);
  gtk_box_append (GTK_BOX (hbox), b);
  b = gtk_button_new_with_mnemonic (_("_Keep"));
  g_signal_connect (b, "clicked", G_CALLBACK (policies_page_keep_clicked), self);
  gtk_box_append (GTK_BOX (hbox), b);
  b = gtk_button_new_with_mnemonic (_("Keep and _Make Active"));
  gtk_widget_add_css_class (b, "suggested-action");
  g_object_set_data (G_OBJECT (b), "activate", GINT_TO_POINTER (1));
  g_signal_connect (b, "clicked", G_CALLBACK (policies_page_keep_clicked), self);
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
  policies_page_sync_busy (self);
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
