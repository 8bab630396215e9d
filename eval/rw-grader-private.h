/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "rw-grader.h"

G_BEGIN_DECLS

/* What the files of the grader share: rw-grader.c grades an answer and an item,
 * rw-grader-checks.c holds the deterministic checks, rw-grader-script.c the graders that run
 * code, rw-grader-schema.c the JSON Schema subset. */

RwGrade *_rw_grade_new     (const char  *grader,
                            gboolean     pass,
                            const char  *format,
                            ...) G_GNUC_PRINTF (3, 4);
RwGrade *_rw_grader_check  (JsonObject  *spec,
                            const char  *answer,
                            const char  *reference,
                            GError     **error);

RwGrade *_rw_grader_script (JsonObject  *spec,
                            const char  *type,
                            const char  *answer,
                            const char  *reference,
                            gboolean     ignore_case,
                            GError     **error);
JsonNode *_rw_grader_run_transform (JsonObject  *transform,
                                    const char  *answer,
                                    const char  *tool_calls,
                                    GError     **error);

G_END_DECLS
