/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "rw-error.h"
#include "rw-sse-parser.h"

/*
 * An incremental parser for text/event-stream, as the HTML standard defines it: lines end in
 * CRLF, LF or CR, and a chunk may end anywhere, even between a CR and its LF. Memory is bounded:
 * a line or an event larger than the limit is an error, not a reason to grow without end.
 */
struct _RwSseParser
{
  RwSseEventFunc func;
  gpointer user_data;
  GString *line;
  GString *data;
  GString *event;
  char *last_id;
  gsize max_size;
  guint64 n_events;
  guint seen_bom_check : 1;
  guint last_was_cr : 1;
  guint has_data : 1;
  guint failed : 1;
};

/**
 * rw_sse_parser_new:
 * @func: called for every complete event
 * @user_data: passed to @func
 *
 * Returns: (transfer full): a parser with an 8 MiB limit per event
 */
RwSseParser *
rw_sse_parser_new (RwSseEventFunc func,
                   gpointer       user_data)
{
  RwSseParser *self = g_new0 (RwSseParser, 1);

  self->func = func;
  self->user_data = user_data;
  self->line = g_string_sized_new (256);
  self->data = g_string_sized_new (256);
  self->event = g_string_new (NULL);
  self->max_size = 8 * 1024 * 1024;
  return self;
}

void
rw_sse_parser_free (RwSseParser *self)
{
  if (self == NULL)
    return;
  g_string_free (self->line, TRUE);
  g_string_free (self->data, TRUE);
  g_string_free (self->event, TRUE);
  g_free (self->last_id);
  g_free (self);
}

void
rw_sse_parser_set_max_size (RwSseParser *self,
                            gsize        max_event_size)
{
  g_return_if_fail (self != NULL);
  self->max_size = MAX (max_event_size, 64);
}

/**
 * rw_sse_parser_has_partial:
 * @self: a parser
 *
 * Returns: whether bytes of an event that has not been completed are pending; at the end of a
 *   stream that means the stream was cut
 */
gboolean
rw_sse_parser_has_partial (RwSseParser *self)
{
  return self->line->len > 0 || self->has_data || self->event->len > 0;
}

guint64
rw_sse_parser_get_n_events (RwSseParser *self)
{
  return self->n_events;
}

const char *
rw_sse_parser_get_last_id (RwSseParser *self)
{
  return self->last_id;
}

static gboolean
sse_parser_dispatch (RwSseParser  *self,
                     GError      **error)
{
  gboolean ret = TRUE;

  if (self->has_data)
    {
      /* The data buffer holds a trailing newline after each data line; drop the last. */
      if (self->data->len > 0 && self->data->str[self->data->len - 1] == '\n')
        g_string_truncate (self->data, self->data->len - 1);
      self->n_events++;
      ret = self->func (self->event->len ? self->event->str : "message",
                        self->data->str, self->data->len, self->user_data, error);
    }
  g_string_truncate (self->data, 0);
  g_string_truncate (self->event, 0);
  self->has_data = FALSE;
  return ret;
}

static gboolean
sse_parser_process_line (RwSseParser  *self,
                         GError      **error)
{
  const char *line = self->line->str;
  gsize len = self->line->len;
  const char *colon;
  gsize name_len;
  const char *value;
  gsize value_len;

  if (len == 0)
    return sse_parser_dispatch (self, error);
  if (line[0] == ':')
    return TRUE;

  colon = memchr (line, ':', len);
  if (colon != NULL)
    {
      name_len = colon - line;
      value = colon + 1;
      value_len = len - name_len - 1;
      if (value_len > 0 && value[0] == ' ')
        {
          value++;
          value_len--;
        }
    }
  else
    {
      name_len = len;
      value = "";
      value_len = 0;
    }

  if (name_len == 4 && memcmp (line, "data", 4) == 0)
    {
      if (self->data->len + value_len + 1 > self->max_size)
        {
          g_set_error (error, RW_ERROR, RW_ERROR_BAD_RESPONSE,
                       "stream event larger than %" G_GSIZE_FORMAT " bytes", self->max_size);
          return FALSE;
        }
      g_string_append_len (self->data, value, value_len);
      g_string_append_c (self->data, '\n');
      self->has_data = TRUE;
    }
  else if (name_len == 5 && memcmp (line, "event", 5) == 0)
    {
      g_string_truncate (self->event, 0);
      g_string_append_len (self->event, value, value_len);
    }
  else if (name_len == 2 && memcmp (line, "id", 2) == 0)
    {
      if (memchr (value, '\0', value_len) == NULL)
        {
          g_free (self->last_id);
          self->last_id = g_strndup (value, value_len);
        }
    }
  /* "retry" and unknown fields are ignored, as the standard says. */
  return TRUE;
}

/**
 * rw_sse_parser_feed:
 * @self: a parser
 * @buf: bytes from the stream, split anywhere
 * @len: how many
 * @error: return location for an error
 *
 * Parses @buf, calling the event function for each event it completes.
 *
 * Returns: %FALSE when the stream is malformed or the event function stopped it; the parser
 *   then refuses further input
 */
gboolean
rw_sse_parser_feed (RwSseParser  *self,
                    const char   *buf,
                    gsize         len,
                    GError      **error)
{
  gsize i = 0;

  g_return_val_if_fail (self != NULL, FALSE);

  if (self->failed)
    {
      g_set_error (error, RW_ERROR, RW_ERROR_BAD_RESPONSE, "stream already failed");
      return FALSE;
    }

  /* A UTF-8 byte order mark may open the stream. */
  if (!self->seen_bom_check)
    {
      static const char bom[] = "\xEF\xBB\xBF";
      gsize have = self->line->len;

      while (i < len && have < 3 && buf[i] == bom[have])
        {
          g_string_append_c (self->line, buf[i]);
          i++;
          have++;
        }
      if (have == 3)
        {
          g_string_truncate (self->line, 0);
          self->seen_bom_check = TRUE;
        }
      else if (i < len)
        self->seen_bom_check = TRUE;
      else
        return TRUE;
    }

  while (i < len)
    {
      char c = buf[i];

      if (self->last_was_cr && c == '\n')
        {
          self->last_was_cr = FALSE;
          i++;
          continue;
        }
      self->last_was_cr = FALSE;

      if (c == '\r' || c == '\n')
        {
          self->last_was_cr = (c == '\r');
          i++;
          if (!sse_parser_process_line (self, error))
            {
              self->failed = TRUE;
              return FALSE;
            }
          g_string_truncate (self->line, 0);
          continue;
        }

      {
        /* Copy up to the next line end in one go. */
        const char *start = buf + i;
        gsize n = 0;

        while (i + n < len && start[n] != '\r' && start[n] != '\n')
          n++;
        if (self->line->len + n > self->max_size)
          {
            g_set_error (error, RW_ERROR, RW_ERROR_BAD_RESPONSE,
                         "stream line longer than %" G_GSIZE_FORMAT " bytes", self->max_size);
            self->failed = TRUE;
            return FALSE;
          }
        g_string_append_len (self->line, start, n);
        i += n;
      }
    }

  return TRUE;
}
