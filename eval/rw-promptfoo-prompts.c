/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "rw-json.h"
#include "rw-promptfoo-private.h"

/* The prompts a promptfoo configuration names: text, chats (JSON or YAML, or a chat template as
 * a whole), prompt functions, CSV files of prompts, each with its label. */

void
_rw_promptfoo_prompt_free (Prompt *p)
{
  g_free (p->text);
  g_clear_pointer (&p->messages, json_node_unref);
  g_free (p->chat_template);
  g_free (p->function);
  g_free (p->function_name);
  g_free (p);
}

/* A CSV file of prompts, as promptfoo reads one: a "prompt" column (else the first) and an
 * optional "label", a prompt a row. */
static gboolean
promptfoo_add_csv_prompts (GPtrArray   *out,
                           const char  *path,
                           const char  *ref,
                           const char  *origin,
                           GError     **error)
{
  gsize len, pos = 0;
  guint line = 1, column = 0;
  g_autofree char *contents = _rw_promptfoo_read_text (path, origin, &len, error);
  g_autoptr(GPtrArray) header = NULL;
  g_autoptr(GError) local = NULL;

  if (contents == NULL)
    return FALSE;
  if ((header = rw_csv_read_record (contents, len, &pos, &line, &local)) == NULL)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: %s: %s", origin, ref,
                   local ? local->message : "no header");
      return FALSE;
    }
  for (guint i = 0; i < header->len; i++)
    if (g_str_equal (header->pdata[i], "prompt"))
      column = i;
  for (;;)
    {
      guint at = 0;
      g_autoptr(GPtrArray) row = rw_csv_read_row (contents, len, &pos, &line, header->len, ref,
                                                  &at, &local);
      Prompt *p;

      if (row == NULL)
        {
          if (local == NULL)
            return TRUE;
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: %s", origin, local->message);
          return FALSE;
        }
      p = g_new0 (Prompt, 1);
      p->text = g_strdup (row->pdata[column]);
      g_ptr_array_add (out, p);
    }
}

gboolean
_rw_promptfoo_is_chat (JsonNode *node)
{
  JsonArray *array;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    return FALSE;
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *m = json_array_get_element (array, i);
      if (!JSON_NODE_HOLDS_OBJECT (m) || !json_object_has_member (json_node_get_object (m), "role"))
        return FALSE;
    }
  return json_array_get_length (array) > 0;
}

static gboolean
promptfoo_add_prompt (GPtrArray   *out,
                      const char  *ref,
                      const char  *base_dir,
                      const char  *origin,
                      GError     **error)
{
  g_autofree char *path = NULL;
  g_autofree char *spec = NULL;
  const char *colon;
  gboolean is_file = g_str_has_prefix (ref, "file://");
  const char *pattern = is_file ? ref + strlen ("file://") : ref;

  /* A pattern is every file it matches, in the order promptfoo's glob gives them; a bare one
   * (`*.txt`) too, when it is one word and matches a file, else it is a prompt's text. */
  if (base_dir != NULL && strpbrk (pattern, "*?[") != NULL &&
      (is_file || strpbrk (pattern, " \t\n") == NULL))
    {
      g_autoptr(GError) local = NULL;
      g_autoptr(GPtrArray) files = _rw_promptfoo_glob (base_dir, pattern, &local);

      if (files != NULL && files->len > 0)
        {
          for (guint i = 0; i < files->len; i++)
            {
              g_autofree char *each = g_strconcat ("file://", (char *) files->pdata[i], NULL);
              if (!promptfoo_add_prompt (out, each, base_dir, origin, error))
                return FALSE;
            }
          return TRUE;
        }
      if (is_file)
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: no file matches %s%s%s", origin,
                       ref, local ? ": " : "", local ? local->message : "");
          return FALSE;
        }
    }
  if (!is_file)
    {
      Prompt *p = g_new0 (Prompt, 1);
      p->text = g_strdup (ref);
      g_ptr_array_add (out, p);
      return TRUE;
    }
  /* file://prompt.js:name, file://prompt.py:Class.method */
  spec = g_strdup (ref);
  colon = strrchr (spec, ':');
  if (colon != NULL && colon > spec + strlen ("file://") && strchr (colon, '/') == NULL)
    {
      g_autofree char *file = g_strndup (spec, colon - spec);

      if (_rw_promptfoo_is_function_file (file))
        {
          Prompt *p;

          if ((path = _rw_promptfoo_file_path (base_dir, file, origin, error)) == NULL)
            return FALSE;
          p = g_new0 (Prompt, 1);
          p->function = g_steal_pointer (&path);
          p->function_name = g_strdup (colon + 1);
          g_ptr_array_add (out, p);
          return g_file_test (p->function, G_FILE_TEST_IS_REGULAR) ||
                 (g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: %s: no such file", origin,
                               ref), FALSE);
        }
    }
  if ((path = _rw_promptfoo_file_path (base_dir, ref, origin, error)) == NULL)
    return FALSE;
  if (_rw_promptfoo_is_function_file (path))
    {
      Prompt *p = g_new0 (Prompt, 1);

      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
        {
          g_free (p);
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: %s: no such file", origin, ref);
          return FALSE;
        }
      p->function = g_steal_pointer (&path);
      g_ptr_array_add (out, p);
      return TRUE;
    }
  if (g_str_has_suffix (path, ".csv"))
    return promptfoo_add_csv_prompts (out, path, ref, origin, error);
  if (_rw_promptfoo_is_data_file (path) && !g_str_has_suffix (path, ".jsonl"))
    {
      /* A chat file with Nunjucks tags ({% for %} over the turns) is no JSON or YAML until it
       * is filled in: promptfoo fills in its text first, for each test. */
      gsize len;
      g_autofree char *text = _rw_promptfoo_read_text (path, origin, &len, error);

      if (text == NULL)
        return FALSE;
      if (strstr (text, "{%") != NULL)
        {
          Prompt *p = g_new0 (Prompt, 1);
          p->chat_template = g_steal_pointer (&text);
          p->chat_yaml = !g_str_has_suffix (path, ".json");
          g_ptr_array_add (out, p);
          return TRUE;
        }
    }
  if (_rw_promptfoo_is_data_file (path))
    {
      g_autoptr(JsonNode) node = rw_promptfoo_read_data_file (path, error);

      if (node == NULL)
        return FALSE;
      if (_rw_promptfoo_is_chat (node))
        {
          Prompt *p = g_new0 (Prompt, 1);
          p->messages = g_steal_pointer (&node);
          g_ptr_array_add (out, p);
          return TRUE;
        }
      if (JSON_NODE_HOLDS_ARRAY (node))
        {
          JsonArray *array = json_node_get_array (node);
          for (guint i = 0; i < json_array_get_length (array); i++)
            {
              JsonNode *e = json_array_get_element (array, i);
              if (JSON_NODE_HOLDS_VALUE (e) && json_node_get_value_type (e) == G_TYPE_STRING)
                {
                  Prompt *p = g_new0 (Prompt, 1);
                  p->text = g_strdup (json_node_get_string (e));
                  g_ptr_array_add (out, p);
                }
              else if (_rw_promptfoo_is_chat (e))
                {
                  Prompt *p = g_new0 (Prompt, 1);
                  p->messages = json_node_copy (e);
                  g_ptr_array_add (out, p);
                }
              else
                {
                  g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                               "%s: %s: item %u is neither a prompt nor a chat", origin, ref, i + 1);
                  return FALSE;
                }
            }
          return TRUE;
        }
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                   "%s: %s must hold a chat (a list of messages with roles) or a list of prompts",
                   origin, ref);
      return FALSE;
    }
  else
    {
      /* A text file: one prompt, or several separated by lines of "---". */
      gsize len;
      g_autofree char *contents = _rw_promptfoo_read_text (path, origin, &len, error);
      g_auto(GStrv) parts = NULL;

      if (contents == NULL)
        return FALSE;
      if (g_str_has_suffix (path, ".md") || g_str_has_suffix (path, ".j2") ||
          g_str_has_suffix (path, ".njk"))
        {
          /* Markdown and Jinja/Nunjucks files are one prompt each, to the last byte. */
          Prompt *p = g_new0 (Prompt, 1);
          p->text = g_steal_pointer (&contents);
          g_ptr_array_add (out, p);
          return TRUE;
        }
      parts = g_regex_split_simple ("\\r?\\n---\\r?\\n", contents, 0, 0);
      for (guint i = 0; parts[i] != NULL; i++)
        {
          Prompt *p;
          if (*g_strstrip (parts[i]) == '\0')
            continue;
          p = g_new0 (Prompt, 1);
          p->text = g_strdup (parts[i]);
          g_ptr_array_add (out, p);
        }
      return TRUE;
    }
}

GPtrArray *
_rw_promptfoo_collect_prompts (JsonNode    *prompts,
                               const char  *base_dir,
                               const char  *origin,
                               GError     **error)
{
  g_autoptr(GPtrArray) out =
    g_ptr_array_new_with_free_func ((GDestroyNotify) _rw_promptfoo_prompt_free);

  if (prompts != NULL && JSON_NODE_HOLDS_VALUE (prompts) &&
      json_node_get_value_type (prompts) == G_TYPE_STRING)
    {
      if (!promptfoo_add_prompt (out, json_node_get_string (prompts), base_dir, origin, error))
        return NULL;
    }
  else if (prompts != NULL && JSON_NODE_HOLDS_ARRAY (prompts))
    for (guint p = 0; p < json_array_get_length (json_node_get_array (prompts)); p++)
      {
        JsonNode *pn = json_array_get_element (json_node_get_array (prompts), p);
        const char *ref = NULL;

        if (JSON_NODE_HOLDS_VALUE (pn) && json_node_get_value_type (pn) == G_TYPE_STRING)
          ref = json_node_get_string (pn);
        else if (JSON_NODE_HOLDS_OBJECT (pn))
          {
            JsonObject *o = json_node_get_object (pn);
            ref = rw_json_object_get_string (o, "raw", NULL);
            if (ref == NULL)
              ref = rw_json_object_get_string (o, "id", NULL);
          }
        if (ref == NULL)
          {
            g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                         "%s: prompts[%u] must be a prompt's text, a file:// reference or an object "
                         "with “raw” or “id”", origin, p);
            return NULL;
          }
        if (!promptfoo_add_prompt (out, ref, base_dir, origin, error))
          return NULL;
      }
  if (out->len == 0)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: “prompts” names no prompt", origin);
      return NULL;
    }
  return g_steal_pointer (&out);
}
