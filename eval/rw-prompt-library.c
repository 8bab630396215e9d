/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <routewise-engine.h>

#include "rw-prompt-library.h"

/**
 * RwPromptLibrary:
 *
 * The prompts shipped with Routewise, each with its task: the prompts of the bundled
 * recordings, so that any of them can be compared side by side with real answers and no
 * network. A prompt typed by the user that matches one of them takes its task.
 */

struct _RwSamplePrompt
{
  GObject parent_instance;
  char *id;
  char *text;
  char *task;
  char *title;
  char *normalized;
};

G_DEFINE_FINAL_TYPE (RwSamplePrompt, rw_sample_prompt, G_TYPE_OBJECT)

static void
rw_sample_prompt_finalize (GObject *object)
{
  RwSamplePrompt *self = (RwSamplePrompt *) object;

  g_free (self->id);
  g_free (self->text);
  g_free (self->task);
  g_free (self->title);
  g_free (self->normalized);
  G_OBJECT_CLASS (rw_sample_prompt_parent_class)->finalize (object);
}

static void
rw_sample_prompt_class_init (RwSamplePromptClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = rw_sample_prompt_finalize;
}

static void
rw_sample_prompt_init (RwSamplePrompt *self)
{
}

const char *
rw_sample_prompt_get_id (RwSamplePrompt *self)
{
  return self->id;
}

const char *
rw_sample_prompt_get_text (RwSamplePrompt *self)
{
  return self->text;
}

const char *
rw_sample_prompt_get_task (RwSamplePrompt *self)
{
  return self->task;
}

/**
 * rw_sample_prompt_get_title:
 * @self: a sample prompt
 *
 * Returns: the prompt's first line, shortened to fit a menu
 */
const char *
rw_sample_prompt_get_title (RwSamplePrompt *self)
{
  return self->title;
}

struct _RwPromptLibrary
{
  GObject parent_instance;
  GListStore *prompts;
};

G_DEFINE_FINAL_TYPE (RwPromptLibrary, rw_prompt_library, G_TYPE_OBJECT)

static void
rw_prompt_library_finalize (GObject *object)
{
  RwPromptLibrary *self = (RwPromptLibrary *) object;

  g_clear_object (&self->prompts);
  G_OBJECT_CLASS (rw_prompt_library_parent_class)->finalize (object);
}

static void
rw_prompt_library_class_init (RwPromptLibraryClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = rw_prompt_library_finalize;
}

static char *
prompt_library_make_title (const char *text)
{
  const char *nl = strchr (text, '\n');
  g_autofree char *line = nl ? g_strndup (text, nl - text) : g_strdup (text);
  glong len = g_utf8_strlen (line, -1);

  if (len > 60)
    {
      g_autofree char *cut = g_utf8_substring (line, 0, 57);
      return g_strconcat (g_strchomp (cut), "…", NULL);
    }
  return g_steal_pointer (&line);
}

static gint
prompt_library_compare_prompts (gconstpointer a,
                                gconstpointer b,
                                gpointer      user_data)
{
  const RwSamplePrompt *pa = a, *pb = b;
  int c = g_strcmp0 (pa->task, pb->task);
  return c ? c : g_strcmp0 (pa->title, pb->title);
}

static void
prompt_library_add_prompt (JsonObject *o,
                           guint       line,
                           gpointer    user_data)
{
  RwPromptLibrary *self = user_data;
  const char *ptext = rw_json_object_get_string (o, "text", NULL);
  const char *slug = rw_json_object_get_string (o, "slug", NULL);
  const char *type = rw_json_object_get_string (o, "type", NULL);
  RwSamplePrompt *p;

  if (ptext == NULL || slug == NULL)
    return;
  p = g_object_new (RW_TYPE_SAMPLE_PROMPT, NULL);
  p->id = g_strdup (slug);
  p->text = g_strdup (ptext);
  p->task = g_strdup (type ? type : "general");
  p->title = prompt_library_make_title (ptext);
  p->normalized = rw_text_normalize_space (ptext);
  g_list_store_insert_sorted (self->prompts, p, prompt_library_compare_prompts, NULL);
  g_object_unref (p);
}

static void
rw_prompt_library_init (RwPromptLibrary *self)
{
  g_autoptr(GBytes) bytes = NULL;

  self->prompts = g_list_store_new (RW_TYPE_SAMPLE_PROMPT);
  bytes = g_resources_lookup_data ("/io/github/routewise/engine/recorded/prompts.jsonl", 0, NULL);
  if (bytes != NULL)
    rw_jsonl_foreach (bytes, prompt_library_add_prompt, self);
}

/**
 * rw_prompt_library_get_default:
 *
 * Returns: (transfer none): the library of bundled prompts
 */
RwPromptLibrary *
rw_prompt_library_get_default (void)
{
  static gsize once;
  static RwPromptLibrary *library;

  if (g_once_init_enter (&once))
    {
      library = g_object_new (RW_TYPE_PROMPT_LIBRARY, NULL);
      g_once_init_leave (&once, 1);
    }
  return library;
}

/**
 * rw_prompt_library_get_prompts:
 * @self: the library
 *
 * Returns: (transfer none): the prompts, by task and title
 */
GListModel *
rw_prompt_library_get_prompts (RwPromptLibrary *self)
{
  return G_LIST_MODEL (self->prompts);
}

/**
 * rw_prompt_library_lookup:
 * @self: the library
 * @id_or_text: a prompt's id ("k8s") or its text
 *
 * Returns: (transfer none) (nullable): the prompt
 */
RwSamplePrompt *
rw_prompt_library_lookup (RwPromptLibrary *self,
                          const char      *id_or_text)
{
  g_autofree char *norm = rw_text_normalize_space (id_or_text);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->prompts));

  for (guint i = 0; i < n; i++)
    {
      RwSamplePrompt *p = g_list_model_get_item (G_LIST_MODEL (self->prompts), i);
      gboolean match = g_str_equal (p->id, id_or_text) || g_str_equal (p->normalized, norm);

      g_object_unref (p);
      if (match)
        return p;
    }
  return NULL;
}

/**
 * rw_prompt_library_task_for:
 * @self: the library
 * @text: a prompt
 *
 * Returns: (nullable): the task of the bundled prompt with this text
 */
const char *
rw_prompt_library_task_for (RwPromptLibrary *self,
                            const char      *text)
{
  RwSamplePrompt *p = rw_prompt_library_lookup (self, text);
  return p ? p->task : NULL;
}
