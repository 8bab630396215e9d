/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>

#include "rw-cli-context.h"
#include "rw-cli-policy-file.h"
#include "rw-cli-printer.h"
#include "rw-json.h"

typedef struct
{
  double cost_weight;
  double budget;
  double ceiling;
  double latency;
  char *output;
  char *save;
  gboolean activate;
  gboolean allow_unpriced;
} PolicyLearnOptions;

#define FIELD(f) RW_CLI_OPTION_FIELD (PolicyLearnOptions, f)
static const GOptionEntry policy_learn_entries[] = {
  { "cost-weight", 'w', 0, G_OPTION_ARG_DOUBLE, FIELD (cost_weight),
    N_("Quality points given up per US dollar per 1,000 requests (default 0)"), N_("W") },
  { "budget", 0, 0, G_OPTION_ARG_DOUBLE, FIELD (budget),
    N_("Keep the expected cost of 1,000 requests within this many US dollars"), N_("USD") },
  { "ceiling", 0, 0, G_OPTION_ARG_DOUBLE, FIELD (ceiling),
    N_("Leave out models whose answers cost more than this on average"), N_("USD") },
  { "latency", 0, 0, G_OPTION_ARG_DOUBLE, FIELD (latency),
    N_("Leave out models whose median latency is longer"), N_("MS") },
  { "allow-unpriced", 0, 0, G_OPTION_ARG_NONE, FIELD (allow_unpriced),
    N_("Leave out models with no known cost, rather than refuse to learn"), NULL },
  { "output", 'o', 0, G_OPTION_ARG_FILENAME, FIELD (output), N_("Write to this file"),
    N_("FILE") },
  { "save", 's', 0, G_OPTION_ARG_STRING, FIELD (save),
    N_("Keep it in the database under this name, beside the policies kept before"), N_("NAME") },
  { "activate", 0, 0, G_OPTION_ARG_NONE, FIELD (activate),
    N_("Make the kept policy the one routewise/auto routes by (with --save)"), NULL },
  { NULL }
};
#undef FIELD

static int
policy_learn_check (gpointer data,
                    int      argc,
                    char   **argv)
{
  PolicyLearnOptions *o = data;

  if (!rw_cli_check_range ("cost-weight", o->cost_weight, 0, INFINITY, FALSE) ||
      !rw_cli_check_range ("budget", o->budget, 0, INFINITY, FALSE) ||
      !rw_cli_check_range ("ceiling", o->ceiling, 0, INFINITY, FALSE) ||
      !rw_cli_check_range ("latency", o->latency, 0, INFINITY, FALSE))
    return RW_CLI_EXIT_USAGE;
  if (o->activate && o->save == NULL)
    {
      rw_cli_print_error (_("--activate needs --save NAME"));
      return RW_CLI_EXIT_USAGE;
    }
  if (o->save != NULL && (*o->save == '\0' || !g_utf8_validate (o->save, -1, NULL)))
    {
      rw_cli_print_error (_("--save needs a name"));
      return RW_CLI_EXIT_USAGE;
    }
  return 0;
}

static void
policy_learn_print_summary (JsonNode   *policy,
                            const char *output,
                            const char *saved,
                            gboolean    active)
{
  JsonObject *learned = rw_json_object_get_object (json_node_get_object (policy), "learned");
  JsonObject *data = rw_json_object_get_object (learned, "data");
  JsonObject *tasks = rw_json_object_get_object (learned, "tasks");
  g_autoptr(GList) names = NULL;

  fprintf (stderr, _("Learned from %" PRId64 " graded answers to %" PRId64
                     " items and %" PRId64 " comparisons; cost weight %g, expected "
                     "$%.4f per 1,000 requests.\n"),
           rw_json_object_get_int (data, "graded_answers", 0),
           rw_json_object_get_int (data, "items", 0),
           rw_json_object_get_int (data, "comparisons", 0),
           rw_json_object_get_double (learned, "cost_weight", 0),
           rw_json_object_get_double (learned, "expected_cost_per_1k", 0));
  /* Measured only with a budget; null without. */
  if (!isnan (rw_json_object_get_double (learned, "expected_quality", NAN)))
    {
      fprintf (stderr, _("Within the budget, the prompts learned from score %.1f%% on average, "
                         "each routed by a router that had not learned it."),
               100 * rw_json_object_get_double (learned, "expected_quality", 0));
      fputc ('\n', stderr);
    }
  {
    JsonArray *left_out = rw_json_object_get_array (learned, "excluded_unpriced");

    for (guint i = 0; left_out != NULL && i < json_array_get_length (left_out); i++)
      fprintf (stderr, _("Left out %s: no answer of it has a known cost.\n"),
               json_array_get_string_element (left_out, i));
  }
  if (!json_object_get_null_member (learned, "classifier_accuracy") &&
      json_object_has_member (json_node_get_object (policy), "classifier"))
    fprintf (stderr, _("Task classifier: %.1f%% right on %" PRId64 " held-out prompts.\n"),
             100 * rw_json_object_get_double (learned, "classifier_accuracy", 0),
             rw_json_object_get_int (learned, "classifier_tested_on", 0));
  names = g_list_sort (json_object_get_members (tasks), (GCompareFunc) g_strcmp0);
  printf ("| %s | %s | %s | %s | %s |\n|---|---:|---|---:|---:|\n", _("task"), _("items"),
          _("model"),
          /* xgettext:no-c-format */
          _("quality (95% interval)"),
          _("cost per 1k"));
  for (GList *l = names; l; l = l->next)
    {
      JsonObject *t = rw_json_object_get_object (tasks, l->data);
      JsonArray *models = rw_json_object_get_array (t, "models");
      JsonObject *top;

      if (json_array_get_length (models) == 0)
        continue;
      top = json_array_get_object_element (models, 0);
      printf ("| %s | %" PRId64 " | %s | %.1f%% (%.1f–%.1f) | $%.4f |\n",
              (char *) l->data, rw_json_object_get_int (t, "items", 0),
              rw_json_object_get_string (top, "model", NULL),
              100 * rw_json_object_get_double (top, "quality", 0),
              100 * rw_json_object_get_double (top, "ci_low", 0),
              100 * rw_json_object_get_double (top, "ci_high", 0),
              1000 * rw_json_object_get_double (top, "cost_usd", 0));
    }
  if (output != NULL)
    fprintf (stderr, _("Policy written to %s\n"), output);
  if (saved != NULL)
    fprintf (stderr, active ? _("Policy kept as “%s”; routewise/auto routes by it.\n")
                            : _("Policy kept as “%s”.\n"), saved);
}

static int
policy_learn_run (RwCliContext *cli,
                  gpointer      data,
                  int           argc,
                  char        **argv)
{
  PolicyLearnOptions *o = data;
  RwLearnerOptions learn = { o->cost_weight, o->budget, o->ceiling, o->latency, NULL,
                             o->allow_unpriced };
  RwStore *store = rw_cli_context_get_store (cli);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) outcomes = NULL;
  g_autoptr(RwComparisons) comparisons = rw_comparisons_new ();
  g_autoptr(JsonNode) policy = NULL;
  g_autofree char *text = NULL;

  if ((outcomes = rw_outcomes_load (store, &error)) == NULL ||
      !rw_comparisons_load_store (comparisons, store, &error) ||
      (policy = rw_learner_learn (outcomes, comparisons, &learn, &error)) == NULL)
    {
      rw_cli_print_error ("%s", error->message);
      return RW_CLI_EXIT_FAILED;
    }
  text = rw_json_to_string (policy, TRUE);
  /* "-o -" is standard output, where nothing but the policy goes. */
  if (g_strcmp0 (o->output, "-") == 0)
    g_clear_pointer (&o->output, g_free);
  if (o->save != NULL)
    {
      g_autofree char *id = rw_store_save_policy (store, o->save, text, o->activate);

      if (!rw_store_flush (store, &error))
        {
          rw_cli_print_error ("%s", error->message);
          return RW_CLI_EXIT_FAILED;
        }
    }
  if ((o->output != NULL || o->save == NULL) && !rw_cli_write_or_print (o->output, text))
    return RW_CLI_EXIT_FAILED;
  if (o->output != NULL || o->save != NULL)
    policy_learn_print_summary (policy, o->output, o->save, o->activate);
  return RW_CLI_EXIT_OK;
}

const RwCliCommand rw_cli_command_policy_learn = {
  .name = "policy learn",
  .summary = N_("Learn a routing policy from the stored grades and comparisons"),
  .help = N_("Learn a routing policy from the stored grades and comparisons: for each task, the "
             "model that gives the most quality for its cost, and the ones to fall back to."),
  .options_size = sizeof (PolicyLearnOptions),
  .entries = policy_learn_entries,
  .max_args = 0,
  .args_error = RW_CLI_POLICY_USAGE,
  .check = policy_learn_check,
  .needs = RW_CLI_NEEDS_STORE,
  .run = policy_learn_run,
};
