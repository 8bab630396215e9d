/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <routewise-engine.h>

#define RW_EVAL_INSIDE

#include "rw-prompt-library.h"
#include "rw-suite.h"
#include "rw-suite-format.h"
#include "rw-grader.h"
#include "rw-judge.h"
#include "rw-eval-runner.h"
#include "rw-eval-report.h"
#include "rw-promptfoo.h"
#include "rw-yaml.h"
#include "rw-template.h"
#include "rw-ratings.h"
#include "rw-outcome.h"
#include "rw-routellm-import.h"
#include "rw-outcomes-import.h"
#include "rw-learner.h"
#include "rw-offline-evaluation.h"
#include "rw-exporter.h"
#include "rw-history-export.h"
#include "rw-usage-stats.h"

#undef RW_EVAL_INSIDE
