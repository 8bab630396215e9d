/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The window streaming eight answers in Markdown at once, each at about 100 tokens a second from
 * the mock upstream: how long each frame takes to lay out and paint (from the frame clock's
 * update to its after-paint), the time between frames, and the main loop's longest stall.
 *
 *   window-frames markdown   the Compare view, as the app shows answers
 *   window-frames plain      the same stream into eight plain GtkTextViews, the baseline: what
 *                            a window that shows text without rendering it costs
 *
 * One line of figures in milliseconds; tests/bench/window-frames.sh runs both and compares.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "rw-mock-upstream.h"
#include "rw-window.h"

#define N_COLUMNS 8

static const char answer[] =
  "# A plan for the migration\n\n"
  "The service moves in **three** steps, each *reversible*, with `kubectl` and a "
  "[runbook](https://example.org/runbook).\n\n"
  "| Step | Owner | Days |\n|------|-------|-----:|\n| Freeze | ops | 1 |\n| Copy | data | 3 |\n"
  "| Switch | ops | 1 |\n\n"
  "```python\ndef copy(rows):\n    for row in rows:\n        target.insert(row)\n    return len(rows)\n```\n\n"
  "1. Freeze the writes\n2. Copy the rows\n   - check the counts\n   - check the sums\n"
  "3. Switch the readers\n\n"
  "> Keep the old cluster for a week.\n\n"
  "After the switch, the old database stays read-only until the counts agree, and the team "
  "watches the error rates, the latency and the queue depth on the dashboard for a full day "
  "before the old cluster goes.\n\n";

typedef struct
{
  GArray *work_ms;       /* per frame, update to after-paint */
  GArray *interval_ms;   /* between frames */
  gint64 frame_start;
  gint64 last_frame;
  gint64 last_tick;
  double stall_ms;
  gboolean streaming;    /* the first piece of an answer arrived: frames count from here */
  gboolean done;
  RwComparePage *page;
} Stats;

static void
on_update (GdkFrameClock *clock,
           Stats         *s)
{
  gint64 now = g_get_monotonic_time ();

  if (!s->streaming && s->page != NULL && rw_compare_page_get_n_columns (s->page) > 0)
    {
      g_autofree char *text = rw_answer_column_dup_text (rw_compare_page_get_column (s->page, 0));
      s->streaming = *text != '\0';
    }
  if (!s->streaming || s->done)
    return;
  if (s->last_frame != 0)
    {
      double gap = (now - s->last_frame) / 1000.0;
      g_array_append_val (s->interval_ms, gap);
    }
  s->last_frame = now;
  s->frame_start = now;
}

static void
on_after_paint (GdkFrameClock *clock,
                Stats         *s)
{
  double ms;

  if (s->frame_start == 0 || s->done)
    return;
  ms = (g_get_monotonic_time () - s->frame_start) / 1000.0;
  g_array_append_val (s->work_ms, ms);
  if (g_getenv ("BENCH_VERBOSE") && ms > 8 && s->page)
    {
      g_autofree char *t = rw_answer_column_dup_text (rw_compare_page_get_column (s->page, 0));
      g_printerr ("frame %u: %.1f ms at %zu bytes (%" G_GINT64_FORMAT " us)\n", s->work_ms->len, ms, strlen (t), g_get_monotonic_time ());
    }
  s->frame_start = 0;
}

/* A source of the highest priority every 2 ms: how late it runs is how long the loop stalled. */
static gboolean
on_tick (gpointer data)
{
  Stats *s = data;
  gint64 now = g_get_monotonic_time ();

  if (s->last_tick != 0 && s->streaming)
    s->stall_ms = MAX (s->stall_ms, (now - s->last_tick) / 1000.0 - 2.0);
  s->last_tick = now;
  return G_SOURCE_CONTINUE;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static double
percentile (GArray *values,
            double  p)
{
  if (values->len == 0)
    return 0;
  g_array_sort (values, compare_doubles);
  return g_array_index (values, double, MIN (values->len - 1, (guint) (p * values->len)));
}

static void
on_finished (gpointer unused,
             Stats   *s)
{
  s->done = TRUE;
}

static Stats *plain_stats;

static void
on_plain_delta (RwFanout   *fanout,
                guint       index,
                const char *text,
                GPtrArray  *views)
{
  plain_stats->streaming = TRUE;
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (views->pdata[index]);
  GtkTextIter end;

  gtk_text_buffer_get_end_iter (buffer, &end);
  gtk_text_buffer_insert (buffer, &end, text, -1);
}

static void
on_plain_done (GObject      *object,
               GAsyncResult *res,
               gpointer      data)
{
  g_autoptr(GPtrArray) results = rw_fanout_run_finish (RW_FANOUT (object), res, NULL);

  on_finished (NULL, data);
}

int
main (int    argc,
      char **argv)
{
  const char *mode = argc > 1 ? argv[1] : "markdown";
  g_autoptr(RwMockUpstream) upstream = NULL;
  g_autoptr(RwCatalog) catalog = rw_catalog_new ();
  g_autoptr(GPtrArray) models = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GString) json = g_string_new (NULL);
  g_autoptr(GPtrArray) pieces = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  g_autofree char *base = NULL;
  GStrvBuilder *ids = g_strv_builder_new ();
  g_auto(GStrv) id_list = NULL;
  Stats s = { g_array_new (FALSE, FALSE, sizeof (double)),
              g_array_new (FALSE, FALSE, sizeof (double)) };
  GtkWidget *window;
  GdkFrameClock *clock;
  guint tick;

  gtk_init ();
  adw_init ();
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  upstream = rw_mock_upstream_new ();
  base = rw_mock_upstream_dup_base_url (upstream);

  /* One piece a token: about four characters, ten milliseconds apart. */
  const char *text = g_getenv ("BENCH_ANSWER") ? g_getenv ("BENCH_ANSWER") : answer;
  for (const char *p = text; *p != '\0';)
    {
      gsize n = MIN (strlen (p), 4);
      g_ptr_array_add (pieces, g_strndup (p, n));
      p += n;
    }
  g_ptr_array_add (pieces, NULL);

  g_string_append_printf (json, "{\"providers\": [{\"id\": \"bench\", \"kind\": \"openai\", "
                                "\"base_url\": \"%s\"}], \"models\": [", base);
  for (guint i = 0; i < N_COLUMNS; i++)
    {
      g_autofree char *name = g_strdup_printf ("m%u", i);
      g_autofree char *id = g_strdup_printf ("bench/m%u", i);
      RwMockReply *reply = rw_mock_reply_new_stream ((const char * const *) pieces->pdata, 50,
                                                     pieces->len - 1, TRUE);

      /* About one event a write, ten milliseconds apart: 100 tokens a second. */
      reply->chunk_size = g_bytes_get_size (reply->body) / (pieces->len - 1);
      reply->chunk_delay_ms = 10;
      rw_mock_upstream_set_default (upstream, name, reply);
      g_string_append_printf (json, "%s{\"id\": \"%s\", \"provider\": \"bench\", \"name\": \"%s\"}",
                              i ? ", " : "", id, name);
      g_strv_builder_add (ids, id);
    }
  g_string_append (json, "]}");
  if (!rw_catalog_load_data (catalog, "bench", json->str, -1, &error))
    g_error ("%s", error->message);
  id_list = g_strv_builder_end (ids);
  g_strv_builder_unref (ids);
  for (guint i = 0; i < N_COLUMNS; i++)
    g_ptr_array_add (models, g_object_ref (rw_catalog_lookup_model (catalog, id_list[i])));

  if (g_str_equal (mode, "plain"))
    {
      GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
      GPtrArray *views = g_ptr_array_new ();
      g_autoptr(RwFanout) fanout = rw_fanout_new (catalog);
      g_autoptr(RwChatRequest) request = rw_chat_request_new_for_prompt ("Plan the migration.");

      window = gtk_window_new ();
      gtk_box_set_homogeneous (GTK_BOX (box), TRUE);
      for (guint i = 0; i < N_COLUMNS; i++)
        {
          GtkWidget *scroller = gtk_scrolled_window_new ();
          GtkWidget *view = gtk_text_view_new ();

          gtk_text_view_set_wrap_mode (GTK_TEXT_VIEW (view), GTK_WRAP_WORD_CHAR);
          gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), view);
          gtk_widget_set_hexpand (scroller, TRUE);
          gtk_box_append (GTK_BOX (box), scroller);
          g_ptr_array_add (views, view);
        }
      gtk_window_set_child (GTK_WINDOW (window), box);
      gtk_window_set_default_size (GTK_WINDOW (window), 1600, 900);
      gtk_window_present (GTK_WINDOW (window));
      plain_stats = &s;
      g_signal_connect (fanout, "delta", G_CALLBACK (on_plain_delta), views);
      rw_fanout_run_async (fanout, request, models, NULL, on_plain_done, &s);
      while (gtk_widget_get_frame_clock (window) == NULL)
        g_main_context_iteration (NULL, TRUE);
      clock = gtk_widget_get_frame_clock (window);
      g_signal_connect (clock, "update", G_CALLBACK (on_update), &s);
      g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint), &s);
      tick = g_timeout_add_full (G_PRIORITY_HIGH, 2, on_tick, &s, NULL);
      while (!s.done)
        g_main_context_iteration (NULL, TRUE);
    }
  else
    {
      RwComparePage *page;

      window = GTK_WIDGET (rw_window_new (NULL, catalog, NULL));
      page = rw_window_get_compare_page (RW_WINDOW (window));
      s.page = page;
      gtk_window_set_default_size (GTK_WINDOW (window), 1600, 900);
      gtk_window_present (GTK_WINDOW (window));
      rw_compare_page_set_selected_models (page, (const char * const *) id_list);
      rw_compare_page_set_prompt (page, "Plan the migration.");
      g_signal_connect (page, "compare-finished", G_CALLBACK (on_finished), &s);
      while (gtk_widget_get_frame_clock (window) == NULL)
        g_main_context_iteration (NULL, TRUE);
      clock = gtk_widget_get_frame_clock (window);
      g_signal_connect (clock, "update", G_CALLBACK (on_update), &s);
      g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint), &s);
      /* A first round, unmeasured, when asked: what a window costs once it has shown an
       * answer, every font and icon loaded. */
      if (g_getenv ("BENCH_WARM") != NULL)
        {
          gtk_widget_activate_action (GTK_WIDGET (page), "compare.send", NULL);
          while (!s.done)
            g_main_context_iteration (NULL, TRUE);
          s.done = FALSE;
          s.page = NULL;
          g_array_set_size (s.work_ms, 0);
          g_array_set_size (s.interval_ms, 0);
          s.last_frame = 0;
          s.stall_ms = 0;
          s.streaming = FALSE;
          s.page = page;
        }
      tick = g_timeout_add_full (G_PRIORITY_HIGH, 2, on_tick, &s, NULL);
      gtk_widget_activate_action (GTK_WIDGET (page), "compare.send", NULL);
      while (!s.done)
        g_main_context_iteration (NULL, TRUE);
    }
  g_source_remove (tick);

  printf ("%s frames=%u work_p50=%.2f work_p99=%.2f work_max=%.2f interval_p50=%.2f "
          "interval_p99=%.2f stall_max=%.2f\n",
          mode, s.work_ms->len, percentile (s.work_ms, 0.5), percentile (s.work_ms, 0.99),
          percentile (s.work_ms, 1.0), percentile (s.interval_ms, 0.5),
          percentile (s.interval_ms, 0.99), s.stall_ms);
  gtk_window_destroy (GTK_WINDOW (window));
  return 0;
}
