/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <glib-unix.h>
#include <locale.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <routewise-eval.h>

#include "rw-json.h"
#include "rw-terminal.h"

/* Exit codes scripts can trust. */
enum {
  EXIT_OK = 0,
  EXIT_FAILED = 1,   /* nothing answered, or a run-time failure */
  EXIT_USAGE = 2,    /* a bad command line or configuration */
  EXIT_INTERRUPTED = 130,
};

static void
print_error (const char *format,
             ...) G_GNUC_PRINTF (1, 2);

static void
print_error (const char *format,
             ...)
{
  va_list args;
  g_autofree char *msg = NULL;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  fprintf (stderr, "routewise-cli: %s\n", msg);
}

static RwCatalog *
load_catalog (void)
{
  g_autoptr(GError) error = NULL;
  RwCatalog *catalog = rw_catalog_new_for_user (&error);

  if (catalog == NULL)
    print_error ("%s", error->message);
  return catalog;
}

static void
discover_cb (GObject      *object,
             GAsyncResult *res,
             gpointer      user_data)
{
  gboolean *done = user_data;
  rw_catalog_discover_finish (RW_CATALOG (object), res, NULL);
  *done = TRUE;
}

static void
discover_now (RwCatalog *catalog)
{
  gboolean done = FALSE;

  rw_catalog_discover_async (catalog, NULL, discover_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

static char *
format_price (RwModel *model)
{
  if (!rw_model_has_price (model))
    return g_strdup ("-");
  return g_strdup_printf ("%.3g / %.3g", rw_model_get_input_price (model),
                          rw_model_get_output_price (model));
}

/* ---------------------------------------------------------------- models, providers, prompts */

static int
cmd_models (int    argc,
            char **argv)
{
  gboolean json = FALSE, no_discover = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { "no-discover", 0, 0, G_OPTION_ARG_NONE, &no_discover,
      N_("Do not look for local servers"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(RwCatalog) catalog = NULL;
  GListModel *models;

  g_option_context_set_summary (ctx, _("List the models of the catalog, with prices in US dollars "
                                       "per million input / output tokens."));
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      print_error ("%s", error->message);
      return EXIT_USAGE;
    }
  if ((catalog = load_catalog ()) == NULL)
    return EXIT_USAGE;
  if (!no_discover)
    discover_now (catalog);

  models = rw_catalog_get_models (catalog);
  if (json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *text = NULL;

      json_builder_begin_array (b);
      for (guint i = 0; i < g_list_model_get_n_items (models); i++)
        {
          g_autoptr(RwModel) m = g_list_model_get_item (models, i);
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "id");
          json_builder_add_string_value (b, rw_model_get_id (m));
          json_builder_set_member_name (b, "provider");
          json_builder_add_string_value (b, rw_model_get_provider_id (m));
          json_builder_set_member_name (b, "name");
          json_builder_add_string_value (b, rw_model_get_upstream_name (m));
          json_builder_set_member_name (b, "display_name");
          json_builder_add_string_value (b, rw_model_get_display_name (m));
          json_builder_set_member_name (b, "input_price");
          if (rw_model_has_price (m))
            json_builder_add_double_value (b, rw_model_get_input_price (m));
          else
            json_builder_add_null_value (b);
          json_builder_set_member_name (b, "output_price");
          if (rw_model_has_price (m))
            json_builder_add_double_value (b, rw_model_get_output_price (m));
          else
            json_builder_add_null_value (b);
          json_builder_set_member_name (b, "context_length");
          if (rw_model_get_context_length (m) > 0)
            json_builder_add_int_value (b, rw_model_get_context_length (m));
          else
            json_builder_add_null_value (b);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      root = json_builder_get_root (b);
      text = rw_json_to_string (root, TRUE);
      printf ("%s\n", text);
      return EXIT_OK;
    }

  printf ("%-36s %-12s %-18s %9s  %s\n", _("MODEL"), _("PROVIDER"), _("PRICE IN / OUT"),
          _("CONTEXT"), _("NAME"));
  for (guint i = 0; i < g_list_model_get_n_items (models); i++)
    {
      g_autoptr(RwModel) m = g_list_model_get_item (models, i);
      g_autofree char *price = format_price (m);
      g_autofree char *ctx_len = rw_model_get_context_length (m) > 0 ?
        g_strdup_printf ("%" G_GINT64_FORMAT, rw_model_get_context_length (m)) : g_strdup ("-");

      printf ("%-36s %-12s %-18s %9s  %s\n", rw_model_get_id (m), rw_model_get_provider_id (m),
              price, ctx_len, rw_model_get_display_name (m));
    }
  return EXIT_OK;
}

static int
cmd_providers (int    argc,
               char **argv)
{
  gboolean no_discover = FALSE;
  GOptionEntry entries[] = {
    { "no-discover", 0, 0, G_OPTION_ARG_NONE, &no_discover,
      N_("Do not look for local servers"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(RwCatalog) catalog = NULL;
  g_autoptr(GPtrArray) providers = NULL;
  g_autofree char *path = rw_paths_providers_file ();

  g_option_context_set_summary (ctx, _("List the providers and where their keys come from."));
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      print_error ("%s", error->message);
      return EXIT_USAGE;
    }
  if ((catalog = load_catalog ()) == NULL)
    return EXIT_USAGE;
  if (!no_discover)
    discover_now (catalog);

  printf (_("Configuration: %s%s\n"), path,
          g_file_test (path, G_FILE_TEST_EXISTS) ? "" : _(" (absent: defaults only)"));
  printf ("%-14s %-9s %-40s %s\n", _("PROVIDER"), _("KIND"), _("BASE URL"), _("KEY"));
  providers = rw_catalog_list_providers (catalog);
  for (guint i = 0; i < providers->len; i++)
    {
      RwProvider *p = providers->pdata[i];
      const char *env = rw_provider_get_api_key_env (p);
      g_autofree char *key = env == NULL ? g_strdup (_("none needed")) :
        g_strdup_printf ("$%s (%s)", env, rw_provider_has_api_key (p) ? _("set") : _("not set"));

      printf ("%-14s %-9s %-40s %s\n", rw_provider_get_id (p), rw_provider_get_kind (p),
              rw_provider_get_base_url (p) ? rw_provider_get_base_url (p) : "-", key);
    }
  return EXIT_OK;
}

static int
cmd_prompts (int    argc,
             char **argv)
{
  GListModel *prompts = rw_prompt_library_get_prompts (rw_prompt_library_get_default ());

  printf ("%-20s %-11s %s\n", _("ID"), _("TASK"), _("PROMPT"));
  for (guint i = 0; i < g_list_model_get_n_items (prompts); i++)
    {
      g_autoptr(RwSamplePrompt) p = g_list_model_get_item (prompts, i);
      printf ("%-20s %-11s %s\n", rw_sample_prompt_get_id (p), rw_sample_prompt_get_task (p),
              rw_sample_prompt_get_title (p));
    }
  return EXIT_OK;
}

/* ------------------------------------------------------------------------------- compare */

typedef struct
{
  GMainLoop *loop;
  RwFanout *fanout;
  GPtrArray *models;
  GPtrArray *results;
  RwTerminalView *view;
  GCancellable *cancellable;
  gboolean interrupted;
  gboolean stream_blocks;   /* not a terminal: print each answer when it is complete */
} Compare;

static void
on_fanout_delta (RwFanout   *fanout,
                 guint       index,
                 const char *text,
                 Compare    *c)
{
  if (c->view != NULL)
    rw_terminal_view_append (c->view, index, text);
}

static void
on_model_finished (RwFanout     *fanout,
                   guint         index,
                   RwChatResult *result,
                   Compare      *c)
{
  if (c->view != NULL)
    rw_terminal_view_finish (c->view, index, result);
  else if (c->stream_blocks)
    {
      g_autofree char *block = rw_terminal_format_block (c->models->pdata[index], result, FALSE);
      fputs (block, stdout);
      fflush (stdout);
    }
}

static void
fanout_done_cb (GObject      *object,
                GAsyncResult *res,
                gpointer      user_data)
{
  Compare *c = user_data;

  c->results = rw_fanout_run_finish (RW_FANOUT (object), res, NULL);
  g_main_loop_quit (c->loop);
}

static gboolean
on_sigint (gpointer user_data)
{
  Compare *c = user_data;

  c->interrupted = TRUE;
  g_cancellable_cancel (c->cancellable);
  return G_SOURCE_CONTINUE;
}

static char *
read_stdin (void)
{
  g_autoptr(GString) s = g_string_new (NULL);
  char buf[4096];
  size_t n;

  while ((n = fread (buf, 1, sizeof buf, stdin)) > 0)
    g_string_append_len (s, buf, n);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static int
cmd_compare (int    argc,
             char **argv)
{
  g_auto(GStrv) model_ids = NULL;
  g_autofree char *task = NULL;
  g_autofree char *system_prompt = NULL;
  g_autofree char *sample = NULL;
  gboolean json = FALSE, no_stream = FALSE, no_store = FALSE;
  gint max_tokens = 0;
  double temperature = -1, timeout = 600, first_token_timeout = 60, idle_timeout = 30;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_STRING_ARRAY, &model_ids,
      N_("A model to ask (give two or more)"), N_("MODEL") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json,
      N_("Print one JSON document with every answer, its metrics and its error"), NULL },
    { "sample", 0, 0, G_OPTION_ARG_STRING, &sample,
      N_("Use a bundled prompt (see `routewise-cli prompts`)"), N_("ID") },
    { "task", 't', 0, G_OPTION_ARG_STRING, &task, N_("The prompt's task"), N_("TASK") },
    { "system", 0, 0, G_OPTION_ARG_STRING, &system_prompt, N_("A system message"), N_("TEXT") },
    { "max-tokens", 0, 0, G_OPTION_ARG_INT, &max_tokens, N_("The most output tokens"), N_("N") },
    { "temperature", 0, 0, G_OPTION_ARG_DOUBLE, &temperature, N_("Sampling temperature"),
      N_("T") },
    { "no-stream", 0, 0, G_OPTION_ARG_NONE, &no_stream, N_("Ask for whole answers"), NULL },
    { "timeout", 0, 0, G_OPTION_ARG_DOUBLE, &timeout,
      N_("Seconds each answer may take in all (default 600)"), N_("SECONDS") },
    { "first-token-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &first_token_timeout,
      N_("Seconds to wait for the first token (default 60)"), N_("SECONDS") },
    { "idle-timeout", 0, 0, G_OPTION_ARG_DOUBLE, &idle_timeout,
      N_("Seconds a stream may stall between tokens (default 30)"), N_("SECONDS") },
    { "no-store", 0, 0, G_OPTION_ARG_NONE, &no_store, N_("Do not record the run"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new (_("[PROMPT…]"));
  g_autoptr(GError) error = NULL;
  g_autoptr(RwCatalog) catalog = NULL;
  g_autoptr(RwStore) store = NULL;
  g_autoptr(RwChatRequest) request = NULL;
  g_autoptr(GPtrArray) models = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(RwFanout) fanout = NULL;
  g_autofree char *prompt = NULL;
  g_autofree char *prompt_id = NULL;
  g_autofree char *run_id = NULL;
  Compare c = { 0 };
  guint sigint_id;
  guint n_ok = 0;
  gboolean discovered = FALSE;

  g_option_context_set_summary (ctx, _("Send one prompt to several models at once and show the "
                                       "answers side by side. The prompt is the arguments, or "
                                       "standard input when it is “-”."));
  g_option_context_set_description (ctx, _("Exit status: 0 when at least one model answered, "
                                           "1 when none did, 2 for a bad command line or "
                                           "configuration, 130 when interrupted."));
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      print_error ("%s", error->message);
      return EXIT_USAGE;
    }

  if (model_ids == NULL || g_strv_length (model_ids) == 0)
    {
      print_error (_("name at least one model with -m MODEL; `routewise-cli models` lists them"));
      return EXIT_USAGE;
    }
  if (timeout <= 0 || first_token_timeout <= 0 || idle_timeout <= 0 || max_tokens < 0 ||
      timeout > 86400 || first_token_timeout > 86400 || idle_timeout > 86400)
    {
      print_error (_("timeouts must be between 0 and 86400 seconds, and --max-tokens 0 or more"));
      return EXIT_USAGE;
    }

  if (sample != NULL)
    {
      RwSamplePrompt *p = rw_prompt_library_lookup (rw_prompt_library_get_default (), sample);
      if (p == NULL)
        {
          print_error (_("no bundled prompt “%s”; `routewise-cli prompts` lists them"), sample);
          return EXIT_USAGE;
        }
      prompt = g_strdup (rw_sample_prompt_get_text (p));
    }
  else if (argc == 2 && g_str_equal (argv[1], "-"))
    prompt = read_stdin ();
  else if (argc > 1)
    prompt = g_strjoinv (" ", argv + 1);

  if (prompt == NULL || *g_strstrip (prompt) == '\0')
    {
      print_error (_("give a prompt, “-” to read it from standard input, or --sample ID"));
      return EXIT_USAGE;
    }
  if (!g_utf8_validate (prompt, -1, NULL))
    {
      print_error (_("the prompt is not valid UTF-8"));
      return EXIT_USAGE;
    }

  if ((catalog = load_catalog ()) == NULL)
    return EXIT_USAGE;

  for (guint i = 0; model_ids[i]; i++)
    {
      g_autoptr(GError) local = NULL;
      RwModel *model = rw_catalog_resolve_model (catalog, model_ids[i], &local);

      if (model == NULL && !discovered)
        {
          /* Perhaps a local server serves it. */
          discover_now (catalog);
          discovered = TRUE;
          g_clear_error (&local);
          model = rw_catalog_resolve_model (catalog, model_ids[i], &local);
        }
      if (model == NULL)
        {
          print_error ("%s", local->message);
          return EXIT_USAGE;
        }
      g_ptr_array_add (models, model);
    }

  request = rw_chat_request_new ();
  if (system_prompt != NULL)
    rw_chat_request_add_message (request, "system", system_prompt);
  rw_chat_request_add_message (request, "user", prompt);
  if (task == NULL)
    task = g_strdup (rw_prompt_library_task_for (rw_prompt_library_get_default (), prompt));
  rw_chat_request_set_task (request, task);
  request->stream = !no_stream;
  request->max_tokens = max_tokens;
  request->temperature = temperature;
  request->total_timeout_ms = (guint) (timeout * 1000);
  request->first_token_timeout_ms = (guint) (first_token_timeout * 1000);
  request->idle_timeout_ms = (guint) (idle_timeout * 1000);

  if (!no_store)
    {
      store = rw_store_open_default (&error);
      if (store == NULL)
        {
          print_error (_("%s (use --no-store to compare without recording)"), error->message);
          return EXIT_FAILED;
        }
    }

  c.loop = loop;
  c.models = models;
  c.cancellable = cancellable;
  if (!json && isatty (STDOUT_FILENO))
    c.view = rw_terminal_view_new (models, stdout);
  else if (!json)
    c.stream_blocks = TRUE;

  fanout = rw_fanout_new (catalog);
  g_signal_connect (fanout, "delta", G_CALLBACK (on_fanout_delta), &c);
  g_signal_connect (fanout, "model-finished", G_CALLBACK (on_model_finished), &c);
  sigint_id = g_unix_signal_add (SIGINT, on_sigint, &c);

  rw_fanout_run_async (fanout, request, models, cancellable, fanout_done_cb, &c);
  g_main_loop_run (loop);
  g_source_remove (sigint_id);

  if (c.view != NULL)
    rw_terminal_view_close (c.view);

  for (guint i = 0; i < c.results->len; i++)
    if (rw_chat_result_is_ok (c.results->pdata[i]))
      n_ok++;

  if (store != NULL)
    {
      g_autoptr(GError) flush_error = NULL;

      run_id = rw_store_record_compare (store, request, models, c.results, "cli", c.interrupted,
                                        &prompt_id, NULL);
      if (!rw_store_flush (store, &flush_error))
        print_error ("%s", flush_error->message);
    }

  if (json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *text = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "run_id");
      if (run_id)
        json_builder_add_string_value (b, run_id);
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "prompt_id");
      if (prompt_id)
        json_builder_add_string_value (b, prompt_id);
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "prompt");
      json_builder_add_string_value (b, prompt);
      json_builder_set_member_name (b, "task");
      if (task)
        json_builder_add_string_value (b, task);
      else
        json_builder_add_null_value (b);
      json_builder_set_member_name (b, "answers");
      json_builder_begin_array (b);
      for (guint i = 0; i < c.results->len; i++)
        json_builder_add_value (b, rw_chat_result_to_json (c.results->pdata[i]));
      json_builder_end_array (b);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
      text = rw_json_to_string (root, TRUE);
      printf ("%s\n", text);
    }
  else if (run_id != NULL)
    printf (_("Stored as run %s in %s\n"), run_id, rw_store_get_path (store));

  g_clear_pointer (&c.results, g_ptr_array_unref);
  g_clear_pointer (&c.view, rw_terminal_view_free);
  if (store != NULL)
    rw_store_close (store);

  if (c.interrupted)
    return EXIT_INTERRUPTED;
  return n_ok > 0 ? EXIT_OK : EXIT_FAILED;
}

/* ---------------------------------------------------------------------------------- eval */

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
draw_progress (EvalRun *e,
               gboolean final)
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
on_eval_progress (RwEvalRunner *runner,
                  EvalRun      *e)
{
  draw_progress (e, FALSE);
}

static void
eval_done_cb (GObject      *object,
              GAsyncResult *res,
              gpointer      user_data)
{
  EvalRun *e = user_data;

  e->status = rw_eval_runner_run_finish (RW_EVAL_RUNNER (object), res, &e->error);
  g_main_loop_quit (e->loop);
}

static gboolean
on_eval_sigint (gpointer user_data)
{
  EvalRun *e = user_data;

  e->interrupted = TRUE;
  g_cancellable_cancel (e->cancellable);
  return G_SOURCE_CONTINUE;
}

/* @built: (nullable) (transfer full): the run's report when the caller has it; else it is read
 * from @store. */
static int
print_report (RwStore    *store,
              const char *run_id,
              JsonNode   *built,
              const char *format,
              const char *against)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) report = built ? built : rw_eval_report_build (store, run_id, &error);
  g_autofree char *text = NULL;

  if (report == NULL)
    {
      print_error ("%s", error->message);
      return EXIT_USAGE;
    }
  if (against != NULL)
    {
      g_autoptr(JsonNode) earlier = rw_eval_report_build (store, against, &error);
      if (earlier == NULL)
        {
          print_error ("%s", error->message);
          return EXIT_USAGE;
        }
      rw_eval_report_add_comparison (report, earlier);
    }
  if (g_str_equal (format, "json"))
    text = rw_json_to_string (report, TRUE);
  else if (g_str_equal (format, "csv"))
    text = rw_eval_report_to_csv (report);
  else if (g_str_equal (format, "html"))
    text = rw_eval_report_to_html (report);
  else
    {
      g_autofree char *table = rw_eval_report_to_markdown (report);
      g_autofree char *comparison = rw_eval_report_comparison_to_markdown (report);
      text = g_strconcat (table, comparison, NULL);
    }
  printf ("%s\n", text);
  return EXIT_OK;
}

static int
cmd_eval_run (int    argc,
              char **argv)
{
  g_auto(GStrv) model_ids = NULL;
  g_autofree char *resume = NULL;
  g_autofree char *judge_id = NULL;
  gint repeat = 1, concurrency = 8;
  double budget = 0;
  gboolean no_cache = FALSE, json = FALSE, no_pairwise = FALSE;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_STRING_ARRAY, &model_ids, N_("A model to evaluate"), N_("MODEL") },
    { "repeat", 0, 0, G_OPTION_ARG_INT, &repeat, N_("Ask each item this many times (default 1)"), N_("N") },
    { "concurrency", 'j', 0, G_OPTION_ARG_INT, &concurrency,
      N_("Requests in flight at once (default 8)"), N_("N") },
    { "budget", 0, 0, G_OPTION_ARG_DOUBLE, &budget,
      N_("Stop before spending more than this many US dollars"), N_("USD") },
    { "resume", 0, 0, G_OPTION_ARG_STRING, &resume, N_("Continue this run"), N_("RUN") },
    { "judge", 0, 0, G_OPTION_ARG_STRING, &judge_id,
      N_("Rate answers by the suite's judge graders, and compare every pair of answers in both "
         "orders, with this model"), N_("MODEL") },
    { "no-pairwise", 0, 0, G_OPTION_ARG_NONE, &no_pairwise,
      N_("With --judge, only rate by the judge graders; do not compare pairs"), NULL },
    { "no-cache", 0, 0, G_OPTION_ARG_NONE, &no_cache,
      N_("Ask again even when the same request was answered before"), NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print the report as JSON"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new (_("SUITE"));
  g_autoptr(GError) error = NULL;
  g_autoptr(RwCatalog) catalog = NULL;
  g_autoptr(RwStore) store = NULL;
  g_autoptr(RwSuite) suite = NULL;
  g_autoptr(RwEvalRunner) runner = NULL;
  g_autoptr(GPtrArray) models = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  EvalRun e = { 0 };
  guint sigint_id;
  int rc;

  g_option_context_set_summary (ctx, _("Run a suite (JSONL, CSV or a promptfoo configuration) against models, grade every "
                                       "answer and store everything. Running the same command "
                                       "again, or --resume RUN, continues without sending what "
                                       "is already stored."));
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      print_error ("%s", error->message);
      return EXIT_USAGE;
    }
  if (argc != 2)
    {
      print_error (_("give one suite file"));
      return EXIT_USAGE;
    }
  if (model_ids == NULL || repeat < 1 || repeat > 1000 || concurrency < 1 || concurrency > 1024 ||
      budget < 0)
    {
      print_error (_("name at least one model with -m; --repeat 1 to 1000, --concurrency 1 to "
                     "1024, --budget 0 or more"));
      return EXIT_USAGE;
    }
  if ((suite = rw_suite_new_from_file (argv[1], &error)) == NULL)
    {
      print_error ("%s", error->message);
      return EXIT_USAGE;
    }
  if ((catalog = load_catalog ()) == NULL)
    return EXIT_USAGE;
  for (guint i = 0; model_ids[i]; i++)
    {
      RwModel *model = rw_catalog_resolve_model (catalog, model_ids[i], &error);
      if (model == NULL)
        {
          print_error ("%s", error->message);
          return EXIT_USAGE;
        }
      g_ptr_array_add (models, model);
    }
  if ((store = rw_store_open_default (&error)) == NULL)
    {
      print_error ("%s", error->message);
      return EXIT_FAILED;
    }

  /* Answers that come within 2 ms of each other (which only a local or cached upstream
   * manages) share a transaction; slower runs commit each answer. */
  rw_store_set_group_commit (store, TRUE);
  runner = rw_eval_runner_new (catalog, store, suite, models, repeat);
  rw_eval_runner_set_concurrency (runner, concurrency);
  rw_eval_runner_set_budget (runner, budget);
  rw_eval_runner_set_use_cache (runner, !no_cache);
  if (judge_id != NULL)
    {
      g_autoptr(RwModel) judge = rw_catalog_resolve_model (catalog, judge_id, &error);
      if (judge == NULL)
        {
          print_error ("%s", error->message);
          return EXIT_USAGE;
        }
      rw_eval_runner_set_judge (runner, judge);
      rw_eval_runner_set_pairwise (runner, !no_pairwise);
    }
  if (!rw_eval_runner_prepare (runner, resume, &error))
    {
      print_error ("%s", error->message);
      return EXIT_USAGE;
    }

  {
    g_autofree char *budget_text = budget > 0 ? g_strdup_printf (_(" (budget $%.4f)"), budget)
                                              : g_strdup ("");
    fprintf (stderr, _("%s run %s: %u answers (%u items × %u models × %u), %u already stored or "
                       "cached, estimated cost of the rest at most $%.4f%s\n"),
             rw_eval_runner_is_resumed (runner) ? _("Resuming") : _("Starting"),
             rw_eval_runner_get_run_id (runner), rw_eval_runner_get_n_total (runner),
             rw_suite_get_n_items (suite), models->len, (guint) repeat,
             rw_eval_runner_get_n_done (runner), rw_eval_runner_get_estimate (runner), budget_text);
  }

  e.loop = loop;
  e.runner = runner;
  e.tty = isatty (STDERR_FILENO);
  e.start_us = g_get_monotonic_time ();
  e.start_done = rw_eval_runner_get_n_done (runner);
  e.cancellable = cancellable;
  g_signal_connect (runner, "progress", G_CALLBACK (on_eval_progress), &e);
  sigint_id = g_unix_signal_add (SIGINT, on_eval_sigint, &e);
  rw_eval_runner_run_async (runner, cancellable, eval_done_cb, &e);
  g_main_loop_run (loop);
  g_source_remove (sigint_id);
  draw_progress (&e, TRUE);

  if (e.error != NULL)
    {
      print_error ("%s", e.error->message);
      g_clear_error (&e.error);
      return EXIT_FAILED;
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
      rw_store_close (store);
      return EXIT_INTERRUPTED;
    }
  rc = print_report (store, rw_eval_runner_get_run_id (runner),
                     rw_eval_runner_build_report (runner), json ? "json" : "md", NULL);
  rw_store_close (store);
  if (rc != EXIT_OK)
    return rc;
  return g_str_equal (e.status, "done") ? EXIT_OK : EXIT_FAILED;
}

static int
cmd_eval_report (int    argc,
                 char **argv)
{
  g_autofree char *format = NULL;
  g_autofree char *against = NULL;
  GOptionEntry entries[] = {
    { "format", 'f', 0, G_OPTION_ARG_STRING, &format, N_("md (default), json, csv or html"), N_("FORMAT") },
    { "against", 0, 0, G_OPTION_ARG_STRING, &against, N_("Compare with an earlier run"), N_("RUN") },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new (_("RUN"));
  g_autoptr(GError) error = NULL;
  g_autoptr(RwStore) store = NULL;
  g_autofree char *run_id = NULL;

  g_option_context_set_summary (ctx, _("Report an evaluation run: per model and task, the pass "
                                       "rate with its 95% interval, the mean score, cost, "
                                       "latency and failures. RUN may be “latest”."));
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      print_error ("%s", error->message);
      return EXIT_USAGE;
    }
  if (argc != 2)
    {
      print_error (_("give a run id, or “latest”"));
      return EXIT_USAGE;
    }
  if (format == NULL)
    format = g_strdup ("md");
  if (!g_str_equal (format, "md") && !g_str_equal (format, "json") && !g_str_equal (format, "csv") &&
      !g_str_equal (format, "html"))
    {
      print_error (_("the format is md, json, csv or html"));
      return EXIT_USAGE;
    }
  if ((store = rw_store_open_default (&error)) == NULL)
    {
      print_error ("%s", error->message);
      return EXIT_FAILED;
    }
  if (g_str_equal (argv[1], "latest"))
    {
      g_autoptr(GPtrArray) rows = rw_store_query (store, "SELECT id FROM runs WHERE kind = 'eval' "
                                                         "ORDER BY created_ms DESC LIMIT 1", NULL, &error);
      if (rows == NULL || rows->len == 0)
        {
          print_error (_("there is no evaluation run yet"));
          return EXIT_USAGE;
        }
      run_id = g_strdup (((char **) rows->pdata[0])[0]);
    }
  else
    run_id = g_strdup (argv[1]);
  return print_report (store, run_id, NULL, format, against);
}

static int
cmd_eval_grade (int    argc,
                char **argv)
{
  gboolean pass = FALSE, fail = FALSE;
  double score = -1;
  g_autofree char *note = NULL;
  GOptionEntry entries[] = {
    { "pass", 0, 0, G_OPTION_ARG_NONE, &pass, N_("The answer passes"), NULL },
    { "fail", 0, 0, G_OPTION_ARG_NONE, &fail, N_("The answer fails"), NULL },
    { "score", 0, 0, G_OPTION_ARG_DOUBLE, &score, N_("A score from 0 to 1"), N_("SCORE") },
    { "note", 0, 0, G_OPTION_ARG_STRING, &note, N_("Why"), N_("TEXT") },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new (_("RESPONSE"));
  g_autoptr(GError) error = NULL;
  g_autoptr(RwStore) store = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  const char *params[] = { NULL, NULL };

  g_option_context_set_summary (ctx, _("Grade an answer yourself. A person's grade overrides the "
                                       "machine grades in reports, and stays."));
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      print_error ("%s", error->message);
      return EXIT_USAGE;
    }
  if (argc != 2 || pass == fail || (score != -1 && (score < 0 || score > 1)))
    {
      print_error (_("give one response id and exactly one of --pass or --fail (--score 0 to 1)"));
      return EXIT_USAGE;
    }
  if ((store = rw_store_open_default (&error)) == NULL)
    {
      print_error ("%s", error->message);
      return EXIT_FAILED;
    }
  params[0] = argv[1];
  rows = rw_store_query (store, "SELECT id FROM responses WHERE id = ?1", params, &error);
  if (rows == NULL || rows->len == 0)
    {
      print_error (_("there is no answer %s"), argv[1]);
      return EXIT_USAGE;
    }
  rw_store_record_grade (store, argv[1], "human", score >= 0 ? score : (pass ? 1.0 : 0.0), pass,
                         note, "human");
  if (!rw_store_flush (store, &error))
    {
      print_error ("%s", error->message);
      return EXIT_FAILED;
    }
  rw_store_close (store);
  return EXIT_OK;
}

static int
cmd_eval (int    argc,
          char **argv)
{
  if (argc >= 2 && g_str_equal (argv[1], "grade"))
    return cmd_eval_grade (argc - 1, argv + 1);
  if (argc >= 2 && g_str_equal (argv[1], "run"))
    return cmd_eval_run (argc - 1, argv + 1);
  if (argc >= 2 && g_str_equal (argv[1], "report"))
    return cmd_eval_report (argc - 1, argv + 1);
  print_error (_("usage: routewise-cli eval run SUITE -m MODEL… | eval report RUN | "
                 "eval grade RESPONSE --pass|--fail"));
  return EXIT_USAGE;
}

/* -------------------------------------------------------------------------------- import */

static int
cmd_import (int    argc,
            char **argv)
{
  g_autoptr(GOptionContext) ctx = g_option_context_new (_("promptfoo FILE | routellm PATH"));
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(RwStore) store = NULL;
  JsonObject *root;

  g_option_context_set_summary (ctx, _("Import from promptfoo. A configuration (YAML or JSON, with "
                                       "the files it names) is printed as "
                                       "a Routewise suite (JSONL); a result file (promptfoo eval "
                                       "-o results.json) is stored as an evaluation run, with its "
                                       "grades and pairwise outcomes. RouteLLM's per-item "
                                       "correctness (a CSV, or a folder of them: MMLU's subjects "
                                       "become tasks) is stored as a graded run."));
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      print_error ("%s", error->message);
      return EXIT_USAGE;
    }
  if (argc == 3 && g_str_equal (argv[1], "routellm"))
    {
      g_autoptr(RwCatalog) catalog = NULL;
      g_autofree char *run_id = NULL;
      guint n = 0;

      if ((catalog = load_catalog ()) == NULL)
        return EXIT_USAGE;
      if ((store = rw_store_open_default (&error)) == NULL)
        {
          print_error ("%s", error->message);
          return EXIT_FAILED;
        }
      if ((run_id = rw_routellm_import (store, catalog, argv[2], &n, &error)) == NULL)
        {
          print_error ("%s", error->message);
          return EXIT_USAGE;
        }
      fprintf (stderr, _("Imported %u items as run %s\n"), n, run_id);
      return print_report (store, run_id, NULL, "md", NULL);
    }
  if (argc != 3 || !g_str_equal (argv[1], "promptfoo"))
    {
      print_error (_("usage: routewise-cli import promptfoo FILE | import routellm FILE-OR-FOLDER"));
      return EXIT_USAGE;
    }
  if ((node = rw_promptfoo_read_data_file (argv[2], &error)) == NULL)
    {
      print_error ("%s", error->message);
      return EXIT_USAGE;
    }
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      print_error (_("%s is neither a promptfoo configuration nor a result file"), argv[2]);
      return EXIT_USAGE;
    }
  root = json_node_get_object (node);

  if (rw_promptfoo_is_config (root))
    {
      g_autofree char *dir = g_path_get_dirname (argv[2]);
      g_autofree char *base = g_path_get_basename (argv[2]);
      g_autofree char *jsonl = rw_promptfoo_config_to_jsonl (root, dir, base, &error);
      if (jsonl == NULL)
        {
          print_error ("%s", error->message);
          return EXIT_USAGE;
        }
      fputs (jsonl, stdout);
      return EXIT_OK;
    }
  if (rw_promptfoo_is_results (root))
    {
      g_autofree char *run_id = NULL;
      guint n = 0;

      if ((store = rw_store_open_default (&error)) == NULL)
        {
          print_error ("%s", error->message);
          return EXIT_FAILED;
        }
      run_id = rw_promptfoo_import_results (store, root, argv[2], &n, &error);
      if (run_id == NULL)
        {
          print_error ("%s", error->message);
          return EXIT_FAILED;
        }
      fprintf (stderr, _("Imported %u answers as run %s\n"), n, run_id);
      return print_report (store, run_id, NULL, "md", NULL);
    }
  print_error (_("%s is neither a promptfoo configuration nor a result file"), argv[2]);
  return EXIT_USAGE;
}

/* --------------------------------------------------------------------------------- serve */

static gboolean
on_stop_signal (gpointer user_data)
{
  g_main_loop_quit (user_data);
  return G_SOURCE_REMOVE;
}

static int
cmd_serve (int    argc,
           char **argv)
{
  gint port = 8642;
  /* The loops share the processors with the store's writer, the clients and, often, a local
   * model server: on 2 processors one loop keeps the 99th percentile at 16 connections near
   * 1.8 ms where two loops let it reach 4.4 ms, for the same throughput. */
  gint threads = (gint) CLAMP (g_get_num_processors () / 2, 1, 4);
  g_autofree char *policy_path = NULL;
  double request_ceiling = 0, daily_ceiling = 0;
  GOptionEntry entries[] = {
    { "port", 'p', 0, G_OPTION_ARG_INT, &port, N_("The port on 127.0.0.1 (default 8642; 0 for any)"),
      N_("PORT") },
    { "threads", 0, 0, G_OPTION_ARG_INT, &threads,
      N_("Event loops that serve connections (default: one per two processors, 1 to 4)"),
      N_("N") },
    { "policy", 0, 0, G_OPTION_ARG_FILENAME, &policy_path,
      N_("The routing policy for routewise/auto"), N_("FILE") },
    { "request-ceiling", 0, 0, G_OPTION_ARG_DOUBLE, &request_ceiling,
      N_("Refuse requests estimated to cost more than this many US dollars"), N_("USD") },
    { "daily-ceiling", 0, 0, G_OPTION_ARG_DOUBLE, &daily_ceiling,
      N_("Refuse requests once a day's spend would pass this many US dollars"), N_("USD") },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(RwCatalog) catalog = NULL;
  g_autoptr(RwStore) store = NULL;
  g_autoptr(RwRouter) router = NULL;
  g_autoptr(RwServer) server = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autofree char *config_dir = rw_paths_config_dir ();
  g_autofree char *token_path = g_build_filename (config_dir, "token", NULL);
  g_autofree char *token = NULL;
  g_autofree char *run_id = NULL;

  g_option_context_set_summary (ctx, _("Serve the OpenAI-compatible endpoint on 127.0.0.1: "
                                       "POST /v1/chat/completions and GET /v1/models. Every "
                                       "request needs the bearer token kept in the file “token” "
                                       "of the configuration folder."));
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      print_error ("%s", error->message);
      return EXIT_USAGE;
    }
  if (port < 0 || port > 65535 || request_ceiling < 0 || daily_ceiling < 0)
    {
      print_error (_("the port must be 0 to 65535, and ceilings 0 or more"));
      return EXIT_USAGE;
    }
  if (threads < 1 || threads > 64)
    {
      print_error (_("--threads must be 1 to 64"));
      return EXIT_USAGE;
    }
  if ((catalog = load_catalog ()) == NULL)
    return EXIT_USAGE;
  discover_now (catalog);

  store = rw_store_open_default (&error);
  if (store == NULL)
    {
      print_error ("%s", error->message);
      return EXIT_FAILED;
    }
  /* The request log may share transactions under load; see rw_store_set_group_commit(). */
  rw_store_set_group_commit (store, TRUE);
  router = rw_router_new (catalog, store);
  if (policy_path != NULL)
    {
      g_autoptr(RwPolicy) policy = rw_policy_new_from_file (policy_path, &error);
      if (policy == NULL)
        {
          print_error ("%s", error->message);
          return EXIT_USAGE;
        }
      rw_router_set_policy (router, policy);
    }
  rw_router_set_cost_ceilings (router, request_ceiling, daily_ceiling);
  run_id = rw_store_begin_run (store, "serve", NULL);
  rw_router_set_run_id (router, run_id);

  token = rw_server_load_token (token_path, &error);
  if (token == NULL)
    {
      print_error ("%s", error->message);
      return EXIT_FAILED;
    }
  server = rw_server_new (router, token);
  rw_server_set_threads (server, (guint) threads);
  if (!rw_server_listen (server, (guint16) port, &error))
    {
      print_error ("%s", error->message);
      return EXIT_FAILED;
    }

  printf (_("Routewise is serving http://127.0.0.1:%u/v1\n"), rw_server_get_port (server));
  printf (_("Token: %s (send it as “Authorization: Bearer …”)\n"), token_path);
  printf (_("Model routewise/auto routes by the policy; any catalog model is served with its "
            "fallbacks.\n"));
  fflush (stdout);

  g_unix_signal_add (SIGINT, on_stop_signal, loop);
  g_unix_signal_add (SIGTERM, on_stop_signal, loop);
  g_main_loop_run (loop);

  rw_server_stop (server);
  rw_store_finish_run (store, run_id, "done");
  g_clear_object (&server);
  rw_store_close (store);
  printf (_("Stopped.\n"));
  return EXIT_OK;
}

/* ------------------------------------------------------------------------------- learning */

static gboolean
write_or_print (const char  *path,
                const char  *text)
{
  g_autoptr(GError) error = NULL;

  if (path == NULL || g_str_equal (path, "-"))
    {
      fputs (text, stdout);
      if (*text && text[strlen (text) - 1] != '\n')
        fputc ('\n', stdout);
      return TRUE;
    }
  if (!g_file_set_contents (path, text, -1, &error))
    {
      print_error ("%s", error->message);
      return FALSE;
    }
  return TRUE;
}

static int
cmd_ratings (int    argc,
             char **argv)
{
  g_autofree char *task = NULL;
  g_autofree char *csv = NULL;
  gboolean json = FALSE;
  gint bootstrap = 200;
  GOptionEntry entries[] = {
    { "task", 't', 0, G_OPTION_ARG_STRING, &task, N_("Only this task"), N_("TASK") },
    { "comparisons", 0, 0, G_OPTION_ARG_FILENAME, &csv,
      N_("Rate the comparisons of this CSV file (model_a, model_b, winner[, task, weight]) "
         "instead of the stored ones"), N_("FILE") },
    { "bootstrap", 0, 0, G_OPTION_ARG_INT, &bootstrap,
      N_("Bootstrap replicates for the 95% intervals (default 200)"), N_("N") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(RwComparisons) comparisons = rw_comparisons_new ();
  g_autoptr(RwStore) store = NULL;
  g_autoptr(JsonNode) rated = NULL;
  JsonArray *tasks;

  g_option_context_set_summary (ctx, _("Bradley-Terry ratings per task from every pairwise "
                                       "outcome: votes, judge verdicts, graded pairs, imports. "
                                       "Ranks tie where the 95% intervals overlap."));
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (ctx, &argc, &argv, &error) || argc != 1 || bootstrap < 0 ||
      bootstrap > 100000)
    {
      print_error ("%s", error ? error->message : _("usage: routewise-cli ratings [--task T] [--json]"));
      return EXIT_USAGE;
    }
  if (csv != NULL)
    {
      if (!rw_comparisons_load_csv (comparisons, csv, &error))
        {
          print_error ("%s", error->message);
          return EXIT_USAGE;
        }
    }
  else
    {
      if ((store = rw_store_open_default (&error)) == NULL ||
          !rw_comparisons_load_store (comparisons, store, &error))
        {
          print_error ("%s", error->message);
          return EXIT_FAILED;
        }
    }
  rated = rw_comparisons_rate (comparisons, task, bootstrap, 1);
  if (json)
    {
      g_autofree char *text = rw_json_to_string (rated, TRUE);
      write_or_print (NULL, text);
      return EXIT_OK;
    }
  tasks = rw_json_object_get_array (json_node_get_object (rated), "tasks");
  if (json_array_get_length (tasks) == 0)
    {
      print_error (_("no pairwise outcomes yet: vote in the window, run “eval run” with two or "
                     "more models, or import some"));
      return EXIT_FAILED;
    }
  for (guint t = 0; t < json_array_get_length (tasks); t++)
    {
      JsonObject *to = json_array_get_object_element (tasks, t);
      JsonArray *models = rw_json_object_get_array (to, "models");

      printf (_("## %s (%" G_GINT64_FORMAT " comparisons)\n\n"), rw_json_object_get_string (to, "task", NULL),
              rw_json_object_get_int (to, "comparisons", 0));
      printf ("| %s | %s | %s | %s | %s | %s |\n|---:|---|---:|---|---:|---:|\n", _("rank"), _("model"),
              _("rating"), _("95% interval"), _("wins"), _("losses"));
      for (guint m = 0; m < json_array_get_length (models); m++)
        {
          JsonObject *mo = json_array_get_object_element (models, m);
          printf ("| %" G_GINT64_FORMAT " | %s | %.0f | %.0f–%.0f | %.1f | %.1f |\n",
                  rw_json_object_get_int (mo, "rank", 0), rw_json_object_get_string (mo, "model", NULL),
                  rw_json_object_get_double (mo, "rating", 0), rw_json_object_get_double (mo, "ci_low", 0),
                  rw_json_object_get_double (mo, "ci_high", 0), rw_json_object_get_double (mo, "wins", 0),
                  rw_json_object_get_double (mo, "losses", 0));
        }
      printf ("\n");
    }
  return EXIT_OK;
}

static JsonNode *
read_policy (const char  *path,
             GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(RwPolicy) check = NULL;

  /* What the router would refuse is refused here too. */
  if ((check = rw_policy_new_from_file (path, error)) == NULL)
    return NULL;
  if (!json_parser_load_from_file (parser, path, error))
    return NULL;
  return json_node_copy (json_parser_get_root (parser));
}

static int
cmd_policy (int    argc,
            char **argv)
{
  g_autofree char *output = NULL;
  g_autofree char *format = NULL;
  g_autofree char *strong = NULL;
  g_autofree char *weak = NULL;
  double cost_weight = 0, budget = 0, ceiling = 0, latency = 0;
  gint folds = 5;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "cost-weight", 'w', 0, G_OPTION_ARG_DOUBLE, &cost_weight,
      N_("learn: quality points given up per US dollar per 1,000 requests (default 0)"), N_("W") },
    { "budget", 0, 0, G_OPTION_ARG_DOUBLE, &budget,
      N_("learn: keep the expected cost of 1,000 requests within this many US dollars"), N_("USD") },
    { "ceiling", 0, 0, G_OPTION_ARG_DOUBLE, &ceiling,
      N_("learn: leave out models whose answers cost more than this on average"), N_("USD") },
    { "latency", 0, 0, G_OPTION_ARG_DOUBLE, &latency,
      N_("learn: leave out models whose median latency is longer"), N_("MS") },
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, N_("Write to this file"), N_("FILE") },
    { "folds", 'k', 0, G_OPTION_ARG_INT, &folds, N_("evaluate: folds (default 5)"), N_("K") },
    { "strong", 0, 0, G_OPTION_ARG_STRING, &strong, N_("evaluate: the strong model"), N_("MODEL") },
    { "weak", 0, 0, G_OPTION_ARG_STRING, &weak, N_("evaluate: the weak model"), N_("MODEL") },
    { "format", 'f', 0, G_OPTION_ARG_STRING, &format,
      N_("export: routewise, portkey, openrouter or litellm"), N_("FORMAT") },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("evaluate: print JSON"), NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new (_("learn | evaluate POLICY | export POLICY"));
  g_autoptr(GError) error = NULL;
  g_autoptr(RwStore) store = NULL;
  g_autoptr(GPtrArray) outcomes = NULL;

  g_option_context_set_summary (ctx, _("Learn a routing policy from the stored grades and "
                                       "comparisons, prove it on held-out data, and export it "
                                       "for the router or a production gateway."));
  g_option_context_add_main_entries (ctx, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      print_error ("%s", error->message);
      return EXIT_USAGE;
    }
  if (argc < 2 || cost_weight < 0 || budget < 0 || ceiling < 0 || latency < 0 || folds < 2 ||
      folds > 100)
    {
      print_error (_("usage: routewise-cli policy learn [--cost-weight W | --budget USD] -o FILE | "
                     "evaluate FILE | export FILE --format F"));
      return EXIT_USAGE;
    }

  if (g_str_equal (argv[1], "export"))
    {
      g_autoptr(JsonNode) policy = NULL;
      g_autoptr(RwCatalog) catalog = NULL;
      g_autofree char *text = NULL;

      if (argc != 3)
        {
          print_error (_("usage: routewise-cli policy export FILE --format F"));
          return EXIT_USAGE;
        }
      if ((policy = read_policy (argv[2], &error)) == NULL)
        {
          print_error ("%s", error->message);
          return EXIT_USAGE;
        }
      if ((catalog = load_catalog ()) == NULL)
        return EXIT_USAGE;
      if ((text = rw_policy_export (json_node_get_object (policy), catalog, format ? format : "routewise",
                                    &error)) == NULL)
        {
          print_error ("%s", error->message);
          return EXIT_USAGE;
        }
      return write_or_print (output, text) ? EXIT_OK : EXIT_FAILED;
    }

  if ((store = rw_store_open_default (&error)) == NULL ||
      (outcomes = rw_learn_load_outcomes (store, &error)) == NULL)
    {
      print_error ("%s", error->message);
      return EXIT_FAILED;
    }

  if (g_str_equal (argv[1], "learn") && argc == 2)
    {
      RwLearnOptions o = { cost_weight, budget, ceiling, latency };
      g_autoptr(RwComparisons) comparisons = rw_comparisons_new ();
      g_autoptr(JsonNode) policy = NULL;
      g_autofree char *text = NULL;
      JsonObject *learned, *tasks;
      g_autoptr(GList) names = NULL;

      if (!rw_comparisons_load_store (comparisons, store, &error) ||
          (policy = rw_policy_learn (outcomes, comparisons, &o, &error)) == NULL)
        {
          print_error ("%s", error->message);
          return EXIT_FAILED;
        }
      text = rw_json_to_string (policy, TRUE);
      if (!write_or_print (output, text))
        return EXIT_FAILED;
      if (output == NULL)
        return EXIT_OK;

      learned = rw_json_object_get_object (json_node_get_object (policy), "learned");
      tasks = rw_json_object_get_object (learned, "tasks");
      fprintf (stderr, _("Learned from %" G_GINT64_FORMAT " graded answers to %" G_GINT64_FORMAT
                         " items and %" G_GINT64_FORMAT " comparisons; cost weight %g, expected "
                         "$%.4f per 1,000 requests.\n"),
               rw_json_object_get_int (rw_json_object_get_object (learned, "data"), "graded_answers", 0),
               rw_json_object_get_int (rw_json_object_get_object (learned, "data"), "items", 0),
               rw_json_object_get_int (rw_json_object_get_object (learned, "data"), "comparisons", 0),
               rw_json_object_get_double (learned, "cost_weight", 0),
               rw_json_object_get_double (learned, "expected_cost_per_1k", 0));
      if (!json_object_get_null_member (learned, "classifier_accuracy") &&
          json_object_has_member (json_node_get_object (policy), "classifier"))
        fprintf (stderr, _("Task classifier: %.1f%% right on %" G_GINT64_FORMAT " held-out prompts.\n"),
                 100 * rw_json_object_get_double (learned, "classifier_accuracy", 0),
                 rw_json_object_get_int (learned, "classifier_tested_on", 0));
      names = g_list_sort (json_object_get_members (tasks), (GCompareFunc) g_strcmp0);
      printf ("| %s | %s | %s | %s | %s |\n|---|---:|---|---:|---:|\n", _("task"), _("items"),
              _("model"), _("quality (95% interval)"), _("cost per 1k"));
      for (GList *l = names; l; l = l->next)
        {
          JsonObject *t = rw_json_object_get_object (tasks, l->data);
          JsonArray *models = rw_json_object_get_array (t, "models");
          JsonObject *top;
          if (json_array_get_length (models) == 0)
            continue;
          top = json_array_get_object_element (models, 0);
          printf ("| %s | %" G_GINT64_FORMAT " | %s | %.1f%% (%.1f–%.1f) | $%.4f |\n", (char *) l->data,
                  rw_json_object_get_int (t, "items", 0), rw_json_object_get_string (top, "model", NULL),
                  100 * rw_json_object_get_double (top, "quality", 0),
                  100 * rw_json_object_get_double (top, "ci_low", 0),
                  100 * rw_json_object_get_double (top, "ci_high", 0),
                  1000 * rw_json_object_get_double (top, "cost_usd", 0));
        }
      fprintf (stderr, _("Policy written to %s\n"), output);
      return EXIT_OK;
    }

  if (g_str_equal (argv[1], "evaluate") && argc == 3)
    {
      g_autoptr(JsonNode) policy = NULL;
      g_autoptr(JsonNode) evaluation = NULL;
      g_autofree char *text = NULL;

      if ((policy = read_policy (argv[2], &error)) == NULL)
        {
          print_error ("%s", error->message);
          return EXIT_USAGE;
        }
      if ((evaluation = rw_policy_evaluate (outcomes, json_node_get_object (policy), folds, strong,
                                            weak, &error)) == NULL)
        {
          print_error ("%s", error->message);
          return EXIT_FAILED;
        }
      if (json)
        text = rw_json_to_string (evaluation, TRUE);
      else
        text = rw_policy_evaluation_to_text (evaluation);
      return write_or_print (output, text) ? EXIT_OK : EXIT_FAILED;
    }

  print_error (_("usage: routewise-cli policy learn [--cost-weight W | --budget USD] -o FILE | "
                 "evaluate FILE | export FILE --format F"));
  return EXIT_USAGE;
}

/* ------------------------------------------------------------------------------------ main */

typedef struct
{
  const char *name;
  int (*func) (int argc, char **argv);
  const char *summary;
} Command;

static const Command commands[] = {
  { "compare", cmd_compare, N_("Send one prompt to several models and show the answers side by side") },
  { "models", cmd_models, N_("List the models with their prices") },
  { "providers", cmd_providers, N_("List the providers and where their keys come from") },
  { "prompts", cmd_prompts, N_("List the bundled prompts and their tasks") },
  { "import", cmd_import, N_("Import promptfoo configurations and results, RouteLLM's grades") },
  { "ratings", cmd_ratings, N_("Bradley-Terry ratings per task from the pairwise outcomes") },
  { "policy", cmd_policy, N_("Learn a routing policy, evaluate it on held-out data, export it") },
  { "eval", cmd_eval, N_("Run a suite against models (eval run) and report it (eval report)") },
  { "serve", cmd_serve, N_("Serve the OpenAI-compatible endpoint on 127.0.0.1") },
};

static void
usage (FILE *out)
{
  fprintf (out, _("Usage: routewise-cli COMMAND [OPTION…]\n\nCommands:\n"));
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-11s %s\n", commands[i].name, _(commands[i].summary));
  fprintf (out, _("\n`routewise-cli COMMAND --help` describes a command.\n"
                  "Configuration: $ROUTEWISE_CONFIG_DIR/providers.json; "
                  "data: $ROUTEWISE_DATA_DIR/routewise.db\n"));
}

int
main (int    argc,
      char **argv)
{
#ifdef __GLIBC__
  /* glibc gives the free top of a thread's heap back to the system as soon as it passes
   * 128 KiB, and takes it again at the next allocation. The database writer frees and
   * reallocates its page cache in waves, so it spent a fifth of its time in madvise() and the
   * TLB shootdowns that interrupt the other threads. Keep up to 8 MiB. */
  mallopt (M_TRIM_THRESHOLD, 8 * 1024 * 1024);
#endif
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_prgname ("routewise-cli");

  if (argc < 2 || g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h") ||
      g_str_equal (argv[1], "help"))
    {
      usage (argc < 2 ? stderr : stdout);
      return argc < 2 ? EXIT_USAGE : EXIT_OK;
    }
  if (g_str_equal (argv[1], "--version"))
    {
      printf ("routewise-cli %s\n", PACKAGE_VERSION);
      return EXIT_OK;
    }

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (argv[1], commands[i].name))
      {
        g_autofree char *prgname = g_strdup_printf ("routewise-cli %s", commands[i].name);
        g_set_prgname (prgname);
        return commands[i].func (argc - 1, argv + 1);
      }

  print_error (_("unknown command “%s”"), argv[1]);
  usage (stderr);
  return EXIT_USAGE;
}
