/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "rw-exporter-private.h"
#include "rw-json.h"

/* The environment variable that holds @t's key: its provider's, else one named after it. */
static char *
portkey_key_variable (const RwExportTarget *t)
{
  GString *name;

  if (t->key_env != NULL)
    return g_strdup (t->key_env);
  name = g_string_new (NULL);
  for (const char *p = t->provider_id; p && *p; p++)
    g_string_append_c (name, g_ascii_isalnum (*p) ? g_ascii_toupper (*p) : '_');
  g_string_append (name, "_API_KEY");
  return g_string_free (name, FALSE);
}

/* A Portkey gateway config: conditional routing on the request's metadata "task", each branch
 * a fallback chain. Each target carries its own key, as a ${VARIABLE} the caller fills in when
 * it sends the config (the README shows how): the file holds no key, and no provider ever gets
 * another's, as it would if the caller's one Authorization header went to every target. */
char *
_rw_exporter_portkey (JsonObject *policy,
                      GPtrArray  *lists,
                      RwCatalog  *catalog,
                      GPtrArray  *notes)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) root = NULL;

  /* Conditional routing on the request's metadata "task", each branch a fallback chain. */
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "strategy");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "mode");
  json_builder_add_string_value (b, "conditional");
  json_builder_set_member_name (b, "conditions");
  json_builder_begin_array (b);
  for (guint i = 0; i < lists->len; i += 2)
    {
      g_autofree char *name = _rw_exporter_task_slug (lists->pdata[i]);
      if (lists->pdata[i] == NULL)
        continue;
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "query");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "metadata.task");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "$eq");
      json_builder_add_string_value (b, lists->pdata[i]);
      json_builder_end_object (b);
      json_builder_end_object (b);
      json_builder_set_member_name (b, "then");
      json_builder_add_string_value (b, name);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "default");
  json_builder_add_string_value (b, "routewise-default");
  json_builder_end_object (b);
  json_builder_set_member_name (b, "targets");
  json_builder_begin_array (b);
  for (guint i = 0; i < lists->len; i += 2)
    {
      g_autofree char *name = _rw_exporter_task_slug (lists->pdata[i]);
      JsonArray *models = lists->pdata[i + 1];

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "name");
      json_builder_add_string_value (b, name);
      json_builder_set_member_name (b, "strategy");
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "mode");
      json_builder_add_string_value (b, "fallback");
      json_builder_end_object (b);
      json_builder_set_member_name (b, "targets");
      json_builder_begin_array (b);
      for (guint m = 0; m < json_array_get_length (models); m++)
        {
          RwExportTarget t = _rw_exporter_target_for (catalog, json_array_get_string_element (models, m));
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "provider");
          json_builder_add_string_value (b, t.kind);
          if (t.base_url != NULL)
            {
              json_builder_set_member_name (b, "custom_host");
              json_builder_add_string_value (b, t.base_url);
            }
          json_builder_set_member_name (b, "request_timeout");
          json_builder_add_int_value (b, 120000);
          /* A provider without a key gets none, never the caller's header. */
          json_builder_set_member_name (b, "api_key");
          if (t.takes_key)
            {
              g_autofree char *variable = portkey_key_variable (&t);
              g_autofree char *placeholder = g_strdup_printf ("${%s}", variable);

              json_builder_add_string_value (b, placeholder);
            }
          else
            json_builder_add_string_value (b, "none");
          json_builder_set_member_name (b, "override_params");
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "model");
          json_builder_add_string_value (b, t.name);
          json_builder_end_object (b);
          json_builder_end_object (b);
        }
      json_builder_end_array (b);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  root = json_builder_get_root (b);
  return rw_json_to_string (root, TRUE);
}
