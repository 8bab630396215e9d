/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>
#include <routewise-eval.h>

#define RW_EVAL_COMPILATION
#include "rw-offline-private.h"
#undef RW_EVAL_COMPILATION

#include "rw-test-fixtures.h"
#include "rw-test-util.h"

/* The maximum-likelihood condition: every model's wins equal its expected wins. */
static double
worst_gradient (guint         k,
                const double *w,
                const double *theta)
{
  double worst = 0;

  for (guint i = 0; i < k; i++)
    {
      double g = 0;
      for (guint j = 0; j < k; j++)
        if (j != i)
          g += w[i * k + j] - (w[i * k + j] + w[j * k + i]) / (1 + exp (theta[j] - theta[i]));
      worst = MAX (worst, fabs (g));
    }
  return worst;
}

/* Synthetic games between models of known strength: the fit is the exact maximum-likelihood
 * estimate and lands near the truth; ties count half; a model that never lost needs the
 * prior and says so. */
static void
test_bradley_terry (void)
{
  const double truth[] = { 1.0, 0.4, 0.0, -0.6, -0.8 };
  const guint k = G_N_ELEMENTS (truth);
  double w[25] = { 0 }, theta[5], sum = 0;
  g_autoptr(GRand) rng = g_rand_new_with_seed (7);
  guint iterations;
  gboolean regularized;

  for (guint n = 0; n < 200000; n++)
    {
      guint i = g_rand_int_range (rng, 0, k), j = g_rand_int_range (rng, 0, k);
      double p;
      if (i == j)
        continue;
      p = 1 / (1 + exp (truth[j] - truth[i]));
      if (g_rand_double (rng) < 0.1)
        {
          w[i * k + j] += 0.5;
          w[j * k + i] += 0.5;
        }
      else if (g_rand_double (rng) < p)
        w[i * k + j] += 1;
      else
        w[j * k + i] += 1;
    }
  g_assert_true (rw_bradley_terry_fit (k, w, theta, &iterations, &regularized));
  g_assert_false (regularized);
  g_assert_cmpuint (iterations, <, 20);
  g_assert_cmpfloat (worst_gradient (k, w, theta), <, 1e-6);
  for (guint i = 0; i < k; i++)
    sum += theta[i];
  g_assert_cmpfloat (fabs (sum), <, 1e-9);
  for (guint i = 0; i < k; i++)
    /* The truth, centred; ties pull strengths together a little. */
    g_assert_cmpfloat (fabs (theta[i] - (truth[i] - 0.0)), <, 0.15);
  for (guint i = 0; i + 1 < k; i++)
    g_assert_cmpfloat (theta[i], >, theta[i + 1]);

  /* Model 0 never loses: no finite estimate, so the prior steps in, and it still ranks first. */
  {
    double undefeated[9] = { 0, 5, 3,
                             0, 0, 4,
                             0, 2, 0 };
    double t[3];
    g_assert_true (rw_bradley_terry_fit (3, undefeated, t, NULL, &regularized));
    g_assert_true (regularized);
    g_assert_cmpfloat (t[0], >, t[1]);
    g_assert_true (isfinite (t[0]));
  }
}

/* Ratings from comparisons: the same pair judged twice by one source counts once; ranks tie
 * where intervals overlap; win rates are the observed shares. */
static void
test_ratings (void)
{
  g_autoptr(RwComparisons) c = rw_comparisons_new ();
  g_autoptr(JsonNode) rated = NULL;
  JsonArray *tasks, *models;
  JsonObject *all, *first;

  for (guint i = 0; i < 300; i++)
    {
      rw_comparisons_add (c, "code", "strong", "weak", i % 10 < 8 ? 1 : 0, 1, NULL);
      rw_comparisons_add (c, "code", "strong", "twin", i % 10 < 8 ? 1 : 0, 1, NULL);
      rw_comparisons_add (c, "code", "weak", "twin", i % 2 ? 1 : 0.5, 1, NULL);
    }
  g_assert_true (rw_comparisons_add (c, "chat", "weak", "strong", 1, 1, "r1 r2 judge"));
  g_assert_false (rw_comparisons_add (c, "chat", "weak", "strong", 1, 1, "r1 r2 judge"));
  g_assert_cmpuint (rw_comparisons_get_n_duplicates (c), ==, 1);
  g_assert_false (rw_comparisons_add (c, "chat", "weak", "weak", 1, 1, NULL));

  rated = rw_comparisons_rate (c, NULL, 100, 1);
  tasks = json_object_get_array_member (json_node_get_object (rated), "tasks");
  g_assert_cmpuint (json_array_get_length (tasks), ==, 3);
  all = json_array_get_object_element (tasks, 0);
  g_assert_cmpstr (json_object_get_string_member (all, "task"), ==, "all");
  g_assert_cmpint (json_object_get_int_member (all, "comparisons"), ==, 901);

  models = json_object_get_array_member (json_array_get_object_element (tasks, 2), "models");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (tasks, 2), "task"), ==, "code");
  first = json_array_get_object_element (models, 0);
  g_assert_cmpstr (json_object_get_string_member (first, "model"), ==, "strong");
  g_assert_cmpint (json_object_get_int_member (first, "rank"), ==, 1);
  g_assert_cmpfloat (json_object_get_double_member (first, "ci_low"), <, json_object_get_double_member (first, "rating"));
  g_assert_cmpfloat (json_object_get_double_member (first, "ci_high"), >, json_object_get_double_member (first, "rating"));
  /* weak beat twin in 3 of 4 games (ties halved): ranked apart, or tied when the intervals
   * overlap; both below the strong one. */
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (models, 1), "rank"), >=, 2);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (models, 2), "rank"), >=, 2);
  g_assert_cmpfloat_with_epsilon (json_object_get_double_member (
    json_object_get_object_member (json_object_get_object_member (json_array_get_object_element (tasks, 2),
                                                                  "win_rates"), "strong"), "weak"), 0.8, 1e-12);
}

static void
test_classifier (void)
{
  const char *math[] = { "What is 12 times 7?", "Solve for x: 3x + 4 = 19", "Compute the integral of x squared",
                         "How many apples remain if 5 of 12 are eaten?", "Find the sum of the first 10 primes" };
  const char *code[] = { "Write a Python function that reverses a list", "Fix this JavaScript bug in my loop",
                         "Explain this C pointer error", "Write a SQL query joining two tables",
                         "Refactor this Rust function to avoid clones" };
  g_autoptr(RwTextClassifier) c = rw_text_classifier_new (0);
  g_autoptr(RwTextClassifier) back = NULL;
  g_autoptr(JsonNode) json = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  double p;

  for (guint i = 0; i < G_N_ELEMENTS (math); i++)
    {
      rw_text_classifier_add (c, math[i], "math");
      rw_text_classifier_add (c, code[i], "code");
    }
  g_assert_cmpstr (rw_text_classifier_predict (c, "Write a Python script to sort a list", &p), ==, "code");
  g_assert_cmpfloat (p, >, 0.5);
  g_assert_cmpstr (rw_text_classifier_predict (c, "What is 7 times 8?", NULL), ==, "math");

  json = rw_text_classifier_to_json (c);
  back = rw_text_classifier_new_from_json (json, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat_with_epsilon (rw_text_classifier_probability (back, "Solve 2x = 8", "math"),
                                  rw_text_classifier_probability (c, "Solve 2x = 8", "math"), 1e-12);

  g_assert_true (json_parser_load_from_data (parser, "{\"type\": \"naive-bayes\", \"buckets\": 16, "
                                             "\"labels\": {\"a\": {\"documents\": 1, \"counts\": {\"99\": 1}}}}", -1, NULL));
  g_assert_null (rw_text_classifier_new_from_json (json_parser_get_root (parser), &error));
  g_assert_error (error, RW_ERROR, RW_ERROR_CONFIG);
  g_clear_error (&error);

  /* A bucket or a label named twice in a file counts as its last, as JSON objects go. */
  {
    static const char once[] = "{\"type\": \"naive-bayes\", \"buckets\": 16, \"labels\": {"
      "\"a\": {\"documents\": 2, \"counts\": {\"3\": 1}}, \"b\": {\"documents\": 1, \"counts\": {\"4\": 2}}}}";
    static const char twice[] = "{\"type\": \"naive-bayes\", \"buckets\": 16, \"labels\": {"
      "\"a\": {\"documents\": 9, \"counts\": {\"3\": 7, \"5\": 4}}, \"b\": {\"documents\": 1, \"counts\": {\"4\": 2}},"
      " \"a\": {\"documents\": 2, \"counts\": {\"3\": 5, \"3\": 1}}}}";
    g_autoptr(RwJsonDoc) d1 = rw_json_doc_parse (once, strlen (once), NULL);
    g_autoptr(RwJsonDoc) d2 = rw_json_doc_parse (twice, strlen (twice), NULL);
    g_autoptr(RwTextClassifier) c1 = rw_text_classifier_new_from_doc (d1, RW_JSON_ROOT, &error);
    g_autoptr(RwTextClassifier) c2 = rw_text_classifier_new_from_doc (d2, RW_JSON_ROOT, &error);

    g_assert_no_error (error);
    g_assert_cmpfloat_with_epsilon (rw_text_classifier_probability (c1, "unseen words", "a"),
                                    rw_text_classifier_probability (c2, "unseen words", "a"), 1e-12);
    g_assert_cmpfloat (rw_text_classifier_probability (c1, "unseen words", "a"), >, 0.5);
  }

  /* Smoothing: one word seen once with each label. Asked for the first word, a label's chance
   * is (1 + a) / (1 + 2a) with smoothing a: 0.1 for a classifier trained now, 1 for a file
   * written before files said. */
  {
    g_autoptr(RwTextClassifier) two = rw_text_classifier_new (0);
    g_autoptr(JsonNode) node = NULL;
    g_autoptr(RwTextClassifier) old = NULL;
    JsonObject *obj;
    const char *bad[] = { "0", "-1", "\"much\"", "1e9" };

    rw_text_classifier_add (two, "apple", "a");
    rw_text_classifier_add (two, "banana", "b");
    g_assert_cmpfloat_with_epsilon (rw_text_classifier_probability (two, "apple", "a"), 1.1 / 1.2, 1e-12);
    node = rw_text_classifier_to_json (two);
    obj = json_node_get_object (node);
    g_assert_cmpfloat (json_object_get_double_member (obj, "smoothing"), ==, 0.1);
    json_object_remove_member (obj, "smoothing");
    old = rw_text_classifier_new_from_json (node, &error);
    g_assert_no_error (error);
    g_assert_cmpfloat_with_epsilon (rw_text_classifier_probability (old, "apple", "a"), 2.0 / 3, 1e-12);
    g_assert_cmpfloat_with_epsilon (rw_text_classifier_probability (old, "banana", "b"), 2.0 / 3, 1e-12);
    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autofree char *text = g_strdup_printf ("{\"type\": \"naive-bayes\", \"buckets\": 16, "
                                                 "\"smoothing\": %s, \"labels\": {}}", bad[i]);
        g_assert_true (json_parser_load_from_data (parser, text, -1, NULL));
        g_assert_null (rw_text_classifier_new_from_json (json_parser_get_root (parser), &error));
        g_assert_error (error, RW_ERROR, RW_ERROR_CONFIG);
        g_assert_nonnull (strstr (error->message, "smoothing"));
        g_clear_error (&error);
      }
  }
}

/* A policy file's rules come before its classifier; a request's own task before both. */
/* A word of four letters, different for each @i below 26³: what it says cannot carry from one
 * prompt to the next. */
static char *
letters_word (guint i)
{
  return g_strdup_printf ("q%c%c%c", 'a' + i % 26, 'a' + i / 26 % 26, 'a' + i / 676 % 26);
}

/* A prompt of 8 words of four characters, all seen nowhere else: @numbers of them numbers (1000
 * and up), the rest letters. Every such prompt is as long as the others. */
static char *
shaped_prompt (guint  *next,
               guint   numbers)
{
  GString *s = g_string_new (NULL);

  for (guint w = 0; w < 8; w++)
    {
      g_autofree char *word = w < numbers ? g_strdup_printf ("%u", 1000 + *next)
                                          : letters_word (*next);
      g_string_append_printf (s, "%s%s", w ? " " : "", word);
      ++*next;
    }
  return g_string_free (s, FALSE);
}

/* The router reads a prompt's shape as well as its words: how many numbers it holds, counted
 * as rw_text_count_numbers() counts them. Taught that a model fails prompts full of numbers and
 * passes prompts of words, it expects that of new prompts whose every word is new, of the same
 * length. Its file keeps it; a file without the numbers routes by length alone, as before. */
static void
test_prompt_router_shape (void)
{
  const char *tasks[] = { "t" };
  const double probs[] = { 1 };
  g_autoptr(RwPromptRouter) router = rw_prompt_router_new (0);
  g_autoptr(RwPromptRouter) back = NULL;
  g_autoptr(RwPromptRouter) old = NULL;
  g_autoptr(JsonNode) json = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *many = NULL, *few = NULL;
  JsonObject *obj, *model;
  guint next = 0, n, distinct;
  double q_many, q_few;

  rw_text_count_numbers ("Sold 1,250.5 apples at $3, then 3 pears; x2 and 4th.", &n, &distinct);
  g_assert_cmpuint (n, ==, 4);
  g_assert_cmpuint (distinct, ==, 3);
  rw_text_count_numbers ("no numbers here, v2", &n, &distinct);
  g_assert_cmpuint (n, ==, 0);
  g_assert_cmpuint (distinct, ==, 0);

  for (guint i = 0; i < 200; i++)
    {
      g_autofree char *numeric = shaped_prompt (&next, 6);
      g_autofree char *wordy = shaped_prompt (&next, 0);

      rw_prompt_router_add (router, "a/x", numeric, "t", 0);
      rw_prompt_router_add (router, "a/x", wordy, "t", 1);
    }
  rw_prompt_router_train (router);
  many = shaped_prompt (&next, 6);
  few = shaped_prompt (&next, 0);
  q_many = rw_prompt_router_quality (router, "a/x", many, tasks, probs, 1);
  q_few = rw_prompt_router_quality (router, "a/x", few, tasks, probs, 1);
  g_assert_cmpfloat (q_many, <, 0.2);
  g_assert_cmpfloat (q_few, >, 0.8);

  json = rw_prompt_router_to_json (router);
  obj = json_node_get_object (json);
  g_assert_true (json_object_has_member (obj, "numbers_mean"));
  g_assert_cmpfloat (json_object_get_double_member (obj, "distinct_numbers_sd"), >, 0);
  model = json_object_get_object_member (json_object_get_object_member (obj, "models"), "a/x");
  g_assert_cmpfloat (json_object_get_double_member (model, "numbers"), <, 0);
  back = rw_prompt_router_new_from_json (json, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat_with_epsilon (rw_prompt_router_quality (back, "a/x", many, tasks, probs, 1),
                                  q_many, 1e-4);

  /* Written before the numbers counted: only the length and the words. */
  for (guint k = 0; k < 2; k++)
    {
      const char *name = k == 0 ? "numbers" : "distinct_numbers";
      g_autofree char *mean = g_strconcat (name, "_mean", NULL);
      g_autofree char *sd = g_strconcat (name, "_sd", NULL);

      json_object_remove_member (obj, mean);
      json_object_remove_member (obj, sd);
      json_object_remove_member (model, name);
    }
  json_object_set_double_member (model, "length", 0);
  json_object_set_object_member (model, "weights", json_object_new ());
  json_object_set_object_member (model, "tasks", json_object_new ());
  json_object_set_double_member (model, "bias", 1.5);
  old = rw_prompt_router_new_from_json (json, &error);
  g_assert_no_error (error);
  g_assert_cmpfloat_with_epsilon (rw_prompt_router_quality (old, "a/x", many, tasks, probs, 1),
                                  1 / (1 + exp (-1.5)), 1e-9);

  /* A mean without its spread, or a spread of 0, is refused. */
  {
    g_autoptr(RwPromptRouter) bad = NULL;

    json_object_set_double_member (obj, "numbers_mean", 1);
    bad = rw_prompt_router_new_from_json (json, &error);
    g_assert_null (bad);
    g_assert_error (error, RW_ERROR, RW_ERROR_CONFIG);
    g_assert_nonnull (strstr (error->message, "numbers_sd"));
    g_clear_error (&error);
    json_object_set_double_member (obj, "numbers_sd", 0);
    bad = rw_prompt_router_new_from_json (json, &error);
    g_assert_null (bad);
    g_assert_error (error, RW_ERROR, RW_ERROR_CONFIG);
    g_clear_error (&error);
  }
}

static void
test_policy_rules (void)
{
  g_autoptr(RwPolicy) policy = rw_policy_new ();
  g_autoptr(RwTextClassifier) c = rw_text_classifier_new (0);
  g_autoptr(JsonNode) cj = NULL;
  g_autofree char *classifier = NULL;
  g_autofree char *json = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(RwChatRequest) a = rw_chat_request_new_for_prompt ("Please write some Python for me");
  g_autoptr(RwChatRequest) b = rw_chat_request_new_for_prompt ("What is 6 times 7?");
  g_autoptr(RwChatRequest) d = rw_chat_request_new_for_prompt ("Translate: TICKET-123 is late");
  g_autoptr(RwChatRequest) e = rw_chat_request_new_for_prompt ("Pythonic? what is 2 times 2");
  g_autofree char *ta = NULL, *tb = NULL, *td = NULL, *te = NULL;

  rw_text_classifier_add (c, "what is 3 times 4", "math");
  rw_text_classifier_add (c, "tell me a story", "chat");
  cj = rw_text_classifier_to_json (c);
  classifier = json_to_string (cj, FALSE);
  json = g_strdup_printf ("{\"version\": 1, \"default\": [\"x/a\"], \"tasks\": {\"code\": [\"x/b\"]},"
                          " \"rules\": [{\"task\": \"code\", \"keywords\": [\"python\", \"rust\"]},"
                          "             {\"task\": \"support\", \"regex\": \"TICKET-\\\\d+\"}],"
                          " \"classifier\": %s, \"learned\": {\"anything\": 1}}", classifier);
  g_assert_true (rw_policy_load_data (policy, "p.json", json, -1, &error));
  g_assert_no_error (error);
  g_assert_cmpstr ((ta = rw_policy_classify (policy, a)), ==, "code");
  g_assert_cmpstr ((tb = rw_policy_classify (policy, b)), ==, "math");
  g_assert_cmpstr ((td = rw_policy_classify (policy, d)), ==, "support");
  /* "Pythonic" is not the word "python". */
  g_assert_cmpstr ((te = rw_policy_classify (policy, e)), ==, "math");

  g_assert_false (rw_policy_load_data (policy, "bad.json", "{\"default\": [], \"rules\": [{\"task\": \"x\", "
                                       "\"regex\": \"(\"}]}", -1, &error));
  g_assert_error (error, RW_ERROR, RW_ERROR_CONFIG);
  /* The refused file changed nothing. */
  g_clear_pointer (&td, g_free);
  g_assert_cmpstr ((td = rw_policy_classify (policy, d)), ==, "support");
}

static void
add_outcome (GPtrArray  *out,
             const char *item,
             const char *task,
             const char *prompt,
             const char *model,
             double      score,
             double      cost)
{
  RwOutcome *o = g_new0 (RwOutcome, 1);
  o->item = g_strdup (item);
  o->task = g_strdup (task);
  o->prompt = g_strdup (prompt);
  o->model = g_strdup (model);
  o->score = score;
  o->cost_usd = cost;
  o->latency_ms = 100;
  g_ptr_array_add (out, o);
}

/* Two tasks: in "trivia" the cheap model is nearly as good, in "proofs" it is hopeless; and
 * within trivia, the cheap model fails only on prompts that say "obscure". */
static GPtrArray *
synthetic_outcomes (void)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) rw_outcome_free);

  for (guint i = 0; i < 400; i++)
    {
      g_autofree char *item = g_strdup_printf ("i%u", i);
      gboolean proof = i % 4 == 0, obscure = i % 5 == 0;
      g_autofree char *prompt = proof ? g_strdup_printf ("Prove lemma %u about primes and groups", i)
                                      : g_strdup_printf ("%s trivia question number %u about capitals",
                                                         obscure ? "An obscure" : "A simple", i);
      const char *task = proof ? "proofs" : "trivia";

      add_outcome (out, item, task, prompt, "big/model", proof ? (i % 8 == 0 ? 1 : 0.75 > (i % 3) / 3.0) : 1, 0.01);
      add_outcome (out, item, task, prompt, "small/model", proof ? 0 : obscure ? 0 : 1, 0.0005);
    }
  return out;
}

/* A model with no known cost is never free: learning refuses it by name, or leaves it out and
 * says so; a budget then picks among priced models only, and the evaluation does the same. */
static void
test_unpriced (void)
{
  g_autoptr(GPtrArray) outcomes = synthetic_outcomes ();
  RwLearnerOptions frugal = { 0, 5.0, 0, 0 };
  RwLearnerOptions allowing = { 0, 5.0, 0, 0, NULL, TRUE };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) refused = NULL, policy = NULL, eval = NULL;
  g_autofree char *text = NULL;
  JsonArray *left_out;

  for (guint i = 0; i < 400; i++)
    {
      g_autofree char *item = g_strdup_printf ("i%u", i);
      add_outcome (outcomes, item, i % 4 == 0 ? "proofs" : "trivia", "A question", "free/model", 1,
                   NAN);
    }
  refused = rw_learner_learn (outcomes, NULL, &frugal, &error);
  g_assert_null (refused);
  g_assert_error (error, RW_ERROR, RW_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "free/model"));
  g_assert_nonnull (strstr (error->message, "--allow-unpriced"));
  g_clear_error (&error);

  policy = rw_learner_learn (outcomes, NULL, &allowing, &error);
  g_assert_no_error (error);
  left_out = json_object_get_array_member (json_object_get_object_member (
                                             json_node_get_object (policy), "learned"),
                                           "excluded_unpriced");
  g_assert_cmpuint (json_array_get_length (left_out), ==, 1);
  g_assert_cmpstr (json_array_get_string_element (left_out, 0), ==, "free/model");
  {
    /* No route leads to it. */
    g_autoptr(JsonNode) routes = json_node_copy (json_object_get_member (json_node_get_object (policy),
                                                                         "tasks"));
    g_autofree char *tasks = rw_json_to_string (routes, FALSE);
    g_autofree char *fallback = rw_json_to_string (json_object_get_member (json_node_get_object (policy),
                                                                           "default"), FALSE);
    g_assert_null (strstr (tasks, "free/model"));
    g_assert_null (strstr (fallback, "free/model"));
  }
  text = rw_json_to_string (policy, FALSE);
  g_assert_nonnull (strstr (text, "\"allow_unpriced\":true"));
  eval = rw_offline_evaluate (outcomes, json_node_get_object (policy), 3, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (eval);
}

/* Outcomes from anywhere: costs as the file gives them, the catalog's prices where it gives
 * none, a missing latency left missing, each row's score a grade, and a row not of the form
 * refused by its line with nothing stored. */
static void
test_import_outcomes (void)
{
  g_autoptr(RwTestStore) db = rw_test_store_new ();
  g_autoptr(RwCatalog) catalog = rw_catalog_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = rw_test_make_tmpdir ();
  g_autofree char *csv = g_build_filename (dir, "calls.csv", NULL);
  g_autofree char *jsonl = g_build_filename (dir, "calls.jsonl", NULL);
  g_autofree char *bad = g_build_filename (dir, "bad.jsonl", NULL);
  g_autofree char *run = NULL, *run2 = NULL;
  g_autoptr(GPtrArray) outcomes = NULL;
  guint n = 0;

  g_assert_true (rw_catalog_load_data (catalog, "t",
    "{\"providers\": [{\"id\": \"p\", \"kind\": \"openai\", \"base_url\": \"http://127.0.0.1:9/v1\"}],"
    " \"models\": [{\"id\": \"p/priced\", \"provider\": \"p\", \"name\": \"priced\","
    "  \"input_price\": 1000000, \"output_price\": 0}]}", -1, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_set_contents (csv,
    "item,task,prompt,model,score,cost,latency_ms\n"
    "q1,math,What is 2+2?,p/big,1,0.02,850\n"
    "q1,math,What is 2+2?,p/small,0,0.001,\n"
    "q2,,Name a colour,p/big,0.5,0.02,900\n", -1, NULL));
  g_assert_true (g_file_set_contents (jsonl,
    "{\"item\": \"q3\", \"task\": \"math\", \"prompt\": \"abcdefgh\", \"model\": \"p/priced\","
    " \"score\": 1}\n\n", -1, NULL));
  g_assert_true (g_file_set_contents (bad,
    "{\"item\": \"q4\", \"prompt\": \"x\", \"model\": \"m\", \"score\": 1}\n"
    "{\"item\": \"q5\", \"prompt\": \"x\", \"model\": \"m\", \"score\": 7}\n", -1, NULL));

  g_assert_null (rw_outcomes_import (db->store, catalog, bad, &n, &error));
  g_assert_error (error, RW_ERROR, RW_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "bad.jsonl:2: score must be a number from 0 to 1"));
  g_clear_error (&error);
  /* An item is one prompt of one task: rows that say otherwise are refused, not merged. */
  g_assert_true (g_file_set_contents (bad,
    "{\"item\": \"q4\", \"task\": \"math\", \"prompt\": \"x\", \"model\": \"m\", \"score\": 1}\n"
    "{\"item\": \"q4\", \"task\": \"math\", \"prompt\": \"y\", \"model\": \"n\", \"score\": 1}\n", -1, NULL));
  g_assert_null (rw_outcomes_import (db->store, catalog, bad, &n, &error));
  g_assert_nonnull (strstr (error->message, "bad.jsonl:2: item “q4” has another prompt"));
  g_clear_error (&error);
  g_assert_true (g_file_set_contents (bad,
    "{\"item\": \"q4\", \"task\": \"math\", \"prompt\": \"x\", \"model\": \"m\", \"score\": 1}\n"
    "{\"item\": \"q4\", \"task\": \"code\", \"prompt\": \"x\", \"model\": \"n\", \"score\": 1}\n", -1, NULL));
  g_assert_null (rw_outcomes_import (db->store, catalog, bad, &n, &error));
  g_assert_nonnull (strstr (error->message, "bad.jsonl:2: item “q4” is of the task “code” here"));
  g_clear_error (&error);
  /* Malformed JSON is named by the file's line and the line's column. */
  g_assert_true (g_file_set_contents (bad,
    "{\"item\": \"q4\", \"prompt\": \"x\", \"model\": \"m\", \"score\": 1}\n\n"
    "{\"item\": \"q5\", \"prompt\": \"x\", \"model\": \"m\", \"score\": 1e999}\n", -1, NULL));
  g_assert_null (rw_outcomes_import (db->store, catalog, bad, &n, &error));
  g_assert_cmpstr (error->message, ==,
                   "bad.jsonl:3: not valid JSON: column 54: a number too large for a double");
  g_clear_error (&error);
  g_assert_true (g_file_set_contents (bad, "[1]\n", -1, NULL));
  g_assert_null (rw_outcomes_import (db->store, catalog, bad, &n, &error));
  g_assert_cmpstr (error->message, ==, "bad.jsonl:1: not a JSON object");
  g_clear_error (&error);

  run = rw_outcomes_import (db->store, catalog, csv, &n, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 2);
  run2 = rw_outcomes_import (db->store, catalog, jsonl, &n, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 1);
  g_assert_cmpint (rw_test_db_int (db->path, "SELECT count(*) FROM responses"), ==, 4);
  g_assert_cmpint (rw_test_db_int (db->path, "SELECT count(*) FROM responses WHERE item_id = 'q4'"),
                   ==, 0);
  /* The same file again would count its outcomes twice: refused, naming the run that holds it,
   * with nothing stored. The same rows under another name are the same data. */
  g_assert_true (rw_store_flush (db->store, NULL));
  for (guint again = 0; again < 2; again++)
    {
      g_autofree char *copy = g_build_filename (dir, again ? "calls.csv" : "copy.csv", NULL);
      g_autofree char *contents = NULL;

      g_assert_true (g_file_get_contents (csv, &contents, NULL, NULL));
      g_assert_true (g_file_set_contents (copy, contents, -1, NULL));
      g_assert_null (rw_outcomes_import (db->store, catalog, copy, &n, &error));
      g_assert_error (error, RW_ERROR, RW_ERROR_CONFIG);
      if (strstr (error->message, "was imported already, as run ") == NULL ||
          strstr (error->message, run) == NULL)
        g_error ("unexpected message: %s", error->message);
      g_clear_error (&error);
    }
  g_assert_cmpint (rw_test_db_int (db->path, "SELECT count(*) FROM responses"), ==, 4);
  /* Costs as given; from the catalog's price where missing: 2 estimated tokens at $1 each. */
  g_assert_cmpint (rw_test_db_int (db->path, "SELECT round(cost_usd * 1000) FROM responses "
                                             "WHERE model = 'p/small'"), ==, 1);
  g_assert_cmpint (rw_test_db_int (db->path, "SELECT round(cost_usd) FROM responses "
                                             "WHERE model = 'p/priced'"), ==, 2);
  g_assert_cmpint (rw_test_db_int (db->path, "SELECT count(*) FROM responses "
                                             "WHERE latency_ms IS NULL"), ==, 2);
  g_assert_cmpint (rw_test_db_int (db->path, "SELECT count(*) FROM votes"), ==, 1);
  g_assert_cmpint (rw_test_db_int (db->path, "SELECT count(*) FROM responses WHERE task = 'general'"),
                   ==, 1);

  outcomes = rw_outcomes_load (db->store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (outcomes->len, ==, 4);
  for (guint i = 0; i < outcomes->len; i++)
    {
      RwOutcome *o = outcomes->pdata[i];
      if (g_str_equal (o->model, "p/small"))
        {
          g_assert_cmpfloat (o->score, ==, 0);
          g_assert_true (isnan (o->latency_ms));
        }
      if (g_str_equal (o->model, "p/big") && g_str_equal (o->item, "q1"))
        g_assert_cmpfloat_with_epsilon (o->latency_ms, 850, 1e-9);
    }
  rw_store_close (db->store);
  rw_test_rmtree (dir);
}

/* A file written by a spreadsheet (a byte order mark, CRLF line ends) imports as any other, and
 * a model that answered an item twice gave two samples of it: each is compared with the other
 * models' answer of the same sample, never with the model's own other sample. */
static void
test_import_outcomes_samples (void)
{
  g_autoptr(RwTestStore) db = rw_test_store_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = rw_test_make_tmpdir ();
  g_autofree char *csv = g_build_filename (dir, "sheet.csv", NULL);
  g_autofree char *jsonl = g_build_filename (dir, "calls.jsonl", NULL);
  g_autofree char *run = NULL, *run2 = NULL;
  guint n = 0;

  g_assert_true (g_file_set_contents (csv,
    "\xef\xbb\xbfitem,prompt,model,score,cost\r\n"
    "q1,What is 2+2?,a/x,1,0.01\r\n"
    "q1,What is 2+2?,a/x,0,0.01\r\n"
    "q1,What is 2+2?,b/y,1,0.02\r\n"
    "q1,What is 2+2?,b/y,1,0.02\r\n"
    "q1,What is 2+2?,c/z,0.5,0.03\r\n", -1, NULL));
  g_assert_true (g_file_set_contents (jsonl,
    "\xef\xbb\xbf{\"item\": \"q2\", \"prompt\": \"Name a colour\", \"model\": \"a/x\","
    " \"score\": 1, \"cost\": 0.01}\n", -1, NULL));

  run = rw_outcomes_import (db->store, NULL, csv, &n, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 1);
  run2 = rw_outcomes_import (db->store, NULL, jsonl, &n, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 1);
  g_assert_true (rw_store_flush (db->store, NULL));
  g_assert_cmpint (rw_test_db_int (db->path, "SELECT count(*) FROM responses WHERE item_id = 'q2' "
                                             "AND model = 'a/x'"), ==, 1);
  g_assert_cmpint (rw_test_db_int (db->path, "SELECT count(DISTINCT sample) FROM responses "
                                             "WHERE item_id = 'q1' AND model = 'a/x'"), ==, 2);
  /* Sample 0: a-b, a-c, b-c; sample 1: a-b. */
  g_assert_cmpint (rw_test_db_int (db->path, "SELECT count(*) FROM votes"), ==, 4);
  g_assert_cmpint (rw_test_db_int (db->path,
                                   "SELECT count(*) FROM votes v JOIN responses a ON a.id = v.response_a "
                                   "JOIN responses b ON b.id = v.response_b "
                                   "WHERE a.model = b.model OR a.sample != b.sample"), ==, 0);
  /* a/x's second sample (0) lost to b/y's second (1). */
  g_assert_cmpint (rw_test_db_int (db->path,
                                   "SELECT count(*) FROM votes v JOIN responses a ON a.id = v.response_a "
                                   "WHERE a.sample = 1 AND a.model = 'a/x' AND v.outcome = 'b'"), ==, 1);
  rw_store_close (db->store);
  rw_test_rmtree (dir);
}

static void
test_learn_and_evaluate (void)
{
  g_autoptr(GPtrArray) outcomes = synthetic_outcomes ();
  RwLearnerOptions quality_first = { 0, 0, 0, 0 };
  RwLearnerOptions frugal = { 0, 5.0, 0, 0 };   /* at most $5 per 1,000 requests */
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) p1 = rw_learner_learn (outcomes, NULL, &quality_first, &error);
  g_autoptr(JsonNode) p2 = NULL;
  g_autoptr(JsonNode) eval = NULL;
  g_autoptr(RwPolicy) loaded = rw_policy_new ();
  g_autofree char *text = NULL;
  g_autofree char *report = NULL;
  JsonObject *tasks, *learned, *sw;
  JsonArray *routers;
  g_autoptr(RwChatRequest) req = rw_chat_request_new_for_prompt ("Prove lemma 9 about primes and groups");
  g_autofree char *task = NULL;

  g_assert_no_error (error);
  tasks = json_object_get_object_member (json_node_get_object (p1), "tasks");
  /* Quality first: trivia goes to the model that is always right, proofs too. */
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (tasks, "trivia"), 0), ==, "big/model");
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (tasks, "proofs"), 0), ==, "big/model");
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (tasks, "trivia"), 1), ==, "small/model");
  learned = json_object_get_object_member (json_node_get_object (p1), "learned");
  g_assert_cmpfloat (json_object_get_double_member (learned, "classifier_accuracy"), >, 0.95);
  /* Without a budget, no spending was chosen, so no score was measured for it. */
  g_assert_true (json_object_get_null_member (learned, "expected_quality"));

  /* The learned file is what the router loads, classifier included. */
  text = json_to_string (p1, FALSE);
  g_assert_true (rw_policy_load_data (loaded, "learned.json", text, -1, &error));
  g_assert_no_error (error);
  g_assert_cmpstr ((task = rw_policy_classify (loaded, req)), ==, "proofs");

  /* A budget: within trivia, the prompts the cheap model answers (the simple ones) move to
   * it, and the obscure ones stay with the good one; proofs keep the good one. The router
   * decides per prompt, from the file, as serve loads it. */
  p2 = rw_learner_learn (outcomes, NULL, &frugal, &error);
  g_assert_no_error (error);
  tasks = json_object_get_object_member (json_node_get_object (p2), "tasks");
  g_assert_cmpstr (json_array_get_string_element (json_object_get_array_member (tasks, "proofs"), 0), ==, "big/model");
  learned = json_object_get_object_member (json_node_get_object (p2), "learned");
  g_assert_cmpfloat (json_object_get_double_member (learned, "expected_cost_per_1k"), <=, 5.0 + 1e-9);
  /* The spending within the budget was chosen by what it scored on prompts routed as new. */
  g_assert_cmpfloat (json_object_get_double_member (learned, "expected_quality"), >, 0.5);
  g_assert_cmpfloat (json_object_get_double_member (learned, "expected_quality"), <=, 1);
  g_clear_pointer (&text, g_free);
  text = json_to_string (p2, FALSE);
  g_assert_true (rw_policy_load_data (loaded, "frugal.json", text, -1, &error));
  g_assert_no_error (error);
  {
    const struct { const char *prompt, *task, *model; } want[] = {
      { "A simple trivia question number 1001 about capitals", "trivia", "small/model" },
      { "An obscure trivia question number 1005 about capitals", "trivia", "big/model" },
      { "Prove lemma 1001 about primes and groups", "proofs", "big/model" },
    };

    for (guint i = 0; i < G_N_ELEMENTS (want); i++)
      {
        g_autoptr(RwChatRequest) r = rw_chat_request_new_for_prompt (want[i].prompt);
        g_autofree char *t = rw_policy_classify (loaded, r);
        g_auto(GStrv) order = rw_policy_route (loaded, RW_POLICY_AUTO_MODEL, t, r);
        double q_big, q_small, c_big, c_small;

        g_assert_cmpstr (t, ==, want[i].task);
        g_assert_cmpstr (order[0], ==, want[i].model);
        g_assert_cmpuint (g_strv_length (order), ==, 2);
        /* What it expects of each model: the obscure and the proof need the big one. */
        g_assert_true (rw_policy_estimate (loaded, r, t, "big/model", &q_big, &c_big));
        g_assert_true (rw_policy_estimate (loaded, r, t, "small/model", &q_small, &c_small));
        g_assert_cmpfloat (c_big, >, c_small);
        /* The same, for several models at once; one it does not know has none. */
        {
          const char *models[] = { "small/model", "big/model", "no/model" };
          double q[3], c[3];

          rw_policy_estimate_all (loaded, r, t, models, 3, q, c);
          g_assert_cmpfloat (q[0], ==, q_small);
          g_assert_cmpfloat (q[1], ==, q_big);
          g_assert_cmpfloat (c[1], ==, c_big);
          g_assert_true (isnan (q[2]) && isnan (c[2]));
        }
        if (i == 0)
          g_assert_cmpfloat (q_small, >, 0.8);
        else
          g_assert_cmpfloat (q_big - q_small, >, 0.4);
        /* A concrete model asked for is never reordered. */
        g_strfreev (order);
        order = rw_policy_route (loaded, "small/model", t, r);
        g_assert_cmpstr (order[0], ==, "small/model");
      }
  }

  /* Held out: the policy against every single model, random and the oracle. */
  eval = rw_offline_evaluate (outcomes, json_node_get_object (p2), 5, NULL, NULL, &error);
  g_assert_no_error (error);
  {
    JsonObject *e = json_node_get_object (eval);
    JsonObject *pol = json_object_get_object_member (e, "policy");
    JsonArray *base = json_object_get_array_member (e, "baselines");
    double big = 0, small = 0, oracle = 0, big_q = 0, small_c = 0, t;
    JsonObject *mix = NULL;

    g_assert_cmpint (json_object_get_int_member (e, "items"), ==, 400);
    for (guint i = 0; i < json_array_get_length (base); i++)
      {
        JsonObject *r = json_array_get_object_element (base, i);
        const char *name = json_object_get_string_member (r, "name");
        double q = json_object_get_double_member (r, "quality");
        if (g_str_equal (name, "big/model")) big = json_object_get_double_member (r, "cost_usd");
        if (g_str_equal (name, "big/model")) big_q = q;
        if (g_str_equal (name, "small/model")) small = q;
        if (g_str_equal (name, "small/model"))
          small_c = json_object_get_double_member (r, "cost_usd");
        if (g_str_equal (name, "oracle")) oracle = q;
        if (g_str_equal (name, "zero router")) mix = r;
        g_assert_true (json_object_has_member (r, "aiq"));
      }
    /* The mix of the two single models that costs what the policy costs lies on the line
     * between their points; the per-task policy beats it here, where tasks differ. */
    g_assert_nonnull (mix);
    t = (json_object_get_double_member (pol, "cost_usd") - small_c) / (big - small_c);
    g_assert_cmpfloat_with_epsilon (json_object_get_double_member (mix, "cost_usd"),
                                    json_object_get_double_member (pol, "cost_usd"), 1e-12);
    g_assert_cmpfloat_with_epsilon (json_object_get_double_member (mix, "quality"),
                                    small + t * (big_q - small), 1e-9);
    g_assert_cmpfloat_with_epsilon (json_object_get_double_member (
                                      json_object_get_object_member (mix, "mix"), "big/model"),
                                    t, 1e-9);
    g_assert_cmpfloat (json_object_get_double_member (pol, "quality"), >,
                       json_object_get_double_member (mix, "quality"));
    /* Cheaper than always asking the big model, better than always the small one. */
    g_assert_cmpfloat (json_object_get_double_member (pol, "cost_usd"), <, big);
    g_assert_cmpfloat (json_object_get_double_member (pol, "quality"), >, small);
    g_assert_cmpfloat (json_object_get_double_member (pol, "quality"), <=, oracle);
  }

  /* RouteLLM's measures: the learned order recovers more of the gap than random order. */
  sw = json_object_get_object_member (json_node_get_object (eval), "strong_weak");
  g_assert_cmpstr (json_object_get_string_member (sw, "strong"), ==, "big/model");
  routers = json_object_get_array_member (sw, "routers");
  {
    double learned_apgr = json_object_get_double_member (json_array_get_object_element (routers, 0), "apgr");
    double random_apgr = json_object_get_double_member (json_array_get_object_element (routers, 1), "apgr");
    double oracle_apgr = json_object_get_double_member (json_array_get_object_element (routers, 2), "apgr");
    g_assert_cmpfloat (learned_apgr, >, random_apgr + 0.2);
    g_assert_cmpfloat (fabs (random_apgr - 0.5), <, 0.1);
    g_assert_cmpfloat (oracle_apgr, >=, learned_apgr);
  }
  /* Cancelled, learning and the held-out evaluation stop and say so. */
  {
    g_autoptr(GCancellable) stop = g_cancellable_new ();
    RwLearnerOptions cancelled = frugal;
    g_autoptr(JsonNode) none = NULL;
    g_autoptr(GError) why = NULL;

    g_cancellable_cancel (stop);
    cancelled.cancellable = stop;
    none = rw_learner_learn (outcomes, NULL, &cancelled, &why);
    g_assert_null (none);
    g_assert_error (why, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_clear_error (&why);
    none = rw_offline_evaluate_cancellable (outcomes, json_node_get_object (p2), 5, NULL, NULL,
                                            stop, &why);
    g_assert_null (none);
    g_assert_error (why, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  }
  report = rw_offline_evaluation_to_text (eval);
  g_assert_nonnull (strstr (report, "| random |"));
  g_assert_nonnull (strstr (report, "APGR"));
  g_assert_nonnull (strstr (report, "names no task"));
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (eval), "tasks"), ==,
                   "predicted");

  /* Requests that name their task: each is routed by its label, and the report says so. */
  {
    RwOfflineOptions named = { .folds = 5, .decisions = TRUE, .named_tasks = TRUE };
    g_autoptr(JsonNode) e2 = rw_offline_evaluate_with (outcomes, json_node_get_object (p2), &named,
                                                       &error);
    g_autofree char *named_report = NULL;
    JsonArray *decisions;

    g_assert_no_error (error);
    g_assert_cmpstr (json_object_get_string_member (json_node_get_object (e2), "tasks"), ==, "named");
    decisions = json_object_get_array_member (json_node_get_object (e2), "decisions");
    g_assert_cmpuint (json_array_get_length (decisions), ==, 400);
    for (guint i = 0; i < json_array_get_length (decisions); i++)
      {
        JsonObject *d = json_array_get_object_element (decisions, i);
        g_assert_cmpstr (json_object_get_string_member (d, "task"), ==,
                         json_object_get_string_member (d, "true_task"));
      }
    named_report = rw_offline_evaluation_to_text (e2);
    g_assert_nonnull (strstr (named_report, "names its task"));
  }
}

/* The zero router at a cost: the best that sending each request at random to one of two
 * single models reaches spending that much or less. */
static void
test_zero_router (void)
{
  /* cheap and poor, mid and best, dear and worse than mid */
  const double q[] = { 0.5, 0.9, 0.8 }, c[] = { 1, 2, 10 };
  const struct { double target, quality, cost; int a, b; double share; } want[] = {
    { 0.5, 0.5, 1, 0, 0, 0 },       /* below every model: the cheapest alone */
    { 1.5, 0.7, 1.5, 0, 1, 0.5 },   /* half and half */
    { 5, 0.9, 2, 1, 1, 0 },         /* the best model costs less: it alone, at its cost */
    { 20, 0.9, 2, 1, 1, 0 },        /* above every model: the best, not the dearest */
  };

  for (guint i = 0; i < G_N_ELEMENTS (want); i++)
    {
      int a, b;
      double share, cost;
      double got = _rw_offline_zero_router (q, c, 3, want[i].target, &a, &b, &share, &cost);

      g_assert_cmpfloat_with_epsilon (got, want[i].quality, 1e-12);
      g_assert_cmpfloat_with_epsilon (cost, want[i].cost, 1e-12);
      g_assert_cmpint (a, ==, want[i].a);
      g_assert_cmpint (b, ==, want[i].b);
      g_assert_cmpfloat_with_epsilon (share, want[i].share, 1e-12);
    }
}

static void
test_export (void)
{
  g_autoptr(GPtrArray) outcomes = synthetic_outcomes ();
  RwLearnerOptions o = { 0, 5.0, 0, 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) policy = rw_learner_learn (outcomes, NULL, &o, &error);
  g_autoptr(RwCatalog) catalog = rw_catalog_new ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *portkey = NULL, *openrouter = NULL, *litellm = NULL, *own = NULL;
  JsonObject *root, *strategy;
  JsonArray *conditions, *targets;

  g_setenv ("RW_LEARN_TEST_KEY", "sk-learn-secret-0123456789", TRUE);
  g_assert_true (rw_catalog_load_data (catalog, "t",
    "{\"providers\": [{\"id\": \"big\", \"kind\": \"openai\", \"base_url\": \"https://big.example/v1\","
    "                  \"api_key_env\": \"RW_LEARN_TEST_KEY\"},"
    "                 {\"id\": \"small\", \"kind\": \"anthropic\", \"base_url\": \"https://small.example/v1\","
    "                  \"api_key_env\": \"RW_LEARN_TEST_KEY\","
    "                  \"headers\": {\"X-Gateway-Token\": \"gw-secret-42\", \"anthropic-beta\": \"b1\"}}],"
    " \"models\": [{\"id\": \"big/model\", \"provider\": \"big\", \"name\": \"big-1\","
    "               \"openrouter_id\": \"openai/gpt-4o\"},"
    "             {\"id\": \"small/model\", \"provider\": \"small\", \"name\": \"small-1\"}]}", -1, &error));
  g_assert_no_error (error);

  portkey = rw_exporter_export (json_node_get_object (policy), catalog, "portkey", &error);
  g_assert_no_error (error);
  g_assert_true (json_parser_load_from_data (parser, portkey, -1, NULL));
  root = json_node_get_object (json_parser_get_root (parser));
  strategy = json_object_get_object_member (root, "strategy");
  g_assert_cmpstr (json_object_get_string_member (strategy, "mode"), ==, "conditional");
  conditions = json_object_get_array_member (strategy, "conditions");
  g_assert_cmpuint (json_array_get_length (conditions), ==, 2);
  targets = json_object_get_array_member (root, "targets");
  g_assert_cmpuint (json_array_get_length (targets), ==, 3);   /* proofs, trivia, default */
  {
    JsonObject *proofs = json_array_get_object_element (targets, 0);
    JsonArray *chain = json_object_get_array_member (proofs, "targets");
    g_assert_cmpstr (json_object_get_string_member (proofs, "name"), ==, "routewise-proofs");
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (proofs, "strategy"), "mode"), ==, "fallback");
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (chain, 0), "provider"), ==, "openai");
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (chain, 0), "custom_host"), ==,
                     "https://big.example/v1");
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (json_array_get_object_element (chain, 1),
                                                                                   "override_params"), "model"), ==, "small-1");
    /* Each target names its own provider's key variable; no key is in the file, and no header
     * of the caller's is passed on to every provider. */
    g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (chain, 0), "api_key"),
                     ==, "${RW_LEARN_TEST_KEY}");
    g_assert_false (json_object_has_member (json_array_get_object_element (chain, 1),
                                            "forward_headers"));
  }

  /* Portkey cannot carry the router per prompt nor find the task: said, with how the caller
   * names it. */
  {
    g_auto(GStrv) notes = NULL;
    g_autofree char *again = rw_exporter_export_with_notes (json_node_get_object (policy), catalog,
                                                            "portkey", &notes, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (g_strv_length (notes), ==, 3);
    g_assert_nonnull (strstr (notes[0], "the router per prompt:"));
    g_assert_nonnull (strstr (notes[1], "x-portkey-metadata"));
    g_assert_nonnull (strstr (notes[1], "routewise-cli classify"));
    /* The headers providers.json adds are named, their values never written. */
    g_assert_nonnull (strstr (notes[2], "the headers X-Gateway-Token, anthropic-beta that "
                                        "providers.json adds to small's requests"));
  }

  /* OpenRouter: its own ids; a model it does not serve is left out, and said; the policy's
   * budget makes it sort providers by price. */
  {
    g_auto(GStrv) notes = NULL;
    JsonObject *presets, *proofs;

    openrouter = rw_exporter_export_with_notes (json_node_get_object (policy), catalog,
                                                "openrouter", &notes, &error);
    g_assert_no_error (error);
    g_assert_true (json_parser_load_from_data (parser, openrouter, -1, NULL));
    presets = json_node_get_object (json_parser_get_root (parser));
    proofs = json_object_get_object_member (presets, "proofs");
    g_assert_cmpstr (json_object_get_string_member (proofs, "model"), ==, "openai/gpt-4o");
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (proofs, "models")), ==, 1);
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (proofs, "provider"),
                                                    "sort"), ==, "price");
    g_assert_null (strstr (openrouter, "small"));
    g_assert_null (strstr (openrouter, "big/model"));
    g_assert_nonnull (strstr (notes[g_strv_length (notes) - 1], "the models OpenRouter does not serve"));
    g_assert_nonnull (strstr (notes[g_strv_length (notes) - 1], "small/model"));
  }

  /* The fallbacks the policy names for a model asked for by name become LiteLLM's. */
  {
    g_autoptr(JsonNode) fb = json_from_string ("{\"big/model\": [\"small/model\"]}", NULL);
    json_object_set_member (json_node_get_object (policy), "fallbacks", g_steal_pointer (&fb));
  }
  litellm = rw_exporter_export (json_node_get_object (policy), catalog, "litellm", &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (litellm, "# Not carried: the router per prompt:"));
  g_assert_nonnull (strstr (litellm, "  - model_name: \"big/model\"\n"));
  g_assert_nonnull (strstr (litellm, "    - \"big/model\":\n        - \"small/model\"\n"));
  g_assert_nonnull (strstr (litellm, "api_key: \"os.environ/RW_LEARN_TEST_KEY\""));
  g_assert_nonnull (strstr (litellm, "model: \"anthropic/small-1\""));
  /* LiteLLM appends /v1/messages to an Anthropic api_base. */
  g_assert_nonnull (strstr (litellm, "api_base: \"https://small.example\"\n"));
  g_assert_nonnull (strstr (litellm, "api_base: \"https://big.example/v1\"\n"));
  g_assert_nonnull (strstr (litellm, "fallbacks:"));
  {
    /* The LiteLLM file is YAML a YAML reader takes. */
    g_autoptr(JsonNode) yaml = rw_yaml_parse (litellm, strlen (litellm), "litellm.yaml", &error);
    g_assert_no_error (error);
    g_assert_true (JSON_NODE_HOLDS_ARRAY (json_object_get_member (json_node_get_object (yaml), "model_list")));
  }
  own = rw_exporter_export (json_node_get_object (policy), catalog, "routewise", &error);
  g_assert_no_error (error);
  g_assert_nonnull (strstr (litellm, "# Not carried: the headers X-Gateway-Token, anthropic-beta"));
  for (const char *const *t = (const char *const[]) { portkey, openrouter, litellm, own, NULL }; *t; t++)
    {
      g_assert_null (strstr (*t, "sk-learn-secret"));
      g_assert_null (strstr (*t, "gw-secret-42"));
    }

  g_assert_null (rw_exporter_export (json_node_get_object (policy), catalog, "nginx", &error));
  g_assert_error (error, RW_ERROR, RW_ERROR_CONFIG);
  g_clear_error (&error);

  /* A policy none of whose models OpenRouter serves cannot be exported for it. */
  {
    g_autoptr(JsonNode) small_only = json_from_string ("{\"version\": 1, \"default\": [\"small/model\"]}",
                                                       NULL);
    g_assert_null (rw_exporter_export (json_node_get_object (small_only), catalog, "openrouter",
                                       &error));
    g_assert_error (error, RW_ERROR, RW_ERROR_CONFIG);
  }
}

/* RouteLLM's per-item correctness becomes a graded run: outcomes, and comparisons per pair. */
static void
test_routellm_import (void)
{
  g_autoptr(RwTestStore) tmp = rw_test_store_new ();
  const char *dir = tmp->dir;
  g_autofree char *csv = g_build_filename (dir, "mmlu_anatomy.csv", NULL);
  const char *db = tmp->path;
  g_autofree char *run = NULL;
  g_autoptr(RwCatalog) catalog = rw_catalog_new ();
  RwStore *store = tmp->store;
  g_autoptr(GPtrArray) outcomes = NULL;
  g_autoptr(RwComparisons) comparisons = rw_comparisons_new ();
  g_autoptr(GError) error = NULL;
  guint n = 0;

  g_assert_true (rw_catalog_load_defaults (catalog, NULL));
  g_assert_true (g_file_set_contents (csv,
    "prompt,mistralai/Mixtral-8x7B-Instruct-v0.1,gpt-4-1106-preview\n"
    "\"Which bone?\nA. femur\nB. ulna\nAnswer:\",True,True\n"
    "\"Which organ?\nA. liver\nB. lung\nAnswer:\",False,True\n", -1, NULL));
  run = rw_routellm_import (store, catalog, dir, &n, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 2);
  outcomes = rw_outcomes_load (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (outcomes->len, ==, 4);
  g_assert_cmpstr (((RwOutcome *) outcomes->pdata[0])->task, ==, "anatomy");
  g_assert_true (rw_comparisons_load_store (comparisons, store, &error));
  g_assert_cmpuint (rw_comparisons_get_n (comparisons), ==, 2);
  g_assert_cmpint (rw_test_db_int (db, "SELECT count(*) FROM responses WHERE model = 'recorded/gpt-4-1106-preview'"), ==, 2);
  g_assert_cmpint (rw_test_db_int (db, "SELECT count(*) FROM responses WHERE cost_usd > 0"), ==, 4);

  g_assert_true (g_file_set_contents (csv, "prompt,a,b\n\"q\",True,maybe\n", -1, NULL));
  g_assert_null (rw_routellm_import (store, catalog, csv, &n, &error));
  g_assert_error (error, RW_ERROR, RW_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "mmlu_anatomy.csv:2"));
}

/* A question that several subjects ask gets the task of the first subject by name, whatever
 * order the folder lists its files in and wherever the file names sit in memory: the same
 * folder imported twice, into two databases, files made in reverse order, labels it the same. */
static void
test_routellm_import_order (void)
{
  static const char * const subjects[] = {
    "virology", "anatomy", "sociology", "astronomy", "prehistory", "marketing", "nutrition",
    "philosophy", "management", "econometrics", "jurisprudence", "clinical_knowledge",
  };
  g_autoptr(RwTestStore) folder = rw_test_store_new_unopened ();
  g_autoptr(RwCatalog) catalog = rw_catalog_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (rw_catalog_load_defaults (catalog, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (subjects); i++)
    {
      g_autofree char *name = g_strdup_printf ("mmlu_%s.csv", subjects[i]);
      g_autofree char *csv = g_build_filename (folder->dir, name, NULL);
      g_autofree char *rows = g_strdup_printf (
        "prompt,mistralai/Mixtral-8x7B-Instruct-v0.1,gpt-4-1106-preview\n"
        "\"Shared question?\nA. yes\nB. no\nAnswer:\",True,False\n"
        "\"Only in %s?\nA. yes\nB. no\nAnswer:\",False,True\n", subjects[i]);

      g_assert_true (g_file_set_contents (csv, rows, -1, NULL));
    }
  for (guint round = 0; round < 2; round++)
    {
      g_autoptr(RwTestStore) db = rw_test_store_new ();
      guint n = 0;
      g_autofree char *run = rw_routellm_import (db->store, catalog, folder->dir, &n, &error);
      g_autofree char *task = NULL;

      g_assert_no_error (error);
      g_assert_true (rw_store_flush (db->store, NULL));
      task = rw_test_db_text (db->path, "SELECT task FROM prompts WHERE text LIKE 'Shared%'");
      g_assert_cmpstr (task, ==, "anatomy");
    }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/Rw/Learn/bradley-terry", test_bradley_terry);
  g_test_add_func ("/Rw/Learn/ratings", test_ratings);
  g_test_add_func ("/Rw/Learn/classifier", test_classifier);
  g_test_add_func ("/Rw/Learn/prompt-router-shape", test_prompt_router_shape);
  g_test_add_func ("/Rw/Learn/policy-rules", test_policy_rules);
  g_test_add_func ("/Rw/Learn/learn-and-evaluate", test_learn_and_evaluate);
  g_test_add_func ("/Rw/Learn/zero-router", test_zero_router);
  g_test_add_func ("/Rw/Learn/export", test_export);
  g_test_add_func ("/Rw/Learn/unpriced", test_unpriced);
  g_test_add_func ("/Rw/Learn/import-outcomes", test_import_outcomes);
  g_test_add_func ("/Rw/Learn/import-outcomes-samples", test_import_outcomes_samples);
  g_test_add_func ("/Rw/Learn/routellm-import", test_routellm_import);
  g_test_add_func ("/Rw/Learn/routellm-import-order", test_routellm_import_order);
  return g_test_run ();
}
