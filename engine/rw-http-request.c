/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE 1
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "rw-chat-request-private.h"
#include "rw-error.h"
#include "rw-http-private.h"
#include "rw-http1.h"
#include "rw-json.h"
#include "rw-sse-parser.h"

/* A request to an upstream, as the providers build it, and as libsoup gets it. */

/* The last URL each thread parsed: requests to one upstream use the same URL again and again,
 * and a GUri is immutable. */
typedef struct
{
  char *url;
  GUri *uri;
} RwHttpUriCache;

static void
http_uri_cache_free (gpointer data)
{
  RwHttpUriCache *c = data;

  g_free (c->url);
  g_uri_unref (c->uri);
  g_free (c);
}

static GPrivate uri_cache = G_PRIVATE_INIT (http_uri_cache_free);

/* @url parsed, or NULL when it is not an http or https URL with a host. */
static GUri *
http_parse_url (const char *url)
{
  RwHttpUriCache *c = g_private_get (&uri_cache);
  GUri *uri;

  if (c != NULL && g_str_equal (c->url, url))
    return g_uri_ref (c->uri);
  uri = g_uri_parse (url, SOUP_HTTP_URI_FLAGS, NULL);
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0' ||
      (g_strcmp0 (g_uri_get_scheme (uri), "http") != 0 &&
       g_strcmp0 (g_uri_get_scheme (uri), "https") != 0))
    {
      g_clear_pointer (&uri, g_uri_unref);
      return NULL;
    }
  c = g_new0 (RwHttpUriCache, 1);
  c->url = g_strdup (url);
  c->uri = g_uri_ref (uri);
  g_private_replace (&uri_cache, c);
  return uri;
}

/* A request, or NULL with an error when the URL is not an http or https one. */
RwHttpRequest *
_rw_http_request_new (const char  *method,
                      const char  *url,
                      GError     **error)
{
  GUri *uri = http_parse_url (url);
  RwHttpRequest *r;

  if (uri == NULL)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "not a valid URL: %s", url);
      return NULL;
    }
  r = g_new0 (RwHttpRequest, 1);
  r->method = g_strdup (method);
  r->uri = uri;
  r->headers = g_ptr_array_new ();
  return r;
}

/* Sets a header, replacing one of the same name. */
void
_rw_http_request_set_header (RwHttpRequest *r,
                             const char    *name,
                             const char    *value)
{
  for (guint i = 0; i < r->headers->len; i += 2)
    if (g_ascii_strcasecmp (r->headers->pdata[i], name) == 0)
      {
        char *old = r->headers->pdata[i + 1];
        memset (old, 0, strlen (old));
        g_free (old);
        r->headers->pdata[i + 1] = g_strdup (value);
        return;
      }
  g_ptr_array_add (r->headers, g_strdup (name));
  g_ptr_array_add (r->headers, g_strdup (value));
}

void
_rw_http_request_set_body (RwHttpRequest *r,
                           const char    *content_type,
                           GBytes        *body)
{
  g_free (r->content_type);
  r->content_type = g_strdup (content_type);
  g_clear_pointer (&r->body, g_bytes_unref);
  r->body = g_bytes_ref (body);
}

void
_rw_http_request_free (RwHttpRequest *r)
{
  if (r == NULL)
    return;
  /* Header values carry keys: they do not outlive the request in freed memory. */
  for (guint i = 0; i < r->headers->len; i++)
    {
      char *v = r->headers->pdata[i];
      memset (v, 0, strlen (v));
      g_free (v);
    }
  g_ptr_array_unref (r->headers);
  g_uri_unref (r->uri);
  g_free (r->method);
  g_free (r->content_type);
  g_clear_pointer (&r->body, g_bytes_unref);
  g_free (r);
}

/* The same request for libsoup. */
SoupMessage *
_rw_http_request_to_soup (RwHttpRequest *r)
{
  SoupMessage *msg = soup_message_new_from_uri (r->method, r->uri);
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);

  /* The request carries a key: it goes where it was addressed, or nowhere. */
  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);

  for (guint i = 0; i < r->headers->len; i += 2)
    soup_message_headers_replace (headers, r->headers->pdata[i], r->headers->pdata[i + 1]);
  if (r->body != NULL)
    soup_message_set_request_body_from_bytes (msg, r->content_type, r->body);
  return msg;
}

/* A POST with a JSON body, or NULL with an error when the URL is not valid. */
RwHttpRequest *
_rw_http_new_json_post (const char   *url,
                        JsonBuilder  *body,
                        gboolean      stream,
                        GError      **error)
{
  g_autoptr(JsonNode) root = json_builder_get_root (body);
  g_autofree char *text = rw_json_to_string (root, FALSE);
  g_autoptr(GBytes) bytes = NULL;
  RwHttpRequest *r = _rw_http_request_new ("POST", url, error);
  gsize len = strlen (text);

  if (r == NULL)
    return NULL;
  bytes = g_bytes_new_take (g_steal_pointer (&text), len);
  _rw_http_request_set_body (r, "application/json", bytes);
  _rw_http_request_set_header (r, "Accept",
                               stream ? "text/event-stream, application/x-ndjson, application/json"
                                      : "application/json");
  return r;
}
