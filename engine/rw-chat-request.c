/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "rw-chat-request-private.h"
#include "rw-error.h"
#include "rw-json.h"

G_DEFINE_BOXED_TYPE (RwChatRequest, rw_chat_request, rw_chat_request_ref, rw_chat_request_unref)

/**
 * rw_chat_request_new:
 *
 * Returns: (transfer full): an empty, streamed request with the default time limits
 */
static void
chat_request_messages_changed (RwChatRequest *self)
{
  g_clear_pointer (&self->messages_json, g_free);
  g_clear_pointer (&self->prompt_hash, g_free);
}

RwChatRequest *
rw_chat_request_new (void)
{
  RwChatRequest *self = g_new0 (RwChatRequest, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->roles = g_ptr_array_new_with_free_func (g_free);
  self->contents = g_ptr_array_new_with_free_func (g_free);
  self->stream = TRUE;
  self->temperature = -1;
  self->connect_timeout_ms = 15000;
  self->first_token_timeout_ms = 60000;
  self->idle_timeout_ms = 30000;
  self->total_timeout_ms = 600000;
  return self;
}

/**
 * rw_chat_request_new_for_prompt:
 * @prompt: the user's text
 *
 * Returns: (transfer full): a request with one user message
 */
RwChatRequest *
rw_chat_request_new_for_prompt (const char *prompt)
{
  RwChatRequest *self = rw_chat_request_new ();

  rw_chat_request_add_message (self, "user", prompt);
  return self;
}

RwChatRequest *
rw_chat_request_ref (RwChatRequest *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
rw_chat_request_unref (RwChatRequest *self)
{
  g_return_if_fail (self != NULL);

  if (g_atomic_ref_count_dec (&self->ref_count))
    {
      g_ptr_array_unref (self->roles);
      g_ptr_array_unref (self->contents);
      g_free (self->task);
      g_free (self->raw_messages);
      g_free (self->extra);
      g_free (self->messages_json);
      g_free (self->prompt_hash);
      g_free (self);
    }
}

/**
 * rw_chat_request_copy:
 * @self: a #RwChatRequest
 *
 * Returns: (transfer full): a deep copy
 */
RwChatRequest *
rw_chat_request_copy (RwChatRequest *self)
{
  RwChatRequest *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = rw_chat_request_new ();
  for (guint i = 0; i < self->roles->len; i++)
    rw_chat_request_add_message (copy, self->roles->pdata[i], self->contents->pdata[i]);
  /* The same messages: the same text and hash, if they were already made. */
  copy->messages_json = g_strdup (g_atomic_pointer_get (&self->messages_json));
  copy->prompt_hash = g_strdup (g_atomic_pointer_get (&self->prompt_hash));
  copy->task = g_strdup (self->task);
  copy->raw_messages = g_strdup (self->raw_messages);
  copy->extra = g_strdup (self->extra);
  copy->stream = self->stream;
  copy->temperature = self->temperature;
  copy->max_tokens = self->max_tokens;
  copy->max_completion_tokens = self->max_completion_tokens;
  copy->connect_timeout_ms = self->connect_timeout_ms;
  copy->first_token_timeout_ms = self->first_token_timeout_ms;
  copy->idle_timeout_ms = self->idle_timeout_ms;
  copy->total_timeout_ms = self->total_timeout_ms;
  return copy;
}

void
rw_chat_request_add_message (RwChatRequest *self,
                             const char    *role,
                             const char    *content)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (role != NULL);

  g_ptr_array_add (self->roles, g_strdup (role));
  g_ptr_array_add (self->contents, g_strdup (content ? content : ""));
  if (self->raw_messages != NULL)
    {
      /* The caller's array keeps its shape; the new message goes after its last. */
      GString *raw = g_string_new (self->raw_messages);

      g_string_truncate (raw, raw->len - 1);
      g_string_append (raw, raw->len > 1 ? ",{\"role\":" : "{\"role\":");
      rw_json_append_string (raw, role);
      g_string_append (raw, ",\"content\":");
      rw_json_append_string (raw, content ? content : "");
      g_string_append (raw, "}]");
      g_free (self->raw_messages);
      self->raw_messages = g_string_free (raw, FALSE);
    }
  chat_request_messages_changed (self);
}

guint
rw_chat_request_get_n_messages (RwChatRequest *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->roles->len;
}

const char *
rw_chat_request_get_role (RwChatRequest *self,
                          guint          i)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (i < self->roles->len, NULL);
  return self->roles->pdata[i];
}

const char *
rw_chat_request_get_content (RwChatRequest *self,
                             guint          i)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (i < self->contents->len, NULL);
  return self->contents->pdata[i];
}

/**
 * rw_chat_request_get_last_user_text:
 * @self: a #RwChatRequest
 *
 * Returns: (nullable): the content of the last user message
 */
const char *
rw_chat_request_get_last_user_text (RwChatRequest *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  for (guint i = self->roles->len; i > 0; i--)
    if (g_str_equal (self->roles->pdata[i - 1], "user"))
      return self->contents->pdata[i - 1];
  return NULL;
}

const char *
rw_chat_request_get_task (RwChatRequest *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->task;
}

void
rw_chat_request_set_task (RwChatRequest *self,
                          const char    *task)
{
  g_return_if_fail (self != NULL);
  g_free (self->task);
  self->task = g_strdup (task);
}

/**
 * rw_chat_request_messages_to_json:
 * @self: a #RwChatRequest
 *
 * Returns: (transfer full): the messages' roles and text as an OpenAI-style JSON array; see
 *   rw_chat_request_get_raw_messages() for what else they hold
 */
JsonNode *
rw_chat_request_messages_to_json (RwChatRequest *self)
{
  JsonArray *array = json_array_sized_new (self->roles->len);
  JsonNode *node = json_node_new (JSON_NODE_ARRAY);

  for (guint i = 0; i < self->roles->len; i++)
    {
      JsonObject *msg = json_object_new ();
      json_object_set_string_member (msg, "role", self->roles->pdata[i]);
      json_object_set_string_member (msg, "content", self->contents->pdata[i]);
      json_array_add_object_element (array, msg);
    }
  json_node_take_array (node, array);
  return node;
}

/* A string as json-glib's generator writes it, byte for byte: the stored prompt ids and cache
 * keys are hashes of this text, so it must not change. That includes U+001F, which json-glib
 * leaves unescaped. */
static void
chat_request_append_string (GString    *s,
                            const char *text)
{
  static const char hex[] = "0123456789abcdef";

  g_string_append_c (s, '"');
  for (const char *p = text; *p; p++)
    {
      guchar c = (guchar) *p;

      switch (c)
        {
        case '"': g_string_append_len (s, "\\\"", 2); break;
        case '\\': g_string_append_len (s, "\\\\", 2); break;
        case '\b': g_string_append_len (s, "\\b", 2); break;
        case '\f': g_string_append_len (s, "\\f", 2); break;
        case '\n': g_string_append_len (s, "\\n", 2); break;
        case '\r': g_string_append_len (s, "\\r", 2); break;
        case '\t': g_string_append_len (s, "\\t", 2); break;
        default:
          if (c < 0x1f || c == 0x7f)
            {
              char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 0xf] };
              g_string_append_len (s, u, 6);
            }
          else
            g_string_append_c (s, (char) c);
        }
    }
  g_string_append_c (s, '"');
}

/* The messages as a JSON array, each string written by @append. */
static void
chat_request_write_messages (RwChatRequest *self,
                             GString       *out,
                             void         (*append) (GString *, const char *))
{
  g_string_append_c (out, '[');
  for (guint i = 0; i < self->roles->len; i++)
    {
      if (i > 0)
        g_string_append_c (out, ',');
      g_string_append (out, "{\"role\":");
      append (out, self->roles->pdata[i]);
      g_string_append (out, ",\"content\":");
      append (out, self->contents->pdata[i]);
      g_string_append_c (out, '}');
    }
  g_string_append_c (out, ']');
}

/* The messages as JSON, computed once: the caller's, when they hold more than text; else the
 * same text as json_to_string() of rw_chat_request_messages_to_json(). Safe to call from
 * several threads. */
static const char *
chat_request_peek_messages_json (RwChatRequest *self)
{
  const char *json = g_atomic_pointer_get (&self->messages_json);
  GString *s;

  if (json != NULL)
    return json;
  if (self->raw_messages != NULL)
    json = g_strdup (self->raw_messages);
  else
    {
      s = g_string_sized_new (64);
      chat_request_write_messages (self, s, chat_request_append_string);
      json = g_string_free (s, FALSE);
    }
  if (!g_atomic_pointer_compare_and_exchange (&self->messages_json, NULL, (char *) json))
    {
      g_free ((char *) json);
      json = g_atomic_pointer_get (&self->messages_json);
    }
  return json;
}

/* The messages as strict JSON, for a request body. The hashed text serves, unless it holds the
 * U+001F that json-glib leaves raw. */
void
_rw_chat_request_append_messages (RwChatRequest *self,
                                  GString       *out)
{
  const char *json = chat_request_peek_messages_json (self);

  if (self->raw_messages != NULL || strchr (json, 0x1f) == NULL)
    {
      g_string_append (out, json);
      return;
    }
  chat_request_write_messages (self, out, rw_json_append_string);
}

char *
rw_chat_request_messages_to_string (RwChatRequest *self)
{
  return g_strdup (chat_request_peek_messages_json (self));
}

/**
 * rw_chat_request_set_messages_from_json:
 * @self: a #RwChatRequest
 * @messages: a JSON array of `{"role": ..., "content": ...}` objects
 * @error: return location for an error
 *
 * Replaces the messages. Each keeps its role and its text (the text parts of content given as
 * parts, joined) for classifying, storing and showing it; messages that hold more than that
 * (parts of other kinds, tool calls, a tool call's id, a name) are also kept whole, as given,
 * for the providers to send on.
 *
 * Returns: %TRUE on success
 */
gboolean
rw_chat_request_set_messages_from_json (RwChatRequest  *self,
                                        JsonNode       *messages,
                                        GError        **error)
{
  JsonArray *array;
  g_autoptr(GPtrArray) roles = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) contents = g_ptr_array_new_with_free_func (g_free);
  gboolean structured = FALSE;

  if (messages == NULL || !JSON_NODE_HOLDS_ARRAY (messages))
    {
      rw_set_param_error (error, RW_ERROR_BAD_REQUEST, "messages", "“messages” must be an array");
      return FALSE;
    }
  array = json_node_get_array (messages);
  if (json_array_get_length (array) == 0)
    {
      rw_set_param_error (error, RW_ERROR_BAD_REQUEST, "messages", "“messages” is empty");
      return FALSE;
    }

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *m = json_array_get_element (array, i);
      JsonObject *o;
      JsonNode *content;
      const char *role;

      if (!JSON_NODE_HOLDS_OBJECT (m))
        {
          g_autofree char *param = g_strdup_printf ("messages[%u]", i);
          rw_set_param_error (error, RW_ERROR_BAD_REQUEST, param, "%s is not an object", param);
          return FALSE;
        }
      o = json_node_get_object (m);
      role = rw_json_object_get_string (o, "role", NULL);
      if (role == NULL || *role == '\0')
        {
          g_autofree char *param = g_strdup_printf ("messages[%u].role", i);
          rw_set_param_error (error, RW_ERROR_BAD_REQUEST, param, "messages[%u] has no “role”", i);
          return FALSE;
        }
      content = json_object_get_member (o, "content");
      if (json_object_get_size (o) > (content != NULL ? 2u : 1u) ||
          (content != NULL && !JSON_NODE_HOLDS_VALUE (content) && !JSON_NODE_HOLDS_NULL (content)))
        structured = TRUE;
      if (content != NULL && JSON_NODE_HOLDS_VALUE (content) &&
          json_node_get_value_type (content) == G_TYPE_STRING)
        g_ptr_array_add (contents, g_strdup (json_node_get_string (content)));
      else if (content != NULL && JSON_NODE_HOLDS_ARRAY (content))
        {
          JsonArray *parts = json_node_get_array (content);
          GString *joined = g_string_new (NULL);

          for (guint j = 0; j < json_array_get_length (parts); j++)
            {
              JsonNode *p = json_array_get_element (parts, j);
              if (JSON_NODE_HOLDS_OBJECT (p))
                {
                  const char *text = rw_json_object_get_string (
                    json_node_get_object (p), "text", NULL);
                  if (text != NULL)
                    g_string_append (joined, text);
                }
            }
          g_ptr_array_add (contents, g_string_free (joined, FALSE));
        }
      else if (content == NULL || JSON_NODE_HOLDS_NULL (content))
        g_ptr_array_add (contents, g_strdup (""));
      else
        {
          g_autofree char *param = g_strdup_printf ("messages[%u].content", i);
          rw_set_param_error (error, RW_ERROR_BAD_REQUEST, param,
                              "%s must be a string or an array of parts", param);
          return FALSE;
        }
      g_ptr_array_add (roles, g_strdup (role));
    }

  g_ptr_array_unref (self->roles);
  g_ptr_array_unref (self->contents);
  self->roles = g_steal_pointer (&roles);
  self->contents = g_steal_pointer (&contents);
  g_clear_pointer (&self->raw_messages, g_free);
  if (structured)
    self->raw_messages = rw_json_to_string (messages, FALSE);
  chat_request_messages_changed (self);
  return TRUE;
}

/**
 * rw_chat_request_get_raw_messages:
 * @self: a #RwChatRequest
 *
 * Returns: (nullable): the messages as the caller gave them, as JSON text, when they hold more
 *   than a role and a string each; %NULL otherwise
 */
const char *
rw_chat_request_get_raw_messages (RwChatRequest *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->raw_messages;
}

/**
 * rw_chat_request_get_extra:
 * @self: a #RwChatRequest
 *
 * Returns: (nullable): the request's fields beyond its messages, stream, temperature and token
 *   limit (tools, response_format, n, stop, seed, and any the caller sent), as the text of a
 *   JSON object; %NULL when there are none
 */
const char *
rw_chat_request_get_extra (RwChatRequest *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->extra;
}

/**
 * rw_chat_request_set_extra:
 * @self: a #RwChatRequest
 * @json: (nullable): a JSON object's text, or %NULL (or `{}`) for none
 *
 * Sets the fields that go upstream as they are.
 */
void
rw_chat_request_set_extra (RwChatRequest *self,
                           const char    *json)
{
  g_return_if_fail (self != NULL);
  g_clear_pointer (&self->extra, g_free);
  if (json != NULL && strcmp (json, "{}") != 0)
    self->extra = g_strdup (json);
}

/**
 * rw_chat_request_dup_extra_object:
 * @self: a #RwChatRequest
 *
 * Returns: (transfer full) (nullable): the extra fields as a JSON object, or %NULL when none
 */
JsonObject *
rw_chat_request_dup_extra_object (RwChatRequest *self)
{
  g_autoptr(JsonNode) node = NULL;

  g_return_val_if_fail (self != NULL, NULL);
  if (self->extra == NULL ||
      (node = rw_json_parse (self->extra, strlen (self->extra), NULL)) == NULL ||
      !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  return json_object_ref (json_node_get_object (node));
}

/* The extra fields as members to add to a JSON object being written: `,"a":1,"b":2`. */
void
_rw_chat_request_append_extra (RwChatRequest *self,
                               GString       *out)
{
  gsize len;

  if (self->extra == NULL || (len = strlen (self->extra)) <= 2)
    return;
  g_string_append_c (out, ',');
  g_string_append_len (out, self->extra + 1, len - 2);
}

/**
 * rw_chat_request_hash_prompt:
 * @self: a #RwChatRequest
 *
 * Returns: (transfer full): the SHA-256 of the messages, which identifies the prompt
 */
char *
rw_chat_request_hash_prompt (RwChatRequest *self)
{
  const char *hash = g_atomic_pointer_get (&self->prompt_hash);

  if (hash == NULL)
    {
      char *fresh = g_compute_checksum_for_string (G_CHECKSUM_SHA256,
                                                   chat_request_peek_messages_json (self),
                                                   -1);
      if (!g_atomic_pointer_compare_and_exchange (&self->prompt_hash, NULL, fresh))
        g_free (fresh);
      hash = g_atomic_pointer_get (&self->prompt_hash);
    }
  return g_strdup (hash);
}

/* g_ascii_dtostr()'s text for @t, which the cache keys hold. A whole number (-1 when unset,
 * 0, 1, 2) is written directly: the same digits, without formatting a double. */
static const char *
chat_request_format_temperature (char   *buf,
                                 gsize   len,
                                 double  t)
{
  char digits[24], *p = digits + sizeof digits;
  gint64 whole;
  guint64 v;

  if (!(t > -1e15 && t < 1e15) || t != (double) (gint64) t || (t == 0 && signbit (t)))
    return g_ascii_dtostr (buf, len, t);
  whole = (gint64) t;
  v = whole < 0 ? (guint64) -whole : (guint64) whole;
  *--p = '\0';
  do
    *--p = (char) ('0' + v % 10);
  while ((v /= 10) > 0);
  if (whole < 0)
    *--p = '-';
  g_strlcpy (buf, p, len);
  return buf;
}

/**
 * rw_chat_request_hash_for_model:
 * @self: a #RwChatRequest
 * @model_id: the model the request goes to
 *
 * Returns: (transfer full): the SHA-256 of everything that decides the answer: the model, the
 *   messages and the sampling parameters; the key of the response cache
 */
char *
rw_chat_request_hash_for_model (RwChatRequest *self,
                                const char    *model_id)
{
  const char *json = chat_request_peek_messages_json (self);
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  char num[G_ASCII_DTOSTR_BUF_SIZE];
  char tokens[24];

  /* model \n messages \n temperature \n max_tokens, fed in pieces. */
  g_checksum_update (sum, (const guchar *) model_id, -1);
  g_checksum_update (sum, (const guchar *) "\n", 1);
  g_checksum_update (sum, (const guchar *) json, -1);
  g_checksum_update (sum, (const guchar *) "\n", 1);
  g_checksum_update (sum, (const guchar *) chat_request_format_temperature (num, sizeof num,
                                                                            self->temperature),
                     -1);
  g_snprintf (tokens, sizeof tokens, "\n%" G_GINT64_FORMAT, self->max_tokens);
  g_checksum_update (sum, (const guchar *) tokens, -1);
  /* Tools, a response format, n...: an answer is only the same with the same ones. */
  if (self->extra != NULL)
    {
      g_checksum_update (sum, (const guchar *) "\n", 1);
      g_checksum_update (sum, (const guchar *) self->extra, -1);
    }
  return g_strdup (g_checksum_get_string (sum));
}

/**
 * rw_estimate_tokens:
 * @text: (nullable): some text
 *
 * Estimates a token count where a provider reports none: one token per four bytes of text, and
 * at least one per word.
 *
 * Returns: the estimate
 */
gint64
rw_estimate_tokens (const char *text)
{
  gint64 bytes = 0, words = 0;
  gboolean in_word = FALSE;

  if (text == NULL)
    return 0;
  for (const char *p = text; *p; p++)
    {
      bytes++;
      if (g_ascii_isspace (*p))
        in_word = FALSE;
      else if (!in_word)
        {
          in_word = TRUE;
          words++;
        }
    }
  return MAX ((bytes + 3) / 4, words);
}

/* The system messages of a request, joined, for protocols that take them apart. */
char *
_rw_chat_request_join_system (RwChatRequest *request)
{
  GString *s = NULL;

  for (guint i = 0; i < rw_chat_request_get_n_messages (request); i++)
    if (g_str_equal (rw_chat_request_get_role (request, i), "system"))
      {
        if (s == NULL)
          s = g_string_new (NULL);
        else
          g_string_append (s, "\n\n");
        g_string_append (s, rw_chat_request_get_content (request, i));
      }
  return s ? g_string_free (s, FALSE) : NULL;
}

/* The messages for a protocol to translate: the caller's, whole, or role and text each. */
JsonArray *
_rw_chat_request_dup_messages (RwChatRequest *self)
{
  g_autoptr(JsonNode) node = NULL;

  if (self->raw_messages != NULL)
    node = rw_json_parse (self->raw_messages, strlen (self->raw_messages), NULL);
  else
    node = rw_chat_request_messages_to_json (self);
  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return json_array_new ();
  return json_array_ref (json_node_get_array (node));
}

/* A message's text: its content string, or its text parts joined. */
char *
_rw_chat_message_text (JsonObject *message)
{
  JsonNode *content = json_object_get_member (message, "content");
  GString *s = g_string_new (NULL);

  if (content != NULL && JSON_NODE_HOLDS_VALUE (content) &&
      json_node_get_value_type (content) == G_TYPE_STRING)
    g_string_append (s, json_node_get_string (content));
  else if (content != NULL && JSON_NODE_HOLDS_ARRAY (content))
    for (guint i = 0; i < json_array_get_length (json_node_get_array (content)); i++)
      {
        JsonNode *p = json_array_get_element (json_node_get_array (content), i);
        const char *text = JSON_NODE_HOLDS_OBJECT (p)
                           ? rw_json_object_get_string (json_node_get_object (p), "text", NULL)
                           : NULL;
        if (text != NULL)
          g_string_append (s, text);
      }
  return g_string_free (s, FALSE);
}

/* A data: URL's media type and base64 data; FALSE for any other URL or one not in base64. */
gboolean
_rw_data_url_split (const char  *url,
                    char       **media_type,
                    char       **data)
{
  const char *comma, *semi;

  if (url == NULL || !g_str_has_prefix (url, "data:") || (comma = strchr (url, ',')) == NULL)
    return FALSE;
  semi = g_strstr_len (url, comma - url, ";base64");
  if (semi == NULL || semi + 7 != comma)
    return FALSE;
  *media_type = g_strndup (url + 5, semi - (url + 5));
  *data = g_strdup (comma + 1);
  return TRUE;
}

/**
 * rw_chat_request_get_needs:
 * @self: a #RwChatRequest
 *
 * Returns: what the request needs of a model beyond text: tools, images, an answer in a JSON
 *   schema, a reasoning effort
 */
RwModelCapabilities
rw_chat_request_get_needs (RwChatRequest *self)
{
  RwModelCapabilities needs = 0;
  g_autoptr(JsonObject) extra = NULL;

  g_return_val_if_fail (self != NULL, 0);
  if (self->extra != NULL && (extra = rw_chat_request_dup_extra_object (self)) != NULL)
    {
      JsonArray *tools = rw_json_object_get_array (extra, "tools");
      JsonObject *format = rw_json_object_get_object (extra, "response_format");

      if (tools != NULL && json_array_get_length (tools) > 0)
        needs |= RW_MODEL_CAN_TOOLS;
      if (format != NULL &&
          g_strcmp0 (rw_json_object_get_string (format, "type", NULL), "json_schema") == 0)
        needs |= RW_MODEL_CAN_JSON_SCHEMA;
      if (rw_json_object_get_string (extra, "reasoning_effort", NULL) != NULL)
        needs |= RW_MODEL_CAN_REASONING;
    }
  /* A part of type image_url, wherever it is in the messages. */
  if (self->raw_messages != NULL && strstr (self->raw_messages, "\"image_url\"") != NULL)
    {
      g_autoptr(JsonArray) messages = _rw_chat_request_dup_messages (self);

      for (guint i = 0; i < json_array_get_length (messages) && !(needs & RW_MODEL_CAN_IMAGES); i++)
        {
          JsonObject *m = rw_json_array_get_object (messages, i);
          JsonArray *parts = m ? rw_json_object_get_array (m, "content") : NULL;

          for (guint j = 0; parts != NULL && j < json_array_get_length (parts); j++)
            {
              JsonObject *p = rw_json_array_get_object (parts, j);
              if (p != NULL && g_strcmp0 (rw_json_object_get_string (p, "type", NULL),
                                          "image_url") == 0)
                needs |= RW_MODEL_CAN_IMAGES;
            }
        }
    }
  return needs;
}
