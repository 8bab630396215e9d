/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <string.h>

#include "rw-answer-column.h"
#include "rw-application.h"
#include "rw-interval-bar.h"
#include "rw-chart.h"
#include "rw-eval-matrix.h"
#include "rw-json.h"
#include "rw-mock-upstream.h"
#include "rw-preferences-window.h"
#include "rw-window.h"

#ifdef GDK_WINDOWING_X11
#include <gdk/x11/gdkx.h>
#endif
#include "rw-test-fixtures.h"
#include "rw-test-util.h"

typedef struct
{
  char *dir;
  char *config_dir;
  RwCatalog *catalog;
  RwStore *store;
  RwWindow *window;
  RwComparePage *page;
  gboolean finished;
} Fixture;

static void
on_finished (RwComparePage *page,
             Fixture       *f)
{
  f->finished = TRUE;
}

/* An async call's result into *@data, for its _finish() afterwards. */
static void
on_result (GObject      *object,
           GAsyncResult *result,
           gpointer      data)
{
  *(GAsyncResult **) data = g_object_ref (result);
}

/* rw_policies_page_keep_async()'s callback: the kept policy's id into *@data. */
static void
on_kept (GObject      *object,
         GAsyncResult *result,
         gpointer      data)
{
  g_autoptr(GError) error = NULL;
  char **id = data;

  *id = rw_policies_page_keep_finish (RW_POLICIES_PAGE (object), result, &error);
  g_assert_no_error (error);
}

/* Until the window has read which policy is active (it reads it on a thread). */
static void
wait_policy_read (RwWindow *window)
{
  while (rw_window_is_reading_policy (window))
    g_main_context_iteration (NULL, TRUE);
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  double speed = data ? *(const double *) data : 0;
  g_autofree char *json = g_strdup_printf ("{\"providers\": [{\"id\": \"recorded\", "
                                           "\"kind\": \"recorded\", \"speed\": %g}]}", speed);

  f->dir = rw_test_make_tmpdir ();
  f->config_dir = g_build_filename (f->dir, "config", NULL);
  g_setenv ("ROUTEWISE_CONFIG_DIR", f->config_dir, TRUE);
  path = g_build_filename (f->dir, "routewise.db", NULL);
  f->catalog = rw_catalog_new ();
  g_assert_true (rw_catalog_load_defaults (f->catalog, &error));
  g_assert_true (rw_catalog_load_data (f->catalog, "test", json, -1, &error));
  g_assert_no_error (error);
  f->store = rw_store_open (path, &error);
  g_assert_no_error (error);
  /* Each test starts as a first start would: the settings a test before it left go. */
  {
    g_autoptr(GSettings) settings = g_settings_new (APP_ID);
    g_settings_reset (settings, "last-view");
    g_settings_reset (settings, "selected-models");
  }
  f->window = rw_window_new (NULL, f->catalog, f->store);
  g_object_add_weak_pointer (G_OBJECT (f->window), (gpointer *) &f->window);
  f->page = rw_window_get_compare_page (f->window);
  g_signal_connect (f->page, "compare-finished", G_CALLBACK (on_finished), f);
  /* Before it is shown: a test may still size it before its first frame. */
  wait_policy_read (f->window);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1400, 860);
  gtk_window_present (GTK_WINDOW (f->window));
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  if (f->window != NULL)
    {
      wait_policy_read (f->window);
      gtk_window_destroy (GTK_WINDOW (f->window));
    }
  rw_store_close (f->store);
  g_object_unref (f->store);
  g_object_unref (f->catalog);
  rw_test_rmtree (f->dir);
  g_free (f->dir);
  g_free (f->config_dir);
}

static gint64
db_int (Fixture    *f,
        const char *sql)
{
  return rw_test_db_int (rw_store_get_path (f->store), sql);
}

static gboolean
has_title (GtkWidget *widget,
           gpointer   title)
{
  return g_strcmp0 (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (widget)), title) == 0;
}

/* Iterates until the window has painted a new frame. */
static void
wait_for_frame (GtkWidget *widget)
{
  GdkFrameClock *clock;
  gint64 before;

  while (!gtk_widget_get_mapped (widget) || gtk_widget_get_frame_clock (widget) == NULL)
    g_main_context_iteration (NULL, TRUE);
  clock = gtk_widget_get_frame_clock (widget);
  before = gdk_frame_clock_get_frame_counter (clock);
  gtk_widget_queue_draw (widget);
  while (gdk_frame_clock_get_frame_counter (clock) == before)
    g_main_context_iteration (NULL, TRUE);
}

static void
save_screenshot (GtkWidget  *widget,
                 const char *name)
{
  GdkPaintable *paintable;
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *path = g_build_filename (g_getenv ("G_TEST_BUILDDIR") ?: ".", name, NULL);
  GskRenderer *renderer = gtk_native_get_renderer (GTK_NATIVE (widget));
  int w, h;
  graphene_rect_t bounds;

  /* The paintable shows what the widget drew last: make it draw first. */
  wait_for_frame (widget);
  paintable = gtk_widget_paintable_new (widget);
  w = gtk_widget_get_width (widget);
  h = gtk_widget_get_height (widget);
  gdk_paintable_snapshot (paintable, snapshot, w, h);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);
  graphene_rect_init (&bounds, 0, 0, w, h);
  texture = gsk_renderer_render_texture (renderer, node, &bounds);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("screenshot: %s", path);
  g_object_unref (paintable);
}

/* The text of the visible labels inside @widget, joined. */
static void
collect_labels (GtkWidget *widget,
                GString   *out)
{
  if (!gtk_widget_get_visible (widget))
    return;
  if (GTK_IS_LABEL (widget))
    g_string_append_printf (out, "%s\n", gtk_label_get_text (GTK_LABEL (widget)));
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_labels (child, out);
}

/* How many widgets of @type there are under @widget. */
static void
count_widgets (GtkWidget *widget,
               GType      type,
               guint     *n)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    (*n)++;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    count_widgets (child, type, n);
}

/* Any widget of @type under @widget, shown or not, for which @match says yes. */
static GtkWidget *
find_any (GtkWidget  *widget,
          GType       type,
          gboolean  (*match) (GtkWidget *, gpointer),
          gpointer    data)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type) && (match == NULL || match (widget, data)))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_any (child, type, match, data);
      if (found != NULL)
        return found;
    }
  if (GTK_IS_MENU_BUTTON (widget) && gtk_menu_button_get_popover (GTK_MENU_BUTTON (widget)))
    return find_any (GTK_WIDGET (gtk_menu_button_get_popover (GTK_MENU_BUTTON (widget))), type,
                     match, data);
  return NULL;
}

static gboolean
is_mapped (GtkWidget *widget,
           gpointer   unused)
{
  return gtk_widget_get_mapped (widget);
}

/* The first widget of @type under @widget that is on screen. */
static GtkWidget *
find_widget (GtkWidget *widget,
             GType      type)
{
  return find_any (widget, type, is_mapped, NULL);
}

static char *
labels_of (GtkWidget *widget)
{
  GString *labels = g_string_new (NULL);

  collect_labels (widget, labels);
  return g_string_free (labels, FALSE);
}

/* D7: an error whose text looks like markup ("<data>:1:105", as json-glib names a string it
 * parsed) is shown as written, where it used to show an empty toast. */
static void
test_error_toast (Fixture       *f,
                  gconstpointer  data)
{
  const char *message = "providers.json: not valid JSON: <data>:1:105: Parse error & more";
  g_autoptr(GString) labels = g_string_new (NULL);

  rw_window_show_error (f->window, message);
  wait_for_frame (GTK_WIDGET (f->window));
  collect_labels (GTK_WIDGET (f->window), labels);
  g_assert_nonnull (strstr (labels->str, message));
}

static guint
count_in (const char *haystack,
          const char *needle)
{
  guint n = 0;

  for (const char *p = strstr (haystack, needle); p != NULL; p = strstr (p + 1, needle))
    n++;
  return n;
}

/* D20: a model without a name of its own is shown by its id once, not as title and subtitle;
 * one with a name shows both. */
static void
test_column_title (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(RwModel) bare = rw_model_new ("local/tiny", "local", "tiny");
  g_autoptr(RwModel) named = rw_model_new ("local/big", "local", "big");
  RwAnswerColumn *a, *b;
  g_autoptr(GString) labels_a = g_string_new (NULL);
  g_autoptr(GString) labels_b = g_string_new (NULL);

  rw_model_set_display_name (named, "Big Local");
  a = g_object_ref_sink (rw_answer_column_new (bare, NULL));
  b = g_object_ref_sink (rw_answer_column_new (named, NULL));
  collect_labels (GTK_WIDGET (a), labels_a);
  collect_labels (GTK_WIDGET (b), labels_b);
  g_assert_cmpuint (count_in (labels_a->str, "local/tiny"), ==, 1);
  g_assert_cmpuint (count_in (labels_b->str, "local/big"), ==, 1);
  g_assert_cmpuint (count_in (labels_b->str, "Big Local"), ==, 1);
  g_object_unref (a);
  g_object_unref (b);
}

static const char *k8s = "Argue for and against the use of kubernetes in the style of a haiku.";

/* Three real models' recorded answers stream into three columns with their metrics; the best
 * one gets the vote, stored with the prompt's task. */
static void
test_three_models (Fixture       *f,
                   gconstpointer  data)
{
  const char *ids[] = { "recorded/gpt-4", "recorded/claude-v1", "recorded/llama-2-70b-chat", NULL };
  g_autoptr(RwProvider) reference = rw_recorded_provider_new ("ref");

  rw_compare_page_set_selected_models (f->page, ids);
  rw_compare_page_set_prompt (f->page, k8s);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "compare.send", NULL));
  g_assert_cmpuint (rw_compare_page_get_n_columns (f->page), ==, 3);
  rw_test_wait_until (&f->finished);

  for (guint i = 0; i < 3; i++)
    {
      RwAnswerColumn *column = rw_compare_page_get_column (f->page, i);
      RwModel *model = rw_answer_column_get_model (column);
      g_autofree char *text = rw_answer_column_dup_text (column);
      g_autofree char *expected = rw_recorded_provider_lookup (RW_RECORDED_PROVIDER (reference),
                                                               rw_model_get_upstream_name (model),
                                                               k8s, NULL);

      g_assert_cmpstr (rw_model_get_id (model), ==, ids[i]);
      g_assert_cmpstr (text, ==, expected);
      g_assert_nonnull (strstr (rw_answer_column_get_metrics (column), "First token"));
      g_assert_nonnull (strstr (rw_answer_column_get_metrics (column), "$"));
    }

  /* Pairwise votes are for two answers; with three, the best one is picked. */
  gtk_widget_activate_action (GTK_WIDGET (f->page), "compare.vote-pair", "s", "a");
  gtk_widget_activate_action (GTK_WIDGET (f->page), "compare.vote-best", "u", 1);
  save_screenshot (GTK_WIDGET (f->window), "window-three-models.png");

  g_assert_true (rw_store_flush (f->store, NULL));
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM responses WHERE status = 'ok'"), ==, 3);
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM votes v JOIN responses r ON r.id = v.winner "
                              "WHERE v.outcome = 'best' AND v.task = 'reflexion' AND "
                              "r.model = 'recorded/claude-v1' AND "
                              "json_array_length (v.candidates) = 3"), ==, 1);
  /* One vote per comparison. */
  gtk_widget_activate_action (GTK_WIDGET (f->page), "compare.vote-best", "u", 0);
  g_assert_true (rw_store_flush (f->store, NULL));
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM votes"), ==, 1);
}

static void
test_pairwise_vote (Fixture       *f,
                    gconstpointer  data)
{
  const char *ids[] = { "recorded/gpt-3.5-turbo", "recorded/claude-instant-v1", NULL };

  rw_compare_page_set_selected_models (f->page, ids);
  rw_compare_page_set_prompt (f->page, "Tell a joke about going on vacation.");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "compare.send", NULL));
  rw_test_wait_until (&f->finished);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "compare.vote-pair", "s", "b"));
  g_assert_true (rw_store_flush (f->store, NULL));
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM votes WHERE outcome = 'b' AND winner = response_b "
                              "AND task = 'creativity' AND source = 'human'"), ==, 1);

  /* The vote feeds learning: with no grade stored at all, a policy is learned from it alone,
   * and routes the task to the answer that won. */
  {
    g_autoptr(GPtrArray) outcomes = rw_outcomes_load (f->store, NULL);
    g_autoptr(RwComparisons) comparisons = rw_comparisons_new ();
    RwLearnerOptions options = { 0 };
    g_autoptr(JsonNode) policy = NULL;
    g_autoptr(GError) error = NULL;
    JsonArray *route;

    g_assert_cmpuint (outcomes->len, ==, 2);
    for (guint i = 0; i < outcomes->len; i++)
      {
        RwOutcome *o = outcomes->pdata[i];
        g_assert_cmpstr (o->task, ==, "creativity");
        g_assert_cmpfloat (o->score, ==, g_str_equal (o->model, ids[1]) ? 1.0 : 0.0);
      }
    g_assert_true (rw_comparisons_load_store (comparisons, f->store, &error));
    policy = rw_learner_learn (outcomes, comparisons, &options, &error);
    g_assert_no_error (error);
    route = rw_json_object_get_array (rw_json_object_get_object (json_node_get_object (policy),
                                                                 "tasks"), "creativity");
    g_assert_nonnull (route);
    g_assert_cmpstr (json_array_get_string_element (route, 0), ==, ids[1]);
  }

  /* D14: the vote is confirmed where it was cast, and no toast covers the answers. */
  {
    g_autofree char *labels = NULL;

    wait_for_frame (GTK_WIDGET (f->window));
    labels = labels_of (GTK_WIDGET (f->window));
    g_assert_nonnull (strstr (labels, "Vote saved for this task"));
    g_assert_null (strstr (labels, "Right Is Better"));
  }
}

/* While answers stream, the main loop keeps running: the window repaints and the Stop action
 * works; stopping stores the partial answers as cancelled. */
static void
test_responsive_and_stop (Fixture       *f,
                          gconstpointer  data)
{
  const char *ids[] = { "recorded/gpt-4", "recorded/llama-2-70b-chat", NULL };

  rw_compare_page_set_selected_models (f->page, ids);
  rw_compare_page_set_prompt (f->page, k8s);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "compare.send", NULL));

  /* Wait for some text to arrive in the first column. */
  for (;;)
    {
      g_autofree char *text = rw_answer_column_dup_text (rw_compare_page_get_column (f->page, 0));
      if (strlen (text) > 10)
        break;
      g_main_context_iteration (NULL, TRUE);
    }
  wait_for_frame (GTK_WIDGET (f->window));
  g_assert_false (f->finished);

  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "compare.stop", NULL));
  rw_test_wait_until (&f->finished);
  g_assert_true (rw_store_flush (f->store, NULL));
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM runs WHERE status = 'cancelled'"), ==, 1);
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM responses WHERE error_kind = 'cancelled' "
                              "AND length (text) > 0"), >=, 1);

  /* D12: the user's own Stop reads "Stopped", not a red "cancelled: cancelled". */
  {
    g_autoptr(GString) labels = g_string_new (NULL);
    GtkWidget *column = GTK_WIDGET (rw_compare_page_get_column (f->page, 0));

    wait_for_frame (GTK_WIDGET (f->window));
    collect_labels (column, labels);
    g_assert_nonnull (strstr (labels->str, "Stopped"));
    g_assert_null (strstr (labels->str, "cancelled"));
    save_screenshot (GTK_WIDGET (f->window), "window-stopped.png");
  }

  /* D6: stopped answers are not whole, and take no vote: asked for all the same, none is
   * stored. */
  gtk_widget_activate_action (GTK_WIDGET (f->page), "compare.vote-pair", "s", "a");
  g_assert_true (rw_store_flush (f->store, NULL));
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM votes"), ==, 0);
}

/* Sends @prompt to @ids and waits until every answer is in. */
static void
compare (Fixture           *f,
         const char * const *ids,
         const char         *prompt)
{
  f->finished = FALSE;
  rw_compare_page_set_selected_models (f->page, ids);
  rw_compare_page_set_prompt (f->page, prompt);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "compare.send", NULL));
  rw_test_wait_until (&f->finished);
}

/* History: the comparisons made in the window are listed; a word that only an answer holds
 * finds its comparison; a row opens it again, read-only, in Compare with its answers and its
 * vote; Run Again asks its models again; what is listed exports; a deleted comparison is gone
 * with its answers and its vote. */
static void
test_history (Fixture       *f,
              gconstpointer  data)
{
  const char *pair[] = { "recorded/gpt-3.5-turbo", "recorded/claude-instant-v1", NULL };
  const char *three[] = { "recorded/gpt-4", "recorded/claude-v1", "recorded/llama-2-70b-chat",
                          NULL };
  RwHistoryPage *history = rw_window_get_history_page (f->window);
  g_autoptr(RwProvider) reference = rw_recorded_provider_new ("ref");
  g_autofree char *k8s_id = NULL;
  g_autofree char *labels = NULL;
  g_autofree char *csv = NULL;
  g_autofree char *csv_path = g_build_filename (f->dir, "history.csv", NULL);
  g_autoptr(GFile) csv_file = g_file_new_for_path (csv_path);
  g_autoptr(GError) error = NULL;
  GtkWidget *row;

  compare (f, pair, "Tell a joke about going on vacation.");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "compare.vote-pair", "s", "b"));
  compare (f, three, k8s);

  rw_window_set_view (f->window, "history");
  wait_for_frame (GTK_WIDGET (f->window));
  g_assert_cmpuint (rw_history_page_get_listed (history)->len, ==, 2);

  /* "Orchestrated" is in Claude v1's answer only, not in any prompt. */
  rw_history_page_set_search (history, "orchestrated");
  g_assert_cmpuint (rw_history_page_get_listed (history)->len, ==, 1);
  k8s_id = g_strdup (((RwStoredComparison *) rw_history_page_get_listed (history)->pdata[0])->id);
  save_screenshot (GTK_WIDGET (f->window), "window-history-search.png");

  /* The row opens the comparison in Compare, read-only. */
  row = find_widget (GTK_WIDGET (history), ADW_TYPE_ACTION_ROW);
  g_assert_nonnull (row);
  g_assert_true (gtk_widget_activate (row));
  g_assert_cmpstr (rw_window_get_view (f->window), ==, "compare");
  g_assert_cmpuint (rw_compare_page_get_n_columns (f->page), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      RwAnswerColumn *column = rw_compare_page_get_column (f->page, i);
      RwModel *model = rw_answer_column_get_model (column);
      g_autofree char *text = rw_answer_column_dup_text (column);
      g_autofree char *expected = rw_recorded_provider_lookup (RW_RECORDED_PROVIDER (reference),
                                                               rw_model_get_upstream_name (model),
                                                               k8s, NULL);
      g_assert_cmpstr (rw_model_get_id (model), ==, three[i]);
      g_assert_cmpstr (text, ==, expected);
      g_assert_nonnull (strstr (rw_answer_column_get_metrics (column), "$"));
    }
  labels = labels_of (GTK_WIDGET (f->page));
  g_assert_nonnull (strstr (labels, "not voted"));
  save_screenshot (GTK_WIDGET (f->window), "window-history-reopened.png");

  /* Read-only: a vote asked for is not taken. */
  gtk_widget_activate_action (GTK_WIDGET (f->page), "compare.vote-best", "u", 0);
  g_assert_true (rw_store_flush (f->store, NULL));
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM votes"), ==, 1);

  /* Run Again asks the same three models again: a third comparison. */
  f->finished = FALSE;
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "compare.run-again", NULL));
  rw_test_wait_until (&f->finished);
  g_assert_true (rw_store_flush (f->store, NULL));
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM runs WHERE kind = 'compare'"), ==, 3);
  g_assert_cmpint (db_int (f, "SELECT count(DISTINCT model) FROM responses"), ==, 5);

  /* The voted comparison shows its vote when opened. */
  rw_window_set_view (f->window, "history");
  rw_history_page_set_search (history, "vacation");
  g_assert_cmpuint (rw_history_page_get_listed (history)->len, ==, 1);
  g_assert_true (rw_compare_page_show_stored (f->page,
                                              ((RwStoredComparison *) rw_history_page_get_listed (history)->pdata[0])->id,
                                              &error));
  g_assert_no_error (error);
  g_clear_pointer (&labels, g_free);
  labels = labels_of (GTK_WIDGET (f->page));
  g_assert_nonnull (strstr (labels, "voted for recorded/claude-instant-v1"));
  g_assert_nonnull (strstr (labels, "Voted Best"));

  /* Export what is listed: the search keeps one comparison, two answers, one row each. */
  /* Read and written on a thread. */
  {
    GAsyncResult *result = NULL;

    rw_history_page_export_async (history, "csv", csv_file, on_result, &result);
    while (result == NULL)
      g_main_context_iteration (NULL, TRUE);
    g_assert_true (rw_history_page_export_finish (history, result, &error));
    g_assert_no_error (error);
    g_object_unref (result);
  }
  g_assert_true (g_file_get_contents (csv_path, &csv, NULL, NULL));
  g_assert_true (g_str_has_prefix (csv, "comparison,created,task,prompt,model,status,text,"));
  g_assert_nonnull (strstr (csv, "recorded/claude-instant-v1"));
  g_assert_null (strstr (csv, k8s));

  /* Delete: the comparison goes with its answers; the others stay. */
  rw_history_page_set_search (history, "");
  g_assert_cmpuint (rw_history_page_get_listed (history)->len, ==, 3);
  rw_history_page_delete (history, k8s_id);
  g_assert_cmpuint (rw_history_page_get_listed (history)->len, ==, 2);
  g_assert_true (rw_store_flush (f->store, NULL));
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM runs WHERE kind = 'compare'"), ==, 2);
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM responses"), ==, 5);
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM votes"), ==, 1);
}

/* Adds to the catalog an OpenAI-compatible provider @id at @base_url, with the models @names
 * (their ids @id/name), priced at $1 in and $2 out a million tokens when @priced. */
static void
add_openai_provider (Fixture            *f,
                     const char         *id,
                     const char         *base_url,
                     const char * const *names,
                     gboolean            priced)
{
  g_autoptr(GString) json = g_string_new (NULL);
  g_autoptr(GError) error = NULL;

  g_string_append_printf (json, "{\"providers\": [{\"id\": \"%s\", \"kind\": \"openai\", "
                                "\"base_url\": \"%s\"}], \"models\": [", id, base_url);
  for (guint i = 0; names[i] != NULL; i++)
    g_string_append_printf (json, "%s{\"id\": \"%s/%s\", \"provider\": \"%s\", \"name\": \"%s\"%s}",
                            i ? ", " : "", id, names[i], id, names[i],
                            priced ? ", \"input_price\": 1, \"output_price\": 2" : "");
  g_string_append (json, "]}");
  g_assert_true (rw_catalog_load_data (f->catalog, "test", json->str, -1, &error));
  g_assert_no_error (error);
}

static gboolean
bytes_hold (const char *haystack,
            gsize       len,
            const char *needle)
{
  gsize n = strlen (needle);

  for (gsize i = 0; i + n <= len; i++)
    if (memcmp (haystack + i, needle, n) == 0)
      return TRUE;
  return FALSE;
}


static gboolean
has_placeholder (GtkWidget *widget,
                 gpointer   text)
{
  g_autofree char *placeholder = NULL;

  g_object_get (widget, "placeholder-text", &placeholder, NULL);
  return g_strcmp0 (placeholder, text) == 0;
}

static guint
count_children (GtkWidget *widget)
{
  guint n = 0;

  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    n++;
  return n;
}

static gboolean
has_item (GtkWidget *widget,
          gpointer   text)
{
  GListModel *items = gtk_drop_down_get_model (GTK_DROP_DOWN (widget));

  for (guint i = 0; items != NULL && GTK_IS_STRING_LIST (items) && i < g_list_model_get_n_items (items); i++)
    if (g_strcmp0 (gtk_string_list_get_string (GTK_STRING_LIST (items), i), text) == 0)
      return TRUE;
  return FALSE;
}

static gboolean
has_label (GtkWidget *widget,
           gpointer   text)
{
  return g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), text) == 0;
}

/* Whether a GtkLabel's text starts with @text. */
static gboolean
label_starts (GtkWidget *widget,
              gpointer   text)
{
  return g_str_has_prefix (gtk_label_get_text (GTK_LABEL (widget)), text);
}

/* Whether a file under @dir holds @needle. */
static gboolean
tree_holds (const char *dir,
            const char *needle)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_autofree char *contents = NULL;
      gsize len;

      if (g_file_test (path, G_FILE_TEST_IS_DIR) ? tree_holds (path, needle)
          : g_file_get_contents (path, &contents, &len, NULL)
            && bytes_hold (contents, len, needle))
        return TRUE;
    }
  return FALSE;
}

/* Scrolls the scrolled window around @widget so that @widget is at the top. */
static void
scroll_to (GtkWidget *window,
           GtkWidget *widget)
{
  GtkWidget *scrolled = gtk_widget_get_ancestor (widget, GTK_TYPE_SCROLLED_WINDOW);
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled));
  graphene_point_t top;

  wait_for_frame (window);
  g_assert_true (gtk_widget_compute_point (widget, gtk_scrolled_window_get_child (GTK_SCROLLED_WINDOW (scrolled)),
                                           &GRAPHENE_POINT_INIT (0, 0), &top));
  gtk_adjustment_set_value (adj, top.y - 60);
  wait_for_frame (window);
}

static RwPreferencesWindow *
open_preferences (Fixture *f)
{
  RwPreferencesWindow *prefs = rw_preferences_window_new (GTK_WINDOW (f->window), f->catalog);

  gtk_window_set_default_size (GTK_WINDOW (prefs), 720, 900);
  gtk_window_present (GTK_WINDOW (prefs));
  wait_for_frame (GTK_WIDGET (prefs));
  return prefs;
}

/* Preferences: the shipped cloud providers are listed with where their key comes from; a
 * provider of one's own is added to providers.json and the catalog, and its Test lists the
 * models the provider serves; its models come with their prices. */
static void
test_preferences (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(RwMockUpstream) upstream = rw_mock_upstream_new ();
  g_autofree char *base = rw_mock_upstream_dup_base_url (upstream);
  g_autofree char *file = g_build_filename (f->config_dir, "providers.json", NULL);
  g_autofree char *contents = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(RwProvidersFile) edit = rw_providers_file_new (NULL);
  RwPreferencesWindow *prefs;
  RwProviderRow *row;

  g_unsetenv ("OPENAI_API_KEY");
  prefs = open_preferences (f);
  row = rw_preferences_window_find_row (prefs, "openai");
  g_assert_nonnull (row);
  g_assert_cmpstr (adw_expander_row_get_subtitle (ADW_EXPANDER_ROW (row)), !=, NULL);
  g_assert_null (rw_preferences_window_find_row (prefs, "box"));

  g_assert_true (rw_preferences_window_add_provider (prefs, "box", "openai", base, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (file, &contents, NULL, NULL));
  g_assert_nonnull (strstr (contents, "\"box\""));
  g_assert_nonnull (rw_catalog_lookup_provider (f->catalog, "box"));

  /* A refused address changes nothing and says why. */
  g_assert_false (rw_preferences_window_add_provider (prefs, "bad", "openai", "ftp://x", NULL,
                                                      &error));
  g_assert_nonnull (strstr (error->message, "base_url"));
  g_clear_error (&error);
  g_assert_null (rw_catalog_lookup_provider (f->catalog, "bad"));

  /* A model with its price, added as the Add Model dialog does, shows in the provider's row
   * and in the catalog the Compare view picks from. */
  g_assert_true (rw_providers_file_load (edit, &error));
  g_assert_true (rw_providers_file_set_model (edit, "box", "qwen3-8b", 0.05, 0.25, f->catalog,
                                              &error));
  g_assert_no_error (error);
  g_assert_true (rw_model_has_price (rw_catalog_lookup_model (f->catalog, "box/qwen3-8b")));

  /* Test asks the provider for its models. */
  rw_mock_upstream_push (upstream, "GET /v1/models",
                         rw_mock_reply_new_json (200, "{\"object\": \"list\", \"data\": ["
                                                 "{\"id\": \"qwen3-8b\", \"object\": \"model\"},"
                                                 "{\"id\": \"llama3.2\", \"object\": \"model\"}]}"));
  gtk_window_destroy (GTK_WINDOW (prefs));
  prefs = open_preferences (f);
  row = rw_preferences_window_find_row (prefs, "box");
  g_assert_nonnull (row);
  adw_expander_row_set_expanded (ADW_EXPANDER_ROW (row), TRUE);
  rw_provider_row_test (row);
  while (rw_provider_row_get_status (row) == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpstr (rw_provider_row_get_status (row), ==,
                   "Works: 2 models listed: qwen3-8b, llama3.2");
  /* llama3.2 was listed and is not configured: it is offered, and its button adds it. */
  g_assert_cmpuint (rw_provider_row_get_n_listed (row), ==, 1);
  scroll_to (GTK_WIDGET (prefs), GTK_WIDGET (row));
  save_screenshot (GTK_WIDGET (prefs), "preferences-provider.png");
  {
    GtkWidget *add = find_any (GTK_WIDGET (row), GTK_TYPE_BUTTON, has_label, "_Add");

    g_assert_nonnull (add);
    g_signal_emit_by_name (add, "clicked");
    g_assert_nonnull (rw_catalog_lookup_model (f->catalog, "box/llama3.2"));
    g_assert_cmpuint (rw_provider_row_get_n_listed (row), ==, 0);
  }
  gtk_window_destroy (GTK_WINDOW (prefs));
}

/* Keys in a real keyring (keyring-test.py runs this with gnome-keyring unlocked): a key typed
 * into a provider's password row is stored, a comparison sends it to that provider alone with
 * its variable unset, and it is nowhere in the configuration folder or the database; a shipped
 * provider's key brings the provider and its models; Remove takes the key away. */
static void
test_preferences_keyring (Fixture       *f,
                          gconstpointer  data)
{
  const char *key = "sk-window-5e1b7c9a0d3f4268";
  g_autoptr(RwMockUpstream) upstream = rw_mock_upstream_new ();
  g_autofree char *base = rw_mock_upstream_dup_base_url (upstream);
  g_autofree char *auth = NULL;
  g_autofree char *expected = g_strdup_printf ("Bearer %s", key);
  const char *ids[] = { "stub/m", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(RwProvidersFile) edit = rw_providers_file_new (NULL);
  RwPreferencesWindow *prefs;
  RwProviderRow *row;
  GtkWidget *password;

  if (g_getenv ("RW_TEST_KEYRING") == NULL)
    {
      g_test_skip ("needs an unlocked keyring; keyring-test.py runs it with one");
      return;
    }
  g_unsetenv ("GROQ_API_KEY");
  g_assert_true (rw_keyring_check (&error));
  /* Groq starts without a key, whatever the keyring held before. */
  g_assert_true (rw_keyring_clear ("groq", NULL, &error));
  rw_catalog_remove_provider (f->catalog, "groq");
  g_assert_true (rw_providers_file_load (edit, &error));
  g_assert_true (rw_providers_file_set_provider (edit, "stub", "openai", base,
                                                 "RW_WINDOW_TEST_KEY", f->catalog, &error));
  g_assert_true (rw_providers_file_set_model (edit, "stub", "m", 1, 2, f->catalog, &error));
  g_assert_no_error (error);
  g_unsetenv ("RW_WINDOW_TEST_KEY");

  prefs = open_preferences (f);
  row = rw_preferences_window_find_row (prefs, "stub");
  adw_expander_row_set_expanded (ADW_EXPANDER_ROW (row), TRUE);
  wait_for_frame (GTK_WIDGET (prefs));
  password = find_widget (GTK_WIDGET (row), ADW_TYPE_PASSWORD_ENTRY_ROW);
  g_assert_nonnull (password);
  gtk_editable_set_text (GTK_EDITABLE (password), key);
  g_signal_emit_by_name (password, "apply");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (password)), ==, "");
  g_assert_cmpstr (adw_expander_row_get_subtitle (ADW_EXPANDER_ROW (row)), ==,
                   "Key in the keyring");
  scroll_to (GTK_WIDGET (prefs), GTK_WIDGET (row));
  save_screenshot (GTK_WIDGET (prefs), "preferences-key.png");

  /* Test lists the models with that key, from the keyring. */
  rw_mock_upstream_push (upstream, "GET /v1/models",
                         rw_mock_reply_new_json (200, "{\"object\": \"list\", \"data\": ["
                                                 "{\"id\": \"m\", \"object\": \"model\"}]}"));
  rw_provider_row_test (row);
  while (rw_provider_row_get_status (row) == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpstr (rw_provider_row_get_status (row), ==, "Works: 1 model listed: m");
  auth = rw_mock_upstream_dup_last_header (upstream, "Authorization");
  g_assert_cmpstr (auth, ==, expected);
  g_clear_pointer (&auth, g_free);

  /* A shipped provider joins the catalog with its models once its key is stored. */
  g_assert_null (rw_catalog_lookup_provider (f->catalog, "groq"));
  g_assert_true (rw_provider_row_store_key (rw_preferences_window_find_row (prefs, "groq"),
                                            "gsk-window-test", &error));
  g_assert_no_error (error);
  g_assert_nonnull (rw_catalog_lookup_model (f->catalog, "groq/llama-3.3-70b-versatile"));
  g_assert_true (rw_keyring_clear ("groq", NULL, &error));
  gtk_window_destroy (GTK_WINDOW (prefs));

  /* The comparison sends the keyring's key to its provider. */
  rw_mock_upstream_set_default (upstream, "m", rw_mock_reply_new_chat ("Hello there.", 3, 2));
  compare (f, ids, "Say hello.");
  auth = rw_mock_upstream_dup_last_header (upstream, "Authorization");
  g_assert_cmpstr (auth, ==, expected);
  g_assert_true (rw_store_flush (f->store, NULL));
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM responses WHERE status = 'ok'"), ==, 1);
  g_assert_false (tree_holds (f->dir, key));

  g_assert_true (rw_keyring_clear ("stub", NULL, &error));
}

/* D5, the arena: in blind mode the columns come in an order of chance, and until the vote
 * nothing tells the models apart (names, cost, speed); the vote goes to the answer it was cast
 * on, and then everything shows. */
static void
test_blind (Fixture       *f,
            gconstpointer  data)
{
  const char *ids[] = { "recorded/gpt-4", "recorded/llama-2-70b-chat", NULL };
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  gboolean seen_order[2] = { FALSE, FALSE };
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autofree char *left = NULL;
  g_autofree char *sql = NULL;

  g_settings_set_boolean (settings, "blind-mode", TRUE);
  for (guint round = 0; round < 24 && !(seen_order[0] && seen_order[1]); round++)
    {
      compare (f, ids, k8s);
      seen_order[g_str_equal (rw_model_get_id (rw_answer_column_get_model (
                                rw_compare_page_get_column (f->page, 0))), ids[0]) ? 0 : 1] = TRUE;
    }
  g_assert_true (seen_order[0] && seen_order[1]);

  wait_for_frame (GTK_WIDGET (f->window));
  before = labels_of (GTK_WIDGET (f->page));
  g_assert_nonnull (strstr (before, "Model A"));
  g_assert_nonnull (strstr (before, "Model B"));
  g_assert_null (strstr (before, "GPT"));
  g_assert_null (strstr (before, "LLaMA"));
  g_assert_null (strstr (before, "recorded/"));
  g_assert_null (strstr (before, "$"));
  g_assert_null (strstr (before, "tokens/s"));
  save_screenshot (GTK_WIDGET (f->window), "window-blind-before.png");

  left = g_strdup (rw_model_get_id (rw_answer_column_get_model (rw_compare_page_get_column (f->page, 0))));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "compare.vote-pair", "s", "a"));
  wait_for_frame (GTK_WIDGET (f->window));
  after = labels_of (GTK_WIDGET (f->page));
  g_assert_nonnull (strstr (after, "GPT 4"));
  g_assert_nonnull (strstr (after, "LLaMA"));
  g_assert_nonnull (strstr (after, "$"));
  save_screenshot (GTK_WIDGET (f->window), "window-blind-after.png");

  g_assert_true (rw_store_flush (f->store, NULL));
  sql = g_strdup_printf ("SELECT count(*) FROM votes v JOIN responses r ON r.id = v.winner "
                         "WHERE v.outcome = 'a' AND r.model = '%s'", left);
  g_assert_cmpint (db_int (f, sql), ==, 1);
  g_settings_reset (settings, "blind-mode");
}

/* Random pair: two different models, picked by chance, answer blind. */
static void
test_random_pair (Fixture       *f,
                  gconstpointer  data)
{
  g_autofree char *labels = NULL;

  rw_compare_page_set_prompt (f->page, k8s);
  f->finished = FALSE;
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "compare.random-pair", NULL));
  rw_test_wait_until (&f->finished);
  g_assert_cmpuint (rw_compare_page_get_n_columns (f->page), ==, 2);
  g_assert_cmpstr (rw_model_get_id (rw_answer_column_get_model (rw_compare_page_get_column (f->page, 0))),
                   !=,
                   rw_model_get_id (rw_answer_column_get_model (rw_compare_page_get_column (f->page, 1))));
  labels = labels_of (GTK_WIDGET (f->page));
  g_assert_nonnull (strstr (labels, "Model A"));
  g_assert_null (strstr (labels, "recorded/"));
}

/* D11 and the options: an own prompt gets the task chosen for it, and every model is asked
 * with the system prompt, temperature and token limit set. */
static void
test_task_and_options (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(RwMockUpstream) upstream = rw_mock_upstream_new ();
  g_autofree char *base = rw_mock_upstream_dup_base_url (upstream);
  const char *ids[] = { "mock/a", "mock/b", NULL };
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  g_autofree char *body = NULL;
  GtkDropDown *tasks = GTK_DROP_DOWN (find_widget (GTK_WIDGET (f->page), GTK_TYPE_DROP_DOWN));
  GListModel *items = gtk_drop_down_get_model (tasks);
  guint code = GTK_INVALID_LIST_POSITION;

  add_openai_provider (f, "mock", base, (const char *[]) { "a", "b", NULL }, FALSE);
  rw_mock_upstream_set_default (upstream, "a", rw_mock_reply_new_chat ("A.", 3, 1));
  rw_mock_upstream_set_default (upstream, "b", rw_mock_reply_new_chat ("B.", 3, 1));
  g_settings_set_string (settings, "system-prompt", "Answer in one word.");
  g_settings_set_boolean (settings, "use-temperature", TRUE);
  g_settings_set_double (settings, "temperature", 0.2);
  g_settings_set_int (settings, "max-tokens", 64);

  /* An own prompt: the automatic task is "general"; "code" is chosen instead. */
  rw_compare_page_set_prompt (f->page, "Write a function that reverses a list.");
  g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (items), 0), ==, "Auto: general");
  for (guint i = 0; i < g_list_model_get_n_items (items); i++)
    if (g_strcmp0 (gtk_string_list_get_string (GTK_STRING_LIST (items), i), "code") == 0)
      code = i;
  g_assert_cmpuint (code, !=, GTK_INVALID_LIST_POSITION);
  gtk_drop_down_set_selected (tasks, code);
  compare (f, ids, "Write a function that reverses a list.");

  body = rw_mock_upstream_dup_last_body (upstream);
  g_assert_nonnull (strstr (body, "Answer in one word."));
  g_assert_nonnull (strstr (body, "\"system\""));
  g_assert_nonnull (strstr (body, "\"temperature\":0.2"));
  g_assert_nonnull (strstr (body, "64"));
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "compare.vote-pair", "s", "tie"));
  g_assert_true (rw_store_flush (f->store, NULL));
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM votes WHERE task = 'code'"), ==, 1);

  g_settings_reset (settings, "system-prompt");
  g_settings_reset (settings, "use-temperature");
  g_settings_reset (settings, "temperature");
  g_settings_reset (settings, "max-tokens");
}

/* First run (D9, item 3): with no real provider, Compare offers Preferences and the samples,
 * which the recordings answer; an own prompt to a recording fails with words for a desktop
 * user, not a command; once a real provider can answer, the selection is its models. */
static void
test_first_run (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(RwMockUpstream) upstream = rw_mock_upstream_new ();
  g_autofree char *base = rw_mock_upstream_dup_base_url (upstream);
  const char *recorded[] = { "recorded/gpt-4", NULL };
  g_autofree char *labels = NULL;
  g_auto(GStrv) selected = NULL;

  wait_for_frame (GTK_WIDGET (f->window));
  labels = labels_of (GTK_WIDGET (f->page));
  g_assert_nonnull (strstr (labels, "No provider is set up yet"));
  g_assert_nonnull (strstr (labels, "Set Up Providers…"));
  g_assert_true (gtk_widget_is_sensitive (GTK_WIDGET (f->page)));
  save_screenshot (GTK_WIDGET (f->window), "window-first-run.png");

  /* Try a Sample: the recordings answer it, every one of them. */
  f->finished = FALSE;
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "compare.try-sample", NULL));
  rw_test_wait_until (&f->finished);
  g_assert_cmpuint (rw_compare_page_get_n_columns (f->page), ==, 3);
  g_assert_true (rw_store_flush (f->store, NULL));
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM responses WHERE status = 'ok'"), ==, 3);

  /* An own prompt to a recording: an error in words, with no command in it. */
  compare (f, recorded, "What should I cook tonight?");
  g_clear_pointer (&labels, g_free);
  labels = labels_of (GTK_WIDGET (rw_compare_page_get_column (f->page, 0)));
  g_assert_nonnull (strstr (labels, "answers the sample prompts only"));
  g_assert_null (strstr (labels, "routewise-cli"));
  g_assert_null (strstr (labels, "`"));

  /* A real provider that can answer: the models chosen by default become its. */
  {
    g_autoptr(GSettings) settings = g_settings_new (APP_ID);
    g_settings_reset (settings, "selected-models");
  }
  add_openai_provider (f, "box", base, (const char *[]) { "a", "b", NULL }, FALSE);
  for (;;)
    {
      g_clear_pointer (&selected, g_strfreev);
      selected = rw_compare_page_dup_selected_models (f->page);
      if (g_strv_contains ((const char * const *) selected, "box/a"))
        break;
      g_main_context_iteration (NULL, TRUE);
    }
  g_assert_true (g_strv_contains ((const char * const *) selected, "box/b"));
  g_assert_false (g_strv_contains ((const char * const *) selected, "recorded/gpt-4"));
}

/* D8 and D13: the models button follows the setting whoever changes it, and says which chosen
 * models are not there; the samples show whole and can be searched. */
static void
test_selection_and_samples (Fixture       *f,
                            gconstpointer  data)
{
  const char *ids[] = { "recorded/gpt-4", "gone/model", NULL };
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  GtkMenuButton *models = GTK_MENU_BUTTON (find_any (GTK_WIDGET (f->page), GTK_TYPE_MENU_BUTTON,
                                                     NULL, NULL));
  GtkWidget *search = find_any (GTK_WIDGET (f->page), GTK_TYPE_SEARCH_ENTRY, has_placeholder,
                                "Search the samples");
  GtkWidget *list;
  guint all;

  g_settings_set_strv (settings, "selected-models", ids);
  g_assert_cmpstr (gtk_menu_button_get_label (models), ==, "1 Model");
  g_assert_nonnull (strstr (gtk_widget_get_tooltip_text (GTK_WIDGET (models)), "gone/model"));

  g_assert_nonnull (search);
  list = find_any (gtk_widget_get_parent (gtk_widget_get_parent (search)), GTK_TYPE_LIST_BOX, NULL,
                   NULL);
  all = count_children (list);
  g_assert_cmpuint (all, >=, 19);
  gtk_editable_set_text (GTK_EDITABLE (search), "kubernetes");
  g_signal_emit_by_name (search, "search-changed");
  g_assert_cmpuint (count_children (list), ==, 1);
  gtk_editable_set_text (GTK_EDITABLE (search), "");
  g_signal_emit_by_name (search, "search-changed");
  g_assert_cmpuint (count_children (list), ==, all);
}

static GtkWidget *
find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) w = g_list_model_get_item (toplevels, i);
      if (G_TYPE_CHECK_INSTANCE_TYPE (w, type) && gtk_widget_get_visible (w))
        return w;
    }
  return NULL;
}

/* D10: closing while answers stream asks first; to stop and quit keeps the answer that had
 * finished, and what the other said so far. */
static void
test_quit_while_streaming (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(RwMockUpstream) upstream = rw_mock_upstream_new ();
  g_autofree char *base = rw_mock_upstream_dup_base_url (upstream);
  const char *pieces[] = { "One ", "two ", "three ", "four ", "five ", "six ", "seven ", NULL };
  const char *ids[] = { "m/fast", "m/slow", NULL };
  RwMockReply *slow = rw_mock_reply_new_stream (pieces, 5, 7, TRUE);
  AdwMessageDialog *dialog;

  add_openai_provider (f, "m", base, (const char *[]) { "fast", "slow", NULL }, FALSE);
  slow->chunk_size = 64;
  slow->chunk_delay_ms = 300;
  rw_mock_upstream_push (upstream, "slow", slow);
  rw_mock_upstream_push (upstream, "fast", rw_mock_reply_new_chat ("Done quickly.", 5, 3));

  rw_compare_page_set_selected_models (f->page, ids);
  rw_compare_page_set_prompt (f->page, "Count to seven.");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "compare.send", NULL));
  /* The fast answer is whole; the slow one has begun. */
  for (;;)
    {
      g_autofree char *fast = rw_answer_column_dup_text (rw_compare_page_get_column (f->page, 0));
      g_autofree char *partial = rw_answer_column_dup_text (rw_compare_page_get_column (f->page, 1));
      if (g_str_equal (fast, "Done quickly.") && *partial != '\0'
          && strstr (rw_answer_column_get_metrics (rw_compare_page_get_column (f->page, 0)),
                     "First token") != NULL)
        break;
      g_main_context_iteration (NULL, TRUE);
    }

  gtk_window_close (GTK_WINDOW (f->window));
  g_assert_nonnull (f->window);
  dialog = ADW_MESSAGE_DIALOG (find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
  g_assert_nonnull (dialog);
  save_screenshot (GTK_WIDGET (dialog), "window-quit-asks.png");
  adw_message_dialog_response (dialog, "quit");
  while (f->window != NULL)
    g_main_context_iteration (NULL, TRUE);

  g_assert_true (rw_store_flush (f->store, NULL));
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM responses WHERE model = 'm/fast' AND "
                              "status = 'ok' AND text = 'Done quickly.'"), ==, 1);
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM responses WHERE model = 'm/slow' AND "
                              "error_kind = 'cancelled' AND length (text) > 0"), ==, 1);
}

/* D18: the window opens at the size it was closed at. */
static void
test_window_size (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  RwWindow *again;
  int w, h;

  gtk_window_set_default_size (GTK_WINDOW (f->window), 900, 640);
  gtk_window_close (GTK_WINDOW (f->window));
  while (f->window != NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (g_settings_get_int (settings, "window-width"), ==, 900);
  g_assert_cmpint (g_settings_get_int (settings, "window-height"), ==, 640);

  again = rw_window_new (NULL, f->catalog, f->store);
  gtk_window_get_default_size (GTK_WINDOW (again), &w, &h);
  g_assert_cmpint (w, ==, 900);
  g_assert_cmpint (h, ==, 640);
  gtk_window_destroy (GTK_WINDOW (again));
  g_settings_reset (settings, "window-width");
  g_settings_reset (settings, "window-height");
}

/* The labels on screen under @widget, joined; with @cut, only those cut short (ellipsized). */
static void
collect_mapped_labels (GtkWidget *widget,
                       gboolean   cut,
                       GString   *out)
{
  if (!gtk_widget_get_mapped (widget))
    return;
  if (GTK_IS_LABEL (widget) &&
      (!cut || pango_layout_is_ellipsized (gtk_label_get_layout (GTK_LABEL (widget)))))
    g_string_append_printf (out, "%s\n", gtk_label_get_text (GTK_LABEL (widget)));
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    collect_mapped_labels (child, cut, out);
}

/* From 360 pixels wide (D15, D16): the window keeps that width with three answers and the
 * vote bar; the answers scroll sideways, and a hint says which is in view of how many. The
 * bottom bar names all seven views whole. */
static void
test_narrow (Fixture       *f,
             gconstpointer  data)
{
  const char *ids[] = { "recorded/gpt-4", "recorded/claude-v1", "recorded/llama-2-70b-chat", NULL };

  gtk_window_set_default_size (GTK_WINDOW (f->window), 360, 760);
  compare (f, ids, k8s);
  wait_for_frame (GTK_WIDGET (f->window));
  wait_for_frame (GTK_WIDGET (f->window));
  /* 360 with the window's frame: nothing inside asks for more. */
  {
    /* Every view, shown or not, fits too. */
    GtkWidget *pages[] = { GTK_WIDGET (rw_window_get_history_page (f->window)),
                           GTK_WIDGET (rw_window_get_ratings_page (f->window)),
                           GTK_WIDGET (rw_window_get_evaluate_page (f->window)),
                           GTK_WIDGET (rw_window_get_policies_page (f->window)),
                           GTK_WIDGET (rw_window_get_endpoint_page (f->window)),
                           GTK_WIDGET (rw_window_get_stats_page (f->window)) };
    for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
      {
        int min, nat;
        gtk_widget_measure (pages[i], GTK_ORIENTATION_HORIZONTAL, -1, &min, &nat, NULL, NULL);
        g_assert_cmpint (min, <, 360);
      }
  }
  g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (f->window)), <=, 360);
  g_assert_cmpstr (rw_compare_page_get_columns_hint (f->page), ==,
                   "Answer 1 of 3 · scroll for more");
  {
    GtkWidget *bar = find_widget (GTK_WIDGET (f->window), ADW_TYPE_VIEW_SWITCHER_BAR);
    g_autoptr(GString) names = g_string_new (NULL);
    g_autoptr(GString) cut = g_string_new (NULL);

    g_assert_nonnull (bar);
    collect_mapped_labels (bar, FALSE, names);
    g_assert_cmpstr (names->str, ==,
                     "Compare\nHistory\nRatings\nEvaluate\nPolicies\nEndpoint\nStats\n");
    collect_mapped_labels (bar, TRUE, cut);
    g_assert_cmpstr (cut->str, ==, "");
  }
  save_screenshot (GTK_WIDGET (f->window), "window-360.png");

  gtk_window_set_default_size (GTK_WINDOW (f->window), 1400, 860);
  wait_for_frame (GTK_WIDGET (f->window));
  wait_for_frame (GTK_WIDGET (f->window));
  g_assert_null (rw_compare_page_get_columns_hint (f->page));
}

/* The window in German: every view, the first-run page and the menus speak it (item 8). */
static void
test_translated (Fixture       *f,
                 gconstpointer  data)
{
  const char *ids[] = { "recorded/gpt-4", "recorded/claude-v1", NULL };
  g_autofree char *saved_language = g_strdup (g_getenv ("LANGUAGE"));
  g_autofree char *saved_messages = g_strdup (setlocale (LC_MESSAGES, NULL));
  g_autofree char *labels = NULL;
  RwWindow *german;
  RwComparePage *page;

  /* gettext looks at LANGUAGE unless the messages' locale is C itself. */
  g_setenv ("LANGUAGE", "de", TRUE);
  if (g_strcmp0 (saved_messages, "C") == 0 || g_strcmp0 (saved_messages, "POSIX") == 0)
    setlocale (LC_MESSAGES, "C.UTF-8");
  g_assert_cmpstr (_("Compare Models Side by Side"), ==, "Modelle nebeneinander vergleichen");

  german = rw_window_new (NULL, f->catalog, f->store);
  gtk_window_set_default_size (GTK_WINDOW (german), 1200, 800);
  gtk_window_present (GTK_WINDOW (german));
  wait_for_frame (GTK_WIDGET (german));
  labels = labels_of (GTK_WIDGET (german));
  g_assert_nonnull (strstr (labels, "Vergleichen"));
  g_assert_nonnull (strstr (labels, "Verlauf"));
  g_assert_nonnull (strstr (labels, "Noch ist kein Anbieter eingerichtet"));
  g_assert_nonnull (strstr (labels, "Anbieter einrichten …"));
  g_assert_null (strstr (labels, "Compare Models"));
  save_screenshot (GTK_WIDGET (german), "window-de-first-run.png");

  /* From 360 pixels wide in German too: no view asks for more (a long German button or
   * message wraps), and the bottom bar's names are whole. */
  gtk_window_set_default_size (GTK_WINDOW (german), 360, 760);
  wait_for_frame (GTK_WIDGET (german));
  wait_for_frame (GTK_WIDGET (german));
  {
    GtkWidget *bar = find_widget (GTK_WIDGET (german), ADW_TYPE_VIEW_SWITCHER_BAR);
    GtkWidget *pages[] = { GTK_WIDGET (rw_window_get_compare_page (german)),
                           GTK_WIDGET (rw_window_get_history_page (german)),
                           GTK_WIDGET (rw_window_get_ratings_page (german)),
                           GTK_WIDGET (rw_window_get_evaluate_page (german)),
                           GTK_WIDGET (rw_window_get_policies_page (german)),
                           GTK_WIDGET (rw_window_get_endpoint_page (german)),
                           GTK_WIDGET (rw_window_get_stats_page (german)) };
    g_autoptr(GString) names = g_string_new (NULL);
    g_autoptr(GString) cut = g_string_new (NULL);

    for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
      {
        int min, nat;
        gtk_widget_measure (pages[i], GTK_ORIENTATION_HORIZONTAL, -1, &min, &nat, NULL, NULL);
        if (min >= 360)
          g_error ("%s asks for %d pixels in German", G_OBJECT_TYPE_NAME (pages[i]), min);
      }
    g_assert_cmpint (gtk_widget_get_width (GTK_WIDGET (german)), <=, 360);
    g_assert_nonnull (bar);
    collect_mapped_labels (bar, FALSE, names);
    g_assert_cmpstr (names->str, ==, "Vergleich\nVerlauf\nWertungen\nAuswerten\nRegeln\n"
                                     "Endpunkt\nStatistik\n");
    collect_mapped_labels (bar, TRUE, cut);
    g_assert_cmpstr (cut->str, ==, "");
    save_screenshot (GTK_WIDGET (german), "window-de-360.png");
  }
  gtk_window_set_default_size (GTK_WINDOW (german), 1200, 800);
  wait_for_frame (GTK_WIDGET (german));
  wait_for_frame (GTK_WIDGET (german));

  page = rw_window_get_compare_page (german);
  g_signal_connect (page, "compare-finished", G_CALLBACK (on_finished), f);
  f->finished = FALSE;
  rw_compare_page_set_selected_models (page, ids);
  rw_compare_page_set_prompt (page, k8s);
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "compare.send", NULL));
  rw_test_wait_until (&f->finished);
  wait_for_frame (GTK_WIDGET (german));
  g_clear_pointer (&labels, g_free);
  labels = labels_of (GTK_WIDGET (german));
  g_assert_nonnull (strstr (labels, "Welche Antwort ist besser?"));
  g_assert_nonnull (strstr (labels, "Erstes Token"));
  save_screenshot (GTK_WIDGET (german), "window-de.png");
  gtk_window_destroy (GTK_WINDOW (german));

  if (saved_language != NULL)
    g_setenv ("LANGUAGE", saved_language, TRUE);
  else
    g_unsetenv ("LANGUAGE");
  setlocale (LC_MESSAGES, saved_messages);
}

/* D4: while an answer streams, its column follows the end; once the user scrolls up, it stays
 * where the user put it. */
static void
test_follow_stream (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(RwMockUpstream) upstream = rw_mock_upstream_new ();
  g_autofree char *base = rw_mock_upstream_dup_base_url (upstream);
  g_autoptr(GPtrArray) pieces = g_ptr_array_new_with_free_func (g_free);
  const char *ids[] = { "m/long", NULL };
  RwMockReply *reply;
  GtkAdjustment *adj;
  double bottom;

  add_openai_provider (f, "m", base, (const char *[]) { "long", NULL }, FALSE);
  for (guint i = 1; i <= 160; i++)
    g_ptr_array_add (pieces, g_strdup_printf ("Line %u of a long answer.\n\n", i));
  g_ptr_array_add (pieces, NULL);
  reply = rw_mock_reply_new_stream ((const char * const *) pieces->pdata, 10, 800, TRUE);
  reply->chunk_size = 200;
  reply->chunk_delay_ms = 15;
  rw_mock_upstream_push (upstream, "long", reply);

  f->finished = FALSE;
  rw_compare_page_set_selected_models (f->page, ids);
  rw_compare_page_set_prompt (f->page, "Write a long answer.");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "compare.send", NULL));
  while (rw_compare_page_get_n_columns (f->page) == 0)
    g_main_context_iteration (NULL, TRUE);
  adj = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (
          gtk_widget_get_ancestor (GTK_WIDGET (rw_answer_column_get_markdown_view (
            rw_compare_page_get_column (f->page, 0))), GTK_TYPE_SCROLLED_WINDOW)));

  /* Following: well past a screenful, the end is in view. */
  while (gtk_adjustment_get_upper (adj) < 3 * gtk_adjustment_get_page_size (adj) + 1
         || gtk_adjustment_get_page_size (adj) < 1)
    g_main_context_iteration (NULL, TRUE);
  wait_for_frame (GTK_WIDGET (f->window));
  g_assert_false (f->finished);
  bottom = gtk_adjustment_get_upper (adj) - gtk_adjustment_get_page_size (adj);
  g_assert_cmpfloat (gtk_adjustment_get_value (adj), >=, bottom - 30);

  /* The user scrolls to the top: more arrives, and the view stays there. */
  gtk_adjustment_set_value (adj, 0);
  {
    double upper = gtk_adjustment_get_upper (adj);
    while (gtk_adjustment_get_upper (adj) < upper + 200 && !f->finished)
      g_main_context_iteration (NULL, TRUE);
  }
  wait_for_frame (GTK_WIDGET (f->window));
  g_assert_cmpfloat (gtk_adjustment_get_value (adj), ==, 0);
  rw_test_wait_until (&f->finished);
}

/* History filters: by vote, by model, by task. */
static void
test_history_filters (Fixture       *f,
                      gconstpointer  data)
{
  const char *pair[] = { "recorded/gpt-3.5-turbo", "recorded/claude-instant-v1", NULL };
  const char *other[] = { "recorded/gpt-4", "recorded/llama-2-70b-chat", NULL };
  RwHistoryPage *history = rw_window_get_history_page (f->window);
  GtkDropDown *model, *task, *vote;

  compare (f, pair, "Tell a joke about going on vacation.");
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "compare.vote-pair", "s", "a"));
  compare (f, other, k8s);
  rw_window_set_view (f->window, "history");
  wait_for_frame (GTK_WIDGET (f->window));
  g_assert_cmpuint (rw_history_page_get_listed (history)->len, ==, 2);

  model = GTK_DROP_DOWN (find_any (GTK_WIDGET (history), GTK_TYPE_DROP_DOWN, NULL, NULL));
  task = GTK_DROP_DOWN (gtk_widget_get_next_sibling (gtk_widget_get_next_sibling (GTK_WIDGET (model))));
  vote = GTK_DROP_DOWN (find_any (GTK_WIDGET (history), GTK_TYPE_DROP_DOWN, has_item, "Voted"));

  gtk_drop_down_set_selected (vote, 1);    /* Voted */
  g_assert_cmpuint (rw_history_page_get_listed (history)->len, ==, 1);
  gtk_drop_down_set_selected (vote, 2);    /* Not Voted */
  g_assert_cmpuint (rw_history_page_get_listed (history)->len, ==, 1);
  g_assert_cmpstr (((RwStoredComparison *) rw_history_page_get_listed (history)->pdata[0])->prompt,
                   ==, k8s);
  gtk_drop_down_set_selected (vote, 0);

  for (guint i = 0; i < g_list_model_get_n_items (gtk_drop_down_get_model (model)); i++)
    if (g_strcmp0 (gtk_string_list_get_string (GTK_STRING_LIST (gtk_drop_down_get_model (model)), i),
                   "recorded/claude-instant-v1") == 0)
      gtk_drop_down_set_selected (model, i);
  g_assert_cmpuint (rw_history_page_get_listed (history)->len, ==, 1);
  gtk_drop_down_set_selected (model, 0);

  for (guint i = 0; i < g_list_model_get_n_items (gtk_drop_down_get_model (task)); i++)
    if (g_strcmp0 (gtk_string_list_get_string (GTK_STRING_LIST (gtk_drop_down_get_model (task)), i),
                   "reflexion") == 0)
      gtk_drop_down_set_selected (task, i);
  g_assert_cmpuint (rw_history_page_get_listed (history)->len, ==, 1);
  g_assert_cmpstr (((RwStoredComparison *) rw_history_page_get_listed (history)->pdata[0])->prompt,
                   ==, k8s);
}

/* D1: Ctrl+Enter typed in the prompt, as a real key press from the X server, sends it, and
 * leaves no newline in it. */
static void
test_ctrl_enter (Fixture       *f,
                 gconstpointer  data)
{
#ifdef GDK_WINDOWING_X11
  const char *ids[] = { "recorded/gpt-3.5-turbo", "recorded/claude-instant-v1", NULL };
  const char *prompt = "Tell a joke about going on vacation.";
  g_autofree char *xdotool = g_find_program_in_path ("xdotool");
  g_autofree char *xid = NULL;
  char *text = NULL;
  GdkSurface *surface;
  GtkTextView *view;
  GtkTextBuffer *buffer;
  GtkTextIter start, end;

  if (xdotool == NULL)
    {
      if (g_getenv ("ROUTEWISE_REQUIRE_CONFORMANCE"))
        g_error ("xdotool is not installed (build-aux/run test installs it)");
      g_test_skip ("xdotool is not installed");
      return;
    }
  surface = gtk_native_get_surface (GTK_NATIVE (f->window));
  if (!GDK_IS_X11_SURFACE (surface))
    {
      g_test_skip ("not on X11");
      return;
    }
  rw_compare_page_set_selected_models (f->page, ids);
  rw_compare_page_set_prompt (f->page, prompt);
  view = GTK_TEXT_VIEW (find_widget (GTK_WIDGET (f->page), GTK_TYPE_TEXT_VIEW));
  buffer = gtk_text_view_get_buffer (view);
  gtk_widget_grab_focus (GTK_WIDGET (view));
  wait_for_frame (GTK_WIDGET (f->window));
  xid = g_strdup_printf ("%lu", (unsigned long) gdk_x11_surface_get_xid (surface));
  {
    const char *argv[] = { xdotool, "windowfocus", "--sync", xid, "key", "--clearmodifiers",
                           "ctrl+Return", NULL };
    int status = 0;
    g_autoptr(GError) error = NULL;

    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL,
                                 NULL, &status, &error));
    g_assert_no_error (error);
    g_assert_true (g_spawn_check_wait_status (status, NULL));
  }
  /* Until the comparison is done, or the key went into the prompt instead. */
  f->finished = FALSE;
  for (;;)
    {
      g_free (text);
      gtk_text_buffer_get_bounds (buffer, &start, &end);
      text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
      if (f->finished || !g_str_equal (text, prompt))
        break;
      g_main_context_iteration (NULL, TRUE);
    }
  g_assert_cmpstr (text, ==, prompt);
  g_assert_true (f->finished);
  g_assert_cmpuint (rw_compare_page_get_n_columns (f->page), ==, 2);
  g_free (text);
#else
  g_test_skip ("not built for X11");
#endif
}

/* Ratings: the votes cast in the window rate the models of their task, the winner first, each
 * rating with its interval. */
static void
test_ratings (Fixture       *f,
              gconstpointer  data)
{
  const char *pair[] = { "recorded/gpt-3.5-turbo", "recorded/claude-instant-v1", NULL };
  RwRatingsPage *ratings = rw_window_get_ratings_page (f->window);
  JsonArray *tasks, *models = NULL;
  g_autofree char *labels = NULL;

  for (guint i = 0; i < 3; i++)
    {
      compare (f, pair, "Tell a joke about going on vacation.");
      g_assert_true (gtk_widget_activate_action (GTK_WIDGET (f->page), "compare.vote-pair", "s",
                                                 "b"));
    }
  rw_window_set_view (f->window, "ratings");
  while (rw_ratings_page_get_rated (ratings) == NULL || rw_ratings_page_is_busy (ratings))
    g_main_context_iteration (NULL, TRUE);
  tasks = rw_json_object_get_array (json_node_get_object (rw_ratings_page_get_rated (ratings)),
                                    "tasks");
  for (guint i = 0; i < json_array_get_length (tasks); i++)
    {
      JsonObject *t = json_array_get_object_element (tasks, i);
      if (g_strcmp0 (rw_json_object_get_string (t, "task", NULL), "creativity") == 0)
        models = rw_json_object_get_array (t, "models");
    }
  g_assert_nonnull (models);
  g_assert_cmpstr (rw_json_object_get_string (json_array_get_object_element (models, 0), "model", NULL),
                   ==, pair[1]);
  wait_for_frame (GTK_WIDGET (f->window));
  labels = labels_of (GTK_WIDGET (ratings));
  g_assert_nonnull (strstr (labels, pair[0]));
  g_assert_nonnull (strstr (labels, pair[1]));
  g_assert_nonnull (strstr (labels, "3.0 won · 0.0 lost"));
  g_assert_nonnull (strstr (labels, "People 3, judges 0, grades 0, imports 0."));

  /* The heat map: the winner took every comparison against the other. */
  {
    RwChart *heat = RW_CHART (find_any (GTK_WIDGET (ratings), RW_TYPE_CHART, NULL, NULL));
    g_autofree char *table = NULL;
    g_autofree char *expected = g_strdup_printf ("%s\t\t1.0000\n", pair[1]);

    g_assert_nonnull (heat);
    g_assert_cmpint (rw_chart_get_kind (heat), ==, RW_CHART_HEAT);
    table = rw_chart_dup_table (heat);
    g_assert_nonnull (strstr (table, expected));
    scroll_to (GTK_WIDGET (f->window), GTK_WIDGET (heat));
  }
  wait_for_frame (GTK_WIDGET (f->window));
  save_screenshot (GTK_WIDGET (f->window), "window-ratings.png");

  /* Judges only: none voted, so there is nothing to rank; the last week: the three votes. */
  {
    GtkDropDown *source = GTK_DROP_DOWN (find_any (GTK_WIDGET (ratings), GTK_TYPE_DROP_DOWN,
                                                   has_item, (gpointer) "Judges"));
    GtkDropDown *period = GTK_DROP_DOWN (find_any (GTK_WIDGET (ratings), GTK_TYPE_DROP_DOWN,
                                                   has_item,
                                                   (gpointer) "Last 7 days"));

    g_assert_nonnull (source);
    g_assert_nonnull (period);
    gtk_drop_down_set_selected (source, 2);
    while (rw_ratings_page_is_busy (ratings))
      g_main_context_iteration (NULL, TRUE);
    wait_for_frame (GTK_WIDGET (f->window));
    g_assert_null (find_widget (GTK_WIDGET (ratings), RW_TYPE_INTERVAL_BAR));
    gtk_drop_down_set_selected (source, 1);
    gtk_drop_down_set_selected (period, 1);
    while (rw_ratings_page_is_busy (ratings))
      g_main_context_iteration (NULL, TRUE);
    wait_for_frame (GTK_WIDGET (f->window));
    g_assert_nonnull (find_widget (GTK_WIDGET (ratings), RW_TYPE_INTERVAL_BAR));
  }
}

typedef struct
{
  gboolean done;
  int status;
  char *out;
  char *err;
} NodeRun;

static void
node_communicated (GObject      *object,
                   GAsyncResult *res,
                   gpointer      data)
{
  NodeRun *run = data;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (object), res, &run->out, &run->err, NULL);
  run->status = g_subprocess_get_if_exited (G_SUBPROCESS (object))
                  ? g_subprocess_get_exit_status (G_SUBPROCESS (object)) : -1;
  run->done = TRUE;
}

/* The official openai client, plain and streamed, against the endpoint the window serves. */
static const char openai_client_js[] =
  "import OpenAI from 'openai';\n"
  "const client = new OpenAI({ baseURL: process.env.RW_BASE_URL, apiKey: process.env.RW_TOKEN });\n"
  "const plain = await client.chat.completions.create({ model: 'routewise/auto',\n"
  "  messages: [{ role: 'user', content: 'Say hello' }] });\n"
  "let streamed = '';\n"
  "const stream = await client.chat.completions.create({ model: 'mock/good', stream: true,\n"
  "  messages: [{ role: 'user', content: 'Say hello again' }] });\n"
  "for await (const chunk of stream) streamed += chunk.choices[0]?.delta?.content ?? '';\n"
  "console.log(JSON.stringify({ plain: plain.choices[0].message.content, model: plain.model,\n"
  "                             streamed }));\n";

/* The Endpoint view: its switch serves routewise/auto by the active policy on 127.0.0.1; the
 * official openai client gets its answers; the log lists both requests as they are answered;
 * the switch stops it and the port closes. */
static void
test_endpoint (Fixture       *f,
               gconstpointer  data)
{
  static const char * const hello[] = { "Hello", " from", " the", " mock", NULL };
  g_autoptr(RwMockUpstream) upstream = rw_mock_upstream_new ();
  g_autofree char *base = rw_mock_upstream_dup_base_url (upstream);
  RwEndpointPage *page = rw_window_get_endpoint_page (f->window);
  g_autofree char *dir = g_build_filename (g_getenv ("G_TEST_SRCDIR"), "conformance", NULL);
  g_autofree char *sdk = g_build_filename (dir, "node_modules", "openai", "package.json", NULL);
  g_autofree char *node = g_find_program_in_path ("node");
  g_autofree char *token = NULL;
  g_autofree char *url = NULL;
  g_autofree char *labels = NULL;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) refused = NULL;
  g_autoptr(GError) error = NULL;
  GtkWidget *serve, *port;
  guint16 bound;

  add_openai_provider (f, "mock", base, (const char *[]) { "good", NULL }, TRUE);
  rw_mock_upstream_set_default (upstream, "good", rw_mock_reply_new_stream (hello, 9, 4, TRUE));
  g_free (rw_store_save_policy (f->store, "to-good",
                                "{\"version\": 1, \"default\": [\"mock/good\"]}", TRUE));
  g_assert_true (rw_store_flush (f->store, NULL));
  rw_window_reload_policy (f->window);
  wait_policy_read (f->window);
  g_assert_cmpstr (rw_endpoint_page_get_policy_name (page), ==, "to-good");

  rw_window_set_view (f->window, "endpoint");
  wait_for_frame (GTK_WIDGET (f->window));
  port = find_widget (GTK_WIDGET (page), GTK_TYPE_SPIN_BUTTON);
  serve = find_widget (GTK_WIDGET (page), GTK_TYPE_SWITCH);
  g_assert_nonnull (port);
  g_assert_nonnull (serve);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (port), 0);
  gtk_switch_set_active (GTK_SWITCH (serve), TRUE);
  g_assert_true (rw_endpoint_page_is_running (page));
  bound = rw_endpoint_page_get_port (page);
  g_assert_cmpuint (bound, >, 0);
  g_assert_false (gtk_widget_get_sensitive (port));
  token = rw_endpoint_page_dup_token (page);
  g_assert_nonnull (token);
  url = g_strdup_printf ("http://127.0.0.1:%u/v1", bound);

  if (node != NULL && g_file_test (sdk, G_FILE_TEST_EXISTS))
    {
      g_autoptr(GSubprocessLauncher) launcher =
        g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
      g_autoptr(GSubprocess) proc = NULL;
      g_autoptr(JsonParser) parser = json_parser_new ();
      NodeRun run = { 0 };
      JsonObject *o;

      g_subprocess_launcher_setenv (launcher, "RW_BASE_URL", url, TRUE);
      g_subprocess_launcher_setenv (launcher, "RW_TOKEN", token, TRUE);
      g_subprocess_launcher_set_cwd (launcher, dir);
      proc = g_subprocess_launcher_spawn (launcher, &error, node, "--input-type=module", "-e",
                                          openai_client_js, NULL);
      g_assert_no_error (error);
      /* The endpoint answers on this main context: it turns while node talks to it. */
      g_subprocess_communicate_utf8_async (proc, NULL, NULL, node_communicated, &run);
      while (!run.done)
        g_main_context_iteration (NULL, TRUE);
      g_test_message ("node: %s %s", run.out, run.err);
      g_assert_cmpint (run.status, ==, 0);
      g_assert_true (json_parser_load_from_data (parser, run.out, -1, NULL));
      o = json_node_get_object (json_parser_get_root (parser));
      g_assert_cmpstr (json_object_get_string_member (o, "plain"), ==, "Hello from the mock");
      g_assert_cmpstr (json_object_get_string_member (o, "streamed"), ==, "Hello from the mock");
      g_assert_cmpstr (json_object_get_string_member (o, "model"), ==, "mock/good");
      g_free (run.out);
      g_free (run.err);
    }
  else if (g_getenv ("ROUTEWISE_REQUIRE_CONFORMANCE") != NULL)
    g_error ("node or the openai package is missing (npm install in %s)", dir);
  else
    {
      g_test_skip ("node or the openai npm package is not installed");
      rw_endpoint_page_stop (page);
      return;
    }

  while (rw_endpoint_page_get_n_logged (page) < 2)
    g_main_context_iteration (NULL, TRUE);
  wait_for_frame (GTK_WIDGET (f->window));
  labels = labels_of (GTK_WIDGET (page));
  g_assert_nonnull (strstr (labels, "routewise/auto"));
  g_assert_nonnull (strstr (labels, "mock/good"));
  g_assert_nonnull (strstr (labels, "to-good"));
  g_assert_nonnull (strstr (labels, url));
  g_assert_nonnull (strstr (labels, "2 requests answered, 0 failed"));
  save_screenshot (GTK_WIDGET (f->window), "window-endpoint.png");

  /* Both requests are stored as the endpoint's. */
  g_assert_true (rw_store_flush (f->store, NULL));
  g_assert_cmpint (rw_test_db_int (rw_store_get_path (f->store),
                                   "SELECT count(*) FROM responses r JOIN runs u ON u.id = r.run_id "
                                   "WHERE u.kind = 'serve' AND r.model = 'mock/good'"), ==, 2);

  gtk_switch_set_active (GTK_SWITCH (serve), FALSE);
  g_assert_false (rw_endpoint_page_is_running (page));
  g_assert_true (gtk_widget_get_sensitive (port));
  refused = g_socket_client_connect_to_host (client, "127.0.0.1", bound, NULL, &error);
  g_assert_null (refused);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_REFUSED);
  g_assert_cmpint (rw_test_db_int (rw_store_get_path (f->store),
                                   "SELECT count(*) FROM runs WHERE kind = 'serve' AND "
                                   "status = 'done'"), ==, 1);

  /* Serving started before the window's read of the policy came back routes by it all the
   * same, from its first request. */
  {
    RwWindow *early = rw_window_new (NULL, f->catalog, f->store);
    RwEndpointPage *early_page = rw_window_get_endpoint_page (early);

    g_clear_error (&error);
    g_assert_true (rw_window_is_reading_policy (early));
    g_assert_true (rw_endpoint_page_start (early_page, &error));
    g_assert_no_error (error);
    g_assert_cmpstr (rw_endpoint_page_get_policy_name (early_page), ==, "to-good");
    rw_endpoint_page_stop (early_page);
    wait_policy_read (early);
    g_assert_cmpstr (rw_endpoint_page_get_policy_name (early_page), ==, "to-good");
    gtk_window_destroy (GTK_WINDOW (early));
  }
}

/* Runs routewise-cli on the window's database and configuration. */
static char *
run_cli_on (Fixture            *f,
            const char * const *args)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  char *out = NULL;

  g_subprocess_launcher_setenv (launcher, "ROUTEWISE_DATA_DIR", f->dir, TRUE);
  g_subprocess_launcher_setenv (launcher, "ROUTEWISE_CONFIG_DIR", f->config_dir, TRUE);
  g_ptr_array_add (argv, (char *) g_getenv ("ROUTEWISE_CLI"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (char *) args[i]);
  g_ptr_array_add (argv, NULL);
  proc = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (proc, NULL, NULL, &out, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_successful (proc));
  return out;
}

/* A policy's JSON without what a clock measured: when it was learned, how long fits took. */
static char *
policy_without_time (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *learned;
  JsonArray *tasks;

  g_assert_true (json_parser_load_from_data (parser, text, -1, NULL));
  learned = json_object_get_object_member (json_node_get_object (json_parser_get_root (parser)),
                                           "learned");
  json_object_remove_member (learned, "created");
  tasks = json_object_get_array_member (json_object_get_object_member (learned, "ratings"),
                                        "tasks");
  for (guint i = 0; i < json_array_get_length (tasks); i++)
    json_object_remove_member (json_array_get_object_element (tasks, i), "fit_ms");
  return rw_json_to_string (json_parser_get_root (parser), TRUE);
}

/* The Policies view learns from the RouteLLM grades of three MMLU subjects and GSM8K what
 * `routewise-cli policy learn` learns with the same weight, to the byte; moves the chosen model
 * as the weight moves; evaluates it held out against every single model, random, the oracle
 * and the cost-matched mix; keeps it active, which the Endpoint view then routes by; and
 * exports it. */
static void
test_policies (Fixture       *f,
               gconstpointer  data)
{
  RwPoliciesPage *page = rw_window_get_policies_page (f->window);
  g_autofree char *top = g_path_get_dirname (g_getenv ("G_TEST_SRCDIR"));
  g_autoptr(GError) error = NULL;
  g_autofree char *mine = NULL;
  g_autofree char *theirs = NULL;
  g_autofree char *cli = NULL;
  g_autofree char *labels = NULL;
  g_autofree char *kept = NULL;
  g_autofree char *exported = g_build_filename (f->dir, "portkey.json", NULL);
  g_autofree char *portkey = NULL;
  g_auto(GStrv) notes = NULL;
  g_autofree char *text = NULL;
  JsonObject *learned;
  const char *cheap_math, *best_math;

  for (guint i = 0; i < 3; i++)
    {
      static const char * const files[] = {
        "routellm/mmlu/mmlu_abstract_algebra.csv", "routellm/mmlu/mmlu_anatomy.csv",
        "routellm/mmlu/mmlu_astronomy.csv",
      };
      g_autofree char *path = g_build_filename (top, "data", files[i], NULL);
      guint n_items = 0;
      g_autofree char *run = rw_routellm_import (f->store, f->catalog, path, &n_items, &error);
      g_assert_no_error (error);
      g_assert_nonnull (run);
    }
  g_assert_true (rw_store_flush (f->store, NULL));

  rw_window_set_view (f->window, "policies");
  rw_policies_page_set_cost_weight (page, 0);
  while (rw_policies_page_is_busy (page) || rw_policies_page_get_learned (page) == NULL)
    g_main_context_iteration (NULL, TRUE);
  /* GSM8K's grades imported from the window, off the main loop; the policy is learned again. */
  {
    g_autofree char *gsm8k = g_build_filename (top, "data", "recorded", "gsm8k_responses.csv",
                                               NULL);
    g_autofree char *mmlu = g_build_filename (top, "data", "routellm", "mmlu", NULL);

    rw_policies_page_import (page, gsm8k);
    g_assert_true (rw_policies_page_is_busy (page));
    while (rw_policies_page_is_busy (page) ||
           !json_object_has_member (json_object_get_object_member (
             json_node_get_object (rw_policies_page_get_learned (page)), "tasks"), "math"))
      g_main_context_iteration (NULL, TRUE);

    /* An import stopped at once: its run says so, and nothing of it is half-stored. */
    rw_policies_page_import (page, mmlu);
    rw_policies_page_cancel_import (page);
    while (rw_policies_page_is_busy (page))
      g_main_context_iteration (NULL, TRUE);
    g_assert_true (rw_store_flush (f->store, NULL));
    g_assert_cmpint (rw_test_db_int (rw_store_get_path (f->store),
                                     "SELECT count(*) FROM runs WHERE status = 'cancelled' AND "
                                     "json_extract (params, '$.path') LIKE '%mmlu'"), ==, 1);
    g_assert_cmpint (rw_test_db_int (rw_store_get_path (f->store),
                                     "SELECT count(*) FROM responses r JOIN runs u ON u.id = r.run_id "
                                     "WHERE u.status = 'cancelled'"), <, 14000);
  }
  best_math = json_array_get_string_element (
    json_object_get_array_member (json_object_get_object_member (
      json_node_get_object (rw_policies_page_get_learned (page)), "tasks"), "math"), 0);
  g_assert_cmpstr (best_math, ==, "recorded/gpt-4-1106-preview");

  /* A weight of 0.5 quality points per dollar per 1,000 requests: the cheap model wins math. */
  rw_policies_page_set_cost_weight (page, 0.5);
  g_assert_true (rw_policies_page_is_busy (page));
  while (rw_policies_page_is_busy (page))
    g_main_context_iteration (NULL, TRUE);
  learned = json_node_get_object (rw_policies_page_get_learned (page));
  cheap_math = json_array_get_string_element (
    json_object_get_array_member (json_object_get_object_member (learned, "tasks"), "math"), 0);
  g_assert_cmpstr (cheap_math, ==, "recorded/mixtral-8x7b-instruct-v0.1");

  /* The same as the command line's, with the same settings (the window leaves out a model
   * without a price, and says so, rather than refuse), on the same database. */
  text = rw_json_to_string (rw_policies_page_get_learned (page), TRUE);
  mine = policy_without_time (text);
  cli = run_cli_on (f, (const char *[]) { "policy", "learn", "--cost-weight", "0.5",
                                          "--allow-unpriced", "-o", "-", NULL });
  theirs = policy_without_time (cli);
  g_assert_cmpuint (strlen (mine), >, 1000);
  g_assert_true (g_str_equal (mine, theirs));

  /* Cancelled, the evaluation leaves nothing; run again, it completes. */
  rw_policies_page_evaluate (page);
  g_assert_true (rw_policies_page_is_busy (page));
  rw_policies_page_cancel_evaluation (page);
  while (rw_policies_page_is_busy (page))
    g_main_context_iteration (NULL, TRUE);
  g_assert_null (rw_policies_page_get_evaluation (page));
  rw_policies_page_evaluate (page);
  while (rw_policies_page_is_busy (page))
    g_main_context_iteration (NULL, TRUE);
  g_assert_nonnull (rw_policies_page_get_evaluation (page));
  wait_for_frame (GTK_WIDGET (f->window));
  labels = labels_of (GTK_WIDGET (page));
  g_assert_nonnull (strstr (labels, "This policy"));
  g_assert_nonnull (strstr (labels, "Best mix of single models at the same cost or less"));
  g_assert_nonnull (strstr (labels, "Oracle"));
  g_assert_nonnull (strstr (labels, "recorded/mixtral-8x7b-instruct-v0.1"));

  /* Away and back with the same evidence: nothing is read or learned again, and the
   * evaluation stays. A grade stored meanwhile makes the next look read and learn again. */
  {
    JsonNode *before = rw_policies_page_get_learned (page);
    g_autofree char *answer = NULL;

    rw_window_set_view (f->window, "compare");
    wait_for_frame (GTK_WIDGET (f->window));
    rw_window_set_view (f->window, "policies");
    wait_for_frame (GTK_WIDGET (f->window));
    g_assert_false (rw_policies_page_is_busy (page));
    g_assert_true (rw_policies_page_get_learned (page) == before);
    g_assert_nonnull (rw_policies_page_get_evaluation (page));

    answer = rw_test_db_text (rw_store_get_path (f->store),
                              "SELECT id FROM responses WHERE status = 'ok' LIMIT 1");
    rw_store_record_grade (f->store, answer, "person", 1, TRUE, NULL, "human");
    g_assert_true (rw_store_flush (f->store, NULL));
    rw_window_set_view (f->window, "compare");
    wait_for_frame (GTK_WIDGET (f->window));
    rw_window_set_view (f->window, "policies");
    wait_for_frame (GTK_WIDGET (f->window));
    g_assert_true (rw_policies_page_is_busy (page));
    while (rw_policies_page_is_busy (page))
      g_main_context_iteration (NULL, TRUE);
    g_assert_nonnull (rw_policies_page_get_learned (page));
    rw_policies_page_evaluate (page);
    while (rw_policies_page_is_busy (page))
      g_main_context_iteration (NULL, TRUE);
  }

  /* Kept on a thread: the page is busy until it is stored and listed. */
  rw_policies_page_keep_async (page, "lean", TRUE, on_kept, &kept);
  g_assert_true (rw_policies_page_is_busy (page));
  while (kept == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_false (rw_policies_page_is_busy (page));
  wait_policy_read (f->window);
  g_assert_cmpstr (rw_endpoint_page_get_policy_name (rw_window_get_endpoint_page (f->window)),
                   ==, "lean");
  g_clear_pointer (&cli, g_free);
  cli = run_cli_on (f, (const char *[]) { "policy", "list", NULL });
  g_assert_nonnull (strstr (cli, "* lean"));

  /* Read, converted and written on a thread; the page is busy until it is written. */
  {
    GAsyncResult *result = NULL;

    rw_policies_page_export_async (page, kept, "portkey", exported, on_result, &result);
    g_assert_true (rw_policies_page_is_busy (page));
    while (result == NULL)
      g_main_context_iteration (NULL, TRUE);
    g_assert_false (rw_policies_page_is_busy (page));
    g_assert_true (rw_policies_page_export_finish (page, result, &notes, &error));
    g_assert_no_error (error);
    g_object_unref (result);
  }
  /* The router per prompt and the classifier stay behind, and the window says so. */
  g_assert_nonnull (notes);
  g_assert_nonnull (strstr (notes[0], "router per prompt"));
  g_assert_nonnull (strstr (notes[1], "x-portkey-metadata"));
  g_assert_true (g_file_get_contents (exported, &portkey, NULL, NULL));
  g_assert_nonnull (strstr (portkey, "\"strategy\""));
  /* As the Export menu does it: the file, and a dialog saying what stayed behind. */
  {
    GtkWindow *said;
    g_autoptr(GString) body = g_string_new (NULL);

    rw_policies_page_export_and_tell (page, kept, "portkey", exported);
    while (rw_policies_page_is_busy (page))
      g_main_context_iteration (NULL, TRUE);
    said = GTK_WINDOW (find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
    g_assert_nonnull (said);
    g_assert_true (ADW_IS_MESSAGE_DIALOG (said));
    g_assert_cmpstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (said)), ==,
                     "Exported as portkey.json");
    g_string_append (body, adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (said)));
    g_string_append (body, gtk_label_get_text (GTK_LABEL (adw_message_dialog_get_extra_child (ADW_MESSAGE_DIALOG (said)))));
    g_assert_nonnull (strstr (body->str, "router per prompt"));
    g_assert_nonnull (strstr (body->str, "x-portkey-metadata"));
    wait_for_frame (GTK_WIDGET (said));
    save_screenshot (GTK_WIDGET (said), "window-policies-export-notes.png");
    gtk_window_destroy (said);
  }

  /* Math's two models, the frontier between them, and the cheap one chosen at this weight. */
  {
    GtkDropDown *tasks = GTK_DROP_DOWN (find_any (GTK_WIDGET (page), GTK_TYPE_DROP_DOWN,
                                                  has_item, (gpointer) "math"));
    GListModel *items = gtk_drop_down_get_model (tasks);
    GtkWidget *curve = NULL;

    for (guint i = 0; i < g_list_model_get_n_items (items); i++)
      if (g_strcmp0 (gtk_string_list_get_string (GTK_STRING_LIST (items), i), "math") == 0)
        gtk_drop_down_set_selected (tasks, i);
    wait_for_frame (GTK_WIDGET (f->window));
    save_screenshot (GTK_WIDGET (f->window), "window-policies.png");
    /* The second chart: the held-out curve. */
    {
      g_autoptr(GPtrArray) charts = g_ptr_array_new ();
      GtkWidget *pending[64];
      guint n = 0;

      pending[n++] = GTK_WIDGET (page);
      while (n > 0)
        {
          GtkWidget *w = pending[--n];
          if (RW_IS_CHART (w))
            g_ptr_array_add (charts, w);
          for (GtkWidget *c = gtk_widget_get_last_child (w); c != NULL && n < G_N_ELEMENTS (pending);
               c = gtk_widget_get_prev_sibling (c))
            pending[n++] = c;
        }
      for (guint i = 0; i < charts->len; i++)
        if (g_strcmp0 (rw_chart_get_title (charts->pdata[i]), "Quality against cost, held out") == 0)
          curve = charts->pdata[i];
    }
    g_assert_nonnull (curve);
    g_assert_cmpuint (rw_chart_get_n_points (RW_CHART (curve)), >, 5);
    scroll_to (GTK_WIDGET (f->window), curve);
    wait_for_frame (GTK_WIDGET (f->window));
    save_screenshot (GTK_WIDGET (f->window), "window-policies-evaluation.png");
  }

  /* A budget: the spending within it is chosen by what it scored on prompts routed as new, and
   * the summary says that score. */
  rw_policies_page_set_budget (page, 0.4);
  wait_for_frame (GTK_WIDGET (f->window));
  while (rw_policies_page_is_busy (page))
    g_main_context_iteration (NULL, TRUE);
  learned = json_object_get_object_member (json_node_get_object (rw_policies_page_get_learned (page)),
                                           "learned");
  g_assert_cmpfloat (json_object_get_double_member (learned, "expected_quality"), >, 0.5);
  g_assert_cmpfloat (json_object_get_double_member (learned, "expected_cost_per_1k"), <=, 0.4);
  wait_for_frame (GTK_WIDGET (f->window));
  g_free (labels);
  labels = labels_of (GTK_WIDGET (page));
  g_assert_nonnull (strstr (labels, "Within the budget, the prompts learned from score"));
  /* The evaluation was of the policy before: it is gone until this one is evaluated. */
  g_assert_null (rw_policies_page_get_evaluation (page));
  g_assert_null (strstr (labels, "This policy"));
  scroll_to (GTK_WIDGET (f->window),
             find_any (GTK_WIDGET (page), GTK_TYPE_LABEL, label_starts, (gpointer) "Learned from"));
  wait_for_frame (GTK_WIDGET (f->window));
  save_screenshot (GTK_WIDGET (f->window), "window-policies-budget.png");
}

/* The Stats view over a stored week of the endpoint's requests, with the votes of the week and
 * an active policy: the same figures as `routewise-cli stats --json` on the same database. */
static void
test_stats (Fixture       *f,
            gconstpointer  data)
{
  RwStatsPage *page = rw_window_get_stats_page (f->window);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GDateTime) today = g_date_time_new_local (g_date_time_get_year (now),
                                                      g_date_time_get_month (now),
                                                      g_date_time_get_day_of_month (now), 0, 0, 0);
  g_autoptr(GDateTime) monday = g_date_time_add_days (today, -6);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *cli = NULL;
  g_autofree char *labels = NULL;
  JsonObject *mine, *theirs;

  static const char providers[] =
    "{\"providers\": [{\"id\": \"mock\", \"kind\": \"openai\", \"base_url\": \"http://127.0.0.1:9/v1\"}],"
    " \"models\": [{\"id\": \"mock/a\", \"provider\": \"mock\", \"name\": \"a\", \"input_price\": 1,"
    "               \"output_price\": 2},"
    "              {\"id\": \"mock/b\", \"provider\": \"mock\", \"name\": \"b\", \"input_price\": 1,"
    "               \"output_price\": 2}]}";
  g_autofree char *providers_path = g_build_filename (f->config_dir, "providers.json", NULL);

  /* The same models for the window and for the command line. */
  g_mkdir_with_parents (f->config_dir, 0700);
  g_assert_true (g_file_set_contents (providers_path, providers, -1, NULL));
  g_assert_true (rw_catalog_load_data (f->catalog, "test", providers, -1, NULL));
  rw_test_store_fill_week (f->store, g_date_time_to_unix (monday) * 1000);
  g_free (rw_store_save_policy (f->store, "all-to-b",
                                "{\"version\": 1, \"default\": [\"mock/b\"]}", TRUE));
  g_assert_true (rw_store_flush (f->store, NULL));

  rw_window_set_view (f->window, "stats");
  while (rw_stats_page_is_busy (page) || rw_stats_page_get_stats (page) == NULL)
    g_main_context_iteration (NULL, TRUE);
  mine = json_node_get_object (rw_stats_page_get_stats (page));
  cli = run_cli_on (f, (const char *[]) { "stats", "--since", "6d", "--json", NULL });
  g_assert_true (json_parser_load_from_data (parser, cli, -1, NULL));
  theirs = json_node_get_object (json_parser_get_root (parser));
  g_assert_cmpint (json_object_get_int_member (mine, "attempts"), ==, 44);
  g_assert_cmpint (json_object_get_int_member (mine, "attempts"), ==,
                   json_object_get_int_member (theirs, "attempts"));
  g_assert_cmpint (json_object_get_int_member (mine, "fallbacks"), ==,
                   json_object_get_int_member (theirs, "fallbacks"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (mine, "days")), ==, 7);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (mine, "cost_usd"),
                                  json_object_get_double_member (theirs, "cost_usd"), 1e-12);
  g_assert_cmpfloat_with_epsilon (
    json_object_get_double_member (json_object_get_object_member (mine, "policy"),
                                   "would_cost_usd"),
    json_object_get_double_member (json_object_get_object_member (theirs, "policy"),
                                   "would_cost_usd"), 1e-12);

  wait_for_frame (GTK_WIDGET (f->window));
  labels = labels_of (GTK_WIDGET (page));
  g_assert_nonnull (strstr (labels, "35 requests, 44 attempts, 9 failed, 9 fell back"));
  g_assert_nonnull (strstr (labels, "all-to-b"));
  g_assert_nonnull (strstr (labels, "timeout"));
  save_screenshot (GTK_WIDGET (f->window), "window-stats.png");

  /* Each chart saves as PNG and as SVG, and gives its numbers as a table. */
  {
    RwChart *chart = RW_CHART (find_any (GTK_WIDGET (page), RW_TYPE_CHART, NULL, NULL));
    g_autofree char *png = g_build_filename (f->dir, "requests.png", NULL);
    g_autofree char *svg = g_build_filename (f->dir, "requests.svg", NULL);
    g_autofree char *bad = g_build_filename (f->dir, "requests.gif", NULL);
    g_autofree char *png_data = NULL;
    g_autofree char *svg_data = NULL;
    g_autofree char *table = NULL;
    g_autoptr(GError) error = NULL;
    gsize len = 0;

    g_assert_nonnull (chart);
    g_assert_true (rw_chart_save (chart, png, 900, 500, &error));
    g_assert_no_error (error);
    g_assert_true (rw_chart_save (chart, svg, 900, 500, &error));
    g_assert_no_error (error);
    g_assert_true (g_file_get_contents (png, &png_data, &len, NULL));
    g_assert_cmpuint (len, >, 1000);
    g_assert_cmpmem (png_data, 8, "\x89PNG\r\n\x1a\n", 8);
    g_assert_true (g_file_get_contents (svg, &svg_data, NULL, NULL));
    g_assert_nonnull (strstr (svg_data, "<svg"));
    g_assert_false (rw_chart_save (chart, bad, 900, 500, &error));
    g_assert_nonnull (error);
    table = rw_chart_dup_table (chart);
    g_assert_nonnull (strstr (table, "mock/a\t"));
  }
}

/* What an evaluation stored, row by row: every answer's item, model, repetition, status and
 * text, in one order. */
static char *
stored_eval_rows (const char *db_path)
{
  return rw_test_db_text (db_path,
                          "SELECT group_concat (row, char (10)) FROM ("
                          "  SELECT r.item_id || '|' || r.model || '|' || r.sample || '|' || "
                          "         r.status || '|' || r.text AS row "
                          "  FROM responses r JOIN runs u ON u.id = r.run_id "
                          "  WHERE u.kind = 'eval' ORDER BY r.item_id, r.model, r.sample)");
}

static void
cancel_after_40 (RwEvaluatePage *page,
                 gpointer        data)
{
  if (rw_evaluate_page_get_n_done (page) >= 40)
    {
      rw_evaluate_page_cancel (page);
      g_signal_handlers_disconnect_by_func (page, cancel_after_40, data);
    }
}

/* The Evaluate view runs a suite as `eval run` does: started with its estimate, cancelled part
 * way (the run is then listed as unfinished), resumed, and finished, it stores the same rows as
 * `routewise-cli eval run` stores on a database of its own; its report follows. */
/* A suite whose grades need an embedding model (similar) and a moderation model: Evaluate
 * asks for them only then, refuses to start without them in its own words, and runs the grades
 * by the models picked. The models come from the catalog as it is now: a provider added after
 * the window opened is offered, and what was ticked stays ticked. */
static void
test_evaluate_grading_models (Fixture       *f,
                              gconstpointer  data)
{
  static const char * const models[] = { "mock/paris", NULL };
  g_autoptr(RwMockUpstream) upstream = rw_mock_upstream_new ();
  g_autofree char *base = rw_mock_upstream_dup_base_url (upstream);
  RwEvaluatePage *page = rw_window_get_evaluate_page (f->window);
  g_autofree char *top = g_path_get_dirname (g_getenv ("G_TEST_SRCDIR"));
  g_autofree char *plain = g_build_filename (top, "data", "suites", "gsm8k-sample.jsonl", NULL);
  g_autofree char *suite = g_build_filename (f->dir, "graded.jsonl", NULL);
  GtkWidget *embedding_row, *moderation_row;
  g_autoptr(GError) error = NULL;

  g_assert_true (g_file_set_contents (suite,
    "{\"id\": \"capital\", \"prompt\": \"Which city is the capital of France?\", \"graders\": ["
    "{\"type\": \"similar\", \"value\": \"The capital is Paris\", \"threshold\": 0.8},"
    " {\"type\": \"moderation\"}]}\n", -1, NULL));
  add_openai_provider (f, "mock", base, (const char *[]) { "paris", "embed", "mod", NULL }, TRUE);
  rw_mock_upstream_set_default (upstream, "paris", rw_mock_reply_new_chat ("Paris.", 5, 2));
  rw_mock_upstream_set_default (upstream, "embed", rw_mock_reply_new_json (200,
    "{\"object\": \"list\", \"data\": [{\"object\": \"embedding\", \"index\": 0, \"embedding\": [1, 0]},"
    " {\"object\": \"embedding\", \"index\": 1, \"embedding\": [1, 0.1]}], \"model\": \"embed\"}"));
  rw_mock_upstream_set_default (upstream, "mod", rw_mock_reply_new_json (200,
    "{\"results\": [{\"flagged\": false, \"categories\": {\"harassment\": false}}]}"));

  rw_window_set_view (f->window, "evaluate");
  embedding_row = find_any (GTK_WIDGET (page), ADW_TYPE_ACTION_ROW, has_title, (gpointer) "Embedding Model");
  moderation_row = find_any (GTK_WIDGET (page), ADW_TYPE_ACTION_ROW, has_title, (gpointer) "Moderation Model");
  g_assert_nonnull (embedding_row);
  g_assert_nonnull (moderation_row);
  g_assert_false (gtk_widget_get_visible (embedding_row));
  g_assert_false (gtk_widget_get_visible (moderation_row));

  /* The provider came after the window: its models are offered, the ticks kept. */
  rw_evaluate_page_set_models (page, models);
  g_assert_true (rw_evaluate_page_set_suite_file (page, suite, &error));
  g_assert_no_error (error);
  g_assert_true (gtk_widget_get_visible (embedding_row));
  g_assert_true (gtk_widget_get_visible (moderation_row));
  g_assert_false (rw_evaluate_page_prepare (page, NULL, &error));
  g_assert_error (error, RW_ERROR, RW_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "embedding model under Options"));
  g_assert_null (strstr (error->message, "--"));
  g_clear_error (&error);
  rw_evaluate_page_set_grading_models (page, "mock/embed", NULL);
  g_assert_false (rw_evaluate_page_prepare (page, NULL, &error));
  g_assert_nonnull (strstr (error->message, "moderation model under Options"));
  g_clear_error (&error);
  g_assert_cmpuint (rw_mock_upstream_count (upstream, "paris"), ==, 0);

  rw_evaluate_page_set_grading_models (page, "mock/embed", "mock/mod");
  /* A change to the catalog keeps what was picked. */
  add_openai_provider (f, "later", base, (const char *[]) { "other", NULL }, TRUE);
  wait_for_frame (GTK_WIDGET (f->window));
  wait_for_frame (GTK_WIDGET (f->window));
  wait_for_frame (GTK_WIDGET (f->window));
  save_screenshot (GTK_WIDGET (f->window), "window-evaluate-grading-models.png");
  g_assert_true (rw_evaluate_page_prepare (page, NULL, &error));
  g_assert_no_error (error);
  rw_evaluate_page_start (page);
  while (rw_evaluate_page_is_running (page))
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpstr (rw_evaluate_page_get_status (page), ==, "done");
  g_assert_cmpuint (rw_mock_upstream_count (upstream, "paris"), ==, 1);
  g_assert_cmpuint (rw_mock_upstream_count (upstream, "embed"), ==, 1);
  g_assert_cmpuint (rw_mock_upstream_count (upstream, "mod"), ==, 1);
  g_assert_true (rw_store_flush (f->store, NULL));
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM grades WHERE pass = 1 AND "
                              "grader IN ('similar', 'moderation')"), ==, 2);
  g_assert_cmpint (db_int (f, "SELECT count(*) FROM grades WHERE "
                              "detail = 'similarity 0.995 (passes at 0.8)'"), ==, 1);

  /* A suite without such grades does not ask for them. */
  g_assert_true (rw_evaluate_page_set_suite_file (page, plain, &error));
  g_assert_false (gtk_widget_get_visible (embedding_row));
  g_assert_false (gtk_widget_get_visible (moderation_row));
}

static void
test_evaluate (Fixture       *f,
               gconstpointer  data)
{
  static const char * const models[] = {
    "recorded/gpt-4-1106-preview", "recorded/mixtral-8x7b-instruct-v0.1", NULL,
  };
  RwEvaluatePage *page = rw_window_get_evaluate_page (f->window);
  g_autofree char *top = g_path_get_dirname (g_getenv ("G_TEST_SRCDIR"));
  g_autofree char *suite = g_build_filename (top, "data", "suites", "gsm8k-sample.jsonl", NULL);
  g_autofree char *cli_dir = g_build_filename (f->dir, "cli", NULL);
  g_autofree char *cli_db = g_build_filename (cli_dir, "routewise.db", NULL);
  g_autofree char *mine = NULL;
  g_autofree char *theirs = NULL;
  g_autofree char *run_id = NULL;
  g_autofree char *labels = NULL;
  g_autofree char *md = NULL;
  g_autoptr(GPtrArray) unfinished = NULL;
  g_autoptr(GError) error = NULL;
  gboolean listed = FALSE;
  JsonObject *report;

  rw_window_set_view (f->window, "evaluate");
  g_assert_true (rw_evaluate_page_set_suite_file (page, suite, &error));
  g_assert_no_error (error);
  rw_evaluate_page_set_models (page, models);
  rw_evaluate_page_set_options (page, 1, 2, 0, NULL);
  g_assert_true (rw_evaluate_page_prepare (page, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (rw_evaluate_page_get_estimate (page), >, 0);
  g_signal_connect (page, "progress", G_CALLBACK (cancel_after_40), GINT_TO_POINTER (1));
  rw_evaluate_page_start (page);
  g_assert_true (rw_evaluate_page_is_running (page));
  while (rw_evaluate_page_is_running (page))
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpstr (rw_evaluate_page_get_status (page), ==, "cancelled");
  g_assert_cmpuint (rw_evaluate_page_get_n_done (page), <, 400);
  /* The matrix fills from the store as answers come; it holds every item, 200 here (it
   * showed the first 100 when it was a grid of buttons). */
  while (find_any (GTK_WIDGET (page), GTK_TYPE_BUTTON, has_label, (gpointer) "✓") == NULL)
    g_main_context_iteration (NULL, TRUE);
  {
    GtkWidget *matrix = find_any (GTK_WIDGET (page), RW_TYPE_EVAL_MATRIX, NULL, NULL);
    guint cells = 0;

    g_assert_nonnull (matrix);
    g_assert_cmpuint (rw_eval_matrix_get_n_rows (RW_EVAL_MATRIX (matrix)), ==, 200);
    count_widgets (matrix, GTK_TYPE_BUTTON, &cells);
    g_assert_cmpuint (cells, >, 0);
    g_assert_cmpuint (cells, <=, 200 * 2);
  }
  wait_for_frame (GTK_WIDGET (f->window));
  save_screenshot (GTK_WIDGET (f->window), "window-evaluate-running.png");
  run_id = g_strdup (rw_evaluate_page_get_run_id (page));

  /* Unfinished, so offered again; its suite is found by name and checksum. */
  unfinished = rw_evaluate_page_list_resumable (page);
  for (guint i = 0; i < unfinished->len; i++)
    listed |= g_strcmp0 (((RwStoredRun *) unfinished->pdata[i])->id, run_id) == 0;
  g_assert_true (listed);
  {
    g_autofree char *found = rw_evaluate_page_find_suite (page, "gsm8k-sample.jsonl", NULL);
    g_assert_nonnull (found);
  }

  g_assert_true (rw_evaluate_page_prepare (page, run_id, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (rw_evaluate_page_get_run_id (page), ==, run_id);
  rw_evaluate_page_start (page);
  while (rw_evaluate_page_is_running (page))
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpstr (rw_evaluate_page_get_status (page), ==, "done");
  g_assert_cmpuint (rw_evaluate_page_get_n_done (page), ==, 400);
  g_assert_true (rw_store_flush (f->store, NULL));
  /* What the router did counts the evaluation's answers. */
  {
    RwUsagePeriod all = { 0 };
    g_autoptr(JsonNode) stats = rw_usage_stats_compute (f->store, &all, f->catalog, NULL, NULL,
                                                        &error);
    g_assert_no_error (error);
    g_assert_cmpint (json_object_get_int_member (json_node_get_object (stats), "attempts"), ==,
                     400);
  }

  /* The same rows as the command line's. */
  g_mkdir_with_parents (cli_dir, 0700);
  {
    g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                                                        G_SUBPROCESS_FLAGS_STDERR_SILENCE);
    g_autoptr(GSubprocess) proc = NULL;
    g_autofree char *providers = g_build_filename (f->config_dir, "providers.json", NULL);

    g_mkdir_with_parents (f->config_dir, 0700);
    g_assert_true (g_file_set_contents (providers, "{\"providers\": [{\"id\": \"recorded\", "
                                        "\"kind\": \"recorded\", \"speed\": 0}]}", -1, NULL));
    g_subprocess_launcher_setenv (launcher, "ROUTEWISE_DATA_DIR", cli_dir, TRUE);
    g_subprocess_launcher_setenv (launcher, "ROUTEWISE_CONFIG_DIR", f->config_dir, TRUE);
    proc = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("ROUTEWISE_CLI"), "eval",
                                        "run", suite, "-m", models[0], "-m", models[1], "-j", "2",
                                        NULL);
    g_assert_no_error (error);
    g_assert_true (g_subprocess_wait_check (proc, NULL, &error));
    g_assert_no_error (error);
  }
  mine = stored_eval_rows (rw_store_get_path (f->store));
  theirs = stored_eval_rows (cli_db);
  g_assert_cmpuint (strlen (mine), >, 1000);
  g_assert_true (g_str_equal (mine, theirs));

  /* The report, as `eval report` builds it. */
  report = json_node_get_object (rw_eval_report_page_get_report (rw_evaluate_page_get_report_page (page)));
  g_assert_cmpstr (json_object_get_string_member (report, "run_id"), ==, run_id);
  md = rw_eval_report_page_dup_text (rw_evaluate_page_get_report_page (page), "md");
  g_assert_nonnull (strstr (md, "recorded/mixtral-8x7b-instruct-v0.1"));
  wait_for_frame (GTK_WIDGET (f->window));
  labels = labels_of (GTK_WIDGET (page));
  g_assert_nonnull (strstr (labels, "93.0% (88.6–95.8)"));
  g_assert_nonnull (strstr (labels, "186/200"));
  save_screenshot (GTK_WIDGET (f->window), "window-evaluate-report.png");
}

/* A prompt of one's own gets the task the active policy's rules or classifier give it, as
 * routewise/auto would route it; without an active policy, "general". Each task is listed
 * once. */
static void
test_task_from_policy (Fixture       *f,
                       gconstpointer  data)
{
  GtkDropDown *tasks = GTK_DROP_DOWN (find_widget (GTK_WIDGET (f->page), GTK_TYPE_DROP_DOWN));
  GListModel *items = gtk_drop_down_get_model (tasks);
  RwPoliciesPage *policies = rw_window_get_policies_page (f->window);

  rw_compare_page_set_prompt (f->page, "Write a python script that renames files.");
  g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (items), 0), ==, "Auto: general");

  g_free (rw_store_save_policy (f->store, "rules",
                                "{\"version\": 1, \"default\": [\"recorded/gpt-4\"], "
                                "\"rules\": [{\"task\": \"code\", \"keywords\": [\"python\"]}]}",
                                TRUE));
  g_assert_true (rw_store_flush (f->store, NULL));
  /* As the Policies view tells the window when the active policy changes. */
  g_signal_emit_by_name (policies, "active-policy-changed");
  /* Read on a thread, not while the window waits; Compare and the endpoint get it together. */
  g_assert_true (rw_window_is_reading_policy (f->window));
  g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (items), 0), ==, "Auto: general");
  wait_policy_read (f->window);
  g_assert_cmpstr (rw_endpoint_page_get_policy_name (rw_window_get_endpoint_page (f->window)),
                   ==, "rules");
  g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (items), 0), ==, "Auto: code");
  rw_compare_page_set_prompt (f->page, "Tell me a joke.");
  g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (items), 0), ==, "Auto: general");

  /* Two changes in a row: whichever read comes back first, the window ends on the latest. */
  for (guint round = 0; round < 5; round++)
    {
      g_free (rw_store_save_policy (f->store, "jokes",
                                    "{\"version\": 1, \"default\": [\"recorded/gpt-4\"], "
                                    "\"rules\": [{\"task\": \"humour\", \"keywords\": [\"joke\"]}]}",
                                    TRUE));
      g_assert_true (rw_store_flush (f->store, NULL));
      g_signal_emit_by_name (policies, "active-policy-changed");
      g_free (rw_store_save_policy (f->store, "none", "{\"version\": 1, \"default\": []}", TRUE));
      g_assert_true (rw_store_flush (f->store, NULL));
      g_signal_emit_by_name (policies, "active-policy-changed");
      wait_policy_read (f->window);
      g_assert_cmpstr (rw_endpoint_page_get_policy_name (rw_window_get_endpoint_page (f->window)),
                       ==, "none");
      g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (items), 0), ==,
                       "Auto: general");
    }

  for (guint i = 1; i + 1 < g_list_model_get_n_items (items); i++)
    g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (items), i), <,
                     gtk_string_list_get_string (GTK_STRING_LIST (items), i + 1));
}

/* A policy made active by another process (routewise-cli policy activate: here, through the
 * database without a word to the window) is followed: the window reads it within seconds, and
 * the endpoint routes by it; so is a policy no longer active. */
static void
test_follows_active_policy (Fixture       *f,
                            gconstpointer  data)
{
  RwEndpointPage *endpoint = rw_window_get_endpoint_page (f->window);
  g_autofree char *id = NULL;

  wait_policy_read (f->window);
  g_assert_null (rw_endpoint_page_get_policy_name (endpoint));
  id = rw_store_save_policy (f->store, "elsewhere",
                             "{\"version\": 1, \"default\": [\"recorded/gpt-4\"]}", TRUE);
  g_assert_true (rw_store_flush (f->store, NULL));
  while (g_strcmp0 (rw_endpoint_page_get_policy_name (endpoint), "elsewhere") != 0)
    g_main_context_iteration (NULL, TRUE);

  rw_store_activate_policy (f->store, NULL);
  g_assert_true (rw_store_flush (f->store, NULL));
  while (rw_endpoint_page_get_policy_name (endpoint) != NULL)
    g_main_context_iteration (NULL, TRUE);
}

/* A stand-in for the desktop's notification server (GLib's org.gtk.Notifications): what the
 * application asked it to show. */
typedef struct
{
  guint n;
  char *id;
  char *title;
  char *body;
  char *action;             /* its default action, and the action's target */
  GVariant *target;
  gboolean owned;
} Notified;

static void
notified_method_call (GDBusConnection       *connection,
                      const char            *sender,
                      const char            *path,
                      const char            *interface,
                      const char            *method,
                      GVariant              *params,
                      GDBusMethodInvocation *invocation,
                      gpointer               data)
{
  Notified *n = data;

  if (g_str_equal (method, "AddNotification"))
    {
      const char *app_id, *id;
      g_autoptr(GVariant) dict = NULL;

      g_variant_get (params, "(&s&s@a{sv})", &app_id, &id, &dict);
      g_clear_pointer (&n->id, g_free);
      g_clear_pointer (&n->title, g_free);
      g_clear_pointer (&n->body, g_free);
      g_clear_pointer (&n->action, g_free);
      g_clear_pointer (&n->target, g_variant_unref);
      n->id = g_strdup (id);
      g_variant_lookup (dict, "title", "s", &n->title);
      g_variant_lookup (dict, "body", "s", &n->body);
      g_variant_lookup (dict, "default-action", "s", &n->action);
      n->target = g_variant_lookup_value (dict, "default-action-target", NULL);
      n->n++;
    }
  g_dbus_method_invocation_return_value (invocation, NULL);
}

/* Gives @window the keyboard focus and waits until GTK says it is active. Under Xvfb without a
 * window manager, presenting a window asks for the focus with the time of the last event, which
 * the X server may refuse as stale; the test asks with CurrentTime, which it always honours. */
static void
focus_window (GtkWindow *window)
{
  gtk_window_present (window);
#if defined (GDK_WINDOWING_X11) && defined (HAVE_X11)
  {
    GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (window));
    if (GDK_IS_X11_SURFACE (surface))
      {
        Display *xdisplay = gdk_x11_display_get_xdisplay (gdk_surface_get_display (surface));
        XSetInputFocus (xdisplay, gdk_x11_surface_get_xid (surface), RevertToParent, CurrentTime);
        XFlush (xdisplay);
      }
  }
#endif
  while (!gtk_window_is_active (window))
    g_main_context_iteration (NULL, TRUE);
}

static void
notified_name_acquired (GDBusConnection *connection,
                        const char      *name,
                        gpointer         data)
{
  ((Notified *) data)->owned = TRUE;
}

/* A long job that ends while the window is not in front says so in a desktop notification
 * (its id is the job's view); in front, or cancelled, it does not. The notification's action,
 * as the desktop activates it on the application, brings the window to the job's view. */
static void
test_notification (Fixture       *f,
                   gconstpointer  data)
{
  static const char xml[] =
    "<node><interface name='org.gtk.Notifications'>"
    "<method name='AddNotification'><arg type='s' direction='in'/><arg type='s' direction='in'/>"
    "<arg type='a{sv}' direction='in'/></method>"
    "<method name='RemoveNotification'><arg type='s' direction='in'/>"
    "<arg type='s' direction='in'/></method></interface></node>";
  static const GDBusInterfaceVTable vtable = { notified_method_call, NULL, NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_autoptr(GDBusNodeInfo) node = g_dbus_node_info_new_for_xml (xml, &error);
  g_autoptr(RwApplication) app = NULL;
  g_autofree char *app_data = g_build_filename (f->dir, "app-data", NULL);
  g_autofree char *saved_data = NULL;
  GtkWidget *other = gtk_window_new ();
  Notified n = { 0 };
  guint object, name;

  g_assert_no_error (error);
  object = g_dbus_connection_register_object (bus, "/org/gtk/Notifications",
                                              node->interfaces[0], &vtable, &n, NULL, &error);
  g_assert_no_error (error);
  name = g_bus_own_name_on_connection (bus, "org.gtk.Notifications", G_BUS_NAME_OWNER_FLAGS_NONE,
                                       notified_name_acquired, NULL, &n, NULL);
  while (!n.owned)
    g_main_context_iteration (NULL, TRUE);

  /* The application itself, with a database of its own. */
  saved_data = g_strdup (g_getenv ("ROUTEWISE_DATA_DIR"));
  g_setenv ("ROUTEWISE_DATA_DIR", app_data, TRUE);
  app = rw_application_new ();
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  gtk_window_set_application (GTK_WINDOW (f->window), GTK_APPLICATION (app));

  /* Another window in front. */
  focus_window (GTK_WINDOW (other));
  while (gtk_window_is_active (GTK_WINDOW (f->window)))
    g_main_context_iteration (NULL, TRUE);

  g_signal_emit_by_name (rw_window_get_evaluate_page (f->window), "finished", "cancelled");
  g_signal_emit_by_name (rw_window_get_evaluate_page (f->window), "finished", "done");
  while (n.n < 1)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (n.n, ==, 1);
  g_assert_cmpstr (n.id, ==, "evaluate");
  g_assert_cmpstr (n.title, ==, "Evaluation Finished");
  g_assert_cmpstr (n.body, ==, "Every answer is in; the report is ready.");

  /* In front, the window says nothing; the next notification is the policy's, sent after the
   * window went back behind the other. */
  focus_window (GTK_WINDOW (f->window));
  g_signal_emit_by_name (rw_window_get_evaluate_page (f->window), "finished", "done");
  focus_window (GTK_WINDOW (other));
  while (gtk_window_is_active (GTK_WINDOW (f->window)))
    g_main_context_iteration (NULL, TRUE);
  g_signal_emit_by_name (rw_window_get_policies_page (f->window), "evaluated");
  while (n.n < 2)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (n.n, ==, 2);
  g_assert_cmpstr (n.id, ==, "policies");
  g_assert_cmpstr (n.title, ==, "Policy Evaluated");

  /* Clicked: the application's show-view, with the job's view, in front. */
  g_assert_cmpstr (n.action, ==, "app.show-view");
  g_assert_nonnull (n.target);
  g_assert_cmpstr (g_variant_get_string (n.target, NULL), ==, "policies");
  rw_window_set_view (f->window, "compare");
  g_action_group_activate_action (G_ACTION_GROUP (app), "show-view", n.target);
  g_assert_cmpstr (rw_window_get_view (f->window), ==, "policies");
  g_assert_true (gtk_application_get_active_window (GTK_APPLICATION (app)) == GTK_WINDOW (f->window));

  gtk_window_destroy (GTK_WINDOW (other));
  gtk_window_set_application (GTK_WINDOW (f->window), NULL);
  g_bus_unown_name (name);
  g_dbus_connection_unregister_object (bus, object);
  g_free (n.id);
  g_free (n.title);
  g_free (n.body);
  g_free (n.action);
  g_clear_pointer (&n.target, g_variant_unref);
  if (saved_data != NULL)
    g_setenv ("ROUTEWISE_DATA_DIR", saved_data, TRUE);
  else
    g_unsetenv ("ROUTEWISE_DATA_DIR");
}

/* D19: About links the website and the issue tracker. */
static void
test_about (void)
{
  GtkWidget *about = rw_application_create_about (NULL);

  g_object_ref_sink (about);
  g_assert_cmpstr (adw_about_window_get_website (ADW_ABOUT_WINDOW (about)), ==,
                   "https://github.com/routewise/routewise");
  g_assert_cmpstr (adw_about_window_get_issue_url (ADW_ABOUT_WINDOW (about)), ==,
                   "https://github.com/routewise/routewise/issues");
  gtk_window_destroy (GTK_WINDOW (about));
  g_object_unref (about);
}

/* D2: every shortcut the shortcuts window lists names its keys. */
static void
test_shortcuts_window (void)
{
  g_autoptr(GtkBuilder) builder =
    gtk_builder_new_from_resource ("/io/github/routewise/Routewise/gtk/help-overlay.ui");
  GSList *objects = gtk_builder_get_objects (builder);
  guint n = 0;

  for (GSList *l = objects; l != NULL; l = l->next)
    if (GTK_IS_SHORTCUTS_SHORTCUT (l->data))
      {
        g_autofree char *accelerator = NULL;
        g_autofree char *action = NULL;

        g_object_get (l->data, "accelerator", &accelerator, "action-name", &action, NULL);
        /* An action's keys come from the application, which has them for app.quit and
         * win.show-help-overlay only; the others are written out. */
        g_assert_true ((accelerator != NULL && *accelerator != '\0')
                       || g_strcmp0 (action, "app.quit") == 0
                       || g_strcmp0 (action, "win.show-help-overlay") == 0);
        n++;
      }
  g_assert_cmpuint (n, >=, 8);
  g_slist_free (objects);
}

/* D17: without a database, the empty page does not promise to keep the answers. */
static void
test_no_store (Fixture       *f,
               gconstpointer  data)
{
  RwWindow *window = rw_window_new (NULL, f->catalog, NULL);
  g_autofree char *labels = NULL;
  const char *ids[] = { "box/a", NULL };

  /* A real provider, so that the page is the usual empty one, not the first run's. */
  add_openai_provider (f, "box", "http://127.0.0.1:9/v1", (const char *[]) { "a", NULL }, FALSE);
  rw_compare_page_set_selected_models (rw_window_get_compare_page (window), ids);
  gtk_window_present (GTK_WINDOW (window));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  wait_for_frame (GTK_WIDGET (window));
  labels = labels_of (GTK_WIDGET (window));
  g_assert_nonnull (strstr (labels, "answers are not kept"));
  g_assert_null (strstr (labels, "is kept on this computer"));
  gtk_window_destroy (GTK_WINDOW (window));
}

static const char markdown_doc[] =
  "# Plan\n"
  "\n"
  "Some *emphasis*, **strength**, `code` and a [link](https://example.org).\n"
  "\n"
  "| Model | Score |\n"
  "|-------|------:|\n"
  "| gpt-4 | 9 |\n"
  "| llama | 7 |\n"
  "\n"
  "```python\n"
  "def f(x):\n"
  "\n"
  "    return x * 2\n"
  "```\n"
  "\n"
  "1. first\n"
  "2. second\n"
  "   - nested\n"
  "\n"
  "> quoted\n";

/* Whether the first @text in the buffer carries the tag (offsets count the code blocks' copy
 * buttons, which the shown text leaves out). */
static gboolean
has_tag_at (GtkTextBuffer *buffer,
            const char    *unused,
            const char    *text,
            const char    *tag_name)
{
  GtkTextIter start, end, iter;
  g_autofree char *shown = NULL;
  const char *at;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  shown = gtk_text_buffer_get_slice (buffer, &start, &end, TRUE);
  at = strstr (shown, text);
  GtkTextTag *tag = gtk_text_tag_table_lookup (gtk_text_buffer_get_tag_table (buffer), tag_name);

  g_assert_nonnull (at);
  gtk_text_buffer_get_iter_at_offset (buffer, &iter, g_utf8_pointer_to_offset (shown, at));
  return gtk_text_iter_has_tag (&iter, tag);
}

/* Markdown: headings, emphasis, links, tables, code blocks and lists render, with their marks
 * taken away and their styles on the text. */
static void
test_markdown_render (void)
{
  RwMarkdownView *view = g_object_ref_sink (RW_MARKDOWN_VIEW (rw_markdown_view_new ()));
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (view));
  g_autofree char *shown = NULL;

  rw_markdown_view_set_markdown (view, markdown_doc);
  shown = rw_markdown_view_dup_shown (view);
  g_assert_cmpstr (rw_markdown_view_get_markdown (view), ==, markdown_doc);
  g_assert_true (g_str_has_prefix (shown, "Plan\n\nSome emphasis, strength, code and a link."));
  g_assert_null (strstr (shown, "#"));
  g_assert_null (strstr (shown, "**"));
  g_assert_null (strstr (shown, "```"));
  g_assert_nonnull (strstr (shown, "Model │ Score\n──────┼──────\ngpt-4 │ 9    \nllama │ 7    \n"));
  g_assert_nonnull (strstr (shown, "def f(x):\n\n    return x * 2"));
  g_assert_nonnull (strstr (shown, "1. first\n2. second\n◦ nested"));
  g_assert_nonnull (strstr (shown, "quoted"));
  g_assert_true (has_tag_at (buffer, shown, "Plan", "h1"));
  g_assert_true (has_tag_at (buffer, shown, "emphasis", "em"));
  g_assert_true (has_tag_at (buffer, shown, "strength", "strong"));
  g_assert_true (has_tag_at (buffer, shown, "link", "link"));
  g_assert_true (has_tag_at (buffer, shown, "Model", "table"));
  g_assert_true (has_tag_at (buffer, shown, "return x", "code-block"));
  g_assert_true (has_tag_at (buffer, shown, "quoted", "quote"));
  g_assert_false (has_tag_at (buffer, shown, "second", "code-block"));
  g_object_unref (view);
}

/* Rendered as it streams, piece by piece with a frame after each, an answer ends up exactly as
 * it renders whole: on the document above and on every recorded answer to the samples. */
static void
test_markdown_incremental (void)
{
  g_autoptr(RwProvider) recorded = rw_recorded_provider_new ("ref");
  GListModel *samples = rw_prompt_library_get_prompts (rw_prompt_library_get_default ());
  const char *models[] = { "gpt-4", "claude-v1", "llama-2-70b-chat", "gpt-3.5-turbo" };
  g_autoptr(GPtrArray) docs = g_ptr_array_new_with_free_func (g_free);
  GRand *rand = g_rand_new_with_seed (7);
  guint compared = 0;

  g_ptr_array_add (docs, g_strdup (markdown_doc));
  for (guint i = 0; i < g_list_model_get_n_items (samples); i++)
    {
      g_autoptr(RwSamplePrompt) p = g_list_model_get_item (samples, i);
      for (guint m = 0; m < G_N_ELEMENTS (models); m++)
        {
          char *answer = rw_recorded_provider_lookup (RW_RECORDED_PROVIDER (recorded), models[m],
                                                      rw_sample_prompt_get_text (p), NULL);
          if (answer != NULL)
            g_ptr_array_add (docs, answer);
        }
    }
  g_assert_cmpuint (docs->len, >, 20);

  for (guint d = 0; d < docs->len; d++)
    {
      const char *doc = docs->pdata[d];
      RwMarkdownView *whole = g_object_ref_sink (RW_MARKDOWN_VIEW (rw_markdown_view_new ()));
      RwMarkdownView *streamed = g_object_ref_sink (RW_MARKDOWN_VIEW (rw_markdown_view_new ()));
      g_autofree char *expected = NULL;
      g_autofree char *got = NULL;
      gsize len = strlen (doc);

      rw_markdown_view_set_markdown (whole, doc);
      expected = rw_markdown_view_dup_shown (whole);
      for (gsize at = 0; at < len;)
        {
          gsize n = MIN (len - at, (gsize) g_rand_int_range (rand, 1, 12));
          g_autofree char *piece = NULL;

          /* Pieces end on a character's boundary, as a stream's deltas do. */
          while (at + n < len && (doc[at + n] & 0xC0) == 0x80)
            n++;
          piece = g_strndup (doc + at, n);
          rw_markdown_view_append (streamed, piece);
          rw_markdown_view_flush (streamed);
          at += n;
        }
      got = rw_markdown_view_dup_shown (streamed);
      g_assert_cmpstr (got, ==, expected);
      /* Once whole, it is rendered for good, and still alike. */
      g_free (got);
      rw_markdown_view_finish (streamed);
      rw_markdown_view_flush (streamed);
      got = rw_markdown_view_dup_shown (streamed);
      g_assert_cmpstr (got, ==, expected);
      compared++;
      g_object_unref (whole);
      g_object_unref (streamed);
    }
  g_test_message ("%u answers rendered streamed and whole alike", compared);
  g_rand_free (rand);
}

/* An answer in Markdown streams into a column from a provider: rendered once a frame at most,
 * not once a piece, with its heading, table and code block, and a button that copies the
 * code. */
static void
test_markdown_column (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(RwMockUpstream) upstream = rw_mock_upstream_new ();
  g_autofree char *base = rw_mock_upstream_dup_base_url (upstream);
  g_autoptr(GPtrArray) pieces = g_ptr_array_new_with_free_func (g_free);
  const char *ids[] = { "md/writer", NULL };
  RwAnswerColumn *column;
  RwMarkdownView *view;
  g_autofree char *shown = NULL;
  RwMockReply *reply;

  add_openai_provider (f, "md", base, (const char *[]) { "writer", NULL }, TRUE);
  for (const char *p = markdown_doc; *p != '\0'; p += MIN (strlen (p), 3))
    g_ptr_array_add (pieces, g_strndup (p, 3));
  g_ptr_array_add (pieces, NULL);
  reply = rw_mock_reply_new_stream ((const char * const *) pieces->pdata, 20, 120, TRUE);
  reply->chunk_delay_ms = 1;
  rw_mock_upstream_push (upstream, "writer", reply);

  compare (f, ids, "Write a plan in Markdown.");
  column = rw_compare_page_get_column (f->page, 0);
  view = rw_answer_column_get_markdown_view (column);
  g_assert_cmpstr (rw_markdown_view_get_markdown (view), ==, markdown_doc);
  shown = rw_answer_column_dup_shown_text (column);
  g_assert_nonnull (strstr (shown, "Model │ Score"));
  g_assert_cmpuint (rw_markdown_view_get_n_renders (view), <, pieces->len - 1);
  wait_for_frame (GTK_WIDGET (f->window));
  {
    GtkWidget *copy = NULL;

    for (GtkWidget *child = gtk_widget_get_first_child (GTK_WIDGET (view)); child != NULL;
         child = gtk_widget_get_next_sibling (child))
      if (GTK_IS_BUTTON (child))
        copy = child;
    g_assert_nonnull (copy);
    g_assert_true (gtk_widget_activate_action (copy, "column.copy-markdown", NULL));
  }
  save_screenshot (GTK_WIDGET (f->window), "window-markdown.png");
}

int
main (int    argc,
      char **argv)
{
  static const double instant = 0, fast = 20, real_time = 1;

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  /* The translations built with the tests, as the app binds its installed ones. */
  bindtextdomain (GETTEXT_PACKAGE, g_getenv ("RW_TEST_LOCALEDIR") ? g_getenv ("RW_TEST_LOCALEDIR")
                                                                    : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  /* The app's own style and icons, as the application loads them. */
  {
    g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();

    gtk_css_provider_load_from_resource (css, "/io/github/routewise/Routewise/style.css");
    gtk_style_context_add_provider_for_display (gdk_display_get_default (),
                                                GTK_STYLE_PROVIDER (css),
                                                GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
  }
  gtk_icon_theme_add_resource_path (gtk_icon_theme_get_for_display (gdk_display_get_default ()),
                                    "/io/github/routewise/Routewise/icons");
  /* Screenshots show where a change ends, not a frame of its animation. */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);

#define ADD(path, data, func) \
  g_test_add ("/Rw/Window/" path, Fixture, data, fixture_setup, func, fixture_teardown)
  ADD ("error-toast", NULL, test_error_toast);
  ADD ("column-title", NULL, test_column_title);
  ADD ("three-models", &fast, test_three_models);
  ADD ("pairwise-vote", &instant, test_pairwise_vote);
  ADD ("responsive-and-stop", &real_time, test_responsive_and_stop);
  ADD ("history", &instant, test_history);
  ADD ("markdown-column", &instant, test_markdown_column);
  ADD ("blind", &instant, test_blind);
  ADD ("first-run", &instant, test_first_run);
  ADD ("selection-and-samples", &instant, test_selection_and_samples);
  ADD ("quit-while-streaming", &instant, test_quit_while_streaming);
  ADD ("window-size", &instant, test_window_size);
  ADD ("narrow", &instant, test_narrow);
  ADD ("translated", &instant, test_translated);
  ADD ("follow-stream", &instant, test_follow_stream);
  ADD ("history-filters", &instant, test_history_filters);
  ADD ("ctrl-enter", &instant, test_ctrl_enter);
  ADD ("no-store", &instant, test_no_store);
  ADD ("ratings", &instant, test_ratings);
  ADD ("endpoint", &instant, test_endpoint);
  ADD ("policies", &instant, test_policies);
  ADD ("stats", &instant, test_stats);
  ADD ("evaluate", &instant, test_evaluate);
  ADD ("evaluate-grading-models", &instant, test_evaluate_grading_models);
  g_test_add_func ("/Rw/Window/shortcuts-window", test_shortcuts_window);
  g_test_add_func ("/Rw/Window/about", test_about);
  ADD ("random-pair", &instant, test_random_pair);
  ADD ("task-and-options", &instant, test_task_and_options);
  ADD ("task-from-policy", &instant, test_task_from_policy);
  ADD ("follows-active-policy", &instant, test_follows_active_policy);
  ADD ("notification", &instant, test_notification);
  g_test_add_func ("/Rw/Markdown/render", test_markdown_render);
  g_test_add_func ("/Rw/Markdown/incremental", test_markdown_incremental);
  g_test_add ("/Rw/Preferences/providers", Fixture, &instant, fixture_setup, test_preferences,
              fixture_teardown);
  g_test_add ("/Rw/Preferences/keyring", Fixture, &instant, fixture_setup,
              test_preferences_keyring, fixture_teardown);
#undef ADD

  return g_test_run ();
}
