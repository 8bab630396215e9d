/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "rw-error.h"
#include "rw-json.h"
#include "rw-recorded-provider.h"
#include "rw-text.h"

/**
 * RwRecordedProvider:
 *
 * Answers a known prompt with a real model's recorded answer, streamed over the answer's
 * recorded duration. The bundled recordings are the LLMFAO set (Dmitry Ustalov, CC BY 4.0):
 * 19 prompts answered by up to 70 models, with each answer's measured duration (the data
 * records only the total duration, so the text is spread evenly over it); and RouteLLM's
 * GSM8K answers of gpt-4-1106-preview and Mixtral-8x7B-Instruct to the 1,319 test questions,
 * which have no recorded duration and stream at a nominal 40 tokens per second.
 *
 * Model names are the last part of the recorded API id, lower case ("gpt-4", "claude-v1",
 * "llama-2-70b-chat"). The "speed" setting scales time: 1 is the recorded pace, 10 is ten
 * times faster, 0 answers at once.
 */
struct _RwRecordedProvider
{
  RwProvider parent_instance;

  double speed;
};

G_DEFINE_FINAL_TYPE (RwRecordedProvider, rw_recorded_provider, RW_TYPE_PROVIDER)

#define RESOURCE_DIR "/io/github/routewise/engine/recorded/"

typedef struct
{
  char *text;
  double duration_ms;
} Answer;

typedef struct
{
  GHashTable *prompt_ids;   /* normalized text -> prompt id (GINT_TO_POINTER) */
  GHashTable *answers;      /* "slug\nprompt id" -> Answer */
} Recordings;

/* RouteLLM's GSM8K file: its models' columns, their slugs and names. */
static const struct { const char *column; const char *slug; const char *name; } gsm8k_models[] = {
  { "mistralai/Mixtral-8x7B-Instruct-v0.1", "mixtral-8x7b-instruct-v0.1", "Mixtral 8x7B Instruct" },
  { "gpt-4-1106-preview", "gpt-4-1106-preview", "GPT-4 Turbo (1106)" },
};

static void
recorded_answer_free (gpointer data)
{
  Answer *a = data;
  g_free (a->text);
  g_free (a);
}

static char *
recorded_slug_for_api_id (const char *api_id)
{
  const char *last = strrchr (api_id, '/');
  g_autofree char *lower = g_ascii_strdown (last ? last + 1 : api_id, -1);
  GString *s = g_string_new (NULL);

  for (const char *p = lower; *p; p++)
    {
      if (g_ascii_isalnum (*p) || *p == '.' || *p == '-')
        g_string_append_c (s, *p);
      else if (s->len > 0 && s->str[s->len - 1] != '-')
        g_string_append_c (s, '-');
    }
  while (s->len > 0 && s->str[s->len - 1] == '-')
    g_string_truncate (s, s->len - 1);
  return g_string_free (s, FALSE);
}

static void
recorded_each_json_line (const char     *resource,
                         RwJsonLineFunc  func,
                         gpointer        data)
{
  g_autoptr(GBytes) bytes = g_resources_lookup_data (resource, 0, NULL);

  if (bytes == NULL)
    {
      g_critical ("Missing resource %s", resource);
      return;
    }
  rw_jsonl_foreach (bytes, func, data);
}

static void
recorded_add_prompt (JsonObject *obj,
                     guint       line,
                     gpointer    data)
{
  Recordings *rec = data;
  const char *text = rw_json_object_get_string (obj, "text", NULL);

  if (text != NULL)
    g_hash_table_insert (rec->prompt_ids, rw_text_normalize_space (text),
                         GINT_TO_POINTER (rw_json_object_get_int (obj, "id", 0)));
}

static void
recorded_add_model (JsonObject *obj,
                    guint       line,
                    gpointer    data)
{
  GHashTable *names = data;
  const char *api_id = rw_json_object_get_string (obj, "api_id", NULL);
  const char *name = rw_json_object_get_string (obj, "name", NULL);

  if (api_id != NULL && name != NULL)
    g_hash_table_insert (names, recorded_slug_for_api_id (api_id), g_strdup (name));
}

static void
recorded_add_result (JsonObject *obj,
                     guint       line,
                     gpointer    data)
{
  Recordings *rec = data;
  const char *api_id = rw_json_object_get_string (obj, "api_id", NULL);
  const char *text = rw_json_object_get_string (obj, "result", NULL);
  gint64 prompt = rw_json_object_get_int (obj, "prompt", -1);
  Answer *a;

  if (api_id == NULL || text == NULL || prompt < 0)
    return;
  a = g_new0 (Answer, 1);
  a->text = g_strdup (text);
  a->duration_ms = rw_json_object_get_double (obj, "duration", 1000.0);
  {
    g_autofree char *slug = recorded_slug_for_api_id (api_id);
    g_hash_table_insert (rec->answers,
                         g_strdup_printf ("%s\n%" G_GINT64_FORMAT, slug, prompt), a);
  }
}

/* Answers with no recorded duration are paced at a nominal 40 tokens per second. */
#define NOMINAL_TOKENS_PER_SECOND 40.0

/* RouteLLM's GSM8K file: the question, then each model's correctness and its full answer. */
static void
recorded_add_gsm8k (Recordings *rec)
{
  g_autoptr(GBytes) bytes = g_resources_lookup_data (RESOURCE_DIR "gsm8k_responses.csv", 0, NULL);
  g_autoptr(GPtrArray) header = NULL;
  const char *data;
  gsize len, pos = 0;
  guint line = 0, row_no = 0;
  gint answer_col[G_N_ELEMENTS (gsm8k_models)];
  GPtrArray *row;

  if (bytes == NULL)
    return;
  data = g_bytes_get_data (bytes, &len);
  header = rw_csv_read_record (data, len, &pos, &line, NULL);
  for (guint m = 0; m < G_N_ELEMENTS (gsm8k_models); m++)
    {
      g_autofree char *col = g_strconcat (gsm8k_models[m].column, "_response", NULL);
      answer_col[m] = -1;
      for (guint c = 0; header && c < header->len; c++)
        if (g_str_equal (header->pdata[c], col))
          answer_col[m] = c;
    }

  while ((row = rw_csv_read_record (data, len, &pos, &line, NULL)) != NULL)
    {
      /* Prompt ids of this set are negative, apart from LLMFAO's. */
      gint id = -1 - (gint) row_no++;

      if (row->len > 0)
        g_hash_table_insert (rec->prompt_ids, rw_text_normalize_space (row->pdata[0]),
                             GINT_TO_POINTER (id));
      for (guint m = 0; m < G_N_ELEMENTS (gsm8k_models); m++)
        if (answer_col[m] >= 0 && (guint) answer_col[m] < row->len)
          {
            Answer *a = g_new0 (Answer, 1);
            a->text = g_strdup (row->pdata[answer_col[m]]);
            a->duration_ms = 1000.0 * rw_estimate_tokens (a->text) / NOMINAL_TOKENS_PER_SECOND;
            g_hash_table_insert (rec->answers, g_strdup_printf ("%s\n%d", gsm8k_models[m].slug, id),
                                 a);
          }
      g_ptr_array_unref (row);
    }
}

/* The recorded answers, read the first time one is asked for (listing the models does not). */
static Recordings *
recorded_get_recordings (void)
{
  static gsize once;
  static Recordings *rec;

  if (g_once_init_enter (&once))
    {
      rec = g_new0 (Recordings, 1);
      rec->prompt_ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      rec->answers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, recorded_answer_free);
      recorded_each_json_line (RESOURCE_DIR "prompts.jsonl", recorded_add_prompt, rec);
      recorded_each_json_line (RESOURCE_DIR "results.jsonl", recorded_add_result, rec);
      recorded_add_gsm8k (rec);
      g_once_init_leave (&once, 1);
    }
  return rec;
}

/* The recorded models (RwModel, provider id "recorded"), sorted by name. */
static GPtrArray *
recorded_get_models (void)
{
  static gsize once;
  static GPtrArray *models;

  if (g_once_init_enter (&once))
    {
      g_autoptr(GHashTable) names = g_hash_table_new_full (g_str_hash, g_str_equal,
                                                           g_free, g_free);
      g_autoptr(GList) slugs = NULL;

      models = g_ptr_array_new_with_free_func (g_object_unref);
      recorded_each_json_line (RESOURCE_DIR "models.jsonl", recorded_add_model, names);
      for (guint m = 0; m < G_N_ELEMENTS (gsm8k_models); m++)
        g_hash_table_insert (names, g_strdup (gsm8k_models[m].slug),
                             g_strdup (gsm8k_models[m].name));

      slugs = g_list_sort (g_hash_table_get_keys (names), (GCompareFunc) g_strcmp0);
      for (GList *l = slugs; l; l = l->next)
        {
          g_autofree char *id = g_strdup_printf ("recorded/%s", (char *) l->data);
          g_autofree char *display = g_strdup_printf ("%s (recorded)",
                                                      (char *) g_hash_table_lookup (names,
                                                                                    l->data));
          RwModel *model = rw_model_new (id, "recorded", l->data);

          rw_model_set_display_name (model, display);
          g_ptr_array_add (models, model);
        }
      g_once_init_leave (&once, 1);
    }
  return models;
}

/**
 * rw_recorded_provider_lookup:
 * @self: a #RwRecordedProvider
 * @model_name: the recorded model's name, such as "gpt-4"
 * @prompt: the prompt
 * @duration_ms: (out) (optional): the recorded duration
 *
 * Returns: (transfer full) (nullable): the recorded answer, or %NULL when there is none
 */
char *
rw_recorded_provider_lookup (RwRecordedProvider *self,
                             const char         *model_name,
                             const char         *prompt,
                             double             *duration_ms)
{
  Recordings *rec = recorded_get_recordings ();
  g_autofree char *norm = rw_text_normalize_space (prompt);
  g_autofree char *key = NULL;
  gpointer id;
  Answer *a;

  if (!g_hash_table_lookup_extended (rec->prompt_ids, norm, NULL, &id))
    return NULL;
  key = g_strdup_printf ("%s\n%d", model_name, GPOINTER_TO_INT (id));
  a = g_hash_table_lookup (rec->answers, key);
  if (a == NULL)
    return NULL;
  if (duration_ms != NULL)
    *duration_ms = a->duration_ms;
  return g_strdup (a->text);
}

typedef struct
{
  RwProviderCall *call;
  char *text;
  GPtrArray *pieces;   /* offsets into text */
  guint next;
  guint interval_ms;
  GSource *timer;
  GCancellable *cancellable;
  gulong cancel_id;
} Replay;

static void
recorded_replay_free (Replay *r)
{
  if (r->timer)
    {
      g_source_destroy (r->timer);
      g_source_unref (r->timer);
    }
  if (r->cancel_id)
    g_cancellable_disconnect (r->cancellable, r->cancel_id);
  g_clear_object (&r->cancellable);
  g_clear_pointer (&r->pieces, g_ptr_array_unref);
  g_free (r->text);
  g_free (r);
}

/* Split into token-sized pieces: a word with its trailing space, long words in four-byte
 * chunks cut on character boundaries. */
static GPtrArray *
recorded_split_pieces (const char *text)
{
  GPtrArray *offsets = g_ptr_array_new ();
  const char *p = text;

  while (*p)
    {
      const char *start = p;
      const char *q = p;

      while (*q && !g_ascii_isspace (*q) && (gsize) (q - start) < 4)
        q = g_utf8_next_char (q);
      if ((gsize) (q - start) >= 4 && *q && !g_ascii_isspace (*q))
        {
          g_ptr_array_add (offsets, GSIZE_TO_POINTER (start - text));
          p = q;
          continue;
        }
      while (*q && !g_ascii_isspace (*q))
        q = g_utf8_next_char (q);
      while (*q && g_ascii_isspace (*q))
        q++;
      g_ptr_array_add (offsets, GSIZE_TO_POINTER (start - text));
      p = q;
    }
  g_ptr_array_add (offsets, GSIZE_TO_POINTER (p - text));
  return offsets;
}

static gboolean
recorded_replay_tick (gpointer data)
{
  GTask *task = data;
  Replay *r = g_task_get_task_data (task);
  gsize from, to;

  if (r->next + 1 >= r->pieces->len)
    {
      RwChatResult *result = rw_provider_call_get_result (r->call);

      g_free (result->finish_reason);
      result->finish_reason = g_strdup ("stop");
      g_clear_pointer (&r->timer, g_source_unref);
      g_task_return_boolean (task, TRUE);
      return G_SOURCE_REMOVE;
    }

  from = GPOINTER_TO_SIZE (r->pieces->pdata[r->next]);
  r->next++;
  /* Without a pace, everything goes in one delta. */
  to = r->interval_ms == 0 ? GPOINTER_TO_SIZE (r->pieces->pdata[r->pieces->len - 1])
                           : GPOINTER_TO_SIZE (r->pieces->pdata[r->next]);
  if (r->interval_ms == 0)
    r->next = r->pieces->len - 1;
  rw_provider_call_emit_delta (r->call, r->text + from, to - from);
  return G_SOURCE_CONTINUE;
}

static gboolean
recorded_replay_cancelled_idle (gpointer data)
{
  GTask *task = data;
  Replay *r = g_task_get_task_data (task);

  if (!g_task_get_completed (task) && r->timer != NULL)
    {
      g_source_destroy (r->timer);
      g_clear_pointer (&r->timer, g_source_unref);
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "cancelled");
    }
  return G_SOURCE_REMOVE;
}

static void
recorded_replay_cancelled (GCancellable *cancellable,
                           gpointer      data)
{
  GTask *task = data;
  GSource *idle = g_idle_source_new ();

  /* Cancellation may come from any thread; finish on the task's context. */
  g_source_set_callback (idle, recorded_replay_cancelled_idle, g_object_ref (task), g_object_unref);
  g_source_attach (idle, g_task_get_context (task));
  g_source_unref (idle);
}

static void
rw_recorded_provider_chat_async (RwProvider          *provider,
                                 RwProviderCall      *call,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  RwRecordedProvider *self = RW_RECORDED_PROVIDER (provider);
  RwChatRequest *request = rw_provider_call_get_request (call);
  RwModel *model = rw_provider_call_get_model (call);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  const char *prompt = rw_chat_request_get_last_user_text (request);
  double duration_ms = 0;
  g_autofree char *text = NULL;
  Replay *r;
  guint n;

  g_task_set_source_tag (task, rw_recorded_provider_chat_async);

  text = prompt ? rw_recorded_provider_lookup (self, rw_model_get_upstream_name (model), prompt,
                                               &duration_ms)
                : NULL;
  if (text == NULL)
    {
      rw_provider_call_headers_received (call, 404);
      g_task_return_new_error (task, RW_ERROR, RW_ERROR_UNSUPPORTED,
                               "%s is a recording with no recorded answer to this prompt: "
                               "it answers the sample prompts only",
                               rw_model_get_id (model));
      return;
    }
  rw_provider_call_headers_received (call, 200);

  r = g_new0 (Replay, 1);
  r->call = call;
  r->text = g_steal_pointer (&text);
  r->pieces = recorded_split_pieces (r->text);
  n = MAX (1, r->pieces->len - 1);
  if (self->speed > 0)
    r->interval_ms = (guint) MAX (1.0, duration_ms / self->speed / n);
  g_task_set_task_data (task, r, (GDestroyNotify) recorded_replay_free);

  if (!request->stream && r->interval_ms > 0)
    {
      /* Not streamed: the whole answer arrives after the whole duration. */
      r->interval_ms = (guint) MAX (1.0, duration_ms / self->speed);
      if (r->pieces->len > 2)
        g_ptr_array_remove_range (r->pieces, 1, r->pieces->len - 2);
    }

  r->timer = g_timeout_source_new (r->interval_ms);
  g_source_set_callback (r->timer, recorded_replay_tick, g_object_ref (task), g_object_unref);
  g_source_set_static_name (r->timer, "[routewise] recorded replay");
  g_source_attach (r->timer, g_task_get_context (task));

  if (cancellable != NULL)
    {
      r->cancellable = g_object_ref (cancellable);
      r->cancel_id = g_cancellable_connect (cancellable, G_CALLBACK (recorded_replay_cancelled),
                                            task, NULL);
    }
}

static gboolean
rw_recorded_provider_chat_finish (RwProvider    *provider,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
rw_recorded_provider_list_models_async (RwProvider          *provider,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (provider, cancellable, callback, user_data);
  GPtrArray *recorded = recorded_get_models ();
  GPtrArray *models = g_ptr_array_new_with_free_func (g_object_unref);
  const char *id = rw_provider_get_id (provider);

  for (guint i = 0; i < recorded->len; i++)
    {
      RwModel *m = recorded->pdata[i];
      g_autofree char *model_id = g_strdup_printf ("%s/%s", id, rw_model_get_upstream_name (m));
      RwModel *copy = rw_model_new (model_id, id, rw_model_get_upstream_name (m));

      rw_model_set_display_name (copy, rw_model_get_display_name (m));
      g_ptr_array_add (models, copy);
    }
  g_task_set_source_tag (task, rw_recorded_provider_list_models_async);
  g_task_return_pointer (task, models, (GDestroyNotify) g_ptr_array_unref);
}

static gboolean
rw_recorded_provider_configure (RwProvider  *provider,
                                JsonObject  *config,
                                GError     **error)
{
  RwRecordedProvider *self = RW_RECORDED_PROVIDER (provider);
  JsonNode *speed = json_object_get_member (config, "speed");

  if (speed != NULL)
    {
      if (!JSON_NODE_HOLDS_VALUE (speed) ||
          (json_node_get_value_type (speed) != G_TYPE_DOUBLE &&
           json_node_get_value_type (speed) != G_TYPE_INT64) ||
          json_node_get_double (speed) < 0)
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG,
                       "“speed” must be a number, 0 or more (1 is the recorded pace)");
          return FALSE;
        }
      self->speed = json_node_get_double (speed);
    }
  return TRUE;
}

/* What of a request this protocol translates: its extra fields, message members and content
 * parts; anything else is refused. */
static const char * const recorded_fields[] = { NULL };
static const char * const recorded_members[] = { NULL };
static const char * const recorded_parts[] = { "text", NULL };

static const char * const recorded_config_members[] = { "speed", NULL };

static void
rw_recorded_provider_class_init (RwRecordedProviderClass *klass)
{
  RwProviderClass *provider_class = RW_PROVIDER_CLASS (klass);

  provider_class->kind = "recorded";
  provider_class->config_members = recorded_config_members;
  provider_class->carried_fields = recorded_fields;
  provider_class->carried_members = recorded_members;
  provider_class->carried_parts = recorded_parts;
  provider_class->configure = rw_recorded_provider_configure;
  provider_class->chat_async = rw_recorded_provider_chat_async;
  provider_class->chat_finish = rw_recorded_provider_chat_finish;
  provider_class->list_models_async = rw_recorded_provider_list_models_async;
}

static void
rw_recorded_provider_init (RwRecordedProvider *self)
{
  self->speed = 1.0;
}

RwProvider *
rw_recorded_provider_new (const char *id)
{
  return g_object_new (RW_TYPE_RECORDED_PROVIDER, "id", id, NULL);
}

void
rw_recorded_provider_set_speed (RwRecordedProvider *self,
                                double              speed)
{
  g_return_if_fail (RW_IS_RECORDED_PROVIDER (self));
  self->speed = MAX (0.0, speed);
}

double
rw_recorded_provider_get_speed (RwRecordedProvider *self)
{
  g_return_val_if_fail (RW_IS_RECORDED_PROVIDER (self), 1.0);
  return self->speed;
}
