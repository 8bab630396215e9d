/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <inttypes.h>
#include <stdio.h>

#include "rw-cli-context.h"
#include "rw-cli-printer.h"
#include "rw-json.h"

typedef struct
{
  char *since;
  char *until;
  char *policy_path;
  gboolean json;
} StatsOptions;

#define FIELD(f) RW_CLI_OPTION_FIELD (StatsOptions, f)
static const GOptionEntry stats_entries[] = {
  { "since", 0, 0, G_OPTION_ARG_STRING, FIELD (since),
    N_("From this day (YYYY-MM-DD, today, yesterday, 7d for a week ago) or ISO 8601 time"),
    N_("DATE") },
  { "until", 0, 0, G_OPTION_ARG_STRING, FIELD (until),
    N_("To the end of this day, or to this ISO 8601 time"), N_("DATE") },
  { "policy", 0, 0, G_OPTION_ARG_FILENAME, FIELD (policy_path),
    N_("Set this policy's cost against what was spent (default: the active policy)"),
    N_("FILE") },
  { "json", 0, 0, G_OPTION_ARG_NONE, FIELD (json), N_("Print JSON"), NULL },
  { NULL }
};
#undef FIELD

#define STATS_USAGE N_("usage: routewise-cli stats [--since DATE] [--until DATE] [--json]")

/* A whole number of milliseconds, or a dash where there is none. */
static const char *
stats_ms (char       *buf,
          gsize       size,
          JsonObject *o,
          const char *member)
{
  if (o == NULL || !json_object_has_member (o, member) || json_object_get_null_member (o, member))
    return "–";
  g_snprintf (buf, size, "%.0f", json_object_get_double_member (o, member));
  return buf;
}

static void
stats_print_text (JsonObject *s)
{
  JsonArray *days = rw_json_object_get_array (s, "days");
  JsonArray *models = rw_json_object_get_array (s, "models");
  JsonArray *winners = rw_json_object_get_array (s, "winners");
  JsonObject *policy = rw_json_object_get_object (s, "policy");

  printf (_("%" PRId64 " requests, %" PRId64 " attempts, %" PRId64 " failed, %" PRId64
            " fell back; $%.4f spent.\n"),
          rw_json_object_get_int (s, "requests", 0), rw_json_object_get_int (s, "attempts", 0),
          rw_json_object_get_int (s, "failures", 0), rw_json_object_get_int (s, "fallbacks", 0),
          rw_json_object_get_double (s, "cost_usd", 0));
  if (rw_json_object_get_int (s, "attempts", 0) == 0)
    return;

  printf ("\n%s\n| %s | %s | %s | %s |\n|---|---|---:|---:|\n", _("Requests and cost per day:"),
          _("day"), _("model"), _("requests"), _("cost"));
  for (guint i = 0; days != NULL && i < json_array_get_length (days); i++)
    {
      JsonObject *d = json_array_get_object_element (days, i);
      JsonArray *ms = rw_json_object_get_array (d, "models");

      for (guint j = 0; ms != NULL && j < json_array_get_length (ms); j++)
        {
          JsonObject *m = json_array_get_object_element (ms, j);
          printf ("| %s | %s | %" PRId64 " | $%.4f |\n", rw_json_object_get_string (d, "day", ""),
                  rw_json_object_get_string (m, "model", ""),
                  rw_json_object_get_int (m, "requests", 0),
                  rw_json_object_get_double (m, "cost_usd", 0));
        }
    }

  printf ("\n%s\n| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n"
          "|---|---:|---:|---:|---|---:|---:|---:|---:|\n", _("Per model:"),
          _("model"), _("requests"), _("failed"), _("fell back"), _("errors"),
          _("p50 ms"), _("p90 ms"), _("p99 ms"), _("TTFT p50 ms"));
  for (guint i = 0; models != NULL && i < json_array_get_length (models); i++)
    {
      JsonObject *m = json_array_get_object_element (models, i);
      JsonObject *lat = rw_json_object_get_object (m, "latency_ms");
      JsonObject *ttft = rw_json_object_get_object (m, "ttft_ms");
      JsonObject *errors = rw_json_object_get_object (m, "errors");
      g_autoptr(GString) kinds = g_string_new (NULL);
      g_autoptr(GList) names = errors ? json_object_get_members (errors) : NULL;
      char b1[32], b2[32], b3[32], b4[32];

      for (GList *l = names; l; l = l->next)
        g_string_append_printf (kinds, "%s%s %" PRId64, kinds->len ? ", " : "",
                                (char *) l->data, rw_json_object_get_int (errors, l->data, 0));
      printf ("| %s | %" PRId64 " | %.1f%% | %.1f%% | %s | %s | %s | %s | %s |\n",
              rw_json_object_get_string (m, "model", ""),
              rw_json_object_get_int (m, "requests", 0),
              100 * rw_json_object_get_double (m, "failure_rate", 0),
              100 * rw_json_object_get_double (m, "fallback_rate", 0),
              kinds->len ? kinds->str : "–",
              stats_ms (b1, sizeof b1, lat, "p50"),
              stats_ms (b2, sizeof b2, lat, "p90"),
              stats_ms (b3, sizeof b3, lat, "p99"),
              stats_ms (b4, sizeof b4, ttft, "p50"));
    }

  if (winners != NULL && json_array_get_length (winners) > 0)
    {
      printf ("\n%s\n| %s | %s | %s | %s |\n|---|---|---:|---:|\n",
              _("Which model won each task (votes, judges and grades of the period):"),
              _("task"), _("model"), _("wins"), _("losses"));
      for (guint i = 0; i < json_array_get_length (winners); i++)
        {
          JsonObject *w = json_array_get_object_element (winners, i);
          printf ("| %s | %s | %" PRId64 " | %" PRId64 " |\n",
                  rw_json_object_get_string (w, "task", ""),
                  rw_json_object_get_string (w, "model", ""),
                  rw_json_object_get_int (w, "wins", 0), rw_json_object_get_int (w, "losses", 0));
        }
    }

  if (policy != NULL)
    printf (_("\nThe policy “%s” would have cost $%.4f for %" PRId64 " of the %" PRId64
              " requests (the others it would send to unpriced models, or their tokens are "
              "unknown), against $%.4f spent.\n"),
            rw_json_object_get_string (policy, "name", ""),
            rw_json_object_get_double (policy, "would_cost_usd", 0),
            rw_json_object_get_int (policy, "priced_requests", 0),
            rw_json_object_get_int (policy, "requests", 0),
            rw_json_object_get_double (policy, "spent_usd", 0));
}

static int
stats_run (RwCliContext *cli,
           gpointer      data,
           int           argc,
           char        **argv)
{
  StatsOptions *o = data;
  RwStore *store = rw_cli_context_get_store (cli);
  RwUsagePeriod period = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(RwPolicy) policy = NULL;
  g_autofree char *policy_name = NULL;
  g_autoptr(JsonNode) stats = NULL;

  if ((o->since != NULL && !rw_usage_parse_date (o->since, FALSE, &period.since_ms, &error)) ||
      (o->until != NULL && !rw_usage_parse_date (o->until, TRUE, &period.until_ms, &error)))
    {
      rw_cli_print_error ("%s", error->message);
      return RW_CLI_EXIT_USAGE;
    }
  if (period.since_ms > 0 && period.until_ms > 0 && period.until_ms <= period.since_ms)
    {
      rw_cli_print_error (_("--until must come after --since"));
      return RW_CLI_EXIT_USAGE;
    }
  if (o->policy_path != NULL)
    {
      if ((policy = rw_policy_new_from_file (o->policy_path, &error)) == NULL)
        {
          rw_cli_print_error ("%s", error->message);
          return RW_CLI_EXIT_USAGE;
        }
      policy_name = g_path_get_basename (o->policy_path);
    }
  else if ((policy = rw_policy_new_from_store (store, NULL, &policy_name, &error)) == NULL &&
           error != NULL)
    {
      rw_cli_print_error (_("the active policy: %s"), error->message);
      return RW_CLI_EXIT_FAILED;
    }
  stats = rw_usage_stats_compute (store, &period, rw_cli_context_get_catalog (cli), policy,
                                  policy_name, &error);
  if (stats == NULL)
    {
      rw_cli_print_error ("%s", error->message);
      return RW_CLI_EXIT_FAILED;
    }
  if (o->json)
    rw_cli_print_json (stats);
  else
    stats_print_text (json_node_get_object (stats));
  return RW_CLI_EXIT_OK;
}

const RwCliCommand rw_cli_command_stats = {
  .name = "stats",
  .summary = N_("What the router did: requests, cost, failures, fallbacks, latency, winners"),
  .parameter_string = NULL,
  .help = N_("What the router did over a period, from everything stored (comparisons, "
             "evaluations and the endpoint): requests and cost per day and model, failure and "
             "fallback rates per model and kind of error, latency and time to first token "
             "percentiles per model, which model won each task, and what the active policy "
             "would have cost against what was spent."),
  .options_size = sizeof (StatsOptions),
  .entries = stats_entries,
  .max_args = 0,
  .args_error = STATS_USAGE,
  .needs = RW_CLI_NEEDS_CATALOG | RW_CLI_NEEDS_STORE,
  .run = stats_run,
};
