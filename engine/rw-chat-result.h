/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_ENGINE_INSIDE) && !defined(RW_ENGINE_COMPILATION)
# error "Only <routewise-engine.h> can be included directly."
#endif

#include <json-glib/json-glib.h>

#include "rw-chat-choice.h"
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
 * @choices: (element-type RwChatChoice) (nullable): by index, each choice's tool calls,
 *   refusal and log probabilities, and the text and finish reason of choices after the first;
 *   %NULL while the answer is one choice of plain text
 * @system_fingerprint: (nullable): the upstream's `system_fingerprint`
 * @usage_details: (nullable): the members of the upstream's usage object beyond its three
 *   token counts (`prompt_tokens_details`, `completion_tokens_details`...), as JSON object
 *   members: `"a":{...},"b":{...}`
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
  GPtrArray *choices;
  char *system_fingerprint;
  char *usage_details;
};

GType         rw_chat_result_get_type         (void) G_GNUC_CONST;
RwChatResult *rw_chat_result_new              (const char   *model_id);
RwChatResult *rw_chat_result_ref              (RwChatResult *self);
void          rw_chat_result_unref            (RwChatResult *self);
gboolean      rw_chat_result_is_ok            (RwChatResult *self);
double        rw_chat_result_tokens_per_second (RwChatResult *self);
JsonNode     *rw_chat_result_to_json          (RwChatResult *self);
RwChatChoice *rw_chat_result_get_choice       (RwChatResult *self,
                                               guint         index);
RwChatChoice *rw_chat_result_peek_choice      (RwChatResult *self,
                                               guint         index);
guint         rw_chat_result_get_n_choices    (RwChatResult *self);
gboolean      rw_chat_result_apply_delta      (RwChatResult *self,
                                               const RwChatDelta *delta);
GPtrArray    *rw_chat_result_get_tool_calls   (RwChatResult *self);
char         *rw_chat_result_dup_tool_calls_json (RwChatResult *self);
gboolean      rw_chat_result_set_tool_calls_json (RwChatResult *self,
                                               const char   *json);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RwChatResult, rw_chat_result_unref)

G_END_DECLS
