/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "rw-cli-context.h"
#include "rw-cli-history.h"
#include "rw-cli-printer.h"

typedef struct
{
  RwCliHistoryFilter filter;
  char *format;
  char *output;
} HistoryExportOptions;

static const GOptionEntry history_export_entries[] = {
  { "format", 'f', 0, G_OPTION_ARG_STRING, RW_CLI_OPTION_FIELD (HistoryExportOptions, format),
    N_("json (default), csv or md"), N_("FORMAT") },
  { "output", 'o', 0, G_OPTION_ARG_FILENAME, RW_CLI_OPTION_FIELD (HistoryExportOptions, output),
    N_("Write to this file"), N_("FILE") },
  { NULL }
};

static int
history_export_check (gpointer data,
                      int      argc,
                      char   **argv)
{
  HistoryExportOptions *o = data;

  if (o->format != NULL && !g_strv_contains (rw_history_export_formats, o->format))
    {
      rw_cli_print_error (_("the format is json, csv or md"));
      return RW_CLI_EXIT_USAGE;
    }
  return 0;
}

static int
history_export_run (RwCliContext *cli,
                    gpointer      data,
                    int           argc,
                    char        **argv)
{
  HistoryExportOptions *o = data;
  g_autoptr(GError) error = NULL;
  g_autofree char *query = argc > 1 ? g_strjoinv (" ", argv + 1) : NULL;
  g_autofree char *text = NULL;
  RwHistoryFilter filter;

  if (!rw_cli_history_filter_resolve (&o->filter, query, &filter, &error))
    {
      rw_cli_print_error ("%s", error->message);
      return RW_CLI_EXIT_USAGE;
    }
  text = rw_history_export (rw_cli_context_get_store (cli), &filter,
                            o->format ? o->format : "json", &error);
  if (text == NULL)
    {
      rw_cli_print_error ("%s", error->message);
      return RW_CLI_EXIT_FAILED;
    }
  return rw_cli_write_or_print (o->output, text) ? RW_CLI_EXIT_OK : RW_CLI_EXIT_FAILED;
}

const RwCliCommand rw_cli_command_history_export = {
  .name = "history export",
  .parameter_string = N_("[WORDS…]"),
  .summary = N_("Export comparisons with their answers as JSON, CSV or Markdown"),
  .help = N_("Export the comparisons the filters and the words pick (all of them when none is "
             "given), with every answer: as JSON, as CSV with one row per answer, or as "
             "Markdown."),
  .options_size = sizeof (HistoryExportOptions),
  .entries = history_export_entries,
  .shared_entries = rw_cli_history_filter_entries,
  .max_args = -1,
  .check = history_export_check,
  .needs = RW_CLI_NEEDS_STORE,
  .run = history_export_run,
};
