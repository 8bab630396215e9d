/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <routewise-engine.h>

#include "rw-http-private.h"
#include "rw-mock-upstream.h"
#include "rw-test-util.h"

/*
 * Every wire protocol, one suite: the same request gives the same RwChatResult shape, and the
 * same faults give the same errors, whether the upstream speaks OpenAI's chat completions,
 * Anthropic's Messages, Gemini's generateContent or Ollama's /api/chat.
 */

#define TEST_KEY "sk-protocols-0123456789abcdefghij"

typedef struct
{
  RwMockProtocol protocol;
  const char *name;
} Protocol;

static const Protocol protocols[] = {
  { RW_MOCK_OPENAI, "openai" },
  { RW_MOCK_ANTHROPIC, "anthropic" },
  { RW_MOCK_GEMINI, "gemini" },
  { RW_MOCK_OLLAMA, "ollama" },
};

typedef struct
{
  const Protocol *protocol;
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
  g_autofree char *base = NULL;

  f->protocol = data;
  g_setenv ("RW_PROTOCOL_KEY", TEST_KEY, TRUE);
  f->mock = rw_mock_upstream_new ();
  url = rw_mock_upstream_dup_base_url (f->mock);         /* http://127.0.0.1:PORT/v1 */
  base = g_strndup (url, strlen (url) - 3);              /* http://127.0.0.1:PORT */
  switch (f->protocol->protocol)
    {
    case RW_MOCK_OPENAI:
      f->provider = rw_openai_provider_new ("p", url, "RW_PROTOCOL_KEY");
      break;
    case RW_MOCK_ANTHROPIC:
      f->provider = rw_anthropic_provider_new ("p", url, "RW_PROTOCOL_KEY");
      break;
    case RW_MOCK_GEMINI:
      {
        g_autofree char *beta = g_strconcat (base, "/v1beta", NULL);
        f->provider = rw_gemini_provider_new ("p", beta, "RW_PROTOCOL_KEY");
      }
      break;
    case RW_MOCK_OLLAMA:
      f->provider = rw_ollama_provider_new ("p", base);
      break;
    default:
      g_assert_not_reached ();
    }
  f->model = rw_model_new ("p/m1", "p", "m1");
  rw_model_set_price (f->model, 1.0, 2.0);
  f->request = rw_chat_request_new ();
  rw_chat_request_add_message (f->request, "system", "Be brief.");
  rw_chat_request_add_message (f->request, "user", "Say hello");
  f->request->first_token_timeout_ms = 5000;
  f->request->idle_timeout_ms = 5000;
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
  g_string_truncate (f->deltas, 0);
  return rw_test_chat_sync (f->provider, f->model, f->request, f->deltas, NULL);
}

static RwMockReply *
stream (Fixture *f)
{
  return rw_mock_reply_new_protocol_stream (f->protocol->protocol, pieces, 11, 5);
}

static void
assert_answer (Fixture      *f,
               RwChatResult *r)
{
  g_assert_no_error (r->error);
  g_assert_cmpstr (r->text->str, ==, "Hello, world! ✓");
  g_assert_cmpstr (f->deltas->str, ==, "Hello, world! ✓");
  g_assert_cmpstr (r->finish_reason, ==, "stop");
  g_assert_cmpint (r->tokens_in, ==, 11);
  g_assert_cmpint (r->tokens_out, ==, 5);
  g_assert_false (r->usage_estimated);
  g_assert_cmpfloat_with_epsilon (r->cost_usd, 21e-6, 1e-12);
  g_assert_cmpfloat (r->ttft_ms, >=, 0);
  g_assert_cmpuint (r->http_status, ==, 200);
}

static void
test_stream (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(RwChatResult) r = NULL;
  g_autofree char *body = NULL;
  g_autofree char *auth = NULL;

  rw_mock_upstream_push (f->mock, "m1", stream (f));
  r = run (f);
  assert_answer (f, r);

  /* Each protocol's own request shape: where the system message goes, how the key is sent. */
  body = rw_mock_upstream_dup_last_body (f->mock);
  switch (f->protocol->protocol)
    {
    case RW_MOCK_OPENAI:
      auth = rw_mock_upstream_dup_last_header (f->mock, "Authorization");
      g_assert_cmpstr (auth, ==, "Bearer " TEST_KEY);
      g_assert_nonnull (strstr (body, "{\"role\":\"system\",\"content\":\"Be brief.\"}"));
      break;
    case RW_MOCK_ANTHROPIC:
      auth = rw_mock_upstream_dup_last_header (f->mock, "x-api-key");
      g_assert_cmpstr (auth, ==, TEST_KEY);
      g_assert_nonnull (strstr (body, "\"system\":\"Be brief.\""));
      g_assert_null (strstr (body, "\"role\":\"system\""));
      g_assert_nonnull (strstr (body, "\"max_tokens\":4096"));
      {
        g_autofree char *version = rw_mock_upstream_dup_last_header (f->mock, "anthropic-version");
        g_assert_cmpstr (version, ==, "2023-06-01");
      }
      break;
    case RW_MOCK_GEMINI:
      auth = rw_mock_upstream_dup_last_header (f->mock, "x-goog-api-key");
      g_assert_cmpstr (auth, ==, TEST_KEY);
      g_assert_nonnull (strstr (body, "\"systemInstruction\":{\"parts\":[{\"text\":\"Be brief.\"}]}"));
      g_assert_nonnull (strstr (body, "\"role\":\"user\",\"parts\":[{\"text\":\"Say hello\"}]"));
      break;
    case RW_MOCK_OLLAMA:
      g_assert_nonnull (strstr (body, "\"model\":\"m1\""));
      g_assert_nonnull (strstr (body, "\"stream\":true"));
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
test_odd_chunks (Fixture       *f,
                 gconstpointer  data)
{
  static const gsize sizes[] = { 1, 3, 7, 64 };

  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      RwMockReply *reply = stream (f);
      g_autoptr(RwChatResult) r = NULL;

      reply->chunk_size = sizes[i];
      rw_mock_upstream_push (f->mock, "m1", reply);
      r = run (f);
      assert_answer (f, r);
    }
}

static void
test_whole (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(RwChatResult) r = NULL;

  f->request->stream = FALSE;
  f->request->temperature = 0.25;
  f->request->max_tokens = 77;
  rw_chat_request_add_message (f->request, "user", "unit\x1fseparator \"q\" ✓");
  rw_mock_upstream_push (f->mock, "m1",
                         rw_mock_reply_new_protocol_whole (f->protocol->protocol, "Hello, world! ✓", 11, 5));
  r = run (f);
  assert_answer (f, r);

  {
    /* Every protocol's body is strict JSON, every control character escaped. */
    g_autofree char *body = rw_mock_upstream_dup_last_body (f->mock);
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) strict = rw_json_parse (body, strlen (body), &error);

    g_assert_no_error (error);
    g_assert_null (strchr (body, 0x1f));
    g_assert_nonnull (strstr (body, "unit\\u001fseparator"));
  }
  if (f->protocol->protocol == RW_MOCK_OPENAI)
    {
      /* And says what was asked. */
      g_autofree char *body = rw_mock_upstream_dup_last_body (f->mock);
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonObject *o;
      JsonArray *messages;

      g_assert_true (json_parser_load_from_data (parser, body, -1, NULL));
      o = json_node_get_object (json_parser_get_root (parser));
      g_assert_cmpstr (json_object_get_string_member (o, "model"), ==, "m1");
      g_assert_false (json_object_get_boolean_member (o, "stream"));
      g_assert_false (json_object_has_member (o, "stream_options"));
      g_assert_cmpfloat (json_object_get_double_member (o, "temperature"), ==, 0.25);
      g_assert_cmpint (json_object_get_int_member (o, "max_tokens"), ==, 77);
      messages = json_object_get_array_member (o, "messages");
      g_assert_cmpstr (json_object_get_string_member (
                         json_array_get_object_element (messages,
                                                        json_array_get_length (messages) - 1),
                         "content"), ==, "unit\x1fseparator \"q\" ✓");
    }
}

static void
test_cut (Fixture       *f,
          gconstpointer  data)
{
  RwMockReply *reply = stream (f);
  g_autoptr(RwChatResult) dropped = NULL;
  g_autoptr(RwChatResult) cut = NULL;
  gsize len = g_bytes_get_size (reply->body);
  RwMockReply *copy = rw_mock_reply_copy (reply);

  /* Dropped in the middle: an error, never a clean finish. */
  reply->drop_at = len / 2;
  rw_mock_upstream_push (f->mock, "m1", reply);
  dropped = run (f);
  g_assert_nonnull (dropped->error);
  g_assert_null (dropped->finish_reason);

  /* A body that ends cleanly before the end of the answer. */
  g_bytes_unref (copy->body);
  {
    g_autoptr(RwMockReply) full = stream (f);
    const char *data_ = g_bytes_get_data (full->body, NULL);
    copy->body = g_bytes_new (data_, len / 2);
  }
  rw_mock_upstream_push (f->mock, "m1", copy);
  cut = run (f);
  g_assert_error (cut->error, RW_ERROR, RW_ERROR_BAD_RESPONSE);
}

static void
test_errors (Fixture       *f,
             gconstpointer  data)
{
  RwMockReply *limited = rw_mock_reply_new_json (429, "{\"error\":{\"message\":\"rate limited\","
                                                      "\"type\":\"rate_limit_error\"}}");
  g_autoptr(RwChatResult) a = NULL;
  g_autoptr(RwChatResult) b = NULL;
  g_autoptr(RwChatResult) c = NULL;
  g_autoptr(RwChatResult) d = NULL;

  rw_mock_reply_add_header (limited, "Retry-After", "7");
  rw_mock_upstream_push (f->mock, "m1", limited);
  a = run (f);
  g_assert_error (a->error, RW_ERROR, RW_ERROR_RATE_LIMITED);
  g_assert_cmpint (a->retry_after_ms, ==, 7000);

  rw_mock_upstream_push (f->mock, "m1",
                         rw_mock_reply_new_json (401, "{\"error\":{\"message\":\"invalid x-api-key "
                                                      TEST_KEY "\"}}"));
  b = run (f);
  g_assert_error (b->error, RW_ERROR, RW_ERROR_AUTH);
  g_assert_null (strstr (b->error->message, "0123456789abcdef"));

  /* Anthropic's overloaded status, Gemini's RESOURCE_EXHAUSTED and Ollama's plain error. */
  rw_mock_upstream_push (f->mock, "m1",
                         rw_mock_reply_new_json (529, "{\"type\":\"error\",\"error\":"
                                                      "{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}"));
  c = run (f);
  g_assert_error (c->error, RW_ERROR, RW_ERROR_OVERLOADED);

  rw_mock_upstream_push (f->mock, "m1",
                         rw_mock_reply_new_json (404, "{\"error\":\"model 'm1' not found\"}"));
  d = run (f);
  g_assert_error (d->error, RW_ERROR, RW_ERROR_BAD_REQUEST);
  g_assert_nonnull (strstr (d->error->message, "not found"));
}

/* A key goes only to its provider's base URL: a redirect elsewhere is an error, never followed,
 * so that the key in the request's headers never reaches another host. */
static void
test_redirect (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(RwMockUpstream) other = rw_mock_upstream_new ();
  g_autofree char *other_url = rw_mock_upstream_dup_base_url (other);
  g_autofree char *location = g_strconcat (other_url, "/chat/completions?via=redirect", NULL);
  g_autofree char *seen = NULL;
  g_autoptr(RwChatResult) r = NULL;
  const guint statuses[] = { 301, 302, 303, 307, 308 };

  rw_mock_upstream_set_default (other, "m1", rw_mock_reply_new_protocol_whole (
                                  f->protocol->protocol, "stolen", 1, 1));
  for (guint i = 0; i < G_N_ELEMENTS (statuses); i++)
    {
      RwMockReply *moved = rw_mock_reply_new (statuses[i], "text/plain", "moved", -1);
      g_autoptr(RwChatResult) moved_result = NULL;

      rw_mock_reply_add_header (moved, "Location", location);
      rw_mock_upstream_push (f->mock, "m1", moved);
      moved_result = run (f);
      g_assert_error (moved_result->error, RW_ERROR, RW_ERROR_BAD_RESPONSE);
      g_assert_cmpint (moved_result->http_status, ==, statuses[i]);
      g_assert_nonnull (strstr (moved_result->error->message, "redirect"));
      g_assert_nonnull (strstr (moved_result->error->message, other_url));
      g_assert_null (strstr (moved_result->error->message, "via=redirect"));
      g_assert_null (strstr (moved_result->error->message, "0123456789abcdef"));
      g_assert_cmpstr (moved_result->text->str, ==, "");
    }
  seen = rw_mock_upstream_dup_last_body (other);
  g_assert_null (seen);

  /* A relative Location is shown resolved; a query, which may carry a key, is not shown. */
  {
    RwMockReply *moved = rw_mock_reply_new (308, "text/plain", "", 0);
    g_autoptr(RwChatResult) moved_result = NULL;
    g_autofree char *expected = g_strdup_printf ("http://127.0.0.1:%u/moved/here",
                                                 rw_mock_upstream_get_port (f->mock));

    rw_mock_reply_add_header (moved, "Location", "/moved/here?key=" TEST_KEY "#top");
    rw_mock_upstream_push (f->mock, "m1", moved);
    moved_result = run (f);
    g_assert_error (moved_result->error, RW_ERROR, RW_ERROR_BAD_RESPONSE);
    g_assert_nonnull (strstr (moved_result->error->message, expected));
    g_assert_null (strstr (moved_result->error->message, "key="));
    g_assert_null (strstr (moved_result->error->message, "0123456789abcdef"));
  }

  /* The provider still answers from where it is. */
  rw_mock_upstream_push (f->mock, "m1", stream (f));
  r = run (f);
  assert_answer (f, r);
}

static void
test_malformed (Fixture       *f,
                gconstpointer  data)
{
  gboolean ndjson = f->protocol->protocol == RW_MOCK_OLLAMA;
  RwMockReply *reply = rw_mock_reply_new (200, ndjson ? "application/x-ndjson" : "text/event-stream",
                                          ndjson ? "{not json}\n" : "data: {not json}\n\n", -1);
  g_autoptr(RwChatResult) r = NULL;

  reply->chunked = TRUE;
  rw_mock_upstream_push (f->mock, "m1", reply);
  r = run (f);
  g_assert_error (r->error, RW_ERROR, RW_ERROR_BAD_RESPONSE);
  g_assert_nonnull (strstr (r->error->message, "malformed JSON"));
}

static void
test_stall (Fixture       *f,
            gconstpointer  data)
{
  RwMockReply *reply = stream (f);
  g_autoptr(RwChatResult) r = NULL;

  reply->stall_at = g_bytes_get_size (reply->body) / 2;
  f->request->idle_timeout_ms = 250;
  f->request->first_token_timeout_ms = 250;
  rw_mock_upstream_push (f->mock, "m1", reply);
  r = run (f);
  g_assert_error (r->error, RW_ERROR, RW_ERROR_TIMEOUT);
}

static void
list_cb (GObject      *object,
         GAsyncResult *res,
         gpointer      user_data)
{
  GError **error = user_data;
  GPtrArray *models = rw_provider_list_models_finish (RW_PROVIDER (object), res, error);

  g_object_set_data_full (object, "listed", models, models ? (GDestroyNotify) g_ptr_array_unref
                                                           : NULL);
  if (models != NULL)
    *error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_EXISTS, "done");
}

/* The provider's model list, or NULL with @error set. */
static GPtrArray *
list_models (Fixture  *f,
             GError  **error)
{
  GPtrArray *models;

  *error = NULL;
  rw_provider_list_models_async (f->provider, NULL, list_cb, error);
  while (*error == NULL)
    g_main_context_iteration (NULL, TRUE);
  models = g_object_steal_data (G_OBJECT (f->provider), "listed");
  if (models != NULL)
    g_clear_error (error);
  return models;
}

/* Each protocol's own model list (what the window's Test shows and offers to add), asked for
 * at the protocol's own path with the key in the protocol's own header, each model once; a
 * refusal says so without the key, a list of more models than any provider has is refused,
 * and a server that never answers is given up on. */
static void
test_list_models (Fixture       *f,
                  gconstpointer  data)
{
  const char *path = NULL, *body = NULL, *want[2] = { NULL, NULL };
  g_autoptr(GPtrArray) models = NULL;
  g_autoptr(GPtrArray) refused = NULL;
  g_autoptr(GPtrArray) hung = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *auth = NULL;
  g_autofree char *x_api_key = NULL;
  g_autofree char *goog = NULL;
  g_autofree char *version = NULL;
  RwMockReply *hang;

  switch (f->protocol->protocol)
    {
    case RW_MOCK_OPENAI:
      path = "GET /v1/models";
      body = "{\"object\":\"list\",\"data\":[{\"id\":\"gpt-x\",\"object\":\"model\"},"
             "{\"id\":\"gpt-y\",\"object\":\"model\"},{\"id\":\"gpt-x\"}]}";
      want[0] = "gpt-x", want[1] = "gpt-y";
      break;
    case RW_MOCK_ANTHROPIC:
      path = "GET /v1/models";
      body = "{\"data\":[{\"type\":\"model\",\"id\":\"claude-x\",\"display_name\":\"Claude X\","
             "\"created_at\":\"2026-02-04T00:00:00Z\",\"max_input_tokens\":200000,"
             "\"capabilities\":{\"image_input\":{\"supported\":true},"
             "\"structured_outputs\":{\"supported\":false},\"thinking\":{\"supported\":true}}},"
             "{\"type\":\"model\",\"id\":\"claude-y\",\"display_name\":\"Claude Y\"},"
             "{\"type\":\"model\",\"id\":\"claude-x\"}],"
             "\"has_more\":false,\"first_id\":\"claude-x\",\"last_id\":\"claude-y\"}";
      want[0] = "claude-x", want[1] = "claude-y";
      break;
    case RW_MOCK_GEMINI:
      path = "GET /v1beta/models";
      body = "{\"models\":[{\"name\":\"models/gemini-x\",\"displayName\":\"Gemini X\","
             "\"inputTokenLimit\":1048576,\"supportedGenerationMethods\":[\"generateContent\","
             "\"countTokens\"]},{\"name\":\"models/text-embedding-004\","
             "\"supportedGenerationMethods\":[\"embedContent\"]},{\"name\":\"models/gemini-y\","
             "\"supportedGenerationMethods\":[\"generateContent\"]},{\"name\":\"models/gemini-x\"}],"
             "\"nextPageToken\":\"\"}";
      want[0] = "gemini-x", want[1] = "gemini-y";
      break;
    case RW_MOCK_OLLAMA:
      path = "GET /api/tags";
      body = "{\"models\":[{\"name\":\"llama3.2:latest\",\"model\":\"llama3.2:latest\","
             "\"size\":2019393189,\"details\":{\"family\":\"llama\"}},"
             "{\"name\":\"qwen2.5:7b\",\"model\":\"qwen2.5:7b\"},{\"name\":\"qwen2.5:7b\"}]}";
      want[0] = "llama3.2:latest", want[1] = "qwen2.5:7b";
      break;
    default:
      g_assert_not_reached ();
    }

  rw_mock_upstream_push (f->mock, path, rw_mock_reply_new_json (200, body));
  models = list_models (f, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (models->len, ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *id = g_strconcat ("p/", want[i], NULL);

      g_assert_cmpstr (rw_model_get_id (models->pdata[i]), ==, id);
      g_assert_cmpstr (rw_model_get_upstream_name (models->pdata[i]), ==, want[i]);
    }
  auth = rw_mock_upstream_dup_last_header (f->mock, "Authorization");
  x_api_key = rw_mock_upstream_dup_last_header (f->mock, "x-api-key");
  goog = rw_mock_upstream_dup_last_header (f->mock, "x-goog-api-key");
  version = rw_mock_upstream_dup_last_header (f->mock, "anthropic-version");
  switch (f->protocol->protocol)
    {
    case RW_MOCK_OPENAI:
      g_assert_cmpstr (auth, ==, "Bearer " TEST_KEY);
      break;
    case RW_MOCK_ANTHROPIC:
      g_assert_cmpstr (x_api_key, ==, TEST_KEY);
      g_assert_cmpstr (version, ==, "2023-06-01");
      g_assert_null (auth);
      g_assert_cmpstr (rw_model_get_display_name (models->pdata[0]), ==, "Claude X");
      g_assert_cmpint (rw_model_get_context_length (models->pdata[0]), ==, 200000);
      g_assert_cmpint (rw_model_lacks (models->pdata[0], RW_MODEL_ALL_CAPABILITIES), ==,
                       RW_MODEL_CAN_JSON_SCHEMA);
      break;
    case RW_MOCK_GEMINI:
      g_assert_cmpstr (goog, ==, TEST_KEY);
      g_assert_null (auth);
      g_assert_cmpstr (rw_model_get_display_name (models->pdata[0]), ==, "Gemini X");
      g_assert_cmpint (rw_model_get_context_length (models->pdata[0]), ==, 1048576);
      break;
    case RW_MOCK_OLLAMA:
      g_assert_null (auth);
      break;
    default:
      g_assert_not_reached ();
    }

  /* A refusal is the provider's word, without the key. */
  rw_mock_upstream_push (f->mock, path,
                         rw_mock_reply_new_json (401, "{\"error\":{\"message\":\"invalid key "
                                                      TEST_KEY "\"}}"));
  refused = list_models (f, &error);
  g_assert_null (refused);
  g_assert_error (error, RW_ERROR, RW_ERROR_AUTH);
  g_assert_nonnull (strstr (error->message, "invalid key"));
  g_assert_null (strstr (error->message, TEST_KEY));
  g_clear_error (&error);

  /* A reply of another shape is an error, not an empty list. */
  rw_mock_upstream_push (f->mock, path, rw_mock_reply_new_json (200, "[1, 2]"));
  g_assert_null (list_models (f, &error));
  g_assert_error (error, RW_ERROR, RW_ERROR_BAD_RESPONSE);
  g_clear_error (&error);

  /* A list beyond any provider's (a server gone wrong) is refused, not read into memory. */
  {
    gboolean data_list = f->protocol->protocol == RW_MOCK_OPENAI ||
                         f->protocol->protocol == RW_MOCK_ANTHROPIC;
    g_autoptr(GString) huge = g_string_new (data_list ? "{\"data\":[" : "{\"models\":[");

    for (guint i = 0; i <= 10000; i++)
      g_string_append_printf (huge, "%s{\"%s\":\"m%u\"}", i ? "," : "",
                              data_list ? "id" : "name", i);
    g_string_append (huge, "]}");
    rw_mock_upstream_push (f->mock, path, rw_mock_reply_new_json (200, huge->str));
    g_assert_null (list_models (f, &error));
    g_assert_error (error, RW_ERROR, RW_ERROR_BAD_RESPONSE);
    g_assert_cmpstr (error->message, ==, "the model list names 10001 models; at most 10000 are read");
    g_clear_error (&error);
  }

  /* A server that takes the request and never answers. */
  hang = rw_mock_reply_new_json (200, body);
  hang->hang = TRUE;
  rw_mock_upstream_push (f->mock, path, hang);
  g_object_set (f->provider, "list-timeout", 200, NULL);
  hung = list_models (f, &error);
  g_assert_null (hung);
  g_assert_error (error, RW_ERROR, RW_ERROR_TIMEOUT);
  g_assert_cmpstr (error->message, ==, "no model list within 0.2 s");
}

/* The entry's "headers" go with every request of every protocol, chats and model lists alike
 * (a gateway's own header, Anthropic's beta flags), beside the key in the protocol's own
 * header; a header that would carry a key is refused, as is a name that is no header's. */
static void
test_configured_headers (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(JsonNode) config = json_from_string ("{\"headers\": {\"X-Gateway\": \"g-1\", "
                                                 "\"anthropic-beta\": \"beta-1\"}}", NULL);
  g_autoptr(RwChatResult) r = NULL;
  g_autoptr(GPtrArray) models = NULL;
  g_autoptr(GError) error = NULL;
  static const char * const refused[] = {
    "{\"headers\": {\"X-Api-Key\": \"sk-1\"}}",
    "{\"headers\": {\"authorization\": \"Bearer sk-1\"}}",
    "{\"headers\": {\"x-goog-api-key\": \"k\"}}",
    "{\"headers\": {\"Bad Name\": \"v\"}}",
    "{\"headers\": {\"X-Split\": \"a\\r\\nX-Injected: b\"}}",
    "{\"headers\": {\"X-Number\": 5}}",
    "{\"headers\": [\"X-A\"]}",
  };

  g_assert_true (rw_provider_configure (f->provider, json_node_get_object (config), &error));
  g_assert_no_error (error);
  rw_mock_upstream_push (f->mock, "m1", stream (f));
  r = run (f);
  assert_answer (f, r);
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *gateway = NULL;
      g_autofree char *beta = NULL;

      if (i == 1)
        {
          const char *path = f->protocol->protocol == RW_MOCK_OLLAMA ? "GET /api/tags"
                             : f->protocol->protocol == RW_MOCK_GEMINI ? "GET /v1beta/models"
                             : "GET /v1/models";
          const char *body = f->protocol->protocol == RW_MOCK_GEMINI ||
                             f->protocol->protocol == RW_MOCK_OLLAMA ? "{\"models\": []}"
                                                                     : "{\"data\": []}";

          rw_mock_upstream_push (f->mock, path, rw_mock_reply_new_json (200, body));
          models = list_models (f, &error);
          g_assert_no_error (error);
        }
      gateway = rw_mock_upstream_dup_last_header (f->mock, "X-Gateway");
      beta = rw_mock_upstream_dup_last_header (f->mock, "anthropic-beta");
      g_assert_cmpstr (gateway, ==, "g-1");
      g_assert_cmpstr (beta, ==, "beta-1");
    }

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(JsonNode) bad = json_from_string (refused[i], NULL);
      g_autoptr(GError) local = NULL;

      g_assert_false (rw_provider_configure (f->provider, json_node_get_object (bad), &local));
      g_assert_error (local, RW_ERROR, RW_ERROR_CONFIG);
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  /* Upstreams on this machine are spoken to directly; the same faults are also run through
   * libsoup, the client every remote upstream gets. */
  if (g_strcmp0 (g_getenv ("RW_TEST_HTTP_CLIENT"), "libsoup") == 0)
    _rw_http_set_direct (FALSE);

  for (guint i = 0; i < G_N_ELEMENTS (protocols); i++)
    {
#define ADD(test, func) G_STMT_START { \
        g_autofree char *path = g_strdup_printf ("/Rw/Protocol/%s/" test, protocols[i].name); \
        g_test_add (path, Fixture, &protocols[i], fixture_setup, func, fixture_teardown); \
      } G_STMT_END
      ADD ("stream", test_stream);
      ADD ("odd-chunks", test_odd_chunks);
      ADD ("whole", test_whole);
      ADD ("cut", test_cut);
      ADD ("errors", test_errors);
      ADD ("malformed", test_malformed);
      ADD ("redirect", test_redirect);
      ADD ("stall", test_stall);
      ADD ("list-models", test_list_models);
      ADD ("configured-headers", test_configured_headers);
#undef ADD
    }
  return g_test_run ();
}
