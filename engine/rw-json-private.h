/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "rw-json.h"

G_BEGIN_DECLS

/* The compact document, shared by its reader (rw-json.c) and what reads it once it is read
 * (rw-json-doc.c): values in one array, numbered from RW_JSON_ROOT, children chained. */

typedef struct
{
  RwJsonType type;
  guint32 key;            /* an object member's name: offset in strings; else RW_JSON_NONE */
  guint32 next;           /* the next element or member, or RW_JSON_NONE */
  guint32 first;          /* an array's or object's first child, or RW_JSON_NONE */
  guint32 last;           /* its last child while it is read */
  union
  {
    gint64 i;
    double d;
    guint32 s;            /* a string: offset in strings */
  } v;
} Node;

struct _RwJsonDoc
{
  Node *nodes;
  guint32 n_nodes;
  guint32 cap_nodes;
  GString *strings;       /* every string and name, each ending in a NUL */
};

G_END_DECLS
