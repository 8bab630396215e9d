/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <routewise-engine.h>

#include "rw-mock-upstream.h"
#include "rw-test-util.h"

typedef struct
{
  GPtrArray *order;       /* indexes in the order models finished */
  GString *texts[3];
  GPtrArray *results;
  gboolean done;
  GCancellable *cancel_when_two_done;
} Watch;

static void
on_delta (RwFanout   *fanout,
          guint       index,
          const char *text,
          Watch      *w)
{
  g_string_append (w->texts[index], text);
}

static void
on_finished (RwFanout     *fanout,
             guint         index,
             RwChatResult *result,
             Watch        *w)
{
  g_ptr_array_add (w->order, GUINT_TO_POINTER (index));
  if (w->order->len == 2 && w->cancel_when_two_done != NULL)
    g_cancellable_cancel (w->cancel_when_two_done);
}

static void
done_cb (GObject      *object,
         GAsyncResult *res,
         gpointer      user_data)
{
  Watch *w = user_data;
  w->results = rw_fanout_run_finish (RW_FANOUT (object), res, NULL);
  w->done = TRUE;
}

static RwCatalog *
make_catalog (RwMockUpstream *mock)
{
  g_autofree char *url = rw_mock_upstream_dup_base_url (mock);
  g_autofree char *json = g_strdup_printf (
    "{\"providers\":[{\"id\":\"mock\",\"kind\":\"openai\",\"base_url\":\"%s\"}],"
    " \"models\":[{\"id\":\"mock/hang\",\"provider\":\"mock\",\"name\":\"hang\"},"
    "             {\"id\":\"mock/fail\",\"provider\":\"mock\",\"name\":\"fail\"},"
    "             {\"id\":\"mock/good\",\"provider\":\"mock\",\"name\":\"good\","
    "              \"input_price\":1,\"output_price\":1}]}", url);
  g_autoptr(GError) error = NULL;
  RwCatalog *catalog = rw_catalog_new ();

  rw_catalog_load_data (catalog, "test", json, -1, &error);
  g_assert_no_error (error);
  return catalog;
}

static GPtrArray *
models_of (RwCatalog *catalog)
{
  GPtrArray *models = g_ptr_array_new_with_free_func (g_object_unref);
  const char *ids[] = { "mock/hang", "mock/fail", "mock/good" };

  for (guint i = 0; i < G_N_ELEMENTS (ids); i++)
    g_ptr_array_add (models, g_object_ref (rw_catalog_lookup_model (catalog, ids[i])));
  return models;
}

static void
script (RwMockUpstream *mock)
{
  static const char * const pieces[] = { "fine ", "answer", NULL };
  RwMockReply *hang = rw_mock_reply_new_stream (pieces, 3, 2, TRUE);
  RwMockReply *good = rw_mock_reply_new_stream (pieces, 3, 2, TRUE);

  hang->hang = TRUE;
  good->chunk_size = 16;
  good->chunk_delay_ms = 5;
  rw_mock_upstream_push (mock, "hang", hang);
  rw_mock_upstream_push (mock, "fail", rw_mock_reply_new_json (500, "{\"error\":{\"message\":\"boom\"}}"));
  rw_mock_upstream_push (mock, "good", good);
}

static void
watch_init (Watch *w)
{
  memset (w, 0, sizeof *w);
  w->order = g_ptr_array_new ();
  for (guint i = 0; i < 3; i++)
    w->texts[i] = g_string_new (NULL);
}

static void
watch_clear (Watch *w)
{
  g_ptr_array_unref (w->order);
  for (guint i = 0; i < 3; i++)
    g_string_free (w->texts[i], TRUE);
  g_clear_pointer (&w->results, g_ptr_array_unref);
}

/* One model hangs, one fails; the good one finishes first and in full, then cancelling stops
 * the one that hangs. */
static void
test_hang_and_fail (void)
{
  RwMockUpstream *mock = rw_mock_upstream_new ();
  g_autoptr(RwCatalog) catalog = make_catalog (mock);
  g_autoptr(GPtrArray) models = models_of (catalog);
  g_autoptr(RwFanout) fanout = rw_fanout_new (catalog);
  g_autoptr(RwChatRequest) request = rw_chat_request_new_for_prompt ("hi");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  RwChatResult *hang, *fail, *good;
  Watch w;

  watch_init (&w);
  w.cancel_when_two_done = cancellable;
  script (mock);
  g_signal_connect (fanout, "delta", G_CALLBACK (on_delta), &w);
  g_signal_connect (fanout, "model-finished", G_CALLBACK (on_finished), &w);

  rw_fanout_run_async (fanout, request, models, cancellable, done_cb, &w);
  rw_test_wait_until (&w.done);

  g_assert_cmpuint (w.order->len, ==, 3);
  /* The hanging model finished last, and only because it was cancelled. */
  g_assert_cmpuint (GPOINTER_TO_UINT (w.order->pdata[2]), ==, 0);
  hang = w.results->pdata[0];
  fail = w.results->pdata[1];
  good = w.results->pdata[2];
  g_assert_error (hang->error, RW_ERROR, RW_ERROR_CANCELLED);
  g_assert_error (fail->error, RW_ERROR, RW_ERROR_SERVER);
  g_assert_no_error (good->error);
  g_assert_cmpstr (good->text->str, ==, "fine answer");
  g_assert_cmpstr (w.texts[2]->str, ==, "fine answer");
  g_assert_cmpstr (good->model_id, ==, "mock/good");
  g_assert_cmpfloat_with_epsilon (good->cost_usd, 5e-6, 1e-12);

  watch_clear (&w);
  rw_mock_upstream_free (mock);
}

/* Without cancelling, the first-token limit ends the hanging model; the others are not held. */
static void
test_hang_times_out (void)
{
  RwMockUpstream *mock = rw_mock_upstream_new ();
  g_autoptr(RwCatalog) catalog = make_catalog (mock);
  g_autoptr(GPtrArray) models = models_of (catalog);
  g_autoptr(RwFanout) fanout = rw_fanout_new (catalog);
  g_autoptr(RwChatRequest) request = rw_chat_request_new_for_prompt ("hi");
  RwChatResult *hang, *good;
  Watch w;

  watch_init (&w);
  script (mock);
  request->connect_timeout_ms = 400;
  g_signal_connect (fanout, "model-finished", G_CALLBACK (on_finished), &w);
  rw_fanout_run_async (fanout, request, models, NULL, done_cb, &w);
  rw_test_wait_until (&w.done);

  hang = w.results->pdata[0];
  good = w.results->pdata[2];
  g_assert_error (hang->error, RW_ERROR, RW_ERROR_TIMEOUT);
  g_assert_no_error (good->error);
  g_assert_cmpuint (GPOINTER_TO_UINT (w.order->pdata[2]), ==, 0);
  /* The good answer did not wait for the timeout. */
  g_assert_cmpfloat (good->latency_ms, <, hang->latency_ms);

  watch_clear (&w);
  rw_mock_upstream_free (mock);
}

typedef struct
{
  Watch *watch;
  gboolean recorded;
  char *run_id;
  char *prompt_id;
  GStrv response_ids;
} Recorded;

static void
recorded_done_cb (GObject      *object,
                  GAsyncResult *res,
                  gpointer      user_data)
{
  Recorded *r = user_data;
  const char *run_id = NULL, *prompt_id = NULL;
  const char * const *response_ids = NULL;

  r->recorded = rw_fanout_get_recorded (RW_FANOUT (object), res, &run_id, &prompt_id,
                                        &response_ids);
  r->run_id = g_strdup (run_id);
  r->prompt_id = g_strdup (prompt_id);
  r->response_ids = g_strdupv ((GStrv) response_ids);
  done_cb (object, res, r->watch);
}

/* With a store, the fan-out records the comparison itself when its last model finishes: the
 * prompt, a "compare" run (cancelled here, as the window's Stop makes it), and every answer in
 * the order of the models, failures with their error kind. Without one it records nothing. */
static void
test_records_to_store (void)
{
  RwMockUpstream *mock = rw_mock_upstream_new ();
  g_autoptr(RwCatalog) catalog = make_catalog (mock);
  g_autoptr(GPtrArray) models = models_of (catalog);
  g_autoptr(RwFanout) fanout = rw_fanout_new (catalog);
  g_autoptr(RwChatRequest) request = rw_chat_request_new_for_prompt ("hi");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *dir = rw_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "routewise.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(RwStore) store = rw_store_open (path, &error);
  g_autofree char *sql = NULL;
  g_autofree char *run = NULL;
  g_autofree char *answers = NULL;
  g_autofree char *expected = NULL;
  Recorded r = { 0 };
  Watch w;

  g_assert_no_error (error);
  watch_init (&w);
  r.watch = &w;
  w.cancel_when_two_done = cancellable;
  script (mock);
  g_signal_connect (fanout, "model-finished", G_CALLBACK (on_finished), &w);
  rw_fanout_set_store (fanout, store, "test");
  rw_fanout_run_async (fanout, request, models, cancellable, recorded_done_cb, &r);
  rw_test_wait_until (&w.done);
  g_assert_true (rw_store_flush (store, NULL));

  g_assert_true (r.recorded);
  g_assert_nonnull (r.run_id);
  g_assert_cmpuint (g_strv_length (r.response_ids), ==, 3);
  sql = g_strdup_printf ("SELECT kind || ' ' || status || ' ' || (SELECT text FROM prompts "
                         "WHERE id = '%s') FROM runs WHERE id = '%s'", r.prompt_id, r.run_id);
  run = rw_test_db_text (path, sql);
  g_assert_cmpstr (run, ==, "compare cancelled hi");
  g_free (sql);
  sql = g_strdup_printf ("SELECT group_concat (model || ':' || status || ':' || "
                         "coalesce (error_kind, '-'), ',') FROM (SELECT * FROM responses "
                         "WHERE run_id = '%s' ORDER BY id = '%s' DESC, id = '%s' DESC)",
                         r.run_id, r.response_ids[0], r.response_ids[1]);
  answers = rw_test_db_text (path, sql);
  expected = g_strdup ("mock/hang:error:cancelled,mock/fail:error:server,mock/good:ok:-");
  g_assert_cmpstr (answers, ==, expected);
  g_free (r.run_id);
  g_free (r.prompt_id);
  g_strfreev (r.response_ids);
  watch_clear (&w);

  /* No store: nothing recorded, and no ids. */
  {
    g_autoptr(RwFanout) bare = rw_fanout_new (catalog);
    Recorded none = { 0 };

    watch_init (&w);
    none.watch = &w;
    script (mock);
    request->connect_timeout_ms = 200;
    rw_fanout_run_async (bare, request, models, NULL, recorded_done_cb, &none);
    rw_test_wait_until (&w.done);
    g_assert_false (none.recorded);
    g_assert_null (none.run_id);
    g_assert_null (none.response_ids);
    watch_clear (&w);
  }

  rw_store_close (store);
  rw_test_rmtree (dir);
  rw_mock_upstream_free (mock);
}

static void
test_unknown_provider (void)
{
  g_autoptr(RwCatalog) catalog = rw_catalog_new ();
  g_autoptr(RwFanout) fanout = rw_fanout_new (catalog);
  g_autoptr(RwChatRequest) request = rw_chat_request_new_for_prompt ("hi");
  g_autoptr(GPtrArray) models = g_ptr_array_new_with_free_func (g_object_unref);
  Watch w;

  watch_init (&w);
  g_ptr_array_add (models, rw_model_new ("nowhere/m", "nowhere", "m"));
  rw_fanout_run_async (fanout, request, models, NULL, done_cb, &w);
  rw_test_wait_until (&w.done);
  g_assert_error (((RwChatResult *) w.results->pdata[0])->error, RW_ERROR, RW_ERROR_CONFIG);
  watch_clear (&w);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/Rw/Fanout/hang-and-fail", test_hang_and_fail);
  g_test_add_func ("/Rw/Fanout/records-to-store", test_records_to_store);
  g_test_add_func ("/Rw/Fanout/hang-times-out", test_hang_times_out);
  g_test_add_func ("/Rw/Fanout/unknown-provider", test_unknown_provider);
  return g_test_run ();
}
