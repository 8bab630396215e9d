/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <routewise-engine.h>

static void
test_http_mapping (void)
{
  static const struct {
    guint status;
    const char *body;
    RwError expected;
  } cases[] = {
    { 401, "{\"error\":{\"message\":\"Incorrect API key\",\"type\":\"invalid_request_error\",\"code\":\"invalid_api_key\"}}", RW_ERROR_AUTH },
    { 403, "forbidden", RW_ERROR_AUTH },
    { 429, "{\"error\":{\"message\":\"Rate limit reached\",\"type\":\"requests\",\"code\":\"rate_limit_exceeded\"}}", RW_ERROR_RATE_LIMITED },
    { 429, "{\"error\":{\"message\":\"You exceeded your current quota\",\"type\":\"insufficient_quota\",\"code\":\"insufficient_quota\"}}", RW_ERROR_AUTH },
    { 500, "{\"error\":{\"message\":\"The server had an error\",\"type\":\"server_error\"}}", RW_ERROR_SERVER },
    { 502, "<html>Bad gateway</html>", RW_ERROR_SERVER },
    { 503, "{\"error\":{\"message\":\"The engine is currently overloaded\"}}", RW_ERROR_OVERLOADED },
    { 529, "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}", RW_ERROR_OVERLOADED },
    { 504, NULL, RW_ERROR_TIMEOUT },
    { 400, "{\"error\":{\"message\":\"This model's maximum context length is 8192 tokens.\",\"type\":\"invalid_request_error\",\"code\":\"context_length_exceeded\"}}", RW_ERROR_CONTEXT_LENGTH },
    { 400, "{\"type\":\"error\",\"error\":{\"type\":\"invalid_request_error\",\"message\":\"prompt is too long: 210000 tokens > 200000 maximum\"}}", RW_ERROR_CONTEXT_LENGTH },
    { 413, NULL, RW_ERROR_CONTEXT_LENGTH },
    { 400, "{\"error\":{\"message\":\"Invalid value for temperature\",\"type\":\"invalid_request_error\"}}", RW_ERROR_BAD_REQUEST },
    { 404, "{\"error\":{\"message\":\"The model does not exist\",\"code\":\"model_not_found\"}}", RW_ERROR_BAD_REQUEST },
    { 422, "{\"detail\":\"unprocessable\"}", RW_ERROR_BAD_REQUEST },
    { 400, "{\"error\":\"plain string error\"}", RW_ERROR_BAD_REQUEST },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = rw_error_from_http (cases[i].status, cases[i].body,
                                                    cases[i].body ? strlen (cases[i].body) : 0);
      g_test_message ("case %u: %s", i, error->message);
      g_assert_error (error, RW_ERROR, cases[i].expected);
      g_assert_nonnull (strstr (error->message, "HTTP"));
    }
}

static void
test_message_extracted (void)
{
  const char *body = "{\"error\":{\"message\":\"Rate limit reached for gpt-4\",\"type\":\"requests\"}}";
  g_autoptr(GError) error = rw_error_from_http (429, body, strlen (body));

  g_assert_cmpstr (error->message, ==, "HTTP 429: Rate limit reached for gpt-4");
}

static void
test_stream_error (void)
{
  g_autoptr(GError) a = rw_error_from_json_error (0, "{\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}");
  g_autoptr(GError) b = rw_error_from_json_error (0, "{\"choices\":[]}");

  g_assert_error (a, RW_ERROR, RW_ERROR_SERVER);
  g_assert_null (b);
}

static void
test_retry_after (void)
{
  g_autoptr(GDateTime) dt = g_date_time_new_utc (2026, 11, 24, 12, 0, 0);
  gint64 now = g_date_time_to_unix (dt);

  g_assert_cmpint (rw_parse_retry_after ("7", now), ==, 7000);
  g_assert_cmpint (rw_parse_retry_after (" 0.5 ", now), ==, 500);
  g_assert_cmpint (rw_parse_retry_after ("Tue, 24 Nov 2026 12:00:30 GMT", now), ==, 30000);
  g_assert_cmpint (rw_parse_retry_after ("Tue, 24 Nov 2026 11:00:00 GMT", now), ==, 0);
  g_assert_cmpint (rw_parse_retry_after ("soon", now), ==, -1);
  /* A date or a delay far off is a day, never a wrapped small number (which made the router
   * retry at once instead of falling back to the next model). */
  g_assert_cmpint (rw_parse_retry_after ("Fri, 31 Dec 2100 23:59:59 GMT", now), ==, 86400000);
  g_assert_cmpint (rw_parse_retry_after ("99999999999", now), ==, 86400000);
  g_assert_cmpint (rw_parse_retry_after ("nan", now), ==, -1);
  g_assert_cmpint (rw_parse_retry_after ("-3", now), ==, -1);
  g_assert_cmpint (rw_parse_retry_after (NULL, now), ==, -1);
}

static void
test_redact (void)
{
  g_autofree char *a = rw_redact ("Incorrect API key provided: sk-proj-abcdefghijklmnop1234", NULL);
  g_autofree char *b = rw_redact ("key=my-very-secret-value here", "my-very-secret-value");
  g_autofree char *c = rw_redact ("nothing secret", "my-very-secret-value");

  g_assert_null (strstr (a, "abcdefghijklmnop"));
  g_assert_nonnull (strstr (a, "***"));
  g_assert_cmpstr (b, ==, "key=*** here");
  g_assert_cmpstr (c, ==, "nothing secret");
}

static void
test_kind_names (void)
{
  for (int code = RW_ERROR_UNKNOWN; code <= RW_ERROR_STORE; code++)
    g_assert_cmpint (rw_error_kind_from_string (rw_error_kind_to_string (code)), ==, code);
  g_assert_cmpstr (rw_error_kind_to_string (RW_ERROR_RATE_LIMITED), ==, "rate_limited");
}

/* The request member an error is about travels with it: read from a provider's error body,
 * kept by a copy, replaced, cleared, and absent from errors of other domains. */
static void
test_param (void)
{
  static const char with_param[] =
    "{\"error\": {\"message\": \"bad\", \"param\": \"messages[1].content\"}}";
  static const char null_param[] = "{\"error\": {\"message\": \"bad\", \"param\": null}}";
  g_autoptr(GError) named = rw_error_from_http (400, with_param, strlen (with_param));
  g_autoptr(GError) unnamed = rw_error_from_http (400, null_param, strlen (null_param));
  g_autoptr(GError) copy = NULL;
  g_autoptr(GError) set = NULL;
  g_autoptr(GError) other = g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, "x");

  g_assert_cmpstr (rw_error_get_param (named), ==, "messages[1].content");
  g_assert_cmpint (named->code, ==, RW_ERROR_BAD_REQUEST);
  g_assert_null (rw_error_get_param (unnamed));
  copy = g_error_copy (named);
  g_clear_error (&named);
  g_assert_cmpstr (rw_error_get_param (copy), ==, "messages[1].content");
  rw_error_set_param (copy, "tools");
  g_assert_cmpstr (rw_error_get_param (copy), ==, "tools");
  rw_error_set_param (copy, NULL);
  g_assert_null (rw_error_get_param (copy));

  rw_set_param_error (&set, RW_ERROR_BAD_REQUEST, "n", "“n” must be %d or more", 1);
  g_assert_cmpstr (set->message, ==, "“n” must be 1 or more");
  g_assert_cmpstr (rw_error_get_param (set), ==, "n");
  rw_set_param_error (NULL, RW_ERROR_BAD_REQUEST, "n", "ignored");
  g_assert_null (rw_error_get_param (other));
  g_assert_null (rw_error_get_param (NULL));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/Rw/Error/http-mapping", test_http_mapping);
  g_test_add_func ("/Rw/Error/message-extracted", test_message_extracted);
  g_test_add_func ("/Rw/Error/stream-error", test_stream_error);
  g_test_add_func ("/Rw/Error/retry-after", test_retry_after);
  g_test_add_func ("/Rw/Error/redact", test_redact);
  g_test_add_func ("/Rw/Error/kind-names", test_kind_names);
  g_test_add_func ("/Rw/Error/param", test_param);
  return g_test_run ();
}
