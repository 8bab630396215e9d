/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "rw-cli-context.h"
#include "rw-cli-history.h"
#include "rw-cli-printer.h"

typedef struct
{
  RwCliHistoryFilter filter;
  gboolean json;
} HistoryListOptions;

static const GOptionEntry history_list_entries[] = {
  { "json", 0, 0, G_OPTION_ARG_NONE, RW_CLI_OPTION_FIELD (HistoryListOptions, json),
    N_("Print JSON"), NULL },
  { NULL }
};

static int
history_list_run (RwCliContext *cli,
                  gpointer      data,
                  int           argc,
                  char        **argv)
{
  HistoryListOptions *o = data;
  g_autoptr(GError) error = NULL;
  RwHistoryFilter filter;

  if (!rw_cli_history_filter_resolve (&o->filter, NULL, &filter, &error))
    {
      rw_cli_print_error ("%s", error->message);
      return RW_CLI_EXIT_USAGE;
    }
  return rw_cli_history_print_list (rw_cli_context_get_store (cli), &filter, o->json);
}

const RwCliCommand rw_cli_command_history_list = {
  .name = "history list",
  .summary = N_("List the comparisons, the latest first"),
  .help = N_("List the comparisons made in the window and with “compare”, the latest first, "
             "with their models, task, cost and the vote's winner."),
  .options_size = sizeof (HistoryListOptions),
  .entries = history_list_entries,
  .shared_entries = rw_cli_history_filter_entries,
  .max_args = 0,
  .args_error = N_("history list takes no arguments; “history search WORDS” searches"),
  .needs = RW_CLI_NEEDS_STORE,
  .run = history_list_run,
};
