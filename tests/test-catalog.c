/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>
#include <routewise-engine.h>

#include "rw-mock-upstream.h"
#include "rw-test-util.h"

static const char minimal[] =
  "{\"providers\": [{\"id\": \"local\", \"kind\": \"openai\", \"base_url\": \"http://127.0.0.1:8080/v1\", \"api_key_env\": \"LOCAL_KEY\"}],"
  " \"models\": [{\"id\": \"local/small\", \"provider\": \"local\", \"name\": \"small\", \"input_price\": 0.5, \"output_price\": 1.5}]}";

static void
test_minimal_form (void)
{
  g_autoptr(RwCatalog) catalog = rw_catalog_new ();
  g_autoptr(GError) error = NULL;
  RwModel *model;
  RwProvider *provider;

  g_assert_true (rw_catalog_load_data (catalog, "providers.json", minimal, -1, &error));
  g_assert_no_error (error);
  model = rw_catalog_lookup_model (catalog, "local/small");
  g_assert_nonnull (model);
  g_assert_cmpstr (rw_model_get_upstream_name (model), ==, "small");
  g_assert_cmpfloat (rw_model_get_input_price (model), ==, 0.5);
  g_assert_cmpfloat (rw_model_get_output_price (model), ==, 1.5);
  g_assert_cmpfloat_with_epsilon (rw_model_compute_cost (model, 1000000, 2000000), 3.5, 1e-9);
  provider = rw_catalog_lookup_provider (catalog, "local");
  g_assert_cmpstr (rw_provider_get_kind (provider), ==, "openai");
  g_assert_cmpstr (rw_provider_get_base_url (provider), ==, "http://127.0.0.1:8080/v1");
  g_assert_cmpstr (rw_provider_get_api_key_env (provider), ==, "LOCAL_KEY");
}

static void
expect_error (const char *json,
              const char *fragment)
{
  g_autoptr(RwCatalog) catalog = rw_catalog_new ();
  g_autoptr(GError) error = NULL;

  g_assert_true (rw_catalog_load_data (catalog, "base", minimal, -1, NULL));
  g_assert_false (rw_catalog_load_data (catalog, "providers.json", json, -1, &error));
  g_assert_error (error, RW_ERROR, RW_ERROR_CONFIG);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "providers.json"));
  g_assert_nonnull (strstr (error->message, fragment));
  /* Nothing of a rejected file is applied. */
  g_assert_null (rw_catalog_lookup_provider (catalog, "x"));
  g_assert_cmpfloat (rw_model_get_input_price (rw_catalog_lookup_model (catalog, "local/small")),
                     ==, 0.5);
}

static void
test_bad_input (void)
{
  expect_error ("{\"providers\": [", "not valid JSON");
  expect_error ("[1, 2]", "expected an object");
  expect_error ("{\"provider\": []}", "unknown member");
  expect_error ("{\"providers\": {}}", "must be an array");
  expect_error ("{\"providers\": [{\"id\": \"x\"}]}", "providers[0]: “kind” is missing");
  expect_error ("{\"providers\": [{\"id\": \"x\", \"kind\": \"telepathy\"}]}", "unknown");
  expect_error ("{\"providers\": [{\"id\": \"x\", \"kind\": \"openai\"}]}", "base_url");
  expect_error ("{\"providers\": [{\"id\": \"x\", \"kind\": \"openai\", \"base_url\": \"ftp://h\"}]}",
                "http://");
  expect_error ("{\"providers\": [{\"id\": \"x\", \"kind\": \"openai\", \"base_url\": \"http://h/v1\", "
                "\"api_key\": \"sk-secret\"}]}", "keys do not belong");
  expect_error ("{\"providers\": [{\"id\": \"x\", \"kind\": \"openai\", \"base_url\": \"http://h/v1\", "
                "\"headers\": {\"Authorization\": \"Bearer sk-secret\"}}]}", "keys do not belong");
  expect_error ("{\"providers\": [{\"id\": \"x\", \"kind\": \"recorded\", \"speed\": -1}]}", "speed");
  expect_error ("{\"providers\": [{\"id\": \"x\", \"kind\": \"openai\", \"base_url\": \"http://h/v1\"}],"
                " \"models\": [{\"id\": \"y/m\", \"provider\": \"nope\"}]}", "“nope” is not defined");
  expect_error ("{\"models\": [{\"id\": \"local/small\", \"input_price\": \"cheap\", \"output_price\": 1}]}",
                "input_price");
  expect_error ("{\"models\": [{\"id\": \"local/small\", \"input_price\": 1}]}", "both");
  expect_error ("{\"models\": [{\"id\": \"bad id!\"}]}", "may hold only");
  expect_error ("{\"providers\": [{\"id\": \"x\", \"kind\": \"openai\", \"base_url\": \"http://h/v1\"}],"
                " \"models\": [{\"id\": \"x/m\", \"capabilities\": {\"vision\": true}}]}",
                "“capabilities” takes tools, images, json_schema and reasoning");
  expect_error ("{\"providers\": [{\"id\": \"x\", \"kind\": \"openai\", \"base_url\": \"http://h/v1\"}],"
                " \"models\": [{\"id\": \"x/m\", \"capabilities\": {\"tools\": \"yes\"}}]}",
                "each true or false");
  expect_error ("{\"detect\": []}", "unknown member");
  expect_error ("{\"local\": [{\"id\": \"x\", \"base_url\": \"file:///etc\"}]}", "local[0]");
  /* A misspelt member is named, never dropped in silence. */
  expect_error ("{\"providers\": [{\"id\": \"x\", \"kind\": \"openai\", \"base_url\": \"http://h/v1\", "
                "\"api_key_evn\": \"KEY\"}]}",
                "providers[0]: unknown member “api_key_evn” (a provider of kind openai takes id, "
                "kind, base_url, api_key_env, headers");
  expect_error ("{\"providers\": [{\"id\": \"x\", \"kind\": \"recorded\", \"stream_usage\": false}]}",
                "unknown member “stream_usage”");
  expect_error ("{\"models\": [{\"id\": \"recorded/gpt-4\", \"input_prise\": 3}]}",
                "models[0]: unknown member “input_prise” (a model takes");
  expect_error ("{\"local\": [{\"id\": \"x\", \"base_url\": \"http://127.0.0.1:1/v1\", \"port\": 1}]}",
                "local[0]: unknown member “port”");
  expect_error ("{\"providers\": [{\"id\": \"x\", \"kind\": \"recorded\", \"headers\": {\"a\": \"b\"}}]}",
                "“headers” means nothing to it");
  expect_error ("{\"providers\": [{\"id\": \"x\", \"kind\": \"anthropic\", \"base_url\": \"http://h/v1\", "
                "\"headers\": {\"x-api-key\": \"sk-secret\"}}]}", "keys do not belong");
}

static void
test_price_override (void)
{
  g_autoptr(RwCatalog) catalog = rw_catalog_new ();
  g_autoptr(GError) error = NULL;
  RwModel *model;

  g_assert_true (rw_catalog_load_data (catalog, "a", minimal, -1, NULL));
  /* Only an id and prices: the known model's price changes, the rest stays. */
  g_assert_true (rw_catalog_load_data (catalog, "b",
                                       "{\"models\": [{\"id\": \"local/small\", \"input_price\": 2, "
                                       "\"output_price\": 4}]}", -1, &error));
  g_assert_no_error (error);
  model = rw_catalog_lookup_model (catalog, "local/small");
  g_assert_cmpfloat (rw_model_get_input_price (model), ==, 2);
  g_assert_cmpstr (rw_model_get_upstream_name (model), ==, "small");
  g_assert_cmpuint (g_list_model_get_n_items (rw_catalog_get_models (catalog)), ==, 1);
}

static void
test_defaults (void)
{
  g_autoptr(RwCatalog) catalog = rw_catalog_new ();
  g_autoptr(GError) error = NULL;
  RwModel *gpt4;

  g_unsetenv ("OPENAI_API_KEY");
  g_setenv ("GROQ_API_KEY", "gsk_test", TRUE);
  g_assert_true (rw_catalog_load_defaults (catalog, &error));
  g_assert_no_error (error);

  /* The recorded models, with their prices at the time. */
  gpt4 = rw_catalog_lookup_model (catalog, "recorded/gpt-4");
  g_assert_nonnull (gpt4);
  g_assert_cmpfloat (rw_model_get_input_price (gpt4), ==, 30.0);
  g_assert_cmpuint (g_list_model_get_n_items (rw_catalog_get_models (catalog)), >=, 70);

  /* A provider is present when its key variable is set, and only then. */
  g_assert_nonnull (rw_catalog_lookup_provider (catalog, "groq"));
  g_assert_nonnull (rw_catalog_lookup_model (catalog, "groq/llama-3.1-8b-instant"));
  g_assert_null (rw_catalog_lookup_provider (catalog, "openai"));
  g_assert_null (rw_catalog_lookup_model (catalog, "openai/gpt-4o"));
  g_unsetenv ("GROQ_API_KEY");
}

static void
test_resolve (void)
{
  g_autoptr(RwCatalog) catalog = rw_catalog_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(RwModel) a = NULL;
  g_autoptr(RwModel) b = NULL;
  g_autoptr(RwModel) c = NULL;

  g_assert_true (rw_catalog_load_defaults (catalog, NULL));
  g_assert_true (rw_catalog_load_data (catalog, "x", minimal, -1, NULL));

  a = rw_catalog_resolve_model (catalog, "claude-v1", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (rw_model_get_id (a), ==, "recorded/claude-v1");

  /* Any model of a configured provider, even one not listed, without a price. */
  b = rw_catalog_resolve_model (catalog, "local/big", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (rw_model_get_upstream_name (b), ==, "big");
  g_assert_false (rw_model_has_price (b));

  c = rw_catalog_resolve_model (catalog, "gpt-5-ultra", &error);
  g_assert_null (c);
  g_assert_error (error, RW_ERROR, RW_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "unknown model"));
  g_clear_error (&error);

  g_assert_null (rw_catalog_resolve_model (catalog, "recorded/nonexistent", &error));
  g_assert_error (error, RW_ERROR, RW_ERROR_CONFIG);
}

static void
discover_cb (GObject      *object,
             GAsyncResult *res,
             gpointer      user_data)
{
  gint *added = user_data;
  *added = rw_catalog_discover_finish (RW_CATALOG (object), res, NULL);
}

/* A local server that answers is added with its models at no cost; one that does not answer
 * adds nothing and holds nothing up. */
static void
test_discover (void)
{
  RwMockUpstream *mock = rw_mock_upstream_new ();
  g_autoptr(RwCatalog) catalog = rw_catalog_new ();
  g_autoptr(GSocketListener) l = g_socket_listener_new ();
  g_autofree char *url = rw_mock_upstream_dup_base_url (mock);
  g_autofree char *dead = NULL;
  guint16 port = g_socket_listener_add_any_inet_port (l, NULL, NULL);
  gint added = -1;
  RwModel *model;

  g_socket_listener_close (l);
  dead = g_strdup_printf ("http://127.0.0.1:%u/v1", port);
  rw_mock_upstream_set_default (mock, "GET /v1/models",
                                rw_mock_reply_new_json (200, "{\"object\":\"list\",\"data\":["
                                                             "{\"id\":\"llama3.2:3b\"},{\"id\":\"qwen2.5\"}]}"));
  rw_catalog_add_local_server (catalog, "ollama", url);
  rw_catalog_add_local_server (catalog, "llamacpp", dead);
  rw_catalog_discover_async (catalog, NULL, discover_cb, &added);
  while (added < 0)
    g_main_context_iteration (NULL, TRUE);

  g_assert_cmpint (added, ==, 2);
  g_assert_nonnull (rw_catalog_lookup_provider (catalog, "ollama"));
  g_assert_null (rw_catalog_lookup_provider (catalog, "llamacpp"));
  model = rw_catalog_lookup_model (catalog, "ollama/llama3.2:3b");
  g_assert_nonnull (model);
  g_assert_cmpstr (rw_model_get_upstream_name (model), ==, "llama3.2:3b");
  g_assert_cmpfloat (rw_model_get_input_price (model), ==, 0.0);
  rw_mock_upstream_free (mock);
}

/* The providers file, edited: each change is checked as start-up checks the file, written,
 * and applied to a live catalog; a change start-up would refuse changes neither the file nor
 * the catalog; members the editor does not know are kept. */
static void
test_providers_file (void)
{
  g_autofree char *dir = rw_test_make_tmpdir ();
  g_autofree char *path = g_build_filename (dir, "config", "providers.json", NULL);
  g_autoptr(RwProvidersFile) file = rw_providers_file_new (path);
  g_autoptr(RwCatalog) live = rw_catalog_new ();
  g_autoptr(RwCatalog) reread = rw_catalog_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  g_autoptr(GPtrArray) listed = NULL;
  RwModel *model;

  g_assert_true (rw_catalog_load_defaults (live, NULL));
  /* No file yet: empty. */
  g_assert_true (rw_providers_file_load (file, &error));
  listed = rw_providers_file_list_providers (file);
  g_assert_cmpuint (listed->len, ==, 0);
  g_clear_pointer (&listed, g_ptr_array_unref);

  g_assert_true (rw_providers_file_set_provider (file, "box", "openai", "http://127.0.0.1:9/v1",
                                                 "BOX_KEY", live, &error));
  g_assert_no_error (error);
  g_assert_true (rw_providers_file_set_model (file, "box", "qwen3", 0.2, 0.6, live, &error));
  g_assert_no_error (error);
  model = rw_catalog_lookup_model (live, "box/qwen3");
  g_assert_nonnull (model);
  g_assert_cmpfloat (rw_model_get_output_price (model), ==, 0.6);
  g_assert_cmpstr (rw_provider_get_base_url (rw_catalog_lookup_provider (live, "box")), ==,
                   "http://127.0.0.1:9/v1");

  /* What was written is what start-up reads. */
  g_assert_true (rw_catalog_load_file (reread, path, &error));
  g_assert_no_error (error);
  g_assert_nonnull (rw_catalog_lookup_model (reread, "box/qwen3"));
  g_assert_cmpstr (rw_provider_get_api_key_env (rw_catalog_lookup_provider (reread, "box")), ==,
                   "BOX_KEY");

  /* Refused as start-up would refuse it: nothing changes. */
  g_assert_true (g_file_get_contents (path, &before, NULL, NULL));
  g_assert_false (rw_providers_file_set_provider (file, "box", "openai", "ftp://example.org",
                                                  NULL, live, &error));
  g_assert_error (error, RW_ERROR, RW_ERROR_CONFIG);
  g_assert_nonnull (strstr (error->message, "base_url"));
  g_clear_error (&error);
  g_assert_false (rw_providers_file_set_provider (file, "no/slash", "openai",
                                                  "http://127.0.0.1:9/v1", NULL, live, &error));
  g_clear_error (&error);
  g_assert_false (rw_providers_file_set_provider (file, "x", "telepathy", NULL, NULL, live,
                                                  &error));
  g_clear_error (&error);
  g_assert_true (g_file_get_contents (path, &after, NULL, NULL));
  g_assert_cmpstr (before, ==, after);
  g_assert_cmpstr (rw_provider_get_base_url (rw_catalog_lookup_provider (live, "box")), ==,
                   "http://127.0.0.1:9/v1");

  /* A member the editor does not know survives an edit. */
  g_free (after);
  after = NULL;
  g_assert_true (g_file_set_contents (path, "{\"_comment\": \"mine\", \"local\": [], "
                                      "\"providers\": [], \"models\": []}", -1, NULL));
  g_assert_true (rw_providers_file_load (file, &error));
  g_assert_true (rw_providers_file_set_provider (file, "box", "ollama", "http://127.0.0.1:9",
                                                 NULL, live, &error));
  g_assert_true (g_file_get_contents (path, &after, NULL, NULL));
  g_assert_nonnull (strstr (after, "\"mine\""));

  /* Removing a provider takes its models from the file and the catalog. */
  g_assert_true (rw_providers_file_set_model (file, "box", "qwen3", NAN, NAN, live, &error));
  g_assert_true (rw_providers_file_remove_provider (file, "box", live, &error));
  g_assert_no_error (error);
  g_assert_null (rw_catalog_lookup_provider (live, "box"));
  g_assert_null (rw_catalog_lookup_model (live, "box/qwen3"));
  listed = rw_providers_file_list_models (file, NULL);
  g_assert_cmpuint (listed->len, ==, 0);

  rw_test_rmtree (dir);
}

/* The shipped cloud providers are listed with their kind whether or not a key makes them part
 * of the catalog; adding one brings its models. */
static void
test_shipped_providers (void)
{
  g_autoptr(RwCatalog) catalog = rw_catalog_new ();
  g_autoptr(GPtrArray) shipped = rw_catalog_list_shipped_providers (catalog);
  g_autoptr(GError) error = NULL;
  gboolean anthropic = FALSE;

  g_unsetenv ("GROQ_API_KEY");
  for (guint i = 0; i < shipped->len; i++)
    if (g_str_equal (rw_provider_get_id (shipped->pdata[i]), "anthropic"))
      anthropic = g_str_equal (rw_provider_get_kind (shipped->pdata[i]), "anthropic");
  g_assert_true (anthropic);
  g_assert_cmpuint (shipped->len, >=, 9);

  g_assert_null (rw_catalog_lookup_provider (catalog, "groq"));
  g_assert_true (rw_catalog_add_shipped_provider (catalog, "groq", &error));
  g_assert_no_error (error);
  g_assert_nonnull (rw_catalog_lookup_provider (catalog, "groq"));
  g_assert_nonnull (rw_catalog_lookup_model (catalog, "groq/llama-3.3-70b-versatile"));
  g_assert_false (rw_catalog_add_shipped_provider (catalog, "nonesuch", &error));
  g_assert_error (error, RW_ERROR, RW_ERROR_CONFIG);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/Rw/Catalog/minimal-form", test_minimal_form);
  g_test_add_func ("/Rw/Catalog/bad-input", test_bad_input);
  g_test_add_func ("/Rw/Catalog/price-override", test_price_override);
  g_test_add_func ("/Rw/Catalog/defaults", test_defaults);
  g_test_add_func ("/Rw/Catalog/resolve", test_resolve);
  g_test_add_func ("/Rw/Catalog/discover", test_discover);
  g_test_add_func ("/Rw/Catalog/providers-file", test_providers_file);
  g_test_add_func ("/Rw/Catalog/shipped-providers", test_shipped_providers);
  return g_test_run ();
}
