/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include <glib/gi18n.h>
#include <glib-unix.h>
#include <stdio.h>
#include <unistd.h>

#include "rw-cli-context.h"
#include "rw-cli-printer.h"

typedef struct
{
  char **model_ids;
  gint repeat;
  gint concurrency;
  double budget;
  char *resume;
  char *judge_id;
  char *embedding_id;
  char *moderation_id;
  gboolean no_pairwise;
  gboolean no_cache;
  gboolean strict;
  gboolean json;
} EvalRunOptions;

#define FIELD(f) RW_CLI_OPTION_FIELD (EvalRunOptions, f)
static const GOptionEntry eval_run_entries[] = {
  { "model", 'm', 0, G_OPTION_ARG_STRING_ARRAY, FIELD (model_ids),
    N_("A model to evaluate (default for a promptfoo configuration: its providers)"),
    N_("MODEL") },
  { "repeat", 0, 0, G_OPTION_ARG_INT, FIELD (repeat),
    N_("Ask each item this many times (default 1)"), N_("N") },
  { "concurrency", 'j', 0, G_OPTION_ARG_INT, FIELD (concurrency),
    N_("Requests in flight at once (default 8)"), N_("N") },
  { "budget", 0, 0, G_OPTION_ARG_DOUBLE, FIELD (budget),
    N_("Stop before spending more than this many US dollars"), N_("USD") },
  { "resume", 0, 0, G_OPTION_ARG_STRING, FIELD (resume), N_("Continue this run"), N_("RUN") },
  { "judge", 0, 0, G_OPTION_ARG_STRING, FIELD (judge_id),
    N_("Rate answers by the suite's judge graders, and compare every pair of answers in both "
       "orders, with this model"), N_("MODEL") },
  { "embedding-model", 0, 0, G_OPTION_ARG_STRING, FIELD (embedding_id),
    N_("Grade the suite's similar assertions by the embeddings of this model (of an "
       "OpenAI-compatible provider)"), N_("MODEL") },
  { "moderation-model", 0, 0, G_OPTION_ARG_STRING, FIELD (moderation_id),
    N_("Grade the suite's moderation assertions with this moderation model (of an "
       "OpenAI-compatible provider)"), N_("MODEL") },
  { "no-pairwise", 0, 0, G_OPTION_ARG_NONE, FIELD (no_pairwise),
    N_("With --judge, only rate by the judge graders; do not compare pairs"), NULL },
  { "no-cache", 0, 0, G_OPTION_ARG_NONE, FIELD (no_cache),
    N_("Ask again even when the same request was answered before"), NULL },
  { "strict", 0, 0, G_OPTION_ARG_NONE, FIELD (strict),
    N_("Refuse a suite that asks for assertions Routewise cannot grade, before sending "
       "anything"), NULL },
  { "json", 0, 0, G_OPTION_ARG_NONE, FIELD (json), N_("Print the report as JSON"), NULL },
  { NULL }
};
#undef FIELD

typedef struct
{
  GMainLoop *loop;
  RwEvalRunner *runner;
  const char *status;
  GError *error;
  gint64 start_us;
  guint start_done;
  gboolean tty;
  gint64 drawn_us;        /* when the progress line was last drawn */
  gboolean interrupted;
  GCancellable *cancellable;
} EvalRun;

static void
eval_run_init (gpointer data)
{
  EvalRunOptions *o = data;

  o->repeat = 1;
  o->concurrency = 8;
}

static int
eval_run_check (gpointer data,
                int      argc,
                char   **argv)
{
  EvalRunOptions *o = data;

  if (!rw_cli_check_range ("repeat", o->repeat, 1, 1000, FALSE) ||
      !rw_cli_check_range ("concurrency", o->concurrency, 1, 1024, FALSE) ||
      !rw_cli_check_range ("budget", o->budget, 0, INFINITY, FALSE))
    return RW_CLI_EXIT_USAGE;
  return 0;
}

static void
eval_run_draw_progress (EvalRun  *e,
                        gboolean  final)
{
  gint64 now = g_get_monotonic_time ();
  guint total, done, failed, left;
  double secs, rate;
  int width = 30, filled;
  g_autoptr(GString) bar = NULL;
  g_autofree char *eta = NULL;
  g_autofree char *failures = NULL;

  /* At most twenty times a second: a fast run answers thousands of times a second, faster
   * than anyone reads and than a terminal redraws. */
  if (!e->tty || (!final && now - e->drawn_us < 50000))
    return;
  e->drawn_us = now;
  total = rw_eval_runner_get_n_total (e->runner);
  done = rw_eval_runner_get_n_done (e->runner);
  failed = rw_eval_runner_get_n_failed (e->runner);
  secs = (now - e->start_us) / 1e6;
  rate = secs > 0 ? (done - e->start_done) / secs : 0;
  left = total > done ? total - done : 0;
  filled = total ? (int) ((double) done / total * width) : width;
  bar = g_string_new (NULL);
  eta = rate > 0 && left ? g_strdup_printf ("%.0fs", left / rate) : g_strdup ("–");
  failures = failed ? g_strdup_printf (_("  %u failed"), failed) : g_strdup ("");
  for (int i = 0; i < width; i++)
    g_string_append (bar, i < filled ? "█" : "░");
  fprintf (stderr, "\r%s %u/%u  %.1f/s  ETA %s  $%.4f%s\033[K", bar->str, done, total, rate, eta,
           rw_eval_runner_get_spent (e->runner), failures);
  if (final)
    fputc ('\n', stderr);
  fflush (stderr);
}

static void
eval_run_on_progress (RwEvalRunner *runner,
                      EvalRun      *e)
{
  eval_run_draw_progress (e, FALSE);
}

static void
eval_run_done_cb (GObject      *object,
                  GAsyncResult *res,
                  gpointer      user_data)
{
  EvalRun *e = user_data;

  e->status = rw_eval_runner_run_finish (RW_EVAL_RUNNER (object), res, &e->error);
  g_main_loop_quit (e->loop);
}

static gboolean
eval_run_on_sigint (gpointer user_data)
{
  EvalRun *e = user_data;

  e->interrupted = TRUE;
  g_cancellable_cancel (e->cancellable);
  return G_SOURCE_CONTINUE;
}

/* Returns: (transfer full) (nullable): the runner, prepared to start or resume, or %NULL after
 * printing why not */
static RwEvalRunner *
eval_run_prepare (RwCliContext   *cli,
                  EvalRunOptions *o,
                  RwSuite        *suite,
                  GPtrArray      *models,
                  GPtrArray      *providers)
{
  g_autoptr(GError) error = NULL;
  RwCatalog *catalog = rw_cli_context_get_catalog (cli);
  RwStore *store = rw_cli_context_get_store (cli);
  g_autoptr(RwEvalRunner) runner = NULL;

  /* Answers that come within 2 ms of each other (which only a local or cached upstream
   * manages) share a transaction; slower runs commit each answer. */
  rw_store_set_group_commit (store, TRUE);
  runner = rw_eval_runner_new (catalog, store, suite, models, o->repeat);
  rw_eval_runner_set_concurrency (runner, o->concurrency);
  rw_eval_runner_set_budget (runner, o->budget);
  rw_eval_runner_set_use_cache (runner, !o->no_cache);
  /* A promptfoo provider's config goes with every request to its model. */
  for (guint i = 0; providers != NULL && i < providers->len; i++)
    {
      RwPromptfooProvider *p = providers->pdata[i];
      rw_eval_runner_set_model_options (runner, rw_model_get_id (models->pdata[i]), p->options);
    }
  if (o->judge_id != NULL)
    {
      g_autoptr(RwModel) judge = rw_catalog_resolve_model (catalog, o->judge_id, &error);
      if (judge == NULL)
        {
          rw_cli_print_error ("%s", error->message);
          return NULL;
        }
      rw_eval_runner_set_judge (runner, judge);
      rw_eval_runner_set_pairwise (runner, !o->no_pairwise);
    }
  if (o->embedding_id != NULL)
    {
      g_autoptr(RwModel) embedding = rw_catalog_resolve_model (catalog, o->embedding_id, &error);
      if (embedding == NULL)
        {
          rw_cli_print_error ("%s", error->message);
          return NULL;
        }
      rw_eval_runner_set_embedding_model (runner, embedding);
    }
  if (o->moderation_id != NULL)
    {
      g_autoptr(RwModel) moderation = rw_catalog_resolve_model (catalog, o->moderation_id,
                                                                &error);
      if (moderation == NULL)
        {
          rw_cli_print_error ("%s", error->message);
          return NULL;
        }
      rw_eval_runner_set_moderation_model (runner, moderation);
    }
  if (!rw_eval_runner_prepare (runner, o->resume, &error))
    {
      rw_cli_print_error ("%s", error->message);
      return NULL;
    }
  return g_steal_pointer (&runner);
}

static void
eval_run_print_start (EvalRunOptions *o,
                      RwEvalRunner   *runner,
                      RwSuite        *suite,
                      guint           n_models)
{
  g_autofree char *budget_text = o->budget > 0 ? g_strdup_printf (_(" (budget $%.4f)"), o->budget)
                                               : g_strdup ("");

  fprintf (stderr, _("%s run %s: %u answers (%u items × %u models × %u), %u already stored or "
                     "cached, estimated cost of the rest at most $%.4f%s\n"),
           rw_eval_runner_is_resumed (runner) ? _("Resuming") : _("Starting"),
           rw_eval_runner_get_run_id (runner), rw_eval_runner_get_n_total (runner),
           rw_suite_get_n_items (suite), n_models, (guint) o->repeat,
           rw_eval_runner_get_n_done (runner), rw_eval_runner_get_estimate (runner), budget_text);
}

/* What the suite asks for that cannot be graded: said before anything is sent, and with
 * --strict, refused. */
static gboolean
eval_run_check_unsupported (EvalRunOptions *o,
                            RwSuite        *suite)
{
  guint ungraded = 0;
  g_autoptr(JsonObject) unsupported = rw_suite_dup_unsupported (suite, &ungraded);
  g_autoptr(GList) kinds = g_list_sort (json_object_get_members (unsupported),
                                        (GCompareFunc) g_strcmp0);
  g_autoptr(GString) list = g_string_new (NULL);

  if (kinds == NULL)
    return TRUE;
  for (GList *l = kinds; l; l = l->next)
    g_string_append_printf (list, "%s%s (%" G_GINT64_FORMAT ")", list->len ? ", " : "",
                            (char *) l->data, json_object_get_int_member (unsupported, l->data));
  if (o->strict)
    {
      rw_cli_print_error (_("the suite asks for assertions Routewise cannot grade: %s; nothing "
                            "was sent"), list->str);
      return FALSE;
    }
  fprintf (stderr, _("Not graded, of kinds Routewise cannot grade: %s. %u items have nothing "
                     "else and are reported as ungraded, not failed.\n"), list->str, ungraded);
  return TRUE;
}

/* Without -m, a promptfoo configuration's own providers, as models of the catalog with their
 * configs; anything it names that Routewise cannot run is said before anything is sent. */
static GPtrArray *
eval_run_config_providers (const char  *path,
                           GError     **error)
{
  g_autoptr(JsonNode) config = NULL;

  if (g_str_has_suffix (path, ".yaml") || g_str_has_suffix (path, ".yml") ||
      g_str_has_suffix (path, ".json"))
    config = rw_promptfoo_read_data_file (path, NULL);
  if (config == NULL || !JSON_NODE_HOLDS_OBJECT (config) ||
      !rw_promptfoo_is_config (json_node_get_object (config)))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                   _("name at least one model with -m (only a promptfoo configuration names its "
                     "own)"));
      return NULL;
    }
  return rw_promptfoo_config_providers (json_node_get_object (config), error);
}

static int
eval_run_run (RwCliContext *cli,
              gpointer      data,
              int           argc,
              char        **argv)
{
  EvalRunOptions *o = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(RwSuite) suite = NULL;
  g_autoptr(RwEvalRunner) runner = NULL;
  g_autoptr(GPtrArray) models = NULL;
  g_autoptr(GPtrArray) providers = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  EvalRun e = { 0 };
  guint sigint_id;
  int rc;

  if ((suite = rw_suite_new_from_file (argv[1], &error)) == NULL)
    {
      rw_cli_print_error ("%s", error->message);
      return RW_CLI_EXIT_USAGE;
    }
  if (!eval_run_check_unsupported (o, suite))
    return RW_CLI_EXIT_USAGE;
  if (o->model_ids == NULL)
    {
      g_autoptr(GPtrArray) ids = g_ptr_array_new ();

      if ((providers = eval_run_config_providers (argv[1], &error)) == NULL)
        {
          rw_cli_print_error ("%s", error->message);
          return RW_CLI_EXIT_USAGE;
        }
      for (guint i = 0; i < providers->len; i++)
        g_ptr_array_add (ids, ((RwPromptfooProvider *) providers->pdata[i])->model_id);
      g_ptr_array_add (ids, NULL);
      models = rw_cli_context_resolve_models (cli, (const char * const *) ids->pdata, TRUE);
    }
  else
    models = rw_cli_context_resolve_models (cli, (const char * const *) o->model_ids, FALSE);
  if (models == NULL)
    return RW_CLI_EXIT_USAGE;
  if (rw_cli_context_get_store (cli) == NULL)
    return RW_CLI_EXIT_FAILED;
  if ((runner = eval_run_prepare (cli, o, suite, models, providers)) == NULL)
    return RW_CLI_EXIT_USAGE;
  eval_run_print_start (o, runner, suite, models->len);

  e.loop = loop;
  e.runner = runner;
  e.tty = isatty (STDERR_FILENO);
  e.start_us = g_get_monotonic_time ();
  e.start_done = rw_eval_runner_get_n_done (runner);
  e.cancellable = cancellable;
  g_signal_connect (runner, "progress", G_CALLBACK (eval_run_on_progress), &e);
  sigint_id = g_unix_signal_add (SIGINT, eval_run_on_sigint, &e);
  rw_eval_runner_run_async (runner, cancellable, eval_run_done_cb, &e);
  g_main_loop_run (loop);
  g_source_remove (sigint_id);
  eval_run_draw_progress (&e, TRUE);

  if (e.error != NULL)
    {
      rw_cli_print_error ("%s", e.error->message);
      g_clear_error (&e.error);
      return RW_CLI_EXIT_FAILED;
    }
  if (rw_eval_runner_get_n_ratings (runner) > 0)
    fprintf (stderr, _("%u answers rated by the judge.\n"), rw_eval_runner_get_n_ratings (runner));
  if (rw_eval_runner_get_n_comparisons (runner) > 0)
    fprintf (stderr, _("%u pairwise comparisons stored for learning.\n"),
             rw_eval_runner_get_n_comparisons (runner));
  if (g_str_equal (e.status, "stopped"))
    fprintf (stderr, _("Stopped before the budget would be broken; raise --budget and run the "
                       "same command again to continue.\n"));
  if (e.interrupted)
    {
      fprintf (stderr, _("Interrupted; everything answered so far is stored. Run the same command "
                         "again to continue.\n"));
      return RW_CLI_EXIT_INTERRUPTED;
    }
  rc = rw_cli_print_report (rw_cli_context_get_store (cli), rw_eval_runner_get_run_id (runner),
                            rw_eval_runner_build_report (runner), o->json ? "json" : "md", NULL);
  if (rc != RW_CLI_EXIT_OK)
    return rc;
  return g_str_equal (e.status, "done") ? RW_CLI_EXIT_OK : RW_CLI_EXIT_FAILED;
}

const RwCliCommand rw_cli_command_eval_run = {
  .name = "eval run",
  .parameter_string = N_("SUITE"),
  .summary = N_("Run a suite against models and grade every answer"),
  .help = N_("Run a suite (JSONL, CSV or a promptfoo configuration) against models, grade every "
             "answer and store everything. Running the same command again, or --resume RUN, "
             "continues without sending what is already stored."),
  .options_size = sizeof (EvalRunOptions),
  .entries = eval_run_entries,
  .init = eval_run_init,
  .min_args = 1,
  .max_args = 1,
  .args_error = N_("give one suite file"),
  .check = eval_run_check,
  .run = eval_run_run,
};
