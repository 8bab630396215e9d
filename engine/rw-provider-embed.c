/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "rw-error.h"
#include "rw-json.h"
#include "rw-openai-provider.h"
#include "rw-provider-private.h"

/*
 * Embeddings, as OpenAI's API and every server compatible with it give them:
 * POST {base_url}/embeddings with {"model", "input": [texts]}, answered with
 * {"data": [{"index", "embedding": [numbers]}]}. For promptfoo's `similar` assertion (the
 * cosine similarity of two texts). The reply is read up to the size of any reply, and each
 * vector must be of numbers, all of one length.
 */

#define MAX_DIMENSIONS 65536

typedef struct
{
  SoupMessage *msg;
  guint n_texts;
  char *key;
} Embed;

static void
embed_free (Embed *e)
{
  g_clear_object (&e->msg);
  if (e->key != NULL)
    memset (e->key, 0, strlen (e->key));
  g_free (e->key);
  g_free (e);
}

static void
embed_vector_free (gpointer vector)
{
  if (vector != NULL)
    g_array_unref (vector);
}

/**
 * _rw_embeddings_parse:
 * @text: an embeddings reply's body
 * @len: its length
 * @n_texts: how many texts were asked for
 * @error: where a reply that is not one vector of numbers per text, all of one length, is
 *   reported
 *
 * Returns: (transfer full) (element-type GArray) (nullable): one vector of doubles per text
 */
GPtrArray *
_rw_embeddings_parse (const char  *text,
                      gsize        len,
                      guint        n_texts,
                      GError     **error)
{
  g_autoptr(GPtrArray) vectors = g_ptr_array_new_with_free_func (embed_vector_free);
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) local = NULL;
  JsonArray *data;
  guint dims = 0;

  root = rw_json_parse (text, len, &local);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root) ||
      (data = rw_json_object_get_array (json_node_get_object (root), "data")) == NULL ||
      json_array_get_length (data) != n_texts)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_BAD_RESPONSE,
                   "the embeddings reply is not {\"data\": [...]} with one vector for each of "
                   "the %u texts%s%s", n_texts, local ? ": " : "", local ? local->message : "");
      return NULL;
    }
  for (guint i = 0; i < n_texts; i++)
    g_ptr_array_add (vectors, NULL);
  for (guint i = 0; i < json_array_get_length (data); i++)
    {
      JsonNode *item = json_array_get_element (data, i);
      JsonObject *o = JSON_NODE_HOLDS_OBJECT (item) ? json_node_get_object (item) : NULL;
      JsonArray *numbers = o ? rw_json_object_get_array (o, "embedding") : NULL;
      gint64 index = o ? rw_json_object_get_int (o, "index", i) : -1;
      GArray *v;

      if (numbers == NULL || index < 0 || index >= n_texts || vectors->pdata[index] != NULL ||
          json_array_get_length (numbers) == 0 ||
          json_array_get_length (numbers) > MAX_DIMENSIONS ||
          (dims != 0 && json_array_get_length (numbers) != dims))
        {
          g_set_error (error, RW_ERROR, RW_ERROR_BAD_RESPONSE,
                       "the embeddings reply's vector %u is not one of numbers, of the same "
                       "length as the others, for a text asked for", i);
          return NULL;
        }
      dims = json_array_get_length (numbers);
      v = g_array_sized_new (FALSE, FALSE, sizeof (double), dims);
      vectors->pdata[index] = v;
      for (guint j = 0; j < dims; j++)
        {
          JsonNode *n = json_array_get_element (numbers, j);
          double x;

          if (!JSON_NODE_HOLDS_VALUE (n) || (json_node_get_value_type (n) != G_TYPE_DOUBLE &&
                                             json_node_get_value_type (n) != G_TYPE_INT64) ||
              !isfinite (x = json_node_get_double (n)))
            {
              g_set_error (error, RW_ERROR, RW_ERROR_BAD_RESPONSE,
                           "the embeddings reply's vector %u holds something other than a "
                           "number", i);
              return NULL;
            }
          g_array_append_val (v, x);
        }
    }
  return g_steal_pointer (&vectors);
}

static void
embed_body_cb (GObject      *object,
               GAsyncResult *res,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Embed *e = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  gboolean truncated = FALSE;
  g_autoptr(GBytes) body = _rw_http_read_all_finish (res, &truncated, &error);
  g_autoptr(GPtrArray) vectors = NULL;
  guint status = soup_message_get_status (e->msg);
  const char *text;
  gsize len = 0;

  if (body == NULL)
    {
      g_task_return_new_error (task, RW_ERROR, RW_ERROR_NETWORK, "%s", error->message);
      return;
    }
  text = g_bytes_get_data (body, &len);
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      GError *http = rw_error_from_http (status, text, len);
      g_autofree char *clean = rw_redact (http->message, e->key);

      g_task_return_new_error (task, RW_ERROR, http->code, "%s", clean);
      g_error_free (http);
      return;
    }
  if (truncated)
    {
      g_task_return_new_error (task, RW_ERROR, RW_ERROR_BAD_RESPONSE,
                               "the embeddings reply is larger than %d bytes", RW_HTTP_MAX_BODY);
      return;
    }
  vectors = _rw_embeddings_parse (text, len, e->n_texts, &error);
  if (vectors == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&vectors), (GDestroyNotify) g_ptr_array_unref);
}

static void
embed_send_cb (GObject      *object,
               GAsyncResult *res,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GInputStream) stream = soup_session_send_finish (SOUP_SESSION (object), res, &error);
  Embed *e = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  if (stream == NULL)
    {
      g_autofree char *clean = rw_redact (error->message, e->key);
      g_task_return_new_error (task, RW_ERROR, RW_ERROR_NETWORK, "%s", clean);
      return;
    }
  _rw_http_read_all_async (stream, RW_HTTP_MAX_BODY, cancellable, embed_body_cb,
                           g_steal_pointer (&task));
}

/**
 * rw_provider_embed_async:
 * @self: a provider that speaks OpenAI's API
 * @model: its embedding model
 * @texts: the texts, %NULL-terminated
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the vectors
 * @user_data: data for @callback
 *
 * Asks for the embeddings of @texts (see the top of this file).
 */
void
rw_provider_embed_async (RwProvider          *self,
                         RwModel             *model,
                         const char * const  *texts,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autofree char *url = g_strconcat (rw_provider_get_base_url (self), "/embeddings", NULL);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GBytes) body = NULL;
  Embed *e = g_new0 (Embed, 1);
  char *text;

  g_task_set_source_tag (task, rw_provider_embed_async);
  g_task_set_task_data (task, e, (GDestroyNotify) embed_free);
  if (!RW_IS_OPENAI_PROVIDER (self))
    {
      g_task_return_new_error (task, RW_ERROR, RW_ERROR_UNSUPPORTED,
                               "%s does not speak OpenAI's API, whose /embeddings gives "
                               "embeddings: name an embedding model of an OpenAI-compatible "
                               "provider", rw_provider_get_id (self));
      return;
    }
  e->msg = soup_message_new ("POST", url);
  if (e->msg == NULL)
    {
      g_task_return_new_error (task, RW_ERROR, RW_ERROR_CONFIG, "not a valid URL: %s", url);
      return;
    }
  soup_message_add_flags (e->msg, SOUP_MESSAGE_NO_REDIRECT);
  e->key = _rw_provider_dup_api_key (self);
  if (e->key != NULL && *e->key != '\0')
    {
      g_autofree char *auth = g_strconcat ("Bearer ", e->key, NULL);
      soup_message_headers_replace (soup_message_get_request_headers (e->msg), "Authorization",
                                    auth);
      memset (auth, 0, strlen (auth));
    }
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, rw_model_get_upstream_name (model));
  json_builder_set_member_name (b, "input");
  json_builder_begin_array (b);
  for (guint i = 0; texts[i] != NULL; i++, e->n_texts++)
    json_builder_add_string_value (b, texts[i]);
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  text = rw_json_to_string (root, FALSE);
  body = g_bytes_new_take (text, strlen (text));
  soup_message_set_request_body_from_bytes (e->msg, "application/json", body);
  soup_session_send_async (rw_provider_get_session (self), e->msg, G_PRIORITY_DEFAULT, cancellable,
                           embed_send_cb, g_steal_pointer (&task));
}

/**
 * rw_provider_embed_finish:
 * @self: a provider
 * @result: the #GAsyncResult
 * @error: return location for an error
 *
 * Returns: (transfer full) (element-type GArray): one vector of doubles for each text, in
 *   their order
 */
GPtrArray *
rw_provider_embed_finish (RwProvider    *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * rw_cosine_similarity:
 * @a: a vector of doubles
 * @b: another, of the same length
 *
 * Returns: their cosine similarity, or NAN when either is zero or the lengths differ
 */
double
rw_cosine_similarity (GArray *a,
                      GArray *b)
{
  double dot = 0, na = 0, nb = 0;

  if (a->len != b->len || a->len == 0)
    return NAN;
  for (guint i = 0; i < a->len; i++)
    {
      double x = g_array_index (a, double, i), y = g_array_index (b, double, i);
      dot += x * y;
      na += x * x;
      nb += y * y;
    }
  if (na == 0 || nb == 0)
    return NAN;
  return dot / (sqrt (na) * sqrt (nb));
}
