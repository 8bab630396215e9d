/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "rw-grader.h"

G_BEGIN_DECLS

/* The graders that live in files of their own. */

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
