/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <string.h>

#include "rw-cli-command.h"
#include "rw-cli-context.h"
#include "rw-cli-policy-file.h"
#include "rw-cli-printer.h"

/* A command of one word, or a group of commands named by two ("eval run"). */
typedef struct
{
  const char *name;
  const char *summary;
  const RwCliCommand *command;          /* a command of its own */
  const RwCliCommand * const *members;  /* or a group's, %NULL-terminated */
  const char *usage;                    /* a group's, when no member is named */
} RwCliEntry;

static const RwCliCommand * const eval_members[] = {
  &rw_cli_command_eval_run, &rw_cli_command_eval_report, &rw_cli_command_eval_grade, NULL,
};
static const RwCliCommand * const policy_members[] = {
  &rw_cli_command_policy_learn, &rw_cli_command_policy_evaluate, &rw_cli_command_policy_export,
  &rw_cli_command_policy_list, &rw_cli_command_policy_activate, NULL,
};

static const RwCliCommand * const history_members[] = {
  &rw_cli_command_history_list, &rw_cli_command_history_search, &rw_cli_command_history_show,
  &rw_cli_command_history_export, &rw_cli_command_history_delete, NULL,
};

static const RwCliCommand * const keys_members[] = {
  &rw_cli_command_keys_set, &rw_cli_command_keys_list, &rw_cli_command_keys_delete, NULL,
};

static const RwCliEntry entries[] = {
  { "compare", NULL, &rw_cli_command_compare },
  { "models", NULL, &rw_cli_command_models },
  { "providers", NULL, &rw_cli_command_providers },
  { "keys", N_("Store, list and remove providers' keys in the keyring"), NULL, keys_members,
    N_("usage: routewise-cli keys set PROVIDER < KEY | keys list | keys delete PROVIDER") },
  { "prompts", NULL, &rw_cli_command_prompts },
  { "import", NULL, &rw_cli_command_import },
  { "ratings", NULL, &rw_cli_command_ratings },
  { "policy", N_("Learn a routing policy, evaluate it on held-out data, export it"), NULL,
    policy_members, RW_CLI_POLICY_USAGE },
  { "eval", N_("Run a suite against models (eval run) and report it (eval report)"), NULL,
    eval_members,
    N_("usage: routewise-cli eval run SUITE -m MODEL… | eval report RUN | eval grade RESPONSE "
       "--pass|--fail") },
  { "serve", NULL, &rw_cli_command_serve },
  { "stats", NULL, &rw_cli_command_stats },
  { "classify", NULL, &rw_cli_command_classify },
  { "history", N_("List, search, show, export and delete past comparisons"), NULL,
    history_members,
    N_("usage: routewise-cli history list | search WORDS… | show ID | export [WORDS…] | "
       "delete ID") },
};

static void
rw_cli_usage (FILE *out)
{
  fprintf (out, _("Usage: routewise-cli COMMAND [OPTION…]\n\nCommands:\n"));
  for (guint i = 0; i < G_N_ELEMENTS (entries); i++)
    fprintf (out, "  %-11s %s\n", entries[i].name,
             _(entries[i].command ? entries[i].command->summary : entries[i].summary));
  fprintf (out, _("\n`routewise-cli COMMAND --help` describes a command.\n"
                  "Configuration: $ROUTEWISE_CONFIG_DIR/providers.json; "
                  "data: $ROUTEWISE_DATA_DIR/routewise.db\n"));
}

static void
rw_cli_group_usage (const RwCliEntry *group,
                    FILE             *out)
{
  fprintf (out, _("Usage: routewise-cli %s COMMAND [OPTION…]\n\n%s\n\nCommands:\n"), group->name,
           _(group->summary));
  for (guint i = 0; group->members[i]; i++)
    fprintf (out, "  %-18s %s\n", group->members[i]->name, _(group->members[i]->summary));
  fprintf (out, _("\n`routewise-cli %s COMMAND --help` describes a command.\n"), group->name);
}

/* Runs a group's member named by @argv[1]; @argv[0] is the group's name. */
static int
rw_cli_run_group (const RwCliEntry  *group,
                  int                argc,
                  char             **argv)
{
  if (argc >= 2 && (g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h")))
    {
      rw_cli_group_usage (group, stdout);
      return RW_CLI_EXIT_OK;
    }
  for (guint i = 0; argc >= 2 && group->members[i]; i++)
    {
      const char *word = strchr (group->members[i]->name, ' ') + 1;

      if (g_str_equal (argv[1], word))
        return rw_cli_context_run_command (group->members[i], argc - 1, argv + 1);
    }
  rw_cli_print_error ("%s", _(group->usage));
  return RW_CLI_EXIT_USAGE;
}

int
main (int    argc,
      char **argv)
{
#ifdef __GLIBC__
  /* glibc gives the free top of a thread's heap back to the system as soon as it passes
   * 128 KiB, and takes it again at the next allocation. The database writer frees and
   * reallocates its page cache in waves, so it spent a fifth of its time in madvise() and the
   * TLB shootdowns that interrupt the other threads. Keep up to 8 MiB. */
  mallopt (M_TRIM_THRESHOLD, 8 * 1024 * 1024);
#endif
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_prgname ("routewise-cli");

  if (argc < 2 || g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h") ||
      g_str_equal (argv[1], "help"))
    {
      rw_cli_usage (argc < 2 ? stderr : stdout);
      return argc < 2 ? RW_CLI_EXIT_USAGE : RW_CLI_EXIT_OK;
    }
  if (g_str_equal (argv[1], "--version"))
    {
      printf ("routewise-cli %s\n", PACKAGE_VERSION);
      return RW_CLI_EXIT_OK;
    }

  for (guint i = 0; i < G_N_ELEMENTS (entries); i++)
    if (g_str_equal (argv[1], entries[i].name))
      {
        if (entries[i].command != NULL)
          return rw_cli_context_run_command (entries[i].command, argc - 1, argv + 1);
        return rw_cli_run_group (&entries[i], argc - 1, argv + 1);
      }

  rw_cli_print_error (_("unknown command “%s”"), argv[1]);
  rw_cli_usage (stderr);
  return RW_CLI_EXIT_USAGE;
}
