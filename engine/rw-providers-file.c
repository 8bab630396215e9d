/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <math.h>

#include "rw-error.h"
#include "rw-file.h"
#include "rw-json.h"
#include "rw-paths.h"
#include "rw-providers-file.h"

/**
 * RwProvidersFile:
 *
 * The user's providers.json, edited: providers of every kind the engine speaks and their
 * models with prices, added, changed and removed. Each change is checked as the catalog
 * checks the file at start-up, against the shipped catalog, then written at once (atomically)
 * and applied to a live catalog; a change the catalog would refuse is refused with its
 * reason, and neither the file nor the catalog changes. Members the editor does not know
 * (limits, "local", comments) are kept as they are. Keys never go here.
 */
struct _RwProvidersFile
{
  GObject parent_instance;

  char *path;
  JsonNode *root;       /* an object */
};

G_DEFINE_FINAL_TYPE (RwProvidersFile, rw_providers_file, G_TYPE_OBJECT)

static void
rw_providers_file_finalize (GObject *object)
{
  RwProvidersFile *self = (RwProvidersFile *) object;

  g_clear_pointer (&self->path, g_free);
  g_clear_pointer (&self->root, json_node_unref);
  G_OBJECT_CLASS (rw_providers_file_parent_class)->finalize (object);
}

static void
rw_providers_file_class_init (RwProvidersFileClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = rw_providers_file_finalize;
}

static void
rw_providers_file_init (RwProvidersFile *self)
{
}

static JsonNode *
providers_file_empty (void)
{
  JsonObject *obj = json_object_new ();
  JsonNode *node = json_node_new (JSON_NODE_OBJECT);

  json_object_set_array_member (obj, "providers", json_array_new ());
  json_object_set_array_member (obj, "models", json_array_new ());
  json_node_take_object (node, obj);
  return node;
}

/**
 * rw_providers_file_new:
 * @path: (nullable): the file; %NULL for the user's providers.json
 *
 * Returns: (transfer full): an editor of the file, empty until loaded
 */
RwProvidersFile *
rw_providers_file_new (const char *path)
{
  RwProvidersFile *self = g_object_new (RW_TYPE_PROVIDERS_FILE, NULL);

  self->path = path ? g_strdup (path) : rw_paths_providers_file ();
  self->root = providers_file_empty ();
  return self;
}

const char *
rw_providers_file_get_path (RwProvidersFile *self)
{
  return self->path;
}

/**
 * rw_providers_file_load:
 * @self: the editor
 * @error: return location for an error
 *
 * Reads the file; one that does not exist yet is empty.
 *
 * Returns: whether it was read; a file that is not a JSON object is not
 */
gboolean
rw_providers_file_load (RwProvidersFile  *self,
                        GError          **error)
{
  g_autoptr(GError) local = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(JsonNode) root = NULL;
  gsize len;

  if (!g_file_test (self->path, G_FILE_TEST_EXISTS))
    {
      g_clear_pointer (&self->root, json_node_unref);
      self->root = providers_file_empty ();
      return TRUE;
    }
  if (!rw_file_read_text (self->path, RW_FILE_DOCUMENT_MAX, &contents, &len, &local)
      || (root = rw_json_parse (contents, len, &local)) == NULL)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: %s", self->path, local->message);
      return FALSE;
    }
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                   "%s: expected an object with “providers” and “models”", self->path);
      return FALSE;
    }
  g_clear_pointer (&self->root, json_node_unref);
  self->root = g_steal_pointer (&root);
  return TRUE;
}

static JsonArray *
providers_file_array (JsonObject *root,
                      const char *name)
{
  JsonNode *node = json_object_get_member (root, name);

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    json_object_set_array_member (root, name, json_array_new ());
  return json_object_get_array_member (root, name);
}

static GPtrArray *
providers_file_objects (JsonArray  *array,
                        const char *member,
                        const char *value)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);

  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      if (member == NULL
          || g_strcmp0 (rw_json_object_get_string (json_node_get_object (node), member, NULL),
                        value) == 0)
        g_ptr_array_add (out, json_object_ref (json_node_get_object (node)));
    }
  return out;
}

/**
 * rw_providers_file_list_providers:
 *
 * Returns: (transfer full) (element-type JsonObject): the file's providers, as written
 */
GPtrArray *
rw_providers_file_list_providers (RwProvidersFile *self)
{
  JsonObject *root = json_node_get_object (self->root);

  return providers_file_objects (rw_json_object_get_array (root, "providers"), NULL, NULL);
}

/**
 * rw_providers_file_list_models:
 * @provider_id: (nullable): only this provider's
 *
 * Returns: (transfer full) (element-type JsonObject): the file's models, as written
 */
GPtrArray *
rw_providers_file_list_models (RwProvidersFile *self,
                               const char      *provider_id)
{
  JsonObject *root = json_node_get_object (self->root);

  return providers_file_objects (rw_json_object_get_array (root, "models"),
                                 provider_id ? "provider" : NULL, provider_id);
}

/* Removes the objects of @array whose @member is @value. */
static void
providers_file_remove (JsonArray  *array,
                       const char *member,
                       const char *value)
{
  for (guint i = json_array_get_length (array); i-- > 0;)
    {
      JsonNode *node = json_array_get_element (array, i);

      if (JSON_NODE_HOLDS_OBJECT (node)
          && g_strcmp0 (rw_json_object_get_string (json_node_get_object (node), member, NULL),
                        value) == 0)
        json_array_remove_element (array, i);
    }
}

/* Checks @root as the start-up would, against the shipped catalog; then writes it, makes it
 * the file's, and applies it to @catalog. */
static gboolean
providers_file_commit (RwProvidersFile  *self,
                       JsonNode         *root,
                       RwCatalog        *catalog,
                       const char       *removed_provider,
                       GError          **error)
{
  g_autoptr(RwCatalog) scratch = rw_catalog_new ();
  g_autofree char *text = rw_json_to_string (root, TRUE);
  g_autofree char *dir = g_path_get_dirname (self->path);
  g_autofree char *with_newline = g_strconcat (text, "\n", NULL);

  if (!rw_catalog_load_defaults (scratch, error)
      || !rw_catalog_load_data (scratch, self->path, text, -1, error))
    return FALSE;
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "cannot create %s: %s", dir,
                   g_strerror (errno));
      return FALSE;
    }
  if (!g_file_set_contents (self->path, with_newline, -1, error))
    return FALSE;
  g_clear_pointer (&self->root, json_node_unref);
  self->root = json_node_ref (root);
  if (catalog != NULL)
    {
      if (removed_provider != NULL)
        rw_catalog_remove_provider (catalog, removed_provider);
      return rw_catalog_load_data (catalog, self->path, text, -1, error);
    }
  return TRUE;
}

/**
 * rw_providers_file_set_provider:
 * @self: the editor
 * @id: the provider's id
 * @kind: its wire protocol: "openai" (any OpenAI-compatible server), "anthropic", "gemini",
 *   "ollama"
 * @base_url: (nullable): where it is served
 * @api_key_env: (nullable): the environment variable that may hold its key
 * @catalog: (nullable): a catalog to apply the change to
 * @error: return location for an error
 *
 * Adds the provider, or changes the one with that id, keeping its other settings.
 *
 * Returns: whether it was written
 */
gboolean
rw_providers_file_set_provider (RwProvidersFile  *self,
                                const char       *id,
                                const char       *kind,
                                const char       *base_url,
                                const char       *api_key_env,
                                RwCatalog        *catalog,
                                GError          **error)
{
  g_autoptr(JsonNode) root = json_node_copy (self->root);
  JsonArray *providers = providers_file_array (json_node_get_object (root), "providers");
  g_autoptr(GPtrArray) existing = providers_file_objects (providers, "id", id);
  JsonObject *p;

  if (id == NULL || *id == '\0')
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "a provider needs an id");
      return FALSE;
    }
  if (existing->len > 0)
    p = existing->pdata[0];
  else
    {
      p = json_object_new ();
      json_object_set_string_member (p, "id", id);
      json_array_add_object_element (providers, p);
    }
  json_object_set_string_member (p, "kind", kind);
  if (base_url != NULL && *base_url != '\0')
    json_object_set_string_member (p, "base_url", base_url);
  else if (json_object_has_member (p, "base_url"))
    json_object_remove_member (p, "base_url");
  if (api_key_env != NULL && *api_key_env != '\0')
    json_object_set_string_member (p, "api_key_env", api_key_env);
  else if (json_object_has_member (p, "api_key_env"))
    json_object_remove_member (p, "api_key_env");
  return providers_file_commit (self, root, catalog, NULL, error);
}

/**
 * rw_providers_file_remove_provider:
 *
 * Removes the provider and its models from the file and from @catalog.
 *
 * Returns: whether it was written
 */
gboolean
rw_providers_file_remove_provider (RwProvidersFile  *self,
                                   const char       *id,
                                   RwCatalog        *catalog,
                                   GError          **error)
{
  g_autoptr(JsonNode) root = json_node_copy (self->root);
  JsonObject *obj = json_node_get_object (root);

  providers_file_remove (providers_file_array (obj, "providers"), "id", id);
  providers_file_remove (providers_file_array (obj, "models"), "provider", id);
  return providers_file_commit (self, root, catalog, id, error);
}

/**
 * rw_providers_file_set_model:
 * @self: the editor
 * @provider_id: the model's provider
 * @name: the model's name at the provider; its id is `provider/name`
 * @input_price: US dollars per million input tokens; NAN when unknown
 * @output_price: US dollars per million output tokens; NAN when unknown
 * @catalog: (nullable): a catalog to apply the change to
 * @error: return location for an error
 *
 * Adds the model, or changes its prices.
 *
 * Returns: whether it was written
 */
gboolean
rw_providers_file_set_model (RwProvidersFile  *self,
                             const char       *provider_id,
                             const char       *name,
                             double            input_price,
                             double            output_price,
                             RwCatalog        *catalog,
                             GError          **error)
{
  g_autoptr(JsonNode) root = json_node_copy (self->root);
  JsonArray *models = providers_file_array (json_node_get_object (root), "models");
  g_autofree char *id = g_strdup_printf ("%s/%s", provider_id, name);
  JsonObject *m = json_object_new ();

  if (name == NULL || *name == '\0')
    {
      json_object_unref (m);
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "a model needs a name");
      return FALSE;
    }
  providers_file_remove (models, "id", id);
  json_object_set_string_member (m, "id", id);
  json_object_set_string_member (m, "provider", provider_id);
  json_object_set_string_member (m, "name", name);
  if (isfinite (input_price) && isfinite (output_price))
    {
      json_object_set_double_member (m, "input_price", input_price);
      json_object_set_double_member (m, "output_price", output_price);
    }
  json_array_add_object_element (models, m);
  return providers_file_commit (self, root, catalog, NULL, error);
}

/**
 * rw_providers_file_remove_model:
 *
 * Removes a model from the file. The catalog keeps it until the next start, as the provider may
 * list it.
 *
 * Returns: whether it was written
 */
gboolean
rw_providers_file_remove_model (RwProvidersFile  *self,
                                const char       *model_id,
                                RwCatalog        *catalog,
                                GError          **error)
{
  g_autoptr(JsonNode) root = json_node_copy (self->root);

  providers_file_remove (providers_file_array (json_node_get_object (root), "models"), "id",
                         model_id);
  return providers_file_commit (self, root, catalog, NULL, error);
}
