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

/* A document read into one compact tree: values are numbered from RW_JSON_ROOT, and
 * RW_JSON_NONE stands for a value that is not there, which every accessor accepts. */
typedef struct _RwJsonDoc RwJsonDoc;

#define RW_JSON_ROOT 0
#define RW_JSON_NONE G_MAXUINT32

typedef enum
{
  RW_JSON_MISSING,
  RW_JSON_NULL,
  RW_JSON_FALSE,
  RW_JSON_TRUE,
  RW_JSON_INT,
  RW_JSON_DOUBLE,
  RW_JSON_STRING,
  RW_JSON_ARRAY,
  RW_JSON_OBJECT,
} RwJsonType;

RwJsonDoc  *rw_json_doc_parse    (const char  *text,
                                  gsize        len,
                                  GError     **error);
RwJsonDoc  *rw_json_doc_parse_line (const char *text,
                                  gsize        len,
                                  GError     **error);
void        rw_json_doc_free     (RwJsonDoc   *doc);
RwJsonType  rw_json_doc_type     (RwJsonDoc   *doc,
                                  guint32      v);
guint32     rw_json_doc_member   (RwJsonDoc   *doc,
                                  guint32      v,
                                  const char  *name);
guint32     rw_json_doc_first    (RwJsonDoc   *doc,
                                  guint32      v);
guint32     rw_json_doc_next     (RwJsonDoc   *doc,
                                  guint32      v);
const char *rw_json_doc_name     (RwJsonDoc   *doc,
                                  guint32      v);
guint       rw_json_doc_length   (RwJsonDoc   *doc,
                                  guint32      v);
const char *rw_json_doc_string   (RwJsonDoc   *doc,
                                  guint32      v);
gint64      rw_json_doc_int      (RwJsonDoc   *doc,
                                  guint32      v,
                                  gint64       fallback);
double      rw_json_doc_double   (RwJsonDoc   *doc,
                                  guint32      v,
                                  double       fallback);
gboolean    rw_json_doc_boolean  (RwJsonDoc   *doc,
                                  guint32      v,
                                  gboolean     fallback);
RwJsonDoc  *rw_json_doc_new_from_node (JsonNode *node);
JsonNode   *rw_json_doc_to_node  (RwJsonDoc   *doc,
                                  guint32      v);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (RwJsonDoc, rw_json_doc_free)

JsonNode   *rw_json_parse        (const char  *text,
                                  gsize        len,
                                  GError     **error);
JsonNode   *rw_json_parse_line   (const char  *text,
                                  gsize        len,
                                  GError     **error);

/* An object's member of a given type; @fallback (or NULL) when it is absent, null or of another
 * kind, where json-glib's getters would complain. They read outside data safely. */
const char *rw_json_object_get_string  (JsonObject *object,
                                        const char *name,
                                        const char *fallback);
gint64      rw_json_object_get_int     (JsonObject *object,
                                        const char *name,
                                        gint64      fallback);
double      rw_json_object_get_double  (JsonObject *object,
                                        const char *name,
                                        double      fallback);
gboolean    rw_json_object_get_boolean (JsonObject *object,
                                        const char *name,
                                        gboolean    fallback);
JsonArray  *rw_json_object_get_array   (JsonObject *object,
                                        const char *name);
JsonObject *rw_json_object_get_object  (JsonObject *object,
                                        const char *name);
JsonObject *rw_json_array_get_object   (JsonArray  *array,
                                        guint       index);

void        rw_json_append_string (GString    *out,
                                   const char *text);
void        rw_json_append_int    (GString    *out,
                                   gint64      v);
char       *rw_json_to_string     (JsonNode   *node,
                                   gboolean    pretty);

/* An upstream's JSON, with errors that say what was being read (rw-json-parse.c). */
gboolean    _rw_json_string_member (JsonObject   *obj,
                                    const char   *name,
                                    const char  **out);
RwJsonDoc  *_rw_json_parse_doc     (const char   *text,
                                    gsize         len,
                                    const char   *what,
                                    GError      **error);
JsonObject *_rw_json_parse_object  (const char   *text,
                                    gsize         len,
                                    const char   *what,
                                    GError      **error);

G_END_DECLS
