/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>
#include <glib/gi18n.h>

#include "rw-cli-context.h"
#include "rw-cli-printer.h"

/* What the commands of routewise-cli share: each command declares its options, its arguments
 * and what it needs, and the context parses the one and opens the other, once. */
struct _RwCliContext
{
  const RwCliCommand *command;
  RwCatalog *catalog;
  RwStore *store;
  gboolean discovered;
};

static void
rw_cli_context_discover_cb (GObject      *object,
                            GAsyncResult *res,
                            gpointer      user_data)
{
  gboolean *done = user_data;

  rw_catalog_discover_finish (RW_CATALOG (object), res, NULL);
  *done = TRUE;
}

/* Looks for local model servers once, and adds what they serve to the catalog. */
void
rw_cli_context_discover (RwCliContext *self)
{
  gboolean done = FALSE;

  if (self->discovered || rw_cli_context_get_catalog (self) == NULL)
    return;
  self->discovered = TRUE;
  rw_catalog_discover_async (self->catalog, NULL, rw_cli_context_discover_cb, &done);
  while (!done)
    g_main_context_iteration (NULL, TRUE);
}

/* Returns: (transfer none) (nullable): the user's catalog, or %NULL after printing why not */
RwCatalog *
rw_cli_context_get_catalog (RwCliContext *self)
{
  g_autoptr(GError) error = NULL;

  if (self->catalog == NULL && (self->catalog = rw_catalog_new_for_user (&error)) == NULL)
    rw_cli_print_error ("%s", error->message);
  return self->catalog;
}

/* Returns: (transfer none) (nullable): the user's database, opened once */
RwStore *
rw_cli_context_open_store (RwCliContext  *self,
                           GError       **error)
{
  if (self->store == NULL)
    self->store = rw_store_open_default (error);
  return self->store;
}

/* Returns: (transfer none) (nullable): the user's database, or %NULL after printing why not */
RwStore *
rw_cli_context_get_store (RwCliContext *self)
{
  g_autoptr(GError) error = NULL;
  RwStore *store = rw_cli_context_open_store (self, &error);

  if (store == NULL)
    rw_cli_print_error ("%s", error->message);
  return store;
}

/**
 * rw_cli_context_resolve_models:
 * @ids: model ids, %NULL-terminated
 * @discover: whether a model the catalog lacks may be looked for on local servers
 *
 * Returns: (transfer full) (nullable) (element-type RwModel): the models, in order, or %NULL
 *   after printing which one is unknown
 */
GPtrArray *
rw_cli_context_resolve_models (RwCliContext       *self,
                               const char * const *ids,
                               gboolean            discover)
{
  g_autoptr(GPtrArray) models = g_ptr_array_new_with_free_func (g_object_unref);
  RwCatalog *catalog = rw_cli_context_get_catalog (self);

  if (catalog == NULL)
    return NULL;
  for (guint i = 0; ids[i]; i++)
    {
      g_autoptr(GError) error = NULL;
      RwModel *model = rw_catalog_resolve_model (catalog, ids[i], &error);

      if (model == NULL && discover && !self->discovered)
        {
          /* Perhaps a local server serves it. */
          rw_cli_context_discover (self);
          g_clear_error (&error);
          model = rw_catalog_resolve_model (catalog, ids[i], &error);
        }
      if (model == NULL)
        {
          rw_cli_print_error ("%s", error->message);
          return NULL;
        }
      g_ptr_array_add (models, model);
    }
  return g_steal_pointer (&models);
}

/* Returns: (transfer full): the command's options, its own and those it shares, with their
 * arg_data still the offsets of their fields */
static GArray *
rw_cli_context_entries (const RwCliCommand *command)
{
  GArray *entries = g_array_new (TRUE, TRUE, sizeof (GOptionEntry));

  for (const GOptionEntry *e = command->entries; e && e->long_name; e++)
    g_array_append_val (entries, *e);
  for (const GOptionEntry *e = command->shared_entries; e && e->long_name; e++)
    g_array_append_val (entries, *e);
  return entries;
}

/* Frees what the options' strings hold. */
static void
rw_cli_context_free_options (const RwCliCommand *command,
                             gpointer            options)
{
  g_autoptr(GArray) entries = rw_cli_context_entries (command);

  for (guint i = 0; i < entries->len; i++)
    {
      const GOptionEntry *e = &g_array_index (entries, GOptionEntry, i);
      gpointer *field = (gpointer *) ((guint8 *) options + GPOINTER_TO_SIZE (e->arg_data));

      switch (e->arg)
        {
        case G_OPTION_ARG_STRING:
        case G_OPTION_ARG_FILENAME:
          g_clear_pointer (field, g_free);
          break;
        case G_OPTION_ARG_STRING_ARRAY:
        case G_OPTION_ARG_FILENAME_ARRAY:
          g_clear_pointer (field, g_strfreev);
          break;
        default:
          break;
        }
    }
  g_free (options);
}

static gboolean
rw_cli_context_parse (RwCliContext  *self,
                      gpointer       options,
                      int           *argc,
                      char        ***argv)
{
  const RwCliCommand *command = self->command;
  g_autoptr(GOptionContext) ctx = g_option_context_new (command->parameter_string ?
                                                        _(command->parameter_string) : NULL);
  g_autoptr(GArray) entries = rw_cli_context_entries (command);
  g_autoptr(GError) error = NULL;
  g_autofree guint8 *before = NULL;
  int n_args;

  for (guint i = 0; i < entries->len; i++)
    {
      GOptionEntry *e = &g_array_index (entries, GOptionEntry, i);

      e->arg_data = (guint8 *) options + GPOINTER_TO_SIZE (e->arg_data);
    }
  if (command->help != NULL)
    g_option_context_set_summary (ctx, _(command->help));
  if (command->description != NULL)
    g_option_context_set_description (ctx, _(command->description));
  g_option_context_add_main_entries (ctx, (GOptionEntry *) entries->data, GETTEXT_PACKAGE);
  before = g_malloc (MAX (command->options_size, 1));
  memcpy (before, options, command->options_size);
  if (!g_option_context_parse (ctx, argc, argv, &error))
    {
      rw_cli_print_error ("%s", error->message);
      return FALSE;
    }
  /* GLib reads “nan” and “inf” as numbers: an option given one is refused, as any other word. */
  for (guint i = 0; i < entries->len; i++)
    {
      GOptionEntry *e = &g_array_index (entries, GOptionEntry, i);
      gsize at = (guint8 *) e->arg_data - (guint8 *) options;

      if (e->arg == G_OPTION_ARG_DOUBLE &&
          memcmp (before + at, e->arg_data, sizeof (double)) != 0 &&
          !isfinite (*(double *) e->arg_data))
        {
          rw_cli_print_error (_("--%s must be a number"), e->long_name);
          return FALSE;
        }
    }
  n_args = *argc - 1;
  if (n_args < command->min_args || (command->max_args >= 0 && n_args > command->max_args))
    {
      rw_cli_print_error ("%s", _(command->args_error));
      return FALSE;
    }
  return TRUE;
}

/**
 * rw_cli_context_run_command:
 * @argv: the command's name (its last word), then its options and arguments
 *
 * Parses @command's options, checks them, opens what it needs and runs it.
 *
 * Returns: the exit status
 */
int
rw_cli_context_run_command (const RwCliCommand  *command,
                            int                  argc,
                            char               **argv)
{
  g_autofree char *prgname = g_strdup_printf ("routewise-cli %s", command->name);
  RwCliContext self = { .command = command };
  gpointer options = g_malloc0 (MAX (command->options_size, 1));
  int rc;

  g_set_prgname (prgname);
  if (command->init != NULL)
    command->init (options);

  if (!rw_cli_context_parse (&self, options, &argc, &argv))
    rc = RW_CLI_EXIT_USAGE;
  else if (command->check != NULL && (rc = command->check (options, argc, argv)) != 0)
    ;
  else if ((command->needs & (RW_CLI_NEEDS_CATALOG | RW_CLI_NEEDS_DISCOVERY)) &&
           rw_cli_context_get_catalog (&self) == NULL)
    rc = RW_CLI_EXIT_USAGE;
  else if ((command->needs & RW_CLI_NEEDS_STORE) && rw_cli_context_get_store (&self) == NULL)
    rc = RW_CLI_EXIT_FAILED;
  else
    {
      if (command->needs & RW_CLI_NEEDS_DISCOVERY)
        rw_cli_context_discover (&self);
      rc = command->run (&self, options, argc, argv);
    }

  rw_cli_context_free_options (command, options);
  if (self.store != NULL)
    rw_store_close (self.store);
  g_clear_object (&self.store);
  g_clear_object (&self.catalog);
  return rc;
}
