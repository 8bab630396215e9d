/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "rw-error.h"
#include "rw-file.h"
#include "rw-json.h"

char *
rw_file_format_size (guint64 bytes)
{
  if (bytes >= (1 << 30) && bytes % (1 << 30) == 0)
    return g_strdup_printf ("%" G_GUINT64_FORMAT " GiB", bytes >> 30);
  if (bytes >= (1 << 20) && bytes % (1 << 20) == 0)
    return g_strdup_printf ("%" G_GUINT64_FORMAT " MiB", bytes >> 20);
  if (bytes >= (1 << 10) && bytes % (1 << 10) == 0)
    return g_strdup_printf ("%" G_GUINT64_FORMAT " KiB", bytes >> 10);
  return g_strdup_printf ("%" G_GUINT64_FORMAT " bytes", bytes);
}

static gboolean
file_too_large (const char  *path,
                gsize        max,
                GError     **error)
{
  g_autofree char *limit = rw_file_format_size (max);

  g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_FAILED,
               "%s is larger than %s, the most Routewise reads from such a file", path, limit);
  return FALSE;
}

/**
 * rw_file_read:
 * @path: the file
 * @max: the most bytes it may hold
 * @contents: (out): its bytes, followed by a NUL that @length does not count
 * @length: (out) (optional): how many bytes
 *
 * Reads a regular file of at most @max bytes. A device, a FIFO, a socket or a directory is
 * refused without being read, and so is a file that is or grows larger than @max while it is
 * read. Errors are in G_FILE_ERROR and name @path.
 */
gboolean
rw_file_read (const char  *path,
              gsize        max,
              char       **contents,
              gsize       *length,
              GError     **error)
{
  g_autofree char *buf = NULL;
  struct stat st;
  gsize len = 0, cap;
  int fd;

  *contents = NULL;
  /* Non-blocking, so that opening a FIFO with no writer returns at once and is refused below. */
  fd = g_open (path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0);
  if (fd < 0)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "cannot open %s: %s",
                   path, g_strerror (saved));
      return FALSE;
    }
  if (fstat (fd, &st) != 0 || !S_ISREG (st.st_mode))
    {
      gboolean dir = S_ISDIR (st.st_mode);
      close (fd);
      g_set_error (error, G_FILE_ERROR, dir ? G_FILE_ERROR_ISDIR : G_FILE_ERROR_INVAL,
                   dir ? "%s is a folder, not a file" :
                   "%s is not a regular file (a device, a pipe or a socket is not read)", path);
      return FALSE;
    }
  if ((guint64) st.st_size > max)
    {
      close (fd);
      return file_too_large (path, max, error);
    }
  /* The size may be 0 for files whose size is not known in advance (/proc), or change while
   * the file is read: read in steps, never beyond @max. */
  cap = MIN ((gsize) st.st_size, max) + 1;
  buf = g_malloc (cap + 1);
  for (;;)
    {
      gssize n;

      if (len == cap)
        {
          if (len > max)
            {
              close (fd);
              return file_too_large (path, max, error);
            }
          cap = MIN (cap * 2, max + 1);
          buf = g_realloc (buf, cap + 1);
        }
      n = read (fd, buf + len, cap - len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int saved = errno;
          close (fd);
          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "cannot read %s: %s",
                       path, g_strerror (saved));
          return FALSE;
        }
      if (n == 0)
        break;
      len += n;
    }
  close (fd);
  if (len > max)
    return file_too_large (path, max, error);
  buf[len] = '\0';
  *contents = g_steal_pointer (&buf);
  if (length != NULL)
    *length = len;
  return TRUE;
}

/**
 * rw_file_read_text:
 * @path: the file
 * @max: the most bytes it may hold
 * @contents: (out): its text, followed by a NUL that @length does not count
 * @length: (out) (optional): how many bytes of text
 *
 * Reads a text file as rw_file_read() does, without the UTF-8 byte order mark that may open it:
 * spreadsheets and some editors write one before a CSV, a JSON or a YAML file, and the text
 * starts after it.
 */
gboolean
rw_file_read_text (const char  *path,
                   gsize        max,
                   char       **contents,
                   gsize       *length,
                   GError     **error)
{
  gsize len;

  if (!rw_file_read (path, max, contents, &len, error))
    return FALSE;
  if (len >= 3 && memcmp (*contents, "\xef\xbb\xbf", 3) == 0)
    {
      len -= 3;
      memmove (*contents, *contents + 3, len + 1);
    }
  if (length != NULL)
    *length = len;
  return TRUE;
}

/**
 * rw_file_read_json:
 *
 * A JSON file of at most @max bytes, read by the bounded reader (nesting, UTF-8), after the
 * byte order mark that may open it. The error names the file, and the line and column where
 * the JSON went wrong.
 */
JsonNode *
rw_file_read_json (const char  *path,
                   gsize        max,
                   GError     **error)
{
  g_autofree char *contents = NULL;
  g_autoptr(GError) local = NULL;
  JsonNode *node;
  gsize len;

  if (!rw_file_read_text (path, max, &contents, &len, error))
    return NULL;
  if ((node = rw_json_parse (contents, len, &local)) == NULL)
    g_set_error (error, RW_ERROR, RW_ERROR_CONFIG, "%s: %s", path, local->message);
  return node;
}
