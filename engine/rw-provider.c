/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "rw-error.h"
#include "rw-http-private.h"
#include "rw-json.h"
#include "rw-keyring.h"
#include "rw-provider-private.h"

/* A provider: one upstream (its id, address and key), the limits batch runs keep to, and
 * what its protocol can carry. A call to it is rw-provider-call.c. */

enum {
  PROP_0,
  PROP_ID,
  PROP_BASE_URL,
  PROP_API_KEY_ENV,
  PROP_LIST_TIMEOUT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_ABSTRACT_TYPE_WITH_PRIVATE (RwProvider, rw_provider, G_TYPE_OBJECT)

RwProviderPrivate *
_rw_provider_get_private (RwProvider *self)
{
  return rw_provider_get_instance_private (self);
}

static void
provider_wipe_keyring_key (RwProviderPrivate *priv)
{
  if (priv->keyring_key != NULL)
    memset (priv->keyring_key, 0, strlen (priv->keyring_key));
  g_clear_pointer (&priv->keyring_key, g_free);
  priv->key_expires_us = 0;
}

static void
rw_provider_finalize (GObject *object)
{
  RwProvider *self = (RwProvider *) object;
  RwProviderPrivate *priv = rw_provider_get_instance_private (self);

  g_clear_pointer (&priv->id, g_free);
  g_clear_pointer (&priv->base_url, g_free);
  g_clear_pointer (&priv->api_key_env, g_free);
  g_clear_pointer (&priv->http, _rw_http_client_free);
  g_clear_pointer (&priv->replay_content_type, g_free);
  g_clear_pointer (&priv->replay_body, g_bytes_unref);
  g_clear_pointer (&priv->headers, g_ptr_array_unref);
  provider_wipe_keyring_key (priv);
  g_mutex_clear (&priv->key_lock);

  G_OBJECT_CLASS (rw_provider_parent_class)->finalize (object);
}

static void
rw_provider_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  RwProvider *self = RW_PROVIDER (object);
  RwProviderPrivate *priv = rw_provider_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, priv->id);
      break;
    case PROP_BASE_URL:
      g_value_set_string (value, priv->base_url);
      break;
    case PROP_API_KEY_ENV:
      g_value_set_string (value, priv->api_key_env);
      break;
    case PROP_LIST_TIMEOUT:
      g_value_set_uint (value, priv->list_timeout_ms);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
rw_provider_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  RwProvider *self = RW_PROVIDER (object);
  RwProviderPrivate *priv = rw_provider_get_instance_private (self);

  switch (prop_id)
    {
    case PROP_ID:
      g_free (priv->id);
      priv->id = g_value_dup_string (value);
      break;
    case PROP_BASE_URL:
      {
        g_autofree char *url = g_value_dup_string (value);
        gsize len = url ? strlen (url) : 0;

        /* Keep the base URL without a trailing slash so that paths append cleanly. */
        while (len > 0 && url[len - 1] == '/')
          url[--len] = '\0';
        g_free (priv->base_url);
        priv->base_url = g_steal_pointer (&url);
      }
      break;
    case PROP_API_KEY_ENV:
      g_free (priv->api_key_env);
      priv->api_key_env = g_value_dup_string (value);
      break;
    case PROP_LIST_TIMEOUT:
      priv->list_timeout_ms = g_value_get_uint (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static gboolean
rw_provider_real_configure (RwProvider  *self,
                            JsonObject  *config,
                            GError     **error)
{
  return TRUE;
}

static void
rw_provider_real_list_models_async (RwProvider          *self,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  if (RW_PROVIDER_GET_CLASS (self)->listing != NULL)
    {
      _rw_provider_list_models_async (self, cancellable, callback, user_data);
      return;
    }
  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, rw_provider_real_list_models_async);
  g_task_return_pointer (task, g_ptr_array_new_with_free_func (g_object_unref),
                         (GDestroyNotify) g_ptr_array_unref);
}

static GPtrArray *
rw_provider_real_list_models_finish (RwProvider    *self,
                                     GAsyncResult  *result,
                                     GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
rw_provider_class_init (RwProviderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = rw_provider_finalize;
  object_class->get_property = rw_provider_get_property;
  object_class->set_property = rw_provider_set_property;

  klass->configure = rw_provider_real_configure;
  klass->list_models_async = rw_provider_real_list_models_async;
  klass->list_models_finish = rw_provider_real_list_models_finish;

  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_BASE_URL] =
    g_param_spec_string ("base-url", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_API_KEY_ENV] =
    g_param_spec_string ("api-key-env", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * RwProvider:list-timeout:
   *
   * How long, in milliseconds, asking the provider for its model list may take (0: no limit).
   */
  properties[PROP_LIST_TIMEOUT] =
    g_param_spec_uint ("list-timeout", NULL, NULL, 0, G_MAXUINT, 30000,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
rw_provider_init (RwProvider *self)
{
  RwProviderPrivate *priv = rw_provider_get_instance_private (self);

  priv->http = _rw_http_client_new ();
  priv->max_answer_bytes = RW_PROVIDER_MAX_ANSWER_BYTES;
  priv->headers = g_ptr_array_new_with_free_func (g_free);
  g_mutex_init (&priv->key_lock);
}

const char *
rw_provider_get_id (RwProvider *self)
{
  RwProviderPrivate *priv = rw_provider_get_instance_private (self);
  g_return_val_if_fail (RW_IS_PROVIDER (self), NULL);
  return priv->id;
}

/**
 * rw_provider_get_kind:
 * @self: a #RwProvider
 *
 * Returns: the wire protocol's name, as written in providers.json ("openai", "recorded", ...)
 */
const char *
rw_provider_get_kind (RwProvider *self)
{
  g_return_val_if_fail (RW_IS_PROVIDER (self), NULL);
  return RW_PROVIDER_GET_CLASS (self)->kind;
}

const char *
rw_provider_get_base_url (RwProvider *self)
{
  RwProviderPrivate *priv = rw_provider_get_instance_private (self);
  g_return_val_if_fail (RW_IS_PROVIDER (self), NULL);
  return priv->base_url;
}

const char *
rw_provider_get_api_key_env (RwProvider *self)
{
  RwProviderPrivate *priv = rw_provider_get_instance_private (self);
  g_return_val_if_fail (RW_IS_PROVIDER (self), NULL);
  return priv->api_key_env;
}

/* Whether this provider's keys are looked for in the keyring: a protocol that takes a key, with
 * a key variable named or an upstream elsewhere (a local server found on its port needs none). */
static gboolean
provider_uses_keyring (RwProvider *self)
{
  RwProviderPrivate *priv = rw_provider_get_instance_private (self);

  if (!RW_PROVIDER_GET_CLASS (self)->takes_api_key)
    return FALSE;
  return priv->api_key_env != NULL || !_rw_http_is_loopback_url (priv->base_url);
}

/* How long what the keyring said is believed. Another process may change it (routewise-cli
 * keys set or delete while serve runs), and a keyring that could not be reached at first (serve
 * started before the login unlocked it) may be later; but a lookup is a round trip on the
 * session bus, too slow for every request. */
#define KEY_FOUND_TTL_US (10 * G_USEC_PER_SEC)
#define KEY_MISSING_TTL_US (2 * G_USEC_PER_SEC)

/* The key, from the environment variable the provider names when it is set, else from the
 * keyring; @source says which. */
static char *provider_dup_api_key (RwProvider  *self,
                                   const char **source);

/* The provider's key, from the keyring or its environment variable, or NULL: for the requests
 * other than chats (rw-provider-embed.c). */
char *
_rw_provider_dup_api_key (RwProvider *self)
{
  return provider_dup_api_key (self, NULL);
}

static char *
provider_dup_api_key (RwProvider  *self,
                      const char **source)
{
  RwProviderPrivate *priv = rw_provider_get_instance_private (self);
  const char *env = priv->api_key_env ? g_getenv (priv->api_key_env) : NULL;
  char *key = NULL;

  if (source != NULL)
    *source = NULL;
  if (env != NULL && *env != '\0')
    {
      if (source != NULL)
        *source = "environment";
      return g_strdup (env);
    }
  g_mutex_lock (&priv->key_lock);
  if (provider_uses_keyring (self) && g_get_monotonic_time () >= priv->key_expires_us)
    {
      g_autoptr(GError) error = NULL;
      char *found = rw_keyring_lookup (priv->id, &error);

      /* What the keyring said, the key or none, replaces what was known; a keyring that cannot
       * be reached now (locked, or not started yet) changes nothing. */
      if (error == NULL)
        {
          provider_wipe_keyring_key (priv);
          priv->keyring_key = found;
        }
      priv->key_expires_us = g_get_monotonic_time () +
                             (priv->keyring_key != NULL ? KEY_FOUND_TTL_US : KEY_MISSING_TTL_US);
    }
  key = g_strdup (priv->keyring_key);
  g_mutex_unlock (&priv->key_lock);
  if (key != NULL && source != NULL)
    *source = "keyring";
  return key;
}

/**
 * rw_provider_get_api_key_source:
 * @self: a #RwProvider
 *
 * Returns: (nullable): where the provider's key comes from now: "environment", "keyring", or
 *   %NULL when it has none
 */
const char *
rw_provider_get_api_key_source (RwProvider *self)
{
  g_autofree char *key = NULL;
  const char *source = NULL;

  g_return_val_if_fail (RW_IS_PROVIDER (self), NULL);

  key = provider_dup_api_key (self, &source);
  if (key != NULL)
    memset (key, 0, strlen (key));
  return source;
}

/**
 * rw_provider_forget_api_key:
 * @self: a #RwProvider
 *
 * Forgets the key read from the keyring, so that the next request reads it again: after it was
 * stored, changed or removed.
 */
void
rw_provider_forget_api_key (RwProvider *self)
{
  RwProviderPrivate *priv = rw_provider_get_instance_private (self);

  g_return_if_fail (RW_IS_PROVIDER (self));

  g_mutex_lock (&priv->key_lock);
  provider_wipe_keyring_key (priv);
  g_mutex_unlock (&priv->key_lock);
}

/**
 * rw_provider_has_api_key:
 * @self: a #RwProvider
 *
 * Returns: whether the provider has a key: in the environment variable it names, or in the
 *   keyring
 */
gboolean
rw_provider_has_api_key (RwProvider *self)
{
  g_return_val_if_fail (RW_IS_PROVIDER (self), FALSE);

  return rw_provider_get_api_key_source (self) != NULL;
}

/**
 * rw_provider_needs_api_key:
 * @self: a #RwProvider
 *
 * Returns: whether a request to the provider must carry a key: its protocol takes one, it
 *   names the variable that holds it, and it is not on this computer (a local server is sent
 *   the request without one when none is at hand)
 */
gboolean
rw_provider_needs_api_key (RwProvider *self)
{
  RwProviderPrivate *priv = rw_provider_get_instance_private (self);

  g_return_val_if_fail (RW_IS_PROVIDER (self), FALSE);

  return RW_PROVIDER_GET_CLASS (self)->takes_api_key && priv->api_key_env != NULL &&
         !_rw_http_is_loopback_url (priv->base_url);
}

/**
 * rw_provider_can_send:
 * @self: a #RwProvider
 *
 * Returns: whether a request can be sent to the provider now: it needs no key, or has one
 */
gboolean
rw_provider_can_send (RwProvider *self)
{
  return !rw_provider_needs_api_key (self) || rw_provider_has_api_key (self);
}

/**
 * rw_provider_get_session:
 * @self: a #RwProvider
 *
 * Returns: (transfer none): the HTTP session this provider's requests share
 */
SoupSession *
rw_provider_get_session (RwProvider *self)
{
  RwProviderPrivate *priv = rw_provider_get_instance_private (self);

  g_return_val_if_fail (RW_IS_PROVIDER (self), NULL);

  return _rw_http_client_get_session (priv->http);
}

/**
 * rw_provider_get_limits:
 * @self: a #RwProvider
 * @max_concurrency: (out) (optional): requests in flight at once, 0 for no limit
 * @requests_per_minute: (out) (optional): 0 for no limit
 * @tokens_per_minute: (out) (optional): 0 for no limit
 *
 * The limits batch runs keep to for this provider, from providers.json.
 */
void
rw_provider_get_limits (RwProvider *self,
                        guint      *max_concurrency,
                        guint      *requests_per_minute,
                        guint      *tokens_per_minute)
{
  RwProviderPrivate *priv = rw_provider_get_instance_private (self);

  if (max_concurrency)
    *max_concurrency = priv->max_concurrency;
  if (requests_per_minute)
    *requests_per_minute = priv->rpm;
  if (tokens_per_minute)
    *tokens_per_minute = priv->tpm;
}

void
rw_provider_set_limits (RwProvider *self,
                        guint       max_concurrency,
                        guint       requests_per_minute,
                        guint       tokens_per_minute)
{
  RwProviderPrivate *priv = rw_provider_get_instance_private (self);

  priv->max_concurrency = max_concurrency;
  priv->rpm = requests_per_minute;
  priv->tpm = tokens_per_minute;
}

/**
 * rw_provider_set_max_answer_bytes:
 * @self: a #RwProvider
 * @max_bytes: the most bytes one answer may hold; 0 for the default,
 *   %RW_PROVIDER_MAX_ANSWER_BYTES
 *
 * An answer that grows past @max_bytes (its text, refusal, tool calls and log probabilities
 * together) is stopped there: the call fails with %RW_ERROR_BAD_RESPONSE, which names the
 * limit, and keeps what arrived before it.
 */
void
rw_provider_set_max_answer_bytes (RwProvider *self,
                                  gsize       max_bytes)
{
  RwProviderPrivate *priv = rw_provider_get_instance_private (self);

  g_return_if_fail (RW_IS_PROVIDER (self));
  priv->max_answer_bytes = max_bytes ? max_bytes : RW_PROVIDER_MAX_ANSWER_BYTES;
}

gsize
rw_provider_get_max_answer_bytes (RwProvider *self)
{
  RwProviderPrivate *priv = rw_provider_get_instance_private (self);

  g_return_val_if_fail (RW_IS_PROVIDER (self), 0);
  return priv->max_answer_bytes;
}

/* The headers every request to the provider carries, from the entry's "headers" (a gateway's
 * own header, a beta flag): never the key itself, which goes in the protocol's own header from
 * the keyring or "api_key_env". */
static const char * const key_headers[] = { "authorization", "x-api-key", "x-goog-api-key",
                                            "api-key", NULL };

/* An HTTP header name (RFC 9110's token). */
static gboolean
provider_is_header_name (const char *name)
{
  if (*name == '\0')
    return FALSE;
  for (const char *p = name; *p; p++)
    if (!g_ascii_isalnum (*p) && strchr ("!#$%&'*+-.^_`|~", *p) == NULL)
      return FALSE;
  return TRUE;
}

static gboolean
provider_configure_headers (RwProvider  *self,
                            JsonObject  *config,
                            GError     **error)
{
  RwProviderPrivate *priv = rw_provider_get_instance_private (self);
  JsonNode *headers = json_object_get_member (config, "headers");
  JsonObject *h;
  GList *names;
  gboolean ok = TRUE;

  if (headers == NULL)
    return TRUE;
  if (!RW_PROVIDER_GET_CLASS (self)->needs_base_url)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "a %s provider sends no HTTP request, so "
                   "“headers” means nothing to it", RW_PROVIDER_GET_CLASS (self)->kind);
      return FALSE;
    }
  if (!JSON_NODE_HOLDS_OBJECT (headers))
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "“headers” must be an object");
      return FALSE;
    }
  h = json_node_get_object (headers);
  names = json_object_get_members (h);
  for (GList *l = names; l != NULL && ok; l = l->next)
    {
      g_autofree char *lower = g_ascii_strdown (l->data, -1);
      const char *value;

      if (!_rw_json_string_member (h, l->data, &value) || !provider_is_header_name (l->data) ||
          strpbrk (value, "\r\n") != NULL)
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                       "header “%s” must be a header's name with a string of one line",
                       (char *) l->data);
          ok = FALSE;
        }
      else if (g_strv_contains (key_headers, lower))
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                       "keys do not belong in providers.json: name the environment variable "
                       "that holds the key in “api_key_env”");
          ok = FALSE;
        }
      else
        {
          g_ptr_array_add (priv->headers, g_strdup (l->data));
          g_ptr_array_add (priv->headers, g_strdup (value));
        }
    }
  g_list_free (names);
  return ok;
}

/**
 * rw_provider_dup_header_names:
 * @self: a #RwProvider
 *
 * The names of the headers its providers.json entry adds to every request (their values may be
 * a gateway's secret, and are not given out).
 *
 * Returns: (transfer full): the names, %NULL-terminated, empty when there are none
 */
GStrv
rw_provider_dup_header_names (RwProvider *self)
{
  RwProviderPrivate *priv = rw_provider_get_instance_private (self);
  g_autoptr(GStrvBuilder) names = g_strv_builder_new ();

  g_return_val_if_fail (RW_IS_PROVIDER (self), NULL);
  for (guint i = 0; i + 1 < priv->headers->len; i += 2)
    g_strv_builder_add (names, priv->headers->pdata[i]);
  return g_strv_builder_end (names);
}

/*
 * _rw_provider_add_headers:
 * @key: (nullable): the key to send, when the provider has one
 * @set: sets one header on @target
 *
 * The headers every request to the provider carries, chats and the requests beside them
 * alike: those its providers.json entry adds, those of its protocol, and @key in the
 * protocol's own header.
 */
void
_rw_provider_add_headers (RwProvider         *self,
                          const char         *key,
                          RwProviderSetHeader set,
                          gpointer            target)
{
  RwProviderPrivate *priv = rw_provider_get_instance_private (self);
  RwProviderClass *klass = RW_PROVIDER_GET_CLASS (self);

  for (guint i = 0; i + 1 < priv->headers->len; i += 2)
    set (target, priv->headers->pdata[i], priv->headers->pdata[i + 1]);
  for (guint i = 0; klass->protocol_headers != NULL && klass->protocol_headers[i] != NULL; i += 2)
    set (target, klass->protocol_headers[i], klass->protocol_headers[i + 1]);
  if (key != NULL && *key != '\0' && klass->key_header != NULL)
    {
      g_autofree char *value = g_strconcat (klass->key_prefix ? klass->key_prefix : "", key,
                                            NULL);

      set (target, klass->key_header, value);
      memset (value, 0, strlen (value));
    }
}

gboolean
rw_provider_configure (RwProvider  *self,
                       JsonObject  *config,
                       GError     **error)
{
  g_return_val_if_fail (RW_IS_PROVIDER (self), FALSE);
  return provider_configure_headers (self, config, error) &&
         RW_PROVIDER_GET_CLASS (self)->configure (self, config, error);
}


/* What in a message the protocol would drop: a member other than its role, its content and
 * those it carries, or a part of its content of a type it does not carry. NULL when nothing. */
static char *
provider_message_uncarried (RwProviderClass *klass,
                            JsonArray       *messages)
{
  for (guint i = 0; i < json_array_get_length (messages); i++)
    {
      JsonNode *node = json_array_get_element (messages, i);
      JsonObject *m;
      JsonArray *parts;
      g_autoptr(GList) names = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      m = json_node_get_object (node);
      names = json_object_get_members (m);
      for (GList *l = names; l != NULL; l = l->next)
        if (!g_str_equal (l->data, "role") && !g_str_equal (l->data, "content") &&
            !json_node_is_null (json_object_get_member (m, l->data)) &&
            klass->carried_members != NULL && !g_strv_contains (klass->carried_members, l->data))
          return g_strdup_printf ("messages[%u].%s", i, (char *) l->data);
      if ((parts = rw_json_object_get_array (m, "content")) == NULL || klass->carried_parts == NULL)
        continue;
      for (guint j = 0; j < json_array_get_length (parts); j++)
        {
          JsonNode *part = json_array_get_element (parts, j);
          const char *type = JSON_NODE_HOLDS_OBJECT (part)
                             ? rw_json_object_get_string (json_node_get_object (part), "type",
                                                          NULL) : NULL;
          if (type == NULL || !g_strv_contains (klass->carried_parts, type))
            return g_strdup_printf ("messages[%u].content[%u] (%s)", i, j,
                                    type ? type : "a part without a type");
        }
    }
  return NULL;
}

/* A field that says what leaving it out says: nothing to carry. */
static gboolean
provider_field_is_default (const char *name,
                           JsonNode   *value)
{
  if (json_node_is_null (value))
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (value))
    return FALSE;
  switch (json_node_get_value_type (value))
    {
    case G_TYPE_INT64:
    case G_TYPE_DOUBLE:
      {
        double v = json_node_get_double (value);
        return (g_str_equal (name, "n") && v == 1) ||
               ((g_str_equal (name, "presence_penalty") || g_str_equal (name, "frequency_penalty") ||
                 g_str_equal (name, "top_logprobs")) && v == 0);
      }
    case G_TYPE_BOOLEAN:
      return (g_str_equal (name, "logprobs") || g_str_equal (name, "store")) &&
             !json_node_get_boolean (value);
    default:
      return FALSE;
    }
}

/**
 * rw_provider_check_request:
 * @self: a #RwProvider
 * @model: the model @request would go to
 * @request: a request
 * @error: return location for an error naming what cannot be carried
 *
 * Whether @self's protocol can carry all of @request: each of its extra fields (tools,
 * response_format, stop...) and each part of its messages. What it cannot is never dropped:
 * the request is refused, and the router tries a model that can.
 *
 * Returns: %TRUE when the whole request can go to @model
 */
gboolean
rw_provider_check_request (RwProvider     *self,
                           RwModel        *model,
                           RwChatRequest  *request,
                           GError        **error)
{
  RwProviderClass *klass;
  g_autofree char *field = NULL;

  g_return_val_if_fail (RW_IS_PROVIDER (self), FALSE);
  g_return_val_if_fail (request != NULL, FALSE);

  klass = RW_PROVIDER_GET_CLASS (self);
  if (klass->carried_fields != NULL && rw_chat_request_get_extra (request) != NULL)
    {
      g_autoptr(JsonObject) extra = rw_chat_request_dup_extra_object (request);
      g_autoptr(GList) names = extra ? json_object_get_members (extra) : NULL;

      for (GList *l = names; l != NULL && field == NULL; l = l->next)
        if (!g_strv_contains (klass->carried_fields, l->data) &&
            !provider_field_is_default (l->data, json_object_get_member (extra, l->data)))
          field = g_strdup (l->data);
    }
  if (field == NULL && (klass->carried_members != NULL || klass->carried_parts != NULL) &&
      rw_chat_request_get_raw_messages (request) != NULL)
    {
      const char *raw = rw_chat_request_get_raw_messages (request);
      g_autoptr(JsonNode) messages = rw_json_parse (raw, strlen (raw), NULL);

      if (messages != NULL && JSON_NODE_HOLDS_ARRAY (messages))
        field = provider_message_uncarried (klass, json_node_get_array (messages));
    }
  if (field == NULL && klass->check_request != NULL &&
      !klass->check_request (self, model, request, error))
    return FALSE;
  if (field == NULL)
    return TRUE;
  g_set_error (error, RW_ERROR, RW_ERROR_UNSUPPORTED,
               "%s cannot take “%s”: Routewise speaks the %s protocol to it, which has no way "
               "to carry it", rw_model_get_id (model), field, klass->kind);
  return FALSE;
}


/**
 * rw_provider_list_models_async:
 * @self: a #RwProvider
 * @cancellable: (nullable): a #GCancellable
 * @callback: called with the models
 * @user_data: data for @callback
 *
 * Asks the provider which models it serves.
 */
void
rw_provider_list_models_async (RwProvider          *self,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_return_if_fail (RW_IS_PROVIDER (self));
  RW_PROVIDER_GET_CLASS (self)->list_models_async (self, cancellable, callback, user_data);
}

/**
 * rw_provider_list_models_finish:
 * @self: a #RwProvider
 * @result: the #GAsyncResult
 * @error: return location for an error
 *
 * Returns: (transfer container) (element-type RwModel): the models
 */
GPtrArray *
rw_provider_list_models_finish (RwProvider    *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (RW_IS_PROVIDER (self), NULL);
  return RW_PROVIDER_GET_CLASS (self)->list_models_finish (self, result, error);
}

/**
 * _rw_provider_set_replay:
 * @self: an HTTP provider
 * @status: the status of the reply
 * @content_type: (nullable): its Content-Type
 * @body: (nullable): its body; %NULL to send calls again
 * @piece: how many bytes of it arrive at a time; 0 for all at once
 *
 * From now on every call gets this reply, read by the provider's own code exactly as a reply
 * from the network, and nothing is sent: for fuzzing how a provider reads its upstream.
 */
void
_rw_provider_set_replay (RwProvider *self,
                         guint       status,
                         const char *content_type,
                         GBytes     *body,
                         gsize       piece)
{
  RwProviderPrivate *priv = rw_provider_get_instance_private (self);

  priv->replay_status = status;
  g_free (priv->replay_content_type);
  priv->replay_content_type = g_strdup (content_type);
  g_clear_pointer (&priv->replay_body, g_bytes_unref);
  priv->replay_body = body ? g_bytes_ref (body) : NULL;
  priv->replay_piece = piece;
}
