/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <math.h>

#include "rw-cli-context.h"
#include "rw-cli-history.h"
#include "rw-cli-printer.h"
#include "rw-json.h"

typedef struct
{
  RwCliHistoryFilter filter;
  char *format;
  char *output;
} HistoryExportOptions;

static const GOptionEntry history_export_entries[] = {
  { "format", 'f', 0, G_OPTION_ARG_STRING, RW_CLI_OPTION_FIELD (HistoryExportOptions, format),
    N_("json (default), csv or md"), N_("FORMAT") },
  { "output", 'o', 0, G_OPTION_ARG_FILENAME, RW_CLI_OPTION_FIELD (HistoryExportOptions, output),
    N_("Write to this file"), N_("FILE") },
  { NULL }
};

static const char * const history_export_formats[] = { "json", "csv", "md", NULL };

static int
history_export_check (gpointer data,
                      int      argc,
                      char   **argv)
{
  HistoryExportOptions *o = data;

  if (o->format != NULL && !g_strv_contains (history_export_formats, o->format))
    {
      rw_cli_print_error (_("the format is json, csv or md"));
      return RW_CLI_EXIT_USAGE;
    }
  return 0;
}

/* A CSV field, quoted when it must be (RFC 4180). */
static void
history_export_csv_field (GString    *out,
                          const char *text,
                          gboolean    last)
{
  if (text != NULL && strpbrk (text, ",\"\r\n") != NULL)
    {
      g_string_append_c (out, '"');
      for (const char *p = text; *p; p++)
        {
          if (*p == '"')
            g_string_append_c (out, '"');
          g_string_append_c (out, *p);
        }
      g_string_append_c (out, '"');
    }
  else if (text != NULL)
    g_string_append (out, text);
  g_string_append (out, last ? "\r\n" : ",");
}

static char *
history_export_number (double value,
                       const char *format)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (isnan (value))
    return g_strdup ("");
  return g_strdup (g_ascii_formatd (buf, sizeof buf, format, value));
}

static void
history_export_csv (GString            *out,
                    RwStoredComparison *c,
                    GPtrArray          *answers)
{
  g_autoptr(GDateTime) when = g_date_time_new_from_unix_utc (c->created_ms / 1000);
  g_autofree char *created = g_date_time_format_iso8601 (when);

  for (guint i = 0; i < answers->len; i++)
    {
      RwStoredResponse *r = answers->pdata[i];
      g_autofree char *cost = history_export_number (r->cost_usd, "%.6f");
      g_autofree char *latency = history_export_number (r->latency_ms, "%.1f");

      history_export_csv_field (out, c->id, FALSE);
      history_export_csv_field (out, created, FALSE);
      history_export_csv_field (out, c->task, FALSE);
      history_export_csv_field (out, c->prompt, FALSE);
      history_export_csv_field (out, r->model, FALSE);
      history_export_csv_field (out, r->ok ? "ok" : "error", FALSE);
      history_export_csv_field (out, r->ok ? r->text : r->error_message, FALSE);
      history_export_csv_field (out, cost, FALSE);
      history_export_csv_field (out, latency, FALSE);
      history_export_csv_field (out, c->winner, TRUE);
    }
}

static void
history_export_markdown (GString            *out,
                         RwStoredComparison *c,
                         GPtrArray          *answers)
{
  g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (c->created_ms / 1000);
  g_autofree char *date = g_date_time_format (when, "%Y-%m-%d %H:%M");

  g_string_append_printf (out, "## %s · %s · %s\n\n", date, c->task ? c->task : _("no task"),
                          c->winner ? c->winner : _("not voted"));
  g_string_append_printf (out, "> %s\n\n", c->prompt);
  for (guint i = 0; i < answers->len; i++)
    {
      RwStoredResponse *r = answers->pdata[i];

      g_string_append_printf (out, "### %s\n\n", r->model);
      if (r->ok)
        g_string_append_printf (out, "%s\n\n", r->text);
      else
        g_string_append_printf (out, "*%s: %s*\n\n", r->error_kind ? r->error_kind : _("failed"),
                                r->error_message ? r->error_message : "");
    }
}

static int
history_export_run (RwCliContext *cli,
                    gpointer      data,
                    int           argc,
                    char        **argv)
{
  HistoryExportOptions *o = data;
  RwStore *store = rw_cli_context_get_store (cli);
  const char *format = o->format ? o->format : "json";
  g_autoptr(GError) error = NULL;
  g_autofree char *query = argc > 1 ? g_strjoinv (" ", argv + 1) : NULL;
  g_autoptr(GPtrArray) found = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(JsonArray) array = json_array_new ();
  RwHistoryFilter filter;

  if (!rw_cli_history_filter_resolve (&o->filter, query, &filter, &error))
    {
      rw_cli_print_error ("%s", error->message);
      return RW_CLI_EXIT_USAGE;
    }
  if ((found = rw_store_list_history (store, &filter, &error)) == NULL)
    {
      rw_cli_print_error ("%s", error->message);
      return RW_CLI_EXIT_FAILED;
    }
  if (g_str_equal (format, "csv"))
    g_string_append (out, "comparison,created,task,prompt,model,status,text,cost_usd,"
                          "latency_ms,winner\r\n");
  for (guint i = 0; i < found->len; i++)
    {
      RwStoredComparison *c = found->pdata[i];
      g_autoptr(GPtrArray) answers = rw_store_list_comparison_answers (store, c->id, &error);

      if (answers == NULL)
        {
          rw_cli_print_error ("%s", error->message);
          return RW_CLI_EXIT_FAILED;
        }
      if (g_str_equal (format, "csv"))
        history_export_csv (out, c, answers);
      else if (g_str_equal (format, "md"))
        history_export_markdown (out, c, answers);
      else
        json_array_add_element (array, rw_cli_history_to_json (c, answers));
    }
  if (g_str_equal (format, "json"))
    {
      g_autoptr(JsonNode) root = json_node_new (JSON_NODE_ARRAY);
      g_autofree char *text = NULL;

      json_node_set_array (root, array);
      text = rw_json_to_string (root, TRUE);
      g_string_append (out, text);
    }
  return rw_cli_write_or_print (o->output, out->str) ? RW_CLI_EXIT_OK : RW_CLI_EXIT_FAILED;
}

const RwCliCommand rw_cli_command_history_export = {
  .name = "history export",
  .parameter_string = N_("[WORDS…]"),
  .summary = N_("Export comparisons with their answers as JSON, CSV or Markdown"),
  .help = N_("Export the comparisons the filters and the words pick (all of them when none is "
             "given), with every answer: as JSON, as CSV with one row per answer, or as "
             "Markdown."),
  .options_size = sizeof (HistoryExportOptions),
  .entries = history_export_entries,
  .shared_entries = rw_cli_history_filter_entries,
  .max_args = -1,
  .check = history_export_check,
  .needs = RW_CLI_NEEDS_STORE,
  .run = history_export_run,
};
