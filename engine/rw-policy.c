/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rw-error.h"
#include "rw-file.h"
#include "rw-json.h"
#include "rw-policy.h"
#include "rw-prompt-router.h"
#include "rw-store.h"
#include "rw-text-classifier.h"
#include "rw-text.h"

/**
 * RwPolicy:
 *
 * Which models serve a request, in order. For `routewise/auto`, the request's task (given, or
 * found by the classifier the policy carries) picks an ordered list, else the default list. For
 * a concrete model, the model itself comes first, then its fallbacks: those the policy names for
 * it, else the default list.
 *
 * The file form, which learned policies extend:
 * `{"version": 1, "default": ["a/x", "b/y"], "tasks": {"code": ["c/z", "a/x"]},
 *   "fallbacks": {"a/x": ["b/y"]}, "rules": [{"task": "code", "keywords": ["python"]}],
 *   "classifier": {"type": "naive-bayes", ...}}`; other members (a learned policy's evidence)
 * are kept in the file and ignored here.
 */
struct _RwPolicy
{
  GObject parent_instance;

  GStrv default_models;
  GHashTable *tasks;       /* task -> GStrv */
  GHashTable *fallbacks;   /* model -> GStrv */
  RwTaskClassifier classifier;
  gpointer classifier_data;
  GDestroyNotify classifier_destroy;
  GPtrArray *rules;        /* Rule, from the file: tried before the classifier */
  RwTextClassifier *tasks_classifier;  /* the file's, whose belief the router weighs */
  RwPromptRouter *router;  /* (nullable): ranks a task's models for each prompt */
};

/* A rule of the policy file: {"task": "code", "keywords": ["python", ...], "regex": "..."};
 * any keyword (a whole word, any case) or the regex matching the prompt gives the task. */
typedef struct
{
  char *task;
  GStrv keywords;
  GRegex *regex;
} Rule;

static void
policy_rule_free (Rule *r)
{
  g_free (r->task);
  g_strfreev (r->keywords);
  g_clear_pointer (&r->regex, g_regex_unref);
  g_free (r);
}

G_DEFINE_FINAL_TYPE (RwPolicy, rw_policy, G_TYPE_OBJECT)

static void
rw_policy_finalize (GObject *object)
{
  RwPolicy *self = (RwPolicy *) object;

  g_clear_pointer (&self->default_models, g_strfreev);
  g_clear_pointer (&self->tasks, g_hash_table_unref);
  g_clear_pointer (&self->fallbacks, g_hash_table_unref);
  g_clear_pointer (&self->rules, g_ptr_array_unref);
  g_clear_pointer (&self->tasks_classifier, rw_text_classifier_unref);
  g_clear_pointer (&self->router, rw_prompt_router_unref);
  if (self->classifier_destroy != NULL)
    self->classifier_destroy (self->classifier_data);
  G_OBJECT_CLASS (rw_policy_parent_class)->finalize (object);
}

static void
rw_policy_class_init (RwPolicyClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = rw_policy_finalize;
}

static void
rw_policy_init (RwPolicy *self)
{
  self->default_models = g_new0 (char *, 1);
  self->tasks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify) g_strfreev);
  self->fallbacks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                           (GDestroyNotify) g_strfreev);
  self->rules = g_ptr_array_new_with_free_func ((GDestroyNotify) policy_rule_free);
}

RwPolicy *
rw_policy_new (void)
{
  return g_object_new (RW_TYPE_POLICY, NULL);
}

void
rw_policy_set_default (RwPolicy           *self,
                       const char * const *models)
{
  g_return_if_fail (RW_IS_POLICY (self));
  g_strfreev (self->default_models);
  self->default_models = g_strdupv ((char **) models);
}

void
rw_policy_set_task (RwPolicy           *self,
                    const char         *task,
                    const char * const *models)
{
  g_return_if_fail (RW_IS_POLICY (self));
  g_hash_table_replace (self->tasks, g_strdup (task), g_strdupv ((char **) models));
}

void
rw_policy_set_fallbacks (RwPolicy           *self,
                         const char         *model,
                         const char * const *fallbacks)
{
  g_return_if_fail (RW_IS_POLICY (self));
  g_hash_table_replace (self->fallbacks, g_strdup (model), g_strdupv ((char **) fallbacks));
}

/**
 * rw_policy_set_classifier:
 * @self: a #RwPolicy
 * @classifier: (nullable): finds the task of a request that has none
 * @user_data: passed to @classifier
 * @destroy: (nullable): frees @user_data
 */
void
rw_policy_set_classifier (RwPolicy         *self,
                          RwTaskClassifier  classifier,
                          gpointer          user_data,
                          GDestroyNotify    destroy)
{
  g_return_if_fail (RW_IS_POLICY (self));
  if (self->classifier_destroy != NULL)
    self->classifier_destroy (self->classifier_data);
  self->classifier = classifier;
  self->classifier_data = user_data;
  self->classifier_destroy = destroy;
}

/**
 * rw_policy_classify:
 * @self: a #RwPolicy
 * @request: a request
 *
 * Returns: (transfer full) (nullable): the request's own task, else the first of the policy's
 *   rules that matches its prompt, else the classifier's
 */
static const char *
policy_rule_task (RwPolicy   *self,
                  const char *text)
{
  for (guint i = 0; text != NULL && i < self->rules->len; i++)
    {
      Rule *r = self->rules->pdata[i];

      if (r->regex != NULL && g_regex_match (r->regex, text, 0, NULL))
        return r->task;
      for (guint k = 0; r->keywords != NULL && r->keywords[k] != NULL; k++)
        if (rw_text_has_word (text, r->keywords[k]))
          return r->task;
    }
  return NULL;
}

char *
rw_policy_classify (RwPolicy      *self,
                    RwChatRequest *request)
{
  const char *ruled;

  g_return_val_if_fail (RW_IS_POLICY (self), NULL);

  if (rw_chat_request_get_task (request) != NULL)
    return g_strdup (rw_chat_request_get_task (request));
  if ((ruled = policy_rule_task (self, rw_chat_request_get_last_user_text (request))) != NULL)
    return g_strdup (ruled);
  if (self->classifier != NULL)
    return self->classifier (request, self->classifier_data);
  return NULL;
}

static void
policy_add_unique (GStrvBuilder *builder,
                   GHashTable   *seen,
                   const char   *model)
{
  if (model != NULL && !g_hash_table_contains (seen, model))
    {
      g_hash_table_add (seen, (gpointer) model);
      g_strv_builder_add (builder, model);
    }
}

/**
 * rw_policy_candidates:
 * @self: a #RwPolicy
 * @model: the model asked for: a model id or `routewise/auto`
 * @task: (nullable): the request's task
 *
 * Returns: (transfer full): the models to try, in order, each once
 */
GStrv
rw_policy_candidates (RwPolicy   *self,
                      const char *model,
                      const char *task)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  char **list = NULL;

  g_return_val_if_fail (RW_IS_POLICY (self), NULL);

  if (model == NULL || g_str_equal (model, RW_POLICY_AUTO_MODEL))
    {
      if (task != NULL)
        list = g_hash_table_lookup (self->tasks, task);
      if (list == NULL)
        list = self->default_models;
    }
  else
    {
      policy_add_unique (builder, seen, model);
      list = g_hash_table_lookup (self->fallbacks, model);
      if (list == NULL)
        list = self->default_models;
    }
  for (guint i = 0; list && list[i]; i++)
    policy_add_unique (builder, seen, list[i]);
  return g_strv_builder_end (builder);
}

/* What the router knows of the request's task: @task alone when the request or a rule names
 * it (or no classifier of the file's found it), else the classifier's belief over every
 * task. */
static guint
policy_task_beliefs (RwPolicy       *self,
                     RwChatRequest  *request,
                     const char     *task,
                     const char   ***names,
                     double        **probs)
{
  const char *text = rw_chat_request_get_last_user_text (request);
  guint n;

  if (rw_chat_request_get_task (request) == NULL && policy_rule_task (self, text) == NULL &&
      self->tasks_classifier != NULL && text != NULL &&
      (n = rw_text_classifier_get_n_labels (self->tasks_classifier)) > 0)
    {
      *probs = rw_text_classifier_posterior (self->tasks_classifier, text);
      *names = g_new (const char *, n);
      for (guint i = 0; i < n; i++)
        (*names)[i] = rw_text_classifier_get_label (self->tasks_classifier, i);
      return n;
    }
  *names = g_new (const char *, 1);
  *probs = g_new (double, 1);
  (*names)[0] = task;
  (*probs)[0] = 1;
  return task != NULL ? 1 : 0;
}

typedef struct
{
  char *model;
  double score;
  guint index;
} Ranked;

static int
policy_compare_ranked (gconstpointer a,
                       gconstpointer b)
{
  const Ranked *x = a, *y = b;

  if (isnan (x->score) != isnan (y->score))
    return isnan (x->score) ? 1 : -1;
  if (!isnan (x->score) && x->score != y->score)
    return x->score > y->score ? -1 : 1;
  return x->index < y->index ? -1 : x->index > y->index;
}

/**
 * rw_policy_route:
 * @self: a #RwPolicy
 * @model: the model asked for: a model id or `routewise/auto`
 * @task: (nullable): the request's task, from rw_policy_classify()
 * @request: the request
 *
 * The candidates of rw_policy_candidates(); for `routewise/auto` with a policy that carries a
 * prompt router, those it knows ranked for this prompt by expected quality minus the cost
 * weight times the cost of a thousand requests, then the others in the policy's order.
 *
 * Returns: (transfer full): the models to try, in order, each once
 */
GStrv
rw_policy_route (RwPolicy      *self,
                 const char    *model,
                 const char    *task,
                 RwChatRequest *request)
{
  g_auto(GStrv) list = NULL;
  g_autofree const char **names = NULL;
  g_autofree double *probs = NULL;
  g_autofree Ranked *ranked = NULL;
  g_autofree double *qualities = NULL;
  const char *text;
  guint n, n_tasks;
  GStrv out;

  g_return_val_if_fail (RW_IS_POLICY (self), NULL);

  list = rw_policy_candidates (self, model, task);
  n = g_strv_length (list);
  if (self->router == NULL || request == NULL || n < 2 ||
      (model != NULL && !g_str_equal (model, RW_POLICY_AUTO_MODEL)))
    return g_steal_pointer (&list);
  text = rw_chat_request_get_last_user_text (request);
  n_tasks = policy_task_beliefs (self, request, task, &names, &probs);
  ranked = g_new (Ranked, n);
  qualities = g_new (double, n);
  rw_prompt_router_qualities (self->router, (const char * const *) list, n, text, names, probs,
                              n_tasks, qualities);
  for (guint i = 0; i < n; i++)
    {
      double q = qualities[i];
      double c;

      ranked[i].model = list[i];
      ranked[i].index = i;
      ranked[i].score = !isnan (q) && rw_prompt_router_get_cost (self->router, task, list[i], &c)
                        ? q - rw_prompt_router_get_cost_weight (self->router) * c * 1000 : NAN;
    }
  qsort (ranked, n, sizeof (Ranked), policy_compare_ranked);
  out = g_new0 (char *, n + 1);
  for (guint i = 0; i < n; i++)
    out[i] = g_strdup (ranked[i].model);
  return out;
}

/**
 * rw_policy_estimate:
 * @self: a #RwPolicy
 * @request: a request
 * @task: (nullable): its task, from rw_policy_classify()
 * @model: a model
 * @quality: (out): the model's expected score for the request, 0 to 1
 * @cost_usd: (out): what the policy expects one of its answers to cost
 *
 * Returns: whether the policy's prompt router knows @model and its cost
 */
gboolean
rw_policy_estimate (RwPolicy      *self,
                    RwChatRequest *request,
                    const char    *task,
                    const char    *model,
                    double        *quality,
                    double        *cost_usd)
{
  g_autofree const char **names = NULL;
  g_autofree double *probs = NULL;
  guint n_tasks;

  g_return_val_if_fail (RW_IS_POLICY (self), FALSE);

  if (self->router == NULL || !rw_prompt_router_has_model (self->router, model) ||
      !rw_prompt_router_get_cost (self->router, task, model, cost_usd))
    return FALSE;
  n_tasks = policy_task_beliefs (self, request, task, &names, &probs);
  *quality = rw_prompt_router_quality (self->router, model,
                                       rw_chat_request_get_last_user_text (request), names,
                                       probs, n_tasks);
  return TRUE;
}

/**
 * rw_policy_estimate_all:
 * @self: a #RwPolicy
 * @request: a request
 * @task: (nullable): its task, from rw_policy_classify()
 * @models: (array length=n_models): models
 * @n_models: how many
 * @quality: (array length=n_models): each model's rw_policy_estimate() quality, NAN where the
 *   policy's prompt router does not know it or its cost
 * @cost_usd: (array length=n_models): and cost
 *
 * rw_policy_estimate() for several models, the request's task beliefs and features found once.
 */
void
rw_policy_estimate_all (RwPolicy            *self,
                        RwChatRequest       *request,
                        const char          *task,
                        const char * const  *models,
                        guint                n_models,
                        double              *quality,
                        double              *cost_usd)
{
  g_autofree const char **names = NULL;
  g_autofree double *probs = NULL;
  guint n_tasks;

  g_return_if_fail (RW_IS_POLICY (self));

  for (guint i = 0; i < n_models; i++)
    {
      quality[i] = NAN;
      cost_usd[i] = NAN;
    }
  if (self->router == NULL)
    return;
  n_tasks = policy_task_beliefs (self, request, task, &names, &probs);
  rw_prompt_router_qualities (self->router, models, n_models,
                              rw_chat_request_get_last_user_text (request), names, probs,
                              n_tasks, quality);
  for (guint i = 0; i < n_models; i++)
    if (!rw_prompt_router_get_cost (self->router, task, models[i], &cost_usd[i]))
      quality[i] = cost_usd[i] = NAN;
}

/**
 * rw_policy_get_router:
 * @self: a #RwPolicy
 *
 * Returns: (transfer none) (nullable): the policy's prompt router
 */
RwPromptRouter *
rw_policy_get_router (RwPolicy *self)
{
  g_return_val_if_fail (RW_IS_POLICY (self), NULL);
  return self->router;
}

static GStrv
policy_strv_from_node (JsonNode    *node,
                       const char  *where,
                       GError     **error)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  JsonArray *array;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s must be an array of model ids", where);
      return NULL;
    }
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *e = json_array_get_element (array, i);
      if (!JSON_NODE_HOLDS_VALUE (e) || json_node_get_value_type (e) != G_TYPE_STRING)
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s[%u] must be a model id", where, i);
          return NULL;
        }
      g_strv_builder_add (builder, json_node_get_string (e));
    }
  return g_strv_builder_end (builder);
}

/* A member of @obj that maps names to model lists ("tasks", "fallbacks"), into @table. */
static gboolean
policy_read_lists (JsonObject  *obj,
                   const char  *member,
                   const char  *origin,
                   GHashTable  *table,
                   GError     **error)
{
  JsonNode *node = json_object_get_member (obj, member);
  g_autoptr(GList) names = NULL;

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: “%s” must be an object", origin,
                   member);
      return FALSE;
    }
  names = json_object_get_members (json_node_get_object (node));
  for (GList *l = names; l; l = l->next)
    {
      g_autofree char *w = g_strdup_printf ("%s: %s.%s", origin, member, (char *) l->data);
      GStrv list = policy_strv_from_node (json_object_get_member (json_node_get_object (node),
                                                                  l->data),
                                   w, error);
      if (list == NULL)
        return FALSE;
      g_hash_table_replace (table, g_strdup (l->data), list);
    }
  return TRUE;
}

/* The explicit rules: a task for prompts with its keywords or matching its regex. */
static gboolean
policy_read_rules (JsonObject  *obj,
                   const char  *origin,
                   GPtrArray   *rules,
                   GError     **error)
{
  JsonNode *node = json_object_get_member (obj, "rules");
  JsonArray *array;

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: “rules” must be a list", origin);
      return FALSE;
    }
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *rn = json_array_get_element (array, i);
      JsonObject *ro = JSON_NODE_HOLDS_OBJECT (rn) ? json_node_get_object (rn) : NULL;
      const char *task = ro ? rw_json_object_get_string (ro, "task", NULL) : NULL;
      const char *pattern = ro ? rw_json_object_get_string (ro, "regex", NULL) : NULL;
      g_autofree char *w = g_strdup_printf ("%s: rules[%u].keywords", origin, i);
      Rule *rule;

      if (task == NULL || *task == '\0' ||
          (pattern == NULL && !json_object_has_member (ro, "keywords")))
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                       "%s: rules[%u] needs a “task” and “keywords” or a “regex”", origin, i);
          return FALSE;
        }
      rule = g_new0 (Rule, 1);
      rule->task = g_strdup (task);
      g_ptr_array_add (rules, rule);
      if (json_object_has_member (ro, "keywords") &&
          (rule->keywords = policy_strv_from_node (json_object_get_member (ro, "keywords"), w,
                                            error)) == NULL)
        return FALSE;
      if (pattern != NULL)
        {
          g_autoptr(GError) re_error = NULL;

          rule->regex = g_regex_new (pattern, G_REGEX_CASELESS | G_REGEX_OPTIMIZE, 0, &re_error);
          if (rule->regex == NULL)
            {
              g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: rules[%u].regex: %s", origin,
                           i, re_error->message);
              return FALSE;
            }
        }
    }
  return TRUE;
}

/**
 * rw_policy_load_data:
 * @self: a #RwPolicy
 * @origin: the file name, for messages
 * @json: the policy document
 * @length: its length, or -1
 * @error: return location for an error
 *
 * Returns: %TRUE on success; on failure the policy is unchanged
 */
static char *
policy_classify_with (RwChatRequest *request,
                      gpointer       data)
{
  const char *text = rw_chat_request_get_last_user_text (request);
  const char *task = text ? rw_text_classifier_predict (data, text, NULL) : NULL;
  return g_strdup (task);
}

gboolean
rw_policy_load_data (RwPolicy    *self,
                     const char  *origin,
                     const char  *json,
                     gssize       length,
                     GError     **error)
{
  g_autoptr(RwJsonDoc) doc = NULL;
  g_autoptr(JsonObject) obj = NULL;
  g_autoptr(GError) local = NULL;
  g_autoptr(GHashTable) tasks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                       (GDestroyNotify) g_strfreev);
  g_autoptr(GHashTable) fallbacks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                           (GDestroyNotify) g_strfreev);
  g_auto(GStrv) default_models = NULL;
  g_autoptr(GPtrArray) rules = g_ptr_array_new_with_free_func ((GDestroyNotify) policy_rule_free);
  g_autoptr(RwTextClassifier) classifier = NULL;
  g_autoptr(RwPromptRouter) router = NULL;
  guint32 member;
  g_autofree char *where = NULL;

  if ((doc = rw_json_doc_parse (json, length < 0 ? strlen (json) : (gsize) length, &local)) == NULL)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: not valid JSON: %s", origin,
                   local->message);
      return FALSE;
    }
  if (rw_json_doc_type (doc, RW_JSON_ROOT) != RW_JSON_OBJECT)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: a policy is a JSON object", origin);
      return FALSE;
    }
  /* The classifier and the router, most of a learned policy, are read from the document itself;
   * a json-glib tree of them took ten times the file's size in memory. */
  obj = json_object_new ();
  for (member = rw_json_doc_first (doc, RW_JSON_ROOT); member != RW_JSON_NONE;
       member = rw_json_doc_next (doc, member))
    {
      const char *name = rw_json_doc_name (doc, member);

      if (!g_str_equal (name, "classifier") && !g_str_equal (name, "router"))
        json_object_set_member (obj, name, rw_json_doc_to_node (doc, member));
    }
  if (rw_json_object_get_int (obj, "version", 1) != 1)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: unknown policy version", origin);
      return FALSE;
    }

  where = g_strdup_printf ("%s: “default”", origin);
  if ((default_models = policy_strv_from_node (json_object_get_member (obj, "default"), where,
                                        error)) == NULL)
    return FALSE;

  if (!policy_read_lists (obj, "tasks", origin, tasks, error) ||
      !policy_read_lists (obj, "fallbacks", origin, fallbacks, error) ||
      !policy_read_rules (obj, origin, rules, error))
    return FALSE;

  member = rw_json_doc_member (doc, RW_JSON_ROOT, "classifier");
  if (member != RW_JSON_NONE)
    {
      g_autoptr(GError) c_error = NULL;
      if ((classifier = rw_text_classifier_new_from_doc (doc, member, &c_error)) == NULL)
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: %s", origin, c_error->message);
          return FALSE;
        }
    }

  member = rw_json_doc_member (doc, RW_JSON_ROOT, "router");
  if (member != RW_JSON_NONE)
    {
      g_autoptr(GError) r_error = NULL;
      if ((router = rw_prompt_router_new_from_doc (doc, member, &r_error)) == NULL)
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: %s", origin, r_error->message);
          return FALSE;
        }
    }

  g_ptr_array_unref (self->rules);
  self->rules = g_steal_pointer (&rules);
  g_clear_pointer (&self->tasks_classifier, rw_text_classifier_unref);
  if (classifier != NULL)
    {
      self->tasks_classifier = rw_text_classifier_ref (classifier);
      rw_policy_set_classifier (self, policy_classify_with, g_steal_pointer (&classifier),
                                (GDestroyNotify) rw_text_classifier_unref);
    }
  g_clear_pointer (&self->router, rw_prompt_router_unref);
  self->router = g_steal_pointer (&router);
  g_strfreev (self->default_models);
  self->default_models = g_steal_pointer (&default_models);
  g_hash_table_unref (self->tasks);
  self->tasks = g_steal_pointer (&tasks);
  g_hash_table_unref (self->fallbacks);
  self->fallbacks = g_steal_pointer (&fallbacks);
  return TRUE;
}

/**
 * rw_policy_new_from_file:
 * @path: a policy file
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the policy
 */
RwPolicy *
rw_policy_new_from_file (const char  *path,
                         GError     **error)
{
  g_autoptr(RwPolicy) self = rw_policy_new ();
  g_autofree char *contents = NULL;
  g_autoptr(GError) local = NULL;
  gsize len;

  if (!rw_file_read_text (path, RW_FILE_DOCUMENT_MAX, &contents, &len, &local))
    {
      g_set_error_literal (error, RW_ERROR, RW_ERROR_CONFIG, local->message);
      return NULL;
    }
  if (!rw_policy_load_data (self, path, contents, len, error))
    return NULL;
  return g_steal_pointer (&self);
}

/**
 * rw_policy_new_from_store:
 * @store: the database
 * @id: (nullable): a saved policy's id or name; %NULL for the active one
 * @name: (out) (optional) (transfer full): where to store the policy's name
 * @error: return location for an error
 *
 * Returns: (transfer full) (nullable): the saved policy, or %NULL with @error unset when
 *   @id is %NULL and no policy is active
 */
RwPolicy *
rw_policy_new_from_store (RwStore     *store,
                          const char  *id,
                          char       **name,
                          GError     **error)
{
  g_autoptr(RwPolicy) self = rw_policy_new ();
  g_autoptr(RwStoredPolicy) saved = NULL;
  g_autoptr(GError) local = NULL;

  if ((saved = rw_store_lookup_policy (store, id, &local)) == NULL)
    {
      if (local != NULL)
        g_propagate_error (error, g_steal_pointer (&local));
      else if (id != NULL)
        g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "no saved policy is called %s", id);
      return NULL;
    }
  if (!rw_policy_load_data (self, saved->name, saved->body, -1, error))
    return NULL;
  if (name != NULL)
    *name = g_strdup (saved->name);
  return g_steal_pointer (&self);
}
