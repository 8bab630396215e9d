/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>
#include <routewise-eval.h>

#include "rw-test-util.h"

static char *
data_path (const char *first,
           ...)
{
  g_autoptr(GPtrArray) parts = g_ptr_array_new ();
  va_list args;

  g_ptr_array_add (parts, (char *) g_getenv ("G_TEST_SRCDIR"));
  g_ptr_array_add (parts, "..");
  g_ptr_array_add (parts, "data");
  va_start (args, first);
  for (const char *p = first; p; p = va_arg (args, const char *))
    g_ptr_array_add (parts, (char *) p);
  va_end (args);
  g_ptr_array_add (parts, NULL);
  return g_build_filenamev ((char **) parts->pdata);
}

static gboolean
grade (const char *spec_json,
       const char *answer,
       const char *reference)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(RwGrade) g = NULL;

  g_assert_true (json_parser_load_from_data (parser, spec_json, -1, NULL));
  g = rw_grader_grade (json_node_get_object (json_parser_get_root (parser)), answer, reference,
                       &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (g->score, ==, g->pass ? 1.0 : 0.0);
  g_assert_nonnull (g->detail);
  return g->pass;
}

/* The numeric grader agrees with the correctness RouteLLM recorded for GSM8K answers. The
 * file has no reference answers: where one model was marked correct, its final number is the
 * reference, and the other model's answer is graded against it. */
static void
test_numeric_agrees_with_gsm8k (void)
{
  g_autofree char *path = data_path ("recorded", "gsm8k_responses.csv", NULL);
  g_autofree char *data = NULL;
  g_autoptr(GPtrArray) header = NULL;
  gsize len, pos = 0;
  guint line = 0, agree = 0, total = 0, false_pass = 0, false_fail = 0;
  GPtrArray *row;

  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  header = rw_csv_read_record (data, len, &pos, &line, NULL);
  g_assert_cmpuint (header->len, ==, 5);
  g_assert_cmpstr (header->pdata[1], ==, "mistralai/Mixtral-8x7B-Instruct-v0.1");

  while ((row = rw_csv_read_record (data, len, &pos, &line, NULL)) != NULL)
    {
      if (row->len == 5)
        for (guint ref = 1; ref <= 2; ref++)
          {
            guint other = ref == 1 ? 2 : 1;
            double reference, got;
            gboolean predicted, recorded;

            if (!g_str_equal (row->pdata[ref], "True") ||
                !rw_grader_final_number (row->pdata[ref + 2], &reference))
              continue;
            predicted = rw_grader_final_number (row->pdata[other + 2], &got) &&
                        fabs (got - reference) <= 1e-6;
            recorded = g_str_equal (row->pdata[other], "True");
            total++;
            if (predicted == recorded)
              agree++;
            else if (predicted)
              false_pass++;
            else
              false_fail++;
          }
      g_ptr_array_unref (row);
    }

  g_test_message ("numeric grader vs recorded GSM8K correctness: %u of %u agree (%.2f%%); "
                  "%u passed that were marked wrong, %u failed that were marked right",
                  agree, total, 100.0 * agree / total, false_pass, false_fail);
  g_assert_cmpuint (total, >, 1900);
  g_assert_cmpfloat ((double) agree / total, >=, 0.975);
}

static void
test_final_number (void)
{
  static const struct { const char *text; double value; } cases[] = {
    { "She makes 9 * $2 = $18 every day.", 18 },
    { "So the answer is 1,234 apples.\n#### 1,234", 1234 },
    { "First 3, then 4.\n#### 7\nThat is all, 99 words.", 7 },
    { "The temperature drops to -3.5 degrees.", -3.5 },
    { "It costs $1,000,000.50 in total", 1000000.5 },
  };
  double v;

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_assert_true (rw_grader_final_number (cases[i].text, &v));
      g_assert_cmpfloat_with_epsilon (v, cases[i].value, 1e-9);
    }
  g_assert_false (rw_grader_final_number ("no digits here", &v));
}

static void
test_choice (void)
{
  g_assert_cmpint (rw_grader_choice_letter ("The answer is (C) because ..."), ==, 'C');
  g_assert_cmpint (rw_grader_choice_letter ("Answer: b"), ==, 'B');
  g_assert_cmpint (rw_grader_choice_letter ("D) Paris is the capital"), ==, 'D');
  g_assert_cmpint (rw_grader_choice_letter ("I think it's (A)."), ==, 'A');
  g_assert_cmpint (rw_grader_choice_letter ("none of these"), ==, 0);
  g_assert_true (grade ("{\"type\":\"choice\"}", "The answer is B.", "B"));
  g_assert_false (grade ("{\"type\":\"choice\",\"value\":\"A\"}", "The answer is B.", NULL));
}

static void
test_text_graders (void)
{
  g_assert_true (grade ("{\"type\":\"exact\",\"ignore_case\":true}", "  NIKE \n", "Nike"));
  g_assert_false (grade ("{\"type\":\"exact\"}", "NIKE", "Nike"));
  g_assert_true (grade ("{\"type\":\"contains\",\"value\":\"permutations\"}",
                        "It returns all the permutations of the list.", NULL));
  g_assert_true (grade ("{\"type\":\"regex\",\"pattern\":\"^\\\\s*(positive|negative)\\\\s*$\",\"ignore_case\":true}",
                        "Positive", NULL));
  g_assert_false (grade ("{\"type\":\"regex\",\"pattern\":\"^\\\\d+$\"}", "12a", NULL));
  g_assert_true (grade ("{\"type\":\"numeric\"}", "The total is 2,018.", "2018"));
  g_assert_true (grade ("{\"type\":\"numeric\",\"value\":100,\"relative\":0.05}", "about 103", NULL));
  g_assert_false (grade ("{\"type\":\"numeric\",\"value\":100}", "about 103", NULL));
  g_assert_true (grade ("{\"type\":\"length\",\"max\":5,\"unit\":\"words\"}", "one two  three", NULL));
  g_assert_false (grade ("{\"type\":\"length\",\"min\":20}", "short", NULL));
}

/* promptfoo's list assertions, and a test without assertions. */
static void
test_list_graders (void)
{
  g_assert_true (grade ("{\"type\":\"contains_any\",\"values\":[\"blue\",\"green\"]}",
                        "A green planet", NULL));
  g_assert_false (grade ("{\"type\":\"contains_any\",\"values\":[\"blue\",\"green\"]}",
                         "A Green planet", NULL));
  g_assert_true (grade ("{\"type\":\"contains_any\",\"values\":[\"blue\"],\"ignore_case\":true}",
                        "BLUE", NULL));
  g_assert_true (grade ("{\"type\":\"contains_all\",\"values\":[\"a\",\"b\"]}", "b and a", NULL));
  g_assert_false (grade ("{\"type\":\"contains_all\",\"values\":[\"a\",\"zz\"]}", "b and a", NULL));
  g_assert_false (grade ("{\"type\":\"contains_all\",\"values\":[\"a\"],\"not\":true}", "a", NULL));
  g_assert_true (grade ("{\"type\":\"answered\"}", "", NULL));
}

static RwGrade *
grade_full (const char *spec_json,
            const char *answer)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  RwGrade *g;

  g_assert_true (json_parser_load_from_data (parser, spec_json, -1, NULL));
  g = rw_grader_grade (json_node_get_object (json_parser_get_root (parser)), answer, NULL,
                       &error);
  g_assert_no_error (error);
  return g;
}

/* Code graders run as promptfoo runs them, in the real interpreter: a boolean, a number (passes
 * above 0, or at the threshold) or a grading result; the vars reach the code; what the code
 * prints never reaches the verdict; code that throws fails with why. */
static void
test_script_graders (void)
{
  const char *langs[] = { "node", "python3" };

  for (guint l = 0; l < G_N_ELEMENTS (langs); l++)
    {
      g_autofree char *program = g_find_program_in_path (langs[l]);
      gboolean js = l == 0;
      g_autoptr(RwGrade) a = NULL, b = NULL, c = NULL, d = NULL, e = NULL;

      if (program == NULL)
        {
          g_test_message ("%s is not installed: its assertions are not checked", langs[l]);
          continue;
        }
      a = grade_full (js ? "{\"type\":\"javascript\",\"value\":\"output.includes(context.vars.topic)\","
                           "\"vars\":{\"topic\":\"bananas\"}}"
                         : "{\"type\":\"python\",\"value\":\"context['vars']['topic'] in output\","
                           "\"vars\":{\"topic\":\"bananas\"}}",
                      "I like bananas");
      g_assert_true (a->pass);
      b = grade_full (js ? "{\"type\":\"javascript\",\"value\":\"console.log('noise');\\nreturn output.length / 100;\"}"
                         : "{\"type\":\"python\",\"value\":\"print('noise')\\nreturn len(output) / 100\"}",
                      "0123456789");
      g_assert_true (b->pass);
      g_assert_cmpfloat_with_epsilon (b->score, 0.1, 1e-9);
      c = grade_full (js ? "{\"type\":\"javascript\",\"value\":\"output.length / 100\",\"threshold\":0.5}"
                         : "{\"type\":\"python\",\"value\":\"len(output) / 100\",\"threshold\":0.5}",
                      "0123456789");
      g_assert_false (c->pass);
      d = grade_full (js ? "{\"type\":\"javascript\",\"value\":\"return {pass: false, score: 0.25, reason: 'too short'}\\n\"}"
                         : "{\"type\":\"python\",\"value\":\"return {'pass': False, 'score': 0.25, 'reason': 'too short'}\\n\"}",
                      "x");
      g_assert_false (d->pass);
      g_assert_cmpfloat_with_epsilon (d->score, 0.25, 1e-9);
      g_assert_cmpstr (d->detail, ==, "too short");
      e = grade_full (js ? "{\"type\":\"javascript\",\"value\":\"undefinedThing.x\"}"
                         : "{\"type\":\"python\",\"value\":\"undefined_thing.x\"}",
                      "x");
      g_assert_false (e->pass);
      g_assert_nonnull (strstr (e->detail, js ? "undefinedThing" : "undefined_thing"));
    }
}

static void
test_json_grader (void)
{
  const char *schema = "{\"type\":\"json\",\"schema\":{\"type\":\"object\",\"required\":[\"planets\"],"
                       "\"additionalProperties\":false,\"properties\":{\"planets\":{\"type\":\"array\","
                       "\"minItems\":5,\"maxItems\":5,\"items\":{\"type\":\"string\",\"minLength\":1}}}}}";

  g_assert_true (grade (schema, "```json\n{\"planets\": [\"Mercury\", \"Venus\", \"Earth\", \"Mars\", \"Jupiter\"]}\n```", NULL));
  g_assert_false (grade (schema, "{\"planets\": [\"Mercury\", \"Venus\"]}", NULL));
  g_assert_false (grade (schema, "{\"planets\": [\"a\",\"b\",\"c\",\"d\",\"e\"], \"extra\": 1}", NULL));
  g_assert_false (grade (schema, "{\"planets\": [1,2,3,4,5]}", NULL));
  g_assert_false (grade ("{\"type\":\"json\"}", "{not json", NULL));
  g_assert_true (grade ("{\"type\":\"json\",\"schema\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":3}}", "2", NULL));
  g_assert_false (grade ("{\"type\":\"json\",\"schema\":{\"enum\":[\"a\",\"b\"]}}", "\"c\"", NULL));
}

static void
test_bad_graders (void)
{
  const char *bad[] = {
    "{}", "{\"type\":\"telepathy\"}", "{\"type\":\"regex\",\"pattern\":\"(\"}",
    "{\"type\":\"exact\"}", "{\"type\":\"choice\"}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GError) error = NULL;
      g_autoptr(RwGrade) g = NULL;

      g_assert_true (json_parser_load_from_data (parser, bad[i], -1, NULL));
      g = rw_grader_grade (json_node_get_object (json_parser_get_root (parser)), "x", NULL, &error);
      g_assert_null (g);
      g_assert_error (error, RW_ERROR, RW_ERROR_CONFIG);
    }
}

static void
expect_suite_error (const char *format,
                    const char *data,
                    const char *fragment)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(RwSuite) suite = rw_suite_new_from_data ("s.jsonl", format, data, strlen (data), &error);

  g_assert_null (suite);
  g_assert_error (error, RW_ERROR, RW_ERROR_CONFIG);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, fragment));
}

/* tool_call: the call's name, its arguments valid against the tool's parameters, the expected
 * ones among them; no call, a wrong name, arguments that are not JSON all fail. */
static void
test_tool_call_grader (void)
{
  static const char tools[] =
    "[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":"
    "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"},\"days\":"
    "{\"type\":\"integer\"}},\"required\":[\"city\"]}}}]";
  struct { const char *calls; const char *want; gboolean pass; const char *detail; } cases[] = {
    { "[{\"id\":\"c\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
      "\"arguments\":\"{\\\"city\\\":\\\"Paris\\\",\\\"days\\\":2}\"}}]",
      "{\"city\":\"Paris\"}", TRUE, "called get_weather" },
    { "[{\"id\":\"c\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
      "\"arguments\":\"{\\\"city\\\":\\\"Rome\\\"}\"}}]",
      "{\"city\":\"Paris\"}", FALSE, "argument city is \"Rome\", expected \"Paris\"" },
    { "[{\"id\":\"c\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
      "\"arguments\":\"{\\\"days\\\":\\\"two\\\"}\"}}]",
      NULL, FALSE, "do not match the tool's parameters" },
    { "[{\"id\":\"c\",\"type\":\"function\",\"function\":{\"name\":\"get_weather\","
      "\"arguments\":\"{city: Paris}\"}}]", NULL, FALSE, "not a JSON object" },
    { "[{\"id\":\"c\",\"type\":\"function\",\"function\":{\"name\":\"get_time\","
      "\"arguments\":\"{}\"}}]", NULL, FALSE, "no call of get_weather" },
    { "", NULL, FALSE, "no tool call" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *spec_text = g_strdup_printf ("{\"type\":\"tool_call\",\"name\":"
                                                    "\"get_weather\",\"tools\":%s%s%s}", tools,
                                                    cases[i].want ? ",\"arguments\":" : "",
                                                    cases[i].want ? cases[i].want : "");
      g_autoptr(JsonNode) spec = json_from_string (spec_text, NULL);
      g_autoptr(GError) error = NULL;
      g_autoptr(RwGrade) grade = rw_grader_grade (json_node_get_object (spec), cases[i].calls,
                                                  NULL, &error);

      g_assert_no_error (error);
      g_test_message ("%u: %s", i, grade->detail);
      g_assert_cmpint (grade->pass, ==, cases[i].pass);
      g_assert_nonnull (strstr (grade->detail, cases[i].detail));
    }
}

static void
test_suites (void)
{
  const char *good = "{\"id\": \"a\", \"task\": \"math\", \"prompt\": \"2+2?\", \"reference\": 4}\n"
                     "\n"
                     "{\"id\": 7, \"messages\": [{\"role\": \"system\", \"content\": \"terse\"},"
                     " {\"role\": \"user\", \"content\": \"hi\"}], \"source\": \"x\"}\n";
  const char *csv = "prompt,task,reference\n"
                    "\"Say \"\"hi\"\", then, stop\",greeting,hi\n"
                    "\"two\nlines\",,\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(RwSuite) suite = rw_suite_new_from_data ("s.jsonl", "jsonl", good, strlen (good), &error);
  g_autoptr(RwSuite) csv_suite = NULL;
  g_autoptr(GPtrArray) grades = NULL;
  RwSuiteItem *item;

  g_assert_no_error (error);
  g_assert_cmpuint (rw_suite_get_n_items (suite), ==, 2);
  item = rw_suite_get_item (suite, 0);
  g_assert_cmpstr (item->reference, ==, "4");
  g_assert_cmpstr (rw_chat_request_get_task (item->request), ==, "math");
  grades = rw_grader_grade_item (item, "It is 4.", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (grades->len, ==, 1);
  g_assert_true (((RwGrade *) grades->pdata[0])->pass);
  item = rw_suite_get_item (suite, 1);
  g_assert_cmpstr (item->id, ==, "7");
  g_assert_cmpstr (item->task, ==, "general");
  g_assert_cmpuint (rw_chat_request_get_n_messages (item->request), ==, 2);
  g_assert_true (json_object_has_member (json_node_get_object (item->metadata), "source"));

  csv_suite = rw_suite_new_from_data ("s.csv", "csv", csv, strlen (csv), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rw_suite_get_n_items (csv_suite), ==, 2);
  g_assert_cmpstr (rw_chat_request_get_last_user_text (rw_suite_get_item (csv_suite, 0)->request),
                   ==, "Say \"hi\", then, stop");
  g_assert_cmpstr (rw_chat_request_get_last_user_text (rw_suite_get_item (csv_suite, 1)->request),
                   ==, "two\nlines");

  expect_suite_error ("jsonl", "{\"prompt\": \"a\"}\n{\"prompt\": \"b\"}\n{\"prompt\": \n", "s.jsonl:3: not valid JSON");
  /* The line is the file's, the column the line's; never "line 1" of a document of one line. */
  expect_suite_error ("jsonl", "{\"prompt\": \"a\"}\n\n{\"prompt\": \"b\",}\n",
                      "s.jsonl:3: not valid JSON: column 16: expected a member name in quotes");
  expect_suite_error ("jsonl", "{\"id\": \"x\", \"prompt\": \"a\"}\n{\"id\": \"x\", \"prompt\": \"b\"}\n", "s.jsonl:2: the id “x” is used twice");
  expect_suite_error ("jsonl", "{\"task\": \"t\"}\n", "s.jsonl:1: give “messages”");
  expect_suite_error ("jsonl", "[1]\n", "s.jsonl:1: each line must be a JSON object");
  expect_suite_error ("jsonl", "{\"prompt\": \"a\", \"graders\": {}}\n", "“graders” must be an array");
  expect_suite_error ("jsonl", "\n\n", "no items");
  expect_suite_error ("csv", "question,answer\nq,a\n", "needs a “prompt” column");
  expect_suite_error ("csv", "prompt\n\"unclosed\n", "not closed");
}

static void
test_bundled_suites (void)
{
  g_autofree char *gsm8k = data_path ("suites", "gsm8k-sample.jsonl", NULL);
  g_autofree char *mt = data_path ("suites", "mt-bench.jsonl", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(RwSuite) a = rw_suite_new_from_file (gsm8k, &error);
  g_autoptr(RwSuite) b = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (rw_suite_get_n_items (a), ==, 200);
  g_assert_cmpstr (rw_suite_get_item (a, 0)->reference, ==, "18");
  b = rw_suite_new_from_file (mt, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rw_suite_get_n_items (b), ==, 80);
}

static void
test_statistics (void)
{
  double low, high;

  /* Reference values: the exact two-sided binomial test and the Wilson interval. */
  g_assert_cmpfloat_with_epsilon (rw_sign_test (9, 1), 0.021484375, 1e-12);
  g_assert_cmpfloat_with_epsilon (rw_sign_test (5, 5), 1.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (rw_sign_test (0, 3), 0.25, 1e-12);
  g_assert_cmpfloat (rw_sign_test (0, 0), ==, 1.0);
  rw_wilson_interval (186, 200, &low, &high);
  g_assert_cmpfloat_with_epsilon (low, 0.8859452, 1e-6);
  g_assert_cmpfloat_with_epsilon (high, 0.9578478, 1e-6);
  rw_wilson_interval (0, 3, &low, &high);
  g_assert_cmpfloat_with_epsilon (low, 0.0, 1e-12);
  g_assert_cmpfloat_with_epsilon (high, 0.5614970, 1e-6);
}

static void
test_promptfoo_config (void)
{
  const char *config =
    "{\"prompts\": [\"Answer briefly: {{ question }}\", {\"raw\": \"{{question}}\"}],"
    " \"providers\": [\"openai:gpt-4o-mini\"],"
    " \"defaultTest\": {\"assert\": [{\"type\": \"is-json\"}]},"
    " \"tests\": [{\"description\": \"sum\", \"vars\": {\"question\": \"2+2?\", \"task\": \"math\"},"
    "              \"assert\": [{\"type\": \"equals\", \"value\": \"4\"}, {\"type\": \"icontains\", \"value\": \"Four\"},"
    "                          {\"type\": \"starts-with\", \"value\": \"4.\"}, {\"type\": \"llm-rubric\", \"value\": \"x\"},"
    "                          {\"type\": \"javascript\", \"value\": \"1\"}]}]}";
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *jsonl = NULL;
  g_autoptr(RwSuite) suite = NULL;
  g_autoptr(GPtrArray) grades = NULL;
  RwSuiteItem *item;

  g_assert_true (json_parser_load_from_data (parser, config, -1, NULL));
  jsonl = rw_promptfoo_config_to_jsonl (json_node_get_object (json_parser_get_root (parser)), NULL,
                                        "c.json", &error);
  g_assert_no_error (error);
  suite = rw_suite_new_from_data ("c.json", "jsonl", jsonl, strlen (jsonl), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rw_suite_get_n_items (suite), ==, 2);
  item = rw_suite_get_item (suite, 0);
  g_assert_cmpstr (item->id, ==, "t0-p0");
  g_assert_cmpstr (item->task, ==, "math");
  g_assert_cmpstr (rw_chat_request_get_last_user_text (item->request), ==, "Answer briefly: 2+2?");
  g_assert_cmpstr (rw_chat_request_get_last_user_text (rw_suite_get_item (suite, 1)->request), ==, "2+2?");
  /* is-json from defaultTest, then equals, icontains, starts-with, llm-rubric as the judge
   * grader, which the runner's judge model rates, and the javascript assertion, run by node
   * with the test's vars. */
  g_assert_cmpuint (json_array_get_length (json_node_get_array (item->graders)), ==, 6);
  g_assert_nonnull (rw_grader_get_judge_spec (item));
  g_assert_null (strstr (jsonl, "promptfoo_unsupported_asserts"));
  g_assert_nonnull (strstr (jsonl, "\"type\":\"javascript\",\"value\":\"1\",\"vars\":{\"question\":\"2+2?\""));
  grades = rw_grader_grade_item (item, "4", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (((RwGrade *) grades->pdata[0])->pass);   /* "4" is valid JSON */
  g_assert_true (((RwGrade *) grades->pdata[1])->pass);
  g_assert_false (((RwGrade *) grades->pdata[2])->pass);  /* no "four" */
  g_assert_false (((RwGrade *) grades->pdata[3])->pass);  /* does not start with "4." */

  /* The structural assertions, each graded as promptfoo grades it. */
  {
    const char *more =
      "{\"prompts\": [\"{{q}}\"], \"tests\": [{\"vars\": {\"q\": \"x\"}, \"assert\": ["
      " {\"type\": \"is-json\", \"value\": {\"type\": \"object\", \"required\": [\"a\"]}},"
      " {\"type\": \"contains-json\"}, {\"type\": \"is-sql\"}, {\"type\": \"min-length\", \"value\": 5},"
      " {\"type\": \"max-length\", \"value\": 9}, {\"type\": \"not-contains-json\"},"
      " {\"type\": \"latency\", \"threshold\": 100}]}]}";
    g_autoptr(JsonNode) root = rw_json_parse (more, strlen (more), NULL);
    g_autofree char *lines = rw_promptfoo_config_to_jsonl (json_node_get_object (root), NULL,
                                                           "m.json", &error);
    g_autoptr(RwSuite) s = NULL;
    g_autoptr(GPtrArray) g = NULL;
    RwSuiteItem *it;
    const gboolean want[] = { TRUE, TRUE, FALSE, TRUE, TRUE, FALSE, TRUE };
    g_autoptr(RwChatResult) result = rw_chat_result_new ("m/x");

    g_assert_no_error (error);
    s = rw_suite_new_from_data ("m.json", "jsonl", lines, strlen (lines), &error);
    g_assert_no_error (error);
    it = rw_suite_get_item (s, 0);
    /* Seven graded; latency grades the call that gave the answer. */
    g_assert_cmpuint (json_array_get_length (json_node_get_array (it->graders)), ==, 7);
    g_assert_null (strstr (lines, "promptfoo_unsupported_asserts"));
    g_string_assign (result->text, "{\"a\":1}");
    result->latency_ms = 80;
    g = rw_grader_grade_result (it, result, &error);
    g_assert_no_error (error);
    for (guint i = 0; i < G_N_ELEMENTS (want); i++)
      if (((RwGrade *) g->pdata[i])->pass != want[i])
        g_error ("assertion %u: %s", i, ((RwGrade *) g->pdata[i])->detail);
    /* Too slow; and a text alone has no call to time. */
    result->latency_ms = 120;
    g_clear_pointer (&g, g_ptr_array_unref);
    g = rw_grader_grade_result (it, result, &error);
    g_assert_false (((RwGrade *) g->pdata[6])->pass);
    g_assert_cmpstr (((RwGrade *) g->pdata[6])->detail, ==, "120 ms (at most 100)");
    g_clear_pointer (&g, g_ptr_array_unref);
    g = rw_grader_grade_item (it, "{\"a\":1}", NULL, &error);
    g_assert_false (((RwGrade *) g->pdata[6])->pass);
  }
}

/* defaultTest from a file of its own: its assertions apply to every test, as promptfoo has it;
 * a defaultTest that is neither a mapping nor a file is refused, never ignored. */
static void
test_promptfoo_default_test_file (void)
{
  g_autofree char *dir = rw_test_make_tmpdir ();
  g_autofree char *config = g_build_filename (dir, "promptfooconfig.yaml", NULL);
  g_autofree char *defaults = g_build_filename (dir, "default.yaml", NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *jsonl = NULL;

  g_assert_true (g_file_set_contents (defaults, "assert:\n  - type: contains\n    value: '{{word}}'\n",
                                      -1, NULL));
  g_assert_true (g_file_set_contents (config, "prompts: ['Say {{word}}']\n"
                                      "defaultTest: file://default.yaml\n"
                                      "tests:\n  - vars: {word: hello}\n", -1, NULL));
  jsonl = rw_promptfoo_config_file_to_jsonl (config, &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (jsonl, "\"type\":\"contains\",\"value\":\"hello\""));
  g_clear_pointer (&jsonl, g_free);

  g_assert_true (g_file_set_contents (config, "prompts: ['Say {{word}}']\ndefaultTest: 3\n"
                                      "tests:\n  - vars: {word: hello}\n", -1, NULL));
  g_assert_null (rw_promptfoo_config_file_to_jsonl (config, &error));
  g_assert_error (error, RW_ERROR, RW_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "defaultTest"));
  rw_test_rmtree (dir);
}

/* YAML as promptfoo writes it: typed plain scalars, quoted strings, block text, anchors and
 * merge keys; a malformed file names its line; aliases cannot blow a small file up. */
static void
test_yaml (void)
{
  const char *text =
    "base: &base\n"
    "  provider: openai\n"
    "  temperature: 0.5\n"
    "item:\n"
    "  <<: *base\n"
    "  temperature: 0\n"
    "  count: 12\n"
    "  hex: 0x1F\n"
    "  quoted: \"12\"\n"
    "  flag: true\n"
    "  none: ~\n"
    "  list: [a, 'b c', -3.5e2]\n"
    "  block: |\n"
    "    line one\n"
    "    line two\n"
    "  tagged: !!str 7\n"
    "---\n"
    "second: document\n";
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = rw_yaml_parse (text, strlen (text), "t.yaml", &error);
  g_autoptr(JsonNode) empty = NULL;
  g_autofree char *json = NULL;
  g_autoptr(GString) bomb = g_string_new ("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
  JsonObject *item;

  g_assert_no_error (error);
  item = json_object_get_object_member (json_node_get_object (root), "item");
  g_assert_cmpstr (json_object_get_string_member (item, "provider"), ==, "openai");
  g_assert_cmpint (json_object_get_int_member (item, "temperature"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (item, "count"), ==, 12);
  g_assert_cmpint (json_object_get_int_member (item, "hex"), ==, 31);
  g_assert_cmpstr (json_object_get_string_member (item, "quoted"), ==, "12");
  g_assert_true (json_object_get_boolean_member (item, "flag"));
  g_assert_true (json_object_get_null_member (item, "none"));
  g_assert_cmpstr (json_object_get_string_member (item, "block"), ==, "line one\nline two\n");
  g_assert_cmpstr (json_object_get_string_member (item, "tagged"), ==, "7");
  json = json_to_string (json_object_get_member (item, "list"), FALSE);
  g_assert_cmpstr (json, ==, "[\"a\",\"b c\",-350.0]");
  g_assert_false (json_object_has_member (json_node_get_object (root), "second"));

  empty = rw_yaml_parse ("", 0, "e.yaml", &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_NULL (empty));

  g_assert_null (rw_yaml_parse ("a: 1\nb: [1, 2\nc: 3\n", 17, "bad.yaml", &error));
  g_assert_error (error, RW_ERROR, RW_ERROR_CONFIG);
  g_assert_true (g_str_has_prefix (error->message, "bad.yaml:"));
  g_assert_nonnull (strstr (error->message, "not valid YAML"));
  g_clear_error (&error);

  g_assert_null (rw_yaml_parse ("a: *nowhere\n", 12, "alias.yaml", &error));
  g_assert_nonnull (strstr (error->message, "unknown alias"));
  g_clear_error (&error);

  /* Ten levels of ten aliases each would be 10^10 nodes. */
  for (char c = 'b'; c <= 'k'; c++)
    g_string_append_printf (bomb, "%c: &%c [*%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c, *%c]\n",
                            c, c, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1, c - 1);
  g_assert_null (rw_yaml_parse (bomb->str, bomb->len, "bomb.yaml", &error));
  g_assert_nonnull (strstr (error->message, "too many nodes"));
}

/* promptfoo's contains-json and is-sql. */
static void
test_json_and_sql_graders (void)
{
  const char *schema = "{\"type\":\"contains_json\",\"schema\":{\"type\":\"object\","
                       "\"required\":[\"city\"]}}";

  g_assert_true (grade ("{\"type\":\"contains_json\"}",
                        "Sure! Here it is: {\"a\": [1, 2, \"}\"]} and that is all.", NULL));
  g_assert_true (grade ("{\"type\":\"contains_json\"}", "```json\n[1, {\"b\": 2}]\n```", NULL));
  g_assert_false (grade ("{\"type\":\"contains_json\"}", "no {json here, only [text", NULL));
  g_assert_true (grade (schema, "{\"x\": 1} then {\"city\": \"Paris\"}", NULL));
  g_assert_false (grade (schema, "{\"x\": 1} and [2]", NULL));

  g_assert_true (grade ("{\"type\":\"sql\"}", "SELECT name FROM users WHERE id = 3;", NULL));
  g_assert_true (grade ("{\"type\":\"sql\"}",
                        "```sql\nSELECT a, count(*) FROM t GROUP BY a;\nDELETE FROM t;\n```", NULL));
  g_assert_false (grade ("{\"type\":\"sql\"}", "SELEC name FROM users", NULL));
  g_assert_false (grade ("{\"type\":\"sql\"}", "SELECT name FROM", NULL));
  g_assert_false (grade ("{\"type\":\"sql\"}", "I cannot write that query.", NULL));
  g_assert_false (grade ("{\"type\":\"sql\"}", "", NULL));
}

static char *
render (const char *template,
        const char *vars_json)
{
  g_autoptr(JsonNode) vars = rw_json_parse (vars_json, strlen (vars_json), NULL);
  g_autoptr(GError) error = NULL;
  char *text;

  g_assert_nonnull (vars);
  text = rw_template_render (template, json_node_get_object (vars), &error);
  if (text == NULL)
    return g_strdup_printf ("ERROR %s", error->message);
  return text;
}

/* The Nunjucks that promptfoo's configurations use, as Nunjucks renders it. */
static void
test_template (void)
{
  static const struct
  {
    const char *template;
    const char *want;
  } cases[] = {
    { "Hello {{ name }}!", "Hello Ada!" },
    { "{{ user.name }} is {{ user.age }}; {{ missing }}|{{ user.none.deeper }}", "Ada is 36; |" },
    { "{{ list[0] }} {{ list[list.length - 1] }} {{ list | length }} {{ list | join(', ') }}",
      "a c 3 a, b, c" },
    { "{{ name | upper }} {{ name | lower }} {{ '  x  ' | trim }} {{ nothing | default('n/a') }}",
      "ADA ada x n/a" },
    { "{{ list | first }}{{ list | last }} {{ 'a-b-c' | replace('-', '+') }} {{ 'hello world' | title }}",
      "ac a+b+c Hello World" },
    { "{{ user | dump }}", "{\"name\":\"Ada\",\"age\":36}" },
    { "{% if user.age > 30 %}older{% elif user.age > 20 %}younger{% else %}child{% endif %}",
      "older" },
    { "{% if not missing and name == 'Ada' %}yes{% else %}no{% endif %}", "yes" },
    { "{% for x in list %}{{ loop.index }}{{ x }}{% if not loop.last %},{% endif %}{% endfor %}",
      "1a,2b,3c" },
    { "{% for x in empty %}{{ x }}{% else %}none{% endfor %}", "none" },
    { "{% for k, v in user %}{{ k }}={{ v }};{% endfor %}", "name=Ada;age=36;" },
    { "[\n  {%- for m in turns %}\n  {{ m }},\n  {%- endfor %}\n  last\n]", "[\n  1,\n  2,\n  last\n]" },
    { "{% set greeting = 'Hi ' ~ name %}{{ greeting }}{# a comment #}.", "Hi Ada." },
    { "{{ 'yes' if user.age > 30 else 'no' }} {{ 2 + 3 * 4 }} {{ 7 / 2 }}", "yes 14 3.5" },
    { "{{ 'b' in list }} {{ 'z' in list }} {{ 'ell' in 'hello' }}", "true false true" },
    { "no tags at all", "no tags at all" },
    { "{{ name }", "ERROR template line 1, column 1: “{{” is not closed" },
    { "line\n{{ name | shout }}", "ERROR template line 2, column 11: the filter “shout” is not one Routewise knows" },
    { "{% if name %}open", "ERROR template line 1, column 1: {% if %} has no {% endif %}" },
    { "{% macro x() %}{% endmacro %}", "ERROR template line 1, column 1: {% macro %} is not a tag Routewise knows" },
  };
  const char *vars = "{\"name\": \"Ada\", \"user\": {\"name\": \"Ada\", \"age\": 36},"
                     " \"list\": [\"a\", \"b\", \"c\"], \"empty\": [], \"turns\": [1, 2]}";

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *got = render (cases[i].template, vars);
      if (g_strcmp0 (got, cases[i].want) != 0)
        g_error ("%s: got “%s”, want “%s”", cases[i].template, got, cases[i].want);
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/Rw/Grader/numeric-agrees-with-gsm8k", test_numeric_agrees_with_gsm8k);
  g_test_add_func ("/Rw/Grader/final-number", test_final_number);
  g_test_add_func ("/Rw/Grader/choice", test_choice);
  g_test_add_func ("/Rw/Grader/text", test_text_graders);
  g_test_add_func ("/Rw/Grader/json", test_json_grader);
  g_test_add_func ("/Rw/Grader/contains-json-and-sql", test_json_and_sql_graders);
  g_test_add_func ("/Rw/Grader/lists", test_list_graders);
  g_test_add_func ("/Rw/Grader/scripts", test_script_graders);
  g_test_add_func ("/Rw/Grader/tool-call", test_tool_call_grader);
  g_test_add_func ("/Rw/Grader/bad-graders", test_bad_graders);
  g_test_add_func ("/Rw/Report/statistics", test_statistics);
  g_test_add_func ("/Rw/Suite/parse", test_suites);
  g_test_add_func ("/Rw/Suite/bundled", test_bundled_suites);
  g_test_add_func ("/Rw/Suite/promptfoo-config", test_promptfoo_config);
  g_test_add_func ("/Rw/Suite/promptfoo-default-test-file", test_promptfoo_default_test_file);
  g_test_add_func ("/Rw/Yaml/parse", test_yaml);
  g_test_add_func ("/Rw/Template/nunjucks", test_template);
  return g_test_run ();
}
