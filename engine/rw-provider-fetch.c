/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "rw-error.h"
#include "rw-json.h"
#include "rw-openai-provider.h"
#include "rw-provider-private.h"

/*
 * A JSON request to one of a provider's own endpoints beside chat (its model list, OpenAI's
 * /embeddings and /moderations): {base_url}{path} with the provider's headers and its key
 * (_rw_provider_add_headers(), as for chat), no redirects followed, a time limit, and the reply
 * read up to the size of any reply and read by the caller's parser. An HTTP error says what the
 * server said, without the key; a provider that needs a key and has none sends nothing. The
 * model lists of every protocol are read here too, as the class's RwModelListing says.
 */

typedef struct
{
  SoupMessage *msg;
  char *key;
  char *what;
  RwReplyParser parse;
  gpointer parse_data;
  GDestroyNotify result_free;
  /* The time limit: it cancels @cancellable, which the caller's cancels too. */
  GCancellable *cancellable;
  gulong caller_handler;
  GCancellable *caller;
  GSource *timer;
  guint timeout_ms;
  gboolean timed_out;
} Fetch;

static void
fetch_free (Fetch *f)
{
  if (f->timer != NULL)
    {
      g_source_destroy (f->timer);
      g_source_unref (f->timer);
    }
  if (f->caller != NULL)
    {
      g_cancellable_disconnect (f->caller, f->caller_handler);
      g_object_unref (f->caller);
    }
  g_clear_object (&f->cancellable);
  g_clear_object (&f->msg);
  if (f->key != NULL)
    memset (f->key, 0, strlen (f->key));
  g_free (f->key);
  g_free (f->what);
  g_free (f);
}

/* rw_redact() as an RwRedactFunc: @key is this request's. */
static char *
fetch_redact (gpointer    key,
              const char *text)
{
  return rw_redact (text, key);
}

/* An error of the exchange: the time limit's, the caller's cancelling, or the network's. */
static GError *
fetch_io_error (Fetch  *f,
                GError *error)
{
  g_autofree char *clean = NULL;

  if (f->timed_out)
    return g_error_new (RW_ERROR, RW_ERROR_TIMEOUT, "no %s within %g s", f->what,
                        f->timeout_ms / 1000.0);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return g_error_new_literal (RW_ERROR, RW_ERROR_CANCELLED, error->message);
  clean = rw_redact (error->message, f->key);
  return g_error_new (RW_ERROR, RW_ERROR_NETWORK, "%s", clean);
}

/* What came back: the parser's reading of a success, else the error it is. */
static void
fetch_return_reply (GTask      *task,
                    guint       status,
                    const char *location,
                    const char *text,
                    gsize       len,
                    gboolean    truncated)
{
  Fetch *f = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  gpointer parsed;

  if (SOUP_STATUS_IS_REDIRECTION (status))
    {
      g_task_return_error (task, _rw_http_redirect_error (status, soup_message_get_uri (f->msg),
                                                          location));
      return;
    }
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      g_autoptr(GError) http = rw_error_from_http (status, text, len);

      g_task_return_error (task, rw_error_new_redacted (http, fetch_redact, f->key));
      return;
    }
  if (truncated)
    {
      g_task_return_new_error (task, RW_ERROR, RW_ERROR_BAD_RESPONSE,
                               "the %s reply is larger than %d bytes", f->what, RW_HTTP_MAX_BODY);
      return;
    }
  parsed = f->parse (text, len, f->parse_data, &error);
  if (parsed == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, parsed, f->result_free);
}

static void
fetch_body_cb (GObject      *object,
               GAsyncResult *res,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Fetch *f = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  gboolean truncated = FALSE;
  g_autoptr(GBytes) body = _rw_http_read_all_finish (res, &truncated, &error);
  gsize len = 0;
  const char *text;

  if (body == NULL)
    {
      g_task_return_error (task, fetch_io_error (f, error));
      return;
    }
  text = g_bytes_get_data (body, &len);
  fetch_return_reply (task, soup_message_get_status (f->msg),
                      soup_message_headers_get_one (soup_message_get_response_headers (f->msg),
                                                    "location"),
                      text, len, truncated);
}

static void
fetch_send_cb (GObject      *object,
               GAsyncResult *res,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GInputStream) stream = soup_session_send_finish (SOUP_SESSION (object), res, &error);
  Fetch *f = g_task_get_task_data (task);

  if (stream == NULL)
    {
      g_task_return_error (task, fetch_io_error (f, error));
      return;
    }
  _rw_http_read_all_async (stream, RW_HTTP_MAX_BODY, f->cancellable, fetch_body_cb,
                           g_steal_pointer (&task));
}

static void
fetch_set_header (gpointer    headers,
                  const char *name,
                  const char *value)
{
  soup_message_headers_replace (headers, name, value);
}

static gboolean
fetch_timed_out (gpointer user_data)
{
  Fetch *f = user_data;

  f->timed_out = TRUE;
  g_cancellable_cancel (f->cancellable);
  g_clear_pointer (&f->timer, g_source_unref);
  return G_SOURCE_REMOVE;
}

static void
fetch_caller_cancelled (GCancellable *caller,
                        gpointer      user_data)
{
  g_cancellable_cancel (G_CANCELLABLE (user_data));
}

/*
 * _rw_provider_fetch_json_async:
 * @self: a provider that speaks HTTP
 * @method: "GET" or "POST"
 * @path: what follows the base URL ("/models", "/embeddings"), with its query if any
 * @what: what is asked for, for messages ("model list", "embeddings")
 * @body: (nullable): the request's JSON, for a POST
 * @timeout_ms: how long the whole exchange may take, 0 for no limit
 * @parse: reads a reply of a success status, with @parse_data
 * @result_free: frees what @parse gives
 *
 * The task, of @self, gives what @parse made of the reply (g_task_propagate_pointer()), or an
 * error: RW_ERROR_TIMEOUT past @timeout_ms, RW_ERROR_AUTH when a key is needed and there is none.
 */
void
_rw_provider_fetch_json_async (RwProvider          *self,
                               const char          *method,
                               const char          *path,
                               const char          *what,
                               JsonNode            *body,
                               guint                timeout_ms,
                               RwReplyParser        parse,
                               gpointer             parse_data,
                               GDestroyNotify       result_free,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autofree char *url = g_strconcat (rw_provider_get_base_url (self), path, NULL);
  Fetch *f = g_new0 (Fetch, 1);

  g_task_set_source_tag (task, _rw_provider_fetch_json_async);
  g_task_set_task_data (task, f, (GDestroyNotify) fetch_free);
  f->what = g_strdup (what);
  f->parse = parse;
  f->parse_data = parse_data;
  f->result_free = result_free;
  f->timeout_ms = timeout_ms;
  f->msg = soup_message_new (method, url);
  if (f->msg == NULL)
    {
      g_task_return_new_error (task, RW_ERROR, RW_ERROR_CONFIG, "not a valid URL: %s", url);
      return;
    }
  soup_message_add_flags (f->msg, SOUP_MESSAGE_NO_REDIRECT);
  f->key = _rw_provider_dup_api_key (self);
  if ((f->key == NULL || *f->key == '\0') && rw_provider_needs_api_key (self))
    {
      g_task_return_new_error (task, RW_ERROR, RW_ERROR_AUTH,
                               "no API key for %s: store one in the keyring, or set the "
                               "environment variable %s", rw_provider_get_id (self),
                               rw_provider_get_api_key_env (self));
      return;
    }
  _rw_provider_add_headers (self, f->key, fetch_set_header,
                            soup_message_get_request_headers (f->msg));
  soup_message_headers_replace (soup_message_get_request_headers (f->msg), "Accept",
                                "application/json");
  if (body != NULL)
    {
      char *text = rw_json_to_string (body, FALSE);
      g_autoptr(GBytes) bytes = g_bytes_new_take (text, strlen (text));

      soup_message_set_request_body_from_bytes (f->msg, "application/json", bytes);
    }

  if (_rw_provider_get_private (self)->replay_body != NULL)
    {
      /* The reply played instead of sending (_rw_provider_set_replay()), read as one. */
      RwProviderPrivate *priv = _rw_provider_get_private (self);
      gsize len = 0;
      const char *text = g_bytes_get_data (priv->replay_body, &len);

      fetch_return_reply (task, priv->replay_status, NULL, text, len, len > RW_HTTP_MAX_BODY);
      return;
    }
  f->cancellable = g_cancellable_new ();
  if (cancellable != NULL)
    {
      f->caller = g_object_ref (cancellable);
      f->caller_handler = g_cancellable_connect (cancellable,
                                                 G_CALLBACK (fetch_caller_cancelled),
                                                 f->cancellable, NULL);
    }
  if (timeout_ms > 0)
    {
      f->timer = g_timeout_source_new (timeout_ms);
      g_source_set_callback (f->timer, fetch_timed_out, f, NULL);
      g_source_attach (f->timer, g_main_context_get_thread_default ());
    }
  soup_session_send_async (rw_provider_get_session (self), f->msg, G_PRIORITY_DEFAULT,
                           f->cancellable, fetch_send_cb, g_steal_pointer (&task));
}

/*
 * _rw_provider_post_openai_async:
 *
 * _rw_provider_fetch_json_async() of a POST to an endpoint only OpenAI's API has (/embeddings,
 * /moderations), with the time limit of a whole chat answer; another protocol's provider is
 * refused with a message that says which to name instead.
 */
void
_rw_provider_post_openai_async (RwProvider          *self,
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
  if (!RW_IS_OPENAI_PROVIDER (self))
    {
      g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

      g_task_set_source_tag (task, _rw_provider_post_openai_async);
      g_task_return_new_error (task, RW_ERROR, RW_ERROR_UNSUPPORTED,
                               "%s does not speak OpenAI's API, whose %s gives %s: name a model "
                               "of an OpenAI-compatible provider", rw_provider_get_id (self),
                               path, what);
      return;
    }
  _rw_provider_fetch_json_async (self, "POST", path, what, body, RW_PROVIDER_POST_TIMEOUT_MS,
                                 parse, parse_data, result_free, cancellable, callback,
                                 user_data);
}

/* The entries of a model list, read without building a tree of the whole reply (a list of tiny
 * entries would take seventy times its size), each an object with a non-empty string
 * @id_member, each model once, at most RW_PROVIDER_MAX_LISTED. */
static GPtrArray *
fetch_list_entries (const char            *text,
                    gsize                  len,
                    const RwModelListing  *listing,
                    GError               **error)
{
  g_autoptr(RwJsonDoc) doc = rw_json_doc_parse (text, len, NULL);
  g_autoptr(GPtrArray) entries =
    g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  guint32 list = doc ? rw_json_doc_member (doc, RW_JSON_ROOT, listing->member) : RW_JSON_NONE;

  if (doc == NULL || rw_json_doc_type (doc, RW_JSON_ROOT) != RW_JSON_OBJECT ||
      (list == RW_JSON_NONE ? !listing->absent_is_empty
                            : rw_json_doc_type (doc, list) != RW_JSON_ARRAY))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_BAD_RESPONSE,
                   "the model list is not {\"%s\": [...]}", listing->member);
      return NULL;
    }
  if (list != RW_JSON_NONE && rw_json_doc_length (doc, list) > RW_PROVIDER_MAX_LISTED)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_BAD_RESPONSE,
                   "the model list names %u models; at most %d are read",
                   rw_json_doc_length (doc, list), RW_PROVIDER_MAX_LISTED);
      return NULL;
    }
  for (guint32 e = list != RW_JSON_NONE ? rw_json_doc_first (doc, list) : RW_JSON_NONE;
       e != RW_JSON_NONE; e = rw_json_doc_next (doc, e))
    {
      const char *id = rw_json_doc_string (doc, rw_json_doc_member (doc, e, listing->id_member));
      JsonNode *node;

      if (rw_json_doc_type (doc, e) != RW_JSON_OBJECT || id == NULL || *id == '\0' ||
          !g_hash_table_add (seen, (gpointer) id))
        continue;
      node = rw_json_doc_to_node (doc, e);
      g_ptr_array_add (entries, json_object_ref (json_node_get_object (node)));
      json_node_unref (node);
    }
  return g_steal_pointer (&entries);
}

/* A model list as the provider's models, by its class's listing. */
static gpointer
fetch_parse_models (const char  *text,
                    gsize        len,
                    gpointer     data,
                    GError     **error)
{
  RwProvider *provider = data;
  const RwModelListing *listing = RW_PROVIDER_GET_CLASS (provider)->listing;
  g_autoptr(GPtrArray) entries = fetch_list_entries (text, len, listing, error);
  g_autoptr(GPtrArray) models = NULL;

  if (entries == NULL)
    return NULL;
  models = g_ptr_array_new_full (entries->len, g_object_unref);
  for (guint i = 0; i < entries->len; i++)
    {
      const char *name = json_object_get_string_member (entries->pdata[i], listing->id_member);
      g_autofree char *id = NULL;
      g_autoptr(RwModel) model = NULL;

      if (listing->id_prefix != NULL && g_str_has_prefix (name, listing->id_prefix))
        name += strlen (listing->id_prefix);
      if (*name == '\0')
        continue;
      id = g_strdup_printf ("%s/%s", rw_provider_get_id (provider), name);
      model = rw_model_new (id, rw_provider_get_id (provider), name);
      if (listing->describe == NULL || listing->describe (model, entries->pdata[i]))
        g_ptr_array_add (models, g_steal_pointer (&model));
    }
  return g_steal_pointer (&models);
}

/*
 * _rw_provider_list_models_async:
 *
 * The provider's model list, as its class's RwModelListing says to ask for it and read it,
 * within RwProvider:list-timeout; the task gives a GPtrArray of RwModel.
 */
void
_rw_provider_list_models_async (RwProvider          *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  _rw_provider_fetch_json_async (self, "GET", RW_PROVIDER_GET_CLASS (self)->listing->path,
                                 "model list", NULL, _rw_provider_list_timeout_ms (self),
                                 fetch_parse_models, self, (GDestroyNotify) g_ptr_array_unref,
                                 cancellable, callback, user_data);
}
