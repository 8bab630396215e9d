/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#define RW_ENGINE_INSIDE

#include "rw-types.h"
#include "rw-error.h"
#include "rw-json.h"
#include "rw-file.h"
#include "rw-text.h"
#include "rw-model.h"
#include "rw-chat-delta.h"
#include "rw-tool-call.h"
#include "rw-chat-choice.h"
#include "rw-chat-request.h"
#include "rw-chat-result.h"
#include "rw-sse-parser.h"
#include "rw-provider.h"
#include "rw-openai-provider.h"
#include "rw-anthropic-provider.h"
#include "rw-gemini-provider.h"
#include "rw-ollama-provider.h"
#include "rw-recorded-provider.h"
#include "rw-catalog.h"
#include "rw-paths.h"
#include "rw-providers-file.h"
#include "rw-fanout.h"
#include "rw-prompt-router.h"
#include "rw-text-classifier.h"
#include "rw-policy.h"
#include "rw-router.h"
#include "rw-server.h"
#include "rw-keyring.h"
#include "rw-store.h"

#undef RW_ENGINE_INSIDE
