/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_ENGINE_INSIDE) && !defined(RW_ENGINE_COMPILATION)
# error "Only <routewise-engine.h> can be included directly."
#endif

#include <json-glib/json-glib.h>

#include "rw-types.h"

G_BEGIN_DECLS

#define RW_TYPE_CHAT_RESULT (rw_chat_result_get_type ())

/**
 * RwChatResult:
 * @model_id: the catalog id of the model that answered
 * @text: the answer so far, or the whole answer once finished
 * @finish_reason: (nullable): why the model stopped ("stop", "length", ...)
 * @tokens_in: input tokens, or -1 when unknown
 * @tokens_out: output tokens, or -1 when unknown
 * @usage_estimated: the token counts are estimates, not the provider's
 * @cost_usd: the cost from the catalog's prices, or NAN when unknown
 * @ttft_ms: milliseconds from sending to the first token, or -1 when none came
 * @latency_ms: milliseconds from sending to the end
 * @http_status: the upstream's HTTP status, or 0
 * @retry_after_ms: how long the upstream asked to wait, or -1
 * @error: (nullable): why the answer failed, in the %RW_ERROR domain
 *
 * The outcome of one request to one model, whatever the provider's protocol.
 */
struct _RwChatResult
{
  /*< private >*/
  gatomicrefcount ref_count;

  /*< public >*/
  char *model_id;
  GString *text;
  char *finish_reason;
  gint64 tokens_in;
  gint64 tokens_out;
  gboolean usage_estimated;
  double cost_usd;
  double ttft_ms;
  double latency_ms;
  guint http_status;
  gint64 retry_after_ms;
  GError *error;
};

GType         rw_chat_result_get_type         (void) G_GNUC_CONST;
RwChatResult *rw_chat_result_new              (const char   *model_id);
RwChatResult *rw_chat_result_ref              (RwChatResult *self);
void          rw_chat_result_unref            (RwChatResult *self);
gboolean      rw_chat_result_is_ok            (RwChatResult *self);
double        rw_chat_result_tokens_per_second (RwChatResult *self);
JsonNode     *rw_chat_result_to_json          (RwChatResult *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RwChatResult, rw_chat_result_unref)

G_END_DECLS
