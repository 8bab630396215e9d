/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "rw-error.h"
#include "rw-json.h"
#include "rw-text.h"

/**
 * rw_text_has_word:
 * @text: a text
 * @word: a word or phrase
 *
 * Returns: whether @word occurs in @text, in any case of ASCII letters, as a whole: neither
 *   preceded nor followed by a letter or digit
 */
gboolean
rw_text_has_word (const char *text,
                  const char *word)
{
  gsize n = strlen (word);

  if (n == 0)
    return FALSE;
  for (const char *p = text; *p; p++)
    if (g_ascii_strncasecmp (p, word, n) == 0 &&
        (p == text || !g_ascii_isalnum (p[-1])) && !g_ascii_isalnum (p[n]))
      return TRUE;
  return FALSE;
}

/* A byte of a word: a letter or digit, or any non-ASCII byte, so that words of other scripts
 * are kept whole. */
static inline gboolean
text_word_byte (char c)
{
  return g_ascii_isalnum (c) || (guint8) c >= 0x80;
}

/* FNV-1a over a lowercased word, continued over a second for pairs. */
static guint32
text_fnv (guint32     h,
          const char *s,
          gsize       len)
{
  for (gsize i = 0; i < len; i++)
    {
      h ^= (guint8) g_ascii_tolower (s[i]);
      h *= 16777619u;
    }
  return h;
}

/**
 * rw_text_each_feature:
 * @buckets: how many buckets the features are hashed into (1 or more)
 * @text: a text
 * @func: called with the bucket of every word and every pair of adjacent words, in order
 * @data: passed to @func
 *
 * The features the text models share. Words are runs of letters and digits (any non-ASCII
 * byte counts as a letter, so words of other scripts are kept whole), in any case; only the
 * first %RW_TEXT_MAX_WORDS words count, when learning as when routing.
 */
void
rw_text_each_feature (guint              buckets,
                      const char        *text,
                      RwTextFeatureFunc  func,
                      gpointer           data)
{
  const char *p = text;
  guint32 prev = 0;
  gboolean have_prev = FALSE;
  guint words = 0;

  /* A prompt's first words say what it is about: a document of megabytes pasted after them
   * would only cost time on the loop that routes every request. */
  while (*p && words++ < RW_TEXT_MAX_WORDS)
    {
      const char *start;
      guint32 h;

      while (*p && !text_word_byte (*p))
        p++;
      if (*p == '\0')
        break;
      start = p;
      while (*p && text_word_byte (*p))
        p++;
      h = text_fnv (2166136261u, start, p - start);
      func (h % buckets, data);
      if (have_prev)
        func ((text_fnv (prev, " ", 1) ^ (h * 2654435761u)) % buckets, data);
      prev = h;
      have_prev = TRUE;
    }
}

/**
 * rw_text_count_numbers:
 * @text: a text
 * @n_numbers: (out): how many numbers it holds
 * @n_distinct: (out): how many of them differ
 *
 * Counts the numbers among the words rw_text_each_feature() reads: a word that starts with a
 * digit, with its decimal point or thousands separators (“1,250.5” is one number); digits inside
 * a word (“x2”) are not a number.
 */
void
rw_text_count_numbers (const char *text,
                       guint      *n_numbers,
                       guint      *n_distinct)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_direct_hash, g_direct_equal);
  const char *p = text;
  guint words = 0, n = 0;

  while (*p && words++ < RW_TEXT_MAX_WORDS)
    {
      const char *start;

      while (*p && !text_word_byte (*p))
        p++;
      if (*p == '\0')
        break;
      start = p;
      if (g_ascii_isdigit (*p))
        {
          while (g_ascii_isdigit (*p) ||
                 ((*p == '.' || *p == ',') && g_ascii_isdigit (p[1]) && p > start))
            p++;
          n++;
          g_hash_table_add (seen, GUINT_TO_POINTER (text_fnv (2166136261u, start, p - start)));
        }
      while (*p && text_word_byte (*p))
        p++;
    }
  *n_numbers = n;
  *n_distinct = g_hash_table_size (seen);
}

/**
 * rw_text_normalize_space:
 * @text: some text
 *
 * Returns: (transfer full): @text without leading and trailing white space and with every run
 *   of white space inside made one space, so that prompts match whatever their line breaks
 */
char *
rw_text_normalize_space (const char *text)
{
  g_autoptr(GString) s = g_string_new (NULL);
  gboolean space = FALSE;

  for (const char *p = text; *p; p++)
    {
      if (g_ascii_isspace (*p))
        space = TRUE;
      else
        {
          if (space && s->len > 0)
            g_string_append_c (s, ' ');
          space = FALSE;
          g_string_append_c (s, *p);
        }
    }
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/**
 * rw_jsonl_foreach:
 * @bytes: JSON Lines text
 * @func: called for each line that holds a JSON object
 * @user_data: passed to @func
 *
 * Returns: how many lines were skipped because they were not a JSON object
 */
guint
rw_jsonl_foreach (GBytes         *bytes,
                  RwJsonLineFunc  func,
                  gpointer        user_data)
{
  const char *text, *end;
  guint line = 0, skipped = 0;
  gsize len;

  text = g_bytes_get_data (bytes, &len);
  end = text + len;
  while (text < end)
    {
      const char *nl = memchr (text, '\n', end - text);
      gsize line_len = (nl ? nl : end) - text;

      line++;
      if (line_len > 0 && !(line_len == 1 && text[0] == '\r'))
        {
          g_autoptr(JsonNode) node = rw_json_parse (text, line_len, NULL);

          if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
            func (json_node_get_object (node), line, user_data);
          else
            skipped++;
        }
      text += line_len + 1;
    }
  return skipped;
}

/**
 * rw_csv_append_text:
 * @out: where to write
 * @text: (nullable): a text cell; %NULL is empty
 *
 * Appends @text as one quoted RFC 4180 field, its quotes doubled. A cell a spreadsheet would
 * take for a formula (one starting with = + - @, a tab or a carriage return: a model's answer
 * may be written to be one) is opened with a ', so that it opens as the text it is. Numbers
 * are written as they are, not through this.
 */
void
rw_csv_append_text (GString    *out,
                    const char *text)
{
  g_string_append_c (out, '"');
  if (text != NULL && *text != '\0' && strchr ("=+-@\t\r", *text) != NULL)
    g_string_append_c (out, '\'');
  for (const char *p = text; p != NULL && *p; p++)
    {
      if (*p == '"')
        g_string_append_c (out, '"');
      g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

/**
 * rw_csv_read_record:
 * @data: CSV text
 * @length: its length
 * @pos: (inout): where the record starts; moved past it
 * @line: (inout): the line count, advanced by the lines the record spans
 * @error: return location for an error
 *
 * Reads one RFC 4180 record: fields separated by commas, quoted fields may hold commas,
 * doubled quotes and line breaks.
 *
 * Returns: (transfer full) (nullable): the fields, or %NULL at the end of @data or on error
 */
GPtrArray *
rw_csv_read_record (const char  *data,
                    gsize        length,
                    gsize       *pos,
                    guint       *line,
                    GError     **error)
{
  GPtrArray *fields;
  GString *field = g_string_new (NULL);
  gboolean quoted = FALSE, at_start = TRUE;

  if (*pos >= length)
    {
      g_string_free (field, TRUE);
      return NULL;
    }
  fields = g_ptr_array_new_with_free_func (g_free);
  while (*pos < length)
    {
      char c = data[(*pos)++];

      if (quoted)
        {
          if (c == '"' && *pos < length && data[*pos] == '"')
            {
              g_string_append_c (field, '"');
              (*pos)++;
            }
          else if (c == '"')
            quoted = FALSE;
          else
            {
              if (c == '\n')
                (*line)++;
              g_string_append_c (field, c);
            }
          continue;
        }
      if (c == '"' && at_start)
        {
          quoted = TRUE;
          at_start = FALSE;
        }
      else if (c == ',')
        {
          g_ptr_array_add (fields, g_string_free (field, FALSE));
          field = g_string_new (NULL);
          at_start = TRUE;
        }
      else if (c == '\n' || c == '\r')
        {
          if (c == '\r' && *pos < length && data[*pos] == '\n')
            (*pos)++;
          (*line)++;
          break;
        }
      else
        {
          g_string_append_c (field, c);
          at_start = FALSE;
        }
    }
  if (quoted)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "a quoted field is not closed");
      g_string_free (field, TRUE);
      g_ptr_array_unref (fields);
      return NULL;
    }
  g_ptr_array_add (fields, g_string_free (field, FALSE));
  return fields;
}


/**
 * rw_csv_read_row:
 * @data: the CSV text
 * @length: its length
 * @pos: (inout): where to read from
 * @line: (inout): the line number at @pos
 * @n_fields: how many fields every row must have (the header's)
 * @name: the file's name, for messages
 * @row_line: (out) (optional): the line the row starts on
 * @error: return location for an error naming the file and line
 *
 * The next row of a file whose rows must match its header, blank lines skipped.
 *
 * Returns: (transfer full) (nullable): the row's fields; %NULL at the end, or with @error set
 */
GPtrArray *
rw_csv_read_row (const char  *data,
                 gsize        length,
                 gsize       *pos,
                 guint       *line,
                 guint        n_fields,
                 const char  *name,
                 guint       *row_line,
                 GError     **error)
{
  for (;;)
    {
      guint at = *line;
      g_autoptr(GError) local = NULL;
      g_autoptr(GPtrArray) row = rw_csv_read_record (data, length, pos, line, &local);

      if (row == NULL)
        {
          if (local != NULL)
            g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: %s", name, local->message);
          return NULL;
        }
      if (row->len == 1 && *(char *) row->pdata[0] == '\0')
        continue;
      if (row->len != n_fields)
        {
          g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s:%u: %u fields where the header has %u",
                       name, at, row->len, n_fields);
          return NULL;
        }
      if (row_line != NULL)
        *row_line = at;
      return g_steal_pointer (&row);
    }
}

/**
 * rw_text_position:
 * @text: a text
 * @at: a place in @text, or its end
 * @line: (out): the line @at is on, from 1
 * @column: (out): the character @at is at on its line, from 1
 *
 * Where a place in a text is, as an editor counts it: for error messages about files.
 */
void
rw_text_position (const char *text,
                  const char *at,
                  guint      *line,
                  guint      *column)
{
  *line = 1;
  *column = 1;
  for (const char *q = text; q < at && *q; q++)
    {
      if (*q == '\n')
        {
          (*line)++;
          *column = 1;
        }
      else if ((*q & 0xc0) != 0x80)
        (*column)++;
    }
}
