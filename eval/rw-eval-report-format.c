/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rw-eval-tally-private.h"
#include "rw-json.h"

/* A report written out: Markdown, CSV, and a page of HTML with its charts. */

/* The formats are the fixed ones of this file. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static char *
report_fmt (JsonObject *row,
            const char *name,
            const char *format,
            double      scale)
{
  JsonNode *node = json_object_get_member (row, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return g_strdup ("–");
  return g_strdup_printf (format, json_node_get_double (node) * scale);
}
#pragma GCC diagnostic pop

/**
 * rw_eval_report_to_markdown:
 * @report: a report from rw_eval_report_build()
 *
 * Returns: (transfer full): the report as a Markdown table
 */
char *
rw_eval_report_to_markdown (JsonNode *report)
{
  JsonObject *root = json_node_get_object (report);
  JsonArray *rows = rw_json_object_get_array (root, "rows");
  GString *s = g_string_new (NULL);

  g_string_append_printf (s, "# Evaluation run %s (%s)\n\n", rw_json_object_get_string (root, "run_id", NULL),
                          rw_json_object_get_string (root, "status", NULL));
  g_string_append (s, "| model | task | n | pass rate | 95% interval | mean score | cost | "
                      "p50 latency | p90 latency | failed |\n"
                      "|---|---|---:|---:|---|---:|---:|---:|---:|---:|\n");
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *r = json_array_get_object_element (rows, i);
      g_autofree char *rate = report_fmt (r, "pass_rate", "%.1f%%", 100);
      g_autofree char *low = report_fmt (r, "ci_low", "%.1f", 100);
      g_autofree char *high = report_fmt (r, "ci_high", "%.1f%%", 100);
      g_autofree char *score = report_fmt (r, "mean_score", "%.3f", 1);
      g_autofree char *cost = report_fmt (r, "cost_usd", "$%.4f", 1);
      g_autofree char *p50 = report_fmt (r, "latency_p50_ms", "%.0f ms", 1);
      g_autofree char *p90 = report_fmt (r, "latency_p90_ms", "%.0f ms", 1);
      gboolean all = g_str_equal (rw_json_object_get_string (r, "task", NULL), "all");

      g_string_append_printf (s, "| %s%s%s | %s | %" G_GINT64_FORMAT " | %s | %s–%s | %s | %s | %s | %s | %"
                              G_GINT64_FORMAT " |\n",
                              all ? "**" : "", rw_json_object_get_string (r, "model", NULL), all ? "**" : "",
                              rw_json_object_get_string (r, "task", NULL),
                              rw_json_object_get_int (r, "n", 0), rate, low, high, score, cost, p50, p90,
                              rw_json_object_get_int (r, "failed", 0));
    }
  {
    /* What could not be graded: the answers, and the kinds of assertion the suite asked for. */
    JsonObject *params = json_object_has_member (root, "params") &&
                         JSON_NODE_HOLDS_OBJECT (json_object_get_member (root, "params")) ?
                         rw_json_object_get_object (root, "params") : NULL;
    JsonObject *unsupported = params && json_object_has_member (params, "unsupported") &&
                              JSON_NODE_HOLDS_OBJECT (json_object_get_member (params, "unsupported"))
                              ? rw_json_object_get_object (params, "unsupported") : NULL;
    gint64 ungraded = 0;

    for (guint i = 0; i < json_array_get_length (rows); i++)
      {
        JsonObject *r = json_array_get_object_element (rows, i);
        if (g_str_equal (rw_json_object_get_string (r, "task", ""), "all"))
          ungraded += rw_json_object_get_int (r, "ungraded", 0);
      }
    if (ungraded > 0)
      g_string_append_printf (s, "\n%" G_GINT64_FORMAT " answers are ungraded (nothing could "
                              "grade them); the pass rates leave them out.\n", ungraded);
    if (unsupported != NULL && json_object_get_size (unsupported) > 0)
      {
        g_autoptr(GList) kinds = g_list_sort (json_object_get_members (unsupported),
                                              (GCompareFunc) g_strcmp0);

        g_string_append (s, "\nAssertions not graded, of kinds Routewise cannot grade (items "
                            "using each):");
        for (GList *l = kinds; l; l = l->next)
          g_string_append_printf (s, "%s %s (%" G_GINT64_FORMAT ")", l == kinds ? "" : ",",
                                  (char *) l->data, rw_json_object_get_int (unsupported, l->data, 0));
        g_string_append (s, "\n");
      }
  }
  {
    /* Named metrics (promptfoo's named scores), over all tasks: each model's mean. */
    gboolean any = FALSE;

    for (guint i = 0; i < json_array_get_length (rows); i++)
      {
        JsonObject *r = json_array_get_object_element (rows, i);
        JsonNode *m = json_object_get_member (r, "metrics");
        g_autoptr(GList) names = NULL;

        if (!g_str_equal (rw_json_object_get_string (r, "task", ""), "all") || m == NULL ||
            !JSON_NODE_HOLDS_OBJECT (m))
          continue;
        if (!any)
          g_string_append (s, "\n## Metrics\n\n| model | metric | mean score |\n|---|---|---:|\n");
        any = TRUE;
        names = json_object_get_members (json_node_get_object (m));
        for (GList *l = names; l != NULL; l = l->next)
          {
            g_autofree char *value = report_fmt (json_node_get_object (m), l->data, "%.3f", 1);
            g_string_append_printf (s, "| %s | %s | %s |\n", rw_json_object_get_string (r, "model", NULL),
                                    (char *) l->data, value);
          }
      }
  }
  {
    JsonArray *pairs = rw_json_object_get_array (root, "pairs");

    if (pairs != NULL && json_array_get_length (pairs) > 0)
      {
        g_string_append (s, "\n## Paired comparisons\n\n"
                            "| model A | model B | from | A wins | B wins | ties | sign test p |\n"
                            "|---|---|---|---:|---:|---:|---:|\n");
        for (guint i = 0; i < json_array_get_length (pairs); i++)
          {
            JsonObject *r = json_array_get_object_element (pairs, i);
            g_string_append_printf (s, "| %s | %s | %s | %" G_GINT64_FORMAT " | %" G_GINT64_FORMAT
                                    " | %" G_GINT64_FORMAT " | %.3g |\n",
                                    rw_json_object_get_string (r, "model_a", NULL),
                                    rw_json_object_get_string (r, "model_b", NULL),
                                    rw_json_object_get_string (r, "source", NULL),
                                    rw_json_object_get_int (r, "wins", 0),
                                    rw_json_object_get_int (r, "losses", 0),
                                    rw_json_object_get_int (r, "ties", 0),
                                    rw_json_object_get_double (r, "sign_test_p", 0));
          }
      }
  }
  return g_string_free (s, FALSE);
}

/**
 * rw_eval_report_to_csv:
 * @report: a report from rw_eval_report_build()
 *
 * Returns: (transfer full): the report's rows as CSV
 */
char *
rw_eval_report_to_csv (JsonNode *report)
{
  static const char * const numbers[] = {
    "pass_rate", "ci_low", "ci_high", "mean_score", "cost_usd", "latency_p50_ms", "latency_p90_ms",
  };
  JsonArray *rows = rw_json_object_get_array (json_node_get_object (report), "rows");
  GString *s = g_string_new ("model,task,n,passed,pass_rate,ci_low,ci_high,mean_score,cost_usd,"
                             "latency_p50_ms,latency_p90_ms,failed,cached\n");

  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *r = json_array_get_object_element (rows, i);

      rw_csv_append_text (s, rw_json_object_get_string (r, "model", ""));
      g_string_append_c (s, ',');
      rw_csv_append_text (s, rw_json_object_get_string (r, "task", ""));
      g_string_append_printf (s, ",%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT,
                              rw_json_object_get_int (r, "n", 0), rw_json_object_get_int (r, "passed", 0));
      for (guint k = 0; k < G_N_ELEMENTS (numbers); k++)
        {
          g_autofree char *v = report_fmt (r, numbers[k], "%.6g", 1);
          g_string_append_printf (s, ",%s", g_str_equal (v, "–") ? "" : v);
        }
      g_string_append_printf (s, ",%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT "\n",
                              rw_json_object_get_int (r, "failed", 0),
                              rw_json_object_get_int (r, "cached", 0));
    }
  return g_string_free (s, FALSE);
}

static void
report_append_escaped (GString    *s,
                       const char *text)
{
  g_autofree char *escaped = g_markup_escape_text (text ? text : "", -1);
  g_string_append (s, escaped);
}

double
_rw_eval_report_number (JsonObject *row,
                        const char *name)
{
  JsonNode *node = json_object_get_member (row, name);
  return node && !JSON_NODE_HOLDS_NULL (node) ? json_node_get_double (node) : NAN;
}

static const char * const palette[] = {
  "#3584e4", "#e66100", "#2ec27e", "#9141ac", "#c01c28", "#986a44", "#1c71d8", "#f5c211",
};

/* Cost of the whole run against pass rate, one point per model with its 95% interval. */
static void
report_append_cost_quality (GString   *s,
                            GPtrArray *all)
{
  const double W = 640, H = 360, L = 70, R = 20, T = 20, B = 50;
  double max_cost = 0;

  for (guint i = 0; i < all->len; i++)
    max_cost = MAX (max_cost, _rw_eval_report_number (all->pdata[i], "cost_usd"));
  if (!(max_cost > 0))
    max_cost = 1;
  max_cost *= 1.15;

  g_string_append_printf (s, "<svg viewBox='0 0 %.0f %.0f' role='img' aria-label='Cost against quality'>", W, H);
  for (int t = 0; t <= 4; t++)
    {
      double y = T + (H - T - B) * (1 - t / 4.0);
      double x = L + (W - L - R) * t / 4.0;
      g_string_append_printf (s, "<line x1='%.1f' x2='%.1f' y1='%.1f' y2='%.1f' class='grid'/>"
                                 "<text x='%.1f' y='%.1f' class='tick' text-anchor='end'>%d%%</text>",
                              L, W - R, y, y, L - 8, y + 4, t * 25);
      g_string_append_printf (s, "<text x='%.1f' y='%.1f' class='tick' text-anchor='middle'>$%.3g</text>",
                              x, H - B + 18, max_cost * t / 4.0);
    }
  g_string_append_printf (s, "<text x='%.1f' y='%.1f' class='axis' text-anchor='middle'>cost of the run (US dollars)</text>",
                          L + (W - L - R) / 2, H - 8);
  g_string_append_printf (s, "<text transform='translate(16 %.1f) rotate(-90)' class='axis' text-anchor='middle'>pass rate</text>",
                          T + (H - T - B) / 2);
  for (guint i = 0; i < all->len; i++)
    {
      JsonObject *r = all->pdata[i];
      double x = L + (W - L - R) * _rw_eval_report_number (r, "cost_usd") / max_cost;
      double y = T + (H - T - B) * (1 - _rw_eval_report_number (r, "pass_rate"));
      double y0 = T + (H - T - B) * (1 - _rw_eval_report_number (r, "ci_low"));
      double y1 = T + (H - T - B) * (1 - _rw_eval_report_number (r, "ci_high"));
      const char *color = palette[i % G_N_ELEMENTS (palette)];

      g_string_append_printf (s, "<line x1='%.1f' x2='%.1f' y1='%.1f' y2='%.1f' stroke='%s' stroke-width='2'/>"
                                 "<circle cx='%.1f' cy='%.1f' r='7' fill='%s'><title>",
                              x, x, y0, y1, color, x, y, color);
      report_append_escaped (s, rw_json_object_get_string (r, "model", NULL));
      /* Labels of points in the right half go to their left, so they stay inside. */
      g_string_append_printf (s, ": %.1f%% for $%.4f</title></circle><text x='%.1f' y='%.1f' class='label' "
                                 "text-anchor='%s'>",
                              100 * _rw_eval_report_number (r, "pass_rate"), _rw_eval_report_number (r, "cost_usd"),
                              x > L + (W - L - R) / 2 ? x - 11 : x + 11, y - 10,
                              x > L + (W - L - R) / 2 ? "end" : "start");
      report_append_escaped (s, rw_json_object_get_string (r, "model", NULL));
      g_string_append (s, "</text>");
    }
  g_string_append (s, "</svg>");
}

/* Latency per model: the box spans the 25th to 75th percentile, the whiskers the 10th to
 * 90th, the bar is the median. */
static void
report_append_latency (GString   *s,
                       GPtrArray *all)
{
  const double W = 640, row = 44, L = 230, R = 30, T = 10;
  double H = T + row * all->len + 40, max_ms = 0;

  for (guint i = 0; i < all->len; i++)
    max_ms = MAX (max_ms, _rw_eval_report_number (all->pdata[i], "latency_p90_ms"));
  if (!(max_ms > 0))
    max_ms = 1;
  max_ms *= 1.1;

  g_string_append_printf (s, "<svg viewBox='0 0 %.0f %.0f' role='img' aria-label='Latency'>", W, H);
  for (int t = 0; t <= 4; t++)
    {
      double x = L + (W - L - R) * t / 4.0;
      /* As many decimals as the scale needs for its ticks to differ. */
      int decimals = max_ms >= 40 ? 0 : max_ms >= 4 ? 1 : max_ms >= 0.4 ? 2 : 3;
      g_string_append_printf (s, "<line x1='%.1f' x2='%.1f' y1='%.1f' y2='%.1f' class='grid'/>"
                                 "<text x='%.1f' y='%.1f' class='tick' text-anchor='middle'>%.*f ms</text>",
                              x, x, T, H - 30, x, H - 12, decimals, max_ms * t / 4.0);
    }
  for (guint i = 0; i < all->len; i++)
    {
      JsonObject *r = all->pdata[i];
      double y = T + row * i + row / 2;
      double x10 = L + (W - L - R) * _rw_eval_report_number (r, "latency_p10_ms") / max_ms;
      double x25 = L + (W - L - R) * _rw_eval_report_number (r, "latency_p25_ms") / max_ms;
      double x50 = L + (W - L - R) * _rw_eval_report_number (r, "latency_p50_ms") / max_ms;
      double x75 = L + (W - L - R) * _rw_eval_report_number (r, "latency_p75_ms") / max_ms;
      double x90 = L + (W - L - R) * _rw_eval_report_number (r, "latency_p90_ms") / max_ms;
      const char *color = palette[i % G_N_ELEMENTS (palette)];

      g_string_append_printf (s, "<text x='%.1f' y='%.1f' class='label' text-anchor='end'>", L - 10, y + 4);
      report_append_escaped (s, rw_json_object_get_string (r, "model", NULL));
      g_string_append (s, "</text>");
      if (isnan (x50))
        continue;
      g_string_append_printf (s, "<line x1='%.1f' x2='%.1f' y1='%.1f' y2='%.1f' stroke='%s' stroke-width='2'/>"
                                 "<rect x='%.1f' y='%.1f' width='%.1f' height='20' fill='%s' fill-opacity='0.35' stroke='%s'/>"
                                 "<line x1='%.1f' x2='%.1f' y1='%.1f' y2='%.1f' stroke='%s' stroke-width='3'/>",
                              x10, x90, y, y, color, x25, y - 10, MAX (1, x75 - x25), color, color,
                              x50, x50, y - 10, y + 10, color);
    }
  g_string_append (s, "</svg>");
}

/**
 * rw_eval_report_to_html:
 * @report: a report from rw_eval_report_build()
 *
 * Returns: (transfer full): the report as one self-contained HTML page with its charts
 */
char *
rw_eval_report_to_html (JsonNode *report)
{
  JsonObject *root = json_node_get_object (report);
  JsonArray *rows = rw_json_object_get_array (root, "rows");
  JsonArray *pairs = rw_json_object_get_array (root, "pairs");
  JsonNode *params = json_object_get_member (root, "params");
  g_autoptr(GPtrArray) all = g_ptr_array_new ();
  GString *s = g_string_new (NULL);
  const char *suite = NULL;

  if (params && JSON_NODE_HOLDS_OBJECT (params))
    suite = rw_json_object_get_string (json_node_get_object (params), "suite", NULL);
  for (guint i = 0; i < json_array_get_length (rows); i++)
    if (g_str_equal (rw_json_object_get_string (json_array_get_object_element (rows, i), "task", NULL), "all"))
      g_ptr_array_add (all, json_array_get_object_element (rows, i));

  g_string_append (s, "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
                      "<meta name='viewport' content='width=device-width, initial-scale=1'><title>");
  report_append_escaped (s, suite ? suite : "Evaluation");
  g_string_append (s, " — Routewise evaluation</title><style>"
    "body{font:15px/1.5 Cantarell,'Noto Sans',system-ui,sans-serif;margin:0;background:#fafafa;color:#242424}"
    "main{max-width:1100px;margin:0 auto;padding:32px 24px 48px}"
    "h1{font-size:26px;margin:0 0 4px}h2{font-size:18px;margin:36px 0 12px}"
    ".sub{color:#6f6f6f;margin:0 0 24px}.cards{display:flex;gap:16px;flex-wrap:wrap}"
    ".card{background:#fff;border-radius:12px;box-shadow:0 1px 3px rgba(0,0,0,.12);padding:16px 20px;flex:1;min-width:220px}"
    ".card b{display:block;font-size:24px}.card span{color:#6f6f6f;font-size:13px}"
    "table{border-collapse:collapse;width:100%;background:#fff;border-radius:12px;overflow:hidden;box-shadow:0 1px 3px rgba(0,0,0,.12)}"
    "th,td{padding:8px 12px;text-align:right;border-bottom:1px solid #eee;font-variant-numeric:tabular-nums}"
    "th:nth-child(-n+2),td:nth-child(-n+2){text-align:left}th{background:#f3f3f3;font-weight:600}"
    "tr.all td{font-weight:600;background:#f8fbff}.bar{display:inline-block;height:8px;background:#3584e4;border-radius:4px;vertical-align:middle;margin-right:6px}"
    ".charts{display:grid;grid-template-columns:1fr 1fr;gap:16px}.chart{background:#fff;border-radius:12px;box-shadow:0 1px 3px rgba(0,0,0,.12);padding:12px}"
    "h3{font-size:14px;font-weight:600;margin:4px 8px 8px;color:#444}svg{width:100%;height:auto}.grid{stroke:#e6e6e6}.tick{font-size:11px;fill:#6f6f6f}.axis{font-size:12px;fill:#444}.label{font-size:12px;fill:#242424}"
    "@media (max-width:800px){.charts{grid-template-columns:1fr}}"
    "</style></head><body><main><h1>");
  report_append_escaped (s, suite ? suite : "Evaluation");
  g_string_append (s, "</h1><p class='sub'>Run ");
  report_append_escaped (s, rw_json_object_get_string (root, "run_id", NULL));
  g_string_append (s, " · ");
  report_append_escaped (s, rw_json_object_get_string (root, "status", NULL));
  g_string_append (s, "</p><div class='cards'>");
  for (guint i = 0; i < all->len; i++)
    {
      JsonObject *r = all->pdata[i];
      g_string_append (s, "<div class='card'><span>");
      report_append_escaped (s, rw_json_object_get_string (r, "model", NULL));
      g_string_append_printf (s, "</span><b>%.1f%%</b><span>95%% interval %.1f–%.1f%% · $%.4f · median %.0f ms</span></div>",
                              100 * _rw_eval_report_number (r, "pass_rate"), 100 * _rw_eval_report_number (r, "ci_low"), 100 * _rw_eval_report_number (r, "ci_high"),
                              _rw_eval_report_number (r, "cost_usd"), _rw_eval_report_number (r, "latency_p50_ms"));
    }
  g_string_append (s, "</div><h2>Quality and cost</h2><div class='charts'><div class='chart'>"
                      "<h3>Pass rate against cost, with 95% intervals</h3>");
  report_append_cost_quality (s, all);
  g_string_append (s, "</div><div class='chart'><h3>Latency: median, 25th–75th and 10th–90th percentiles</h3>");
  report_append_latency (s, all);
  g_string_append (s, "</div></div><h2>Per model and task</h2><table><tr><th>model</th><th>task</th><th>n</th>"
                      "<th>pass rate</th><th>95% interval</th><th>mean score</th><th>cost</th>"
                      "<th>p50 latency</th><th>p90 latency</th><th>failed</th></tr>");
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *r = json_array_get_object_element (rows, i);
      gboolean is_all = g_str_equal (rw_json_object_get_string (r, "task", NULL), "all");

      g_string_append_printf (s, "<tr%s><td>", is_all ? " class='all'" : "");
      report_append_escaped (s, rw_json_object_get_string (r, "model", NULL));
      g_string_append (s, "</td><td>");
      report_append_escaped (s, rw_json_object_get_string (r, "task", NULL));
      g_string_append_printf (s, "</td><td>%" G_GINT64_FORMAT "</td><td><span class='bar' style='width:%.0fpx'></span>%.1f%%</td>"
                                 "<td>%.1f–%.1f%%</td><td>%.3f</td><td>$%.4f</td><td>%.0f ms</td><td>%.0f ms</td><td>%" G_GINT64_FORMAT "</td></tr>",
                              rw_json_object_get_int (r, "n", 0), 60 * _rw_eval_report_number (r, "pass_rate"), 100 * _rw_eval_report_number (r, "pass_rate"),
                              100 * _rw_eval_report_number (r, "ci_low"), 100 * _rw_eval_report_number (r, "ci_high"), _rw_eval_report_number (r, "mean_score"),
                              _rw_eval_report_number (r, "cost_usd"), _rw_eval_report_number (r, "latency_p50_ms"), _rw_eval_report_number (r, "latency_p90_ms"),
                              rw_json_object_get_int (r, "failed", 0));
    }
  g_string_append (s, "</table>");
  if (pairs != NULL && json_array_get_length (pairs) > 0)
    {
      g_string_append (s, "<h2>Paired comparisons</h2><table><tr><th>model A</th><th>model B</th><th>from</th>"
                          "<th>A wins</th><th>B wins</th><th>ties</th><th>sign test p</th></tr>");
      for (guint i = 0; i < json_array_get_length (pairs); i++)
        {
          JsonObject *r = json_array_get_object_element (pairs, i);
          g_string_append (s, "<tr><td>");
          report_append_escaped (s, rw_json_object_get_string (r, "model_a", NULL));
          g_string_append (s, "</td><td>");
          report_append_escaped (s, rw_json_object_get_string (r, "model_b", NULL));
          g_string_append (s, "</td><td>");
          report_append_escaped (s, rw_json_object_get_string (r, "source", NULL));
          g_string_append_printf (s, "</td><td>%" G_GINT64_FORMAT "</td><td>%" G_GINT64_FORMAT "</td><td>%"
                                     G_GINT64_FORMAT "</td><td>%.3g</td></tr>",
                                  rw_json_object_get_int (r, "wins", 0), rw_json_object_get_int (r, "losses", 0),
                                  rw_json_object_get_int (r, "ties", 0), _rw_eval_report_number (r, "sign_test_p"));
        }
      g_string_append (s, "</table>");
    }
  g_string_append (s, "</main></body></html>\n");
  return g_string_free (s, FALSE);
}

/* The comparison with an earlier run, as Markdown. */
char *
rw_eval_report_comparison_to_markdown (JsonNode *report)
{
  JsonObject *root = json_node_get_object (report);
  JsonObject *against;
  JsonArray *rows;
  GString *s = g_string_new (NULL);

  if (!json_object_has_member (root, "against"))
    return g_string_free (s, FALSE);
  against = rw_json_object_get_object (root, "against");
  rows = rw_json_object_get_array (against, "rows");
  g_string_append_printf (s, "\n## Against run %s\n\n| model | task | then | now | change | cost then | cost now |\n"
                             "|---|---|---:|---:|---:|---:|---:|\n",
                          rw_json_object_get_string (against, "run_id", NULL));
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *r = json_array_get_object_element (rows, i);
      g_string_append_printf (s, "| %s | %s | %.1f%% | %.1f%% | %+.1f points | $%.4f | $%.4f |\n",
                              rw_json_object_get_string (r, "model", NULL), rw_json_object_get_string (r, "task", NULL),
                              100 * _rw_eval_report_number (r, "earlier_pass_rate"), 100 * _rw_eval_report_number (r, "pass_rate"), 100 * _rw_eval_report_number (r, "change"),
                              _rw_eval_report_number (r, "earlier_cost_usd"), _rw_eval_report_number (r, "cost_usd"));
    }
  return g_string_free (s, FALSE);
}
