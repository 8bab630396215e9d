/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "rw-error.h"
#include "rw-json.h"
#include "rw-openai-provider.h"
#include "rw-provider-private.h"

/*
 * A JSON request to one of an OpenAI-compatible provider's own endpoints beside chat
 * (/embeddings, /moderations): POST {base_url}{path} with the provider's key, no redirects,
 * and the reply read up to the size of any reply and read by the caller's parser. An HTTP
 * error says what the server said, without the key.
 */

typedef struct
{
  SoupMessage *msg;
  char *key;
  char *what;
  RwReplyParser parse;
  gpointer parse_data;
  GDestroyNotify result_free;
} Post;

static void
post_free (Post *p)
{
  g_clear_object (&p->msg);
  if (p->key != NULL)
    memset (p->key, 0, strlen (p->key));
  g_free (p->key);
  g_free (p->what);
  g_free (p);
}

/* rw_redact() as an RwRedactFunc: @key is this request's. */
static char *
post_redact (gpointer    key,
             const char *text)
{
  return rw_redact (text, key);
}

static void
post_body_cb (GObject      *object,
              GAsyncResult *res,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Post *p = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  gboolean truncated = FALSE;
  g_autoptr(GBytes) body = _rw_http_read_all_finish (res, &truncated, &error);
  guint status = soup_message_get_status (p->msg);
  const char *text;
  gsize len = 0;
  gpointer parsed;

  if (body == NULL)
    {
      g_task_return_new_error (task, RW_ERROR, RW_ERROR_NETWORK, "%s", error->message);
      return;
    }
  text = g_bytes_get_data (body, &len);
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_autoptr(GError) http = rw_error_from_http (status, text, len);

      g_task_return_error (task, rw_error_new_redacted (http, post_redact, p->key));
      return;
    }
  if (truncated)
    {
      g_task_return_new_error (task, RW_ERROR, RW_ERROR_BAD_RESPONSE,
                               "the %s reply is larger than %d bytes", p->what, RW_HTTP_MAX_BODY);
      return;
    }
  parsed = p->parse (text, len, p->parse_data, &error);
  if (parsed == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, parsed, p->result_free);
}

static void
post_send_cb (GObject      *object,
              GAsyncResult *res,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GInputStream) stream = soup_session_send_finish (SOUP_SESSION (object), res, &error);
  Post *p = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  if (stream == NULL)
    {
      g_autofree char *clean = rw_redact (error->message, p->key);
      g_task_return_new_error (task, RW_ERROR, RW_ERROR_NETWORK, "%s", clean);
      return;
    }
  _rw_http_read_all_async (stream, RW_HTTP_MAX_BODY, cancellable, post_body_cb,
                           g_steal_pointer (&task));
}

/*
 * _rw_provider_post_json_async:
 * @self: a provider that speaks OpenAI's API
 * @path: the endpoint, "/embeddings"
 * @what: what is asked for, for messages ("embeddings")
 * @body: the request's JSON
 * @parse: reads a reply of a success status, with @parse_data
 * @result_free: frees what @parse gives
 *
 * The task, of @self, gives what @parse made of the reply (g_task_propagate_pointer()), or an
 * error.
 */
void
_rw_provider_post_json_async (RwProvider          *self,
                              const char          *path,
                              const char          *what,
                              JsonNode            *body,
                              RwReplyParser        parse,
                              gpointer             parse_data,
                              GDestroyNotify       result_free,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autofree char *url = g_strconcat (rw_provider_get_base_url (self), path, NULL);
  g_autoptr(GBytes) bytes = NULL;
  Post *p = g_new0 (Post, 1);
  char *text;

  g_task_set_source_tag (task, _rw_provider_post_json_async);
  g_task_set_task_data (task, p, (GDestroyNotify) post_free);
  p->what = g_strdup (what);
  p->parse = parse;
  p->parse_data = parse_data;
  p->result_free = result_free;
  if (!RW_IS_OPENAI_PROVIDER (self))
    {
      g_task_return_new_error (task, RW_ERROR, RW_ERROR_UNSUPPORTED,
                               "%s does not speak OpenAI's API, whose %s gives %s: name a model "
                               "of an OpenAI-compatible provider", rw_provider_get_id (self),
                               path, what);
      return;
    }
  p->msg = soup_message_new ("POST", url);
  if (p->msg == NULL)
    {
      g_task_return_new_error (task, RW_ERROR, RW_ERROR_CONFIG, "not a valid URL: %s", url);
      return;
    }
  soup_message_add_flags (p->msg, SOUP_MESSAGE_NO_REDIRECT);
  p->key = _rw_provider_dup_api_key (self);
  if (p->key != NULL && *p->key != '\0')
    {
      g_autofree char *auth = g_strconcat ("Bearer ", p->key, NULL);
      soup_message_headers_replace (soup_message_get_request_headers (p->msg), "Authorization",
                                    auth);
      memset (auth, 0, strlen (auth));
    }
  text = rw_json_to_string (body, FALSE);
  bytes = g_bytes_new_take (text, strlen (text));
  soup_message_set_request_body_from_bytes (p->msg, "application/json", bytes);
  soup_session_send_async (rw_provider_get_session (self), p->msg, G_PRIORITY_DEFAULT, cancellable,
                           post_send_cb, g_steal_pointer (&task));
}
