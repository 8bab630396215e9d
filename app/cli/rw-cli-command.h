/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _RwCliContext RwCliContext;

/* Exit codes scripts can trust. */
typedef enum
{
  RW_CLI_EXIT_OK = 0,
  RW_CLI_EXIT_FAILED = 1,        /* nothing answered, or a run-time failure */
  RW_CLI_EXIT_USAGE = 2,         /* a bad command line or configuration */
  RW_CLI_EXIT_INTERRUPTED = 130,
} RwCliExit;

/* What a command needs before it runs; the context opens each once. */
typedef enum
{
  RW_CLI_NEEDS_NOTHING = 0,
  RW_CLI_NEEDS_CATALOG = 1 << 0,
  RW_CLI_NEEDS_DISCOVERY = 1 << 1,   /* the catalog, with the local servers found */
  RW_CLI_NEEDS_STORE = 1 << 2,
} RwCliNeeds;

/* An option of a command: a GOptionEntry whose arg_data is the offset of its field in the
 * command's options struct (RW_CLI_OPTION_FIELD). */
#define RW_CLI_OPTION_FIELD(Type, field) GSIZE_TO_POINTER (G_STRUCT_OFFSET (Type, field))

/**
 * RwCliCommand:
 * @name: the words that name it ("eval run")
 * @parameter_string: (nullable): its arguments, as `--help` shows them
 * @summary: one line for the list of commands
 * @help: (nullable): the paragraph `--help` shows
 * @description: (nullable): what `--help` shows after the options
 * @options_size: the size of its options struct
 * @entries: (nullable): its options, %NULL-terminated
 * @shared_entries: (nullable): options it shares with other commands, %NULL-terminated, their
 *   fields also in its options struct
 * @init: (nullable): sets the options' defaults
 * @min_args: the fewest arguments after the options
 * @max_args: the most, or -1 for any number
 * @args_error: (nullable): the message for a wrong number of arguments
 * @check: (nullable): checks the options before anything is opened; an exit code, or 0
 * @needs: what the context opens before @run
 * @run: runs it; @argv[0] is the command's name, the arguments follow
 */
typedef struct
{
  const char *name;
  const char *parameter_string;
  const char *summary;
  const char *help;
  const char *description;
  gsize options_size;
  const GOptionEntry *entries;
  const GOptionEntry *shared_entries;
  void (*init) (gpointer options);
  int min_args;
  int max_args;
  const char *args_error;
  int (*check) (gpointer options, int argc, char **argv);
  RwCliNeeds needs;
  int (*run) (RwCliContext *cli, gpointer options, int argc, char **argv);
} RwCliCommand;

extern const RwCliCommand rw_cli_command_compare;
extern const RwCliCommand rw_cli_command_models;
extern const RwCliCommand rw_cli_command_providers;
extern const RwCliCommand rw_cli_command_prompts;
extern const RwCliCommand rw_cli_command_import;
extern const RwCliCommand rw_cli_command_ratings;
extern const RwCliCommand rw_cli_command_policy_learn;
extern const RwCliCommand rw_cli_command_policy_evaluate;
extern const RwCliCommand rw_cli_command_policy_export;
extern const RwCliCommand rw_cli_command_policy_list;
extern const RwCliCommand rw_cli_command_stats;
extern const RwCliCommand rw_cli_command_classify;
extern const RwCliCommand rw_cli_command_policy_activate;
extern const RwCliCommand rw_cli_command_eval_run;
extern const RwCliCommand rw_cli_command_eval_report;
extern const RwCliCommand rw_cli_command_eval_grade;
extern const RwCliCommand rw_cli_command_serve;
extern const RwCliCommand rw_cli_command_history_list;
extern const RwCliCommand rw_cli_command_history_search;
extern const RwCliCommand rw_cli_command_history_show;
extern const RwCliCommand rw_cli_command_history_export;
extern const RwCliCommand rw_cli_command_history_delete;
extern const RwCliCommand rw_cli_command_keys_set;
extern const RwCliCommand rw_cli_command_keys_list;
extern const RwCliCommand rw_cli_command_keys_delete;

G_END_DECLS
