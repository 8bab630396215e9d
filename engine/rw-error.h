/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_ENGINE_INSIDE) && !defined(RW_ENGINE_COMPILATION)
# error "Only <routewise-engine.h> can be included directly."
#endif

#include <glib.h>

G_BEGIN_DECLS

#define RW_ERROR (rw_error_quark ())

/**
 * RwError:
 * @RW_ERROR_UNKNOWN: anything not classified below
 * @RW_ERROR_AUTH: the key is missing, wrong or has no access; never retried
 * @RW_ERROR_RATE_LIMITED: too many requests; retry after Retry-After or a backoff
 * @RW_ERROR_OVERLOADED: the provider is overloaded (503, 529); retry, then fall back
 * @RW_ERROR_SERVER: the provider failed (500, 502, ...); retry, then fall back
 * @RW_ERROR_TIMEOUT: connecting, the first token, a gap between tokens or the whole answer
 *   took too long
 * @RW_ERROR_CONTEXT_LENGTH: the request does not fit the model's context
 * @RW_ERROR_BAD_REQUEST: the provider refused the request; never retried
 * @RW_ERROR_BAD_RESPONSE: the reply or the stream was malformed or ended early
 * @RW_ERROR_NETWORK: the server could not be reached or the connection broke
 * @RW_ERROR_CANCELLED: the caller cancelled
 * @RW_ERROR_BUDGET: a cost ceiling would be broken
 * @RW_ERROR_CONFIG: the configuration or a command line is wrong
 * @RW_ERROR_STORE: the database could not be read or written
 * @RW_ERROR_UNSUPPORTED: the model cannot serve this request (its protocol cannot carry a field
 *   or part of it, or it is a recording with no answer to the prompt); the router tries the
 *   next candidate
 */
typedef enum
{
  RW_ERROR_UNKNOWN = 0,
  RW_ERROR_AUTH,
  RW_ERROR_RATE_LIMITED,
  RW_ERROR_OVERLOADED,
  RW_ERROR_SERVER,
  RW_ERROR_TIMEOUT,
  RW_ERROR_CONTEXT_LENGTH,
  RW_ERROR_BAD_REQUEST,
  RW_ERROR_BAD_RESPONSE,
  RW_ERROR_NETWORK,
  RW_ERROR_CANCELLED,
  RW_ERROR_BUDGET,
  RW_ERROR_CONFIG,
  RW_ERROR_STORE,
  RW_ERROR_UNSUPPORTED,
} RwError;

GQuark      rw_error_quark           (void);
const char *rw_error_kind_to_string  (RwError      code);
RwError     rw_error_kind_from_string (const char  *kind);
const char *rw_error_get_kind        (const GError *error);
void        rw_error_set_param       (GError       *error,
                                      const char   *param);
const char *rw_error_get_param       (const GError *error);
void        rw_set_param_error       (GError      **error,
                                      RwError       code,
                                      const char   *param,
                                      const char   *format,
                                      ...) G_GNUC_PRINTF (4, 5);
GError     *rw_error_from_http       (guint         status,
                                      const char   *body,
                                      gsize         body_len);
GError     *rw_error_from_json_error (guint         status,
                                      const char   *json_text);
gint64      rw_parse_retry_after     (const char   *value,
                                      gint64        now_unix);
typedef char *(*RwRedactFunc) (gpointer    data,
                               const char *text);
GError     *rw_error_new_redacted    (const GError *error,
                                      RwRedactFunc  redact,
                                      gpointer      data);
char       *rw_redact                (const char   *text,
                                      const char   *secret);

G_END_DECLS
