/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include <glib/gi18n.h>
#include <inttypes.h>
#include <stdio.h>

#include "rw-cli-context.h"
#include "rw-cli-printer.h"

typedef struct
{
  char *task;
  char *csv;
  gint bootstrap;
  gboolean json;
} RatingsOptions;

#define FIELD(f) RW_CLI_OPTION_FIELD (RatingsOptions, f)
static const GOptionEntry ratings_entries[] = {
  { "task", 't', 0, G_OPTION_ARG_STRING, FIELD (task), N_("Only this task"), N_("TASK") },
  { "comparisons", 0, 0, G_OPTION_ARG_FILENAME, FIELD (csv),
    N_("Rate the comparisons of this CSV file (model_a, model_b, winner[, task, weight]) "
       "instead of the stored ones"), N_("FILE") },
  { "bootstrap", 0, 0, G_OPTION_ARG_INT, FIELD (bootstrap),
    /* xgettext:no-c-format */
    N_("Bootstrap replicates for the 95% intervals (default 200)"), N_("N") },
  { "json", 0, 0, G_OPTION_ARG_NONE, FIELD (json), N_("Print JSON"), NULL },
  { NULL }
};
#undef FIELD

#define RATINGS_USAGE N_("usage: routewise-cli ratings [--task T] [--json]")

static void
ratings_init (gpointer data)
{
  RatingsOptions *o = data;

  o->bootstrap = 200;
}

static int
ratings_check (gpointer data,
               int      argc,
               char   **argv)
{
  RatingsOptions *o = data;

  if (!rw_cli_check_range ("bootstrap", o->bootstrap, 0, 100000, FALSE))
    return RW_CLI_EXIT_USAGE;
  return 0;
}

static void
ratings_print_task (JsonObject *to)
{
  JsonArray *models = rw_json_object_get_array (to, "models");

  gint64 n = rw_json_object_get_int (to, "comparisons", 0);

  printf (g_dngettext (GETTEXT_PACKAGE, "## %s (%" PRId64 " comparison)\n\n",
                       "## %s (%" PRId64 " comparisons)\n\n", n),
          rw_json_object_get_string (to, "task", NULL), n);
  printf ("| %s | %s | %s | %s | %s | %s |\n|---:|---|---:|---|---:|---:|\n", _("rank"),
          _("model"), _("rating"),
          /* xgettext:no-c-format */
          _("95% interval"),
          _("wins"), _("losses"));
  for (guint m = 0; m < json_array_get_length (models); m++)
    {
      JsonObject *mo = json_array_get_object_element (models, m);
      printf ("| %" PRId64 " | %s | %.0f | %.0f–%.0f | %.1f | %.1f |\n",
              rw_json_object_get_int (mo, "rank", 0),
              rw_json_object_get_string (mo, "model", NULL),
              rw_json_object_get_double (mo, "rating", 0),
              rw_json_object_get_double (mo, "ci_low", 0),
              rw_json_object_get_double (mo, "ci_high", 0),
              rw_json_object_get_double (mo, "wins", 0),
              rw_json_object_get_double (mo, "losses", 0));
    }
  printf ("\n");
}

static int
ratings_run (RwCliContext *cli,
             gpointer      data,
             int           argc,
             char        **argv)
{
  RatingsOptions *o = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(RwComparisons) comparisons = rw_comparisons_new ();
  g_autoptr(JsonNode) rated = NULL;
  JsonArray *tasks;

  if (o->csv != NULL)
    {
      if (!rw_comparisons_load_csv (comparisons, o->csv, &error))
        {
          rw_cli_print_error ("%s", error->message);
          return RW_CLI_EXIT_USAGE;
        }
    }
  else
    {
      RwStore *store = rw_cli_context_open_store (cli, &error);

      if (store == NULL || !rw_comparisons_load_store (comparisons, store, &error))
        {
          rw_cli_print_error ("%s", error->message);
          return RW_CLI_EXIT_FAILED;
        }
    }
  rated = rw_comparisons_rate (comparisons, o->task, o->bootstrap, 1);
  if (o->json)
    {
      rw_cli_print_json (rated);
      return RW_CLI_EXIT_OK;
    }
  tasks = rw_json_object_get_array (json_node_get_object (rated), "tasks");
  if (json_array_get_length (tasks) == 0 && o->task != NULL && rw_comparisons_get_n (comparisons) > 0)
    {
      g_auto(GStrv) known = rw_comparisons_dup_tasks (comparisons);
      g_autofree char *names = g_strjoinv (", ", known);

      rw_cli_print_error (_("no pairwise outcomes in the task “%s”; the tasks with some: %s"),
                          o->task, names);
      return RW_CLI_EXIT_FAILED;
    }
  if (json_array_get_length (tasks) == 0)
    {
      rw_cli_print_error (_("no pairwise outcomes yet: vote in the window, run “eval run” with "
                            "two or more models, or import some"));
      return RW_CLI_EXIT_FAILED;
    }
  for (guint t = 0; t < json_array_get_length (tasks); t++)
    ratings_print_task (json_array_get_object_element (tasks, t));
  return RW_CLI_EXIT_OK;
}

const RwCliCommand rw_cli_command_ratings = {
  .name = "ratings",
  .summary = N_("Bradley-Terry ratings per task from the pairwise outcomes"),
  /* xgettext:no-c-format */
  .help = N_("Bradley-Terry ratings per task from every pairwise outcome: votes, judge verdicts, "
             "graded pairs, imports. Ranks tie where the 95% intervals overlap."),
  .options_size = sizeof (RatingsOptions),
  .entries = ratings_entries,
  .init = ratings_init,
  .max_args = 0,
  .args_error = RATINGS_USAGE,
  .check = ratings_check,
  .run = ratings_run,
};
