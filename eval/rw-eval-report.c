/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rw-eval-report.h"
#include "rw-json.h"

/*
 * The report of an evaluation run: per model and task, how many items passed with a 95%
 * interval, the mean score, what it cost, latency percentiles and failures. Every
 * (item, model, repetition) counts once: its successful answer if there is one, else as a
 * failure.
 */

/**
 * rw_wilson_interval:
 * @passed: successes
 * @n: trials
 * @low: (out): the lower bound
 * @high: (out): the upper bound
 *
 * The 95% Wilson score interval of a pass rate, which stays inside [0, 1] and behaves for
 * small n and for rates near 0 or 1.
 */
void
rw_wilson_interval (guint   passed,
                    guint   n,
                    double *low,
                    double *high)
{
  const double z = 1.959963984540054;
  double p, denom, centre, half;

  if (n == 0)
    {
      *low = 0;
      *high = 1;
      return;
    }
  p = (double) passed / n;
  denom = 1 + z * z / n;
  centre = (p + z * z / (2.0 * n)) / denom;
  half = z * sqrt (p * (1 - p) / n + z * z / (4.0 * n * n)) / denom;
  *low = MAX (0, centre - half);
  *high = MIN (1, centre + half);
}

/**
 * rw_sign_test:
 * @wins: pairs the first model won
 * @losses: pairs it lost (ties are left out)
 *
 * Returns: the two-sided p-value of the exact sign test: how likely a split at least this
 *   uneven is when both models are equally good
 */
double
rw_sign_test (guint wins,
              guint losses)
{
  guint n = wins + losses, k = MIN (wins, losses);
  double tail = 0;

  if (n == 0)
    return 1.0;
  for (guint i = 0; i <= k; i++)
    tail += exp (lgamma (n + 1.0) - lgamma (i + 1.0) - lgamma (n - i + 1.0) - n * log (2.0));
  return MIN (1.0, 2 * tail);
}

/*
 * A run's answers, grades and comparisons, added in any order, and the report made of them.
 * `eval report` fills one from the database; `eval run` fills one as it stores each row, so
 * that the report it prints at the end needs nothing read back. Either way the report is a
 * function of the set of rows alone: answers are counted in one fixed order (successful first,
 * then by id, which orders by creation), so that sums come out the same to the last bit.
 */

/* An answer's grades as the report counts them: the mean score and whether all passed, unless
 * a person graded it, whose latest grade overrides each of the two it gives. */
typedef struct
{
  double score_sum;
  guint n_scores;
  int pass;                 /* -1: none */
  int human_pass;           /* -1: none */
  double human_score;       /* NAN: none */
  gint64 human_score_ms;
  gint64 human_pass_ms;
  const char *human_score_id;
  const char *human_pass_id;
} Grade;

typedef struct
{
  const char *id;
  const char *item;         /* interned, as are model and task */
  const char *model;
  const char *task;
  gint64 sample;
  double cost;              /* NAN: unknown */
  double latency;           /* NAN: unknown */
  gboolean ok;
  gboolean cached;
} Answer;

typedef struct
{
  const char *a;            /* response ids */
  const char *b;
  const char *source;       /* interned */
  char outcome;             /* 'a', 'b', 't' (a tie, or both bad), 0 for anything else */
} Vote;

struct _RwEvalTally
{
  GStringChunk *strings;
  GHashTable *grades;       /* response id -> Grade */
  GArray *answers;          /* Answer */
  GArray *votes;            /* Vote */
};

/**
 * rw_eval_tally_new:
 *
 * Returns: (transfer full): an empty tally
 */
RwEvalTally *
rw_eval_tally_new (void)
{
  RwEvalTally *t = g_new0 (RwEvalTally, 1);

  t->strings = g_string_chunk_new (4096);
  t->grades = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  t->answers = g_array_new (FALSE, FALSE, sizeof (Answer));
  t->votes = g_array_new (FALSE, FALSE, sizeof (Vote));
  return t;
}

void
rw_eval_tally_free (RwEvalTally *t)
{
  if (t == NULL)
    return;
  g_hash_table_unref (t->grades);
  g_array_unref (t->answers);
  g_array_unref (t->votes);
  g_string_chunk_free (t->strings);
  g_free (t);
}

static const char *
intern (RwEvalTally *t,
        const char  *s)
{
  return g_string_chunk_insert_const (t->strings, s ? s : "");
}

/* Whether a grade made at @ms with @id comes after the one kept (@kept_ms, @kept_id). */
static gboolean
later (gint64      ms,
       const char *id,
       gint64      kept_ms,
       const char *kept_id)
{
  return kept_id == NULL || ms > kept_ms || (ms == kept_ms && strcmp (id, kept_id) > 0);
}

/**
 * rw_eval_tally_add_grade:
 * @t: a tally
 * @response_id: the graded answer
 * @human: whether a person gave it
 * @score: the score, or NAN for none
 * @pass: 1 passed, 0 failed, -1 none
 * @created_ms: when it was given
 * @id: the grade's id, which orders grades given in the same millisecond
 */
void
rw_eval_tally_add_grade (RwEvalTally *t,
                         const char  *response_id,
                         gboolean     human,
                         double       score,
                         int          pass,
                         gint64       created_ms,
                         const char  *id)
{
  Grade *g = g_hash_table_lookup (t->grades, response_id);

  if (g == NULL)
    {
      g = g_new0 (Grade, 1);
      g->pass = g->human_pass = -1;
      g->human_score = NAN;
      g_hash_table_insert (t->grades, g_string_chunk_insert (t->strings, response_id), g);
    }
  if (!isnan (score))
    {
      g->score_sum += score;
      g->n_scores++;
    }
  if (pass >= 0)
    g->pass = g->pass < 0 ? pass : MIN (g->pass, pass);
  if (human && !isnan (score) && later (created_ms, id, g->human_score_ms, g->human_score_id))
    {
      g->human_score = score;
      g->human_score_ms = created_ms;
      g->human_score_id = g_string_chunk_insert (t->strings, id);
    }
  if (human && pass >= 0 && later (created_ms, id, g->human_pass_ms, g->human_pass_id))
    {
      g->human_pass = pass;
      g->human_pass_ms = created_ms;
      g->human_pass_id = g_string_chunk_insert (t->strings, id);
    }
}

/**
 * rw_eval_tally_add_answer:
 * @t: a tally
 * @id: the response's id
 * @item: the suite item it answers
 * @model: the model that answered
 * @sample: which repetition it is
 * @ok: whether it is an answer (not a failure)
 * @task: the task it is filed under
 * @cost: what it cost in US dollars, NAN when unknown
 * @latency: how long it took in milliseconds, NAN when unknown
 * @cached: it was reused from an earlier answer
 */
void
rw_eval_tally_add_answer (RwEvalTally *t,
                          const char  *id,
                          const char  *item,
                          const char  *model,
                          gint64       sample,
                          gboolean     ok,
                          const char  *task,
                          double       cost,
                          double       latency,
                          gboolean     cached)
{
  Answer a = {
    .id = g_string_chunk_insert (t->strings, id),
    .item = intern (t, item),
    .model = intern (t, model),
    .task = intern (t, task ? task : "general"),
    .sample = sample,
    .cost = cost,
    .latency = latency,
    .ok = ok,
    .cached = cached,
  };

  g_array_append_val (t->answers, a);
}

/**
 * rw_eval_tally_add_vote:
 * @t: a tally
 * @response_a: (nullable): the first answer compared
 * @response_b: (nullable): the second
 * @source: where the outcome came from: "grader", "judge", "human"…
 * @outcome: "a", "b", "tie", "both_bad" or "best"
 */
void
rw_eval_tally_add_vote (RwEvalTally *t,
                        const char  *response_a,
                        const char  *response_b,
                        const char  *source,
                        const char  *outcome)
{
  Vote v;

  if (response_a == NULL || response_b == NULL || outcome == NULL)
    return;                     /* not a pairwise vote */
  v.a = g_string_chunk_insert (t->strings, response_a);
  v.b = g_string_chunk_insert (t->strings, response_b);
  v.source = intern (t, source);
  v.outcome = g_str_equal (outcome, "a") ? 'a' : g_str_equal (outcome, "b") ? 'b' :
              g_str_equal (outcome, "tie") || g_str_equal (outcome, "both_bad") ? 't' : 0;
  g_array_append_val (t->votes, v);
}

typedef struct
{
  const char *model;        /* interned: the key compares pointers */
  const char *task;
  guint n;
  guint passed;
  guint failed;
  guint cached;
  double score_sum;
  double cost;
  GArray *latencies;
} Cell;

static guint
cell_hash (gconstpointer p)
{
  const Cell *c = p;
  return g_direct_hash (c->model) * 31 + g_direct_hash (c->task);
}

static gboolean
cell_equal (gconstpointer a,
            gconstpointer b)
{
  const Cell *x = a, *y = b;
  return x->model == y->model && x->task == y->task;
}

static void
cell_free (Cell *c)
{
  g_array_unref (c->latencies);
  g_free (c);
}

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

/* @values: sorted */
static double
percentile (GArray *values,
            double  q)
{
  double pos;
  guint lo;

  if (values->len == 0)
    return NAN;
  pos = q * (values->len - 1);
  lo = (guint) floor (pos);
  if (lo + 1 >= values->len)
    return g_array_index (values, double, values->len - 1);
  return g_array_index (values, double, lo) +
         (pos - lo) * (g_array_index (values, double, lo + 1) - g_array_index (values, double, lo));
}

static Cell *
get_cell (GHashTable *cells,
          GPtrArray  *order,
          const char *model,
          const char *task)
{
  Cell probe = { .model = model, .task = task };
  Cell *c = g_hash_table_lookup (cells, &probe);

  if (c == NULL)
    {
      c = g_new0 (Cell, 1);
      c->model = model;
      c->task = task;
      c->latencies = g_array_new (FALSE, FALSE, sizeof (double));
      g_hash_table_add (cells, c);
      g_ptr_array_add (order, c);
    }
  return c;
}

static gint
compare_cells (gconstpointer a,
               gconstpointer b)
{
  const Cell *x = *(const Cell **) a, *y = *(const Cell **) b;
  int c = g_strcmp0 (x->model, y->model);

  if (c != 0)
    return c;
  /* The "all" row of a model comes first. */
  if (g_str_equal (x->task, "all") != g_str_equal (y->task, "all"))
    return g_str_equal (x->task, "all") ? -1 : 1;
  return g_strcmp0 (x->task, y->task);
}

/* Successful answers first, so that each (item, model, sample) counts its best outcome; then
 * the earliest. */
static gint
compare_answers (gconstpointer a,
                 gconstpointer b)
{
  const Answer *x = a, *y = b;

  if (x->ok != y->ok)
    return x->ok ? -1 : 1;
  return strcmp (x->id, y->id);
}

/* (item, model, sample): which answers were counted. */
static guint
answer_key_hash (gconstpointer p)
{
  const Answer *a = p;
  return (g_direct_hash (a->item) * 31 + g_direct_hash (a->model)) * 31 + (guint) a->sample;
}

static gboolean
answer_key_equal (gconstpointer a,
                  gconstpointer b)
{
  const Answer *x = a, *y = b;
  return x->item == y->item && x->model == y->model && x->sample == y->sample;
}

/* One line of the paired comparisons: two models and where the outcomes came from. */
typedef struct
{
  const char *model_a;      /* interned */
  const char *model_b;
  const char *source;
  guint wins;
  guint losses;
  guint ties;
} Pair;

static guint
pair_hash (gconstpointer p)
{
  const Pair *x = p;
  return (g_direct_hash (x->model_a) * 31 + g_direct_hash (x->model_b)) * 31 +
         g_direct_hash (x->source);
}

static gboolean
pair_equal (gconstpointer a,
            gconstpointer b)
{
  const Pair *x = a, *y = b;
  return x->model_a == y->model_a && x->model_b == y->model_b && x->source == y->source;
}

static gint
compare_pairs (gconstpointer x,
               gconstpointer y)
{
  const Pair *a = *(const Pair **) x, *b = *(const Pair **) y;
  int c = strcmp (a->model_a, b->model_a);

  if (c == 0)
    c = strcmp (a->model_b, b->model_b);
  return c != 0 ? c : strcmp (a->source, b->source);
}

/* The paired comparisons, in order of models and source, counted against the tally's answers;
 * NULL when a vote names an answer the tally does not have. */
static GPtrArray *
tally_pairs (RwEvalTally *t)
{
  g_autoptr(GHashTable) models = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) pairs = g_hash_table_new (pair_hash, pair_equal);
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < t->answers->len; i++)
    {
      Answer *a = &g_array_index (t->answers, Answer, i);
      g_hash_table_insert (models, (gpointer) a->id, (gpointer) a->model);
    }
  for (guint i = 0; i < t->votes->len; i++)
    {
      Vote *v = &g_array_index (t->votes, Vote, i);
      Pair probe = { 0 }, *p;

      probe.model_a = g_hash_table_lookup (models, v->a);
      probe.model_b = g_hash_table_lookup (models, v->b);
      probe.source = v->source;
      if (probe.model_a == NULL || probe.model_b == NULL)
        return NULL;
      p = g_hash_table_lookup (pairs, &probe);
      if (p == NULL)
        {
          p = g_memdup2 (&probe, sizeof probe);
          g_hash_table_add (pairs, p);
          g_ptr_array_add (out, p);
        }
      if (v->outcome == 'a')
        p->wins++;
      else if (v->outcome == 'b')
        p->losses++;
      else if (v->outcome == 't')
        p->ties++;
    }
  g_ptr_array_sort (out, compare_pairs);
  return g_steal_pointer (&out);
}

static void
add_number (JsonBuilder *b,
            const char  *name,
            double       v)
{
  json_builder_set_member_name (b, name);
  if (isfinite (v))
    json_builder_add_double_value (b, v);
  else
    json_builder_add_null_value (b);
}

/* The report: per model and task, then the paired comparisons (@pairs, or the tally's own). */
static JsonNode *
tally_report (RwEvalTally *t,
              const char  *run_id,
              const char  *status,
              JsonNode    *params,
              GPtrArray   *pairs)
{
  g_autoptr(GHashTable) cells = g_hash_table_new_full (cell_hash, cell_equal,
                                                       (GDestroyNotify) cell_free, NULL);
  g_autoptr(GHashTable) seen = g_hash_table_new (answer_key_hash, answer_key_equal);
  g_autoptr(GPtrArray) order = g_ptr_array_new ();
  g_autoptr(GPtrArray) own_pairs = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  const char *all = intern (t, "all");

  if (pairs == NULL && (pairs = own_pairs = tally_pairs (t)) == NULL)
    return NULL;

  g_array_sort (t->answers, compare_answers);
  for (guint i = 0; i < t->answers->len; i++)
    {
      Answer *a = &g_array_index (t->answers, Answer, i);
      Grade *g = g_hash_table_lookup (t->grades, a->id);
      double score = NAN;
      gboolean passed = FALSE;
      Cell *targets[2];

      if (!g_hash_table_add (seen, a))
        continue;
      if (g != NULL)
        {
          score = !isnan (g->human_score) ? g->human_score
                  : g->n_scores > 0 ? g->score_sum / g->n_scores : NAN;
          passed = (g->human_pass >= 0 ? g->human_pass : g->pass) == 1;
        }
      targets[0] = get_cell (cells, order, a->model, a->task);
      targets[1] = get_cell (cells, order, a->model, all);
      for (guint k = 0; k < 2; k++)
        {
          Cell *c = targets[k];

          c->n++;
          if (!isnan (a->cost))
            c->cost += a->cost;
          if (!a->ok)
            {
              c->failed++;
              continue;
            }
          if (a->cached)
            c->cached++;
          else if (!isnan (a->latency))
            g_array_append_val (c->latencies, a->latency);
          if (!isnan (score))
            c->score_sum += score;
          if (passed)
            c->passed++;
        }
    }
  g_ptr_array_sort (order, compare_cells);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "run_id");
  json_builder_add_string_value (b, run_id);
  json_builder_set_member_name (b, "status");
  json_builder_add_string_value (b, status);
  if (params != NULL)
    {
      json_builder_set_member_name (b, "params");
      json_builder_add_value (b, json_node_copy (params));
    }
  json_builder_set_member_name (b, "rows");
  json_builder_begin_array (b);
  for (guint i = 0; i < order->len; i++)
    {
      Cell *c = order->pdata[i];
      guint answered = c->n - c->failed;
      double low, high;

      rw_wilson_interval (c->passed, c->n, &low, &high);
      g_array_sort (c->latencies, compare_double);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "model");
      json_builder_add_string_value (b, c->model);
      json_builder_set_member_name (b, "task");
      json_builder_add_string_value (b, c->task);
      json_builder_set_member_name (b, "n");
      json_builder_add_int_value (b, c->n);
      json_builder_set_member_name (b, "passed");
      json_builder_add_int_value (b, c->passed);
      add_number (b, "pass_rate", c->n ? (double) c->passed / c->n : NAN);
      add_number (b, "ci_low", low);
      add_number (b, "ci_high", high);
      add_number (b, "mean_score", answered ? c->score_sum / answered : NAN);
      add_number (b, "cost_usd", c->cost);
      add_number (b, "latency_p10_ms", percentile (c->latencies, 0.1));
      add_number (b, "latency_p25_ms", percentile (c->latencies, 0.25));
      add_number (b, "latency_p50_ms", percentile (c->latencies, 0.5));
      add_number (b, "latency_p75_ms", percentile (c->latencies, 0.75));
      add_number (b, "latency_p90_ms", percentile (c->latencies, 0.9));
      json_builder_set_member_name (b, "failed");
      json_builder_add_int_value (b, c->failed);
      json_builder_set_member_name (b, "cached");
      json_builder_add_int_value (b, c->cached);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  /* Paired comparisons: the outcomes made from this run's pairs of answers. */
  json_builder_set_member_name (b, "pairs");
  json_builder_begin_array (b);
  for (guint i = 0; i < pairs->len; i++)
    {
      Pair *p = pairs->pdata[i];

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "model_a");
      json_builder_add_string_value (b, p->model_a);
      json_builder_set_member_name (b, "model_b");
      json_builder_add_string_value (b, p->model_b);
      json_builder_set_member_name (b, "source");
      json_builder_add_string_value (b, p->source);
      json_builder_set_member_name (b, "wins");
      json_builder_add_int_value (b, p->wins);
      json_builder_set_member_name (b, "losses");
      json_builder_add_int_value (b, p->losses);
      json_builder_set_member_name (b, "ties");
      json_builder_add_int_value (b, p->ties);
      add_number (b, "sign_test_p", rw_sign_test (p->wins, p->losses));
      json_builder_end_object (b);
    }
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/**
 * rw_eval_tally_to_report:
 * @t: a tally of a whole run
 * @run_id: the run
 * @status: its status
 * @params: (nullable): its parameters
 *
 * Returns: (transfer full) (nullable): the report, as rw_eval_report_build() makes it from
 *   the database; %NULL when a comparison names an answer that is not in @t
 */
JsonNode *
rw_eval_tally_to_report (RwEvalTally *t,
                         const char  *run_id,
                         const char  *status,
                         JsonNode    *params)
{
  return tally_report (t, run_id, status, params, NULL);
}

static gboolean
report_read_grade (const RwStoredGrade *g,
                   gpointer             data)
{
  rw_eval_tally_add_grade (data, g->response_id, g->human, g->score, g->pass, g->created_ms,
                           g->id);
  return TRUE;
}

static gboolean
report_read_answer (const RwStoredResponse *r,
                    gpointer                data)
{
  rw_eval_tally_add_answer (data, r->id, r->item_id, r->model, r->sample, r->ok, r->task,
                            r->cost_usd, r->latency_ms, r->cached);
  return TRUE;
}

static gboolean
report_read_vote (const RwStoredVote *v,
                  gpointer            data)
{
  rw_eval_tally_add_vote (data, v->response_a, v->response_b, v->source, v->outcome);
  return TRUE;
}

/* The run's paired comparisons counted by the store, for when a vote names an answer of another
 * run (which no run of ours makes). */
static GPtrArray *
report_query_pairs (RwStore      *store,
                    RwEvalTally  *t,
                    const char   *run_id,
                    GError      **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) tallies = rw_store_list_run_vote_tallies (store, run_id, error);

  if (tallies == NULL)
    return NULL;
  for (guint i = 0; i < tallies->len; i++)
    {
      RwStoredVoteTally *v = tallies->pdata[i];
      Pair *p = g_new0 (Pair, 1);

      p->model_a = intern (t, v->model_a);
      p->model_b = intern (t, v->model_b);
      p->source = intern (t, v->source);
      p->wins = v->wins;
      p->losses = v->losses;
      p->ties = v->ties;
      g_ptr_array_add (out, p);
    }
  return g_steal_pointer (&out);
}

/**
 * rw_eval_report_build:
 * @store: the database
 * @run_id: an evaluation run
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the report as JSON
 */
JsonNode *
rw_eval_report_build (RwStore     *store,
                      const char  *run_id,
                      GError     **error)
{
  g_autoptr(RwStoredRun) run = NULL;
  g_autoptr(RwEvalTally) t = rw_eval_tally_new ();
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local = NULL;
  JsonNode *run_params = NULL;
  JsonNode *report;

  if ((run = rw_store_lookup_run (store, run_id, "eval", &local)) == NULL)
    {
      if (local != NULL)
        g_propagate_error (error, g_steal_pointer (&local));
      else
        g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "there is no evaluation run %s", run_id);
      return NULL;
    }
  if (run->params != NULL && json_parser_load_from_data (parser, run->params, -1, NULL))
    run_params = json_parser_get_root (parser);

  if (!rw_store_foreach_run_grade (store, run_id, report_read_grade, t, error) ||
      !rw_store_foreach_run_response (store, run_id, report_read_answer, t, error) ||
      !rw_store_foreach_run_vote (store, run_id, report_read_vote, t, error))
    return NULL;

  report = tally_report (t, run_id, run->status, run_params, NULL);
  if (report == NULL)
    {
      g_autoptr(GPtrArray) pairs = report_query_pairs (store, t, run_id, error);

      if (pairs == NULL)
        return NULL;
      report = tally_report (t, run_id, run->status, run_params, pairs);
    }
  return report;
}

/* The formats are the fixed ones of this file. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static char *
fmt (JsonObject *row,
     const char *name,
     const char *format,
     double      scale)
{
  JsonNode *node = json_object_get_member (row, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return g_strdup ("–");
  return g_strdup_printf (format, json_node_get_double (node) * scale);
}
#pragma GCC diagnostic pop

/**
 * rw_eval_report_to_markdown:
 * @report: a report from rw_eval_report_build()
 *
 * Returns: (transfer full): the report as a Markdown table
 */
char *
rw_eval_report_to_markdown (JsonNode *report)
{
  JsonObject *root = json_node_get_object (report);
  JsonArray *rows = rw_json_object_get_array (root, "rows");
  GString *s = g_string_new (NULL);

  g_string_append_printf (s, "# Evaluation run %s (%s)\n\n", rw_json_object_get_string (root, "run_id", NULL),
                          rw_json_object_get_string (root, "status", NULL));
  g_string_append (s, "| model | task | n | pass rate | 95% interval | mean score | cost | "
                      "p50 latency | p90 latency | failed |\n"
                      "|---|---|---:|---:|---|---:|---:|---:|---:|---:|\n");
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *r = json_array_get_object_element (rows, i);
      g_autofree char *rate = fmt (r, "pass_rate", "%.1f%%", 100);
      g_autofree char *low = fmt (r, "ci_low", "%.1f", 100);
      g_autofree char *high = fmt (r, "ci_high", "%.1f%%", 100);
      g_autofree char *score = fmt (r, "mean_score", "%.3f", 1);
      g_autofree char *cost = fmt (r, "cost_usd", "$%.4f", 1);
      g_autofree char *p50 = fmt (r, "latency_p50_ms", "%.0f ms", 1);
      g_autofree char *p90 = fmt (r, "latency_p90_ms", "%.0f ms", 1);
      gboolean all = g_str_equal (rw_json_object_get_string (r, "task", NULL), "all");

      g_string_append_printf (s, "| %s%s%s | %s | %" G_GINT64_FORMAT " | %s | %s–%s | %s | %s | %s | %s | %"
                              G_GINT64_FORMAT " |\n",
                              all ? "**" : "", rw_json_object_get_string (r, "model", NULL), all ? "**" : "",
                              rw_json_object_get_string (r, "task", NULL),
                              rw_json_object_get_int (r, "n", 0), rate, low, high, score, cost, p50, p90,
                              rw_json_object_get_int (r, "failed", 0));
    }
  {
    JsonArray *pairs = rw_json_object_get_array (root, "pairs");

    if (pairs != NULL && json_array_get_length (pairs) > 0)
      {
        g_string_append (s, "\n## Paired comparisons\n\n"
                            "| model A | model B | from | A wins | B wins | ties | sign test p |\n"
                            "|---|---|---|---:|---:|---:|---:|\n");
        for (guint i = 0; i < json_array_get_length (pairs); i++)
          {
            JsonObject *r = json_array_get_object_element (pairs, i);
            g_string_append_printf (s, "| %s | %s | %s | %" G_GINT64_FORMAT " | %" G_GINT64_FORMAT
                                    " | %" G_GINT64_FORMAT " | %.3g |\n",
                                    rw_json_object_get_string (r, "model_a", NULL),
                                    rw_json_object_get_string (r, "model_b", NULL),
                                    rw_json_object_get_string (r, "source", NULL),
                                    rw_json_object_get_int (r, "wins", 0),
                                    rw_json_object_get_int (r, "losses", 0),
                                    rw_json_object_get_int (r, "ties", 0),
                                    rw_json_object_get_double (r, "sign_test_p", 0));
          }
      }
  }
  return g_string_free (s, FALSE);
}

/**
 * rw_eval_report_to_csv:
 * @report: a report from rw_eval_report_build()
 *
 * Returns: (transfer full): the report's rows as CSV
 */
char *
rw_eval_report_to_csv (JsonNode *report)
{
  static const char * const numbers[] = {
    "pass_rate", "ci_low", "ci_high", "mean_score", "cost_usd", "latency_p50_ms", "latency_p90_ms",
  };
  JsonArray *rows = rw_json_object_get_array (json_node_get_object (report), "rows");
  GString *s = g_string_new ("model,task,n,passed,pass_rate,ci_low,ci_high,mean_score,cost_usd,"
                             "latency_p50_ms,latency_p90_ms,failed,cached\n");

  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *r = json_array_get_object_element (rows, i);

      g_string_append_printf (s, "\"%s\",\"%s\",%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT,
                              rw_json_object_get_string (r, "model", NULL),
                              rw_json_object_get_string (r, "task", NULL),
                              rw_json_object_get_int (r, "n", 0), rw_json_object_get_int (r, "passed", 0));
      for (guint k = 0; k < G_N_ELEMENTS (numbers); k++)
        {
          g_autofree char *v = fmt (r, numbers[k], "%.6g", 1);
          g_string_append_printf (s, ",%s", g_str_equal (v, "–") ? "" : v);
        }
      g_string_append_printf (s, ",%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT "\n",
                              rw_json_object_get_int (r, "failed", 0),
                              rw_json_object_get_int (r, "cached", 0));
    }
  return g_string_free (s, FALSE);
}

/* ---------------------------------------------------------------------------------- HTML */

static void
append_escaped (GString    *s,
                const char *text)
{
  g_autofree char *escaped = g_markup_escape_text (text ? text : "", -1);
  g_string_append (s, escaped);
}

static double
num (JsonObject *row,
     const char *name)
{
  JsonNode *node = json_object_get_member (row, name);
  return node && !JSON_NODE_HOLDS_NULL (node) ? json_node_get_double (node) : NAN;
}

static const char * const palette[] = {
  "#3584e4", "#e66100", "#2ec27e", "#9141ac", "#c01c28", "#986a44", "#1c71d8", "#f5c211",
};

/* Cost of the whole run against pass rate, one point per model with its 95% interval. */
static void
append_cost_quality (GString   *s,
                     GPtrArray *all)
{
  const double W = 640, H = 360, L = 70, R = 20, T = 20, B = 50;
  double max_cost = 0;

  for (guint i = 0; i < all->len; i++)
    max_cost = MAX (max_cost, num (all->pdata[i], "cost_usd"));
  if (!(max_cost > 0))
    max_cost = 1;
  max_cost *= 1.15;

  g_string_append_printf (s, "<svg viewBox='0 0 %.0f %.0f' role='img' aria-label='Cost against quality'>", W, H);
  for (int t = 0; t <= 4; t++)
    {
      double y = T + (H - T - B) * (1 - t / 4.0);
      double x = L + (W - L - R) * t / 4.0;
      g_string_append_printf (s, "<line x1='%.1f' x2='%.1f' y1='%.1f' y2='%.1f' class='grid'/>"
                                 "<text x='%.1f' y='%.1f' class='tick' text-anchor='end'>%d%%</text>",
                              L, W - R, y, y, L - 8, y + 4, t * 25);
      g_string_append_printf (s, "<text x='%.1f' y='%.1f' class='tick' text-anchor='middle'>$%.3g</text>",
                              x, H - B + 18, max_cost * t / 4.0);
    }
  g_string_append_printf (s, "<text x='%.1f' y='%.1f' class='axis' text-anchor='middle'>cost of the run (US dollars)</text>",
                          L + (W - L - R) / 2, H - 8);
  g_string_append_printf (s, "<text transform='translate(16 %.1f) rotate(-90)' class='axis' text-anchor='middle'>pass rate</text>",
                          T + (H - T - B) / 2);
  for (guint i = 0; i < all->len; i++)
    {
      JsonObject *r = all->pdata[i];
      double x = L + (W - L - R) * num (r, "cost_usd") / max_cost;
      double y = T + (H - T - B) * (1 - num (r, "pass_rate"));
      double y0 = T + (H - T - B) * (1 - num (r, "ci_low"));
      double y1 = T + (H - T - B) * (1 - num (r, "ci_high"));
      const char *color = palette[i % G_N_ELEMENTS (palette)];

      g_string_append_printf (s, "<line x1='%.1f' x2='%.1f' y1='%.1f' y2='%.1f' stroke='%s' stroke-width='2'/>"
                                 "<circle cx='%.1f' cy='%.1f' r='7' fill='%s'><title>",
                              x, x, y0, y1, color, x, y, color);
      append_escaped (s, rw_json_object_get_string (r, "model", NULL));
      /* Labels of points in the right half go to their left, so they stay inside. */
      g_string_append_printf (s, ": %.1f%% for $%.4f</title></circle><text x='%.1f' y='%.1f' class='label' "
                                 "text-anchor='%s'>",
                              100 * num (r, "pass_rate"), num (r, "cost_usd"),
                              x > L + (W - L - R) / 2 ? x - 11 : x + 11, y - 10,
                              x > L + (W - L - R) / 2 ? "end" : "start");
      append_escaped (s, rw_json_object_get_string (r, "model", NULL));
      g_string_append (s, "</text>");
    }
  g_string_append (s, "</svg>");
}

/* Latency per model: the box spans the 25th to 75th percentile, the whiskers the 10th to
 * 90th, the bar is the median. */
static void
append_latency (GString   *s,
                GPtrArray *all)
{
  const double W = 640, row = 44, L = 230, R = 30, T = 10;
  double H = T + row * all->len + 40, max_ms = 0;

  for (guint i = 0; i < all->len; i++)
    max_ms = MAX (max_ms, num (all->pdata[i], "latency_p90_ms"));
  if (!(max_ms > 0))
    max_ms = 1;
  max_ms *= 1.1;

  g_string_append_printf (s, "<svg viewBox='0 0 %.0f %.0f' role='img' aria-label='Latency'>", W, H);
  for (int t = 0; t <= 4; t++)
    {
      double x = L + (W - L - R) * t / 4.0;
      /* As many decimals as the scale needs for its ticks to differ. */
      int decimals = max_ms >= 40 ? 0 : max_ms >= 4 ? 1 : max_ms >= 0.4 ? 2 : 3;
      g_string_append_printf (s, "<line x1='%.1f' x2='%.1f' y1='%.1f' y2='%.1f' class='grid'/>"
                                 "<text x='%.1f' y='%.1f' class='tick' text-anchor='middle'>%.*f ms</text>",
                              x, x, T, H - 30, x, H - 12, decimals, max_ms * t / 4.0);
    }
  for (guint i = 0; i < all->len; i++)
    {
      JsonObject *r = all->pdata[i];
      double y = T + row * i + row / 2;
      double x10 = L + (W - L - R) * num (r, "latency_p10_ms") / max_ms;
      double x25 = L + (W - L - R) * num (r, "latency_p25_ms") / max_ms;
      double x50 = L + (W - L - R) * num (r, "latency_p50_ms") / max_ms;
      double x75 = L + (W - L - R) * num (r, "latency_p75_ms") / max_ms;
      double x90 = L + (W - L - R) * num (r, "latency_p90_ms") / max_ms;
      const char *color = palette[i % G_N_ELEMENTS (palette)];

      g_string_append_printf (s, "<text x='%.1f' y='%.1f' class='label' text-anchor='end'>", L - 10, y + 4);
      append_escaped (s, rw_json_object_get_string (r, "model", NULL));
      g_string_append (s, "</text>");
      if (isnan (x50))
        continue;
      g_string_append_printf (s, "<line x1='%.1f' x2='%.1f' y1='%.1f' y2='%.1f' stroke='%s' stroke-width='2'/>"
                                 "<rect x='%.1f' y='%.1f' width='%.1f' height='20' fill='%s' fill-opacity='0.35' stroke='%s'/>"
                                 "<line x1='%.1f' x2='%.1f' y1='%.1f' y2='%.1f' stroke='%s' stroke-width='3'/>",
                              x10, x90, y, y, color, x25, y - 10, MAX (1, x75 - x25), color, color,
                              x50, x50, y - 10, y + 10, color);
    }
  g_string_append (s, "</svg>");
}

/**
 * rw_eval_report_to_html:
 * @report: a report from rw_eval_report_build()
 *
 * Returns: (transfer full): the report as one self-contained HTML page with its charts
 */
char *
rw_eval_report_to_html (JsonNode *report)
{
  JsonObject *root = json_node_get_object (report);
  JsonArray *rows = rw_json_object_get_array (root, "rows");
  JsonArray *pairs = rw_json_object_get_array (root, "pairs");
  JsonNode *params = json_object_get_member (root, "params");
  g_autoptr(GPtrArray) all = g_ptr_array_new ();
  GString *s = g_string_new (NULL);
  const char *suite = NULL;

  if (params && JSON_NODE_HOLDS_OBJECT (params))
    suite = rw_json_object_get_string (json_node_get_object (params), "suite", NULL);
  for (guint i = 0; i < json_array_get_length (rows); i++)
    if (g_str_equal (rw_json_object_get_string (json_array_get_object_element (rows, i), "task", NULL), "all"))
      g_ptr_array_add (all, json_array_get_object_element (rows, i));

  g_string_append (s, "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
                      "<meta name='viewport' content='width=device-width, initial-scale=1'><title>");
  append_escaped (s, suite ? suite : "Evaluation");
  g_string_append (s, " — Routewise evaluation</title><style>"
    "body{font:15px/1.5 Cantarell,'Noto Sans',system-ui,sans-serif;margin:0;background:#fafafa;color:#242424}"
    "main{max-width:1100px;margin:0 auto;padding:32px 24px 48px}"
    "h1{font-size:26px;margin:0 0 4px}h2{font-size:18px;margin:36px 0 12px}"
    ".sub{color:#6f6f6f;margin:0 0 24px}.cards{display:flex;gap:16px;flex-wrap:wrap}"
    ".card{background:#fff;border-radius:12px;box-shadow:0 1px 3px rgba(0,0,0,.12);padding:16px 20px;flex:1;min-width:220px}"
    ".card b{display:block;font-size:24px}.card span{color:#6f6f6f;font-size:13px}"
    "table{border-collapse:collapse;width:100%;background:#fff;border-radius:12px;overflow:hidden;box-shadow:0 1px 3px rgba(0,0,0,.12)}"
    "th,td{padding:8px 12px;text-align:right;border-bottom:1px solid #eee;font-variant-numeric:tabular-nums}"
    "th:nth-child(-n+2),td:nth-child(-n+2){text-align:left}th{background:#f3f3f3;font-weight:600}"
    "tr.all td{font-weight:600;background:#f8fbff}.bar{display:inline-block;height:8px;background:#3584e4;border-radius:4px;vertical-align:middle;margin-right:6px}"
    ".charts{display:grid;grid-template-columns:1fr 1fr;gap:16px}.chart{background:#fff;border-radius:12px;box-shadow:0 1px 3px rgba(0,0,0,.12);padding:12px}"
    "h3{font-size:14px;font-weight:600;margin:4px 8px 8px;color:#444}svg{width:100%;height:auto}.grid{stroke:#e6e6e6}.tick{font-size:11px;fill:#6f6f6f}.axis{font-size:12px;fill:#444}.label{font-size:12px;fill:#242424}"
    "@media (max-width:800px){.charts{grid-template-columns:1fr}}"
    "</style></head><body><main><h1>");
  append_escaped (s, suite ? suite : "Evaluation");
  g_string_append (s, "</h1><p class='sub'>Run ");
  append_escaped (s, rw_json_object_get_string (root, "run_id", NULL));
  g_string_append (s, " · ");
  append_escaped (s, rw_json_object_get_string (root, "status", NULL));
  g_string_append (s, "</p><div class='cards'>");
  for (guint i = 0; i < all->len; i++)
    {
      JsonObject *r = all->pdata[i];
      g_string_append (s, "<div class='card'><span>");
      append_escaped (s, rw_json_object_get_string (r, "model", NULL));
      g_string_append_printf (s, "</span><b>%.1f%%</b><span>95%% interval %.1f–%.1f%% · $%.4f · median %.0f ms</span></div>",
                              100 * num (r, "pass_rate"), 100 * num (r, "ci_low"), 100 * num (r, "ci_high"),
                              num (r, "cost_usd"), num (r, "latency_p50_ms"));
    }
  g_string_append (s, "</div><h2>Quality and cost</h2><div class='charts'><div class='chart'>"
                      "<h3>Pass rate against cost, with 95% intervals</h3>");
  append_cost_quality (s, all);
  g_string_append (s, "</div><div class='chart'><h3>Latency: median, 25th–75th and 10th–90th percentiles</h3>");
  append_latency (s, all);
  g_string_append (s, "</div></div><h2>Per model and task</h2><table><tr><th>model</th><th>task</th><th>n</th>"
                      "<th>pass rate</th><th>95% interval</th><th>mean score</th><th>cost</th>"
                      "<th>p50 latency</th><th>p90 latency</th><th>failed</th></tr>");
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *r = json_array_get_object_element (rows, i);
      gboolean is_all = g_str_equal (rw_json_object_get_string (r, "task", NULL), "all");

      g_string_append_printf (s, "<tr%s><td>", is_all ? " class='all'" : "");
      append_escaped (s, rw_json_object_get_string (r, "model", NULL));
      g_string_append (s, "</td><td>");
      append_escaped (s, rw_json_object_get_string (r, "task", NULL));
      g_string_append_printf (s, "</td><td>%" G_GINT64_FORMAT "</td><td><span class='bar' style='width:%.0fpx'></span>%.1f%%</td>"
                                 "<td>%.1f–%.1f%%</td><td>%.3f</td><td>$%.4f</td><td>%.0f ms</td><td>%.0f ms</td><td>%" G_GINT64_FORMAT "</td></tr>",
                              rw_json_object_get_int (r, "n", 0), 60 * num (r, "pass_rate"), 100 * num (r, "pass_rate"),
                              100 * num (r, "ci_low"), 100 * num (r, "ci_high"), num (r, "mean_score"),
                              num (r, "cost_usd"), num (r, "latency_p50_ms"), num (r, "latency_p90_ms"),
                              rw_json_object_get_int (r, "failed", 0));
    }
  g_string_append (s, "</table>");
  if (pairs != NULL && json_array_get_length (pairs) > 0)
    {
      g_string_append (s, "<h2>Paired comparisons</h2><table><tr><th>model A</th><th>model B</th><th>from</th>"
                          "<th>A wins</th><th>B wins</th><th>ties</th><th>sign test p</th></tr>");
      for (guint i = 0; i < json_array_get_length (pairs); i++)
        {
          JsonObject *r = json_array_get_object_element (pairs, i);
          g_string_append (s, "<tr><td>");
          append_escaped (s, rw_json_object_get_string (r, "model_a", NULL));
          g_string_append (s, "</td><td>");
          append_escaped (s, rw_json_object_get_string (r, "model_b", NULL));
          g_string_append (s, "</td><td>");
          append_escaped (s, rw_json_object_get_string (r, "source", NULL));
          g_string_append_printf (s, "</td><td>%" G_GINT64_FORMAT "</td><td>%" G_GINT64_FORMAT "</td><td>%"
                                     G_GINT64_FORMAT "</td><td>%.3g</td></tr>",
                                  rw_json_object_get_int (r, "wins", 0), rw_json_object_get_int (r, "losses", 0),
                                  rw_json_object_get_int (r, "ties", 0), num (r, "sign_test_p"));
        }
      g_string_append (s, "</table>");
    }
  g_string_append (s, "</main></body></html>\n");
  return g_string_free (s, FALSE);
}

/**
 * rw_eval_report_add_comparison:
 * @report: a report from rw_eval_report_build()
 * @earlier: the report of an earlier run
 *
 * Adds to @report, under "against", each model and task found in both runs with its pass rate
 * then and now, the change, and the costs.
 */
void
rw_eval_report_add_comparison (JsonNode *report,
                               JsonNode *earlier)
{
  JsonObject *root = json_node_get_object (report);
  JsonArray *now_rows = rw_json_object_get_array (root, "rows");
  JsonArray *then_rows = rw_json_object_get_array (json_node_get_object (earlier), "rows");
  JsonObject *against = json_object_new ();
  JsonArray *rows = json_array_new ();

  json_object_set_string_member (against, "run_id",
                                 rw_json_object_get_string (json_node_get_object (earlier), "run_id", NULL));
  for (guint i = 0; i < json_array_get_length (now_rows); i++)
    {
      JsonObject *now = json_array_get_object_element (now_rows, i);

      for (guint j = 0; j < json_array_get_length (then_rows); j++)
        {
          JsonObject *then = json_array_get_object_element (then_rows, j);
          JsonObject *row;

          if (!g_str_equal (rw_json_object_get_string (now, "model", NULL), rw_json_object_get_string (then, "model", NULL)) ||
              !g_str_equal (rw_json_object_get_string (now, "task", NULL), rw_json_object_get_string (then, "task", NULL)))
            continue;
          row = json_object_new ();
          json_object_set_string_member (row, "model", rw_json_object_get_string (now, "model", NULL));
          json_object_set_string_member (row, "task", rw_json_object_get_string (now, "task", NULL));
          json_object_set_double_member (row, "pass_rate", num (now, "pass_rate"));
          json_object_set_double_member (row, "earlier_pass_rate", num (then, "pass_rate"));
          json_object_set_double_member (row, "change", num (now, "pass_rate") - num (then, "pass_rate"));
          json_object_set_double_member (row, "cost_usd", num (now, "cost_usd"));
          json_object_set_double_member (row, "earlier_cost_usd", num (then, "cost_usd"));
          json_array_add_object_element (rows, row);
        }
    }
  json_object_set_array_member (against, "rows", rows);
  json_object_set_object_member (root, "against", against);
}

/* The comparison with an earlier run, as Markdown. */
char *
rw_eval_report_comparison_to_markdown (JsonNode *report)
{
  JsonObject *root = json_node_get_object (report);
  JsonObject *against;
  JsonArray *rows;
  GString *s = g_string_new (NULL);

  if (!json_object_has_member (root, "against"))
    return g_string_free (s, FALSE);
  against = rw_json_object_get_object (root, "against");
  rows = rw_json_object_get_array (against, "rows");
  g_string_append_printf (s, "\n## Against run %s\n\n| model | task | then | now | change | cost then | cost now |\n"
                             "|---|---|---:|---:|---:|---:|---:|\n",
                          rw_json_object_get_string (against, "run_id", NULL));
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *r = json_array_get_object_element (rows, i);
      g_string_append_printf (s, "| %s | %s | %.1f%% | %.1f%% | %+.1f points | $%.4f | $%.4f |\n",
                              rw_json_object_get_string (r, "model", NULL), rw_json_object_get_string (r, "task", NULL),
                              100 * num (r, "earlier_pass_rate"), 100 * num (r, "pass_rate"), 100 * num (r, "change"),
                              num (r, "earlier_cost_usd"), num (r, "cost_usd"));
    }
  return g_string_free (s, FALSE);
}
