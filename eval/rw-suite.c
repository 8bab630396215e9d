/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "rw-suite-format.h"
#include "rw-suite.h"

/**
 * RwSuite:
 *
 * A task suite: items to send to models, each with its task, messages, an optional reference
 * answer and optional graders. Read from JSONL, one item per line:
 * `{"id": ..., "task": ..., "messages": [...] or "prompt": "...", "reference": ...,
 *   "graders": [...], "tools": [...], "tool_choice": ..., "response_format": {...}, ...}` (other members are kept as metadata), or from CSV with the columns
 * prompt, task, reference (and optionally id). Anything malformed is an error naming its line.
 */
struct _RwSuite
{
  GObject parent_instance;

  char *name;
  char *checksum;
  GPtrArray *items;
};

G_DEFINE_FINAL_TYPE (RwSuite, rw_suite, G_TYPE_OBJECT)
G_DEFINE_BOXED_TYPE (RwSuiteItem, rw_suite_item, rw_suite_item_ref, rw_suite_item_unref)

static RwSuiteItem *
rw_suite_item_new (void)
{
  RwSuiteItem *self = g_new0 (RwSuiteItem, 1);
  g_atomic_ref_count_init (&self->ref_count);
  return self;
}

RwSuiteItem *
rw_suite_item_ref (RwSuiteItem *self)
{
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
rw_suite_item_unref (RwSuiteItem *self)
{
  if (g_atomic_ref_count_dec (&self->ref_count))
    {
      g_free (self->id);
      g_free (self->task);
      g_clear_pointer (&self->request, rw_chat_request_unref);
      g_free (self->reference);
      g_clear_pointer (&self->graders, json_node_unref);
      g_clear_pointer (&self->metadata, json_node_unref);
      g_free (self);
    }
}

static void
rw_suite_finalize (GObject *object)
{
  RwSuite *self = (RwSuite *) object;

  g_free (self->name);
  g_free (self->checksum);
  g_clear_pointer (&self->items, g_ptr_array_unref);
  G_OBJECT_CLASS (rw_suite_parent_class)->finalize (object);
}

static void
rw_suite_class_init (RwSuiteClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = rw_suite_finalize;
}

static void
rw_suite_init (RwSuite *self)
{
  self->items = g_ptr_array_new_with_free_func ((GDestroyNotify) rw_suite_item_unref);
}

/* A reference may be a string or a number; numbers keep their written form. */
static char *
suite_scalar_to_string (JsonNode *node)
{
  if (node == NULL || JSON_NODE_HOLDS_NULL (node) || !JSON_NODE_HOLDS_VALUE (node))
    return NULL;
  switch (json_node_get_value_type (node))
    {
    case G_TYPE_STRING:
      return g_strdup (json_node_get_string (node));
    case G_TYPE_INT64:
      return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
    case G_TYPE_DOUBLE:
      {
        char buf[G_ASCII_DTOSTR_BUF_SIZE];
        return g_strdup (g_ascii_dtostr (buf, sizeof buf, json_node_get_double (node)));
      }
    case G_TYPE_BOOLEAN:
      return g_strdup (json_node_get_boolean (node) ? "true" : "false");
    default:
      return NULL;
    }
}

static gboolean
suite_add_item (RwSuite     *self,
                GHashTable  *seen,
                RwSuiteItem *item,
                const char  *where,
                GError     **error)
{
  if (item->id == NULL || *item->id == '\0')
    {
      g_free (item->id);
      item->id = g_strdup_printf ("%u", self->items->len + 1);
    }
  if (g_hash_table_contains (seen, item->id))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: the id “%s” is used twice", where,
                   item->id);
      return FALSE;
    }
  if (item->task == NULL || *item->task == '\0')
    {
      g_free (item->task);
      item->task = g_strdup ("general");
    }
  rw_chat_request_set_task (item->request, item->task);
  g_hash_table_add (seen, g_strdup (item->id));
  g_ptr_array_add (self->items, rw_suite_item_ref (item));
  return TRUE;
}

static RwSuiteItem *
suite_item_from_object (JsonObject  *obj,
                        const char  *where,
                        GError     **error)
{
  g_autoptr(RwSuiteItem) item = rw_suite_item_new ();
  g_autoptr(JsonObject) rest = json_object_new ();
  JsonNode *node;
  GList *members;

  node = json_object_get_member (obj, "id");
  if (node != NULL && (item->id = suite_scalar_to_string (node)) == NULL)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: “id” must be a string or a number",
                   where);
      return NULL;
    }
  node = json_object_get_member (obj, "task");
  if (node != NULL && (!JSON_NODE_HOLDS_VALUE (node) ||
                       json_node_get_value_type (node) != G_TYPE_STRING))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: “task” must be a string", where);
      return NULL;
    }
  item->task = node ? g_strdup (json_node_get_string (node)) : NULL;

  item->request = rw_chat_request_new ();
  if ((node = json_object_get_member (obj, "messages")) != NULL)
    {
      g_autoptr(GError) local = NULL;
      if (!rw_chat_request_set_messages_from_json (item->request, node, &local))
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: %s", where, local->message);
          return NULL;
        }
    }
  else if ((node = json_object_get_member (obj, "prompt")) != NULL &&
           JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING &&
           *json_node_get_string (node) != '\0')
    rw_chat_request_add_message (item->request, "user", json_node_get_string (node));
  else
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                   "%s: give “messages” (an array) or “prompt” (a non-empty string)", where);
      return NULL;
    }

  /* Tools and an answer's format go with the request, so that tool calling and structured
   * output are what is evaluated. */
  {
    static const char * const carried[] = { "tools", "tool_choice", "response_format", NULL };
    g_autoptr(JsonObject) extra = json_object_new ();

    for (guint i = 0; carried[i] != NULL; i++)
      if ((node = json_object_get_member (obj, carried[i])) != NULL && !JSON_NODE_HOLDS_NULL (node))
        {
          if ((i == 0 && !JSON_NODE_HOLDS_ARRAY (node)) ||
              (i == 2 && !JSON_NODE_HOLDS_OBJECT (node)))
            {
              g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: “%s” must be %s", where,
                           carried[i], i == 0 ? "an array of tools" : "an object");
              return NULL;
            }
          json_object_set_member (extra, carried[i], json_node_copy (node));
        }
    if (json_object_get_size (extra) > 0)
      {
        g_autoptr(JsonNode) extra_node = json_node_init_object (json_node_alloc (), extra);
        g_autofree char *text = rw_json_to_string (extra_node, FALSE);

        rw_chat_request_set_extra (item->request, text);
      }
  }

  node = json_object_get_member (obj, "reference");
  if (node != NULL && !JSON_NODE_HOLDS_NULL (node) &&
      (item->reference = suite_scalar_to_string (node)) == NULL)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: “reference” must be a string or a number",
                   where);
      return NULL;
    }
  node = json_object_get_member (obj, "graders");
  if (node != NULL)
    {
      if (!JSON_NODE_HOLDS_ARRAY (node))
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: “graders” must be an array", where);
          return NULL;
        }
      item->graders = json_node_copy (node);
    }

  members = json_object_get_members (obj);
  for (GList *l = members; l; l = l->next)
    if (!g_str_equal (l->data, "id") && !g_str_equal (l->data, "task") &&
        !g_str_equal (l->data, "messages") && !g_str_equal (l->data, "prompt") &&
        !g_str_equal (l->data, "reference") && !g_str_equal (l->data, "graders") &&
        !g_str_equal (l->data, "tools") && !g_str_equal (l->data, "tool_choice") &&
        !g_str_equal (l->data, "response_format"))
      json_object_set_member (rest, l->data, json_node_copy (json_object_get_member (obj,
                                                                                     l->data)));
  g_list_free (members);
  if (json_object_get_size (rest) > 0)
    {
      item->metadata = json_node_new (JSON_NODE_OBJECT);
      json_node_set_object (item->metadata, rest);
    }
  return g_steal_pointer (&item);
}

static gboolean
suite_load_jsonl (RwSuite     *self,
                  const char  *data,
                  gsize        length,
                  GError     **error)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const char *p = data, *end = data + length;
  guint line = 0;

  while (p < end)
    {
      const char *nl = memchr (p, '\n', end - p);
      gsize len = (nl ? nl : end) - p;
      g_autofree char *where = NULL;
      g_autoptr(GError) local = NULL;
      g_autoptr(RwSuiteItem) item = NULL;
      g_autoptr(JsonNode) root = NULL;
      const char *q = p;

      line++;
      where = g_strdup_printf ("%s:%u", self->name, line);
      while (q < p + len && g_ascii_isspace (*q))
        q++;
      if (q == p + len)
        {
          p += len + 1;
          continue;
        }
      if ((root = rw_json_parse_line (p, len, &local)) == NULL)
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: not valid JSON: %s", where,
                       local->message);
          return FALSE;
        }
      if (!JSON_NODE_HOLDS_OBJECT (root))
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: each line must be a JSON object",
                       where);
          return FALSE;
        }
      item = suite_item_from_object (json_node_get_object (root), where,
                                     error);
      if (item == NULL || !suite_add_item (self, seen, item, where, error))
        return FALSE;
      p += len + 1;
    }
  return TRUE;
}

static gboolean
suite_load_csv (RwSuite     *self,
                const char  *data,
                gsize        length,
                GError     **error)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GPtrArray) header = NULL;
  gint col_prompt = -1, col_task = -1, col_reference = -1, col_id = -1;
  gsize pos = 0;
  guint line = 0;
  GPtrArray *record;
  g_autoptr(GError) local = NULL;

  if (length >= 3 && memcmp (data, "\xEF\xBB\xBF", 3) == 0)
    pos = 3;
  header = rw_csv_read_record (data, length, &pos, &line, &local);
  if (header == NULL)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s:1: %s", self->name,
                   local ? local->message : "empty file");
      return FALSE;
    }
  for (guint i = 0; i < header->len; i++)
    {
      g_autofree char *name = g_ascii_strdown (g_strstrip ((char *) header->pdata[i]), -1);
      if (g_str_equal (name, "prompt"))
        col_prompt = i;
      else if (g_str_equal (name, "task"))
        col_task = i;
      else if (g_str_equal (name, "reference"))
        col_reference = i;
      else if (g_str_equal (name, "id"))
        col_id = i;
    }
  if (col_prompt < 0)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                   "%s:1: the header needs a “prompt” column (and may have task, reference, id)",
                   self->name);
      return FALSE;
    }

  while (TRUE)
    {
      guint start_line = line + 1;
      g_autofree char *where = NULL;
      g_autoptr(RwSuiteItem) item = NULL;

      record = rw_csv_read_record (data, length, &pos, &line, &local);
      where = g_strdup_printf ("%s:%u", self->name, start_line);
      if (record == NULL)
        {
          if (local != NULL)
            {
              g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: %s", where, local->message);
              return FALSE;
            }
          break;
        }
      if (record->len == 1 && *(char *) record->pdata[0] == '\0')
        {
          g_ptr_array_unref (record);
          continue;
        }
      if ((guint) col_prompt >= record->len || *(char *) record->pdata[col_prompt] == '\0')
        {
          g_ptr_array_unref (record);
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: the prompt is empty", where);
          return FALSE;
        }
      item = rw_suite_item_new ();
      item->request = rw_chat_request_new_for_prompt (record->pdata[col_prompt]);
      if (col_task >= 0 && (guint) col_task < record->len)
        item->task = g_strdup (record->pdata[col_task]);
      if (col_reference >= 0 && (guint) col_reference < record->len &&
          *(char *) record->pdata[col_reference] != '\0')
        item->reference = g_strdup (record->pdata[col_reference]);
      if (col_id >= 0 && (guint) col_id < record->len)
        item->id = g_strdup (record->pdata[col_id]);
      g_ptr_array_unref (record);
      if (!suite_add_item (self, seen, item, where, error))
        return FALSE;
    }
  return TRUE;
}

/**
 * rw_suite_new_from_data:
 * @name: a name for messages, usually the file name
 * @format: "jsonl" or "csv"
 * @data: the suite
 * @length: its length
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the suite
 */
RwSuite *
rw_suite_new_from_data (const char  *name,
                        const char  *format,
                        const char  *data,
                        gsize        length,
                        GError     **error)
{
  g_autoptr(RwSuite) self = g_object_new (RW_TYPE_SUITE, NULL);
  gboolean ok;

  self->name = g_strdup (name);
  self->checksum = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) data, length);
  if (g_str_equal (format, "csv"))
    ok = suite_load_csv (self, data, length, error);
  else
    ok = suite_load_jsonl (self, data, length, error);
  if (!ok)
    return NULL;
  if (self->items->len == 0)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: the suite has no items", name);
      return NULL;
    }
  return g_steal_pointer (&self);
}

/**
 * rw_suite_new_from_file:
 * @path: a `.jsonl` or `.csv` file, or a file of a format rw_suite_format_for_path() knows (a
 *   promptfoo configuration: `.yaml`, `.yml`, `.json`)
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the suite
 */
RwSuite *
rw_suite_new_from_file (const char  *path,
                        GError     **error)
{
  g_autofree char *contents = NULL;
  g_autofree char *base = g_path_get_basename (path);
  g_autoptr(GError) local = NULL;
  const RwSuiteFormat *format;
  gsize len;

  if (!rw_file_read_text (path, RW_FILE_DOCUMENT_MAX, &contents, &len, &local))
    {
      g_set_error_literal (error, RW_ERROR, RW_ERROR_CONFIG, local->message);
      return NULL;
    }
  format = rw_suite_format_for_path (path);
  if (format->to_jsonl != NULL)
    {
      /* A foreign format, a promptfoo configuration (its prompts × tests) for one. */
      g_autofree char *jsonl = format->to_jsonl (path, error);

      if (jsonl == NULL)
        return NULL;
      return rw_suite_new_from_data (base, "jsonl", jsonl, strlen (jsonl), error);
    }
  return rw_suite_new_from_data (base, format->name, contents, len, error);
}

const char *
rw_suite_get_name (RwSuite *self)
{
  return self->name;
}

/**
 * rw_suite_get_checksum:
 * @self: a suite
 *
 * Returns: the SHA-256 of the suite's text: a run is tied to exactly this suite
 */
const char *
rw_suite_get_checksum (RwSuite *self)
{
  return self->checksum;
}

guint
rw_suite_get_n_items (RwSuite *self)
{
  return self->items->len;
}

/**
 * rw_suite_get_item:
 * @self: a suite
 * @index: an item
 *
 * Returns: (transfer none): the item
 */
RwSuiteItem *
rw_suite_get_item (RwSuite *self,
                   guint    index)
{
  g_return_val_if_fail (index < self->items->len, NULL);
  return self->items->pdata[index];
}

/**
 * rw_suite_dup_unsupported:
 * @self: a suite
 * @n_ungraded: (out) (optional): how many items have nothing Routewise can grade them with
 *
 * What the suite asks for that Routewise cannot grade: the assertions of a promptfoo
 * configuration of kinds it lacks, by kind, with how many items use each.
 *
 * Returns: (transfer full): kind -> count, as a JSON object; empty when there are none
 */
JsonObject *
rw_suite_dup_unsupported (RwSuite *self,
                          guint   *n_ungraded)
{
  JsonObject *out = json_object_new ();
  guint ungraded = 0;

  for (guint i = 0; i < self->items->len; i++)
    {
      RwSuiteItem *item = self->items->pdata[i];
      JsonObject *meta = item->metadata && JSON_NODE_HOLDS_OBJECT (item->metadata)
                         ? json_node_get_object (item->metadata) : NULL;
      JsonArray *kinds = meta ? rw_json_object_get_array (meta, "promptfoo_unsupported_asserts")
                              : NULL;
      guint n = kinds ? json_array_get_length (kinds) : 0;

      for (guint k = 0; k < n; k++)
        {
          const char *kind = json_array_get_string_element (kinds, k);
          if (kind != NULL)
            json_object_set_int_member (out, kind, rw_json_object_get_int (out, kind, 0) + 1);
        }
      if (n > 0 && (item->graders == NULL ||
                    json_array_get_length (json_node_get_array (item->graders)) == 0))
        ungraded++;
    }
  if (n_ungraded != NULL)
    *n_ungraded = ungraded;
  return out;
}
