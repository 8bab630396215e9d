/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <inttypes.h>
#include <math.h>

#include "rw-policies-page-private.h"
#include "rw-table.h"
#include "rw-thread-priority.h"
#include "rw-window.h"

/* The Policies view's held-out evaluation of the policy it learned: run on a thread, shown as
 * the table of every router beside it. */

/* As `routewise-cli policy evaluate` does by default. */
#define POLICIES_PAGE_FOLDS 5

typedef struct
{
  Evidence *evidence;
  JsonNode *policy;
} EvaluateJob;

static void
evaluate_job_free (EvaluateJob *job)
{
  _rw_policies_evidence_unref (job->evidence);
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
  /* Cancelled, the computation stops at its next step too. */
  e = rw_offline_evaluate_cancellable (job->evidence->outcomes, json_node_get_object (job->policy),
                                       POLICIES_PAGE_FOLDS, NULL, NULL, cancellable, &error);

  if (e == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, e, (GDestroyNotify) json_node_unref);
}


static void
policies_page_show_evaluation (RwPoliciesPage *self)
{
  JsonObject *e = json_node_get_object (self->evaluation);
  JsonObject *p = rw_json_object_get_object (e, "policy");
  JsonArray *base = rw_json_object_get_array (e, "baselines");
  JsonArray *curve = rw_json_object_get_array (e, "curve");
  RwChart *chart = rw_chart_view_get_chart (self->curve);
  guint line, routers;
  int row = 1;

  rw_table_clear (self->evaluation_table);
  rw_table_set_cell (self->evaluation_table, _("Router"), 0, 0, FALSE, TRUE);
  rw_table_set_cell (self->evaluation_table, _("Quality"), 1, 0, TRUE, TRUE);
  rw_table_set_cell (self->evaluation_table, _("Cost per 1,000 requests"), 2, 0, TRUE,
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
      else if (g_strcmp0 (name, "zero router") == 0)
        name = _("Best mix of single models at the same cost or less");
      rw_table_set_cell (self->evaluation_table, name, 0, row, FALSE, i == 0);
      rw_table_set_cell (self->evaluation_table, qt, 1, row, TRUE, i == 0);
      rw_table_set_cell (self->evaluation_table, ct, 2, row, TRUE, i == 0);
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
    rw_window_toast_for (GTK_WIDGET (self),
                         g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED)
                           ? _("Evaluation cancelled") : error->message);
  else
    {
      g_clear_pointer (&self->evaluation, json_node_unref);
      self->evaluation = e;
      policies_page_show_evaluation (self);
      g_signal_emit (self, _rw_policies_page_signals[_RW_POLICIES_PAGE_EVALUATED], 0);
    }
  _rw_policies_page_sync_busy (self);
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
  job->evidence = _rw_policies_evidence_ref (self->evidence);
  job->policy = json_node_ref (self->learned);
  self->evaluating = TRUE;
  g_clear_object (&self->evaluation_cancellable);
  self->evaluation_cancellable = g_cancellable_new ();
  task = g_task_new (self, self->evaluation_cancellable, policies_page_evaluated_cb, NULL);
  /* Cancelled, the view hears it at once; the thread's result, when it comes, is dropped. */
  g_task_set_return_on_cancel (task, TRUE);
  g_task_set_task_data (task, job, (GDestroyNotify) evaluate_job_free);
  g_task_run_in_thread (task, policies_page_evaluate_thread);
  _rw_policies_page_sync_busy (self);
}

/**
 * rw_policies_page_cancel_evaluation:
 *
 * Stops waiting for the held-out evaluation; the table shows what it showed before.
 */
void
rw_policies_page_cancel_evaluation (RwPoliciesPage *self)
{
  if (self->evaluation_cancellable != NULL)
    g_cancellable_cancel (self->evaluation_cancellable);
}
