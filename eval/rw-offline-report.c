/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include "rw-json.h"
#include "rw-offline-evaluation.h"

/* An offline evaluation as Markdown: the routers, the tasks, RouteLLM's measures. */

static void
offline_text_measures (GString    *s,
                       JsonObject *group)
{
  JsonArray *routers = rw_json_object_get_array (group, "routers");

  g_string_append (s, "| router | APGR | CPT(50%) | CPT(80%) |\n|---|---:|---:|---:|\n");
  for (guint i = 0; routers && i < json_array_get_length (routers); i++)
    {
      JsonObject *r = rw_json_array_get_object (routers, i);
      JsonNode *c50 = r ? json_object_get_member (r, "cpt50") : NULL;
      JsonNode *c80 = r ? json_object_get_member (r, "cpt80") : NULL;
      g_autofree char *a = c50 && !JSON_NODE_HOLDS_NULL (c50) ?
                           g_strdup_printf ("%.1f%%", json_node_get_double (c50)) : g_strdup ("–");
      g_autofree char *z = c80 && !JSON_NODE_HOLDS_NULL (c80) ?
                           g_strdup_printf ("%.1f%%", json_node_get_double (c80)) : g_strdup ("–");

      if (r == NULL)
        continue;
      g_string_append_printf (s, "| %s | %.3f | %s | %s |\n",
                              rw_json_object_get_string (r, "router", ""),
                              rw_json_object_get_double (r, "apgr", NAN), a, z);
    }
}

static void
offline_text_aiq (GString    *s,
                  JsonObject *r)
{
  double aiq = rw_json_object_get_double (r, "aiq", NAN);

  if (isnan (aiq))
    g_string_append (s, " – |\n");
  else
    g_string_append_printf (s, " %.3f |\n", aiq);
}

/**
 * rw_offline_evaluation_to_text:
 * @evaluation: from rw_offline_evaluate()
 *
 * Returns: (transfer full): the evaluation as Markdown tables
 */
char *
rw_offline_evaluation_to_text (JsonNode *evaluation)
{
  JsonObject *e = json_node_get_object (evaluation);
  JsonObject *p = rw_json_object_get_object (e, "policy");
  JsonArray *base = rw_json_object_get_array (e, "baselines");
  GString *s = g_string_new (NULL);

  if (rw_json_object_get_boolean (e, "test", FALSE))
    g_string_append_printf (s, "Test split: %" G_GINT64_FORMAT " items, routed by the policy "
                            "file as it is", rw_json_object_get_int (e, "items", 0));
  else
    g_string_append_printf (s, "Held out: %" G_GINT64_FORMAT " items, %" G_GINT64_FORMAT
                            "-fold by prompt (each fold routed by the policy learned again on the "
                            "others, loaded as the router loads it)",
                            rw_json_object_get_int (e, "items", 0),
                            rw_json_object_get_int (e, "folds", 0));
  if (g_strcmp0 (rw_json_object_get_string (e, "tasks", NULL), "named") == 0)
    g_string_append (s, "; each prompt sent as a request that names its task (the data's label), "
                        "as a caller that knows it would\n\n");
  else
    g_string_append (s, "; each prompt sent as a request that names no task, so its task is "
                        "the one the policy's classifier predicts\n\n");
  g_string_append (s, "| router | quality | cost per 1k requests | AIQ |\n|---|---:|---:|---:|\n");
  g_string_append_printf (s, "| **learned policy** | **%.1f%%** | **$%.4f** |",
                          100 * rw_json_object_get_double (p, "quality", 0),
                          1000 * rw_json_object_get_double (p, "cost_usd", 0));
  offline_text_aiq (s, p);
  for (guint i = 0; base && i < json_array_get_length (base); i++)
    {
      JsonObject *r = rw_json_array_get_object (base, i);
      if (r == NULL)
        continue;
      g_string_append_printf (s, "| %s | %.1f%% | $%.4f |", rw_json_object_get_string (r, "name", ""),
                              100 * rw_json_object_get_double (r, "quality", 0),
                              1000 * rw_json_object_get_double (r, "cost_usd", 0));
      offline_text_aiq (s, r);
    }
  {
    JsonArray *tasks = rw_json_object_get_array (e, "tasks_held_out");
    guint better = 0, n_tasks = 0;
    double gain = 0;
    const char *best = NULL;

    for (guint i = 0; tasks && i < json_array_get_length (tasks); i++)
      {
        JsonObject *t = rw_json_array_get_object (tasks, i);
        double d;
        if (t == NULL)
          continue;
        d = rw_json_object_get_double (t, "quality", 0) -
            rw_json_object_get_double (t, "zero_router_quality", 0);
        n_tasks++;
        /* Better by more than one item's worth. */
        if (d > 1.0 / MAX (1, rw_json_object_get_int (t, "items", 1)))
          better++;
        if (best == NULL || d > gain)
          {
            gain = d;
            best = rw_json_object_get_string (t, "task", "");
          }
      }
    if (n_tasks > 0)
      g_string_append_printf (s, "\nWithin a task, against the zero router of that task at the "
                              "same cost or less: better in %u of %u tasks; most in %s (%+.1f points)\n",
                              better, n_tasks, best, 100 * gain);
  }
  g_string_append (s, "\nAIQ: the average quality a router reaches across the costs from the "
                      "cheapest to the dearest single model (RouterBench). The zero router sends "
                      "each request at random to one of two single models: the best such mix at "
                      "the policy's cost or less (one model alone where it beats every dearer "
                      "mix).\n");
  if (json_object_has_member (e, "strong_weak"))
    {
      JsonObject *sw = rw_json_object_get_object (e, "strong_weak");
      JsonArray *benchmarks = rw_json_object_get_array (sw, "benchmarks");

      g_string_append_printf (s, "\nStrong %s (%.1f%%), weak %s (%.1f%%), RouteLLM's measures:\n\n",
                              rw_json_object_get_string (sw, "strong", ""),
                              100 * rw_json_object_get_double (sw, "strong_quality", 0),
                              rw_json_object_get_string (sw, "weak", ""),
                              100 * rw_json_object_get_double (sw, "weak_quality", 0));
      offline_text_measures (s, sw);
      for (guint i = 0; benchmarks && i < json_array_get_length (benchmarks); i++)
        {
          JsonObject *g = rw_json_array_get_object (benchmarks, i);
          if (g == NULL)
            continue;
          g_string_append_printf (s, "\n%s: %" G_GINT64_FORMAT " items, strong %.1f%%, "
                                  "weak %.1f%%\n\n",
                                  rw_json_object_get_string (g, "benchmark", ""),
                                  rw_json_object_get_int (g, "items", 0),
                                  100 * rw_json_object_get_double (g, "strong_quality", 0),
                                  100 * rw_json_object_get_double (g, "weak_quality", 0));
          offline_text_measures (s, g);
        }
    }
  return g_string_free (s, FALSE);
}
