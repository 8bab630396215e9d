/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "rw-error.h"
#include "rw-json.h"
#include "rw-server-private.h"

/*
 * POST /v1/embeddings: the request goes as it is to the model it names, a model of an
 * OpenAI-compatible provider ("openai/text-embedding-3-small"), with that provider's key, and
 * the provider's reply comes back as it came, once checked (the x-routewise-model header names
 * the model's id). Nothing is routed, stored or learned:
 * an embedding is not an answer to compare. A model with a price in the catalog counts toward
 * the ceilings, as a chat request does.
 */

/* OpenAI's own limit on the inputs of one request. */
#define MAX_INPUTS 2048

typedef struct
{
  RwModel *model;
  RwRouter *router;
} Embeddings;

static void
embeddings_free (gpointer data)
{
  Embeddings *e = data;

  g_clear_object (&e->model);
  g_clear_object (&e->router);
  g_free (e);
}

static const RwServerFormat embeddings_format = {
  .free_state = embeddings_free,
};

static gboolean
node_is_int (JsonNode *node)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64;
}

static gboolean
node_is_string (JsonNode *node)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING;
}

/* A list of token ids, as "input" may give one text. */
static gboolean
array_is_tokens (JsonArray *array)
{
  for (guint i = 0; i < json_array_get_length (array); i++)
    if (!node_is_int (json_array_get_element (array, i)))
      return FALSE;
  return json_array_get_length (array) > 0;
}

/* How many embeddings "input" asks for (a text, texts, a list of token ids, or lists of
 * them), and about how many tokens it holds; 0 with @error set when it is none of these. */
guint
_rw_server_embeddings_count_inputs (JsonNode  *input,
                                    gint64    *tokens,
                                    GError   **error)
{
  JsonArray *array;
  guint n;

  *tokens = 0;
  if (input == NULL)
    {
      rw_set_param_error (error, RW_ERROR_BAD_REQUEST, "input", "“input” is required");
      return 0;
    }
  if (node_is_string (input))
    {
      if (*json_node_get_string (input) == '\0')
        {
          rw_set_param_error (error, RW_ERROR_BAD_REQUEST, "input",
                              "“input” is an empty text");
          return 0;
        }
      *tokens = rw_estimate_tokens (json_node_get_string (input));
      return 1;
    }
  if (!JSON_NODE_HOLDS_ARRAY (input) || json_array_get_length (json_node_get_array (input)) == 0)
    {
      rw_set_param_error (error, RW_ERROR_BAD_REQUEST, "input",
                          "“input” must be a text, a list of texts, a list of token ids or a "
                          "list of such lists, and not empty");
      return 0;
    }
  array = json_node_get_array (input);
  if (array_is_tokens (array))
    {
      *tokens = json_array_get_length (array);
      return 1;
    }
  n = json_array_get_length (array);
  if (n > MAX_INPUTS)
    {
      rw_set_param_error (error, RW_ERROR_BAD_REQUEST, "input",
                          "“input” holds %u inputs; one request may hold %d", n, MAX_INPUTS);
      return 0;
    }
  for (guint i = 0; i < n; i++)
    {
      JsonNode *item = json_array_get_element (array, i);
      g_autofree char *param = g_strdup_printf ("input[%u]", i);

      if (node_is_string (item) && *json_node_get_string (item) != '\0')
        *tokens += rw_estimate_tokens (json_node_get_string (item));
      else if (JSON_NODE_HOLDS_ARRAY (item) && array_is_tokens (json_node_get_array (item)))
        *tokens += json_array_get_length (json_node_get_array (item));
      else
        {
          rw_set_param_error (error, RW_ERROR_BAD_REQUEST, param,
                              "“%s” is not a text or a list of token ids (an empty one is "
                              "neither)", param);
          return 0;
        }
    }
  return n;
}

static void
embeddings_done (GObject      *object,
                 GAsyncResult *res,
                 gpointer      user_data)
{
  RwServerCall *call = user_data;
  Embeddings *e = call->state;
  RwServerConn *c = call->conn;
  g_autoptr(GError) error = NULL;
  gint64 tokens = -1;
  g_autoptr(GBytes) reply = rw_provider_embeddings_finish (RW_PROVIDER (object), res, &tokens,
                                                           &error);
  double cost = tokens >= 0 ? rw_model_compute_cost (e->model, tokens, 0) : NAN;

  rw_router_add_spent (e->router, cost);
  __atomic_add_fetch (&call->server->n_served, 1, __ATOMIC_RELAXED);
  if (call->finished || c->fd < 0)
    {
      /* The client went away first: logged as 499, as nginx logs it. */
      _rw_server_call_report (call, call->requested, NULL, 499, cost, 0);
      c->call = NULL;
      _rw_server_call_free (call);
      return;
    }
  if (reply == NULL)
    {
      const char *code;
      guint status = _rw_server_status_for_error (error, &code);

      _rw_server_call_report (call, call->requested, NULL, status, cost, 0);
      _rw_server_reply_json (c, status, call->requested, NULL,
                             _rw_server_error_json (status, error->message, code,
                                                    rw_error_get_param (error)));
    }
  else
    {
      gsize len;
      const char *body = g_bytes_get_data (reply, &len);

      _rw_server_call_report (call, call->requested, NULL, 200, cost, 0);
      _rw_server_begin_reply (c, 200, "application/json", (gssize) len, call->requested, NULL);
      g_string_append_len (c->out, body, (gssize) len);
    }
  _rw_server_call_done (call);
}

/* POST /v1/embeddings (see the top of this file). */
void
_rw_server_handle_embeddings (RwServer     *self,
                              RwServerConn *c,
                              const char   *body,
                              gsize         len)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = rw_json_parse (body, len, &error);
  RwCatalog *catalog = rw_router_get_catalog (self->router);
  g_autoptr(RwModel) model = NULL;
  JsonObject *request;
  const char *name;
  RwProvider *provider;
  RwServerCall *call;
  Embeddings *e;
  gint64 tokens;
  guint n;

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      _rw_server_reply_error (c, 400, root == NULL && len > 0
                                        ? "the body is not valid JSON"
                                        : "the body must be a JSON object", NULL);
      return;
    }
  request = json_node_get_object (root);
  name = rw_json_object_get_string (request, "model", NULL);
  if (name == NULL || *name == '\0')
    {
      rw_set_param_error (&error, RW_ERROR_BAD_REQUEST, "model", "“model” is required");
      _rw_server_reply_request_error (c, error);
      return;
    }
  if (g_str_equal (name, RW_POLICY_AUTO_MODEL))
    {
      rw_set_param_error (&error, RW_ERROR_BAD_REQUEST, "model",
                          "%s routes chats; name the embedding model, as provider/model "
                          "(“openai/text-embedding-3-small”)", RW_POLICY_AUTO_MODEL);
      _rw_server_reply_request_error (c, error);
      return;
    }
  if ((n = _rw_server_embeddings_count_inputs (json_object_get_member (request, "input"),
                                               &tokens, &error)) == 0)
    {
      _rw_server_reply_request_error (c, error);
      return;
    }
  model = rw_catalog_resolve_model (catalog, name, NULL);
  provider = model ? rw_catalog_lookup_provider (catalog, rw_model_get_provider_id (model))
                   : NULL;
  if (provider == NULL)
    {
      g_autofree char *message = g_strdup_printf ("the model %s does not exist: name an "
                                                  "embedding model as provider/model, with a "
                                                  "provider of the catalog "
                                                  "(“openai/text-embedding-3-small”)", name);
      _rw_server_reply_error (c, 404, message, "model_not_found");
      return;
    }
  if (!rw_router_check_ceilings (self->router, rw_model_get_id (model),
                                 rw_model_compute_cost (model, tokens, 0), &error))
    {
      const char *code;
      guint status = _rw_server_status_for_error (error, &code);

      _rw_server_reply_json (c, status, rw_model_get_id (model), NULL,
                             _rw_server_error_json (status, error->message, code, NULL));
      return;
    }

  call = _rw_server_call_new (c, &embeddings_format, "emb-", rw_model_get_id (model));
  e = g_new0 (Embeddings, 1);
  e->model = g_object_ref (model);
  e->router = g_object_ref (self->router);
  call->state = e;
  rw_provider_embeddings_async (provider, model, request, n, call->cancellable,
                                embeddings_done, call);
}
