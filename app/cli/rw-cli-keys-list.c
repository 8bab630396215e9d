/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "rw-cli-context.h"
#include "rw-cli-printer.h"

typedef struct
{
  gboolean json;
} KeysListOptions;

static const GOptionEntry keys_list_entries[] = {
  { "json", 0, 0, G_OPTION_ARG_NONE, RW_CLI_OPTION_FIELD (KeysListOptions, json),
    N_("Print JSON"), NULL },
  { NULL }
};

/* Where the provider's key comes from, in words, and which of "environment", "keyring",
 * "none" or "not needed" that is. */
static char *
keys_list_describe (RwProvider  *p,
                    const char **kind)
{
  const char *env = rw_provider_get_api_key_env (p);
  const char *source = rw_provider_get_api_key_source (p);

  *kind = source ? source : RW_PROVIDER_GET_CLASS (p)->takes_api_key ? "none" : "not needed";
  if (g_strcmp0 (source, "environment") == 0)
    return g_strdup_printf (_("environment ($%s)"), env);
  if (g_strcmp0 (source, "keyring") == 0)
    return env ? g_strdup_printf (_("keyring ($%s not set)"), env) : g_strdup (_("keyring"));
  if (!RW_PROVIDER_GET_CLASS (p)->takes_api_key)
    return g_strdup (_("none needed"));
  return env ? g_strdup_printf (_("none (keyring empty, $%s not set)"), env)
             : g_strdup (_("none (keyring empty)"));
}

static int
keys_list_run (RwCliContext *cli,
               gpointer      data,
               int           argc,
               char        **argv)
{
  KeysListOptions *o = data;
  g_autoptr(GPtrArray) providers = rw_catalog_list_providers (rw_cli_context_get_catalog (cli));
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(GError) error = NULL;

  if (!rw_keyring_check (&error))
    rw_cli_print_error ("%s", error->message);
  if (!o->json)
    printf ("%-14s %s\n", _("PROVIDER"), _("KEY"));
  json_builder_begin_array (b);
  for (guint i = 0; i < providers->len; i++)
    {
      RwProvider *p = providers->pdata[i];
      const char *kind = NULL;
      g_autofree char *text = keys_list_describe (p, &kind);

      if (!o->json)
        {
          printf ("%-14s %s\n", rw_provider_get_id (p), text);
          continue;
        }
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "provider");
      json_builder_add_string_value (b, rw_provider_get_id (p));
      json_builder_set_member_name (b, "source");
      json_builder_add_string_value (b, kind);
      json_builder_set_member_name (b, "env");
      if (rw_provider_get_api_key_env (p))
        json_builder_add_string_value (b, rw_provider_get_api_key_env (p));
      else
        json_builder_add_null_value (b);
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

const RwCliCommand rw_cli_command_keys_list = {
  .name = "keys list",
  .summary = N_("List the providers and where each one's key comes from"),
  .help = N_("List the providers and where each one's key comes from: the environment variable "
             "it names, the keyring, or nowhere. No key is printed."),
  .options_size = sizeof (KeysListOptions),
  .entries = keys_list_entries,
  .max_args = 0,
  .args_error = N_("keys list takes no arguments"),
  .needs = RW_CLI_NEEDS_CATALOG,
  .run = keys_list_run,
};
