/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "rw-cli-context.h"
#include "rw-cli-printer.h"

#define IMPORT_USAGE \
  N_("usage: routewise-cli import promptfoo FILE | import routellm FILE-OR-FOLDER | " \
     "import outcomes FILE")

/* RouteLLM's grades or anyone's outcomes, stored as a graded run and reported. */
typedef char *(*ImportFunc) (RwStore *, RwCatalog *, const char *, guint *, GError **);

static int
import_graded (RwCliContext *cli,
               ImportFunc    import,
               const char   *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *run_id = NULL;
  RwStore *store;
  guint n = 0;

  if (rw_cli_context_get_catalog (cli) == NULL)
    return RW_CLI_EXIT_USAGE;
  if ((store = rw_cli_context_get_store (cli)) == NULL)
    return RW_CLI_EXIT_FAILED;
  if ((run_id = import (store, rw_cli_context_get_catalog (cli), path, &n, &error)) == NULL)
    {
      rw_cli_print_error ("%s", error->message);
      return RW_CLI_EXIT_USAGE;
    }
  fprintf (stderr, _("Imported %u items as run %s\n"), n, run_id);
  return rw_cli_print_report (store, run_id, NULL, "md", NULL);
}

static int
import_promptfoo_results (RwCliContext *cli,
                          JsonObject   *root,
                          const char   *path)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *run_id = NULL;
  RwStore *store;
  guint n = 0;

  if ((store = rw_cli_context_get_store (cli)) == NULL)
    return RW_CLI_EXIT_FAILED;
  if ((run_id = rw_promptfoo_import_results (store, root, path, &n, &error)) == NULL)
    {
      rw_cli_print_error ("%s", error->message);
      return RW_CLI_EXIT_FAILED;
    }
  fprintf (stderr, _("Imported %u answers as run %s\n"), n, run_id);
  return rw_cli_print_report (store, run_id, NULL, "md", NULL);
}

static int
import_promptfoo (RwCliContext *cli,
                  const char   *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *root;

  if ((node = rw_promptfoo_read_data_file (path, &error)) == NULL)
    {
      rw_cli_print_error ("%s", error->message);
      return RW_CLI_EXIT_USAGE;
    }
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      rw_cli_print_error (_("%s is neither a promptfoo configuration nor a result file"), path);
      return RW_CLI_EXIT_USAGE;
    }
  root = json_node_get_object (node);

  if (rw_promptfoo_is_config (root))
    {
      g_autofree char *dir = g_path_get_dirname (path);
      g_autofree char *base = g_path_get_basename (path);
      g_autofree char *jsonl = rw_promptfoo_config_to_jsonl (root, dir, base, &error);
      if (jsonl == NULL)
        {
          rw_cli_print_error ("%s", error->message);
          return RW_CLI_EXIT_USAGE;
        }
      fputs (jsonl, stdout);
      return RW_CLI_EXIT_OK;
    }
  if (rw_promptfoo_is_results (root))
    return import_promptfoo_results (cli, root, path);
  rw_cli_print_error (_("%s is neither a promptfoo configuration nor a result file"), path);
  return RW_CLI_EXIT_USAGE;
}

static int
import_run (RwCliContext *cli,
            gpointer      data,
            int           argc,
            char        **argv)
{
  if (g_str_equal (argv[1], "routellm"))
    return import_graded (cli, rw_routellm_import, argv[2]);
  if (g_str_equal (argv[1], "promptfoo"))
    return import_promptfoo (cli, argv[2]);
  if (g_str_equal (argv[1], "outcomes"))
    return import_graded (cli, rw_outcomes_import, argv[2]);
  rw_cli_print_error ("%s", _(IMPORT_USAGE));
  return RW_CLI_EXIT_USAGE;
}

const RwCliCommand rw_cli_command_import = {
  .name = "import",
  .parameter_string = N_("promptfoo FILE | routellm PATH | outcomes FILE"),
  .summary = N_("Import promptfoo configurations and results, RouteLLM's grades, any outcomes"),
  .help = N_("Import from promptfoo. A configuration (YAML or JSON, with the files it names) is "
             "printed as a Routewise suite (JSONL); a result file (promptfoo eval -o "
             "results.json) is stored as an evaluation run, with its grades and pairwise "
             "outcomes. RouteLLM's per-item correctness (a CSV, or a folder of them: MMLU's "
             "subjects become tasks) is stored as a graded run. Outcomes from anywhere (CSV or "
             "JSONL with item, task, prompt, model, score from 0 to 1, cost in US dollars and "
             "latency_ms, the last three optional) are stored as a graded run, costs as given. "
             "An item is one prompt of one task; a model that answered it more than once gave "
             "that many samples of it."),
  .min_args = 2,
  .max_args = 2,
  .args_error = IMPORT_USAGE,
  .run = import_run,
};
