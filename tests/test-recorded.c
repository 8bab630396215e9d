/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <json-glib/json-glib.h>
#include <routewise-eval.h>

#include "rw-test-util.h"

static const char *haiku_prompt = "Argue for and against the use of kubernetes in the style of a haiku.";

static char *
dataset_answer (const char *api_id,
                const char *slug)
{
  g_autofree char *path = g_build_filename (g_getenv ("G_TEST_SRCDIR"), "..", "data", "recorded",
                                            "results.jsonl", NULL);
  g_autofree char *contents = NULL;
  g_auto(GStrv) lines = NULL;

  g_assert_true (g_file_get_contents (path, &contents, NULL, NULL));
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonObject *o;

      if (!*lines[i] || !json_parser_load_from_data (parser, lines[i], -1, NULL))
        continue;
      o = json_node_get_object (json_parser_get_root (parser));
      if (g_str_equal (json_object_get_string_member (o, "api_id"), api_id) &&
          g_str_equal (json_object_get_string_member (o, "slug"), slug))
        return g_strdup (json_object_get_string_member (o, "result"));
    }
  return NULL;
}

/* The recorded provider gives the dataset's answer, word for word, in several deltas. */
static void
test_replays_dataset (void)
{
  g_autoptr(RwProvider) provider = rw_recorded_provider_new ("recorded");
  g_autoptr(RwModel) model = rw_model_new ("recorded/claude-v1", "recorded", "claude-v1");
  g_autoptr(RwChatRequest) request = rw_chat_request_new_for_prompt (haiku_prompt);
  g_autoptr(GString) deltas = g_string_new (NULL);
  g_autoptr(RwChatResult) r = NULL;
  g_autofree char *expected = dataset_answer ("anthropic/claude-v1", "k8s");

  g_assert_nonnull (expected);
  rw_recorded_provider_set_speed (RW_RECORDED_PROVIDER (provider), 50.0);
  r = rw_test_chat_sync (provider, model, request, deltas, NULL);
  g_assert_no_error (r->error);
  g_assert_cmpstr (r->text->str, ==, expected);
  g_assert_cmpstr (deltas->str, ==, expected);
  g_assert_cmpstr (r->finish_reason, ==, "stop");
  g_assert_true (r->usage_estimated);
  g_assert_cmpint (r->tokens_out, >, 5);
  /* Recorded 3,089 ms at 50x is about 62 ms; it is paced, not instant. */
  g_assert_cmpfloat (r->latency_ms, >=, 40);
  g_assert_cmpfloat (r->ttft_ms, <, r->latency_ms);
}

static void
test_whitespace_insensitive (void)
{
  g_autoptr(RwProvider) provider = rw_recorded_provider_new ("recorded");
  g_autofree char *a = rw_recorded_provider_lookup (RW_RECORDED_PROVIDER (provider), "gpt-4",
                                                    haiku_prompt, NULL);
  g_autofree char *b = rw_recorded_provider_lookup (RW_RECORDED_PROVIDER (provider), "gpt-4",
                                                    "  Argue for and against the use of kubernetes\n"
                                                    "in the style of a haiku.  ", NULL);
  g_assert_nonnull (a);
  g_assert_cmpstr (a, ==, b);
}

static void
test_unknown_prompt (void)
{
  g_autoptr(RwProvider) provider = rw_recorded_provider_new ("recorded");
  g_autoptr(RwModel) model = rw_model_new ("recorded/gpt-4", "recorded", "gpt-4");
  g_autoptr(RwChatRequest) request = rw_chat_request_new_for_prompt ("Something never recorded");
  g_autoptr(RwChatResult) r = NULL;

  rw_recorded_provider_set_speed (RW_RECORDED_PROVIDER (provider), 0);
  r = rw_test_chat_sync (provider, model, request, NULL, NULL);
  g_assert_error (r->error, RW_ERROR, RW_ERROR_UNSUPPORTED);
  g_assert_nonnull (strstr (r->error->message, "no recorded answer"));
}

static void
test_prompt_library (void)
{
  RwPromptLibrary *library = rw_prompt_library_get_default ();
  GListModel *prompts = rw_prompt_library_get_prompts (library);
  RwSamplePrompt *p;

  g_assert_cmpuint (g_list_model_get_n_items (prompts), ==, 19);
  p = rw_prompt_library_lookup (library, "k8s");
  g_assert_nonnull (p);
  g_assert_cmpstr (rw_sample_prompt_get_task (p), ==, "reflexion");
  g_assert_cmpstr (rw_prompt_library_task_for (library, haiku_prompt), ==, "reflexion");
  g_assert_null (rw_prompt_library_task_for (library, "unrelated"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/Rw/Recorded/replays-dataset", test_replays_dataset);
  g_test_add_func ("/Rw/Recorded/whitespace-insensitive", test_whitespace_insensitive);
  g_test_add_func ("/Rw/Recorded/unknown-prompt", test_unknown_prompt);
  g_test_add_func ("/Rw/Recorded/prompt-library", test_prompt_library);
  return g_test_run ();
}
