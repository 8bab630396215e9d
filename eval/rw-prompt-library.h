/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_EVAL_INSIDE) && !defined(RW_EVAL_COMPILATION)
# error "Only <routewise-eval.h> can be included directly."
#endif

#include <gio/gio.h>

G_BEGIN_DECLS

#define RW_TYPE_SAMPLE_PROMPT (rw_sample_prompt_get_type ())

G_DECLARE_FINAL_TYPE (RwSamplePrompt, rw_sample_prompt, RW, SAMPLE_PROMPT, GObject)

const char *rw_sample_prompt_get_id    (RwSamplePrompt *self);
const char *rw_sample_prompt_get_text  (RwSamplePrompt *self);
const char *rw_sample_prompt_get_task  (RwSamplePrompt *self);
const char *rw_sample_prompt_get_title (RwSamplePrompt *self);

#define RW_TYPE_PROMPT_LIBRARY (rw_prompt_library_get_type ())

G_DECLARE_FINAL_TYPE (RwPromptLibrary, rw_prompt_library, RW, PROMPT_LIBRARY, GObject)

RwPromptLibrary *rw_prompt_library_get_default (void);
GListModel      *rw_prompt_library_get_prompts (RwPromptLibrary *self);
RwSamplePrompt  *rw_prompt_library_lookup      (RwPromptLibrary *self,
                                                const char      *id_or_text);
const char      *rw_prompt_library_task_for    (RwPromptLibrary *self,
                                                const char      *text);

G_END_DECLS
