/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "rw-error.h"
#include "rw-json.h"
#include "rw-server-private.h"

/* A Responses API request read as the chat request the router takes: input items as
 * messages (with the conversation previous_response_id names before them), instructions as a
 * developer message, function tools as tools, text.format as response_format. What the
 * endpoint cannot honour is refused, naming the member. */

/* A content part of an input message as a chat content part. */
static JsonNode *
responses_part (JsonObject  *part,
                guint        i,
                guint        j,
                GError     **error)
{
  const char *type = rw_json_object_get_string (part, "type", "");
  JsonObject *out = json_object_new ();

  if (g_str_equal (type, "input_text") || g_str_equal (type, "output_text") ||
      g_str_equal (type, "text"))
    {
      json_object_set_string_member (out, "type", "text");
      json_object_set_string_member (out, "text", rw_json_object_get_string (part, "text", ""));
    }
  else if (g_str_equal (type, "input_image") &&
           rw_json_object_get_string (part, "image_url", NULL) != NULL)
    {
      JsonObject *image = json_object_new ();

      json_object_set_string_member (image, "url", rw_json_object_get_string (part, "image_url",
                                                                              ""));
      if (rw_json_object_get_string (part, "detail", NULL) != NULL)
        json_object_set_string_member (image, "detail",
                                       rw_json_object_get_string (part, "detail", NULL));
      json_object_set_string_member (out, "type", "image_url");
      json_object_set_object_member (out, "image_url", image);
    }
  else
    {
      json_object_unref (out);
      g_autofree char *param = g_strdup_printf ("input[%u].content[%u].type", i, j);
      rw_set_param_error (error, RW_ERROR_BAD_REQUEST, param,
                          "input[%u].content[%u] of type “%s” is not supported: Routewise takes "
                          "input_text and input_image (by URL)", i, j, type);
      return NULL;
    }
  return json_node_init_object (json_node_alloc (), out);
}

/* The last message of @messages when it is the assistant's, for its tool calls to join. */
static JsonObject *
responses_assistant (JsonArray *messages)
{
  guint n = json_array_get_length (messages);
  JsonObject *last = n > 0 ? rw_json_array_get_object (messages, n - 1) : NULL;

  if (last != NULL && g_strcmp0 (rw_json_object_get_string (last, "role", NULL),
                                 "assistant") == 0)
    return last;
  last = json_object_new ();
  json_object_set_string_member (last, "role", "assistant");
  json_object_set_null_member (last, "content");
  json_array_add_object_element (messages, last);
  return last;
}

/* The input items as chat messages: messages, function calls (an assistant's tool calls) and
 * their outputs (tool messages). */
static gboolean
responses_add_input (JsonArray  *messages,
                     JsonNode   *input,
                     GError    **error)
{
  JsonArray *items;

  if (JSON_NODE_HOLDS_VALUE (input) && json_node_get_value_type (input) == G_TYPE_STRING)
    {
      JsonObject *m = json_object_new ();

      json_object_set_string_member (m, "role", "user");
      json_object_set_string_member (m, "content", json_node_get_string (input));
      json_array_add_object_element (messages, m);
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_ARRAY (input))
    {
      rw_set_param_error (error, RW_ERROR_BAD_REQUEST, "input",
                          "“input” must be a string or an array of items");
      return FALSE;
    }
  items = json_node_get_array (input);
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonObject *item = rw_json_array_get_object (items, i);
      const char *type = item ? rw_json_object_get_string (item, "type", "message") : "";

      if (item == NULL)
        {
          g_autofree char *param = g_strdup_printf ("input[%u]", i);
          rw_set_param_error (error, RW_ERROR_BAD_REQUEST, param, "%s is not an object", param);
          return FALSE;
        }
      if (g_str_equal (type, "message"))
        {
          const char *role = rw_json_object_get_string (item, "role", NULL);
          JsonNode *content = json_object_get_member (item, "content");
          JsonObject *m;

          if (role == NULL || content == NULL)
            {
              g_autofree char *param = g_strdup_printf ("input[%u].%s", i,
                                                        role == NULL ? "role" : "content");
              rw_set_param_error (error, RW_ERROR_BAD_REQUEST, param,
                                  "input[%u] needs a “role” and a “content”", i);
              return FALSE;
            }
          m = json_object_new ();
          json_object_set_string_member (m, "role", role);
          if (JSON_NODE_HOLDS_ARRAY (content))
            {
              JsonArray *parts = json_array_new ();
              JsonArray *given = json_node_get_array (content);

              json_object_set_array_member (m, "content", parts);
              for (guint j = 0; j < json_array_get_length (given); j++)
                {
                  JsonObject *part = rw_json_array_get_object (given, j);
                  JsonNode *converted = part ? responses_part (part, i, j, error) : NULL;

                  if (converted == NULL)
                    {
                      json_object_unref (m);
                      if (part == NULL)
                        {
                          g_autofree char *param = g_strdup_printf ("input[%u].content[%u]", i,
                                                                    j);
                          rw_set_param_error (error, RW_ERROR_BAD_REQUEST, param,
                                              "%s is not an object", param);
                        }
                      return FALSE;
                    }
                  json_array_add_element (parts, converted);
                }
            }
          else
            json_object_set_member (m, "content", json_node_copy (content));
          json_array_add_object_element (messages, m);
        }
      else if (g_str_equal (type, "function_call"))
        {
          JsonObject *assistant = responses_assistant (messages);
          JsonArray *calls = rw_json_object_get_array (assistant, "tool_calls");
          JsonObject *call = json_object_new (), *fn = json_object_new ();

          if (calls == NULL)
            {
              calls = json_array_new ();
              json_object_set_array_member (assistant, "tool_calls", calls);
            }
          json_object_set_string_member (call, "id", rw_json_object_get_string (item, "call_id",
                                                                                ""));
          json_object_set_string_member (call, "type", "function");
          json_object_set_string_member (fn, "name", rw_json_object_get_string (item, "name", ""));
          json_object_set_string_member (fn, "arguments",
                                         rw_json_object_get_string (item, "arguments", "{}"));
          json_object_set_object_member (call, "function", fn);
          json_array_add_object_element (calls, call);
        }
      else if (g_str_equal (type, "function_call_output"))
        {
          JsonObject *m = json_object_new ();
          JsonNode *output = json_object_get_member (item, "output");

          json_object_set_string_member (m, "role", "tool");
          json_object_set_string_member (m, "tool_call_id",
                                         rw_json_object_get_string (item, "call_id", ""));
          if (output != NULL && JSON_NODE_HOLDS_VALUE (output))
            json_object_set_member (m, "content", json_node_copy (output));
          else
            json_object_set_string_member (m, "content", "");
          json_array_add_object_element (messages, m);
        }
      else
        {
          g_autofree char *param = g_strdup_printf ("input[%u].type", i);
          rw_set_param_error (error, RW_ERROR_BAD_REQUEST, param,
                              "input[%u] of type “%s” is not supported: Routewise takes messages, "
                              "function_call and function_call_output items", i, type);
          return FALSE;
        }
    }
  return TRUE;
}

/* Responses' function tools as chat tools; tool_choice and text.format likewise. */
static gboolean
responses_add_tools (JsonObject  *extra,
                     JsonObject  *given,
                     GError     **error)
{
  JsonArray *tools = rw_json_object_get_array (given, "tools");
  JsonNode *choice = json_object_get_member (given, "tool_choice");
  JsonObject *text = rw_json_object_get_object (given, "text");
  JsonObject *format = text ? rw_json_object_get_object (text, "format") : NULL;

  if (tools != NULL && json_array_get_length (tools) > 0)
    {
      JsonArray *out = json_array_new ();

      json_object_set_array_member (extra, "tools", out);
      for (guint i = 0; i < json_array_get_length (tools); i++)
        {
          JsonObject *t = rw_json_array_get_object (tools, i);
          JsonObject *tool, *fn;
          g_autoptr(GList) names = NULL;

          if (t == NULL || g_strcmp0 (rw_json_object_get_string (t, "type", NULL), "function"))
            {
              g_autofree char *param = g_strdup_printf ("tools[%u].type", i);
              rw_set_param_error (error, RW_ERROR_BAD_REQUEST, param,
                                  "tools[%u] is not supported: Routewise takes function tools", i);
              return FALSE;
            }
          tool = json_object_new ();
          fn = json_object_new ();
          names = json_object_get_members (t);
          for (GList *l = names; l != NULL; l = l->next)
            if (!g_str_equal (l->data, "type"))
              json_object_set_member (fn, l->data, json_node_copy (json_object_get_member (t,
                                                                                         l->data)));
          json_object_set_string_member (tool, "type", "function");
          json_object_set_object_member (tool, "function", fn);
          json_array_add_object_element (out, tool);
        }
    }
  if (choice != NULL && JSON_NODE_HOLDS_OBJECT (choice))
    {
      JsonObject *named = json_node_get_object (choice);
      JsonObject *out = json_object_new (), *fn = json_object_new ();

      if (g_strcmp0 (rw_json_object_get_string (named, "type", NULL), "function") != 0)
        {
          json_object_unref (out);
          json_object_unref (fn);
          rw_set_param_error (error, RW_ERROR_BAD_REQUEST, "tool_choice",
                              "this “tool_choice” is not supported: Routewise takes auto, none, "
                              "required or a function");
          return FALSE;
        }
      json_object_set_string_member (fn, "name", rw_json_object_get_string (named, "name", ""));
      json_object_set_string_member (out, "type", "function");
      json_object_set_object_member (out, "function", fn);
      json_object_set_object_member (extra, "tool_choice", out);
    }
  else if (choice != NULL && !json_node_is_null (choice))
    json_object_set_member (extra, "tool_choice", json_node_copy (choice));
  if (format != NULL)
    {
      const char *type = rw_json_object_get_string (format, "type", "text");
      JsonObject *out = json_object_new ();

      json_object_set_string_member (out, "type", type);
      if (g_str_equal (type, "json_schema"))
        {
          JsonObject *schema = json_object_new ();
          g_autoptr(GList) names = json_object_get_members (format);

          for (GList *l = names; l != NULL; l = l->next)
            if (!g_str_equal (l->data, "type"))
              json_object_set_member (schema, l->data,
                                      json_node_copy (json_object_get_member (format, l->data)));
          json_object_set_object_member (out, "json_schema", schema);
        }
      if (g_str_equal (type, "text"))
        json_object_unref (out);
      else
        json_object_set_object_member (extra, "response_format", out);
    }
  return TRUE;
}

/* The Responses request as a chat request; the conversation so far goes in @messages_out.
 * Without a server, no previous_response_id is known. */
RwChatRequest *
_rw_server_responses_parse (RwServer    *self,
                 JsonObject  *given,
                 const char  *task_header,
                 char       **messages_out,
                 GError     **error)
{
  static const char * const taken[] = {
    "model", "input", "instructions", "previous_response_id", "stream", "tools", "tool_choice",
    "text", "max_output_tokens", "temperature", "store", "reasoning", "truncation", "include",
    /* as they are */
    "top_p", "parallel_tool_calls", "user", "metadata", "service_tier", "prompt_cache_key",
    "safety_identifier", "top_logprobs", NULL
  };
  static const char * const passed[] = { "top_p", "parallel_tool_calls", "user", "metadata",
                                         "service_tier", "prompt_cache_key", "safety_identifier",
                                         "top_logprobs", NULL };
  g_autoptr(RwChatRequest) request = rw_chat_request_new ();
  g_autoptr(JsonArray) messages = json_array_new ();
  g_autoptr(JsonObject) extra = json_object_new ();
  g_autoptr(GList) names = json_object_get_members (given);
  g_autoptr(JsonNode) node = NULL;
  const char *previous = rw_json_object_get_string (given, "previous_response_id", NULL);
  const char *instructions = rw_json_object_get_string (given, "instructions", NULL);
  JsonObject *reasoning = rw_json_object_get_object (given, "reasoning");
  JsonArray *include = rw_json_object_get_array (given, "include");
  JsonNode *input = json_object_get_member (given, "input");
  const char *truncation = rw_json_object_get_string (given, "truncation", "disabled");

  for (GList *l = names; l != NULL; l = l->next)
    if (!g_strv_contains (taken, l->data))
      {
        rw_set_param_error (error, RW_ERROR_BAD_REQUEST, l->data,
                            "“%s” is not supported by Routewise's Responses endpoint",
                            (char *) l->data);
        return NULL;
      }
  if (!_rw_server_check_request (json_object_get_member (given, "stream"),
                                 json_object_get_member (given, "temperature"),
                                 json_object_get_member (given, "max_output_tokens"),
                                 "max_output_tokens", error))
    return NULL;
  if (include != NULL && json_array_get_length (include) > 0)
    {
      rw_set_param_error (error, RW_ERROR_BAD_REQUEST, "include",
                          "“include” is not supported: Routewise's responses carry no extra data");
      return NULL;
    }
  if (!g_str_equal (truncation, "disabled"))
    {
      rw_set_param_error (error, RW_ERROR_BAD_REQUEST, "truncation",
                          "“truncation” must be disabled: Routewise never truncates the input");
      return NULL;
    }

  if (instructions != NULL)
    {
      JsonObject *m = json_object_new ();

      json_object_set_string_member (m, "role", "developer");
      json_object_set_string_member (m, "content", instructions);
      json_array_add_object_element (messages, m);
    }
  if (previous != NULL)
    {
      g_autofree char *before = self ? _rw_server_responses_lookup (self, previous) : NULL;
      g_autoptr(JsonNode) earlier = before ? rw_json_parse (before, strlen (before), NULL) : NULL;

      if (earlier == NULL || !JSON_NODE_HOLDS_ARRAY (earlier))
        {
          rw_set_param_error (error, RW_ERROR_BAD_REQUEST, "previous_response_id",
                              "previous_response_id %s is not known: this server keeps the last "
                              "%u responses it gave, with store not false, while it runs, and "
                              "of those what fits in %" G_GSIZE_FORMAT " MiB; send the "
                              "conversation as input instead", previous,
                              self ? self->responses_max : RW_SERVER_RESPONSES_KEPT,
                              (self ? self->responses_max_bytes
                                    : RW_SERVER_RESPONSES_KEPT_BYTES) >> 20);
          return NULL;
        }
      /* The earlier instructions do not carry over, as OpenAI's do not. */
      for (guint i = 0; i < json_array_get_length (json_node_get_array (earlier)); i++)
        {
          JsonNode *m = json_array_get_element (json_node_get_array (earlier), i);
          const char *role = JSON_NODE_HOLDS_OBJECT (m)
                             ? rw_json_object_get_string (json_node_get_object (m), "role", "")
                             : "";
          if (!g_str_equal (role, "developer") && !g_str_equal (role, "system"))
            json_array_add_element (messages, json_node_copy (m));
        }
    }
  if (input == NULL)
    {
      rw_set_param_error (error, RW_ERROR_BAD_REQUEST, "input", "“input” is required");
      return NULL;
    }
  if (!responses_add_input (messages, input, error))
    return NULL;

  node = json_node_init_array (json_node_alloc (), messages);
  if (!rw_chat_request_set_messages_from_json (request, node, error))
    return NULL;
  *messages_out = rw_json_to_string (node, FALSE);

  if (!responses_add_tools (extra, given, error))
    return NULL;
  for (guint i = 0; passed[i] != NULL; i++)
    if (json_object_has_member (given, passed[i]))
      json_object_set_member (extra, passed[i],
                              json_node_copy (json_object_get_member (given, passed[i])));
  if (reasoning != NULL && rw_json_object_get_string (reasoning, "effort", NULL) != NULL)
    json_object_set_string_member (extra, "reasoning_effort",
                                   rw_json_object_get_string (reasoning, "effort", NULL));
  _rw_server_request_set_extra (request, extra, task_header);

  request->stream = rw_json_object_get_boolean (given, "stream", FALSE);
  request->temperature = rw_json_object_get_double (given, "temperature", -1);
  /* The name OpenAI's reasoning models take. */
  request->max_tokens = rw_json_object_get_int (given, "max_output_tokens", 0);
  request->max_completion_tokens = request->max_tokens > 0;
  return g_steal_pointer (&request);
}
