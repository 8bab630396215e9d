/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>

#include "rw-cli-context.h"
#include "rw-cli-printer.h"

typedef struct
{
  char *policy_path;
  char *task;
  gboolean json;
  gboolean from_stdin;
} ClassifyOptions;

/* The longest request line --stdin reads; the rest of a longer one is skipped, and said. */
#define CLASSIFY_LINE_MAX (16u << 20)

#define FIELD(f) RW_CLI_OPTION_FIELD (ClassifyOptions, f)
static const GOptionEntry classify_entries[] = {
  { "policy", 0, 0, G_OPTION_ARG_FILENAME, FIELD (policy_path),
    N_("Classify by this policy (default: the active policy)"), N_("FILE") },
  { "task", 't', 0, G_OPTION_ARG_STRING, FIELD (task),
    N_("The task the request names, as the x-routewise-task header does"), N_("TASK") },
  { "json", 0, 0, G_OPTION_ARG_NONE, FIELD (json), N_("Print JSON"), NULL },
  { "stdin", 0, 0, G_OPTION_ARG_NONE, FIELD (from_stdin),
    N_("Classify each line of standard input, a JSON request, with the policy loaded once, and "
       "print a JSON line for each as it comes"), NULL },
  { NULL }
};
#undef FIELD

#define CLASSIFY_USAGE N_("usage: routewise-cli classify [--policy FILE] [--task TASK] PROMPT… | --stdin")

static JsonNode *
classify_to_json (const char  *task,
                  char       **models)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "task");
  json_builder_add_string_value (b, task);
  json_builder_set_member_name (b, "models");
  json_builder_begin_array (b);
  for (guint i = 0; models != NULL && models[i] != NULL; i++)
    json_builder_add_string_value (b, models[i]);
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* One line of --stdin as a request: a JSON string is the prompt; an object gives "prompt" or
 * Chat Completions' "messages", and may name its "task" (as metadata.task or the header
 * would). */
static RwChatRequest *
classify_read_request (const char  *line,
                       gsize        len,
                       const char  *task,
                       GError     **error)
{
  g_autoptr(JsonNode) node = rw_json_parse_line (line, len, error);
  g_autoptr(RwChatRequest) request = NULL;
  JsonObject *o;
  JsonObject *metadata;
  const char *named;

  if (node == NULL)
    return NULL;
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    request = rw_chat_request_new_for_prompt (json_node_get_string (node));
  else if (JSON_NODE_HOLDS_OBJECT (node))
    {
      o = json_node_get_object (node);
      if (rw_json_object_get_string (o, "prompt", NULL) != NULL)
        request = rw_chat_request_new_for_prompt (rw_json_object_get_string (o, "prompt", NULL));
      else if (json_object_has_member (o, "messages"))
        {
          request = rw_chat_request_new ();
          if (!rw_chat_request_set_messages_from_json (request,
                                                       json_object_get_member (o, "messages"),
                                                       error))
            return NULL;
        }
      metadata = rw_json_object_get_object (o, "metadata");
      named = rw_json_object_get_string (o, "task",
                                         metadata ? rw_json_object_get_string (metadata, "task",
                                                                               NULL) : NULL);
      if (request != NULL && named != NULL && *named != '\0')
        rw_chat_request_set_task (request, named);
    }
  if (request == NULL)
    {
      g_set_error_literal (error, RW_ERROR, RW_ERROR_BAD_REQUEST,
                           "a line is a JSON string (the prompt) or an object with “prompt” or "
                           "“messages”");
      return NULL;
    }
  if (task != NULL && rw_chat_request_get_task (request) == NULL)
    rw_chat_request_set_task (request, task);
  return g_steal_pointer (&request);
}

/* --stdin: a JSON line out for each request line in, flushed at once, so that a script can keep
 * one process and ask it request by request. A line that is not a request gets {"error": ...}
 * in its place, and the exit status says that one failed. */
static int
classify_stream (RwPolicy   *policy,
                 const char *task)
{
  g_autoptr(GString) line = g_string_new (NULL);
  guint number = 0;
  gboolean failed = FALSE, eof = FALSE;

  while (!eof)
    {
      gboolean too_long = FALSE;
      const char *start;
      gsize len;
      int c;

      /* Byte by byte, so that a NUL in a line neither ends it nor joins it to the next. */
      g_string_truncate (line, 0);
      while ((c = getc (stdin)) != EOF && c != '\n')
        {
          if (line->len >= CLASSIFY_LINE_MAX)
            too_long = TRUE;
          else
            g_string_append_c (line, (char) c);
        }
      eof = c == EOF;
      if (eof && line->len == 0)
        break;
      number++;
      start = line->str;
      len = line->len;
      while (len > 0 && g_ascii_isspace (*start))
        start++, len--;
      while (len > 0 && g_ascii_isspace (start[len - 1]))
        len--;
      if (len == 0 && !too_long)
        continue;
      {
        g_autoptr(GError) error = NULL;
        g_autoptr(RwChatRequest) request = NULL;
        g_autoptr(JsonNode) out = NULL;
        g_autofree char *text = NULL;

        if (too_long)
          g_set_error (&error, RW_ERROR, RW_ERROR_BAD_REQUEST, "longer than %u MiB",
                       CLASSIFY_LINE_MAX >> 20);
        else
          request = classify_read_request (start, len, task, &error);
        if (request != NULL)
          {
            g_autofree char *found = rw_policy_classify (policy, request);
            g_auto(GStrv) models = rw_policy_route (policy, RW_POLICY_AUTO_MODEL, found, request);

            out = classify_to_json (found, models);
          }
        else
          {
            /* The JSON reader names the column within the line ("column 7: ..."). */
            g_autofree char *message = g_strdup_printf (g_str_has_prefix (error->message,
                                                                          "column ")
                                                        ? "line %u, %s" : "line %u: %s",
                                                        number, error->message);

            out = json_node_init_object (json_node_alloc (), json_object_new ());
            json_object_set_string_member (json_node_get_object (out), "error", message);
            failed = TRUE;
          }
        text = rw_json_to_string (out, FALSE);
        printf ("%s\n", text);
        fflush (stdout);
      }
    }
  return failed ? RW_CLI_EXIT_FAILED : RW_CLI_EXIT_OK;
}

/* What routewise/auto would do with a prompt: its task, as the policy's rules and classifier
 * find it (or as given), and the models in the order they would be tried. For scripts in front
 * of a gateway that cannot classify, which set the task themselves. */
static int
classify_run (RwCliContext *cli,
              gpointer      data,
              int           argc,
              char        **argv)
{
  ClassifyOptions *o = data;
  RwStore *store = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(RwPolicy) policy = NULL;
  g_autofree char *text = NULL;
  g_autoptr(RwChatRequest) request = NULL;
  g_autofree char *task = NULL;
  g_auto(GStrv) models = NULL;

  if ((argc > 1) == o->from_stdin)
    {
      rw_cli_print_error ("%s", _(CLASSIFY_USAGE));
      return RW_CLI_EXIT_USAGE;
    }
  /* With a file, the database is not opened (nor made, on a machine in front of a gateway
   * that has none). */
  if (o->policy_path != NULL)
    policy = rw_policy_new_from_file (o->policy_path, &error);
  else if ((store = rw_cli_context_get_store (cli)) == NULL)
    return RW_CLI_EXIT_FAILED;
  else
    policy = rw_policy_new_from_store (store, NULL, NULL, &error);
  if (policy == NULL)
    {
      if (error != NULL)
        rw_cli_print_error ("%s", error->message);
      else
        rw_cli_print_error (_("no policy is active: give one with --policy FILE, or make one "
                              "active with “policy activate”"));
      return RW_CLI_EXIT_USAGE;
    }
  if (o->from_stdin)
    return classify_stream (policy, o->task);
  text = g_strjoinv (" ", argv + 1);
  request = rw_chat_request_new_for_prompt (text);
  if (o->task != NULL)
    rw_chat_request_set_task (request, o->task);
  task = rw_policy_classify (policy, request);
  models = rw_policy_route (policy, RW_POLICY_AUTO_MODEL, task, request);
  if (o->json)
    {
      g_autoptr(JsonNode) root = classify_to_json (task, models);

      rw_cli_print_json (root);
      return RW_CLI_EXIT_OK;
    }
  printf (_("task: %s\n"), task ? task : "");
  for (guint i = 0; models != NULL && models[i] != NULL; i++)
    printf (i == 0 ? _("model: %s\n") : _("then: %s\n"), models[i]);
  return RW_CLI_EXIT_OK;
}

const RwCliCommand rw_cli_command_classify = {
  .name = "classify",
  .parameter_string = N_("PROMPT… | --stdin"),
  .summary = N_("Which task a prompt is and which model routewise/auto would pick"),
  .help = N_("Which task a prompt is, by the policy's rules and classifier, and the models "
             "routewise/auto would try for it, in order: for scripts in front of a gateway "
             "that cannot classify, which set the task themselves (Portkey's metadata task). "
             "With --stdin, each line is a request: a JSON string (the prompt), or an object "
             "with “prompt” or Chat Completions' “messages”, and “task” or metadata.task if "
             "it names one; each gets a JSON line with its task and models, or its error."),
  .options_size = sizeof (ClassifyOptions),
  .entries = classify_entries,
  .min_args = 0,
  .max_args = -1,
  .args_error = CLASSIFY_USAGE,
  .run = classify_run,
};
