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

/* Parsing an upstream's JSON with errors that say what was being read. */

gboolean
_rw_json_string_member (JsonObject  *obj,
                        const char  *name,
                        const char **out)
{
  JsonNode *node = obj ? json_object_get_member (obj, name) : NULL;

  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
      json_node_get_value_type (node) == G_TYPE_STRING)
    {
      *out = json_node_get_string (node);
      return TRUE;
    }
  *out = NULL;
  return FALSE;
}

/* An upstream's JSON object, or NULL with an error that says which part of the reply it was. */
RwJsonDoc *
_rw_json_parse_doc (const char  *text,
                    gsize        len,
                    const char  *what,
                    GError     **error)
{
  g_autoptr(GError) local = NULL;
  g_autoptr(RwJsonDoc) doc = rw_json_doc_parse (text, len, &local);

  if (doc == NULL)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_BAD_RESPONSE, "malformed JSON in the %s: %s",
                   what, local->message);
      return NULL;
    }
  if (rw_json_doc_type (doc, RW_JSON_ROOT) != RW_JSON_OBJECT)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_BAD_RESPONSE, "the %s is not a JSON object", what);
      return NULL;
    }
  return g_steal_pointer (&doc);
}

/* The same, as a json-glib object. */
JsonObject *
_rw_json_parse_object (const char  *text,
                       gsize        len,
                       const char  *what,
                       GError     **error)
{
  g_autoptr(RwJsonDoc) doc = _rw_json_parse_doc (text, len, what, error);
  g_autoptr(JsonNode) root = doc ? rw_json_doc_to_node (doc, RW_JSON_ROOT) : NULL;

  return root ? json_object_ref (json_node_get_object (root)) : NULL;
}
