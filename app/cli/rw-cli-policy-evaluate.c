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
  gboolean json;
} PolicyEvaluateOptions;

#define FIELD(f) RW_CLI_OPTION_FIELD (PolicyEvaluateOptions, f)
static const GOptionEntry policy_evaluate_entries[] = {
  { "folds", 'k', 0, G_OPTION_ARG_INT, FIELD (folds), N_("Folds (default 5)"), N_("K") },
  { "strong", 0, 0, G_OPTION_ARG_STRING, FIELD (strong), N_("The strong model"), N_("MODEL") },
  { "weak", 0, 0, G_OPTION_ARG_STRING, FIELD (weak), N_("The weak model"), N_("MODEL") },
  { "output", 'o', 0, G_OPTION_ARG_FILENAME, FIELD (output), N_("Write to this file"),
    N_("FILE") },
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

  if ((outcomes = rw_outcomes_load (rw_cli_context_get_store (cli), &error)) == NULL)
    {
      rw_cli_print_error ("%s", error->message);
      return RW_CLI_EXIT_FAILED;
    }
  if ((policy = rw_cli_read_policy_file (argv[1], &error)) == NULL)
    {
      rw_cli_print_error ("%s", error->message);
      return RW_CLI_EXIT_USAGE;
    }
  if ((evaluation = rw_offline_evaluate (outcomes, json_node_get_object (policy), o->folds,
                                        o->strong, o->weak, &error)) == NULL)
    {
      rw_cli_print_error ("%s", error->message);
      return RW_CLI_EXIT_FAILED;
    }
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
  .help = N_("Evaluate a policy on held-out data: each fold is routed by a policy learned on "
             "the others, against every single model, random routing and the oracle."),
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
