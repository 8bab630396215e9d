/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "rw-exporter-private.h"
#include "rw-json.h"

/* OpenRouter request presets: a request body per task, with the first model and the "models"
 * list OpenRouter falls back along. */
char *
_rw_exporter_openrouter (GPtrArray *lists,
                         RwCatalog *catalog)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  /* A request body per task: the first model, and the "models" list OpenRouter falls back
   * along. */
  json_builder_begin_object (b);
  for (guint i = 0; i < lists->len; i += 2)
    {
      JsonArray *models = lists->pdata[i + 1];
      json_builder_set_member_name (b, lists->pdata[i] ? lists->pdata[i] : "default");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "model");
      json_builder_add_string_value (b, _rw_exporter_target_for (catalog, json_array_get_string_element (models, 0)).name);
      json_builder_set_member_name (b, "models");
      json_builder_begin_array (b);
      for (guint m = 0; m < json_array_get_length (models); m++)
        json_builder_add_string_value (b, _rw_exporter_target_for (catalog, json_array_get_string_element (models, m)).name);
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return rw_json_to_string (root, TRUE);
}
