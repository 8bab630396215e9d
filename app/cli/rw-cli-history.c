/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>
#include <stdio.h>

#include "rw-cli-command.h"
#include "rw-cli-history.h"
#include "rw-cli-printer.h"

/* What the history commands share: their filters, and a comparison written as JSON or listed. */

const GOptionEntry rw_cli_history_filter_entries[] = {
  { "model", 'm', 0, G_OPTION_ARG_STRING, RW_CLI_OPTION_FIELD (RwCliHistoryFilter, model),
    N_("Only comparisons that asked this model"), N_("MODEL") },
  { "task", 't', 0, G_OPTION_ARG_STRING, RW_CLI_OPTION_FIELD (RwCliHistoryFilter, task),
    N_("Only prompts of this task"), N_("TASK") },
  { "since", 0, 0, G_OPTION_ARG_STRING, RW_CLI_OPTION_FIELD (RwCliHistoryFilter, since),
    N_("Only comparisons asked on or after this day (YYYY-MM-DD) or time (ISO 8601)"),
    N_("DATE") },
  { "until", 0, 0, G_OPTION_ARG_STRING, RW_CLI_OPTION_FIELD (RwCliHistoryFilter, until),
    N_("Only comparisons asked before this day or time"), N_("DATE") },
  { "voted", 0, 0, G_OPTION_ARG_NONE, RW_CLI_OPTION_FIELD (RwCliHistoryFilter, voted),
    N_("Only comparisons with a vote"), NULL },
  { "unvoted", 0, 0, G_OPTION_ARG_NONE, RW_CLI_OPTION_FIELD (RwCliHistoryFilter, unvoted),
    N_("Only comparisons without a vote"), NULL },
  { "limit", 'n', 0, G_OPTION_ARG_INT, RW_CLI_OPTION_FIELD (RwCliHistoryFilter, limit),
    N_("At most this many, the latest first"), N_("N") },
  { NULL }
};

/* A day (local midnight) or a time, in milliseconds since the epoch; -1 when it is neither. */
static gint64
history_parse_date (const char *text)
{
  g_autoptr(GTimeZone) local = g_time_zone_new_local ();
  g_autoptr(GDateTime) when = NULL;
  g_autofree char *day = NULL;

  if (g_regex_match_simple ("^[0-9]{4}-[0-9]{2}-[0-9]{2}$", text, 0, 0))
    text = day = g_strconcat (text, "T00:00:00", NULL);
  when = g_date_time_new_from_iso8601 (text, local);
  return when ? g_date_time_to_unix (when) * 1000 + g_date_time_get_microsecond (when) / 1000
              : -1;
}

gboolean
rw_cli_history_filter_resolve (const RwCliHistoryFilter  *options,
                               const char                *query,
                               RwHistoryFilter           *filter,
                               GError                   **error)
{
  *filter = (RwHistoryFilter) {
    .query = query,
    .model = options->model,
    .task = options->task,
    .voted = options->voted ? 1 : options->unvoted ? 0 : -1,
    .limit = options->limit > 0 ? (guint) options->limit : 0,
  };
  if (options->voted && options->unvoted)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, _("--voted and --unvoted exclude each other"));
      return FALSE;
    }
  if (options->limit < 0)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, _("--limit must be 0 or more"));
      return FALSE;
    }
  if (options->since != NULL && (filter->since_ms = history_parse_date (options->since)) < 0)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                   _("--since “%s” is not a day (YYYY-MM-DD) or an ISO 8601 time"),
                   options->since);
      return FALSE;
    }
  if (options->until != NULL && (filter->until_ms = history_parse_date (options->until)) < 0)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                   _("--until “%s” is not a day (YYYY-MM-DD) or an ISO 8601 time"),
                   options->until);
      return FALSE;
    }
  return TRUE;
}

/**
 * rw_cli_history_lookup:
 * @rc: (out): the exit status when there is no such comparison
 *
 * Returns: (transfer full) (nullable): the comparison, or %NULL after printing that there is
 *   none (@rc a usage error) or that the store could not say (@rc a failure)
 */
RwStoredComparison *
rw_cli_history_lookup (RwStore    *store,
                       const char *id,
                       int        *rc)
{
  g_autoptr(GError) error = NULL;
  RwStoredComparison *c = rw_store_lookup_comparison (store, id, &error);

  if (c != NULL)
    return c;
  if (error != NULL)
    {
      rw_cli_print_error ("%s", error->message);
      *rc = RW_CLI_EXIT_FAILED;
    }
  else
    {
      rw_cli_print_error (_("there is no comparison %s"), id);
      *rc = RW_CLI_EXIT_USAGE;
    }
  return NULL;
}

/* The prompt on one line, cut to @width characters. */
static char *
history_one_line (const char *text,
                  guint       width)
{
  g_autofree char *flat = g_strdup (text ? text : "");
  glong n;

  g_strdelimit (flat, "\r\n\t", ' ');
  n = g_utf8_strlen (flat, -1);
  if (n <= (glong) width)
    return g_steal_pointer (&flat);
  {
    g_autofree char *cut = g_utf8_substring (flat, 0, width - 1);
    return g_strconcat (cut, "…", NULL);
  }
}

/* Lists the comparisons @filter picks, as a table or as JSON. */
int
rw_cli_history_print_list (RwStore               *store,
                           const RwHistoryFilter *filter,
                           gboolean               json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) found = rw_store_list_history (store, filter, &error);

  if (found == NULL)
    {
      rw_cli_print_error ("%s", error->message);
      return RW_CLI_EXIT_FAILED;
    }
  if (json)
    {
      g_autoptr(JsonArray) array = json_array_new ();
      g_autoptr(JsonNode) root = json_node_new (JSON_NODE_ARRAY);

      for (guint i = 0; i < found->len; i++)
        json_array_add_element (array, rw_history_comparison_to_json (found->pdata[i], NULL));
      json_node_set_array (root, array);
      rw_cli_print_json (root);
      return RW_CLI_EXIT_OK;
    }
  if (found->len == 0)
    {
      printf ("%s\n", _("No comparison matches."));
      return RW_CLI_EXIT_OK;
    }
  for (guint i = 0; i < found->len; i++)
    {
      RwStoredComparison *c = found->pdata[i];
      g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (c->created_ms / 1000);
      g_autofree char *date = g_date_time_format (when, "%Y-%m-%d %H:%M");
      g_autofree char *models = g_strjoinv (", ", c->models);
      g_autofree char *prompt = history_one_line (c->prompt, 60);
      g_autofree char *cost = isnan (c->cost_usd) ? g_strdup ("-")
                                                  : g_strdup_printf ("$%.4f", c->cost_usd);

      printf ("%s  %s  %s\n", c->id, date, prompt);
      printf ("    %s · %s · %s · %s\n", models, c->task ? c->task : _("no task"), cost,
              c->winner ? c->winner : _("not voted"));
    }
  return RW_CLI_EXIT_OK;
}
