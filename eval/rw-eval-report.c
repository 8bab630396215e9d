/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rw-eval-tally-private.h"
#include "rw-json.h"

/* The report of an evaluation run read back from the store, and one run compared with another. */

static gboolean
report_read_grade (const RwStoredGrade *g,
                   gpointer             data)
{
  rw_eval_tally_add_grade (data, g->response_id, g->human, g->score, g->pass, g->created_ms,
                           g->id, g->weight, g->metric);
  return TRUE;
}

static gboolean
report_read_answer (const RwStoredResponse *r,
                    gpointer                data)
{
  rw_eval_tally_add_answer (data, r->id, r->item_id, r->model, r->sample, r->ok, r->task,
                            r->cost_usd, r->latency_ms, r->cached);
  return TRUE;
}

static gboolean
report_read_vote (const RwStoredVote *v,
                  gpointer            data)
{
  rw_eval_tally_add_vote (data, v->response_a, v->response_b, v->source, v->outcome);
  return TRUE;
}

/* The run's paired comparisons counted by the store, for when a vote names an answer of another
 * run (which no run of ours makes). */
static GPtrArray *
report_query_pairs (RwStore      *store,
                    RwEvalTally  *t,
                    const char   *run_id,
                    GError      **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) tallies = rw_store_list_run_vote_tallies (store, run_id, error);

  if (tallies == NULL)
    return NULL;
  for (guint i = 0; i < tallies->len; i++)
    {
      RwStoredVoteTally *v = tallies->pdata[i];
      RwEvalPair *p = g_new0 (RwEvalPair, 1);

      p->model_a = _rw_eval_tally_intern (t, v->model_a);
      p->model_b = _rw_eval_tally_intern (t, v->model_b);
      p->source = _rw_eval_tally_intern (t, v->source);
      p->wins = v->wins;
      p->losses = v->losses;
      p->ties = v->ties;
      g_ptr_array_add (out, p);
    }
  return g_steal_pointer (&out);
}

/**
 * rw_eval_report_build:
 * @store: the database
 * @run_id: an evaluation run
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the report as JSON
 */
JsonNode *
rw_eval_report_build (RwStore     *store,
                      const char  *run_id,
                      GError     **error)
{
  g_autoptr(RwStoredRun) run = NULL;
  g_autoptr(RwEvalTally) t = rw_eval_tally_new ();
  g_autoptr(JsonNode) params_node = NULL;
  g_autoptr(GError) local = NULL;
  JsonNode *run_params = NULL;
  JsonNode *report;

  if ((run = rw_store_lookup_run (store, run_id, "eval", &local)) == NULL)
    {
      if (local != NULL)
        g_propagate_error (error, g_steal_pointer (&local));
      else
        g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "there is no evaluation run %s", run_id);
      return NULL;
    }
  if (run->params != NULL &&
      (params_node = rw_json_parse (run->params, strlen (run->params), NULL)) != NULL)
    run_params = params_node;

  if (!rw_store_foreach_run_grade (store, run_id, report_read_grade, t, error) ||
      !rw_store_foreach_run_response (store, run_id, report_read_answer, t, error) ||
      !rw_store_foreach_run_vote (store, run_id, report_read_vote, t, error))
    return NULL;

  report = _rw_eval_tally_report (t, run_id, run->status, run_params, NULL);
  if (report == NULL)
    {
      g_autoptr(GPtrArray) pairs = report_query_pairs (store, t, run_id, error);

      if (pairs == NULL)
        return NULL;
      report = _rw_eval_tally_report (t, run_id, run->status, run_params, pairs);
    }
  return report;
}

/**
 * rw_eval_report_add_comparison:
 * @report: a report from rw_eval_report_build()
 * @earlier: the report of an earlier run
 *
 * Adds to @report, under "against", each model and task found in both runs with its pass rate
 * then and now, the change, and the costs.
 */
void
rw_eval_report_add_comparison (JsonNode *report,
                               JsonNode *earlier)
{
  JsonObject *root = json_node_get_object (report);
  JsonArray *now_rows = rw_json_object_get_array (root, "rows");
  JsonArray *then_rows = rw_json_object_get_array (json_node_get_object (earlier), "rows");
  JsonObject *against = json_object_new ();
  JsonArray *rows = json_array_new ();

  json_object_set_string_member (against, "run_id",
                                 rw_json_object_get_string (json_node_get_object (earlier), "run_id", NULL));
  for (guint i = 0; i < json_array_get_length (now_rows); i++)
    {
      JsonObject *now = json_array_get_object_element (now_rows, i);

      for (guint j = 0; j < json_array_get_length (then_rows); j++)
        {
          JsonObject *then = json_array_get_object_element (then_rows, j);
          JsonObject *row;

          if (!g_str_equal (rw_json_object_get_string (now, "model", NULL), rw_json_object_get_string (then, "model", NULL)) ||
              !g_str_equal (rw_json_object_get_string (now, "task", NULL), rw_json_object_get_string (then, "task", NULL)))
            continue;
          row = json_object_new ();
          json_object_set_string_member (row, "model", rw_json_object_get_string (now, "model", NULL));
          json_object_set_string_member (row, "task", rw_json_object_get_string (now, "task", NULL));
          json_object_set_double_member (row, "pass_rate", _rw_eval_report_number (now, "pass_rate"));
          json_object_set_double_member (row, "earlier_pass_rate", _rw_eval_report_number (then, "pass_rate"));
          json_object_set_double_member (row, "change", _rw_eval_report_number (now, "pass_rate") - _rw_eval_report_number (then, "pass_rate"));
          json_object_set_double_member (row, "cost_usd", _rw_eval_report_number (now, "cost_usd"));
          json_object_set_double_member (row, "earlier_cost_usd", _rw_eval_report_number (then, "cost_usd"));
          json_array_add_object_element (rows, row);
        }
    }
  json_object_set_array_member (against, "rows", rows);
  json_object_set_object_member (root, "against", against);
}
