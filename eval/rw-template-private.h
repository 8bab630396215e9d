/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "rw-template.h"

G_BEGIN_DECLS

/* What the template engine's files share: rw-template.c renders a template's text and tags,
 * rw-template-expr.c evaluates the expressions inside them (values, names, filters,
 * arithmetic and comparisons). */

#define MAX_DEPTH 64
#define MAX_OUTPUT (64 << 20)
#define MAX_STEPS 1000000

typedef struct
{
  const char *src;
  const char *p;          /* within the current tag's expression */
  const char *end;        /* the end of that expression */
  GError **error;
  gboolean failed;
} Expr;

typedef struct
{
  const char *src;
  GPtrArray *scopes;      /* JsonObject, innermost last */
  GString *out;
  GError *error;
  guint depth;
  guint64 steps;          /* loop turns so far, against MAX_STEPS */
} Render;

void      _rw_template_fail         (Render      *r,
                                     const char  *where,
                                     const char  *format,
                                     ...) G_GNUC_PRINTF (3, 4);
JsonNode *_rw_template_eval         (Render      *r,
                                     const char  *start,
                                     const char  *end);
gboolean  _rw_template_accept       (Expr        *e,
                                     const char  *token);
char     *_rw_template_name         (Expr        *e);
void      _rw_template_append_value (GString     *out,
                                     JsonNode    *v);
gboolean  _rw_template_truthy       (JsonNode    *v);

G_END_DECLS
