/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "fuzz-targets.h"

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
