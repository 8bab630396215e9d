/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "rw-cli-context.h"
#include "rw-cli-printer.h"

#define KEYS_MAX_LENGTH 4096

/* The key, from standard input: never from the command line, where other users' ps would see
 * it. On a terminal it is asked for without echo. */
static char *
keys_set_read_key (const char *provider_id)
{
  g_autoptr(GString) key = g_string_new (NULL);
  gboolean tty = isatty (STDIN_FILENO);
  gboolean two_lines = FALSE;
  struct termios saved, quiet;
  int c;

  if (tty)
    {
      fprintf (stderr, _("Key of %s: "), provider_id);
      fflush (stderr);
      tcgetattr (STDIN_FILENO, &saved);
      quiet = saved;
      quiet.c_lflag &= ~(tcflag_t) ECHO;
      tcsetattr (STDIN_FILENO, TCSANOW, &quiet);
    }
  while ((c = getchar ()) != EOF && c != '\n' && key->len <= KEYS_MAX_LENGTH)
    g_string_append_c (key, (char) c);
  if (tty)
    {
      tcsetattr (STDIN_FILENO, TCSANOW, &saved);
      fputc ('\n', stderr);
    }
  else if (c == '\n')
    {
      /* Piped: a second line is not part of one key (two keys, or a file that is not one), so
       * nothing is stored rather than the first line alone. */
      gsize more = 0;

      while ((c = getchar ()) != EOF && more++ < KEYS_MAX_LENGTH)
        two_lines |= !g_ascii_isspace (c);
      two_lines |= c != EOF;
    }
  while (key->len > 0 && g_ascii_isspace (key->str[key->len - 1]))
    g_string_truncate (key, key->len - 1);
  while (key->len > 0 && g_ascii_isspace (key->str[0]))
    g_string_erase (key, 0, 1);
  if (key->len == 0 || key->len > KEYS_MAX_LENGTH || two_lines)
    {
      memset (key->str, 0, key->len);
      return NULL;
    }
  return g_string_free (g_steal_pointer (&key), FALSE);
}

static int
keys_set_run (RwCliContext *cli,
              gpointer      data,
              int           argc,
              char        **argv)
{
  RwCatalog *catalog = rw_cli_context_get_catalog (cli);
  g_autoptr(GError) error = NULL;
  g_autofree char *key = NULL;
  RwProvider *provider = rw_catalog_lookup_provider (catalog, argv[1]);
  gboolean stored;

  if (!rw_catalog_knows_provider (catalog, argv[1]))
    {
      rw_cli_print_error (_("there is no provider “%s”; `routewise-cli providers` lists them"),
                          argv[1]);
      return RW_CLI_EXIT_USAGE;
    }
  if ((key = keys_set_read_key (argv[1])) == NULL)
    {
      rw_cli_print_error (_("give the key on standard input, one line"));
      return RW_CLI_EXIT_USAGE;
    }
  stored = rw_keyring_store (argv[1], key, &error);
  memset (key, 0, strlen (key));
  if (!stored)
    {
      rw_cli_print_error ("%s", error->message);
      return RW_CLI_EXIT_FAILED;
    }
  fprintf (stderr, _("Stored the key of %s in the keyring.\n"), argv[1]);
  if (provider != NULL && rw_provider_get_api_key_env (provider) != NULL &&
      g_getenv (rw_provider_get_api_key_env (provider)) != NULL)
    fprintf (stderr, _("$%s is set, and is used instead while it is.\n"),
             rw_provider_get_api_key_env (provider));
  return RW_CLI_EXIT_OK;
}

const RwCliCommand rw_cli_command_keys_set = {
  .name = "keys set",
  .parameter_string = N_("PROVIDER"),
  .summary = N_("Store a provider's key in the keyring, read from standard input"),
  .help = N_("Store a provider's API key in the keyring (the Secret Service), where the window, "
             "the command line and the endpoint find it. The key is read from standard input, "
             "never from the command line. An environment variable the provider names still "
             "works, and wins while it is set."),
  .min_args = 1,
  .max_args = 1,
  .args_error = N_("give one provider (see `routewise-cli keys list`)"),
  .needs = RW_CLI_NEEDS_CATALOG,
  .run = keys_set_run,
};
