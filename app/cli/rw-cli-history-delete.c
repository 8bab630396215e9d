/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "rw-cli-context.h"
#include "rw-cli-history.h"
#include "rw-cli-printer.h"

static int
history_delete_run (RwCliContext *cli,
                    gpointer      data,
                    int           argc,
                    char        **argv)
{
  RwStore *store = rw_cli_context_get_store (cli);
  g_autoptr(GError) error = NULL;
  int rc = RW_CLI_EXIT_OK;
  g_autoptr(RwStoredComparison) c = rw_cli_history_lookup (store, argv[1], &rc);

  if (c == NULL)
    return rc;
  rw_store_delete_comparison (store, argv[1]);
  if (!rw_store_flush (store, &error))
    {
      rw_cli_print_error ("%s", error->message);
      return RW_CLI_EXIT_FAILED;
    }
  return RW_CLI_EXIT_OK;
}

const RwCliCommand rw_cli_command_history_delete = {
  .name = "history delete",
  .parameter_string = N_("ID"),
  .summary = N_("Delete a comparison, its answers and its votes"),
  .help = N_("Delete a comparison with its answers, their grades and its votes, which no longer "
             "count in the ratings."),
  .min_args = 1,
  .max_args = 1,
  .args_error = N_("give one comparison id (see “history list”)"),
  .needs = RW_CLI_NEEDS_STORE,
  .run = history_delete_run,
};
