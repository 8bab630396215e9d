/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include "rw-error.h"
#include "rw-recorded-provider.h"
#include "rw-router-private.h"

/**
 * RwRouter:
 *
 * Sends a request to the first candidate the policy names that can take it, and keeps going
 * when providers do not. Each candidate is tried with retries (exponential backoff with jitter,
 * or exactly the wait a Retry-After asks for) for the failures that a retry can cure; a model
 * whose circuit is open is skipped, and the same circuit rule holds for every retry and every
 * fallback. A context-length error falls back to a model with a longer context; a bad request
 * is never retried nor sent elsewhere; an auth error is never retried. A request whose estimated
 * cost breaks the per-request or daily ceiling is refused before it is sent.
 *
 * Streams fail honestly: until the first token reaches the caller any failure may fall back
 * invisibly; after it, the caller sees the failure. A caller that asked for a whole answer gets
 * a whole answer from a fallback instead. Every attempt is stored.
 */

G_DEFINE_FINAL_TYPE (RwRouter, rw_router, G_TYPE_OBJECT)

G_DEFINE_BOXED_TYPE (RwRouteResult, rw_route_result, rw_route_result_ref, rw_route_result_unref)

/* The longest Retry-After worth waiting for; beyond it, fall back at once. */
#define MAX_RETRY_AFTER_MS 30000

#define DEFAULT_OUTPUT_TOKENS 1024

static RwRouteResult *
rw_route_result_new (void)
{
  RwRouteResult *self = g_new0 (RwRouteResult, 1);

  g_atomic_ref_count_init (&self->ref_count);
  self->attempts = g_ptr_array_new_with_free_func ((GDestroyNotify) rw_chat_result_unref);
  return self;
}

RwRouteResult *
rw_route_result_ref (RwRouteResult *self)
{
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
rw_route_result_unref (RwRouteResult *self)
{
  if (g_atomic_ref_count_dec (&self->ref_count))
    {
      g_clear_pointer (&self->result, rw_chat_result_unref);
      g_ptr_array_unref (self->attempts);
      g_free (self->model_id);
      g_free (self->task);
      g_free (self->prompt_id);
      g_free (self);
    }
}

static gint64
router_default_clock (gpointer user_data)
{
  return g_get_monotonic_time ();
}

static void
rw_router_finalize (GObject *object)
{
  RwRouter *self = (RwRouter *) object;

  g_clear_object (&self->catalog);
  g_clear_object (&self->store);
  g_clear_object (&self->policy);
  g_clear_pointer (&self->run_id, g_free);
  g_clear_pointer (&self->circuits, g_hash_table_unref);
  g_clear_pointer (&self->recorded_models, g_hash_table_unref);
  g_clear_pointer (&self->rand, g_rand_free);
  g_clear_pointer (&self->spent_day, g_date_free);
  g_mutex_clear (&self->lock);
  G_OBJECT_CLASS (rw_router_parent_class)->finalize (object);
}

static void
rw_router_class_init (RwRouterClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = rw_router_finalize;
}

static void
rw_router_init (RwRouter *self)
{
  g_mutex_init (&self->lock);
  self->circuits = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->recorded_models = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->rand = g_rand_new ();
  self->policy = rw_policy_new ();
  self->max_retries = 2;
  self->base_delay_ms = 250;
  self->max_delay_ms = 8000;
  self->circuit_failures = 3;
  self->circuit_window_ms = 60000;
  self->circuit_cooldown_ms = 30000;
  self->clock = router_default_clock;
}

/**
 * rw_router_new:
 * @catalog: the models and providers
 * @store: (nullable): where every attempt is recorded
 *
 * Returns: (transfer full): a router with an empty policy: concrete models only, no fallbacks
 */
RwRouter *
rw_router_new (RwCatalog *catalog,
               RwStore   *store)
{
  RwRouter *self = g_object_new (RW_TYPE_ROUTER, NULL);

  self->catalog = g_object_ref (catalog);
  self->store = store ? g_object_ref (store) : NULL;
  return self;
}

/* Returns: (transfer none) (nullable): where the router records what it answers */
RwStore *
rw_router_get_store (RwRouter *self)
{
  g_return_val_if_fail (RW_IS_ROUTER (self), NULL);
  return self->store;
}

RwCatalog *
rw_router_get_catalog (RwRouter *self)
{
  return self->catalog;
}

RwPolicy *
rw_router_get_policy (RwRouter *self)
{
  return self->policy;
}

void
rw_router_set_policy (RwRouter *self,
                      RwPolicy *policy)
{
  g_return_if_fail (RW_IS_POLICY (policy));
  g_mutex_lock (&self->lock);
  g_set_object (&self->policy, policy);
  g_mutex_unlock (&self->lock);
}

void
rw_router_set_run_id (RwRouter   *self,
                      const char *run_id)
{
  g_mutex_lock (&self->lock);
  g_free (self->run_id);
  self->run_id = g_strdup (run_id);
  /* What it spent in the run before is the database's to count from now on. */
  self->spent_own_usd = 0;
  self->spent_unread = TRUE;
  g_mutex_unlock (&self->lock);
}

void
rw_router_set_retries (RwRouter *self,
                       guint     max_retries,
                       guint     base_delay_ms,
                       guint     max_delay_ms)
{
  self->max_retries = max_retries;
  self->base_delay_ms = base_delay_ms;
  self->max_delay_ms = MAX (base_delay_ms, max_delay_ms);
}

/**
 * rw_router_set_clock:
 * @self: a #RwRouter
 * @clock: (nullable): the monotonic clock circuits are timed by, or %NULL for the real one
 * @user_data: passed to @clock
 */
void
rw_router_set_clock (RwRouter    *self,
                     RwClockFunc  clock,
                     gpointer     user_data)
{
  self->clock = clock ? clock : router_default_clock;
  self->clock_data = user_data;
}

/* ------------------------------------------------------------------------------- routing */

typedef struct
{
  RwRouter *router;
  RwChatRequest *request;      /* what goes upstream: always streamed */
  gboolean caller_streams;
  GStrv candidates;
  guint next_candidate;
  RwModel *model;
  guint retry;
  gint64 min_context;          /* after a context-length error: the context to beat */
  RwDeltaFunc delta_func;
  RwRouteCommitFunc commit_func;
  gpointer func_data;
  GSource *wait;
  GSource *wait_cancel;        /* ends the wait early when the route is cancelled */
  GCancellable *cancellable;
  gulong cancel_id;
  RwRouteResult *out;
  GError *skip_error;          /* why candidates were skipped, when none was tried */
} Route;

static void
router_clear_wait (Route *r)
{
  if (r->wait != NULL)
    {
      g_source_destroy (r->wait);
      g_clear_pointer (&r->wait, g_source_unref);
    }
  if (r->wait_cancel != NULL)
    {
      g_source_destroy (r->wait_cancel);
      g_clear_pointer (&r->wait_cancel, g_source_unref);
    }
}

static void
router_route_free (Route *r)
{
  router_clear_wait (r);
  if (r->cancel_id != 0)
    g_cancellable_disconnect (r->cancellable, r->cancel_id);
  g_clear_object (&r->cancellable);
  g_clear_object (&r->router);
  g_clear_object (&r->model);
  g_clear_pointer (&r->request, rw_chat_request_unref);
  g_clear_pointer (&r->candidates, g_strfreev);
  g_clear_pointer (&r->out, rw_route_result_unref);
  g_clear_error (&r->skip_error);
  g_free (r);
}

static void router_try_next_candidate (GTask *task);
static void router_send_attempt (GTask *task);

static void
router_finish (GTask        *task,
               RwChatResult *final)
{
  Route *r = g_task_get_task_data (task);

  if (final != NULL)
    {
      g_clear_pointer (&r->out->result, rw_chat_result_unref);
      r->out->result = rw_chat_result_ref (final);
    }
  /* A result always names a model: when no candidate was tried (every circuit open, every
   * one over a ceiling...), the first the request could have gone to, so that the failure is
   * stored as that model's. */
  if (r->out->model_id == NULL && r->candidates != NULL && r->candidates[0] != NULL)
    r->out->model_id = g_strdup (r->candidates[0]);
  if (r->out->result == NULL)
    {
      RwChatResult *none = rw_chat_result_new (r->out->model_id);

      none->error = r->skip_error ? g_error_copy (r->skip_error)
                                  : g_error_new (RW_ERROR, RW_ERROR_CONFIG,
                                                 "no model to route to: the policy names none");
      r->out->result = none;
    }
  else if (final == NULL && r->candidates != NULL && r->next_candidate > 1 &&
           g_error_matches (r->out->result->error, RW_ERROR, RW_ERROR_UNSUPPORTED))
    {
      /* Every candidate passed the request on: say so, not only what the last one said. */
      GError *error = r->out->result->error;
      char *message = g_strdup_printf ("none of the %u models this request could go to can "
                                       "serve it; the last: %s", r->next_candidate,
                                       error->message);

      g_free (error->message);
      error->message = message;
    }
  g_task_return_pointer (task, rw_route_result_ref (r->out),
                         (GDestroyNotify) rw_route_result_unref);
}

static void
router_note_skip (Route   *r,
                  RwError  code,
                  const char *format,
                  ...) G_GNUC_PRINTF (3, 4);

static void
router_note_skip (Route      *r,
                  RwError     code,
                  const char *format,
                  ...)
{
  va_list args;

  va_start (args, format);
  g_clear_error (&r->skip_error);
  r->skip_error = g_error_new_valist (RW_ERROR, code, format, args);
  va_end (args);
}

static void
router_on_delta (RwModel           *model,
                 const RwChatDelta *delta,
                 gpointer           user_data)
{
  Route *r = user_data;

  if (!r->caller_streams)
    return;
  if (!r->out->committed)
    {
      r->out->committed = TRUE;
      g_free (r->out->model_id);
      r->out->model_id = g_strdup (rw_model_get_id (model));
      if (r->commit_func != NULL)
        r->commit_func (model, r->out->task, r->func_data);
    }
  if (r->delta_func != NULL)
    r->delta_func (model, delta, r->func_data);
}

static void
router_record_attempt (Route        *r,
                       RwChatResult *result)
{
  RwRouter *self = r->router;

  g_ptr_array_add (r->out->attempts, rw_chat_result_ref (result));
  rw_router_add_spent (self, result->cost_usd);

  if (self->store != NULL)
    {
      g_autofree char *hash = rw_chat_request_hash_for_model (r->request, result->model_id);
      g_autofree char *id = NULL;
      g_autofree char *run_id = NULL;
      gboolean new_model;

      g_mutex_lock (&self->lock);
      if (self->run_id == NULL)
        self->run_id = rw_store_begin_run (self->store, "serve", NULL);
      run_id = g_strdup (self->run_id);
      /* The catalog entry once per router, not once per request. */
      new_model = g_hash_table_add (self->recorded_models, g_strdup (rw_model_get_id (r->model)));
      g_mutex_unlock (&self->lock);

      if (r->out->prompt_id == NULL)
        r->out->prompt_id = rw_store_record_prompt (self->store, r->request);
      if (new_model)
        rw_store_record_model (self->store, r->model);
      id = rw_store_record_answer (self->store, &(RwAnswerRecord) {
             .run_id = run_id,
             .prompt_id = r->out->prompt_id,
             .result = result,
             .attempt = r->out->attempts->len,
             .request_hash = hash,
           });
    }
}

static gboolean
router_retry_now (gpointer data)
{
  g_autoptr(GTask) task = g_object_ref (data);
  Route *r = g_task_get_task_data (task);

  /* Either the wait ended or the route was cancelled: both sources go, and the attempt
   * finds out which. */
  router_clear_wait (r);
  router_send_attempt (task);
  return G_SOURCE_REMOVE;
}

static gboolean
router_retry_cancelled (GCancellable *cancellable,
                        gpointer      data)
{
  return router_retry_now (data);
}

/* Failures that trying the same model again may cure. A timeout is not one: waiting the whole
 * limit again on a model that just hung costs more than falling back at once; nor is a
 * redirect, which is not followed and says the same every time. */
static gboolean
router_is_retryable (const RwChatResult *result)
{
  const GError *error = result->error;

  if (result->http_status >= 300 && result->http_status < 400)
    return FALSE;
  return g_error_matches (error, RW_ERROR, RW_ERROR_RATE_LIMITED) ||
         g_error_matches (error, RW_ERROR, RW_ERROR_OVERLOADED) ||
         g_error_matches (error, RW_ERROR, RW_ERROR_SERVER) ||
         g_error_matches (error, RW_ERROR, RW_ERROR_NETWORK) ||
         g_error_matches (error, RW_ERROR, RW_ERROR_BAD_RESPONSE);
}

static guint
router_backoff_ms (RwRouter     *self,
                   guint         retry,
                   RwChatResult *result)
{
  double base, ms;

  if (result->retry_after_ms >= 0)
    return (guint) MIN (result->retry_after_ms, (gint64) G_MAXUINT);
  base = MIN ((double) self->max_delay_ms, self->base_delay_ms * pow (2, retry));
  /* Equal jitter: half fixed, half random, so that clients do not retry in step. */
  g_mutex_lock (&self->lock);
  ms = base / 2 + g_rand_double_range (self->rand, 0, base / 2);
  g_mutex_unlock (&self->lock);
  return (guint) ms;
}

static void
router_attempt_done (GObject      *object,
                     GAsyncResult *res,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Route *r = g_task_get_task_data (task);
  RwRouter *self = r->router;
  g_autoptr(RwChatResult) result = rw_provider_chat_finish (RW_PROVIDER (object), res);
  GError *error = result->error;

  router_record_attempt (r, result);
  _rw_router_circuit_record (self, rw_model_get_id (r->model), error);
  g_free (r->out->model_id);
  r->out->model_id = g_strdup (rw_model_get_id (r->model));

  if (error == NULL || r->out->committed ||
      g_error_matches (error, RW_ERROR, RW_ERROR_CANCELLED) ||
      g_error_matches (error, RW_ERROR, RW_ERROR_BAD_REQUEST))
    {
      /* Served; or text already reached the caller, who must see the failure; or nothing
       * else could do better. */
      router_finish (task, result);
      return;
    }

  g_clear_pointer (&r->out->result, rw_chat_result_unref);
  r->out->result = rw_chat_result_ref (result);

  if (router_is_retryable (result) && r->retry < self->max_retries)
    {
      guint delay = router_backoff_ms (self, r->retry, result);

      if (delay <= MAX_RETRY_AFTER_MS)
        {
          r->retry++;
          r->wait = g_timeout_source_new (delay);
          g_source_set_callback (r->wait, router_retry_now, g_object_ref (task), g_object_unref);
          g_source_set_static_name (r->wait, "[routewise] retry backoff");
          g_source_attach (r->wait, g_task_get_context (task));
          r->wait_cancel = g_cancellable_source_new (r->cancellable);
          g_source_set_callback (r->wait_cancel,
                                 (GSourceFunc) (void (*) (void)) router_retry_cancelled,
                                 g_object_ref (task), g_object_unref);
          g_source_attach (r->wait_cancel, g_task_get_context (task));
          return;
        }
    }

  if (g_error_matches (error, RW_ERROR, RW_ERROR_CONTEXT_LENGTH))
    r->min_context = MAX (r->min_context, MAX (1, rw_model_get_context_length (r->model)));

  router_try_next_candidate (task);
}

static void
router_send_attempt (GTask *task)
{
  Route *r = g_task_get_task_data (task);
  RwRouter *self = r->router;
  RwProvider *provider = rw_catalog_lookup_provider (self->catalog,
                                                     rw_model_get_provider_id (r->model));

  if (g_cancellable_is_cancelled (r->cancellable))
    {
      RwChatResult *cancelled = rw_chat_result_new (rw_model_get_id (r->model));
      cancelled->error = g_error_new_literal (RW_ERROR, RW_ERROR_CANCELLED, "cancelled");
      router_finish (task, cancelled);
      rw_chat_result_unref (cancelled);
      return;
    }
  /* The circuit rule holds for every retry, not only the first try. */
  if (!_rw_router_circuit_allows (self, rw_model_get_id (r->model)))
    {
      router_note_skip (r, RW_ERROR_OVERLOADED, "%s is failing; its circuit is open",
                 rw_model_get_id (r->model));
      router_try_next_candidate (task);
      return;
    }
  rw_provider_chat_async (provider, r->model, r->request, router_on_delta, r, r->cancellable,
                          router_attempt_done, g_object_ref (task));
}

/* Whether @model can take the whole of @request: its protocol can carry it, and the catalog
 * does not know it to lack what the request needs. */
static gboolean
router_can_serve (RwModel        *model,
                  RwProvider     *provider,
                  RwChatRequest  *request,
                  GError        **error)
{
  RwModelCapabilities lacks;

  if (!rw_provider_check_request (provider, model, request, error))
    return FALSE;
  if ((lacks = rw_model_lacks (model, rw_chat_request_get_needs (request))) != 0)
    {
      g_autoptr(GString) names = g_string_new (NULL);

      for (RwModelCapabilities c = 1; c & RW_MODEL_ALL_CAPABILITIES; c <<= 1)
        if (lacks & c)
          g_string_append_printf (names, "%s%s", names->len ? ", " : "",
                                  rw_model_capability_name (c));
      g_set_error (error, RW_ERROR, RW_ERROR_UNSUPPORTED,
                   "%s cannot serve this request: the catalog says it has no %s",
                   rw_model_get_id (model), names->str);
      return FALSE;
    }
  return TRUE;
}

/* A candidate passed over before any request: stored as its attempt, with the reason. */
static void
router_record_skip (Route        *r,
                    RwModel      *model,
                    const GError *error)
{
  g_autoptr(RwChatResult) skipped = rw_chat_result_new (rw_model_get_id (model));

  skipped->error = g_error_copy (error);
  g_set_object (&r->model, model);
  router_record_attempt (r, skipped);
  g_clear_pointer (&r->out->result, rw_chat_result_unref);
  r->out->result = rw_chat_result_ref (skipped);
  g_free (r->out->model_id);
  r->out->model_id = g_strdup (rw_model_get_id (model));
}

static void
router_try_next_candidate (GTask *task)
{
  Route *r = g_task_get_task_data (task);
  RwRouter *self = r->router;

  while (r->candidates[r->next_candidate] != NULL)
    {
      const char *id = r->candidates[r->next_candidate++];
      g_autoptr(GError) error = NULL;
      g_autoptr(RwModel) model = rw_catalog_resolve_model (self->catalog, id, &error);
      double estimate;

      if (model == NULL)
        {
          router_note_skip (r, RW_ERROR_CONFIG, "%s", error->message);
          continue;
        }
      if (rw_catalog_lookup_provider (self->catalog, rw_model_get_provider_id (model)) == NULL)
        {
          router_note_skip (r, RW_ERROR_CONFIG, "the provider of %s is not configured", id);
          continue;
        }
      if (r->min_context > 0 && rw_model_get_context_length (model) <= r->min_context)
        {
          router_note_skip (r, RW_ERROR_CONTEXT_LENGTH,
                     "the request does not fit any candidate's context");
          continue;
        }
      if (!router_can_serve (model, rw_catalog_lookup_provider (self->catalog,
                                                                rw_model_get_provider_id (model)),
                             r->request, &error))
        {
          /* A model that would drop a tool, an image or a response format, or has none of
           * them, is passed over, and the attempt that was not made says why. */
          router_record_skip (r, model, error);
          continue;
        }
      if (rw_router_get_circuit_state (self, id) == RW_CIRCUIT_OPEN)
        {
          router_note_skip (r, RW_ERROR_OVERLOADED, "%s is failing; its circuit is open", id);
          continue;
        }

      estimate = rw_router_estimate_cost (self, model, r->request);
      if (!rw_router_check_ceilings (self, id, estimate, &error))
        {
          g_clear_error (&r->skip_error);
          r->skip_error = g_steal_pointer (&error);
          continue;
        }

      g_set_object (&r->model, model);
      r->retry = 0;
      router_send_attempt (task);
      return;
    }

  /* Nothing left: the last upstream failure, or else why every candidate was skipped. */
  router_finish (task, NULL);
}

#define ROUTER_AUTO_DEFAULTS 4

/* routewise/auto where the policy names no model: the catalog's models a request can be sent
 * to (their provider configured, with its key where it needs one: see
 * rw_provider_can_send()), the ones of real upstreams before recorded answers, the first few
 * in the catalog's order. */
static GStrv
router_default_candidates (RwRouter *self)
{
  g_autoptr(GPtrArray) models = rw_catalog_list_models (self->catalog);
  g_autoptr(GStrvBuilder) live = g_strv_builder_new ();
  g_autoptr(GStrvBuilder) recorded = g_strv_builder_new ();
  g_auto(GStrv) first = NULL;
  g_auto(GStrv) second = NULL;
  GStrvBuilder *all = g_strv_builder_new ();
  guint n = 0;

  for (guint i = 0; i < models->len; i++)
    {
      RwModel *m = models->pdata[i];
      RwProvider *p = rw_catalog_lookup_provider (self->catalog, rw_model_get_provider_id (m));

      if (p == NULL || !rw_provider_can_send (p))
        continue;
      g_strv_builder_add (RW_IS_RECORDED_PROVIDER (p) ? recorded : live, rw_model_get_id (m));
    }
  first = g_strv_builder_end (live);
  second = g_strv_builder_end (recorded);
  for (guint i = 0; first[i] != NULL && n < ROUTER_AUTO_DEFAULTS; i++, n++)
    g_strv_builder_add (all, first[i]);
  for (guint i = 0; second[i] != NULL && n < ROUTER_AUTO_DEFAULTS; i++, n++)
    g_strv_builder_add (all, second[i]);
  {
    GStrv out = g_strv_builder_end (all);
    g_strv_builder_unref (all);
    return out;
  }
}

/**
 * rw_router_route_async:
 * @self: a #RwRouter
 * @request: the request
 * @model: a model id, or `routewise/auto` to route by the policy
 * @delta_func: (nullable): receives the streamed text, when @request is streamed
 * @commit_func: (nullable): called once before the first text reaches the caller
 * @func_data: data for @delta_func and @commit_func
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the outcome
 * @user_data: data for @callback
 *
 * Routes @request. The outcome never fails as such; rw_router_route_finish() returns it with
 * its error, if any, and every attempt.
 */
void
rw_router_route_async (RwRouter            *self,
                       RwChatRequest       *request,
                       const char          *model,
                       RwDeltaFunc          delta_func,
                       RwRouteCommitFunc    commit_func,
                       gpointer             func_data,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(RwPolicy) policy = NULL;
  Route *r;

  g_return_if_fail (RW_IS_ROUTER (self));
  g_return_if_fail (request != NULL);

  task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (task, rw_router_route_async);

  r = g_new0 (Route, 1);
  r->router = g_object_ref (self);
  r->request = rw_chat_request_copy (request);
  r->caller_streams = request->stream;
  /* Upstream is always streamed: the first-token and between-token limits then apply to
   * whole-answer callers too, and a broken stream falls back before they see anything. */
  r->request->stream = TRUE;
  r->delta_func = delta_func;
  r->commit_func = commit_func;
  r->func_data = func_data;
  r->cancellable = cancellable ? g_object_ref (cancellable) : g_cancellable_new ();
  r->out = rw_route_result_new ();
  g_mutex_lock (&self->lock);
  policy = g_object_ref (self->policy);
  g_mutex_unlock (&self->lock);
  r->out->task = rw_policy_classify (policy, request);
  rw_chat_request_set_task (r->request, r->out->task);
  r->candidates = rw_policy_route (policy, model, r->out->task, request);
  if (g_strcmp0 (model, RW_POLICY_AUTO_MODEL) == 0 &&
      (r->candidates == NULL || r->candidates[0] == NULL))
    {
      g_strfreev (r->candidates);
      r->candidates = router_default_candidates (self);
    }
  g_task_set_task_data (task, r, (GDestroyNotify) router_route_free);

  if (model != NULL && !g_str_equal (model, RW_POLICY_AUTO_MODEL))
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(RwModel) m = rw_catalog_resolve_model (self->catalog, model, &error);

      if (m == NULL)
        {
          RwChatResult *unknown = rw_chat_result_new (model);
          unknown->error = g_error_new (RW_ERROR, RW_ERROR_CONFIG, "%s", error->message);
          router_finish (task, unknown);
          rw_chat_result_unref (unknown);
          return;
        }
    }
  router_try_next_candidate (task);
}

/**
 * rw_router_route_finish:
 * @self: a #RwRouter
 * @result: the #GAsyncResult
 *
 * Returns: (transfer full): the outcome
 */
RwRouteResult *
rw_router_route_finish (RwRouter     *self,
                        GAsyncResult *result)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), NULL);
}
