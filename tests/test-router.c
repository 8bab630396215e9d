/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include "config.h"

#include <string.h>
#include <routewise-engine.h>

#include "rw-mock-upstream.h"
#include "rw-test-fixtures.h"
#include "rw-test-util.h"

#define TEST_KEY "sk-routertest-00112233445566778899"

typedef struct
{
  RwTestWorld *world;
  RwMockUpstream *mock;       /* the world's */
  RwCatalog *catalog;
  RwStore *store;
  RwRouter *router;           /* the test's own: its teardown checks it is let go */
  RwChatRequest *request;
  GString *streamed;
  gint64 now_us;
  guint commits;
} Fixture;

static const char * const pieces[] = { "The ", "answer ", "is ", "four.", NULL };
static GString *log_capture;

static gint64
fake_clock (gpointer data)
{
  return ((Fixture *) data)->now_us;
}

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_setenv ("RW_ROUTER_KEY", TEST_KEY, TRUE);
  f->world = rw_test_world_new (
    "{\"providers\": [{\"id\": \"mock\", \"kind\": \"openai\", \"base_url\": \"$URL\","
    "                  \"api_key_env\": \"RW_ROUTER_KEY\"}],"
    " \"models\": [{\"id\": \"mock/a\", \"provider\": \"mock\", \"name\": \"a\", \"input_price\": 10,"
    "               \"output_price\": 30, \"context_length\": 4096},"
    "              {\"id\": \"mock/b\", \"provider\": \"mock\", \"name\": \"b\", \"input_price\": 1,"
    "               \"output_price\": 2, \"context_length\": 2048},"
    "              {\"id\": \"mock/c\", \"provider\": \"mock\", \"name\": \"c\", \"input_price\": 1,"
    "               \"output_price\": 2, \"context_length\": 128000}]}", TRUE);
  f->mock = f->world->mock;
  f->catalog = f->world->catalog;
  f->store = f->world->store;
  f->router = g_steal_pointer (&f->world->router);
  rw_router_set_retries (f->router, 2, 10, 50);
  rw_router_set_clock (f->router, fake_clock, f);
  f->now_us = 1000000;
  {
    const char *fallbacks[] = { "mock/b", "mock/c", NULL };
    rw_policy_set_default (rw_router_get_policy (f->router), fallbacks);
  }
  f->request = rw_chat_request_new_for_prompt ("What is 2+2?");
  f->request->first_token_timeout_ms = 5000;
  f->request->idle_timeout_ms = 5000;
  f->streamed = g_string_new (NULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  gpointer router = f->router;

  g_string_free (f->streamed, TRUE);
  rw_chat_request_unref (f->request);
  /* Every route has let go of the router once it finished: none is kept alive. */
  while (g_main_context_pending (NULL))
    g_main_context_iteration (NULL, FALSE);
  g_object_add_weak_pointer (router, &router);
  g_object_unref (f->router);
  g_assert_null (router);
  rw_test_world_free (f->world);
}

static void
on_delta (RwModel           *model,
          const RwChatDelta *delta,
          gpointer           data)
{
  Fixture *f = data;
  g_assert_cmpuint (f->commits, ==, 1);
  if (delta->text != NULL)
    g_string_append (f->streamed, delta->text);
}

static void
on_commit (RwModel    *model,
           const char *task,
           gpointer    data)
{
  ((Fixture *) data)->commits++;
}

static void
route_cb (GObject      *object,
          GAsyncResult *res,
          gpointer      data)
{
  RwRouteResult **out = data;
  *out = rw_router_route_finish (RW_ROUTER (object), res);
}

static RwRouteResult *
route (Fixture    *f,
       const char *model)
{
  RwRouteResult *out = NULL;

  f->commits = 0;
  g_string_truncate (f->streamed, 0);
  rw_router_route_async (f->router, f->request, model, on_delta, on_commit, f, NULL, route_cb, &out);
  while (out == NULL)
    g_main_context_iteration (NULL, TRUE);
  return out;
}

static gint64
stored (Fixture    *f,
        const char *where)
{
  g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM responses WHERE %s", where);
  g_assert_true (rw_store_flush (f->store, NULL));
  return rw_test_db_int (rw_store_get_path (f->store), sql);
}

static RwMockReply *
stream_reply (void)
{
  return rw_mock_reply_new_stream (pieces, 9, 4, TRUE);
}

/* The body offset where the event carrying PIECE starts: stopping there delivers the text
 * before it and nothing of it. */
static gssize
offset_of_event (RwMockReply *reply,
                 const char  *piece)
{
  gsize len;
  const char *body = g_bytes_get_data (reply->body, &len);
  g_autofree char *quoted = g_strdup_printf ("\"content\":\"%s\"", piece);
  const char *at = g_strstr_len (body, len, quoted);

  g_assert_nonnull (at);
  while (at > body && !g_str_has_prefix (at, "data:"))
    at--;
  return at - body;
}

static void
test_retry_after (Fixture       *f,
                  gconstpointer  data)
{
  RwMockReply *limited = rw_mock_reply_new_json (429, "{\"error\":{\"message\":\"slow down\"}}");
  g_autoptr(RwRouteResult) out = NULL;
  gint64 start;

  rw_mock_reply_add_header (limited, "Retry-After", "1");
  rw_mock_upstream_push (f->mock, "a", limited);
  rw_mock_upstream_push (f->mock, "a", stream_reply ());
  start = g_get_monotonic_time ();
  out = route (f, "mock/a");

  /* It waited as long as it was asked, then the same model answered. */
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 1000 * 1000);
  g_assert_no_error (out->result->error);
  g_assert_cmpstr (out->model_id, ==, "mock/a");
  g_assert_cmpstr (out->result->text->str, ==, "The answer is four.");
  g_assert_cmpstr (f->streamed->str, ==, "The answer is four.");
  g_assert_cmpuint (out->attempts->len, ==, 2);
  g_assert_cmpuint (rw_mock_upstream_count (f->mock, "a"), ==, 2);
  g_assert_cmpint (stored (f, "model = 'mock/a' AND attempt = 1 AND error_kind = 'rate_limited'"), ==, 1);
  g_assert_cmpint (stored (f, "model = 'mock/a' AND attempt = 2 AND status = 'ok'"), ==, 1);
}

static gboolean
cancel_soon (gpointer data)
{
  g_cancellable_cancel (data);
  return G_SOURCE_REMOVE;
}

/* A long Retry-After does not hold a cancelled request: it ends at once. */
static void
test_cancel_during_backoff (Fixture       *f,
                            gconstpointer  data)
{
  RwMockReply *limited = rw_mock_reply_new_json (429, "{\"error\":{\"message\":\"slow down\"}}");
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  RwRouteResult *out = NULL;
  gint64 start;

  rw_mock_reply_add_header (limited, "Retry-After", "20");
  rw_mock_upstream_push (f->mock, "a", limited);
  start = g_get_monotonic_time ();
  rw_router_route_async (f->router, f->request, "mock/a", NULL, NULL, NULL, cancellable, route_cb, &out);
  g_timeout_add (300, cancel_soon, cancellable);
  while (out == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (out->result->error, RW_ERROR, RW_ERROR_CANCELLED);
  g_assert_cmpuint (rw_mock_upstream_count (f->mock, "a"), ==, 1);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
  rw_route_result_unref (out);
}

static void
test_503_twice (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(RwRouteResult) out = NULL;

  rw_mock_upstream_push (f->mock, "a", rw_mock_reply_new_json (503, "{\"error\":{\"message\":\"busy\"}}"));
  rw_mock_upstream_push (f->mock, "a", rw_mock_reply_new_json (503, "{\"error\":{\"message\":\"busy\"}}"));
  rw_mock_upstream_push (f->mock, "a", stream_reply ());
  out = route (f, "mock/a");
  g_assert_no_error (out->result->error);
  g_assert_cmpstr (out->model_id, ==, "mock/a");
  g_assert_cmpuint (out->attempts->len, ==, 3);
  g_assert_cmpuint (rw_mock_upstream_count (f->mock, "b"), ==, 0);
}

static void
test_hang_falls_back (Fixture       *f,
                      gconstpointer  data)
{
  RwMockReply *hang = stream_reply ();
  g_autoptr(RwRouteResult) out = NULL;
  gint64 start;

  hang->stall_at = 0;
  rw_mock_upstream_push (f->mock, "a", hang);
  rw_mock_upstream_push (f->mock, "b", stream_reply ());
  f->request->first_token_timeout_ms = 300;
  start = g_get_monotonic_time ();
  out = route (f, "mock/a");

  g_assert_no_error (out->result->error);
  g_assert_cmpstr (out->model_id, ==, "mock/b");
  g_assert_cmpstr (f->streamed->str, ==, "The answer is four.");
  g_assert_error (((RwChatResult *) out->attempts->pdata[0])->error, RW_ERROR, RW_ERROR_TIMEOUT);
  /* One first-token limit, not one per retry. */
  g_assert_cmpuint (rw_mock_upstream_count (f->mock, "a"), ==, 1);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 3 * 300 * 1000);
}

static void
test_stall_mid_stream (Fixture       *f,
                       gconstpointer  data)
{
  RwMockReply *stall = stream_reply ();
  g_autoptr(RwRouteResult) out = NULL;

  stall->stall_at = offset_of_event (stall, "answer ");
  rw_mock_upstream_push (f->mock, "a", stall);
  rw_mock_upstream_push (f->mock, "b", stream_reply ());
  f->request->idle_timeout_ms = 300;
  out = route (f, "mock/a");

  /* Text had reached the caller: the failure is reported, not hidden by a fallback. */
  g_assert_true (out->committed);
  g_assert_error (out->result->error, RW_ERROR, RW_ERROR_TIMEOUT);
  g_assert_cmpstr (f->streamed->str, ==, "The ");
  g_assert_cmpuint (rw_mock_upstream_count (f->mock, "b"), ==, 0);
  g_assert_cmpint (stored (f, "model = 'mock/a' AND error_kind = 'timeout' AND length (text) > 0"), ==, 1);
}

static RwMockReply *
cut_reply (void)
{
  RwMockReply *r = rw_mock_reply_new (200, "text/event-stream",
                                      "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"The ans\"}}]}\n\n",
                                      -1);
  r->chunked = TRUE;
  return r;
}

static void
test_cut_stream (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(RwRouteResult) streamed = NULL;
  g_autoptr(RwRouteResult) whole = NULL;

  /* Streamed to the caller: an error, never a clean finish. */
  rw_mock_upstream_push (f->mock, "a", cut_reply ());
  streamed = route (f, "mock/a");
  g_assert_true (streamed->committed);
  g_assert_nonnull (streamed->result->error);
  g_assert_cmpstr (f->streamed->str, ==, "The ans");

  /* A whole answer asked for: the caller gets a complete one from the fallback. */
  rw_router_set_retries (f->router, 0, 10, 10);
  f->request->stream = FALSE;
  rw_mock_upstream_push (f->mock, "a", cut_reply ());
  rw_mock_upstream_push (f->mock, "b", stream_reply ());
  whole = route (f, "mock/a");
  g_assert_false (whole->committed);
  g_assert_no_error (whole->result->error);
  g_assert_cmpstr (whole->model_id, ==, "mock/b");
  g_assert_cmpstr (whole->result->text->str, ==, "The answer is four.");
  g_assert_cmpuint (f->streamed->len, ==, 0);
  g_assert_cmpuint (f->commits, ==, 0);
}

static void
test_circuit (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(RwRouteResult) r1 = NULL, r2 = NULL, r3 = NULL, r4 = NULL, r5 = NULL, r6 = NULL;

  rw_router_set_retries (f->router, 0, 10, 10);
  rw_router_set_circuit (f->router, 2, 60000, 1000);
  rw_mock_upstream_set_default (f->mock, "b", stream_reply ());

  rw_mock_upstream_push (f->mock, "a", rw_mock_reply_new_json (500, "{\"error\":{\"message\":\"x\"}}"));
  r1 = route (f, "mock/a");
  g_assert_cmpstr (r1->model_id, ==, "mock/b");
  g_assert_cmpint (rw_router_get_circuit_state (f->router, "mock/a"), ==, RW_CIRCUIT_CLOSED);

  rw_mock_upstream_push (f->mock, "a", rw_mock_reply_new_json (500, "{\"error\":{\"message\":\"x\"}}"));
  r2 = route (f, "mock/a");
  g_assert_cmpint (rw_router_get_circuit_state (f->router, "mock/a"), ==, RW_CIRCUIT_OPEN);

  /* Open: the model is not asked at all. */
  r3 = route (f, "mock/a");
  g_assert_cmpstr (r3->model_id, ==, "mock/b");
  g_assert_cmpuint (rw_mock_upstream_count (f->mock, "a"), ==, 2);

  /* After the cooldown, one trial goes through; it fails and the circuit opens again. */
  f->now_us += 1000 * 1000;
  g_assert_cmpint (rw_router_get_circuit_state (f->router, "mock/a"), ==, RW_CIRCUIT_HALF_OPEN);
  rw_mock_upstream_push (f->mock, "a", rw_mock_reply_new_json (503, "{\"error\":{\"message\":\"x\"}}"));
  r4 = route (f, "mock/a");
  g_assert_cmpuint (rw_mock_upstream_count (f->mock, "a"), ==, 3);
  g_assert_cmpint (rw_router_get_circuit_state (f->router, "mock/a"), ==, RW_CIRCUIT_OPEN);
  r5 = route (f, "mock/a");
  g_assert_cmpuint (rw_mock_upstream_count (f->mock, "a"), ==, 3);

  /* Another cooldown; this trial succeeds and the circuit closes. */
  f->now_us += 1000 * 1000;
  rw_mock_upstream_push (f->mock, "a", stream_reply ());
  r6 = route (f, "mock/a");
  g_assert_cmpstr (r6->model_id, ==, "mock/a");
  g_assert_cmpint (rw_router_get_circuit_state (f->router, "mock/a"), ==, RW_CIRCUIT_CLOSED);
}

/* Retries obey the circuit too: once it opens mid-retry, the retries stop. */
static void
test_circuit_on_retries (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(RwRouteResult) out = NULL;

  rw_router_set_retries (f->router, 5, 1, 1);
  rw_router_set_circuit (f->router, 2, 60000, 30000);
  rw_mock_upstream_set_default (f->mock, "a", rw_mock_reply_new_json (500, "{\"error\":{\"message\":\"x\"}}"));
  rw_mock_upstream_push (f->mock, "b", stream_reply ());
  out = route (f, "mock/a");
  g_assert_cmpuint (rw_mock_upstream_count (f->mock, "a"), ==, 2);
  g_assert_cmpstr (out->model_id, ==, "mock/b");
  g_assert_no_error (out->result->error);
}

static void
test_request_ceiling (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(RwRouteResult) out = NULL;
  const char *only_a[] = { NULL };

  rw_policy_set_default (rw_router_get_policy (f->router), only_a);
  rw_router_set_cost_ceilings (f->router, 0.001, 0);
  f->request->max_tokens = 1000;   /* up to 1000 * $30/M = $0.03 on mock/a */
  out = route (f, "mock/a");
  g_assert_error (out->result->error, RW_ERROR, RW_ERROR_BUDGET);
  g_assert_cmpuint (rw_mock_upstream_count (f->mock, "a"), ==, 0);
}

static void
test_daily_ceiling (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(RwRouteResult) first = NULL;
  g_autoptr(RwRouteResult) second = NULL;
  const char *none[] = { NULL };

  rw_policy_set_default (rw_router_get_policy (f->router), none);
  f->request->max_tokens = 10;
  /* First request: 9 in * $10/M + 4 out * $30/M = $0.00021, within $0.0005. */
  rw_router_set_cost_ceilings (f->router, 0, 0.0005);
  rw_mock_upstream_set_default (f->mock, "a", stream_reply ());
  first = route (f, "mock/a");
  g_assert_no_error (first->result->error);
  g_assert_cmpfloat_with_epsilon (rw_router_get_spent_today (f->router), 0.00021, 1e-9);
  /* Second: spent $0.00021 + up to $0.00045 would break it. */
  second = route (f, "mock/a");
  g_assert_error (second->result->error, RW_ERROR, RW_ERROR_BUDGET);
  g_assert_cmpuint (rw_mock_upstream_count (f->mock, "a"), ==, 1);
}

/* What other processes spent today counts toward the daily ceiling (the app and serve spend
 * from the same database): read again within seconds, not only at the start of the day. */
static void
test_daily_ceiling_shared (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(RwRouteResult) first = NULL;
  g_autoptr(RwRouteResult) second = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(RwStore) other = NULL;
  g_autoptr(RwChatResult) spent = rw_chat_result_new ("mock/b");
  g_autofree char *run = NULL;
  g_autofree char *prompt = NULL;
  const char *none[] = { NULL };

  rw_policy_set_default (rw_router_get_policy (f->router), none);
  f->request->max_tokens = 10;
  rw_router_set_cost_ceilings (f->router, 0, 0.0005);
  rw_mock_upstream_set_default (f->mock, "a", stream_reply ());
  first = route (f, "mock/a");
  g_assert_no_error (first->result->error);

  /* Another process spends $0.0002 in the same database. */
  other = rw_store_open (f->world->db->path, &error);
  g_assert_no_error (error);
  run = rw_store_begin_run (other, "compare", NULL);
  prompt = rw_store_record_prompt (other, f->request);
  spent->cost_usd = 0.0002;
  g_string_assign (spent->text, "elsewhere");
  g_free (rw_store_record_answer (other, &(RwAnswerRecord) { .run_id = run, .prompt_id = prompt,
                                                              .result = spent, .attempt = 1 }));
  g_assert_true (rw_store_flush (other, &error));
  rw_store_close (other);

  /* Within seconds it counts: $0.00021 + $0.0002 spent, and up to $0.00045 more would break
   * $0.0005. */
  f->now_us += 6 * G_USEC_PER_SEC;
  g_assert_cmpfloat_with_epsilon (rw_router_get_spent_today (f->router), 0.00041, 1e-9);
  f->request->max_tokens = 1;
  second = route (f, "mock/a");
  g_assert_error (second->result->error, RW_ERROR, RW_ERROR_BUDGET);
  g_assert_cmpuint (rw_mock_upstream_count (f->mock, "a"), ==, 1);
}

static void
test_context_fallback (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(RwRouteResult) out = NULL;

  rw_mock_upstream_push (f->mock, "a",
                         rw_mock_reply_new_json (400, "{\"error\":{\"message\":\"This model's maximum "
                                                      "context length is 4096 tokens\","
                                                      "\"code\":\"context_length_exceeded\"}}"));
  rw_mock_upstream_push (f->mock, "c", stream_reply ());
  out = route (f, "mock/a");
  /* b has a shorter context than a and is skipped; c has a longer one and serves. */
  g_assert_no_error (out->result->error);
  g_assert_cmpstr (out->model_id, ==, "mock/c");
  g_assert_cmpuint (rw_mock_upstream_count (f->mock, "a"), ==, 1);
  g_assert_cmpuint (rw_mock_upstream_count (f->mock, "b"), ==, 0);
}

static void
test_bad_request_stops (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(RwRouteResult) out = NULL;

  rw_mock_upstream_push (f->mock, "a", rw_mock_reply_new_json (400, "{\"error\":{\"message\":\"bad temperature\"}}"));
  out = route (f, "mock/a");
  g_assert_error (out->result->error, RW_ERROR, RW_ERROR_BAD_REQUEST);
  g_assert_cmpuint (rw_mock_upstream_count (f->mock, "a"), ==, 1);
  g_assert_cmpuint (rw_mock_upstream_count (f->mock, "b"), ==, 0);
}

static void
test_auth_not_retried (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(RwRouteResult) out = NULL;
  g_autofree char *db = NULL;
  g_autofree char *wal = NULL;
  g_autofree char *db_path = NULL;
  g_autofree char *wal_path = NULL;

  rw_mock_upstream_push (f->mock, "a",
                         rw_mock_reply_new_json (401, "{\"error\":{\"message\":\"Incorrect API key "
                                                      "provided: " TEST_KEY "\"}}"));
  rw_mock_upstream_push (f->mock, "b", stream_reply ());
  out = route (f, "mock/a");
  g_assert_cmpuint (rw_mock_upstream_count (f->mock, "a"), ==, 1);
  g_assert_cmpstr (out->model_id, ==, "mock/b");
  g_assert_error (((RwChatResult *) out->attempts->pdata[0])->error, RW_ERROR, RW_ERROR_AUTH);

  /* The key appears in no error message, no log line, and nowhere in the database files. */
  g_assert_null (strstr (((RwChatResult *) out->attempts->pdata[0])->error->message, "routertest"));
  g_assert_null (strstr (log_capture->str, "routertest"));
  g_assert_true (rw_store_flush (f->store, NULL));
  db_path = g_strdup (rw_store_get_path (f->store));
  wal_path = g_strconcat (db_path, "-wal", NULL);
  g_assert_true (g_file_get_contents (db_path, &db, NULL, NULL));
  g_file_get_contents (wal_path, &wal, NULL, NULL);
  g_assert_null (g_strstr_len (db, -1, "routertest"));
  if (wal != NULL)
    {
      gsize len = 0;
      g_autofree char *contents = NULL;
      g_assert_true (g_file_get_contents (wal_path, &contents, &len, NULL));
      g_assert_null (memmem (contents, len, "routertest", 10));
    }
}

/* A redirect answers the same every time: the next candidate is tried at once. */
static void
test_redirect_not_retried (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(RwRouteResult) out = NULL;
  RwMockReply *moved = rw_mock_reply_new (307, "text/plain", "", 0);

  rw_mock_reply_add_header (moved, "Location", "http://127.0.0.1:9/v1/chat/completions");
  rw_mock_upstream_push (f->mock, "a", moved);
  rw_mock_upstream_push (f->mock, "b", stream_reply ());
  out = route (f, "mock/a");
  g_assert_no_error (out->result->error);
  g_assert_cmpuint (rw_mock_upstream_count (f->mock, "a"), ==, 1);
  g_assert_cmpstr (out->model_id, ==, "mock/b");
  g_assert_cmpuint (out->attempts->len, ==, 2);
  g_assert_error (((RwChatResult *) out->attempts->pdata[0])->error, RW_ERROR,
                  RW_ERROR_BAD_RESPONSE);
}

static void
test_auto_by_task (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(RwRouteResult) coded = NULL;
  g_autoptr(RwRouteResult) other = NULL;
  const char *code[] = { "mock/c", NULL };
  const char *dflt[] = { "mock/b", NULL };

  rw_policy_set_task (rw_router_get_policy (f->router), "code", code);
  rw_policy_set_default (rw_router_get_policy (f->router), dflt);
  rw_mock_upstream_set_default (f->mock, NULL, stream_reply ());

  rw_chat_request_set_task (f->request, "code");
  coded = route (f, RW_POLICY_AUTO_MODEL);
  g_assert_cmpstr (coded->model_id, ==, "mock/c");
  g_assert_cmpstr (coded->task, ==, "code");

  rw_chat_request_set_task (f->request, NULL);
  other = route (f, RW_POLICY_AUTO_MODEL);
  g_assert_cmpstr (other->model_id, ==, "mock/b");
  g_assert_null (other->task);
}

/* With a policy that names no model, routewise/auto goes to the first model the catalog can
 * reach, and falls back to the next; a server on this computer is reached without its key, as
 * a request naming it would be. */
static void
test_auto_without_policy (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(RwPolicy) empty = rw_policy_new ();
  g_autoptr(RwRouteResult) first = NULL;
  g_autoptr(RwRouteResult) second = NULL;

  rw_router_set_policy (f->router, empty);
  rw_mock_upstream_set_default (f->mock, NULL, stream_reply ());
  first = route (f, RW_POLICY_AUTO_MODEL);
  g_assert_no_error (first->result->error);
  g_assert_cmpstr (first->model_id, ==, "mock/a");

  rw_mock_upstream_set_default (f->mock, "a", rw_mock_reply_new_json (500, "{}"));
  rw_router_set_retries (f->router, 0, 10, 50);
  second = route (f, RW_POLICY_AUTO_MODEL);
  g_assert_no_error (second->result->error);
  g_assert_cmpstr (second->model_id, ==, "mock/b");

  g_unsetenv ("RW_ROUTER_KEY");
  {
    g_autoptr(RwRouteResult) keyless = route (f, RW_POLICY_AUTO_MODEL);

    g_assert_no_error (keyless->result->error);
    g_assert_cmpstr (keyless->model_id, ==, "mock/b");
  }
  g_setenv ("RW_ROUTER_KEY", TEST_KEY, TRUE);
}

static void
test_unknown_model (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(RwRouteResult) out = route (f, "nope/nothing");
  g_assert_error (out->result->error, RW_ERROR, RW_ERROR_CONFIG);
}

static GLogWriterOutput
capture_log (GLogLevelFlags   level,
             const GLogField *fields,
             gsize            n_fields,
             gpointer         user_data)
{
  for (gsize i = 0; i < n_fields; i++)
    if (g_str_equal (fields[i].key, "MESSAGE") && fields[i].length < 0)
      g_string_append_printf (log_capture, "%s\n", (const char *) fields[i].value);
  return g_log_writer_default (level, fields, n_fields, user_data);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  log_capture = g_string_new (NULL);
  g_log_set_writer_func (capture_log, NULL, NULL);

#define ADD(path, func) \
  g_test_add ("/Rw/Router/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("retry-after", test_retry_after);
  ADD ("cancel-during-backoff", test_cancel_during_backoff);
  ADD ("503-twice-then-success", test_503_twice);
  ADD ("hang-falls-back", test_hang_falls_back);
  ADD ("stall-mid-stream", test_stall_mid_stream);
  ADD ("cut-stream", test_cut_stream);
  ADD ("circuit", test_circuit);
  ADD ("circuit-on-retries", test_circuit_on_retries);
  ADD ("request-ceiling", test_request_ceiling);
  ADD ("daily-ceiling", test_daily_ceiling);
  ADD ("daily-ceiling-shared", test_daily_ceiling_shared);
  ADD ("context-fallback", test_context_fallback);
  ADD ("bad-request-stops", test_bad_request_stops);
  ADD ("auth-not-retried", test_auth_not_retried);
  ADD ("redirect-not-retried", test_redirect_not_retried);
  ADD ("auto-by-task", test_auto_by_task);
  ADD ("unknown-model", test_unknown_model);
  ADD ("auto-without-policy", test_auto_without_policy);
#undef ADD

  return g_test_run ();
}
