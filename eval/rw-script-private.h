/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Code from a configuration, run in a process of its own of the real interpreter. */
typedef enum
{
  RW_SCRIPT_NODE,
  RW_SCRIPT_PYTHON,
} RwScriptLanguage;

JsonNode *_rw_script_call (RwScriptLanguage   language,
                           const char        *body,
                           JsonNode          *input,
                           const char        *what,
                           GError           **error);

G_END_DECLS
