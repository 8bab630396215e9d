/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "rw-error.h"
#include "rw-json.h"
#include "rw-server-private.h"

/* OpenAI's Responses API, POST /v1/responses: a request becomes a chat request (input items as
 * messages, function tools as tools, text.format as response_format), goes through the router
 * like any other, and its answer is written as a response object, whole or as the Responses
 * event stream. previous_response_id names a response this server gave while it runs: the
 * conversation it ended is kept in memory, the last RESPONSES_KEPT of them. */

#define RESPONSES_KEPT 1000

/* ------------------------------------------------------------------- kept conversations */

/* The messages (a JSON array's text) that led to response @id, and its answer. */
static void
responses_keep (RwServer   *self,
                const char *id,
                char       *messages)
{
  g_mutex_lock (&self->responses_lock);
  if (self->responses == NULL)
    {
      self->responses = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      self->response_order = g_queue_new ();
    }
  g_hash_table_replace (self->responses, g_strdup (id), messages);
  g_queue_push_tail (self->response_order, g_strdup (id));
  while (g_queue_get_length (self->response_order) > RESPONSES_KEPT)
    {
      g_autofree char *oldest = g_queue_pop_head (self->response_order);
      g_hash_table_remove (self->responses, oldest);
    }
  g_mutex_unlock (&self->responses_lock);
}

static char *
responses_lookup (RwServer   *self,
                  const char *id)
{
  char *messages = NULL;

  g_mutex_lock (&self->responses_lock);
  if (self->responses != NULL)
    messages = g_strdup (g_hash_table_lookup (self->responses, id));
  g_mutex_unlock (&self->responses_lock);
  return messages;
}

void
_rw_server_responses_free (RwServer *self)
{
  g_clear_pointer (&self->responses, g_hash_table_unref);
  if (self->response_order != NULL)
    g_queue_free_full (g_steal_pointer (&self->response_order), g_free);
}

/* ---------------------------------------------------------------------------- the request */

typedef struct
{
  JsonObject *request;         /* the caller's, for what the response repeats */
  char *messages;              /* what led to the answer, as a chat messages array */
  gboolean keep;               /* store: the conversation is kept for previous_response_id */
  int seq;                     /* the stream's sequence_number */
  GPtrArray *items;            /* output items so far, in order: Item */
  int message_item;            /* the index of the open message item, or -1 */
  RwChatResult *so_far;        /* what the stream has carried, to close items as they end */
} Responses;

typedef struct
{
  char *id;
  int tool_call;               /* the tool call this item is, or -1 for the message */
  gboolean done;
} Item;

static void
item_free (Item *item)
{
  g_free (item->id);
  g_free (item);
}

static void
responses_free (gpointer data)
{
  Responses *r = data;

  g_clear_pointer (&r->request, json_object_unref);
  g_free (r->messages);
  g_ptr_array_unref (r->items);
  g_clear_pointer (&r->so_far, rw_chat_result_unref);
  g_free (r);
}

static char *
responses_new_id (const char *prefix)
{
  return g_strdup_printf ("%s%08x%08x%08x", prefix, g_random_int (), g_random_int (),
                          g_random_int ());
}

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
      g_autofree char *before = self ? responses_lookup (self, previous) : NULL;
      g_autoptr(JsonNode) earlier = before ? rw_json_parse (before, strlen (before), NULL) : NULL;

      if (earlier == NULL || !JSON_NODE_HOLDS_ARRAY (earlier))
        {
          rw_set_param_error (error, RW_ERROR_BAD_REQUEST, "previous_response_id",
                       "previous_response_id %s is not known: this server keeps the last %d "
                       "responses it gave, with store not false, while it runs; send the "
                       "conversation as input instead", previous, RESPONSES_KEPT);
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

/* --------------------------------------------------------------------------- the answer */

static void
responses_append_item (Responses    *r,
                       RwChatResult *result,
                       guint         i,
                       GString      *out)
{
  Item *item = r->items->pdata[i];

  if (item->tool_call < 0)
    {
      g_string_append (out, "{\"type\":\"message\",\"id\":");
      rw_json_append_string (out, item->id);
      g_string_append (out, ",\"status\":\"completed\",\"role\":\"assistant\",\"content\":["
                            "{\"type\":\"output_text\",\"text\":");
      rw_json_append_string (out, result->text->str);
      g_string_append (out, ",\"annotations\":[],\"logprobs\":[]}]}");
    }
  else
    {
      GPtrArray *calls = rw_chat_result_get_tool_calls (result);
      RwToolCall *call = calls && item->tool_call < (int) calls->len
                         ? calls->pdata[item->tool_call] : NULL;

      g_string_append (out, "{\"type\":\"function_call\",\"id\":");
      rw_json_append_string (out, item->id);
      g_string_append (out, ",\"call_id\":");
      rw_json_append_string (out, call && call->id ? call->id : item->id);
      g_string_append (out, ",\"name\":");
      rw_json_append_string (out, call && call->name ? call->name : "");
      g_string_append (out, ",\"arguments\":");
      rw_json_append_string (out, call ? call->arguments->str : "");
      g_string_append (out, ",\"status\":\"completed\"}");
    }
}

/* The items a whole answer holds: its text as a message, then each tool call. */
static void
responses_settle_items (Responses    *r,
                        RwChatResult *result)
{
  GPtrArray *calls = rw_chat_result_get_tool_calls (result);
  gboolean has_message = FALSE;

  for (guint i = 0; i < r->items->len; i++)
    has_message |= ((Item *) r->items->pdata[i])->tool_call < 0;
  if (!has_message && (result->text->len > 0 || calls == NULL))
    {
      Item *item = g_new0 (Item, 1);

      item->id = responses_new_id ("msg_");
      item->tool_call = -1;
      g_ptr_array_insert (r->items, 0, item);
    }
  for (guint i = 0; calls != NULL && i < calls->len; i++)
    {
      gboolean known = FALSE;

      for (guint j = 0; j < r->items->len; j++)
        known |= ((Item *) r->items->pdata[j])->tool_call == (int) i;
      if (!known)
        {
          Item *item = g_new0 (Item, 1);

          item->id = responses_new_id ("fc_");
          item->tool_call = i;
          g_ptr_array_add (r->items, item);
        }
    }
}

/* A member of the usage details the upstream sent, or 0. */
static gint64
responses_usage_detail (RwChatResult *result,
                        const char   *group,
                        const char   *name)
{
  g_autofree char *text = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *details;

  if (result->usage_details == NULL)
    return 0;
  text = g_strdup_printf ("{%s}", result->usage_details);
  node = rw_json_parse (text, strlen (text), NULL);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node) ||
      (details = rw_json_object_get_object (json_node_get_object (node), group)) == NULL)
    return 0;
  return rw_json_object_get_int (details, name, 0);
}

static void
responses_append_member (GString    *out,
                         JsonObject *given,
                         const char *name,
                         const char *fallback)
{
  JsonNode *v = json_object_get_member (given, name);

  g_string_append_printf (out, ",\"%s\":", name);
  if (v != NULL)
    {
      g_autofree char *text = rw_json_to_string (v, FALSE);
      g_string_append (out, text);
    }
  else
    g_string_append (out, fallback);
}

static const char *
responses_status (RwChatResult *result)
{
  const char *finish = result->finish_reason;

  return g_strcmp0 (finish, "length") == 0 || g_strcmp0 (finish, "content_filter") == 0
         ? "incomplete" : "completed";
}

/* The response object: in progress (no result yet), completed, incomplete or failed. */
static char *
responses_object (RwServerCall  *call,
                  const char    *model,
                  RwChatResult  *result,
                  const GError  *failure)
{
  Responses *r = call->state;
  GString *out = g_string_sized_new (512);
  const char *finish = result ? result->finish_reason : NULL;
  const char *status = failure ? "failed" : result == NULL ? "in_progress"
                       : responses_status (result);
  JsonObject *given = r->request;

  g_string_append (out, "{\"id\":");
  rw_json_append_string (out, call->id);
  g_string_append (out, ",\"object\":\"response\",\"created_at\":");
  rw_json_append_int (out, call->created);
  g_string_append_printf (out, ",\"status\":\"%s\",\"error\":", status);
  if (failure != NULL)
    {
      const char *code;

      _rw_server_status_for_error (failure, &code);
      g_string_append (out, "{\"code\":");
      rw_json_append_string (out, code ? code : "server_error");
      g_string_append (out, ",\"message\":");
      rw_json_append_string (out, failure->message);
      g_string_append_c (out, '}');
    }
  else
    g_string_append (out, "null");
  g_string_append (out, ",\"incomplete_details\":");
  if (g_str_equal (status, "incomplete"))
    g_string_append_printf (out, "{\"reason\":\"%s\"}", g_strcmp0 (finish, "length") == 0
                            ? "max_output_tokens" : "content_filter");
  else
    g_string_append (out, "null");
  responses_append_member (out, given, "instructions", "null");
  responses_append_member (out, given, "max_output_tokens", "null");
  g_string_append (out, ",\"model\":");
  rw_json_append_string (out, model ? model : call->requested);
  g_string_append (out, ",\"output\":[");
  for (guint i = 0; result != NULL && failure == NULL && i < r->items->len; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      responses_append_item (r, result, i, out);
    }
  g_string_append_c (out, ']');
  responses_append_member (out, given, "parallel_tool_calls", "true");
  responses_append_member (out, given, "previous_response_id", "null");
  responses_append_member (out, given, "reasoning", "{\"effort\":null,\"summary\":null}");
  g_string_append_printf (out, ",\"store\":%s", r->keep ? "true" : "false");
  responses_append_member (out, given, "temperature", "1.0");
  responses_append_member (out, given, "text", "{\"format\":{\"type\":\"text\"}}");
  responses_append_member (out, given, "tool_choice", "\"auto\"");
  responses_append_member (out, given, "tools", "[]");
  responses_append_member (out, given, "top_p", "1.0");
  g_string_append (out, ",\"truncation\":\"disabled\",\"usage\":");
  if (result != NULL && failure == NULL)
    {
      gint64 in = MAX (0, result->tokens_in), done = MAX (0, result->tokens_out);

      g_string_append_printf (out, "{\"input_tokens\":%" G_GINT64_FORMAT ",\"input_tokens_details\":"
                              "{\"cached_tokens\":%" G_GINT64_FORMAT "},\"output_tokens\":%"
                              G_GINT64_FORMAT ",\"output_tokens_details\":{\"reasoning_tokens\":%"
                              G_GINT64_FORMAT "},\"total_tokens\":%" G_GINT64_FORMAT "}",
                              in, responses_usage_detail (result, "prompt_tokens_details",
                                                          "cached_tokens"),
                              done, responses_usage_detail (result, "completion_tokens_details",
                                                            "reasoning_tokens"),
                              in + done);
    }
  else
    g_string_append (out, "null");
  responses_append_member (out, given, "user", "null");
  responses_append_member (out, given, "metadata", "{}");
  g_string_append_c (out, '}');
  return g_string_free (out, FALSE);
}

/* Keeps the conversation, the answer included, for a later previous_response_id. */
static void
responses_remember (RwServerCall *call,
                    RwChatResult *result)
{
  Responses *r = call->state;
  g_autoptr(GString) answer = g_string_new ("{\"role\":\"assistant\",\"content\":");
  GPtrArray *calls = rw_chat_result_get_tool_calls (result);
  g_autofree char *messages = NULL;
  gsize len;

  if (!r->keep)
    return;
  rw_json_append_string (answer, result->text->str);
  if (calls != NULL)
    {
      g_string_append (answer, ",\"tool_calls\":[");
      for (guint i = 0; i < calls->len; i++)
        {
          if (i > 0)
            g_string_append_c (answer, ',');
          rw_tool_call_append_json (calls->pdata[i], -1, answer);
        }
      g_string_append_c (answer, ']');
    }
  g_string_append_c (answer, '}');
  /* The messages' array, with the answer after its last message. */
  len = strlen (r->messages);
  messages = g_strdup_printf ("%.*s%s%s]", (int) (len - 1), r->messages, len > 2 ? "," : "",
                              answer->str);
  responses_keep (call->server, call->id, g_steal_pointer (&messages));
}

static void
responses_reply_whole (RwServerCall  *call,
                       RwRouteResult *out)
{
  responses_settle_items (call->state, out->result);
  responses_remember (call, out->result);
  _rw_server_reply_json (call->conn, 200, out->model_id, out->task ? out->task : "default",
                         responses_object (call, out->model_id, out->result, NULL));
}

/* ------------------------------------------------------------------------- the stream */

/* One event: its type, its sequence number, and the rest of its members as JSON text. */
static void
responses_event (RwServerCall *call,
                 const char   *type,
                 const char   *members)
{
  Responses *r = call->state;
  g_autoptr(GString) line = g_string_sized_new (128 + strlen (members));

  g_string_append_printf (line, "event: %s\ndata: {\"type\":\"%s\",\"sequence_number\":%d%s%s}\n\n",
                          type, type, r->seq++, *members ? "," : "", members);
  _rw_server_stream_append (call->conn, line->str, line->len);
}

static void
responses_event_response (RwServerCall *call,
                          const char   *type,
                          const char   *model,
                          RwChatResult *result,
                          const GError *failure)
{
  g_autofree char *object = responses_object (call, model, result, failure);
  g_autofree char *members = g_strdup_printf ("\"response\":%s", object);

  responses_event (call, type, members);
}

static void
responses_stream_start (RwServerCall *call,
                        const char   *model)
{
  responses_event_response (call, "response.created", model, NULL, NULL);
  responses_event_response (call, "response.in_progress", model, NULL, NULL);
}

/* Closes output item @i: its last events. */
static void
responses_close_item (RwServerCall *call,
                      RwChatResult *result,
                      guint         i)
{
  Responses *r = call->state;
  Item *item = r->items->pdata[i];
  g_autoptr(GString) whole = g_string_new (NULL);
  g_autofree char *members = NULL;

  if (item->done)
    return;
  item->done = TRUE;
  if (item->tool_call < 0)
    {
      g_autoptr(GString) text = g_string_new (NULL);

      rw_json_append_string (text, result->text->str);
      members = g_strdup_printf ("\"item_id\":\"%s\",\"output_index\":%u,\"content_index\":0,"
                                 "\"text\":%s,\"logprobs\":[]", item->id, i, text->str);
      responses_event (call, "response.output_text.done", members);
      g_free (members);
      members = g_strdup_printf ("\"item_id\":\"%s\",\"output_index\":%u,\"content_index\":0,"
                                 "\"part\":{\"type\":\"output_text\",\"text\":%s,"
                                 "\"annotations\":[],\"logprobs\":[]}", item->id, i, text->str);
      responses_event (call, "response.content_part.done", members);
    }
  else
    {
      GPtrArray *calls = rw_chat_result_get_tool_calls (result);
      RwToolCall *tc = calls && item->tool_call < (int) calls->len
                       ? calls->pdata[item->tool_call] : NULL;
      g_autoptr(GString) args = g_string_new (NULL);

      rw_json_append_string (args, tc ? tc->arguments->str : "");
      members = g_strdup_printf ("\"item_id\":\"%s\",\"output_index\":%u,\"arguments\":%s",
                                 item->id, i, args->str);
      responses_event (call, "response.function_call_arguments.done", members);
    }
  responses_append_item (r, result, i, whole);
  g_free (members);
  members = g_strdup_printf ("\"output_index\":%u,\"item\":%s", i, whole->str);
  responses_event (call, "response.output_item.done", members);
}

/* What the stream has carried so far: the format sees pieces, and closes an item with all
 * of it. */
static RwChatResult *
responses_so_far (RwServerCall *call)
{
  Responses *r = call->state;

  if (r->so_far == NULL)
    r->so_far = rw_chat_result_new (NULL);
  return r->so_far;
}

static void
responses_stream_delta (RwServerCall      *call,
                        const char        *model,
                        const RwChatDelta *delta)
{
  Responses *r = call->state;
  RwChatResult *so_far = responses_so_far (call);
  g_autofree char *members = NULL;

  if (delta->choice != 0)
    return;
  rw_chat_result_apply_delta (so_far, delta);
  if (delta->text != NULL && *delta->text != '\0')
    {
      g_autoptr(GString) piece = g_string_new (NULL);
      Item *item;

      if (r->message_item < 0)
        {
          item = g_new0 (Item, 1);
          item->id = responses_new_id ("msg_");
          item->tool_call = -1;
          r->message_item = r->items->len;
          g_ptr_array_add (r->items, item);
          members = g_strdup_printf ("\"output_index\":%d,\"item\":{\"type\":\"message\",\"id\":"
                                     "\"%s\",\"status\":\"in_progress\",\"role\":\"assistant\","
                                     "\"content\":[]}", r->message_item, item->id);
          responses_event (call, "response.output_item.added", members);
          g_free (members);
          members = g_strdup_printf ("\"item_id\":\"%s\",\"output_index\":%d,\"content_index\":0,"
                                     "\"part\":{\"type\":\"output_text\",\"text\":\"\","
                                     "\"annotations\":[],\"logprobs\":[]}", item->id,
                                     r->message_item);
          responses_event (call, "response.content_part.added", members);
          g_free (members);
        }
      item = r->items->pdata[r->message_item];
      rw_json_append_string (piece, delta->text);
      members = g_strdup_printf ("\"item_id\":\"%s\",\"output_index\":%d,\"content_index\":0,"
                                 "\"delta\":%s,\"logprobs\":[]", item->id, r->message_item,
                                 piece->str);
      responses_event (call, "response.output_text.delta", members);
    }
  if (delta->tool_call >= 0)
    {
      int at = -1;
      g_autoptr(GString) args = g_string_new (NULL);
      Item *item;

      for (guint i = 0; i < r->items->len; i++)
        if (((Item *) r->items->pdata[i])->tool_call == delta->tool_call)
          at = i;
      if (at < 0)
        {
          g_autoptr(GString) id = g_string_new (NULL), name = g_string_new (NULL);

          /* A new call: the items before it are done, as OpenAI streams them one by one. */
          for (guint i = 0; i < r->items->len; i++)
            responses_close_item (call, so_far, i);
          item = g_new0 (Item, 1);
          item->id = responses_new_id ("fc_");
          item->tool_call = delta->tool_call;
          at = r->items->len;
          g_ptr_array_add (r->items, item);
          rw_json_append_string (id, delta->tool_call_id ? delta->tool_call_id : item->id);
          rw_json_append_string (name, delta->tool_name ? delta->tool_name : "");
          g_free (members);
          members = g_strdup_printf ("\"output_index\":%d,\"item\":{\"type\":\"function_call\","
                                     "\"id\":\"%s\",\"call_id\":%s,\"name\":%s,\"arguments\":\"\","
                                     "\"status\":\"in_progress\"}", at, item->id, id->str,
                                     name->str);
          responses_event (call, "response.output_item.added", members);
        }
      item = r->items->pdata[at];
      if (delta->tool_arguments != NULL && *delta->tool_arguments != '\0')
        {
          rw_json_append_string (args, delta->tool_arguments);
          g_free (members);
          members = g_strdup_printf ("\"item_id\":\"%s\",\"output_index\":%d,\"delta\":%s",
                                     item->id, at, args->str);
          responses_event (call, "response.function_call_arguments.delta", members);
        }
    }
}

static void
responses_stream_finish (RwServerCall  *call,
                         RwRouteResult *out)
{
  Responses *r = call->state;
  RwChatResult *result = out->result;

  /* An answer with nothing in it is still a message; tool calls that came whole (a provider
   * that sends them at the end) are announced before they close. */
  if (r->items->len == 0 && result->text->len == 0 &&
      rw_chat_result_get_tool_calls (result) == NULL)
    {
      RwChatDelta none = RW_CHAT_DELTA_INIT;
      none.text = "";
      responses_stream_delta (call, out->model_id, &none);
    }
  responses_settle_items (r, result);
  for (guint i = 0; i < r->items->len; i++)
    responses_close_item (call, result, i);
  responses_remember (call, result);
  responses_event_response (call, g_str_equal (responses_status (result), "completed")
                                  ? "response.completed" : "response.incomplete",
                            out->model_id, result, NULL);
}

static void
responses_stream_fail (RwServerCall *call,
                       guint         status,
                       const GError *error,
                       const char   *code)
{
  responses_event_response (call, "response.failed", NULL, NULL, error);
}

static const RwServerFormat responses_format = {
  responses_stream_start,
  responses_stream_delta,
  responses_stream_finish,
  responses_stream_fail,
  responses_reply_whole,
  responses_free,
};

void
_rw_server_handle_responses (RwServer     *self,
                             RwServerConn *c,
                             const char   *body,
                             gsize         len)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = rw_json_parse (body, len, &error);
  g_autoptr(RwChatRequest) request = NULL;
  g_autofree char *messages = NULL;
  JsonObject *given;
  const char *model;
  RwServerCall *call;
  Responses *r;

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      _rw_server_reply_error (c, 400, root == NULL ? "the body is not valid JSON"
                                                   : "the body must be a JSON object", NULL);
      return;
    }
  given = json_node_get_object (root);
  if ((model = rw_json_object_get_string (given, "model", NULL)) == NULL)
    {
      rw_set_param_error (&error, RW_ERROR_BAD_REQUEST, "model", "“model” is required");
      _rw_server_reply_request_error (c, error);
      return;
    }
  if ((request = _rw_server_responses_parse (self, given, c->req.task, &messages, &error)) == NULL)
    {
      _rw_server_reply_request_error (c, error);
      return;
    }
  call = _rw_server_call_start (c, &responses_format, "resp_", request, model);
  r = g_new0 (Responses, 1);
  r->request = json_object_ref (given);
  r->messages = g_steal_pointer (&messages);
  r->keep = rw_json_object_get_boolean (given, "store", TRUE);
  r->items = g_ptr_array_new_with_free_func ((GDestroyNotify) item_free);
  r->message_item = -1;
  call->state = r;
  _rw_server_call_route (call, request);
}
