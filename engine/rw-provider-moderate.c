/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "rw-error.h"
#include "rw-json.h"
#include "rw-provider-private.h"

/*
 * Moderation, as OpenAI's API gives it: POST {base_url}/moderations with {"model", "input"},
 * answered with {"results": [{"flagged", "categories": {name: true or false},
 * "category_scores": {name: number}}]}. For promptfoo's `moderation` assertion: the categories
 * the text is flagged in.
 */

#define MAX_CATEGORIES 256

/**
 * _rw_moderation_parse:
 * @text: a moderation reply's body
 * @len: its length
 * @error: where a reply that is not a moderation result is reported
 *
 * Returns: (transfer full) (nullable): the names of the categories the first result flags,
 *   in the reply's order (empty when none is flagged)
 */
GStrv
_rw_moderation_parse (const char  *text,
                      gsize        len,
                      GError     **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) local = NULL;
  g_autoptr(GStrvBuilder) flagged = g_strv_builder_new ();
  JsonArray *results;
  JsonObject *result;
  JsonObject *categories;
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;
  guint n = 0;

  root = rw_json_parse (text, len, &local);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root) ||
      (results = rw_json_object_get_array (json_node_get_object (root), "results")) == NULL ||
      json_array_get_length (results) == 0 ||
      (result = rw_json_array_get_object (results, 0)) == NULL ||
      (categories = rw_json_object_get_object (result, "categories")) == NULL)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_BAD_RESPONSE,
                   "the moderation reply is not {\"results\": [{\"categories\": {...}}]}%s%s",
                   local ? ": " : "", local ? local->message : "");
      return NULL;
    }
  json_object_iter_init (&iter, categories);
  while (json_object_iter_next (&iter, &name, &value))
    {
      if (++n > MAX_CATEGORIES || !JSON_NODE_HOLDS_VALUE (value) ||
          (json_node_get_value_type (value) != G_TYPE_BOOLEAN))
        {
          if (JSON_NODE_HOLDS_NULL (value) && n <= MAX_CATEGORIES)
            continue;
          g_set_error (error, RW_ERROR, RW_ERROR_BAD_RESPONSE,
                       "the moderation reply's categories are not %s",
                       n > MAX_CATEGORIES ? "a bounded list" : "true or false");
          return NULL;
        }
      if (json_node_get_boolean (value))
        g_strv_builder_add (flagged, name);
    }
  return g_strv_builder_end (flagged);
}

static gpointer
moderate_parse (const char  *text,
                gsize        len,
                gpointer     data,
                GError     **error)
{
  return _rw_moderation_parse (text, len, error);
}

/**
 * rw_provider_moderate_async:
 * @self: a provider that speaks OpenAI's API
 * @model: its moderation model
 * @text: the text to moderate
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the categories
 * @user_data: data for @callback
 *
 * Asks in which categories @text is flagged (see the top of this file).
 */
void
rw_provider_moderate_async (RwProvider          *self,
                            RwModel             *model,
                            const char          *text,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "model");
  json_builder_add_string_value (b, rw_model_get_upstream_name (model));
  json_builder_set_member_name (b, "input");
  json_builder_add_string_value (b, text);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  _rw_provider_post_openai_async (self, "/moderations", "moderation", root, moderate_parse,
                                  NULL, (GDestroyNotify) g_strfreev, cancellable, callback,
                                  user_data);
}

/**
 * rw_provider_moderate_finish:
 * @self: a provider
 * @result: the #GAsyncResult
 * @error: return location for an error
 *
 * Returns: (transfer full): the categories @text is flagged in, possibly none
 */
GStrv
rw_provider_moderate_finish (RwProvider    *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
