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
void _rw_judge_ask_next (GTask               *task,
                         const char          *system,
                         const char          *user,
                         GAsyncReadyCallback  callback);

/* One grade the judge is making, the data of its GTask: rw-judge-graded.c starts it, and the
 * types graded in several steps go on in the files that hold them. */
typedef struct
{
  JsonObject *spec;
  char *question;           /* the prompt the answer answers */
  char *answer;
  double score;
  gboolean pass;
  gboolean malformed;       /* a failing grade for a reply out of form, which "not" keeps */
  char *detail;
  guint step;
  double sum;               /* of the scores of the steps so far */
  GPtrArray *texts;         /* what the steps so far gave (criteria, statements) */
  GString *reasons;         /* the judge's reasons so far */
} RwJudgeGraded;

gboolean _rw_judge_grade_context (RwJudge *self,
                                  GTask   *task);
gboolean _rw_judge_read_context  (RwJudgeGraded *g,
                                  const char    *reply);
char    *_rw_judge_reply_text    (GObject      *router,
                                  GAsyncResult *res,
                                  GError      **error);

G_END_DECLS
