/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "rw-cli-context.h"
#include "rw-cli-printer.h"

typedef struct
{
  char *format;
  char *against;
} EvalReportOptions;

static const GOptionEntry eval_report_entries[] = {
  { "format", 'f', 0, G_OPTION_ARG_STRING, RW_CLI_OPTION_FIELD (EvalReportOptions, format),
    N_("md (default), json, csv or html"), N_("FORMAT") },
  { "against", 0, 0, G_OPTION_ARG_STRING, RW_CLI_OPTION_FIELD (EvalReportOptions, against),
    N_("Compare with an earlier run"), N_("RUN") },
  { NULL }
};

static const char * const eval_report_formats[] = { "md", "json", "csv", "html", NULL };

static int
eval_report_check (gpointer data,
                   int      argc,
                   char   **argv)
{
  EvalReportOptions *o = data;

  if (o->format != NULL && !g_strv_contains (eval_report_formats, o->format))
    {
      rw_cli_print_error (_("the format is md, json, csv or html"));
      return RW_CLI_EXIT_USAGE;
    }
  return 0;
}

static int
eval_report_run (RwCliContext *cli,
                 gpointer      data,
                 int           argc,
                 char        **argv)
{
  EvalReportOptions *o = data;
  RwStore *store = rw_cli_context_get_store (cli);
  g_autofree char *run_id = NULL;

  if (g_str_equal (argv[1], "latest"))
    {
      run_id = rw_store_dup_latest_run_id (store, "eval", NULL);
      if (run_id == NULL)
        {
          rw_cli_print_error (_("there is no evaluation run yet"));
          return RW_CLI_EXIT_USAGE;
        }
    }
  else
    run_id = g_strdup (argv[1]);
  return rw_cli_print_report (store, run_id, NULL, o->format ? o->format : "md", o->against);
}

const RwCliCommand rw_cli_command_eval_report = {
  .name = "eval report",
  .parameter_string = N_("RUN"),
  .summary = N_("Report an evaluation run, alone or against an earlier one"),
  /* xgettext:no-c-format */
  .help = N_("Report an evaluation run: per model and task, the pass rate with its 95% interval, "
             "the mean score, cost, latency and failures. RUN may be “latest”."),
  .options_size = sizeof (EvalReportOptions),
  .entries = eval_report_entries,
  .min_args = 1,
  .max_args = 1,
  .args_error = N_("give a run id, or “latest”"),
  .check = eval_report_check,
  .needs = RW_CLI_NEEDS_STORE,
  .run = eval_report_run,
};
