/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "rw-json.h"
#include "rw-promptfoo-private.h"
#include "rw-yaml.h"

/*
 * promptfoo's assertions as Routewise graders (rw-grader.c and, for those a model grades, the
 * evaluation runner): each assertion type by the grader that grades it as promptfoo does, its
 * value rendered with the test's vars, with "not-", weight and metric. An assertion of a type
 * Routewise has no grader for is named, never dropped in silence.
 */

/* A list assertion's values: a list, or text with the values between commas. */
static void
promptfoo_add_values (JsonBuilder *b,
                      JsonNode    *value,
                      JsonObject  *vars)
{
  json_builder_set_member_name (b, "values");
  json_builder_begin_array (b);
  if (value && JSON_NODE_HOLDS_ARRAY (value))
    for (guint i = 0; i < json_array_get_length (json_node_get_array (value)); i++)
      {
        JsonNode *e = json_array_get_element (json_node_get_array (value), i);
        if (JSON_NODE_HOLDS_VALUE (e) && json_node_get_value_type (e) == G_TYPE_STRING)
          {
            g_autofree char *text = _rw_promptfoo_render (json_node_get_string (e), vars);
            json_builder_add_string_value (b, text);
          }
      }
  else if (value && JSON_NODE_HOLDS_VALUE (value) &&
           json_node_get_value_type (value) == G_TYPE_STRING)
    {
      g_autofree char *text = _rw_promptfoo_render (json_node_get_string (value), vars);
      g_auto(GStrv) parts = g_strsplit (text, ",", -1);

      for (guint i = 0; parts[i]; i++)
        {
          g_strstrip (parts[i]);
          if (*parts[i] != '\0')
            json_builder_add_string_value (b, parts[i]);
        }
    }
  json_builder_end_array (b);
}

/* Code of a configuration's, as the code graders and transforms run it: the code, the
 * configuration's folder, the test's vars and the prompt. */
static void
promptfoo_add_code (JsonBuilder *b,
                    const char  *code,
                    const char  *base_dir,
                    JsonObject  *vars,
                    const char  *prompt)
{
  json_builder_set_member_name (b, "value");
  json_builder_add_string_value (b, code);
  if (base_dir != NULL)
    {
      json_builder_set_member_name (b, "base_dir");
      json_builder_add_string_value (b, base_dir);
    }
  if (vars != NULL)
    {
      json_builder_set_member_name (b, "vars");
      json_builder_add_value (b, json_node_init_object (json_node_alloc (), vars));
    }
  if (prompt != NULL)
    {
      json_builder_set_member_name (b, "prompt");
      json_builder_add_string_value (b, prompt);
    }
}

/* What a judged grader of the RAG kind reads beside the answer: the user's "query" var, the
 * prompt, the vars (for a contextTransform) and the threshold. */
static void
promptfoo_add_judged_context (JsonBuilder *b,
                              JsonObject  *assertion,
                              JsonObject  *vars,
                              const char  *prompt,
                              double       threshold)
{
  const char *query = vars ? rw_json_object_get_string (vars, "query", NULL) : NULL;

  if (query != NULL)
    {
      json_builder_set_member_name (b, "query");
      json_builder_add_string_value (b, query);
    }
  if (prompt != NULL)
    {
      json_builder_set_member_name (b, "prompt");
      json_builder_add_string_value (b, prompt);
    }
  if (vars != NULL && rw_json_object_get_string (assertion, "contextTransform", NULL) != NULL)
    {
      json_builder_set_member_name (b, "vars");
      json_builder_add_value (b, json_node_init_object (json_node_alloc (), vars));
    }
  json_builder_set_member_name (b, "threshold");
  json_builder_add_double_value (b, rw_json_object_get_double (assertion, "threshold",
                                                               threshold));
}

/* One promptfoo assertion as a Routewise grader, or NULL when there is none like it. A "not-"
 * prefix inverts any of them. Text values are rendered with the test's @vars, as promptfoo
 * renders them; code gets the vars, the @prompt sent and the configuration's folder. */
static JsonNode *
promptfoo_grader_for (JsonObject *assertion,
                      const char *base_dir,
                      JsonObject *vars,
                      const char *prompt)
{
  const char *type = rw_json_object_get_string (assertion, "type", "");
  JsonNode *value = json_object_get_member (assertion, "value");
  const char *raw = value && JSON_NODE_HOLDS_VALUE (value) &&
                    json_node_get_value_type (value) == G_TYPE_STRING ? json_node_get_string (value) : NULL;
  g_autofree char *text = raw ? _rw_promptfoo_render (raw, vars) : NULL;
  gboolean negate = g_str_has_prefix (type, "not-");
  g_autoptr(JsonBuilder) b = json_builder_new ();

  if (negate)
    type += 4;
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
  else if ((g_str_equal (type, "contains-any") || g_str_equal (type, "icontains-any") ||
            g_str_equal (type, "contains-all") || g_str_equal (type, "icontains-all")) && value)
    {
      json_builder_add_string_value (b, g_str_has_suffix (type, "-any") ? "contains_any"
                                                                        : "contains_all");
      promptfoo_add_values (b, value, vars);
      json_builder_set_member_name (b, "ignore_case");
      json_builder_add_boolean_value (b, *type == 'i');
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
  else if (g_str_equal (type, "is-json") || g_str_equal (type, "contains-json"))
    {
      /* A schema as the value: an object, or YAML/JSON text of one. */
      g_autoptr(JsonNode) parsed = text ? rw_yaml_parse (text, strlen (text), "schema", NULL)
                                        : NULL;
      JsonNode *schema = value && JSON_NODE_HOLDS_OBJECT (value) ? value
                         : parsed && JSON_NODE_HOLDS_OBJECT (parsed) ? parsed : NULL;

      if (text != NULL && schema == NULL)
        return NULL;
      json_builder_add_string_value (b, g_str_equal (type, "is-json") ? "json" : "contains_json");
      if (schema != NULL)
        {
          json_builder_set_member_name (b, "schema");
          json_builder_add_value (b, json_node_copy (schema));
        }
    }
  else if (g_str_equal (type, "is-sql") && value == NULL)
    json_builder_add_string_value (b, "sql");
  else if ((g_str_equal (type, "is-valid-openai-tools-call") ||
            g_str_equal (type, "is-valid-function-call")) && value == NULL)
    /* The calls, checked against the item's tools and their parameters. */
    json_builder_add_string_value (b, "tool_call");
  else if ((g_str_equal (type, "latency") || g_str_equal (type, "cost")) &&
           json_object_has_member (assertion, "threshold"))
    {
      gboolean latency = g_str_equal (type, "latency");
      json_builder_add_string_value (b, type);
      json_builder_set_member_name (b, latency ? "max_ms" : "max_usd");
      json_builder_add_double_value (b, rw_json_object_get_double (assertion, "threshold", 0));
    }
  else if (g_str_equal (type, "finish-reason") && text)
    {
      json_builder_add_string_value (b, "finish_reason");
      json_builder_set_member_name (b, "value");
      json_builder_add_string_value (b, text);
    }
  else if ((g_str_equal (type, "min-length") || g_str_equal (type, "max-length")) && value &&
           JSON_NODE_HOLDS_VALUE (value) && (json_node_get_value_type (value) == G_TYPE_INT64 ||
                                             json_node_get_value_type (value) == G_TYPE_DOUBLE))
    {
      json_builder_add_string_value (b, "length");
      json_builder_set_member_name (b, g_str_equal (type, "min-length") ? "min" : "max");
      json_builder_add_int_value (b, (gint64) json_node_get_double (value));
    }
  else if ((g_str_equal (type, "javascript") || g_str_equal (type, "python")) && raw)
    {
      json_builder_add_string_value (b, type);
      promptfoo_add_code (b, raw, base_dir, vars, prompt);
      if (json_object_has_member (assertion, "config"))
        {
          json_builder_set_member_name (b, "config");
          json_builder_add_value (b, json_node_copy (json_object_get_member (assertion, "config")));
        }
      if (json_object_has_member (assertion, "threshold"))
        {
          json_builder_set_member_name (b, "threshold");
          json_builder_add_double_value (b, rw_json_object_get_double (assertion, "threshold", 0));
        }
    }
  else if (g_str_equal (type, "llm-rubric") && text && !negate)
    {
      /* Graded by the run's judge model, 1-10; promptfoo passes at 0.5 of its 0-1 scale. */
      json_builder_add_string_value (b, "judge");
      json_builder_set_member_name (b, "rubric");
      json_builder_add_string_value (b, text);
      if (json_object_has_member (assertion, "threshold"))
        {
          json_builder_set_member_name (b, "threshold");
          json_builder_add_double_value (b, 10 * rw_json_object_get_double (assertion, "threshold",
                                                                            0.5));
        }
    }
  else if (g_str_equal (type, "similar") && text)
    {
      /* The cosine similarity of the embeddings of the answer and the value, by the model named
       * with --embedding-model; promptfoo passes at 0.75. */
      json_builder_add_string_value (b, "similar");
      json_builder_set_member_name (b, "value");
      json_builder_add_string_value (b, text);
      json_builder_set_member_name (b, "threshold");
      json_builder_add_double_value (b, rw_json_object_get_double (assertion, "threshold", 0.75));
    }
  else if ((g_str_equal (type, "factuality") || g_str_equal (type, "model-graded-closedqa")) &&
           text)
    {
      /* Graded by the run's judge model as promptfoo grades them: one of five cases against
       * the expert's answer, or Y/N against a criterion (rw-judge-graded.c). */
      gboolean factuality = g_str_equal (type, "factuality");

      json_builder_add_string_value (b, factuality ? "factuality" : "closedqa");
      json_builder_set_member_name (b, "value");
      json_builder_add_string_value (b, text);
      if (factuality && json_object_has_member (assertion, "threshold"))
        {
          json_builder_set_member_name (b, "threshold");
          json_builder_add_double_value (b, rw_json_object_get_double (assertion, "threshold", 0));
        }
    }
  else if (g_str_equal (type, "g-eval") &&
           (text || (value && JSON_NODE_HOLDS_ARRAY (value) &&
                     json_array_get_length (json_node_get_array (value)) > 0)))
    {
      /* G-Eval by the judge: steps for each criterion, then a score from 0 to 10 by them. */
      json_builder_add_string_value (b, "geval");
      json_builder_set_member_name (b, "value");
      if (text)
        json_builder_add_string_value (b, text);
      else
        {
          JsonArray *list = json_node_get_array (value);

          json_builder_begin_array (b);
          for (guint i = 0; i < json_array_get_length (list); i++)
            {
              JsonNode *c = json_array_get_element (list, i);
              g_autofree char *criterion = NULL;

              if (!JSON_NODE_HOLDS_VALUE (c) || json_node_get_value_type (c) != G_TYPE_STRING)
                return NULL;
              criterion = _rw_promptfoo_render (json_node_get_string (c), vars);
              json_builder_add_string_value (b, criterion);
            }
          json_builder_end_array (b);
        }
      promptfoo_add_judged_context (b, assertion, vars, prompt, 0.7);
    }
  else if (g_str_equal (type, "answer-relevance") || g_str_equal (type, "context-relevance") ||
           g_str_equal (type, "context-faithfulness") ||
           (g_str_equal (type, "context-recall") && text))
    {
      /* The RAG measures, by the judge (rw-judge-context.c); answer relevance by the judge's
       * questions and their embeddings. The context is the "context" var, or what the
       * contextTransform makes of the answer; context-recall falls back to the prompt. */
      const char *context = vars ? rw_json_object_get_string (vars, "context", NULL) : NULL;
      gboolean answer = g_str_equal (type, "answer-relevance");
      g_autofree char *name = g_strdelimit (g_strdup (type), "-", '_');

      json_builder_add_string_value (b, name);
      if (text && !answer)
        {
          json_builder_set_member_name (b, "value");
          json_builder_add_string_value (b, text);
        }
      if (g_str_equal (type, "context-recall") && context == NULL)
        context = prompt;
      if (context != NULL && !answer)
        {
          json_builder_set_member_name (b, "context");
          json_builder_add_string_value (b, context);
        }
      if (rw_json_object_get_string (assertion, "contextTransform", NULL) != NULL && !answer)
        {
          json_builder_set_member_name (b, "context_transform");
          json_builder_add_string_value (b, rw_json_object_get_string (assertion,
                                                                       "contextTransform", NULL));
        }
      promptfoo_add_judged_context (b, assertion, vars, prompt, answer ? 0.7 : 0);
    }
  else if (g_str_equal (type, "moderation") &&
           (value == NULL || JSON_NODE_HOLDS_ARRAY (value) || JSON_NODE_HOLDS_NULL (value)))
    {
      /* By the moderation model named with --moderation-model (OpenAI's /moderations): passes
       * unless the answer is flagged, in one of the value's categories when it lists some. */
      json_builder_add_string_value (b, "moderation");
      if (value != NULL && JSON_NODE_HOLDS_ARRAY (value))
        {
          JsonArray *list = json_node_get_array (value);

          json_builder_set_member_name (b, "value");
          json_builder_begin_array (b);
          for (guint i = 0; i < json_array_get_length (list); i++)
            {
              JsonNode *c = json_array_get_element (list, i);

              if (!JSON_NODE_HOLDS_VALUE (c) || json_node_get_value_type (c) != G_TYPE_STRING)
                return NULL;
              json_builder_add_string_value (b, json_node_get_string (c));
            }
          json_builder_end_array (b);
        }
    }
  else if (g_str_equal (type, "select-best") && text)
    {
      /* The judge picks the best of every model's answer to the test. */
      json_builder_add_string_value (b, "select_best");
      json_builder_set_member_name (b, "value");
      json_builder_add_string_value (b, text);
    }
  else
    return NULL;
  if (negate)
    {
      json_builder_set_member_name (b, "not");
      json_builder_add_boolean_value (b, TRUE);
    }
  /* promptfoo's transform of the output, for this assertion alone. */
  if (rw_json_object_get_string (assertion, "transform", NULL) != NULL)
    {
      json_builder_set_member_name (b, "transform");
      _rw_promptfoo_add_transform (b, rw_json_object_get_string (assertion, "transform", NULL),
                                   base_dir, vars, prompt);
    }
  /* promptfoo's weight (in the test's weighted score) and metric (a named score). */
  if (json_object_has_member (assertion, "weight"))
    {
      json_builder_set_member_name (b, "weight");
      json_builder_add_double_value (b, rw_json_object_get_double (assertion, "weight", 1));
    }
  if (rw_json_object_get_string (assertion, "metric", NULL) != NULL)
    {
      json_builder_set_member_name (b, "metric");
      json_builder_add_string_value (b, rw_json_object_get_string (assertion, "metric", NULL));
    }
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* Each of @test's assertions as a grader in @graders, or its type in @skipped when Routewise has
 * no grader like it. */
void
_rw_promptfoo_add_asserts (JsonArray  *graders,
                           JsonArray  *skipped,
                           JsonObject *test,
                           const char *base_dir,
                           JsonObject *vars,
                           const char *prompt)
{
  JsonNode *asserts = test ? json_object_get_member (test, "assert") : NULL;

  for (guint i = 0; asserts && JSON_NODE_HOLDS_ARRAY (asserts) &&
                    i < json_array_get_length (json_node_get_array (asserts)); i++)
    {
      JsonNode *a = json_array_get_element (json_node_get_array (asserts), i);
      JsonNode *g = JSON_NODE_HOLDS_OBJECT (a) ? promptfoo_grader_for (json_node_get_object (a),
                                                                       base_dir, vars, prompt)
                                               : NULL;

      if (g != NULL)
        json_array_add_element (graders, g);
      else if (JSON_NODE_HOLDS_OBJECT (a))
        json_array_add_string_element (skipped,
                                       rw_json_object_get_string (json_node_get_object (a),
                                                                                   "type", "?"));
    }
}

/**
 * _rw_promptfoo_add_transform:
 *
 * A transform of promptfoo's (inline code, or a file:// function) as the graders run it (see
 * rw_grader_transform()): its code, the test's vars, the prompt and the configuration's folder.
 */
void
_rw_promptfoo_add_transform (JsonBuilder *b,
                             const char  *code,
                             const char  *base_dir,
                             JsonObject  *vars,
                             const char  *prompt)
{
  json_builder_begin_object (b);
  promptfoo_add_code (b, code, base_dir, vars, prompt);
  json_builder_end_object (b);
}
