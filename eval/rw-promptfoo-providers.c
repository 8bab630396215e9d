/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "rw-json.h"
#include "rw-promptfoo-private.h"

/*
 * A promptfoo configuration's `providers:`, as the catalog's models: `openai:gpt-4.1-mini`
 * (and `openai:chat:...`) is openai/gpt-4.1-mini, and so on for the providers Routewise speaks
 * to; each provider's `config` (temperature, max_tokens, top_p, tools, response_format and the
 * rest of the request's fields) goes with every request to that model.
 */

static const struct
{
  const char *prefix;    /* promptfoo's provider, before the first ":" */
  const char *provider;  /* the catalog's */
} provider_map[] = {
  { "openai", "openai" },
  { "anthropic", "anthropic" },
  { "groq", "groq" },
  { "mistral", "mistral" },
  { "openrouter", "openrouter" },
  { "deepseek", "deepseek" },
  { "ollama", "ollama" },
  { "google", "gemini" },
  { "gemini", "gemini" },
  { "vertex", "gemini" },
};

/* The kinds of call a promptfoo id may name between the provider and the model. */
static const char * const call_kinds[] = { "chat", "messages", "completion", "responses" };

/**
 * rw_promptfoo_provider_model:
 * @id: a promptfoo provider id, `openai:gpt-4.1-mini`, `anthropic:messages:claude-sonnet-4-0`
 * @error: return location for an error that names the provider
 *
 * Returns: (transfer full) (nullable): the catalog's model id for it, `provider/model`
 */
char *
rw_promptfoo_provider_model (const char  *id,
                             GError     **error)
{
  const char *colon = strchr (id, ':');
  g_autofree char *prefix = colon ? g_strndup (id, colon - id) : g_strdup (id);
  const char *model = colon ? colon + 1 : NULL;

  for (guint k = 0; model != NULL && k < G_N_ELEMENTS (call_kinds); k++)
    if (g_str_has_prefix (model, call_kinds[k]) && model[strlen (call_kinds[k])] == ':')
      model += strlen (call_kinds[k]) + 1;
  for (guint i = 0; i < G_N_ELEMENTS (provider_map); i++)
    if (g_str_equal (prefix, provider_map[i].prefix) && model != NULL && *model != '\0')
      return g_strdup_printf ("%s/%s", provider_map[i].provider, model);
  g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "the promptfoo provider “%s” is not one "
               "Routewise can run (it runs openai:, anthropic:, groq:, mistral:, openrouter:, "
               "deepseek:, ollama: and google: models); name the models with -m instead", id);
  return NULL;
}

void
rw_promptfoo_provider_free (RwPromptfooProvider *p)
{
  g_free (p->model_id);
  g_clear_pointer (&p->options, json_object_unref);
  g_free (p);
}

/**
 * rw_promptfoo_config_providers:
 * @config: a promptfoo configuration
 * @error: return location for an error: no providers, or one Routewise cannot run
 *
 * Returns: (transfer full) (element-type RwPromptfooProvider) (nullable): its providers as
 *   models, with the request fields their `config` sets
 */
GPtrArray *
rw_promptfoo_config_providers (JsonObject  *config,
                               GError     **error)
{
  g_autoptr(GPtrArray) out =
    g_ptr_array_new_with_free_func ((GDestroyNotify) rw_promptfoo_provider_free);
  JsonNode *node = json_object_get_member (config, "providers");
  g_autoptr(JsonArray) list = NULL;
  g_autoptr(GString) refused = g_string_new (NULL);

  if (node != NULL && JSON_NODE_HOLDS_ARRAY (node))
    list = json_array_ref (json_node_get_array (node));
  else if (node != NULL && (JSON_NODE_HOLDS_VALUE (node) || JSON_NODE_HOLDS_OBJECT (node)))
    {
      list = json_array_new ();
      json_array_add_element (list, json_node_copy (node));
    }
  if (list == NULL || json_array_get_length (list) == 0)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "the configuration names no providers: "
                   "name the models with -m");
      return NULL;
    }
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonNode *e = json_array_get_element (list, i);
      JsonObject *o = JSON_NODE_HOLDS_OBJECT (e) ? json_node_get_object (e) : NULL;
      const char *id = o ? rw_json_object_get_string (o, "id", NULL)
                     : JSON_NODE_HOLDS_VALUE (e) && json_node_get_value_type (e) == G_TYPE_STRING
                     ? json_node_get_string (e) : NULL;
      JsonObject *cfg = o ? rw_json_object_get_object (o, "config") : NULL;
      g_autoptr(GError) local = NULL;
      RwPromptfooProvider *p;
      char *model;

      if (id == NULL)
        {
          g_string_append_printf (refused, "%sproviders[%u] has no id", refused->len ? "; " : "",
                                  i);
          continue;
        }
      if ((model = rw_promptfoo_provider_model (id, &local)) == NULL)
        {
          g_string_append_printf (refused, "%s%s", refused->len ? "; " : "", local->message);
          continue;
        }
      p = g_new0 (RwPromptfooProvider, 1);
      p->model_id = model;
      p->options = json_object_new ();
      if (cfg != NULL)
        {
          /* promptfoo's names for the request's fields, as the request spells them. */
          JsonObjectIter iter;
          const char *name;
          JsonNode *value;

          json_object_iter_init (&iter, cfg);
          while (json_object_iter_next (&iter, &name, &value))
            {
              if (g_str_equal (name, "apiKey") || g_str_equal (name, "apiKeyEnvar") ||
                  g_str_equal (name, "apiBaseUrl") || g_str_equal (name, "apiHost"))
                continue;   /* where and how to call: the catalog's, never a config's */
              json_object_set_member (p->options,
                                      g_str_equal (name, "maxTokens") ? "max_tokens" :
                                      g_str_equal (name, "topP") ? "top_p" : name,
                                      json_node_copy (value));
            }
        }
      g_ptr_array_add (out, p);
    }
  if (refused->len > 0)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s", refused->str);
      return NULL;
    }
  return g_steal_pointer (&out);
}
