/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "rw-cli-context.h"
#include "rw-cli-policy-file.h"
#include "rw-cli-printer.h"
#include "rw-json.h"

typedef struct
{
  gint folds;
  char *strong;
  char *weak;
  char *output;
  char *decisions;
  char *test;
  gboolean named_tasks;
  gboolean json;
} PolicyEvaluateOptions;

#define FIELD(f) RW_CLI_OPTION_FIELD (PolicyEvaluateOptions, f)
static const GOptionEntry policy_evaluate_entries[] = {
  { "folds", 'k', 0, G_OPTION_ARG_INT, FIELD (folds), N_("Folds (default 5)"), N_("K") },
  { "strong", 0, 0, G_OPTION_ARG_STRING, FIELD (strong), N_("The strong model"), N_("MODEL") },
  { "weak", 0, 0, G_OPTION_ARG_STRING, FIELD (weak), N_("The weak model"), N_("MODEL") },
  { "output", 'o', 0, G_OPTION_ARG_FILENAME, FIELD (output), N_("Write to this file"),
    N_("FILE") },
  { "decisions", 0, 0, G_OPTION_ARG_FILENAME, FIELD (decisions),
    N_("Write each held-out item's decision to this file, one JSON object a line"), N_("FILE") },
  { "test", 0, 0, G_OPTION_ARG_FILENAME, FIELD (test),
    N_("Evaluate the policy file as it is on this fixed split (outcomes, as “import outcomes” "
       "reads them) instead of cross-validating"), N_("FILE") },
  { "named-tasks", 0, 0, G_OPTION_ARG_NONE, FIELD (named_tasks),
    N_("Each request names its item's task (its label in the data), as callers that know it do, "
       "instead of the classifier predicting it"), NULL },
  { "json", 0, 0, G_OPTION_ARG_NONE, FIELD (json), N_("Print JSON"), NULL },
  { NULL }
};
#undef FIELD

static void
policy_evaluate_init (gpointer data)
{
  PolicyEvaluateOptions *o = data;

  o->folds = 5;
}

static int
policy_evaluate_check (gpointer data,
                       int      argc,
                       char   **argv)
{
  PolicyEvaluateOptions *o = data;

  if (o->folds < 2 || o->folds > 100)
    {
      rw_cli_print_error ("%s", _(RW_CLI_POLICY_USAGE));
      return RW_CLI_EXIT_USAGE;
    }
  return 0;
}

/* The decisions, one JSON object a line, into @path; and out of @evaluation. */
static gboolean
policy_evaluate_write_decisions (JsonNode   *evaluation,
                                 const char *path)
{
  JsonObject *e = json_node_get_object (evaluation);
  JsonArray *decisions = rw_json_object_get_array (e, "decisions");
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; decisions && i < json_array_get_length (decisions); i++)
    {
      g_autofree char *line = json_to_string (json_array_get_element (decisions, i), FALSE);
      g_string_append_printf (out, "%s\n", line);
    }
  json_object_remove_member (e, "decisions");
  if (!g_file_set_contents (path, out->str, out->len, &error))
    {
      rw_cli_print_error ("%s", error->message);
      return FALSE;
    }
  return TRUE;
}

static int
policy_evaluate_run (RwCliContext *cli,
                     gpointer      data,
                     int           argc,
                     char        **argv)
{
  PolicyEvaluateOptions *o = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) outcomes = NULL;
  g_autoptr(JsonNode) policy = NULL;
  g_autoptr(JsonNode) evaluation = NULL;
  g_autofree char *text = NULL;

  RwOfflineOptions options = {
    .folds = o->folds, .strong = o->strong, .weak = o->weak, .decisions = o->decisions != NULL,
    .named_tasks = o->named_tasks,
  };
  g_autoptr(GPtrArray) test = NULL;

  if ((policy = rw_cli_read_policy_file (argv[1], &error)) == NULL)
    {
      rw_cli_print_error ("%s", error->message);
      return RW_CLI_EXIT_USAGE;
    }
  if (o->test != NULL)
    {
      if ((test = rw_outcomes_read (rw_cli_context_get_catalog (cli), o->test, &error)) == NULL)
        {
          rw_cli_print_error ("%s", error->message);
          return RW_CLI_EXIT_USAGE;
        }
      options.test = test;
      outcomes = g_ptr_array_new ();
    }
  else if ((outcomes = rw_outcomes_load (rw_cli_context_get_store (cli), &error)) == NULL)
    {
      rw_cli_print_error ("%s", error->message);
      return RW_CLI_EXIT_FAILED;
    }
  if ((evaluation = rw_offline_evaluate_with (outcomes, json_node_get_object (policy), &options,
                                              &error)) == NULL)
    {
      rw_cli_print_error ("%s", error->message);
      return RW_CLI_EXIT_FAILED;
    }
  if (o->decisions != NULL && !policy_evaluate_write_decisions (evaluation, o->decisions))
    return RW_CLI_EXIT_FAILED;
  if (o->json)
    text = rw_json_to_string (evaluation, TRUE);
  else
    text = rw_offline_evaluation_to_text (evaluation);
  return rw_cli_write_or_print (o->output, text) ? RW_CLI_EXIT_OK : RW_CLI_EXIT_FAILED;
}

const RwCliCommand rw_cli_command_policy_evaluate = {
  .name = "policy evaluate",
  .parameter_string = N_("POLICY"),
  .summary = N_("Evaluate a policy on held-out data"),
  .help = N_("Evaluate a policy on held-out data, exactly as it routes: each fold is routed by "
             "the policy learned again on the others, loaded as serve loads it, with the task "
             "its classifier predicts (or, with --named-tasks, the one each request names); or, "
             "with --test, the policy file itself on a fixed split. "
             "Against every single model, random routing, the oracle and the zero router, with "
             "AIQ, and RouteLLM's measures per benchmark."),
  .options_size = sizeof (PolicyEvaluateOptions),
  .entries = policy_evaluate_entries,
  .init = policy_evaluate_init,
  .min_args = 1,
  .max_args = 1,
  .args_error = RW_CLI_POLICY_USAGE,
  .check = policy_evaluate_check,
  .needs = RW_CLI_NEEDS_STORE,
  .run = policy_evaluate_run,
};
