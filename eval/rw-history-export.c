/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n-lib.h>
#include <math.h>
#include <string.h>

#include "rw-history-export.h"
#include "rw-json.h"

/* The comparisons of the history written out for others: as JSON (one object per comparison,
 * with its answers), as CSV (one row per answer, RFC 4180) or as Markdown. The command line's
 * `history export` and the window's History view write the same files. */

const char * const rw_history_export_formats[] = { "json", "csv", "md", NULL };

static char *
history_export_format_time (gint64 ms)
{
  g_autoptr(GDateTime) when = g_date_time_new_from_unix_utc (ms / 1000);

  return g_date_time_format_iso8601 (when);
}

static void
history_export_add_number_or_null (JsonBuilder *b,
                                   const char  *name,
                                   double       value)
{
  json_builder_set_member_name (b, name);
  if (isnan (value))
    json_builder_add_null_value (b);
  else
    json_builder_add_double_value (b, value);
}

static void
history_export_add_string_or_null (JsonBuilder *b,
                                   const char  *name,
                                   const char  *value)
{
  json_builder_set_member_name (b, name);
  if (value == NULL)
    json_builder_add_null_value (b);
  else
    json_builder_add_string_value (b, value);
}

static void
history_export_add_answer (JsonBuilder      *b,
                           RwStoredResponse *r)
{
  json_builder_begin_object (b);
  history_export_add_string_or_null (b, "id", r->id);
  history_export_add_string_or_null (b, "model", r->model);
  json_builder_set_member_name (b, "ok");
  json_builder_add_boolean_value (b, r->ok);
  history_export_add_string_or_null (b, "text", r->text);
  history_export_add_string_or_null (b, "finish_reason", r->finish_reason);
  json_builder_set_member_name (b, "tokens_in");
  if (r->tokens_in >= 0)
    json_builder_add_int_value (b, r->tokens_in);
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "tokens_out");
  if (r->tokens_out >= 0)
    json_builder_add_int_value (b, r->tokens_out);
  else
    json_builder_add_null_value (b);
  history_export_add_number_or_null (b, "cost_usd", r->cost_usd);
  history_export_add_number_or_null (b, "ttft_ms", r->ttft_ms);
  history_export_add_number_or_null (b, "latency_ms", r->latency_ms);
  history_export_add_string_or_null (b, "error_kind", r->error_kind);
  history_export_add_string_or_null (b, "error", r->error_message);
  json_builder_end_object (b);
}

/**
 * rw_history_comparison_to_json:
 * @answers: (nullable) (element-type RwStoredResponse): its answers, when they are wanted
 *
 * Returns: (transfer full): the comparison as JSON
 */
JsonNode *
rw_history_comparison_to_json (RwStoredComparison *c,
                               GPtrArray          *answers)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree char *created = history_export_format_time (c->created_ms);

  json_builder_begin_object (b);
  history_export_add_string_or_null (b, "id", c->id);
  history_export_add_string_or_null (b, "created", created);
  history_export_add_string_or_null (b, "status", c->status);
  history_export_add_string_or_null (b, "prompt", c->prompt);
  history_export_add_string_or_null (b, "task", c->task);
  json_builder_set_member_name (b, "models");
  json_builder_begin_array (b);
  for (guint i = 0; c->models[i] != NULL; i++)
    if (*c->models[i] != '\0')
      json_builder_add_string_value (b, c->models[i]);
  json_builder_end_array (b);
  history_export_add_number_or_null (b, "cost_usd", c->cost_usd);
  history_export_add_string_or_null (b, "winner", c->winner);
  json_builder_set_member_name (b, "voted");
  json_builder_add_boolean_value (b, c->voted);
  if (answers != NULL)
    {
      json_builder_set_member_name (b, "answers");
      json_builder_begin_array (b);
      for (guint i = 0; i < answers->len; i++)
        history_export_add_answer (b, answers->pdata[i]);
      json_builder_end_array (b);
    }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* A CSV field: text quoted and kept from being read as a formula, a number as it is. */
static void
history_export_csv_field (GString    *out,
                          const char *text,
                          gboolean    number,
                          gboolean    last)
{
  if (number)
    g_string_append (out, text);
  else
    rw_csv_append_text (out, text);
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

      history_export_csv_field (out, c->id, FALSE, FALSE);
      history_export_csv_field (out, created, FALSE, FALSE);
      history_export_csv_field (out, c->task, FALSE, FALSE);
      history_export_csv_field (out, c->prompt, FALSE, FALSE);
      history_export_csv_field (out, r->model, FALSE, FALSE);
      history_export_csv_field (out, r->ok ? "ok" : "error", FALSE, FALSE);
      history_export_csv_field (out, r->ok ? r->text : r->error_message, FALSE, FALSE);
      history_export_csv_field (out, cost, TRUE, FALSE);
      history_export_csv_field (out, latency, TRUE, FALSE);
      history_export_csv_field (out, c->winner, FALSE, TRUE);
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
  /* Every line of the prompt in the quote: a quote's first blank line would end it, and the
   * rest of a long prompt would read as the answers' text. */
  {
    g_auto(GStrv) lines = g_strsplit (c->prompt, "\n", -1);

    for (guint i = 0; lines[i] != NULL; i++)
      {
        g_string_append_c (out, '>');
        if (*lines[i] != '\0')
          g_string_append_printf (out, " %s", lines[i]);
        g_string_append_c (out, '\n');
      }
    g_string_append_c (out, '\n');
  }
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

/**
 * rw_history_export:
 * @store: the database
 * @filter: which comparisons
 * @format: "json", "csv" or "md"
 * @error: where a failure is told
 *
 * Writes the comparisons @filter picks, with every answer, in @format.
 *
 * Returns: (transfer full) (nullable): the text, or %NULL on error
 */
char *
rw_history_export (RwStore               *store,
                   const RwHistoryFilter *filter,
                   const char            *format,
                   GError               **error)
{
  g_autoptr(GPtrArray) found = NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(JsonArray) array = json_array_new ();

  if (!g_strv_contains (rw_history_export_formats, format))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, _("the format is json, csv or md"));
      return NULL;
    }
  if ((found = rw_store_list_history (store, filter, error)) == NULL)
    return NULL;
  if (g_str_equal (format, "csv"))
    g_string_append (out, "comparison,created,task,prompt,model,status,text,cost_usd,"
                          "latency_ms,winner\r\n");
  for (guint i = 0; i < found->len; i++)
    {
      RwStoredComparison *c = found->pdata[i];
      g_autoptr(GPtrArray) answers = rw_store_list_comparison_answers (store, c->id, error);

      if (answers == NULL)
        return NULL;
      if (g_str_equal (format, "csv"))
        history_export_csv (out, c, answers);
      else if (g_str_equal (format, "md"))
        history_export_markdown (out, c, answers);
      else
        json_array_add_element (array, rw_history_comparison_to_json (c, answers));
    }
  if (g_str_equal (format, "json"))
    {
      g_autoptr(JsonNode) root = json_node_new (JSON_NODE_ARRAY);
      g_autofree char *text = NULL;

      json_node_set_array (root, array);
      text = rw_json_to_string (root, TRUE);
      g_string_append (out, text);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}
