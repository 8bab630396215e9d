/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "rw-promptfoo.h"

G_BEGIN_DECLS

/* What the configuration importer's files (rw-promptfoo*.c) and the result importer
 * (rw-promptfoo-results.c) share. */
JsonObject *_rw_promptfoo_object_member (JsonObject *obj,
                                         const char *name);

/* A prompt of the configuration: exactly one of its forms is set. */
typedef struct
{
  char *text;          /* a template */
  JsonNode *messages;  /* or a chat of templates */
  char *chat_template; /* or a chat file that is a template as a whole ({% for %} in it) */
  gboolean chat_yaml;  /* which is YAML, else JSON */
  char *function;      /* or a prompt function's file (rw-promptfoo-function.c) */
  char *function_name; /* and its name in the file, or NULL */
} Prompt;

/* Files a configuration names, in rw-promptfoo-files.c */
char       *_rw_promptfoo_file_path     (const char  *base_dir,
                                         const char  *ref,
                                         const char  *origin,
                                         GError     **error);
char       *_rw_promptfoo_read_text     (const char  *path,
                                         const char  *origin,
                                         gsize       *length,
                                         GError     **error);
gboolean    _rw_promptfoo_is_data_file  (const char  *path);

/* Prompts, in rw-promptfoo-prompts.c */
void        _rw_promptfoo_prompt_free   (Prompt      *p);
GPtrArray  *_rw_promptfoo_collect_prompts (JsonNode  *prompts,
                                         const char  *base_dir,
                                         const char  *origin,
                                         GError     **error);

/* Vars, in rw-promptfoo-vars.c */
GPtrArray  *_rw_promptfoo_glob          (const char  *base_dir,
                                         const char  *pattern,
                                         GError     **error);
JsonArray  *_rw_promptfoo_expand_tests  (JsonArray   *tests,
                                         const char  *base_dir,
                                         const char  *origin,
                                         GError     **error);

/* Prompt functions, in rw-promptfoo-function.c */
gboolean    _rw_promptfoo_is_function_file (const char *path);
char       *_rw_promptfoo_render        (const char  *template,
                                         JsonObject  *vars);
GError     *_rw_promptfoo_take_render_error (void);
gboolean    _rw_promptfoo_is_chat       (JsonNode    *node);
void        _rw_promptfoo_add_asserts   (JsonArray   *graders,
                                         JsonArray   *skipped,
                                         JsonObject  *test,
                                         const char  *base_dir,
                                         JsonObject  *vars,
                                         const char  *prompt);
void        _rw_promptfoo_add_transform (JsonBuilder *b,
                                         const char  *code,
                                         const char  *base_dir,
                                         JsonObject  *vars,
                                         const char  *prompt);
JsonNode   *_rw_promptfoo_call_prompt   (const char  *path,
                                         const char  *name,
                                         JsonObject  *vars,
                                         const char  *provider,
                                         const char  *origin,
                                         GError     **error);
G_END_DECLS
