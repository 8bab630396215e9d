/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <stdio.h>

#include "rw-cli-context.h"
#include "rw-cli-history.h"
#include "rw-cli-printer.h"

typedef struct
{
  gboolean json;
} HistoryShowOptions;

static const GOptionEntry history_show_entries[] = {
  { "json", 0, 0, G_OPTION_ARG_NONE, RW_CLI_OPTION_FIELD (HistoryShowOptions, json),
    N_("Print JSON"), NULL },
  { NULL }
};

static void
history_show_print (RwStoredComparison *c,
                    GPtrArray          *answers)
{
  printf (_("Comparison %s (%s)\n"), c->id, c->status);
  printf (_("Task: %s\n"), c->task ? c->task : _("none"));
  printf (_("Vote: %s\n\n"), c->winner ? c->winner : _("none yet"));
  printf ("%s\n", c->prompt);
  for (guint i = 0; i < answers->len; i++)
    {
      RwStoredResponse *r = answers->pdata[i];
      g_autofree char *cost = isnan (r->cost_usd) ? g_strdup ("-")
                                                  : g_strdup_printf ("$%.5f", r->cost_usd);
      g_autofree char *latency = isnan (r->latency_ms) ? g_strdup ("-")
                                                       : g_strdup_printf ("%.0f ms", r->latency_ms);

      printf ("\n== %s ==\n", r->model);
      if (r->ok)
        printf ("%s\n-- %s · %s · %s\n", r->text, r->finish_reason ? r->finish_reason : "-",
                latency, cost);
      else
        printf ("-- %s: %s\n", r->error_kind ? r->error_kind : _("failed"),
                r->error_message ? r->error_message : "");
    }
}

static int
history_show_run (RwCliContext *cli,
                  gpointer      data,
                  int           argc,
                  char        **argv)
{
  HistoryShowOptions *o = data;
  RwStore *store = rw_cli_context_get_store (cli);
  g_autoptr(GError) error = NULL;
  int rc = RW_CLI_EXIT_OK;
  g_autoptr(RwStoredComparison) c = rw_cli_history_lookup (store, argv[1], &rc);
  g_autoptr(GPtrArray) answers = NULL;

  if (c == NULL)
    return rc;
  if ((answers = rw_store_list_comparison_answers (store, argv[1], &error)) == NULL)
    {
      rw_cli_print_error ("%s", error->message);
      return RW_CLI_EXIT_FAILED;
    }
  if (o->json)
    {
      g_autoptr(JsonNode) node = rw_history_comparison_to_json (c, answers);
      rw_cli_print_json (node);
    }
  else
    history_show_print (c, answers);
  return RW_CLI_EXIT_OK;
}

const RwCliCommand rw_cli_command_history_show = {
  .name = "history show",
  .parameter_string = N_("ID"),
  .summary = N_("Show a comparison with its answers and their metrics"),
  .help = N_("Show a comparison: its prompt, task and vote, and every answer with its metrics "
             "or its error."),
  .options_size = sizeof (HistoryShowOptions),
  .entries = history_show_entries,
  .min_args = 1,
  .max_args = 1,
  .args_error = N_("give one comparison id (see “history list”)"),
  .needs = RW_CLI_NEEDS_STORE,
  .run = history_show_run,
};
