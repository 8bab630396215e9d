/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rw-error.h"
#include "rw-json-private.h"
#include "rw-text.h"

typedef struct
{
  const char *start;
  const char *p;
  const char *end;
  RwJsonDoc *doc;
  guint depth;
  GError **error;
  gboolean one_line;      /* a line of JSON Lines: errors name the column only */
} Reader;

G_GNUC_PRINTF (3, 4) static void
fail_at (Reader     *r,
         const char *at,
         const char *format,
         ...)
{
  g_autofree char *what = NULL;
  guint line, column;
  va_list args;

  /* A document is not NUL-terminated, but ends at r->end, which the place is never past. */
  rw_text_position (r->start, MIN (at, r->end), &line, &column);
  va_start (args, format);
  what = g_strdup_vprintf (format, args);
  va_end (args);
  if (r->one_line)
    g_set_error (r->error, RW_ERROR, RW_ERROR_BAD_REQUEST, "column %u: %s", column, what);
  else
    g_set_error (r->error, RW_ERROR, RW_ERROR_BAD_REQUEST, "line %u, column %u: %s",
                 line, column, what);
}

/* What stands at a place, for an error message. */
static char *
json_describe (Reader     *r,
               const char *at)
{
  if (at >= r->end)
    return g_strdup ("the end of the text");
  if (*at >= 0x20 && *at < 0x7f)
    return g_strdup_printf ("“%c”", *at);
  return g_strdup_printf ("byte 0x%02x", (guchar) *at);
}

static void
json_unexpected (Reader     *r,
                 const char *at,
                 const char *wanted)
{
  g_autofree char *found = json_describe (r, at);

  fail_at (r, at, "expected %s, found %s", wanted, found);
}

static inline void
json_skip_space (Reader *r)
{
  while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t'))
    r->p++;
}

static int
json_hex4 (const char *p)
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

/* A string, from just after its opening quote, appended to the document's strings with a NUL;
 * @off says where. */
static gboolean
json_read_string (Reader  *r,
                  guint32 *off)
{
  GString *s = r->doc->strings;
  gsize begin = s->len;

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
          *off = (guint32) begin;
          g_string_append_c (s, '\0');
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
            int c = r->end - r->p >= 6 ? json_hex4 (r->p + 2) : -1;
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
                          ? json_hex4 (r->p + 4) : -1;
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

/* A new node in the document, linked as the last child of @parent unless that is NONE. */
static guint32
json_add_node (Reader     *r,
               guint32     parent,
               guint32     key,
               RwJsonType  type)
{
  RwJsonDoc *doc = r->doc;
  guint32 i;
  Node *n;

  if (doc->n_nodes == doc->cap_nodes)
    {
      doc->cap_nodes = doc->cap_nodes ? doc->cap_nodes * 2 : 32;
      doc->nodes = g_renew (Node, doc->nodes, doc->cap_nodes);
    }
  i = doc->n_nodes++;
  n = &doc->nodes[i];
  n->type = type;
  n->key = key;
  n->next = RW_JSON_NONE;
  n->first = RW_JSON_NONE;
  n->last = RW_JSON_NONE;
  if (parent != RW_JSON_NONE)
    {
      Node *p = &doc->nodes[parent];
      if (p->last == RW_JSON_NONE)
        p->first = i;
      else
        doc->nodes[p->last].next = i;
      p->last = i;
    }
  return i;
}

static gboolean
json_read_number (Reader  *r,
                  guint32  parent,
                  guint32  key)
{
  const char *begin = r->p;
  gboolean integral = TRUE;

  if (r->p < r->end && *r->p == '-')
    r->p++;
  if (r->p < r->end && *r->p == '0')
    r->p++;
  else if (r->p < r->end && *r->p >= '1' && *r->p <= '9')
    while (r->p < r->end && g_ascii_isdigit (*r->p))
      r->p++;
  else
    {
      json_unexpected (r, r->p, "a digit");
      return FALSE;
    }
  if (r->p < r->end && *r->p == '.')
    {
      integral = FALSE;
      r->p++;
      if (r->p >= r->end || !g_ascii_isdigit (*r->p))
        {
          json_unexpected (r, r->p, "a digit after the decimal point");
          return FALSE;
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
          json_unexpected (r, r->p, "a digit in the exponent");
          return FALSE;
        }
      while (r->p < r->end && g_ascii_isdigit (*r->p))
        r->p++;
    }

  if (integral)
    {
      /* Exactly, while it fits in 64 bits; beyond, as a double. */
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
        {
          guint32 i = json_add_node (r, parent, key, RW_JSON_INT);
          r->doc->nodes[i].v.i = negative ? (gint64) (0 - v) : (gint64) v;
          return TRUE;
        }
    }
  {
    char buf[64];
    gsize n = (gsize) (r->p - begin);
    g_autofree char *big = n < sizeof buf ? NULL : g_strndup (begin, n);
    char *text = big ? big : buf;
    double v;
    guint32 i;

    if (big == NULL)
      {
        memcpy (buf, begin, n);
        buf[n] = '\0';
      }
    v = g_ascii_strtod (text, NULL);
    if (!isfinite (v))
      {
        fail_at (r, begin, "a number too large for a double");
        return FALSE;
      }
    i = json_add_node (r, parent, key, RW_JSON_DOUBLE);
    r->doc->nodes[i].v.d = v;
    return TRUE;
  }
}

static gboolean
json_read_word (Reader     *r,
                const char *word)
{
  gsize n = strlen (word);

  if ((gsize) (r->end - r->p) >= n && memcmp (r->p, word, n) == 0)
    {
      r->p += n;
      return TRUE;
    }
  json_unexpected (r, r->p, "a value");
  return FALSE;
}

static gboolean json_read_value (Reader  *r,
                                 guint32  parent,
                                 guint32  key);

static gboolean
json_read_object (Reader  *r,
                  guint32  self)
{
  r->p++;
  json_skip_space (r);
  if (r->p < r->end && *r->p == '}')
    {
      r->p++;
      return TRUE;
    }
  for (;;)
    {
      guint32 key;

      json_skip_space (r);
      if (r->p >= r->end || *r->p != '"')
        {
          json_unexpected (r, r->p, "a member name in quotes");
          return FALSE;
        }
      r->p++;
      if (!json_read_string (r, &key))
        return FALSE;
      json_skip_space (r);
      if (r->p >= r->end || *r->p != ':')
        {
          json_unexpected (r, r->p, "“:” after a member name");
          return FALSE;
        }
      r->p++;
      if (!json_read_value (r, self, key))
        return FALSE;
      json_skip_space (r);
      if (r->p < r->end && *r->p == ',')
        {
          r->p++;
          continue;
        }
      if (r->p < r->end && *r->p == '}')
        {
          r->p++;
          return TRUE;
        }
      json_unexpected (r, r->p, "“,” or “}”");
      return FALSE;
    }
}

static gboolean
json_read_array (Reader  *r,
                 guint32  self)
{
  r->p++;
  json_skip_space (r);
  if (r->p < r->end && *r->p == ']')
    {
      r->p++;
      return TRUE;
    }
  for (;;)
    {
      if (!json_read_value (r, self, RW_JSON_NONE))
        return FALSE;
      json_skip_space (r);
      if (r->p < r->end && *r->p == ',')
        {
          r->p++;
          continue;
        }
      if (r->p < r->end && *r->p == ']')
        {
          r->p++;
          return TRUE;
        }
      json_unexpected (r, r->p, "“,” or “]”");
      return FALSE;
    }
}

static gboolean
json_read_value (Reader  *r,
                 guint32  parent,
                 guint32  key)
{
  json_skip_space (r);
  if (r->p >= r->end)
    {
      json_unexpected (r, r->p, "a value");
      return FALSE;
    }
  switch (*r->p)
    {
    case '{':
    case '[':
      {
        gboolean object = *r->p == '{';
        gboolean ok;
        guint32 self;

        if (++r->depth > RW_JSON_MAX_DEPTH)
          {
            fail_at (r, r->p, "nested deeper than %d levels", RW_JSON_MAX_DEPTH);
            return FALSE;
          }
        self = json_add_node (r, parent, key, object ? RW_JSON_OBJECT : RW_JSON_ARRAY);
        ok = object ? json_read_object (r, self) : json_read_array (r, self);
        r->depth--;
        return ok;
      }
    case '"':
      {
        guint32 off, i;

        r->p++;
        if (!json_read_string (r, &off))
          return FALSE;
        i = json_add_node (r, parent, key, RW_JSON_STRING);
        r->doc->nodes[i].v.s = off;
        return TRUE;
      }
    case 't':
      return json_read_word (r, "true") && json_add_node (r, parent, key, RW_JSON_TRUE) != RW_JSON_NONE;
    case 'f':
      return json_read_word (r, "false") && json_add_node (r, parent, key, RW_JSON_FALSE) != RW_JSON_NONE;
    case 'n':
      return json_read_word (r, "null") && json_add_node (r, parent, key, RW_JSON_NULL) != RW_JSON_NONE;
    default:
      if (*r->p == '-' || g_ascii_isdigit (*r->p))
        return json_read_number (r, parent, key);
      json_unexpected (r, r->p, "a value");
      return FALSE;
    }
}

/* rw_json_doc_parse() and rw_json_doc_parse_line(), below. */
static RwJsonDoc *json_doc_parse (const char  *text,
                                  gsize        len,
                                  gboolean     one_line,
                                  GError     **error);

/**
 * rw_json_doc_parse:
 * @text: JSON text, not necessarily NUL-terminated
 * @len: its length in bytes
 * @error: return location for an error
 *
 * Reads one JSON document into a compact tree: a few allocations for the whole document, where
 * json-glib makes several for each object. White space around the document is allowed,
 * anything else after it is not. Its root is %RW_JSON_ROOT.
 *
 * Returns: (transfer full): the document, or %NULL with @error set
 */
RwJsonDoc *
rw_json_doc_parse (const char  *text,
                   gsize        len,
                   GError     **error)
{
  return json_doc_parse (text, len, FALSE, error);
}

/**
 * rw_json_doc_parse_line:
 * @text: one line of a JSON Lines file (or of a stream of JSON requests)
 * @len: its length in bytes
 * @error: return location for an error
 *
 * Reads one JSON document as rw_json_doc_parse() does, for a caller that counts the lines:
 * where the document is malformed, the error names the column only ("column 7: ..."), to
 * follow the file's name and line.
 *
 * Returns: (transfer full): the document, or %NULL with @error set
 */
RwJsonDoc *
rw_json_doc_parse_line (const char  *text,
                        gsize        len,
                        GError     **error)
{
  return json_doc_parse (text, len, TRUE, error);
}

static RwJsonDoc *
json_doc_parse (const char  *text,
                gsize        len,
                gboolean     one_line,
                GError     **error)
{
  RwJsonDoc *doc;
  Reader r;

  g_return_val_if_fail (text != NULL || len == 0, NULL);

  /* No text is an empty one (and NULL + 0 is no pointer). */
  if (text == NULL)
    text = "";
  r = (Reader) { text, text, text + len, NULL, 0, error, one_line };
  json_skip_space (&r);
  if (r.p == r.end)
    {
      g_set_error_literal (error, RW_ERROR, RW_ERROR_BAD_REQUEST, RW_JSON_EMPTY);
      return NULL;
    }
  if (len >= G_MAXUINT32 / 2)
    {
      g_set_error_literal (error, RW_ERROR, RW_ERROR_BAD_REQUEST, "the text is too large");
      return NULL;
    }
  doc = g_new0 (RwJsonDoc, 1);
  doc->strings = g_string_sized_new (len + 16);
  r.doc = doc;
  if (!json_read_value (&r, RW_JSON_NONE, RW_JSON_NONE))
    {
      rw_json_doc_free (doc);
      return NULL;
    }
  json_skip_space (&r);
  if (r.p < r.end)
    {
      json_unexpected (&r, r.p, "the end of the document");
      rw_json_doc_free (doc);
      return NULL;
    }
  return doc;
}

void
rw_json_doc_free (RwJsonDoc *doc)
{
  if (doc == NULL)
    return;
  g_free (doc->nodes);
  g_string_free (doc->strings, TRUE);
  g_free (doc);
}

/**
 * rw_json_parse:
 * @text: JSON text, not necessarily NUL-terminated
 * @len: its length in bytes
 * @error: return location for an error
 *
 * Reads one JSON document as a json-glib tree.
 *
 * Returns: (transfer full): the document's root, or %NULL with @error set
 */
JsonNode *
rw_json_parse (const char  *text,
               gsize        len,
               GError     **error)
{
  g_autoptr(RwJsonDoc) doc = rw_json_doc_parse (text, len, error);

  return doc != NULL ? rw_json_doc_to_node (doc, RW_JSON_ROOT) : NULL;
}

/**
 * rw_json_parse_line:
 * @text: one line of a JSON Lines file
 * @len: its length in bytes
 * @error: return location for an error
 *
 * rw_json_parse() for one line of a file: an error names the column only (see
 * rw_json_doc_parse_line()).
 *
 * Returns: (transfer full): the document's root, or %NULL with @error set
 */
JsonNode *
rw_json_parse_line (const char  *text,
                    gsize        len,
                    GError     **error)
{
  g_autoptr(RwJsonDoc) doc = rw_json_doc_parse_line (text, len, error);

  return doc != NULL ? rw_json_doc_to_node (doc, RW_JSON_ROOT) : NULL;
}
