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
} HistorySearchOptions;

static const GOptionEntry history_search_entries[] = {
  { "json", 0, 0, G_OPTION_ARG_NONE, RW_CLI_OPTION_FIELD (HistorySearchOptions, json),
    N_("Print JSON"), NULL },
  { NULL }
};

static int
history_search_run (RwCliContext *cli,
                    gpointer      data,
                    int           argc,
                    char        **argv)
{
  HistorySearchOptions *o = data;
  g_autoptr(GError) error = NULL;
  g_autofree char *query = g_strjoinv (" ", argv + 1);
  RwHistoryFilter filter;

  if (*g_strstrip (query) == '\0')
    {
      rw_cli_print_error (_("give the words to search for"));
      return RW_CLI_EXIT_USAGE;
    }
  if (!rw_cli_history_filter_resolve (&o->filter, query, &filter, &error))
    {
      rw_cli_print_error ("%s", error->message);
      return RW_CLI_EXIT_USAGE;
    }
  return rw_cli_history_print_list (rw_cli_context_get_store (cli), &filter, o->json);
}

const RwCliCommand rw_cli_command_history_search = {
  .name = "history search",
  .parameter_string = N_("WORDS…"),
  .summary = N_("Find the comparisons whose prompt or an answer holds every word"),
  .help = N_("Find the comparisons whose prompt or one of whose answers holds every word given, "
             "or a word that starts with it (kuber finds kubernetes), whatever their case and "
             "accents; the latest first."),
  .options_size = sizeof (HistorySearchOptions),
  .entries = history_search_entries,
  .shared_entries = rw_cli_history_filter_entries,
  .min_args = 1,
  .max_args = -1,
  .args_error = N_("give the words to search for"),
  .needs = RW_CLI_NEEDS_STORE,
  .run = history_search_run,
};
