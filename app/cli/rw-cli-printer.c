/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <glib/gi18n.h>
#include <string.h>

#include "rw-cli-command.h"
#include "rw-cli-printer.h"
#include "rw-json.h"

/* The one printer of routewise-cli: errors on standard error, text and JSON on standard output
 * or into a file. */

void
rw_cli_print_error (const char *format,
                    ...)
{
  va_list args;
  g_autofree char *msg = NULL;

  va_start (args, format);
  msg = g_strdup_vprintf (format, args);
  va_end (args);
  fprintf (stderr, "routewise-cli: %s\n", msg);
}

/**
 * rw_cli_check_range:
 * @option: the option's long name, without the dashes
 * @value: what was given (an option left at its default is in range)
 * @min: the least it may be
 * @max: the most it may be; INFINITY for no bound
 * @above_min: whether it must be more than @min rather than @min or more
 *
 * Returns: whether @value is in range; where it is not, the error names @option and its
 *   range, as "--port must be from 0 to 65535"
 */
gboolean
rw_cli_check_range (const char *option,
                    double      value,
                    double      min,
                    double      max,
                    gboolean    above_min)
{
  if ((above_min ? value > min : value >= min) && value <= max)
    return TRUE;
  if (above_min && isinf (max))
    rw_cli_print_error (_("--%s must be more than %g"), option, min);
  else if (above_min)
    rw_cli_print_error (_("--%s must be more than %g and at most %g"), option, min, max);
  else if (isinf (max))
    rw_cli_print_error (_("--%s must be %g or more"), option, min);
  else
    rw_cli_print_error (_("--%s must be from %g to %g"), option, min, max);
  return FALSE;
}

void
rw_cli_print_json (JsonNode *node)
{
  g_autofree char *text = rw_json_to_string (node, TRUE);

  printf ("%s\n", text);
}

/* Writes @text to @path, or to standard output when @path is %NULL or "-", ending it with a
 * newline there. */
gboolean
rw_cli_write_or_print (const char *path,
                       const char *text)
{
  g_autoptr(GError) error = NULL;

  if (path == NULL || g_str_equal (path, "-"))
    {
      fputs (text, stdout);
      if (*text && text[strlen (text) - 1] != '\n')
        fputc ('\n', stdout);
      return TRUE;
    }
  if (!g_file_set_contents (path, text, -1, &error))
    {
      rw_cli_print_error ("%s", error->message);
      return FALSE;
    }
  return TRUE;
}

/* Prints the report of the evaluation run @run_id in @format (md, json, csv or html), compared
 * with the run @against when given. @built: (nullable) (transfer full): the run's report when
 * the caller has it; else it is read from @store. */
int
rw_cli_print_report (RwStore    *store,
                     const char *run_id,
                     JsonNode   *built,
                     const char *format,
                     const char *against)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) report = built ? built : rw_eval_report_build (store, run_id, &error);
  g_autofree char *text = NULL;

  if (report == NULL)
    {
      rw_cli_print_error ("%s", error->message);
      return RW_CLI_EXIT_USAGE;
    }
  if (against != NULL)
    {
      g_autoptr(JsonNode) earlier = rw_eval_report_build (store, against, &error);
      if (earlier == NULL)
        {
          rw_cli_print_error ("%s", error->message);
          return RW_CLI_EXIT_USAGE;
        }
      rw_eval_report_add_comparison (report, earlier);
    }
  if (g_str_equal (format, "json"))
    text = rw_json_to_string (report, TRUE);
  else if (g_str_equal (format, "csv"))
    text = rw_eval_report_to_csv (report);
  else if (g_str_equal (format, "html"))
    text = rw_eval_report_to_html (report);
  else
    {
      g_autofree char *table = rw_eval_report_to_markdown (report);
      g_autofree char *comparison = rw_eval_report_comparison_to_markdown (report);
      text = g_strconcat (table, comparison, NULL);
    }
  printf ("%s\n", text);
  return RW_CLI_EXIT_OK;
}
