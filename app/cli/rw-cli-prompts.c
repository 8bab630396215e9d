/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "rw-cli-context.h"

static int
prompts_run (RwCliContext *cli,
             gpointer      data,
             int           argc,
             char        **argv)
{
  GListModel *prompts = rw_prompt_library_get_prompts (rw_prompt_library_get_default ());

  printf ("%-20s %-11s %s\n", _("ID"), _("TASK"), _("PROMPT"));
  for (guint i = 0; i < g_list_model_get_n_items (prompts); i++)
    {
      g_autoptr(RwSamplePrompt) p = g_list_model_get_item (prompts, i);
      printf ("%-20s %-11s %s\n", rw_sample_prompt_get_id (p), rw_sample_prompt_get_task (p),
              rw_sample_prompt_get_title (p));
    }
  return RW_CLI_EXIT_OK;
}

const RwCliCommand rw_cli_command_prompts = {
  .name = "prompts",
  .summary = N_("List the bundled prompts and their tasks"),
  .help = N_("List the bundled prompts, with their tasks, for compare --sample."),
  .max_args = -1,
  .run = prompts_run,
};
