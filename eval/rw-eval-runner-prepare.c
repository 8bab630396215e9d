/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "rw-eval-runner-private.h"
#include "rw-grader.h"
#include "rw-json.h"

/* Preparing a run: the run it resumes (by the key of its suite, models and repetitions, or the
 * one named), what of it is already done, what the cache gives from earlier runs instead of
 * asking again, and what the rest will cost. */

static char *
runner_run_key (RwEvalRunner *self)
{
  g_autoptr(GString) s = g_string_new (rw_suite_get_checksum (self->suite));

  for (guint i = 0; i < self->models->len; i++)
    {
      const char *id = rw_model_get_id (self->models->pdata[i]);
      JsonObject *options = g_hash_table_lookup (self->model_options, id);

      g_string_append_printf (s, "\n%s", id);
      if (options != NULL)
        {
          g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), options);
          g_autofree char *text = rw_json_to_string (node, FALSE);
          g_string_append_printf (s, " %s", text);
        }
    }
  g_string_append_printf (s, "\n%u", self->repeat);
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, s->str, s->len);
}

static char *
runner_done_key (const char *item,
                 const char *model,
                 guint       sample)
{
  return g_strdup_printf ("%s\n%s\n%u", item, model, sample);
}

/* The earliest good answer to each of the run's requests (its hash, which names the model) and
 * repetition, from any run: what the cache can give instead of asking again. One query, on the
 * hash index, for the requests of this suite and these models only. */
static GHashTable *
runner_load_cache (RwEvalRunner  *self,
                   GError       **error)
{
  g_autoptr(GHashTable) cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                       (GDestroyNotify) rw_stored_response_free);
  g_autoptr(GPtrArray) hashes = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) answers = NULL;

  for (guint i = 0; i < rw_suite_get_n_items (self->suite); i++)
    for (guint m = 0; m < self->models->len; m++)
      {
        RwSuiteItem *item = rw_suite_get_item (self->suite, i);

        RwModel *model = self->models->pdata[m];

        g_ptr_array_add (hashes, rw_chat_request_hash_for_model (
                                   _rw_eval_runner_request_for (self, item, model),
                                   rw_model_get_id (model)));
      }
  g_ptr_array_add (hashes, NULL);
  answers = rw_store_list_reusable_answers (self->store, (const char * const *) hashes->pdata,
                                            error);
  if (answers == NULL)
    return NULL;
  for (guint i = 0; i < answers->len; i++)
    {
      RwStoredResponse *r = answers->pdata[i];
      g_autofree char *key = g_strdup_printf ("%s\n%u", r->request_hash, r->sample);

      if (!g_hash_table_contains (cache, key))
        g_hash_table_insert (cache, g_steal_pointer (&key), g_steal_pointer (&answers->pdata[i]));
    }
  return g_steal_pointer (&cache);
}

/* Reuse an earlier answer to exactly this request from the cache, storing it in this run. */
static gboolean
runner_reuse_cached (RwEvalRunner *self,
                     GHashTable   *cache,
                     RwEvalWork         *w)
{
  const char *model_id = rw_model_get_id (w->model);
  g_autofree char *hash = rw_chat_request_hash_for_model (
                            _rw_eval_runner_request_for (self, w->item, w->model), model_id);
  g_autofree char *key = g_strdup_printf ("%s\n%u", hash, w->sample);
  g_autoptr(RwChatResult) result = NULL;
  g_autofree char *response_id = NULL;
  RwStoredResponse *cached = g_hash_table_lookup (cache, key);
  const char *prompt_id;
  gboolean scored;
  double score;

  if (cached == NULL)
    return FALSE;
  result = rw_chat_result_new (model_id);
  g_string_assign (result->text, cached->text ? cached->text : "");
  result->finish_reason = cached->finish_reason && *cached->finish_reason
                          ? g_strdup (cached->finish_reason) : NULL;
  result->tokens_in = cached->tokens_in;
  result->tokens_out = cached->tokens_out;
  /* Reused answers cost nothing now; their timings are the original ones. */
  result->cost_usd = 0;
  result->ttft_ms = isnan (cached->ttft_ms) ? -1 : cached->ttft_ms;
  result->latency_ms = isnan (cached->latency_ms) ? 0 : cached->latency_ms;
  rw_chat_result_set_tool_calls_json (result, cached->tool_calls);
  /* The answer and its grades in one transaction. */
  prompt_id = _rw_eval_runner_prompt_id_for (self, w->item);
  rw_store_begin_group (self->store);
  response_id = _rw_eval_runner_record_answer (self, w, prompt_id, result, 0, hash, TRUE);
  scored = _rw_eval_runner_grade_and_store (self, w->item, response_id, result, &score);
  rw_store_end_group (self->store);
  _rw_eval_runner_note_answer (self, w, prompt_id, response_id, scored, score);
  return TRUE;
}

static gboolean
runner_claim (RwEvalRunner  *self,
              GError       **error)
{
  return (self->hold = rw_store_hold_run (self->store, self->run_id, error)) != NULL;
}

/**
 * rw_eval_runner_prepare:
 * @self: a runner
 * @resume_run_id: (nullable): a run to resume; without it, the run with the same suite, models
 *   and repetitions is resumed when there is one
 * @error: return location for an error
 *
 * Finds what is left to do, takes what the cache has, and estimates the cost of the rest.
 *
 * Returns: %TRUE on success
 */
gboolean
rw_eval_runner_prepare (RwEvalRunner  *self,
                        const char    *resume_run_id,
                        GError       **error)
{
  g_autofree char *key = runner_run_key (self);
  g_autoptr(GHashTable) done = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) cache = NULL;
  g_autoptr(GError) local = NULL;
  g_autofree char *run_id = NULL;

  /* From here on, a failed write is this run's. */
  self->write_errors = rw_store_get_n_write_errors (self->store);
  for (guint i = 0; i < rw_suite_get_n_items (self->suite); i++)
    {
      RwGraderNeeds needs = rw_grader_item_needs (rw_suite_get_item (self->suite, i));

      if (self->judge == NULL && (needs & RW_GRADER_NEEDS_JUDGE))
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                       "item %s is graded by a judge (an llm-rubric, factuality, "
                       "model-graded-closedqa, g-eval, context-*, answer-relevance, select-best "
                       "or judge grader): name the judge model with --judge MODEL",
                       rw_suite_get_item (self->suite, i)->id);
          return FALSE;
        }
      if (self->embedding_model == NULL && (needs & RW_GRADER_NEEDS_EMBEDDING))
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                       "item %s is graded by the similarity of embeddings (a similar or "
                       "answer-relevance grader): name the embedding model with "
                       "--embedding-model MODEL", rw_suite_get_item (self->suite, i)->id);
          return FALSE;
        }
      if (self->moderation_model == NULL && (needs & RW_GRADER_NEEDS_MODERATION))
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                       "item %s is graded by moderation (a moderation grader): name the "
                       "moderation model with --moderation-model MODEL",
                       rw_suite_get_item (self->suite, i)->id);
          return FALSE;
        }
      if (self->models->len < 2 && (needs & RW_GRADER_NEEDS_MODELS))
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                       "item %s is graded by select-best, which compares the answers of two "
                       "models or more: name at least two models",
                       rw_suite_get_item (self->suite, i)->id);
          return FALSE;
        }
    }

  if (resume_run_id != NULL)
    {
      g_autoptr(RwStoredRun) run = rw_store_lookup_run (self->store, resume_run_id, "eval", &local);

      if (local != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      if (run == NULL)
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "there is no evaluation run %s", resume_run_id);
          return FALSE;
        }
      if (g_strcmp0 (run->key, key) != 0)
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                       "run %s was made with another suite, other models or another --repeat",
                       resume_run_id);
          return FALSE;
        }
      run_id = g_strdup (run->id);
    }
  else
    {
      run_id = rw_store_dup_eval_run_for_key (self->store, key, &local);
      if (local != NULL)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
    }

  if (run_id != NULL)
    {
      g_autoptr(GPtrArray) answered = NULL;

      self->run_id = g_steal_pointer (&run_id);
      self->resumed = TRUE;
      /* Before reading what is done: another process resuming it too would send and store
       * the same answers again. */
      if (!runner_claim (self, error))
        return FALSE;
      answered = rw_store_list_answered (self->store, self->run_id, error);
      if (answered == NULL)
        return FALSE;
      self->n_answered_before = answered->len;
      for (guint i = 0; i < answered->len; i++)
        {
          RwStoredResponse *r = answered->pdata[i];
          g_hash_table_add (done, runner_done_key (r->item_id, r->model, r->sample));
        }
      rw_store_set_run_status (self->store, self->run_id, "running");
    }
  else
    {
      g_autoptr(JsonBuilder) b = json_builder_new ();
      g_autoptr(JsonNode) node = NULL;

      json_builder_begin_object (b);
      json_builder_set_member_name (b, "key");
      json_builder_add_string_value (b, key);
      json_builder_set_member_name (b, "suite");
      json_builder_add_string_value (b, rw_suite_get_name (self->suite));
      json_builder_set_member_name (b, "suite_checksum");
      json_builder_add_string_value (b, rw_suite_get_checksum (self->suite));
      json_builder_set_member_name (b, "models");
      json_builder_begin_array (b);
      for (guint i = 0; i < self->models->len; i++)
        json_builder_add_string_value (b, rw_model_get_id (self->models->pdata[i]));
      json_builder_end_array (b);
      json_builder_set_member_name (b, "repeat");
      json_builder_add_int_value (b, self->repeat);
      {
        /* What the suite asks for that cannot be graded, said in the report. */
        g_autoptr(JsonObject) unsupported = rw_suite_dup_unsupported (self->suite, NULL);

        if (json_object_get_size (unsupported) > 0)
          {
            json_builder_set_member_name (b, "unsupported");
            json_builder_add_value (b, json_node_init_object (json_node_alloc (), unsupported));
          }
      }
      {
        /* Items that pass at a weighted score rather than by every grade (promptfoo's test
         * threshold), for the report. */
        g_autoptr(JsonObject) thresholds = json_object_new ();

        for (guint i = 0; i < rw_suite_get_n_items (self->suite); i++)
          {
            RwSuiteItem *item = rw_suite_get_item (self->suite, i);
            JsonObject *meta = item->metadata && JSON_NODE_HOLDS_OBJECT (item->metadata)
                               ? json_node_get_object (item->metadata) : NULL;
            double threshold = meta ? rw_json_object_get_double (meta, "pass_threshold", NAN)
                                    : NAN;

            if (isfinite (threshold))
              json_object_set_double_member (thresholds, item->id, threshold);
          }
        if (json_object_get_size (thresholds) > 0)
          {
            json_builder_set_member_name (b, "thresholds");
            json_builder_add_value (b, json_node_init_object (json_node_alloc (), thresholds));
          }
      }
      json_builder_end_object (b);
      node = json_builder_get_root (b);
      self->run_id = rw_store_begin_run (self->store, "eval", node);
      self->tally = rw_eval_tally_new ();
      self->params = g_steal_pointer (&node);
      if (!runner_claim (self, error))
        return FALSE;
    }

  if (self->use_cache && (cache = runner_load_cache (self, error)) == NULL)
    return FALSE;
  /* A conversation's turns: one after another, filled in as they go, never from the cache
   * (what they ask depends on what came before). */
  if (_rw_eval_runner_turns_init (self) && self->resumed)
    _rw_eval_runner_restore_turns (self);

  self->n_total = rw_suite_get_n_items (self->suite) * self->models->len * self->repeat;
  for (guint i = 0; i < rw_suite_get_n_items (self->suite); i++)
    for (guint m = 0; m < self->models->len; m++)
      for (guint s = 0; s < self->repeat; s++)
        {
          RwSuiteItem *item = rw_suite_get_item (self->suite, i);
          RwModel *model = self->models->pdata[m];
          g_autofree char *k = runner_done_key (item->id, rw_model_get_id (model), s);
          RwEvalWork *w;

          if (g_hash_table_contains (done, k))
            {
              self->n_done++;
              continue;
            }
          w = g_new0 (RwEvalWork, 1);
          w->item = rw_suite_item_ref (item);
          w->model = g_object_ref (model);
          w->sample = s;
          if (cache != NULL && !_rw_eval_runner_is_turn (item) && runner_reuse_cached (self, cache, w))
            {
              self->n_done++;
              self->n_cached++;
              _rw_eval_runner_work_free (w);
              continue;
            }
          g_ptr_array_add (self->pending, w);
          {
            double e = rw_router_estimate_cost (self->router, model,
                                                _rw_eval_runner_request_for (self, item, model));
            if (isfinite (e))
              self->estimate += e;
          }
        }
  if (self->registers != NULL)
    _rw_eval_runner_chain_turns (self);
  return rw_store_flush (self->store, error);
}
