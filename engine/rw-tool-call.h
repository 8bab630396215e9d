/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_ENGINE_INSIDE) && !defined(RW_ENGINE_COMPILATION)
# error "Only <routewise-engine.h> can be included directly."
#endif

#include "rw-types.h"

G_BEGIN_DECLS

/**
 * RwToolCall:
 * @id: (nullable): the call's id, which the tool's answer names
 * @name: (nullable): the function's name
 * @arguments: the function's arguments, a JSON text (built up in pieces while streaming)
 *
 * A model's call of one of the request's tools.
 */
struct _RwToolCall
{
  char *id;
  char *name;
  GString *arguments;
};

RwToolCall *rw_tool_call_new         (void);
void        rw_tool_call_free        (RwToolCall *self);
void        rw_tool_call_append_json (RwToolCall *self,
                                      int         index,
                                      GString    *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RwToolCall, rw_tool_call_free)

G_END_DECLS
