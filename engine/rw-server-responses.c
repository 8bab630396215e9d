/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "rw-error.h"
#include "rw-json.h"
#include "rw-server-private.h"

/* OpenAI's Responses API, POST /v1/responses: a request becomes a chat request
 * (rw-server-responses-input.c), goes through the router like any other, and its answer is
 * written as a response object, whole or as the Responses event stream. previous_response_id
 * names a response this server gave while it runs: the conversation it ended is kept in
 * memory, the last RW_SERVER_RESPONSES_KEPT of them within RW_SERVER_RESPONSES_KEPT_BYTES
 * (rw_server_set_responses_kept()). */

/* ------------------------------------------------------------------- kept conversations */

/* Forgets the oldest kept conversation. Under responses_lock. */
static void
responses_forget_oldest (RwServer *self)
{
  g_autofree char *oldest = g_queue_pop_head (self->response_order);
  const char *messages = g_hash_table_lookup (self->responses, oldest);

  if (messages != NULL)
    self->responses_bytes -= strlen (messages);
  g_hash_table_remove (self->responses, oldest);
}

/* The messages (a JSON array's text) that led to response @id, and its answer: kept while it
 * is among the last responses_max, and the text of those kept is within responses_max_bytes
 * (the oldest go first); one longer than that is not kept. */
static void
responses_keep (RwServer   *self,
                const char *id,
                char       *messages)
{
  gsize size = strlen (messages);

  g_mutex_lock (&self->responses_lock);
  if (size > self->responses_max_bytes)
    {
      g_mutex_unlock (&self->responses_lock);
      g_free (messages);
      return;
    }
  if (self->responses == NULL)
    {
      self->responses = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      self->response_order = g_queue_new ();
    }
  g_hash_table_replace (self->responses, g_strdup (id), messages);
  g_queue_push_tail (self->response_order, g_strdup (id));
  self->responses_bytes += size;
  while (g_queue_get_length (self->response_order) > self->responses_max ||
         self->responses_bytes > self->responses_max_bytes)
    responses_forget_oldest (self);
  g_mutex_unlock (&self->responses_lock);
}

char *
_rw_server_responses_lookup (RwServer   *self,
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
