/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef RW_EVAL_COMPILATION
# define RW_EVAL_COMPILATION 1
#endif
#include "config.h"

#include <math.h>
#include <string.h>

#include "rw-promptfoo.h"

/*
 * promptfoo, imported. A configuration's prompts × tests become suite items: each prompt
 * template rendered with the test's vars ({{ name }}), its assertions (and defaultTest's) as
 * graders where Routewise has the same grader: equals, contains, icontains, regex, starts-with,
 * is-json. A result file (`promptfoo eval -o results.json`) becomes a stored evaluation run:
 * every answer with its tokens, cost and latency, every assertion's outcome as a grade, and each
 * pair of providers' answers to the same test and prompt as a pairwise outcome.
 */

static JsonObject *
object_member (JsonObject *obj,
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

gboolean
rw_promptfoo_is_results (JsonObject *root)
{
  JsonNode *results = json_object_get_member (root, "results");
  return results != NULL && JSON_NODE_HOLDS_OBJECT (results) &&
         json_object_has_member (json_node_get_object (results), "results");
}

static char *
render (const char *template,
        JsonObject *vars)
{
  static gsize once;
  static GRegex *re;
  GString *s = g_string_new (NULL);
  g_autoptr(GMatchInfo) match = NULL;
  gint last = 0;

  if (g_once_init_enter (&once))
    {
      re = g_regex_new ("\\{\\{\\s*([A-Za-z_][A-Za-z0-9_]*)\\s*\\}\\}", G_REGEX_OPTIMIZE, 0, NULL);
      g_once_init_leave (&once, 1);
    }
  g_regex_match (re, template, 0, &match);
  while (g_match_info_matches (match))
    {
      gint start, end;
      g_autofree char *name = g_match_info_fetch (match, 1);
      JsonNode *value = vars ? json_object_get_member (vars, name) : NULL;

      g_match_info_fetch_pos (match, 0, &start, &end);
      g_string_append_len (s, template + last, start - last);
      if (value != NULL && JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_STRING)
        g_string_append (s, json_node_get_string (value));
      else if (value != NULL)
        {
          g_autofree char *text = json_to_string (value, FALSE);
          g_string_append (s, text);
        }
      last = end;
      g_match_info_next (match, NULL);
    }
  g_string_append (s, template + last);
  return g_string_free (s, FALSE);
}

/* One promptfoo assertion as a Routewise grader, or NULL when there is none like it. */
static JsonNode *
grader_for (JsonObject *assertion)
{
  const char *type = json_object_get_string_member_with_default (assertion, "type", "");
  JsonNode *value = json_object_get_member (assertion, "value");
  const char *text = value && JSON_NODE_HOLDS_VALUE (value) &&
                     json_node_get_value_type (value) == G_TYPE_STRING ? json_node_get_string (value) : NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  if (g_str_equal (type, "equals") && text)
    {
      json_builder_add_string_value (b, "exact");
      json_builder_set_member_name (b, "value");
      json_builder_add_string_value (b, text);
    }
  else if ((g_str_equal (type, "contains") || g_str_equal (type, "icontains")) && text)
    {
      json_builder_add_string_value (b, "contains");
      json_builder_set_member_name (b, "value");
      json_builder_add_string_value (b, text);
      json_builder_set_member_name (b, "ignore_case");
      json_builder_add_boolean_value (b, g_str_equal (type, "icontains"));
    }
  else if (g_str_equal (type, "regex") && text)
    {
      json_builder_add_string_value (b, "regex");
      json_builder_set_member_name (b, "pattern");
      json_builder_add_string_value (b, text);
    }
  else if (g_str_equal (type, "starts-with") && text)
    {
      g_autofree char *escaped = g_regex_escape_string (text, -1);
      g_autofree char *pattern = g_strconcat ("^", escaped, NULL);
      json_builder_add_string_value (b, "regex");
      json_builder_set_member_name (b, "pattern");
      json_builder_add_string_value (b, pattern);
    }
  else if (g_str_equal (type, "is-json"))
    json_builder_add_string_value (b, "json");
  else
    return NULL;
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static void
add_asserts (JsonArray  *graders,
             JsonArray  *skipped,
             JsonObject *test)
{
  JsonNode *asserts = test ? json_object_get_member (test, "assert") : NULL;

  for (guint i = 0; asserts && JSON_NODE_HOLDS_ARRAY (asserts) &&
                    i < json_array_get_length (json_node_get_array (asserts)); i++)
    {
      JsonNode *a = json_array_get_element (json_node_get_array (asserts), i);
      JsonNode *g = JSON_NODE_HOLDS_OBJECT (a) ? grader_for (json_node_get_object (a)) : NULL;

      if (g != NULL)
        json_array_add_element (graders, g);
      else if (JSON_NODE_HOLDS_OBJECT (a))
        json_array_add_string_element (skipped,
                                       json_object_get_string_member_with_default (json_node_get_object (a),
                                                                                   "type", "?"));
    }
}

/**
 * rw_promptfoo_config_to_jsonl:
 * @config: a promptfoo configuration, as JSON
 * @origin: its name, for messages
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the suite, as JSONL
 */
char *
rw_promptfoo_config_to_jsonl (JsonObject  *config,
                              const char  *origin,
                              GError     **error)
{
  JsonNode *prompts = json_object_get_member (config, "prompts");
  JsonNode *tests = json_object_get_member (config, "tests");
  JsonNode *default_test = json_object_get_member (config, "defaultTest");
  g_autoptr(GString) out = g_string_new (NULL);

  if (tests != NULL && JSON_NODE_HOLDS_VALUE (tests))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                   "%s: tests from a file (%s) are not read; list them in the configuration",
                   origin, json_node_get_string (tests));
      return NULL;
    }
  if (prompts == NULL || !JSON_NODE_HOLDS_ARRAY (prompts) || tests == NULL || !JSON_NODE_HOLDS_ARRAY (tests))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: “prompts” and “tests” must be lists", origin);
      return NULL;
    }

  for (guint t = 0; t < json_array_get_length (json_node_get_array (tests)); t++)
    {
      JsonNode *test_node = json_array_get_element (json_node_get_array (tests), t);
      JsonObject *test = JSON_NODE_HOLDS_OBJECT (test_node) ? json_node_get_object (test_node) : NULL;
      JsonNode *vars_node = test ? json_object_get_member (test, "vars") : NULL;
      JsonObject *vars = vars_node && JSON_NODE_HOLDS_OBJECT (vars_node) ? json_node_get_object (vars_node) : NULL;
      JsonNode *meta = test ? json_object_get_member (test, "metadata") : NULL;
      const char *task = NULL;

      if (test == NULL)
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: tests[%u] is not an object", origin, t);
          return NULL;
        }
      if (meta && JSON_NODE_HOLDS_OBJECT (meta))
        task = json_object_get_string_member_with_default (json_node_get_object (meta), "task", NULL);
      if (task == NULL && vars != NULL)
        task = json_object_get_string_member_with_default (vars, "task", NULL);

      for (guint p = 0; p < json_array_get_length (json_node_get_array (prompts)); p++)
        {
          JsonNode *pn = json_array_get_element (json_node_get_array (prompts), p);
          const char *template = NULL;
          g_autoptr(JsonBuilder) b = json_builder_new ();
          g_autoptr(JsonNode) item = NULL;
          g_autofree char *line = NULL;
          g_autofree char *text = NULL;
          g_autofree char *id = g_strdup_printf ("t%u-p%u", t, p);
          JsonArray *graders = json_array_new ();
          JsonArray *skipped = json_array_new ();

          if (JSON_NODE_HOLDS_VALUE (pn) && json_node_get_value_type (pn) == G_TYPE_STRING)
            template = json_node_get_string (pn);
          else if (JSON_NODE_HOLDS_OBJECT (pn))
            template = json_object_get_string_member_with_default (json_node_get_object (pn), "raw", NULL);
          if (template == NULL || g_str_has_prefix (template, "file://"))
            {
              json_array_unref (graders);
              json_array_unref (skipped);
              g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                           "%s: prompts[%u] must be the prompt's text (files are not read)", origin, p);
              return NULL;
            }
          text = render (template, vars);
          add_asserts (graders, skipped, default_test && JSON_NODE_HOLDS_OBJECT (default_test) ?
                                         json_node_get_object (default_test) : NULL);
          add_asserts (graders, skipped, test);

          json_builder_begin_object (b);
          json_builder_set_member_name (b, "id");
          json_builder_add_string_value (b, id);
          json_builder_set_member_name (b, "task");
          json_builder_add_string_value (b, task ? task : "general");
          json_builder_set_member_name (b, "prompt");
          json_builder_add_string_value (b, text);
          json_builder_set_member_name (b, "graders");
          json_builder_add_value (b, json_node_init_array (json_node_alloc (), graders));
          if (json_array_get_length (skipped) > 0)
            {
              json_builder_set_member_name (b, "promptfoo_unsupported_asserts");
              json_builder_add_value (b, json_node_init_array (json_node_alloc (), skipped));
            }
          if (json_object_has_member (test, "description"))
            {
              json_builder_set_member_name (b, "description");
              json_builder_add_value (b, json_node_copy (json_object_get_member (test, "description")));
            }
          json_builder_end_object (b);
          json_array_unref (graders);
          json_array_unref (skipped);
          item = json_builder_get_root (b);
          line = json_to_string (item, FALSE);
          g_string_append_printf (out, "%s\n", line);
        }
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/**
 * rw_promptfoo_import_results:
 * @store: the database
 * @root: a promptfoo result file, as JSON
 * @origin: its name
 * @n_answers: (out) (optional): how many answers were imported
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the new evaluation run's id
 */
char *
rw_promptfoo_import_results (RwStore     *store,
                             JsonObject  *root,
                             const char  *origin,
                             guint       *n_answers,
                             GError     **error)
{
  JsonObject *results = object_member (root, "results");
  JsonArray *list;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) params = NULL;
  g_autoptr(GHashTable) groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                        (GDestroyNotify) g_ptr_array_unref);
  g_autoptr(GList) keys = NULL;
  char *run_id;
  guint n = 0;

  if (results == NULL || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (results, "results")))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: not a promptfoo result file", origin);
      return NULL;
    }
  list = json_object_get_array_member (results, "results");

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "source");
  json_builder_add_string_value (b, "promptfoo");
  json_builder_set_member_name (b, "file");
  json_builder_add_string_value (b, origin);
  json_builder_set_member_name (b, "eval_id");
  json_builder_add_string_value (b, json_object_get_string_member_with_default (root, "evalId", ""));
  json_builder_end_object (b);
  params = json_builder_get_root (b);
  run_id = rw_store_begin_run (store, "eval", params);

  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonNode *element = json_array_get_element (list, i);
      JsonObject *r = JSON_NODE_HOLDS_OBJECT (element) ? json_node_get_object (element) : NULL;
      JsonObject *prompt = object_member (r, "prompt");
      JsonObject *provider = object_member (r, "provider");
      JsonObject *response = object_member (r, "response");
      JsonObject *grading = object_member (r, "gradingResult");
      JsonObject *test = object_member (r, "testCase");
      JsonObject *meta = object_member (test, "metadata");
      JsonObject *usage = object_member (response, "tokenUsage");
      const char *raw = prompt ? json_object_get_string_member_with_default (prompt, "raw", NULL) : NULL;
      const char *pid = provider ? json_object_get_string_member_with_default (provider, "id", NULL) : NULL;
      const char *output = response ? json_object_get_string_member_with_default (response, "output", NULL) : NULL;
      const char *task = meta ? json_object_get_string_member_with_default (meta, "task", NULL) : NULL;
      g_autofree char *model = NULL;
      g_autofree char *item_id = NULL;
      g_autofree char *prompt_id = NULL;
      g_autofree char *response_id = NULL;
      g_autoptr(RwChatRequest) request = NULL;
      g_autoptr(RwChatResult) result = NULL;
      GPtrArray *group;
      JsonNode *components;

      if (raw == NULL || pid == NULL)
        continue;
      model = g_strdup_printf ("promptfoo/%s", pid);
      item_id = g_strdup_printf ("t%" G_GINT64_FORMAT "-p%" G_GINT64_FORMAT,
                                 json_object_get_int_member_with_default (r, "testIdx", i),
                                 json_object_get_int_member_with_default (r, "promptIdx", 0));
      request = rw_chat_request_new_for_prompt (raw);
      rw_chat_request_set_task (request, task ? task : "general");
      prompt_id = rw_store_record_prompt (store, request);

      result = rw_chat_result_new (model);
      if (output != NULL)
        g_string_assign (result->text, output);
      else
        result->error = g_error_new (RW_ERROR, RW_ERROR_UNKNOWN, "%s",
                                     json_object_get_string_member_with_default (r, "error", "no output"));
      if (usage != NULL)
        {
          result->tokens_in = json_object_get_int_member_with_default (usage, "prompt", -1);
          result->tokens_out = json_object_get_int_member_with_default (usage, "completion", -1);
        }
      result->cost_usd = json_object_get_double_member_with_default (r, "cost", NAN);
      result->latency_ms = json_object_get_double_member_with_default (r, "latencyMs", 0);
      response_id = rw_store_record_eval_response (store, run_id, prompt_id, result, 1, NULL, item_id, 0, FALSE);

      components = grading ? json_object_get_member (grading, "componentResults") : NULL;
      if (components != NULL && JSON_NODE_HOLDS_ARRAY (components) &&
          json_array_get_length (json_node_get_array (components)) > 0)
        for (guint c = 0; c < json_array_get_length (json_node_get_array (components)); c++)
          {
            JsonNode *crn = json_array_get_element (json_node_get_array (components), c);
            JsonObject *cr = JSON_NODE_HOLDS_OBJECT (crn) ? json_node_get_object (crn) : NULL;

            if (cr == NULL)
              continue;
            JsonObject *assertion = object_member (cr, "assertion");
            rw_store_record_grade (store, response_id,
                                   assertion ? json_object_get_string_member_with_default (assertion, "type", "promptfoo")
                                             : "promptfoo",
                                   json_object_get_double_member_with_default (cr, "score", 0),
                                   json_object_get_boolean_member_with_default (cr, "pass", FALSE),
                                   json_object_get_string_member_with_default (cr, "reason", NULL), "import");
          }
      else if (grading != NULL)
        rw_store_record_grade (store, response_id, "promptfoo",
                               json_object_get_double_member_with_default (grading, "score", 0),
                               json_object_get_boolean_member_with_default (grading, "pass", FALSE),
                               json_object_get_string_member_with_default (grading, "reason", NULL), "import");

      if (output != NULL)
        {
          group = g_hash_table_lookup (groups, item_id);
          if (group == NULL)
            {
              group = g_ptr_array_new_with_free_func (g_free);
              g_hash_table_insert (groups, g_strdup (item_id), group);
              g_ptr_array_add (group, g_strdup (prompt_id));
              g_ptr_array_add (group, g_strdup (task ? task : "general"));
            }
          g_ptr_array_add (group, g_strdup (response_id));
          g_ptr_array_add (group, g_strdup_printf ("%.17g", json_object_get_double_member_with_default (r, "score", 0)));
        }
      n++;
    }

  /* Each pair of providers' answers to the same test and prompt: the higher score wins. */
  keys = g_list_sort (g_hash_table_get_keys (groups), (GCompareFunc) g_strcmp0);
  for (GList *l = keys; l; l = l->next)
    {
      GPtrArray *g = g_hash_table_lookup (groups, l->data);
      for (guint a = 2; a < g->len; a += 2)
        for (guint c = a + 2; c < g->len; c += 2)
          {
            const char *ids[] = { g->pdata[a], g->pdata[c], NULL };
            double sa = g_ascii_strtod (g->pdata[a + 1], NULL), sb = g_ascii_strtod (g->pdata[c + 1], NULL);
            g_free (rw_store_record_vote (store, g->pdata[0], run_id, g->pdata[1],
                                          sa > sb ? RW_VOTE_A : sa < sb ? RW_VOTE_B : RW_VOTE_TIE,
                                          ids, NULL, "import"));
          }
    }
  rw_store_set_run_status (store, run_id, "done");
  if (!rw_store_flush (store, error))
    {
      g_free (run_id);
      return NULL;
    }
  if (n_answers != NULL)
    *n_answers = n;
  return run_id;
}
