/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "rw-eval-report.h"
#include "rw-eval-runner-private.h"
#include "rw-grader.h"
#include "rw-json.h"
#include "rw-promptfoo.h"

/*
 * A conversation's turns (promptfoo's _conversation and storeOutputAs; rw-promptfoo-turns.c):
 * each model and repetition goes through the items that are turns one after another, in the
 * suite's order, each filled in when it is sent with the outputs the turns before it stored
 * and the turns of its own conversation so far. Outputs are the answers as the item's
 * transform leaves them, as promptfoo stores them. A resumed run reads the turns it had back
 * from the store first.
 */

static JsonObject *
turns_sequence (RwSuiteItem *item)
{
  JsonObject *meta = item->metadata && JSON_NODE_HOLDS_OBJECT (item->metadata)
                     ? json_node_get_object (item->metadata) : NULL;

  return meta ? rw_json_object_get_object (meta, "sequence") : NULL;
}

static char *
turns_key (RwModel    *model,
           guint       sample,
           JsonObject *sequence)
{
  if (sequence == NULL)
    return g_strdup_printf ("%s\x1f%u", rw_model_get_id (model), sample);
  return g_strdup_printf ("%s\x1f%u\x1f%" G_GINT64_FORMAT "\x1f%s", rw_model_get_id (model),
                          sample, rw_json_object_get_int (sequence, "prompt", 0),
                          rw_json_object_get_string (sequence, "conversation", ""));
}

/* Whether the suite has turns; sets up what they need. */
gboolean
_rw_eval_runner_turns_init (RwEvalRunner *self)
{
  for (guint i = 0; i < rw_suite_get_n_items (self->suite); i++)
    if (turns_sequence (rw_suite_get_item (self->suite, i)) != NULL)
      {
        self->registers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                 (GDestroyNotify) json_object_unref);
        self->conversations = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                     (GDestroyNotify) json_array_unref);
        return TRUE;
      }
  return FALSE;
}

/* Whether @item is a turn. */
gboolean
_rw_eval_runner_is_turn (RwSuiteItem *item)
{
  return turns_sequence (item) != NULL;
}

/* Links each turn to send to the turn before it of its model and repetition, in the suite's
 * order: only turns store outputs and keep conversations. */
void
_rw_eval_runner_chain_turns (RwEvalRunner *self)
{
  g_autoptr(GHashTable) last = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < self->pending->len; i++)
    {
      RwEvalWork *w = self->pending->pdata[i];
      g_autofree char *key = NULL;

      if (turns_sequence (w->item) == NULL)
        continue;
      key = turns_key (w->model, w->sample, NULL);
      w->after = g_hash_table_lookup (last, key);
      g_hash_table_insert (last, g_steal_pointer (&key), w);
    }
}

/* Whether the work at @index may go: any work but a turn; a turn once the turn before it has
 * come back (which went only once the one before that had). */
gboolean
_rw_eval_runner_turn_ready (RwEvalRunner *self,
                            guint         index)
{
  RwEvalWork *w = self->pending->pdata[index];

  return w->after == NULL || w->after->finished;
}

/* @w's request, filled in as its turn. */
gboolean
_rw_eval_runner_fill_turn (RwEvalRunner  *self,
                           RwEvalWork    *w,
                           GError       **error)
{
  JsonObject *sequence = turns_sequence (w->item);
  g_autofree char *key = turns_key (w->model, w->sample, NULL);
  g_autofree char *thread = turns_key (w->model, w->sample, sequence);
  JsonObject *registers = g_hash_table_lookup (self->registers, key);
  JsonArray *conversation = g_hash_table_lookup (self->conversations, thread);
  g_autoptr(JsonObject) no_registers = json_object_new ();
  g_autoptr(JsonArray) no_turns = json_array_new ();
  g_autoptr(RwChatRequest) request = rw_chat_request_copy (_rw_eval_runner_request_for (self, w->item,
                                                                                      w->model));

  if (!rw_promptfoo_fill_turn (sequence, registers ? registers : no_registers,
                               conversation ? conversation : no_turns, request, error))
    return FALSE;
  g_clear_pointer (&w->request, rw_chat_request_unref);
  w->request = g_steal_pointer (&request);
  return TRUE;
}

/* A turn came back (@text, NULL for none): its output stored under the name it asks for, and
 * the turn added to its conversation. */
void
_rw_eval_runner_turn_answered (RwEvalRunner  *self,
                               RwSuiteItem   *item,
                               RwModel       *model,
                               guint          sample,
                               RwChatRequest *request,
                               const char    *text,
                               const char    *tool_calls)
{
  JsonObject *sequence = turns_sequence (item);
  const char *store_as = sequence ? rw_json_object_get_string (sequence, "store_output_as", NULL)
                                  : NULL;
  g_autofree char *key = turns_key (model, sample, NULL);
  g_autofree char *thread = turns_key (model, sample, sequence);
  g_autofree char *output = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *conversation;
  JsonObject *turn;
  guint n;

  if (sequence == NULL)
    return;
  output = text ? rw_grader_transform_answer (item, NULL, text, tool_calls, &error) : NULL;
  if (output == NULL)
    output = g_strdup (text ? text : "");
  if (store_as != NULL)
    {
      JsonObject *registers = g_hash_table_lookup (self->registers, key);

      if (registers == NULL)
        {
          registers = json_object_new ();
          g_hash_table_insert (self->registers, g_strdup (key), registers);
        }
      json_object_set_string_member (registers, store_as, output);
    }
  if ((conversation = g_hash_table_lookup (self->conversations, thread)) == NULL)
    {
      conversation = json_array_new ();
      g_hash_table_insert (self->conversations, g_strdup (thread), conversation);
    }
  /* As promptfoo keeps a turn: the prompt (the chat as sent), its last message, the output. */
  turn = json_object_new ();
  n = rw_chat_request_get_n_messages (request);
  json_object_set_member (turn, "prompt", rw_chat_request_messages_to_json (request));
  json_object_set_string_member (turn, "input",
                                 n > 0 ? rw_chat_request_get_content (request, n - 1) : "");
  json_object_set_string_member (turn, "output", output);
  json_array_add_object_element (conversation, turn);
}

/* A resumed run's turns already answered, read back in the suite's order. */
void
_rw_eval_runner_restore_turns (RwEvalRunner *self)
{
  g_autoptr(GPtrArray) answers = rw_store_list_run_answers (self->store, self->run_id, TRUE, NULL);
  g_autoptr(GHashTable) by_key = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; answers != NULL && i < answers->len; i++)
    {
      RwStoredResponse *r = answers->pdata[i];
      g_hash_table_insert (by_key, g_strdup_printf ("%s\x1f%s\x1f%u", r->item_id, r->model,
                                                    r->sample), r);
    }
  for (guint i = 0; i < rw_suite_get_n_items (self->suite); i++)
    for (guint m = 0; m < self->models->len; m++)
      for (guint s = 0; s < self->repeat; s++)
        {
          RwSuiteItem *item = rw_suite_get_item (self->suite, i);
          RwModel *model = self->models->pdata[m];
          g_autofree char *k = g_strdup_printf ("%s\x1f%s\x1f%u", item->id,
                                                rw_model_get_id (model), s);
          RwStoredResponse *r = g_hash_table_lookup (by_key, k);
          g_autoptr(RwChatRequest) request = NULL;

          if (r == NULL || turns_sequence (item) == NULL)
            continue;
          request = rw_chat_request_new_for_prompt (r->prompt_text ? r->prompt_text : "");
          _rw_eval_runner_turn_answered (self, item, model, s, request, r->text, NULL);
        }
}
