/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "rw-cli-context.h"
#include "rw-cli-printer.h"

typedef struct
{
  gboolean no_discover;
} ProvidersOptions;

static const GOptionEntry providers_entries[] = {
  { "no-discover", 0, 0, G_OPTION_ARG_NONE, RW_CLI_OPTION_FIELD (ProvidersOptions, no_discover),
    N_("Do not look for local servers"), NULL },
  { NULL }
};

static int
providers_run (RwCliContext *cli,
               gpointer      data,
               int           argc,
               char        **argv)
{
  ProvidersOptions *o = data;
  g_autofree char *path = rw_paths_providers_file ();
  g_autoptr(GPtrArray) providers = NULL;

  if (!o->no_discover)
    rw_cli_context_discover (cli);

  printf (_("Configuration: %s%s\n"), path,
          g_file_test (path, G_FILE_TEST_EXISTS) ? "" : _(" (absent: defaults only)"));
  printf ("%-14s %-9s %-40s %s\n", _("PROVIDER"), _("KIND"), _("BASE URL"), _("KEY"));
  providers = rw_catalog_list_providers (rw_cli_context_get_catalog (cli));
  for (guint i = 0; i < providers->len; i++)
    {
      RwProvider *p = providers->pdata[i];
      const char *env = rw_provider_get_api_key_env (p);
      const char *source = rw_provider_get_api_key_source (p);
      g_autofree char *key = g_strcmp0 (source, "keyring") == 0 ? g_strdup (_("keyring")) :
        env == NULL ? g_strdup (_("none needed")) :
        g_strdup_printf ("$%s (%s)", env, source != NULL ? _("set") : _("not set"));

      printf ("%-14s %-9s %-40s %s\n", rw_provider_get_id (p), rw_provider_get_kind (p),
              rw_provider_get_base_url (p) ? rw_provider_get_base_url (p) : "-", key);
    }
  return RW_CLI_EXIT_OK;
}

const RwCliCommand rw_cli_command_providers = {
  .name = "providers",
  .summary = N_("List the providers and where their keys come from"),
  .help = N_("List the providers and where their keys come from."),
  .options_size = sizeof (ProvidersOptions),
  .entries = providers_entries,
  .max_args = -1,
  .needs = RW_CLI_NEEDS_CATALOG,
  .run = providers_run,
};
