/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>

#include "rw-cli-context.h"
#include "rw-cli-policy-file.h"
#include "rw-cli-printer.h"

typedef struct
{
  gboolean none;
} PolicyActivateOptions;

static const GOptionEntry policy_activate_entries[] = {
  { "none", 0, 0, G_OPTION_ARG_NONE, RW_CLI_OPTION_FIELD (PolicyActivateOptions, none),
    N_("Make no policy active"), NULL },
  { NULL }
};

static int
policy_activate_check (gpointer data,
                       int      argc,
                       char   **argv)
{
  PolicyActivateOptions *o = data;

  if (o->none == (argc == 2))
    {
      rw_cli_print_error ("%s", _(RW_CLI_POLICY_USAGE));
      return RW_CLI_EXIT_USAGE;
    }
  return 0;
}

static int
policy_activate_run (RwCliContext *cli,
                     gpointer      data,
                     int           argc,
                     char        **argv)
{
  PolicyActivateOptions *o = data;
  RwStore *store = rw_cli_context_get_store (cli);
  g_autoptr(GError) error = NULL;
  g_autoptr(RwStoredPolicy) policy = NULL;
  g_autoptr(RwPolicy) check = NULL;

  if (o->none)
    {
      rw_store_activate_policy (store, NULL);
      if (!rw_store_flush (store, &error))
        {
          rw_cli_print_error ("%s", error->message);
          return RW_CLI_EXIT_FAILED;
        }
      printf (_("No policy is active: routewise/auto answers only where serve is given "
                "--policy.\n"));
      return RW_CLI_EXIT_OK;
    }
  if ((policy = rw_store_lookup_policy (store, argv[1], &error)) == NULL)
    {
      if (error != NULL)
        rw_cli_print_error ("%s", error->message);
      else
        rw_cli_print_error (_("no kept policy is called %s (see “policy list”)"), argv[1]);
      return error != NULL ? RW_CLI_EXIT_FAILED : RW_CLI_EXIT_USAGE;
    }
  /* What the router would refuse is not made active. */
  check = rw_policy_new ();
  if (!rw_policy_load_data (check, policy->name, policy->body, -1, &error))
    {
      rw_cli_print_error ("%s", error->message);
      return RW_CLI_EXIT_FAILED;
    }
  rw_store_activate_policy (store, policy->id);
  if (!rw_store_flush (store, &error))
    {
      rw_cli_print_error ("%s", error->message);
      return RW_CLI_EXIT_FAILED;
    }
  printf (_("routewise/auto routes by “%s” (%s).\n"), policy->name, policy->id);
  return RW_CLI_EXIT_OK;
}

const RwCliCommand rw_cli_command_policy_activate = {
  .name = "policy activate",
  .parameter_string = N_("NAME"),
  .summary = N_("Make a kept policy the one routewise/auto routes by"),
  .help = N_("Make a kept policy, named by its name or its id, the one routewise/auto routes by "
             "wherever no policy file is given: “serve” and the app's endpoint."),
  .options_size = sizeof (PolicyActivateOptions),
  .entries = policy_activate_entries,
  .max_args = 1,
  .args_error = RW_CLI_POLICY_USAGE,
  .check = policy_activate_check,
  .needs = RW_CLI_NEEDS_STORE,
  .run = policy_activate_run,
};
