/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "rw-cli-context.h"
#include "rw-cli-printer.h"

static int
history_delete_run (RwCliContext *cli,
                    gpointer      data,
                    int           argc,
                    char        **argv)
{
  RwStore *store = rw_cli_context_get_store (cli);
  g_autoptr(GError) error = NULL;
  g_autoptr(RwStoredComparison) c = rw_store_lookup_comparison (store, argv[1], &error);

  if (c == NULL)
    {
      if (error != NULL)
        {
          rw_cli_print_error ("%s", error->message);
          return RW_CLI_EXIT_FAILED;
        }
      rw_cli_print_error (_("there is no comparison %s"), argv[1]);
      return RW_CLI_EXIT_USAGE;
    }
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
