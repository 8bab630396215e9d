/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "rw-cli-context.h"
#include "rw-cli-policy-file.h"
#include "rw-cli-printer.h"

typedef struct
{
  gboolean json;
} PolicyListOptions;

static const GOptionEntry policy_list_entries[] = {
  { "json", 0, 0, G_OPTION_ARG_NONE, RW_CLI_OPTION_FIELD (PolicyListOptions, json),
    N_("Print JSON"), NULL },
  { NULL }
};

static int
policy_list_run (RwCliContext *cli,
                 gpointer      data,
                 int           argc,
                 char        **argv)
{
  PolicyListOptions *o = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) policies = rw_store_list_policies (rw_cli_context_get_store (cli),
                                                          &error);
  g_autoptr(JsonBuilder) b = json_builder_new ();

  if (policies == NULL)
    {
      rw_cli_print_error ("%s", error->message);
      return RW_CLI_EXIT_FAILED;
    }
  if (!o->json && policies->len == 0)
    {
      printf (_("No policy is kept. “policy learn --save NAME” keeps one.\n"));
      return RW_CLI_EXIT_OK;
    }
  if (!o->json)
    printf ("  %-24s %-17s %s\n", _("NAME"), _("SAVED"), _("ID"));
  json_builder_begin_array (b);
  for (guint i = 0; i < policies->len; i++)
    {
      RwStoredPolicy *p = policies->pdata[i];
      g_autoptr(GDateTime) t = g_date_time_new_from_unix_local (p->created_ms / 1000);
      g_autofree char *when = g_date_time_format (t, "%Y-%m-%d %H:%M");

      if (!o->json)
        {
          printf ("%s %-24s %-17s %s\n", p->active ? "*" : " ", p->name, when, p->id);
          continue;
        }
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "id");
      json_builder_add_string_value (b, p->id);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, p->name);
      json_builder_set_member_name (b, "active");
      json_builder_add_boolean_value (b, p->active);
      json_builder_set_member_name (b, "created_ms");
      json_builder_add_int_value (b, p->created_ms);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  if (o->json)
    {
      g_autoptr(JsonNode) root = json_builder_get_root (b);
      rw_cli_print_json (root);
    }
  return RW_CLI_EXIT_OK;
}

const RwCliCommand rw_cli_command_policy_list = {
  .name = "policy list",
  .summary = N_("List the kept policies; * marks the one routewise/auto routes by"),
  .options_size = sizeof (PolicyListOptions),
  .entries = policy_list_entries,
  .max_args = 0,
  .args_error = RW_CLI_POLICY_USAGE,
  .needs = RW_CLI_NEEDS_STORE,
  .run = policy_list_run,
};
