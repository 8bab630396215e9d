/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include "rw-import-private.h"
#include "rw-json.h"
#include "rw-outcome.h"
#include "rw-promptfoo-private.h"

/* promptfoo's result files (promptfoo eval -o results.json), stored as an evaluation run with
 * their grades and the pairwise outcomes between providers. */

gboolean
rw_promptfoo_is_results (JsonObject *root)
{
  JsonNode *results = json_object_get_member (root, "results");
  return results != NULL && JSON_NODE_HOLDS_OBJECT (results) &&
         json_object_has_member (json_node_get_object (results), "results");
}

/* The grades of one result: each assertion's, or the whole result's when it has none. */
static void
promptfoo_record_grades (RwStore    *store,
                         const char *response_id,
                         JsonObject *grading)
{
  JsonNode *components = grading ? json_object_get_member (grading, "componentResults") : NULL;

  if (components != NULL && JSON_NODE_HOLDS_ARRAY (components) &&
      json_array_get_length (json_node_get_array (components)) > 0)
    for (guint c = 0; c < json_array_get_length (json_node_get_array (components)); c++)
      {
        JsonNode *crn = json_array_get_element (json_node_get_array (components), c);
        JsonObject *cr = JSON_NODE_HOLDS_OBJECT (crn) ? json_node_get_object (crn) : NULL;
        JsonObject *assertion = _rw_promptfoo_object_member (cr, "assertion");

        if (cr == NULL)
          continue;
        rw_store_record_grade (store, response_id,
                               assertion ? rw_json_object_get_string (assertion, "type",
                                                                      "promptfoo")
                                         : "promptfoo",
                               rw_json_object_get_double (cr, "score", 0),
                               rw_json_object_get_boolean (cr, "pass", FALSE),
                               rw_json_object_get_string (cr, "reason", NULL), "import");
      }
  else if (grading != NULL)
    rw_store_record_grade (store, response_id, "promptfoo",
                           rw_json_object_get_double (grading, "score", 0),
                           rw_json_object_get_boolean (grading, "pass", FALSE),
                           rw_json_object_get_string (grading, "reason", NULL), "import");
}

#define PROMPTFOO_MAX_ANSWERS_PER_TEST 256

/* Each pair of providers' answers to the same test and prompt, and of the same sample where a
 * provider answered it more than once: the higher score wins. @groups maps an item to its
 * prompt, task, then each answer's id, score and sample. A provider is never compared with
 * itself: its answers to one test are each of another sample. */
static void
promptfoo_vote_pairs (RwStore    *store,
                      const char *run_id,
                      GHashTable *groups)
{
  g_autoptr(GList) keys = g_list_sort (g_hash_table_get_keys (groups), (GCompareFunc) g_strcmp0);

  for (GList *l = keys; l; l = l->next)
    {
      GPtrArray *g = g_hash_table_lookup (groups, l->data);

      for (guint a = 2; a < g->len; a += 3)
        for (guint c = a + 3; c < g->len; c += 3)
          {
            const char *ids[] = { g->pdata[a], g->pdata[c], NULL };
            double sa = g_ascii_strtod (g->pdata[a + 1], NULL);
            double sb = g_ascii_strtod (g->pdata[c + 1], NULL);

            if (g_strcmp0 (g->pdata[a + 2], g->pdata[c + 2]) != 0)
              continue;
            g_free (rw_store_record_vote (store, g->pdata[0], run_id, g->pdata[1],
                                          sa > sb ? RW_VOTE_A : sa < sb ? RW_VOTE_B : RW_VOTE_TIE,
                                          ids, NULL, "import"));
          }
    }
}

/**
 * rw_promptfoo_import_results:
 * @store: the database
 * @root: a promptfoo result file, as JSON
 * @origin: its name
 * @n_answers: (out) (optional): how many answers were imported
 * @error: return location for an error
 *
 * Stores the file as an evaluation run. Each provider is a model named "promptfoo/" and its
 * label, as promptfoo shows it, or its id where it has no label: two providers with the same
 * id and their own labels (one model with two settings) stay two models.
 *
 * Returns: (transfer full) (nullable): the new evaluation run's id
 */
char *
rw_promptfoo_import_results (RwStore     *store,
                             JsonObject  *root,
                             const char  *origin,
                             guint       *n_answers,
                             GError     **error)
{
  return rw_promptfoo_import_results_cancellable (store, root, origin, NULL, n_answers, error);
}

/**
 * rw_promptfoo_import_results_cancellable:
 * @cancellable: (nullable): stops the import between answers; what was imported stays, in a
 *   run marked "cancelled", and the import fails with %G_IO_ERROR_CANCELLED
 *
 * rw_promptfoo_import_results(), for an import that a person may stop.
 */
char *
rw_promptfoo_import_results_cancellable (RwStore      *store,
                                         JsonObject   *root,
                                         const char   *origin,
                                         GCancellable *cancellable,
                                         guint        *n_answers,
                                         GError      **error)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  JsonObject *results = _rw_promptfoo_object_member (root, "results");
  JsonArray *list;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) params = NULL;
  g_autoptr(GHashTable) groups = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                        (GDestroyNotify) g_ptr_array_unref);
  char *run_id;
  g_autofree char *sha256 = NULL;
  guint n = 0;

  if (results == NULL || !JSON_NODE_HOLDS_ARRAY (json_object_get_member (results, "results")))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: not a promptfoo result file", origin);
      return NULL;
    }
  list = rw_json_object_get_array (results, "results");
  /* Every two answers to a test are compared: so many answers to one test that the pairs would
   * run into the millions are refused, before anything is stored. */
  {
    g_autoptr(GHashTable) per_test = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

    for (guint i = 0; i < json_array_get_length (list); i++)
      {
        JsonNode *element = json_array_get_element (list, i);
        JsonObject *r = JSON_NODE_HOLDS_OBJECT (element) ? json_node_get_object (element) : NULL;
        char *key;
        guint count;

        if (r == NULL)
          continue;
        key = g_strdup_printf ("t%" G_GINT64_FORMAT "-p%" G_GINT64_FORMAT,
                               rw_json_object_get_int (r, "testIdx", i),
                               rw_json_object_get_int (r, "promptIdx", 0));
        count = GPOINTER_TO_UINT (g_hash_table_lookup (per_test, key)) + 1;
        if (count > PROMPTFOO_MAX_ANSWERS_PER_TEST)
          {
            g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                         "%s: test %s has more than %d answers (providers times repeats); "
                         "nothing was stored", origin, key, PROMPTFOO_MAX_ANSWERS_PER_TEST);
            g_free (key);
            return NULL;
          }
        g_hash_table_insert (per_test, key, GUINT_TO_POINTER (count));
      }
  }
  {
    g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), root);
    sha256 = _rw_import_checksum_json (node);
  }
  if (!_rw_import_check_new (store, "promptfoo", sha256, origin, error))
    return NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "source");
  json_builder_add_string_value (b, "promptfoo");
  json_builder_set_member_name (b, "file");
  json_builder_add_string_value (b, origin);
  json_builder_set_member_name (b, "sha256");
  json_builder_add_string_value (b, sha256);
  json_builder_set_member_name (b, "eval_id");
  json_builder_add_string_value (b, rw_json_object_get_string (root, "evalId", ""));
  json_builder_end_object (b);
  params = json_builder_get_root (b);
  run_id = rw_store_begin_run (store, "eval", params);

  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonNode *element = json_array_get_element (list, i);
      JsonObject *r = JSON_NODE_HOLDS_OBJECT (element) ? json_node_get_object (element) : NULL;
      JsonObject *prompt = _rw_promptfoo_object_member (r, "prompt");
      JsonObject *provider = _rw_promptfoo_object_member (r, "provider");
      JsonObject *response = _rw_promptfoo_object_member (r, "response");
      JsonObject *grading = _rw_promptfoo_object_member (r, "gradingResult");
      JsonObject *test = _rw_promptfoo_object_member (r, "testCase");
      JsonObject *meta = _rw_promptfoo_object_member (test, "metadata");
      JsonObject *usage = _rw_promptfoo_object_member (response, "tokenUsage");
      const char *raw = prompt ? rw_json_object_get_string (prompt, "raw", NULL) : NULL;
      const char *pid = provider ? rw_json_object_get_string (provider, "id", NULL) : NULL;
      const char *label = provider ? rw_json_object_get_string (provider, "label", NULL) : NULL;
      const char *output = response ? rw_json_object_get_string (response, "output", NULL) : NULL;
      const char *task = meta ? rw_json_object_get_string (meta, "task", NULL) : NULL;
      g_autofree char *model = NULL;
      g_autofree char *item_id = NULL;
      g_autofree char *prompt_id = NULL;
      g_autofree char *response_id = NULL;
      g_autoptr(RwChatRequest) request = NULL;
      g_autoptr(RwChatResult) result = NULL;
      GPtrArray *group;
      guint sample;

      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        {
          rw_store_set_run_status (store, run_id, "cancelled");
          rw_store_flush (store, NULL);
          g_free (run_id);
          if (n_answers != NULL)
            *n_answers = n;
          return NULL;
        }
      if (raw == NULL || pid == NULL)
        continue;
      model = g_strdup_printf ("promptfoo/%s", label != NULL && *label != '\0' ? label : pid);
      item_id = g_strdup_printf ("t%" G_GINT64_FORMAT "-p%" G_GINT64_FORMAT,
                                 rw_json_object_get_int (r, "testIdx", i),
                                 rw_json_object_get_int (r, "promptIdx", 0));
      request = rw_chat_request_new_for_prompt (raw);
      rw_chat_request_set_task (request, task ? task : "general");
      prompt_id = rw_store_record_prompt (store, request);

      result = rw_chat_result_new (model);
      if (output != NULL)
        g_string_assign (result->text, output);
      else
        result->error = g_error_new (RW_ERROR, RW_ERROR_UNKNOWN, "%s",
                                     rw_json_object_get_string (r, "error", "no output"));
      if (usage != NULL)
        {
          result->tokens_in = rw_json_object_get_int (usage, "prompt", -1);
          result->tokens_out = rw_json_object_get_int (usage, "completion", -1);
        }
      result->cost_usd = rw_json_object_get_double (r, "cost", NAN);
      /* Unknown when the file does not say, never 0 ms. */
      result->latency_ms = rw_json_object_get_double (r, "latencyMs", NAN);
      sample = rw_outcome_next_sample (seen, item_id, model);
      response_id = rw_store_record_answer (store, &(RwAnswerRecord) {
                      .run_id = run_id,
                      .prompt_id = prompt_id,
                      .result = result,
                      .attempt = 1,
                      .item_id = item_id,
                      .sample = sample,
                      .task = task ? task : "general",
                    });

      promptfoo_record_grades (store, response_id, grading);

      if (output != NULL)
        {
          group = g_hash_table_lookup (groups, item_id);
          if (group == NULL)
            {
              group = g_ptr_array_new_with_free_func (g_free);
              g_hash_table_insert (groups, g_strdup (item_id), group);
              g_ptr_array_add (group, g_strdup (prompt_id));
              g_ptr_array_add (group, g_strdup (task ? task : "general"));
            }
          g_ptr_array_add (group, g_strdup (response_id));
          g_ptr_array_add (group,
                           g_strdup_printf ("%.17g", rw_json_object_get_double (r, "score", 0)));
          g_ptr_array_add (group, g_strdup_printf ("%u", sample));
        }
      n++;
    }

  promptfoo_vote_pairs (store, run_id, groups);
  rw_store_set_run_status (store, run_id, "done");
  if (!rw_store_flush (store, error))
    {
      g_free (run_id);
      return NULL;
    }
  if (n_answers != NULL)
    *n_answers = n;
  return run_id;
}
