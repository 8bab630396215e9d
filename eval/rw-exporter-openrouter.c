/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "rw-exporter-private.h"
#include "rw-json.h"

/* The provider preferences OpenRouter takes for the policy's targets: cheapest providers first
 * when it weighs cost, a preferred latency (seconds, at the median) when it has a target. */
static void
openrouter_add_provider (JsonBuilder *b,
                         JsonObject  *policy,
                         GPtrArray   *notes)
{
  JsonNode *learned = json_object_get_member (policy, "learned");
  JsonNode *options = learned && JSON_NODE_HOLDS_OBJECT (learned) ?
                      json_object_get_member (json_node_get_object (learned), "options") : NULL;
  JsonObject *o = options && JSON_NODE_HOLDS_OBJECT (options) ? json_node_get_object (options) : NULL;
  double weight = o ? rw_json_object_get_double (o, "cost_weight", 0) : 0;
  double budget = o ? rw_json_object_get_double (o, "budget_per_1k", 0) : 0;
  double latency = o ? rw_json_object_get_double (o, "latency_ms", 0) : 0;
  double ceiling = o ? rw_json_object_get_double (o, "ceiling_usd", 0) : 0;

  if (ceiling > 0 && notes != NULL)
    g_ptr_array_add (notes, g_strdup_printf ("the ceiling of $%g per request: OpenRouter's "
                                             "max_price caps a provider's price per token, not "
                                             "what a request costs", ceiling));
  if (!(weight > 0 || budget > 0 || latency > 0))
    return;
  json_builder_set_member_name (b, "provider");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "sort");
  json_builder_add_string_value (b, weight > 0 || budget > 0 ? "price" : "latency");
  if (latency > 0)
    {
      json_builder_set_member_name (b, "preferred_max_latency");
      json_builder_add_double_value (b, latency / 1000);
    }
  json_builder_end_object (b);
}

/* OpenRouter request presets: a request body per task, with the first model and the "models"
 * list OpenRouter falls back along, in OpenRouter's own ids; a model OpenRouter does not serve
 * is left out, and said. */
char *
_rw_exporter_openrouter (JsonObject *policy,
                         GPtrArray  *lists,
                         RwCatalog  *catalog,
                         GPtrArray  *notes)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GHashTable) missing = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) missing_order = g_ptr_array_new ();
  guint presets = 0;

  json_builder_begin_object (b);
  for (guint i = 0; i < lists->len; i += 2)
    {
      JsonArray *models = lists->pdata[i + 1];
      g_autoptr(GPtrArray) ids = g_ptr_array_new ();

      for (guint m = 0; m < json_array_get_length (models); m++)
        {
          const char *model = json_array_get_string_element (models, m);
          const char *id = model ? _rw_exporter_openrouter_id (catalog, model) : NULL;

          if (id != NULL)
            g_ptr_array_add (ids, (gpointer) id);
          else if (model != NULL && g_hash_table_add (missing, (gpointer) model))
            g_ptr_array_add (missing_order, (gpointer) model);
        }
      if (ids->len == 0)
        {
          g_ptr_array_add (notes, g_strdup_printf ("the task %s: OpenRouter serves none of its "
                                                   "models",
                                                   lists->pdata[i] ? (char *) lists->pdata[i]
                                                                   : "default"));
          continue;
        }
      presets++;
      json_builder_set_member_name (b, lists->pdata[i] ? lists->pdata[i] : "default");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "model");
      json_builder_add_string_value (b, ids->pdata[0]);
      json_builder_set_member_name (b, "models");
      json_builder_begin_array (b);
      for (guint m = 0; m < ids->len; m++)
        json_builder_add_string_value (b, ids->pdata[m]);
      json_builder_end_array (b);
      openrouter_add_provider (b, policy, presets == 1 ? notes : NULL);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  if (missing_order->len > 0)
    {
      g_autoptr(GString) names = g_string_new (NULL);

      for (guint i = 0; i < missing_order->len; i++)
        g_string_append_printf (names, "%s%s", i ? ", " : "", (char *) missing_order->pdata[i]);
      g_ptr_array_add (notes, g_strdup_printf ("the models OpenRouter does not serve (or the "
                                               "catalog gives no openrouter_id for), left out: "
                                               "%s",
                                               names->str));
    }
  if (presets == 0)
    return NULL;
  root = json_builder_get_root (b);
  return rw_json_to_string (root, TRUE);
}
