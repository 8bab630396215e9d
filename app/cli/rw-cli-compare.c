/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <glib/gi18n.h>
#include <glib-unix.h>
#include <stdio.h>
#include <unistd.h>

#include "rw-cli-context.h"
#include "rw-cli-printer.h"
#include "rw-terminal.h"

typedef struct
{
  char **model_ids;
  gboolean json;
  char *sample;
  char *task;
  char *system_prompt;
  gint max_tokens;
  double temperature;
  gboolean no_stream;
  double timeout;
  double first_token_timeout;
  double idle_timeout;
  gboolean no_store;
} CompareOptions;

#define FIELD(f) RW_CLI_OPTION_FIELD (CompareOptions, f)
static const GOptionEntry compare_entries[] = {
  { "model", 'm', 0, G_OPTION_ARG_STRING_ARRAY, FIELD (model_ids),
    N_("A model to ask; repeat it to compare several"), N_("MODEL") },
  { "json", 0, 0, G_OPTION_ARG_NONE, FIELD (json),
    N_("Print one JSON document with every answer, its metrics and its error"), NULL },
  { "sample", 0, 0, G_OPTION_ARG_STRING, FIELD (sample),
    N_("Use a bundled prompt (see `routewise-cli prompts`)"), N_("ID") },
  { "task", 't', 0, G_OPTION_ARG_STRING, FIELD (task), N_("The prompt's task"), N_("TASK") },
  { "system", 0, 0, G_OPTION_ARG_STRING, FIELD (system_prompt), N_("A system message"),
    N_("TEXT") },
  { "max-tokens", 0, 0, G_OPTION_ARG_INT, FIELD (max_tokens), N_("The most output tokens"),
    N_("N") },
  { "temperature", 0, 0, G_OPTION_ARG_DOUBLE, FIELD (temperature), N_("Sampling temperature"),
    N_("T") },
  { "no-stream", 0, 0, G_OPTION_ARG_NONE, FIELD (no_stream), N_("Ask for whole answers"), NULL },
  { "timeout", 0, 0, G_OPTION_ARG_DOUBLE, FIELD (timeout),
    N_("Seconds each answer may take in all (default 600)"), N_("SECONDS") },
  { "first-token-timeout", 0, 0, G_OPTION_ARG_DOUBLE, FIELD (first_token_timeout),
    N_("Seconds to wait for the first token (default 60)"), N_("SECONDS") },
  { "idle-timeout", 0, 0, G_OPTION_ARG_DOUBLE, FIELD (idle_timeout),
    N_("Seconds a stream may stall between tokens (default 30)"), N_("SECONDS") },
  { "no-store", 0, 0, G_OPTION_ARG_NONE, FIELD (no_store), N_("Do not record the run"), NULL },
  { NULL }
};
#undef FIELD

typedef struct
{
  GMainLoop *loop;
  GPtrArray *models;
  GPtrArray *results;
  RwTerminalView *view;
  GCancellable *cancellable;
  gboolean interrupted;
  gboolean stream_blocks;   /* not a terminal: print each answer when it is complete */
  char *run_id;             /* what the fan-out recorded, with a store */
  char *prompt_id;
} Compare;

static void
compare_init (gpointer data)
{
  CompareOptions *o = data;

  o->temperature = NAN;   /* the models' own */
  o->timeout = 600;
  o->first_token_timeout = 60;
  o->idle_timeout = 30;
}

static int
compare_check (gpointer data,
               int      argc,
               char   **argv)
{
  CompareOptions *o = data;

  if (o->model_ids == NULL || g_strv_length (o->model_ids) == 0)
    {
      rw_cli_print_error (_("name at least one model with -m MODEL; `routewise-cli models` "
                            "lists them"));
      return RW_CLI_EXIT_USAGE;
    }
  if (!rw_cli_check_range ("timeout", o->timeout, 0, 86400, TRUE) ||
      !rw_cli_check_range ("first-token-timeout", o->first_token_timeout, 0, 86400, TRUE) ||
      !rw_cli_check_range ("idle-timeout", o->idle_timeout, 0, 86400, TRUE) ||
      !rw_cli_check_range ("max-tokens", o->max_tokens, 0, INFINITY, FALSE) ||
      (!isnan (o->temperature) && !rw_cli_check_range ("temperature", o->temperature, 0, 2,
                                                       FALSE)))
    return RW_CLI_EXIT_USAGE;
  return 0;
}

static void
compare_on_delta (RwFanout   *fanout,
                  guint       index,
                  const char *text,
                  Compare    *c)
{
  if (c->view != NULL)
    rw_terminal_view_append (c->view, index, text);
}

static void
compare_on_model_finished (RwFanout     *fanout,
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
compare_run_cb (GObject      *object,
                GAsyncResult *res,
                gpointer      user_data)
{
  Compare *c = user_data;
  const char *run_id = NULL, *prompt_id = NULL;

  c->results = rw_fanout_run_finish (RW_FANOUT (object), res, NULL);
  if (rw_fanout_get_recorded (RW_FANOUT (object), res, &run_id, &prompt_id, NULL))
    {
      c->run_id = g_strdup (run_id);
      c->prompt_id = g_strdup (prompt_id);
    }
  g_main_loop_quit (c->loop);
}

static gboolean
compare_on_sigint (gpointer user_data)
{
  Compare *c = user_data;

  c->interrupted = TRUE;
  g_cancellable_cancel (c->cancellable);
  return G_SOURCE_CONTINUE;
}

static char *
compare_read_stdin (void)
{
  g_autoptr(GString) s = g_string_new (NULL);
  char buf[4096];
  size_t n;

  while ((n = fread (buf, 1, sizeof buf, stdin)) > 0)
    g_string_append_len (s, buf, n);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* Returns: (transfer full) (nullable): the prompt, from --sample, standard input or the
 * arguments, or %NULL after printing why there is none */
static char *
compare_read_prompt (CompareOptions  *o,
                     int              argc,
                     char           **argv)
{
  g_autofree char *prompt = NULL;

  if (o->sample != NULL)
    {
      RwSamplePrompt *p = rw_prompt_library_lookup (rw_prompt_library_get_default (), o->sample);
      if (p == NULL)
        {
          rw_cli_print_error (_("no bundled prompt “%s”; `routewise-cli prompts` lists them"),
                              o->sample);
          return NULL;
        }
      prompt = g_strdup (rw_sample_prompt_get_text (p));
    }
  else if (argc == 2 && g_str_equal (argv[1], "-"))
    prompt = compare_read_stdin ();
  else if (argc > 1)
    prompt = g_strjoinv (" ", argv + 1);

  if (prompt == NULL || *g_strstrip (prompt) == '\0')
    {
      rw_cli_print_error (_("give a prompt, “-” to read it from standard input, or --sample ID"));
      return NULL;
    }
  if (!g_utf8_validate (prompt, -1, NULL))
    {
      rw_cli_print_error (_("the prompt is not valid UTF-8"));
      return NULL;
    }
  return g_steal_pointer (&prompt);
}

static RwChatRequest *
compare_build_request (CompareOptions *o,
                       const char     *prompt)
{
  RwChatRequest *request = rw_chat_request_new ();

  if (o->system_prompt != NULL)
    rw_chat_request_add_message (request, "system", o->system_prompt);
  rw_chat_request_add_message (request, "user", prompt);
  if (o->task == NULL)
    o->task = g_strdup (rw_prompt_library_task_for (rw_prompt_library_get_default (), prompt));
  rw_chat_request_set_task (request, o->task);
  request->stream = !o->no_stream;
  request->max_tokens = o->max_tokens;
  request->temperature = isnan (o->temperature) ? -1 : o->temperature;
  request->total_timeout_ms = (guint) (o->timeout * 1000);
  request->first_token_timeout_ms = (guint) (o->first_token_timeout * 1000);
  request->idle_timeout_ms = (guint) (o->idle_timeout * 1000);
  return request;
}

static void
compare_print_json (const char *run_id,
                    const char *prompt_id,
                    const char *prompt,
                    const char *task,
                    GPtrArray  *results)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

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
  for (guint i = 0; i < results->len; i++)
    json_builder_add_value (b, rw_chat_result_to_json (results->pdata[i]));
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  rw_cli_print_json (root);
}

static int
compare_run (RwCliContext *cli,
             gpointer      data,
             int           argc,
             char        **argv)
{
  CompareOptions *o = data;
  g_autoptr(RwChatRequest) request = NULL;
  g_autoptr(GPtrArray) models = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(RwFanout) fanout = NULL;
  g_autofree char *prompt = NULL;
  RwStore *store = NULL;
  Compare c = { 0 };
  guint sigint_id;
  guint n_ok = 0;

  if ((prompt = compare_read_prompt (o, argc, argv)) == NULL)
    return RW_CLI_EXIT_USAGE;
  if (rw_cli_context_get_catalog (cli) == NULL ||
      (models = rw_cli_context_resolve_models (cli, (const char * const *) o->model_ids,
                                               TRUE)) == NULL)
    return RW_CLI_EXIT_USAGE;
  request = compare_build_request (o, prompt);

  if (!o->no_store)
    {
      g_autoptr(GError) error = NULL;

      if ((store = rw_cli_context_open_store (cli, &error)) == NULL)
        {
          rw_cli_print_error (_("%s (use --no-store to compare without recording)"),
                              error->message);
          return RW_CLI_EXIT_FAILED;
        }
    }

  c.loop = loop;
  c.models = models;
  c.cancellable = cancellable;
  if (!o->json && isatty (STDOUT_FILENO))
    c.view = rw_terminal_view_new (models, stdout);
  else if (!o->json)
    c.stream_blocks = TRUE;

  fanout = rw_fanout_new (rw_cli_context_get_catalog (cli));
  rw_fanout_set_store (fanout, store, "cli");
  g_signal_connect (fanout, "delta", G_CALLBACK (compare_on_delta), &c);
  g_signal_connect (fanout, "model-finished", G_CALLBACK (compare_on_model_finished), &c);
  sigint_id = g_unix_signal_add (SIGINT, compare_on_sigint, &c);

  rw_fanout_run_async (fanout, request, models, cancellable, compare_run_cb, &c);
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

      if (!rw_store_flush (store, &flush_error))
        rw_cli_print_error ("%s", flush_error->message);
    }

  if (o->json)
    compare_print_json (c.run_id, c.prompt_id, prompt, o->task, c.results);
  else if (c.run_id != NULL)
    printf (_("Stored as run %s in %s\n"), c.run_id, rw_store_get_path (store));

  g_clear_pointer (&c.run_id, g_free);
  g_clear_pointer (&c.prompt_id, g_free);
  g_clear_pointer (&c.results, g_ptr_array_unref);
  g_clear_pointer (&c.view, rw_terminal_view_free);

  if (c.interrupted)
    return RW_CLI_EXIT_INTERRUPTED;
  return n_ok > 0 ? RW_CLI_EXIT_OK : RW_CLI_EXIT_FAILED;
}

const RwCliCommand rw_cli_command_compare = {
  .name = "compare",
  .parameter_string = N_("[PROMPT…]"),
  .summary = N_("Send one prompt to several models and show the answers side by side"),
  .help = N_("Send one prompt to several models at once and show the answers side by side. The "
             "prompt is the arguments, or standard input when it is “-”."),
  .description = N_("Exit status: 0 when at least one model answered, 1 when none did, 2 for a "
                    "bad command line or configuration, 130 when interrupted."),
  .options_size = sizeof (CompareOptions),
  .entries = compare_entries,
  .init = compare_init,
  .max_args = -1,
  .check = compare_check,
  .run = compare_run,
};
