/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/*
 * A strict JSON reader (RFC 8259) that builds the same json-glib tree as JsonParser, several
 * times faster: requests to the endpoint and upstream replies are read on the hot path.
 * Nesting is bounded, strings must be valid UTF-8, and every malformed input is an error that
 * names its line and column.
 */

#define RW_JSON_MAX_DEPTH 512
/* The message of the error for a document that is empty or only white space. */
#define RW_JSON_EMPTY "the document is empty"

JsonNode   *rw_json_parse        (const char  *text,
                                  gsize        len,
                                  GError     **error);
JsonObject *rw_json_parse_object (const char  *text,
                                  gsize        len,
                                  GError     **error);

void        rw_json_append_string (GString    *out,
                                   const char *text);

G_END_DECLS
