/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <string.h>
#include <routewise-engine.h>

#include "rw-http-private.h"
#include "rw-json.h"

static JsonNode *
parse (const char  *text,
       GError     **error)
{
  return rw_json_parse (text, strlen (text), error);
}

static char *
parse_to_string (const char  *text,
                 GError     **error)
{
  g_autoptr(JsonNode) root = rw_json_parse (text, strlen (text), error);

  return root ? json_to_string (root, FALSE) : NULL;
}

/* Valid documents give the very tree JsonParser gives. */
static void
test_same_as_json_glib (void)
{
  static const char * const docs[] = {
    "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,\"choices\":[{\"index\":0,"
    "\"message\":{\"role\":\"assistant\",\"content\":\"Hello\"},\"finish_reason\":\"stop\"}],"
    "\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":4,\"total_tokens\":13}}",
    "  {\"a\" : [ 1 , -2 , 3.25 , -0.5e-3 , 1E+2 , 0 , -0 ] }\n",
    "[true,false,null,\"\",[],{},[[]],[{}],{\"a\":{\"b\":{\"c\":[null]}}}]",
    "\"caf\\u00e9 \\ud83d\\ude00 \\\"q\\\" \\\\ \\/ \\b\\f\\n\\r\\t\"",
    "\"raw UTF-8: ✓ 😀 and a raw\ttab\"",
    "{\"a\":1,\"a\":2,\"b\":3}",
    "9223372036854775807",
    "-9223372036854775808",
    "0.1",
    "1e-400",
    "{\"\":\"\"}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (docs); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autofree char *ours = parse_to_string (docs[i], &error);
      g_autofree char *theirs = NULL;

      g_assert_no_error (error);
      g_assert_true (json_parser_load_from_data (parser, docs[i], -1, NULL));
      theirs = json_to_string (json_parser_get_root (parser), FALSE);
      g_assert_cmpstr (ours, ==, theirs);
    }
}

/* Types and values, where JsonParser gets them wrong. */
static void
test_values (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) big = parse ("9223372036854775808", &error);
  g_autoptr(JsonNode) small = parse ("-9223372036854775809", &error);
  g_autoptr(JsonNode) huge = parse ("123456789012345678901234567890", &error);
  g_autoptr(JsonNode) lone = parse ("\"a\\ud800b\\udc00c\\u0000\"", &error);
  g_autoptr(JsonNode) exact = parse ("[0, -7, 12]", &error);
  g_autoptr(JsonNode) not_terminated = NULL;
  static const char buf[] = { '[', '1', ']', '9' };

  g_assert_no_error (error);
  /* Past 64 bits an integer becomes the nearest double, never a wrapped-around one. */
  g_assert_cmpint (json_node_get_value_type (big), ==, G_TYPE_DOUBLE);
  g_assert_cmpfloat (json_node_get_double (big), ==, 9223372036854775808.0);
  g_assert_cmpfloat (json_node_get_double (small), ==, -9223372036854775809.0);
  g_assert_cmpfloat (json_node_get_double (huge), >, 1.2e29);
  g_assert_cmpint (json_node_get_int (json_array_get_element (json_node_get_array (exact), 1)),
                   ==, -7);
  g_assert_cmpint (json_node_get_value_type (json_array_get_element (json_node_get_array (exact),
                                                                     2)), ==, G_TYPE_INT64);
  /* A surrogate without its pair, and a NUL, stand as U+FFFD. */
  g_assert_cmpstr (json_node_get_string (lone), ==, "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\xef\xbf\xbd");
  /* The length is what counts: the text need not end in a NUL. */
  not_terminated = rw_json_parse (buf, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpint (json_array_get_length (json_node_get_array (not_terminated)), ==, 1);
}

/* Everything that is not JSON is refused, with where and what. */
static void
test_malformed (void)
{
  static const struct { const char *text; const char *message; } cases[] = {
    { "", "the document is empty" },
    { " \n\t ", "the document is empty" },
    { "{\"a\":1,}", "line 1, column 8: expected a member name in quotes, found “}”" },
    { "[1,]", "line 1, column 4: expected a value, found “]”" },
    { "[1 2]", "line 1, column 4: expected “,” or “]”, found “2”" },
    { "{\"a\" 1}", "line 1, column 6: expected “:” after a member name, found “1”" },
    { "{\n  \"a\": x}", "line 2, column 8: expected a value, found “x”" },
    /* Columns count characters, as an editor shows them. */
    { "{\n  \"été\": x}", "line 2, column 10: expected a value, found “x”" },
    { "01", "line 1, column 2: expected the end of the document, found “1”" },
    { "1.", "line 1, column 3: expected a digit after the decimal point, found the end of the text" },
    { ".5", "line 1, column 1: expected a value, found “.”" },
    { "+1", "line 1, column 1: expected a value, found “+”" },
    { "-", "line 1, column 2: expected a digit, found the end of the text" },
    { "1e", "line 1, column 3: expected a digit in the exponent, found the end of the text" },
    { "1e999", "line 1, column 1: a number too large for a double" },
    { "NaN", "line 1, column 1: expected a value, found “N”" },
    { "tru", "line 1, column 1: expected a value, found “t”" },
    { "nulls", "line 1, column 5: expected the end of the document, found “s”" },
    { "'a'", "line 1, column 1: expected a value, found “'”" },
    { "/* c */ 1", "line 1, column 1: expected a value, found “/”" },
    { "\"abc", "line 1, column 5: a string is not closed" },
    { "\"a\\", "line 1, column 4: a string is not closed" },
    { "\"\\x\"", "line 1, column 2: “\\x” is not a JSON escape" },
    { "\"\\u12g4\"", "line 1, column 2: “\\u” must be followed by four hexadecimal digits" },
    { "\"\\u12\"", "line 1, column 2: “\\u” must be followed by four hexadecimal digits" },
    { "\"\xff\"", "line 1, column 2: a string is not valid UTF-8" },
    { "\"ok \xc3\"", "line 1, column 5: a string is not valid UTF-8" },
    { "\xef\xbb\xbf{}", "line 1, column 1: expected a value, found byte 0xef" },
    { "{} {}", "line 1, column 4: expected the end of the document, found “{”" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) root = rw_json_parse (cases[i].text, strlen (cases[i].text), &error);
      /* Escaped: the TAP reader refuses a line that is not UTF-8. */
      g_autofree char *shown = g_strescape (cases[i].text, NULL);

      g_test_message ("%s", shown);
      g_assert_null (root);
      g_assert_error (error, RW_ERROR, RW_ERROR_BAD_REQUEST);
      g_assert_cmpstr (error->message, ==, cases[i].message);
    }

  {
    /* A NUL byte inside a string, which a C string could not hold. */
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) root = rw_json_parse ("\"a\0b\"", 5, &error);
    g_assert_null (root);
    g_assert_cmpstr (error->message, ==, "line 1, column 3: a NUL byte in a string");
  }
}

/* Every proper prefix of a document that ends in a bracket is incomplete, hence refused. */
static void
test_prefixes (void)
{
  static const char doc[] = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":"
                            "\"caf\\u00e9 \\ud83d\\ude00\"}],\"n\":[1.5e3,-2,true,null]}";

  for (gsize n = 0; n < strlen (doc); n++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) root = rw_json_parse (doc, n, &error);
      g_assert_null (root);
      g_assert_nonnull (error);
    }
}

/* Nesting is bounded, so no document can exhaust the stack. */
static void
test_depth (void)
{
  g_autoptr(GString) ok = g_string_new (NULL);
  g_autoptr(GString) deep = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = NULL;

  for (int i = 0; i < RW_JSON_MAX_DEPTH; i++)
    g_string_append (ok, i % 2 ? "{\"a\":" : "[");
  g_string_append_c (ok, '0');
  for (int i = RW_JSON_MAX_DEPTH - 1; i >= 0; i--)
    g_string_append (ok, i % 2 ? "}" : "]");
  root = rw_json_parse (ok->str, ok->len, &error);
  g_assert_no_error (error);
  g_assert_nonnull (root);

  for (int i = 0; i < 100000; i++)
    g_string_append_c (deep, '[');
  g_clear_pointer (&root, json_node_unref);
  root = rw_json_parse (deep->str, deep->len, &error);
  g_assert_null (root);
  g_assert_nonnull (strstr (error->message, "nested deeper than 512 levels"));
}

/* The providers' helper refuses any other kind of document, and says which part of the reply it
 * was. */
static void
test_object (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) obj = _rw_json_parse_object ("{\"a\":[1]}", 9, "reply", &error);
  g_autoptr(JsonObject) array = NULL;
  g_autoptr(RwJsonDoc) broken = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (json_array_get_length (json_object_get_array_member (obj, "a")), ==, 1);
  array = _rw_json_parse_object ("[1]", 3, "reply", &error);
  g_assert_null (array);
  g_assert_error (error, RW_ERROR, RW_ERROR_BAD_RESPONSE);
  g_assert_cmpstr (error->message, ==, "the reply is not a JSON object");
  g_clear_error (&error);
  broken = _rw_json_parse_doc ("{\"a\":", 5, "stream", &error);
  g_assert_null (broken);
  g_assert_error (error, RW_ERROR, RW_ERROR_BAD_RESPONSE);
  g_assert_cmpstr (error->message, ==,
                   "malformed JSON in the stream: line 1, column 6: expected a value, "
                   "found the end of the text");
}

/* The compact document: lookups, walks and conversions, and NONE accepted everywhere. */
static void
test_doc (void)
{
  static const char text[] = "{\"model\":\"m\",\"n\":[1,2.5,-3,true,null,\"x\"],\"model\":\"last\","
                             "\"o\":{\"k\":false},\"big\":1e300,\"e\":{},\"a\":[]}";
  g_autoptr(GError) error = NULL;
  g_autoptr(RwJsonDoc) doc = rw_json_doc_parse (text, strlen (text), &error);
  g_autoptr(JsonNode) tree = NULL;
  g_autoptr(JsonNode) direct = NULL;
  g_autofree char *a = NULL, *b = NULL;
  guint32 n, v;
  const char *names[8];
  guint i = 0;

  g_assert_no_error (error);
  g_assert_cmpint (rw_json_doc_type (doc, RW_JSON_ROOT), ==, RW_JSON_OBJECT);
  /* A name given twice: the last value. */
  g_assert_cmpstr (rw_json_doc_string (doc, rw_json_doc_member (doc, RW_JSON_ROOT, "model")), ==,
                   "last");
  n = rw_json_doc_member (doc, RW_JSON_ROOT, "n");
  g_assert_cmpuint (rw_json_doc_length (doc, n), ==, 6);
  v = rw_json_doc_first (doc, n);
  g_assert_cmpint (rw_json_doc_int (doc, v, -1), ==, 1);
  g_assert_null (rw_json_doc_name (doc, v));
  v = rw_json_doc_next (doc, v);
  g_assert_cmpfloat (rw_json_doc_double (doc, v, 0), ==, 2.5);
  g_assert_cmpint (rw_json_doc_int (doc, v, -1), ==, 2);
  v = rw_json_doc_next (doc, v);
  g_assert_cmpfloat (rw_json_doc_double (doc, v, 0), ==, -3);
  v = rw_json_doc_next (doc, v);
  g_assert_true (rw_json_doc_boolean (doc, v, FALSE));
  g_assert_null (rw_json_doc_string (doc, v));
  v = rw_json_doc_next (doc, v);
  g_assert_cmpint (rw_json_doc_type (doc, v), ==, RW_JSON_NULL);
  g_assert_cmpint (rw_json_doc_int (doc, v, 7), ==, 7);
  v = rw_json_doc_next (doc, v);
  g_assert_cmpstr (rw_json_doc_string (doc, v), ==, "x");
  g_assert_cmpuint (rw_json_doc_next (doc, v), ==, RW_JSON_NONE);
  /* Out of range for an integer: the fallback, not a wrapped value. */
  g_assert_cmpint (rw_json_doc_int (doc, rw_json_doc_member (doc, RW_JSON_ROOT, "big"), -1), ==, -1);
  g_assert_false (rw_json_doc_boolean (doc, rw_json_doc_member (doc, rw_json_doc_member (
                    doc, RW_JSON_ROOT, "o"), "k"), TRUE));
  g_assert_cmpuint (rw_json_doc_length (doc, rw_json_doc_member (doc, RW_JSON_ROOT, "e")), ==, 0);
  g_assert_cmpuint (rw_json_doc_first (doc, rw_json_doc_member (doc, RW_JSON_ROOT, "a")), ==,
                    RW_JSON_NONE);

  /* Members in the order written. */
  for (v = rw_json_doc_first (doc, RW_JSON_ROOT); v != RW_JSON_NONE; v = rw_json_doc_next (doc, v))
    names[i++] = rw_json_doc_name (doc, v);
  g_assert_cmpuint (i, ==, 7);
  g_assert_cmpstr (names[0], ==, "model");
  g_assert_cmpstr (names[2], ==, "model");
  g_assert_cmpstr (names[6], ==, "a");

  /* What is not there, and what is not of the kind asked, gives the fallback. */
  v = rw_json_doc_member (doc, RW_JSON_ROOT, "missing");
  g_assert_cmpuint (v, ==, RW_JSON_NONE);
  g_assert_cmpint (rw_json_doc_type (doc, v), ==, RW_JSON_MISSING);
  g_assert_cmpuint (rw_json_doc_member (doc, v, "x"), ==, RW_JSON_NONE);
  g_assert_cmpuint (rw_json_doc_member (doc, n, "x"), ==, RW_JSON_NONE);
  g_assert_cmpuint (rw_json_doc_first (doc, v), ==, RW_JSON_NONE);
  g_assert_cmpuint (rw_json_doc_next (doc, v), ==, RW_JSON_NONE);
  g_assert_null (rw_json_doc_string (doc, v));
  g_assert_null (rw_json_doc_name (doc, v));
  g_assert_cmpuint (rw_json_doc_length (doc, v), ==, 0);
  g_assert_cmpfloat (rw_json_doc_double (doc, v, 0.5), ==, 0.5);
  g_assert_null (rw_json_doc_to_node (doc, v));

  /* Converted, the same tree as the direct reader's. */
  tree = rw_json_doc_to_node (doc, RW_JSON_ROOT);
  direct = rw_json_parse (text, strlen (text), &error);
  a = json_to_string (tree, FALSE);
  b = json_to_string (direct, FALSE);
  g_assert_cmpstr (a, ==, b);
  g_assert_nonnull (strstr (a, "\"model\":\"last\""));
}

/* The messages' JSON text, which stored prompt ids and cache keys hash, stays byte for byte what
 * json-glib writes, whatever the characters. */
static void
test_messages_text (void)
{
  g_autoptr(RwChatRequest) request = rw_chat_request_new ();
  g_autoptr(GString) every = g_string_new (NULL);
  g_autoptr(JsonNode) tree = NULL;
  g_autofree char *theirs = NULL;
  g_autofree char *ours = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *hash2 = NULL;

  for (int c = 1; c < 128; c++)
    g_string_append_c (every, (char) c);
  g_string_append (every, " é ✓ 😀 \xef\xbf\xbf");
  rw_chat_request_add_message (request, "system", every->str);
  rw_chat_request_add_message (request, "us\"er", "");
  tree = rw_chat_request_messages_to_json (request);
  theirs = json_to_string (tree, FALSE);
  ours = rw_chat_request_messages_to_string (request);
  g_assert_cmpstr (ours, ==, theirs);

  /* A known prompt's id, and a new one when a message is added. */
  g_clear_pointer (&request, rw_chat_request_unref);
  request = rw_chat_request_new_for_prompt ("Say hello");
  hash = rw_chat_request_hash_prompt (request);
  /* The cache key of a known request, which stored answers are found by. */
  {
    g_autofree char *key = rw_chat_request_hash_for_model (request, "up/m");
    g_assert_cmpstr (key, ==, "d0d17a1f72995da2ad6991a0dec0c6d9ce68d51e52bbd499fdd199db2aaf9265");
  }
  /* Every temperature keys the cache as its g_ascii_dtostr() text does. */
  {
    const double temperatures[] = { -1, 0, -0.0, 1, 2, 0.7, 1.5, -3, 1e14, 1e15, 1e300, NAN };

    for (guint i = 0; i < G_N_ELEMENTS (temperatures); i++)
      {
        g_autoptr(RwChatRequest) r = rw_chat_request_new_for_prompt ("Say hello");
        g_autofree char *key = NULL;
        g_autofree char *want = NULL;
        g_autofree char *text = NULL;
        g_autofree char *messages = rw_chat_request_messages_to_string (r);
        char num[G_ASCII_DTOSTR_BUF_SIZE];

        r->temperature = temperatures[i];
        key = rw_chat_request_hash_for_model (r, "up/m");
        text = g_strdup_printf ("up/m\n%s\n%s\n%" G_GINT64_FORMAT,
                                messages, g_ascii_dtostr (num, sizeof num, temperatures[i]), r->max_tokens);
        want = g_compute_checksum_for_string (G_CHECKSUM_SHA256, text, -1);
        g_assert_cmpstr (key, ==, want);
      }
  }
  g_assert_cmpstr (hash, ==, "77ebc63156811cda92c546fda22576cb3b4c2e2a758034ee3e9843c044305827");
  /* A copy carries the same text and hash, and a change to it is its own. */
  {
    g_autoptr(RwChatRequest) copy = rw_chat_request_copy (request);
    g_autofree char *copied = rw_chat_request_hash_prompt (copy);
    g_autofree char *changed = NULL;
    g_autofree char *original = NULL;

    g_assert_cmpstr (copied, ==, hash);
    rw_chat_request_add_message (copy, "assistant", "Hi");
    changed = rw_chat_request_hash_prompt (copy);
    original = rw_chat_request_hash_prompt (request);
    g_assert_cmpstr (changed, !=, hash);
    g_assert_cmpstr (original, ==, hash);
  }
  rw_chat_request_add_message (request, "assistant", "Hello");
  hash2 = rw_chat_request_hash_prompt (request);
  g_assert_cmpstr (hash2, ==, "961d7d04251bc3a13bef9ba69d1af78aefb2834538d2b1fd46c8c4036a683c5c");
}

/* The writer: always JSON (where json-glib's is not), compact or indented. */
static void
test_write (void)
{
  static const char text[] = "{\"s\":\"a\\u001fb \\\"q\\\" ✓\",\"i\":-42,\"d\":[1e40,0.1,1.0,-0.0,2.5e-7],"
                             "\"e\":{},\"f\":[],\"t\":true,\"n\":null}";
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) root = rw_json_parse (text, strlen (text), &error);
  g_autofree char *compact = NULL;
  g_autofree char *pretty = NULL;
  g_autofree char *again = NULL;
  g_autoptr(JsonNode) reread = NULL;
  g_autoptr(JsonNode) nan = json_node_init_double (json_node_alloc (), NAN);
  g_autofree char *nan_text = NULL;

  g_assert_no_error (error);
  compact = rw_json_to_string (root, FALSE);
  g_assert_cmpstr (compact, ==, "{\"s\":\"a\\u001fb \\\"q\\\" ✓\",\"i\":-42,"
                                "\"d\":[1e+40,0.1,1.0,-0.0,2.5e-07],\"e\":{},\"f\":[],"
                                "\"t\":true,\"n\":null}");
  /* What it writes reads back the same, doubles as doubles. */
  reread = rw_json_parse (compact, strlen (compact), &error);
  g_assert_no_error (error);
  again = rw_json_to_string (reread, FALSE);
  g_assert_cmpstr (again, ==, compact);
  g_assert_cmpint (json_node_get_value_type (json_array_get_element (
                     json_object_get_array_member (json_node_get_object (reread), "d"), 2)), ==,
                   G_TYPE_DOUBLE);

  pretty = rw_json_to_string (root, TRUE);
  g_assert_cmpstr (pretty, ==,
                   "{\n"
                   "  \"s\": \"a\\u001fb \\\"q\\\" ✓\",\n"
                   "  \"i\": -42,\n"
                   "  \"d\": [\n    1e+40,\n    0.1,\n    1.0,\n    -0.0,\n    2.5e-07\n  ],\n"
                   "  \"e\": {},\n"
                   "  \"f\": [],\n"
                   "  \"t\": true,\n"
                   "  \"n\": null\n"
                   "}");

  /* JSON has no NaN. */
  nan_text = rw_json_to_string (nan, FALSE);
  g_assert_cmpstr (nan_text, ==, "null");
}

static void
test_append_int (void)
{
  static const gint64 values[] = { 0, 7, -1, 10, 1234567890123, G_MAXINT64, G_MININT64 };

  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    {
      g_autoptr(GString) s = g_string_new ("x");
      g_autofree char *expected = g_strdup_printf ("x%" G_GINT64_FORMAT, values[i]);

      rw_json_append_int (s, values[i]);
      g_assert_cmpstr (s->str, ==, expected);
    }
}

/* Indented, a table of more than 64 numbers fills lines of up to 100 columns (a learned
 * policy's counts and weights); a shorter one, or a long one holding a string, stays one a
 * line; either reads back as it was. */
static void
test_write_filled (void)
{
  g_autoptr(JsonObject) counts = json_object_new ();
  g_autoptr(JsonArray) weights = json_array_new ();
  g_autoptr(JsonArray) short_run = json_array_new ();
  g_autoptr(JsonArray) names = json_array_new ();
  g_autoptr(JsonNode) root = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(JsonObject) top = json_object_new ();
  g_autofree char *pretty = NULL;
  g_autofree char *compact = NULL;
  g_autofree char *again = NULL;
  g_autoptr(JsonNode) reread = NULL;
  g_auto(GStrv) lines = NULL;
  guint counts_lines = 0, longest = 0;

  for (guint i = 0; i < 500; i++)
    {
      g_autofree char *name = g_strdup_printf ("%u", i * 7);
      json_object_set_int_member (counts, name, i % 13);
      json_array_add_double_element (weights, i * 0.001 - 0.2);
    }
  for (guint i = 0; i < 64; i++)
    json_array_add_int_element (short_run, i);
  for (guint i = 0; i < 100; i++)
    json_array_add_int_element (names, i);
  json_array_add_string_element (names, "a name");
  json_object_set_object_member (top, "counts", json_object_ref (counts));
  json_object_set_array_member (top, "weights", json_array_ref (weights));
  json_object_set_array_member (top, "short", json_array_ref (short_run));
  json_object_set_array_member (top, "names", json_array_ref (names));
  json_node_set_object (root, top);

  pretty = rw_json_to_string (root, TRUE);
  lines = g_strsplit (pretty, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      longest = MAX (longest, (guint) g_utf8_strlen (lines[i], -1));
      if (g_str_has_prefix (lines[i], "    \"7\": 1,") || strstr (lines[i], " \"7\": 1,") != NULL)
        g_assert_nonnull (strstr (lines[i], "\"14\": 2,"));   /* filled: more than one a line */
      if (g_str_has_prefix (lines[i], "    \""))
        counts_lines++;
    }
  /* 500 members on lines of at most about 100 columns: tens of lines, not 500. */
  g_assert_cmpuint (counts_lines, >, 40);
  g_assert_cmpuint (counts_lines, <, 120);
  g_assert_cmpuint (longest, <=, 100);
  /* The short array: one element a line, as before. */
  g_assert_nonnull (strstr (pretty, "\"short\": [\n    0,\n    1,\n"));
  g_assert_nonnull (strstr (pretty, "\"names\": [\n    0,\n    1,\n"));
  /* Every line of a filled run ends at a member's end. */
  g_assert_nonnull (strstr (pretty, "\"counts\": {\n    \"0\": 0, \"7\": 1, \"14\": 2,"));
  g_assert_nonnull (strstr (pretty, "\"weights\": [\n    -0.2, -0.199, -0.198,"));

  reread = rw_json_parse (pretty, strlen (pretty), NULL);
  g_assert_nonnull (reread);
  compact = rw_json_to_string (root, FALSE);
  again = rw_json_to_string (reread, FALSE);
  g_assert_cmpstr (again, ==, compact);
}

/* A line of JSON Lines: the same reading, the error naming the column only, for the caller to
 * put after the file's line. */
static void
test_parse_line (void)
{
  static const char text[] = "{\"a\": 1,\n \"b\": ]}";
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = rw_json_parse_line ("{\"a\": [1, 2]}", 13, &error);
  g_autoptr(RwJsonDoc) doc = NULL;

  g_assert_no_error (error);
  g_assert_cmpint (json_array_get_length (json_object_get_array_member (
                     json_node_get_object (node), "a")), ==, 2);
  doc = rw_json_doc_parse_line ("[1, 2,]", 7, &error);
  g_assert_null (doc);
  g_assert_cmpstr (error->message, ==, "column 7: expected a value, found “]”");
  g_clear_error (&error);
  /* A line break inside is white space; the column is counted on the line it stands on. */
  g_assert_null (rw_json_parse_line (text, strlen (text), &error));
  g_assert_cmpstr (error->message, ==, "column 7: expected a value, found “]”");
  g_clear_error (&error);
  g_assert_null (rw_json_parse (text, strlen (text), &error));
  g_assert_cmpstr (error->message, ==, "line 2, column 7: expected a value, found “]”");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/Rw/Json/same-as-json-glib", test_same_as_json_glib);
  g_test_add_func ("/Rw/Json/values", test_values);
  g_test_add_func ("/Rw/Json/malformed", test_malformed);
  g_test_add_func ("/Rw/Json/prefixes", test_prefixes);
  g_test_add_func ("/Rw/Json/depth", test_depth);
  g_test_add_func ("/Rw/Json/object", test_object);
  g_test_add_func ("/Rw/Json/doc", test_doc);
  g_test_add_func ("/Rw/Json/append-int", test_append_int);
  g_test_add_func ("/Rw/Json/write", test_write);
  g_test_add_func ("/Rw/Json/write-filled", test_write_filled);
  g_test_add_func ("/Rw/Json/parse-line", test_parse_line);
  g_test_add_func ("/Rw/Json/messages-text", test_messages_text);
  return g_test_run ();
}
