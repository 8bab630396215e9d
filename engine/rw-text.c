/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef RW_ENGINE_COMPILATION
# define RW_ENGINE_COMPILATION 1
#endif
#include "config.h"

#include <string.h>

#include "rw-text.h"

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
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
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
          if (json_parser_load_from_data (parser, text, line_len, NULL) &&
              JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
            func (json_node_get_object (json_parser_get_root (parser)), line, user_data);
          else
            skipped++;
        }
      text += line_len + 1;
    }
  return skipped;
}
