/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>
#include <routewise-eval.h>

#include "rw-mock-upstream.h"
#include "rw-test-fixtures.h"
#include "rw-test-util.h"

typedef struct
{
  RwTestWorld *world;
  RwMockUpstream *mock;       /* the world's */
  RwCatalog *catalog;
  RwRouter *router;
  RwJudge *judge;
} Fixture;

static void
fixture_setup (Fixture       *f,
               gconstpointer  data)
{
  f->world = rw_test_world_new (
    "{\"providers\": [{\"id\": \"mock\", \"kind\": \"openai\", \"base_url\": \"$URL\"}],"
    " \"models\": [{\"id\": \"mock/judge\", \"provider\": \"mock\", \"name\": \"judge\"}]}",
    FALSE);
  f->mock = f->world->mock;
  f->catalog = f->world->catalog;
  f->router = f->world->router;
  rw_router_set_retries (f->router, 0, 1, 1);
  f->judge = rw_judge_new (f->router, rw_catalog_lookup_model (f->catalog, "mock/judge"));
}

static void
fixture_teardown (Fixture       *f,
                  gconstpointer  data)
{
  g_object_unref (f->judge);
  rw_test_world_free (f->world);
}

static RwMockReply *
says (const char *text)
{
  const char * const pieces[] = { text, NULL };
  return rw_mock_reply_new_stream (pieces, 100, 10, TRUE);
}

typedef struct
{
  gboolean done;
  gboolean ok;
  RwJudgeVerdict verdict;
  double rating;
  char *detail;
  GError *error;
} Outcome;

static void
pair_cb (GObject      *object,
         GAsyncResult *res,
         gpointer      data)
{
  Outcome *o = data;
  o->ok = rw_judge_pairwise_finish (RW_JUDGE (object), res, &o->verdict, &o->detail, &o->error);
  o->done = TRUE;
}

static void
point_cb (GObject      *object,
          GAsyncResult *res,
          gpointer      data)
{
  Outcome *o = data;
  o->ok = rw_judge_pointwise_finish (RW_JUDGE (object), res, &o->rating, &o->detail, &o->error);
  o->done = TRUE;
}

static void
outcome_clear (Outcome *o)
{
  g_free (o->detail);
  g_clear_error (&o->error);
  memset (o, 0, sizeof *o);
}

static void
pairwise (Fixture *f,
          Outcome *o)
{
  rw_judge_pairwise_async (f->judge, "Which is right?", "answer ONE", "answer TWO", NULL, pair_cb, o);
  rw_test_wait_until (&o->done);
}

/* A judge that always prefers the first position: asked in both orders, the bias cancels. */
static void
test_position_bias_cancels (Fixture       *f,
                            gconstpointer  data)
{
  Outcome o = { 0 };

  rw_mock_upstream_set_default (f->mock, "judge", says ("The first one is better. [[A]]"));
  pairwise (f, &o);
  g_assert_true (o.ok);
  g_assert_cmpint (o.verdict, ==, RW_JUDGE_TIE);
  g_assert_cmpuint (rw_mock_upstream_count (f->mock, "judge"), ==, 2);
  outcome_clear (&o);
}

/* A judge that prefers one answer wherever it stands: the verdict stands. */
static void
test_consistent_preference (Fixture       *f,
                            gconstpointer  data)
{
  RwMockReply *two_first = says ("[[A]]");
  RwMockReply *two_second = says ("[[B]]");
  Outcome o = { 0 };

  /* The request bodies are JSON: a newline in them is written as \n. */
  two_first->match = g_strdup ("A's Answer]\\nanswer TWO");
  two_second->match = g_strdup ("A's Answer]\\nanswer ONE");
  rw_mock_upstream_push (f->mock, "judge", two_first);
  rw_mock_upstream_push (f->mock, "judge", two_second);
  pairwise (f, &o);
  g_assert_true (o.ok);
  g_assert_cmpint (o.verdict, ==, RW_JUDGE_SECOND);
  g_assert_nonnull (strstr (o.detail, "first answer as A: B"));
  outcome_clear (&o);
}

static void
test_tie_and_failure (Fixture       *f,
                      gconstpointer  data)
{
  Outcome o = { 0 };

  rw_mock_upstream_set_default (f->mock, "judge", says ("Both are equally good. [[C]]"));
  pairwise (f, &o);
  g_assert_true (o.ok);
  g_assert_cmpint (o.verdict, ==, RW_JUDGE_TIE);
  outcome_clear (&o);

  rw_mock_upstream_set_default (f->mock, "judge", says ("I cannot decide."));
  pairwise (f, &o);
  g_assert_false (o.ok);
  g_assert_error (o.error, RW_ERROR, RW_ERROR_BAD_RESPONSE);
  outcome_clear (&o);
}

static void
test_pointwise (Fixture       *f,
                gconstpointer  data)
{
  Outcome o = { 0 };
  g_autofree char *body = NULL;

  rw_mock_upstream_push (f->mock, "judge", says ("Accurate and clear. Rating: [[8]]"));
  rw_judge_pointwise_async (f->judge, "What is 2+2?", "4", "Correctness first.", "4", NULL,
                            point_cb, &o);
  rw_test_wait_until (&o.done);
  g_assert_true (o.ok);
  g_assert_cmpfloat (o.rating, ==, 8);
  body = rw_mock_upstream_dup_last_body (f->mock);
  g_assert_nonnull (strstr (body, "Correctness first."));
  g_assert_nonnull (strstr (body, "Reference Answer"));
  outcome_clear (&o);

  rw_mock_upstream_push (f->mock, "judge", says ("Rating: [[11]]"));
  rw_judge_pointwise_async (f->judge, "q", "a", NULL, NULL, NULL, point_cb, &o);
  rw_test_wait_until (&o.done);
  g_assert_false (o.ok);
  outcome_clear (&o);
}

static void
test_parse (void)
{
  g_assert_cmpfloat (rw_judge_parse_rating ("Rating: [[7]]"), ==, 7);
  g_assert_cmpfloat (rw_judge_parse_rating ("[[3]] then on reflection [[9.5]]"), ==, 9.5);
  g_assert_true (isnan (rw_judge_parse_rating ("Rating: 7")));
  g_assert_true (isnan (rw_judge_parse_rating ("[[0]]")));
  g_assert_cmpint (rw_judge_parse_choice ("so [[B]]"), ==, 'B');
  g_assert_cmpint (rw_judge_parse_choice ("[[A]] no wait [[C]]"), ==, 'C');
  g_assert_cmpint (rw_judge_parse_choice ("[[D]]"), ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, func) \
  g_test_add ("/Rw/Judge/" path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("position-bias-cancels", test_position_bias_cancels);
  ADD ("consistent-preference", test_consistent_preference);
  ADD ("tie-and-failure", test_tie_and_failure);
  ADD ("pointwise", test_pointwise);
#undef ADD
  g_test_add_func ("/Rw/Judge/parse", test_parse);
  return g_test_run ();
}
