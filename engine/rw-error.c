/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include <stdio.h>
#include <string.h>
#include <json-glib/json-glib.h>

#include "rw-error.h"
#include "rw-json.h"

/* The domain carries one more thing than a message: the request member an error is about
 * ("temperature", "messages[2].content"), which the endpoint returns as OpenAI's "param". */
typedef struct
{
  char *param;
} RwErrorPrivate;

static void
rw_error_private_init (GError *error)
{
  (void) error;
}

static RwErrorPrivate *
rw_error_get_private (const GError *error)
{
  /* Where GLib keeps an extended error's private data: just before the GError, aligned as
   * g_error_domain_register_static() documents. */
  const gsize align = 2 * sizeof (gsize);
  const gsize size = (sizeof (RwErrorPrivate) + (align - 1)) & -align;

  return (RwErrorPrivate *) (((guint8 *) error) - size);
}

static void
rw_error_private_copy (const GError *src,
                       GError       *dest)
{
  rw_error_get_private (dest)->param = g_strdup (rw_error_get_private (src)->param);
}

static void
rw_error_private_clear (GError *error)
{
  g_clear_pointer (&rw_error_get_private (error)->param, g_free);
}

GQuark
rw_error_quark (void)
{
  static GQuark quark;
  static gsize initialized;

  if (g_once_init_enter (&initialized))
    {
      quark = g_error_domain_register_static ("rw-error-quark", sizeof (RwErrorPrivate),
                                              rw_error_private_init, rw_error_private_copy,
                                              rw_error_private_clear);
      g_once_init_leave (&initialized, 1);
    }
  return quark;
}

/**
 * rw_error_set_param:
 * @error: an error in the %RW_ERROR domain
 * @param: (nullable): the request member it is about, as a path ("messages[0].content")
 */
void
rw_error_set_param (GError     *error,
                    const char *param)
{
  RwErrorPrivate *priv;

  g_return_if_fail (error != NULL && error->domain == RW_ERROR);
  priv = rw_error_get_private (error);
  g_free (priv->param);
  priv->param = g_strdup (param);
}

/**
 * rw_error_get_param:
 * @error: (nullable): any error
 *
 * Returns: (nullable): the request member @error is about, %NULL when it names none or is not
 *   in the %RW_ERROR domain
 */
const char *
rw_error_get_param (const GError *error)
{
  if (error == NULL || error->domain != RW_ERROR)
    return NULL;
  return rw_error_get_private (error)->param;
}

/**
 * rw_set_param_error:
 * @error: (nullable): where to put the error
 * @code: its kind
 * @param: (nullable): the request member it is about
 * @format: the message, printf-style
 */
void
rw_set_param_error (GError    **error,
                    RwError     code,
                    const char *param,
                    const char *format,
                    ...)
{
  g_autofree char *message = NULL;
  GError *local;
  va_list args;

  if (error == NULL)
    return;
  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  local = g_error_new_literal (RW_ERROR, code, message);
  rw_error_set_param (local, param);
  /* As g_set_error(): an error already set is kept, and the mistake is told. */
  g_propagate_error (error, local);
}

static const char * const kind_names[] = {
  [RW_ERROR_UNKNOWN] = "unknown",
  [RW_ERROR_AUTH] = "auth",
  [RW_ERROR_RATE_LIMITED] = "rate_limited",
  [RW_ERROR_OVERLOADED] = "overloaded",
  [RW_ERROR_SERVER] = "server",
  [RW_ERROR_TIMEOUT] = "timeout",
  [RW_ERROR_CONTEXT_LENGTH] = "context_length",
  [RW_ERROR_BAD_REQUEST] = "bad_request",
  [RW_ERROR_BAD_RESPONSE] = "bad_response",
  [RW_ERROR_NETWORK] = "network",
  [RW_ERROR_CANCELLED] = "cancelled",
  [RW_ERROR_BUDGET] = "budget",
  [RW_ERROR_CONFIG] = "config",
  [RW_ERROR_STORE] = "store",
  [RW_ERROR_UNSUPPORTED] = "unsupported",
};

/**
 * rw_error_kind_to_string:
 * @code: an #RwError
 *
 * Returns: the stable, machine-readable name of @code, as stored in the database
 */
const char *
rw_error_kind_to_string (RwError code)
{
  if ((guint) code >= G_N_ELEMENTS (kind_names) || kind_names[code] == NULL)
    return "unknown";
  return kind_names[code];
}

RwError
rw_error_kind_from_string (const char *kind)
{
  for (guint i = 0; kind != NULL && i < G_N_ELEMENTS (kind_names); i++)
    if (g_strcmp0 (kind_names[i], kind) == 0)
      return (RwError) i;
  return RW_ERROR_UNKNOWN;
}

/**
 * rw_error_get_kind:
 * @error: (nullable): any error
 *
 * Returns: the kind name of @error when it is in the %RW_ERROR domain, "unknown" otherwise,
 *   %NULL for no error
 */
const char *
rw_error_get_kind (const GError *error)
{
  if (error == NULL)
    return NULL;
  if (error->domain != RW_ERROR)
    return "unknown";
  return rw_error_kind_to_string ((RwError) error->code);
}

static gboolean
error_contains_ci (const char *haystack,
                   const char *needle)
{
  g_autofree char *h = NULL;
  g_autofree char *n = NULL;

  if (haystack == NULL)
    return FALSE;
  h = g_utf8_strdown (haystack, -1);
  n = g_utf8_strdown (needle, -1);
  return strstr (h, n) != NULL;
}

static gboolean
error_looks_like_context_length (const char *code,
                                 const char *type,
                                 const char *message)
{
  static const char * const phrases[] = {
    "context_length_exceeded", "context length", "context window", "maximum context",
    "too many tokens", "prompt is too long", "input is too long", "reduce the length",
    "exceeds the context", "string_above_max_length",
  };

  for (guint i = 0; i < G_N_ELEMENTS (phrases); i++)
    if (error_contains_ci (code, phrases[i]) || error_contains_ci (type, phrases[i]) ||
        error_contains_ci (message, phrases[i]))
      return TRUE;
  return FALSE;
}

static RwError
error_classify (guint       status,
                const char *code,
                const char *type,
                const char *message)
{
  if (error_looks_like_context_length (code, type, message))
    return RW_ERROR_CONTEXT_LENGTH;
  if (error_contains_ci (type, "overloaded") || error_contains_ci (code, "overloaded"))
    return RW_ERROR_OVERLOADED;
  if (error_contains_ci (code, "insufficient_quota") || error_contains_ci (type,
                                                                           "insufficient_quota"))
    return RW_ERROR_AUTH;
  if (error_contains_ci (type, "rate_limit") || error_contains_ci (code, "rate_limit"))
    return RW_ERROR_RATE_LIMITED;
  if (error_contains_ci (type, "authentication") || error_contains_ci (type, "permission") ||
      error_contains_ci (code, "invalid_api_key"))
    return RW_ERROR_AUTH;

  switch (status)
    {
    case 401:
    case 402:
    case 403:
      return RW_ERROR_AUTH;
    case 413:
      return RW_ERROR_CONTEXT_LENGTH;
    case 429:
      return RW_ERROR_RATE_LIMITED;
    case 408:
    case 504:
    case 524:
      return RW_ERROR_TIMEOUT;
    case 503:
    case 529:
      return RW_ERROR_OVERLOADED;
    default:
      break;
    }

  if (status >= 500 && status < 600)
    return RW_ERROR_SERVER;
  if (status >= 400 && status < 500)
    return RW_ERROR_BAD_REQUEST;
  if (status == 0)
    {
      /* An error reported inside a 200 stream: trust its type. */
      if (error_contains_ci (type, "invalid_request"))
        return RW_ERROR_BAD_REQUEST;
      if (error_contains_ci (type, "server") || error_contains_ci (type, "api_error"))
        return RW_ERROR_SERVER;
    }
  return RW_ERROR_UNKNOWN;
}

static char *
error_node_to_string (JsonNode *node)
{
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return NULL;
  if (JSON_NODE_HOLDS_VALUE (node))
    {
      if (json_node_get_value_type (node) == G_TYPE_STRING)
        return g_strdup (json_node_get_string (node));
      if (json_node_get_value_type (node) == G_TYPE_INT64)
        return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
    }
  return NULL;
}

static char *
error_clip_message (const char *text,
                    gsize       len)
{
  g_autoptr(GString) s = g_string_new (NULL);
  const char *end;

  if (!g_utf8_validate_len (text, len, &end))
    len = end - text;
  g_string_append_len (s, text, MIN (len, 300));
  g_strstrip (s->str);
  s->len = strlen (s->str);
  if (len > 300)
    g_string_append (s, "…");
  for (gsize i = 0; i < s->len; i++)
    if (s->str[i] == '\n' || s->str[i] == '\r' || s->str[i] == '\t')
      s->str[i] = ' ';
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/**
 * rw_error_from_json_error:
 * @status: the HTTP status, or 0 for an error event inside a stream
 * @json_text: a JSON error body such as `{"error": {"message": ..., "type": ..., "code": ...}}`
 *
 * Returns: (transfer full) (nullable): the classified error, or %NULL when @json_text is not an
 *   error object
 */
GError *
rw_error_from_json_error (guint       status,
                          const char *json_text)
{
  g_autoptr(JsonNode) root = NULL;
  g_autofree char *message = NULL;
  g_autofree char *type = NULL;
  g_autofree char *code = NULL;
  g_autofree char *param = NULL;
  JsonObject *obj;
  JsonNode *err;

  if (json_text == NULL || (root = rw_json_parse (json_text, strlen (json_text), NULL)) == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (root))
    return NULL;
  obj = json_node_get_object (root);
  err = json_object_get_member (obj, "error");

  if (err != NULL && JSON_NODE_HOLDS_OBJECT (err))
    {
      JsonObject *eo = json_node_get_object (err);
      message = error_node_to_string (json_object_get_member (eo, "message"));
      type = error_node_to_string (json_object_get_member (eo, "type"));
      code = error_node_to_string (json_object_get_member (eo, "code"));
      param = error_node_to_string (json_object_get_member (eo, "param"));
      if (type == NULL)
        type = error_node_to_string (json_object_get_member (eo, "status"));
    }
  else if (err != NULL && JSON_NODE_HOLDS_VALUE (err))
    message = error_node_to_string (err);
  else if (json_object_has_member (obj, "message") && json_object_has_member (obj, "type"))
    {
      message = error_node_to_string (json_object_get_member (obj, "message"));
      type = error_node_to_string (json_object_get_member (obj, "type"));
    }
  else
    return NULL;

  if (message == NULL)
    message = g_strdup (type ? type : "no message");

  {
    g_autofree char *clipped = error_clip_message (message, strlen (message));
    RwError kind = error_classify (status, code, type, message);
    GError *error;

    if (status != 0)
      error = g_error_new (RW_ERROR, kind, "HTTP %u: %s", status, clipped);
    else
      error = g_error_new (RW_ERROR, kind, "%s", clipped);
    /* The member the provider named, kept for the caller of the endpoint (clipped as the
     * message is: it comes from outside). */
    if (param != NULL && *param != '\0')
      {
        g_autofree char *p = error_clip_message (param, strlen (param));
        rw_error_set_param (error, p);
      }
    return error;
  }
}

/**
 * rw_error_from_http:
 * @status: the HTTP status of a failed reply
 * @body: (nullable): the reply body
 * @body_len: its length
 *
 * Classifies a failed HTTP reply by its status and, where the body is a JSON error object, by
 * its type and code (a 400 that says the context is too long is %RW_ERROR_CONTEXT_LENGTH).
 *
 * Returns: (transfer full): the error
 */
GError *
rw_error_from_http (guint       status,
                    const char *body,
                    gsize       body_len)
{
  GError *error = NULL;

  if (body != NULL && body_len > 0)
    {
      g_autofree char *text = g_strndup (body, body_len);
      error = rw_error_from_json_error (status, text);
      if (error == NULL)
        {
          g_autofree char *clipped = error_clip_message (text, strlen (text));
          RwError kind = error_classify (status, NULL, NULL, text);
          error = g_error_new (RW_ERROR, kind, "HTTP %u: %s", status, clipped);
        }
    }
  else
    error = g_error_new (RW_ERROR, error_classify (status, NULL, NULL, NULL), "HTTP %u", status);

  return error;
}

/**
 * rw_parse_retry_after:
 * @value: (nullable): a Retry-After header: seconds, or an HTTP date
 * @now_unix: the current time in seconds since the epoch
 *
 * Returns: the delay in milliseconds, at most a day (a later date or a longer delay is a
 *   day), or -1 when @value is absent or unparsable
 */
#define RW_RETRY_AFTER_MAX_S 86400

gint64
rw_parse_retry_after (const char *value,
                      gint64      now_unix)
{
  char *end = NULL;
  double secs;

  if (value == NULL)
    return -1;
  while (g_ascii_isspace (*value))
    value++;
  if (*value == '\0')
    return -1;

  secs = g_ascii_strtod (value, &end);
  if (end != value && (*end == '\0' || g_ascii_isspace (*end)))
    {
      if (secs < 0 || isnan (secs))
        return -1;
      /* A day at most: longer is as good as never, for a request waiting on it. */
      return (gint64) (MIN (secs, RW_RETRY_AFTER_MAX_S) * 1000.0);
    }

  {
    g_autoptr(GDateTime) dt = NULL;
    static const char * const months[] = {
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"
    };
    char wday[8], mon[8], tz[8];
    int day, year, hh, mm, ss;

    /* IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT" */
    if (sscanf (value, "%7[A-Za-z], %d %7s %d %d:%d:%d %7s",
                wday, &day, mon, &year, &hh, &mm, &ss, tz) == 8)
      {
        for (guint m = 0; m < 12; m++)
          if (g_ascii_strcasecmp (mon, months[m]) == 0)
            dt = g_date_time_new_utc (year, m + 1, day, hh, mm, ss);
      }
    if (dt == NULL)
      return -1;
    return CLAMP (g_date_time_to_unix (dt) - now_unix, 0, RW_RETRY_AFTER_MAX_S) * 1000;
  }
}

/**
 * rw_error_new_redacted:
 * @error: an error in the %RW_ERROR domain, from outside (an upstream's reply)
 * @redact: takes a key, and anything like one, out of a text (see rw_redact())
 * @data: data for @redact
 *
 * Returns: (transfer full): @error of the same kind, its message and the request member it
 *   names both passed through @redact
 */
GError *
rw_error_new_redacted (const GError *error,
                       RwRedactFunc  redact,
                       gpointer      data)
{
  g_autofree char *message = redact (data, error->message);
  g_autofree char *param = rw_error_get_param (error) != NULL
                           ? redact (data, rw_error_get_param (error)) : NULL;
  GError *redacted = g_error_new_literal (RW_ERROR, error->code, message);

  rw_error_set_param (redacted, param);
  return redacted;
}

/**
 * rw_redact:
 * @text: (nullable): text that may contain a secret
 * @secret: (nullable): the secret to remove
 *
 * Replaces every occurrence of @secret, and anything shaped like an API key, with `***`.
 *
 * Returns: (transfer full) (nullable): the redacted copy
 */
char *
rw_redact (const char *text,
           const char *secret)
{
  g_autoptr(GString) s = NULL;
  static gsize key_like_once;
  static GRegex *key_like;

  if (text == NULL)
    return NULL;

  s = g_string_new (text);
  if (secret != NULL && strlen (secret) >= 4)
    g_string_replace (s, secret, "***", 0);

  if (g_once_init_enter (&key_like_once))
    {
      key_like = g_regex_new ("\\b(sk|pk|rk|gsk|xai|AIza)[-_A-Za-z0-9]{12,}",
                              G_REGEX_OPTIMIZE, 0, NULL);
      g_once_init_leave (&key_like_once, 1);
    }

  {
    g_autofree char *out = g_regex_replace_literal (key_like, s->str, -1, 0, "***", 0, NULL);
    if (out != NULL)
      return g_steal_pointer (&out);
  }
  return g_string_free (g_steal_pointer (&s), FALSE);
}
