/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "rw-cli-context.h"
#include "rw-cli-printer.h"

typedef struct
{
  gboolean pass;
  gboolean fail;
  double score;
  char *note;
} EvalGradeOptions;

#define FIELD(f) RW_CLI_OPTION_FIELD (EvalGradeOptions, f)
static const GOptionEntry eval_grade_entries[] = {
  { "pass", 0, 0, G_OPTION_ARG_NONE, FIELD (pass), N_("The answer passes"), NULL },
  { "fail", 0, 0, G_OPTION_ARG_NONE, FIELD (fail), N_("The answer fails"), NULL },
  { "score", 0, 0, G_OPTION_ARG_DOUBLE, FIELD (score), N_("A score from 0 to 1"), N_("SCORE") },
  { "note", 0, 0, G_OPTION_ARG_STRING, FIELD (note), N_("Why"), N_("TEXT") },
  { NULL }
};
#undef FIELD

#define EVAL_GRADE_USAGE \
  N_("give one response id and exactly one of --pass or --fail (--score 0 to 1)")

static void
eval_grade_init (gpointer data)
{
  EvalGradeOptions *o = data;

  o->score = -1;
}

static int
eval_grade_check (gpointer data,
                  int      argc,
                  char   **argv)
{
  EvalGradeOptions *o = data;

  if (o->pass == o->fail || (o->score != -1 && (o->score < 0 || o->score > 1)))
    {
      rw_cli_print_error ("%s", _(EVAL_GRADE_USAGE));
      return RW_CLI_EXIT_USAGE;
    }
  return 0;
}

static int
eval_grade_run (RwCliContext *cli,
                gpointer      data,
                int           argc,
                char        **argv)
{
  EvalGradeOptions *o = data;
  g_autoptr(GError) error = NULL;
  RwStore *store = rw_cli_context_get_store (cli);

  if (!rw_store_has_response (store, argv[1], NULL))
    {
      rw_cli_print_error (_("there is no answer %s"), argv[1]);
      return RW_CLI_EXIT_USAGE;
    }
  rw_store_record_grade (store, argv[1], "human", o->score >= 0 ? o->score : (o->pass ? 1.0 : 0.0),
                         o->pass, o->note, "human");
  if (!rw_store_flush (store, &error))
    {
      rw_cli_print_error ("%s", error->message);
      return RW_CLI_EXIT_FAILED;
    }
  return RW_CLI_EXIT_OK;
}

const RwCliCommand rw_cli_command_eval_grade = {
  .name = "eval grade",
  .parameter_string = N_("RESPONSE"),
  .summary = N_("Grade an answer yourself"),
  .help = N_("Grade an answer yourself. A person's grade overrides the machine grades in "
             "reports, and stays."),
  .options_size = sizeof (EvalGradeOptions),
  .entries = eval_grade_entries,
  .init = eval_grade_init,
  .min_args = 1,
  .max_args = 1,
  .args_error = EVAL_GRADE_USAGE,
  .check = eval_grade_check,
  .needs = RW_CLI_NEEDS_STORE,
  .run = eval_grade_run,
};
