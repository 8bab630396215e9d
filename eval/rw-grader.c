/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>
#include <sqlite3.h>

#include "rw-grader-private.h"
#include "rw-judge.h"
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

static RwGrade *
grader_grade_new (const char *grader,
                  gboolean    pass,
                  const char *format,
                  ...) G_GNUC_PRINTF (3, 4);

static RwGrade *
grader_grade_new (const char *grader,
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
  return grader_grade_new (type, pass, pass ? "matches “%s”" : "does not match “%s”", want);
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
  return grader_grade_new (type, g_regex_match (re, answer, 0, NULL), "/%s/", pattern);
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
    return grader_grade_new (type, FALSE, "no number in the answer (expected %g)", want);
  diff = fabs (got - want);
  return grader_grade_new (type, diff <= tolerance || (relative > 0
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
    return grader_grade_new (type, FALSE, "no choice in the answer (expected %c)", expected);
  return grader_grade_new (type, got == expected, "chose %c, expected %c", got, expected);
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
    return grader_grade_new (type, FALSE, "not valid JSON: %s", local->message);
  if (schema != NULL && JSON_NODE_HOLDS_OBJECT (schema) &&
      !rw_grader_check_schema (root, json_node_get_object (schema), why))
    return grader_grade_new (type, FALSE, "does not match the schema: %s", why->str);
  return grader_grade_new (type, TRUE, schema ? "valid JSON matching the schema" : "valid JSON");
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
      return grader_grade_new (type, TRUE, "JSON at character %ld%s", (long) (p - answer),
                               schema ? ", matching the schema" : "");
    }
  return grader_grade_new (type, FALSE, "%s", why->len > 0 ?
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
      return grader_grade_new (type, FALSE, "no SQL parser to read it with");
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
          RwGrade *grade = grader_grade_new (type, FALSE, "not SQL: %s", message);
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
    return grader_grade_new (type, FALSE, "no SQL statement");
  return grader_grade_new (type, TRUE, "%u SQL statement%s", statements,
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
    return grader_grade_new (type, FALSE, "no tool call%s%s", name ? ", expected " : "",
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
    return grader_grade_new (type, FALSE, "no call of %s", name);
  text = rw_json_object_get_string (fn, "arguments", "");
  args = rw_json_parse (text, strlen (text), NULL);
  if (args == NULL || !JSON_NODE_HOLDS_OBJECT (args))
    return grader_grade_new (type, FALSE, "%s's arguments are not a JSON object: %s",
                             rw_json_object_get_string (fn, "name", "?"), text);
  tool = grader_find_tool (tools, rw_json_object_get_string (fn, "name", NULL));
  if (tools != NULL && tool == NULL)
    return grader_grade_new (type, FALSE, "called %s, which is not one of the item's tools",
                             rw_json_object_get_string (fn, "name", "?"));
  if (tool != NULL && rw_json_object_get_object (tool, "parameters") != NULL &&
      !rw_grader_check_schema (args, rw_json_object_get_object (tool, "parameters"), why))
    return grader_grade_new (type, FALSE, "the arguments do not match the tool's parameters: %s",
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
              return grader_grade_new (type, FALSE, "argument %s is %s, expected %s",
                                       (char *) l->data, g, w);
            }
        }
    }
  return grader_grade_new (type, TRUE, "called %s(%s)", rw_json_object_get_string (fn, "name", "?"),
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
  return grader_grade_new (type, n >= min && n <= max, "%" G_GINT64_FORMAT " %s", n, unit);
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
  return grader_grade_new (type, TRUE, "no assertions: an answer came back");
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
    return grader_grade_new (type, TRUE, "contains every one");
  if (all)
    return grader_grade_new (type, FALSE, "lacks %s", missing->str);
  if (found > 0)
    return grader_grade_new (type, TRUE, "contains %u of them", found);
  return grader_grade_new (type, FALSE, "contains none of them");
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
static RwGrade *
grader_grade_one (JsonObject  *spec,
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
  RwGrade *grade = grader_grade_one (spec, answer, reference, error);

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
    return grader_grade_new (type, FALSE, "only an answer's call can be graded by its %s", type);
  if (g_str_equal (type, "latency"))
    {
      double max = rw_json_object_get_double (spec, "max_ms", NAN);
      if (isnan (result->latency_ms))
        return grader_grade_new (type, FALSE, "the answer's latency is not known");
      return grader_grade_new (type, isnan (max) || result->latency_ms <= max,
                               "%.0f ms (at most %.0f)", result->latency_ms, max);
    }
  if (g_str_equal (type, "cost"))
    {
      double max = rw_json_object_get_double (spec, "max_usd", NAN);
      if (isnan (result->cost_usd))
        return grader_grade_new (type, FALSE, "the answer's cost is not known");
      return grader_grade_new (type, isnan (max) || result->cost_usd <= max,
                               "$%.6f (at most $%.6f)", result->cost_usd, max);
    }
  {
    const char *want = rw_json_object_get_string (spec, "value", NULL);
    const char *got = result->finish_reason ? result->finish_reason : "";
    /* promptfoo's names are OpenAI's; Anthropic's end_turn is a stop. */
    const char *normal = g_str_equal (got, "end_turn") || g_str_equal (got, "STOP") ? "stop"
                         : g_str_equal (got, "max_tokens") || g_str_equal (got, "MAX_TOKENS")
                         ? "length" : g_str_equal (got, "tool_use") ? "tool_calls" : got;
    return grader_grade_new (type, want != NULL && g_ascii_strcasecmp (normal, want) == 0,
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
                grade = grade_weigh (grader_grade_new (rw_json_object_get_string (json_node_get_object (spec), "type", "?"),
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
