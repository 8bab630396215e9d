/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

/* Above these, an upstream's usage is impossible (see provider_chat_done). */
#define RW_PROVIDER_MAX_TOKENS_IN  ((gint64) 100000000)
#define RW_PROVIDER_MAX_TOKENS_OUT ((gint64) 10000000)

#include <string.h>

#include "rw-error.h"
#include "rw-file.h"
#include "rw-http-private.h"
#include "rw-json.h"
#include "rw-provider-private.h"

/* One call to a provider: its time limits, the pieces of the answer as they come, the
 * error it ends with, and, for the HTTP providers, the request sent with its key. */

struct _RwProviderCall
{
  RwProvider *provider;
  RwModel *model;
  RwChatRequest *request;
  RwChatResult *result;
  RwDeltaFunc delta_func;
  gpointer delta_data;
  GTask *task;
  GCancellable *cancellable;
  GCancellable *outer;
  gulong outer_handler;
  GMainContext *context;
  /* The four time limits, watched by one source that wakes at the earliest: monotonic
   * deadlines, 0 when a limit is not running. The limit between tokens runs from the last
   * piece of text, so a piece only moves a number, never a source. */
  GSource *deadlines;
  gint64 armed_us;          /* when the source wakes, or -1 */
  gint64 connect_deadline;
  gint64 first_deadline;
  gint64 total_deadline;
  gint64 last_text_us;      /* 0 before the first piece of text */
  const char *timed_out;
  guint timed_out_ms;
  gint64 start_us;
  /* The answer's size so far (text, refusal, tool calls, log probabilities), and its limit. */
  gsize answer_bytes;
  gsize max_answer_bytes;
  guint finished : 1;
  guint oversize : 1;
};

static void
provider_call_free (RwProviderCall *call)
{
  if (call->deadlines != NULL)
    {
      g_source_destroy (call->deadlines);
      g_clear_pointer (&call->deadlines, g_source_unref);
    }
  if (call->outer_handler != 0)
    g_cancellable_disconnect (call->outer, call->outer_handler);
  g_clear_object (&call->outer);
  g_clear_object (&call->cancellable);
  g_clear_object (&call->provider);
  g_clear_object (&call->model);
  g_clear_pointer (&call->request, rw_chat_request_unref);
  g_clear_pointer (&call->result, rw_chat_result_unref);
  g_clear_pointer (&call->context, g_main_context_unref);
  g_free (call);
}

static gint64
provider_idle_deadline (RwProviderCall *call)
{
  if (call->last_text_us == 0 || call->request->idle_timeout_ms == 0)
    return 0;
  return call->last_text_us + (gint64) call->request->idle_timeout_ms * 1000;
}

/* Which limit has passed at @now, checked in this order, or NULL. */
static const char *
provider_passed_limit (RwProviderCall *call,
                       gint64          now,
                       guint          *ms)
{
  gint64 idle = provider_idle_deadline (call);

  if (call->connect_deadline != 0 && now >= call->connect_deadline)
    {
      *ms = call->request->connect_timeout_ms;
      return "reply from the server";
    }
  if (call->first_deadline != 0 && now >= call->first_deadline)
    {
      *ms = call->request->first_token_timeout_ms;
      return "first token";
    }
  if (idle != 0 && now >= idle)
    {
      *ms = call->request->idle_timeout_ms;
      return "between tokens";
    }
  if (call->total_deadline != 0 && now >= call->total_deadline)
    {
      *ms = call->request->total_timeout_ms;
      return "complete answer";
    }
  return NULL;
}

/* Wakes the source at the earliest deadline still running. */
static void
provider_arm_deadlines (RwProviderCall *call)
{
  gint64 next = -1;
  gint64 all[] = { call->connect_deadline, call->first_deadline, provider_idle_deadline (call),
                   call->total_deadline };

  for (guint i = 0; i < G_N_ELEMENTS (all); i++)
    if (all[i] != 0 && (next < 0 || all[i] < next))
      next = all[i];
  call->armed_us = next;
  g_source_set_ready_time (call->deadlines, next);
}

typedef struct
{
  GSource source;
  RwProviderCall *call;
} Deadlines;

static gboolean
provider_deadlines_dispatch (GSource     *source,
                             GSourceFunc  callback,
                             gpointer     user_data)
{
  RwProviderCall *call = ((Deadlines *) source)->call;
  guint ms = 0;
  const char *what = provider_passed_limit (call, g_get_monotonic_time (), &ms);

  if (what == NULL)
    {
      /* Woken for a limit that has since stopped or moved: wait for the next. */
      provider_arm_deadlines (call);
      return G_SOURCE_CONTINUE;
    }
  if (call->timed_out == NULL && !call->finished)
    {
      call->timed_out = what;
      call->timed_out_ms = ms;
      g_cancellable_cancel (call->cancellable);
    }
  call->armed_us = -1;
  g_source_set_ready_time (source, -1);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs deadlines_funcs = {
  .dispatch = provider_deadlines_dispatch,
};

static gint64
provider_deadline_after (gint64 start_us,
                         guint  ms)
{
  return ms == 0 ? 0 : start_us + (gint64) ms * 1000;
}

static void
provider_start_deadlines (RwProviderCall *call)
{
  RwChatRequest *request = call->request;

  call->connect_deadline = provider_deadline_after (call->start_us, request->connect_timeout_ms);
  call->first_deadline = provider_deadline_after (call->start_us, request->first_token_timeout_ms);
  call->total_deadline = provider_deadline_after (call->start_us, request->total_timeout_ms);
  call->deadlines = g_source_new (&deadlines_funcs, sizeof (Deadlines));
  ((Deadlines *) call->deadlines)->call = call;
  g_source_set_priority (call->deadlines, G_PRIORITY_HIGH);
  g_source_set_static_name (call->deadlines, "[routewise] provider time limits");
  provider_arm_deadlines (call);
  g_source_attach (call->deadlines, call->context);
}

static void
provider_outer_cancelled (GCancellable *outer,
                          gpointer      data)
{
  RwProviderCall *call = data;
  g_cancellable_cancel (call->cancellable);
}

RwProvider *
_rw_provider_call_get_provider (RwProviderCall *call)
{
  return call->provider;
}

RwChatRequest *
rw_provider_call_get_request (RwProviderCall *call)
{
  return call->request;
}

RwModel *
rw_provider_call_get_model (RwProviderCall *call)
{
  return call->model;
}

RwChatResult *
rw_provider_call_get_result (RwProviderCall *call)
{
  return call->result;
}

/**
 * rw_provider_call_dup_api_key:
 * @call: a call
 *
 * Returns: (transfer full) (nullable): the key, read from its source just now; free it with
 *   g_free() as soon as the request is built
 */
char *
rw_provider_call_dup_api_key (RwProviderCall *call)
{
  return _rw_provider_dup_api_key (call->provider);
}

/**
 * rw_provider_call_redact:
 * @call: a call
 * @text: text from the upstream, such as an error message
 *
 * Returns: (transfer full): @text with this provider's key and anything like a key removed
 */
char *
rw_provider_call_redact (RwProviderCall *call,
                         const char     *text)
{
  g_autofree char *key = rw_provider_call_dup_api_key (call);
  return rw_redact (text, key);
}

/* rw_provider_call_redact() as an RwRedactFunc. */
static char *
provider_call_sink_redact (gpointer    owner,
                           const char *message)
{
  return rw_provider_call_redact (owner, message);
}

/**
 * rw_provider_call_headers_received:
 * @call: a call
 * @status: the HTTP status
 *
 * Tells the base class that the reply's headers arrived: the connect timeout stops.
 */
void
rw_provider_call_headers_received (RwProviderCall *call,
                                   guint           status)
{
  call->result->http_status = status;
  call->connect_deadline = 0;
}

/**
 * rw_provider_call_emit:
 * @call: a call
 * @delta: a piece of the answer: text, a refusal, part of a tool call, log probabilities
 *
 * Adds @delta to the answer, marks the first token, restarts the between-tokens timer and
 * passes the piece on to the caller. A piece with nothing in it is ignored.
 */
void
rw_provider_call_emit (RwProviderCall    *call,
                       const RwChatDelta *delta)
{
  gsize n;

  if (call->finished || call->timed_out != NULL || call->oversize)
    return;
  n = (delta->text ? strlen (delta->text) : 0) + (delta->refusal ? strlen (delta->refusal) : 0) +
      (delta->tool_call_id ? strlen (delta->tool_call_id) : 0) +
      (delta->tool_name ? strlen (delta->tool_name) : 0) +
      (delta->tool_arguments ? strlen (delta->tool_arguments) : 0) +
      (delta->logprobs ? strlen (delta->logprobs) : 0);
  if (call->answer_bytes + n > call->max_answer_bytes)
    {
      gsize text_len = delta->text ? strlen (delta->text) : 0;
      gsize room = call->max_answer_bytes - call->answer_bytes;

      /* The text of a piece that crosses the limit (a whole answer is one piece) is kept up
       * to it, cut between characters. */
      if (text_len > 0 && n - text_len < room)
        {
          RwChatDelta part = *delta;
          const char *end = delta->text + (room - (n - text_len));
          g_autofree char *text = NULL;

          g_utf8_validate (delta->text, end - delta->text, &end);
          if (end > delta->text)
            {
              part.text = text = g_strndup (delta->text, end - delta->text);
              rw_provider_call_emit (call, &part);
            }
        }
      /* Stopped here: what arrived so far is kept, and the upstream is not read further. */
      call->oversize = TRUE;
      g_cancellable_cancel (call->cancellable);
      return;
    }
  call->answer_bytes += n;
  if (!rw_chat_result_apply_delta (call->result, delta))
    return;

  call->last_text_us = g_get_monotonic_time ();
  if (call->result->ttft_ms < 0)
    {
      call->result->ttft_ms = (call->last_text_us - call->start_us) / 1000.0;
      call->connect_deadline = 0;
      call->first_deadline = 0;
      /* The limit between tokens starts now, and may come before the source wakes. */
      if (provider_idle_deadline (call) != 0 && (call->armed_us < 0
                                                 || provider_idle_deadline (call) < call->armed_us))
        provider_arm_deadlines (call);
    }

  if (call->delta_func != NULL)
    call->delta_func (call->model, delta, call->delta_data);
}

/**
 * rw_provider_call_emit_delta:
 * @call: a call
 * @text: a piece of the first choice's text
 * @len: its length, or -1 when NUL-terminated
 *
 * rw_provider_call_emit() for a piece of plain text.
 */
void
rw_provider_call_emit_delta (RwProviderCall *call,
                             const char     *text,
                             gssize          len)
{
  g_autofree char *owned = NULL;
  RwChatDelta delta = RW_CHAT_DELTA_INIT;

  if (text == NULL || len == 0)
    return;
  delta.text = len < 0 ? text : (owned = g_strndup (text, len));
  rw_provider_call_emit (call, &delta);
}

static GError *
provider_classify_error (RwProviderCall *call,
                         GError         *error)
{
  if (call->timed_out != NULL)
    {
      double secs = call->timed_out_ms / 1000.0;

      if (g_str_equal (call->timed_out, "between tokens"))
        return g_error_new (RW_ERROR, RW_ERROR_TIMEOUT,
                            "stalled mid-answer: no token for %.1f s", secs);
      return g_error_new (RW_ERROR, RW_ERROR_TIMEOUT, "no %s within %.1f s",
                          call->timed_out, secs);
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      (call->outer && g_cancellable_is_cancelled (call->outer)))
    return g_error_new_literal (RW_ERROR, RW_ERROR_CANCELLED, "cancelled");
  if (error->domain == RW_ERROR)
    return rw_error_new_redacted (error, provider_call_sink_redact, call);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
    return g_error_new (RW_ERROR, RW_ERROR_TIMEOUT, "%s", error->message);

  {
    g_autofree char *msg = rw_provider_call_redact (call, error->message);
    return g_error_new (RW_ERROR, RW_ERROR_NETWORK, "%s", msg);
  }
}

static void
provider_chat_done_cb (GObject      *object,
                       GAsyncResult *res,
                       gpointer      user_data)
{
  RwProviderCall *call = user_data;
  RwChatResult *result = call->result;
  g_autoptr(GError) error = NULL;
  g_autoptr(GTask) task = g_steal_pointer (&call->task);

  RW_PROVIDER_GET_CLASS (call->provider)->chat_finish (call->provider, res, &error);
  call->finished = TRUE;
  result->latency_ms = (g_get_monotonic_time () - call->start_us) / 1000.0;

  if (call->oversize)
    {
      g_autofree char *limit = rw_file_format_size (call->max_answer_bytes);
      g_autofree char *kept = g_format_size_full (call->answer_bytes, G_FORMAT_SIZE_IEC_UNITS);

      result->error = g_error_new (RW_ERROR, RW_ERROR_BAD_RESPONSE,
                                   "the answer is larger than %s, the most taken for one answer "
                                   "(max_answer_bytes in providers.json); the first %s are kept",
                                   limit, kept);
    }
  else if (error != NULL || call->timed_out != NULL)
    {
      if (error == NULL)
        error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_CANCELLED, "timed out");
      result->error = provider_classify_error (call, error);
    }

  /* A count no answer can have (a prompt beyond any context, an answer beyond any model's
   * output) is not taken on trust: it would cost trillions and break every ceiling. It is
   * estimated instead, and the estimate said. */
  if (result->tokens_in > RW_PROVIDER_MAX_TOKENS_IN || result->tokens_out > RW_PROVIDER_MAX_TOKENS_OUT)
    {
      g_warning ("%s reported a usage no answer can have (%" G_GINT64_FORMAT " in, %"
                 G_GINT64_FORMAT " out): estimated instead", rw_model_get_id (call->model),
                 result->tokens_in, result->tokens_out);
      if (result->tokens_in > RW_PROVIDER_MAX_TOKENS_IN)
        result->tokens_in = -1;
      if (result->tokens_out > RW_PROVIDER_MAX_TOKENS_OUT)
        result->tokens_out = -1;
    }

  /* A count below zero is no count (-1 says so). */
  result->tokens_in = MAX (result->tokens_in, -1);
  result->tokens_out = MAX (result->tokens_out, -1);

  /* Fill in what the provider did not report, and say that it is an estimate. */
  if (result->tokens_in < 0 && (result->text->len > 0 || result->error == NULL))
    {
      gint64 n = 0;
      for (guint i = 0; i < rw_chat_request_get_n_messages (call->request); i++)
        n += rw_estimate_tokens (rw_chat_request_get_content (call->request, i)) + 4;
      result->tokens_in = n;
      result->usage_estimated = TRUE;
    }
  if (result->tokens_out < 0 && (result->text->len > 0 || result->error == NULL))
    {
      result->tokens_out = rw_estimate_tokens (result->text->str);
      result->usage_estimated = TRUE;
    }

  if (result->tokens_in >= 0 && result->tokens_out >= 0)
    result->cost_usd = rw_model_compute_cost (call->model, result->tokens_in, result->tokens_out);
  else if (result->error != NULL && rw_model_has_price (call->model))
    result->cost_usd = 0.0;

  g_task_return_pointer (task, rw_chat_result_ref (result), (GDestroyNotify) rw_chat_result_unref);
  provider_call_free (call);
}

/**
 * rw_provider_chat_async:
 * @self: a #RwProvider
 * @model: the model to ask
 * @request: the request
 * @delta_func: (nullable) (scope notified): called on the current thread-default main context
 *   for every piece of the answer
 * @delta_data: data for @delta_func
 * @cancellable: (nullable): a #GCancellable
 * @callback: called when the answer is complete or has failed
 * @user_data: data for @callback
 *
 * Sends @request to @model, enforcing the request's time limits. The operation never fails as
 * such: rw_provider_chat_finish() returns a result that carries the error, if any, with the
 * metrics measured until then.
 */
void
rw_provider_chat_async (RwProvider          *self,
                        RwModel             *model,
                        RwChatRequest       *request,
                        RwDeltaFunc          delta_func,
                        gpointer             delta_data,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  RwProviderCall *call;

  g_return_if_fail (RW_IS_PROVIDER (self));
  g_return_if_fail (RW_IS_MODEL (model));
  g_return_if_fail (request != NULL);
  g_return_if_fail (!cancellable || G_IS_CANCELLABLE (cancellable));

  call = g_new0 (RwProviderCall, 1);
  call->provider = g_object_ref (self);
  call->model = g_object_ref (model);
  call->request = rw_chat_request_ref (request);
  call->result = rw_chat_result_new (rw_model_get_id (model));
  call->delta_func = delta_func;
  call->delta_data = delta_data;
  call->context = g_main_context_ref_thread_default ();
  call->cancellable = g_cancellable_new ();
  call->start_us = g_get_monotonic_time ();
  call->max_answer_bytes = rw_provider_get_max_answer_bytes (self);
  call->task = g_task_new (self, NULL, callback, user_data);
  g_task_set_source_tag (call->task, rw_provider_chat_async);

  if (cancellable != NULL)
    {
      call->outer = g_object_ref (cancellable);
      call->outer_handler = g_cancellable_connect (cancellable,
                                                   G_CALLBACK (provider_outer_cancelled),
                                                   call, NULL);
    }

  provider_start_deadlines (call);

  RW_PROVIDER_GET_CLASS (self)->chat_async (self, call, call->cancellable, provider_chat_done_cb,
                                            call);
}

/**
 * rw_provider_chat_finish:
 * @self: a #RwProvider
 * @result: the #GAsyncResult
 *
 * Returns: (transfer full): the result, with its error set when the answer failed
 */
RwChatResult *
rw_provider_chat_finish (RwProvider   *self,
                         GAsyncResult *result)
{
  g_return_val_if_fail (RW_IS_PROVIDER (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), NULL);
}

/* ------------------------------------------------------------------ the HTTP providers' tail */

static void
provider_call_sink_headers (gpointer owner,
                            guint    status)
{
  rw_provider_call_headers_received (owner, status);
}

/* The call's key; a provider that names a key variable and is not on this machine refuses to
 * send without one, rather than sending an anonymous request to a remote service. */
static char *
provider_call_require_key (RwProviderCall  *call,
                           GError         **error)
{
  RwProvider *provider = call->provider;
  char *key = rw_provider_call_dup_api_key (call);

  if ((key == NULL || *key == '\0') && rw_provider_needs_api_key (provider))
    {
      g_free (key);
      g_set_error (error, RW_ERROR, RW_ERROR_AUTH,
                   "no API key for %s: store one in the keyring, or set the environment "
                   "variable %s", rw_provider_get_id (provider),
                   rw_provider_get_api_key_env (provider));
      return NULL;
    }
  return key ? key : g_strdup ("");
}

/**
 * _rw_provider_call_check_key:
 *
 * Returns: %FALSE, with @error set, when the call's provider needs a key and has none
 */
gboolean
_rw_provider_call_check_key (RwProviderCall  *call,
                             GError         **error)
{
  g_autofree char *key = provider_call_require_key (call, error);

  if (key == NULL)
    return FALSE;
  memset (key, 0, strlen (key));
  return TRUE;
}

static void
provider_call_set_header (gpointer    request,
                          const char *name,
                          const char *value)
{
  _rw_http_request_set_header (request, name, value);
}

/**
 * _rw_provider_send:
 * @request: (transfer full): the request, built but for its key
 * @task: (transfer full): the provider's chat task, completed with the exchange's outcome
 *
 * What every HTTP provider does last: puts the provider's headers and its key on the request
 * (_rw_provider_add_headers(); no key when the provider needs none), wipes the copies of the
 * key, and runs the exchange, which reports to @call.
 */
void
_rw_provider_send (RwProviderCall       *call,
                   RwHttpRequest        *request,
                   RwHttpFraming         framing,
                   const RwHttpHandlers *handlers,
                   gpointer              data,
                   GCancellable         *cancellable,
                   GTask                *task)
{
  RwProviderPrivate *priv = _rw_provider_get_private (call->provider);
  g_autoptr(RwHttpRequest) req = request;
  g_autoptr(GError) error = NULL;
  g_autofree char *key = provider_call_require_key (call, &error);
  RwHttpSink sink = {
    .headers = provider_call_sink_headers,
    .redact = provider_call_sink_redact,
    .owner = call,
    .result = call->result,
    .stream = call->request->stream,
    .max_answer_bytes = call->max_answer_bytes,
  };

  if (key == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  _rw_provider_add_headers (call->provider, key, provider_call_set_header, req);
  memset (key, 0, strlen (key));
  if (priv->replay_body != NULL)
    {
      _rw_http_replay (&sink, g_steal_pointer (&req), framing, handlers, data, priv->replay_status,
                       priv->replay_content_type, priv->replay_body, priv->replay_piece, &error);
      _rw_http_return_outcome (task, g_steal_pointer (&error));
      g_object_unref (task);
      return;
    }
  _rw_http_exchange_async (priv->http, &sink, g_steal_pointer (&req), framing, handlers, data,
                           cancellable, _rw_http_complete_task, task);
}

/* The chat_finish of every HTTP provider. */
gboolean
_rw_provider_chat_finish_task (RwProvider    *provider,
                               GAsyncResult  *result,
                               GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}
