/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "rw-cli-context.h"
#include "rw-cli-printer.h"

static int
keys_delete_run (RwCliContext *cli,
                 gpointer      data,
                 int           argc,
                 char        **argv)
{
  g_autoptr(GError) error = NULL;
  gboolean removed = FALSE;

  if (!rw_keyring_clear (argv[1], &removed, &error))
    {
      rw_cli_print_error ("%s", error->message);
      return RW_CLI_EXIT_FAILED;
    }
  if (!removed)
    {
      rw_cli_print_error (_("the keyring holds no key of %s"), argv[1]);
      return RW_CLI_EXIT_FAILED;
    }
  fprintf (stderr, _("Removed the key of %s from the keyring.\n"), argv[1]);
  return RW_CLI_EXIT_OK;
}

const RwCliCommand rw_cli_command_keys_delete = {
  .name = "keys delete",
  .parameter_string = N_("PROVIDER"),
  .summary = N_("Remove a provider's key from the keyring"),
  .help = N_("Remove a provider's key from the keyring."),
  .min_args = 1,
  .max_args = 1,
  .args_error = N_("give one provider (see `routewise-cli keys list`)"),
  .run = keys_delete_run,
};
