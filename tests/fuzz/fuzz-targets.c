/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>
#include <glib/gstdio.h>
#include <routewise-eval.h>

#include "rw-http1.h"
#include "rw-provider-private.h"
#include "rw-json.h"
#include "rw-server-private.h"
#include "fuzz-targets.h"

/* Each target takes untrusted bytes from outside the program. */

static gboolean
count_event (const char  *event,
             const char  *data,
             gsize        data_len,
             gpointer     user_data,
             GError     **error)
{
  (*(guint *) user_data)++;
  return TRUE;
}

int
rw_fuzz_sse (const guint8 *data,
             gsize         size)
{
  guint n = 0;
  RwSseParser *parser = rw_sse_parser_new (count_event, &n);
  gsize pos = 0;

  rw_sse_parser_set_max_size (parser, 4096);
  /* Feed in uneven pieces, as a network would. */
  while (pos < size)
    {
      gsize piece = 1 + (data[pos] % 17);
      piece = MIN (piece, size - pos);
      if (!rw_sse_parser_feed (parser, (const char *) data + pos, piece, NULL))
        break;
      pos += piece;
    }
  rw_sse_parser_has_partial (parser);
  rw_sse_parser_free (parser);
  return 0;
}

int
rw_fuzz_providers (const guint8 *data,
                   gsize         size)
{
  RwCatalog *catalog = rw_catalog_new ();
  GError *error = NULL;

  if (!rw_catalog_load_data (catalog, "fuzz", (const char *) data, size, &error))
    {
      g_assert (error != NULL && error->domain == RW_ERROR);
      g_clear_error (&error);
    }
  g_object_unref (catalog);
  return 0;
}

int
rw_fuzz_error_body (const guint8 *data,
                    gsize         size)
{
  GError *error = rw_error_from_http (size > 0 ? 400 + data[0] % 200 : 500,
                                      (const char *) data, size);
  char *text = g_strndup ((const char *) data, size);
  GError *stream_error = rw_error_from_json_error (0, text);

  g_assert (error != NULL && error->domain == RW_ERROR);
  g_assert (g_utf8_validate (error->message, -1, NULL) || size > 0);
  g_clear_error (&error);
  g_clear_error (&stream_error);
  g_free (text);
  return 0;
}

int
rw_fuzz_messages (const guint8 *data,
                  gsize         size)
{
  g_autoptr(JsonNode) root = rw_json_parse ((const char *) data, size, NULL);
  RwChatRequest *request = rw_chat_request_new ();

  if (root != NULL)
    {
      GError *error = NULL;
      if (rw_chat_request_set_messages_from_json (request, root, &error))
        {
          char *hash = rw_chat_request_hash_prompt (request);
          g_free (hash);
        }
      g_clear_error (&error);
    }
  rw_chat_request_unref (request);
  return 0;
}

int
rw_fuzz_suite (const guint8 *data,
               gsize         size)
{
  const char *formats[] = { "jsonl", "csv" };

  for (guint i = 0; i < G_N_ELEMENTS (formats); i++)
    {
      GError *error = NULL;
      RwSuite *suite = rw_suite_new_from_data ("fuzz", formats[i], (const char *) data, size, &error);

      if (suite != NULL)
        {
          for (guint j = 0; j < rw_suite_get_n_items (suite); j++)
            {
              GPtrArray *grades = rw_grader_grade_item (rw_suite_get_item (suite, j), "answer 42", NULL,
                                                        NULL);
              if (grades != NULL)
                g_ptr_array_unref (grades);
            }
          g_object_unref (suite);
        }
      else
        {
          g_assert (error != NULL && error->domain == RW_ERROR);
          g_clear_error (&error);
        }
    }
  return 0;
}

int
rw_fuzz_promptfoo (const guint8 *data,
                   gsize         size)
{
  g_autoptr(JsonNode) node = rw_json_parse ((const char *) data, size, NULL);

  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *root = json_node_get_object (node);
      GError *error = NULL;
      char *jsonl = rw_promptfoo_config_to_jsonl (root, NULL, "fuzz", &error);

      if (jsonl != NULL)
        {
          RwSuite *suite = rw_suite_new_from_data ("fuzz", "jsonl", jsonl, strlen (jsonl), NULL);
          g_clear_object (&suite);
        }
      g_clear_error (&error);
      g_free (jsonl);
      rw_promptfoo_is_results (root);
    }
  return 0;
}

int
rw_fuzz_yaml (const guint8 *data,
              gsize         size)
{
  GError *error = NULL;
  JsonNode *root = rw_yaml_parse ((const char *) data, size, "fuzz", &error);

  if (root != NULL)
    {
      g_assert (error == NULL);
      if (JSON_NODE_HOLDS_OBJECT (root) && rw_promptfoo_is_config (json_node_get_object (root)))
        {
          char *jsonl = rw_promptfoo_config_to_jsonl (json_node_get_object (root), NULL, "fuzz", &error);
          g_clear_error (&error);
          g_free (jsonl);
        }
      json_node_unref (root);
    }
  else
    {
      g_assert (error != NULL && error->domain == RW_ERROR);
      g_clear_error (&error);
    }
  return 0;
}

int
rw_fuzz_http1 (const guint8 *data,
               gsize         size)
{
  RwHttp1Head head;
  const char *why = NULL;
  g_autofree char *buf = g_malloc (size + 1);
  gssize n;

  /* As a request, then as a reply; what follows a whole head is decoded as a chunked body in
   * uneven pieces, as a network would deliver it. */
  for (int as_request = 0; as_request < 2; as_request++)
    {
      memcpy (buf, data, size);
      buf[size] = '\0';
      n = as_request ? rw_http1_parse_request (buf, size, &head, &why)
                     : rw_http1_parse_response (buf, size, &head, &why);
      g_assert (n <= (gssize) size);
      if (n > 0)
        {
          RwHttp1Chunked c = { 0 };
          gsize pos = (gsize) n;
          gboolean done = FALSE;

          g_assert (head.n_headers <= RW_HTTP1_MAX_HEADERS);
          for (guint i = 0; i < head.n_headers; i++)
            g_assert (strlen (head.headers[i].name) > 0);
          rw_http1_head_get (&head, "content-length");
          while (pos < size && !done)
            {
              gsize piece = MIN (size - pos, 1 + (gsize) (data[pos] % 13));
              gsize out = 0;
              gssize used = rw_http1_chunked_decode (&c, buf + pos, piece, &out, &done);

              if (used < 0)
                break;
              g_assert ((gsize) used <= piece && out <= (gsize) used);
              pos += (gsize) used;
            }
        }
      else
        g_assert (n == RW_HTTP1_INCOMPLETE || why != NULL);
    }
  return 0;
}

/* Every accessor on every value, which must stay within the document. */
static void
walk_doc (RwJsonDoc *doc,
          guint32    v,
          guint     *visited)
{
  RwJsonType type = rw_json_doc_type (doc, v);
  guint n = 0;

  (*visited)++;
  g_assert (type != RW_JSON_MISSING);
  rw_json_doc_int (doc, v, 0);
  rw_json_doc_double (doc, v, 0);
  rw_json_doc_boolean (doc, v, FALSE);
  if (type == RW_JSON_STRING)
    g_assert (g_utf8_validate (rw_json_doc_string (doc, v), -1, NULL));
  for (guint32 c = rw_json_doc_first (doc, v); c != RW_JSON_NONE; c = rw_json_doc_next (doc, c))
    {
      const char *name = rw_json_doc_name (doc, c);

      g_assert ((name != NULL) == (type == RW_JSON_OBJECT));
      if (name != NULL)
        g_assert (rw_json_doc_member (doc, v, name) != RW_JSON_NONE);
      walk_doc (doc, c, visited);
      n++;
    }
  g_assert_cmpuint (n, ==, rw_json_doc_length (doc, v));
}

int
rw_fuzz_json (const guint8 *data,
              gsize         size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = rw_json_parse ((const char *) data, size, &error);
  g_autoptr(JsonNode) again = NULL;
  g_autofree char *text = NULL;
  g_autofree char *text_again = NULL;

  if (root == NULL)
    {
      g_assert (error != NULL && error->domain == RW_ERROR && error->message[0] != '\0');
      return 0;
    }
  g_assert (error == NULL);
  /* The compact document holds the same values, reached by walking it. */
  {
    g_autoptr(RwJsonDoc) doc = rw_json_doc_parse ((const char *) data, size, &error);
    guint visited = 0;

    g_assert_no_error (error);
    walk_doc (doc, RW_JSON_ROOT, &visited);
    g_assert_cmpuint (visited, >=, 1);
  }
  /* What was read writes out as JSON that reads back to the same tree, compact or not. */
  text = rw_json_to_string (root, FALSE);
  again = rw_json_parse (text, strlen (text), &error);
  g_assert_no_error (error);
  text_again = rw_json_to_string (again, FALSE);
  g_assert_cmpstr (text, ==, text_again);
  g_clear_pointer (&again, json_node_unref);
  g_clear_pointer (&text_again, g_free);
  text_again = rw_json_to_string (root, TRUE);
  again = rw_json_parse (text_again, strlen (text_again), &error);
  g_assert_no_error (error);
  g_clear_pointer (&text_again, g_free);
  text_again = rw_json_to_string (again, FALSE);
  g_assert_cmpstr (text, ==, text_again);
  return 0;
}

/* A request body as the endpoint reads it, twice: as Chat Completions (its messages and extra
 * fields, checked and translated for every protocol, what it needs of a model) and as the
 * Responses API; and its "tool_calls", as a stored answer's are read back. */
int
rw_fuzz_requests (const guint8 *data,
                  gsize         size)
{
  static RwProvider *providers[5];
  static RwModel *model;
  JsonNode *root = rw_json_parse ((const char *) data, size, NULL);
  JsonObject *obj;

  if (model == NULL)
    {
      providers[0] = rw_openai_provider_new ("o", "http://127.0.0.1:9/v1", NULL);
      providers[1] = rw_anthropic_provider_new ("a", "http://127.0.0.1:9/v1", NULL);
      providers[2] = rw_gemini_provider_new ("g", "http://127.0.0.1:9/v1beta", NULL);
      providers[3] = rw_ollama_provider_new ("l", "http://127.0.0.1:9");
      providers[4] = rw_recorded_provider_new ("r");
      model = rw_model_new ("x/m", "x", "m");
    }
  if (root == NULL)
    return 0;
  if (JSON_NODE_HOLDS_OBJECT (root))
    {
      RwChatRequest *request = rw_chat_request_new ();
      JsonObject *extra = json_object_new ();
      GList *names;
      GError *error = NULL;
      char *messages = NULL;
      RwChatRequest *responses;
      RwChatResult *result = rw_chat_result_new ("x/m");
      JsonNode *calls;

      obj = json_node_get_object (root);
      names = json_object_get_members (obj);
      for (GList *l = names; l != NULL; l = l->next)
        if (!g_str_equal (l->data, "messages"))
          json_object_set_member (extra, l->data, json_node_copy (json_object_get_member (obj,
                                                                                         l->data)));
      g_list_free (names);
      if (rw_chat_request_set_messages_from_json (request, json_object_get_member (obj, "messages"),
                                                  &error))
        {
          JsonNode *node = json_node_init_object (json_node_alloc (), extra);
          char *text = rw_json_to_string (node, FALSE);

          rw_chat_request_set_extra (request, text);
          for (guint i = 0; i < G_N_ELEMENTS (providers); i++)
            {
              if (!rw_provider_check_request (providers[i], model, request, &error))
                {
                  g_assert (error != NULL && error->domain == RW_ERROR);
                  g_clear_error (&error);
                }
            }
          (void) rw_chat_request_get_needs (request);
          g_free (rw_chat_request_hash_for_model (request, "x/m"));
          g_free (text);
          json_node_unref (node);
        }
      g_clear_error (&error);
      json_object_unref (extra);

      {
        /* Its "input" as /v1/embeddings counts it. */
        gint64 tokens = -1;
        guint n = _rw_server_embeddings_count_inputs (json_object_get_member (obj, "input"),
                                                      &tokens, &error);

        g_assert ((n == 0) == (error != NULL) && n <= 2048 && tokens >= 0);
        g_clear_error (&error);
      }
      responses = _rw_server_responses_parse (NULL, obj, NULL, &messages, &error);
      g_assert ((responses == NULL) == (error != NULL));
      g_clear_error (&error);
      g_clear_pointer (&responses, rw_chat_request_unref);
      g_free (messages);

      if ((calls = json_object_get_member (obj, "tool_calls")) != NULL)
        {
          char *text = rw_json_to_string (calls, FALSE);

          if (rw_chat_result_set_tool_calls_json (result, text))
            g_free (rw_chat_result_dup_tool_calls_json (result));
          g_free (text);
        }
      rw_chat_result_unref (result);
      rw_chat_request_unref (request);
    }
  json_node_unref (root);
  return 0;
}

/* A policy file: refused with a message, or loaded and able to route any prompt by its rules,
 * its classifier and its prompt router. */
int
rw_fuzz_policy (const guint8 *data,
                gsize         size)
{
  g_autoptr(RwPolicy) policy = rw_policy_new ();
  g_autoptr(GError) error = NULL;
  const char *prompts[] = { "Prove that 2 is prime", "", "café ☕ trivia about capitals" };

  if (!rw_policy_load_data (policy, "fuzz", (const char *) data, size, &error))
    {
      g_assert (error != NULL && error->domain == RW_ERROR);
      return 0;
    }
  for (guint i = 0; i < G_N_ELEMENTS (prompts); i++)
    {
      g_autoptr(RwChatRequest) request = rw_chat_request_new_for_prompt (prompts[i]);
      g_autofree char *task = rw_policy_classify (policy, request);
      g_auto(GStrv) models = rw_policy_route (policy, RW_POLICY_AUTO_MODEL, task, request);

      for (guint k = 0; models[k] != NULL; k++)
        {
          double q, c;
          if (rw_policy_estimate (policy, request, task, models[k], &q, &c))
            g_assert (q >= 0 && q <= 1 && c >= 0);
        }
    }
  return 0;
}

/* An outcomes file (`import outcomes`, `policy evaluate --test`): CSV when it starts with the
 * header's first column, else JSONL; refused with a message naming the line, or every outcome
 * of the form. */
int
rw_fuzz_outcomes (const guint8 *data,
                  gsize         size)
{
  gboolean csv = size >= 4 && memcmp (data, "item", 4) == 0;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) outcomes = rw_outcomes_parse (NULL, csv ? "fuzz.csv" : "fuzz.jsonl",
                                                     (const char *) data, size, &error);

  if (outcomes == NULL)
    {
      g_assert (error != NULL && error->domain == RW_ERROR && error->message[0] != '\0');
      return 0;
    }
  for (guint i = 0; i < outcomes->len; i++)
    {
      RwOutcome *o = outcomes->pdata[i];
      g_assert (o->item[0] != '\0' && o->prompt[0] != '\0' && o->model[0] != '\0');
      g_assert (o->score >= 0 && o->score <= 1);
      g_assert (isnan (o->cost_usd) || o->cost_usd >= 0);
      g_assert (isnan (o->latency_ms) || o->latency_ms >= 0);
    }
  return 0;
}

/* A model's answer, whatever it holds, graded by every grader that runs in the process (the
 * script graders run it in node or python, and are fuzzed through those). */
int
rw_fuzz_answers (const guint8 *data,
                 gsize         size)
{
  static const char * const specs[] = {
    "{\"type\":\"exact\"}", "{\"type\":\"contains\",\"value\":\"42\",\"ignore_case\":true}",
    "{\"type\":\"regex\",\"pattern\":\"(a|b)+c?\\\\d{1,3}\"}", "{\"type\":\"numeric\"}",
    "{\"type\":\"numeric\",\"value\":\"3.5\",\"relative\":true,\"tolerance\":0.1}",
    "{\"type\":\"choice\",\"value\":\"B\"}", "{\"type\":\"json\"}",
    "{\"type\":\"json\",\"schema\":{\"type\":\"object\",\"required\":[\"a\"],\"properties\":"
    "{\"a\":{\"type\":\"array\",\"items\":{\"type\":\"string\",\"maxLength\":3}}},"
    "\"additionalProperties\":false}}",
    "{\"type\":\"tool_call\",\"name\":\"get_weather\",\"arguments\":{\"city\":\"Paris\"}}",
    "{\"type\":\"length\",\"min\":2,\"max\":50,\"unit\":\"words\"}",
    "{\"type\":\"answered\"}", "{\"type\":\"contains_any\",\"values\":[\"a\",\"ü\"]}",
    "{\"type\":\"contains_all\",\"values\":[\"a\",\"b\"],\"not\":true}",
    "{\"type\":\"contains_json\",\"schema\":{\"type\":\"object\",\"required\":[\"a\"]}}",
    "{\"type\":\"sql\"}",
  };
  g_autofree char *answer = g_strndup ((const char *) data, size);
  double number;

  if (!g_utf8_validate (answer, -1, NULL))
    return 0;   /* answers are valid UTF-8 by the time they are graded */
  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    {
      g_autoptr(JsonNode) spec = rw_json_parse (specs[i], strlen (specs[i]), NULL);
      g_autoptr(GError) error = NULL;
      RwGrade *grade;

      g_assert (spec != NULL);
      grade = rw_grader_grade (json_node_get_object (spec), answer, "42", &error);
      if (grade == NULL)
        g_error ("grader %s: %s", specs[i], error ? error->message : "no grade");
      g_assert (grade->score >= 0 && grade->score <= 1);
      rw_grade_free (grade);
    }
  rw_grader_final_number (answer, &number);
  rw_grader_choice_letter (answer);
  /* The judge's reply is a model's answer too: its rating and its verdict. */
  {
    double rating = rw_judge_parse_rating (answer);
    int choice = rw_judge_parse_choice (answer);

    g_assert (isnan (rating) || (rating >= 1 && rating <= 10));
    g_assert (choice == 0 || choice == 'A' || choice == 'B' || choice == 'C');
  }
  /* And the replies of promptfoo's model-graded assertions, as their grades read them. */
  {
    static const char * const judged[] = {
      "{\"type\":\"factuality\"}", "{\"type\":\"closedqa\"}",
      "{\"type\":\"geval\",\"threshold\":0.5}",
      "{\"type\":\"context_relevance\",\"context\":\"Paris is the capital. It is old.\"}",
      "{\"type\":\"context_relevance\",\"context\":\"1. one\\n2) two\\n- three\"}",
      "{\"type\":\"context_recall\",\"threshold\":0.5}",
      "{\"type\":\"context_faithfulness\"}", "{\"type\":\"select_best\"}",
    };

    for (guint i = 0; i < G_N_ELEMENTS (judged); i++)
      for (guint n = 1; n <= 3; n += 2)
        {
          g_autoptr(JsonNode) spec = rw_json_parse (judged[i], strlen (judged[i]), NULL);
          g_autoptr(GError) error = NULL;
          g_autofree char *detail = NULL;
          double score = NAN;
          gboolean pass = FALSE;
          gboolean ok;

          g_assert (spec != NULL);
          ok = rw_judge_read_reply (json_node_get_object (spec), n, answer, &score, &pass,
                                    &detail, &error);
          g_assert (ok == (error == NULL));
          if (ok && i == G_N_ELEMENTS (judged) - 1)
            g_assert (score >= -1 && score < n && pass == (score >= 0));
          else if (ok)
            g_assert (score >= 0 && score <= 1 && detail != NULL);
        }
  }
  return 0;
}

/* CSV as RouteLLM's data, comparisons and outcome files are read: records, then rows of the
 * header's width, each refused with a message naming its line or taken whole. */
int
rw_fuzz_csv (const guint8 *data,
             gsize         size)
{
  const char *text = (const char *) data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) header = NULL;
  gsize pos = 0;
  guint line = 1;

  header = rw_csv_read_record (text, size, &pos, &line, &error);
  if (header == NULL)
    return 0;
  for (guint n = 0; n < 100000; n++)
    {
      guint at = 0;
      g_autoptr(GPtrArray) row = rw_csv_read_row (text, size, &pos, &line, header->len, "fuzz",
                                                  &at, &error);
      if (row == NULL)
        {
          g_assert (error == NULL || (error->domain == RW_ERROR && error->message[0] != '\0'));
          break;
        }
      g_assert (row->len == header->len);
    }
  return 0;
}

/* A promptfoo template (Nunjucks), filled in with vars of every kind: text, or an error that
 * says where, never a crash or a runaway. */
int
rw_fuzz_template (const guint8 *data,
                  gsize         size)
{
  static const char vars_json[] = "{\"name\": \"Ada\", \"n\": 3, \"list\": [\"a\", 2, null, {\"k\": "
                                  "[1]}], \"user\": {\"name\": \"Ada\", \"tags\": []}, \"t\": true}";
  g_autoptr(JsonNode) vars = rw_json_parse (vars_json, strlen (vars_json), NULL);
  g_autofree char *template = g_strndup ((const char *) data, size);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  if (strlen (template) != size || !g_utf8_validate (template, -1, NULL))
    return 0;
  text = rw_template_render (template, json_node_get_object (vars), &error);
  g_assert ((text == NULL) != (error == NULL));
  g_assert (error == NULL || (error->domain == RW_ERROR && error->message[0] != '\0'));
  return 0;
}

static void
replies_done_cb (GObject      *object,
                 GAsyncResult *res,
                 gpointer      data)
{
  *(RwChatResult **) data = rw_provider_chat_finish (RW_PROVIDER (object), res);
}

/* An upstream's reply to a chat, as each provider reads it off the network: a first line
 * "PROTOCOL stream|whole STATUS CONTENT-TYPE PIECE" (openai, anthropic, gemini, ollama; the
 * bytes that arrive at a time), then the body, whatever it holds, played through the provider's
 * own handlers in pieces of that size. An answer, or an error of Routewise's domain; never a
 * crash, and never more kept than the provider's limit on an answer. */
/* The list, kept on the provider, and an error of G_IO_ERROR's domain to say it came. */
static void
models_done_cb (GObject      *object,
                GAsyncResult *res,
                gpointer      user_data)
{
  GError **error = user_data;
  GPtrArray *models = rw_provider_list_models_finish (RW_PROVIDER (object), res, error);

  if (models != NULL)
    {
      g_object_set_data (object, "listed", models);
      *error = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_EXISTS, "listed");
    }
}

/* The pass-through's reply or error, kept on the provider. */
static void
passthrough_done_cb (GObject      *object,
                     GAsyncResult *res,
                     gpointer      user_data)
{
  GError *error = NULL;
  gint64 tokens = 0;
  GBytes *reply = rw_provider_embeddings_finish (RW_PROVIDER (object), res, &tokens, &error);

  g_assert (tokens >= -1);
  g_object_set_data (object, "reply", reply);
  g_object_set_data (object, "error", error);
  *(gboolean *) user_data = TRUE;
}

int
rw_fuzz_replies (const guint8 *data,
                 gsize         size)
{
  static RwCatalog *catalog;
  static const char * const kinds[] = { "openai", "anthropic", "gemini", "ollama" };
  const guint8 *nl = memchr (data, '\n', size);
  g_autofree char *head = g_strndup ((const char *) data, nl ? (gsize) (nl - data) : 0);
  g_auto(GStrv) words = g_strsplit (head, " ", 5);
  g_autoptr(GBytes) body = nl ? g_bytes_new (nl + 1, size - (nl + 1 - data))
                              : g_bytes_new (data, size);
  g_autoptr(RwChatRequest) request = rw_chat_request_new_for_prompt ("Hi");
  g_autofree char *model_id = NULL;
  RwChatResult *result = NULL;
  const char *kind = kinds[size > 0 ? data[0] % 4 : 0];
  guint status = 200;
  gsize piece = 0;
  RwProvider *provider;

  if (catalog == NULL)
    {
      g_autoptr(GString) json = g_string_new ("{\"providers\": [");

      g_setenv ("RW_FUZZ_KEY", "k", TRUE);
      for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
        g_string_append_printf (json, "%s{\"id\": \"%s\", \"kind\": \"%s\", \"base_url\": "
                                "\"http://127.0.0.1:9\", \"api_key_env\": \"RW_FUZZ_KEY\", "
                                "\"max_answer_bytes\": 4096}", i ? ", " : "", kinds[i], kinds[i]);
      g_string_append (json, "], \"models\": [");
      for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
        g_string_append_printf (json, "%s{\"id\": \"%s/m\", \"provider\": \"%s\", \"name\": \"m\"}",
                                i ? ", " : "", kinds[i], kinds[i]);
      g_string_append (json, "]}");
      catalog = rw_catalog_new ();
      g_assert (rw_catalog_load_data (catalog, "fuzz", json->str, -1, NULL));
    }
  /* "embeddings N": an /embeddings reply for N texts, as `similar` reads it. */
  if (words[0] != NULL && g_str_equal (words[0], "embeddings"))
    {
      g_autoptr(GError) error = NULL;
      guint n = words[1] ? (guint) MIN (g_ascii_strtoull (words[1], NULL, 10), 64) : 2;
      gsize len = 0;
      const char *text = g_bytes_get_data (body, &len);
      g_autoptr(GPtrArray) vectors = _rw_embeddings_parse (text, len, n, &error);

      g_assert ((vectors == NULL) == (error != NULL));
      for (guint i = 0; vectors != NULL && i < vectors->len; i++)
        {
          GArray *v = vectors->pdata[i];
          g_assert (v->len == ((GArray *) vectors->pdata[0])->len);
          rw_cosine_similarity (vectors->pdata[0], v);
        }
      return 0;
    }
  /* "passthrough N": an /embeddings reply for N inputs, as the endpoint passes one on. */
  if (words[0] != NULL && g_str_equal (words[0], "passthrough"))
    {
      GError *error = NULL;
      guint n = words[1] ? (guint) CLAMP (g_ascii_strtoull (words[1], NULL, 10), 1, 2048) : 1;
      JsonObject *asked = json_object_new ();
      g_autoptr(RwModel) embedder = rw_model_new ("openai/e", "openai", "e");
      GBytes *reply = NULL;
      gboolean done = FALSE;

      provider = rw_catalog_lookup_provider (catalog, "openai");
      json_object_set_string_member (asked, "input", "x");
      _rw_provider_set_replay (provider, 200, NULL, body, 0);
      rw_provider_embeddings_async (provider, embedder, asked, n, NULL, passthrough_done_cb,
                                    &done);
      while (!done)
        g_main_context_iteration (NULL, TRUE);
      _rw_provider_set_replay (provider, 0, NULL, NULL, 0);
      reply = g_object_steal_data (G_OBJECT (provider), "reply");
      error = g_object_steal_data (G_OBJECT (provider), "error");
      g_assert ((reply == NULL) == (error != NULL));
      g_assert (reply == NULL || g_bytes_equal (reply, body));
      g_clear_pointer (&reply, g_bytes_unref);
      g_clear_error (&error);
      json_object_unref (asked);
      return 0;
    }
  /* "moderation": a /moderations reply, as the moderation grader reads it. */
  if (words[0] != NULL && g_str_equal (words[0], "moderation"))
    {
      g_autoptr(GError) error = NULL;
      gsize len = 0;
      const char *text = g_bytes_get_data (body, &len);
      g_auto(GStrv) flagged = _rw_moderation_parse (text, len, &error);

      g_assert ((flagged == NULL) == (error != NULL));
      g_assert (flagged == NULL || g_strv_length (flagged) <= 256);
      return 0;
    }
  /* "models KIND STATUS": a model list, as the provider's Test and discovery read it. */
  if (words[0] != NULL && g_str_equal (words[0], "models"))
    {
      GError *error = NULL;
      GPtrArray *models = NULL;

      for (guint i = 0; words[1] != NULL && i < G_N_ELEMENTS (kinds); i++)
        if (g_str_equal (words[1], kinds[i]))
          kind = kinds[i];
      if (words[1] != NULL && words[2] != NULL)
        status = CLAMP (g_ascii_strtoull (words[2], NULL, 10), 100, 599);
      provider = rw_catalog_lookup_provider (catalog, kind);
      _rw_provider_set_replay (provider, status, NULL, body, 0);
      rw_provider_list_models_async (provider, NULL, models_done_cb, &error);
      while (error == NULL)
        g_main_context_iteration (NULL, TRUE);
      _rw_provider_set_replay (provider, 0, NULL, NULL, 0);
      models = g_object_steal_data (G_OBJECT (provider), "listed");
      g_assert ((models != NULL) == (error->domain == G_IO_ERROR));
      g_assert (models != NULL || error->domain == RW_ERROR);
      for (guint i = 0; models != NULL && i < models->len; i++)
        g_assert (g_str_has_prefix (rw_model_get_id (models->pdata[i]), kind) &&
                  *rw_model_get_upstream_name (models->pdata[i]) != '\0');
      g_clear_pointer (&models, g_ptr_array_unref);
      g_clear_error (&error);
      return 0;
    }
  if (words[0] != NULL)
    for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
      if (g_str_equal (words[0], kinds[i]))
        kind = kinds[i];
  request->stream = words[0] == NULL || words[1] == NULL || !g_str_equal (words[1], "whole");
  if (words[0] != NULL && words[1] != NULL && words[2] != NULL)
    status = CLAMP (g_ascii_strtoull (words[2], NULL, 10), 100, 599);
  if (words[0] != NULL && words[1] != NULL && words[2] != NULL && words[3] != NULL &&
      words[4] != NULL)
    piece = MIN (g_ascii_strtoull (words[4], NULL, 10), 1 << 20);
  model_id = g_strconcat (kind, "/m", NULL);
  provider = rw_catalog_lookup_provider (catalog, kind);
  _rw_provider_set_replay (provider, status, words[0] && words[1] && words[2] ? words[3] : NULL,
                           body, piece);
  rw_provider_chat_async (provider, rw_catalog_lookup_model (catalog, model_id), request, NULL,
                          NULL, NULL, replies_done_cb, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  _rw_provider_set_replay (provider, 0, NULL, NULL, 0);
  g_assert (result->error == NULL || result->error->domain == RW_ERROR);
  g_assert (result->text->len <= 4096);
  g_assert (result->tokens_in >= -1 && result->tokens_out >= -1);
  g_assert (isnan (result->cost_usd) || result->cost_usd >= 0);
  rw_chat_result_unref (result);
  return 0;
}

/* A promptfoo results file (promptfoo eval -o results.json), imported into a database as
 * `import promptfoo` stores it: refused with a message, or stored with its answers, grades and
 * pairwise outcomes, its run finished. The database is made anew every 256 inputs. */
int
rw_fuzz_promptfoo_results (const guint8 *data,
                           gsize         size)
{
  static char *dir;
  static RwStore *store;
  static guint uses;
  g_autoptr(JsonNode) root = rw_json_parse ((const char *) data, size, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *run_id = NULL;
  guint n = 0;

  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root) ||
      !rw_promptfoo_is_results (json_node_get_object (root)))
    return 0;
  if (store != NULL && ++uses % 256 == 0)
    {
      g_autofree char *path = g_build_filename (dir, "fuzz.db", NULL);

      g_clear_object (&store);
      g_unlink (path);
    }
  if (store == NULL)
    {
      g_autofree char *path = NULL;

      if (dir == NULL)
        dir = g_dir_make_tmp ("routewise-fuzz-XXXXXX", NULL);
      path = g_build_filename (dir, "fuzz.db", NULL);
      store = rw_store_open (path, NULL);
      g_assert (store != NULL);
    }
  run_id = rw_promptfoo_import_results (store, json_node_get_object (root), "fuzz.json", &n, &error);
  g_assert ((run_id == NULL) == (error != NULL));
  g_assert (error == NULL || (error->domain == RW_ERROR && error->message[0] != '\0'));
  if (run_id != NULL)
    {
      g_autoptr(JsonNode) report = rw_eval_report_build (store, run_id, &error);
      g_assert (report != NULL);
    }
  return 0;
}
