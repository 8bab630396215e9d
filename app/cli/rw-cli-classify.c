/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "rw-cli-context.h"
#include "rw-cli-printer.h"

typedef struct
{
  char *policy_path;
  char *task;
  gboolean json;
} ClassifyOptions;

#define FIELD(f) RW_CLI_OPTION_FIELD (ClassifyOptions, f)
static const GOptionEntry classify_entries[] = {
  { "policy", 0, 0, G_OPTION_ARG_FILENAME, FIELD (policy_path),
    N_("Classify by this policy (default: the active policy)"), N_("FILE") },
  { "task", 't', 0, G_OPTION_ARG_STRING, FIELD (task),
    N_("The task the request names, as the x-routewise-task header does"), N_("TASK") },
  { "json", 0, 0, G_OPTION_ARG_NONE, FIELD (json), N_("Print JSON"), NULL },
  { NULL }
};
#undef FIELD

#define CLASSIFY_USAGE N_("usage: routewise-cli classify [--policy FILE] [--task TASK] PROMPT…")

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
  g_autoptr(GError) error = NULL;
  g_autoptr(RwPolicy) policy = NULL;
  g_autofree char *text = g_strjoinv (" ", argv + 1);
  g_autoptr(RwChatRequest) request = rw_chat_request_new_for_prompt (text);
  g_autofree char *task = NULL;
  g_auto(GStrv) models = NULL;

  if (o->policy_path != NULL)
    policy = rw_policy_new_from_file (o->policy_path, &error);
  else
    policy = rw_policy_new_from_store (rw_cli_context_get_store (cli), NULL, NULL, &error);
  if (policy == NULL)
    {
      if (error != NULL)
        rw_cli_print_error ("%s", error->message);
      else
        rw_cli_print_error (_("no policy is active: give one with --policy FILE, or make one "
                              "active with “policy activate”"));
      return RW_CLI_EXIT_USAGE;
    }
  if (o->task != NULL)
    rw_chat_request_set_task (request, o->task);
  task = rw_policy_classify (policy, request);
  models = rw_policy_route (policy, RW_POLICY_AUTO_MODEL, task, request);
  if (o->json)
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "task");
      json_builder_add_string_value (b, task);
      json_builder_set_member_name (b, "models");
      json_builder_begin_array (b);
      for (guint i = 0; models != NULL && models[i] != NULL; i++)
        json_builder_add_string_value (b, models[i]);
      json_builder_end_array (b);
      json_builder_end_object (b);
      root = json_builder_get_root (b);
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
  .parameter_string = N_("PROMPT…"),
  .summary = N_("Which task a prompt is and which model routewise/auto would pick"),
  .help = N_("Which task a prompt is, by the policy's rules and classifier, and the models "
             "routewise/auto would try for it, in order: for scripts in front of a gateway "
             "that cannot classify, which set the task themselves (Portkey's metadata task)."),
  .options_size = sizeof (ClassifyOptions),
  .entries = classify_entries,
  .min_args = 1,
  .max_args = -1,
  .args_error = CLASSIFY_USAGE,
  .needs = RW_CLI_NEEDS_STORE,
  .run = classify_run,
};
