/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <json-glib/json-glib.h>
#include <routewise-engine.h>

#include "rw-mock-upstream.h"
#include "rw-test-fixtures.h"
#include "rw-test-util.h"

/*
 * Real clients written by others check our endpoint: the official `openai` npm package runs
 * completions streamed and not, lists models, fails to authenticate, and falls back, against
 * `RwServer` in front of the mock upstream. tests/conformance/ holds the client script;
 * build-aux/run installs its packages.
 */

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

static void
test_openai_sdk (void)
{
  static const char * const hello[] = { "Hello", ", ", "world", "!", NULL };
  g_autofree char *dir = g_build_filename (g_getenv ("G_TEST_SRCDIR"), "conformance", NULL);
  g_autofree char *sdk = g_build_filename (dir, "node_modules", "openai", "package.json", NULL);
  g_autofree char *script = g_build_filename (dir, "openai-client.mjs", NULL);
  g_autofree char *node_path = g_find_program_in_path ("node");
  g_autoptr(GError) error = NULL;
  g_autoptr(RwTestWorld) world = NULL;
  g_autoptr(RwServer) server = NULL;
  g_autoptr(RwPolicy) policy = rw_policy_new ();
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *base = NULL;
  RwMockUpstream *mock;
  RwRouter *router;
  RwMockReply *breaks;
  JsonArray *results;
  Node node = { 0 };
  const char *good[] = { "mock/good", NULL };
  const char *none[] = { NULL };

  if (node_path == NULL || !g_file_test (sdk, G_FILE_TEST_EXISTS))
    {
      /* build-aux/run installs both; a build without them says so, or fails when told to. */
      if (g_getenv ("ROUTEWISE_REQUIRE_CONFORMANCE") != NULL)
        g_error ("node or the openai package is missing (npm install in %s)", dir);
      g_test_skip ("node or the openai npm package is not installed");
      return;
    }

  world = rw_test_world_new (
    "{\"providers\": [{\"id\": \"mock\", \"kind\": \"openai\", \"base_url\": \"$URL\"}],"
    " \"models\": [{\"id\": \"mock/good\", \"provider\": \"mock\", \"name\": \"good\"},"
    "              {\"id\": \"mock/failing\", \"provider\": \"mock\", \"name\": \"failing\"},"
    "              {\"id\": \"mock/breaks\", \"provider\": \"mock\", \"name\": \"breaks\"}]}",
    FALSE);
  mock = world->mock;
  router = world->router;

  rw_mock_upstream_set_default (mock, "good", rw_mock_reply_new_stream (hello, 11, 5, TRUE));
  rw_mock_upstream_set_default (mock, "failing",
                                rw_mock_reply_new_json (500, "{\"error\":{\"message\":\"down\"}}"));
  breaks = rw_mock_reply_new (200, "text/event-stream",
                              "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n", -1);
  breaks->chunked = TRUE;
  rw_mock_upstream_set_default (mock, "breaks", breaks);

  rw_policy_set_default (policy, none);
  rw_policy_set_fallbacks (policy, "mock/failing", good);
  rw_router_set_policy (router, policy);
  rw_router_set_retries (router, 0, 1, 1);
  server = rw_server_new (router, "rw-conformance-token-0123456789");
  g_assert_true (rw_server_listen (server, 0, &error));
  g_assert_no_error (error);
  base = g_strdup_printf ("http://127.0.0.1:%u/v1", rw_server_get_port (server));

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "RW_BASE_URL", base, TRUE);
  g_subprocess_launcher_setenv (launcher, "RW_TOKEN", "rw-conformance-token-0123456789", TRUE);
  g_subprocess_launcher_set_cwd (launcher, dir);
  proc = g_subprocess_launcher_spawn (launcher, &error, node_path, script, NULL);
  g_assert_no_error (error);
  /* The server runs on this thread's main context: keep it turning while node talks to it. */
  g_subprocess_communicate_utf8_async (proc, NULL, NULL, communicate_cb, &node);
  rw_test_wait_until (&node.done);

  g_test_message ("node stdout: %s\nnode stderr: %s", node.out, node.err);
  g_assert_true (json_parser_load_from_data (parser, node.out, -1, NULL));
  results = json_node_get_array (json_parser_get_root (parser));
  g_assert_cmpuint (json_array_get_length (results), ==, 10);
  for (guint i = 0; i < json_array_get_length (results); i++)
    {
      JsonObject *r = json_array_get_object_element (results, i);
      if (!json_object_get_boolean_member (r, "ok"))
        g_error ("%s: %s", json_object_get_string_member (r, "name"),
                 json_object_get_string_member_with_default (r, "detail", ""));
    }
  g_assert_cmpint (node.status, ==, 0);

  g_free (node.out);
  g_free (node.err);
  g_clear_object (&server);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/Rw/Conformance/openai-sdk", test_openai_sdk);
  return g_test_run ();
}
