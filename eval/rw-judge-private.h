/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "rw-judge.h"

G_BEGIN_DECLS

/* What the judge's files share: a question to the judge model. */
void _rw_judge_ask (RwJudge             *self,
                    const char          *system,
                    const char          *user,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data);

G_END_DECLS
