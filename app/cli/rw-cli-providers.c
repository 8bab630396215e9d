/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "rw-cli-context.h"
#include "rw-cli-printer.h"

typedef struct
{
  gboolean no_discover;
  gboolean test;
} ProvidersOptions;

static const GOptionEntry providers_entries[] = {
  { "no-discover", 0, 0, G_OPTION_ARG_NONE, RW_CLI_OPTION_FIELD (ProvidersOptions, no_discover),
    N_("Do not look for local servers"), NULL },
  { "test", 't', 0, G_OPTION_ARG_NONE, RW_CLI_OPTION_FIELD (ProvidersOptions, test),
    N_("Ask each provider for its models, with its key, and say what came back"), NULL },
  { NULL }
};

/* One provider's test: its model list, or why there is none. */
typedef struct
{
  gboolean done;
  GPtrArray *models;
  GError *error;
} Test;

static void
providers_tested (GObject      *object,
                  GAsyncResult *res,
                  gpointer      user_data)
{
  Test *t = user_data;

  t->models = rw_provider_list_models_finish (RW_PROVIDER (object), res, &t->error);
  t->done = TRUE;
}

static void
test_clear (Test *t)
{
  g_clear_pointer (&t->models, g_ptr_array_unref);
  g_clear_error (&t->error);
}

/* What a test found, on one line: "works: 3 models (a, b, c)" or "failed: why". */
static char *
providers_describe (const Test *t)
{
  GString *text = g_string_new (NULL);

  if (t->models == NULL)
    {
      g_autofree char *line = g_strdelimit (g_strdup (t->error->message), "\r\n", ' ');

      g_string_printf (text, _("failed: %s"), line);
      return g_string_free (text, FALSE);
    }
  g_string_printf (text, g_dngettext (GETTEXT_PACKAGE, "works: %u model", "works: %u models",
                                      t->models->len), t->models->len);
  for (guint i = 0; i < t->models->len && i < 3; i++)
    g_string_append_printf (text, "%s%s", i == 0 ? " (" : ", ",
                            rw_model_get_upstream_name (t->models->pdata[i]));
  if (t->models->len > 3)
    g_string_append (text, ", …");
  if (t->models->len > 0)
    g_string_append_c (text, ')');
  return g_string_free (text, FALSE);
}

static int
providers_run (RwCliContext *cli,
               gpointer      data,
               int           argc,
               char        **argv)
{
  ProvidersOptions *o = data;
  g_autofree char *path = rw_paths_providers_file ();
  g_autoptr(GPtrArray) providers = NULL;
  g_autofree Test *tests = NULL;
  guint failed = 0;

  if (!o->no_discover)
    rw_cli_context_discover (cli);

  providers = rw_catalog_list_providers (rw_cli_context_get_catalog (cli));
  /* Only the providers named, when some are. */
  for (int a = 1; a < argc; a++)
    if (rw_catalog_lookup_provider (rw_cli_context_get_catalog (cli), argv[a]) == NULL)
      {
        rw_cli_print_error (_("no provider “%s”: routewise-cli providers lists them"), argv[a]);
        return RW_CLI_EXIT_USAGE;
      }
  for (guint i = providers->len; argc > 1 && i-- > 0;)
    if (!g_strv_contains ((const char * const *) argv + 1,
                          rw_provider_get_id (providers->pdata[i])))
      g_ptr_array_remove_index (providers, i);
  if (o->test)
    {
      /* Every provider at once, each within its time limit. */
      tests = g_new0 (Test, providers->len);
      for (guint i = 0; i < providers->len; i++)
        rw_provider_list_models_async (providers->pdata[i], NULL, providers_tested, &tests[i]);
      for (guint i = 0; i < providers->len; i++)
        while (!tests[i].done)
          g_main_context_iteration (NULL, TRUE);
    }

  printf (_("Configuration: %s%s\n"), path,
          g_file_test (path, G_FILE_TEST_EXISTS) ? "" : _(" (absent: defaults only)"));
  printf ("%-14s %-9s %-40s %s\n", _("PROVIDER"), _("KIND"), _("BASE URL"), _("KEY"));
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
      if (tests != NULL)
        {
          g_autofree char *found = providers_describe (&tests[i]);

          printf ("  %s\n", found);
          failed += tests[i].models == NULL;
          test_clear (&tests[i]);
        }
    }
  return failed > 0 ? RW_CLI_EXIT_FAILED : RW_CLI_EXIT_OK;
}

const RwCliCommand rw_cli_command_providers = {
  .name = "providers",
  .summary = N_("List the providers and where their keys come from"),
  .help = N_("List the providers (or those named) and where their keys come from. With "
             "--test, ask each for its model list with its key, as the app's Test does: the "
             "exit status is 1 when any of them failed."),
  .options_size = sizeof (ProvidersOptions),
  .entries = providers_entries,
  .max_args = -1,
  .needs = RW_CLI_NEEDS_CATALOG,
  .run = providers_run,
};
