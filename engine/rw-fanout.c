/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "rw-error.h"
#include "rw-fanout.h"

/**
 * RwFanout:
 *
 * Sends one request to several models at once. Each model's text is reported with the
 * #RwFanout::delta signal as it arrives and its result with #RwFanout::model-finished as soon
 * as it is complete; a slow, failing or hanging model holds up no other. Cancelling stops them
 * all.
 */
struct _RwFanout
{
  GObject parent_instance;

  RwCatalog *catalog;
  RwStore *store;         /* where comparisons are recorded, or NULL */
  char *source;           /* what ran them: "app", "cli" */
};

enum {
  DELTA,
  MODEL_FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (RwFanout, rw_fanout, G_TYPE_OBJECT)

typedef struct
{
  RwFanout *self;
  GPtrArray *models;
  RwChatRequest *request;
  GCancellable *cancellable;
  GPtrArray *results;
  guint pending;
  /* What the store recorded, when the fan-out has one. */
  char *run_id;
  char *prompt_id;
  GStrv response_ids;
} Run;

typedef struct
{
  GTask *task;
  guint index;
} Slot;

static void
fanout_run_free (Run *run)
{
  g_clear_pointer (&run->models, g_ptr_array_unref);
  g_clear_pointer (&run->results, g_ptr_array_unref);
  g_clear_pointer (&run->request, rw_chat_request_unref);
  g_clear_object (&run->cancellable);
  g_free (run->run_id);
  g_free (run->prompt_id);
  g_strfreev (run->response_ids);
  g_free (run);
}

static void
rw_fanout_dispose (GObject *object)
{
  RwFanout *self = (RwFanout *) object;

  g_clear_object (&self->catalog);
  g_clear_object (&self->store);
  g_clear_pointer (&self->source, g_free);
  G_OBJECT_CLASS (rw_fanout_parent_class)->dispose (object);
}

static void
rw_fanout_class_init (RwFanoutClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = rw_fanout_dispose;

  /**
   * RwFanout::delta:
   * @self: the fan-out
   * @index: the model's position in the list given to rw_fanout_run_async()
   * @text: the new text
   */
  signals[DELTA] =
    g_signal_new ("delta", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_UINT, G_TYPE_STRING);

  /**
   * RwFanout::model-finished:
   * @self: the fan-out
   * @index: the model's position
   * @result: its result
   */
  signals[MODEL_FINISHED] =
    g_signal_new ("model-finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_UINT, RW_TYPE_CHAT_RESULT);
}

static void
rw_fanout_init (RwFanout *self)
{
}

RwFanout *
rw_fanout_new (RwCatalog *catalog)
{
  RwFanout *self;

  g_return_val_if_fail (RW_IS_CATALOG (catalog), NULL);

  self = g_object_new (RW_TYPE_FANOUT, NULL);
  self->catalog = g_object_ref (catalog);
  return self;
}

static void
fanout_on_delta (RwModel           *model,
                 const RwChatDelta *delta,
                 gpointer           user_data)
{
  Slot *slot = user_data;
  Run *run = g_task_get_task_data (slot->task);

  /* A comparison shows each model's first answer as text. */
  if (delta->choice == 0 && delta->text != NULL)
    g_signal_emit (run->self, signals[DELTA], 0, slot->index, delta->text);
}

/* Every model has finished: the comparison is recorded, when there is a store, and returned. */
static void
fanout_run_complete (Run   *run,
                     GTask *task)
{
  RwFanout *self = run->self;

  if (self->store != NULL)
    run->run_id = rw_store_record_compare (self->store, run->request, run->models, run->results,
                                           self->source,
                                           run->cancellable != NULL &&
                                           g_cancellable_is_cancelled (run->cancellable),
                                           &run->prompt_id, &run->response_ids);
  g_task_return_pointer (task, g_ptr_array_ref (run->results),
                         (GDestroyNotify) g_ptr_array_unref);
}

static void
fanout_model_done (Run          *run,
                   GTask        *task,
                   guint         index,
                   RwChatResult *result)
{
  g_ptr_array_index (run->results, index) = result;
  g_signal_emit (run->self, signals[MODEL_FINISHED], 0, index, result);
  if (--run->pending == 0)
    fanout_run_complete (run, task);
}

static void
fanout_chat_cb (GObject      *object,
                GAsyncResult *res,
                gpointer      user_data)
{
  Slot *slot = user_data;
  GTask *task = slot->task;
  Run *run = g_task_get_task_data (task);

  fanout_model_done (run, task, slot->index, rw_provider_chat_finish (RW_PROVIDER (object), res));
  g_object_unref (task);
  g_free (slot);
}

/**
 * rw_fanout_run_async:
 * @self: a #RwFanout
 * @request: the request
 * @models: (element-type RwModel): the models to ask
 * @cancellable: (nullable): cancels every model's request
 * @callback: called when every model has finished
 * @user_data: data for @callback
 *
 * Sends @request to every model at once.
 */
void
rw_fanout_run_async (RwFanout            *self,
                     RwChatRequest       *request,
                     GPtrArray           *models,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  Run *run;

  g_return_if_fail (RW_IS_FANOUT (self));
  g_return_if_fail (request != NULL);
  g_return_if_fail (models != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, rw_fanout_run_async);
  g_task_set_check_cancellable (task, FALSE);

  run = g_new0 (Run, 1);
  run->self = self;
  run->models = g_ptr_array_ref (models);
  run->request = rw_chat_request_ref (request);
  run->cancellable = cancellable ? g_object_ref (cancellable) : NULL;
  run->results = g_ptr_array_new_full (models->len, (GDestroyNotify) rw_chat_result_unref);
  g_ptr_array_set_size (run->results, models->len);
  run->pending = models->len + 1;
  g_task_set_task_data (task, run, (GDestroyNotify) fanout_run_free);

  for (guint i = 0; i < models->len; i++)
    {
      RwModel *model = models->pdata[i];
      RwProvider *provider = rw_catalog_lookup_provider (self->catalog,
                                                         rw_model_get_provider_id (model));
      Slot *slot;

      if (provider == NULL)
        {
          RwChatResult *result = rw_chat_result_new (rw_model_get_id (model));
          result->error = g_error_new (RW_ERROR, RW_ERROR_CONFIG,
                                       "the provider “%s” is not configured",
                                       rw_model_get_provider_id (model));
          fanout_model_done (run, task, i, result);
          continue;
        }

      slot = g_new0 (Slot, 1);
      slot->task = g_object_ref (task);
      slot->index = i;
      rw_provider_chat_async (provider, model, request, fanout_on_delta, slot, cancellable,
                              fanout_chat_cb, slot);
    }

  /* The extra count keeps the task open until every request has been started. */
  if (--run->pending == 0)
    fanout_run_complete (run, task);
}

/**
 * rw_fanout_set_store:
 * @self: a #RwFanout
 * @store: (nullable): where to record each comparison, or %NULL for nowhere
 * @source: what runs the comparisons ("app", "cli")
 *
 * With a store, every run is recorded when its last model finishes, as the router records what
 * it serves: the prompt, a "compare" run, each model and each answer with its metrics or its
 * error. rw_fanout_get_recorded() gives the ids.
 */
void
rw_fanout_set_store (RwFanout   *self,
                     RwStore    *store,
                     const char *source)
{
  g_return_if_fail (RW_IS_FANOUT (self));
  g_return_if_fail (store == NULL || RW_IS_STORE (store));

  g_set_object (&self->store, store);
  g_free (self->source);
  self->source = g_strdup (source);
}

/**
 * rw_fanout_get_recorded:
 * @self: a #RwFanout
 * @result: the #GAsyncResult of a finished run
 * @run_id: (out) (optional) (transfer none) (nullable): the run's id
 * @prompt_id: (out) (optional) (transfer none) (nullable): the prompt's id
 * @response_ids: (out) (optional) (transfer none) (nullable): the answers' ids, in the order of
 *   the models
 *
 * What the store recorded for a run, valid as long as @result is.
 *
 * Returns: whether the run was recorded
 */
gboolean
rw_fanout_get_recorded (RwFanout            *self,
                        GAsyncResult        *result,
                        const char         **run_id,
                        const char         **prompt_id,
                        const char * const **response_ids)
{
  Run *run;

  g_return_val_if_fail (RW_IS_FANOUT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  run = g_task_get_task_data (G_TASK (result));
  if (run_id != NULL)
    *run_id = run->run_id;
  if (prompt_id != NULL)
    *prompt_id = run->prompt_id;
  if (response_ids != NULL)
    *response_ids = (const char * const *) run->response_ids;
  return run->run_id != NULL;
}

/**
 * rw_fanout_run_finish:
 * @self: a #RwFanout
 * @result: the #GAsyncResult
 * @error: return location for an error
 *
 * Returns: (transfer container) (element-type RwChatResult): one result per model, in the
 *   order of the models given
 */
GPtrArray *
rw_fanout_run_finish (RwFanout      *self,
                      GAsyncResult  *result,
                      GError       **error)
{
  g_return_val_if_fail (RW_IS_FANOUT (self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
