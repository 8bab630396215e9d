/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <libsoup/soup.h>
#include <routewise-engine.h>

#include "rw-mock-upstream.h"
#include "rw-test-fixtures.h"
#include "rw-test-util.h"

/*
 * The endpoint carries the whole Chat Completions API: every field of a request reaches an
 * OpenAI-compatible upstream as the caller sent it, and the answer comes back whole (tool
 * calls, several choices, refusals, log probabilities, the fingerprint, usage details), in
 * one piece and streamed.
 */

#define TOKEN "rw-server-api-test-token-0123456789"

typedef struct
{
  RwTestWorld *world;
  RwServer *server;
  SoupSession *session;
  char *url;
} Fixture;

/* A tool-calling answer as OpenAI streams it: the first piece of each call carries its id,
 * type and name, the arguments follow in pieces. */
static const char * const tool_events[] = {
  "{\"id\":\"u1\",\"object\":\"chat.completion.chunk\",\"system_fingerprint\":\"fp_mock\","
  "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null,"
  "\"tool_calls\":[{\"index\":0,\"id\":\"call_weather\",\"type\":\"function\","
  "\"function\":{\"name\":\"get_weather\",\"arguments\":\"\"}}]},\"finish_reason\":null}]}",
  "{\"id\":\"u1\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
  "\"function\":{\"arguments\":\"{\\\"city\\\":\"}}]},\"finish_reason\":null}]}",
  "{\"id\":\"u1\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,"
  "\"function\":{\"arguments\":\"\\\"Paris\\\"}\"}}]},\"finish_reason\":null}]}",
  "{\"id\":\"u1\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,"
  "\"id\":\"call_time\",\"type\":\"function\",\"function\":{\"name\":\"get_time\","
  "\"arguments\":\"{}\"}}]},\"finish_reason\":null}]}",
  "{\"id\":\"u1\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}",
  "{\"id\":\"u1\",\"choices\":[],\"usage\":{\"prompt_tokens\":20,\"completion_tokens\":9,"
  "\"total_tokens\":29,\"completion_tokens_details\":{\"reasoning_tokens\":3}}}",
  "[DONE]",
  NULL
};

/* Two choices, interleaved, the second refusing; log probabilities on the first. */
static const char * const two_events[] = {
  "{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}},"
  "{\"index\":1,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}",
  "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Yes\"},\"logprobs\":{\"content\":"
  "[{\"token\":\"Yes\",\"logprob\":-0.25,\"bytes\":[89,101,115],\"top_logprobs\":[]}]}}]}",
  "{\"choices\":[{\"index\":1,\"delta\":{\"refusal\":\"I can't \"}}]}",
  "{\"choices\":[{\"index\":1,\"delta\":{\"refusal\":\"help with that.\"}}]}",
  "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\".\"},\"logprobs\":{\"content\":"
  "[{\"token\":\".\",\"logprob\":-0.5,\"bytes\":[46],\"top_logprobs\":[]}]}}]}",
  "{\"choices\":[{\"index\":1,\"delta\":{},\"finish_reason\":\"stop\"}]}",
  "{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}]}",
  "{\"choices\":[],\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":6,\"total_tokens\":10}}",
  "[DONE]",
  NULL
};

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->world = rw_test_world_new (
    "{\"providers\": [{\"id\": \"mock\", \"kind\": \"openai\", \"base_url\": \"$URL\"},"
    "                {\"id\": \"anth\", \"kind\": \"anthropic\", \"base_url\": \"$URL\"},"
    "                {\"id\": \"gem\", \"kind\": \"gemini\", \"base_url\": \"$URL\"},"
    "                {\"id\": \"oll\", \"kind\": \"ollama\", \"base_url\": \"$URL\"},"
    "                {\"id\": \"recorded\", \"kind\": \"recorded\", \"speed\": 0}],"
    " \"models\": [{\"id\": \"mock/tools\", \"provider\": \"mock\", \"name\": \"tools\"},"
    "              {\"id\": \"mock/two\", \"provider\": \"mock\", \"name\": \"two\","
    "               \"capabilities\": {\"tools\": false, \"images\": true}},"
    "              {\"id\": \"anth/claude\", \"provider\": \"anth\", \"name\": \"claude\"},"
    "              {\"id\": \"gem/gemini\", \"provider\": \"gem\", \"name\": \"gemini\"},"
    "              {\"id\": \"oll/llama\", \"provider\": \"oll\", \"name\": \"llama\"}]}",
    TRUE);
  rw_mock_upstream_set_default (f->world->mock, "tools", rw_mock_reply_new_events (tool_events));
  rw_mock_upstream_set_default (f->world->mock, "two", rw_mock_reply_new_events (two_events));
  f->server = rw_server_new (f->world->router, TOKEN);
  g_assert_true (rw_server_listen (f->server, 0, &error));
  g_assert_no_error (error);
  f->url = g_strdup_printf ("http://127.0.0.1:%u/v1/chat/completions",
                            rw_server_get_port (f->server));
  f->session = soup_session_new ();
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_object_unref (f->session);
  rw_server_stop (f->server);
  g_object_unref (f->server);
  rw_test_world_free (f->world);
  g_free (f->url);
}

static JsonObject *
post_to (Fixture    *f,
         const char *path,
         const char *body,
         guint       status,
         char      **raw)
{
  g_autofree char *out = NULL;
  g_autofree char *url = g_strdup_printf ("%.*s%s", (int) (strlen (f->url) -
                                                            strlen ("/chat/completions")),
                                          f->url, path);
  g_autoptr(SoupMessage) msg = rw_test_http (f->session, "POST", url, TOKEN, body, &out);
  g_autoptr(JsonNode) node = NULL;

  g_test_message ("reply: %s", out);
  g_assert_cmpuint (soup_message_get_status (msg), ==, status);
  if (raw != NULL)
    {
      *raw = g_steal_pointer (&out);
      return NULL;
    }
  node = json_from_string (out, NULL);
  g_assert_nonnull (node);
  return json_object_ref (json_node_get_object (node));
}

static JsonObject *
post (Fixture    *f,
      const char *body,
      guint       status,
      char      **raw)
{
  return post_to (f, "/chat/completions", body, status, raw);
}

/* Every field of OpenAI's request reference, and one no reference knows, reaches the upstream
 * as sent: the same JSON value, member by member. Messages keep their parts, tool calls, tool
 * call ids and names. */
static void
test_fields_reach_upstream (Fixture       *f,
                            gconstpointer  data)
{
  static const char request[] =
    "{\"model\": \"mock/tools\","
    " \"messages\": ["
    "  {\"role\": \"developer\", \"content\": \"Be brief.\", \"name\": \"ops\"},"
    "  {\"role\": \"user\", \"content\": ["
    "    {\"type\": \"text\", \"text\": \"What is in this picture, and the weather?\"},"
    "    {\"type\": \"image_url\", \"image_url\": {\"url\": \"data:image/png;base64,iVBORw0KGgo=\","
    "     \"detail\": \"low\"}},"
    "    {\"type\": \"input_audio\", \"input_audio\": {\"data\": \"UklGRg==\", \"format\": \"wav\"}}]},"
    "  {\"role\": \"assistant\", \"content\": null, \"tool_calls\": [{\"id\": \"call_1\","
    "   \"type\": \"function\", \"function\": {\"name\": \"get_weather\","
    "   \"arguments\": \"{\\\"city\\\":\\\"Paris\\\"}\"}}]},"
    "  {\"role\": \"tool\", \"tool_call_id\": \"call_1\", \"content\": \"18 C\"}],"
    " \"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"get_weather\","
    "   \"description\": \"The weather in a city\", \"strict\": true,"
    "   \"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}},"
    "   \"required\": [\"city\"], \"additionalProperties\": false}}}],"
    " \"tool_choice\": {\"type\": \"function\", \"function\": {\"name\": \"get_weather\"}},"
    " \"parallel_tool_calls\": false,"
    " \"response_format\": {\"type\": \"json_schema\", \"json_schema\": {\"name\": \"answer\","
    "   \"strict\": true, \"schema\": {\"type\": \"object\", \"properties\": {\"text\":"
    "   {\"type\": \"string\"}}, \"required\": [\"text\"], \"additionalProperties\": false}}},"
    " \"n\": 1, \"stop\": [\"END\", \"STOP\"], \"seed\": 42, \"top_p\": 0.9,"
    " \"presence_penalty\": 0.5, \"frequency_penalty\": -0.25, \"logit_bias\": {\"50256\": -100},"
    " \"logprobs\": true, \"top_logprobs\": 2, \"user\": \"user-7\","
    " \"metadata\": {\"team\": \"search\"}, \"store\": false, \"service_tier\": \"auto\","
    " \"reasoning_effort\": \"low\", \"modalities\": [\"text\"], \"verbosity\": \"low\","
    " \"prediction\": {\"type\": \"content\", \"content\": \"18 C\"},"
    " \"web_search_options\": {\"search_context_size\": \"low\"},"
    " \"prompt_cache_key\": \"k1\", \"safety_identifier\": \"s1\","
    " \"max_completion_tokens\": 300, \"temperature\": 0.5,"
    " \"x_vendor_option\": {\"nested\": [1, 2.5, \"three\", null]},"
    " \"stream\": false}";
  g_autoptr(JsonObject) reply = post (f, request, 200, NULL);
  g_autofree char *sent = rw_mock_upstream_dup_last_body (f->world->mock);
  g_autoptr(JsonNode) given = json_from_string (request, NULL);
  g_autoptr(JsonNode) got = json_from_string (sent, NULL);
  JsonObject *in = json_node_get_object (given);
  JsonObject *up = json_node_get_object (got);
  g_autoptr(GList) names = json_object_get_members (in);
  guint checked = 0;

  g_assert_nonnull (reply);
  g_test_message ("upstream got: %s", sent);
  for (GList *l = names; l != NULL; l = l->next)
    {
      const char *name = l->data;

      if (g_str_equal (name, "stream") || g_str_equal (name, "model"))
        continue;
      if (!json_object_has_member (up, name))
        g_error ("“%s” did not reach the upstream", name);
      if (!json_node_equal (json_object_get_member (in, name), json_object_get_member (up, name)))
        {
          g_autofree char *a = rw_json_to_string (json_object_get_member (in, name), FALSE);
          g_autofree char *b = rw_json_to_string (json_object_get_member (up, name), FALSE);
          g_error ("“%s” changed on its way: %s became %s", name, a, b);
        }
      checked++;
    }
  g_assert_cmpuint (checked, ==, json_object_get_size (in) - 2);
  g_assert_cmpstr (json_object_get_string_member (up, "model"), ==, "tools");
  g_assert_false (json_object_has_member (up, "max_tokens"));
}

static JsonObject *
choice_message (JsonObject *reply,
                guint       i)
{
  JsonArray *choices = json_object_get_array_member (reply, "choices");
  return json_object_get_object_member (json_array_get_object_element (choices, i), "message");
}

/* An upstream's tool calls come back in a whole answer: ids, names, arguments joined from
 * their pieces, no content, finish_reason "tool_calls", the fingerprint and usage details. */
static void
test_tool_calls_whole (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(JsonObject) reply = post (
    f, "{\"model\": \"mock/tools\", \"messages\": [{\"role\": \"user\", \"content\": \"Weather?\"}],"
       " \"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"get_weather\"}}]}",
    200, NULL);
  JsonObject *message = choice_message (reply, 0);
  JsonArray *calls = json_object_get_array_member (message, "tool_calls");
  JsonObject *first, *second;
  JsonObject *usage = json_object_get_object_member (reply, "usage");

  g_assert_true (json_node_is_null (json_object_get_member (message, "content")));
  g_assert_cmpuint (json_array_get_length (calls), ==, 2);
  first = json_array_get_object_element (calls, 0);
  second = json_array_get_object_element (calls, 1);
  g_assert_cmpstr (json_object_get_string_member (first, "id"), ==, "call_weather");
  g_assert_cmpstr (json_object_get_string_member (first, "type"), ==, "function");
  g_assert_cmpstr (json_object_get_string_member (
                     json_object_get_object_member (first, "function"), "name"), ==, "get_weather");
  g_assert_cmpstr (json_object_get_string_member (
                     json_object_get_object_member (first, "function"), "arguments"), ==,
                   "{\"city\":\"Paris\"}");
  g_assert_cmpstr (json_object_get_string_member (second, "id"), ==, "call_time");
  g_assert_cmpstr (json_object_get_string_member (
                     json_object_get_object_member (second, "function"), "arguments"), ==, "{}");
  g_assert_cmpstr (json_object_get_string_member (
                     json_array_get_object_element (
                       json_object_get_array_member (reply, "choices"), 0), "finish_reason"),
                   ==, "tool_calls");
  g_assert_cmpstr (json_object_get_string_member (reply, "system_fingerprint"), ==, "fp_mock");
  g_assert_cmpint (json_object_get_int_member (usage, "total_tokens"), ==, 29);
  g_assert_cmpint (json_object_get_int_member (
                     json_object_get_object_member (usage, "completion_tokens_details"),
                     "reasoning_tokens"), ==, 3);
}

/* Each `data:` line of a streamed reply, parsed, up to [DONE]. */
static GPtrArray *
stream_chunks (const char *raw)
{
  GPtrArray *chunks = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_auto(GStrv) lines = g_strsplit (raw, "\n", -1);
  gboolean done = FALSE;

  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(JsonNode) node = NULL;

      if (!g_str_has_prefix (lines[i], "data: "))
        continue;
      if (g_str_equal (lines[i] + 6, "[DONE]"))
        {
          done = TRUE;
          continue;
        }
      g_assert_false (done);
      node = json_from_string (lines[i] + 6, NULL);
      g_assert_nonnull (node);
      g_ptr_array_add (chunks, json_object_ref (json_node_get_object (node)));
    }
  g_assert_true (done);
  return chunks;
}

/* Streamed, the tool calls come as tool-call deltas, the way OpenAI sends them: the first
 * piece of each with its index, id, type and name, then pieces of its arguments. */
static void
test_tool_calls_streamed (Fixture       *f,
                          gconstpointer  data)
{
  g_autofree char *raw = NULL;
  g_autoptr(GPtrArray) chunks = NULL;
  g_autoptr(GString) args0 = g_string_new (NULL);
  const char *id0 = NULL, *id1 = NULL, *name1 = NULL, *finish = NULL, *type0 = NULL;
  gint64 total = -1;

  post (f, "{\"model\": \"mock/tools\", \"stream\": true, \"stream_options\": {\"include_usage\":"
           " true}, \"messages\": [{\"role\": \"user\", \"content\": \"Weather?\"}]}", 200, &raw);
  chunks = stream_chunks (raw);
  for (guint i = 0; i < chunks->len; i++)
    {
      JsonObject *chunk = chunks->pdata[i];
      JsonArray *choices = json_object_get_array_member (chunk, "choices");

      if (json_object_has_member (chunk, "usage") && !json_node_is_null (
            json_object_get_member (chunk, "usage")))
        total = json_object_get_int_member (json_object_get_object_member (chunk, "usage"),
                                            "total_tokens");
      for (guint c = 0; c < json_array_get_length (choices); c++)
        {
          JsonObject *choice = json_array_get_object_element (choices, c);
          JsonObject *delta = json_object_get_object_member (choice, "delta");
          JsonArray *calls = json_object_has_member (delta, "tool_calls")
                             ? json_object_get_array_member (delta, "tool_calls") : NULL;

          if (!json_node_is_null (json_object_get_member (choice, "finish_reason")))
            finish = json_object_get_string_member (choice, "finish_reason");
          for (guint k = 0; calls != NULL && k < json_array_get_length (calls); k++)
            {
              JsonObject *call = json_array_get_object_element (calls, k);
              JsonObject *fn = json_object_get_object_member (call, "function");
              gint64 index = json_object_get_int_member (call, "index");

              if (index == 0 && json_object_has_member (call, "id"))
                {
                  g_assert_null (id0);
                  id0 = json_object_get_string_member (call, "id");
                  type0 = json_object_get_string_member (call, "type");
                }
              if (index == 0)
                g_string_append (args0, json_object_get_string_member (fn, "arguments"));
              if (index == 1)
                {
                  id1 = json_object_get_string_member (call, "id");
                  name1 = json_object_get_string_member (fn, "name");
                }
            }
        }
    }
  g_assert_cmpstr (id0, ==, "call_weather");
  g_assert_cmpstr (type0, ==, "function");
  g_assert_cmpstr (args0->str, ==, "{\"city\":\"Paris\"}");
  g_assert_cmpstr (id1, ==, "call_time");
  g_assert_cmpstr (name1, ==, "get_time");
  g_assert_cmpstr (finish, ==, "tool_calls");
  g_assert_cmpint (total, ==, 29);
}

/* n = 2: both choices come back, with their own text or refusal, log probabilities and finish
 * reason, whole and streamed. */
static void
test_two_choices (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(JsonObject) reply = post (
    f, "{\"model\": \"mock/two\", \"n\": 2, \"logprobs\": true,"
       " \"messages\": [{\"role\": \"user\", \"content\": \"Well?\"}]}", 200, NULL);
  JsonArray *choices = json_object_get_array_member (reply, "choices");
  JsonObject *c0 = json_array_get_object_element (choices, 0);
  JsonObject *c1 = json_array_get_object_element (choices, 1);
  JsonArray *lp = json_object_get_array_member (json_object_get_object_member (c0, "logprobs"),
                                                "content");
  g_autofree char *raw = NULL;
  g_autoptr(GPtrArray) chunks = NULL;
  g_autoptr(GString) text1 = g_string_new (NULL);
  guint role1 = 0;
  const char *finish1 = NULL;

  g_assert_cmpuint (json_array_get_length (choices), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (choice_message (reply, 0), "content"), ==, "Yes.");
  g_assert_cmpstr (json_object_get_string_member (c0, "finish_reason"), ==, "length");
  g_assert_cmpuint (json_array_get_length (lp), ==, 2);
  g_assert_cmpfloat (json_object_get_double_member (json_array_get_object_element (lp, 1),
                                                    "logprob"), ==, -0.5);
  g_assert_cmpint (json_object_get_int_member (c1, "index"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (choice_message (reply, 1), "refusal"), ==,
                   "I can't help with that.");
  g_assert_cmpstr (json_object_get_string_member (c1, "finish_reason"), ==, "stop");

  post (f, "{\"model\": \"mock/two\", \"n\": 2, \"stream\": true,"
           " \"messages\": [{\"role\": \"user\", \"content\": \"Well?\"}]}", 200, &raw);
  chunks = stream_chunks (raw);
  for (guint i = 0; i < chunks->len; i++)
    {
      JsonArray *list = json_object_get_array_member (chunks->pdata[i], "choices");

      for (guint c = 0; c < json_array_get_length (list); c++)
        {
          JsonObject *choice = json_array_get_object_element (list, c);
          JsonObject *delta = json_object_get_object_member (choice, "delta");

          if (json_object_get_int_member (choice, "index") != 1)
            continue;
          if (json_object_has_member (delta, "role"))
            role1++;
          if (json_object_has_member (delta, "refusal"))
            g_string_append (text1, json_object_get_string_member (delta, "refusal"));
          if (!json_node_is_null (json_object_get_member (choice, "finish_reason")))
            finish1 = json_object_get_string_member (choice, "finish_reason");
        }
    }
  g_assert_cmpuint (role1, ==, 1);
  g_assert_cmpstr (text1->str, ==, "I can't help with that.");
  g_assert_cmpstr (finish1, ==, "stop");
}

/* A value the endpoint itself must read and cannot: a 400 that names it. */
static void
test_bad_n (Fixture       *f,
            gconstpointer  data)
{
  g_autofree char *raw = NULL;

  post (f, "{\"model\": \"mock/two\", \"n\": 0, \"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}",
        400, &raw);
  g_assert_nonnull (strstr (raw, "“n”"));
  g_clear_pointer (&raw, g_free);
  post (f, "{\"model\": \"mock/two\", \"n\": \"2\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}",
        400, &raw);
  g_assert_cmpuint (rw_mock_upstream_count (f->world->mock, "two"), ==, 0);
}

/* The "param" member of an error reply, as OpenAI's clients read it (err.param); NULL for null.
 * The string lives as long as the test's process: it is only compared. */
static const char *
error_param (const char *raw)
{
  g_autoptr(JsonNode) root = rw_json_parse (raw, strlen (raw), NULL);
  JsonObject *error;
  JsonNode *param;

  g_assert_nonnull (root);
  error = json_object_get_object_member (json_node_get_object (root), "error");
  g_assert_nonnull (error);
  g_assert_true (json_object_has_member (error, "param"));
  param = json_object_get_member (error, "param");
  if (JSON_NODE_HOLDS_NULL (param))
    return NULL;
  return g_intern_string (json_node_get_string (param));
}

/* The other members the endpoint reads itself: one of the wrong kind or out of range is a 400
 * that names it, on both endpoints, never a request sent on without it (a temperature of
 * "hot" went upstream as the default, a max_tokens of -5 as no limit). */
static void
test_bad_values (Fixture       *f,
                 gconstpointer  data)
{
  static const struct
  {
    const char *path, *member, *value;
  } bad[] = {
    { "/chat/completions", "temperature", "\"hot\"" },
    { "/chat/completions", "temperature", "2.5" },
    { "/chat/completions", "temperature", "-0.1" },
    { "/chat/completions", "max_tokens", "-5" },
    { "/chat/completions", "max_tokens", "0" },
    { "/chat/completions", "max_completion_tokens", "1.5" },
    { "/chat/completions", "max_completion_tokens", "\"100\"" },
    { "/chat/completions", "stream", "\"yes\"" },
    { "/responses", "temperature", "[1]" },
    { "/responses", "max_output_tokens", "0" },
    { "/responses", "stream", "1" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autofree char *raw = NULL;
      g_autofree char *quoted = g_strdup_printf ("“%s”", bad[i].member);
      g_autofree char *body = g_strdup_printf ("{\"model\": \"mock/two\", \"%s\": %s, %s}",
                                               bad[i].member, bad[i].value,
                                               g_str_equal (bad[i].path, "/responses")
                                               ? "\"input\": \"x\""
                                               : "\"messages\": [{\"role\": \"user\", "
                                                 "\"content\": \"x\"}]");

      post_to (f, bad[i].path, body, 400, &raw);
      if (strstr (raw, quoted) == NULL)
        g_error ("%s %s: %s", bad[i].path, body, raw);
      g_assert_cmpstr (error_param (raw), ==, bad[i].member);
    }
  g_assert_cmpuint (rw_mock_upstream_count (f->world->mock, "two"), ==, 0);

  /* At the edges, and null as the default, they go through. */
  json_object_unref (post (f, "{\"model\": \"mock/two\", \"temperature\": 2, \"max_tokens\": 1.0,"
                              " \"stream\": null, \"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}",
                           200, NULL));
  g_assert_cmpuint (rw_mock_upstream_count (f->world->mock, "two"), ==, 1);
  {
    g_autofree char *sent = rw_mock_upstream_dup_last_body (f->world->mock);

    g_assert_nonnull (strstr (sent, "\"temperature\":2"));
    g_assert_nonnull (strstr (sent, "\"max_tokens\":1"));
  }
}

/* A refused request names the member it is about in "param", as a path, the way OpenAI's
 * errors do; one the upstream refused keeps the upstream's own "param". */
static void
test_error_param (Fixture       *f,
                  gconstpointer  data)
{
  static const struct
  {
    const char *path, *body, *param;
  } cases[] = {
    { "/chat/completions", "{\"messages\": []}", "model" },
    { "/chat/completions", "{\"model\": \"mock/two\", \"messages\": {}}", "messages" },
    { "/chat/completions", "{\"model\": \"mock/two\", \"messages\": []}", "messages" },
    { "/chat/completions", "{\"model\": \"mock/two\", \"messages\": [{\"role\": \"user\", "
      "\"content\": \"x\"}, 7]}", "messages[1]" },
    { "/chat/completions", "{\"model\": \"mock/two\", \"messages\": [{\"content\": \"x\"}]}",
      "messages[0].role" },
    { "/chat/completions", "{\"model\": \"mock/two\", \"messages\": [{\"role\": \"user\", "
      "\"content\": \"x\"}, {\"role\": \"user\", \"content\": 5}]}", "messages[1].content" },
    { "/chat/completions", "{\"model\": \"mock/two\", \"n\": 0, \"messages\": [{\"role\": "
      "\"user\", \"content\": \"x\"}]}", "n" },
    { "/chat/completions", "{\"model\": \"mock/two\", \"messages\": [{\"role\": \"user\", "
      "\"content\": \"x\"}]", NULL },
    { "/responses", "{\"input\": \"x\"}", "model" },
    { "/responses", "{\"model\": \"mock/two\"}", "input" },
    { "/responses", "{\"model\": \"mock/two\", \"input\": [{\"role\": \"user\"}]}",
      "input[0].content" },
    { "/responses", "{\"model\": \"mock/two\", \"input\": [{\"type\": \"reasoning\"}]}",
      "input[0].type" },
    { "/responses", "{\"model\": \"mock/two\", \"input\": \"x\", \"truncation\": \"auto\"}",
      "truncation" },
    { "/responses", "{\"model\": \"mock/two\", \"input\": \"x\", \"previous_response_id\": "
      "\"resp_unknown\"}", "previous_response_id" },
  };
  g_autofree char *raw = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_clear_pointer (&raw, g_free);
      post_to (f, cases[i].path, cases[i].body, 400, &raw);
      if (g_strcmp0 (error_param (raw), cases[i].param) != 0)
        g_error ("%s %s: %s", cases[i].path, cases[i].body, raw);
    }
  g_assert_cmpuint (rw_mock_upstream_count (f->world->mock, "two"), ==, 0);

  /* The upstream's own refusal keeps its param, on both endpoints and streaming or not. */
  rw_mock_upstream_set_default (f->world->mock, "two", rw_mock_reply_new_json (
    400, "{\"error\": {\"message\": \"Invalid 'tools[0].function.name': string does not match "
         "pattern.\", \"type\": \"invalid_request_error\", \"param\": "
         "\"tools[0].function.name\", \"code\": \"invalid_value\"}}"));
  g_clear_pointer (&raw, g_free);
  post (f, "{\"model\": \"mock/two\", \"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}",
        400, &raw);
  g_assert_cmpstr (error_param (raw), ==, "tools[0].function.name");
  g_assert_nonnull (strstr (raw, "does not match pattern"));
  g_clear_pointer (&raw, g_free);
  post_to (f, "/responses", "{\"model\": \"mock/two\", \"input\": \"x\"}", 400, &raw);
  g_assert_cmpstr (error_param (raw), ==, "tools[0].function.name");
}

/* The conversations kept for previous_response_id are bounded in number and in bytes, the
 * oldest going first; one larger than the bound is not kept; a turn past them is a 400 that
 * says so. */
static void
test_responses_kept_bounded (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *big = g_strnfill (3000, 'x');
  g_autofree char *raw = NULL;

  /* A server of its own, bounded to 3 conversations and 8,000 bytes of their text. */
  rw_server_stop (f->server);
  g_object_unref (f->server);
  f->server = rw_server_new (f->world->router, TOKEN);
  rw_server_set_responses_kept (f->server, 3, 8000);
  g_assert_true (rw_server_listen (f->server, 0, &error));
  g_free (f->url);
  f->url = g_strdup_printf ("http://127.0.0.1:%u/v1/chat/completions",
                            rw_server_get_port (f->server));

  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"model\": \"mock/two\", \"input\": \"turn %u\"}", i);
      g_autoptr(JsonObject) r = post_to (f, "/responses", body, 200, NULL);

      g_ptr_array_add (ids, g_strdup (json_object_get_string_member (r, "id")));
    }
  /* The last three by number: the first two are gone. */
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"model\": \"mock/two\", \"previous_response_id\": "
                                               "\"%s\", \"input\": \"next\"}",
                                               (char *) ids->pdata[i]);
      g_clear_pointer (&raw, g_free);
      if (i < 2)
        {
          post_to (f, "/responses", body, 400, &raw);
          g_assert_nonnull (strstr (raw, "is not known"));
          g_assert_nonnull (strstr (raw, "the last 3 responses"));
        }
      else
        json_object_unref (post_to (f, "/responses", body, 200, NULL));
    }

  /* Three of 3,000 bytes do not fit in 8,000: the oldest goes though there are fewer than 3. */
  g_ptr_array_set_size (ids, 0);
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"model\": \"mock/two\", \"input\": \"%u%s\"}",
                                               i, big);
      g_autoptr(JsonObject) r = post_to (f, "/responses", body, 200, NULL);

      g_ptr_array_add (ids, g_strdup (json_object_get_string_member (r, "id")));
    }
  for (guint i = 0; i < 3; i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"model\": \"mock/two\", \"previous_response_id\": "
                                               "\"%s\", \"input\": \"next\"}",
                                               (char *) ids->pdata[i]);
      g_clear_pointer (&raw, g_free);
      post_to (f, "/responses", body, i == 0 ? 400 : 200, &raw);
    }

  /* One larger than the bound is answered, and not kept. */
  {
    g_autofree char *huge = g_strnfill (9000, 'y');
    g_autofree char *body = g_strdup_printf ("{\"model\": \"mock/two\", \"input\": \"%s\"}", huge);
    g_autoptr(JsonObject) r = post_to (f, "/responses", body, 200, NULL);
    g_autofree char *next = g_strdup_printf ("{\"model\": \"mock/two\", \"previous_response_id\": "
                                             "\"%s\", \"input\": \"next\"}",
                                             json_object_get_string_member (r, "id"));

    g_clear_pointer (&raw, g_free);
    post_to (f, "/responses", next, 400, &raw);
    g_assert_nonnull (strstr (raw, "is not known"));
  }
}

/* What is stored of a tool-calling request: the messages whole, so that the same prompt with
 * other tools, or another image, is another prompt; and the answer's tool calls. */
static void
test_stored_whole (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *messages = NULL;
  g_autoptr(JsonObject) r1 = post (
    f, "{\"model\": \"mock/tools\", \"messages\": [{\"role\": \"user\", \"content\": [{\"type\":"
       " \"text\", \"text\": \"Look\"}, {\"type\": \"image_url\", \"image_url\": {\"url\":"
       " \"https://example.invalid/a.png\"}}]}]}", 200, NULL);
  g_autoptr(JsonObject) r2 = post (
    f, "{\"model\": \"mock/tools\", \"messages\": [{\"role\": \"user\", \"content\": [{\"type\":"
       " \"text\", \"text\": \"Look\"}, {\"type\": \"image_url\", \"image_url\": {\"url\":"
       " \"https://example.invalid/b.png\"}}]}]}", 200, NULL);

  g_assert_true (rw_store_flush (f->world->store, &error));
  g_assert_no_error (error);
  g_assert_cmpint (rw_test_db_int (f->world->db->path, "SELECT count(*) FROM prompts"), ==, 2);
  messages = rw_test_db_text (f->world->db->path, "SELECT messages FROM prompts LIMIT 1");
  g_assert_nonnull (strstr (messages, "image_url"));
}

/* A field or a message part a protocol cannot carry is never dropped: the model is passed
 * over for the next candidate that can take the request, and when none can, a 400 names the
 * field and the model. */
static void
test_uncarried_refused (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(RwPolicy) policy = rw_policy_new ();
  const char *fallbacks[] = { "mock/tools", NULL };
  g_autofree char *raw = NULL;
  g_autoptr(JsonObject) served = NULL;

  post (f, "{\"model\": \"anth/claude\", \"logit_bias\": {\"1\": 5},"
           " \"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}", 400, &raw);
  g_assert_nonnull (strstr (raw, "“logit_bias”"));
  g_assert_nonnull (strstr (raw, "anth/claude"));
  g_clear_pointer (&raw, g_free);
  post (f, "{\"model\": \"anth/claude\", \"messages\": [{\"role\": \"user\", \"content\": ["
           "{\"type\": \"text\", \"text\": \"Listen\"}, {\"type\": \"input_audio\","
           " \"input_audio\": {\"data\": \"UklGRg==\", \"format\": \"wav\"}}]}]}", 400, &raw);
  g_assert_nonnull (strstr (raw, "messages[0].content[1] (input_audio)"));
  g_assert_cmpuint (rw_mock_upstream_count (f->world->mock, "claude"), ==, 0);

  /* Text parts alone are text: they go, joined. */
  rw_mock_upstream_set_default (f->world->mock, "claude",
                                rw_mock_reply_new_protocol_stream (RW_MOCK_ANTHROPIC,
                                                                   (const char *[]) { "Hi", NULL },
                                                                   3, 1));
  g_clear_pointer (&raw, g_free);
  post (f, "{\"model\": \"anth/claude\", \"messages\": [{\"role\": \"user\", \"content\": ["
           "{\"type\": \"text\", \"text\": \"Hel\"}, {\"type\": \"text\", \"text\": \"lo\"}]}]}",
        200, &raw);
  g_assert_cmpuint (rw_mock_upstream_count (f->world->mock, "claude"), ==, 1);

  /* With a fallback that can, the request goes there. */
  rw_policy_set_fallbacks (policy, "anth/claude", fallbacks);
  rw_router_set_policy (f->world->router, policy);
  served = post (f, "{\"model\": \"anth/claude\", \"logit_bias\": {\"1\": 5},"
                    " \"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}", 200, NULL);
  g_assert_cmpstr (json_object_get_string_member (served, "model"), ==, "mock/tools");
  g_assert_cmpuint (rw_mock_upstream_count (f->world->mock, "claude"), ==, 1);
}

/* A recording without an answer to the prompt is a miss the router falls past, as it falls
 * past a model that cannot take the request; with nothing after it, the caller is told why. */
static void
test_recorded_miss_falls_through (Fixture       *f,
                                  gconstpointer  data)
{
  g_autoptr(RwPolicy) policy = rw_policy_new ();
  const char *fallbacks[] = { "mock/tools", NULL };
  g_autofree char *raw = NULL;
  g_autoptr(JsonObject) served = NULL;
  static const char hello[] =
    "{\"model\": \"recorded/gpt-4\", \"messages\": [{\"role\": \"user\", \"content\": \"Hello\"}]}";

  post (f, hello, 400, &raw);
  g_assert_nonnull (strstr (raw, "no recorded answer"));

  rw_policy_set_fallbacks (policy, "recorded/gpt-4", fallbacks);
  rw_router_set_policy (f->world->router, policy);
  served = post (f, hello, 200, NULL);
  g_assert_cmpstr (json_object_get_string_member (served, "model"), ==, "mock/tools");
}

static JsonObject *
upstream_body (Fixture *f)
{
  g_autofree char *sent = rw_mock_upstream_dup_last_body (f->world->mock);
  g_autoptr(JsonNode) node = json_from_string (sent, NULL);

  g_test_message ("upstream got: %s", sent);
  g_assert_nonnull (node);
  return json_object_ref (json_node_get_object (node));
}

static char *
member_json (JsonObject *o,
             const char *name)
{
  g_assert_true (json_object_has_member (o, name));
  return rw_json_to_string (json_object_get_member (o, name), FALSE);
}

/* OpenAI's tools, tool calls and their results, images, stop and the system prompt, translated
 * to Anthropic's Messages and back: a tool loop through an Anthropic model. */
static void
test_anthropic_tools (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(JsonObject) first = NULL, second = NULL, sent = NULL;
  g_autofree char *tools = NULL, *choice = NULL, *messages = NULL, *stop = NULL;
  JsonArray *calls;

  rw_mock_upstream_set_default (f->world->mock, "claude",
                                rw_mock_reply_new_protocol_tool_call (RW_MOCK_ANTHROPIC, "toolu_1",
                                                                      "get_weather",
                                                                      "{\"city\":\"Paris\"}"));
  first = post (f, "{\"model\": \"anth/claude\", \"stop\": \"END\", \"parallel_tool_calls\": false,"
                   " \"tool_choice\": \"required\", \"tools\": [{\"type\": \"function\", \"function\":"
                   " {\"name\": \"get_weather\", \"description\": \"Weather\", \"parameters\":"
                   " {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}}}}],"
                   " \"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"},"
                   " {\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"Weather here?\"},"
                   " {\"type\": \"image_url\", \"image_url\": {\"url\": \"data:image/png;base64,iVBO\"}}]}]}",
                200, NULL);
  sent = upstream_body (f);
  tools = member_json (sent, "tools");
  choice = member_json (sent, "tool_choice");
  stop = member_json (sent, "stop_sequences");
  messages = member_json (sent, "messages");
  g_assert_cmpstr (tools, ==, "[{\"name\":\"get_weather\",\"description\":\"Weather\",\"input_schema\":"
                   "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}}]");
  g_assert_cmpstr (choice, ==, "{\"type\":\"any\",\"disable_parallel_tool_use\":true}");
  g_assert_cmpstr (stop, ==, "[\"END\"]");
  g_assert_cmpstr (json_object_get_string_member (sent, "system"), ==, "Be brief.");
  g_assert_cmpstr (messages, ==, "[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":"
                   "\"Weather here?\"},{\"type\":\"image\",\"source\":{\"type\":\"base64\","
                   "\"media_type\":\"image/png\",\"data\":\"iVBO\"}}]}]");
  calls = json_object_get_array_member (choice_message (first, 0), "tool_calls");
  g_assert_cmpuint (json_array_get_length (calls), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (calls, 0), "id"),
                   ==, "toolu_1");
  g_assert_cmpstr (json_object_get_string_member (
                     json_object_get_object_member (json_array_get_object_element (calls, 0),
                                                    "function"), "arguments"), ==,
                   "{\"city\":\"Paris\"}");
  g_assert_cmpstr (json_object_get_string_member (
                     json_array_get_object_element (json_object_get_array_member (first, "choices"),
                                                    0), "finish_reason"), ==, "tool_calls");

  /* The second step: the assistant's call and the tool's answer go as tool_use and tool_result. */
  rw_mock_upstream_set_default (f->world->mock, "claude",
                                rw_mock_reply_new_protocol_whole (RW_MOCK_ANTHROPIC, "18 C.", 9, 3));
  second = post (f, "{\"model\": \"anth/claude\", \"messages\": ["
                    " {\"role\": \"user\", \"content\": \"Weather here?\"},"
                    " {\"role\": \"assistant\", \"content\": null, \"tool_calls\": [{\"id\": \"toolu_1\","
                    "  \"type\": \"function\", \"function\": {\"name\": \"get_weather\","
                    "  \"arguments\": \"{\\\"city\\\":\\\"Paris\\\"}\"}}]},"
                    " {\"role\": \"tool\", \"tool_call_id\": \"toolu_1\", \"content\": \"18 C\"}]}",
                 200, NULL);
  g_clear_pointer (&sent, json_object_unref);
  g_clear_pointer (&messages, g_free);
  sent = upstream_body (f);
  messages = member_json (sent, "messages");
  g_assert_cmpstr (messages, ==, "[{\"role\":\"user\",\"content\":\"Weather here?\"},"
                   "{\"role\":\"assistant\",\"content\":[{\"type\":\"tool_use\",\"id\":\"toolu_1\","
                   "\"name\":\"get_weather\",\"input\":{\"city\":\"Paris\"}}]},"
                   "{\"role\":\"user\",\"content\":[{\"type\":\"tool_result\",\"tool_use_id\":"
                   "\"toolu_1\",\"content\":\"18 C\"}]}]");
  g_assert_cmpstr (json_object_get_string_member (choice_message (second, 0), "content"), ==,
                   "18 C.");
}

/* A JSON schema answer from Anthropic: the schema goes as a tool the model must call, and the
 * call's input comes back as the answer's text. */
static void
test_anthropic_json_schema (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(JsonObject) reply = NULL, sent = NULL;
  g_autofree char *choice = NULL;
  JsonObject *c0;

  rw_mock_upstream_set_default (f->world->mock, "claude",
                                rw_mock_reply_new_protocol_tool_call (RW_MOCK_ANTHROPIC, "toolu_2",
                                                                      "json_response",
                                                                      "{\"city\":\"Paris\"}"));
  reply = post (f, "{\"model\": \"anth/claude\", \"response_format\": {\"type\": \"json_schema\","
                   " \"json_schema\": {\"name\": \"w\", \"schema\": {\"type\": \"object\"}}},"
                   " \"messages\": [{\"role\": \"user\", \"content\": \"City?\"}]}", 200, NULL);
  sent = upstream_body (f);
  choice = member_json (sent, "tool_choice");
  g_assert_cmpstr (choice, ==, "{\"type\":\"tool\",\"name\":\"json_response\"}");
  c0 = json_array_get_object_element (json_object_get_array_member (reply, "choices"), 0);
  g_assert_cmpstr (json_object_get_string_member (choice_message (reply, 0), "content"), ==,
                   "{\"city\":\"Paris\"}");
  g_assert_false (json_object_has_member (choice_message (reply, 0), "tool_calls"));
  g_assert_cmpstr (json_object_get_string_member (c0, "finish_reason"), ==, "stop");
}

/* One request with a tool loop's messages, an image, tools and sampling fields, as Gemini's
 * generateContent and Ollama's /api/chat receive it. */
static const char translated[] =
  "{\"model\": \"%s\", \"stop\": [\"END\"], \"seed\": 5, \"top_p\": 0.5,"
  " \"response_format\": {\"type\": \"json_schema\", \"json_schema\": {\"name\": \"w\","
  "  \"schema\": {\"type\": \"object\", \"additionalProperties\": false}}},"
  " \"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"get_weather\","
  "  \"parameters\": {\"type\": \"object\", \"additionalProperties\": false}}}],"
  " \"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"},"
  "  {\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"Here?\"},"
  "   {\"type\": \"image_url\", \"image_url\": {\"url\": \"data:image/jpeg;base64,/9j/\"}}]},"
  "  {\"role\": \"assistant\", \"content\": null, \"tool_calls\": [{\"id\": \"c1\", \"type\":"
  "   \"function\", \"function\": {\"name\": \"get_weather\", \"arguments\": \"{}\"}}]},"
  "  {\"role\": \"tool\", \"tool_call_id\": \"c1\", \"content\": \"18 C\"}]}";

static void
test_gemini_ollama_translated (Fixture       *f,
                               gconstpointer  data)
{
  g_autofree char *gemini = g_strdup_printf (translated, "gem/gemini");
  g_autofree char *ollama = g_strdup_printf (translated, "oll/llama");
  g_autoptr(JsonObject) g = NULL, o = NULL, r1 = NULL, r2 = NULL;
  g_autofree char *contents = NULL, *config = NULL, *tools = NULL, *messages = NULL;
  g_autofree char *options = NULL, *format = NULL, *otools = NULL;

  rw_mock_upstream_set_default (f->world->mock, "gemini",
                                rw_mock_reply_new_protocol_whole (RW_MOCK_GEMINI, "ok", 1, 1));
  rw_mock_upstream_set_default (f->world->mock, "llama",
                                rw_mock_reply_new_protocol_whole (RW_MOCK_OLLAMA, "ok", 1, 1));
  r1 = post (f, gemini, 200, NULL);
  g = upstream_body (f);
  contents = member_json (g, "contents");
  config = member_json (g, "generationConfig");
  tools = member_json (g, "tools");
  g_assert_cmpstr (contents, ==,
                   "[{\"role\":\"user\",\"parts\":[{\"text\":\"Here?\"},{\"inlineData\":"
                   "{\"mimeType\":\"image/jpeg\",\"data\":\"/9j/\"}}]},{\"role\":\"model\",\"parts\":"
                   "[{\"functionCall\":{\"name\":\"get_weather\",\"args\":{}}}]},{\"role\":\"user\","
                   "\"parts\":[{\"functionResponse\":{\"name\":\"get_weather\",\"response\":"
                   "{\"content\":\"18 C\"}}}]}]");
  g_assert_cmpstr (config, ==, "{\"stopSequences\":[\"END\"],\"topP\":0.5,\"seed\":5,"
                   "\"responseMimeType\":\"application/json\",\"responseSchema\":{\"type\":"
                   "\"object\"}}");
  g_assert_cmpstr (tools, ==, "[{\"functionDeclarations\":[{\"name\":\"get_weather\","
                   "\"parameters\":{\"type\":\"object\"}}]}]");

  r2 = post (f, ollama, 200, NULL);
  o = upstream_body (f);
  messages = member_json (o, "messages");
  options = member_json (o, "options");
  format = member_json (o, "format");
  otools = member_json (o, "tools");
  g_assert_cmpstr (messages, ==,
                   "[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\","
                   "\"content\":\"Here?\",\"images\":[\"/9j/\"]},{\"role\":\"assistant\","
                   "\"content\":\"\",\"tool_calls\":[{\"function\":{\"name\":\"get_weather\","
                   "\"arguments\":{}}}]},{\"role\":\"tool\",\"content\":\"18 C\",\"tool_name\":"
                   "\"get_weather\"}]");
  g_assert_cmpstr (options, ==, "{\"stop\":[\"END\"],\"top_p\":0.5,\"seed\":5}");
  g_assert_cmpstr (format, ==, "{\"type\":\"object\",\"additionalProperties\":false}");
  g_assert_cmpstr (otools, ==, "[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
                   "\"parameters\":{\"type\":\"object\",\"additionalProperties\":false}}}]");
}

/* POST /v1/responses: input items, instructions, function tools and text.format become the
 * chat request the upstream receives; the answer's tool calls come back as function_call items;
 * previous_response_id continues a conversation this server answered. */
static void
test_responses (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(JsonObject) first = NULL, sent = NULL, second = NULL;
  g_autofree char *messages = NULL, *format = NULL, *tools = NULL, *raw = NULL;
  g_autofree char *again = NULL;
  JsonArray *output;
  JsonObject *call;

  first = post_to (f, "/responses",
                   "{\"model\": \"mock/tools\", \"instructions\": \"Be brief.\","
                   " \"input\": [{\"role\": \"user\", \"content\": [{\"type\": \"input_text\","
                   "  \"text\": \"Weather?\"}, {\"type\": \"input_image\", \"image_url\":"
                   "  \"https://example.invalid/a.png\"}]}],"
                   " \"tools\": [{\"type\": \"function\", \"name\": \"get_weather\","
                   "  \"parameters\": {\"type\": \"object\"}}],"
                   " \"text\": {\"format\": {\"type\": \"json_schema\", \"name\": \"w\","
                   "  \"schema\": {\"type\": \"object\"}}}, \"max_output_tokens\": 50}", 200, NULL);
  sent = upstream_body (f);
  messages = member_json (sent, "messages");
  format = member_json (sent, "response_format");
  tools = member_json (sent, "tools");
  g_assert_cmpstr (messages, ==, "[{\"role\":\"developer\",\"content\":\"Be brief.\"},"
                   "{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Weather?\"},"
                   "{\"type\":\"image_url\",\"image_url\":{\"url\":\"https://example.invalid/a.png\"}}]}]");
  g_assert_cmpstr (format, ==, "{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"w\","
                   "\"schema\":{\"type\":\"object\"}}}");
  g_assert_cmpstr (tools, ==, "[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
                   "\"parameters\":{\"type\":\"object\"}}}]");
  g_assert_cmpint (json_object_get_int_member (sent, "max_completion_tokens"), ==, 50);
  g_assert_cmpstr (json_object_get_string_member (first, "object"), ==, "response");
  g_assert_cmpstr (json_object_get_string_member (first, "status"), ==, "completed");
  output = json_object_get_array_member (first, "output");
  g_assert_cmpuint (json_array_get_length (output), ==, 2);
  call = json_array_get_object_element (output, 0);
  g_assert_cmpstr (json_object_get_string_member (call, "type"), ==, "function_call");
  g_assert_cmpstr (json_object_get_string_member (call, "call_id"), ==, "call_weather");
  g_assert_cmpstr (json_object_get_string_member (call, "arguments"), ==, "{\"city\":\"Paris\"}");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (first, "usage"),
                                               "total_tokens"), ==, 29);

  /* The next turn names the first: its messages and its answer go first, not its instructions. */
  again = g_strdup_printf ("{\"model\": \"mock/tools\", \"previous_response_id\": \"%s\","
                           " \"input\": [{\"type\": \"function_call_output\", \"call_id\":"
                           " \"call_weather\", \"output\": \"18 C\"}]}",
                           json_object_get_string_member (first, "id"));
  second = post_to (f, "/responses", again, 200, NULL);
  g_clear_pointer (&sent, json_object_unref);
  g_clear_pointer (&messages, g_free);
  sent = upstream_body (f);
  messages = member_json (sent, "messages");
  g_assert_nonnull (strstr (messages, "{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":"
                            "[{\"id\":\"call_weather\",\"type\":\"function\""));
  g_assert_true (g_str_has_suffix (messages, "{\"role\":\"tool\",\"tool_call_id\":"
                                   "\"call_weather\",\"content\":\"18 C\"}]"));
  g_assert_null (strstr (messages, "Be brief."));

  /* What cannot be honoured is a 400 that says why. */
  post_to (f, "/responses", "{\"model\": \"mock/tools\", \"previous_response_id\": \"resp_x\","
           " \"input\": \"Hi\"}", 400, &raw);
  g_assert_nonnull (strstr (raw, "resp_x is not known"));
  g_clear_pointer (&raw, g_free);
  post_to (f, "/responses", "{\"model\": \"mock/tools\", \"background\": true, \"input\": \"Hi\"}",
           400, &raw);
  g_assert_nonnull (strstr (raw, "“background”"));
}

/* Streamed, the Responses events in order, numbered: created, the function call's item with
 * its argument pieces, its done events, completed. */
static void
test_responses_streamed (Fixture       *f,
                         gconstpointer  data)
{
  g_autofree char *raw = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GString) types = g_string_new (NULL);
  g_autoptr(GString) args = g_string_new (NULL);
  gint64 seq = -1;

  post_to (f, "/responses", "{\"model\": \"mock/tools\", \"stream\": true, \"input\": \"Weather?\"}",
           200, &raw);
  lines = g_strsplit (raw, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_autoptr(JsonNode) node = NULL;
      JsonObject *e;
      const char *type;

      if (!g_str_has_prefix (lines[i], "data: "))
        continue;
      node = json_from_string (lines[i] + 6, NULL);
      e = json_node_get_object (node);
      type = json_object_get_string_member (e, "type");
      g_assert_cmpint (json_object_get_int_member (e, "sequence_number"), ==, seq + 1);
      seq++;
      if (g_str_equal (type, "response.function_call_arguments.delta") &&
          json_object_get_int_member (e, "output_index") == 0)
        g_string_append (args, json_object_get_string_member (e, "delta"));
      if (types->len == 0 || !g_str_has_suffix (types->str, type))
        g_string_append_printf (types, "%s%s", types->len ? " " : "", type);
    }
  g_assert_cmpstr (args->str, ==, "{\"city\":\"Paris\"}");
  g_assert_cmpstr (types->str, ==,
                   "response.created response.in_progress response.output_item.added "
                   "response.function_call_arguments.delta "
                   "response.function_call_arguments.done response.output_item.done "
                   "response.output_item.added response.function_call_arguments.delta "
                   "response.function_call_arguments.done response.output_item.done "
                   "response.completed");
}

/* A model the catalog knows to lack what a request needs (tools here, from providers.json) is
 * passed over, and its attempt that was not made is stored with the reason. */
static void
test_capabilities (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(RwPolicy) policy = rw_policy_new ();
  const char *fallbacks[] = { "mock/tools", NULL };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) served = NULL;
  g_autofree char *raw = NULL, *why = NULL;
  static const char asks[] =
    "{\"model\": \"mock/two\", \"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"f\"}}],"
    " \"messages\": [{\"role\": \"user\", \"content\": \"Call f\"}]}";

  post (f, asks, 400, &raw);
  g_assert_nonnull (strstr (raw, "mock/two cannot serve this request: the catalog says it has no tools"));
  g_assert_cmpuint (rw_mock_upstream_count (f->world->mock, "two"), ==, 0);

  rw_policy_set_fallbacks (policy, "mock/two", fallbacks);
  rw_router_set_policy (f->world->router, policy);
  served = post (f, asks, 200, NULL);
  g_assert_cmpstr (json_object_get_string_member (served, "model"), ==, "mock/tools");
  g_assert_cmpuint (rw_mock_upstream_count (f->world->mock, "two"), ==, 0);
  g_assert_true (rw_store_flush (f->world->store, &error));
  g_assert_no_error (error);
  why = rw_test_db_text (f->world->db->path, "SELECT error_kind || ': ' || error_message "
                         "FROM responses WHERE model = 'mock/two' LIMIT 1");
  g_assert_cmpstr (why, ==, "unsupported: mock/two cannot serve this request: the catalog says "
                   "it has no tools");
}

/* Each field of OpenAI's Chat Completions reference, alone (with tools for the two that only
 * apply to them), at a value other than its default, through each protocol: it reaches an
 * OpenAI-compatible upstream unchanged; another protocol's upstream receives it as its own
 * member, or the request is refused with a 400 that names it. NULL: refused. The table the test
 * prints is the one on the issue. */
static const struct
{
  const char *field;
  const char *value;
  const char *anthropic;
  const char *gemini;
  const char *ollama;
} reference_fields[] = {
  { "audio", "{\"voice\":\"alloy\",\"format\":\"wav\"}", NULL, NULL, NULL },
  { "frequency_penalty", "0.5", NULL, "frequencyPenalty", "frequency_penalty" },
  { "function_call", "\"auto\"", NULL, NULL, NULL },
  { "functions", "[{\"name\":\"f\"}]", NULL, NULL, NULL },
  { "logit_bias", "{\"50256\":-100}", NULL, NULL, NULL },
  { "logprobs", "true", NULL, NULL, NULL },
  { "max_completion_tokens", "64", "max_tokens", "maxOutputTokens", "num_predict" },
  { "max_tokens", "64", "max_tokens", "maxOutputTokens", "num_predict" },
  { "metadata", "{\"team\":\"search\"}", NULL, NULL, NULL },
  { "modalities", "[\"text\",\"audio\"]", NULL, NULL, NULL },
  { "n", "2", NULL, "candidateCount", NULL },
  { "parallel_tool_calls", "false", "disable_parallel_tool_use", NULL, NULL },
  { "prediction", "{\"type\":\"content\",\"content\":\"x\"}", NULL, NULL, NULL },
  { "presence_penalty", "0.5", NULL, "presencePenalty", "presence_penalty" },
  { "prompt_cache_key", "\"k\"", NULL, NULL, NULL },
  { "reasoning_effort", "\"low\"", NULL, NULL, NULL },
  { "response_format", "{\"type\":\"json_schema\",\"json_schema\":{\"name\":\"w\",\"schema\":"
    "{\"type\":\"object\"}}}", "json_response", "responseSchema", "format" },
  { "safety_identifier", "\"s\"", NULL, NULL, NULL },
  { "seed", "7", NULL, "seed", "seed" },
  { "service_tier", "\"flex\"", NULL, NULL, NULL },
  { "stop", "[\"END\"]", "stop_sequences", "stopSequences", "stop" },
  { "store", "true", NULL, NULL, NULL },
  { "temperature", "0.5", "temperature", "temperature", "temperature" },
  { "tool_choice", "\"required\"", "tool_choice", "functionCallingConfig", NULL },
  { "tools", "[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":"
    "{\"type\":\"object\"}}}]", "input_schema", "functionDeclarations", "tools" },
  { "top_logprobs", "2", NULL, NULL, NULL },
  { "top_p", "0.5", "top_p", "topP", "top_p" },
  { "user", "\"u-1\"", "user_id", NULL, NULL },
  { "verbosity", "\"low\"", NULL, NULL, NULL },
  { "web_search_options", "{\"search_context_size\":\"low\"}", NULL, NULL, NULL },
  { "x_unknown_field", "{\"a\":[1]}", NULL, NULL, NULL },
};

static void
test_reference_fields (Fixture       *f,
                       gconstpointer  data)
{
  static const struct { const char *model; const char *name; RwMockProtocol protocol; } to[] = {
    { "mock/tools", "tools", RW_MOCK_OPENAI },
    { "anth/claude", "claude", RW_MOCK_ANTHROPIC },
    { "gem/gemini", "gemini", RW_MOCK_GEMINI },
    { "oll/llama", "llama", RW_MOCK_OLLAMA },
  };
  g_autoptr(GString) table = g_string_new ("| field | openai | anthropic | gemini | ollama |\n"
                                           "|---|---|---|---|---|\n");

  for (guint p = 1; p < G_N_ELEMENTS (to); p++)
    rw_mock_upstream_set_default (f->world->mock, to[p].name,
                                  rw_mock_reply_new_protocol_whole (to[p].protocol, "ok", 1, 1));
  for (guint i = 0; i < G_N_ELEMENTS (reference_fields); i++)
    {
      g_string_append_printf (table, "| `%s` ", reference_fields[i].field);
      for (guint p = 0; p < G_N_ELEMENTS (to); p++)
        {
          const char *as = p == 1 ? reference_fields[i].anthropic
                           : p == 2 ? reference_fields[i].gemini
                           : p == 3 ? reference_fields[i].ollama : reference_fields[i].field;
          gboolean with_tools = g_str_equal (reference_fields[i].field, "parallel_tool_calls") ||
                                g_str_equal (reference_fields[i].field, "tool_choice");
          g_autofree char *body = g_strdup_printf ("{\"model\": \"%s\", \"%s\": %s, \"messages\":"
                                                   " [{\"role\": \"user\", \"content\": \"x\"}]%s}",
                                                   to[p].model, reference_fields[i].field,
                                                   reference_fields[i].value,
                                                   with_tools ? ", \"tools\": [{\"type\": \"function\","
                                                   " \"function\": {\"name\": \"f\"}}]" : "");
          g_autofree char *raw = NULL, *named = g_strdup_printf ("“%s”",
                                                                  reference_fields[i].field);
          guint before = rw_mock_upstream_count (f->world->mock, to[p].name);

          post (f, body, as != NULL ? 200 : 400, &raw);
          if (as == NULL)
            {
              /* Refused by name, and nothing was sent. */
              g_assert_nonnull (strstr (raw, named));
              g_assert_cmpuint (rw_mock_upstream_count (f->world->mock, to[p].name), ==, before);
              g_string_append (table, "| 400 ");
            }
          else
            {
              g_autoptr(JsonObject) sent = upstream_body (f);
              g_autofree char *sent_text = rw_mock_upstream_dup_last_body (f->world->mock);
              g_autofree char *key = g_strdup_printf ("\"%s\"", as);

              g_assert_nonnull (strstr (sent_text, key));
              if (p == 0)
                {
                  g_autoptr(JsonNode) given = json_from_string (reference_fields[i].value, NULL);
                  g_assert_true (json_node_equal (given, json_object_get_member (sent, as)));
                  g_string_append (table, "| as sent ");
                }
              else
                g_string_append_printf (table, "| `%s` ", as);
            }
        }
      g_string_append (table, "|\n");
    }
  g_test_message ("\n%s", table->str);
}

static void
on_embeddings_served (RwServer        *server,
                      RwServedRequest *served,
                      gpointer         user_data)
{
  g_ptr_array_add (user_data, rw_served_request_copy (served));
}

/* POST /v1/embeddings goes as it is to the model named, with its provider's key and no
 * other's, and the reply comes back as it came: floats or base64, as the caller asked
 * (the openai SDK asks for base64). A request the endpoint cannot pass on is refused with the
 * member named; a reply that does not hold one embedding per input is not passed on; a priced
 * model keeps to the ceilings; the app's log hears of each. */
static void
test_embeddings (Fixture       *f,
                 gconstpointer  data)
{
  static const struct
  {
    const char *body, *param;
    guint status;
  } refused[] = {
    { "{\"input\": \"x\"}", "model", 400 },
    { "{\"model\": \"routewise/auto\", \"input\": \"x\"}", "model", 400 },
    { "{\"model\": \"a/emb\"}", "input", 400 },
    { "{\"model\": \"a/emb\", \"input\": \"\"}", "input", 400 },
    { "{\"model\": \"a/emb\", \"input\": []}", "input", 400 },
    { "{\"model\": \"a/emb\", \"input\": {\"text\": \"x\"}}", "input", 400 },
    { "{\"model\": \"a/emb\", \"input\": [\"x\", 3]}", "input[1]", 400 },
    { "{\"model\": \"a/emb\", \"input\": [[1, 2], []]}", "input[1]", 400 },
    { "{\"model\": \"nowhere/emb\", \"input\": \"x\"}", NULL, 404 },
    { "{\"model\": \"anth/emb\", \"input\": \"x\"}", NULL, 400 },
  };
  RwMockUpstream *mock = rw_mock_upstream_new ();  /* the world's */
  g_autoptr(GPtrArray) log = g_ptr_array_new_with_free_func ((GDestroyNotify) rw_served_request_free);
  RwTestWorld *world;
  g_autoptr(RwServer) server = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *base = NULL;
  g_autofree char *url = NULL;
  g_autofree char *out = NULL;
  g_autofree char *sent = NULL;
  g_autofree char *auth = NULL;
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(JsonNode) upstream_body = NULL;
  JsonObject *o, *req;

  g_setenv ("RW_EMBED_KEY_A", "sk-embed-a-0123456789", TRUE);
  g_setenv ("RW_EMBED_KEY_B", "sk-embed-b-0123456789", TRUE);
  world = rw_test_world_new_with_mock (mock,
    "{\"providers\": [{\"id\": \"a\", \"kind\": \"openai\", \"base_url\": \"$URL\","
    "                  \"api_key_env\": \"RW_EMBED_KEY_A\"},"
    "                 {\"id\": \"b\", \"kind\": \"openai\", \"base_url\": \"$URL\","
    "                  \"api_key_env\": \"RW_EMBED_KEY_B\"},"
    "                 {\"id\": \"anth\", \"kind\": \"anthropic\", \"base_url\": \"$URL\"}],"
    " \"models\": [{\"id\": \"b/dear\", \"provider\": \"b\", \"name\": \"dear\","
    "               \"input_price\": 100000, \"output_price\": 0}]}", FALSE);
  server = rw_server_new (world->router, TOKEN);
  g_assert_true (rw_server_listen (server, 0, &error));
  g_signal_connect (server, "request-served", G_CALLBACK (on_embeddings_served), log);
  base = g_strdup_printf ("http://127.0.0.1:%u/v1", rw_server_get_port (server));
  url = g_strconcat (base, "/embeddings", NULL);

  /* Passed on whole, to the named provider with its own key, and back with the model's id. */
  rw_mock_upstream_push (mock, "text-embedding-3-small", rw_mock_reply_new_json (200,
    "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,"
    "\"embedding\":[0.25,-0.5]},{\"object\":\"embedding\",\"index\":1,\"embedding\":[1,0]}],"
    "\"model\":\"text-embedding-3-small\",\"usage\":{\"prompt_tokens\":4,\"total_tokens\":4}}"));
  {
    g_autoptr(SoupMessage) msg = rw_test_http (f->session, "POST", url, TOKEN,
      "{\"model\": \"a/text-embedding-3-small\", \"input\": [\"one\", \"two\"], "
      "\"dimensions\": 2, \"encoding_format\": \"float\", \"user\": \"u-7\"}", &out);
    g_test_message ("reply: %s", out);
    g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
    g_assert_cmpstr (soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                                   "x-routewise-model"), ==,
                     "a/text-embedding-3-small");
  }
  reply = json_from_string (out, NULL);
  o = json_node_get_object (reply);
  g_assert_cmpstr (json_object_get_string_member (o, "model"), ==, "text-embedding-3-small");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "data")), ==, 2);
  g_assert_cmpfloat (json_array_get_double_element (json_object_get_array_member (
    json_array_get_object_element (json_object_get_array_member (o, "data"), 0), "embedding"),
    1), ==, -0.5);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (o, "usage"),
                                               "prompt_tokens"), ==, 4);
  sent = rw_mock_upstream_dup_last_body (mock);
  upstream_body = json_from_string (sent, NULL);
  req = json_node_get_object (upstream_body);
  g_assert_cmpstr (json_object_get_string_member (req, "model"), ==, "text-embedding-3-small");
  g_assert_cmpint (json_object_get_int_member (req, "dimensions"), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (req, "encoding_format"), ==, "float");
  g_assert_cmpstr (json_object_get_string_member (req, "user"), ==, "u-7");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (req, "input")), ==, 2);
  auth = rw_mock_upstream_dup_last_header (mock, "Authorization");
  g_assert_cmpstr (auth, ==, "Bearer sk-embed-a-0123456789");
  g_assert_cmpuint (log->len, ==, 1);
  g_assert_cmpstr (((RwServedRequest *) log->pdata[0])->requested, ==,
                   "a/text-embedding-3-small");
  g_assert_cmpuint (((RwServedRequest *) log->pdata[0])->status, ==, 200);

  /* base64, as the SDK asks by default: passed on as the upstream wrote it; b's key to b. */
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&auth, g_free);
  rw_mock_upstream_push (mock, "text-embedding-3-small", rw_mock_reply_new_json (200,
    "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,"
    "\"embedding\":\"AACAPgAAAL8=\"}],\"model\":\"text-embedding-3-small\","
    "\"usage\":{\"prompt_tokens\":1,\"total_tokens\":1}}"));
  {
    g_autoptr(SoupMessage) msg = rw_test_http (f->session, "POST", url, TOKEN,
      "{\"model\": \"b/text-embedding-3-small\", \"input\": [1, 2, 3], "
      "\"encoding_format\": \"base64\"}", &out);
    g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  }
  g_assert_nonnull (strstr (out, "\"embedding\":\"AACAPgAAAL8=\""));
  auth = rw_mock_upstream_dup_last_header (mock, "Authorization");
  g_assert_cmpstr (auth, ==, "Bearer sk-embed-b-0123456789");

  /* Refused before anything is sent, the member named. */
  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr(SoupMessage) msg = NULL;

      g_clear_pointer (&out, g_free);
      msg = rw_test_http (f->session, "POST", url, TOKEN, refused[i].body, &out);
      if (soup_message_get_status (msg) != refused[i].status ||
          g_strcmp0 (error_param (out), refused[i].param) != 0)
        g_error ("%s: %u %s", refused[i].body, soup_message_get_status (msg), out);
    }
  g_assert_cmpuint (rw_mock_upstream_count (mock, "emb"), ==, 0);

  /* The upstream's refusal, without the key; a reply short of an embedding is not passed on. */
  g_clear_pointer (&out, g_free);
  rw_mock_upstream_push (mock, "bad", rw_mock_reply_new_json (401,
    "{\"error\":{\"message\":\"Incorrect API key provided: sk-embed-a-0123456789\","
    "\"type\":\"invalid_request_error\",\"code\":\"invalid_api_key\"}}"));
  {
    g_autoptr(SoupMessage) msg = rw_test_http (f->session, "POST", url, TOKEN,
      "{\"model\": \"a/bad\", \"input\": \"x\"}", &out);
    /* The caller's token was right: the gateway's upstream failed, as for a chat. */
    g_assert_cmpuint (soup_message_get_status (msg), ==, 502);
  }
  g_assert_nonnull (strstr (out, "Incorrect API key"));
  g_assert_null (strstr (out, "sk-embed-a-0123456789"));
  g_clear_pointer (&out, g_free);
  rw_mock_upstream_push (mock, "short", rw_mock_reply_new_json (200,
    "{\"data\":[{\"index\":0,\"embedding\":[1]}]}"));
  {
    g_autoptr(SoupMessage) msg = rw_test_http (f->session, "POST", url, TOKEN,
      "{\"model\": \"a/short\", \"input\": [\"x\", \"y\"]}", &out);
    g_assert_cmpuint (soup_message_get_status (msg), ==, 502);
  }

  /* A priced model keeps to the per-request ceiling: nothing is sent. */
  g_clear_pointer (&out, g_free);
  rw_router_set_cost_ceilings (world->router, 0.01, 0);
  {
    g_autoptr(SoupMessage) msg = rw_test_http (f->session, "POST", url, TOKEN,
      "{\"model\": \"b/dear\", \"input\": \"a text of some length to embed\"}", &out);
    g_assert_cmpuint (soup_message_get_status (msg), ==, 402);
  }
  g_assert_nonnull (strstr (out, "per-request ceiling"));
  g_assert_cmpuint (rw_mock_upstream_count (mock, "dear"), ==, 0);

  rw_server_stop (server);
  rw_test_world_free (world);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func) \
  g_test_add ("/Rw/ServerApi/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("fields-reach-upstream", test_fields_reach_upstream);
  ADD ("tool-calls-whole", test_tool_calls_whole);
  ADD ("tool-calls-streamed", test_tool_calls_streamed);
  ADD ("two-choices", test_two_choices);
  ADD ("bad-n", test_bad_n);
  ADD ("bad-values", test_bad_values);
  ADD ("error-param", test_error_param);
  ADD ("responses-kept-bounded", test_responses_kept_bounded);
  ADD ("stored-whole", test_stored_whole);
  ADD ("uncarried-refused", test_uncarried_refused);
  ADD ("recorded-miss-falls-through", test_recorded_miss_falls_through);
  ADD ("anthropic-tools", test_anthropic_tools);
  ADD ("anthropic-json-schema", test_anthropic_json_schema);
  ADD ("gemini-ollama-translated", test_gemini_ollama_translated);
  ADD ("responses", test_responses);
  ADD ("responses-streamed", test_responses_streamed);
  ADD ("capabilities", test_capabilities);
  ADD ("reference-fields", test_reference_fields);
  ADD ("embeddings", test_embeddings);
#undef ADD
  return g_test_run ();
}
