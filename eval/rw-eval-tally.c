/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rw-eval-tally-private.h"
#include "rw-json.h"

/* RwEvalTally: a run's answers, grades and votes counted as they are stored or read back, and
 * the report made from the counts. */

/*
 * A run's answers, grades and comparisons, added in any order, and the report made of them.
 * `eval report` fills one from the database; `eval run` fills one as it stores each row, so
 * that the report it prints at the end needs nothing read back. Either way the report is a
 * function of the set of rows alone: answers are counted in one fixed order (successful first,
 * then by id, which orders by creation), so that sums come out the same to the last bit.
 */

/* A named metric's scores: their weighted sum and their weights. */
typedef struct
{
  const char *name;         /* interned */
  double sum;
  double weight;
} Metric;

/* An answer's grades as the report counts them: the weighted mean score (promptfoo's: each
 * grade counts by its weight) and whether all passed, unless a person graded it, whose latest
 * grade overrides each of the two it gives; and the weighted mean of each named metric. */
typedef struct
{
  double score_sum;         /* of score x weight */
  double weight_sum;
  GArray *metrics;          /* of Metric, or NULL */
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

static void
tally_grade_free (Grade *g)
{
  g_clear_pointer (&g->metrics, g_array_unref);
  g_free (g);
}

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
  t->grades = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) tally_grade_free);
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

const char *
_rw_eval_tally_intern (RwEvalTally *t,
                       const char  *s)
{
  return g_string_chunk_insert_const (t->strings, s ? s : "");
}

/* Whether a grade made at @ms with @id comes after the one kept (@kept_ms, @kept_id). */
static gboolean
tally_later (gint64      ms,
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
 * @weight: how much the score counts in the answer's weighted mean
 * @metric: (nullable): the named metric the score also counts towards
 */
void
rw_eval_tally_add_grade (RwEvalTally *t,
                         const char  *response_id,
                         gboolean     human,
                         double       score,
                         int          pass,
                         gint64       created_ms,
                         const char  *id,
                         double       weight,
                         const char  *metric)
{
  Grade *g = g_hash_table_lookup (t->grades, response_id);

  if (g == NULL)
    {
      g = g_new0 (Grade, 1);
      g->pass = g->human_pass = -1;
      g->human_score = NAN;
      g_hash_table_insert (t->grades, g_string_chunk_insert (t->strings, response_id), g);
    }
  if (!(weight >= 0) || !isfinite (weight))
    weight = 1;
  if (!isnan (score))
    {
      g->score_sum += score * weight;
      g->weight_sum += weight;
    }
  if (!isnan (score) && metric != NULL && *metric != '\0')
    {
      const char *name = _rw_eval_tally_intern (t, metric);
      Metric *m = NULL;

      if (g->metrics == NULL)
        g->metrics = g_array_new (FALSE, TRUE, sizeof (Metric));
      for (guint i = 0; i < g->metrics->len && m == NULL; i++)
        if (g_array_index (g->metrics, Metric, i).name == name)
          m = &g_array_index (g->metrics, Metric, i);
      if (m == NULL)
        {
          g_array_set_size (g->metrics, g->metrics->len + 1);
          m = &g_array_index (g->metrics, Metric, g->metrics->len - 1);
          m->name = name;
        }
      m->sum += score * weight;
      m->weight += weight;
    }
  if (pass >= 0)
    g->pass = g->pass < 0 ? pass : MIN (g->pass, pass);
  if (human && !isnan (score) && tally_later (created_ms, id, g->human_score_ms, g->human_score_id))
    {
      g->human_score = score;
      g->human_score_ms = created_ms;
      g->human_score_id = g_string_chunk_insert (t->strings, id);
    }
  if (human && pass >= 0 && tally_later (created_ms, id, g->human_pass_ms, g->human_pass_id))
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
    .item = _rw_eval_tally_intern (t, item),
    .model = _rw_eval_tally_intern (t, model),
    .task = _rw_eval_tally_intern (t, task ? task : "general"),
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
  v.source = _rw_eval_tally_intern (t, source);
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
  guint ungraded;           /* answered, with no grade: nothing could grade it */
  guint cached;
  double score_sum;
  double cost;
  GArray *latencies;
  GArray *metrics;          /* of Metric: each answer's mean summed, weight counting answers */
} Cell;

static guint
tally_cell_hash (gconstpointer p)
{
  const Cell *c = p;
  return g_direct_hash (c->model) * 31 + g_direct_hash (c->task);
}

static gboolean
tally_cell_equal (gconstpointer a,
                  gconstpointer b)
{
  const Cell *x = a, *y = b;
  return x->model == y->model && x->task == y->task;
}

static void
tally_cell_free (Cell *c)
{
  g_clear_pointer (&c->metrics, g_array_unref);
  g_array_unref (c->latencies);
  g_free (c);
}

static int
tally_compare_double (gconstpointer a,
                      gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

/* @values: sorted */
double
_rw_eval_percentile (GArray *values,
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
tally_get_cell (GHashTable *cells,
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

/* An answer's named metric in a cell: its weighted mean, as one more answer. */
static void
tally_cell_add_metric (Cell         *c,
                       const Metric *answer)
{
  Metric *m = NULL;

  if (!(answer->weight > 0))
    return;
  if (c->metrics == NULL)
    c->metrics = g_array_new (FALSE, TRUE, sizeof (Metric));
  for (guint i = 0; i < c->metrics->len && m == NULL; i++)
    if (g_array_index (c->metrics, Metric, i).name == answer->name)
      m = &g_array_index (c->metrics, Metric, i);
  if (m == NULL)
    {
      g_array_set_size (c->metrics, c->metrics->len + 1);
      m = &g_array_index (c->metrics, Metric, c->metrics->len - 1);
      m->name = answer->name;
    }
  m->sum += answer->sum / answer->weight;
  m->weight += 1;
}

static gint
tally_compare_metrics (gconstpointer a,
                       gconstpointer b)
{
  return strcmp (((const Metric *) a)->name, ((const Metric *) b)->name);
}

static gint
tally_compare_cells (gconstpointer a,
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
tally_compare_answers (gconstpointer a,
                       gconstpointer b)
{
  const Answer *x = a, *y = b;

  if (x->ok != y->ok)
    return x->ok ? -1 : 1;
  return strcmp (x->id, y->id);
}

/* (item, model, sample): which answers were counted. */
static guint
tally_answer_key_hash (gconstpointer p)
{
  const Answer *a = p;
  return (g_direct_hash (a->item) * 31 + g_direct_hash (a->model)) * 31 + (guint) a->sample;
}

static gboolean
tally_answer_key_equal (gconstpointer a,
                        gconstpointer b)
{
  const Answer *x = a, *y = b;
  return x->item == y->item && x->model == y->model && x->sample == y->sample;
}

static guint
tally_pair_hash (gconstpointer p)
{
  const RwEvalPair *x = p;
  return (g_direct_hash (x->model_a) * 31 + g_direct_hash (x->model_b)) * 31 +
         g_direct_hash (x->source);
}

static gboolean
tally_pair_equal (gconstpointer a,
                  gconstpointer b)
{
  const RwEvalPair *x = a, *y = b;
  return x->model_a == y->model_a && x->model_b == y->model_b && x->source == y->source;
}

static gint
tally_compare_pairs (gconstpointer x,
                     gconstpointer y)
{
  const RwEvalPair *a = *(const RwEvalPair **) x, *b = *(const RwEvalPair **) y;
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
  g_autoptr(GHashTable) pairs = g_hash_table_new (tally_pair_hash, tally_pair_equal);
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < t->answers->len; i++)
    {
      Answer *a = &g_array_index (t->answers, Answer, i);
      g_hash_table_insert (models, (gpointer) a->id, (gpointer) a->model);
    }
  for (guint i = 0; i < t->votes->len; i++)
    {
      Vote *v = &g_array_index (t->votes, Vote, i);
      RwEvalPair probe = { 0 }, *p;

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
  g_ptr_array_sort (out, tally_compare_pairs);
  return g_steal_pointer (&out);
}

static void
tally_add_number (JsonBuilder *b,
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
JsonNode *
_rw_eval_tally_report (RwEvalTally *t,
                       const char  *run_id,
                       const char  *status,
                       JsonNode    *params,
                       GPtrArray   *pairs)
{
  g_autoptr(GHashTable) cells = g_hash_table_new_full (tally_cell_hash, tally_cell_equal,
                                                       (GDestroyNotify) tally_cell_free, NULL);
  g_autoptr(GHashTable) seen = g_hash_table_new (tally_answer_key_hash, tally_answer_key_equal);
  g_autoptr(GPtrArray) order = g_ptr_array_new ();
  g_autoptr(GPtrArray) own_pairs = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  const char *all = _rw_eval_tally_intern (t, "all");
  JsonObject *thresholds = params && JSON_NODE_HOLDS_OBJECT (params)
                           ? rw_json_object_get_object (json_node_get_object (params), "thresholds")
                           : NULL;

  if (pairs == NULL && (pairs = own_pairs = tally_pairs (t)) == NULL)
    return NULL;

  g_array_sort (t->answers, tally_compare_answers);
  for (guint i = 0; i < t->answers->len; i++)
    {
      Answer *a = &g_array_index (t->answers, Answer, i);
      Grade *g = g_hash_table_lookup (t->grades, a->id);
      double score = NAN;
      gboolean passed = FALSE;
      Cell *targets[2];
      gboolean graded;

      if (!g_hash_table_add (seen, a))
        continue;
      graded = g != NULL && (g->pass >= 0 || g->human_pass >= 0);
      if (g != NULL)
        {
          double threshold = thresholds ? rw_json_object_get_double (thresholds, a->item, NAN)
                                        : NAN;

          score = !isnan (g->human_score) ? g->human_score
                  : g->weight_sum > 0 ? g->score_sum / g->weight_sum : NAN;
          passed = (g->human_pass >= 0 ? g->human_pass : g->pass) == 1;
          /* An item with a threshold passes at it, by its weighted score (promptfoo's). */
          if (g->human_pass < 0 && isfinite (threshold))
            passed = (g->weight_sum > 0 ? g->score_sum / g->weight_sum : 0) >= threshold;
        }
      targets[0] = tally_get_cell (cells, order, a->model, a->task);
      targets[1] = tally_get_cell (cells, order, a->model, all);
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
          for (guint j = 0; g != NULL && g->metrics != NULL && j < g->metrics->len; j++)
            tally_cell_add_metric (c, &g_array_index (g->metrics, Metric, j));
          if (!graded)
            c->ungraded++;
          if (passed)
            c->passed++;
        }
    }
  g_ptr_array_sort (order, tally_compare_cells);

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
      guint graded = c->n - c->ungraded;   /* an ungraded answer neither passes nor fails */
      double low, high;

      rw_wilson_interval (c->passed, graded, &low, &high);
      g_array_sort (c->latencies, tally_compare_double);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "model");
      json_builder_add_string_value (b, c->model);
      json_builder_set_member_name (b, "task");
      json_builder_add_string_value (b, c->task);
      json_builder_set_member_name (b, "n");
      json_builder_add_int_value (b, c->n);
      json_builder_set_member_name (b, "passed");
      json_builder_add_int_value (b, c->passed);
      tally_add_number (b, "pass_rate", graded ? (double) c->passed / graded : NAN);
      tally_add_number (b, "ci_low", low);
      tally_add_number (b, "ci_high", high);
      tally_add_number (b, "mean_score", answered > c->ungraded
                                           ? c->score_sum / (answered - c->ungraded) : NAN);
      tally_add_number (b, "cost_usd", c->cost);
      tally_add_number (b, "latency_p10_ms", _rw_eval_percentile (c->latencies, 0.1));
      tally_add_number (b, "latency_p25_ms", _rw_eval_percentile (c->latencies, 0.25));
      tally_add_number (b, "latency_p50_ms", _rw_eval_percentile (c->latencies, 0.5));
      tally_add_number (b, "latency_p75_ms", _rw_eval_percentile (c->latencies, 0.75));
      tally_add_number (b, "latency_p90_ms", _rw_eval_percentile (c->latencies, 0.9));
      json_builder_set_member_name (b, "failed");
      json_builder_add_int_value (b, c->failed);
      json_builder_set_member_name (b, "ungraded");
      json_builder_add_int_value (b, c->ungraded);
      json_builder_set_member_name (b, "cached");
      json_builder_add_int_value (b, c->cached);
      if (c->metrics != NULL)
        {
          /* promptfoo's named scores: each metric's mean over the answers that have it. */
          g_array_sort (c->metrics, tally_compare_metrics);
          json_builder_set_member_name (b, "metrics");
          json_builder_begin_object (b);
          for (guint j = 0; j < c->metrics->len; j++)
            {
              Metric *m = &g_array_index (c->metrics, Metric, j);
              tally_add_number (b, m->name, m->sum / m->weight);
            }
          json_builder_end_object (b);
        }
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  /* Paired comparisons: the outcomes made from this run's pairs of answers. */
  json_builder_set_member_name (b, "pairs");
  json_builder_begin_array (b);
  for (guint i = 0; i < pairs->len; i++)
    {
      RwEvalPair *p = pairs->pdata[i];

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
      tally_add_number (b, "sign_test_p", rw_sign_test (p->wins, p->losses));
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
  return _rw_eval_tally_report (t, run_id, status, params, NULL);
}
