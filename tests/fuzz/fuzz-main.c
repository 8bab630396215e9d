/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "fuzz-targets.h"
#include "rw-json.h"

/*
 * One libFuzzer entry point per target, chosen at build time with -DRW_FUZZ_TARGET; without
 * libFuzzer, a main that replays a corpus folder, so that the corpus runs as a regression test.
 */

#ifndef RW_FUZZ_TARGET
# error "RW_FUZZ_TARGET must name a target"
#endif

int LLVMFuzzerTestOneInput (const guint8 *data, size_t size);

int
LLVMFuzzerTestOneInput (const guint8 *data,
                        size_t        size)
{
  return RW_FUZZ_TARGET (data, size);
}

#ifndef RW_LIBFUZZER
/* Values of other types, put in turn in the place of every value of a JSON input: a reader that
 * takes the type of a member for granted (a string where an object came) is found at once, where
 * random bytes would seldom even make valid JSON. */
static const char * const swaps[] = {
  "{}", "[]", "0", "-1", "1e308", "1.5", "\"\"", "\"x\"", "null", "true", "[{}]", "[[]]",
  "{\"a\":[]}",
};

/* @node written out, with the value numbered @target (in document order) written as @swap. */
static void
write_swapped (GString    *out,
               JsonNode   *node,
               guint      *counter,
               guint       target,
               const char *swap)
{
  if ((*counter)++ == target)
    {
      g_string_append (out, swap);
      return;
    }
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *o = json_node_get_object (node);
      g_autoptr(GList) members = json_object_get_members (o);
      g_string_append_c (out, '{');
      for (GList *l = members; l != NULL; l = l->next)
        {
          if (l != members)
            g_string_append_c (out, ',');
          rw_json_append_string (out, l->data);
          g_string_append_c (out, ':');
          write_swapped (out, json_object_get_member (o, l->data), counter, target, swap);
        }
      g_string_append_c (out, '}');
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *a = json_node_get_array (node);
      g_string_append_c (out, '[');
      for (guint i = 0; i < json_array_get_length (a); i++)
        {
          if (i > 0)
            g_string_append_c (out, ',');
          write_swapped (out, json_array_get_element (a, i), counter, target, swap);
        }
      g_string_append_c (out, ']');
    }
  else
    {
      g_autofree char *text = json_to_string (node, FALSE);
      g_string_append (out, text);
    }
}

/* @contents, when it is one JSON document, else each of its lines that is JSON, with each of its
 * values swapped in turn; the other lines as they were. Returns how many inputs were tried. */
static guint
replay_swapped (const char *contents)
{
  g_autoptr(JsonParser) whole = json_parser_new ();
  g_auto(GStrv) lines = NULL;
  guint n = 0;

  if (json_parser_load_from_data (whole, contents, -1, NULL))
    {
      /* The document as one line. */
      lines = g_new0 (char *, 2);
      lines[0] = g_strdup (contents);
    }
  else
    lines = g_strsplit (contents, "\n", -1);

  for (guint li = 0; lines[li] != NULL; li++)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonNode *root;
      guint total = 0;
      g_autoptr(GString) scratch = g_string_new (NULL);

      if (!json_parser_load_from_data (parser, lines[li], -1, NULL) ||
          (root = json_parser_get_root (parser)) == NULL)
        continue;
      write_swapped (scratch, root, &total, G_MAXUINT, NULL);
      for (guint target = 0; target < total; target++)
        for (guint k = 0; k < G_N_ELEMENTS (swaps); k++)
          {
            g_autoptr(GString) input = g_string_new (NULL);
            guint counter = 0;

            for (guint lj = 0; lines[lj] != NULL; lj++)
              {
                if (lj > 0)
                  g_string_append_c (input, '\n');
                if (lj == li)
                  write_swapped (input, root, &counter, target, swaps[k]);
                else
                  g_string_append (input, lines[lj]);
              }
            LLVMFuzzerTestOneInput ((const guint8 *) input->str, input->len);
            n++;
          }
    }
  return n;
}

int
main (int    argc,
      char **argv)
{
  guint n = 0;

  /* A critical is a bug found: in a parser, a precondition that outside data broke. */
  g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
  for (int i = 1; i < argc; i++)
    {
      g_autoptr(GDir) dir = g_dir_open (argv[i], 0, NULL);
      const char *name;

      g_assert_nonnull (dir);
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *path = g_build_filename (argv[i], name, NULL);
          g_autofree char *contents = NULL;
          gsize len;

          g_assert_true (g_file_get_contents (path, &contents, &len, NULL));
          LLVMFuzzerTestOneInput ((const guint8 *) contents, len);
          n++;
          n += replay_swapped (contents);
        }
    }
  /* And random inputs derived from a fixed seed. */
  {
    GRand *rand = g_rand_new_with_seed (42);
    for (guint round = 0; round < 2000; round++)
      {
        guint8 buf[256];
        gsize len = g_rand_int_range (rand, 0, sizeof buf);
        for (gsize j = 0; j < len; j++)
          buf[j] = g_rand_int_range (rand, 0, 256);
        LLVMFuzzerTestOneInput (buf, len);
        n++;
      }
    g_rand_free (rand);
  }
  g_print ("1..1\nok 1 - %u inputs\n", n);
  return 0;
}
#endif
