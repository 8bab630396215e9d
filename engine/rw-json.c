/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rw-error.h"
#include "rw-json.h"

typedef struct
{
  const char *start;
  const char *p;
  const char *end;
  GString *scratch;
  guint depth;
  GError **error;
} Reader;

static JsonNode *read_value (Reader *r);

G_GNUC_PRINTF (3, 4) static void
fail_at (Reader     *r,
         const char *at,
         const char *format,
         ...)
{
  g_autofree char *what = NULL;
  guint line = 1, column = 1;
  va_list args;

  for (const char *q = r->start; q < at && q < r->end; q++)
    {
      if (*q == '\n')
        {
          line++;
          column = 1;
        }
      else
        column++;
    }
  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (r->error, RW_ERROR, RW_ERROR_BAD_REQUEST, "line %u, column %u: %s",
               line, column, what);
}

/* What stands at a place, for an error message. */
static char *
describe (Reader     *r,
          const char *at)
{
  if (at >= r->end)
    return g_strdup ("the end of the text");
  if (*at >= 0x20 && *at < 0x7f)
    return g_strdup_printf ("“%c”", *at);
  return g_strdup_printf ("byte 0x%02x", (guchar) *at);
}

static void
unexpected (Reader     *r,
            const char *at,
            const char *wanted)
{
  g_autofree char *found = describe (r, at);

  fail_at (r, at, "expected %s, found %s", wanted, found);
}

static inline void
skip_space (Reader *r)
{
  while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t'))
    r->p++;
}

static int
hex4 (const char *p)
{
  int v = 0;

  for (int i = 0; i < 4; i++)
    {
      int d = g_ascii_xdigit_value (p[i]);
      if (d < 0)
        return -1;
      v = v * 16 + d;
    }
  return v;
}

/* A string, from just after its opening quote, into r->scratch. */
static gboolean
read_string (Reader *r)
{
  GString *s = r->scratch;

  g_string_truncate (s, 0);
  for (;;)
    {
      const char *run = r->p;

      /* Control characters should be escaped, but JsonParser takes them raw, and so do we:
       * json-glib itself writes U+001F unescaped. Only a NUL would cut the text short. */
      while (r->p < r->end && *r->p != '"' && *r->p != '\\' && *r->p != '\0')
        r->p++;
      if (r->p > run)
        {
          const char *bad;
          if (!g_utf8_validate_len (run, (gsize) (r->p - run), &bad))
            {
              fail_at (r, bad, "a string is not valid UTF-8");
              return FALSE;
            }
          g_string_append_len (s, run, r->p - run);
        }
      if (r->p >= r->end)
        {
          fail_at (r, r->p, "a string is not closed");
          return FALSE;
        }
      if (*r->p == '"')
        {
          r->p++;
          return TRUE;
        }
      if (*r->p != '\\')
        {
          fail_at (r, r->p, "a NUL byte in a string");
          return FALSE;
        }
      if (r->end - r->p < 2)
        {
          fail_at (r, r->end, "a string is not closed");
          return FALSE;
        }
      switch (r->p[1])
        {
        case '"': g_string_append_c (s, '"'); break;
        case '\\': g_string_append_c (s, '\\'); break;
        case '/': g_string_append_c (s, '/'); break;
        case 'b': g_string_append_c (s, '\b'); break;
        case 'f': g_string_append_c (s, '\f'); break;
        case 'n': g_string_append_c (s, '\n'); break;
        case 'r': g_string_append_c (s, '\r'); break;
        case 't': g_string_append_c (s, '\t'); break;
        case 'u':
          {
            int c = r->end - r->p >= 6 ? hex4 (r->p + 2) : -1;
            gunichar ch;

            if (c < 0)
              {
                fail_at (r, r->p, "“\\u” must be followed by four hexadecimal digits");
                return FALSE;
              }
            r->p += 4;
            ch = (gunichar) c;
            if (c >= 0xd800 && c <= 0xdbff)
              {
                /* A high surrogate pairs with the low one that follows; alone, it is no
                 * character, and stands as U+FFFD as most readers do. */
                int low = (r->end - r->p >= 8 && r->p[2] == '\\' && r->p[3] == 'u')
                          ? hex4 (r->p + 4) : -1;
                if (low >= 0xdc00 && low <= 0xdfff)
                  {
                    ch = 0x10000 + (((gunichar) c - 0xd800) << 10) + ((gunichar) low - 0xdc00);
                    r->p += 6;
                  }
                else
                  ch = 0xfffd;
              }
            else if (c >= 0xdc00 && c <= 0xdfff)
              ch = 0xfffd;
            /* The tree holds C strings, where a NUL would cut the text short. */
            if (ch == 0)
              ch = 0xfffd;
            g_string_append_unichar (s, ch);
            break;
          }
        default:
          fail_at (r, r->p, "“\\%c” is not a JSON escape",
                   r->p[1] >= 0x20 && r->p[1] < 0x7f ? r->p[1] : '?');
          return FALSE;
        }
      r->p += 2;
    }
}

static JsonNode *
read_number (Reader *r)
{
  const char *begin = r->p;
  gboolean integral = TRUE;
  JsonNode *node;

  if (r->p < r->end && *r->p == '-')
    r->p++;
  if (r->p < r->end && *r->p == '0')
    r->p++;
  else if (r->p < r->end && *r->p >= '1' && *r->p <= '9')
    while (r->p < r->end && g_ascii_isdigit (*r->p))
      r->p++;
  else
    {
      unexpected (r, r->p, "a digit");
      return NULL;
    }
  if (r->p < r->end && *r->p == '.')
    {
      integral = FALSE;
      r->p++;
      if (r->p >= r->end || !g_ascii_isdigit (*r->p))
        {
          unexpected (r, r->p, "a digit after the decimal point");
          return NULL;
        }
      while (r->p < r->end && g_ascii_isdigit (*r->p))
        r->p++;
    }
  if (r->p < r->end && (*r->p == 'e' || *r->p == 'E'))
    {
      integral = FALSE;
      r->p++;
      if (r->p < r->end && (*r->p == '+' || *r->p == '-'))
        r->p++;
      if (r->p >= r->end || !g_ascii_isdigit (*r->p))
        {
          unexpected (r, r->p, "a digit in the exponent");
          return NULL;
        }
      while (r->p < r->end && g_ascii_isdigit (*r->p))
        r->p++;
    }

  node = json_node_alloc ();
  if (integral)
    {
      /* Exactly, while it fits in 64 bits; beyond, as a double, as JsonParser does. */
      gboolean negative = *begin == '-';
      guint64 limit = negative ? (guint64) G_MAXINT64 + 1 : (guint64) G_MAXINT64;
      guint64 v = 0;
      const char *q = begin + (negative ? 1 : 0);

      for (; q < r->p; q++)
        {
          guint d = (guint) (*q - '0');
          if (v > (limit - d) / 10)
            break;
          v = v * 10 + d;
        }
      if (q == r->p)
        return json_node_init_int (node, negative ? (gint64) (0 - v) : (gint64) v);
    }
  {
    char buf[64];
    gsize n = (gsize) (r->p - begin);
    g_autofree char *big = n < sizeof buf ? NULL : g_strndup (begin, n);
    char *text = big ? big : buf;

    if (big == NULL)
      {
        memcpy (buf, begin, n);
        buf[n] = '\0';
      }
    double v = g_ascii_strtod (text, NULL);

    if (!isfinite (v))
      {
        json_node_free (node);
        r->p = begin;
        fail_at (r, begin, "a number too large for a double");
        return NULL;
      }
    return json_node_init_double (node, v);
  }
}

static gboolean
read_word (Reader     *r,
           const char *word)
{
  gsize n = strlen (word);

  if ((gsize) (r->end - r->p) >= n && memcmp (r->p, word, n) == 0)
    {
      r->p += n;
      return TRUE;
    }
  unexpected (r, r->p, "a value");
  return FALSE;
}

static JsonNode *
read_object (Reader *r)
{
  JsonObject *object = json_object_new ();
  JsonNode *node;

  r->p++;
  skip_space (r);
  if (r->p < r->end && *r->p == '}')
    r->p++;
  else
    for (;;)
      {
        g_autofree char *key = NULL;
        JsonNode *value;

        skip_space (r);
        if (r->p >= r->end || *r->p != '"')
          {
            unexpected (r, r->p, "a member name in quotes");
            goto fail;
          }
        r->p++;
        if (!read_string (r))
          goto fail;
        key = g_strndup (r->scratch->str, r->scratch->len);
        skip_space (r);
        if (r->p >= r->end || *r->p != ':')
          {
            unexpected (r, r->p, "“:” after a member name");
            goto fail;
          }
        r->p++;
        if ((value = read_value (r)) == NULL)
          goto fail;
        /* A name given twice keeps its last value, as JsonParser does. */
        json_object_set_member (object, key, value);
        skip_space (r);
        if (r->p < r->end && *r->p == ',')
          {
            r->p++;
            continue;
          }
        if (r->p < r->end && *r->p == '}')
          {
            r->p++;
            break;
          }
        unexpected (r, r->p, "“,” or “}”");
        goto fail;
      }
  node = json_node_alloc ();
  json_node_init_object (node, object);
  json_object_unref (object);
  return node;

fail:
  json_object_unref (object);
  return NULL;
}

static JsonNode *
read_array (Reader *r)
{
  JsonArray *array = json_array_new ();
  JsonNode *node;

  r->p++;
  skip_space (r);
  if (r->p < r->end && *r->p == ']')
    r->p++;
  else
    for (;;)
      {
        JsonNode *value = read_value (r);

        if (value == NULL)
          goto fail;
        json_array_add_element (array, value);
        skip_space (r);
        if (r->p < r->end && *r->p == ',')
          {
            r->p++;
            continue;
          }
        if (r->p < r->end && *r->p == ']')
          {
            r->p++;
            break;
          }
        unexpected (r, r->p, "“,” or “]”");
        goto fail;
      }
  node = json_node_alloc ();
  json_node_init_array (node, array);
  json_array_unref (array);
  return node;

fail:
  json_array_unref (array);
  return NULL;
}

static JsonNode *
read_value (Reader *r)
{
  JsonNode *node = NULL;

  skip_space (r);
  if (r->p >= r->end)
    {
      unexpected (r, r->p, "a value");
      return NULL;
    }
  switch (*r->p)
    {
    case '{':
    case '[':
      if (++r->depth > RW_JSON_MAX_DEPTH)
        {
          fail_at (r, r->p, "nested deeper than %d levels", RW_JSON_MAX_DEPTH);
          return NULL;
        }
      node = *r->p == '{' ? read_object (r) : read_array (r);
      r->depth--;
      return node;
    case '"':
      r->p++;
      if (!read_string (r))
        return NULL;
      node = json_node_alloc ();
      json_node_init_string (node, r->scratch->str);
      return node;
    case 't':
      return read_word (r, "true") ? json_node_init_boolean (json_node_alloc (), TRUE) : NULL;
    case 'f':
      return read_word (r, "false") ? json_node_init_boolean (json_node_alloc (), FALSE) : NULL;
    case 'n':
      return read_word (r, "null") ? json_node_init_null (json_node_alloc ()) : NULL;
    default:
      if (*r->p == '-' || g_ascii_isdigit (*r->p))
        return read_number (r);
      unexpected (r, r->p, "a value");
      return NULL;
    }
}

/**
 * rw_json_parse:
 * @text: JSON text, not necessarily NUL-terminated
 * @len: its length in bytes
 * @error: return location for an error
 *
 * Reads one JSON document: white space around it is allowed, anything else after it is not.
 *
 * Returns: (transfer full): the document's root, or %NULL with @error set
 */
JsonNode *
rw_json_parse (const char  *text,
               gsize        len,
               GError     **error)
{
  Reader r = { text, text, text + len, NULL, 0, error };
  JsonNode *root;

  g_return_val_if_fail (text != NULL || len == 0, NULL);

  if (text == NULL)
    r.start = r.p = r.end = "";
  skip_space (&r);
  if (r.p == r.end)
    {
      g_set_error_literal (error, RW_ERROR, RW_ERROR_BAD_REQUEST, RW_JSON_EMPTY);
      return NULL;
    }
  r.scratch = g_string_sized_new (64);
  root = read_value (&r);
  g_string_free (r.scratch, TRUE);
  if (root == NULL)
    return NULL;
  skip_space (&r);
  if (r.p < r.end)
    {
      unexpected (&r, r.p, "the end of the document");
      json_node_unref (root);
      return NULL;
    }
  return root;
}

/**
 * rw_json_parse_object:
 * @text: JSON text, not necessarily NUL-terminated
 * @len: its length in bytes
 * @error: return location for an error
 *
 * Returns: (transfer full): the document, which must be an object, or %NULL with @error set
 */
JsonObject *
rw_json_parse_object (const char  *text,
                      gsize        len,
                      GError     **error)
{
  g_autoptr(JsonNode) root = rw_json_parse (text, len, error);

  if (root == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, RW_ERROR, RW_ERROR_BAD_REQUEST, "the document is not an object");
      return NULL;
    }
  return json_object_ref (json_node_get_object (root));
}

/**
 * rw_json_append_string:
 * @out: where to write
 * @text: UTF-8 text
 *
 * Appends @text as a JSON string, every control character escaped: for the bodies that are
 * written directly rather than built as a tree, because they are small, fixed in shape and
 * written for every request.
 */
void
rw_json_append_string (GString    *out,
                       const char *text)
{
  static const char hex[] = "0123456789abcdef";
  const char *run = text;
  const char *s = text;

  g_string_append_c (out, '"');
  for (; *s != '\0'; s++)
    {
      guchar c = (guchar) *s;

      if (c >= 0x20 && c != '"' && c != '\\')
        continue;
      g_string_append_len (out, run, s - run);
      run = s + 1;
      switch (c)
        {
        case '"': g_string_append_len (out, "\\\"", 2); break;
        case '\\': g_string_append_len (out, "\\\\", 2); break;
        case '\n': g_string_append_len (out, "\\n", 2); break;
        case '\r': g_string_append_len (out, "\\r", 2); break;
        case '\t': g_string_append_len (out, "\\t", 2); break;
        default:
          {
            char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
            g_string_append_len (out, u, 6);
          }
        }
    }
  g_string_append_len (out, run, s - run);
  g_string_append_c (out, '"');
}
