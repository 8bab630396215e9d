/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(RW_ENGINE_INSIDE) && !defined(RW_ENGINE_COMPILATION)
# error "Only <routewise-engine.h> can be included directly."
#endif

#include <glib-object.h>

G_BEGIN_DECLS

typedef struct _RwCatalog      RwCatalog;
typedef struct _RwChatChoice   RwChatChoice;
typedef struct _RwChatDelta    RwChatDelta;
typedef struct _RwChatRequest  RwChatRequest;
typedef struct _RwChatResult   RwChatResult;
typedef struct _RwFanout       RwFanout;
typedef struct _RwModel        RwModel;
typedef struct _RwProvider     RwProvider;
typedef struct _RwStore        RwStore;
typedef struct _RwToolCall     RwToolCall;

/**
 * RwDeltaFunc:
 * @model: the model that produced the piece
 * @delta: the new piece: text, a refusal, part of a tool call or log probabilities
 * @user_data: closure data
 *
 * Called on the caller's main context for each piece of an answer as it arrives.
 */
typedef void (*RwDeltaFunc) (RwModel           *model,
                             const RwChatDelta *delta,
                             gpointer           user_data);

G_END_DECLS
