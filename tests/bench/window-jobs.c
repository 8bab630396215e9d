/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The main loop's longest stall while the window does its long jobs: a 1 ms timer on the main
 * context, and the longest it waited past its time.
 *
 *   window-jobs idle       the window on the Evaluate view for two seconds, doing nothing:
 *                          the baseline, what the loop's own timing and Xvfb give
 *   window-jobs switch     views already shown once, shown again in turn: what repainting the
 *                          whole window costs the loop, with no work of ours beside it
 *   window-jobs evaluate   an evaluation of 500 items × 4 models run from the Evaluate view,
 *                          against the mock upstream answering at once
 *   window-jobs learn      a policy learned in the Policies view from RouteLLM's grades (57
 *                          MMLU subjects and GSM8K, 30,478 graded answers), then evaluated
 *                          held out
 *   window-jobs activate   that policy (10 MB of JSON) kept and made active from the Policies
 *                          view: Compare and the endpoint read it; measured for 1.5 s after
 *   window-jobs export     that kept policy exported as a Routewise file: read back, converted
 *                          and written; measured until it is written
 *
 * One line of figures in milliseconds; tests/bench/window-jobs.sh runs them and compares.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>

#include "rw-mock-upstream.h"
#include "rw-window.h"

#define N_ITEMS 500
#define N_MODELS 4

typedef struct
{
  GArray *late_ms;       /* how late each tick of the 1 ms timer came */
  gint64 last;
  gboolean measuring;
} Stalls;

static gboolean
on_tick (gpointer data)
{
  Stalls *s = data;
  gint64 now = g_get_monotonic_time ();

  if (s->measuring && s->last > 0)
    {
      double late = (now - s->last) / 1000.0 - 1.0;
      g_array_append_val (s->late_ms, late);
      if (late > 10 && g_getenv ("BENCH_TRACE"))
        g_printerr ("stall %.1f ms ending at %.3f s\n", late, now / 1e6);
    }
  s->last = now;
  return G_SOURCE_CONTINUE;
}

/* Under BENCH_TRACE, a stall of 300 ms raises SIGTRAP: a debugger shows what the loop does. */
static gpointer
watchdog (gpointer data)
{
  Stalls *s = data;

  for (;;)
    {
      g_usleep (20000);
      if (g_getenv ("BENCH_TRAP") && s->measuring && s->last > 0 && g_get_monotonic_time () - s->last > 300000)
        {
          raise (SIGTRAP);
          return NULL;
        }
    }
}

static void
on_kept (GObject      *object,
         GAsyncResult *result,
         gpointer      data)
{
  *(char **) data = rw_policies_page_keep_finish (RW_POLICIES_PAGE (object), result, NULL);
}

static void
on_result (GObject      *object,
           GAsyncResult *result,
           gpointer      data)
{
  *(GAsyncResult **) data = g_object_ref (result);
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static void
report (const char *mode,
        Stalls     *s,
        double      seconds,
        const char *extra)
{
  GArray *v = s->late_ms;
  double p99, max;

  g_array_sort (v, compare_doubles);
  p99 = v->len ? g_array_index (v, double, (guint) (0.99 * (v->len - 1))) : 0;
  max = v->len ? g_array_index (v, double, v->len - 1) : 0;
  printf ("%s stall_p99=%.2f stall_max=%.2f ticks=%u seconds=%.2f %s\n", mode, p99, max, v->len,
          seconds, extra ? extra : "");
}

static char *
write_suite (const char *dir)
{
  g_autoptr(GString) s = g_string_new (NULL);
  char *path = g_build_filename (dir, "bench-500.jsonl", NULL);

  for (guint i = 0; i < N_ITEMS; i++)
    g_string_append_printf (s, "{\"id\": \"q%u\", \"task\": \"math\", \"prompt\": \"What is %u "
                               "plus %u?\", \"reference\": \"%u\", \"graders\": [{\"type\": \"numeric\"}]}\n", i, i, i, 2 * i);
  g_assert_true (g_file_set_contents (path, s->str, -1, NULL));
  return path;
}

int
main (int    argc,
      char **argv)
{
  const char *mode = argc > 1 ? argv[1] : "idle";
  g_autofree char *dir = g_dir_make_tmp ("routewise-bench-XXXXXX", NULL);
  g_autofree char *db = g_build_filename (dir, "routewise.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(RwCatalog) catalog = rw_catalog_new ();
  g_autoptr(RwStore) store = NULL;
  g_autoptr(RwMockUpstream) mock = rw_mock_upstream_new ();
  g_autofree char *base = rw_mock_upstream_dup_base_url (mock);
  g_autoptr(GString) json = g_string_new (NULL);
  Stalls s = { g_array_new (FALSE, FALSE, sizeof (double)), 0, FALSE };
  RwWindow *window;
  gint64 start;
  g_autofree char *extra = NULL;

  g_setenv ("ROUTEWISE_CONFIG_DIR", dir, TRUE);
  gtk_init ();
  adw_init ();
  g_string_append_printf (json, "{\"providers\": [{\"id\": \"mock\", \"kind\": \"openai\", "
                                "\"base_url\": \"%s\"}, {\"id\": \"recorded\", \"kind\": "
                                "\"recorded\", \"speed\": 0}], \"models\": [", base);
  for (guint m = 0; m < N_MODELS; m++)
    {
      g_autofree char *name = g_strdup_printf ("m%u", m);
      g_string_append_printf (json, "%s{\"id\": \"mock/%s\", \"provider\": \"mock\", "
                                    "\"name\": \"%s\", \"input_price\": 1, \"output_price\": 2}",
                              m ? ", " : "", name, name);
      rw_mock_upstream_set_default (mock, name, rw_mock_reply_new_chat ("The sum is 42.", 12, 5));
    }
  g_string_append (json, "]}");
  g_assert_true (rw_catalog_load_defaults (catalog, &error));
  g_assert_true (rw_catalog_load_data (catalog, "bench", json->str, -1, &error));
  store = rw_store_open (db, &error);
  g_assert_no_error (error);

  window = rw_window_new (NULL, catalog, store);
  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 860);
  gtk_window_present (GTK_WINDOW (window));
  g_timeout_add_full (G_PRIORITY_HIGH, 1, on_tick, &s, NULL);
  if (g_getenv ("BENCH_TRACE"))
    g_thread_unref (g_thread_new ("watchdog", watchdog, &s));
  /* The window mapped and drawn before anything is measured. */
  start = g_get_monotonic_time ();
  while (g_get_monotonic_time () - start < 500000)
    g_main_context_iteration (NULL, TRUE);

  if (g_str_equal (mode, "evaluate"))
    {
      RwEvaluatePage *page = rw_window_get_evaluate_page (window);
      g_autofree char *suite = write_suite (dir);
      const char *models[] = { "mock/m0", "mock/m1", "mock/m2", "mock/m3", NULL };

      rw_window_set_view (window, "evaluate");
      start = g_get_monotonic_time ();
      while (g_get_monotonic_time () - start < 300000)
        g_main_context_iteration (NULL, TRUE);
      g_assert_true (rw_evaluate_page_set_suite_file (page, suite, &error));
      rw_evaluate_page_set_models (page, models);
      rw_evaluate_page_set_options (page, 1, 16, 0, NULL);
      g_assert_true (rw_evaluate_page_prepare (page, NULL, &error));
      s.last = g_get_monotonic_time ();
      s.measuring = TRUE;
      start = g_get_monotonic_time ();
      if (g_getenv ("BENCH_TRACE"))
        g_printerr ("start at %.3f s\n", g_get_monotonic_time () / 1e6);
      {
        gint64 t0 = g_get_monotonic_time ();
        rw_evaluate_page_start (page);
        if (g_getenv ("BENCH_TRACE"))
          g_printerr ("start took %.1f ms\n", (g_get_monotonic_time () - t0) / 1e3);
      }
      while (rw_evaluate_page_is_running (page))
        g_main_context_iteration (NULL, TRUE);
      if (g_getenv ("BENCH_TRACE"))
        g_printerr ("done at %.3f s\n", g_get_monotonic_time () / 1e6);
      extra = g_strdup_printf ("answers=%u status=%s", rw_evaluate_page_get_n_done (page),
                               rw_evaluate_page_get_status (page));
    }
  else if (g_str_equal (mode, "learn") || g_str_equal (mode, "activate") ||
           g_str_equal (mode, "export"))
    {
      RwPoliciesPage *page = rw_window_get_policies_page (window);
      g_autofree char *mmlu = g_build_filename (ROUTEWISE_SOURCE_ROOT, "data", "routellm", "mmlu", NULL);
      g_autofree char *gsm8k = g_build_filename (ROUTEWISE_SOURCE_ROOT, "data", "recorded",
                                                 "gsm8k_responses.csv", NULL);
      guint n = 0;
      g_autofree char *r1 = rw_routellm_import (store, catalog, mmlu, &n, &error);
      g_autofree char *r2 = NULL;
      double learned_s;

      g_assert_no_error (error);
      g_assert_nonnull (r1);
      r2 = rw_routellm_import (store, catalog, gsm8k, &n, &error);
      g_assert_no_error (error);
      g_assert_nonnull (r2);
      rw_store_flush (store, NULL);
      s.last = g_get_monotonic_time ();
      s.measuring = g_str_equal (mode, "learn");
      start = g_get_monotonic_time ();
      rw_window_set_view (window, "policies");
      while (rw_policies_page_is_busy (page) || rw_policies_page_get_learned (page) == NULL)
        g_main_context_iteration (NULL, TRUE);
      learned_s = (g_get_monotonic_time () - start) / 1e6;
      if (g_str_equal (mode, "learn"))
        {
          rw_policies_page_evaluate (page);
          while (rw_policies_page_is_busy (page))
            g_main_context_iteration (NULL, TRUE);
          extra = g_strdup_printf ("learned_s=%.2f evaluated=%s", learned_s,
                                   rw_policies_page_get_evaluation (page) ? "yes" : "no");
        }
      else
        {
          g_autofree char *kept = NULL;

          s.last = g_get_monotonic_time ();
          s.measuring = TRUE;
          start = g_get_monotonic_time ();
          s.measuring = g_str_equal (mode, "activate");
          rw_policies_page_keep_async (page, "bench", TRUE, on_kept, &kept);
          while (g_get_monotonic_time () - start < 1500000)
            g_main_context_iteration (NULL, TRUE);
          extra = g_strdup_printf ("endpoint_policy=%s", rw_endpoint_page_get_policy_name (
                                     rw_window_get_endpoint_page (window)));
          if (g_str_equal (mode, "export"))
            {
              g_autofree char *path = g_build_filename (dir, "exported.json", NULL);
              GAsyncResult *result = NULL;

              s.last = g_get_monotonic_time ();
              s.measuring = TRUE;
              start = g_get_monotonic_time ();
              rw_policies_page_export_async (page, kept, "routewise", path, on_result, &result);
              while (result == NULL)
                g_main_context_iteration (NULL, TRUE);
              g_free (extra);
              extra = g_strdup_printf ("written=%s",
                                       rw_policies_page_export_finish (page, result, NULL, NULL)
                                       ? "yes" : "no");
              g_object_unref (result);
            }
        }
    }
  else if (g_str_equal (mode, "switch"))
    {
      /* Views already shown once, shown again: a whole window's repaint, with no work of ours
       * beside it. */
      static const char * const views[] = { "evaluate", "policies", "stats", "endpoint" };

      for (guint i = 0; i < G_N_ELEMENTS (views); i++)
        {
          rw_window_set_view (window, views[i]);
          start = g_get_monotonic_time ();
          while (g_get_monotonic_time () - start < 300000)
            g_main_context_iteration (NULL, TRUE);
        }
      s.last = g_get_monotonic_time ();
      s.measuring = TRUE;
      start = g_get_monotonic_time ();
      for (guint round = 0; round < 2; round++)
        for (guint i = 0; i < G_N_ELEMENTS (views); i++)
          {
            gint64 shown = g_get_monotonic_time ();
            rw_window_set_view (window, views[i]);
            while (g_get_monotonic_time () - shown < 250000)
              g_main_context_iteration (NULL, TRUE);
          }
    }
  else
    {
      rw_window_set_view (window, "evaluate");
      start = g_get_monotonic_time ();
      while (g_get_monotonic_time () - start < 300000)
        g_main_context_iteration (NULL, TRUE);
      s.last = g_get_monotonic_time ();
      s.measuring = TRUE;
      start = g_get_monotonic_time ();
      while (g_get_monotonic_time () - start < 2000000)
        g_main_context_iteration (NULL, TRUE);
    }
  s.measuring = FALSE;
  report (mode, &s, (g_get_monotonic_time () - start) / 1e6, extra);
  gtk_window_destroy (GTK_WINDOW (window));
  rw_store_close (store);
  g_array_unref (s.late_ms);
  return 0;
}
