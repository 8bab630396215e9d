/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>
#include <routewise-engine.h>

#include "rw-hostile-upstream.h"
#include "rw-provider-private.h"
#include "rw-test-util.h"

#define TEST_KEY "sk-test-secret-0123456789abcdef"

typedef struct
{
  RwMockUpstream *mock;
  RwProvider *provider;
  RwModel *model;
  RwChatRequest *request;
  GString *deltas;
} Fixture;

static const char * const pieces[] = { "Hello", ", ", "wor", "ld", "! ✓", NULL };

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *url = NULL;

  g_setenv ("RW_TEST_KEY", TEST_KEY, TRUE);
  f->mock = rw_mock_upstream_new ();
  url = rw_mock_upstream_dup_base_url (f->mock);
  f->provider = rw_openai_provider_new ("mock", url, "RW_TEST_KEY");
  f->model = rw_model_new ("mock/m1", "mock", "m1");
  rw_model_set_price (f->model, 1.0, 2.0);
  f->request = rw_chat_request_new_for_prompt ("Say hello");
  f->request->connect_timeout_ms = 5000;
  f->request->first_token_timeout_ms = 5000;
  f->request->idle_timeout_ms = 5000;
  f->request->total_timeout_ms = 20000;
  f->deltas = g_string_new (NULL);
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_string_free (f->deltas, TRUE);
  rw_chat_request_unref (f->request);
  g_object_unref (f->model);
  g_object_unref (f->provider);
  rw_mock_upstream_free (f->mock);
}

static RwChatResult *
run (Fixture *f)
{
  return rw_test_chat_sync (f->provider, f->model, f->request, f->deltas, NULL);
}

static void
assert_full_answer (Fixture      *f,
                    RwChatResult *r)
{
  g_assert_no_error (r->error);
  g_assert_cmpstr (r->text->str, ==, "Hello, world! ✓");
  g_assert_cmpstr (f->deltas->str, ==, "Hello, world! ✓");
  g_assert_cmpstr (r->finish_reason, ==, "stop");
  g_assert_cmpint (r->tokens_in, ==, 11);
  g_assert_cmpint (r->tokens_out, ==, 5);
  g_assert_false (r->usage_estimated);
  /* (11 * 1.0 + 5 * 2.0) / 1e6 */
  g_assert_cmpfloat_with_epsilon (r->cost_usd, 21e-6, 1e-12);
  g_assert_cmpfloat (r->ttft_ms, >=, 0);
  g_assert_cmpfloat (r->latency_ms, >=, r->ttft_ms);
  g_assert_cmpuint (r->http_status, ==, 200);
}

static void
test_stream_ok (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(RwChatResult) r = NULL;
  g_autofree char *auth = NULL;
  g_autofree char *body = NULL;

  rw_mock_upstream_push (f->mock, "m1", rw_mock_reply_new_stream (pieces, 11, 5, TRUE));
  r = run (f);
  assert_full_answer (f, r);

  /* The key goes to the upstream as a bearer token; the request asks for usage. */
  auth = rw_mock_upstream_dup_last_header (f->mock, "Authorization");
  g_assert_cmpstr (auth, ==, "Bearer " TEST_KEY);
  body = rw_mock_upstream_dup_last_body (f->mock);
  g_assert_nonnull (strstr (body, "\"include_usage\":true"));
  g_assert_nonnull (strstr (body, "\"model\":\"m1\""));
}

static void
test_stream_odd_chunks (Fixture       *f,
                        gconstpointer  data)
{
  static const gsize sizes[] = { 1, 2, 3, 7, 13, 64 };

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      RwMockReply *reply = rw_mock_reply_new_stream (pieces, 11, 5, TRUE);
      g_autoptr(RwChatResult) r = NULL;

      reply->chunk_size = sizes[i];
      rw_mock_upstream_push (f->mock, "m1", reply);
      g_string_truncate (f->deltas, 0);
      r = run (f);
      assert_full_answer (f, r);
    }
}

/* D5: an upstream that streams without end (5.1 GB before the write failed) is stopped at the
 * provider's limit, with an error that names it and the answer that arrived before it. */
static void
test_stream_oversize (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(RwChatResult) r = NULL;
  g_autoptr(RwChatResult) small = NULL;

  /* 8 MiB in pieces of 64 KiB, against a limit of 1 MiB. */
  rw_provider_set_max_answer_bytes (f->provider, 1 << 20);
  g_assert_cmpuint (rw_provider_get_max_answer_bytes (f->provider), ==, 1 << 20);
  rw_mock_upstream_push (f->mock, "m1", rw_hostile_reply_huge_stream (8 << 20));
  r = run (f);
  g_assert_error (r->error, RW_ERROR, RW_ERROR_BAD_RESPONSE);
  g_assert_nonnull (strstr (r->error->message, "the answer is larger than 1 MiB"));
  g_assert_nonnull (strstr (r->error->message, "max_answer_bytes"));
  g_assert_cmpuint (r->text->len, ==, 16 * 65536);
  g_assert_cmpuint (r->text->str[0], ==, 'a');

  /* Below the limit, nothing changes; 0 is the default limit again. */
  rw_provider_set_max_answer_bytes (f->provider, 0);
  g_assert_cmpuint (rw_provider_get_max_answer_bytes (f->provider), ==, RW_PROVIDER_MAX_ANSWER_BYTES);
  rw_mock_upstream_push (f->mock, "m1", rw_mock_reply_new_stream (pieces, 11, 5, TRUE));
  g_string_truncate (f->deltas, 0);
  small = run (f);
  assert_full_answer (f, small);
}

static void
test_stream_slow (Fixture       *f,
                  gconstpointer  data)
{
  RwMockReply *reply = rw_mock_reply_new_stream (pieces, 11, 5, TRUE);
  g_autoptr(RwChatResult) r = NULL;

  reply->chunk_size = 40;
  reply->first_delay_ms = 150;
  reply->chunk_delay_ms = 20;
  rw_mock_upstream_push (f->mock, "m1", reply);
  r = run (f);
  assert_full_answer (f, r);
  /* The first token came after the upstream's first delay. */
  g_assert_cmpfloat (r->ttft_ms, >=, 150);
}

/* A stream that outlasts its shorter limits: the reply limit stops at the headers, the
 * first-token limit at the first piece, and the limit between tokens restarts with each piece,
 * so nothing times out however long the steady stream goes on. */
static void
test_limits_move (Fixture       *f,
                  gconstpointer  data)
{
  RwMockReply *reply = rw_mock_reply_new_stream (pieces, 11, 5, TRUE);
  g_autoptr(RwChatResult) r = NULL;

  reply->chunk_size = 32;
  reply->first_delay_ms = 30;
  reply->chunk_delay_ms = 15;
  f->request->connect_timeout_ms = 60;
  f->request->first_token_timeout_ms = 200;
  f->request->idle_timeout_ms = 250;
  f->request->total_timeout_ms = 10000;
  rw_mock_upstream_push (f->mock, "m1", reply);
  r = run (f);
  assert_full_answer (f, r);
  g_test_message ("latency %.0f ms", r->latency_ms);
  /* Longer than each limit but the total. */
  g_assert_cmpfloat (r->latency_ms, >, 250);
}

static void
test_stream_without_done (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(RwChatResult) r = NULL;

  /* A finish reason without [DONE] is a complete answer. */
  rw_mock_upstream_push (f->mock, "m1", rw_mock_reply_new_stream (pieces, 11, 5, FALSE));
  r = run (f);
  assert_full_answer (f, r);
}

static void
test_non_stream (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(RwChatResult) r = NULL;
  g_autofree char *body = NULL;

  f->request->stream = FALSE;
  rw_mock_upstream_push (f->mock, "m1", rw_mock_reply_new_chat ("Hello, world! ✓", 11, 5));
  r = run (f);
  assert_full_answer (f, r);
  body = rw_mock_upstream_dup_last_body (f->mock);
  g_assert_nonnull (strstr (body, "\"stream\":false"));
}

static void
test_drop_mid_stream (Fixture       *f,
                      gconstpointer  data)
{
  RwMockReply *reply = rw_mock_reply_new_stream (pieces, 11, 5, TRUE);
  g_autoptr(RwChatResult) r = NULL;

  reply->drop_at = 300;
  reply->chunk_size = 50;
  rw_mock_upstream_push (f->mock, "m1", reply);
  r = run (f);
  /* Depending on where the connection breaks, the HTTP layer reports an error or an early end
   * of the body; either way the answer is a failure, never a clean finish. */
  g_assert_nonnull (r->error);
  g_assert_true (g_error_matches (r->error, RW_ERROR, RW_ERROR_NETWORK) ||
                 g_error_matches (r->error, RW_ERROR, RW_ERROR_BAD_RESPONSE));
  g_assert_cmpuint (r->text->len, >, 0);
  g_assert_cmpstr (r->text->str, !=, "Hello, world! ✓");
  g_assert_null (r->finish_reason);
}

static void
test_stream_cut_clean (Fixture       *f,
                       gconstpointer  data)
{
  /* The HTTP body ends properly but the stream stops before the answer did. */
  const char *body = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n"
                     "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo\"}}]}\n\n";
  RwMockReply *reply = rw_mock_reply_new (200, "text/event-stream", body, -1);
  g_autoptr(RwChatResult) r = NULL;

  reply->chunked = TRUE;
  rw_mock_upstream_push (f->mock, "m1", reply);
  r = run (f);
  g_assert_error (r->error, RW_ERROR, RW_ERROR_BAD_RESPONSE);
  g_assert_cmpstr (r->text->str, ==, "Hello");
  /* Tokens of a partial answer are estimated so that spend is not under-counted. */
  g_assert_true (r->usage_estimated);
  g_assert_cmpint (r->tokens_out, >, 0);
}

/* An upstream that reports a usage no answer can have is not trusted: the counts are
 * estimated, said so, and the cost stays that of a short answer. */
static void
test_absurd_usage (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(RwChatResult) r = NULL;

  g_test_expect_message ("Routewise-Engine", G_LOG_LEVEL_WARNING,
                         "*reported a usage no answer can have*");
  rw_mock_upstream_push (f->mock, "m1", rw_hostile_reply_absurd_usage ());
  r = run (f);
  g_test_assert_expected_messages ();
  g_assert_no_error (r->error);
  g_assert_cmpstr (r->text->str, ==, "Hi");
  g_assert_true (r->usage_estimated);
  g_assert_cmpint (r->tokens_in, ==, 7);
  g_assert_cmpint (r->tokens_out, >, 0);
  g_assert_cmpint (r->tokens_out, <, 10);
  g_assert_true (isnan (r->cost_usd) || r->cost_usd < 0.01);
}

static void
test_stall_mid_stream (Fixture       *f,
                       gconstpointer  data)
{
  RwMockReply *reply = rw_mock_reply_new_stream (pieces, 11, 5, TRUE);
  g_autoptr(RwChatResult) r = NULL;

  reply->stall_at = 300;
  f->request->idle_timeout_ms = 300;
  rw_mock_upstream_push (f->mock, "m1", reply);
  r = run (f);
  g_assert_error (r->error, RW_ERROR, RW_ERROR_TIMEOUT);
  g_assert_nonnull (strstr (r->error->message, "stalled"));
  g_assert_cmpuint (r->text->len, >, 0);
  g_assert_cmpfloat (r->latency_ms, >=, 300);
}

static void
test_hang_before_headers (Fixture       *f,
                          gconstpointer  data)
{
  RwMockReply *reply = rw_mock_reply_new_stream (pieces, 11, 5, TRUE);
  g_autoptr(RwChatResult) r = NULL;

  reply->hang = TRUE;
  f->request->connect_timeout_ms = 250;
  rw_mock_upstream_push (f->mock, "m1", reply);
  r = run (f);
  g_assert_error (r->error, RW_ERROR, RW_ERROR_TIMEOUT);
  g_assert_nonnull (strstr (r->error->message, "reply from the server"));
  g_assert_cmpfloat (r->ttft_ms, <, 0);
}

static void
test_first_token_timeout (Fixture       *f,
                          gconstpointer  data)
{
  RwMockReply *reply = rw_mock_reply_new_stream (pieces, 11, 5, TRUE);
  g_autoptr(RwChatResult) r = NULL;

  /* Headers at once, then nothing. */
  reply->stall_at = 0;
  f->request->first_token_timeout_ms = 250;
  rw_mock_upstream_push (f->mock, "m1", reply);
  r = run (f);
  g_assert_error (r->error, RW_ERROR, RW_ERROR_TIMEOUT);
  g_assert_nonnull (strstr (r->error->message, "first token"));
  g_assert_cmpuint (r->http_status, ==, 200);
}

static void
test_total_timeout (Fixture       *f,
                    gconstpointer  data)
{
  RwMockReply *reply = rw_mock_reply_new_stream (pieces, 11, 5, TRUE);
  g_autoptr(RwChatResult) r = NULL;

  /* Tokens keep coming, each inside the idle limit, but the whole takes too long. */
  reply->chunk_size = 20;
  reply->chunk_delay_ms = 60;
  f->request->total_timeout_ms = 300;
  rw_mock_upstream_push (f->mock, "m1", reply);
  r = run (f);
  g_assert_error (r->error, RW_ERROR, RW_ERROR_TIMEOUT);
  g_assert_nonnull (strstr (r->error->message, "complete answer"));
}

static void
expect_http_error (Fixture    *f,
                   guint       status,
                   const char *body,
                   RwError     kind)
{
  g_autoptr(RwChatResult) r = NULL;

  rw_mock_upstream_push (f->mock, "m1", rw_mock_reply_new_json (status, body));
  r = run (f);
  g_assert_error (r->error, RW_ERROR, kind);
  g_assert_cmpuint (r->http_status, ==, status);
  g_assert_cmpuint (r->text->len, ==, 0);
  /* A refused request costs nothing. */
  g_assert_cmpfloat (r->cost_usd, ==, 0.0);
}

static void
test_http_errors (Fixture       *f,
                  gconstpointer  data)
{
  expect_http_error (f, 401, "{\"error\":{\"message\":\"Incorrect API key provided: " TEST_KEY "\","
                             "\"type\":\"invalid_request_error\",\"code\":\"invalid_api_key\"}}",
                     RW_ERROR_AUTH);
  expect_http_error (f, 500, "{\"error\":{\"message\":\"internal\",\"type\":\"server_error\"}}",
                     RW_ERROR_SERVER);
  expect_http_error (f, 503, "{\"error\":{\"message\":\"overloaded\"}}", RW_ERROR_OVERLOADED);
  expect_http_error (f, 400, "{\"error\":{\"message\":\"maximum context length is 4096 tokens\","
                             "\"code\":\"context_length_exceeded\"}}", RW_ERROR_CONTEXT_LENGTH);
  expect_http_error (f, 400, "{\"error\":{\"message\":\"bad temperature\"}}", RW_ERROR_BAD_REQUEST);
}

static void
test_key_never_in_error (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(RwChatResult) r = NULL;

  rw_mock_upstream_push (f->mock, "m1",
                         rw_mock_reply_new_json (401, "{\"error\":{\"message\":\"Incorrect API key "
                                                      "provided: " TEST_KEY "\"}}"));
  r = run (f);
  g_assert_error (r->error, RW_ERROR, RW_ERROR_AUTH);
  g_assert_null (strstr (r->error->message, TEST_KEY));
  g_assert_null (strstr (r->error->message, "0123456789abcdef"));
}

static void
test_rate_limited (Fixture       *f,
                   gconstpointer  data)
{
  RwMockReply *reply = rw_mock_reply_new_json (429, "{\"error\":{\"message\":\"Rate limit reached\","
                                                    "\"type\":\"requests\"}}");
  g_autoptr(RwChatResult) r = NULL;

  rw_mock_reply_add_header (reply, "Retry-After", "7");
  rw_mock_upstream_push (f->mock, "m1", reply);
  r = run (f);
  g_assert_error (r->error, RW_ERROR, RW_ERROR_RATE_LIMITED);
  g_assert_cmpint (r->retry_after_ms, ==, 7000);
}

static void
test_malformed_json (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(RwChatResult) a = NULL;
  g_autoptr(RwChatResult) b = NULL;
  RwMockReply *reply;

  f->request->stream = FALSE;
  rw_mock_upstream_push (f->mock, "m1", rw_mock_reply_new_json (200, "{\"choices\": [ {\"mess"));
  a = run (f);
  g_assert_error (a->error, RW_ERROR, RW_ERROR_BAD_RESPONSE);

  f->request->stream = TRUE;
  reply = rw_mock_reply_new (200, "text/event-stream",
                             "data: {\"choices\":[{\"delta\":{\"content\":\"ok\"}}]}\n\n"
                             "data: {not json}\n\n", -1);
  reply->chunked = TRUE;
  rw_mock_upstream_push (f->mock, "m1", reply);
  b = run (f);
  g_assert_error (b->error, RW_ERROR, RW_ERROR_BAD_RESPONSE);
  g_assert_nonnull (strstr (b->error->message, "malformed JSON"));
  g_assert_cmpstr (b->text->str, ==, "ok");
}

static void
test_error_event_in_stream (Fixture       *f,
                            gconstpointer  data)
{
  RwMockReply *reply = rw_mock_reply_new (200, "text/event-stream",
                                          "data: {\"choices\":[{\"delta\":{\"content\":\"par\"}}]}\n\n"
                                          "data: {\"error\":{\"message\":\"upstream overloaded\","
                                          "\"type\":\"overloaded_error\"}}\n\n", -1);
  g_autoptr(RwChatResult) r = NULL;

  reply->chunked = TRUE;
  rw_mock_upstream_push (f->mock, "m1", reply);
  r = run (f);
  g_assert_error (r->error, RW_ERROR, RW_ERROR_OVERLOADED);
  g_assert_cmpstr (r->text->str, ==, "par");
}

static void
test_unreachable (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GSocketListener) l = g_socket_listener_new ();
  g_autoptr(RwProvider) dead = NULL;
  g_autoptr(RwChatResult) r = NULL;
  g_autofree char *url = NULL;
  guint16 port;

  /* A port that was free a moment ago: bind it, note it, release it. */
  port = g_socket_listener_add_any_inet_port (l, NULL, NULL);
  g_socket_listener_close (l);
  url = g_strdup_printf ("http://127.0.0.1:%u/v1", port);
  dead = rw_openai_provider_new ("dead", url, NULL);
  r = rw_test_chat_sync (dead, f->model, f->request, NULL, NULL);
  g_assert_error (r->error, RW_ERROR, RW_ERROR_NETWORK);
}

static void
test_missing_key (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(RwProvider) remote = rw_openai_provider_new ("remote", "https://api.example.invalid/v1",
                                                         "RW_TEST_UNSET_KEY");
  g_autoptr(RwChatResult) r = NULL;

  g_unsetenv ("RW_TEST_UNSET_KEY");
  r = rw_test_chat_sync (remote, f->model, f->request, NULL, NULL);
  g_assert_error (r->error, RW_ERROR, RW_ERROR_AUTH);
  g_assert_nonnull (strstr (r->error->message, "RW_TEST_UNSET_KEY"));
}

/* Whether a request can be sent now, the same rule the call keeps: a key is needed only where
 * the provider names its variable and is not on this computer. The router's routewise/auto
 * without a policy and the window's model list go by it. */
static void
test_can_send (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(RwProvider) local_named = rw_openai_provider_new ("l", "http://127.0.0.1:9/v1",
                                                              "RW_TEST_UNSET_KEY");
  g_autoptr(RwProvider) remote_named = rw_openai_provider_new ("r", "https://api.example.invalid/v1",
                                                               "RW_TEST_UNSET_KEY");
  g_autoptr(RwProvider) remote_unnamed = rw_openai_provider_new ("u", "https://lan.example.invalid/v1",
                                                                 NULL);
  g_autoptr(RwProvider) remote_set = rw_openai_provider_new ("s", "https://api.example.invalid/v1",
                                                             "RW_TEST_SET_KEY");
  g_autoptr(RwProvider) ollama = rw_ollama_provider_new ("o", "https://ollama.example.invalid");

  g_unsetenv ("RW_TEST_UNSET_KEY");
  g_setenv ("RW_TEST_SET_KEY", "sk-test-1234", TRUE);
  g_assert_false (rw_provider_needs_api_key (local_named));
  g_assert_true (rw_provider_can_send (local_named));
  g_assert_true (rw_provider_needs_api_key (remote_named));
  g_assert_false (rw_provider_can_send (remote_named));
  g_assert_false (rw_provider_needs_api_key (remote_unnamed));
  g_assert_true (rw_provider_can_send (remote_unnamed));
  g_assert_true (rw_provider_needs_api_key (remote_set));
  g_assert_true (rw_provider_can_send (remote_set));
  g_assert_false (rw_provider_needs_api_key (ollama));
  g_assert_true (rw_provider_can_send (ollama));
  g_unsetenv ("RW_TEST_SET_KEY");
}

/* A base URL that is not one is a configuration error, whatever the protocol, before sending. */
static void
test_bad_url (Fixture       *f,
              gconstpointer  data)
{
  static const char * const urls[] = { "http://[::1/v1", "ftp://127.0.0.1/v1", "http:///v1" };

  for (guint i = 0; i < G_N_ELEMENTS (urls); i++)
    {
      RwProvider *providers[] = {
        rw_openai_provider_new ("bad", urls[i], NULL),
        rw_anthropic_provider_new ("bad", urls[i], NULL),
        rw_gemini_provider_new ("bad", urls[i], NULL),
        rw_ollama_provider_new ("bad", urls[i]),
      };

      for (guint p = 0; p < G_N_ELEMENTS (providers); p++)
        {
          g_autoptr(RwChatResult) r = rw_test_chat_sync (providers[p], f->model, f->request,
                                                         NULL, NULL);
          g_test_message ("%s with %s", G_OBJECT_TYPE_NAME (providers[p]), urls[i]);
          g_assert_error (r->error, RW_ERROR, RW_ERROR_CONFIG);
          g_assert_nonnull (strstr (r->error->message, "not a valid URL"));
          g_object_unref (providers[p]);
        }
    }
}

static gboolean
cancel_later (gpointer data)
{
  g_cancellable_cancel (data);
  return G_SOURCE_REMOVE;
}

static void
test_cancel (Fixture       *f,
             gconstpointer  data)
{
  RwMockReply *reply = rw_mock_reply_new_stream (pieces, 11, 5, TRUE);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(RwChatResult) r = NULL;

  reply->stall_at = 200;
  rw_mock_upstream_push (f->mock, "m1", reply);
  g_timeout_add (200, cancel_later, cancellable);
  r = rw_test_chat_sync (f->provider, f->model, f->request, NULL, cancellable);
  g_assert_error (r->error, RW_ERROR, RW_ERROR_CANCELLED);
}

static void
list_cb (GObject      *object,
         GAsyncResult *res,
         gpointer      user_data)
{
  GPtrArray **out = user_data;
  g_autoptr(GError) error = NULL;

  *out = rw_provider_list_models_finish (RW_PROVIDER (object), res, &error);
  g_assert_no_error (error);
}

static void
test_list_models (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GPtrArray) models = NULL;

  rw_mock_upstream_push (f->mock, "GET /v1/models",
                         rw_mock_reply_new_json (200, "{\"object\":\"list\",\"data\":["
                                                      "{\"id\":\"llama3\"},{\"id\":\"qwen\","
                                                      "\"context_length\":32768,"
                                                      "\"supported_parameters\":[\"tools\","
                                                      "\"tool_choice\",\"temperature\"],"
                                                      "\"architecture\":{\"input_modalities\":"
                                                      "[\"text\"]}}]}"));
  rw_provider_list_models_async (f->provider, NULL, list_cb, &models);
  while (models == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpuint (models->len, ==, 2);
  g_assert_cmpstr (rw_model_get_id (models->pdata[0]), ==, "mock/llama3");
  g_assert_cmpstr (rw_model_get_upstream_name (models->pdata[1]), ==, "qwen");
  /* A list that says nothing of capabilities leaves them open; OpenRouter's says. */
  g_assert_cmpint (rw_model_lacks (models->pdata[0], RW_MODEL_ALL_CAPABILITIES), ==, 0);
  g_assert_cmpint (rw_model_lacks (models->pdata[1], RW_MODEL_ALL_CAPABILITIES), ==,
                   RW_MODEL_CAN_IMAGES | RW_MODEL_CAN_JSON_SCHEMA | RW_MODEL_CAN_REASONING);
  g_assert_cmpint (rw_model_get_context_length (models->pdata[1]), ==, 32768);
}

static void
list_redirect_cb (GObject      *object,
                  GAsyncResult *res,
                  gpointer      user_data)
{
  GError **out = user_data;
  g_autoptr(GPtrArray) models = rw_provider_list_models_finish (RW_PROVIDER (object), res, out);

  g_assert_null (models);
  g_assert_nonnull (*out);
}

/* Listing models carries the key too: a redirect elsewhere is reported, not followed. */
static void
test_list_models_redirect (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(RwMockUpstream) other = rw_mock_upstream_new ();
  g_autofree char *other_url = rw_mock_upstream_dup_base_url (other);
  g_autofree char *location = g_strconcat (other_url, "/models", NULL);
  g_autofree char *seen = NULL;
  g_autoptr(GError) error = NULL;
  RwMockReply *moved = rw_mock_reply_new (302, "text/plain", "moved", -1);

  rw_mock_reply_add_header (moved, "Location", location);
  rw_mock_upstream_push (f->mock, "GET /v1/models", moved);
  rw_provider_list_models_async (f->provider, NULL, list_redirect_cb, &error);
  while (error == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_error (error, RW_ERROR, RW_ERROR_BAD_RESPONSE);
  g_assert_nonnull (strstr (error->message, location));
  g_assert_null (strstr (error->message, TEST_KEY));
  seen = rw_mock_upstream_dup_last_header (other, "authorization");
  g_assert_null (seen);
}

static void
replay_done_cb (GObject      *object,
                GAsyncResult *res,
                gpointer      data)
{
  *(RwChatResult **) data = rw_provider_chat_finish (RW_PROVIDER (object), res);
}

/* The replies fuzz target's seeds, each read by its provider as a reply off the network: what
 * each protocol's answer, tool call, usage and error come to. The seeds reach every handler. */
static void
test_replay_corpus (void)
{
  struct { const char *seed; const char *text; const char *tool; gint64 out; gint code; } cases[] = {
    { "openai-stream", "Hello", NULL, 2, -1 },
    { "openai-tools", "", "get_weather", -2, -1 },
    { "openai-whole", "Hi", NULL, 1, -1 },
    { "openai-error", "", NULL, -2, RW_ERROR_RATE_LIMITED },
    { "openai-error-midstream", "Hi", NULL, -2, RW_ERROR_SERVER },
    { "anthropic-stream", "Hello", "get_weather", 12, -1 },
    { "anthropic-whole", "Hi", NULL, 1, -1 },
    { "anthropic-error", "", NULL, -2, RW_ERROR_OVERLOADED },
    { "gemini-stream", "Hello", NULL, 2, -1 },
    { "gemini-whole", "Hi", NULL, 1, -1 },
    { "gemini-tool", "", "get_weather", -2, -1 },
    { "ollama-stream", "Hello", NULL, 2, -1 },
    { "ollama-whole", "Hi", NULL, 2, -1 },
    { "ollama-error", "", NULL, -2, RW_ERROR_BAD_REQUEST },
    { "cut-stream", "Hi", NULL, -2, RW_ERROR_BAD_RESPONSE },
    /* An empty reply (undefined behaviour in the JSON reader, found by the fuzz target). */
    { "openai-empty", "", NULL, -2, RW_ERROR_BAD_RESPONSE },
  };
  g_autoptr(RwCatalog) catalog = rw_catalog_new ();
  g_autoptr(GString) json = g_string_new ("{\"providers\": [");
  const char *kinds[] = { "openai", "anthropic", "gemini", "ollama" };

  g_setenv ("RW_REPLAY_KEY", "k", TRUE);
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    g_string_append_printf (json, "%s{\"id\": \"%s\", \"kind\": \"%s\", \"base_url\": "
                            "\"http://127.0.0.1:9\", \"api_key_env\": \"RW_REPLAY_KEY\"}",
                            i ? ", " : "", kinds[i], kinds[i]);
  g_string_append (json, "], \"models\": [");
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    g_string_append_printf (json, "%s{\"id\": \"%s/m\", \"provider\": \"%s\", \"name\": \"m\"}",
                            i ? ", " : "", kinds[i], kinds[i]);
  g_string_append (json, "]}");
  g_assert_true (rw_catalog_load_data (catalog, "test", json->str, -1, NULL));

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = g_test_build_filename (G_TEST_DIST, "fuzz", "corpus", "replies",
                                                     cases[i].seed, NULL);
      g_autofree char *contents = NULL;
      g_auto(GStrv) head = NULL;
      g_autoptr(GBytes) body = NULL;
      g_autoptr(RwChatRequest) request = rw_chat_request_new_for_prompt ("Hi");
      g_autoptr(RwChatResult) r = NULL;
      g_autofree char *model = NULL;
      RwProvider *provider;
      char *nl;
      gsize len;

      g_test_message ("%s", cases[i].seed);
      g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
      nl = strchr (contents, '\n');
      *nl = '\0';
      head = g_strsplit (contents, " ", 5);
      body = g_bytes_new (nl + 1, len - (nl + 1 - contents));
      request->stream = g_str_equal (head[1], "stream");
      provider = rw_catalog_lookup_provider (catalog, head[0]);
      model = g_strconcat (head[0], "/m", NULL);
      _rw_provider_set_replay (provider, atoi (head[2]), head[3], body, atoi (head[4]));
      rw_provider_chat_async (provider, rw_catalog_lookup_model (catalog, model), request, NULL,
                              NULL, NULL, replay_done_cb, &r);
      while (r == NULL)
        g_main_context_iteration (NULL, TRUE);
      if (cases[i].code < 0)
        g_assert_no_error (r->error);
      else
        g_assert_error (r->error, RW_ERROR, cases[i].code);
      g_assert_cmpstr (r->text->str, ==, cases[i].text);
      if (cases[i].out > -2)
        g_assert_cmpint (r->tokens_out, ==, cases[i].out);
      if (cases[i].tool != NULL)
        {
          RwChatChoice *choice = g_ptr_array_index (r->choices, 0);
          RwToolCall *call = g_ptr_array_index (choice->tool_calls, 0);
          g_assert_cmpstr (call->name, ==, cases[i].tool);
          g_assert_nonnull (strstr (call->arguments->str, "Paris"));
        }
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/Rw/Provider/replay-corpus", test_replay_corpus);

#define ADD(path, func) \
  g_test_add ("/Rw/Provider/OpenAI/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("stream", test_stream_ok);
  ADD ("stream-odd-chunks", test_stream_odd_chunks);
  ADD ("stream-oversize", test_stream_oversize);
  ADD ("stream-slow", test_stream_slow);
  ADD ("limits-move", test_limits_move);
  ADD ("stream-without-done", test_stream_without_done);
  ADD ("non-stream", test_non_stream);
  ADD ("drop-mid-stream", test_drop_mid_stream);
  ADD ("stream-cut-clean", test_stream_cut_clean);
  ADD ("absurd-usage", test_absurd_usage);
  ADD ("stall-mid-stream", test_stall_mid_stream);
  ADD ("hang-before-headers", test_hang_before_headers);
  ADD ("first-token-timeout", test_first_token_timeout);
  ADD ("total-timeout", test_total_timeout);
  ADD ("http-errors", test_http_errors);
  ADD ("key-never-in-error", test_key_never_in_error);
  ADD ("rate-limited", test_rate_limited);
  ADD ("malformed-json", test_malformed_json);
  ADD ("error-event-in-stream", test_error_event_in_stream);
  ADD ("unreachable", test_unreachable);
  ADD ("missing-key", test_missing_key);
  ADD ("can-send", test_can_send);
  ADD ("bad-url", test_bad_url);
  ADD ("cancel", test_cancel);
  ADD ("list-models", test_list_models);
  ADD ("list-models-redirect", test_list_models_redirect);
#undef ADD

  return g_test_run ();
}
