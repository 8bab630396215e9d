/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "rw-ratings.h"

/*
 * Bradley-Terry ratings per task from pairwise outcomes: votes in the window, judge verdicts,
 * graded pairs of a batch run, imports. Outcomes are counted per task and ordered pair of
 * models (a tie is half a win each way), so a million comparisons become a small matrix, and
 * the fit is Newton's method on that matrix: the exact maximum-likelihood estimate, the one a
 * logistic regression without penalty (as LMSYS computes arena ratings) finds. Intervals come
 * from a Poisson bootstrap of the counts (wins either way and ties, a tie resampled as one).
 */

typedef struct
{
  GPtrArray *models;      /* char * */
  GHashTable *index;      /* model -> index + 1 */
  GArray *wins;           /* double, k × k: wins[i k + j] = weight of i beating j */
  GArray *ties;           /* double, k × k, symmetric: the weight of ties between i and j */
  guint64 n;              /* comparisons */
  double *theta;          /* the fit, once asked for; dropped when a comparison is added */
} TaskCounts;

struct _RwComparisons
{
  GHashTable *tasks;      /* task -> TaskCounts */
  GHashTable *seen;       /* dedup keys */
  GHashTable *sources;    /* a stored outcome's source -> GUINT_TO_POINTER (count) */
  guint64 n_total;
  guint64 n_duplicates;
};

static void
ratings_task_counts_free (TaskCounts *t)
{
  g_ptr_array_unref (t->models);
  g_hash_table_unref (t->index);
  g_array_unref (t->wins);
  g_array_unref (t->ties);
  g_free (t->theta);
  g_free (t);
}

RwComparisons *
rw_comparisons_new (void)
{
  RwComparisons *self = g_new0 (RwComparisons, 1);
  self->tasks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify) ratings_task_counts_free);
  self->seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->sources = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  return self;
}

void
rw_comparisons_free (RwComparisons *self)
{
  if (self == NULL)
    return;
  g_hash_table_unref (self->tasks);
  g_hash_table_unref (self->seen);
  g_hash_table_unref (self->sources);
  g_free (self);
}

static guint
ratings_model_index (TaskCounts *t,
                     const char *model)
{
  guint i = GPOINTER_TO_UINT (g_hash_table_lookup (t->index, model));
  guint k;
  GArray **matrices[] = { &t->wins, &t->ties };

  if (i > 0)
    return i - 1;
  k = t->models->len;
  g_ptr_array_add (t->models, g_strdup (model));
  g_hash_table_insert (t->index, t->models->pdata[k], GUINT_TO_POINTER (k + 1));
  for (guint m = 0; m < G_N_ELEMENTS (matrices); m++)
    {
      GArray *grown = g_array_new (FALSE, TRUE, sizeof (double));

      g_array_set_size (grown, (k + 1) * (k + 1));
      for (guint r = 0; r < k; r++)
        for (guint c = 0; c < k; c++)
          g_array_index (grown, double, r * (k + 1) + c) = g_array_index (*matrices[m], double,
                                                                          r * k + c);
      g_array_unref (*matrices[m]);
      *matrices[m] = grown;
    }
  return k;
}

static TaskCounts *
ratings_task_for (RwComparisons *self,
                  const char    *task)
{
  TaskCounts *t = g_hash_table_lookup (self->tasks, task);

  if (t == NULL)
    {
      t = g_new0 (TaskCounts, 1);
      t->models = g_ptr_array_new_with_free_func (g_free);
      t->index = g_hash_table_new (g_str_hash, g_str_equal);
      t->wins = g_array_new (FALSE, TRUE, sizeof (double));
      t->ties = g_array_new (FALSE, TRUE, sizeof (double));
      g_hash_table_insert (self->tasks, g_strdup (task), t);
    }
  return t;
}

static void
ratings_add_to (TaskCounts *t,
                const char *a,
                const char *b,
                double      score_a,
                double      weight)
{
  guint i = ratings_model_index (t, a), j = ratings_model_index (t, b), k = t->models->len;

  g_array_index (t->wins, double, i * k + j) += weight * score_a;
  g_array_index (t->wins, double, j * k + i) += weight * (1 - score_a);
  /* A tie is one outcome, resampled as one: kept apart for the bootstrap. */
  if (score_a == 0.5)
    {
      g_array_index (t->ties, double, i * k + j) += weight;
      g_array_index (t->ties, double, j * k + i) += weight;
    }
  t->n++;
  g_clear_pointer (&t->theta, g_free);
}

/**
 * rw_comparisons_add:
 * @self: comparisons
 * @task: (nullable): the task; every comparison also counts for "all"
 * @a: one model
 * @b: the other
 * @score_a: 1 when @a won, 0 when @b won, 0.5 for a tie
 * @weight: how much the comparison counts
 * @key: (nullable): identifies the comparison: one already added with the same key is
 *   not counted again
 *
 * Returns: whether it was counted
 */
gboolean
rw_comparisons_add (RwComparisons *self,
                    const char    *task,
                    const char    *a,
                    const char    *b,
                    double         score_a,
                    double         weight,
                    const char    *key)
{
  if (a == NULL || b == NULL || g_str_equal (a, b) || !(weight > 0) || !(score_a >= 0
                                                                         && score_a <= 1))
    return FALSE;
  if (key != NULL)
    {
      if (g_hash_table_contains (self->seen, key))
        {
          self->n_duplicates++;
          return FALSE;
        }
      g_hash_table_add (self->seen, g_strdup (key));
    }
  ratings_add_to (ratings_task_for (self, "all"), a, b, score_a, weight);
  if (task != NULL && *task != '\0' && !g_str_equal (task, "all"))
    ratings_add_to (ratings_task_for (self, task), a, b, score_a, weight);
  self->n_total++;
  return TRUE;
}

/**
 * rw_comparisons_get_n_from:
 * @source: "human", "judge", "grader" or "import"
 *
 * Returns: how many of the outcomes added from the store came from @source
 */
guint64
rw_comparisons_get_n_from (RwComparisons *self,
                           const char    *source)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (self->sources, source));
}

guint64
rw_comparisons_get_n (RwComparisons *self)
{
  return self->n_total;
}

guint64
rw_comparisons_get_n_duplicates (RwComparisons *self)
{
  return self->n_duplicates;
}

/**
 * rw_comparisons_dup_tasks:
 * @self: comparisons
 *
 * Returns: (transfer full): the tasks that have comparisons, "all" first and the rest by name,
 *   as rw_comparisons_rate() lists them
 */
GStrv
rw_comparisons_dup_tasks (RwComparisons *self)
{
  g_autoptr(GList) names = g_list_sort (g_hash_table_get_keys (self->tasks),
                                        (GCompareFunc) g_strcmp0);
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();

  if (g_hash_table_contains (self->tasks, "all"))
    g_strv_builder_add (b, "all");
  for (GList *l = names; l; l = l->next)
    if (!g_str_equal (l->data, "all"))
      g_strv_builder_add (b, l->data);
  return g_strv_builder_end (b);
}

/**
 * rw_comparisons_load_store:
 * @self: comparisons
 * @store: the database
 * @error: return location for an error
 *
 * Adds every stored pairwise outcome: votes from people (a "best of N" vote is a win over
 * each other candidate; "both bad" is a tie), judges, graders and imports, once each.
 *
 * Returns: %TRUE on success
 */
gboolean
rw_comparisons_load_store (RwComparisons  *self,
                           RwStore        *store,
                           GError        **error)
{
  return rw_comparisons_load_store_filtered (self, store, NULL, error);
}

/**
 * rw_comparisons_load_store_filtered:
 * @self: comparisons
 * @store: the database
 * @filter: (nullable): which votes: a period, sources
 * @error: return location for an error
 *
 * Adds the stored pairwise outcomes @filter keeps, as rw_comparisons_load_store() adds all.
 *
 * Returns: %TRUE on success
 */
gboolean
rw_comparisons_load_store_filtered (RwComparisons       *self,
                                    RwStore             *store,
                                    const RwVoteFilter  *filter,
                                    GError             **error)
{
  g_autoptr(GPtrArray) votes = rw_store_list_pairwise_votes_filtered (store, filter, error);

  if (votes == NULL)
    return FALSE;
  for (guint i = 0; i < votes->len; i++)
    {
      RwStoredVote *v = votes->pdata[i];
      double s = g_str_equal (v->outcome, "a") ? 1 : g_str_equal (v->outcome, "b") ? 0 : 0.5;
      /* The same two answers judged again by the same source count once: the latest. */
      g_autofree char *key = g_strdup_printf ("%s %s %s", v->response_a, v->response_b, v->source);
      if (rw_comparisons_add (self, v->task, v->model_a, v->model_b, s, 1, key))
        g_hash_table_insert (self->sources, g_strdup (v->source),
                             GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (self->sources,
                                                                                      v->source))
                                               + 1));
    }
  return TRUE;
}

/**
 * rw_comparisons_load_csv:
 * @self: comparisons
 * @path: a CSV file with the columns model_a, model_b, winner (model_a, model_b, a, b, tie
 *   or "tie (bothbad)"), and optionally task and weight: the form of Chatbot Arena's logs
 * @error: return location for an error naming the line
 *
 * Returns: %TRUE on success
 */
gboolean
rw_comparisons_load_csv (RwComparisons  *self,
                         const char     *path,
                         GError        **error)
{
  g_autofree char *data = NULL;
  g_autofree char *base = g_path_get_basename (path);
  g_autoptr(GError) local = NULL;
  g_autoptr(GPtrArray) header = NULL;
  gsize len, pos = 0;
  guint line = 1;
  gint col_a = -1, col_b = -1, col_w = -1, col_t = -1, col_weight = -1;

  if (!rw_file_read_text (path, RW_FILE_DATA_MAX, &data, &len, &local))
    {
      g_set_error_literal (error, RW_ERROR, RW_ERROR_CONFIG, local->message);
      return FALSE;
    }
  header = rw_csv_read_record (data, len, &pos, &line, &local);
  for (guint i = 0; header != NULL && i < header->len; i++)
    {
      const char *h = header->pdata[i];
      if (g_str_equal (h, "model_a")) col_a = i;
      else if (g_str_equal (h, "model_b")) col_b = i;
      else if (g_str_equal (h, "winner")) col_w = i;
      else if (g_str_equal (h, "task")) col_t = i;
      else if (g_str_equal (h, "weight")) col_weight = i;
    }
  if (col_a < 0 || col_b < 0 || col_w < 0)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                   "%s: the header must name model_a, model_b and winner", base);
      return FALSE;
    }
  for (;;)
    {
      guint at = 0;
      g_autoptr(GPtrArray) row = rw_csv_read_row (data, len, &pos, &line, header->len, base, &at,
                                                  &local);
      const char *w;
      double s, weight = 1;

      if (row == NULL)
        {
          if (local != NULL)
            {
              g_propagate_error (error, g_steal_pointer (&local));
              return FALSE;
            }
          return TRUE;
        }
      w = row->pdata[col_w];
      if (g_str_equal (w, "model_a") || g_str_equal (w, "a"))
        s = 1;
      else if (g_str_equal (w, "model_b") || g_str_equal (w, "b"))
        s = 0;
      else if (g_str_has_prefix (w, "tie"))
        s = 0.5;
      else
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                       "%s:%u: winner must be model_a, model_b or tie, not “%s”", base, at, w);
          return FALSE;
        }
      if (col_weight >= 0)
        {
          char *end = NULL;
          weight = g_ascii_strtod (row->pdata[col_weight], &end);
          if (end == row->pdata[col_weight] || *end != '\0' || !(weight > 0) || !isfinite (weight))
            {
              g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                           "%s:%u: the weight must be a positive number",
                           base, at);
              return FALSE;
            }
        }
      if (*(char *) row->pdata[col_a] == '\0' || *(char *) row->pdata[col_b] == '\0' ||
          g_str_equal (row->pdata[col_a], row->pdata[col_b]))
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s:%u: two different models are needed",
                       base, at);
          return FALSE;
        }
      rw_comparisons_add (self, col_t >= 0 ? row->pdata[col_t] : NULL, row->pdata[col_a],
                          row->pdata[col_b], s, weight, NULL);
    }
}

/* ---------------------------------------------------------------------------- the fit */

static double
ratings_sigmoid (double x)
{
  return x >= 0 ? 1 / (1 + exp (-x)) : exp (x) / (1 + exp (x));
}

/* Solves A x = b by Gaussian elimination with partial pivoting; A is n × n, destroyed. */
static gboolean
ratings_solve (double *A,
               double *b,
               guint   n)
{
  for (guint c = 0; c < n; c++)
    {
      guint p = c;
      for (guint r = c + 1; r < n; r++)
        if (fabs (A[r * n + c]) > fabs (A[p * n + c]))
          p = r;
      if (fabs (A[p * n + c]) < 1e-300)
        return FALSE;
      if (p != c)
        {
          for (guint k = 0; k < n; k++)
            {
              double t = A[c * n + k]; A[c * n + k] = A[p * n + k]; A[p * n + k] = t;
            }
          { double t = b[c]; b[c] = b[p]; b[p] = t; }
        }
      for (guint r = c + 1; r < n; r++)
        {
          double f = A[r * n + c] / A[c * n + c];
          if (f == 0)
            continue;
          for (guint k = c; k < n; k++)
            A[r * n + k] -= f * A[c * n + k];
          b[r] -= f * b[c];
        }
    }
  for (gint r = n - 1; r >= 0; r--)
    {
      double s = b[r];
      for (guint k = r + 1; k < n; k++)
        s -= A[r * n + k] * b[k];
      b[r] = s / A[r * n + r];
    }
  return TRUE;
}

static double
ratings_log_likelihood (guint         k,
                        const double *w,
                        const double *theta,
                        double        ridge)
{
  double ll = 0;

  for (guint i = 0; i < k; i++)
    {
      for (guint j = 0; j < k; j++)
        if (w[i * k + j] > 0)
          ll += w[i * k + j] * log (ratings_sigmoid (theta[i] - theta[j]));
      ll -= 0.5 * ridge * theta[i] * theta[i];
    }
  return ll;
}

/* Whether the maximum-likelihood estimate exists: every model must be reachable from every
 * other along "beat" edges (ties count both ways), else some strength runs off to infinity. */
static gboolean
ratings_strongly_connected (guint         k,
                            const double *w)
{
  for (guint dir = 0; dir < 2; dir++)
    {
      g_autofree gboolean *seen = g_new0 (gboolean, k);
      g_autofree guint *stack = g_new (guint, k);
      guint top = 0, n = 1;

      seen[0] = TRUE;
      stack[top++] = 0;
      while (top > 0)
        {
          guint i = stack[--top];
          for (guint j = 0; j < k; j++)
            if (!seen[j] && (dir == 0 ? w[i * k + j] : w[j * k + i]) > 0)
              {
                seen[j] = TRUE;
                stack[top++] = j;
                n++;
              }
        }
      if (n < k)
        return FALSE;
    }
  return TRUE;
}

/**
 * rw_bradley_terry_fit:
 * @k: how many models
 * @wins: k × k, row-major: @wins[i k + j] is how much model i beat model j
 * @theta: (out caller-allocates) (array length=k): the log-strengths, summing to zero
 * @iterations: (out) (optional): Newton steps taken
 * @regularized: (out) (optional): whether a small prior was needed because no finite
 *   maximum-likelihood estimate exists (a model that never lost or never won, or groups of
 *   models never compared)
 *
 * Returns: %TRUE when the fit converged
 */
gboolean
rw_bradley_terry_fit (guint         k,
                      const double *wins,
                      double       *theta,
                      guint        *iterations,
                      gboolean     *regularized)
{
  /* The prior, when needed: as if each pair of models had drawn a tenth of a game. */
  double ridge = 0;
  g_autofree double *H = NULL, *g = NULL, *next = NULL;
  guint m = k > 0 ? k - 1 : 0, it = 0;
  gboolean converged = FALSE;

  memset (theta, 0, sizeof (double) * k);
  if (iterations)
    *iterations = 0;
  if (regularized)
    *regularized = FALSE;
  if (k < 2)
    return TRUE;
  if (!ratings_strongly_connected (k, wins))
    {
      ridge = 0.05;
      if (regularized)
        *regularized = TRUE;
    }

  H = g_new (double, m * m);
  g = g_new (double, m);
  next = g_new (double, k);
  for (it = 0; it < 200 && !converged; it++)
    {
      double ll = ratings_log_likelihood (k, wins, theta, ridge), step = 1, biggest = 0;

      /* theta[k-1] stays 0: the free parameters are the first k-1. */
      memset (H, 0, sizeof (double) * m * m);
      for (guint i = 0; i < m; i++)
        {
          g[i] = -ridge * theta[i];
          H[i * m + i] = ridge;
          for (guint j = 0; j < k; j++)
            {
              double n, p, v;
              if (j == i)
                continue;
              n = wins[i * k + j] + wins[j * k + i];
              if (n == 0)
                continue;
              p = ratings_sigmoid (theta[i] - theta[j]);
              v = n * p * (1 - p);
              g[i] += wins[i * k + j] - n * p;
              H[i * m + i] += v;
              if (j < m)
                H[i * m + j] -= v;
            }
        }
      if (!ratings_solve (H, g, m))
        break;
      /* Backtrack until the likelihood improves. */
      for (;;)
        {
          for (guint i = 0; i < m; i++)
            next[i] = theta[i] + step * g[i];
          next[m] = 0;
          if (ratings_log_likelihood (k, wins, next, ridge) >= ll - 1e-12 || step < 1e-8)
            break;
          step /= 2;
        }
      for (guint i = 0; i < m; i++)
        biggest = MAX (biggest, fabs (next[i] - theta[i]));
      memcpy (theta, next, sizeof (double) * k);
      converged = biggest < 1e-11;
    }
  if (iterations)
    *iterations = it;

  {
    double mean = 0;
    for (guint i = 0; i < k; i++)
      mean += theta[i] / k;
    for (guint i = 0; i < k; i++)
      theta[i] -= mean;
  }
  return converged;
}

/* ------------------------------------------------------------------------------ ratings */

/* The arena's scale: 400 points are a factor of ten in the odds, 1000 is the average. */
#define ELO(theta) (1000 + 400 * (theta) / G_LN10)

static guint
ratings_poisson (GRand  *rng,
                 double  lambda)
{
  if (lambda <= 0)
    return 0;
  if (lambda < 30)
    {
      double l = exp (-lambda), p = 1;
      guint n = 0;
      do
        {
          n++;
          p *= g_rand_double (rng);
        }
      while (p > l);
      return n - 1;
    }
  {
    /* Normal approximation (Box-Muller) for large counts. */
    double u = MAX (1e-300, g_rand_double (rng)), v = g_rand_double (rng);
    double z = sqrt (-2 * log (u)) * cos (2 * G_PI * v);
    return (guint) MAX (0, round (lambda + sqrt (lambda) * z));
  }
}

static int
ratings_compare_double (gconstpointer a,
                        gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static JsonNode *
ratings_rate_task (const char *task,
                   TaskCounts *t,
                   guint       n_bootstrap,
                   guint32     seed)
{
  guint k = t->models->len;
  const double *w = (const double *) t->wins->data;
  const double *ties = (const double *) t->ties->data;
  g_autofree double *theta = g_new0 (double, MAX (1, k));
  g_autofree double *boot = g_new0 (double, MAX (1, k) * MAX (1, n_bootstrap));
  g_autofree double *lo = g_new0 (double, MAX (1, k));
  g_autofree double *hi = g_new0 (double, MAX (1, k));
  g_autofree double *resampled = g_new0 (double, MAX (1, k * k));
  g_autofree double *bt = g_new0 (double, MAX (1, k));
  g_autofree guint *order = g_new0 (guint, MAX (1, k));
  g_autoptr(GRand) rng = g_rand_new_with_seed (seed);
  g_autoptr(JsonBuilder) b = json_builder_new ();
  guint iterations = 0;
  gboolean regularized = FALSE, converged;
  gint64 start = g_get_monotonic_time ();
  double fit_ms;

  converged = rw_bradley_terry_fit (k, w, theta, &iterations, &regularized);
  fit_ms = (g_get_monotonic_time () - start) / 1000.0;
  for (guint r = 0; r < n_bootstrap; r++)
    {
      /* Resample the outcomes: each pair's wins either way, and its ties as ties, half a win
       * each way for both models at once. Resampling a tie's two halves apart would count
       * each tie as two independent games and widen every interval. */
      for (guint i = 0; i < k; i++)
        for (guint j = i + 1; j < k; j++)
          {
            double tied = ties[i * k + j] > 0 ? ratings_poisson (rng, ties[i * k + j]) : 0;
            double ij = MAX (0, w[i * k + j] - 0.5 * ties[i * k + j]);
            double ji = MAX (0, w[j * k + i] - 0.5 * ties[j * k + i]);

            resampled[i * k + j] = ratings_poisson (rng, ij) + 0.5 * tied;
            resampled[j * k + i] = ratings_poisson (rng, ji) + 0.5 * tied;
          }
      rw_bradley_terry_fit (k, resampled, bt, NULL, NULL);
      for (guint i = 0; i < k; i++)
        boot[i * n_bootstrap + r] = bt[i];
    }
  for (guint i = 0; i < k; i++)
    {
      if (n_bootstrap > 0)
        {
          double *s = boot + i * n_bootstrap;
          qsort (s, n_bootstrap, sizeof (double), ratings_compare_double);
          lo[i] = s[(guint) floor (0.025 * (n_bootstrap - 1))];
          hi[i] = s[(guint) ceil (0.975 * (n_bootstrap - 1))];
        }
      else
        lo[i] = hi[i] = theta[i];
      order[i] = i;
    }
  /* Best first. */
  for (guint i = 1; i < k; i++)
    for (guint j = i; j > 0 && theta[order[j]] > theta[order[j - 1]]; j--)
      {
        guint x = order[j]; order[j] = order[j - 1]; order[j - 1] = x;
      }

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "task");
  json_builder_add_string_value (b, task);
  json_builder_set_member_name (b, "comparisons");
  json_builder_add_int_value (b, t->n);
  json_builder_set_member_name (b, "iterations");
  json_builder_add_int_value (b, iterations);
  json_builder_set_member_name (b, "converged");
  json_builder_add_boolean_value (b, converged);
  json_builder_set_member_name (b, "regularized");
  json_builder_add_boolean_value (b, regularized);
  json_builder_set_member_name (b, "fit_ms");
  json_builder_add_double_value (b, fit_ms);
  json_builder_set_member_name (b, "bootstrap");
  json_builder_add_int_value (b, n_bootstrap);
  json_builder_set_member_name (b, "models");
  json_builder_begin_array (b);
  for (guint o = 0; o < k; o++)
    {
      guint i = order[o], rank = 1;
      double won = 0, lost = 0;

      /* Ranks with ties: one more than the models that are better beyond doubt, their
       * interval's low end above this one's high end. */
      for (guint j = 0; j < k; j++)
        if (j != i && lo[j] > hi[i])
          rank++;
      for (guint j = 0; j < k; j++)
        {
          won += w[i * k + j];
          lost += w[j * k + i];
        }
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "model");
      json_builder_add_string_value (b, t->models->pdata[i]);
      json_builder_set_member_name (b, "rank");
      json_builder_add_int_value (b, rank);
      json_builder_set_member_name (b, "rating");
      json_builder_add_double_value (b, ELO (theta[i]));
      json_builder_set_member_name (b, "ci_low");
      json_builder_add_double_value (b, ELO (lo[i]));
      json_builder_set_member_name (b, "ci_high");
      json_builder_add_double_value (b, ELO (hi[i]));
      json_builder_set_member_name (b, "theta");
      json_builder_add_double_value (b, theta[i]);
      json_builder_set_member_name (b, "wins");
      json_builder_add_double_value (b, won);
      json_builder_set_member_name (b, "losses");
      json_builder_add_double_value (b, lost);
      json_builder_end_object (b);
    }
  json_builder_end_array (b);

  /* The observed share of wins of each model (row) against each other (column). */
  json_builder_set_member_name (b, "win_rates");
  json_builder_begin_object (b);
  for (guint o = 0; o < k; o++)
    {
      guint i = order[o];
      json_builder_set_member_name (b, t->models->pdata[i]);
      json_builder_begin_object (b);
      for (guint p = 0; p < k; p++)
        {
          guint j = order[p];
          double n = w[i * k + j] + w[j * k + i];
          if (j == i || n == 0)
            continue;
          json_builder_set_member_name (b, t->models->pdata[j]);
          json_builder_add_double_value (b, w[i * k + j] / n);
        }
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/**
 * rw_comparisons_rate:
 * @self: comparisons
 * @task: (nullable): only this task; without, every task and "all"
 * @n_bootstrap: bootstrap replicates for the 95% intervals (0 for none)
 * @seed: the bootstrap's seed, so that a report can be made again
 *
 * Returns: (transfer full): `{"comparisons", "duplicates", "tasks": [{"task", "models":
 *   [{"model", "rank", "rating", "ci_low", "ci_high", "theta", "wins", "losses"}],
 *   "win_rates": {...}}]}`, tasks by name with "all" first, models best first
 */
JsonNode *
rw_comparisons_rate (RwComparisons *self,
                     const char    *task,
                     guint          n_bootstrap,
                     guint32        seed)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(GList) names = g_list_sort (g_hash_table_get_keys (self->tasks),
                                        (GCompareFunc) g_strcmp0);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "comparisons");
  json_builder_add_int_value (b, self->n_total);
  json_builder_set_member_name (b, "duplicates");
  json_builder_add_int_value (b, self->n_duplicates);
  json_builder_set_member_name (b, "tasks");
  json_builder_begin_array (b);
  for (guint pass = 0; pass < 2; pass++)
    for (GList *l = names; l; l = l->next)
      {
        gboolean is_all = g_str_equal (l->data, "all");
        if ((pass == 0) != is_all || (task != NULL && !g_str_equal (task, l->data)))
          continue;
        json_builder_add_value (b, ratings_rate_task (l->data, g_hash_table_lookup (self->tasks,
                                                                                    l->data),
                                              n_bootstrap, seed));
      }
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/**
 * rw_comparisons_get_theta:
 * @self: comparisons
 * @task: a task
 * @model: a model
 * @theta: (out): its log-strength in that task
 *
 * Returns: whether the model was compared in that task
 */
gboolean
rw_comparisons_get_theta (RwComparisons *self,
                          const char    *task,
                          const char    *model,
                          double        *theta)
{
  TaskCounts *t = g_hash_table_lookup (self->tasks, task);
  guint i;

  if (t == NULL || (i = GPOINTER_TO_UINT (g_hash_table_lookup (t->index, model))) == 0)
    return FALSE;
  if (t->theta == NULL)
    {
      t->theta = g_new0 (double, t->models->len);
      rw_bradley_terry_fit (t->models->len, (const double *) t->wins->data, t->theta, NULL, NULL);
    }
  *theta = t->theta[i - 1];
  return TRUE;
}
