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

static gpointer
embed_parse (const char  *text,
             gsize        len,
             gpointer     n_texts,
             GError     **error)
{
  return _rw_embeddings_parse (text, len, GPOINTER_TO_UINT (n_texts), error);
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
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  guint n_texts = 0;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, rw_model_get_upstream_name (model));
  json_builder_set_member_name (b, "input");
  json_builder_begin_array (b);
  for (; texts[n_texts] != NULL; n_texts++)
    json_builder_add_string_value (b, texts[n_texts]);
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  _rw_provider_post_openai_async (self, "/embeddings", "embeddings", root, embed_parse,
                                  GUINT_TO_POINTER (n_texts), (GDestroyNotify) g_ptr_array_unref,
                                  cancellable, callback, user_data);
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

/* An embeddings reply passed on as it is: the bytes as they came, once checked to be
 * {"data": [{"embedding": [numbers] or "base64"}]} with one embedding for each input and at most
 * one for each index, and the input tokens its usage counts (-1 when it says none). Read as a
 * compact document, never a tree: a reply may hold millions of numbers. */
typedef struct
{
  GBytes *body;
  gint64 prompt_tokens;
} EmbeddingsReply;

static void
embeddings_reply_free (gpointer data)
{
  EmbeddingsReply *r = data;

  g_bytes_unref (r->body);
  g_free (r);
}

static gpointer
embeddings_check (const char  *text,
                  gsize        len,
                  gpointer     n_inputs,
                  GError     **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(RwJsonDoc) doc = rw_json_doc_parse (text, len, &local);
  guint32 data = doc ? rw_json_doc_member (doc, RW_JSON_ROOT, "data") : RW_JSON_NONE;
  guint n = GPOINTER_TO_UINT (n_inputs);
  g_autofree gboolean *seen = g_new0 (gboolean, MAX (n, 1));
  EmbeddingsReply *reply;
  guint i = 0;

  if (doc == NULL || rw_json_doc_type (doc, data) != RW_JSON_ARRAY ||
      rw_json_doc_length (doc, data) != n)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_BAD_RESPONSE,
                   "the embeddings reply is not {\"data\": [...]} with one embedding for each "
                   "of the %u inputs%s%s", n, local ? ": " : "", local ? local->message : "");
      return NULL;
    }
  for (guint32 e = rw_json_doc_first (doc, data); e != RW_JSON_NONE;
       e = rw_json_doc_next (doc, e), i++)
    {
      RwJsonType type = rw_json_doc_type (doc, rw_json_doc_member (doc, e, "embedding"));
      guint32 at = rw_json_doc_member (doc, e, "index");
      gint64 index = at == RW_JSON_NONE ? i : rw_json_doc_int (doc, at, -1);

      if (rw_json_doc_type (doc, e) != RW_JSON_OBJECT || index < 0 || index >= n ||
          seen[index] || (type != RW_JSON_ARRAY && type != RW_JSON_STRING))
        {
          g_set_error (error, RW_ERROR, RW_ERROR_BAD_RESPONSE,
                       "the embeddings reply's item %u is not {\"index\", \"embedding\"} for "
                       "an input asked for", i);
          return NULL;
        }
      seen[index] = TRUE;
    }
  reply = g_new0 (EmbeddingsReply, 1);
  reply->body = g_bytes_new (text, len);
  reply->prompt_tokens = rw_json_doc_int (doc, rw_json_doc_member (
                                            doc, rw_json_doc_member (doc, RW_JSON_ROOT, "usage"),
                                            "prompt_tokens"), -1);
  return reply;
}

/**
 * rw_provider_embeddings_async:
 * @self: a provider that speaks OpenAI's API
 * @model: its embedding model
 * @request: an embeddings request of OpenAI's API: "input", and whatever else it names
 *   ("dimensions", "encoding_format", "user"), sent as it is but for "model", which becomes
 *   @model's name at its provider
 * @n_inputs: how many embeddings @request asks for
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the reply
 * @user_data: data for @callback
 *
 * Passes an embeddings request on, for the endpoint's /v1/embeddings: the reply comes back
 * whole and as it came, checked to hold one embedding for each input.
 */
void
rw_provider_embeddings_async (RwProvider          *self,
                              RwModel             *model,
                              JsonObject          *request,
                              guint                n_inputs,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  JsonObject *copy = json_object_new ();
  GList *members = json_object_get_members (request);

  for (GList *l = members; l != NULL; l = l->next)
    if (!g_str_equal (l->data, "model"))
      json_object_set_member (copy, l->data,
                              json_node_copy (json_object_get_member (request, l->data)));
  g_list_free (members);
  json_object_set_string_member (copy, "model", rw_model_get_upstream_name (model));
  json_node_take_object (root, copy);
  _rw_provider_post_openai_async (self, "/embeddings", "embeddings", root, embeddings_check,
                                  GUINT_TO_POINTER (n_inputs), embeddings_reply_free,
                                  cancellable, callback, user_data);
}

/**
 * rw_provider_embeddings_finish:
 * @self: a provider
 * @result: the #GAsyncResult
 * @prompt_tokens: (out) (optional): the input tokens the reply's usage counts, or -1
 * @error: return location for an error
 *
 * Returns: (transfer full): the provider's reply, the bytes as they came
 */
GBytes *
rw_provider_embeddings_finish (RwProvider    *self,
                               GAsyncResult  *result,
                               gint64        *prompt_tokens,
                               GError       **error)
{
  EmbeddingsReply *reply = g_task_propagate_pointer (G_TASK (result), error);
  GBytes *body;

  if (prompt_tokens != NULL)
    *prompt_tokens = reply != NULL ? reply->prompt_tokens : -1;
  if (reply == NULL)
    return NULL;
  body = g_bytes_ref (reply->body);
  embeddings_reply_free (reply);
  return body;
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
