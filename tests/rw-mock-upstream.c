/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <json-glib/json-glib.h>

#include "rw-mock-upstream.h"

struct _RwMockUpstream
{
  GThread *thread;
  GMainContext *context;
  GMainLoop *loop;
  GSocketService *service;
  guint16 port;
  GMutex mutex;
  GCond ready_cond;
  GCond written_cond;
  gboolean ready;
  GHashTable *written;    /* model -> body bytes written so far */
  guint active;           /* requests being answered now */
  guint max_active;
  GHashTable *queues;     /* model -> GQueue of RwMockReply */
  GHashTable *defaults;   /* model -> RwMockReply */
  GHashTable *rules;      /* model -> GPtrArray of RwMockReply, each with a match */
  GHashTable *counts;     /* model -> count */
  char *last_headers;
  char *last_body;
  GPtrArray *connections; /* Conn, mock thread only */
};

/* ------------------------------------------------------------------------------ replies */

RwMockReply *
rw_mock_reply_new (guint       status,
                   const char *content_type,
                   const char *body,
                   gssize      len)
{
  RwMockReply *r = g_new0 (RwMockReply, 1);

  r->status = status;
  r->content_type = g_strdup (content_type);
  r->headers = g_ptr_array_new_with_free_func (g_free);
  r->body = g_bytes_new (body, len < 0 ? strlen (body) : (gsize) len);
  r->stall_at = -1;
  r->drop_at = -1;
  return r;
}

RwMockReply *
rw_mock_reply_new_json (guint       status,
                        const char *json)
{
  return rw_mock_reply_new (status, "application/json", json, -1);
}

static char *
json_string (const char *text)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_VALUE);
  json_node_set_string (node, text);
  return json_to_string (node, FALSE);
}

/* A non-streamed chat completion. */
RwMockReply *
rw_mock_reply_new_chat (const char *text,
                        gint64      tokens_in,
                        gint64      tokens_out)
{
  g_autofree char *quoted = json_string (text);
  g_autofree char *body = g_strdup_printf (
    "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\","
    "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":%s},"
    "\"finish_reason\":\"stop\"}],"
    "\"usage\":{\"prompt_tokens\":%" G_GINT64_FORMAT ",\"completion_tokens\":%" G_GINT64_FORMAT
    ",\"total_tokens\":%" G_GINT64_FORMAT "}}",
    quoted, tokens_in, tokens_out, tokens_in + tokens_out);
  return rw_mock_reply_new_json (200, body);
}

/* A streamed chat completion: one chunk per piece, a finish chunk, a usage chunk, [DONE]. */
RwMockReply *
rw_mock_reply_new_stream (const char * const *pieces,
                          gint64              tokens_in,
                          gint64              tokens_out,
                          gboolean            with_done)
{
  g_autoptr(GString) s = g_string_new (NULL);
  RwMockReply *r;

  g_string_append (s, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":"
                      "[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
                      "\"finish_reason\":null}]}\n\n");
  for (guint i = 0; pieces[i]; i++)
    {
      g_autofree char *quoted = json_string (pieces[i]);
      g_string_append_printf (s, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\","
                                 "\"choices\":[{\"index\":0,\"delta\":{\"content\":%s},"
                                 "\"finish_reason\":null}]}\n\n", quoted);
    }
  g_string_append (s, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"choices\":"
                      "[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n");
  g_string_append_printf (s, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\","
                             "\"choices\":[],\"usage\":{\"prompt_tokens\":%" G_GINT64_FORMAT
                             ",\"completion_tokens\":%" G_GINT64_FORMAT "}}\n\n",
                          tokens_in, tokens_out);
  if (with_done)
    g_string_append (s, "data: [DONE]\n\n");

  r = rw_mock_reply_new (200, "text/event-stream", s->str, s->len);
  r->chunked = TRUE;
  return r;
}

/* A stream of server-sent events, one `data:` line each, as written: for answers beyond plain
 * text (tool calls, several choices, log probabilities). */
RwMockReply *
rw_mock_reply_new_events (const char * const *events)
{
  g_autoptr(GString) s = g_string_new (NULL);
  RwMockReply *r;

  for (guint i = 0; events[i]; i++)
    g_string_append_printf (s, "data: %s\n\n", events[i]);
  r = rw_mock_reply_new (200, "text/event-stream", s->str, s->len);
  r->chunked = TRUE;
  return r;
}

/* One tool call, streamed as OpenAI streams it: the first piece with the call's id, type and
 * name, the arguments in two more, then finish_reason "tool_calls" and the usage. */
RwMockReply *
rw_mock_reply_new_tool_call (const char *id,
                             const char *name,
                             const char *arguments)
{
  gsize half = strlen (arguments) / 2;
  g_autofree char *head = g_strndup (arguments, half);
  g_autofree char *qid = json_string (id), *qname = json_string (name);
  g_autofree char *qhead = json_string (head), *qtail = json_string (arguments + half);
  g_autofree char *first = g_strdup_printf (
    "{\"id\":\"t1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
    "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null,"
    "\"tool_calls\":[{\"index\":0,\"id\":%s,\"type\":\"function\",\"function\":{\"name\":%s,"
    "\"arguments\":\"\"}}]},\"finish_reason\":null}]}", qid, qname);
  g_autofree char *second = g_strdup_printf (
    "{\"id\":\"t1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
    "\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":"
    "{\"arguments\":%s}}]},\"finish_reason\":null}]}", qhead);
  g_autofree char *third = g_strdup_printf (
    "{\"id\":\"t1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
    "\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":"
    "{\"arguments\":%s}}]},\"finish_reason\":null}]}", qtail);
  const char *events[] = {
    first, second, third,
    "{\"id\":\"t1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
    "\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}]}",
    "{\"id\":\"t1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
    "\"choices\":[],\"usage\":{\"prompt_tokens\":30,\"completion_tokens\":12,\"total_tokens\":42}}",
    "[DONE]",
    NULL
  };

  return rw_mock_reply_new_events (events);
}

/* An answer whose text is the request's body as the upstream received it: what reached it,
 * for a client at the other end of a gateway to check. */
RwMockReply *
rw_mock_reply_new_echo (void)
{
  static const char * const events[] = {
    "{\"id\":\"e1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
    "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":" RW_MOCK_REQUEST_BODY
    "},\"finish_reason\":null}]}",
    "{\"id\":\"e1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
    "\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}",
    "[DONE]",
    NULL
  };

  return rw_mock_reply_new_events (events);
}

/* An /embeddings reply as OpenAI gives one, made from the request: one embedding for each
 * input (a text, texts, token ids or lists of them), input i's being [i + 1, 0.5, -0.25], as
 * numbers or, when the request asks for "encoding_format": "base64", as the base64 of their
 * little-endian float32s; usage counts a token for each 4 bytes of text. */
RwMockReply *
rw_mock_reply_new_embeddings (void)
{
  RwMockReply *reply = rw_mock_reply_new_json (200, "{}");

  reply->embeddings = TRUE;
  return reply;
}

static GBytes *
embeddings_for (const char *request,
                gsize       len)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GString) out = g_string_new ("{\"object\":\"list\",\"data\":[");
  JsonObject *o;
  JsonNode *input;
  gboolean base64;
  guint n = 1;
  gint64 tokens = 0;

  if (!json_parser_load_from_data (parser, request, len, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      static const char refusal[] = "{\"error\":{\"message\":\"not JSON\"}}";
      return g_bytes_new_static (refusal, strlen (refusal));
    }
  o = json_node_get_object (json_parser_get_root (parser));
  input = json_object_get_member (o, "input");
  base64 = g_strcmp0 (json_object_get_string_member_with_default (o, "encoding_format", ""),
                      "base64") == 0;
  if (input != NULL && JSON_NODE_HOLDS_ARRAY (input))
    {
      JsonArray *a = json_node_get_array (input);
      JsonNode *first = json_array_get_length (a) > 0 ? json_array_get_element (a, 0) : NULL;

      if (first != NULL && !(JSON_NODE_HOLDS_VALUE (first) &&
                             json_node_get_value_type (first) == G_TYPE_INT64))
        n = json_array_get_length (a);
      for (guint i = 0; i < json_array_get_length (a); i++)
        {
          JsonNode *e = json_array_get_element (a, i);
          tokens += JSON_NODE_HOLDS_VALUE (e) && json_node_get_value_type (e) == G_TYPE_STRING
                    ? (gint64) strlen (json_node_get_string (e)) / 4 + 1 : 1;
        }
    }
  else if (input != NULL && JSON_NODE_HOLDS_VALUE (input))
    tokens = (gint64) strlen (json_node_get_string (input) ? json_node_get_string (input) : "") / 4 + 1;
  for (guint i = 0; i < n; i++)
    {
      float v[3] = { (float) (i + 1), 0.5f, -0.25f };

      g_string_append_printf (out, "%s{\"object\":\"embedding\",\"index\":%u,\"embedding\":",
                              i ? "," : "", i);
      if (base64)
        {
          guint8 bytes[sizeof v];
          g_autofree char *text = NULL;

          for (guint j = 0; j < 3; j++)
            {
              guint32 bits;
              memcpy (&bits, &v[j], 4);
              bits = GUINT32_TO_LE (bits);
              memcpy (bytes + 4 * j, &bits, 4);
            }
          text = g_base64_encode (bytes, sizeof bytes);
          g_string_append_printf (out, "\"%s\"}", text);
        }
      else
        g_string_append_printf (out, "[%u,0.5,-0.25]}", i + 1);
    }
  g_string_append_printf (out, "],\"model\":\"%s\",\"usage\":{\"prompt_tokens\":%"
                          G_GINT64_FORMAT ",\"total_tokens\":%" G_GINT64_FORMAT "}}",
                          json_object_get_string_member_with_default (o, "model", ""),
                          tokens, tokens);
  return g_string_free_to_bytes (g_steal_pointer (&out));
}

/* A streamed answer in each protocol's own framing: the same text and usage whatever the
 * protocol, so that tests can check that every provider reads it the same way. */
RwMockReply *
rw_mock_reply_new_protocol_stream (RwMockProtocol      protocol,
                                   const char * const *pieces,
                                   gint64              tokens_in,
                                   gint64              tokens_out)
{
  g_autoptr(GString) s = g_string_new (NULL);
  RwMockReply *r;

  switch (protocol)
    {
    case RW_MOCK_OPENAI:
      return rw_mock_reply_new_stream (pieces, tokens_in, tokens_out, TRUE);

    case RW_MOCK_ANTHROPIC:
      g_string_append_printf (s, "event: message_start\ndata: {\"type\":\"message_start\",\"message\":"
                                 "{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\","
                                 "\"content\":[],\"usage\":{\"input_tokens\":%" G_GINT64_FORMAT
                                 ",\"output_tokens\":1}}}\n\n", tokens_in);
      g_string_append (s, "event: content_block_start\ndata: {\"type\":\"content_block_start\","
                          "\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n");
      g_string_append (s, "event: ping\ndata: {\"type\":\"ping\"}\n\n");
      for (guint i = 0; pieces[i]; i++)
        {
          g_autofree char *q = json_string (pieces[i]);
          g_string_append_printf (s, "event: content_block_delta\ndata: {\"type\":\"content_block_delta\","
                                     "\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":%s}}\n\n", q);
        }
      g_string_append (s, "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n");
      g_string_append_printf (s, "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":"
                                 "{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":"
                                 "{\"output_tokens\":%" G_GINT64_FORMAT "}}\n\n", tokens_out);
      g_string_append (s, "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
      r = rw_mock_reply_new (200, "text/event-stream", s->str, s->len);
      r->chunked = TRUE;
      return r;

    case RW_MOCK_GEMINI:
      for (guint i = 0; pieces[i]; i++)
        {
          g_autofree char *q = json_string (pieces[i]);
          gboolean last = pieces[i + 1] == NULL;
          g_string_append_printf (s, "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":%s}],"
                                     "\"role\":\"model\"}%s}],\"usageMetadata\":{\"promptTokenCount\":%"
                                     G_GINT64_FORMAT ",\"candidatesTokenCount\":%" G_GINT64_FORMAT
                                     ",\"totalTokenCount\":%" G_GINT64_FORMAT "}}\r\n\r\n",
                                  q, last ? ",\"finishReason\":\"STOP\"" : "", tokens_in,
                                  last ? tokens_out : (gint64) i + 1, tokens_in + (last ? tokens_out : i + 1));
        }
      r = rw_mock_reply_new (200, "text/event-stream", s->str, s->len);
      r->chunked = TRUE;
      return r;

    case RW_MOCK_OLLAMA:
      for (guint i = 0; pieces[i]; i++)
        {
          g_autofree char *q = json_string (pieces[i]);
          g_string_append_printf (s, "{\"model\":\"m\",\"created_at\":\"2026-01-01T00:00:00Z\","
                                     "\"message\":{\"role\":\"assistant\",\"content\":%s},\"done\":false}\n", q);
        }
      g_string_append_printf (s, "{\"model\":\"m\",\"created_at\":\"2026-01-01T00:00:00Z\",\"message\":"
                                 "{\"role\":\"assistant\",\"content\":\"\"},\"done_reason\":\"stop\","
                                 "\"done\":true,\"prompt_eval_count\":%" G_GINT64_FORMAT
                                 ",\"eval_count\":%" G_GINT64_FORMAT "}\n", tokens_in, tokens_out);
      r = rw_mock_reply_new (200, "application/x-ndjson", s->str, s->len);
      r->chunked = TRUE;
      return r;

    default:
      g_assert_not_reached ();
    }
}

RwMockReply *
rw_mock_reply_new_protocol_whole (RwMockProtocol  protocol,
                                  const char     *text,
                                  gint64          tokens_in,
                                  gint64          tokens_out)
{
  g_autofree char *q = json_string (text);
  g_autofree char *body = NULL;

  switch (protocol)
    {
    case RW_MOCK_OPENAI:
      return rw_mock_reply_new_chat (text, tokens_in, tokens_out);
    case RW_MOCK_ANTHROPIC:
      body = g_strdup_printf ("{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\","
                              "\"content\":[{\"type\":\"text\",\"text\":%s}],\"stop_reason\":\"end_turn\","
                              "\"usage\":{\"input_tokens\":%" G_GINT64_FORMAT ",\"output_tokens\":%"
                              G_GINT64_FORMAT "}}", q, tokens_in, tokens_out);
      break;
    case RW_MOCK_GEMINI:
      body = g_strdup_printf ("{\"candidates\":[{\"content\":{\"parts\":[{\"text\":%s}],\"role\":"
                              "\"model\"},\"finishReason\":\"STOP\"}],\"usageMetadata\":"
                              "{\"promptTokenCount\":%" G_GINT64_FORMAT ",\"candidatesTokenCount\":%"
                              G_GINT64_FORMAT "}}", q, tokens_in, tokens_out);
      break;
    case RW_MOCK_OLLAMA:
      body = g_strdup_printf ("{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":%s},"
                              "\"done_reason\":\"stop\",\"done\":true,\"prompt_eval_count\":%"
                              G_GINT64_FORMAT ",\"eval_count\":%" G_GINT64_FORMAT "}",
                              q, tokens_in, tokens_out);
      break;
    default:
      g_assert_not_reached ();
    }
  return rw_mock_reply_new_json (200, body);
}

/* One tool call, streamed in a protocol's own framing: Anthropic's tool_use block with its
 * input in pieces, Gemini's functionCall, Ollama's tool_calls; OpenAI's as
 * rw_mock_reply_new_tool_call() writes it. */
RwMockReply *
rw_mock_reply_new_protocol_tool_call (RwMockProtocol  protocol,
                                      const char     *id,
                                      const char     *name,
                                      const char     *arguments)
{
  g_autoptr(GString) s = g_string_new (NULL);
  g_autofree char *qid = json_string (id), *qname = json_string (name);
  gsize half = strlen (arguments) / 2;
  g_autofree char *head = g_strndup (arguments, half);
  g_autofree char *qhead = json_string (head), *qtail = json_string (arguments + half);
  RwMockReply *r;

  switch (protocol)
    {
    case RW_MOCK_OPENAI:
      return rw_mock_reply_new_tool_call (id, name, arguments);
    case RW_MOCK_ANTHROPIC:
      g_string_append (s, "event: message_start\ndata: {\"type\":\"message_start\",\"message\":"
                          "{\"id\":\"msg_2\",\"type\":\"message\",\"role\":\"assistant\","
                          "\"content\":[],\"usage\":{\"input_tokens\":30,\"output_tokens\":1}}}\n\n");
      g_string_append_printf (s, "event: content_block_start\ndata: {\"type\":\"content_block_start\","
                                 "\"index\":0,\"content_block\":{\"type\":\"tool_use\",\"id\":%s,"
                                 "\"name\":%s,\"input\":{}}}\n\n", qid, qname);
      g_string_append_printf (s, "event: content_block_delta\ndata: {\"type\":\"content_block_delta\","
                                 "\"index\":0,\"delta\":{\"type\":\"input_json_delta\","
                                 "\"partial_json\":%s}}\n\n", qhead);
      g_string_append_printf (s, "event: content_block_delta\ndata: {\"type\":\"content_block_delta\","
                                 "\"index\":0,\"delta\":{\"type\":\"input_json_delta\","
                                 "\"partial_json\":%s}}\n\n", qtail);
      g_string_append (s, "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n");
      g_string_append (s, "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":"
                          "{\"stop_reason\":\"tool_use\",\"stop_sequence\":null},\"usage\":"
                          "{\"output_tokens\":12}}\n\n");
      g_string_append (s, "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n");
      break;
    case RW_MOCK_GEMINI:
      g_string_append_printf (s, "data: {\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":"
                                 "{\"name\":%s,\"args\":%s}}],\"role\":\"model\"},\"finishReason\":"
                                 "\"STOP\"}],\"usageMetadata\":{\"promptTokenCount\":30,"
                                 "\"candidatesTokenCount\":12}}\r\n\r\n", qname, arguments);
      break;
    case RW_MOCK_OLLAMA:
      g_string_append_printf (s, "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"\","
                                 "\"tool_calls\":[{\"function\":{\"name\":%s,\"arguments\":%s}}]},"
                                 "\"done\":false}\n", qname, arguments);
      g_string_append (s, "{\"model\":\"m\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},"
                          "\"done_reason\":\"stop\",\"done\":true,\"prompt_eval_count\":30,"
                          "\"eval_count\":12}\n");
      r = rw_mock_reply_new (200, "application/x-ndjson", s->str, s->len);
      r->chunked = TRUE;
      return r;
    default:
      g_assert_not_reached ();
    }
  r = rw_mock_reply_new (200, "text/event-stream", s->str, s->len);
  r->chunked = TRUE;
  return r;
}

RwMockReply *
rw_mock_reply_copy (const RwMockReply *reply)
{
  RwMockReply *r = g_new0 (RwMockReply, 1);

  *r = *reply;
  r->content_type = g_strdup (reply->content_type);
  r->headers = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < reply->headers->len; i++)
    g_ptr_array_add (r->headers, g_strdup (reply->headers->pdata[i]));
  r->body = g_bytes_ref (reply->body);
  r->match = g_strdup (reply->match);
  return r;
}

void
rw_mock_reply_add_header (RwMockReply *reply,
                          const char  *name,
                          const char  *value)
{
  g_ptr_array_add (reply->headers, g_strdup_printf ("%s: %s", name, value));
}

void
rw_mock_reply_free (RwMockReply *reply)
{
  if (reply == NULL)
    return;
  g_free (reply->content_type);
  g_free (reply->match);
  g_ptr_array_unref (reply->headers);
  g_bytes_unref (reply->body);
  g_free (reply);
}

/* --------------------------------------------------------------------------- connections */

typedef struct
{
  RwMockUpstream *mock;
  GSocketConnection *conn;
  GByteArray *in;
  RwMockReply *reply;
  char *model;
  gsize offset;
  GSource *timer;
  gboolean closed;
  gboolean counted;
} Conn;

static void
conn_free (Conn *c)
{
  if (c->timer != NULL)
    {
      g_source_destroy (c->timer);
      g_source_unref (c->timer);
    }
  g_ptr_array_remove (c->mock->connections, c);
  if (c->counted)
    {
      g_mutex_lock (&c->mock->mutex);
      c->mock->active--;
      g_mutex_unlock (&c->mock->mutex);
    }
  g_clear_pointer (&c->reply, rw_mock_reply_free);
  g_clear_pointer (&c->model, g_free);
  g_clear_pointer (&c->in, g_byte_array_unref);
  g_clear_object (&c->conn);
  g_free (c);
}

static void
conn_close (Conn *c)
{
  if (!c->closed)
    {
      c->closed = TRUE;
      g_io_stream_close (G_IO_STREAM (c->conn), NULL, NULL);
    }
  conn_free (c);
}

static void write_next (Conn *c);
static gboolean write_body (Conn *c);

static void
wrote_cb (GObject      *object,
          GAsyncResult *res,
          gpointer      user_data)
{
  Conn *c = user_data;
  g_autoptr(GError) error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (object), res, NULL, &error))
    {
      conn_close (c);
      return;
    }
  write_next (c);
}

static void
write_bytes (Conn       *c,
             const char *data,
             gsize       len)
{
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (c->conn));
  /* The data must outlive the async write: keep a copy on the connection's input buffer. */
  GBytes *copy = g_bytes_new (data, len);

  g_object_set_data_full (G_OBJECT (c->conn), "pending", copy, (GDestroyNotify) g_bytes_unref);
  g_output_stream_write_all_async (out, g_bytes_get_data (copy, NULL), len, G_PRIORITY_DEFAULT,
                                   NULL, wrote_cb, c);
}

static gboolean
write_next_timeout (gpointer data)
{
  Conn *c = data;

  g_clear_pointer (&c->timer, g_source_unref);
  return write_body (c);
}

static gboolean
write_body (Conn *c)
{
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (c->conn));
  gsize total;
  const char *body = g_bytes_get_data (c->reply->body, &total);
  gsize end = total;
  gsize n;
  g_autoptr(GString) frame = g_string_new (NULL);

  (void) out;
  if (c->reply->stall_at >= 0 && c->offset >= (gsize) c->reply->stall_at)
    return G_SOURCE_REMOVE;      /* hold the connection open, say nothing more */
  if (c->reply->drop_at >= 0 && c->offset >= (gsize) c->reply->drop_at)
    {
      conn_close (c);
      return G_SOURCE_REMOVE;
    }
  if (c->offset >= total)
    {
      if (c->reply->chunked)
        {
          c->offset = total + 1;
          write_bytes (c, "0\r\n\r\n", 5);
        }
      else
        conn_close (c);
      return G_SOURCE_REMOVE;
    }

  if (c->reply->stall_at >= 0)
    end = MIN (end, (gsize) c->reply->stall_at);
  if (c->reply->drop_at >= 0)
    end = MIN (end, (gsize) c->reply->drop_at);
  n = end - c->offset;
  if (c->reply->chunk_size > 0)
    n = MIN (n, c->reply->chunk_size);

  /* From the write that holds the end of the body on, the client can have the whole answer:
   * the request no longer counts as being answered. */
  if (c->offset + n >= total && c->counted)
    {
      c->counted = FALSE;
      g_mutex_lock (&c->mock->mutex);
      c->mock->active--;
      g_mutex_unlock (&c->mock->mutex);
    }

  if (c->reply->chunked)
    {
      g_string_append_printf (frame, "%zx\r\n", n);
      g_string_append_len (frame, body + c->offset, n);
      g_string_append (frame, "\r\n");
    }
  else
    g_string_append_len (frame, body + c->offset, n);
  c->offset += n;
  write_bytes (c, frame->str, frame->len);

  g_mutex_lock (&c->mock->mutex);
  g_hash_table_replace (c->mock->written, g_strdup (c->model ? c->model : ""),
                        GSIZE_TO_POINTER (c->offset));
  g_cond_broadcast (&c->mock->written_cond);
  g_mutex_unlock (&c->mock->mutex);
  return G_SOURCE_REMOVE;
}

static void
schedule (Conn  *c,
          guint  delay_ms)
{
  GSource *source = delay_ms ? g_timeout_source_new (delay_ms) : g_idle_source_new ();

  g_source_set_callback (source, write_next_timeout, c, NULL);
  g_source_attach (source, c->mock->context);
  c->timer = source;
}

static void
write_next (Conn *c)
{
  gsize total = g_bytes_get_size (c->reply->body);

  if (c->offset > total)
    {
      /* The final chunk went out. */
      conn_close (c);
      return;
    }
  schedule (c, c->offset == 0 ? c->reply->first_delay_ms : c->reply->chunk_delay_ms);
}

static gboolean
send_headers (gpointer data)
{
  Conn *c = data;

  g_clear_pointer (&c->timer, g_source_unref);
  g_autoptr(GString) head = g_string_new (NULL);

  g_string_append_printf (head, "HTTP/1.1 %u %s\r\n", c->reply->status,
                          c->reply->status == 200 ? "OK" : "Status");
  if (c->reply->content_type)
    g_string_append_printf (head, "Content-Type: %s\r\n", c->reply->content_type);
  for (guint i = 0; i < c->reply->headers->len; i++)
    g_string_append_printf (head, "%s\r\n", (char *) c->reply->headers->pdata[i]);
  if (c->reply->chunked)
    g_string_append (head, "Transfer-Encoding: chunked\r\n");
  else
    g_string_append_printf (head, "Content-Length: %" G_GSIZE_FORMAT "\r\n",
                            g_bytes_get_size (c->reply->body));
  g_string_append (head, "Connection: close\r\n\r\n");

  c->offset = 0;
  /* Headers first; wrote_cb then schedules the body. */
  write_bytes (c, head->str, head->len);
  return G_SOURCE_REMOVE;
}

static RwMockReply *
pick_reply (RwMockUpstream *self,
            const char     *model,
            const char     *body)
{
  RwMockReply *reply = NULL;
  const char *keys[] = { model ? model : "", "" };

  g_mutex_lock (&self->mutex);
  g_hash_table_replace (self->counts, g_strdup (keys[0]),
                        GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (self->counts,
                                                                                  keys[0])) + 1));
  g_cond_broadcast (&self->written_cond);
  for (guint i = 0; i < G_N_ELEMENTS (keys) && reply == NULL; i++)
    {
      GQueue *q = g_hash_table_lookup (self->queues, keys[i]);
      RwMockReply *d;

      for (GList *l = q ? q->head : NULL; l != NULL && reply == NULL; l = l->next)
        {
          RwMockReply *candidate = l->data;
          if (candidate->match == NULL || (body != NULL && strstr (body, candidate->match) != NULL))
            {
              reply = candidate;
              g_queue_delete_link (q, l);
              break;
            }
        }
      if (reply != NULL)
        break;
      {
        GPtrArray *rules = g_hash_table_lookup (self->rules, keys[i]);

        for (guint j = 0; rules != NULL && j < rules->len && reply == NULL; j++)
          if (body != NULL && strstr (body, ((RwMockReply *) rules->pdata[j])->match) != NULL)
            reply = rw_mock_reply_copy (rules->pdata[j]);
      }
      if (reply != NULL)
        break;
      else if ((d = g_hash_table_lookup (self->defaults, keys[i])) != NULL)
        reply = rw_mock_reply_copy (d);
    }
  g_mutex_unlock (&self->mutex);

  if (reply == NULL)
    reply = rw_mock_reply_new_json (404, "{\"error\":{\"message\":\"The model does not exist\","
                                         "\"type\":\"invalid_request_error\","
                                         "\"code\":\"model_not_found\"}}");
  return reply;
}

static void
handle_request (Conn       *c,
                const char *head,
                const char *body,
                gsize       body_len)
{
  RwMockUpstream *self = c->mock;
  g_autofree char *model = NULL;

  if (body_len > 0)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      if (json_parser_load_from_data (parser, body, body_len, NULL) &&
          JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
        model = g_strdup (json_object_get_string_member_with_default (
          json_node_get_object (json_parser_get_root (parser)), "model", NULL));
    }
  if (model == NULL && g_str_has_prefix (head, "GET /v1/models"))
    model = g_strdup ("GET /v1/models");
  if (model == NULL)
    {
      /* Gemini names the model in the path: /v1beta/models/NAME:generateContent */
      const char *m = strstr (head, "/models/");
      const char *colon = m ? strchr (m, ':') : NULL;
      const char *space = m ? strchr (m, ' ') : NULL;
      if (m != NULL && colon != NULL && (space == NULL || colon < space))
        model = g_strndup (m + 8, colon - (m + 8));
    }
  if (model == NULL && g_str_has_prefix (head, "GET "))
    /* Any other GET by its path, without the query: "GET /api/tags" */
    model = g_strndup (head, 4 + strcspn (head + 4, "? \r\n"));

  g_mutex_lock (&self->mutex);
  c->counted = TRUE;
  self->active++;
  self->max_active = MAX (self->max_active, self->active);
  g_free (self->last_headers);
  self->last_headers = g_strdup (head);
  g_free (self->last_body);
  self->last_body = g_strndup (body, body_len);
  g_mutex_unlock (&self->mutex);

  {
    g_autofree char *text = g_strndup (body, body_len);
    gsize len;
    const char *data;

    c->reply = pick_reply (self, model, text);
    if (c->reply->embeddings)
      {
        g_bytes_unref (c->reply->body);
        c->reply->body = embeddings_for (body, body_len);
      }
    data = c->reply->body ? g_bytes_get_data (c->reply->body, &len) : NULL;
    if (data != NULL && g_strstr_len (data, len, RW_MOCK_REQUEST_BODY) != NULL)
      {
        /* An echo: the request's body, as a JSON string, where the reply names it. */
        g_autofree char *quoted = json_string (text);
        g_autofree char *whole = g_strndup (data, len);
        g_auto(GStrv) parts = g_strsplit (whole, RW_MOCK_REQUEST_BODY, -1);
        g_autofree char *echoed = g_strjoinv (quoted, parts);

        g_bytes_unref (c->reply->body);
        c->reply->body = g_bytes_new (echoed, strlen (echoed));
      }
  }
  c->model = g_strdup (model);
  if (c->reply->hang)
    return;
  if (c->reply->header_delay_ms)
    {
      c->timer = g_timeout_source_new (c->reply->header_delay_ms);
      g_source_set_callback (c->timer, send_headers, c, NULL);
      g_source_attach (c->timer, self->context);
    }
  else
    send_headers (c);
}

static void read_more (Conn *c);

static void
read_cb (GObject      *object,
         GAsyncResult *res,
         gpointer      user_data)
{
  Conn *c = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), res, &error);
  const char *data;
  const char *end_of_head;
  gsize len;

  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    {
      conn_close (c);
      return;
    }
  data = g_bytes_get_data (bytes, &len);
  g_byte_array_append (c->in, (const guint8 *) data, len);

  end_of_head = g_strstr_len ((const char *) c->in->data, c->in->len, "\r\n\r\n");
  if (end_of_head != NULL)
    {
      gsize head_len = end_of_head - (const char *) c->in->data;
      g_autofree char *head = g_strndup ((const char *) c->in->data, head_len);
      g_autofree char *lower = g_ascii_strdown (head, -1);
      const char *cl = strstr (lower, "content-length:");
      gsize want = cl ? g_ascii_strtoull (cl + 15, NULL, 10) : 0;
      gsize have = c->in->len - head_len - 4;

      if (have >= want)
        {
          handle_request (c, head, (const char *) c->in->data + head_len + 4, want);
          return;
        }
    }
  read_more (c);
}

static void
read_more (Conn *c)
{
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (c->conn));
  g_input_stream_read_bytes_async (in, 65536, G_PRIORITY_DEFAULT, NULL, read_cb, c);
}

static gboolean
on_incoming (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source,
             gpointer           user_data)
{
  RwMockUpstream *self = user_data;
  Conn *c = g_new0 (Conn, 1);

  c->mock = self;
  c->conn = g_object_ref (connection);
  c->in = g_byte_array_new ();
  g_ptr_array_add (self->connections, c);
  read_more (c);
  return TRUE;
}

static gpointer
mock_thread (gpointer data)
{
  RwMockUpstream *self = data;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) addr = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GError) error = NULL;

  g_main_context_push_thread_default (self->context);
  self->service = g_socket_service_new ();
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (self->service), addr,
                                      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL,
                                      &effective, &error))
    g_error ("mock upstream cannot listen: %s", error->message);
  self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_signal_connect (self->service, "incoming", G_CALLBACK (on_incoming), self);
  g_socket_service_start (self->service);

  g_mutex_lock (&self->mutex);
  self->ready = TRUE;
  g_cond_signal (&self->ready_cond);
  g_mutex_unlock (&self->mutex);

  g_main_loop_run (self->loop);

  g_socket_service_stop (self->service);
  g_socket_listener_close (G_SOCKET_LISTENER (self->service));
  for (guint i = 0; i < self->connections->len; i++)
    {
      Conn *c = self->connections->pdata[i];
      if (c->timer != NULL)
        {
          g_source_destroy (c->timer);
          g_clear_pointer (&c->timer, g_source_unref);
        }
      c->closed = TRUE;
      g_io_stream_close (G_IO_STREAM (c->conn), NULL, NULL);
    }
  g_clear_object (&self->service);
  /* Let pending reads and writes see their closed streams and free their connections. */
  while (g_main_context_iteration (self->context, FALSE))
    ;
  while (self->connections->len > 0)
    conn_free (self->connections->pdata[0]);
  g_main_context_pop_thread_default (self->context);
  return NULL;
}

RwMockUpstream *
rw_mock_upstream_new (void)
{
  RwMockUpstream *self = g_new0 (RwMockUpstream, 1);

  g_mutex_init (&self->mutex);
  g_cond_init (&self->ready_cond);
  g_cond_init (&self->written_cond);
  self->written = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->context = g_main_context_new ();
  self->loop = g_main_loop_new (self->context, FALSE);
  self->queues = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->defaults = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify) rw_mock_reply_free);
  self->counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->rules = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify) g_ptr_array_unref);
  self->connections = g_ptr_array_new ();
  self->thread = g_thread_new ("mock-upstream", mock_thread, self);

  g_mutex_lock (&self->mutex);
  while (!self->ready)
    g_cond_wait (&self->ready_cond, &self->mutex);
  g_mutex_unlock (&self->mutex);
  return self;
}

static gboolean
quit_idle (gpointer data)
{
  g_main_loop_quit (data);
  return G_SOURCE_REMOVE;
}

void
rw_mock_upstream_free (RwMockUpstream *self)
{
  GSource *idle;
  GHashTableIter iter;
  gpointer k, v;

  if (self == NULL)
    return;
  idle = g_idle_source_new ();
  g_source_set_callback (idle, quit_idle, self->loop, NULL);
  g_source_attach (idle, self->context);
  g_source_unref (idle);
  g_thread_join (self->thread);

  g_hash_table_iter_init (&iter, self->queues);
  while (g_hash_table_iter_next (&iter, &k, &v))
    g_queue_free_full (v, (GDestroyNotify) rw_mock_reply_free);
  g_hash_table_unref (self->queues);
  g_hash_table_unref (self->defaults);
  g_hash_table_unref (self->rules);
  g_hash_table_unref (self->counts);
  g_hash_table_unref (self->written);
  g_cond_clear (&self->written_cond);
  g_ptr_array_unref (self->connections);
  g_main_loop_unref (self->loop);
  g_main_context_unref (self->context);
  g_free (self->last_headers);
  g_free (self->last_body);
  g_mutex_clear (&self->mutex);
  g_cond_clear (&self->ready_cond);
  g_free (self);
}

guint16
rw_mock_upstream_get_port (RwMockUpstream *self)
{
  return self->port;
}

char *
rw_mock_upstream_dup_base_url (RwMockUpstream *self)
{
  return g_strdup_printf ("http://127.0.0.1:%u/v1", self->port);
}

/* Queue a reply for one request to MODEL (NULL: any model without its own script). */
void
rw_mock_upstream_push (RwMockUpstream *self,
                       const char     *model,
                       RwMockReply    *reply)
{
  GQueue *q;

  g_mutex_lock (&self->mutex);
  q = g_hash_table_lookup (self->queues, model ? model : "");
  if (q == NULL)
    {
      q = g_queue_new ();
      g_hash_table_insert (self->queues, g_strdup (model ? model : ""), q);
    }
  g_queue_push_tail (q, reply);
  g_mutex_unlock (&self->mutex);
}

/* A reply for every request to @model whose body holds @reply's match, before the default. */
void
rw_mock_upstream_add_rule (RwMockUpstream *self,
                           const char     *model,
                           RwMockReply    *reply)
{
  GPtrArray *rules;

  g_return_if_fail (reply->match != NULL);
  g_mutex_lock (&self->mutex);
  if ((rules = g_hash_table_lookup (self->rules, model)) == NULL)
    {
      rules = g_ptr_array_new_with_free_func ((GDestroyNotify) rw_mock_reply_free);
      g_hash_table_insert (self->rules, g_strdup (model), rules);
    }
  g_ptr_array_add (rules, reply);
  g_mutex_unlock (&self->mutex);
}

void
rw_mock_upstream_set_default (RwMockUpstream *self,
                              const char     *model,
                              RwMockReply    *reply)
{
  g_mutex_lock (&self->mutex);
  g_hash_table_replace (self->defaults, g_strdup (model ? model : ""), reply);
  g_mutex_unlock (&self->mutex);
}

guint
rw_mock_upstream_count (RwMockUpstream *self,
                        const char     *model)
{
  guint n;

  g_mutex_lock (&self->mutex);
  n = GPOINTER_TO_UINT (g_hash_table_lookup (self->counts, model ? model : ""));
  g_mutex_unlock (&self->mutex);
  return n;
}

/* The most requests that were being answered at the same time. */
guint
rw_mock_upstream_get_max_active (RwMockUpstream *self)
{
  guint n;

  g_mutex_lock (&self->mutex);
  n = self->max_active;
  g_mutex_unlock (&self->mutex);
  return n;
}

/* Blocks until MODEL has been asked N times. */
void
rw_mock_upstream_wait_requests (RwMockUpstream *self,
                                const char     *model,
                                guint           n)
{
  g_mutex_lock (&self->mutex);
  while (GPOINTER_TO_UINT (g_hash_table_lookup (self->counts, model ? model : "")) < n)
    g_cond_wait (&self->written_cond, &self->mutex);
  g_mutex_unlock (&self->mutex);
}

/* Blocks until at least BYTES of the body of a reply to MODEL have been written. */
void
rw_mock_upstream_wait_written (RwMockUpstream *self,
                               const char     *model,
                               gsize           bytes)
{
  g_mutex_lock (&self->mutex);
  while (GPOINTER_TO_SIZE (g_hash_table_lookup (self->written, model ? model : "")) < bytes)
    g_cond_wait (&self->written_cond, &self->mutex);
  g_mutex_unlock (&self->mutex);
}

/* The value of a header of the last request, or NULL. */
char *
rw_mock_upstream_dup_last_header (RwMockUpstream *self,
                                  const char     *name)
{
  char *ret = NULL;

  g_mutex_lock (&self->mutex);
  if (self->last_headers != NULL)
    {
      g_auto(GStrv) lines = g_strsplit (self->last_headers, "\r\n", -1);
      for (guint i = 0; lines[i] && ret == NULL; i++)
        {
          const char *colon = strchr (lines[i], ':');
          if (colon && (gsize) (colon - lines[i]) == strlen (name) &&
              g_ascii_strncasecmp (lines[i], name, colon - lines[i]) == 0)
            ret = g_strstrip (g_strdup (colon + 1));
        }
    }
  g_mutex_unlock (&self->mutex);
  return ret;
}

char *
rw_mock_upstream_dup_last_body (RwMockUpstream *self)
{
  char *ret;

  g_mutex_lock (&self->mutex);
  ret = g_strdup (self->last_body);
  g_mutex_unlock (&self->mutex);
  return ret;
}
