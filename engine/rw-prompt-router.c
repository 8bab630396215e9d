/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rw-error.h"
#include "rw-json.h"
#include "rw-prompt-router.h"
#include "rw-text.h"

/**
 * RwPromptRouter:
 *
 * Each model's chance to answer a prompt well, from the prompt itself: a logistic model per
 * model over the words and word pairs of the prompt (hashed, as the task classifier hashes
 * them), its shape (its length, how many numbers it holds and how many of them differ), and its
 * task (the task a request names, else the classifier's belief
 * over tasks). With each model's cost per task and the policy's cost weight, it ranks a
 * task's models for one prompt by expected quality minus the cost weight times the cost of a
 * thousand such requests, so that within a task a cheap model takes the prompts it can
 * handle. A prediction is a few microseconds; only the weights that matter are stored.
 *
 * Its JSON form: `{"type": "logistic", "buckets": 65536, "length_mean": 5.1, "length_sd":
 * 0.8, "numbers_mean": 0.9, "numbers_sd": 1.1, "distinct_numbers_mean": 0.8,
 * "distinct_numbers_sd": 1, "cost_weight": 0.09, "models": {"a/x": {"bias": 0.4, "length":
 * -0.1, "numbers": -0.2, "distinct_numbers": -0.1, "tasks": {"math": -0.6}, "weights": {"513":
 * 0.21, ...}}}, "costs": {"math": {"a/x": 0.0004}}}`, costs in US dollars per request, "all"
 * for any task. Each shape feature is standardized by its mean and spread over the prompts
 * learned from; a file without the numbers' (written before they were) routes by length alone.
 */

#define DEFAULT_BUCKETS 65536
#define MAX_BUCKETS (1u << 20)
#define EPOCHS 12
#define STEP 0.5
#define L2 1.0
#define STORED_MIN 1e-4

/* The prompt's shape: log (1 + bytes), log (1 + numbers), log (1 + distinct numbers). */
#define N_SHAPE 3
static const struct
{
  const char *weight, *mean, *sd;   /* members of a model, and of the router */
} shapes[N_SHAPE] = {
  { "length", "length_mean", "length_sd" },
  { "numbers", "numbers_mean", "numbers_sd" },
  { "distinct_numbers", "distinct_numbers_mean", "distinct_numbers_sd" },
};

typedef struct
{
  guint text;     /* index into texts */
  guint task;     /* index into task_names */
  double score;
} Example;

typedef struct
{
  char *name;
  double bias;
  double shape[N_SHAPE];
  GHashTable *tasks;    /* task (owned) -> weight (double *, owned) */
  float *weights;       /* buckets */
  GArray *examples;     /* Example, until trained */
} Model;

typedef struct
{
  guint *buckets;       /* sorted, distinct */
  guint n;
  double shape[N_SHAPE];
} Features;

struct _RwPromptRouter
{
  gatomicrefcount ref_count;
  guint buckets;
  double shape_mean[N_SHAPE], shape_sd[N_SHAPE];
  double cost_weight;
  GPtrArray *models;    /* Model */
  GHashTable *by_name;  /* name -> Model */
  GHashTable *costs;    /* task (owned) -> (model (owned) -> double * (owned)) */

  /* What rw_prompt_router_add() gathers for rw_prompt_router_train() */
  GHashTable *text_index;   /* text (owned by texts) -> index + 1 */
  GPtrArray *texts;         /* char * */
  GPtrArray *task_names;    /* char * */
  GHashTable *task_index;   /* name -> index + 1 */
};

G_DEFINE_BOXED_TYPE (RwPromptRouter, rw_prompt_router, rw_prompt_router_ref,
                     rw_prompt_router_unref)

static void
prompt_router_model_free (Model *m)
{
  g_free (m->name);
  g_hash_table_unref (m->tasks);
  g_free (m->weights);
  g_clear_pointer (&m->examples, g_array_unref);
  g_free (m);
}

static Model *
prompt_router_model (RwPromptRouter *self,
                     const char     *name,
                     gboolean        create)
{
  Model *m = g_hash_table_lookup (self->by_name, name);

  if (m != NULL || !create)
    return m;
  m = g_new0 (Model, 1);
  m->name = g_strdup (name);
  m->tasks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  m->weights = g_new0 (float, self->buckets);
  g_ptr_array_add (self->models, m);
  g_hash_table_insert (self->by_name, m->name, m);
  return m;
}

/**
 * rw_prompt_router_new:
 * @buckets: how many hash buckets the words fall into, 0 for the default (65536)
 *
 * Returns: (transfer full): a router with no models
 */
RwPromptRouter *
rw_prompt_router_new (guint buckets)
{
  RwPromptRouter *self = g_new0 (RwPromptRouter, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->buckets = buckets == 0 ? DEFAULT_BUCKETS : MIN (buckets, MAX_BUCKETS);
  for (guint k = 0; k < N_SHAPE; k++)
    self->shape_sd[k] = 1;
  self->models = g_ptr_array_new_with_free_func ((GDestroyNotify) prompt_router_model_free);
  self->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  self->costs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify) g_hash_table_unref);
  self->text_index = g_hash_table_new (g_str_hash, g_str_equal);
  self->texts = g_ptr_array_new_with_free_func (g_free);
  self->task_names = g_ptr_array_new_with_free_func (g_free);
  self->task_index = g_hash_table_new (g_str_hash, g_str_equal);
  return self;
}

RwPromptRouter *
rw_prompt_router_ref (RwPromptRouter *self)
{
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
rw_prompt_router_unref (RwPromptRouter *self)
{
  if (self != NULL && g_atomic_ref_count_dec (&self->ref_count))
    {
      g_ptr_array_unref (self->models);
      g_hash_table_unref (self->by_name);
      g_hash_table_unref (self->costs);
      g_hash_table_unref (self->text_index);
      g_ptr_array_unref (self->texts);
      g_ptr_array_unref (self->task_names);
      g_hash_table_unref (self->task_index);
      g_free (self);
    }
}

static guint
prompt_router_intern (GHashTable *index,
                      GPtrArray  *list,
                      const char *s)
{
  guint i = GPOINTER_TO_UINT (g_hash_table_lookup (index, s));

  if (i == 0)
    {
      g_ptr_array_add (list, g_strdup (s));
      i = list->len;
      g_hash_table_insert (index, list->pdata[i - 1], GUINT_TO_POINTER (i));
    }
  return i - 1;
}

/**
 * rw_prompt_router_add:
 * @self: a router
 * @model: the model that answered
 * @text: the prompt
 * @task: its task
 * @score: how well the model answered, 0 to 1
 *
 * Keeps one graded answer for rw_prompt_router_train().
 */
void
rw_prompt_router_add (RwPromptRouter *self,
                      const char     *model,
                      const char     *text,
                      const char     *task,
                      double          score)
{
  Model *m = prompt_router_model (self, model, TRUE);
  Example e = {
    prompt_router_intern (self->text_index, self->texts, text),
    prompt_router_intern (self->task_index, self->task_names, task),
    CLAMP (score, 0, 1),
  };

  if (m->examples == NULL)
    m->examples = g_array_new (FALSE, FALSE, sizeof (Example));
  g_array_append_val (m->examples, e);
}

static void
prompt_router_collect (guint    bucket,
                       gpointer data)
{
  g_array_append_val ((GArray *) data, bucket);
}

static int
prompt_router_compare_uint (gconstpointer a,
                            gconstpointer b)
{
  guint x = *(const guint *) a, y = *(const guint *) b;
  return x < y ? -1 : x > y;
}

/* The distinct buckets of @text, in order, and its shape. */
static void
prompt_router_features (RwPromptRouter *self,
                        const char     *text,
                        Features       *f)
{
  g_autoptr(GArray) all = g_array_new (FALSE, FALSE, sizeof (guint));
  guint n = 0, numbers, distinct;

  rw_text_each_feature (self->buckets, text, prompt_router_collect, all);
  g_array_sort (all, prompt_router_compare_uint);
  for (guint i = 0; i < all->len; i++)
    if (n == 0 || g_array_index (all, guint, i) != g_array_index (all, guint, n - 1))
      g_array_index (all, guint, n++) = g_array_index (all, guint, i);
  f->n = n;
  f->buckets = g_memdup2 (all->data, MAX (1, n) * sizeof (guint));
  rw_text_count_numbers (text, &numbers, &distinct);
  f->shape[0] = log1p ((double) strlen (text));
  f->shape[1] = log1p (numbers);
  f->shape[2] = log1p (distinct);
}

/* The shape of @f, standardized as the router learned it. */
static void
prompt_router_standard_shape (RwPromptRouter *self,
                              const Features *f,
                              double         *z)
{
  for (guint k = 0; k < N_SHAPE; k++)
    z[k] = (f->shape[k] - self->shape_mean[k]) / self->shape_sd[k];
}

static double
prompt_router_sigmoid (double z)
{
  return z >= 0 ? 1 / (1 + exp (-z)) : exp (z) / (1 + exp (z));
}

/* One model's logistic fit, by AdaGrad over its examples in an order fixed by a seed, with an
 * L2 penalty on every weight but the bias, each feature's share of it paid where it occurs. */
static void
prompt_router_fit (RwPromptRouter *self,
                   Model          *m,
                   Features       *features)
{
  guint n = m->examples->len, n_tasks = self->task_names->len;
  g_autofree double *w = g_new0 (double, self->buckets);
  g_autofree double *gw = g_new0 (double, self->buckets);
  g_autofree guint *count = g_new0 (guint, self->buckets);
  g_autofree double *tw = g_new0 (double, MAX (1, n_tasks));
  g_autofree double *gt = g_new0 (double, MAX (1, n_tasks));
  g_autofree guint *tcount = g_new0 (guint, MAX (1, n_tasks));
  g_autofree guint *order = g_new (guint, MAX (1, n));
  g_autoptr(GRand) rng = g_rand_new_with_seed (1);
  double bias = 0, gb = 0, lw[N_SHAPE] = { 0 }, gl[N_SHAPE] = { 0 }, mean = 0;

  for (guint i = 0; i < n; i++)
    {
      Example *e = &g_array_index (m->examples, Example, i);
      Features *f = &features[e->text];

      for (guint k = 0; k < f->n; k++)
        count[f->buckets[k]]++;
      tcount[e->task]++;
      mean += e->score / n;
      order[i] = i;
    }
  /* Start from the mean, so that few examples stay near it. */
  bias = log (CLAMP (mean, 0.01, 0.99) / (1 - CLAMP (mean, 0.01, 0.99)));
  for (guint epoch = 0; epoch < EPOCHS; epoch++)
    {
      for (guint i = n; i > 1; i--)
        {
          guint j = g_rand_int_range (rng, 0, (gint32) i), t = order[i - 1];
          order[i - 1] = order[j];
          order[j] = t;
        }
      for (guint i = 0; i < n; i++)
        {
          Example *e = &g_array_index (m->examples, Example, order[i]);
          Features *f = &features[e->text];
          double v = f->n > 0 ? 1 / sqrt (f->n) : 0;
          double z[N_SHAPE], s = bias + tw[e->task], g;

          prompt_router_standard_shape (self, f, z);
          for (guint k = 0; k < N_SHAPE; k++)
            s += lw[k] * z[k];
          for (guint k = 0; k < f->n; k++)
            s += v * w[f->buckets[k]];
          g = prompt_router_sigmoid (s) - e->score;

          gb += g * g;
          bias -= STEP * g / sqrt (gb + 1e-8);
          for (guint k = 0; k < N_SHAPE; k++)
            {
              double d = g * z[k] + L2 * lw[k] / n;
              gl[k] += d * d;
              lw[k] -= STEP * d / sqrt (gl[k] + 1e-8);
            }
          {
            double d = g + L2 * tw[e->task] / tcount[e->task];
            gt[e->task] += d * d;
            tw[e->task] -= STEP * d / sqrt (gt[e->task] + 1e-8);
          }
          for (guint k = 0; k < f->n; k++)
            {
              guint b = f->buckets[k];
              double d = g * v + L2 * w[b] / count[b];
              gw[b] += d * d;
              w[b] -= STEP * d / sqrt (gw[b] + 1e-8);
            }
        }
    }
  m->bias = bias;
  for (guint k = 0; k < N_SHAPE; k++)
    m->shape[k] = lw[k];
  for (guint b = 0; b < self->buckets; b++)
    m->weights[b] = (float) w[b];
  g_hash_table_remove_all (m->tasks);
  for (guint t = 0; t < n_tasks; t++)
    if (tcount[t] > 0)
      g_hash_table_insert (m->tasks, g_strdup (self->task_names->pdata[t]),
                           g_memdup2 (&tw[t], sizeof (double)));
}

/**
 * rw_prompt_router_train:
 * @self: a router
 *
 * Fits every model to the answers added since the last training, and forgets them.
 */
void
rw_prompt_router_train (RwPromptRouter *self)
{
  guint n = self->texts->len;
  g_autofree Features *features = g_new0 (Features, MAX (1, n));
  double sum[N_SHAPE] = { 0 }, sumsq[N_SHAPE] = { 0 };

  for (guint i = 0; i < n; i++)
    {
      prompt_router_features (self, self->texts->pdata[i], &features[i]);
      for (guint k = 0; k < N_SHAPE; k++)
        {
          sum[k] += features[i].shape[k];
          sumsq[k] += features[i].shape[k] * features[i].shape[k];
        }
    }
  for (guint k = 0; k < N_SHAPE && n > 0; k++)
    {
      self->shape_mean[k] = sum[k] / n;
      self->shape_sd[k] = MAX (1e-3, sqrt (MAX (0, sumsq[k] / n -
                                                    self->shape_mean[k] * self->shape_mean[k])));
    }
  for (guint i = 0; i < self->models->len; i++)
    {
      Model *m = self->models->pdata[i];

      if (m->examples != NULL && m->examples->len > 0)
        prompt_router_fit (self, m, features);
      g_clear_pointer (&m->examples, g_array_unref);
    }
  for (guint i = 0; i < n; i++)
    g_free (features[i].buckets);
  g_hash_table_remove_all (self->text_index);
  g_ptr_array_set_size (self->texts, 0);
  g_hash_table_remove_all (self->task_index);
  g_ptr_array_set_size (self->task_names, 0);
}

/**
 * rw_prompt_router_set_cost:
 * @self: a router
 * @task: a task, or "all" for any
 * @model: a model
 * @cost_usd: what one of its answers costs on average, in US dollars
 */
void
rw_prompt_router_set_cost (RwPromptRouter *self,
                           const char     *task,
                           const char     *model,
                           double          cost_usd)
{
  GHashTable *t = g_hash_table_lookup (self->costs, task);

  if (t == NULL)
    {
      t = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      g_hash_table_insert (self->costs, g_strdup (task), t);
    }
  g_hash_table_replace (t, g_strdup (model), g_memdup2 (&cost_usd, sizeof (double)));
}

/**
 * rw_prompt_router_get_cost:
 * @self: a router
 * @task: (nullable): a task
 * @model: a model
 * @cost_usd: (out): its cost per request for @task, else for any task
 *
 * Returns: whether a cost is known
 */
gboolean
rw_prompt_router_get_cost (RwPromptRouter *self,
                           const char     *task,
                           const char     *model,
                           double         *cost_usd)
{
  const char *keys[] = { task, "all" };

  for (guint k = 0; k < 2; k++)
    {
      GHashTable *t = keys[k] ? g_hash_table_lookup (self->costs, keys[k]) : NULL;
      double *c = t ? g_hash_table_lookup (t, model) : NULL;

      if (c != NULL)
        {
          *cost_usd = *c;
          return TRUE;
        }
    }
  return FALSE;
}

/**
 * rw_prompt_router_set_cost_weight:
 * @self: a router
 * @cost_weight: quality points given up for each US dollar per thousand requests
 */
void
rw_prompt_router_set_cost_weight (RwPromptRouter *self,
                                  double          cost_weight)
{
  self->cost_weight = isfinite (cost_weight) ? MAX (0, cost_weight) : 0;
}

double
rw_prompt_router_get_cost_weight (RwPromptRouter *self)
{
  return self->cost_weight;
}

gboolean
rw_prompt_router_has_model (RwPromptRouter *self,
                            const char     *model)
{
  return g_hash_table_contains (self->by_name, model);
}

/**
 * rw_prompt_router_quality:
 * @self: a router
 * @model: a model
 * @text: a prompt
 * @tasks: (array length=n_tasks): tasks
 * @task_probs: (array length=n_tasks): how likely the prompt is of each
 * @n_tasks: how many
 *
 * Returns: the model's expected score for the prompt, 0 to 1; NAN for a model it does not know
 */
double
rw_prompt_router_quality (RwPromptRouter     *self,
                          const char         *model,
                          const char         *text,
                          const char * const *tasks,
                          const double       *task_probs,
                          guint               n_tasks)
{
  const char *models[] = { model };
  double q;

  rw_prompt_router_qualities (self, models, 1, text, tasks, task_probs, n_tasks, &q);
  return q;
}

/**
 * rw_prompt_router_qualities:
 * @self: a router
 * @models: (array length=n_models): models
 * @n_models: how many
 * @text: a prompt
 * @tasks: (array length=n_tasks): tasks
 * @task_probs: (array length=n_tasks): how likely the prompt is of each
 * @n_tasks: how many
 * @out: (array length=n_models): each model's rw_prompt_router_quality(), the prompt's
 *   features found once for them all
 */
void
rw_prompt_router_qualities (RwPromptRouter     *self,
                            const char * const *models,
                            guint               n_models,
                            const char         *text,
                            const char * const *tasks,
                            const double       *task_probs,
                            guint               n_tasks,
                            double             *out)
{
  Features f = { NULL, 0, { 0 } };
  double v = 0, z[N_SHAPE] = { 0 };

  for (guint i = 0; i < n_models; i++)
    {
      Model *m = prompt_router_model (self, models[i], FALSE);
      double s;

      if (m == NULL)
        {
          out[i] = NAN;
          continue;
        }
      if (f.buckets == NULL)
        {
          prompt_router_features (self, text ? text : "", &f);
          prompt_router_standard_shape (self, &f, z);
          v = f.n > 0 ? 1 / sqrt (f.n) : 0;
        }
      s = m->bias;
      for (guint k = 0; k < N_SHAPE; k++)
        s += m->shape[k] * z[k];
      for (guint k = 0; k < f.n; k++)
        s += v * m->weights[f.buckets[k]];
      for (guint t = 0; t < n_tasks; t++)
        {
          double *tw = tasks[t] ? g_hash_table_lookup (m->tasks, tasks[t]) : NULL;
          if (tw != NULL && task_probs[t] > 0)
            s += task_probs[t] * *tw;
        }
      out[i] = prompt_router_sigmoid (s);
    }
  g_free (f.buckets);
}

static void
prompt_router_add_double (JsonBuilder *b,
                          double       v)
{
  /* Six significant digits: enough for a weight, and a smaller file. */
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  json_builder_add_double_value (b, g_ascii_strtod (g_ascii_formatd (buf, sizeof buf, "%.6g", v),
                                                    NULL));
}

static GList *
prompt_router_sorted_keys (GHashTable *table)
{
  return g_list_sort (g_hash_table_get_keys (table), (GCompareFunc) g_strcmp0);
}

/**
 * rw_prompt_router_to_json:
 * @self: a router
 *
 * Returns: (transfer full): its JSON form; the same router gives the same text
 */
JsonNode *
rw_prompt_router_to_json (RwPromptRouter *self)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(GList) tasks = prompt_router_sorted_keys (self->costs);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "logistic");
  json_builder_set_member_name (b, "buckets");
  json_builder_add_int_value (b, self->buckets);
  for (guint k = 0; k < N_SHAPE; k++)
    {
      json_builder_set_member_name (b, shapes[k].mean);
      prompt_router_add_double (b, self->shape_mean[k]);
      json_builder_set_member_name (b, shapes[k].sd);
      prompt_router_add_double (b, self->shape_sd[k]);
    }
  json_builder_set_member_name (b, "cost_weight");
  json_builder_add_double_value (b, self->cost_weight);
  json_builder_set_member_name (b, "models");
  json_builder_begin_object (b);
  for (guint i = 0; i < self->models->len; i++)
    {
      Model *m = self->models->pdata[i];
      g_autoptr(GList) names = prompt_router_sorted_keys (m->tasks);

      json_builder_set_member_name (b, m->name);
      json_builder_begin_object (b);
      json_builder_set_member_name (b, "bias");
      prompt_router_add_double (b, m->bias);
      for (guint k = 0; k < N_SHAPE; k++)
        {
          json_builder_set_member_name (b, shapes[k].weight);
          prompt_router_add_double (b, m->shape[k]);
        }
      json_builder_set_member_name (b, "tasks");
      json_builder_begin_object (b);
      for (GList *l = names; l; l = l->next)
        {
          json_builder_set_member_name (b, l->data);
          prompt_router_add_double (b, *(double *) g_hash_table_lookup (m->tasks, l->data));
        }
      json_builder_end_object (b);
      json_builder_set_member_name (b, "weights");
      json_builder_begin_object (b);
      for (guint k = 0; k < self->buckets; k++)
        if (fabsf (m->weights[k]) >= STORED_MIN)
          {
            char name[16];
            g_snprintf (name, sizeof name, "%u", k);
            json_builder_set_member_name (b, name);
            prompt_router_add_double (b, m->weights[k]);
          }
      json_builder_end_object (b);
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  json_builder_set_member_name (b, "costs");
  json_builder_begin_object (b);
  for (GList *t = tasks; t; t = t->next)
    {
      GHashTable *models = g_hash_table_lookup (self->costs, t->data);
      g_autoptr(GList) names = prompt_router_sorted_keys (models);

      json_builder_set_member_name (b, t->data);
      json_builder_begin_object (b);
      for (GList *l = names; l; l = l->next)
        {
          json_builder_set_member_name (b, l->data);
          json_builder_add_double_value (b, *(double *) g_hash_table_lookup (models, l->data));
        }
      json_builder_end_object (b);
    }
  json_builder_end_object (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/* A weight, a mean or a spread: a finite number of reasonable size. */
static gboolean
prompt_router_number (RwJsonDoc *doc,
                      guint32    v,
                      double    *out)
{
  RwJsonType type = rw_json_doc_type (doc, v);

  if (type != RW_JSON_INT && type != RW_JSON_DOUBLE)
    return FALSE;
  *out = rw_json_doc_double (doc, v, NAN);
  return isfinite (*out) && fabs (*out) < 1e6;
}

static gboolean
prompt_router_has (RwJsonDoc  *doc,
                   guint32     v,
                   const char *member)
{
  return rw_json_doc_member (doc, v, member) != RW_JSON_NONE;
}

static gboolean
prompt_router_read_model (RwPromptRouter *self,
                          const char     *name,
                          RwJsonDoc      *doc,
                          guint32         mo,
                          GError        **error)
{
  guint32 tasks = rw_json_doc_member (doc, mo, "tasks");
  guint32 weights = rw_json_doc_member (doc, mo, "weights");
  Model *m;

  if (rw_json_doc_type (doc, mo) != RW_JSON_OBJECT || rw_json_doc_type (doc, tasks) != RW_JSON_OBJECT ||
      rw_json_doc_type (doc, weights) != RW_JSON_OBJECT)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                   "the router's model “%s” needs “bias”, “length”, “tasks” and “weights”", name);
      return FALSE;
    }
  m = prompt_router_model (self, name, TRUE);
  if (!prompt_router_number (doc, rw_json_doc_member (doc, mo, "bias"), &m->bias) ||
      !prompt_router_number (doc, rw_json_doc_member (doc, mo, "length"), &m->shape[0]))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                   "the router's model “%s” needs a number for “bias” and “length”", name);
      return FALSE;
    }
  for (guint k = 1; k < N_SHAPE; k++)
    if (prompt_router_has (doc, mo, shapes[k].weight) &&
        !prompt_router_number (doc, rw_json_doc_member (doc, mo, shapes[k].weight), &m->shape[k]))
      {
        g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                     "the router's model “%s” has a bad weight for “%s”", name, shapes[k].weight);
        return FALSE;
      }
  for (guint32 t = rw_json_doc_first (doc, tasks); t != RW_JSON_NONE; t = rw_json_doc_next (doc, t))
    {
      double w;

      if (!prompt_router_number (doc, t, &w))
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                       "the router's model “%s” has a bad weight for task “%s”", name,
                       rw_json_doc_name (doc, t));
          return FALSE;
        }
      g_hash_table_replace (m->tasks, g_strdup (rw_json_doc_name (doc, t)),
                            g_memdup2 (&w, sizeof (double)));
    }
  for (guint32 b = rw_json_doc_first (doc, weights); b != RW_JSON_NONE; b = rw_json_doc_next (doc, b))
    {
      const char *key = rw_json_doc_name (doc, b);
      char *end = NULL;
      guint64 bucket = g_ascii_strtoull (key, &end, 10);
      double w;

      if (end == key || *end != '\0' || bucket >= self->buckets || !prompt_router_number (doc, b, &w))
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                       "the router's model “%s” has a bad weight for bucket “%s”", name, key);
          return FALSE;
        }
      m->weights[bucket] = (float) w;
    }
  return TRUE;
}

/**
 * rw_prompt_router_new_from_doc:
 * @doc: a JSON document
 * @v: the router's JSON form in it
 * @error: return location for an error
 *
 * Reads the router straight from the compact document, with no json-glib tree between: a
 * learned policy's router holds a weight for nearly every bucket of every model.
 *
 * Returns: (transfer full) (nullable): the router
 */
RwPromptRouter *
rw_prompt_router_new_from_doc (RwJsonDoc  *doc,
                               guint32     v,
                               GError    **error)
{
  g_autoptr(RwPromptRouter) self = NULL;
  guint32 models = rw_json_doc_member (doc, v, "models");
  guint32 costs = rw_json_doc_member (doc, v, "costs");
  guint32 b = rw_json_doc_member (doc, v, "buckets");
  gint64 buckets = rw_json_doc_type (doc, b) == RW_JSON_INT ? rw_json_doc_int (doc, b, 0) : 0;
  double mean, sd, weight;

  if (rw_json_doc_type (doc, v) != RW_JSON_OBJECT ||
      g_strcmp0 (rw_json_doc_string (doc, rw_json_doc_member (doc, v, "type")), "logistic") != 0)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "the router must be of type “logistic”");
      return NULL;
    }
  if (buckets < 1 || buckets > MAX_BUCKETS || rw_json_doc_type (doc, models) != RW_JSON_OBJECT ||
      rw_json_doc_type (doc, costs) != RW_JSON_OBJECT ||
      !prompt_router_number (doc, rw_json_doc_member (doc, v, "length_mean"), &mean) ||
      !prompt_router_number (doc, rw_json_doc_member (doc, v, "length_sd"), &sd) || !(sd > 0) ||
      !prompt_router_number (doc, rw_json_doc_member (doc, v, "cost_weight"), &weight))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                   "the router needs “buckets” (1 to %u), “length_mean”, “length_sd”, "
                   "“cost_weight”, “models” and “costs”", MAX_BUCKETS);
      return NULL;
    }
  self = rw_prompt_router_new ((guint) buckets);
  self->shape_mean[0] = mean;
  self->shape_sd[0] = sd;
  for (guint k = 1; k < N_SHAPE; k++)
    {
      const char *mean_name = shapes[k].mean, *sd_name = shapes[k].sd;
      gboolean has_mean = prompt_router_has (doc, v, mean_name);
      gboolean has_sd = prompt_router_has (doc, v, sd_name);

      if (has_mean != has_sd ||
          (has_mean &&
           (!prompt_router_number (doc, rw_json_doc_member (doc, v, mean_name), &self->shape_mean[k]) ||
            !prompt_router_number (doc, rw_json_doc_member (doc, v, sd_name), &self->shape_sd[k]) ||
            !(self->shape_sd[k] > 0))))
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                       "the router needs “%s” and “%s” together, numbers, the second above 0",
                       mean_name, sd_name);
          return NULL;
        }
    }
  rw_prompt_router_set_cost_weight (self, weight);
  /* A model named twice is its last, as a JSON object's member is. */
  for (guint32 m = rw_json_doc_first (doc, models); m != RW_JSON_NONE; m = rw_json_doc_next (doc, m))
    if (rw_json_doc_member (doc, models, rw_json_doc_name (doc, m)) == m &&
        !prompt_router_read_model (self, rw_json_doc_name (doc, m), doc, m, error))
      return NULL;
  for (guint32 t = rw_json_doc_first (doc, costs); t != RW_JSON_NONE; t = rw_json_doc_next (doc, t))
    {
      const char *name = rw_json_doc_name (doc, t);

      if (rw_json_doc_type (doc, t) != RW_JSON_OBJECT)
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                       "the router's costs for “%s” must be an object", name);
          return NULL;
        }
      for (guint32 c = rw_json_doc_first (doc, t); c != RW_JSON_NONE; c = rw_json_doc_next (doc, c))
        {
          double cost;

          if (!prompt_router_number (doc, c, &cost) || cost < 0)
            {
              g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                           "the router's cost of “%s” for “%s” must be a number, 0 or more",
                           rw_json_doc_name (doc, c), name);
              return NULL;
            }
          rw_prompt_router_set_cost (self, name, rw_json_doc_name (doc, c), cost);
        }
    }
  return g_steal_pointer (&self);
}

/**
 * rw_prompt_router_new_from_json:
 * @node: the JSON form
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the router, read as rw_prompt_router_new_from_doc()
 *   reads it
 */
RwPromptRouter *
rw_prompt_router_new_from_json (JsonNode  *node,
                                GError   **error)
{
  g_autoptr(RwJsonDoc) doc = rw_json_doc_new_from_node (node);

  return rw_prompt_router_new_from_doc (doc, RW_JSON_ROOT, error);
}
