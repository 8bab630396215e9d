/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "rw-grader-private.h"
#include "rw-judge.h"
#include "rw-json.h"

/* Grading an answer: a grader's verdict (rw-grader-checks.c checks it), its weight and "not",
 * the judged and measured graders, the transforms of an answer, and an item's every grader.
 * The graders are documented in rw-grader-checks.c. */

void
rw_grade_free (RwGrade *grade)
{
  if (grade == NULL)
    return;
  g_free (grade->grader);
  g_free (grade->detail);
  g_free (grade->metric);
  g_free (grade);
}

/* What a grade counts for, as its grader says: a "weight" (1 unless given, never below 0) in its
 * answer's weighted score, and the named "metric" it also counts towards. */
/**
 * rw_grader_get_weight:
 * @spec: a grader
 *
 * Returns: how much its grades count in an answer's weighted score: its "weight", 1 unless it
 *   gives one that is a number of 0 or more
 */
double
rw_grader_get_weight (JsonObject *spec)
{
  double weight = rw_json_object_get_double (spec, "weight", 1);

  return isfinite (weight) && weight >= 0 ? weight : 1;
}

static RwGrade *
grade_weigh (RwGrade    *grade,
             JsonObject *spec)
{
  const char *metric = rw_json_object_get_string (spec, "metric", NULL);

  if (grade == NULL)
    return NULL;
  grade->weight = rw_grader_get_weight (spec);
  g_free (grade->metric);
  grade->metric = metric && *metric ? g_strdup (metric) : NULL;
  return grade;
}

RwGrade *
_rw_grade_new (const char *grader,
               gboolean    pass,
               const char *format,
               ...)
{
  RwGrade *grade = g_new0 (RwGrade, 1);
  va_list args;

  grade->grader = g_strdup (grader);
  grade->pass = pass;
  grade->score = pass ? 1.0 : 0.0;
  va_start (args, format);
  grade->detail = g_strdup_vprintf (format, args);
  va_end (args);
  return grade;
}

/**
 * rw_grader_grade:
 * @spec: the grader; with "not": true, its verdict is inverted
 * @answer: the model's answer
 * @reference: (nullable): the item's reference answer
 * @error: return location for an error: an unknown or incomplete grader
 *
 * Returns: (transfer full) (nullable): the grade
 */
RwGrade *
rw_grader_grade (JsonObject  *spec,
                 const char  *answer,
                 const char  *reference,
                 GError     **error)
{
  RwGrade *grade = _rw_grader_check (spec, answer, reference, error);

  if (grade != NULL && rw_json_object_get_boolean (spec, "not", FALSE))
    {
      char *detail = g_strdup_printf ("not: %s", grade->detail);
      char *name = g_strdup_printf ("not-%s", grade->grader);

      g_free (grade->detail);
      g_free (grade->grader);
      grade->detail = detail;
      grade->grader = name;
      grade->pass = !grade->pass;
      grade->score = 1.0 - grade->score;
    }
  return grade_weigh (grade, spec);
}

/**
 * rw_grader_is_judge:
 * @spec: a grader
 *
 * Returns: whether @spec is graded by a judge model, which the evaluation runner does: "judge"
 *   (a "rubric" and an optional "threshold" from 1 to 10, 7 by default), "factuality",
 *   "closedqa", "geval" and the context types (see rw_judge_grade_async()), "answer_relevance"
 *   (with an embedding model as well) and "select_best" (the answers of all models at once)
 */
gboolean
rw_grader_is_judge (JsonObject *spec)
{
  return rw_judge_is_graded_type (rw_json_object_get_string (spec, "type", NULL));
}

/**
 * rw_grader_is_deferred:
 * @spec: a grader
 *
 * Returns: whether @spec is graded by the evaluation runner with a model once the answers are
 *   in: a judge's (rw_grader_is_judge()), or "similar" ({"value", "threshold"?}: the cosine
 *   similarity of the answer's and the value's embeddings, passing at 0.75 unless the threshold
 *   says otherwise), or "moderation" ({"value"?}: passes unless a moderation model flags the
 *   answer, in one of the categories listed in the value when there is one)
 */
gboolean
rw_grader_is_deferred (JsonObject *spec)
{
  const char *type = rw_json_object_get_string (spec, "type", NULL);

  return rw_grader_is_judge (spec) || g_strcmp0 (type, "similar") == 0 ||
         g_strcmp0 (type, "moderation") == 0;
}

/**
 * rw_grader_list_judged:
 * @item: a suite item
 *
 * Returns: (transfer full) (element-type utf8 JsonObject): the item's graders the runner grades
 *   with a model (rw_grader_is_deferred()), by the name their grades are stored under: the type, and for a second grader of
 *   the same type "type 2", and so on
 */
GHashTable *
rw_grader_list_judged (RwSuiteItem *item)
{
  GHashTable *judged = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                              (GDestroyNotify) json_object_unref);
  JsonArray *array = item->graders ? json_node_get_array (item->graders) : NULL;

  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      JsonObject *spec;
      const char *type;
      char *name;

      if (!JSON_NODE_HOLDS_OBJECT (node) || !rw_grader_is_deferred (json_node_get_object (node)))
        continue;
      spec = json_node_get_object (node);
      type = rw_json_object_get_string (spec, "type", "");
      name = g_strdup (type);
      for (guint n = 2; g_hash_table_contains (judged, name); n++)
        {
          g_free (name);
          name = g_strdup_printf ("%s %u", type, n);
        }
      g_hash_table_insert (judged, name, json_object_ref (spec));
    }
  return judged;
}

/**
 * rw_grader_item_needs:
 * @item: a suite item
 *
 * Returns: what the item's grades need besides its answers
 */
RwGraderNeeds
rw_grader_item_needs (RwSuiteItem *item)
{
  g_autoptr(GHashTable) judged = rw_grader_list_judged (item);
  RwGraderNeeds needs = 0;

  if (rw_grader_get_judge_spec (item) != NULL)
    needs |= RW_GRADER_NEEDS_JUDGE;
  if (g_hash_table_contains (judged, "similar") || g_hash_table_contains (judged, "answer_relevance"))
    needs |= RW_GRADER_NEEDS_EMBEDDING;
  if (g_hash_table_contains (judged, "moderation"))
    needs |= RW_GRADER_NEEDS_MODERATION;
  if (g_hash_table_contains (judged, "select_best"))
    needs |= RW_GRADER_NEEDS_MODELS;
  return needs;
}

/**
 * rw_grader_get_judge_spec:
 * @item: a suite item
 *
 * Returns: (transfer none) (nullable): the item's judge grader, if it has one
 */
JsonObject *
rw_grader_get_judge_spec (RwSuiteItem *item)
{
  JsonArray *array = item->graders ? json_node_get_array (item->graders) : NULL;

  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *spec = json_array_get_element (array, i);
      if (JSON_NODE_HOLDS_OBJECT (spec) && rw_grader_is_judge (json_node_get_object (spec)))
        return json_node_get_object (spec);
    }
  return NULL;
}

/* What promptfoo's latency, cost and finish-reason assertions measure: not the answer's text,
 * the call that gave it. Without the call (a text graded alone), they fail and say why. */
static RwGrade *
grader_measured (JsonObject   *spec,
                 const char   *type,
                 RwChatResult *result)
{
  if (result == NULL)
    return _rw_grade_new (type, FALSE, "only an answer's call can be graded by its %s", type);
  if (g_str_equal (type, "latency"))
    {
      double max = rw_json_object_get_double (spec, "max_ms", NAN);
      if (isnan (result->latency_ms))
        return _rw_grade_new (type, FALSE, "the answer's latency is not known");
      return _rw_grade_new (type, isnan (max) || result->latency_ms <= max,
                            "%.0f ms (at most %.0f)", result->latency_ms, max);
    }
  if (g_str_equal (type, "cost"))
    {
      double max = rw_json_object_get_double (spec, "max_usd", NAN);
      if (isnan (result->cost_usd))
        return _rw_grade_new (type, FALSE, "the answer's cost is not known");
      return _rw_grade_new (type, isnan (max) || result->cost_usd <= max,
                            "$%.6f (at most $%.6f)", result->cost_usd, max);
    }
  {
    const char *want = rw_json_object_get_string (spec, "value", NULL);
    const char *got = result->finish_reason ? result->finish_reason : "";
    /* promptfoo's names are OpenAI's; Anthropic's end_turn is a stop. */
    const char *normal = g_str_equal (got, "end_turn") || g_str_equal (got, "STOP") ? "stop"
                         : g_str_equal (got, "max_tokens") || g_str_equal (got, "MAX_TOKENS")
                         ? "length" : g_str_equal (got, "tool_use") ? "tool_calls" : got;
    return _rw_grade_new (type, want != NULL && g_ascii_strcasecmp (normal, want) == 0,
                          "finished with %s", *got ? got : "no reason given");
  }
}

static gboolean
grader_is_measured (JsonObject *spec)
{
  const char *type = rw_json_object_get_string (spec, "type", "");
  return g_str_equal (type, "latency") || g_str_equal (type, "cost") ||
         g_str_equal (type, "finish_reason");
}

/* The item's own transform (promptfoo's options.transform), if it has one. */
static JsonObject *
grader_item_transform (RwSuiteItem *item)
{
  JsonObject *meta = item->metadata && JSON_NODE_HOLDS_OBJECT (item->metadata)
                     ? json_node_get_object (item->metadata) : NULL;

  return meta ? rw_json_object_get_object (meta, "transform") : NULL;
}

/**
 * rw_grader_transform_answer:
 * @item: a suite item
 * @spec: (nullable): one of its graders
 * @answer: a model's answer to it
 * @tool_calls: (nullable): the answer's tool calls, as OpenAI's message.tool_calls writes them
 * @error: where a transform that fails is reported
 *
 * The answer as @spec's grader reads it: through the item's own "transform" (promptfoo's
 * options.transform) and then the grader's (see rw_grader_transform()).
 *
 * Returns: (transfer full) (nullable): the answer, transformed or not
 */
char *
rw_grader_transform_answer (RwSuiteItem  *item,
                            JsonObject   *spec,
                            const char   *answer,
                            const char   *tool_calls,
                            GError      **error)
{
  JsonObject *steps[] = {
    grader_item_transform (item),
    spec ? rw_json_object_get_object (spec, "transform") : NULL,
  };
  g_autofree char *text = g_strdup (answer ? answer : "");

  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    {
      char *done;

      if (steps[i] == NULL)
        continue;
      if ((done = rw_grader_transform (steps[i], text, tool_calls, error)) == NULL)
        return NULL;
      g_free (text);
      text = done;
      /* What a transform makes is text: the calls were in it, if it wanted them. */
      tool_calls = NULL;
    }
  return g_steal_pointer (&text);
}

static GPtrArray *
grader_grade_item_full (RwSuiteItem  *item,
                        const char   *answer,
                        const char   *tool_calls,
                        RwChatResult *result,
                        GError      **error)
{
  g_autoptr(GPtrArray) grades = g_ptr_array_new_with_free_func ((GDestroyNotify) rw_grade_free);
  g_autofree char *item_answer = NULL;
  g_autoptr(GError) item_error = NULL;

  if (item->graders != NULL)
    {
      JsonArray *array = json_node_get_array (item->graders);
      for (guint i = 0; i < json_array_get_length (array); i++)
        {
          JsonNode *spec = json_array_get_element (array, i);
          RwGrade *grade;

          if (!JSON_NODE_HOLDS_OBJECT (spec))
            {
              g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                           "item %s: graders[%u] is not an object",
                           item->id, i);
              return NULL;
            }
          if (rw_grader_is_deferred (json_node_get_object (spec)))
            continue;   /* graded by the runner's judge model */
          if (grader_is_measured (json_node_get_object (spec)))
            {
              JsonObject *m = json_node_get_object (spec);
              grade = grade_weigh (grader_measured (m, rw_json_object_get_string (m, "type", ""),
                                                    result), m);
              if (rw_json_object_get_boolean (m, "not", FALSE))
                {
                  grade->pass = !grade->pass;
                  grade->score = 1 - grade->score;
                }
              g_ptr_array_add (grades, grade);
              continue;
            }
          if (g_strcmp0 (rw_json_object_get_string (json_node_get_object (spec), "type", NULL),
                         "tool_call") == 0)
            {
              /* The calls are graded, against the item's own tools. */
              g_autoptr(JsonObject) with_tools = json_object_new ();
              g_autoptr(JsonObject) extra = rw_chat_request_dup_extra_object (item->request);
              JsonObject *given = json_node_get_object (spec);
              g_autoptr(GList) names = json_object_get_members (given);

              for (GList *l = names; l != NULL; l = l->next)
                json_object_set_member (with_tools, l->data,
                                        json_node_copy (json_object_get_member (given, l->data)));
              if (extra != NULL && rw_json_object_get_array (extra, "tools") != NULL &&
                  !json_object_has_member (with_tools, "tools"))
                json_object_set_member (with_tools, "tools",
                                        json_node_copy (json_object_get_member (extra, "tools")));
              grade = rw_grader_grade (with_tools, tool_calls ? tool_calls : "", item->reference,
                                       error);
            }
          else
            {
              JsonObject *own = rw_json_object_get_object (json_node_get_object (spec),
                                                           "transform");
              g_autoptr(GError) failed = NULL;
              g_autofree char *seen = NULL;

              /* The item's transform once for all its graders, then the grader's own; one
               * that fails fails its assertion, as in promptfoo. */
              if (item_answer == NULL && item_error == NULL)
                item_answer = rw_grader_transform_answer (item, NULL, answer, tool_calls,
                                                          &item_error);
              if (item_answer == NULL)
                failed = g_error_copy (item_error);
              else if (own != NULL)
                seen = rw_grader_transform (own, item_answer,
                                            grader_item_transform (item) ? NULL : tool_calls,
                                            &failed);
              else
                seen = g_strdup (item_answer);
              if (seen == NULL)
                grade = grade_weigh (_rw_grade_new (rw_json_object_get_string (json_node_get_object (spec), "type", "?"),
                                                    FALSE, "%s", failed->message),
                                     json_node_get_object (spec));
              else
                grade = rw_grader_grade (json_node_get_object (spec), seen, item->reference, error);
            }
          if (grade == NULL)
            return NULL;
          g_ptr_array_add (grades, grade);
        }
    }
  else if (item->reference != NULL)
    {
      /* The two implied graders, made once and only read after. */
      static JsonObject *implied[2];
      char *end = NULL;
      gboolean numeric;

      if (g_once_init_enter (&implied[1]))
        {
          JsonObject *exact = json_object_new (), *number = json_object_new ();

          json_object_set_string_member (number, "type", "numeric");
          json_object_set_boolean_member (number, "ignore_case", TRUE);
          json_object_set_string_member (exact, "type", "exact");
          json_object_set_boolean_member (exact, "ignore_case", TRUE);
          implied[0] = number;
          g_once_init_leave (&implied[1], exact);
        }
      (void) g_ascii_strtod (item->reference, &end);
      numeric = end != item->reference && *end == '\0';
      g_ptr_array_add (grades, rw_grader_grade (implied[numeric ? 0 : 1], answer, item->reference,
                                                error));
    }
  return g_steal_pointer (&grades);
}

/**
 * rw_grader_grade_item:
 * @item: a suite item
 * @answer: a model's answer to it
 * @tool_calls: (nullable): the answer's tool calls, as OpenAI's message.tool_calls writes them
 * @error: return location for an error
 *
 * Grades @answer with the item's graders, except a judge grader (see rw_grader_is_judge()).
 * A tool_call grader grades @tool_calls, against the item's tools. An item without graders but
 * with a reference is graded numerically when the reference is a number, else by exact match
 * ignoring case.
 *
 * Returns: (transfer full) (element-type RwGrade): the grades; empty when there is nothing to
 *   grade with
 */
GPtrArray *
rw_grader_grade_item (RwSuiteItem  *item,
                      const char   *answer,
                      const char   *tool_calls,
                      GError      **error)
{
  return grader_grade_item_full (item, answer, tool_calls, NULL, error);
}

/**
 * rw_grader_grade_result:
 * @item: a suite item
 * @result: a model's answer to it, with its call: latency, cost and finish reason
 * @error: return location for an error
 *
 * rw_grader_grade_item() for a whole answer, so that latency, cost and finish_reason graders
 * ({"max_ms"}, {"max_usd"}, {"value"}) grade its call.
 *
 * Returns: (transfer full) (element-type RwGrade): the grades
 */
GPtrArray *
rw_grader_grade_result (RwSuiteItem  *item,
                        RwChatResult *result,
                        GError      **error)
{
  g_autofree char *calls = rw_chat_result_dup_tool_calls_json (result);

  return grader_grade_item_full (item, result->text->str, calls, result, error);
}
