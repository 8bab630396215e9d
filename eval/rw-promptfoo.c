/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "rw-json.h"
#include "rw-promptfoo-private.h"
#include "rw-template.h"
#include "rw-yaml.h"

/*
 * promptfoo, imported. A configuration's prompts × tests become suite items: each prompt
 * template rendered with the test's vars ({{ name }}), its assertions (and defaultTest's) as
 * graders where Routewise has the same grader: equals, contains, icontains, regex, starts-with,
 * is-json, each also with "not-", and llm-rubric, factuality, model-graded-closedqa, g-eval,
 * context-relevance, context-faithfulness, context-recall, answer-relevance and select-best as
 * judge graders; a test's threshold makes it pass at its weighted score. Configurations are YAML or
 * JSON; prompts, tests and vars may be file:// references, read relative to the configuration
 * (prompts from text, JSON or YAML chats; tests from CSV, JSON, JSONL or YAML). A result file (`promptfoo eval -o results.json`) becomes a stored evaluation run:
 * every answer with its tokens, cost and latency, every assertion's outcome as a grade, and each
 * pair of providers' answers to the same test and prompt as a pairwise outcome.
 */

JsonObject *
_rw_promptfoo_object_member (JsonObject *obj,
                             const char *name)
{
  JsonNode *node = obj ? json_object_get_member (obj, name) : NULL;
  return node != NULL && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
}

gboolean
rw_promptfoo_is_config (JsonObject *root)
{
  return json_object_has_member (root, "prompts") && json_object_has_member (root, "tests");
}


/* The first template that could not be filled in while a configuration is read, for
 * rw_promptfoo_config_to_jsonl() to report (templates are filled in at many depths). */
static _Thread_local GError *promptfoo_render_error;

/* The first template that could not be filled in since the last call, or NULL. */
GError *
_rw_promptfoo_take_render_error (void)
{
  return g_steal_pointer (&promptfoo_render_error);
}

/* @template filled in with @vars, as promptfoo's Nunjucks fills it (rw-template.c); a template
 * that cannot be filled in is kept as it is, and the first such error is reported once the
 * configuration is read. */
char *
_rw_promptfoo_render (const char *template,
                      JsonObject *vars)
{
  GError *error = NULL;
  char *text;

  if (!rw_template_has_tags (template))
    return g_strdup (template);
  if ((text = rw_template_render (template, vars, &error)) != NULL)
    return text;
  if (promptfoo_render_error == NULL)
    promptfoo_render_error = error;
  else
    g_error_free (error);
  return g_strdup (template);
}

/* promptfoo's CSV tests: a column per variable, and __expected (or __expected1, ...) columns
 * whose cells are assertions written as "type: value" (plain text means equals),
 * __description, and __metadata:NAME. */
static JsonObject *
promptfoo_assertion_from_cell (const char *cell)
{
  static const char *const types[] = {
    "not-icontains", "not-contains", "icontains", "contains", "not-equals", "equals",
    "not-regex", "regex", "not-starts-with", "starts-with", "llm-rubric", "grade",
  };
  JsonObject *a = json_object_new ();

  if (g_str_equal (cell, "is-json"))
    {
      json_object_set_string_member (a, "type", "is-json");
      return a;
    }
  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    if (g_str_has_prefix (cell, types[i]) && cell[strlen (types[i])] == ':')
      {
        g_autofree char *value = g_strstrip (g_strdup (cell + strlen (types[i]) + 1));
        json_object_set_string_member (a, "type", g_str_equal (types[i],
                                                               "grade") ? "llm-rubric" : types[i]);
        json_object_set_string_member (a, "value", value);
        return a;
      }
  json_object_set_string_member (a, "type", "equals");
  json_object_set_string_member (a, "value", cell);
  return a;
}

static gboolean
promptfoo_tests_from_csv (JsonArray   *out,
                          const char  *path,
                          const char  *origin,
                          GError     **error)
{
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *data = NULL;
  g_autoptr(GPtrArray) header = NULL;
  g_autoptr(GError) local = NULL;
  gsize len, pos = 0;
  guint line = 1;

  if ((data = _rw_promptfoo_read_text (path, origin, &len, error)) == NULL)
    return FALSE;
  header = rw_csv_read_record (data, len, &pos, &line, &local);
  if (header == NULL)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: %s",
                   base, local ? local->message : "the file is empty");
      return FALSE;
    }
  for (;;)
    {
      g_autoptr(GPtrArray) record = rw_csv_read_row (data, len, &pos, &line, header->len, base,
                                                     NULL,
                                                     &local);
      JsonObject *test, *vars, *meta;
      JsonArray *asserts;

      if (record == NULL)
        {
          if (local != NULL)
            {
              g_propagate_error (error, g_steal_pointer (&local));
              return FALSE;
            }
          return TRUE;
        }
      test = json_object_new ();
      vars = json_object_new ();
      meta = json_object_new ();
      asserts = json_array_new ();
      for (guint i = 0; i < header->len; i++)
        {
          const char *name = header->pdata[i], *cell = record->pdata[i];

          if (g_str_has_prefix (name, "__expected"))
            {
              if (*cell != '\0')
                json_array_add_object_element (asserts, promptfoo_assertion_from_cell (cell));
            }
          else if (g_str_equal (name, "__description"))
            json_object_set_string_member (test, "description", cell);
          else if (g_str_has_prefix (name, "__metadata:") && *cell != '\0')
            json_object_set_string_member (meta, name + strlen ("__metadata:"), cell);
          else if (!g_str_has_prefix (name, "__"))
            json_object_set_string_member (vars, name, cell);
        }
      json_object_set_object_member (test, "vars", vars);
      json_object_set_object_member (test, "metadata", meta);
      json_object_set_array_member (test, "assert", asserts);
      json_array_add_object_element (out, test);
    }
}

static gboolean
promptfoo_collect_tests (JsonArray   *out,
                         JsonNode    *tests,
                         const char  *base_dir,
                         const char  *origin,
                         guint        depth,
                         GError     **error)
{
  if (JSON_NODE_HOLDS_VALUE (tests) && json_node_get_value_type (tests) == G_TYPE_STRING &&
      g_str_has_prefix (json_node_get_string (tests), "file://") && depth < 2)
    {
      const char *ref = json_node_get_string (tests);
      g_autofree char *path = _rw_promptfoo_file_path (base_dir, ref, origin, error);
      g_autoptr(JsonNode) node = NULL;

      if (path == NULL)
        return FALSE;
      if (g_str_has_suffix (path, ".csv"))
        return promptfoo_tests_from_csv (out, path, origin, error);
      if (!_rw_promptfoo_is_data_file (path))
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                       "%s: %s: tests are read from .csv, .json, .jsonl, .yaml or .yml files", origin, ref);
          return FALSE;
        }
      if ((node = rw_promptfoo_read_data_file (path, error)) == NULL)
        return FALSE;
      if (JSON_NODE_HOLDS_OBJECT (node))
        {
          json_array_add_element (out, g_steal_pointer (&node));
          return TRUE;
        }
      return promptfoo_collect_tests (out, node, base_dir, origin, depth + 1, error);
    }
  if (JSON_NODE_HOLDS_ARRAY (tests))
    {
      JsonArray *array = json_node_get_array (tests);
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *t = json_array_get_element (array, i);
          if (JSON_NODE_HOLDS_OBJECT (t))
            json_array_add_element (out, json_node_copy (t));
          else if (depth < 2 && JSON_NODE_HOLDS_VALUE (t)
                   && json_node_get_value_type (t) == G_TYPE_STRING)
            {
              if (!promptfoo_collect_tests (out, t, base_dir, origin, depth + 1, error))
                return FALSE;
            }
          else
            {
              g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: tests[%u] is not an object",
                           origin, i);
              return FALSE;
            }
        }
      return TRUE;
    }
  g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
               "%s: “tests” must be a list or a file:// reference",
               origin);
  return FALSE;
}

/* The media type of an image file, by its name; NULL for anything else. */
static const char *
promptfoo_image_type (const char *path)
{
  static const char *types[][2] = {
    { ".jpg", "image/jpeg" }, { ".jpeg", "image/jpeg" }, { ".png", "image/png" },
    { ".gif", "image/gif" }, { ".webp", "image/webp" }, { ".bmp", "image/bmp" },
  };
  g_autofree char *lower = g_ascii_strdown (path, -1);

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    if (g_str_has_suffix (lower, types[i][0]))
      return types[i][1];
  return NULL;
}

/* A test's vars, with values written as file:// references replaced by the files' text (an
 * image's as a data URL). */
static JsonObject *
promptfoo_resolve_vars (JsonObject  *vars,
                        const char  *base_dir,
                        const char  *origin,
                        GError     **error)
{
  g_autoptr(JsonObject) out = json_object_new ();
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;

  if (vars == NULL)
    return g_steal_pointer (&out);
  json_object_iter_init (&iter, vars);
  while (json_object_iter_next (&iter, &name, &value))
    {
      if (JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_STRING &&
          g_str_has_prefix (json_node_get_string (value), "file://"))
        {
          g_autofree char *path = _rw_promptfoo_file_path (base_dir, json_node_get_string (value),
                                                           origin, error);
          g_autofree char *text = NULL;
          const char *mime;
          gsize len;

          if (path == NULL)
            return NULL;
          /* An image is sent as promptfoo sends it: a data URL of the file, base64. */
          if ((mime = promptfoo_image_type (path)) != NULL)
            {
              g_autofree char *bytes = NULL;
              g_autofree char *b64 = NULL;
              g_autoptr(GError) local = NULL;
              g_autofree char *url = NULL;

              if (!rw_file_read (path, RW_FILE_DOCUMENT_MAX, &bytes, &len, &local))
                {
                  g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: %s", origin, local->message);
                  return NULL;
                }
              b64 = g_base64_encode ((const guchar *) bytes, len);
              url = g_strdup_printf ("data:%s;base64,%s", mime, b64);
              json_object_set_string_member (out, name, url);
              continue;
            }
          if ((text = _rw_promptfoo_read_text (path, origin, &len, error)) == NULL)
            return NULL;
          /* As promptfoo reads a text file into a var: without the white space it ends with. */
          json_object_set_string_member (out, name, g_strchomp (text));
        }
      else
        json_object_set_member (out, name, json_node_copy (value));
    }
  return g_steal_pointer (&out);
}

/* A copy of @node with every string in it filled in with @vars, as promptfoo fills in the text of
 * a chat file before it reads it. New nodes all through: json_node_copy() shares a node's
 * objects, and rendering into them would fill the template in once, with the first test's
 * vars, for every test after it. */
static JsonNode *
promptfoo_render_node (JsonNode   *node,
                       JsonObject *vars)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *out = json_object_new ();
      JsonObjectIter iter;
      const char *name;
      JsonNode *value;

      json_object_iter_init (&iter, json_node_get_object (node));
      while (json_object_iter_next (&iter, &name, &value))
        json_object_set_member (out, name, promptfoo_render_node (value, vars));
      return json_node_init_object (json_node_alloc (), out);
    }
  if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *in = json_node_get_array (node);
      JsonArray *out = json_array_sized_new (json_array_get_length (in));

      for (guint i = 0; i < json_array_get_length (in); i++)
        json_array_add_element (out, promptfoo_render_node (json_array_get_element (in, i), vars));
      return json_node_init_array (json_node_alloc (), out);
    }
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    {
      g_autofree char *text = _rw_promptfoo_render (json_node_get_string (node), vars);
      return json_node_init_string (json_node_alloc (), text);
    }
  return json_node_copy (node);
}

static JsonNode *
promptfoo_render_chat (JsonNode   *messages,
                       JsonObject *vars)
{
  return promptfoo_render_node (messages, vars);
}

/* The id of the configuration's first provider, which prompt functions are told of; the models
 * an evaluation runs are named later. */
static const char *
promptfoo_first_provider (JsonNode *providers)
{
  JsonNode *first = providers;

  if (providers != NULL && JSON_NODE_HOLDS_ARRAY (providers))
    first = json_array_get_length (json_node_get_array (providers)) > 0 ?
            json_array_get_element (json_node_get_array (providers), 0) : NULL;
  if (first != NULL && JSON_NODE_HOLDS_VALUE (first) &&
      json_node_get_value_type (first) == G_TYPE_STRING)
    return json_node_get_string (first);
  if (first != NULL && JSON_NODE_HOLDS_OBJECT (first))
    return rw_json_object_get_string (json_node_get_object (first), "id", "routewise");
  return "routewise";
}

/* A test's option (test.options.NAME), else defaultTest's, as text. */
static const char *
promptfoo_test_option (JsonObject *test,
                       JsonObject *default_test,
                       const char *name)
{
  JsonObject *options = _rw_promptfoo_object_member (test, "options");
  JsonObject *fallback = default_test ? _rw_promptfoo_object_member (default_test, "options") : NULL;
  const char *value = options ? rw_json_object_get_string (options, name, NULL) : NULL;

  return value ? value : fallback ? rw_json_object_get_string (fallback, name, NULL) : NULL;
}

/**
 * rw_promptfoo_config_to_jsonl:
 * @config: a promptfoo configuration, as JSON
 * @base_dir: (nullable): the configuration's folder, for the files it names; without it, the
 *   configuration must name none
 * @origin: its name, for messages
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the suite, as JSONL
 */
char *
rw_promptfoo_config_to_jsonl (JsonObject  *config,
                              const char  *base_dir,
                              const char  *origin,
                              GError     **error)
{
  JsonNode *tests_node = json_object_get_member (config, "tests");
  JsonNode *default_test = json_object_get_member (config, "defaultTest");
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GPtrArray) prompts = NULL;
  g_autoptr(JsonArray) tests = json_array_new ();
  g_autoptr(JsonArray) expanded = NULL;
  g_autoptr(JsonNode) default_file = NULL;
  JsonObject *default_obj, *default_meta;
  g_autoptr(JsonObject) default_vars = NULL;
  const char *provider;
  gboolean sequenced = FALSE;

  g_clear_error (&promptfoo_render_error);
  /* defaultTest may be a file of its own (file://default.yaml). */
  if (default_test != NULL && JSON_NODE_HOLDS_VALUE (default_test) &&
      json_node_get_value_type (default_test) == G_TYPE_STRING &&
      g_str_has_prefix (json_node_get_string (default_test), "file://"))
    {
      g_autofree char *path = _rw_promptfoo_file_path (base_dir, json_node_get_string (default_test),
                                                       origin, error);

      if (path == NULL || (default_file = rw_promptfoo_read_data_file (path, error)) == NULL)
        return NULL;
      if (!JSON_NODE_HOLDS_OBJECT (default_file))
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: %s: defaultTest must be a mapping",
                       origin, json_node_get_string (default_test));
          return NULL;
        }
      default_test = default_file;
    }
  else if (default_test != NULL && !JSON_NODE_HOLDS_OBJECT (default_test) &&
           !JSON_NODE_HOLDS_NULL (default_test))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                   "%s: “defaultTest” must be a mapping or a file:// reference", origin);
      return NULL;
    }
  default_obj = default_test && JSON_NODE_HOLDS_OBJECT (default_test) ?
                json_node_get_object (default_test) : NULL;
  provider = promptfoo_first_provider (json_object_get_member (config, "providers"));
  default_meta = _rw_promptfoo_object_member (default_obj, "metadata");

  if ((prompts = _rw_promptfoo_collect_prompts (json_object_get_member (config, "prompts"),
                                                base_dir, origin, error)) == NULL)
    return NULL;
  if (_rw_promptfoo_object_member (default_obj, "vars") != NULL &&
      (default_vars = promptfoo_resolve_vars (_rw_promptfoo_object_member (default_obj, "vars"),
                                              base_dir, origin, error)) == NULL)
    return NULL;
  if (tests_node == NULL || !promptfoo_collect_tests (tests, tests_node, base_dir, origin, 0,
                                                      error))
    {
      if (tests_node == NULL)
        g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: the configuration has no “tests”",
                     origin);
      return NULL;
    }

  if ((expanded = _rw_promptfoo_expand_tests (tests, base_dir, origin, error)) == NULL)
    return NULL;
  /* A conversation: a prompt that reads the turns before it, or a test whose output later
   * tests read (storeOutputAs). Its turns go one after another, each filled in when sent. */
  for (guint i = 0; i < prompts->len; i++)
    {
      Prompt *prompt = prompts->pdata[i];
      const char *text = prompt->text ? prompt->text : prompt->chat_template;

      if (text != NULL && strstr (text, "_conversation") != NULL)
        sequenced = TRUE;
    }
  for (guint t = 0; t < json_array_get_length (expanded); t++)
    if (promptfoo_test_option (json_array_get_object_element (expanded, t), default_obj,
                               "storeOutputAs") != NULL)
      sequenced = TRUE;
  for (guint t = 0; t < json_array_get_length (expanded); t++)
    {
      JsonObject *test = json_array_get_object_element (expanded, t);
      JsonNode *vars_node = json_object_get_member (test, "vars");
      g_autoptr(JsonObject) vars = NULL;
      g_autoptr(JsonObject) raw_vars = NULL;
      JsonNode *meta = json_object_get_member (test, "metadata");
      const char *task = NULL;

      if (vars_node != NULL && !JSON_NODE_HOLDS_OBJECT (vars_node)
          && !JSON_NODE_HOLDS_NULL (vars_node))
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: tests[%u]: “vars” must be a mapping",
                       origin, t);
          return NULL;
        }
      vars = promptfoo_resolve_vars (vars_node && JSON_NODE_HOLDS_OBJECT (vars_node)
                                     ? json_node_get_object (vars_node) : NULL,
                                     base_dir, origin, error);
      if (vars == NULL)
        return NULL;
      /* defaultTest's vars and metadata, where the test has none of its own. */
      if (default_vars != NULL)
        {
          JsonObjectIter iter;
          const char *name;
          JsonNode *value;
          json_object_iter_init (&iter, default_vars);
          while (json_object_iter_next (&iter, &name, &value))
            if (!json_object_has_member (vars, name))
              json_object_set_member (vars, name, json_node_copy (value));
        }
      /* As promptfoo fills a prompt in: text vars without the white space they end with (a
       * YAML block's last line break), and a var that refers to the others ("tweet about
       * {{topic}}") filled in once, before the prompt is. */
      {
        g_autoptr(JsonObject) filled = json_object_new ();
        JsonObjectIter iter;
        const char *name;
        JsonNode *value;

        json_object_iter_init (&iter, vars);
        while (json_object_iter_next (&iter, &name, &value))
          if (JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_STRING)
            {
              g_autofree char *text = g_strdup (json_node_get_string (value));
              json_node_set_string (value, g_strchomp (text));
            }
        /* A conversation's turns are filled in as they are sent, with the answers before
         * them: their vars as they are. */
        if (sequenced)
          {
            raw_vars = json_object_new ();
            json_object_iter_init (&iter, vars);
            while (json_object_iter_next (&iter, &name, &value))
              json_object_set_member (raw_vars, name, json_node_copy (value));
          }
        json_object_iter_init (&iter, vars);
        while (json_object_iter_next (&iter, &name, &value))
          if (JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_STRING &&
              strstr (json_node_get_string (value), "{{") != NULL)
            {
              g_autofree char *text = _rw_promptfoo_render (json_node_get_string (value), vars);
              json_object_set_string_member (filled, name, text);
            }
        json_object_iter_init (&iter, filled);
        while (json_object_iter_next (&iter, &name, &value))
          json_object_set_member (vars, name, json_node_copy (value));
      }
      if (meta && JSON_NODE_HOLDS_OBJECT (meta))
        task = rw_json_object_get_string (json_node_get_object (meta), "task", NULL);
      if (task == NULL || *task == '\0')
        task = rw_json_object_get_string (vars, "task", NULL);
      if ((task == NULL || *task == '\0') && default_meta != NULL)
        task = rw_json_object_get_string (default_meta, "task", NULL);

      for (guint p = 0; p < prompts->len; p++)
        {
          Prompt *prompt = prompts->pdata[p];
          g_autoptr(JsonBuilder) b = json_builder_new ();
          g_autoptr(JsonNode) item = NULL;
          g_autofree char *line = NULL;
          g_autofree char *id = g_strdup_printf ("t%u-p%u", t, p);
          JsonArray *graders;
          JsonArray *skipped;
          g_autoptr(JsonNode) chat = NULL;
          g_autofree char *rendered = NULL;

          if (prompt->function != NULL)
            {
              /* A prompt function's prompt for this test's vars, as it returned it. */
              g_autoptr(JsonNode) made = _rw_promptfoo_call_prompt (prompt->function,
                                                                    prompt->function_name, vars,
                                                                    provider, origin, error);
              if (made == NULL)
                return NULL;
              if (JSON_NODE_HOLDS_ARRAY (made))
                {
                  chat = g_steal_pointer (&made);
                  rendered = rw_json_to_string (chat, FALSE);
                }
              else
                rendered = g_strdup (json_node_get_string (made));
            }
          else if (prompt->chat_template != NULL)
            {
              g_autofree char *text = _rw_promptfoo_render (prompt->chat_template, vars);
              g_autoptr(GError) local = NULL;

              chat = prompt->chat_yaml ? rw_yaml_parse (text, strlen (text), origin, &local)
                                       : rw_json_parse (text, strlen (text), &local);
              if (chat == NULL || !_rw_promptfoo_is_chat (chat))
                {
                  g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: prompts[%u] filled in for "
                               "tests[%u] is not a chat%s%s", origin, p, t,
                               local ? ": " : "", local ? local->message : "");
                  return NULL;
                }
              rendered = rw_json_to_string (chat, FALSE);
            }
          else if (prompt->messages != NULL)
            {
              chat = promptfoo_render_chat (prompt->messages, vars);
              rendered = rw_json_to_string (chat, FALSE);
            }
          else
            rendered = _rw_promptfoo_render (prompt->text, vars);
          graders = json_array_new ();
          skipped = json_array_new ();

          _rw_promptfoo_add_asserts (graders, skipped, default_test
                                 && JSON_NODE_HOLDS_OBJECT (default_test) ?
                                         json_node_get_object (default_test) : NULL,
                                 base_dir, vars, rendered);
          _rw_promptfoo_add_asserts (graders, skipped, test, base_dir, vars, rendered);
          /* promptfoo passes a test without assertions when its answer comes back. */
          if (json_array_get_length (graders) == 0 && json_array_get_length (skipped) == 0)
            {
              JsonObject *answered = json_object_new ();
              json_object_set_string_member (answered, "type", "answered");
              json_array_add_object_element (graders, answered);
            }
          json_builder_begin_object (b);
          json_builder_set_member_name (b, "id");
          json_builder_add_string_value (b, id);
          json_builder_set_member_name (b, "task");
          json_builder_add_string_value (b, task && *task ? task : "general");
          if (chat != NULL)
            {
              json_builder_set_member_name (b, "messages");
              json_builder_add_value (b, json_node_copy (chat));
            }
          else
            {
              json_builder_set_member_name (b, "prompt");
              json_builder_add_string_value (b, rendered);
            }
          json_builder_set_member_name (b, "graders");
          json_builder_add_value (b, json_node_init_array (json_node_alloc (), graders));
          if (json_array_get_length (skipped) > 0)
            {
              json_builder_set_member_name (b, "promptfoo_unsupported_asserts");
              json_builder_add_value (b, json_node_init_array (json_node_alloc (), skipped));
            }
          /* A turn of a conversation (promptfoo's _conversation, storeOutputAs): what the
           * runner needs to fill it in when the turns before it are answered. */
          if (sequenced && (prompt->text != NULL || prompt->chat_template != NULL))
            {
              JsonObject *m = meta && JSON_NODE_HOLDS_OBJECT (meta) ? json_node_get_object (meta)
                                                                    : NULL;
              const char *store_as = promptfoo_test_option (test, default_obj, "storeOutputAs");

              json_builder_set_member_name (b, "sequence");
              json_builder_begin_object (b);
              json_builder_set_member_name (b, "template");
              json_builder_add_string_value (b, prompt->text ? prompt->text : prompt->chat_template);
              json_builder_set_member_name (b, "chat");
              if (prompt->text != NULL)
                json_builder_add_null_value (b);
              else
                json_builder_add_string_value (b, prompt->chat_yaml ? "yaml" : "json");
              json_builder_set_member_name (b, "prompt");
              json_builder_add_int_value (b, p);
              json_builder_set_member_name (b, "vars");
              json_builder_add_value (b, json_node_init_object (json_node_alloc (),
                                                                raw_vars ? raw_vars : vars));
              if (m != NULL && rw_json_object_get_string (m, "conversationId", NULL) != NULL)
                {
                  json_builder_set_member_name (b, "conversation");
                  json_builder_add_string_value (b, rw_json_object_get_string (m, "conversationId",
                                                                               NULL));
                }
              if (store_as != NULL)
                {
                  json_builder_set_member_name (b, "store_output_as");
                  json_builder_add_string_value (b, store_as);
                }
              json_builder_end_object (b);
            }
          /* promptfoo's options.transform: the output every assertion of the test reads. */
          {
            const char *code = promptfoo_test_option (test, default_obj, "transform");

            if (code != NULL)
              {
                json_builder_set_member_name (b, "transform");
                _rw_promptfoo_add_transform (b, code, base_dir, vars, rendered);
              }
          }
          /* promptfoo's test threshold: the test passes when its weighted score reaches it,
           * whatever its assertions' own verdicts. */
          {
            JsonObject *d = default_test && JSON_NODE_HOLDS_OBJECT (default_test)
                            ? json_node_get_object (default_test) : NULL;
            double threshold = rw_json_object_get_double (test, "threshold",
                                                          d ? rw_json_object_get_double (d, "threshold", NAN)
                                                            : NAN);

            if (isfinite (threshold))
              {
                json_builder_set_member_name (b, "pass_threshold");
                json_builder_add_double_value (b, threshold);
              }
          }
          if (json_object_has_member (test, "description"))
            {
              json_builder_set_member_name (b, "description");
              json_builder_add_value (b, json_node_copy (json_object_get_member (test,
                                                                                 "description")));
            }
          json_builder_end_object (b);
          json_array_unref (graders);
          json_array_unref (skipped);
          item = json_builder_get_root (b);
          line = rw_json_to_string (item, FALSE);
          g_string_append_printf (out, "%s\n", line);
        }
      if (promptfoo_render_error != NULL)
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: tests[%u]: %s", origin, t,
                       promptfoo_render_error->message);
          g_clear_error (&promptfoo_render_error);
          return NULL;
        }
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/**
 * rw_promptfoo_config_file_to_jsonl:
 * @path: a promptfoo configuration, `.yaml`, `.yml` or `.json`
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the suite, as JSONL
 */
char *
rw_promptfoo_config_file_to_jsonl (const char  *path,
                                   GError     **error)
{
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *dir = g_path_get_dirname (path);
  g_autoptr(JsonNode) root = rw_promptfoo_read_data_file (path, error);

  if (root == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (root) || !rw_promptfoo_is_config (json_node_get_object (root)))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                   "%s: not a promptfoo configuration (it needs “prompts” and “tests”)", base);
      return NULL;
    }
  return rw_promptfoo_config_to_jsonl (json_node_get_object (root), dir, base, error);
}
