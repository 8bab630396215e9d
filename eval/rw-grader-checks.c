/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>
#include <sqlite3.h>

#include "rw-grader-private.h"
#include "rw-json.h"

/*
 * Deterministic graders. A grader is a JSON object with a "type":
 *   exact     {"value"?, "ignore_case"?}         the whole answer, trimmed
 *   contains  {"value", "ignore_case"?}
 *   regex     {"pattern"}                        Perl-compatible, anywhere in the answer
 *   numeric   {"value"?, "tolerance"?, "relative"?}  the answer's final number, as GSM8K
 *   choice    {"value"?}                         a multiple-choice letter A-J
 *   json      {"schema"?}                        valid JSON, and a subset of JSON Schema
 *   tool_call {"name"?, "arguments"?}            the answer's tool calls (see grader_tool_call)
 *   length    {"min"?, "max"?, "unit"?: "chars" | "words"}
 *   judge     {"rubric", "threshold"?}           a judge model's 1-10 rating; by the runner
 *   answered  {}                                 any answer that came back (a promptfoo test
 *                                                without assertions)
 *   contains_any {"values", "ignore_case"?}      any of the values
 *   contains_all {"values", "ignore_case"?}      every one of the values
 *   contains_json {"schema"?}                    a JSON object or list somewhere in the answer
 *                                                (matching the schema, if one is given)
 *   sql       {}                                 SQL that SQLite can parse (a missing table is
 *                                                no syntax error)
 *   latency {"max_ms"}, cost {"max_usd"}, finish_reason {"value"}
 *                                                the call that gave the answer, not its text
 *                                                (rw_grader_grade_result())
 *   javascript, python {"value", ...}            code, run as promptfoo runs it (rw-grader-script.c)
 * Any of them with "not": true passes where it would fail.
 * "value" defaults to the item's reference.
 */

static GRegex *
grader_number_regex (void)
{
  static gsize once;
  static GRegex *re;

  if (g_once_init_enter (&once))
    {
      re = g_regex_new ("-?\\$?(?:\\d{1,3}(?:,\\d{3})+|\\d+)(?:\\.\\d+)?", G_REGEX_OPTIMIZE, 0,
                        NULL);
      g_once_init_leave (&once, 1);
    }
  return re;
}

static gboolean
grader_parse_number (const char *token,
                     double     *value)
{
  g_autoptr(GString) s = g_string_new (NULL);
  char *end;

  for (const char *p = token; *p; p++)
    if (*p != ',' && *p != '$')
      g_string_append_c (s, *p);
  *value = g_ascii_strtod (s->str, &end);
  return end != s->str && *end == '\0';
}

/**
 * rw_grader_final_number:
 * @text: an answer
 * @value: (out): the number
 *
 * Finds the answer's final number as GSM8K answers give it: the first number after "####"
 * when there is one, else the last number in the text. Thousands separators and dollar signs
 * are ignored.
 *
 * Returns: whether there was a number
 */
gboolean
rw_grader_final_number (const char *text,
                        double     *value)
{
  g_autoptr(GMatchInfo) match = NULL;
  const char *marker = strstr (text, "####");
  g_autofree char *last = NULL;

  if (marker != NULL)
    {
      if (g_regex_match (grader_number_regex (), marker + 4, 0, &match))
        {
          g_autofree char *first = g_match_info_fetch (match, 0);
          return grader_parse_number (first, value);
        }
      g_clear_pointer (&match, g_match_info_free);
    }
  g_regex_match (grader_number_regex (), text, 0, &match);
  while (g_match_info_matches (match))
    {
      g_free (last);
      last = g_match_info_fetch (match, 0);
      g_match_info_next (match, NULL);
    }
  return last != NULL && grader_parse_number (last, value);
}

/**
 * rw_grader_choice_letter:
 * @text: an answer to a multiple-choice question
 *
 * Returns: the letter chosen (A to J, upper case), or 0 when none can be told
 */
char
rw_grader_choice_letter (const char *text)
{
  static const char * const patterns[] = {
    "(?i)answer\\s*(?:is|:)?\\s*(?:option\\s*)?\\(?([A-J])\\)?(?![A-Za-z])",
    "^\\s*\\(?([A-J])(?:[).:]|$)",
    "\\(([A-J])\\)",
    "(?<![A-Za-z])([A-J])(?:[).:]|$)",
  };

  for (guint i = 0; i < G_N_ELEMENTS (patterns); i++)
    {
      g_autoptr(GRegex) re = g_regex_new (patterns[i], G_REGEX_MULTILINE, 0, NULL);
      g_autoptr(GMatchInfo) match = NULL;

      if (re != NULL && g_regex_match (re, text, 0, &match))
        {
          g_autofree char *letter = g_match_info_fetch (match, 1);
          return g_ascii_toupper (letter[0]);
        }
    }
  return 0;
}

/* Models often wrap JSON in a Markdown code fence; grade what is inside. */
static char *
grader_strip_fence (const char *answer)
{
  const char *start = strstr (answer, "```");
  const char *body, *end;

  if (start == NULL)
    return g_strstrip (g_strdup (answer));
  body = strchr (start + 3, '\n');
  if (body == NULL)
    return g_strstrip (g_strdup (answer));
  end = strstr (body + 1, "```");
  return g_strstrip (end ? g_strndup (body + 1, end - body - 1) : g_strdup (body + 1));
}

static const char *
grader_value_or_reference (JsonObject *spec,
                           const char *reference)
{
  JsonNode *v = json_object_get_member (spec, "value");

  if (v != NULL && JSON_NODE_HOLDS_VALUE (v) && json_node_get_value_type (v) == G_TYPE_STRING)
    return json_node_get_string (v);
  return reference;
}

/* exact and contains: the answer is, or holds, the value or the reference. */
static RwGrade *
grader_text (JsonObject  *spec,
             const char  *type,
             const char  *answer,
             const char  *reference,
             gboolean     ignore_case,
             GError     **error)
{
  const char *want = grader_value_or_reference (spec, reference);
  g_autofree char *a = NULL, *w = NULL;
  gboolean pass;

  if (want == NULL)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "the %s grader needs a value or a reference",
                   type);
      return NULL;
    }
  a = ignore_case ? g_utf8_casefold (answer, -1) : g_strdup (answer);
  w = ignore_case ? g_utf8_casefold (want, -1) : g_strdup (want);
  g_strstrip (a);
  g_strstrip (w);
  pass = g_str_equal (type, "exact") ? g_str_equal (a, w) : strstr (a, w) != NULL;
  return _rw_grade_new (type, pass, pass ? "matches “%s”" : "does not match “%s”", want);
}

/* regex: the answer matches the pattern. */
static RwGrade *
grader_regex (JsonObject  *spec,
              const char  *type,
              const char  *answer,
              const char  *reference,
              gboolean     ignore_case,
              GError     **error)
{
  const char *pattern = rw_json_object_get_string (spec, "pattern", NULL);
  g_autoptr(GRegex) re = NULL;
  g_autoptr(GError) local = NULL;

  if (pattern == NULL || (re = g_regex_new (pattern, ignore_case ? G_REGEX_CASELESS : 0, 0,
                                            &local)) == NULL)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "the regex grader needs a valid “pattern”%s%s",
                   local ? ": " : "", local ? local->message : "");
      return NULL;
    }
  return _rw_grade_new (type, g_regex_match (re, answer, 0, NULL), "/%s/", pattern);
}

/* numeric: the answer's final number is the one expected, within a tolerance. */
static RwGrade *
grader_numeric (JsonObject  *spec,
                const char  *type,
                const char  *answer,
                const char  *reference,
                gboolean     ignore_case,
                GError     **error)
{
  JsonNode *v = json_object_get_member (spec, "value");
  double want, got, tolerance, relative, diff;

  if (v != NULL && JSON_NODE_HOLDS_VALUE (v) && json_node_get_value_type (v) != G_TYPE_STRING)
    want = json_node_get_double (v);
  else if (!rw_grader_final_number (grader_value_or_reference (spec, reference) ?: "", &want))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "the numeric grader needs a number to expect");
      return NULL;
    }
  tolerance = rw_json_object_get_double (spec, "tolerance", 1e-6);
  relative = rw_json_object_get_double (spec, "relative", 0);
  if (!rw_grader_final_number (answer, &got))
    return _rw_grade_new (type, FALSE, "no number in the answer (expected %g)", want);
  diff = fabs (got - want);
  return _rw_grade_new (type, diff <= tolerance || (relative > 0
                                                       && diff <= relative * fabs (want)),
                    "final number %g, expected %g", got, want);
}

/* choice: the answer chose the letter expected. */
static RwGrade *
grader_choice (JsonObject  *spec,
               const char  *type,
               const char  *answer,
               const char  *reference,
               gboolean     ignore_case,
               GError     **error)
{
  const char *want = grader_value_or_reference (spec, reference);
  char got = rw_grader_choice_letter (answer);
  char expected = want ? g_ascii_toupper (want[0]) : 0;

  if (expected < 'A' || expected > 'J')
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                   "the choice grader needs a letter A-J to expect");
      return NULL;
    }
  if (got == 0)
    return _rw_grade_new (type, FALSE, "no choice in the answer (expected %c)", expected);
  return _rw_grade_new (type, got == expected, "chose %c, expected %c", got, expected);
}

/* json: the answer is valid JSON, matching the schema when there is one. */
static RwGrade *
grader_json (JsonObject  *spec,
             const char  *type,
             const char  *answer,
             const char  *reference,
             gboolean     ignore_case,
             GError     **error)
{
  g_autofree char *body = grader_strip_fence (answer);
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) local = NULL;
  JsonNode *schema = json_object_get_member (spec, "schema");
  g_autoptr(GString) why = g_string_new (NULL);

  if ((root = rw_json_parse (body, strlen (body), &local)) == NULL)
    return _rw_grade_new (type, FALSE, "not valid JSON: %s", local->message);
  if (schema != NULL && JSON_NODE_HOLDS_OBJECT (schema) &&
      !rw_grader_check_schema (root, json_node_get_object (schema), why))
    return _rw_grade_new (type, FALSE, "does not match the schema: %s", why->str);
  return _rw_grade_new (type, TRUE, schema ? "valid JSON matching the schema" : "valid JSON");
}

/* The end of the JSON value that starts at @p ({ or [), by its brackets outside strings, or
 * NULL when it does not end. */
static const char *
grader_json_end (const char *p)
{
  guint depth = 0;
  gboolean in_string = FALSE;

  for (; *p; p++)
    {
      if (in_string)
        {
          if (*p == '\\' && p[1] != '\0')
            p++;
          else if (*p == '"')
            in_string = FALSE;
        }
      else if (*p == '"')
        in_string = TRUE;
      else if (*p == '{' || *p == '[')
        depth++;
      else if ((*p == '}' || *p == ']') && --depth == 0)
        return p + 1;
    }
  return NULL;
}

/* promptfoo's contains-json: the first JSON object or list in the answer that parses (and
 * matches the schema, when there is one), among the first 16 places one could start: an answer
 * of brackets cannot make it parse without end. */
static RwGrade *
grader_contains_json (JsonObject  *spec,
                      const char  *type,
                      const char  *answer,
                      const char  *reference,
                      gboolean     ignore_case,
                      GError     **error)
{
  JsonNode *schema = json_object_get_member (spec, "schema");
  g_autoptr(GString) why = g_string_new (NULL);
  guint tried = 0;

  for (const char *p = answer; (p = strpbrk (p, "{[")) != NULL && tried < 16; p++)
    {
      const char *end = grader_json_end (p);
      g_autoptr(JsonNode) value = NULL;

      tried++;
      if (end == NULL || (value = rw_json_parse (p, end - p, NULL)) == NULL)
        continue;
      if (schema != NULL && JSON_NODE_HOLDS_OBJECT (schema))
        {
          g_string_truncate (why, 0);
          if (!rw_grader_check_schema (value, json_node_get_object (schema), why))
            continue;
        }
      return _rw_grade_new (type, TRUE, "JSON at character %ld%s", (long) (p - answer),
                            schema ? ", matching the schema" : "");
    }
  return _rw_grade_new (type, FALSE, "%s", why->len > 0 ?
                        why->str : "no JSON object or list in the answer");
}

/* promptfoo's is-sql: statements SQLite can parse. A table or column it does not know is no
 * syntax error; what SQLite cannot read at all is. */
static RwGrade *
grader_sql (JsonObject  *spec,
            const char  *type,
            const char  *answer,
            const char  *reference,
            gboolean     ignore_case,
            GError     **error)
{
  g_autofree char *body = grader_strip_fence (answer);
  const char *sql = body, *tail = NULL;
  sqlite3 *db = NULL;
  guint statements = 0;

  if (sqlite3_open_v2 (":memory:", &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
    {
      sqlite3_close (db);
      return _rw_grade_new (type, FALSE, "no SQL parser to read it with");
    }
  while (sql != NULL && *sql != '\0')
    {
      sqlite3_stmt *stmt = NULL;
      int rc = sqlite3_prepare_v2 (db, sql, -1, &stmt, &tail);
      g_autofree char *message = g_strdup (sqlite3_errmsg (db));

      gboolean statement = stmt != NULL || rc != SQLITE_OK;

      sqlite3_finalize (stmt);
      if (rc != SQLITE_OK && (g_str_has_prefix (message, "near ") ||
                              g_str_has_prefix (message, "incomplete input") ||
                              g_str_has_prefix (message, "unrecognized token")))
        {
          RwGrade *grade = _rw_grade_new (type, FALSE, "not SQL: %s", message);
          sqlite3_close (db);
          return grade;
        }
      if (statement)
        statements++;
      if (tail == NULL || tail == sql)
        break;
      sql = tail;
      while (g_ascii_isspace (*sql))
        sql++;
    }
  sqlite3_close (db);
  if (statements == 0)
    return _rw_grade_new (type, FALSE, "no SQL statement");
  return _rw_grade_new (type, TRUE, "%u SQL statement%s", statements,
                        statements == 1 ? "" : "s");
}

/* The tool named @name among @tools (OpenAI's form), or NULL. */
static JsonObject *
grader_find_tool (JsonArray  *tools,
                  const char *name)
{
  for (guint i = 0; tools != NULL && i < json_array_get_length (tools); i++)
    {
      JsonObject *t = rw_json_array_get_object (tools, i);
      JsonObject *fn = t ? rw_json_object_get_object (t, "function") : NULL;

      if (fn != NULL && g_strcmp0 (rw_json_object_get_string (fn, "name", NULL), name) == 0)
        return fn;
    }
  return NULL;
}

/* tool_call: the answer calls the tool "name" (any, without one), its arguments are a JSON
 * object valid against the tool's parameters (the item's "tools"), and hold every member of
 * "arguments" with the same value. The answer graded is the answer's tool calls, as OpenAI's
 * message.tool_calls writes them. */
static RwGrade *
grader_tool_call (JsonObject  *spec,
                  const char  *type,
                  const char  *answer,
                  const char  *reference,
                  gboolean     ignore_case,
                  GError     **error)
{
  const char *name = rw_json_object_get_string (spec, "name", NULL);
  JsonObject *expected = rw_json_object_get_object (spec, "arguments");
  JsonArray *tools = rw_json_object_get_array (spec, "tools");
  g_autoptr(JsonNode) calls = answer && *answer ? rw_json_parse (answer, strlen (answer), NULL)
                                                : NULL;
  g_autoptr(JsonNode) args = NULL;
  g_autoptr(GString) why = g_string_new (NULL);
  JsonObject *call = NULL, *fn = NULL, *tool;
  const char *text;

  if (calls == NULL || !JSON_NODE_HOLDS_ARRAY (calls) ||
      json_array_get_length (json_node_get_array (calls)) == 0)
    return _rw_grade_new (type, FALSE, "no tool call%s%s", name ? ", expected " : "",
                          name ? name : "");
  for (guint i = 0; i < json_array_get_length (json_node_get_array (calls)) && call == NULL; i++)
    {
      JsonObject *c = rw_json_array_get_object (json_node_get_array (calls), i);
      JsonObject *f = c ? rw_json_object_get_object (c, "function") : NULL;

      if (f != NULL && (name == NULL || g_strcmp0 (rw_json_object_get_string (f, "name", NULL),
                                                   name) == 0))
        {
          call = c;
          fn = f;
        }
    }
  if (call == NULL)
    return _rw_grade_new (type, FALSE, "no call of %s", name);
  text = rw_json_object_get_string (fn, "arguments", "");
  args = rw_json_parse (text, strlen (text), NULL);
  if (args == NULL || !JSON_NODE_HOLDS_OBJECT (args))
    return _rw_grade_new (type, FALSE, "%s's arguments are not a JSON object: %s",
                          rw_json_object_get_string (fn, "name", "?"), text);
  tool = grader_find_tool (tools, rw_json_object_get_string (fn, "name", NULL));
  if (tools != NULL && tool == NULL)
    return _rw_grade_new (type, FALSE, "called %s, which is not one of the item's tools",
                          rw_json_object_get_string (fn, "name", "?"));
  if (tool != NULL && rw_json_object_get_object (tool, "parameters") != NULL &&
      !rw_grader_check_schema (args, rw_json_object_get_object (tool, "parameters"), why))
    return _rw_grade_new (type, FALSE, "the arguments do not match the tool's parameters: %s",
                          why->str);
  if (expected != NULL)
    {
      g_autoptr(GList) keys = json_object_get_members (expected);

      for (GList *l = keys; l != NULL; l = l->next)
        {
          JsonNode *want = json_object_get_member (expected, l->data);
          JsonNode *got = json_object_get_member (json_node_get_object (args), l->data);

          if (got == NULL || !json_node_equal (want, got))
            {
              g_autofree char *w = rw_json_to_string (want, FALSE);
              g_autofree char *g = got ? rw_json_to_string (got, FALSE) : g_strdup ("nothing");
              return _rw_grade_new (type, FALSE, "argument %s is %s, expected %s",
                                    (char *) l->data, g, w);
            }
        }
    }
  return _rw_grade_new (type, TRUE, "called %s(%s)", rw_json_object_get_string (fn, "name", "?"),
                        text);
}

/* length: the answer's length, in characters or words, is within bounds. */
static RwGrade *
grader_length (JsonObject  *spec,
               const char  *type,
               const char  *answer,
               const char  *reference,
               gboolean     ignore_case,
               GError     **error)
{
  const char *unit = rw_json_object_get_string (spec, "unit", "chars");
  gint64 min = rw_json_object_get_int (spec, "min", 0);
  gint64 max = rw_json_object_get_int (spec, "max", G_MAXINT64);
  gint64 n = 0;

  if (g_str_equal (unit, "words"))
    {
      g_auto(GStrv) words = g_regex_split_simple ("\\s+", answer, 0, 0);
      for (guint i = 0; words[i]; i++)
        n += *words[i] != '\0';
    }
  else
    n = g_utf8_strlen (answer, -1);
  return _rw_grade_new (type, n >= min && n <= max, "%" G_GINT64_FORMAT " %s", n, unit);
}

/* judge, factuality, closedqa and similar: run by the evaluation runner with a model, never
 * here (see rw_grader_is_deferred()). */
static RwGrade *
grader_deferred (JsonObject  *spec,
                 const char  *type,
                 const char  *answer,
                 const char  *reference,
                 gboolean     ignore_case,
                 GError     **error)
{
  gboolean similar = g_str_equal (type, "similar");

  if (g_str_equal (type, "moderation"))
    g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                 "the moderation grader needs a moderation model: it is run by “eval run "
                 "--moderation-model MODEL”");
  else if (g_str_equal (type, "answer_relevance"))
    g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                 "the answer_relevance grader needs a judge model and an embedding model: it is "
                 "run by “eval run --judge MODEL --embedding-model MODEL”");
  else
    g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                 "the %s grader needs %s: it is run by “eval run %s MODEL”", type,
                 similar ? "an embedding model" : "a judge model",
                 similar ? "--embedding-model" : "--judge");
  return NULL;
}

/* answered: an answer came back; promptfoo passes a test without assertions so. */
static RwGrade *
grader_answered (JsonObject  *spec,
                 const char  *type,
                 const char  *answer,
                 const char  *reference,
                 gboolean     ignore_case,
                 GError     **error)
{
  return _rw_grade_new (type, TRUE, "no assertions: an answer came back");
}

/* contains_any, contains_all: some or every one of a list of texts is in the answer. */
static RwGrade *
grader_contains_list (JsonObject  *spec,
                      const char  *type,
                      const char  *answer,
                      const char  *reference,
                      gboolean     ignore_case,
                      GError     **error)
{
  JsonArray *values = rw_json_object_get_array (spec, "values");
  gboolean all = g_str_equal (type, "contains_all");
  g_autofree char *a = ignore_case ? g_utf8_casefold (answer, -1) : g_strdup (answer);
  g_autoptr(GString) missing = g_string_new (NULL);
  guint found = 0, n = values ? json_array_get_length (values) : 0;

  if (n == 0)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "a %s grader needs “values”", type);
      return NULL;
    }
  for (guint i = 0; i < n; i++)
    {
      JsonNode *v = json_array_get_element (values, i);
      const char *text = JSON_NODE_HOLDS_VALUE (v) && json_node_get_value_type (v) == G_TYPE_STRING
                         ? json_node_get_string (v) : NULL;
      g_autofree char *w = text == NULL ? NULL : ignore_case ? g_utf8_casefold (text, -1)
                                                             : g_strdup (text);

      if (w != NULL && strstr (a, w) != NULL)
        found++;
      else
        g_string_append_printf (missing, "%s“%s”", missing->len ? ", " : "", text ? text : "?");
    }
  if (all && found == n)
    return _rw_grade_new (type, TRUE, "contains every one");
  if (all)
    return _rw_grade_new (type, FALSE, "lacks %s", missing->str);
  if (found > 0)
    return _rw_grade_new (type, TRUE, "contains %u of them", found);
  return _rw_grade_new (type, FALSE, "contains none of them");
}

typedef RwGrade *(*RwGraderFunc) (JsonObject  *spec,
                                  const char  *type,
                                  const char  *answer,
                                  const char  *reference,
                                  gboolean     ignore_case,
                                  GError     **error);

/* The graders, by the type a spec names. */
static const struct
{
  const char *type;
  RwGraderFunc func;
} grader_table[] = {
  { "exact", grader_text },
  { "contains", grader_text },
  { "regex", grader_regex },
  { "numeric", grader_numeric },
  { "choice", grader_choice },
  { "json", grader_json },
  { "tool_call", grader_tool_call },
  { "length", grader_length },
  { "judge", grader_deferred },
  { "factuality", grader_deferred },
  { "closedqa", grader_deferred },
  { "similar", grader_deferred },
  { "geval", grader_deferred },
  { "context_relevance", grader_deferred },
  { "context_faithfulness", grader_deferred },
  { "context_recall", grader_deferred },
  { "answer_relevance", grader_deferred },
  { "select_best", grader_deferred },
  { "moderation", grader_deferred },
  { "answered", grader_answered },
  { "contains_any", grader_contains_list },
  { "contains_all", grader_contains_list },
  { "contains_json", grader_contains_json },
  { "sql", grader_sql },
  { "javascript", _rw_grader_script },
  { "python", _rw_grader_script },
};

/* One deterministic grader's verdict. */
RwGrade *
_rw_grader_check (JsonObject  *spec,
                  const char  *answer,
                  const char  *reference,
                  GError     **error)
{
  const char *type = rw_json_object_get_string (spec, "type", NULL);
  gboolean ignore_case = rw_json_object_get_boolean (spec, "ignore_case", FALSE);
  g_autoptr(GString) known = g_string_new (NULL);

  if (type == NULL)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "a grader needs a “type”");
      return NULL;
    }
  for (guint i = 0; i < G_N_ELEMENTS (grader_table); i++)
    {
      if (g_str_equal (type, grader_table[i].type))
        return grader_table[i].func (spec, type, answer, reference, ignore_case, error);
      g_string_append_printf (known, "%s%s", i ? ", " : "", grader_table[i].type);
    }
  g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "unknown grader “%s” (known: %s)", type,
               known->str);
  return NULL;
}
