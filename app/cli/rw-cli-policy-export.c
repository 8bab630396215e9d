/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "rw-cli-context.h"
#include "rw-cli-policy-file.h"
#include "rw-cli-printer.h"

typedef struct
{
  char *format;
  char *output;
} PolicyExportOptions;

static const GOptionEntry policy_export_entries[] = {
  { "format", 'f', 0, G_OPTION_ARG_STRING, RW_CLI_OPTION_FIELD (PolicyExportOptions, format),
    N_("routewise (default), portkey, openrouter or litellm"), N_("FORMAT") },
  { "output", 'o', 0, G_OPTION_ARG_FILENAME, RW_CLI_OPTION_FIELD (PolicyExportOptions, output),
    N_("Write to this file"), N_("FILE") },
  { NULL }
};

static int
policy_export_run (RwCliContext *cli,
                   gpointer      data,
                   int           argc,
                   char        **argv)
{
  PolicyExportOptions *o = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) policy = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) notes = NULL;

  if ((policy = rw_cli_read_policy_file (argv[1], &error)) == NULL)
    {
      rw_cli_print_error ("%s", error->message);
      return RW_CLI_EXIT_USAGE;
    }
  if (rw_cli_context_get_catalog (cli) == NULL)
    return RW_CLI_EXIT_USAGE;
  if ((text = rw_exporter_export_with_notes (json_node_get_object (policy),
                                            rw_cli_context_get_catalog (cli),
                                            o->format ? o->format : "routewise", &notes,
                                            &error)) == NULL)
    {
      rw_cli_print_error ("%s", error->message);
      return RW_CLI_EXIT_USAGE;
    }
  /* What the gateway's format could not carry, on stderr. */
  for (guint i = 0; notes != NULL && notes[i] != NULL; i++)
    g_printerr (_("Not carried: %s\n"), notes[i]);
  return rw_cli_write_or_print (o->output, text) ? RW_CLI_EXIT_OK : RW_CLI_EXIT_FAILED;
}

const RwCliCommand rw_cli_command_policy_export = {
  .name = "policy export",
  .parameter_string = N_("POLICY"),
  .summary = N_("Export a policy for the router or a production gateway"),
  .help = N_("Export a policy: as Routewise's own policy file, as a Portkey gateway config, as "
             "OpenRouter request presets (in OpenRouter's model ids) or as a LiteLLM proxy "
             "config. What the gateway's format cannot carry (the router per prompt, the task "
             "classifier, models the gateway does not serve) is said on stderr, with how a "
             "caller sets the task."),
  .options_size = sizeof (PolicyExportOptions),
  .entries = policy_export_entries,
  .min_args = 1,
  .max_args = 1,
  .args_error = N_("usage: routewise-cli policy export FILE --format F"),
  .run = policy_export_run,
};
